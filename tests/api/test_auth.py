"""Token and session authentication, and the token endpoint's throttle."""

from __future__ import annotations

from rest_framework.test import APIClient

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
    client = APIClient()
    statuses = [
        client.post(f"{API}/auth/token/", {"username": "hq_officer", "password": "x"}, format="json").status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [400] * 10
    response = client.post(f"{API}/auth/token/", {"username": "hq_officer", "password": "x"}, format="json")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"
