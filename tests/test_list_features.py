"""The list does what the 台账 does: search by unit (name or pinyin initials anywhere) and person, the county
in front of a township, and how many hazards match."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

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


def test_the_count_reads_the_hazards_alone(as_user, world):
    """The count reads up to COUNT_CAP + 1 hazards: a join with the units (the page's column) made it 40x
    slower at 1,000,000 hazards."""
    world.assigned()
    client = as_user(world.hq_officer)
    with CaptureQueriesContext(connection) as captured:
        html = client.get("/hazards/").content.decode()
    counts = [query["sql"] for query in captured if query["sql"].startswith("SELECT COUNT(*)")]
    assert 'data-testid="total">共 1 条' in html and world.hq_unit.name in html
    assert len(counts) == 1 and "JOIN" not in counts[0], counts


def test_the_rows_escape_what_users_typed(as_user, world):
    """The rows are written by a Jinja2 template (config/settings.py TEMPLATES): autoescaped like the rest."""
    world.listed(title='<script>alert("x")</script> & <b>粗体</b>')
    html = as_user(world.hq_officer).get("/hazards/").content.decode()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;粗体&lt;/b&gt;" in html
    assert "<script>alert" not in html and "<b>粗体" not in html


def test_the_filter_offers_the_regions_of_the_jurisdiction_and_every_sector(as_user, world):
    def options(html: str, select: str) -> list[str]:
        block = html.split(f'id="{select}"', 1)[1].split("</select>", 1)[0]
        return re.findall(r'<option value="([^"]*)"', block)

    county = as_user(world.hq_officer).get("/hazards/").content.decode()
    city = as_user(world.city_office).get("/hazards/").content.decode()
    assert {world.hongqi.code, world.hq_township.code} <= set(options(county, "f-region"))
    assert world.hq_village.code not in options(county, "f-region")  # villages are too many
    assert world.weibin.code not in options(county, "f-region")
    assert {world.hongqi.code, world.weibin.code} <= set(options(city, "f-region"))
    assert world.sector.code in options(county, "f-sector")
    label = f"{world.sector.parent.name}·{world.sector.name}" if world.sector.parent_id else world.sector.name
    assert f'<option value="{world.sector.code}">{label}</option>' in county
