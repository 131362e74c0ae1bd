"""台账导入 of units (责任单位): the enterprises and other units of a ledger, each with its 统一社会信用代码,
checked row by row and written through ``accounts.services`` (core/imports is the pipeline).

A row is the unit already recorded with the same credit code or, for a row without one, with the same
name in the same region (a unit recorded without a code is also found by the name and region of a row
that brings one: the row adds the code). Such a row updates that unit when a cell it fills differs, and
is a duplicate (skipped) when nothing would change; a blank optional cell keeps what is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import services
from accounts.choices import DUE_UNIT_KINDS, RegionLevel, UnitKind
from accounts.jurisdiction import reaches_unit
from accounts.models import Region, ResponsibleUnit, Sector, User
from accounts.permissions import may_manage_units
from accounts.validators import validate_credit_code
from core.errors import DomainError
from core.imports.columns import Column, labels
from core.imports.kinds import ImportKind, Progress
from core.imports.rows import (
    DUPLICATE,
    INVALID,
    NEW,
    UPDATE,
    Preview,
    Row,
    check_required_and_choices,
    read_table,
)
from core.imports.run import PROGRESS_EVERY, RowRefused

ACTIVE, INACTIVE = "启用", "停用"
UNIT_REGION_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)

COLUMNS: tuple[Column, ...] = (
    Column("name", "单位名称", required=True, width=30),
    Column("credit_code", "统一社会信用代码", width=22),
    Column("kind", "单位类型", required=True, choices=labels(UnitKind), width=16),
    Column("sector", "行业领域", width=16),
    Column("region", "所在区划(代码)", required=True, width=14),
    Column("address", "地址", width=30),
    Column("contact_name", "联系人", width=10),
    Column("contact_phone", "联系电话", width=14),
    Column("industry_code", "国民经济行业分类(代码)", width=14),
    Column("status", "状态", choices=(ACTIVE, INACTIVE), width=8),
)
HEADERS = tuple(column.header for column in COLUMNS)
_LIMITS = {"name": 128, "address": 256, "contact_name": 64, "contact_phone": 32, "industry_code": 8}
_OPTIONAL = ("address", "contact_name", "contact_phone", "industry_code")
_KINDS = {str(label): value for value, label in UnitKind.choices}


class UnitImport(ImportKind):
    name = "units"
    job_kind = "accounts.unit_import"
    title = "责任单位台账"
    noun = "单位"
    sheet_title = "责任单位"
    columns = COLUMNS
    report_columns = ("name", "credit_code", "region")
    preview_columns = report_columns
    result_header = "已写入的单位"
    url_prefix = "accounts:unit_import"
    back_url_name = "admin:accounts_responsibleunit_changelist"
    back_label = "责任单位"
    file_stem = "责任单位台账"

    def may_import(self, user: User) -> bool:
        return may_manage_units(user)

    def check(self, table: Iterable[list[str]], *, user: User) -> Preview:
        return check_rows(table, user=user)

    def write(self, preview: Preview, *, by: User, progress: Progress) -> dict[int, str]:
        return write_rows(preview, by=by, progress=progress)

    def enqueue(self, job_id: int) -> None:
        from accounts.tasks import import_units

        import_units.delay(job_id)

    def pick_lists(self, user: User) -> dict[str, Sequence[str]]:
        return {
            "sector": list(Sector.objects.order_by("sort_order", "code").values_list("name", flat=True)),
            "region": [code for code, _name in self.code_table(user)],
        }

    def code_table(self, user: User) -> list[tuple[str, str]]:
        regions = Region.objects.visible_to(user).filter(level__in=UNIT_REGION_LEVELS)
        return list(regions.order_by("path").values_list("code", "name"))


UNITS = UnitImport()


class _Lookups:
    """The regions within reach and the units the file's codes and names may be, loaded once per file.
    Units by code are looked up city-wide: a code is one unit wherever it is recorded."""

    def __init__(self, user: User, rows: list[Row]) -> None:
        self.user = user
        regions = Region.objects.visible_to(user).filter(level__in=UNIT_REGION_LEVELS)
        self.regions = {region.code: region for region in regions}
        codes = {row.cells["credit_code"].strip().upper() for row in rows} - {""}
        names = {row.cells["name"] for row in rows}
        units = ResponsibleUnit.objects.select_related("sector")
        self.by_code = {unit.credit_code: unit for unit in units.filter(credit_code__in=codes)}
        self.uncoded = {
            (unit.name, unit.region_id): unit for unit in units.filter(name__in=names, credit_code="").order_by("-pk")
        }
        # A sector is written by its name (the template's list) or its code, as in the hazard ledger.
        self.sectors: dict[str, Sector] = {}
        for sector in Sector.objects.all():
            self.sectors.setdefault(sector.code, sector)
            self.sectors.setdefault(sector.name, sector)


def check_rows(table: Iterable[list[str]], *, user: User) -> Preview:
    """Every row of ``table`` (header first) checked, and what importing it will do."""
    preview = read_table(table, COLUMNS)
    if preview.header_errors:
        return preview
    lookups = _Lookups(user, preview.rows)
    seen: dict[tuple, Row] = {}
    for row in preview.rows:
        _check_row(row, lookups)
        if row.outcome == INVALID:
            continue
        key = _key(row)
        if key in seen:
            row.outcome = DUPLICATE
            row.duplicate_of = _("第 %(row)d 行") % {"row": seen[key].number}
            continue
        seen[key] = row
        _compare(row, lookups)
    return preview


def _key(row: Row) -> tuple:
    code = row.values["credit_code"]
    return ("code", code) if code else ("name", row.cells["name"], row.values["region"].pk)


def _check_row(row: Row, lookups: _Lookups) -> None:
    cells, values = row.cells, row.values
    check_required_and_choices(row, COLUMNS)
    for key, limit in _LIMITS.items():
        if len(cells[key]) > limit:
            row.fail(key, _("超过 %(limit)d 个字。") % {"limit": limit})
    values["kind"] = _KINDS.get(cells["kind"])
    code = cells["credit_code"].replace(" ", "").upper()
    values["credit_code"] = code
    if code:
        try:
            validate_credit_code(code)
        except ValidationError as exc:
            for message in exc.messages:
                row.fail("credit_code", message)
    elif values["kind"] == UnitKind.ENTERPRISE:
        row.fail("credit_code", _("企业应填写统一社会信用代码。"))
    values["region"] = lookups.regions.get(cells["region"])
    if cells["region"] and values["region"] is None:
        row.fail("region", _("区划代码“%(code)s”不存在或不在您的辖区内。") % {"code": cells["region"]})
    values["sector"] = lookups.sectors.get(cells["sector"]) if cells["sector"] else None
    if cells["sector"] and values["sector"] is None:
        row.fail("sector", _("行业领域“%(text)s”不存在，请从下拉列表中选择。") % {"text": cells["sector"]})


def _compare(row: Row, lookups: _Lookups) -> None:
    """NEW, or the recorded unit the row is, and whether the row changes it (UPDATE) or not (DUPLICATE)."""
    values, cells = row.values, row.cells
    code = values["credit_code"]
    unit = lookups.by_code.get(code) if code else None
    if code and unit is not None and not reaches_unit(lookups.user, unit):
        row.fail("credit_code", _("该统一社会信用代码已登记为辖区外的单位，不能在此导入。"))
        return
    if unit is None:
        unit = lookups.uncoded.get((cells["name"], values["region"].pk))
    values["unit"] = unit
    if unit is None:
        if values["sector"] is None and values["kind"] in DUE_UNIT_KINDS:
            row.notes.append(_("未填行业领域：排查覆盖率不按行业计入此单位。"))
        return
    details = _details(row, unit)
    changed = [
        header for key, header in ((c.key, c.header) for c in COLUMNS) if _recorded(unit, key) != _given(details, key)
    ]
    row.duplicate_of = unit.picker_label
    if changed:
        row.outcome = UPDATE
        row.notes.append(_("将更新：%(columns)s。") % {"columns": "、".join(changed)})
    else:
        row.outcome = DUPLICATE


def _recorded(unit: ResponsibleUnit, key: str) -> object:
    return {"region": unit.region_id, "status": unit.is_active, "sector": unit.sector_id}.get(
        key, getattr(unit, key, None)
    )


def _given(details: services.UnitDetails, key: str) -> object:
    sector = details.sector.pk if details.sector is not None else None
    return {"region": details.region.pk, "status": details.is_active, "sector": sector}.get(
        key, getattr(details, key, None)
    )


def _details(row: Row, unit: ResponsibleUnit | None) -> services.UnitDetails:
    """What the row says the unit is; for a recorded unit, a blank optional cell keeps its value."""
    values, cells = row.values, row.cells

    def cell(key: str) -> str:
        return cells[key] or (getattr(unit, key) if unit is not None else "")

    status = cells["status"]
    return services.UnitDetails(
        name=cells["name"],
        region=values["region"],
        kind=values["kind"],
        credit_code=values["credit_code"] or (unit.credit_code if unit is not None else ""),
        is_active=(status != INACTIVE) if status else (unit.is_active if unit is not None else True),
        sector=values["sector"] or (unit.sector if unit is not None else None),
        **{key: cell(key) for key in _OPTIONAL},
    )


_FIELD_COLUMNS = {"is_active": "status"}


def write_rows(preview: Preview, *, by: User, progress: Progress = lambda done: None) -> dict[int, str]:
    """Every new or changed unit of a checked file written through the services in one transaction, or
    none: each unit's name and code, by row number."""
    if not preview.importable:
        raise ValueError("only a file without errors is imported")
    written: dict[int, str] = {}
    with transaction.atomic():
        for row in preview.rows:
            if row.outcome not in (NEW, UPDATE):
                continue
            existing = row.values["unit"]
            try:
                if existing is None:
                    unit = services.unit_create(details=_details(row, None), by=by)
                else:
                    unit = services.unit_update(unit=existing, details=_details(row, existing), by=by)
            except ValidationError as exc:
                raise RowRefused(row, exc, noun="单位", columns=_FIELD_COLUMNS) from exc
            except DomainError as exc:  # the place or the unit out of the importer's reach now
                raise RowRefused(row, ValidationError(str(exc.message)), noun="单位") from exc
            written[row.number] = unit.picker_label
            if len(written) % PROGRESS_EVERY == 0:
                progress(len(written))
    return written
