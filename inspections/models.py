"""Inspections (隐患排查): the standards items are judged by, checklists built from them, the inspections
done with them and the answer to each item — a 不符合 answer is the hazard it produced."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, ResponsibleUnit, Sector
from hazards.choices import Category, Factor, MajorStandard
from hazards.models import Hazard
from inspections.choices import CampaignStatus, Kind, Result, Status
from inspections.querysets import CampaignQuerySet, InspectionQuerySet


class StandardItem(models.Model):
    """An item of a 重大事故隐患判定标准, as data: matching it makes a hazard 重大.

    The text is kept as the document words it (``abridged`` when only a short wording was captured so
    far); a revision is a new row that the old one names as ``replaced_by``, so history never changes.
    """

    standard = models.CharField(_("判定标准"), max_length=32, choices=MajorStandard.choices)
    document = models.CharField(_("文件名称"), max_length=200)
    document_number = models.CharField(_("文号"), max_length=100)
    article = models.CharField(_("条"), max_length=20)
    item_number = models.CharField(_("项"), max_length=20)
    text = models.TextField(_("条文"))
    abridged = models.BooleanField(_("简写"), default=False, help_text=_("只录入了简短表述，尚待按原文补全。"))
    effective_from = models.DateField(_("施行日期"))
    effective_to = models.DateField(_("废止日期"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", verbose_name=_("被替代为"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=200)
    captured_on = models.DateField(_("录入日期"))

    class Meta:
        verbose_name = _("判定标准条目")
        verbose_name_plural = _("判定标准条目")
        ordering = ["standard", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document_number", "article", "item_number"], name="standard_item_key")
        ]

    def __str__(self) -> str:
        return f"{self.document_number} {self.reference}：{self.text}"

    @property
    def reference(self) -> str:
        """第三条第（一）项, or 第三条第1项 where the document numbers its items so."""
        return f"{self.article}第{self.item_number}项"


class ChecklistTemplate(models.Model):
    """检查表: a versioned list of items in sections. A published version never changes; an inspection keeps
    the version it used, and a change is a new version (services.template_new_version)."""

    code = models.SlugField(_("编码"), max_length=50, help_text=_("同一检查表各版本共用。"))
    name = models.CharField(_("名称"), max_length=100)
    sector = models.ForeignKey(
        Sector, verbose_name=_("行业领域"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("适用检查类型"), max_length=16, choices=Kind.choices, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查表")
        verbose_name_plural = _("检查表")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="checklist_code_version")]

    def __str__(self) -> str:
        return f"{self.name}（第 {self.version} 版）"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ChecklistSection(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveIntegerField(_("顺序"), default=0)
    title = models.CharField(_("标题"), max_length=100)

    class Meta:
        verbose_name = _("检查表分节")
        verbose_name_plural = _("检查表分节")
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    """检查项: what to look at, and what the hazard looks like when it fails (pre-filled from here)."""

    section = models.ForeignKey(ChecklistSection, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField(_("顺序"), default=0)
    text = models.TextField(_("检查内容"))
    standard_item = models.ForeignKey(
        StandardItem,
        verbose_name=_("判定标准条目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("关联重大事故隐患判定标准条目的，不符合时按重大隐患登记。"),
    )
    mandatory = models.BooleanField(_("必查"), default=True)
    photo_on_fail = models.BooleanField(_("不符合须拍照"), default=False)
    category = models.CharField(_("隐患类别"), max_length=32, choices=Category.choices)
    factor = models.CharField(_("隐患因素"), max_length=16, choices=Factor.choices)
    default_requirements = models.TextField(_("默认整改要求"), blank=True)
    default_working_days = models.PositiveIntegerField(_("默认整改期限（工作日）"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")
        ordering = ["section", "order", "id"]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def is_major_criterion(self) -> bool:
        return self.standard_item_id is not None


class Campaign(models.Model):
    """专项整治: an office's drive over some sectors (and 判定标准), in dated phases, with the units it
    targets; draft → active → closed (choices.CAMPAIGN_TRANSITIONS). Its period runs from the first
    phase's start to the last one's end, both kept here by the services."""

    name = models.CharField(_("名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    issued_in = models.ForeignKey(
        Region, verbose_name=_("部署机关所在区划"), on_delete=models.PROTECT, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("部署人"), on_delete=models.PROTECT, related_name="+"
    )
    sectors = models.ManyToManyField(Sector, verbose_name=_("涉及行业领域"), related_name="+")
    standards = models.JSONField(_("适用判定标准"), default=list, blank=True)
    templates = models.ManyToManyField(ChecklistTemplate, verbose_name=_("适用检查表"), blank=True, related_name="+")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    activated_at = models.DateTimeField(_("启动时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("专项整治")
        verbose_name_plural = _("专项整治")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class CampaignPhase(models.Model):
    """One phase (e.g. 动员部署), its dates inside the campaign's and after the phase before it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveIntegerField(_("顺序"))
    name = models.CharField(_("阶段"), max_length=50)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))

    class Meta:
        verbose_name = _("整治阶段")
        verbose_name_plural = _("整治阶段")
        ordering = ["campaign", "order"]
        constraints = [models.UniqueConstraint(fields=["campaign", "order"], name="campaign_phase_order")]

    def __str__(self) -> str:
        return self.name


