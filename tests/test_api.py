"""REST API v1 through HTTP: auth, scoping, the workflow actions, errors, idempotency and paging."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.choices import RegionLevel
from accounts.models import Region
from config.reference import ReferenceCache
from hazards import services
from hazards.choices import Status
from hazards.models import Hazard, HazardEvent, Sector
from tests.conftest import World, future_deadline, png_upload
from tests.factories import RegionFactory, SectorFactory

API = "/api/v1"


@pytest.fixture(autouse=True)
def fresh_throttles():
    # Throttle counters live in the real Redis cache; each test starts with none.
    cache.clear()


@pytest.fixture
def api(world):
    def client_for(persona: str | None) -> APIClient:
        client = APIClient()
        if persona:
            client.force_authenticate(getattr(world, persona))
        return client

    return client_for


def hazard_url(hazard: Hazard, action: str = "") -> str:
    return f"{API}/hazards/{hazard.pk}/" + (f"{action}/" if action else "")


def create_body(world: World, **overrides) -> dict:
    body = {
        "region": world.hq_village.code,
        "sector": world.sector.code,
        "title": "消防通道堵塞",
        "description": "仓库北侧消防通道堆放杂物。",
        "category": "site_management",
        "factor": "management",
        "source": "routine",
        "address": "红旗区某仓库",
    }
    body.update(overrides)
    return body


ACTION_BODIES = {
    "assign": lambda w: {
        "unit": w.hq_unit.pk,
        "responsible_person": "李四",
        "requirements": "限期整改",
        "deadline": future_deadline().isoformat(),
    },
    "acknowledge": lambda w: {},
    "verify": lambda w: {"method": "on_site", "opinion": "同意销号"},
    "reject": lambda w: {"reason": "整改不到位"},
    "void": lambda w: {"reason": "重复登记"},
    "request-extension": lambda w: {"requested_deadline": future_deadline(40).isoformat(), "reason": "设备采购"},
    "list-supervision": lambda w: {
        "authority_level": "city",
        "authority": "新乡市安委办",
        "notice_number": "新安委办督〔2026〕3号",
        "requirements": "限期治理",
        "deadline": future_deadline(30).isoformat(),
    },
}


# --- authentication ---------------------------------------------------------------------------


def test_token_is_issued_for_good_credentials_and_works(world):
    client = APIClient()
    response = client.post(f"{API}/auth/token/", {"username": "hq_officer", "password": "demo12345"}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get(f"{API}/me/").json()["role"] == "county_officer"


def test_bad_credentials_get_a_chinese_400(world):
    response = APIClient().post(f"{API}/auth/token/", {"username": "hq_officer", "password": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "密码" in response.json()["message"]


def test_no_credentials_get_401_with_the_error_shape(world):
    response = APIClient().get(f"{API}/hazards/")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": response.json()["message"], "fields": {}}
    assert response.headers["WWW-Authenticate"].startswith("Token")


def test_a_bad_token_gets_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(f"{API}/hazards/").status_code == 401


def test_token_endpoint_is_throttled_with_retry_after(world):
    client = APIClient()
    statuses = [
        client.post(f"{API}/auth/token/", {"username": "hq_officer", "password": "x"}, format="json").status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [400] * 10
    response = client.post(f"{API}/auth/token/", {"username": "hq_officer", "password": "x"}, format="json")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"


# --- reading ----------------------------------------------------------------------------------


def test_list_shows_the_representation_of_each_hazard(world, api):
    hazard = world.assigned()
    item = api("hq_officer").get(f"{API}/hazards/").json()["results"][0]
    assert item["number"] == hazard.number
    assert item["status"] == "assigned"
    assert item["stage"] == "handover"
    assert item["stage_display"] == "交单"
    assert item["level"] == "general"
    assert item["region"]["county"] == {"code": "410702", "name": "红旗区"}
    assert item["sector"] == {"code": world.sector.code, "name": world.sector.name}
    assert item["responsible_unit"]["id"] == world.hq_unit.pk
    assert item["is_overdue"] is False
    assert item["days_overdue"] == 0
    assert item["is_supervised"] is False
    assert item["deadline"] == hazard.deadline.isoformat()


def test_detail_carries_an_etag(world, api):
    hazard = world.listed()
    response = api("hq_officer").get(hazard_url(hazard))
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{hazard.pk}-{hazard.version}"'


def test_outsider_gets_404_on_every_detail_and_action_url(world, api):
    hazard = world.submitted()
    wb = api("wb_officer")
    assert wb.get(hazard_url(hazard)).status_code == 404
    for path in ("events", "attachments"):
        assert wb.get(hazard_url(hazard, path)).status_code == 404
    for action in [*ACTION_BODIES, "submit", "attachments"]:
        response = wb.post(hazard_url(hazard, action), {}, format="json")
        assert response.status_code == 404, action
        assert response.json()["code"] == "not_found"
    assert wb.patch(hazard_url(hazard), {"title": "x"}, format="json").status_code == 404
    assert not HazardEvent.objects.filter(hazard=hazard, actor=world.wb_officer).exists()


def test_unit_contact_lists_only_its_units_hazards(world, api):
    mine = world.assigned()
    world.listed()
    numbers = [h["number"] for h in api("unit_demo").get(f"{API}/hazards/").json()["results"]]
    assert numbers == [mine.number]


def test_cursor_pages_through_everything_once(world, api):
    created = {world.listed().number for _ in range(7)}
    client = api("hq_officer")
    seen, url = [], f"{API}/hazards/?page_size=3&ordering=found_at"
    while url:
        page = client.get(url).json()
        seen += [h["number"] for h in page["results"]]
        url = page["next"]
    assert len(seen) == 7
    assert set(seen) == created


def test_cursor_pages_by_deadline_with_empty_deadlines_last(world, api):
    for _ in range(3):
        world.assigned()
    listed = [world.listed().number for _ in range(2)]
    client = api("hq_officer")
    seen, url = [], f"{API}/hazards/?page_size=2&ordering=deadline"
    while url:
        page = client.get(url).json()
        seen += [(h["number"], h["deadline"]) for h in page["results"]]
        url = page["next"]
    assert len(seen) == 5
    assert {n for n, d in seen[-2:]} == set(listed)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=201", "page_size"),
        ("page_size=abc", "page_size"),
        ("cursor=garbage", "cursor"),
        ("ordering=x", "ordering"),
    ],
)
def test_bad_paging_parameters_get_400(world, api, query, field):
    response = api("hq_officer").get(f"{API}/hazards/?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_list_query_count_does_not_grow_with_page_size(world, api):
    # Each hazard in a village and sector of its own: a bigger page names more reference rows.
    for n in range(6):
        village = RegionFactory(
            code=f"41070200100{n + 2}", name=f"村{n}", level=RegionLevel.VILLAGE, parent=world.hq_township
        )
        world.assigned(world.listed(region=village, sector=SectorFactory()))
    client = api("hq_officer")

    def queries(page_size: int) -> int:
        # From cold reference caches, the worst case: they are filled a page at a time.
        Region.cached.clear()
        Sector.cached.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}/hazards/?page_size={page_size}").status_code == 200
        return len(captured)

    assert queries(2) == queries(6)


def test_list_reads_regions_and_sectors_from_their_caches(world, api):
    for _ in range(3):
        world.assigned()
    client = api("hq_officer")
    client.get(f"{API}/hazards/?region={world.hongqi.code}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{API}/hazards/?region={world.hongqi.code}")
    assert len(response.json()["results"]) == 3
    # Once known, the caller's region, the region filter and each row's region, county and sector
    # cost no query and no join: the hazards are read in one statement.
    [sql] = [q["sql"] for q in captured.captured_queries]
    assert 'FROM "hazards_hazard"' in sql
    assert "accounts_region" not in sql
    assert "hazards_sector" not in sql


def test_renamed_region_and_sector_show_on_the_next_list(world, api):
    world.assigned()
    client = api("hq_officer")
    client.get(f"{API}/hazards/")
    world.hq_village.name = "西街新社区"
    world.hq_village.save()
    world.sector.name = "粉尘防爆"
    world.sector.save()
    item = client.get(f"{API}/hazards/").json()["results"][0]
    assert item["region"]["name"] == "西街新社区"
    assert item["sector"]["name"] == "粉尘防爆"


def test_a_change_committed_elsewhere_reaches_every_process(world, django_capture_on_commit_callbacks):
    """Another process's cache learns of a change through the shared cache once it commits."""
    elsewhere = ReferenceCache(key="code")
    elsewhere.model = Region  # as in another process: this process's signals do not reach it
    elsewhere.check_every = 0
    assert elsewhere.get_by_key(world.hongqi.code).name == "红旗区"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        world.hongqi.name = "红旗新区"
        world.hongqi.save()
    assert elsewhere.get(world.hongqi.pk).name == "红旗区"  # not committed yet: nothing published
    for callback in callbacks:
        callback()
    assert elsewhere.get(world.hongqi.pk).name == "红旗新区"
    assert elsewhere.get_by_key(world.hongqi.code).name == "红旗新区"


