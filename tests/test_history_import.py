"""Services given ``at``: a history import records what was done on earlier days, checked against those days."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.workdays import add_working_days
from hazards import services
from hazards.choices import (
    Action,
    AttachmentPhase,
    AuthorityLevel,
    ExtensionStatus,
    Source,
    Status,
    VerificationMethod,
)
from hazards.models import Hazard, ReminderSchedule
from tests.conftest import World, png_upload

SHANGHAI = ZoneInfo("Asia/Shanghai")


def moment(day: str, time: str = "09:00") -> datetime.datetime:
    """A moment in Beijing time, e.g. ``moment("2025-03-03", "14:20")``."""
    return datetime.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


def day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def listed_on(world: World, at: datetime.datetime, **overrides) -> Hazard:
    details = world.major_details(found_at=at - datetime.timedelta(hours=1), **overrides)
    return services.hazard_register(details=details, by=world.hq_officer, at=at)


def assigned_on(world: World, hazard: Hazard, at: datetime.datetime, deadline: datetime.date) -> Hazard:
    return services.hazard_assign(
        hazard=hazard,
        by=world.hq_officer,
        unit=world.hq_unit,
        responsible_person="李四",
        requirements="限期整改",
        deadline=deadline,
        at=at,
    )


def test_a_hazard_walked_through_in_the_past_carries_the_days_it_happened(world):
    listed, handed, acked, fixed, verified = (
        moment("2025-03-03", "10:00"),
        moment("2025-03-04", "09:30"),
        moment("2025-03-05", "15:00"),
        moment("2025-03-20", "16:45"),
        moment("2025-03-24", "11:10"),
    )
    hazard = listed_on(world, listed)
    hazard = assigned_on(world, hazard, handed, deadline=day("2025-03-31"))
    hazard = services.hazard_acknowledge(hazard=hazard, by=world.unit_demo, at=acked)
    hazard = services.hazard_submit(
        hazard=hazard,
        by=world.unit_demo,
        measures="已加装泄爆片并检测合格。",
        completed_on=day("2025-03-19"),
        photos=[png_upload()],
        at=fixed,
    )
    hazard = services.hazard_verify(
        hazard=hazard, by=world.hq_supervisor, method=VerificationMethod.ON_SITE, opinion="同意销号", at=verified
    )

    assert hazard.status == Status.CLOSED
    assert hazard.number == "YH-410702-2025-000001"
    assert (hazard.created_at, hazard.assigned_at, hazard.acknowledged_at) == (listed, handed, acked)
    assert (hazard.submitted_at, hazard.closed_at, hazard.updated_at) == (fixed, verified, verified)
    assert [(e.action, e.at) for e in hazard.events.order_by("at")] == [
        (Action.LIST, listed),
        (Action.ASSIGN, handed),
        (Action.ACKNOWLEDGE, acked),
        (Action.SUBMIT, fixed),
        (Action.VERIFY, verified),
    ]
    assert hazard.attachments.get(phase=AttachmentPhase.RECTIFIED).uploaded_at == fixed
    assert ReminderSchedule.objects.get(hazard=hazard).due_at is None


def test_an_open_hazard_imported_from_the_past_is_due_for_the_reminder_sweep_from_then(world):
    handed = moment("2025-03-04")
    hazard = assigned_on(world, listed_on(world, moment("2025-03-03")), handed, deadline=day("2025-03-10"))
    assert ReminderSchedule.objects.get(hazard=hazard).due_at == handed
    assert hazard.is_overdue


def test_a_deadline_before_the_day_of_handing_over_is_refused(world):
    hazard = listed_on(world, moment("2025-03-03"))
    with pytest.raises(ValidationError) as error:
        assigned_on(world, hazard, moment("2025-03-04"), deadline=day("2025-03-03"))
    assert error.value.error_dict["deadline"][0].code == "past"
    assert "2025-03-04" in error.value.message_dict["deadline"][0]
    assert Hazard.objects.get(pk=hazard.pk).status == Status.LISTED


def test_the_acting_day_is_the_date_in_beijing(world):
    hazard = listed_on(world, moment("2025-03-03"))
    # 00:30 on 4 March in Beijing is still 3 March in UTC.
    just_after_midnight = moment("2025-03-04", "00:30")
    assert just_after_midnight.astimezone(datetime.UTC).date() == day("2025-03-03")
    with pytest.raises(ValidationError):
        assigned_on(world, hazard, just_after_midnight, deadline=day("2025-03-03"))
    assert assigned_on(world, hazard, just_after_midnight, deadline=day("2025-03-04")).deadline == day("2025-03-04")


def test_working_days_are_counted_from_the_day_of_handing_over(world):
    hazard = listed_on(world, moment("2025-09-29"))
    hazard = services.hazard_assign(
        hazard=hazard,
        by=world.hq_officer,
        unit=world.hq_unit,
        responsible_person="李四",
        requirements="限期整改",
        working_days=3,
        at=moment("2025-09-30"),
    )
    # 1–8 October 2025 is the National Day holiday; 11 October is a make-up working day.
    assert hazard.deadline == add_working_days(day("2025-09-30"), 3) == day("2025-10-11")


def test_a_completion_date_after_the_day_of_reporting_is_refused(world):
    hazard = assigned_on(world, listed_on(world, moment("2025-03-03")), moment("2025-03-04"), day("2025-03-31"))
    hazard = services.hazard_acknowledge(hazard=hazard, by=world.unit_demo, at=moment("2025-03-05"))
    with pytest.raises(ValidationError) as error:
        services.hazard_submit(
            hazard=hazard,
            by=world.unit_demo,
            measures="已整改",
            completed_on=day("2025-03-21"),
            photos=[png_upload()],
            at=moment("2025-03-20"),
        )
    assert error.value.error_dict["completed_on"][0].code == "future"


def test_found_at_may_not_be_after_the_listing_beyond_five_minutes(world):
    at = moment("2025-03-03", "10:00")
    with pytest.raises(ValidationError) as error:
        services.hazard_register(
            details=world.details(found_at=at + datetime.timedelta(minutes=6)), by=world.hq_officer, at=at
        )
    assert error.value.error_dict["found_at"][0].code == "future"
    hazard = services.hazard_register(
        details=world.details(found_at=at + datetime.timedelta(minutes=4)), by=world.hq_officer, at=at
    )
    assert hazard.created_at == at


def test_self_report_in_the_past_is_handed_over_and_acknowledged_then(world):
    at = moment("2025-05-06", "08:50")
    hazard = services.hazard_self_report(
        details=world.details(source=Source.SELF_CHECK, found_at=at),
        by=world.unit_demo,
        responsible_person="王五",
        deadline=day("2025-05-16"),
        at=at,
    )
    assert (hazard.created_at, hazard.assigned_at, hazard.acknowledged_at) == (at, at, at)
    assert hazard.events.get().at == at
    with pytest.raises(ValidationError):
        services.hazard_self_report(
            details=world.details(source=Source.SELF_CHECK, found_at=at),
            by=world.unit_demo,
            responsible_person="王五",
            deadline=day("2025-05-05"),
            at=at,
        )


def test_extension_is_asked_and_decided_on_the_days_given(world):
    hazard = assigned_on(world, listed_on(world, moment("2025-03-03")), moment("2025-03-04"), day("2025-03-14"))
    asked, decided = moment("2025-03-12"), moment("2025-03-13")
    extension = services.extension_request(
        hazard=hazard, by=world.unit_demo, requested_deadline=day("2025-04-14"), reason="设备到货晚", at=asked
    )
    extension = services.extension_decide(extension=extension, by=world.hq_supervisor, approve=True, at=decided)
    assert (extension.requested_at, extension.decided_at, extension.status) == (
        asked,
        decided,
        ExtensionStatus.APPROVED,
    )
    hazard.refresh_from_db()
    assert hazard.deadline == day("2025-04-14")
    assert [e.at for e in hazard.events.filter(action__in=(Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION))] == [
        asked,
        decided,
    ]


def test_extension_is_refused_once_the_deadline_had_passed_on_the_day_asked(world):
    hazard = assigned_on(world, listed_on(world, moment("2025-03-03")), moment("2025-03-04"), day("2025-03-14"))
    with pytest.raises(ValidationError) as error:
        services.extension_request(
            hazard=hazard,
            by=world.unit_demo,
            requested_deadline=day("2025-04-14"),
            reason="设备到货晚",
            at=moment("2025-03-15"),
        )
    assert error.value.code == "too_late"


def test_supervision_listed_and_lifted_in_the_past(world):
    hazard = assigned_on(world, listed_on(world, moment("2025-03-03")), moment("2025-03-04"), day("2025-04-30"))
    listed = moment("2025-03-06")
    with pytest.raises(ValidationError):
        services.supervision_start(
            hazard=hazard,
            by=world.hq_supervisor,
            authority_level=AuthorityLevel.COUNTY,
            requirements="限期完成治理",
            deadline=day("2025-03-05"),
            at=listed,
        )
    listing = services.supervision_start(
        hazard=hazard,
        by=world.hq_supervisor,
        authority_level=AuthorityLevel.COUNTY,
        requirements="限期完成治理",
        deadline=day("2025-04-30"),
        at=listed,
    )
    assert listing.listed_at == listed
    voided = moment("2025-03-10")
    hazard = services.hazard_void(
        hazard=Hazard.objects.get(pk=hazard.pk), by=world.hq_supervisor, reason="重复", at=voided
    )
    listing.refresh_from_db()
    assert listing.lifted_at == voided == hazard.updated_at
    assert hazard.events.get(action=Action.LIFT_SUPERVISION).at == voided


def test_reject_update_and_attachment_take_the_time_given(world):
    hazard = assigned_on(world, listed_on(world, moment("2025-03-03")), moment("2025-03-04"), day("2025-03-31"))
    hazard = services.hazard_acknowledge(hazard=hazard, by=world.unit_demo, at=moment("2025-03-05"))
    extra = services.attachment_add(
        hazard=hazard, by=world.unit_demo, phase=AttachmentPhase.RECTIFIED, upload=png_upload(), at=moment("2025-03-07")
    )
    assert extra.uploaded_at == moment("2025-03-07")
    hazard = services.hazard_update(
        hazard=hazard, by=world.hq_officer, changes={"plan_measures": "更换泄爆片"}, at=moment("2025-03-08")
    )
    hazard = services.hazard_submit(
        hazard=hazard, by=world.unit_demo, measures="已整改", completed_on=day("2025-03-10"), at=moment("2025-03-10")
    )
    hazard = services.hazard_reject(hazard=hazard, by=world.hq_supervisor, reason="照片不清", at=moment("2025-03-11"))
    assert hazard.updated_at == moment("2025-03-11")
    assert [timezone.localdate(e.at) for e in hazard.events.order_by("at")][-3:] == [
        day("2025-03-08"),
        day("2025-03-10"),
        day("2025-03-11"),
    ]
