"""API tokens: issued for a password, rotated and revoked by their owner, expiring after API_TOKEN_TTL.

Only a key's SHA-256 digest is stored (``ApiToken``); the key itself is returned once, to the client that
asked. A user may hold several tokens (one per client system); the oldest beyond MAX_PER_USER and any
expired ones are removed whenever the user takes a new one, so the table stays small without a task.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, User

MAX_PER_USER = 10


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(*, user: User) -> tuple[ApiToken, str]:
    """A new token of ``user`` and its key, which nothing keeps."""
    key = secrets.token_hex(20)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            digest=digest_of(key), user=user, created_at=now, expires_at=now + settings.API_TOKEN_TTL
        )
        kept = ApiToken.objects.filter(user=user, expires_at__gt=now).order_by("-created_at")[:MAX_PER_USER]
        ApiToken.objects.filter(user=user).exclude(pk__in=list(kept.values_list("pk", flat=True))).delete()
    return token, key


def token_rotate(*, token: ApiToken) -> tuple[ApiToken, str] | None:
    """A new token in place of ``token``, or None when ``token`` was already rotated or revoked."""
    with transaction.atomic():
        if not token_revoke(token=token):
            return None
        return token_issue(user=token.user)


def token_revoke(*, token: ApiToken) -> bool:
    """Delete ``token``; False if it was gone already (a concurrent rotation or revocation)."""
    deleted, _ = ApiToken.objects.filter(pk=token.pk).delete()
    return deleted > 0
