"""Delivery: claim, send, record. One message per recipient and channel, or several for a group robot whose
list does not fit one message; each ledger row is marked sent only once the message carrying it is out.

The inbox claims, delivers and marks sent in one transaction, so it happens exactly once. An external
channel cannot join a transaction, so each message is an outbox entry on the ledger rows it carries:

1. Claim: under a lock per recipient, channel and kind (one run at a time takes a recipient's rows, so they
   go out in one message), the sendable rows are locked, composed into messages, and each message's rows
   are marked ``sending`` with the message's key and the claim time; committed.
2. Send: before each message the run renews the claims it still holds (a run longer than ``CLAIM_EXPIRY``
   never lets another take them), then sends it keyed on its key (the email's Message-ID).
3. Record: the key goes into the send journal in Redis at once, then the rows are marked sent. A database
   error between send and mark leaves the rows ``sending``; whoever claims them again (after
   ``CLAIM_EXPIRY``: a killed worker's rows too) finds the key in the journal and marks them sent, without
   sending again. Only a worker killed between the channel's answer and the journal write can send twice.

A temporary failure puts the rows back with a backoff (``retry_at``); after ``MAX_ATTEMPTS`` they are
``failed`` for good, with the error, in the ledger the administrators see. ``deliver_due`` runs every
minute: immediate reminders, retries, and whatever the day's digest has not sent (a fault during it).
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import redis
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from hazards.choices import OPEN_STATUSES, Action
from hazards.models import days_overdue
from reminders import channels, robots, sms
from reminders.choices import Anchor, Channel, NotificationStatus
from reminders.models import Notification, RobotTarget

logger = logging.getLogger(__name__)

# A claim not renewed for this long is a dead worker's: its rows are taken again (journal first).
CLAIM_EXPIRY = datetime.timedelta(minutes=1)
# A temporary failure is tried again after these waits, then the rows are failed for good.
BACKOFF = tuple(datetime.timedelta(minutes=m) for m in (1, 2, 5, 10, 30, 60, 120))
MAX_ATTEMPTS = len(BACKOFF) + 1
# When beat sends the daily digest (config/celery.py, "reminders-digest"); rows planned before it and not
# yet sent are the digest's, which deliver_due finishes if the digest task itself could not.
DIGEST_AT = datetime.time(8, 30)
# How long the send journal remembers a message: far longer than any claim can stay unrenewed.
JOURNAL_TTL = datetime.timedelta(days=2)

SENDING, SENT = NotificationStatus.SENDING, NotificationStatus.SENT
Clock = Callable[[], datetime.datetime]


def deliver_immediate(*, now: datetime.datetime | None = None) -> int:
    """Send each pending immediate notification on its own (major and supervised hazards)."""
    return _deliver_all(Q(immediate=True), now=now)


def send_digests(*, now: datetime.datetime | None = None) -> int:
    """One message per recipient and channel listing all their due and overdue items; never empty."""
    return _deliver_all(Q(immediate=False), now=now)


def deliver_due(*, now: datetime.datetime | None = None) -> int:
    """Every minute: immediate reminders, retries whose time has come, and the rows of the last digest
    still unsent (a worker killed or a database restarted during it, the digest task itself lost)."""
    now = now or timezone.now()
    return _deliver_all(Q(immediate=True) | Q(immediate=False, created_at__lt=last_digest(now)), now=now)


def last_digest(now: datetime.datetime) -> datetime.datetime:
    """The latest daily digest time at or before ``now`` (Asia/Shanghai has no daylight saving)."""
    local = timezone.localtime(now)
    moment = local.replace(hour=DIGEST_AT.hour, minute=DIGEST_AT.minute, second=0, microsecond=0)
    return moment if moment <= local else moment - datetime.timedelta(days=1)


def _deliver_all(which: Q, *, now: datetime.datetime | None) -> int:
    """One group per recipient (or robot), channel and kind, found in one query, with the people and
    robots in two more; then each group on its own, a fault in one leaving the others to go out."""
    now = now or timezone.now()
    clock = _clock(now)
    pending = Notification.objects.filter(_sendable(now), which).order_by()
    groups = list(pending.values_list("recipient_id", "target_id", "channel", "immediate").distinct())
    users = User.objects.in_bulk({recipient for recipient, _, _, _ in groups if recipient is not None})
    robots_ = RobotTarget.objects.in_bulk({target for _, target, _, _ in groups if target is not None})
    sent = 0
    for recipient, target, channel, immediate in groups:
        group = Group(
            users.get(recipient) if recipient else None, robots_.get(target) if target else None, channel, immediate
        )
        try:
            sent += _deliver_group(group, which, now=now, clock=clock)
        except Exception:
            # A database restart, Redis gone, a bug: this group's rows stay pending or claimed and a later
            # run (within a minute or two) takes them; the other recipients still get theirs now.
            logger.exception("Reminder delivery to %s on %s failed; retried by a later run", group, channel)
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
    return sent


def _clock(now: datetime.datetime) -> Clock:
    """``now`` moving on with the run: claims are stamped when taken, not when the run began."""
    start = time.monotonic()
    return lambda: now + datetime.timedelta(seconds=time.monotonic() - start)


def _sendable(now: datetime.datetime) -> Q:
    due = Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    return Q(due, status=NotificationStatus.PENDING) | Q(status=SENDING, claimed_at__lt=now - CLAIM_EXPIRY)


@dataclass(frozen=True)
class Group:
    """Whom one message goes to: a person on a channel, or a group robot; immediate or digest."""

    recipient: User | None
    robot: RobotTarget | None
    channel: str
    immediate: bool = False

    def __str__(self) -> str:
        return f"user {self.recipient.pk}" if self.recipient else f"robot {self.robot.pk if self.robot else '?'}"

    def lock_name(self) -> str:
        to = f"user:{self.recipient.pk}" if self.recipient else f"robot:{self.robot.pk if self.robot else 0}"
        return f"reminders:{to}:{self.channel}:{int(self.immediate)}"


class Item(NamedTuple):
    pk: int
    hazard_id: int
    number: str
    title: str
    deadline: datetime.date | None
    status: str
    anchor: str
    anchor_date: datetime.date
    message_key: uuid.UUID | None
    # A workflow event's row (reminders.services.events): the action and its comment; None for reminders.
    action: str | None
    comment: str | None
    changes: dict | None

    @property
    def stale(self) -> bool:
        """Closing a hazard stops its reminders, and an approved extension ends the old cycle. A workflow
        event is told whatever happened since: it did happen."""
        if self.action is not None:
            return False
        return self.status not in OPEN_STATUSES or (
            self.anchor == Anchor.DEADLINE and self.anchor_date != self.deadline
        )


@dataclass
class Message:
    title: str
    body: str
    ids: list[int]
    key: uuid.UUID = field(default_factory=uuid.uuid4)
    # [hazard id, line] per line: the inbox shows each line as a link to its hazard.
    items: list[list] = field(default_factory=list)


def _deliver_group(group: Group, which: Q, *, now: datetime.datetime, clock: Clock) -> int:
    """Claim the group's sendable rows and send them: inside one transaction for the inbox (so it happens
    exactly once); claim and commit, then send and record each message, for external channels."""
    if group.recipient is None and group.robot is None:
        return 0  # deleted since the query of groups: nothing to send to (the rows are PROTECTed)
    rows = Notification.objects.filter(
        _sendable(now),
        which,
        recipient=group.recipient,
        target=group.robot,
        channel=group.channel,
        immediate=group.immediate,
    )
    with transaction.atomic():
        if not _try_lock(group):
            return 0  # another run is claiming this recipient's rows: they go out in its message
        items = [
            Item(*row)
            for row in rows.select_for_update(of=("self",)).values_list(
                "pk",
                "hazard_id",
                "hazard__number",
                "hazard__title",
                "hazard__deadline",
                "hazard__status",
                "rule__anchor",
                "anchor_date",
                "message_key",
                "event__action",
                "event__comment",
                "event__changes",
            )
        ]
        items = _unless_journalled(items)
        skipped = [item.pk for item in items if item.stale]
        if skipped:
            Notification.objects.filter(pk__in=skipped).update(status=NotificationStatus.SKIPPED, claimed_at=clock())
        items = [item for item in items if not item.stale]
        if not items:
            return 0
        messages = _compose(items, today=timezone.localdate(now), channel=group.channel)
        if channels.is_transactional(group.channel):
            (message,) = messages
            channels.send(
                group.channel, recipient=group.recipient, title=message.title, body=message.body, items=message.items
            )
            at = clock()
            Notification.objects.filter(pk__in=message.ids).update(
                status=SENT, sent_at=at, claimed_at=at, attempts=F("attempts") + 1, retry_at=None
            )
            return 1
        for message in messages:
            Notification.objects.filter(pk__in=message.ids).update(
                status=SENDING, claimed_at=clock(), message_key=message.key, retry_at=None
            )
    return _send_all(group, messages, clock=clock)


def _try_lock(group: Group) -> bool:
    """A transaction lock per recipient, channel and kind: two runs at once never split a recipient's rows
    between two messages (row locks alone let each take some of them)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [group.lock_name()])
        return bool(cursor.fetchone()[0])


