"""The stats API's input (query parameters, strictly checked) and its output, described for the schema."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers

from accounts.models import Region, Sector
from core.api.serializers import StrictSerializer
from hazards.choices import Level
from reports.dimensions import DIMENSIONS
from reports.live import StatsQuery
from reports.metrics import METRICS

MAX_DIMENSIONS = 2
# Discovery dates outside these years are typing mistakes; they would also overflow the date arithmetic.
EARLIEST, LATEST = datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)


class ClosureQuerySerializer(StrictSerializer):
    """``?group_by=county,sector&found_after=…&found_before=…&level=…&region=…&sector=…``"""

    group_by = serializers.CharField(required=False, allow_blank=True)
    found_after = serializers.DateField(required=False)
    found_before = serializers.DateField(required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    region = serializers.CharField(required=False, max_length=12)
    sector = serializers.CharField(required=False, max_length=32)
    # Read by DRF's content negotiation (?format=csv); listed so that it is not an unknown parameter.
    format = serializers.ChoiceField(choices=[("json", "JSON"), ("csv", "CSV")], required=False)

    def validate_group_by(self, value: str) -> tuple[str, ...]:
        codes = tuple(part.strip() for part in value.split(",")) if value.strip() else ()
        unknown = [code for code in codes if code not in DIMENSIONS]
        if unknown:
            raise serializers.ValidationError(
                _("不支持的分组维度：%(unknown)s。可选：%(all)s。")
                % {"unknown": "、".join(unknown) or _("（空）"), "all": ",".join(DIMENSIONS)}
            )
        if len(codes) > MAX_DIMENSIONS:
            raise serializers.ValidationError(_("最多按两个维度分组。"))
        if len(set(codes)) < len(codes):
            raise serializers.ValidationError(_("分组维度不能重复。"))
        return codes

    def _in_range(self, value: datetime.date) -> datetime.date:
        if not EARLIEST <= value <= LATEST:
            raise serializers.ValidationError(_("日期应在 1900 年至 2100 年之间。"))
        return value

    validate_found_after = _in_range
    validate_found_before = _in_range

    def validate_region(self, value: str) -> Region:
        # A region outside the caller's jurisdiction does not exist for them, as on /regions/{code}/.
        region = Region.objects.visible_to(self.context["request"].user).filter(code=value).first()
        if region is None:
            raise exceptions.NotFound(_("未找到该区划，或不在您的辖区内。"))
        return region

    def validate_sector(self, value: str) -> Sector:
        sector = Sector.cached.get_by_key(value)
        if sector is None:
            raise serializers.ValidationError(_("没有代码为 %(code)s 的行业领域。") % {"code": value})
        return sector

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        after, before = attrs.get("found_after"), attrs.get("found_before")
        if after and before and after > before:
            raise serializers.ValidationError({"found_before": [_("截止日期不能早于起始日期。")]})
        return attrs

    def to_query(self) -> StatsQuery:
        data = self.validated_data
        return StatsQuery(
            group_by=data.get("group_by", ()),
            found_after=data.get("found_after"),
            found_before=data.get("found_before"),
            level=data.get("level"),
            region=data.get("region"),
            sector=data.get("sector"),
        )


# --- the response, for the schema ----------------------------------------------------------------


class GroupSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="代码（区划代码、行业代码、月份 YYYY-MM 或取值代码）")
    name = serializers.CharField(help_text="名称")


def _metric_field(kind: str, label: str) -> serializers.Field:
    if kind == "count":
        return serializers.IntegerField(min_value=0, help_text=label)
    if kind == "rate":
        return serializers.FloatField(
            min_value=0, max_value=1, allow_null=True, help_text=f"{label}（0–1，无分母时为 null）"
        )
    if kind == "days":
        return serializers.FloatField(
            min_value=0, allow_null=True, help_text=f"{label}（一位小数，无已交单销号时为 null）"
        )
    return serializers.FloatField(min_value=0, help_text=label)


def _metric_fields() -> dict[str, serializers.Field]:
    return {metric.code: _metric_field(metric.kind, metric.label) for metric in METRICS}


StatsFiguresSerializer = type("StatsFiguresSerializer", (serializers.Serializer,), _metric_fields())

StatsRowSerializer = type(
    "StatsRowSerializer",
    (serializers.Serializer,),
    {
        **{
            code: GroupSerializer(required=False, help_text=f"{dimension.label}（按此维度分组时出现）")
            for code, dimension in DIMENSIONS.items()
        },
        **_metric_fields(),
    },
)


class PeriodSerializer(serializers.Serializer):
    found_after = serializers.DateField(allow_null=True, help_text="发现日期起（含），未限定为 null")
    found_before = serializers.DateField(allow_null=True, help_text="发现日期止（含），未限定为 null")


class ClosureStatsSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(help_text="数据计算时间")
    group_by = serializers.ListField(child=serializers.ChoiceField(choices=list(DIMENSIONS)), help_text="分组维度")
    period = PeriodSerializer()
    rows = StatsRowSerializer(many=True, help_text="每组一行，无隐患的组也列出（各项为 0，比率为 null）")
    total = StatsFiguresSerializer(help_text="合计")
