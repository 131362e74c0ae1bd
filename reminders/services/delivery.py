"""Delivery: claim each ledger row before sending it, send one message per recipient and channel.

The inbox claims, delivers and marks sent in one transaction, so it happens exactly once; external
channels claim in one transaction, send, and mark the result in another (a worker killed in between
leaves the rows claimed, and they are tried again after ``STALE_CLAIM``).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import NamedTuple

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from hazards.choices import OPEN_STATUSES
from hazards.models import days_overdue
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
    """One group per recipient (or robot) and channel, found in one query, with the people and robots
    in two more; then each group on its own, in its own transaction."""
    now = now or timezone.now()
    pending = Notification.objects.filter(_sendable(now), immediate=immediate).order_by()
    groups = list(pending.values_list("recipient_id", "target_id", "channel").distinct())
    users = User.objects.in_bulk({recipient for recipient, _, _ in groups if recipient is not None})
    robots = RobotTarget.objects.in_bulk({target for _, target, _ in groups if target is not None})
    return sum(
        _deliver_group(
            Group(users.get(recipient) if recipient else None, robots.get(target) if target else None, channel),
            immediate=immediate,
            now=now,
        )
        for recipient, target, channel in groups
    )


def _sendable(now: datetime.datetime) -> Q:
    stale = now - STALE_CLAIM
    return Q(status=NotificationStatus.PENDING) | Q(status=NotificationStatus.SENDING, claimed_at__lt=stale)


@dataclass(frozen=True)
class Group:
    """Whom one message goes to: a person on a channel, or a group robot."""

    recipient: User | None
    robot: RobotTarget | None
    channel: str

    def __str__(self) -> str:
        return f"user {self.recipient.pk}" if self.recipient else f"robot {self.robot.pk if self.robot else '?'}"


class Item(NamedTuple):
    pk: int
    hazard_id: int
    number: str
    title: str
    deadline: datetime.date | None
    status: str
    anchor: str
    anchor_date: datetime.date

    @property
    def stale(self) -> bool:
        """Closing a hazard stops its reminders, and an approved extension ends the old cycle."""
        return self.status not in OPEN_STATUSES or (
            self.anchor == Anchor.DEADLINE and self.anchor_date != self.deadline
        )


def _deliver_group(group: Group, *, immediate: bool, now: datetime.datetime) -> int:
    """Claim the group's sendable rows, send one message, mark them sent: inside one transaction for the
    inbox (so it happens exactly once); claim, commit, send, mark for external channels. The claim reads
    what the message says in the same query; every change is one UPDATE over the group's rows."""
    if group.recipient is None and group.robot is None:
        return 0  # deleted since the query of groups: nothing to send to (the rows are PROTECTed)
    rows = Notification.objects.filter(
        _sendable(now),
        recipient=group.recipient,
        target=group.robot,
        channel=group.channel,
        immediate=immediate,
    )
    with transaction.atomic():
        items = [
            Item(*row)
            for row in rows.select_for_update(skip_locked=True, of=("self",)).values_list(
                "pk",
                "hazard_id",
                "hazard__number",
                "hazard__title",
                "hazard__deadline",
                "hazard__status",
                "rule__anchor",
                "anchor_date",
            )
        ]
        skipped = [item.pk for item in items if item.stale]
        if skipped:
            Notification.objects.filter(pk__in=skipped).update(status=NotificationStatus.SKIPPED, claimed_at=now)
        items = [item for item in items if not item.stale]
        if not items:
            return 0
        ids = [item.pk for item in items]
        title, body = _compose(items, today=timezone.localdate(now))
        if channels.is_transactional(group.channel):
            return _send(group, ids, title=title, body=body, now=now)
        Notification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return _send(group, ids, title=title, body=body, now=now, claimed=True)


def _send(group: Group, ids: list[int], *, title: str, body: str, now: datetime.datetime, claimed: bool = False) -> int:
    """Send, then mark the rows with the result in one UPDATE (counting the attempt unless the claim did)."""
    attempt = {} if claimed else {"claimed_at": now, "attempts": F("attempts") + 1}
    rows = Notification.objects.filter(pk__in=ids)
    try:
        if group.robot is not None:
            channels.send_to_robot(group.robot, title=title, body=body)
        else:
            channels.send(group.channel, recipient=group.recipient, title=title, body=body)
    except channels.DeliveryError as exc:
        logger.warning("Reminder to %s on %s failed: %s", group, group.channel, exc)
        rows.update(
            status=NotificationStatus.FAILED if exc.permanent else NotificationStatus.PENDING,
            last_error=str(exc)[:2000],
            **attempt,
        )
        if exc.permanent and group.robot is not None:
            channels.disable_robot(group.robot.pk, reason=str(exc))
        return 0
    rows.update(status=NotificationStatus.SENT, sent_at=timezone.now(), **attempt)
    return 1


def _compose(items: list[Item], *, today: datetime.date) -> tuple[str, str]:
    """The digest: each hazard once, most overdue first, then by deadline."""
    hazards = {item.hazard_id: item for item in items}
    overdue = {pk: days_overdue(item.deadline, item.status, today) for pk, item in hazards.items()}
    ordered = sorted(hazards.values(), key=lambda h: (-overdue[h.hazard_id], h.deadline or today, h.hazard_id))
    # Translated once per message, not once per line: a digest has hundreds.
    late, due_today, due_on = _("已逾期 %(n)d 天"), _("今天到期"), _("%(date)s 到期")
    lines = []
    for hazard in ordered:
        if overdue[hazard.hazard_id]:
            when = late % {"n": overdue[hazard.hazard_id]}
        elif hazard.deadline == today:
            when = due_today
        else:
            when = due_on % {"date": hazard.deadline}
        lines.append(f"- {hazard.number} {hazard.title}（{when}）")
    title = _("隐患整改提醒：%(n)d 条待办") % {"n": len(ordered)}
    return title, "\n".join(lines)
