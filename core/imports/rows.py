"""A ledger's rows as the pipeline carries them, whatever they describe: the cells by column key, the
errors by column header, and what importing the row will do."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.imports.columns import Column

NEW, UPDATE, DUPLICATE, INVALID = "new", "update", "duplicate", "invalid"
OUTCOME_LABELS = {NEW: "新增", UPDATE: "更新", DUPLICATE: "重复（跳过）", INVALID: "有错误"}
WRITTEN = (NEW, UPDATE)  # the outcomes an import writes
_SHARED_LENGTH = 24
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")


@dataclass(slots=True)  # a file may hold 100,000 of them
class Row:
    """One data row of the sheet: ``number`` is its row number in the spreadsheet (the header is row 1)."""

    number: int
    cells: dict[str, str]
    headers: Mapping[str, str]  # column key → header, shared by every row of a file
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column header, reason)
    notes: list[str] = field(default_factory=list)
    outcome: str = NEW
    duplicate_of: str = ""  # the existing record's number or name, or "第 N 行"
    values: dict = field(default_factory=dict)  # the parsed values the import passes to the services

    def fail(self, key: str, reason: str) -> None:
        self.errors.append((self.headers[key], reason))
        self.outcome = INVALID


@dataclass
class Preview:
    rows: list[Row]
    header_errors: list[str]

    @property
    def invalid(self) -> list[Row]:
        return [row for row in self.rows if row.outcome == INVALID]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def to_write(self) -> int:
        return sum(1 for row in self.rows if row.outcome in WRITTEN)

    @property
    def importable(self) -> bool:
        return not self.header_errors and not self.invalid and self.to_write > 0

    def counts(self) -> dict[str, int]:
        return {
            "total": len(self.rows),
            NEW: self.count(NEW),
            UPDATE: self.count(UPDATE),
            DUPLICATE: self.count(DUPLICATE),
            INVALID: self.count(INVALID),
            "notes": sum(1 for row in self.rows if row.notes),
        }


def parse_date(text: str) -> datetime.date | None:
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def read_table(table: Iterable[list[str]], columns: Sequence[Column]) -> Preview:
    """The rows of ``table`` (header first) as unchecked Rows, blank lines skipped; or the header's errors.
    Columns are found by their header, in any order; columns the template does not know are ignored."""
    rows_iter = iter(table)
    header = next(rows_iter, [])
    missing = [column.header for column in columns if column.header not in header]
    if missing:
        message = _("表头缺少以下列：%(names)s。请使用下载的模板。") % {"names": "、".join(missing)}
        return Preview(rows=[], header_errors=[message])
    position = {column.key: header.index(column.header) for column in columns}
    headers = {column.key: column.header for column in columns}
    # One string for each distinct short text: the listed columns, codes, names and dates repeat down a
    # ledger, and each cell read is a string of its own (a ledger of 100,000 rows keeps ~50 MB less).
    shared: dict[str, str] = {}
    rows = []
    for number, raw in enumerate(rows_iter, start=2):
        if not any(raw):
            continue
        width = len(raw)
        cells = {}
        for key, index in position.items():
            text = raw[index] if index < width else ""
            cells[key] = shared.setdefault(text, text) if len(text) <= _SHARED_LENGTH else text
        rows.append(Row(number=number, cells=cells, headers=headers))
    return Preview(rows=rows, header_errors=[])


def check_required_and_choices(row: Row, columns: Sequence[Column]) -> None:
    """The checks every template shares: a required cell filled, a listed cell holding one of its labels."""
    for column in columns:
        text = row.cells[column.key]
        if column.required and not text:
            row.fail(column.key, _("必填项为空。"))
        elif text and column.choices and text not in column.choices:
            options = "、".join(column.choices)
            row.fail(column.key, _("“%(text)s”不是可选值，应为：%(options)s。") % {"text": text, "options": options})
