"""统计看板: what the dashboard pages show, worked out from the report tables (``reports.tables``) and two
short live lists, with the hazard-list link behind every figure.

A period is a whole month, quarter or year by default, so the figures come from the rollup; a custom
period that does not fall on month boundaries is computed live, with the same definitions. Every figure
is compared with the same period one year earlier.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import RegionLevel
from accounts.models import Region, User
from hazards.choices import AuthorityLevel
from hazards.models import Hazard, days_overdue
from hazards.querysets import HazardQuerySet
from reports import live, metrics, rollup
from reports.dimensions import DIMENSIONS, months_between

BOARD_ROWS = 20
KEEP_SUMS = 3600  # seconds; the key holds the rollup's version, this only bounds the cache

PERIODS = {"month": _("本月"), "quarter": _("本季度"), "year": _("本年"), "custom": _("自定义")}

# 排名通报: the rule in force, printed with the ranking (docs/reports.md §5: the rule is data).
RANKING_RULE = _("按整改率从高到低排名；整改率相同的，逾期未整改数少者在前；仍相同的，按期整改率高者在前。")

# The figures compared with the same period last year, with the list filter each drills down with.
COMPARED: tuple[tuple[str, dict[str, str] | None], ...] = (
    ("found", {}),
    ("closed", {"closure": "closed"}),
    ("closure_rate", None),
    ("closed_on_time", {"closure": "on_time"}),
    ("closed_late", {"closure": "late"}),
    ("reopened_closed", {"closure": "reopened"}),
    ("on_time_rate", None),
    ("reopened_rate", None),
    ("overdue_open", {"overdue": "true"}),
    ("avg_days_to_close", None),
    ("major_found", {"level": "major"}),
)


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.date
    end: datetime.date

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def a_year_before(self) -> Period:
        return Period(self.kind, _year_before(self.start), _year_before(self.end))


def _year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _month_end(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def preset(kind: str, today: datetime.date) -> Period:
    """This month, quarter or year, to its last day: whole months, which the rollup answers."""
    if kind == "month":
        return Period(kind, today.replace(day=1), _month_end(today))
    if kind == "quarter":
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        return Period(kind, first, _month_end(first.replace(month=first.month + 2)))
    return Period("year", today.replace(month=1, day=1), today.replace(month=12, day=31))


def area_dimension(region: Region) -> str:
    """What a region's dashboard compares: a county its townships, anything above its counties."""
    return "township" if region.level == RegionLevel.COUNTY else "county"


@dataclass
class Links:
    """Hazard-list URLs with the dashboard's scope and period already in them."""

    region: Region
    period: Period
    base: str = field(default_factory=lambda: reverse("hazards:list"))
    # The URL up to the figure's own filters, per period (None: the whole period is left out).
    _prefixes: dict[Period | None, str] = field(default_factory=dict, repr=False)

    def _prefix(self, period: Period | None) -> str:
        prefix = self._prefixes.get(period)
        if prefix is None:
            params: dict[str, str] = {"counted": "true", "region": self.region.code}
            if period is not None:
                params |= {"found_from": period.start.isoformat(), "found_to": period.end.isoformat()}
            prefix = self._prefixes[period] = f"{self.base}?{_query_string(params)}"
        return prefix

    def to(
        self,
        group: Mapping[str, str] | None = None,
        /,
        *,
        period: Period | None = None,
        whole_period: bool = True,
        **filters: str,
    ) -> str:
        """The list of what a figure counts: the dashboard's region and period (or ``period``; none with
        ``whole_period=False``), the figure's group and ``filters``."""
        prefix = self._prefix((period or self.period) if whole_period else None)
        params = {**group, **filters} if group else filters
        return f"{prefix}&{_query_string(params)}" if params else prefix


# Codes, dates and choices need no escaping; a page of ~400 links spent ~30 ms in urlencode.
_PLAIN = re.compile(r"^[A-Za-z0-9_.-]*$")


def _query_string(params: Mapping[str, str]) -> str:
    if all(_PLAIN.match(value) for value in params.values()):
        return "&".join(f"{name}={value}" for name, value in params.items())
    return urlencode(params)


def _number(value: metrics.Figure) -> float | int | None:
    return float(value) if isinstance(value, Decimal) else value


