"""Exports as xlsx through a core job: the files open with openpyxl, their totals are the stats API's,
the headers and merges are the official layout's; scoping, expiry and bad input."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.base import ContentFile

from core import jobs
from core.models import Job
from reports import exports
from reports.layouts import LAYOUTS, header_grid
from reports.models import SectorTableRow
from reports.xlsx import LEDGER_COLUMNS

ALL_BUT_VOID = ["listed", "assigned", "rectifying", "submitted", "closed"]


def export(client, django_capture_on_commit_callbacks, body: dict) -> dict:
    """POST /api/v1/exports/, then the queued task run as the worker would, then the job's status."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/exports/", body, format="json")
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"].endswith(f"/api/v1/jobs/{job['id']}/")
    assert job["kind"] == "reports.export"
    status = client.get(f"/api/v1/jobs/{job['id']}/").json()
    assert status["state"] == "succeeded", status
    assert status["percent"] == 100
    return status


def workbook(client, status: dict) -> openpyxl.Workbook:
    response = client.get(status["result_url"])
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture(autouse=True)
def tasks_run_in_process(monkeypatch):
    """The worker, stood in for: a queued export runs as soon as its transaction commits."""
    from reports import tasks

    monkeypatch.setattr(tasks.export, "delay", lambda job_id: tasks.export(job_id))


def test_the_ledger_has_every_hazard_of_the_filter_with_real_dates_and_numbers(
    ledger, api, django_capture_on_commit_callbacks
):
    client = api("city_office")
    status = export(client, django_capture_on_commit_callbacks, {"kind": "ledger", "params": {"status": ALL_BUT_VOID}})
    book = workbook(client, status)
    sheet = book["隐患台账"]
    header = [cell.value for cell in sheet[2]]
    assert header == [column.header for column in LEDGER_COLUMNS]
    rows = [dict(zip(header, (cell.value for cell in row), strict=True)) for row in sheet.iter_rows(min_row=3)]
    stats = client.get("/api/v1/stats/closure/").json()["total"]
    assert len(rows) == stats["found"] == 9
    assert sum(1 for row in rows if row["隐患等级"] == "重大") == stats["major_found"]
    assert sum(1 for row in rows if row["状态"] == "已销号") == stats["closed"]
    assert sum(row["整改资金（元）"] or 0 for row in rows) == 7500
    assert sum(1 for row in rows if row["逾期天数"]) == stats["overdue_open"]
    h1 = next(row for row in rows if row["隐患编号"] == ledger.h1.number)
    assert h1["发现时间"] == datetime.datetime(2026, 3, 2, 10, 0)  # the Asia/Shanghai wall clock
    assert h1["整改期限"] == datetime.datetime(2026, 3, 10)  # a date cell (openpyxl reads it as midnight)
    assert isinstance(h1["整改资金（元）"], float | int)
    h4 = next(row for row in rows if row["隐患编号"] == ledger.h4.number)
    assert h4["逾期天数"] == (datetime.date(2026, 6, 20) - datetime.date(2026, 5, 1)).days
    assert sheet.freeze_panes == "A3"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.print_title_rows == "$2:$2"


def test_the_ledger_takes_the_lists_own_filters_and_the_requesters_scope(
    ledger, api, django_capture_on_commit_callbacks
):
    client = api("hq_officer")
    status = export(client, django_capture_on_commit_callbacks, {"kind": "ledger", "params": {"level": "major"}})
    numbers = {row[0].value for row in workbook(client, status)["隐患台账"].iter_rows(min_row=3)}
    assert numbers == {ledger.h7.number, ledger.h8.number}
    # 卫滨区's officer asking for everything gets 卫滨区's one hazard.
    client = api("wb_officer")
    status = export(client, django_capture_on_commit_callbacks, {"kind": "ledger"})
    numbers = {row[0].value for row in workbook(client, status)["隐患台账"].iter_rows(min_row=3)}
    assert numbers == {ledger.h10.number}


