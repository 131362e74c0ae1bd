"""The stats API served from the rollup against the live GROUP BY, in one run, with issue 11's budgets.

    .venv/bin/python -m bench.reports.rollup --rows 1000000

Loads the hazards as ``bench.reports.live`` does (bench/out/pg, kept between runs), rebuilds the rollup
(timed: budget ≤ 10 s), then asks ``GET /api/v1/stats/closure/?group_by=county,sector`` through the
whole API in process (Django's test client, as ``bench.reports.live``) as the municipal office and as
红旗区's county officer: from the rollup, then live (the rollup switched off) in the same run, and checks
that both give the same figures (every number of the two answers but ``as_of``). "From the rollup" drops the answers the
API keeps per rollup version before each request, so every one is computed; "kept" asks again within the
same version. It prints p50 / p95 wall time, the throughput ratio of computed rollup answers to live ones
(budget ≥ 10×), the CPU time of this process per request (the server's Python side; budget ≤ 10 ms), a
304 revalidation (budget ≤ 2 ms; the ETag of a rollup answer comes from the rollup's version, so the
rollup and live answers are compared on their figures instead), a request after a change as a poller
makes it in production ("after a change, kept": the question asked before, a 作废 in 红旗区 refreshed,
the refresh task's computing of the asked answers timed apart as the worker's CPU, then the request,
which finds its answer kept; reports.api.kept), and the refresh that follows one change made through a
service (a 作废 in 红旗区: one county-month rewritten; budget ≤ 100 ms). The changes are rolled back, so
the data stays as loaded. "From the rollup" is what a question nobody asked before costs. Each budget
line ends PASS or FAIL; exit status 1 when one fails. The rebuild's line also gives the CPU time
PostgreSQL spent on it, the computed answers' the CPU time PostgreSQL spent per request (the budget is
this process's; the JSON from the rollup is written by PostgreSQL: both are printed), and the 304's the
CPU time of this process. See bench/reports/README.md.
"""

from __future__ import annotations

import statistics
import sys
import time

from bench.api.load import percentile
from bench.reports.live import OUT, URL, arguments, loaded, log, measure

BUDGETS = {"ratio": 10.0, "cpu": 10.0, "304": 2.0, "rebuild": 10.0, "refresh": 100.0}


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def backend_cpu() -> float:
    """CPU seconds the PostgreSQL process serving this connection has used (it runs on this machine)."""
    import os
    from pathlib import Path

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rebuild(times: int) -> tuple[list[float], list[float]]:
    """Wall ms of each full rebuild, and the CPU seconds PostgreSQL spent on it (the rebuild is one
    INSERT … SELECT in the database: on a shared machine its wall time is mostly waiting for a core)."""
    from reports import rollup
    from reports.models import ClosureRollup

    took, cpu = [], []
    for _ in range(times):
        before = backend_cpu()
        ms, done = timed(rollup.rebuild)
        took.append(ms)
        cpu.append(backend_cpu() - before)
        log(f"full rebuild: {ms / 1000:.2f} s (PostgreSQL CPU {cpu[-1]:.2f} s), {done.rows:,} rollup rows")
    assert ClosureRollup.objects.count() == done.rows
    return took, cpu


def cold(client, path: str, requests: int) -> dict:
    """Requests computed from the rollup: the kept answers are dropped before each one. One more is asked
    first and not counted: the process's first answer also loads the reference rows and imports."""
    from django.core.cache import cache

    cache.clear()
    assert client.get(path, secure=True).status_code == 200
    wall, cpu = [], []
    database_before = backend_cpu()
    for _ in range(requests):
        cache.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, secure=True)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, response.content[:200]
    database = (backend_cpu() - database_before) * 1000 / requests
    body = response.json()
    return {
        "p50": percentile(wall, 50),
        "p95": percentile(wall, 95),
        "cpu": statistics.mean(cpu),
        "cpu_p50": percentile(cpu, 50),
        "pg_cpu": database,
        "rps": 1000 * requests / sum(wall),
        "rows": len(body["rows"]),
        "etag": response["ETag"],
        "figures": {key: value for key, value in body.items() if key != "as_of"},
    }


