"""API tokens: stored as digests, expiring, rotated and revoked by their owner; old plaintext ones carried over."""

from __future__ import annotations

import datetime
import hashlib
import importlib
import json

from django.apps import apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import MAX_PER_USER, token_issue
from tests.api.helpers import API


def take_token(username: str = "hq_officer") -> dict:
    response = APIClient().post(f"{API}/auth/token/", {"username": username, "password": "demo12345"}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_only_a_digest_of_the_token_is_stored(world):
    key = take_token()["token"]
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        assert key not in json.dumps(cursor.fetchall(), default=str)


def test_a_token_expires_after_the_configured_time(world, settings, time_machine):
    settings.API_TOKEN_TTL = datetime.timedelta(days=7)
    taken = take_token()
    expires_at = datetime.datetime.fromisoformat(taken["expires_at"])
    assert abs(expires_at - (timezone.now() + datetime.timedelta(days=7))) < datetime.timedelta(minutes=1)
    client = with_token(taken["token"])
    assert client.get(f"{API}/me/").status_code == 200
    time_machine.move_to(expires_at + datetime.timedelta(seconds=1))
    response = client.get(f"{API}/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_each_sign_in_gets_its_own_token_and_the_oldest_beyond_the_limit_go(world):
    first, second = take_token()["token"], take_token()["token"]
    assert first != second
    assert with_token(first).get(f"{API}/me/").status_code == 200
    assert with_token(second).get(f"{API}/me/").status_code == 200
    for _ in range(MAX_PER_USER):
        token_issue(user=world.hq_officer)
    assert ApiToken.objects.filter(user=world.hq_officer).count() == MAX_PER_USER
    assert with_token(first).get(f"{API}/me/").status_code == 401


def test_the_owner_rotates_a_token_and_the_old_one_stops_working(world, time_machine):
    old = take_token()
    time_machine.move_to(timezone.now() + datetime.timedelta(days=20))
    response = with_token(old["token"]).post(f"{API}/auth/token/rotate/")
    assert response.status_code == 200
    new = response.json()
    assert new["token"] != old["token"] and new["expires_at"] > old["expires_at"]
    assert with_token(old["token"]).get(f"{API}/me/").status_code == 401
    assert with_token(new["token"]).get(f"{API}/me/").json()["username"] == "hq_officer"
    assert with_token(old["token"]).post(f"{API}/auth/token/rotate/").status_code == 401


def test_rotation_needs_a_token_not_a_session(world, client):
    client.force_login(world.hq_officer)
    assert client.post(f"{API}/auth/token/rotate/").status_code == 401
    assert APIClient().post(f"{API}/auth/token/rotate/").status_code == 401


def test_the_owner_revokes_the_token_in_use_and_only_that_one(world):
    kept, revoked = take_token()["token"], take_token()["token"]
    response = with_token(revoked).delete(f"{API}/auth/token/")
    assert response.status_code == 204
    assert with_token(revoked).get(f"{API}/me/").status_code == 401
    assert with_token(kept).get(f"{API}/me/").status_code == 200
    assert with_token(revoked).delete(f"{API}/auth/token/").status_code == 401
    assert APIClient().delete(f"{API}/auth/token/").status_code == 401


def test_a_stale_authorization_header_does_not_stop_signing_in_again(world):
    response = with_token("expired-or-revoked").post(
        f"{API}/auth/token/", {"username": "hq_officer", "password": "demo12345"}, format="json"
    )
    assert response.status_code == 200


def test_the_schema_describes_issue_rotation_and_revocation(world, api):
    spec = json.loads(api("hq_officer").get(f"{API}/schema/?format=json").content)
    assert {"post", "delete"} <= set(spec["paths"]["/api/v1/auth/token/"])
    assert "401" in spec["paths"]["/api/v1/auth/token/rotate/"]["post"]["responses"]
    assert "expires_at" in spec["components"]["schemas"]["Token"]["properties"]


def test_plaintext_tokens_of_before_are_carried_over_as_digests(world):
    migration = importlib.import_module("accounts.migrations.0005_apitoken")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, created timestamptz)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES ('0123456789abcdef0123456789abcdef01234567', %s, now())",
            [world.api_client.pk],
        )
    with connection.schema_editor() as editor:
        migration.hash_existing_tokens(apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)
    assert with_token("0123456789abcdef0123456789abcdef01234567").get(f"{API}/me/").json()["username"] == "api_client"


def test_a_naive_time_read_from_sqlite_is_taken_as_utc():
    migration = importlib.import_module("accounts.migrations.0005_apitoken")
    utc = datetime.datetime(2026, 12, 2, 16, 45, tzinfo=datetime.UTC)
    assert migration._aware("2026-12-02 16:45:00") == utc
    assert migration._aware(datetime.datetime(2026, 12, 2, 16, 45)) == utc
    assert migration._aware(utc) == utc
