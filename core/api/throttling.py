"""Per-user and anonymous rate limits in fixed windows: one Redis round trip per request.

DRF's throttles keep each caller's request times as a list in the cache, read and written back on
every request: two round trips and a list of up to 1,200 floats pickled each way. Here each window
of the rate ("1200/min": this minute) is one counter, created with its expiry and incremented in one
pipeline. A caller may send up to the rate in each window, so twice the rate across the boundary of
two windows; the rates are documented as limits per window. Over the limit the answer is 429 with
``Retry-After``, the seconds until the window ends. Without Redis (``make run``'s embedded default)
the counters are in the local cache.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework import throttling
from rest_framework.request import Request


@functools.cache
def _redis() -> redis.Redis | None:
    return redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None


def count_hit(key: str, seconds: int) -> int:
    """Add a hit to the counter ``key``, which lives ``seconds``; return the hits so far."""
    client = _redis()
    if client is None:
        cache.add(key, 0, seconds)
        try:
            return cache.incr(key)
        except ValueError:  # the local cache dropped the counter between the two calls
            cache.set(key, 1, seconds)
            return 1
    with client.pipeline(transaction=False) as pipe:
        # The counter is created with its expiry, so it never outlives its window (any Redis version).
        pipe.set(key, 0, ex=seconds, nx=True)
        pipe.incr(key)
        _, hits = pipe.execute()
    return hits


class FixedWindowMixin:
    """``SimpleRateThrottle.allow_request`` with a counter per window instead of a list of times."""

    def allow_request(self, request: Request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        return count_hit(f"throttle:{key}:{window}", self.duration) <= self.num_requests

    def wait(self) -> float:
        return self.wait_seconds


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    pass
