"""The campaigns API: list, detail with progress, create (strict, with structured Chinese errors), targets,
activate, close; scoped like everything else."""

from __future__ import annotations

from rest_framework.test import APIClient

from inspections.choices import CampaignStatus
from inspections.models import Campaign
from tests.inspections.test_campaigns import make_campaign

URL = "/api/v1/campaigns/"


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def body(world, **overrides) -> dict:
    return {
        "name": "粉尘涉爆企业专项整治",
        "sectors": [world.sector.code],
        "standards": ["industry_trade"],
        "phases": [
            {"name": "动员部署", "starts_on": "2026-03-01", "ends_on": "2026-03-15"},
            {"name": "部门精准执法", "starts_on": "2026-03-16", "ends_on": "2026-05-31"},
        ],
    } | overrides


def test_an_office_creates_targets_launches_and_reads_a_campaign(world):
    api = client_for(world.city_office)
    created = api.post(URL, body(world), format="json")
    assert created.status_code == 201, created.json()
    campaign = created.json()
    assert campaign["status"] == CampaignStatus.DRAFT and campaign["issued_in"] == world.city.code
    assert [p["name"] for p in campaign["phases"]] == ["动员部署", "部门精准执法"]
    url = f"{URL}{campaign['id']}/"
    targeted = api.post(f"{url}targets/", {"units": [world.hq_unit.pk, world.wb_unit.pk]}, format="json")
    assert targeted.status_code == 200
    assert {row["county"]: row["units_due"] for row in targeted.json()["progress"]} == {
        world.hongqi.code: 1,
        world.weibin.code: 1,
    }
    assert api.post(f"{url}activate/").json()["status"] == CampaignStatus.ACTIVE
    again = api.post(f"{url}activate/")
    assert again.status_code == 409 and again.json()["message"]
    listed = api.get(URL).json()
    assert [c["name"] for c in listed["results"]] == ["粉尘涉爆企业专项整治"]
    county = client_for(world.hq_officer).get(url).json()
    assert [row["county"] for row in county["progress"]] == [world.hongqi.code]
    assert api.post(f"{url}close/").json()["status"] == CampaignStatus.CLOSED


def test_bad_bodies_are_structured_errors_and_save_nothing(world):
    api = client_for(world.city_office)
    unknown = api.post(URL, body(world, colour="red"), format="json")
    assert unknown.status_code == 400 and "colour" in unknown.json()["fields"]
    wrong = api.post(URL, body(world, sectors=["nonsense"], standards=["maybe"]), format="json")
    assert wrong.status_code == 400 and {"sectors", "standards"} <= set(wrong.json()["fields"])
    nested = api.post(URL, body(world, phases=[{"name": "一", "starts_on": "2026-03-01", "end": "x"}]), format="json")
    assert nested.status_code == 400 and "phases" in nested.json()["fields"]
    overlap = api.post(
        URL,
        body(
            world,
            phases=[
                {"name": "一", "starts_on": "2026-03-01", "ends_on": "2026-03-10"},
                {"name": "二", "starts_on": "2026-03-05", "ends_on": "2026-03-20"},
            ],
        ),
        format="json",
    )
    assert overlap.status_code == 400
    assert "须在上一阶段结束后开始" in str(overlap.json()["fields"]["phases"])
    empty = api.post(URL, body(world, phases=[]), format="json")
    assert empty.status_code == 400 and "请至少填写一个整治阶段" in str(empty.json()["fields"]["phases"])
    assert not Campaign.objects.exists()


def test_roles_and_outsiders(world):
    refused = client_for(world.hq_supervisor).post(URL, body(world), format="json")
    assert refused.status_code == 403
    campaign = make_campaign(world, units=[world.hq_unit])
    url = f"{URL}{campaign.pk}/"
    outsider = client_for(world.wb_officer)
    assert outsider.get(url).status_code == 404
    assert outsider.post(f"{url}close/").status_code == 404
    assert outsider.get(URL).json()["results"] == []
    county = client_for(world.hq_officer)
    assert county.get(url).status_code == 200
    assert county.post(f"{url}close/").status_code == 403  # the city's to run
    # A unit of another county is "not found" among the targets, like one that never existed.
    office = client_for(world.hq_officer)
    own = office.post(URL, body(world), format="json").json()
    foreign = office.post(f"{URL}{own['id']}/targets/", {"units": [world.wb_unit.pk]}, format="json")
    assert foreign.status_code == 400 and "units" in foreign.json()["fields"]