@dataclass(frozen=True)
class Measured:
    """The measures of one query's groups: from the rollup when it can answer, else live (as
    ``reports.tables``, one level lower, so that one query feeds several figures)."""

    query: live.StatsQuery
    found: live.Measures
    today: datetime.date
    as_of: datetime.datetime

    def collapse(self, *keep: int) -> live.Measures:
        """The measures summed over the dimensions not kept (by position)."""
        parts: dict[tuple, list] = defaultdict(list)
        for key, values in self.found.items():
            parts[tuple(key[i] for i in keep)].append(values)
        return {key: metrics.add(rows) for key, rows in parts.items()}

    def total(self) -> dict[str, metrics.Value]:
        return metrics.evaluate(metrics.add(self.found.values()))


# What the dashboard's figures are computed from (COMPARED and the ranking's columns): the per-level
# measures. The rest (listings, plans, funds) is not summed, which halves the page's SQL time;
# tests/reports/test_dashboard.py holds the figures shown to the full tables'.
DASHBOARD_MEASURES = tuple(f"{prefix}{name}" for prefix in ("general_", "major_") for name in metrics.PER_LEVEL)
TREND_MEASURES = ("general_found", "major_found", "general_closed", "major_closed")


def measured(
    user: User,
    region: Region,
    period: Period,
    group_by: tuple[str, ...],
    names: tuple[str, ...] = DASHBOARD_MEASURES,
    state: rollup.State | None = None,
) -> Measured:
    """``state``: the rollup's, read once for the page."""
    query = live.StatsQuery(group_by=group_by, found_after=period.start, found_before=period.end, region=region)
    dimensions = tuple(DIMENSIONS[code] for code in group_by)
    # As the stats API keeps its answers: while the rollup's rows do not change, their sums do not.
    version = rollup.version_for(user, query, state)
    key = None
    if version is not None:
        who = (user.pk, user.role, user.unit_id, user.region_id, user.is_superuser)
        key = (
            "reports:dashboard:"
            + hashlib.sha256(
                repr((version[0], who, group_by, period.start, period.end, region.pk, names)).encode()
            ).hexdigest()[:32]
        )
        kept = cache.get(key)
        if kept is not None:
            return Measured(query, kept, timezone.localdate(), version[1])
    stored = rollup.grouped(user=user, query=query, dimensions=dimensions, names=names, state=state)
    if stored is not None:
        if key is not None:
            cache.set(key, stored.found, KEEP_SUMS)
        return Measured(query, stored.found, stored.today, stored.as_of)
    as_of = timezone.now()
    today = timezone.localdate(as_of)
    aggregates = {name: aggregate for name, aggregate in metrics.measures(today).items() if name in names}
    found = live.grouped_measures(live.hazards_for(user, query), dimensions, aggregates)
    return Measured(query, found, today, as_of)


def comparison(
    now: dict[str, metrics.Value], before: dict[str, metrics.Value], period: Period, links: Links
) -> list[dict[str, Any]]:
    """Item 7 of issue 11: the period's figures beside the same period a year earlier."""
    earlier = period.a_year_before()
    rows = []
    for code, filters in COMPARED:
        metric = metrics.METRIC_BY_CODE[code]
        current, previous = now[code], before[code]
        change: float | int | None = None
        if isinstance(current, int) and isinstance(previous, int):
            change = current - previous
        elif current is not None and previous is not None:
            change = _number(Decimal(current) - Decimal(previous))
        rows.append(
            {
                "code": code,
                "label": metric.label,
                "kind": metric.kind,
                "now": _number(current),
                "before": _number(previous),
                "change": change,
                "now_url": links.to(filters) if filters is not None else "",
                "before_url": links.to(filters, period=earlier) if filters is not None else "",
            }
        )
    return rows


def ranking_key(values: Mapping[str, metrics.Figure]) -> tuple:
    """RANKING_RULE: closure rate (no hazards: last), then fewer overdue, then on-time rate."""
    rate = values["closure_rate"]
    on_time = values["on_time_rate"]
    return (
        rate is None,
        -(rate or 0),
        values["overdue_open"],
        -(on_time or 0),
    )


