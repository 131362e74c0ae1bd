"""The browser app in Debian's headless Chromium, driven by Playwright against a live server.

Screenshots of every step go to test-artifacts/screenshots/ (git-ignored) for a reviewer to look at.
Chromium comes from the distribution (``apt-get install chromium``; .ci/run installs it), never from
``playwright install``, which would download a browser at run time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from hazards import services
from hazards.choices import AuthorityLevel
from tests.conftest import future_deadline

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}

assert CHROMIUM.exists(), "Debian's chromium is missing: .ci/run installs it (apt-get install chromium)"


@pytest.fixture
def browser(monkeypatch) -> Iterator:
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The live server's request threads must not keep database connections open after a request
    # (DB_CONN_MAX_AGE), or dropping the test database at the end of the session finds them.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def scene(world):
    """A few hazards of 红旗区 at different stages, one of them major and under 挂牌督办."""
    world.listed()
    world.listed(title="消防通道堵塞")
    world.assigned()
    submitted = world.submitted()
    major = world.listed_major()
    services.supervision_list(
        hazard=major,
        by=world.hq_supervisor,
        authority_level=AuthorityLevel.CITY,
        authority="新乡市安全生产委员会办公室",
        notice_number="新安委督〔2026〕1号",
        requirements="限期完成泄爆装置改造。",
        deadline=future_deadline(30),
    )
    return {"world": world, "submitted": submitted}


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


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

    page.get_by_label("待验收").check()
    page.get_by_label("关键词").fill("配电箱")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"status=submitted.*q=%E9%85%8D%E7%94%B5%E7%AE%B1"))
    assert page.locator("tbody tr").count() == 1
    assert page.get_by_label("待验收").is_checked()
    shoot(page, f"{prefix}list-filtered")

    page.get_by_role("link", name=submitted.title).click()
    page.wait_for_url(f"{live_server.url}/hazards/{submitted.pk}/")
    assert page.get_by_test_id("hazard-title").inner_text() == submitted.title
    assert page.get_by_test_id("status").inner_text() == "待验收"
    assert page.get_by_test_id("timeline").get_by_text("签收").count() >= 1
    # The evidence photo loads through the scoped download view.
    photo = page.get_by_test_id("photos").locator("img").first
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
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
