"""The keyword search of hazard lists (``?q=``), indexed on PostgreSQL for a query of any length.

Chinese has no spaces, so no dictionary-free tokenizer of PostgreSQL finds its words, and ``pg_trgm``
extracts nothing from Chinese under the ``C`` locale the clusters are made with (and needs three
characters where it does). The search table ``hazards_hazardsearch`` holds, for each hazard, the text that
``q`` searches (number, title, description, address, responsible person, the unit's name and pinyin
initials; lower-cased, the fields joined by U+001F) and a ``tsvector`` of every single character and every
pair of neighbouring characters of it, each prefixed with the month the hazard was found
(``202611:配电``), built with ``array_to_tsvector`` (no parser, no configuration, no locale), under a GIN
index. A query of one character looks up that character, a longer one all its pairs (``配电箱`` →
``配电 & 电箱``), in the months asked for (ORed). For one or two characters the index answer is exact; for
three or more a ``strpos`` on the stored text rechecks the rows the index found.

Why months: a list shows the newest matches first, 50 at a time, and counts them up to 200. Without
months the index returns every match of the ledger, each of which has to be read to be sorted: a word in
1 % of a million hazards is 10,000 rows read for a page of 50. With months, ``narrowest`` asks the newest
month first and widens the window (from an estimate of how many months it needs) until it holds the
201 newest matches, or the whole ledger: the page and the count read only that window. The same from the
oldest end for the oldest-first order; other orders search every month.

Row triggers keep the table in step with the ledger: on insert, on an update that changes a searched
field, the unit, county or discovery time (a ``WHEN`` condition: other updates do not call the function),
and on a unit's rename. (Statement triggers with transition tables cost 7-9 ms a call: their plans are
made anew every time.) SQLite (``make run``) keeps the plain ``LIKE`` search.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Max, Min, Q, QuerySet
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

-- Every element prefixed by string functions on the whole list (joined by U+001E, which the stored text
-- never holds: hazard_search_pairs splits on it too), not one concatenation per element: 3x faster.
CREATE OR REPLACE FUNCTION hazard_search_document(haystack text, found_at timestamptz) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_to_tsvector(array_remove(string_to_array(
    m || array_to_string(
      string_to_array(left(haystack, {INDEXED_CHARS}), NULL)
      || hazard_search_pairs(left(haystack, {INDEXED_CHARS}))
      || hazard_search_pairs(substr(haystack, 2, {INDEXED_CHARS} - 1)),
      chr(30) || m),
    chr(30)), m))
  FROM (SELECT hazard_search_month(found_at) || ':' AS m) AS month
$$;

-- PARALLEL UNSAFE on purpose: a query that names it is planned without parallel workers, whose start-up
-- (tens of ms on a busy 2-core machine) would cost more than the index read a search is.
-- (q, {202611, 202610}) → ('202611:配电' & '202611:电箱') | ('202610:配电' & '202610:电箱'); NULL for no month.
CREATE OR REPLACE FUNCTION hazard_search_query(q text, months text[]) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL UNSAFE AS $$
  SELECT string_agg('(' || CASE WHEN cardinality(c) = 1
    THEN quote_lexeme(m || ':' || c[1])
    ELSE (SELECT string_agg(quote_lexeme(m || ':' || a || b), ' & ')
          FROM unnest(c[:cardinality(c) - 1], c[2:]) AS p(a, b))
  END || ')', ' | ')::tsquery
  FROM string_to_array(lower(q), NULL) AS c, unnest(months) AS m
$$;
"""
# quote_lexeme is created first: hazard_search_query's body refers to it.
QUOTE = r"""
CREATE OR REPLACE FUNCTION quote_lexeme(lexeme text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''' $$;
"""

# The functions of hazards/0013_search that hazards/0014_search_months replaced (documents without months).
SUPERSEDED = """
DROP FUNCTION IF EXISTS hazard_search_query(text), hazard_search_document(text);
"""

