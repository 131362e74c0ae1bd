"""The inspections API for field clients: start, answer, complete; scoped like everything else."""

from __future__ import annotations

from rest_framework.test import APIClient

from hazards.models import Hazard
from inspections.choices import Kind
from inspections.models import ChecklistItem, Inspection


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def items(template) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(section__template=template).order_by("order"))


def test_a_field_client_starts_answers_and_completes_an_inspection(world, checklist):
    api = client_for(world.hq_officer)
    general, major, _optional = items(checklist)
    started = api.post(
        "/api/v1/inspections/",
        {"kind": Kind.ROUTINE, "unit": world.hq_unit.pk, "template": checklist.pk, "team": "张三"},
        format="json",
    )
    assert started.status_code == 201, started.json()
    url = f"/api/v1/inspections/{started.json()['id']}/"
    failed = api.post(
        f"{url}answer/",
        {"item": general.pk, "result": "fail", "comment": "未接地", "latitude": "35.303", "longitude": "113.926"},
        format="json",
    )
    assert failed.status_code == 200 and failed.json()["hazard_number"].startswith("YH-")
    again = api.post(f"{url}answer/", {"item": general.pk, "result": "fail"}, format="json")
    assert again.json()["hazard"] == failed.json()["hazard"] and Hazard.objects.count() == 1
    api.post(f"{url}answer/", {"item": major.pk, "result": "pass"}, format="json")
    done = api.post(f"{url}complete/", {"summary": "已完成", "acknowledged_by_name": "王厂长"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert [a["result"] for a in done.json()["answers"]] == ["fail", "pass"]


def test_bad_input_is_a_structured_error_and_saves_nothing(world, checklist):
    api = client_for(world.hq_officer)
    inspection = api.post(
        "/api/v1/inspections/",
        {"kind": Kind.ROUTINE, "unit": world.hq_unit.pk, "template": checklist.pk},
        format="json",
    ).json()
    url = f"/api/v1/inspections/{inspection['id']}/answer/"
    unknown = api.post(url, {"item": items(checklist)[0].pk, "result": "pass", "colour": "red"}, format="json")
    assert unknown.status_code == 400 and "colour" in unknown.json()["fields"]
    wrong = api.post(url, {"item": items(checklist)[0].pk, "result": "maybe", "latitude": 123}, format="json")
    assert wrong.status_code == 400 and {"result", "latitude"} <= set(wrong.json()["fields"])
    done_early = api.post(f"/api/v1/inspections/{inspection['id']}/complete/", {"summary": "好"}, format="json")
    assert done_early.status_code == 400 and done_early.json()["fields"]
    assert not Inspection.objects.get().answers.exists()


def test_an_outsider_and_a_unit_out_of_scope_get_404(world, checklist):
    outsider = client_for(world.wb_officer)
    started = outsider.post(
        "/api/v1/inspections/",
        {"kind": Kind.ROUTINE, "unit": world.hq_unit.pk, "template": checklist.pk},
        format="json",
    )
    assert started.status_code == 400 and "unit" in started.json()["fields"]
    inspection = client_for(world.hq_officer).post(
        "/api/v1/inspections/",
        {"kind": Kind.ROUTINE, "unit": world.hq_unit.pk, "template": checklist.pk},
        format="json",
    )
    url = f"/api/v1/inspections/{inspection.json()['id']}/"
    assert outsider.get(url).status_code == 404
    assert (
        outsider.post(f"{url}answer/", {"item": items(checklist)[0].pk, "result": "fail"}, format="json").status_code
        == 404
    )
    assert not Hazard.objects.exists()


def test_a_unit_contact_may_not_run_a_routine_inspection(world, checklist):
    refused = client_for(world.unit_demo).post(
        "/api/v1/inspections/",
        {"kind": Kind.ROUTINE, "unit": world.hq_unit.pk, "template": checklist.pk},
        format="json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not_allowed"


def test_published_checklists_are_read_with_their_items_and_standards(world, checklist):
    body = client_for(world.unit_demo).get(f"/api/v1/checklists/{checklist.pk}/").json()
    texts = [item["text"] for section in body["sections"] for item in section["items"]]
    assert len(texts) == 3
    references = [item["standard_reference"] for section in body["sections"] for item in section["items"]]
    assert references[1] == "应急管理部令第10号 第三条第（二）项"
