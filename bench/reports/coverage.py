"""排查覆盖率 at scale: the units' sectors backfilled from 1,000,000 hazards, and the national tables with
their coverage columns (应排查 / 实际排查 / 覆盖率, counted live from the units) against the same tables
without them, measured in the same run.

    .venv/bin/python -m bench.reports.coverage --rows 1000000 --requests 5

Loads the hazards as ``bench.reports.live`` does (bench/out/pg, migrated: accounts/0006 backfills the
units' sectors then) and rebuilds the rollup. Then: the backfill again on every unit (sectors emptied
first, set again by it); ``coverage_cells`` for the municipal office and a county officer (one grouped
query); the 工矿企业 table for both, with and without its coverage columns (``coverage_by_sector`` stubbed
to nothing); the coverage page (by county and by sector group) through the test client. Each line
gives p50 / p95 wall time in ms over ``--requests`` runs after ``--warmup``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from bench.api.load import percentile
from bench.reports.live import arguments, loaded, log


def timed(label: str, call: Callable[[], object], requests: int, warmup: int) -> float:
    for _ in range(warmup):
        call()
    wall = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        wall.append((time.perf_counter() - started) * 1000)
    p50 = percentile(wall, 50)
    log(f"{label:<44} p50 {p50:8.1f} ms   p95 {percentile(wall, 95):8.1f} ms")
    return p50


def run(requests: int, warmup: int) -> None:
    from django.utils import timezone

    from accounts.backfill import unit_sectors_from_records
    from accounts.choices import Role
    from accounts.models import ResponsibleUnit, User
    from hazards.models import Hazard
    from inspections import coverage
    from inspections.models import Inspection
    from reports import official
    from reports.layouts import LAYOUTS

    units = ResponsibleUnit.objects.count()
    log(f"{units:,} units, {ResponsibleUnit.objects.filter(sector__isnull=False).count():,} with a sector")
    ResponsibleUnit.objects.update(sector=None)
    started = time.perf_counter()
    given = unit_sectors_from_records(ResponsibleUnit, Hazard, Inspection)
    log(f"backfill: {given:,} of {units:,} units given a sector in {time.perf_counter() - started:.1f} s")

    from reports import rollup

    started = time.perf_counter()
    rollup.rebuild()  # the tables' hazard columns from the rollup, as served
    log(f"rollup rebuilt in {time.perf_counter() - started:.1f} s")
    city = User.objects.filter(role=Role.MUNICIPAL_OFFICE, region__isnull=False).order_by("pk").first()
    county = User.objects.filter(role=Role.COUNTY_OFFICER, region__isnull=False).order_by("pk").first()
    today = timezone.localdate()
    start = today.replace(month=1, day=1)
    layout = LAYOUTS["mine"]
    real = official.coverage_by_sector
    for name, user in (("city", city), ("county", county)):
        timed(
            f"coverage_cells, {name}",
            lambda u=user: coverage.coverage_cells(user=u, start=start, end=today),
            requests,
            warmup,
        )

        def table(u=user) -> object:
            return official.national_table(layout, user=u, report_date=today)

        official.coverage_by_sector = real
        with_columns = timed(f"工矿企业月报表 with coverage, {name}", table, requests, warmup)
        official.coverage_by_sector = lambda **_: {}
        without = timed(f"工矿企业月报表 without coverage, {name}", table, requests, warmup)
        official.coverage_by_sector = real
        log(f"  ratio with / without: {with_columns / without:.2f}")
    from django.conf import settings
    from django.test import Client

    # As bench.reports.dashboard: static URLs without collectstatic's manifest.
    settings.DEBUG = True
    for name, user in (("city", city), ("county", county)):
        client = Client()
        client.force_login(user)

        def page(c=client) -> object:
            response = c.get("/inspections/coverage/", secure=True)
            assert response.status_code == 200, response.status_code
            return response

        timed(f"/inspections/coverage/ page, {name}", page, requests, warmup)
    total = official.national_table(layout, user=city, report_date=today).total.values
    log(f"city 合计: 应排查 {total['units_due']}, 实际排查 {total['units_inspected']}, 覆盖率 {total['coverage']}")


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__).parse_args(argv)
    with loaded(args):
        run(args.requests, args.warmup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
