"""The 统计看板 at scale: the city's dashboard page (its home page) with issue 11's budget of 150 ms.

    .venv/bin/python -m bench.reports.dashboard --rows 1000000

Loads the hazards as ``bench.reports.live`` does (bench/out/pg, kept between runs), rebuilds the rollup,
then renders the dashboard through the whole browser stack in process (Django's test client: session,
middleware, the view, its SQL, the template) as the municipal office (``/``, every county) and as 红旗区's
county officer (``/reports/``), for this year (the default), this month, and a custom period that is
not in whole months (computed live, for comparison). Each line gives p50 / p95 wall time in ms (the
server's time for the page: PostgreSQL's included), the CPU time of this process per request, and the
number of SQL queries; each page "computed" (the report sums it keeps per rollup version dropped before
every request: the first view after a change) and "kept" (asked again while the rollup's rows are the
same; the two boards are live either way). The budget lines end PASS or FAIL; exit status 1 when the
city's default page misses the budget.
"""

from __future__ import annotations

import statistics
import sys
import time

from bench.api.load import percentile
from bench.reports.live import arguments, loaded, log

BUDGET_MS = 150.0
PAGES = {
    "本年（默认）": "",
    "本月": "?period=month",
    "本季度": "?period=quarter",
    "自定义，不整月（实时计算）": "?period=custom&found_from={year}-01-05&found_to={year}-03-20",
}


def measure(client, path: str, requests: int, warmup: int, *, computed: bool) -> dict:
    """``computed``: the sums the page keeps per rollup version are dropped before each request."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(path, secure=True)
        assert response.status_code == 200, (path, response.status_code, response.get("Location"))
    wall, cpu = [], []
    for _ in range(requests):
        if computed:
            cache.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, secure=True)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, response.content[:300]
        assert b"dashboard-data" in response.content
    return {
        "p50": percentile(wall, 50),
        "p95": percentile(wall, 95),
        "cpu": statistics.mean(cpu),
        "queries": len(queries),
        "bytes": len(response.content),
    }


def run(requests: int, warmup: int) -> dict[tuple[str, str], dict]:
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from reports import rollup

    # As bench.pages.render: static URLs without collectstatic's manifest (and the SQL counted).
    settings.DEBUG = True
    started = time.perf_counter()
    done = rollup.rebuild()
    log(f"rollup rebuilt: {done.rows:,} rows in {time.perf_counter() - started:.1f} s")
    year = timezone.localdate().year
    results = {}
    for username, base in (("city", "/"), ("hq_officer", "/reports/")):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, query in PAGES.items():
            path = base + query.format(year=year)
            for computed in (True, False):
                figures = measure(client, path, requests, warmup, computed=computed)
                results[(username, label, "computed" if computed else "kept")] = figures
                log(f"{username} {label} {'computed' if computed else 'kept'}: p50 {figures['p50']:.1f} ms")
    return results


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__).parse_args(argv)
    with loaded(args):
        results = run(args.requests, args.warmup)
    print(f"\n{'persona':<11} {'period':<28} {'sums':<9} {'p50':>8} {'p95':>8} {'cpu':>7} {'SQL':>4} {'KB':>6}")
    for (username, label, sums), f in results.items():
        print(
            f"{username:<11} {label:<28} {sums:<9} {f['p50']:8.1f} {f['p95']:8.1f} {f['cpu']:7.1f}"
            f" {f['queries']:4d} {f['bytes'] / 1024:6.1f}"
        )
    ok = True
    for sums in ("computed", "kept"):
        city = results[("city", "本年（默认）", sums)]
        ok &= city["p50"] <= BUDGET_MS
        verdict = "PASS" if city["p50"] <= BUDGET_MS else "FAIL"
        print(
            f"city dashboard (default period, {sums}) p50 {city['p50']:.1f} ms (CPU {city['cpu']:.1f} ms),"
            f" budget ≤ {BUDGET_MS:.0f}: {verdict}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
