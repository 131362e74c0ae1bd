"""Delivery: claim each ledger row before sending it, send one message per recipient and channel.

The inbox claims, delivers and marks sent in one transaction, so it happens exactly once; external
channels claim in one transaction, send, and mark the result in another (a worker killed in between
leaves the rows claimed, and they are tried again after ``STALE_CLAIM``).
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from hazards.choices import OPEN_STATUSES
from hazards.models import Hazard
from reminders import channels
from reminders.choices import Anchor, NotificationStatus
from reminders.models import Notification, RobotTarget

logger = logging.getLogger(__name__)

# A row claimed for sending but never marked sent (worker killed) is retried after this long.
STALE_CLAIM = datetime.timedelta(minutes=10)


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
