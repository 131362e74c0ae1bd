from decimal import Decimal

import orjson
from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from reports.permissions import may_see_reports

register = template.Library()

register.filter("may_see_reports", may_see_reports)

# What Django's json_script escapes, so that the JSON cannot end the <script> element early.
_SCRIPT_ESCAPES = ((b"&", b"\\u0026"), (b"<", b"\\u003C"), (b">", b"\\u003E"))


@register.filter
def json_data(value, element_id: str) -> SafeString:
    """``json_script`` written by orjson: the same element and escapes, but Django's ``str.translate`` of
    a dashboard's ~100 KB of JSON (Chinese names and ~400 links) took ~10 ms of each page's CPU."""
    data = orjson.dumps(value, default=str)
    for character, escape in _SCRIPT_ESCAPES:
        data = data.replace(character, escape)
    return format_html('<script id="{}" type="application/json">{}</script>', element_id, mark_safe(data.decode()))


@register.filter
def figure(value, kind: str) -> str:
    """A figure as reports print it: rates in per cent with one decimal, "/" without a denominator."""
    if value is None:
        return "/"
    if kind == "rate":
        return f"{Decimal(str(value)) * 100:.1f}%"
    if kind in ("days", "funds"):
        return f"{Decimal(str(value)):.1f}" if kind == "days" else f"{Decimal(str(value)):.2f}"
    return str(value)


@register.filter
def change(value, kind: str) -> str:
    """A difference from last year, signed; a rate's in percentage points."""
    if value is None:
        return "—"
    number = Decimal(str(value))
    sign = "+" if number > 0 else ""
    if kind == "rate":
        return f"{sign}{number * 100:.1f} 个百分点"
    return f"{sign}{figure(value, kind)}"