def _send_all(group: Group, messages: list[Message], *, clock: Clock) -> int:
    sent = 0
    for n, message in enumerate(messages):
        held = messages[n:]
        # Renewed before each message: a run longer than CLAIM_EXPIRY keeps what it has not sent yet.
        Notification.objects.filter(
            pk__in=[pk for m in held for pk in m.ids], message_key__in=[m.key for m in held], status=SENDING
        ).update(claimed_at=clock())
        if not Notification.objects.filter(pk__in=message.ids, message_key=message.key, status=SENDING).update(
            attempts=F("attempts") + 1
        ):
            continue  # taken by another run: ours ran past its claim (it renews, so only if it stalled)
        logger.info("Sending message %s to %s on %s (%d rows)", message.key, group, group.channel, len(message.ids))
        try:
            if group.robot is not None:
                channels.send_to_robot(group.robot, title=message.title, body=message.body)
            else:
                channels.send(
                    group.channel,
                    recipient=group.recipient,
                    title=message.title,
                    body=message.body,
                    key=message.key.hex,
                )
        except channels.DeliveryError as exc:
            _failed(group, held, exc, at=clock())
            return sent
        _record(message, at=clock())
        sent += 1
    return sent


def _record(message: Message, *, at: datetime.datetime) -> None:
    """The journal first, then the ledger: a database error after the send leaves the journal to say so."""
    client = channels.redis_client()
    if client is not None:
        try:
            client.set(_journal_key(message.key), at.isoformat(), ex=JOURNAL_TTL)
        except redis.RedisError:
            logger.warning("Send journal unavailable: message %s is recorded in the ledger only", message.key)
    Notification.objects.filter(pk__in=message.ids, message_key=message.key).update(
        status=SENT, sent_at=at, last_error=""
    )


