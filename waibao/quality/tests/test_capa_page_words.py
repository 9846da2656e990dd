"""The 8D page in words a reader uses: English punctuation and words in English ("In progress", "Due",
"Last verification: …"), a history that names step fields and root-cause categories (never "D4_whys" or
"method"), and an "Actions" card that says there is nothing left to do instead of standing empty."""

import re
from typing import Any

import pytest

from waibao.core import clock
from waibao.quality import services
from waibao.quality.models import NcrSource

pytestmark = pytest.mark.django_db

STEPS: dict[str, dict[str, Any]] = {f"D{i}": {"content": f"Step {i} text"} for i in range(1, 8)}
STEPS["D4"] = {"content": "Template lacks the field", "whys": ["No reply", "Not required"], "categories": ["method"]}


def _capa(contract, actor):
    ncr = services.open_nonconformance(
        contract=contract, actor=actor, source=NcrSource.AUDIT, severity="major", title="Audit finding"
    )
    return services.start_corrective_action(ncr=ncr, actor=actor)


def _english(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_open_8d_in_english_reads_in_progress_and_due(client, contract_a, quality_user):
    capa = _capa(contract_a, quality_user)
    html = _english(client, quality_user).get(f"/quality/capas/{capa.code}/").content.decode()
    assert '<span class="badge text-bg-info" id="capa-status">In progress</span>' in html
    assert "Due " in _text(html) and "Term " not in _text(html) and "Running" not in html


def test_an_import_job_still_reads_running_and_a_contract_term_still_term():
    from django.utils import translation

    from waibao.delivery.models import JobStatus

    with translation.override("en"):
        assert str(JobStatus.RUNNING.label) == "Running"
        assert translation.gettext("期限") == "Term"


def test_closed_8d_history_names_step_fields_and_categories_and_says_nothing_is_left_to_do(
    client, contract_a, quality_user, vendor_user_a
):
    capa = _capa(contract_a, quality_user)
    services.submit_capa(capa=capa, actor=vendor_user_a, steps=STEPS)
    services.accept_capa_plan(capa=capa, actor=quality_user, verify_after=clock.today())
    services.verify_capa(capa=capa, actor=quality_user, effective=True, note="November found none")
    html = _english(client, quality_user).get(f"/quality/capas/{capa.code}/").content.decode()
    text = _text(html)
    assert "Last verification: November found none" in text and "：" not in text.split("Change history")[0]
    assert "D4_whys" not in html and "D4_categories" not in html and "method" not in text
    assert "D4 whys:" in text and "D4 root-cause categories: Method" in text
    assert "D1 Team:" in text
    assert 'id="capa-nothing-to-do"' in html and "nothing is left to do" in text
    # Chinese: the step names and the category in Chinese, the colon full-width inside the sentence.
    quality_user.language = "zh-hans"
    quality_user.save(update_fields=["language"])
    text = _text(client.get(f"/quality/capas/{capa.code}/").content.decode())
    assert "最近验证：November found none" in text and "D4 原因类别: 法" in text and "8D 已结案" in text


def test_vendor_sees_why_there_is_no_action_after_submitting(client, contract_a, quality_user, vendor_user_a):
    capa = _capa(contract_a, quality_user)
    services.submit_capa(capa=capa, actor=vendor_user_a, steps=STEPS)
    html = _english(client, vendor_user_a).get(f"/quality/capas/{capa.code}/").content.decode()
    assert "waiting for the buyer&#x27;s review" in html or "waiting for the buyer's review" in html


FULL_WIDTH = re.compile(r"[：（），；。、]")


def test_ncr_source_line_in_english_uses_english_punctuation(client, contract_a, quality_user):
    ncr = services.open_nonconformance(
        contract=contract_a,
        actor=quality_user,
        source=NcrSource.AUDIT,
        severity="major",
        title="Audit finding",
        source_ref="AUD-7",
    )
    html = _english(client, quality_user).get(f"/quality/ncrs/{ncr.code}/").content.decode()
    match = re.search(r'<span id="ncr-source">(.*?)</span>', html, re.S)
    assert match is not None
    source = _text(match.group(1)).strip()
    assert source == "Source: Audit · AUD-7" and not FULL_WIDTH.search(source)
    quality_user.language = "zh-hans"
    quality_user.save(update_fields=["language"])
    html = client.get(f"/quality/ncrs/{ncr.code}/").content.decode()
    assert "来源：审核/稽核 · AUD-7" in _text(html)
