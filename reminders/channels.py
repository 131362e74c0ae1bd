"""Where a reminder goes. One function per channel behind ``send``; the inbox writes in the caller's
transaction, so claiming, delivering and marking sent happen together, exactly once."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import send_mail

from accounts.models import User
from reminders import sms
from reminders.choices import Channel
from reminders.models import InboxMessage


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
