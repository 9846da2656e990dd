"""Every write to contracts. Views, the API, the portal and commands all come through here.

Contract lifecycle: draft → in_approval → active ⇄ suspended → expired / terminated (see models).
Approval: ``submit_for_approval`` opens a round of :class:`ApprovalStep` rows from the configured chain;
``approve_step`` / ``return_step`` decide the current level; the last approval activates the contract
(and freezes version 1) or, for an amendment, applies the change and freezes the next version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import gettext_noop as N_

from waibao.accounts.models import Role
from waibao.calendars.models import Calendar
from waibao.contracts import metric_ui
from waibao.contracts.models import (
    DEFAULT_REQUIRED_CLAUSES,
    MILESTONE_TRANSITIONS,
    TRANSITIONS,
    AdjustmentFormula,
    Amendment,
    AmendmentStatus,
    ApprovalLevel,
    ApprovalStep,
    Clause,
    ClauseRule,
    ClauseTemplate,
    ClauseType,
    Contract,
    ContractDocument,
    ContractStatus,
    ContractVersion,
    CsatScale,
    IndexKind,
    IndexValue,
    MilestoneStatus,
    MilestoneTrigger,
    PaymentMilestone,
    PriceAdjustmentClause,
    RecordKind,
    RenewalDecision,
    RenewalType,
    SlaMetric,
    StatusChange,
    StepStatus,
    level_key_for,
)
from waibao.contracts.snapshots import TERM_FIELDS, contract_snapshot
from waibao.core import audit, clock, formats
from waibao.core.errors import ConflictError, DomainError, require_transition
from waibao.core.files import Upload, store
from waibao.core.numbers import column_errors
from waibao.core.texts import Later, join_clauses, join_list
from waibao.lib import slamath
from waibao.vendors.models import Category, Vendor, VendorStatus

CONTRACT_FIELDS = [*TERM_FIELDS, "owner", "renewal_lead_days"]
EDITABLE_STATUSES = frozenset({ContractStatus.DRAFT})
CENT = Decimal("0.01")


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


# --- configuration: required clauses and the approval chain ---------------------------------------

# (role, level name): the names are stored as the built-in levels' Chinese source text and shown through
# DEFAULT_LEVEL_NAMES in the reader's language (ApprovalStep.level_key).
DEFAULT_CHAIN: tuple[tuple[str, str], ...] = (
    (Role.MANAGER, "外包经理"),
    (Role.FINANCE, "财务"),
    (Role.ADMIN, "系统管理员"),
)


def required_clause_types() -> list[str]:
    """Clause types a contract needs before submission: the defaults, overridden by ClauseRule rows."""
    rules = dict(ClauseRule.objects.values_list("clause_type", "required"))
    return [t for t in ClauseType.values if rules.get(t, t in DEFAULT_REQUIRED_CLAUSES)]


@transaction.atomic
def set_required_clauses(*, actor: Any, types: list[str]) -> list[str]:
    unknown = [t for t in types if t not in ClauseType.values]
    if unknown:
        raise DomainError(
            _("未知的条款类型：%(t)s。") % {"t": ", ".join(unknown)}, fields={"types": _("未知的条款类型")}
        )
    before = required_clause_types()
    for t in ClauseType.values:
        ClauseRule.objects.update_or_create(clause_type=t, defaults={"required": t in types})
    after = required_clause_types()
    from waibao.core.models import Organization

    org = Organization.objects.first()
    if org is not None:
        audit.record(
            actor, "contracts.settings.required_clauses", org, changes={"required_clauses": [before, after]}
        )
    return after


def approval_chain() -> list[tuple[str, str]]:
    """(role, level name) in order; the default chain when none is configured."""
    levels = list(ApprovalLevel.objects.order_by("position").values_list("role", "name"))
    return levels or [(role, name) for role, name in DEFAULT_CHAIN]


@transaction.atomic
def set_approval_chain(*, actor: Any, levels: list[tuple[str, str]]) -> list[tuple[str, str]]:
    errors: dict[str, str] = {}
    buyer_roles = {Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.QUALITY}
    if not levels:
        errors["levels"] = _("审批链至少需要一个层级。")
    for i, (role, name) in enumerate(levels):
        if role not in buyer_roles:
            errors[f"levels.{i}.role"] = _("第 %(n)s 级的审批角色无效。") % {"n": i + 1}
        if not str(name).strip():
            errors[f"levels.{i}.name"] = _("第 %(n)s 级需要名称。") % {"n": i + 1}
    if errors:
        raise DomainError(_("审批链设置有误。"), fields=errors)
    before = approval_chain()
    ApprovalLevel.objects.all().delete()
    for i, (role, name) in enumerate(levels, start=1):
        ApprovalLevel.objects.create(position=i, role=role, name=str(name).strip())
    from waibao.core.models import Organization

    org = Organization.objects.first()
    if org is not None:
        audit.record(actor, "contracts.settings.approval_chain", org, changes={"chain": [before, levels]})
    return approval_chain()


# --- contracts -----------------------------------------------------------------------------------


def next_contract_code(year: int) -> str:
    prefix = f"CT-{year}-"
    last = Contract.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:04d}"


def _decimal(value: Any, field: str, errors: dict[str, str], *, required: bool = False) -> Decimal | None:
    if value in (None, ""):
        if required:
            errors[field] = _("必填。")
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = _("请输入数字。")
        return None
    if not d.is_finite():
        errors[field] = _("请输入数字。")
        return None
    if d < 0:
        errors[field] = _("不能为负数。")
        return None
    return d


def _date(value: Any, field: str, errors: dict[str, str], *, required: bool = False) -> date | None:
    if value in (None, ""):
        if required:
            errors[field] = _("必填。")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field] = _("日期格式应为 YYYY-MM-DD。")
        return None


#: The longest notice period or renewal lead a contract may name (ten years): dates are counted back from
#: the term's end with it.
MAX_TERM_DAYS = 3650


def clean_contract_values(values: dict[str, Any], *, instance: Contract | None = None) -> dict[str, Any]:
    """Normalise and check contract fields; raise DomainError naming every failing field."""
    errors: dict[str, str] = {}
    data = {k: v for k, v in values.items() if k in CONTRACT_FIELDS}
    for key in ("title", "scope", "objectives", "department", "currency"):
        if key in data:
            data[key] = (data[key] or "").strip()
    merged: dict[str, Any] = {f: getattr(instance, f) for f in CONTRACT_FIELDS} if instance else {}
    merged.update(data)
    if not merged.get("title"):
        errors["title"] = _("合同名称不能为空。")
    if merged.get("category") not in Category.values:
        errors["category"] = _("服务类别无效。")
    if merged.get("renewal_type", RenewalType.FIXED) not in RenewalType.values:
        errors["renewal_type"] = _("续约方式无效。")
    for key in ("start_date", "end_date"):
        if key in data:
            data[key] = _date(data[key], key, errors, required=key == "start_date")
            merged[key] = data[key]
    if instance is None and "start_date" not in data:
        errors["start_date"] = _("必填。")
    start, end = merged.get("start_date"), merged.get("end_date")
    renewal = merged.get("renewal_type") or RenewalType.FIXED
    if renewal != RenewalType.EVERGREEN and not end and "end_date" not in errors:
        errors["end_date"] = _("固定期限或自动续约的合同必须填写结束日期。")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        errors["end_date"] = _("结束日期不能早于开始日期。")
    for key in ("total_value", "monthly_fee", "credit_cap_percent", "bonus_cap_percent"):
        if key in data:
            data[key] = _decimal(data[key], key, errors)
            if data[key] is None and key != "bonus_cap_percent":
                data[key] = Decimal(15) if key == "credit_cap_percent" else Decimal(0)
    for key in ("credit_cap_percent", "bonus_cap_percent"):
        if isinstance(data.get(key), Decimal) and data[key] > 100:
            errors[key] = _("百分比不能超过 100。")
    for key in ("notice_days", "renewal_lead_days"):
        if key in data:
            try:
                data[key] = int(data[key] if data[key] not in (None, "") else 0)
                if data[key] < 0:
                    raise ValueError
            except (TypeError, ValueError):
                errors[key] = _("请输入不小于 0 的整数。")
            else:
                if data[key] > MAX_TERM_DAYS:
                    errors[key] = _("天数不能超过 %(n)s。") % {"n": f"{MAX_TERM_DAYS:,}"}
    if "currency" in data:
        data["currency"] = (data["currency"] or "CNY").upper()
        if not re.fullmatch(r"[A-Z]{3}", data["currency"]):
            errors["currency"] = _("币种应为三位字母代码，如 CNY、USD。")
    if "owner" in data:
        data["owner"] = _clean_owner(data["owner"], errors)
    for key, message in column_errors(Contract, data).items():
        errors.setdefault(key, message)
    if errors:
        raise DomainError(_("合同信息有误：%(f)s") % {"f": join_clauses(errors.values())}, fields=errors)
    return data


#: Who may own (be responsible for) a contract. Every door — page, API, import — asks here.
OWNER_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def owner_candidates() -> Any:
    """Active users who may be a contract's owner, for pickers."""
    from waibao.accounts.models import User

    return User.objects.filter(is_active=True, role__in=OWNER_ROLES).order_by("full_name", "username")


def _clean_owner(value: Any, errors: dict[str, str]) -> Any:
    """A user (or user id) who may own a contract, or None when no owner is given."""
    from waibao.accounts.models import User

    if value in (None, ""):
        return None
    if isinstance(value, User):
        user: Any = value
    else:
        key = str(value).strip()
        user = User.objects.filter(pk=int(key)).first() if key.isdigit() else None
    if user is None or not user.is_active or user.role not in OWNER_ROLES:
        errors["owner"] = _("合同负责人须为在职的外包经理或系统管理员。")
        return None
    return user


