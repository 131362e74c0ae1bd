"""排查覆盖率: per county, the units due for inspection (应排查) against those inspected (实际排查) in a period.

应排查 are the active enterprises in the viewer's jurisdiction (the national tables count 生产经营单位, in
家); 实际排查 those of them with at least one inspection completed in the period — an office's or the
unit's own 企业自查 — whatever its kind (a completed 四不两直 visit is no longer a secret to count).
Periods are Asia/Shanghai local dates, both ends included. A unit has no sector of its own yet (only the
hazards and inspections record one).

A 专项整治 counts its own way (``campaign_coverage``): 应排查 are its targets, 实际排查 those of them with at
least one inspection of the campaign completed within its period. Its 报送快照 (``campaign_figures``) count
the same, as things stood at a moment, for the whole campaign whoever asks.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from accounts.choices import UnitKind
from accounts.models import Region, ResponsibleUnit, User
from hazards.choices import Action as HazardAction
from hazards.models import Hazard, HazardEvent
from inspections.choices import Status
from inspections.models import Campaign, CampaignSnapshot, CampaignSnapshotRow, CampaignTarget, Inspection


@dataclass(frozen=True)
class CoverageRow:
    county: Region
    units_due: int
    units_inspected: int

    @property
    def units_missing(self) -> int:
        return self.units_due - self.units_inspected

    @property
    def coverage(self) -> float | None:
        """实际排查 / 应排查, None when no unit is due (shown as "/")."""
        return self.units_inspected / self.units_due if self.units_due else None


def _bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time(), tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), tzinfo=tz)
    return since, until


def units_due(user: User) -> QuerySet[ResponsibleUnit]:
    return ResponsibleUnit.objects.visible_to(user).filter(is_active=True, kind=UnitKind.ENTERPRISE)


def _inspected(start: datetime.date, end: datetime.date, campaign: Campaign | None = None) -> Exists:
    since, until = _bounds(start, end)
    inspections = Inspection.objects.filter(
        unit=OuterRef("pk"), status=Status.COMPLETED, completed_at__gte=since, completed_at__lt=until
    )
    return Exists(inspections.filter(campaign=campaign) if campaign is not None else inspections)


def coverage_by_county(*, user: User, start: datetime.date, end: datetime.date) -> list[CoverageRow]:
    """One row per county the viewer sees units in, by county code."""
    return _by_county(units_due(user), _inspected(start, end))


def _by_county(units: QuerySet[ResponsibleUnit], inspected: Exists) -> list[CoverageRow]:
    counts = (
        units.annotate(county_code=Substr("region__code", 1, 6), inspected=inspected)
        .values("county_code")
        .annotate(due=Count("pk"), done=Count("pk", filter=Q(inspected=True)))
        .order_by("county_code")
    )
    rows = []
    for row in counts:
        county = Region.cached.get_by_key(row["county_code"])
        if isinstance(county, Region):
            rows.append(CoverageRow(county=county, units_due=row["due"], units_inspected=row["done"]))
    return rows


def never_inspected(
    *, user: User, start: datetime.date, end: datetime.date, county: Region | None = None
) -> QuerySet[ResponsibleUnit]:
    """The units due that no completed inspection reached in the period: the drill-down of a row."""
    units = units_due(user).filter(~_inspected(start, end))
    if county is not None:
        units = units.filter(region__code__startswith=county.code[:6])
    return units.select_related("region").order_by("region__code", "name")


def campaign_targets(*, campaign: Campaign, user: User) -> QuerySet[ResponsibleUnit]:
    """The campaign's targets the viewer sees (a county its own; the issuing office all of them)."""
    return ResponsibleUnit.objects.visible_to(user).filter(campaign_targets__campaign=campaign)


def campaign_coverage(*, campaign: Campaign, user: User) -> list[CoverageRow]:
    """Per county: the campaign's targets (应排查) and those with an inspection of the campaign completed
    in its period (实际排查)."""
    return _by_county(
        campaign_targets(campaign=campaign, user=user), _inspected(campaign.starts_on, campaign.ends_on, campaign)
    )


def campaign_never_inspected(
    *, campaign: Campaign, user: User, county: Region | None = None
) -> QuerySet[ResponsibleUnit]:
    """The targets no completed inspection of the campaign reached in its period: a county's drill-down."""
    units = campaign_targets(campaign=campaign, user=user).filter(
        ~_inspected(campaign.starts_on, campaign.ends_on, campaign)
    )
    if county is not None:
        units = units.filter(region__code__startswith=county.code[:6])
    return units.select_related("region").order_by("region__code", "name")


@dataclass(frozen=True)
class CampaignFigures:
    """A county's figures of a campaign at a moment: what a 报送快照 freezes."""

    county: Region
    targets: int
    inspected: int
    hazards_found: int
    hazards_closed: int


def campaign_figures(*, campaign: Campaign, until: datetime.datetime) -> list[CampaignFigures]:
    """Per county, as things stood at ``until``, for the whole campaign: its targets added by then (应排查),
    those with an inspection of the campaign completed between its first day and then (实际排查), and the
    hazards its inspections found by then (less those voided by then) and of them those closed by then.
    Every count reads a timestamp, so a snapshot taken late still says what held at ``until``."""
    since = _bounds(campaign.starts_on, campaign.starts_on)[0]
    done = Inspection.objects.filter(
        campaign=campaign,
        unit=OuterRef("unit"),
        status=Status.COMPLETED,
        completed_at__gte=since,
        completed_at__lt=until,
    )
    targets = (
        CampaignTarget.objects.filter(campaign=campaign, added_at__lt=until)
        .annotate(county_code=Substr("unit__region__code", 1, 6), was_inspected=Exists(done))
        .values("county_code")
        .annotate(targets=Count("pk"), inspected=Count("pk", filter=Q(was_inspected=True)))
    )
    voided = HazardEvent.objects.filter(hazard=OuterRef("pk"), action=HazardAction.VOID, at__lt=until)
    hazards = (
        Hazard.objects.filter(inspection_answer__inspection__campaign=campaign, found_at__lt=until)
        .exclude(Exists(voided))
        .annotate(county_code=Substr("inspection_answer__inspection__unit__region__code", 1, 6))
        .values("county_code")
        .annotate(found=Count("pk"), closed=Count("pk", filter=Q(closed_at__lt=until)))
    )
    found = {row["county_code"]: (row["found"], row["closed"]) for row in hazards}
    rows = []
    for row in sorted(targets, key=lambda row: row["county_code"]):
        county = Region.cached.get_by_key(row["county_code"])
        if isinstance(county, Region):
            hazards_found, hazards_closed = found.get(row["county_code"], (0, 0))
            rows.append(CampaignFigures(county, row["targets"], row["inspected"], hazards_found, hazards_closed))
    return rows


def campaign_snapshots(*, campaign: Campaign, user: User) -> list[CampaignSnapshot]:
    """The campaign's 报送快照, latest first, each with ``visible_rows``: the counties the viewer sees (the
    issuing office all of them, a county its own)."""
    rows = CampaignSnapshotRow.objects.filter(county__in=Region.objects.visible_to(user)).select_related("county")
    return list(
        campaign.snapshots.select_related("phase", "taken_by").prefetch_related(
            Prefetch("rows", queryset=rows.order_by("county__code"), to_attr="visible_rows")
        )
    )
