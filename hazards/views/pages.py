"""The browser app's reading pages: 工作台, 隐患列表 and the scoped attachment download.

Every page starts from ``Hazard.objects.visible_to(user)``: outside one's jurisdiction a hazard does
not exist (404). Lists reuse the API's FilterSet and keyset pagination, so the browser and the API
filter and page the same way and nothing ever counts the table.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from operator import attrgetter
from urllib.parse import urlencode, urlsplit

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request

from accounts.choices import RegionLevel, Role
from accounts.jurisdiction import regions_reached
from accounts.models import Region, Sector
from core.downloads import file_response
from core.workdays import add_working_days
from hazards import search
from hazards.api.pagination import HazardPagination
from hazards.apps import HOME_PAGES
from hazards.choices import OPEN_STATUSES, ExtensionStatus, Level, Stage, Status
from hazards.filtersets import REPORT_PARAMS, HazardFilterSet
from hazards.models import Attachment, ExtensionRequest, Hazard, SupervisionListing, days_overdue

DUE_SOON_WORKING_DAYS = 3

# The columns a list can be sorted by; each toggles between ascending and descending.
SORTABLE = {"deadline": _("整改期限"), "found_at": _("发现时间"), "updated_at": _("更新时间")}


def visible_hazards(request: HttpRequest) -> QuerySet[Hazard]:
    return Hazard.objects.visible_to(request.user)


# --- 工作台 -------------------------------------------------------------------------------------------

# What waits for whom: the cards each role sees first ("mine") and the ones shown for context.
ROLE_CARDS: dict[str, tuple[str, ...]] = {
    Role.COUNTY_OFFICER: ("listed", "assigned", "rectifying", "submitted", "overdue", "due_soon", "supervised"),
    Role.UNIT_CONTACT: ("assigned", "rectifying", "submitted", "overdue", "due_soon", "supervised"),
    Role.SUPERVISOR: (
        "submitted",
        "extension_pending",
        "overdue",
        "supervised",
        "due_soon",
        "listed",
        "assigned",
        "rectifying",
    ),
}
ALL_CARDS = ("listed", "assigned", "rectifying", "submitted", "overdue", "due_soon", "supervised", "extension_pending")
MINE: dict[str, frozenset[str]] = {
    Role.COUNTY_OFFICER: frozenset({"listed"}),
    Role.UNIT_CONTACT: frozenset({"assigned", "rectifying"}),
    Role.SUPERVISOR: frozenset({"submitted", "extension_pending"}),
}
CARD_TITLES = {
    "listed": _("待交单"),
    "assigned": _("待签收"),
    "rectifying": _("整改中"),
    "submitted": _("待验收"),
    "overdue": _("已逾期"),
    "due_soon": _("3 个工作日内到期"),
    "supervised": _("挂牌督办中"),
    "extension_pending": _("延期待审批"),
}


def home_counts(hazards: QuerySet[Hazard], today: datetime.date) -> dict[str, int]:
    """Every count of the 工作台 over the user's visible hazards, in two queries that read only open
    hazards (from the hazard_open_county_status index alone) and active listings, never the ledger."""
    soon = add_working_days(today, DUE_SOON_WORKING_DAYS)
    by_status = (
        hazards.open()
        .order_by()
        .values("status")
        .annotate(
            # Counting a column of the index (never null), not the id, which would visit every row.
            n=Count("status"),
            overdue=Count("status", filter=Q(deadline__lt=today)),
            due_soon=Count("status", filter=Q(deadline__gte=today, deadline__lte=soon)),
        )
    )
    counts = dict.fromkeys(("listed", "assigned", "rectifying", "submitted", "overdue", "due_soon"), 0)
    for row in by_status:
        counts[row["status"]] = row["n"]
        counts["overdue"] += row["overdue"]
        counts["due_soon"] += row["due_soon"]
    counts["supervised"] = SupervisionListing.objects.filter(lifted_at__isnull=True, hazard__in=hazards).count()
    pending = ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING, hazard__in=hazards)
    counts["extension_pending"] = pending.count()
    return counts


def home_links(today: datetime.date) -> dict[str, str]:
    """The filtered list URL behind each card, in the FilterSet's own parameters."""
    soon = add_working_days(today, DUE_SOON_WORKING_DAYS)
    open_statuses = [("status", s.value) for s in OPEN_STATUSES]
    params: dict[str, list[tuple[str, str]]] = {
        status: [("status", status)] for status in ("listed", "assigned", "rectifying", "submitted")
    }
    params["overdue"] = [("overdue", "true"), ("ordering", "deadline")]
    params["due_soon"] = [
        *open_statuses,
        ("deadline_after", today.isoformat()),
        ("deadline_before", soon.isoformat()),
        ("ordering", "deadline"),
    ]
    params["supervised"] = [("supervised", "true")]
    params["extension_pending"] = [("extension_pending", "true"), ("ordering", "deadline")]
    base = reverse("hazards:list")
    return {key: f"{base}?{urlencode(value)}" for key, value in params.items()}


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    page = HOME_PAGES.get(request.user.role)
    if page is not None:
        return import_string(page)(request)
    today = timezone.localdate()
    counts = home_counts(visible_hazards(request), today)
    links = home_links(today)
    role = request.user.role
    mine = MINE.get(role, frozenset())
    cards = [
        {"key": key, "title": CARD_TITLES[key], "count": counts[key], "url": links[key], "mine": key in mine}
        for key in ROLE_CARDS.get(role, ALL_CARDS)
    ]
    return render(request, "hazards/home.html", {"cards": cards, "today": today})


