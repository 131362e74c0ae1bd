"""Hazard representations and the inputs of each action. Business rules live in the services."""

from __future__ import annotations

import datetime

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Region, ResponsibleUnit, Sector
from core.api.serializers import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField, StrictSerializer
from hazards.choices import (
    AttachmentPhase,
    AuthorityLevel,
    Category,
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
from hazards.models import (
    MAJOR_FIELDS,
    Attachment,
    ExtensionRequest,
    Hazard,
    HazardEvent,
    SupervisionListing,
    days_overdue,
)


class RegionRefSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class SectorRefSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    credit_code = serializers.CharField(read_only=True)


class HazardRegionSerializer(serializers.Serializer):
    """Where the hazard is, with the county it belongs to (the shape of ``HazardSerializer.region``)."""

    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    level = serializers.CharField(read_only=True)
    county = RegionRefSerializer(read_only=True)


class MajorSerializer(StrictSerializer):
    """重大事故隐患: the standard and item matched, and the 五到位 remediation plan."""

    major_standard = serializers.ChoiceField(choices=MajorStandard.choices, label=_("判定标准"))
    major_standard_item = serializers.CharField(max_length=256, label=_("判定条款"))
    plan_measures = serializers.CharField(required=False, allow_blank=True, default="", label=_("治理措施"))
    plan_responsibility = serializers.CharField(required=False, allow_blank=True, default="", label=_("治理责任"))
    plan_funds = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None, label=_("治理资金（万元）")
    )
    plan_deadline = serializers.DateField(required=False, allow_null=True, default=None, label=_("治理时限"))
    plan_contingency = serializers.CharField(required=False, allow_blank=True, default="", label=_("应急预案"))
    stop_production = serializers.ChoiceField(
        choices=StopProduction.choices, required=False, default=StopProduction.NONE, label=_("停产停业范围")
    )


def _iso(value: datetime.date | datetime.datetime | None, tz: datetime.tzinfo) -> str | None:
    """As DRF renders dates and datetimes: ISO 8601, datetimes in the current time zone ``tz``."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return value.isoformat()


class _PerRequest:
    """What every row of a page shares, worked out once per serializer context."""

    def __init__(self, context: dict) -> None:
        self.today = context.get("today") or timezone.localdate()
        self.tz = timezone.get_current_timezone()
        self.status_labels = {value: str(label) for value, label in Status.choices}
        self.stage_labels = {stage: str(stage.label) for stage in Stage}


# What a hazard's representation reads, by the names ``QuerySet.values()`` gives them: a list selects
# these columns as plain rows and never builds a model instance (bench/api: 5.9 ms of CPU for 51
# instances with their units, 2.6 ms for the same rows as values).
COLUMNS = (
    "id",
    "number",
    "status",
    "level",
    "title",
    "description",
    "region_id",
    "county_id",
    "address",
    "sector_id",
    "category",
    "factor",
    "source",
    "found_at",
    "inspected_unit_id",
    "responsible_unit_id",
    "responsible_person",
    "responsible_phone",
    "requirements",
    "deadline",
    "assigned_at",
    "acknowledged_at",
    "measures",
    "completed_on",
    "cost",
    "submitted_at",
    "verification_method",
    "verification_opinion",
    "closed_at",
    "void_reason",
    *MAJOR_FIELDS,
    "version",
    "updated_at",
)
UNIT_COLUMNS = ("responsible_unit__name", "responsible_unit__credit_code")
INSPECTED_COLUMNS = ("inspected_unit__name", "inspected_unit__credit_code")
ROW_FIELDS = (*COLUMNS, *UNIT_COLUMNS, *INSPECTED_COLUMNS, "is_supervised")


def hazard_row(hazard: Hazard) -> dict:
    """A hazard instance as the row ``values(*ROW_FIELDS)`` would have selected."""
    row = {name: getattr(hazard, name) for name in COLUMNS}
    for prefix, unit in (("responsible_unit", hazard.responsible_unit), ("inspected_unit", hazard.inspected_unit)):
        row[f"{prefix}__name"] = unit.name if unit else None
        row[f"{prefix}__credit_code"] = unit.credit_code if unit else None
    row["is_supervised"] = is_supervised(hazard)
    return row


def is_supervised(hazard: Hazard) -> bool:
    """Under an active 挂牌督办: the list's annotation when the hazard came with it, else one query."""
    annotated = getattr(hazard, "is_supervised", None)
    if annotated is not None:
        return bool(annotated)
    return hazard.supervision_listings.filter(lifted_at__isnull=True).exists()


