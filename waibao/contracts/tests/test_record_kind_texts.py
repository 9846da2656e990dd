"""What the contract pages say about a metric whose stored record kind is not an allowed kind: the import
ignores such a default kind (with one note), so the pages say that — not that every row is rejected."""

from __future__ import annotations

import pytest
from django.utils import translation

from waibao.contracts import services
from waibao.contracts.models import SlaMetric
from waibao.contracts.tests.factories import METRIC, china, draft_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def invalid_kind_metric(manager, vendor_a):
    draft = draft_contract(manager, vendor_a)
    m = services.add_metric(contract=draft, actor=manager, calendar=china(), definition=dict(METRIC))
    SlaMetric.objects.filter(pk=m.pk).update(
        record_kind="case", definition={**m.definition, "record_kind": "case"}
    )
    return draft, m


def _pages(client, draft, m):
    return [
        client.get(f"/contracts/{draft.code}/sla/{m.pk}/").content.decode(),
        client.get(f"/contracts/{draft.code}/").content.decode(),
    ]


def test_an_invalid_stored_record_kind_is_said_to_be_ignored_by_imports_not_to_reject_every_row(
    as_user, manager, invalid_kind_metric
):
    draft, m = invalid_kind_metric
    editor, detail = _pages(as_user(manager), draft, m)
    assert "原记录类型“case”不是允许的记录类型，导入时不会用作默认记录类型" in editor
    assert "记录类型“case”不是允许的记录类型，导入时不会用作默认记录类型" in detail
    assert "每行都会被拒绝" not in editor + detail


def test_in_english_the_invalid_record_kind_is_called_a_record_kind_and_imports_ignore_it(
    as_user, manager, invalid_kind_metric
):
    draft, m = invalid_kind_metric
    manager.language = "en"
    manager.save(update_fields=["language"])
    with translation.override("zh-hans"):  # the request switches this thread to English; switch back after
        editor, detail = _pages(as_user(manager), draft, m)
    for page in (editor, detail):
        assert (
            "record kind “case” is not an allowed record kind, so imports do not use it as the default"
            in page
        )
        assert "reject every row" not in page and "record type" not in page.lower()


def test_an_invalid_record_kind_is_refused_in_english_as_a_record_kind(manager, vendor_a):
    from waibao.core.errors import DomainError

    draft = draft_contract(manager, vendor_a)
    with translation.override("en"), pytest.raises(DomainError) as exc:
        services.add_metric(
            contract=draft, actor=manager, calendar=china(), definition={**METRIC, "record_kind": "case"}
        )
    assert "is not an allowed record kind" in exc.value.fields["record_kind"]