def test_text_is_never_a_formula(ledger, api, django_capture_on_commit_callbacks):
    from hazards.models import Hazard

    Hazard.objects.filter(pk=ledger.h1.pk).update(title='=HYPERLINK("http://evil","x")')
    client = api("hq_officer")
    status = export(client, django_capture_on_commit_callbacks, {"kind": "ledger", "params": {"q": "HYPERLINK"}})
    cell = workbook(client, status)["隐患台账"]["B3"]
    assert cell.value == '=HYPERLINK("http://evil","x")' and cell.data_type == "s"


def test_the_stats_export_is_the_stats_api_total_first(ledger, api, django_capture_on_commit_callbacks):
    client = api("city_office")
    query = {"group_by": "county,sector", "found_after": "2026-01-01", "found_before": "2026-06-30"}
    status = export(client, django_capture_on_commit_callbacks, {"kind": "stats", "params": query})
    sheet = workbook(client, status)["隐患整改统计"]
    header = [cell.value for cell in sheet[2]]
    total = dict(zip(header, (cell.value for cell in sheet[3]), strict=True))
    api_total = client.get("/api/v1/stats/closure/", query).json()["total"]
    assert total["区县"] == "合计"
    assert total["排查隐患数"] == api_total["found"] == 9
    assert total["已销号"] == api_total["closed"]
    assert total["整改率"] == pytest.approx(api_total["closure_rate"])
    assert total["累计落实治理资金（万元）"] == pytest.approx(api_total["funds"])
    lines = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(lines) == len(client.get("/api/v1/stats/closure/", query).json()["rows"])
    empty = next(line for line in lines if line[0] == "410703" and line[2] == "trade")
    assert empty[header.index("整改率")] == "/"
    assert sum(line[header.index("排查隐患数")] for line in lines) == total["排查隐患数"]


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_an_official_table_has_the_layouts_merged_header_and_the_apis_figures(
    ledger, api, django_capture_on_commit_callbacks, name
):
    SectorTableRow.objects.create(sector=ledger.world.sector, row="mine.other")
    SectorTableRow.objects.create(sector=ledger.trade, row="mine.other")
    layout = LAYOUTS[name]
    params = {"date": "2026-06-20"} if layout.kind == "national" else {"found_after": "2026-01-01"}
    client = api("city_office")
    status = export(client, django_capture_on_commit_callbacks, {"kind": "table", "table": name, "params": params})
    sheet = workbook(client, status).worksheets[0]
    assert sheet["A1"].value == layout.title
    top = 4  # title, 填报单位 and period, as-of: the header starts on row 4
    merged = {str(r) for r in sheet.merged_cells.ranges}
    from openpyxl.utils import get_column_letter

    for r, c, cell in header_grid(layout.header):
        assert sheet.cell(top + r, 1 + c).value == cell.text
        if cell.rowspan > 1 or cell.colspan > 1:
            first = f"{get_column_letter(1 + c)}{top + r}"
            last = f"{get_column_letter(c + cell.colspan)}{top + r + cell.rowspan - 1}"
            assert f"{first}:{last}" in merged, (cell, merged)
    body = client.get(f"/api/v1/stats/tables/{name}/", params).json()
    first_row = top + len(layout.header)
    for i, row in enumerate(body["rows"]):
        values = [sheet.cell(first_row + i, 1 + j).value for j in range(len(layout.columns) + 1)]
        assert values[0].strip() == row["label"]
        for column, cell, value in zip(body["columns"], row["cells"], values[1:], strict=True):
            if cell in ("—", "/"):
                assert value == cell
            elif column["kind"] == "count":
                assert value == int(cell)  # a number, not text
            else:
                assert value == pytest.approx(float(cell))
    assert sheet.freeze_panes == f"A{first_row}"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    if layout.kind == "national":
        assert sheet.cell(top + 3, 2).value == "（家）" and sheet.cell(top + 3, 16).value == "（万元）"