def kept_ahead(client, path: str, requests: int) -> dict:
    """A request after a change, as a poller makes it in production: the question was asked before, a
    change is made through a service (作废 of an open hazard of 红旗区), the refresh task rewrites its
    slice and computes the asked answers again (``reports.api.kept.keep_asked``, timed: the worker's CPU),
    then the request (timed) finds its answer kept. Rolled back each time; the kept answers are dropped
    and the question asked again first, so that each round computes ahead."""
    from django.core.cache import cache
    from django.db import transaction

    from accounts.models import User
    from hazards import services
    from hazards.choices import OPEN_STATUSES
    from hazards.models import Hazard
    from reports import rollup
    from reports.api import kept

    supervisor = User.objects.get(username="hq_supervisor")
    candidates = Hazard.objects.filter(county=supervisor.region, status__in=OPEN_STATUSES).order_by("-found_at")
    wall, cpu, worker = [], [], []
    for hazard in list(candidates[:requests]):
        cache.clear()
        assert client.get(path, secure=True).status_code == 200  # asked (and remembered) at this version
        with transaction.atomic():
            services.hazard_void(hazard=hazard, by=supervisor, reason="基准测试")
            done = rollup.refresh()
            assert done is not None and done.slices == 1, done
            started_cpu = time.process_time()
            assert kept.keep_asked() >= 1
            worker.append((time.process_time() - started_cpu) * 1000)
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path, secure=True)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200, response.content[:200]
            transaction.set_rollback(True)
    cache.clear()
    return {"p50": percentile(wall, 50), "p95": percentile(wall, 95), "cpu": statistics.mean(cpu), "worker": worker}


