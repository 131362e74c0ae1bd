"""统计看板: the dashboard of a jurisdiction (the city's is the municipal office's home page), and of a
county within it. Figures are drawn by static/js/dashboard.js from the JSON in the page (CSP: no inline
script); every figure links to the hazard list with the matching filters."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.choices import RegionLevel
from accounts.models import Region
from reports import dashboard as figures
from reports.forms import PeriodForm
from reports.permissions import may_see_reports

# A dashboard compares the areas under a city (or province) or a county; below that, the list serves.
DASHBOARD_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)


def _region(request: HttpRequest, region_code: str | None) -> Region:
    regions = Region.objects.visible_to(request.user).filter(level__in=DASHBOARD_LEVELS)
    if region_code is not None:
        region = regions.filter(code=region_code).first()
    else:
        region = Region.objects.roots_for(request.user).filter(level__in=DASHBOARD_LEVELS).first()
    if region is None:
        raise Http404
    return region


@require_GET
@login_required
def dashboard(request: HttpRequest, region_code: str | None = None) -> HttpResponse:
    if not may_see_reports(request.user):
        raise Http404
    region = _region(request, region_code)
    form = PeriodForm(request.GET or None)
    period = form.chosen(timezone.localdate())
    data = figures.dashboard(user=request.user, region=region, period=period)
    parents = [
        r for r in Region.objects.visible_to(request.user).filter(pk=region.parent_id, level__in=DASHBOARD_LEVELS)
    ]
    context = {
        **data,
        "region": region,
        "parent": parents[0] if parents else None,
        "period": period,
        "form": form,
        "periods": figures.PERIODS,
    }
    return render(request, "reports/dashboard.html", context)
