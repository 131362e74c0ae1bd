"""台账导入 pages: the template, an upload checked and previewed row by row, and the confirmed import's job.

An upload refused by its content or size is answered with the reason and nothing is kept. One that
passes is kept under the uploader's own folder until confirmed (the preview form carries its
reference, resolved only in that folder); confirming queues the job, which checks the file again.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_GET, require_POST

from core import jobs
from core.models import Job
from hazards import imports
from hazards.choices import Action
from hazards.permissions import role_may
from hazards.tasks import import_ledger

JOB_KIND = "hazards.ledger_import"
# Rows shown on the preview page; every row is in the downloadable report.
PREVIEW_ROWS = 1000
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def may_import(user) -> bool:
    return role_may(user.role, Action.LIST)


def _require_importer(request: HttpRequest) -> None:
    if not may_import(request.user):
        raise PermissionDenied


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=_XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


def _upload_context() -> dict:
    return {"max_size": filesizeformat(settings.LEDGER_IMPORT_MAX_BYTES)}


@require_GET
@login_required
def ledger_template(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    return _xlsx(imports.template(request.user), "%E9%9A%90%E6%82%A3%E5%8F%B0%E8%B4%A6%E6%A8%A1%E6%9D%BF.xlsx")


@login_required
def ledger_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST: the file checked, kept, and every row previewed."""
    _require_importer(request)
    if request.method != "POST":
        return render(request, "hazards/import.html", _upload_context())
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError("请选择要上传的台账文件（.xlsx 或 .csv）。")
        kind = imports.check_ledger(upload, upload.name or "", upload.size)
        preview = imports.check_rows(imports.read_rows(upload, kind), user=request.user)
    except ValidationError as exc:
        return render(request, "hazards/import.html", {**_upload_context(), "refused": exc.messages}, status=400)
    reference = imports.stage(upload, user=request.user, kind=kind)
    return _preview(request, preview, reference)


def _preview(request: HttpRequest, preview: imports.Preview, reference: str) -> HttpResponse:
    shown = sorted(preview.rows, key=lambda row: row.outcome != imports.INVALID)[:PREVIEW_ROWS]
    context = {
        "preview": preview,
        "rows": shown,
        "hidden": len(preview.rows) - len(shown),
        "reference": reference,
        "counts": {
            "total": len(preview.rows),
            "new": preview.count(imports.NEW),
            "duplicate": preview.count(imports.DUPLICATE),
            "invalid": preview.count(imports.INVALID),
            "notes": sum(1 for row in preview.rows if row.notes),
        },
    }
    return render(request, "hazards/import_preview.html", context, status=200 if preview.importable else 400)


@require_GET
@login_required
def ledger_report(request: HttpRequest) -> HttpResponse:
    """The preview of every row as a spreadsheet: outcome, errors by column, notes."""
    _require_importer(request)
    path = imports.staged_path(request.user, request.GET.get("file", ""))
    if path is None:
        raise Http404
    preview = imports.preview_staged(path, user=request.user)
    return _xlsx(imports.report(preview.rows), "%E5%AF%BC%E5%85%A5%E9%A2%84%E8%A7%88.xlsx")


@require_POST
@login_required
def ledger_confirm(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    path = imports.staged_path(request.user, request.POST.get("file", ""))
    if path is None:
        raise Http404
    job = jobs.job_create(kind=JOB_KIND, owner=request.user, scope={"file": path})
    transaction.on_commit(lambda: import_ledger.delay(job.pk))
    return redirect("hazards:import_job", job_id=job.pk)


@require_GET
@login_required
def ledger_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.visible_to(request.user).filter(kind=JOB_KIND), pk=job_id)
    return render(request, "hazards/import_job.html", {"job": job})
