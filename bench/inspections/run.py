"""Server time of an inspection's page with a 60-item checklist (issue 12 budget: ≤ 100 ms).

    .venv/bin/python -m bench.inspections.run                    # a throwaway PostgreSQL (tests.harness)
    .venv/bin/python -m bench.inspections.run --requests 50 --inspections 500
    .venv/bin/python -m bench.inspections.run --database-url postgres://…/empty_db

1. A throwaway PostgreSQL (or ``--database-url``, an empty database), ``migrate`` (the standard items),
   the demo city of ``seed_demo`` without its hazards, and the shipped checklists.
2. ``generate``: a published checklist of 60 items in 6 sections (the shipped items, a third of them
   判定标准 criteria), and ``--inspections`` completed inspections of the county's units with every item
   answered (written in bulk: the background the page's queries run against, not measured); then the
   inspection measured, through the services as on a phone: started on the spot by the county officer,
   40 items answered, 5 of them 不符合, each registering its hazard.
3. The page ``/inspections/<id>/`` requested in process through Django's test client (middleware,
   session, view, SQL, template; no network or browser): by its leader while it is in progress (every
   item with its answer form: the heaviest page), and by the municipal office once completed (read only).
   p50 / p95 / max in ms over ``--requests`` after ``--warmup``, this process's CPU per request, SQL
   statements and the HTML size. Exit status 0 when both p95 are within budget.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time

from bench.pages.render import measure
from bench.reminders.sweep import database, setup_django

BUDGET_MS = 100.0
ITEMS, SECTIONS = 60, 6


def log(message: str) -> None:
    print(f"[inspection-bench] {message}", flush=True)


def checklist():
    """A published 60-item checklist: the shipped checklists' items, 10 to a section."""
    from django.utils import timezone

    from accounts.models import Sector
    from inspections.models import ChecklistItem, ChecklistSection, ChecklistTemplate

    shipped = list(ChecklistItem.objects.order_by("section__template_id", "section__order", "order"))
    assert shipped, "no shipped checklist items (load_checklists)"
    criteria = [item for item in shipped if item.standard_item_id]
    general = [item for item in shipped if not item.standard_item_id]
    picked = (criteria[: ITEMS // 3] + general)[:ITEMS]
    picked += [shipped[i % len(shipped)] for i in range(ITEMS - len(picked))]
    template = ChecklistTemplate.objects.create(
        code="bench-60",
        name="基准检查表（60 项）",
        sector=Sector.objects.order_by("pk").first(),
        version=1,
        published_at=timezone.now(),
    )
    per_section = ITEMS // SECTIONS
    for index in range(SECTIONS):
        section = ChecklistSection.objects.create(template=template, order=index + 1, title=f"第 {index + 1} 部分")
        ChecklistItem.objects.bulk_create(
            ChecklistItem(
                section=section,
                order=number,
                text=item.text,
                standard_item_id=item.standard_item_id,
                mandatory=item.mandatory,
                photo_on_fail=item.photo_on_fail,
                category=item.category,
                factor=item.factor,
                default_requirements=item.default_requirements,
                default_working_days=item.default_working_days,
            )
            for number, item in enumerate(picked[index * per_section : (index + 1) * per_section], 1)
        )
    return template


def background(template, officer, units, count: int) -> None:
    """``count`` completed inspections with every item answered, written in bulk."""
    from django.utils import timezone

    from inspections.choices import Kind, Result, Status
    from inspections.models import Answer, ChecklistItem, Inspection

    items = list(ChecklistItem.objects.filter(section__template=template).values_list("pk", flat=True))
    now = timezone.now()
    results = [Result.PASS] * 8 + [Result.NOT_APPLICABLE, Result.NOT_CHECKED]
    for start in range(0, count, 200):
        inspections = Inspection.objects.bulk_create(
            Inspection(
                kind=Kind.ROUTINE,
                status=Status.COMPLETED,
                unit=unit,
                region=unit.region,
                sector=template.sector,
                template=template,
                planned_by=officer,
                planned_in=officer.region,
                leader=officer,
                started_at=now - datetime.timedelta(days=n % 365, hours=2),
                completed_at=now - datetime.timedelta(days=n % 365),
                summary="检查完毕。",
                acknowledged_by_name="张三",
                acknowledged_at=now - datetime.timedelta(days=n % 365),
            )
            for n in range(start, min(start + 200, count))
            for unit in (units[n % len(units)],)
        )
        Answer.objects.bulk_create(
            Answer(
                inspection=inspection,
                item_id=item,
                result=results[(inspection.pk + index) % len(results)],
                answered_by=officer,
                answered_at=inspection.completed_at,
            )
            for inspection in inspections
            for index, item in enumerate(items)
        )


def measured(template, officer, unit):
    """The inspection measured, through the services: 40 items answered, 5 of them 不符合 (5 hazards)."""
    from inspections import services
    from inspections.choices import Kind, Result
    from inspections.models import ChecklistItem

    inspection = services.inspection_start_on_spot(kind=Kind.ROUTINE, unit=unit, by=officer, template=template)
    items = list(
        ChecklistItem.objects.filter(section__template=template)
        .select_related("section", "standard_item")
        .order_by("section__order", "order")
    )
    for index, item in enumerate(items[:40]):
        failed = index % 8 == 3
        services.answer_record(
            inspection=inspection,
            item=item,
            result=Result.FAIL if failed else Result.PASS,
            comment="现场发现问题，已拍照留存。" if failed else "",
            by=officer,
        )
    return inspection


def run(requests: int, warmup: int, count: int, profile: bool = False) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client

    from accounts.choices import RegionLevel, Role
    from accounts.models import Region, ResponsibleUnit, User
    from demo.places import build_city
    from inspections import services
    from inspections.checklists import load_checklists
    from inspections.choices import Result
    from inspections.models import Answer, ChecklistItem, Inspection

    # The page is rendered without collectstatic: plain static URLs, as in development.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    with transaction.atomic():
        build_city()
        load_checklists()
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    officer = User.objects.filter(role=Role.COUNTY_OFFICER, region=county).order_by("pk").first()
    city = User.objects.filter(role=Role.MUNICIPAL_OFFICE).order_by("pk").first()
    units = list(ResponsibleUnit.objects.visible_to(officer).filter(is_active=True).select_related("region"))
    with transaction.atomic():
        template = checklist()
        background(template, officer, units, count)
        inspection = measured(template, officer, units[0])
    log(
        f"data in {time.monotonic() - started:.1f} s: {Inspection.objects.count():,} inspections, "
        f"{Answer.objects.count():,} answers; the page of inspection {inspection.pk} ({county.name}, 60 items, "
        f"40 answered, {Answer.objects.filter(inspection=inspection, hazard__isnull=False).count()} hazards)"
    )
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DEBUG = True  # only so that connection.queries counts the SQL of each request
    path = f"/inspections/{inspection.pk}/"
    print(f"\n{'who':<28} {'p50':>7} {'p95':>7} {'max':>7} {'cpu':>6} {'SQL':>4} {'KB':>6}  budget", flush=True)
    ok = True
    for label, user, complete in (
        ("组长, in progress (forms)", officer, False),
        ("city office, completed", city, True),
    ):
        if complete:
            for item in ChecklistItem.objects.filter(section__template=template).exclude(
                pk__in=Answer.objects.filter(inspection=inspection).values("item_id")
            ):
                services.answer_record(inspection=inspection, item=item, result=Result.PASS, by=officer)
            services.inspection_complete(
                inspection=Inspection.objects.get(pk=inspection.pk),
                by=officer,
                summary="检查完毕，发现隐患 5 项。",
                acknowledged_by_name="张三",
            )
        client = Client()
        client.force_login(user)
        figures = measure(client, [path], requests, warmup)
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(20):
                client.get(path, secure=True)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            from django.db import connection, reset_queries

            reset_queries()
            client.get(path, secure=True)
            for query in connection.queries:
                print(f"SQL {query['time']} {query['sql'][:600]}")
        passed = figures["p95"] <= BUDGET_MS
        ok = ok and passed
        print(
            f"{label:<28} {figures['p50']:7.1f} {figures['p95']:7.1f} {figures['max']:7.1f} {figures['cpu']:6.1f}"
            f" {figures['queries']:4d} {figures['kb']:6.1f}  {'PASS' if passed else 'FAIL'}",
            flush=True,
        )
    log(f"budget p95 ≤ {BUDGET_MS:.0f} ms: {'met' if ok else 'NOT MET'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of a throwaway cluster")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up requests per page (default 20)")
    parser.add_argument(
        "--inspections", type=int, default=2000, help="completed inspections in the background (default 2000)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile 20 more requests of each page")
    args = parser.parse_args()
    with database(args.database_url) as url, tempfile.TemporaryDirectory() as var_dir:
        setup_django(url, var_dir)
        return run(args.requests, args.warmup, args.inspections, args.profile)


if __name__ == "__main__":
    sys.exit(main())
