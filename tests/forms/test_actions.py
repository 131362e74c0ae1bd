"""The action panel of 隐患详情 through the test client: what is offered, each action, and a whole life."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import timezone

from hazards.choices import AttachmentPhase, AuthorityLevel, ExtensionStatus, Status
from tests.conftest import future_deadline, png_upload
from tests.forms.helpers import assign_data, detail_url, panel, post_action

# --- the panel offers only what may be done now ---------------------------------------------------


def test_the_panel_offers_each_role_only_its_next_steps(as_user, world):
    listed, major, submitted = world.listed(), world.listed_major(), world.submitted()
    assigned = world.assigned()
    assert panel(as_user(world.hq_officer).get(detail_url(listed))) == ["assign", "submit"]
    # 即查即改 is for general hazards only.
    assert panel(as_user(world.hq_officer).get(detail_url(major))) == ["assign"]
    assert panel(as_user(world.unit_demo).get(detail_url(assigned))) == ["acknowledge", "request-extension"]
    assert panel(as_user(world.hq_supervisor).get(detail_url(submitted))) == ["verify", "reject", "void"]
    assert panel(as_user(world.hq_supervisor).get(detail_url(major))) == ["list-supervision", "void"]
    assert panel(as_user(world.city_office).get(detail_url(submitted))) == []


# --- 交单 and the rest of a life --------------------------------------------------------------------


def test_assigning_through_the_form_hands_the_hazard_over(as_user, world):
    hazard = world.listed()
    client = as_user(world.hq_officer)
    response = post_action(client, hazard, "assign", **assign_data(world))
    assert response.status_code == 302 and response["Location"] == detail_url(hazard)
    hazard.refresh_from_db()
    assert hazard.status == Status.ASSIGNED and hazard.responsible_unit == world.hq_unit
    assert "已交办给责任单位。" in client.get(detail_url(hazard)).content.decode()


def test_a_deadline_given_in_working_days_is_computed(as_user, world):
    hazard = world.listed()
    client = as_user(world.hq_officer)
    post_action(client, hazard, "assign", **assign_data(world, deadline="", working_days="5"))
    hazard.refresh_from_db()
    preview = client.get(reverse("hazards:working_days"), {"working_days": "5"}).content.decode()
    assert hazard.deadline.isoformat() in preview and "星期" in preview


def test_the_working_days_helper_ignores_nonsense(as_user, world):
    client = as_user(world.hq_officer)
    for value in ("", "abc", "0", "-3", "9999"):
        assert client.get(reverse("hazards:working_days"), {"working_days": value}).content == b""


def test_a_whole_life_with_one_rejection_through_the_forms(as_user, world):
    hazard = world.listed()
    post_action(as_user(world.hq_officer), hazard, "assign", **assign_data(world))
    contact = as_user(world.unit_demo)
    post_action(contact, hazard, "acknowledge")
    submit = {"measures": "重新敷设接地线。", "completed_on": timezone.localdate().isoformat(), "photos": png_upload()}
    post_action(contact, hazard, "submit", **submit)
    post_action(as_user(world.hq_supervisor), hazard, "reject", reason="接地电阻仍不合格。")
    hazard.refresh_from_db()
    assert hazard.status == Status.RECTIFYING
    post_action(as_user(world.unit_demo), hazard, "submit", **{**submit, "photos": png_upload("again.png")})
    verified = post_action(
        as_user(world.hq_supervisor), hazard, "verify", method="on_site", opinion="复查合格，同意销号。"
    )
    assert verified.status_code == 302
    hazard.refresh_from_db()
    assert hazard.status == Status.CLOSED
    actions = list(hazard.events.values_list("action", flat=True))
    assert actions == ["list", "assign", "acknowledge", "submit", "reject", "submit", "verify"]
    assert hazard.attachments.filter(phase=AttachmentPhase.RECTIFIED).count() == 2


def test_extension_request_and_decision_through_the_forms(as_user, world):
    hazard = world.rectifying()
    later = (hazard.deadline + timezone.timedelta(days=10)).isoformat()
    post_action(
        as_user(world.unit_demo), hazard, "request-extension", requested_deadline=later, reason="设备到货延迟。"
    )
    shown = as_user(world.hq_supervisor).get(detail_url(hazard)).content.decode()
    assert re.search(r'data-testid="pending-extension">.*延至 <strong>' + later + "</strong>：设备到货延迟。", shown)
    denied = post_action(as_user(world.hq_supervisor), hazard, "decide-extension", approve="no", comment="")
    assert denied.status_code == 400
    assert "请填写不予延期的理由。" in denied.content.decode()
    post_action(as_user(world.hq_supervisor), hazard, "decide-extension", approve="yes", comment="同意。")
    hazard.refresh_from_db()
    assert hazard.deadline.isoformat() == later
    assert hazard.extension_requests.get().status == ExtensionStatus.APPROVED


def test_supervision_listing_and_voiding_through_the_forms(as_user, world):
    major = world.listed_major()
    client = as_user(world.hq_supervisor)
    post_action(
        client,
        major,
        "list-supervision",
        authority_level=AuthorityLevel.COUNTY,
        requirements="限期完成泄爆装置改造。",
        deadline=future_deadline(30).isoformat(),
    )
    assert major.supervision_listings.get().notice_number == f"红旗区安委办督〔{timezone.localdate().year}〕1号"
    post_action(client, major, "void", reason="重复登记。")
    major.refresh_from_db()
    assert major.status == Status.VOID and not major.supervision_listings.filter(lifted_at__isnull=True).exists()
