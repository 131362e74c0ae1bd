"""Thin Celery tasks: they take no state, re-read the database and are safe to run twice. Each is named
explicitly, so moving this module never orphans beat entries or messages already queued."""

from celery import shared_task
from django.conf import settings

from reminders import services


@shared_task(name="reminders.tasks.sweep", acks_late=True, ignore_result=True)
def sweep() -> int:
    planned = services.sweep(workers=settings.REMINDER_SWEEP_WORKERS).planned
    # Also whatever an earlier sweep planned but could not hand over: a broker down at its commit, a
    # message lost, a worker killed (its message returns only after the visibility timeout).
    services.deliver_immediate()
    return planned


@shared_task(name="reminders.tasks.plan_events", acks_late=True, ignore_result=True)
def plan_events() -> int:
    """The notifications of the workflow events since the last run; the inbox ones go out at once."""
    return services.plan_events()


@shared_task(name="reminders.tasks.deliver_immediate", acks_late=True, ignore_result=True)
def deliver_immediate() -> int:
    return services.deliver_immediate()


@shared_task(name="reminders.tasks.send_digests", acks_late=True, ignore_result=True)
def send_digests() -> int:
    return services.send_digests()


@shared_task(name="reminders.tasks.deliver_due", acks_late=True, ignore_result=True)
def deliver_due() -> int:
    return services.deliver_due()
