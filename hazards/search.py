"""The keyword search of hazard lists (``?q=``), indexed on PostgreSQL for a query of any length.

Chinese has no spaces, so no dictionary-free tokenizer of PostgreSQL finds its words, and ``pg_trgm``
extracts nothing from Chinese under the ``C`` locale the clusters are made with (and needs three
characters where it does). The search table ``hazards_hazardsearch`` holds, for each hazard, the text that
``q`` searches (number, title, description, address, responsible person, the unit's name and pinyin
initials; lower-cased, the fields joined by U+001F) and a ``tsvector`` of every single character and every
pair of neighbouring characters of it, built with ``array_to_tsvector`` (no parser, no configuration, no
locale), under a GIN index. A query of one character looks up that character, a longer one all its pairs
(``配电箱`` → ``配电 & 电箱``). For one or two characters the index answer is exact; for three or more a
``strpos`` on the stored text rechecks the rows the index found. The table also carries the hazard's
county and discovery time, so a county's search reads the search table and the hazards of the page.

Row triggers keep the table in step with the ledger: on insert, on an update that changes a searched
field, the unit, county or discovery time (a ``WHEN`` condition: other updates do not call the function),
and on a unit's rename. (Statement triggers with transition tables cost 7-9 ms a call: their plans are
made anew every time.) SQLite (``make run``) keeps the plain ``LIKE`` search.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts.choices import RegionLevel
from accounts.jurisdiction import Everything, Subtree, jurisdiction_of
from accounts.models import Region

if TYPE_CHECKING:
    from accounts.models import User

# The fields searched, in the stored text's order (the unit's columns come through the join).
HAZARD_COLUMNS = ("number", "title", "description", "address", "responsible_person")
WATCHED = (*HAZARD_COLUMNS, "responsible_unit_id", "county_id", "found_at")
# Text beyond this many characters is stored but not indexed (a tsvector is at most 1 MB).
INDEXED_CHARS = 20_000

CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text(row: str, unit: str) -> str:
    parts = ", ".join([*(f"{row}.{column}" for column in HAZARD_COLUMNS), f"{unit}.name", f"{unit}.name_initials"])
    return f"hazard_search_text({parts})"


def _changed(old: str, new: str) -> str:
    return " OR ".join(f"{old}.{column} IS DISTINCT FROM {new}.{column}" for column in WATCHED)


FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION hazard_search_text(VARIADIC parts text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT lower(array_to_string(parts, chr(31), '')) $$;

CREATE OR REPLACE FUNCTION hazard_search_pairs(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT string_to_array(regexp_replace(t, '(..)', '\\1' || chr(30), 'g'), chr(30))
$$;

CREATE OR REPLACE FUNCTION hazard_search_document(haystack text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_to_tsvector(array_remove(
    string_to_array(left(haystack, {INDEXED_CHARS}), NULL)
    || hazard_search_pairs(left(haystack, {INDEXED_CHARS}))
    || hazard_search_pairs(substr(haystack, 2, {INDEXED_CHARS} - 1)),
    ''))
$$;

-- PARALLEL UNSAFE on purpose: a query that names it is planned without parallel workers, whose start-up
-- (tens of ms on a busy 2-core machine) would cost more than the index read a search is.
CREATE OR REPLACE FUNCTION hazard_search_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL UNSAFE AS $$
  SELECT CASE WHEN cardinality(c) = 1
    THEN quote_lexeme(c[1])
    ELSE (SELECT string_agg(quote_lexeme(a || b), ' & ') FROM unnest(c[:cardinality(c) - 1], c[2:]) AS p(a, b))
  END::tsquery
  FROM string_to_array(lower(q), NULL) AS c
$$;
"""
# quote_lexeme is created first: hazard_search_query's body refers to it.
QUOTE = r"""
CREATE OR REPLACE FUNCTION quote_lexeme(lexeme text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''' $$;
"""

UPSERT = f"""
  INSERT INTO hazards_hazardsearch (hazard_id, county_id, found_at, haystack, document)
  SELECT h.id, h.county_id, h.found_at, t.haystack, hazard_search_document(t.haystack)
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
  UPDATE hazards_hazardsearch AS s SET haystack = t.haystack, document = hazard_search_document(t.haystack)
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
  hazard_search_query(text), quote_lexeme(text), hazard_search_document(text), hazard_search_pairs(text),
  hazard_search_text(text[]);
"""


def install(cursor, *, backfill: bool) -> None:
    """Functions, column, triggers and index, idempotent; with ``backfill`` the table is filled from the
    ledger first, in one statement, and the index built after it (building beats inserting into it)."""
    cursor.execute(QUOTE + FUNCTIONS + COLUMN)
    if backfill:
        cursor.execute("DROP INDEX IF EXISTS hazard_search_document")
        cursor.execute(BACKFILL)
    cursor.execute(TRIGGERS + INDEX)
    if backfill:
        cursor.execute("ANALYZE hazards_hazardsearch")


def indexed() -> bool:
    return connection.vendor == "postgresql"


def cleaned(value: str) -> str:
    """The query as searched: control characters (the stored text's separator among them) dropped."""
    return CONTROL.sub("", value).strip()


def matching(value: str, counties: list[int] | None = None) -> Q:
    """Hazards whose searched fields contain ``value`` (case-insensitive), through the search table on
    PostgreSQL. ``value`` is ``cleaned`` and not empty. ``counties``, where the caller knows the hazards
    are in those counties anyway (the user's jurisdiction), narrows the index read to them."""
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
    return Q(pk__in=RawSQL(*matching_ids(value, counties)))


def matching_ids(value: str, counties: list[int] | None = None, *, columns: str = "hazard_id") -> tuple[str, list]:
    """The SQL of the hazards whose searched text contains ``value`` (PostgreSQL only)."""
    sql = f"SELECT {columns} FROM hazards_hazardsearch WHERE document @@ hazard_search_query(%s)"
    params: list = [value]
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


def search(queryset: QuerySet, value: str, user: User | None = None) -> QuerySet:
    value = cleaned(value)
    if not value:
        return queryset
    try:
        counties = counties_of(user) if user is not None else None
    except Unscoped:
        counties = None
    return queryset.filter(matching(value, counties))


# A search's total is counted up to this many (then "200+"): counting further would read every match.
COUNT_CAP = 200
