"""core.actions: where a refused action's messages go, and each form reading back only its own refusal."""

from django import forms
from django.http import QueryDict
from django.template import Context, Template

from waibao.core.actions import Refusal
from waibao.core.errors import DomainError
from waibao.core.forms import apply_domain_error, place_domain_error


def test_field_messages_go_beside_their_fields_and_the_general_message_on_top():
    exc = DomainError("致命不合格必须经过 8D 才能关闭。", fields={"reason": "须先发起 8D。"})
    assert place_domain_error(exc, ["reason"]) == ({"reason": ["须先发起 8D。"]}, [exc.message])


def test_a_general_message_that_repeats_the_field_message_is_said_once():
    exc = DomainError("必须填写原因。", fields={"reason": "必须填写原因。"})
    assert place_domain_error(exc, ["reason"]) == ({"reason": ["必须填写原因。"]}, [])


def test_a_message_for_a_field_the_form_lacks_goes_on_top_without_the_field_code():
    exc = DomainError("不能从“草稿”变更为“关闭”。", fields={"status": "状态不允许。"})
    inline, top = place_domain_error(exc, ["reason"])
    assert inline == {} and top == ["不能从“草稿”变更为“关闭”。", "状态不允许。"]
    assert not any("status" in m for m in top)


def test_a_field_name_written_for_people_leads_its_message():
    exc = DomainError("导入失败。", fields={"第 3 行": "日期无效。"})
    assert place_domain_error(exc, [])[1] == ["导入失败。", "第 3 行: 日期无效。"]


def test_django_forms_and_action_forms_place_messages_the_same_way():
    class F(forms.Form):
        reason = forms.CharField(required=False)

    exc = DomainError(
        "致命不合格必须经过 8D 才能关闭。", fields={"reason": "须先发起 8D。", "steps": "缺步骤。"}
    )
    form = F({"reason": "已围堵"})
    form.is_valid()
    apply_domain_error(form, exc)
    refusal = Refusal.of("close", QueryDict("reason=已围堵"), exc)
    assert form.errors["reason"] == refusal.errors["reason"]
    assert list(form.non_field_errors()) == refusal.messages


def test_each_form_reads_back_only_its_own_refusal():
    exc = DomainError("须先发起 8D。", fields={"reason": "须先发起 8D。"})
    refused = Refusal.of("close", QueryDict("reason=已电话确认"), exc)
    html = Template(
        "{% load action_forms %}"
        "[{% kept 'close' 'reason' %}|{% kept 'cancel' 'reason' %}|{% kept 'cancel' 'reason' 'old' %}]"
        "{% field_errors 'close' 'reason' %}{% invalid 'cancel' 'reason' %}"
    ).render(Context({"refused": refused}))
    assert html.startswith("[已电话确认||old]")
    assert '<div class="invalid-feedback d-block">须先发起 8D。</div>' in html
    assert "is-invalid" not in html
    assert refused.shown


def test_a_repeated_form_is_told_apart_by_its_key():
    refused = Refusal.of("resume", QueryDict("why=已验证"), DomainError("x", fields={"why": "x"}), key=7)
    html = Template(
        "{% load action_forms %}[{% kept 'resume' 'why' key=6 %}|{% kept 'resume' 'why' key=7 %}]"
    )
    assert html.render(Context({"refused": refused})) == "[|已验证]"


def test_typed_text_is_escaped_when_shown_again():
    refused = Refusal.of("close", QueryDict("reason=%3Cscript%3E"), DomainError("x"))
    html = Template("{% load action_forms %}{% kept 'close' 'reason' %}").render(
        Context({"refused": refused})
    )
    assert html == "&lt;script&gt;"
