"""A 100,000-row ledger export (导出台账) end to end, against issue 11's budgets: ≤ 30 s, ≤ 150 MB peak
memory of the worker.

    .venv/bin/python -m bench.reports.export              # loads 100,000 hazards the first time
    .venv/bin/python -m bench.reports.export --rows 1000000 --export-rows 100000

The data is the API benchmark's (bench/out/pg, kept between runs; ``bench.api.generate`` loads it when
it holds fewer than ``--rows`` hazards). The municipal office (``city``) asks for the ledger of the
newest ``--export-rows`` hazards through the list's own filter (``found_after``), as the 导出 button
does; the job is made as ``reports.exports.export_create`` makes it and run by ``reports.exports.export_run``
in a separate process started for it alone, as a Celery worker would run the task: its wall time (from
claiming the job to the stored file) and its peak resident memory (``ru_maxrss`` of that process, all of
Python, Django and the connection included) are measured. Then the same rows, already read into a list,
are written by bare XlsxWriter (constant-memory, no formats, ``write_row``) in this process, in the same
run: the export reads, scopes and formats as well, but writes its rows without XlsxWriter's per-cell
calls (``reports.xlsx.RowStream``), so the ratio is below 1 when that pays. Each budget is printed with
PASS or FAIL; exit status 1 when one is missed.
"""

from __future__ import annotations

import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from bench.api.servers import OUT
from bench.reports.live import arguments, loaded, log

BUDGETS = {"seconds": 30.0, "peak_mb": 150.0}


def worker(job_id: int) -> None:
    """The child: Django set up as a worker is, the task run once, its figures printed as JSON."""
    import django

    django.setup()
    from config.celery import app
    from core import jobs
    from reports import exports

    app.loader.import_default_modules()  # what a worker has loaded before its first task
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finish = jobs.job_finish
    written: dict[str, float] = {}

    def job_finish(**kwargs):
        written["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        written["seconds"] = time.perf_counter() - started
        return finish(**kwargs)

    jobs.job_finish = job_finish
    started, cpu = time.perf_counter(), time.process_time()
    ran = exports.export_run(job_id)
    figures = {
        "ran": ran,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "baseline_mb": baseline,
        "written_mb": written.get("peak_mb"),
        "written_seconds": written.get("seconds"),
    }
    print(json.dumps(figures), flush=True)


def run(export_rows: int) -> dict:
    from django.conf import settings

    from accounts.models import User
    from core import jobs
    from core.models import Job
    from hazards.models import Hazard
    from reports import exports

    city = User.objects.get(username="city")
    newest = Hazard.objects.visible_to(city).order_by("-found_at").values_list("found_at", flat=True)
    edge = newest[export_rows - 1]
    params = {"found_after": edge.isoformat()}
    expected = Hazard.objects.visible_to(city).filter(found_at__gte=edge).count()
    # As export_create does, without queueing the task: the child process runs it.
    job = jobs.job_create(kind=exports.JOB_KIND, owner=city, scope=exports.check_request(city, "ledger", params))
    log(f"job {job.pk}: the city's ledger from {edge:%Y-%m-%d %H:%M}, {expected:,} hazards")

    child = subprocess.run(
        [sys.executable, "-m", "bench.reports.export", "--worker", str(job.pk)],
        env={**os.environ, "MEDIA_ROOT": str(settings.MEDIA_ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    figures["children_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    job = Job.objects.get(pk=job.pk)
    assert job.state == "succeeded", (job.state, job.error, child.stderr[-2000:])
    figures["size_mb"] = job.result.size / 1024 / 1024
    figures["rows"] = job.total
    assert job.total == expected, (job.total, expected)

    import openpyxl

    with job.result.open("rb") as handle:
        sheet = openpyxl.load_workbook(handle, read_only=True)["隐患台账"]
        written = sheet.max_row - 2  # the dimension XlsxWriter records; the tests read every cell
        last = next(sheet.iter_rows(min_row=sheet.max_row, values_only=True))
        assert last[0] and isinstance(last[11], datetime.datetime), last
    assert written == expected, (written, expected)
    log(f"the file opens with openpyxl: {written:,} rows, {figures['size_mb']:.1f} MB")

    # The same rows, read beforehand, written by XlsxWriter with nothing else.
    import xlsxwriter
    from django.utils import timezone

    rows = list(
        exports.ledger_rows(exports.ledger_hazards(city, {k: [v] for k, v in params.items()}), timezone.localdate())
    )
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        book = xlsxwriter.Workbook(os.path.join(folder, "bare.xlsx"), {"constant_memory": True})
        sheet = book.add_worksheet()
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row)
        book.close()
        figures["bare_seconds"] = time.perf_counter() - started
    job.result.delete()
    return figures


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]))
        return 0
    parser = arguments(__doc__)
    parser.set_defaults(rows=100_000)
    parser.add_argument("--export-rows", type=int, default=100_000, help="hazards in the ledger (default 100,000)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MEDIA_ROOT", str(OUT / "media"))
    with loaded(args):
        figures = run(args.export_rows)
    ratio = figures["seconds"] / figures["bare_seconds"]
    in_time = figures["seconds"] <= BUDGETS["seconds"]
    in_memory = figures["peak_mb"] <= BUDGETS["peak_mb"]
    print()
    print(f"rows exported                     {figures['rows']:>10,}")
    print(f"export wall time (worker)         {figures['seconds']:>10.1f} s    budget ≤ 30 s     {_verdict(in_time)}")
    print(f"  CPU time of the worker            {figures['cpu_seconds']:>10.1f} s")
    print(f"  file written (before storing it)  {figures['written_seconds']:>10.1f} s")
    print(f"peak memory of the worker         {figures['peak_mb']:>10.1f} MB   budget ≤ 150 MB   {_verdict(in_memory)}")
    print(f"  the worker before the task        {figures['baseline_mb']:>10.1f} MB   (Django, the apps, the tasks)")
    print(f"  the export's own                  {figures['peak_mb'] - figures['baseline_mb']:>10.1f} MB")
    print(f"  peak when the file was written    {figures['written_mb']:>10.1f} MB")
    print(f"bare XlsxWriter, same rows        {figures['bare_seconds']:>10.1f} s")
    print(f"export ÷ bare XlsxWriter (wall)   {ratio:>10.2f} ×")
    print(f"budget ÷ export wall time         {BUDGETS['seconds'] / figures['seconds']:>10.2f} ×")
    print(f"file size                         {figures['size_mb']:>10.1f} MB")
    ok = in_time and in_memory
    print("budgets", _verdict(ok))
    return 0 if ok else 1


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


if __name__ == "__main__":
    sys.exit(main())
