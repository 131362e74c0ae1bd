"""排查覆盖率 on a hand-made city: which enterprises were due, which were inspected in the period."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.choices import UnitKind
from inspections import services
from inspections.choices import Kind, Result
from inspections.coverage import coverage_by_county, never_inspected
from inspections.models import ChecklistItem
from tests.factories import UnitFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)


def at(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T10:00").replace(tzinfo=SHANGHAI)


def inspect(world, checklist, unit, day: str, *, complete: bool = True, kind=Kind.ROUTINE, by=None):
    by = by or (world.unit_demo if kind == Kind.SELF_CHECK else world.hq_officer)
    inspection = services.inspection_start_on_spot(kind=kind, unit=unit, by=by, template=checklist, at=at(day))
    for item in ChecklistItem.objects.filter(section__template=checklist, mandatory=True):
        services.answer_record(inspection=inspection, item=item, result=Result.PASS, by=by, at=at(day))
    if complete:
        services.inspection_complete(
            inspection=inspection, by=by, summary="良好", acknowledged_by_name="负责人", at=at(day)
        )
    return inspection


@pytest.fixture
def city(world, checklist):
    """红旗区: four enterprises (one inactive) and a village committee; 卫滨区: one enterprise."""
    late = UnitFactory(region=world.hq_township, name="新乡市晚检机械有限公司")
    never = UnitFactory(region=world.hongqi, name="新乡市未检化工有限公司")
    UnitFactory(region=world.hongqi, name="新乡市停业纸业有限公司", is_active=False)
    UnitFactory(region=world.hq_village, name="东街村村委会", kind=UnitKind.VILLAGE_COMMITTEE, credit_code="")
    inspect(world, checklist, world.hq_unit, "2026-03-02")  # in the period
    inspect(world, checklist, world.hq_unit, "2026-03-09", kind=Kind.SELF_CHECK)  # the same unit again
    inspect(world, checklist, late, "2026-07-01")  # the day after the period
    inspect(world, checklist, never, "2026-04-01", complete=False)  # started, never completed
    return {"late": late, "never": never}


def test_coverage_counts_enterprises_due_and_those_inspected_in_the_period(world, city, checklist):
    # The unit's own 企业自查 counts as an inspection: 卫滨区's one enterprise checked itself.
    inspect(world, checklist, world.wb_unit, "2026-05-05", kind=Kind.SELF_CHECK, by=world.wb_contact)
    rows = {row.county.code: row for row in coverage_by_county(user=world.city_office, start=START, end=END)}
    assert {code: (r.units_due, r.units_inspected) for code, r in rows.items()} == {
        world.hongqi.code: (3, 1),
        world.weibin.code: (1, 1),
    }
    assert rows[world.hongqi.code].coverage == pytest.approx(1 / 3)
    assert rows[world.weibin.code].coverage == 1


def test_the_period_includes_its_last_day(world, city, checklist):
    inspect(world, checklist, city["late"], "2026-06-30")
    (hongqi,) = [r for r in coverage_by_county(user=world.hq_officer, start=START, end=END)]
    assert (hongqi.units_due, hongqi.units_inspected) == (3, 2)


def test_the_drill_down_lists_the_units_never_inspected(world, city):
    missing = never_inspected(user=world.city_office, start=START, end=END, county=world.hongqi)
    assert sorted(unit.name for unit in missing) == sorted([city["late"].name, city["never"].name])


def test_a_county_sees_only_its_own_units(world, city):
    assert [row.county for row in coverage_by_county(user=world.wb_officer, start=START, end=END)] == [world.weibin]


def test_the_page_shows_the_table_and_the_drill_down_and_refuses_a_unit(client, world, city):
    client.force_login(world.city_office)
    page = client.get(reverse("inspections:coverage"), {"start": "2026-01-01", "end": "2026-06-30"})
    html = page.content.decode()
    assert page.status_code == 200 and "红旗区" in html and "33%" in html
    drill = client.get(
        reverse("inspections:coverage"), {"start": "2026-01-01", "end": "2026-06-30", "county": world.hongqi.code}
    ).content.decode()
    assert city["never"].name in drill and world.hq_unit.name not in drill.split('id="missing"')[1]
    wrong = client.get(reverse("inspections:coverage"), {"start": "2026-07-01", "end": "2026-01-01"})
    assert wrong.status_code == 400 and "起始日期不能晚于截止日期" in wrong.content.decode()
    client.force_login(world.unit_demo)
    assert client.get(reverse("inspections:coverage")).status_code == 403
