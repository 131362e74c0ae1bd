"""The keyword search of hazard lists (``?q=``), indexed on PostgreSQL for a query of any length.

Chinese has no spaces, so no dictionary-free tokenizer of PostgreSQL finds its words, and ``pg_trgm``
extracts nothing from Chinese under the ``C`` locale the clusters are made with (and needs three
characters where it does). The search table ``hazards_hazardsearch`` holds, for each hazard, the text that
``q`` searches (number, title, description, address, responsible person, the unit's name and pinyin
initials; lower-cased, the fields joined by U+001F) and a ``tsvector`` of every single character and every
pair of neighbouring characters of it, each prefixed with the hazard's county (its id) and the month it
was found (``3:202611:配电``), built with ``array_to_tsvector`` (no parser, no configuration, no locale),
under a GIN index. A query of one character looks up that character, a longer one all its pairs (``配电箱``
→ ``配电 & 电箱``), in the counties and months asked for (ORed): a county's search reads only the county's
part of the index. For one or two characters the index answer is exact; for three or more a ``strpos`` on
the stored text rechecks the rows the index found.

Why months: a list shows the newest matches first, 50 at a time, and counts them up to 200. Without
months the index returns every match of the ledger, each of which has to be read to be sorted: a word in
1 % of a million hazards is 10,000 rows read for a page of 50. With months, ``first_matches`` reads the
newest two months first, in the list's order, keeps the matches that pass the list's other filters, and
reads further months (as many as the share found so far says it needs) until it has the 201 newest, or
the whole ledger: the count reads those, and a later page the 201 that follow its cursor, found the same
way from the cursor's month on. The same from the oldest end for the oldest-first order; other orders
search every month.

Row triggers keep the table in step with the ledger: on insert (unless the inserter fills the rows itself,
set-based: ``deferred`` and ``fill``, what a history batch does), on an update that changes a searched
field, the unit, county or discovery time (a ``WHEN`` condition: other updates do not call the function),
and on a unit's rename. (Statement triggers with transition tables cost 7-9 ms a call: their plans are
made anew every time.) SQLite (``make run``) keeps the plain ``LIKE`` search.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts.choices import RegionLevel
from accounts.jurisdiction import Everything, Subtree, jurisdiction_of
from accounts.models import Region
from core.api.pagination import KeysetPagination

if TYPE_CHECKING:
    from accounts.models import User

# The fields searched, in the stored text's order (the unit's columns come through the join).
HAZARD_COLUMNS = ("number", "title", "description", "address", "responsible_person")
WATCHED = (*HAZARD_COLUMNS, "responsible_unit_id", "county_id", "found_at")
# Text beyond this many characters is stored but not indexed (a tsvector is at most 1 MB).
INDEXED_CHARS = 20_000

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The months of the index are those of this zone, in SQL and in Python alike (whatever TIME_ZONE says).
MONTH_ZONE = "Asia/Shanghai"


def _text(row: str, unit: str) -> str:
    parts = ", ".join([*(f"{row}.{column}" for column in HAZARD_COLUMNS), f"{unit}.name", f"{unit}.name_initials"])
    return f"hazard_search_text({parts})"


def _changed(old: str, new: str) -> str:
    return " OR ".join(f"{old}.{column} IS DISTINCT FROM {new}.{column}" for column in WATCHED)


FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION hazard_search_text(VARIADIC parts text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT lower(translate(array_to_string(parts, chr(31), ''), chr(30), '')) $$;

CREATE OR REPLACE FUNCTION hazard_search_pairs(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT string_to_array(regexp_replace(t, '(..)', '\\1' || chr(30), 'g'), chr(30))
$$;

-- IMMUTABLE although AT TIME ZONE is not quite: a fixed zone's rules for past months do not change.
CREATE OR REPLACE FUNCTION hazard_search_month(found_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT to_char(found_at AT TIME ZONE '{MONTH_ZONE}', 'YYYYMM') $$;

-- Every element prefixed with the county and the month ('3:202611:配电') by string functions on the whole
-- list (joined by U+001E, which the stored text never holds: hazard_search_pairs splits on it too), not one
-- concatenation per element: 3x faster.
CREATE OR REPLACE FUNCTION hazard_search_document(haystack text, county_id bigint, found_at timestamptz)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_to_tsvector(array_remove(string_to_array(
    m || array_to_string(
      string_to_array(left(haystack, {INDEXED_CHARS}), NULL)
      || hazard_search_pairs(left(haystack, {INDEXED_CHARS}))
      || hazard_search_pairs(substr(haystack, 2, {INDEXED_CHARS} - 1)),
      chr(30) || m),
    chr(30)), m))
  FROM (SELECT county_id || ':' || hazard_search_month(found_at) || ':' AS m) AS prefix
$$;

-- PARALLEL UNSAFE on purpose: a query that names it is planned without parallel workers, whose start-up
-- (tens of ms on a busy 2-core machine) would cost more than the index read a search is.
-- (q, {{3:202611, 3:202610}}) → ('3:202611:配电' & '3:202611:电箱') | ('3:202610:配电' & '3:202610:电箱');
-- NULL for no prefix.
CREATE OR REPLACE FUNCTION hazard_search_query(q text, prefixes text[]) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL UNSAFE AS $$
  SELECT string_agg('(' || CASE WHEN cardinality(c) = 1
    THEN quote_lexeme(m || ':' || c[1])
    ELSE (SELECT string_agg(quote_lexeme(m || ':' || a || b), ' & ')
          FROM unnest(c[:cardinality(c) - 1], c[2:]) AS p(a, b))
  END || ')', ' | ')::tsquery
  FROM string_to_array(lower(q), NULL) AS c, unnest(prefixes) AS m
$$;

-- The search table's rows that match q under the prefixes, read through the GIN index whatever the planner
-- thinks: an OR of many lexemes (a city's 13 counties x 37 months) has no statistics, and estimated at a
-- third of the table it was read whole (60-100 s for a name). Without JIT: that estimate also had the read
-- compiled (6 ms, for a read of a few). The SET clauses also keep the function from being inlined: its
-- query is planned on its own.
CREATE OR REPLACE FUNCTION hazard_search_rows(q text, prefixes text[])
RETURNS TABLE (hazard_id bigint, found_at timestamptz)
LANGUAGE sql STABLE PARALLEL UNSAFE SET enable_seqscan = off SET jit = off AS $$
  SELECT s.hazard_id::bigint, s.found_at FROM hazards_hazardsearch AS s
  WHERE s.document @@ hazard_search_query(q, prefixes)
    AND (char_length(q) <= 2 OR strpos(s.haystack, lower(q)) > 0)
$$;
"""
# quote_lexeme is created first: hazard_search_query's body refers to it.
QUOTE = r"""
CREATE OR REPLACE FUNCTION quote_lexeme(lexeme text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''' $$;
"""

