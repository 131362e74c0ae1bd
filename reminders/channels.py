"""Where a reminder goes. One function per channel behind ``send``; the inbox writes in the caller's
transaction, so claiming, delivering and marking sent happen together, exactly once."""

from __future__ import annotations

import functools
import smtplib

import redis
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import User
from reminders import robots, sms
from reminders.choices import Channel
from reminders.models import InboxMessage, RobotTarget


class DeliveryError(Exception):
    """A message not handed over. ``permanent``: retrying cannot help; otherwise retry, not before
    ``retry_after`` seconds when given."""

    def __init__(
        self, message: str, *, permanent: bool, retry_after: float | None = None, attempted: bool = True
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        # False when nothing reached the channel (a full rate-limit window): not counted as an attempt.
        self.attempted = attempted


def is_transactional(channel: str) -> bool:
    return channel == Channel.INBOX


def send(
    channel: str, *, recipient: User, title: str, body: str, key: str = "", items: list[list] | None = None
) -> None:
    """Send one message; ``key`` names it (the email's Message-ID), the same on every attempt. ``items``
    ([hazard id, line] per line) make the inbox show each line as a link to its hazard."""
    if channel == Channel.INBOX:
        InboxMessage.objects.create(recipient=recipient, title=title, body=body, items=items or [])
    elif channel == Channel.EMAIL:
        _email(recipient, title, body, key)
    elif channel == Channel.SMS:
        _sms(recipient, title, body)
    else:
        raise DeliveryError(f"unknown channel {channel!r}", permanent=True)


def _email(recipient: User, title: str, body: str, key: str) -> None:
    if not recipient.email:
        raise DeliveryError("recipient has no email address", permanent=True)
    # A stable Message-ID: should a message ever go out twice, mail systems see one message.
    headers = {"Message-ID": f"<reminder-{key}@hazard-ledger>"} if key else {}
    try:
        EmailMessage(title, body, settings.DEFAULT_FROM_EMAIL, [recipient.email], headers=headers).send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(str(exc), permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(str(exc), permanent=False) from exc


def _sms(recipient: User, title: str, body: str) -> None:
    if not recipient.phone:
        raise DeliveryError("recipient has no phone number", permanent=True)
    try:
        sms.send_sms(recipient.phone, f"{title}\n{body}")
    except sms.SmsError as exc:
        raise DeliveryError(str(exc), permanent=exc.permanent) from exc


def send_to_robot(target: RobotTarget, *, title: str, body: str) -> None:
    """One markdown message to a group robot, within its 20 a minute shared by every worker; when the
    window is full, or Redis cannot say, the rows are retried by a later delivery run."""
    limiter = _rate_limiter()
    if limiter is not None:
        try:
            wait = limiter.acquire(target.webhook_url)
        except redis.RedisError as exc:
            raise DeliveryError(
                f"robot rate limiter unavailable ({type(exc).__name__})",
                permanent=False,
                retry_after=60,
                attempted=False,
            ) from exc
        if wait > 0:
            raise DeliveryError(
                f"robot rate limit reached, retry in {wait:.0f} s", permanent=False, retry_after=wait, attempted=False
            )
    try:
        robots.send_markdown(
            robots.Robot(kind=target.kind, webhook_url=target.webhook_url, secret=target.secret),
            title=title,
            text=body,
        )
    except robots.RobotError as exc:
        raise DeliveryError(str(exc), permanent=exc.permanent, retry_after=exc.retry_after) from exc


def _rate_limiter() -> robots.RobotRateLimiter | None:
    # Without Redis (the embedded `make run`) one solo worker sends, and the robots' own rate-limit
    # answers (temporary errors, retried later) are the limit.
    client = redis_client()
    return robots.RobotRateLimiter(client) if client is not None else None


def redis_client() -> redis.Redis | None:
    """The process's client of REDIS_URL (None without Redis), with short timeouts: a Redis that is down
    must fail a send quickly, not hold a delivery run."""
    return _redis_client(settings.REDIS_URL) if settings.REDIS_URL else None


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def disable_robot(target_id: int, *, reason: str) -> None:
    """A permanent error (wrong key, bad signature): stop using the robot and tell the administrators."""
    if not RobotTarget.objects.filter(pk=target_id, is_active=True).update(is_active=False, disabled_reason=reason):
        return
    target = RobotTarget.objects.get(pk=target_id)
    body = _("发送提醒时返回无法重试的错误：%(reason)s。请在管理后台核对 Webhook 地址和密钥后重新启用。")
    InboxMessage.objects.bulk_create(
        InboxMessage(
            recipient=admin,
            title=_("群机器人“%(name)s”已停用") % {"name": target.name},
            body=body % {"reason": reason},
        )
        for admin in User.objects.filter(is_active=True, role=Role.ADMINISTRATOR)
    )
