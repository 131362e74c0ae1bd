"""Admin of the sectors, and a read-only view of the hazard ledger.

Hazards change only through ``hazards.services`` (docs/style.md §2), so the admin shows hazards, their
events, evidence, extensions and listings and offers no way to add, edit or delete any of them.
Every list is scoped by ``visible_to`` (hazards, and the rows of hazards with them) and stays cheap at
a million rows.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.choices import RegionLevel
from accounts.models import Region, Sector
from core.admin import ReadOnlyMixin
from hazards.choices import Level, Status
from hazards.models import MAJOR_FIELDS, Attachment, ExtensionRequest, Hazard, HazardEvent, SupervisionListing

# YH-410702-2026-000123 (hazards.services.numbers); the sequence part may outgrow six digits.
HAZARD_NUMBER = re.compile(r"YH-\d{6}-\d{4}-\d{6,}", re.IGNORECASE)


def estimated_row_count(queryset: QuerySet) -> int | None:
    """The planner's row estimate for the queryset's table on PostgreSQL, None where there is none."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    # reltuples is -1 until the table is first vacuumed or analysed.
    return int(row[0]) if row and row[0] >= 0 else None


class EstimatedCountPaginator(Paginator):
    """Counts exactly, except the unfiltered list of a big PostgreSQL table: there COUNT(*) reads the
    whole table on every page load, so the planner's estimate (kept fresh by autovacuum) draws the pager.
    Any filter or search gets the exact count, since the estimate says nothing about it."""

    # Below this an exact count is cheap, and the estimate of a small or young table is unreliable.
    estimate_above = 50_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and _is_whole_table(queryset):
            estimate = estimated_row_count(queryset)
            if estimate is not None and estimate >= self.estimate_above:
                return estimate
        return super().count


def _is_whole_table(queryset: QuerySet) -> bool:
    query = queryset.query
    return not (query.has_filters() or query.is_sliced or query.combinator)


class IndexedSortChangeList(ChangeList):
    """``sortable_by`` only hides the other column headers; this also ignores a hand-made ``?o=`` for
    them, which would otherwise sort the whole table."""

    def get_ordering_field(self, field_name: str) -> str | None:
        if field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)


class LedgerListMixin(ReadOnlyMixin):
    """The list settings every big, append-mostly table of the ledger shares."""

    actions = None
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts are one COUNT per choice

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return IndexedSortChangeList


class HazardNumberSearchMixin:
    """Search by the full hazard number, which the unique index answers at once."""

    search_fields = ("hazard__number",)
    search_help_text = _("输入完整的隐患编号，如 YH-410702-2026-000123")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(hazard__number=term.upper()), False


class ChangesDisplayMixin:
    @admin.display(description=_("变更内容"))
    def changes_display(self, event: HazardEvent) -> str:
        return "；".join(f"{label}：{before} → {after}" for label, before, after in event.readable_changes())


class CountyFilter(admin.RelatedFieldListFilter):
    """Counties only, and only those the user may see: every village would make a list of thousands."""

    def field_choices(self, field, request: HttpRequest, model_admin) -> list[tuple[int, str]]:
        counties = Region.objects.visible_to(request.user).filter(level=RegionLevel.COUNTY).order_by("code")
        return [(region.pk, str(region)) for region in counties]


class SectorFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request: HttpRequest, model_admin) -> list[tuple[int, str]]:
        return [(sector.pk, str(sector)) for sector in Sector.objects.select_related("parent")]


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    select_related: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        return self.fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.select_related)


class HazardEventInline(ChangesDisplayMixin, ReadOnlyInline):
    model = HazardEvent
    fields = ("at", "action", "actor", "from_status", "to_status", "changes_display", "comment")
    select_related = ("actor",)


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("phase", "original_name", "file", "content_type", "size", "uploaded_by", "uploaded_at")
    select_related = ("uploaded_by",)


class ExtensionRequestInline(ReadOnlyInline):
    model = ExtensionRequest
    fields = (
        "status",
        "current_deadline",
        "requested_deadline",
        "reason",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_comment",
    )
    select_related = ("requested_by", "decided_by")


class SupervisionListingInline(ReadOnlyInline):
    model = SupervisionListing
    fields = (
        "authority_level",
        "authority_region",
        "authority",
        "notice_number",
        "requirements",
        "deadline",
        "listed_by",
        "listed_at",
        "lifted_by",
        "lifted_at",
    )
    select_related = ("listed_by", "lifted_by", "authority_region")


_LISTING_FIELDS = (
    "number",
    "status",
    "stage_label",
    "level",
    "title",
    "description",
    "county",
    "region",
    "address",
    "sector",
    "category",
    "factor",
    "source",
    "found_at",
    "inspected_unit",
    "found_by",
)
_HANDOVER_FIELDS = (
    "responsible_unit",
    "responsible_person",
    "responsible_phone",
    "requirements",
    "deadline",
    "overdue",
    "assigned_at",
)
_HANDLING_FIELDS = ("acknowledged_at", "measures", "completed_on", "cost", "submitted_at")
_CLEARING_FIELDS = ("verification_method", "verification_opinion", "closed_at", "closed_by")
_RECORD_FIELDS = ("version", "created_at", "updated_at")


