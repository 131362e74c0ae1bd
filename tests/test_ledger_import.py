"""台账导入: the template, an upload checked row by row and previewed, and the confirmed import's job that
records every new row through the services in one history batch, all or nothing."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from core.choices import JobState
from core.imports import rows as outcomes
from core.imports.run import FOLDER
from core.imports.sheets import text_cell
from core.models import Job
from hazards.choices import Action, Status
from hazards.filtersets import HazardFilterSet
from hazards.imports.columns import HEADERS
from hazards.models import Hazard, HazardEvent, HazardSearch
from hazards.tasks import import_ledger
from tests.conftest import World

GOOD = {
    "发现日期": "2025-03-03",
    "所在区划(代码)": "410702001001",
    "具体位置": "3 号车间",
    "责任单位(统一社会信用代码或名称)": "91410702MA44X7YK5A",
    "行业领域": "粉尘涉爆",
    "隐患名称": "配电箱未接地",
    "隐患描述": "生产车间东侧配电箱外壳未可靠接地。",
    "隐患类别": "现场管理类",
    "隐患因素": "物的因素",
    "隐患来源": "日常检查",
    "隐患等级": "一般",
    "整改责任人": "李四",
    "整改要求": "立即接地",
    "整改期限": "2025-03-20",
    "整改状态": "已交办",
}


def xlsx(rows: list[dict], headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for number, values in enumerate(rows, start=2):
        for column, header in enumerate(headers, start=1):
            text_cell(sheet.cell(row=number, column=column), values.get(header, ""))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name: str = "台账.xlsx"):
    return client.post(reverse("hazards:import"), {"file": SimpleUploadedFile(name, content)})


def staged_files(media_root) -> list:
    folder = media_root / FOLDER
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.fixture
def officer(world: World, as_user):
    return as_user(world.hq_officer)


# The template


def test_the_template_has_the_chinese_headers_and_pick_lists(world, officer):
    response = officer.get(reverse("hazards:import_template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["隐患台账"]
    assert [cell.value for cell in sheet[1]] == list(HEADERS)
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    headers = list(HEADERS)
    letter = {h: chr(ord("A") + i) for i, h in enumerate(headers)}
    assert {
        letter["隐患类别"] + "2",
        letter["行业领域"] + "2",
        letter["所在区划(代码)"] + "2",
        letter["整改状态"] + "2",
    } <= set(lists)
    codes = book["代码表"]
    values = {cell.value for column in codes.iter_cols() for cell in column}
    assert {"粉尘涉爆", "现场管理类", "410702001001", "已销号"} <= values
    assert "410703" not in values  # 卫滨区 is outside 红旗区's officer's reach


def test_a_filled_template_round_trips_into_a_clean_preview(world, officer):
    book = load_workbook(io.BytesIO(officer.get(reverse("hazards:import_template")).content))
    sheet = book["隐患台账"]
    sheet.append([GOOD.get(header, "") for header in HEADERS])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(officer, buffer.getvalue())
    assert response.status_code == 200, response.content.decode()
    preview = response.context["preview"]
    assert [(r.number, r.outcome, r.errors) for r in preview.rows] == [(2, outcomes.NEW, [])]
    assert preview.importable


# Refused files: a clear error and nothing stored


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("台账.xlsx", b"", "空文件"),
        ("台账.xlsx", b"%PDF-1.7 not a workbook", "不是 Excel"),
        ("台账.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "不是 Excel"),
        ("台账.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "旧版 .xls"),
        ("台账.xlsx", b"PK\x03\x04 broken zip", "不是有效的 Excel"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_and_nothing_kept(
    world, officer, media_root, name, content, reason
):
    response = upload(officer, content, name)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert staged_files(media_root) == []


def macro_workbook() -> bytes:
    buffer = io.BytesIO(xlsx([GOOD]))
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/vbaProject.bin", b"\x00macro")
    return out.getvalue()


@pytest.mark.parametrize("name", ["台账.xlsx", "台账.xlsm"])
def test_a_macro_workbook_is_refused_whatever_its_name(world, officer, media_root, name):
    response = upload(officer, macro_workbook(), name)
    assert response.status_code == 400
    assert "含宏" in response.content.decode()
    assert staged_files(media_root) == []


def test_an_oversized_file_is_refused_and_nothing_kept(world, officer, media_root, settings):
    settings.LEDGER_IMPORT_MAX_BYTES = 1000
    response = upload(officer, xlsx([GOOD] * 20))
    assert response.status_code == 400
    assert "超过" in response.content.decode()
    assert staged_files(media_root) == []


def test_a_unit_contact_may_not_import(world, as_user):
    client = as_user(world.unit_demo)
    assert client.get(reverse("hazards:import")).status_code == 403
    assert client.get(reverse("hazards:import_template")).status_code == 403


# Reading: .xlsx and GBK .csv


def test_a_gbk_csv_is_read_like_the_workbook(world, officer):
    lines = [",".join(HEADERS), ",".join(GOOD.get(h, "") for h in HEADERS)]
    response = upload(officer, "\r\n".join(lines).encode("gbk"), "台账.csv")
    assert response.status_code == 200, response.content.decode()
    (checked,) = response.context["preview"].rows
    assert checked.cells["title"] == "配电箱未接地" and checked.outcome == outcomes.NEW


def test_a_header_missing_a_column_is_reported(world, officer):
    response = upload(officer, xlsx([GOOD], headers=HEADERS[:-1]))
    assert response.status_code == 400
    assert "表头缺少以下列：整改状态" in response.content.decode()


# Every kind of bad row, with its row and column

BAD_ROWS = [
    ({"隐患名称": ""}, "隐患名称", "必填项为空"),
    ({"发现日期": "去年春天"}, "发现日期", "不是日期"),
    ({"发现日期": "2999-01-01", "整改期限": "2999-02-01"}, "发现日期", "不能晚于今天"),
    ({"所在区划(代码)": "410703"}, "所在区划(代码)", "不在您的辖区内"),
    ({"所在区划(代码)": "410700"}, "所在区划(代码)", "未到区县一级"),
    ({"行业领域": "航天"}, "行业领域", "不存在"),
    ({"隐患类别": "管理类"}, "隐患类别", "不是可选值"),
    ({"隐患因素": "天气"}, "隐患因素", "不是可选值"),
    ({"隐患来源": "传闻"}, "隐患来源", "不是可选值"),
    ({"隐患等级": "较大"}, "隐患等级", "不是可选值"),
    ({"整改状态": "进行中"}, "整改状态", "不是可选值"),
    ({"隐患等级": "重大"}, "判定标准(重大隐患)", "须写明判定标准"),
    ({"判定标准(重大隐患)": "工贸企业重大事故隐患判定标准"}, "判定标准(重大隐患)", "只有重大事故隐患"),
    ({"责任单位(统一社会信用代码或名称)": ""}, "责任单位(统一社会信用代码或名称)", "须填写责任单位"),
    ({"责任单位(统一社会信用代码或名称)": "91410703MA44X7YK5B"}, "责任单位(统一社会信用代码或名称)", "不存在"),
    ({"责任单位(统一社会信用代码或名称)": "不存在的公司"}, "责任单位(统一社会信用代码或名称)", "不存在"),
    ({"整改责任人": ""}, "整改责任人", "须填写整改责任人"),
    ({"整改期限": ""}, "整改期限", "须填写整改期限"),
    ({"整改期限": "2025-02-30"}, "整改期限", "不是日期"),
    ({"整改期限": "2025-03-01"}, "整改期限", "不能早于发现日期"),
    ({"隐患名称": "长" * 201}, "隐患名称", "超过 200 个字"),
]


@pytest.mark.parametrize(("changes", "column", "reason"), BAD_ROWS, ids=[c for _x, c, _r in BAD_ROWS])
def test_a_bad_row_is_reported_with_its_row_and_column(world, officer, changes, column, reason):
    response = upload(officer, xlsx([GOOD | {"隐患名称": "其他隐患"}, GOOD | changes]))
    assert response.status_code == 400
    preview = response.context["preview"]
    first, second = preview.rows
    assert first.outcome == outcomes.NEW and second.outcome == outcomes.INVALID
    assert second.number == 3
    assert any(c == column and reason in r for c, r in second.errors), second.errors
    assert f"第 3 行“{column}”" in response.content.decode()
    assert not preview.importable


def test_a_unit_named_rather_than_coded_is_found(world, officer):
    response = upload(officer, xlsx([GOOD | {"责任单位(统一社会信用代码或名称)": world.hq_unit.name}]))
    (checked,) = response.context["preview"].rows
    assert checked.outcome == outcomes.NEW and checked.values["unit"] == world.hq_unit


def test_a_row_rectified_on_paper_is_imported_as_handed_over_and_says_so(world, officer):
    response = upload(officer, xlsx([GOOD | {"整改状态": "已销号"}]))
    (checked,) = response.context["preview"].rows
    assert checked.outcome == outcomes.NEW
    assert "导入为“已交办”" in checked.notes[0]


# Duplicates


def test_duplicates_of_a_recorded_hazard_and_within_the_file_are_found(world, officer):
    response = upload(officer, xlsx([GOOD]))
    officer.post(reverse("hazards:import_confirm"), {"file": response.context["reference"]})
    import_ledger(Job.objects.get().pk)
    existing = Hazard.objects.get()
    again = upload(officer, xlsx([GOOD, GOOD | {"隐患名称": "新隐患"}, GOOD | {"隐患名称": "新隐患"}]))
    rows = again.context["preview"].rows
    assert [(r.outcome, r.duplicate_of) for r in rows] == [
        (outcomes.DUPLICATE, existing.number),
        (outcomes.NEW, ""),
        (outcomes.DUPLICATE, "第 3 行"),
    ]


# Confirm → the job


def confirm(client, rows: list[dict], django_capture_on_commit_callbacks) -> Job:
    response = upload(client, xlsx(rows))
    assert response.status_code == 200, response.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = client.post(reverse("hazards:import_confirm"), {"file": response.context["reference"]})
    job = Job.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("hazards:import_job", args=[job.pk])
    assert len(queued) == 1
    return job


def test_nothing_is_written_until_the_import_is_confirmed(world, officer):
    response = upload(officer, xlsx([GOOD, GOOD | {"隐患名称": "另一隐患"}]))
    assert response.status_code == 200 and response.context["preview"].importable
    assert not Hazard.objects.exists() and not Job.objects.exists()


def test_a_confirmed_import_records_every_row_through_the_services_with_its_history(
    world, officer, media_root, django_capture_on_commit_callbacks
):
    job = confirm(
        officer, [GOOD, GOOD | {"隐患名称": "楼梯无扶手", "整改状态": "已登记"}], django_capture_on_commit_callbacks
    )
    import_ledger(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.done == job.total == 2
    assigned = Hazard.objects.get(title="配电箱未接地")
    listed = Hazard.objects.get(title="楼梯无扶手")
    assert assigned.status == Status.ASSIGNED and assigned.responsible_unit == world.hq_unit
    assert listed.status == Status.LISTED and listed.responsible_unit is None
    assert assigned.found_at.date().isoformat() == "2025-03-03"
    events = HazardEvent.objects.filter(hazard=assigned).order_by("pk")
    assert [(e.action, e.actor, e.at) for e in events] == [
        (Action.LIST, world.hq_officer, assigned.found_at),
        (Action.ASSIGN, world.hq_officer, assigned.found_at),
    ]
    assert staged_files(media_root) == []
    report = CalamineWorkbook.from_filelike(io.BytesIO(job.result.read())).get_sheet_by_index(0).to_python()
    assert report[1][:3] == [2.0, "新增", assigned.number] or report[1][:3] == [2, "新增", assigned.number]
    page = officer.get(reverse("hazards:import_job", args=[job.pk]))
    assert page.status_code == 200 and "下载结果" in page.content.decode()


def test_imported_hazards_are_found_by_keyword(world, officer, django_capture_on_commit_callbacks):
    """The import inserts its hazards with the search trigger aside and fills their search rows itself."""
    rows = [GOOD, GOOD | {"隐患名称": "楼梯无扶手", "隐患描述": "二楼楼梯缺少扶手。", "整改状态": "已登记"}]
    import_ledger(confirm(officer, rows, django_capture_on_commit_callbacks).pk)
    stairs = Hazard.objects.get(title="楼梯无扶手")
    for q in ("扶手", "二楼楼梯", stairs.number[-6:]):
        filterset = HazardFilterSet({"q": q}, queryset=Hazard.objects.visible_to(world.hq_officer))
        assert filterset.is_valid() and list(filterset.qs.values_list("pk", flat=True)) == [stairs.pk]
    filterset = HazardFilterSet({"q": "红旗机械"}, queryset=Hazard.objects.visible_to(world.hq_officer))
    assert filterset.is_valid() and filterset.qs.get().title == "配电箱未接地"  # its unit's name
    assert HazardSearch.objects.count() == Hazard.objects.count() == 2


def test_a_file_no_longer_clean_when_the_job_runs_writes_nothing(world, officer, django_capture_on_commit_callbacks):
    rows = [GOOD | {"隐患名称": f"隐患{i}"} for i in range(5)]
    job = confirm(officer, rows, django_capture_on_commit_callbacks)
    # Between the preview and the run, the unit was deactivated: the file is checked again and refused.
    world.hq_unit.is_active = False
    world.hq_unit.save()
    import_ledger(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "未写入任何隐患" in job.error
    assert not Hazard.objects.exists() and not HazardEvent.objects.exists()


def test_an_import_refused_midway_writes_nothing_and_names_the_row(
    world, officer, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.exceptions import ValidationError

    from hazards.imports import run

    rows = [GOOD | {"隐患名称": f"隐患{i}"} for i in range(5)]
    job = confirm(officer, rows, django_capture_on_commit_callbacks)
    real = run.services.hazard_assign

    def refuse_the_fourth(*, hazard, **kwargs):
        if hazard.title == "隐患3":
            raise ValidationError({"deadline": ValidationError("期限不能早于办理当日。")})
        return real(hazard=hazard, **kwargs)

    monkeypatch.setattr(run.services, "hazard_assign", refuse_the_fourth)
    import_ledger(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "第 5 行" in job.error and "整改期限" in job.error
    assert not Hazard.objects.exists() and not HazardEvent.objects.exists()


def test_a_job_run_twice_imports_once(world, officer, django_capture_on_commit_callbacks):
    job = confirm(officer, [GOOD], django_capture_on_commit_callbacks)
    import_ledger(job.pk)
    import_ledger(job.pk)
    assert Hazard.objects.count() == 1


def test_another_users_staged_file_cannot_be_confirmed_or_reported(world, officer, as_user):
    reference = upload(officer, xlsx([GOOD])).context["reference"]
    other = as_user(world.hq_supervisor)
    assert other.post(reverse("hazards:import_confirm"), {"file": reference}).status_code in (403, 404)
    assert other.get(reverse("hazards:import_report"), {"file": reference}).status_code in (403, 404)
    colleague = world.hq_officer.__class__.objects.create(
        username="hq2", role=world.hq_officer.role, region=world.hq_officer.region
    )
    other = as_user(colleague)
    assert other.post(reverse("hazards:import_confirm"), {"file": reference}).status_code == 404
    assert not Job.objects.exists()


def test_the_preview_report_writes_formula_like_text_as_text(world, officer):
    response = upload(
        officer, xlsx([GOOD | {"隐患名称": '=HYPERLINK("http://x")', "责任单位(统一社会信用代码或名称)": "@SUM(A1)"}])
    )
    report = officer.get(reverse("hazards:import_report"), {"file": response.context["reference"]})
    assert report.status_code == 200
    book = load_workbook(io.BytesIO(report.content))
    cells = [cell for row in book.active.iter_rows(min_row=2) for cell in row]
    risky = {cell.value: cell.data_type for cell in cells if isinstance(cell.value, str) and cell.value[:1] in "=@"}
    assert risky == {'=HYPERLINK("http://x")': "s", "@SUM(A1)": "s"}


def test_the_listing_page_leads_an_officer_to_the_import_and_not_a_unit(world, as_user):
    officer_page = as_user(world.hq_officer).get(reverse("hazards:new")).content.decode()
    assert reverse("hazards:import") in officer_page
    unit_page = as_user(world.unit_demo).get(reverse("hazards:new")).content.decode()
    assert reverse("hazards:import") not in unit_page


def test_the_upload_page_states_the_size_limit(world, officer, settings):
    settings.LEDGER_IMPORT_MAX_BYTES = 5 * 1024 * 1024
    assert re.search(r"不超过 5\.0\s*MB", officer.get(reverse("hazards:import")).content.decode())


@pytest.mark.django_db(transaction=True)
def test_a_worker_writes_in_steps_of_one_transaction_and_shows_its_progress_meanwhile(world, officer, monkeypatch):
    """A real worker (no transaction open when the job starts) flushes the batch every PROGRESS_EVERY rows
    inside the import's one transaction, and commits each progress report on a connection of its own."""
    import threading

    import hazards.imports.run
    from core import jobs
    from hazards.imports import HAZARDS

    monkeypatch.setattr(hazards.imports.run, "PROGRESS_EVERY", 1)
    seen = []
    advance = jobs.job_advance

    def advance_and_look(**kwargs):
        result = advance(**kwargs)
        job = Job.objects.get(pk=kwargs["job_id"])  # committed at once, whatever the import's transaction
        seen.append((kwargs["done"], job.done, threading.current_thread() is threading.main_thread()))
        return result

    monkeypatch.setattr(jobs, "job_advance", advance_and_look)
    response = upload(officer, xlsx([GOOD, GOOD | {"隐患名称": "另一隐患"}]))
    job = jobs.job_create(kind=HAZARDS.job_kind, owner=world.hq_officer, scope={"file": response.context["reference"]})
    import_ledger(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.done == job.total == 2
    # The total before the write on the task's own connection, then each step from the reporting thread.
    assert seen == [(0, 0, True), (1, 1, False), (2, 2, False)]
    assert Hazard.objects.count() == 2 and HazardEvent.objects.count() == 4
