"""Workflow notifications: follow the hazard events and plan a ledger row per event, person and channel.

The hazard services are not touched: every change writes a ``HazardEvent`` in its own transaction, and
``plan_events`` (a Celery beat task every 30 s, ``reminders-events``) reads the events after a cursor and
writes their ``Notification`` rows with ``INSERT … ON CONFLICT DO NOTHING``: the unique constraints keep
one row per (event, person, channel) and (event, robot), so a planner run twice, or two at once, or one
killed before it moved the cursor, never plans a message twice. Delivery (reminders.services.delivery)
then sends them like any reminder: the inbox at once, the other channels as the rule says (the digest
unless it is immediate).

An event id below the cursor may commit after a run read past it (ids are taken when the row is written,
not when its transaction commits), so each run looks again at the ``LOOKBACK`` ids below the cursor; an
event committed later than that many newer events is missed. On the first run the cursor starts at the
newest event: history is not notified.

Who hears what is data: the active ``ReminderRule`` rows with an ``event`` (defaults in migration 0008),
with their recipients resolved at planning time: the unit the event handed the hazard to (or took it
from), the supervisors of the hazard's county, its county leaders, the municipal office of its city, the
listing authority. Whoever did the change is not told of it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from hazards.choices import AuthorityLevel
from hazards.models import HazardEvent, SupervisionListing
from reminders.choices import Channel, Recipient
from reminders.models import EventCursor, ReminderRule, RobotTarget
from reminders.services.planning import _enqueue_immediate, _insert

# A ledger row to write: the columns of reminders.services.planning.Row, then the event id.
EventRow = tuple[int, int, datetime.date, datetime.date, int | None, int | None, str, bool, int]

# How many ids below the cursor each run reads again: events whose transaction committed late.
LOOKBACK = 1000
# Events planned per run at most; the next run (30 s later) goes on from there.
BATCH_SIZE = 5000


def plan_events(*, now: datetime.datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Plan the notifications of the events after the cursor; returns how many rows were new."""
    now = now or timezone.now()
    with transaction.atomic():
        cursor = _lock_cursor()
        if cursor is None:
            return 0  # another planner is at work, or this was the first run; the next run goes on
        rules = list(ReminderRule.objects.filter(is_active=True).exclude(event="").select_related("region"))
        actions = {rule.event for rule in rules}
        events = list(
            HazardEvent.objects.filter(
                pk__gt=max(cursor.last_event_id - LOOKBACK, cursor.start_event_id), action__in=actions
            )
            .select_related("hazard", "hazard__county", "hazard__region")
            .order_by("pk")[:batch_size]
        )
        newest = HazardEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        rows = _rows(events, rules)
        new_rows, immediate = _insert(rows, now=now, events=True) if rows else (0, False)
        # Up to the last event read when the batch was full, else up to the newest event of all (the
        # actions no rule names included): the next run starts there, less its look back.
        cursor.last_event_id = max(cursor.last_event_id, events[-1].pk if len(events) == batch_size else newest)
        cursor.updated_at = now
        cursor.save(update_fields=["last_event_id", "updated_at"])
        if immediate:
            transaction.on_commit(_enqueue_immediate, robust=True)
    return new_rows


def _lock_cursor() -> EventCursor | None:
    """The one cursor row, locked; None when another planner holds it, or when there was none: the first
    run makes it at the newest event, below which no run looks, so that turning this on does not notify
    the whole history."""
    cursor = EventCursor.objects.select_for_update(skip_locked=True).filter(pk=1).first()
    if cursor is not None:
        return cursor
    newest = HazardEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    EventCursor.objects.get_or_create(pk=1, defaults={"last_event_id": newest, "start_event_id": newest})
    return None


def _unit_of(event: HazardEvent) -> int | None:
    """The unit the event concerns: the one it handed the hazard to, else the one it took it from (撤回),
    else the hazard's own."""
    before, after = [*(event.changes or {}).get("responsible_unit", []), None, None][:2]
    for value in (after, before):
        if isinstance(value, dict) and value.get("id"):
            return int(value["id"])
    return event.hazard.responsible_unit_id


