"""Workflow notifications at scale: plan the events of 20,000 hazards (交单 and 待验收, 40,000 events) into
the ledger, plan them all again from the start (nothing added), deliver the inbox ones.

    .venv/bin/python -m bench.reminders.events                   # a throwaway cluster (tests.harness)
    .venv/bin/python -m bench.reminders.events --hazards 5000

The city and hazards are those of bench.reminders.sweep; the events are inserted in one statement after
the planner's first run (which starts its cursor at the newest event), as the services would write them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

from bench.reminders.sweep import database, load_hazards, log, reference_data, setup_django, stop_on_sigterm

EVENTS_SQL = """
INSERT INTO hazards_hazardevent (hazard_id, action, actor_id, at, from_status, to_status, changes, comment)
SELECT h.id, a.action, NULL, now(), '', '', '{}'::jsonb, a.comment
FROM hazards_hazard h CROSS JOIN (VALUES ('assign', ''), ('submit', '已整改')) AS a(action, comment)
WHERE h.number LIKE 'YH-BENCH-%%'
ORDER BY h.id, a.action
"""


def run(hazards: int) -> int:
    from django.db import connection

    from reminders import services
    from reminders.models import EventCursor, Notification

    reference_data()
    load_hazards(hazards)
    services.plan_events()  # the cursor starts at the newest event
    with connection.cursor() as cursor:
        cursor.execute(EVENTS_SQL)
        events = cursor.rowcount
    log(f"inserted {events:,} events")

    def plan_all() -> tuple[int, float, int]:
        started, added, runs = time.monotonic(), 0, 0
        while True:
            before = EventCursor.objects.get().last_event_id
            added += services.plan_events()
            runs += 1
            if EventCursor.objects.get().last_event_id == before:
                return added, time.monotonic() - started, runs

    added, seconds, runs = plan_all()
    rows = Notification.objects.exclude(event=None).count()
    EventCursor.objects.update(last_event_id=EventCursor.objects.get().start_event_id)
    again, again_seconds, again_runs = plan_all()
    started = time.monotonic()
    messages = services.deliver_immediate()
    deliver_seconds = time.monotonic() - started
    started = time.monotonic()
    services.plan_events()
    steady = time.monotonic() - started
    print()
    print(f"events                      {events:>9,}")
    print(
        f"rows planned                {added:>9,} in {seconds:.2f} s over {runs} runs ({added / seconds:,.0f} rows/s)"
    )
    print(f"planned again from start    {again:>9,} added in {again_seconds:.2f} s over {again_runs} runs")
    print(f"a run with nothing new      {steady * 1000:>9.0f} ms (re-reads the last 1,000 ids)")
    print(f"deliver_immediate           {messages:>9,} inbox messages in {deliver_seconds:.2f} s")
    failures = []
    if again:
        failures.append(f"planning again added {again} rows")
    if rows != added:
        failures.append(f"{rows} event rows in the ledger, {added} reported")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hazards", type=int, default=20_000, help="hazards with a 交单 and a 待验收 each")
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of a throwaway cluster")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="events-bench-") as var_dir, database(args.database_url) as url:
        setup_django(url, var_dir)
        return run(args.hazards)


if __name__ == "__main__":
    sys.exit(main())
