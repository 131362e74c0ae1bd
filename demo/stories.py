"""One demo hazard's history: an outline walked through ``hazards.choices.TRANSITIONS`` on a made-up calendar.

A story decides who does what on which day and writes nothing: it returns the steps, each a call of a
``hazards.services`` function with ``at=`` that day's time, made as the person who would have acted (the
county officer lists and hands over, the unit's contact acknowledges, reports and asks for more time,
the county's supervisor lists for supervision, verifies, sends back, voids and decides extensions).
``ledger`` plays the steps; the services check them against those days and write every row and event.
"""

from __future__ import annotations

import datetime
import functools
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import User
from core.workdays import add_working_days, is_working_day
from demo import words
from demo.places import CountyCast, Place
from hazards import services
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
from hazards.models import ExtensionRequest, Hazard

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
class Played:
    """What a story's steps act on while it is played: the hazard once listed, its latest extension request."""

    hazard: Hazard | None = None
    extension: ExtensionRequest | None = None

    @property
    def listed(self) -> Hazard:
        assert self.hazard is not None, "a step ran before the hazard was listed"
        return self.hazard


@dataclass(frozen=True)
class Step:
    """One thing a person did on one hazard at ``at``: ``play`` makes the service call."""

    action: Action
    at: datetime.datetime
    play: Callable[[Played], object]


@dataclass
class Plan:
    """The story of one hazard, ready to be played in order of discovery."""

    details: services.HazardDetails
    steps: list[Step] = field(default_factory=list)


@functools.cache
def _after_photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (118, 140, 112)).save(buffer, format="JPEG", quality=60)
    return buffer.getvalue()


