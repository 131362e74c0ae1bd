"""How the API refuses: a read-only role before its body is read, a CSRF failure as one, and an
idempotent replay that carries the first answer's ETag."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from hazards import services
from tests.api.helpers import API, create_body
from tests.conftest import future_deadline


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "hazards/"),
        ("patch", "hazards/{id}/"),
        ("post", "hazards/{id}/assign/"),
        ("post", "hazards/{id}/void/"),
        ("post", "hazards/{id}/attachments/"),
        ("post", "extensions/{id}/decide/"),
    ],
)
@pytest.mark.parametrize("persona", ["api_client", "city_office"])
def test_a_read_only_role_gets_403_before_its_body_is_validated(world, api, method, path, persona):
    hazard = world.rectifying()
    extension = services.extension_request(
        hazard=hazard, by=world.unit_demo, requested_deadline=future_deadline(30), reason="设备到货延迟"
    )
    url = f"{API}/" + path.format(id=extension.pk if "extensions" in path else hazard.pk)
    response = getattr(api(persona), method)(url, {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    assert response.json()["fields"] == {}


def test_a_writing_role_still_gets_400_for_a_bad_body(world, api):
    response = api("hq_officer").post(f"{API}/hazards/", {}, format="json")
    assert response.status_code == 400


def test_a_read_only_role_still_reads(world, api):
    world.listed()
    assert api("api_client").get(f"{API}/hazards/").status_code == 200


def test_a_csrf_failure_in_the_api_is_said_as_one(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.hq_officer)
    response = client.post(f"{API}/hazards/", create_body(world), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert "CSRF" in response.json()["message"] and "刷新" in response.json()["message"]


def test_a_csrf_failure_in_the_browser_gets_a_chinese_page(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.hq_officer)
    response = client.post("/hazards/new/", world.listing_form())
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def test_an_idempotent_replay_carries_the_first_answers_etag(world, api):
    client = api("hq_officer")
    first = client.post(f"{API}/hazards/", create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-etag")
    second = client.post(f"{API}/hazards/", create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-etag")
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["ETag"] == first.headers["ETag"]
    assert client.get(f"{API}/hazards/{first.json()['id']}/")["ETag"] == first.headers["ETag"]
