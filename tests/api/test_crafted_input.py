"""Crafted input answers 400 in the API's error shape (or the Chinese 400 page), never 500: bodies the
parsers choke on, too many fields or files, and query parameters the database would refuse."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from core.api.errors import api_aware_400
from tests.api.helpers import API, hazard_url


def assert_400(response, code: str = "invalid") -> dict:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == code
    assert body["message"] and not body["message"].isascii()
    return body


# --- bodies ----------------------------------------------------------------------------------------


def test_json_nested_fifty_thousand_deep_is_a_400(api, world):
    body = "[" * 50_000 + "]" * 50_000
    response = api("hq_officer").post(f"{API}/hazards/", body, content_type="application/json")
    assert_400(response, "parse_error")


def test_json_nested_fifty_thousand_deep_is_a_400_even_to_the_token_view(world):
    body = '{"username":' + "[" * 50_000 + "]" * 50_000 + "}"
    assert_400(APIClient().post(f"{API}/auth/token/", body, content_type="application/json"), "parse_error")


def test_more_than_a_thousand_form_fields_is_a_400(api, world):
    body = "&".join(f"f{n}=x" for n in range(1_001))
    response = api("hq_officer").post(f"{API}/hazards/", body, content_type="application/x-www-form-urlencoded")
    assert_400(response, "bad_request")


def test_more_than_a_thousand_multipart_fields_is_a_400(api, world):
    response = api("hq_officer").post(f"{API}/hazards/", {f"f{n}": "x" for n in range(1_001)}, format="multipart")
    assert_400(response, "bad_request")


def test_more_than_a_hundred_files_is_a_400(api, world):
    hazard = world.listed()
    files = {f"file{n}": SimpleUploadedFile(f"{n}.png", b"x") for n in range(101)}
    response = api("hq_officer").post(hazard_url(hazard, "attachments"), files, format="multipart")
    assert_400(response, "bad_request")


def test_too_many_fields_on_a_page_get_the_chinese_400_page(world):
    client = Client()
    client.force_login(world.hq_officer)
    response = client.post("/hazards/new/", {f"f{n}": "x" for n in range(1_001)})
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()


def test_too_many_fields_read_by_the_csrf_check_get_the_chinese_400_page(world):
    # With CSRF checks on, the middleware reads the form before any view: Django's handler400 answers.
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.hq_officer)
    client.cookies["csrftoken"] = "a" * 32
    response = client.post("/hazards/new/", {f"f{n}": "x" for n in range(1_001)})
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()


def test_djangos_400_handler_answers_the_api_in_its_error_shape(rf):
    response = api_aware_400(rf.post("/api/v1/hazards/"), SuspiciousOperation("too many"))
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "bad_request"


# --- query parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("units/", {"q": "新乡\x00"}),
        ("regions/", {"parent": "4107\x00"}),
        ("regions/", {"level": "county\x00"}),
        ("hazards/", {"q": "配电\x00"}),
        ("hazards/", {"region": "410702\x00"}),
        ("hazards/", {"sector": "dust\x00"}),
        ("hazards/", {"unit": "9223372036854775808"}),
        ("hazards/", {"unit": "1.5"}),
        ("hazards/", {"unit": "0"}),
        ("hazards/", {"region": "4" * 13}),
        ("hazards/", {"deadline_after": "0001-01-01"}),
        ("hazards/", {"found_after": "0001-01-01T00:00:00"}),
        ("hazards/", {"found_after": "9999-12-31T23:59:59-23:00"}),
        ("hazards/", {"updated_after": "1800-01-01T00:00:00Z"}),
        ("regions/", {"level": "galaxy"}),
        # Given means meant: an empty value would silently filter nothing (the schema says minLength 1).
        ("hazards/", {"found_before": ""}),
        ("hazards/", {"q": ""}),
        ("hazards/", {"status": ["listed", ""]}),
        ("units/", {"cursor": ""}),
        ("inspections/", {"ordering": ""}),
        ("stats/closure/", {"region": ""}),
        ("stats/closure/", {"level": ""}),
        ("inbox/", {"unread": "yes"}),
        ("hazards/", {"overdue": "maybe"}),
        ("hazards/", {"supervised": "2"}),
        ("inbox/", {"unread": ""}),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(api, world, path, query):
    body = assert_400(api("city_office").get(f"{API}/{path}", query))
    assert set(body["fields"]) == set(query)


@pytest.mark.parametrize("offset", ["+16:00", "-16:00", "+23:59", "-23:59"])
@pytest.mark.parametrize("name", ["updated_after", "found_after", "found_before"])
def test_any_time_zone_offset_is_read_as_the_instant_it_names(api, world, name, offset):
    hazard = world.listed()
    response = api("hq_officer").get(f"{API}/hazards/", {name: f"2026-06-01T12:00:00{offset}"})
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    # Every hazard is found and updated now, long after 2026-06-01 whatever the offset.
    assert ids == ([] if name == "found_before" else [hazard.pk])


@pytest.mark.parametrize("value", ["1900-01-01T00:00:00+05:00", "2100-12-31T23:00:00-05:00"])
def test_the_years_bound_the_date_time_as_written_as_the_schema_says(api, world, value):
    # The schema's pattern reads the year as written; converted to UTC these fall in 1899 and 2101.
    assert api("hq_officer").get(f"{API}/hazards/", {"found_after": value}).status_code == 200


def test_the_offset_is_honoured_not_dropped(api, world):
    hazard = world.listed()
    stamp = hazard.updated_at.astimezone(__import__("datetime").timezone.utc)
    shifted = stamp.replace(tzinfo=None).isoformat() + "+00:00"
    just_before = api("hq_officer").get(f"{API}/hazards/", {"updated_after": shifted})
    assert just_before.json()["results"] == []  # updated_after is strict: the same instant is not after


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("hazards/", {"statuss": "closed"}),
        ("hazards/", {"status": "closed", "page": "2"}),
        ("units/", {"name": "新乡"}),
        ("regions/", {"code": "410702"}),
        ("sectors/", {"q": "粉尘"}),
        ("departments/", {"x": "1"}),
        ("extensions/", {"hazard": "1"}),
        ("inbox/", {"unred": "true"}),
    ],
)
def test_an_unknown_query_parameter_is_a_400_naming_it(api, world, path, query):
    body = assert_400(api("city_office").get(f"{API}/{path}", query))
    unknown = {name for name in query if name not in ("status",)}
    assert set(body["fields"]) == unknown
    assert all(name in body["message"] for name in unknown)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("hazards/", {"status": "closed", "page_size": "10", "ordering": "deadline", "format": "json"}),
        ("units/", {"q": "新乡", "page_size": "5"}),
        ("regions/", {"parent": "410700", "level": "county"}),
        ("inbox/", {"unread": "true"}),
        ("sectors/", {}),
    ],
)
def test_the_known_query_parameters_still_work(api, world, path, query):
    assert api("city_office").get(f"{API}/{path}", query).status_code == 200


def test_regions_still_filter_by_parent_and_level(api, world):
    client = api("city_office")
    assert [r["code"] for r in client.get(f"{API}/regions/").json()] == ["410700"]
    children = client.get(f"{API}/regions/", {"parent": "410700"}).json()
    assert [r["code"] for r in children] == ["410702", "410703"]
    counties = client.get(f"{API}/regions/", {"level": "county"}).json()
    assert [r["code"] for r in counties] == ["410702", "410703"]


@pytest.mark.parametrize(
    "value",
    ["2026-06-01T12:00:00+16:00", "0001-01-01T00:00:00+16:00", "2026-06-01T12:00:00\x00", "9999-12-31T23:59:59-23:59"],
)
def test_a_forged_cursor_is_a_400_or_read_as_its_instant(api, world, value):
    world.listed()
    token = base64.urlsafe_b64encode(json.dumps({"o": "-found_at", "v": value, "id": 1}).encode()).decode()
    response = api("hq_officer").get(f"{API}/hazards/", {"cursor": token})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert set(response.json()["fields"]) == {"cursor"}


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/pickers/units/", {"q": "新乡\x00"}),
        ("/pickers/units/", {"unit": "²"}),
        ("/pickers/units/", {"unit": "9223372036854775808"}),
        ("/pickers/regions/", {"region": "4107\x00"}),
        ("/pickers/regions/", {"parent": "4" * 13}),
    ],
)
def test_the_pages_pickers_answer_a_bad_parameter_with_400(world, path, query):
    client = Client()
    client.force_login(world.hq_officer)
    response = client.get(path, query)
    assert response.status_code == 400
    assert "查询参数有误" in response.content.decode()
