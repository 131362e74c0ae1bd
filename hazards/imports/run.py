"""The hazard import itself: each new row recorded through the services (列单, then 交单 when the ledger says
it was handed over) at the moment it was found, all inside one history batch, so the whole file is
written in one transaction or not at all."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from core.imports.rows import NEW, Preview, Row
from core.imports.run import PROGRESS_EVERY, RowRefused
from hazards import services
from hazards.choices import Level
from hazards.imports.columns import LISTED
from hazards.models import Hazard

FOUND_AT = datetime.time(9, 0)  # a ledger records the day found; the hour is the working day's start
# The service's field names, where they differ from the template's column keys.
_FIELD_COLUMNS = {"found_at": "found_on", "responsible_unit": "unit", "major": "major_standard"}


def found_moment(day: datetime.date, now: datetime.datetime | None = None) -> datetime.datetime:
    now = now or timezone.now()
    moment = datetime.datetime.combine(day, FOUND_AT, timezone.get_current_timezone())
    return min(moment, now)


def _details(row: Row, found_at: datetime.datetime) -> services.HazardDetails:
    values, cells = row.values, row.cells
    major = None
    if values["level"] == Level.MAJOR:
        major = services.MajorDetails(
            major_standard=values["major_standard"],
            major_standard_item=cells["major_standard_item"],
        )
    return services.HazardDetails(
        region=values["region"],
        sector=values["sector"],
        title=cells["title"],
        description=cells["description"],
        category=values["category"],
        factor=values["factor"],
        source=values["source"],
        level=values["level"],
        address=cells["address"],
        found_at=found_at,
        major=major,
    )


def record(row: Row, *, by: User) -> Hazard:
    """One row through the services, at the moment it was found."""
    at = found_moment(row.values["found_on"])
    try:
        hazard = services.hazard_register(details=_details(row, at), by=by, at=at)
        if row.cells["status"] != LISTED:
            hazard = services.hazard_assign(
                hazard=hazard,
                by=by,
                unit=row.values["unit"],
                responsible_person=row.cells["responsible_person"],
                requirements=row.values["requirements"],
                deadline=row.values["deadline"],
                at=at,
            )
    except ValidationError as exc:
        raise RowRefused(row, exc, noun="隐患", columns=_FIELD_COLUMNS) from exc
    return hazard


def import_rows(preview: Preview, *, by: User, progress: Callable[[int], object] = lambda done: None) -> dict[int, str]:
    """Record every new row of a checked file, all or nothing: the numbers given, by row number.
    The batch is written every ``PROGRESS_EVERY`` rows, inside its one transaction, so the worker holds
    only that many hazards' histories at a time; ``progress`` then hears how many rows were recorded."""
    if not preview.importable:
        raise ValueError("only a file without errors is imported")
    numbers: dict[int, str] = {}
    pending: list[tuple[int, Hazard]] = []
    with services.recording_history() as batch:
        for row in preview.rows:
            if row.outcome != NEW:
                continue
            pending.append((row.number, record(row, by=by)))
            if len(pending) == PROGRESS_EVERY:
                batch.flush()
                numbers.update((number, hazard.number) for number, hazard in pending)
                pending.clear()
                progress(len(numbers))
    # The batch's end wrote the last rows.
    numbers.update((number, hazard.number) for number, hazard in pending)
    return numbers
