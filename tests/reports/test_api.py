"""GET /api/v1/stats/closure/: the shape, scoping, CSV, revalidation and bad input."""

from __future__ import annotations

import csv
import io

import pytest

from hazards import services

URL = "/api/v1/stats/closure/"


def test_rows_per_county_and_sector_with_codes_names_and_a_total(ledger, api):
    response = api("city_office").get(
        URL, {"group_by": "county,sector", "found_after": "2026-01-01", "found_before": "2026-06-30"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["as_of"].startswith("2026-06-20T12:00:00") and body["as_of"].endswith("+08:00")
    assert body["group_by"] == ["county", "sector"]
    assert body["period"] == {"found_after": "2026-01-01", "found_before": "2026-06-30"}
    assert len(body["rows"]) == 2 * 4
    first = body["rows"][0]
    assert first["county"] == {"code": "410702", "name": "红旗区"}
    assert first["sector"] == {"code": "dust", "name": "粉尘涉爆"}
    # 红旗区 × 粉尘涉爆: h1, h2, h3 closed, h4 open and overdue, h7 open (major, 市级挂牌).
    assert (first["found"], first["closed"], first["overdue_open"], first["major_found"], first["supervised_open"]) == (
        5,
        3,
        1,
        1,
        1,
    )
    assert first["closure_rate"] == 0.6
    machinery = next(
        row for row in body["rows"] if row["county"]["code"] == "410702" and row["sector"]["code"] == "trade_machinery"
    )
    assert machinery["sector"]["name"] == "工贸·机械"
    empty = next(row for row in body["rows"] if row["county"]["code"] == "410703" and row["sector"]["code"] == "trade")
    assert empty["found"] == 0 and empty["closure_rate"] is None and empty["avg_days_to_close"] is None
    assert body["total"]["found"] == 9 and body["total"]["funds"] == 12.75
    assert "county" not in body["total"]


def test_without_group_by_the_one_row_is_the_total(ledger, api):
    body = api("hq_officer").get(URL).json()
    assert body["group_by"] == [] and body["rows"] == [body["total"]]
    assert body["period"] == {"found_after": None, "found_before": None}


def test_a_county_officer_sees_only_their_county(ledger, api):
    body = api("wb_officer").get(URL, {"group_by": "county"}).json()
    assert [row["county"]["code"] for row in body["rows"]] == ["410703"]
    assert body["total"]["found"] == 1


def test_a_unit_contact_gets_their_units_figures(ledger, api):
    body = api("unit_demo").get(URL, {"group_by": "level"}).json()
    assert {row["level"]["code"]: row["found"] for row in body["rows"]} == {"general": 4, "major": 2}


def test_a_region_outside_the_jurisdiction_is_not_found(ledger, api):
    world = ledger.world
    client = api("wb_officer")
    for code in (world.hongqi.code, world.hq_township.code, "999999"):
        response = client.get(URL, {"region": code})
        assert response.status_code == 404, code
        assert response.json()["code"] == "not_found"
    assert client.get(URL, {"region": world.weibin.code}).status_code == 200
    # A unit contact's jurisdiction is where the unit is.
    assert api("unit_demo").get(URL, {"region": world.weibin.code}).status_code == 404
    assert api("unit_demo").get(URL, {"region": world.hq_village.code}).status_code == 200


def test_the_region_and_level_filters_narrow_the_figures(ledger, api):
    world = ledger.world
    body = api("city_office").get(URL, {"group_by": "township", "region": world.hongqi.code, "level": "major"}).json()
    assert [row["township"]["code"] for row in body["rows"]] == ["410702001000", "410702002000"]
    assert body["total"]["found"] == 2


def test_csv_has_chinese_headers_a_bom_the_total_first_and_the_same_rows(ledger, api):
    client = api("city_office")
    query = {"group_by": "county,sector"}
    as_json = client.get(URL, query).json()
    for response in (client.get(URL, {**query, "format": "csv"}), client.get(URL, query, HTTP_ACCEPT="text/csv")):
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response.content.startswith("\ufeff".encode())
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        header, total, *lines = table
        assert header[:6] == ["区县代码", "区县", "行业领域代码", "行业领域", "排查隐患数", "已销号"]
        assert "整改率" in header and "逾期未整改" in header and "累计落实治理资金（万元）" in header
        assert total[:5] == ["", "合计", "", "", "9"]
        assert len(lines) == len(as_json["rows"])
        assert lines[0][:6] == ["410702", "红旗区", "dust", "粉尘涉爆", "5", "3"]
        rate = header.index("整改率")
        assert lines[0][rate] == "0.6000"
        empty = next(line for line in lines if line[0] == "410703" and line[2] == "trade")
        assert empty[rate] == ""  # no denominator: an empty cell, never 0


def test_pollers_get_304_while_the_figures_do_not_change(ledger, api, time_machine):
    client = api("hq_officer")
    first = client.get(URL, {"group_by": "county"})
    etag = first["ETag"]
    assert first["Cache-Control"] == "private, max-age=0"
    assert "Accept" in first["Vary"]

    # A later computation of the same figures has the same ETag.
    time_machine.shift(60)
    again = client.get(URL, {"group_by": "county"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag

    # Another grouping, another representation or a change is another ETag.
    assert client.get(URL, {"group_by": "sector"}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert client.get(URL, {"group_by": "county", "format": "csv"}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    services.hazard_register(details=ledger.world.details(), by=ledger.world.hq_officer)
    changed = client.get(URL, {"group_by": "county"}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"group_by": "foo"}, "group_by"),
        ({"group_by": "county,sector,month"}, "group_by"),
        ({"group_by": "county,county"}, "group_by"),
        ({"group_by": "county,"}, "group_by"),
        ({"found_after": "2026-13-01"}, "found_after"),
        ({"found_after": "yesterday"}, "found_after"),
        ({"found_before": "1800-01-01"}, "found_before"),
        ({"found_after": "2026-07-01", "found_before": "2026-06-30"}, "found_before"),
        ({"level": "minor"}, "level"),
        ({"sector": "no-such-sector"}, "sector"),
        ({"status": "closed"}, "status"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_bad_input_is_400_in_the_api_error_shape(world, api, query, field):
    response = api("city_office").get(URL, query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"], body


def test_a_parameter_given_twice_is_400(world, api):
    response = api("city_office").get(f"{URL}?group_by=county&group_by=sector")
    assert response.status_code == 400 and "group_by" in response.json()["fields"]


def test_errors_are_json_even_when_csv_was_asked_for(world, api):
    response = api("city_office").get(URL, {"group_by": "foo"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["fields"]["group_by"]


def test_anonymous_callers_are_refused(world, client):
    assert client.get(URL).status_code == 401


def test_the_schema_describes_the_endpoint_with_an_example(world, api):
    spec = api("city_office").get("/api/v1/schema/?format=json").json()
    operation = spec["paths"]["/api/v1/stats/closure/"]["get"]
    assert operation["summary"].startswith("隐患整改统计")
    assert {p["name"] for p in operation["parameters"]} >= {
        "group_by",
        "found_after",
        "found_before",
        "region",
        "sector",
    }
    content = operation["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    assert content["application/json"]["examples"]


def test_too_many_groups_is_400_rather_than_a_huge_answer(world, api, monkeypatch):
    from reports import live

    monkeypatch.setattr(live, "MAX_ROWS", 1)
    response = api("city_office").get(URL, {"group_by": "county"})
    assert response.status_code == 400
    assert "分组过多" in response.json()["fields"]["group_by"][0]
