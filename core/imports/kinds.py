"""What an import is of: the one object a kind of ledger (hazards, units…) hands the shared pipeline.

The pipeline (core/imports: files, staging, preview, job, report, pages, API) is the same for every
kind; a kind says what its template holds, how its rows are checked and how they are written (through
its app's services, all or nothing), and who may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.urls import reverse

from core.imports.columns import Column
from core.imports.rows import Preview

Progress = Callable[[int], object]
# The project's user (accounts.User), which core does not import: each kind names it in its own methods.
User = Any


class ImportKind:
    name: str  # the kind's segment in the API's paths: /api/v1/imports/<name>/
    job_kind: str  # the core Job's kind
    title: str  # what the ledger is called: "隐患台账"
    noun: str  # what a row becomes: "隐患"
    sheet_title: str
    columns: tuple[Column, ...]
    # The cells a report and the preview page repeat of each row: enough to find it in the user's file.
    report_columns: tuple[str, ...]
    preview_columns: tuple[str, ...]  # the cells the preview page shows of each row (a phone's width)
    result_header: str  # the report's column for what each written row became (the hazard's number…)
    url_prefix: str  # page URL names: <prefix>, <prefix>_template, _report, _confirm, _job
    back_url_name: str  # the list the pages lead back to
    back_label: str
    file_stem: str  # the downloads' names: <stem>模板.xlsx, <stem>导入结果.xlsx

    # What a kind must say

    def may_import(self, user: User) -> bool:
        raise NotImplementedError

    def check(self, table: Iterable[list[str]], *, user: User) -> Preview:
        """Every row checked as the services would, and its outcome; nothing written."""
        raise NotImplementedError

    def write(self, preview: Preview, *, by: User, progress: Progress) -> dict[int, str]:
        """Every new or updated row written through the services in one transaction, or none (raise
        ``RowRefused``): what each became, by row number. ``progress`` hears the count every so often."""
        raise NotImplementedError

    def enqueue(self, job_id: int) -> None:
        """Queue the kind's Celery task for the job."""
        raise NotImplementedError

    def pick_lists(self, user: User) -> dict[str, Sequence[str]]:
        """Each listed column's options beyond its fixed choices (the user's regions, the sectors…)."""
        return {}

    def code_table(self, user: User) -> list[tuple[str, str]]:
        """The region codes and names the user may write, listed on the template's code sheet."""
        return []

    # Shared

    @property
    def headers(self) -> dict[str, str]:
        return {column.key: column.header for column in self.columns}

    def url(self, suffix: str = "", *args: Any) -> str:
        return reverse(f"{self.url_prefix}{suffix}", args=args)
