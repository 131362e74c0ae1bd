"""列单 → 交单 → 办单 → 清单 through the services: who may do what, from where, and what is written."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from core.errors import DomainError
from hazards import services
from hazards.choices import Action, ExtensionStatus, Level, Source, Status, VerificationMethod
from hazards.errors import IllegalTransition, NotAllowed, NotFound
from hazards.models import Hazard, HazardEvent
from tests.conftest import World, future_deadline, png_upload

SHANGHAI = ZoneInfo("Asia/Shanghai")


def perform(world: World, action: Action, hazard: Hazard, by: User):
    """Take ``action`` with valid input, so only role, scope and status can make it fail."""
    match action:
        case Action.ASSIGN:
            return services.hazard_assign(
                hazard=hazard,
                by=by,
                unit=world.hq_unit,
                responsible_person="李四",
                requirements="限期整改",
                deadline=future_deadline(),
            )
        case Action.ACKNOWLEDGE:
            return services.hazard_acknowledge(hazard=hazard, by=by)
        case Action.SUBMIT:
            return services.hazard_submit(
                hazard=hazard, by=by, measures="已整改", completed_on=timezone.localdate(), photos=[png_upload()]
            )
        case Action.VERIFY:
            return services.hazard_verify(hazard=hazard, by=by, method=VerificationMethod.ON_SITE, opinion="同意销号")
        case Action.REJECT:
            return services.hazard_reject(hazard=hazard, by=by, reason="照片不清晰，整改不到位")
        case Action.VOID:
            return services.hazard_void(hazard=hazard, by=by, reason="重复登记")
        case Action.REQUEST_EXTENSION:
            return services.extension_request(
                hazard=hazard, by=by, requested_deadline=future_deadline(30), reason="设备采购周期长"
            )
        case Action.LIST_SUPERVISION:
            return services.supervision_start(
                hazard=hazard,
                by=by,
                authority_level="county",
                requirements="限期完成治理",
                deadline=future_deadline(30),
            )
    raise AssertionError(f"no way to perform {action}")


@contextmanager
def nothing_written(hazard: Hazard):
    before = Hazard.objects.values("status", "version", "deadline", "responsible_unit_id").get(pk=hazard.pk)
    events = HazardEvent.objects.filter(hazard=hazard).count()
    attachments = hazard.attachments.count()
    yield
    assert Hazard.objects.values("status", "version", "deadline", "responsible_unit_id").get(pk=hazard.pk) == before
    assert HazardEvent.objects.filter(hazard=hazard).count() == events
    assert hazard.attachments.count() == attachments


STAGES: dict[Status, Callable[[World], Hazard]] = {
    Status.LISTED: lambda w: w.listed_major(),
    Status.ASSIGNED: lambda w: w.assigned(w.listed_major()),
    Status.RECTIFYING: lambda w: w.rectifying(w.listed_major()),
    Status.SUBMITTED: lambda w: w.submitted(w.listed_major()),
    Status.CLOSED: lambda w: w.closed(w.listed_major()),
}

# (action, from status, persona allowed, resulting status) — the transition table of docs/design.md.
ALLOWED = [
    (Action.ASSIGN, Status.LISTED, "hq_officer", Status.ASSIGNED),
    (Action.ACKNOWLEDGE, Status.ASSIGNED, "unit_demo", Status.RECTIFYING),
    (Action.SUBMIT, Status.RECTIFYING, "unit_demo", Status.SUBMITTED),
    (Action.VERIFY, Status.SUBMITTED, "hq_supervisor", Status.CLOSED),
    (Action.REJECT, Status.SUBMITTED, "hq_supervisor", Status.RECTIFYING),
    (Action.VOID, Status.LISTED, "hq_supervisor", Status.VOID),
    (Action.VOID, Status.ASSIGNED, "hq_supervisor", Status.VOID),
    (Action.VOID, Status.RECTIFYING, "hq_supervisor", Status.VOID),
    (Action.VOID, Status.SUBMITTED, "hq_supervisor", Status.VOID),
    (Action.REQUEST_EXTENSION, Status.ASSIGNED, "unit_demo", Status.ASSIGNED),
    (Action.REQUEST_EXTENSION, Status.RECTIFYING, "unit_demo", Status.RECTIFYING),
    (Action.LIST_SUPERVISION, Status.LISTED, "hq_supervisor", Status.LISTED),
    (Action.LIST_SUPERVISION, Status.ASSIGNED, "hq_supervisor", Status.ASSIGNED),
    (Action.LIST_SUPERVISION, Status.RECTIFYING, "hq_supervisor", Status.RECTIFYING),
    (Action.LIST_SUPERVISION, Status.SUBMITTED, "hq_supervisor", Status.SUBMITTED),
]
PERSONAS = ["hq_officer", "hq_supervisor", "unit_demo", "city_office", "api_client", "admin"]


@pytest.mark.parametrize(("action", "source", "persona", "target"), ALLOWED)
def test_allowed_transition_moves_the_hazard_and_writes_one_event(world, action, source, persona, target):
    hazard = STAGES[source](world)
    events_before = hazard.events.count()

    perform(world, action, hazard, getattr(world, persona))

    hazard.refresh_from_db()
    assert hazard.status == target
    event = hazard.events.last()
    assert hazard.events.count() == events_before + 1
    assert (event.action, event.from_status, event.to_status) == (action, source, target)
    assert event.actor == getattr(world, persona)


def disallowed_cases():
    allowed = {(a, s, p) for a, s, p, _ in ALLOWED}
    for action in sorted({a for a, *_ in ALLOWED}):
        for source in STAGES:
            for persona in PERSONAS:
                if (action, source, persona) not in allowed:
                    yield pytest.param(action, source, persona, id=f"{action}-{source}-{persona}")


@pytest.mark.parametrize(("action", "source", "persona"), list(disallowed_cases()))
def test_disallowed_transition_is_refused_and_writes_nothing(world, action, source, persona):
    hazard = STAGES[source](world)

    with nothing_written(hazard), pytest.raises(DomainError) as error:
        perform(world, action, hazard, getattr(world, persona))

    assert error.value.message  # a Chinese sentence for the user
    if isinstance(error.value, NotFound):
        # A unit contact does not see a hazard before it is handed to the unit.
        assert (persona, source) == ("unit_demo", Status.LISTED)
    else:
        assert isinstance(error.value, NotAllowed | IllegalTransition)
        assert error.value.status == source


def test_whole_life_keeps_every_round_in_the_timeline(world):
    hazard = world.submitted()
    hazard = services.hazard_reject(hazard=hazard, by=world.hq_supervisor, reason="未提供检测报告")
    hazard = services.hazard_submit(
        hazard=hazard,
        by=world.unit_demo,
        measures="补充检测报告",
        completed_on=timezone.localdate(),
        photos=[png_upload()],  # after 退回, a new after-photo
    )
    hazard = services.hazard_verify(
        hazard=hazard, by=world.hq_supervisor, method=VerificationMethod.ON_EVIDENCE, opinion="资料齐全，同意销号"
    )

    actions = list(hazard.events.values_list("action", flat=True))
    assert actions == ["list", "assign", "acknowledge", "submit", "reject", "submit", "verify"]
    assert hazard.status == Status.CLOSED
    assert hazard.closed_by == world.hq_supervisor
    assert hazard.version == len(actions)
    reject = hazard.events.get(action=Action.REJECT)
    assert reject.comment == "未提供检测报告"


def test_list_records_number_county_and_first_event(world):
    hazard = world.listed(region=world.hq_village)

    assert hazard.status == Status.LISTED
    assert hazard.county == world.hongqi
    year = timezone.localdate().year
    assert hazard.number.startswith(f"YH-410702-{year}-")
    event = hazard.events.get()
    assert (event.action, event.from_status, event.to_status, event.actor) == ("list", "", "listed", world.hq_officer)


def test_list_stores_found_photos(world):
    hazard = services.hazard_register(details=world.details(), by=world.hq_officer, photos=[png_upload("a.png")])
    assert hazard.attachments.get().phase == "found"


def test_officer_cannot_list_outside_jurisdiction(world):
    with pytest.raises(ValidationError) as error:
        services.hazard_register(details=world.details(region=world.weibin), by=world.hq_officer)
    assert "辖区" in error.value.message_dict["region"][0]
    assert not Hazard.objects.exists()


@pytest.mark.parametrize("persona", ["unit_demo", "city_office", "api_client", "hq_supervisor"])
def test_only_officers_list_hazards(world, persona):
    with pytest.raises(NotAllowed):
        services.hazard_register(details=world.details(), by=getattr(world, persona))
    assert not Hazard.objects.exists()


def test_major_hazard_requires_standard_and_item(world):
    with pytest.raises(ValidationError) as error:
        services.hazard_register(details=world.details(level=Level.MAJOR), by=world.hq_officer)
    assert "major_standard" in error.value.message_dict


def test_invalid_choice_is_reported_per_field(world):
    with pytest.raises(ValidationError) as error:
        services.hazard_register(details=world.details(category="nonsense", title=""), by=world.hq_officer)
    assert {"category", "title"} <= set(error.value.message_dict)
    assert not Hazard.objects.exists()


def test_assign_refuses_a_deadline_in_the_past(world):
    hazard = world.listed()
    with nothing_written(hazard), pytest.raises(ValidationError) as error:
        services.hazard_assign(
            hazard=hazard,
            by=world.hq_officer,
            unit=world.hq_unit,
            responsible_person="李四",
            requirements="整改",
            deadline=timezone.localdate() - datetime.timedelta(days=1),
        )
    assert "不能早于今天" in error.value.message_dict["deadline"][0]


def test_assign_refuses_a_unit_outside_jurisdiction(world):
    hazard = world.listed()
    with nothing_written(hazard), pytest.raises(ValidationError) as error:
        services.hazard_assign(
            hazard=hazard,
            by=world.hq_officer,
            unit=world.wb_unit,
            responsible_person="李四",
            requirements="整改",
            deadline=future_deadline(),
        )
    assert "unit" in error.value.message_dict


def test_assign_event_records_unit_and_deadline(world):
    hazard = world.assigned()
    changes = hazard.events.get(action=Action.ASSIGN).changes
    assert changes["responsible_unit"] == [None, {"id": world.hq_unit.pk, "name": world.hq_unit.name}]
    assert changes["deadline"] == [None, hazard.deadline.isoformat()]


def test_submit_requires_after_photos(world):
    hazard = world.rectifying()
    with nothing_written(hazard), pytest.raises(ValidationError) as error:
        services.hazard_submit(hazard=hazard, by=world.unit_demo, measures="已整改", completed_on=timezone.localdate())
    assert "照片" in error.value.message_dict["photos"][0]


def test_submit_refuses_a_completion_date_in_the_future(world):
    hazard = world.rectifying()
    with nothing_written(hazard), pytest.raises(ValidationError) as error:
        services.hazard_submit(
            hazard=hazard,
            by=world.unit_demo,
            measures="已整改",
            completed_on=timezone.localdate() + datetime.timedelta(days=2),
            photos=[png_upload()],
        )
    assert "completed_on" in error.value.message_dict


def test_on_the_spot_fix_goes_from_listed_to_submitted(world):
    hazard = world.listed()
    hazard = services.hazard_submit(
        hazard=hazard,
        by=world.hq_officer,
        measures="现场整改完毕",
        completed_on=timezone.localdate(),
        photos=[png_upload()],
    )
    assert hazard.status == Status.SUBMITTED
    event = hazard.events.last()
    assert (event.from_status, event.to_status) == ("listed", "submitted")
    hazard = services.hazard_verify(hazard=hazard, by=world.hq_supervisor, method="on_site", opinion="同意")
    assert hazard.status == Status.CLOSED


def test_major_hazard_cannot_be_fixed_on_the_spot(world):
    hazard = world.listed_major()
    with nothing_written(hazard), pytest.raises(IllegalTransition) as error:
        services.hazard_submit(
            hazard=hazard,
            by=world.hq_officer,
            measures="现场整改",
            completed_on=timezone.localdate(),
            photos=[png_upload()],
        )
    assert "重大" in str(error.value.message)


def test_reject_and_void_require_a_reason(world):
    hazard = world.submitted()
    with nothing_written(hazard), pytest.raises(ValidationError):
        services.hazard_reject(hazard=hazard, by=world.hq_supervisor, reason="  ")
    with nothing_written(hazard), pytest.raises(ValidationError):
        services.hazard_void(hazard=hazard, by=world.hq_supervisor, reason="")


def test_void_keeps_the_hazard_with_its_reason(world):
    hazard = services.hazard_void(hazard=world.assigned(), by=world.hq_supervisor, reason="重复登记")
    assert Hazard.objects.filter(pk=hazard.pk, status=Status.VOID, void_reason="重复登记").exists()


def test_supervisor_of_another_county_gets_not_found(world):
    hazard = world.submitted()
    with nothing_written(hazard), pytest.raises(NotFound):
        services.hazard_verify(hazard=hazard, by=world.wb_supervisor, method="on_site", opinion="同意")


def test_contact_of_another_unit_gets_not_found(world):
    hazard = world.assigned()
    with nothing_written(hazard), pytest.raises(NotFound):
        services.hazard_acknowledge(hazard=hazard, by=world.wb_contact)


def test_stale_copy_is_refused_as_a_concurrent_change(world):
    from hazards.errors import ConcurrentChange

    hazard = world.submitted()
    stale = Hazard.objects.get(pk=hazard.pk)
    services.hazard_reject(hazard=hazard, by=world.hq_supervisor, reason="不合格")

    with nothing_written(hazard), pytest.raises(ConcurrentChange) as error:
        services.hazard_verify(hazard=stale, by=world.hq_supervisor, method="on_site", opinion="同意")
    assert error.value.status == Status.RECTIFYING


def test_self_report_hands_the_hazard_to_the_reporting_unit(world):
    hazard = services.hazard_self_report(
        details=world.details(source=Source.SELF_CHECK),
        by=world.unit_demo,
        responsible_person="王五",
        deadline=future_deadline(),
    )
    assert hazard.status == Status.RECTIFYING
    assert hazard.responsible_unit == world.hq_unit
    assert hazard.events.get().action == Action.SELF_REPORT
    # A supervisor still verifies the closure.
    hazard = services.hazard_submit(
        hazard=hazard, by=world.unit_demo, measures="已整改", completed_on=timezone.localdate(), photos=[png_upload()]
    )
    with pytest.raises(NotAllowed):
        services.hazard_verify(hazard=hazard, by=world.unit_demo, method="on_site", opinion="自验")
    assert (
        services.hazard_verify(hazard=hazard, by=world.hq_supervisor, method="on_site", opinion="同意").is_open is False
    )


def test_self_report_must_be_marked_as_self_check(world):
    with pytest.raises(ValidationError) as error:
        services.hazard_self_report(
            details=world.details(source=Source.ROUTINE),
            by=world.unit_demo,
            responsible_person="王五",
            deadline=future_deadline(),
        )
    assert "source" in error.value.message_dict


def test_extension_approval_moves_the_deadline_and_records_both_dates(world):
    hazard = world.rectifying()
    old = hazard.deadline
    extension = services.extension_request(
        hazard=hazard, by=world.unit_demo, requested_deadline=future_deadline(40), reason="等待设备到货"
    )
    hazard.refresh_from_db()

    services.extension_decide(extension=extension, by=world.hq_supervisor, approve=True, comment="同意")

    hazard.refresh_from_db()
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.APPROVED
    assert hazard.deadline == extension.requested_deadline
    event = hazard.events.get(action=Action.APPROVE_EXTENSION)
    assert event.changes["deadline"] == [old.isoformat(), extension.requested_deadline.isoformat()]


def test_extension_denial_needs_a_reason_and_keeps_the_deadline(world):
    hazard = world.rectifying()
    extension = services.extension_request(
        hazard=hazard, by=world.unit_demo, requested_deadline=future_deadline(40), reason="等待设备到货"
    )
    with pytest.raises(ValidationError):
        services.extension_decide(extension=extension, by=world.hq_supervisor, approve=False)
    services.extension_decide(extension=extension, by=world.hq_supervisor, approve=False, comment="理由不充分")
    hazard.refresh_from_db()
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.DENIED
    assert hazard.deadline == extension.current_deadline


def test_extension_must_ask_for_a_later_date_and_only_once_at_a_time(world):
    hazard = world.rectifying()
    with pytest.raises(ValidationError):
        services.extension_request(hazard=hazard, by=world.unit_demo, requested_deadline=hazard.deadline, reason="x")
    services.extension_request(hazard=hazard, by=world.unit_demo, requested_deadline=future_deadline(40), reason="x")
    hazard.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.extension_request(
            hazard=hazard, by=world.unit_demo, requested_deadline=future_deadline(50), reason="y"
        )
    assert "待审批" in error.value.messages[0]


def test_extension_cannot_be_asked_after_the_deadline(world, time_machine):
    hazard = world.rectifying()
    day_after = hazard.deadline + datetime.timedelta(days=1)
    time_machine.move_to(datetime.datetime.combine(day_after, datetime.time(9), tzinfo=SHANGHAI))
    with nothing_written(hazard), pytest.raises(ValidationError) as error:
        services.extension_request(
            hazard=hazard,
            by=world.unit_demo,
            requested_deadline=hazard.deadline + datetime.timedelta(days=30),
            reason="来不及",
        )
    assert "已过" in error.value.messages[0]


def test_only_major_hazards_are_listed_for_supervision(world):
    hazard = world.assigned()
    with nothing_written(hazard), pytest.raises(IllegalTransition) as error:
        perform(world, Action.LIST_SUPERVISION, hazard, world.hq_supervisor)
    assert "重大" in str(error.value.message)


def test_supervision_is_lifted_when_the_hazard_is_closed(world):
    hazard = world.listed_major()
    listing = perform(world, Action.LIST_SUPERVISION, hazard, world.hq_supervisor)
    assert Hazard.objects.supervised().filter(pk=hazard.pk).exists()
    with pytest.raises(IllegalTransition):
        perform(world, Action.LIST_SUPERVISION, Hazard.objects.get(pk=hazard.pk), world.hq_supervisor)

    hazard = world.closed(Hazard.objects.get(pk=hazard.pk))

    listing.refresh_from_db()
    assert listing.lifted_at == hazard.closed_at
    assert not Hazard.objects.supervised().filter(pk=hazard.pk).exists()
    assert list(hazard.events.values_list("action", flat=True))[-2:] == ["verify", "lift_supervision"]


def test_events_cannot_be_rewritten(world):
    hazard = world.listed()
    event = hazard.events.get()
    event.comment = "篡改"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        HazardEvent.objects.filter(pk=event.pk).update(comment="篡改")
    with pytest.raises(TypeError):
        HazardEvent.objects.filter(pk=event.pk).delete()


def test_every_round_of_rectification_stays_in_the_timeline(world):
    hazard = world.submitted()
    hazard = services.hazard_reject(hazard=hazard, by=world.hq_supervisor, reason="不合格")
    services.hazard_submit(
        hazard=hazard,
        by=world.unit_demo,
        measures="第二次整改",
        completed_on=timezone.localdate(),
        photos=[png_upload()],
    )
    reports = [e.changes["measures"][1] for e in HazardEvent.objects.filter(hazard=hazard, action=Action.SUBMIT)]
    assert reports == ["已重新敷设接地线并检测合格。", "第二次整改"]


def test_pending_extension_lapses_when_the_hazard_is_closed(world):
    hazard = world.rectifying()
    extension = services.extension_request(
        hazard=hazard, by=world.unit_demo, requested_deadline=future_deadline(40), reason="等待设备"
    )
    hazard = services.hazard_submit(
        hazard=Hazard.objects.get(pk=hazard.pk),
        by=world.unit_demo,
        measures="已整改",
        completed_on=timezone.localdate(),
        photos=[png_upload()],
    )
    services.hazard_verify(hazard=hazard, by=world.hq_supervisor, method="on_site", opinion="同意")
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.LAPSED


def test_level_cannot_change_under_supervision_and_general_hazards_carry_no_plan(world):
    major = world.listed_major()
    perform(world, Action.LIST_SUPERVISION, major, world.hq_supervisor)
    with pytest.raises(IllegalTransition):
        services.hazard_update(
            hazard=Hazard.objects.get(pk=major.pk), by=world.hq_officer, changes={"level": "general"}
        )

    general = world.listed()
    with nothing_written(general), pytest.raises(ValidationError) as error:
        services.hazard_update(hazard=general, by=world.hq_officer, changes={"plan_funds": 99})
    assert "level" in error.value.message_dict
    assigned = world.assigned()
    with pytest.raises(ValidationError):
        services.hazard_update(hazard=assigned, by=world.hq_officer, changes={"stop_production": "all"})


def test_officer_cannot_give_a_deadline_at_listing(world):
    with pytest.raises(ValidationError) as error:
        services.hazard_create(details=world.details(), by=world.hq_officer, deadline=future_deadline())
    assert "deadline" in error.value.message_dict
    assert not Hazard.objects.exists()


def test_assign_by_working_days_counts_the_official_calendar(world):
    from core.workdays import add_working_days

    hazard = services.hazard_assign(
        hazard=world.listed(),
        by=world.hq_officer,
        unit=world.hq_unit,
        responsible_person="李四",
        requirements="整改",
        working_days=5,
    )
    assert hazard.deadline == add_working_days(timezone.localdate(), 5)


def test_superusers_are_administrators(db):
    from accounts.models import User

    root = User.objects.create_superuser("root", "root@example.test", "x")
    assert root.role == "administrator"
    root.role = "county_officer"
    with pytest.raises(ValidationError):
        root.full_clean()
