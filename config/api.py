"""What every API endpoint shares: one error shape, strict input, and scoping at one choke point.

Errors always read ``{"code": "...", "message": "中文说明", "fields": {...}}`` (plus ``status``, the
hazard's current status, on a 409).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from hazards.errors import ConcurrentChange, HazardError, IllegalTransition, NotAllowed, NotFound

logger = logging.getLogger(__name__)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "该隐患已被修改（If-Match 与当前 ETag 不一致），请重新获取后再操作。"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "上传内容过大。"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "请求与当前状态冲突。"


# DRF's own error classes, in Chinese with a stable code each.
_MESSAGES: dict[type[exceptions.APIException], tuple[str, str]] = {
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


def _body(code: str, message: str, fields: dict | None = None, **extra: Any) -> dict:
    return {"code": code, "message": message, "fields": fields or {}, **extra}


def _validation_response(fields: dict) -> Response:
    first = next(iter(fields.values()), None)
    while isinstance(first, list | dict) and first:
        first = first[0] if isinstance(first, list) else next(iter(first.values()))
    message = str(first) if isinstance(first, str) else _("提交的数据有误。")
    return Response(_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)


def django_validation_fields(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, HazardError):
        return _hazard_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        if any(getattr(e, "code", None) == "too_large" for e in _all_errors(exc)):
            fields = django_validation_fields(exc)
            return Response(_body("too_large", _first_message(fields), fields), status=413)
        return _validation_response(django_validation_fields(exc))
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        # A bug, not bad input: log it with its traceback and still answer in the API's shape.
        logger.error("Unhandled API error", exc_info=exc)
        return Response(_body("server_error", _("服务器内部错误，请稍后重试。")), status=500)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = _validation_response(_flatten(detail)).data
        return response
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        response.data = _body("throttled", _("请求过于频繁，请在 %(wait)d 秒后重试。") % {"wait": wait})
        return response
    code, message = next(
        ((c, m) for cls, (c, m) in _MESSAGES.items() if isinstance(exc, cls)),
        (exc.get_codes() if isinstance(exc.get_codes(), str) else "error", str(exc.detail)),
    )
    response.data = _body(code, message)
    return response


def _all_errors(error: DjangoValidationError) -> list[DjangoValidationError]:
    if hasattr(error, "error_dict"):
        return [e for errors in error.error_dict.values() for e in errors]
    return list(error.error_list)


def _first_message(fields: dict) -> str:
    return next((messages[0] for messages in fields.values() if messages), _("提交的数据有误。"))


def _hazard_error_response(exc: HazardError) -> Response:
    status_code = {
        NotFound: status.HTTP_404_NOT_FOUND,
        NotAllowed: status.HTTP_403_FORBIDDEN,
        IllegalTransition: status.HTTP_409_CONFLICT,
        ConcurrentChange: status.HTTP_409_CONFLICT,
    }.get(type(exc), status.HTTP_400_BAD_REQUEST)
    extra = {"status": exc.status} if status_code == status.HTTP_409_CONFLICT else {}
    return Response(_body(exc.code, str(exc.message), **extra), status=status_code)


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error, not silently ignored: a typo must not lose what the client meant."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - {name for name, field in self.fields.items() if not field.read_only})
            if unknown:
                raise exceptions.ValidationError({name: [_("不支持的字段。")] for name in unknown})
        return super().to_internal_value(data)


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer):
    pass


class KeysetPagination:
    """Cursor pagination on (ordering field, id): page 10,000 costs what page 1 costs, and nothing
    ever counts the table. ``?ordering=`` picks one of ``orderings``; ``?page_size=`` up to the max.

    The cursor is opaque to clients: base64 of the last row's (ordering, value, id).
    """

    page_size = 50
    max_page_size = 200
    orderings: tuple[str, ...] = ()
    default_ordering = ""

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        self.request = request
        self.ordering = request.query_params.get("ordering") or self.default_ordering
        if self.ordering not in self.orderings:
            raise exceptions.ValidationError({"ordering": [_("可选排序：%(o)s。") % {"o": "、".join(self.orderings)}]})
        self.size = self._page_size(request)
        field = self.ordering.lstrip("-")
        descending = self.ordering.startswith("-")
        self.model_field = queryset.model._meta.get_field(field)
        cursor = self._decode(request.query_params.get("cursor"))
        # Nulls last going up and first going down: PostgreSQL's own order, so an index on (field, id)
        # is read forwards or backwards and never sorted.
        order = [F(field).desc(nulls_first=True), "-id"] if descending else [F(field).asc(nulls_last=True), "id"]
        queryset = queryset.order_by(*order)
        rows: list = []
        for remaining in self._remaining(field, descending, cursor):
            rows += queryset.filter(remaining)[: self.size + 1 - len(rows)]
            if len(rows) > self.size:
                break
        self.has_next = len(rows) > self.size
        self.rows = rows[: self.size]
        return self.rows

    def get_paginated_response(self, data: list) -> Response:
        return Response({"next": self._next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "format": "uri", "nullable": True, "description": "下一页地址，无则为 null"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}, "description": "游标"},
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
                "description": f"每页条数，默认 {self.page_size}，最多 {self.max_page_size}",
            },
            {
                "name": "ordering",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": list(self.orderings)},
                "description": "排序字段，前缀 - 表示倒序",
            },
        ]

    def _page_size(self, request) -> int:
        raw = request.query_params.get("page_size")
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [_("每页条数应为 1 到 %(max)d 之间的整数。") % {"max": self.max_page_size}]}
            )
        return size

    def _decode(self, raw: str | None) -> dict | None:
        if not raw:
            return None
        try:
            cursor = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
            if cursor["o"] != self.ordering or not isinstance(cursor["id"], int):
                raise ValueError
            if cursor["v"] is not None:
                cursor["v"] = self.model_field.to_python(cursor["v"])
            return cursor
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, DjangoValidationError):
            raise exceptions.ValidationError({"cursor": [_("游标无效，请从第一页重新获取。")]}) from None

    @staticmethod
    def _encode(value: Any) -> str | None:
        """The cursor's value as the field's ``value_to_string`` writes it (``to_python`` reads it back)."""
        if value is None:
            return None
        return value.isoformat() if isinstance(value, datetime.date) else str(value)

    def _remaining(self, field: str, descending: bool, cursor: dict | None) -> list[Q]:
        """The rows after the cursor, in page order, as conditions that each read one range of the
        (field, id) index from where the cursor points: page 10,000 then costs what page 1 does.

        A nullable field is two ranges, the rows with a value and those without (after them going up,
        before them going down). One condition joining both with OR would not be an index range, so
        PostgreSQL would read the index from its start and filter out every earlier row; each range
        gets its own query instead, the second one only when a page reaches it.
        """
        if cursor is None:
            return [Q()]
        value, pk = cursor["v"], cursor["id"]
        beyond = "lt" if descending else "gt"
        if value is None:
            rest_without_value = Q(**{f"{field}__isnull": True, f"id__{beyond}": pk})
            return [rest_without_value, Q(**{f"{field}__isnull": False})] if descending else [rest_without_value]
        # The redundant leading bound (field >= value) is what makes the condition an index range.
        rest_with_value = Q(**{f"{field}__{beyond}e": value}) & (
            Q(**{f"{field}__{beyond}": value}) | Q(**{field: value, f"id__{beyond}": pk})
        )
        if self.model_field.null and not descending:
            return [rest_with_value, Q(**{f"{field}__isnull": True})]
        return [rest_with_value]

    def _next_link(self) -> str | None:
        if not self.has_next:
            return None
        # The last row of the page: a model instance, or a dict when the view selected values().
        last, field = self.rows[-1], self.ordering.lstrip("-")
        value, pk = (last[field], last["id"]) if isinstance(last, dict) else (getattr(last, field), last.pk)
        cursor = {"o": self.ordering, "v": self._encode(value), "id": pk}
        token = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
        return replace_query_param(self.request.build_absolute_uri(), "cursor", token)


class ScopedViewSetMixin:
    """The one choke point of the API: every queryset is what ``visible_to(user)`` allows, so anything
    outside the caller's jurisdiction is a 404 on every detail and action URL."""

    # What a list selects, when it differs from what the detail and action URLs read: e.g. plain rows
    # (``values()``) prepared once, where the others need model instances.
    list_queryset = None

    def get_queryset(self):
        if self.action == "list" and self.list_queryset is not None:
            return self.list_queryset.all().visible_to(self.request.user)
        return super().get_queryset().visible_to(self.request.user)


class ScopedRelatedFieldMixin:
    """Input choices are restricted by the same ``visible_to``: an id outside the caller's
    jurisdiction reads as "does not exist", exactly like one that never existed."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.context["request"].user)


class ScopedPrimaryKeyRelatedField(ScopedRelatedFieldMixin, serializers.PrimaryKeyRelatedField):
    pass


class ScopedSlugRelatedField(ScopedRelatedFieldMixin, serializers.SlugRelatedField):
    pass


def api_aware_404(request, exception=None):
    """Unknown URLs under /api/ answer in the API's error shape; the rest get Django's page."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse(_body("not_found", _("未找到。")), status=404)
    return page_not_found(request, exception)
