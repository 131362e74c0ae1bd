"""Session authentication for the browser's own calls to the API, with a CSRF failure said as one."""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme as SpectacularSessionScheme
from rest_framework import authentication, exceptions


class CsrfFailed(exceptions.PermissionDenied):
    default_code = "csrf_failed"


class SessionAuthentication(authentication.SessionAuthentication):
    def enforce_csrf(self, request) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as denied:
            # DRF's English "CSRF Failed: …" would be reworded as a generic 403 (core.api.errors).
            raise CsrfFailed(str(denied.detail)) from None


class SessionScheme(SpectacularSessionScheme):
    """The schema's cookie authentication, for this class as for DRF's."""

    target_class = "core.api.authentication.SessionAuthentication"