class CampaignTarget(models.Model):
    """A unit the campaign must reach (应排查); its county is the county of the unit's region."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey(
        ResponsibleUnit, verbose_name=_("整治对象"), on_delete=models.PROTECT, related_name="campaign_targets"
    )
    added_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("整治对象")
        verbose_name_plural = _("整治对象")
        ordering = ["campaign", "unit"]
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="campaign_target_once")]

    def __str__(self) -> str:
        return str(self.unit)


class Inspection(models.Model):
    """One inspection of one unit: planned → in progress → completed (choices.TRANSITIONS)."""

    kind = models.CharField(_("检查类型"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    unit = models.ForeignKey(
        ResponsibleUnit, verbose_name=_("被检查单位"), on_delete=models.PROTECT, related_name="inspections"
    )
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="+")
    sector = models.ForeignKey(Sector, verbose_name=_("行业领域"), on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("检查表"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("专项整治"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    team = models.CharField(_("检查组成员"), max_length=200, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查组长"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    planned_on = models.DateField(_("计划日期"), null=True, blank=True)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("制定人"), on_delete=models.PROTECT, related_name="+"
    )
    # Where the planner sits: a secret visit is hidden from everyone below it (the unit, and the county when
    # the city plans it).
    planned_in = models.ForeignKey(
        Region, verbose_name=_("制定机关所在区划"), on_delete=models.PROTECT, related_name="+"
    )
    secret = models.BooleanField(_("尚未公开"), default=False, help_text=_("四不两直/暗访在登记第一条隐患前不公开。"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    summary = models.TextField(_("检查小结"), blank=True)
    acknowledged_by_name = models.CharField(_("被检查单位签字人"), max_length=50, blank=True)
    acknowledged_at = models.DateTimeField(_("签字时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}·{self.unit}"


class Answer(models.Model):
    """The answer to one item in one inspection; a 不符合 answer is linked one-to-one to its hazard."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ChecklistItem, verbose_name=_("检查项"), on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("结果"), max_length=16, choices=Result.choices)
    comment = models.TextField(_("说明"), blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("填写人"), on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("填写时间"))
    hazard = models.OneToOneField(
        Hazard,
        verbose_name=_("隐患"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspection_answer",
    )

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        ordering = ["inspection", "item__section__order", "item__order", "item_id"]
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="one_answer_per_item")]

    def __str__(self) -> str:
        return f"{self.item}：{self.get_result_display()}"


class CampaignSnapshot(models.Model):
    """报送快照: a campaign's figures per county frozen as they stood at ``counted_until`` — the end of a
    phase's last day when the beat task takes it for that phase, the moment it was taken when its
    issuing office takes one by hand. Never changed once taken."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="snapshots")
    phase = models.ForeignKey(
        CampaignPhase, verbose_name=_("阶段"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    counted_until = models.DateTimeField(_("统计截止"))
    taken_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空：阶段报送日由系统自动生成"),
    )

    class Meta:
        verbose_name = _("报送快照")
        verbose_name_plural = _("报送快照")
        ordering = ["campaign", "-counted_until", "-id"]
        constraints = [
            # inspections.tasks.take_campaign_snapshots: one scheduled snapshot per phase, however often it runs.
            models.UniqueConstraint(
                fields=["campaign", "phase"], condition=Q(taken_by__isnull=True), name="campaign_snapshot_per_phase"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {timezone.localtime(self.counted_until):%Y-%m-%d %H:%M}"


class CampaignSnapshotRow(models.Model):
    """One county's figures in a snapshot: 应排查 (targets), 实际排查 (inspected), hazards found and closed."""

    snapshot = models.ForeignKey(CampaignSnapshot, on_delete=models.CASCADE, related_name="rows")
    county = models.ForeignKey(Region, verbose_name=_("县（区）"), on_delete=models.PROTECT, related_name="+")
    targets = models.PositiveIntegerField(_("应排查"))
    inspected = models.PositiveIntegerField(_("实际排查"))
    hazards_found = models.PositiveIntegerField(_("发现隐患"))
    hazards_closed = models.PositiveIntegerField(_("已销号"))

    class Meta:
        verbose_name = _("快照分县数据")
        verbose_name_plural = _("快照分县数据")
        ordering = ["snapshot", "county__code"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "county"], name="campaign_snapshot_county_once")]

    def __str__(self) -> str:
        return f"{self.snapshot} · {self.county}"

    @property
    def coverage(self) -> float | None:
        """实际排查 / 应排查, None when no unit is due (shown as "/")."""
        return self.inspected / self.targets if self.targets else None

    @property
    def coverage_display(self) -> str:
        """覆盖率 as the tables print it: one decimal of a percent, "/" when none is due."""
        return "/" if self.coverage is None else f"{self.coverage * 100:.1f}%"
