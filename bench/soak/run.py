"""A soak of the production stack: clients over the API and the pages for minutes on end.

    .venv/bin/python -m tests.harness -- .venv/bin/python -m bench.soak.run --minutes 10 --clients 8

Under the harness's throwaway PostgreSQL and Redis: migrate, seed the demo city, then gunicorn
(``DEBUG=0``, the production settings, 2 sync workers), a Celery worker and one beat, as
``docker-compose.yml`` runs them. Each client is a demo persona — the city, county officers and
supervisors, a unit contact in the browser (signed in through ``/login/``, pages), the city's API
client and a county officer with a token (API) — walking its own mix of pages and endpoints, list to
detail, search, statistics, inbox; the officers also register hazards and hand them over through the
API (列单, 交单), so the worker and beat have work to do.

An error is any answer the client did not expect (a 5xx, a 4xx on a read, a refused write, a connection
error or a timeout). Every 15 s the resident memory of each gunicorn and Celery worker process is
sampled; the summary prints it per minute and the growth from the end of the first minute (when the
workers have warmed up) to the end. Exit status 0 when there was no error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import requests

from bench.api.servers import children, free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "demo12345"
SAMPLE_SECONDS = 15


@dataclass
class Persona:
    username: str
    api: bool
    writes: bool = False


PERSONAS = [
    Persona("city", api=False),
    Persona("hq_officer", api=False),
    Persona("hq_supervisor", api=False),
    Persona("wb_officer", api=False),
    Persona("unit_demo", api=False),
    Persona("api_client", api=True),
    Persona("hq_officer", api=True, writes=True),
    Persona("wb_officer", api=True, writes=True),
]

PAGES = [
    "/",
    "/hazards/",
    "/hazards/?status=rectifying",
    "/hazards/?overdue=true",
    "/hazards/?q=%E6%B6%88%E9%98%B2",  # 消防
    "/hazards/?level=major",
    "/inspections/",
    "/messages/",
]
OFFICE_PAGES = ["/inspections/coverage/", "/hazards/?extension_pending=true"]
API = [
    "/api/v1/hazards/",
    "/api/v1/hazards/?status=rectifying",
    "/api/v1/hazards/?overdue=true",
    "/api/v1/hazards/?ordering=deadline",
    "/api/v1/stats/closure/?group_by=county,sector",
    "/api/v1/stats/closure/?group_by=month",
    "/api/v1/units/",
    "/api/v1/regions/",
    "/api/v1/inbox/",
    "/api/v1/me/",
]
DETAIL = re.compile(r'href="/hazards/(\d+)/"')


@dataclass
class Tally:
    requests: int = 0
    errors: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    writes: int = 0
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, what: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.requests += 1
            self.latencies.append(seconds)
            if error:
                self.errors[error] += 1
                if len(self.examples) < 20:
                    self.examples.append(f"{what}: {error}")


class Client(threading.Thread):
    def __init__(self, persona: Persona, base: str, until: float, tally: Tally, seed: int) -> None:
        super().__init__(daemon=True)
        self.persona, self.base, self.until, self.tally = persona, base, until, tally
        self.random = random.Random(seed)
        self.session = requests.Session()
        self.hazard_ids: list[int] = []

    def call(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs) -> requests.Response | None:
        start = time.monotonic()
        error = None
        response = None
        try:
            response = self.session.request(method, self.base + path, timeout=60, allow_redirects=False, **kwargs)
            if response.status_code not in ok:
                error = f"{response.status_code} {response.text[:160]!r}"
        except requests.RequestException as exc:
            error = type(exc).__name__
        self.tally.record(f"{self.persona.username} {method} {path}", time.monotonic() - start, error)
        return response if error is None else None

    def sign_in(self) -> None:
        if self.persona.api:
            response = self.call(
                "POST", "/api/v1/auth/token/", json={"username": self.persona.username, "password": PASSWORD}
            )
            if response is None:
                raise SystemExit(f"{self.persona.username} could not get a token")
            self.session.headers["Authorization"] = f"Token {response.json()['token']}"
            return
        page = self.call("GET", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text if page else "")
        if token is None:
            raise SystemExit("no CSRF token on /login/")
        response = self.call(
            "POST",
            "/login/",
            ok=(302,),
            data={"username": self.persona.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": self.base + "/login/"},
        )
        if response is None:
            raise SystemExit(f"{self.persona.username} could not sign in")

    def run(self) -> None:
        try:
            self.walk()
        except Exception as exc:  # a client that dies is an error of the soak, not a silent stop
            self.tally.record(self.persona.username, 0, f"client crashed: {exc!r}")
            raise

    def walk(self) -> None:
        self.sign_in()
        paths = API if self.persona.api else PAGES + ([] if self.persona.username == "unit_demo" else OFFICE_PAGES)
        while time.monotonic() < self.until:
            roll = self.random.random()
            if self.persona.writes and roll < 0.08:
                self.register_and_hand_over()
            elif self.hazard_ids and roll < 0.4:
                pk = self.random.choice(self.hazard_ids)
                self.call("GET", f"/api/v1/hazards/{pk}/" if self.persona.api else f"/hazards/{pk}/")
            else:
                path = self.random.choice(paths)
                response = self.call("GET", path)
                if response is not None and path.startswith(("/hazards/", "/api/v1/hazards/")):
                    self.remember(response)

    def remember(self, response: requests.Response) -> None:
        ids: list[int] = []
        if self.persona.api:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                ids = [row["id"] for row in response.json()["results"]]
        else:
            ids = [int(pk) for pk in DETAIL.findall(response.text)]
        if ids:
            self.hazard_ids = (self.hazard_ids + ids)[-200:]

    def register_and_hand_over(self) -> None:
        county = "410702" if self.persona.username.startswith("hq") else "410703"
        created = self.call(
            "POST",
            "/api/v1/hazards/",
            ok=(201,),
            json={
                "region": county,
                "sector": self.sector,
                "title": f"浸泡测试隐患 {secrets.token_hex(3)}",
                "description": "配电箱未上锁，周边堆放杂物。",
                "category": "site_management",
                "factor": "object",
                "source": "routine",
            },
        )
        if created is None:
            return
        pk = created.json()["id"]
        self.call(
            "POST",
            f"/api/v1/hazards/{pk}/assign/",
            json={
                "unit": self.random.choice(self.units),
                "responsible_person": "张三",
                "requirements": "三日内整改到位。",
                "working_days": 5,
            },
        )
        with self.tally.lock:
            self.tally.writes += 1

    @property
    def sector(self) -> str:
        if not hasattr(self, "_sector"):
            rows = self.session.get(self.base + "/api/v1/sectors/", timeout=60).json()
            rows = rows.get("results", rows) if isinstance(rows, dict) else rows
            self._sector = next(row["code"] for row in rows if row.get("parent"))
        return self._sector

    @property
    def units(self) -> list[int]:
        if not hasattr(self, "_units"):
            rows = self.session.get(self.base + "/api/v1/units/", timeout=60).json()["results"]
            self._units = [row["id"] for row in rows]
        return self._units


def rss_mb(pid: int) -> float | None:
    with contextlib.suppress(OSError, ValueError, StopIteration):
        status = Path(f"/proc/{pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024
    return None


def descendants(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("run under the harness: python -m tests.harness -- python -m bench.soak.run")

    work = Path(tempfile.mkdtemp(prefix="soak-"))
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PLAIN_HTTP": "1",
        "STATIC_ROOT": str(work / "static"),
        "MEDIA_ROOT": str(work / "media"),
        # Eight clients from one address on one account each would meet the per-user API limit, which is
        # not what a soak measures; the login limiter stays as it is.
        "API_RATE_USER": "100000/min",
    }
    python = sys.executable
    create_database(os.environ["DATABASE_URL"])
    started = time.monotonic()
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"migrated and seeded in {time.monotonic() - started:.0f} s", flush=True)

    port = free_port()
    bin_ = Path(python).parent
    processes = {
        "gunicorn": [
            str(bin_ / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
            "--no-control-socket", "--log-level", "warning",
        ],
        "celery worker": [str(bin_ / "celery"), "-A", "config", "worker", "--loglevel=WARNING", "--concurrency=2"],
        "celery beat": [
            str(bin_ / "celery"), "-A", "config", "beat", "--loglevel=WARNING", "-s", str(work / "beat-schedule"),
        ],
    }  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with contextlib.ExitStack() as stack:
        running = {}
        for name, argv in processes.items():
            log = stack.enter_context(open(work / f"{name}.log", "wb"))
            running[name] = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(base)
            return soak(base, running, args, work)
        finally:
            for process in running.values():
                process.terminate()
            for process in running.values():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=30)


def soak(base: str, running: dict[str, subprocess.Popen], args: argparse.Namespace, work: Path) -> int:
    tally = Tally()
    until = time.monotonic() + args.minutes * 60
    clients = [Client(PERSONAS[n % len(PERSONAS)], base, until, tally, seed=n) for n in range(args.clients)]
    for client in clients:
        client.start()
    samples: list[tuple[float, dict[str, float]]] = []
    began = time.monotonic()
    while any(client.is_alive() for client in clients):
        memory = {}
        for name in ("gunicorn", "celery worker"):
            for pid in descendants(running[name].pid):
                if (mb := rss_mb(pid)) is not None:
                    memory[f"{name} {pid}"] = mb
        samples.append((time.monotonic() - began, memory))
        for name, process in running.items():
            if process.poll() is not None:
                tally.record(name, 0, f"{name} exited with {process.returncode}")
        time.sleep(SAMPLE_SECONDS)
    report(tally, samples, args, work)
    return 1 if tally.errors else 0


def report(tally: Tally, samples: list[tuple[float, dict[str, float]]], args: argparse.Namespace, work: Path) -> None:
    latencies = sorted(tally.latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else float("nan")
    print(f"\n{args.clients} clients for {args.minutes:g} min: {tally.requests} requests, {tally.writes} hazards")
    print(f"registered and handed over; p95 {p95:.0f} ms; errors: {sum(tally.errors.values())}")
    for example in tally.examples:
        print("  ", example)
    processes = sorted({name for _, memory in samples for name in memory})
    print("\nresident memory (MB) per worker process, per minute:")
    print("minute  " + "  ".join(f"{name:>22}" for name in processes))
    for minute in range(int(args.minutes) + 1):
        row = [memory for at, memory in samples if minute * 60 <= at < (minute + 1) * 60]
        if row:
            print(f"{minute:>6}  " + "  ".join(f"{row[-1].get(name, float('nan')):>22.1f}" for name in processes))
    warm = next((memory for at, memory in samples if at >= 60), samples[0][1] if samples else {})
    last = samples[-1][1] if samples else {}
    print("\ngrowth from the end of minute 1 to the end (MB):")
    for name in processes:
        if name in warm and name in last:
            print(f"  {name}: {warm[name]:.1f} → {last[name]:.1f} ({last[name] - warm[name]:+.1f})")
    print(f"\nload average at the end: {os.getloadavg()}; logs in {work}")


def create_database(url: str) -> None:
    parts = urlsplit(url)
    conn = psycopg2.connect(host=parts.hostname, port=parts.port, user=parts.username, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')
    conn.close()


def wait_for(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/login/", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer")


if __name__ == "__main__":
    sys.exit(main())
