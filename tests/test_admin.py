"""The admin, in Chinese: reference data is kept there; hazards are only viewed, never changed."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role, UnitKind
from accounts.models import ResponsibleUnit, User
from hazards import services
from hazards.admin import EstimatedCountPaginator, HazardAdmin
from hazards.choices import AuthorityLevel, Status
from hazards.models import ExtensionRequest, Hazard, HazardEvent, SupervisionListing
from tests.conftest import World, future_deadline
from tests.factories import SectorFactory, make_credit_code

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAYS_5 = datetime.timedelta(days=5)

# WhiteNoise warns that STATIC_ROOT is missing; no test here serves static files.
pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    # The harness runs with DEBUG off, whose manifest storage needs `collectstatic` before any page renders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@dataclass
class Ledger:
    closed: Hazard
    extension: ExtensionRequest
    listing: SupervisionListing


@pytest.fixture
def ledger(world: World) -> Ledger:
    """A closed hazard (events, evidence), a pending extension and an active 挂牌督办."""
    extension = services.extension_request(
        hazard=world.assigned(), by=world.unit_demo, requested_deadline=future_deadline(30), reason="防爆设备到货延迟"
    )
    listing = services.supervision_start(
        hazard=world.listed_major(),
        by=world.hq_supervisor,
        authority_level=AuthorityLevel.COUNTY,
        requirements="限期完成泄爆装置改造。",
        deadline=future_deadline(20),
    )
    return Ledger(closed=world.closed(), extension=extension, listing=listing)


@pytest.fixture
def browser(client, world: World):
    client.force_login(world.admin)
    return client


def changelist(model: str) -> str:
    return reverse(f"admin:{model}_changelist")


def change_page(model: str, pk: int) -> str:
    return reverse(f"admin:{model}_change", args=[pk])


CHANGELISTS = [
    ("accounts_region", "行政区划", "红旗区"),
    ("accounts_supervisingdepartment", "行业主管部门", "应急管理局"),
    ("accounts_responsibleunit", "责任单位", "新乡市红旗机械有限公司"),
    ("accounts_user", "用户", "hq_officer"),
    ("accounts_sector", "行业领域", "粉尘涉爆"),
    ("hazards_hazard", "隐患", "已销号"),
    ("hazards_hazardevent", "隐患事件", "交单"),
    ("hazards_extensionrequest", "延期申请", "待审批"),
    ("hazards_supervisionlisting", "挂牌督办", "红旗区安委办督〔"),
]


def test_login_page_is_in_chinese(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_index_lists_the_models_in_chinese(browser):
    page = browser.get(reverse("admin:index")).content.decode()
    for name in (
        "行政区划",
        "行业主管部门",
        "责任单位",
        "用户",
        "行业领域",
        "隐患",
        "隐患事件",
        "延期申请",
        "挂牌督办",
    ):
        assert name in page
    assert "隐患清单 管理后台" in page


@pytest.mark.parametrize(("model", "title", "row"), CHANGELISTS)
def test_changelist_renders_in_chinese(browser, ledger, model, title, row):
    response = browser.get(changelist(model))
    assert response.status_code == 200
    page = response.content.decode()
    assert "首页" in page
    assert title in page
    assert row in page


@pytest.mark.parametrize(
    ("model", "pick", "expected"),
    [
        ("accounts_region", lambda w, ledger: w.hongqi, "区划代码"),
        ("accounts_supervisingdepartment", lambda w, ledger: w.sector.department, "应急管理局"),
        ("accounts_responsibleunit", lambda w, ledger: w.hq_unit, "统一社会信用代码"),
        ("accounts_user", lambda w, ledger: w.hq_officer, "角色与辖区"),
        ("accounts_sector", lambda w, ledger: w.sector, "行业主管部门"),
        ("hazards_hazard", lambda w, ledger: ledger.closed, "验收意见"),
        ("hazards_hazardevent", lambda w, ledger: ledger.closed.events.last(), "变更内容"),
        ("hazards_extensionrequest", lambda w, ledger: ledger.extension, "防爆设备到货延迟"),
        ("hazards_supervisionlisting", lambda w, ledger: ledger.listing, "限期完成泄爆装置改造。"),
    ],
)
def test_change_page_renders_in_chinese(browser, world, ledger, model, pick, expected):
    response = browser.get(change_page(model, pick(world, ledger).pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "首页" in page
    assert expected in page


def test_hazard_page_shows_its_timeline_and_evidence(browser, world):
    hazard = world.closed()
    page = browser.get(change_page("hazards_hazard", hazard.pk)).content.decode()
    for action in ("列单", "交单", "签收", "办单", "销号"):
        assert action in page
    assert "整改期限：— →" in page  # the deadline set at 交单, from the event's changes
    assert "photo.png" in page  # the after-photo of 办单
    assert "现场核查，整改到位，同意销号。" in page
    assert '<div class="readonly">None</div>' not in page  # not overdue: the empty mark, not "None"


def test_major_hazard_page_shows_the_remediation_plan(browser, world):
    hazard = world.listed_major()
    page = browser.get(change_page("hazards_hazard", hazard.pk)).content.decode()
    assert "重大事故隐患与治理方案" in page
    assert "编制专项应急预案" in page


def test_adding_a_hazard_is_refused(browser, world):
    assert browser.get(reverse("admin:hazards_hazard_add")).status_code == 403
    assert browser.post(reverse("admin:hazards_hazard_add"), {"title": "手工添加"}).status_code == 403
    assert not Hazard.objects.filter(title="手工添加").exists()


def test_posting_to_a_hazard_page_changes_nothing(browser, world):
    hazard = world.assigned()
    events = hazard.events.count()
    response = browser.post(
        change_page("hazards_hazard", hazard.pk),
        {"status": Status.CLOSED, "title": "改过的名称", "deadline": "2020-01-01"},
    )
    assert response.status_code == 403
    hazard.refresh_from_db()
    assert hazard.status == Status.ASSIGNED
    assert hazard.title == "配电箱未接地"
    assert hazard.deadline == future_deadline()
    assert hazard.events.count() == events


def test_hazard_page_is_view_only(browser, world):
    page = browser.get(change_page("hazards_hazard", world.assigned().pk)).content.decode()
    assert 'name="_save"' not in page
    assert "删除" not in page


@pytest.mark.parametrize("model", ["hazards_hazard", "hazards_hazardevent"])
def test_hazards_and_events_cannot_be_deleted(browser, world, model):
    hazard = world.listed()
    pk = hazard.pk if model == "hazards_hazard" else hazard.events.get().pk
    assert browser.get(reverse(f"admin:{model}_delete", args=[pk])).status_code == 403
    assert browser.post(reverse(f"admin:{model}_delete", args=[pk]), {"post": "yes"}).status_code == 403
    response = browser.post(changelist(model), {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
    assert response.status_code in (200, 302)
    assert Hazard.objects.filter(pk=hazard.pk).exists()
    assert HazardEvent.objects.filter(hazard=hazard).count() == 1


def test_searching_hazards_by_number_finds_it(browser, world):
    wanted, other = world.listed(), world.listed(title="消防通道堵塞")
    page = browser.get(changelist("hazards_hazard"), {"q": wanted.number.lower()}).content.decode()
    assert wanted.number in page
    assert other.number not in page


def test_searching_hazards_by_title_finds_them(browser, world):
    wanted, other = world.listed(title="消防通道堵塞"), world.listed()
    page = browser.get(changelist("hazards_hazard"), {"q": "通道"}).content.decode()
    assert wanted.number in page
    assert other.number not in page


def test_filtering_hazards_by_status_shows_only_that_status(browser, world):
    listed, closed = world.listed(), world.closed()
    page = browser.get(changelist("hazards_hazard"), {"status__exact": Status.CLOSED}).content.decode()
    assert closed.number in page
    assert listed.number not in page


def test_county_filter_offers_only_counties(browser, world):
    world.listed()
    response = browser.get(changelist("hazards_hazard"))
    county_filter = next(spec for spec in response.context["cl"].filter_specs if spec.field_path == "county")
    assert [name for _, name in county_filter.lookup_choices] == ["红旗区", "卫滨区"]


def test_overdue_column_shows_days_past_the_deadline(browser, world, time_machine):
    hazard = world.assigned()
    time_machine.move_to(datetime.datetime.combine(hazard.deadline, datetime.time(9), tzinfo=SHANGHAI) + DAYS_5)
    browser.force_login(world.admin)  # the first session has expired by then
    page = browser.get(changelist("hazards_hazard")).content.decode()
    assert "逾期" in page
    assert "5 天" in page


def test_hazard_list_ignores_sorting_by_a_column_without_an_index(browser, world):
    first, second = world.listed(title="A 消防通道堵塞"), world.listed(title="B 配电箱未接地")
    title_column = HazardAdmin.list_display.index("title")
    response = browser.get(changelist("hazards_hazard"), {"o": str(title_column)})
    assert list(response.context["cl"].result_list) == [second, first]  # newest first, as by default
    number_column = HazardAdmin.list_display.index("number")
    response = browser.get(changelist("hazards_hazard"), {"o": str(number_column)})
    assert list(response.context["cl"].result_list) == [first, second]


def test_searching_events_by_hazard_number_finds_its_timeline(browser, world):
    wanted, other = world.assigned(), world.listed(title="消防通道堵塞")
    response = browser.get(changelist("hazards_hazardevent"), {"q": wanted.number})
    assert response.status_code == 200
    events = list(response.context["cl"].result_list)
    assert {event.hazard_id for event in events} == {wanted.pk}
    assert len(events) == 2
    assert other.number not in response.content.decode()


def test_staff_officer_sees_only_own_county_in_the_admin(client, world):
    hongqi_hazard = world.listed()
    weibin_hazard = services.hazard_register(details=world.details(region=world.weibin), by=world.wb_officer)
    officer = world.wb_officer
    officer.is_staff = True
    officer.save()
    officer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_hazard", "view_hazardevent"], content_type__app_label="hazards")
    )
    client.force_login(officer)
    hazards = client.get(changelist("hazards_hazard")).content.decode()
    assert weibin_hazard.number in hazards
    assert hongqi_hazard.number not in hazards
    events = client.get(changelist("hazards_hazardevent")).context["cl"].result_list
    assert {event.hazard_id for event in events} == {weibin_hazard.pk}
    response = client.get(change_page("hazards_hazard", hongqi_hazard.pk))
    assert response.status_code == 302  # the admin's "does not exist": nothing about the hazard leaks


def test_searching_units_by_credit_code_finds_it(browser, world):
    response = browser.get(changelist("accounts_responsibleunit"), {"q": world.hq_unit.credit_code.lower()})
    assert list(response.context["cl"].result_list) == [world.hq_unit]


def test_searching_units_by_pinyin_initials_finds_it(browser, world):
    # 新乡市红旗机械有限公司 → xxshqjxyxgs
    response = browser.get(changelist("accounts_responsibleunit"), {"q": "hqjx"})
    assert list(response.context["cl"].result_list) == [world.hq_unit]


def unit_form(world: World, **overrides) -> dict:
    data = {
        "name": "新乡市红旗化工有限公司",
        "kind": UnitKind.ENTERPRISE,
        "credit_code": make_credit_code(9001),
        "industry_code": "",
        "is_active": "on",
        "region": world.hongqi.pk,
        "address": "红旗区化工路 1 号",
        "contact_name": "王五",
        "contact_phone": "13900000000",
    }
    data.update(overrides)
    return data


def test_adding_a_unit_with_a_bad_check_character_shows_chinese_error(browser, world):
    good = make_credit_code(9001)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = browser.post(reverse("admin:accounts_responsibleunit_add"), unit_form(world, credit_code=bad))
    assert response.status_code == 200
    assert "校验位" in response.content.decode()
    assert not ResponsibleUnit.objects.filter(name="新乡市红旗化工有限公司").exists()


def test_adding_an_enterprise_without_credit_code_shows_chinese_error(browser, world):
    response = browser.post(reverse("admin:accounts_responsibleunit_add"), unit_form(world, credit_code=""))
    assert "企业应填写统一社会信用代码" in response.content.decode()
    assert not ResponsibleUnit.objects.filter(name="新乡市红旗化工有限公司").exists()


def test_adding_a_unit_accepts_a_lower_case_credit_code(browser, world):
    code = make_credit_code(9001)
    response = browser.post(reverse("admin:accounts_responsibleunit_add"), unit_form(world, credit_code=code.lower()))
    assert response.status_code == 302
    unit = ResponsibleUnit.objects.get(name="新乡市红旗化工有限公司")
    assert unit.credit_code == code
    assert unit.name_initials == "xxshqhgyxgs"


def test_a_units_sector_is_set_in_the_admin_through_the_service(browser, world):
    response = browser.post(reverse("admin:accounts_responsibleunit_add"), unit_form(world, sector=world.sector.pk))
    assert response.status_code == 302
    assert ResponsibleUnit.objects.get(name="新乡市红旗化工有限公司").sector == world.sector
    listed = browser.get(changelist("accounts_responsibleunit"), {"sector__id__exact": world.sector.pk})
    assert "新乡市红旗化工有限公司" in listed.content.decode()


def test_units_cannot_be_deleted(browser, world):
    url = reverse("admin:accounts_responsibleunit_delete", args=[world.wb_unit.pk])
    assert browser.get(url).status_code == 403


def user_form(**overrides) -> dict:
    data = {
        "username": "new_contact",
        "usable_password": "true",
        "password1": "Xinxiang-2026-safe",
        "password2": "Xinxiang-2026-safe",
        "full_name": "赵六",
        "phone": "13700000000",
        "role": Role.UNIT_CONTACT,
        "region": "",
        "unit": "",
    }
    data.update(overrides)
    return data


def test_adding_a_unit_contact_without_a_unit_shows_chinese_error(browser, world):
    response = browser.post(reverse("admin:accounts_user_add"), user_form())
    assert response.status_code == 200
    assert "责任单位联系人必须指定所属责任单位" in response.content.decode()
    assert not User.objects.filter(username="new_contact").exists()


def test_user_add_page_speaks_chinese_only(browser):
    page = browser.get(reverse("admin:accounts_user_add")).content.decode()
    assert "创建用户后" in page
    assert "After you" not in page
    assert "角色与辖区" in page


def test_adding_a_county_officer_without_a_region_shows_chinese_error(browser, world):
    response = browser.post(reverse("admin:accounts_user_add"), user_form(role=Role.COUNTY_OFFICER))
    assert "该角色必须指定辖区" in response.content.decode()
    assert not User.objects.filter(username="new_contact").exists()


def test_adding_a_unit_contact_with_a_unit_creates_the_user(browser, world):
    response = browser.post(reverse("admin:accounts_user_add"), user_form(unit=world.hq_unit.pk))
    assert response.status_code == 302
    user = User.objects.get(username="new_contact")
    assert (user.role, user.unit, user.full_name) == (Role.UNIT_CONTACT, world.hq_unit, "赵六")
    assert user.check_password("Xinxiang-2026-safe")


def test_region_code_and_parent_are_fixed_once_made(browser, world):
    page = browser.get(change_page("accounts_region", world.hongqi.pk)).content.decode()
    assert 'name="code"' not in page
    assert 'name="parent"' not in page
    assert 'name="name"' in page


def make_hazards(world: World, count: int) -> None:
    """Hazards in both sectors (one with a parent, whose name shows in the list) and both stages."""
    sub_sector = SectorFactory(code="metallurgy", name="冶金", parent=world.sector)
    for i in range(count):
        hazard = world.listed(sector=sub_sector if i % 2 else world.sector)
        if i % 3 == 0:
            world.assigned(hazard)


def hazard_list_queries(browser) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(changelist("hazards_hazard")).status_code == 200
    return len(queries)


def test_hazard_list_runs_the_same_queries_for_few_or_many_hazards(browser, world, django_assert_max_num_queries):
    make_hazards(world, 3)
    few = hazard_list_queries(browser)
    make_hazards(world, 12)
    with django_assert_max_num_queries(8):
        many = hazard_list_queries(browser)
    assert many == few


def test_unfiltered_hazard_list_reads_the_planner_estimate_instead_of_counting(browser, world, monkeypatch):
    make_hazards(world, 3)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Hazard._meta.db_table}")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 1)
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(changelist("hazards_hazard"))
    sql = [query["sql"] for query in queries]
    assert any("pg_class" in statement for statement in sql)
    assert not any("COUNT(" in statement and Hazard._meta.db_table in statement for statement in sql)
    assert response.context["cl"].result_count == 3


def test_filtered_hazard_list_counts_exactly(browser, world, monkeypatch):
    make_hazards(world, 3)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Hazard._meta.db_table}")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 1)
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(changelist("hazards_hazard"), {"status__exact": Status.ASSIGNED})
    assert not any("pg_class" in query["sql"] for query in queries)
    assert response.context["cl"].result_count == 1


def test_a_unit_changed_in_the_admin_goes_through_the_service(browser, world):
    url = reverse("admin:accounts_responsibleunit_change", args=[world.hq_unit.pk])
    data = unit_form(world, name="新乡市红旗重工有限公司", credit_code=world.hq_unit.credit_code)
    assert browser.post(url, data).status_code == 302
    world.hq_unit.refresh_from_db()
    assert (world.hq_unit.name, world.hq_unit.name_initials) == ("新乡市红旗重工有限公司", "xxshqzgyxgs")


def test_only_the_administrator_adds_or_changes_units_in_the_admin(client, world):
    officer = world.hq_officer
    officer.is_staff = True
    officer.save()
    officer.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_responsibleunit", "add_responsibleunit", "change_responsibleunit"]
        )
    )
    client.force_login(officer)
    assert client.get(reverse("admin:accounts_responsibleunit_add")).status_code == 403
    assert client.post(reverse("admin:accounts_responsibleunit_add"), unit_form(world)).status_code == 403
    assert not ResponsibleUnit.objects.filter(name="新乡市红旗化工有限公司").exists()
