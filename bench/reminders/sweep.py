"""The reminder sweep over 100,000 due hazards on PostgreSQL (budget: 10 s), and the sends that follow.

    .venv/bin/python -m bench.reminders.sweep                    # a throwaway cluster (tests.harness)
    .venv/bin/python -m bench.reminders.sweep --hazards 20000 --database-url postgres://…/empty_db

1. A throwaway PostgreSQL cluster from tests.harness (or ``--database-url``, an empty database), then
   ``migrate`` (which installs the default reminder rules of its data migration) and the demo city of
   ``seed_demo`` without its hazards (新乡市, its 12 counties, about 200 units with their contacts, the
   officers and supervisors, the municipal office), plus a leader per county.
2. ``--hazards`` open hazards in one ``INSERT … SELECT … FROM generate_series``, spread over the demo
   units that have a contact, all due for the sweep (``ReminderSchedule.due_at`` in the last hour) and with
   deadlines that make rules fire today: 30 % due today, 20 % three working days ahead, 50 % overdue by 1
   to 30 days (so the escalations at 3 and 7 days fire too); 2 % are major hazards, 1 % are under a
   county or city supervision listing that ends in three days. Then ``VACUUM ANALYZE``.
3. ``reminders.services.sweep()`` timed; then a second sweep (nothing is due: it must find no hazard);
   then every hazard made due again, as any change to a hazard does, and a third sweep, which must add
   no ledger row; the ledger is checked for duplicate keys.
4. ``deliver_immediate()`` and ``send_digests()`` timed over the planned rows (email to Django's
   in-memory backend; the broker is Celery's in-memory transport, so the sweep's hand-over to
   ``deliver_immediate`` costs what a publish costs and goes nowhere).

``--profile`` prints the ten most expensive statements of the first sweep (timed through Django's
execute wrapper, so pg_stat_statements is not needed) and cProfile summaries of it and of the digest.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime
import io
import os
import pstats
import signal
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BUDGET_SECONDS = 10.0


def log(message: str) -> None:
    print(f"[sweep-bench] {message}", flush=True)


@contextlib.contextmanager
def database(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    import psycopg2

    from tests.harness import Postgres

    postgres = Postgres()
    try:
        url = postgres.start()
        conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("CREATE DATABASE hazard_ledger")
        conn.close()
        yield url
    finally:
        postgres.stop()


def setup_django(url: str, var_dir: str) -> None:
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        DEBUG="false",
        VAR_DIR=var_dir,
        CELERY_BROKER_URL="memory://",
        LOG_LEVEL="ERROR",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# --- data -------------------------------------------------------------------------------------------


def reference_data() -> None:
    """The demo city without its hazards: what ``seed_demo`` makes before them (demo.places), and a
    leader for each county, whom the escalation after 7 days reaches (the demo has none)."""
    from django.core.management import call_command
    from django.db import transaction

    from accounts.choices import RegionLevel, Role
    from accounts.models import Region, User
    from demo.places import build_city

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    with transaction.atomic():
        build_city()
        User.objects.bulk_create(
            User(username=f"leader_{county.code}", role=Role.COUNTY_OFFICER, region=county, is_leader=True)
            for county in Region.objects.filter(level=RegionLevel.COUNTY)
        )
    log(f"migrate and the demo city in {time.monotonic() - started:.1f} s")


UNITS_SQL = """
CREATE TEMP TABLE b_unit AS
SELECT row_number() OVER (ORDER BY u.id) - 1 AS ui, u.id AS unit_id, u.region_id, county.id AS county_id,
       (SELECT s.id FROM hazards_sector s ORDER BY s.id LIMIT 1) AS sector_id,
       (SELECT o.id FROM accounts_user o WHERE o.region_id = county.id AND o.role = 'county_officer'
        ORDER BY o.id LIMIT 1) AS officer_id
FROM accounts_responsibleunit u
JOIN accounts_region r ON r.id = u.region_id
JOIN accounts_region county ON county.level = 'county' AND r.path LIKE county.path || '%%'
WHERE EXISTS (SELECT 1 FROM accounts_user c WHERE c.unit_id = u.id AND c.role = 'unit_contact' AND c.is_active)
"""

# One row per hazard; ``i`` decides everything, so a run is repeatable.
HAZARDS_SQL = """
INSERT INTO hazards_hazard (
    number, status, version, title, description, county_id, region_id, address, sector_id, level, category,
    factor, source, found_at, found_by_id, major_standard, major_standard_item, plan_measures,
    plan_responsibility, plan_contingency, stop_production, responsible_unit_id, responsible_person,
    responsible_phone, requirements, deadline, assigned_at, acknowledged_at, measures, verification_method,
    verification_opinion, void_reason, created_at, updated_at
)
SELECT 'YH-BENCH-' || lpad(i::text, 7, '0'),
       CASE WHEN i %% 3 = 0 THEN 'assigned' ELSE 'rectifying' END, 3,
       '配电箱未接地', '生产车间东侧配电箱外壳未可靠接地，存在触电风险。', u.county_id, u.region_id, '', u.sector_id,
       CASE WHEN i %% 50 = 0 THEN 'major' ELSE 'general' END, 'site_management', 'object', 'routine',
       %(now)s - interval '20 days', u.officer_id, '', '', '', '', '', 'none', u.unit_id, '李四', '', '立即整改。',
       CASE
           WHEN i %% 10 < 3 THEN %(today)s::date
           WHEN i %% 10 < 5 THEN %(soon)s::date
           ELSE %(today)s::date - (1 + (i / 10) %% 30)
       END,
       %(now)s - interval '19 days', %(now)s - interval '18 days', '', '', '', '',
       %(now)s - interval '20 days', %(now)s - interval '18 days'
