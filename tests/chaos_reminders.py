"""A chaos run of reminder delivery (issue 15), not part of `make test`: the production processes for
CHAOS_SECONDS (default 300) while workers are killed, Redis is restarted twice (once with SIGKILL) and
PostgreSQL once, with two beats sweeping, delivering and sending the digest at once:

    CHAOS_SECONDS=300 .venv/bin/python -m tests.harness -- .venv/bin/pytest tests/chaos_reminders.py -q -s

Hazards fall due over the first two thirds of the run (major ones reminded at once, every one in the
digest), to the inbox and the email of their unit's contact (tests/smtp_sink.py) and to three 企业微信
robots (tests/robot_server.py). The expectation is the sweep's own dry run at the end, keyed with the
robot; the inbox, the emails and what the robots received are then compared with the ledger line by
line. Printed: the figures the issue asks for.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import random
import re
import signal
import sys
import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from hazards.choices import Level
from reminders import services
from reminders.choices import NotificationStatus
from reminders.models import InboxMessage, Notification, ReminderRule, RobotTarget
from tests.robot_server import RobotServer
from tests.smtp_sink import SmtpSink
from tests.test_processes import Process
from tests.test_reminder_faults import (
    PRODUCTION_WORKER,
    due_hazards,
    inbox_rules,  # noqa: F401 (a fixture)
    own_redis,  # noqa: F401 (a fixture)
    pool_children,
    process_env,
    restart_postgres,
    unit_contacts,
    urgent_deadline,
)

SECONDS = int(os.environ.get("CHAOS_SECONDS", "300"))
FIELDS = ("hazard", "rule", "anchor_date", "occurrence", "recipient", "target", "channel")

# The project's schedule, faster: sweep every second, deliver_due every 5 s, the digest every 15 s.
FAST_BEAT = """
import sys
from config.celery import app
s = app.conf.beat_schedule
s["reminders-sweep"] = {**s["reminders-sweep"], "schedule": 1.0, "options": {"expires": 5}}
s["reminders-deliver"] = {**s["reminders-deliver"], "schedule": 5.0, "options": {"expires": 5}}
s["reminders-digest"] = {**s["reminders-digest"], "schedule": 15.0, "options": {"expires": 10}}
app.start(["beat", "--loglevel=INFO", "--schedule", sys.argv[1]])
"""


def ledger_keys() -> list[tuple]:
    # A dry run's plan names the rule.
    return list(Notification.objects.values_list(*(("rule__name" if f == "rule" else f) for f in FIELDS)))


def lines_of(text: str) -> list[str]:
    return re.findall(r"^- (\S+) ", text, flags=re.MULTILINE)


@pytest.mark.timeout(SECONDS + 900)
def test_chaos(world, inbox_rules, own_redis, tmp_path):  # noqa: F811
    robot_rules = [
        ReminderRule.objects.create(
            name=f"群机器人{'立即' if immediate else '汇总'}",
            offset_days=0,
            day_kind="calendar",
            recipients=["unit_contact"],
            channels=["robot"],
            immediate=immediate,
        )
        for immediate in (True, False)
    ]
    email_rules = [
        ReminderRule.objects.create(
            name=f"邮件{'立即' if immediate else '汇总'}",
            offset_days=0,
            day_kind="calendar",
            recipients=["unit_contact"],
            channels=["email"],
            immediate=immediate,
        )
        for immediate in (True, False)
    ]
    assert robot_rules and email_rules
    with RobotServer() as server, SmtpSink() as sink:
        targets = {}
        for name, region in (("红旗区群", world.hongqi), ("西街社区群", world.hq_village), ("市安委办群", world.city)):
            target = RobotTarget.objects.create(
                kind="wecom", name=name, region=region, webhook_url=server.wecom_robot().webhook_url
            )
            targets[target.webhook_url.split("key=")[1]] = target.pk
        contacts = unit_contacts(world, 20)
        for contact in contacts:
            contact.email = f"{contact.username}@example.test"
        User.objects.bulk_update(contacts, ["email"])
        mailbox = {contact.email: contact.pk for contact in contacts}
        start = timezone.now() + datetime.timedelta(seconds=10)
        span = SECONDS * 2 / 3
        due = lambda serial: start + datetime.timedelta(seconds=random.uniform(0, span))  # noqa: E731
        due_hazards(world, contacts, each=12, deadline=timezone.localdate(), due=due)
        due_hazards(world, contacts, each=4, deadline=urgent_deadline(), level=Level.MAJOR, due=due)
        last_due = start + datetime.timedelta(seconds=span)
        # What one sweep on its own would plan, worked out before anything runs.
        expected = {tuple(plan[f] for f in FIELDS) for plan in services.sweep(now=last_due, dry_run=True).plans}

        env = {**process_env(own_redis.url), **sink.settings()}
        processes: dict[str, Process] = {}
        counter = Counter()

        def start_worker(name: str) -> None:
            counter["worker starts"] += 1
            processes[name] = Process(
                PRODUCTION_WORKER, env=env, log=tmp_path / f"{name}-{counter['worker starts']}.log"
            )

        for name in ("worker-a", "worker-b"):
            start_worker(name)
        for n in range(2):
            processes[f"beat-{n}"] = Process(
                [sys.executable, "-c", FAST_BEAT, str(tmp_path / f"beat{n}-schedule")],
                env=env,
                log=tmp_path / f"beat{n}.log",
            )
        logs = []
        try:
            began = time.monotonic()
            faults = {0.3: "redis-kill", 0.45: "postgres", 0.6: "redis-stop"}
            last_fault = began
            while time.monotonic() - began < SECONDS:
                time.sleep(random.uniform(8, 14))
                elapsed = (time.monotonic() - began) / SECONDS
                for at, what in list(faults.items()):
                    if elapsed >= at:
                        del faults[at]
                        counter[what] += 1
                        if what == "postgres":
                            restart_postgres()
                        else:
                            if what == "redis-kill":
                                os.killpg(own_redis.process.popen.pid, signal.SIGKILL)
                                own_redis.process.popen.wait(timeout=10)
                            else:
                                own_redis.stop()
                            time.sleep(3)
                            own_redis.start()
                        last_fault = time.monotonic()
                name = random.choice(["worker-a", "worker-b"])
                worker = processes[name]
                # A pool process killed before its worker is ready is a failed start, which Celery ends
                # with "Could not start worker processes" and the container's restart policy answers;
                # the pool kills here are of working pools, the container kills cover the rest.
                if random.random() < 0.5 and worker.running() and " ready." in worker.output():
                    children = pool_children(worker)
                    if children:
                        os.kill(random.choice(children), signal.SIGKILL)  # a pool process: the worker replaces it
                        counter["pool kills"] += 1
                else:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(worker.popen.pid, signal.SIGKILL)  # the container
                    worker.popen.wait(timeout=10)
                    logs.append(worker.log)
                    counter["worker kills"] += 1
                    start_worker(name)
                last_fault = time.monotonic()
            # Settle: everything planned and sent, or two minutes after the last fault.
            deadline = last_fault + 120
            while time.monotonic() < deadline:
                connection.close()
                if (
                    len(ledger_keys()) >= len(expected)
                    and not Notification.objects.exclude(
                        status__in=[NotificationStatus.SENT, NotificationStatus.SKIPPED]
                    ).exists()
                ):
                    break
                time.sleep(2)
            settled = time.monotonic() - last_fault
            time.sleep(12)  # a few more rounds of both beats with nothing to do
            alive = {name: p.running() for name, p in processes.items()}
        finally:
            for process in processes.values():
                process.stop()
        logs += [p.log for name, p in processes.items() if name.startswith("worker")]

        ledger = ledger_keys()
        statuses = Counter(Notification.objects.values_list("status", flat=True))
        # The inbox: each (recipient, hazard, kind) once.
        kinds = Notification.objects.filter(recipient__isnull=False, channel="inbox").values_list(
            "recipient_id", "hazard__number", "immediate"
        )
        inbox_expected = Counter((r, n) for r, n, _k in set(kinds))
        inbox_got = Counter(
            (r, n) for r, body in InboxMessage.objects.values_list("recipient_id", "body") for n in lines_of(body)
        )
        # The robots: each (robot, hazard, kind) once, as received.
        sent_robot = Notification.objects.filter(target__isnull=False, status=NotificationStatus.SENT)
        robot_expected = Counter(
            (t, n) for t, n, _k in set(sent_robot.values_list("target_id", "hazard__number", "immediate"))
        )
        robot_got = Counter(
            (targets[m.query["key"]], n) for m in server.received for n in lines_of(m.body["markdown"]["content"])
        )
        # The emails: each (person, hazard, kind) once, as the relay accepted them.
        sent_email = Notification.objects.filter(channel="email", status=NotificationStatus.SENT)
        email_expected = Counter(
            (r, n) for r, n, _k in set(sent_email.values_list("recipient_id", "hazard__number", "immediate"))
        )
        email_got = Counter((mailbox[m.to[0]], n) for m in sink.received for n in lines_of(m.body))
        message_ids = Counter(m.message_id for m in sink.received)
        per_minute = 0
        for key in targets:
            times = sorted(m.at for m in server.received if m.query["key"] == key)
            per_minute = max([per_minute, *(sum(1 for u in times if t <= u < t + 60) for t in times)])
        exits = sum(log.read_text(errors="replace").count("Unrecoverable error") for log in logs)
        figures = {
            "seconds": SECONDS,
            "faults": dict(counter),
            "ledger rows": len(ledger),
            "expected rows": len(expected),
            "duplicate keys": len(ledger) - len(set(ledger)),
            "missing": len(expected - set(ledger)),
            "unexpected": len(set(ledger) - expected),
            "statuses": dict(statuses),
            "inbox messages": InboxMessage.objects.count(),
            "inbox lines duplicated": sum(max(0, inbox_got[k] - inbox_expected[k]) for k in inbox_got),
            "inbox lines lost": sum(max(0, inbox_expected[k] - inbox_got[k]) for k in inbox_expected),
            "robot posts": len(server.received),
            "robot lines duplicated": sum(max(0, robot_got[k] - robot_expected[k]) for k in robot_got),
            "robot rows marked sent not received": sum(
                max(0, robot_expected[k] - robot_got[k]) for k in robot_expected
            ),
            "emails": len(sink.received),
            "email lines duplicated": sum(max(0, email_got[k] - email_expected[k]) for k in email_got),
            "email lines lost (marked sent, not received)": sum(
                max(0, email_expected[k] - email_got[k]) for k in email_expected
            ),
            "emails received again with the same Message-ID": sum(n - 1 for n in message_ids.values()),
            "max robot posts in any 60 s": per_minute,
            "worker exits (Unrecoverable error)": exits,
            "settled seconds after last fault": round(settled),
            "processes alive at the end": alive,
        }
        print("\nCHAOS", *(f"{k}: {v}" for k, v in figures.items()), sep="\n  ")  # noqa: T201
        assert figures["duplicate keys"] == figures["missing"] == figures["unexpected"] == 0
        assert set(statuses) <= {NotificationStatus.SENT, NotificationStatus.SKIPPED}, statuses
        assert inbox_got == inbox_expected
        assert robot_got == robot_expected
        assert email_got == email_expected
        assert per_minute <= 20 and exits == 0 and all(alive.values())
        assert settled < 120
