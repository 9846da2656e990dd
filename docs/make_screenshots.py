"""Take screenshots of the main pages for the README: `make screenshots` (needs `make run` data).

Usage: python docs/make_screenshots.py [BASE_URL]   (default http://127.0.0.1:8000)

The pages are those of the README's screenshot table (and a few more), taken from the demo data. Some
pictures in docs/screenshots come from browser tests instead (run with WAIBAO_SCREENSHOTS=1): the metric
form, the 8D form with a refused submission, the inspection sheet, the invitation, the journey (the portal
browser test also writes portal-home*.png: run this script after it). Very long
pages are cut at MAX_HEIGHT pixels.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).parent / "screenshots"
MAX_HEIGHT = 2400
PASSWORD = "Waibao-Demo-2026"  # noqa: S105 - the published demo password
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# (file name, user, path, language)
PAGES = [
    ("login", None, "/accounts/login/", "zh-hans"),
    ("home", "manager", "/", "zh-hans"),
    ("vendor-list", "manager", "/vendors/", "zh-hans"),
    ("vendor-detail", "manager", "/vendors/1/", "zh-hans"),
    ("vendor-form", "manager", "/vendors/new/", "zh-hans"),
    ("certificates-expiring", "manager", "/vendors/certificates/expiring/", "zh-hans"),
    ("vendor-list-en", "manager", "/vendors/", "en"),
    ("portal-home", "vendor_a", "/", "zh-hans"),
    ("portal-home-en", "vendor_a", "/", "en"),
    ("audit-log", "auditor", "/audit/", "zh-hans"),
    ("search", "manager", "/search/?q=%E4%BA%91%E5%B8%86", "zh-hans"),
    ("contracts-detail", "manager", "/contracts/CT-2026-0001/", "zh-hans"),
    ("contracts-diff", "manager", "/contracts/CT-2026-0001/versions/diff/", "zh-hans"),
    ("delivery-portfolio", "manager", "/delivery/", "zh-hans"),
    ("delivery-contract", "manager", "/delivery/contracts/CT-2026-0001/", "zh-hans"),
    ("delivery-import-job", "manager", "/delivery/imports/1/", "zh-hans"),
    ("delivery-missed", "manager", "/delivery/contracts/CT-2026-0001/missed/3/2026-03/", "zh-hans"),
    ("quality-dashboard", "quality", "/quality/", "zh-hans"),
    ("quality-inspection", "quality", "/quality/inspections/INS-2026-0001/", "zh-hans"),
    ("quality-capa", "quality", "/quality/capas/CAPA-2026-0001/", "zh-hans"),
    ("quality-8d-form", "vendor_a", "/quality/capas/CAPA-2026-0001/", "zh-hans"),
    ("quality-8d-form-en", "vendor_a", "/quality/capas/CAPA-2026-0001/", "en"),
    ("quality-spc", "quality", "/quality/spc/CT-2026-0001/", "zh-hans"),
]
PAGES += (
    [tuple(line.split()) for line in (OUT / "extra-pages.txt").read_text().splitlines() if line.strip()]
    if (OUT / "extra-pages.txt").exists()
    else []
)  # type: ignore[misc]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name, user, path, lang in PAGES:
            context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page = context.new_page()
            page.goto(BASE + "/accounts/login/")
            if user and user != "None":
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", PASSWORD)
                page.click("#main form button[type=submit]")
                page.wait_for_load_state("networkidle")
            # The language is remembered per user: switch only when the page is not in the one wanted.
            current = page.locator("html").get_attribute("lang")
            if (current == "en") != (lang == "en"):
                page.click("#language-switch button")
                page.wait_for_load_state("networkidle")
            page.goto(BASE + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)
            height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
            clip = {"x": 0, "y": 0, "width": 1366, "height": height}
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True, clip=clip)
            print("saved", name)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
