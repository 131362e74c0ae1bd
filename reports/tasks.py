"""Thin Celery tasks keeping the rollup current (reports.rollup); named explicitly, safe to run twice:
each claims the rollup's state row and returns at once when another worker holds it. After a refresh or
rebuild that rewrote rows, the stats API's recently asked answers are computed again (reports.api.kept),
so that its pollers' next requests find them kept."""

from celery import shared_task

from reports import exports, rollup
from reports.api import kept


def _kept_ahead(done: rollup.Refreshed | None) -> int:
    if done is not None and (done.rebuilt or done.slices):
        kept.keep_asked()
    return done.rows if done else 0


@shared_task(name="reports.tasks.refresh_rollup", acks_late=True, ignore_result=True)
def refresh_rollup() -> int:
    return _kept_ahead(rollup.refresh())


@shared_task(name="reports.tasks.rebuild_rollup", acks_late=True, ignore_result=True)
def rebuild_rollup() -> int:
    return _kept_ahead(rollup.rebuild())


@shared_task(name="reports.tasks.export", acks_late=True, ignore_result=True)
def export(job_id: int) -> None:
    """An xlsx export (reports.exports): run once, whoever receives the message first."""
    exports.export_run(job_id)


@shared_task(name="reports.tasks.expire_exports", acks_late=True, ignore_result=True)
def expire_exports() -> int:
    """Export files past reports.exports.EXPIRE_AFTER are deleted; their jobs say so."""
    return exports.expired_results()
