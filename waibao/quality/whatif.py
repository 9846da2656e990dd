"""The what-if tools: thin, validated wrappers over the pure sampling and SPC maths.

`waibao.lib.sampling` and `waibao.lib.spc` speak English ValueErrors for their own tests; these wrappers
turn them into DomainErrors that name the offending field, so the API, the pages and the services all
report bad input the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from waibao.core.errors import DomainError
from waibao.core.texts import join_list
from waibao.lib import sampling, spc


def _field_error(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: message})


def check_level(level: str) -> str:
    try:
        return sampling.normalize_level(level)
    except sampling.SamplingError:
        raise _field_error(
            "level", _("检验水平无效，可选：%(v)s。") % {"v": join_list(sampling.LEVELS)}
        ) from None


def check_aql(aql: Any) -> str:
    try:
        return sampling.normalize_aql(aql)
    except sampling.SamplingError:
        raise _field_error(
            "aql", _("AQL 须为 GB/T 2828.1 表 2-A 的优先值之一：%(v)s。") % {"v": ", ".join(sampling.AQLS)}
        ) from None


def check_stage(stage: str) -> str:
    if stage not in [s.value for s in sampling.Stage]:
        raise _field_error(
            "stage", _("检验严格度无效，可选：normal（正常）、tightened（加严）、reduced（放宽）。")
        )
    return stage


def check_lot_size(lot_size: Any) -> int:
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 2:
        raise _field_error("lot_size", _("批量须为不小于 2 的整数（GB/T 2828.1 表 1）。"))
    return lot_size


def plan(lot_size: int, level: str, aql: Any, stage: str = "normal") -> sampling.SamplingPlan:
    """The single sampling plan for a lot, or a DomainError naming the bad field."""
    size, lvl, aql_text, stage = (
        check_lot_size(lot_size),
        check_level(level),
        check_aql(aql),
        check_stage(stage),
    )
    try:
        return sampling.sampling_plan(size, lvl, aql_text, stage)
    except sampling.SamplingError as exc:  # a blank cell of Table 2-B
        raise _field_error(
            "aql", _("该代码字母和 AQL 在标准表中没有抽样方案：%(e)s") % {"e": str(exc)}
        ) from None


def plan_dict(p: sampling.SamplingPlan) -> dict[str, Any]:
    return {
        "code_letter": p.code_letter,
        "plan_code_letter": p.plan_code_letter,
        "sample_size": p.sample_size,
        "accept": p.accept,
        "reject": p.reject,
        "inspect_all": p.inspect_all,
    }


def simulate(
    *,
    start_stage: str,
    code_letter: str,
    aql: Any,
    steady_production: bool,
    reduced_approved: bool,
    lots: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    check_stage(start_stage)
    if not isinstance(code_letter, str) or code_letter.strip().upper() not in sampling.CODE_LETTERS:
        raise _field_error(
            "code_letter", _("样本量字码无效，可选：%(v)s。") % {"v": " ".join(sampling.CODE_LETTERS)}
        )
    aql_text = check_aql(aql)
    for i, lot in enumerate(lots):
        if "nonconforming" not in lot and "accepted" not in lot:
            raise _field_error(
                f"lots.{i}",
                _("第 %(n)s 批须给出 nonconforming（不合格品数）或 accepted（是否接收）。") % {"n": i + 1},
            )
    try:
        return sampling.simulate(
            start_stage, code_letter.strip().upper(), aql_text, steady_production, reduced_approved, lots
        )
    except sampling.SamplingError as exc:
        text = str(exc)
        index = text.split(":", 1)[0].removeprefix("lot ") if text.startswith("lot ") else ""
        field = f"lots.{index}" if index.isdigit() else "lots"
        raise DomainError(_("转移规则模拟失败：%(e)s") % {"e": text}, fields={field: text}) from None


def spc_signals(
    values: Sequence[float],
    *,
    center: float | None = None,
    sigma: float | None = None,
    ruleset: str = "nelson",
) -> dict[str, Any]:
    if ruleset not in ("nelson", "western_electric"):
        raise _field_error("ruleset", _("判异规则集须为 nelson 或 western_electric。"))
    if len(values) < 2 and (center is None or sigma is None):
        raise _field_error("values", _("至少需要 2 个数据点才能估计中心线和标准差。"))
    if sigma is not None and sigma < 0:
        raise _field_error("sigma", _("标准差不能为负数。"))
    try:
        return spc.signals(values, center=center, sigma=sigma, ruleset=ruleset)  # type: ignore[arg-type]
    except ValueError as exc:
        raise _field_error("values", str(exc)) from None


RULE_LABELS = {
    "nelson": {
        "1": _l("1 点超出 3σ"),
        "2": _l("连续 9 点在中心线同侧"),
        "3": _l("连续 6 点递增或递减"),
        "4": _l("连续 14 点交替上下"),
        "5": _l("3 点中有 2 点在同侧 2σ 外"),
        "6": _l("5 点中有 4 点在同侧 1σ 外"),
        "7": _l("连续 15 点在 1σ 内"),
        "8": _l("连续 8 点在 1σ 外（两侧）"),
    },
    "western_electric": {
        "1": _l("1 点超出 3σ"),
        "2": _l("3 点中有 2 点在同侧 2σ 外"),
        "3": _l("5 点中有 4 点在同侧 1σ 外"),
        "4": _l("连续 8 点在中心线同侧"),
    },
}
