"""Errors the services of every app raise: a stable ``code`` for the API and a Chinese message.

The four kinds map to one HTTP status each in the API (``core.api.errors``) and to one kind of notice in
the browser (``core.web``); an app subclasses them only to word the message for its own objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise


class DomainError(Exception):
    code = "error"
    default_message = _("操作失败。")

    def __init__(self, message: str | None = None, *, status: str | None = None) -> None:
        self.message = message or self.default_message
        # The object's current status, so callers can tell the user where it now stands.
        self.status = status
        super().__init__(str(self.message))


class NotFound(DomainError):
    """Outside the actor's jurisdiction: it does not exist for them."""

    code = "not_found"
    default_message = _("未找到。")


class NotAllowed(DomainError):
    """The actor's role may not take this action."""

    code = "not_allowed"
    default_message = _("您的角色无权执行此操作。")


class IllegalTransition(DomainError):
    """The action is not possible from the object's current status."""

    code = "illegal_transition"
    default_message = _("当前状态不允许此操作。")


class ConcurrentChange(DomainError):
    """Someone else changed the object first; nothing was written."""

    code = "concurrent_change"
    default_message = _("已被他人修改，请刷新后重试。")


def field_error(field: str, message: str | StrPromise, code: str) -> ValidationError:
    """A ValidationError for one field that keeps its code, so the API can report both."""
    return ValidationError({field: ValidationError(message, code=code)})
