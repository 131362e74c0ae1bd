"""SMS (短信) through a provider interface.

The provider is chosen by ``settings.SMS_BACKEND``, a dotted path to a class whose instances have
``send(phone, text)``; without it messages are only logged (``LoggingSmsBackend``), so development and
tests need no provider account. ``send_sms`` validates the number and shortens the text before any
backend sees them.
"""

from __future__ import annotations

import logging
import re
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "reminders.sms.LoggingSmsBackend"
# Providers bill per 70-character segment and cap a long message at a few hundred characters; a
# reminder that needs more belongs in the inbox, which the SMS points to.
MAX_TEXT_CHARS = 500
# Mainland China mobile numbers: 11 digits, 1 then 3–9.
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-()]")


class SmsError(Exception):
    """A message the provider did not take; ``permanent`` means retrying cannot help (bad number)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingSmsBackend:
    """The default: writes each message to the log at INFO, with the phone number masked."""

    def send(self, phone: str, text: str) -> None:
        phone = normalize_phone(phone)
        logger.info("SMS to %s: %s", mask_phone(phone), shorten(text))


def get_backend() -> SmsBackend:
    path = getattr(settings, "SMS_BACKEND", None) or DEFAULT_BACKEND
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"SMS_BACKEND {path!r} cannot be imported: {exc}") from exc
    return backend_class()


def send_sms(phone: str, text: str) -> None:
    """Send through the configured backend; ``SmsError(permanent=True)`` for a number that is not a
    mainland mobile number."""
    get_backend().send(normalize_phone(phone), shorten(text))


def normalize_phone(phone: str) -> str:
    """The 11-digit mobile number, without spaces, dashes or a +86 prefix."""
    digits = _SEPARATORS.sub("", phone or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not _MOBILE.fullmatch(digits):
        raise SmsError(f"not a mainland mobile number: {mask_phone(digits)}", permanent=True)
    return digits


def mask_phone(phone: str) -> str:
    """138****0000: enough to tell numbers apart in a log, not enough to call one."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def shorten(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"
