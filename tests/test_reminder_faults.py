"""Reminders under faults, with the real processes (docs/design.md: each reminder is sent exactly once; re-running
a sweep, a second scheduler, a worker killed mid-send or a broker restart must produce no duplicate and lose
nothing). Approved extensions and closed hazards are covered in-process by tests/test_reminders.py.

Nothing is mocked and no task runs eagerly: tasks go through Redis to `celery worker` processes started as
docker-compose.yml starts them, against the PostgreSQL and Redis of tests/harness.py. Each test has a Redis
database of its own (the broker-restart test a Redis server of its own), so no message crosses tests. The
rules are the defaults of the data migration (reminders 0002) on the in-app inbox only: the inbox is the channel that
claims, delivers and marks sent in one transaction, which is what "exactly once" can promise; the workers
have no mail server either.

Every process runs in its own process group and is stopped by a context manager whatever the test did;
every wait is bounded; everything listens on or talks to loopback only.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
import redis
from celery import Celery
from django.db import connection
from django.utils import timezone

from accounts.choices import Role
from accounts.models import ResponsibleUnit, User
from hazards.choices import Category, Factor, Level, Source, Status
from hazards.models import Hazard, ReminderSchedule
from hazards.services import schedule_reminders
from reminders import services
from reminders.choices import Channel, NotificationStatus
from reminders.models import InboxMessage, Notification, ReminderRule, RobotTarget
from reminders.services.delivery import last_digest
from tests.conftest import World, default_rule_rows
from tests.harness import postgres_bindir
from tests.robot_server import RobotServer
from tests.test_processes import BASE_DIR, Process, free_port, production_env, session_database_url, started

# What makes a ledger row unique (reminders.models.Notification), with the rule by name as a dry run names it.
KEY = ("hazard", "rule__name", "anchor_date", "occurrence", "recipient", "channel")
SENT = NotificationStatus.SENT
_numbers = itertools.count(1)
_databases = itertools.count()


# --- the town: unit contacts and their due hazards ----------------------------------------------------


@pytest.fixture
def inbox_rules(transactional_db) -> list[ReminderRule]:
    """The default rules of docs/design.md (the data migration is not run with --no-migrations), inbox only."""
    rules = []
    for row in default_rule_rows():
        row["channels"] = [channel for channel in row["channels"] if channel == Channel.INBOX]
        rules.append(ReminderRule.objects.create(**row))
    return rules


def unit_contacts(world: World, count: int) -> list[User]:
    """Enterprises of 西街社区, each with the contact who gets its reminders."""
    units = ResponsibleUnit.objects.bulk_create(
        ResponsibleUnit(name=f"新乡市红旗故障演练厂{n}", region=world.hq_village) for n in range(count)
    )
    return User.objects.bulk_create(
        User(username=f"contact{n}", full_name=f"联系人{n}", role=Role.UNIT_CONTACT, unit=unit, password="!")
        for n, unit in enumerate(units)
    )


def due_hazards(
    world: World,
    contacts: list[User],
    *,
    each: int,
    deadline: datetime.date,
    level: Level = Level.GENERAL,
    due: Callable[[int], datetime.datetime] | None = None,
) -> list[Hazard]:
    """``each`` hazards per contact's unit, being rectified, due for the sweep. Written in bulk as an import
    would leave them: hundreds through the services would take most of the time budget."""
    now = timezone.now()
    hazards = []
    due_at = []
    for contact in contacts:
        for _ in range(each):
            serial = next(_numbers)
            hazards.append(
                Hazard(
                    number=f"YH-410702-T-{serial:06d}",
                    status=Status.RECTIFYING,
                    title="配电箱未接地",
                    description="生产车间东侧配电箱外壳未可靠接地，存在触电风险。",
                    county=world.hongqi,
                    region=world.hq_village,
                    sector=world.sector,
                    level=level,
                    category=Category.SITE_MANAGEMENT,
                    factor=Factor.OBJECT,
                    source=Source.ROUTINE,
                    found_at=now,
                    found_by=world.hq_officer,
                    responsible_unit_id=contact.unit_id,
                    responsible_person=contact.full_name,
                    requirements="立即整改，规范接地。",
                    deadline=deadline,
                    assigned_at=now,
                    acknowledged_at=now,
                )
            )
            due_at.append(due(serial) if due else now)
    hazards = Hazard.objects.bulk_create(hazards)
    ReminderSchedule.objects.bulk_create(
        ReminderSchedule(hazard=h, due_at=at) for h, at in zip(hazards, due_at, strict=True)
    )
    return hazards


def urgent_deadline() -> datetime.date:
    """A deadline whose "3 working days before" is today (or within the catch-up days): a major hazard with
    it is reminded at once (immediate rule) and in the digest (the rule for every level)."""
    rule = ReminderRule.objects.get(level=Level.MAJOR, immediate=True)
    today = timezone.localdate()
    candidates = [today + datetime.timedelta(days=n) for n in range(1, 15)]
    for late in range(services.CATCH_UP_DAYS + 1):
        for deadline in candidates:
            if rule.first_date(deadline) == today - datetime.timedelta(days=late):
                return deadline
    raise AssertionError("no deadline in the next two weeks is 3 working days away")


def planned_keys(now: datetime.datetime | None = None) -> set[tuple]:
    """What a single sweep on its own would plan: the plan of a dry run, which writes nothing."""
    fields = ("hazard", "rule", "anchor_date", "occurrence", "recipient", "channel")
    return {tuple(plan[f] for f in fields) for plan in services.sweep(now=now, dry_run=True).plans}


def assert_each_reminder_sent_once(expected: set[tuple]) -> None:
    """The ledger holds each planned row once, all sent; the inboxes hold each hazard once per kind of send.

    A hazard reaches its contact at most twice, once in an immediate message and once in a digest: rows of
    one kind for one recipient and hazard are planned in one sweep transaction and claimed together."""
    ledger = list(Notification.objects.values_list(*KEY))
    assert len(ledger) == len(set(ledger))
    assert set(ledger) == expected
    assert Counter(Notification.objects.values_list("status", flat=True)) == {SENT: len(expected)}
    kinds = Notification.objects.order_by().values_list("recipient_id", "hazard__number", "immediate").distinct()
    sends = Counter((recipient, number) for recipient, number, _immediate in kinds)
    received: Counter = Counter()
    for recipient, body in InboxMessage.objects.values_list("recipient_id", "body"):
        numbers = re.findall(r"^- (\S+) ", body, flags=re.MULTILINE)
        assert numbers, "a message was sent with nothing in it"
        assert len(numbers) == len(set(numbers)), body
        received.update((recipient, number) for number in numbers)
    assert received == sends


# --- processes ----------------------------------------------------------------------------------------


@pytest.fixture
def broker() -> Iterator[str]:
    """A database of the harness's Redis for this test alone (queues, unacked messages, worker control)."""
    parts = urlsplit(os.environ["REDIS_URL"])
    url = urlunsplit(parts._replace(path=f"/{8 + next(_databases) % 8}"))
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def process_env(broker: str) -> dict[str, str]:
    # The harness's cluster commits asynchronously (synchronous_commit=off, for speed): a restart with
    # -m immediate would then forget the last commits, a claim or a mark already acted on, which a
    # production server (synchronous_commit=on, its default) never does. The processes under test commit
    # as production does (libpq passes PGOPTIONS to each session).
    return production_env(
        REDIS_URL=broker, CELERY_BROKER_URL=broker, LOG_LEVEL="INFO", PGOPTIONS="-c synchronous_commit=on"
    )