def areas(user: User, by_sector: Measured, links: Links) -> dict[str, Any]:
    """Closure rate by county (or township), and the ranking with its rule."""
    dimension = by_sector.query.group_by[0]
    query = replace(by_sector.query, group_by=(dimension,))
    table = live.assemble(
        user=user,
        query=query,
        found=by_sector.collapse(0),
        today=by_sector.today,
        as_of=by_sector.as_of,
        numbers=True,
    )
    ranked = sorted(table.rows, key=lambda row: ranking_key(row.values))
    rows = []
    previous_key, place = None, 0
    for index, row in enumerate(ranked, start=1):
        group, values = row.groups[0], row.values
        key = ranking_key(values)
        place = place if key == previous_key else index
        previous_key = key
        here = {dimension: group.code}
        rows.append(
            {
                "rank": place if values["found"] else None,
                "code": group.code,
                "name": group.name,
                "found": values["found"],
                "closed": values["closed"],
                "closure_rate": _number(values["closure_rate"]),
                "overdue_open": values["overdue_open"],
                "on_time_rate": _number(values["on_time_rate"]),
                "found_url": links.to(here),
                "closed_url": links.to(here, closure="closed"),
                "overdue_url": links.to(here, overdue="true"),
                "on_time_url": links.to(here, closure="on_time"),
                "dashboard_url": (reverse("reports:region", args=[group.code]) if dimension == "county" else ""),
            }
        )
    return {"dimension": dimension, "label": table.dimensions[0].label, "rows": rows}


CLOSURE_RATE = metrics.METRIC_BY_CODE["closure_rate"]


def heat(user: User, by_sector: Measured, links: Links) -> dict[str, Any]:
    """Closure rate by area × top-level sector, with found and closed for the tooltip."""
    dimension, _group = by_sector.query.group_by
    scope = live.scope_for(user, by_sector.query, by_sector.today)
    axes = [
        DIMENSIONS[code].groups(scope, {key[i] for key in by_sector.found})
        for i, code in enumerate(by_sector.query.group_by)
    ]
    shown = [
        (area, sector, values)
        for area in axes[0]
        for sector in axes[1]
        for values in [by_sector.found.get((area.key, sector.key))]
        if values and values["found"]
    ]
    # The cells' rates a metric at a time, as the stats API works them out (metrics.evaluate_numbers).
    found, closed = [values["found"] for *_, values in shown], [values["closed"] for *_, values in shown]
    rates = CLOSURE_RATE.column({"found": found, "closed": closed}, [values for *_, values in shown])
    cells = [
        {
            "x": area.code,
            "y": sector.code,
            "rate": rate,
            "found": values["found"],
            "closed": values["closed"],
            "url": links.to({dimension: area.code, "sector_group": sector.code}),
        }
        for (area, sector, values), rate in zip(shown, rates, strict=True)
    ]
    return {
        "x": [group.as_dict() for group in axes[0]],
        "y": [group.as_dict() for group in axes[1]],
        "cells": cells,
    }


def trend_months(period: Period) -> tuple[Period, Period]:
    """The months the trend shows: the period's year to its last month, and the same a year earlier."""
    this_year = Period("trend", period.end.replace(month=1, day=1), _month_end(period.end))
    return this_year, Period("trend", _year_before(this_year.start), _month_end(_year_before(this_year.end)))


def trend(by_month: Measured, period: Period, links: Links) -> dict[str, Any]:
    """Found and closed per month of the period's year, to the period's last month, beside the same
    months a year earlier (``by_month`` covers both)."""
    this_year, last_year = trend_months(period)
    series: dict[str, Any] = {}
    for name, chosen in (("now", this_year), ("before", last_year)):
        points = []
        for month in months_between(chosen.start, chosen.end):
            values = by_month.found.get((month,), {})
            code = f"{month:%Y-%m}"
            points.append(
                {
                    "month": code,
                    "found": values.get("found", 0),
                    "closed": values.get("closed", 0),
                    "found_url": links.to(whole_period=False, month=code),
                    "closed_url": links.to(whole_period=False, month=code, closure="closed"),
                }
            )
        series[name] = points
    series["months"] = [f"{m.month}月" for m in months_between(this_year.start, this_year.end)]
    series["year"], series["last_year"] = this_year.start.year, last_year.start.year
    return series


def _scoped(user: User, region: Region) -> HazardQuerySet:
    return Hazard.objects.visible_to(user).within(region)


def _region_name(pk: int | None, default: Region) -> str:
    region = Region.cached.get(pk)
    return region.name if isinstance(region, Region) else default.name


