"""Keyset pagination for every list of the API."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from core.filters import EARLIEST, LATEST


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

    def position(self, request, model) -> tuple[str, tuple[Any, int] | None]:
        """The ordering a request asks for and its cursor's (value, id) (None on the first page), as
        ``paginate_queryset`` will read them: for a filter that needs to know which rows a page reads.
        An invalid ordering or cursor gives None here and is refused by ``paginate_queryset``."""
        self.ordering = request.GET.get("ordering") or self.default_ordering
        if self.ordering not in self.orderings:
            return self.ordering, None
        self.model_field = model._meta.get_field(self.ordering.lstrip("-"))
        try:
            cursor = self._decode(request.GET.get("cursor"))
        except exceptions.ValidationError:
            return self.ordering, None
        return self.ordering, cursor and (cursor["v"], cursor["id"])

    def size_asked(self, request) -> int:
        """The page size a request asks for, as ``paginate_queryset`` will read it (the default where it
        is invalid: ``paginate_queryset`` refuses it)."""
        try:
            return self._page_size(request)
        except exceptions.ValidationError:
            return self.page_size

    def get_paginated_response(self, data: list) -> Response:
        return Response({"next": self.next_link(), "results": data})

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
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "minLength": 1},
                "description": "游标（上一页的 next 中给出）",
            },
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
        raw = request.GET.get("page_size")
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
                cursor["v"] = self._bounded(self.model_field.to_python(cursor["v"]))
            return cursor
        except (
            ValueError,
            KeyError,
            TypeError,
            OverflowError,
            binascii.Error,
            UnicodeDecodeError,
            DjangoValidationError,
        ):
            raise exceptions.ValidationError({"cursor": [_("游标无效，请从第一页重新获取。")]}) from None

    @staticmethod
    def _bounded(value: Any) -> Any:
        """A cursor is forged as easily as any parameter: only values the database takes pass (UTC
        date-times between 1900 and 2100, text without NUL)."""
        if isinstance(value, datetime.datetime):
            value = value.astimezone(datetime.UTC)
            in_range = EARLIEST <= value < LATEST
        elif isinstance(value, datetime.date):
            in_range = EARLIEST.date() <= value < LATEST.date()
        else:
            in_range = not (isinstance(value, str) and "\x00" in value)
        if not in_range:
            raise ValueError(value)
        return value

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

    def next_link(self) -> str | None:
        if not self.has_next:
            return None
        # The last row of the page: a model instance, or a dict when the view selected values().
        last, field = self.rows[-1], self.ordering.lstrip("-")
        value, pk = (last[field], last["id"]) if isinstance(last, dict) else (getattr(last, field), last.pk)
        cursor = {"o": self.ordering, "v": self._encode(value), "id": pk}
        token = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
        return replace_query_param(self.request.build_absolute_uri(), "cursor", token)
