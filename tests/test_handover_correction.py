"""撤回 / 改派: a wrong 交单 corrected before the unit acknowledges; the history keeps both."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from hazards import services
from hazards.choices import Action, ExtensionStatus, Status
from hazards.errors import IllegalTransition, NotAllowed
from tests.conftest import future_deadline
from tests.factories import UnitFactory


def test_recalling_takes_the_hazard_back_to_listing_and_keeps_both_in_the_timeline(world):
    hazard = world.assigned()
    recalled = services.hazard_recall(hazard=hazard, by=world.hq_officer, reason="交错了单位")
    assert recalled.status == Status.LISTED
    assert (recalled.responsible_unit, recalled.deadline, recalled.requirements) == (None, None, "")
    event = recalled.events.get(action=Action.RECALL)
    assert (event.from_status, event.to_status, event.comment) == (Status.ASSIGNED, Status.LISTED, "交错了单位")
    assert event.changes["responsible_unit"] == [{"id": world.hq_unit.pk, "name": world.hq_unit.name}, None]
    # Handed over again, to the right unit this time.
    other = UnitFactory(region=world.hq_township, name="新乡市西街五金有限公司")
    again = services.hazard_assign(
        hazard=recalled, by=world.hq_officer, unit=other, responsible_person="赵六", requirements="整改", working_days=5
    )
    assert list(again.events.values_list("action", flat=True)) == ["list", "assign", "recall", "assign"]


def test_reassigning_hands_it_to_another_unit_and_lapses_the_old_units_request(world):
    hazard = world.assigned()
    services.extension_request(
        hazard=hazard, by=world.unit_demo, requested_deadline=future_deadline(40), reason="不是我们的设备"
    )
    other = UnitFactory(region=world.hq_township, name="新乡市西街五金有限公司")
    moved = services.hazard_reassign(
        hazard=hazard,
        by=world.hq_officer,
        unit=other,
        responsible_person="赵六",
        requirements="限期整改",
        deadline=future_deadline(15),
        reason="设备属于隔壁五金厂",
    )
    assert (moved.status, moved.responsible_unit) == (Status.ASSIGNED, other)
    event = moved.events.get(action=Action.REASSIGN)
    assert event.changes["responsible_unit"][1] == {"id": other.pk, "name": other.name}
    assert moved.extension_requests.get().status == ExtensionStatus.LAPSED


def test_no_correction_once_the_unit_has_acknowledged(world):
    hazard = world.rectifying()
    with pytest.raises(IllegalTransition):
        services.hazard_recall(hazard=hazard, by=world.hq_officer, reason="晚了")
    with pytest.raises(IllegalTransition):
        services.hazard_reassign(
            hazard=hazard,
            by=world.hq_officer,
            unit=world.hq_unit,
            responsible_person="赵六",
            requirements="整改",
            working_days=5,
            reason="晚了",
        )


@pytest.mark.parametrize("persona", ["unit_demo", "hq_supervisor"])
def test_only_the_officer_corrects_a_handover(world, persona):
    with pytest.raises(NotAllowed):
        services.hazard_recall(hazard=world.assigned(), by=getattr(world, persona), reason="不对")


def test_a_reason_is_required(world):
    with pytest.raises(Exception) as error:
        services.hazard_recall(hazard=world.assigned(), by=world.hq_officer, reason="  ")
    assert "reason" in error.value.error_dict


def test_the_officer_finds_both_corrections_on_the_page_and_in_the_api(as_user, world):
    hazard = world.assigned()
    page = as_user(world.hq_officer).get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'data-action="recall"' in page and 'data-action="reassign"' in page
    unit_page = as_user(world.unit_demo).get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'data-action="recall"' not in unit_page
    api = APIClient()
    api.force_authenticate(world.hq_officer)
    response = api.post(f"/api/v1/hazards/{hazard.pk}/recall/", {"reason": "交错了"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == Status.LISTED
    refused = api.post(f"/api/v1/hazards/{hazard.pk}/recall/", {"reason": "再撤一次"}, format="json")
    assert refused.status_code == 409
