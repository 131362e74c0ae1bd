"""Guards every response passes through.

``RequestSizeLimitMiddleware``: a request body over ``REQUEST_MAX_BYTES`` is refused from its
Content-Length, before a byte is read. Django counts only the non-file part of a form against
``DATA_UPLOAD_MAX_MEMORY_SIZE``; files are streamed to disk whatever their size, so without this a 40 MB
body was read whole before the 413 of ``core.uploads``. The proxy in front should refuse the same bodies
first (README, 部署).

``SecurityHeadersMiddleware``: the security headers Django's SecurityMiddleware does not send (before
Django 6): a Content Security Policy and a Permissions Policy, from settings. A view that needs another
policy sets its own header.

``DebugNotFoundMiddleware``: with ``DEBUG`` on (``make run``) Django answers a 404 with its English debug
page instead of calling ``handler404``; this puts the same answer as production in its place (the
Chinese page, or the API's JSON error under /api/), so trying the system locally shows what users see.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.api.errors import api_aware_404, error_body


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # as Django reads it: no body at all
        if length > settings.REQUEST_MAX_BYTES:
            return self.too_large(request)
        return self.get_response(request)

    def too_large(self, request: HttpRequest) -> HttpResponse:
        limit = filesizeformat(settings.REQUEST_MAX_BYTES)
        message = _("提交的内容超过 %(limit)s 的上限，请减少或缩小文件后重试。") % {"limit": limit}
        if request.path.startswith("/api/"):
            return JsonResponse(error_body("too_large", message), status=413)
        return render(request, "413.html", {"message": message}, status=413)


class DebugNotFoundMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_page = response.get("Content-Type", "").startswith("text/html")
        if settings.DEBUG and response.status_code == 404 and is_page:
            return api_aware_404(request)
        return response


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