def _unit_ref(row: dict, prefix: str) -> dict | None:
    if row[f"{prefix}_id"] is None:
        return None
    return {"id": row[f"{prefix}_id"], "name": row[f"{prefix}__name"], "credit_code": row[f"{prefix}__credit_code"]}


class HazardListSerializer(serializers.ListSerializer):
    def to_representation(self, data) -> list[dict]:
        rows = [
            row if isinstance(row, dict) else hazard_row(row)
            for row in (data.all() if isinstance(data, models.manager.BaseManager) else data)
        ]
        # The page's regions, counties and sectors in at most one query each, and none once known.
        Region.cached.load([row["region_id"] for row in rows] + [row["county_id"] for row in rows])
        Sector.cached.load([row["sector_id"] for row in rows])
        return [self.child.to_representation(row) for row in rows]


class HazardSerializer(serializers.ModelSerializer):
    """The hazard as clients read it. Region, county and sector come from their reference caches, so
    a list selects only the responsible unit with the hazards."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    stage = serializers.SerializerMethodField()
    stage_display = serializers.SerializerMethodField()
    region = serializers.SerializerMethodField()
    sector = SectorRefSerializer(read_only=True)
    responsible_unit = UnitRefSerializer(read_only=True, allow_null=True)
    inspected_unit = UnitRefSerializer(read_only=True, allow_null=True, label=_("被检查单位"))
    is_overdue = serializers.BooleanField(read_only=True)
    days_overdue = serializers.SerializerMethodField()
    is_supervised = serializers.SerializerMethodField()
    verification_method = serializers.ChoiceField(
        choices=VerificationMethod.choices, allow_blank=True, read_only=True, label=_("验收方式")
    )
    major = serializers.SerializerMethodField()

    class Meta:
        model = Hazard
        fields = [
            "id",
            "number",
            "status",
            "status_display",
            "stage",
            "stage_display",
            "level",
            "title",
            "description",
            "region",
            "address",
            "sector",
            "category",
            "factor",
            "source",
            "found_at",
            "inspected_unit",
            "responsible_unit",
            "responsible_person",
            "responsible_phone",
            "requirements",
            "deadline",
            "is_overdue",
            "days_overdue",
            "is_supervised",
            "assigned_at",
            "acknowledged_at",
            "measures",
            "completed_on",
            "cost",
            "submitted_at",
            "verification_method",
            "verification_opinion",
            "closed_at",
            "void_reason",
            "major",
            "version",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = HazardListSerializer

    def to_representation(self, hazard: Hazard | dict) -> dict:
        """The declared fields, written out from a row (``ROW_FIELDS``) or an instance: a fraction of the
        CPU of DRF's field-by-field walk (bench/api). tests/api/test_reference.py checks that it equals
        the declared fields' own output, for both."""
        row = hazard if isinstance(hazard, dict) else hazard_row(hazard)
        shared = self.context.get("_per_request")
        if shared is None:
            shared = self.context["_per_request"] = _PerRequest(self.context)
        tz, status = shared.tz, row["status"]
        stage = stage_of(status)
        region, county = Region.cached.get(row["region_id"]), Region.cached.get(row["county_id"])
        sector = Sector.cached.get(row["sector_id"])
        overdue = days_overdue(row["deadline"], status, shared.today)
        return {
            "id": row["id"],
            "number": row["number"],
            "status": status,
            "status_display": shared.status_labels.get(status, status),
            "stage": stage.value if stage else None,
            "stage_display": shared.stage_labels[stage] if stage else None,
            "level": row["level"],
            "title": row["title"],
            "description": row["description"],
            "region": {
                "code": region.code,
                "name": region.name,
                "level": region.level,
                "county": {"code": county.code, "name": county.name},
            },
            "address": row["address"],
            "sector": {"code": sector.code, "name": sector.name},
            "category": row["category"],
            "factor": row["factor"],
            "source": row["source"],
            "found_at": _iso(row["found_at"], tz),
            "inspected_unit": _unit_ref(row, "inspected_unit"),
            "responsible_unit": _unit_ref(row, "responsible_unit"),
            "responsible_person": row["responsible_person"],
            "responsible_phone": row["responsible_phone"],
            "requirements": row["requirements"],
            "deadline": _iso(row["deadline"], tz),
            "is_overdue": overdue > 0,
            "days_overdue": overdue,
            "is_supervised": bool(row["is_supervised"]),
            "assigned_at": _iso(row["assigned_at"], tz),
            "acknowledged_at": _iso(row["acknowledged_at"], tz),
            "measures": row["measures"],
            "completed_on": _iso(row["completed_on"], tz),
            "cost": row["cost"],
            "submitted_at": _iso(row["submitted_at"], tz),
            "verification_method": row["verification_method"],
            "verification_opinion": row["verification_opinion"],
            "closed_at": _iso(row["closed_at"], tz),
            "void_reason": row["void_reason"],
            "major": {name: row[name] for name in MAJOR_FIELDS} if row["level"] == Level.MAJOR else None,
            "version": row["version"],
            "updated_at": _iso(row["updated_at"], tz),
        }

    def get_stage(self, hazard: Hazard) -> str | None:
        return hazard.stage.value if hazard.stage else None

    def get_stage_display(self, hazard: Hazard) -> str | None:
        return str(hazard.stage.label) if hazard.stage else None

    @extend_schema_field(HazardRegionSerializer)
    def get_region(self, hazard: Hazard) -> dict:
        region, county = hazard.region, hazard.county
        return {
            "code": region.code,
            "name": region.name,
            "level": region.level,
            "county": {"code": county.code, "name": county.name},
        }

    def get_days_overdue(self, hazard: Hazard) -> int:
        return hazard.days_overdue(self.context.get("today"))

    def get_is_supervised(self, hazard: Hazard) -> bool:
        return is_supervised(hazard)

    @extend_schema_field(MajorSerializer(allow_null=True))
    def get_major(self, hazard: Hazard) -> dict | None:
        if hazard.level != Level.MAJOR:
            return None
        return {name: getattr(hazard, name) for name in MAJOR_FIELDS}


