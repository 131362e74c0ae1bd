"""Readable hazard numbers, unique per county and year: ``YH-410702-2026-000123``."""

from __future__ import annotations

from django.db import connection

from accounts.models import Region
from hazards.models import HazardNumberSequence

# One statement both claims and returns the last value of the block, so concurrent creators in the same
# county serialise on the sequence row and never see the same number (PostgreSQL and SQLite ≥ 3.35).
_CLAIM_SQL = """
INSERT INTO {table} (county_id, year, last_value) VALUES (%s, %s, %s)
ON CONFLICT (county_id, year) DO UPDATE SET last_value = {table}.last_value + excluded.last_value
RETURNING last_value
"""


def claim_hazard_numbers(*, county: Region, year: int, count: int) -> list[str]:
    """The next ``count`` numbers of the county and year, in order. Must run inside the transaction that
    creates the hazards, so a rollback returns them."""
    sql = _CLAIM_SQL.format(table=connection.ops.quote_name(HazardNumberSequence._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [county.pk, year, count])
        (last,) = cursor.fetchone()
    return [f"YH-{county.code}-{year}-{value:06d}" for value in range(last - count + 1, last + 1)]