def test_someone_elses_export_is_404_everywhere(ledger, api, client, django_capture_on_commit_callbacks):
    status = export(api("hq_officer"), django_capture_on_commit_callbacks, {"kind": "ledger"})
    job_id = status["id"]
    for persona in ("hq_supervisor", "wb_officer", "city_office"):  # a colleague, an outsider, the city
        other = api(persona)
        assert other.get(f"/api/v1/jobs/{job_id}/").status_code == 404
        assert other.get(f"/api/v1/jobs/{job_id}/result/").status_code == 404
        client.force_login(getattr(ledger.world, persona))
        assert client.get(f"/reports/exports/{job_id}/").status_code == 404
        assert client.get(f"/jobs/{job_id}/result/").status_code == 404
    client.force_login(ledger.world.hq_officer)
    page = client.get(f"/reports/exports/{job_id}/")
    assert page.status_code == 200 and "下载结果" in page.content.decode()


def test_an_export_file_expires(ledger, api, client, django_capture_on_commit_callbacks, time_machine):
    status = export(api("hq_officer"), django_capture_on_commit_callbacks, {"kind": "ledger"})
    job = Job.objects.get(pk=status["id"])
    path = job.result.path
    time_machine.shift(datetime.timedelta(hours=23))
    assert exports.expired_results() == 0
    time_machine.shift(datetime.timedelta(hours=2))
    assert exports.expired_results() == 1
    assert exports.expired_results() == 0  # safe to run twice
    import os

    assert not os.path.exists(path)
    assert api("hq_officer").get(f"/api/v1/jobs/{job.pk}/result/").status_code == 404
    client.force_login(ledger.world.hq_officer)
    assert "文件已过期删除" in client.get(f"/reports/exports/{job.pk}/").content.decode()


def test_other_jobs_files_do_not_expire_with_exports(world, time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 20, 4, tzinfo=datetime.UTC), tick=False)
    job = jobs.job_create(kind="hazards.ledger_import", owner=world.hq_officer, scope={})
    jobs.job_start(job_id=job.pk)
    jobs.job_finish(job_id=job.pk, result=ContentFile(b"x"), name="r.xlsx")
    time_machine.shift(datetime.timedelta(days=2))
    assert exports.expired_results() == 0
    assert Job.objects.get(pk=job.pk).result


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"kind": "pdf"}, 400, "kind"),
        ({"kind": "ledger", "params": {"level": "minor"}}, 400, "params"),
        ({"kind": "ledger", "params": {"colour": "red"}}, 400, "params"),
        ({"kind": "stats", "params": {"group_by": "foo"}}, 400, "params"),
        ({"kind": "table"}, 400, "table"),
        ({"kind": "table", "table": "nope"}, 400, "table"),
        ({"kind": "table", "table": "mine", "params": {"date": "2026-02-30"}}, 400, "params"),
        ({"kind": "ledger", "extra": 1}, 400, "extra"),
        ({"kind": "stats", "params": {"region": "410702"}}, 404, None),
        ({"kind": "table", "table": "counties", "params": {"region": "410702"}}, 404, None),
    ],
)
def test_bad_requests_are_refused_before_anything_is_queued(world, api, body, status, field):
    response = api("wb_officer").post("/api/v1/exports/", body, format="json")
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["fields"], response.json()
    assert not Job.objects.exists()


def test_a_unit_contact_exports_its_ledger_but_no_official_table(ledger, api, django_capture_on_commit_callbacks):
    client = api("unit_demo")
    refused = client.post("/api/v1/exports/", {"kind": "table", "table": "mine"}, format="json")
    assert refused.status_code == 403
    status = export(client, django_capture_on_commit_callbacks, {"kind": "ledger"})
    numbers = {row[0].value for row in workbook(client, status)["隐患台账"].iter_rows(min_row=3)}
    assert ledger.h10.number not in numbers and ledger.h1.number in numbers


def test_the_list_page_export_carries_the_filters(ledger, as_user, django_capture_on_commit_callbacks):
    client = as_user(ledger.world.hq_officer)
    page = client.get("/hazards/", {"level": "major"}).content.decode()
    assert 'name="query" value="level=major"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/exports/", {"kind": "ledger", "query": "level=major"})
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == f"/reports/exports/{job.pk}/"
    assert job.scope == {"export": "ledger", "table": "", "params": {"level": ["major"]}}
    bad = client.post("/reports/exports/", {"kind": "ledger", "query": "level=minor"})
    assert bad.status_code == 400 and "无法导出" in bad.content.decode()


