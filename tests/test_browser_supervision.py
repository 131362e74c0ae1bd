"""挂牌督办 in headless Chromium: the levels a supervisor is offered, and the notice the listing prints."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hazards.models import SupervisionListing
from tests.conftest import future_deadline
from tests.test_browser import log_in, open_form, send

VIEWPORTS = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 375, "height": 812}}


def level_options(form) -> list[str]:
    return form.locator('select[name="authority_level"] option').all_inner_texts()


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_county_supervisor_is_offered_only_county_level(browser, live_server, world, device):
    major = world.listed_major()
    page = log_in(browser, live_server, "hq_supervisor", VIEWPORTS[device])
    page.goto(f"{live_server.url}/hazards/{major.pk}/")
    form = open_form(page, "list-supervision")
    assert level_options(form) == ["县级"]
    expect(form.locator('select[name="authority_level"]')).to_have_value("county")
    assert form.locator('[name="authority"], [name="notice_number"]').count() == 0
    page.context.close()


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_city_supervisor_lists_at_county_level_and_the_notice_names_the_county(browser, live_server, world, device):
    major = world.assigned(world.listed_major())
    world.supervisor_at(world.city)
    page = log_in(browser, live_server, f"supervisor_{world.city.code}", VIEWPORTS[device])
    page.goto(f"{live_server.url}/hazards/{major.pk}/")
    form = open_form(page, "list-supervision")
    assert level_options(form) == ["市级", "县级"]
    expect(form.locator('select[name="authority_level"]')).to_have_value("city")
    form.locator('select[name="authority_level"]').select_option("county")
    form.get_by_label("督办要求").fill("限期完成泄爆装置改造。")
    form.get_by_label("督办期限").fill(future_deadline(30).isoformat())
    send(page, form, "list-supervision")

    number = f"红旗区安委办督〔{timezone.localdate().year}〕1号"
    assert SupervisionListing.objects.get().notice_number == number
    expect(page.get_by_text(number, exact=True)).to_be_visible()
    with page.expect_popup() as popup:
        page.get_by_test_id("print-supervision").click()
    notice = popup.value
    notice.wait_for_load_state()
    expect(notice.get_by_test_id("notice-number")).to_have_text(number)
    expect(notice.locator("body")).to_contain_text("红旗区安全生产委员会办公室决定对下列重大事故隐患实行县级挂牌督办")
    page.context.close()