class HazardCreateSerializer(StrictSerializer):
    """列单 (or, for a unit contact, 企业自查 with the person and deadline)."""

    region = ScopedSlugRelatedField(slug_field="code", queryset=Region.objects.all(), label=_("区划代码"))
    sector = serializers.SlugRelatedField(slug_field="code", queryset=Sector.objects.all(), label=_("行业领域代码"))
    title = serializers.CharField(max_length=200, label=_("隐患名称"))
    description = serializers.CharField(label=_("隐患描述"))
    category = serializers.ChoiceField(choices=Category.choices, label=_("隐患类别"))
    factor = serializers.ChoiceField(choices=Factor.choices, label=_("隐患因素"))
    source = serializers.ChoiceField(choices=Source.choices, label=_("隐患来源"))
    level = serializers.ChoiceField(choices=Level.choices, default=Level.GENERAL, label=_("隐患等级"))
    address = serializers.CharField(max_length=256, required=False, allow_blank=True, default="", label=_("具体位置"))
    found_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        label=_("发现时间"),
        help_text="不填为现在；不能晚于现在，也不能早于 30 天前（更早的请用台账导入）",
    )
    inspected_unit = ScopedPrimaryKeyRelatedField(
        queryset=ResponsibleUnit.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        label=_("被检查单位 ID"),
        help_text="在该单位检查时发现的（可不填）；须为本人辖区内启用的责任单位",
    )
    major = MajorSerializer(required=False, allow_null=True, default=None, label=_("重大隐患信息"))
    responsible_person = serializers.CharField(
        max_length=64, required=False, default="", label=_("整改责任人（企业自查时必填）")
    )
    deadline = serializers.DateField(
        required=False, allow_null=True, default=None, label=_("整改期限（企业自查时必填）")
    )


