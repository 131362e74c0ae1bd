"""The list does what the 台账 does: search by unit (name or pinyin initials anywhere) and person, the county
in front of a township, and how many hazards match."""

from __future__ import annotations

from accounts.models import ResponsibleUnit
from hazards.views import pages


def rows(client, **params) -> list[str]:
    html = client.get("/hazards/", params).content.decode()
    return [line for line in html.splitlines() if 'data-label="名称"' in line]


def test_the_keyword_finds_the_unit_by_name_or_initials_and_the_person(as_user, world):
    world.assigned()  # handed to 新乡市红旗机械有限公司, person 李四
    world.listed(title="消防通道堵塞")
    client = as_user(world.hq_officer)
    assert len(rows(client, q="红旗机械")) == 1
    assert world.hq_unit.name_initials.startswith("xxs")
    assert len(rows(client, q="hqjx")) == 1  # initials from the middle of the full legal name
    assert len(rows(client, q=world.assigned().responsible_person)) >= 1


def test_unit_search_matches_initials_anywhere_in_the_name(world):
    assert list(ResponsibleUnit.objects.search("hqjx")) == [world.hq_unit]


def test_a_township_shows_its_county_and_the_list_says_how_many(as_user, world):
    world.listed(region=world.hq_village)
    world.listed(region=world.hongqi)
    html = as_user(world.city_office).get("/hazards/").content.decode()
    assert f"{world.hongqi.name}·{world.hq_village.name}" in html
    assert 'data-testid="total">共 2 条' in html


def test_the_count_stops_at_its_cap(as_user, world, monkeypatch):
    monkeypatch.setattr(pages, "COUNT_CAP", 2)
    for _ in range(3):
        world.listed()
    html = as_user(world.hq_officer).get("/hazards/").content.decode()
    assert 'data-testid="total">共 2+ 条' in html