@admin.register(Hazard)
class HazardAdmin(LedgerListMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "title",
        "county",
        "status",
        "level",
        "sector",
        "responsible_unit",
        "deadline",
        "overdue",
        "found_at",
    )
    list_filter = ("status", "level", ("county", CountyFilter), ("sector", SectorFilter), "source")
    list_select_related = ("county", "sector__parent", "responsible_unit")
    search_fields = ("number", "title")
    search_help_text = _("输入完整的隐患编号精确查找，或输入隐患名称中的字词")
    # Only orders an index serves at a million rows: the default (-found_at, -id) and the number.
    sortable_by = ("number", "found_at")
    readonly_fields = (
        (_LISTING_FIELDS + MAJOR_FIELDS + _HANDOVER_FIELDS + _HANDLING_FIELDS + _CLEARING_FIELDS)
        + ("void_reason",)
        + _RECORD_FIELDS
    )
    inlines = [HazardEventInline, AttachmentInline, ExtensionRequestInline, SupervisionListingInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Hazard]:
        return super().get_queryset(request).visible_to(request.user)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Hazard], search_term: str
    ) -> tuple[QuerySet[Hazard], bool]:
        term = search_term.strip()
        if HAZARD_NUMBER.fullmatch(term):
            # A full number is answered by the unique index; the generic search would scan every title.
            return queryset.filter(number=term.upper()), False
        return super().get_search_results(request, queryset, search_term)

    def get_fieldsets(self, request: HttpRequest, obj: Hazard | None = None) -> list[tuple[Any, dict]]:
        fieldsets: list[tuple[Any, dict]] = [(_("列单"), {"fields": _LISTING_FIELDS})]
        if obj is not None and obj.level == Level.MAJOR:
            fieldsets.append((_("重大事故隐患与治理方案"), {"fields": MAJOR_FIELDS}))
        fieldsets += [
            (_("交单"), {"fields": _HANDOVER_FIELDS}),
            (_("办单"), {"fields": _HANDLING_FIELDS}),
            (_("清单"), {"fields": _CLEARING_FIELDS}),
        ]
        if obj is not None and obj.status == Status.VOID:
            fieldsets.append((_("作废"), {"fields": ("void_reason",)}))
        fieldsets.append((_("记录"), {"fields": _RECORD_FIELDS, "classes": ("collapse",)}))
        return fieldsets

    # Both columns also show on the view page, which prints None as "None" rather than the empty mark.
    @admin.display(description=_("逾期"))
    def overdue(self, hazard: Hazard) -> str:
        days = hazard.days_overdue()
        return gettext("%(days)d 天") % {"days": days} if days else self.get_empty_value_display()

    @admin.display(description=_("阶段"))
    def stage_label(self, hazard: Hazard) -> str:
        return hazard.stage.label if hazard.stage else self.get_empty_value_display()


@admin.register(HazardEvent)
class HazardEventAdmin(HazardNumberSearchMixin, ChangesDisplayMixin, LedgerListMixin, admin.ModelAdmin):
    list_display = ("hazard", "action", "actor", "at", "from_status", "to_status")
    list_select_related = ("hazard", "actor")
    # Events are append-only, so the primary key orders them by time and its index serves the list.
    ordering = ("-id",)
    sortable_by = ()
    fields = ("hazard", "action", "actor", "at", "from_status", "to_status", "changes_display", "comment")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[HazardEvent]:
        return super().get_queryset(request).visible_to(request.user)


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(HazardNumberSearchMixin, LedgerListMixin, admin.ModelAdmin):
    list_display = (
        "hazard",
        "status",
        "current_deadline",
        "requested_deadline",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status",)
    list_select_related = ("hazard", "requested_by", "decided_by")
    fields = ("hazard", *ExtensionRequestInline.fields)
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExtensionRequest]:
        return super().get_queryset(request).visible_to(request.user)


@admin.register(SupervisionListing)
class SupervisionListingAdmin(HazardNumberSearchMixin, LedgerListMixin, admin.ModelAdmin):
    list_display = ("notice_number", "hazard", "authority_level", "authority", "deadline", "listed_at", "active")
    list_filter = ("authority_level",)
    list_select_related = ("hazard",)
    fields = ("hazard", *SupervisionListingInline.fields)
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[SupervisionListing]:
        return super().get_queryset(request).visible_to(request.user)

    @admin.display(description=_("督办中"), boolean=True)
    def active(self, listing: SupervisionListing) -> bool:
        return listing.is_active
