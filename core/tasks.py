"""Thin Celery tasks of the shared machinery: maintenance that is safe to run twice."""

from celery import shared_task

from core.jobs import jobs_tidy


@shared_task(name="core.tasks.tidy_jobs", acks_late=True, ignore_result=True)
def tidy_jobs() -> tuple[int, int]:
    """Background jobs nobody will finish are failed; finished ones past their keeping time are deleted."""
    return jobs_tidy()
