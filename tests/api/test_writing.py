"""Creating and changing hazards: errors, idempotency, the role × action matrix, If-Match, uploads."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hazards.choices import Status
from hazards.models import Hazard, HazardEvent
from tests.api.helpers import ACTION_BODIES, API, create_body, hazard_url
from tests.conftest import png_upload

# --- writing ----------------------------------------------------------------------------------


def test_create_lists_a_hazard(world, api):
    response = api("hq_officer").post(f"{API}/hazards/", create_body(world), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "listed"
    assert body["number"].startswith("YH-410702-")
    assert response.headers["Location"].endswith(f"/hazards/{body['id']}/")


def test_create_of_a_major_hazard_with_its_plan(world, api):
    major = {
        "major_standard": "industry_trade",
        "major_standard_item": "第三条第（二）项",
        "plan_funds": "15.50",
        "stop_production": "part",
    }
    response = api("hq_officer").post(f"{API}/hazards/", create_body(world, level="major", major=major), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["major"]["plan_funds"] == 15.5


def test_unknown_fields_are_rejected_not_ignored(world, api):
    response = api("hq_officer").post(f"{API}/hazards/", create_body(world, colour="red"), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "colour" in response.json()["fields"]
    assert not Hazard.objects.exists()


def test_wrong_types_get_field_errors_in_chinese(world, api):
    body = create_body(world, level="catastrophic", found_at="yesterday", region=12)
    response = api("hq_officer").post(f"{API}/hazards/", body, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert {"level", "found_at", "region"} <= set(fields)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])


def test_malformed_json_gets_a_parse_error(world, api):
    response = api("hq_officer").post(f"{API}/hazards/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_read_only_client_cannot_create(world, api):
    response = api("api_client").post(f"{API}/hazards/", create_body(world), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"


def test_region_outside_jurisdiction_is_a_field_error(world, api):
    response = api("hq_officer").post(f"{API}/hazards/", create_body(world, region=world.weibin.code), format="json")
    assert response.status_code == 400
    assert "region" in response.json()["fields"]


def test_same_idempotency_key_and_body_creates_once(world, api):
    client = api("hq_officer")
    first = client.post(f"{API}/hazards/", create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post(f"{API}/hazards/", create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Hazard.objects.count() == 1


def test_idempotent_replay_of_a_major_hazard_keeps_its_figures(world, api):
    major = {"major_standard": "industry_trade", "major_standard_item": "第三条", "plan_funds": "15.50"}
    body = create_body(world, level="major", major=major)
    client = api("hq_officer")
    first = client.post(f"{API}/hazards/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-major")
    second = client.post(f"{API}/hazards/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-major")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.json()["major"]["plan_funds"] == 15.5
    assert second.headers["Idempotent-Replayed"] == "true"


def test_same_idempotency_key_with_another_body_is_a_conflict(world, api):
    client = api("hq_officer")
    client.post(f"{API}/hazards/", create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = client.post(
        f"{API}/hazards/", create_body(world, title="另一条"), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert Hazard.objects.count() == 1


def test_a_failed_create_does_not_burn_the_idempotency_key(world, api):
    client = api("hq_officer")
    bad = client.post(f"{API}/hazards/", create_body(world, title=""), format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert bad.status_code == 400
    # Nothing was created, so nothing is remembered: the corrected retry under the same key goes through.
    good = client.post(f"{API}/hazards/", create_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 201
    assert Hazard.objects.count() == 1


def test_whole_life_through_the_api(world, api):
    officer, contact, supervisor = api("hq_officer"), api("unit_demo"), api("hq_supervisor")
    hazard_id = officer.post(f"{API}/hazards/", create_body(world), format="json").json()["id"]
    hazard = Hazard.objects.get(pk=hazard_id)
    assert officer.post(hazard_url(hazard, "assign"), ACTION_BODIES["assign"](world), format="json").status_code == 200
    assert contact.post(hazard_url(hazard, "acknowledge"), {}, format="json").status_code == 200
    submit = {"measures": "已清理通道", "completed_on": timezone.localdate().isoformat(), "photos": [png_upload()]}
    response = contact.post(hazard_url(hazard, "submit"), submit, format="multipart")
    assert response.status_code == 200, response.json()
    assert supervisor.post(hazard_url(hazard, "reject"), {"reason": "仍有杂物"}, format="json").status_code == 200
    # After 退回, the new report brings a new after-photo; without one it is refused.
    submit = {"measures": "已彻底清理", "completed_on": timezone.localdate().isoformat()}
    refused = contact.post(hazard_url(hazard, "submit"), submit, format="multipart")
    assert refused.status_code == 400 and "photos" in refused.json()["fields"]
    submit["photos"] = [png_upload()]
    assert contact.post(hazard_url(hazard, "submit"), submit, format="multipart").status_code == 200
    response = supervisor.post(hazard_url(hazard, "verify"), ACTION_BODIES["verify"](world), format="json")
    assert response.json()["status"] == "closed"
    events = officer.get(hazard_url(hazard, "events")).json()
    assert [e["action"] for e in events] == ["list", "assign", "acknowledge", "submit", "reject", "submit", "verify"]


def test_assign_accepts_working_days(world, api):
    hazard = world.listed()
    body = {**ACTION_BODIES["assign"](world), "deadline": None, "working_days": 5}
    response = api("hq_officer").post(hazard_url(hazard, "assign"), body, format="json")
    assert response.status_code == 200, response.json()
    from core.workdays import add_working_days

    assert response.json()["deadline"] == add_working_days(timezone.localdate(), 5).isoformat()


# Who may POST each action on a hazard in the right status: 200/201 for the allowed persona, 403 for
# a role that may not, 404 where the hazard is outside what the persona sees.
MATRIX = [
    ("assign", Status.LISTED, {"hq_officer": 200, "hq_supervisor": 403, "unit_demo": 404, "api_client": 403}),
    ("acknowledge", Status.ASSIGNED, {"unit_demo": 200, "hq_officer": 403, "city_office": 403, "wb_contact": 404}),
    ("verify", Status.SUBMITTED, {"hq_supervisor": 200, "hq_officer": 403, "unit_demo": 403, "api_client": 403}),
    ("reject", Status.SUBMITTED, {"hq_supervisor": 200, "unit_demo": 403, "wb_supervisor": 404}),
    ("void", Status.ASSIGNED, {"hq_supervisor": 200, "hq_officer": 403, "city_office": 403}),
    ("request-extension", Status.RECTIFYING, {"unit_demo": 201, "hq_officer": 403, "api_client": 403}),
    ("list-supervision", Status.LISTED, {"hq_supervisor": 201, "hq_officer": 403, "wb_supervisor": 404}),
]
MAKE = {
    Status.LISTED: lambda w: w.listed_major(),
    Status.ASSIGNED: lambda w: w.assigned(),
    Status.RECTIFYING: lambda w: w.rectifying(),
    Status.SUBMITTED: lambda w: w.submitted(),
}


@pytest.mark.parametrize(
    ("action", "source", "persona", "expected"),
    [(a, s, p, code) for a, s, codes in MATRIX for p, code in codes.items()],
)
def test_role_action_matrix(world, api, action, source, persona, expected):
    hazard = MAKE[source](world)
    response = api(persona).post(hazard_url(hazard, action), ACTION_BODIES[action](world), format="json")
    assert response.status_code == expected, response.json()
    if expected >= 400:
        assert Hazard.objects.get(pk=hazard.pk).version == hazard.version


def test_illegal_transition_is_a_409_with_the_current_status(world, api):
    hazard = world.assigned()
    response = api("hq_officer").post(hazard_url(hazard, "assign"), ACTION_BODIES["assign"](world), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["status"] == "assigned"


def test_if_match_mismatch_is_a_412_and_changes_nothing(world, api):
    hazard = world.submitted()
    client = api("hq_supervisor")
    stale = client.get(hazard_url(hazard)).headers["ETag"]
    client.post(hazard_url(hazard, "reject"), {"reason": "不合格"}, format="json")
    response = client.post(
        hazard_url(hazard, "verify"), ACTION_BODIES["verify"](world), format="json", HTTP_IF_MATCH=stale
    )
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert Hazard.objects.get(pk=hazard.pk).status == "rectifying"


def test_if_match_that_matches_lets_the_action_through(world, api):
    hazard = world.submitted()
    client = api("hq_supervisor")
    current = client.get(hazard_url(hazard)).headers["ETag"]
    response = client.post(
        hazard_url(hazard, "verify"), ACTION_BODIES["verify"](world), format="json", HTTP_IF_MATCH=current
    )
    assert response.status_code == 200
    assert response.headers["ETag"] != current


def test_patch_changes_only_editable_fields(world, api):
    hazard = world.listed()
    client = api("hq_officer")
    response = client.patch(hazard_url(hazard), {"title": "新名称"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "新名称"
    event = HazardEvent.objects.filter(hazard=hazard).last()
    assert event.action == "update"
    assert event.changes["title"] == ["配电箱未接地", "新名称"]

    assigned = world.assigned()
    response = client.patch(hazard_url(assigned), {"title": "改不了"}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()["fields"]


def test_patch_rejects_status_and_unknown_fields(world, api):
    hazard = world.listed()
    response = api("hq_officer").patch(hazard_url(hazard), {"status": "closed"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["fields"]
    assert Hazard.objects.get(pk=hazard.pk).status == "listed"


def test_put_and_delete_are_not_allowed(world, api):
    hazard = world.listed()
    client = api("hq_officer")
    assert client.delete(hazard_url(hazard)).status_code == 405
    assert client.put(hazard_url(hazard), create_body(world), format="json").status_code == 405
    assert Hazard.objects.filter(pk=hazard.pk).exists()


def test_attachment_upload_checks_content(world, api):
    hazard = world.listed()
    client = api("hq_officer")
    ok = client.post(hazard_url(hazard, "attachments"), {"phase": "found", "file": png_upload()}, format="multipart")
    assert ok.status_code == 201
    assert ok.json()["content_type"] == "image/png"
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"plain text pretending")
    bad = client.post(hazard_url(hazard, "attachments"), {"phase": "found", "file": fake}, format="multipart")
    assert bad.status_code == 400
    assert "file" in bad.json()["fields"]


def test_oversized_attachment_is_a_413(world, api, settings):
    settings.ATTACHMENT_MAX_BYTES = 64
    hazard = world.listed()
    response = api("hq_officer").post(
        hazard_url(hazard, "attachments"), {"phase": "found", "file": png_upload()}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not hazard.attachments.exists()


def test_extension_decision_through_the_api(world, api):
    hazard = world.rectifying()
    body = ACTION_BODIES["request-extension"](world)
    extension = api("unit_demo").post(hazard_url(hazard, "request-extension"), body, format="json").json()
    response = api("hq_supervisor").post(
        f"{API}/extensions/{extension['id']}/decide/", {"approve": True, "comment": "同意"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert api("wb_supervisor").get(f"{API}/extensions/{extension['id']}/").status_code == 404
    assert Hazard.objects.get(pk=hazard.pk).deadline.isoformat() == body["requested_deadline"]
