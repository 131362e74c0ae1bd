"""The unit import's preview in headless Chromium at phone width: every row's outcome and error readable
on a 375 px screen, the page wider than nothing, no policy violation and no console error."""

from __future__ import annotations

from playwright.sync_api import expect

from accounts.models import ResponsibleUnit
from tests.test_browser import VIEWPORTS, log_in, shoot
from tests.test_browser_csp import watch
from tests.test_unit_import import GOOD, xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_administrator_previews_a_unit_ledger_on_a_phone(browser, live_server, world):
    page = log_in(browser, live_server, "admin", VIEWPORTS["phone"])
    errors = watch(page)
    page.goto(f"{live_server.url}/units/import/")
    expect(page.get_by_test_id("import-template")).to_be_visible()
    hq = world.hq_unit
    update = {"单位名称": hq.name, "统一社会信用代码": hq.credit_code, "单位类型": "企业"}
    update |= {"所在区划(代码)": hq.region.code, "联系电话": "0373-7654321"}
    bad = GOOD | {"单位名称": "坏代码公司", "统一社会信用代码": "91350100M000100Y44"}
    content = xlsx([GOOD, update, bad])
    page.get_by_label("台账文件").set_input_files(files=[{"name": "单位.xlsx", "mimeType": XLSX, "buffer": content}])
    page.get_by_role("button", name="上传并预览").click()
    counts = page.get_by_test_id("import-counts")
    expect(counts).to_contain_text("新增 1 条，更新 1 条")
    expect(counts).to_contain_text("有错误 1 行")
    rows = page.get_by_test_id("import-rows")
    expect(rows.locator('tbody[data-outcome="invalid"]')).to_contain_text(
        "第 4 行“统一社会信用代码”：统一社会信用代码校验位不正确"
    )
    expect(rows.locator('tbody[data-outcome="update"]')).to_contain_text("将更新：联系电话。")
    expect(page.get_by_test_id("import-confirm")).to_have_count(0)
    # The table scrolls inside its own box; the page itself stays phone-wide.
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
    shoot(page, "unit-import-preview-phone")
    assert not ResponsibleUnit.objects.filter(name="坏代码公司").exists()
    assert page.evaluate("window.__violations") == []
    # The preview of a file with errors answers 400: the answer asked for, not an error of the page.
    assert [e for e in errors if "status of 400" not in e] == []
