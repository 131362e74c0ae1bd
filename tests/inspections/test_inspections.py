"""Inspections: failed items become hazards once, secret visits stay secret, the table holds, standards
are the documents' words."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import DomainError
from hazards.choices import Level, MajorStandard, Source, Status
from hazards.models import Hazard
from inspections import services
from inspections.choices import Kind, Result
from inspections.choices import Status as InspectionStatus
from inspections.errors import IllegalTransition, NotAllowed, NotFound
from inspections.models import Answer, ChecklistItem, Inspection, StandardItem
from inspections.standards import load_standards
from tests.concurrency import race
from tests.inspections.standards_doc import captured_items


def items(template) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(section__template=template).order_by("order"))


def started(world, checklist, kind=Kind.ROUTINE, by=None) -> Inspection:
    return services.inspection_start_on_spot(
        kind=kind, unit=world.hq_unit, by=by or world.hq_officer, template=checklist, team="张三、李四"
    )


def test_the_standard_items_shipped_are_the_words_of_inspections_md(db):
    created, _ = load_standards()
    shipped = {(i.document_number, i.article, i.item_number): i.text for i in StandardItem.objects.all()}
    assert created == len(shipped) == 66
    assert shipped == captured_items()
    assert load_standards() == (0, 0)  # loading again changes nothing


def test_a_failed_item_registers_a_hazard_filled_in_from_it(world, checklist):
    inspection = started(world, checklist)
    general = items(checklist)[0]
    answer = services.answer_record(
        inspection=inspection, item=general, result=Result.FAIL, comment="东侧配电箱未接地", by=world.hq_officer
    )
    hazard = answer.hazard
    assert (hazard.title, hazard.description, hazard.level) == (general.text, "东侧配电箱未接地", Level.GENERAL)
    assert (hazard.source, hazard.region, hazard.sector, hazard.status) == (
        Source.ROUTINE,
        world.hq_unit.region,
        world.sector,
        Status.LISTED,
    )
    assert Hazard.objects.get(pk=hazard.pk).inspection_answer == answer


def test_a_failed_major_criterion_is_proposed_as_major_with_its_standard(world, checklist):
    answer = services.answer_record(
        inspection=started(world, checklist), item=items(checklist)[1], result=Result.FAIL, by=world.hq_officer
    )
    assert answer.hazard.level == Level.MAJOR
    assert answer.hazard.major_standard == MajorStandard.INDUSTRY_TRADE
    assert answer.hazard.major_standard_item.startswith("第三条第（二）项：特种作业人员未按照规定")


def test_the_officer_may_register_a_major_criterion_as_general(world, checklist):
    answer = services.answer_record(
        inspection=started(world, checklist),
        item=items(checklist)[1],
        result=Result.FAIL,
        level=Level.GENERAL,
        by=world.hq_officer,
    )
    assert answer.hazard.level == Level.GENERAL


def test_answering_the_same_item_twice_registers_one_hazard(world, checklist):
    inspection, item = started(world, checklist), items(checklist)[0]
    first = services.answer_record(inspection=inspection, item=item, result=Result.FAIL, by=world.hq_officer)
    again = services.answer_record(
        inspection=inspection, item=item, result=Result.FAIL, comment="补充说明", by=world.hq_officer
    )
    assert again.pk == first.pk and again.hazard_id == first.hazard_id
    assert Hazard.objects.count() == 1 and Answer.objects.get().comment == "补充说明"


def test_a_failed_item_with_its_hazard_cannot_be_turned_into_a_pass(world, checklist):
    inspection, item = started(world, checklist), items(checklist)[0]
    services.answer_record(inspection=inspection, item=item, result=Result.FAIL, by=world.hq_officer)
    with pytest.raises(IllegalTransition, match="作废该隐患"):
        services.answer_record(inspection=inspection, item=item, result=Result.PASS, by=world.hq_officer)
    assert Answer.objects.get().result == Result.FAIL


def test_an_item_of_another_checklist_is_refused(world, checklist):
    other = services.template_new_version(template=checklist, by=world.admin)
    with pytest.raises(ValidationError) as error:
        services.answer_record(
            inspection=started(world, checklist), item=items(other)[0], result=Result.PASS, by=world.hq_officer
        )
    assert error.value.error_dict["item"][0].code == "other_template"


def test_a_unit_runs_its_own_check_and_its_hazards_are_its_own_at_once(world, checklist):
    inspection = started(world, checklist, kind=Kind.SELF_CHECK, by=world.unit_demo)
    answer = services.answer_record(
        inspection=inspection, item=items(checklist)[0], result=Result.FAIL, by=world.unit_demo
    )
    assert answer.hazard.status == Status.RECTIFYING
    assert answer.hazard.source == Source.SELF_CHECK
    assert answer.hazard.responsible_unit == world.hq_unit


@pytest.mark.parametrize(
    ("kind", "persona"),
    [(Kind.ROUTINE, "unit_demo"), (Kind.SELF_CHECK, "hq_officer"), (Kind.ROUTINE, "hq_supervisor")],
)
def test_who_may_run_which_inspection(world, checklist, kind, persona):
    with pytest.raises(NotAllowed):
        started(world, checklist, kind=kind, by=getattr(world, persona))


def test_an_outsider_county_cannot_answer(world, checklist):
    with pytest.raises(NotFound):
        services.answer_record(
            inspection=started(world, checklist), item=items(checklist)[0], result=Result.PASS, by=world.wb_officer
        )


def test_completing_needs_every_mandatory_item_a_summary_and_the_units_signature(world, checklist):
    inspection = started(world, checklist)
    general, major, optional = items(checklist)
    services.answer_record(inspection=inspection, item=general, result=Result.PASS, by=world.hq_officer)
    services.answer_record(inspection=inspection, item=major, result=Result.NOT_CHECKED, by=world.hq_officer)
    with pytest.raises(ValidationError) as error:
        services.inspection_complete(
            inspection=inspection, by=world.hq_officer, summary="总体良好", acknowledged_by_name="王厂长"
        )
    assert "1 个必查项" in error.value.error_dict["answers"][0].message
    services.answer_record(inspection=inspection, item=major, result=Result.NOT_APPLICABLE, by=world.hq_officer)
    with pytest.raises(ValidationError) as error:
        services.inspection_complete(inspection=inspection, by=world.hq_officer, summary="总体良好")
    assert "acknowledged_by_name" in error.value.error_dict
    done = services.inspection_complete(
        inspection=inspection, by=world.hq_officer, summary="总体良好", acknowledged_by_name="王厂长"
    )
    assert (done.status, done.acknowledged_by_name) == (InspectionStatus.COMPLETED, "王厂长")
    with pytest.raises(IllegalTransition):
        services.answer_record(inspection=done, item=optional, result=Result.FAIL, by=world.hq_officer)
    assert not Hazard.objects.exists()


def test_a_planned_visit_is_started_on_its_day_by_the_officer(world, checklist):
    planned = services.inspection_plan(
        kind=Kind.SPECIAL,
        unit=world.hq_unit,
        by=world.hq_supervisor,
        planned_on=timezone.localdate(),
        template=checklist,
    )
    assert planned.status == InspectionStatus.PLANNED
    begun = services.inspection_start(inspection=planned, by=world.hq_officer)
    assert (begun.status, begun.leader) == (InspectionStatus.IN_PROGRESS, world.hq_officer)
    with pytest.raises(DomainError):
        services.inspection_start(inspection=Inspection.objects.get(pk=planned.pk), by=world.hq_officer)


def test_a_draft_checklist_cannot_be_used_and_a_published_one_is_versioned(world, checklist):
    draft = services.template_new_version(template=checklist, by=world.admin)
    assert (draft.version, draft.is_published, len(items(draft))) == (2, False, 3)
    with pytest.raises(ValidationError):
        started(world, draft)
    services.template_publish(template=draft, by=world.admin)
    with pytest.raises(IllegalTransition):
        services.template_publish(template=draft, by=world.admin)
    with pytest.raises(NotAllowed):
        services.template_new_version(template=checklist, by=world.hq_officer)


# --- 四不两直 ----------------------------------------------------------------------------------------


def visible(user) -> set[int]:
    return set(Inspection.objects.visible_to(user).values_list("pk", flat=True))


def test_a_secret_visit_is_hidden_from_the_unit_until_its_first_hazard(world, checklist):
    visit = started(world, checklist, kind=Kind.UNANNOUNCED)
    assert visit.pk not in visible(world.unit_demo)
    assert visit.pk in visible(world.hq_officer) and visit.pk in visible(world.city_office)
    services.answer_record(inspection=visit, item=items(checklist)[2], result=Result.PASS, by=world.hq_officer)
    assert visit.pk not in visible(world.unit_demo)
    services.answer_record(inspection=visit, item=items(checklist)[0], result=Result.FAIL, by=world.hq_officer)
    assert visit.pk in visible(world.unit_demo)


def test_a_secret_visit_the_city_plans_is_hidden_from_the_county_but_its_leader(world, checklist):
    visit = services.inspection_plan(
        kind=Kind.UNANNOUNCED,
        unit=world.hq_unit,
        by=world.city_office,
        planned_on=timezone.localdate(),
        template=checklist,
        leader=world.hq_officer,
    )
    assert visit.pk in visible(world.city_office) and visit.pk in visible(world.hq_officer)
    assert visit.pk not in visible(world.hq_supervisor) and visit.pk not in visible(world.unit_demo)
    with pytest.raises(NotFound):
        services.inspection_start(inspection=visit, by=world.hq_supervisor)


def test_the_in_memory_check_agrees_with_visible_to(world, checklist):
    started(world, checklist)
    started(world, checklist, kind=Kind.UNANNOUNCED)
    services.inspection_plan(
        kind=Kind.UNANNOUNCED,
        unit=world.hq_unit,
        by=world.city_office,
        planned_on=timezone.localdate(),
        sector=world.sector,
    )
    from inspections.permissions import can_see

    personas = ("admin", "city_office", "hq_officer", "hq_supervisor", "wb_officer", "unit_demo", "wb_contact")
    for persona in personas:
        user = getattr(world, persona)
        shown = visible(user)
        for inspection in Inspection.objects.all():
            assert can_see(user, inspection) == (inspection.pk in shown), (persona, inspection.kind)


# --- two phones at once -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_phones_failing_the_same_item_at_once_register_one_hazard(world, checklist):
    inspection, item = started(world, checklist), items(checklist)[0]

    def fail() -> Answer:
        fresh = Inspection.objects.get(pk=inspection.pk)
        return services.answer_record(inspection=fresh, item=item, result=Result.FAIL, by=world.hq_officer)

    results = race([fail, fail])
    assert all(isinstance(r, Answer) for r in results), results
    assert Hazard.objects.count() == 1 and Answer.objects.count() == 1