def create_contract(*, actor: Any, vendor: Vendor, **values: Any) -> Contract:
    """Create a draft contract with the next CT-YYYY-NNNN code."""
    if vendor.status in (VendorStatus.BLACKLISTED, VendorStatus.EXITED):
        raise DomainError(
            _("供应商 %(v)s 状态为%(s)s，不能签订新合同。")
            % {"v": vendor.code, "s": vendor.get_status_display()},
            fields={"vendor": _("该供应商不能签订新合同。")},
        )
    data = clean_contract_values(values)
    if data.get("owner") is None:
        data["owner"] = _user(actor) if getattr(actor, "role", None) == Role.MANAGER else None
    year = clock.today().year
    for _attempt in range(5):
        try:
            with transaction.atomic():
                contract = Contract.objects.create(
                    code=next_contract_code(year), vendor=vendor, status=ContractStatus.DRAFT, **data
                )
                audit.record(
                    actor,
                    "contracts.contract.created",
                    contract,
                    changes=audit.created(contract, CONTRACT_FIELDS),
                )
                return contract
        except IntegrityError as exc:  # two creations raced for the same code: take the next one
            if "code" not in str(exc).lower() and "unique" not in str(exc).lower():
                raise
    raise ConflictError(_("合同编号分配冲突，请重试。"))


def update_contract(
    *, contract: Contract, actor: Any, expected_version: int | None = None, **values: Any
) -> Contract:
    """Edit a draft's terms. An active contract changes only through an amendment."""
    if contract.status not in EDITABLE_STATUSES:
        raise DomainError(
            _("合同状态为%(s)s，不能直接修改；请提交合同变更。") % {"s": contract.get_status_display()},
            code="not_editable",
            status=409,
        )
    data = clean_contract_values(values, instance=contract)
    before = audit.snapshot(contract, CONTRACT_FIELDS)
    version = contract.version if expected_version is None else expected_version
    with transaction.atomic():
        updated = Contract.objects.filter(pk=contract.pk, version=version).update(
            version=F("version") + 1, updated_at=clock.now(), **data
        )
        if not updated:
            raise ConflictError(_("该合同已被其他人修改，请刷新后重试。"))
        contract.refresh_from_db()
        audit.record(
            actor,
            "contracts.contract.updated",
            contract,
            changes=audit.diff(before, audit.snapshot(contract, CONTRACT_FIELDS)),
        )
    return contract


def _move(contract: Contract, actor: Any, to: str, reason: str = "") -> None:
    require_transition(TRANSITIONS, contract.status, to, ContractStatus, code="bad_transition", status=409)
    before = contract.status
    contract.status = to
    contract.status_changed_at = clock.now()
    contract.version += 1
    contract.save(update_fields=["status", "status_changed_at", "version", "updated_at"])
    StatusChange.objects.create(
        contract=contract, from_status=before, to_status=to, reason=reason, actor=_user(actor), at=clock.now()
    )
    audit.record(
        actor, f"contracts.contract.{to}", contract, changes={"status": [before, to]}, message=reason
    )


def change_status(
    *, contract: Contract, actor: Any, to: str, reason: str = "", on: date | None = None
) -> Contract:
    """Suspend, resume, expire or terminate (termination needs a date and a reason)."""
    if to not in (
        ContractStatus.SUSPENDED,
        ContractStatus.ACTIVE,
        ContractStatus.EXPIRED,
        ContractStatus.TERMINATED,
    ):
        raise DomainError(_("请通过审批流程提交或生效合同。"), fields={"status": _("不允许的状态变更。")})
    if contract.status == ContractStatus.IN_APPROVAL or (
        to == ContractStatus.ACTIVE and contract.status != ContractStatus.SUSPENDED
    ):
        raise DomainError(
            _("合同不能从“%(a)s”变为“%(b)s”。")
            % {"a": contract.get_status_display(), "b": ContractStatus(to).label},
            fields={"status": _("不允许的状态变更。")},
            code="bad_transition",
            status=409,
        )
    reason = (reason or "").strip()
    if to in (ContractStatus.TERMINATED, ContractStatus.SUSPENDED) and not reason:
        raise DomainError(_("请填写原因。"), fields={"reason": _("终止或暂停合同必须填写原因。")})
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.version != contract.version:
            raise ConflictError(_("该合同已被其他人修改，请刷新后重试。"))
        _move(contract, actor, to, reason)
        if to == ContractStatus.TERMINATED:
            contract.terminated_on = on or clock.today()
            contract.termination_reason = reason
            contract.save(update_fields=["terminated_on", "termination_reason"])
            _cancel_open_steps(contract)
    return contract


def record_renewal_decision(*, contract: Contract, actor: Any, decision: str, note: str = "") -> Contract:
    if decision not in RenewalDecision.values or not decision:
        raise DomainError(_("续约决定无效。"), fields={"decision": _("可选：续约、重新谈判、不续约。")})
    before = contract.renewal_decision
    with transaction.atomic():
        contract.renewal_decision = decision
        contract.renewal_decided_at = clock.now()
        contract.version += 1
        contract.save(update_fields=["renewal_decision", "renewal_decided_at", "version", "updated_at"])
        audit.record(
            actor,
            "contracts.contract.renewal_decided",
            contract,
            changes={"renewal_decision": [before, decision]},
            message=note,
        )
    return contract


def set_csat_scale(*, contract: Contract, actor: Any, scale: str) -> Contract:
    """Choose the one scale the contract's CSAT is given in (records' ratings, survey results, the SLA
    metrics over them). Values stored before keep theirs; values entered afterwards are checked against it."""
    if scale not in CsatScale.values:
        raise DomainError(
            _("量表无效：%(s)s。") % {"s": scale},
            fields={"csat_scale": _("请选择 %(c)s。") % {"c": join_list(str(c.label) for c in CsatScale)}},
        )
    before = contract.csat_scale
    if before == scale:
        return contract
    with transaction.atomic():
        contract.csat_scale = scale
        contract.version += 1
        contract.save(update_fields=["csat_scale", "version", "updated_at"])
        audit.record(actor, "contracts.contract.scale_set", contract, changes={"csat_scale": [before, scale]})
    return contract


def renewal_reminder_date(contract: Contract) -> date | None:
    """End date minus notice period minus lead time; None for evergreen contracts."""
    if contract.end_date is None or contract.renewal_type == RenewalType.EVERGREEN:
        return None
    return contract.end_date - timedelta(days=contract.notice_days + contract.renewal_lead_days)


# --- end of term: expiry and automatic renewal -----------------------------------------------------


def _add_months(d: date, months: int) -> date:
    import calendar as pycal

    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return d.replace(year=year, month=month, day=min(d.day, pycal.monthrange(year, month)[1]))


def next_term_end(contract: Contract) -> date:
    """The end date one term later. A term is the contract's initial term (version 1, else the live dates):
    whole months when it spans whole months (2026-01-01 … 2026-12-31 → one year), otherwise days."""
    assert contract.end_date is not None
    first = contract.versions.order_by("number").first()
    snap = first.snapshot if first is not None else {}
    start = date.fromisoformat(snap["start_date"]) if snap.get("start_date") else contract.start_date
    end = date.fromisoformat(snap["end_date"]) if snap.get("end_date") else contract.end_date
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if after.day == start.day and months > 0:
        return _add_months(contract.end_date + timedelta(days=1), months) - timedelta(days=1)
    return contract.end_date + timedelta(days=(end - start).days + 1)


def renew_term(*, contract: Contract, actor: Any, today: date | None = None) -> Contract:
    """Roll an auto-renew contract past its end date forward by whole terms until it covers ``today``.

    Each term rolled becomes a new :class:`ContractVersion` (same terms, new end date) in force from the
    day after the old end; the renewal decision is cleared for the new term; the owner is told once.
    """
    today = today or clock.today()
    if contract.renewal_type != RenewalType.AUTO or contract.status not in (
        ContractStatus.ACTIVE,
        ContractStatus.SUSPENDED,
    ):
        raise DomainError(_("只有生效中的自动续约合同可以自动续期。"), code="not_renewable", status=409)
    if contract.renewal_decision == RenewalDecision.NOT_RENEW:
        raise DomainError(_("已决定不续约，合同不会自动续期。"), code="not_renewable", status=409)
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.version != contract.version:
            raise ConflictError(_("该合同已被其他人修改，请刷新后重试。"))
        if contract.end_date is None or contract.end_date >= today:
            return contract
        first_end = contract.end_date
        before_version = contract.current_version
        while contract.end_date < today:
            old_end = contract.end_date
            contract.end_date = next_term_end(contract)
            contract.renewal_decision = ""
            contract.renewal_decided_at = None
            contract.version += 1
            contract.save(
                update_fields=["end_date", "renewal_decision", "renewal_decided_at", "version", "updated_at"]
            )
            _freeze_version(
                contract,
                actor,
                old_end + timedelta(days=1),
                None,
                note=str(
                    _("自动续约：%(a)s 至 %(b)s") % {"a": old_end + timedelta(days=1), "b": contract.end_date}
                ),
            )
        audit.record(
            actor,
            "contracts.contract.renewed",
            contract,
            changes={
                "end_date": [first_end, contract.end_date],
                "current_version": [before_version, contract.current_version],
            },
            message=str(_("自动续约")),
        )
    from waibao.notifications.services import notify

    notify(
        users=contract_watchers(contract),
        kind="contracts.renewed",
        title=Later(
            _lazy("%(code)s 已自动续约至 %(end)s"), {"code": contract.code, "end": contract.end_date}
        ),
        body=Later(
            _lazy("合同“%(title)s”（%(vendor)s）原定 %(old)s 到期，按自动续约条款顺延一个合同期。"),
            {"title": contract.title, "vendor": contract.vendor.name, "old": first_end},
        ),
        url=f"/contracts/{contract.code}/#versions",
        key=f"auto-renewed:{contract.pk}:{contract.end_date}",
    )
    return contract


@dataclass
class TermRun:
    expired: list[str]
    renewed: list[str]
    failed: list[str]


