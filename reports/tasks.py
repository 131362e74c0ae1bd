"""Thin Celery tasks keeping the rollup current (reports.rollup); named explicitly, safe to run twice:
each claims the rollup's state row and returns at once when another worker holds it."""

from celery import shared_task

from reports import exports, rollup


@shared_task(name="reports.tasks.refresh_rollup", acks_late=True, ignore_result=True)
def refresh_rollup() -> int:
    done = rollup.refresh()
    return done.rows if done else 0


@shared_task(name="reports.tasks.rebuild_rollup", acks_late=True, ignore_result=True)
def rebuild_rollup() -> int:
    done = rollup.rebuild()
    return done.rows if done else 0


@shared_task(name="reports.tasks.export", acks_late=True, ignore_result=True)
def export(job_id: int) -> None:
    """An xlsx export (reports.exports): run once, whoever receives the message first."""
    exports.export_run(job_id)


@shared_task(name="reports.tasks.expire_exports", acks_late=True, ignore_result=True)
def expire_exports() -> int:
    """Export files past reports.exports.EXPIRE_AFTER are deleted; their jobs say so."""
    return exports.expired_results()