def worker_args(concurrency: int = 1) -> list[str]:
    # Mingle and gossip only trade worker state (revoked ids, clocks); they cost a second at each start.
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", f"--concurrency={concurrency}"]
    return [*args, "--without-mingle", "--without-gossip"]


@contextlib.contextmanager
def celery_worker(broker: str, log: Path, *, concurrency: int = 1) -> Iterator[Process]:
    with started(worker_args(concurrency), env=process_env(broker), log=log) as worker:
        worker.wait_for("worker ready", lambda: " ready." in worker.output())
        yield worker


@contextlib.contextmanager
def task_sender(broker: str) -> Iterator[Celery]:
    """Sends tasks by name as beat and on_commit do, to the default queue the workers read."""
    app = Celery("test-reminder-faults", broker=broker, set_as_current=False)
    try:
        yield app
    finally:
        app.close()


def kill_group(process: Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.popen.pid, signal.SIGKILL)
    process.popen.wait(timeout=10)


def pool_children(worker: Process) -> list[int]:
    pid = worker.popen.pid
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def wait_until(what: str, ready: Callable[[], bool], *, timeout: float, watch: tuple[Process, ...] = ()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        for process in watch:
            if not process.running():
                pytest.fail(f"{process.log.name} exited before {what}:\n{process.output()}")
        time.sleep(0.02)
    logs = "".join(f"\n--- {p.log.name}\n{p.output()[-4000:]}" for p in watch)
    pytest.fail(f"no {what} after {timeout:.0f} s{logs}")


def succeeded(task_id: str, *workers: Process) -> Callable[[], bool]:
    return lambda: any(f"[{task_id}] succeeded" in worker.output() for worker in workers)


def finished(task_id: str, *workers: Process) -> Callable[[], bool]:
    """Succeeded, or failed with an exception."""
    return lambda: any(re.search(rf"\[{task_id}\] (succeeded|raised)", worker.output()) for worker in workers)


def nothing_left_to_send() -> bool:
    return not Notification.objects.exclude(status=SENT).exists()


# --- a worker stopped in the middle of a digest ---------------------------------------------------------


@contextlib.contextmanager
def holding(user_ids: list[int]) -> Iterator:
    """Another session holding these users' rows FOR UPDATE. An inbox message's foreign key to its recipient
    is checked at COMMIT (Django makes it DEFERRABLE INITIALLY DEFERRED) with FOR KEY SHARE on the user, so a
    worker delivering to one of them waits in its COMMIT, claim, message and marks not yet committed."""
    conn = psycopg2.connect(session_database_url())
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT id FROM accounts_user WHERE id = ANY(%s) FOR UPDATE", [user_ids])
        yield conn
    finally:
        conn.close()  # rolls back, if the test has not


@contextlib.contextmanager
def writing(key: tuple) -> Iterator:
    """Another session writing one ledger row (a key of KEY), not committed yet: a sweep writing the same row
    waits in its INSERT for that session to end (the unique index), its own transaction open."""
    hazard, rule_name, anchor_date, occurrence, recipient, channel = key
    conn = psycopg2.connect(session_database_url())
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "INSERT INTO reminders_notification (hazard_id, rule_id, anchor_date, occurrence, recipient_id, "
                "channel, immediate, status, attempts, last_error, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, false, 'pending', 0, '', now())",
                [hazard, ReminderRule.objects.get(name=rule_name).pk, anchor_date, occurrence, recipient, channel],
            )
        yield conn
    finally:
        conn.close()  # rolls back, if the test has not


