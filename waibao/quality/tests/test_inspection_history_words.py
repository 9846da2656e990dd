"""An inspection's history names its counts in words: no raw ``nonconforming:`` key or class codes."""

import pytest

from waibao.quality import services

pytestmark = pytest.mark.django_db


def test_completed_inspection_history_labels_the_nonconforming_counts_in_english(
    contract_a, plan_a, quality_user, as_user
):
    insp = services.start_inspection(plan=plan_a, actor=quality_user, lot_ref="LOT-9", lot_size=500, seed=1)
    first = min(it.position for it in insp.items.all())
    services.record_findings(inspection=insp, actor=quality_user, findings=[(first, "major", "")])
    services.complete_inspection(inspection=insp, actor=quality_user)
    quality_user.language = "en"
    quality_user.save(update_fields=["language"])
    page = as_user(quality_user).get(f"/quality/inspections/{insp.code}/").content.decode()
    history = page[page.index('class="timeline') :]
    assert "nonconforming:" not in history and "Nonconforming:" in history
    assert "Major: 1" in history and "major:" not in history
