"""Two people acting at once: exactly one wins and the other is told; numbers never repeat."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from hazards import services
from hazards.choices import Action, ExtensionStatus
from hazards.errors import ConcurrentChange
from hazards.models import ExtensionRequest, Hazard, HazardEvent
from tests.concurrency import race
from tests.conftest import future_deadline

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("attempt", range(3))
def test_two_supervisors_closing_at_once_leave_exactly_one_close_event(world, attempt):
    hazard = world.submitted()

    def close() -> Hazard:
        fresh = Hazard.objects.get(pk=hazard.pk)
        return services.hazard_verify(hazard=fresh, by=world.hq_supervisor, method="on_site", opinion="同意销号")

    results = race([close, close])

    assert HazardEvent.objects.filter(hazard=hazard, action=Action.VERIFY).count() == 1
    assert sum(isinstance(r, Hazard) for r in results) == 1
    loser = next(r for r in results if not isinstance(r, Hazard))
    assert isinstance(loser, DomainError)
    if isinstance(loser, ConcurrentChange):
        assert loser.status == "closed"


def test_close_and_reject_at_once_leave_one_decision(world):
    hazard = world.submitted()

    def close() -> Hazard:
        fresh = Hazard.objects.get(pk=hazard.pk)
        return services.hazard_verify(hazard=fresh, by=world.hq_supervisor, method="on_site", opinion="同意")

    def reject() -> Hazard:
        fresh = Hazard.objects.get(pk=hazard.pk)
        return services.hazard_reject(hazard=fresh, by=world.hq_supervisor, reason="不合格")

    results = race([close, reject])

    assert sum(isinstance(r, Hazard) for r in results) == 1
    decisions = HazardEvent.objects.filter(hazard=hazard, action__in=[Action.VERIFY, Action.REJECT])
    assert decisions.count() == 1
    hazard.refresh_from_db()
    assert hazard.status == decisions.get().to_status


def test_numbers_stay_unique_under_concurrent_creation(world):
    per_thread, threads = 5, 6

    def create_many() -> list[str]:
        return [world.listed().number for _ in range(per_thread)]

    results = race([create_many] * threads)

    assert not [r for r in results if isinstance(r, Exception)]
    numbers = [n for batch in results for n in batch]
    year = timezone.localdate().year
    assert len(set(numbers)) == per_thread * threads
    assert sorted(numbers) == [f"YH-410702-{year}-{i:06d}" for i in range(1, per_thread * threads + 1)]


def test_two_extension_requests_at_once_leave_one_pending(world):
    hazard = world.rectifying()

    def ask() -> ExtensionRequest:
        fresh = Hazard.objects.get(pk=hazard.pk)
        return services.extension_request(
            hazard=fresh, by=world.unit_demo, requested_deadline=future_deadline(40), reason="等待设备"
        )

    results = race([ask, ask])

    assert ExtensionRequest.objects.filter(hazard=hazard, status=ExtensionStatus.PENDING).count() == 1
    assert sum(isinstance(r, ExtensionRequest) for r in results) == 1
    assert any(isinstance(r, ValidationError | ConcurrentChange) for r in results)


@pytest.mark.parametrize("attempt", range(3))
def test_a_listing_form_sent_twice_at_once_creates_one_hazard(world, attempt):
    """A double tap on a slow phone network: both requests arrive together with the same form token."""
    data = world.listing_form(form_token=f"double-tap-{attempt}")

    def send():
        client = Client()
        client.force_login(world.hq_officer)
        return client.post(reverse("hazards:new"), data)

    first, second = race([send, send])

    assert Hazard.objects.count() == 1
    hazard = Hazard.objects.get()
    assert first["Location"] == second["Location"] == reverse("hazards:detail", args=[hazard.pk])


@pytest.mark.parametrize("attempt", range(3))
def test_an_action_form_sent_twice_at_once_is_done_once_and_both_land_on_it(world, attempt):
    """The second of two identical submits fails on the row the first changed: it is a repeat, not a
    change by someone else, so it is sent where the first one went without a stale-form warning."""
    hazard = world.listed()
    data = {
        "form_token": f"assign-twice-{attempt}",
        "version": hazard.version,
        "unit": world.hq_unit.pk,
        "responsible_person": "李四",
        "requirements": "立即整改。",
        "deadline": future_deadline().isoformat(),
    }

    def send():
        client = Client()
        client.force_login(world.hq_officer)
        return client.post(reverse("hazards:action", args=[hazard.pk, "assign"]), data)

    responses = race([send, send])

    assert [r.status_code for r in responses] == [302, 302]
    assert HazardEvent.objects.filter(hazard=hazard, action=Action.ASSIGN).count() == 1