def waiting_on(locker) -> int | None:
    """The backend, if any, that waits for a lock this session holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [locker.get_backend_pid()]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def user_waited_for(pid: int) -> int:
    """The user whose row a backend waits to lock: the tuple lock it holds while it waits names the row."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT u.id FROM pg_locks l
            JOIN accounts_user u ON u.ctid = format('(%%s,%%s)', l.page, l.tuple)::tid
            WHERE l.pid = %s AND l.locktype = 'tuple' AND l.relation = 'accounts_user'::regclass
            """,
            [pid],
        )
        (user_id,) = cursor.fetchone()
    return user_id


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


@dataclass
class Midway:
    task_id: str
    # The contacts whose digest was committed when the worker was stopped, and the one in its COMMIT.
    reached: set[int]
    in_flight: int


@contextlib.contextmanager
def digest_stopped_midway(
    app: Celery, contacts: list[User], worker: Process, *, commit_lands: bool
) -> Iterator[Midway]:
    """Send the digest and stop it in the middle: some contacts have their message, one is in its COMMIT,
    the rest are untouched. The caller kills the worker inside the block.

    Half the contacts are held by one session, half by another. The worker waits at the first contact it
    reaches; releasing that half lets it deliver until it reaches one of the other half, which it always
    does, so the stop is in the middle whatever order the worker takes. After the kill, with
    ``commit_lands`` the held half is released and the dead worker's COMMIT completes (a worker that dies
    after sending COMMIT); otherwise its session is ended first and PostgreSQL rolls it back, as it does for
    every worker that dies before its COMMIT."""
    ids = [contact.pk for contact in contacts]
    with holding(ids[0::2]) as one, holding(ids[1::2]) as other:
        task_id = app.send_task("reminders.tasks.send_digests").id
        wait_until(
            "the digest waiting on a held contact",
            lambda: waiting_on(one) or waiting_on(other),
            timeout=30,
            watch=(worker,),
        )
        first, then = (one, other) if waiting_on(one) else (other, one)
        first.rollback()
        wait_until("the digest waiting on the other half", lambda: waiting_on(then), timeout=30, watch=(worker,))
        backend = waiting_on(then)
        reached = set(InboxMessage.objects.values_list("recipient_id", flat=True))
        midway = Midway(task_id=task_id, reached=reached, in_flight=user_waited_for(backend))
        yield midway
        if not commit_lands:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
        then.rollback()
        wait_until("the killed worker's session to end", lambda: not backend_alive(backend), timeout=30)
    assert 0 < len(midway.reached) < len(contacts)


def digest_recipients() -> set[int]:
    return set(Notification.objects.filter(status=SENT).values_list("recipient_id", flat=True))


# --- a. run twice and at once -------------------------------------------------------------------------


def test_two_workers_sweeping_at_once_then_a_rerun_plan_and_send_each_reminder_once(
    world, inbox_rules, broker, tmp_path
):
    contacts = unit_contacts(world, 30)
    # Two sweeps at once: each claims with SKIP LOCKED, so whichever locks a hazard first plans it.
    due_hazards(world, contacts, each=25, deadline=timezone.localdate())
    due_hazards(world, contacts, each=20, deadline=urgent_deadline(), level=Level.MAJOR)
    expected = planned_keys()

    with contextlib.ExitStack() as stack:
        workers = [
            stack.enter_context(started(worker_args(), env=process_env(broker), log=tmp_path / f"worker{n}.log"))
            for n in range(2)
        ]
        for worker in workers:
            worker.wait_for("worker ready", lambda w=worker: " ready." in w.output())
        app = stack.enter_context(task_sender(broker))

        sweeps = [app.send_task("reminders.tasks.sweep").id for _ in range(2)]
        for task_id in sweeps:
            wait_until(f"sweep {task_id}", succeeded(task_id, *workers), timeout=60, watch=tuple(workers))
        immediate = Notification.objects.filter(immediate=True)
        wait_until("immediate sends", lambda: not immediate.exclude(status=SENT).exists(), timeout=30)
        digests = [app.send_task("reminders.tasks.send_digests").id for _ in range(2)]
        for task_id in digests:
            wait_until(f"digest {task_id}", succeeded(task_id, *workers), timeout=60, watch=tuple(workers))

        # Every change to a hazard makes it due again; the sweep must find nothing new to plan or send.
        schedule_reminders(hazard_ids=Hazard.objects.values_list("pk", flat=True), at=timezone.now())
        rerun = subprocess.run(
            [sys.executable, "manage.py", "send_reminders"],
            cwd=BASE_DIR,
            env=process_env(broker),
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "立即发送 0 条消息" in rerun.stdout
    # Each worker took one of the two sweeps: they ran at once.
    assert [sum(f"[{task_id}] received" in w.output() for task_id in sweeps) for w in workers] == [1, 1]
    assert_each_reminder_sent_once(expected)


# --- b. a worker killed in the middle of sending -------------------------------------------------------


@pytest.fixture
def digest_due(world, inbox_rules) -> tuple[list[User], set[tuple]]:
    """Two hazards due today for each of 24 contacts, planned by a sweep, their digest not yet sent."""
    contacts = unit_contacts(world, 24)
    due_hazards(world, contacts, each=2, deadline=timezone.localdate())
    services.sweep()
    return contacts, set(Notification.objects.values_list(*KEY))


def test_pool_process_killed_after_its_commit_is_replaced_and_the_redelivered_digest_sends_nothing_twice(
    digest_due, broker, tmp_path
):
    contacts, expected = digest_due
    with celery_worker(broker, tmp_path / "worker.log") as worker, task_sender(broker) as app:
        (child,) = pool_children(worker)
        with digest_stopped_midway(app, contacts, worker, commit_lands=True) as midway:
            os.kill(child, signal.SIGKILL)
        # The dead process's last message is committed though its task never finished.
        assert InboxMessage.objects.filter(recipient=midway.in_flight).count() == 1
        # Nothing sends the digest again: acks_late with reject_on_worker_lost puts the message back.
        wait_until("the digest redelivered and finished", nothing_left_to_send, timeout=60, watch=(worker,))
        wait_until("the redelivered digest done", succeeded(midway.task_id, worker), timeout=30, watch=(worker,))

    assert "WorkerLostError" in worker.output()
    assert worker.output().count(f"[{midway.task_id}] received") == 2
    assert_each_reminder_sent_once(expected)


def test_worker_killed_before_its_commit_and_restarted_sends_the_rest_once_on_the_next_run(
    digest_due, broker, tmp_path
):
    contacts, expected = digest_due
    with task_sender(broker) as app:
        with celery_worker(broker, tmp_path / "killed.log") as killed:  # noqa: SIM117 (the kill needs the worker)
            with digest_stopped_midway(app, contacts, killed, commit_lands=False) as midway:
                kill_group(killed)
        # Claim, message and marks are one transaction: the rolled-back one left nothing claimed or sent.
        assert not Notification.objects.filter(status=NotificationStatus.SENDING).exists()
        assert digest_recipients() == midway.reached
        assert set(InboxMessage.objects.values_list("recipient_id", flat=True)) == midway.reached
        assert midway.in_flight not in midway.reached
        # The killed worker's message waits unacknowledged for Redis's visibility timeout (an hour);
        # the next run of the digest does not wait for it.
        assert redis.Redis.from_url(broker).hlen("unacked") == 1

        with celery_worker(broker, tmp_path / "restarted.log") as restarted:
            rerun = app.send_task("reminders.tasks.send_digests").id
            wait_until("the next digest", succeeded(rerun, restarted), timeout=60, watch=(restarted,))

    assert_each_reminder_sent_once(expected)


# --- c. the broker restarted ----------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the test's own, with the append-only file docker-compose.yml gives the broker, so it
    can be stopped and started again on the same port with its queues."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        args = [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--dir", str(self.root), "--appendonly", "yes", "--save", ""]
        self.process = Process(args, env=dict(os.environ), log=self.root / f"redis-{self.starts}.log")
        self.process.wait_for("PONG", self.answers, timeout=10)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process:
            self.process.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    assert shutil.which("redis-server"), "redis-server not found (.ci/run installs it)"
    root = tmp_path / "redis"
    root.mkdir()
    server = RedisServer(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def urgent_and_daily(world, inbox_rules) -> set[tuple]:
    """Six contacts, each with two hazards due today (digest) and two major ones to remind at once."""
    contacts = unit_contacts(world, 6)
    due_hazards(world, contacts, each=2, deadline=timezone.localdate())
    due_hazards(world, contacts, each=2, deadline=urgent_deadline(), level=Level.MAJOR)
    return planned_keys()


def unsent() -> Counter:
    return Counter(Notification.objects.exclude(status=SENT).values_list("immediate", "status"))


def test_reminders_planned_while_redis_restarts_are_all_sent_once_it_is_back(urgent_and_daily, own_redis, tmp_path):
    expected = urgent_and_daily
    with celery_worker(own_redis.url, tmp_path / "worker.log") as worker:
        with task_sender(own_redis.url) as app, writing(min(expected)) as held:
            # A sweep under way when Redis stops: its INSERT waits for another session writing one of its
            # ledger rows until Redis is down, then commits and hands over to the broker that is not there.
            under_way = app.send_task("reminders.tasks.sweep").id
            wait_until("the sweep in its INSERT", lambda: waiting_on(held), timeout=30, watch=(worker,))
            own_redis.stop()
            held.rollback()
            wait_until("the sweep committed", lambda: Notification.objects.count() == len(expected), timeout=30)
            wait_until("the sweep over", finished(under_way, worker), timeout=30, watch=(worker,))
        own_redis.start()
        with task_sender(own_redis.url) as app:
            wait_until("the worker back on the broker", lambda: bool(app.control.ping(timeout=0.5)), timeout=40)
            # Beat's next sweep, then the 08:30 digest.
            sweep = app.send_task("reminders.tasks.sweep").id
            wait_until("the next sweep", succeeded(sweep, worker), timeout=30, watch=(worker,))
            digest = app.send_task("reminders.tasks.send_digests").id
            wait_until("the digest", succeeded(digest, worker), timeout=30, watch=(worker,))
            with contextlib.suppress(pytest.fail.Exception):
                wait_until("every reminder sent", nothing_left_to_send, timeout=5, watch=(worker,))

    assert not unsent(), f"left (immediate, status): {unsent()}"
    assert_each_reminder_sent_once(expected)


def test_send_reminders_while_redis_is_down_still_sends_the_immediate_reminders(world, urgent_and_daily, own_redis):
    # A group robot too: its rate limiter is in Redis, so its rows wait for a later run instead of ending this one.
    ReminderRule.objects.create(
        name="群机器人立即",
        offset_days=0,
        day_kind="calendar",
        recipients=["unit_contact"],
        channels=["robot"],
        immediate=True,
    )
    with RobotServer() as robots:
        url = robots.wecom_robot().webhook_url
        RobotTarget.objects.create(kind="wecom", name="红旗区群", region=world.hongqi, webhook_url=url)
        own_redis.stop()

        outage = subprocess.run(
            [sys.executable, "manage.py", "send_reminders"],
            cwd=BASE_DIR,
            env=process_env(own_redis.url),
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert outage.returncode == 0, outage.stderr[-3000:]
    inbox = Notification.objects.filter(channel=Channel.INBOX)
    assert not inbox.filter(immediate=True).exclude(status=SENT).exists()
    robot_rows = Notification.objects.filter(channel=Channel.ROBOT)
    assert robot_rows.exists() and robots.received == []
    assert set(robot_rows.values_list("status", "attempts")) == {(NotificationStatus.PENDING, 0)}


# --- d. two schedulers ------------------------------------------------------------------------------------

# celery beat with the project's schedule, the sweep every second and the digest every two (instead of every
# five minutes and daily at 08:30); argv[1] is the schedule file.
FAST_BEAT = """
import sys
from config.celery import app
schedule = app.conf.beat_schedule
schedule["reminders-sweep"] = {**schedule["reminders-sweep"], "schedule": 1.0, "options": {"expires": 5}}
schedule["reminders-digest"] = {**schedule["reminders-digest"], "schedule": 2.0, "options": {"expires": 5}}
app.start(["beat", "--loglevel=INFO", "--schedule", sys.argv[1]])
"""


def test_two_beats_and_a_worker_send_each_reminder_once(world, inbox_rules, broker, tmp_path):
    contacts = unit_contacts(world, 12)
    # Hazards fall due one after another over five seconds, while both beats keep sweeping and digesting.
    start = timezone.now() + datetime.timedelta(seconds=3)
    spread = {}

    def due(serial: int) -> datetime.datetime:
        spread[serial] = start + datetime.timedelta(milliseconds=30 * len(spread))
        return spread[serial]

    due_hazards(world, contacts, each=8, deadline=timezone.localdate(), due=due)
    due_hazards(world, contacts, each=6, deadline=urgent_deadline(), level=Level.MAJOR, due=due)
    last = max(spread.values())
    expected = planned_keys(now=last)

    with contextlib.ExitStack() as stack:
        worker = stack.enter_context(
            started(worker_args(concurrency=2), env=process_env(broker), log=tmp_path / "worker.log")
        )
        beats = [
            stack.enter_context(
                started(
                    [sys.executable, "-c", FAST_BEAT, str(tmp_path / f"beat{n}-schedule")],
                    env=process_env(broker),
                    log=tmp_path / f"beat{n}.log",
                )
            )
            for n in range(2)
        ]
        processes = (worker, *beats)
        wait_until("worker ready", lambda: " ready." in worker.output(), timeout=60, watch=processes)
        wait_until(
            "everything due planned and sent, with both beats at work",
            lambda: Notification.objects.count() == len(expected) and nothing_left_to_send(),
            timeout=60,
            watch=processes,
        )
        # A few more rounds of both beats over a ledger with nothing left to do (a slow start on a busy
        # machine can leave everything sent before a beat has had five).
        wait_until(
            "five sweeps and two digests from each beat",
            lambda: all(
                beat.output().count("Sending due task reminders-sweep") >= 5
                and beat.output().count("Sending due task reminders-digest") >= 2
                for beat in beats
            ),
            timeout=30,
            watch=processes,
        )
        time.sleep(2)

    for beat in beats:
        assert beat.output().count("Sending due task reminders-sweep") >= 5, beat.output()
        assert beat.output().count("Sending due task reminders-digest") >= 2, beat.output()
    assert_each_reminder_sent_once(expected)


# --- e. Redis restarted while a worker is in a task ---------------------------------------------------------

# The worker as docker-compose.yml runs it: with mingle and gossip.
PRODUCTION_WORKER = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2"]


def test_a_redis_restart_during_a_digest_does_not_end_the_worker(digest_due, own_redis, tmp_path):
    contacts, expected = digest_due
    with started(PRODUCTION_WORKER, env=process_env(own_redis.url), log=tmp_path / "worker.log") as worker:
        worker.wait_for("worker ready", lambda: " ready." in worker.output())
        with task_sender(own_redis.url) as app, holding([c.pk for c in contacts]) as held:
            task_id = app.send_task("reminders.tasks.send_digests").id
            wait_until("the digest in a task", lambda: waiting_on(held), timeout=30, watch=(worker,))
            # Redis killed as a container kill does, and back on its port a moment later.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(own_redis.process.popen.pid, signal.SIGKILL)
            own_redis.process.popen.wait(timeout=10)
            time.sleep(2)
            own_redis.start()
            held.rollback()
            wait_until("the digest finished", finished(task_id, worker), timeout=60, watch=(worker,))
        with task_sender(own_redis.url) as app:
            wait_until("the worker back on the broker", lambda: bool(app.control.ping(timeout=0.5)), timeout=60)
            again = app.send_task("reminders.tasks.deliver_due").id
            wait_until("a task after the restart", succeeded(again, worker), timeout=30, watch=(worker,))
        assert worker.running(), worker.output()[-3000:]

    assert "Unrecoverable error" not in worker.output()
    assert_each_reminder_sent_once(expected)


# --- f. PostgreSQL restarted during the digest ----------------------------------------------------------


def restart_postgres() -> None:
    """The harness's PostgreSQL stopped at once, as a container kill stops it, and started again with the
    same options; every session ends (ours is closed first, Django opens a new one when next asked)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        (data,) = cursor.fetchone()
    connection.close()
    command = [str(postgres_bindir() / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "-t", "60", "restart"]
    if os.geteuid() == 0:  # the cluster runs as its data directory's owner (tests/harness.py)
        command = ["runuser", "-u", pwd.getpwuid(os.stat(data).st_uid).pw_name, "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=90)


@pytest.mark.restarts_postgres
def test_a_postgresql_restart_during_the_digest_leaves_no_recipient_without_it(digest_due, broker, tmp_path):
    contacts, expected = digest_due
    # The rows were planned before today's digest time, as the digest's are.
    Notification.objects.update(created_at=last_digest(timezone.now()) - datetime.timedelta(hours=1))
    with celery_worker(broker, tmp_path / "worker.log") as worker, task_sender(broker) as app:
        with holding([contact.pk for contact in contacts]) as held:
            digest = app.send_task("reminders.tasks.send_digests").id
            wait_until("the digest in its first COMMIT", lambda: waiting_on(held), timeout=30, watch=(worker,))
            restart_postgres()
        wait_until("the digest over", finished(digest, worker), timeout=60, watch=(worker,))
        assert not nothing_left_to_send()  # the restart cut the digest short
        # What beat sends every minute finishes it, without waiting for tomorrow's digest.
        for _ in range(3):
            deliver = app.send_task("reminders.tasks.deliver_due").id
            wait_until("deliver_due", succeeded(deliver, worker), timeout=60, watch=(worker,))
            if nothing_left_to_send():
                break

    assert "Unrecoverable error" not in worker.output()
    assert_each_reminder_sent_once(expected)
