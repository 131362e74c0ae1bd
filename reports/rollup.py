"""Keeping the rollup (``reports.models.ClosureRollup``) current, and reading reports from it.

The hazard services are not touched: every change they make writes a ``HazardEvent`` in the same
transaction, and ``refresh`` (a Celery beat task every 30 s) follows those events. A hazard keeps its
county and its discovery time for life (a 修改信息 may move it only within its county), so all the
slices a change can touch — before and after a correction of sector, level, source or township — lie in
one (county, month): ``refresh`` rewrites each such county-month from the hazards with the same
``metrics.measures()`` aggregate, in one INSERT … SELECT. ``rebuild`` (nightly, and whenever the local
date has moved on, since ``overdue_open`` depends on it) rewrites everything the same way.

Events are read by id above a watermark. An id below it may still be invisible (its transaction not yet
committed when the refresh read), so the ids skipped are remembered and looked for again for
``GAP_PATIENCE``; after that they are taken for rolled back (a sequence leaves holes).

A report reads the rollup when its filters fall on slice boundaries (``rollup_rows``): a whole-month
period, a region that is a city, county or township, the caller's jurisdiction likewise; otherwise it
is computed live. Both go through ``live.grouped_measures`` and ``live.assemble``; the stats API's JSON
from the rollup is written by PostgreSQL instead (``grouped_json``), from the same metric declarations.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import DateField, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.choices import RegionLevel
from accounts.jurisdiction import Everything, Subtree, jurisdiction_of
from accounts.models import Region, Sector, User
from hazards.models import Hazard, HazardEvent
from reports import metrics
from reports.dimensions import DIMENSIONS, Dimension
from reports.live import Measures, StatsQuery, grouped_measures, local_midnight
from reports.models import MEASURE_COLUMNS, ClosureRollup, CountyRollup, RollupState

GAP_PATIENCE = datetime.timedelta(minutes=10)
# How far below the newest event a rebuild looks for ids not yet visible (transactions in flight).
GAP_LOOKBACK = 1000
STATE_ID = 1


def _grain() -> dict[str, Any]:
    """The rollup's key columns, as expressions over a hazard."""
    return {
        "county_id": F("county_id"),
        "township_id": DIMENSIONS["township"].expression(),
        "sector_id": F("sector_id"),
        "month": Cast(DIMENSIONS["month"].expression(), DateField()),
        "level": F("level"),
        "source": F("source"),
    }


def _month_of(when: datetime.datetime) -> datetime.date:
    return timezone.localtime(when).date().replace(day=1)


def _insert(hazards: QuerySet[Hazard], today: datetime.date, table: str | None = None) -> int:
    """Sum the measures of ``hazards`` per slice into the rollup (or ``table``, a copy of it), in the
    database (INSERT … SELECT). On PostgreSQL the local dates are worked out in a session set to the
    local zone (``metrics.in_local_zone``): the same dates, at a fraction of the cost."""
    grain = _grain()
    select = hazards.values(**{f"g_{name}": expression for name, expression in grain.items()})
    select = select.annotate(**metrics.measures(today)).order_by()
    qn = connection.ops.quote_name
    columns = [*grain, *MEASURE_COLUMNS]
    sources = [*(f"g_{name}" for name in grain), *MEASURE_COLUMNS]
    with connection.cursor() as cursor:
        zone = metrics.in_local_zone(cursor) if connection.vendor == "postgresql" else contextlib.nullcontext()
        with zone:
            sql, params = select.query.sql_with_params()
            statement = (
                f"INSERT INTO {qn(table or ClosureRollup._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
                f"SELECT {', '.join('s.' + qn(c) for c in sources)} FROM ({sql}) s"
            )
            cursor.execute(statement, params)
            return cursor.rowcount


COUNTY_GRAIN = ("county_id", "sector_id", "month", "level")


