"""The app-code fixes this benchmark proposes, applied as patches so that their effect can be measured.

    .venv/bin/python -m bench.api.load --rows 1000000 --proposed

Off unless ``BENCH_PROPOSED=1`` (``--proposed`` sets it for gunicorn and for the in-process checks);
the figures of a run with it are the figures the app would have with these changes. Delete this module
once the changes are in the app. Each patch gives the same responses as the code it replaces (the load
script checks the JSON of every scenario against the unpatched code before measuring).

1. config/api.py ``KeysetPagination._after``: a non-null ordering field gets a leading range bound
   (``found_at <= v AND (found_at < v OR (found_at = v AND id < pk))``), which PostgreSQL reads as an
   index condition; without it the OR is a filter and page 10,000 scans and discards 499,950 index
   entries and heap rows.
2. hazards/api/serializers.py ``HazardSerializer.to_representation``: the read representation built
   directly (the declared fields stay for the schema and for input), half the CPU of the field-by-field
   walk of DRF: no ``inspect.signature`` per ``get_status_display``, no six lazy-string casts and
   hashing per row for the status label, one ``timezone.localdate()`` per page instead of two per row,
   no per-field ``get_attribute``/``to_representation`` indirection.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

_applied = False


def after(self, field: str, descending: bool, value, pk: int) -> Q:
    """``KeysetPagination._after`` with a range bound the index can start from."""
    beyond = "lt" if descending else "gt"
    after_same = Q(**{field: value, f"id__{beyond}": pk})
    if not self.model_field.null:
        return Q(**{f"{field}__{beyond}e": value}) & (Q(**{f"{field}__{beyond}": value}) | after_same)
    is_null, not_null = Q(**{f"{field}__isnull": True}), Q(**{f"{field}__isnull": False})
    if value is None:
        same = is_null & Q(**{f"id__{beyond}": pk})
        return same | not_null if descending else same
    later = Q(**{f"{field}__{beyond}e": value}) & (Q(**{f"{field}__{beyond}": value}) | after_same)
    return later if descending else later | is_null


def hazard_representation(self, hazard) -> dict:
    """``HazardSerializer.to_representation``, written out (same keys, order and values)."""
    from hazards.choices import Status

    tz = timezone.get_current_timezone()
    context = self.context
    today = context.get("today") or context.setdefault("_today", timezone.localdate())
    labels = context.get("_status_labels")
    if labels is None:
        labels = context["_status_labels"] = {value: str(label) for value, label in Status.choices}

    def dt(value):
        if not value:
            return None
        out = value.astimezone(tz).isoformat()
        return out[:-6] + "Z" if out.endswith("+00:00") else out

    h = hazard
    stage = h.stage
    region, county, sector, unit = h.region, h.county, h.sector, h.responsible_unit
    overdue = h.days_overdue(today)
    return {
        "id": h.id,
        "number": h.number,
        "status": h.status,
        "status_display": labels.get(h.status, h.status),
        "stage": stage.value if stage else None,
        "stage_display": str(stage.label) if stage else None,
        "level": h.level,
        "title": h.title,
        "description": h.description,
        "region": {
            "code": region.code,
            "name": region.name,
            "level": region.level,
            "county": {"code": county.code, "name": county.name},
        },
        "address": h.address,
        "sector": {"code": sector.code, "name": sector.name},
        "category": h.category,
        "factor": h.factor,
        "source": h.source,
        "found_at": dt(h.found_at),
        "responsible_unit": {"id": unit.id, "name": unit.name, "credit_code": unit.credit_code} if unit else None,
        "responsible_person": h.responsible_person,
        "responsible_phone": h.responsible_phone,
        "requirements": h.requirements,
        "deadline": h.deadline.isoformat() if h.deadline else None,
        "is_overdue": overdue > 0,
        "days_overdue": overdue,
        "is_supervised": self.get_is_supervised(h),
        "assigned_at": dt(h.assigned_at),
        "acknowledged_at": dt(h.acknowledged_at),
        "measures": h.measures,
        "completed_on": h.completed_on.isoformat() if h.completed_on else None,
        "cost": h.cost,
        "submitted_at": dt(h.submitted_at),
        "verification_method": h.verification_method,
        "verification_opinion": h.verification_opinion,
        "closed_at": dt(h.closed_at),
        "void_reason": h.void_reason,
        "major": self.get_major(h),
        "version": h.version,
        "updated_at": dt(h.updated_at),
    }


ORIGINALS: dict[str, object] = {}


def apply() -> None:
    global _applied
    if _applied:
        return
    from config.api import KeysetPagination
    from hazards.api.serializers import HazardSerializer

    ORIGINALS["after"] = KeysetPagination._after
    ORIGINALS["representation"] = HazardSerializer.to_representation
    KeysetPagination._after = after
    HazardSerializer.to_representation = hazard_representation
    _applied = True


def unapplied(callable_, *args, **kwargs):
    """Call with the original code in place (to compare responses)."""
    from config.api import KeysetPagination
    from hazards.api.serializers import HazardSerializer

    if not _applied:
        return callable_(*args, **kwargs)
    KeysetPagination._after = ORIGINALS["after"]
    HazardSerializer.to_representation = ORIGINALS["representation"]
    try:
        return callable_(*args, **kwargs)
    finally:
        KeysetPagination._after = after
        HazardSerializer.to_representation = hazard_representation
