"""The live stats API at scale: what the rollup (issue 11, a later slice) has to beat.

    .venv/bin/python -m bench.reports.live --rows 1000000
    .venv/bin/python -m bench.reports.live --database-url postgres://…/hazard_ledger --requests 5

The data is the API benchmark's (bench/out/pg, git-ignored, kept between runs; loaded here with
``bench.api.generate`` when it holds fewer than ``--rows`` hazards). Each request goes through the whole
API in process (Django's test client: middleware, token-less forced authentication, the view, its SQL,
the JSON), as the municipal office (``city``, every county) and the county officer of 红旗区
(``hq_officer``, about a twelfth of the table). Each line gives p50 / p95 / max wall time in ms, the CPU
time of this process per request (Python's side; PostgreSQL works in its own process), the number of
rows and the size of the answer; then a 304 revalidation, which today recomputes everything too. The
plan of the county × sector query goes to bench/out/reports-sql.txt. The rollup is switched off here;
``bench.reports.rollup`` measures it against this live GROUP BY in one run, with the issue's budgets.

First run, 2026-12-02, 1,000,000 hazards on the shared 2-core machine (p50 in ms; the city / 红旗区):
合计 2016 / 695; 按区县 2161 / 734; 区县×行业 2330 / 1134 (408 / 34 rows); 按乡镇 2480 / 1349; 304 of
区县×行业 2563 / 1695. PostgreSQL reads the table in parallel and aggregates in one process (the 挂牌督办
subqueries are hashed once but keep the aggregate out of the parallel workers); counting 一般 and 重大
once each and deriving the overall figures took the city's total from 2951 to 2016 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from bench.api.load import hazards_in_table, percentile
from bench.api.servers import OUT, django_on_bench_database

URL = "/api/v1/stats/closure/"
QUERIES = {
    "合计": "",
    "按区县": "group_by=county",
    "区县×行业": "group_by=county,sector",
    "按乡镇": "group_by=township",
    "按月（近一年）×等级": "group_by=month,level&found_after={year_ago}",
    "行业大类，重大": "group_by=sector_group&level=major",
}


def log(message: str) -> None:
    print(f"[reports-bench] {message}", flush=True)


def measure(client, path: str, requests: int, warmup: int, **headers) -> dict:
    for _ in range(warmup):
        client.get(path, secure=True, **headers)
    wall, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, secure=True, **headers)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code in (200, 304), (path, response.status_code, response.content[:200])
    body = response.json() if response.status_code == 200 else {}
    return {
        "p50": percentile(wall, 50),
        "p95": percentile(wall, 95),
        "max": max(wall),
        "cpu": statistics.mean(cpu),
        "rows": len(body.get("rows", [])),
        "kb": len(response.content) / 1024,
        "etag": response["ETag"],
    }


def explain(user) -> str:
    from django.db import connection
    from django.utils import timezone

    from reports import metrics
    from reports.dimensions import DIMENSIONS
    from reports.live import StatsQuery, hazards_for

    query = hazards_for(user, StatsQuery(group_by=("county", "sector")))
    grouped = query.values(**{f"by_{code}": DIMENSIONS[code].expression() for code in ("county", "sector")})
    sql, params = grouped.annotate(**metrics.measures(timezone.localdate())).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def run(requests: int, warmup: int) -> None:
    import datetime

    from django.utils import timezone
    from rest_framework.test import APIClient

    from accounts.models import User
    from hazards.models import Hazard

    year_ago = (timezone.localdate() - datetime.timedelta(days=365)).isoformat()
    print(f"\n{'persona':<11} {'query':<16} {'p50':>8} {'p95':>8} {'max':>8} {'cpu':>7} {'rows':>5} {'KB':>6}")
    for username in ("city", "hq_officer"):
        user = User.objects.get(username=username)
        client = APIClient()
        client.force_authenticate(user)
        for name, query in QUERIES.items():
            path = f"{URL}?{query.format(year_ago=year_ago)}"
            figures = measure(client, path, requests, warmup)
            print(
                f"{username:<11} {name:<16} {figures['p50']:8.1f} {figures['p95']:8.1f} {figures['max']:8.1f}"
                f" {figures['cpu']:7.1f} {figures['rows']:5d} {figures['kb']:6.1f}",
                flush=True,
            )
        path = f"{URL}?group_by=county,sector"
        etag = client.get(path, secure=True)["ETag"]
        revalidation = measure(client, path, requests, 0, HTTP_IF_NONE_MATCH=etag)
        print(f"{username:<11} {'304 区县×行业':<16} {revalidation['p50']:8.1f} {revalidation['p95']:8.1f}", flush=True)
        if username == "city":
            total = client.get(URL, secure=True).json()["total"]["found"]
            assert total == Hazard.objects.counted().count(), total
    plan = explain(User.objects.get(username="city"))
    (OUT / "reports-sql.txt").write_text(plan + "\n")
    log(f"plan of the city's county × sector query: {OUT / 'reports-sql.txt'}")


def arguments(doc: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="hazards in the table (default 1,000,000)")
    parser.add_argument("--database-url", help="use this PostgreSQL database instead of bench/out/pg")
    parser.add_argument("--data-dir", type=Path, default=OUT / "pg", help="PostgreSQL folder (default bench/out/pg)")
    parser.add_argument("--requests", type=int, default=10, help="measured requests per query (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up requests per query (default 2)")
    return parser


@contextlib.contextmanager
def loaded(args: argparse.Namespace) -> Iterator[None]:
    """PostgreSQL (bench/out/pg unless --database-url) and Redis running, Django set up, the schema
    migrated and at least ``--rows`` hazards in the table."""
    OUT.mkdir(parents=True, exist_ok=True)
    with django_on_bench_database(args.database_url, args.data_dir):
        from bench.api import generate

        have = hazards_in_table()
        if have < args.rows:
            log(f"{have:,} hazards in the table; loading up to {args.rows:,}")
            generate.generate(args.rows)
        log(f"{hazards_in_table():,} hazards")
        yield


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__).parse_args(argv)
    with loaded(args):
        from reports import rollup

        # This bench measures the live computation: no rollup, whatever an earlier run left (neither
        # its sums nor the JSON PostgreSQL writes from them).
        rollup.grouped = rollup.grouped_json = lambda **_: None
        run(args.requests, args.warmup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
