from django.db import models
from django.utils.translation import gettext_lazy as _

from hazards.choices import Action


class Anchor(models.TextChoices):
    """The date a rule counts from."""

    DEADLINE = "deadline", _("整改期限")
    SUPERVISION_DEADLINE = "supervision_deadline", _("督办期限")


class DayKind(models.TextChoices):
    WORKING = "working", _("工作日")
    CALENDAR = "calendar", _("自然日")


class Recipient(models.TextChoices):
    UNIT_CONTACT = "unit_contact", _("责任单位联系人")
    COUNTY_SUPERVISOR = "county_supervisor", _("区县监管审核人")
    COUNTY_LEADER = "county_leader", _("区县分管领导")
    MUNICIPAL_OFFICE = "municipal_office", _("市安委办")
    LISTING_AUTHORITY = "listing_authority", _("挂牌督办单位")


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内消息")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    # The 企业微信/钉钉 group robots of the hazard's county and city (RobotTarget), not a person.
    ROBOT = "robot", _("群机器人")


class RobotKind(models.TextChoices):
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("无需发送")


class NotifiedEvent(models.TextChoices):
    """The workflow events a rule may notify of (hazards.choices.Action, same codes and names)."""

    ASSIGN = Action.ASSIGN.value, Action.ASSIGN.label
    RECALL = Action.RECALL.value, Action.RECALL.label
    REASSIGN = Action.REASSIGN.value, Action.REASSIGN.label
    SUBMIT = Action.SUBMIT.value, Action.SUBMIT.label
    REJECT = Action.REJECT.value, Action.REJECT.label
    VERIFY = Action.VERIFY.value, Action.VERIFY.label
    REQUEST_EXTENSION = Action.REQUEST_EXTENSION.value, Action.REQUEST_EXTENSION.label
    APPROVE_EXTENSION = Action.APPROVE_EXTENSION.value, Action.APPROVE_EXTENSION.label
    DENY_EXTENSION = Action.DENY_EXTENSION.value, Action.DENY_EXTENSION.label
    LIST_SUPERVISION = Action.LIST_SUPERVISION.value, Action.LIST_SUPERVISION.label
