"""Reminders: each one planned once per (hazard, rule, deadline, recipient, channel), sent once."""

from __future__ import annotations

import datetime
import io
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.choices import Role
from hazards import services as hazard_services
from hazards.admin import EstimatedCountPaginator
from hazards.models import Hazard, ReminderSchedule
from reminders import services
from reminders.models import InboxMessage, Notification, ReminderRule
from tests.conftest import World, default_rule_rows, future_deadline
from tests.factories import UserFactory

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def rules(db) -> list[ReminderRule]:
    return [ReminderRule.objects.create(**row) for row in default_rule_rows()]


@pytest.fixture
def people(world: World) -> World:
    world.unit_demo.email = "unit@example.test"
    world.unit_demo.save()
    UserFactory(username="hq_leader", role=Role.SUPERVISOR, region=world.hongqi, is_leader=True)
    return world


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def test_sweep_run_twice_plans_each_notification_once(people, rules):
    hazard = people.rectifying()
    later = at(hazard.deadline + datetime.timedelta(days=8))

    first = services.sweep(now=later)
    count = Notification.objects.count()
    second = services.sweep(now=later)

    assert first.planned == count > 0
    assert second.planned == 0
    assert Notification.objects.count() == count


def test_a_missed_one_shot_reminder_is_not_sent_days_late(people, rules):
    hazard = people.rectifying()
    services.sweep(now=at(hazard.deadline + datetime.timedelta(days=12)))
    # Only the daily overdue reminder is due: "3 days before" is long past, the escalations too.
    assert set(Notification.objects.values_list("rule__name", flat=True)) == {"逾期后每日提醒责任单位"}


def test_overdue_hazard_reaches_the_escalation_ladder(people, rules):
    hazard = people.rectifying()
    for days in (3, 7):
        services.sweep(now=at(hazard.deadline + datetime.timedelta(days=days)))
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert {"unit_demo", "hq_supervisor", "hq_leader", "city"} <= recipients
    assert "wb_officer" not in recipients


def test_sweep_sets_the_next_time_and_skips_hazards_not_due(people, rules):
    hazard = people.rectifying()
    services.sweep(now=timezone.now())
    assert ReminderSchedule.objects.get(hazard=hazard).due_at > timezone.now()
    assert services.sweep(now=timezone.now()).hazards == 0


def test_two_sweeps_at_once_plan_each_notification_once(people, rules, transactional_db):
    for _ in range(5):
        people.rectifying()
    later = at(future_deadline() + datetime.timedelta(days=8))
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(services.sweep(now=later, batch_size=2))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    planned = sum(r.planned for r in results)
    assert planned == Notification.objects.count() > 0
    keys = Notification.objects.values_list("hazard", "rule", "anchor_date", "occurrence", "recipient", "channel")
    assert len(set(keys)) == len(keys)


def test_a_sweep_with_two_connections_plans_each_notification_once(people, rules, transactional_db):
    for _ in range(7):
        people.rectifying()
    later = at(future_deadline() + datetime.timedelta(days=8))
    expected = len(services.sweep(now=later, dry_run=True).plans)

    result = services.sweep(now=later, batch_size=2, workers=2)

    assert result.hazards == 7
    assert result.planned == Notification.objects.count() == expected > 0
    keys = Notification.objects.values_list("hazard", "rule", "anchor_date", "occurrence", "recipient", "channel")
    assert len(set(keys)) == len(keys)
    assert not ReminderSchedule.objects.filter(due_at__lte=later).exists()


def test_approved_extension_starts_a_new_cycle(people, rules):
    hazard = people.rectifying()
    services.sweep(now=at(hazard.deadline))  # "on the day" for the first deadline
    extension = hazard_services.extension_request(
        hazard=Hazard.objects.get(pk=hazard.pk),
        by=people.unit_demo,
        requested_deadline=hazard.deadline + datetime.timedelta(days=20),
        reason="设备未到货",
    )
    hazard_services.extension_decide(extension=extension, by=people.hq_supervisor, approve=True, comment="同意")
    new_deadline = extension.requested_deadline

    services.sweep(now=at(new_deadline))

    anchors = set(Notification.objects.values_list("anchor_date", flat=True))
    assert anchors == {hazard.deadline, new_deadline}


def test_closed_hazard_gets_nothing_more(people, rules):
    hazard = people.submitted()
    services.sweep(now=at(hazard.deadline))
    pending = Notification.objects.filter(status="pending").count()
    assert pending > 0
    hazard_services.hazard_verify(
        hazard=Hazard.objects.get(pk=hazard.pk), by=people.hq_supervisor, method="on_site", opinion="同意"
    )

    assert services.sweep(now=at(hazard.deadline + datetime.timedelta(days=9))).planned == 0
    assert services.send_digests(now=at(hazard.deadline, 10)) == 0
    assert not InboxMessage.objects.exists()
    assert Notification.objects.filter(status="skipped").count() == pending


