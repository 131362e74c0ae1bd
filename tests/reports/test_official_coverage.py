"""排查覆盖率 by 行业领域 on a hand-made city, and the national tables' 应排查 / 实际排查 / 覆盖率 columns
filled from it: each unit in the row of its own sector, the 合计 the sum of the rows, the xlsx cells the
API's, a county seeing only itself, and the page filtering by sector.

The city (report date 2026-06-20, so the tables count 2026-01-01 … 2026-06-20):

| unit | county | sector (its row) | kind | what happened | counted |
|---|---|---|---|---|---|
| chem_a | 红旗区 | 危化 (工矿 4(1)) | 企业 | routine inspection completed 03-02 | due, inspected |
| chem_b | 红旗区 | 危化 | 企业 | inspection started 04-01, never completed | due |
| fireworks | 红旗区 | 烟花爆竹 (工矿 5) | 企业 | inspection completed 07-01, after the date | due |
| school | 红旗区 | 学校 (交通 8) | 其他 | routine inspection completed 05-05 | due, inspected |
| machinery | 红旗区 | 工贸·机械 (its parent's: 工矿 7) | 企业 | nothing | due |
| closed_down | 红旗区 | 工贸·机械 | 企业, 停用 | — | not due |
| committee | 红旗区 | 学校 | 村委会 | inspection completed 05-05 | not due (kind) |
| hq_unit | 红旗区 | none | 企业 | nothing | due in no row (without sector) |
| chem_h | 卫滨区 | 危化 | 企业 | 企业自查 hazard found 04-10, no inspection | due, inspected |
| builder | 卫滨区 | 建筑施工 (交通 7) | 企业 | 企业自查 hazard found 04-12, voided | due |
| mystery | 卫滨区 | a sector in no row | 企业 | nothing | due in no row (unmapped) |
| wb_unit | 卫滨区 | none | 企业 | nothing | due in no row (without sector) |
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.choices import Role, UnitKind
from hazards import services as hazard_services
from hazards.choices import Source
from inspections.coverage import coverage_by_county, coverage_by_sector_group, coverage_cells, never_inspected
from tests.factories import SectorFactory, UnitFactory, UserFactory
from tests.inspections.test_coverage import at, inspect
from tests.reports.test_exports import export, workbook

START, DATE = datetime.date(2026, 1, 1), datetime.date(2026, 6, 20)


@pytest.fixture(autouse=True)
def tasks_run_in_process(monkeypatch):
    from reports import tasks

    monkeypatch.setattr(tasks.export, "delay", lambda job_id: tasks.export(job_id))


def self_check(world, unit, day: str):
    contact = UserFactory(role=Role.UNIT_CONTACT, unit=unit)
    details = world.details(region=unit.region, source=Source.SELF_CHECK, found_at=at(day))
    return hazard_services.hazard_self_report(
        details=details,
        by=contact,
        responsible_person="王五",
        deadline=datetime.date.fromisoformat(day) + datetime.timedelta(days=30),
        at=at(day),
    )


@pytest.fixture
def city(world, checklist):
    chemicals = SectorFactory(code="hazardous_chemicals", sort_order=10, name="危险化学品")
    fireworks = SectorFactory(code="fireworks", sort_order=20, name="烟花爆竹")
    school = SectorFactory(code="school", sort_order=30, name="学校")
    trade = SectorFactory(code="industry_trade", sort_order=40, name="工贸")
    machinery = SectorFactory(code="trade_machinery", sort_order=50, name="机械", parent=trade)
    construction = SectorFactory(code="construction", sort_order=60, name="建筑施工")
    mystery = SectorFactory(code="mystery", sort_order=70, name="未对应行业")
    hq, wb = world.hq_township, world.weibin

    u = SimpleNamespace(
        chem_a=UnitFactory(region=hq, sector=chemicals, name="新乡市甲化工有限公司"),
        chem_b=UnitFactory(region=hq, sector=chemicals, name="新乡市乙化工有限公司"),
        fireworks=UnitFactory(region=hq, sector=fireworks, name="新乡市烟花有限公司"),
        school=UnitFactory(region=hq, sector=school, name="新乡市第一中学", kind=UnitKind.OTHER),
        machinery=UnitFactory(region=hq, sector=machinery, name="新乡市机械有限公司"),
        closed_down=UnitFactory(region=hq, sector=machinery, name="新乡市停业机械有限公司", is_active=False),
        committee=UnitFactory(
            region=world.hq_village, sector=school, name="西街社区居委会", kind=UnitKind.VILLAGE_COMMITTEE
        ),
        chem_h=UnitFactory(region=wb, sector=chemicals, name="新乡市卫滨化工有限公司"),
        builder=UnitFactory(region=wb, sector=construction, name="新乡市卫滨建筑有限公司"),
        mystery=UnitFactory(region=wb, sector=mystery, name="新乡市神秘有限公司"),
        sectors=SimpleNamespace(chemicals=chemicals, fireworks=fireworks, school=school, trade=trade),
    )
    inspect(world, checklist, u.chem_a, "2026-03-02")
    inspect(world, checklist, u.chem_b, "2026-04-01", complete=False)
    inspect(world, checklist, u.fireworks, "2026-07-01")
    inspect(world, checklist, u.school, "2026-05-05")
    inspect(world, checklist, u.committee, "2026-05-05")
    self_check(world, u.chem_h, "2026-04-10")
    voided = self_check(world, u.builder, "2026-04-12")
    hazard_services.hazard_void(hazard=voided, by=world.wb_supervisor, reason="重复登记", at=at("2026-04-13"))
    return u


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def coverage_cells_of(body: dict) -> dict[str, list[str]]:
    """Each row's first three cells (应排查, 实际排查, 覆盖率) by its key ("" for 合计)."""
    return {row["key"]: row["cells"][:3] for row in body["rows"]}


