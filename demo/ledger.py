"""The demo ledger: about 3,000 hazards drawn, told as stories and played through ``hazards.services``.

Each story's steps are service calls with ``at=`` the day they happened, so the services are the one
writer of hazards, their events, listings and extension requests, and check every date against its day.
Stories are played in order of discovery, so the services number the hazards (YH-county-year-serial)
as they would have been numbered.
"""

from __future__ import annotations

import datetime
import random

from accounts.choices import UnitKind
from demo.places import HONGQI, City, CountyCast, Place
from demo.stories import DUE_LATER, DUE_SOON, OVERDUE, Outline, Plan, Played, Story
from hazards import services
from hazards.choices import OPEN_STATUSES, ExtensionStatus, Status

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


def play(plans: list[Plan]) -> None:
    """Every step of every story through the services, one story at a time in order of discovery,
    recorded as a history batch: the services check and decide each step, the rows are written in bulk."""
    with services.recording_history():
        for plan in sorted(plans, key=lambda p: p.details.found_at or p.steps[0].at):
            played = Played()
            for step in plan.steps:
                step.play(played)