UPSERT = f"""
  INSERT INTO hazards_hazardsearch (hazard_id, county_id, found_at, haystack, document)
  SELECT h.id, h.county_id, h.found_at, t.haystack, hazard_search_document(t.haystack, h.found_at)
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
  SET haystack = t.haystack, document = hazard_search_document(t.haystack, s.found_at)
  FROM hazards_hazard AS h
  CROSS JOIN LATERAL (SELECT NEW.name, NEW.name_initials) AS u
  CROSS JOIN LATERAL (SELECT {_text("h", "u")} AS haystack) AS t
  WHERE h.responsible_unit_id = NEW.id AND s.hazard_id = h.id;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS hazard_search_insert ON hazards_hazard;
CREATE TRIGGER hazard_search_insert AFTER INSERT ON hazards_hazard
  FOR EACH ROW EXECUTE FUNCTION hazard_search_row();
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
# The county first (btree_gin, a trusted contrib extension): a county's search may read only the county's
# part of the index; a query without a county reads the document column alone. New entries go to GIN's
# pending list (fastupdate), at most 1 MB of it, which a search scans too and vacuum folds in: a hazard's
# ~150 entries written straight into the index cost 列单 and 交单 about 7 ms, through the list 1-4 ms.
INDEX = """
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX IF NOT EXISTS hazard_search_document ON hazards_hazardsearch USING gin (county_id, document)
  WITH (fastupdate = on, gin_pending_list_limit = 1024);
"""
BACKFILL = UPSERT.format(source="hazards_hazard AS h", where="")

REMOVE = """
DROP TRIGGER IF EXISTS hazard_search_insert ON hazards_hazard;
DROP TRIGGER IF EXISTS hazard_search_update ON hazards_hazard;
DROP TRIGGER IF EXISTS hazard_search_unit_rename ON accounts_responsibleunit;
DROP FUNCTION IF EXISTS hazard_search_row(), hazard_search_unit_renamed(),
  hazard_search_query(text, text[]), quote_lexeme(text),
  hazard_search_document(text, timestamptz), hazard_search_month(timestamptz),
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
    cursor.execute(QUOTE + SUPERSEDED + FUNCTIONS + COLUMN)
    if backfill:
        cursor.execute("DROP INDEX IF EXISTS hazard_search_document")
        cursor.execute("TRUNCATE hazards_hazardsearch")
        cursor.execute(BACKFILL)
    cursor.execute(TRIGGERS + INDEX)
    if backfill:
        cursor.execute("ANALYZE hazards_hazardsearch")


def indexed() -> bool:
    return connection.vendor == "postgresql"


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
    value: str, counties: list[int] | None = None, months: list[str] | None = None, *, columns: str = "hazard_id"
) -> tuple[str, list]:
    """The SQL of the hazards whose searched text contains ``value`` (PostgreSQL only)."""
    sql = f"SELECT {columns} FROM hazards_hazardsearch WHERE document @@ hazard_search_query(%s, %s)"
    params: list = [value, ledger_months() if months is None else months]
    if counties is not None and len(counties) == 1:
        sql += " AND county_id = %s"  # an index condition (GIN takes no arrays)
        params.append(counties[0])
    elif counties is not None:
        sql += " AND county_id = ANY(%s)"
        params.append(counties)
    if len(value) > 2:  # one or two characters: the index is exact
        sql += " AND strpos(haystack, lower(%s)) > 0"
        params.append(value)
    return sql, params


def month_of(moment: datetime.datetime) -> str:
    return moment.astimezone(ZoneInfo(MONTH_ZONE)).strftime("%Y%m")


def ledger_months() -> list[str]:
    """Every month from the newest discovery in the ledger back to the oldest, newest first (two reads
    of the index on ``found_at``)."""
    from hazards.models import Hazard

    span = Hazard.objects.aggregate(first=Min("found_at"), last=Max("found_at"))
    if span["first"] is None:
        return []
    first, last = (int(month_of(span[end])) for end in ("first", "last"))
    months = []
    while last >= first:
        months.append(str(last))
        last = last - 1 if last % 100 > 1 else last - 89  # 202601 → 202512
    return months


