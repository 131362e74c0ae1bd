"""The xlsx files of the exports, written with XlsxWriter in constant-memory mode: each row goes to disk
as soon as the next one starts, so a 100,000-row ledger costs the memory of one row.

Every sheet: Chinese headers, the header row(s) frozen and repeated on each printed page, A4 landscape
fitted to the page width, dates and numbers as real dates and numbers (a rate with no denominator is the
text "/", a figure not available "—"). Text is never read as a formula or a link: a hazard titled
"=HYPERLINK(…)" stays text.

Constant-memory mode writes rows in order only, so a merged header cell is written as its text and
formatted blanks row by row, and the merge ranges are declared after the header (``write_header``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.utils import timezone
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

from reports import layouts
from reports.live import Table
from reports.metrics import METRICS
from reports.official import OfficialTable

A4 = 9  # XlsxWriter's paper code


def open_workbook(path: str) -> Workbook:
    return xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )


class Formats:
    def __init__(self, book: Workbook) -> None:
        border = {"border": 1, "valign": "vcenter", "font_size": 10}
        self.title = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.note = book.add_format({"font_size": 10})
        self.header = book.add_format(
            {**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#E8EEF7"}
        )
        self.text = book.add_format({**border, "text_wrap": False})
        self.total_text = book.add_format({**border, "bold": True})
        self.count = book.add_format({**border, "num_format": "0"})
        self.total_count = book.add_format({**border, "num_format": "0", "bold": True})
        self.percent = book.add_format({**border, "num_format": "0.0"})
        self.total_percent = book.add_format({**border, "num_format": "0.0", "bold": True})
        self.ratio = book.add_format({**border, "num_format": "0.00%"})
        self.total_ratio = book.add_format({**border, "num_format": "0.00%", "bold": True})
        self.money = book.add_format({**border, "num_format": "#,##0.00"})
        self.total_money = book.add_format({**border, "num_format": "#,##0.00", "bold": True})
        self.days = book.add_format({**border, "num_format": "0.0"})
        self.date = book.add_format({**border, "num_format": "yyyy-mm-dd"})
        self.datetime = book.add_format({**border, "num_format": "yyyy-mm-dd hh:mm"})
        self.missing = book.add_format({**border, "align": "center"})
        # Each format's style index now, in this order, rather than at its first cell: RowStream asks for
        # its columns' indices before any cell, and the file is the same whichever way a row is written.
        for cell_format in vars(self).values():
            cell_format._get_xf_index()


def _page_setup(sheet: Worksheet, *, header_rows: tuple[int, int]) -> None:
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(*header_rows)
    sheet.freeze_panes(header_rows[1] + 1, 0)
    sheet.center_horizontally()
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)


def _finish_print_area(sheet: Worksheet, last_row: int, last_col: int) -> None:
    sheet.print_area(0, 0, max(last_row, 0), last_col)


def write_header(
    sheet: Worksheet, top: int, header: Sequence[Sequence[layouts.HeaderCell]], fmt: Any, *, left: int = 0
) -> int:
    """The header rows from row ``top``, with their merged cells; returns the row after them."""
    placed = layouts.header_grid(tuple(tuple(cells) for cells in header))
    cells: dict[tuple[int, int], str | None] = {}
    merges = []
    for r, c, cell in placed:
        for dr in range(cell.rowspan):
            for dc in range(cell.colspan):
                cells[(r + dr, c + dc)] = cell.text if (dr, dc) == (0, 0) else None
        if cell.rowspan > 1 or cell.colspan > 1:
            merges.append((top + r, left + c, top + r + cell.rowspan - 1, left + c + cell.colspan - 1))
    for r in range(len(header)):
        sheet.set_row(top + r, 30 if r < len(header) - 1 else 36)
        for c in sorted(col for row, col in cells if row == r):
            text = cells[(r, c)]
            if text is None:
                sheet.write_blank(top + r, left + c, None, fmt)
            else:
                sheet.write_string(top + r, left + c, text, fmt)
    # merge_range() refuses rows already on disk in constant-memory mode, and a rowspan reaches rows below
    # the first; the range itself is metadata written when the file is closed, so it is declared as
    # merge_range() would after its checks (the ranges of one header never overlap: header_grid).
    for first_row, first_col, last_row, last_col in merges:
        sheet.merge.append([first_row, first_col, last_row, last_col])
    return top + len(header)


# --- the official tables ------------------------------------------------------------------------------


def _figure(sheet: Worksheet, row: int, col: int, column: layouts.Column, value: Any, f: Formats, total: bool) -> None:
    if value == layouts.NOT_AVAILABLE or value is None:
        sheet.write_string(row, col, layouts.display(column, value), f.missing)
    elif column.kind == "rate":
        sheet.write_number(row, col, float(layouts.percent(value)), f.total_percent if total else f.percent)
    elif column.kind == "funds":
        sheet.write_number(row, col, float(value), f.total_money if total else f.money)
    else:
        sheet.write_number(row, col, int(value), f.total_count if total else f.count)


def write_official(table: OfficialTable, path: str) -> None:
    layout = table.layout
    book = open_workbook(path)
    f = Formats(book)
    sheet = book.add_worksheet(layout.short_title[:31])
    last_col = len(layout.columns)
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, last_col, 11)
    header_top = 3
    _page_setup(sheet, header_rows=(header_top, header_top + len(layout.header) - 1))
    sheet.set_row(0, 28)
    sheet.merge_range(0, 0, 0, last_col, layout.title, f.title)
    if layout.kind == "national":
        period = f"截止到 {table.found_before.year} 年 {table.found_before.month} 月 {table.found_before.day} 日为止"
    else:
        period = f"{table.found_after:%Y-%m-%d} 至 {table.found_before:%Y-%m-%d}（发现日期）；单位：项、%"
    sheet.write_string(1, 0, f"填报单位（章）：{table.scope_name}", f.note)
    sheet.write_string(1, last_col // 2, period, f.note)
    as_of = timezone.localtime(table.as_of)
    sheet.write_string(2, 0, f"数据截至 {as_of:%Y-%m-%d %H:%M}", f.note)
    row = write_header(sheet, header_top, layout.header, f.header)
    for table_row in table.rows:
        label = f"　　{table_row.label}" if table_row.indent else table_row.label
        sheet.write_string(row, 0, label, f.total_text if table_row.is_total else f.text)
        for i, column in enumerate(layout.columns, start=1):
            _figure(sheet, row, i, column, table_row.values[column.code], f, table_row.is_total)
        row += 1
    if table.unmapped_found:
        sheet.write_string(row, 0, f"另有 {table.unmapped_found} 项隐患所属行业未对应到本表任何一行，未计入。", f.note)
        row += 1
    for note in table.uncounted_units:
        sheet.write_string(row, 0, note, f.note)
        row += 1
    if layout.kind == "national":
        row += 1
        footer = ("单位负责人（签字）：", "填表人（签字）：", "联系电话：", "填报日期：")
        for i, text in enumerate(footer):
            sheet.write_string(row, i * 4, text, f.note)
    _finish_print_area(sheet, row, last_col)
    book.close()


# --- the rollups (the stats API's table) --------------------------------------------------------------


def write_stats(table: Table, path: str) -> None:
    """The figures of ``GET /api/v1/stats/closure/`` for the same query: one column per dimension (code
    and name) and per metric, the 合计 row first."""
    book = open_workbook(path)
    f = Formats(book)
    sheet = book.add_worksheet("隐患整改统计")
    dims = table.dimensions
    labels = [h for d in dims for h in (f"{d.label}代码", d.label)]
    headers = [*labels, *(m.label for m in METRICS)]
    last_col = len(headers) - 1
    sheet.set_column(0, max(len(labels) - 1, 0), 14)
    sheet.set_column(len(labels), last_col, 12)
    period = table.query
    note = (
        f"发现日期 {period.found_after or '不限'} 至 {period.found_before or '不限'}；"
        f"数据截至 {timezone.localtime(table.as_of):%Y-%m-%d %H:%M}；比率为百分数，无分母时为“/”。"
    )
    sheet.write_string(0, 0, note, f.note)
    _page_setup(sheet, header_rows=(1, 1))
    sheet.set_row(1, 36)
    for c, text in enumerate(headers):
        sheet.write_string(1, c, text, f.header)
    row = 2

    def figures(values: Mapping[str, Any], total: bool) -> None:
        for i, metric in enumerate(METRICS, start=len(labels)):
            value = values[metric.code]
            if value is None:
                sheet.write_string(row, i, layouts.NO_DENOMINATOR, f.missing)
            elif metric.kind == "rate":
                sheet.write_number(row, i, float(value), f.total_ratio if total else f.ratio)
            elif metric.kind == "funds":
                sheet.write_number(row, i, float(value), f.total_money if total else f.money)
            elif metric.kind == "days":
                sheet.write_number(row, i, float(value), f.days)
            else:
                sheet.write_number(row, i, int(value), f.total_count if total else f.count)

    if dims:
        sheet.write_string(row, 0, "", f.total_text)
        sheet.write_string(row, 1, "合计", f.total_text)
        for c in range(2, len(labels)):
            sheet.write_blank(row, c, None, f.total_text)
    figures(table.total, True)
    row += 1
    if dims:
        for table_row in table.rows:
            for i, group in enumerate(table_row.groups):
                sheet.write_string(row, 2 * i, group.code, f.text)
                sheet.write_string(row, 2 * i + 1, group.name, f.text)
            figures(table_row.values, False)
            row += 1
    _finish_print_area(sheet, row - 1, last_col)
    book.close()


# --- the ledger (台账) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerColumn:
    header: str
    width: int
    kind: str  # "text", "date", "datetime", "number", "money"
    repeats: bool = False  # few distinct values (RowStream reuses their cells' XML)


LEDGER_COLUMNS: tuple[LedgerColumn, ...] = (
    LedgerColumn("隐患编号", 20, "text"),
    LedgerColumn("隐患名称", 28, "text"),
    LedgerColumn("状态", 8, "text", repeats=True),
    LedgerColumn("隐患等级", 8, "text", repeats=True),
    LedgerColumn("区县", 10, "text", repeats=True),
    LedgerColumn("所在区划", 14, "text", repeats=True),
    LedgerColumn("具体位置", 20, "text"),
    LedgerColumn("行业领域", 14, "text", repeats=True),
    LedgerColumn("隐患类别", 10, "text", repeats=True),
    LedgerColumn("隐患因素", 8, "text", repeats=True),
    LedgerColumn("隐患来源", 10, "text", repeats=True),
    LedgerColumn("发现时间", 16, "datetime"),
    LedgerColumn("责任单位", 28, "text", repeats=True),
    LedgerColumn("统一社会信用代码", 20, "text", repeats=True),
    LedgerColumn("整改责任人", 10, "text", repeats=True),
    LedgerColumn("整改期限", 11, "date", repeats=True),
    LedgerColumn("交办时间", 16, "datetime"),
    LedgerColumn("销号时间", 16, "datetime"),
    LedgerColumn("逾期天数", 8, "number", repeats=True),
    LedgerColumn("挂牌督办", 8, "text", repeats=True),
    LedgerColumn("整改资金（元）", 12, "money"),
    LedgerColumn("治理资金（万元）", 12, "money"),
    LedgerColumn("隐患描述", 40, "text"),
)


def local_naive(value: datetime.datetime | None) -> datetime.datetime | None:
    """A stored moment as the Asia/Shanghai wall clock (xlsx has no time zones)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None)


