"""Each metric on the hand-made ledger of conftest.py, with the answer worked out here by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from hazards import services
from reports.live import StatsQuery, closure_table
from tests.reports.conftest import local

D = Decimal


def figures(user, **query) -> dict:
    return closure_table(user=user, query=StatsQuery(**query)).total


def rows(user, *group_by: str, **query) -> dict:
    """The rows keyed by their groups' codes: ``("410702", "dust")``, or ``"410702"`` for one dimension."""
    table = closure_table(user=user, query=StatsQuery(group_by=group_by, **query))
    keyed = {tuple(group.code for group in row.groups): row.values for row in table.rows}
    return {key[0] if len(key) == 1 else key: values for key, values in keyed.items()}


# 红旗区 counts h1–h8: h9 is voided, h10 is in 卫滨区.


def test_found_closed_open_and_closure_rate(ledger):
    hongqi = figures(ledger.world.hq_officer)
    # found h1..h8 = 8; closed h1, h2, h3, h8 = 4; open h4, h5, h6, h7 = 4.
    assert (hongqi["found"], hongqi["closed"], hongqi["open"]) == (8, 4, 4)
    assert hongqi["closure_rate"] == D("0.5000")


def test_overdue_open_is_past_the_local_deadline_and_still_open(ledger, time_machine):
    hongqi = figures(ledger.world.hq_officer)
    # h4 (期限 05-01) only: h5 is due 07-01, h7 06-30, h6 has no deadline; h1 and h8 were late but are closed.
    assert hongqi["overdue_open"] == 1
    assert hongqi["general_overdue_open"] == 1 and hongqi["major_overdue_open"] == 0

    # On 06-30 itself h7 is due, not overdue; at 00:30 local on 07-01 (still 06-30 in UTC) it is overdue.
    time_machine.move_to(local("2026-06-30 23:30"), tick=False)
    assert figures(ledger.world.hq_officer)["overdue_open"] == 1
    time_machine.move_to(local("2026-07-01 00:30"), tick=False)
    assert figures(ledger.world.hq_officer)["overdue_open"] == 2


def test_on_time_rate_reads_local_closure_dates_and_counts_on_the_spot_fixes_on_time(ledger):
    hongqi = figures(ledger.world.hq_officer)
    # h1 closed 03-11 07:00 local (03-10 in UTC) after its 03-10 deadline: late. h2 closed on its deadline
    # day: on time. h3 (即查即改, no deadline): on time. h8 closed 05-10 after 04-30: late.
    assert hongqi["on_time_rate"] == D("0.5000")  # 2 / 4
    assert hongqi["general_on_time_rate"] == D("0.6667")  # h2, h3 of h1, h2, h3
    assert hongqi["major_on_time_rate"] == D("0.0000")  # h8 late


def test_on_schedule_rate_counts_closed_and_not_yet_due(ledger):
    hongqi = figures(ledger.world.hq_officer)
    # closed 4 + open and not due (h5, h6, h7) 3 = 7 of 8.
    assert hongqi["on_schedule_rate"] == D("0.8750")
    assert hongqi["general_on_schedule_rate"] == D("0.8333")  # (3 + h5, h6) / 6
    assert hongqi["major_on_schedule_rate"] == D("1.0000")  # (h8 + h7) / 2


def test_average_days_to_close_is_in_whole_local_days_over_handed_over_hazards(ledger):
    hongqi = figures(ledger.world.hq_officer)
    # h1: 03-03 → 03-11 = 8 days (local 销号 date, not UTC's 03-10).
    # h2: 03-06 → 03-20 = 14 days (交单 at 01:00 local is still 03-05 in UTC).
    # h8: 03-16 → 05-10 = 55 days (交单 at 07:00 local, still 03-15 in UTC).
    # h3 was fixed on the spot: no 交单, left out. In UTC dates the mean would be 78 / 3 = 26.0.
    assert hongqi["avg_days_to_close"] == D("25.7")  # 77 / 3 = 25.67
    assert hongqi["general_avg_days_to_close"] == D("11.0")  # (8 + 14) / 2
    assert hongqi["major_avg_days_to_close"] == D("55.0")


def test_general_and_major_split(ledger):
    hongqi = figures(ledger.world.hq_officer)
    assert (hongqi["general_found"], hongqi["general_closed"], hongqi["general_open"]) == (6, 3, 3)
    assert hongqi["general_closure_rate"] == D("0.5000")
    assert (hongqi["major_found"], hongqi["major_closed"], hongqi["major_open"]) == (2, 1, 1)
    assert hongqi["major_closure_rate"] == D("0.5000")


