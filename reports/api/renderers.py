"""Statistics as CSV for spreadsheets: Chinese headers, the 合计 row first, UTF-8 with a BOM so Excel
reads the Chinese correctly when the file is double-clicked."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from rest_framework import renderers

from reports.dimensions import DIMENSIONS
from reports.metrics import METRICS

BOM = "\ufeff"


def _cell(value: Any) -> str:
    if value is None:
        return ""  # a rate without a denominator: an empty cell, not 0
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class StatsCSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        if data is None:
            return b""
        dimensions = [DIMENSIONS[code] for code in data["group_by"]]
        out = io.StringIO()
        out.write(BOM)
        writer = csv.writer(out)
        writer.writerow(
            [
                *(header for d in dimensions for header in (f"{d.label}代码", d.label)),
                *(metric.label for metric in METRICS),
            ]
        )
        if dimensions:  # without any, the one row is the total
            total_labels = [cell for i, _ in enumerate(dimensions) for cell in ("", "合计" if i == 0 else "")]
            writer.writerow([*total_labels, *(_cell(data["total"][m.code]) for m in METRICS)])
        for row in data["rows"]:
            labels = [cell for d in dimensions for cell in (row[d.code]["code"], row[d.code]["name"])]
            writer.writerow([*labels, *(_cell(row[m.code]) for m in METRICS)])
        return out.getvalue().encode(self.charset)
