"""The sweep: plan every reminder whose time has come, once.

The sweep claims the hazards whose ``ReminderSchedule`` time has come with ``FOR UPDATE SKIP LOCKED`` (so
two sweeps or two beats never plan the same hazard at once), writes their ledger rows in one ``INSERT …
ON CONFLICT DO NOTHING`` per batch (the unique constraints keep each row once) and their next times in one
``UPDATE``. Sending happens after commit (reminders.services.delivery).

What a hazard is owed depends on a few of its facts only (level, supervised or not, deadlines, region),
which thousands of hazards share: the rules and the working-day calendar are worked out once per such
combination, not once per hazard.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from hazards.choices import OPEN_STATUSES, AuthorityLevel
from hazards.models import ReminderSchedule
from reminders.choices import Anchor, Channel, NotificationStatus, Recipient
from reminders.models import Notification, ReminderRule, RobotTarget

# Reminders go out at the start of the working day, Asia/Shanghai.
SEND_AT = datetime.time(8, 0)
# A one-shot reminder missed by a stopped sweep is still sent this many days late, not later.
CATCH_UP_DAYS = 2
# Hazards planned per transaction: enough that the statements, not the round trips, take the time.
BATCH_SIZE = 5000


@dataclass
class SweepResult:
    hazards: int = 0
    planned: int = 0
    immediate: int = 0
    plans: list[dict] = field(default_factory=list)


def sweep(
    *, now: datetime.datetime | None = None, batch_size: int = BATCH_SIZE, dry_run: bool = False, workers: int = 1
) -> SweepResult:
    """Plan every hazard whose reminder time has come; safe to run twice and concurrently.

    With ``workers`` above one, that many connections claim and plan batches side by side (SKIP LOCKED
    shares the hazards out), so the database server's cores share the work; not from inside a transaction,
    whose rows the other connections could not see. With ``dry_run``, plan everything due at ``now`` in
    one transaction that is rolled back and return in ``plans`` the ledger rows it would add."""
    now = now or timezone.now()
    if dry_run or workers <= 1 or connection.in_atomic_block:
        return _sweep(now=now, batch_size=batch_size, dry_run=dry_run)
    with ThreadPoolExecutor(max_workers=workers - 1, thread_name_prefix="sweep") as pool:
        helpers = [pool.submit(_sweep_in_thread, now=now, batch_size=batch_size) for _ in range(workers - 1)]
        results = [_sweep(now=now, batch_size=batch_size), *(helper.result() for helper in helpers)]
    return SweepResult(
        hazards=sum(r.hazards for r in results),
        planned=sum(r.planned for r in results),
        immediate=sum(r.immediate for r in results),
    )


def replan_all(now: datetime.datetime | None = None) -> int:
    """Have the next sweep look at every open hazard again: the rules changed, so the next reminder
    times computed from the old ones may be too late (a new rule firing earlier would be missed)."""
    now = now or timezone.now()
    return ReminderSchedule.objects.filter(due_at__gt=now).update(due_at=now)


def _sweep_in_thread(**kwargs: Any) -> SweepResult:
    try:
        return _sweep(**kwargs)
    finally:
        connection.close()  # this thread's own


def _sweep(*, now: datetime.datetime, batch_size: int, dry_run: bool = False) -> SweepResult:
    result = SweepResult()
    planner = Planner(now)
    while True:
        with transaction.atomic():
            claimed = _claim(now, limit=None if dry_run else batch_size)
            if not claimed:
                break
            result.hazards += len(claimed)
            rows, next_times = planner.plan(claimed)
            if dry_run:
                result.plans += planner.describe(_not_in_ledger(rows, [hazard.id for hazard in claimed]))
                transaction.set_rollback(True)
                break
            new_rows, new_immediate = _insert(rows, now=now)
            _reschedule(next_times)
            result.planned += new_rows
            if new_immediate:
                result.immediate += 1
                transaction.on_commit(_enqueue_immediate, robust=True)
    return result


def _enqueue_immediate() -> None:
    from reminders.tasks import deliver_immediate

    deliver_immediate.delay()


# A ledger row to write (reminders.models.Notification), the columns of the insert in order: hazard, rule,
# anchor date, occurrence, recipient or None, robot or None, channel, immediate. A plain tuple: a big sweep
# makes a quarter of a million of them.
Row = tuple[int, int, datetime.date, datetime.date, int | None, int | None, str, bool]


class Facts(NamedTuple):
    id: int
    status: str
    level: str
    deadline: datetime.date | None
    county_id: int
    city_id: int | None
    region_path: str
    unit_id: int | None
    listing_deadline: datetime.date | None
    listing_level: str | None

    @property
    def signature(self) -> tuple:
        """All that decides which rules fire for the hazard and when: hazards that share it share a plan."""
        return (self.level, self.deadline, self.listing_deadline, self.region_path)

    @property
    def addressing(self) -> tuple:
        """That, and all that decides who hears: hazards that share it share their ledger rows but the id."""
        return (*self.signature, self.unit_id, self.county_id, self.city_id, self.listing_level)


class Fired(NamedTuple):
    rule: ReminderRule
    anchor_date: datetime.date
    occurrence: datetime.date


class Planner:
    """The active rules and robots, read once per sweep, and the plans worked out so far."""

    def __init__(self, now: datetime.datetime) -> None:
        self.today = timezone.localdate(now)
        # Deadline rules only: event rules are planned from the events (reminders.services.events).
        self.rules = list(ReminderRule.objects.filter(is_active=True, event="").select_related("region"))
        self.robots = list(RobotTarget.objects.filter(is_active=True).select_related("region"))
        self._plans: dict[tuple, tuple[list[Fired], datetime.datetime | None]] = {}
        self._dates: dict[tuple[int, datetime.date], tuple[datetime.date | None, datetime.date | None]] = {}
        self._robots: dict[str, list[int]] = {}
        self._rows: dict[tuple, list[tuple]] = {}

    def plan(self, claimed: list[Facts]) -> tuple[list[Row], list[tuple[int, datetime.datetime | None]]]:
        """The ledger rows due now for these hazards, and each hazard's next time (None: nothing more)."""
        facts = [hazard for hazard in claimed if hazard.status in OPEN_STATUSES]
        people = _people([hazard for hazard in facts if hazard.addressing not in self._rows])
        rows: list[Row] = []
        # Closed or voided since they were scheduled: nothing more to plan.
        next_times = [(hazard.id, None) for hazard in claimed if hazard.status not in OPEN_STATUSES]
        for hazard in facts:
            key = hazard.addressing
            if key not in self._rows:
                self._rows[key] = self._rows_of(hazard, people)
            rows += [(hazard.id, *row) for row in self._rows[key]]
            next_times.append((hazard.id, self._plan(hazard)[1]))
        return rows, next_times

    def _rows_of(self, hazard: Facts, people: dict[tuple[str, int], list[int]]) -> list[tuple]:
        """The ledger rows of a hazard but its id: the same for every hazard with the same addressing."""
        rows: list[tuple] = []
        for rule, anchor_date, occurrence in self._plan(hazard)[0]:
            personal = [channel for channel in rule.channels if channel != Channel.ROBOT]
            for recipient_id in sorted(_recipients(rule, hazard, people)) if personal else ():
                rows += [(rule.pk, anchor_date, occurrence, recipient_id, None, c, rule.immediate) for c in personal]
            if Channel.ROBOT in rule.channels:
                rows += [
                    (rule.pk, anchor_date, occurrence, None, target_id, Channel.ROBOT, rule.immediate)
                    for target_id in self._robots_of(hazard.region_path)
                ]
        return rows

    def _plan(self, hazard: Facts) -> tuple[list[Fired], datetime.datetime | None]:
        if hazard.signature not in self._plans:
            fired: list[Fired] = []
            next_date: datetime.date | None = None
            for rule in self.rules:
                if not _applies(rule, hazard):
                    continue
                anchor = hazard.deadline if rule.anchor == Anchor.DEADLINE else hazard.listing_deadline
                if anchor is None:
                    continue
                occurrence, upcoming = self._rule_dates(rule, anchor)
                if occurrence is not None:
                    fired.append(Fired(rule, anchor, occurrence))
                if upcoming is not None and (next_date is None or upcoming < next_date):
                    next_date = upcoming
            next_at = timezone.make_aware(datetime.datetime.combine(next_date, SEND_AT)) if next_date else None
            self._plans[hazard.signature] = (fired, next_at)
        return self._plans[hazard.signature]

    def _rule_dates(
        self, rule: ReminderRule, anchor: datetime.date
    ) -> tuple[datetime.date | None, datetime.date | None]:
        """The occurrence to send now, if any, and the next one after today."""
        key = (rule.pk, anchor)
        if key not in self._dates:
            occurrence = rule.occurrence_on(anchor, self.today)
            if occurrence is not None and not rule.repeat_daily and (self.today - occurrence).days > CATCH_UP_DAYS:
                occurrence = None
            self._dates[key] = (occurrence, rule.next_date(anchor, self.today))
        return self._dates[key]

    def _robots_of(self, region_path: str) -> list[int]:
        if region_path not in self._robots:
            self._robots[region_path] = [r.pk for r in self.robots if region_path.startswith(r.region.path)]
        return self._robots[region_path]

    def describe(self, rows: Iterable[Row]) -> list[dict]:
        names = {rule.pk: rule.name for rule in self.rules}
        fields = ("hazard", "rule", "anchor_date", "occurrence", "recipient", "target", "channel", "immediate")
        return [
            dict(zip(fields, (hazard_id, names[rule_id], *rest), strict=True))
            for hazard_id, rule_id, *rest in sorted(rows, key=lambda r: (r[0], r[1], r[4] or 0, r[5] or 0, r[6]))
        ]