# Coverage by county × sector, and by sector group


def test_coverage_is_counted_by_county_and_the_units_own_sector(world, city):
    cells = coverage_cells(user=world.city_office, start=START, end=DATE)
    s = city.sectors
    assert {key: (c.units_due, c.units_inspected) for key, c in cells.items()} == {
        ("410702", s.chemicals.pk): (2, 1),
        ("410702", s.fireworks.pk): (1, 0),  # inspected on 07-01: after the period
        ("410702", s.school.pk): (1, 1),  # a school (其他) is due; the village committee is not
        ("410702", city.machinery.sector_id): (1, 0),  # the inactive one is not due
        ("410702", None): (1, 0),  # world.hq_unit: no sector
        ("410703", s.chemicals.pk): (1, 1),  # a 企业自查 hazard counts as a self-check
        ("410703", city.builder.sector_id): (1, 0),  # a voided one does not
        ("410703", city.mystery.sector_id): (1, 0),
        ("410703", None): (1, 0),
    }


def test_coverage_by_sector_group_puts_sub_sectors_in_their_parent_and_lists_units_without_one(world, city):
    rows = coverage_by_sector_group(user=world.city_office, start=START, end=DATE)
    assert [(r.sector.code if r.sector else None, r.units_due, r.units_inspected) for r in rows] == [
        ("hazardous_chemicals", 3, 2),
        ("fireworks", 1, 0),
        ("school", 1, 1),
        ("industry_trade", 1, 0),  # 机械, under 工贸 (the inactive one is not due)
        ("construction", 1, 0),
        ("mystery", 1, 0),
        (None, 2, 0),
    ]
    assert rows[0].coverage == pytest.approx(2 / 3)


def test_coverage_by_county_of_one_sector_and_its_drill_down(world, city):
    chemicals = city.sectors.chemicals
    rows = coverage_by_county(user=world.city_office, start=START, end=DATE, sector=chemicals)
    assert [(r.county.code, r.units_due, r.units_inspected) for r in rows] == [("410702", 2, 1), ("410703", 1, 1)]
    missing = never_inspected(user=world.city_office, start=START, end=DATE, county=world.hongqi, sector=chemicals)
    assert [unit.name for unit in missing] == [city.chem_b.name]
    trade = never_inspected(user=world.city_office, start=START, end=DATE, sector=city.sectors.trade)
    assert [unit.name for unit in trade] == [city.machinery.name]  # a group takes its sub-sectors


def test_a_county_sees_only_its_own_units_by_sector(world, city):
    cells = coverage_cells(user=world.wb_officer, start=START, end=DATE)
    assert {county for county, _sector in cells} == {"410703"}
    assert never_inspected(user=world.wb_officer, start=START, end=DATE, county=world.hongqi).count() == 0


# The national tables' columns


def test_the_mine_table_counts_each_unit_in_its_sectors_row_and_the_total_is_their_sum(world, city):
    body = api_for(world.city_office).get("/api/v1/stats/tables/mine/", {"date": "2026-06-20"}).json()
    assert all(c["available"] for c in body["columns"])
    assert coverage_cells_of(body) == {
        "": ["5", "2", "40.0"],  # 4(1) 3/2 + 5 1/0 + 7 1/0
        "mine.coal": ["0", "0", "/"],
        "mine.metal_nonmetal": ["0", "0", "/"],
        "mine.oil_gas": ["0", "0", "/"],
        "mine.chemicals": ["3", "2", "66.7"],  # the sum of its (1) and (2)
        "mine.chemicals_production": ["3", "2", "66.7"],
        "mine.chemicals_trade": ["0", "0", "/"],
        "mine.fireworks": ["1", "0", "0.0"],
        "mine.metallurgy": ["0", "0", "/"],
        "mine.other": ["1", "0", "0.0"],  # 工贸·机械 through its parent 工贸
    }
    total = body["rows"][0]["values"]
    assert (total["units_due"], total["units_inspected"], total["coverage"]) == (5, 2, 0.4)
    assert body["units_without_sector"] == 2 and body["unmapped_units"] == 1


