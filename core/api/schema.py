"""The OpenAPI schema says what the API does, from what each view is, not from decorations per view.

drf-spectacular documents the success and whatever a view's ``extend_schema`` lists. What the shared
machinery adds to every operation is added here, once (``DEFAULT_SCHEMA_CLASS``), in the error shape:

- 401 where the operation needs credentials, 429 where a throttle counts it (with ``Retry-After``);
- 404 on every URL with an identifier (outside the caller's jurisdiction reads as missing);
- 400 on every request body (parse errors, validation) and on every list whose query parameters
  ``StrictFilterBackend`` checks (unknown parameters, bad values); 415 on every request body;
- 403 on every write a role check or a session's CSRF token may refuse.

Request bodies of ``StrictSerializer`` (unknown fields are a 400) are declared
``additionalProperties: false``; a list's query parameters carry the bounds of the form fields that parse
them (``StrictFilterExtension``). ``tests/api/test_schema.py`` holds the API to all of it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from core.api.filtering import StrictFilterBackend
from core.api.serializers import ErrorSerializer, StrictSerializer
from core.filters import YEARS, BoundedDateField, BoundedIsoDateTimeField

ERROR_DESCRIPTIONS = {
    "400": "输入有误（请求体或查询参数），fields 指明哪一项",
    "401": "未提供令牌，或令牌无效、已过期、已注销",
    "403": "角色无权执行（如只读角色的写操作），或会话请求缺少 CSRF 令牌",
    "404": "不存在或不在辖区内",
    "415": "不支持的请求内容类型",
    "429": "过于频繁，见 Retry-After",
}
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "required": True, "description": "多少秒后可以重试"},
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                error = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
                responses[code] = self._get_response_for_code(error, code, direction=direction)
        if "429" in responses:
            responses["429"].setdefault("headers", {}).update(RETRY_AFTER)
        return dict(sorted(responses.items()))

    def _get_parameters(self) -> list:
        """A list's query parameters with the bounds of its filters, also where ``extend_schema`` names
        a parameter only to describe it."""
        parameters = super()._get_parameters()
        filtered = {p["name"]: p["schema"] for p in self._get_filter_parameters() if p["in"] == "query"}
        for parameter in parameters:
            if parameter["in"] == "query" and parameter["name"] in filtered:
                parameter["schema"] = filtered[parameter["name"]]
        return parameters

    def _error_codes(self) -> list[str]:
        codes = []
        authenticated = bool(self.get_auth()) and {} not in self.get_auth()
        if authenticated:
            codes.append("401")
        if self.view.get_throttles():
            codes.append("429")
        if "{" in self.path:
            codes.append("404")
        has_body = self.method in UNSAFE_METHODS and self._get_request_body() is not None
        if self._validates_query() or has_body:
            codes.append("400")
        if has_body:
            codes.append("415")
        if authenticated and self.method in UNSAFE_METHODS and self._may_refuse():
            codes.append("403")
        return codes

    def _may_refuse(self) -> bool:
        """A role check of the view's own, or a session that must carry its CSRF token."""
        return any(not isinstance(p, IsAuthenticated) for p in self.view.get_permissions()) or any(
            isinstance(a, SessionAuthentication) for a in self.view.get_authenticators()
        )

    def _validates_query(self) -> bool:
        return getattr(self.view, "action", None) == "list" and any(
            issubclass(backend, StrictFilterBackend) for backend in getattr(self.view, "filter_backends", ())
        )

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(force_instance(serializer), StrictSerializer):
            schema["additionalProperties"] = False
        return schema


class StrictFilterExtension(DjangoFilterExtension):
    """django-filter's parameters with the bounds of the form fields that parse them, so a value the
    schema allows is one the list accepts: lengths, id ranges, years, booleans, no NUL, never empty."""

    target_class = "core.api.filtering.StrictFilterBackend"
    match_subclasses = True
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field) -> list:
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        field = filter_field.field
        for parameter in parameters:
            schema = parameter["schema"]
            schema = schema["items"] if schema.get("type") == "array" else schema
            schema.update(_bounds(field, schema))
        return parameters


def _bounds(field: forms.Field, schema: dict) -> dict:
    if hasattr(field, "schema_bounds"):  # a field that says what it accepts (hazards.filtersets.MonthField)
        return dict(field.schema_bounds)
    if isinstance(field, forms.NullBooleanField):
        return {"type": "boolean"}
    if isinstance(field, forms.IntegerField):
        bounds = {"minimum": field.min_value, "maximum": field.max_value}
        return {"type": "integer", **{key: value for key, value in bounds.items() if value is not None}}
    if isinstance(field, BoundedIsoDateTimeField | BoundedDateField):
        return {"pattern": YEARS}
    if isinstance(field, forms.CharField) and "enum" not in schema:
        bounds = {"minLength": max(field.min_length or 0, 1), "maxLength": field.max_length}
        return {**{key: value for key, value in bounds.items() if value is not None}, "pattern": "^[^\\x00]*$"}
    return {}
