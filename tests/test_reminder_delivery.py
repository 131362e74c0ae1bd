"""Delivery under faults, in the test process against the harness's real PostgreSQL and Redis and a loopback
robot (tests/robot_server.py): what reached the robot is what the ledger says was sent, every row once.

The faults are real: a PostgreSQL backend terminated between the send and the mark, a Redis server of the
test's own stopped, another session holding a recipient's claim, a robot slower than the claim period. The
cases that need worker processes (a worker killed, a Redis restart under a task) are in
tests/test_reminder_faults.py.
"""

from __future__ import annotations

import datetime
import re
import threading
import uuid
from collections import Counter

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from hazards.models import Hazard
from reminders import channels, robots, sms
from reminders import services as reminder_services
from reminders.choices import NotificationStatus
from reminders.models import Notification, ReminderRule, RobotTarget
from reminders.services import delivery
from tests.conftest import World
from tests.robot_server import Received, RobotServer
from tests.smtp_sink import SmtpSink
from tests.test_processes import session_database_url
from tests.test_reminder_faults import RedisServer, due_hazards, unit_contacts
from tests.test_robots import RecordingSmsBackend

SENT, PENDING, SENDING = NotificationStatus.SENT, NotificationStatus.PENDING, NotificationStatus.SENDING


@pytest.fixture
def server():
    with RobotServer() as running:
        yield running


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of the test's own, to stop and start again."""
    (tmp_path / "redis").mkdir()
    running = RedisServer(tmp_path / "redis")
    running.start()
    try:
        yield running
    finally:
        running.stop()


def robot_rule(*, immediate: bool) -> ReminderRule:
    """On the deadline day, to the group robots of the hazard's region and above."""
    return ReminderRule.objects.create(
        name="群机器人" + ("立即" if immediate else "汇总"),
        offset_days=0,
        day_kind="calendar",
        recipients=["unit_contact"],
        channels=["robot"],
        immediate=immediate,
    )


def wecom_target(server: RobotServer, world: World, *, name: str = "红旗区安全群", region=None) -> RobotTarget:
    robot = server.wecom_robot()
    return RobotTarget.objects.create(
        kind="wecom", name=name, region=region or world.hongqi, webhook_url=robot.webhook_url
    )


