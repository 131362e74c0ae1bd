"""Evidence files of a hazard: photos and PDFs, checked by ``core.uploads`` (content and size, never name).

A file is stored as ``<random>.<extension of its sniffed type>``; the client's name is kept for display.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.uploads import stored_name, validate_upload
from hazards import permissions
from hazards.choices import AttachmentPhase
from hazards.errors import NotAllowed
from hazards.models import Attachment, Hazard
from hazards.services._core import acting_time
from hazards.services.store import current_store


def check_attachment_allowed(*, hazard: Hazard, by: User, phase: AttachmentPhase) -> None:
    permissions.require_visible(by, hazard)
    if by.role not in permissions.ATTACHMENT_ROLES[AttachmentPhase(phase)]:
        raise NotAllowed(status=hazard.status)
    if not hazard.is_open:
        raise ValidationError(_("已销号或已作废的隐患不能再上传附件。"), code="closed")


def save_attachments(
    *,
    hazard: Hazard,
    by: User,
    phase: AttachmentPhase,
    uploads: Iterable[UploadedFile],
    content_types: list[str],
    at: datetime.datetime | None = None,
) -> list[Attachment]:
    """Store already validated uploads; callers run this inside their transaction.

    ``uploaded_at`` is the acting time, but the file goes under the month it is written in
    (``attachment_path``), which is what remove_unreferenced_files scans.
    """
    now = acting_time(at)
    attachments = []
    for upload, content_type in zip(uploads, content_types, strict=True):
        attachment = Attachment(
            hazard=hazard,
            phase=phase,
            content_type=content_type,
            size=upload.size or 0,
            original_name=(upload.name or "")[:255],
            uploaded_by=by,
            uploaded_at=now,
        )
        current_store().add_attachment(attachment, upload, name=stored_name(content_type))
        attachments.append(attachment)
    return attachments


def attachment_add(
    *, hazard: Hazard, by: User, phase: AttachmentPhase, upload: UploadedFile, at: datetime.datetime | None = None
) -> Attachment:
    check_attachment_allowed(hazard=hazard, by=by, phase=phase)
    content_type = validate_upload(upload, field="file")
    (attachment,) = save_attachments(
        hazard=hazard, by=by, phase=phase, uploads=[upload], content_types=[content_type], at=at
    )
    return attachment


def remove_unreferenced_files(*, older_than: datetime.timedelta = datetime.timedelta(days=1)) -> int:
    """Delete evidence files that no attachment row names: what a rolled-back change left behind.

    Files are stored before the transaction that records them commits (a file saved after commit
    could be lost with a crash), so a change that fails later leaves its files. Only the folders of
    this month and the last are scanned (attachment_path puts files under the month of upload), and
    only files older than ``older_than``, which no transaction still open can be about to record.
    """
    cutoff = timezone.now() - older_than
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    removed = 0
    for month in (last_month, this_month):
        folder = f"hazards/{month:%Y/%m}"
        if not default_storage.exists(folder):
            continue
        recorded = set(Attachment.objects.filter(file__startswith=f"{folder}/").values_list("file", flat=True))
        for hazard_folder in default_storage.listdir(folder)[0]:
            for name in default_storage.listdir(f"{folder}/{hazard_folder}")[1]:
                path = f"{folder}/{hazard_folder}/{name}"
                if path not in recorded and default_storage.get_modified_time(path) < cutoff:
                    default_storage.delete(path)
                    removed += 1
    return removed
