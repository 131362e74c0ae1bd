"""The API's one error shape, for every app: ``{"code": "...", "message": "中文说明", "fields": {...}}``
(plus ``status``, the object's current status, on a 409).

Domain errors (``core.errors``) map to one HTTP status per kind; DRF's and Django's own errors are
reworded in Chinese with a stable code each.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.defaults import bad_request, page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core import errors
from core.api.authentication import CsrfFailed
from core.idempotency import KeyReused

logger = logging.getLogger(__name__)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "该隐患已被修改（If-Match 与当前 ETag 不一致），请重新获取后再操作。"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "上传内容过大。"


class LoginLocked(exceptions.Throttled):
    """Too many failed sign-ins (core.login_limit): 429 with ``Retry-After``, the message says when."""

    default_code = "login_locked"

    def __init__(self, message: str, wait: int) -> None:
        super().__init__(detail=message)  # without DRF's English "Expected available in …" suffix
        self.wait = wait


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "请求与当前状态冲突。"


CSRF_FAILED = (
    "CSRF 校验失败：页面已过期或 cookie 被禁用，请刷新页面后重试。API 客户端请改用令牌认证（Authorization: Token …）。"
)

# DRF's own error classes, in Chinese with a stable code each; the first class the error is an instance
# of decides, so a subclass comes before its base.
_MESSAGES: dict[type[exceptions.APIException], tuple[str, str]] = {
    CsrfFailed: ("csrf_failed", CSRF_FAILED),
    exceptions.NotAuthenticated: ("not_authenticated", "请先登录或在请求头中提供有效的令牌。"),
    exceptions.AuthenticationFailed: ("authentication_failed", "令牌无效或用户已停用。"),
    exceptions.PermissionDenied: ("permission_denied", "您无权执行此操作。"),
    exceptions.NotFound: ("not_found", "未找到。"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "不支持该请求方法。"),
    exceptions.NotAcceptable: ("not_acceptable", "无法提供所请求的格式。"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "不支持的请求内容类型。"),
    exceptions.ParseError: ("parse_error", "请求内容无法解析，请检查 JSON 格式。"),
}


def _flatten(detail: Any) -> Any:
    """DRF's ErrorDetail tree as plain strings (lists of messages per field, nested for objects)."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def error_body(code: str, message: str, fields: dict | None = None, **extra: Any) -> dict:
    return {"code": code, "message": message, "fields": fields or {}, **extra}


def _validation_response(fields: dict) -> Response:
    first = next(iter(fields.values()), None)
    while isinstance(first, list | dict) and first:
        first = first[0] if isinstance(first, list) else next(iter(first.values()))
    message = str(first) if isinstance(first, str) else _("提交的数据有误。")
    return Response(error_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)


def django_validation_fields(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, errors.DomainError):
        return _domain_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        if any(getattr(e, "code", None) == "too_large" for e in _all_errors(exc)):
            fields = django_validation_fields(exc)
            return Response(error_body("too_large", _first_message(fields), fields), status=413)
        return _validation_response(django_validation_fields(exc))
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Too many form fields or files, a malformed multipart body, a forged session…: bad input.
        logger.warning("Suspicious API request: %s", exc)
        return Response(error_body("bad_request", _(BAD_REQUEST)), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        # A bug, not bad input: log it with its traceback and still answer in the API's shape.
        logger.error("Unhandled API error", exc_info=exc)
        return Response(error_body("server_error", _("服务器内部错误，请稍后重试。")), status=500)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = _validation_response(_flatten(detail)).data
        return response
    if isinstance(exc, LoginLocked):
        response.data = error_body("login_locked", str(exc.detail))
        return response
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        response.data = error_body("throttled", _("请求过于频繁，请在 %(wait)d 秒后重试。") % {"wait": wait})
        return response
    code, message = next(
        ((c, m) for cls, (c, m) in _MESSAGES.items() if isinstance(exc, cls)),
        (exc.get_codes() if isinstance(exc.get_codes(), str) else "error", str(exc.detail)),
    )
    response.data = error_body(code, message)
    return response


def _all_errors(error: DjangoValidationError) -> list[DjangoValidationError]:
    if hasattr(error, "error_dict"):
        return [e for errors in error.error_dict.values() for e in errors]
    return list(error.error_list)


def _first_message(fields: dict) -> str:
    return next((messages[0] for messages in fields.values() if messages), _("提交的数据有误。"))


# Checked in order: the first kind the error is an instance of decides its status.
_DOMAIN_STATUS: tuple[tuple[type[errors.DomainError], int], ...] = (
    (errors.NotFound, status.HTTP_404_NOT_FOUND),
    (errors.NotAllowed, status.HTTP_403_FORBIDDEN),
    (errors.IllegalTransition, status.HTTP_409_CONFLICT),
    (errors.ConcurrentChange, status.HTTP_409_CONFLICT),
    (KeyReused, status.HTTP_409_CONFLICT),
)


def _domain_error_response(exc: errors.DomainError) -> Response:
    status_code = next((code for kind, code in _DOMAIN_STATUS if isinstance(exc, kind)), status.HTTP_400_BAD_REQUEST)
    # Where the object now stands, for the two kinds that are about its state.
    stateful = isinstance(exc, errors.IllegalTransition | errors.ConcurrentChange)
    extra = {"status": exc.status} if stateful else {}
    return Response(error_body(exc.code, str(exc.message), **extra), status=status_code)


BAD_REQUEST = "请求无法处理：表单字段或文件过多，或请求格式有误。"


def api_aware_400(request: HttpRequest, exception: Exception | None = None):
    """What Django answers a ``SuspiciousOperation`` raised outside a view (e.g. CSRF reading too many
    fields): the API's error shape under /api/, the Chinese 400 page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("bad_request", _(BAD_REQUEST)), status=400)
    return bad_request(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the API's error shape under /api/, a Chinese page elsewhere (Django's is English)."""
    logger.warning("CSRF failure on %s: %s", request.path, reason)
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("csrf_failed", _(CSRF_FAILED)), status=403)
    return render(request, "403_csrf.html", status=403)


def api_aware_404(request: HttpRequest, exception: Exception | None = None):
    """Unknown URLs under /api/ answer in the API's error shape; the rest get Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", _("未找到。")), status=404)
    return page_not_found(request, exception)
