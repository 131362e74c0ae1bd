"""Reminder rules as data, and the ledger of every notification they produce (docs/design.md, reminders)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from core.workdays import add_working_days
from hazards.choices import Level
from hazards.models import Hazard, HazardEvent
from reminders.choices import Anchor, Channel, DayKind, NotificationStatus, NotifiedEvent, Recipient, RobotKind
from reminders.querysets import InboxMessageQuerySet


class ReminderRule(models.Model):
    """提醒规则: when (an offset from a deadline, or a workflow event), for which hazards, to whom, on which
    channels."""

    name = models.CharField(_("名称"), max_length=64)
    # A workflow event (交单, 退回…): the rule fires once per such event (reminders.services.events) and its
    # anchor, offset and repetition are not used; empty: a deadline rule, planned by the sweep.
    event = models.CharField(
        _("触发事件"),
        max_length=32,
        choices=NotifiedEvent.choices,
        blank=True,
        help_text=_("不填为按期限提醒；填写则在该事件发生时通知"),
    )
    level = models.CharField(_("隐患等级"), max_length=16, choices=Level.choices, blank=True, help_text=_("不填为全部"))
    supervised = models.BooleanField(_("挂牌督办"), null=True, blank=True, help_text=_("不填为不限"))
    region = models.ForeignKey(
        Region,
        verbose_name=_("适用区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("该区划及下级；不填为全部"),
    )
    anchor = models.CharField(_("起算日期"), max_length=32, choices=Anchor.choices, default=Anchor.DEADLINE)
    offset_days = models.SmallIntegerField(_("偏移天数"), help_text=_("负数为期限前，0 为当天，正数为期限后"))
    day_kind = models.CharField(_("天数口径"), max_length=16, choices=DayKind.choices, default=DayKind.WORKING)
    repeat_daily = models.BooleanField(_("此后每日重复"), default=False)
    recipients = models.JSONField(_("接收人"), default=list, help_text=_("可选：") + "、".join(Recipient.values))
    channels = models.JSONField(_("渠道"), default=list, help_text=_("可选：") + "、".join(Channel.values))
    immediate = models.BooleanField(_("立即发送"), default=False, help_text=_("否则并入每日汇总"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("提醒规则")
        verbose_name_plural = _("提醒规则")
        ordering = ["anchor", "offset_days", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = [r for r in self.recipients if r not in Recipient.values]
        if not self.recipients or unknown:
            raise ValidationError({"recipients": _("请从以下接收人中选择：%(v)s") % {"v": "、".join(Recipient.values)}})
        unknown = [c for c in self.channels if c not in Channel.values]
        if not self.channels or unknown:
            raise ValidationError({"channels": _("请从以下渠道中选择：%(v)s") % {"v": "、".join(Channel.values)}})

    def first_date(self, anchor_date: datetime.date) -> datetime.date:
        if self.offset_days == 0:
            return anchor_date
        if self.day_kind == DayKind.CALENDAR:
            return anchor_date + datetime.timedelta(days=self.offset_days)
        if self.offset_days > 0:
            return add_working_days(anchor_date, self.offset_days)
        # N working days before: the day from which N working days later is the anchor.
        day = anchor_date
        while add_working_days(day, -self.offset_days) > anchor_date:
            day -= datetime.timedelta(days=1)
        return day

    def occurrence_on(self, anchor_date: datetime.date, today: datetime.date) -> datetime.date | None:
        """The occurrence to send by ``today``: today itself for a daily rule once started; the one
        date of a one-shot rule if it has come (a sweep that missed it still sends it, once)."""
        first = self.first_date(anchor_date)
        if first > today:
            return None
        return today if self.repeat_daily else first

    def next_date(self, anchor_date: datetime.date, today: datetime.date) -> datetime.date | None:
        """The first occurrence after ``today``, if any."""
        first = self.first_date(anchor_date)
        if first > today:
            return first
        return today + datetime.timedelta(days=1) if self.repeat_daily else None


class RobotTarget(models.Model):
    """群机器人: a WeCom or DingTalk group robot that receives the reminders of a region's hazards."""

    kind = models.CharField(_("类型"), max_length=16, choices=RobotKind.choices)
    name = models.CharField(_("名称"), max_length=64)
    region = models.ForeignKey(
        Region, verbose_name=_("区划"), on_delete=models.PROTECT, help_text=_("该区划及下级的隐患提醒发到此群")
    )
    webhook_url = models.URLField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=128, blank=True, help_text=_("钉钉“加签”时填写"))
    is_active = models.BooleanField(_("启用"), default=True)
    disabled_reason = models.TextField(_("停用原因"), blank=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")
        ordering = ["region__code", "name"]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """提醒记录: one row per (hazard, rule, deadline value, occurrence, recipient, channel), written
    before sending and updated after, so "why did nobody tell us" always has an answer."""

    # A sweep writes hundreds of thousands of ledger rows, and each index and foreign-key check costs every
    # one of them. The unique constraint (which starts with the hazard) serves the hazard's rows; the
    # partial indexes below serve delivery and robots; nothing else looks rows up by rule or person (rules
    # and people are switched off, not deleted). Hazard, rule and recipient are not checked by the database:
    # the check is a query per row at COMMIT (the hazard's also locks each hazard row, a WAL record apiece,
    # in the wide table the sweep otherwise leaves alone), while the sweep writes only ids it has just read,
    # hazards and people are never deleted (docs/design.md: no hard deletes; users are deactivated) and Django
    # refuses to delete a rule, hazard or person the ledger names (PROTECT).
    hazard = models.ForeignKey(
        Hazard,
        verbose_name=_("隐患"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    rule = models.ForeignKey(
        ReminderRule,
        verbose_name=_("规则"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The workflow event a row tells of (event rules); empty for deadline reminders.
    event = models.ForeignKey(
        HazardEvent,
        verbose_name=_("事件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # An approved extension changes the deadline and so starts a new cycle of reminders.
    anchor_date = models.DateField(_("期限"))
    occurrence = models.DateField(_("提醒日"))
    # A person, or for the robot channel a group robot: exactly one of the two.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    target = models.ForeignKey(
        RobotTarget, verbose_name=_("群机器人"), null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    immediate = models.BooleanField(_("立即发送"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # A failed send is tried again not before this (backoff); empty: as soon as delivery runs.
    retry_at = models.DateTimeField(_("下次重试"), null=True, blank=True)
    # The message a row was claimed into: rows sent together share it, the email's Message-ID is made from it,
    # and the send journal (reminders.services.delivery) records it once the message is out, so a claim left
    # behind by a database error after the send is marked sent, not sent again.
    message_key = models.UUIDField(_("消息编号"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["hazard", "rule", "anchor_date", "occurrence", "recipient", "channel"],
                condition=Q(event__isnull=True),
                name="notification_once_per_rule_deadline_recipient",
            ),
            # NULL recipients are distinct in a unique index, so robot rows need their own.
            models.UniqueConstraint(
                fields=["hazard", "rule", "anchor_date", "occurrence", "target"],
                condition=Q(target__isnull=False, event__isnull=True),
                name="notification_once_per_rule_deadline_robot",
            ),
            # A workflow event is told once per person and channel, or robot, whatever rules name them.
            models.UniqueConstraint(
                fields=["event", "recipient", "channel"],
                condition=Q(event__isnull=False),
                name="notification_once_per_event_recipient",
            ),
            models.UniqueConstraint(
                fields=["event", "target"],
                condition=Q(event__isnull=False, target__isnull=False),
                name="notification_once_per_event_robot",
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=True) ^ Q(target__isnull=True), name="notification_person_or_robot"
            ),
        ]
        indexes = [
            # Delivery (reminders.services.delivery) looks only at what is still to send, or was claimed and
            # never marked: immediate ones after each sweep, the rest in the daily digest, per recipient.
            models.Index(
                fields=["immediate", "recipient", "target", "channel"],
                name="notification_to_send",
                condition=Q(status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]),
            ),
            # Deleting a robot (PROTECT) looks up its rows; person rows have no target and no entry here.
            models.Index(fields=["target"], name="notification_robot", condition=Q(target__isnull=False)),
        ]

    def __str__(self) -> str:
        to = self.recipient_id or f"robot {self.target_id}"
        return f"{self.hazard_id}/{self.rule_id}/{self.occurrence} → {to} ({self.channel})"


class InboxMessage(models.Model):
    """站内消息: what the in-app inbox shows, with read/unread."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="inbox"
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    # The lines of the message that name a hazard, as [hazard id, line]: shown as links to the hazard.
    # Empty for other messages (and those written before links), whose body is shown as it is.
    items = models.JSONField(_("条目"), default=list, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = InboxMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="inbox_unread")]

    def __str__(self) -> str:
        return self.title


class EventCursor(models.Model):
    """How far the workflow events have been planned into notifications (reminders.services.events): one
    row, locked by the planner that runs."""

    # The newest event read; each run reads again from ``LOOKBACK`` ids below it, but never at or below
    # ``start_event_id``, the newest event when the planner first ran (history is not notified).
    last_event_id = models.BigIntegerField(_("已处理事件"), default=0)
    start_event_id = models.BigIntegerField(_("起始事件"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("事件通知进度")
        verbose_name_plural = _("事件通知进度")

    def __str__(self) -> str:
        return f"events after {self.last_event_id}"
