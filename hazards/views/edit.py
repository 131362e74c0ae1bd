"""修改信息: correct what 列单 recorded (or a major hazard's 治理方案) while the status allows it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.views import region_cascade
from core.web.submit import answer_repeat, submit_and_answer
from hazards import services
from hazards.forms import HazardEditForm
from hazards.models import MAJOR_FIELDS, Hazard
from hazards.permissions import allowed_actions
from hazards.views.detail import editable_for, load_hazard


def _render(request: HttpRequest, hazard: Hazard, form: HazardEditForm, status: int = 200) -> HttpResponse:
    cascade = region_cascade(request.user, form.cascade_region()) if "region" in form.fields else None
    context = {"hazard": hazard, "form": form, "cascade": cascade, "major_fields": MAJOR_FIELDS}
    return render(request, "hazards/edit.html", context, status=status)


def _stale(request: HttpRequest, hazard: Hazard, form: HazardEditForm) -> HttpResponse:
    """Someone changed the hazard since the form was drawn: keep the user's text, save nothing, and let
    a second submit (now carrying the current version) be a deliberate choice."""
    form.data = form.data.copy()
    form.data["version"] = str(hazard.version)
    form.add_error(None, _("该隐患已被他人修改，您的修改未保存。请打开隐患详情核对最新内容，确认后再提交。"))
    return _render(request, hazard, form, status=409)


@login_required
def hazard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = load_hazard(request, pk)
    editable = editable_for(frozenset(allowed_actions(request.user, hazard)), hazard)
    if not editable:
        raise PermissionDenied
    if request.method != "POST":
        return _render(request, hazard, HazardEditForm(user=request.user, hazard=hazard, editable=editable))
    form = HazardEditForm(request.POST, user=request.user, hazard=hazard, editable=editable)
    if not form.is_valid():
        return _render(request, hazard, form, status=400)
    if (repeat := answer_repeat(request, form)) is not None:
        return repeat
    if form.cleaned_data["version"] != hazard.version:
        return _stale(request, hazard, form)
    hazard.version = form.cleaned_data["version"]

    def perform() -> str:
        services.hazard_update(hazard=hazard, by=request.user, changes=form.changes())
        return reverse("hazards:detail", args=[hazard.pk])

    return submit_and_answer(
        request,
        form,
        scope=f"edit:{pk}",
        perform=perform,
        done=_("隐患信息已修改。"),
        invalid=lambda: _render(request, hazard, form, status=400),
        stale=lambda: _stale(request, load_hazard(request, pk), form),
    )