def test_the_transport_table_counts_schools_and_builders(world, city):
    body = api_for(world.city_office).get("/api/v1/stats/tables/transport/", {"date": "2026-06-20"}).json()
    cells = coverage_cells_of(body)
    assert cells[""] == ["2", "1", "50.0"]
    assert cells["transport.construction"] == ["1", "0", "0.0"]  # its only self-check was voided
    assert cells["transport.school"] == ["1", "1", "100.0"]
    assert {key for key, c in cells.items() if c != ["0", "0", "/"]} == {
        "",
        "transport.construction",
        "transport.school",
    }


def test_the_tables_period_ends_on_the_report_date(world, city):
    body = api_for(world.city_office).get("/api/v1/stats/tables/mine/", {"date": "2026-07-01"}).json()
    assert coverage_cells_of(body)["mine.fireworks"] == ["1", "1", "100.0"]
    before = api_for(world.city_office).get("/api/v1/stats/tables/mine/", {"date": "2026-03-01"}).json()
    assert coverage_cells_of(before)[""] == ["5", "0", "0.0"]


def test_a_county_sees_only_itself_in_the_tables(world, city):
    body = api_for(world.wb_officer).get("/api/v1/stats/tables/mine/", {"date": "2026-06-20"}).json()
    cells = coverage_cells_of(body)
    assert cells[""] == ["1", "1", "100.0"] and cells["mine.chemicals_production"] == ["1", "1", "100.0"]
    assert body["units_without_sector"] == 1
    narrowed = api_for(world.city_office).get(
        "/api/v1/stats/tables/mine/", {"date": "2026-06-20", "region": world.hongqi.code}
    )
    assert coverage_cells_of(narrowed.json())[""] == ["4", "1", "25.0"]
    assert api_for(world.wb_officer).get("/api/v1/stats/tables/mine/", {"region": world.hongqi.code}).status_code == 404


@pytest.mark.parametrize("name", ["mine", "transport"])
def test_the_xlsx_cells_are_the_apis(world, city, django_capture_on_commit_callbacks, name):
    client = api_for(world.city_office)
    params = {"date": "2026-06-20"}
    status = export(client, django_capture_on_commit_callbacks, {"kind": "table", "table": name, "params": params})
    sheet = workbook(client, status).worksheets[0]
    body = client.get(f"/api/v1/stats/tables/{name}/", params).json()
    first_row = 4 + 4  # title, 填报单位, as-of, then four header rows
    for i, row in enumerate(body["rows"]):
        due, inspected, coverage = (sheet.cell(first_row + i, c).value for c in (2, 3, 4))
        assert (due, inspected) == (row["values"]["units_due"], row["values"]["units_inspected"])
        if row["values"]["coverage"] is None:
            assert coverage == "/"
        else:
            assert coverage == pytest.approx(float(row["cells"][2]))
    notes = [sheet.cell(r, 1).value for r in range(first_row + len(body["rows"]), sheet.max_row + 1)]
    assert "另有 2 家应排查单位未填行业领域，未计入本表的应排查与实际排查。" in notes


def test_the_table_page_prints_the_columns_and_says_what_is_left_out(world, city, as_user):
    html = as_user(world.city_office).get("/reports/tables/mine/", {"date": "2026-06-20"}).content.decode()
    assert '<td class="text-end">5</td><td class="text-end">2</td><td class="text-end">40.0</td>' in html
    assert "另有 2 家应排查单位未填行业领域" in html and "另有 1 家应排查单位所属行业未对应" in html
    assert "暂无按行业的数据" not in html


# The coverage page


def test_the_coverage_page_filters_by_sector_and_drills_down_in_it(client, world, city):
    client.force_login(world.city_office)
    url = reverse("inspections:coverage")
    period = {"start": "2026-01-01", "end": "2026-06-20"}
    page = client.get(url, period | {"sector": "hazardous_chemicals", "county": world.hongqi.code})
    html = page.content.decode()
    assert page.status_code == 200
    table = html.split('data-testid="coverage-table"')[1].split("</table>")[0]
    assert '<td class="text-end">3</td>' in table and "67%" in table  # 合计: 3 due, 2 inspected
    missing = html.split('id="missing"')[1].split("</section>")[0]
    assert city.chem_b.name in missing and city.machinery.name not in missing and city.chem_a.name not in missing
    by_sector = html.split('data-testid="coverage-by-sector"')[1].split("</table>")[0]
    assert "危险化学品" in by_sector and "未填行业领域" in by_sector
    wrong = client.get(url, period | {"sector": "nonsense"})
    assert wrong.status_code == 400 and "行业领域不存在" in wrong.content.decode()
