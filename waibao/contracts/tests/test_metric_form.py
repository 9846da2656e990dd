"""The SLA metric page: rows for filters and tiers, times in business hours and days (converted through the
metric's calendar and shown), ready-made metrics, record kinds from the allowed list, messages numbered as
the user sees them — and nothing typed is lost when the form is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import translation

from waibao.contracts import services
from waibao.contracts.models import SlaMetric
from waibao.contracts.tests.factories import METRIC, active_contract, china, draft_contract
from waibao.core.errors import DomainError

pytestmark = pytest.mark.django_db

P = "sla"


@pytest.fixture
def draft(manager, vendor_a):
    return draft_contract(manager, vendor_a)


def _new(c):
    return f"/contracts/{c.code}/sla/new/"


def _rows(kind, rows):
    names = {"tiers": ("lower", "upper", "consequence", "amount"), "filters": ("field", "op", "value")}[kind]
    data = {f"{P}-{kind}-TOTAL_FORMS": str(len(rows)), f"{P}-{kind}-INITIAL_FORMS": "0",
            f"{P}-{kind}-MIN_NUM_FORMS": "0", f"{P}-{kind}-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for i, row in enumerate(rows):
        data |= {f"{P}-{kind}-{i}-{n}": v for n, v in zip(names, row, strict=True)}
    return data


def _post(values, tiers=(), filters=()):
    data = {f"{P}-{k}": v for k, v in values.items()}
    return data | _rows("tiers", list(tiers)) | _rows("filters", list(filters))


RESOLUTION = {
    "name": "P1/P2 工单 3 个工作日内解决", "kind": "share_within", "record_kind": "ticket",
    "calendar": "", "window": "month", "direction": "higher", "target": "90", "min_sample": "5",
    "start_field": "opened_at", "end_field": "resolved_at", "threshold": "3", "threshold_unit": "days",
}  # fmt: skip
TIERS = [("0", "80", "credit_percent", "5"), ("80", "90", "credit_percent", "2"), ("90", "100", "none", ""),
         ("", "", "none", "")]  # fmt: skip
FILTERS = [("priority", "in", "P1, P2"), ("category", "ne", "咨询"), ("", "eq", "")]


def _resolution():
    return RESOLUTION | {"calendar": str(china().pk)}


def test_rows_and_three_business_days_make_the_definition_without_any_json(as_user, manager, draft):
    r = as_user(manager).post(_new(draft), _post(_resolution(), TIERS, FILTERS))
    assert r.status_code == 302, r.content.decode()[:3000]
    m = SlaMetric.objects.get(contract=draft)
    d = m.definition
    assert d["threshold_minutes"] == 3 * 8 * 60  # 3 business days of the China calendar (8 h a day)
    assert d["start_field"] == "opened_at" and d["end_field"] == "resolved_at"
    assert d["filter"] == [["priority", "in", ["P1", "P2"]], ["category", "ne", "咨询"]]
    assert [(t["from"], t["to"], t["consequence"]) for t in d["tiers"]] == [
        ("0", "80", "credit_percent"), ("80", "90", "credit_percent"), ("90", "100", "none"),
    ]  # fmt: skip
    assert m.record_kind == "ticket" and m.calendar == china()


def test_the_page_shows_labels_words_and_units_not_field_names_or_json(as_user, manager, draft):
    page = as_user(manager).get(_new(draft)).content.decode()
    for word in ("首次响应时间", "解决时间", "等于", "不等于", "工作小时", "工作日", "工单"):
        assert word in page, word
    assert "JSON" not in page and "opened_at</option>" not in page and "[[" not in page
    assert 'name="sla-filters-0-field"' in page and 'name="sla-tiers-0-lower"' in page
    assert 'name="sla-record_kind"' in page and "<select" in page.split('name="sla-record_kind"')[0][-200:]


def test_the_conversion_through_the_calendar_is_shown(as_user, manager, draft):
    m = services.add_metric(
        contract=draft, actor=manager, calendar=china(),
        definition={**METRIC, "threshold_minutes": 2400, "end_field": "resolved_at"},
    )  # fmt: skip
    page = as_user(manager).get(f"/contracts/{draft.code}/sla/{m.pk}/").content.decode()
    assert 'name="sla-threshold" value="5"' in page and '<option value="days" selected>' in page
    assert "5 个工作日 = 40 个工作小时" in page
    manager.language = "en"
    manager.save(update_fields=["language"])
    en = as_user(manager).get(f"/contracts/{draft.code}/sla/{m.pk}/").content.decode()
    assert "5 business days = 40 business hours" in en


def test_a_refused_form_keeps_every_row_typed(as_user, manager, draft):
    bad_tiers = [("0", "80", "credit_percent", "5"), ("95", "90", "credit_percent", "2"), ("90", "100", "none", "")]
    r = as_user(manager).post(_new(draft), _post(_resolution() | {"target": "150"}, bad_tiers, FILTERS))
    body = r.content.decode()
    assert r.status_code == 200 and not SlaMetric.objects.filter(contract=draft).exists()
    for name, value in [("sla-tiers-1-lower", "95"), ("sla-tiers-1-upper", "90"), ("sla-tiers-2-upper", "100"),
                        ("sla-filters-0-value", "P1, P2"), ("sla-filters-1-value", "咨询"), ("sla-target", "150"),
                        ("sla-threshold", "3")]:  # fmt: skip
        assert f'name="{name}" value="{value}"' in body or f'value="{value}" name="{name}"' in body, name
    assert 'value="ne" selected' in body and '<option value="days" selected>' in body


def test_messages_number_tiers_as_the_user_sees_them(as_user, manager, draft):
    bad_tiers = [("0", "80", "credit_percent", "5"), ("95", "90", "credit_percent", "2"), ("90", "100", "none", "")]
    r = as_user(manager).post(_new(draft), _post(_resolution(), bad_tiers))
    body = r.content.decode()
    second = body.split('name="sla-tiers-1-lower"')[1].split("</tr>")[0]
    assert "第 2 档 · 结果上限：区间上限必须大于下限。" in second
    assert "tiers.1" not in body

    with pytest.raises(DomainError) as exc:
        services.add_metric(
            contract=draft, actor=manager, calendar=china(),
            definition={**METRIC, "tiers": [METRIC["tiers"][0], {"from": "95", "to": "90", "consequence": "none"}]},
        )  # fmt: skip
    assert exc.value.fields["tiers.1.to"] == "第 2 档 · 结果上限：区间上限必须大于下限。"
    assert "第 2 档" in exc.value.message and "tiers.1" not in exc.value.message
    with translation.override("en"), pytest.raises(DomainError) as exc_en:
        services.add_metric(
            contract=draft, actor=manager, calendar=china(),
            definition={**METRIC, "filter": [["priority", "eq", "P1"], ["opened_at", "eq", "x"]]},
        )  # fmt: skip
    assert exc_en.value.fields["filter.1.field"].startswith("Filter 2 · Field: ")


def test_picking_a_ready_made_metric_fills_the_form_and_keeps_the_calendar(as_user, manager, draft):
    from waibao.calendars.models import Calendar

    other = Calendar.objects.get(preset="24x7") if Calendar.objects.filter(preset="24x7").exists() else china()
    data = _post({"name": "", "kind": "count", "calendar": str(other.pk)}) | {"op": "template:sla:resolution"}
    body = as_user(manager).post(_new(draft), data).content.decode()
    assert not SlaMetric.objects.filter(contract=draft).exists()
    assert 'value="3 个工作日内解决"' in body and 'name="sla-threshold" value="3"' in body
    assert '<option value="resolved_at" selected>' in body and '<option value="days" selected>' in body
    assert f'<option value="{other.pk}" selected>' in body
    assert 'name="sla-tiers-0-upper" value="80"' in body
    assert "invalid-feedback" not in body  # a template is a start, not a submission

    # Then the user edits N and the target and saves.
    page = as_user(manager).get(_new(draft) + "?template=first_response").content.decode()
    assert 'name="sla-threshold" value="4"' in page and '<option value="first_response_at" selected>' in page


def test_every_ready_made_metric_saves_as_it_comes(as_user, manager, draft):
    from waibao.contracts import metric_ui

    for t in metric_ui.TEMPLATES:
        init = metric_ui.template_initial(t.key)
        values = {k: v for k, v in init.items() if k not in ("tiers", "filters")} | {"calendar": str(china().pk)}
        tiers = [(r["lower"], r["upper"], r["consequence"], r["amount"]) for r in init["tiers"]]
        r = as_user(manager).post(_new(draft), _post({k: str(v) for k, v in values.items()}, tiers))
        assert r.status_code == 302, (t.key, r.content.decode()[:3000])
    assert SlaMetric.objects.filter(contract=draft).count() == len(metric_ui.TEMPLATES)


def test_record_kind_is_chosen_from_the_allowed_list(as_user, manager, draft, api_client):
    r = as_user(manager).post(_new(draft), _post(_resolution() | {"record_kind": "case"}, TIERS))
    assert r.status_code == 200 and not SlaMetric.objects.filter(contract=draft).exists()
    with pytest.raises(DomainError) as exc:
        services.add_metric(contract=draft, actor=manager, calendar=china(), definition={**METRIC, "record_kind": "case"})
    assert "record_kind" in exc.value.fields and "工单" in exc.value.fields["record_kind"]


def test_a_stored_invalid_record_kind_is_shown_and_the_user_asked_to_pick(as_user, manager, draft):
    m = services.add_metric(contract=draft, actor=manager, calendar=china(), definition=dict(METRIC))
    SlaMetric.objects.filter(pk=m.pk).update(record_kind="case", definition={**m.definition, "record_kind": "case"})
    page = as_user(manager).get(f"/contracts/{draft.code}/sla/{m.pk}/").content.decode()
    assert "原记录类型“case”不是允许的记录类型" in page
    assert '<option value="" selected>' in page.split('name="sla-record_kind"')[1].split("</select>")[0]
    detail = as_user(manager).get(f"/contracts/{draft.code}/").content.decode()
    assert "case" in detail and "记录类型" in detail  # the submission problem names it


def test_filter_values_come_from_the_contracts_own_records(as_user, manager, vendor_a, approvers):
    from waibao.delivery.models import ServiceRecord

    c = active_contract(manager, vendor_a, approvers, metric=False)
    for i, (prio, cat) in enumerate([("P1", "网络"), ("P3", "桌面"), ("P1", "桌面")]):
        ServiceRecord.objects.create(
            contract=c, external_id=f"T-{i}", kind="ticket", priority=prio, category=cat,
            opened_at=datetime(2026, 3, 2, 9, tzinfo=UTC), day=datetime(2026, 3, 2).date(), fingerprint="x",
        )  # fmt: skip
    d = draft_contract(manager, vendor_a)
    page = as_user(manager).get(f"/contracts/{c.code}/amendments/new/").content.decode()
    assert page  # the amendment page renders with the records present
    # The draft has no records: no values offered.
    assert 'id="sla-values-priority"' not in as_user(manager).get(_new(d)).content.decode()
    # A metric page of the contract with records offers P1 and P3 for priority.
    m_page = _metric_page_of(as_user(manager), c)
    block = m_page.split('id="sla-values-priority"')[1].split("</datalist>")[0]
    assert '"P1"' in block and '"P3"' in block
    assert "工单（数据中有）" in m_page


def _metric_page_of(client, contract):
    """The metric form of a contract with data, as the amendment page's new-metric editor shows it."""
    from django.template.loader import render_to_string

    from waibao.contracts.forms import MetricEditor
    from waibao.contracts.metric_ui import record_values

    editor = MetricEditor(prefix="sla", contract=contract, data_values=record_values(contract),
                          initial={"calendar": china()})  # fmt: skip
    return render_to_string("contracts/_metric_editor.html", {"editor": editor})


