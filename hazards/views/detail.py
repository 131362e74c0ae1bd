"""隐患详情 and the action forms posted from it: one page that shows a hazard and what may be done now.

A posted form is handled in the order the services think: scope (404 outside the jurisdiction), then
the form's own checks, then whether the hazard is still as the user saw it (``version``), then the
service, which checks role, status and business rules and moves the row only if nobody moved it first.
Whatever goes wrong, the page comes back with the user's input, their photos and a Chinese message.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.choices import RegionLevel
from accounts.models import Region
from core import staging
from core.errors import DomainError
from core.web.actions import ActionSpec
from core.web.forms import ActionForm
from core.web.submit import answer_repeat, submit_and_answer
from core.workdays import add_working_days
from hazards import services
from hazards.choices import Action, AttachmentPhase, ExtensionStatus, Level, Status
from hazards.models import ExtensionRequest, Hazard
from hazards.permissions import allowed_actions
from hazards.views.actions import SPEC_BY_SLUG, PanelState, hazard_panel

MAX_WORKING_DAYS = 365


def region_chain(region: Region) -> list[Region]:
    """The region with its ancestors below the province, in one query (the path holds their codes)."""
    codes = [code for code in region.path.strip("/").split("/") if code]
    chain = Region.objects.filter(code__in=codes).exclude(level=RegionLevel.PROVINCE).only("name", "path")
    return sorted(chain, key=lambda r: len(r.path))


def panel_state(user, hazard: Hazard, extensions: list[ExtensionRequest]) -> PanelState:
    pending = next((e for e in extensions if e.status == ExtensionStatus.PENDING), None)
    allowed = frozenset(allowed_actions(user, hazard))
    rejection = None
    if Action.SUBMIT in allowed and hazard.status == Status.RECTIFYING:
        rejection = hazard.events.filter(action=Action.REJECT).select_related("actor").order_by("-at", "-id").first()
    return PanelState(allowed=allowed, pending_extension=pending, last_rejection=rejection)


def load_hazard(request: HttpRequest, pk: int) -> Hazard:
    queryset = Hazard.objects.visible_to(request.user).select_related(
        "region", "county", "sector", "sector__parent", "responsible_unit", "inspected_unit", "found_by", "closed_by"
    )
    return get_object_or_404(queryset.with_is_supervised(), pk=pk)


def editable_for(allowed: frozenset[Action], hazard: Hazard) -> frozenset[str]:
    """What may be corrected on ``hazard`` now (修改信息): nothing unless ``allowed`` includes editing."""
    return services.editable_fields(hazard) if Action.UPDATE in allowed else frozenset()


def render_detail(
    request: HttpRequest,
    hazard: Hazard,
    *,
    bound: tuple[str, ActionForm, list] | None = None,
    status: int = 200,
) -> HttpResponse:
    attachments = list(hazard.attachments.select_related("uploaded_by"))
    photos = [
        {"phase": label, "items": [a for a in attachments if a.phase == phase]}
        for phase, label in AttachmentPhase.choices
    ]
    extensions = list(hazard.extension_requests.select_related("requested_by", "decided_by"))
    state = panel_state(request.user, hazard, extensions)
    panel = hazard_panel(request.user, hazard, state, bound=bound)
    if bound and bound[0] not in {entry.spec.slug for entry in panel}:
        # The action is no longer open (someone acted first): its form is gone, its errors are not.
        for errors in bound[1].errors.values():
            for error in errors:
                messages.error(request, error)
    context = {
        "hazard": hazard,
        "region_chain": region_chain(hazard.region),
        "is_major": hazard.level == Level.MAJOR,
        "photos": photos,
        "events": hazard.events.select_related("actor"),
        "listings": hazard.supervision_listings.select_related("listed_by", "lifted_by"),
        "extensions": extensions,
        "panel": panel,
        "pending_extension": state.pending_extension,
        "last_rejection": state.last_rejection,
        "may_edit": bool(editable_for(state.allowed, hazard)),
        "has_notice": hazard.responsible_unit_id is not None and hazard.status != Status.VOID,
        "today": timezone.localdate(),
    }
    return render(request, "hazards/detail.html", context, status=status)


@require_GET
@login_required
def hazard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, load_hazard(request, pk))


def _uploads(request: HttpRequest, form: ActionForm, staged: list[staging.StagedFile]) -> list[UploadedFile]:
    new = form.cleaned_data.get("photos") or []
    return [*new, *staging.open_uploads(request.user, staged)]


def _stale(request: HttpRequest, hazard: Hazard, spec: ActionSpec, form: ActionForm, staged: list) -> HttpResponse:
    """Someone acted first: say so, show the hazard as it is now and keep what the user typed."""
    current = load_hazard(request, hazard.pk)
    # The form now carries the version the user is looking at: sending it again is a deliberate choice.
    form.data = form.data.copy()
    form.data["version"] = str(current.version)
    message = _("该隐患已被他人处理（当前状态：%(status)s），您的提交未保存。请查看最新情况后再决定是否继续。") % {
        "status": current.get_status_display()
    }
    form.add_error(None, message)
    return render_detail(request, current, bound=(spec.slug, form, staged), status=409)


@require_POST
@login_required
def hazard_action(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    hazard = load_hazard(request, pk)
    spec = SPEC_BY_SLUG.get(slug)
    if spec is None:
        raise Http404
    form = spec.make_form(request.POST, request.FILES, user=request.user)
    staged = staging.resolve(request.user, request.POST.getlist("staged"))
    new_photos = request.FILES.getlist("photos")
    if not form.is_valid():
        staged += staging.keep(request.user, form, new_photos)
        return render_detail(request, hazard, bound=(slug, form, staged), status=400)
    if (repeat := answer_repeat(request, form)) is not None:
        return repeat
    if form.cleaned_data["version"] != hazard.version:
        return _stale(request, hazard, spec, form, staged + staging.keep(request.user, form, new_photos))
    hazard.version = form.cleaned_data["version"]
    uploads: Sequence[UploadedFile] = _uploads(request, form, staged)
    detail_url = reverse("hazards:detail", args=[hazard.pk])

    def perform() -> str:
        spec.perform(hazard, request.user, form.cleaned_data, uploads)
        return detail_url

    def invalid() -> HttpResponse:
        kept = staged + staging.keep(request.user, form, new_photos)
        return render_detail(request, load_hazard(request, pk), bound=(slug, form, kept), status=400)

    def refused(error: DomainError) -> HttpResponse:
        messages.error(request, str(error.message))
        return redirect(detail_url)

    return submit_and_answer(
        request,
        form,
        scope=f"{slug}:{pk}",
        perform=perform,
        done=str(spec.done),
        invalid=invalid,
        stale=lambda: _stale(request, hazard, spec, form, staged + staging.keep(request.user, form, new_photos)),
        refused=refused,
        uploads=uploads,
        after_first=lambda: staging.discard(request.user, staged),
    )


@require_GET
@login_required
def working_days_preview(request: HttpRequest) -> HttpResponse:
    """交单's "N 个工作日" helper: the date N working days from today (holidays and 调休 included)."""
    try:
        days = int(request.GET.get("working_days", ""))
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_WORKING_DAYS:
        return HttpResponse("")
    deadline = add_working_days(timezone.localdate(), days)
    text = _("即 %(date)s（%(weekday)s）") % {"date": deadline.isoformat(), "weekday": date_format(deadline, "l")}
    return HttpResponse(text)
