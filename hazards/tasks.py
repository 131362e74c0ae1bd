"""Thin Celery tasks of the hazards app: maintenance that is safe to run twice."""

from celery import shared_task

from core import staging
from core.imports import run
from hazards.imports import HAZARDS
from hazards.services.attachments import remove_unreferenced_files


@shared_task(name="hazards.tasks.remove_stray_files", acks_late=True, ignore_result=True)
def remove_stray_files() -> int:
    """Evidence files a rolled-back change left, photos staged by forms nobody sent again, and ledgers
    (of any kind) uploaded for an import nobody confirmed."""
    return remove_unreferenced_files() + staging.remove_stale() + staging.remove_stale(run.FOLDER)


@shared_task(name="hazards.tasks.import_ledger", acks_late=True, ignore_result=True)
def import_ledger(job_id: int) -> None:
    """台账导入: the confirmed file checked again (the ledger may have changed since the preview) and
    recorded through the services, all or nothing; the report of every row is the job's result."""
    run.run_job(HAZARDS, job_id)
