"""An inspection done on a phone in headless Chromium: start on the spot, answer item by item, a failed
item becomes a linked hazard, a dropped request loses nothing, the unit signs, it is complete."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hazards.models import Hazard
from inspections import services
from inspections.choices import Kind, Result
from inspections.choices import Status as InspectionStatus
from inspections.models import Answer, ChecklistItem, Inspection
from tests.test_browser import VIEWPORTS, log_in, shoot


def items(template) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(section__template=template).order_by("order"))


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_an_inspection_walked_on_a_phone_turns_a_failed_item_into_a_linked_hazard(
    browser, live_server, world, checklist, device
):
    viewport = VIEWPORTS[device]
    general, major, optional = items(checklist)
    page = log_in(browser, live_server, "hq_officer", viewport)
    page.goto(f"{live_server.url}{reverse('inspections:new')}")
    page.get_by_label("检查类型").select_option(Kind.ROUTINE)
    page.get_by_label("被检查单位").select_option(str(world.hq_unit.pk))
    page.get_by_label("检查表").select_option(str(checklist.pk))
    page.get_by_label("检查组成员").fill("张三、李四")
    page.get_by_test_id("start").click()
    page.wait_for_url(re.compile(r"/inspections/\d+/$"))
    shoot(page, f"inspection-{device}-start")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    card = page.get_by_test_id(f"item-{general.pk}")
    button = card.get_by_role("button", name="符合", exact=True)
    assert button.bounding_box()["height"] >= 44  # a thumb's target
    card.get_by_role("textbox").fill("东侧配电箱未接地")
    card.get_by_role("button", name="不符合").click()
    expect(page.get_by_test_id(f"item-{general.pk}").get_by_test_id("item-hazard")).to_be_visible()
    page.get_by_test_id(f"item-{major.pk}").get_by_role("button", name="符合", exact=True).click()
    expect(page.get_by_test_id(f"item-{major.pk}").get_by_role("button", name="符合", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_test_id("answered")).to_have_text("2")
    shoot(page, f"inspection-{device}-answered")

    page.get_by_label("检查小结").fill("发现一处隐患，已责令整改。")
    page.get_by_label("被检查单位签字人").fill("王厂长")
    page.get_by_test_id("complete").click()
    expect(page.get_by_test_id("inspection-status")).to_have_text("已完成")
    shoot(page, f"inspection-{device}-done")

    inspection = Inspection.objects.get()
    assert (inspection.status, inspection.acknowledged_by_name) == (InspectionStatus.COMPLETED, "王厂长")
    hazard = Hazard.objects.get()
    assert hazard.inspection_answer.item == general and hazard.description == "东侧配电箱未接地"
    assert not Answer.objects.filter(item=optional).exists()  # an optional item may stay unanswered

    page.goto(f"{live_server.url}{reverse('hazards:detail', args=[hazard.pk])}")
    page.get_by_test_id("hazard-inspection").click()
    page.wait_for_url(re.compile(rf"/inspections/{inspection.pk}/#item-{general.pk}$"))


def test_an_answer_sent_while_the_connection_is_down_is_saved_when_it_returns(browser, live_server, world, checklist):
    general, major, _optional = items(checklist)
    inspection = services.inspection_start_on_spot(
        kind=Kind.ROUTINE, unit=world.hq_unit, by=world.hq_officer, template=checklist
    )
    page = log_in(browser, live_server, "hq_officer", VIEWPORTS["phone"])
    page.goto(f"{live_server.url}{reverse('inspections:detail', args=[inspection.pk])}")
    answers = re.compile(r"/inspections/\d+/items/\d+/$")
    page.route(answers, lambda route: route.abort("internetdisconnected"))

    page.get_by_test_id(f"item-{general.pk}").get_by_role("button", name="不符合").click()
    page.get_by_test_id(f"item-{major.pk}").get_by_role("button", name="不适用").click()
    expect(page.get_by_test_id(f"item-{general.pk}").locator("[data-sync-state]")).to_contain_text("网络中断")
    expect(page.locator("[data-pending]")).to_contain_text("2 项")
    shoot(page, "inspection-phone-offline")
    assert not Answer.objects.exists()

    # The phone is closed and opened again before the network returns: the answers are still there.
    page.reload()
    expect(page.locator("[data-pending]")).to_contain_text("2 项")
    page.unroute(answers)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_test_id(f"item-{general.pk}").get_by_test_id("item-hazard")).to_be_visible()
    expect(page.locator("[data-pending]")).to_be_hidden()
    results = dict(Answer.objects.values_list("item_id", "result"))
    assert results == {general.pk: Result.FAIL, major.pk: Result.NOT_APPLICABLE}
    assert Hazard.objects.count() == 1


def test_without_the_script_an_answer_is_an_ordinary_post(client, world, checklist):
    general = items(checklist)[0]
    inspection = services.inspection_start_on_spot(
        kind=Kind.ROUTINE, unit=world.hq_unit, by=world.hq_officer, template=checklist
    )
    client.force_login(world.hq_officer)
    url = reverse("inspections:answer", args=[inspection.pk, general.pk])
    response = client.post(url, {"result": "fail", "comment": "未接地"})
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{general.pk}")
    assert Answer.objects.get().hazard is not None


def test_a_bad_answer_is_told_in_chinese_and_saves_nothing(client, world, checklist):
    general = items(checklist)[0]
    inspection = services.inspection_start_on_spot(
        kind=Kind.ROUTINE, unit=world.hq_unit, by=world.hq_officer, template=checklist
    )
    client.force_login(world.hq_officer)
    url = reverse("inspections:answer", args=[inspection.pk, general.pk])
    response = client.post(url, {"result": "maybe"}, headers={"X-Fragment": "1"})
    assert response.status_code == 400 and "有效" in response.content.decode()
    assert not Answer.objects.exists()


def test_an_outsider_gets_404_on_every_inspection_page(client, world, checklist):
    general = items(checklist)[0]
    inspection = services.inspection_start_on_spot(
        kind=Kind.ROUTINE, unit=world.hq_unit, by=world.hq_officer, template=checklist
    )
    client.force_login(world.wb_officer)
    assert client.get(reverse("inspections:detail", args=[inspection.pk])).status_code == 404
    answer_url = reverse("inspections:answer", args=[inspection.pk, general.pk])
    assert client.post(answer_url, {"result": "pass"}).status_code == 404
    assert client.post(reverse("inspections:complete", args=[inspection.pk]), {}).status_code == 404
    assert not Answer.objects.exists()


def test_the_printed_record_and_notice_list_the_answers_and_the_hazards_found(client, world, checklist):
    general, major, _optional = items(checklist)
    inspection = services.inspection_start_on_spot(
        kind=Kind.ROUTINE, unit=world.hq_unit, by=world.hq_officer, template=checklist
    )
    services.answer_record(
        inspection=inspection, item=general, result=Result.FAIL, comment="未接地", by=world.hq_officer
    )
    services.answer_record(inspection=inspection, item=major, result=Result.PASS, by=world.hq_officer)
    client.force_login(world.hq_officer)
    record = client.get(reverse("inspections:record", args=[inspection.pk])).content.decode()
    assert "安全生产检查记录" in record and world.hq_unit.name in record
    assert record.count("不符合（存在隐患）") == 1 and "未接地" in record and "未检查" in record
    notice = client.get(reverse("inspections:notice", args=[inspection.pk])).content.decode()
    hazard = Hazard.objects.get()
    assert hazard.number in notice and "1 项事故隐患" in notice
    assert general.default_requirements in notice