def _claim(now: datetime.datetime, *, limit: int | None) -> list[Facts]:
    """Lock the schedule rows of the hazards due (not the hazards: they stay free for their users), with
    the hazards' facts in the same query."""
    active_listing = FilteredRelation(
        "hazard__supervision_listings", condition=Q(hazard__supervision_listings__lifted_at__isnull=True)
    )
    rows = (
        ReminderSchedule.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(due_at__lte=now)
        .annotate(listing=active_listing)
        .order_by("due_at")
        .values_list(
            "hazard_id",
            "hazard__status",
            "hazard__level",
            "hazard__deadline",
            "hazard__county_id",
            "hazard__county__parent_id",
            "hazard__region__path",
            "hazard__responsible_unit_id",
            "listing__deadline",
            "listing__authority_level",
        )[:limit]
    )
    return [Facts(*row) for row in rows]


def _applies(rule: ReminderRule, hazard: Facts) -> bool:
    if rule.level and rule.level != hazard.level:
        return False
    if rule.supervised is not None and rule.supervised != (hazard.listing_deadline is not None):
        return False
    return rule.region is None or hazard.region_path.startswith(rule.region.path)


def _people(facts: list[Facts]) -> dict[tuple[str, int], list[int]]:
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


def _recipients(rule: ReminderRule, hazard: Facts, people: dict) -> set[int]:
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


