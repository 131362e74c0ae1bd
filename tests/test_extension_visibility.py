"""A pending 延期 request reaches the supervisor (a card and a list filter); an overdue hazard offers none."""

from __future__ import annotations

import datetime

from django.utils import timezone

from hazards import services
from tests.conftest import future_deadline
from tests.test_pages import card_counts


def test_the_supervisor_sees_pending_requests_on_a_card_that_lists_them(as_user, world):
    asked = services.extension_request(
        hazard=world.rectifying(), by=world.unit_demo, requested_deadline=future_deadline(30), reason="设备到货晚"
    )
    world.rectifying()  # another hazard, nothing asked
    client = as_user(world.hq_supervisor)
    home = client.get("/")
    assert card_counts(home)["extension_pending"] == 1
    link = next(line for line in home.content.decode().splitlines() if 'data-card="extension_pending"' in line)
    assert "extension_pending=true" in link
    listed = client.get("/hazards/", {"extension_pending": "true"}).content.decode()
    assert asked.hazard.number in listed and listed.count('href="/hazards/') >= 1
    api = client.get("/api/v1/hazards/", {"extension_pending": "true"}).json()
    assert [row["id"] for row in api["results"]] == [asked.hazard_id]


def test_an_overdue_hazard_does_not_offer_a_request_the_service_would_refuse(as_user, world, time_machine):
    hazard = world.rectifying()
    page = as_user(world.unit_demo).get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'data-action="request-extension"' in page
    time_machine.move_to(datetime.datetime.combine(hazard.deadline + datetime.timedelta(days=1), datetime.time(9)))
    assert timezone.localdate() > hazard.deadline
    page = as_user(world.unit_demo).get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'data-action="request-extension"' not in page
