"""Workflow notifications in the browser (issue 13): the unit's 消息 page lists the 交单 as a link that
opens the hazard, at phone and desk width; another unit's inbox stays empty."""

from __future__ import annotations

import pytest

from reminders import services
from reminders.models import InboxMessage, ReminderRule
from tests.test_browser import log_in
from tests.test_event_notifications import event_rule_rows

VIEWPORTS = {"desk": {"width": 1366, "height": 768}, "phone": {"width": 375, "height": 812}}


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_handed_over_hazard_reaches_the_unit_as_a_link(browser, live_server, world, device):
    for row in event_rule_rows():
        ReminderRule.objects.create(**row)
    services.plan_events()  # the cursor starts here
    hazard = world.assigned()
    services.plan_events()
    services.deliver_immediate()
    viewport = VIEWPORTS[device]

    page = log_in(browser, live_server, "unit_demo", viewport)
    assert page.get_by_test_id("unread-badge").inner_text().strip().endswith("1")
    page.goto(f"{live_server.url}/messages/")
    link = page.get_by_test_id("message-items").get_by_role("link")
    assert link.count() == 1
    assert link.inner_text() == f"【交单】{hazard.number} {hazard.title}（整改期限 {hazard.deadline.isoformat()}）"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    link.click()
    page.wait_for_url(f"{live_server.url}/hazards/{hazard.pk}/")
    assert hazard.number in page.content()
    page.context.close()

    outsider = log_in(browser, live_server, "wb_contact", viewport)
    outsider.goto(f"{live_server.url}/messages/")
    assert "暂无消息" in outsider.content()
    outsider.context.close()
    assert InboxMessage.objects.count() == 1