def _unless_journalled(items: list[Item]) -> list[Item]:
    """Rows of a message that went out though its rows were never marked (a database error after the send,
    a worker killed after the journal) are marked sent now, not sent again. With Redis unreachable the
    claim is left for a later run rather than guessed (the error ends this group's attempt)."""
    keys = list({item.message_key for item in items if item.message_key is not None})
    client = channels.redis_client()
    if not keys or client is None:
        return items
    sent_at = dict(zip(keys, client.mget([_journal_key(key) for key in keys]), strict=True))
    for key, value in sent_at.items():
        if value is not None:
            at = datetime.datetime.fromisoformat(value.decode())
            ids = [item.pk for item in items if item.message_key == key]
            Notification.objects.filter(pk__in=ids).update(status=SENT, sent_at=at, last_error="")
            logger.info("Message %s was sent before its rows were marked; marked now, not sent again", key)
    return [item for item in items if item.message_key is None or sent_at[item.message_key] is None]


def _journal_key(key: uuid.UUID) -> str:
    return f"reminders:sent:{key.hex}"


def _failed(group: Group, held: list[Message], exc: channels.DeliveryError, *, at: datetime.datetime) -> None:
    """The first held message was tried and failed; it and the rest are put back (or failed for good)."""
    logger.warning("Reminder to %s on %s failed: %s", group, group.channel, exc)
    error = str(exc)[:2000]
    tried, rest = held[0], [pk for m in held[1:] for pk in m.ids]
    if exc.permanent:
        ids = [*tried.ids, *rest]
        Notification.objects.filter(pk__in=ids).update(status=NotificationStatus.FAILED, last_error=error)
        if group.robot is not None:
            channels.disable_robot(group.robot.pk, reason=str(exc))
        return
    rows = Notification.objects.filter(pk__in=tried.ids)
    if not exc.attempted:
        rows.update(attempts=F("attempts") - 1)  # a full rate-limit window or no limiter: nothing was tried
    attempts = rows.aggregate(n=Max("attempts"))["n"] or 1
    wait = BACKOFF[min(attempts, len(BACKOFF)) - 1] if exc.attempted else datetime.timedelta(0)
    wait = max(wait, datetime.timedelta(seconds=exc.retry_after or 0))
    rows.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=NotificationStatus.FAILED,
        last_error=_("已尝试 %(n)d 次仍失败：%(error)s") % {"n": attempts, "error": error},
    )
    Notification.objects.filter(pk__in=[*tried.ids, *rest], status=SENDING).update(
        status=NotificationStatus.PENDING, retry_at=at + wait, message_key=None, last_error=error
    )


