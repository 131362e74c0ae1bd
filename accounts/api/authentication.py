"""Token authentication that does not ask the database on every request.

An API client sends the same token with every request, and DRF's ``TokenAuthentication`` looks it up,
with its user, each time: a query and two model instances, a sixth of what a 50-hazard page cost
(bench/api). Each process keeps the tokens it has seen in a ``ReferenceCache``: deleting a token, or
saving or deleting its user (deactivation, a new jurisdiction), forgets them all here at once and in
every other process within a second of the commit (core/reference.py); a change made without signals
(``update()``, SQL) holds for at most ``max_age``.
"""

from __future__ import annotations

import copy

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from accounts.models import User
from core.reference import ReferenceCache

# Bound when the accounts app is ready (AccountsConfig.ready), so that every process hears of changes,
# the Celery worker and management commands included, not only those that serve the API.
tokens = ReferenceCache(key="key", select_related=("user",), max_age=60.0)


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        token = tokens.get_by_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # Each request gets its own copies: whatever a request sets on them stays with that request.
        token = copy.copy(token)
        token.user = user = copy.copy(token.user)
        return user, token
