"""台账导入: an office's Excel ledger of hazards read, checked row by row, previewed, then recorded through
the hazard services inside one history batch (docs/design.md, "The 台账 import")."""

from hazards.imports.files import check_ledger, read_rows
from hazards.imports.rows import DUPLICATE, INVALID, NEW, Preview, Row, check_rows
from hazards.imports.run import (
    FOLDER,
    NotImportable,
    RowRefused,
    import_rows,
    preview_staged,
    stage,
    staged_path,
)
from hazards.imports.sheets import report, template

__all__ = [
    "DUPLICATE",
    "FOLDER",
    "INVALID",
    "NEW",
    "NotImportable",
    "Preview",
    "Row",
    "RowRefused",
    "check_ledger",
    "check_rows",
    "import_rows",
    "preview_staged",
    "read_rows",
    "report",
    "stage",
    "staged_path",
    "template",
]