def handle_end_of_term(*, today: date | None = None, actor: Any = "system") -> TermRun:
    """Idempotent daily job: in-force contracts past their end date expire (fixed term, or auto-renew with
    a "do not renew" decision) or roll forward one term (auto-renew); evergreen contracts are left alone."""
    import logging

    today = today or clock.today()
    run = TermRun([], [], [])
    due = (
        Contract.objects.filter(
            status__in=[ContractStatus.ACTIVE, ContractStatus.SUSPENDED], end_date__lt=today
        )
        .exclude(renewal_type=RenewalType.EVERGREEN)
        .select_related("vendor", "owner")
        .order_by("end_date", "pk")
    )
    for contract in due:
        try:
            outcome = end_term_if_due(contract=contract, actor=actor, today=today)
            if outcome == "renewed":
                run.renewed.append(contract.code)
            elif outcome == "expired":
                run.expired.append(contract.code)
        except DomainError:  # one odd contract must not stop the others; it is retried next run
            logging.getLogger(__name__).exception("end of term failed for %s", contract.code)
            run.failed.append(contract.code)
    return run


def term_ended(contract: Contract, today: date | None = None) -> bool:
    """Whether the contract's term is over: an end date before today (evergreen contracts never end)."""
    today = today or clock.today()
    return (
        contract.end_date is not None
        and contract.end_date < today
        and contract.renewal_type != RenewalType.EVERGREEN
    )


def end_term_if_due(*, contract: Contract, actor: Any, today: date | None = None) -> str | None:
    """Apply the end-of-term rule to one in-force contract: "expired", "renewed", or None (nothing due).

    Idempotent: an expired contract, or one whose term still runs, is left as it is."""
    today = today or clock.today()
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.SUSPENDED) or not term_ended(
        contract, today
    ):
        return None
    if contract.renewal_type == RenewalType.AUTO and contract.renewal_decision != RenewalDecision.NOT_RENEW:
        renew_term(contract=contract, actor=actor, today=today)
        return "renewed"
    _expire(contract, actor)
    return "expired"


def _expire(contract: Contract, actor: Any) -> None:
    from waibao.notifications.services import notify

    end = contract.end_date
    change_status(
        contract=contract,
        actor=actor,
        to=ContractStatus.EXPIRED,
        reason=str(_("合同期满（%(d)s）自动到期。") % {"d": end}),
    )
    notify(
        users=contract_watchers(contract),
        kind="contracts.expired",
        title=Later(_lazy("%(code)s 已到期"), {"code": contract.code}),
        body=Later(
            _lazy("合同“%(title)s”（%(vendor)s）已于 %(end)s 期满，状态改为到期。"),
            {"title": contract.title, "vendor": contract.vendor.name, "end": end},
        ),
        url=f"/contracts/{contract.code}/",
        key=f"expired:{contract.pk}",
    )


# --- clauses --------------------------------------------------------------------------------------


def _require_editable(contract: Contract) -> None:
    if contract.status not in EDITABLE_STATUSES:
        raise DomainError(
            _("合同状态为%(s)s，条款和指标只能通过合同变更修改。") % {"s": contract.get_status_display()},
            code="not_editable",
            status=409,
        )


