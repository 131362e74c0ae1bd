"""What the search table's triggers add to 列单 and 交单, at 1,000,000 hazards in PostgreSQL.

    .venv/bin/python -m bench.pages.search_writes                 # bench/out/pg, as bench.api.load left it
    .venv/bin/python -m bench.pages.search_writes --rounds 200 --database-url postgres://…/hazard_ledger

As 红旗区's officer (``hq_officer``), ``--rounds`` times: register a hazard (``hazard_register``) and hand
it to a unit (``hazard_assign``), through the services, once with the triggers and once with them
disabled, alternating in blocks of 20 so that a busy machine weighs on both alike. Everything runs in a
transaction that is rolled back: the database is left as it was. Prints p50 / p95 / mean in ms per
service call for each mode, and the difference of the means.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from bench.api.load import percentile
from bench.api.servers import OUT, django_on_bench_database

TRIGGERS = ("hazard_search_insert", "hazard_search_update")


class Rollback(Exception):
    pass


def measure(rounds: int, block: int = 20) -> dict[str, dict[str, list[float]]]:
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import ResponsibleUnit, Sector, User
    from core.workdays import add_working_days
    from hazards import services
    from hazards.choices import Category, Factor, Source

    officer = User.objects.get(username="hq_officer")
    county = officer.region
    village = county.children.first().children.first()
    unit = ResponsibleUnit.objects.filter(region__path__startswith=county.path).first()
    sector = Sector.objects.filter(parent__isnull=False).first()
    deadline = add_working_days(timezone.localdate(), 10)
    times: dict[str, dict[str, list[float]]] = {
        mode: {"register": [], "assign": []} for mode in ("triggers", "no triggers")
    }
    try:
        with transaction.atomic():
            for start in range(0, rounds * 2, block):
                mode = "triggers" if (start // block) % 2 == 0 else "no triggers"
                action = "ENABLE" if mode == "triggers" else "DISABLE"
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending events: ALTER TABLE refuses
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                    for trigger in TRIGGERS:
                        cursor.execute(f"ALTER TABLE hazards_hazard {action} TRIGGER {trigger}")
                for _ in range(block):
                    details = services.HazardDetails(
                        region=village,
                        sector=sector,
                        title="配电箱未接地",
                        description="生产车间东侧配电箱外壳未可靠接地，存在触电风险。",
                        category=Category.SITE_MANAGEMENT,
                        factor=Factor.OBJECT,
                        source=Source.ROUTINE,
                        address="红旗区某工业园 3 号车间",
                    )
                    started = time.perf_counter()
                    hazard = services.hazard_register(details=details, by=officer)
                    times[mode]["register"].append((time.perf_counter() - started) * 1000)
                    started = time.perf_counter()
                    services.hazard_assign(
                        hazard=hazard,
                        by=officer,
                        unit=unit,
                        responsible_person="李四",
                        requirements="立即整改。",
                        deadline=deadline,
                    )
                    times[mode]["assign"].append((time.perf_counter() - started) * 1000)
            raise Rollback
    except Rollback:
        pass
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="use this PostgreSQL database instead of bench/out/pg")
    parser.add_argument("--data-dir", type=Path, default=OUT / "pg", help="PostgreSQL folder (default bench/out/pg)")
    parser.add_argument("--rounds", type=int, default=200, help="hazards registered and assigned per mode")
    args = parser.parse_args(argv)
    with django_on_bench_database(args.database_url, args.data_dir, loaded=True):
        times = measure(args.rounds)
        print(f"\n{'service':<10} {'mode':<12} {'p50':>7} {'p95':>7} {'mean':>7}")
        for action in ("register", "assign"):
            for mode, by_action in times.items():
                values = by_action[action]
                print(
                    f"{action:<10} {mode:<12} {percentile(values, 50):7.2f} {percentile(values, 95):7.2f}"
                    f" {statistics.mean(values):7.2f}"
                )
            extra = statistics.mean(times["triggers"][action]) - statistics.mean(times["no triggers"][action])
            print(f"{action:<10} {'the triggers add':<12} {extra:+.2f} ms on average")
        return 0


if __name__ == "__main__":
    sys.exit(main())
