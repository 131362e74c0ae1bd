"""The layouts of the official tables (docs/reports.md §2 and §3), cell for cell: the header with its
spans as the paper form has it, the columns with their units and the metric each shows, the fixed rows of
the national tables, and the row each sector of the code list is counted in by default. No figure is
defined here: ``reports.official`` fills the tables from ``reports.metrics``.

Rates are printed as percentages with one decimal, "/" when the denominator is 0; a column without a
source of figures (none today: ``Column.available``) would be "—", never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

NOT_AVAILABLE = "—"
NO_DENOMINATOR = "/"
PERCENT_PLACES = Decimal("0.1")


@dataclass(frozen=True)
class HeaderCell:
    text: str
    rowspan: int = 1
    colspan: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "rowspan": self.rowspan, "colspan": self.colspan}


@dataclass(frozen=True)
class Column:
    code: str  # the metric (reports.metrics) or coverage figure it shows
    label: str  # the lowest header cell above it
    unit: str  # 家, 项, %, 万元
    kind: str  # "count", "rate", "funds"; a rate is shown as a percentage
    available: bool = True  # False: no source of figures yet, shown as "—" (null in the API), never 0


@dataclass(frozen=True)
class OfficialRow:
    key: str
    number: str
    name: str
    parts: tuple[str, ...] = ()  # a row that is the sum of the rows named here (危险化学品企业)

    @property
    def label(self) -> str:
        if not self.number:
            return self.name
        if self.number.startswith("("):
            return f"（{self.number.strip('()')}）{self.name}"
        return f"{self.number}.{self.name}"


@dataclass(frozen=True)
class Layout:
    name: str  # the URL's name
    title: str
    short_title: str
    header: tuple[tuple[HeaderCell, ...], ...]
    columns: tuple[Column, ...]
    rows: tuple[OfficialRow, ...] = ()  # the fixed rows of a national table
    kind: str = "national"  # or "by_county", "by_department"


# --- the national monthly tables (docs/reports.md §2) --------------------------------------------------

NATIONAL_HEADER: tuple[tuple[HeaderCell, ...], ...] = (
    (
        HeaderCell("行业和领域", rowspan=4),
        HeaderCell("开展排查治理事故隐患的生产经营单位", colspan=3),
        HeaderCell("一般事故隐患", colspan=3),
        HeaderCell("重大事故隐患", colspan=8),
        HeaderCell("累计落实隐患治理资金", rowspan=3),
    ),
    (
        HeaderCell("应排查治理事故隐患的生产经营单位", rowspan=2),
        HeaderCell("实际排查治理事故隐患的生产经营单位", rowspan=2),
        HeaderCell("覆盖率", rowspan=2),
        HeaderCell("排查一般事故隐患", rowspan=2),
        HeaderCell("其中：已整改", rowspan=2),
        HeaderCell("整改率", rowspan=2),
        HeaderCell("排查治理重大隐患", colspan=3),
        HeaderCell("列入治理计划", colspan=2),
        HeaderCell("其中：挂牌督办", colspan=3),
    ),
    (
        HeaderCell("排查重大事故隐患"),
        HeaderCell("其中：已整改销号"),
        HeaderCell("整改率"),
        HeaderCell("列入治理计划的重大事故隐患"),
        HeaderCell('其中：达到"五到位"要求的'),
        HeaderCell("挂牌督办的重大事故隐患"),
        HeaderCell("其中：省级挂牌督办"),
        HeaderCell("其中：地市级挂牌督办"),
    ),
    tuple(
        HeaderCell(f"（{unit}）")
        for unit in ("家", "家", "%", "项", "项", "%", "项", "项", "%", "项", "项", "项", "项", "项", "万元")
    ),
)

NATIONAL_COLUMNS: tuple[Column, ...] = (
    # From inspections.coverage (reports.official): units of each row's sectors, not hazards.
    Column("units_due", "应排查治理事故隐患的生产经营单位", "家", "count"),
    Column("units_inspected", "实际排查治理事故隐患的生产经营单位", "家", "count"),
    Column("coverage", "覆盖率", "%", "rate"),
    Column("general_found", "排查一般事故隐患", "项", "count"),
    Column("general_closed", "其中：已整改", "项", "count"),
    Column("general_closure_rate", "整改率", "%", "rate"),
    Column("major_found", "排查重大事故隐患", "项", "count"),
    Column("major_closed", "其中：已整改销号", "项", "count"),
    Column("major_closure_rate", "整改率", "%", "rate"),
    Column("major_in_plan", "列入治理计划的重大事故隐患", "项", "count"),
    Column("major_five_in_place", '其中：达到"五到位"要求的', "项", "count"),
    Column("supervised", "挂牌督办的重大事故隐患", "项", "count"),
    Column("supervised_province", "其中：省级挂牌督办", "项", "count"),
    Column("supervised_city", "其中：地市级挂牌督办", "项", "count"),
    Column("funds", "累计落实隐患治理资金", "万元", "funds"),
)

MINE_ROWS: tuple[OfficialRow, ...] = (
    OfficialRow("mine.coal", "1", "煤矿企业"),
    OfficialRow("mine.metal_nonmetal", "2", "金属非金属矿山企业"),
    OfficialRow("mine.oil_gas", "3", "石油天然气开采企业"),
    OfficialRow("mine.chemicals", "4", "危险化学品企业", parts=("mine.chemicals_production", "mine.chemicals_trade")),
    OfficialRow("mine.chemicals_production", "(1)", "生产、储存和其他化工企业"),
    OfficialRow("mine.chemicals_trade", "(2)", "经营企业和单位"),
    OfficialRow("mine.fireworks", "5", "烟花爆竹企业"),
    OfficialRow("mine.metallurgy", "6", "冶金、有色企业"),
    OfficialRow("mine.other", "7", "其他企业"),
)

TRANSPORT_ROWS: tuple[OfficialRow, ...] = tuple(
    OfficialRow(f"transport.{key}", str(number), name)
    for number, (key, name) in enumerate(
        (
            ("road", "道路运输企业"),
            ("road_maintenance", "公路养护施工企业"),
            ("waterway", "水上运输企业"),
            ("railway", "铁路运输企业"),
            ("airline", "航空公司"),
            ("airport_fuel", "机场和油料企业"),
            ("construction", "建筑施工企业"),
            ("school", "学校"),
            ("crowded_places", "商场、市场等人员密集场所"),
            ("reservoir", "水库"),
            ("electric_power", "电力企业"),
            ("agricultural_machinery", "农机行业"),
            ("fishery", "渔业企业"),
            ("explosives", "民爆器材生产企业"),
            ("other", "其他企业单位"),
        ),
        start=1,
    )
)

ROWS_BY_KEY = {row.key: row for row in (*MINE_ROWS, *TRANSPORT_ROWS)}
# A sector is counted in one of these: every row but a sum of others.
LEAF_ROWS = tuple(row for row in (*MINE_ROWS, *TRANSPORT_ROWS) if not row.parts)
ROW_CHOICES = [
    (row.key, f"{'工矿企业' if row.key.startswith('mine.') else '交通运输等'}：{row.label}") for row in LEAF_ROWS
]

# The row of each sector of the code list (docs/design.md "Code lists"), unless the admin says otherwise
# (``SectorTableRow``). A sub-sector without its own row is counted in its parent's.
DEFAULT_ROWS: dict[str, str] = {
    "coal_mine": "mine.coal",
    "non_coal_mine": "mine.metal_nonmetal",
    "hazardous_chemicals": "mine.chemicals_production",
    "fireworks": "mine.fireworks",
    "metallurgy": "mine.metallurgy",
    "nonferrous": "mine.metallurgy",
    "industry_trade": "mine.other",
    "ammonia_refrigeration": "mine.other",
    "combustible_dust": "mine.other",
    "confined_space": "mine.other",
    "road_transport": "transport.road",
    "waterway": "transport.waterway",
    "railway": "transport.railway",
    "civil_aviation": "transport.airline",
    "construction": "transport.construction",
    "school": "transport.school",
    "fire_crowded_places": "transport.crowded_places",
    "water_conservancy": "transport.reservoir",
    "electric_power": "transport.electric_power",
    "agricultural_machinery": "transport.agricultural_machinery",
    "fishing_vessel": "transport.fishery",
    "urban_gas": "transport.other",
    "oil_gas_pipeline": "transport.other",
    "special_equipment": "transport.other",
    "hospital": "transport.other",
    "elderly_care": "transport.other",
    "scenic_area": "transport.other",
    "entertainment_venue": "transport.other",
}


# --- the 宁波-style tables (docs/reports.md §3) ---------------------------------------------------------


def _by_place_header(first: str) -> tuple[tuple[HeaderCell, ...], ...]:
    return (
        (
            HeaderCell(first, rowspan=2),
            HeaderCell("一般隐患", colspan=3),
            HeaderCell("重大隐患", colspan=4),
            HeaderCell("挂牌隐患", colspan=3),
        ),
        tuple(
            HeaderCell(text)
            for text in (
                *("隐患数", "未整改数", "整改率"),
                *("隐患数", "未整改数", "到期未整改数", "整改率"),
                *("挂牌数", "未整改数", "整改率"),
            )
        ),
    )


BY_PLACE_COLUMNS: tuple[Column, ...] = (
    Column("general_found", "隐患数", "项", "count"),
    Column("general_open", "未整改数", "项", "count"),
    Column("general_closure_rate", "整改率", "%", "rate"),
    Column("major_found", "隐患数", "项", "count"),
    Column("major_open", "未整改数", "项", "count"),
    Column("major_overdue_open", "到期未整改数", "项", "count"),
    Column("major_closure_rate", "整改率", "%", "rate"),
    Column("supervised", "挂牌数", "项", "count"),
    Column("supervised_open", "未整改数", "项", "count"),
    Column("supervised_closure_rate", "整改率", "%", "rate"),
)

LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            "mine",
            "煤矿、金属非金属矿山等工矿企业安全生产事故隐患排查治理情况月报表",
            "工矿企业月报表",
            NATIONAL_HEADER,
            NATIONAL_COLUMNS,
            MINE_ROWS,
        ),
        Layout(
            "transport",
            "交通运输等重点行业领域企业和单位安全生产事故隐患排查治理情况月报表",
            "交通运输等重点行业领域月报表",
            NATIONAL_HEADER,
            NATIONAL_COLUMNS,
            TRANSPORT_ROWS,
        ),
        Layout(
            "counties",
            "各地隐患排查治理统计表",
            "各地治理统计",
            _by_place_header("地区"),
            BY_PLACE_COLUMNS,
            kind="by_county",
        ),
        Layout(
            "departments",
            "各部门隐患排查治理统计表",
            "各部门治理统计",
            _by_place_header("行业主管部门"),
            BY_PLACE_COLUMNS,
            kind="by_department",
        ),
    )
}


def header_grid(header: tuple[tuple[HeaderCell, ...], ...]) -> list[tuple[int, int, HeaderCell]]:
    """Each header cell with the (row, column) of its top left corner, placing cells as HTML does: left
    to right, skipping the places a cell above still covers."""
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, cells in enumerate(header):
        c = 0
        for cell in cells:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    return placed


# --- how a figure is printed ---------------------------------------------------------------------------


def percent(value: Decimal | float) -> Decimal:
    """A rate (0–1) as a percentage with one decimal, rounded half up."""
    return (Decimal(str(value)) * 100).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def display(column: Column, value: Any) -> str:
    """The cell as printed: "—" not available, "/" no denominator, rates in % with one decimal."""
    if value == NOT_AVAILABLE:
        return NOT_AVAILABLE
    if value is None:
        return NO_DENOMINATOR
    if column.kind == "rate":
        return f"{percent(value)}"
    if column.kind == "funds":
        return f"{Decimal(value):.2f}"
    return str(value)
