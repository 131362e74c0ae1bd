"""挂牌督办: a supervisor lists at their own level or below; the authority and the 文号 are never typed."""

from __future__ import annotations

import datetime
import importlib
import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from hazards import services
from hazards.choices import AuthorityLevel
from hazards.models import HazardEvent, SupervisionListing, SupervisionNoticeSequence
from tests.api.helpers import API, hazard_url
from tests.concurrency import race
from tests.conftest import World, future_deadline
from tests.forms.helpers import detail_url, post_action

YEAR = timezone.localdate().year


def list_it(world: World, by, level: str | None = None, hazard=None) -> SupervisionListing:
    return services.supervision_start(
        hazard=hazard or world.listed_major(),
        by=by,
        authority_level=level,
        requirements="限期完成泄爆装置改造。",
        deadline=future_deadline(30),
    )


def error_code(excinfo, field: str) -> str:
    return excinfo.value.error_dict[field][0].code


# --- the service -----------------------------------------------------------------------------------


def test_a_county_supervisor_lists_at_county_level_by_default_with_the_county_office(world):
    listing = list_it(world, world.hq_supervisor)
    assert listing.authority_level == AuthorityLevel.COUNTY
    assert listing.authority_region == world.hongqi
    assert listing.authority == "红旗区安全生产委员会办公室"
    assert listing.notice_number == f"红旗区安委办督〔{YEAR}〕1号"


def test_a_county_supervisor_may_not_list_at_city_or_province_level(world):
    for level in (AuthorityLevel.CITY, AuthorityLevel.PROVINCE):
        with pytest.raises(ValidationError) as excinfo:
            list_it(world, world.hq_supervisor, level)
        assert error_code(excinfo, "authority_level") == "above_own_level"
        assert "县级" in excinfo.value.error_dict["authority_level"][0].message
    assert not SupervisionListing.objects.exists()
    assert not SupervisionNoticeSequence.objects.exists()


def test_a_city_supervisor_lists_at_city_level_by_default_and_may_list_county_level(world):
    city_supervisor = world.supervisor_at(world.city)
    own = list_it(world, city_supervisor)
    lower = list_it(world, city_supervisor, AuthorityLevel.COUNTY)
    assert (own.authority_level, own.authority) == (AuthorityLevel.CITY, "新乡市安全生产委员会办公室")
    assert own.notice_number == f"新乡市安委办督〔{YEAR}〕1号"
    # A 县级 listing is the county's: the notice never has one office impose another level's listing.
    assert (lower.authority_level, lower.authority) == (AuthorityLevel.COUNTY, "红旗区安全生产委员会办公室")
    assert lower.notice_number == f"红旗区安委办督〔{YEAR}〕1号"
    with pytest.raises(ValidationError) as excinfo:
        list_it(world, city_supervisor, AuthorityLevel.PROVINCE)
    assert error_code(excinfo, "authority_level") == "above_own_level"


def test_a_provincial_supervisor_lists_at_province_level_by_default(world):
    listing = list_it(world, world.supervisor_at(world.city.parent))
    assert (listing.authority_level, listing.authority) == (AuthorityLevel.PROVINCE, "河南省安全生产委员会办公室")
    assert listing.notice_number == f"河南省安委办督〔{YEAR}〕1号"


def test_numbers_run_per_office_without_gaps(world):
    first = list_it(world, world.hq_supervisor)
    with pytest.raises(ValidationError):  # refused: takes no number
        services.supervision_start(
            hazard=world.listed_major(),
            by=world.hq_supervisor,
            requirements="限期治理。",
            deadline=timezone.localdate() - datetime.timedelta(days=1),
        )
    second = list_it(world, world.hq_supervisor)
    city = list_it(world, world.supervisor_at(world.city))
    weibin = services.hazard_register(details=world.major_details(region=world.weibin), by=world.wb_officer)
    other_county = list_it(world, world.wb_supervisor, hazard=weibin)
    assert [first.notice_number, second.notice_number] == [f"红旗区安委办督〔{YEAR}〕{n}号" for n in (1, 2)]
    assert city.notice_number == f"新乡市安委办督〔{YEAR}〕1号"
    assert other_county.notice_number == f"卫滨区安委办督〔{YEAR}〕1号"


def test_the_listing_event_names_the_number_given(world):
    listing = list_it(world, world.hq_supervisor)
    event = HazardEvent.objects.get(hazard=listing.hazard, action="list_supervision")
    assert event.changes == {"supervision": [None, listing.notice_number]}


@pytest.mark.django_db(transaction=True)
def test_listings_at_once_get_distinct_consecutive_numbers(world):
    hazards = [world.listed_major() for _ in range(6)]

    def lister(hazard):
        return lambda: list_it(world, world.hq_supervisor, hazard=hazard).notice_number

    results = race([lister(hazard) for hazard in hazards])

    assert not [r for r in results if isinstance(r, Exception)]
    assert sorted(results, key=lambda n: int(re.search(r"〕(\d+)号", n).group(1))) == [
        f"红旗区安委办督〔{YEAR}〕{n}号" for n in range(1, 7)
    ]


