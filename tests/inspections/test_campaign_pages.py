"""The 专项整治 pages: create, targets, launch, progress with its drill-down, and the plan form's campaign."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.choices import CampaignStatus, Kind
from inspections.models import Campaign, Inspection
from tests.factories import UnitFactory
from tests.inspections.test_campaigns import make_campaign


def form_token(page) -> str:
    return page.context["form"]["form_token"].value()


def test_a_city_office_creates_targets_and_launches_a_campaign(client, world):
    client.force_login(world.city_office)
    assert client.get(reverse("inspections:campaign_list")).status_code == 200
    page = client.get(reverse("inspections:campaign_new"))
    html = page.content.decode()
    assert page.status_code == 200 and "企业自查自改和部门帮扶" in html
    data = {
        "form_token": form_token(page),
        "name": "有限空间作业专项整治",
        "sectors": [world.sector.pk],
        "phase_1_name": "动员部署",
        "phase_1_start": "2026-03-01",
        "phase_1_end": "2026-03-15",
        "phase_2_name": "部门精准执法",
        "phase_2_start": "2026-03-16",
        "phase_2_end": "2026-05-31",
    }
    answer = client.post(reverse("inspections:campaign_new"), data)
    campaign = Campaign.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "inspections:campaign_targets", args=[campaign.pk]
    )
    assert [p.name for p in campaign.phases.all()] == ["动员部署", "部门精准执法"]
    page = client.get(answer["Location"])
    answer = client.post(
        answer["Location"], {"form_token": form_token(page), "units": [world.hq_unit.pk, world.wb_unit.pk]}
    )
    assert answer.status_code == 302
    client.post(reverse("inspections:campaign_activate", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    detail = client.get(reverse("inspections:campaign_detail", args=[campaign.pk]), {"county": world.hongqi.code})
    html = detail.content.decode()
    assert detail.status_code == 200 and "红旗区" in html and "卫滨区" in html
    assert world.hq_unit.name in html.split('id="missing"')[1]


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"name": ""}, "name", "该字段是必填项"),
        ({"sectors": []}, "sectors", "该字段是必填项"),
        ({"phase_1_start": "", "phase_1_end": ""}, "phases", "请至少填写一个整治阶段"),
        ({"phase_1_end": "2026-02-01"}, "phases", "开始日期不能晚于结束日期"),
        ({"phase_1_end": ""}, "phase_1_name", "请填写该阶段的名称和起止日期"),
    ],
)
def test_bad_input_comes_back_in_chinese(client, world, changes, field, message):
    client.force_login(world.hq_officer)
    page = client.get(reverse("inspections:campaign_new"))
    data = {
        "form_token": form_token(page),
        "name": "专项整治",
        "sectors": [world.sector.pk],
        "phase_1_name": "动员部署",
        "phase_1_start": "2026-03-01",
        "phase_1_end": "2026-03-15",
    } | changes
    answer = client.post(reverse("inspections:campaign_new"), data)
    assert answer.status_code == 400 and message in answer.content.decode()
    assert not Campaign.objects.exists()


def test_units_and_supervisors_cannot_create(client, world):
    for user in (world.unit_demo, world.hq_supervisor):
        client.force_login(user)
        assert client.get(reverse("inspections:campaign_new")).status_code == 403


def test_a_county_reads_a_city_campaign_but_does_not_run_it(client, world):
    campaign = make_campaign(world, units=[world.hq_unit, world.wb_unit])
    client.force_login(world.hq_officer)
    detail = client.get(reverse("inspections:campaign_detail", args=[campaign.pk])).content.decode()
    assert "红旗区" in detail and "卫滨区" not in detail and 'data-testid="campaign-close"' not in detail
    assert client.get(reverse("inspections:campaign_targets", args=[campaign.pk])).status_code == 403
    client.post(reverse("inspections:campaign_close", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    client.force_login(world.unit_demo)  # a target's contact reads it
    assert client.get(reverse("inspections:campaign_detail", args=[campaign.pk])).status_code == 200
    other = UnitFactory(region=world.hongqi)
    client.force_login(world.wb_contact)  # 卫滨's unit is a target too
    assert client.get(reverse("inspections:campaign_detail", args=[campaign.pk])).status_code == 200
    assert other.pk


def test_the_plan_form_picks_a_running_campaign(client, world, checklist):
    campaign = make_campaign(world, units=[world.hq_unit])
    client.force_login(world.hq_officer)
    page = client.get(reverse("inspections:plan"))
    assert campaign.name in page.content.decode()
    planned_on = timezone.localdate() + datetime.timedelta(days=2)
    data = {
        "form_token": form_token(page),
        "kind": Kind.SPECIAL,
        "campaign": campaign.pk,
        "unit": world.hq_unit.pk,
        "template": checklist.pk,
        "planned_on": planned_on.isoformat(),
    }
    assert client.post(reverse("inspections:plan"), data).status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.campaign == campaign
    shown = client.get(reverse("inspections:detail", args=[inspection.pk])).content.decode()
    assert 'data-testid="campaign-link"' in shown and campaign.name in shown
    other = UnitFactory(region=world.hongqi)
    page = client.get(reverse("inspections:plan"))
    refused = client.post(reverse("inspections:plan"), data | {"form_token": form_token(page), "unit": other.pk})
    assert refused.status_code == 400 and "不是该专项整治的整治对象" in refused.content.decode()
