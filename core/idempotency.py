"""A request that must not run twice: an API call with an ``Idempotency-Key``, a browser form's second
submit (a double click, a reload, Back then submit, a flaky phone network).

The key is claimed by inserting its ``IdempotencyRecord`` before the work, in the work's transaction and
unique per (user, key): a concurrent repeat waits on that uncommitted row, then fails to insert its own
and replays what the first one recorded; if the first one fails, its claim rolls back with everything
else and the repeat does the work itself, so a corrected request can be sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.models import IdempotencyRecord

T = TypeVar("T")


class KeyReused(DomainError):
    """The key was first used for a different request: replaying it would answer another question."""

    code = "idempotency_key_reused"
    default_message = _("该 Idempotency-Key 已用于另一个请求体。")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What the first run recorded; ``value`` is what ``perform`` returned, None on a replay."""

    status_code: int
    body: dict[str, Any]
    value: T | None = None

    @property
    def replayed(self) -> bool:
        return self.value is None


def recorded(*, user: Any, key: str) -> Outcome[Any] | None:
    """The recorded outcome of ``key``, if its first run has committed."""
    record = IdempotencyRecord.objects.filter(user=user, key=key).only("status_code", "response").first()
    return Outcome(record.status_code, record.response) if record else None


def perform_once(
    *, user: Any, key: str, fingerprint: str, perform: Callable[[], tuple[T, int, dict[str, Any]]]
) -> Outcome[T]:
    """Run ``perform`` unless ``key`` already ran; ``perform`` returns its value and the status code
    and JSON body to replay. A key first used with another ``fingerprint`` raises ``KeyReused``."""
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user, key=key, fingerprint=fingerprint[:64], status_code=0, response={}
            )
            value, status_code, body = perform()
            record.status_code, record.response = status_code, body
            record.save(update_fields=["status_code", "response"])
            return Outcome(status_code, body, value)
    except IntegrityError:
        first = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if first is None:
            # Not our key's row that failed: an integrity error of the work itself.
            raise
    if first.fingerprint != fingerprint[:64]:
        raise KeyReused()
    return Outcome(first.status_code, first.response)
