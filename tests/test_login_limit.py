"""One limit on failed sign-ins for the three doors that take a password: /login/, /admin/login/ and the
API's token view; per username and per client address, the address never taken from a client's own
X-Forwarded-For."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core import login_limit
from tests.api.helpers import API

RIGHT = "demo12345"


def post_login(door: str, username: str, password: str, **headers):
    """One sign-in attempt through a door; the answer's status and the Chinese text it shows."""
    if door == "api":
        response = APIClient().post(
            f"{API}/auth/token/", {"username": username, "password": password}, format="json", **headers
        )
        return response
    url = "/login/" if door == "browser" else "/admin/login/"
    return Client().post(url, {"username": username, "password": password}, **headers)


def signed_in(door: str, response) -> bool:
    if door == "api":
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302


def lock_message(door: str, response) -> str:
    if door == "api":
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > 0
        assert response.json()["code"] == "login_locked"
        return response.json()["message"]
    assert response.status_code == 200
    return response.content.decode()


DOORS = ["browser", "admin", "api"]


@pytest.fixture
def small_limit(settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    # Long enough that a loaded machine's attempts all fall in one window (2 s let the first of eight
    # admin logins expire before the ninth); the test of the window's end shortens it.
    settings.LOGIN_LOCKOUT_SECONDS = 60


@pytest.mark.parametrize("door", DOORS)
def test_the_right_password_is_refused_once_the_username_is_locked_until_the_window_passes(
    world, small_limit, settings, door
):
    settings.LOGIN_LOCKOUT_SECONDS = 3
    # Each attempt from another address, as a botnet would: the username's own count locks it.
    for n in range(5):
        assert not signed_in(door, post_login(door, "admin", "wrong", REMOTE_ADDR=f"10.0.0.{n}"))
    locked = post_login(door, "admin", RIGHT, REMOTE_ADDR="10.0.1.1")
    assert not signed_in(door, locked)
    assert "登录失败次数过多" in lock_message(door, locked)
    assert "分钟后" in lock_message(door, locked)

    time.sleep(3.1)
    assert signed_in(door, post_login(door, "admin", RIGHT, REMOTE_ADDR="10.0.1.1"))


@pytest.mark.parametrize("door", DOORS)
def test_one_address_trying_many_usernames_is_locked(world, small_limit, door):
    for n in range(8):
        post_login(door, f"guess{n}", "wrong", REMOTE_ADDR="10.9.9.9")
    locked = post_login(door, "admin", RIGHT, REMOTE_ADDR="10.9.9.9")
    assert not signed_in(door, locked)
    assert "登录失败次数过多" in lock_message(door, locked)
    assert signed_in(door, post_login(door, "admin", RIGHT, REMOTE_ADDR="10.9.9.10"))


def test_the_three_doors_share_one_count(world, small_limit):
    for door in ["browser", "admin", "api", "browser", "api"]:
        post_login(door, "admin", "wrong")
    assert not signed_in("admin", post_login("admin", "admin", RIGHT))
    assert not signed_in("browser", post_login("browser", "admin", RIGHT))


@pytest.mark.parametrize("door", DOORS)
def test_thirty_wrong_passwords_with_thirty_forwarded_for_headers_are_stopped(world, door):
    # The reproducer: no proxy is trusted (NUM_PROXIES=0), so the header changes nothing.
    answers = [post_login(door, "hq_officer", f"guess{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(30)]
    refused = [a for a in answers if a.status_code == 429 or "登录失败次数过多" in a.content.decode()]
    assert len(refused) >= 20
    assert not signed_in(door, post_login(door, "hq_officer", RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.200"))


def test_a_success_clears_the_usernames_count(world, small_limit):
    for _ in range(3):
        post_login("browser", "admin", "wrong")
    assert signed_in("browser", post_login("browser", "admin", RIGHT))
    for _ in range(3):
        post_login("browser", "admin", "wrong")
    assert signed_in("browser", post_login("browser", "admin", RIGHT))


class FakeRequest:
    def __init__(self, remote: str, forwarded: str | None = None) -> None:
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


def test_the_client_address_trusts_only_the_configured_proxies(settings):
    settings.NUM_PROXIES = 0
    assert login_limit.client_address(FakeRequest("10.0.0.1", "1.2.3.4")) == "10.0.0.1"
    settings.NUM_PROXIES = 1
    # The client wrote "1.2.3.4"; the one proxy appended the address it saw.
    assert login_limit.client_address(FakeRequest("10.0.0.1", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"
    assert login_limit.client_address(FakeRequest("10.0.0.1")) == "10.0.0.1"
    settings.NUM_PROXIES = 2
    assert login_limit.client_address(FakeRequest("10.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.2")) == "198.51.100.7"


def test_api_throttles_ignore_a_clients_forwarded_for(world):
    client = APIClient()
    statuses = [
        client.post(
            f"{API}/auth/token/",
            {"username": f"nobody{n}", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(12)
    ]
    assert statuses[10:] == [429, 429]