def _not_in_ledger(rows: list[Row], ids: list[int]) -> list[Row]:
    """What a dry run reports: the rows the insert would add."""
    keys = ("hazard_id", "rule_id", "anchor_date", "occurrence", "recipient_id", "target_id", "channel")
    existing = set(Notification.objects.filter(hazard_id__in=ids).values_list(*keys))
    return [row for row in rows if row[:7] not in existing]


# --- the two statements of a batch ------------------------------------------------------------------------

# ON CONFLICT DO NOTHING: the unique constraints keep a row once; RETURNING tells what is new.
_INSERT = f"""
INSERT INTO {Notification._meta.db_table} (hazard_id, rule_id, anchor_date, occurrence, recipient_id, target_id,
    channel, immediate{{event}}, status, attempts, last_error, created_at)
SELECT planned.*, '{NotificationStatus.PENDING}', 0, '', %s FROM ({{planned}}) AS planned WHERE true
ON CONFLICT DO NOTHING
RETURNING immediate
"""

_RESCHEDULE = f"""
UPDATE {ReminderSchedule._meta.db_table} SET due_at = next_times.due_at
FROM ({{next_times}}) AS next_times
WHERE {ReminderSchedule._meta.db_table}.hazard_id = next_times.hazard_id
"""

_ROW_TYPES = {
    "hazard_id": "bigint",
    "rule_id": "bigint",
    "anchor_date": "date",
    "occurrence": "date",
    "recipient_id": "bigint",
    "target_id": "bigint",
    "channel": "text",
    "immediate": "boolean",
}


