"""导出 in Debian's headless Chromium: the hazard list's button carries the current filters, the job's page
shows the progress and then the download, and the file is the filtered ledger."""

from __future__ import annotations

import openpyxl
import pytest

from tests.conftest import CHROMIUM
from tests.test_browser import log_in, shoot

assert CHROMIUM.exists()


@pytest.fixture(autouse=True)
def worker_in_process(monkeypatch):
    """The Celery worker, stood in for: the export runs in the server's thread once its request commits."""
    from reports import tasks

    monkeypatch.setattr(tasks.export, "delay", lambda job_id: tasks.export(job_id))


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 900}, {"width": 375, "height": 812}], ids=["desk", "phone"]
)
def test_clicking_export_on_the_filtered_list_downloads_that_ledger(browser, live_server, world, tmp_path, viewport):
    majors = {world.listed_major().number, world.listed_major(address="储罐区").number}
    world.listed()  # 一般: filtered out
    page = log_in(browser, live_server, "hq_officer", viewport)
    console = []
    page.on("console", lambda message: console.append(message) if message.type == "error" else None)
    page.goto(f"{live_server.url}/hazards/?level=major")
    page.get_by_test_id("export").click()
    page.wait_for_url("**/reports/exports/*/")
    link = page.get_by_test_id("job-result")
    link.wait_for()
    assert page.locator("[data-job-state]").get_attribute("data-job-state") == "succeeded"
    shoot(page, f"export-done-{viewport['width']}")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.startswith("隐患台账-") and download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "ledger.xlsx"
    download.save_as(path)
    sheet = openpyxl.load_workbook(path)["隐患台账"]
    assert {row[0].value for row in sheet.iter_rows(min_row=3)} == majors
    assert not console, [message.text for message in console]
    page.context.close()


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 900}, {"width": 375, "height": 812}], ids=["desk", "phone"]
)
def test_the_city_reads_a_national_table_and_exports_it(browser, live_server, world, tmp_path, viewport):
    world.listed_major()
    page = log_in(browser, live_server, "city", viewport)
    console = []
    page.on("console", lambda message: console.append(message) if message.type == "error" else None)
    page.goto(f"{live_server.url}/reports/tables/mine/")
    table = page.get_by_test_id("official-table")
    assert table.locator("thead th").count() == 5 + 9 + 8 + 15
    assert table.locator("tbody tr").first.locator("th").inner_text() == "合计"
    # The page never grows wider than the phone: the table scrolls inside its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shoot(page, f"table-mine-{viewport['width']}")
    page.get_by_test_id("export").click()
    page.wait_for_url("**/reports/exports/*/")
    with page.expect_download() as download_info:
        page.get_by_test_id("job-result").click()
    path = tmp_path / "mine.xlsx"
    download_info.value.save_as(path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet["A1"].value.startswith("煤矿、金属非金属矿山等工矿企业") and sheet["A8"].value == "合计"
    assert not console, [message.text for message in console]
    page.context.close()
