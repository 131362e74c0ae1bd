"""办单 again after 退回: a new after-photo is needed, the last report is the starting point, and the
reason for sending it back heads the form."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hazards import services
from hazards.choices import AttachmentPhase, Status
from hazards.models import Hazard
from tests.conftest import png_upload


def sent_back(world) -> Hazard:
    submitted = world.submitted()
    return services.hazard_reject(
        hazard=submitted, by=world.hq_supervisor, reason="接地电阻未检测，请补充检测报告照片。"
    )


def resubmit(world, hazard: Hazard, photos=()) -> Hazard:
    return services.hazard_submit(
        hazard=hazard,
        by=world.unit_demo,
        measures="补做接地电阻检测。",
        completed_on=timezone.localdate(),
        photos=list(photos),
    )


def test_after_a_rejection_the_photos_on_record_are_not_enough(world):
    hazard = sent_back(world)
    with pytest.raises(ValidationError) as error:
        resubmit(world, hazard)
    (problem,) = error.value.error_dict["photos"]
    assert problem.code == "required" and "退回后重新办单" in problem.message
    assert Hazard.objects.get(pk=hazard.pk).status == Status.RECTIFYING
    assert resubmit(world, hazard, [png_upload()]).status == Status.SUBMITTED


def test_a_photo_added_since_the_rejection_counts(world):
    hazard = sent_back(world)
    services.attachment_add(hazard=hazard, by=world.unit_demo, phase=AttachmentPhase.RECTIFIED, upload=png_upload())
    assert resubmit(world, hazard).status == Status.SUBMITTED


def test_the_same_rule_holds_in_a_history_batch(world):
    moment = timezone.now() - datetime.timedelta(days=3)
    with pytest.raises(ValidationError), services.recording_history():
        hazard = services.hazard_self_report(
            details=world.details(source="self_check", found_at=moment),
            by=world.unit_demo,
            responsible_person="王五",
            deadline=timezone.localdate(),
            at=moment,
        )
        report = {"by": world.unit_demo, "measures": "整改", "completed_on": timezone.localdate(moment)}
        hazard = services.hazard_submit(hazard=hazard, photos=[png_upload()], at=moment, **report)
        hazard = services.hazard_reject(hazard=hazard, by=world.hq_supervisor, reason="不清楚", at=moment)
        services.hazard_submit(hazard=hazard, at=moment + datetime.timedelta(hours=1), **report)
    assert not Hazard.objects.exists()


def test_the_form_starts_from_the_last_report_under_the_reason_for_sending_it_back(as_user, world):
    hazard = sent_back(world)
    page = as_user(world.unit_demo).get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'data-testid="last-rejection"' in page and "接地电阻未检测，请补充检测报告照片。" in page
    assert "已重新敷设接地线并检测合格。</textarea>" in page  # the measures reported before, to amend
