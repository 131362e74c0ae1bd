"""登记隐患 records when the hazard was found (发现时间) and, optionally, the unit inspected (被检查单位)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from hazards import services
from hazards.models import Hazard
from tests.conftest import World
from tests.factories import UnitFactory
from tests.forms.helpers import detail_url


def minute(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- the service -----------------------------------------------------------------------------------


def test_a_hazard_found_yesterday_keeps_its_discovery_time(world: World):
    found = timezone.now() - datetime.timedelta(days=1, hours=3)
    hazard = services.hazard_register(details=world.details(found_at=found), by=world.hq_officer)
    assert hazard.found_at == found
    assert hazard.created_at > found


def test_a_discovery_time_more_than_30_days_back_is_refused_in_chinese(world: World):
    found = timezone.now() - datetime.timedelta(days=31)
    with pytest.raises(ValidationError) as excinfo:
        services.hazard_register(details=world.details(found_at=found), by=world.hq_officer)
    error = excinfo.value.error_dict["found_at"][0]
    assert error.code == "too_old" and "30 天" in error.message
    assert not Hazard.objects.exists()


def test_a_discovery_time_in_the_future_is_refused(world: World):
    found = timezone.now() + datetime.timedelta(hours=2)
    with pytest.raises(ValidationError) as excinfo:
        services.hazard_register(details=world.details(found_at=found), by=world.hq_officer)
    assert excinfo.value.error_dict["found_at"][0].code == "future"


def test_the_inspected_unit_is_recorded(world: World):
    hazard = services.hazard_register(details=world.details(inspected_unit=world.hq_unit), by=world.hq_officer)
    assert Hazard.objects.get(pk=hazard.pk).inspected_unit == world.hq_unit


def test_an_inspected_unit_outside_the_jurisdiction_is_refused(world: World):
    with pytest.raises(ValidationError) as excinfo:
        services.hazard_register(details=world.details(inspected_unit=world.wb_unit), by=world.hq_officer)
    assert excinfo.value.error_dict["inspected_unit"][0].code == "out_of_scope"


# --- the pages -------------------------------------------------------------------------------------


def test_the_form_starts_with_now_as_the_discovery_time(as_user, world: World):
    html = as_user(world.hq_officer).get(reverse("hazards:new")).content.decode()
    value = re.search(r'type="datetime-local" name="found_at" value="([^"]+)"', html).group(1)
    shown = timezone.make_aware(datetime.datetime.fromisoformat(value))
    assert abs(shown - timezone.now()) < datetime.timedelta(minutes=2)
    assert 'name="inspected_unit"' in html and world.hq_unit.name in html
    assert world.wb_unit.name not in html


def test_the_form_records_the_discovery_time_and_inspected_unit(as_user, world: World):
    found = timezone.now() - datetime.timedelta(days=1)
    form = world.listing_form(found_at=minute(found), inspected_unit=world.hq_unit.pk)
    response = as_user(world.hq_officer).post(reverse("hazards:new"), form)
    hazard = Hazard.objects.get()
    assert response["Location"] == detail_url(hazard)
    assert minute(hazard.found_at) == minute(found) and hazard.inspected_unit == world.hq_unit


def test_the_form_refuses_an_old_discovery_time_in_chinese(as_user, world: World):
    found = timezone.now() - datetime.timedelta(days=40)
    response = as_user(world.hq_officer).post(reverse("hazards:new"), world.listing_form(found_at=minute(found)))
    assert response.status_code == 400
    assert "发现时间不能早于 30 天前" in response.content.decode()
    assert not Hazard.objects.exists()


def test_the_form_refuses_an_inspected_unit_outside_the_jurisdiction(as_user, world: World):
    form = world.listing_form(inspected_unit=world.wb_unit.pk)
    response = as_user(world.hq_officer).post(reverse("hazards:new"), form)
    assert response.status_code == 400
    assert "所选被检查单位不在您的辖区内或已停用。" in response.content.decode()


def test_a_unit_contact_is_not_asked_for_an_inspected_unit(as_user, world: World):
    html = as_user(world.unit_demo).get(reverse("hazards:new")).content.decode()
    assert 'name="inspected_unit"' not in html and 'name="found_at"' in html


def test_handing_over_offers_the_inspected_unit(as_user, world: World):
    other = UnitFactory(region=world.hq_village, name="新乡市红旗区另一家公司")
    hazard = services.hazard_register(details=world.details(inspected_unit=other), by=world.hq_officer)
    html = as_user(world.hq_officer).get(detail_url(hazard)).content.decode()
    select = re.search(r'<select name="unit".*?</select>', html, re.S).group(0)
    assert re.search(rf'<option value="{other.pk}" selected>', select)
    assert re.findall(r"<option [^>]*selected", select) == [f'<option value="{other.pk}" selected']


def test_the_inspected_unit_search_keeps_its_own_wording_and_choice(as_user, world: World):
    url = reverse("accounts:unit_options")
    client = as_user(world.hq_officer)
    html = client.get(url, {"q": "xyz-none", "inspected_unit": world.hq_unit.pk}).content.decode()
    assert "请选择被检查单位" in html
    assert f'<option value="{world.hq_unit.pk}" selected>' in html
    assert "请选择责任单位" in client.get(url, {"q": "", "unit": ""}).content.decode()