def _clean_clause(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    if data.get("clause_type") not in ClauseType.values:
        errors["clause_type"] = _("条款类型无效。")
    if not data.get("text"):
        errors["text"] = _("条款内容不能为空。")
    if not data.get("title") and data.get("clause_type") in ClauseType.values:
        data["title"] = str(ClauseType(data["clause_type"]).label)
    if errors:
        raise DomainError(_("条款有误：%(f)s") % {"f": join_clauses(errors.values())}, fields=errors)
    return data


def add_clause(
    *,
    contract: Contract,
    actor: Any,
    clause_type: str = "",
    title: str = "",
    text: str = "",
    template: ClauseTemplate | None = None,
) -> Clause:
    _require_editable(contract)
    if template is not None:
        clause_type = clause_type or template.clause_type
        title = title or template.title
        text = text or template.text
    data = _clean_clause({"clause_type": clause_type, "title": title, "text": text})
    with transaction.atomic():
        position = (contract.clauses.aggregate(m=Max("position"))["m"] or 0) + 1
        clause = Clause.objects.create(contract=contract, position=position, template=template, **data)
        audit.record(
            actor,
            "contracts.clause.added",
            clause,
            changes=audit.created(clause, ["clause_type", "title", "text"]),
        )
    return clause


def update_clause(*, clause: Clause, actor: Any, **values: Any) -> Clause:
    _require_editable(clause.contract)
    before = audit.snapshot(clause, ["clause_type", "title", "text"])
    data = _clean_clause({**before, **{k: v for k, v in values.items() if k in before}})
    with transaction.atomic():
        for k, v in data.items():
            setattr(clause, k, v)
        clause.version += 1
        clause.save(update_fields=["clause_type", "title", "text", "version", "updated_at"])
        audit.record(
            actor,
            "contracts.clause.updated",
            clause,
            changes=audit.diff(before, audit.snapshot(clause, list(before))),
        )
    return clause


@transaction.atomic
def delete_clause(*, clause: Clause, actor: Any) -> None:
    _require_editable(clause.contract)
    audit.record(actor, "contracts.clause.deleted", clause, changes={"title": [clause.title, None]})
    clause.delete()


def missing_clauses(contract: Contract) -> list[str]:
    present = set(contract.clauses.values_list("clause_type", flat=True))
    return [t for t in required_clause_types() if t not in present]


def save_clause_template(
    *, actor: Any, clause_type: str, title: str, text: str, template: ClauseTemplate | None = None
) -> ClauseTemplate:
    data = _clean_clause({"clause_type": clause_type, "title": title, "text": text})
    with transaction.atomic():
        if template is None:
            template = ClauseTemplate.objects.create(**data)
            audit.record(
                actor,
                "contracts.clause_template.created",
                template,
                changes=audit.created(template, list(data)),
            )
        else:
            before = audit.snapshot(template, list(data))
            for k, v in data.items():
                setattr(template, k, v)
            template.version += 1
            template.save(update_fields=[*data, "version", "updated_at"])
            audit.record(
                actor,
                "contracts.clause_template.updated",
                template,
                changes=audit.diff(before, audit.snapshot(template, list(data))),
            )
    return template


def set_clause_template_active(*, template: ClauseTemplate, actor: Any, active: bool) -> ClauseTemplate:
    """Retire a library template (it is no longer offered; clauses made from it keep their text) or
    bring it back."""
    if template.is_active != active:
        with transaction.atomic():
            template.is_active = active
            template.version += 1
            template.save(update_fields=["is_active", "version", "updated_at"])
            audit.record(
                actor,
                "contracts.clause_template." + ("restored" if active else "retired"),
                template,
                changes={"is_active": [not active, active]},
            )
    return template


def library_template_for(clause_type: str) -> ClauseTemplate | None:
    """The library text offered for a clause type: its oldest active template."""
    return ClauseTemplate.objects.filter(clause_type=clause_type, is_active=True).order_by("pk").first()


@dataclass(frozen=True)
class MissingClausesRun:
    added: list[Clause]
    without_template: list[str]  # required clause types the library has no active template for


def add_missing_clauses(*, contract: Contract, actor: Any) -> MissingClausesRun:
    """Add every required clause the contract lacks, each from the library's template for its type."""
    _require_editable(contract)
    added: list[Clause] = []
    without: list[str] = []
    with transaction.atomic():
        Contract.objects.select_for_update().get(pk=contract.pk)
        for clause_type in missing_clauses(contract):
            template = library_template_for(clause_type)
            if template is None:
                without.append(clause_type)
                continue
            added.append(add_clause(contract=contract, actor=actor, template=template))
    return MissingClausesRun(added, without)


# --- SLA metrics ----------------------------------------------------------------------------------


def clean_metric_definition(
    definition: dict[str, Any], calendar: Calendar, contract: Contract
) -> dict[str, Any]:
    """Validate with slamath and return the canonical ``MetricDef.to_dict()``; field-level errors."""
    d = dict(definition)
    d["calendar"] = calendar.name
    custom = contract.custom_fields or None
    try:
        errors = {k: _tr(v) for k, v in slamath.validate_metric(d, custom).items()}
    except ValueError as exc:
        raise DomainError(_("自定义字段定义有误：%(e)s") % {"e": exc}, fields={"custom_fields": str(exc)})
    kind = d.get("record_kind")
    if "record_kind" not in errors and isinstance(kind, str) and kind.strip() and kind not in RecordKind.values:
        # Imports use the metric's kind as each row's default: a kind no record may have rejects them all.
        errors["record_kind"] = _("“%(v)s”不是允许的记录类型；请从以下类型中选择：%(c)s。") % {
            "v": kind,
            "c": join_list(str(label) for label in RecordKind.labels),
        }
    if errors:
        raise DomainError(
            _("SLA 指标定义有误：%(f)s")
            % {"f": join_clauses(_metric_error_text(k, v).rstrip("。.") for k, v in errors.items())},
            fields={k: _metric_error_text(k, v) if "." in k else v for k, v in errors.items()},
        )
    return slamath.MetricDef.from_dict(d, custom).to_dict()


_METRIC_LABELS = {
    "name": N_("指标名称"),
    "kind": N_("指标类型"),
    "record_kind": N_("记录类型"),
    "window": N_("统计周期"),
    "direction": N_("方向"),
    "target": N_("目标值"),
    "min_sample": N_("最小样本量"),
    "weight": N_("权重"),
    "calendar": N_("工作日历"),
    "start_field": N_("起始时间"),
    "end_field": N_("结束时间"),
    "threshold_minutes": N_("时限"),
    "statistic": N_("统计量"),
    "flag": N_("“是/否”字段"),
    "field": N_("数值字段"),
    "tiers": N_("奖惩区间"),
    "filter": N_("筛选条件"),
}
_TIER_PARTS = {"from": N_("结果下限"), "to": N_("结果上限"), "consequence": N_("奖惩"), "amount": N_("数额")}
_FILTER_PARTS = {"field": N_("字段"), "op": N_("条件"), "value": N_("值")}


def metric_error_place(path: str) -> str:
    """Where in the metric a validation path points, numbered as the user sees it: ``tiers.1.to`` is
    "第 2 档 · 结果上限" (tier 2, upper bound), ``filter.0.value`` "第 1 个筛选条件 · 值"."""
    parts = path.split(".")
    head = parts[0]
    if head in ("tiers", "filter") and len(parts) >= 2 and parts[1].isdigit():
        n = int(parts[1]) + 1
        row = _("第 %(n)s 档") % {"n": n} if head == "tiers" else _("第 %(n)s 个筛选条件") % {"n": n}
        part = (_TIER_PARTS if head == "tiers" else _FILTER_PARTS).get(parts[2]) if len(parts) > 2 else None
        return _("%(row)s · %(part)s") % {"row": row, "part": _(part)} if part else row
    if head == "filter" and len(parts) >= 2:
        return _("%(row)s · %(part)s") % {"row": _("筛选条件"), "part": metric_ui.field_label(parts[1])}
    label = _METRIC_LABELS.get(head)
    return _(label) if label else path


def _metric_error_text(path: str, message: str) -> str:
    return _("%(where)s：%(message)s") % {"where": metric_error_place(path), "message": message}


_SLAMATH_MESSAGES = {
    "This field is required.": N_("必填。"),
    "Enter a number.": N_("请输入数字。"),
    "The number is too large: at most 15 digits before the decimal point.": N_(
        "数值过大：整数部分最多 15 位。"
    ),
    "The number is too large: at most 10 digits before the decimal point.": N_(
        "数值过大：整数部分最多 10 位。"
    ),
    "Too many decimal places: at most 30.": N_("小数位过多：最多 30 位。"),
    "At most 1,000,000 minutes.": N_("最多 1,000,000 分钟。"),
    "Enter a whole number.": N_("请输入整数。"),
    "Must not be negative.": N_("不能为负数。"),
    "A percentage cannot exceed 100.": N_("百分比不能超过 100。"),
    "Weight must be greater than zero.": N_("权重必须大于 0。"),
    "Unknown field.": N_("未知字段。"),
    "Unknown setting.": N_("未知设置项。"),
    "'To' must be greater than 'from'.": N_("区间上限必须大于下限。"),
    "The target is outside every tier.": N_("目标值不在任何奖惩区间内。"),
    "Must be a timestamp field.": N_("必须是时间字段。"),
    "Start and end must be different fields.": N_("起止字段不能相同。"),
    "Not used by this kind of metric.": N_("此类指标不使用该项。"),
    "Give a yes/no flag or a pair of timestamps.": N_("请给出是/否字段或一对时间字段。"),
    "Give either a flag or a pair of timestamps, not both.": N_("是/否字段与时间字段只能二选一。"),
    "Must be a yes/no field.": N_("必须是是/否字段。"),
    "Must be a numeric field.": N_("必须是数值字段。"),
    "Cannot filter on a timestamp field.": N_("不能按时间字段筛选。"),
    "The value does not match the field's type.": N_("值与字段类型不符。"),
    "Each condition needs a field, an operator and a value.": N_("每个条件需要字段、运算符和值。"),
    "A cap cannot exceed 100% of the fee.": N_("上限不能超过服务费的 100%。"),
    "Enter a list.": N_("请输入列表。"),
    "Enter a text value.": N_("请输入文本。"),
}


def _tr(message: str) -> str:
    """slamath speaks English; show its rules in the user's language."""
    if message.startswith("Overlaps tier "):
        return _("与第 %(n)s 档重叠。") % {"n": int(message.split(" ")[-1].rstrip(".")) + 1}
    if message.startswith("Not one of the allowed values"):
        return _("不是允许的值：%(v)s") % {"v": message.split(": ", 1)[1].rstrip(".")}
    zh = _SLAMATH_MESSAGES.get(message)
    return _(zh) if zh else message


def add_metric(
    *, contract: Contract, actor: Any, definition: dict[str, Any], calendar: Calendar
) -> SlaMetric:
    _require_editable(contract)
    canonical = clean_metric_definition(definition, calendar, contract)
    with transaction.atomic():
        position = (contract.sla_metrics.aggregate(m=Max("position"))["m"] or 0) + 1
        metric = SlaMetric.objects.create(
            contract=contract,
            name=canonical["name"],
            record_kind=canonical.get("record_kind") or "",
            definition=canonical,
            calendar=calendar,
            position=position,
        )
        audit.record(actor, "contracts.sla_metric.added", metric, changes={"definition": [None, canonical]})
    return metric


def update_metric(
    *, metric: SlaMetric, actor: Any, definition: dict[str, Any], calendar: Calendar | None = None
) -> SlaMetric:
    _require_editable(metric.contract)
    calendar = calendar or metric.calendar
    canonical = clean_metric_definition(definition, calendar, metric.contract)
    before = metric.definition
    with transaction.atomic():
        metric.definition = canonical
        metric.name = canonical["name"]
        metric.record_kind = canonical.get("record_kind") or ""
        metric.calendar = calendar
        metric.version += 1
        metric.save(update_fields=["definition", "name", "record_kind", "calendar", "version", "updated_at"])
        audit.record(
            actor, "contracts.sla_metric.updated", metric, changes={"definition": [before, canonical]}
        )
    return metric


@transaction.atomic
def delete_metric(*, metric: SlaMetric, actor: Any) -> None:
    _require_editable(metric.contract)
    audit.record(actor, "contracts.sla_metric.deleted", metric, changes={"name": [metric.name, None]})
    metric.delete()


def preview_credit(*, metric: SlaMetric, value: Any, monthly_fee: Decimal | None = None) -> dict[str, Any]:
    """What a period result of ``value`` would give (credit or bonus), capped at the contract's cap."""
    contract = metric.contract
    fee_errors = column_errors(Contract, {"monthly_fee": monthly_fee}) if monthly_fee is not None else {}
    result = slamath.preview(
        metric.definition,
        value,
        contract.monthly_fee if monthly_fee is None or fee_errors else monthly_fee,
        contract.credit_cap_percent,
        custom_fields=contract.custom_fields or None,
    )
    if result.get("errors") or fee_errors:
        errors = {k: _tr(v) for k, v in result.get("errors", {}).items()}
        result = {"errors": {**errors, **fee_errors}}
    return result


# --- approval -------------------------------------------------------------------------------------


def _open_steps(contract: Contract, amendment: Amendment | None) -> list[ApprovalStep]:
    rnd = amendment.approval_round if amendment is not None else contract.approval_round
    return list(
        ApprovalStep.objects.filter(contract=contract, amendment=amendment, round=rnd)
        .select_related("decided_by")
        .order_by("position")
    )


def current_step(contract: Contract, amendment: Amendment | None = None) -> ApprovalStep | None:
    for step in _open_steps(contract, amendment):
        if step.status == StepStatus.PENDING:
            return step
    return None


def can_decide(user: Any, step: ApprovalStep | None) -> bool:
    """Only a user holding the current level's role decides it."""
    from waibao.accounts import policy

    return (
        step is not None
        and step.status == StepStatus.PENDING
        and policy.can(user, "contracts.approve")
        and getattr(user, "role", None) == step.role
    )


#: Ids above this cannot be a row's id (PostgreSQL's bigint); looked up they would be a database error.
_MAX_ID = 2**63 - 1


def _refuse_stale_decision(
    contract: Contract,
    amendment: Amendment | None,
    actor: Any,
    current: ApprovalStep | None,
    step_id: int | None,
) -> None:
    """The loser of a race — two holders of one level deciding it at once, or a page still showing a level
    someone has decided since — hears that the level was already decided, by whom and when (409
    ``already_decided``), not that their role may not decide it (403), and never decides the next level
    by accident. ``step_id`` is the step the decider was shown (the page always sends it); without it,
    the latest step of the open round at the decider's role that someone decided stands in for it."""
    from waibao.accounts import policy

    if not policy.can(actor, "contracts.approve"):
        return
    steps = ApprovalStep.objects.filter(contract=contract, amendment=amendment).select_related("decided_by")
    if step_id is not None:
        seen = steps.filter(pk=step_id).first() if 0 < step_id <= _MAX_ID else None
        if seen is None:
            msg = _("该审批步骤不属于此合同或变更。")
            raise DomainError(msg, fields={"step_id": msg})
        if current is not None and seen.pk == current.pk:
            return
    else:
        if current is not None and can_decide(actor, current):
            return
        rnd = amendment.approval_round if amendment is not None else contract.approval_round
        seen = (
            steps.filter(
                round=rnd,
                role=getattr(actor, "role", None),
                status__in=[StepStatus.APPROVED, StepStatus.RETURNED],
            )
            .order_by("-decided_at", "-position")
            .first()
        )
        if seen is None:
            return
    params = {
        "level": seen.level_label,
        "who": seen.decided_by.display_name if seen.decided_by is not None else _("其他审批人"),
        "when": formats.moment(seen.decided_at),
    }
    if seen.status == StepStatus.APPROVED:
        message = _("该审批层级（%(level)s）已由 %(who)s 于 %(when)s 批准，无需再次决定。") % params
    elif seen.status == StepStatus.RETURNED:
        message = _("该审批层级（%(level)s）已由 %(who)s 于 %(when)s 退回，无需再次决定。") % params
    elif seen.status == StepStatus.WAITING:
        message = _("该审批层级（%(level)s）尚未轮到审批。") % params
        raise DomainError(message, code="not_current", status=409)
    else:
        message = _("该审批层级（%(level)s）无需再决定：这一轮审批已结束。") % params
    raise DomainError(message, code="already_decided", status=409)


def _start_round(contract: Contract, amendment: Amendment | None) -> None:
    chain = approval_chain()
    if amendment is not None:
        amendment.approval_round += 1
        amendment.save(update_fields=["approval_round"])
        rnd = amendment.approval_round
    else:
        contract.approval_round += 1
        contract.save(update_fields=["approval_round"])
        rnd = contract.approval_round
    for i, (role, name) in enumerate(chain, start=1):
        ApprovalStep.objects.create(
            contract=contract,
            amendment=amendment,
            round=rnd,
            position=i,
            level_name=name,
            level_key=level_key_for(role, name),
            role=role,
            status=StepStatus.PENDING if i == 1 else StepStatus.WAITING,
        )


def _cancel_open_steps(contract: Contract) -> None:
    ApprovalStep.objects.filter(
        contract=contract, status__in=[StepStatus.PENDING, StepStatus.WAITING]
    ).update(status=StepStatus.CANCELLED)


def submission_problems(contract: Contract) -> dict[str, str]:
    """Why the contract cannot be submitted yet (field → message); empty when it can."""
    problems: dict[str, str] = {}
    missing = missing_clauses(contract)
    if missing:
        problems["clauses"] = _("缺少必备条款：%(t)s。") % {
            "t": join_list(str(ClauseType(t).label) for t in missing)
        }
    for metric in contract.sla_metrics.filter(retired=False).select_related("calendar"):
        try:
            clean_metric_definition(metric.definition, metric.calendar, contract)
        except DomainError as exc:
            problems[f"sla_metrics.{metric.pk}"] = _("SLA 指标“%(n)s”定义有误：%(e)s") % {
                "n": metric.name,
                "e": exc.message,
            }
    return problems


def submit_for_approval(*, contract: Contract, actor: Any) -> Contract:
    problems = submission_problems(contract)
    if problems:
        raise DomainError(
            _("合同尚不能提交审批：%(p)s") % {"p": " ".join(problems.values())},
            fields=problems,
            code="incomplete",
        )
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.version != contract.version or locked.status != contract.status:
            raise ConflictError(_("该合同已被其他人修改，请刷新后重试。"))
        _move(contract, actor, ContractStatus.IN_APPROVAL, _("提交审批"))
        _start_round(contract, None)
    _notify_approvers(contract, None)
    return contract


def _notify_approvers(contract: Contract, amendment: Amendment | None) -> None:
    from waibao.accounts.models import User
    from waibao.notifications.services import notify

    step = current_step(contract, amendment)
    if step is None:
        return
    url = f"/contracts/{contract.code}/"
    notify(
        users=User.objects.filter(role=step.role, is_active=True),
        kind="contracts.approval",
        title=Later(
            _lazy("%(what)s待您审批：%(code)s %(title)s（%(level)s）"),
            {
                "what": Later(_lazy("合同变更 #%(n)s"), {"n": amendment.number})
                if amendment
                else _lazy("合同"),
                "code": contract.code,
                "title": contract.title,
                "level": step.level_label,
            },
        ),
        url=url,
        key=f"approval:{step.pk}",
    )


def ended_term_needs_confirmation(contract: Contract, amendment: Amendment | None = None) -> date | None:
    """The end date of a contract whose term is already over when its last approval level is pending
    (approving it needs an explicit confirmation), else None."""
    step = current_step(contract, amendment)
    if amendment is not None or step is None or not term_ended(contract):
        return None
    last = not ApprovalStep.objects.filter(
        contract=contract, amendment=None, round=step.round, status=StepStatus.WAITING
    ).exists()
    return contract.end_date if last else None


def approve_step(
    *,
    contract: Contract,
    actor: Any,
    comment: str = "",
    amendment: Amendment | None = None,
    confirm_ended: bool = False,
    step_id: int | None = None,
) -> Contract:
    """The current level approves; after the last level the contract (or amendment) takes effect.
    ``step_id``: the step the approver was shown — decided by someone else meanwhile, it is a 409.

    A contract whose term is already over is not silently made active: the last approval needs
    ``confirm_ended``, and then the end-of-term rule applies at once (expired, or rolled forward when it
    renews automatically), so the contract is never left active past its end date."""
    with transaction.atomic():
        Contract.objects.select_for_update().get(pk=contract.pk)
        step = current_step(contract, amendment)
        _refuse_stale_decision(contract, amendment, actor, step, step_id)
        if step is None:
            raise DomainError(_("没有待审批的步骤。"), code="no_pending_step", status=409)
        if not can_decide(actor, step):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("contracts.approve")
        ended_on = ended_term_needs_confirmation(contract, amendment)
        if ended_on is not None and not confirm_ended:
            message = _(
                "合同期已于 %(d)s 结束。批准后合同不会保持生效，而是立即按期满处理（固定期限合同记为到期，"
                "自动续约合同顺延至覆盖今天的合同期）。如确需批准，请勾选确认后再提交。"
            ) % {"d": ended_on.isoformat()}
            raise DomainError(message, fields={"confirm_ended": message}, code="term_ended", status=409)
        step.status = StepStatus.APPROVED
        step.decided_by = _user(actor)
        step.decided_at = clock.now()
        step.comment = (comment or "").strip()
        step.save(update_fields=["status", "decided_by", "decided_at", "comment"])
        _resolve_approval_notice(step)
        target = amendment or contract
        audit.record(
            actor,
            "contracts.approval.approved",
            target,
            changes={"level": [None, step.level_name]},
            message=step.comment,
        )
        nxt = (
            ApprovalStep.objects.filter(
                contract=contract, amendment=amendment, round=step.round, status=StepStatus.WAITING
            )
            .order_by("position")
            .first()
        )
        if nxt is not None:
            nxt.status = StepStatus.PENDING
            nxt.save(update_fields=["status"])
        elif amendment is not None:
            _apply_amendment(amendment, actor)
        else:
            _activate(contract, actor)
            if ended_on is not None:
                end_term_if_due(contract=contract, actor=actor)
    if nxt is not None:
        _notify_approvers(contract, amendment)
    contract.refresh_from_db()
    return contract


def return_step(
    *,
    contract: Contract,
    actor: Any,
    comment: str,
    amendment: Amendment | None = None,
    step_id: int | None = None,
) -> Contract:
    """The current level returns the contract (or amendment) to its author, with a comment (``step_id``
    as for :func:`approve_step`)."""
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_("退回时请填写意见。"), fields={"comment": _("退回必须说明原因。")})
    with transaction.atomic():
        Contract.objects.select_for_update().get(pk=contract.pk)
        step = current_step(contract, amendment)
        _refuse_stale_decision(contract, amendment, actor, step, step_id)
        if step is None:
            raise DomainError(_("没有待审批的步骤。"), code="no_pending_step", status=409)
        if not can_decide(actor, step):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("contracts.approve")
        step.status = StepStatus.RETURNED
        step.decided_by = _user(actor)
        step.decided_at = clock.now()
        step.comment = comment
        step.save(update_fields=["status", "decided_by", "decided_at", "comment"])
        _resolve_approval_notice(step)
        ApprovalStep.objects.filter(
            contract=contract, amendment=amendment, round=step.round, status=StepStatus.WAITING
        ).update(status=StepStatus.CANCELLED)
        if amendment is not None:
            amendment.status = AmendmentStatus.RETURNED
            amendment.save(update_fields=["status", "updated_at"])
            audit.record(
                actor,
                "contracts.amendment.returned",
                amendment,
                changes={"status": ["in_approval", "returned"]},
                message=comment,
            )
        else:
            audit.record(
                actor,
                "contracts.approval.returned",
                contract,
                changes={"level": [None, step.level_name]},
                message=comment,
            )
            contract.refresh_from_db()
            _move(contract, actor, ContractStatus.DRAFT, comment)
    _notify_author(contract, amendment, comment)
    contract.refresh_from_db()
    return contract


