"""Load N hazards (default 1,000,000) into the PostgreSQL database named by DATABASE_URL.

    DATABASE_URL=postgres://… .venv/bin/python -m bench.api.generate --rows 1000000

1. ``manage.py migrate`` and ``manage.py seed_demo --if-empty``: 新乡市 with its 12 counties, townships
   and villages, departments, sectors, about 200 units with their contacts, the demo users
   (``hq_officer``, the county officer of 红旗区 410702; ``api_client`` for the whole city) and about
   3,000 hazards with their full history.
2. More enterprises, up to ``--units`` (default 2,000) in all, spread over the 12 counties, each with a
   valid and unique 统一社会信用代码 and a sector.
3. The rest of the N hazards in one server-side ``INSERT … SELECT … FROM generate_series`` (staged in an
   unlogged table, then inserted in id order in chunks, with the secondary indexes dropped and rebuilt
   with their exact definitions), then ``VACUUM ANALYZE``.

The hazards: evenly over the 12 counties (红旗区 about 1/12); each belongs to a unit of its county
(skewed: a few units have many hazards), in the unit's region and sector, with a text of the sector's
group; ``found_at`` over the last three years, ids growing with it; statuses by age (about 89 % closed,
3 % void, the open ones mostly recent); deadlines, assignment, acknowledgement, submission and closing
times in order; ``version`` counting the transitions; numbers ``YH-<county>-<year>-<seq>`` continuing
the county's ``HazardNumberSequence`` (which is moved on past them). About 1.5 % are major hazards with
a 判定标准 and a 治理方案. No events, listings or extension requests are written for the bulk hazards:
the list endpoints never read them.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time

SEED = "bench.api.generate"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.api.settings")
    import django

    django.setup()


def log(message: str) -> None:
    print(f"[generate] {message}", flush=True)


# --- reference data ---------------------------------------------------------------------------------


def demo_unit_sectors() -> dict[str, str]:
    """Sector code of each demo unit by name (the demo's specs are deterministic)."""
    from demo import places

    return {spec.name: spec.sector for spec in places.unit_specs(places.region_specs())}


def ensure_units(target: int) -> int:
    """Add enterprises until there are ``target`` units; return how many were added."""
    from pypinyin import Style, lazy_pinyin

    from accounts.choices import RegionLevel, UnitKind
    from accounts.models import Region, ResponsibleUnit
    from demo import places, words

    missing = target - ResponsibleUnit.objects.count()
    if missing <= 0:
        return 0
    rng = random.Random(SEED + ".units")
    counties = places.counties()
    names = set(ResponsibleUnit.objects.values_list("name", flat=True))
    codes = set(ResponsibleUnit.objects.exclude(credit_code="").values_list("credit_code", flat=True))
    regions = {
        county.code: list(
            Region.objects.filter(
                code__startswith=county.code, level__in=[RegionLevel.TOWNSHIP, RegionLevel.VILLAGE]
            ).order_by("code")
        )
        for county in counties
    }
    trades = sorted(words.ENTERPRISE_TRADES)
    rows = []
    for n in range(missing):
        county = counties[n % len(counties)]
        sector = rng.choice(trades)
        prefix, endings = words.ENTERPRISE_TRADES[sector]
        name = ""
        while not name or name in names:
            head = places.county_prefix(county) if rng.random() < 0.75 else "河南"
            name = head + rng.choice(words.TRADE_NAMES) + rng.choice(words.TRADE_NAMES) + rng.choice(endings)
        names.add(name)
        code = ""
        while not code or code in codes:
            code = places.credit_code(rng, prefix, county.code)
        codes.add(code)
        region = rng.choice(regions[county.code])
        street = f"{rng.choice(words.ROADS)}{rng.randint(1, 300)}号"
        rows.append(
            ResponsibleUnit(
                name=name,
                kind=UnitKind.ENTERPRISE,
                region=region,
                address=f"{places.PROVINCE[1]}{places.CITY[1]}{county.name}{region.name}{street}",
                contact_name=places.person_name(rng),
                contact_phone=places.mobile(rng),
                credit_code=code,
                # The sector is not a unit field; it is kept where the hazards can find it (below).
                industry_code="",
                name_initials="".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower(),
            )
        )
    ResponsibleUnit.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def unit_sector(unit, demo_sectors: dict[str, str]) -> str:
    """The sector of a unit: the demo's choice, else read back from the name's ending."""
    from demo import words

    if unit.name in demo_sectors:
        return demo_sectors[unit.name]
    for sector, (_prefix, endings) in sorted(words.ENTERPRISE_TRADES.items()):
        if any(unit.name.endswith(ending) for ending in endings):
            return sector
    return "commerce"


def reference_tables(cursor) -> None:
    """Temporary tables the INSERT … SELECT draws from: counties, units, texts per sector, major items."""
    from accounts.choices import Role
    from accounts.models import Region, ResponsibleUnit, Sector, User
    from demo import places, words

    sectors = {s.code: s.pk for s in Sector.objects.all()}
    demo_sectors = demo_unit_sectors()
    counties = list(Region.objects.filter(code__in=[c.code for c in places.counties()]).order_by("code"))
    cursor.execute(
        "CREATE TEMP TABLE b_county (ci int PRIMARY KEY, county_id bigint, code text, officer_id bigint,"
        " supervisor_id bigint, nunits int)"
    )
    cursor.execute(
        "CREATE TEMP TABLE b_unit (ci int, ui int, unit_id bigint, region_id bigint, sector_id bigint,"
        " address text, contact_name text, contact_phone text, PRIMARY KEY (ci, ui))"
    )
    for ci, county in enumerate(counties):
        staff = {
            u.role: u.pk
            for u in User.objects.filter(region=county, role__in=[Role.COUNTY_OFFICER, Role.SUPERVISOR]).order_by("-pk")
        }
        units = list(
            ResponsibleUnit.objects.filter(region__path__startswith=county.path).select_related("region").order_by("pk")
        )
        rng = random.Random(f"{SEED}.units.{county.code}")
        rng.shuffle(units)  # which units get most hazards
        cursor.execute(
            "INSERT INTO b_county VALUES (%s, %s, %s, %s, %s, %s)",
            [ci, county.pk, county.code, staff[Role.COUNTY_OFFICER], staff[Role.SUPERVISOR], len(units)],
        )
        cursor.executemany(
            "INSERT INTO b_unit VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    ci,
                    ui,
                    unit.pk,
                    unit.region_id,
                    sectors[unit_sector(unit, demo_sectors)],
                    unit.address or f"{places.PROVINCE[1]}{places.CITY[1]}{county.name}{unit.region.name}",
                    unit.contact_name or places.person_name(rng),
                    unit.contact_phone or places.mobile(rng),
                )
                for ui, unit in enumerate(units)
            ],
        )
    cursor.execute(
        "CREATE TEMP TABLE b_text (sector_id bigint, ti int, title text, description text, measures text,"
        " category text, factor text, spot text, PRIMARY KEY (sector_id, ti))"
    )
    cursor.execute(
        "CREATE TEMP TABLE b_major (sector_id bigint, mi int, standard text, clause text, finding text,"
        " PRIMARY KEY (sector_id, mi))"
    )
    cursor.execute("CREATE TEMP TABLE b_sector (sector_id bigint PRIMARY KEY, ntexts int, nmajor int)")
    for code, pk in sectors.items():
        group = words.SECTOR_GROUPS.get(code, "general")
        texts = [*words.HAZARD_TEXTS.get(group, ()), *words.HAZARD_TEXTS["general"]]
        spots = words.SPOTS[words.SPOT_OF_GROUP.get(group, "industry")]
        majors = words.MAJOR_ITEMS[group if group in words.MAJOR_ITEM_GROUPS else "other"]
        cursor.execute("INSERT INTO b_sector VALUES (%s, %s, %s)", [pk, len(texts), len(majors)])
        cursor.executemany(
            "INSERT INTO b_text VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (pk, ti, t.title, t.description, t.measures, t.category.value, t.factor.value, spots[ti % len(spots)])
                for ti, t in enumerate(texts)
            ],
        )
        cursor.executemany(
            "INSERT INTO b_major VALUES (%s, %s, %s, %s, %s)",
            [(pk, mi, m.standard.value, m.clause, m.finding) for mi, m in enumerate(majors)],
        )
    cursor.execute("ANALYZE b_county; ANALYZE b_unit; ANALYZE b_text; ANALYZE b_major; ANALYZE b_sector")


