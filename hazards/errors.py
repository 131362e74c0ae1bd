"""The errors of ``core.errors``, worded for a hazard."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import errors


class NotFound(errors.NotFound):
    default_message = _("未找到该隐患。")


class IllegalTransition(errors.IllegalTransition):
    default_message = _("隐患当前状态不允许此操作。")


class ConcurrentChange(errors.ConcurrentChange):
    default_message = _("该隐患已被他人修改，请刷新后重试。")


NotAllowed = errors.NotAllowed
