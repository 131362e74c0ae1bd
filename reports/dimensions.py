"""What a report groups by, and every group of the caller's scope, zeros included.

A dimension knows the expression hazards are grouped on and how to list the groups a scope has from
the reference tables (every county of the city, every sector, every month of the period), so that a
group where nothing was found is listed with zeros rather than missing. A group that has hazards but is
not in the reference list (a unit's hazard in another county, a county-level hazard in a township
report) is listed after the others: a table always adds up to its total.
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Case, F, Q, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.choices import RegionLevel
from accounts.models import Region, Sector, SupervisingDepartment
from hazards.choices import Level, Source
from reports.metrics import local_month


@dataclass(frozen=True)
class Scope:
    """What a report covers, in reference terms: where its groups come from."""

    roots: tuple[Region, ...]  # the tops of the region trees covered (none: no region at all)
    sector: Sector | None  # the sector subtree asked for, if any
    level: str | None
    found_after: datetime.date | None
    found_before: datetime.date | None
    today: datetime.date


@dataclass(frozen=True)
class Group:
    key: Hashable  # the value grouped on
    code: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name}


class Dimension:
    code = ""
    label = ""  # the column header, as reports print it

    def expression(self) -> Any:
        raise NotImplementedError

    def rollup_expression(self) -> Any:
        """The same on the rollup's rows (reports.models.ClosureRollup), which keep the hazard's county,
        township, sector, month, level and source: most expressions read the same there."""
        return self.expression()

    def normalize(self, value: Any) -> Hashable:
        """The database's value of ``expression()`` as the group's key."""
        return value

    def groups(self, scope: Scope, present: set[Hashable]) -> list[Group]:
        """The scope's groups in report order, then any group with hazards that the scope does not list."""
        listed = self.listed(scope, present)
        known = {group.key for group in listed}
        extra = sorted(self.describe_many(present - known), key=lambda group: group.code)
        return listed + extra

    def listed(self, scope: Scope, present: set[Hashable]) -> list[Group]:
        raise NotImplementedError

    def describe_many(self, keys: Iterable[Hashable]) -> list[Group]:
        return [self.describe(key) for key in keys]

    def describe(self, key: Hashable) -> Group:
        raise NotImplementedError


def _region(key: Hashable) -> Region:
    region = Region.cached.get(cast(int, key))
    assert isinstance(region, Region), key
    return region


def _sector(key: Hashable | None) -> Sector | None:
    sector = Sector.cached.get(cast(int | None, key))
    assert sector is None or isinstance(sector, Sector), key
    return sector


def _ids(keys: Iterable[Hashable]) -> list[int]:
    return [key for key in keys if isinstance(key, int)]


def _regions_at(level: str, scope: Scope) -> list[int]:
    """The regions of ``level`` under the scope's roots, or above a root that lies below that level."""
    if not scope.roots:
        return []
    ancestors = {code for root in scope.roots for code in root.path.split("/") if code}
    paths = tuple(root.path for root in scope.roots)
    regions = [r for r in _all(Region) if r.level == level and (r.path.startswith(paths) or r.code in ancestors)]
    return [region.pk for region in sorted(regions, key=lambda region: region.code)]


def _all(model: type[Region] | type[Sector]) -> list[Any]:
    """Every region or sector, from the rows each process keeps (core/reference.py)."""
    return model.cached.all()


class RegionDimension(Dimension):
    level = ""

    def listed(self, scope: Scope, present: set[Hashable]) -> list[Group]:
        ids = _regions_at(self.level, scope)
        Region.cached.load([*ids, *_ids(present)])
        return [self.describe(pk) for pk in ids]

    def describe(self, key: Hashable) -> Group:
        region = _region(key)
        return Group(key, region.code, region.name)


class County(RegionDimension):
    code, label, level = "county", "区县", RegionLevel.COUNTY

    def expression(self) -> Any:
        return F("county_id")


class Township(RegionDimension):
    """The hazard's 乡镇（街道）: its region, or the region's parent for a village. A hazard recorded at
    county level has no township: it is grouped under its county, named "（本级）"."""

    code, label, level = "township", "乡镇（街道）", RegionLevel.TOWNSHIP

    def expression(self) -> Any:
        return Case(
            When(region__level=RegionLevel.TOWNSHIP, then=F("region_id")),
            When(region__level=RegionLevel.VILLAGE, then=F("region__parent_id")),
            default=F("county_id"),
        )

    def rollup_expression(self) -> Any:
        return F("township_id")

    def describe(self, key: Hashable) -> Group:
        region = _region(key)
        name = f"{region.name}（本级）" if region.level == RegionLevel.COUNTY else region.name
        return Group(key, region.code, name)


def _sector_name(sector: Sector) -> str:
    parent = _sector(sector.parent_id)
    return f"{parent.name}·{sector.name}" if parent else sector.name


