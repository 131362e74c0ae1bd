"""台账导入 of units (责任单位) with their 统一社会信用代码: the same pipeline as the hazard ledger (core/imports),
the rows found by credit code (or by name and region without one), written through accounts.services
by the 系统管理员 only, all or nothing."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook
from rest_framework.test import APIClient

from accounts import services
from accounts.choices import UnitKind
from accounts.imports import HEADERS
from accounts.models import ResponsibleUnit
from accounts.tasks import import_units
from core.choices import JobState
from core.errors import NotAllowed
from core.imports import rows as outcomes
from core.imports.run import FOLDER
from core.imports.sheets import text_cell
from core.models import Job
from tests.conftest import World
from tests.factories import SectorFactory, make_credit_code

NEW_CODE = make_credit_code(7)
GOOD = {
    "单位名称": "新乡市红旗化工有限公司",
    "统一社会信用代码": NEW_CODE,
    "单位类型": "企业",
    "行业领域": "粉尘涉爆",
    "所在区划(代码)": "410702001001",
    "地址": "红旗区化工路 8 号",
    "联系人": "王五",
    "联系电话": "0373-1234567",
    "国民经济行业分类(代码)": "2614",
    "状态": "启用",
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


def upload(client, content: bytes, name: str = "单位.xlsx"):
    return client.post(reverse("accounts:unit_import"), {"file": SimpleUploadedFile(name, content)})


@pytest.fixture
def admin(world: World, as_user):
    return as_user(world.admin)


def outcomes_of(response) -> list[tuple[int, str, str]]:
    return [(row.number, row.outcome, row.duplicate_of) for row in response.context["preview"].rows]


# The service


def test_the_service_creates_a_unit_checked_like_the_admin_form(world):
    details = services.UnitDetails(name="新乡市红旗化工有限公司", region=world.hq_village, credit_code=NEW_CODE)
    unit = services.unit_create(details=details, by=world.admin)
    assert unit.pk and unit.credit_code == NEW_CODE and unit.name_initials == "xxshqhgyxgs"
    with pytest.raises(ValidationError) as error:
        services.unit_create(details=details, by=world.admin)
    assert "已登记" in str(error.value)


def test_only_the_administrator_manages_units(world):
    details = services.UnitDetails(name="某公司", region=world.hq_village, credit_code=NEW_CODE)
    for persona in (world.hq_officer, world.city_office, world.unit_demo, world.api_client):
        with pytest.raises(NotAllowed):
            services.unit_create(details=details, by=persona)
    assert not ResponsibleUnit.objects.filter(credit_code=NEW_CODE).exists()


def test_the_service_updates_a_unit_and_refuses_a_bad_code(world):
    details = services.UnitDetails(name="新名称", region=world.hq_village, credit_code=world.hq_unit.credit_code)
    assert services.unit_update(unit=world.hq_unit, details=details, by=world.admin).name == "新名称"
    bad = services.UnitDetails(name="新名称", region=world.hq_village, credit_code="91350100M000100Y44")
    with pytest.raises(ValidationError) as error:
        services.unit_update(unit=world.hq_unit, details=bad, by=world.admin)
    assert "校验位" in str(error.value)


# The template


def test_the_template_has_the_chinese_headers_and_pick_lists(world, admin):
    response = admin.get(reverse("accounts:unit_import_template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["责任单位"]
    assert [cell.value for cell in sheet[1]] == list(HEADERS)
    lists = {str(v.sqref).split(":")[0] for v in sheet.data_validations.dataValidation}
    assert {"C2", "D2", "E2", "J2"} <= lists  # 单位类型, 行业领域, 所在区划, 状态
    values = {cell.value for column in book["代码表"].iter_cols() for cell in column}
    assert {"企业", "村（居）委会", "粉尘涉爆", "410702001001", "410703", "停用"} <= values


def test_a_filled_template_round_trips_into_a_clean_preview(world, admin):
    book = load_workbook(io.BytesIO(admin.get(reverse("accounts:unit_import_template")).content))
    book["责任单位"].append([GOOD[header] for header in HEADERS])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(admin, buffer.getvalue())
    assert response.status_code == 200, response.content.decode()
    assert outcomes_of(response) == [(2, outcomes.NEW, "")]


# Who may import


@pytest.mark.parametrize("persona", ["hq_officer", "hq_supervisor", "city_office", "unit_demo"])
def test_roles_that_do_not_manage_units_may_not_import_them(world, as_user, persona):
    client = as_user(getattr(world, persona))
    assert client.get(reverse("accounts:unit_import")).status_code == 403
    assert client.get(reverse("accounts:unit_import_template")).status_code == 403
    assert upload(client, xlsx([GOOD])).status_code == 403
    assert 'data-testid="nav-unit-import"' not in client.get(reverse("hazards:home")).content.decode()


def test_the_navigation_leads_the_administrator_to_the_import(world, admin):
    assert 'data-testid="nav-unit-import"' in admin.get(reverse("hazards:home")).content.decode()


# Rows checked: errors with their row and column


@pytest.mark.parametrize(
    ("changes", "column", "reason"),
    [
        ({"单位名称": ""}, "单位名称", "必填项为空"),
        ({"统一社会信用代码": "91350100M000100Y44"}, "统一社会信用代码", "校验位不正确"),
        ({"统一社会信用代码": "9141070212345"}, "统一社会信用代码", "应为 18 位"),
        ({"统一社会信用代码": "91350100M000100O43"}, "统一社会信用代码", "不允许的字符"),
        ({"统一社会信用代码": ""}, "统一社会信用代码", "企业应填写统一社会信用代码"),
        ({"单位类型": "公司"}, "单位类型", "不是可选值"),
        ({"所在区划(代码)": "999999"}, "所在区划(代码)", "不存在或不在您的辖区内"),
        ({"状态": "注销"}, "状态", "不是可选值"),
        ({"国民经济行业分类(代码)": "123456789"}, "国民经济行业分类(代码)", "超过 8 个字"),
        ({"行业领域": "挖矿"}, "行业领域", "行业领域“挖矿”不存在"),
    ],
)
def test_a_bad_row_is_reported_with_its_row_and_column(world, admin, changes, column, reason):
    response = upload(admin, xlsx([GOOD | {"统一社会信用代码": make_credit_code(8)}, GOOD | changes]))
    assert response.status_code == 400
    first, second = response.context["preview"].rows
    assert first.outcome == outcomes.NEW and second.outcome == outcomes.INVALID
    assert any(c == column and reason in r for c, r in second.errors), second.errors
    assert f"第 3 行“{column}”" in response.content.decode()
    assert not response.context["preview"].importable


def test_a_village_committee_needs_no_credit_code_and_lower_case_codes_are_accepted(world, admin):
    committee = GOOD | {"单位名称": "西街社区居委会", "统一社会信用代码": "", "单位类型": "村（居）委会"}
    response = upload(admin, xlsx([committee, GOOD | {"统一社会信用代码": NEW_CODE.lower()}]))
    assert outcomes_of(response) == [(2, outcomes.NEW, ""), (3, outcomes.NEW, "")]


def test_the_preview_says_new_update_or_duplicate_for_each_row(world, admin):
    hq = world.hq_unit
    same = {
        "单位名称": hq.name,
        "统一社会信用代码": hq.credit_code.lower(),
        "单位类型": "企业",
        "所在区划(代码)": hq.region.code,
    }
    moved = same | {"联系电话": "13800000000"}
    uncoded = ResponsibleUnit.objects.create(
        name="西街村委会", kind=UnitKind.VILLAGE_COMMITTEE, region=world.hq_village
    )
    by_name = {
        "单位名称": uncoded.name,
        "单位类型": "村（居）委会",
        "所在区划(代码)": "410702001001",
        "地址": "西街 1 号",
    }
    response = upload(admin, xlsx([same, GOOD, GOOD | {"联系人": "赵六"}, by_name, moved]))
    assert outcomes_of(response) == [
        (2, outcomes.DUPLICATE, hq.picker_label),
        (3, outcomes.NEW, ""),
        (4, outcomes.DUPLICATE, "第 3 行"),
        (5, outcomes.UPDATE, uncoded.picker_label),
        (6, outcomes.DUPLICATE, "第 2 行"),
    ]
    assert "将更新：地址。" in response.context["preview"].rows[3].notes
    page = response.content.decode()
    assert "新增 <strong>1</strong> 条，更新 <strong>1</strong> 条" in page


def test_a_code_recorded_for_a_unit_gets_that_unit_updated(world, admin, django_capture_on_commit_callbacks):
    hq = world.hq_unit
    renamed = {"单位名称": "新乡市红旗重工有限公司", "统一社会信用代码": hq.credit_code, "单位类型": "企业"}
    renamed |= {"所在区划(代码)": hq.region.code, "状态": "停用"}
    job = confirm(admin, [renamed], django_capture_on_commit_callbacks)
    import_units(job.pk)
    hq.refresh_from_db()
    assert (hq.name, hq.is_active, hq.address) == ("新乡市红旗重工有限公司", False, world.hq_unit.address)
    assert ResponsibleUnit.objects.filter(credit_code=hq.credit_code).count() == 1


# 行业领域: the row of the national tables a unit's coverage is counted in


def test_the_sector_is_read_by_name_or_code_and_a_blank_cell_keeps_the_recorded_one(
    world, admin, django_capture_on_commit_callbacks
):
    trade = SectorFactory(code="commerce", name="商贸")
    world.hq_unit.sector = world.sector
    world.hq_unit.save()
    hq = {
        "单位名称": world.hq_unit.name,
        "统一社会信用代码": world.hq_unit.credit_code,
        "单位类型": "企业",
        "所在区划(代码)": world.hq_unit.region.code,
    }
    by_code = GOOD | {
        "单位名称": "新乡市红旗商贸有限公司",
        "统一社会信用代码": make_credit_code(40),
        "行业领域": "commerce",
    }
    blank = GOOD | {"单位名称": "新乡市红旗纸业有限公司", "统一社会信用代码": make_credit_code(41), "行业领域": ""}
    moved = GOOD | {"单位名称": world.wb_unit.name, "统一社会信用代码": world.wb_unit.credit_code}
    moved |= {"所在区划(代码)": world.weibin.code, "行业领域": "商贸"}
    response = upload(admin, xlsx([GOOD, by_code, blank, hq, moved]))
    assert response.status_code == 200, response.content.decode()
    preview = response.context["preview"]
    assert [row.outcome for row in preview.rows] == [
        outcomes.NEW,
        outcomes.NEW,
        outcomes.NEW,
        outcomes.DUPLICATE,  # no sector given: the recorded 粉尘涉爆 stays
        outcomes.UPDATE,
    ]
    assert "未填行业领域：排查覆盖率不按行业计入此单位。" in preview.rows[2].notes
    assert any("行业领域" in note for note in preview.rows[4].notes)
    with django_capture_on_commit_callbacks(execute=False):
        admin.post(reverse("accounts:unit_import_confirm"), {"file": response.context["reference"]})
    job = Job.objects.get()
    import_units(job.pk)
    sectors = dict(
        ResponsibleUnit.objects.filter(
            credit_code__in=[NEW_CODE, make_credit_code(40), make_credit_code(41), world.wb_unit.credit_code]
        ).values_list("name", "sector__code")
    )
    assert sectors == {
        GOOD["单位名称"]: "dust",
        "新乡市红旗商贸有限公司": "commerce",
        "新乡市红旗纸业有限公司": None,
        world.wb_unit.name: trade.code,
    }
    world.hq_unit.refresh_from_db()
    assert world.hq_unit.sector == world.sector


def test_an_unknown_sector_is_an_error_in_chinese_in_the_api_too(world, api):
    bad = GOOD | {"行业领域": "不存在的行业"}
    answer = api(world.admin).post("/api/v1/imports/units/", {"file": SimpleUploadedFile("u.xlsx", xlsx([bad]))})
    row = answer.json()["rows"][0]
    assert row["outcome"] == "invalid"
    assert row["errors"] == [{"column": "行业领域", "message": "行业领域“不存在的行业”不存在，请从下拉列表中选择。"}]


# Confirmed: all or nothing


def confirm(client, rows: list[dict], django_capture_on_commit_callbacks) -> Job:
    response = upload(client, xlsx(rows))
    assert response.status_code == 200, response.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = client.post(reverse("accounts:unit_import_confirm"), {"file": response.context["reference"]})
    job = Job.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("accounts:unit_import_job", args=[job.pk])
    assert len(queued) == 1
    return job


def test_nothing_is_written_until_the_import_is_confirmed(world, admin):
    response = upload(admin, xlsx([GOOD]))
    assert response.status_code == 200 and response.context["preview"].importable
    assert not ResponsibleUnit.objects.filter(credit_code=NEW_CODE).exists() and not Job.objects.exists()


def test_a_confirmed_import_writes_every_unit_and_reports_it(
    world, admin, media_root, django_capture_on_commit_callbacks
):
    second = GOOD | {"单位名称": "新乡市红旗制药有限公司", "统一社会信用代码": make_credit_code(9), "状态": ""}
    job = confirm(admin, [GOOD, second], django_capture_on_commit_callbacks)
    import_units(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.done == job.total == 2
    unit = ResponsibleUnit.objects.get(credit_code=NEW_CODE)
    assert (unit.name, unit.region, unit.contact_phone, unit.is_active) == (
        "新乡市红旗化工有限公司",
        world.hq_village,
        "0373-1234567",
        True,
    )
    assert ResponsibleUnit.objects.get(name="新乡市红旗制药有限公司").is_active
    assert not list((media_root / FOLDER).rglob("*.xlsx"))
    report = CalamineWorkbook.from_filelike(io.BytesIO(job.result.read())).get_sheet_by_index(0).to_python()
    assert report[1][1:3] == ["新增", unit.picker_label]
    page = admin.get(reverse("accounts:unit_import_job", args=[job.pk]))
    assert page.status_code == 200 and "下载结果" in page.content.decode()


def test_the_job_checks_the_file_again_so_a_unit_registered_since_the_preview_is_not_doubled(
    world, admin, django_capture_on_commit_callbacks
):
    rows = [GOOD | {"单位名称": f"公司{i}", "统一社会信用代码": make_credit_code(20 + i)} for i in range(4)]
    job = confirm(admin, rows, django_capture_on_commit_callbacks)
    ResponsibleUnit.objects.create(name="别家", region=world.weibin, credit_code=make_credit_code(23))
    import_units(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    unit = ResponsibleUnit.objects.get(credit_code=make_credit_code(23))
    assert (unit.name, unit.region) == ("公司3", world.hq_village)


def test_a_service_refusal_midway_rolls_back_the_whole_batch(
    world, admin, monkeypatch, django_capture_on_commit_callbacks
):
    rows = [GOOD | {"单位名称": f"公司{i}", "统一社会信用代码": make_credit_code(30 + i)} for i in range(4)]
    job = confirm(admin, rows, django_capture_on_commit_callbacks)
    real = services.unit_create

    def refuse_the_third(*, details, by):
        if details.name == "公司2":
            raise ValidationError({"address": ValidationError("地址有误。")})
        return real(details=details, by=by)

    monkeypatch.setattr(services, "unit_create", refuse_the_third)
    import_units(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "第 4 行" in job.error and "“地址”" in job.error
    assert not ResponsibleUnit.objects.filter(name__startswith="公司").exists()


def test_a_fake_or_oversized_file_is_refused_and_nothing_kept(world, admin, media_root, settings):
    assert upload(admin, b"%PDF-1.7 not a workbook").status_code == 400
    settings.LEDGER_IMPORT_MAX_BYTES = 100
    response = upload(admin, xlsx([GOOD]))
    assert response.status_code == 400 and "超过" in response.content.decode()
    assert not (media_root / FOLDER).exists() or not list((media_root / FOLDER).rglob("*.*"))


# The API


@pytest.fixture
def api(world):
    def client_for(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


def test_the_api_previews_confirms_and_reports_through_a_job(world, api, django_capture_on_commit_callbacks):
    client = api(world.admin)
    bad = GOOD | {"单位名称": "坏行", "统一社会信用代码": "91350100M000100Y44"}
    answer = client.post("/api/v1/imports/units/", {"file": SimpleUploadedFile("u.xlsx", xlsx([GOOD, bad]))})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["importable"] is False and body["counts"]["invalid"] == 1
    assert body["rows"][0]["row"] == 3 and body["rows"][0]["outcome"] == "invalid"
    assert body["rows"][0]["errors"][0]["column"] == "统一社会信用代码"
    report = client.get(body["report_url"])
    assert report.status_code == 200 and report["Content-Type"].startswith("application/vnd.openxml")

    answer = client.post("/api/v1/imports/units/", {"file": SimpleUploadedFile("u.xlsx", xlsx([GOOD]))})
    with django_capture_on_commit_callbacks(execute=False):
        confirmed = client.post("/api/v1/imports/units/confirm/", {"file": answer.json()["file"]}, format="json")
    assert confirmed.status_code == 202, confirmed.content
    import_units(confirmed.json()["id"])
    assert client.get(f"/api/v1/jobs/{confirmed.json()['id']}/").json()["state"] == "succeeded"
    assert ResponsibleUnit.objects.filter(credit_code=NEW_CODE).exists()


def test_the_api_refuses_other_roles_and_strangers_files(world, api):
    officer = api(world.hq_officer)
    answer = officer.post("/api/v1/imports/units/", {"file": SimpleUploadedFile("u.xlsx", xlsx([GOOD]))})
    assert answer.status_code == 403 and answer.json()["code"] == "not_allowed"
    assert officer.get("/api/v1/imports/units/template/").status_code == 403
    admin = api(world.admin)
    fake = admin.post("/api/v1/imports/units/", {"file": SimpleUploadedFile("u.xlsx", b"not a sheet")})
    assert fake.status_code == 400 and fake.json()["fields"]["file"]
    stranger = admin.post("/api/v1/imports/units/confirm/", {"file": "0" * 32 + ".xlsx"}, format="json")
    assert stranger.status_code == 400 and "file" in stranger.json()["fields"]
    assert admin.get("/api/v1/imports/units/report/", {"file": "../../etc/passwd"}).status_code == 404


def test_the_hazard_import_has_the_same_api(world, api):
    answer = api(world.hq_officer).get("/api/v1/imports/hazards/template/")
    assert answer.status_code == 200
    assert load_workbook(io.BytesIO(answer.content)).sheetnames == ["隐患台账", "代码表"]


def test_the_import_endpoints_are_in_the_schema(world, api):
    paths = api(world.admin).get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    for kind in ("units", "hazards"):
        assert {f"/api/v1/imports/{kind}/{end}" for end in ("", "template/", "report/", "confirm/")} <= set(paths)
