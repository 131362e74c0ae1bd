"""A small ledger whose figures are worked out by hand in the tests.

Every hazard is made through the services, each step at its own moment: the clock is moved there
first (time_machine), so found, 交单 and 销号 times are the services' own and no date is written behind
their back. "Today" for the figures is 2026-06-20 (Asia/Shanghai).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.choices import RegionLevel
from accounts.models import Region, Sector
from hazards import services
from hazards.choices import AuthorityLevel, Level, MajorStandard, Source, VerificationMethod
from hazards.models import Hazard
from tests.conftest import World, png_upload
from tests.factories import DepartmentFactory, RegionFactory, SectorFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 6, 20)


def local(text: str) -> datetime.datetime:
    """``"2026-03-11 07:00"`` in Asia/Shanghai."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@dataclass
class Ledger:
    """The hazards of the hand-made data set (see ``ledger``) and the reference rows they use."""

    world: World
    trade: Sector
    machinery: Sector
    construction: Sector
    east_township: Region
    h1: Hazard
    h2: Hazard
    h3: Hazard
    h4: Hazard
    h5: Hazard
    h6: Hazard
    h7: Hazard
    h8: Hazard
    h9: Hazard
    h10: Hazard


class Steps:
    """Each workflow step at a local time, by the persona whose job it is."""

    def __init__(self, world: World, clock) -> None:
        self.world, self.clock = world, clock

    def _at(self, when: str) -> None:
        self.clock.move_to(local(when), tick=False)

    def _people(self, hazard: Hazard):
        w = self.world
        if hazard.county_id == w.weibin.pk:
            return w.wb_officer, w.wb_supervisor, w.wb_unit, w.wb_contact
        return w.hq_officer, w.hq_supervisor, w.hq_unit, w.unit_demo

    def found(self, when: str, *, major: services.MajorDetails | None = None, **details) -> Hazard:
        self._at(when)
        w = self.world
        officer = w.wb_officer if details.get("region") == w.weibin else w.hq_officer
        if major is not None:
            details |= {"level": Level.MAJOR, "major": major}
        return services.hazard_register(details=w.details(**details), by=officer)

    def assign(self, hazard: Hazard, when: str, deadline: str) -> Hazard:
        self._at(when)
        officer, _, unit, _ = self._people(hazard)
        return services.hazard_assign(
            hazard=hazard,
            by=officer,
            unit=unit,
            responsible_person="李四",
            requirements="限期整改。",
            deadline=datetime.date.fromisoformat(deadline),
        )

    def acknowledge(self, hazard: Hazard, when: str) -> Hazard:
        self._at(when)
        return services.hazard_acknowledge(hazard=hazard, by=self._people(hazard)[3])

    def submit(self, hazard: Hazard, when: str, cost: str | None = None) -> Hazard:
        """办单 by the unit; from 已登记 it is 即查即改 by the officer."""
        self._at(when)
        officer, _, _, contact = self._people(hazard)
        return services.hazard_submit(
            hazard=hazard,
            by=officer if hazard.status == "listed" else contact,
            measures="已整改。",
            completed_on=local(when).date(),
            cost=Decimal(cost) if cost else None,
            photos=[png_upload()],
        )

    def close(self, hazard: Hazard, when: str) -> Hazard:
        self._at(when)
        return services.hazard_verify(
            hazard=hazard, by=self._people(hazard)[1], method=VerificationMethod.ON_SITE, opinion="同意销号。"
        )

    def supervise(self, hazard: Hazard, when: str, level: AuthorityLevel, deadline: str) -> None:
        self._at(when)
        w = self.world
        # Each level's own supervisor lists: a county supervisor may list only 县级.
        lister = {
            AuthorityLevel.COUNTY: self._people(hazard)[1],
            AuthorityLevel.CITY: w.supervisor_at(w.city),
            AuthorityLevel.PROVINCE: w.supervisor_at(w.city.parent),
        }[level]
        services.supervision_start(
            hazard=hazard,
            by=lister,
            authority_level=level,
            requirements="限期治理。",
            deadline=datetime.date.fromisoformat(deadline),
        )

    def void(self, hazard: Hazard, when: str) -> Hazard:
        self._at(when)
        return services.hazard_void(hazard=hazard, by=self._people(hazard)[1], reason="重复登记")


def major(**plan) -> services.MajorDetails:
    return services.MajorDetails(
        major_standard=MajorStandard.INDUSTRY_TRADE, major_standard_item="第四条第（一）项", **plan
    )


FULL_PLAN = {
    "plan_measures": "更换防爆电气",
    "plan_responsibility": "企业主要负责人",
    "plan_funds": Decimal("12"),
    "plan_deadline": datetime.date(2026, 6, 30),
    "plan_contingency": "编制专项应急预案",
}