def _rows(events: list[HazardEvent], rules: list[ReminderRule]) -> list[EventRow]:
    units = {_unit_of(event) for event in events} - {None}
    counties = {event.hazard.county_id for event in events}
    cities = {event.hazard.county.parent_id for event in events} - {None}
    people = _people(units=units, counties=counties, cities=cities)
    listings = dict(
        SupervisionListing.objects.filter(hazard_id__in={event.hazard_id for event in events}, lifted_at__isnull=True)
        .order_by("listed_at")
        .values_list("hazard_id", "authority_level")
    )
    robots = list(RobotTarget.objects.filter(is_active=True).select_related("region"))
    rows: list[EventRow] = []
    for event in events:
        hazard = event.hazard
        day = timezone.localdate(event.at)
        places = {
            Recipient.UNIT_CONTACT: [(Recipient.UNIT_CONTACT, _unit_of(event))],
            Recipient.COUNTY_SUPERVISOR: [(Recipient.COUNTY_SUPERVISOR, hazard.county_id)],
            Recipient.COUNTY_LEADER: [(Recipient.COUNTY_LEADER, hazard.county_id)],
            Recipient.MUNICIPAL_OFFICE: [(Recipient.MUNICIPAL_OFFICE, hazard.county.parent_id)],
            # A county listing is followed by the county's supervisors, a city or provincial one by the
            # municipal office (as for the deadline reminders).
            Recipient.LISTING_AUTHORITY: (
                []
                if hazard.pk not in listings
                else [(Recipient.COUNTY_SUPERVISOR, hazard.county_id)]
                if listings[hazard.pk] == AuthorityLevel.COUNTY
                else [(Recipient.MUNICIPAL_OFFICE, hazard.county.parent_id)]
            ),
        }
        for rule in rules:
            if not _applies(rule, event):
                continue
            chosen: set[int] = set()
            for kind in rule.recipients:
                for place in places.get(kind, []):
                    chosen.update(people.get(place, ()))
            chosen.discard(event.actor_id)
            for recipient_id in sorted(chosen):
                for channel in rule.channels:
                    if channel != Channel.ROBOT:
                        # The inbox at once (it costs nothing); other channels as the rule says.
                        immediate = rule.immediate or channel == Channel.INBOX
                        rows.append((hazard.pk, rule.pk, day, day, recipient_id, None, channel, immediate, event.pk))
            if Channel.ROBOT in rule.channels:
                for robot in robots:
                    if hazard.region.path.startswith(robot.region.path):
                        rows.append(
                            (hazard.pk, rule.pk, day, day, None, robot.pk, Channel.ROBOT, rule.immediate, event.pk)
                        )
    return rows


def _applies(rule: ReminderRule, event: HazardEvent) -> bool:
    hazard = event.hazard
    if rule.event != event.action:
        return False
    if rule.level and rule.level != hazard.level:
        return False
    return rule.region is None or hazard.region.path.startswith(rule.region.path)


def _people(*, units: set[int], counties: set[int], cities: set[int]) -> dict[tuple[str, int | None], list[int]]:
    """Active users by (kind, place id), in four queries: each person is found only at their own place."""
    people: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    active = User.objects.filter(is_active=True)
    for pk, unit_id in active.filter(role=Role.UNIT_CONTACT, unit_id__in=units).values_list("pk", "unit_id"):
        people[(Recipient.UNIT_CONTACT, unit_id)].append(pk)
    for pk, region_id in active.filter(role=Role.SUPERVISOR, region_id__in=counties).values_list("pk", "region_id"):
        people[(Recipient.COUNTY_SUPERVISOR, region_id)].append(pk)
    for pk, region_id in active.filter(is_leader=True, region_id__in=counties).values_list("pk", "region_id"):
        people[(Recipient.COUNTY_LEADER, region_id)].append(pk)
    for pk, region_id in active.filter(role=Role.MUNICIPAL_OFFICE, region_id__in=cities).values_list("pk", "region_id"):
        people[(Recipient.MUNICIPAL_OFFICE, region_id)].append(pk)
    return people
