"""The API's documentation pages, served with nothing from outside: intranets reach no internet."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response


class OfflineRedocView(SpectacularRedocView):
    """ReDoc from the sidecar bundle. Our template drops its Google Fonts links; its bundle still draws a
    "by Redocly" badge from cdn.redoc.ly, which this policy keeps the browser from fetching (the badge
    hides itself when its image fails)."""

    @extend_schema(exclude=True)  # as on the view it overrides: a page about the schema, not in it
    def get(self, request: Request, *args, **kwargs) -> Response:
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = "img-src 'self' data: blob:; font-src 'self' data:"
        return response


class OfflineSwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI from the sidecar bundle, its start-up script served from this URL (``?script``) rather
    than inline, so the site's policy (no inline script) holds. The page's own small inline style and the
    styles Swagger UI sets as it draws need ``'unsafe-inline'`` for styles on this page alone."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args, **kwargs) -> Response:
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
        )
        return response
