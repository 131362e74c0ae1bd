"""Spreadsheets written for the user: the blank 台账 template and the report of a checked or imported file.

Text a user typed is written as text, never as a formula: a cell starting with = + - @ would otherwise
run when the report is opened in Excel (CSV/formula injection).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.models import Region, Sector, User
from hazards.imports.columns import COLUMNS, HEADERS, letter
from hazards.imports.rows import OUTCOME_LABELS, Row

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


def template(user: User) -> bytes:
    """The blank template: the headers, an example row to overwrite, and pick lists where a column has
    fixed values (the code lists, and the user's regions and the sectors on a second sheet)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "隐患台账"
    codes = book.create_sheet("代码表")
    sheet.append(list(HEADERS))
    for index, column in enumerate(COLUMNS):
        cell = sheet.cell(row=1, column=index + 1)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    lists: dict[str, Sequence[str]] = {column.key: column.choices for column in COLUMNS if column.choices}
    lists["sector"] = list(Sector.objects.order_by("sort_order", "code").values_list("name", flat=True))
    regions = Region.objects.visible_to(user).filter(level__in=("county", "township", "village")).order_by("path")
    lists["region"] = list(regions.values_list("code", flat=True))
    codes.append(["区划代码", "区划名称"])
    for code, name in regions.values_list("code", "name"):
        text_cell(codes.cell(row=codes.max_row + 1, column=1), code)
        codes.cell(row=codes.max_row, column=2, value=name)
    for offset, (key, options) in enumerate(sorted(lists.items())):
        _pick_list(sheet, codes, key=key, options=options, list_column=4 + offset)
    return _save(book)


def _pick_list(sheet, codes, *, key: str, options: Sequence[str], list_column: int) -> None:
    """A data validation list on ``key``'s column, its values kept on the code sheet (an inline list
    is limited to 255 characters)."""
    if not options:
        return
    index = next(i for i, column in enumerate(COLUMNS) if column.key == key)
    column_letter = letter(list_column - 1)
    codes.cell(row=1, column=list_column, value=COLUMNS[index].header)
    for row, option in enumerate(options, start=2):
        text_cell(codes.cell(row=row, column=list_column), option)
    source = f"代码表!${column_letter}$2:${column_letter}${len(options) + 1}"
    validation = DataValidation(
        type="list",
        formula1=f"'{source.split('!')[0]}'!{source.split('!')[1]}",
        allow_blank=not COLUMNS[index].required,
        showErrorMessage=True,
        errorTitle="输入有误",
        error=f"请从下拉列表中选择{COLUMNS[index].header}。",
    )
    target = letter(index)
    validation.add(f"{target}2:{target}{TEMPLATE_ROWS + 1}")
    sheet.add_data_validation(validation)


# The cells a report repeats of each row: enough to find it in the user's own file.
REPORT_COLUMNS = ("found_on", "region", "unit", "title")


def _safe(sheet, value: object) -> object:
    """``value`` as a write-only sheet takes it: a plain value, or a text cell when it looks like a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        cell = WriteOnlyCell(sheet)
        text_cell(cell, value)
        return cell
    return value


def report(rows: Iterable[Row], *, numbers: dict[int, str] | None = None) -> bytes:
    """Every row with its outcome, errors (column and reason) and notes; after an import, the numbers
    of the hazards it recorded."""
    numbers = numbers or {}
    book = Workbook(write_only=True)
    sheet = book.create_sheet("导入结果")
    headers = [next(c.header for c in COLUMNS if c.key == key) for key in REPORT_COLUMNS]
    sheet.append(["行号", "结果", "隐患编号", "错误（列：原因）", "说明", *headers])
    for row in rows:
        outcome = OUTCOME_LABELS[row.outcome]
        if row.duplicate_of:
            outcome = f"{outcome}：{row.duplicate_of}"
        values = [
            row.number,
            outcome,
            numbers.get(row.number, ""),
            "；".join(f"{column}：{reason}" for column, reason in row.errors),
            "；".join(row.notes),
            *(row.cells[key] for key in REPORT_COLUMNS),
        ]
        sheet.append([_safe(sheet, value) for value in values])
    return _save(book)
