"""config/settings.py reads its environment strictly: what is set arrives, what is wrong fails at start-up."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend
from django.test import override_settings

SETTINGS = Path(__file__).resolve().parent.parent / "config" / "settings.py"
EMAIL = (
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_TIMEOUT",
    "DEFAULT_FROM_EMAIL",
)


def load_settings(monkeypatch, tmp_path: Path, **env: str) -> dict:
    """The settings module as production starts it (DEBUG off), with only these email variables set."""
    for name in EMAIL:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.setenv("SECRET_KEY", "test-settings-secret-key")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CELERY_BROKER_URL", "memory://")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_smtp_settings_come_from_the_environment(monkeypatch, tmp_path):
    settings = load_settings(
        monkeypatch,
        tmp_path,
        EMAIL_HOST="smtp.example.gov.cn",
        EMAIL_USE_TLS="yes",
        EMAIL_HOST_USER="yhqd",
        EMAIL_HOST_PASSWORD="s3cret",
        DEFAULT_FROM_EMAIL="隐患清单 <yhqd@example.gov.cn>",
    )

    with override_settings(**{name: value for name, value in settings.items() if name.startswith("EMAIL_")}):
        backend = get_connection()
    assert isinstance(backend, EmailBackend)
    assert (backend.host, backend.port, backend.use_tls, backend.use_ssl) == ("smtp.example.gov.cn", 587, True, False)
    assert (backend.username, backend.password, backend.timeout) == ("yhqd", "s3cret", 30)
    assert settings["DEFAULT_FROM_EMAIL"] == "隐患清单 <yhqd@example.gov.cn>"


def test_ssl_takes_its_port_and_an_explicit_port_wins(monkeypatch, tmp_path):
    assert load_settings(monkeypatch, tmp_path, EMAIL_USE_SSL="1")["EMAIL_PORT"] == 465
    assert load_settings(monkeypatch, tmp_path, EMAIL_USE_SSL="1", EMAIL_PORT="2465")["EMAIL_PORT"] == 2465


def test_without_email_settings_production_uses_smtp_on_localhost(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, tmp_path, EMAIL_HOST="", EMAIL_PORT="")
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"], settings["EMAIL_USE_TLS"]) == ("localhost", 25, False)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EMAIL_USE_TLS": "sometimes"}, "EMAIL_USE_TLS='sometimes' is not a boolean"),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT='smtp' is not an integer"),
        ({"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "exclude each other"),
        ({"EMAIL_HOST_PASSWORD": "s3cret"}, "EMAIL_HOST_USER is not"),
    ],
)
def test_bad_email_settings_fail_at_start_up(monkeypatch, tmp_path, env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load_settings(monkeypatch, tmp_path, **env)