def test_digest_is_one_message_per_recipient_most_urgent_first(people, rules):
    late = people.rectifying()
    Hazard.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=4))
    soon = people.rectifying()
    hazard_services.schedule_reminders(hazard_ids=[late.pk, soon.pk], at=timezone.now())
    today = timezone.localdate()
    Hazard.objects.filter(pk=soon.pk).update(deadline=today)

    services.sweep(now=timezone.now())
    sent = services.send_digests(now=timezone.now())

    inbox = InboxMessage.objects.filter(recipient=people.unit_demo)
    assert inbox.count() == 1
    body = inbox.get().body
    assert body.index(late.number) < body.index(soon.number)
    assert "已逾期 4 天" in body
    assert len(mail.outbox) == 1
    assert sent >= 2  # inbox and email for the unit, plus the escalations
    assert services.send_digests(now=timezone.now()) == 0  # nothing pending: nothing sent, never empty


def test_major_hazard_reminder_goes_out_immediately(people, rules):
    hazard = people.rectifying(people.listed_major())
    three_before = ReminderRule.objects.get(level="major").first_date(hazard.deadline)

    services.sweep(now=at(three_before, 8))
    assert services.deliver_immediate(now=at(three_before, 8)) == 1

    message = InboxMessage.objects.get(recipient=people.unit_demo)
    assert hazard.number in message.body


def test_supervised_hazard_reminds_the_listing_authority(people, rules):
    hazard = people.listed_major()
    listing = hazard_services.supervision_start(
        hazard=hazard,
        by=people.supervisor_at(people.city),
        authority_level="city",
        requirements="限期治理",
        deadline=future_deadline(30),
    )
    services.sweep(now=at(listing.deadline - datetime.timedelta(days=3), 8))
    assert Notification.objects.filter(
        recipient=people.city_office, occurrence=listing.deadline - datetime.timedelta(days=3)
    ).exists()


def test_dry_run_writes_nothing(people, rules):
    hazard = people.rectifying()
    result = services.sweep(now=at(hazard.deadline + datetime.timedelta(days=8)), dry_run=True)
    assert result.plans
    assert not Notification.objects.exists()
    assert ReminderSchedule.objects.get(hazard=hazard).due_at <= timezone.now()


def test_working_days_before_skip_the_holiday(rules):
    rule = ReminderRule.objects.get(name="期限前 3 个工作日提醒责任单位")
    # Deadline Thursday 2026-10-08, right after National Day: the three working days before it are
    # 09-28, 09-29 and 09-30, so the reminder goes out on Monday 09-28.
    assert rule.first_date(datetime.date(2026, 10, 8)) == datetime.date(2026, 9, 28)


def test_rule_validation_names_the_allowed_values(db):
    from django.core.exceptions import ValidationError

    rule = ReminderRule(name="坏规则", offset_days=0, recipients=["boss"], channels=["pigeon"])
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "recipients" in error.value.message_dict


def test_inbox_api_lists_only_my_messages_and_marks_them_read(people):
    from rest_framework.test import APIClient

    mine = InboxMessage.objects.create(recipient=people.unit_demo, title="提醒", body="- YH-1")
    InboxMessage.objects.create(recipient=people.hq_officer, title="别人的", body="- YH-2")
    client = APIClient()
    client.force_authenticate(people.unit_demo)

    assert [m["id"] for m in client.get("/api/v1/inbox/").json()["results"]] == [mine.pk]
    assert client.get("/api/v1/inbox/unread-count/").json() == {"unread": 1}
    assert client.post(f"/api/v1/inbox/{mine.pk}/read/").json()["is_read"] is True
    assert client.get("/api/v1/inbox/unread-count/").json() == {"unread": 0}
    other = InboxMessage.objects.get(recipient=people.hq_officer)
    assert client.post(f"/api/v1/inbox/{other.pk}/read/").status_code == 404


def test_sms_channel_goes_through_the_provider_interface(people, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="reminders.sms")
    people.unit_demo.phone = "13800001234"
    people.unit_demo.save()
    ReminderRule.objects.create(
        name="短信测试",
        offset_days=0,
        day_kind="calendar",
        recipients=["unit_contact"],
        channels=["sms"],
        immediate=True,
    )
    hazard = people.rectifying()
    services.sweep(now=at(hazard.deadline))
    assert services.deliver_immediate(now=at(hazard.deadline)) == 1
    assert Notification.objects.get(channel="sms").status == "sent"
    assert any("138****1234" in r.getMessage() for r in caplog.records)


@pytest.fixture
def robot_server():
    from tests.robot_server import RobotServer

    with RobotServer() as server:
        yield server


def robot_rule() -> ReminderRule:
    return ReminderRule.objects.create(
        name="群机器人测试",
        offset_days=0,
        day_kind="calendar",
        recipients=["unit_contact"],
        channels=["robot"],
        immediate=True,
    )


