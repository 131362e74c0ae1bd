"""The import pages of every kind: the template, an upload checked and previewed row by row, the preview's
report, and the confirmed import's job. Each app mounts them with its kind (``{"kind": KIND}``).

An upload refused by its content or size is answered with the reason and nothing is kept. One that
passes is kept under the uploader's own folder until confirmed (the preview form carries its
reference, resolved only in that folder); confirming queues the job, which checks the file again.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import jobs
from core.imports import run, sheets
from core.imports.kinds import ImportKind
from core.imports.rows import INVALID, Preview
from core.models import Job

# Rows shown on the preview page; every row is in the downloadable report.
PREVIEW_ROWS = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def require_importer(kind: ImportKind, user) -> None:
    if not kind.may_import(user):
        raise PermissionDenied


def xlsx_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def _context(kind: ImportKind, **extra) -> dict:
    urls = {name: kind.url(suffix) for name, suffix in (("upload", ""), ("template", "_template"))}
    urls |= {"report": kind.url("_report"), "confirm": kind.url("_confirm")}
    return {"kind": kind, "urls": urls, "max_size": filesizeformat(settings.LEDGER_IMPORT_MAX_BYTES), **extra}


@require_GET
@login_required
def import_template(request: HttpRequest, kind: ImportKind) -> HttpResponse:
    require_importer(kind, request.user)
    return xlsx_response(sheets.template(kind, request.user), f"{kind.file_stem}模板.xlsx")


@login_required
def import_upload(request: HttpRequest, kind: ImportKind) -> HttpResponse:
    """GET: the upload form. POST: the file checked, kept, and every row previewed."""
    require_importer(kind, request.user)
    if request.method != "POST":
        return render(request, "imports/upload.html", _context(kind))
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError(_("请选择要上传的台账文件（.xlsx 或 .csv）。"))
        file_type, preview = run.preview_upload(kind, upload, upload.name or "", upload.size, user=request.user)
    except ValidationError as exc:
        return render(request, "imports/upload.html", _context(kind, refused=exc.messages), status=400)
    reference = run.stage(upload, user=request.user, kind=file_type)
    return _preview(request, kind, preview, reference)


def _preview(request: HttpRequest, kind: ImportKind, preview: Preview, reference: str) -> HttpResponse:
    shown = sorted(preview.rows, key=lambda row: row.outcome != INVALID)[:PREVIEW_ROWS]
    headers = kind.headers
    context = _context(
        kind,
        preview=preview,
        rows=[(row, " · ".join(filter(None, (row.cells[key] for key in kind.preview_columns)))) for row in shown],
        shown_headers=[headers[key] for key in kind.preview_columns],
        hidden=len(preview.rows) - len(shown),
        reference=reference,
        counts=preview.counts(),
    )
    return render(request, "imports/preview.html", context, status=200 if preview.importable else 400)


@require_GET
@login_required
def import_report(request: HttpRequest, kind: ImportKind) -> HttpResponse:
    """The preview of every row as a spreadsheet: outcome, errors by column, notes."""
    require_importer(kind, request.user)
    path = run.staged_path(request.user, request.GET.get("file", ""))
    if path is None:
        raise Http404
    preview = run.preview_staged(kind, path, user=request.user)
    return xlsx_response(sheets.report(kind, preview.rows), "导入预览.xlsx")


def confirm(kind: ImportKind, user, reference: str) -> Job | None:
    """The job that imports ``user``'s staged file ``reference``, queued once this transaction commits;
    None when the reference names no file of theirs."""
    path = run.staged_path(user, reference)
    if path is None:
        return None
    job = jobs.job_create(kind=kind.job_kind, owner=user, scope={"file": path})
    transaction.on_commit(lambda: kind.enqueue(job.pk))
    return job


@require_POST
@login_required
def import_confirm(request: HttpRequest, kind: ImportKind) -> HttpResponse:
    require_importer(kind, request.user)
    job = confirm(kind, request.user, request.POST.get("file", ""))
    if job is None:
        raise Http404
    return redirect(kind.url_prefix + "_job", job_id=job.pk)


@require_GET
@login_required
def import_job(request: HttpRequest, kind: ImportKind, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.visible_to(request.user).filter(kind=kind.job_kind), pk=job_id)
    return render(request, "imports/job.html", _context(kind, job=job))


def urlpatterns(kind: ImportKind, prefix: str) -> list:
    """The pages of ``kind`` under ``prefix`` ("hazards/import/"), named after its ``url_prefix``."""
    from django.urls import path

    name = kind.url_prefix.split(":", 1)[1]
    return [
        path(prefix, import_upload, {"kind": kind}, name=name),
        path(f"{prefix}template/", import_template, {"kind": kind}, name=f"{name}_template"),
        path(f"{prefix}report/", import_report, {"kind": kind}, name=f"{name}_report"),
        path(f"{prefix}confirm/", import_confirm, {"kind": kind}, name=f"{name}_confirm"),
        path(f"{prefix}jobs/<int:job_id>/", import_job, {"kind": kind}, name=f"{name}_job"),
    ]
