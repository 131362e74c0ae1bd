"""Workflow notifications (issue 13): each hazard event tells the people whose job it now is, once, in
their inbox at once and by email in the digest, with a link to the hazard; nobody outside the
jurisdiction, and a planner run again plans nothing twice."""

from __future__ import annotations

import datetime
import importlib
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from hazards import services as hazard_services
from hazards.models import Hazard
from reminders import services
from reminders.models import EventCursor, InboxMessage, Notification, ReminderRule
from tests.conftest import World, future_deadline
from tests.factories import UnitFactory, UserFactory


def event_rule_rows() -> list[dict]:
    """The default event rules as the data migration installs them (tests run with --no-migrations)."""
    migration = importlib.import_module("reminders.migrations.0008_default_event_rules")
    return [
        {"name": name, "event": event, "offset_days": 0, "recipients": recipients, "channels": channels}
        for name, event, recipients, channels in migration.DEFAULT_EVENT_RULES
    ]


@pytest.fixture
def people(world: World) -> World:
    """The world with its event rules and the cursor set before anything happens in it."""
    for row in event_rule_rows():
        ReminderRule.objects.create(**row)
    world.unit_demo.email = "unit@example.test"
    world.unit_demo.save()
    world.hq_supervisor2 = UserFactory(username="hq_supervisor2", role=Role.SUPERVISOR, region=world.hongqi)
    services.plan_events()
    return world


def told(hazard: Hazard, action: str, channel: str = "inbox") -> set[str]:
    """Who was planned a notification of the hazard's ``action`` events on ``channel``."""
    rows = Notification.objects.filter(hazard=hazard, event__action=action, channel=channel)
    return set(rows.values_list("recipient__username", flat=True))


def test_handing_over_tells_the_unit_contact_and_nobody_else(people):
    hazard = people.assigned()

    assert services.plan_events() > 0
    assert told(hazard, "assign") == {"unit_demo"}
    assert told(hazard, "assign", "email") == {"unit_demo"}
    assert services.deliver_immediate() == 1
    message = InboxMessage.objects.get()
    assert message.recipient == people.unit_demo
    assert message.title == f"交单：{hazard.number}"
    line = f"【交单】{hazard.number} {hazard.title}（整改期限 {hazard.deadline.isoformat()}）"
    assert message.items == [[hazard.pk, line]]


def test_the_email_waits_for_the_digest(people):
    from django.core import mail

    people.assigned()
    services.plan_events()
    services.deliver_immediate()
    assert not mail.outbox
    services.send_digests()
    assert len(mail.outbox) == 1
    assert "【交单】" in mail.outbox[0].body


def test_sending_back_tells_the_unit_with_the_reason(people):
    hazard = hazard_services.hazard_reject(
        hazard=people.submitted(), by=people.hq_supervisor, reason="接地电阻未附检测报告"
    )
    services.plan_events()

    assert told(hazard, "reject") == {"unit_demo"}
    services.deliver_immediate()
    body = InboxMessage.objects.get(recipient=people.unit_demo).body  # with the 交单 of the same run
    assert f"【退回】{hazard.number} {hazard.title}：接地电阻未附检测报告" in body


def test_waiting_for_verification_tells_the_county_supervisors_only(people):
    hazard = people.submitted()
    services.plan_events()

    assert told(hazard, "submit") == {"hq_supervisor", "hq_supervisor2"}
    assert not Notification.objects.filter(recipient__in=[people.wb_supervisor, people.city_office]).exists()


def test_an_extension_request_tells_the_supervisors_and_its_decision_the_unit(people):
    hazard = people.rectifying()
    extension = hazard_services.extension_request(
        hazard=hazard,
        by=people.unit_demo,
        requested_deadline=hazard.deadline + datetime.timedelta(days=20),
        reason="设备未到货",
    )
    services.plan_events()
    assert told(hazard, "request_extension") == {"hq_supervisor", "hq_supervisor2"}

    hazard_services.extension_decide(extension=extension, by=people.hq_supervisor, approve=False, comment="理由不足")
    services.plan_events()
    assert told(hazard, "deny_extension") == {"unit_demo"}


def test_a_county_listing_tells_the_unit_and_the_other_supervisors_not_the_one_who_listed(people):
    hazard = people.rectifying(people.listed_major())
    hazard_services.supervision_start(
        hazard=hazard,
        by=people.hq_supervisor,
        authority_level="county",
        requirements="限期治理",
        deadline=future_deadline(30),
    )
    services.plan_events()

    assert told(hazard, "list_supervision") == {"unit_demo", "hq_supervisor2"}


def test_a_city_listing_also_tells_the_municipal_office(people):
    hazard = people.rectifying(people.listed_major())
    hazard_services.supervision_start(
        hazard=hazard,
        by=people.supervisor_at(people.city),
        authority_level="city",
        requirements="限期治理",
        deadline=future_deadline(30),
    )
    services.plan_events()

    # Listed by the city's supervisor: the county's supervisors all hear of it.
    assert told(hazard, "list_supervision") == {"unit_demo", "hq_supervisor", "hq_supervisor2", "city"}


def test_reassigning_tells_the_new_unit_and_recalling_the_old_one(people):
    other_unit = UnitFactory(region=people.hq_village, name="新乡市红旗五金厂")
    other_contact = UserFactory(username="other_contact", role=Role.UNIT_CONTACT, unit=other_unit)
    hazard = hazard_services.hazard_reassign(
        hazard=people.assigned(),
        by=people.hq_officer,
        unit=other_unit,
        responsible_person="王五",
        requirements="规范接地",
        reason="交错单位",
        deadline=future_deadline(),
    )
    hazard_services.hazard_recall(hazard=hazard, by=people.hq_officer, reason="重新核查")
    services.plan_events()

    assert told(hazard, "reassign") == {other_contact.username}
    assert told(hazard, "recall") == {other_contact.username}