def _sum_by_county(
    where: dict[str, Any] | None = None, *, source: str | None = None, target: str | None = None
) -> None:
    """CountyRollup's rows from ClosureRollup's (``where``: the columns' values to keep; ``source`` and
    ``target``: copies of the two tables instead): the same measures summed over townships and sources."""
    qn = connection.ops.quote_name
    where = where or {}
    condition = " AND ".join(f"{qn(column)} = %s" for column in where) or "TRUE"
    keys = ", ".join(qn(c) for c in COUNTY_GRAIN)
    measures = ", ".join(qn(c) for c in MEASURE_COLUMNS)
    # Written in (county, month) order, so that a county's months lie together on disk: a city's year
    # reads a few hundred pages rather than a page per row.
    statement = (
        f"INSERT INTO {qn(target or CountyRollup._meta.db_table)} ({keys}, {measures}) "
        f"SELECT {keys}, {', '.join(f'SUM({qn(c)})' for c in MEASURE_COLUMNS)} "
        f"FROM {qn(source or ClosureRollup._meta.db_table)} WHERE {condition} "
        f"GROUP BY {keys} ORDER BY {qn('county_id')}, {qn('month')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, list(where.values()))


def rewrite_slices(county_id: int, month: datetime.date, today: datetime.date) -> int:
    """Recompute every slice of one county-month from its hazards."""
    ClosureRollup.objects.filter(county_id=county_id, month=month).delete()
    CountyRollup.objects.filter(county_id=county_id, month=month).delete()
    next_month = (month + datetime.timedelta(days=32)).replace(day=1)
    hazards = Hazard.objects.counted().filter(
        county_id=county_id, found_at__gte=local_midnight(month), found_at__lt=local_midnight(next_month)
    )
    rows = _insert(hazards, today)
    _sum_by_county({"county_id": county_id, "month": month})
    return rows


def _claim() -> RollupState | None:
    """Lock the state row; None when another refresh or rebuild holds it (it will do the work)."""
    try:
        with transaction.atomic():
            RollupState.objects.get_or_create(pk=STATE_ID)
    except IntegrityError:  # made meanwhile by another worker
        pass
    # SQLite (make run) locks the whole database for a write anyway, and has no SKIP LOCKED.
    skip = connection.features.has_select_for_update_skip_locked
    return RollupState.objects.select_for_update(skip_locked=skip).filter(pk=STATE_ID).first()


@dataclass(frozen=True)
class Refreshed:
    rebuilt: bool
    slices: int  # county-months rewritten (all of them on a rebuild: 0)
    rows: int  # rollup rows written


# How long a rebuild waits for readers to let go of the old tables before it copies its rows into them
# instead (slower, but it keeps nobody waiting).
SWAP_LOCK_TIMEOUT = "2s"


def _rebuild_in_new_tables(today: datetime.date) -> int:
    """PostgreSQL: build both rollups afresh in new tables and put them in the old ones' place.

    Writing ~300,000 rows into a fresh table without an index and indexing it once afterwards costs a
    fraction of deleting the old rows and inserting into the table (whose unique index meets the
    deleted rows' entries at every insert): 1.4 s against 4.7 s on the 1,000,000-hazard bench.
    The new tables are copies of the old (columns, defaults, identity, checks), indexed and analysed
    like them under the same names, and swapped in at the end of the transaction: readers see the old
    rows until it commits, and wait only for the swap itself. When a reader holds an old table longer
    than ``SWAP_LOCK_TIMEOUT``, the rows are copied into the old tables instead."""
    qn = connection.ops.quote_name
    model_of = {model._meta.db_table: model for model in (ClosureRollup, CountyRollup)}
    tables = list(model_of)
    new = {table: f"{table}_new" for table in tables}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {qn(new[table])}")
            cursor.execute(
                f"CREATE TABLE {qn(new[table])} (LIKE {qn(table)} "
                "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)"
            )
        for setting in ("work_mem = '256MB'", "jit = off", "enable_indexscan = off", "enable_sort = off"):
            cursor.execute(f"SET LOCAL {setting}")
        rows = _insert(Hazard.objects.counted(), today, table=new[tables[0]])
        cursor.execute("RESET enable_sort")
        _sum_by_county(source=new[tables[0]], target=new[tables[1]])
        # The old tables' indexes and unique constraints, on the new ones under a temporary name.
        renames: list[str] = []
        for table in tables:
            cursor.execute(
                "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid), i.indisunique, pg_get_indexdef(c.oid)"
                " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid"
                " WHERE i.indrelid = %s::regclass ORDER BY c.relname",
                [table],
            )
            for index, constraint, constraint_sql, unique, index_sql in cursor.fetchall():
                temporary = qn(f"{index[:50]}_new")
                if constraint:
                    cursor.execute(f"ALTER TABLE {qn(new[table])} ADD CONSTRAINT {temporary} {constraint_sql}")
                    renames.append(f"ALTER TABLE {qn(table)} RENAME CONSTRAINT {temporary} TO {qn(constraint)}")
                else:
                    using = index_sql.split(" USING ", 1)[1]
                    kind = "UNIQUE INDEX" if unique else "INDEX"
                    cursor.execute(f"CREATE {kind} {temporary} ON {qn(new[table])} USING {using}")
                    renames.append(f"ALTER INDEX {temporary} RENAME TO {qn(index)}")
            # The planner's statistics, for the columns reports filter and group on (all of them: ~4× longer).
            keys = [f.column for f in model_of[table]._meta.concrete_fields if f.column not in MEASURE_COLUMNS]
            cursor.execute(f"ANALYZE {qn(new[table])} ({', '.join(qn(str(key)) for key in keys if key != 'id')})")
        try:
            with transaction.atomic():
                cursor.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
                cursor.execute(f"LOCK TABLE {', '.join(qn(t) for t in tables)} IN ACCESS EXCLUSIVE MODE")
                cursor.execute("SET LOCAL lock_timeout = 0")
                for table in tables:
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                    (sequence,) = cursor.fetchone()
                    cursor.execute(f"DROP TABLE {qn(table)}")
                    cursor.execute(f"ALTER TABLE {qn(new[table])} RENAME TO {qn(table)}")
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                    (new_sequence,) = cursor.fetchone()
                    cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {qn(sequence.split('.')[-1])}")
                for statement in renames:
                    cursor.execute(statement)
        except OperationalError:  # a reader held on for SWAP_LOCK_TIMEOUT: copy into the old tables
            for table in tables:
                cursor.execute(f"DELETE FROM {qn(table)}")
                cursor.execute(f"INSERT INTO {qn(table)} SELECT * FROM {qn(new[table])}")
                cursor.execute(f"DROP TABLE {qn(new[table])}")
    return rows


def _rebuild(state: RollupState, now: datetime.datetime) -> Refreshed:
    newest = HazardEvent.objects.aggregate(newest=Max("pk"))["newest"] or 0
    today = timezone.localdate(now)
    if connection.vendor == "postgresql":
        # One GROUP BY of every hazard into ~300,000 slices: read the table in order (not through an index
        # by county, which the planner prefers for a sorted aggregate) into one hash table in memory, and
        # without JIT compiling the filtered aggregates (bench.reports.rollup, 1,000,000 hazards on a
        # loaded 2-core machine: the SELECT alone 14.7 s this way, 21.8 s through the index and a sort).
        rows = _rebuild_in_new_tables(today)
    else:  # SQLite, for ``make run``
        ClosureRollup.objects.all().delete()
        CountyRollup.objects.all().delete()
        rows = _insert(Hazard.objects.counted(), today)
        _sum_by_county()
    seen = set(HazardEvent.objects.filter(pk__gt=newest - GAP_LOOKBACK, pk__lte=newest).values_list("pk", flat=True))
    stamp = now.isoformat()
    state.unseen_events = {str(pk): stamp for pk in range(max(newest - GAP_LOOKBACK, 0) + 1, newest) if pk not in seen}
    state.event_watermark, state.for_date, state.as_of, state.rebuilt_at = newest, today, now, now
    state.version += 1
    state.updated_at = timezone.now()
    state.save()
    return Refreshed(rebuilt=True, slices=0, rows=rows)


def rebuild(*, now: datetime.datetime | None = None) -> Refreshed | None:
    """Rewrite the whole rollup; None when a refresh or rebuild is already running."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _claim()
        return None if state is None else _rebuild(state, now)


def refresh(*, now: datetime.datetime | None = None) -> Refreshed | None:
    """Bring the rollup up to date with the events committed since the last refresh; rebuild instead
    when it was made for another date (or never). None when another refresh is already running."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _claim()
        if state is None:
            return None
        today = timezone.localdate(now)
        if state.for_date != today:
            return _rebuild(state, now)
        unseen = {int(pk): datetime.datetime.fromisoformat(at) for pk, at in state.unseen_events.items()}
        events = dict(
            HazardEvent.objects.filter(Q(pk__gt=state.event_watermark) | Q(pk__in=list(unseen))).values_list(
                "pk", "hazard_id"
            )
        )
        newest = max([state.event_watermark, *events])
        for pk in range(state.event_watermark + 1, newest):
            if pk not in events:
                unseen[pk] = now
        unseen = {pk: at for pk, at in unseen.items() if pk not in events and now - at < GAP_PATIENCE}

        slices = {
            (county_id, _month_of(found_at))
            for county_id, found_at in Hazard.objects.filter(pk__in=set(events.values())).values_list(
                "county_id", "found_at"
            )
        }
        rows = sum(rewrite_slices(county_id, month, today) for county_id, month in sorted(slices))
        state.event_watermark, state.as_of = newest, now
        state.version += 1 if slices else 0
        state.unseen_events = {str(pk): at.isoformat() for pk, at in unseen.items()}
        state.updated_at = timezone.now()
        state.save()
        return Refreshed(rebuilt=False, slices=len(slices), rows=rows)


# --- reading ---------------------------------------------------------------------------------------


Rollup = type[ClosureRollup] | type[CountyRollup]
# What CountyRollup can group by: everything but the township and the source.
COUNTY_DIMENSIONS = frozenset({"county", "sector", "sector_group", "department", "month", "level"})


# The regions whose hazards are whole slices of each rollup: the rest (a village; a township for
# CountyRollup) lie below its grain.
ON_GRAIN: dict[Rollup, frozenset[str]] = {
    ClosureRollup: frozenset({RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP}),
    CountyRollup: frozenset({RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY}),
}


def answerable(user: User, query: StatsQuery, model: Rollup = ClosureRollup) -> bool:
    """Whether some set of ``model``'s slices makes up exactly the hazards ``live.hazards_for(user,
    query)`` counts: not for a unit contact's hazards, a village, or a period not in whole months. Asks
    nothing of the database (the stats API's revalidation asks it on every request)."""
    match jurisdiction_of(user):
        case Everything():
            regions = []
        case Subtree(region=region):
            regions = [region]
        case _:
            return False
    if query.region is not None:
        regions.append(query.region)
    if any(region.level not in ON_GRAIN[model] for region in regions):
        return False
    if query.found_after and query.found_after.day != 1:
        return False
    return not (query.found_before and (query.found_before + datetime.timedelta(days=1)).day != 1)


def _within(rows: QuerySet, region: Region) -> QuerySet:
    """The slices of hazards in ``region`` and under it (a region on the rollup's grain)."""
    if region.level == RegionLevel.COUNTY:
        return rows.filter(county_id=region.pk)
    if region.level in (RegionLevel.PROVINCE, RegionLevel.CITY):
        # The ids themselves: with a subquery PostgreSQL expected a handful of rows instead of thousands,
        # and joined the sectors row by row (bench.reports.dashboard).
        return rows.filter(county_id__in=region.county_ids())
    return rows.filter(township_id=region.pk)


def rollup_rows(user: User, query: StatsQuery, model: Rollup = ClosureRollup) -> QuerySet | None:
    """The rows of ``model`` that make up exactly the hazards ``live.hazards_for(user, query)`` counts,
    or None when no set of its slices does (``answerable``)."""
    if not answerable(user, query, model):
        return None
    rows = model.objects.all()
    jurisdiction = jurisdiction_of(user)
    if isinstance(jurisdiction, Subtree) and not (
        query.region is not None and query.region.path.startswith(jurisdiction.region.path)
    ):
        rows = _within(rows, jurisdiction.region)
    if query.region is not None:  # inside the jurisdiction (the API and the pages check), or narrowed above
        rows = _within(rows, query.region)
    if query.sector is not None:
        subtree = Sector.objects.filter(Q(pk=query.sector.pk) | Q(parent_id=query.sector.pk)).values("pk")
        rows = rows.filter(sector_id__in=subtree)
    if query.level:
        rows = rows.filter(level=query.level)
    if query.found_after:
        rows = rows.filter(month__gte=query.found_after)
    if query.found_before:
        rows = rows.filter(month__lte=query.found_before.replace(day=1))
    return rows


def _rows_to_read(user: User, query: StatsQuery) -> QuerySet | None:
    """The smallest rollup that answers: CountyRollup when the grouping and the filters allow."""
    if set(query.group_by) <= COUNTY_DIMENSIONS:
        rows = rollup_rows(user, query, CountyRollup)
        if rows is not None:
            return rows
    return rollup_rows(user, query)


@dataclass(frozen=True)
class State:
    """What a reader needs of ``RollupState``: read once per request (``current``) and passed along."""

    version: int
    for_date: datetime.date | None
    as_of: datetime.datetime | None

    @property
    def usable(self) -> bool:
        """The rows were made for today's date (``overdue_open`` depends on it) and brought up to date."""
        return self.as_of is not None and self.for_date == timezone.localdate()


def current() -> State | None:
    """The rollup's state now, one query; None before its first build. Written out on PostgreSQL: every
    stats request and every revalidation asks it, and compiling the ORM's query cost more than running
    it (SQLite, for ``make run``, returns text the ORM converts)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(RollupState._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT version, for_date, as_of FROM {table} WHERE id = %s", [STATE_ID])
            row = cursor.fetchone()
    else:
        row = RollupState.objects.filter(pk=STATE_ID).values_list("version", "for_date", "as_of").first()
    return State(*row) if row is not None else None


def version_for(user: User, query: StatsQuery, state: State | None = None) -> tuple[str, datetime.datetime] | None:
    """What a rollup answer to ``query`` depends on besides the caller and the query: the rows' version
    and date (the figures), and ``as_of`` (the answer); None when the answer would be computed live.
    One query, unless the ``state`` read for this request is given."""
    state = state or current()
    if state is None or not state.usable or not answerable(user, query):
        return None
    assert state.as_of is not None
    return f"{state.version}@{state.for_date}", state.as_of


class StoredSum(Sum):
    """SUM of a rollup column, read as the database driver gives it: an int, a Decimal or a duration
    already (the backend's own conversions still apply), without Django converting each of a large
    table's ~10,000 numbers once more."""

    @property
    def convert_value(self):
        return self._convert_value_noop  # type: ignore[attr-defined]  # Django skips a no-op converter


@dataclass(frozen=True)
class FromRollup:
    found: Measures
    today: datetime.date
    as_of: datetime.datetime
    table: str  # which rollup answered


def grouped(
    *,
    user: User,
    query: StatsQuery,
    dimensions: tuple[Dimension, ...],
    names: tuple[str, ...] = MEASURE_COLUMNS,
    state: State | None = None,
) -> FromRollup | None:
    """The groups' measures from the rollup, or None when it cannot answer (see ``rollup_rows``) or was
    not made for today's date (after midnight, until the next refresh rebuilds it). Only ``names`` are
    summed (the others read 0): a page that shows a few figures need not add up every column. ``state``:
    as read earlier in the same request (else read here)."""
    state = state or current()
    today = timezone.localdate()
    if state is None or not state.usable:
        return None
    assert state.as_of is not None
    rows = _rows_to_read(user, query)
    if rows is None:
        return None
    sums = {name: StoredSum(name) for name in names}
    found = grouped_measures(rows, dimensions, sums, rollup=True)
    return FromRollup(found, today, state.as_of, rows.model._meta.model_name or "")


@dataclass(frozen=True)
class JsonFigures:
    """Every group's figures as PostgreSQL wrote them: the members of a JSON object (``grouped_json``)."""

    members: dict[tuple[Hashable, ...], bytes]  # by the group's key, as ``live.grouped_measures`` keys it
    total: bytes
    as_of: datetime.datetime


def _execute_prepared(cursor: Any, sql: str, params: Any) -> None:
    """Run ``sql`` as a prepared statement of this session, prepared the first time the session runs it:
    the JSON statement is ~15 KB of expressions, and parsing and planning it each time cost PostgreSQL
    ~1.5 ms, as much as running it for a county. The statements a session prepared are remembered with
    the connection they were prepared on (a new connection prepares again). A prepared statement is
    planned again by PostgreSQL when a table it reads is replaced (a rebuild)."""
    raw = connection.connection
    prepared: dict[str, str] = getattr(connection, "_reports_prepared", None) or {}
    if getattr(connection, "_reports_prepared_on", None) is not raw:
        prepared = {}
        connection._reports_prepared_on = raw  # type: ignore[attr-defined]
    connection._reports_prepared = prepared  # type: ignore[attr-defined]
    name = prepared.get(sql)
    if name is None:
        name = f"reports_json_{len(prepared)}"
        assert "%%" not in sql, "a literal % would be doubled in the prepared statement"
        pieces = sql.split("%s")
        numbered = "".join(f"{piece}${i}" for i, piece in enumerate(pieces[:-1], start=1)) + pieces[-1]
        cursor.execute(f"PREPARE {name} AS {numbered}")
        prepared[sql] = name
    cursor.execute(f"EXECUTE {name}" + (f"({', '.join(['%s'] * len(params))})" if params else ""), params)


def _json_value(name: str) -> str:
    """A measure summed over a group, in the SQL of ``grouped_json``: the per-level ones added up."""
    if name in metrics.PER_LEVEL:
        return f"(g.general_{name} + g.major_{name})"
    return f"g.{name}"


def _summed(name: str) -> str:
    """The SUM of a rollup column as a plain number: whole days for the durations (as ``timedelta.days``),
    0 for an empty sum."""
    if name.endswith("close_days"):
        return f"FLOOR(EXTRACT(EPOCH FROM COALESCE(SUM({name}), INTERVAL '0')) / 86400)::bigint AS {name}"
    return f"COALESCE(SUM({name}), 0) AS {name}"


def grouped_json(
    *, user: User, query: StatsQuery, dimensions: tuple[Dimension, ...], state: State | None = None
) -> JsonFigures | None:
    """What ``grouped`` reads, with every metric already worked out and written as JSON by PostgreSQL
    (``metrics.json_members_sql``, from the same declarations), each group's and the total's, in one
    query; None where ``grouped`` is, and on SQLite. The stats API's JSON spent ~45 ms of the web
    process's CPU per city-wide county × sector answer building, computing and writing 408 × 47 figures
    in Python; PostgreSQL writes them in a few (docs/reports.md §6)."""
    state = state or current()
    if connection.vendor != "postgresql" or state is None or not state.usable:
        return None
    assert state.as_of is not None
    rows = _rows_to_read(user, query)
    if rows is None:
        return None
    keys = [f"k{i}" for i in range(len(dimensions))]
    inner = rows.values(
        *MEASURE_COLUMNS, **{key: d.rollup_expression() for key, d in zip(keys, dimensions, strict=True)}
    )
    sql, params = inner.order_by().query.sql_with_params()
    summed = ", ".join(_summed(name) for name in MEASURE_COLUMNS)
    if keys:
        # The total from the groups' sums (a few hundred rows), not a second aggregate over every row read.
        listed = ", ".join(keys)
        money = ("major_plan_funds", "general_cost")
        added = ", ".join(
            f"COALESCE(SUM({name}), 0) AS {name}" if name in money else f"SUM({name})::bigint AS {name}"
            for name in MEASURE_COLUMNS
        )
        sums = (
            f"(WITH s AS MATERIALIZED (SELECT {listed}, {summed} FROM ({sql}) r GROUP BY {listed})"
            f" SELECT false AS is_total, s.* FROM s"
            f" UNION ALL SELECT true, {', '.join('NULL' for _ in keys)}, {added} FROM s) g"
        )
    else:
        sums = f"(SELECT true AS is_total, {summed} FROM ({sql}) r) g"
    written = metrics.json_members_sql(_json_value, sums)
    statement = f"SELECT w.is_total, {''.join(f'w.{key}, ' for key in keys)}w.members FROM ({written}) w"
    members: dict[tuple[Hashable, ...], bytes] = {}
    total = b""
    with connection.cursor() as cursor:
        _execute_prepared(cursor, statement, params)
        found = cursor.fetchall()
    # Only the month's key needs normalizing (the database gives it as the grouping's key already).
    plain = all(type(d).normalize is Dimension.normalize for d in dimensions)
    for is_total, *key, text in found:
        if is_total:
            total = text.encode()
        else:
            members[tuple(key) if plain else tuple(d.normalize(v) for d, v in zip(dimensions, key, strict=True))] = (
                text.encode()
            )
    if not keys:
        members[()] = total
    return JsonFigures(members, total, state.as_of)