def test_a_change_no_one_announced_is_read_again_after_max_age(world):
    cached = ReferenceCache(key="code")
    cached.model = Region
    cached.check_every = 0
    assert cached.get(world.hongqi.pk).name == "红旗区"
    Region.objects.filter(pk=world.hongqi.pk).update(name="红旗新区")  # no signal, no token
    assert cached.get(world.hongqi.pk).name == "红旗区"
    cached.max_age = 0
    assert cached.get(world.hongqi.pk).name == "红旗新区"


def test_list_never_counts_the_table(world, api):
    world.listed()
    with CaptureQueriesContext(connection) as captured:
        api("city_office").get(f"{API}/hazards/?status=listed")
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]


# --- filters ----------------------------------------------------------------------------------


def test_filters_narrow_the_list(world, api, time_machine):
    listed = world.listed()
    assigned = world.assigned()
    closed = world.closed()
    major = world.listed_major()
    client = api("city_office")

    def numbers(query: str) -> set[str]:
        response = client.get(f"{API}/hazards/?{query}")
        assert response.status_code == 200, response.json()
        return {h["number"] for h in response.json()["results"]}

    assert numbers("status=listed&status=assigned") == {listed.number, assigned.number, major.number}
    assert numbers("stage=clearing") == {closed.number}
    assert numbers("level=major") == {major.number}
    assert numbers(f"region={world.hq_village.code}") == {listed.number, assigned.number, closed.number, major.number}
    assert numbers(f"region={world.weibin.code}") == set()
    assert numbers(f"unit={world.hq_unit.pk}&status=assigned") == {assigned.number}
    assert numbers(f"q={listed.number}") == {listed.number}
    assert numbers("q=泄爆") == {major.number}
    assert numbers("overdue=true") == set()
    later = timezone.now() + datetime.timedelta(seconds=1)
    assert numbers(f"updated_after={later.isoformat().replace('+', '%2B')}") == set()

    time_machine.move_to(datetime.datetime.combine(assigned.deadline, datetime.time(12)) + datetime.timedelta(days=2))
    assert numbers("overdue=true") == {assigned.number}
    assert assigned.number not in numbers("overdue=false")