def test_robot_channel_sends_one_merged_markdown_message_per_group(people, robot_server):
    from reminders.models import RobotTarget

    robot = robot_server.dingtalk_robot(secret="SEC-test")
    RobotTarget.objects.create(
        kind="dingtalk", name="红旗区安全群", region=people.hongqi, webhook_url=robot.webhook_url, secret="SEC-test"
    )
    RobotTarget.objects.create(kind="wecom", name="卫滨区群", region=people.weibin, webhook_url="http://127.0.0.1:9/x")
    robot_rule()
    first, second = people.rectifying(), people.rectifying()
    Hazard.objects.filter(pk=second.pk).update(deadline=first.deadline)

    services.sweep(now=at(first.deadline))
    assert services.deliver_immediate(now=at(first.deadline)) == 1

    (received,) = robot_server.received
    text = received.body["markdown"]["text"]
    assert first.number in text and second.number in text
    assert Notification.objects.filter(target__isnull=False, status="sent").count() == 2


def test_a_robot_with_a_wrong_secret_is_disabled_and_the_administrator_told(people, robot_server):
    from reminders.models import RobotTarget

    robot = robot_server.dingtalk_robot(secret="RIGHT")
    target = RobotTarget.objects.create(
        kind="dingtalk", name="红旗区安全群", region=people.hongqi, webhook_url=robot.webhook_url, secret="WRONG"
    )
    robot_rule()
    hazard = people.rectifying()
    services.sweep(now=at(hazard.deadline))

    assert services.deliver_immediate(now=at(hazard.deadline)) == 0

    target.refresh_from_db()
    assert not target.is_active
    assert Notification.objects.get(target=target).status == "failed"
    assert InboxMessage.objects.filter(recipient=people.admin, title__contains="红旗区安全群").exists()


def test_a_hazard_planned_again_counts_nothing_new(people, rules):
    hazard = people.rectifying()
    later = at(hazard.deadline + datetime.timedelta(days=8))
    assert services.sweep(now=later).planned > 0
    hazard_services.schedule_reminders(hazard_ids=[hazard.pk], at=timezone.now())
    assert services.sweep(now=later).planned == 0


def test_dry_run_at_a_given_moment_shows_what_would_be_sent_then_in_shanghai_time(people, rules):
    from django.core.management import call_command

    hazard = people.rectifying()
    seventh = hazard.deadline + datetime.timedelta(days=7)

    def dry_run(moment: str) -> str:
        out = io.StringIO()
        call_command("send_reminders", "--dry-run", "--now", moment, stdout=out)
        return out.getvalue()

    # 23:30 in Shanghai is still the sixth day overdue (15:30 UTC); half an hour after midnight, the seventh.
    before = dry_run(f"{seventh - datetime.timedelta(days=1)}T23:30")
    after = dry_run(f"{seventh}T00:30")

    assert "逾期 7 天提醒区县分管领导和市安委办" not in before
    assert f"隐患 {hazard.number}  规则「逾期后每日提醒责任单位」" in before
    assert f"隐患 {hazard.number}  规则「逾期 7 天提醒区县分管领导和市安委办」  期限 {hazard.deadline}" in after
    assert "接收人 hq_leader" in after and "接收人 city" in after
    assert f"（演练，按 {seventh} 00:30 计）" in after
    assert not Notification.objects.exists()
    assert ReminderSchedule.objects.get(hazard=hazard).due_at <= timezone.now()


def test_dry_run_moment_must_be_a_datetime_and_only_for_a_dry_run(people, rules):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="ISO date and time"):
        call_command("send_reminders", "--dry-run", "--now", "next monday")
    with pytest.raises(CommandError, match="--dry-run"):
        call_command("send_reminders", "--now", "2026-12-01T08:00")
    assert not Notification.objects.exists()


def test_a_new_rule_that_fires_earlier_is_not_missed(people, rules, django_capture_on_commit_callbacks):
    """Next times were computed from the old rules; a rule added later replans every open hazard."""
    hazard = people.rectifying()
    services.sweep(now=timezone.now())
    (schedule,) = ReminderSchedule.objects.filter(hazard=hazard)
    assert schedule.due_at > timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        ReminderRule.objects.create(
            name="期限前 30 天提醒", offset_days=-30, day_kind="calendar", recipients=["unit_contact"]
        )
    schedule.refresh_from_db()
    assert schedule.due_at <= timezone.now()


def test_the_ledger_in_the_admin_is_newest_first_by_id_with_the_estimating_pager(people, rules, client):
    """The ledger grows fastest of all tables: no sort on an unindexed column, no COUNT(*) of it all."""
    hazard = people.rectifying()
    services.sweep(now=at(hazard.deadline))
    services.sweep(now=at(hazard.deadline + datetime.timedelta(days=1)))
    client.force_login(people.admin)
    response = client.get("/admin/reminders/notification/")
    assert response.status_code == 200
    shown = [row.pk for row in response.context["cl"].result_list]
    assert shown == sorted(shown, reverse=True) and len(shown) >= 2
    assert response.context["cl"].queryset.query.order_by[0] == "-id"
    assert isinstance(response.context["cl"].paginator, EstimatedCountPaginator)