class RowStream:
    """Rows written straight into a constant-memory worksheet's row file, in XlsxWriter's own XML.

    ``write_string()`` and friends cost XlsxWriter ~13 µs a cell (argument checks, a cell tuple per cell,
    an attribute list, two escaping passes): 30 s of CPU for a 100,000-row ledger, over the budget on
    its own. Here each column's format index and cell reference prefix are worked out once, a cell is
    one f-string, a row one ``write()``; text is escaped by XlsxWriter's own functions only when it
    holds something to escape. The result is the file XlsxWriter writes with ``write_string()``,
    ``write_number()`` and ``write_datetime()`` for the same cells, byte for byte
    (tests/reports/test_exports.py compares them).

    It relies on how XlsxWriter (pinned in requirements.txt) keeps a constant-memory sheet: rows go to
    ``sheet.fh`` as ``<row>`` elements as soon as a later row is written, ``previous_row`` is the row
    still held, ``dim_rowmax`` the last row. Rows before ``first_row`` are written with XlsxWriter's API
    first; after ``close()`` only whole rows below the streamed ones may be written through its API.
    """

    def __init__(self, sheet: Worksheet, first_row: int, columns: Sequence[tuple[str, Any, bool]]) -> None:
        """``columns``: each column's kind (a key of ``CELL_WRITERS``), its format (or None) and whether its
        values repeat (a status, a county, a unit), whose cells' XML is then kept and reused."""
        if not sheet.constant_memory or first_row <= sheet.previous_row:
            raise ValueError("RowStream needs a constant-memory sheet and rows below those written")
        sheet._write_single_row(first_row)  # the header's last row to disk; first_row is next
        self.sheet = sheet
        self.fh = sheet.fh
        self.row = first_row
        self.cells = []
        for col, (kind, cell_format, repeats) in enumerate(columns):
            prefix = f'<c r="{xl_col_to_name(col)}'
            style = f'" s="{cell_format._get_xf_index()}"' if cell_format is not None else '"'
            memo: dict[Any, str] | None = {} if repeats else None
            self.cells.append((CELL_WRITERS[kind], prefix, style, memo))
        sheet._check_dimensions(first_row, len(columns) - 1)

    def write(self, values: Sequence[Any]) -> None:
        """One row; None and "" leave a cell empty."""
        r = str(self.row + 1)
        parts = [f'<row r="{r}">']
        append = parts.append
        for (cell, prefix, style, memo), value in zip(self.cells, values, strict=True):
            if value is None or value == "":
                continue
            if memo is None:
                append(f"{prefix}{r}{style}{cell(value)}")
                continue
            tail = memo.get(value)
            if tail is None:
                tail = cell(value)
                if len(memo) < MEMO_SIZE:
                    memo[value] = tail
            append(f"{prefix}{r}{style}{tail}")
        append("</row>")
        self.fh.write("".join(parts))
        self.row += 1

    def close(self) -> int:
        """The rows are on disk; XlsxWriter is told where they end. Returns the next free row."""
        sheet = self.sheet
        if self.row - 1 > sheet.dim_rowmax:
            sheet.dim_rowmax = self.row - 1
        sheet.previous_row = self.row
        sheet.table.clear()
        return self.row


