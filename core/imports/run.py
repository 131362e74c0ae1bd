"""A checked upload kept until its import is confirmed, and the confirmed import run as a core Job: the
file checked again (what it names may have changed since the preview), then written by its kind, all
or nothing; the report of every row is the job's result."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import IO

from django.contrib.auth.base_user import AbstractBaseUser as User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.utils.translation import gettext as _

from core import jobs
from core.imports.files import check_ledger, read_rows
from core.imports.kinds import ImportKind
from core.imports.rows import Preview, Row
from core.imports.sheets import report

FOLDER = "imports"
PROGRESS_EVERY = 1000


class RowRefused(Exception):
    """A row the services refused when the import ran: the batch writes nothing. ``columns`` maps the
    services' field names to the template's column keys where they differ."""

    def __init__(self, row: Row, error: ValidationError, *, noun: str, columns: Mapping[str, str] = {}) -> None:
        self.row, self.noun = row, noun
        details = getattr(error, "message_dict", {"": error.messages})
        parts = []
        for name, messages in details.items():
            header = row.headers.get(columns.get(name, name))
            parts.append(f"“{header}”：{'；'.join(messages)}" if header else "；".join(messages))
        self.reason = "；".join(parts)
        super().__init__(f"row {row.number}: {self.reason}")

    @property
    def message(self) -> str:
        return _("第 %(row)d 行未能导入（%(reason)s），整批未写入任何%(noun)s，请修正后重新上传。") % {
            "row": self.row.number,
            "reason": self.reason,
            "noun": self.noun,
        }


class NotImportable(Exception):
    """The file checked again when the import ran has errors now (the ledger changed since the preview)."""

    def __init__(self, noun: str) -> None:
        self.message = _("文件复核时发现错误（数据可能已变化），未写入任何%(noun)s，请重新上传并预览。") % {
            "noun": noun
        }
        super().__init__(self.message)


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


def preview_upload(
    kind: ImportKind, upload: IO[bytes], name: str, size: int | None, *, user: User
) -> tuple[str, Preview]:
    """An upload checked by its content (a ValidationError says why it is refused), then row by row:
    its file type (xlsx or csv) and the preview."""
    file_type = check_ledger(upload, name, size)
    return file_type, kind.check(read_rows(upload, file_type), user=user)


def preview_staged(kind: ImportKind, path: str, *, user: User) -> Preview:
    with default_storage.open(path, "rb") as stored:
        return preview_upload(kind, stored, path, stored.size, user=user)[1]


@contextmanager
def progress_reporter(job_id: int) -> Iterator[Callable[[int], object]]:
    """What a kind's ``write`` reports its progress to. The write is one transaction, in which the job's
    progress would stay invisible until the commit; so a worker (autocommitting when the job starts)
    reports it on a connection of its own, from a thread of its own, in order. Inside a transaction
    already (a test), the same connection: a second one would wait for the first's locks on the job."""
    if connection.in_atomic_block:
        yield lambda done: jobs.job_advance(job_id=job_id, done=done)
        return
    reporter = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"job-{job_id}-progress")
    try:
        yield lambda done: reporter.submit(jobs.job_advance, job_id=job_id, done=done)
    finally:
        reporter.submit(connections.close_all)
        reporter.shutdown(wait=True)


def run_job(kind: ImportKind, job_id: int) -> None:
    """The body of a kind's import task: claim the job, check the file again, write, report."""
    job = jobs.job_start(job_id=job_id)
    if job is None:
        return
    path = job.scope["file"]
    try:
        preview = preview_staged(kind, path, user=job.owner)
        if not preview.importable:
            raise NotImportable(kind.noun)
        jobs.job_advance(job_id=job_id, done=0, total=preview.to_write)
        with progress_reporter(job_id) as progress:
            written = kind.write(preview, by=job.owner, progress=progress)
        result = ContentFile(report(kind, preview.rows, written=written))
        jobs.job_finish(job_id=job_id, result=result, name=f"{kind.file_stem}导入结果.xlsx")
    except (RowRefused, NotImportable) as exc:
        jobs.job_fail(job_id=job_id, message=exc.message)
    except Exception:
        # Kept for the redelivered message: a worker that died mid-import has written nothing.
        message = _("导入失败，未写入任何%(noun)s；请稍后重试，如仍失败请联系管理员。") % {"noun": kind.noun}
        jobs.job_fail(job_id=job_id, message=message)
        raise
    default_storage.delete(path)