def test_supervised_filter_both_ways(world, api):
    from tests.test_workflow import perform

    major = world.listed_major()
    perform(world, "list_supervision", major, world.hq_supervisor)
    plain = world.listed()
    client = api("hq_officer")

    def numbers(query: str) -> set[str]:
        response = client.get(f"{API}/hazards/?{query}")
        assert response.status_code == 200, response.json()
        return {h["number"] for h in response.json()["results"]}

    assert numbers("supervised=true") == {major.number}
    assert numbers("supervised=false") == {plain.number}
    assert client.get(hazard_url(major) + "?supervised=true").json()["is_supervised"] is True


def explain_without_sorting(sql: str) -> str:
    with connection.cursor() as cursor:
        # With tiny tables the planner would rightly sort; forbid it to ask whether an index can give
        # this order at all, which is what a million rows need.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def hazard_index_condition(plan: str) -> str:
    """The Index Cond of the plan's scan of the hazards table ("" when it has none)."""
    lines = plan.splitlines()
    start = next(n for n, line in enumerate(lines) if "Scan" in line and "on hazards_hazard " in line)
    conditions = []
    for line in lines[start + 1 :]:
        if "->" in line:
            break
        if "Index Cond:" in line:
            conditions.append(line.split("Index Cond:", 1)[1].strip())
    return " AND ".join(conditions)


