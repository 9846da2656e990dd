"""A service record's CSAT is on its contract's one CSAT scale (Contract.csat_scale: 0–100 %, 1–5 or 0–10),
the scale the quality app's survey results and the SLA metrics over them use too. Both import paths (row
by row and column-wise) check it the same way; the message names the scale, the error the row (a batch's
rows are numbered from 1, a file's as in the spreadsheet, header = row 1)."""

from __future__ import annotations

import pytest

from waibao.contracts import services as contract_services
from waibao.delivery import ingest, services
from waibao.delivery.models import ServiceRecord
from waibao.delivery.tests.factories import CSAT, P1_RESPONSE, make_contract
from waibao.quality import services as quality_services

pytestmark = pytest.mark.django_db

HEADER = "external_id,kind,opened_at,csat\n"


def _rows(*ratings: str) -> list[dict[str, str]]:
    return [
        {"external_id": f"R{i}", "kind": "ticket", "opened_at": "2026-10-08 09:00", "csat": r}
        for i, r in enumerate(ratings, start=1)
    ]


def _csv(tmp_path, *ratings: str):
    path = tmp_path / "ratings.csv"
    body = "".join(f"R{i},ticket,2026-10-08 09:00,{r}\n" for i, r in enumerate(ratings, start=1))
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _import_csv(contract, manager, path, columnar: bool):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ingest, "COLUMNAR", columnar)
        job = services.import_path(contract=contract, actor=manager, path=str(path), policy="valid_rows")
    job.refresh_from_db()
    return job


@pytest.fixture
def on_scale(vendor_a, manager, travel):
    def make(scale: str):
        return make_contract(vendor_a, owner=manager, metrics=[P1_RESPONSE, CSAT], csat_scale=scale)

    return make


def test_a_rating_off_the_contracts_scale_is_refused_naming_the_scale_and_the_row(on_scale, manager):
    contract = on_scale("score5")
    job = services.import_batch(
        contract=contract, actor=manager, records=_rows("5", "7"), policy="valid_rows"
    )
    assert job.count_new == 1 and job.errors_preview == [
        [2, "csat", "合同的满意度量表为 1–5 分：须为 1 到 5 的整数。"]
    ]
    assert list(ServiceRecord.objects.values_list("csat", flat=True)) == [5]


def test_a_zero_to_ten_contract_takes_ratings_from_0_to_10(on_scale, manager):
    contract = on_scale("score10")
    job = services.import_batch(
        contract=contract, actor=manager, records=_rows("0", "10", "11"), policy="valid_rows"
    )
    assert sorted(ServiceRecord.objects.values_list("csat", flat=True)) == [0, 10]
    assert job.errors_preview == [[3, "csat", "合同的满意度量表为 0–10 分：须为 0 到 10 的整数。"]]


def test_a_percentage_contract_takes_ratings_from_0_to_100_but_not_fractions(on_scale, manager):
    contract = on_scale("percent")
    job = services.import_batch(
        contract=contract, actor=manager, records=_rows("85", "100", "0", "4.1", "101"), policy="valid_rows"
    )
    assert sorted(ServiceRecord.objects.values_list("csat", flat=True)) == [0, 85, 100]
    message = "合同的满意度量表为 0–100 %：须为 0 到 100 的整数。"
    assert job.errors_preview == [[4, "csat", message], [5, "csat", message]]


@pytest.mark.parametrize("scale", ["score5", "score10", "percent"])
def test_both_import_paths_check_the_scale_the_same_way(on_scale, manager, tmp_path, scale):
    contract = on_scale(scale)
    path = _csv(tmp_path, "0", "1", "5", "7", "10", "11", "85", "100", "101", "4.0", " 4", "abc")
    row = _import_csv(contract, manager, path, columnar=False)
    stored = sorted(ServiceRecord.objects.values_list("external_id", "csat"))
    ServiceRecord.objects.all().delete()
    col = _import_csv(contract, manager, path, columnar=True)
    assert sorted(ServiceRecord.objects.values_list("external_id", "csat")) == stored
    assert (row.count_new, row.count_rejected, row.errors_preview) == (
        col.count_new,
        col.count_rejected,
        col.errors_preview,
    )


def test_the_scale_chosen_in_the_quality_app_is_the_one_records_are_checked_against(
    on_scale, manager, quality_user
):
    contract = on_scale("percent")
    quality_services.set_csat_scale(contract=contract, actor=quality_user, scale="score5")
    contract.refresh_from_db()
    assert contract.csat_scale == "score5"
    job = services.import_batch(contract=contract, actor=manager, records=_rows("85"), policy="valid_rows")
    assert job.count_new == 0 and "1–5 分" in job.errors_preview[0][2]
    contract_services.set_csat_scale(contract=contract, actor=manager, scale="percent")
    assert quality_services.csat_scale_of(contract) == "percent"


def test_the_record_form_says_which_scale_the_rating_is_on(on_scale, manager, as_user):
    contract = on_scale("score10")
    page = as_user(manager).get(f"/delivery/contracts/{contract.code}/records/new/").content.decode()
    assert "按合同的满意度量表（0–10 分）填写整数。" in page and "满意度（1–5）" not in page
