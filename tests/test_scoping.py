"""Jurisdiction: each persona sees exactly its hazards, units and regions; outsiders see nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.choices import RegionLevel, Role
from accounts.models import Region, ResponsibleUnit
from hazards import permissions, services
from hazards.models import Attachment, Hazard, HazardEvent
from tests.conftest import World, future_deadline
from tests.factories import RegionFactory, UserFactory


@pytest.fixture
def ledger(world: World) -> dict[str, Hazard]:
    """Hazards in both counties at several stages."""
    wb_listed = services.hazard_register(
        details=world.details(region=world.weibin, address="卫滨区某纺织厂"), by=world.wb_officer
    )
    wb_assigned = services.hazard_assign(
        hazard=services.hazard_register(details=world.details(region=world.weibin), by=world.wb_officer),
        by=world.wb_officer,
        unit=world.wb_unit,
        responsible_person="赵六",
        requirements="整改",
        deadline=future_deadline(),
    )
    return {
        "hq_listed": world.listed(region=world.hongqi),
        "hq_village_assigned": world.assigned(world.listed(region=world.hq_village)),
        "hq_closed": world.closed(),
        "wb_listed": wb_listed,
        "wb_assigned": wb_assigned,
    }


EXPECTED = {
    "hq_officer": {"hq_listed", "hq_village_assigned", "hq_closed"},
    "hq_supervisor": {"hq_listed", "hq_village_assigned", "hq_closed"},
    "wb_officer": {"wb_listed", "wb_assigned"},
    "wb_supervisor": {"wb_listed", "wb_assigned"},
    "unit_demo": {"hq_village_assigned", "hq_closed"},
    "wb_contact": {"wb_assigned"},
    "city_office": {"hq_listed", "hq_village_assigned", "hq_closed", "wb_listed", "wb_assigned"},
    "api_client": {"hq_listed", "hq_village_assigned", "hq_closed", "wb_listed", "wb_assigned"},
    "admin": {"hq_listed", "hq_village_assigned", "hq_closed", "wb_listed", "wb_assigned"},
}


@pytest.mark.parametrize(("persona", "expected"), EXPECTED.items())
def test_persona_sees_exactly_its_hazards(world, ledger, persona, expected):
    visible = set(Hazard.objects.visible_to(getattr(world, persona)).values_list("pk", flat=True))
    assert visible == {ledger[name].pk for name in expected}


@pytest.mark.parametrize("model", [HazardEvent, Attachment])
def test_the_rows_of_a_hazard_are_seen_with_it(world, ledger, model):
    with_rows = set(model.objects.values_list("hazard_id", flat=True))
    assert with_rows
    for persona, expected in EXPECTED.items():
        visible = set(model.objects.visible_to(getattr(world, persona)).values_list("hazard_id", flat=True))
        assert visible == {ledger[name].pk for name in expected} & with_rows, persona


def test_the_services_permission_check_agrees_with_visible_to(world, ledger):
    """``permissions.can_see`` answers from the loaded row, without a query: it must say what the
    database says, for every persona, a township officer and those who see nothing."""
    township_officer = UserFactory(username="xijie", role=Role.COUNTY_OFFICER, region=world.hq_township)
    inactive = UserFactory(username="left", role=Role.COUNTY_OFFICER, region=world.hongqi, is_active=False)
    users = [getattr(world, persona) for persona in EXPECTED] + [township_officer, inactive, AnonymousUser()]
    for user in users:
        visible = set(Hazard.objects.visible_to(user).values_list("pk", flat=True))
        for hazard in Hazard.objects.all():
            assert permissions.can_see(user, hazard) == (hazard.pk in visible), (user, hazard.number)


def test_weibin_officer_sees_none_of_hongqi(world, ledger):
    hongqi = Hazard.objects.filter(county=world.hongqi)
    assert hongqi.exists()
    assert not Hazard.objects.visible_to(world.wb_officer).filter(county=world.hongqi).exists()


def test_township_officer_sees_only_the_township(world, ledger):
    township_officer = UserFactory(username="xijie", role=Role.COUNTY_OFFICER, region=world.hq_township)
    visible = set(Hazard.objects.visible_to(township_officer).values_list("pk", flat=True))
    assert visible == {ledger["hq_village_assigned"].pk, ledger["hq_closed"].pk}


def test_anonymous_inactive_and_homeless_users_see_nothing(world, ledger):
    inactive = UserFactory(username="left", role=Role.COUNTY_OFFICER, region=world.hongqi, is_active=False)
    homeless = UserFactory(username="nowhere", role=Role.COUNTY_OFFICER, region=None)
    for user in (AnonymousUser(), inactive, homeless):
        assert not Hazard.objects.visible_to(user).exists()
        assert not Region.objects.visible_to(user).exists()
        assert not ResponsibleUnit.objects.visible_to(user).exists()


def test_regions_are_scoped_to_the_subtree(world):
    assert set(Region.objects.visible_to(world.hq_officer)) == {world.hongqi, world.hq_township, world.hq_village}
    assert set(Region.objects.visible_to(world.wb_officer)) == {world.weibin}
    assert world.weibin in Region.objects.visible_to(world.city_office)


def test_units_are_scoped_to_the_jurisdiction(world):
    assert set(ResponsibleUnit.objects.visible_to(world.hq_officer)) == {world.hq_unit}
    assert set(ResponsibleUnit.objects.visible_to(world.unit_demo)) == {world.hq_unit}
    assert set(ResponsibleUnit.objects.visible_to(world.city_office)) == {world.hq_unit, world.wb_unit}


def test_is_within_follows_the_tree(world):
    assert world.hq_village.is_within(world.hongqi)
    assert world.hq_village.is_within(world.city)
    assert not world.hq_village.is_within(world.weibin)
    assert world.hq_village.county == world.hongqi


def test_region_code_must_match_its_parent(world):
    from django.core.exceptions import ValidationError

    stray = Region(code="410703002000", name="错位街道", level=RegionLevel.TOWNSHIP, parent=world.hongqi)
    with pytest.raises(ValidationError) as error:
        stray.full_clean()
    assert "code" in error.value.message_dict
    short = Region(code="410702002", name="短码街道", level=RegionLevel.TOWNSHIP, parent=world.hongqi)
    with pytest.raises(ValidationError):
        short.full_clean()


def test_sibling_counties_do_not_leak(world):
    # Paths end every code with "/", so a sibling sharing leading digits ("4107") is never inside.
    other = RegionFactory(code="410721", name="新乡县", level=RegionLevel.COUNTY, parent=world.city)
    assert not other.is_within(world.hongqi)
    assert other not in Region.objects.visible_to(world.hq_officer)