class SectorDimension(Dimension):
    code, label = "sector", "行业领域"

    def expression(self) -> Any:
        return F("sector_id")

    def _sectors(self, scope: Scope) -> list[Sector]:
        sectors = sorted(_all(Sector), key=lambda sector: (sector.sort_order, sector.code))
        if scope.sector is not None:
            top = scope.sector.pk
            sectors = [sector for sector in sectors if top in (sector.pk, sector.parent_id)]
        return sectors

    def listed(self, scope: Scope, present: set[Hashable]) -> list[Group]:
        sectors = self._sectors(scope)
        Sector.cached.load([*(s.pk for s in sectors), *(s.parent_id for s in sectors), *_ids(present)])

        def tree_order(sector: Sector) -> tuple:
            top = _sector(sector.parent_id) or sector
            return (top.sort_order, top.code, sector.parent_id is not None, sector.sort_order, sector.code)

        return [self.describe(s.pk) for s in sorted(sectors, key=tree_order)]

    def describe(self, key: Hashable) -> Group:
        sector = _sector(key)
        assert sector is not None
        return Group(key, sector.code, _sector_name(sector))


class SectorGroup(Dimension):
    """The top-level sector: the row of the national tables a sub-sector (工贸·机械) is counted in."""

    code, label = "sector_group", "行业大类"

    def expression(self) -> Any:
        return Coalesce("sector__parent_id", "sector_id")

    def listed(self, scope: Scope, present: set[Hashable]) -> list[Group]:
        if scope.sector is not None:
            ids = [scope.sector.parent_id or scope.sector.pk]
        else:
            tops = sorted((s for s in _all(Sector) if s.parent_id is None), key=lambda s: (s.sort_order, s.code))
            ids = [sector.pk for sector in tops]
        Sector.cached.load([*ids, *_ids(present)])
        return [self.describe(pk) for pk in ids]

    def describe(self, key: Hashable) -> Group:
        sector = _sector(key)
        assert sector is not None
        return Group(key, sector.code, sector.name)


class Department(Dimension):
    """The sector's supervising department (管行业必须管安全)."""

    code, label = "department", "行业主管部门"

    def expression(self) -> Any:
        return F("sector__department_id")

    def listed(self, scope: Scope, present: set[Hashable]) -> list[Group]:
        departments = SupervisingDepartment.objects.order_by("code")
        if scope.sector is not None:
            in_subtree = Sector.objects.filter(Q(pk=scope.sector.pk) | Q(parent_id=scope.sector.pk))
            departments = departments.filter(pk__in=in_subtree.values("department_id"))
        return [Group(d.pk, d.code, d.name) for d in departments]

    def describe_many(self, keys: Iterable[Hashable]) -> list[Group]:
        return [Group(d.pk, d.code, d.name) for d in SupervisingDepartment.objects.filter(pk__in=list(keys))]


class Month(Dimension):
    """The local month of discovery; every month of the period is listed."""

    code, label = "month", "月份"

    def expression(self) -> Any:
        return local_month("found_at")

    def rollup_expression(self) -> Any:
        return F("month")

    def normalize(self, value: Any) -> Hashable:
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
        return value.replace(day=1)

    def listed(self, scope: Scope, present: set[Hashable]) -> list[Group]:
        end = (scope.found_before or scope.today).replace(day=1)
        seen = [key for key in present if isinstance(key, datetime.date)]
        start = scope.found_after.replace(day=1) if scope.found_after else min([*seen, end])
        return [self.describe(month) for month in months_between(start, max(start, end))]

    def describe(self, key: Hashable) -> Group:
        assert isinstance(key, datetime.date)
        return Group(key, f"{key:%Y-%m}", f"{key.year}年{key.month}月")


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first days of the months from ``start``'s to ``end``'s, both included."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def month_count(start: datetime.date, end: datetime.date) -> int:
    return max((end.year - start.year) * 12 + end.month - start.month + 1, 0)


class ChoiceDimension(Dimension):
    choices: Any = None

    def expression(self) -> Any:
        return F(self.code)

    def listed(self, scope: Scope, present: set[Hashable]) -> list[Group]:
        return [self.describe(value) for value in self.values(scope)]

    def values(self, scope: Scope) -> Iterable[str]:
        return self.choices.values

    def describe(self, key: Hashable) -> Group:
        labels = dict(self.choices.choices)
        return Group(key, str(key), str(labels.get(key, key)))


class LevelDimension(ChoiceDimension):
    code, label, choices = "level", "隐患等级", Level

    def values(self, scope: Scope) -> Iterable[str]:
        return [scope.level] if scope.level else Level.values


class SourceDimension(ChoiceDimension):
    code, label, choices = "source", "隐患来源", Source


DIMENSIONS: dict[str, Dimension] = {
    dimension.code: dimension
    for dimension in (
        County(),
        Township(),
        SectorDimension(),
        SectorGroup(),
        Department(),
        Month(),
        LevelDimension(),
        SourceDimension(),
    )
}