def planned(world: World, hazards: int, *, immediate: bool = True) -> list[Hazard]:
    """``hazards`` hazards due today in 西街社区 of 红旗区, their robot reminders planned, none sent."""
    robot_rule(immediate=immediate)
    contacts = unit_contacts(world, 4)
    made = due_hazards(world, contacts, each=hazards // 4, deadline=timezone.localdate())
    reminder_services.sweep()
    assert Notification.objects.count() == len(made) * RobotTarget.objects.count()
    return made


def content(message: Received) -> str:
    markdown = message.body["markdown"]
    return markdown["content"] if message.kind == "wecom" else markdown["text"]


def received_numbers(server: RobotServer) -> Counter:
    return Counter(n for m in server.received for n in re.findall(r"^- (\S+) ", content(m), flags=re.MULTILINE))


def assert_each_hazard_received_once(server: RobotServer, hazards: list[Hazard]) -> None:
    """Every robot row sent, and every hazard in exactly one message the robot took."""
    assert received_numbers(server) == Counter(h.number for h in hazards)
    assert Counter(Notification.objects.values_list("status", flat=True)) == {SENT: len(hazards)}


def later(minutes: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


# --- 1. a digest longer than one robot message ------------------------------------------------------


@pytest.mark.parametrize("immediate", [True, False])
def test_a_robot_list_longer_than_one_message_is_split_and_every_line_delivered_once(
    world, transactional_db, server, immediate
):
    wecom_target(server, world)
    hazards = planned(world, 160, immediate=immediate)

    sent = reminder_services.deliver_immediate() if immediate else reminder_services.send_digests()

    assert sent == len(server.received) >= 3
    for n, message in enumerate(server.received, start=1):
        text = content(message)
        assert len(text.encode()) <= robots.MAX_MARKDOWN_BYTES
        assert "截断" not in text
        assert text.startswith(f"### 隐患整改提醒：160 条待办（{n}/{sent}）\n")
    assert_each_hazard_received_once(server, hazards)
    # Each message's rows share its key, and no two messages share one.
    assert Notification.objects.values("message_key").distinct().count() == sent


def test_messages_beyond_the_robots_20_a_minute_wait_for_a_later_run_and_are_not_marked_sent(
    world, transactional_db, server
):
    target = wecom_target(server, world)
    hazards = planned(world, 160)
    limiter = robots.RobotRateLimiter(channels.redis_client())
    for _ in range(19):  # this minute's earlier posts to the robot: one slot left
        assert limiter.acquire(target.webhook_url) == 0.0

    assert reminder_services.deliver_immediate() == 1

    (first,) = server.received
    shown = set(re.findall(r"^- (\S+) ", content(first), flags=re.MULTILINE))
    rows = Notification.objects.all()
    assert set(rows.filter(status=SENT).values_list("hazard__number", flat=True)) == shown
    waiting = rows.exclude(status=SENT)
    assert set(waiting.values_list("status", "attempts")) == {(PENDING, 0)}  # a full window is no attempt
    assert all(r > timezone.now() for r in waiting.values_list("retry_at", flat=True))
    assert "rate limit" in waiting.first().last_error
    assert reminder_services.deliver_due() == 0  # not before the window has room

    channels.redis_client().delete(limiter.key_for(target.webhook_url))  # the minute has passed
    assert reminder_services.deliver_due(now=later(1.1)) >= 2
    assert_each_hazard_received_once(server, hazards)


# --- 2. a database error between the send and the mark ---------------------------------------------


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    conn = psycopg2.connect(session_database_url())
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        conn.close()


def test_a_database_error_between_send_and_mark_does_not_send_again(world, transactional_db, server):
    wecom_target(server, world)
    hazards = planned(world, 8)
    pid = backend_pid()
    server.on_receive = lambda _message: terminate(pid)  # the robot has it; the mark then fails

    assert reminder_services.deliver_immediate() == 0

    server.on_receive = None
    assert len(server.received) == 1
    # The rows are still claimed: the mark never reached the database.
    assert set(Notification.objects.values_list("status", flat=True)) == {SENDING}
    # Claims left unrenewed are taken again after a minute; the journal says the message is out.
    assert reminder_services.deliver_due() == 0
    assert reminder_services.deliver_due(now=later(1.1)) == 0
    assert len(server.received) == 1
    assert_each_hazard_received_once(server, hazards)
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


def test_a_claim_left_by_a_killed_worker_is_sent_about_a_minute_later(world, transactional_db, server):
    wecom_target(server, world)
    hazards = planned(world, 8)
    # A worker that claimed the rows and died before sending: nothing in the journal.
    Notification.objects.update(status=SENDING, message_key=uuid.uuid4(), claimed_at=timezone.now())

    assert reminder_services.deliver_due(now=later(0.5)) == 0
    assert reminder_services.deliver_due(now=later(1.1)) == 1
    assert_each_hazard_received_once(server, hazards)


# --- 3. one recipient's fault does not end the digest -----------------------------------------------


def test_a_digest_fault_for_one_robot_leaves_the_others_sent_and_it_is_retried_with_backoff(
    world, transactional_db, server
):
    targets = [
        wecom_target(server, world, name="红旗区安全群"),
        wecom_target(server, world, name="西街社区群", region=world.hq_village),
        wecom_target(server, world, name="新乡市安委办群", region=world.city),
    ]
    down = targets[1]  # nothing listens on port 9: a temporary fault of this robot's
    RobotTarget.objects.filter(pk=down.pk).update(webhook_url="http://127.0.0.1:9/cgi-bin/webhook/send?key=x")
    hazards = planned(world, 8, immediate=False)
    # Planned before the day's digest time, as the digest's rows are (deliver_due retries only those).
    Notification.objects.update(created_at=delivery.last_digest(timezone.now()) - datetime.timedelta(hours=1))
    # The database restarts during the first robot's message too: its send stands, its mark is lost.
    pid = backend_pid()
    server.on_receive = lambda _message: terminate(pid) if len(server.received) == 1 else None

    assert reminder_services.send_digests() == 1

    server.on_receive = None
    by_target = dict(Counter(Notification.objects.values_list("target", "status")))
    assert by_target.get((down.pk, PENDING)) == len(hazards)
    assert sorted(by_target.values()) == [len(hazards)] * 3
    assert len(server.received) == 2  # the other two robots
    failed = Notification.objects.filter(target=down)
    assert set(failed.values_list("attempts", flat=True)) == {1}
    retry = failed.first().retry_at
    assert later(0.9) < retry < later(1.1)  # the first backoff: a minute

    RobotTarget.objects.filter(pk=down.pk).update(webhook_url=server.wecom_robot().webhook_url)
    assert reminder_services.deliver_due(now=later(0.5)) == 0  # the backoff is not over
    reminder_services.deliver_due(now=later(1.5))

    assert len(server.received) == 3
    assert Counter(Notification.objects.values_list("status", flat=True)) == {SENT: 3 * len(hazards)}
    numbers = received_numbers(server)
    assert numbers == Counter({h.number: 3 for h in hazards})


def test_a_send_that_keeps_failing_ends_failed_and_the_administrator_sees_why(world, transactional_db, client):
    RobotTarget.objects.create(
        kind="wecom", name="断网的群", region=world.hongqi, webhook_url="http://127.0.0.1:9/send?key=k"
    )
    hazards = planned(world, 4)
    moment = timezone.now()
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        reminder_services.deliver_due(now=moment)
        rows = Notification.objects.all()
        assert set(rows.values_list("attempts", flat=True)) == {attempt}
        if attempt < delivery.MAX_ATTEMPTS:
            assert set(rows.values_list("status", flat=True)) == {PENDING}
            moment = rows.first().retry_at
    waits = [b.total_seconds() / 60 for b in delivery.BACKOFF]
    assert waits == sorted(waits) and waits[0] == 1

    rows = Notification.objects.all()
    assert set(rows.values_list("status", flat=True)) == {NotificationStatus.FAILED}
    assert rows.count() == len(hazards)
    assert reminder_services.deliver_due(now=moment + datetime.timedelta(days=1)) == 0
    client.force_login(world.admin)
    page = client.get("/admin/reminders/notification/?status=failed").content.decode()
    assert f"已尝试 {delivery.MAX_ATTEMPTS} 次仍失败" in page


# --- 4. Redis down during a robot send ---------------------------------------------------------------


def test_redis_down_during_a_robot_send_leaves_the_rows_for_a_later_run(
    world, transactional_db, server, redis_server, settings
):
    settings.REDIS_URL = redis_server.url
    wecom_target(server, world)
    hazards = planned(world, 8)
    redis_server.stop()

    assert reminder_services.deliver_immediate() == 0

    assert server.received == []
    rows = Notification.objects.all()
    assert set(rows.values_list("status", "attempts")) == {(PENDING, 0)}
    assert "limiter unavailable" in rows.first().last_error
    redis_server.start()
    assert reminder_services.deliver_due(now=later(1.1)) == 1
    assert_each_hazard_received_once(server, hazards)


# --- 5. two deliveries at once; a run longer than the claim -----------------------------------------


def test_a_recipient_claimed_by_another_run_is_left_whole_to_it(world, transactional_db, server):
    target = wecom_target(server, world)
    hazards = planned(world, 8)
    lock = f"reminders:robot:{target.pk}:robot:1"
    other = psycopg2.connect(session_database_url())
    try:
        with other.cursor() as cursor:  # another delivery run in its claim of this robot's rows
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [lock])
        assert reminder_services.deliver_immediate() == 0
        assert set(Notification.objects.values_list("status", flat=True)) == {PENDING}
    finally:
        other.close()
    assert reminder_services.deliver_immediate() == 1
    assert_each_hazard_received_once(server, hazards)


def test_a_run_longer_than_the_claim_period_keeps_its_claims(world, transactional_db, server, monkeypatch):
    monkeypatch.setattr(delivery, "CLAIM_EXPIRY", datetime.timedelta(seconds=1))
    wecom_target(server, world)
    hazards = planned(world, 160)
    server.slow_seconds = 0.6
    server.fail_next(3, "slow")  # three messages of 0.6 s: the run outlasts its one-second claims
    done = threading.Event()
    others: list[int] = []

    def another_run() -> None:
        try:
            while not done.is_set():
                others.append(reminder_services.deliver_immediate())
        finally:
            connection.close()

    thread = threading.Thread(target=another_run)
    thread.start()
    try:
        sent = reminder_services.deliver_immediate()
    finally:
        done.set()
        thread.join(timeout=30)

    assert sent == 3 and sum(others) == 0 and len(others) > 3
    assert_each_hazard_received_once(server, hazards)


def test_an_email_goes_over_smtp_once_with_its_message_id_though_the_mark_fails(world, transactional_db, settings):
    ReminderRule.objects.create(
        name="邮件立即",
        offset_days=0,
        day_kind="calendar",
        recipients=["unit_contact"],
        channels=["email"],
        immediate=True,
    )
    contacts = unit_contacts(world, 1)
    User.objects.filter(pk=contacts[0].pk).update(email="c0@example.test")
    hazards = due_hazards(world, contacts, each=2, deadline=timezone.localdate())
    reminder_services.sweep()
    with SmtpSink() as sink:
        for name, value in sink.settings().items():
            setattr(settings, name, int(value) if name == "EMAIL_PORT" else value)
        pid = backend_pid()
        sink.on_receive = lambda _mail: terminate(pid)  # the relay has it; the mark then fails

        assert reminder_services.deliver_immediate() == 0
        sink.on_receive = None
        assert reminder_services.deliver_due(now=later(1.1)) == 0

    (mail,) = sink.received
    (key,) = set(Notification.objects.values_list("message_key", flat=True))
    assert mail.to == ("c0@example.test",)
    assert mail.message_id == f"<reminder-{key.hex}@hazard-ledger>"
    assert sorted(re.findall(r"^- (\S+) ", mail.body, flags=re.MULTILINE)) == sorted(h.number for h in hazards)
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}


def test_an_sms_list_longer_than_one_text_is_split_and_nothing_cut(world, transactional_db, settings):
    settings.SMS_BACKEND = "tests.test_robots.RecordingSmsBackend"
    RecordingSmsBackend.sent.clear()
    ReminderRule.objects.create(
        name="短信立即",
        offset_days=0,
        day_kind="calendar",
        recipients=["unit_contact"],
        channels=["sms"],
        immediate=True,
    )
    contacts = unit_contacts(world, 1)
    User.objects.filter(pk=contacts[0].pk).update(phone="13812340000")
    hazards = due_hazards(world, contacts, each=40, deadline=timezone.localdate())
    reminder_services.sweep()

    sent = reminder_services.deliver_immediate()

    texts = [text for _phone, text in RecordingSmsBackend.sent]
    assert sent == len(texts) >= 3
    assert all(len(text) <= sms.MAX_TEXT_CHARS and not text.endswith("…") for text in texts)
    numbers = Counter(n for text in texts for n in re.findall(r"^- (\S+) ", text, flags=re.MULTILINE))
    assert numbers == Counter(h.number for h in hazards)
    assert Counter(Notification.objects.values_list("status", flat=True)) == {SENT: len(hazards)}
