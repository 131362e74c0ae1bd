"""The live computation: one GROUP BY query over the caller's hazards computes every measure of
``reports.metrics`` for every group, and the groups with nothing are filled in with zeros.

This is the reference answer. The rollup (``reports.rollup``) answers the common questions from stored
measures through the same ``grouped_measures`` and ``assemble``; ``reports.tables`` picks one.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Region, Sector, User
from hazards.models import Hazard
from reports import metrics
from reports.dimensions import DIMENSIONS, Dimension, Group, Scope

# A table has at most this many rows: township × sector for a whole province is a job for the rollup
# and an export, not for one request.
MAX_ROWS = 20_000


@dataclass(frozen=True)
class StatsQuery:
    """What a report asks for, already checked: dimensions by code, inclusive local dates, and the
    region (inside the caller's jurisdiction) and sector to narrow to."""

    group_by: tuple[str, ...] = ()
    found_after: datetime.date | None = None
    found_before: datetime.date | None = None
    level: str | None = None
    region: Region | None = None
    sector: Sector | None = None


@dataclass(frozen=True)
class Row:
    groups: tuple[Group, ...]
    values: Mapping[str, metrics.Figure]


@dataclass(frozen=True)
class Table:
    query: StatsQuery
    dimensions: tuple[Dimension, ...]
    rows: list[Row]
    total: Mapping[str, metrics.Figure]
    as_of: datetime.datetime  # when the figures were computed (live) or the rollup was brought up to date
    source: str = "live"  # or "rollup:<the rollup table's model name>"


def local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def hazards_for(user: User, query: StatsQuery) -> QuerySet[Hazard]:
    """The hazards a report over ``query`` counts: the caller's, never the voided, narrowed by the query."""
    hazards = Hazard.objects.visible_to(user).counted()
    if query.region is not None:
        hazards = hazards.within(query.region)
    if query.sector is not None:
        hazards = hazards.in_sector(query.sector.code)
    if query.level:
        hazards = hazards.filter(level=query.level)
    if query.found_after:
        hazards = hazards.filter(found_at__gte=local_midnight(query.found_after))
    if query.found_before:
        hazards = hazards.filter(found_at__lt=local_midnight(query.found_before + datetime.timedelta(days=1)))
    return hazards


def scope_for(user: User, query: StatsQuery, today: datetime.date) -> Scope:
    """Where the groups of a report come from: the region asked for, or the top of the caller's
    jurisdiction as the region pickers start from it (a unit contact's is where the unit is)."""
    roots = (query.region,) if query.region is not None else tuple(Region.objects.roots_for(user))
    return Scope(
        roots=roots,
        sector=query.sector,
        level=query.level,
        found_after=query.found_after,
        found_before=query.found_before,
        today=today,
    )


def closure_table(*, user: User, query: StatsQuery, numbers: bool = False) -> Table:
    """The table computed from the hazards themselves: the reference answer (``reports.tables`` serves
    the same from the rollup when it can). ``numbers``: see ``assemble``."""
    as_of = timezone.now()
    today = timezone.localdate(as_of)
    dimensions = tuple(DIMENSIONS[code] for code in query.group_by)
    found = grouped_measures(hazards_for(user, query), dimensions, metrics.measures(today))
    return assemble(user=user, query=query, found=found, today=today, as_of=as_of, numbers=numbers)


Measures = dict[tuple[Hashable, ...], dict[str, int | Decimal]]


def grouped_measures(
    rows: QuerySet, dimensions: tuple[Dimension, ...], aggregates: dict[str, Any], *, rollup: bool = False
) -> Measures:
    """One GROUP BY over ``rows``, hazards or (``rollup``) the rollup's rows with their sums: each
    group's measures, keyed by the dimensions' values."""
    found: Measures = {}
    if not dimensions:
        found[()] = metrics.normalize(rows.aggregate(**aggregates))
        return found
    aliases = {f"by_{d.code}": d.rollup_expression() if rollup else d.expression() for d in dimensions}
    # Tuples, a measure per column: a city's county × sector table is ~400 rows of ~30 numbers, and a
    # dict per row and a conversion per number were most of the API's time (bench.reports.rollup).
    grouped = rows.values(**aliases).annotate(**aggregates).order_by().values_list(*aliases, *aggregates)
    raw = list(grouped)
    width = len(dimensions)
    keys = [tuple(d.normalize(value) for d, value in zip(dimensions, row[:width], strict=True)) for row in raw]
    measures = metrics.normalize_many(tuple(aggregates), [row[width:] for row in raw])
    for key, values in zip(keys, measures, strict=True):
        found[key] = metrics.add([found[key], values]) if key in found else values
    return found


def axes_for(
    user: User, query: StatsQuery, present: Iterable[tuple[Hashable, ...]], today: datetime.date
) -> list[list[Group]]:
    """Every dimension's groups, in report order, for the groups ``present`` (keys as
    ``grouped_measures`` gives them): the scope's, zeros included, then the others found. A table is
    every combination of them; more than ``MAX_ROWS`` is refused."""
    dimensions = tuple(DIMENSIONS[code] for code in query.group_by)
    scope = scope_for(user, query, today)
    keys = list(present)
    axes = [dimension.groups(scope, {key[i] for key in keys}) for i, dimension in enumerate(dimensions)]
    size = math.prod(len(axis) for axis in axes)
    if size > MAX_ROWS:
        message = _("分组过多（%(n)d 组，最多 %(max)d 组），请缩小区划、行业或期间范围。") % {
            "n": size,
            "max": MAX_ROWS,
        }
        raise ValidationError({"group_by": ValidationError(message, code="too_many_groups")})
    return axes


def assemble(
    *,
    user: User,
    query: StatsQuery,
    found: Measures,
    today: datetime.date,
    as_of: datetime.datetime,
    source: str = "live",
    numbers: bool = False,
) -> Table:
    """Every group of the caller's scope, zeros included, with its metrics worked out from its measures:
    exactly (ints and Decimals), or with ``numbers`` as JSON carries them (``metrics.evaluate_numbers``)."""
    dimensions = tuple(DIMENSIONS[code] for code in query.group_by)
    axes = axes_for(user, query, found, today)

    # Each group's figures are worked out once; the groups without hazards share one read-only answer.
    groups = list(found.values())
    figures: Sequence[Mapping[str, metrics.Figure]]
    if numbers:
        figures = metrics.evaluate_numbers([*groups, metrics.normalize({}), metrics.add(groups)])
    else:
        figures = [metrics.evaluate(values) for values in [*groups, metrics.normalize({}), metrics.add(groups)]]
    by_key = dict(zip(found, figures, strict=False))
    empty, total = figures[-2:]
    rows = [
        Row(combination, by_key.get(tuple(group.key for group in combination), empty))
        for combination in itertools.product(*axes)
    ]
    return Table(query=query, dimensions=dimensions, rows=rows, total=total, as_of=as_of, source=source)
