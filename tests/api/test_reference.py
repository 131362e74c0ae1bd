"""Reference data, docs, and 404 for everything outside the caller's scope."""

from __future__ import annotations

import json
import re

from hazards import services
from hazards.models import Hazard
from tests.api.helpers import ACTION_BODIES, API, hazard_url
from tests.conftest import future_deadline
from tests.factories import SectorFactory

# --- reference data and docs ------------------------------------------------------------------


def test_regions_cascade_from_the_home_region(world, api):
    client = api("hq_officer")
    assert [r["code"] for r in client.get(f"{API}/regions/").json()] == ["410702"]
    children = client.get(f"{API}/regions/?parent=410702").json()
    assert [r["code"] for r in children] == [world.hq_township.code]
    assert client.get(f"{API}/regions/410703/").status_code == 404


def test_units_are_found_by_name_credit_code_or_initials(world, api):
    client = api("city_office")

    def names(q: str) -> set[str]:
        return {u["name"] for u in client.get(f"{API}/units/", {"q": q}).json()["results"]}

    assert names("红旗机械") == {world.hq_unit.name}
    assert names(world.hq_unit.credit_code[:10]) == {world.hq_unit.name}
    assert names("xxshq") == {world.hq_unit.name}  # 新乡市红旗…
    assert names("xxswb") == {world.wb_unit.name}  # 新乡市卫滨…


def test_units_carry_their_sector_and_are_filtered_by_it_with_its_sub_sectors(world, api):
    trade = SectorFactory(code="industry_trade", name="工贸")
    machinery = SectorFactory(code="trade_machinery", name="机械", parent=trade)
    world.hq_unit.sector = machinery
    world.hq_unit.save()
    client = api("city_office")
    units = {u["name"]: u["sector"] for u in client.get(f"{API}/units/").json()["results"]}
    assert units == {world.hq_unit.name: {"code": "trade_machinery", "name": "机械"}, world.wb_unit.name: None}
    for code in ("industry_trade", "trade_machinery"):
        found = client.get(f"{API}/units/", {"sector": code}).json()["results"]
        assert [u["name"] for u in found] == [world.hq_unit.name]
    assert client.get(f"{API}/units/", {"sector": "nonsense"}).json()["results"] == []


def test_sectors_and_departments_are_listed(world, api):
    client = api("api_client")
    assert world.sector.code in {s["code"] for s in client.get(f"{API}/sectors/").json()}
    assert client.get(f"{API}/departments/").status_code == 200


def test_me_describes_the_caller(world, api):
    me = api("unit_demo").get(f"{API}/me/").json()
    assert me["role_display"] == "责任单位联系人"
    assert me["unit"] == {"id": world.hq_unit.pk, "name": world.hq_unit.name}


def test_schema_and_docs_are_served_without_a_cdn(world, api):
    client = api("hq_officer")
    schema = client.get(f"{API}/schema/?format=json")
    assert schema.status_code == 200
    spec = json.loads(schema.content)
    assert "/api/v1/hazards/{id}/verify/" in spec["paths"]
    for page in ("docs", "redoc"):
        html = client.get(f"{API}/{page}/").content.decode()
        assert "static/drf_spectacular_sidecar" in html
        # Nothing the page loads comes from outside: no CDN script, no web font (intranets reach no internet).
        assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html), page
        assert "fonts.googleapis" not in html
    # ReDoc's bundle draws a badge from cdn.redoc.ly: the page's policy keeps the browser from fetching it.
    assert "img-src 'self' data: blob:" in client.get(f"{API}/redoc/")["Content-Security-Policy"]


def test_action_response_reflects_the_lifted_listing(world, api):
    from tests.test_workflow import perform

    hazard = world.listed_major()
    perform(world, "list_supervision", hazard, world.hq_supervisor)
    hazard = world.submitted(Hazard.objects.get(pk=hazard.pk))
    response = api("hq_supervisor").post(hazard_url(hazard, "verify"), ACTION_BODIES["verify"](world), format="json")
    assert response.json()["is_supervised"] is False


def test_unit_outside_jurisdiction_reads_as_nonexistent(world, api):
    hazard = world.listed()
    client = api("hq_officer")
    outside = client.post(
        hazard_url(hazard, "assign"), {**ACTION_BODIES["assign"](world), "unit": world.wb_unit.pk}, format="json"
    )
    missing = client.post(
        hazard_url(hazard, "assign"), {**ACTION_BODIES["assign"](world), "unit": 999999}, format="json"
    )
    assert outside.status_code == missing.status_code == 400
    assert outside.json()["fields"]["unit"] == [
        m.replace("999999", str(world.wb_unit.pk)) for m in missing.json()["fields"]["unit"]
    ]


def test_unit_contact_region_picker_starts_at_the_unit(world, api):
    assert [r["code"] for r in api("unit_demo").get(f"{API}/regions/").json()] == [world.hq_village.code]


def test_unknown_api_url_answers_in_the_error_shape(world, api):
    response = api("hq_officer").get(f"{API}/nothing-here/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_outsider_gets_404_on_every_registered_action(world, api):
    """Generic: every detail action of every hazard and extension route, taken from the router."""
    from hazards.api.views import ExtensionViewSet, HazardViewSet

    hazard = world.rectifying()
    extension = services_request_extension(world, hazard)
    wb = api("wb_officer")
    for viewset, obj, prefix in ((HazardViewSet, hazard, "hazards"), (ExtensionViewSet, extension, "extensions")):
        for extra in viewset.get_extra_actions():
            if not extra.detail:
                continue
            url = f"{API}/{prefix}/{obj.pk}/{extra.url_path}/"
            for method in extra.mapping:
                response = getattr(wb, method)(url, {}, format="json")
                assert response.status_code == 404, (method, url)
        assert wb.get(f"{API}/{prefix}/{obj.pk}/").status_code == 404


def services_request_extension(world, hazard):

    return services.extension_request(
        hazard=hazard, by=world.unit_demo, requested_deadline=future_deadline(40), reason="等待设备"
    )


def test_fast_representation_equals_the_declared_fields(world):
    """HazardSerializer writes its representation out by hand for speed, from an instance or from the
    row a list selects; it must not drift from the declared fields."""
    from hazards.api.serializers import ROW_FIELDS, HazardSerializer
    from tests.test_workflow import perform

    major = world.listed_major()
    perform(world, "list_supervision", major, world.hq_supervisor)
    hazards = [world.listed(), world.closed(), world.submitted(), Hazard.objects.get(pk=major.pk)]
    for hazard in Hazard.objects.filter(pk__in=[h.pk for h in hazards]).with_is_supervised():
        serializer = HazardSerializer(hazard)
        declared = super(HazardSerializer, serializer).to_representation(hazard)
        assert serializer.data == declared
        row = Hazard.objects.with_is_supervised().values(*ROW_FIELDS).get(pk=hazard.pk)
        assert HazardSerializer(row).data == declared
