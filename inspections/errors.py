"""The errors of ``core.errors``, worded for an inspection."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import errors


class NotFound(errors.NotFound):
    default_message = _("未找到该检查。")


class IllegalTransition(errors.IllegalTransition):
    default_message = _("检查当前状态不允许此操作。")


class ConcurrentChange(errors.ConcurrentChange):
    default_message = _("该检查已被他人修改，请刷新后重试。")


NotAllowed = errors.NotAllowed


class CampaignNotFound(errors.NotFound):
    default_message = _("未找到该专项整治。")


class CampaignIllegalTransition(errors.IllegalTransition):
    default_message = _("专项整治当前状态不允许此操作。")


class CampaignConcurrentChange(errors.ConcurrentChange):
    default_message = _("该专项整治已被他人修改，请刷新后重试。")
