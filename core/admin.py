"""Background jobs in the admin, to look into: they change only through core/jobs.py.

A superuser sees every job and downloads its result here, to help a user whose export went wrong; any
other staff user allowed to view jobs sees only their own, as on the pages (``visible_to``).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.models import Job
from core.views import result_response


class ReadOnlyMixin:
    """View only: the rows are written by the services and are never edited or deleted by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "owner", "state", "progress", "created_at")
    list_filter = ("state",)
    ordering = ("-id",)
    list_select_related = ("owner",)
    fields = (
        "kind",
        "owner",
        "scope",
        "state",
        "done",
        "total",
        "result_link",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    actions = None
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request: HttpRequest) -> QuerySet[Job]:
        jobs = Job.objects.all() if request.user.is_superuser else Job.objects.visible_to(request.user)
        return jobs.select_related("owner")

    def get_urls(self) -> list[URLPattern]:
        result = path("<int:job_id>/result/", self.admin_site.admin_view(self.result_view), name="core_job_result")
        return [result, *super().get_urls()]

    def result_view(self, request: HttpRequest, job_id: int) -> FileResponse:
        return result_response(get_object_or_404(self.get_queryset(request), pk=job_id))

    @admin.display(description=_("结果文件"))
    def result_link(self, job: Job) -> str:
        # Through the admin's own download, never a MEDIA URL (nothing serves MEDIA).
        if not job.result:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("admin:core_job_result", args=[job.pk]), job.result_name)

    @admin.display(description=_("进度"))
    def progress(self, job: Job) -> str:
        return f"{job.done} / {job.total}" if job.total is not None else str(job.done)
