"""Units recorded before units had a 行业领域 take the one most of their records carry (the data
migration accounts/0006 runs ``unit_sectors_from_records``; here with today's models)."""

from __future__ import annotations

from accounts.backfill import unit_sectors_from_records
from accounts.models import ResponsibleUnit
from hazards import services
from hazards.models import Hazard
from inspections.models import Inspection
from tests.factories import SectorFactory, UnitFactory
from tests.inspections.test_coverage import inspect


def backfill() -> int:
    return unit_sectors_from_records(ResponsibleUnit, Hazard, Inspection)


def handed_to(world, unit, sector, **details):
    hazard = services.hazard_register(details=world.details(sector=sector, **details), by=world.hq_officer)
    return world.assigned(hazard) if unit == world.hq_unit else hazard


def test_a_unit_takes_the_sector_most_of_its_hazards_and_inspections_carry(world, checklist):
    chemicals = SectorFactory(code="hazardous_chemicals", name="危险化学品", sort_order=10)
    handed_to(world, world.hq_unit, chemicals)
    handed_to(world, world.hq_unit, chemicals)
    # Found at the unit but not handed over yet: counted through 被检查单位.
    services.hazard_register(details=world.details(inspected_unit=world.hq_unit), by=world.hq_officer)
    inspect(world, checklist, world.hq_unit, "2026-03-02")  # the checklist's sector, world.sector
    voided = handed_to(world, world.hq_unit, world.sector)
    services.hazard_void(hazard=voided, by=world.hq_supervisor, reason="重复登记")
    # 危险化学品 2, 粉尘涉爆 2 (one hazard, one inspection; the voided one left out): a tie, to the
    # sector listed first.
    world.sector.sort_order = 20
    world.sector.save()
    assert backfill() == 1
    world.hq_unit.refresh_from_db()
    assert world.hq_unit.sector == chemicals


def test_a_unit_with_a_sector_or_without_records_is_left_alone(world):
    chemicals = SectorFactory(code="hazardous_chemicals", name="危险化学品")
    world.wb_unit.sector = chemicals
    world.wb_unit.save()
    lonely = UnitFactory(region=world.weibin)
    services.hazard_register(
        details=world.details(region=world.weibin, inspected_unit=world.wb_unit), by=world.wb_officer
    )
    assert backfill() == 0
    world.wb_unit.refresh_from_db()
    lonely.refresh_from_db()
    assert world.wb_unit.sector == chemicals and lonely.sector is None
