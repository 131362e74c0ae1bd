"""The 台账 import at scale: 100,000 hazard rows checked and previewed (budget 20 s), then imported by
the real task through the services in one history batch (budget 120 s) in a separate worker process
whose peak memory is measured (budget 300 MB).

    .venv/bin/python -m bench.imports.run                 # a throwaway cluster (tests.harness)
    .venv/bin/python -m bench.imports.run --rows 20000 --database-url postgres://…/empty_db

1. A throwaway PostgreSQL (or ``--database-url``, an empty database), ``migrate`` and the demo city of
   ``seed_demo`` without its hazards (新乡市: 12 counties, about 200 units with credit codes).
2. ``generate``: a ledger of ``--rows`` rows in the template's columns for one county, every row valid:
   units named by credit code (every fifth by name), 80 % 已交办, 10 % 已登记, 10 % 已销号 on paper
   (imported as 已交办), 2 % major; found over the last two years. Written with openpyxl (not timed).
3. Preview: the upload checked, read with python-calamine, every row validated, the preview page rendered
   and the 逐行检查结果 report written; each step timed.
4. Import: a job confirmed as the page does, then ``hazards.tasks.import_ledger`` run in a child
   process (a worker: it checks the file again, records every row, writes the result report); its wall
   time and peak RSS (the child's VmHWM) are printed, then the hazards and events counted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

from bench.reminders.sweep import database, setup_django

PREVIEW_BUDGET, IMPORT_BUDGET, MEMORY_BUDGET_MB = 20.0, 120.0, 300


def log(message: str) -> None:
    print(f"[import-bench] {message}", flush=True)


def generate(rows: int, *, officer, units, regions, sector_names) -> bytes:
    from openpyxl import Workbook

    from hazards.imports.columns import HEADERS

    rng = random.Random(12)
    from django.utils import timezone

    today = timezone.localdate()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("隐患台账")
    sheet.append(list(HEADERS))
    statuses = ["已交办"] * 8 + ["已登记", "已销号"]
    for i in range(rows):
        unit = units[i % len(units)]
        found = today - datetime.timedelta(days=1 + rng.randrange(730))
        major = i % 50 == 0
        sheet.append(
            [
                found.isoformat(),
                unit.region.code if unit.region in regions else rng.choice(regions).code,
                f"{i % 30 + 1} 号车间",
                unit.name if i % 5 == 0 else unit.credit_code,
                sector_names[i % len(sector_names)],
                f"隐患 {i:06d}：配电箱未接地",
                "生产车间东侧配电箱外壳未可靠接地，存在触电风险。",
                "现场管理类",
                "物的因素",
                "日常检查",
                "重大" if major else "一般",
                "工贸企业重大事故隐患判定标准" if major else "",
                "第四条第（一）项" if major else "",
                "李四",
                "立即整改",
                (found + datetime.timedelta(days=30)).isoformat(),
                statuses[i % 10],
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its /proc stat; the database's backend is local)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker(job_id: int) -> None:
    from django.db import connection

    from core import jobs
    from hazards.tasks import import_ledger

    # CPU time, beside the wall time: on a machine shared with other work, what the import costs is
    # steadier than how long it took. The backend's is the import's transaction (the progress reports
    # go through another connection).
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    cpu = cpu_seconds(os.getpid()), cpu_seconds(backend)
    started = time.monotonic()
    advance = jobs.job_advance

    def advance_and_tell(**kwargs):  # the worker's progress, time and memory as the job records it
        with open("/proc/self/statm") as statm:
            rss = int(statm.read().split()[1]) * resource.getpagesize() / 2**20
        print(f"  {time.monotonic() - started:7.1f} s  {kwargs.get('done', 0):>7} rows  RSS {rss:5.0f} MB", flush=True)
        return advance(**kwargs)

    jobs.job_advance = advance_and_tell
    import_ledger(job_id)
    # VmHWM, the peak RSS of this process since it was exec'd. Not ru_maxrss: Linux carries the parent's
    # high-water mark at fork over to the child, so that reported the bench's own memory (the whole
    # checked file), not the worker's.
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    elapsed = time.monotonic() - started
    worker_cpu, backend_cpu = cpu_seconds(os.getpid()) - cpu[0], cpu_seconds(backend) - cpu[1]
    print(f"WORKER {elapsed:.2f} {peak:.0f} {worker_cpu:.2f} {backend_cpu:.2f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="cProfile the check and the worker's import into DIR/{check,import}.prof (and print the top calls)",
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        setup_django(args.database_url, args.var_dir)
        with profiled(args.profile, "import"):
            worker(args.worker)
        return 0
    with database(args.database_url) as url, tempfile.TemporaryDirectory() as var_dir:
        setup_django(url, var_dir)
        return run(args.rows, url, var_dir, profile=args.profile)


@contextlib.contextmanager
def profiled(folder: str | None, name: str) -> Iterator[None]:
    """Run the block under cProfile when ``folder`` is given: DIR/NAME.prof, and the top calls printed."""
    if not folder:
        yield
        return
    import cProfile
    import pstats
    import re
    from collections import Counter

    from django.db import connection

    sql_seconds: Counter[str] = Counter()

    def timed(execute, sql, params, many, context):  # the database's time per statement kind and table
        started = time.monotonic()
        try:
            return execute(sql, params, many, context)
        finally:
            words = re.match(r'\s*(\w+)(?:.*?(?:INTO|FROM|UPDATE)\s+"?(\w+))?', sql, re.S | re.I)
            sql_seconds[" ".join(filter(None, words.groups())) if words else sql[:30]] += time.monotonic() - started

    profile = cProfile.Profile()
    profile.enable()
    try:
        with connection.execute_wrapper(timed):
            yield
    finally:
        profile.disable()
        for statement, seconds in sql_seconds.most_common(12):
            print(f"SQL {seconds:8.2f} s  {statement}", flush=True)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{name}.prof")
        profile.dump_stats(path)
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
        print(f"--- {name} profile ({path}) ---\n{out.getvalue()}", flush=True)


def run(rows: int, url: str, var_dir: str, *, profile: str | None = None) -> int:
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import transaction
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from accounts.choices import RegionLevel, Role
    from accounts.models import Region, ResponsibleUnit, Sector, User
    from core import jobs
    from core.imports import files, run, sheets
    from core.imports import rows as outcomes
    from core.imports.views import PREVIEW_ROWS
    from core.models import Job
    from demo.places import build_city
    from hazards.imports import HAZARDS
    from hazards.models import Hazard, HazardEvent

    # The page is rendered without collectstatic: plain static URLs, as in development.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    with transaction.atomic():
        build_city()
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    officer = User.objects.filter(role=Role.COUNTY_OFFICER, region=county).order_by("pk").first()
    units = list(
        ResponsibleUnit.objects.visible_to(officer).exclude(credit_code="").select_related("region").order_by("pk")
    )
    regions = list(Region.objects.visible_to(officer).exclude(level=RegionLevel.COUNTY))
    sector_names = list(Sector.objects.values_list("name", flat=True))
    log(f"migrate and the demo city in {time.monotonic() - started:.1f} s; {county.name}, {len(units)} units")

    started = time.monotonic()
    content = generate(rows, officer=officer, units=units, regions=regions, sector_names=sector_names)
    log(f"generated {rows} rows, {len(content) / 1e6:.1f} MB .xlsx, in {time.monotonic() - started:.1f} s")

    upload = SimpleUploadedFile("台账.xlsx", content)
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    kind = files.check_ledger(upload, upload.name, upload.size)
    table = list(files.read_rows(upload, kind))
    timings["read (calamine)"] = time.monotonic() - t0
    t1 = time.monotonic()
    with profiled(profile, "check"):
        preview = HAZARDS.check(table, user=officer)
    timings["validate"] = time.monotonic() - t1
    t2 = time.monotonic()
    reference = run.stage(upload, user=officer, kind=kind)
    request = RequestFactory().get("/")
    request.user = officer
    shown = sorted(preview.rows, key=lambda row: row.outcome != outcomes.INVALID)[:PREVIEW_ROWS]
    html = render_to_string(
        "imports/preview.html",
        {
            "kind": HAZARDS,
            "urls": {},
            "preview": preview,
            "rows": [(row, " · ".join(filter(None, (row.cells[k] for k in HAZARDS.preview_columns)))) for row in shown],
            "hidden": len(preview.rows) - len(shown),
            "reference": reference,
            "counts": {"total": len(preview.rows)},
        },
        request=request,
    )
    timings["stage + render page"] = time.monotonic() - t2
    previewed = time.monotonic() - t0
    t3 = time.monotonic()
    report = sheets.report(HAZARDS, preview.rows)
    timings["report .xlsx (download)"] = time.monotonic() - t3
    for name, seconds in timings.items():
        log(f"  {name:<24} {seconds:6.2f} s")
    outcome = {o: preview.count(o) for o in (outcomes.NEW, outcomes.DUPLICATE, outcomes.INVALID)}
    log(
        f"preview of {len(preview.rows)} rows {outcome}: {previewed:.2f} s (budget {PREVIEW_BUDGET:.0f} s; "
        f"page {len(html) / 1e3:.0f} kB, report {len(report) / 1e6:.1f} MB not counted)"
    )
    if outcome[outcomes.INVALID]:
        log(f"unexpected errors, e.g. row {preview.invalid[0].number}: {preview.invalid[0].errors}")
        return 1
    del table, preview, html, report

    job = jobs.job_create(kind=HAZARDS.job_kind, owner=officer, scope={"file": reference})
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.imports.run",
            "--worker",
            str(job.pk),
            "--database-url",
            url,
            "--var-dir",
            var_dir,
            *(["--profile", profile] if profile else []),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    print(child.stdout.split("--- import profile")[0] if not profile else child.stdout, flush=True)
    line = next((x for x in child.stdout.splitlines() if x.startswith("WORKER ")), None)
    job.refresh_from_db()
    if line is None or job.state != "succeeded":
        log(f"the worker failed: {job.state} {job.error}\n{child.stdout}\n{child.stderr[-3000:]}")
        return 1
    _, seconds, peak, worker_cpu, backend_cpu = line.split()
    hazards, events = Hazard.objects.count(), HazardEvent.objects.count()
    log(
        f"import by the worker task: {float(seconds):.2f} s (budget {IMPORT_BUDGET:.0f} s), "
        f"peak RSS {peak} MB (budget {MEMORY_BUDGET_MB}); {hazards} hazards, {events} events written"
    )
    log(f"CPU time: worker {worker_cpu} s, its PostgreSQL backend {backend_cpu} s (load {os.getloadavg()[0]:.1f})")
    ok = previewed <= PREVIEW_BUDGET and float(seconds) <= IMPORT_BUDGET and int(peak) <= MEMORY_BUDGET_MB
    log("within budget" if ok else "OVER BUDGET")
    assert Job.objects.get(pk=job.pk).done == outcome[outcomes.NEW]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
