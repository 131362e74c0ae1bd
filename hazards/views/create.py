"""登记隐患 (列单): an officer's hazard, or a unit's own (企业自查), with photos from the camera or files."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.views import region_cascade
from core.errors import DomainError
from hazards import services, staging
from hazards.choices import Action
from hazards.forms import HazardForm
from hazards.permissions import role_may
from hazards.views.once import done, submit_once


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

    try:
        location, repeated = submit_once(request.user, form.cleaned_data["form_token"], "create", perform)
    except ValidationError as exc:
        form.add_service_error(exc)
        return _render(request, form, [*staged, *staging.keep(request.user, form, photos)], status=400)
    except DomainError as exc:
        form.add_error(None, str(exc.message))
        return _render(request, form, [*staged, *staging.keep(request.user, form, photos)], status=400)
    finally:
        for upload in uploads:
            upload.close()
    if not repeated:
        staging.discard(request.user, staged)
    return done(request, location, repeated=repeated, message=_("隐患已登记。"))
