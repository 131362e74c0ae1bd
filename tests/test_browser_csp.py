"""Under the site's Content Security Policy the pages still work in Chromium: no violation reported and
no console error on any page, the API's documentation pages and the admin included."""

from __future__ import annotations

from tests.test_browser import VIEWPORTS, log_in, scene  # noqa: F401  (scene is a fixture)

# Every violation the page reports, whether or not Chromium also logs it to the console.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def watch(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(f"{message.text} {message.location.get('url')}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_init_script(RECORD_VIOLATIONS)
    return errors


def visit(page, url: str, ready: str) -> list[str]:
    page.goto(url)
    page.locator(ready).first.wait_for()
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__violations")


def unexpected(violations: list[str]) -> list[str]:
    # ReDoc's bundle draws a "by Redocly" badge from the internet: its page's policy is what stops it.
    return [v for v in violations if "cdn.redoc.ly" not in v]


def real(errors: list[str]) -> list[str]:
    # The admin's pages name no icon, so Chromium asks for /favicon.ico, which nothing serves.
    # ReDoc's badge blocked on purpose (above) is also logged as an error.
    return [e for e in errors if not e.endswith("/favicon.ico") and "cdn.redoc.ly" not in e]


def test_the_pages_work_under_the_policy(browser, live_server, scene):  # noqa: F811
    world, submitted = scene["world"], scene["submitted"]
    page = log_in(browser, live_server, "hq_officer", VIEWPORTS["desktop"])
    errors = watch(page)
    base = live_server.url
    violations = []
    for url, ready in [
        ("/", "[data-card]"),
        ("/hazards/", "[data-hazard]"),
        (f"/hazards/{submitted.pk}/", "h1"),
        (f"/hazards/{submitted.pk}/notice/", "[data-print]"),
        ("/messages/", "h1"),
        ("/api/v1/docs/", ".swagger-ui .info"),
        ("/api/v1/redoc/", "h1"),
    ]:
        violations += visit(page, base + url, ready)

    # 登记隐患: the region cascade and the unit picker answer htmx requests; the photo preview is a blob: URL.
    violations += visit(page, f"{base}/hazards/new/", "form.hazard-form")
    page.locator("select[name=region]").first.select_option(world.hongqi.code)
    page.wait_for_load_state("networkidle")
    violations += page.evaluate("window.__violations")

    assert unexpected(violations) == []
    assert real(errors) == []


def test_the_admin_works_under_the_policy(browser, live_server, world):
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="zh-CN")
    page = context.new_page()
    errors = watch(page)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "demo12345")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    violations = page.evaluate("window.__violations")
    for url in ("/admin/hazards/hazard/", "/admin/accounts/user/", f"/admin/accounts/user/{world.admin.pk}/change/"):
        violations += visit(page, live_server.url + url, "#content")
    assert unexpected(violations) == []
    assert real(errors) == []