def test_closing_tells_the_unit(people):
    hazard = people.closed()
    services.plan_events()

    assert told(hazard, "verify") == {"unit_demo"}


def test_history_before_the_first_run_is_not_notified(world):
    for row in event_rule_rows():
        ReminderRule.objects.create(**row)
    world.assigned()

    assert services.plan_events() == 0
    assert not Notification.objects.exists()


def test_planning_again_even_from_the_start_duplicates_nothing(people):
    hazard = people.submitted()
    planned = services.plan_events()
    services.deliver_immediate()
    rows, inbox = Notification.objects.count(), InboxMessage.objects.count()
    assert planned == rows > 0

    EventCursor.objects.update(last_event_id=0)  # a planner killed before it moved the cursor
    assert services.plan_events() == 0
    assert services.deliver_immediate() == 0
    assert (Notification.objects.count(), InboxMessage.objects.count()) == (rows, inbox)
    assert told(hazard, "assign") == {"unit_demo"}


def test_two_planners_at_once_plan_each_notification_once(people, transactional_db):
    for _ in range(5):
        people.assigned()
    EventCursor.objects.update(last_event_id=0)
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            services.plan_events()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    services.plan_events()

    assert Notification.objects.count() == 10  # 5 交单 × unit_demo × (inbox, email)


def test_the_inbox_page_links_each_item_to_its_hazard(people, client):
    hazard = people.assigned()
    services.plan_events()
    services.deliver_immediate()
    client.force_login(people.unit_demo)

    page = client.get(reverse("reminders:messages")).content.decode()

    assert f'href="{reverse("hazards:detail", args=[hazard.pk])}"' in page
    assert client.get(reverse("hazards:detail", args=[hazard.pk])).status_code == 200


def test_digest_lines_are_links_too(people, client):
    from tests.conftest import default_rule_rows

    for row in default_rule_rows():
        ReminderRule.objects.create(**row)
    hazard = people.rectifying()
    Hazard.objects.filter(pk=hazard.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=2))
    hazard_services.schedule_reminders(hazard_ids=[hazard.pk], at=timezone.now())
    services.sweep(now=timezone.now())
    services.send_digests(now=timezone.now())
    client.force_login(people.unit_demo)

    digest = InboxMessage.objects.get(recipient=people.unit_demo, title__startswith="隐患整改提醒")
    assert digest.items and digest.items[0][0] == hazard.pk
    assert (
        f'href="{reverse("hazards:detail", args=[hazard.pk])}"'
        in client.get(reverse("reminders:messages")).content.decode()
    )


def test_an_inactive_rule_tells_nobody(people):
    ReminderRule.objects.filter(event="assign").update(is_active=False)
    hazard = people.assigned()
    services.plan_events()

    assert told(hazard, "assign") == set()


def test_the_inbox_api_gives_each_item_its_hazard_addresses(people):
    from rest_framework.test import APIClient

    hazard = people.assigned()
    services.plan_events()
    services.deliver_immediate()
    client = APIClient()
    client.force_authenticate(people.unit_demo)

    (message,) = client.get("/api/v1/inbox/").json()["results"]

    (item,) = message["items"]
    assert item["hazard"] == hazard.pk
    assert item["url"] == f"/api/v1/hazards/{hazard.pk}/"
    assert item["page"] == f"/hazards/{hazard.pk}/"
    assert client.get(item["url"]).status_code == 200


def test_a_hazard_of_the_other_county_tells_only_its_own_people(people):
    hazard = hazard_services.hazard_register(details=people.details(region=people.weibin), by=people.wb_officer)
    hazard_services.hazard_assign(
        hazard=hazard,
        by=people.wb_officer,
        unit=people.wb_unit,
        responsible_person="赵六",
        requirements="整改",
        deadline=future_deadline(),
    )
    services.plan_events()

    assert told(hazard, "assign") == {"wb_contact"}
    assert not Notification.objects.filter(recipient__in=[people.unit_demo, people.hq_supervisor]).exists()


def test_a_rule_with_the_robot_channel_plans_one_row_per_robot_of_the_region(people):
    from reminders.models import RobotTarget

    hongqi = RobotTarget.objects.create(
        kind="wecom", name="红旗区群", region=people.hongqi, webhook_url="http://r.test/1"
    )
    RobotTarget.objects.create(kind="wecom", name="卫滨区群", region=people.weibin, webhook_url="http://r.test/2")
    ReminderRule.objects.filter(event="submit").update(channels=["inbox", "robot"])
    hazard = people.submitted()
    services.plan_events()
    EventCursor.objects.update(last_event_id=0)
    services.plan_events()

    robot_rows = Notification.objects.filter(hazard=hazard, event__action="submit", channel="robot")
    assert list(robot_rows.values_list("target", flat=True)) == [hongqi.pk]


def test_an_approved_extension_tells_the_unit_its_new_deadline(people):
    hazard = people.rectifying()
    new_deadline = hazard.deadline + datetime.timedelta(days=20)
    extension = hazard_services.extension_request(
        hazard=hazard, by=people.unit_demo, requested_deadline=new_deadline, reason="设备未到货"
    )
    hazard_services.extension_decide(extension=extension, by=people.hq_supervisor, approve=True, comment="同意")
    services.plan_events()
    services.deliver_immediate()

    body = InboxMessage.objects.get(recipient=people.unit_demo).body
    assert f"【批准延期】{hazard.number} {hazard.title}：同意（整改期限 {new_deadline.isoformat()}）" in body
