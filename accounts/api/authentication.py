"""Token authentication by the key's digest, without asking the database on every request.

An API client sends the same token with every request; only its SHA-256 digest is stored
(``accounts.tokens``), so the key is hashed and the token looked up by digest, then refused once it has
expired. Looking it up with its user each time cost a query and two model instances, a sixth of what a
50-hazard page cost (bench/api). Each process keeps the tokens it has seen in a ``ReferenceCache``:
deleting a token (revocation, rotation), or saving or deleting its user (deactivation, a new
jurisdiction), forgets them all here at once and in every other process within a second of the commit
(core/reference.py); a change made without signals (``update()``, SQL) holds for at most ``max_age``.
"""

from __future__ import annotations

import copy

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, User
from accounts.tokens import digest_of
from core.reference import ReferenceCache

# Bound when the accounts app is ready (AccountsConfig.ready), so that every process hears of changes,
# the Celery worker and management commands included, not only those that serve the API.
tokens = ReferenceCache(key="digest", select_related=("user",), max_age=60.0)


class TokenAuthentication(authentication.TokenAuthentication):
    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = tokens.get_by_key(digest_of(key))
        if token is None or token.is_expired:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # Each request gets its own copies: whatever a request sets on them stays with that request.
        token = copy.copy(token)
        token.user = user = copy.copy(token.user)
        return user, token
