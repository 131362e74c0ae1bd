"""The demo ledger: about 3,000 hazards drawn, told as stories, numbered and written in bulk.

Rows are written directly rather than through ``hazards.services`` because the services stamp the
present time and the demo needs fourteen months of history; ``stories.Story`` writes what the services
would have written on those days.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter

from django.utils import timezone

from accounts.choices import UnitKind
from demo.places import HONGQI, City, CountyCast, Place
from demo.stories import DUE_LATER, DUE_SOON, OVERDUE, Outline, Plan, Story
from hazards.choices import OPEN_STATUSES, Action, AuthorityLevel, ExtensionStatus, Status
from hazards.models import (
    ExtensionRequest,
    Hazard,
    HazardEvent,
    HazardNumberSequence,
    ReminderSchedule,
    SupervisionListing,
)

HAZARD_COUNT = 3000
MAJOR_SHARE = 0.095
STATUS_WEIGHTS = {
    Status.CLOSED: 60,
    Status.RECTIFYING: 13,
    Status.ASSIGNED: 7,
    Status.SUBMITTED: 7,
    Status.LISTED: 6,
    Status.VOID: 4,
}
# unit_demo's enterprise has hazards at every stage of 交单 and 办单, some overdue, one extension awaiting a
# decision, most closed: (status, deadline, extension).
DEMO_UNIT_OUTLINES: tuple[tuple[Status, str, ExtensionStatus | None], ...] = (
    (Status.ASSIGNED, DUE_SOON, None),
    (Status.ASSIGNED, OVERDUE, None),
    (Status.ASSIGNED, DUE_LATER, None),
    (Status.RECTIFYING, OVERDUE, None),
    (Status.RECTIFYING, OVERDUE, None),
    (Status.RECTIFYING, DUE_SOON, None),
    (Status.RECTIFYING, DUE_LATER, ExtensionStatus.PENDING),
    (Status.RECTIFYING, DUE_LATER, None),
    *((Status.SUBMITTED, "", None),) * 4,
    *((Status.CLOSED, "", None),) * 16,
    (Status.VOID, "", None),
)


def _age(rng: random.Random, status: Status, deadline: str, major: bool) -> int:
    """Days since discovery: recent for hazards still at the start of the walk, up to 14 months for others."""
    if status == Status.LISTED:
        return rng.randint(0, 10) if rng.random() < 0.85 else rng.randint(11, 60)
    if status in (Status.ASSIGNED, Status.RECTIFYING):
        oldest_overdue = 300 if status == Status.RECTIFYING else 60
        low, high = {OVERDUE: (8, oldest_overdue), DUE_SOON: (1, 20), DUE_LATER: (0, 30)}[deadline]
        return rng.randint(low, high)
    if status == Status.SUBMITTED:
        return rng.randint(1, 60)
    if status == Status.CLOSED:
        return rng.randint(40 if major else 7, 425)
    return rng.randint(1, 425)


def draw_outline(
    rng: random.Random,
    status: Status | None = None,
    deadline: str = "",
    extension: ExtensionStatus | None = None,
    handed_over: bool = False,
) -> Outline:
    """What happens to one hazard. ``handed_over`` keeps it with a responsible unit (no 即查即改, no void at 列单)."""
    status = status or rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    self_report = status in (Status.RECTIFYING, Status.SUBMITTED, Status.CLOSED, Status.VOID) and rng.random() < 0.1
    void_from = None
    if status == Status.VOID:
        if self_report or handed_over:
            void_from = rng.choices((Status.RECTIFYING, Status.SUBMITTED), weights=(7, 3))[0]
        else:
            void_from = rng.choices(OPEN_STATUSES, weights=(55, 25, 15, 5))[0]
    reached = void_from or status
    major = rng.random() < MAJOR_SHARE
    quick_fix = (
        not (major or self_report or handed_over or void_from)
        and reached in (Status.SUBMITTED, Status.CLOSED)
        and rng.random() < 0.12
    )
    supervised = (
        major
        and not (void_from or quick_fix)
        and reached != Status.LISTED
        and rng.random() < (0.4 if status == Status.CLOSED else 0.6)
    )
    rejections = 0
    if not quick_fix and reached not in (Status.LISTED, Status.ASSIGNED) and extension != ExtensionStatus.PENDING:
        rejections = rng.choices((0, 1, 2), weights=(90, 8, 2))[0]
    if status in (Status.ASSIGNED, Status.RECTIFYING) and not deadline:
        deadline = rng.choices((OVERDUE, DUE_SOON, DUE_LATER), weights=(35, 20, 45))[0]
    # A pending request belongs to an open hazard whose deadline has not passed.
    may_pend = status in (Status.ASSIGNED, Status.RECTIFYING) and not rejections and deadline != OVERDUE
    if extension is None and reached != Status.LISTED and not quick_fix and rng.random() < (0.15 if may_pend else 0.08):
        decided = (ExtensionStatus.PENDING, ExtensionStatus.APPROVED, ExtensionStatus.DENIED)
        extension = rng.choices(decided, weights=(50, 30, 20) if may_pend else (0, 60, 40))[0]
    return Outline(
        status=status,
        age=_age(rng, status, deadline, major),
        deadline=deadline,
        self_report=self_report,
        major=major,
        quick_fix=quick_fix,
        supervised=supervised,
        extension=extension,
        rejections=rejections,
        void_from=void_from,
    )


def plan_hazards(city: City, *, today: datetime.date, now: datetime.datetime) -> list[Plan]:
    rng = random.Random("hazards.demo.hazards")
    hongqi = next(cast for cast in city.counties if cast.county.code == HONGQI)

    def tell(cast: CountyCast, place: Place, outline: Outline) -> Plan:
        return Story(rng=rng, today=today, now=now, cast=cast, place=place, outline=outline).tell()

    plans = [
        tell(hongqi, city.demo_place, draw_outline(rng, status, deadline, extension, handed_over=True))
        for status, deadline, extension in DEMO_UNIT_OUTLINES
    ]
    # 红旗区, where the demo personas work, is the busiest county; enterprises get most hazards.
    county_weights = [1.5 if cast.county.code == HONGQI else 1.0 for cast in city.counties]
    while len(plans) < HAZARD_COUNT:
        cast = rng.choices(city.counties, weights=county_weights)[0]
        weights = [3 if p.unit.kind == UnitKind.ENTERPRISE else 1 for p in cast.places]
        place = rng.choices(cast.places, weights=weights)[0]
        plans.append(tell(cast, place, draw_outline(rng)))
    return plans


def number_hazards(plans: list[Plan]) -> dict[tuple[int, int], int]:
    """YH-county-year-serial in order of discovery, after any number already handed out."""
    last = {(s.county_id, s.year): s.last_value for s in HazardNumberSequence.objects.all()}
    used: dict[tuple[int, int], int] = {}
    for plan in sorted(plans, key=lambda p: p.hazard.found_at):
        hazard = plan.hazard
        year = timezone.localtime(hazard.found_at).year
        key = (hazard.county.pk, year)
        used[key] = last[key] = last.get(key, 0) + 1
        hazard.number = f"YH-{hazard.county.code}-{year}-{last[key]:06d}"
    return used


def number_notices(plans: list[Plan]) -> None:
    """督办通知书文号 such as 新安委办督〔2026〕3号, numbered per authority and year in order of listing."""
    issued: Counter[tuple[str, int]] = Counter()
    listed = sorted((p for p in plans if p.listing), key=lambda p: p.listing.listed_at)
    for plan in listed:
        listing = plan.listing
        prefix = {
            AuthorityLevel.PROVINCE: "豫安委办督",
            AuthorityLevel.CITY: "新安委办督",
            AuthorityLevel.COUNTY: f"{plan.hazard.county.name}安委办督",
        }[listing.authority_level]
        year = timezone.localtime(listing.listed_at).year
        issued[prefix, year] += 1
        listing.notice_number = f"{prefix}〔{year}〕{issued[prefix, year]}号"
        for event in plan.events:
            if event.action == Action.LIST_SUPERVISION:
                event.changes = {"supervision": [None, listing.notice_number]}
            elif event.action == Action.LIFT_SUPERVISION:
                event.changes = {"supervision": [listing.notice_number, None]}


def write(plans: list[Plan]) -> None:
    """Bulk inserts in order of discovery, so hazard ids grow with time as they would have."""
    plans = sorted(plans, key=lambda p: p.hazard.found_at)
    used = number_hazards(plans)
    number_notices(plans)
    Hazard.objects.bulk_create([p.hazard for p in plans], batch_size=500)
    # The reminder sweep plans every open hazard on its first run, as services do for new ones.
    ReminderSchedule.objects.bulk_create(
        [ReminderSchedule(hazard=p.hazard, due_at=p.hazard.updated_at) for p in plans if p.hazard.is_open],
        batch_size=1000,
    )
    HazardEvent.objects.bulk_create([e for p in plans for e in p.events], batch_size=1000)
    SupervisionListing.objects.bulk_create([p.listing for p in plans if p.listing], batch_size=500)
    ExtensionRequest.objects.bulk_create([x for p in plans for x in p.extensions], batch_size=500)
    # hazards.services.numbers.next_hazard_number continues from here.
    for (county_id, year), last_value in used.items():
        HazardNumberSequence.objects.update_or_create(
            county_id=county_id, year=year, defaults={"last_value": last_value}
        )
