"""The figures of every report, each defined once (docs/design.md, "Reports as built").

Two layers, so that one GROUP BY query computes a whole table and a coarser figure is always the sum
of finer ones:

- a *measure* is additive, a count or a sum over hazards, written as one Django aggregate expression
  (``measures()``); the overall ones are the sums of the 一般 and the 重大 ones. The total of a table, a
  county made of its townships, and later the rollup table's rows are all sums of measures; nothing is
  averaged twice.
- a *metric* is what a report shows (``METRICS``): a measure, a difference or a ratio of measures, worked
  out in Python from a group's measures and rounded there (rates to 4 decimal places, days to 1, 万元 to
  2).

Every measure counts ``Hazard.objects.counted()`` (voided hazards count nowhere) and reads dates as
Asia/Shanghai local dates. ``TruncDate`` with the time zone is translated for PostgreSQL and SQLite
alike, and so is the subtraction of two dates (``make run`` uses SQLite).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Aggregate, Count, DateField, DurationField, Exists, ExpressionWrapper, OuterRef, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from hazards.choices import OPEN_STATUSES, Action, AuthorityLevel, Level, Status
from hazards.models import FIVE_IN_PLACE_FIELDS, Hazard, HazardEvent, SupervisionListing
from hazards.querysets import overdue_condition, under_supervision

Value = int | Decimal | None

RATE_PLACES = Decimal("0.0001")
DAYS_PLACES = Decimal("0.1")
FUNDS_PLACES = Decimal("0.01")
YUAN_PER_WAN = Decimal(10_000)

CLOSED = Q(status=Status.CLOSED)
OPEN = Q(status__in=OPEN_STATUSES)
HANDED_OVER = Q(assigned_at__isnull=False)  # 交单 happened (即查即改 has none)
LEVELS = {"general_": Q(level=Level.GENERAL), "major_": Q(level=Level.MAJOR)}
LEVEL_LABELS = {"": "", "general_": "一般·", "major_": "重大·"}


# Set while compiling SQL for a PostgreSQL session whose TimeZone is the local zone (``in_local_zone``).
_SESSION_IN_LOCAL_ZONE = contextvars.ContextVar("session_in_local_zone", default=False)


@contextlib.contextmanager
def in_local_zone(cursor: Any) -> Iterator[None]:
    """Compile SQL for a PostgreSQL session set to the local zone: ``cursor``'s session gets TimeZone =
    Asia/Shanghai until the block ends (the setting is the transaction's, so call it inside one), and the
    local dates and months compiled meanwhile are plain casts in that zone. The same values as Django's
    ``… AT TIME ZONE 'Asia/Shanghai'``, which makes PostgreSQL look the zone up by its name on every row
    (~0.5 µs each; the rollup's full rebuild converts ~3,000,000 times: bench.reports.rollup)."""
    # Outside a transaction the setting would end with its own statement, and the casts would read UTC.
    assert cursor.db.in_atomic_block, "in_local_zone needs a transaction"
    cursor.execute("SELECT current_setting('TimeZone')")
    (before,) = cursor.fetchone()
    cursor.execute("SELECT set_config('TimeZone', %s, true)", [timezone.get_default_timezone_name()])
    token = _SESSION_IN_LOCAL_ZONE.set(True)
    try:
        yield
    finally:
        _SESSION_IN_LOCAL_ZONE.reset(token)
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [before])


class LocalDate(TruncDate):
    """``TruncDate`` in the local zone; a cast in a session set to it (``in_local_zone``)."""

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        if not _SESSION_IN_LOCAL_ZONE.get():
            return self.as_sql(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        return f"({sql})::date", params


class LocalMonth(TruncMonth):
    """``TruncMonth`` in the local zone, as a date (the month's first day); see ``LocalDate``."""

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        if not _SESSION_IN_LOCAL_ZONE.get():
            return self.as_sql(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        return f"(DATE_TRUNC('month', ({sql})::timestamp))::date", params


def local_date(field: str) -> TruncDate:
    """The Asia/Shanghai calendar date of a timestamp column."""
    return LocalDate(field, tzinfo=timezone.get_default_timezone())


def local_month(field: str) -> TruncMonth:
    """The first day of the Asia/Shanghai calendar month of a timestamp column."""
    return LocalMonth(field, tzinfo=timezone.get_default_timezone(), output_field=DateField())


def _recorded(name: str) -> Q:
    field = Hazard._meta.get_field(name)
    return Q(**{f"{name}__isnull": False}) if field.null else ~Q(**{name: ""})


def _any(conditions: Iterable[Q]) -> Q:
    result = Q()
    for condition in conditions:
        result |= condition
    return result


# 列入治理计划: a 治理方案 is on file when any part of it is recorded; 五到位 when all five are.
HAS_PLAN = _any(_recorded(name) for name in FIVE_IN_PLACE_FIELDS)
FIVE_IN_PLACE = Q(*(_recorded(name) for name in FIVE_IN_PLACE_FIELDS))


def closed_on_time() -> Q:
    """销号 on or before the deadline in force (extensions move it); 即查即改 has no deadline and is on time."""
    return CLOSED & (Q(deadline__isnull=True) | Q(deadline__gte=local_date("closed_at")))


def days_to_close() -> ExpressionWrapper:
    """Whole days from the local date of 交单 to the local date of 销号."""
    return ExpressionWrapper(local_date("closed_at") - local_date("assigned_at"), output_field=DurationField())


def reopened() -> Q:
    """销号 after at least one 退回: the acceptance failed once, whenever the hazard was closed at last."""
    return CLOSED & Q(Exists(HazardEvent.objects.filter(hazard=OuterRef("pk"), action=Action.REJECT)))


def ever_listed(**conditions: Any) -> Q:
    """The hazard has (had) a 挂牌督办 listing; listings are lifted only when the hazard is closed or voided."""
    return Q(Exists(SupervisionListing.objects.filter(hazard=OuterRef("pk"), **conditions)))


# The measures counted for 一般 and for 重大 separately; the overall figure is their sum, since every
# hazard is one or the other (``normalize``), which spares the query a third pass over each condition.
PER_LEVEL = (
    "found",
    "closed",
    "overdue_open",
    "closed_on_time",
    "closed_handed_over",
    "reopened_closed",
    "close_days",
)


def measures(today: datetime.date) -> dict[str, Aggregate]:
    """Every measure as an aggregate expression; ``today`` (a local date) decides what is overdue."""
    per_level = {
        "found": Q(),
        "closed": CLOSED,
        "overdue_open": overdue_condition(today),
        "closed_on_time": closed_on_time(),
        "closed_handed_over": CLOSED & HANDED_OVER,
        "reopened_closed": reopened(),
    }
    result: dict[str, Aggregate] = {}
    for prefix in ("general_", "major_"):
        level = LEVELS[prefix]
        for name, condition in per_level.items():
            result[prefix + name] = Count("pk", filter=level & condition)
        result[prefix + "close_days"] = Sum(days_to_close(), filter=level & CLOSED & HANDED_OVER)
    # Only 重大 hazards are listed, and a listed one keeps its level (hazards.services): testing the level
    # first spares the subquery for every general hazard.
    major = LEVELS["major_"]
    result |= {
        "major_in_plan": Count("pk", filter=major & OPEN & HAS_PLAN),
        "major_five_in_place": Count("pk", filter=major & OPEN & HAS_PLAN & FIVE_IN_PLACE),
        "supervised": Count("pk", filter=major & ever_listed()),
        "supervised_closed": Count("pk", filter=major & CLOSED & ever_listed()),
        "supervised_open": Count("pk", filter=major & OPEN & Q(under_supervision())),
        **{
            f"supervised_{level}": Count("pk", filter=major & ever_listed(authority_level=level))
            for level in AuthorityLevel.values
        },
        "major_plan_funds": Sum("plan_funds", filter=major),
        "general_cost": Sum("cost", filter=LEVELS["general_"]),
    }
    return result


@functools.cache
def measure_names() -> tuple[str, ...]:
    """What the database computes per group, in ``measures()``'s order; known before the models are
    loaded, since the rollup table has a column for each (tests/reports/test_rollup.py checks they agree)."""
    per_level = tuple(f"{prefix}{name}" for prefix in ("general_", "major_") for name in PER_LEVEL)
    listed = tuple(f"supervised_{level}" for level in AuthorityLevel.values)
    return (
        *per_level,
        *("major_in_plan", "major_five_in_place", "supervised", "supervised_closed", "supervised_open"),
        *listed,
        *("major_plan_funds", "general_cost"),
    )


@functools.cache
def value_names() -> tuple[str, ...]:
    """What a group's measures hold: the database's, and the overall sums of the per-level ones."""
    return (*measure_names(), *PER_LEVEL)


def normalize(raw: Mapping[str, Any]) -> dict[str, int | Decimal]:
    """A database row of measures as plain numbers (0 for an empty sum, whole days for durations), with
    the overall measures added up from 一般 and 重大."""
    values: dict[str, int | Decimal] = {}
    for name in measure_names():
        value = raw.get(name)
        if value is None:
            value = 0
        elif isinstance(value, datetime.timedelta):
            value = value.days
        values[name] = value
    for name in PER_LEVEL:
        values[name] = values[f"general_{name}"] + values[f"major_{name}"]
    return values


def normalize_many(names: tuple[str, ...], rows: list[tuple]) -> list[dict[str, int | Decimal]]:
    """``normalize`` for many database rows at once (``names`` are their columns), a column at a time."""
    if not rows:
        return []
    given = dict(zip(names, zip(*rows, strict=True), strict=True))
    zeros = [0] * len(rows)
    columns: dict[str, list] = {}
    for name in measure_names():
        column = given.get(name)
        columns[name] = (
            zeros
            if column is None
            else [0 if v is None else v.days if type(v) is datetime.timedelta else v for v in column]
        )
    for name in PER_LEVEL:
        columns[name] = [a + b for a, b in zip(columns[f"general_{name}"], columns[f"major_{name}"], strict=True)]
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def add(rows: Iterable[Mapping[str, int | Decimal]]) -> dict[str, int | Decimal]:
    """The measures of the union of disjoint groups: the sum of theirs."""
    total: dict[str, int | Decimal] = dict.fromkeys(value_names(), 0)
    for row in rows:
        for name in total:
            total[name] += row[name]
    return total


def _ratio(numerator: int | Decimal, denominator: int | Decimal, places: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(places, rounding=ROUND_HALF_UP)


Measures = Mapping[str, int | Decimal]
Columns = Mapping[str, list]  # a measure's values in many groups, one list per measure, in the same order
Number = int | float | None
Figure = Value | float  # a metric's value: exact (``evaluate``), or as JSON carries it (``evaluate_numbers``)


@dataclass(frozen=True)
class Metric:
    """One figure, defined once as a small formula over measures, ``numerator`` (measures added, and
    after a "-" subtracted) over ``denominator`` (for rates and mean days); evaluated either exactly
    (``compute``: ints and rounded Decimals, what the tables and xlsx files print) or, for many groups
    at once, as the numbers JSON carries (``column``: the same values as floats, worked out in integers;
    tests/reports/test_metrics.py holds the two equal)."""

    code: str
    label: str  # the column header, as reports print it
    kind: str  # "count" (项), "rate" (0–1, null without a denominator), "days" or "funds" (万元)
    numerator: tuple[str, ...]  # measure names; those after "-" are subtracted
    denominator: str = ""
    places: Decimal = RATE_PLACES

    def _top(self, m: Measures) -> int | Decimal:
        total: int | Decimal = 0
        sign = 1
        for name in self.numerator:
            if name == "-":
                sign = -1
            else:
                total += sign * m[name]
        return total

    def compute(self, m: Measures) -> Value:
        if self.kind == "funds":
            return _funds(m, self.numerator)
        if not self.denominator:
            return self._top(m)
        return _ratio(self._top(m), m[self.denominator], self.places)

    def column(self, columns: Columns, rows: list[Measures]) -> list[Number]:
        """The figure of every group at once: ``columns`` holds the groups' measures by name, ``rows``
        the same as mappings (for the few figures kept in Decimal)."""
        if self.kind == "funds":
            return [float(_funds(m, self.numerator)) for m in rows]
        top = self._top_column(columns)
        if not self.denominator:
            return top
        below = columns[self.denominator]
        scale = int(1 / self.places)
        # Counts are non-negative ints; a sum of day differences may be negative, a sum may be a Decimal.
        if {*map(type, top), *map(type, below)} != {int} or min(top) < 0:
            return [_half_up(n, d, scale) if d else None for n, d in zip(top, below, strict=True)]
        twice = 2 * scale  # _half_up's arithmetic, inline: this is the loop a large table spends its time in
        return [(twice * n + d) // (2 * d) / scale if d else None for n, d in zip(top, below, strict=True)]

    def json_sql(self, value: Callable[[str], str]) -> tuple[str | None, Callable[[str], str]]:
        """PostgreSQL that writes this figure as the API's JSON writes ``column``'s number (``value``: the
        SQL of a measure, an integer; funds: numeric), in two steps: the figure as an integer of its
        last decimal place (or None: a count is written as it is), computed once, and the text of it
        (``ref``: where that integer is): an int, ``null``, or a float's shortest text (``0.3333``,
        ``1.0``), the same bytes as the renderer's (tests/reports/test_metrics.py)."""
        top = " ".join(name if name == "-" else value(name) for name in self.numerator)
        if self.kind == "funds":
            yuan = {"general_cost"}  # 元, the rest 万元 (``_funds``)
            total = " + ".join(f"{value(n)} / {YUAN_PER_WAN}" if n in yuan else value(n) for n in self.numerator)
            scale = int(1 / FUNDS_PLACES)
            # round() of a numeric is half away from zero, as ROUND_HALF_UP.
            places = len(str(scale)) - 1  # FUNDS_PLACES' decimals
            number = f"(round({total}, {places}) * {scale})::bigint"
        elif not self.denominator:
            return None, lambda ref: f"({top})::text"
        else:
            below, scale = value(self.denominator), int(1 / self.places)
            # _half_up in integers: round(n / d × scale) half away from zero, NULL without a denominator.
            number = (
                f"(CASE WHEN {below} = 0 THEN NULL WHEN ({top}) >= 0"
                f" THEN (2 * {scale} * ({top}) + {below}) / (2 * {below})"
                f" ELSE -((-2 * {scale} * ({top}) + {below}) / (2 * {below})) END)"
            )
        # The float n ÷ scale prints as its shortest decimal, as orjson writes it, with ".0" when whole.
        return (
            number,
            lambda ref: (
                f"(CASE WHEN {ref} IS NULL THEN 'null'"
                f" WHEN mod({ref}, {scale}) = 0 THEN ({ref} / {scale})::text || '.0'"
                f" ELSE ({ref}::float8 / {scale})::text END)"
            ),
        )

    def _top_column(self, columns: Columns) -> list:
        if "-" not in self.numerator:
            (name,) = self.numerator
            return columns[name]
        plus, _, minus = self.numerator
        return [a - b for a, b in zip(columns[plus], columns[minus], strict=True)]


def _half_up(numerator: int, denominator: int, scale: int) -> float:
    """``_ratio`` as a float, in integers: round(n / d × scale) half away from zero, ÷ scale. Both are the
    float nearest the same decimal (an integer ÷ a power of ten is correctly rounded), so JSON carries
    the same number either way."""
    if type(numerator) is not int or type(denominator) is not int:  # a sum in Decimal: the exact way
        exact = _ratio(numerator, denominator, Decimal(1) / scale)
        assert exact is not None  # the caller has a denominator
        return float(exact)
    if numerator < 0:
        return -((-2 * scale * numerator + denominator) // (2 * denominator)) / scale
    return (2 * scale * numerator + denominator) // (2 * denominator) / scale


def _count(code: str, label: str, measure: str | None = None) -> Metric:
    return Metric(code, label, "count", (measure or code,))


def _rate(code: str, label: str, numerator: str | tuple[str, ...], denominator: str) -> Metric:
    top = (numerator,) if isinstance(numerator, str) else numerator
    return Metric(code, label, "rate", top, denominator)


def _mean_days(code: str, label: str, total: str, count: str) -> Metric:
    return Metric(code, label, "days", (total,), count, DAYS_PLACES)


def _per_level(prefix: str) -> list[Metric]:
    p, label = prefix, LEVEL_LABELS[prefix]
    found, closed, overdue = f"{p}found", f"{p}closed", f"{p}overdue_open"
    return [
        _count(found, f"{label}排查隐患数"),
        _count(closed, f"{label}已销号"),
        # Every counted hazard is open or closed; 序时: closed, or open and not yet past its deadline.
        Metric(f"{p}open", f"{label}未整改数", "count", (found, "-", closed)),
        _rate(f"{p}closure_rate", f"{label}整改率", closed, found),
        _count(overdue, f"{label}逾期未整改"),
        _rate(f"{p}on_time_rate", f"{label}按期整改率", f"{p}closed_on_time", closed),
        _rate(f"{p}on_schedule_rate", f"{label}序时整改率", (found, "-", overdue), found),
        _mean_days(f"{p}avg_days_to_close", f"{label}平均整改天数", f"{p}close_days", f"{p}closed_handed_over"),
        # Of the closed: on time and late split them; reopened (退回后销号) cuts across both.
        _count(f"{p}closed_on_time", f"{label}按期销号", f"{p}closed_on_time"),
        Metric(f"{p}closed_late", f"{label}逾期销号", "count", (closed, "-", f"{p}closed_on_time")),
        _count(f"{p}reopened_closed", f"{label}退回后销号"),
        _rate(f"{p}reopened_rate", f"{label}退回率", f"{p}reopened_closed", closed),
    ]


def _funds(m: Measures, names: tuple[str, ...]) -> Decimal:
    """万元, two decimals: 重大 plan funds (万元) and, when named, 一般 costs (元)."""
    total = Decimal(m["major_plan_funds"])
    if "general_cost" in names:
        total += Decimal(m["general_cost"]) / YUAN_PER_WAN
    return total.quantize(FUNDS_PLACES, rounding=ROUND_HALF_UP)


METRICS: tuple[Metric, ...] = (
    *_per_level(""),
    *_per_level("general_"),
    *_per_level("major_"),
    _count("major_in_plan", "列入治理计划的重大隐患"),
    _count("major_five_in_place", "其中：达到“五到位”"),
    _count("supervised", "挂牌督办"),
    _count("supervised_open", "挂牌未整改"),
    _rate("supervised_closure_rate", "挂牌整改率", "supervised_closed", "supervised"),
    _count("supervised_province", "其中：省级挂牌"),
    _count("supervised_city", "其中：市级挂牌"),
    _count("supervised_county", "其中：县级挂牌"),
    Metric("major_funds", "重大隐患治理资金（万元）", "funds", ("major_plan_funds",)),
    Metric("funds", "累计落实治理资金（万元）", "funds", ("major_plan_funds", "general_cost")),
)
METRIC_BY_CODE = {metric.code: metric for metric in METRICS}


def evaluate(values: Measures) -> dict[str, Value]:
    """Every metric of one group, from its measures, exactly."""
    return {metric.code: metric.compute(values) for metric in METRICS}


def evaluate_numbers(groups: list[Measures]) -> list[dict[str, Number]]:
    """Every metric of many groups, as JSON writes them: ``float(evaluate(m)[code])`` for each, computed a
    metric at a time over all the groups (a city's county × sector table: ~19,000 figures) in integers."""
    if not groups:
        return []
    columns = {name: [m[name] for m in groups] for name in value_names()}
    codes = [metric.code for metric in METRICS]
    figures = [metric.column(columns, groups) for metric in METRICS]
    return [dict(zip(codes, values, strict=True)) for values in zip(*figures, strict=True)]


def json_members_sql(value: Callable[[str], str], source: str) -> str:
    """PostgreSQL that writes every metric of a group as the members of a JSON object, in ``METRICS``'
    order, as the API's renderer writes ``evaluate_numbers``' dict (``"found":3,"closed":1,…``): a
    SELECT over ``source`` (a FROM item, one row per group), where ``value`` gives the SQL of a measure
    (``value_names()``). Columns: those of ``source``, and ``members``."""
    numbers: list[str] = []
    parts: list[str] = []
    for i, metric in enumerate(METRICS):
        number, text = metric.json_sql(value)
        if number is not None:
            numbers.append(f"{number} AS n{len(numbers)}")
        parts += [f"'{',' if i else ''}\"{metric.code}\":'", text(f"x.n{len(numbers) - 1}")]
    # concat() takes at most 100 arguments.
    chunks = [f"concat({', '.join(parts[i : i + 90])})" for i in range(0, len(parts), 90)]
    members = chunks[0] if len(chunks) == 1 else f"concat({', '.join(chunks)})"
    # The integers in a subquery of their own (OFFSET 0 keeps PostgreSQL from writing each in again
    # wherever it is used): each is computed once per group.
    return f"SELECT g.*, {members} AS members FROM {source}, LATERAL (SELECT {', '.join(numbers)} OFFSET 0) x"
