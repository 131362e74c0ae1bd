"""Code lists of inspections and the table of allowed transitions (docs/design.md, "Inspections")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from core.transitions import TransitionTable, transition
from hazards.choices import Source
from inspections.errors import CampaignIllegalTransition, IllegalTransition


class Kind(models.TextChoices):
    ROUTINE = "routine", _("日常检查")
    SPECIAL = "special", _("专项检查")
    UNANNOUNCED = "unannounced", _("四不两直/暗访")
    SUPERVISORY = "supervisory", _("督导检查")
    SELF_CHECK = "self_check", _("企业自查")
    ENFORCEMENT = "enforcement", _("执法检查")


# A planned 四不两直 / 暗访 visit is kept from the unit (and from a county the city plans it in) until its
# first hazard is logged: "不发通知、不打招呼".
UNANNOUNCED_KINDS = frozenset({Kind.UNANNOUNCED})

# The 隐患来源 a hazard found in an inspection of each kind records (执法检查 has no source of its own yet).
HAZARD_SOURCE = {
    Kind.ROUTINE: Source.ROUTINE,
    Kind.SPECIAL: Source.SPECIAL,
    Kind.UNANNOUNCED: Source.UNANNOUNCED,
    Kind.SUPERVISORY: Source.SUPERVISORY,
    Kind.SELF_CHECK: Source.SELF_CHECK,
    Kind.ENFORCEMENT: Source.OTHER,
}


class Status(models.TextChoices):
    PLANNED = "planned", _("计划中")
    IN_PROGRESS = "in_progress", _("检查中")
    COMPLETED = "completed", _("已完成")


class Result(models.TextChoices):
    PASS = "pass", _("符合")
    FAIL = "fail", _("不符合（存在隐患）")
    NOT_APPLICABLE = "not_applicable", _("不适用")
    NOT_CHECKED = "not_checked", _("本次未查")


class Action(models.TextChoices):
    PLAN = "plan", _("制定计划")
    START = "start", _("开始检查")
    ANSWER = "answer", _("填写检查项")
    COMPLETE = "complete", _("完成检查")


_OFFICER, _CONTACT, _SUPERVISOR, _CITY = Role.COUNTY_OFFICER, Role.UNIT_CONTACT, Role.SUPERVISOR, Role.MUNICIPAL_OFFICE

# Offices plan; the county officers of the team inspect (they are the ones who log hazards, 列单), and a
# unit's contact runs the unit's own 企业自查 (services.py keeps contacts to that kind).
TRANSITIONS = TransitionTable(
    transition(Action.PLAN, None, Status.PLANNED, _OFFICER, _SUPERVISOR, _CITY),
    transition(Action.START, Status.PLANNED, Status.IN_PROGRESS, _OFFICER, _CONTACT),
    transition(Action.START, None, Status.IN_PROGRESS, _OFFICER, _CONTACT),  # on the spot, without a plan
    transition(Action.ANSWER, Status.IN_PROGRESS, None, _OFFICER, _CONTACT),
    transition(Action.COMPLETE, Status.IN_PROGRESS, Status.COMPLETED, _OFFICER, _CONTACT),
    illegal=IllegalTransition,
)


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class CampaignAction(models.TextChoices):
    CREATE = "create", _("创建专项整治")
    SET_TARGETS = "set_targets", _("确定整治对象")
    ACTIVATE = "activate", _("启动")
    CLOSE = "close", _("结束")
    SNAPSHOT = "snapshot", _("生成报送快照")


# The phases a 专项整治 usually runs through; the create form offers them (INSPECTIONS.md, campaigns).
DEFAULT_PHASES = ("动员部署", "企业自查自改和部门帮扶", "部门精准执法", "总结提高")

# The offices issue campaigns (a city's, or a county's own); targets may still be added while it runs.
CAMPAIGN_TRANSITIONS = TransitionTable(
    transition(CampaignAction.CREATE, None, CampaignStatus.DRAFT, _OFFICER, _CITY),
    transition(CampaignAction.SET_TARGETS, CampaignStatus.DRAFT, None, _OFFICER, _CITY),
    transition(CampaignAction.SET_TARGETS, CampaignStatus.ACTIVE, None, _OFFICER, _CITY),
    transition(CampaignAction.ACTIVATE, CampaignStatus.DRAFT, CampaignStatus.ACTIVE, _OFFICER, _CITY),
    transition(CampaignAction.CLOSE, CampaignStatus.ACTIVE, CampaignStatus.CLOSED, _OFFICER, _CITY),
    # A 报送快照 by hand, once launched (the beat task takes one at each phase's end by itself).
    *(
        transition(CampaignAction.SNAPSHOT, s, None, _OFFICER, _CITY)
        for s in (CampaignStatus.ACTIVE, CampaignStatus.CLOSED)
    ),
    illegal=CampaignIllegalTransition,
)
