"""Every row of a ledger checked before anything is written: its errors by column, in Chinese, and what
importing it will do (a new hazard, or a duplicate of one already recorded, which is skipped).

The checks mirror the services' (the region and unit in reach, the deadline not before the day found,
a major hazard's standard…) so that the preview tells the truth; the services check again when the
import runs, and a row they refuse fails the whole batch.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import RegionLevel
from accounts.models import Region, ResponsibleUnit, Sector, User
from core.imports.rows import DUPLICATE, INVALID, Preview, Row, parse_date, read_table
from hazards.choices import Category, Factor, Level, MajorStandard, Source
from hazards.imports.columns import ASSIGNED, BY_KEY, CLOSED, COLUMNS, LISTED, RECTIFIED
from hazards.models import Hazard

_HAZARD_REGION_LEVELS = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
# What 交单 records as 整改要求 when the paper ledger has none: the service requires some text.
DEFAULT_REQUIREMENTS = "按台账所列隐患限期整改。"
_HANDED_OVER_NEEDS = (
    ("unit", gettext_lazy("已交办的隐患须填写责任单位。")),
    ("responsible_person", gettext_lazy("已交办的隐患须填写整改责任人。")),
    ("deadline", gettext_lazy("已交办的隐患须填写整改期限。")),
)
_CHOICES = {"category": Category, "factor": Factor, "source": Source, "level": Level, "major_standard": MajorStandard}


class Lookups:
    """The rows a ledger's cells name, loaded once for the whole file and only within ``user``'s reach."""

    def __init__(self, user: User) -> None:
        regions = Region.objects.visible_to(user).filter(level__in=_HAZARD_REGION_LEVELS)
        self.regions = {region.code: region for region in regions.select_related("parent")}
        self.sectors: dict[str, Sector] = {}
        for sector in Sector.objects.all():
            self.sectors.setdefault(sector.code, sector)
            self.sectors.setdefault(sector.name, sector)
        self.units_by_code: dict[str, ResponsibleUnit] = {}
        self.units_by_name: defaultdict[str, list[ResponsibleUnit]] = defaultdict(list)
        for unit in ResponsibleUnit.objects.visible_to(user).filter(is_active=True).select_related("region"):
            if unit.credit_code:
                self.units_by_code[unit.credit_code.upper()] = unit
            self.units_by_name[unit.name].append(unit)
        # Each listed column's value by its label, in the language of this check (labels are translated
        # text, and comparing 100,000 cells with lazy labels one by one costs seconds).
        self.choices = {key: {str(label): value for value, label in c.choices} for key, c in _CHOICES.items()}


def check_rows(table: Iterable[list[str]], *, user: User, today: datetime.date | None = None) -> Preview:
    """Every row of ``table`` (header first) checked; duplicates found within the file and in the ledger."""
    preview = read_table(table, COLUMNS)
    if preview.header_errors:
        return preview
    lookups = Lookups(user)
    today = today or timezone.localdate()
    for row in preview.rows:
        _check_row(row, lookups, today)
    _find_duplicates(preview.rows)
    return preview


def _check_row(row: Row, lookups: Lookups, today: datetime.date) -> None:
    cells, values = row.cells, row.values
    for column in COLUMNS:
        if column.required and not cells[column.key]:
            row.fail(column.key, _("必填项为空。"))
    for key, by_label in lookups.choices.items():
        text = cells[key]
        if text:
            value = by_label.get(text)
            if value is None:
                row.fail(
                    key, _("“%(text)s”不是可选值，应为：%(options)s。") % {"text": text, "options": "、".join(by_label)}
                )
            values[key] = value
    if cells["status"] and cells["status"] not in BY_KEY["status"].choices:
        options = "、".join(BY_KEY["status"].choices)
        row.fail(
            "status", _("“%(text)s”不是可选值，应为：%(options)s。") % {"text": cells["status"], "options": options}
        )
    for key, limit in (("title", 200), ("address", 256), ("responsible_person", 64), ("major_standard_item", 256)):
        if len(cells[key]) > limit:
            row.fail(key, _("超过 %(limit)d 个字。") % {"limit": limit})
    _check_place(row, lookups)
    _check_dates_and_handover(row, lookups, today)
    _check_major(row)


def _check_place(row: Row, lookups: Lookups) -> None:
    cells, values = row.cells, row.values
    if cells["region"]:
        region = lookups.regions.get(cells["region"])
        if region is None:
            row.fail(
                "region", _("区划代码“%(code)s”不存在、不在您的辖区内或未到区县一级。") % {"code": cells["region"]}
            )
        values["region"] = region
    if cells["sector"]:
        sector = lookups.sectors.get(cells["sector"])
        if sector is None:
            row.fail("sector", _("行业领域“%(text)s”不存在。") % {"text": cells["sector"]})
        values["sector"] = sector
    text = cells["unit"]
    if not text:
        return
    if _CREDIT_CODE.match(text.upper()):
        unit = lookups.units_by_code.get(text.upper())
        if unit is None:
            row.fail("unit", _("统一社会信用代码“%(code)s”对应的单位不存在、已停用或不在您的辖区内。") % {"code": text})
    else:
        found = lookups.units_by_name.get(text, [])
        region = values.get("region")
        if len(found) > 1 and region is not None:
            found = [unit for unit in found if unit.region.path.startswith(region.county.path)] or found
        unit = found[0] if len(found) == 1 else None
        if not found:
            row.fail("unit", _("单位“%(name)s”不存在、已停用或不在您的辖区内。") % {"name": text})
        elif unit is None:
            row.fail("unit", _("名为“%(name)s”的单位有多个，请填写统一社会信用代码。") % {"name": text})
    values["unit"] = unit


def _check_dates_and_handover(row: Row, lookups: Lookups, today: datetime.date) -> None:
    cells, values = row.cells, row.values
    found_on = parse_date(cells["found_on"]) if cells["found_on"] else None
    if cells["found_on"] and found_on is None:
        row.fail("found_on", _("“%(text)s”不是日期，请写成 2025-03-01 的格式。") % {"text": cells["found_on"]})
    elif found_on and found_on > today:
        row.fail("found_on", _("发现日期不能晚于今天。"))
    values["found_on"] = found_on
    status = cells["status"]
    handed_over = status in (ASSIGNED, RECTIFIED, CLOSED)
    if status == LISTED:
        if any(cells[key] for key in ("unit", "responsible_person", "deadline")):
            row.notes.append(_("整改状态为“已登记”：责任单位、整改责任人和整改期限不导入，交单时再填写。"))
        return
    if not handed_over:
        return
    if status in (RECTIFIED, CLOSED):
        row.notes.append(
            _("台账记为“%(status)s”，但没有整改后照片：导入为“已交办”，由单位补传照片后办单。") % {"status": status}
        )
    for key, message in _HANDED_OVER_NEEDS:
        if not cells[key]:
            row.fail(key, str(message))
    deadline = parse_date(cells["deadline"]) if cells["deadline"] else None
    if cells["deadline"] and deadline is None:
        row.fail("deadline", _("“%(text)s”不是日期，请写成 2025-03-31 的格式。") % {"text": cells["deadline"]})
    elif deadline and found_on and deadline < found_on:
        row.fail("deadline", _("整改期限不能早于发现日期。"))
    values["deadline"] = deadline
    values["requirements"] = cells["requirements"] or DEFAULT_REQUIREMENTS


def _check_major(row: Row) -> None:
    cells = row.cells
    if row.values.get("level") == Level.MAJOR:
        if not cells["major_standard"]:
            row.fail("major_standard", _("重大事故隐患须写明判定标准。"))
        if not cells["major_standard_item"]:
            row.fail("major_standard_item", _("重大事故隐患须写明判定条款。"))
    elif cells["major_standard"] or cells["major_standard_item"]:
        row.fail("major_standard", _("只有重大事故隐患才填写判定标准和条款。"))


def _key(row: Row) -> tuple | None:
    """A hazard is the same hazard when its unit (or, before 交单, its region), title and day found match."""
    values = row.values
    if row.outcome == INVALID:
        return None
    place = ("unit", values["unit"].pk) if values.get("unit") and row.cells["status"] != LISTED else None
    place = place or ("region", values["region"].pk)
    return (place, row.cells["title"], values["found_on"])


def _find_duplicates(rows: list[Row]) -> None:
    keyed = [(row, key) for row in rows if (key := _key(row)) is not None]
    if not keyed:
        return
    first_seen: dict[tuple, Row] = {}
    days = [key[2] for _row, key in keyed]
    existing = _existing(
        unit_ids={key[0][1] for _row, key in keyed if key[0][0] == "unit"},
        region_ids={key[0][1] for _row, key in keyed if key[0][0] == "region"},
        start=min(days),
        end=max(days),
    )
    for row, key in keyed:
        if key in existing:
            row.outcome, row.duplicate_of = DUPLICATE, existing[key]
        elif key in first_seen:
            row.outcome, row.duplicate_of = DUPLICATE, _("第 %(row)d 行") % {"row": first_seen[key].number}
        else:
            first_seen[key] = row


def _existing(*, unit_ids: set[int], region_ids: set[int], start: datetime.date, end: datetime.date) -> dict:
    """The keys of hazards already recorded in the file's span of days, with their numbers."""
    zone = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time(), zone)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), zone)
    in_span = Hazard.objects.filter(found_at__gte=since, found_at__lt=until)
    found: dict[tuple, str] = {}
    for unit_id, region_id, title, found_at, number in (
        in_span.filter(responsible_unit_id__in=unit_ids) | in_span.filter(region_id__in=region_ids)
    ).values_list("responsible_unit_id", "region_id", "title", "found_at", "number"):
        day = timezone.localtime(found_at, zone).date()
        if unit_id is not None:
            found.setdefault((("unit", unit_id), title, day), number)
        found.setdefault((("region", region_id), title, day), number)
    return found
