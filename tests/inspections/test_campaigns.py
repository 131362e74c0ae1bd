"""专项整治: created, targeted, launched and closed through the services; who sees it; its coverage."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import IllegalTransition, NotAllowed, NotFound
from hazards.choices import MajorStandard
from inspections import services
from inspections.choices import CampaignStatus, Kind, Result
from inspections.coverage import campaign_coverage, campaign_never_inspected
from inspections.models import Campaign, ChecklistItem
from inspections.services import PhaseInput
from tests.factories import UnitFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T10:00").replace(tzinfo=SHANGHAI)


def phases(*spans: tuple[str, str, str]) -> list[PhaseInput]:
    return [
        PhaseInput(name=name, starts_on=datetime.date.fromisoformat(a), ends_on=datetime.date.fromisoformat(b))
        for name, a, b in spans
    ]


FOUR_PHASES = phases(
    ("动员部署", "2026-03-01", "2026-03-15"),
    ("企业自查自改和部门帮扶", "2026-03-16", "2026-04-15"),
    ("部门精准执法", "2026-04-16", "2026-05-15"),
    ("总结提高", "2026-05-16", "2026-05-31"),
)


def make_campaign(world, *, by=None, units=(), activate=True, **overrides) -> Campaign:
    values = {
        "name": "粉尘涉爆企业专项整治",
        "sectors": [world.sector],
        "phases": FOUR_PHASES,
        "standards": [MajorStandard.INDUSTRY_TRADE],
    }
    by = by or world.city_office
    campaign = services.campaign_create(by=by, at=at("2026-02-20"), **(values | overrides))
    if units:
        services.campaign_set_targets(campaign=campaign, units=units, by=by, at=at("2026-02-21"))
    if activate:
        services.campaign_activate(campaign=campaign, by=by, at=at("2026-02-28"))
    return campaign


def inspect(world, checklist, unit, day: str, *, campaign=None, by=None, complete=True):
    by = by or (world.wb_officer if unit.region.path.startswith(world.weibin.path) else world.hq_officer)
    inspection = services.inspection_start_on_spot(
        kind=Kind.SPECIAL, unit=unit, by=by, template=checklist, campaign=campaign, at=at(day)
    )
    for item in ChecklistItem.objects.filter(section__template=checklist, mandatory=True):
        services.answer_record(inspection=inspection, item=item, result=Result.PASS, by=by, at=at(day))
    if complete:
        services.inspection_complete(
            inspection=inspection, by=by, summary="良好", acknowledged_by_name="负责人", at=at(day)
        )
    return inspection


# Services and transitions ---------------------------------------------------------------------------


def test_a_campaign_goes_from_draft_to_active_to_closed(world):
    campaign = make_campaign(world, units=[world.hq_unit, world.wb_unit], activate=False)
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.issued_in == world.city
    assert (campaign.starts_on, campaign.ends_on) == (datetime.date(2026, 3, 1), datetime.date(2026, 5, 31))
    assert campaign.phases.first().name == "动员部署"
    services.campaign_activate(campaign=campaign, by=world.city_office, at=at("2026-02-28"))
    services.campaign_close(campaign=campaign, by=world.city_office, at=at("2026-06-01"))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CLOSED and campaign.activated_at and campaign.closed_at


def test_illegal_moves_are_refused(world):
    draft = make_campaign(world, units=[world.hq_unit], activate=False)
    with pytest.raises(IllegalTransition):
        services.campaign_close(campaign=draft, by=world.city_office)
    services.campaign_activate(campaign=draft, by=world.city_office)
    with pytest.raises(IllegalTransition):
        services.campaign_activate(campaign=draft, by=world.city_office)
    services.campaign_close(campaign=draft, by=world.city_office)
    with pytest.raises(IllegalTransition):
        services.campaign_set_targets(campaign=draft, units=[world.hq_unit], by=world.city_office)


def test_a_campaign_without_targets_cannot_start(world):
    draft = make_campaign(world, activate=False)
    with pytest.raises(ValidationError) as error:
        services.campaign_activate(campaign=draft, by=world.city_office)
    assert "请先确定整治对象" in str(error.value)


def test_roles_and_jurisdiction_decide_who_runs_it(world):
    with pytest.raises(NotAllowed):
        make_campaign(world, by=world.hq_supervisor)
    with pytest.raises(NotAllowed):
        make_campaign(world, by=world.unit_demo)
    city = make_campaign(world, units=[world.hq_unit], activate=False)
    with pytest.raises(NotFound):  # a draft of the city is not the county's to see yet
        services.campaign_activate(campaign=city, by=world.hq_officer)
    services.campaign_activate(campaign=city, by=world.city_office)
    with pytest.raises(NotAllowed):  # launched, the county sees it but does not run it
        services.campaign_close(campaign=city, by=world.hq_officer)
    with pytest.raises(NotFound):
        services.campaign_close(campaign=city, by=world.wb_officer)


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"name": "  "}, "name", "请填写专项整治名称"),
        ({"sectors": []}, "sectors", "请至少选择一个行业领域"),
        ({"standards": ["nonsense"]}, "standards", "所选判定标准不存在"),
        ({"phases": []}, "phases", "请至少填写一个整治阶段"),
        ({"phases": phases(("动员部署", "2026-03-10", "2026-03-01"))}, "phases", "开始日期不能晚于结束日期"),
        (
            {"phases": phases(("一", "2026-03-01", "2026-03-10"), ("二", "2026-03-10", "2026-03-20"))},
            "phases",
            "须在上一阶段结束后开始",
        ),
        ({"phases": phases(("", "2026-03-01", "2026-03-10"))}, "phases", "请填写阶段名称"),
    ],
)
def test_bad_input_is_refused_in_chinese(world, overrides, field, message):
    with pytest.raises(ValidationError) as error:
        make_campaign(world, activate=False, **overrides)
    assert field in error.value.message_dict and message in error.value.message_dict[field][0]
    assert not Campaign.objects.exists()


def test_targets_are_the_issuers_and_only_grow_while_it_runs(world):
    county = make_campaign(world, by=world.hq_officer, activate=False)
    with pytest.raises(ValidationError) as error:
        services.campaign_set_targets(campaign=county, units=[world.wb_unit], by=world.hq_officer)
    assert "不在您的辖区内" in str(error.value)
    other = UnitFactory(region=world.hongqi)
    services.campaign_set_targets(campaign=county, units=[world.hq_unit, other], by=world.hq_officer)
    services.campaign_set_targets(campaign=county, units=[world.hq_unit], by=world.hq_officer)  # draft: replace
    county.refresh_from_db()
    services.campaign_activate(campaign=county, by=world.hq_officer)
    services.campaign_set_targets(campaign=county, units=[world.hq_unit, other], by=world.hq_officer)
    with pytest.raises(ValidationError) as error:
        services.campaign_set_targets(campaign=county, units=[other], by=world.hq_officer)
    assert "不能移除" in str(error.value)
    assert set(county.targets.values_list("unit_id", flat=True)) == {world.hq_unit.pk, other.pk}


def test_an_inspection_counts_for_a_running_campaign_at_its_targets_only(world, checklist):
    campaign = make_campaign(world, units=[world.hq_unit], activate=False)
    other = UnitFactory(region=world.hongqi)
    with pytest.raises(ValidationError) as error:
        inspect(world, checklist, world.hq_unit, "2026-03-02", campaign=campaign)
    assert "不存在或不在您的辖区内" in str(error.value)  # a draft is not the county's yet
    services.campaign_activate(campaign=campaign, by=world.city_office)
    with pytest.raises(ValidationError) as error:
        inspect(world, checklist, other, "2026-03-02", campaign=campaign)
    assert "不是该专项整治的整治对象" in str(error.value)
    done = inspect(world, checklist, world.hq_unit, "2026-03-02", campaign=campaign)
    assert done.campaign == campaign
    plan = services.inspection_plan(
        kind=Kind.SPECIAL,
        unit=world.hq_unit,
        by=world.city_office,
        template=checklist,
        campaign=campaign,
        planned_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    assert plan.campaign == campaign
    services.campaign_close(campaign=campaign, by=world.city_office)
    with pytest.raises(ValidationError) as error:
        inspect(world, checklist, world.hq_unit, "2026-06-02", campaign=campaign)
    assert "只能选择进行中的专项整治" in str(error.value)


# Who sees it ---------------------------------------------------------------------------------------


def test_visible_to_the_issuer_the_counties_it_covers_and_its_targets(world):
    city = make_campaign(world, units=[world.hq_unit], activate=False)
    own = make_campaign(world, by=world.wb_officer, name="卫滨区有限空间专项整治", activate=False)

    def seen(user):
        return set(Campaign.objects.visible_to(user).values_list("name", flat=True))

    assert seen(world.city_office) == {city.name, own.name}  # the city sees its counties' campaigns too
    assert seen(world.hq_officer) == set()  # a draft is the issuer's
    assert seen(world.unit_demo) == set()
    services.campaign_activate(campaign=city, by=world.city_office)
    assert seen(world.hq_officer) == {city.name}
    assert seen(world.wb_officer) == {own.name}
    assert seen(world.unit_demo) == {city.name}  # the target's contact
    assert seen(world.wb_contact) == set()


# Coverage --------------------------------------------------------------------------------------------


@pytest.fixture
def campaign_city(world, checklist):
    """A city campaign over four targets, three in 红旗区 and one in 卫滨区, with a non-target beside them."""
    late = UnitFactory(region=world.hq_township, name="新乡市晚检机械有限公司")
    never = UnitFactory(region=world.hongqi, name="新乡市未检化工有限公司")
    bystander = UnitFactory(region=world.hongqi, name="新乡市旁观纸业有限公司")
    campaign = make_campaign(world, units=[world.hq_unit, late, never, world.wb_unit])
    inspect(world, checklist, world.hq_unit, "2026-03-02", campaign=campaign)  # counts
    inspect(world, checklist, world.hq_unit, "2026-04-02", campaign=campaign)  # the same unit again
    inspect(world, checklist, late, "2026-06-01", campaign=campaign)  # the day after the period
    inspect(world, checklist, never, "2026-04-01")  # inspected, but not in the campaign
    inspect(world, checklist, never, "2026-04-03", campaign=campaign, complete=False)  # never completed
    inspect(world, checklist, world.wb_unit, "2026-05-31", campaign=campaign)  # its last day counts
    inspect(world, checklist, bystander, "2026-03-05")
    return {"campaign": campaign, "late": late, "never": never}


def test_campaign_coverage_counts_targets_and_those_inspected_for_it_in_its_period(world, campaign_city):
    campaign = campaign_city["campaign"]
    rows = {row.county.code: row for row in campaign_coverage(campaign=campaign, user=world.city_office)}
    assert {code: (r.units_due, r.units_inspected) for code, r in rows.items()} == {
        world.hongqi.code: (3, 1),
        world.weibin.code: (1, 1),
    }
    assert [row.county for row in campaign_coverage(campaign=campaign, user=world.hq_officer)] == [world.hongqi]
    missing = campaign_never_inspected(campaign=campaign, user=world.city_office, county=world.hongqi)
    assert sorted(u.name for u in missing) == sorted([campaign_city["late"].name, campaign_city["never"].name])
    assert list(campaign_never_inspected(campaign=campaign, user=world.wb_officer)) == []
