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
