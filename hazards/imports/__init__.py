"""台账导入 of hazards: an office's Excel ledger read, checked row by row, previewed, then recorded through
the hazard services inside one history batch (docs/design.md, "The 台账 import"). The pipeline is
core/imports'; this package says what a hazard row is."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from accounts.models import Region, Sector, User
from core.imports.kinds import ImportKind, Progress
from core.imports.rows import DUPLICATE, INVALID, NEW, Preview, Row
from hazards.choices import Action
from hazards.imports.columns import COLUMNS, HEADERS
from hazards.imports.rows import check_rows
from hazards.imports.run import import_rows, record
from hazards.permissions import role_may


class HazardImport(ImportKind):
    name = "hazards"
    job_kind = "hazards.ledger_import"
    title = "隐患台账"
    noun = "隐患"
    sheet_title = "隐患台账"
    columns = COLUMNS
    report_columns = ("found_on", "region", "unit", "title")
    preview_columns = ("title", "found_on")
    result_header = "隐患编号"
    url_prefix = "hazards:import"
    back_url_name = "hazards:list"
    back_label = "隐患列表"
    file_stem = "隐患台账"

    def may_import(self, user: User) -> bool:
        """Anyone who may 列单."""
        return role_may(user.role, Action.LIST)

    def check(self, table: Iterable[list[str]], *, user: User) -> Preview:
        return check_rows(table, user=user)

    def write(self, preview: Preview, *, by: User, progress: Progress) -> dict[int, str]:
        return import_rows(preview, by=by, progress=progress)

    def enqueue(self, job_id: int) -> None:
        from hazards.tasks import import_ledger

        import_ledger.delay(job_id)

    def pick_lists(self, user: User) -> dict[str, Sequence[str]]:
        return {
            "sector": list(Sector.objects.order_by("sort_order", "code").values_list("name", flat=True)),
            "region": [code for code, _name in self.code_table(user)],
        }

    def code_table(self, user: User) -> list[tuple[str, str]]:
        regions = Region.objects.visible_to(user).filter(level__in=("county", "township", "village"))
        return list(regions.order_by("path").values_list("code", "name"))


HAZARDS = HazardImport()

__all__ = [
    "DUPLICATE",
    "HAZARDS",
    "HEADERS",
    "INVALID",
    "NEW",
    "Preview",
    "Row",
    "check_rows",
    "import_rows",
    "record",
]
