"""The import itself: each new row recorded through the services (列单, then 交单 when the ledger says it
was handed over) at the moment it was found, all inside one history batch, so the whole file is
written in one transaction at the end or not at all."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from hazards import services
from hazards.choices import Level
from hazards.imports.columns import BY_KEY, LISTED
from hazards.imports.files import check_ledger, read_rows
from hazards.imports.rows import NEW, Preview, Row, check_rows
from hazards.models import Hazard

FOUND_AT = datetime.time(9, 0)  # a ledger records the day found; the hour is the working day's start
PROGRESS_EVERY = 1000
FOLDER = "imports"
# The service's field names, where they differ from the template's column keys.
_FIELD_COLUMNS = {"found_at": "found_on", "responsible_unit": "unit", "major": "major_standard"}


class RowRefused(Exception):
    """A row the services refused when the import ran: the batch writes nothing."""

    def __init__(self, row: Row, error: ValidationError) -> None:
        self.row = row
        details = getattr(error, "message_dict", {"": error.messages})
        parts = []
        for name, messages in details.items():
            column = BY_KEY.get(_FIELD_COLUMNS.get(name, name))
            parts.append(f"“{column.header}”：{'；'.join(messages)}" if column else "；".join(messages))
        self.reason = "；".join(parts)
        super().__init__(f"row {row.number}: {self.reason}")

    @property
    def message(self) -> str:
        return _("第 %(row)d 行未能导入（%(reason)s），整批未写入任何隐患，请修正后重新上传。") % {
            "row": self.row.number,
            "reason": self.reason,
        }


class NotImportable(Exception):
    """The file checked again when the import ran has errors now (the ledger changed since the preview)."""

    message = _("文件复核时发现错误（台账数据可能已变化），未写入任何隐患，请重新上传并预览。")


def found_moment(day: datetime.date, now: datetime.datetime | None = None) -> datetime.datetime:
    now = now or timezone.now()
    moment = datetime.datetime.combine(day, FOUND_AT, timezone.get_current_timezone())
    return min(moment, now)


def stage(upload: IO[bytes], *, user: User, kind: str) -> str:
    """Keep a checked upload until its import is confirmed: its path under the owner's folder."""
    upload.seek(0)
    return default_storage.save(f"{FOLDER}/{user.pk}/{uuid.uuid4().hex}.{kind}", ContentFile(upload.read()))


def staged_path(user: User, reference: str) -> str | None:
    """The stored path of ``reference`` if it is one of ``user``'s staged ledgers, else None."""
    folder = f"{FOLDER}/{user.pk}/"
    name = reference.removeprefix(folder)
    stem, _dot, kind = name.partition(".")
    if len(stem) != 32 or not stem.isalnum() or kind not in ("xlsx", "csv"):
        return None
    path = folder + name
    return path if default_storage.exists(path) else None


def preview_staged(path: str, *, user: User) -> Preview:
    kind = path.rsplit(".", 1)[1]
    with default_storage.open(path, "rb") as stored:
        check_ledger(stored, path, stored.size)
        return check_rows(read_rows(stored, kind), user=user)


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
        raise RowRefused(row, exc) from exc
    return hazard


def import_rows(preview: Preview, *, by: User, progress: Callable[[int], object] = lambda done: None) -> dict[int, str]:
    """Record every new row of a checked file, all or nothing: the numbers given, by row number.
    ``progress`` hears how many rows were recorded, every ``PROGRESS_EVERY``."""
    if not preview.importable:
        raise ValueError("only a file without errors is imported")
    recorded: list[tuple[int, Hazard]] = []
    with services.recording_history():
        for row in preview.rows:
            if row.outcome != NEW:
                continue
            recorded.append((row.number, record(row, by=by)))
            if len(recorded) % PROGRESS_EVERY == 0:
                progress(len(recorded))
    return {number: hazard.number for number, hazard in recorded}
