"""The pages of a background job: its progress fragment, polled while it runs, and its result file.

Both read the job through ``Job.objects.visible_to``: anyone but its owner gets 404. Result files are
served only here, by the API's ``jobs/{id}/result/`` and in the admin site, never from MEDIA.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from core.downloads import file_response
from core.models import Job


def result_response(job: Job) -> FileResponse:
    """The job's result file as a download; 404 while it has none."""
    return file_response(job.result, filename=job.result_name)


@require_GET
@login_required
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The fragment ``core/job_progress.html``: what a page includes, and what replaces it every 2 s."""
    job = get_object_or_404(Job.objects.visible_to(request.user), pk=job_id)
    return render(request, "core/job_progress.html", {"job": job})


@require_GET
@login_required
def job_result(request: HttpRequest, job_id: int) -> FileResponse:
    return result_response(get_object_or_404(Job.objects.visible_to(request.user), pk=job_id))
