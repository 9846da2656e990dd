"""Texts the system writes (NCR titles, notifications, e-mails) read in the reader's language, whoever
caused them and in whatever language; what a person typed stays as typed."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import translation

from waibao.quality import services
from waibao.quality.models import NcrSource, Severity

pytestmark = pytest.mark.django_db


def _missed_result(contract, *, target=Decimal("95"), closed=True):
    from waibao.calendars.models import Calendar
    from waibao.calendars.services import ensure_builtin_calendars
    from waibao.contracts.models import SlaMetric
    from waibao.delivery.models import SlaResult

    ensure_builtin_calendars()
    metric = SlaMetric.objects.create(
        contract=contract,
        name="P1 响应",
        record_kind="ticket",
        definition={},
        calendar=Calendar.objects.first(),
    )
    return SlaResult.objects.create(
        contract=contract,
        metric=metric,
        period="2026-03",
        period_start=date(2026, 3, 1),
        value=88.0,
        target=target,
        status="missed",
        closed=closed,
        computed_at=services.clock.now(),
    )


def _english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def test_an_ncr_from_an_sla_breach_opened_in_chinese_reads_in_english_for_an_english_reader(
    contract_a, quality_user, vendor_user_a, as_user
):
    with translation.override("zh-hans"):  # a Chinese session (or the nightly job) opens it
        ncr = services.open_ncr_for_sla_breach(result=_missed_result(contract_a), actor=quality_user)
    reader = as_user(_english(vendor_user_a))

    page = reader.get(f"/quality/ncrs/{ncr.code}/").content.decode()
    assert "SLA missed: P1 响应 (2026-03)" in page
    assert "Result 88.00, target 95 (sample" in page and "The period is closed." in page
    assert "SLA 未达标" not in page and "该周期已关账" not in page

    notices = reader.get("/notifications/").content.decode()
    assert f"Nonconformance notice: {ncr.code} SLA missed: P1 响应 (2026-03)" in notices
    assert "不合格通知" not in notices and "SLA 未达标" not in notices

    listed = as_user(quality_user).get("/quality/ncrs/").content.decode()
    assert "SLA 未达标：P1 响应（2026-03）" in listed


def test_an_ncr_from_an_sla_breach_opened_in_english_reads_in_chinese_for_a_chinese_reader(
    contract_a, quality_user, vendor_user_a, as_user
):
    with translation.override("en"):
        ncr = services.open_ncr_for_sla_breach(
            result=_missed_result(contract_a), actor=_english(quality_user)
        )
    assert ncr.title == "SLA missed: P1 响应 (2026-03)"  # the stored fallback, as first written
    reader = as_user(vendor_user_a)
    page = reader.get(f"/quality/ncrs/{ncr.code}/").content.decode()
    assert "SLA 未达标：P1 响应（2026-03）" in page and "SLA missed" not in page
    notices = reader.get("/notifications/").content.decode()
    assert f"不合格通知：{ncr.code} SLA 未达标：P1 响应（2026-03）" in notices


def test_the_api_gives_a_generated_ncr_title_in_the_callers_language(contract_a, quality_user, as_user):
    ncr = services.open_ncr_for_sla_breach(result=_missed_result(contract_a), actor=quality_user)
    body = as_user(_english(quality_user)).get(f"/api/v1/quality/ncrs/{ncr.code}").json()
    assert body["title"] == "SLA missed: P1 响应 (2026-03)"


def test_a_target_of_ninety_reads_90_not_an_exponent(contract_a, quality_user):
    ncr = services.open_ncr_for_sla_breach(
        result=_missed_result(contract_a, target=Decimal("90.00")), actor=quality_user
    )
    assert "目标 90（" in ncr.shown_description


def test_a_typed_ncr_title_stays_as_typed_for_every_reader(contract_a, quality_user, vendor_user_a, as_user):
    with translation.override("en"):
        ncr = services.open_nonconformance(
            contract=contract_a,
            actor=quality_user,
            source=NcrSource.OTHER,
            severity=Severity.MINOR,
            title="客户现场 3 次断线",
            description="周一上午断线三次。",
        )
    assert ncr.title_message is None and ncr.description_message is None
    page = as_user(_english(vendor_user_a)).get(f"/quality/ncrs/{ncr.code}/").content.decode()
    assert "客户现场 3 次断线" in page and "周一上午断线三次。" in page


def test_a_rejected_lot_ncr_lists_its_classes_with_english_punctuation(contract_a, plan_a, quality_user):
    from waibao.quality.models import Nonconformance

    insp = services.start_inspection(plan=plan_a, actor=quality_user, lot_ref="LOT-9", lot_size=500, seed=1)
    results = list(insp.class_results.all())
    assert len(results) == 2
    positions = sorted(it.position for it in insp.items.all())
    findings = [(pos, r.severity, "") for r in results for pos in positions[: r.reject]]
    services.record_findings(inspection=insp, actor=quality_user, findings=findings)
    with translation.override("zh-hans"):
        services.complete_inspection(inspection=insp, actor=quality_user)
    ncr = Nonconformance.objects.get(inspection=insp)
    assert "；" in ncr.shown_description and ncr.shown_title == "抽检批 LOT-9 不接收"
    with translation.override("en"):
        title, text = ncr.shown_title, ncr.shown_description
    assert title == "Lot LOT-9 not accepted"
    assert "Major: sample" in text and "; Minor: sample" in text
    assert not any(ch in text for ch in "，：（）；。、")


def test_a_notification_e_mail_is_written_in_the_recipients_language_when_sent(
    contract_a, quality_user, vendor_user_a, django_capture_on_commit_callbacks
):
    _english(vendor_user_a)
    with django_capture_on_commit_callbacks(execute=True), translation.override("zh-hans"):
        ncr = services.open_ncr_for_sla_breach(result=_missed_result(contract_a), actor=quality_user)
    sent = [m for m in mail.outbox if vendor_user_a.email in m.to]
    assert (
        sent
        and sent[0].subject == f"[Waibao] Nonconformance notice: {ncr.code} SLA missed: P1 响应 (2026-03)"
    )
    assert "Result 88.00" in sent[0].body


def test_a_notification_from_before_messages_were_kept_shows_its_stored_text(vendor_user_a, as_user):
    from waibao.notifications.models import Notification

    Notification.objects.create(
        user=_english(vendor_user_a),
        kind="x",
        title="旧的通知标题",
        body="旧内容",
        created_at=services.clock.now(),
    )
    page = as_user(vendor_user_a).get("/notifications/").content.decode()
    assert "旧的通知标题" in page and "旧内容" in page
