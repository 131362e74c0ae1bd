"""专项整治 报送快照: a campaign's figures per county frozen at each phase's end by the beat task (once,
counted as of that day whenever it runs) or by hand by the issuing office; listed on the page and in
the API, each county seeing its own row."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.errors import IllegalTransition, NotAllowed
from hazards import services as hazard_services
from hazards.choices import VerificationMethod
from inspections import services
from inspections.choices import Kind, Result
from inspections.models import CampaignSnapshot, ChecklistItem
from inspections.tasks import take_campaign_snapshots
from tests.conftest import png_upload
from tests.factories import UnitFactory
from tests.inspections.test_campaigns import at, make_campaign


def inspect(world, checklist, unit, day: str, *, campaign, fail: bool):
    """An inspection of the campaign completed on ``day``; its first item failed when ``fail``."""
    by = world.wb_officer if unit.region.path.startswith(world.weibin.path) else world.hq_officer
    inspection = services.inspection_start_on_spot(
        kind=Kind.SPECIAL, unit=unit, by=by, template=checklist, campaign=campaign, at=at(day)
    )
    hazard = None
    for item in ChecklistItem.objects.filter(section__template=checklist, mandatory=True).order_by("order"):
        result = Result.FAIL if fail and item.order == 1 else Result.PASS
        answer = services.answer_record(inspection=inspection, item=item, result=result, by=by, at=at(day))
        hazard = hazard or answer.hazard
    services.inspection_complete(
        inspection=inspection, by=by, summary="见记录", acknowledged_by_name="负责人", at=at(day)
    )
    return hazard


def close(world, hazard, day: str) -> None:
    hazard = hazard_services.hazard_submit(
        hazard=hazard,
        by=world.hq_officer,
        measures="当场整改",
        completed_on=datetime.date.fromisoformat(day),
        photos=[png_upload()],
        at=at(day),
    )
    hazard_services.hazard_verify(
        hazard=hazard, by=world.hq_supervisor, method=VerificationMethod.ON_SITE, opinion="整改到位。", at=at(day)
    )


@pytest.fixture
def campaign(world, checklist):
    """The city's campaign (phase 1 ends 2026-03-15, phase 2 on 04-15): two targets in 红旗区, one in 卫滨区
    and one more there added on 03-20; hazards found, closed and voided on either side of 03-15."""
    late = UnitFactory(region=world.hq_township, name="新乡市晚检机械有限公司")
    campaign = make_campaign(world, units=[world.hq_unit, late, world.wb_unit])
    closed = inspect(world, checklist, world.hq_unit, "2026-03-02", campaign=campaign, fail=True)
    close(world, closed, "2026-03-10")
    voided = inspect(world, checklist, late, "2026-03-05", campaign=campaign, fail=True)
    hazard_services.hazard_void(hazard=voided, by=world.hq_supervisor, reason="误判", at=at("2026-03-20"))
    added = UnitFactory(region=world.weibin, name="新乡市后加纺织有限公司")
    services.campaign_set_targets(
        campaign=campaign, units=[world.hq_unit, late, world.wb_unit, added], by=world.city_office, at=at("2026-03-20")
    )
    inspect(world, checklist, world.wb_unit, "2026-03-20", campaign=campaign, fail=True)
    return campaign


def figures(snapshot: CampaignSnapshot) -> dict[str, tuple[int, int, int, int]]:
    return {
        row.county.code: (row.targets, row.inspected, row.hazards_found, row.hazards_closed)
        for row in snapshot.rows.all()
    }


def test_each_phase_is_frozen_as_it_stood_at_the_end_of_its_last_day(world, campaign):
    assert take_campaign_snapshots() == 4  # every phase of 2026's spring is over
    by_phase = {s.phase.order: s for s in CampaignSnapshot.objects.select_related("phase")}
    first, second = by_phase[1], by_phase[2]
    assert first.counted_until == datetime.datetime.fromisoformat("2026-03-16T00:00+08:00")
    assert first.taken_by is None
    # 红旗区 by 03-15: both targets inspected, two hazards found (the void came later), one closed.
    assert figures(first) == {world.hongqi.code: (2, 2, 2, 1), world.weibin.code: (1, 0, 0, 0)}
    # By 04-15: the voided hazard no longer counts; 卫滨区 has a target more and its first inspection.
    assert figures(second) == {world.hongqi.code: (2, 2, 1, 1), world.weibin.code: (2, 1, 1, 0)}
    row = first.rows.get(county=world.weibin)
    assert (row.coverage, row.coverage_display) == (0.0, "0.0%")
    assert second.rows.get(county=world.weibin).coverage_display == "50.0%"


def test_the_task_takes_each_phase_once_however_often_it_runs(world, campaign):
    assert take_campaign_snapshots() == 4
    assert take_campaign_snapshots() == 0
    assert CampaignSnapshot.objects.count() == 4


def test_only_phases_whose_last_day_is_over_are_due(world, campaign):
    due = services.phases_due_a_snapshot(now=at("2026-03-16"))
    assert [phase.order for phase in due] == [1]
    assert services.phases_due_a_snapshot(now=at("2026-03-15")) == []


def test_a_draft_campaign_reports_nothing(world):
    make_campaign(world, units=[world.hq_unit], activate=False)
    assert take_campaign_snapshots() == 0


def test_the_issuing_office_takes_one_by_hand_and_no_one_else(world, campaign):
    snapshot = services.campaign_snapshot_take(campaign=campaign, by=world.city_office, at=at("2026-03-25"))
    assert snapshot.taken_by == world.city_office and snapshot.phase.order == 2
    assert snapshot.counted_until == at("2026-03-25")
    assert figures(snapshot) == {world.hongqi.code: (2, 2, 1, 1), world.weibin.code: (2, 1, 1, 0)}
    with pytest.raises(NotAllowed):  # a county reads the city's campaign but does not run it
        services.campaign_snapshot_take(campaign=campaign, by=world.hq_officer)
    draft = make_campaign(world, name="草拟中", units=[world.hq_unit], activate=False)
    with pytest.raises(IllegalTransition):
        services.campaign_snapshot_take(campaign=draft, by=world.city_office)


def test_the_campaign_page_lists_snapshots_each_county_its_own_row(world, campaign, as_user):
    take_campaign_snapshots()
    url = reverse("inspections:campaign_detail", args=[campaign.pk])
    city_page = as_user(world.city_office).get(url).content.decode()
    assert city_page.count("data-snapshot=") == 4 and 'data-testid="campaign-snapshot"' in city_page
    assert "统计截止 2026-03-16 00:00 · 动员部署 · 阶段报送（自动）" in city_page
    county_page = as_user(world.hq_officer).get(url).content.decode()
    assert f'data-county="{world.weibin.code}"><td>' not in county_page.split("报送快照")[-1]
    assert 'data-testid="campaign-snapshot"' not in county_page


def test_the_owner_takes_one_from_the_page(world, campaign, as_user):
    client = as_user(world.city_office)
    answer = client.post(reverse("inspections:campaign_snapshot", args=[campaign.pk]))
    assert answer.status_code == 302
    snapshot = CampaignSnapshot.objects.get()
    assert snapshot.taken_by == world.city_office
    assert "手动生成" in client.get(answer["Location"]).content.decode()
    refused = as_user(world.hq_officer).post(reverse("inspections:campaign_snapshot", args=[campaign.pk]))
    assert refused.status_code == 302 and CampaignSnapshot.objects.count() == 1


def test_the_api_lists_and_takes_snapshots(world, campaign):
    take_campaign_snapshots()
    city, county = APIClient(), APIClient()
    city.force_authenticate(world.city_office)
    county.force_authenticate(world.hq_officer)
    url = f"/api/v1/campaigns/{campaign.pk}/snapshots/"
    listed = city.get(url).json()
    assert [s["phase"] for s in listed] == ["总结提高", "部门精准执法", "企业自查自改和部门帮扶", "动员部署"]
    first = listed[-1]
    assert first["scheduled"] is True and first["counted_until"].startswith("2026-03-16T00:00:00+08:00")
    assert first["rows"][0] == {
        "county": world.hongqi.code,
        "county_name": "红旗区",
        "targets": 2,
        "inspected": 2,
        "coverage": 1.0,
        "hazards_found": 2,
        "hazards_closed": 1,
    }
    assert [row["county"] for row in county.get(url).json()[-1]["rows"]] == [world.hongqi.code]
    taken = city.post(url)
    assert taken.status_code == 201 and taken.json()["scheduled"] is False
    assert county.post(url).status_code == 403
