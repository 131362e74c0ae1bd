"""Thin Celery tasks of the hazards app: maintenance that is safe to run twice."""

from celery import shared_task
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from core import jobs, staging
from hazards import imports
from hazards.services.attachments import remove_unreferenced_files


@shared_task(name="hazards.tasks.remove_stray_files", acks_late=True, ignore_result=True)
def remove_stray_files() -> int:
    """Evidence files a rolled-back change left, photos staged by forms nobody sent again, and ledgers
    uploaded for an import nobody confirmed."""
    return remove_unreferenced_files() + staging.remove_stale() + staging.remove_stale(imports.FOLDER)


@shared_task(name="hazards.tasks.import_ledger", acks_late=True, ignore_result=True)
def import_ledger(job_id: int) -> None:
    """台账导入: the confirmed file checked again (the ledger may have changed since the preview) and
    recorded through the services, all or nothing; the report of every row is the job's result."""
    job = jobs.job_start(job_id=job_id)
    if job is None:
        return
    path = job.scope["file"]
    try:
        preview = imports.preview_staged(path, user=job.owner)
        if not preview.importable:
            raise imports.NotImportable()
        jobs.job_advance(job_id=job_id, done=0, total=preview.count(imports.NEW))
        numbers = imports.import_rows(
            preview, by=job.owner, progress=lambda done: jobs.job_advance(job_id=job_id, done=done)
        )
        result = ContentFile(imports.report(preview.rows, numbers=numbers))
        jobs.job_finish(job_id=job_id, result=result, name="隐患台账导入结果.xlsx")
    except (imports.RowRefused, imports.NotImportable) as exc:
        jobs.job_fail(job_id=job_id, message=exc.message)
    except Exception:
        # Kept for the redelivered message: a worker that died mid-import has written nothing.
        jobs.job_fail(job_id=job_id, message=_("导入失败，未写入任何隐患；请稍后重试，如仍失败请联系管理员。"))
        raise
    default_storage.delete(path)