# The functions that hazards/0014_search_months (documents without months) and 0015_search_counties
# (without counties) replaced.
SUPERSEDED = """
DROP FUNCTION IF EXISTS hazard_search_query(text), hazard_search_document(text),
  hazard_search_query(text, text[]), hazard_search_document(text, timestamptz);
"""

# While this transaction-local setting is 'on', the insert trigger's WHEN condition is false: the function
# is not even called, and whoever inserted the hazards ``fill``s their search rows in one statement (a
# history batch, 1,000 hazards at a time: a fifth less of the insert's time than row by row).
DEFER = "hazards.defer_search"

UPSERT = f"""
  INSERT INTO hazards_hazardsearch (hazard_id, county_id, found_at, haystack, document)
  SELECT h.id, h.county_id, h.found_at, t.haystack, hazard_search_document(t.haystack, h.county_id, h.found_at)
  FROM {{source}}
  LEFT JOIN accounts_responsibleunit AS u ON u.id = h.responsible_unit_id
  CROSS JOIN LATERAL (SELECT {_text("h", "u")} AS haystack) AS t
  {{where}}
  ON CONFLICT (hazard_id) DO UPDATE SET county_id = EXCLUDED.county_id, found_at = EXCLUDED.found_at,
    haystack = EXCLUDED.haystack, document = EXCLUDED.document
"""