FROM generate_series(1, %(n)s) AS i
JOIN b_unit u ON u.ui = i %% (SELECT count(*) FROM b_unit)
"""

# Due for the sweep within the last hour, as hazards changed during it would be.
SCHEDULE_SQL = """
INSERT INTO hazards_reminderschedule (hazard_id, due_at)
SELECT h.id, %(now)s - (h.id %% 3600) * interval '1 second'
FROM hazards_hazard h
WHERE h.number LIKE 'YH-BENCH-%%'
"""

LISTINGS_SQL = """
INSERT INTO hazards_supervisionlisting (
    hazard_id, authority_level, authority_region_id, authority, notice_number, requirements, deadline, listed_by_id,
    listed_at
)
SELECT h.id, CASE WHEN h.id %% 2 = 0 THEN 'county' ELSE 'city' END, h.county_id, '新乡市安委办',
       '督〔2026〕' || h.id || '号', '限期治理', %(today)s::date + 3, h.found_by_id, %(now)s - interval '10 days'
FROM hazards_hazard h
WHERE h.number LIKE 'YH-BENCH-%%' AND h.id %% 100 = 7
"""


def load_hazards(count: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from reminders.models import ReminderRule

    now = timezone.now()
    today = timezone.localdate(now)
    # Three working days ahead: "3 working days before" the deadline falls on today.
    rule = ReminderRule.objects.get(name="期限前 3 个工作日提醒责任单位")
    soon = next(
        today + datetime.timedelta(days=n)
        for n in range(1, 15)
        if rule.first_date(today + datetime.timedelta(n)) == today
    )
    params = {"n": count, "now": now, "today": today, "soon": soon}
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(UNITS_SQL)
        cursor.execute("SELECT count(*) FROM b_unit")
        units = cursor.fetchone()[0]
        cursor.execute(HAZARDS_SQL, params)
        cursor.execute(SCHEDULE_SQL, params)
        cursor.execute(LISTINGS_SQL, params)
        listings = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE hazards_hazard")
        cursor.execute("VACUUM ANALYZE hazards_supervisionlisting")
        cursor.execute("VACUUM ANALYZE hazards_reminderschedule")
    log(
        f"inserted {count:,} due hazards over {units} units ({listings:,} under supervision, deadlines today, "
        f"{soon} and 1-30 days ago) in {time.monotonic() - started:.1f} s"
    )


# --- measurements -------------------------------------------------------------------------------------


class StatementTimer:
    """Django execute wrapper: total time and count per SQL text (parameters stripped by Django)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = sql if len(sql) < 400 else sql[:400] + "…"
            self.seconds[key] += time.perf_counter() - started
            self.calls[key] += 1

    def report(self, top: int = 10) -> None:
        for sql, seconds in sorted(self.seconds.items(), key=lambda kv: -kv[1])[:top]:
            print(f"  {seconds:7.3f} s  {self.calls[sql]:6d} x  {sql[:300]}")


def ledger_rows() -> int:
    from reminders.models import Notification

    return Notification.objects.count()


