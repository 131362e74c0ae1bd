"""The REST API budgets, measured against gunicorn over 1,000,000 hazards in PostgreSQL.

    .venv/bin/python -m bench.api.load --rows 1000000

Starts PostgreSQL (data kept in bench/out/pg, so only the first run loads the hazards; ``--regenerate``
loads them again) or uses ``--database-url``, a throwaway Redis (or ``--redis-url``) and gunicorn with
``bench.api.settings``, then measures, with closed-loop clients (one process each, keep-alive
http.client; a sync worker closes the connection after each response and the client reconnects, the
reconnection counted in the request's time):

(a) ours: ``GET /api/v1/hazards/?region=410702&status=rectifying`` as 红旗区's county officer;
(b) bare: ``GET /bench/bare/hazards/?county=<id of 410702>&status=rectifying`` (bench/api/urls.py),
    in alternating rounds with (a) (ABBA order), so that both see the same machine;
(c) the city-wide list as api_client, page 1 against page 10,000 (row 499,951 on): the cursor of page
    10,000 is computed the way the pagination writes it and checked against the ``next`` link that
    page 9,999 returns (``--walk`` follows every ``next`` link from page 1 instead); one client,
    alternating requests;
(d) the SQL of one request of each kind (with EXPLAIN ANALYZE), and pg_stat_statements over the whole
    load: no statement may count rows;
(e) for reference, ``/bench/floor/``: an authenticated DRF view that returns ``{}`` (what any request
    costs on this machine before the view does anything);
(f) pages by deadline (``?ordering=deadline`` and ``-deadline``) as the county officer and as the
    city-wide client, deep in the rows with a deadline and where the pages cross to the rows without:
    with EXPLAIN ANALYZE, each statement must reach the hazards through an index condition on the
    deadline, that is start at its cursor instead of filtering out the rows before it.

Prints requests/s, p50/p95/p99 latency and errors per scenario, CPU time per request (gunicorn workers,
PostgreSQL backends, the load clients), and a table of the budgets with PASS/FAIL; writes everything to
bench/out/api-results.json and the plans to bench/out/api-sql.txt. Every server it started is stopped
on the way out, also on errors and Ctrl-C.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import multiprocessing
import os
import re
import signal
import statistics
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from bench.api.servers import OUT, BenchPostgres, Gunicorn, Redis, children

RESULTS = OUT / "api-results.json"
SQL_LOG = OUT / "api-sql.txt"
COUNTY = "410702"  # 红旗区
OFFICER = "hq_officer"
CITY_CLIENT = "api_client"
PASSWORD = "demo12345"
PAGE_SIZE = 50
COUNTS = re.compile(r"\bcount\s*\(", re.IGNORECASE)

BUDGET_P95_MS = 50.0
BUDGET_RPS = 200.0
BUDGET_VS_BARE = 1.3
BUDGET_DEEP_PAGE = 1.5


def log(message: str) -> None:
    print(f"[load] {message}", flush=True)


# --- the clients ------------------------------------------------------------------------------------


@dataclass
class ClientJob:
    host: str
    port: int
    paths: list[str]
    headers: dict[str, str]
    measure_from: float  # time.monotonic() values: CLOCK_MONOTONIC is shared by all processes
    until: float


def _client_init() -> None:
    # The parent's SIGTERM handler raises SystemExit; a pool worker must simply die.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_client(job: ClientJob) -> dict:
    """One closed-loop client: request, read the whole body, repeat; until ``job.until``."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    conn: http.client.HTTPConnection | None = None
    reconnects = 0
    k = 0
    cpu = time.process_time()
    while True:
        start = time.monotonic()
        if start >= job.until:
            break
        path = job.paths[k % len(job.paths)]
        k += 1
        outcome = None
        for attempt in (0, 1):
            fresh = conn is None
            if fresh:
                conn = http.client.HTTPConnection(job.host, job.port, timeout=30)
                reconnects += 1
            try:
                conn.request("GET", path, headers=job.headers)
                response = conn.getresponse()
                response.read()
                outcome = str(response.status)
                if response.will_close:
                    conn.close()
                    conn = None
                break
            except (http.client.HTTPException, OSError) as exc:
                conn.close()
                conn = None
                outcome = type(exc).__name__
                if fresh or attempt:  # a kept-alive connection the server had closed: retry once
                    break
        end = time.monotonic()
        if end > job.until:
            break
        if end >= job.measure_from:
            latencies.append(end - start)
            if outcome != "200":
                errors[outcome] = errors.get(outcome, 0) + 1
    if conn is not None:
        conn.close()
    return {"latencies": latencies, "errors": errors, "cpu": time.process_time() - cpu, "connects": reconnects}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    ticks = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def machine_ticks() -> tuple[int, int, int]:
    """(busy, steal, total) jiffies of the whole machine."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    values = (values + [0] * 8)[:8]
    idle, iowait, steal = values[3], values[4], values[7]
    total = sum(values)
    return total - idle - iowait, steal, total


@dataclass
class Sample:
    """Everything one scenario (or one round of it) measured."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    client_cpu: float = 0.0
    app_cpu: float = 0.0
    db_cpu: float = 0.0
    machine_busy: float = 0.0
    machine_total: float = 0.0
    steal: float = 0.0
    connects: int = 0

    def add(self, other: Sample) -> None:
        self.seconds += other.seconds
        self.latencies += other.latencies
        for key, n in other.errors.items():
            self.errors[key] = self.errors.get(key, 0) + n
        for attr in ("client_cpu", "app_cpu", "db_cpu", "machine_busy", "machine_total", "steal", "connects"):
            setattr(self, attr, getattr(self, attr) + getattr(other, attr))

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def summary(self) -> dict:
        n = max(self.requests, 1)
        ms = [v * 1000 for v in self.latencies]
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(ms, 50), 2),
            "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2),
            "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"),
            "max_ms": round(max(ms), 2) if ms else float("nan"),
            "errors": sum(self.errors.values()),
            "error_kinds": self.errors,
            "app_cpu_ms_per_req": round(self.app_cpu * 1000 / n, 2),
            "db_cpu_ms_per_req": round(self.db_cpu * 1000 / n, 2),
            "client_cpu_ms_per_req": round(self.client_cpu * 1000 / n, 2),
            # What the machine could serve if these three were all that ran on it: cores / CPU per request.
            "cpu_bound_rps": round((os.cpu_count() or 1) * n / (self.app_cpu + self.db_cpu + self.client_cpu), 1)
            if self.app_cpu
            else None,
            "machine_busy_pct": round(100 * self.machine_busy / self.machine_total, 1) if self.machine_total else 0,
            "steal_pct": round(100 * self.steal / self.machine_total, 1) if self.machine_total else 0,
            "connects": self.connects,
        }


