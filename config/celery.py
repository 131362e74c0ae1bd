"""The Celery app. The periodic schedule is the one table below; each entry carries a comment and an
expiry so that a backlog after an outage never runs stale work."""

import os

from celery import Celery, signals
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Celery's Django fixup runs every system check as a worker starts, and the web's checks import the web:
# the URL checks the URLconf, and with it every view, the API schema and what they import (openpyxl,
# DRF's renderers…), the admin's and the security checks the middleware (the API's authentication,
# throttling…), the template checks every template tag library: ~25 MB a worker process would carry
# for nothing. So the fixup is told to skip the checks (any non-empty value does) and the worker runs
# all but the web's itself (check_worker below; the web process and `manage.py check` run them all).
# A marker variable says it was set here, so that a process started from this one does the same, while
# CELERY_SKIP_CHECKS=1 from the operator still skips them all. (CELERY_SKIP_CHECKS itself must stay a
# boolean: the celery command reads it as its --skip-checks option.)
WEB_CHECKS_SKIPPED = "HAZARD_LEDGER_WEB_CHECKS_SKIPPED"
_SKIP_ALL_CHECKS = os.environ.get("CELERY_SKIP_CHECKS", "") != "" and os.environ.get(WEB_CHECKS_SKIPPED) != "1"
os.environ["CELERY_SKIP_CHECKS"] = "1"
if not _SKIP_ALL_CHECKS:
    os.environ[WEB_CHECKS_SKIPPED] = "1"

app = Celery("hazard_ledger")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.import_modules.connect(sender=app)
def check_worker(**kwargs) -> None:
    """The system checks a worker's start runs: all but the web's own."""
    if _SKIP_ALL_CHECKS:
        return
    from django.core.checks import Tags, registry, run_checks

    webs = {Tags.urls, Tags.admin, Tags.security, Tags.templates}
    run_checks(tags=sorted(registry.registry.tags_available() - webs))


# Periodic work, one table. Each entry expires before the next run is due, so a backlog after an
# outage never piles up stale copies (the tasks are safe to run twice anyway).
app.conf.beat_schedule = {
    # Plan the reminders whose time has come (hazards.ReminderSchedule); sends immediate ones.
    "reminders-sweep": {
        "task": "reminders.tasks.sweep",
        "schedule": 300.0,
        "options": {"expires": 280},
    },
    # The daily digest: one message per recipient listing all their due and overdue items. At
    # reminders.services.DIGEST_AT; what a fault leaves of it, reminders-deliver finishes.
    "reminders-digest": {
        "task": "reminders.tasks.send_digests",
        "schedule": crontab(hour=8, minute=30),
        "options": {"expires": 3600},
    },
    # Workflow notifications (交单, 退回, 待验收, 延期, 挂牌督办, 销号…): the hazard events since the last run
    # planned into the ledger (reminders.services.events), the inbox ones delivered at once. Re-running or
    # overlapping never duplicates (one row per event, person and channel).
    "reminders-events": {
        "task": "reminders.tasks.plan_events",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # Immediate reminders, failed sends whose backoff is over, a killed worker's claims (after a minute)
    # and the rest of a digest a fault interrupted: every minute, so nothing waits for the next sweep.
    "reminders-deliver": {
        "task": "reminders.tasks.deliver_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Files no attachment row names (a rolled-back upload) and form photos staged over a day ago.
    "hazards-stray-files": {
        "task": "hazards.tasks.remove_stray_files",
        "schedule": crontab(hour=3, minute=15),
        "options": {"expires": 3600},
    },
    # Background jobs abandoned by a dead worker are failed (their pages stop polling); finished jobs
    # and their result files are deleted after a week (core/jobs.py).
    "core-tidy-jobs": {
        "task": "core.tasks.tidy_jobs",
        "schedule": crontab(hour=3, minute=45),
        "options": {"expires": 3600},
    },
    # The reports' rollup follows the hazard events: figures are at most this interval behind a change
    # (issue 11: visible within 60 s). A run finding another still at work returns at once.
    "reports-rollup-refresh": {
        "task": "reports.tasks.refresh_rollup",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # The whole rollup rewritten after midnight: overdue counts move with the date, and any write that
    # bypassed the services (a bulk load, a hand fix) is picked up. A refresh on a new date does it too.
    "reports-rollup-rebuild": {
        "task": "reports.tasks.rebuild_rollup",
        "schedule": crontab(hour=0, minute=5),
        "options": {"expires": 3600},
    },
    # 专项整治 报送快照: each phase's figures frozen once its last day is over (counted as of that day's end,
    # so a late run still reports the same figures; one per phase by a unique constraint).
    "inspections-campaign-snapshots": {
        "task": "inspections.tasks.take_campaign_snapshots",
        "schedule": crontab(hour=0, minute=10),
        "options": {"expires": 3600},
    },
    # Export files (reports.exports) are their owner's for 24 h after they were made: each hour the expired
    # ones are deleted, their jobs kept to say so. A missed run only keeps a file an hour longer.
    "reports-expire-exports": {
        "task": "reports.tasks.expire_exports",
        "schedule": crontab(minute=20),
        "options": {"expires": 3000},
    },
}
