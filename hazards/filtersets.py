"""The one FilterSet for hazard lists, shared by the API and the browser app."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import RegionLevel
from accounts.models import Region, Sector, SupervisingDepartment
from core import filters
from hazards import search
from hazards.api.pagination import HazardPagination
from hazards.choices import (
    OPEN_STATUSES,
    STAGE_STATUSES,
    Action,
    AuthorityLevel,
    ExtensionStatus,
    Level,
    Source,
    Stage,
    Status,
)
from hazards.models import ExtensionRequest, Hazard, HazardEvent, SupervisionListing

# What a figure of the reports counts among the hazards of its group (reports/metrics.py defines them
# the same way): its drill-down link asks the list for exactly those.
CLOSURE_CHOICES = [
    ("closed", _("已销号")),
    ("open", _("未整改")),
    ("on_time", _("按期销号")),
    ("late", _("逾期销号")),
    ("reopened", _("退回后销号")),
]


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


class MonthField(forms.CharField):
    """A month as ``YYYY-MM``, read as its first day."""

    schema_bounds = {"pattern": r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"}  # core.api.schema

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        year, _dash, month = value.partition("-")
        if not (len(year) == 4 and year.isdigit() and len(month) == 2 and month.isdigit()):
            raise forms.ValidationError(_("月份格式应为 YYYY-MM，如 2026-03。"), code="invalid")
        if not (1900 <= int(year) <= 2100 and 1 <= int(month) <= 12):
            raise forms.ValidationError(_("月份格式应为 YYYY-MM，如 2026-03。"), code="invalid")
        return datetime.date(int(year), int(month), 1)


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class HazardFilterSet(filters.FilterSet):
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
    # The dimensions and figures of the reports (reports/dimensions.py), so that every figure drills down.
    county = django_filters.CharFilter(method="filter_county", max_length=12, label=_("区县代码"))
    township = django_filters.CharFilter(method="filter_township", max_length=12, label=_("乡镇（街道）代码"))
    sector_group = django_filters.CharFilter(
        method="filter_sector_group", max_length=32, label=_("行业大类代码（含下级）")
    )
    department = django_filters.CharFilter(method="filter_department", max_length=32, label=_("行业主管部门代码"))
    source = django_filters.ChoiceFilter(choices=Source.choices, label=_("隐患来源"))
    month = MonthFilter(method="filter_month", label=_("发现月份（YYYY-MM，北京时间）"))
    found_from = filters.DateFilter(method="filter_found_from", label=_("发现日期起（含，北京时间）"))
    found_to = filters.DateFilter(method="filter_found_to", label=_("发现日期止（含，北京时间）"))
    supervision_level = django_filters.ChoiceFilter(
        choices=AuthorityLevel.choices, method="filter_supervision_level", label=_("挂牌督办级别（曾挂牌）")
    )
    closure = django_filters.ChoiceFilter(choices=CLOSURE_CHOICES, method="filter_closure", label=_("整改情况"))
    counted = filters.BooleanFilter(method="filter_counted", label=_("是否计入统计（未作废）"))
    q = django_filters.CharFilter(
        method="filter_q", max_length=100, label=_("关键词（编号、名称、描述、位置、责任单位、责任人）")
    )

    class Meta:
        model = Hazard
        fields: list[str] = []

    # A list's search in discovery order (set by ``filter_q``): its page's matches and their count.
    listing: search.Listing | None = None

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

    def filter_county(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        region = Region.cached.get_by_key(value)
        if region is None or region.level != RegionLevel.COUNTY:
            return queryset.none()
        return queryset.filter(county_id=region.pk)

    def filter_township(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """As reports group: the township's hazards and its villages'; a county code means the hazards
        recorded at county level (the reports' "（本级）" row)."""
        region = Region.cached.get_by_key(value)
        if region is None:
            return queryset.none()
        if region.level == RegionLevel.COUNTY:
            return queryset.filter(region_id=region.pk)
        if region.level != RegionLevel.TOWNSHIP:
            return queryset.none()
        return queryset.filter(Q(region_id=region.pk) | Q(region__parent_id=region.pk))

    def filter_sector_group(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # A top-level sector and its sub-sectors: the row of the national tables (reports.dimensions.SectorGroup).
        group = Sector.cached.get_by_key(value)
        if group is None or group.parent_id is not None:
            return queryset.none()
        return queryset.in_sector(value)

    def filter_department(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        department = SupervisingDepartment.objects.filter(code=value).values("pk")
        return queryset.filter(sector__department_id__in=department)

    def filter_month(self, queryset: QuerySet, name: str, value: datetime.date | None) -> QuerySet:
        if value is None:
            return queryset
        following = (value + datetime.timedelta(days=32)).replace(day=1)
        return queryset.filter(found_at__gte=_local_midnight(value), found_at__lt=_local_midnight(following))

    def filter_found_from(self, queryset: QuerySet, name: str, value: datetime.date | None) -> QuerySet:
        return queryset if value is None else queryset.filter(found_at__gte=_local_midnight(value))

    def filter_found_to(self, queryset: QuerySet, name: str, value: datetime.date | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(found_at__lt=_local_midnight(value + datetime.timedelta(days=1)))

    def filter_supervision_level(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        listed = SupervisionListing.objects.filter(hazard=OuterRef("pk"), authority_level=value)
        return queryset.filter(Exists(listed))

    def filter_closure(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        closed = queryset.filter(status=Status.CLOSED)
        closed_day = TruncDate("closed_at", tzinfo=timezone.get_default_timezone())
        on_time = Q(deadline__isnull=True) | Q(deadline__gte=F("closed_day"))
        if value == "on_time":
            return closed.alias(closed_day=closed_day).filter(on_time)
        if value == "late":
            return closed.alias(closed_day=closed_day).exclude(on_time)
        if value == "reopened":
            rejected = HazardEvent.objects.filter(hazard=OuterRef("pk"), action=Action.REJECT)
            return closed.filter(Exists(rejected))
        return closed

    def filter_counted(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.counted() if value else queryset.filter(status=Status.VOID)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("YH-"):
            return queryset.filter(number__istartswith=value)
        # As the 台账 is searched: the unit by part of its name or its pinyin initials anywhere in the name
        # ("htjx" finds 新乡市华泰机械…), and the person responsible; indexed on PostgreSQL (hazards/search.py).
        # A list in discovery order reads only its page's matches, from the months that hold them
        # (search.Listing; the list page asks it for the count too). Without a request (an export), or in
        # another order, every match. q is the last filter declared, so ``queryset`` has every other
        # filter applied: the listing checks its matches against them.
        if self.request is None:
            return search.search(queryset, value)
        pagination = HazardPagination()
        order, after = pagination.position(self.request, Hazard)
        user = getattr(self.request, "user", None)
        self.listing = search.Listing.of(queryset, value, user, order, after, pagination.size_asked(self.request))
        if self.listing is None:
            return search.search(queryset, value, user)
        return queryset.filter(search.among(self.listing.page))


# The report dimensions above, as the list page shows them when a figure drilled down to it.
REPORT_PARAMS = (
    "county",
    "township",
    "sector_group",
    "department",
    "source",
    "month",
    "found_from",
    "found_to",
    "supervision_level",
    "closure",
    "counted",
)
