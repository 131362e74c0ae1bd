"""Every door, generated: the URL resolver (API router included) and every browser action are walked, and
on each an outsider county's officer gets 404 (never 403 with details) and an anonymous visitor is refused.

A route registered tomorrow is covered the day it appears: a parameter this table cannot fill, or a route
in neither list below, fails ``test_every_route_is_classified`` until someone says what it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient
from rest_framework.viewsets import GenericViewSet

from core import jobs
from core.api.viewsets import ScopedRetrieveViewSet, UnscopedReadOnlyViewSet
from hazards import services
from hazards.choices import AuthorityLevel
from hazards.views.actions import SPEC_BY_SLUG
from inspections import services as inspection_services
from inspections.choices import Kind
from inspections.models import ChecklistItem
from reminders.models import InboxMessage
from reports.layouts import LAYOUTS
from tests.conftest import World, future_deadline

# Open to anyone: signing in and out, taking a token, and the API's own documentation.
PUBLIC = {"login", "logout", "api:token", "api:schema", "api:docs", "api:redoc"}
# Reference lists every signed-in user reads whole (code lists, not anyone's records): no outsider exists.
UNSCOPED_BASENAMES = {"sector", "department", "checklist"}
# Figures over the caller's jurisdiction, narrowed by a region code in the query rather than an id in the
# path: a region outside the jurisdiction is a 404, and without one an outsider counts only their own.
SCOPED_BY_REGION_PARAMETER = {"api:stats-closure"}
# The official tables, each an API route and a page of its own, narrowed the same way.
SCOPED_TABLES = {f"api:stats-table-{name}" for name in LAYOUTS} | {f"reports:table_{name}" for name in LAYOUTS}


def api_viewsets(patterns) -> dict[str, type]:
    """The viewset class behind each API route's basename."""
    found = {}
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found |= api_viewsets(entry.url_patterns)
        elif (
            isinstance(entry, URLPattern)
            and entry.name
            and issubclass(getattr(entry.callback, "cls", object), GenericViewSet)
        ):
            found[entry.name.split("-", 1)[0]] = entry.callback.cls
    return found


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, as reverse() takes it
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api:")

    @property
    def basename(self) -> str:
        return self.name.removeprefix("api:").split("-", 1)[0]


def walk(patterns, namespace: str = "") -> list[Route]:
    routes = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # the admin's own staff check guards it; tests/test_admin.py covers it
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            routes += walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            params = tuple(entry.pattern.regex.groupindex)
            routes.append(Route(f"{namespace}{entry.name}", params))
    return routes


ROUTES = sorted(set(walk(get_resolver().url_patterns)), key=lambda route: route.name)
GUARDED = [route for route in ROUTES if route.name not in PUBLIC]
# A browser action is one route per slug: each slug is its own door.
ACTION_SLUGS = sorted(SPEC_BY_SLUG)


@pytest.fixture
def hongqi(world: World, checklist) -> dict[str, int | str]:
    """One of every kind of record, all in 红旗区, so that 卫滨区's officer is an outsider to each."""
    major = world.assigned(world.listed_major())
    listing = services.supervision_start(
        hazard=major,
        by=world.hq_supervisor,
        authority_level=AuthorityLevel.COUNTY,
        requirements="限期整改。",
        deadline=future_deadline(30),
    )
    submitted = world.submitted()
    extension = services.extension_request(
        hazard=world.rectifying(), by=world.unit_demo, requested_deadline=future_deadline(30), reason="设备到货延迟"
    )
    message = InboxMessage.objects.create(recipient=world.hq_officer, title="提醒", body="有一条隐患待验收。")
    job = jobs.job_create(kind="reports.export", owner=world.hq_officer, scope={"county": world.hongqi.code})
    jobs.job_start(job_id=job.pk, total=1)
    jobs.job_finish(job_id=job.pk, result=ContentFile("编号,标题\n".encode()), name="隐患台账.csv")
    inspection = inspection_services.inspection_start_on_spot(
        kind=Kind.ROUTINE, unit=world.hq_unit, by=world.hq_officer, template=checklist
    )
    campaign = inspection_services.campaign_create(
        name="红旗区粉尘涉爆专项整治",
        sectors=[world.sector],
        phases=[inspection_services.PhaseInput("动员部署", future_deadline(1), future_deadline(30))],
        by=world.hq_officer,
    )
    inspection_services.campaign_set_targets(campaign=campaign, units=[world.hq_unit], by=world.hq_officer)
    inspection_services.campaign_activate(campaign=campaign, by=world.hq_officer)
    return {
        "campaign": campaign.pk,
        "inspection": inspection.pk,
        "item": ChecklistItem.objects.filter(section__template=checklist).first().pk,
        "hazard": submitted.pk,
        "major": major.pk,
        "listing": listing.pk,
        "attachment": submitted.attachments.first().pk,
        "extension": extension.pk,
        "message": message.pk,
        "region": world.hq_township.code,
        "county": world.hongqi.code,
        "unit": world.hq_unit.pk,
        "job": job.pk,
    }