def after_photo() -> SimpleUploadedFile:
    """整改后照片: the services take no 办单 without one, so the demo brings a small plain picture."""
    return SimpleUploadedFile("after.jpg", _after_photo_bytes(), content_type="image/jpeg")


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
    """Plays an outline for one place in one county, from discovery up to today, as steps."""

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
        source = Source.SELF_CHECK if outline.self_report else self._source()
        found_at = self.clock.at(self.day)
        major = self._major(self.item) if self.item else None
        self.plan = Plan(
            services.HazardDetails(
                region=place.unit.region,
                sector=place.sector,
                title=self.text.title,
                description=f"{spot}：{self.text.description}" if spot else self.text.description,
                category=self.text.category,
                factor=self.text.factor,
                source=source,
                level=Level.MAJOR if major else Level.GENERAL,
                address=f"{place.unit.address}{spot}",
                found_at=found_at,
                major=major,
            )
        )
        # What later steps depend on, as the story goes.
        self.deadline: datetime.date | None = None
        self.created_at = self.acknowledged_at = found_at
        self.last_action: Action | None = None

    def tell(self) -> Plan:
        for step in self.outline.steps():
            getattr(self, f"_{step}")()
        return self.plan

    def _step(self, action: Action, at: datetime.datetime, play: Callable[[Played], object]) -> None:
        self.plan.steps.append(Step(action, at, play))
        self.last_action = action

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

    # The steps, each made by the person whose job it is.

    def _list(self) -> None:
        details, officer, at = self.plan.details, self.cast.officer, self.clock.at(self.day)
        self.created_at = at

        def play(played: Played) -> None:
            played.hazard = services.hazard_register(details=details, by=officer, at=at)

        self._step(Action.LIST, at, play)

    def _self_report(self) -> None:
        details, contact = self.plan.details, self.place.contact
        unit, deadline = self.place.unit, self._deadline()
        at = self.clock.at(self.day)
        self.created_at = self.acknowledged_at = at
        self.deadline = deadline

        def play(played: Played) -> None:
            played.hazard = services.hazard_self_report(
                details=details, by=contact, responsible_person=unit.contact_name, deadline=deadline, at=at
            )

        self._step(Action.SELF_REPORT, at, play)

    def _assign(self) -> None:
        self._later(0, 3)
        officer, unit, deadline = self.cast.officer, self.place.unit, self._deadline()
        at = self.clock.at(self.day)
        requirements = self.rng.choice(words.REQUIREMENTS)
        self.deadline = deadline

        def play(played: Played) -> None:
            played.hazard = services.hazard_assign(
                hazard=played.listed,
                by=officer,
                unit=unit,
                responsible_person=unit.contact_name,
                responsible_phone=unit.contact_phone,
                requirements=requirements,
                deadline=deadline,
                at=at,
            )

        self._step(Action.ASSIGN, at, play)

    def _supervise(self) -> None:
        self._later(0, 5)
        level = self.rng.choices(list(AuthorityLevel), weights=(1, 3, 6))[0]
        # Each level's own supervisor lists; the authority and the 文号 (in order of listing, per office and
        # year, when the history batch is written) follow from the level.
        supervisor, at = self.cast.listers[level], self.clock.at(self.day)
        deadline = self.day + self.rng.randint(30, 90) * DAY

        def play(played: Played) -> None:
            services.supervision_start(
                hazard=played.listed,
                by=supervisor,
                authority_level=level,
                requirements=words.SUPERVISION_REQUIREMENTS,
                deadline=deadline,
                at=at,
            )

        self._step(Action.LIST_SUPERVISION, at, play)

    def _acknowledge(self) -> None:
        self._later(0, 2)
        contact, at = self.place.contact, self.clock.at(self.day)
        self.acknowledged_at = at

        def play(played: Played) -> None:
            played.hazard = services.hazard_acknowledge(hazard=played.listed, by=contact, at=at)

        self._step(Action.ACKNOWLEDGE, at, play)

    def _extension(self) -> None:
        """延期: asked before the deadline; approval moves it and the event keeps both dates."""
        rng, contact, supervisor = self.rng, self.place.contact, self.cast.supervisor
        assert self.deadline is not None
        latest = min(self.deadline, self.today)
        if self.day > latest:
            return  # the deadline passed before anyone asked
        self.day = max(self.day, latest - rng.randint(0, 5) * DAY)
        requested = self.deadline + rng.randint(7, 30) * DAY
        reason = rng.choice(words.EXTENSION_REASONS)
        asked = self.clock.at(self.day)

        def ask(played: Played) -> None:
            played.extension = services.extension_request(
                hazard=played.listed, by=contact, requested_deadline=requested, reason=reason, at=asked
            )

        self._step(Action.REQUEST_EXTENSION, asked, ask)
        if self.outline.extension == ExtensionStatus.PENDING:
            return
        self._later(0, 3)
        approve = self.outline.extension == ExtensionStatus.APPROVED
        comment = rng.choice(words.APPROVE_COMMENTS if approve else words.DENY_COMMENTS)
        decided = self.clock.at(self.day)
        if approve:
            self.deadline = requested

        def decide(played: Played) -> None:
            assert played.extension is not None
            services.extension_decide(
                extension=played.extension, by=supervisor, approve=approve, comment=comment, at=decided
            )

        self._step(Action.APPROVE_EXTENSION if approve else Action.DENY_EXTENSION, decided, decide)

    def _submit_day(self) -> datetime.date:
        """Most units report before the deadline; some late; a resubmission comes a few days after 退回."""
        rng = self.rng
        if self.last_action == Action.REJECT:
            return self._later(2, 10)
        assert self.deadline is not None
        days_left = (self.deadline - self.day).days
        if rng.random() < 0.85 and days_left >= 0:
            return self._later(0, min(days_left, 40))
        return self._later(max(days_left + 1, 0), max(days_left, 0) + 15)

    def _submit(self) -> None:
        self._submit_day()
        self._report_fixed(self.place.contact, since=self.acknowledged_at)

    def _quick_fix(self) -> None:
        """即查即改: the officer records the fix made during the inspection itself."""
        self._report_fixed(self.cast.officer, since=self.created_at)

    def _report_fixed(self, actor: User, since: datetime.datetime) -> None:
        first_day = timezone.localdate(since)
        at = self.clock.at(self.day)
        completed_on = max(first_day, self.day - self.rng.randint(0, 2) * DAY)
        measures, cost = self.text.measures, self._cost()
        # Every report brings its after-photo: a resubmission after 退回 shows the work done again.

        def play(played: Played) -> None:
            played.hazard = services.hazard_submit(
                hazard=played.listed,
                by=actor,
                measures=measures,
                completed_on=completed_on,
                cost=cost,
                photos=[after_photo()],
                at=at,
            )

        self._step(Action.SUBMIT, at, play)

    def _reject(self) -> None:
        self._later(1, 4)
        supervisor, reason = self.cast.supervisor, self.rng.choice(words.REJECT_REASONS)
        at = self.clock.at(self.day)

        def play(played: Played) -> None:
            played.hazard = services.hazard_reject(hazard=played.listed, by=supervisor, reason=reason, at=at)

        self._step(Action.REJECT, at, play)

    def _verify(self) -> None:
        """销号; the services lift any 挂牌督办 (摘牌) in the same transaction."""
        self._later(1, 6)
        supervisor, opinion = self.cast.supervisor, self.rng.choice(words.VERIFY_OPINIONS)
        at = self.clock.at(self.day)
        method = self.rng.choices(list(VerificationMethod), weights=(7, 3))[0]

        def play(played: Played) -> None:
            played.hazard = services.hazard_verify(
                hazard=played.listed, by=supervisor, method=method, opinion=opinion, at=at
            )

        self._step(Action.VERIFY, at, play)

    def _void(self) -> None:
        self._later(0, 10)
        supervisor, reason = self.cast.supervisor, self.rng.choice(words.VOID_REASONS)
        at = self.clock.at(self.day)

        def play(played: Played) -> None:
            played.hazard = services.hazard_void(hazard=played.listed, by=supervisor, reason=reason, at=at)

        self._step(Action.VOID, at, play)

    def _source(self) -> Source:
        sources = [s for s in Source if s != Source.SELF_CHECK]
        return self.rng.choices(sources, weights=(45, 20, 12, 10, 6, 7))[0]

    def _cost(self) -> Decimal | None:
        """整改资金 in 元; a major hazard spends roughly what its plan set aside (万元)."""
        if self.outline.major:
            major = self.plan.details.major
            funds = (major and major.plan_funds) or Decimal(self.rng.randint(5, 500))
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

    def _major(self, item: words.MajorItem) -> services.MajorDetails:
        """重大事故隐患: the standard and item it matched, and the 五到位 plan — a few plans still incomplete."""
        rng = self.rng
        plan: dict = {
            "plan_measures": f"针对“{item.finding}”问题，委托专业机构制定整改技术方案，整改期间落实临时管控措施。",
            "plan_responsibility": words.PLAN_RESPONSIBILITY,
            "plan_funds": Decimal(rng.randint(5, 5000)) / 10,
            "plan_deadline": self.day + rng.randint(30, 120) * DAY,
            "plan_contingency": words.PLAN_CONTINGENCY,
        }
        stop_production = rng.choices(list(StopProduction), weights=(5, 4, 1))[0]
        if rng.random() < 0.3:
            blanks = {"plan_measures": "", "plan_responsibility": "", "plan_funds": None, "plan_deadline": None}
            blanks["plan_contingency"] = ""
            for name in rng.sample(sorted(blanks), rng.randint(1, 3)):
                plan[name] = blanks[name]
        return services.MajorDetails(
            major_standard=item.standard,
            major_standard_item=f"{item.clause}：{item.finding}",
            stop_production=stop_production,
            **plan,
        )
