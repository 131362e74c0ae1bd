"""One demo hazard's history, walked through ``hazards.choices.TRANSITIONS`` on a made-up calendar.

The rows a story produces are the rows the services would have written had people done these things
on those days: the same fields, the same event ``changes``, a version bumped once per event that went
through ``apply_transition`` (creation is version 1; the automatic 摘牌 does not bump it).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from accounts.models import ResponsibleUnit, User
from demo import words
from demo.places import CountyCast, Place
from hazards.choices import (
    Action,
    AuthorityLevel,
    Category,
    ExtensionStatus,
    Level,
    MajorStandard,
    Source,
    Status,
    StopProduction,
    VerificationMethod,
)
from hazards.models import ExtensionRequest, Hazard, HazardEvent, SupervisionListing
from hazards.workdays import add_working_days, is_working_day

DAY = datetime.timedelta(days=1)


# Open hazards with a deadline are drawn as overdue, due within three working days, or due later.
OVERDUE, DUE_SOON, DUE_LATER = "overdue", "due_soon", "due_later"


@dataclass(frozen=True)
class Outline:
    """What happens to a hazard, decided before its calendar is: the story fills in days and texts."""

    status: Status
    age: int  # days between discovery and today
    deadline: str = ""
    self_report: bool = False
    major: bool = False
    quick_fix: bool = False  # 即查即改
    supervised: bool = False  # 挂牌督办
    extension: ExtensionStatus | None = None
    rejections: int = 0
    void_from: Status | None = None

    def steps(self) -> list[str]:
        """The walk through TRANSITIONS, as the names of Story methods."""
        reached = self.void_from or self.status
        steps = ["self_report" if self.self_report else "list"]
        if reached == Status.LISTED:
            pass
        elif self.quick_fix:
            steps += ["quick_fix"] + (["verify"] if reached == Status.CLOSED else [])
        else:
            if not self.self_report:
                steps.append("assign")
            steps += ["supervise"] if self.supervised else []
            if reached != Status.ASSIGNED and not self.self_report:
                steps.append("acknowledge")
            steps += ["extension"] if self.extension else []
            if reached != Status.ASSIGNED:
                steps += ["submit", "reject"] * self.rejections
                steps += [] if reached == Status.RECTIFYING else ["submit"]
                steps += ["verify"] if reached == Status.CLOSED else []
        return steps + (["void"] if self.void_from else [])


@dataclass
class Plan:
    """The rows of one hazard, unsaved; the ledger numbers and writes them."""

    hazard: Hazard
    events: list[HazardEvent] = field(default_factory=list)
    listing: SupervisionListing | None = None
    extensions: list[ExtensionRequest] = field(default_factory=list)


def unit_value(unit: ResponsibleUnit) -> dict:
    """How ``hazards.services._core.event_value`` writes a unit into ``HazardEvent.changes``."""
    return {"id": unit.pk, "name": str(unit)}


class Clock:
    """Event times for one hazard: office hours on the given day, strictly increasing, never after now."""

    def __init__(self, rng: random.Random, now: datetime.datetime) -> None:
        self.rng = rng
        self.now = now
        self.tz = timezone.get_current_timezone()
        self.last: datetime.datetime | None = None

    def at(self, day: datetime.date) -> datetime.datetime:
        start = datetime.datetime.combine(day, datetime.time(), tzinfo=self.tz)
        end = min(start + DAY, self.now)
        lower = max(start, self.last) if self.last else start
        moment = start + datetime.timedelta(minutes=self.rng.randint(8 * 60 + 30, 17 * 60 + 30))
        if moment <= lower:
            moment = lower + datetime.timedelta(minutes=self.rng.randint(5, 90))
        if moment >= end:
            moment = lower + (end - lower) / 3
        self.last = moment
        return moment


class Story:
    """Plays an outline for one place in one county, from discovery up to today."""

    def __init__(
        self,
        *,
        rng: random.Random,
        today: datetime.date,
        now: datetime.datetime,
        cast: CountyCast,
        place: Place,
        outline: Outline,
    ) -> None:
        self.rng, self.today, self.cast, self.place, self.outline = rng, today, cast, place, outline
        self.clock = Clock(rng, now)
        self.day = today - outline.age * DAY
        group = words.SECTOR_GROUPS[place.sector.code]
        spot = rng.choice(words.SPOTS[words.SPOT_OF_GROUP.get(group, "industry")])
        self.item = self._major_item(group) if outline.major else None
        self.text = self._major_text(self.item) if self.item else self._general_text(group)
        if self.text.category == Category.BASIC_MANAGEMENT:
            spot = ""  # a gap in paperwork or training has no place on site
        self.plan = Plan(
            Hazard(
                title=self.text.title,
                description=f"{spot}：{self.text.description}" if spot else self.text.description,
                county=cast.county,
                region=place.unit.region,
                address=f"{place.unit.address}{spot}",
                sector=place.sector,
                category=self.text.category,
                factor=self.text.factor,
                source=Source.SELF_CHECK if outline.self_report else self._source(),
                found_at=self.clock.at(self.day),
                found_by=place.contact if outline.self_report else cast.officer,
            )
        )
        self.hazard = self.plan.hazard
        if self.item:
            self._major(self.item)

    def tell(self) -> Plan:
        for step in self.outline.steps():
            getattr(self, f"_{step}")()
        return self.plan

    # The calendar.

    def _later(self, least: int, most: int) -> datetime.date:
        """Move the story on by a few days, to a working day where possible, never past today."""
        day = self.day + self.rng.randint(least, most) * DAY
        while day < self.today and not is_working_day(day):
            day += DAY
        self.day = min(day, self.today)
        return self.day

    def _deadline(self) -> datetime.date:
        """整改期限 set at 交单: so many working days away, or placed around today as the outline asks."""
        today, start = self.today, self.day
        days = self.rng.choice((20, 30, 45, 60) if self.outline.major else (3, 5, 10, 15, 20, 30))
        natural = add_working_days(start, days)
        if self.outline.deadline == OVERDUE and natural >= today and start < today:
            return start + self.rng.randint(0, (today - start).days - 1) * DAY
        if self.outline.deadline == DUE_SOON:
            return add_working_days(today, self.rng.randint(1, 3)) if self.rng.random() < 0.8 else today
        if self.outline.deadline == DUE_LATER:
            return max(natural, add_working_days(today, self.rng.randint(4, 25)))
        return natural

    # Events, written the way apply_transition writes them.

    def _event(
        self,
        action: Action,
        actor: User,
        *,
        to: Status | None = None,
        changes: dict | None = None,
        comment: str = "",
        at: datetime.datetime | None = None,
        **fields,
    ) -> datetime.datetime:
        hazard = self.hazard
        at = at or self.clock.at(self.day)
        first = not self.plan.events
        target = to or hazard.status
        self.plan.events.append(
            HazardEvent(
                hazard=hazard,
                action=action,
                actor=actor,
                at=at,
                from_status="" if first else hazard.status,
                to_status=target,
                changes=changes or {},
                comment=comment,
            )
        )
        for name, value in fields.items():
            setattr(hazard, name, value)
        hazard.status = target
        if first:
            hazard.created_at = at
        elif action != Action.LIFT_SUPERVISION:
            hazard.version += 1
        hazard.updated_at = at
        return at

    def _list(self) -> None:
        self._event(Action.LIST, self.cast.officer, to=Status.LISTED)

    def _self_report(self) -> None:
        unit, deadline = self.place.unit, self._deadline()
        at = self._event(
            Action.SELF_REPORT,
            self.place.contact,
            to=Status.RECTIFYING,
            changes={"responsible_unit": [None, unit_value(unit)], "deadline": [None, deadline.isoformat()]},
            responsible_unit=unit,
            responsible_person=unit.contact_name,
            deadline=deadline,
        )
        self.hazard.assigned_at = self.hazard.acknowledged_at = at

    def _assign(self) -> None:
        self._later(0, 3)
        unit, deadline = self.place.unit, self._deadline()
        at = self.clock.at(self.day)
        self._event(
            Action.ASSIGN,
            self.cast.officer,
            to=Status.ASSIGNED,
            changes={"responsible_unit": [None, unit_value(unit)], "deadline": [None, deadline.isoformat()]},
            at=at,
            responsible_unit=unit,
            responsible_person=unit.contact_name,
            responsible_phone=unit.contact_phone,
            requirements=self.rng.choice(words.REQUIREMENTS),
            deadline=deadline,
            assigned_at=at,
        )

    def _supervise(self) -> None:
        self._later(0, 5)
        level = self.rng.choices(list(AuthorityLevel), weights=(1, 3, 6))[0]
        authority = {
            AuthorityLevel.PROVINCE: "河南省安全生产委员会办公室",
            AuthorityLevel.CITY: "新乡市安全生产委员会办公室",
            AuthorityLevel.COUNTY: f"{self.cast.county.name}安全生产委员会办公室",
        }[level]
        at = self.clock.at(self.day)
        # The notice number (督办通知书文号) is given later, in date order across the city: see ledger.py.
        self.plan.listing = SupervisionListing(
            hazard=self.hazard,
            authority_level=level,
            authority=authority,
            requirements=words.SUPERVISION_REQUIREMENTS,
            deadline=self.day + self.rng.randint(30, 90) * DAY,
            listed_by=self.cast.supervisor,
            listed_at=at,
        )
        self._event(
            Action.LIST_SUPERVISION,
            self.cast.supervisor,
            changes={"supervision": [None, None]},
            comment=words.SUPERVISION_REQUIREMENTS,
            at=at,
        )

    def _acknowledge(self) -> None:
        self._later(0, 2)
        at = self.clock.at(self.day)
        self._event(Action.ACKNOWLEDGE, self.place.contact, to=Status.RECTIFYING, at=at, acknowledged_at=at)

    def _extension(self) -> None:
        """延期: asked before the deadline; approval moves it and the event keeps both dates."""
        hazard, rng = self.hazard, self.rng
        latest = min(hazard.deadline, self.today)
        if self.day > latest:
            return  # the deadline passed before anyone asked
        self.day = max(self.day, latest - rng.randint(0, 5) * DAY)
        requested = hazard.deadline + rng.randint(7, 30) * DAY
        request = ExtensionRequest(
            hazard=hazard,
            current_deadline=hazard.deadline,
            requested_deadline=requested,
            reason=rng.choice(words.EXTENSION_REASONS),
            requested_by=self.place.contact,
        )
        request.requested_at = self._event(
            Action.REQUEST_EXTENSION,
            self.place.contact,
            changes={"requested_deadline": [hazard.deadline.isoformat(), requested.isoformat()]},
            comment=request.reason,
        )
        self.plan.extensions.append(request)
        if self.outline.extension == ExtensionStatus.PENDING:
            return
        self._later(0, 3)
        approve = self.outline.extension == ExtensionStatus.APPROVED
        request.status = self.outline.extension
        request.decided_by = self.cast.supervisor
        request.decision_comment = rng.choice(words.APPROVE_COMMENTS if approve else words.DENY_COMMENTS)
        changes = {"deadline": [hazard.deadline.isoformat(), requested.isoformat()]} if approve else {}
        request.decided_at = self._event(
            Action.APPROVE_EXTENSION if approve else Action.DENY_EXTENSION,
            self.cast.supervisor,
            changes=changes,
            comment=request.decision_comment,
            **({"deadline": requested} if approve else {}),
        )

    def _submit_day(self) -> datetime.date:
        """Most units report before the deadline; some late; a resubmission comes a few days after 退回."""
        hazard, rng = self.hazard, self.rng
        if self.plan.events[-1].action == Action.REJECT:
            return self._later(2, 10)
        days_left = (hazard.deadline - self.day).days
        if rng.random() < 0.85 and days_left >= 0:
            return self._later(0, min(days_left, 40))
        return self._later(max(days_left + 1, 0), max(days_left, 0) + 15)

    def _submit(self) -> None:
        self._submit_day()
        self._report_fixed(self.place.contact, since=self.hazard.acknowledged_at)

    def _quick_fix(self) -> None:
        """即查即改: the officer records the fix made during the inspection itself."""
        self._report_fixed(self.cast.officer, since=self.hazard.created_at)

    def _report_fixed(self, actor: User, since: datetime.datetime | None) -> None:
        first_day = timezone.localdate(since) if since else self.day
        at = self.clock.at(self.day)
        completed_on = max(first_day, self.day - self.rng.randint(0, 2) * DAY)
        self._event(
            Action.SUBMIT,
            actor,
            to=Status.SUBMITTED,
            at=at,
            measures=self.text.measures,
            completed_on=completed_on,
            cost=self._cost(),
            submitted_at=at,
        )

    def _reject(self) -> None:
        self._later(1, 4)
        reason = self.rng.choice(words.REJECT_REASONS)
        self._event(Action.REJECT, self.cast.supervisor, to=Status.RECTIFYING, comment=reason, submitted_at=None)

    def _verify(self) -> None:
        self._later(1, 6)
        supervisor, opinion = self.cast.supervisor, self.rng.choice(words.VERIFY_OPINIONS)
        at = self.clock.at(self.day)
        self._event(
            Action.VERIFY,
            supervisor,
            to=Status.CLOSED,
            comment=opinion,
            at=at,
            verification_method=self.rng.choices(list(VerificationMethod), weights=(7, 3))[0],
            verification_opinion=opinion,
            closed_at=at,
            closed_by=supervisor,
        )
        listing = self.plan.listing
        if listing is not None:  # 摘牌 in the same transaction as 销号, as hazard_verify does
            listing.lifted_at, listing.lifted_by = at, supervisor
            self._event(
                Action.LIFT_SUPERVISION,
                supervisor,
                changes={"supervision": [None, None]},
                comment="隐患已销号，自动摘牌。",
                at=at,
            )

    def _void(self) -> None:
        self._later(0, 10)
        reason = self.rng.choice(words.VOID_REASONS)
        self._event(Action.VOID, self.cast.supervisor, to=Status.VOID, comment=reason, void_reason=reason)

    # Details.

    def _source(self) -> Source:
        sources = [s for s in Source if s != Source.SELF_CHECK]
        return self.rng.choices(sources, weights=(45, 20, 12, 10, 6, 7))[0]

    def _cost(self) -> Decimal | None:
        """整改资金 in 元; a major hazard spends roughly what its plan set aside (万元)."""
        if self.outline.major:
            funds = self.hazard.plan_funds or Decimal(self.rng.randint(5, 500))
            return (funds * 10000 * Decimal(self.rng.randint(60, 120)) / 100).quantize(Decimal("1"))
        return None if self.rng.random() < 0.15 else Decimal(self.rng.randint(0, 300) * 50)

    def _general_text(self, group: str) -> words.HazardText:
        return self.rng.choice(words.HAZARD_TEXTS[group if self.rng.random() < 0.8 else "general"])

    def _major_item(self, group: str) -> words.MajorItem:
        items = words.MAJOR_ITEMS[group if group in words.MAJOR_ITEM_GROUPS else "other"]
        if group == "mine":  # coal mines and other mines have standards of their own
            coal = self.place.sector.code == "coal_mine"
            items = tuple(i for i in items if (i.standard == MajorStandard.COAL_MINE) == coal)
        return self.rng.choice(items)

    @staticmethod
    def _major_text(item: words.MajorItem) -> words.HazardText:
        """A major hazard is named after the item of the 判定标准 it matched."""
        basis = f"依据《{item.standard.label}》{item.clause}判定为重大事故隐患。"
        return words.HazardText(
            item.finding, f"{item.finding}，{basis}", words.MAJOR_MEASURES, item.category, item.factor
        )

    def _major(self, item: words.MajorItem) -> None:
        """重大事故隐患: the standard and item it matched, and the 五到位 plan — a few plans still incomplete."""
        rng, hazard = self.rng, self.hazard
        hazard.level = Level.MAJOR
        hazard.major_standard = item.standard
        hazard.major_standard_item = f"{item.clause}：{item.finding}"
        hazard.plan_measures = f"针对“{item.finding}”问题，委托专业机构制定整改技术方案，整改期间落实临时管控措施。"
        hazard.plan_responsibility = words.PLAN_RESPONSIBILITY
        hazard.plan_funds = Decimal(rng.randint(5, 5000)) / 10
        hazard.plan_deadline = self.day + rng.randint(30, 120) * DAY
        hazard.plan_contingency = words.PLAN_CONTINGENCY
        hazard.stop_production = rng.choices(list(StopProduction), weights=(5, 4, 1))[0]
        if rng.random() < 0.3:
            blanks = {"plan_measures": "", "plan_responsibility": "", "plan_funds": None, "plan_deadline": None}
            blanks["plan_contingency"] = ""
            for name in rng.sample(sorted(blanks), rng.randint(1, 3)):
                setattr(hazard, name, blanks[name])
