"""HTTPS, HSTS, a Content Security Policy and a Permissions Policy, from settings with production
defaults; `check --deploy` clean for the HTTPS deployment and explained for the plain-HTTP intranet."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from core import jobs
from tests.test_settings import load_settings

BASE_DIR = Path(settings.BASE_DIR)


def test_every_page_sends_the_policies(client, world):
    client.force_login(world.hq_officer)
    for url in ("/", "/hazards/", "/login/", "/api/v1/me/", "/admin/login/"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "camera=()" in response["Permissions-Policy"]


def test_a_view_with_its_own_policy_keeps_it(client, world):
    client.force_login(world.hq_officer)
    assert "font-src 'self' data:" in client.get("/api/v1/redoc/")["Content-Security-Policy"]


def test_pages_carry_no_inline_script_or_style(client, world):
    client.force_login(world.hq_officer)
    hazard = world.submitted()
    world.closed(world.listed())  # an event with a comment
    pages = ("/", "/hazards/", f"/hazards/{hazard.pk}/", "/hazards/new/", "/messages/", f"/hazards/{hazard.pk}/notice/")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert " style=" not in html and "<style" not in html, url
        assert " onclick=" not in html, url
        for tag in html.split("<script")[1:]:
            assert tag.split(">")[0].strip().startswith("src="), url


@pytest.mark.parametrize(("secure", "status"), [(False, 301), (True, 200)])
def test_production_redirects_to_https_and_sends_hsts(client, world, settings, secure, status):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/login/", secure=secure)
    assert response.status_code == status
    if secure:
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    else:
        assert response["Location"] == "https://testserver/login/"


def test_the_defaults_are_https_in_production_and_plain_only_when_declared(monkeypatch, tmp_path):
    https = load_settings(monkeypatch, tmp_path)
    assert https["SECURE_SSL_REDIRECT"] and https["SESSION_COOKIE_SECURE"] and https["CSRF_COOKIE_SECURE"]
    assert https["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert "SILENCED_SYSTEM_CHECKS" not in https
    plain = load_settings(monkeypatch, tmp_path, PLAIN_HTTP="1")
    assert not (plain["SECURE_SSL_REDIRECT"] or plain["SESSION_COOKIE_SECURE"] or plain["SECURE_HSTS_SECONDS"])
    assert plain["SILENCED_SYSTEM_CHECKS"] == ["security.W004", "security.W008", "security.W012", "security.W016"]


def check_deploy(**env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "PLAIN_HTTP", "SECURE_COOKIES", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"}
    }
    environment.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="yhqd.example.gov.cn", **env)
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(command, cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_for_the_https_deployment():
    result = check_deploy()
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout + result.stderr


def test_check_deploy_explains_the_plain_http_intranet_mode_instead_of_warning():
    result = check_deploy(PLAIN_HTTP="1")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "core.I001" in output and "PLAIN_HTTP=1" in output


def test_plain_http_without_declaring_it_still_warns():
    result = check_deploy(SECURE_COOKIES="0")
    assert result.returncode != 0
    assert "security.W012" in result.stderr and "security.W016" in result.stderr


def test_a_jobs_progress_bar_gets_its_width_from_a_data_attribute(client, world):
    job = jobs.job_create(kind="reports.export", owner=world.hq_officer, scope={})
    jobs.job_start(job_id=job.pk, total=4)
    jobs.job_advance(job_id=job.pk, done=1)
    client.force_login(world.hq_officer)
    html = client.get(f"/jobs/{job.pk}/progress/").content.decode()
    assert 'data-percent="25"' in html
    assert " style=" not in html
