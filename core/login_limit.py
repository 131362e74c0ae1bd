"""One limit on failed sign-ins, shared by every door that takes a password: the browser's login page,
the admin's and the API's token view.

Failures are counted per username and per client address, each in a window of ``LOGIN_LOCKOUT_SECONDS``
from its first failure. When either count reaches its limit (``LOGIN_FAILURES_PER_USERNAME``,
``LOGIN_FAILURES_PER_ADDRESS``) that username or address is locked for ``LOGIN_LOCKOUT_SECONDS``: every
attempt is refused without looking at the password, the right one too, so guessing gains nothing. A
success clears the username's count, not the address's. The counters live in Redis (in the local cache
without one), so all web processes share them.

The client address is ``REMOTE_ADDR`` unless ``NUM_PROXIES`` trusted proxies stand in front: then it is
the address the outermost of them saw, read from ``X-Forwarded-For`` the way DRF's throttles read it
(the same setting), so a client cannot choose its own address by sending the header.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate as django_authenticate
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.api.throttling import _redis, count_hit


@dataclass
class LoginLocked(Exception):
    """Too many failed sign-ins for this username or address; ``until`` is a Unix time."""

    until: float

    @property
    def wait(self) -> int:
        return max(1, math.ceil(self.until - time.time()))

    @property
    def message(self) -> str:
        at = timezone.localtime(datetime.datetime.fromtimestamp(self.until, tz=datetime.UTC))
        return _("登录失败次数过多，已暂停登录。请在 %(minutes)d 分钟后（%(time)s 以后）重试。") % {
            "minutes": math.ceil(self.wait / 60),
            "time": at.strftime("%H:%M"),
        }


def client_address(request: HttpRequest) -> str:
    """The client's address, trusting ``X-Forwarded-For`` only as far as ``NUM_PROXIES`` proxies."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = settings.NUM_PROXIES
    if proxies == 0 or not forwarded:
        return remote_addr
    addresses = forwarded.split(",")
    return addresses[-min(proxies, len(addresses))].strip()


def _keys(request: HttpRequest, username: str) -> tuple[tuple[str, int], tuple[str, int]]:
    # Hashed: a username or header is any text, a key is not.
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    return (
        (f"login:user:{digest(username.casefold())}", settings.LOGIN_FAILURES_PER_USERNAME),
        (f"login:addr:{digest(client_address(request))}", settings.LOGIN_FAILURES_PER_ADDRESS),
    )


def _locked_until(key: str) -> float | None:
    client = _redis()
    value = client.get(f"{key}:locked") if client is not None else cache.get(f"{key}:locked")
    return float(value) if value is not None else None


def _lock(key: str, seconds: int) -> None:
    until = time.time() + seconds
    client = _redis()
    if client is None:
        cache.set(f"{key}:locked", until, seconds)
    else:
        client.set(f"{key}:locked", until, ex=seconds)


def check(request: HttpRequest, username: str) -> None:
    """Raise ``LoginLocked`` if this username or this client may not try now."""
    until = [t for key, _limit in _keys(request, username) if (t := _locked_until(key)) is not None]
    if until:
        raise LoginLocked(until=max(until))


def record_failure(request: HttpRequest, username: str) -> None:
    seconds = settings.LOGIN_LOCKOUT_SECONDS
    for key, limit in _keys(request, username):
        if count_hit(f"{key}:failures", seconds) >= limit:
            _lock(key, seconds)


def record_success(request: HttpRequest, username: str) -> None:
    (user_key, _limit), _address = _keys(request, username)
    client = _redis()
    if client is None:
        cache.delete(f"{user_key}:failures")
    else:
        client.delete(f"{user_key}:failures")


def authenticate(request: HttpRequest, *, username: str, password: str):
    """``django.contrib.auth.authenticate`` behind the limit: the user, None, or ``LoginLocked``."""
    check(request, username)
    user = django_authenticate(request, username=username, password=password)
    if user is None:
        record_failure(request, username)
        check(request, username)  # the failure that reaches the limit already says when to retry
    else:
        record_success(request, username)
    return user