def test_the_data_migration_numbers_existing_listings_per_office_and_year(world):
    county = list_it(world, world.hq_supervisor)
    city = list_it(world, world.supervisor_at(world.city))
    county_again = list_it(world, world.hq_supervisor)
    SupervisionListing.objects.update(authority="手填的单位", notice_number="手填文号")
    SupervisionNoticeSequence.objects.all().delete()

    migration = importlib.import_module("hazards.migrations.0012_inspected_unit_supervision_numbers")
    with connection.schema_editor() as editor:
        migration.number_listings(apps, editor)

    numbers = dict(SupervisionListing.objects.values_list("pk", "notice_number"))
    assert numbers[county.pk] == f"红旗区安委办督〔{YEAR}〕1号"
    assert numbers[county_again.pk] == f"红旗区安委办督〔{YEAR}〕2号"
    assert numbers[city.pk] == f"新乡市安委办督〔{YEAR}〕1号"
    assert SupervisionListing.objects.get(pk=city.pk).authority == "新乡市安全生产委员会办公室"
    # The sequences continue from there.
    assert list_it(world, world.hq_supervisor).notice_number == f"红旗区安委办督〔{YEAR}〕3号"


# --- the API ---------------------------------------------------------------------------------------


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(**overrides) -> dict:
    return {"requirements": "限期治理", "deadline": future_deadline(30).isoformat(), **overrides}


def test_the_api_lists_at_the_supervisors_level_and_numbers_the_notice(world):
    hazard = world.listed_major()
    response = api_for(world.hq_supervisor).post(hazard_url(hazard, "list-supervision"), body(), format="json")
    assert response.status_code == 201
    assert response.json()["authority_level"] == "county"
    assert response.json()["authority"] == "红旗区安全生产委员会办公室"
    assert response.json()["notice_number"] == f"红旗区安委办督〔{YEAR}〕1号"


def test_the_api_no_longer_accepts_an_authority_or_a_notice_number(world):
    hazard = world.listed_major()
    typed = body(authority="河南省安委办", notice_number="豫安委办督〔2026〕1号")
    response = api_for(world.hq_supervisor).post(hazard_url(hazard, "list-supervision"), typed, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"authority", "notice_number"}
    assert not SupervisionListing.objects.exists()


def test_the_api_refuses_a_level_above_the_supervisors_own(world):
    hazard = world.listed_major()
    response = api_for(world.hq_supervisor).post(
        hazard_url(hazard, "list-supervision"), body(authority_level="province"), format="json"
    )
    assert response.status_code == 400
    assert "authority_level" in response.json()["fields"]
    assert not SupervisionListing.objects.exists()


def test_the_schema_offers_no_authority_or_notice_number_to_write(world):
    schema = api_for(world.hq_supervisor).get(f"{API}/schema/?format=json").json()
    written = schema["components"]["schemas"]["SupervisionInputRequest"]["properties"]
    assert "authority_level" in written and "authority" not in written and "notice_number" not in written


# --- the pages -------------------------------------------------------------------------------------


def level_choices(html: str) -> list[tuple[str, bool]]:
    select = re.search(r'<select name="authority_level".*?</select>', html, re.S).group(0)
    return [(value, bool(selected)) for value, selected in re.findall(r'<option value="(\w+)"( selected)?', select)]


def test_the_form_offers_a_county_supervisor_only_county_level(as_user, world):
    html = as_user(world.hq_supervisor).get(detail_url(world.listed_major())).content.decode()
    assert level_choices(html) == [("county", True)]
    assert 'name="authority"' not in html and 'name="notice_number"' not in html


def test_the_form_offers_a_city_supervisor_city_and_county_with_city_chosen(as_user, world):
    html = as_user(world.supervisor_at(world.city)).get(detail_url(world.listed_major())).content.decode()
    assert level_choices(html) == [("city", True), ("county", False)]


def test_a_level_above_ones_own_is_refused_in_chinese_on_the_page(as_user, world):
    major = world.listed_major()
    response = post_action(
        as_user(world.hq_supervisor),
        major,
        "list-supervision",
        authority_level="province",
        requirements="限期治理。",
        deadline=future_deadline(30).isoformat(),
    )
    assert "您只能挂牌本级及以下的督办" in response.content.decode()
    assert not SupervisionListing.objects.exists()


def test_the_printed_notice_names_the_listing_office(as_user, world):
    listing = list_it(world, world.hq_supervisor, hazard=world.assigned(world.listed_major()))
    url = reverse("hazards:supervision_notice", args=[listing.hazard_id, listing.pk])
    html = as_user(world.hq_officer).get(url).content.decode()
    assert "红旗区安全生产委员会办公室决定对下列重大事故隐患实行<strong>县级挂牌督办</strong>" in html
    assert f"红旗区安委办督〔{YEAR}〕1号" in html
    assert "省级" not in html
