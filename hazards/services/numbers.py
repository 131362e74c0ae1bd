"""Readable hazard numbers, unique per county and year: ``YH-410702-2026-000123``."""

from __future__ import annotations

from django.db import connection

from accounts.models import Region
from hazards.models import HazardNumberSequence

# One statement both claims and returns the next value, so concurrent creators in the same county
# serialise on the sequence row and never see the same number (PostgreSQL and SQLite ≥ 3.35).
_NEXT_VALUE_SQL = """
INSERT INTO {table} (county_id, year, last_value) VALUES (%s, %s, 1)
ON CONFLICT (county_id, year) DO UPDATE SET last_value = {table}.last_value + 1
RETURNING last_value
"""


def next_hazard_number(*, county: Region, year: int) -> str:
    """Must run inside the transaction that creates the hazard, so a rollback returns the number."""
    sql = _NEXT_VALUE_SQL.format(table=connection.ops.quote_name(HazardNumberSequence._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [county.pk, year])
        (value,) = cursor.fetchone()
    return f"YH-{county.code}-{year}-{value:06d}"