# --- 隐患列表 -----------------------------------------------------------------------------------------


def region_choices(request: HttpRequest) -> list[Region]:
    """Regions the user may filter by: their jurisdiction down to townships (villages are too many), from
    the regions the process keeps (``regions_reached`` answers ``visible_to`` for them)."""
    levels = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP)
    regions = [r for r in Region.cached.all() if r.level in levels]
    return sorted(regions_reached(request.user, regions), key=attrgetter("code"))


def sector_choices() -> list[tuple[str, str]]:
    """(code, "门类·行业") of every sector in the code list's order, from the sectors the process keeps."""
    sectors = sorted(Sector.cached.all(), key=attrgetter("sort_order", "code"))
    return [(s.code, f"{Sector.cached.get(s.parent_id).name}·{s.name}" if s.parent_id else s.name) for s in sectors]


def keyset_page(queryset: QuerySet, request: HttpRequest) -> tuple[list, str | None, str]:
    """One page by the API's keyset pagination: (rows, relative URL of the next page, error)."""
    paginator = HazardPagination()
    try:
        rows = paginator.paginate_queryset(queryset, Request(request))
    except ApiValidationError as exc:
        message = next(iter(exc.detail.values()))[0] if isinstance(exc.detail, dict) else exc.detail[0]
        return [], None, str(message)
    next_url = paginator.next_link()
    if next_url:
        parts = urlsplit(next_url)
        next_url = f"{parts.path}?{parts.query}"
    return rows, next_url, ""


def sort_links(request: HttpRequest, current: str) -> list[dict]:
    """Header links that sort by a column; a second click reverses it. The cursor is dropped."""
    params = request.GET.copy()
    params.pop("cursor", None)
    links = []
    for field, label in SORTABLE.items():
        descending_now = current == f"-{field}"
        params["ordering"] = field if descending_now else f"-{field}"
        arrow = "↓" if current == f"-{field}" else "↑" if current == field else ""
        links.append({"field": field, "label": label, "url": f"?{params.urlencode()}", "arrow": arrow})
    return links


@dataclass(frozen=True)
class ListRow:
    """One line of 隐患列表, its values worked out once in Python (a 50-row page rendered through template
    lookups, filters and ``{% url %}`` per cell cost ~40 ms of CPU) and written by a Jinja2 template
    (``list_rows_html``)."""

    pk: int
    url: str
    number: str
    title: str
    status: str
    status_display: str
    is_major: bool
    is_supervised: bool
    region: str
    sector: str
    unit: str
    deadline: str
    days_overdue: int
    found_at: str
    updated_at: str


def place_name(region_id: int, county_id: int | None) -> str:
    """The region with its county in front below county level: 朝阳街道 exists in more than one county."""
    region = Region.cached.get(region_id)
    if county_id == region_id or county_id is None:
        return region.name
    county = Region.cached.get(county_id)
    return f"{county.name}·{region.name}" if county else region.name


# Counting a large result would read it all: beyond this the list says "more than".
COUNT_CAP = 10_000


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> int:
    """The number of rows, stopping at ``cap`` + 1 (a LIMIT inside the COUNT)."""
    return queryset.order_by().values("pk")[: cap + 1].count()


# What a line of the list reads: rows of values, not model instances (half the CPU of the page's query).
LIST_FIELDS = (
    "id",
    "number",
    "title",
    "status",
    "level",
    "is_supervised",
    "region_id",
    "county_id",
    "sector_id",
    "responsible_unit__name",
    "deadline",
    "found_at",
    "updated_at",
)


