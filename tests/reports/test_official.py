"""The official tables: headers cell for cell as docs/reports.md gives them, the figures of the hand-made
ledger (tests/reports/conftest.py) worked out here, "/", scoping, the page and the API (the coverage
columns: tests/reports/test_official_coverage.py)."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports import official
from reports.layouts import LAYOUTS, HeaderCell, header_grid
from reports.models import SectorTableRow

DOC = Path(__file__).resolve().parents[2] / "docs" / "reports.md"


def _spans(text: str) -> HeaderCell:
    match = re.fullmatch(r"(.+?)(?: \((rowspan|colspan) (\d+)\))?", text.strip())
    assert match, text
    name, kind, n = match.groups()
    return HeaderCell(name, rowspan=int(n) if kind == "rowspan" else 1, colspan=int(n) if kind == "colspan" else 1)


def national_header_from_doc() -> tuple[tuple[HeaderCell, ...], ...]:
    """§2's table "Header, four rows (cells with their spans)", read from the document itself."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("Header, four rows") : text.index("Rates are percentages")]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0][:1].isdigit():
            continue
        if cells[0].startswith("4"):
            rows.append(tuple(HeaderCell(unit) for unit in re.findall(r"\([^)]*\)", cells[1])))
        else:
            rows.append(tuple(_spans(cell) for cell in cells[1].split(" · ")))
    assert len(rows) == 4
    return tuple(rows)


def by_place_header_from_doc() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## 3.") : text.index("## 4.")]
    lines = [line for line in section.splitlines() if line.startswith("|") and not line.startswith("|---")]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]


def test_the_national_header_is_the_documents_cell_for_cell():
    expected = national_header_from_doc()
    for name in ("mine", "transport"):
        header = LAYOUTS[name].header
        # The units row: "(家)" in the document, "（家）" (full-width, as printed) in the table.
        units = tuple(HeaderCell(cell.text.replace("（", "(").replace("）", ")")) for cell in header[3])
        assert (*header[:3], units) == expected
        # 16 columns in all, every place covered exactly once.
        placed = header_grid(header)
        covered = [
            (r + dr, c + dc) for r, c, cell in placed for dr in range(cell.rowspan) for dc in range(cell.colspan)
        ]
        assert len(covered) == len(set(covered)) == 4 * 16


def test_the_by_place_header_is_the_documents_cell_for_cell():
    groups, labels = by_place_header_from_doc()
    for name in ("counties", "departments"):
        top, bottom = LAYOUTS[name].header
        assert [(c.text, c.colspan) for c in top[1:]] == [("一般隐患", 3), ("重大隐患", 4), ("挂牌隐患", 3)]
        assert [g for g in groups if g] == ["一般隐患", "重大隐患", "挂牌隐患"]
        assert [c.text for c in bottom] == labels


@pytest.fixture
def mapped(ledger):
    """粉尘涉爆 and 工贸 (the test's own codes, not the code list's) put in 7.其他企业 in the admin."""
    SectorTableRow.objects.create(sector=ledger.world.sector, row="mine.other")
    SectorTableRow.objects.create(sector=ledger.trade, row="mine.other")
    return ledger


def test_the_mine_table_counts_every_mapped_sector_in_its_row_total_first(mapped, api):
    body = api("city_office").get("/api/v1/stats/tables/mine/", {"date": "2026-06-20"}).json()
    assert body["period"] == {"found_after": "2026-01-01", "found_before": "2026-06-20"}
    total, *rows = body["rows"]
    assert total["label"] == "合计" and total["is_total"]
    assert [row["label"] for row in rows][:6] == [
        "1.煤矿企业",
        "2.金属非金属矿山企业",
        "3.石油天然气开采企业",
        "4.危险化学品企业",
        "（1）生产、储存和其他化工企业",
        "（2）经营企业和单位",
    ]
    # h1–h6 and h10 are 一般 (h1, h2, h3 closed), h7 重大 open with the five in place, 市级挂牌, 12 万元;
    # costs 5000 + 2500 元 = 0.75 万元. h5 is 工贸·机械: counted through its parent 工贸.
    # The ledger's two units have no sector: due in no row (tests/reports/test_official_coverage.py).
    assert total["cells"] == ["0", "0", "/", "7", "3", "42.9", "1", "0", "0.0", "1", "1", "1", "0", "1", "12.75"]
    assert total["values"]["units_due"] == 0 and total["values"]["general_closure_rate"] == 0.4286
    assert body["units_without_sector"] == 2
    other = next(row for row in rows if row["key"] == "mine.other")
    assert other["cells"] == total["cells"]
    coal = rows[0]
    assert coal["cells"] == ["0", "0", "/", "0", "0", "/", "0", "0", "/", "0", "0", "0", "0", "0", "0.00"]
    assert body["unmapped_sectors"] == [] and body["unmapped_found"] == 0


def test_the_transport_table_takes_the_code_lists_default_rows(mapped, api):
    body = api("city_office").get("/api/v1/stats/tables/transport/", {"date": "2026-06-20"}).json()
    total, *rows = body["rows"]
    construction = next(row for row in rows if row["key"] == "transport.construction")
    assert construction["label"] == "7.建筑施工企业"
    # h8: 重大, closed, 省级挂牌, measures only (not in plan: closed).
    assert construction["cells"] == ["0", "0", "/", "0", "0", "/", "1", "1", "100.0", "0", "0", "1", "1", "0", "0.00"]
    assert total["cells"] == construction["cells"]


