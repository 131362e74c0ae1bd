"""The reminder sweep and delivery: each notification is planned once and sent once.

The sweep reads hazards whose ``next_reminder_at`` has come, claims them with ``FOR UPDATE SKIP
LOCKED`` (so two sweeps or two beats never plan the same hazard at once), writes ledger rows that a
unique constraint keeps to one per (hazard, rule, deadline, occurrence, recipient, channel), and sets
the hazard's next time. Sending happens after commit, claiming each ledger row first.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import User
from hazards.choices import OPEN_STATUSES, AuthorityLevel
from hazards.models import Hazard, SupervisionListing
from reminders import channels
from reminders.choices import Anchor, Channel, NotificationStatus, Recipient
from reminders.models import Notification, ReminderRule, RobotTarget

logger = logging.getLogger(__name__)

# Reminders go out at the start of the working day, Asia/Shanghai.
SEND_AT = datetime.time(8, 0)
# A one-shot reminder missed by a stopped sweep is still sent this many days late, not later.
CATCH_UP_DAYS = 2
# A row claimed for sending but never marked sent (worker killed) is retried after this long.
STALE_CLAIM = datetime.timedelta(minutes=10)


@dataclass
class SweepResult:
    hazards: int = 0
    planned: int = 0
    immediate: int = 0
    plans: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class HazardFacts:
    id: int
    number: str
    level: str
    deadline: datetime.date | None
    county_id: int
    city_id: int | None
    region_path: str
    unit_id: int | None
    listing_deadline: datetime.date | None
    listing_level: str | None


class Planned(NamedTuple):
    """A ledger row to write: lighter than a model instance, of which a sweep makes hundreds of thousands."""

    hazard_id: int
    rule: ReminderRule
    anchor_date: datetime.date
    occurrence: datetime.date
    recipient_id: int | None
    target_id: int | None
    channel: str
    immediate: bool


def sweep(*, now: datetime.datetime | None = None, batch_size: int = 1000, dry_run: bool = False) -> SweepResult:
    """Plan every hazard whose reminder time has come; safe to run twice and concurrently."""
    now = now or timezone.now()
    result = SweepResult()
    rules = list(ReminderRule.objects.filter(is_active=True).select_related("region"))
    while True:
        with transaction.atomic():
            ids = list(
                Hazard.objects.select_for_update(skip_locked=True)
                .filter(next_reminder_at__lte=now)
                .order_by("next_reminder_at")
                .values_list("id", flat=True)[: None if dry_run else batch_size]
            )
            if not ids:
                break
            planned, next_times = _plan(ids, rules=rules, now=now)
            result.hazards += len(ids)
            if dry_run:
                result.plans += [_describe(n) for n in planned]
                transaction.set_rollback(True)
                break
            new_rows, new_immediate = _insert(planned, now=now)
            result.planned += new_rows
            for when, hazard_ids in next_times.items():
                Hazard.objects.filter(pk__in=hazard_ids).update(next_reminder_at=when)
            if new_immediate:
                result.immediate += 1
                transaction.on_commit(_enqueue_immediate, robust=True)
    return result


# ON CONFLICT DO NOTHING: the unique constraints keep a row once; RETURNING tells what is new.
_INSERT = f"""
INSERT INTO {Notification._meta.db_table} (hazard_id, rule_id, anchor_date, occurrence, recipient_id, target_id,
    channel, immediate, status, attempts, last_error, created_at)
SELECT p.*, %s, 0, '', %s
FROM unnest(%s::bigint[], %s::bigint[], %s::date[], %s::date[], %s::bigint[], %s::bigint[], %s::varchar[],
    %s::boolean[]) AS p
