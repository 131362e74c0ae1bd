"""Pickers for the browser's forms: the cascading region selects and the responsible-unit search.

Both answer htmx requests with HTML fragments, scoped by ``visible_to`` like everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.forms import RegionCascadeQuery, UnitOptionsQuery
from accounts.models import Region, ResponsibleUnit, User

UNIT_OPTIONS_SHOWN = 30


@dataclass(frozen=True)
class CascadeLevel:
    options: list[Region]
    selected: str
    # The region whose children these are, so choosing "—" falls back to it.
    parent: str


def region_cascade(user: User, selected: Region | None) -> list[CascadeLevel]:
    """The selects from the top of the user's jurisdiction down to ``selected`` and its children."""
    visible = Region.objects.visible_to(user).only("code", "name", "level", "path", "parent_id").order_by("code")
    roots = list(Region.objects.roots_for(user).only("code", "name", "path").order_by("code"))
    chain: list[str] = []
    if selected is not None:
        root_codes = {root.code for root in roots}
        codes = [code for code in selected.path.strip("/").split("/") if code]
        start = next((i for i, code in enumerate(codes) if code in root_codes), len(codes))
        chain = codes[start:]
    if not chain and len(roots) == 1:
        chain = [roots[0].code]
    levels = [CascadeLevel(roots, chain[0] if chain else "", "")]
    for depth, code in enumerate(chain):
        children = list(visible.filter(parent__code=code))
        if not children:
            break
        chosen = chain[depth + 1] if depth + 1 < len(chain) else ""
        levels.append(CascadeLevel(children, chosen, code))
    return levels


@require_GET
@login_required
def region_cascade_view(request: HttpRequest) -> HttpResponse:
    """The cascade redrawn after a choice; an emptied select falls back to the region above it."""
    query = RegionCascadeQuery(request.GET)
    if not query.is_valid():
        return HttpResponseBadRequest(_("查询参数有误。"))
    code = query.cleaned_data["region"] or query.cleaned_data["parent"]
    selected = Region.objects.visible_to(request.user).filter(code=code).first() if code else None
    levels = region_cascade(request.user, selected)
    return render(request, "accounts/region_cascade.html", {"levels": levels})


@require_GET
@login_required
def unit_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of active units in the user's jurisdiction matching ``q`` (name, credit code, pinyin).

    The unit already chosen (``unit``, or ``inspected_unit`` for 登记's picker) stays chosen and listed; with
    none chosen, a single match is.
    """
    query = UnitOptionsQuery(request.GET)
    if not query.is_valid():
        return HttpResponseBadRequest(_("查询参数有误。"))
    active = ResponsibleUnit.objects.visible_to(request.user).filter(is_active=True).only("pk", "name", "credit_code")
    units = list(active.search(query.cleaned_data["q"]).order_by("name")[:UNIT_OPTIONS_SHOWN])
    chosen = query.cleaned_data["unit"] or query.cleaned_data["inspected_unit"]
    current = active.filter(pk=chosen).first() if chosen is not None else None
    if current is not None and current not in units:
        units.insert(0, current)
    if current is None and len(units) == 1:
        current = units[0]
    label = _("被检查单位") if "inspected_unit" in request.GET else _("责任单位")
    return render(request, "accounts/unit_options.html", {"units": units, "chosen": current, "label": label})
