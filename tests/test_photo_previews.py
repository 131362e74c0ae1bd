"""A real phone photo (4000 × 3000) chosen on 登记 and 办单 in headless Chromium: a thumbnail, never wider
than the page."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.test_browser import VIEWPORTS, log_in, shoot


@pytest.fixture
def phone_photo(tmp_path):
    path = tmp_path / "IMG_20261202_101500.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (140, 120, 100)).save(buffer, format="JPEG", quality=80)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_4000_px_photo_previews_as_a_thumbnail_and_the_page_keeps_its_width(
    browser, live_server, world, phone_photo, device
):
    viewport = VIEWPORTS[device]
    page = log_in(browser, live_server, "hq_officer", viewport)
    page.goto(f"{live_server.url}/hazards/new/")
    page.get_by_test_id("file-input-photos").set_input_files(str(phone_photo))
    preview = page.locator("[data-photo-previews] img")
    expect(preview).to_have_count(1)
    page.wait_for_function("document.querySelector('[data-photo-previews] img').complete")
    box = preview.bounding_box()
    assert box["width"] <= 120 and box["height"] <= 120
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    description = page.get_by_label("隐患描述").bounding_box()
    assert description["width"] >= min(300, viewport["width"] - 60)  # the record column keeps its width
    shoot(page, f"photo-preview-{device}")
