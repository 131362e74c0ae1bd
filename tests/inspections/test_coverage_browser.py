"""排查覆盖率 by sector in headless Chromium at phone width: the municipal office picks a sector, reads
the counties' figures in it and drills down to a county's units never inspected, with no console error
or policy violation and the page no wider than the phone."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.reports.test_official_coverage import city  # noqa: F401  (the hand-made city, a fixture)
from tests.test_browser import VIEWPORTS, log_in, shoot
from tests.test_browser_csp import watch


def test_the_city_filters_coverage_by_sector_and_drills_down_on_a_phone(browser, live_server, world, city):  # noqa: F811
    page = log_in(browser, live_server, "city", VIEWPORTS["phone"])
    errors = watch(page)
    page.goto(f"{live_server.url}/inspections/coverage/?start=2026-01-01&end=2026-06-20")
    by_sector = page.get_by_test_id("coverage-by-sector")
    expect(by_sector.locator('tr[data-sector="hazardous_chemicals"]')).to_contain_text("67%")
    page.get_by_label("行业领域").select_option(label="危险化学品")
    page.get_by_role("button", name="统计").click()
    table = page.get_by_test_id("coverage-table")
    expect(table.locator(f'tr[data-county="{world.hongqi.code}"]')).to_contain_text("50%")
    expect(table.locator(f'tr[data-county="{world.weibin.code}"]')).to_contain_text("100%")
    table.get_by_role("link", name="红旗区").click()
    missing = page.get_by_test_id("never-inspected")
    expect(missing).to_contain_text(city.chem_b.name)
    expect(missing).not_to_contain_text(city.machinery.name)
    assert "sector=hazardous_chemicals" in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
    shoot(page, "coverage-by-sector-phone")
    assert page.evaluate("window.__violations") == []
    assert errors == []
