"""辖区, worked out once: what each persona sees, and that a page asks the database for it only once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import jurisdiction
from accounts.choices import Role
from accounts.jurisdiction import EVERYTHING, NOTHING, Subtree, UnitOnly, jurisdiction_of
from accounts.models import Region, ResponsibleUnit, User
from tests.factories import UserFactory

# --- each persona -----------------------------------------------------------------------------------


def test_the_administrator_sees_everything(world):
    assert jurisdiction_of(world.admin) == EVERYTHING


def test_an_administrator_who_is_not_a_superuser_sees_everything_too(world):
    it_staff = UserFactory(username="it", role=Role.ADMINISTRATOR)
    assert jurisdiction_of(it_staff) == EVERYTHING


def test_a_superuser_sees_everything_whatever_its_role(world):
    root = UserFactory(username="root", role=Role.COUNTY_OFFICER, region=world.weibin, is_superuser=True)
    assert jurisdiction_of(root) == EVERYTHING


def test_an_anonymous_visitor_sees_nothing():
    assert jurisdiction_of(AnonymousUser()) == NOTHING


@pytest.mark.parametrize("persona", ["admin", "hq_officer", "unit_demo"])
def test_a_deactivated_user_sees_nothing(world, persona):
    user = getattr(world, persona)
    user.is_active = False
    assert jurisdiction_of(user) == NOTHING


def test_a_unit_contact_sees_the_unit_from_where_the_unit_is(world):
    assert jurisdiction_of(world.unit_demo) == UnitOnly(unit_id=world.hq_unit.pk, region=world.hq_village)


def test_a_unit_contact_without_a_unit_sees_nothing(world):
    orphan = UserFactory(username="orphan", role=Role.UNIT_CONTACT, unit=None, region=world.hongqi)
    assert jurisdiction_of(orphan) == NOTHING


@pytest.mark.parametrize("persona", ["hq_officer", "hq_supervisor"])
def test_a_county_user_sees_the_county_subtree(world, persona):
    assert jurisdiction_of(getattr(world, persona)) == Subtree(world.hongqi)


def test_a_township_user_sees_the_township_subtree(world):
    township_officer = UserFactory(username="xijie", role=Role.COUNTY_OFFICER, region=world.hq_township)
    assert jurisdiction_of(township_officer) == Subtree(world.hq_township)


@pytest.mark.parametrize("persona", ["city_office", "api_client"])
def test_a_city_user_sees_the_city_subtree(world, persona):
    assert jurisdiction_of(getattr(world, persona)) == Subtree(world.city)


def test_a_user_without_a_region_sees_nothing(world):
    homeless = UserFactory(username="nowhere", role=Role.COUNTY_OFFICER, region=None)
    assert jurisdiction_of(homeless) == NOTHING


# --- once per user object, never stale ----------------------------------------------------------------


@pytest.fixture
def decisions(monkeypatch) -> list[int]:
    """The pk of every user whose jurisdiction is worked out (rather than remembered), in order."""
    decided: list[int] = []
    decide = jurisdiction._decide

    def counting(user: User) -> jurisdiction.Jurisdiction:
        decided.append(user.pk)
        return decide(user)

    monkeypatch.setattr(jurisdiction, "_decide", counting)
    return decided


def test_the_same_user_object_is_answered_from_memory(world, decisions, django_assert_num_queries):
    contact = User.objects.get(pk=world.unit_demo.pk)
    first = jurisdiction_of(contact)
    with django_assert_num_queries(0):
        assert jurisdiction_of(contact) is first
    assert decisions == [contact.pk]


def test_a_user_changed_in_place_is_asked_anew(world):
    officer = world.hq_officer
    assert jurisdiction_of(officer) == Subtree(world.hongqi)
    officer.region = world.weibin
    assert jurisdiction_of(officer) == Subtree(world.weibin)
    officer.role = Role.ADMINISTRATOR
    assert jurisdiction_of(officer) == EVERYTHING


@pytest.mark.parametrize(
    ("url", "models"),
    [
        ("/hazards/new/", "regions: the form's choices, the cascade and its roots"),
        ("/hazards/", "hazards, and the regions to filter by"),
    ],
)
def test_a_page_scoping_several_models_works_out_the_jurisdiction_once(as_user, world, decisions, url, models):
    world.assigned()
    client = as_user(world.unit_demo)
    decisions.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    assert decisions == [world.unit_demo.pk], models
    # The contact's unit is read once, by the jurisdiction, and the page header shows it from there.
    unit_reads = [query["sql"] for query in captured if 'FROM "accounts_responsibleunit"' in query["sql"]]
    assert len(unit_reads) == 1, unit_reads


def test_each_request_works_it_out_afresh(as_user, world, decisions):
    hazard = world.listed()
    client = as_user(world.hq_officer)
    decisions.clear()
    assert client.get(reverse("hazards:detail", args=[hazard.pk])).status_code == 200
    User.objects.filter(pk=world.hq_officer.pk).update(region=world.weibin)
    assert client.get(reverse("hazards:detail", args=[hazard.pk])).status_code == 404
    assert decisions == [world.hq_officer.pk, world.hq_officer.pk]


def test_the_in_memory_answers_for_regions_and_units_agree_with_visible_to(world):
    """The services check the place and unit they are given from memory (a history import gives
    thousands): for every persona, a township officer and those who see nothing, the answer must be
    what the database says."""
    township_officer = UserFactory(username="xijie", role=Role.COUNTY_OFFICER, region=world.hq_township)
    inactive = UserFactory(username="left", role=Role.COUNTY_OFFICER, region=world.hongqi, is_active=False)
    personas = ("admin", "city_office", "hq_officer", "hq_supervisor", "wb_officer", "unit_demo", "wb_contact")
    users = [getattr(world, name) for name in personas] + [township_officer, inactive, AnonymousUser()]
    for user in users:
        regions = set(Region.objects.visible_to(user).values_list("pk", flat=True))
        units = set(ResponsibleUnit.objects.visible_to(user).values_list("pk", flat=True))
        every = list(Region.objects.order_by("code"))
        assert [r.pk for r in jurisdiction.regions_reached(user, every)] == [r.pk for r in every if r.pk in regions]
        for region in every:
            assert jurisdiction.reaches_region(user, region) == (region.pk in regions), (user, region.code)
        for unit in ResponsibleUnit.objects.all():
            assert jurisdiction.reaches_unit(user, unit) == (unit.pk in units), (user, unit.name)
