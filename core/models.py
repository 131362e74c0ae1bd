from __future__ import annotations

import os

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import UNFINISHED_JOB_STATES, JobState
from core.querysets import JobQuerySet


class IdempotencyRecord(models.Model):
    """The first outcome of a request that must not run twice (core/idempotency.py): an API
    ``Idempotency-Key`` or a browser form's one-time token, replayed on a repeat."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Moved from the hazards app without moving data.
        db_table = "hazards_idempotencyrecord"
        verbose_name = _("幂等请求记录")
        verbose_name_plural = _("幂等请求记录")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")]

    def __str__(self) -> str:
        return self.key


def job_result_path(instance: Job, filename: str) -> str:
    # One folder per job: its file keeps the name the task gave it, whatever other jobs produce.
    return f"jobs/{timezone.localtime(instance.created_at):%Y/%m}/{instance.pk}/{filename}"


class Job(models.Model):
    """后台任务: work a Celery task does for a user (a report's export, a spreadsheet's import), which the
    user follows on a page and whose result file they download. Changed only by core/jobs.py."""

    kind = models.CharField(_("类型"), max_length=64, help_text=_("如 reports.export"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.CASCADE,
        related_name="+",
        # The (owner, created_at) index below serves every lookup by owner.
        db_index=False,
    )
    scope = models.JSONField(_("范围"), default=dict, blank=True, help_text=_("任务处理的对象，如导出的筛选条件"))
    state = models.CharField(_("状态"), max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    total = models.PositiveIntegerField(_("总数"), null=True, blank=True, help_text=_("开始前未知时为空"))
    result = models.FileField(_("结果文件"), upload_to=job_result_path, max_length=255, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    # Renewed by every progress report: a running job whose worker died stops renewing it (core/jobs.py).
    heartbeat_at = models.DateTimeField(_("最近进展时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        indexes = [
            # A user's jobs, newest first: what a list of one's own exports and imports reads. Polling
            # reads one job by its primary key and needs nothing more.
            models.Index(fields=["owner", "-created_at"], name="job_owner_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.state not in UNFINISHED_JOB_STATES

    @property
    def percent(self) -> int | None:
        """Done as a whole percentage of the total, None while the total is unknown."""
        if self.total is None:
            return None
        if self.total == 0:
            return 100
        return min(100, self.done * 100 // self.total)

    @property
    def result_name(self) -> str:
        return os.path.basename(self.result.name) if self.result else ""
