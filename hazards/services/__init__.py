"""The only code that changes hazards: one keyword-only service per state change (docs/style.md §2)."""

from hazards.services.attachments import attachment_add
from hazards.services.editing import editable_fields, hazard_update
from hazards.services.extensions import extension_decide, extension_request
from hazards.services.store import HistoryBatch, recording_history, schedule_reminders
from hazards.services.supervision import supervision_start
from hazards.services.workflow import (
    HazardDetails,
    MajorDetails,
    hazard_acknowledge,
    hazard_assign,
    hazard_create,
    hazard_reassign,
    hazard_recall,
    hazard_register,
    hazard_reject,
    hazard_self_report,
    hazard_submit,
    hazard_verify,
    hazard_void,
)

__all__ = [
    "HazardDetails",
    "HistoryBatch",
    "MajorDetails",
    "attachment_add",
    "editable_fields",
    "extension_decide",
    "extension_request",
    "hazard_acknowledge",
    "hazard_assign",
    "hazard_create",
    "hazard_reassign",
    "hazard_recall",
    "hazard_register",
    "hazard_reject",
    "hazard_self_report",
    "hazard_submit",
    "hazard_update",
    "hazard_verify",
    "hazard_void",
    "recording_history",
    "schedule_reminders",
    "supervision_start",
]
