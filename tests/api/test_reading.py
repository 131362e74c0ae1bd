"""Reading hazards: representation, scope, cursors, query counts and the reference caches."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import RegionLevel
from accounts.models import Region, Sector
from core.reference import ReferenceCache
from hazards.models import HazardEvent
from tests.api.helpers import ACTION_BODIES, API, hazard_url
from tests.factories import RegionFactory, SectorFactory

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


def test_all_rows_are_read_once_and_a_saved_row_joins_them(world, django_assert_num_queries):
    """``ReferenceCache.all`` (every county and sector a report lists): one query, then none until a
    row changes."""
    Region.cached.clear()
    with django_assert_num_queries(1):
        codes = {region.code for region in Region.cached.all()}
        assert {region.code for region in Region.cached.all()} == codes
    assert codes == set(Region.objects.values_list("code", flat=True))
    village = RegionFactory(code="410702001009", name="新村", level=RegionLevel.VILLAGE, parent=world.hq_township)
    assert village.code in {region.code for region in Region.cached.all()}
    assert Region.cached.get_by_key(village.code) == village
