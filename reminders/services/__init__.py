"""Reminders: the sweep plans each notification once (planning), so does the event follower (events),
delivery sends each once."""

from reminders.services.delivery import CLAIM_EXPIRY, DIGEST_AT, deliver_due, deliver_immediate, send_digests
from reminders.services.events import plan_events
from reminders.services.planning import CATCH_UP_DAYS, SEND_AT, SweepResult, replan_all, sweep

__all__ = [
    "CATCH_UP_DAYS",
    "CLAIM_EXPIRY",
    "DIGEST_AT",
    "SEND_AT",
    "SweepResult",
    "deliver_due",
    "deliver_immediate",
    "plan_events",
    "replan_all",
    "send_digests",
    "sweep",
]
