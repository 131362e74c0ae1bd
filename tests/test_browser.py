"""The browser app in Debian's headless Chromium, driven by Playwright against a live server.

Screenshots of every step go to test-artifacts/screenshots/ (git-ignored) for a reviewer to look at.
Chromium comes from the distribution (``apt-get install chromium``; .ci/run installs it), never from
``playwright install``, which would download a browser at run time.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect as playwright_expect

from hazards import services
from hazards.choices import AuthorityLevel
from tests.conftest import CHROMIUM, future_deadline, png_upload

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}

assert CHROMIUM.exists(), "Debian's chromium is missing: .ci/run installs it (apt-get install chromium)"


@pytest.fixture
def scene(world):
    """A few hazards of 红旗区 at different stages, one of them major and under 挂牌督办."""
    world.listed()
    world.listed(title="消防通道堵塞")
    world.assigned()
    submitted = world.submitted()
    major = world.listed_major()
    services.supervision_start(
        hazard=major,
        by=world.hq_supervisor,
        authority_level=AuthorityLevel.COUNTY,
        requirements="限期完成泄爆装置改造。",
        deadline=future_deadline(30),
    )
    return {"world": world, "submitted": submitted}


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    # A full-page screenshot resizes the viewport for a moment; let two frames pass so the next click
    # lands on the page as laid out again instead of being lost.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def log_in(browser, live_server, username: str, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("demo12345")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def log_out(page) -> None:
    menu = page.get_by_role("button", name="展开菜单")
    if menu.is_visible():  # at phone width the navigation is collapsed behind the menu button
        menu.click()
        page.locator("#main-nav.show").wait_for()  # the collapse animation has ended
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login/$"))


def card_count(page, key: str) -> int:
    return int(page.locator(f'[data-card="{key}"] [data-count]').inner_text())


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_an_officer_finds_a_hazard_and_an_outsider_gets_404(browser, live_server, scene, device):
    viewport = VIEWPORTS[device]
    prefix = "" if device == "desktop" else f"{device}-"
    submitted = scene["submitted"]

    page = log_in(browser, live_server, "hq_officer", viewport)
    assert "工作台" in page.title()
    assert card_count(page, "listed") == 3
    assert card_count(page, "submitted") == 1
    assert card_count(page, "supervised") == 1
    shoot(page, f"{prefix}home")

    page.locator('[data-card="submitted"]').click()
    page.wait_for_url(re.compile(r"/hazards/\?status=submitted"))
    assert page.locator("tbody tr").count() == 1

    page.goto(f"{live_server.url}/hazards/")
    assert page.locator("tbody tr").count() == 5
    table_header = page.locator("table.hazard-table thead")
    if device == "phone":
        # Cards, not a table: no header row, and each hazard is a full-width block.
        assert not table_header.is_visible()
        assert page.locator("tbody tr").first.evaluate("tr => getComputedStyle(tr).display") == "block"
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    else:
        assert table_header.is_visible()
    shoot(page, f"{prefix}list")

    filters = page.locator("details[data-filters]")
    if device == "phone":  # folded behind their button, so the first screen shows hazards
        assert filters.get_attribute("open") is None
        assert page.locator("tbody tr").first.bounding_box()["y"] < viewport["height"]
        page.get_by_text("筛选条件").click()
    else:
        assert filters.get_attribute("open") is not None
    page.get_by_label("待验收").check()
    page.get_by_label("关键词").fill("配电箱")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"status=submitted.*q=%E9%85%8D%E7%94%B5%E7%AE%B1"))
    assert page.locator("tbody tr").count() == 1
    assert page.get_by_test_id("total").inner_text() == "共 1 条"
    if device == "phone":
        page.get_by_text("筛选条件").click()
    assert page.get_by_label("待验收").is_checked()
    shoot(page, f"{prefix}list-filtered")

    page.get_by_role("link", name=submitted.title).click()
    page.wait_for_url(f"{live_server.url}/hazards/{submitted.pk}/")
    assert page.get_by_test_id("hazard-title").inner_text() == submitted.title
    assert page.get_by_test_id("status").inner_text() == "待验收"
    assert page.get_by_test_id("timeline").get_by_text("签收").count() >= 1
    # The evidence photo loads through the scoped download view. It is lazy: on a phone it sits below the
    # fold and loads when scrolled to, as a user would.
    photo = page.get_by_test_id("photos").locator("img").first
    photo.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle(), timeout=10_000)
    shoot(page, f"{prefix}detail")
    detail_url = page.url

    log_out(page)
    shoot(page, f"{prefix}logged-out")
    page.context.close()

    outsider = log_in(browser, live_server, "wb_officer", viewport)
    response = outsider.goto(detail_url)
    assert response.status == 404
    assert outsider.get_by_role("heading", name="页面不存在").is_visible()
    assert submitted.title not in outsider.content()
    shoot(outsider, f"{prefix}outsider-404")
    outsider.context.close()


def open_form(page, slug: str):
    """Unfold one form of the action panel and return it."""
    panel = page.locator(f'details[data-action="{slug}"]')
    panel.locator("summary").click()
    return panel.locator("form")


def send(page, form, slug: str) -> None:
    with page.expect_navigation():
        form.get_by_test_id(f"submit-{slug}").click()


def status_of(page) -> str:
    return page.get_by_test_id("status").inner_text()


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_one_hazard_lives_its_whole_life_in_the_browser(browser, live_server, world, device, tmp_path):
    """hq_officer lists and hands over, unit_demo fixes, hq_supervisor rejects once, then strikes it off."""
    viewport = VIEWPORTS[device]
    prefix = f"life-{device}-"
    expect = playwright_expect
    photo = tmp_path / "scene.png"
    photo.write_bytes(png_upload().read())

    # 列单, first with the title forgotten: the error is Chinese, the text and the photo are kept.
    page = log_in(browser, live_server, "hq_officer", viewport)
    page.goto(f"{live_server.url}/hazards/new/")
    cascade = page.get_by_test_id("region-cascade").locator("select")
    expect(cascade.nth(0)).to_have_value(world.hongqi.code)
    cascade.nth(1).select_option(label="西街街道")
    expect(page.get_by_test_id("region-cascade").locator("select")).to_have_count(3)
    page.get_by_test_id("region-cascade").locator("select").nth(2).select_option(label="西街社区")
    page.get_by_label("行业领域").select_option(label=world.sector.name)
    page.get_by_label("隐患类别").select_option(label="现场管理类")
    page.get_by_label("隐患因素").select_option(label="物的因素")
    page.get_by_label("隐患描述").fill("车间东侧配电箱外壳未接地，存在触电风险。")
    page.get_by_test_id("file-input-photos").set_input_files(str(photo))
    expect(page.locator("[data-photo-previews] img")).to_have_count(1)
    assert not page.locator("[data-major-only]").is_visible()
    page.get_by_label("隐患等级").select_option(label="重大")
    assert page.locator("[data-major-only]").is_visible()
    page.get_by_label("隐患等级").select_option(label="一般")
    with page.expect_navigation():
        page.get_by_test_id("submit-new").click()
    expect(page.get_by_test_id("error-title")).to_have_text("该字段是必填项。")
    expect(page.get_by_label("隐患描述")).to_have_value("车间东侧配电箱外壳未接地，存在触电风险。")
    expect(page.get_by_test_id("staged-files")).to_contain_text("scene.png")
    expect(page.get_by_test_id("region-cascade").locator("select").nth(2)).to_have_value(world.hq_village.code)
    shoot(page, f"{prefix}01-new-errors")
    page.get_by_label("隐患名称").fill("配电箱未接地")
    with page.expect_navigation():
        page.get_by_test_id("submit-new").click()
    assert re.search(r"/hazards/\d+/$", page.url)
    assert status_of(page) == "已登记"
    expect(page.get_by_test_id("photos").locator("img")).to_have_count(1)
    detail_url = page.url
    actions, record = page.get_by_test_id("actions").bounding_box(), page.get_by_test_id("photos").bounding_box()
    if device == "phone":  # what may be done comes first on a phone, above the record
        assert actions["y"] < record["y"]
    else:  # beside the record on a desk
        assert actions["x"] > record["x"] + record["width"] - 1
    shoot(page, f"{prefix}02-listed")

    # 交单: the unit found by its pinyin initials, the deadline as 5 working days.
    form = open_form(page, "assign")
    with page.expect_response(re.compile(r"/pickers/units/\?q=xxshq")):
        form.get_by_test_id("unit-search").fill("xxshq")
    # The only match is chosen at once.
    expect(form.locator("select[name=unit]")).to_have_value(str(world.hq_unit.pk))
    form.get_by_label("整改责任人").fill("李四")
    form.get_by_label("整改要求").fill("立即整改，规范接地。")
    form.get_by_label("或：自今日起工作日数").fill("5")
    expect(form.get_by_test_id("workdays-preview")).to_contain_text("即 ")
    # The form alone: a full-page screenshot resizes the viewport and can swallow the next click.
    form.screenshot(path=str(SCREENSHOTS / f"{prefix}03-assign-form.png"))
    send(page, form, "assign")
    assert status_of(page) == "已交办"
    with page.expect_popup() as popup:
        page.get_by_test_id("print-notice").click()
    notice = popup.value
    notice.wait_for_load_state()
    expect(notice.get_by_test_id("addressee")).to_contain_text(world.hq_unit.name)
    shoot(notice, f"{prefix}04-rectification-notice")
    notice.close()
    log_out(page)
    page.context.close()

    # 签收 and 办单 by the unit, with the after-photo.
    page = log_in(browser, live_server, "unit_demo", viewport)
    page.goto(detail_url)
    send(page, open_form(page, "acknowledge"), "acknowledge")
    assert status_of(page) == "整改中"

    def rectify(measures: str) -> None:
        form = open_form(page, "submit")
        form.get_by_label("整改措施").fill(measures)
        form.get_by_test_id("file-input-photos").set_input_files(str(photo))
        send(page, form, "submit")
        assert status_of(page) == "待验收"

    rectify("已重新敷设接地线。")
    shoot(page, f"{prefix}05-submitted")
    log_out(page)
    page.context.close()

    # 退回 once, fixed again, then 销号.
    page = log_in(browser, live_server, "hq_supervisor", viewport)
    page.goto(detail_url)
    form = open_form(page, "reject")
    send(page, form, "reject")
    expect(form.get_by_test_id("error-reason")).to_have_text("该字段是必填项。")
    page.locator('details[data-action="reject"] form').get_by_label("理由").fill("接地电阻仍不合格。")
    send(page, page.locator('details[data-action="reject"] form'), "reject")
    assert status_of(page) == "整改中"
    shoot(page, f"{prefix}06-rejected")
    log_out(page)
    page.context.close()

    page = log_in(browser, live_server, "unit_demo", viewport)
    page.goto(detail_url)
    rectify("更换接地线并复测合格。")
    log_out(page)
    page.context.close()

    page = log_in(browser, live_server, "hq_supervisor", viewport)
    page.goto(detail_url)
    form = open_form(page, "verify")
    form.get_by_label("验收意见").fill("复查合格，同意销号。")
    send(page, form, "verify")
    assert status_of(page) == "已销号"
    timeline = page.get_by_test_id("timeline")
    expect(timeline.get_by_text("退回", exact=True)).to_have_count(1)
    expect(timeline.get_by_text("办单", exact=True)).to_have_count(2)
    if device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shoot(page, f"{prefix}07-closed")
    page.context.close()
