"""Errors the services raise. Each carries a stable ``code`` for the API and a Chinese message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class HazardError(Exception):
    code = "hazard_error"
    default_message = _("操作失败。")

    def __init__(self, message: str | None = None, *, status: str | None = None) -> None:
        self.message = message or self.default_message
        # The hazard's current status, so callers can tell the user where it now stands.
        self.status = status
        super().__init__(str(self.message))


class NotFound(HazardError):
    """Outside the actor's jurisdiction: it does not exist for them."""

    code = "not_found"
    default_message = _("未找到该隐患。")


class NotAllowed(HazardError):
    """The actor's role may not take this action."""

    code = "not_allowed"
    default_message = _("您的角色无权执行此操作。")


class IllegalTransition(HazardError):
    """The action is not possible from the hazard's current status."""

    code = "illegal_transition"
    default_message = _("隐患当前状态不允许此操作。")


class ConcurrentChange(HazardError):
    """Someone else changed the hazard first; nothing was written."""

    code = "concurrent_change"
    default_message = _("该隐患已被他人修改，请刷新后重试。")
