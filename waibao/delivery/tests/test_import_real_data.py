"""One NYC Council district office's real casework (all of NYCC39's 3,695 cases, 2015–2025) imported through
the page as a CSV file and as an .xlsx workbook, mapped on the mapping page in Chinese and in English.

The data (``../shared/data/nyc_council_constituent_services.csv.gz``, NYC Open Data via the R package
nycomplaints, MIT) is read from the shared data folder next to the repository; the test is skipped where it
is absent. The contract measures tickets and also has a metric whose record kind was typed as free text
("case") before kinds were chosen from a list: that metric must not turn every row away. With
``WAIBAO_SCREENSHOTS=1`` the mapping and result pages are saved in ``docs/screenshots/``.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
from datetime import date
from pathlib import Path

import pytest

from waibao.delivery.models import ImportJob, ServiceRecord
from waibao.delivery.tests.factories import P1_RESPONSE, calendar, make_contract

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT.parent / "shared" / "data" / "nyc_council_constituent_services.csv.gz"
SHOTS = ROOT / "docs" / "screenshots"
OFFICE = "NYCC39"

RESOLVED_IN_5_DAYS = {
    "name": "5 个工作日内结案",
    "kind": "share_within",
    "record_kind": "ticket",
    "start_field": "opened_at",
    "end_field": "resolved_at",
    "target": "80",
    "threshold_minutes": 5 * 8 * 60,
    "min_sample": 1,
    "tiers": [
        {"from": "0", "to": "80", "consequence": "credit_percent", "amount": "3"},
        {"from": "80", "to": "100", "consequence": "none"},
    ],
}
#: How the manager maps the file's columns (the rest are left out).
MAPPING = {
    "unique_key": "external_id",
    "opendate": "opened_at",
    "closedate": "resolved_at",
    "complaint_type": "category",
}


def _office_rows() -> tuple[list[str], list[list[str]]]:
    with gzip.open(DATA, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        at = header.index("account")
        return header, [row for row in reader if row[at] == OFFICE]


def _contract(vendor, manager, code: str):
    from waibao.contracts.models import SlaMetric

    contract = make_contract(
        vendor, code=code, owner=manager, metrics=[RESOLVED_IN_5_DAYS], start=date(2015, 1, 1)
    )
    name = "个案响应及时率"
    legacy = {**P1_RESPONSE, "name": name, "record_kind": "case"}
    SlaMetric.objects.create(
        contract=contract,
        name=name,
        record_kind="case",
        definition=legacy,
        calendar=calendar(),
        position=5,
    )
    return contract


def _shot(page, name: str, full: bool = False) -> None:
    if os.environ.get("WAIBAO_SCREENSHOTS"):
        page.screenshot(path=str(SHOTS / f"import-real-{name}.png"), full_page=full)


def _import(page, contract, path: Path, lang: str, shots: bool) -> ImportJob:
    page.goto(f"/delivery/contracts/{contract.code}/import/")
    page.set_input_files("input[name=file]", str(path))
    page.check("input[name=policy][value=valid_rows]")
    page.click("#import-form button[type=submit]")
    page.wait_for_url(re.compile(r"/delivery/imports/\d+/(mapping/)?$"))
    if page.url.endswith("/mapping/"):
        headers = page.locator("#mapping-columns tbody tr td:first-child").all_inner_texts()
        for i, header in enumerate(headers):
            page.select_option(f"select[name=col{i}]", MAPPING.get(header.strip(), ""))
        page.select_option("select[name=const_kind]", "ticket")
        # The metric whose kind was typed as "case" is named once; it does not decide the rows' kind.
        assert page.locator("#kind-note", has_text="case").is_visible()
        if shots:
            _shot(page, f"mapping-{lang}", full=True)
        page.click("#mapping-form button[type=submit]")
        page.wait_for_url(re.compile(r"/delivery/imports/\d+/$"))
    page.locator("#job-status").wait_for()
    page.wait_for_function("!document.querySelector('#job-progress[hx-get]')", timeout=120_000)
    if shots:
        _shot(page, f"result-{lang}")
    return ImportJob.objects.order_by("-pk")[0]


@pytest.mark.skipif(not DATA.exists(), reason="the shared real-data folder is not next to the repository")
def test_one_offices_real_casework_imports_as_csv_and_xlsx_through_the_page(
    vendor_a, manager, browser_login, tmp_path
):
    from openpyxl import Workbook

    header, rows = _office_rows()
    assert len(rows) == 3695
    csv_path = tmp_path / f"{OFFICE}.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    xlsx_path = tmp_path / f"{OFFICE}.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(OFFICE)
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(xlsx_path)

    # In Chinese: the CSV file on one contract, mapped on the mapping page.
    zh = _contract(vendor_a, manager, "CT-2026-0039")
    page = browser_login(manager)
    job = _import(page, zh, csv_path, "zh", shots=True)
    # Four case numbers appear twice in the office's data: those rows are turned away, said once.
    assert job.status == "succeeded", job.summary
    assert job.count_new == 3691 and job.count_rejected == 4
    (group,) = job.summary["groups"]
    assert (
        group["rows"] == 4
        and group["column"] == "unique_key"
        and group["first_rows"] == [2505, 2855, 3337, 3342]
    )
    assert page.locator("#import-error-groups tbody tr").count() == 1
    stored = ServiceRecord.objects.filter(contract=zh)
    assert stored.count() == 3691 and set(stored.values_list("kind", flat=True)) == {"ticket"}
    open_cases = {r[0] for r in rows if not r[3]}
    assert stored.filter(resolved_at__isnull=True).count() == len(open_cases)
    assert zh.sla_results.exists()
    # The same cases as a workbook: the saved mapping applies and nothing changes.
    again = _import(page, zh, xlsx_path, "zh", shots=False)
    assert again.status == "succeeded" and again.count_unchanged == 3691, again.summary

    # In English: the workbook on a second contract, mapped again.
    manager.language = "en"
    manager.save(update_fields=["language"])
    en = _contract(vendor_a, manager, "CT-2026-0040")
    job = _import(page, en, xlsx_path, "en", shots=True)
    assert job.status == "succeeded" and job.count_new == 3691, job.summary
    assert "4 rows" in page.locator("#job-progress").inner_text()
