"""The 统计看板 in Chromium, at a phone's width and a desktop's: it draws without a console error or a
policy violation, and a click on a county's bar opens the hazard list with that county's filters.
Screenshots go to test-artifacts/screenshots/dashboard-*.png."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from tests.test_browser import log_in, scene, shoot  # noqa: F401  (scene is a fixture)
from tests.test_browser_csp import real, unexpected, watch

WIDTHS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1366, "height": 900}}

# The middle of a bar, in page pixels, from ECharts' own coordinate system.
BAR_MIDDLE = """([index]) => {
  const element = document.getElementById("chart-areas");
  const chart = echarts.getInstanceByDom(element);
  const value = chart.getOption().series[0].data[index];
  const [x, y] = chart.convertToPixel({seriesIndex: 0}, [index, value / 2]);
  const box = element.getBoundingClientRect();
  return {x: box.left + window.scrollX + x, y: box.top + window.scrollY + y};
}"""


@pytest.mark.parametrize("device", list(WIDTHS))
def test_the_city_dashboard_draws_and_a_bar_opens_the_county_list(browser, live_server, scene, device):  # noqa: F811
    world = scene["world"]
    world.closed()  # 红旗区 has a closure rate above zero: a bar with a height to click
    page = log_in(browser, live_server, "city", WIDTHS[device])
    errors = watch(page)
    page.goto(f"{live_server.url}/")
    page.locator("body[data-charts-ready]").wait_for()
    page.wait_for_load_state("networkidle")
    for chart in ("chart-areas", "chart-heat", "chart-trend"):
        box = page.locator(f"#{chart} canvas").first.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 200, (chart, box)
    if device == "phone":
        # Stacked: each chart below the one before, none wider than the screen.
        areas, heat = (page.locator(f"#{c}").bounding_box() for c in ("chart-areas", "chart-heat"))
        assert heat["y"] >= areas["y"] + areas["height"] and areas["width"] <= 375
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.get_by_test_id("ranking-rule").is_visible()
    assert "数据截至" in page.get_by_test_id("as-of").inner_text()
    shoot(page, f"dashboard-{device}")

    names = page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-areas')).getOption().xAxis[0].data")
    assert names[0] == "红旗区"  # sorted by closure rate: 1 of 6 closed, 卫滨区 none found
    page.locator("#chart-areas").scroll_into_view_if_needed()
    point = page.evaluate(BAR_MIDDLE, [0])
    page.mouse.click(point["x"] - page.evaluate("window.scrollX"), point["y"] - page.evaluate("window.scrollY"))
    page.wait_for_url("**/hazards/?**")
    params = parse_qs(urlsplit(page.url).query)
    year = timezone.localdate().year
    assert params == {
        "counted": ["true"],
        "region": [world.city.code],
        "found_from": [f"{year}-01-01"],
        "found_to": [f"{year}-12-31"],
        "county": [world.hongqi.code],
    }
    assert "区县代码：红旗区" in page.get_by_test_id("report-filters").inner_text()
    assert page.get_by_test_id("total").inner_text() == "共 6 条"
    shoot(page, f"dashboard-{device}-drilled")

    assert unexpected(page.evaluate("window.__violations")) == []
    assert real(errors) == []
