"""The official tables' figures (layouts in ``reports.layouts``), from ``reports.metrics`` only.

- ``mine`` and ``transport``: the two national monthly tables (月报表), cumulative from 1 January to the
  report date, the 合计 row first. Their rows are 行业和领域: each product sector is counted in exactly one
  row of one table (``row_of``: the admin's ``SectorTableRow``, else the default for the sector's code,
  else its parent's); a sector that maps nowhere is named by the check ``reports.W001`` and on the page,
  with the number of its hazards shown under the table: never dropped silently.
- ``counties`` and ``departments``: the 宁波-style 各地 / 各部门 治理统计 for a period, then 合计.

The coverage columns of the national tables (应排查 / 实际排查 / 覆盖率, 家) come from
``inspections.coverage`` for the table's own period and scope: each unit is counted in the row of its own
行业领域 (``row_of``, as a hazard is), a row's parts and the 合计 are the sums of its leaf rows, as for
every other column. Units without a sector, and those of a sector in no row, are counted in no row and
said under the table (``units_without_sector``, ``unmapped_units``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DatabaseError
from django.utils import timezone

from accounts.models import Region, Sector, User
from inspections.coverage import Counts, coverage_by_sector
from reports import live, metrics, rollup, tables
from reports.dimensions import DIMENSIONS
from reports.layouts import DEFAULT_ROWS, LAYOUTS, NOT_AVAILABLE, ROWS_BY_KEY, Column, Layout, display

# --- which row a sector is counted in -----------------------------------------------------------------


def row_of(sector: Sector, mapped: dict[int, str]) -> str | None:
    """The leaf row ``sector`` is counted in: its own row (the admin's, else the default for its code),
    else its parent's; None when neither has one. ``mapped``: the admin's rows by sector id."""
    for candidate in (sector, Sector.cached.get(sector.parent_id) if sector.parent_id else None):
        if not isinstance(candidate, Sector):
            continue
        key = mapped.get(candidate.pk) or DEFAULT_ROWS.get(candidate.code)
        if key in ROWS_BY_KEY:
            return key
    return None


def sector_rows() -> tuple[dict[int, str], list[Sector]]:
    """Every sector's row by id, and the sectors that map nowhere."""
    from reports.models import SectorTableRow

    mapped = dict(SectorTableRow.objects.values_list("sector_id", "row"))
    sectors = list(Sector.objects.all())
    Sector.cached.load([s.pk for s in sectors] + [s.parent_id for s in sectors if s.parent_id])
    rows, unmapped = {}, []
    for sector in sectors:
        key = row_of(sector, mapped)
        if key is None:
            unmapped.append(sector)
        else:
            rows[sector.pk] = key
    return rows, unmapped


def unmapped_sectors() -> list[Sector]:
    try:
        return sector_rows()[1]
    except DatabaseError:  # before the migrations ran (the check runs then too)
        return []


# --- the figures --------------------------------------------------------------------------------------


@dataclass
class TableRow:
    label: str
    values: dict[str, Any]  # by column code: a number, None (no denominator), or NOT_AVAILABLE
    key: str = ""  # a national row's key, a county's code, a department's code; "" for 合计
    indent: bool = False  # a part of the row above it (危险化学品企业's (1) and (2))
    is_total: bool = False


@dataclass
class OfficialTable:
    layout: Layout
    found_after: datetime.date
    found_before: datetime.date
    as_of: datetime.datetime
    source: str
    rows: list[TableRow]
    scope_name: str
    unmapped: list[Sector] = field(default_factory=list)  # sectors whose hazards no row counts
    unmapped_found: int = 0
    unmapped_units: int = 0  # units due of those sectors, in no row's 应排查
    units_without_sector: int = 0  # units due without a sector, in no row's 应排查

    @property
    def total(self) -> TableRow:
        return next(row for row in self.rows if row.is_total)

    @property
    def uncounted_units(self) -> list[str]:
        """What the coverage columns leave out, as said under the table (page and xlsx)."""
        notes = []
        if self.units_without_sector:
            notes.append(f"另有 {self.units_without_sector} 家应排查单位未填行业领域，未计入本表的应排查与实际排查。")
        if self.unmapped_units:
            notes.append(f"另有 {self.unmapped_units} 家应排查单位所属行业未对应到月报表的任何一行，未计入本表。")
        return notes


def _values(layout: Layout, figures: Mapping[str, Any]) -> dict[str, Any]:
    return {column.code: figures[column.code] if column.available else NOT_AVAILABLE for column in layout.columns}


def _coverage_figures(counts: Counts) -> dict[str, Any]:
    return {"units_due": counts.units_due, "units_inspected": counts.units_inspected, "coverage": counts.coverage}


def _coverage_by_row(
    user: User, start: datetime.date, end: datetime.date, region: Region | None, rows_of: dict[int, str]
) -> tuple[dict[str, Counts], int, int]:
    """应排查 / 实际排查 per leaf row (units of each sector in its row), and the units due counted in no row:
    those of a sector in no row, and those without a sector."""
    per_row: dict[str, Counts] = defaultdict(Counts)
    unmapped = without = 0
    for sector_id, counts in coverage_by_sector(user=user, start=start, end=end, region=region).items():
        key = rows_of.get(sector_id) if sector_id is not None else None
        if key is not None:
            per_row[key] += counts
        elif sector_id is None:
            without += counts.units_due
        else:
            unmapped += counts.units_due
    return per_row, unmapped, without


def _measures_by_sector(user: User, query: live.StatsQuery) -> tuple[live.Measures, datetime.datetime, str]:
    """Each sector's measures over the query: from the rollup when it answers; a period ending inside a
    month takes the whole months before it from the rollup and the last, partial one live."""
    dimensions = (DIMENSIONS["sector"],)
    stored = rollup.grouped(user=user, query=query, dimensions=dimensions)
    if stored is not None:
        return stored.found, stored.as_of, f"rollup:{stored.table}"
    before = query.found_before
    after = query.found_after
    if before is not None and after is not None and after.day == 1 and before.replace(day=1) > after:
        head = live.StatsQuery(
            group_by=query.group_by,
            found_after=after,
            found_before=before.replace(day=1) - datetime.timedelta(days=1),
            level=query.level,
            region=query.region,
            sector=query.sector,
        )
        stored = rollup.grouped(user=user, query=head, dimensions=dimensions)
        if stored is not None:
            tail = live.StatsQuery(
                group_by=query.group_by,
                found_after=before.replace(day=1),
                found_before=before,
                level=query.level,
                region=query.region,
                sector=query.sector,
            )
            found = live.grouped_measures(live.hazards_for(user, tail), dimensions, metrics.measures(stored.today))
            for key, values in stored.found.items():
                found[key] = metrics.add([found[key], values]) if key in found else values
            return found, stored.as_of, f"rollup:{stored.table}+live"
    now = timezone.now()
    found = live.grouped_measures(live.hazards_for(user, query), dimensions, metrics.measures(timezone.localdate(now)))
    return found, now, "live"


def _scope_name(user: User, region: Region | None) -> str:
    if region is not None:
        return region.name
    roots = list(Region.objects.roots_for(user))
    return "、".join(root.name for root in roots) if roots else ""


def national_table(
    layout: Layout, *, user: User, report_date: datetime.date, region: Region | None = None
) -> OfficialTable:
    """The table from 1 January of the report date's year to the report date, 合计 first."""
    start = report_date.replace(month=1, day=1)
    query = live.StatsQuery(group_by=("sector",), found_after=start, found_before=report_date, region=region)
    found, as_of, source = _measures_by_sector(user, query)
    rows_of, unmapped = sector_rows()
    leaves = {row.key for row in layout.rows if not row.parts}
    per_row: dict[str, list[dict]] = {row.key: [] for row in layout.rows}
    unmapped_found = 0
    for (sector_id,), values in found.items():
        key = rows_of.get(sector_id)  # type: ignore[call-overload]
        if key is None:
            unmapped_found += int(values["found"])
        elif key in leaves:
            per_row[key].append(values)
    sums = {key: metrics.add(parts) for key, parts in per_row.items()}
    coverage, unmapped_units, without_sector = _coverage_by_row(user, start, report_date, region, rows_of)
    covered = {key: coverage.get(key, Counts()) for key in leaves}
    for row in layout.rows:
        if row.parts:
            sums[row.key] = metrics.add([sums[part] for part in row.parts])
            covered[row.key] = sum((covered[part] for part in row.parts), Counts())
    total = metrics.add([sums[key] for key in leaves])
    total_covered = sum((covered[key] for key in leaves), Counts())
    parts = {part for row in layout.rows for part in row.parts}

    def row_values(figures: metrics.Measures, counts: Counts) -> dict[str, Any]:
        return _values(layout, {**metrics.evaluate(figures), **_coverage_figures(counts)})

    rows = [TableRow("合计", row_values(total, total_covered), is_total=True)]
    rows += [
        TableRow(row.label, row_values(sums[row.key], covered[row.key]), key=row.key, indent=row.key in parts)
        for row in layout.rows
    ]
    return OfficialTable(
        layout=layout,
        found_after=start,
        found_before=report_date,
        as_of=as_of,
        source=source,
        rows=rows,
        scope_name=_scope_name(user, region),
        unmapped=unmapped,
        unmapped_found=unmapped_found,
        unmapped_units=unmapped_units,
        units_without_sector=without_sector,
    )


def by_place_table(
    layout: Layout,
    *,
    user: User,
    found_after: datetime.date,
    found_before: datetime.date,
    region: Region | None = None,
) -> OfficialTable:
    """各地 (a row per county of the caller's scope) or 各部门 (per supervising department), then 合计."""
    dimension = "county" if layout.kind == "by_county" else "department"
    query = live.StatsQuery(group_by=(dimension,), found_after=found_after, found_before=found_before, region=region)
    table = tables.closure_table(user=user, query=query)
    rows = [TableRow(row.groups[0].name, _values(layout, row.values), key=row.groups[0].code) for row in table.rows]
    rows.append(TableRow("合计", _values(layout, table.total), is_total=True))
    return OfficialTable(
        layout=layout,
        found_after=found_after,
        found_before=found_before,
        as_of=table.as_of,
        source=table.source,
        rows=rows,
        scope_name=_scope_name(user, region),
    )


def official_table(
    name: str,
    *,
    user: User,
    report_date: datetime.date | None = None,
    found_after: datetime.date | None = None,
    found_before: datetime.date | None = None,
    region: Region | None = None,
) -> OfficialTable:
    layout = LAYOUTS[name]
    today = timezone.localdate()
    if layout.kind == "national":
        return national_table(layout, user=user, report_date=report_date or today, region=region)
    end = found_before or today
    start = found_after or end.replace(month=1, day=1)
    return by_place_table(layout, user=user, found_after=start, found_before=end, region=region)


def as_data(table: OfficialTable) -> dict[str, Any]:
    """The table for the API: the header with its spans, the columns, and each row's figures (rates 0–1,
    null without a denominator; null and ``"available": false`` for a column not computed) and cells as
    printed."""
    layout = table.layout

    def number(column: Column, value: Any) -> Any:
        if not column.available or value is None:
            return None
        if isinstance(value, Decimal):
            return float(value)
        return value

    return {
        "name": layout.name,
        "title": layout.title,
        "as_of": timezone.localtime(table.as_of).isoformat(),
        "period": {"found_after": table.found_after, "found_before": table.found_before},
        "scope": table.scope_name,
        "header": [[cell.as_dict() for cell in cells] for cells in layout.header],
        "columns": [
            {"code": c.code, "label": c.label, "unit": c.unit, "kind": c.kind, "available": c.available}
            for c in layout.columns
        ],
        "rows": [
            {
                "label": row.label,
                "key": row.key,
                "is_total": row.is_total,
                "values": {c.code: number(c, row.values[c.code]) for c in layout.columns},
                "cells": [display(c, row.values[c.code]) for c in layout.columns],
            }
            for row in table.rows
        ],
        "unmapped_sectors": [{"code": s.code, "name": str(s)} for s in table.unmapped],
        "unmapped_found": table.unmapped_found,
        "unmapped_units": table.unmapped_units,
        "units_without_sector": table.units_without_sector,
    }


def may_see_tables(user: User) -> bool:
    """The official tables are the offices' (as coverage is): a unit contact has only its own hazards."""
    from accounts.choices import Role

    return user.is_authenticated and user.role != Role.UNIT_CONTACT