def test_major_plan_and_five_in_place_count_open_major_hazards(ledger):
    hongqi = figures(ledger.world.hq_officer)
    # h7 is open with all five recorded; h8 had a plan (measures only) but is closed.
    assert (hongqi["major_in_plan"], hongqi["major_five_in_place"]) == (1, 1)

    # A new open major hazard with measures only is in a plan, but not 五到位.
    from tests.reports.conftest import major

    world = ledger.world
    services.hazard_register(
        details=world.details(level="major", major=major(plan_measures="整改")), by=world.hq_officer
    )
    hongqi = figures(world.hq_officer)
    assert (hongqi["major_in_plan"], hongqi["major_five_in_place"]) == (2, 1)

    # Without any of the five recorded it is in no plan.
    services.hazard_register(details=world.details(level="major", major=major()), by=world.hq_officer)
    assert figures(world.hq_officer)["major_in_plan"] == 2


def test_supervision_total_by_level_and_still_open(ledger):
    hongqi = figures(ledger.world.hq_officer)
    # h7 市级, still open; h8 省级, lifted when it was closed.
    assert hongqi["supervised"] == 2
    assert hongqi["supervised_open"] == 1
    assert hongqi["supervised_closure_rate"] == D("0.5000")
    assert (hongqi["supervised_province"], hongqi["supervised_city"], hongqi["supervised_county"]) == (1, 1, 0)


def test_funds_add_major_plan_funds_and_general_costs_in_wan_yuan(ledger):
    hongqi = figures(ledger.world.hq_officer)
    # h7's plan: 12 万元 (h8's plan has no funds); h1 and h2 cost 5000 + 2500 元 = 0.75 万元.
    assert hongqi["major_funds"] == D("12.00")
    assert hongqi["funds"] == D("12.75")


def test_voided_hazards_count_nowhere(ledger):
    world = ledger.world
    before = figures(world.hq_officer)
    services.hazard_void(hazard=ledger.h4, by=world.hq_supervisor, reason="重复登记")
    after = figures(world.hq_officer)
    # h4 was found, open, overdue and came from a 专项检查.
    assert (after["found"], after["open"], after["overdue_open"]) == (before["found"] - 1, before["open"] - 1, 0)
    assert rows(world.hq_officer, "source")["special"]["found"] == 0
    assert rows(world.hq_officer, "month")["2026-03"]["found"] == 3  # h1, h2, h8 but not the voided h9


def test_rates_are_null_without_a_denominator(ledger):
    empty = figures(
        ledger.world.hq_officer, found_after=datetime.date(2026, 1, 1), found_before=datetime.date(2026, 1, 31)
    )
    assert empty["found"] == 0
    for code in ("closure_rate", "on_time_rate", "on_schedule_rate", "avg_days_to_close", "supervised_closure_rate"):
        assert empty[code] is None, code
    assert empty["funds"] == D("0.00")


def test_period_is_inclusive_in_local_dates(ledger, time_machine):
    world = ledger.world
    # Found at 00:30 on 06-02 local, which is still 06-01 in UTC.
    time_machine.move_to(local("2026-06-02 00:30"), tick=False)
    services.hazard_register(details=world.details(), by=world.hq_officer)

    june_first = figures(
        world.hq_officer, found_after=datetime.date(2026, 6, 1), found_before=datetime.date(2026, 6, 1)
    )
    assert june_first["found"] == 1  # h6 alone
    # March: h1, h2, h8 (h9 is voided).
    march = figures(world.hq_officer, found_after=datetime.date(2026, 3, 1), found_before=datetime.date(2026, 3, 31))
    assert (march["found"], march["closed"], march["major_found"]) == (3, 3, 1)


def test_level_filter_keeps_one_side_of_the_split(ledger):
    major = figures(ledger.world.hq_officer, level="major")
    assert (major["found"], major["major_found"], major["general_found"]) == (2, 2, 0)


# --- dimensions -----------------------------------------------------------------------------------


def test_every_county_of_the_city_is_listed(ledger):
    by_county = rows(ledger.world.city_office, "county")
    assert list(by_county) == ["410702", "410703"]
    assert by_county["410702"]["found"] == 8
    assert by_county["410703"]["found"] == 1 and by_county["410703"]["overdue_open"] == 1


