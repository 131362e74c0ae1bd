"""The navbar names who is signed in, readable on its blue (WCAG AA: 4.5:1 for small text)."""

from __future__ import annotations

import re

import pytest

from tests.test_browser import log_in

VIEWPORTS = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 375, "height": 812}}


def luminance(css: str) -> float:
    red, green, blue = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_the_user_and_role_in_the_navbar_are_readable(browser, live_server, world, device):
    page = log_in(browser, live_server, "hq_supervisor", VIEWPORTS[device])
    menu = page.get_by_role("button", name="展开菜单")
    if menu.is_visible():
        menu.click()
        page.locator("#main-nav.show").wait_for()
    background = page.locator("nav.navbar").evaluate("e => getComputedStyle(e).backgroundColor")
    card = page.get_by_test_id("user-card")
    assert world.hq_supervisor.full_name in card.inner_text() and "监管审核人" in card.inner_text()
    for colour in card.locator("span").evaluate_all("spans => spans.map(s => getComputedStyle(s).color)"):
        assert "0.5" not in colour, colour  # no translucent text
        assert contrast(colour, background) >= 4.5, (colour, background)
    page.context.close()
