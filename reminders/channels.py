"""Where a reminder goes. One function per channel behind ``send``; the inbox writes in the caller's
transaction, so claiming, delivering and marking sent happen together, exactly once."""

from __future__ import annotations

import smtplib

import redis
from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import User
from reminders import robots, sms
from reminders.choices import Channel
from reminders.models import InboxMessage, RobotTarget


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def is_transactional(channel: str) -> bool:
    return channel == Channel.INBOX


def send(channel: str, *, recipient: User, title: str, body: str) -> None:
    if channel == Channel.INBOX:
        InboxMessage.objects.create(recipient=recipient, title=title, body=body)
    elif channel == Channel.EMAIL:
        _email(recipient, title, body)
    elif channel == Channel.SMS:
        _sms(recipient, title, body)
    else:
        raise DeliveryError(f"unknown channel {channel!r}", permanent=True)


def _email(recipient: User, title: str, body: str) -> None:
    if not recipient.email:
        raise DeliveryError("recipient has no email address", permanent=True)
    try:
        send_mail(title, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
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
    window is full the rows stay pending and the next delivery run sends them, merged into one."""
    limiter = _rate_limiter()
    if limiter is not None:
        wait = limiter.acquire(target.webhook_url)
        if wait > 0:
            raise DeliveryError(f"robot rate limit reached, retry in {wait:.0f} s", permanent=False)
    try:
        robots.send_markdown(
            robots.Robot(kind=target.kind, webhook_url=target.webhook_url, secret=target.secret),
            title=title,
            text=body,
        )
    except robots.RobotError as exc:
        raise DeliveryError(str(exc), permanent=exc.permanent) from exc


def _rate_limiter() -> robots.RobotRateLimiter | None:
    # Without Redis (the embedded `make run`) one solo worker sends, and the robots' own rate-limit
    # answers (temporary errors, retried later) are the limit.
    if not settings.REDIS_URL:
        return None
    return robots.RobotRateLimiter(redis.Redis.from_url(settings.REDIS_URL))


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