class HazardUpdateSerializer(StrictSerializer):
    """Fields that may still change: 列单 fields while listed, the 治理方案 while open."""

    region = ScopedSlugRelatedField(slug_field="code", queryset=Region.objects.all(), required=False)
    sector = serializers.SlugRelatedField(slug_field="code", queryset=Sector.objects.all(), required=False)
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False)
    address = serializers.CharField(max_length=256, required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    factor = serializers.ChoiceField(choices=Factor.choices, required=False)
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    major_standard = serializers.ChoiceField(choices=MajorStandard.choices, required=False, allow_blank=True)
    major_standard_item = serializers.CharField(max_length=256, required=False, allow_blank=True)
    plan_measures = serializers.CharField(required=False, allow_blank=True)
    plan_responsibility = serializers.CharField(required=False, allow_blank=True)
    plan_funds = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    plan_deadline = serializers.DateField(required=False, allow_null=True)
    plan_contingency = serializers.CharField(required=False, allow_blank=True)
    stop_production = serializers.ChoiceField(choices=StopProduction.choices, required=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError(_("请至少提供一个要修改的字段。"))
        return attrs


class AssignSerializer(StrictSerializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=ResponsibleUnit.objects.all(), label=_("责任单位 ID"))
    responsible_person = serializers.CharField(max_length=64, label=_("整改责任人"))
    responsible_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    requirements = serializers.CharField(label=_("整改要求"))
    deadline = serializers.DateField(required=False, allow_null=True, default=None, label=_("整改期限"))
    working_days = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=365, label=_("或：整改期限（工作日数）")
    )


class ReassignSerializer(AssignSerializer):
    reason = serializers.CharField(label=_("改派理由"))


class EmptySerializer(StrictSerializer):
    pass


class SubmitSerializer(StrictSerializer):
    measures = serializers.CharField(label=_("整改措施"))
    completed_on = serializers.DateField(label=_("整改完成日期"))
    cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None, label=_("整改资金（元）")
    )
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, label=_("整改后照片（multipart）")
    )


class VerifySerializer(StrictSerializer):
    method = serializers.ChoiceField(choices=VerificationMethod.choices, label=_("验收方式"))
    opinion = serializers.CharField(label=_("验收意见"))
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list, label=_("验收照片"))


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(label=_("理由"))


class ExtensionRequestInputSerializer(StrictSerializer):
    requested_deadline = serializers.DateField(label=_("申请延至"))
    reason = serializers.CharField(label=_("延期理由"))


class ExtensionDecisionSerializer(StrictSerializer):
    approve = serializers.BooleanField(label=_("是否批准"))
    comment = serializers.CharField(required=False, allow_blank=True, default="", label=_("审批意见"))


class SupervisionInputSerializer(StrictSerializer):
    """督办单位 and 文号 are not written: they follow from the level and the region (and are numbered)."""

    authority_level = serializers.ChoiceField(
        choices=AuthorityLevel.choices,
        required=False,
        label=_("督办级别"),
        help_text="本级或下级；不填为本人辖区的级别（县级监管审核人只能县级）。督办单位和通知书文号由系统确定",
    )
    requirements = serializers.CharField(label=_("督办要求"))
    deadline = serializers.DateField(label=_("督办期限"))


class AttachmentInputSerializer(StrictSerializer):
    phase = serializers.ChoiceField(choices=AttachmentPhase.choices, label=_("阶段"))
    file = serializers.FileField(label=_("文件（JPEG、PNG、WebP 或 PDF，最大 10 MB）"))


class AttachmentSerializer(serializers.ModelSerializer):
    file = serializers.SerializerMethodField(
        help_text="文件的下载地址：与其他接口一样带令牌（或登录会话）访问，辖区外 404；照片在浏览器中打开，PDF 下载"
    )

    class Meta:
        model = Attachment
        fields = ["id", "phase", "content_type", "size", "original_name", "file", "uploaded_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_file(self, attachment: Attachment) -> str:
        url = reverse("api:attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class EventSerializer(serializers.ModelSerializer):
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    actor = serializers.SerializerMethodField()
    # Blank for the first event (nothing before 列单) and for events that keep the status.
    from_status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)
    to_status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)

    class Meta:
        model = HazardEvent
        fields = ["id", "action", "action_display", "actor", "at", "from_status", "to_status", "changes", "comment"]
        read_only_fields = fields

    def get_actor(self, event: HazardEvent) -> str | None:
        return str(event.actor) if event.actor_id else None


class ExtensionSerializer(serializers.ModelSerializer):
    hazard = serializers.CharField(source="hazard.number", read_only=True)

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "hazard",
            "status",
            "current_deadline",
            "requested_deadline",
            "reason",
            "requested_at",
            "decided_at",
            "decision_comment",
        ]
        read_only_fields = fields


class SupervisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupervisionListing
        fields = [
            "id",
            "authority_level",
            "authority",
            "notice_number",
            "requirements",
            "deadline",
            "listed_at",
            "lifted_at",
        ]
        read_only_fields = fields


class ConflictSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField()
    status = serializers.ChoiceField(choices=Status.choices, required=False)
