"""The one FilterSet for hazard lists, shared by the API and the browser app."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from core import filters
from hazards import search
from hazards.choices import STAGE_STATUSES, ExtensionStatus, Level, Stage, Status
from hazards.models import ExtensionRequest, Hazard


class HazardFilterSet(django_filters.FilterSet):
    # No DISTINCT: each hazard has one status, and DISTINCT would sort the whole result.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False, label=_("状态"))
    stage = django_filters.ChoiceFilter(choices=Stage.choices, method="filter_stage", label=_("阶段"))
    level = django_filters.ChoiceFilter(choices=Level.choices, label=_("隐患等级"))
    region = django_filters.CharFilter(method="filter_region", max_length=12, label=_("区划代码（含下级）"))
    sector = django_filters.CharFilter(method="filter_sector", max_length=32, label=_("行业领域代码（含下级）"))
    unit = filters.IdFilter(field_name="responsible_unit_id", label=_("责任单位 ID"))
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("是否逾期"))
    supervised = filters.BooleanFilter(method="filter_supervised", label=_("是否挂牌督办"))
    extension_pending = filters.BooleanFilter(method="filter_extension_pending", label=_("是否有待审批的延期申请"))
    deadline_before = filters.DateFilter(field_name="deadline", lookup_expr="lte", label=_("整改期限不晚于"))
    deadline_after = filters.DateFilter(field_name="deadline", lookup_expr="gte", label=_("整改期限不早于"))
    found_after = filters.DateTimeFilter(field_name="found_at", lookup_expr="gte", label=_("发现时间不早于"))
    found_before = filters.DateTimeFilter(field_name="found_at", lookup_expr="lte", label=_("发现时间不晚于"))
    updated_after = filters.DateTimeFilter(
        field_name="updated_at", lookup_expr="gt", label=_("更新时间晚于（增量同步）")
    )
    q = django_filters.CharFilter(
        method="filter_q", max_length=100, label=_("关键词（编号、名称、描述、位置、责任单位、责任人）")
    )

    class Meta:
        model = Hazard
        fields: list[str] = []

    def filter_sector(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.in_sector(value)

    def filter_stage(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(status__in=STAGE_STATUSES[Stage(value)])

    def filter_region(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        region = Region.cached.get_by_key(value)
        return queryset.within(region) if region else queryset.none()

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.overdue(value)

    def filter_extension_pending(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        pending = ExtensionRequest.objects.filter(hazard=OuterRef("pk"), status=ExtensionStatus.PENDING)
        return queryset.filter(Exists(pending) if value else ~Exists(pending))

    def filter_supervised(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.supervised(value)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("YH-"):
            return queryset.filter(number__istartswith=value)
        # As the 台账 is searched: the unit by part of its name or its pinyin initials anywhere in the name
        # ("htjx" finds 新乡市华泰机械…), and the person responsible; indexed on PostgreSQL (hazards/search.py).
        return search.search(queryset, value, getattr(self.request, "user", None))