ON CONFLICT DO NOTHING
RETURNING immediate
"""


def _insert(planned: list[Planned], *, now: datetime.datetime) -> tuple[int, bool]:
    """Write the rows in one statement (bulk_create spends more on model instances than the database
    spends on the rows); return how many were new and whether any new one is to be sent at once."""
    if not planned:
        return 0, False
    if connection.vendor != "postgresql":
        # The embedded SQLite of `make run`: fewer rows, and no unnest(); count what is new instead.
        before = Notification.objects.count()
        rows = [
            Notification(
                hazard_id=p.hazard_id,
                rule=p.rule,
                anchor_date=p.anchor_date,
                occurrence=p.occurrence,
                recipient_id=p.recipient_id,
                target_id=p.target_id,
                channel=p.channel,
                immediate=p.immediate,
                created_at=now,
            )
            for p in planned
        ]
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        new = Notification.objects.count() - before
        return new, new > 0 and any(p.immediate for p in planned)
    rows = [(p.hazard_id, p.rule.pk, *p[2:]) for p in planned]
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT, [NotificationStatus.PENDING, now, *(list(column) for column in zip(*rows, strict=True))]
        )
        flags = [immediate for (immediate,) in cursor.fetchall()]
    return len(flags), any(flags)


def _enqueue_immediate() -> None:
    from reminders.tasks import deliver_immediate

    deliver_immediate.delay()


def _plan(
    ids: list[int], *, rules: list[ReminderRule], now: datetime.datetime
) -> tuple[list[Planned], dict[datetime.datetime | None, list[int]]]:
    today = timezone.localdate(now)
    facts = _facts(ids)
    people = _people(facts)
    robots = list(RobotTarget.objects.filter(is_active=True).select_related("region"))
    planned: list[Planned] = []
    next_times: dict[datetime.datetime | None, list[int]] = defaultdict(list)
    # Closed or voided since they were scheduled: nothing more to plan.
    next_times[None] += sorted(set(ids) - {hazard.id for hazard in facts})
    # Deadlines repeat across hazards; working-day arithmetic is worth doing once per rule and date.
    dates: dict[tuple[int, datetime.date], tuple[datetime.date | None, datetime.date | None]] = {}
    for hazard in facts:
        next_date: datetime.date | None = None
        for rule in rules:
            if not _applies(rule, hazard):
                continue
            anchor = hazard.deadline if rule.anchor == Anchor.DEADLINE else hazard.listing_deadline
            if anchor is None:
                continue
            if (rule.pk, anchor) not in dates:
                dates[rule.pk, anchor] = _dates(rule, anchor, today)
            occurrence, upcoming = dates[rule.pk, anchor]
            if occurrence is not None:
                personal = [c for c in rule.channels if c != Channel.ROBOT]
                for recipient_id in _recipients(rule, hazard, people):
                    planned += [
                        Planned(hazard.id, rule, anchor, occurrence, recipient_id, None, c, rule.immediate)
                        for c in personal
                    ]
                if Channel.ROBOT in rule.channels:
                    planned += [
                        Planned(hazard.id, rule, anchor, occurrence, None, robot.pk, Channel.ROBOT, rule.immediate)
                        for robot in robots
                        if hazard.region_path.startswith(robot.region.path)
                    ]
            if upcoming is not None and (next_date is None or upcoming < next_date):
                next_date = upcoming
        when = timezone.make_aware(datetime.datetime.combine(next_date, SEND_AT)) if next_date else None
        next_times[when].append(hazard.id)
    return planned, next_times


def _dates(
    rule: ReminderRule, anchor: datetime.date, today: datetime.date
) -> tuple[datetime.date | None, datetime.date | None]:
    """The occurrence to send now, if any, and the next one after today."""
    occurrence = rule.occurrence_on(anchor, today)
    if occurrence is not None and not rule.repeat_daily and (today - occurrence).days > CATCH_UP_DAYS:
        occurrence = None
    return occurrence, rule.next_date(anchor, today)


def _facts(ids: list[int]) -> list[HazardFacts]:
    listings = {
        hazard_id: (deadline, level)
        for hazard_id, deadline, level in SupervisionListing.objects.filter(
            hazard_id__in=ids, lifted_at__isnull=True
        ).values_list("hazard_id", "deadline", "authority_level")
    }
    rows = Hazard.objects.filter(pk__in=ids, status__in=OPEN_STATUSES).values_list(
        "id", "number", "level", "deadline", "county_id", "county__parent_id", "region__path", "responsible_unit_id"
    )
    return [
        HazardFacts(*row, *listings.get(row[0], (None, None)))  # type: ignore[call-arg]
        for row in rows
    ]


def _applies(rule: ReminderRule, hazard: HazardFacts) -> bool:
    if rule.level and rule.level != hazard.level:
        return False
    if rule.supervised is not None and rule.supervised != (hazard.listing_deadline is not None):
        return False
    return rule.region is None or hazard.region_path.startswith(rule.region.path)


def _people(facts: list[HazardFacts]) -> dict[tuple[str, int], list[int]]:
    """Active users by (kind, place id) for the whole batch, in four queries."""
    units = {h.unit_id for h in facts if h.unit_id}
    counties = {h.county_id for h in facts}
    cities = {h.city_id for h in facts if h.city_id}
    people: dict[tuple[str, int], list[int]] = defaultdict(list)
    active = User.objects.filter(is_active=True)
    for pk, unit_id in active.filter(role=Role.UNIT_CONTACT, unit_id__in=units).values_list("pk", "unit_id"):
        people[(Recipient.UNIT_CONTACT, unit_id)].append(pk)
    for pk, region_id in active.filter(role=Role.SUPERVISOR, region_id__in=counties).values_list("pk", "region_id"):
        people[(Recipient.COUNTY_SUPERVISOR, region_id)].append(pk)
    for pk, region_id in active.filter(is_leader=True, region_id__in=counties).values_list("pk", "region_id"):
        people[(Recipient.COUNTY_LEADER, region_id)].append(pk)
    for pk, region_id in active.filter(role=Role.MUNICIPAL_OFFICE, region_id__in=cities).values_list("pk", "region_id"):
        people[(Recipient.MUNICIPAL_OFFICE, region_id)].append(pk)
    return people


def _recipients(rule: ReminderRule, hazard: HazardFacts, people: dict) -> set[int]:
    chosen: set[int] = set()
    for kind in rule.recipients:
        if kind == Recipient.UNIT_CONTACT and hazard.unit_id:
            chosen.update(people[(kind, hazard.unit_id)])
        elif kind in (Recipient.COUNTY_SUPERVISOR, Recipient.COUNTY_LEADER):
            chosen.update(people[(kind, hazard.county_id)])
        elif kind == Recipient.MUNICIPAL_OFFICE and hazard.city_id:
            chosen.update(people[(kind, hazard.city_id)])
        elif kind == Recipient.LISTING_AUTHORITY and hazard.listing_level:
            # A county listing is supervised by the county's supervisors; a city or provincial one is
            # followed by the municipal office.
            if hazard.listing_level == AuthorityLevel.COUNTY:
                chosen.update(people[(Recipient.COUNTY_SUPERVISOR, hazard.county_id)])
            elif hazard.city_id:
                chosen.update(people[(Recipient.MUNICIPAL_OFFICE, hazard.city_id)])
    return chosen


def _describe(notification: Planned) -> dict:
    return {
        "hazard": notification.hazard_id,
        "rule": notification.rule.name,
        "anchor_date": notification.anchor_date,
        "occurrence": notification.occurrence,
        "recipient": notification.recipient_id,
        "channel": notification.channel,
        "immediate": notification.immediate,
    }


# --- delivery ----------------------------------------------------------------------------------


def deliver_immediate(*, now: datetime.datetime | None = None) -> int:
    """Send each pending immediate notification on its own (major and supervised hazards)."""
    return _deliver_all(immediate=True, now=now)


def send_digests(*, now: datetime.datetime | None = None) -> int:
    """One message per recipient and channel listing all their due and overdue items; never empty."""
    return _deliver_all(immediate=False, now=now)


def _deliver_all(*, immediate: bool, now: datetime.datetime | None) -> int:
    pending = Notification.objects.filter(_sendable(now), immediate=immediate).order_by()
    groups = set(pending.values_list("recipient_id", "target_id", "channel").distinct())
    return sum(_deliver_group(*group, immediate=immediate, now=now) for group in groups)


def _sendable(now: datetime.datetime | None) -> Q:
    stale = (now or timezone.now()) - STALE_CLAIM
    return Q(status=NotificationStatus.PENDING) | Q(status=NotificationStatus.SENDING, claimed_at__lt=stale)


def _deliver_group(
    recipient_id: int | None, target_id: int | None, channel: str, *, immediate: bool, now: datetime.datetime | None
) -> int:
    """Claim the recipient's sendable rows, send one message, mark them sent: inside one transaction
    for the inbox (so it happens exactly once); claim-then-send for external channels."""
    now = now or timezone.now()
    rows = Notification.objects.filter(
        _sendable(now), recipient_id=recipient_id, target_id=target_id, channel=channel, immediate=immediate
    )
    with transaction.atomic():
        ids = list(rows.select_for_update(skip_locked=True).values_list("pk", flat=True))
        if not ids:
            return 0
        # Closing a hazard stops its reminders, and an approved extension ends the old cycle.
        closed = ~Q(hazard__status__in=OPEN_STATUSES)
        old_cycle = Q(rule__anchor=Anchor.DEADLINE) & ~Q(anchor_date=F("hazard__deadline"))
        stale = Notification.objects.filter(pk__in=ids).filter(closed | old_cycle)
        skipped = set(stale.values_list("pk", flat=True))
        Notification.objects.filter(pk__in=skipped).update(status=NotificationStatus.SKIPPED, claimed_at=now)
        ids = [pk for pk in ids if pk not in skipped]
        if not ids:
            return 0
        Notification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        if channels.is_transactional(channel):
            return _send(ids, recipient_id, target_id, channel, now)
    return _send(ids, recipient_id, target_id, channel, now)


def _send(ids: list[int], recipient_id: int | None, target_id: int | None, channel: str, now) -> int:
    items = (
        Notification.objects.filter(pk__in=ids)
        .select_related("hazard", "rule")
        .order_by("hazard__deadline", "hazard_id")
    )
    title, body = _compose(list(items), today=timezone.localdate(now))
    try:
        if target_id is not None:
            channels.send_to_robot(RobotTarget.objects.get(pk=target_id), title=title, body=body)
        else:
            channels.send(channel, recipient=User.objects.get(pk=recipient_id), title=title, body=body)
    except channels.DeliveryError as exc:
        logger.warning("Reminder to %s on %s failed: %s", recipient_id or f"robot {target_id}", channel, exc)
        Notification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.FAILED if exc.permanent else NotificationStatus.PENDING,
            last_error=str(exc)[:2000],
        )
        if exc.permanent and target_id is not None:
            channels.disable_robot(target_id, reason=str(exc))
        return 0
    Notification.objects.filter(pk__in=ids).update(status=NotificationStatus.SENT, sent_at=timezone.now())
    return 1


def _compose(items: list[Notification], *, today: datetime.date) -> tuple[str, str]:
    hazards: dict[int, Hazard] = {}
    for item in items:
        hazards.setdefault(item.hazard_id, item.hazard)
    ordered = sorted(hazards.values(), key=lambda h: (-(h.days_overdue(today)), h.deadline or today, h.pk))
    lines = []
    for hazard in ordered:
        overdue = hazard.days_overdue(today)
        if overdue:
            when = _("已逾期 %(n)d 天") % {"n": overdue}
        elif hazard.deadline == today:
            when = _("今天到期")
        else:
            when = _("%(date)s 到期") % {"date": hazard.deadline}
        lines.append(f"- {hazard.number} {hazard.title}（{when}）")
    title = _("隐患整改提醒：%(n)d 条待办") % {"n": len(ordered)}
    return title, "\n".join(lines)