@pytest.fixture
def ledger(world, time_machine) -> Ledger:
    """Ten hazards, nine in 红旗区 and one in 卫滨区; the clock is left at 2026-06-20 12:00 local.

    - h1 一般 粉尘涉爆, found 03-02: 交单 03-03 (期限 03-10), 销号 03-11 07:00 local (still 03-10 in UTC):
      late, 8 days; cost 5000 元.
    - h2 一般 粉尘涉爆, found 03-05: 交单 03-06 01:00 local (03-05 in UTC), 期限 03-20, 销号 03-20 18:00:
      on time, 14 days; cost 2500 元.
    - h3 一般 粉尘涉爆, found 04-01: 即查即改, 销号 04-02: on time (no deadline), no 交单.
    - h4 一般 粉尘涉爆, found 04-10 by a 专项检查: 交单 (期限 05-01), 签收, still open: overdue.
    - h5 一般 工贸·机械, found 05-20: 交单 (期限 07-01): open, not yet due.
    - h6 一般 工贸, found 06-01 at county level (no township): only 登记, open, no deadline.
    - h7 重大 粉尘涉爆, found 02-10 with a full 五到位 plan (12 万元): 交单 (期限 06-30), 市级挂牌: open.
    - h8 重大 建筑施工 (住建), found 03-15 with measures only: 交单 03-16 07:00 local (03-15 in UTC,
      期限 04-30), 省级挂牌, 销号 05-10: late, 55 days.
    - h9 一般 粉尘涉爆, found 03-20: voided, counted nowhere.
    - h10 一般 粉尘涉爆 in 卫滨区, found 03-25: 交单 (期限 04-15), open: overdue.
    """
    w = world
    housing = DepartmentFactory(code="housing", name="住房和城乡建设局")
    trade = SectorFactory(code="trade", name="工贸", sort_order=1)
    machinery = SectorFactory(code="trade_machinery", name="机械", parent=trade, department=trade.department)
    construction = SectorFactory(code="construction", name="建筑施工", department=housing, sort_order=2)
    east = RegionFactory(code="410702002000", name="东街街道", level=RegionLevel.TOWNSHIP, parent=w.hongqi)
    step = Steps(w, time_machine)

    h1 = step.found("2026-03-02 10:00")
    step.assign(h1, "2026-03-03 09:00", deadline="2026-03-10")
    step.acknowledge(h1, "2026-03-03 10:00")
    step.submit(h1, "2026-03-10 16:00", cost="5000")
    h1 = step.close(h1, "2026-03-11 07:00")

    h2 = step.found("2026-03-05 20:00")
    step.assign(h2, "2026-03-06 01:00", deadline="2026-03-20")
    step.acknowledge(h2, "2026-03-06 09:00")
    step.submit(h2, "2026-03-19 09:00", cost="2500")
    h2 = step.close(h2, "2026-03-20 18:00")

    h3 = step.found("2026-04-01 10:00")
    step.submit(h3, "2026-04-01 11:00")
    h3 = step.close(h3, "2026-04-02 10:00")

    h4 = step.found("2026-04-10 09:00", source=Source.SPECIAL)
    step.assign(h4, "2026-04-10 10:00", deadline="2026-05-01")
    h4 = step.acknowledge(h4, "2026-04-11 09:00")

    h5 = step.found("2026-05-20 09:00", sector=machinery)
    h5 = step.assign(h5, "2026-05-20 10:00", deadline="2026-07-01")

    h6 = step.found("2026-06-01 09:00", sector=trade, region=w.hongqi)

    h7 = step.found("2026-02-10 09:00", major=major(**FULL_PLAN))
    step.assign(h7, "2026-02-11 09:00", deadline="2026-06-30")
    step.supervise(h7, "2026-02-12 09:00", AuthorityLevel.CITY, deadline="2026-06-30")

    h8 = step.found("2026-03-15 09:00", sector=construction, major=major(plan_measures="停用并改造脚手架"))
    step.assign(h8, "2026-03-16 07:00", deadline="2026-04-30")
    step.supervise(h8, "2026-03-16 10:00", AuthorityLevel.PROVINCE, deadline="2026-04-30")
    step.acknowledge(h8, "2026-03-17 09:00")
    step.submit(h8, "2026-05-09 09:00")
    h8 = step.close(h8, "2026-05-10 09:00")

    h9 = step.void(step.found("2026-03-20 09:00"), "2026-03-21 09:00")

    h10 = step.found("2026-03-25 09:00", region=w.weibin)
    h10 = step.assign(h10, "2026-03-25 10:00", deadline="2026-04-15")

    time_machine.move_to(local(f"{TODAY} 12:00"), tick=False)
    return Ledger(w, trade, machinery, construction, east, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10)


@pytest.fixture(autouse=True)
def fresh_throttles():
    # Throttle counters live in the real Redis cache; each test starts with none.
    cache.clear()


@pytest.fixture
def api(world):
    def client_for(persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(getattr(world, persona))
        return client

    return client_for
