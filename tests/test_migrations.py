"""The migrations build the schema the models declare, from nothing, on PostgreSQL.

The suite itself runs with ``--no-migrations``; this test is what proves the state-only moves
(``SeparateDatabaseAndState``: IdempotencyRecord to core, Sector to accounts) leave a fresh ``migrate`` working and the
tables where the models say they are.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_database():
    params = settings.DATABASES["default"]
    connect = {"host": params["HOST"], "port": params["PORT"], "user": params["USER"], "password": params["PASSWORD"]}
    name = f"fresh_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(dbname="postgres", **connect)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST']}:{params['PORT']}/{name}"
    yield url, psycopg2.connect(dbname=name, **connect)
    admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


def test_a_fresh_migrate_creates_every_table_the_models_name(fresh_database):
    url, connection = fresh_database
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT conname FROM pg_constraint WHERE conname = 'idempotency_user_key_unique'")
        assert cursor.fetchall(), "the unique (user, key) constraint of idempotency records is missing"
    connection.close()
    declared = {model._meta.db_table for model in apps.get_models() if model._meta.managed}
    assert declared <= tables, sorted(declared - tables)
    assert "hazards_idempotencyrecord" in tables


# Run in a child process against the fresh database: listings made before 0012, with the models of then.
NUMBERING_SCRIPT = """
import datetime
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

before = [("hazards", "0011_recall_reassign_actions")]
executor = MigrationExecutor(connection)
executor.migrate(before)
apps = MigrationExecutor(connection).loader.project_state(before).apps
Region = apps.get_model("accounts", "Region")
henan = Region.objects.create(code="410000", name="河南省", level="province", path="/410000/")
city = Region.objects.create(code="410700", name="新乡市", level="city", parent=henan, path="/410000/410700/")
county = Region.objects.create(
    code="410702", name="红旗区", level="county", parent=city, path="/410000/410700/410702/"
)
department = apps.get_model("accounts", "SupervisingDepartment").objects.create(code="d", name="应急管理局")
sector = apps.get_model("accounts", "Sector").objects.create(code="dust", name="粉尘涉爆", department=department)
user = apps.get_model("accounts", "User").objects.create(username="s", role="supervisor", region=county)
Hazard = apps.get_model("hazards", "Hazard")
Listing = apps.get_model("hazards", "SupervisionListing")
at = datetime.datetime(2025, 5, 1, tzinfo=datetime.timezone.utc)
for n, level in enumerate(["county", "city", "county"]):
    hazard = Hazard.objects.create(
        number=f"YH-{n}", title="t", description="d", county=county, region=county, sector=sector,
        level="major", category="site_management", factor="object", source="routine", found_at=at, found_by=user,
    )
    Listing.objects.create(
        hazard=hazard, authority_level=level, authority="手填", notice_number="手填", requirements="r",
        deadline=at.date(), listed_by=user, listed_at=at + datetime.timedelta(days=n),
    )
MigrationExecutor(connection).migrate([("hazards", "0012_inspected_unit_supervision_numbers")])
"""


def test_migration_0012_numbers_the_listings_made_before_it(fresh_database):
    url, connection = fresh_database
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    script = [sys.executable, "manage.py", "shell", "-c", NUMBERING_SCRIPT]
    subprocess.run(script, cwd=ROOT, env=env, check=True, timeout=300)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.authority_level, r.code, l.authority, l.notice_number FROM hazards_supervisionlisting l"
            " JOIN accounts_region r ON r.id = l.authority_region_id ORDER BY l.listed_at"
        )
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT r.code, s.year, s.last_value FROM hazards_supervisionnoticesequence s"
            " JOIN accounts_region r ON r.id = s.office_id ORDER BY r.code"
        )
        sequences = cursor.fetchall()
    connection.close()
    assert rows == [
        ("county", "410702", "红旗区安全生产委员会办公室", "红旗区安委办督〔2025〕1号"),
        ("city", "410700", "新乡市安全生产委员会办公室", "新乡市安委办督〔2025〕1号"),
        ("county", "410702", "红旗区安全生产委员会办公室", "红旗区安委办督〔2025〕2号"),
    ]
    assert sequences == [("410700", 2025, 1), ("410702", 2025, 2)]
