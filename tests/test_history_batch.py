"""A history batch (``services.recording_history``): the services' own checks and rows, written in bulk.

The same histories are played straight through the services and inside a batch; the rows they leave
must be the same, a rule broken inside the batch must be the same error, and a batch that fails
writes nothing at all.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from hazards import search, services
from hazards.choices import Action, AuthorityLevel, ExtensionStatus, Source, Status, VerificationMethod
from hazards.errors import IllegalTransition
from hazards.models import (
    Attachment,
    ExtensionRequest,
    Hazard,
    HazardEvent,
    HazardNumberSequence,
    HazardSearch,
    ReminderSchedule,
    SupervisionListing,
    SupervisionNoticeSequence,
)
from tests.conftest import World, png_upload
from tests.test_history_import import day, moment


def closed_after_a_rejection(world: World) -> Hazard:
    """A major hazard listed, handed over, put under supervision, given more time, sent back once, closed."""
    found = moment("2025-03-03", "10:00")
    hazard = services.hazard_register(
        details=world.major_details(found_at=found - datetime.timedelta(hours=1)), by=world.hq_officer, at=found
    )
    hazard = services.hazard_assign(
        hazard=hazard,
        by=world.hq_officer,
        unit=world.hq_unit,
        responsible_person="李四",
        requirements="限期整改",
        deadline=day("2025-04-30"),
        at=moment("2025-03-04"),
    )
    services.supervision_start(
        hazard=hazard,
        by=world.hq_supervisor,
        authority_level=AuthorityLevel.COUNTY,
        requirements="限期完成治理",
        deadline=day("2025-05-30"),
        at=moment("2025-03-05"),
    )
    hazard = services.hazard_acknowledge(hazard=hazard, by=world.unit_demo, at=moment("2025-03-06"))
    extension = services.extension_request(
        hazard=hazard,
        by=world.unit_demo,
        requested_deadline=day("2025-05-20"),
        reason="设备到货晚",
        at=moment("2025-04-01"),
    )
    services.extension_decide(extension=extension, by=world.hq_supervisor, approve=True, at=moment("2025-04-02"))
    report = {"by": world.unit_demo, "measures": "更换防爆电气", "cost": 12000}
    hazard = services.hazard_submit(
        hazard=hazard, completed_on=day("2025-05-05"), photos=[png_upload()], at=moment("2025-05-06"), **report
    )
    hazard = services.hazard_reject(hazard=hazard, by=world.hq_supervisor, reason="照片不清", at=moment("2025-05-07"))
    hazard = services.hazard_submit(
        hazard=hazard, completed_on=day("2025-05-09"), photos=[png_upload()], at=moment("2025-05-10"), **report
    )
    return services.hazard_verify(
        hazard=hazard,
        by=world.hq_supervisor,
        method=VerificationMethod.ON_SITE,
        opinion="整改到位",
        at=moment("2025-05-12"),
    )


def voided_with_a_pending_request(world: World) -> Hazard:
    found = moment("2025-06-02", "08:30")
    hazard = services.hazard_register(details=world.details(found_at=found), by=world.hq_officer, at=found)
    hazard = services.hazard_assign(
        hazard=hazard,
        by=world.hq_officer,
        unit=world.hq_unit,
        responsible_person="李四",
        requirements="限期整改",
        working_days=10,
        at=moment("2025-06-03"),
    )
    services.extension_request(
        hazard=hazard,
        by=world.unit_demo,
        requested_deadline=day("2025-07-30"),
        reason="停产检修",
        at=moment("2025-06-05"),
    )
    return services.hazard_void(hazard=hazard, by=world.hq_supervisor, reason="重复登记", at=moment("2025-06-06"))


def self_reported_and_open(world: World) -> Hazard:
    found = moment("2025-07-01", "14:00")
    return services.hazard_self_report(
        details=world.details(found_at=found, source=Source.SELF_CHECK),
        by=world.unit_demo,
        responsible_person="王五",
        deadline=day("2025-07-15"),
        at=found,
    )


HISTORIES = (closed_after_a_rejection, voided_with_a_pending_request, self_reported_and_open)


def rows() -> dict[str, list[tuple]]:
    """What the histories left, without ids: the same whichever way they were written."""
    hazard_fields = [f.attname for f in Hazard._meta.concrete_fields if f.attname not in ("id",)]
    return {
        "hazards": sorted(Hazard.objects.values_list(*hazard_fields)),
        "events": sorted(
            HazardEvent.objects.values_list(
                "hazard__number", "action", "actor_id", "at", "from_status", "to_status", "changes", "comment"
            ),
            key=repr,
        ),
        "listings": sorted(
            SupervisionListing.objects.values_list("hazard__number", "notice_number", "listed_at", "lifted_at")
        ),
        "extensions": sorted(
            ExtensionRequest.objects.values_list(
                "hazard__number", "status", "requested_deadline", "requested_at", "decided_at", "decision_comment"
            )
        ),
        "attachments": sorted(
            Attachment.objects.values_list("hazard__number", "phase", "content_type", "size", "uploaded_at")
        ),
        "schedules": sorted(ReminderSchedule.objects.values_list("hazard__number", "due_at")),
        "search": sorted(HazardSearch.objects.values_list("hazard__number", "county_id", "found_at", "haystack")),
        "numbers": sorted(HazardNumberSequence.objects.values_list("county_id", "year", "last_value")),
        "notices": sorted(SupervisionNoticeSequence.objects.values_list("office_id", "year", "last_value")),
    }


def play(world: World) -> list[Hazard]:
    return [history(world) for history in HISTORIES]


def test_a_batch_leaves_exactly_the_rows_the_services_leave_one_by_one(world):
    with transaction.atomic():
        play(world)
        one_by_one = rows()
        transaction.set_rollback(True)
    assert not Hazard.objects.exists()

    with services.recording_history() as batch:
        hazards = play(world)
        assert Hazard.objects.count() == 0  # nothing is written until the batch ends
    assert batch.written == 3 and not batch.hazards
    assert rows() == one_by_one
    assert [h.status for h in hazards] == [Status.CLOSED, Status.VOID, Status.RECTIFYING]
    assert all(h.pk and h.number.startswith("YH-") for h in hazards)
    assert all(a.file.storage.exists(a.file.name) for a in Attachment.objects.all())


def test_numbers_in_a_batch_follow_on_from_those_already_given(world):
    before = services.hazard_register(details=world.details(), by=world.hq_officer)
    with services.recording_history():
        inside = [services.hazard_register(details=world.details(), by=world.hq_officer) for _ in range(3)]
    after = services.hazard_register(details=world.details(), by=world.hq_officer)
    serials = [int(h.number.rsplit("-", 1)[1]) for h in (before, *inside, after)]
    assert serials == [serials[0] + n for n in range(5)]


def test_a_rule_broken_inside_a_batch_is_the_services_error_and_nothing_is_written(world):
    found = moment("2025-03-03")
    with pytest.raises(ValidationError) as error, services.recording_history():
        hazard = services.hazard_register(details=world.details(found_at=found), by=world.hq_officer, at=found)
        services.hazard_assign(
            hazard=hazard,
            by=world.hq_officer,
            unit=world.hq_unit,
            responsible_person="李四",
            requirements="限期整改",
            deadline=day("2025-03-01"),  # before the day it is handed over
            at=moment("2025-03-04"),
        )
    assert error.value.error_dict["deadline"][0].code == "past"
    assert not Hazard.objects.exists() and not HazardEvent.objects.exists()


def test_the_transition_table_holds_inside_a_batch(world):
    with pytest.raises(IllegalTransition), services.recording_history():
        hazard = services.hazard_register(details=world.details(), by=world.hq_officer)
        services.hazard_verify(hazard=hazard, by=world.hq_supervisor, method=VerificationMethod.ON_SITE, opinion="好")
    assert not Hazard.objects.exists()


def test_a_second_pending_request_is_refused_inside_a_batch(world):
    with pytest.raises(ValidationError) as error, services.recording_history():
        hazard = services.hazard_self_report(
            details=world.details(source=Source.SELF_CHECK),
            by=world.unit_demo,
            responsible_person="王五",
            deadline=day("2099-01-01"),
        )
        for _ in range(2):
            services.extension_request(
                hazard=hazard, by=world.unit_demo, requested_deadline=day("2099-02-01"), reason="停产"
            )
    assert error.value.code == "pending_exists"
    assert not ExtensionRequest.objects.exists()


def test_a_batch_records_only_the_hazards_it_creates(world):
    existing = services.hazard_register(details=world.details(), by=world.hq_officer)
    with pytest.raises(ValueError, match="only the hazards it creates"), services.recording_history():
        services.hazard_void(hazard=existing, by=world.hq_supervisor, reason="重复")
    existing.refresh_from_db()
    assert existing.status == Status.LISTED


def test_batches_do_not_nest(world):
    with pytest.raises(RuntimeError), services.recording_history(), services.recording_history():
        pass


def test_voiding_in_a_batch_lapses_the_pending_request(world):
    with services.recording_history():
        hazard = voided_with_a_pending_request(world)
    assert hazard.extension_requests.get().status == ExtensionStatus.LAPSED
    assert hazard.events.filter(action=Action.VOID).count() == 1


def test_search_rows_filled_beside_the_batch_are_written_at_each_flush(world):
    """The search rows of each flush are filled on a thread of the batch's, over its connection: all
    there when the batch ends, in its transaction."""
    with services.recording_history() as batch:
        for _ in range(2):
            for _ in range(3):
                services.hazard_register(details=world.details(title="叉车制动失灵"), by=world.hq_officer)
            batch.flush()
    assert HazardSearch.objects.filter(haystack__contains="叉车制动失灵").count() == Hazard.objects.count() == 6


def test_a_search_fill_that_fails_writes_nothing(world, monkeypatch):
    monkeypatch.setattr(search, "FILL", "SELECT 1 / 0 WHERE %s IS NOT NULL")
    with pytest.raises(Exception, match="division by zero"), services.recording_history() as batch:
        services.hazard_register(details=world.details(), by=world.hq_officer)
        batch.flush()
        services.hazard_register(details=world.details(), by=world.hq_officer)
    assert not Hazard.objects.exists() and not HazardSearch.objects.exists()
