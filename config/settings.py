"""Settings for 隐患清单, read from the environment in this one module.

Local defaults need nothing set (SQLite file and a filesystem broker under ``var/``); production sets
``DATABASE_URL``, ``REDIS_URL`` and ``SECRET_KEY``. Bad values fail loudly at start-up.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import dj_database_url
from django.contrib.messages import constants as message_constants
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use one of {sorted(_TRUE | _FALSE)})")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "hazards",
    "inspections",
    "reports",
    "reminders",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # With the user known, so its page can draw the navbar; inert unless DEBUG.
    "core.middleware.DebugNotFoundMiddleware",
    # Last, so that its page has the user; nothing before it reads the body.
    "core.middleware.RequestSizeLimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    # Jinja2 for the few templates that repeat a block per row of a long list (templates/jinja2/): the 50
    # rows of 隐患列表 cost 10 ms of CPU through the Django engine's per-variable lookups and 1.2 ms here.
    # Rendered with ``using="jinja2"`` only; pages themselves stay Django templates.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": True, "environment": "config.jinja2.environment"},
    },
]

# The pages show messages as Bootstrap alerts, which call an error "danger".
MESSAGE_TAGS = {message_constants.ERROR: "danger"}

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default is shared by web, worker and beat: wait for the write lock instead of
    # failing at once, and use WAL so readers never block the writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# The browser app's own Chinese login page (accounts.urls); signing in lands on 工作台, logging out returns here.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "hazards:home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Evidence photos and PDFs: the service checks content and size (10 MB) itself.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# A 台账 import (hazards/imports): 100,000 rows of the template are about 12 MB as .xlsx.
LEDGER_IMPORT_MAX_BYTES = env_int("LEDGER_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# Checked from the image's header before anything decodes it (core/uploads.py). Phones save 12 MP by
# default; a full-resolution 48 MP shot (8000 × 6000) must be scaled down before it is uploaded.
ATTACHMENT_MAX_PIXELS = env_int("ATTACHMENT_MAX_PIXELS", 40_000_000)
# A whole request, files included, refused from its Content-Length before it is read (core/middleware.py):
# three files at the limit, or a form's handful of phone photos. The proxy in front sets the same limit.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 32 * 1024 * 1024)
# What Django holds in memory of a body apart from its files: a JSON body, or a form's fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# HTTPS. Production defaults to it: secure cookies, a redirect from http://, HSTS for a year. An intranet
# that serves the site over plain HTTP says so with PLAIN_HTTP=1 (README, 部署), which turns all four off.
PLAIN_HTTP = env_bool("PLAIN_HTTP", False)
_https = not DEBUG and not PLAIN_HTTP
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", _https)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _https)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if PLAIN_HTTP:
    # Declared plain HTTP: `check --deploy` would repeat four times that there is no HTTPS (no HSTS, no
    # redirect, both cookies sent in clear); core.checks says it once, as information, with what it means.
    SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]

# A form or API call refused for its CSRF token: a Chinese page, or the API's error shape under /api/.
CSRF_FAILURE_VIEW = "core.api.errors.csrf_failure"

# Sent with every response (core.middleware.SecurityHeadersMiddleware) unless a view sets its own, as
# the ReDoc page does. The pages load nothing from elsewhere and carry no inline script or style; photo
# previews are blob: URLs and the favicon a data: URL.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)
PERMISSIONS_POLICY = os.environ.get(
    "PERMISSIONS_POLICY", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=()"
)
# The reverse proxies in front of the site that append the client's address to X-Forwarded-For: 0 (none)
# takes the address from the connection and ignores the header, which any client can send. The login
# limit (core.login_limit) and the API throttles (DRF's NUM_PROXIES) both read the address this way.
NUM_PROXIES = env_int("NUM_PROXIES", 0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured(f"NUM_PROXIES={NUM_PROXIES} must be 0 or more")

# Failed sign-ins (browser, admin and API token alike): a username or a client address that fails this
# many times within LOGIN_LOCKOUT_SECONDS is refused for that long, the right password too.
LOGIN_FAILURES_PER_USERNAME = env_int("LOGIN_FAILURES_PER_USERNAME", 10)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 50)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)

# Only behind a proxy that sets X-Forwarded-Proto itself; otherwise any client could claim HTTPS. Behind a
# TLS proxy it is also what keeps the redirect to https:// from looping.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Email, for the reminders' email channel (reminders.channels). Locally (DEBUG) the console backend prints
# the messages; otherwise SMTP to EMAIL_HOST, a relay of the intranet. A message that cannot be handed over
# stays pending in the ledger and is tried again, so a wrong setting shows as failed sends, never as silence.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS, usually on port 587
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # implicit TLS, usually on port 465
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other: set one of them")
EMAIL_PORT = env_int("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587 if EMAIL_USE_TLS else 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
if EMAIL_HOST_PASSWORD and not EMAIL_HOST_USER:
    raise ImproperlyConfigured("EMAIL_HOST_PASSWORD is set but EMAIL_HOST_USER is not")
# A worker waiting on a mail server that does not answer holds up every digest after it.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "隐患清单 <noreply@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The cache holds API throttling counters and idempotency locks: Redis when there is one, so all
# web processes share it; otherwise a local-memory cache is enough for a single `make run`.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# REST API v1. Rates are per token (per user); documented in the OpenAPI description.
API_RATE_USER = os.environ.get("API_RATE_USER", "1200/min")
API_RATE_ANON = os.environ.get("API_RATE_ANON", "60/min")
API_RATE_TOKEN = os.environ.get("API_RATE_TOKEN", "10/min")
# How long an API token is valid from its issue (accounts/tokens.py); a client rotates it before then.
API_TOKEN_TTL = datetime.timedelta(days=env_int("API_TOKEN_TTL_DAYS", 30))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated request gets 401 with WWW-Authenticate: Token.
        "accounts.api.authentication.TokenAuthentication",
        "core.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["core.api.filtering.StrictFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.UserRateThrottle",
        "core.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"user": API_RATE_USER, "anon": API_RATE_ANON, "token": API_RATE_TOKEN},
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "隐患清单 API v1",
    "DESCRIPTION": (
        "隐患排查治理台账的 REST 接口：隐患的列单、交单、办单、清单（销号）全流程，以及区划、行业、责任单位等基础数据。"
        "\n\n认证：`POST /api/v1/auth/token/` 取得令牌，之后在请求头中携带 `Authorization: Token <令牌>`。"
        f"令牌自签发起 {API_TOKEN_TTL.days} 天内有效（`expires_at`），到期前可 `POST /api/v1/auth/token/rotate/` 换新，"
        "`DELETE /api/v1/auth/token/` 注销；库中只存令牌的摘要，令牌只在签发时返回一次。"
        f"\n\n限流：每个令牌 {API_RATE_USER}，匿名 {API_RATE_ANON}（均按自然时间窗口计数），"
        f"取令牌接口 {API_RATE_TOKEN}；超限返回 429 并带 `Retry-After` 头。"
        "同一用户名或地址登录失败过多时暂停登录（与登录页共用），返回 429（`login_locked`）并带 `Retry-After`。"
        "\n\n未知的查询参数返回 400 并指明参数名。"
        '\n\n错误统一为 `{"code": "...", "message": "中文说明", "fields": {...}}`。'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "HazardStatusEnum": "hazards.choices.Status",
        "HazardLevelEnum": "hazards.choices.Level",
        "ExtensionStatusEnum": "hazards.choices.ExtensionStatus",
        "VerificationMethodEnum": "hazards.choices.VerificationMethod",
        "AuthorityLevelEnum": "hazards.choices.AuthorityLevel",
        "RegionLevelEnum": "accounts.choices.RegionLevel",
        "RoleEnum": "accounts.choices.Role",
        "UnitKindEnum": "accounts.choices.UnitKind",
        "InspectionKindEnum": "inspections.choices.Kind",
        "InspectionStatusEnum": "inspections.choices.Status",
        "InspectionResultEnum": "inspections.choices.Result",
        "CampaignStatusEnum": "inspections.choices.CampaignStatus",
        "MajorStandardEnum": "hazards.choices.MajorStandard",
    },
}

# Celery. With REDIS_URL unset, a filesystem broker under var/ needs no server (make run).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcasts (celery inspect/control) also go through files, kept under var/ too.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    # The filesystem transport fails on a missing folder; whoever publishes first creates them.
    for _folder in ("processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        # kombu's Redis transport with the fix that keeps a worker alive through a Redis restart.
        CELERY_BROKER_TRANSPORT = "config.broker:Transport"
# Connections the reminder sweep plans with side by side (reminders.services.sweep): the database server's
# cores. One on the embedded SQLite, which has a single writer.
REMINDER_SWEEP_WORKERS = env_int(
    "REMINDER_SWEEP_WORKERS", 1 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 2
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
