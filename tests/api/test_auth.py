"""Token and session authentication, what each process remembers of tokens, and the rate limits."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.test import APIClient, APIRequestFactory

from accounts.api.authentication import TokenAuthentication, tokens
from accounts.models import ApiToken, User
from accounts.tokens import token_issue
from core.api import throttling
from core.api.throttling import UserRateThrottle
from tests.api.helpers import API

# --- authentication ---------------------------------------------------------------------------


def test_token_is_issued_for_good_credentials_and_works(world):
    client = APIClient()
    response = client.post(f"{API}/auth/token/", {"username": "hq_officer", "password": "demo12345"}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get(f"{API}/me/").json()["role"] == "county_officer"


def test_bad_credentials_get_a_chinese_400(world):
    response = APIClient().post(f"{API}/auth/token/", {"username": "hq_officer", "password": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "密码" in response.json()["message"]


def test_no_credentials_get_401_with_the_error_shape(world):
    response = APIClient().get(f"{API}/hazards/")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": response.json()["message"], "fields": {}}
    assert response.headers["WWW-Authenticate"].startswith("Token")


def test_a_bad_token_gets_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(f"{API}/hazards/").status_code == 401


def test_token_endpoint_is_throttled_with_retry_after(world):
    # Other usernames each time, so that the per-username login limit (tests/test_login_limit.py) stays out.
    client = APIClient()
    statuses = [
        client.post(f"{API}/auth/token/", {"username": f"user{n}", "password": "x"}, format="json").status_code
        for n in range(12)
    ]
    assert statuses[:10] == [400] * 10
    response = client.post(f"{API}/auth/token/", {"username": "hq_officer", "password": "x"}, format="json")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"


# --- what each process remembers about tokens -------------------------------------------------


def token_of(username: str) -> tuple[ApiToken, str]:
    return token_issue(user=User.objects.get(username=username))


def token_client(username: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_of(username)[1]}")
    return client


def test_a_deleted_token_is_refused_at_once(world):
    client = token_client("hq_officer")
    assert client.get(f"{API}/me/").status_code == 200
    ApiToken.objects.get().delete()
    assert client.get(f"{API}/me/").status_code == 401


def test_a_deactivated_user_is_refused_at_once(world):
    client = token_client("hq_officer")
    assert client.get(f"{API}/me/").status_code == 200
    world.hq_officer.is_active = False
    world.hq_officer.save()
    response = client.get(f"{API}/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_new_jurisdiction_applies_to_the_next_request(world):
    world.listed()
    client = token_client("hq_officer")
    assert client.get(f"{API}/hazards/").json()["results"]
    world.hq_officer.region = world.weibin
    world.hq_officer.save()
    assert client.get(f"{API}/hazards/").json()["results"] == []


def test_a_change_committed_in_another_process_is_seen_within_a_second(world, monkeypatch):
    client = token_client("hq_officer")
    monkeypatch.setattr(tokens, "check_every", 0)
    assert client.get(f"{API}/me/").status_code == 200
    User.objects.filter(pk=world.hq_officer.pk).update(is_active=False)  # no signal in this process
    assert client.get(f"{API}/me/").status_code == 200
    cache.set(tokens.token_key, "published by the other process", timeout=None)
    assert client.get(f"{API}/me/").status_code == 401


def test_each_request_gets_its_own_user(world):
    _, key = token_of("hq_officer")
    request = APIRequestFactory().get(f"{API}/me/", HTTP_AUTHORIZATION=f"Token {key}")
    first, _ = TokenAuthentication().authenticate(request)
    first.first_name = "改过"
    second, _ = TokenAuthentication().authenticate(request)
    assert second.first_name != "改过"
    assert second.pk == first.pk


# --- the per-user rate ------------------------------------------------------------------------


def test_the_user_rate_is_counted_per_window_and_answered_with_retry_after(world, api, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min"})
    with time_machine.travel(datetime.datetime(2026, 11, 23, 9, 0, 20, tzinfo=datetime.UTC), tick=False):
        officer = api("hq_officer")
        assert [officer.get(f"{API}/me/").status_code for _ in range(3)] == [200] * 3
        response = officer.get(f"{API}/me/")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "40"
        assert response.json()["code"] == "throttled"
        assert "40 秒" in response.json()["message"]
        assert api("city_office").get(f"{API}/me/").status_code == 200  # each user has their own count
    with time_machine.travel(datetime.datetime(2026, 11, 23, 9, 1, 0, tzinfo=datetime.UTC), tick=False):
        assert officer.get(f"{API}/me/").status_code == 200  # a new window


def test_a_window_counter_expires_with_its_window():
    key = "throttle:test:ttl"
    assert throttling.count_hit(key, 60) == 1
    assert throttling.count_hit(key, 60) == 2
    assert 0 < throttling._redis().ttl(key) <= 60


def test_without_redis_the_counters_live_in_the_local_cache(monkeypatch):
    """``make run``'s embedded default has no Redis: the same count in a local cache, which may drop
    a counter at any time (here after two entries) without failing the request."""
    monkeypatch.setattr(throttling, "_redis", lambda: None)
    monkeypatch.setattr(throttling, "cache", LocMemCache("throttle-test", {"OPTIONS": {"MAX_ENTRIES": 2}}))
    assert [throttling.count_hit("throttle:test:1", 60) for _ in range(3)] == [1, 2, 3]
    assert throttling.count_hit("throttle:test:2", 60) == 1
    for n in range(3, 10):  # each new counter may push another out
        assert throttling.count_hit(f"throttle:test:{n}", 60) == 1


def test_the_token_cache_is_bound_in_every_process():
    """A worker or a management command that deletes a token or changes a user must tell the API
    workers, so the cache's signals are connected when Django starts, not when DRF is imported."""
    code = (
        "import django; django.setup();"
        "from django.db.models.signals import post_delete, post_save;"
        "from accounts.models import ApiToken, User;"
        "assert post_delete.has_listeners(ApiToken) and post_save.has_listeners(User)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=settings.BASE_DIR, timeout=60)


def test_a_committed_change_is_published_to_other_processes(world, django_capture_on_commit_callbacks):
    before = cache.get(tokens.token_key)
    with django_capture_on_commit_callbacks(execute=True):
        world.hq_officer.is_active = False
        world.hq_officer.save()
    assert cache.get(tokens.token_key) not in (None, before)


def test_what_a_request_sets_on_its_token_stays_with_it(world):
    _, key = token_of("hq_officer")
    request = APIRequestFactory().get(f"{API}/me/", HTTP_AUTHORIZATION=f"Token {key}")
    _, first = TokenAuthentication().authenticate(request)
    first.user.first_name = "改过"
    _, second = TokenAuthentication().authenticate(request)
    assert second.user.first_name != "改过"
