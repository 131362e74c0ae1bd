"""The demo city's 专项整治: the city office's campaign over its 工贸 enterprises, under way, with a few of
its targets already inspected for it (all items 符合, so the hazards of the ledger are left as they are).

Idempotent: nothing is written when a campaign of that name exists.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from demo.places import City
from hazards.choices import MajorStandard
from inspections import services
from inspections.choices import Kind, Result
from inspections.models import Campaign, ChecklistItem, ChecklistTemplate

NAME = "工贸企业重大事故隐患专项整治"
# How many of the targets were inspected so far, and how many targets the campaign has.
INSPECTED, TARGETS = 5, 16


def seed_campaign(city: City, *, now: datetime.datetime) -> int:
    """Create the demo campaign if missing; return how many campaigns were created (0 or 1)."""
    office = User.objects.filter(username="city", role=Role.MUNICIPAL_OFFICE).first()
    if office is None or Campaign.objects.filter(name=NAME).exists():
        return 0
    group = city.sectors["industry_trade"]
    template = ChecklistTemplate.objects.filter(code="industry-trade", published_at__isnull=False).first()
    today = timezone.localdate(now)
    day = datetime.timedelta(days=1)
    spans = [
        ("动员部署", today - 60 * day, today - 46 * day),
        ("企业自查自改和部门帮扶", today - 45 * day, today - 1 * day),
        ("部门精准执法", today, today + 45 * day),
        ("总结提高", today + 46 * day, today + 60 * day),
    ]
    start = now - 61 * day
    campaign = services.campaign_create(
        name=NAME,
        sectors=[group],
        standards=[MajorStandard.INDUSTRY_TRADE],
        templates=[template] if template else [],
        phases=[services.PhaseInput(name=n, starts_on=a, ends_on=b) for n, a, b in spans],
        by=office,
        at=start,
    )
    targets = [
        (cast, place)
        for cast in city.counties
        for place in cast.places
        if place.unit.is_active and group.pk in (place.sector.pk, place.sector.parent_id)
    ][:TARGETS]
    services.campaign_set_targets(campaign=campaign, units=[p.unit for _c, p in targets], by=office, at=start)
    services.campaign_activate(campaign=campaign, by=office, at=start + day)
    if template is None:
        return 1
    items = list(ChecklistItem.objects.filter(section__template=template, mandatory=True))
    for n, (cast, place) in enumerate(targets[:INSPECTED]):
        at = now - (40 - n * 5) * day
        inspection = services.inspection_start_on_spot(
            kind=Kind.SPECIAL, unit=place.unit, by=cast.officer, template=template, campaign=campaign, at=at
        )
        for item in items:
            services.answer_record(inspection=inspection, item=item, result=Result.PASS, by=cast.officer, at=at)
        services.inspection_complete(
            inspection=inspection,
            by=cast.officer,
            summary="按专项整治要求逐项检查，未发现隐患。",
            acknowledged_by_name=place.unit.contact_name or "负责人",
            at=at,
        )
    return 1
