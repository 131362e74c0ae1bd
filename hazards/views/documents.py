"""Printable documents filled from the record: 隐患整改通知书 and 挂牌督办通知书 (A4, print stylesheet)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from hazards.choices import Status
from hazards.models import SupervisionListing
from hazards.views.detail import load_hazard, region_chain


@require_GET
@login_required
def rectification_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """隐患整改通知书: exists once the hazard has been handed to a unit (and was not voided)."""
    hazard = load_hazard(request, pk)
    if hazard.responsible_unit_id is None or hazard.status == Status.VOID:
        raise Http404
    context = {"hazard": hazard, "region_chain": region_chain(hazard.region), "today": timezone.localdate()}
    return render(request, "hazards/notice_rectification.html", context)


@require_GET
@login_required
def supervision_notice(request: HttpRequest, pk: int, listing_id: int) -> HttpResponse:
    """挂牌督办通知书 for one listing of a hazard the user can see."""
    hazard = load_hazard(request, pk)
    listing = get_object_or_404(SupervisionListing.objects.select_related("listed_by"), pk=listing_id, hazard=hazard)
    context = {"hazard": hazard, "listing": listing, "region_chain": region_chain(hazard.region)}
    return render(request, "hazards/notice_supervision.html", context)
