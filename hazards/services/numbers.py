"""Readable numbers handed out in order without gaps: hazards per county and year
(``YH-410702-2026-000123``), 督办通知书 per office and year (``红旗区安委办督〔2026〕3号``)."""

from __future__ import annotations

from django.db import connection

from accounts.models import Region
from hazards.models import HazardNumberSequence, SupervisionNoticeSequence

# One statement both claims and returns the last value of the block, so concurrent creators in the same
# county serialise on the sequence row and never see the same number (PostgreSQL and SQLite ≥ 3.35).
_CLAIM_SQL = """
INSERT INTO {table} ({owner}, year, last_value) VALUES (%s, %s, %s)
ON CONFLICT ({owner}, year) DO UPDATE SET last_value = {table}.last_value + excluded.last_value
RETURNING last_value
"""


def claim_hazard_numbers(*, county: Region, year: int, count: int) -> list[str]:
    """The next ``count`` numbers of the county and year, in order. Must run inside the transaction that
    creates the hazards, so a rollback returns them."""
    values = _claim(HazardNumberSequence._meta.db_table, "county_id", county.pk, year, count)
    return [f"YH-{county.code}-{year}-{value:06d}" for value in values]


def authority_name(office: Region) -> str:
    """督办单位: the work-safety committee office (安委办) of the region."""
    return f"{office.name}安全生产委员会办公室"


def claim_notice_numbers(*, office: Region, year: int, count: int) -> list[str]:
    """The next ``count`` 督办通知书 文号 of the office (the 安委办 of ``office``) and year, in order; inside the
    transaction that creates the listings, as for hazard numbers."""
    values = _claim(SupervisionNoticeSequence._meta.db_table, "office_id", office.pk, year, count)
    return [f"{office.name}安委办督〔{year}〕{value}号" for value in values]


def _claim(table: str, owner: str, owner_id: int, year: int, count: int) -> range:
    sql = _CLAIM_SQL.format(table=connection.ops.quote_name(table), owner=owner)
    with connection.cursor() as cursor:
        cursor.execute(sql, [owner_id, year, count])
        (last,) = cursor.fetchone()
    return range(last - count + 1, last + 1)