def test_sectors_are_listed_with_zeros_and_grouped_under_their_top_level_sector(ledger):
    world = ledger.world
    by_sector = rows(world.hq_officer, "sector")
    # Tree order: each top-level sector (by sort order) followed by its sub-sectors.
    assert list(by_sector) == ["dust", "trade", "trade_machinery", "construction"]
    assert [by_sector[code]["found"] for code in by_sector] == [5, 1, 1, 1]

    by_group = rows(world.hq_officer, "sector_group")
    assert {code: values["found"] for code, values in by_group.items()} == {"dust": 5, "trade": 2, "construction": 1}

    by_department = rows(world.hq_officer, "department")
    assert {code: values["found"] for code, values in by_department.items()} == {"emergency": 7, "housing": 1}


def test_a_sector_with_no_hazards_is_listed_with_zeros(ledger):
    from tests.factories import SectorFactory

    SectorFactory(code="fireworks", name="烟花爆竹", sort_order=9)
    by_sector = rows(ledger.world.hq_officer, "sector")
    assert by_sector["fireworks"]["found"] == 0
    assert by_sector["fireworks"]["closure_rate"] is None


def test_sector_filter_takes_the_subtree(ledger):
    world = ledger.world
    trade = rows(world.hq_officer, "sector", sector=ledger.trade)
    assert {code: values["found"] for code, values in trade.items()} == {"trade": 1, "trade_machinery": 1}
    assert list(rows(world.hq_officer, "sector_group", sector=ledger.machinery)) == ["trade"]


def test_townships_come_from_the_region_path_and_county_level_hazards_are_their_own_row(ledger):
    by_township = rows(ledger.world.hq_officer, "township")
    # h1–h5, h7, h8 are in 西街社区 (a village of 西街街道); h6 was recorded at county level; 东街街道 has none.
    assert list(by_township) == ["410702001000", "410702002000", "410702"]
    assert [by_township[code]["found"] for code in by_township] == [7, 0, 1]
    table = closure_table(user=ledger.world.hq_officer, query=StatsQuery(group_by=("township",)))
    assert table.rows[2].groups[0].name == "红旗区（本级）"


def test_every_month_of_the_period_is_listed(ledger):
    by_month = rows(
        ledger.world.hq_officer, "month", found_after=datetime.date(2026, 1, 1), found_before=datetime.date(2026, 6, 30)
    )
    assert list(by_month) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert [values["found"] for values in by_month.values()] == [0, 1, 3, 2, 1, 1]


def test_level_and_source(ledger):
    by_level = rows(ledger.world.hq_officer, "level")
    assert {code: values["found"] for code, values in by_level.items()} == {"general": 6, "major": 2}
    by_source = rows(ledger.world.hq_officer, "source")
    assert by_source["routine"]["found"] == 7 and by_source["special"]["found"] == 1
    assert by_source["public_report"]["found"] == 0


def test_two_dimensions_list_every_combination_and_add_up_to_the_total(ledger):
    world = ledger.world
    table = closure_table(user=world.city_office, query=StatsQuery(group_by=("county", "sector")))
    assert len(table.rows) == 2 * 4
    keyed = {(row.groups[0].code, row.groups[1].code): row.values for row in table.rows}
    assert keyed[("410703", "dust")]["found"] == 1
    assert keyed[("410703", "construction")]["found"] == 0
    assert keyed[("410702", "dust")]["closed"] == 3  # h1, h2, h3
    for code in ("found", "closed", "open", "overdue_open", "supervised", "major_in_plan"):
        assert sum(row.values[code] for row in table.rows) == table.total[code], code
    assert table.total["found"] == 9


@pytest.mark.parametrize("persona", ["hq_officer", "city_office", "admin", "api_client"])
def test_the_total_is_the_same_whatever_the_grouping(ledger, persona):
    user = getattr(ledger.world, persona)
    totals = [
        closure_table(user=user, query=StatsQuery(group_by=g)).total for g in [(), ("county",), ("township", "month")]
    ]
    assert totals[0] == totals[1] == totals[2]


# --- scope ----------------------------------------------------------------------------------------


def test_each_persona_counts_its_own_jurisdiction(ledger):
    world = ledger.world
    assert figures(world.city_office)["found"] == 9
    assert figures(world.admin)["found"] == 9
    assert figures(world.hq_officer)["found"] == 8
    assert figures(world.wb_officer)["found"] == 1
    # The unit's contact: the hazards handed to 红旗机械 (h1, h2, h4, h5, h7, h8), not h3 or h6.
    unit = figures(world.unit_demo)
    assert (unit["found"], unit["closed"], unit["overdue_open"]) == (6, 3, 1)
    assert list(rows(world.unit_demo, "county")) == ["410702"]
    assert list(rows(world.wb_officer, "county")) == ["410703"]