MEMO_SIZE = 10_000  # distinct values kept per repeating column (units, townships): a few MB at most
_EXCEL_EPOCH = datetime.datetime(1899, 12, 31)  # noqa: DTZ001  (xlsx moments are wall-clock times)
_EXCEL_EPOCH_DATE = _EXCEL_EPOCH.date()
# What XlsxWriter's _write_cell would change in a string: XML specials it escapes, control characters and
# literal "_xHHHH_" it encodes, leading or trailing white space it marks with xml:space="preserve".
_NEEDS_CARE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_XML = XMLwriter()
STRING_MAX = 32767  # Excel's limit; XlsxWriter truncates longer text the same way

# Each returns a cell's XML after its reference and style (``<c r="B7" s="3"``): the rest of the cell.


def _text_cell(value: str) -> str:
    if len(value) > STRING_MAX:
        value = value[:STRING_MAX]
    if _NEEDS_CARE.search(value) is None:
        return f' t="inlineStr"><is><t>{value}</t></is></c>'
    value = _XML._escape_control_characters(value)
    preserve = ' xml:space="preserve"' if _preserve_whitespace(value) else ""
    return f' t="inlineStr"><is><t{preserve}>{_XML._escape_data(value)}</t></is></c>'


def _number_cell(value: Any) -> str:
    return f"><v>{float(value) if isinstance(value, Decimal) else value:.16G}</v></c>"


