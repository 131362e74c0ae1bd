"""Back after 登记 in headless Chromium: the browser must not bring the filled form back to send again."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from hazards.models import Hazard
from tests.test_browser import VIEWPORTS, log_in, shoot


def test_back_after_registering_does_not_make_a_second_hazard(browser, live_server, world):
    page = log_in(browser, live_server, "hq_officer", VIEWPORTS["phone"])
    page.goto(f"{live_server.url}/hazards/new/")
    cascade = page.get_by_test_id("region-cascade").locator("select")
    cascade.nth(1).select_option(label="西街街道")
    expect(page.get_by_test_id("region-cascade").locator("select")).to_have_count(3)
    page.get_by_test_id("region-cascade").locator("select").nth(2).select_option(label="西街社区")
    page.get_by_label("行业领域").select_option(label=world.sector.name)
    page.get_by_label("隐患类别").select_option(label="现场管理类")
    page.get_by_label("隐患因素").select_option(label="物的因素")
    page.get_by_label("隐患名称").fill("配电箱未接地")
    page.get_by_label("隐患描述").fill("车间东侧配电箱外壳未接地。")
    with page.expect_navigation():
        page.get_by_test_id("submit-new").click()
    assert re.search(r"/hazards/\d+/$", page.url)

    page.go_back()
    page.wait_for_url(re.compile(r"/hazards/new/$"))
    expect(page.get_by_label("隐患名称")).to_have_value("")  # the browser does not restore what was sent
    shoot(page, "back-after-register")
    with page.expect_navigation():
        page.get_by_test_id("submit-new").click()
    assert Hazard.objects.count() == 1
    assert "/hazards/new/" in page.url or "已经提交过" in page.content()