def list_rows(hazards: list[dict], today: datetime.date) -> list[ListRow]:
    """The lines of rows of ``LIST_FIELDS``."""
    # The page's regions and sectors in at most one query each (none once the process knows them).
    Region.cached.load([h["region_id"] for h in hazards] + [h["county_id"] for h in hazards])
    Sector.cached.load([h["sector_id"] for h in hazards])
    labels = {status: str(label) for status, label in Status.choices}
    detail = reverse("hazards:detail", args=[0]).removesuffix("0/")
    zone = timezone.get_current_timezone()

    def minute(value: datetime.datetime) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return [
        ListRow(
            pk=h["id"],
            url=f"{detail}{h['id']}/",
            number=h["number"],
            title=h["title"],
            status=h["status"],
            status_display=labels.get(h["status"], h["status"]),
            is_major=h["level"] == Level.MAJOR,
            is_supervised=h["is_supervised"],
            region=place_name(h["region_id"], h["county_id"]),
            sector=Sector.cached.get(h["sector_id"]).name,
            unit=h["responsible_unit__name"] or "",
            deadline=h["deadline"].isoformat() if h["deadline"] else "",
            days_overdue=days_overdue(h["deadline"], h["status"], today),
            found_at=minute(h["found_at"]),
            updated_at=minute(h["updated_at"]),
        )
        for h in hazards
    ]


def list_rows_html(rows: list[ListRow]) -> str:
    """The rows' HTML, from templates/jinja2/hazards/list_rows.html (autoescaped: safe to insert)."""
    return mark_safe(render_to_string("hazards/list_rows.html", {"hazards": rows}, using="jinja2"))


def report_filters(filterset: HazardFilterSet, request: HttpRequest) -> list[dict[str, str]]:
    """The reports' dimensions a figure drilled down with, named for the reader and kept by the form."""
    shown = []
    for name in REPORT_PARAMS:
        value = request.GET.get(name, "")
        if not value:
            continue
        field = filterset.form.fields[name]
        display = dict(getattr(field, "choices", ())).get(value, value)
        if name in ("county", "township"):
            region = Region.cached.get_by_key(value)
            display = region.name if region else value
        elif name == "sector_group":
            sector = Sector.cached.get_by_key(value)
            display = sector.name if sector else value
        elif name == "counted":
            display = _("是") if value == "true" else _("否")
        shown.append({"name": name, "value": value, "label": str(field.label), "display": str(display)})
    return shown


@require_GET
@login_required
def hazard_list(request: HttpRequest) -> HttpResponse:
    filterset = HazardFilterSet(request.GET, queryset=visible_hazards(request), request=request)
    # The page's columns on the page's query only: the unit's name is a join the count must not make.
    hazards, next_url, page_error = keyset_page(filterset.qs.with_is_supervised().values(*LIST_FIELDS), request)
    today = timezone.localdate()
    ordering = request.GET.get("ordering") or HazardPagination.default_ordering
    params = request.GET.copy()
    params.pop("cursor", None)
    # A search is counted up to a lower cap: its rows are found through the search table (hazards/search.py).
    cap = search.COUNT_CAP if search.cleaned(request.GET.get("q", "")) else COUNT_CAP
    total = filterset.listing.total() if filterset.listing else capped_count(filterset.qs, cap)
    rows = list_rows(hazards, today)
    context = {
        "hazards": rows,
        "rows": list_rows_html(rows),
        "total": min(total, cap),
        "total_capped": total > cap,
        "next_url": next_url,
        "is_first_page": "cursor" not in request.GET,
        "first_page_url": f"?{params.urlencode()}" if params else request.path,
        "page_error": page_error,
        "filter_errors": filterset.errors,
        "sort_links": sort_links(request, ordering),
        "ordering": ordering,
        "selected": {
            "status": request.GET.getlist("status"),
            "stage": request.GET.get("stage", ""),
            "level": request.GET.get("level", ""),
            "region": request.GET.get("region", ""),
            "sector": request.GET.get("sector", ""),
            "overdue": request.GET.get("overdue", ""),
            "supervised": request.GET.get("supervised", ""),
            "deadline_after": request.GET.get("deadline_after", ""),
            "deadline_before": request.GET.get("deadline_before", ""),
            "q": request.GET.get("q", ""),
            "unit": request.GET.get("unit", ""),
        },
        "report_filters": report_filters(filterset, request),
        "status_choices": Status.choices,
        "stage_choices": Stage.choices,
        "level_choices": Level.choices,
        "regions": region_choices(request),
        "sectors": sector_choices(),
        "filtered": any(key not in ("ordering", "cursor") for key in request.GET),
        "today": today,
    }
    return render(request, "hazards/list.html", context)


# --- 附件 ---------------------------------------------------------------------------------------------


@require_GET
@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """Evidence files are served only through the hazard's scope; MEDIA is never public."""
    attachment = get_object_or_404(Attachment.objects.visible_to(request.user), pk=attachment_id, hazard_id=pk)
    return file_response(attachment.file, filename=attachment.download_name, content_type=attachment.content_type)