def _datetime_cell(value: datetime.datetime) -> str:
    # XlsxWriter's conversion (utility._datetime_to_excel_datetime) for a naive datetime after 1900-03-01.
    delta = value - _EXCEL_EPOCH
    serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
    return f"><v>{serial + 1 if serial > 59 else serial:.16G}</v></c>"


def _date_cell(value: datetime.date) -> str:
    serial = float((value - _EXCEL_EPOCH_DATE).days)
    return f"><v>{serial + 1 if serial > 59 else serial:.16G}</v></c>"


CELL_WRITERS: dict[str, Callable[[Any], str]] = {
    "text": _text_cell,
    "number": _number_cell,
    "money": _number_cell,
    "date": _date_cell,
    "datetime": _datetime_cell,
}


def write_ledger(
    rows: Iterable[Sequence[Any]],
    path: str,
    *,
    title: str,
    progress: Callable[[int], Any] | None = None,
    every: int = 5000,
) -> int:
    """The ledger, one hazard a row in ``LEDGER_COLUMNS`` order (cells already as Python values: str,
    date, naive datetime, int, Decimal or None). Returns the number of rows written."""
    book = open_workbook(path)
    f = Formats(book)
    sheet = book.add_worksheet("隐患台账")
    last_col = len(LEDGER_COLUMNS) - 1
    for c, column in enumerate(LEDGER_COLUMNS):
        sheet.set_column(c, c, column.width)
    sheet.write_string(0, 0, title, f.note)
    _page_setup(sheet, header_rows=(1, 1))
    sheet.set_row(1, 24)
    for c, column in enumerate(LEDGER_COLUMNS):
        sheet.write_string(1, c, column.header, f.header)
    formats = {"text": f.text, "date": f.date, "datetime": f.datetime, "number": f.count, "money": f.money}
    stream = RowStream(sheet, 2, [(c.kind, formats[c.kind], c.repeats) for c in LEDGER_COLUMNS])
    written = 0
    for values in rows:
        stream.write(values)
        written += 1
        if progress is not None and written % every == 0:
            progress(written)
    row = stream.close()
    sheet.autofilter(1, 0, max(row - 1, 1), last_col)
    _finish_print_area(sheet, row - 1, last_col)
    book.close()
    return written
