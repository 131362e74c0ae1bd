"""What the inspections API reads and writes; inputs are strict and their related ids scoped."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ResponsibleUnit, Sector
from core.api.serializers import ScopedPrimaryKeyRelatedField, StrictSerializer
from hazards.choices import Level, MajorStandard
from inspections.choices import Kind, Result
from inspections.models import (
    Answer,
    Campaign,
    CampaignPhase,
    CampaignSnapshot,
    CampaignSnapshotRow,
    ChecklistItem,
    ChecklistSection,
    ChecklistTemplate,
    Inspection,
)


class ChecklistItemSerializer(serializers.ModelSerializer):
    standard_reference = serializers.SerializerMethodField(help_text="关联的判定标准条目（文号 条 项），无则为 null")

    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "order",
            "text",
            "standard_item",
            "standard_reference",
            "mandatory",
            "photo_on_fail",
            "category",
            "factor",
            "default_requirements",
            "default_working_days",
        ]

    def get_standard_reference(self, item: ChecklistItem) -> str | None:
        standard = item.standard_item
        return f"{standard.document_number} {standard.reference}" if standard else None


class ChecklistSectionSerializer(serializers.ModelSerializer):
    items = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistSection
        fields = ["id", "order", "title", "items"]


class ChecklistTemplateSerializer(serializers.ModelSerializer):
    sector = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sections = ChecklistSectionSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistTemplate
        fields = ["id", "code", "name", "version", "sector", "kind", "published_at", "sections"]


class AnswerSerializer(serializers.ModelSerializer):
    hazard_number = serializers.CharField(source="hazard.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Answer
        fields = [
            "item",
            "result",
            "comment",
            "latitude",
            "longitude",
            "answered_by",
            "answered_at",
            "hazard",
            "hazard_number",
        ]


class InspectionSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sector = serializers.SlugRelatedField(slug_field="code", read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "kind",
            "status",
            "unit",
            "unit_name",
            "region",
            "sector",
            "template",
            "campaign",
            "team",
            "leader",
            "planned_on",
            "started_at",
            "completed_at",
            "summary",
            "acknowledged_by_name",
            "acknowledged_at",
            "version",
            "answers",
        ]


class StartSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    unit = ScopedPrimaryKeyRelatedField(queryset=ResponsibleUnit.objects.all())
    template = serializers.PrimaryKeyRelatedField(queryset=ChecklistTemplate.objects.filter(published_at__isnull=False))
    sector = serializers.SlugRelatedField(
        slug_field="code", queryset=Sector.objects.all(), required=False, allow_null=True, default=None
    )
    team = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PlanSerializer(StartSerializer):
    planned_on = serializers.DateField()
    campaign = ScopedPrimaryKeyRelatedField(
        queryset=Campaign.objects.all(), required=False, allow_null=True, default=None, help_text="进行中的专项整治"
    )


class AnswerInputSerializer(StrictSerializer):
    item = serializers.PrimaryKeyRelatedField(queryset=ChecklistItem.objects.select_related("section", "standard_item"))
    result = serializers.ChoiceField(choices=Result.choices)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    level = serializers.ChoiceField(choices=Level.choices, required=False, allow_null=True, default=None)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True, default=None
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True, default=None
    )


class CompleteSerializer(StrictSerializer):
    summary = serializers.CharField(max_length=4000)
    acknowledged_by_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class CampaignPhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignPhase
        fields = ["order", "name", "starts_on", "ends_on"]


class CampaignSerializer(serializers.ModelSerializer):
    issued_in = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="部署机关所在区划代码")
    sectors = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    standards = serializers.ListField(child=serializers.ChoiceField(choices=MajorStandard.choices), read_only=True)
    phases = CampaignPhaseSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "status",
            "issued_in",
            "sectors",
            "standards",
            "templates",
            "starts_on",
            "ends_on",
            "phases",
            "activated_at",
            "closed_at",
            "version",
        ]


class CampaignProgressSerializer(serializers.Serializer):
    county = serializers.CharField(source="county.code", help_text="区县代码")
    county_name = serializers.CharField(source="county.name")
    units_due = serializers.IntegerField(help_text="应排查：整治对象（家）")
    units_inspected = serializers.IntegerField(help_text="实际排查：期间内完成本专项整治检查的整治对象（家）")


class CampaignDetailSerializer(CampaignSerializer):
    progress = serializers.SerializerMethodField(help_text="按区县的排查进度（调用者辖区内）")

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "progress"]

    @extend_schema_field(CampaignProgressSerializer(many=True))
    def get_progress(self, campaign: Campaign) -> list:
        from inspections.coverage import campaign_coverage

        rows = campaign_coverage(campaign=campaign, user=self.context["request"].user)
        return CampaignProgressSerializer(rows, many=True).data


class SnapshotRowSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="county.code", help_text="区县代码")
    county_name = serializers.CharField(source="county.name")
    coverage = serializers.FloatField(allow_null=True, help_text="覆盖率：实际排查 / 应排查；无应排查时为 null")

    class Meta:
        model = CampaignSnapshotRow
        fields = ["county", "county_name", "targets", "inspected", "coverage", "hazards_found", "hazards_closed"]


class SnapshotSerializer(serializers.ModelSerializer):
    phase = serializers.CharField(source="phase.name", allow_null=True, default=None, help_text="所属阶段")
    scheduled = serializers.SerializerMethodField(help_text="true：阶段报送日由系统自动生成；false：部署机关手动生成")
    rows = SnapshotRowSerializer(source="visible_rows", many=True, help_text="按区县（调用者辖区内）")

    class Meta:
        model = CampaignSnapshot
        fields = ["id", "phase", "counted_until", "taken_at", "scheduled", "rows"]

    def get_scheduled(self, snapshot: CampaignSnapshot) -> bool:
        return snapshot.taken_by_id is None


class PhaseInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=50)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class CampaignCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    sectors = serializers.SlugRelatedField(slug_field="code", queryset=Sector.objects.all(), many=True)
    standards = serializers.ListField(
        child=serializers.ChoiceField(choices=MajorStandard.choices), required=False, default=list
    )
    templates = serializers.PrimaryKeyRelatedField(
        queryset=ChecklistTemplate.objects.filter(published_at__isnull=False), many=True, required=False, default=list
    )
    phases = PhaseInputSerializer(many=True, help_text="依次排列的整治阶段")


class CampaignTargetsSerializer(StrictSerializer):
    units = ScopedPrimaryKeyRelatedField(queryset=ResponsibleUnit.objects.all(), many=True)
