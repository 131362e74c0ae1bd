"""排查覆盖率: the units due for inspection (应排查) against those inspected (实际排查) in a period, by county,
by 行业领域 (the unit's own sector, its subtree with it) and by the two together.

应排查 are the active units in the viewer's jurisdiction of the kinds inspected (``DUE_UNIT_KINDS``:
enterprises and institutions such as schools and hospitals; the national tables count 生产经营单位, in
家); 实际排查 those of them with at least one inspection completed in the period — an office's or the
unit's own 企业自查 — whatever its kind (a completed 四不两直 visit is no longer a secret to count), or with a
hazard of source 企业自查 found in the period and handed to it (a self-check recorded without a checklist;
voided ones left out). Periods are Asia/Shanghai local dates, both ends included. The finest grain is
county × the unit's sector (``coverage_cells``); everything else sums those cells, so the page, the
national tables' columns and their 合计 agree by construction. A unit without a sector is counted by
county and in a table's note, in no sector's row.

A 专项整治 counts its own way (``campaign_coverage``): 应排查 are its targets, 实际排查 those of them with at
least one inspection of the campaign completed within its period. Its 报送快照 (``campaign_figures``) count
the same, as things stood at a moment, for the whole campaign whoever asks.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from accounts.choices import DUE_UNIT_KINDS
from accounts.models import Region, ResponsibleUnit, Sector, User
from hazards.choices import Action as HazardAction
from hazards.choices import Source
from hazards.choices import Status as HazardStatus
from hazards.models import Hazard, HazardEvent
from inspections.choices import Status
from inspections.models import Campaign, CampaignSnapshot, CampaignSnapshotRow, CampaignTarget, Inspection


@dataclass(frozen=True)
class Counts:
    """应排查 and 实际排查 of some units, in 家."""

    units_due: int = 0
    units_inspected: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.units_due + other.units_due, self.units_inspected + other.units_inspected)

    @property
    def units_missing(self) -> int:
        return self.units_due - self.units_inspected

    @property
    def coverage(self) -> float | None:
        """实际排查 / 应排查, None when no unit is due (shown as "/")."""
        return self.units_inspected / self.units_due if self.units_due else None


@dataclass(frozen=True, kw_only=True)
class CoverageRow(Counts):
    county: Region


@dataclass(frozen=True, kw_only=True)
class SectorCoverageRow(Counts):
    sector: Sector | None  # None: the units without a sector


def _bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time(), tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), tzinfo=tz)
    return since, until


def in_sector(sector: Sector) -> Q:
    """Units of ``sector`` or of one of its sub-sectors."""
    return Q(sector=sector) | Q(sector__parent=sector)


def units_due(user: User, *, sector: Sector | None = None, region: Region | None = None) -> QuerySet[ResponsibleUnit]:
    units = ResponsibleUnit.objects.visible_to(user).filter(is_active=True, kind__in=DUE_UNIT_KINDS)
    if sector is not None:
        units = units.filter(in_sector(sector))
    if region is not None:
        units = units.filter(region__path__startswith=region.path)
    return units


def _inspected(start: datetime.date, end: datetime.date, campaign: Campaign | None = None) -> Exists:
    since, until = _bounds(start, end)
    inspections = Inspection.objects.filter(
        unit=OuterRef("pk"), status=Status.COMPLETED, completed_at__gte=since, completed_at__lt=until
    )
    return Exists(inspections.filter(campaign=campaign) if campaign is not None else inspections)


def _checked(start: datetime.date, end: datetime.date) -> Q:
    """A completed inspection in the period, or a 企业自查 hazard of the unit found in it."""
    since, until = _bounds(start, end)
    self_checks = Hazard.objects.filter(
        responsible_unit=OuterRef("pk"), source=Source.SELF_CHECK, found_at__gte=since, found_at__lt=until
    ).exclude(status=HazardStatus.VOID)
    return Q(_inspected(start, end)) | Q(Exists(self_checks))


def coverage_cells(
    *,
    user: User,
    start: datetime.date,
    end: datetime.date,
    sector: Sector | None = None,
    region: Region | None = None,
) -> dict[tuple[str, int | None], Counts]:
    """The finest grain: (county code, the unit's sector id or None) → its counts, for the units due in
    the viewer's jurisdiction (narrowed to ``sector``'s subtree and ``region``'s when given)."""
    rows = (
        units_due(user, sector=sector, region=region)
        .annotate(county_code=Substr("region__code", 1, 6))
        .values("county_code", "sector_id")
        .annotate(due=Count("pk"), done=Count("pk", filter=_checked(start, end)))
        .order_by()
    )
    return {(row["county_code"], row["sector_id"]): Counts(row["due"], row["done"]) for row in rows}


def coverage_by_county(
    *, user: User, start: datetime.date, end: datetime.date, sector: Sector | None = None
) -> list[CoverageRow]:
    """One row per county the viewer sees units due in, by county code."""
    return by_county(coverage_cells(user=user, start=start, end=end, sector=sector))


def by_county(cells: dict[tuple[str, int | None], Counts]) -> list[CoverageRow]:
    """``coverage_by_county`` of cells already counted."""
    sums: dict[str, Counts] = defaultdict(Counts)
    for (county_code, _sector_id), counts in cells.items():
        sums[county_code] += counts
    rows = []
    for code in sorted(sums):
        county = Region.cached.get_by_key(code)
        if isinstance(county, Region):
            rows.append(CoverageRow(sums[code].units_due, sums[code].units_inspected, county=county))
    return rows


def coverage_by_sector(
    *, user: User, start: datetime.date, end: datetime.date, region: Region | None = None
) -> dict[int | None, Counts]:
    """Each sector's counts (the units recorded with it, not its sub-sectors'), None for units without."""
    return _by_sector(coverage_cells(user=user, start=start, end=end, region=region))


def _by_sector(cells: dict[tuple[str, int | None], Counts]) -> dict[int | None, Counts]:
    sums: dict[int | None, Counts] = defaultdict(Counts)
    for (_county, sector_id), counts in cells.items():
        sums[sector_id] += counts
    return dict(sums)


def coverage_by_sector_group(
    *, user: User, start: datetime.date, end: datetime.date, region: Region | None = None
) -> list[SectorCoverageRow]:
    """One row per top-level sector (a sub-sector's units in its parent's row), in the code list's order,
    only those with units due; then the units without a sector, if any."""
    return by_sector_group(coverage_cells(user=user, start=start, end=end, region=region))


def by_sector_group(cells: dict[tuple[str, int | None], Counts]) -> list[SectorCoverageRow]:
    """``coverage_by_sector_group`` of cells already counted."""
    by_sector = _by_sector(cells)
    Sector.cached.load([pk for pk in by_sector if pk is not None])
    groups: dict[int, Counts] = defaultdict(Counts)
    for sector_id, counts in by_sector.items():
        if sector_id is None:
            continue
        sector = Sector.cached.get(sector_id)
        if isinstance(sector, Sector):
            groups[sector.parent_id or sector.pk] += counts
    Sector.cached.load(list(groups))
    tops = sorted(
        (s for s in (Sector.cached.get(pk) for pk in groups) if isinstance(s, Sector)),
        key=lambda s: (s.sort_order, s.code),
    )
    rows = [SectorCoverageRow(groups[s.pk].units_due, groups[s.pk].units_inspected, sector=s) for s in tops]
    if None in by_sector:
        rows.append(SectorCoverageRow(by_sector[None].units_due, by_sector[None].units_inspected, sector=None))
    return rows


def never_inspected(
    *,
    user: User,
    start: datetime.date,
    end: datetime.date,
    county: Region | None = None,
    sector: Sector | None = None,
) -> QuerySet[ResponsibleUnit]:
    """The units due that no completed inspection (nor 企业自查) reached in the period: the drill-down of a
    row, narrowed to a county and to a sector's subtree when given."""
    units = units_due(user, sector=sector).filter(~_checked(start, end))
    if county is not None:
        units = units.filter(region__code__startswith=county.code[:6])
    return units.select_related("region", "sector__parent").order_by("region__code", "name")


def campaign_targets(*, campaign: Campaign, user: User) -> QuerySet[ResponsibleUnit]:
    """The campaign's targets the viewer sees (a county its own; the issuing office all of them)."""
    return ResponsibleUnit.objects.visible_to(user).filter(campaign_targets__campaign=campaign)


def campaign_coverage(*, campaign: Campaign, user: User) -> list[CoverageRow]:
    """Per county: the campaign's targets (应排查) and those with an inspection of the campaign completed
    in its period (实际排查)."""
    counts = (
        campaign_targets(campaign=campaign, user=user)
        .annotate(
            county_code=Substr("region__code", 1, 6),
            inspected=_inspected(campaign.starts_on, campaign.ends_on, campaign),
        )
        .values("county_code")
        .annotate(due=Count("pk"), done=Count("pk", filter=Q(inspected=True)))
        .order_by()
    )
    return by_county({(row["county_code"], None): Counts(row["due"], row["done"]) for row in counts})


def campaign_never_inspected(
    *, campaign: Campaign, user: User, county: Region | None = None
) -> QuerySet[ResponsibleUnit]:
    """The targets no completed inspection of the campaign reached in its period: a county's drill-down."""
    units = campaign_targets(campaign=campaign, user=user).filter(
        ~_inspected(campaign.starts_on, campaign.ends_on, campaign)
    )
    if county is not None:
        units = units.filter(region__code__startswith=county.code[:6])
    return units.select_related("region", "sector__parent").order_by("region__code", "name")


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