def overdue_board(user: User, region: Region, today: datetime.date) -> list[dict[str, Any]]:
    """The open hazards past their deadline, most overdue first (now, whatever the period)."""
    # Values rather than model instances: a page of two boards built ~80 of them, with their units.
    fields = ("pk", "number", "title", "deadline", "status", "county_id", "responsible_unit__name")
    hazards = _scoped(user, region).overdue(today=today).order_by("deadline", "pk").values_list(*fields)
    return [
        {
            "number": number,
            "title": title,
            "unit": unit or "",
            "county": _region_name(county_id, region),
            "deadline": deadline,
            "days": days_overdue(deadline, status, today),
            "url": reverse("hazards:detail", args=[pk]),
        }
        for pk, number, title, deadline, status, county_id, unit in hazards[:BOARD_ROWS]
    ]


def supervision_board(user: User, region: Region, today: datetime.date, links: Links) -> dict[str, Any]:
    """Active 挂牌督办 listings: how many at each level, and the nearest supervision deadlines first.

    Read from the hazards joined to their active listing (an open hazard has at most one listing, and
    all its listings are active: they are lifted only on 销号 or 作废), so PostgreSQL starts from the few
    active listings; ``listing.hazard_id IN (the city's hazards)`` hashed a million ids (70 ms)."""
    # One join, named once: a filter() and a values() on the listings would each join them anew.
    listed = (
        _scoped(user, region)
        .annotate(
            listing_level=F("supervision_listings__authority_level"),
            listing_deadline=F("supervision_listings__deadline"),
            listing_lifted=F("supervision_listings__lifted_at"),
        )
        .filter(listing_level__isnull=False, listing_lifted__isnull=True)
    )
    counts = dict.fromkeys(AuthorityLevel.values, 0)
    for level in listed.values_list("listing_level", flat=True):
        counts[level] += 1
    levels = [
        {
            "code": level,
            "label": label,
            "count": counts[level],
            "url": links.to(whole_period=False, supervised="true", supervision_level=level),
        }
        for level, label in AuthorityLevel.choices
    ]
    fields = ("pk", "number", "title", "responsible_unit__name", "listing_level", "listing_deadline")
    nearest = listed.order_by("listing_deadline", "pk").values_list(*fields)[:BOARD_ROWS]
    labels = dict(AuthorityLevel.choices)
    rows = [
        {
            "number": number,
            "title": title,
            "unit": unit or "",
            "level": labels.get(level, level),
            "deadline": deadline,
            "days_left": (deadline - today).days,
            "days_late": max((today - deadline).days, 0),
            "url": reverse("hazards:detail", args=[pk]),
        }
        for pk, number, title, unit, level, deadline in nearest
    ]
    return {"levels": levels, "rows": rows, "url": links.to(whole_period=False, supervised="true")}


def dashboard(*, user: User, region: Region, period: Period) -> dict[str, Any]:
    """Everything one dashboard page shows; ``charts`` goes to the page's script as JSON. Three report
    queries: the period by area × top-level sector (the bars, the heat map, the ranking and the total),
    the months of the trend over two years, and the total of the same period a year earlier."""
    now = timezone.now()
    today = timezone.localdate(now)
    links = Links(region=region, period=period)
    state = rollup.current()
    by_sector = measured(user, region, period, (area_dimension(region), "sector_group"), state=state)
    this_year, last_year = trend_months(period)
    trend_period = Period("trend", last_year.start, this_year.end)
    by_month = measured(user, region, trend_period, ("month",), TREND_MEASURES, state=state)
    a_year_before = measured(user, region, period.a_year_before(), (), state=state)
    by_area = areas(user, by_sector, links)
    charts = {
        "areas": [
            {"name": r["name"], "rate": r["closure_rate"], "found": r["found"], "url": r["found_url"]}
            for r in sorted(by_area["rows"], key=lambda r: (r["closure_rate"] is None, -(r["closure_rate"] or 0)))
        ],
        "heat": heat(user, by_sector, links),
        "trend": trend(by_month, period, links),
    }
    return {
        "as_of": min(by_sector.as_of, by_month.as_of, a_year_before.as_of),
        "now": now,
        "areas": by_area,
        "charts": charts,
        "comparison": comparison(by_sector.total(), a_year_before.total(), period, links),
        "overdue": overdue_board(user, region, today),
        "overdue_url": links.to(whole_period=False, overdue="true", ordering="deadline"),
        "supervision": supervision_board(user, region, today, links),
        "ranking_rule": RANKING_RULE,
    }
