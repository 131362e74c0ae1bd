"""The browser app through Django's test client: who sees which page, filters, counts, budgets."""

from __future__ import annotations

import datetime
import gzip
import re
from html import unescape

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hazards import services
from hazards.choices import AttachmentPhase, AuthorityLevel
from reminders.models import InboxMessage
from tests.conftest import future_deadline, png_upload

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
PAGE_BUDGET = 300 * 1024


def detail_url(hazard) -> str:
    return reverse("hazards:detail", args=[hazard.pk])


def hazard_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-hazard="(\d+)"', response.content.decode())]


def card_counts(response) -> dict[str, int]:
    html = response.content.decode()
    return {key: int(n) for key, n in re.findall(r'data-card="(\w+)".*?data-count>(\d+)<', html, re.S)}


# --- who sees what ---------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_the_chinese_login_page(client, world):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/")
    page = client.get("/login/")
    assert page.status_code == 200
    assert "登录" in page.content.decode()


def test_logging_in_through_the_form_opens_the_home_page(client, world):
    response = client.post("/login/", {"username": "hq_officer", "password": "demo12345"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "工作台" in response.content.decode()


def test_a_wrong_password_is_refused_in_chinese(client, world):
    response = client.post("/login/", {"username": "hq_officer", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_logout_is_a_post_and_returns_to_the_login_page(as_user, world):
    client = as_user(world.hq_officer)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "persona", ["hq_officer", "hq_supervisor", "unit_demo", "city_office", "admin", "wb_officer", "wb_contact"]
)
def test_home_list_and_messages_render_for_every_role(as_user, world, persona):
    world.assigned()
    client = as_user(getattr(world, persona))
    for url in ("/", "/hazards/", "/messages/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="zh-Hans"' in response.content.decode()


def test_layout_shows_name_role_and_jurisdiction(as_user, world):
    body = as_user(world.unit_demo).get("/").content.decode()
    assert world.unit_demo.full_name in body
    assert "责任单位联系人" in body
    assert world.hq_unit.name in body
    body = as_user(world.hq_officer).get("/").content.decode()
    assert "区县安全员" in body and "红旗区" in body


@pytest.mark.parametrize("persona", ["hq_officer", "hq_supervisor", "unit_demo", "city_office", "admin"])
def test_the_detail_page_renders_for_those_who_may_see_the_hazard(as_user, world, persona):
    hazard = world.submitted()
    response = as_user(getattr(world, persona)).get(detail_url(hazard))
    assert response.status_code == 200
    assert hazard.number in response.content.decode()


@pytest.mark.parametrize("persona", ["wb_officer", "wb_supervisor", "wb_contact"])
def test_outsiders_get_the_chinese_404_for_the_detail_page(as_user, world, persona):
    hazard = world.submitted()
    response = as_user(getattr(world, persona)).get(detail_url(hazard))
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert hazard.title not in body


def test_an_unknown_url_gets_the_chinese_404_page(as_user, world):
    response = as_user(world.hq_officer).get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


@pytest.mark.parametrize("url", ["/no-such-page/", "detail"])
def test_with_debug_on_a_404_is_still_the_chinese_page_not_djangos(as_user, world, settings, url):
    """``make run`` runs with DEBUG=1: what a user sees there is what production shows."""
    settings.DEBUG = True
    url = detail_url(world.listed()) if url == "detail" else url
    response = as_user(world.wb_officer).get(url)
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body and 'data-testid="error-page"' in body
    assert "Page not found" not in body and "Using the URLconf" not in body


def test_with_debug_on_an_unknown_api_url_is_still_a_json_error(as_user, world, settings):
    settings.DEBUG = True
    response = as_user(world.hq_officer).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_403_and_500_templates_are_in_chinese():
    from django.template.loader import render_to_string

    assert "无权访问" in render_to_string("403.html")
    assert "服务器出了点问题" in render_to_string("500.html")


# --- 隐患详情 ---------------------------------------------------------------------------------------


def test_detail_shows_each_stage_the_timeline_and_what_the_user_may_do(as_user, world):
    hazard = world.submitted()
    body = as_user(world.hq_supervisor).get(detail_url(hazard)).content.decode()
    for text in (
        "列单 · 隐患信息",
        "交单 · 责任与期限",
        "办单 · 整改情况",
        "西街街道 / 西街社区",
        "立即整改，规范接地。",
    ):
        assert text in body
    assert 'data-testid="major-section"' not in body
    # The timeline: actions, from → to, readable changes (the unit's name, not its id).
    for text in ("列单", "交单", "签收", "办单", "已交办 → 整改中", f"责任单位：— → {world.hq_unit.name}"):
        assert text in body
    actions = body.split('data-testid="actions"')[1].split("</section>")[0]
    assert "销号" in actions and "退回" in actions and "交单" not in actions


def test_a_unit_contact_sees_no_action_on_a_hazard_waiting_for_verification(as_user, world):
    hazard = world.submitted()
    body = as_user(world.unit_demo).get(detail_url(hazard)).content.decode()
    assert "当前没有需要您办理的操作" in body


def test_the_major_section_appears_only_for_a_major_hazard(as_user, world):
    major = world.listed_major()
    services.supervision_start(
        hazard=major,
        by=world.hq_supervisor,
        authority_level=AuthorityLevel.COUNTY,
        requirements="限期整改",
        deadline=future_deadline(30),
    )
    body = as_user(world.hq_officer).get(detail_url(major)).content.decode()
    assert 'data-testid="major-section"' in body
    assert "工贸企业重大事故隐患判定标准" in body and "12.00 万元" in body
    assert f"红旗区安委办督〔{timezone.localdate().year}〕1号" in body and "挂牌督办" in body


def test_photos_are_grouped_by_phase_and_served_only_within_scope(as_user, world):
    hazard = world.submitted()
    attachment = hazard.attachments.get()
    assert attachment.phase == AttachmentPhase.RECTIFIED
    url = reverse("hazards:attachment", args=[hazard.pk, attachment.pk])
    body = as_user(world.hq_officer).get(detail_url(hazard)).content.decode()
    rectified = body.split('<h2 class="h6">整改后</h2>')[1].split("<h2")[0]
    assert url in rectified

    response = as_user(world.unit_demo).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")

    for outsider in (world.wb_officer, world.wb_contact):
        assert as_user(outsider).get(url).status_code == 404
    # The right attachment under the wrong hazard is not found either.
    other = world.listed()
    assert (
        as_user(world.hq_officer).get(reverse("hazards:attachment", args=[other.pk, attachment.pk])).status_code == 404
    )


# --- 工作台 ---------------------------------------------------------------------------------------


@pytest.fixture
def ledger(world):
    """Hongqi: 2 listed, 1 assigned, 1 rectifying, 1 submitted, 1 closed; Weibin: 1 listed."""
    world.listed()
    world.listed()
    world.assigned()
    world.rectifying()
    world.submitted()
    world.closed()
    services.hazard_register(details=world.details(region=world.weibin), by=world.wb_officer)
    return world


def test_home_counts_what_waits_for_the_county_officer(as_user, ledger):
    counts = card_counts(as_user(ledger.hq_officer).get("/"))
    assert counts == {
        "listed": 2,
        "assigned": 1,
        "rectifying": 1,
        "submitted": 1,
        "overdue": 0,
        "due_soon": 0,
        "supervised": 0,
    }


def test_home_counts_what_waits_for_the_unit_contact(as_user, ledger):
    counts = card_counts(as_user(ledger.unit_demo).get("/"))
    assert counts == {"assigned": 1, "rectifying": 1, "submitted": 1, "overdue": 0, "due_soon": 0, "supervised": 0}


def test_home_counts_overdue_and_due_soon_and_links_to_the_same_list(as_user, world, time_machine):
    hazard = world.rectifying()
    world.listed()
    time_machine.move_to(datetime.datetime.combine(hazard.deadline, datetime.time(9), tzinfo=SHANGHAI))
    # Signed in on the day: ten working days can be more than the two weeks a session lasts.
    client = as_user(world.hq_officer)
    response = client.get("/")
    assert card_counts(response)["due_soon"] == 1
    assert card_counts(response)["overdue"] == 0
    time_machine.move_to(datetime.datetime.combine(hazard.deadline, datetime.time(9), tzinfo=SHANGHAI) + DAYS_2)
    client = as_user(world.hq_officer)  # the first session has expired by then
    response = client.get("/")
    assert card_counts(response)["overdue"] == 1
    link = unescape(re.search(r'href="([^"]+)" data-card="overdue"', response.content.decode()).group(1))
    listed = client.get(link)
    assert hazard_ids(listed) == [hazard.pk]
    assert "逾期 2 天" in listed.content.decode()


DAYS_2 = datetime.timedelta(days=2)


def test_the_unread_badge_counts_only_my_messages_and_caps_at_99(as_user, world):
    InboxMessage.objects.bulk_create(
        [InboxMessage(recipient=world.hq_officer, title=f"提醒 {n}", body="到期") for n in range(120)]
    )
    InboxMessage.objects.create(recipient=world.unit_demo, title="提醒", body="到期")
    assert re.search(r"未读 </span>99\+<", as_user(world.hq_officer).get("/").content.decode())
    assert re.search(r"未读 </span>1<", as_user(world.unit_demo).get("/").content.decode())
    assert 'data-testid="unread-badge"' not in as_user(world.hq_supervisor).get("/").content.decode()


def test_messages_are_marked_read_one_by_one_or_all_and_only_my_own(as_user, world):
    first, second = (InboxMessage.objects.create(recipient=world.hq_officer, title=t, body="到期") for t in "甲乙")
    theirs = InboxMessage.objects.create(recipient=world.unit_demo, title="丙", body="到期")
    client = as_user(world.hq_officer)
    assert client.get("/messages/").content.decode().count("data-unread") == 2
    assert client.post(f"/messages/{first.pk}/read/").status_code == 302
    first.refresh_from_db()
    read_at = first.read_at
    assert read_at is not None and not InboxMessage.objects.get(pk=second.pk).read_at
    assert client.post(f"/messages/{theirs.pk}/read/").status_code == 404
    client.post("/messages/read/")
    assert InboxMessage.objects.get(pk=second.pk).read_at is not None
    assert InboxMessage.objects.get(pk=first.pk).read_at == read_at  # the first reading is kept
    assert InboxMessage.objects.get(pk=theirs.pk).read_at is None
    assert 'data-testid="unread-badge"' not in client.get("/messages/").content.decode()


def test_the_inbox_keeps_its_addresses_in_the_reminders_app(as_user, world):
    assert reverse("reminders:messages") == "/messages/"
    assert reverse("reminders:messages_read_all") == "/messages/read/"
    assert reverse("reminders:message_read", args=[7]) == "/messages/7/read/"
    body = as_user(world.hq_officer).get("/messages/").content.decode()
    assert re.search(r'class="nav-link active" href="/messages/"', body)
    assert not re.search(r'class="nav-link active" href="/"', body)


# --- 隐患列表 ---------------------------------------------------------------------------------------


def test_the_list_shows_only_the_jurisdiction(as_user, ledger):
    ids = hazard_ids(as_user(ledger.wb_officer).get("/hazards/"))
    assert len(ids) == 1
    assert len(hazard_ids(as_user(ledger.hq_officer).get("/hazards/"))) == 6
    # A region outside the jurisdiction is simply empty, never a way in.
    assert hazard_ids(as_user(ledger.hq_officer).get(f"/hazards/?region={ledger.weibin.code}")) == []


def test_list_filters_narrow_the_rows_and_stay_in_the_form(as_user, ledger):
    client = as_user(ledger.hq_officer)
    response = client.get("/hazards/?status=listed&status=assigned&level=general&q=配电箱")
    assert len(hazard_ids(response)) == 3
    body = response.content.decode()
    assert 'value="listed" id="status-listed" checked' in body
    assert 'value="assigned" id="status-assigned" checked' in body
    assert 'value="配电箱"' in body
    assert len(hazard_ids(client.get("/hazards/?stage=handling"))) == 2
    assert len(hazard_ids(client.get(f"/hazards/?region={ledger.hq_township.code}"))) == 6
    assert hazard_ids(client.get("/hazards/?supervised=true")) == []
    assert hazard_ids(client.get("/hazards/?sector=no-such-sector")) == []


def test_the_next_page_link_carries_the_filters_and_a_cursor(as_user, ledger):
    client = as_user(ledger.hq_officer)
    first = client.get("/hazards/?status=listed&status=assigned&status=rectifying&ordering=found_at&page_size=2")
    next_url = unescape(re.search(r'href="([^"]+)" rel="next"', first.content.decode()).group(1))
    assert "cursor=" in next_url
    assert "status=listed&status=assigned&status=rectifying" in next_url
    assert "ordering=found_at" in next_url
    second = client.get(next_url)
    ids = hazard_ids(first) + hazard_ids(second)
    assert len(ids) == len(set(ids)) == 4
    assert 'rel="next"' not in second.content.decode()
    assert "第一页" in second.content.decode()


def test_sort_links_toggle_the_order(as_user, ledger):
    client = as_user(ledger.hq_officer)
    body = client.get("/hazards/?ordering=-deadline&status=assigned").content.decode()
    assert unescape(re.search(r'href="([^"]+)" data-sort="deadline"', body).group(1)) == (
        "?ordering=deadline&status=assigned"
    )
    found = hazard_ids(client.get("/hazards/?ordering=found_at"))
    assert found == sorted(found)


def test_a_bad_cursor_or_ordering_is_explained_not_a_crash(as_user, ledger):
    client = as_user(ledger.hq_officer)
    response = client.get("/hazards/?cursor=garbage")
    assert response.status_code == 200
    assert "游标无效" in response.content.decode()
    assert "可选排序" in client.get("/hazards/?ordering=title").content.decode()


# --- budgets --------------------------------------------------------------------------------------


def make_hazards(world, count: int) -> None:
    for n in range(count):
        hazard = world.listed(title=f"隐患 {n}")
        if n % 3 == 1:
            world.assigned(hazard)
        elif n % 3 == 2:
            world.submitted(hazard)


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("persona", ["hq_officer", "unit_demo"])
def test_the_list_costs_the_same_queries_for_3_and_15_hazards(as_user, world, persona, django_assert_max_num_queries):
    client = as_user(getattr(world, persona))
    make_hazards(world, 3)
    few = queries_of(client, "/hazards/")
    make_hazards(world, 12)
    with django_assert_max_num_queries(few):
        client.get("/hazards/")
    assert few <= 10


def test_the_detail_page_costs_the_same_queries_for_short_and_long_histories(
    as_user, world, django_assert_max_num_queries
):
    client = as_user(world.hq_supervisor)
    short = world.listed()
    long = world.submitted()
    for _ in range(6):
        services.attachment_add(hazard=long, by=world.hq_officer, phase=AttachmentPhase.FOUND, upload=png_upload())
    services.hazard_reject(hazard=long, by=world.hq_supervisor, reason="接地电阻不合格。")
    few = queries_of(client, detail_url(short))
    with django_assert_max_num_queries(few):
        client.get(detail_url(long))
    assert few <= 15


def page_weight(response) -> tuple[int, int]:
    """(raw, gzip) bytes of the HTML plus every local stylesheet and script it references."""
    html = response.content
    raw, packed = len(html), len(gzip.compress(html))
    for path in re.findall(r'(?:href|src)="/static/([^"]+\.(?:css|js))"', html.decode()):
        data = open(finders.find(path), "rb").read()  # noqa: SIM115
        raw += len(data)
        packed += len(gzip.compress(data))
    return raw, packed


def test_pages_weigh_under_300_kb(as_user, world):
    """Bytes before photos: the HTML plus every stylesheet and script it loads, uncompressed (Bootstrap's
    CSS is built with only the rules the pages use, scripts/assets.py); gzipped they are far less."""
    make_hazards(world, 15)
    client = as_user(world.hq_officer)
    hazard = world.listed()
    urls = ("/", "/hazards/", detail_url(hazard), "/hazards/new/", "/messages/")
    responses = [client.get(url) for url in urls]
    client.logout()
    responses.append(client.get("/login/"))
    for response in responses:
        assert response.status_code == 200
        assert re.search(r'(?:href|src)="(?:https?:)?//', response.content.decode()) is None, "no external assets"
        raw, packed = page_weight(response)
        assert raw < PAGE_BUDGET, (response.request["PATH_INFO"], raw)
        assert packed < raw / 3


def test_the_municipal_office_lands_on_the_city_dashboard(as_user, world):
    body = as_user(world.city_office).get("/").content.decode()
    assert 'data-testid="dashboard-title"' in body and "新乡市" in body
    assert 'data-card="supervised"' not in body


def test_the_administrator_sees_every_card_with_none_marked_as_its_own(as_user, world):
    body = as_user(world.admin).get("/").content.decode()
    assert "待我处理" not in body
    assert 'data-card="supervised"' in body
