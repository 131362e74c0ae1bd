"""The 专项整治 pages: the list, 部署 (create), the page of one campaign with its phases, targets and
progress per county (with the targets never inspected for it), 确定整治对象, 启动 and 结束."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotFound
from core.web.submit import submit_and_answer
from hazards.choices import MajorStandard
from inspections import permissions, services
from inspections.choices import CAMPAIGN_TRANSITIONS, CampaignAction
from inspections.coverage import campaign_coverage, campaign_never_inspected, campaign_snapshots
from inspections.forms import CampaignForm, CampaignTargetsForm
from inspections.models import Campaign

PAGE_SIZE = 50


def may_create_campaign(user) -> bool:
    return CAMPAIGN_TRANSITIONS.role_may(user.role, CampaignAction.CREATE)


def _visible(request: HttpRequest, pk: int) -> Campaign:
    queryset = Campaign.objects.visible_to(request.user).select_related("issued_in", "issued_by")
    return get_object_or_404(queryset, pk=pk)


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = Campaign.objects.visible_to(request.user).select_related("issued_in")[:PAGE_SIZE]
    context = {"campaigns": campaigns, "may_create": may_create_campaign(request.user)}
    return render(request, "inspections/campaigns/list.html", context)


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    if not may_create_campaign(request.user):
        raise PermissionDenied
    form = CampaignForm(request.POST or None)
    page = "inspections/campaigns/new.html"
    if request.method != "POST":
        return render(request, page, {"form": form})
    if not form.is_valid():
        return render(request, page, {"form": form}, status=400)

    def perform() -> str:
        values = form.cleaned_data
        campaign = services.campaign_create(
            name=values["name"],
            sectors=values["sectors"],
            standards=values["standards"],
            templates=values["templates"],
            phases=values["phases"],
            by=request.user,
        )
        return reverse("inspections:campaign_targets", args=[campaign.pk])

    return submit_and_answer(
        request,
        form,
        scope="campaign-create",
        perform=perform,
        done=_("专项整治已创建（草拟），请确定整治对象。"),
        invalid=lambda: render(request, page, {"form": form}, status=400),
    )


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Phases, scope, and progress per county; ``?county=`` lists the targets not yet inspected there."""
    campaign = _visible(request, pk)
    rows = campaign_coverage(campaign=campaign, user=request.user)
    chosen = request.GET.get("county", "")
    county = next((row.county for row in rows if row.county.code == chosen), None)
    standards = [MajorStandard(code).label for code in campaign.standards if code in MajorStandard.values]
    context = {
        "campaign": campaign,
        "phases": campaign.phases.all(),
        "sectors": campaign.sectors.all(),
        "templates": campaign.templates.all(),
        "standards": standards,
        "rows": rows,
        "total_due": sum(row.units_due for row in rows),
        "total_inspected": sum(row.units_inspected for row in rows),
        "total_missing": sum(row.units_missing for row in rows),
        "county": county,
        "snapshots": campaign_snapshots(campaign=campaign, user=request.user),
        "missing": campaign_never_inspected(campaign=campaign, user=request.user, county=county)[:500]
        if county
        else None,
        "may": {
            action: permissions.may_run_campaign(request.user, campaign, action)
            for action in (
                CampaignAction.SET_TARGETS,
                CampaignAction.ACTIVATE,
                CampaignAction.CLOSE,
                CampaignAction.SNAPSHOT,
            )
        },
    }
    return render(request, "inspections/campaigns/detail.html", context)


@login_required
def campaign_targets(request: HttpRequest, pk: int) -> HttpResponse:
    """确定整治对象 (and, while it runs, add to them)."""
    campaign = _visible(request, pk)
    if not permissions.may_run_campaign(request.user, campaign, CampaignAction.SET_TARGETS):
        raise PermissionDenied
    current = list(campaign.targets.values_list("unit_id", flat=True))
    form = CampaignTargetsForm(request.POST or None, user=request.user, initial={"units": current})
    page = "inspections/campaigns/targets.html"
    if request.method != "POST":
        return render(request, page, {"form": form, "campaign": campaign})
    if not form.is_valid():
        return render(request, page, {"form": form, "campaign": campaign}, status=400)

    def perform() -> str:
        services.campaign_set_targets(campaign=campaign, units=form.cleaned_data["units"], by=request.user)
        return reverse("inspections:campaign_detail", args=[campaign.pk])

    return submit_and_answer(
        request,
        form,
        scope=f"campaign-targets:{campaign.pk}",
        perform=perform,
        done=_("整治对象已保存。"),
        invalid=lambda: render(request, page, {"form": form, "campaign": campaign}, status=400),
    )


def _act(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    campaign = _visible(request, pk)
    try:
        service(campaign=campaign, by=request.user)
    except NotFound:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect("inspections:campaign_detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_activate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.campaign_activate, _("专项整治已启动。"))


@login_required
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.campaign_close, _("专项整治已结束。"))


@login_required
@require_POST
def campaign_snapshot(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.campaign_snapshot_take, _("报送快照已生成。"))
