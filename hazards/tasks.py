"""Thin Celery tasks of the hazards app: maintenance that is safe to run twice."""

from celery import shared_task

from core import staging
from hazards.services.attachments import remove_unreferenced_files


@shared_task(name="hazards.tasks.remove_stray_files", acks_late=True, ignore_result=True)
def remove_stray_files() -> int:
    """Evidence files a rolled-back change left, and photos staged by forms nobody sent again."""
    return remove_unreferenced_files() + staging.remove_stale()
