"""Thin Celery tasks of the inspections app."""

from celery import shared_task

from inspections import services


@shared_task(name="inspections.tasks.take_campaign_snapshots", acks_late=True, ignore_result=True)
def take_campaign_snapshots() -> int:
    """报送快照 of every campaign phase whose last day is over and that has none yet: safe to run twice (one
    per phase, by a unique constraint) and to run late (the figures are counted as of the phase's end)."""
    return sum(1 for phase in services.phases_due_a_snapshot() if services.campaign_snapshot_for_phase(phase=phase))