def window_ids(value: str, counties: list[int] | None, months: list[str]) -> list[int]:
    """The hazards found in ``months`` whose text contains ``value``: read from the search table alone,
    one plan only (the GIN index, then the table's rows), whatever the planner thinks of the months."""
    sql, params = matching_ids(value, counties, months)
    # Without JIT: an OR of many months is estimated costly enough to be compiled (6 ms), for a read of
    # a few milliseconds.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def among(ids: list[int]) -> Q:
    """``pk`` in ``ids``, as one array parameter: read by primary key, however many there are."""
    return Q(pk__in=RawSQL("SELECT unnest(%s::bigint[])", (ids,)))


def narrowest(queryset: QuerySet, value: str, counties: list[int] | None, months: list[str], after: Any) -> list[int]:
    """The matches in the fewest of ``months`` (ordered from the end the list is read from) that hold the
    first ``NEEDED`` matches of ``queryset`` past the cursor value ``after`` (a ``found_at``, or None).
    Every match outside them comes after every match inside in the list's order, so a page and the count
    read from them are those of the whole ledger. Each try reads the window's matches from the search
    table, then checks at most ``NEEDED`` of them against the list's other filters by primary key; the
    next window is sized from the matches the last one held (at least twice as many months).

    (Leaving the join of the search table and the hazards to the planner gave plans 20-2,000 ms slow: it
    estimates an OR of months far off and walks the county's hazards, or hashes all of them.)"""
    descending = len(months) < 2 or months[0] > months[1]
    size = 2  # the month under way may have begun yesterday
    if after is not None:  # the window reaches the cursor's month at least
        cursor_month = month_of(after)
        size = next(
            (i + 1 for i, m in enumerate(months) if (m <= cursor_month if descending else m >= cursor_month)), 1
        )
    while True:
        ids = window_ids(value, counties, months[:size])
        if size >= len(months):
            return ids
        probe = queryset.filter(among(ids))
        if after is not None:
            probe = probe.filter(found_at__lt=after) if descending else probe.filter(found_at__gt=after)
        held = probe.order_by().values("pk")[:NEEDED].count() if len(ids) >= NEEDED else 0
        if held >= NEEDED:
            return ids
        # Fewer than NEEDED in the window before the filters: the same estimate from what the index gave.
        held = held or len(ids)
        size = len(months) if not held else max(2 * size, math.ceil(1.5 * size * NEEDED / held))


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
            counties = Region.objects.filter(level=RegionLevel.COUNTY)
            within = list(counties.filter(path__startswith=region.path).values_list("pk", flat=True))
            return None if len(within) == counties.count() else within  # the whole ledger: no condition
    raise Unscoped


def search(
    queryset: QuerySet, value: str, user: User | None = None, *, order: str | None = None, after: Any = None
) -> QuerySet:
    """``queryset`` narrowed to the hazards that contain ``value``. ``order`` is ``-found_at`` or
    ``found_at`` when the caller reads at most ``NEEDED`` rows of the result in that order, past the
    cursor value ``after`` (a list page and its count): the search then reads only the months that hold
    them (``narrowest``). Without ``order`` every match is returned (exports, any other order)."""
    value = cleaned(value)
    if not value:
        return queryset
    try:
        counties = counties_of(user) if user is not None else None
    except Unscoped:
        counties = None
    if not indexed():
        return queryset.filter(matching(value))
    months = ledger_months()
    if order in ("-found_at", "found_at") and months:
        ids = narrowest(queryset, value, counties, months if order == "-found_at" else months[::-1], after)
        return queryset.filter(among(ids))
    return queryset.filter(matching(value, counties, months))


# A search's total is counted up to this many (then "200+"): counting further would read every match.
COUNT_CAP = 200
# The rows a list reads from a search at most: the count's and the largest page's (with its "next" row).
NEEDED = max(COUNT_CAP, KeysetPagination.max_page_size) + 1
