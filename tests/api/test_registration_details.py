"""登记 through the API: the inspected unit (scoped, read and written) and the discovery time."""

from __future__ import annotations

import datetime

from django.utils import timezone

from hazards.models import Hazard
from tests.api.helpers import API, create_body, hazard_url
from tests.conftest import World


def test_the_api_takes_and_shows_the_inspected_unit(world: World, api):
    client = api("hq_officer")
    response = client.post(f"{API}/hazards/", create_body(world, inspected_unit=world.hq_unit.pk), format="json")
    assert response.status_code == 201
    shown = response.json()["inspected_unit"]
    assert shown == {"id": world.hq_unit.pk, "name": world.hq_unit.name, "credit_code": world.hq_unit.credit_code}
    hazard = Hazard.objects.get()
    assert client.get(hazard_url(hazard)).json()["inspected_unit"]["id"] == world.hq_unit.pk
    listed = client.get(f"{API}/hazards/").json()["results"][0]
    assert listed["inspected_unit"]["name"] == world.hq_unit.name


def test_the_api_shows_no_inspected_unit_as_null(world: World, api):
    world.listed()
    assert api("hq_officer").get(f"{API}/hazards/").json()["results"][0]["inspected_unit"] is None


def test_the_api_refuses_an_inspected_unit_outside_the_jurisdiction(world: World, api):
    body = create_body(world, inspected_unit=world.wb_unit.pk)
    response = api("hq_officer").post(f"{API}/hazards/", body, format="json")
    assert response.status_code == 400
    assert "inspected_unit" in response.json()["fields"]
    assert not Hazard.objects.exists()


def test_the_api_refuses_an_old_discovery_time(world: World, api):
    found = (timezone.now() - datetime.timedelta(days=31)).isoformat()
    response = api("hq_officer").post(f"{API}/hazards/", create_body(world, found_at=found), format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["found_at"]


def test_the_schema_describes_the_inspected_unit(world: World, api):
    schema = api("hq_officer").get(f"{API}/schema/?format=json").json()["components"]["schemas"]
    assert "inspected_unit" in schema["HazardCreateRequest"]["properties"]
    assert "inspected_unit" in schema["Hazard"]["properties"]
