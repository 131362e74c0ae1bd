"""Uploads kept across a form's validation error, so a photo is never chosen twice.

A browser cannot refill a file input. When a form comes back with errors, every upload that passed the
content check is stored under ``staging/<user id>/<random>/`` and the form carries its reference in a
hidden ``staged`` field; the next submit takes the staged files along with any new ones. References
are only resolved inside the submitting user's own folder. Staged files older than a day are removed
by the daily clean-up (``hazards.tasks``) and whenever that user stages again.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import uuid
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser as User
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.text import get_valid_filename

from core.uploads import sniff_content_type, validate_upload

KEEP_FOR = datetime.timedelta(days=1)
# A file system takes 255 bytes per name; 200 Chinese characters are 600.
NAME_BYTES = 150
_REFERENCE = re.compile(r"^[0-9a-f]{32}/[^/\\.][^/\\]{0,199}$")


@dataclass(frozen=True)
class StagedFile:
    reference: str
    name: str
    content_type: str

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def _folder(user: User) -> str:
    return f"staging/{user.pk}"


def keep(user: User, form, uploads: list[UploadedFile]) -> list[StagedFile]:
    """Stage the uploads of a form that came back with errors; say why any upload could not be kept."""
    _remove_stale(user)
    kept = []
    for upload in uploads:
        try:
            content_type = validate_upload(upload)
        except ValidationError as exc:
            for message in exc.messages:
                if message not in form.errors.get("photos", []):
                    form.add_error("photos" if "photos" in form.fields else None, message)
            continue
        name = _short_name(upload.name or "")
        saved = default_storage.save(f"{_folder(user)}/{uuid.uuid4().hex}/{name}", upload)
        kept.append(StagedFile(saved.removeprefix(f"{_folder(user)}/"), upload.name or name, content_type))
    return kept


def _short_name(name: str) -> str:
    """The client's name made safe for a path, within NAME_BYTES of UTF-8: it is shown back to the
    user, and becomes the attachment's ``original_name``, while the stored file gets a random name."""
    try:
        safe = get_valid_filename(name).lstrip(".")
    except SuspiciousFileOperation:  # nothing usable left: "", "." or ".."
        safe = ""
    return safe.encode()[:NAME_BYTES].decode(errors="ignore") or "upload"


def _path(user: User, reference: str) -> str | None:
    if not _REFERENCE.match(reference or ""):
        return None
    path = f"{_folder(user)}/{reference}"
    return path if default_storage.exists(path) else None


def resolve(user: User, references: list[str]) -> list[StagedFile]:
    """The staged files of ``user`` named by ``references``; anything else is ignored."""
    found = []
    for reference in references:
        path = _path(user, reference)
        if path is None:
            continue
        with default_storage.open(path, "rb") as handle:
            head = handle.read(16)
        found.append(StagedFile(reference, reference.split("/", 1)[1], sniff_content_type(head) or ""))
    return found


def open_uploads(user: User, staged: list[StagedFile]) -> list[UploadedFile]:
    """The staged files as uploads the services accept; the caller closes them."""
    uploads = []
    for item in staged:
        path = f"{_folder(user)}/{item.reference}"
        handle = default_storage.open(path, "rb")
        uploads.append(
            UploadedFile(
                file=File(handle).file,
                name=item.name,
                content_type=item.content_type,
                size=default_storage.size(path),
            )
        )
    return uploads


def discard(user: User, staged: list[StagedFile]) -> None:
    for item in staged:
        default_storage.delete(f"{_folder(user)}/{item.reference}")


def _remove_stale(user: User) -> None:
    remove_stale(_folder(user))


def remove_stale(folder: str = "staging") -> int:
    """Delete staged files older than KEEP_FOR under ``folder`` (every user's, by default)."""
    if not default_storage.exists(folder):
        return 0
    cutoff = timezone.now() - KEEP_FOR
    removed = 0
    folders, names = default_storage.listdir(folder)
    for name in names:
        path = f"{folder}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    for sub in folders:
        removed += remove_stale(f"{folder}/{sub}")
        with contextlib.suppress(OSError):  # one folder per staged batch: gone once it is empty
            os.rmdir(default_storage.path(f"{folder}/{sub}"))
    return removed