def _resolve_approval_notice(step: ApprovalStep) -> None:
    from waibao.notifications.services import resolve

    resolve(key=f"approval:{step.pk}")


def _notify_author(contract: Contract, amendment: Amendment | None, comment: str) -> None:
    from waibao.notifications.services import notify

    who = amendment.created_by if amendment is not None else contract.owner
    if who is None:
        return
    notify(
        users=[who],
        kind="contracts.returned",
        title=Later(_lazy("%(code)s 被退回：%(c)s"), {"code": contract.code, "c": comment[:80]}),
        url=f"/contracts/{contract.code}/",
    )


def _freeze_version(
    contract: Contract, actor: Any, effective_from: date, amendment: Amendment | None, note: str = ""
) -> ContractVersion:
    number = (contract.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = ContractVersion.objects.create(
        contract=contract,
        number=number,
        effective_from=effective_from,
        snapshot=contract_snapshot(contract),
        amendment=amendment,
        note=note[:200],
        created_at=clock.now(),
        created_by=_user(actor),
    )
    contract.current_version = number
    contract.save(update_fields=["current_version"])
    return version


def _activate(contract: Contract, actor: Any) -> None:
    contract.refresh_from_db()
    _move(contract, actor, ContractStatus.ACTIVE, _("审批通过，合同生效"))
    if not contract.versions.exists():
        _freeze_version(contract, actor, contract.start_date, None)


# --- amendments -----------------------------------------------------------------------------------

AMENDABLE_FIELDS = frozenset(TERM_FIELDS)


def _clean_changes(contract: Contract, changes: dict[str, Any]) -> dict[str, Any]:
    """Check an amendment's proposed terms; returns the JSON to store."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    terms = {k: v for k, v in changes.items() if k in AMENDABLE_FIELDS}
    unknown = set(changes) - AMENDABLE_FIELDS - {"sla_metrics", "clauses"}
    for k in unknown:
        errors[k] = _("不能通过变更修改此项。")
    if terms:
        try:
            cleaned = clean_contract_values(terms, instance=contract)
        except DomainError as exc:
            errors.update(exc.fields)
        else:
            out.update(
                {
                    k: (v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, Decimal) else v)
                    for k, v in cleaned.items()
                }
            )
    if "sla_metrics" in changes:
        metrics = changes["sla_metrics"]
        if not isinstance(metrics, list):
            errors["sla_metrics"] = _("请输入列表。")
        else:
            out_metrics = []
            for i, m in enumerate(metrics):
                cal_id = str(m.get("calendar_id") or "") if isinstance(m, dict) else ""
                cal = Calendar.objects.filter(pk=int(cal_id)).first() if cal_id.isdigit() else None
                if cal is None:
                    errors[f"sla_metrics.{i}.calendar_id"] = _("请选择工作日历。")
                    continue
                try:
                    canonical = clean_metric_definition(m.get("definition") or {}, cal, contract)
                except DomainError as exc:
                    errors.update({f"sla_metrics.{i}.{k}": v for k, v in exc.fields.items()})
                    continue
                metric_id = m.get("id")
                if metric_id and not contract.sla_metrics.filter(pk=metric_id).exists():
                    errors[f"sla_metrics.{i}.id"] = _("该指标不属于本合同。")
                out_metrics.append({"id": metric_id, "calendar_id": cal.pk, "definition": canonical})
            out["sla_metrics"] = out_metrics
    if "clauses" in changes:
        clauses = changes["clauses"]
        if not isinstance(clauses, list):
            errors["clauses"] = _("请输入列表。")
        else:
            out_clauses = []
            for i, c in enumerate(clauses):
                try:
                    out_clauses.append(_clean_clause(dict(c)))
                except (DomainError, TypeError, ValueError) as exc:
                    for k, v in getattr(exc, "fields", {"": str(exc)}).items():
                        errors[f"clauses.{i}.{k}"] = v
            present = {c.get("clause_type") for c in out_clauses}
            missing = [t for t in required_clause_types() if t not in present]
            if missing and not errors:
                errors["clauses"] = _("缺少必备条款：%(t)s。") % {
                    "t": join_list(str(ClauseType(t).label) for t in missing)
                }
            out["clauses"] = out_clauses
    if not out and not errors:
        errors["changes"] = _("请至少填写一项变更内容。")
    if errors:
        raise DomainError(_("变更内容有误：%(f)s") % {"f": join_clauses(errors.values())}, fields=errors)
    return out


def propose_amendment(
    *, contract: Contract, actor: Any, title: str, reason: str, effective_from: Any, changes: dict[str, Any]
) -> Amendment:
    """Draft a change request on an active (or suspended) contract."""
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.SUSPENDED):
        raise DomainError(
            _("只有生效或暂停中的合同可以变更；草稿请直接编辑。"), code="not_amendable", status=409
        )
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = _("请填写变更事项。")
    if not (reason or "").strip():
        errors["reason"] = _("请填写变更原因。")
    eff = _date(effective_from, "effective_from", errors, required=True)
    if eff is not None:
        latest = contract.versions.order_by("-effective_from").first()
        if latest is not None and eff < latest.effective_from:
            errors["effective_from"] = _("生效日期不能早于当前版本的生效日期 %(d)s。") % {
                "d": latest.effective_from
            }
        if eff < contract.start_date:
            errors["effective_from"] = _("生效日期不能早于合同开始日期。")
    if errors:
        raise DomainError(_("变更申请有误：%(f)s") % {"f": join_clauses(errors.values())}, fields=errors)
    cleaned = _clean_changes(contract, changes)
    assert eff is not None
    with transaction.atomic():
        number = (contract.amendments.aggregate(m=Max("number"))["m"] or 0) + 1
        amendment = Amendment.objects.create(
            contract=contract,
            number=number,
            title=title.strip(),
            reason=reason.strip(),
            effective_from=eff,
            changes=cleaned,
            created_by=_user(actor),
        )
        audit.record(
            actor,
            "contracts.amendment.proposed",
            amendment,
            changes={"changes": [None, cleaned]},
            message=reason,
        )
    return amendment


def submit_amendment(*, amendment: Amendment, actor: Any) -> Amendment:
    if amendment.status not in (AmendmentStatus.DRAFT, AmendmentStatus.RETURNED):
        raise DomainError(_("该变更已提交或已结束。"), code="bad_transition", status=409)
    if amendment.contract.status not in (ContractStatus.ACTIVE, ContractStatus.SUSPENDED):
        raise DomainError(_("合同已不在生效状态，不能提交变更。"), code="not_amendable", status=409)
    with transaction.atomic():
        before = amendment.status
        amendment.status = AmendmentStatus.IN_APPROVAL
        amendment.save(update_fields=["status", "updated_at"])
        _start_round(amendment.contract, amendment)
        audit.record(
            actor, "contracts.amendment.submitted", amendment, changes={"status": [before, amendment.status]}
        )
    _notify_approvers(amendment.contract, amendment)
    return amendment


def cancel_amendment(*, amendment: Amendment, actor: Any) -> Amendment:
    if amendment.status in (AmendmentStatus.APPROVED, AmendmentStatus.CANCELLED):
        raise DomainError(_("该变更已结束。"), code="bad_transition", status=409)
    with transaction.atomic():
        before = amendment.status
        amendment.status = AmendmentStatus.CANCELLED
        amendment.save(update_fields=["status", "updated_at"])
        ApprovalStep.objects.filter(
            amendment=amendment, status__in=[StepStatus.PENDING, StepStatus.WAITING]
        ).update(status=StepStatus.CANCELLED)
        audit.record(
            actor, "contracts.amendment.cancelled", amendment, changes={"status": [before, amendment.status]}
        )
    return amendment


def _apply_amendment(amendment: Amendment, actor: Any) -> None:
    contract = Contract.objects.get(pk=amendment.contract_id)
    changes = amendment.changes
    before = audit.snapshot(contract, list(TERM_FIELDS))
    term_changes = {k: v for k, v in changes.items() if k in AMENDABLE_FIELDS}
    if term_changes:
        data = clean_contract_values(term_changes, instance=contract)
        for k, v in data.items():
            setattr(contract, k, v)
        contract.version += 1
        contract.save(update_fields=[*data, "version", "updated_at"])
    if "sla_metrics" in changes:
        keep: set[int] = set()
        for pos, m in enumerate(changes["sla_metrics"], start=1):
            d = m["definition"]
            if m.get("id"):
                SlaMetric.objects.filter(pk=m["id"], contract=contract).update(
                    definition=d, name=d["name"], record_kind=d.get("record_kind") or "",
                    calendar_id=m["calendar_id"], position=pos, retired=False, version=F("version") + 1,
                    updated_at=clock.now(),
                )  # fmt: skip
                keep.add(int(m["id"]))
            else:
                new = SlaMetric.objects.create(
                    contract=contract, name=d["name"], record_kind=d.get("record_kind") or "", definition=d,
                    calendar_id=m["calendar_id"], position=pos,
                )  # fmt: skip
                keep.add(new.pk)
        # Metrics dropped by the amendment are retired, not deleted: earlier versions still refer to them.
        contract.sla_metrics.exclude(pk__in=keep).update(retired=True)
    if "clauses" in changes:
        contract.clauses.all().delete()
        for pos, c in enumerate(changes["clauses"], start=1):
            Clause.objects.create(contract=contract, position=pos, **c)
    contract.refresh_from_db()  # the snapshot must hold stored values (Decimals quantized by the DB)
    version = _freeze_version(contract, actor, amendment.effective_from, amendment)
    amendment.status = AmendmentStatus.APPROVED
    amendment.resulting_version = version.number
    amendment.save(update_fields=["status", "resulting_version", "updated_at"])
    audit.record(
        actor,
        "contracts.amendment.approved",
        amendment,
        changes={"resulting_version": [None, version.number]},
    )
    audit.record(
        actor,
        "contracts.contract.amended",
        contract,
        changes={
            **audit.diff(before, audit.snapshot(contract, list(TERM_FIELDS))),
            "current_version": [version.number - 1, version.number],
        },
        message=amendment.title,
    )


# --- version diff ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffRow:
    section: str
    item: str
    old: Any
    new: Any


def _clause_key(c: dict[str, Any]) -> str:
    t = c.get("clause_type")
    label = ClauseType(t).label if t in ClauseType.values else t
    return f"{label} · {c.get('title')}"


def _without_id(d: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if d is None else {k: v for k, v in d.items() if k != "id"}


def _flat(value: Any) -> Any:
    """Dicts and lists as readable "key: value" text for the diff page."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flat(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return ", ".join(str(_flat(v)) for v in value)
    return value


def _metric_rows(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[DiffRow]:
    """SLA metrics matched by id (a renamed metric is the same metric); changed settings one row each."""
    section = str(_("SLA 指标"))
    rows: list[DiffRow] = []
    by_old = {m.get("id") or m["name"]: m for m in old}
    by_new = {m.get("id") or m["name"]: m for m in new}
    for key in [*by_old, *(k for k in by_new if k not in by_old)]:
        o, n = by_old.get(key), by_new.get(key)
        if o is None or n is None:
            m = o or n
            assert m is not None
            value = metric_ui.definition_text(m["definition"], _day_minutes(m.get("calendar")))
            rows.append(DiffRow(section, m["name"], value if o else None, value if n else None))
            continue
        od, nd = dict(o["definition"]), dict(n["definition"])
        od.pop("calendar", None)
        nd.pop("calendar", None)
        od["calendar"], nd["calendar"] = o.get("calendar"), n.get("calendar")
        o_day, n_day = _day_minutes(o.get("calendar")), _day_minutes(n.get("calendar"))
        for field in [*od, *(k for k in nd if k not in od)]:
            if od.get(field) != nd.get(field):
                # Settings as people read them: labels, business hours/days, operators in words.
                rows.append(
                    DiffRow(
                        section,
                        f"{n['name']} · {metric_error_place(field)}",
                        metric_ui.setting_text(field, od.get(field), od, o_day),
                        metric_ui.setting_text(field, nd.get(field), nd, n_day),
                    )
                )
    return rows


def _day_minutes(calendar_name: Any) -> int:
    cal = Calendar.objects.filter(name=calendar_name).first() if calendar_name else None
    return metric_ui.day_minutes(cal)


MONEY_TERMS = ("total_value", "monthly_fee")


def _term_text(name: str, snap: dict[str, Any]) -> Any:
    """A term of a snapshot as people read it: money with separators and currency, a choice by its label."""
    value = snap.get(name)
    if value is None or value == "":
        return None
    if name in MONEY_TERMS:
        return formats.money(value, snap.get("currency") or "CNY")
    try:
        choices = dict(getattr(Contract._meta.get_field(name), "flatchoices", None) or [])
    except FieldDoesNotExist:  # not a model field
        choices = {}
    return choices.get(value, value)


def diff_snapshots(a: dict[str, Any], b: dict[str, Any], *, words: bool = True) -> list[DiffRow]:
    """What changed from snapshot ``a`` to ``b``: terms, clauses, SLA metrics, milestones, price clauses.
    ``words``: terms as people read them (money formatted, choices by label); the API keeps stored values."""
    rows: list[DiffRow] = []
    labels = {f.name: str(f.verbose_name) for f in Contract._meta.get_fields() if hasattr(f, "verbose_name")}
    for name in TERM_FIELDS:
        if a.get(name) != b.get(name):
            rows.append(
                DiffRow(
                    str(_("合同条款")),
                    labels.get(name, name),
                    _term_text(name, a) if words else a.get(name),
                    _term_text(name, b) if words else b.get(name),
                )
            )

    def keyed(items: list[dict[str, Any]], key: Any) -> dict[str, dict[str, Any]]:
        return {key(x): x for x in items or []}

    sections = (
        (_("条款"), "clauses", _clause_key),
        (_("付款节点"), "milestones", lambda m: m["name"]),
        (_("价格调整"), "price_adjustments", lambda p: p["index_name"]),
    )
    for label, key, keyf in sections:
        old, new = keyed(a.get(key) or [], keyf), keyed(b.get(key) or [], keyf)
        for item in sorted(set(old) | set(new)):
            o, n = _without_id(old.get(item)), _without_id(new.get(item))
            if o != n:
                if key == "clauses":
                    o, n = (o or {}).get("text"), (n or {}).get("text")
                rows.append(DiffRow(str(label), item, _flat(o), _flat(n)))
    rows.extend(_metric_rows(a.get("sla_metrics") or [], b.get("sla_metrics") or []))
    return rows


def proposed_snapshot(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` (a version snapshot) with an amendment's stored ``changes`` laid over it."""
    snap = dict(base)
    for k, v in changes.items():
        if k in AMENDABLE_FIELDS:
            snap[k] = v
    if "clauses" in changes:
        snap["clauses"] = [dict(c) for c in changes["clauses"]]
    if "sla_metrics" in changes:
        names = dict(Calendar.objects.filter(pk__in={m["calendar_id"] for m in changes["sla_metrics"]})
                     .values_list("pk", "name"))  # fmt: skip
        snap["sla_metrics"] = [
            {"id": m.get("id"), "name": m["definition"]["name"],
             "record_kind": m["definition"].get("record_kind") or "", "calendar_id": m["calendar_id"],
             "calendar": names.get(m["calendar_id"]), "definition": m["definition"]}
            for m in changes["sla_metrics"]
        ]  # fmt: skip
    return snap


def amendment_snapshots(amendment: Amendment) -> tuple[dict[str, Any], dict[str, Any]]:
    """The terms before and after an amendment: the version it produced and the one before, once
    approved; otherwise the contract's current version (or live terms before any version) and those terms
    with the amendment's changes laid over them."""
    contract = amendment.contract
    if amendment.resulting_version:
        versions = {v.number: v.snapshot for v in contract.versions.filter(
            number__in=[amendment.resulting_version - 1, amendment.resulting_version])}  # fmt: skip
        if len(versions) == 2:
            return versions[amendment.resulting_version - 1], versions[amendment.resulting_version]
    current = contract.versions.filter(number=contract.current_version).first()
    base = current.snapshot if current is not None else contract_snapshot(contract)
    return base, proposed_snapshot(base, amendment.changes)


def amendment_diff(amendment: Amendment) -> list[DiffRow]:
    """What an amendment changes, in the version-diff rows (see :func:`amendment_snapshots`)."""
    return diff_snapshots(*amendment_snapshots(amendment))


# --- milestones -----------------------------------------------------------------------------------

MILESTONE_FIELDS = ["name", "trigger", "due_date", "amount", "percent", "acceptance_criteria"]


def _clean_milestone(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        k: (v.strip() if isinstance(v, str) else v) for k, v in values.items() if k in MILESTONE_FIELDS
    }
    if not data.get("name"):
        errors["name"] = _("请填写节点名称。")
    if data.get("trigger", MilestoneTrigger.DATE) not in MilestoneTrigger.values:
        errors["trigger"] = _("触发条件无效。")
    data["due_date"] = _date(data.get("due_date"), "due_date", errors)
    if (
        data.get("trigger", MilestoneTrigger.DATE) == MilestoneTrigger.DATE
        and data["due_date"] is None
        and "due_date" not in errors
    ):
        errors["due_date"] = _("按到期日触发的节点必须填写到期日。")
    data["amount"] = _decimal(data.get("amount"), "amount", errors)
    data["percent"] = _decimal(data.get("percent"), "percent", errors)
    if data["percent"] is not None and data["percent"] > 100:
        errors["percent"] = _("百分比不能超过 100。")
    if (
        data["amount"] is None
        and data["percent"] is None
        and "amount" not in errors
        and "percent" not in errors
    ):
        errors["amount"] = _("请填写金额或占合同总额的百分比。")
    if data["amount"] is not None and data["percent"] is not None:
        errors["percent"] = _("金额与百分比只能填写一项。")
    for key, message in column_errors(PaymentMilestone, data).items():
        errors.setdefault(key, message)
    if errors:
        raise DomainError(_("付款节点有误：%(f)s") % {"f": join_clauses(errors.values())}, fields=errors)
    return data


def add_milestone(*, contract: Contract, actor: Any, **values: Any) -> PaymentMilestone:
    if contract.status in (ContractStatus.EXPIRED, ContractStatus.TERMINATED):
        raise DomainError(_("合同已结束，不能添加付款节点。"), code="not_editable", status=409)
    data = _clean_milestone(values)
    with transaction.atomic():
        position = (contract.milestones.aggregate(m=Max("position"))["m"] or 0) + 1
        ms = PaymentMilestone.objects.create(contract=contract, position=position, **data)
        audit.record(actor, "contracts.milestone.added", ms, changes=audit.created(ms, MILESTONE_FIELDS))
    return ms


MILESTONE_EDITABLE = frozenset({MilestoneStatus.PLANNED, MilestoneStatus.DUE})


def _require_open_milestone(milestone: PaymentMilestone, *, deleting: bool = False) -> None:
    if milestone.status not in MILESTONE_EDITABLE:
        message = (
            _("付款节点“%(name)s”的状态为%(status)s，不能删除；只有计划中或到期的节点可以删除。")
            if deleting
            else _("付款节点“%(name)s”的状态为%(status)s，不能修改；只有计划中或到期的节点可以修改。")
        )
        raise DomainError(
            message % {"name": milestone.name, "status": milestone.get_status_display()},
            fields={"status": _("只有计划中或到期的节点可以修改。")},
            code="not_editable",
            status=409,
        )
    if milestone.contract.status in (ContractStatus.EXPIRED, ContractStatus.TERMINATED):
        raise DomainError(_("合同已结束，不能修改付款节点。"), code="not_editable", status=409)


def update_milestone(
    *, milestone: PaymentMilestone, actor: Any, expected_version: int | None = None, **values: Any
) -> PaymentMilestone:
    """Change a planned or due milestone (name, trigger, date, amount or percent, criteria)."""
    _require_open_milestone(milestone)
    current = {f: getattr(milestone, f) for f in MILESTONE_FIELDS}
    data = _clean_milestone({**current, **{k: v for k, v in values.items() if k in MILESTONE_FIELDS}})
    before = audit.snapshot(milestone, MILESTONE_FIELDS)
    with transaction.atomic():
        locked = PaymentMilestone.objects.select_for_update().get(pk=milestone.pk)
        version = milestone.version if expected_version is None else expected_version
        if locked.version != version or locked.status != milestone.status:
            raise ConflictError(_("该付款节点已被其他人修改，请刷新后重试。"))
        for k, v in data.items():
            setattr(milestone, k, v)
        milestone.version += 1
        milestone.save(update_fields=[*data, "version", "updated_at"])
        milestone.refresh_from_db()
        audit.record(
            actor,
            "contracts.milestone.updated",
            milestone,
            changes=audit.diff(before, audit.snapshot(milestone, MILESTONE_FIELDS)),
        )
    return milestone


@transaction.atomic
def delete_milestone(*, milestone: PaymentMilestone, actor: Any) -> None:
    """Remove a planned or due milestone (accepted and paid ones are a record of what happened)."""
    _require_open_milestone(milestone, deleting=True)
    audit.record(actor, "contracts.milestone.deleted", milestone, changes={"name": [milestone.name, None]})
    milestone.delete()


def _move_milestone(
    milestone: PaymentMilestone, actor: Any, to: str, verb: str, **extra: Any
) -> PaymentMilestone:
    with transaction.atomic():
        locked = PaymentMilestone.objects.select_for_update().select_related("contract").get(pk=milestone.pk)
        if to not in MILESTONE_TRANSITIONS[locked.status]:
            raise DomainError(
                _("付款节点“%(name)s”当前状态为%(status)s，不能变为%(to)s。")
                % {
                    "name": locked.name,
                    "status": locked.get_status_display(),
                    "to": MilestoneStatus(to).label,
                },
                fields={"status": _("不允许的状态变更。")},
                code="bad_transition",
                status=409,
            )
        before = locked.status
        locked.status = to
        for k, v in extra.items():
            setattr(locked, k, v)
        locked.version += 1
        locked.save(update_fields=["status", *extra, "version", "updated_at"])
        audit.record(actor, f"contracts.milestone.{verb}", locked, changes={"status": [before, to]})
    return locked


def mark_milestone_due(*, milestone: PaymentMilestone, actor: Any) -> PaymentMilestone:
    return _move_milestone(milestone, actor, MilestoneStatus.DUE, "due")


def accept_milestone(*, milestone: PaymentMilestone, actor: Any, note: str = "") -> PaymentMilestone:
    """Record acceptance of a milestone's deliverable (planned/due → accepted).

    Quality's deliverable review calls this on final approval.
    """
    return _move_milestone(
        milestone,
        actor,
        MilestoneStatus.ACCEPTED,
        "accepted",
        accepted_at=clock.now(),
        accepted_by=_user(actor),
        acceptance_note=note,
    )


def mark_milestone_paid(*, milestone: PaymentMilestone, actor: Any) -> PaymentMilestone:
    return _move_milestone(milestone, actor, MilestoneStatus.PAID, "paid", paid_at=clock.now())


# --- price adjustment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adjustment:
    change_percent: Decimal
    crossed: bool
    adjustment_percent: Decimal
    proposed_fee: Decimal | None


def compute_adjustment(
    *,
    base_value: Decimal,
    new_value: Decimal,
    threshold_percent: Decimal,
    share_percent: Decimal,
    formula: str,
    monthly_fee: Decimal,
) -> Adjustment:
    """The clause's formula. Change = (new − base) / base × 100.

    ``shared_excess``: only the part of the change beyond the threshold moves the fee, times the share
    (8 % change, 5 % threshold, 50 % share → fee +1.5 %). ``full_change``: once beyond the threshold,
    the whole change times the share. Within the threshold (inclusive), nothing changes.
    """
    if base_value <= 0:
        raise ValueError("base value must be positive")
    # Enough precision for any stored base, value and fee: an index a million times its base gives a
    # proposed fee too large to keep (the caller refuses it) rather than an arithmetic error.
    with localcontext() as ctx:
        ctx.prec = 60
        change = (new_value - base_value) * 100 / base_value
        crossed = abs(change) > threshold_percent
        if not crossed:
            adj = Decimal(0)
        elif formula == AdjustmentFormula.FULL_CHANGE:
            adj = change * share_percent / 100
        else:
            excess = abs(change) - threshold_percent
            adj = (excess if change > 0 else -excess) * share_percent / 100
        proposed = (monthly_fee * (1 + adj / 100)).quantize(CENT, ROUND_HALF_UP) if crossed else None
        return Adjustment(
            change.quantize(CENT, ROUND_HALF_UP),
            crossed,
            adj.quantize(Decimal("0.0001"), ROUND_HALF_UP),
            proposed,
        )


PRICE_FIELDS = [
    "index_name",
    "index_kind",
    "base_value",
    "base_date",
    "threshold_percent",
    "share_percent",
    "formula",
    "notes",
]


def _clean_price_clause(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        k: (v.strip() if isinstance(v, str) else v) for k, v in values.items() if k in PRICE_FIELDS
    }
    if not data.get("index_name"):
        errors["index_name"] = _("请填写指数名称。")
    if data.get("index_kind", IndexKind.PRICE_INDEX) not in IndexKind.values:
        errors["index_kind"] = _("指数类型无效。")
    if data.get("formula", AdjustmentFormula.SHARED_EXCESS) not in AdjustmentFormula.values:
        errors["formula"] = _("调整公式无效。")
    base = _decimal(data.get("base_value"), "base_value", errors, required=True)
    if base is not None and base == 0:
        errors["base_value"] = _("基准值必须大于 0。")
    data["base_value"] = base
    for key, default in (("threshold_percent", Decimal(5)), ("share_percent", Decimal(50))):
        v = _decimal(data.get(key), key, errors)
        data[key] = default if v is None else v
        if isinstance(data[key], Decimal) and data[key] > 100:
            errors[key] = _("百分比不能超过 100。")
    data["base_date"] = _date(data.get("base_date"), "base_date", errors)
    data["notes"] = data.get("notes") or ""
    for key, message in column_errors(PriceAdjustmentClause, data).items():
        errors.setdefault(key, message)
    if errors:
        raise DomainError(_("价格调整条款有误：%(f)s") % {"f": join_clauses(errors.values())}, fields=errors)
    return data


def _require_price_editable(contract: Contract) -> None:
    if contract.status in (ContractStatus.EXPIRED, ContractStatus.TERMINATED):
        raise DomainError(_("合同已结束，不能修改价格调整条款。"), code="not_editable", status=409)


def add_price_clause(*, contract: Contract, actor: Any, **values: Any) -> PriceAdjustmentClause:
    _require_price_editable(contract)
    data = _clean_price_clause(values)
    with transaction.atomic():
        clause = PriceAdjustmentClause.objects.create(contract=contract, **data)
        audit.record(
            actor, "contracts.price_clause.added", clause, changes=audit.created(clause, PRICE_FIELDS)
        )
    return clause


def update_price_clause(
    *, clause: PriceAdjustmentClause, actor: Any, expected_version: int | None = None, **values: Any
) -> PriceAdjustmentClause:
    """Change a price adjustment clause; index values already entered keep the result computed then."""
    _require_price_editable(clause.contract)
    current = {f: getattr(clause, f) for f in PRICE_FIELDS}
    data = _clean_price_clause({**current, **{k: v for k, v in values.items() if k in PRICE_FIELDS}})
    before = audit.snapshot(clause, PRICE_FIELDS)
    with transaction.atomic():
        locked = PriceAdjustmentClause.objects.select_for_update().get(pk=clause.pk)
        version = clause.version if expected_version is None else expected_version
        if locked.version != version:
            raise ConflictError(_("该价格调整条款已被其他人修改，请刷新后重试。"))
        for k, v in data.items():
            setattr(clause, k, v)
        clause.version += 1
        clause.save(update_fields=[*data, "version", "updated_at"])
        clause.refresh_from_db()
        audit.record(
            actor,
            "contracts.price_clause.updated",
            clause,
            changes=audit.diff(before, audit.snapshot(clause, PRICE_FIELDS)),
        )
    return clause


def record_index_value(
    *, clause: PriceAdjustmentClause, actor: Any, value: Any, on_date: Any = None, note: str = ""
) -> IndexValue:
    """Enter a new index value; beyond the threshold it raises an alert and proposes the adjusted fee."""
    errors: dict[str, str] = {}
    v = _decimal(value, "value", errors, required=True)
    day = _date(on_date, "on_date", errors) or clock.today()
    if v is not None:
        errors.update(column_errors(IndexValue, {"value": v}))
    if errors:
        raise DomainError(_("指数值有误：%(f)s") % {"f": join_clauses(errors.values())}, fields=errors)
    assert v is not None
    contract = clause.contract
    adj = compute_adjustment(
        base_value=clause.base_value,
        new_value=v,
        threshold_percent=clause.threshold_percent,
        share_percent=clause.share_percent,
        formula=clause.formula,
        monthly_fee=contract.monthly_fee,
    )
    if column_errors(IndexValue, {"change_percent": adj.change_percent, "proposed_fee": adj.proposed_fee}):
        msg = _("该指数值相对基准值的变动过大，无法记录；请核对指数值与基准值。")
        raise DomainError(msg, fields={"value": msg})
    with transaction.atomic():
        iv = IndexValue.objects.create(
            clause=clause,
            on_date=day,
            value=v,
            change_percent=adj.change_percent,
            crossed=adj.crossed,
            proposed_fee=adj.proposed_fee,
            entered_by=_user(actor),
            entered_at=clock.now(),
            note=note,
        )
        audit.record(
            actor,
            "contracts.price_index.recorded",
            clause,
            changes={"value": [None, str(v)], "change_percent": [None, str(adj.change_percent)]},
            vendor_id=contract.vendor_id,
        )
    if adj.crossed:
        notify_price_threshold(iv)
    return iv


def contract_watchers(contract: Contract, *, finance: bool = False) -> list[Any]:
    """Who hears about a contract: its owner (or every manager when it has none), plus finance."""
    from waibao.accounts.models import User

    users: list[Any] = []
    if contract.owner_id and contract.owner is not None and contract.owner.is_active:
        users.append(contract.owner)
    else:
        users.extend(User.objects.filter(role=Role.MANAGER, is_active=True))
    if finance:
        users.extend(User.objects.filter(role=Role.FINANCE, is_active=True))
    return users


def notify_price_threshold(iv: IndexValue) -> int:
    from waibao.notifications.services import notify

    clause = iv.clause
    contract = clause.contract
    return notify(
        users=contract_watchers(contract, finance=True),
        kind="contracts.price_index",
        title=Later(
            _lazy("%(code)s 价格指数“%(idx)s”变动 %(ch)s%%，超过阈值 %(th)s%%"),
            {
                "code": contract.code,
                "idx": clause.index_name,
                "ch": iv.change_percent,
                "th": clause.threshold_percent,
            },
        ),
        body=Later(
            _lazy("建议月服务费：%(fee)s（原 %(old)s）。"),
            {
                "fee": formats.money(iv.proposed_fee, contract.currency),
                "old": formats.money(contract.monthly_fee, contract.currency),
            },
        ),
        url=f"/contracts/{contract.code}/#price",
        key=f"price-index:{iv.pk}",
    )


# --- documents ------------------------------------------------------------------------------------


def upload_document(
    *,
    contract: Contract,
    actor: Any,
    upload: Upload,
    title: str = "",
    is_signed_copy: bool = True,
    internal: bool = False,
) -> ContractDocument:
    """Keep a file with the contract. ``internal``: the buyer's own paper, which vendor users do not see
    (a signed copy is the vendor's as much as the buyer's, so it cannot be internal)."""
    if internal and is_signed_copy:
        msg = _("签署版是双方签署的合同文本，不能设为仅内部可见。")
        raise DomainError(msg, fields={"internal": msg})
    with transaction.atomic():
        doc = ContractDocument(
            contract=contract, is_signed_copy=is_signed_copy, internal=internal, uploaded_by=_user(actor)
        )
        store(doc, upload)
        doc.title = (title or doc.file_name).strip()[:200]
        doc.save()
        audit.record(
            actor,
            "contracts.document.uploaded",
            doc,
            changes=audit.created(doc, ["title", "file_name", "file_type", "size", "internal"]),
        )
    return doc


@transaction.atomic
def delete_document(*, document: ContractDocument, actor: Any) -> None:
    audit.record(actor, "contracts.document.deleted", document, changes={"title": [document.title, None]})
    f = document.file
    document.delete()
    transaction.on_commit(lambda: f.storage.delete(f.name))