def _insert(rows: Sequence[tuple], *, now: datetime.datetime, events: bool = False) -> tuple[int, bool]:
    """Write the rows in one statement; return how many were new and whether any new one is to be sent at
    once. With ``events``, each row ends with the id of the workflow event it tells of."""
    if not rows:
        return 0, False
    planned = literal_table({**_ROW_TYPES, "event_id": "bigint"} if events else _ROW_TYPES, rows)
    statement = _INSERT.format(planned=planned.sql, event=", event_id" if events else "")
    with connection.cursor() as cursor:
        cursor.execute(statement, [now, *planned.params])
        flags = [immediate for (immediate,) in cursor.fetchall()]
    return len(flags), any(flags)


def _reschedule(next_times: list[tuple[int, datetime.datetime | None]]) -> None:
    table = literal_table({"hazard_id": "bigint", "due_at": "timestamptz"}, next_times)
    with connection.cursor() as cursor:
        cursor.execute(_RESCHEDULE.format(next_times=table.sql), table.params)


@dataclass(frozen=True)
class LiteralTable:
    sql: str
    params: list[Any]


def literal_table(columns: dict[str, str], rows: Sequence[Sequence[Any]]) -> LiteralTable:
    """A table given by its rows, as a query that PostgreSQL and the SQLite of ``make run`` both read.

    PostgreSQL gets one array literal per column, a string it parses in one go: a hundred thousand rows
    cost it a tenth of what as many parameters or an ``ARRAY[…]`` of them would. SQLite, which has no
    arrays, gets one JSON document of the rows."""
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{sql_type}[]" for sql_type in columns.values())
        if rows:
            params = [_pg_array(c, t) for c, t in zip(zip(*rows, strict=True), columns.values(), strict=True)]
        else:
            params = ["{}" for _ in columns]
        return LiteralTable(f"SELECT * FROM unnest({arrays}) AS t({', '.join(columns)})", params)
    items = ", ".join(f"json_extract(value, '$[{i}]') AS {name}" for i, name in enumerate(columns))
    return LiteralTable(f"SELECT {items} FROM json_each(%s)", [json.dumps(rows, default=_sqlite_value)])


def _pg_array(values: Sequence[Any], sql_type: str) -> str:
    if sql_type == "text":
        items = ("NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
        return "{" + ",".join(items) + "}"
    # str() of ints, booleans, dates and aware datetimes is what PostgreSQL reads, and none of them
    # contains "None": the fastest way there for the million values of a big sweep.
    return "{" + ",".join(map(str, values)).replace("None", "NULL") + "}"


def _sqlite_value(value: Any) -> Any:
    # Dates and times as Django stores them in SQLite, so that they compare as stored.
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    raise TypeError(f"{value!r} has no SQLite form")