TRICKY_TEXT = [
    "消防通道堵塞",
    '=HYPERLINK("http://x")',
    'a & b <c> "d"',
    " leading and trailing ",
    "line\nbreak\ttab",
    "control\x01\x1f\rchars",
    "_x0041_ literal escape",
    "non-characters \ufffe\uffff",
    "长" * 40000,
]


def _xlsxwriter_sheet_xml(path: str, rows: list[tuple]) -> bytes:
    """The ledger's rows as XlsxWriter's own write_* calls write them: what RowStream must reproduce."""
    import xlsxwriter

    from reports.xlsx import Formats, open_workbook

    book = open_workbook(path)
    f = Formats(book)
    sheet = book.add_worksheet("隐患台账")
    formats = {"text": f.text, "date": f.date, "datetime": f.datetime, "number": f.count, "money": f.money}
    sheet.write_string(0, 0, "title", f.note)
    sheet.set_row(1, 24)
    for c, column in enumerate(LEDGER_COLUMNS):
        sheet.write_string(1, c, column.header, f.header)
    for r, values in enumerate(rows, start=2):
        for c, (column, value) in enumerate(zip(LEDGER_COLUMNS, values, strict=True)):
            if value is None or value == "":
                continue
            fmt = formats[column.kind]
            if column.kind == "text":
                sheet.write_string(r, c, value, fmt)
            elif column.kind in ("date", "datetime"):
                sheet.write_datetime(r, c, value, fmt)
            else:
                sheet.write_number(r, c, float(value) if column.kind == "money" else value, fmt)
    sheet.write_string(len(rows) + 2, 0, "after", f.note)
    book.close()
    assert xlsxwriter.__version__
    return _sheet_xml(path)


def _sheet_xml(path: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_streamed_rows_are_what_xlsxwriter_itself_writes(tmp_path):
    """reports.xlsx.RowStream writes the cells without XlsxWriter's per-cell calls: the sheet's XML must be
    the same, byte for byte, for text that needs escaping, dates, moments, numbers and empty cells."""
    from decimal import Decimal

    from reports.xlsx import Formats, RowStream, open_workbook

    rows = []
    for i, text in enumerate(TRICKY_TEXT):
        values: list = [f"HZ-{i}"] + [text if c % 3 == i % 3 else "" for c in range(1, len(LEDGER_COLUMNS))]
        for c, column in enumerate(LEDGER_COLUMNS):
            if column.kind == "date":
                values[c] = datetime.date(2026, 1 + i, 28) if i % 2 else None
            elif column.kind == "datetime":
                values[c] = datetime.datetime(2026, 2, 3, 4, 5, 6, 789000 * (i % 2)) + datetime.timedelta(days=i)
            elif column.kind == "number":
                values[c] = [None, 0, 7, 1234567][i % 4]
            elif column.kind == "money":
                values[c] = [Decimal("1200.50"), None, Decimal("0.10"), Decimal("99999999.99")][i % 4]
        rows.append(tuple(values))
    rows += rows[:4]  # the same values again: repeating columns reuse their cells' XML

    expected = _xlsxwriter_sheet_xml(str(tmp_path / "api.xlsx"), rows)

    path = str(tmp_path / "stream.xlsx")
    book = open_workbook(path)
    f = Formats(book)
    sheet = book.add_worksheet("隐患台账")
    formats = {"text": f.text, "date": f.date, "datetime": f.datetime, "number": f.count, "money": f.money}
    sheet.write_string(0, 0, "title", f.note)
    sheet.set_row(1, 24)
    for c, column in enumerate(LEDGER_COLUMNS):
        sheet.write_string(1, c, column.header, f.header)
    stream = RowStream(sheet, 2, [(c.kind, formats[c.kind], c.repeats) for c in LEDGER_COLUMNS])
    for values in rows:
        stream.write(values)
    assert stream.close() == len(rows) + 2
    sheet.write_string(len(rows) + 2, 0, "after", f.note)
    book.close()

    assert _sheet_xml(path) == expected
    read = openpyxl.load_workbook(path)["隐患台账"]
    assert read.cell(row=4, column=2).value == TRICKY_TEXT[1]  # text, not a formula
    assert read.cell(row=3 + len(rows), column=1).value == "after"