def test_a_region_narrows_to_its_subtree(ledger):
    world = ledger.world
    assert figures(world.city_office, region=world.hongqi)["found"] == 8
    assert figures(world.city_office, region=world.hq_township)["found"] == 7
    assert list(rows(world.city_office, "county", region=world.hq_township)) == ["410702"]
    assert list(rows(world.city_office, "township", region=ledger.east_township)) == ["410702002000"]


def test_the_numbers_json_carries_are_the_exact_figures_as_floats() -> None:
    """``metrics.evaluate_numbers`` (the API's JSON, in integers, a metric at a time over many groups)
    gives ``float()`` of ``metrics.evaluate``'s exact figures: every rounding tie, negative day counts,
    empty denominators and Decimal sums included."""
    import random

    from reports import metrics

    rnd = random.Random(11)
    groups = []
    for _ in range(2000):
        raw: dict = {}
        for name in metrics.measure_names():
            if name in ("major_plan_funds", "general_cost"):
                raw[name] = D(rnd.randint(0, 10**7)) / 100 if rnd.random() < 0.8 else None
            else:
                raw[name] = rnd.choice([0, 1, 2, 3, 8, 16, 20_000, rnd.randint(0, 5000)])
        raw["general_close_days"] = datetime.timedelta(days=rnd.randint(-60, 60))
        raw["major_close_days"] = rnd.choice([None, D(rnd.randint(0, 99))])  # a Decimal sum: the exact way
        groups.append(metrics.normalize(raw))
    # Ties of the half-up rounding: 1/8 = 0.125 → 0.1 days; 1/20000 = 0.00005 → 0.0001; -1/4 → -0.3.
    for top, below in ((1, 8), (1, 20_000), (-1, 4), (-3, 8), (0, 5)):
        groups.append(
            metrics.normalize(
                {
                    "general_close_days": datetime.timedelta(days=top),
                    "general_closed_handed_over": below,
                    "general_closed": abs(top),
                    "general_found": below,
                }
            )
        )
    numbers = metrics.evaluate_numbers(groups)
    assert len(numbers) == len(groups)
    for values, floats in zip(groups, numbers, strict=True):
        exact = metrics.evaluate(values)
        assert list(floats) == list(exact)
        for code, value in exact.items():
            expected = float(value) if isinstance(value, D) else value
            assert floats[code] == expected and type(floats[code]) is type(expected), (code, value, floats[code])
    assert metrics.evaluate_numbers([]) == []


@pytest.mark.django_db
def test_postgresql_writes_each_figure_as_the_apis_json_does() -> None:
    """``metrics.json_members_sql`` (the stats API's JSON from the rollup, written by PostgreSQL) gives
    the bytes the API's renderer writes for ``evaluate_numbers``: ties, negative day counts, empty
    denominators, whole numbers ("1.0") and 元 rounded into 万元 included."""
    import random

    from django.db import connection

    from core.api.renderers import JSONRenderer
    from reports import metrics

    def value(name: str) -> str:
        if name in metrics.PER_LEVEL:
            return f"({value('general_' + name)} + {value('major_' + name)})"
        return f"%({name})s::numeric" if name in ("major_plan_funds", "general_cost") else f"%({name})s::bigint"

    rnd = random.Random(7)
    groups = [metrics.normalize({})]
    for _ in range(300):
        raw: dict = {
            name: rnd.choice([0, 1, 2, 3, 7, 8, 16, 20_000, rnd.randint(0, 5000)]) for name in metrics.measure_names()
        }
        raw["major_plan_funds"] = D(rnd.randint(0, 10**7)) / 100
        raw["general_cost"] = rnd.choice([D(0), D(50), D("49.99"), D(rnd.randint(0, 10**9)) / 100])
        raw["general_close_days"] = datetime.timedelta(days=rnd.randint(-60, 60))
        groups.append(metrics.normalize(raw))
    for top, below in ((1, 8), (1, 20_000), (-1, 4), (-3, 8), (0, 5), (10, 10)):
        groups.append(
            metrics.normalize(
                {
                    "general_close_days": datetime.timedelta(days=top),
                    "general_closed_handed_over": below,
                    "general_closed": abs(top),
                    "general_found": below,
                    "major_plan_funds": D("12.00"),
                }
            )
        )
    sql = f"SELECT members FROM ({metrics.json_members_sql(value, '(SELECT 1) g')}) w"
    render = JSONRenderer().render
    with connection.cursor() as cursor:
        for values, numbers in zip(groups, metrics.evaluate_numbers(groups), strict=True):
            cursor.execute(sql, {name: values[name] for name in metrics.measure_names()})
            (written,) = cursor.fetchone()
            assert b"{" + written.encode() + b"}" == render(numbers), values
