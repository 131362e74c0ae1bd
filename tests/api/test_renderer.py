"""The API's JSON renderer writes what DRF's own renderer writes."""

from __future__ import annotations

import datetime
import decimal
import uuid
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.api.renderers import JSONRenderer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def payload() -> dict:
    return {
        "results": ReturnList(
            [
                ReturnDict({"title": "配电箱\u2028未接地\u2029", "cost": decimal.Decimal("1500.50")}, serializer=None),
                {"found_at": datetime.datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=SHANGHAI)},
                {
                    "closed_at": datetime.datetime(2026, 11, 23, 1, 0, tzinfo=datetime.UTC),
                    "on": datetime.date(2026, 12, 1),
                },
                {"at": datetime.time(8, 0, 0, 250000), "id": uuid.UUID(int=7)},
            ],
            serializer=None,
        ),
        "next": None,
        "message": gettext_lazy("未找到。"),
        "fields": {"title": [ErrorDetail("该字段是必填项。", code="required")]},
        "counts": {1: 2},
        "flags": [True, False, 0.1, -3],
    }


def test_output_is_byte_for_byte_drfs():
    assert JSONRenderer().render(payload()) == renderers.JSONRenderer().render(payload())


def test_pretty_printing_is_left_to_drf():
    media_type = "application/json; indent=4"
    ours = JSONRenderer().render(payload(), media_type)
    assert ours == renderers.JSONRenderer().render(payload(), media_type)
    assert b'\n    "results"' in ours