TRIGGERS = f"""
CREATE OR REPLACE FUNCTION hazard_search_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{UPSERT.format(source="(SELECT NEW.*) AS h", where="")};
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION hazard_search_unit_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE hazards_hazardsearch AS s
  SET haystack = t.haystack, document = hazard_search_document(t.haystack, s.county_id, s.found_at)
  FROM hazards_hazard AS h
  CROSS JOIN LATERAL (SELECT NEW.name, NEW.name_initials) AS u
  CROSS JOIN LATERAL (SELECT {_text("h", "u")} AS haystack) AS t
  WHERE h.responsible_unit_id = NEW.id AND s.hazard_id = h.id;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS hazard_search_insert ON hazards_hazard;
CREATE TRIGGER hazard_search_insert AFTER INSERT ON hazards_hazard
  FOR EACH ROW WHEN (current_setting('{DEFER}', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION hazard_search_row();
DROP TRIGGER IF EXISTS hazard_search_update ON hazards_hazard;
CREATE TRIGGER hazard_search_update AFTER UPDATE ON hazards_hazard
  FOR EACH ROW WHEN ({_changed("OLD", "NEW")}) EXECUTE FUNCTION hazard_search_row();
DROP TRIGGER IF EXISTS hazard_search_unit_rename ON accounts_responsibleunit;
CREATE TRIGGER hazard_search_unit_rename AFTER UPDATE ON accounts_responsibleunit
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.name_initials IS DISTINCT FROM NEW.name_initials)
  EXECUTE FUNCTION hazard_search_unit_renamed();
DROP FUNCTION IF EXISTS hazard_search_inserted(), hazard_search_updated();
"""

COLUMN = """
ALTER TABLE hazards_hazardsearch ADD COLUMN IF NOT EXISTS document tsvector NOT NULL DEFAULT '';
"""
# New entries go to GIN's pending list (fastupdate), at most 1 MB of it, which a search scans too and vacuum
# folds in: a hazard's ~150 entries written straight into the index cost 列单 and 交单 about 7 ms, through
# the list 1-4 ms. (The county is in the lexemes: an index on (county_id, document) was never read by its
# county.)
INDEX = """
CREATE INDEX IF NOT EXISTS hazard_search_document ON hazards_hazardsearch USING gin (document)
  WITH (fastupdate = on, gin_pending_list_limit = 1024);
"""
BACKFILL = UPSERT.format(source="hazards_hazard AS h", where="")
FILL = UPSERT.format(source="hazards_hazard AS h", where="WHERE h.id = ANY(%s::bigint[])")

REMOVE = """
DROP TRIGGER IF EXISTS hazard_search_insert ON hazards_hazard;
DROP TRIGGER IF EXISTS hazard_search_update ON hazards_hazard;
DROP TRIGGER IF EXISTS hazard_search_unit_rename ON accounts_responsibleunit;
DROP FUNCTION IF EXISTS hazard_search_row(), hazard_search_unit_renamed(),
  hazard_search_rows(text, text[]), hazard_search_query(text, text[]), quote_lexeme(text),
  hazard_search_document(text, bigint, timestamptz), hazard_search_month(timestamptz),
  hazard_search_pairs(text), hazard_search_text(text[]);
"""


