"""Stored messages (core.texts): a generated text keeps its message id and values and is rendered in the
language of whoever reads it; lists are joined with the reader's punctuation."""

from datetime import date

from django.utils import translation
from django.utils.translation import gettext_lazy, pgettext_lazy

from waibao.core.texts import Joined, Later, freeze, join_clauses, join_list, render, thaw


def test_a_generated_message_is_stored_as_its_id_and_values_and_read_in_each_language():
    title = Later(gettext_lazy("%(code)s 已到期"), {"code": "CT-2026-0001"})
    with translation.override("zh-hans"):
        message = freeze(title)
    assert message == {"id": "%(code)s 已到期", "params": {"code": "CT-2026-0001"}}
    with translation.override("en"):
        assert render(message) == "CT-2026-0001 has expired"
    with translation.override("zh-hans"):
        assert render(message) == "CT-2026-0001 已到期"


def test_nested_messages_labels_dates_and_lists_survive_storage():
    inner = Later(gettext_lazy("%(code)s 已到期"), {"code": "CT-1"})
    outer = Later(
        gettext_lazy("不合格通知：%(c)s %(t)s"),
        {"c": "NCR-1", "t": Joined([inner, pgettext_lazy("list separator", "、"), date(2026, 3, 1)])},
    )
    message = freeze(outer)
    assert freeze(thaw(message)) == message
    with translation.override("en"):
        assert render(message) == "Nonconformance notice: NCR-1 CT-1 has expired, , , 2026-03-01"


def test_typed_text_has_no_message_and_a_broken_message_shows_the_stored_text():
    assert freeze("客户现场断线") is None and freeze(Later("纯文本")) is None
    assert render(None, "客户现场断线") == "客户现场断线"
    assert render({"id": "%(code)s 已到期", "params": {"c": "CT-1"}}, "旧文本") == "旧文本"


def test_lists_are_joined_with_the_readers_punctuation():
    with translation.override("en"):
        assert join_clauses([join_list(["a", "b"]), "c"]) == "a, b; c"
    with translation.override("zh-hans"):
        assert join_clauses([join_list(["甲", "乙"]), "丙"]) == "甲、乙；丙"