class Load:
    def __init__(self, gunicorn: Gunicorn, postgres_pid: int | None, clients: int) -> None:
        self.gunicorn = gunicorn
        self.postgres_pid = postgres_pid
        self.clients = clients
        self.pool = multiprocessing.get_context("fork").Pool(clients, initializer=_client_init)

    def close(self) -> None:
        self.pool.close()
        self.pool.join()

    def run(self, name: str, paths: list[str], token: str, seconds: float, *, warmup: float = 0.0, clients=None):
        clients = clients or self.clients
        headers = {"Authorization": f"Token {token}", "Accept": "application/json", "Connection": "keep-alive"}
        now = time.monotonic() + 0.2  # let every client start before the clock runs
        jobs = [
            ClientJob("127.0.0.1", self.gunicorn.port, paths, headers, now + warmup, now + warmup + seconds)
            for _ in range(clients)
        ]
        watched_app = self.gunicorn.worker_pids()
        app_before = cpu_ticks(watched_app)
        db_pids = children(self.postgres_pid) if self.postgres_pid else []
        db_before = cpu_ticks(db_pids)
        pending = self.pool.map_async(run_client, jobs)
        # Start the machine-wide and per-process clocks when measurement starts, after the warm-up.
        time.sleep(max(0.0, now + warmup - time.monotonic()))
        if warmup:
            app_before = cpu_ticks(watched_app)
            db_pids = children(self.postgres_pid) if self.postgres_pid else []
            db_before = cpu_ticks(db_pids)
        machine_before = machine_ticks()
        results = pending.get(timeout=warmup + seconds + 120)
        machine_after = machine_ticks()
        app_after = cpu_ticks(watched_app)
        db_after = cpu_ticks(children(self.postgres_pid) if self.postgres_pid else [])
        tick = os.sysconf("SC_CLK_TCK")
        sample = Sample(name=name, seconds=seconds)
        for result in results:
            sample.latencies += result["latencies"]
            sample.client_cpu += result["cpu"]
            sample.connects += result["connects"]
            for key, n in result["errors"].items():
                sample.errors[key] = sample.errors.get(key, 0) + n
        sample.app_cpu = sum(app_after[p] - app_before.get(p, app_after[p]) for p in app_after) / tick
        sample.db_cpu = sum(db_after[p] - db_before.get(p, 0) for p in db_after) / tick
        sample.machine_busy = machine_after[0] - machine_before[0]
        sample.steal = machine_after[1] - machine_before[1]
        sample.machine_total = machine_after[2] - machine_before[2]
        return sample