def install(cursor, *, backfill: bool) -> None:
    """Functions, column, triggers and index, idempotent; with ``backfill`` the table is emptied and
    filled from the ledger, in one statement, and the index built after it (building beats inserting
    into it)."""
    if backfill:
        # The foreign key to the hazard is deferred: checked now and at the end of each statement from
        # here on, so that no trigger event is pending when the table is altered, emptied or indexed
        # ("cannot CREATE INDEX … because it has pending trigger events").
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(QUOTE + SUPERSEDED + COLUMN + FUNCTIONS)
    if backfill:
        cursor.execute("DROP INDEX IF EXISTS hazard_search_document")
        cursor.execute("TRUNCATE hazards_hazardsearch")
        cursor.execute(BACKFILL)
    cursor.execute(TRIGGERS + INDEX)
    if backfill:
        cursor.execute("ANALYZE hazards_hazardsearch")


def reinstall(apps, schema_editor) -> None:
    """A migration's ``RunPython`` when the SQL above changed but the table did not: functions and
    triggers installed again, the rows and the index kept (PostgreSQL only)."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            install(cursor, backfill=False)


def indexed() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def deferred() -> Iterator[None]:
    """Hazards inserted inside the block get no search row from the trigger: the caller ``fill``s them
    in the same transaction. A savepoint: if the block fails, the setting is rolled back with it."""
    if not indexed():
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [DEFER])
        yield
        cursor.execute("SELECT set_config(%s, 'off', true)", [DEFER])


def fill(ids: list[int], *, dbapi_connection: Any = None) -> None:
    """The search rows of the hazards ``ids`` (inserted while ``deferred``), in one set-based statement;
    on ``dbapi_connection`` when given (the caller's psycopg2 connection, from another thread), else on
    this thread's. PostgreSQL only: the caller asks ``indexed()``."""
    with (dbapi_connection or connection).cursor() as cursor:
        cursor.execute(FILL, [ids])


def cleaned(value: str) -> str:
    """The query as searched: control characters (the stored text's separator among them) dropped."""
    return CONTROL.sub("", value).strip()


def matching(value: str, counties: list[int] | None = None, months: list[str] | None = None) -> Q:
    """Hazards whose searched fields contain ``value`` (case-insensitive), through the search table on
    PostgreSQL. ``value`` is ``cleaned`` and not empty. ``counties``, where the caller knows the hazards
    are in those counties anyway (the user's jurisdiction), narrows the index read to them; ``months``
    (``YYYYMM``, default: every month of the ledger) to the hazards found in those months."""
    if not indexed():
        return (
            Q(number__icontains=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(address__icontains=value)
            | Q(responsible_person__icontains=value)
            | Q(responsible_unit__name__icontains=value)
            | Q(responsible_unit__name_initials__contains=value.lower())
        )
    return Q(pk__in=RawSQL(*matching_ids(value, counties, months)))


def matching_ids(
    value: str,
    counties: list[int] | None = None,
    months: list[str] | None = None,
    *,
    bound: tuple[str, tuple[datetime.datetime, int]] | None = None,
    columns: str = "hazard_id",
) -> tuple[str, list]:
    """The SQL of the hazards whose searched text contains ``value`` (PostgreSQL only), through
    ``hazard_search_rows``; ``bound`` (``("<", (moment, id))`` or ``(">", …)``) keeps those before or
    after a row in discovery order. For one or two characters the index is exact; for more, ``strpos``
    on the stored text rechecks what it found."""
    sql = f"SELECT {columns} FROM hazard_search_rows(%s, %s)"
    params: list = [value, prefixes(counties, ledger_months() if months is None else months)]
    if bound is not None:
        sql += f" WHERE (found_at, hazard_id) {bound[0]} (%s, %s)"
        params += bound[1]
    return sql, params


def prefixes(counties: list[int] | None, months: list[str]) -> list[str]:
    """The lexemes' prefixes (``county:month``) of ``months`` in ``counties`` (None: every county)."""
    if counties is None:
        counties = [county.pk for county in all_counties()]
    return [f"{county}:{month}" for month in months for county in counties]


def all_counties() -> list[Region]:
    """Every county of the ledger's regions (which the process keeps: regions never change once made)."""
    return [region for region in cast(list[Region], Region.cached.all()) if region.level == RegionLevel.COUNTY]


def month_of(moment: datetime.datetime) -> str:
    return moment.astimezone(ZoneInfo(MONTH_ZONE)).strftime("%Y%m")


def ledger_months() -> list[str]:
    """Every month from the newest discovery in the ledger back to the oldest, newest first (two reads
    of the index on ``found_at``; written as SQL: the ORM took longer to build it than PostgreSQL to run it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(found_at), max(found_at) FROM hazards_hazard")
        oldest, newest = cursor.fetchone()
    if oldest is None:
        return []
    first, last = int(month_of(oldest)), int(month_of(newest))
    months = []
    while last >= first:
        months.append(str(last))
        last = last - 1 if last % 100 > 1 else last - 89  # 202601 → 202512
    return months


def window_ids(
    value: str,
    counties: list[int] | None,
    months: list[str],
    *,
    descending: bool = True,
    bound: tuple[datetime.datetime, int] | None = None,
) -> list[int]:
    """The hazards found in ``months`` whose text contains ``value``, in the list's order (discovery,
    then id; newest first when ``descending``), after the row ``bound`` (moment, id) in it: read from the
    search table alone, one plan only (the GIN index, then the table's rows), whatever the planner
    thinks of the months."""
    direction = "DESC" if descending else "ASC"
    sql, params = matching_ids(
        value,
        counties,
        months,
        bound=None if bound is None else ("<" if descending else ">", bound),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY found_at {direction}, hazard_id {direction}", params)
        return [pk for (pk,) in cursor.fetchall()]


def among(ids: list[int]) -> Q:
    """``pk`` in ``ids``, as one array parameter: read by primary key, however many there are."""
    return Q(pk__in=RawSQL("SELECT unnest(%s::bigint[])", (ids,)))


def first_matches(
    queryset: QuerySet,
    value: str,
    counties: list[int] | None,
    months: list[str],
    *,
    bound: tuple[datetime.datetime, int] | None = None,
    needed: int = 0,
    check: bool = True,
) -> list[int]:
    """The first ``needed`` (default ``NEEDED``) hazards of ``queryset`` that contain ``value``, in the
    list's order from the end ``months`` start at (newest first when they go back in time), after the row
    ``bound`` (moment, id), a page's cursor, when given.

    Each window of months is read from the search table alone, in the list's order, and its matches are
    checked against the list's other filters by primary key a batch at a time, first ``needed`` of them
    (every one passes when the list has no other filter), until ``needed`` have passed; the next window
    follows the last one and is sized from the share of months that gave what passed. (Leaving the join of
    the search table and the hazards to the planner gave plans 20-2,000 ms slow: it estimates an OR of
    months far off and walks the county's hazards, or hashes all of them.) Without ``check`` every match
    of the ``counties`` is taken as in ``queryset`` (``Listing.of`` says when)."""
    needed = needed or NEEDED
    descending = len(months) < 2 or months[0] > months[1]
    start = 0
    if bound is not None:  # the months before the bound's hold nothing past it
        edge = month_of(bound[0])
        start = next((i for i, m in enumerate(months) if (m <= edge if descending else m >= edge)), len(months))
    size, found = 2, list[int]()  # the month under way may have begun yesterday
    while start < len(months) and len(found) < needed:
        window = months[start : start + size]
        ids = window_ids(value, counties, window, descending=descending, bound=bound)
        if not check:
            found += ids[: needed - len(found)]
            ids = []
        batch = needed
        while ids and len(found) < needed:
            checked, ids = ids[:batch], ids[batch:]
            passed = set(queryset.filter(among(checked)).order_by().values_list("pk", flat=True))
            found += [pk for pk in checked if pk in passed]
            batch *= 4
        start += len(window)
        # The next window: twice as many months at least, as many as the share found so far needs.
        wanted = needed - len(found)
        size = max(2 * size, math.ceil(1.5 * start * wanted / len(found))) if found else len(months)
    return found[:needed]


class Unscoped(Exception):
    """The user's jurisdiction is not a set of counties: the search table alone cannot scope it."""


def counties_of(user: User) -> list[int] | None:
    """The counties of the user's jurisdiction, or None for the whole ledger."""
    match jurisdiction_of(user):
        case Everything():
            return None
        case Subtree(region=region) if region.level == RegionLevel.COUNTY:
            return [region.pk]
        case Subtree(region=region) if region.level in (RegionLevel.PROVINCE, RegionLevel.CITY):
            within = region.county_ids()
            return None if len(within) == len(all_counties()) else within  # the whole ledger
    raise Unscoped


def counties_searched(user: User | None) -> tuple[list[int] | None, bool]:
    """The counties whose part of the index a search by ``user`` reads (None: all of it), and whether
    that part is exactly the user's jurisdiction (False: the list's own scope narrows it further)."""
    if user is None:
        return None, False
    try:
        return counties_of(user), True
    except Unscoped:
        return None, False


def search(queryset: QuerySet, value: str, user: User | None = None) -> QuerySet:
    """``queryset`` narrowed to every hazard that contains ``value`` (exports, a list in another order
    than discovery's)."""
    value = cleaned(value)
    if not value:
        return queryset
    if not indexed():
        return queryset.filter(matching(value))
    return queryset.filter(matching(value, counties_searched(user)[0], ledger_months()))


class Listing:
    """A list's search in discovery order (``-found_at`` or ``found_at``), read a page at a time: ``page``
    holds the matches of ``queryset`` the page shows, in its order (``size`` + 1 from the cursor's row
    ``after``: the last tells whether a next page exists), and ``total()`` counts the matches from the
    start up to ``NEEDED`` (the first page's read gives both; a later page reads the start again only
    when asked, as the list page does and the API does not). Every match in ``page`` and in the count
    has passed the list's other filters (``first_matches``)."""

    ORDERS = ("-found_at", "found_at")

    def __init__(
        self,
        queryset: QuerySet,
        value: str,
        counties: list[int] | None,
        months: list[str],
        after: Any,
        size: int,
        check: bool = True,
    ) -> None:
        self._start = (queryset, value, counties, months)
        self._check = check
        self._total: int | None
        if after is None:
            matches = first_matches(queryset, value, counties, months, check=check)
            self.page, self._total = matches[: size + 1], len(matches)
        else:
            self.page = first_matches(queryset, value, counties, months, bound=after, needed=size + 1, check=check)
            self._total = None

    @classmethod
    def of(cls, queryset: QuerySet, value: str, user: User | None, order: str, after: Any, size: int) -> Listing | None:
        """The listing of ``value`` in ``queryset``, or None where the months cannot serve it (another
        order, an empty ledger, SQLite): ``search`` then."""
        value = cleaned(value)
        if not value or order not in cls.ORDERS or not indexed():
            return None
        months = ledger_months()
        if not months:
            return None
        in_order = months if order == "-found_at" else months[::-1]
        counties, exact = counties_searched(user)
        # A list of the user's whole jurisdiction (no other filter) is what the counties' part of the index
        # holds: its matches need no check.
        check = not (exact and queryset.query.where == queryset.model.objects.visible_to(user).query.where)
        return cls(queryset, value, counties, in_order, after, size, check)

    def total(self) -> int:
        if self._total is None:
            self._total = len(first_matches(*self._start, check=self._check))
        return self._total


# A search's total is counted up to this many (then "200+"): counting further would read every match.
COUNT_CAP = 200
# The matches a list's count reads at most (and more than the largest page with its "next" row).
NEEDED = max(COUNT_CAP, KeysetPagination.max_page_size) + 1
