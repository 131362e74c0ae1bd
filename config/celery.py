"""The Celery app. The periodic schedule is the one table below; each entry carries a comment and an
expiry so that a backlog after an outage never runs stale work."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hazard_ledger")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work. The reminder sweep (DESIGN.md "Deadlines and reminders") is added here by the
# reminders issue; until then beat runs with nothing to schedule.
app.conf.beat_schedule = {}
