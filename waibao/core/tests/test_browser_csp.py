"""The pages really work under the Content-Security-Policy: a browser loads the main pages of every area
on the demo data — charts drawn (and their tooltips shown), HTMX searches, sorts, previews, polling and
the metric editor's live conversion, the portal, the API docs, error pages — and the browser reports not
one violation of the policy (a refused inline script, style attribute, <style> block, eval, or load)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from waibao.core.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation is reported twice: as a `securitypolicyviolation` event (collected by this script,
# which Playwright runs outside the page's policy) and as a console message.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class Watch:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        self.events: list[str] = []
        self.policies: dict[str, str] = {}
        page.add_init_script(LISTEN)
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, msg: Any) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            self.console.append(f"{self.page.url}: {msg.text}")

    def _response(self, response: Any) -> None:
        if response.request.resource_type == "document":
            self.policies[response.url] = response.headers.get("content-security-policy", "")

    def collect(self) -> None:
        try:
            found = self.page.evaluate("window.__csp || []")
        except Exception:  # the page is navigating; its events were collected before
            return
        self.events.extend(f"{self.page.url}: {v}" for v in found)
        self.page.evaluate("window.__csp = []")

    def visit(self, path: str, ready: str = "#main") -> None:
        self.page.goto(path)
        self.page.locator(ready).first.wait_for()
        self.charts()
        self.collect()

    def charts(self) -> None:
        charts = self.page.locator("[data-chart]")
        for i in range(charts.count()):
            chart = charts.nth(i)
            chart.locator("canvas").first.wait_for()
            chart.scroll_into_view_if_needed()
            box = chart.bounding_box()
            if box:  # the tooltip: drawn on the canvas (ECharts' HTML tooltip would need style attributes)
                self.page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
                self.page.wait_for_timeout(150)
                self.page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
                self.page.wait_for_timeout(150)

    def login(self, username: str) -> None:
        self.page.context.clear_cookies()
        self.visit("/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", DEMO_PASSWORD)
        self.page.click("#main form button[type=submit]")
        self.page.wait_for_url(lambda url: "/accounts/login/" not in url)
        self.collect()


def _objects() -> dict[str, Any]:
    from waibao.calendars.models import Calendar
    from waibao.contracts.models import Amendment, Contract
    from waibao.delivery.models import SlaResult
    from waibao.quality.models import Inspection

    result = SlaResult.objects.select_related("contract").order_by("-period_start", "pk").first()
    assert result is not None
    return {
        "contract": result.contract,
        "result": result,
        "amendment": Amendment.objects.select_related("contract").first(),
        "calendar": Calendar.objects.first(),
        "inspection": Inspection.objects.first(),
        "spc_contract": Contract.objects.filter(inspections__isnull=False).distinct().first(),
    }


def test_main_pages_and_interactions_raise_no_csp_violation(page, settings):
    from waibao.accounts.models import User
    from waibao.contracts.tests.factories import draft_contract
    from waibao.core import clock
    from waibao.delivery.models import ImportJob

    call_command("demo", stdout=io.StringIO())
    o = _objects()
    c, r = o["contract"], o["result"]
    manager = User.objects.get(username="manager")
    draft = draft_contract(manager, c.vendor)
    job = ImportJob.objects.create(
        contract=c, status="running", rows_total=1000, rows_done=250, rows_per_second=125.0,
        created_at=clock.now(), created_by=manager, heartbeat_at=clock.now(), file_name="big.csv",
    )  # fmt: skip
    watch = Watch(page)

    # Signed out: the login page, then a 404 for a signed-in buyer below.
    watch.login("manager")
    for path in [
        "/",
        "/vendors/",
        f"/vendors/{c.vendor_id}/",
        "/contracts/",
        f"/contracts/{c.code}/",
        f"/contracts/{c.code}/versions/diff/",
        "/delivery/",
        f"/delivery/contracts/{c.code}/",
        f"/delivery/contracts/{c.code}/records/",
        f"/delivery/contracts/{c.code}/missed/{r.metric_id}/{r.period}/",
        f"/delivery/contracts/{c.code}/import/",
        "/quality/",
        "/quality/tools/spc/",
        "/quality/tools/sampling/",
        "/quality/inspections/",
        "/quality/ncrs/",
        "/quality/complaints/",
        "/quality/satisfaction/",
        "/calendars/",
        f"/calendars/{o['calendar'].pk}/",
        "/notifications/",
        "/accounts/me/",
        "/audit/",
    ]:
        watch.visit(path)
    if o["amendment"] is not None:
        watch.visit(f"/contracts/{o['amendment'].contract.code}/amendments/{o['amendment'].pk}/")
    if o["inspection"] is not None:
        watch.visit(f"/quality/inspections/{o['inspection'].code}/")
    if o["spc_contract"] is not None:
        watch.visit(f"/quality/spc/{o['spc_contract'].code}/")

    # HTMX: a search that swaps the vendor list, a sort of the portfolio, a metric preview, a job page that
    # polls, the metric editor's live conversion.
    watch.visit("/vendors/")
    with page.expect_response(lambda resp: "/vendors/?" in resp.url):
        page.fill("#vendor-filters input[name=q]", "科技")
    page.wait_for_timeout(200)
    watch.collect()
    watch.visit("/delivery/")
    sort = page.locator("th a[hx-get]").first
    with page.expect_response(lambda resp: "sort=" in resp.url):
        sort.click()
    page.wait_for_timeout(200)
    watch.collect()
    watch.visit(f"/contracts/{c.code}/")
    preview = page.locator("#sla form[hx-get]").first
    preview.locator("input[name=value]").fill("90")
    with page.expect_response(lambda resp: "/preview/" in resp.url):
        preview.locator("button[type=submit]").click()
    page.wait_for_timeout(200)
    watch.collect()
    watch.visit(f"/delivery/imports/{job.pk}/")
    with page.expect_response(lambda resp: f"/delivery/imports/{job.pk}/" in resp.url):
        pass  # the page polls its progress every second
    watch.collect()
    watch.visit(f"/contracts/{draft.code}/sla/new/")
    page.get_by_role("button", name="解决：N 个工作日内").click()
    page.wait_for_load_state()
    with page.expect_response(lambda resp: "/sla/new/" in resp.url and resp.request.method == "POST"):
        page.fill("input[name=sla-threshold]", "2")
        page.locator("input[name=sla-threshold]").dispatch_event("change")
    page.locator("#sla-threshold-conversion", has_text="2 个工作日").wait_for()
    watch.collect()

    # Error pages and the API docs (Swagger UI from static files).
    page.goto("/no-such-page/")
    watch.collect()
    page.goto("/api/v1/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    watch.collect()

    # The vendor's side.
    watch.login("vendor_a")
    for path in ["/portal/", f"/delivery/contracts/{c.code}/", "/quality/", "/accounts/users/"]:
        page.goto(path)
        watch.charts()
        watch.collect()

    assert watch.policies and all("script-src 'self'" in p for p in watch.policies.values()), watch.policies
    assert watch.events == [] and watch.console == [], "\n".join(watch.events + watch.console)
