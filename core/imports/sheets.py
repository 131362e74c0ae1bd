"""Spreadsheets written for the user: a kind's blank template and the report of a checked or imported file.

Text a user typed is written as text, never as a formula: a cell starting with = + - @ would otherwise
run when the report is opened in Excel (CSV/formula injection).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from html import escape

from django.contrib.auth.base_user import AbstractBaseUser as User
from openpyxl import Workbook
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


def report(kind: ImportKind, rows: Iterable[Row], *, written: dict[int, str] | None = None) -> bytes:
    """Every row with its outcome, errors (column and reason) and notes; after an import, what each
    written row became (the new hazard's number, the unit's name…). Every cell a user typed is a string
    cell, never a formula."""
    written = written or {}
    headers = kind.headers
    report_columns = kind.report_columns

    def lines() -> Iterator[tuple[int, list[str]]]:
        yield 0, ["结果", kind.result_header, "错误（列：原因）", "说明", *(headers[k] for k in report_columns)]
        for row in rows:
            outcome = OUTCOME_LABELS[row.outcome]
            if row.duplicate_of:
                outcome = f"{outcome}：{row.duplicate_of}"
            yield (
                row.number,
                [
                    outcome,
                    written.get(row.number, ""),
                    "；".join(f"{column}：{reason}" for column, reason in row.errors),
                    "；".join(row.notes),
                    *(row.cells[key] for key in report_columns),
                ],
            )

    return plain_workbook("导入结果", "行号", lines())


# A workbook of one sheet of text, written as XML directly: the report of 100,000 rows in about a second,
# where openpyxl's write-only mode takes 20 s and XlsxWriter's constant-memory mode 15 s (the same cells).
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)


def _string(text: str) -> str:
    """An inline string cell: text, escaped, never read as a formula or a number."""
    text = escape(_XML_UNSAFE.sub("", text), quote=False)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c t="inlineStr"><is><t{space}>{text}</t></is></c>'


def plain_workbook(title: str, first_header: str, lines: Iterable[tuple[int, Sequence[str]]]) -> bytes:
    """One sheet named ``title``: each line a number (0 writes ``first_header`` instead, for the header
    row) then its texts, each as a string cell; empty texts are empty cells."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, xml in _PARTS.items():
            archive.writestr(name, xml)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(name=escape(title)))
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" state="frozen"/>'
                b"</sheetView></sheetViews><sheetData>"
            )
            chunk: list[str] = []
            for index, (number, texts) in enumerate(lines, start=1):
                first = _string(first_header) if number == 0 else f"<c><v>{number}</v></c>"
                cells = "".join(_string(text) if text else "<c/>" for text in texts)
                chunk.append(f'<row r="{index}">{first}{cells}</row>')
                if len(chunk) == 1000:
                    sheet.write("".join(chunk).encode())
                    chunk.clear()
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())
    return buffer.getvalue()
