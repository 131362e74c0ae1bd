"""The servers the benchmark starts: PostgreSQL with a data folder that survives runs, Redis, gunicorn.

PostgreSQL and Redis reuse tests.harness (the same binaries, the same ``postgres`` user when run as
root); only the PostgreSQL data folder is kept, in bench/out/pg (git-ignored), so that a second run
does not load 1,000,000 hazards again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.harness import Postgres, Redis, free_port

__all__ = ["BenchPostgres", "Gunicorn", "Redis", "children", "cpu_seconds", "django_on_bench_database", "free_port"]

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
DATABASE = "hazard_ledger"

# A modest production-like server: the hazard table (about 1 GB) mostly fits in shared buffers, the
# rest in the page cache. No fsync: the cluster is a benchmark fixture and is rebuilt if it breaks.
PG_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "512MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "4GB",
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "all",
}


class BenchPostgres(Postgres):
    """tests.harness.Postgres with its data folder in bench/out/pg, kept between runs."""

    def __init__(self, root: Path = OUT / "pg") -> None:
        super().__init__()
        os.rmdir(self.root)  # the harness made a temporary folder; ours is fixed
        self.root = root.resolve()
        self.data = root / "data"
        self.root.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            import pwd

            user = pwd.getpwnam(self.run_as)
            os.chown(self.root, user.pw_uid, user.pw_gid)

    @property
    def fresh(self) -> bool:
        return not (self.data / "PG_VERSION").exists()

    def start(self) -> str:
        if self.fresh:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        options = " ".join([f"-p {self.port}", f"-k {self.root}", *(f"-c {k}={v}" for k, v in PG_SETTINGS.items())])
        log = self.root / "server.log"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(log), "-w", "-t", "120", "start")
        self.ensure_database()
        return self.url()

    def url(self, database: str = DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def ensure_database(self, *, drop: bool = False) -> None:
        import psycopg2

        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                if drop:
                    cur.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
                if cur.fetchone() is None:
                    cur.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            conn.close()

    @property
    def postmaster_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data / "postmaster.pid").read_text().split()[0])
        return None

    def stop(self) -> None:
        # A clean shutdown, so that the next start needs no recovery; the data folder stays.
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "120", "stop")


class Gunicorn:
    """``gunicorn config.wsgi:application`` with the benchmark's settings, in its own process group."""

    def __init__(self, env: dict[str, str], *, workers: int, worker_class: str, threads: int, log: Path) -> None:
        self.port = free_port()
        self.env = {**env, "DJANGO_SETTINGS_MODULE": "bench.api.settings"}
        self.args = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--keep-alive",
            "5",
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ]
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/v1/hazards/", timeout=2):
                    pass
            except urllib.error.HTTPError as exc:
                if exc.code == 401:  # up: the API refuses an anonymous request
                    break
            except (TimeoutError, OSError):
                time.sleep(0.2)
        else:
            raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s; see {self.log}")
        # Every worker imports the app lazily; give them all a moment to finish booting.
        time.sleep(1)

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def stop(self) -> None:
        if not self.process or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def children(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers, the postmaster's backends)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the given processes (those that have exited are not counted)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / _TICK


@contextlib.contextmanager
def django_on_bench_database(database_url: str | None, data_dir: Path, *, loaded: bool = False) -> Iterator[None]:
    """PostgreSQL (``data_dir`` unless ``database_url`` is given) and Redis running, Django set up with
    the bench settings and the schema migrated; both servers stopped on the way out (also on SIGTERM).
    ``loaded``: refuse an empty data folder rather than bench an empty table."""
    postgres = redis = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if not database_url:
            postgres = BenchPostgres(data_dir)
            if loaded and postgres.fresh:
                raise SystemExit(f"{data_dir} is empty: run `.venv/bin/python -m bench.api.load` first")
            database_url = postgres.start()
        redis = Redis()
        os.environ.update(
            DATABASE_URL=database_url, REDIS_URL=redis.start(), DJANGO_SETTINGS_MODULE="bench.api.settings"
        )
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        yield
    finally:
        if redis:
            redis.stop()
        if postgres:
            postgres.stop()