def duplicate_keys() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM (
                SELECT 1 FROM reminders_notification
                GROUP BY hazard_id, rule_id, anchor_date, occurrence, recipient_id, channel
                HAVING count(*) > 1
            ) d
            """
        )
        return cursor.fetchone()[0]


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int | str) -> tuple[float, float]:
    """(own, reaped children's) CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK, (int(fields[13]) + int(fields[14])) / _TICK


def server_cpu() -> float:
    """CPU seconds of the whole PostgreSQL cluster so far (same machine): the postmaster and its children,
    those still running and those gone (the sweep's extra connections close when it ends)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with contextlib.suppress(OSError):
        postmaster = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
        own, reaped = _cpu(postmaster)
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        running = 0.0
        for child in children:
            with contextlib.suppress(OSError):
                running += _cpu(child)[0]
        return own + reaped + running
    return float("nan")


@dataclass
class Timing:
    seconds: float
    client_cpu: float
    server_cpu: float

    def __str__(self) -> str:
        return f"{self.seconds:.2f} s (CPU: Python {self.client_cpu:.2f} s, PostgreSQL {self.server_cpu:.2f} s)"


@contextlib.contextmanager
def timing() -> Iterator[Timing]:
    """Wall time and CPU time on both sides: this process (all its threads) and the PostgreSQL cluster (all
    its processes). On a busy machine the wall time grows; the CPU times are what the work costs."""
    result = Timing(0.0, 0.0, 0.0)
    server, client, started = server_cpu(), time.process_time(), time.perf_counter()
    yield result
    result.seconds = time.perf_counter() - started
    result.client_cpu = time.process_time() - client
    result.server_cpu = server_cpu() - server


def timed_sweep(label: str, *, profile: bool = False):
    from django.conf import settings
    from django.db import connection

    from reminders import services

    before = ledger_rows()
    timer = StatementTimer()
    profiler = cProfile.Profile() if profile else None
    with timing() as took, connection.execute_wrapper(timer):
        if profiler:
            profiler.enable()
        result = services.sweep(workers=settings.REMINDER_SWEEP_WORKERS)  # as the beat's task runs it
        if profiler:
            profiler.disable()
    added = ledger_rows() - before
    rates = f", {result.hazards / took.seconds:,.0f} hazards/s, {added / took.seconds:,.0f} rows/s"
    log(
        f"{label}: {result.hazards:,} hazards, {result.planned:,} notifications reported planned, "
        f"{added:,} ledger rows added, {took}" + (rates if result.hazards else "")
    )
    if profiler:
        print("  SQL, by total time:")
        timer.report()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
        print(stream.getvalue())
    return result, added, took


def timed(label: str, func, *, profile: bool = False) -> tuple[int, Timing]:
    profiler = cProfile.Profile() if profile else None
    with timing() as took:
        if profiler:
            profiler.enable()
        value = func()
        if profiler:
            profiler.disable()
    log(f"{label}: {value:,} messages in {took}")
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
        print(stream.getvalue())
    return value, took


def run(hazards: int, *, profile: bool) -> int:
    from django.core import mail
    from django.db.models import Count
    from django.utils import timezone

    from hazards.models import ReminderSchedule
    from reminders import services
    from reminders.models import InboxMessage, Notification

    reference_data()
    load_hazards(hazards)

    first, added, took = timed_sweep("first sweep", profile=profile)
    seconds = took.seconds
    by_rule = Notification.objects.values_list("rule__name").annotate(n=Count("id")).order_by("-n")
    for name, n in by_rule:
        print(f"  {n:8,}  {name}")
    second, second_added, _ = timed_sweep("second sweep (nothing due)")
    ReminderSchedule.objects.filter(hazard__number__startswith="YH-BENCH-").update(due_at=timezone.now())
    third, third_added, third_took = timed_sweep("third sweep (every hazard changed, so due again)")
    duplicates = duplicate_keys()
    log(f"ledger: {ledger_rows():,} rows, {duplicates} duplicate keys")

    immediate, immediate_took = timed("deliver_immediate", services.deliver_immediate)
    digests, digest_took = timed("send_digests", services.send_digests, profile=profile)
    sent = Notification.objects.filter(status="sent").count()
    log(
        f"sent {sent:,} of {ledger_rows():,} rows: {InboxMessage.objects.count():,} inbox messages, "
        f"{len(getattr(mail, 'outbox', [])):,} emails"
    )

    failures = []
    if seconds > BUDGET_SECONDS:
        failures.append(f"the first sweep took {seconds:.1f} s (budget {BUDGET_SECONDS:.0f} s)")
    if first.hazards != hazards:
        failures.append(f"the first sweep saw {first.hazards:,} hazards, not {hazards:,}")
    if second.hazards or second_added:
        failures.append("the second sweep found hazards due")
    if third_added:
        failures.append(f"the third sweep added {third_added:,} ledger rows")
    if third.planned:
        failures.append(f"the third sweep reported {third.planned:,} planned, though it added {third_added}")
    if duplicates:
        failures.append(f"{duplicates} duplicate ledger keys")
    print()
    print(f"hazards                  {first.hazards:>9,}")
    print(f"notifications planned    {added:>9,}")
    print(f"sweep                    {took}   budget {BUDGET_SECONDS:.0f} s")
    print(f"hazards/s                {first.hazards / seconds:>9,.0f}")
    print(f"rows/s                   {added / seconds:>9,.0f}")
    print(f"re-sweep, all due again  {third_took}, {third_added} rows added, {third.planned:,} reported planned")
    print(f"deliver_immediate        {immediate_took}, {immediate:,} messages")
    print(f"send_digests             {digest_took}, {digests:,} messages")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


def stop_on_sigterm() -> None:
    """SIGTERM (a timeout, a CI job cancelled, ``kill``) ends the run like Ctrl-C does: the ``finally`` of
    ``database()`` stops the throwaway cluster. By default Python dies at once and leaves it running,
    detached in a session of its own (pg_ctl), its files in /tmp."""

    def terminate(signum: int, frame: object) -> None:
        log("SIGTERM: stopping")
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


def main(argv: list[str] | None = None) -> int:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hazards", type=int, default=100_000, help="due hazards to sweep")
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of a throwaway cluster")
    parser.add_argument("--profile", action="store_true", help="where the first sweep and the digest spend time")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as var_dir, database(args.database_url) as url:
        setup_django(url, var_dir)
        return run(args.hazards, profile=args.profile)


if __name__ == "__main__":
    sys.exit(main())
