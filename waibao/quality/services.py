"""Every write of the quality module. Pages, the API, the portal, commands and the demo come through here.

Each function is keyword-only, takes the `actor`, returns the object it changed, raises DomainError with
a translated message naming the field, and leaves an audit event inside its transaction.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from waibao.core import audit, clock, limits, texts
from waibao.core.errors import DomainError, require_transition
from waibao.core.files import store
from waibao.core.numbers import column_errors, finite_float
from waibao.core.texts import Later, join_clauses, join_list
from waibao.lib import sampling
from waibao.quality import whatif
from waibao.quality.models import (
    CAPA_TRANSITIONS,
    COMPLAINT_TRANSITIONS,
    CSAT_RANGES,
    DEFAULT_REVIEW_LEVELS,
    DELIVERABLE_TRANSITIONS,
    INSPECTION_TRANSITIONS,
    NCR_TRANSITIONS,
    VENDOR_STEPS,
    CapaStatus,
    CapaStep,
    CauseCategory,
    Channel,
    ClassResult,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    CorrectiveAction,
    CsatScale,
    DefectClass,
    Deliverable,
    DeliverableStatus,
    DeliverableVersion,
    Evidence,
    Finding,
    Inspection,
    InspectionItem,
    InspectionStatus,
    InspectionStream,
    LotKind,
    NcrSource,
    NcrStatus,
    Nonconformance,
    QualityPlan,
    ReviewDecision,
    ReviewDecisionKind,
    SatisfactionResult,
    Severity,
    Step,
    StreamSwitch,
)

SEVERITY_ORDER = [Severity.CRITICAL, Severity.MAJOR, Severity.MINOR]
MAX_SAMPLE_ITEMS = 5000


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _next_code(model: Any, prefix: str) -> str:
    year = clock.today().year
    stem = f"{prefix}-{year}-"
    last = (
        model.objects.filter(code__startswith=stem).order_by("-code").values_list("code", flat=True).first()
    )
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{n:04d}"


def _move(obj: Any, table: Mapping[str, set[str]], to: str, labels: Any) -> str:
    old = str(obj.status)
    require_transition(table, old, to, labels)
    obj.status = to
    return old


def vendor_users(vendor_id: int) -> list[Any]:
    from waibao.accounts.models import Role, User

    return list(User.objects.filter(vendor_id=vendor_id, role=Role.VENDOR, is_active=True))


def _buyer_quality_users() -> list[Any]:
    from waibao.accounts.models import Role, User

    return list(User.objects.filter(role__in=[Role.QUALITY, Role.MANAGER], is_active=True))


def _notify(
    users: Iterable[Any],
    *,
    kind: str,
    title: str | Later,
    body: str | Later = "",
    url: str = "",
    key: str | None = None,
) -> None:
    """Send through the notifications app; a no-op if that app is not installed."""
    recipients = [u for u in users if u is not None]
    if not recipients:
        return
    try:
        from waibao.notifications.services import notify
    except ImportError:
        return
    notify(users=recipients, kind=kind, title=title, body=body, url=url, key=key)


# --- quality plans ------------------------------------------------------------------------------

PLAN_FIELDS = [
    "name",
    "lot_kind",
    "lot_description",
    "level",
    "characteristics",
    "review_levels",
    "steady_production",
    "reduced_approved",
    "verify_after_days",
    "capa_step_days",
    "active",
]


def _default_severity(classes: Iterable[str]) -> str:
    present = set(classes)
    if Severity.MAJOR in present or not present:
        return str(Severity.MAJOR)
    return str(next(s for s in SEVERITY_ORDER if s in present))


SEVERITY_ALIASES = {
    "致命": "critical",
    "严重": "major",
    "轻微": "minor",
    "a": "critical",
    "b": "major",
    "c": "minor",
}


def _spec_limit(raw: Any) -> float:
    """A specification limit: a number within ``core.numbers.FLOAT_LIMIT`` (JSON cannot keep infinity)."""
    value = finite_float(raw)
    if value is None:
        raise ValueError(raw)
    return value


def _clean_characteristics(items: Any, classes: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Validate the plan's characteristics; a variable one names the defect class its failures count in."""
    class_set = {str(c) for c in classes}
    out: list[dict[str, Any]] = []
    names: set[str] = set()
    for i, raw in enumerate(items or []):
        if isinstance(raw, str):
            raw = {"name": raw}
        name = str(raw.get("name", "")).strip()
        if not name:
            raise DomainError(
                _("第 %(n)s 个检验特性缺少名称。") % {"n": i + 1},
                fields={"characteristics": _("检验特性须有名称。")},
            )
        kind = raw.get("kind") or "attribute"
        if kind not in ("attribute", "variable"):
            raise DomainError(
                _("检验特性“%(n)s”的类型须为 attribute 或 variable。") % {"n": name},
                fields={"characteristics": _("类型无效。")},
            )
        lsl, usl = raw.get("lsl"), raw.get("usl")
        if kind == "variable":
            try:
                lsl = None if lsl in (None, "") else _spec_limit(lsl)
                usl = None if usl in (None, "") else _spec_limit(usl)
            except (TypeError, ValueError):
                raise DomainError(
                    _("检验特性“%(n)s”的规格限须为数字。") % {"n": name},
                    fields={"characteristics": _("规格限须为数字。")},
                ) from None
            if lsl is None and usl is None:
                raise DomainError(
                    _("计量特性“%(n)s”至少需要一个规格限。") % {"n": name},
                    fields={"characteristics": _("缺少规格限。")},
                )
            if lsl is not None and usl is not None and lsl >= usl:
                raise DomainError(
                    _("检验特性“%(n)s”的下限须小于上限。") % {"n": name},
                    fields={"characteristics": _("下限须小于上限。")},
                )
        else:
            lsl = usl = None
        if name in names:
            raise DomainError(
                _("检验特性“%(n)s”重复。") % {"n": name}, fields={"characteristics": _("特性名称不能重复。")}
            )
        names.add(name)
        item: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "lsl": lsl,
            "usl": usl,
            "unit": str(raw.get("unit", "") or "").strip()[:20],
        }
        given = str(raw.get("severity") or "").strip()
        if kind == "variable" or given:
            # A check item (attribute) may name its class too; without one it counts in the default class.
            severity = SEVERITY_ALIASES.get(given.lower(), SEVERITY_ALIASES.get(given, given))
            if not severity:
                severity = _default_severity(class_set)
            if severity not in Severity.values or (class_set and severity not in class_set):
                raise DomainError(
                    _("计量特性“%(n)s”的缺陷类别须是本计划设置了 AQL 的类别。") % {"n": name}
                    if kind == "variable"
                    else _("检验项目“%(n)s”的缺陷类别须是本计划设置了 AQL 的类别。") % {"n": name},
                    fields={"characteristics": _("缺陷类别无效或未设置 AQL。")},
                )
            item["severity"] = severity
        out.append(item)
    return out


