"""A sector whose hazards no row of the national tables counts is said out loud (docs/reports.md §2)."""

from __future__ import annotations

from django.core.checks import Tags, Warning, register


@register(Tags.database)
def sectors_in_a_table_row(app_configs, databases=None, **kwargs) -> list[Warning]:
    """Run where the database is asked for (``migrate``, ``check --database default``), as Django's own
    database checks are; a plain ``check`` (CI, Celery's start) reads no data."""
    from reports.official import unmapped_sectors

    if not databases:
        return []

    return [
        Warning(
            f"Sector {sector.code} ({sector}) is counted in no row of the national monthly tables.",
            hint="Map it in the admin (统计表行业对应), or give it a parent sector that has a row.",
            obj=sector,
            id="reports.W001",
        )
        for sector in unmapped_sectors()
    ]
