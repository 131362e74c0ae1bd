"""The official tables as pages (``/reports/tables/…``), exports (导出) followed on a page, and the
统计看板 (``/reports/``, the municipal office's home page; its figures: ``reports.dashboard``).

Scoped like everything else: the figures are the caller's jurisdiction (a city sees every county, a
county itself); a region outside it is a 404. The tables are the offices' (a unit contact gets 403, as on
the coverage page). An export's page reads the job through ``Job.objects.visible_to``: anyone but its
owner gets 404, and the file goes out only through ``core.views.job_result``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from rest_framework import exceptions

from accounts.choices import RegionLevel
from accounts.models import Region
from core.models import Job
from reports import dashboard as figures
from reports import exports, official
from reports.api.tables import TableQuerySerializer
from reports.exports import Requester
from reports.forms import PeriodForm
from reports.layouts import LAYOUTS, display
from reports.permissions import may_see_reports


def _require_tables(request: HttpRequest) -> None:
    if not official.may_see_tables(request.user):
        raise PermissionDenied


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _messages(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value)]
    return [str(detail)]


@require_GET
@login_required
def table_index(request: HttpRequest) -> HttpResponse:
    _require_tables(request)
    return render(request, "reports/tables.html", {"links": _links()})


def _links() -> list[dict[str, Any]]:
    return [{"layout": layout, "url": reverse(f"reports:table_{name}")} for name, layout in LAYOUTS.items()]


@require_GET
@login_required
def table_page(request: HttpRequest, name: str) -> HttpResponse:
    _require_tables(request)
    layout = LAYOUTS[name]
    national = layout.kind == "national"
    today = timezone.localdate()
    data = {key: value for key, value in request.GET.items() if value != ""}
    params = TableQuerySerializer(data=data, context={"request": Requester(request.user), "table": name})
    try:
        valid = params.is_valid()
    except exceptions.NotFound:
        raise Http404 from None
    regions = Region.objects.visible_to(request.user).filter(level__in=[RegionLevel.CITY, RegionLevel.COUNTY])
    context: dict[str, Any] = {
        "layout": layout,
        "national": national,
        "links": _links(),
        "regions": regions.only("code", "name", "level"),
        "selected": {
            "date": data.get("date", today.isoformat() if national else ""),
            "found_after": data.get("found_after", today.replace(month=1, day=1).isoformat()),
            "found_before": data.get("found_before", today.isoformat()),
            "region": data.get("region", ""),
        },
    }
    if not valid:
        context["errors"] = _messages(params.errors)
        return render(request, "reports/table.html", context, status=400)
    table = official.official_table(name, user=request.user, **params.validated_data)
    context["table"] = table
    context["rows"] = [
        {"row": row, "cells": [display(column, row.values[column.code]) for column in layout.columns]}
        for row in table.rows
    ]
    context["export_params"] = (
        {"date": table.found_before.isoformat()}
        if national
        else {"found_after": table.found_after.isoformat(), "found_before": table.found_before.isoformat()}
    ) | ({"region": data["region"]} if data.get("region") else {})
    return render(request, "reports/table.html", context)


@require_POST
@login_required
def export_new(request: HttpRequest) -> HttpResponse:
    """导出 from a page: the list's filters (``query``, its query string) or a table's parameters."""
    kind = request.POST.get("kind", "")
    table = request.POST.get("table", "")
    if kind == "ledger":
        from django.http import QueryDict

        params: Any = QueryDict(request.POST.get("query", ""))
    else:
        params = {key.removeprefix("p_"): value for key, value in request.POST.items() if key.startswith("p_")}
    try:
        with transaction.atomic():
            job = exports.export_create(user=request.user, kind=kind, params=params, table=table)
    except exceptions.NotFound:
        raise Http404 from None
    except exceptions.PermissionDenied:
        raise PermissionDenied from None
    except exceptions.ValidationError as exc:
        return render(request, "reports/export_refused.html", {"errors": _messages(exc.detail)}, status=400)
    return redirect("reports:export_job", job_id=job.pk)


@require_GET
@login_required
def export_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.visible_to(request.user).filter(kind=exports.JOB_KIND), pk=job_id)
    what = job.scope.get("export")
    title = {"ledger": "隐患台账", "stats": "整改统计"}.get(what) or (
        LAYOUTS[job.scope["table"]].short_title if job.scope.get("table") in LAYOUTS else "导出"
    )
    context = {"job": job, "title": title, "expired": exports.is_expired(job), "hours": exports.EXPIRE_AFTER}
    return render(request, "reports/export_job.html", context)


# --- 统计看板 ------------------------------------------------------------------------------------------

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