# --- HTTP helpers -----------------------------------------------------------------------------------


def http_json(port: int, method: str, path: str, *, token: str | None = None, body: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = json.loads(response.read() or b"null")
    finally:
        conn.close()
    return response.status, data, time.monotonic() - started


def get_token(port: int, username: str) -> str:
    status, data, _ = http_json(port, "POST", "/api/v1/auth/token/", body={"username": username, "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"token for {username}: HTTP {status} {data}")
    return data["token"]


def cursor_of(url: str | None) -> str | None:
    if not url:
        return None
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("cursor", [None])[0]


def path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


# --- preparation in process -------------------------------------------------------------------------


def setup_django(database_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.api.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    import django

    django.setup()


def hazards_in_table() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('hazards_hazard') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute("SELECT count(*) FROM hazards_hazard")
        return cursor.fetchone()[0]


def visible_rows(username: str, ordering: str):
    """What ``username`` lists, in the order KeysetPagination reads it."""
    from django.db.models import F

    from accounts.models import User
    from hazards.models import Hazard

    field = ordering.lstrip("-")
    order = [F(field).desc(nulls_first=True), "-id"] if ordering[0] == "-" else [F(field).asc(nulls_last=True), "id"]
    return Hazard.objects.visible_to(User.objects.get(username=username)).order_by(*order)


def deep_cursor(page: int, ordering: str = "-found_at", username: str = CITY_CLIENT) -> str:
    """The cursor the pagination puts in page ``page - 1``'s ``next`` link (see KeysetPagination)."""
    value, pk = visible_rows(username, ordering).values_list(ordering.lstrip("-"), "id")[(page - 1) * PAGE_SIZE - 1]
    cursor = {"o": ordering, "v": value.isoformat() if value is not None else None, "id": pk}
    return base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()


def deadline_pages(deep_page: int, tokens: dict[str, str]) -> dict[str, tuple[str, str]]:
    """(f): pages by deadline, both ways, for the county officer and the city-wide client: one deep in
    the rows with a deadline, and the one that crosses to the rows without (after them going up,
    before them going down), which KeysetPagination reads as a second index range."""
    pages = {}
    for username, deep in ((OFFICER, deep_page // 10), (CITY_CLIENT, deep_page)):
        rows = visible_rows(username, "deadline")
        with_deadline = rows.filter(deadline__isnull=False).count()
        without = rows.filter(deadline__isnull=True).count()
        for ordering, crossing in (
            ("deadline", with_deadline // PAGE_SIZE + 1),
            ("-deadline", without // PAGE_SIZE + 1),
        ):
            for page in (deep, crossing):
                cursor = urllib.parse.quote(deep_cursor(page, ordering, username))
                path = f"/api/v1/hazards/?ordering={ordering}&cursor={cursor}"
                pages[f"(f) {username} ?ordering={ordering} page {page:,}"] = (path, tokens[username])
    return pages


def reads_index_range(plan: str, field: str) -> bool:
    """The plan reaches the hazards through an index condition on ``field``: the scan starts at the
    cursor instead of reading the index from its start and filtering (the planner may still sort the
    few rows of a short range, as at the end of the rows with a deadline)."""
    lines = plan.splitlines()
    scans = [n for n, line in enumerate(lines) if "Scan" in line and " on hazards_hazard " in line]
    if len(scans) != 1:
        return False
    indent = len(lines[scans[0]]) - len(lines[scans[0]].lstrip())
    for line in lines[scans[0] + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        if "Index Cond:" in line and field in line:
            return True
    return False


def capture_sql(scenarios: dict[str, tuple[str, str]]) -> dict:
    """Run one request of each scenario in process; return its SQL with EXPLAIN ANALYZE of each SELECT."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    report = {}
    for name, (path, token) in scenarios.items():
        client = Client(HTTP_AUTHORIZATION=f"Token {token}")
        client.get(path)  # warm the caches this request reads
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        statements = []
        for query in queries.captured_queries:
            sql = query["sql"]
            plan = ""
            if "hazards_hazard" in sql and sql.lstrip().upper().startswith("SELECT"):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
            statements.append({"sql": sql, "ms": float(query["time"]) * 1000, "plan": plan})
        report[name] = {
            "path": path,
            "status": response.status_code,
            "rows": len(response.json().get("results", [])) if response.status_code == 200 else None,
            "statements": statements,
            "counts": [s["sql"] for s in statements if COUNTS.search(s["sql"])],
        }
    return report


def reset_statements() -> bool:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            cursor.execute("SELECT pg_stat_statements_reset()")
        return True
    except Exception as exc:
        log(f"pg_stat_statements unavailable ({exc.__class__.__name__}: {str(exc).strip()}); only (d) in process")
        return False


def statements_since_reset() -> list[dict]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT query, calls, mean_exec_time, total_exec_time, rows
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = current_database()
            ORDER BY total_exec_time DESC
            """
        )
        return [
            {"query": q, "calls": c, "mean_ms": round(m, 3), "total_ms": round(t, 1), "rows": r}
            for q, c, m, t, r in cursor.fetchall()
        ]


# --- the run ----------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="hazards in the table (default 1,000,000)")
    parser.add_argument("--regenerate", action="store_true", help="drop the benchmark database and load it again")
    parser.add_argument("--database-url", help="use this PostgreSQL database instead of bench/out/pg")
    parser.add_argument("--data-dir", type=Path, default=OUT / "pg", help="PostgreSQL folder (default bench/out/pg)")
    parser.add_argument("--redis-url", help="use this Redis instead of a throwaway one")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--duration", type=float, default=20, help="measured seconds per scenario (default 20)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds of (a) and (b) (default 4)")
    parser.add_argument("--warmup", type=float, default=5, help="warm-up seconds per scenario (default 5)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (default sync)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--deep-page", type=int, default=10_000, help="the deep page of (c) (default 10,000)")
    parser.add_argument("--deep-requests", type=int, default=30, help="requests of each page in (c) (default 30)")
    parser.add_argument("--walk", action="store_true", help="(c): follow every next link to the deep page")
    args = parser.parse_args(argv)

    if args.deep_page * PAGE_SIZE >= args.rows:
        parser.error(f"page {args.deep_page:,} of {PAGE_SIZE} rows needs more than {args.rows:,} hazards")
    OUT.mkdir(parents=True, exist_ok=True)
    postgres = redis = gunicorn = load = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        started = time.monotonic()
        postgres_pid = None
        if args.database_url:
            database_url = args.database_url
        else:
            postgres = BenchPostgres(args.data_dir)
            log(f"PostgreSQL in {postgres.data} ({'new' if postgres.fresh else 'kept from an earlier run'})")
            database_url = postgres.start()
            if args.regenerate:
                postgres.ensure_database(drop=True)
            postgres_pid = postgres.postmaster_pid
        if args.redis_url:
            redis_url = args.redis_url
        else:
            redis = Redis()
            redis_url = redis.start()
        setup_django(database_url, redis_url)

        from django.core.management import call_command

        from bench.api import generate

        # Always: the app's models move on between runs, the kept database must follow them.
        call_command("migrate", interactive=False, verbosity=0)
        have = hazards_in_table()
        generation = None
        if have > args.rows:
            raise SystemExit(f"the database holds {have:,} hazards, more than --rows; use --regenerate")
        if have < args.rows:
            log(f"{have:,} hazards in the table; loading up to {args.rows:,}")
            generation = generate.generate(args.rows)
            log(f"data generation took {generation:.1f} s")
        else:
            log(f"{have:,} hazards already loaded (--regenerate to load them again)")
        from django.db import connection

        from accounts.models import Region

        connection.close()

        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
        gunicorn = Gunicorn(
            env,
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
            log=OUT / "api-gunicorn.log",
        )
        gunicorn.start()
        log(f"gunicorn on {gunicorn.base_url}: {args.workers} × {args.worker_class}, {args.threads} thread(s)")
        officer = get_token(gunicorn.port, OFFICER)
        city = get_token(gunicorn.port, CITY_CLIENT)
        county_id = Region.objects.get(code=COUNTY).pk
        ours = f"/api/v1/hazards/?region={COUNTY}&status=rectifying"
        bare = f"/bench/bare/hazards/?county={county_id}&status=rectifying"
        page1 = "/api/v1/hazards/"

        # (c) the cursor of the deep page, and proof that the server hands out the same one.
        step = time.monotonic()
        deep_token = deep_cursor(args.deep_page)
        if args.walk:
            deep_path, walked = walk_to(gunicorn.port, city, args.deep_page)
            log(f"walked {walked} next links to page {args.deep_page:,} in {time.monotonic() - step:.0f} s")
            if cursor_of(deep_path) != deep_token:
                raise SystemExit("the walked cursor differs from the computed one")
        else:
            before = deep_cursor(args.deep_page - 1)
            path = f"{page1}?cursor={urllib.parse.quote(before)}"
            status, data, _ = http_json(gunicorn.port, "GET", path, token=city)
            if status != 200 or cursor_of(data["next"]) != deep_token:
                raise SystemExit(f"page {args.deep_page - 1:,}'s next link is not the computed cursor: {data!r:.300}")
            status, data, _ = http_json(gunicorn.port, "GET", page1, token=city)
            if status != 200 or cursor_of(data["next"]) != deep_cursor(2):
                raise SystemExit("page 1's next link is not the computed cursor of page 2")
        deep = f"{page1}?cursor={urllib.parse.quote(deep_token)}"
        status, data, _ = http_json(gunicorn.port, "GET", deep, token=city)
        if status != 200 or len(data["results"]) != PAGE_SIZE:
            raise SystemExit(f"page {args.deep_page:,}: HTTP {status}")
        log(f"cursor of page {args.deep_page:,} checked against the server's next link")

        for path, token in ((ours, officer), (bare, officer)):
            status, data, _ = http_json(gunicorn.port, "GET", path, token=token)
            if status != 200 or len(data["results"]) != PAGE_SIZE:
                raise SystemExit(f"{path}: HTTP {status}, {len(data.get('results', []))} rows")

        # (d) the SQL of each scenario, in process; (f) that of the pages by deadline.
        sql = capture_sql(
            {
                "ours": (ours, officer),
                "bare": (bare, officer),
                "page 1": (page1, city),
                f"page {args.deep_page}": (deep, city),
                **deadline_pages(args.deep_page, {OFFICER: officer, CITY_CLIENT: city}),
            }
        )
        write_sql_log(sql)
        connection.close()
        statements_available = reset_statements()
        connection.close()

        # (a) and (b), alternating; then (c).
        load = Load(gunicorn, postgres_pid, args.clients)
        log(f"warming up (a) and (b), {args.warmup:.0f} s each")
        load.run("ours", [ours], officer, args.warmup)
        load.run("bare", [bare], officer, args.warmup)
        totals = {"ours": Sample("ours"), "bare": Sample("bare")}
        rounds = []
        per_round = args.duration / args.rounds
        for r in range(args.rounds):
            order = ("ours", "bare") if r % 2 == 0 else ("bare", "ours")
            for name in order:
                sample = load.run(name, [ours if name == "ours" else bare], officer, per_round)
                totals[name].add(sample)
                rounds.append({"round": r + 1, "name": name, **sample.summary()})
                s = sample.summary()
                log(f"round {r + 1} {name}: {s['rps']} req/s, p95 {s['p95_ms']} ms, errors {s['errors']}")

        # (e) the floor: an authenticated DRF view returning {}, to read the other figures against.
        floor = load.run("floor", ["/bench/floor/"], officer, max(per_round, 5))
        log(f"floor: {floor.summary()['rps']} req/s")

        log(f"(c) page 1 against page {args.deep_page:,}, one client, {args.deep_requests} requests each")
        depth = {"page 1": Sample("page 1"), "deep": Sample("deep")}
        for _ in range(2):  # warm both
            http_json(gunicorn.port, "GET", page1, token=city)
            http_json(gunicorn.port, "GET", deep, token=city)
        for _ in range(args.deep_requests):
            for name, path in (("page 1", page1), ("deep", deep)):
                status, _data, seconds = http_json(gunicorn.port, "GET", path, token=city)
                depth[name].latencies.append(seconds)
                depth[name].seconds += seconds
                if status != 200:
                    depth[name].errors[str(status)] = depth[name].errors.get(str(status), 0) + 1

        statements = statements_since_reset() if statements_available else []
        connection.close()
        results = summarise(args, totals, rounds, depth, sql, statements, generation, time.monotonic() - started)
        results["floor"] = floor.summary()
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
        print_report(results)
        log(f"results in {RESULTS}, SQL and plans in {SQL_LOG}")
        return 0 if all(b["pass"] for b in results["budgets"]) else 1
    finally:
        for server in (load, gunicorn, redis, postgres):
            if server is not None:
                with contextlib.suppress(Exception):
                    server.close() if isinstance(server, Load) else server.stop()


def walk_to(port: int, token: str, page: int) -> tuple[str, int]:
    """Follow ``next`` links from page 1 to ``page`` (of 50): 200 rows a step, then 50."""
    rows_before = (page - 1) * PAGE_SIZE
    path, seen, walked = "/api/v1/hazards/?page_size=200", 0, 0
    while seen + 200 <= rows_before:
        status, data, _ = http_json(port, "GET", path, token=token)
        if status != 200:
            raise SystemExit(f"walking: HTTP {status} at row {seen:,}")
        seen += len(data["results"])
        walked += 1
        path = path_of(data["next"])
        if walked % 250 == 0:
            log(f"walked {walked} pages ({seen:,} rows)")
    path = f"/api/v1/hazards/?cursor={urllib.parse.quote(cursor_of(path))}"
    while seen < rows_before:
        status, data, _ = http_json(port, "GET", path, token=token)
        seen += len(data["results"])
        walked += 1
        path = path_of(data["next"])
    return path, walked


def write_sql_log(sql: dict) -> None:
    with open(SQL_LOG, "w") as out:
        for name, scenario in sql.items():
            out.write(f"==== {name}: GET {scenario['path']} -> {scenario['status']}, {scenario['rows']} rows\n\n")
            for statement in scenario["statements"]:
                out.write(f"-- {statement['ms']:.2f} ms\n{statement['sql']}\n")
                if statement["plan"]:
                    out.write("\n" + statement["plan"] + "\n")
                out.write("\n")


def summarise(args, totals, rounds, depth, sql, statements, generation, elapsed) -> dict:
    ours, bare = totals["ours"].summary(), totals["bare"].summary()
    page1, deep = depth["page 1"].summary(), depth["deep"].summary()
    counting = [s for s in statements if COUNTS.search(s["query"])]
    in_process_counts = [q for scenario in sql.values() for q in scenario["counts"]]
    vs_bare_rps = bare["rps"] / ours["rps"] if ours["rps"] else float("inf")
    vs_bare_p95 = ours["p95_ms"] / bare["p95_ms"] if bare["p95_ms"] else float("inf")
    depth_ratio = deep["p50_ms"] / page1["p50_ms"] if page1["p50_ms"] else float("inf")
    by_deadline = [s for name, s in sql.items() if name.startswith("(f)")]
    deadline_statements = [
        st for s in by_deadline for st in s["statements"] if 'FROM "hazards_hazard"' in st["sql"] and st["plan"]
    ]
    deadline_ranges = [st for st in deadline_statements if reads_index_range(st["plan"], "deadline")]
    deadline_ok = bool(by_deadline) and all(s["status"] == 200 and s["rows"] == PAGE_SIZE for s in by_deadline)
    budgets = [
        {"budget": f"(a) p95 ≤ {BUDGET_P95_MS:.0f} ms", "value": f"{ours['p95_ms']:.1f} ms"},
        {"budget": f"(a) ≥ {BUDGET_RPS:.0f} req/s", "value": f"{ours['rps']:.1f} req/s"},
        {"budget": f"(a)/(b) throughput within {BUDGET_VS_BARE}×", "value": f"{vs_bare_rps:.2f}×"},
        {"budget": f"(a)/(b) p95 within {BUDGET_VS_BARE}×", "value": f"{vs_bare_p95:.2f}×"},
        {
            "budget": f"(c) page {args.deep_page:,} p50 within {BUDGET_DEEP_PAGE}× of page 1",
            "value": f"{depth_ratio:.2f}×",
        },
        {
            "budget": "(d) no statement counts rows",
            "value": f"{len(in_process_counts)} in the captured requests, "
            + (f"{len(counting)} in pg_stat_statements" if statements else "pg_stat_statements not available"),
        },
        {
            "budget": "(f) deadline pages start at the cursor in an index",
            "value": f"{len(deadline_ranges)} of {len(deadline_statements)} statements, {len(by_deadline)} pages",
        },
    ]
    checks = [
        ours["p95_ms"] <= BUDGET_P95_MS and ours["errors"] == 0,
        ours["rps"] >= BUDGET_RPS and ours["errors"] == 0,
        vs_bare_rps <= BUDGET_VS_BARE,
        vs_bare_p95 <= BUDGET_VS_BARE,
        depth_ratio <= BUDGET_DEEP_PAGE and deep["errors"] == 0,
        not in_process_counts and not counting,
        deadline_ok and len(deadline_ranges) == len(deadline_statements),
    ]
    for budget, ok in zip(budgets, checks, strict=True):
        budget["pass"] = ok
    return {
        "code": code_version(),
        "settings": {k: v for k, v in vars(args).items() if k not in ("database_url", "redis_url")},
        "cpus": os.cpu_count(),
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "generation_seconds": generation,
        "elapsed_seconds": round(elapsed, 1),
        "ours": ours,
        "bare": bare,
        "rounds": rounds,
        "page_1": page1,
        "deep_page": deep,
        "ratios": {"bare_rps/ours_rps": vs_bare_rps, "ours_p95/bare_p95": vs_bare_p95, "deep/page1_p50": depth_ratio},
        "budgets": budgets,
        "sql": {
            name: {k: v for k, v in scenario.items() if k != "statements"}
            | {"statements": [{"sql": s["sql"], "ms": round(s["ms"], 2)} for s in scenario["statements"]]}
            for name, scenario in sql.items()
        },
        "pg_stat_statements": statements[:25],
        "counting_statements": counting,
    }


def code_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}{f' + {len(changed)} changed files' if changed else ''}"


def print_report(results: dict) -> None:
    print()
    print(f"code {results['code']}, {results['cpus']} CPUs, load average after {' '.join(results['loadavg_after'])}")
    print(f"{'scenario':<22}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'app cpu':>9}{'db cpu':>8}{'busy %':>8}")  # fmt: skip
    rows = (
        ("(a) ours", results["ours"]),
        ("(b) bare", results["bare"]),
        ("(e) floor: {} only", results["floor"]),
        ("(c) page 1", results["page_1"]),
        (f"(c) page {results['settings']['deep_page']:,}", results["deep_page"]),
    )
    for label, s in rows:
        print(
            f"{label:<22}{s['rps']:>9.1f}{s['p50_ms']:>9.1f}{s['p95_ms']:>9.1f}{s['p99_ms']:>9.1f}{s['errors']:>8}"
            f"{s['app_cpu_ms_per_req']:>9.2f}{s['db_cpu_ms_per_req']:>8.2f}{s['machine_busy_pct']:>8.1f}"
        )
    print("  app cpu / db cpu: CPU ms per request of the gunicorn workers / the PostgreSQL backends; busy %: the")
    print("  whole machine during the scenario, other work included. (c) is one client: its req/s is 1 / latency.")
    print(
        f"  CPU-bound ceiling ({results['cpus']} cores / CPU per request of app + db + clients): "
        f"ours {results['ours']['cpu_bound_rps']}, bare {results['bare']['cpu_bound_rps']}, "
        f"floor {results['floor']['cpu_bound_rps']} req/s"
    )
    print()
    for budget in results["budgets"]:
        print(f"  {verdict(budget['pass'])}  {budget['budget']:<48} {budget['value']}")
    if results["generation_seconds"] is not None:
        print(f"\n  data generation: {results['generation_seconds']:.1f} s")
    print()


if __name__ == "__main__":
    sys.exit(main())
