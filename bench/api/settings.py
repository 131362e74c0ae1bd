"""Settings for the API benchmark: the project's settings, the benchmark's URLs, throttling out of the way.

    DJANGO_SETTINGS_MODULE=bench.api.settings

Everything else (middleware, authentication, the Redis cache, persistent database connections with
health checks) stays as in production, for both the project's endpoint and the bare one. Throttling
stays on by default, so every request still pays its Redis round trip (one counter per window,
config/throttling.py); only the rate is raised (``BENCH_THROTTLE=off`` removes the throttle classes
altogether).
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DEBUG", "false")
# gunicorn is reached over plain HTTP here, as behind an intranet's TLS-terminating proxy (PLAIN_HTTP=1,
# README 部署); otherwise every request is redirected to an https:// that nothing serves.
os.environ.setdefault("PLAIN_HTTP", "true")

from config.settings import *  # noqa: F403
from config.settings import REST_FRAMEWORK, env_bool

ROOT_URLCONF = "bench.api.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "user": os.environ.get("BENCH_API_RATE_USER", "100000/s"),
    },
}
if not env_bool("BENCH_THROTTLE", True):
    REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []

# One line per request would cost the workers more than it tells; errors still reach the console.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