@pytest.mark.parametrize(
    ("persona", "query"),
    [
        ("hq_officer", "status=assigned&status=listed"),  # a county officer's list by status
        ("hq_officer", ""),  # the county officer's whole list
        ("api_client", ""),  # the whole city
    ],
)
@pytest.mark.parametrize("ordering", ["-found_at", "found_at", "updated_at", "deadline", "-deadline"])
def test_every_page_is_an_index_range_from_the_cursor(world, api, persona, query, ordering):
    """Each page after the first reads one range of an index, starting at its cursor, in order: no
    sort, and no filtering of the rows before the cursor, so page 10,000 costs what page 2 costs. A
    county officer's range lies within the county: other counties' rows are not read and dropped."""
    # The county's four hazards, with and without a deadline (deadline pages cross from one range of
    # the index to the other), found, changed and due among many more of another county's.
    for make in (world.assigned, world.assigned, world.listed, world.listed, None):
        for n in range(6):
            hazard = services.hazard_list(details=world.details(region=world.weibin), by=world.wb_officer)
            if n % 2:
                services.hazard_assign(
                    hazard=hazard,
                    by=world.wb_officer,
                    unit=world.wb_unit,
                    responsible_person="王五",
                    requirements="限期整改",
                    deadline=future_deadline(4 * n),
                )
        if make:
            make()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE hazards_hazard")
    client = api(persona)
    field = ordering.lstrip("-")
    size = 1 if persona == "hq_officer" else 9  # four pages either way
    url = client.get(f"{API}/hazards/?{query}&page_size={size}&ordering={ordering}").json()["next"]
    pages = 1
    while url:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).json()
        pages += 1
        statements = [q["sql"] for q in captured.captured_queries if 'FROM "hazards_hazard"' in q["sql"]]
        for sql in statements:
            plan = explain_without_sorting(sql)
            assert "Sort" not in plan, f"{sql}\n{plan}"
            condition = hazard_index_condition(plan)
            assert f"{field} " in condition, f"{sql}\n{plan}"
            if persona == "hq_officer":
                assert "county_id = " in condition, f"{sql}\n{plan}"
        url = page["next"]
    assert pages == 4


def test_cursor_pages_by_deadline_descending_with_empty_deadlines_first(world, api):
    for _ in range(3):
        world.assigned()
    listed = [world.listed().number for _ in range(2)]
    client = api("hq_officer")
    seen, url = [], f"{API}/hazards/?page_size=2&ordering=-deadline"
    while url:
        page = client.get(url).json()
        seen += [(h["number"], h["deadline"]) for h in page["results"]]
        url = page["next"]
    assert len({n for n, d in seen}) == len(seen) == 5
    assert {n for n, d in seen[:2]} == set(listed)
    assert [d for n, d in seen[2:]] == sorted((d for n, d in seen[2:]), reverse=True)


def test_units_page_with_a_cursor(world, api):
    from tests.factories import UnitFactory

    for _ in range(3):
        UnitFactory(region=world.hongqi)
    client = api("hq_officer")
    seen, url = [], f"{API}/units/?page_size=1"
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.json()
        seen += [u["id"] for u in page.json()["results"]]
        url = page.json()["next"]
    assert len(seen) == len(set(seen)) == 4


