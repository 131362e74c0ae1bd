"""Code lists of the hazard ledger and the table of allowed transitions (docs/design.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from core.transitions import TransitionTable, transition
from hazards.errors import IllegalTransition


class Status(models.TextChoices):
    LISTED = "listed", _("已登记")
    ASSIGNED = "assigned", _("已交办")
    RECTIFYING = "rectifying", _("整改中")
    SUBMITTED = "submitted", _("待验收")
    CLOSED = "closed", _("已销号")
    VOID = "void", _("已作废")


OPEN_STATUSES = (Status.LISTED, Status.ASSIGNED, Status.RECTIFYING, Status.SUBMITTED)


class Stage(models.TextChoices):
    """列单 → 交单 → 办单 → 清单: the four stages a status belongs to."""

    LISTING = "listing", _("列单")
    HANDOVER = "handover", _("交单")
    HANDLING = "handling", _("办单")
    CLEARING = "clearing", _("清单")


STAGE_STATUSES = {
    Stage.LISTING: (Status.LISTED,),
    Stage.HANDOVER: (Status.ASSIGNED,),
    Stage.HANDLING: (Status.RECTIFYING, Status.SUBMITTED),
    Stage.CLEARING: (Status.CLOSED,),
}


def stage_of(status: str) -> Stage | None:
    return next((stage for stage, statuses in STAGE_STATUSES.items() if status in statuses), None)


class Level(models.TextChoices):
    GENERAL = "general", _("一般")
    MAJOR = "major", _("重大")


class Category(models.TextChoices):
    BASIC_MANAGEMENT = "basic_management", _("基础管理类")
    SITE_MANAGEMENT = "site_management", _("现场管理类")


class Factor(models.TextChoices):
    """GB/T 13861 hazard factors."""

    HUMAN = "human", _("人的因素")
    OBJECT = "object", _("物的因素")
    ENVIRONMENT = "environment", _("环境因素")
    MANAGEMENT = "management", _("管理因素")


class Source(models.TextChoices):
    SELF_CHECK = "self_check", _("企业自查")
    ROUTINE = "routine", _("日常检查")
    SPECIAL = "special", _("专项检查")
    UNANNOUNCED = "unannounced", _("四不两直/暗访")
    SUPERVISORY = "supervisory", _("督导检查")
    PUBLIC_REPORT = "public_report", _("群众举报")
    OTHER = "other", _("其他")


class MajorStandard(models.TextChoices):
    """The 重大事故隐患判定标准 a major hazard was judged by, by industry."""

    INDUSTRY_TRADE = "industry_trade", _("工贸企业重大事故隐患判定标准")
    CHEMICAL = "chemical", _("化工和危险化学品生产经营单位重大生产安全事故隐患判定标准")
    COAL_MINE = "coal_mine", _("煤矿重大事故隐患判定标准")
    NON_COAL_MINE = "non_coal_mine", _("金属非金属矿山重大事故隐患判定标准")
    FIREWORKS = "fireworks", _("烟花爆竹生产经营单位重大事故隐患判定标准")
    CONSTRUCTION = "construction", _("房屋市政工程生产安全重大事故隐患判定标准")
    FIRE = "fire", _("重大火灾隐患判定方法")
    OTHER = "other", _("其他行业重大事故隐患判定标准")


class StopProduction(models.TextChoices):
    NONE = "none", _("无需停产停业")
    PART = "part", _("局部停产停业/停止使用")
    ALL = "all", _("全部停产停业/停止使用")


class VerificationMethod(models.TextChoices):
    ON_SITE = "on_site", _("现场核查")
    ON_EVIDENCE = "on_evidence", _("资料核查")


class AttachmentPhase(models.TextChoices):
    FOUND = "found", _("发现时")
    RECTIFIED = "rectified", _("整改后")
    VERIFICATION = "verification", _("验收时")


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    DENIED = "denied", _("未批准")
    LAPSED = "lapsed", _("已失效")


class AuthorityLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")


class Action(models.TextChoices):
    """Everything that changes a hazard; each writes one event named after it."""

    LIST = "list", _("列单")
    SELF_REPORT = "self_report", _("企业自查登记")
    ASSIGN = "assign", _("交单")
    RECALL = "recall", _("撤回交办")
    REASSIGN = "reassign", _("改派")
    ACKNOWLEDGE = "acknowledge", _("签收")
    SUBMIT = "submit", _("办单")
    VERIFY = "verify", _("销号")
    REJECT = "reject", _("退回")
    VOID = "void", _("作废")
    REQUEST_EXTENSION = "request_extension", _("申请延期")
    APPROVE_EXTENSION = "approve_extension", _("批准延期")
    DENY_EXTENSION = "deny_extension", _("驳回延期")
    UPDATE = "update", _("修改信息")
    LIST_SUPERVISION = "list_supervision", _("挂牌督办")
    LIFT_SUPERVISION = "lift_supervision", _("摘牌")


_OFFICER, _CONTACT, _SUPERVISOR = Role.COUNTY_OFFICER, Role.UNIT_CONTACT, Role.SUPERVISOR

TRANSITIONS = TransitionTable(
    transition(Action.LIST, None, Status.LISTED, _OFFICER),
    # 企业自查: the unit logs its own hazard; it is handed to that unit and acknowledged at once.
    transition(Action.SELF_REPORT, None, Status.RECTIFYING, _CONTACT),
    transition(Action.ASSIGN, Status.LISTED, Status.ASSIGNED, _OFFICER),
    # A wrong 交单 is corrected until the unit acknowledges: taken back to 列单, or handed to another unit.
    transition(Action.RECALL, Status.ASSIGNED, Status.LISTED, _OFFICER),
    transition(Action.REASSIGN, Status.ASSIGNED, None, _OFFICER),
    transition(Action.ACKNOWLEDGE, Status.ASSIGNED, Status.RECTIFYING, _CONTACT),
    transition(Action.SUBMIT, Status.RECTIFYING, Status.SUBMITTED, _CONTACT),
    # 即查即改: a general hazard fixed during the inspection goes straight to verification.
    transition(Action.SUBMIT, Status.LISTED, Status.SUBMITTED, _OFFICER),
    transition(Action.VERIFY, Status.SUBMITTED, Status.CLOSED, _SUPERVISOR),
    transition(Action.REJECT, Status.SUBMITTED, Status.RECTIFYING, _SUPERVISOR),
    *(transition(Action.VOID, source, Status.VOID, _SUPERVISOR) for source in OPEN_STATUSES),
    *(transition(Action.REQUEST_EXTENSION, s, None, _CONTACT) for s in (Status.ASSIGNED, Status.RECTIFYING)),
    *(transition(Action.APPROVE_EXTENSION, s, None, _SUPERVISOR) for s in (Status.ASSIGNED, Status.RECTIFYING)),
    *(transition(Action.DENY_EXTENSION, s, None, _SUPERVISOR) for s in (Status.ASSIGNED, Status.RECTIFYING)),
    *(transition(Action.LIST_SUPERVISION, s, None, _SUPERVISOR) for s in OPEN_STATUSES),
    *(transition(Action.UPDATE, s, None, _OFFICER, _SUPERVISOR) for s in OPEN_STATUSES),
    illegal=IllegalTransition,
)
