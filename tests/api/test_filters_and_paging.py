"""The FilterSet, and keyset pages that PostgreSQL serves from an index range."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hazards import services
from tests.api.helpers import API, hazard_url
from tests.conftest import future_deadline
from tests.factories import SectorFactory

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


def test_sector_filter_takes_in_the_sub_sectors(world, api):
    trade = SectorFactory(code="trade", name="工贸")
    machinery = SectorFactory(code="trade_machinery", name="机械", parent=trade, department=trade.department)
    in_parent = world.listed(sector=trade)
    in_child = world.listed(sector=machinery)
    elsewhere = world.listed()
    client = api("city_office")

    def numbers(code: str) -> set[str]:
        response = client.get(f"{API}/hazards/?sector={code}")
        assert response.status_code == 200, response.json()
        return {h["number"] for h in response.json()["results"]}

    assert numbers("trade") == {in_parent.number, in_child.number}
    assert numbers("trade_machinery") == {in_child.number}
    assert numbers(world.sector.code) == {elsewhere.number}
    assert numbers("no-such-sector") == set()


def test_counted_leaves_out_only_the_voided(world):
    from hazards.models import Hazard

    kept = [world.listed(), world.assigned(), world.closed()]
    voided = world.listed()
    services.hazard_void(hazard=voided, reason="重复登记", by=world.hq_supervisor)

    assert set(Hazard.objects.counted()) == set(kept)


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
            hazard = services.hazard_register(details=world.details(region=world.weibin), by=world.wb_officer)
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
