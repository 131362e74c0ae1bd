"""Code lists of the shared machinery."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    """Where a background job stands: queued → running → succeeded or failed. Only core/jobs.py moves it,
    each step a conditional UPDATE from the state before it."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


UNFINISHED_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)