def _clean_classes(classes: Mapping[str, Any]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for severity, aql in classes.items():
        if severity not in Severity.values:
            raise DomainError(
                _("缺陷类别无效：%(s)s。") % {"s": severity},
                fields={"classes": _("缺陷类别须为 critical、major 或 minor。")},
            )
        if aql in (None, ""):
            continue
        try:
            cleaned[severity] = whatif.check_aql(aql)
        except DomainError:
            raise DomainError(
                _("%(c)s 的 AQL %(a)s 不是标准优先值。") % {"c": Severity(severity).label, "a": aql},
                fields={f"aql_{severity}": _("AQL 须为标准优先值。")},
            ) from None
    if not cleaned:
        raise DomainError(
            _("至少为一个缺陷类别设置 AQL。"), fields={"aql_major": _("至少设置一个缺陷类别的 AQL。")}
        )
    return cleaned


def _clean_levels(levels: Any) -> list[str]:
    names = [str(x).strip() for x in (levels or []) if str(x).strip()]
    if not names:
        return list(DEFAULT_REVIEW_LEVELS)
    if len(names) > 6:
        raise DomainError(_("审核链最多 6 级。"), fields={"review_levels": _("最多 6 级。")})
    return names


@transaction.atomic
def create_plan(
    *,
    contract: Any,
    actor: Any,
    name: str,
    classes: Mapping[str, Any],
    level: str = "II",
    lot_kind: str = LotKind.SERVICE_RECORDS,
    lot_description: str = "",
    characteristics: Any = None,
    review_levels: Any = None,
    steady_production: bool = True,
    reduced_approved: bool = False,
    verify_after_days: int = 30,
    capa_step_days: int = 7,
    inspectors: Iterable[Any] = (),
) -> QualityPlan:
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("名称不能为空。")
    if lot_kind not in LotKind.values:
        errors["lot_kind"] = _("批的组成方式无效。")
    days = {"verify_after_days": verify_after_days, "capa_step_days": capa_step_days}
    _int_field(days, "verify_after_days", 0, errors)
    _int_field(days, "capa_step_days", 1, errors)
    if errors:
        raise DomainError(_("质量计划信息有误。"), fields=errors)
    cleaned = _clean_classes(classes)
    people = _clean_inspectors(inspectors)
    plan = QualityPlan.objects.create(
        contract=contract,
        name=name.strip(),
        level=whatif.check_level(level),
        lot_kind=lot_kind,
        lot_description=(lot_description or "").strip(),
        characteristics=_clean_characteristics(characteristics, cleaned),
        review_levels=_clean_levels(review_levels),
        steady_production=steady_production,
        reduced_approved=reduced_approved,
        verify_after_days=days["verify_after_days"],
        capa_step_days=days["capa_step_days"],
    )
    if people:
        plan.inspectors.set(people)
    for severity, aql in cleaned.items():
        dc = DefectClass.objects.create(plan=plan, severity=severity, aql=aql)
        InspectionStream.objects.create(contract=contract, plan=plan, defect_class=dc)
    changes = audit.created(plan, PLAN_FIELDS)
    changes["classes"] = [None, cleaned]
    if people:
        changes["inspectors"] = [None, sorted(u.username for u in people)]
    audit.record(actor, "quality.plan.created", plan, changes=changes)
    return plan


def _clean_inspectors(users: Iterable[Any] | None) -> list[Any]:
    """Plan inspectors must be active buyer users whose role may inspect (quality staff or admins)."""
    from waibao.accounts import policy

    people = list(users or [])
    bad = [u for u in people if not (u.is_active and policy.can(u, "quality.inspect"))]
    if bad:
        raise DomainError(
            _("%(u)s 的角色不能执行抽检，不能指定为检验员。") % {"u": join_list(str(u) for u in bad)},
            fields={"inspectors": _("只能指定质量人员或管理员。")},
        )
    return people


#: The most days a plan's waits may name (ten years): due dates are counted forward with them.
MAX_PLAN_DAYS = 3650


def _int_field(values: dict[str, Any], name: str, low: int, errors: dict[str, str]) -> None:
    if name not in values:
        return
    try:
        values[name] = int(values[name])
    except (TypeError, ValueError):
        errors[name] = _("须为整数。")
        return
    if values[name] < low:
        errors[name] = _("不能小于 %(n)s。") % {"n": low}
    elif values[name] > MAX_PLAN_DAYS:
        errors[name] = _("天数不能超过 %(n)s。") % {"n": f"{MAX_PLAN_DAYS:,}"}


def _credit_reset(stream: InspectionStream, *, actor: Any, reason_code: str, reason: str) -> None:
    """A class's AQL or the plan's level changed: keep the stage and every past switch; start the
    counters that credit accepted lots again (they were earned against the old plan), keep the ones
    that count rejections (those lots really were rejected). One history row says so."""
    old = (stream.switching_score, stream.tightened_consecutive_accepted)
    stream.switching_score = 0
    stream.tightened_consecutive_accepted = 0
    stream.version += 1
    stream.save(update_fields=["switching_score", "tightened_consecutive_accepted", "version", "updated_at"])
    StreamSwitch.objects.create(
        stream=stream,
        from_stage=stream.stage,
        to_stage=stream.stage,
        discontinued=stream.discontinued,
        reason_code=reason_code,
        reason=reason,
        actor=_user(actor),
        at=clock.now(),
    )
    audit.record(
        actor,
        "quality.stream.plan_changed",
        stream,
        changes={
            "switching_score": [old[0], 0],
            "tightened_consecutive_accepted": [old[1], 0],
        },
        message=reason,
        vendor_id=stream.contract.vendor_id,
    )


@transaction.atomic
def update_plan(
    *,
    plan: QualityPlan,
    actor: Any,
    classes: Mapping[str, Any] | None = None,
    inspectors: Iterable[Any] | None = None,
    expected_version: int | None = None,
    **values: Any,
) -> QualityPlan:
    """Edit a plan. `classes` maps severity → AQL; a blank AQL removes a class that was never inspected.

    What happens to the inspection streams (the switching history is never rewritten):
    - past and still-open inspections keep the AQL, stage and sample plan they were drawn with (each
      ClassResult stores its own plan), so completing an open inspection uses its original plan;
    - a class whose AQL changes (or every class, when the inspection level changes) keeps its stage,
      its suspension and all earlier switch records; its switching score and its run of accepted lots
      under tightened inspection restart from 0, because they were earned against the old plan; the
      counts of rejected lots are kept; a history row on the stream records the change and why;
    - a new class starts a new stream on normal inspection;
    - a class that has been inspected cannot be removed (its results refer to it): change its AQL.
    """
    from waibao.core.errors import ConflictError

    plan = QualityPlan.objects.select_for_update(of=("self",)).select_related("contract").get(pk=plan.pk)
    if expected_version is not None and int(expected_version) != plan.version:
        raise ConflictError(_("该质量计划已被他人修改，请刷新后重试。"))
    unknown = sorted(set(values) - set(PLAN_FIELDS))
    if unknown:
        raise DomainError(
            _("不能修改的字段：%(f)s。") % {"f": ", ".join(unknown)},
            fields={k: _("未知或不可修改的字段。") for k in unknown},
        )
    before = audit.snapshot(plan, PLAN_FIELDS)
    data = dict(values)
    errors: dict[str, str] = {}
    if "name" in data:
        data["name"] = str(data["name"] or "").strip()
        if not data["name"]:
            errors["name"] = _("名称不能为空。")
    if "lot_kind" in data and data["lot_kind"] not in LotKind.values:
        errors["lot_kind"] = _("批的组成方式无效。")
    if "level" in data:
        try:
            data["level"] = whatif.check_level(data["level"])
        except DomainError as exc:
            errors["level"] = exc.fields.get("level", exc.message)
    _int_field(data, "verify_after_days", 0, errors)
    _int_field(data, "capa_step_days", 1, errors)
    if "lot_description" in data:
        data["lot_description"] = str(data["lot_description"] or "").strip()[:200]
    for flag in ("steady_production", "reduced_approved", "active"):
        if flag in data:
            data[flag] = bool(data[flag])
    existing = {dc.severity: dc for dc in plan.defect_classes.select_related("stream")}
    target: dict[str, str] = {s: dc.aql for s, dc in existing.items()}
    if classes is not None:
        for severity, aql in classes.items():
            if severity not in Severity.values:
                errors["classes"] = _("缺陷类别须为 critical、major 或 minor。")
                continue
            if aql in (None, ""):
                target.pop(severity, None)
                continue
            try:
                target[severity] = whatif.check_aql(aql)
            except DomainError:
                errors[f"aql_{severity}"] = _("AQL 须为标准优先值：%(v)s。") % {"v": ", ".join(sampling.AQLS)}
        if not target and not errors:
            errors["aql_major"] = _("至少设置一个缺陷类别的 AQL。")
        for severity in set(existing) - set(target):
            if ClassResult.objects.filter(stream__defect_class=existing[severity]).exists():
                errors[f"aql_{severity}"] = _("该类别已有抽检记录，不能删除；可以调整 AQL。")
    if errors:
        raise DomainError(_("质量计划信息有误，请检查标出的字段。"), fields=errors)
    if "characteristics" in data or classes is not None:
        data["characteristics"] = _clean_characteristics(
            data.get("characteristics", plan.characteristics), target
        )
    if "review_levels" in data:
        data["review_levels"] = _clean_levels(data["review_levels"])
    people = _clean_inspectors(inspectors) if inspectors is not None else None
    level_changed = "level" in data and data["level"] != plan.level
    for k, v in data.items():
        setattr(plan, k, v)
    plan.version += 1
    plan.save(update_fields=[*data.keys(), "version", "updated_at"])
    changes = audit.diff(before, audit.snapshot(plan, PLAN_FIELDS))
    if people is not None:
        old_people = sorted(u.username for u in plan.inspectors.all())
        new_people = sorted(u.username for u in people)
        if old_people != new_people:
            plan.inspectors.set(people)
            changes["inspectors"] = [old_people, new_people]
    for severity in set(existing) - set(target):
        changes[f"aql_{severity}"] = [existing[severity].aql, None]
        existing[severity].delete()
    for severity, aql in target.items():
        dc = existing.get(severity)
        if dc is None:
            dc = DefectClass.objects.create(plan=plan, severity=severity, aql=aql)
            InspectionStream.objects.create(contract=plan.contract, plan=plan, defect_class=dc)
            changes[f"aql_{severity}"] = [None, aql]
            continue
        reasons = []
        if dc.aql != aql:
            changes[f"aql_{severity}"] = [dc.aql, aql]
            reasons.append(_("AQL %(a)s → %(b)s") % {"a": dc.aql, "b": aql})
            dc.aql = aql
            dc.save(update_fields=["aql"])
        if level_changed:
            reasons.append(_("检验水平 %(a)s → %(b)s") % {"a": before["level"], "b": plan.level})
        if reasons:
            stream = (
                InspectionStream.objects.select_for_update(of=("self",))
                .select_related("contract")
                .get(defect_class=dc)
            )
            _credit_reset(
                stream,
                actor=actor,
                reason_code="plan_changed",
                reason=_("质量计划变更（%(r)s）：保持当前严格度，转移得分与加严连续接收批数重新计算。")
                % {"r": join_clauses(str(r) for r in reasons)},
            )
    if changes:
        audit.record(actor, "quality.plan.updated", plan, changes=changes)
    return plan


# --- switching state ----------------------------------------------------------------------------


def stream_state(stream: InspectionStream) -> sampling.SwitchingState:
    return sampling.SwitchingState(
        stage=sampling.Stage(stream.stage),
        switching_score=stream.switching_score,
        recent_normal=tuple(bool(x) for x in stream.recent_normal),
        tightened_consecutive_accepted=stream.tightened_consecutive_accepted,
        tightened_not_accepted=stream.tightened_not_accepted,
        discontinued=stream.discontinued,
    )


def _apply_state(
    stream: InspectionStream,
    state: sampling.SwitchingState,
    reason: str,
    *,
    actor: Any,
    inspection: Inspection | None = None,
) -> StreamSwitch | None:
    old_stage, old_disc = stream.stage, stream.discontinued
    stream.stage = state.stage.value
    stream.switching_score = state.switching_score
    stream.recent_normal = list(state.recent_normal)
    stream.tightened_consecutive_accepted = state.tightened_consecutive_accepted
    stream.tightened_not_accepted = state.tightened_not_accepted
    stream.discontinued = state.discontinued
    stream.version += 1
    stream.save(
        update_fields=[
            "stage",
            "switching_score",
            "recent_normal",
            "tightened_consecutive_accepted",
            "tightened_not_accepted",
            "discontinued",
            "version",
            "updated_at",
        ]
    )
    if old_stage == stream.stage and old_disc == stream.discontinued:
        return None
    switch = StreamSwitch.objects.create(
        stream=stream,
        inspection=inspection,
        from_stage=old_stage,
        to_stage=stream.stage,
        discontinued=stream.discontinued,
        reason_code=sampling.reason_code(reason),
        reason=reason,
        actor=_user(actor),
        at=clock.now(),
    )
    audit.record(
        actor,
        "quality.stream.switched",
        stream,
        changes={"stage": [old_stage, stream.stage], "discontinued": [old_disc, stream.discontinued]},
        message=reason,
        vendor_id=stream.contract.vendor_id,
    )
    return switch


@transaction.atomic
def resume_stream(*, stream: InspectionStream, actor: Any, why: str) -> InspectionStream:
    """9.4: after the supplier's corrective action is accepted, inspection resumes on tightened."""
    stream = (
        InspectionStream.objects.select_for_update(of=("self",)).select_related("contract").get(pk=stream.pk)
    )
    if not (why or "").strip():
        raise DomainError(_("请说明恢复检验的依据（如纠正措施已验证）。"), fields={"why": _("必须填写。")})
    try:
        state, reason = sampling.resume(stream_state(stream))
    except sampling.SamplingError:
        raise DomainError(_("该检验流没有暂停，无需恢复。"), fields={"why": _("检验流未暂停。")}) from None
    _apply_state(stream, state, f"{reason} — {why.strip()}", actor=actor)
    return stream


@transaction.atomic
def reinstate_normal(*, stream: InspectionStream, actor: Any, why: str) -> InspectionStream:
    """9.3.4 c): from reduced back to normal when other conditions warrant it."""
    stream = (
        InspectionStream.objects.select_for_update(of=("self",)).select_related("contract").get(pk=stream.pk)
    )
    try:
        state, reason = sampling.reinstate_normal(stream_state(stream), why or "")
    except sampling.SamplingError:
        raise DomainError(
            _("只有处于放宽检验的检验流可以恢复正常检验，且须说明原因。"), fields={"why": _("必须填写原因。")}
        ) from None
    _apply_state(stream, state, reason, actor=actor)
    return stream


# --- inspections --------------------------------------------------------------------------------


def draw_sample(seed: int, lot_size: int, n: int) -> list[int]:
    """Reproducible simple random sample: the 0-based lot indices drawn, in drawing order.

    The same seed, lot size and sample size always give the same items (Python's Mersenne Twister is
    stable across versions for `random.Random(int).sample(range)`), so anyone can re-draw and check.
    """
    n = min(n, lot_size)
    return random.Random(seed).sample(range(lot_size), n)


def _lot_records(plan: QualityPlan, period_start: date | None, period_end: date | None) -> list[str] | None:
    """The contract's service records of the period, when the delivery app provides them (else None)."""
    if plan.lot_kind != LotKind.SERVICE_RECORDS or period_start is None or period_end is None:
        return None
    try:
        from waibao.delivery.models import ServiceRecord  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    # The lot is the local calendar days the user chose (installation time zone), not UTC days.
    start, end = clock.day_range(period_start, period_end)
    refs = (
        ServiceRecord.objects.filter(contract_id=plan.contract_id, opened_at__gte=start, opened_at__lt=end)
        .order_by("opened_at", "id")
        .values_list("external_id", flat=True)
    )
    return [str(r) for r in refs]


def plans_for(plan: QualityPlan, lot_size: int) -> list[tuple[InspectionStream, sampling.SamplingPlan]]:
    out = []
    for stream in plan.streams.select_related("defect_class").order_by("defect_class__severity"):
        p = (
            sampling.sampling_plan(lot_size, plan.level, stream.defect_class.aql, stream.stage)
            if lot_size >= 2
            else None
        )
        if p is None:
            p = sampling.SamplingPlan(
                "A", "A", lot_size, 0, 1, True, sampling.Stage(stream.stage), stream.defect_class.aql
            )
        out.append((stream, p))
    return out


def may_inspect(plan: QualityPlan, user: Any) -> bool:
    """When a plan names inspectors, only they (and admins) may inspect its lots; otherwise anyone whose
    role may inspect. System actors (commands, the demo) are not people and are not checked."""
    from waibao.accounts import policy

    if not getattr(user, "pk", None):
        return True
    if policy.role_of(user) == "admin":
        return True
    ids = {u.pk for u in plan.inspectors.all()}
    return not ids or user.pk in ids


def require_inspector(plan: QualityPlan, user: Any) -> None:
    """403 with a message naming the assigned inspectors (the API answers `forbidden`)."""
    if may_inspect(plan, user):
        return
    names = join_list(str(u) for u in plan.inspectors.all())
    raise DomainError(
        _("质量计划“%(p)s”指定了检验员（%(n)s），只有他们或管理员可以记录检验结果和判定。")
        % {"p": plan.name, "n": names},
        fields={"inspector": _("您不是该计划指定的检验员。")},
        code="forbidden",
        status=403,
    )


@transaction.atomic
def start_inspection(
    *,
    plan: QualityPlan,
    actor: Any,
    lot_ref: str,
    lot_size: int | None = None,
    items: Sequence[str] | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    seed: int | None = None,
    original: bool = True,
    notes: str = "",
) -> Inspection:
    """Open an inspection of a lot and draw its sample.

    The lot's items are, in order of preference: the contract's service records of the period (when the
    delivery app is installed), the item list the inspector gives, or units numbered 1..lot_size. The
    sample is drawn once with a stored seed; each defect class inspects the first n of it, n from its plan.
    """
    errors: dict[str, str] = {}
    if not (lot_ref or "").strip():
        errors["lot_ref"] = _("请填写批号。")
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = _("周期结束不能早于开始。")
    if not plan.active:
        errors["plan"] = _("该质量计划已停用。")
    if errors:
        raise DomainError(_("抽检信息有误。"), fields=errors)
    require_inspector(plan, actor)
    refs = _lot_records(plan, period_start, period_end)
    if refs is None and items:
        refs = [str(x).strip() for x in items if str(x).strip()]
        dupes = {r for r in refs if refs.count(r) > 1}
        if dupes:
            raise DomainError(
                _("批中的条目重复：%(d)s。") % {"d": join_list(sorted(dupes)[:5])},
                fields={"items": _("条目不能重复。")},
            )
    if refs is not None:
        if lot_size not in (None, len(refs)) and items:
            raise DomainError(
                _("批量 %(a)s 与条目数 %(b)s 不一致。") % {"a": lot_size, "b": len(refs)},
                fields={"lot_size": _("与条目数不一致。")},
            )
        lot_size = len(refs)
    if not lot_size or lot_size < 2:
        raise DomainError(
            _("批量须不小于 2（该周期内没有足够的记录或条目）。"), fields={"lot_size": _("批量须不小于 2。")}
        )
    streams = [s for s, _p in plans_for(plan, lot_size)]
    blocked = [s for s in streams if s.discontinued]
    if blocked:
        raise DomainError(
            _("检验流“%(s)s”已按 GB/T 2828.1 9.4 暂停检验，须在供应商纠正后恢复。")
            % {"s": blocked[0].defect_class},
            fields={"plan": _("检验已暂停。")},
        )
    plans = plans_for(plan, lot_size)
    n = max(p.sample_size for _s, p in plans)
    if n > MAX_SAMPLE_ITEMS:
        raise DomainError(
            _("样本量 %(n)s 超过单次抽检上限 %(m)s。") % {"n": n, "m": MAX_SAMPLE_ITEMS},
            fields={"lot_size": _("样本过大。")},
        )
    seed = int(seed) if seed is not None else random.SystemRandom().randrange(1, 2**62)
    inspection = Inspection.objects.create(
        code=_next_code(Inspection, "INS"),
        contract=plan.contract,
        plan=plan,
        lot_ref=lot_ref.strip(),
        lot_kind=plan.lot_kind,
        period_start=period_start,
        period_end=period_end,
        lot_size=lot_size,
        seed=seed,
        original=original,
        inspector=_user(actor),
        notes=notes,
    )
    indices = draw_sample(seed, lot_size, n)
    InspectionItem.objects.bulk_create(
        [
            InspectionItem(
                inspection=inspection,
                position=i + 1,
                lot_index=idx + 1,
                ref=refs[idx] if refs else f"#{idx + 1}",
            )
            for i, idx in enumerate(indices)
        ]
    )
    ClassResult.objects.bulk_create(
        [
            ClassResult(
                inspection=inspection,
                stream=s,
                severity=s.defect_class.severity,
                aql=s.defect_class.aql,
                stage=s.stage,
                code_letter=p.code_letter,
                plan_code_letter=p.plan_code_letter,
                sample_size=p.sample_size,
                accept=p.accept,
                reject=p.reject,
                inspect_all=p.inspect_all,
            )
            for s, p in plans
        ]
    )
    audit.record(
        actor,
        "quality.inspection.sampled",
        inspection,
        changes=audit.created(
            inspection, ["code", "lot_ref", "lot_size", "seed", "period_start", "period_end", "original"]
        ),
    )
    return inspection


def check_items(plan: QualityPlan) -> list[dict[str, Any]]:
    """The plan's check items (attribute characteristics), each with the defect class its failures count in."""
    default = _default_severity(plan.defect_classes.values_list("severity", flat=True))
    return [
        {**c, "severity": c.get("severity") or default}
        for c in (plan.characteristics or [])
        if c.get("kind", "attribute") == "attribute"
    ]


@transaction.atomic
def record_findings(*, inspection: Inspection, actor: Any, findings: Iterable[Sequence[Any]]) -> Inspection:
    """Replace the findings: (item position, severity, note[, failed check items]) for every nonconforming
    item × class. The failed check items are names of the plan's check items of that class."""
    inspection = (
        Inspection.objects.select_for_update(of=("self",)).select_related("plan").get(pk=inspection.pk)
    )
    require_inspector(inspection.plan, actor)
    if inspection.status != InspectionStatus.SAMPLED:
        raise DomainError(_("抽检已判定或取消，不能再修改结果。"), fields={"status": _("不可修改。")})
    items = {it.position: it for it in inspection.items.all()}
    sizes = {r.severity: r.sample_size for r in inspection.class_results.all()}
    checks_of = {c["name"]: c["severity"] for c in check_items(inspection.plan)}
    rows: list[Finding] = []
    seen: set[tuple[int, str]] = set()
    for entry in findings:
        position, severity, note = entry[0], entry[1], entry[2]
        checks = [str(c) for c in (entry[3] if len(entry) > 3 else None) or []]
        wrong = [c for c in checks if checks_of.get(c) != severity]
        if wrong:
            raise DomainError(
                _("“%(c)s”不是本计划%(s)s类的检验项目。")
                % {"c": wrong[0], "s": Severity(severity).label if severity in Severity.values else severity},
                fields={"findings": _("检验项目无效。")},
            )
        item = items.get(int(position))
        if item is None:
            raise DomainError(
                _("样本序号 %(p)s 不在本次抽样中。") % {"p": position},
                fields={"findings": _("样本序号无效。")},
            )
        if severity not in sizes:
            raise DomainError(
                _("本计划没有缺陷类别 %(s)s。") % {"s": severity}, fields={"findings": _("缺陷类别无效。")}
            )
        if int(position) > sizes[severity]:
            raise DomainError(
                _("样本 %(p)s 不在%(c)s的样本范围内（前 %(n)s 个）。")
                % {"p": position, "c": Severity(severity).label, "n": sizes[severity]},
                fields={"findings": _("超出该类别的样本量。")},
            )
        if (item.position, severity) in seen:
            continue
        seen.add((item.position, severity))
        rows.append(
            Finding(item=item, severity=severity, note=(note or "")[:300], checks=list(dict.fromkeys(checks)))
        )
    Finding.objects.filter(item__inspection=inspection).delete()
    Finding.objects.bulk_create(rows)
    audit.record(
        actor,
        "quality.inspection.findings_recorded",
        inspection,
        changes={"findings": [None, sorted(f"{p}:{s}" for p, s in seen)]},
    )
    return inspection


def judge_all_conforming(
    *, inspection: Inspection, actor: Any, exceptions: Iterable[Sequence[Any]] = ()
) -> Inspection:
    """Judge a long sample sheet in one step: every sample unit conforms in every class except the
    `exceptions` given ((position, severity, note[, failed check items]), as for `record_findings`), which
    replace the findings recorded so far. Measured values outside their limits still count: they are
    measurements, not judgements."""
    exceptions = list(exceptions)
    with transaction.atomic():
        record_findings(inspection=inspection, actor=actor, findings=exceptions)
        units = inspection.items.count()
        flagged = len({int(e[0]) for e in exceptions})
        audit.record(
            actor,
            "quality.inspection.judged_in_bulk",
            inspection,
            changes={"conforming": [None, units - flagged], "exceptions": [None, flagged]},
        )
    return inspection


def nonconforming_items(inspection: Inspection) -> set[tuple[int, str]]:
    """(item id, defect class) of every nonconforming sample item: a finding, or a measured value outside
    its characteristic's limits. An item counts once per class however many defects it has."""
    from waibao.quality.models import Measurement

    found = set(Finding.objects.filter(item__inspection=inspection).values_list("item_id", "severity"))
    found |= set(
        Measurement.objects.filter(item__inspection=inspection, conforming=False).values_list(
            "item_id", "severity"
        )
    )
    return found


def variable_characteristics(plan: QualityPlan) -> list[dict[str, Any]]:
    return [
        {
            **c,
            "severity": c.get("severity")
            or _default_severity(plan.defect_classes.values_list("severity", flat=True)),
        }
        for c in (plan.characteristics or [])
        if c.get("kind") == "variable"
    ]


def in_spec(value: float, lsl: float | None, usl: float | None) -> bool:
    return (lsl is None or value >= lsl) and (usl is None or value <= usl)


@transaction.atomic
def record_measurements(
    *, inspection: Inspection, actor: Any, measurements: Iterable[tuple[int, str, Any]]
) -> Inspection:
    """Set measured values: (item position, characteristic name, value); a blank value removes one.

    A value outside the characteristic's limits makes the item nonconforming for the characteristic's
    defect class when the lot is decided. The limits are copied onto the measurement.
    """

    from waibao.quality.models import Measurement

    inspection = (
        Inspection.objects.select_for_update(of=("self",)).select_related("plan").get(pk=inspection.pk)
    )
    require_inspector(inspection.plan, actor)
    if inspection.status != InspectionStatus.SAMPLED:
        raise DomainError(_("抽检已判定或取消，不能再修改结果。"), fields={"status": _("不可修改。")})
    chars = {c["name"]: c for c in variable_characteristics(inspection.plan)}
    items = {it.position: it for it in inspection.items.all()}
    sizes = {r.severity: r.sample_size for r in inspection.class_results.all()}
    upserts: dict[tuple[int, str], float] = {}
    removals: set[tuple[int, str]] = set()
    errors: dict[str, str] = {}
    for position, name, raw in measurements:
        key = f"{position}:{name}"
        char = chars.get(str(name))
        item = items.get(int(position)) if str(position).lstrip("-").isdigit() else None
        if char is None:
            errors[key] = _("“%(n)s”不是本计划的计量特性。") % {"n": name}
            continue
        if item is None:
            errors[key] = _("样本序号 %(p)s 不在本次抽样中。") % {"p": position}
            continue
        if char["severity"] not in sizes:
            errors[key] = _("本次抽检没有缺陷类别 %(s)s。") % {"s": char["severity"]}
            continue
        if item.position > sizes[char["severity"]]:
            errors[key] = _("样本 %(p)s 不在%(c)s的样本范围内（前 %(n)s 个）。") % {
                "p": position,
                "c": Severity(char["severity"]).label,
                "n": sizes[char["severity"]],
            }
            continue
        if raw in (None, ""):
            removals.add((item.pk, char["name"]))
            continue
        value = finite_float(raw)
        if value is None:
            errors[key] = _("样本 %(p)s 的“%(n)s”须为数字。") % {"p": position, "n": name}
            continue
        upserts[(item.pk, char["name"])] = value
    if errors:
        raise DomainError(
            _("测量值有误：%(e)s") % {"e": join_clauses(list(errors.values())[:5])},
            fields={"measurements": join_clauses(errors.values())},
        )
    changed: list[str] = []
    if removals:
        q = None
        from django.db.models import Q

        for item_id, name in removals:
            cond = Q(item_id=item_id, characteristic=name)
            q = cond if q is None else q | cond
        deleted, _d = Measurement.objects.filter(q).delete()
        if deleted:
            changed.append(f"-{deleted}")
    by_pos = {it.pk: it.position for it in items.values()}
    for (item_id, name), value in upserts.items():
        char = chars[name]
        row, _created = Measurement.objects.update_or_create(
            item_id=item_id,
            characteristic=name,
            defaults={
                "severity": char["severity"],
                "value": value,
                "lsl": char.get("lsl"),
                "usl": char.get("usl"),
                "unit": char.get("unit", ""),
                "conforming": in_spec(value, char.get("lsl"), char.get("usl")),
            },
        )
        changed.append(f"{by_pos[item_id]}:{name}={value:g}{'' if row.conforming else '✗'}")
    if changed:
        audit.record(
            actor,
            "quality.inspection.measured",
            inspection,
            changes={"measurements": [None, sorted(changed)]},
        )
    return inspection


@transaction.atomic
def complete_inspection(*, inspection: Inspection, actor: Any) -> Inspection:
    """Decide the lot per class, move each stream's stage, and open a nonconformance if not accepted."""
    inspection = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("contract", "plan")
        .get(pk=inspection.pk)
    )
    require_inspector(inspection.plan, actor)
    old = _move(inspection, INSPECTION_TRANSITIONS, InspectionStatus.COMPLETED, InspectionStatus)
    counts: dict[str, int] = {}
    for _item, severity in nonconforming_items(inspection):
        counts[severity] = counts.get(severity, 0) + 1
    plan = inspection.plan
    rejected: list[ClassResult] = []
    for result in inspection.class_results.select_related("stream", "stream__contract").order_by("severity"):
        stream = (
            InspectionStream.objects.select_for_update(of=("self",))
            .select_related("contract")
            .get(pk=result.stream_id)
        )
        result.nonconforming = counts.get(result.severity, 0)
        result.accepted = result.nonconforming <= result.accept
        result.save(update_fields=["nonconforming", "accepted"])
        if not result.accepted:
            rejected.append(result)
        if stream.stage != result.stage:
            # The stream moved since this sample was drawn (another lot was decided first).
            continue
        table_plan = sampling.SamplingPlan(
            result.code_letter,
            result.plan_code_letter,
            result.sample_size,
            result.accept,
            result.reject,
            result.inspect_all,
            sampling.Stage(result.stage),
            result.aql,
        )
        try:
            state, reason = sampling.next_state(
                stream_state(stream),
                plan=table_plan,
                nonconforming=result.nonconforming,
                steady_production=plan.steady_production,
                reduced_approved=plan.reduced_approved,
                original_inspection=inspection.original,
            )
        except sampling.SamplingError as exc:
            raise DomainError(_("转移规则无法应用：%(e)s") % {"e": str(exc)}) from None
        _apply_state(stream, state, reason, actor=actor, inspection=inspection)
    inspection.accepted = not rejected
    inspection.completed_at = clock.now()
    inspection.version += 1
    inspection.save(update_fields=["status", "accepted", "completed_at", "version", "updated_at"])
    audit.record(
        actor,
        "quality.inspection.completed",
        inspection,
        changes={
            "status": [old, inspection.status],
            "accepted": [None, inspection.accepted],
            "nonconforming": [None, counts],
        },
    )
    if rejected:
        worst = min(rejected, key=lambda r: SEVERITY_ORDER.index(Severity(r.severity)))
        detail = texts.Joined(
            (
                Later(
                    _lazy("%(c)s：样本 %(n)s，不合格 %(d)s，Ac=%(a)s Re=%(r)s"),
                    {
                        "c": Severity(r.severity).label,
                        "n": r.sample_size,
                        "d": r.nonconforming,
                        "a": r.accept,
                        "r": r.reject,
                    },
                )
                for r in rejected
            ),
            "clauses",
        )
        open_nonconformance(
            contract=inspection.contract,
            actor=actor,
            source=NcrSource.INSPECTION,
            severity=worst.severity,
            title=Later(_lazy("抽检批 %(lot)s 不接收"), {"lot": inspection.lot_ref}),
            description=Later(
                _lazy("抽检 %(code)s（批量 %(size)s，随机种子 %(seed)s）判定不接收。%(detail)s"),
                {
                    "code": inspection.code,
                    "size": inspection.lot_size,
                    "seed": inspection.seed,
                    "detail": detail,
                },
            ),
            inspection=inspection,
            source_ref=inspection.code,
        )
    return inspection


