from decimal import Decimal

from django import template

from reports.permissions import may_see_reports

register = template.Library()

register.filter("may_see_reports", may_see_reports)


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
