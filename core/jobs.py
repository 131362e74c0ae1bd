"""Background jobs (后台任务): the one way a ``Job`` row changes, for the Celery tasks that run them.

A view creates the job and queues its task with the id once the transaction commits; the task claims
it with ``job_start`` (None: another worker has it, or it already ran, so there is nothing to do),
reports progress with ``job_advance`` and ends with ``job_finish`` or ``job_fail``. Each step is one
conditional UPDATE from the state before it: two workers never both run a job, and a finished job
never moves again, whatever a late or repeated message does.

A running job holds a lease, renewed by every ``job_advance``: once it has gone ``LEASE`` without one,
its worker is presumed dead (killed, redeployed) and the redelivered message may claim it again.
``jobs_tidy`` (a daily task) fails jobs abandoned for longer than ``ABANDONED`` so no page polls them
forever, and deletes finished jobs and their files after ``KEEP_FOR``.
"""

from __future__ import annotations

import datetime
import logging
import sys
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser as User
from django.core.files.base import File
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.choices import UNFINISHED_JOB_STATES, JobState
from core.models import Job

logger = logging.getLogger(__name__)

# A task reports progress at least this often (per batch of items), so a lease this long lapses only
# when its worker is gone.
LEASE = datetime.timedelta(minutes=10)
# Queued and never claimed, or running without progress, this long: nobody will finish it.
ABANDONED = datetime.timedelta(hours=6)
# A finished job and its result file are kept this long for their owner to download.
KEEP_FOR = datetime.timedelta(days=7)


def job_create(*, kind: str, owner: User, scope: dict[str, Any]) -> Job:
    """A queued job of ``kind`` (e.g. "reports.export") for ``owner``; ``scope`` says what it works on
    (JSON, e.g. the filters of an export). Queue its task with ``transaction.on_commit``."""
    return Job.objects.create(kind=kind, owner_id=owner.pk, scope=scope)


def job_start(*, job_id: int, total: int | None = None) -> Job | None:
    """Claim the queued job for this worker (or a running one whose lease lapsed: its worker died): the
    job, running, or None if another worker holds it or it is finished. ``total`` is the number of
    items to do, when known already."""
    now = timezone.now()
    lapsed = Q(state=JobState.RUNNING, heartbeat_at__lt=now - LEASE)
    claimed = Job.objects.filter(Q(state=JobState.QUEUED) | lapsed, pk=job_id).update(
        state=JobState.RUNNING, started_at=now, heartbeat_at=now, done=0, total=total
    )
    if claimed != 1:
        return None
    return Job.objects.get(pk=job_id)


def job_advance(*, job_id: int, done: int, total: int | None = None) -> bool:
    """Record progress of a running job: one UPDATE and nothing else, so call it per batch of items
    rather than per item. False once the job is no longer running (a finished job keeps what it
    ended with): the task may stop."""
    fields: dict[str, Any] = {"done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    return Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(**fields) == 1


def job_finish(*, job_id: int, result: File | None = None, name: str = "") -> bool:
    """Mark the running job succeeded, with ``result`` stored as its file under ``name`` (the name its
    owner downloads, e.g. "隐患台账.xlsx"; the file's own name if blank). False, and nothing stored,
    if the job was not running."""
    job = Job.objects.filter(pk=job_id, state=JobState.RUNNING).first()
    if job is None:
        return False
    fields: dict[str, Any] = {
        "state": JobState.SUCCEEDED,
        "finished_at": timezone.now(),
        # Finished is all done, whatever the last progress report said.
        "done": Coalesce(F("total"), F("done")),
    }
    stored = ""
    if result is not None:
        path = job.result.field.generate_filename(job, name or result.name or "result")
        stored = job.result.storage.save(path, result, max_length=job.result.field.max_length)
        fields["result"] = stored
    finished = Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(**fields) == 1
    if not finished and stored:
        # Failed or finished by someone else meanwhile: their outcome stands, this file is nobody's.
        job.result.storage.delete(stored)
    return finished


def job_fail(*, job_id: int, message: str) -> bool:
    """Mark the unfinished job failed with ``message``, in Chinese, which its owner reads (say what to
    do, never the technical detail). Call it from the ``except`` block: the exception being handled
    goes to the log with its traceback. False if the job had already finished."""
    message = str(message).strip() or _("任务失败，请稍后重试；如仍失败请联系管理员。")
    failed = Job.objects.filter(pk=job_id, state__in=UNFINISHED_JOB_STATES).update(
        state=JobState.FAILED, error=message, finished_at=timezone.now()
    )
    outcome = "failed" if failed else "had already finished when it failed"
    logger.error("Job %s %s: %s", job_id, outcome, message, exc_info=sys.exc_info()[0] is not None)
    return failed == 1


def jobs_tidy(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Fail the jobs nobody will finish and delete the finished ones past ``KEEP_FOR`` with their files.
    Returns how many were failed and how many deleted; safe to run twice."""
    now = now or timezone.now()
    stale = now - ABANDONED
    abandoned = Q(state=JobState.QUEUED, created_at__lt=stale) | Q(state=JobState.RUNNING, heartbeat_at__lt=stale)
    failed = Job.objects.filter(abandoned).update(
        state=JobState.FAILED,
        error=_("任务已中断（处理进程停止），请重新发起。"),
        finished_at=now,
    )
    expired = Job.objects.exclude(state__in=UNFINISHED_JOB_STATES).filter(finished_at__lt=now - KEEP_FOR)
    deleted = 0
    for job in expired.only("pk", "result").iterator():
        if job.result.name:
            job.result.storage.delete(job.result.name)
        deleted += Job.objects.filter(pk=job.pk).delete()[0]
    return failed, deleted


def jobs_discard_results(*, kind: str, finished_before: datetime.datetime) -> int:
    """Delete the result files of ``kind``'s jobs finished before ``finished_before`` (an export's file
    expires sooner than the job's record: ``KEEP_FOR``); the job stays, with no file. Returns how many
    files went; safe to run twice."""
    discarded = 0
    old = Job.objects.filter(kind=kind, state=JobState.SUCCEEDED, finished_at__lt=finished_before).exclude(result="")
    for job in old.only("pk", "result").iterator():
        name = job.result.name
        if name and Job.objects.filter(pk=job.pk, result=name).update(result="") == 1:
            job.result.storage.delete(name)
            discarded += 1
    return discarded