@transaction.atomic
def cancel_inspection(*, inspection: Inspection, actor: Any, reason: str) -> Inspection:
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if not (reason or "").strip():
        raise DomainError(_("取消须填写原因。"), fields={"reason": _("必须填写原因。")})
    old = _move(inspection, INSPECTION_TRANSITIONS, InspectionStatus.CANCELLED, InspectionStatus)
    inspection.save(update_fields=["status", "updated_at"])
    audit.record(
        actor,
        "quality.inspection.cancelled",
        inspection,
        changes={"status": [old, inspection.status]},
        message=reason,
    )
    return inspection


# --- uploads ------------------------------------------------------------------------------------


def _store_upload(obj: Any, upload: Any, field_name: str = "file") -> None:
    store(obj, upload, field=field_name)


# --- deliverables and review --------------------------------------------------------------------


def review_chain_for(contract: Any) -> list[str]:
    plan = QualityPlan.objects.filter(contract=contract, active=True).order_by("id").first()
    return plan.chain() if plan else list(DEFAULT_REVIEW_LEVELS)


@transaction.atomic
def submit_deliverable(
    *,
    contract: Any,
    actor: Any,
    title: str,
    upload: Any,
    description: str = "",
    milestone: Any = None,
    note: str = "",
    accept_milestone: bool = False,
) -> Deliverable:
    if not (title or "").strip():
        raise DomainError(_("标题不能为空。"), fields={"title": _("标题不能为空。")})
    if upload is None:
        raise DomainError(_("请上传文件。"), fields={"file": _("请上传文件。")})
    if milestone is not None and milestone.contract_id != contract.pk:
        raise DomainError(_("该付款里程碑不属于此合同。"), fields={"milestone": _("里程碑不属于此合同。")})
    deliverable = Deliverable.objects.create(
        code=_next_code(Deliverable, "DLV"),
        contract=contract,
        milestone=milestone,
        title=title.strip(),
        description=description or "",
        review_levels=review_chain_for(contract),
        submitted_by=_user(actor),
        accept_milestone=bool(accept_milestone and milestone is not None),
    )
    version = DeliverableVersion(
        deliverable=deliverable, number=1, note=note or "", uploaded_by=_user(actor), at=clock.now()
    )
    _store_upload(version, upload)
    version.save()
    audit.record(
        actor,
        "quality.deliverable.submitted",
        deliverable,
        changes=audit.created(deliverable, ["code", "title", "milestone", "review_levels"]),
    )
    _notify(
        _buyer_quality_users(),
        kind="quality.deliverable.submitted",
        title=Later(_lazy("交付物待审核：%(c)s %(t)s"), {"c": deliverable.code, "t": deliverable.title}),
        url=reverse("quality:deliverable-detail", args=[deliverable.code]),
        key=f"quality.dlv.{deliverable.pk}.v1",
    )
    return deliverable


