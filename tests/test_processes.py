"""The production processes, started as docker-compose.yml starts them, against the real PostgreSQL and
Redis of tests/harness.py: gunicorn with DEBUG off serves the Chinese admin and logs a user in from the
test database, a Celery worker answers a broadcast ping and runs a task sent over Redis, and Celery
beat starts and keeps running. Two more cover `make run`: its worker on the filesystem broker, and the
whole of it from nothing on SQLite.

Every process listens on or talks to loopback only, runs in its own process group and is stopped by
its fixture, whatever the test did; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener, urlopen

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.choices import Role
from accounts.models import User

BASE_DIR = Path(settings.BASE_DIR)
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_database_url() -> str:
    """The URL of the database this test session uses (pytest-django has renamed it test_...)."""
    db = settings.DATABASES["default"]
    auth = quote(db["USER"], safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{quote(db['NAME'], safe='')}"


def production_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY="test-processes-secret-key-not-for-production",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=session_database_url(),
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


class Process:
    """A subprocess in its own process group, its output in a file."""

    def __init__(self, args: list[str], *, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                args, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        """SIGTERM to the whole group (gunicorn workers, the Celery pool), SIGKILL if it lingers."""
        for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            if not self.running():
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # stragglers of the group, if any

    def wait_for(self, what: str, ready: Callable[[], bool], timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            if not self.running():
                pytest.fail(f"process exited ({self.popen.returncode}) before {what}:\n{self.output()}")
            time.sleep(0.2)
        pytest.fail(f"no {what} after {timeout:.0f} s:\n{self.output()}")


@contextlib.contextmanager
def started(args: list[str], *, env: dict[str, str], log: Path) -> Iterator[Process]:
    process = Process(args, env=env, log=log)
    try:
        yield process
    finally:
        process.stop()


def answers(url: str) -> bool:
    try:
        with urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """collectstatic as the Docker build runs it: with DEBUG off the manifest storage needs it."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=production_env(STATIC_ROOT=str(root)),
        check=True,
        timeout=180,
    )
    return root