def test_vendor_b_cannot_open_vendor_as_metric_page(as_user, manager, vendor_user_b, draft):
    assert as_user(vendor_user_b).get(_new(draft)).status_code == 404
    assert as_user(vendor_user_b).post(_new(draft), {"op": "template:sla:resolution"}).status_code == 404


def test_the_contract_page_shows_metrics_in_words_and_business_days(as_user, manager, draft):
    services.add_metric(
        contract=draft, actor=manager, calendar=china(),
        definition={**METRIC, "threshold_minutes": 2400, "end_field": "resolved_at"},
    )  # fmt: skip
    page = as_user(manager).get(f"/contracts/{draft.code}/").content.decode()
    sla = page.split('id="sla"')[1].split("</section>")[0]
    assert "从开始时间到解决时间不超过 5 个工作日" in sla and "优先级 等于 P1" in sla and "工单" in sla
    assert "[90%, 95%)" in sla and "[99%, 100%]" in sla
    for raw in ("opened_at", "resolved_at", "2400", "工作分钟", "ticket", "credit_percent", "<code>"):
        assert raw not in sla, raw


def test_summary_shows_bands_as_evaluated_and_durations_in_days():
    from waibao.contracts.metric_ui import summary

    lower = summary({"kind": "rate", "flag": "defect", "direction": "lower", "target": "2", "record_kind": "work_item",
                     "tiers": [{"from": "0", "to": "2", "consequence": "none"},
                               {"from": "2", "to": "5", "consequence": "credit_percent", "amount": "2"}]})  # fmt: skip
    assert [t["range"] for t in lower["tiers"]] == ["[0%, 2%]", "(2%, 5%]"]
    assert lower["target"] == "≤ 2%" and lower["how"] == "缺陷为“是”的占比" and lower["record_kind"] == "工作项"
    duration = summary({"kind": "duration", "statistic": "median", "target": "960", "direction": "lower",
                        "start_field": "opened_at", "end_field": "resolved_at"})  # fmt: skip
    assert duration["target"] == "≤ 2 个工作日" and "中位数" in duration["how"]