# --- the hazards ------------------------------------------------------------------------------------

# One row per hazard, every column computed on the server. ``g`` draws the random numbers, ``s`` the
# status from the age, ``t`` the timeline in order; the number's serial is the row's rank within its
# county and year, after the serials the county's sequence has already handed out.
STAGE_SQL = """
CREATE UNLOGGED TABLE bench_stage AS
WITH g AS (
    SELECT i,
           floor(random() * 12)::int AS ci,
           random() AS ru, random() AS rs, random() AS rt, random() AS rx, random() AS ry, random() AS rz,
           random() AS rm,
           %(t0)s::timestamptz + ((i - 1 + random()) / %(n)s::float8) * (%(t1)s::timestamptz - %(t0)s::timestamptz)
               AS found_at
    FROM generate_series(1, %(n)s) AS i
), s AS (
    SELECT g.*,
           extract(epoch FROM (%(t1)s::timestamptz - found_at)) / 86400 AS age,
           c.county_id, c.code AS county_code, c.officer_id, c.supervisor_id,
           u.unit_id, u.region_id, u.sector_id, u.address, u.contact_name, u.contact_phone,
           extract(year FROM found_at AT TIME ZONE 'Asia/Shanghai')::int AS year
    FROM g
    JOIN b_county c USING (ci)
    JOIN b_unit u ON u.ci = g.ci AND u.ui = floor(power(g.ru, 1.6) * c.nunits)::int
), st AS (
    SELECT s.*,
           CASE
               WHEN age > 180 THEN CASE
                   WHEN rs < 0.95 THEN 'closed' WHEN rs < 0.98 THEN 'void' WHEN rs < 0.99 THEN 'rectifying'
                   WHEN rs < 0.995 THEN 'submitted' ELSE 'assigned' END
               WHEN age > 30 THEN CASE
                   WHEN rs < 0.70 THEN 'closed' WHEN rs < 0.73 THEN 'void' WHEN rs < 0.88 THEN 'rectifying'
                   WHEN rs < 0.95 THEN 'submitted' WHEN rs < 0.98 THEN 'assigned' ELSE 'listed' END
               WHEN age <= 3 THEN CASE WHEN rs < 0.5 THEN 'listed' ELSE 'assigned' END
               ELSE CASE
                   WHEN rs < 0.20 THEN 'closed' WHEN rs < 0.22 THEN 'void' WHEN rs < 0.37 THEN 'listed'
                   WHEN rs < 0.57 THEN 'assigned' WHEN rs < 0.87 THEN 'rectifying' ELSE 'submitted' END
           END AS status
    FROM s
), h AS (
    SELECT st.*,
           (status NOT IN ('listed', 'void') OR (status = 'void' AND rx >= 0.5)) AS handed,
           status IN ('rectifying', 'submitted', 'closed') AS acknowledged,
           status IN ('submitted', 'closed') AS done,
           rm < 0.015 AS major
    FROM st
), t AS (
    SELECT h.*,
           CASE WHEN handed THEN least(found_at + (1 + rx * 3) * interval '1 day', %(t1)s::timestamptz) END
               AS assigned_at
    FROM h
), t2 AS (
    SELECT t.*,
           (assigned_at + (10 + floor(ry * 50)) * interval '1 day')::date AS deadline,
           CASE WHEN acknowledged THEN least(assigned_at + (0.2 + rz) * interval '1 day', %(t1)s::timestamptz) END
               AS acknowledged_at
    FROM t
), t3 AS (
    SELECT t2.*,
           CASE WHEN done THEN least(
               acknowledged_at + (deadline - assigned_at::date) * (0.3 + 0.6 * ry) * interval '1 day',
               %(t1)s::timestamptz) END AS submitted_at
    FROM t2
), t4 AS (
    SELECT t3.*,
           CASE WHEN status = 'closed' THEN least(submitted_at + (0.5 + 4 * rx) * interval '1 day', %(t1)s::timestamptz)
           END AS closed_at
    FROM t3
)
SELECT i, t4.county_id, t4.year,
       coalesce(q.last_value, 0) + row_number() OVER (PARTITION BY t4.county_id, t4.year ORDER BY i) AS seq,
       county_code, status,
       CASE status WHEN 'listed' THEN 1 WHEN 'assigned' THEN 2 WHEN 'rectifying' THEN 3 WHEN 'submitted' THEN 4
                   WHEN 'closed' THEN CASE WHEN rz < 0.1 THEN 7 ELSE 5 END
                   ELSE CASE WHEN handed THEN 3 ELSE 2 END END AS version,
       bt.title, bt.description, region_id, t4.address || bt.spot AS address, t4.sector_id,
       CASE WHEN major THEN 'major' ELSE 'general' END AS level,
       bt.category, bt.factor,
       (ARRAY['routine','routine','routine','special','self_check','self_check','unannounced','supervisory',
              'public_report','other'])[1 + floor(rt * 1000)::int %% 10] AS source,
       found_at, officer_id AS found_by_id,
       CASE WHEN major THEN bm.standard ELSE '' END AS major_standard,
       CASE WHEN major THEN bm.clause || '：' || bm.finding ELSE '' END AS major_standard_item,
       CASE WHEN major THEN %(major_measures)s ELSE '' END AS plan_measures,
       CASE WHEN major THEN %(plan_responsibility)s ELSE '' END AS plan_responsibility,
       CASE WHEN major THEN round((5 + rx * 195)::numeric, 2) END AS plan_funds,
       CASE WHEN major AND handed THEN deadline END AS plan_deadline,
       CASE WHEN major THEN %(plan_contingency)s ELSE '' END AS plan_contingency,
       CASE WHEN major THEN CASE WHEN rz < 0.5 THEN 'part' ELSE 'all' END ELSE 'none' END AS stop_production,
       CASE WHEN handed THEN unit_id END AS responsible_unit_id,
       CASE WHEN handed THEN contact_name ELSE '' END AS responsible_person,
       CASE WHEN handed THEN contact_phone ELSE '' END AS responsible_phone,
       CASE WHEN handed THEN (%(requirements)s::text[])[1 + floor(ry * 1000)::int %% 3] ELSE '' END AS requirements,
       CASE WHEN handed THEN deadline END AS deadline,
       assigned_at, acknowledged_at,
       CASE WHEN done THEN bt.measures ELSE '' END AS measures,
       CASE WHEN done THEN (submitted_at AT TIME ZONE 'Asia/Shanghai')::date END AS completed_on,
       CASE WHEN done THEN round((200 + rx * 49800)::numeric, 2) END AS cost,
       submitted_at,
       CASE WHEN status = 'closed' THEN CASE WHEN ry < 0.6 THEN 'on_site' ELSE 'on_evidence' END ELSE '' END
           AS verification_method,
       CASE WHEN status = 'closed' THEN (%(opinions)s::text[])[1 + floor(rz * 1000)::int %% 3] ELSE '' END
           AS verification_opinion,
       closed_at,
       CASE WHEN status = 'closed' THEN supervisor_id END AS closed_by_id,
       CASE WHEN status = 'void' THEN (%(void_reasons)s::text[])[1 + floor(rs * 1000)::int %% 3] ELSE '' END
           AS void_reason,
       found_at AS created_at,
       CASE WHEN status = 'void' THEN least(coalesce(assigned_at, found_at) + interval '2 days', %(t1)s::timestamptz)
            ELSE coalesce(closed_at, submitted_at, acknowledged_at, assigned_at, found_at) END AS updated_at
FROM t4
JOIN b_sector bs ON bs.sector_id = t4.sector_id
JOIN b_text bt ON bt.sector_id = t4.sector_id AND bt.ti = floor(rt * bs.ntexts)::int
JOIN b_major bm ON bm.sector_id = t4.sector_id AND bm.mi = floor(rz * bs.nmajor)::int
LEFT JOIN hazards_hazardnumbersequence q ON q.county_id = t4.county_id AND q.year = t4.year
"""