# --- writing ----------------------------------------------------------------------------------


def test_create_lists_a_hazard(world, api):
    response = api("hq_officer").post(f"{API}/hazards/", create_body(world), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "listed"
    assert body["number"].startswith("YH-410702-")
    assert response.headers["Location"].endswith(f"/hazards/{body['id']}/")


def test_create_of_a_major_hazard_with_its_plan(world, api):
    major = {
        "major_standard": "industry_trade",
        "major_standard_item": "第三条第（二）项",
        "plan_funds": "15.50",
        "stop_production": "part",
    }
    response = api("hq_officer").post(f"{API}/hazards/", create_body(world, level="major", major=major), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["major"]["plan_funds"] == 15.5


def test_unknown_fields_are_rejected_not_ignored(world, api):
    response = api("hq_officer").post(f"{API}/hazards/", create_body(world, colour="red"), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "colour" in response.json()["fields"]
    assert not Hazard.objects.exists()


def test_wrong_types_get_field_errors_in_chinese(world, api):
    body = create_body(world, level="catastrophic", found_at="yesterday", region=12)
    response = api("hq_officer").post(f"{API}/hazards/", body, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert {"level", "found_at", "region"} <= set(fields)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])


def test_malformed_json_gets_a_parse_error(world, api):
    response = api("hq_officer").post(f"{API}/hazards/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_read_only_client_cannot_create(world, api):
    response = api("api_client").post(f"{API}/hazards/", create_body(world), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"


def test_region_outside_jurisdiction_is_a_field_error(world, api):
    response = api("hq_officer").post(f"{API}/hazards/", create_body(world, region=world.weibin.code), format="json")
    assert response.status_code == 400
    assert "region" in response.json()["fields"]


def test_same_idempotency_key_and_body_creates_once(world, api):
    client = api("hq_officer")
    first = client.post(f"{API}/hazards/", create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post(f"{API}/hazards/", create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Hazard.objects.count() == 1


def test_idempotent_replay_of_a_major_hazard_keeps_its_figures(world, api):
    major = {"major_standard": "industry_trade", "major_standard_item": "第三条", "plan_funds": "15.50"}
    body = create_body(world, level="major", major=major)
    client = api("hq_officer")
    first = client.post(f"{API}/hazards/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-major")
    second = client.post(f"{API}/hazards/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-major")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.json()["major"]["plan_funds"] == 15.5
    assert second.headers["Idempotent-Replayed"] == "true"


def test_same_idempotency_key_with_another_body_is_a_conflict(world, api):
    client = api("hq_officer")
    client.post(f"{API}/hazards/", create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = client.post(
        f"{API}/hazards/", create_body(world, title="另一条"), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert Hazard.objects.count() == 1


def test_a_failed_create_does_not_burn_the_idempotency_key(world, api):
    client = api("hq_officer")
    bad = client.post(f"{API}/hazards/", create_body(world, title=""), format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert bad.status_code == 400
    # Nothing was created, so nothing is remembered: the corrected retry under the same key goes through.
    good = client.post(f"{API}/hazards/", create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 201
    assert Hazard.objects.count() == 1


def test_whole_life_through_the_api(world, api):
    officer, contact, supervisor = api("hq_officer"), api("unit_demo"), api("hq_supervisor")
    hazard_id = officer.post(f"{API}/hazards/", create_body(world), format="json").json()["id"]
    hazard = Hazard.objects.get(pk=hazard_id)
    assert officer.post(hazard_url(hazard, "assign"), ACTION_BODIES["assign"](world), format="json").status_code == 200
    assert contact.post(hazard_url(hazard, "acknowledge"), {}, format="json").status_code == 200
    submit = {"measures": "已清理通道", "completed_on": timezone.localdate().isoformat(), "photos": [png_upload()]}
    response = contact.post(hazard_url(hazard, "submit"), submit, format="multipart")
    assert response.status_code == 200, response.json()
    assert supervisor.post(hazard_url(hazard, "reject"), {"reason": "仍有杂物"}, format="json").status_code == 200
    submit = {"measures": "已彻底清理", "completed_on": timezone.localdate().isoformat()}
    assert contact.post(hazard_url(hazard, "submit"), submit, format="multipart").status_code == 200
    response = supervisor.post(hazard_url(hazard, "verify"), ACTION_BODIES["verify"](world), format="json")
    assert response.json()["status"] == "closed"
    events = officer.get(hazard_url(hazard, "events")).json()
    assert [e["action"] for e in events] == ["list", "assign", "acknowledge", "submit", "reject", "submit", "verify"]


def test_assign_accepts_working_days(world, api):
    hazard = world.listed()
    body = {**ACTION_BODIES["assign"](world), "deadline": None, "working_days": 5}
    response = api("hq_officer").post(hazard_url(hazard, "assign"), body, format="json")
    assert response.status_code == 200, response.json()
    from hazards.workdays import add_working_days

    assert response.json()["deadline"] == add_working_days(timezone.localdate(), 5).isoformat()


# Who may POST each action on a hazard in the right status: 200/201 for the allowed persona, 403 for
# a role that may not, 404 where the hazard is outside what the persona sees.
MATRIX = [
    ("assign", Status.LISTED, {"hq_officer": 200, "hq_supervisor": 403, "unit_demo": 404, "api_client": 403}),
    ("acknowledge", Status.ASSIGNED, {"unit_demo": 200, "hq_officer": 403, "city_office": 403, "wb_contact": 404}),
    ("verify", Status.SUBMITTED, {"hq_supervisor": 200, "hq_officer": 403, "unit_demo": 403, "api_client": 403}),
    ("reject", Status.SUBMITTED, {"hq_supervisor": 200, "unit_demo": 403, "wb_supervisor": 404}),
    ("void", Status.ASSIGNED, {"hq_supervisor": 200, "hq_officer": 403, "city_office": 403}),
    ("request-extension", Status.RECTIFYING, {"unit_demo": 201, "hq_officer": 403, "api_client": 403}),
    ("list-supervision", Status.LISTED, {"hq_supervisor": 201, "hq_officer": 403, "wb_supervisor": 404}),
]
MAKE = {
    Status.LISTED: lambda w: w.listed_major(),
    Status.ASSIGNED: lambda w: w.assigned(),
    Status.RECTIFYING: lambda w: w.rectifying(),
    Status.SUBMITTED: lambda w: w.submitted(),
}


@pytest.mark.parametrize(
    ("action", "source", "persona", "expected"),
    [(a, s, p, code) for a, s, codes in MATRIX for p, code in codes.items()],
)
def test_role_action_matrix(world, api, action, source, persona, expected):
    hazard = MAKE[source](world)
    response = api(persona).post(hazard_url(hazard, action), ACTION_BODIES[action](world), format="json")
    assert response.status_code == expected, response.json()
    if expected >= 400:
        assert Hazard.objects.get(pk=hazard.pk).version == hazard.version


def test_illegal_transition_is_a_409_with_the_current_status(world, api):
    hazard = world.assigned()
    response = api("hq_officer").post(hazard_url(hazard, "assign"), ACTION_BODIES["assign"](world), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["status"] == "assigned"


def test_if_match_mismatch_is_a_412_and_changes_nothing(world, api):
    hazard = world.submitted()
    client = api("hq_supervisor")
    stale = client.get(hazard_url(hazard)).headers["ETag"]
    client.post(hazard_url(hazard, "reject"), {"reason": "不合格"}, format="json")
    response = client.post(
        hazard_url(hazard, "verify"), ACTION_BODIES["verify"](world), format="json", HTTP_IF_MATCH=stale
    )
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert Hazard.objects.get(pk=hazard.pk).status == "rectifying"


def test_if_match_that_matches_lets_the_action_through(world, api):
    hazard = world.submitted()
    client = api("hq_supervisor")
    current = client.get(hazard_url(hazard)).headers["ETag"]
    response = client.post(
        hazard_url(hazard, "verify"), ACTION_BODIES["verify"](world), format="json", HTTP_IF_MATCH=current
    )
    assert response.status_code == 200
    assert response.headers["ETag"] != current


def test_patch_changes_only_editable_fields(world, api):
    hazard = world.listed()
    client = api("hq_officer")
    response = client.patch(hazard_url(hazard), {"title": "新名称"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "新名称"
    event = HazardEvent.objects.filter(hazard=hazard).last()
    assert event.action == "update"
    assert event.changes["title"] == ["配电箱未接地", "新名称"]

    assigned = world.assigned()
    response = client.patch(hazard_url(assigned), {"title": "改不了"}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()["fields"]


def test_patch_rejects_status_and_unknown_fields(world, api):
    hazard = world.listed()
    response = api("hq_officer").patch(hazard_url(hazard), {"status": "closed"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["fields"]
    assert Hazard.objects.get(pk=hazard.pk).status == "listed"


def test_put_and_delete_are_not_allowed(world, api):
    hazard = world.listed()
    client = api("hq_officer")
    assert client.delete(hazard_url(hazard)).status_code == 405
    assert client.put(hazard_url(hazard), create_body(world), format="json").status_code == 405
    assert Hazard.objects.filter(pk=hazard.pk).exists()


def test_attachment_upload_checks_content(world, api):
    hazard = world.listed()
    client = api("hq_officer")
    ok = client.post(hazard_url(hazard, "attachments"), {"phase": "found", "file": png_upload()}, format="multipart")
    assert ok.status_code == 201
    assert ok.json()["content_type"] == "image/png"
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"plain text pretending")
    bad = client.post(hazard_url(hazard, "attachments"), {"phase": "found", "file": fake}, format="multipart")
    assert bad.status_code == 400
    assert "file" in bad.json()["fields"]


def test_oversized_attachment_is_a_413(world, api, settings):
    settings.ATTACHMENT_MAX_BYTES = 64
    hazard = world.listed()
    response = api("hq_officer").post(
        hazard_url(hazard, "attachments"), {"phase": "found", "file": png_upload()}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not hazard.attachments.exists()


def test_extension_decision_through_the_api(world, api):
    hazard = world.rectifying()
    body = ACTION_BODIES["request-extension"](world)
    extension = api("unit_demo").post(hazard_url(hazard, "request-extension"), body, format="json").json()
    response = api("hq_supervisor").post(
        f"{API}/extensions/{extension['id']}/decide/", {"approve": True, "comment": "同意"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert api("wb_supervisor").get(f"{API}/extensions/{extension['id']}/").status_code == 404
    assert Hazard.objects.get(pk=hazard.pk).deadline.isoformat() == body["requested_deadline"]


# --- reference data and docs ------------------------------------------------------------------


def test_regions_cascade_from_the_home_region(world, api):
    client = api("hq_officer")
    assert [r["code"] for r in client.get(f"{API}/regions/").json()] == ["410702"]
    children = client.get(f"{API}/regions/?parent=410702").json()
    assert [r["code"] for r in children] == [world.hq_township.code]
    assert client.get(f"{API}/regions/410703/").status_code == 404


def test_units_are_found_by_name_credit_code_or_initials(world, api):
    client = api("city_office")

    def names(q: str) -> set[str]:
        return {u["name"] for u in client.get(f"{API}/units/", {"q": q}).json()["results"]}

    assert names("红旗机械") == {world.hq_unit.name}
    assert names(world.hq_unit.credit_code[:10]) == {world.hq_unit.name}
    assert names("xxshq") == {world.hq_unit.name}  # 新乡市红旗…
    assert names("xxswb") == {world.wb_unit.name}  # 新乡市卫滨…


def test_sectors_and_departments_are_listed(world, api):
    client = api("api_client")
    assert world.sector.code in {s["code"] for s in client.get(f"{API}/sectors/").json()}
    assert client.get(f"{API}/departments/").status_code == 200


def test_me_describes_the_caller(world, api):
    me = api("unit_demo").get(f"{API}/me/").json()
    assert me["role_display"] == "责任单位联系人"
    assert me["unit"] == {"id": world.hq_unit.pk, "name": world.hq_unit.name}


def test_schema_and_docs_are_served_without_a_cdn(world, api):
    client = api("hq_officer")
    schema = client.get(f"{API}/schema/?format=json")
    assert schema.status_code == 200
    spec = json.loads(schema.content)
    assert "/api/v1/hazards/{id}/verify/" in spec["paths"]
    for page in ("docs", "redoc"):
        html = client.get(f"{API}/{page}/").content.decode()
        assert "static/drf_spectacular_sidecar" in html
        assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_action_response_reflects_the_lifted_listing(world, api):
    from tests.test_workflow import perform

    hazard = world.listed_major()
    perform(world, "list_supervision", hazard, world.hq_supervisor)
    hazard = world.submitted(Hazard.objects.get(pk=hazard.pk))
    response = api("hq_supervisor").post(hazard_url(hazard, "verify"), ACTION_BODIES["verify"](world), format="json")
    assert response.json()["is_supervised"] is False


def test_unit_outside_jurisdiction_reads_as_nonexistent(world, api):
    hazard = world.listed()
    client = api("hq_officer")
    outside = client.post(
        hazard_url(hazard, "assign"), {**ACTION_BODIES["assign"](world), "unit": world.wb_unit.pk}, format="json"
    )
    missing = client.post(
        hazard_url(hazard, "assign"), {**ACTION_BODIES["assign"](world), "unit": 999999}, format="json"
    )
    assert outside.status_code == missing.status_code == 400
    assert outside.json()["fields"]["unit"] == [
        m.replace("999999", str(world.wb_unit.pk)) for m in missing.json()["fields"]["unit"]
    ]


def test_unit_contact_region_picker_starts_at_the_unit(world, api):
    assert [r["code"] for r in api("unit_demo").get(f"{API}/regions/").json()] == [world.hq_village.code]


def test_unknown_api_url_answers_in_the_error_shape(world, api):
    response = api("hq_officer").get(f"{API}/nothing-here/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_outsider_gets_404_on_every_registered_action(world, api):
    """Generic: every detail action of every hazard and extension route, taken from the router."""
    from hazards.api.views import ExtensionViewSet, HazardViewSet

    hazard = world.rectifying()
    extension = services_request_extension(world, hazard)
    wb = api("wb_officer")
    for viewset, obj, prefix in ((HazardViewSet, hazard, "hazards"), (ExtensionViewSet, extension, "extensions")):
        for extra in viewset.get_extra_actions():
            if not extra.detail:
                continue
            url = f"{API}/{prefix}/{obj.pk}/{extra.url_path}/"
            for method in extra.mapping:
                response = getattr(wb, method)(url, {}, format="json")
                assert response.status_code == 404, (method, url)
        assert wb.get(f"{API}/{prefix}/{obj.pk}/").status_code == 404


def services_request_extension(world, hazard):
    from hazards import services

    return services.extension_request(
        hazard=hazard, by=world.unit_demo, requested_deadline=future_deadline(40), reason="等待设备"
    )


def test_fast_representation_equals_the_declared_fields(world):
    """HazardSerializer writes its representation out by hand for speed; it must not drift."""
    from hazards.api.serializers import HazardSerializer
    from tests.test_workflow import perform

    major = world.listed_major()
    perform(world, "list_supervision", major, world.hq_supervisor)
    hazards = [world.listed(), world.closed(), world.submitted(), Hazard.objects.get(pk=major.pk)]
    for hazard in Hazard.objects.filter(pk__in=[h.pk for h in hazards]).with_is_supervised():
        serializer = HazardSerializer(hazard)
        declared = super(HazardSerializer, serializer).to_representation(hazard)
        assert serializer.data == declared
