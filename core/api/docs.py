"""The API's documentation pages, served with nothing from outside: intranets reach no internet."""

from __future__ import annotations

from drf_spectacular.views import SpectacularRedocView
from rest_framework.request import Request
from rest_framework.response import Response


class OfflineRedocView(SpectacularRedocView):
    """ReDoc from the sidecar bundle. Our template drops its Google Fonts links; its bundle still draws a
    "by Redocly" badge from cdn.redoc.ly, which this policy keeps the browser from fetching (the badge
    hides itself when its image fails)."""

    def get(self, request: Request, *args, **kwargs) -> Response:
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = "img-src 'self' data: blob:; font-src 'self' data:"
        return response
