"""统计看板 and what no other system shows: closed on time, late and after a 退回, each against the same
period last year; every figure of the dashboard drills down to as many hazards in the list."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from hazards import services
from reports import rollup, tables
from reports.live import StatsQuery, closure_table
from tests.reports.conftest import TODAY, Steps, local
from tests.reports.test_rollup import assert_all_match

D = Decimal


def totals(user, **query) -> dict:
    return closure_table(user=user, query=StatsQuery(**query)).total


def reject_then_close(ledger, time_machine, *, refresh: bool = False) -> None:
    """h4 (一般, 期限 05-01) is handed in, sent back once, handed in again and closed on 06-13: late."""
    w, h4 = ledger.world, ledger.h4
    moves = [
        ("2026-06-10 09:00", lambda h: Steps(w, time_machine).submit(h, "2026-06-10 09:00")),
        ("2026-06-11 09:00", lambda h: services.hazard_reject(hazard=h, by=w.hq_supervisor, reason="照片不清楚。")),
        ("2026-06-12 09:00", lambda h: Steps(w, time_machine).submit(h, "2026-06-12 09:00")),
        ("2026-06-13 09:00", lambda h: Steps(w, time_machine).close(h, "2026-06-13 09:00")),
    ]
    for when, move in moves:
        time_machine.move_to(local(when), tick=False)
        h4 = move(h4)
        if refresh:
            time_machine.move_to(local(f"{TODAY} 12:00"), tick=False)
            assert rollup.refresh() is not None
            assert_all_match(w)
    time_machine.move_to(local(f"{TODAY} 12:00"), tick=False)


# --- the figures ----------------------------------------------------------------------------------------


def test_closed_hazards_split_into_on_time_and_late(ledger):
    hongqi = totals(ledger.world.hq_officer)
    # h2 (on its deadline day) and h3 (即查即改) on time; h1 (03-11 after 03-10) and h8 (05-10 after 04-30) late.
    assert (hongqi["closed"], hongqi["closed_on_time"], hongqi["closed_late"]) == (4, 2, 2)
    assert (hongqi["general_closed_on_time"], hongqi["general_closed_late"]) == (2, 1)
    assert (hongqi["major_closed_on_time"], hongqi["major_closed_late"]) == (0, 1)
    assert hongqi["reopened_closed"] == 0 and hongqi["reopened_rate"] == D("0.0000")


def test_a_hazard_closed_after_a_rejection_counts_as_reopened(ledger, time_machine):
    reject_then_close(ledger, time_machine)
    hongqi = totals(ledger.world.hq_officer)
    # h4 closed 06-13, past its 05-01 deadline: a third late one, and the first closed after a 退回.
    assert (hongqi["closed"], hongqi["closed_on_time"], hongqi["closed_late"]) == (5, 2, 3)
    assert hongqi["reopened_closed"] == 1 and hongqi["general_reopened_closed"] == 1
    assert hongqi["major_reopened_closed"] == 0
    assert hongqi["reopened_rate"] == D("0.2000")  # 1 / 5
    assert totals(ledger.world.wb_officer)["reopened_closed"] == 0


def test_a_rejected_hazard_not_yet_closed_is_not_counted_as_reopened(ledger, time_machine):
    w = ledger.world
    time_machine.move_to(local("2026-06-10 09:00"), tick=False)
    h4 = Steps(w, time_machine).submit(ledger.h4, "2026-06-10 09:00")
    services.hazard_reject(hazard=h4, by=w.hq_supervisor, reason="照片不清楚。")
    time_machine.move_to(local(f"{TODAY} 12:00"), tick=False)
    assert totals(w.hq_officer)["reopened_closed"] == 0


def test_the_rollup_follows_a_rejection_and_gives_the_live_figures(ledger, time_machine):
    rollup.rebuild()
    reject_then_close(ledger, time_machine, refresh=True)
    stored = tables.closure_table(user=ledger.world.hq_officer, query=StatsQuery())
    assert stored.source.startswith("rollup:")
    assert stored.total["reopened_closed"] == 1 and stored.total["closed_late"] == 3


# --- the dashboard page ------------------------------------------------------------------------------


def page(as_user, user, url: str = "/reports/", **params):
    response = as_user(user).get(url, params)
    assert response.status_code == 200, response.status_code
    return response.context


def listed(as_user, user, url: str) -> int:
    response = as_user(user).get(url)
    assert response.status_code == 200 and not response.context["filter_errors"], url
    return response.context["total"]


def test_a_county_officer_sees_the_county_by_township(ledger, as_user):
    context = page(as_user, ledger.world.hq_officer)
    assert context["region"] == ledger.world.hongqi
    names = [row["name"] for row in context["areas"]["rows"]]
    assert "西街街道" in names and "红旗区（本级）" in names
    assert sum(row["found"] for row in context["areas"]["rows"]) == 8


def test_the_municipal_office_lands_on_the_city_dashboard(ledger, as_user):
    response = as_user(ledger.world.city_office).get("/")
    assert response.status_code == 200
    assert "reports/dashboard.html" in [t.name for t in response.templates]
    rows = {row["name"]: row for row in response.context["areas"]["rows"]}
    assert set(rows) == {"红旗区", "卫滨区"}
    # 红旗区 4 of 8 closed (50%), 卫滨区 0 of 1: 红旗区 first.
    assert (rows["红旗区"]["rank"], rows["卫滨区"]["rank"]) == (1, 2)
    assert "统计报表" in response.content.decode()


def test_the_city_drills_into_a_county(ledger, as_user):
    context = page(as_user, ledger.world.city_office, f"/reports/{ledger.world.hongqi.code}/")
    assert context["region"] == ledger.world.hongqi and context["parent"] == ledger.world.city


@pytest.mark.parametrize(
    "persona, url",
    [
        ("hq_officer", "/reports/410703/"),  # another county
        ("hq_officer", "/reports/410700/"),  # the city above
        ("hq_officer", "/reports/410702001000/"),  # a township: no dashboard
        ("wb_supervisor", "/reports/410702/"),
        ("unit_demo", "/reports/"),
        ("unit_demo", "/reports/410702/"),
        ("api_client", "/reports/"),
        ("city_office", "/reports/999999/"),
    ],
)
def test_outsiders_get_404(ledger, as_user, persona, url):
    assert as_user(getattr(ledger.world, persona)).get(url).status_code == 404


def test_only_those_who_may_see_reports_get_the_link(ledger, as_user):
    w = ledger.world
    for user in (w.hq_officer, w.hq_supervisor):
        assert 'data-testid="nav-reports"' in as_user(user).get("/hazards/").content.decode()
    assert 'data-testid="nav-reports"' not in as_user(w.unit_demo).get("/").content.decode()
    assert "hazards/home.html" in [t.name for t in as_user(w.hq_officer).get("/").templates]


@pytest.mark.parametrize(
    "params, start, end",
    [
        ({}, "2026-01-01", "2026-12-31"),
        ({"period": "year"}, "2026-01-01", "2026-12-31"),
        ({"period": "quarter"}, "2026-04-01", "2026-06-30"),
        ({"period": "month"}, "2026-06-01", "2026-06-30"),
        ({"period": "custom", "found_from": "2026-03-02", "found_to": "2026-03-05"}, "2026-03-02", "2026-03-05"),
    ],
)
def test_the_period_picker(ledger, as_user, params, start, end):
    period = page(as_user, ledger.world.hq_officer, **params)["period"]
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"period": "custom"}, "自定义期间须填写起止日期。"),
        ({"period": "custom", "found_from": "2026-05-01", "found_to": "2026-04-01"}, "起始日期不能晚于截止日期。"),
        ({"period": "custom", "found_from": "2026-13-01", "found_to": "2026-04-01"}, "输入一个有效的日期。"),
        ({"period": "decade"}, "选择一个有效的选项"),
    ],
)
def test_a_wrong_period_is_said_in_chinese_and_the_year_is_shown(ledger, as_user, params, message):
    response = as_user(ledger.world.hq_officer).get("/reports/", params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["period"].kind == "year"


def test_the_custom_period_is_computed_live_and_agrees(ledger, as_user):
    context = page(as_user, ledger.world.hq_officer, period="custom", found_from="2026-03-02", found_to="2026-03-05")
    found = {row["code"]: row["now"] for row in context["comparison"]}["found"]
    assert found == 2  # h1 (03-02) and h2 (03-05)


def test_every_figure_drills_down_to_as_many_hazards(ledger, as_user, time_machine):
    """Each link behind a figure lists exactly the hazards the figure counts, for a county and the city."""
    reject_then_close(ledger, time_machine)
    rollup.rebuild()
    w = ledger.world
    for user in (w.hq_officer, w.city_office):
        context = page(as_user, user)
        for row in context["areas"]["rows"]:
            assert listed(as_user, user, row["found_url"]) == row["found"], row
            assert listed(as_user, user, row["closed_url"]) == row["closed"], row
            assert listed(as_user, user, row["overdue_url"]) == row["overdue_open"], row
        for row in context["comparison"]:
            if row["now_url"]:
                assert listed(as_user, user, row["now_url"]) == row["now"], row
                assert listed(as_user, user, row["before_url"]) == row["before"], row
        for cell in context["charts"]["heat"]["cells"]:
            assert listed(as_user, user, cell["url"]) == cell["found"], cell
        for point in context["charts"]["trend"]["now"]:
            assert listed(as_user, user, point["found_url"]) == point["found"], point
            assert listed(as_user, user, point["closed_url"]) == point["closed"], point
        for level in context["supervision"]["levels"]:
            assert listed(as_user, user, level["url"]) == level["count"], level


def test_each_figure_is_set_beside_the_same_period_last_year(ledger, as_user, time_machine):
    steps = Steps(ledger.world, time_machine)
    old = steps.found("2025-04-05 09:00")
    steps.assign(old, "2025-04-05 10:00", deadline="2025-04-10")
    steps.acknowledge(old, "2025-04-06 09:00")
    steps.submit(old, "2025-04-15 09:00")
    steps.close(old, "2025-04-20 09:00")
    steps.found("2025-07-01 09:00")  # after the same quarter last year
    time_machine.move_to(local(f"{TODAY} 12:00"), tick=False)

    context = page(as_user, ledger.world.hq_officer, period="quarter")
    rows = {row["code"]: row for row in context["comparison"]}
    # 2026 Q2 in 红旗区: h3 (04-01, closed on the spot), h4, h5, h6 found; 2025 Q2: one found, closed late.
    assert (rows["found"]["now"], rows["found"]["before"], rows["found"]["change"]) == (4, 1, 3)
    assert (rows["closed_on_time"]["now"], rows["closed_late"]["now"], rows["closed_late"]["before"]) == (1, 0, 1)
    assert (rows["closure_rate"]["now"], rows["closure_rate"]["before"]) == (0.25, 1.0)
    assert rows["closure_rate"]["change"] == -0.75
    assert "found_from=2025-04-01" in rows["found"]["before_url"]
    assert "-75.0 个百分点" in as_user(ledger.world.hq_officer).get("/reports/?period=quarter").content.decode()


def test_the_boards_show_the_most_overdue_and_the_nearest_supervision_deadline_first(ledger, as_user):
    context = page(as_user, ledger.world.city_office)
    overdue = [(row["number"], row["days"]) for row in context["overdue"]]
    # h10 (卫滨区, 期限 04-15) is 66 days overdue on 06-20, h4 (红旗区, 期限 05-01) 50.
    assert overdue == [(ledger.h10.number, 66), (ledger.h4.number, 50)]
    assert context["overdue"][0]["unit"] == ledger.world.wb_unit.name
    levels = {level["code"]: level["count"] for level in context["supervision"]["levels"]}
    assert levels == {"province": 0, "city": 1, "county": 0}  # h8's 省级 listing was lifted when it closed
    assert [(row["number"], row["days_left"]) for row in context["supervision"]["rows"]] == [(ledger.h7.number, 10)]


def test_the_as_of_time_is_shown(ledger, as_user):
    rollup.rebuild()
    response = as_user(ledger.world.hq_officer).get("/reports/")
    assert response.context["as_of"] == rollup.RollupState.objects.get().as_of
    assert "数据截至" in response.content.decode()


# --- the list understands every dimension -------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"county": "410702"}, {"h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9"}),
        ({"township": "410702001000"}, {"h1", "h2", "h3", "h4", "h5", "h7", "h8", "h9"}),
        ({"township": "410702"}, {"h6"}),  # recorded at county level: the "（本级）" row
        ({"sector_group": "trade"}, {"h5", "h6"}),
        ({"sector_group": "trade_machinery"}, set()),  # not a top-level sector
        ({"department": "housing"}, {"h8"}),
        ({"source": "special"}, {"h4"}),
        ({"month": "2026-03"}, {"h1", "h2", "h8", "h9", "h10"}),
        ({"found_from": "2026-03-05", "found_to": "2026-03-15"}, {"h2", "h8"}),
        ({"supervision_level": "province"}, {"h8"}),
        ({"closure": "on_time"}, {"h2", "h3"}),
        ({"closure": "late"}, {"h1", "h8"}),
        ({"closure": "open", "counted": "true"}, {"h4", "h5", "h6", "h7", "h10"}),
        ({"counted": "false"}, {"h9"}),
        ({"level": "major", "closure": "closed"}, {"h8"}),
    ],
)
def test_the_list_filters_by_every_report_dimension(ledger, as_user, params, expected):
    response = as_user(ledger.world.city_office).get("/hazards/", params)
    assert not response.context["filter_errors"]
    numbers = {row.number for row in response.context["hazards"]}
    names = {f"h{i}" for i in range(1, 11) if getattr(ledger, f"h{i}").number in numbers}
    assert names == expected
    shown = [f["name"] for f in response.context["report_filters"]]
    assert shown == [name for name in params if name != "level"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "March"}, "month"),
        ({"closure": "soon"}, "closure"),
        ({"found_from": "2026-02-30"}, "found_from"),
        ({"counted": "maybe"}, "counted"),
        ({"supervision_level": "national"}, "supervision_level"),
    ],
)
def test_a_wrong_report_filter_is_refused_with_a_chinese_message(ledger, api, params, field):
    response = api("city_office").get("/api/v1/hazards/", params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in str(body)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(body)), body


def test_a_rejection_drills_down_to_the_reopened_list(ledger, as_user, time_machine):
    reject_then_close(ledger, time_machine)
    url = reverse("hazards:list") + "?closure=reopened&counted=true"
    response = as_user(ledger.world.hq_officer).get(url)
    assert [row.number for row in response.context["hazards"]] == [ledger.h4.number]
    assert "退回后销号" in response.content.decode()


@pytest.mark.parametrize("from_rollup", [False, True])
def test_the_figures_shown_are_those_of_the_full_tables(ledger, as_user, time_machine, from_rollup):
    """The dashboard sums only the measures it shows; what it shows equals the full computation."""
    reject_then_close(ledger, time_machine)
    if from_rollup:
        rollup.rebuild()
    user = ledger.world.city_office
    year = {"found_after": datetime.date(2026, 1, 1), "found_before": datetime.date(2026, 12, 31)}
    context = page(as_user, user)
    full = tables.closure_table(user=user, query=StatsQuery(**year))
    assert full.source.startswith("rollup:") == from_rollup
    for row in context["comparison"]:
        expected = full.total[row["code"]]
        assert row["now"] == (float(expected) if isinstance(expected, Decimal) else expected), row
    by_county = tables.closure_table(user=user, query=StatsQuery(group_by=("county",), **year))
    expected_rows = {r.groups[0].code: r.values for r in by_county.rows}
    for row in context["areas"]["rows"]:
        values = expected_rows[row["code"]]
        for code in ("found", "closed", "overdue_open"):
            assert row[code] == values[code], (row, code)
        for code in ("closure_rate", "on_time_rate"):
            assert row[code] == (None if values[code] is None else float(values[code])), (row, code)


def test_the_charts_json_is_escaped_as_json_script_escapes_it() -> None:
    """The dashboard writes its charts' data with orjson (``reports_ui.json_data``): the same element,
    the same data, and nothing in it can close the <script> element."""
    import json
    import re

    from django.utils.html import json_script

    from reports.templatetags.reports_ui import json_data

    value = {"name": "</script><b>红旗区</b> & 新乡", "url": "/hazards/?a=1&b=2", "rates": [0.5, None, 3]}
    ours, django_s = str(json_data(value, "dashboard-data")), json_script(value, "dashboard-data")
    pattern = r'^<script id="dashboard-data" type="application/json">(.*)</script>$'
    body = re.match(pattern, ours, re.DOTALL).group(1)
    assert "<" not in body and ">" not in body and "&" not in body
    assert json.loads(body) == json.loads(re.match(pattern, django_s, re.DOTALL).group(1)) == value