@transaction.atomic
def add_version(*, deliverable: Deliverable, actor: Any, upload: Any, note: str = "") -> DeliverableVersion:
    """A new version after a return: review starts again at the first level."""
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    if deliverable.status != DeliverableStatus.RETURNED:
        raise DomainError(
            _("只有被退回的交付物可以提交新版本。"), fields={"file": _("当前状态不能提交新版本。")}
        )
    if upload is None:
        raise DomainError(_("请上传文件。"), fields={"file": _("请上传文件。")})
    number = (deliverable.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = DeliverableVersion(
        deliverable=deliverable, number=number, note=note or "", uploaded_by=_user(actor), at=clock.now()
    )
    _store_upload(version, upload)
    version.save()
    old = _move(deliverable, DELIVERABLE_TRANSITIONS, DeliverableStatus.IN_REVIEW, DeliverableStatus)
    deliverable.level = 0
    deliverable.version += 1
    deliverable.save(update_fields=["status", "level", "version", "updated_at"])
    audit.record(
        actor,
        "quality.deliverable.resubmitted",
        deliverable,
        changes={"status": [old, deliverable.status], "versions": [number - 1, number]},
        message=note,
    )
    return version


@transaction.atomic
def review_deliverable(
    *, deliverable: Deliverable, actor: Any, decision: str, comment: str = "", open_ncr: bool = False
) -> Deliverable:
    """Approve at the current level (moving to the next, or approving the deliverable) or return it."""
    deliverable = (
        Deliverable.objects.select_for_update(of=("self",))
        .select_related("contract", "milestone")
        .get(pk=deliverable.pk)
    )
    if deliverable.status != DeliverableStatus.IN_REVIEW:
        raise DomainError(_("该交付物不在审核中。"), fields={"decision": _("不在审核中。")})
    if decision not in ReviewDecisionKind.values:
        raise DomainError(_("审核结论须为通过或退回。"), fields={"decision": _("结论无效。")})
    comment = (comment or "").strip()
    if decision == ReviewDecisionKind.RETURN and not comment:
        raise DomainError(_("退回须写明原因，供应商据此修改。"), fields={"comment": _("退回必须填写原因。")})
    version = deliverable.versions.order_by("-number").first()
    assert version is not None
    user = _user(actor)
    if (
        user is not None
        and decision == ReviewDecisionKind.APPROVE
        and ReviewDecision.objects.filter(
            deliverable=deliverable, version=version, reviewer=user, decision=ReviewDecisionKind.APPROVE
        ).exists()
    ):
        raise DomainError(
            _("同一人不能审核同一版本的两个级别。"), fields={"decision": _("请由下一级审核人审核。")}
        )
    levels = deliverable.review_levels or DEFAULT_REVIEW_LEVELS
    ReviewDecision.objects.create(
        deliverable=deliverable,
        version=version,
        level=deliverable.level,
        level_name=deliverable.level_name,
        decision=decision,
        comment=comment,
        reviewer=user,
        at=clock.now(),
    )
    old_status, old_level = deliverable.status, deliverable.level
    if decision == ReviewDecisionKind.RETURN:
        _move(deliverable, DELIVERABLE_TRANSITIONS, DeliverableStatus.RETURNED, DeliverableStatus)
    elif deliverable.level + 1 < len(levels):
        deliverable.level += 1
    else:
        _move(deliverable, DELIVERABLE_TRANSITIONS, DeliverableStatus.APPROVED, DeliverableStatus)
        deliverable.approved_at = clock.now()
    deliverable.version += 1
    deliverable.save(update_fields=["status", "level", "approved_at", "version", "updated_at"])
    audit.record(
        actor,
        f"quality.deliverable.{'returned' if decision == ReviewDecisionKind.RETURN else 'approved'}",
        deliverable,
        changes=audit.diff(
            {"status": old_status, "level": old_level},
            {"status": deliverable.status, "level": deliverable.level},
        ),
        message=comment,
    )
    url = reverse("quality:deliverable-detail", args=[deliverable.code])
    if decision == ReviewDecisionKind.RETURN:
        _notify(
            vendor_users(deliverable.contract.vendor_id),
            kind="quality.deliverable.returned",
            title=Later(_lazy("交付物被退回：%(c)s %(t)s"), {"c": deliverable.code, "t": deliverable.title}),
            body=comment,
            url=url,
        )
        if open_ncr:
            open_nonconformance(
                contract=deliverable.contract,
                actor=actor,
                source=NcrSource.REVIEW,
                severity=Severity.MINOR,
                title=Later(_lazy("交付物 %(c)s 审核退回"), {"c": deliverable.code}),
                description=comment,
                deliverable=deliverable,
                source_ref=deliverable.code,
            )
    elif deliverable.status == DeliverableStatus.APPROVED:
        _notify(
            vendor_users(deliverable.contract.vendor_id),
            kind="quality.deliverable.approved",
            title=Later(
                _lazy("交付物已通过终审：%(c)s %(t)s"), {"c": deliverable.code, "t": deliverable.title}
            ),
            url=url,
        )
        if deliverable.accept_milestone and deliverable.milestone is not None:
            from waibao.contracts.services import accept_milestone

            accept_milestone(
                milestone=deliverable.milestone,
                actor=actor,
                note=_("交付物 %(c)s 终审通过") % {"c": deliverable.code},
            )
    return deliverable


# --- nonconformance -----------------------------------------------------------------------------


@transaction.atomic
def open_nonconformance(
    *,
    contract: Any,
    actor: Any,
    source: str,
    severity: str,
    title: str | Later,
    description: str | Later = "",
    containment: str = "",
    inspection: Inspection | None = None,
    deliverable: Deliverable | None = None,
    source_ref: str = "",
) -> Nonconformance:
    errors: dict[str, str] = {}
    if source not in NcrSource.values:
        errors["source"] = _("来源无效。")
    if severity not in Severity.values:
        errors["severity"] = _("严重程度无效。")
    # A generated title (a message) is kept as one and shown in each reader's language; typed text as typed.
    title_message, description_message = texts.freeze(title), texts.freeze(description)
    title, description = str(title or ""), str(description or "")
    if not title.strip():
        errors["title"] = _("标题不能为空。")
    if errors:
        raise DomainError(_("不合格信息有误。"), fields=errors)
    now = clock.now()
    ncr = Nonconformance.objects.create(
        code=_next_code(Nonconformance, "NCR"),
        contract=contract,
        vendor_id=contract.vendor_id,
        source=source,
        severity=severity,
        title=title.strip()[:200],
        title_message=title_message,
        description=description,
        description_message=description_message,
        containment=containment or "",
        inspection=inspection,
        deliverable=deliverable,
        source_ref=source_ref,
        raised_by=_user(actor),
        raised_at=now,
    )
    recipients = vendor_users(contract.vendor_id)
    if recipients:
        ncr.vendor_notified_at = now
        ncr.save(update_fields=["vendor_notified_at"])
    audit.record(
        actor,
        "quality.ncr.opened",
        ncr,
        changes={
            **audit.created(ncr, ["code", "source", "severity", "title", "source_ref"]),
            # A generated title is kept as its message: the history shows it in the reader's language.
            **({"title": [None, title_message]} if title_message else {}),
        },
    )
    _notify(
        recipients,
        kind="quality.ncr.opened",
        title=Later(_lazy("不合格通知：%(c)s %(t)s"), {"c": ncr.code, "t": ncr.title_text()}),
        body=texts.stored(ncr.description_message, ncr.description),
        url=reverse("quality:ncr-detail", args=[ncr.code]),
        key=f"quality.ncr.{ncr.pk}.opened",
    )
    return ncr


@transaction.atomic
def update_containment(*, ncr: Nonconformance, actor: Any, containment: str) -> Nonconformance:
    if ncr.status in (NcrStatus.CLOSED, NcrStatus.CANCELLED):
        raise DomainError(_("不合格已关闭，不能修改。"), fields={"containment": _("已关闭。")})
    before = ncr.containment
    ncr.containment = containment or ""
    ncr.version += 1
    ncr.save(update_fields=["containment", "version", "updated_at"])
    audit.record(
        actor, "quality.ncr.containment_updated", ncr, changes={"containment": [before, ncr.containment]}
    )
    return ncr


@transaction.atomic
def add_evidence(*, ncr: Nonconformance, actor: Any, upload: Any) -> Evidence:
    if upload is None:
        raise DomainError(_("请上传文件。"), fields={"file": _("请上传文件。")})
    ev = Evidence(ncr=ncr, uploaded_by=_user(actor), at=clock.now())
    _store_upload(ev, upload)
    ev.save()
    audit.record(actor, "quality.ncr.evidence_added", ncr, changes={"evidence": [None, ev.file_name]})
    return ev


@transaction.atomic
def close_nonconformance(*, ncr: Nonconformance, actor: Any, reason: str) -> Nonconformance:
    ncr = Nonconformance.objects.select_for_update().get(pk=ncr.pk)
    if not (reason or "").strip():
        raise DomainError(_("关闭须填写说明。"), fields={"reason": _("必须填写说明。")})
    if ncr.status == NcrStatus.CAPA:
        capa = CorrectiveAction.objects.filter(ncr=ncr).first()
        if capa is not None and capa.status != CapaStatus.CLOSED:
            raise DomainError(
                _("纠正措施 %(c)s 尚未验证关闭，不能关闭不合格。") % {"c": capa.code},
                fields={"reason": _("纠正措施未关闭。")},
            )
    if ncr.severity == Severity.CRITICAL and ncr.status == NcrStatus.OPEN:
        raise DomainError(
            _("致命不合格必须经过纠正措施（8D）才能关闭。"), fields={"reason": _("须先发起 8D。")}
        )
    old = _move(ncr, NCR_TRANSITIONS, NcrStatus.CLOSED, NcrStatus)
    ncr.closed_at, ncr.close_reason = clock.now(), reason.strip()
    ncr.version += 1
    ncr.save(update_fields=["status", "closed_at", "close_reason", "version", "updated_at"])
    audit.record(actor, "quality.ncr.closed", ncr, changes={"status": [old, ncr.status]}, message=reason)
    return ncr


@transaction.atomic
def cancel_nonconformance(*, ncr: Nonconformance, actor: Any, reason: str) -> Nonconformance:
    ncr = Nonconformance.objects.select_for_update().get(pk=ncr.pk)
    if not (reason or "").strip():
        raise DomainError(_("取消须填写原因。"), fields={"reason": _("必须填写原因。")})
    old = _move(ncr, NCR_TRANSITIONS, NcrStatus.CANCELLED, NcrStatus)
    ncr.closed_at, ncr.close_reason = clock.now(), reason.strip()
    ncr.save(update_fields=["status", "closed_at", "close_reason", "updated_at"])
    audit.record(actor, "quality.ncr.cancelled", ncr, changes={"status": [old, ncr.status]}, message=reason)
    return ncr


# --- corrective action (8D) ---------------------------------------------------------------------


def _step_due(step: str, start: date, days: int) -> date:
    # D1–D3 (team, description, containment) within one period, D4–D6 within two, D7 within three.
    index = int(step[1])
    periods = 1 if index <= 3 else 2 if index <= 6 else 3
    return start + timedelta(days=days * periods)


@transaction.atomic
def start_corrective_action(
    *, ncr: Nonconformance, actor: Any, step_days: int | None = None
) -> CorrectiveAction:
    ncr = Nonconformance.objects.select_for_update(of=("self",)).select_related("contract").get(pk=ncr.pk)
    if CorrectiveAction.objects.filter(ncr=ncr).exists():
        raise DomainError(_("该不合格已有纠正措施。"), fields={"ncr": _("已有纠正措施。")})
    old = _move(ncr, NCR_TRANSITIONS, NcrStatus.CAPA, NcrStatus)
    ncr.version += 1
    ncr.save(update_fields=["status", "version", "updated_at"])
    plan = QualityPlan.objects.filter(contract=ncr.contract, active=True).order_by("id").first()
    days = step_days or (plan.capa_step_days if plan else 7)
    verify_wait = plan.verify_after_days if plan else 30
    today = clock.today()
    capa = CorrectiveAction.objects.create(
        code=_next_code(CorrectiveAction, "CAPA"), ncr=ncr, opened_by=_user(actor)
    )
    CapaStep.objects.bulk_create(
        [
            CapaStep(
                capa=capa,
                step=s,
                due_date=_step_due(s, today, days)
                if s != Step.D8
                else today + timedelta(days=3 * days + verify_wait),
            )
            for s in Step.values
        ]
    )
    audit.record(
        actor, "quality.capa.opened", capa, changes={"ncr": [None, ncr.code]}, vendor_id=ncr.vendor_id
    )
    audit.record(actor, "quality.ncr.capa_started", ncr, changes={"status": [old, ncr.status]})
    _notify(
        vendor_users(ncr.vendor_id),
        kind="quality.capa.opened",
        title=Later(_lazy("请填写 8D 纠正措施：%(c)s（%(n)s）"), {"c": capa.code, "n": ncr.code}),
        url=reverse("quality:capa-detail", args=[capa.code]),
        key=f"quality.capa.{capa.pk}.opened",
    )
    return capa


MAX_WHYS = 5


def _step_values(step: str, raw: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """Normalise what was typed for one step: stripped text; for D4 the non-blank whys and the categories."""
    raw = raw or {}
    content = str(raw.get("content") or "").strip()
    if step != Step.D4:
        return content, {}
    whys = [str(w).strip() for w in (raw.get("whys") or []) if str(w or "").strip()]
    cats = [str(c) for c in (raw.get("categories") or []) if str(c or "")]
    return content, {"whys": whys, "categories": list(dict.fromkeys(cats))}


def _step_value_errors(step: str, data: Mapping[str, Any]) -> dict[str, str]:
    """Values no draft may hold (they could not be shown back): an unknown category, more than five whys."""
    errors: dict[str, str] = {}
    if step == Step.D4:
        if len(data.get("whys", [])) > MAX_WHYS:
            errors[f"{step}_whys"] = _("5-Why 最多五层。")
        if [c for c in data.get("categories", []) if c not in CauseCategory.values]:
            errors[f"{step}_categories"] = _("请选择原因类别（人、机、料、法、测、环）。")
    return errors


def _step_gaps(step: str, content: str, data: Mapping[str, Any]) -> dict[str, str]:
    """What a step still lacks before the 8D can be submitted (field → message); empty when complete."""
    errors: dict[str, str] = {}
    if not content:
        errors[step] = _("请填写 %(s)s 的内容。") % {"s": Step(step).label}
    if step == Step.D4:
        if not data.get("whys"):
            errors[f"{step}_whys"] = _("根本原因分析至少需要一个“为什么”。")
        if not data.get("categories"):
            errors[f"{step}_categories"] = _("请选择原因类别（人、机、料、法、测、环）。")
    errors.update(_step_value_errors(step, data))
    return errors


def _clean_d4(whys: Any, categories: Any) -> dict[str, Any]:
    _content, data = _step_values(Step.D4, {"whys": whys, "categories": categories})
    errors = {
        k.removeprefix("D4_"): v for k, v in _step_gaps(Step.D4, "x", data).items() if k.startswith("D4_")
    }
    if errors:
        raise DomainError(_("根本原因分析不完整。"), fields=errors)
    return data


def _lock_open_capa(capa: CorrectiveAction) -> CorrectiveAction:
    capa = CorrectiveAction.objects.select_for_update(of=("self",)).select_related("ncr").get(pk=capa.pk)
    if capa.status != CapaStatus.OPEN:
        raise DomainError(
            _("纠正措施已提交或已关闭，不能修改步骤。"), fields={"step": _("当前状态不能修改。")}
        )
    return capa


def _write_step(row: CapaStep, content: str, data: dict[str, Any], actor: Any) -> bool:
    """Store one step's text; it counts as done while it is complete. Returns whether anything changed."""
    complete = not _step_gaps(str(row.step), content, data)
    changed = row.content != content or (row.data or {}) != data
    if not changed and complete == (row.done_at is not None):
        return False
    row.content, row.data = content, data
    if not complete:
        row.done_at, row.done_by = None, None
    elif changed or row.done_at is None:
        row.done_at, row.done_by = clock.now(), _user(actor)
    row.save(update_fields=["content", "data", "done_at", "done_by"])
    return changed


@transaction.atomic
def save_capa_steps(
    *, capa: CorrectiveAction, actor: Any, steps: Mapping[str, Mapping[str, Any]]
) -> CorrectiveAction:
    """Save the 8D as a draft: every step given (D1–D7) is stored as typed, complete or not.

    `steps` maps "D1".."D7" to {"content": str, "whys": [str], "categories": [str]} (whys and categories
    for D4 only). Steps not given keep what they hold. A step whose text is complete counts as done; one
    that is emptied again does not. Only values that cannot be stored are refused (an unknown cause
    category, more than five whys); nothing is saved then.
    """
    capa = _lock_open_capa(capa)
    allowed = [s.value for s in VENDOR_STEPS]
    unknown = sorted(str(k) for k in steps if str(k).upper() not in allowed)
    if unknown:
        raise DomainError(
            _("步骤 %(s)s 不由供应商填写（D8 由采购方验证）。") % {"s": join_list(unknown)},
            fields={"step": _("步骤无效。")},
        )
    cleaned = {str(k).upper(): _step_values(str(k).upper(), v) for k, v in steps.items()}
    errors: dict[str, str] = {}
    for step, (_content, data) in cleaned.items():
        errors.update(_step_value_errors(step, data))
    if errors:
        raise DomainError(_("8D 内容有误，请检查标出的步骤。"), fields=errors)
    changes: dict[str, Any] = {}
    for row in capa.steps.filter(step__in=list(cleaned)):
        content, data = cleaned[str(row.step)]
        before, before_data = row.content, dict(row.data or {})
        if not _write_step(row, content, data, actor):
            continue
        if before != content:
            changes[str(row.step)] = [before, content]
        for key in ("whys", "categories"):
            if before_data.get(key, []) != data.get(key, []):
                changes[f"{row.step}_{key}"] = [before_data.get(key), data.get(key)]
    if not changes:
        return capa
    audit.record(
        actor,
        "quality.capa.draft_saved",
        capa,
        changes=changes,
        vendor_id=capa.ncr.vendor_id,
    )
    return capa


def capa_gaps(capa: CorrectiveAction) -> dict[str, str]:
    """What the vendor's steps (D1–D7) still lack before submission, field → message (empty: complete)."""
    gaps: dict[str, str] = {}
    for row in capa.steps.filter(step__in=VENDOR_STEPS).order_by("step"):
        gaps.update(_step_gaps(str(row.step), row.content.strip(), row.data or {}))
    return gaps


@transaction.atomic
def fill_capa_step(
    *, capa: CorrectiveAction, actor: Any, step: str, content: str, whys: Any = None, categories: Any = None
) -> CapaStep:
    """One step at a time (the API's PUT …/steps/{step}): the step must be complete; others are untouched."""
    capa = _lock_open_capa(capa)
    if step not in [s.value for s in VENDOR_STEPS]:
        raise DomainError(
            _("步骤 %(s)s 不由供应商填写（D8 由采购方验证）。") % {"s": step},
            fields={"step": _("步骤无效。")},
        )
    if not (content or "").strip():
        raise DomainError(
            _("请填写 %(s)s 的内容。") % {"s": Step(step).label}, fields={"content": _("内容不能为空。")}
        )
    data = _clean_d4(whys, categories) if step == Step.D4 else {}
    row = capa.steps.get(step=step)
    before = row.content
    _write_step(row, content.strip(), data, actor)
    audit.record(
        actor,
        "quality.capa.step_filled",
        capa,
        changes={step: [before, row.content]},
        vendor_id=capa.ncr.vendor_id,
    )
    return row


def submit_capa(
    *, capa: CorrectiveAction, actor: Any, steps: Mapping[str, Mapping[str, Any]] | None = None
) -> CorrectiveAction:
    """Submit D1–D7 to the buyer. With `steps`, what was typed is saved first (as a draft, kept even when
    the submission is refused), then every step is checked; a refusal names each incomplete step's field
    ("D1", "D4_whys", "D4_categories" …) so a form can show the message beside it."""
    if steps is not None:
        save_capa_steps(capa=capa, actor=actor, steps=steps)
    return _submit_capa(capa=capa, actor=actor)


@transaction.atomic
def _submit_capa(*, capa: CorrectiveAction, actor: Any) -> CorrectiveAction:
    capa = (
        CorrectiveAction.objects.select_for_update(of=("self",))
        .select_related("ncr", "ncr__contract")
        .get(pk=capa.pk)
    )
    require_transition(CAPA_TRANSITIONS, str(capa.status), CapaStatus.SUBMITTED, CapaStatus)
    gaps = capa_gaps(capa)
    if gaps:
        missing = sorted({k.split("_")[0] for k in gaps})
        raise DomainError(
            _("以下步骤尚未填写完整：%(s)s。") % {"s": join_list(str(Step(s).label) for s in missing)},
            fields=gaps,
            code="incomplete",
        )
    for row in capa.steps.filter(step__in=VENDOR_STEPS, done_at__isnull=True):
        row.done_at, row.done_by = clock.now(), _user(actor)
        row.save(update_fields=["done_at", "done_by"])
    old = _move(capa, CAPA_TRANSITIONS, CapaStatus.SUBMITTED, CapaStatus)
    capa.version += 1
    capa.save(update_fields=["status", "version", "updated_at"])
    audit.record(
        actor,
        "quality.capa.submitted",
        capa,
        changes={"status": [old, capa.status]},
        vendor_id=capa.ncr.vendor_id,
    )
    _notify(
        [capa.ncr.contract.owner, capa.opened_by],
        kind="quality.capa.submitted",
        title=Later(_lazy("8D 已提交待确认：%(c)s"), {"c": capa.code}),
        url=reverse("quality:capa-detail", args=[capa.code]),
    )
    return capa


@transaction.atomic
def return_capa(*, capa: CorrectiveAction, actor: Any, reason: str) -> CorrectiveAction:
    capa = CorrectiveAction.objects.select_for_update(of=("self",)).select_related("ncr").get(pk=capa.pk)
    if not (reason or "").strip():
        raise DomainError(_("退回须写明原因。"), fields={"reason": _("必须填写原因。")})
    if capa.status != CapaStatus.SUBMITTED:
        raise DomainError(_("只有已提交的 8D 可以退回。"), fields={"reason": _("当前状态不能退回。")})
    old = _move(capa, CAPA_TRANSITIONS, CapaStatus.OPEN, CapaStatus)
    capa.version += 1
    capa.save(update_fields=["status", "version", "updated_at"])
    audit.record(
        actor,
        "quality.capa.returned",
        capa,
        changes={"status": [old, capa.status]},
        message=reason,
        vendor_id=capa.ncr.vendor_id,
    )
    _notify(
        vendor_users(capa.ncr.vendor_id),
        kind="quality.capa.returned",
        title=Later(_lazy("8D 被退回：%(c)s"), {"c": capa.code}),
        body=reason,
        url=reverse("quality:capa-detail", args=[capa.code]),
    )
    return capa


@transaction.atomic
def accept_capa_plan(
    *, capa: CorrectiveAction, actor: Any, verify_after: date | None = None
) -> CorrectiveAction:
    """The buyer accepts the actions; effectiveness is verified after a set time (the next lots or period)."""
    capa = (
        CorrectiveAction.objects.select_for_update(of=("self",))
        .select_related("ncr", "ncr__contract")
        .get(pk=capa.pk)
    )
    plan = QualityPlan.objects.filter(contract=capa.ncr.contract, active=True).order_by("id").first()
    wait = plan.verify_after_days if plan else 30
    when = verify_after or clock.today() + timedelta(days=wait)
    if when < clock.today():
        raise DomainError(_("验证日期不能早于今天。"), fields={"verify_after": _("验证日期不能早于今天。")})
    old = _move(capa, CAPA_TRANSITIONS, CapaStatus.VERIFYING, CapaStatus)
    capa.verify_after = when
    capa.version += 1
    capa.save(update_fields=["status", "verify_after", "version", "updated_at"])
    capa.steps.filter(step=Step.D8).update(due_date=when + timedelta(days=7), escalated_at=None)
    audit.record(
        actor,
        "quality.capa.accepted",
        capa,
        changes={"status": [old, capa.status], "verify_after": [None, when]},
        vendor_id=capa.ncr.vendor_id,
    )
    return capa


@transaction.atomic
def verify_capa(*, capa: CorrectiveAction, actor: Any, effective: bool, note: str) -> CorrectiveAction:
    """D8: effective → close the CAPA and its NCR; not effective → reopen for a new root cause and action."""
    capa = CorrectiveAction.objects.select_for_update(of=("self",)).select_related("ncr").get(pk=capa.pk)
    if capa.status != CapaStatus.VERIFYING:
        raise DomainError(_("该 8D 不在效果验证阶段。"), fields={"effective": _("当前状态不能验证。")})
    if not (note or "").strip():
        raise DomainError(
            _("请写明验证依据（如后续批次或下一期 SLA 结果）。"), fields={"note": _("必须填写验证说明。")}
        )
    today = clock.today()
    if capa.verify_after and today < capa.verify_after:
        raise DomainError(
            _("须在 %(d)s 之后验证效果。") % {"d": capa.verify_after.isoformat()},
            fields={"effective": _("尚未到验证日期。")},
        )
    d8 = capa.steps.get(step=Step.D8)
    if effective:
        old = _move(capa, CAPA_TRANSITIONS, CapaStatus.CLOSED, CapaStatus)
        capa.closed_at = clock.now()
        d8.content, d8.done_at, d8.done_by = note.strip(), clock.now(), _user(actor)
        d8.save(update_fields=["content", "done_at", "done_by"])
    else:
        old = _move(capa, CAPA_TRANSITIONS, CapaStatus.OPEN, CapaStatus)
        capa.reopen_count += 1
        plan = (
            QualityPlan.objects.filter(contract_id=capa.ncr.contract_id, active=True).order_by("id").first()
        )
        days = plan.capa_step_days if plan else 7
        # The root cause was wrong or the action did not hold: D4 onwards are done again.
        for row in capa.steps.filter(step__in=[Step.D4, Step.D5, Step.D6, Step.D7]):
            row.done_at, row.done_by, row.escalated_at = None, None, None
            row.due_date = _step_due(row.step, today, days)
            row.save(update_fields=["done_at", "done_by", "escalated_at", "due_date"])
    capa.verification_note = note.strip()
    capa.version += 1
    capa.save(
        update_fields=["status", "closed_at", "reopen_count", "verification_note", "version", "updated_at"]
    )
    audit.record(
        actor,
        "quality.capa.verified" if effective else "quality.capa.reopened",
        capa,
        changes={"status": [old, capa.status]},
        message=note,
        vendor_id=capa.ncr.vendor_id,
    )
    if effective:
        close_nonconformance(
            ncr=capa.ncr,
            actor=actor,
            reason=_("纠正措施 %(c)s 验证有效：%(n)s") % {"c": capa.code, "n": note.strip()},
        )
    else:
        _notify(
            vendor_users(capa.ncr.vendor_id),
            kind="quality.capa.reopened",
            title=Later(_lazy("8D 验证未通过，已重开：%(c)s"), {"c": capa.code}),
            body=note,
            url=reverse("quality:capa-detail", args=[capa.code]),
            key=f"quality.capa.{capa.pk}.reopen.{capa.reopen_count}",
        )
    return capa


def escalate_overdue(*, actor: Any = "system", today: date | None = None) -> list[CapaStep]:
    """Escalate each overdue, unfinished 8D step once to the contract owner (safe to run every hour)."""
    today = today or clock.today()
    active = {CapaStatus.OPEN: VENDOR_STEPS, CapaStatus.VERIFYING: [Step.D8]}
    escalated: list[CapaStep] = []
    for status, steps in active.items():
        rows = CapaStep.objects.filter(
            capa__status=status,
            step__in=steps,
            done_at__isnull=True,
            escalated_at__isnull=True,
            due_date__lt=today,
        ).select_related("capa", "capa__ncr", "capa__ncr__contract", "capa__ncr__contract__owner")
        for row in rows:
            with transaction.atomic():
                updated = CapaStep.objects.filter(pk=row.pk, escalated_at__isnull=True).update(
                    escalated_at=clock.now()
                )
                if not updated:
                    continue
                capa = row.capa
                owner = capa.ncr.contract.owner
                audit.record(
                    actor,
                    "quality.capa.step_escalated",
                    capa,
                    changes={"step": [None, row.step]},
                    message=f"due {row.due_date.isoformat()}",
                    vendor_id=capa.ncr.vendor_id,
                )
                _notify(
                    [owner] if owner else _buyer_quality_users(),
                    kind="quality.capa.overdue",
                    title=Later(
                        _lazy("8D 步骤逾期：%(c)s %(s)s（期限 %(d)s）"),
                        {"c": capa.code, "s": Step(row.step).label, "d": row.due_date.isoformat()},
                    ),
                    url=reverse("quality:capa-detail", args=[capa.code]),
                    key=f"quality.capa.{capa.pk}.{row.step}.{row.due_date.isoformat()}",
                )
                escalated.append(row)
    return escalated


# --- complaints ---------------------------------------------------------------------------------


@transaction.atomic
def log_complaint(
    *,
    actor: Any,
    channel: str,
    category: str,
    severity: str,
    description: str,
    received_at: datetime | None = None,
    customer: str = "",
    contract: Any = None,
    record_ref: str = "",
) -> Complaint:
    errors: dict[str, str] = {}
    if channel not in Channel.values:
        errors["channel"] = _("渠道无效。")
    if category not in ComplaintCategory.values:
        errors["category"] = _("类别无效。")
    if severity not in Severity.values:
        errors["severity"] = _("严重程度无效。")
    if not (description or "").strip():
        errors["description"] = _("请填写投诉内容。")
    if errors:
        raise DomainError(_("投诉信息有误。"), fields=errors)
    complaint = Complaint.objects.create(
        code=_next_code(Complaint, "CMP"),
        received_at=received_at or clock.now(),
        channel=channel,
        category=category,
        severity=severity,
        customer=(customer or "").strip()[:100],
        description=description.strip(),
        contract=contract,
        record_ref=(record_ref or "").strip()[:100],
        created_by=_user(actor),
    )
    audit.record(
        actor,
        "quality.complaint.logged",
        complaint,
        changes=audit.created(
            complaint, ["code", "channel", "category", "severity", "contract", "record_ref"]
        ),
        vendor_id=None,
    )
    return complaint


@transaction.atomic
def triage_complaint(
    *, complaint: Complaint, actor: Any, contract: Any, vendor_caused: bool, note: str = ""
) -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if contract is None:
        raise DomainError(_("请选择责任合同。"), fields={"contract": _("请选择合同。")})
    old = _move(complaint, COMPLAINT_TRANSITIONS, ComplaintStatus.TRIAGED, ComplaintStatus)
    complaint.contract, complaint.vendor_id = contract, contract.vendor_id
    complaint.vendor_caused, complaint.triage_note = bool(vendor_caused), (note or "").strip()
    complaint.version += 1
    complaint.save(
        update_fields=[
            "status",
            "contract",
            "vendor",
            "vendor_caused",
            "triage_note",
            "version",
            "updated_at",
        ]
    )
    audit.record(
        actor,
        "quality.complaint.triaged",
        complaint,
        changes={
            "status": [old, complaint.status],
            "vendor": [None, str(contract.vendor)],
            "vendor_caused": [None, complaint.vendor_caused],
        },
        message=note,
        vendor_id=contract.vendor_id,
    )
    _notify(
        vendor_users(contract.vendor_id),
        kind="quality.complaint.triaged",
        title=Later(_lazy("客户投诉已分派给贵方：%(c)s"), {"c": complaint.code}),
        body=complaint.description,
        url=reverse("quality:complaint-detail", args=[complaint.code]),
        key=f"quality.cmp.{complaint.pk}.triaged",
    )
    return complaint


@transaction.atomic
def convert_complaint(*, complaint: Complaint, actor: Any, severity: str | None = None) -> Nonconformance:
    """The vendor caused it: open a nonconformance (source: customer complaint) linked to the complaint."""
    complaint = (
        Complaint.objects.select_for_update(of=("self",)).select_related("contract").get(pk=complaint.pk)
    )
    if complaint.status != ComplaintStatus.TRIAGED or complaint.contract is None:
        raise DomainError(_("投诉须先分派到责任合同，才能转为不合格。"), fields={"status": _("请先分派。")})
    if not complaint.vendor_caused:
        raise DomainError(
            _("只有供应商原因的投诉才能转为不合格。"),
            fields={"vendor_caused": _("分派时未认定为供应商原因。")},
        )
    ncr = open_nonconformance(
        contract=complaint.contract,
        actor=actor,
        source=NcrSource.COMPLAINT,
        severity=severity or complaint.severity,
        title=Later(
            _lazy("客户投诉 %(c)s：%(cat)s"),
            {"c": complaint.code, "cat": ComplaintCategory(complaint.category).label},
        ),
        description=complaint.description,
        source_ref=complaint.record_ref or complaint.code,
    )
    old = _move(complaint, COMPLAINT_TRANSITIONS, ComplaintStatus.CONVERTED, ComplaintStatus)
    complaint.ncr = ncr
    complaint.version += 1
    complaint.save(update_fields=["status", "ncr", "version", "updated_at"])
    audit.record(
        actor,
        "quality.complaint.converted",
        complaint,
        changes={"status": [old, complaint.status], "ncr": [None, ncr.code]},
        vendor_id=complaint.vendor_id,
    )
    return ncr


@transaction.atomic
def close_complaint(*, complaint: Complaint, actor: Any, note: str) -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not (note or "").strip():
        raise DomainError(_("关闭须填写处理结果。"), fields={"note": _("必须填写。")})
    old = _move(complaint, COMPLAINT_TRANSITIONS, ComplaintStatus.CLOSED, ComplaintStatus)
    complaint.triage_note = (complaint.triage_note + "\n" + note.strip()).strip()
    complaint.save(update_fields=["status", "triage_note", "updated_at"])
    audit.record(
        actor,
        "quality.complaint.closed",
        complaint,
        changes={"status": [old, complaint.status]},
        message=note,
        vendor_id=complaint.vendor_id,
    )
    return complaint


# --- satisfaction -------------------------------------------------------------------------------

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _decimal(raw: Any, name: str, low: int, high: int) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip().rstrip("%"))
    except InvalidOperation:
        raise DomainError(_("%(f)s 须为数字。") % {"f": name}, fields={name: _("须为数字。")}) from None
    if not value.is_finite() or not (low <= value <= high):
        raise DomainError(
            _("%(f)s 须在 %(l)s 到 %(h)s 之间。") % {"f": name, "l": low, "h": high},
            fields={name: _("超出范围。")},
        )
    return value


def csat_scale_of(contract: Any) -> str:
    """The scale the contract's CSAT is recorded in (kept on the contract, which the delivery app reads too)."""
    from waibao.contracts.selectors import csat_scale

    return csat_scale(contract)


# On the percentage scale a CSAT at or below this is not a plausible share of satisfied customers: it is
# a 1–5 or 0–10 score entered on the wrong scale (a 4.1 average became "4.1 %" and an SPC outlier).
PERCENT_IMPLAUSIBLE_AT_MOST = 10


def _csat(raw: Any, scale: str) -> Decimal | None:
    """A CSAT value checked against the contract's scale; the field message names the scale."""
    if raw in (None, ""):
        return None
    label = CsatScale(scale).label
    try:
        value = Decimal(str(raw).strip().rstrip("%").strip())
    except InvalidOperation:
        raise DomainError(
            _("CSAT 须为数字（量表 %(s)s）。") % {"s": label}, fields={"csat": _("须为数字。")}
        ) from None
    low, high = CSAT_RANGES[scale]
    if not value.is_finite() or not (low <= value <= high):
        msg = _("CSAT 按 %(s)s 记录，须在 %(l)s 到 %(h)s 之间。") % {"s": label, "l": low, "h": high}
        raise DomainError(msg, fields={"csat": msg})
    if scale == CsatScale.PERCENT and 0 < value <= PERCENT_IMPLAUSIBLE_AT_MOST:
        msg = _(
            "该合同的 CSAT 按 %(s)s 记录，%(v)s 像是 1–5 或 0–10 分制的评分：请换算为百分比，"
            "或把该合同的满意度量表改为相应的分制。"
        ) % {"s": label, "v": value.normalize()}
        raise DomainError(msg, fields={"csat": msg})
    return value


def set_csat_scale(*, contract: Any, actor: Any, scale: str) -> Any:
    """Choose the one scale the contract's CSAT is recorded in (``contracts.services.set_csat_scale``: the
    setting is the contract's, shared with the service records). Results recorded before keep their own."""
    from waibao.contracts import services as contract_services

    return contract_services.set_csat_scale(contract=contract, actor=actor, scale=scale)


@transaction.atomic
def record_satisfaction(
    *,
    contract: Any,
    actor: Any,
    period: str,
    csat: Any = None,
    nps: Any = None,
    responses: Any = 0,
    source: str = "",
) -> SatisfactionResult:
    period = (period or "").strip()
    if not PERIOD_RE.match(period):
        raise DomainError(_("期间格式须为 YYYY-MM。"), fields={"period": _("格式须为 YYYY-MM。")})
    scale = csat_scale_of(contract)
    csat_v, nps_v = _csat(csat, scale), _decimal(nps, "nps", -100, 100)
    if csat_v is None and nps_v is None:
        raise DomainError(_("CSAT 和 NPS 至少填写一项。"), fields={"csat": _("至少填写一项。")})
    try:
        n = int(responses or 0)
    except (TypeError, ValueError):
        raise DomainError(_("样本数须为整数。"), fields={"responses": _("须为整数。")}) from None
    if n < 0:
        raise DomainError(_("样本数不能为负。"), fields={"responses": _("不能为负。")})
    if too_many := column_errors(SatisfactionResult, {"responses": n}):
        raise DomainError(too_many["responses"], fields=too_many)
    existing = SatisfactionResult.objects.filter(contract=contract, period=period).first()
    before = audit.snapshot(existing, ["csat", "nps", "responses"]) if existing else {}
    result, _created = SatisfactionResult.objects.update_or_create(
        contract=contract,
        period=period,
        defaults={
            "csat": csat_v,
            "csat_scale": scale,
            "nps": nps_v,
            "responses": n,
            "source": (source or "")[:100],
        },
    )
    fed = _feed_sla_metrics(result, actor)
    audit.record(
        actor,
        "quality.satisfaction.recorded",
        result,
        changes=audit.diff(before, audit.snapshot(result, ["csat", "nps", "responses"])),
        message=(_("已写入 SLA 指标：%(m)s") % {"m": join_list(fed)}) if fed else "",
    )
    return result


IMPORT_COLUMNS: dict[str, list[str]] = {
    "contract": ["contract", "合同", "合同编号"],
    "period": ["period", "期间"],
    "csat": ["csat", "满意度", "CSAT"],
    "nps": ["nps", "NPS", "净推荐值"],
    "responses": ["responses", "样本数"],
    "source": ["source", "来源"],
}


@dataclass
class ImportReport:
    saved: list[SatisfactionResult] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def import_satisfaction(
    *,
    actor: Any,
    rows: Iterable[tuple[int, dict[str, Any]]],
    headers: list[str],
    contracts: Any,
    size: int | None = None,
) -> ImportReport:
    """All rows are checked first; nothing is saved unless every row is valid.

    `contracts` are the ones the actor may see (others are reported as unknown). The file's `size` and its
    number of rows are held to the actor's import limits (core.limits): a file over either is refused whole.
    """
    lim = limits.import_limits(actor)
    limits.check_size(size, lim)
    rows = limits.limited_rows(rows, lim)
    report = ImportReport()
    colmap = {
        key: h
        for key, names in IMPORT_COLUMNS.items()
        for h in headers
        if h.strip().lower() in [n.lower() for n in names]
    }
    for key in ("contract", "period"):
        if key not in colmap:
            report.errors.append((1, key, _("缺少“%(c)s”列。") % {"c": IMPORT_COLUMNS[key][1]}))
    if report.errors:
        return report
    by_code = {c.code: c for c in contracts}
    parsed = []
    scales: dict[int, str] = {}
    seen: dict[tuple[str, str], int] = {}
    for rownum, row in rows:
        report.rows += 1
        values = {k: row.get(col) for k, col in colmap.items()}
        code = str(values.get("contract") or "").strip()
        contract = by_code.get(code)
        if contract is None:
            report.errors.append(
                (rownum, colmap["contract"], _("合同 %(c)s 不存在或无权访问。") % {"c": code or "—"})
            )
            continue
        period = str(values.get("period") or "").strip()
        if (code, period) in seen:
            report.errors.append(
                (rownum, colmap["period"], _("与第 %(r)s 行重复。") % {"r": seen[(code, period)]})
            )
        seen[(code, period)] = rownum
        try:
            if not PERIOD_RE.match(period):
                raise DomainError(_("期间格式须为 YYYY-MM。"), fields={"period": _("格式须为 YYYY-MM。")})
            if contract.pk not in scales:
                scales[contract.pk] = csat_scale_of(contract)
            _csat(values.get("csat"), scales[contract.pk])
            _decimal(values.get("nps"), "nps", -100, 100)
            if values.get("csat") in (None, "") and values.get("nps") in (None, ""):
                raise DomainError(
                    _("CSAT 和 NPS 至少填写一项。"), fields={"csat": _("CSAT 和 NPS 至少填写一项。")}
                )
        except DomainError as exc:
            for fname, msg in exc.fields.items():
                report.errors.append((rownum, colmap.get(fname, fname), msg))
            continue
        parsed.append((contract, period, values))
    if report.rows == 0:
        report.errors.append((2, "", _("文件中没有数据行。")))
    if report.errors:
        return report
    with transaction.atomic():
        for contract, period, values in parsed:
            report.saved.append(
                record_satisfaction(
                    contract=contract,
                    actor=actor,
                    period=period,
                    csat=values.get("csat"),
                    nps=values.get("nps"),
                    responses=values.get("responses") or 0,
                    source=str(values.get("source") or ""),
                )
            )
    return report


# --- statistical early warning ------------------------------------------------------------------


def scan_spc(*, actor: Any = "system") -> list[Any]:
    """Raise one early-warning per new signal at the latest point of each contract's series (idempotent)."""
    from waibao.quality import charts
    from waibao.quality.models import SpcAlert

    alerts = []
    for contract, series in charts.all_series():
        if len(series.values) < 2:
            continue
        result = series.signals()
        last = len(series.values) - 1
        fired = sorted(rule for rule, idx in result["signals"].items() if last in idx)
        if not fired:
            continue
        point = series.labels[last]
        with transaction.atomic():
            alert, created = SpcAlert.objects.get_or_create(
                contract=contract,
                series=series.key,
                point=point,
                defaults={"rules": fired, "at": clock.now()},
            )
            if not created:
                continue
            audit.record(
                actor,
                "quality.spc.signal",
                alert,
                changes={"rules": [None, fired]},
                message=str(series.title),
                vendor_id=contract.vendor_id,
            )
            _notify(
                [contract.owner] if contract.owner else _buyer_quality_users(),
                kind="quality.spc.signal",
                title=Later(
                    _lazy("统计预警：%(c)s %(s)s 在 %(p)s 出现异常（规则 %(r)s）"),
                    {"c": contract.code, "s": series.title, "p": point, "r": ", ".join(fired)},
                ),
                url=reverse("quality:spc", args=[contract.code]),
                key=f"quality.spc.{contract.pk}.{series.key}.{point}",
            )
            alerts.append(alert)
    return alerts


# --- SLA breach as a nonconformance source --------------------------------------------------------


@transaction.atomic
def open_ncr_for_sla_breach(*, result: Any, actor: Any, severity: str = Severity.MAJOR) -> Nonconformance:
    """Open (once) a nonconformance for a missed SLA result of the delivery app; returns the existing one if any."""
    if getattr(result, "status", None) != "missed":
        raise DomainError(
            _("只有未达标的 SLA 结果可以登记为不合格。"), fields={"result": _("该结果未违约。")}
        )
    # Lock the result row so two clicks (or the command and a click) cannot open two NCRs.
    type(result).objects.select_for_update().filter(pk=result.pk).first()
    ref = sla_ref(result)
    existing = Nonconformance.objects.filter(
        contract_id=result.contract_id, source=NcrSource.SLA, source_ref=ref
    ).first()
    if existing is not None:
        return existing
    value = "—" if result.value is None else f"{result.value:.2f}"
    return open_nonconformance(
        contract=result.contract,
        actor=actor,
        source=NcrSource.SLA,
        severity=severity,
        title=Later(_lazy("SLA 未达标：%(m)s（%(p)s）"), {"m": result.metric.name, "p": result.period}),
        description=Later(
            _lazy("结果 %(v)s，目标 %(t)s（样本 %(n)s）。%(closed)s"),
            {
                "v": value,
                "t": f"{result.target.normalize():f}",
                "n": result.sample_size,
                "closed": (
                    _lazy("该周期已关账。") if result.closed else _lazy("该周期尚未关账，结果可能变化。")
                ),
            },
        ),
        source_ref=ref,
    )


def sla_ref(result: Any) -> str:
    """The NCR `source_ref` that ties a nonconformance to one SLA result (what makes opening idempotent)."""
    return f"SLA-{result.pk}"


def sla_breaches(contracts: Any) -> Any:
    """Missed SLA results of the given contracts (a queryset), newest period first."""
    from waibao.delivery.models import SlaResult

    return (
        SlaResult.objects.filter(contract__in=contracts, status="missed")
        .select_related("contract", "contract__vendor", "metric")
        .order_by("-period_start", "contract__code", "metric__position", "metric_id")
    )


def breach_ncrs(results: Iterable[Any]) -> dict[str, Nonconformance]:
    """The NCR already opened for each of these SLA results, keyed by `sla_ref` (one query)."""
    refs = [sla_ref(r) for r in results]
    return {
        n.source_ref: n
        for n in Nonconformance.objects.filter(source=NcrSource.SLA, source_ref__in=refs).only(
            "code", "status", "source_ref"
        )
    }


def open_ncrs_for_closed_breaches(*, actor: Any = "system") -> list[Nonconformance]:
    """Open one NCR per missed SLA result of a closed period that has none yet (safe to run repeatedly).

    Only closed periods: an open period's result can still change (late records, disputes), so the
    buyer opens those by hand from the SLA breaches page if they want to act early.
    """
    from waibao.delivery.models import SlaResult

    rows = list(
        SlaResult.objects.filter(status="missed", closed=True).select_related(
            "contract", "contract__vendor", "metric"
        )
    )
    done = breach_ncrs(rows)
    opened = []
    for r in rows:
        if sla_ref(r) in done:
            continue
        with transaction.atomic():
            opened.append(open_ncr_for_sla_breach(result=r, actor=actor))
    return opened


# --- satisfaction feeding the contract's manual SLA metrics ---------------------------------------

CSAT_MARKERS = ("csat", "满意度", "satisfaction")
NPS_MARKERS = ("nps", "净推荐", "net promoter")


def satisfaction_measure(metric: Any) -> str | None:
    """Which survey figure a contract SLA metric takes: "csat", "nps" or None.

    Only *manual* metrics are fed (their value is entered per period; the others are computed from
    service records by the delivery app). A manual metric is recognised by its name: "NPS" or "净推荐"
    → NPS; otherwise "CSAT", "满意度" or "satisfaction" → CSAT (case-insensitive). So "客户满意度
    (CSAT)" takes CSAT and "净推荐值 NPS" takes NPS.
    """
    definition = metric.definition or {}
    if definition.get("kind") != "manual" or getattr(metric, "retired", False):
        return None
    name = f"{metric.name} {definition.get('name', '')}".lower()
    if any(m in name for m in NPS_MARKERS):
        return "nps"
    if any(m in name for m in CSAT_MARKERS):
        return "csat"
    return None


def _feed_sla_metrics(result: SatisfactionResult, actor: Any) -> list[str]:
    """Set the period's value of the contract's CSAT/NPS manual metrics through the delivery app.

    Monthly metrics only: a satisfaction result is per month, a quarterly metric's value is not one
    month's figure. A value the delivery rules refuse (period outside the contract, say) refuses the
    whole recording, so nothing is half-written.
    """
    from waibao.contracts.models import SlaMetric
    from waibao.delivery.services import set_manual_value as setter

    fed = []
    for metric in SlaMetric.objects.filter(contract_id=result.contract_id, retired=False):
        measure = satisfaction_measure(metric)
        if measure is None or (metric.definition or {}).get("window", "month") != "month":
            continue
        value = result.csat if measure == "csat" else result.nps
        if value is None:
            continue
        setter(
            metric=metric,
            period=result.period,
            value=value,
            actor=actor,
            note=_("满意度调查 %(p)s（样本 %(n)s）") % {"p": result.period, "n": result.responses},
        )
        fed.append(metric.name)
    return fed