@pytest.fixture
def gunicorn(transactional_db, static_root: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    args += ["--access-logfile", "-", "--no-control-socket"]
    # Plain HTTP here, declared as the intranet mode: no redirect to https://, cookies not HTTPS-only.
    env = production_env(STATIC_ROOT=str(static_root), PLAIN_HTTP="1")
    with started(args, env=env, log=tmp_path / "gunicorn.log") as process:
        process.wait_for("answer on /admin/login/", lambda: answers(f"{base}/admin/login/"))
        yield base


def test_gunicorn_serves_the_chinese_admin_login_with_debug_off(gunicorn):
    with urlopen(f"{gunicorn}/admin/login/", timeout=10) as response:
        status, body = response.status, response.read().decode()

    assert status == 200
    assert "隐患清单" in body
    assert "登录" in body


def test_gunicorn_serves_hashed_static_files_from_the_manifest(gunicorn):
    with urlopen(f"{gunicorn}/admin/login/", timeout=10) as response:
        body = response.read().decode()
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', body)

    assert stylesheet, "the page links the hashed name from the manifest"
    with urlopen(f"{gunicorn}{stylesheet.group(1)}", timeout=10) as response:
        assert response.status == 200


def test_gunicorn_logs_in_a_user_from_the_test_database(gunicorn):
    # Hashed as production hashes: the suite's fast test hasher is unknown to the server process.
    hasher = PBKDF2PasswordHasher()
    password = hasher.encode("demo12345", hasher.salt())
    User.objects.create(username="admin", password=password, role=Role.ADMINISTRATOR, is_staff=True)
    browser = build_opener(HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with browser.open(f"{gunicorn}/admin/login/", timeout=10) as response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)

    form = urlencode({"username": "admin", "password": "demo12345", "csrfmiddlewaretoken": token, "next": "/admin/"})
    login = Request(f"{gunicorn}/admin/login/", data=form.encode(), headers={"Referer": f"{gunicorn}/admin/login/"})
    with browser.open(login, timeout=10) as response:
        landed, body = response.url, response.read().decode()

    assert landed == f"{gunicorn}/admin/"
    assert 'action="/admin/logout/"' in body  # only a logged-in page offers to log out


@pytest.fixture
def celery_app():
    from config.celery import app

    return app


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[tuple[Process, str, str]]:
    """A worker as docker-compose.yml runs it (prefork), on a queue of its own so it takes no other task."""
    name = f"test-processes-{uuid.uuid4().hex[:8]}@127.0.0.1"
    queue = f"test-processes-{uuid.uuid4().hex[:8]}"
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1"]
    args += ["--hostname", name, "--queues", queue]
    with started(args, env=production_env(), log=tmp_path / "worker.log") as process:
        process.wait_for("worker ready", lambda: f"{name} ready" in process.output())
        yield process, name, queue


def test_celery_worker_answers_a_broadcast_ping_over_redis(worker, celery_app):
    process, name, _ = worker
    replies: list = []

    def pinged() -> bool:
        replies[:] = celery_app.control.ping(destination=[name], timeout=1.0)
        return bool(replies)

    process.wait_for("reply to ping", pinged, timeout=30)
    assert replies == [{name: {"ok": "pong"}}]


def test_celery_worker_runs_a_task_sent_over_redis(worker, celery_app):
    process, _, queue = worker

    result = celery_app.send_task("celery.accumulate", args=(3, 4), queue=queue)

    process.wait_for("task done", lambda: f"Task celery.accumulate[{result.id}] succeeded" in process.output(), 30)
    assert "(3, 4)" in process.output()


def test_make_run_worker_takes_tasks_from_the_filesystem_broker(tmp_path: Path):
    """The embedded default of `make run`: no Redis, messages are files under VAR_DIR/broker."""
    from celery import Celery

    broker = tmp_path / "var" / "broker"
    (broker / "processed").mkdir(parents=True)
    env = production_env(DEBUG="1", VAR_DIR=str(tmp_path / "var"))
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"):
        env.pop(name, None)
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--pool=solo"]
    sender = Celery("sender", broker="filesystem://", set_as_current=False)
    sender.conf.broker_transport_options = {
        "data_folder_in": str(broker),
        "data_folder_out": str(broker),
        "processed_folder": str(broker / "processed"),
        "control_folder": str(broker / "control"),
    }
    with started(args, env=env, log=tmp_path / "worker.log") as worker:
        worker.wait_for("worker ready", lambda: " ready." in worker.output())

        result = sender.send_task("celery.accumulate", args=(5, 6))

        worker.wait_for("task done", lambda: f"Task celery.accumulate[{result.id}] succeeded" in worker.output(), 30)
        assert "filesystem://" in worker.output()


def test_celery_beat_starts_and_keeps_running(tmp_path: Path):
    args = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
    args += ["--schedule", str(tmp_path / "celerybeat-schedule")]
    with started(args, env=production_env(), log=tmp_path / "beat.log") as beat:
        beat.wait_for("beat start", lambda: "beat: Starting..." in beat.output())
        time.sleep(3)

        assert beat.running(), beat.output()
        assert "Traceback" not in beat.output()
        assert "ERROR" not in beat.output()


def test_make_run_sets_up_and_serves_the_demo_on_its_embedded_default(tmp_path: Path):
    """`make run` from nothing on SQLite and the filesystem broker: migrations, the demo ledger (written
    through the services' history batch), then the web server; a demo login lists and searches (the plain
    LIKE search of SQLite). The demo ledger's bulk insert was PostgreSQL's alone once, and only a fresh
    clone's `make run` showed it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = production_env(DEBUG="1", PORT=str(port), VAR_DIR=str(tmp_path / "var"))
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL", "SECRET_KEY"):
        env.pop(name, None)
    with started([sys.executable, "scripts/run.py"], env=env, log=tmp_path / "run.log") as run:
        run.wait_for("the demo's web server", lambda: answers(f"{base}/login/"), timeout=300)
        assert "演示数据就绪" in run.output() and f"地址：{base}/" in run.output()
        browser = build_opener(HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(f"{base}/login/", timeout=10) as response:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
        form = urlencode({"username": "hq_officer", "password": "demo12345", "csrfmiddlewaretoken": token})
        with browser.open(Request(f"{base}/login/", data=form.encode(), headers={"Referer": f"{base}/login/"})):
            pass
        totals = []
        for query in ("", "?q=" + quote("配电")):
            with browser.open(f"{base}/hazards/{query}", timeout=30) as response:
                body = response.read().decode()
            totals.append(int(re.search(r'data-testid="total">共 (\d+)', body).group(1)))
            assert body.count("data-hazard=") == min(totals[-1], 50)
        assert totals[0] > totals[1] > 0
