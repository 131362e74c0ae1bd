"""The hazard ledger. Rows change only through ``hazards.services``; see docs/style.md."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, ResponsibleUnit, Sector
from core.uploads import download_name
from hazards.choices import (
    OPEN_STATUSES,
    Action,
    AttachmentPhase,
    AuthorityLevel,
    Category,
    ExtensionStatus,
    Factor,
    Level,
    MajorStandard,
    Source,
    Stage,
    Status,
    StopProduction,
    VerificationMethod,
    stage_of,
)
from hazards.querysets import HazardChildQuerySet, HazardEventQuerySet, HazardQuerySet


def days_overdue(deadline: datetime.date | None, status: str, today: datetime.date | None = None) -> int:
    """Overdue is derived: the deadline has passed and the hazard is still open (docs/design.md). A function
    of the two fields, for code that reads them without loading hazards (the reminder digests)."""
    if deadline is None or status not in OPEN_STATUSES:
        return 0
    today = today or timezone.localdate()
    return max((today - deadline).days, 0)


# The 治理方案 of a 重大事故隐患: its "五到位" (措施、责任、资金、时限、预案, docs/design.md), ...
FIVE_IN_PLACE_FIELDS = ("plan_measures", "plan_responsibility", "plan_funds", "plan_deadline", "plan_contingency")
# ... with whether production stops meanwhile; and all a major hazard records beyond a general one.
PLAN_FIELDS = (*FIVE_IN_PLACE_FIELDS, "stop_production")
MAJOR_FIELDS = ("major_standard", "major_standard_item", *PLAN_FIELDS)


class Hazard(models.Model):
    """隐患: one hazard from 列单 to 清单. Status, deadline, unit and level change only in services."""

    number = models.CharField(_("隐患编号"), max_length=32, unique=True, editable=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.LISTED)
    # Bumped by every change; the API's ETag and the forms' stale-edit check read it.
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    # 列单
    title = models.CharField(_("隐患名称"), max_length=200)
    description = models.TextField(_("隐患描述"))
    county = models.ForeignKey(
        Region, verbose_name=_("所属区县"), on_delete=models.PROTECT, related_name="county_hazards", editable=False
    )
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="hazards")
    address = models.CharField(_("具体位置"), max_length=256, blank=True)
    sector = models.ForeignKey(Sector, verbose_name=_("行业领域"), on_delete=models.PROTECT, related_name="hazards")
    level = models.CharField(_("隐患等级"), max_length=16, choices=Level.choices, default=Level.GENERAL)
    category = models.CharField(_("隐患类别"), max_length=32, choices=Category.choices)
    factor = models.CharField(_("隐患因素"), max_length=16, choices=Factor.choices)
    source = models.CharField(_("隐患来源"), max_length=16, choices=Source.choices)
    found_at = models.DateTimeField(_("发现时间"))
    # 被检查单位: whom the inspection found it at, when known; 交单 offers it as the responsible unit.
    inspected_unit = models.ForeignKey(
        ResponsibleUnit,
        verbose_name=_("被检查单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspected_hazards",
    )
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )

    # 重大事故隐患
    major_standard = models.CharField(_("判定标准"), max_length=32, choices=MajorStandard.choices, blank=True)
    major_standard_item = models.CharField(_("判定条款"), max_length=256, blank=True)
    plan_measures = models.TextField(_("治理措施"), blank=True)
    plan_responsibility = models.TextField(_("治理责任"), blank=True)
    plan_funds = models.DecimalField(
        _("治理资金（万元）"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    plan_deadline = models.DateField(_("治理时限"), null=True, blank=True)
    plan_contingency = models.TextField(_("应急预案"), blank=True)
    stop_production = models.CharField(
        _("停产停业范围"), max_length=8, choices=StopProduction.choices, default=StopProduction.NONE
    )

    # 交单
    responsible_unit = models.ForeignKey(
        ResponsibleUnit,
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    responsible_person = models.CharField(_("整改责任人"), max_length=64, blank=True)
    responsible_phone = models.CharField(_("责任人电话"), max_length=32, blank=True)
    requirements = models.TextField(_("整改要求"), blank=True)
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True)

    # 办单
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    measures = models.TextField(_("整改措施"), blank=True)
    completed_on = models.DateField(_("整改完成日期"), null=True, blank=True)
    cost = models.DecimalField(
        _("整改资金（元）"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    submitted_at = models.DateTimeField(_("提交验收时间"), null=True, blank=True)

    # 清单
    verification_method = models.CharField(_("验收方式"), max_length=16, choices=VerificationMethod.choices, blank=True)
    verification_opinion = models.TextField(_("验收意见"), blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    void_reason = models.TextField(_("作废原因"), blank=True)

    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now, editable=False)

    objects = HazardQuerySet.as_manager()

    class Meta:
        verbose_name = _("隐患")
        verbose_name_plural = _("隐患")
        ordering = ["-found_at", "-id"]
        indexes = [
            # County officer lists, newest first, with or without a status filter; county rollups.
            models.Index(fields=["county", "status", "found_at", "id"], name="hazard_county_status_found"),
            models.Index(fields=["county", "found_at", "id"], name="hazard_county_found"),
            # The same lists sorted by deadline (the 工作台's overdue and due-soon links) or by last change:
            # each keyset page is one range of the county's part of the index, whatever the county count.
            models.Index(fields=["county", "deadline", "id"], name="hazard_county_deadline"),
            models.Index(fields=["county", "updated_at", "id"], name="hazard_county_updated"),
            # Unit contacts' lists.
            models.Index(fields=["responsible_unit", "status"], name="hazard_unit_status"),
            # The 工作台 counts: open hazards by status and deadline, read from the index alone.
            models.Index(
                fields=["county", "status", "deadline"],
                name="hazard_open_county_status",
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
            ),
            # Overdue and due-soon queries only ever look at open hazards with a deadline.
            models.Index(
                fields=["deadline"],
                name="hazard_open_deadline",
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]) & Q(deadline__isnull=False),
            ),
            # Incremental sync (updated_after) and the default list order.
            models.Index(fields=["updated_at", "id"], name="hazard_updated"),
            models.Index(fields=["found_at", "id"], name="hazard_found"),
            # Lists ordered by deadline (the API's and the browser's keyset pages).
            models.Index(fields=["deadline", "id"], name="hazard_deadline"),
            # 排查覆盖率 (inspections/coverage.py): has this unit a 企业自查 hazard found in the period? One
            # probe per unit due, instead of reading each unit's every hazard (~1 s for a city at 1M).
            models.Index(
                fields=["responsible_unit", "found_at"],
                name="hazard_unit_self_check",
                condition=Q(source="self_check") & ~Q(status="void"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def stage(self) -> Stage | None:
        return stage_of(self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def days_overdue(self, today: datetime.date | None = None) -> int:
        return days_overdue(self.deadline, self.status, today)

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue() > 0


class ReminderSchedule(models.Model):
    """When the reminder sweep (reminders.services.sweep) looks at a hazard next: one row per hazard.

    Every change to a hazard sets it to "now" so the sweep re-plans; the sweep moves it to the next
    reminder date, and it is cleared once the hazard is closed or voided. It has a narrow table of its own
    because the sweep moves it for every due hazard each day (all the overdue ones): on the hazard table,
    which has a dozen indexes, each such update would write an entry into every one of them.
    """

    hazard = models.OneToOneField(
        Hazard, verbose_name=_("隐患"), primary_key=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("下次提醒检查"), null=True, blank=True)

    class Meta:
        verbose_name = _("提醒检查时间")
        verbose_name_plural = _("提醒检查时间")
        indexes = [
            # The sweep reads only hazards that have a next time, earliest first.
            models.Index(fields=["due_at"], name="reminder_schedule_due", condition=Q(due_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.hazard_id} @ {self.due_at}"


class HazardNumberSequence(models.Model):
    """The last number handed out per county and year; bumped with one atomic upsert."""

    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("隐患编号序列")
        verbose_name_plural = _("隐患编号序列")
        constraints = [models.UniqueConstraint(fields=["county", "year"], name="hazard_number_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.county_id}/{self.year}: {self.last_value}"


class SupervisionNoticeSequence(models.Model):
    """The last 督办通知书 number an office (the 安委办 of a region) gave out in a year."""

    office = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("督办文号序列")
        verbose_name_plural = _("督办文号序列")
        constraints = [models.UniqueConstraint(fields=["office", "year"], name="supervision_notice_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.year}: {self.last_value}"


def attachment_path(instance: Attachment, filename: str) -> str:
    today = timezone.localdate()
    return f"hazards/{today:%Y/%m}/{instance.hazard_id}/{filename}"


class Attachment(models.Model):
    """A photo (JPEG, PNG, WebP) or PDF attached to a hazard at one phase of its life."""

    hazard = models.ForeignKey(Hazard, verbose_name=_("隐患"), on_delete=models.PROTECT, related_name="attachments")
    phase = models.CharField(_("阶段"), max_length=16, choices=AttachmentPhase.choices)
    file = models.FileField(_("文件"), upload_to=attachment_path)
    content_type = models.CharField(_("文件类型"), max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))
    original_name = models.CharField(_("原文件名"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    objects = HazardChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def download_name(self) -> str:
        return download_name(self.original_name, self.content_type)


# Keys of HazardEvent.changes that are not fields of Hazard.
_EVENT_ONLY_LABELS = {"supervision": _("挂牌督办"), "requested_deadline": _("申请延至")}


def _readable_value(value: object, choices: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return str(value.get("name", value.get("id", "")))
    return str(choices.get(value, value))


class HazardEvent(models.Model):
    """隐患事件: one immutable row per change, written in the same transaction as the change."""

    hazard = models.ForeignKey(Hazard, verbose_name=_("隐患"), on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("操作"), max_length=32, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    from_status = models.CharField(_("原状态"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Status.choices, blank=True)
    # {"deadline": ["2026-10-09", "2026-10-30"], ...}: field -> [before, after], as JSON-ready values.
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    comment = models.TextField(_("说明"), blank=True)

    objects = HazardEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("隐患事件")
        verbose_name_plural = _("隐患事件")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["hazard", "at"], name="event_hazard_at")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} @ {timezone.localtime(self.at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("HazardEvent rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("HazardEvent rows are append-only")

    def readable_changes(self) -> list[tuple[str, str, str]]:
        """The changes as (label, before, after) in Chinese: the one reading of ``changes`` that the
        timeline and the admin share (the unit's name rather than its id, choice labels, "—" for none)."""
        rows = []
        for name, pair in (self.changes or {}).items():
            before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
            try:
                field = Hazard._meta.get_field(name)
            except FieldDoesNotExist:
                label, choices = str(_EVENT_ONLY_LABELS.get(name, name)), {}
            else:
                label, choices = str(field.verbose_name), dict(getattr(field, "flatchoices", ()))
            rows.append((label, _readable_value(before, choices), _readable_value(after, choices)))
        return rows


class ExtensionRequest(models.Model):
    """延期申请: asked by the unit before the deadline, decided by a supervisor."""

    hazard = models.ForeignKey(
        Hazard, verbose_name=_("隐患"), on_delete=models.PROTECT, related_name="extension_requests"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    current_deadline = models.DateField(_("原整改期限"))
    requested_deadline = models.DateField(_("申请延至"))
    reason = models.TextField(_("延期理由"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.TextField(_("审批意见"), blank=True)

    objects = HazardChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["hazard"], condition=Q(status="pending"), name="extension_one_pending_per_hazard"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hazard.number} → {self.requested_deadline}"


class SupervisionListing(models.Model):
    """挂牌督办: formal supervision of a major hazard, lifted (摘牌) when the hazard is closed."""

    hazard = models.ForeignKey(
        Hazard, verbose_name=_("隐患"), on_delete=models.PROTECT, related_name="supervision_listings"
    )
    authority_level = models.CharField(_("督办级别"), max_length=16, choices=AuthorityLevel.choices)
    # The region whose 安委办 lists it (the hazard's county, city or province, by the level): it names the
    # authority and numbers the notice; neither is typed.
    authority_region = models.ForeignKey(
        Region, verbose_name=_("督办单位所在区划"), on_delete=models.PROTECT, related_name="+"
    )
    authority = models.CharField(_("督办单位"), max_length=128)
    notice_number = models.CharField(_("督办通知书文号"), max_length=64)
    requirements = models.TextField(_("督办要求"))
    deadline = models.DateField(_("督办期限"))
    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("挂牌人"), on_delete=models.PROTECT, related_name="+"
    )
    listed_at = models.DateTimeField(_("挂牌时间"), default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("摘牌人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("摘牌时间"), null=True, blank=True)

    objects = HazardChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("挂牌督办")
        verbose_name_plural = _("挂牌督办")
        ordering = ["-listed_at", "-id"]
        constraints = [
            # A hazard is under at most one active listing; the supervised filter reads this index.
            models.UniqueConstraint(
                fields=["hazard"], condition=Q(lifted_at__isnull=True), name="supervision_one_active_per_hazard"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice_number}（{self.get_authority_level_display()}）"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class HazardSearch(models.Model):
    """The search table of ``?q=`` (hazards/search.py): written only by PostgreSQL triggers, read only
    by the search. Its ``document`` tsvector column and GIN index exist on PostgreSQL alone."""

    hazard = models.OneToOneField(Hazard, on_delete=models.CASCADE, primary_key=True, related_name="+")
    county = models.ForeignKey(
        Region, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    found_at = models.DateTimeField()
    haystack = models.TextField()

    class Meta:
        verbose_name = _("隐患检索")
        verbose_name_plural = _("隐患检索")

    def __str__(self) -> str:
        return f"{self.hazard_id}"
