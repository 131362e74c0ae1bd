"""The query parameters of the reference-data lists, parsed by form fields (a NUL byte or an unknown
level is a 400, not a database error)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.choices import RegionLevel
from accounts.models import Region, ResponsibleUnit


class RegionFilterSet(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", max_length=12, label=_("上级区划代码"))
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices, label=_("层级"))

    class Meta:
        model = Region
        fields: list[str] = []


class UnitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", max_length=100, label=_("名称、统一社会信用代码或拼音首字母"))
    sector = django_filters.CharFilter(method="filter_sector", max_length=32, label=_("行业领域代码（含下级行业）"))

    class Meta:
        model = ResponsibleUnit
        fields: list[str] = []

    def filter_sector(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(sector__code=value) | Q(sector__parent__code=value))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value)