def fill(route: Route, records: dict[str, int | str]) -> list[str] | None:
    """The URLs that reach a 红旗区 record through ``route``, or None for a route without a record in it."""
    if not route.params:
        return None
    if route.is_api:
        if route.params not in (("pk",), ("code",)):
            raise LookupError(route)
        if route.basename in UNSCOPED_BASENAMES:
            return None
        kind = {"inbox": "message"}.get(route.basename, route.basename)
        return [reverse(route.name, kwargs={route.params[0]: records[kind]})]
    # The pages of an app name their own object "pk": an inspection's pages reach an inspection.
    owner = "inspection" if route.name.startswith("inspections:") else "hazard"
    owner = "campaign" if route.name.startswith("inspections:campaign_") else owner
    by_params = {
        ("pk",): lambda: [reverse(route.name, args=[records[owner]])],
        ("pk", "item_id"): lambda: [reverse(route.name, args=[records["inspection"], records["item"]])],
        ("message_id",): lambda: [reverse(route.name, args=[records["message"]])],
        ("job_id",): lambda: [reverse(route.name, args=[records["job"]])],
        ("region_code",): lambda: [reverse(route.name, args=[records["county"]])],
        ("pk", "attachment_id"): lambda: [reverse(route.name, args=[records["hazard"], records["attachment"]])],
        ("pk", "listing_id"): lambda: [reverse(route.name, args=[records["major"], records["listing"]])],
        ("pk", "slug"): lambda: [reverse(route.name, args=[records["hazard"], slug]) for slug in ACTION_SLUGS],
    }
    if route.params not in by_params:
        raise LookupError(route)
    return by_params[route.params]()


def test_every_api_viewset_is_scoped_unless_its_base_says_otherwise():
    viewsets = api_viewsets(get_resolver().url_patterns)
    assert viewsets, "the API router registered no viewset"
    for cls in viewsets.values():
        assert issubclass(cls, ScopedRetrieveViewSet | UnscopedReadOnlyViewSet), f"{cls.__name__} has no scoping base"
    unscoped = {basename for basename, cls in viewsets.items() if issubclass(cls, UnscopedReadOnlyViewSet)}
    assert unscoped == UNSCOPED_BASENAMES


def test_every_route_is_classified(hongqi):
    unknown = []
    for route in GUARDED:
        try:
            fill(route, hongqi)
        except (LookupError, KeyError):
            unknown.append(route)
    assert not unknown, f"routes this test cannot reach a record through: {unknown}"
    assert ACTION_SLUGS, "the browser actions were not found"


@pytest.mark.parametrize("route", [r for r in GUARDED if r.params], ids=lambda route: route.name)
def test_an_outsider_gets_404_on_every_record_route(world, client, hongqi, route):
    urls = fill(route, hongqi)
    if urls is None:
        assert route.basename in UNSCOPED_BASENAMES
        return
    if route.is_api:
        api = APIClient()
        api.force_authenticate(world.wb_officer)
        send = {"get": api.get, "post": api.post, "patch": api.patch}
    else:
        client.force_login(world.wb_officer)
        send = {"get": client.get, "post": client.post}
    for url in urls:
        answers = {method: request(url).status_code for method, request in send.items()}
        # 405 says only that the method is wrong for every id alike; anything else must be 404.
        assert set(answers.values()) <= {404, 405} and 404 in answers.values(), (url, answers)


@pytest.mark.parametrize("name", sorted(SCOPED_BY_REGION_PARAMETER))
def test_an_outsider_gets_404_for_figures_of_a_region_outside_their_jurisdiction(world, hongqi, name):
    assert name in {route.name for route in GUARDED}
    api = APIClient()
    api.force_authenticate(world.wb_officer)
    url = reverse(name)
    for code in (world.hongqi.code, hongqi["region"], world.city.code):
        response = api.get(url, {"region": code})
        assert response.status_code == 404, (url, code, response.status_code)
    own = api.get(url)
    assert own.status_code == 200 and own.json()["total"]["found"] == 0, own.json()


@pytest.mark.parametrize("name", sorted(SCOPED_TABLES))
def test_an_outsider_gets_404_for_a_table_of_a_region_outside_their_jurisdiction(world, client, hongqi, name):
    assert name in {route.name for route in GUARDED}
    if name.startswith("api:"):
        api = APIClient()
        api.force_authenticate(world.wb_officer)
        send = api.get
    else:
        client.force_login(world.wb_officer)
        send = client.get
    url = reverse(name)
    for code in (world.hongqi.code, hongqi["region"], world.city.code):
        assert send(url, {"region": code}).status_code == 404, (url, code)
    own = send(url)
    assert own.status_code == 200
    if name.startswith("api:"):
        total = next(row for row in own.json()["rows"] if row["is_total"])
        assert total["values"]["general_found"] == 0 and total["values"]["major_found"] == 0, total


@pytest.mark.parametrize("route", GUARDED, ids=lambda route: route.name)
def test_an_anonymous_visitor_is_refused_everywhere(world, client, hongqi, route):
    # An unscoped reference route with an id: any id will do.
    urls = fill(route, hongqi) or [reverse(route.name, kwargs=dict.fromkeys(route.params, "1"))]
    for url in urls:
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if route.is_api:
                assert response.status_code in (401, 405), (method, url, response.status_code)
            else:
                assert response.status_code in (302, 405), (method, url, response.status_code)
                if response.status_code == 302:
                    assert response["Location"].startswith(reverse("login")), (method, url, response["Location"])
