"""Spreadsheets written for the user: a kind's blank template and the report of a checked or imported file.

Text a user typed is written as text, never as a formula: a cell starting with = + - @ would otherwise
run when the report is opened in Excel (CSV/formula injection).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.contrib.auth.base_user import AbstractBaseUser as User
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from core.imports.columns import Column, letter
from core.imports.kinds import ImportKind
from core.imports.rows import OUTCOME_LABELS, Row

_FORMULA_STARTS = ("=", "+", "-", "@")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TEMPLATE_ROWS = 5000  # rows the data validation lists cover


def text_cell(cell: Cell, value: object) -> None:
    """Put ``value`` in ``cell``; a string always stays a string."""
    cell.value = value
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        cell.data_type = "s"


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template(kind: ImportKind, user: User) -> bytes:
    """The blank template: the headers, and pick lists where a column has fixed values (the code lists,
    and the user's regions and the sectors), the lists kept on a second sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = kind.sheet_title
    codes = book.create_sheet("代码表")
    columns = kind.columns
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns):
        cell = sheet.cell(row=1, column=index + 1)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    lists: dict[str, Sequence[str]] = {column.key: column.choices for column in columns if column.choices}
    lists |= kind.pick_lists(user)
    codes.append(["区划代码", "区划名称"])
    for code, name in kind.code_table(user):
        text_cell(codes.cell(row=codes.max_row + 1, column=1), code)
        codes.cell(row=codes.max_row, column=2, value=name)
    for offset, (key, options) in enumerate(sorted(lists.items())):
        _pick_list(sheet, codes, columns, key=key, options=options, list_column=4 + offset)
    return _save(book)


def _pick_list(sheet, codes, columns: Sequence[Column], *, key: str, options: Sequence[str], list_column: int) -> None:
    """A data validation list on ``key``'s column, its values kept on the code sheet (an inline list
    is limited to 255 characters)."""
    if not options:
        return
    index = next(i for i, column in enumerate(columns) if column.key == key)
    column = columns[index]
    column_letter = letter(list_column - 1)
    codes.cell(row=1, column=list_column, value=column.header)
    for row, option in enumerate(options, start=2):
        text_cell(codes.cell(row=row, column=list_column), option)
    validation = DataValidation(
        type="list",
        formula1=f"'代码表'!${column_letter}$2:${column_letter}${len(options) + 1}",
        allow_blank=not column.required,
        showErrorMessage=True,
        errorTitle="输入有误",
        error=f"请从下拉列表中选择{column.header}。",
    )
    target = letter(index)
    validation.add(f"{target}2:{target}{TEMPLATE_ROWS + 1}")
    sheet.add_data_validation(validation)


def _safe(sheet, value: object) -> object:
    """``value`` as a write-only sheet takes it: a plain value, or a text cell when it looks like a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        cell = WriteOnlyCell(sheet)
        text_cell(cell, value)
        return cell
    return value


def report(kind: ImportKind, rows: Iterable[Row], *, written: dict[int, str] | None = None) -> bytes:
    """Every row with its outcome, errors (column and reason) and notes; after an import, what each
    written row became (the new hazard's number, the unit's name…)."""
    written = written or {}
    headers = kind.headers
    book = Workbook(write_only=True)
    sheet = book.create_sheet("导入结果")
    sheet.append(
        ["行号", "结果", kind.result_header, "错误（列：原因）", "说明", *(headers[k] for k in kind.report_columns)]
    )
    for row in rows:
        outcome = OUTCOME_LABELS[row.outcome]
        if row.duplicate_of:
            outcome = f"{outcome}：{row.duplicate_of}"
        values = [
            row.number,
            outcome,
            written.get(row.number, ""),
            "；".join(f"{column}：{reason}" for column, reason in row.errors),
            "；".join(row.notes),
            *(row.cells[key] for key in kind.report_columns),
        ]
        sheet.append([_safe(sheet, value) for value in values])
    return _save(book)
