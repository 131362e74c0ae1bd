"""Thin Celery tasks of the accounts app."""

from celery import shared_task

from accounts.imports import UNITS
from core.imports import run


@shared_task(name="accounts.tasks.import_units", acks_late=True, ignore_result=True)
def import_units(job_id: int) -> None:
    """责任单位导入: the confirmed file checked again and written through the unit services, all or
    nothing; the report of every row is the job's result."""
    run.run_job(UNITS, job_id)