COLUMNS = (
    "status, version, title, description, county_id, region_id, address, sector_id, level, category, factor, "
    "source, found_at, found_by_id, major_standard, major_standard_item, plan_measures, plan_responsibility, "
    "plan_funds, plan_deadline, plan_contingency, stop_production, responsible_unit_id, responsible_person, "
    "responsible_phone, requirements, deadline, assigned_at, acknowledged_at, measures, completed_on, cost, "
    "submitted_at, verification_method, verification_opinion, closed_at, closed_by_id, void_reason, created_at, "
    "updated_at"
)


def secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes that back no constraint (primary key, unique)."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname
        """,
        [table],
    )
    return cursor.fetchall()


def load_hazards(count: int, *, chunk: int = 200_000) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from demo import words
    from hazards import search

    now = timezone.now().replace(microsecond=0)
    params = {
        "n": count,
        "t0": now - datetime.timedelta(days=3 * 365),
        "t1": now,
        "major_measures": words.MAJOR_MEASURES,
        "plan_responsibility": words.PLAN_RESPONSIBILITY,
        "plan_contingency": words.PLAN_CONTINGENCY,
        "requirements": list(words.REQUIREMENTS),
        "opinions": list(words.VERIFY_OPINIONS),
        "void_reasons": list(words.VOID_REASONS),
    }
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        with transaction.atomic():
            started = time.monotonic()
            reference_tables(cursor)
            cursor.execute("DROP TABLE IF EXISTS bench_stage")
            cursor.execute("SELECT setseed(0.42)")
            cursor.execute(STAGE_SQL, params)
            log(f"staged {count:,} rows in {time.monotonic() - started:.1f} s")
        indexes = secondary_indexes(cursor, "hazards_hazard")
        started = time.monotonic()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        # The search table (hazards/search.py) is filled once afterwards, set-based, not row by row.
        cursor.execute("ALTER TABLE hazards_hazard DISABLE TRIGGER hazard_search_insert")
        for first in range(1, count + 1, chunk):
            with transaction.atomic():
                cursor.execute(
                    f"INSERT INTO hazards_hazard (number, {COLUMNS}) "
                    f"SELECT 'YH-' || county_code || '-' || year || '-' || lpad(seq::text, 6, '0'), {COLUMNS} "
                    "FROM bench_stage WHERE i BETWEEN %s AND %s ORDER BY i",
                    [first, first + chunk - 1],
                )
            log(f"inserted {min(first + chunk - 1, count):,} / {count:,} ({time.monotonic() - started:.1f} s)")
        started = time.monotonic()
        for _name, definition in indexes:
            cursor.execute(definition)
        log(f"rebuilt {len(indexes)} secondary indexes in {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        cursor.execute("ALTER TABLE hazards_hazard ENABLE TRIGGER hazard_search_insert")
        search.install(cursor, backfill=True)
        log(f"filled and indexed the search table in {time.monotonic() - started:.1f} s")
        # hazards.services.numbers.claim_hazard_numbers continues after the bulk numbers.
        cursor.execute(
            """
            INSERT INTO hazards_hazardnumbersequence (county_id, year, last_value)
            SELECT county_id, year, max(seq) FROM bench_stage GROUP BY county_id, year
            ON CONFLICT (county_id, year) DO UPDATE
                SET last_value = greatest(hazards_hazardnumbersequence.last_value, excluded.last_value)
            """
        )
        cursor.execute("DROP TABLE bench_stage")


def generate(rows: int, *, units: int = 2000) -> float:
    """Migrate, seed, add units and hazards up to ``rows``; return the seconds it took."""
    from django.core.management import call_command
    from django.db import connection

    from hazards.models import Hazard

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    log(f"migrated ({time.monotonic() - started:.1f} s)")
    call_command("seed_demo", if_empty=True)
    log(f"seed_demo done ({time.monotonic() - started:.1f} s)")
    added = ensure_units(units)
    log(f"added {added} units ({time.monotonic() - started:.1f} s)")
    missing = rows - Hazard.objects.count()
    if missing > 0:
        load_hazards(missing)
    step = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) hazards_hazard")
        cursor.execute("ANALYZE")
        cursor.execute("CHECKPOINT")
    log(f"VACUUM ANALYZE in {time.monotonic() - step:.1f} s")
    elapsed = time.monotonic() - started
    log(f"{Hazard.objects.count():,} hazards ready in {elapsed:.1f} s")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="hazards in the table when done")
    parser.add_argument("--units", type=int, default=2000, help="responsible units in the table when done")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("DATABASE_URL must name a PostgreSQL database", file=sys.stderr)
        return 2
    setup_django()
    elapsed = generate(args.rows, units=args.units)
    print(f"data generation took {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
