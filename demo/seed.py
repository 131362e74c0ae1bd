"""Demo data for 隐患清单: the city of 新乡 with its 12 counties, their units and people, and about 3,000
hazards at every stage over the last fourteen months (``manage.py seed_demo``).

Deterministic: every choice comes from ``random.Random`` with a fixed seed; only the calendar is
anchored on the day the seed runs, so that some hazards are overdue and some due this week.
Idempotent: reference rows are created only where their natural key is missing, and the hazards only
while none of the demo's officers or unit contacts has logged one, so a second run writes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from demo import ledger
from demo.campaigns import seed_campaign
from demo.places import DEMO_PASSWORD, build_city
from hazards.models import Hazard
from inspections.checklists import load_checklists
from inspections.standards import load_standards

__all__ = ["DEMO_PASSWORD", "SeedResult", "seed"]


@dataclass(frozen=True)
class SeedResult:
    regions: int
    sectors: int  # supervising departments and sectors
    units: int
    users: int
    hazards: int
    checklists: int = 0
    campaigns: int = 0


@transaction.atomic
def seed(*, now: datetime.datetime | None = None) -> SeedResult:
    """Create whatever part of the demo is missing; return how many rows of each kind were created."""
    now = now or timezone.now()
    city = build_city()
    load_standards()  # the data migration's rows, for a database made without migrations (the tests)
    checklists = len(load_checklists())
    authors = [cast.officer for cast in city.counties]
    authors += [place.contact for cast in city.counties for place in cast.places]
    hazards = 0
    if not Hazard.objects.filter(found_by__in=authors).exists():
        plans = ledger.plan_hazards(city, today=timezone.localdate(now), now=now)
        ledger.play(plans)
        hazards = len(plans)
    campaigns = seed_campaign(city, now=now)
    return SeedResult(hazards=hazards, checklists=checklists, campaigns=campaigns, **city.created)
