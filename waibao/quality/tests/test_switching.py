"""GB/T 2828.1 switching through the stream model: lots inspected one after another."""

import pytest

from waibao.core.errors import DomainError
from waibao.quality import services
from waibao.quality.models import Stage
from waibao.quality.tests.factories import make_plan

pytestmark = pytest.mark.django_db


def inspect(plan, actor, *, major, lot_ref, seed):
    insp = services.start_inspection(plan=plan, actor=actor, lot_ref=lot_ref, lot_size=1000, seed=seed)
    services.record_findings(
        inspection=insp, actor=actor, findings=[(i + 1, "major", "") for i in range(major)]
    )
    return services.complete_inspection(inspection=insp, actor=actor)


def test_fifth_rejected_lot_on_tightened_discontinues_even_with_accepted_lots_in_between(
    contract_a, quality_user
):
    plan = make_plan(contract_a, quality_user, name="cumulative", classes={"major": "1.5"})
    inspect(plan, quality_user, major=4, lot_ref="N1", seed=1)  # normal J: n=80, Ac 3
    inspect(plan, quality_user, major=4, lot_ref="N2", seed=2)
    stream = plan.streams.get()
    assert stream.stage == Stage.TIGHTENED
    pattern = "RARARARAR"  # tightened J: Ac 2; never 5 accepted in a row (that would return to normal)
    for number, outcome in enumerate(pattern, start=1):
        lot = inspect(
            plan, quality_user, major=3 if outcome == "R" else 0, lot_ref=f"T{number}", seed=10 + number
        )
        assert lot.class_results.get().stage == "tightened"
        stream.refresh_from_db()
        assert stream.tightened_not_accepted == pattern[:number].count("R")
        assert stream.discontinued is (number == len(pattern)), number
    last = stream.switches.order_by("-at", "-pk").first()
    assert last.discontinued and last.reason_code == "discontinued" and last.inspection.lot_ref == "T9"
    assert "9.4" in last.reason
    with pytest.raises(DomainError):
        services.start_inspection(plan=plan, actor=quality_user, lot_ref="X", lot_size=1000)


def test_rejections_before_a_return_to_normal_do_not_count_on_the_next_tightened_period(
    contract_a, quality_user
):
    plan = make_plan(contract_a, quality_user, name="periods", classes={"major": "1.5"})
    seeds = iter(range(100, 200))
    for outcome in "RR" + "RARRR" + "AAAAA" + "RR" + "RRRR":
        inspect(plan, quality_user, major=4 if outcome == "R" else 0, lot_ref="L", seed=next(seeds))
    stream = plan.streams.get()
    codes = [w.reason_code for w in stream.switches.order_by("at", "pk")]
    assert codes == ["normal_to_tightened", "tightened_to_normal", "normal_to_tightened"]
    # 4 rejections in the second tightened period (8 in all since the first one began).
    assert stream.stage == Stage.TIGHTENED and stream.tightened_not_accepted == 4
    assert not stream.discontinued
