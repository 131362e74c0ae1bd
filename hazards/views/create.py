"""登记隐患 (列单): an officer's hazard, or a unit's own (企业自查), with photos from the camera or files."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.views import region_cascade
from core import staging
from core.web.submit import submit_and_answer
from hazards import services
from hazards.choices import Action
from hazards.forms import HazardForm
from hazards.permissions import role_may


def may_create(user) -> bool:
    return role_may(user.role, Action.LIST) or role_may(user.role, Action.SELF_REPORT)


def _render(request: HttpRequest, form: HazardForm, staged: list, status: int = 200) -> HttpResponse:
    context = {"form": form, "staged": staged, "cascade": region_cascade(request.user, form.cascade_region())}
    return render(request, "hazards/new.html", context, status=status)


@login_required
def hazard_new(request: HttpRequest) -> HttpResponse:
    if not may_create(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return _render(request, HazardForm(user=request.user), [])
    form = HazardForm(request.POST, request.FILES, user=request.user)
    staged = staging.resolve(request.user, request.POST.getlist("staged"))
    if not form.is_valid():
        staged += staging.keep(request.user, form, request.FILES.getlist("photos"))
        return _render(request, form, staged, status=400)
    photos = form.cleaned_data["photos"]
    uploads = [*photos, *staging.open_uploads(request.user, staged)]
    extra = {name: form.cleaned_data[name] for name in HazardForm.SELF_REPORT_FIELDS if name in form.fields}

    def perform() -> str:
        hazard = services.hazard_create(details=form.details(), by=request.user, photos=uploads, **extra)
        return reverse("hazards:detail", args=[hazard.pk])

    return submit_and_answer(
        request,
        form,
        scope="create",
        perform=perform,
        done=_("隐患已登记。"),
        invalid=lambda: _render(request, form, [*staged, *staging.keep(request.user, form, photos)], status=400),
        uploads=uploads,
        after_first=lambda: staging.discard(request.user, staged),
    )