def api_figures(requests: int, warmup: int) -> dict[str, dict]:
    from rest_framework.test import APIClient

    from accounts.models import User
    from reports import rollup

    grouped, version_for = rollup.grouped, rollup.version_for
    path = f"{URL}?group_by=county,sector"
    results: dict[str, dict] = {}
    for username in ("city", "hq_officer"):
        client = APIClient()
        client.force_authenticate(User.objects.get(username=username))
        computed = cold(client, path, requests)
        kept = measure(client, path, requests, warmup)
        kept["rps"] = 1000 / statistics.mean([kept["p50"], kept["p95"]])
        revalidation = measure(client, path, requests, warmup, HTTP_IF_NONE_MATCH=kept["etag"])
        ahead = kept_ahead(client, path, requests)
        # Live, in the same run: the rollup (and the answers kept under its version) switched off.
        rollup.grouped, rollup.version_for = (lambda **_: None), (lambda *_: None)
        try:
            runs = max(requests // 3, 3)
            live = cold(client, path, runs)
        finally:
            rollup.grouped, rollup.version_for = grouped, version_for
        # An answer from the rollup has an ETag from the rollup's version; compare the figures themselves.
        assert computed["etag"] == kept["etag"], f"{username}: the kept answer has another ETag"
        assert computed["figures"] == live["figures"], f"{username}: rollup and live figures differ"
        results[username] = {"rollup": computed, "kept": kept, "live": live, "304": revalidation, "ahead": ahead}
    return results


def one_change_refreshed(times: int) -> list[float]:
    """作废 an open hazard of 红旗区 through the service, then time the refresh; rolled back each time."""
    from django.db import transaction

    from accounts.models import User
    from hazards import services
    from hazards.choices import OPEN_STATUSES
    from hazards.models import Hazard
    from reports import rollup

    supervisor = User.objects.get(username="hq_supervisor")
    candidates = list(
        Hazard.objects.filter(county=supervisor.region, status__in=OPEN_STATUSES).order_by("-found_at")[:times]
    )
    took = []
    for hazard in candidates:
        with transaction.atomic():
            services.hazard_void(hazard=hazard, by=supervisor, reason="基准测试")
            ms, done = timed(rollup.refresh)
            assert done is not None and done.slices == 1 and not done.rebuilt, done
            took.append(ms)
            transaction.set_rollback(True)
    return took


def explain() -> str:
    from django.db import connection
    from django.db.models import Sum

    from reports.dimensions import DIMENSIONS
    from reports.models import MEASURE_COLUMNS, ClosureRollup

    rows = ClosureRollup.objects.values(
        **{f"by_{code}": DIMENSIONS[code].rollup_expression() for code in ("county", "sector")}
    ).annotate(**{name: Sum(name) for name in MEASURE_COLUMNS})
    sql, params = rows.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def verdict(name: str, value: float, unit: str, budget: str, ok: bool) -> bool:
    print(f"{name:<52} {value:10.1f} {unit:<4} budget {budget:<8} {'PASS' if ok else 'FAIL'}", flush=True)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = arguments(__doc__)
    parser.add_argument("--rebuilds", type=int, default=2, help="full rebuilds timed (default 2)")
    args = parser.parse_args(argv)
    with loaded(args):
        rebuilds, rebuild_cpu = rebuild(args.rebuilds)
        figures = api_figures(args.requests, args.warmup)
        refreshes = one_change_refreshed(5)
        (OUT / "reports-rollup-sql.txt").write_text(explain() + "\n")
        log(f"plan of the rollup's county × sector query: {OUT / 'reports-rollup-sql.txt'}")

    print(f"\n{'persona':<11} {'answer':<22} {'p50':>8} {'p95':>8} {'cpu':>7} {'req/s':>8} {'rows':>5}")
    labels = {"rollup": "from the rollup", "kept": "kept (same version)", "live": "live GROUP BY"}
    for username, by_source in figures.items():
        for source, label in labels.items():
            f = by_source[source]
            print(
                f"{username:<11} {label:<22} {f['p50']:8.1f} {f['p95']:8.1f} {f['cpu']:7.1f} {f['rps']:8.1f}"
                f" {f['rows']:5d}"
            )
        revalidation = by_source["304"]
        print(
            f"{username:<11} {'304 (kept ETag)':<22} {revalidation['p50']:8.2f} {revalidation['p95']:8.2f}"
            f" {revalidation['cpu']:7.2f}"
        )
        ahead = by_source["ahead"]
        print(
            f"{username:<11} {'after a change, kept':<22} {ahead['p50']:8.1f} {ahead['p95']:8.1f} {ahead['cpu']:7.1f}"
        )
    print()
    ok = True
    for username, by_source in figures.items():
        ratio = by_source["rollup"]["rps"] / by_source["live"]["rps"]
        ok &= verdict(f"{username}: rollup ÷ live throughput", ratio, "×", "≥ 10", ratio >= BUDGETS["ratio"])
        for source in ("rollup", "kept"):
            cpu = by_source[source]["cpu"]
            ok &= verdict(f"{username}: CPU per request ({source}, mean)", cpu, "ms", "≤ 10", cpu <= BUDGETS["cpu"])
        print(f"{username + ': CPU per request (rollup, p50)':<52} {by_source['rollup']['cpu_p50']:10.1f} ms")
        pg = by_source["rollup"]["pg_cpu"]
        print(f"{'  PostgreSQL CPU per request (rollup, mean)':<52} {pg:10.1f} ms")
        cpu = by_source["ahead"]["cpu"]
        ok &= verdict(
            f"{username}: CPU per request after a change (kept ahead)", cpu, "ms", "≤ 10", cpu <= BUDGETS["cpu"]
        )
        worker = statistics.mean(by_source["ahead"]["worker"])
        print(f"{'  the refresh task computing it ahead (CPU, mean)':<52} {worker:10.1f} ms")
        p50 = by_source["304"]["p50"]
        ok &= verdict(f"{username}: 304 revalidation p50", p50, "ms", "≤ 2", p50 <= BUDGETS["304"])
    worst = max(rebuilds) / 1000
    ok &= verdict("full rebuild (slowest)", worst, "s", "≤ 10", worst <= BUDGETS["rebuild"])
    print(f"{'  of which PostgreSQL CPU (slowest)':<52} {max(rebuild_cpu):10.1f} s", flush=True)
    refresh = statistics.median(refreshes)
    ok &= verdict(
        f"refresh after one change (p50 of {len(refreshes)}, max {max(refreshes):.1f})",
        refresh,
        "ms",
        "≤ 100",
        percentile(refreshes, 50) <= BUDGETS["refresh"],
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