def _compose(items: list[Item], *, today: datetime.date, channel: str) -> list[Message]:
    """The digest: each workflow event first (newest last), then each hazard's reminder once, most overdue
    first, then by deadline; on a channel with a size limit (group robot, SMS) in as many messages as it
    needs, each line and its rows in one of them, none cut."""
    # Translated once per message, not once per line: a digest has hundreds.
    late, due_today, due_on = _("已逾期 %(n)d 天"), _("今天到期"), _("%(date)s 到期")
    new_deadline = _("（整改期限 %(date)s）")
    actions = dict(Action.choices)
    # One line per event (the rows of one event to one person on one channel are one row), then one per
    # hazard for the reminders: (hazard id, line, row ids).
    entries: list[tuple[int, str, list[int]]] = []
    for item in sorted((i for i in items if i.action is not None), key=lambda i: i.pk):
        said = f"：{_shorten(item.comment)}" if item.comment else ""
        # 交单, 改派, 批准延期: the deadline the unit now works to.
        deadline = [*(item.changes or {}).get("deadline", []), None, None][1]
        if deadline:
            said += new_deadline % {"date": deadline}
        entries.append(
            (
                item.hazard_id,
                f"- 【{actions.get(item.action, item.action)}】{item.number} {item.title}{said}",
                [item.pk],
            )
        )
    reminders = [item for item in items if item.action is None]
    by_hazard: dict[int, list[int]] = defaultdict(list)
    for item in reminders:
        by_hazard[item.hazard_id].append(item.pk)
    hazards = {item.hazard_id: item for item in reminders}
    overdue = {pk: days_overdue(item.deadline, item.status, today) for pk, item in hazards.items()}
    ordered = sorted(hazards.values(), key=lambda h: (-overdue[h.hazard_id], h.deadline or today, h.hazard_id))
    for hazard in ordered:
        if overdue[hazard.hazard_id]:
            when = late % {"n": overdue[hazard.hazard_id]}
        elif hazard.deadline == today:
            when = due_today
        else:
            when = due_on % {"date": hazard.deadline}
        entries.append((hazard.hazard_id, f"- {hazard.number} {hazard.title}（{when}）", by_hazard[hazard.hazard_id]))
    lines = [line for _hazard, line, _ids in entries]
    if not reminders:
        title = _("隐患办理通知：%(n)d 条") % {"n": len(entries)}
        if len(entries) == 1:
            (only,) = items
            title = _("%(action)s：%(number)s") % {"action": actions.get(only.action or "", ""), "number": only.number}
    else:
        title = _("隐患整改提醒：%(n)d 条待办") % {"n": len(entries)}
    limit = _LIMITS.get(channel)
    if limit is None:
        links = [[hazard_id, line.removeprefix("- ")] for hazard_id, line, _ids in entries]
        return [Message(title, "\n".join(lines), [item.pk for item in items], items=links)]
    numbered = _("（%(part)d/%(parts)d）")
    size, room = limit
    parts = _pack(lines, size=size, budget=room(title + numbered % {"part": len(lines), "parts": len(lines)}))
    messages = []
    for n, part in enumerate(parts, start=1):
        heading = title if len(parts) == 1 else title + numbered % {"part": n, "parts": len(parts)}
        ids = [pk for i in part for pk in entries[i][2]]
        messages.append(Message(heading, "\n".join(lines[i] for i in part), ids))
    return messages


def _shorten(text: str | None, limit: int = 60) -> str:
    """A comment on one line, cut to ``limit`` characters: the hazard's page has the whole of it."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _utf8_size(text: str) -> int:
    return len(text.encode())


# Per channel with a size limit: how text is measured, and the room a title leaves for the lines (the
# robot's markdown is "### title\n" then the lines; an SMS is "title\n" then the lines).
_LIMITS: dict[str, tuple[Callable[[str], int], Callable[[str], int]]] = {
    Channel.ROBOT: (_utf8_size, lambda title: robots.MAX_MARKDOWN_BYTES - _utf8_size(f"### {title}\n")),
    Channel.SMS: (len, lambda title: sms.MAX_TEXT_CHARS - len(f"{title}\n")),
}


def _pack(lines: list[str], *, size: Callable[[str], int], budget: int) -> list[list[int]]:
    """The indexes of ``lines`` in order, in as few groups as fit ``budget`` each, a line never split
    between two (one longer than a whole message goes alone, and the channel cuts it)."""
    parts: list[list[int]] = []
    used = 0
    for index, line in enumerate(lines):
        more = size(line) + 1  # with its newline; the last line's is spare
        if not parts or used + more - 1 > budget:
            parts.append([])
            used = 0
        parts[-1].append(index)
        used += more
    return parts
