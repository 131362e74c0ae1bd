"""Reminders: the sweep plans each notification once (planning), delivery sends each once."""

from reminders.services.delivery import STALE_CLAIM, deliver_immediate, send_digests
from reminders.services.planning import CATCH_UP_DAYS, SEND_AT, SweepResult, replan_all, sweep

__all__ = [
    "CATCH_UP_DAYS",
    "SEND_AT",
    "STALE_CLAIM",
    "SweepResult",
    "deliver_immediate",
    "replan_all",
    "send_digests",
    "sweep",
]