def test_a_sector_in_no_row_is_named_never_dropped_silently(ledger, api, as_user):
    body = api("city_office").get("/api/v1/stats/tables/mine/", {"date": "2026-06-20"}).json()
    assert {s["code"] for s in body["unmapped_sectors"]} == {"dust", "trade", "trade_machinery"}
    assert body["unmapped_found"] == 8 and body["rows"][0]["values"]["general_found"] == 0
    page = as_user(ledger.world.city_office).get("/reports/tables/mine/", {"date": "2026-06-20"})
    assert "未对应到月报表的任何一行，其 8 项隐患未计入本表" in page.content.decode()
    from reports.checks import sectors_in_a_table_row

    assert {w.obj.code for w in sectors_in_a_table_row(None, databases=["default"])} == {
        "dust",
        "trade",
        "trade_machinery",
    }


def test_a_date_inside_a_month_adds_the_partial_month_to_the_rollups_whole_ones(mapped, api):
    from reports import rollup

    rollup.rebuild()
    whole = api("city_office").get("/api/v1/stats/tables/mine/", {"date": "2026-05-31"}).json()
    part = api("city_office").get("/api/v1/stats/tables/mine/", {"date": "2026-05-19"}).json()
    assert whole["rows"][0]["values"]["general_found"] == 6  # h1–h5 and h10; h6 (06-01) comes later
    assert part["rows"][0]["values"]["general_found"] == 5  # not h5 (05-20)
    table = official.official_table("mine", user=mapped.world.city_office, report_date=datetime.date(2026, 5, 19))
    assert table.source == "rollup:countyrollup+live"


def test_counties_a_city_sees_every_county_then_the_total(ledger, api):
    body = api("city_office").get("/api/v1/stats/tables/counties/").json()
    assert [row["label"] for row in body["rows"]] == ["红旗区", "卫滨区", "合计"]
    hongqi, weibin, total = (row["cells"] for row in body["rows"])
    assert hongqi == ["6", "3", "50.0", "2", "1", "0", "50.0", "2", "1", "50.0"]
    assert weibin == ["1", "1", "0.0", "0", "0", "0", "/", "0", "0", "/"]
    assert total == ["7", "4", "42.9", "2", "1", "0", "50.0", "2", "1", "50.0"]


def test_counties_a_county_sees_itself(ledger, api):
    body = api("wb_officer").get("/api/v1/stats/tables/counties/").json()
    assert [row["label"] for row in body["rows"]] == ["卫滨区", "合计"]
    assert body["scope"] == "卫滨区"


def test_departments_one_row_each(ledger, api):
    body = api("city_office").get("/api/v1/stats/tables/departments/").json()
    rows = {row["label"]: row["values"] for row in body["rows"]}
    assert rows["应急管理局"]["general_found"] == 7 and rows["住房和城乡建设局"]["major_found"] == 1
    assert rows["合计"]["major_found"] == 2


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_outsiders_404_a_unit_contact_403_bad_input_400(ledger, api, name):
    url = f"/api/v1/stats/tables/{name}/"
    assert api("wb_officer").get(url, {"region": ledger.world.hongqi.code}).status_code == 404
    assert api("unit_demo").get(url).status_code == 403
    wrong = {"found_after": "2026-01-01"} if LAYOUTS[name].kind == "national" else {"date": "2026-01-01"}
    for query in ({"date": "2026-13-01"}, {"nonsense": "1"}, wrong):
        response = api("city_office").get(url, query)
        assert response.status_code == 400 and response.json()["code"] == "invalid", (query, response.content)


class HeaderCells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[HeaderCell]] = []
        self.in_head = False
        self.cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "thead":
            self.in_head = True
        elif self.in_head and tag == "tr":
            self.rows.append([])
        elif self.in_head and tag == "th":
            self.cell = {"text": "", "rowspan": int(attrs.get("rowspan", 1)), "colspan": int(attrs.get("colspan", 1))}

    def handle_endtag(self, tag):
        if tag == "thead":
            self.in_head = False
        elif tag == "th" and self.cell is not None:
            self.rows[-1].append(HeaderCell(self.cell["text"].strip(), self.cell["rowspan"], self.cell["colspan"]))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_the_page_prints_the_header_with_its_spans_and_the_figures(mapped, as_user, api, name):
    page = as_user(mapped.world.city_office).get(f"/reports/tables/{name}/")
    assert page.status_code == 200
    html = page.content.decode()
    parser = HeaderCells()
    parser.feed(html)
    assert tuple(tuple(row) for row in parser.rows) == LAYOUTS[name].header
    body = api("city_office").get(f"/api/v1/stats/tables/{name}/").json()
    total = next(row for row in body["rows"] if row["is_total"])
    assert "".join(f'<td class="text-end">{cell}</td>' for cell in total["cells"]) in html


def test_the_pages_refuse_what_the_api_refuses(ledger, as_user):
    assert as_user(ledger.world.unit_demo).get("/reports/tables/counties/").status_code == 403
    outsider = as_user(ledger.world.wb_officer)
    assert outsider.get("/reports/tables/mine/", {"region": ledger.world.hongqi.code}).status_code == 404
    bad = outsider.get("/reports/tables/mine/", {"date": "2026-02-30"})
    assert bad.status_code == 400 and "日期格式" in bad.content.decode()


def test_the_schema_lists_every_table(world, api):
    spec = api("city_office").get("/api/v1/schema/?format=json").json()
    for name in LAYOUTS:
        operation = spec["paths"][f"/api/v1/stats/tables/{name}/"]["get"]
        assert operation["summary"] == LAYOUTS[name].title
        assert operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert "202" in spec["paths"]["/api/v1/exports/"]["post"]["responses"]
