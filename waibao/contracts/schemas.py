from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema

from waibao.accounts.models import Role
from waibao.contracts import visibility
from waibao.contracts.models import (
    AdjustmentFormula,
    AmendmentStatus,
    ClauseType,
    ContractStatus,
    IndexKind,
    MilestoneStatus,
    MilestoneTrigger,
    RenewalDecision,
    RenewalType,
    StepStatus,
)
from waibao.core.apiutils import Choice, Number
from waibao.lib import slamath
from waibao.vendors.models import Category


class ContractOut(Schema):
    id: int
    code: str
    vendor_id: int
    vendor_code: str
    vendor_name: str
    title: str
    category: Annotated[str, Choice(Category)]
    scope: str
    objectives: str
    status: Annotated[str, Choice(ContractStatus)]
    owner_id: int | None
    department: str
    start_date: date
    end_date: date | None
    renewal_type: Annotated[str, Choice(RenewalType)]
    notice_days: int
    # The buyer's renewal planning: null for a vendor user (contracts.visibility).
    renewal_lead_days: int | None
    renewal_decision: Annotated[str, Choice(RenewalDecision)] | None
    total_value: Number
    monthly_fee: Number
    currency: str
    credit_cap_percent: Number
    bonus_cap_percent: Number | None
    current_version: int
    terminated_on: date | None
    termination_reason: str
    version: int

    @staticmethod
    def resolve_vendor_code(obj: Any) -> str:
        return str(obj.vendor.code)

    @staticmethod
    def resolve_renewal_lead_days(obj: Any, context: Any) -> int | None:
        return visibility.field(context["request"].user, obj, "renewal_lead_days")  # type: ignore[no-any-return]

    @staticmethod
    def resolve_renewal_decision(obj: Any, context: Any) -> str | None:
        return visibility.field(context["request"].user, obj, "renewal_decision")  # type: ignore[no-any-return]

    @staticmethod
    def resolve_vendor_name(obj: Any) -> str:
        return str(obj.vendor.name)


class ContractIn(Schema):
    vendor_id: int
    title: str
    category: Annotated[str, Choice(Category)]
    scope: str = ""
    objectives: str = ""
    owner_id: int | None = None
    department: str = ""
    start_date: date
    end_date: date | None = None
    renewal_type: Annotated[str, Choice(RenewalType)] = "fixed_term"
    notice_days: int = 30
    renewal_lead_days: int = 90
    total_value: Number = Decimal(0)
    monthly_fee: Number = Decimal(0)
    currency: str = "CNY"
    credit_cap_percent: Number = Decimal(15)
    bonus_cap_percent: Number | None = None


class ContractPatch(Schema):
    owner_id: int | None = None
    title: str | None = None
    category: Annotated[str, Choice(Category)] | None = None
    scope: str | None = None
    objectives: str | None = None
    department: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    renewal_type: Annotated[str, Choice(RenewalType)] | None = None
    notice_days: int | None = None
    renewal_lead_days: int | None = None
    total_value: Number | None = None
    monthly_fee: Number | None = None
    currency: str | None = None
    credit_cap_percent: Number | None = None
    bonus_cap_percent: Number | None = None
    version: int | None = None


class ContractStatusIn(Schema):
    to: Annotated[str, Choice(ContractStatus)]
    reason: str = ""
    on: date | None = None


class RenewalIn(Schema):
    decision: Annotated[str, Choice(RenewalDecision)]
    note: str = ""


class ClauseOut(Schema):
    id: int
    clause_type: Annotated[str, Choice(ClauseType)]
    title: str
    text: str
    position: int


class ClauseIn(Schema):
    clause_type: Annotated[str, Choice(ClauseType, blank=True)] = ""
    title: str = ""
    text: str = ""
    template_id: int | None = None


class ClausePatch(Schema):
    clause_type: Annotated[str, Choice(ClauseType)] | None = None
    title: str | None = None
    text: str | None = None


class ClauseTemplateOut(Schema):
    id: int
    clause_type: Annotated[str, Choice(ClauseType)]
    title: str
    text: str
    is_active: bool


class ClauseTemplateIn(Schema):
    clause_type: Annotated[str, Choice(ClauseType)]
    title: str
    text: str


class ClauseTemplatePatch(Schema):
    clause_type: Annotated[str, Choice(ClauseType)] | None = None
    title: str | None = None
    text: str | None = None


class MissingClausesOut(Schema):
    added: list[ClauseOut]
    without_template: list[Annotated[str, Choice(ClauseType)]]


class ApprovalStepOut(Schema):
    id: int
    amendment_id: int | None
    round: int
    position: int
    level_name: str
    role: Annotated[str, Choice(Role)]
    status: Annotated[str, Choice(StepStatus)]
    decided_by_id: int | None
    decided_at: datetime | None
    comment: str

    @staticmethod
    def resolve_level_name(obj: Any) -> str:
        """A built-in level in the caller's language, a level an administrator named as named."""
        return str(obj.level_label)


class ApprovalDecisionIn(Schema):
    decision: Annotated[str, Choice(["approve", "return"])]
    comment: str = ""
    amendment_id: int | None = None
    confirm_ended: bool = False  # approve a contract whose term is already over (it ends at once)
    step_id: int | None = Field(
        None,
        description="the approval step being decided (its id from GET /approvals). When someone decided it "
        "meanwhile the answer is 409 with code `already_decided`, saying by whom and when, and the next "
        "level is not decided by mistake.",
    )


class MilestoneOut(Schema):
    id: int
    name: str
    trigger: Annotated[str, Choice(MilestoneTrigger)]
    due_date: date | None
    amount: Number | None
    percent: Number | None
    amount_due: Number | None
    acceptance_criteria: str
    status: Annotated[str, Choice(MilestoneStatus)]
    accepted_at: datetime | None
    paid_at: datetime | None
    version: int

    @staticmethod
    def resolve_amount_due(obj: Any) -> Any:
        return obj.amount_due()


class MilestoneIn(Schema):
    name: str
    trigger: Annotated[str, Choice(MilestoneTrigger)] = "date"
    due_date: date | None = None
    amount: Number | None = None
    percent: Number | None = None
    acceptance_criteria: str = ""


class MilestonePatch(Schema):
    name: str | None = None
    trigger: Annotated[str, Choice(MilestoneTrigger)] | None = None
    due_date: date | None = None
    amount: Number | None = None
    percent: Number | None = None
    acceptance_criteria: str | None = None
    version: int | None = None


class MilestoneActionIn(Schema):
    action: Annotated[str, Choice(["due", "accept", "paid"])]
    note: str = ""


class MetricOut(Schema):
    """An SLA metric. ``definition`` holds its settings; a duration metric's ``statistic`` is ``mean``,
    ``median``, ``p90``, ``p95`` or any percentile ``p<P>`` (0 < P <= 100, e.g. ``p99.5``), and its optional
    ``percentile_method`` is ``nearest_rank`` (the default: the value at rank ceil(P/100 * n) of the n values
    sorted ascending) or ``linear`` (interpolated at position (n - 1) * P/100 + 1). Percentiles are exact.
    Tiers are bands of the result; a result on a boundary belongs to the better band: ``[from, to)`` when
    higher is better, ``(from, to]`` when lower is better."""

    id: int
    name: str
    record_kind: str
    calendar_id: int
    calendar_name: str
    definition: dict[str, Any]
    position: int
    retired: bool

    @staticmethod
    def resolve_calendar_name(obj: Any) -> str:
        return str(obj.calendar.name)


class MetricIn(Schema):
    """A new or changed SLA metric; ``definition`` as in ``MetricOut`` (percentiles: ``statistic`` ``median``,
    ``p90``, ``p95`` or ``p<P>``; ``percentile_method`` ``nearest_rank`` by default, or ``linear``)."""

    calendar_id: int
    definition: dict[str, Any]


class PreviewIn(Schema):
    value: Any
    monthly_fee: Number | None = None


class PreviewOut(Schema):
    errors: dict[str, str] = {}
    value: float | None = None
    status: Annotated[str, Choice(slamath.STATUSES)] | None = None
    margin: float | None = None
    tier: int | None = None
    consequence: Annotated[str, Choice(slamath.CONSEQUENCES)] | None = None
    credit: Number | None = None
    bonus: Number | None = None
    capped: bool | None = None


class PriceClauseOut(Schema):
    id: int
    index_name: str
    index_kind: Annotated[str, Choice(IndexKind)]
    base_value: Number
    base_date: date | None
    threshold_percent: Number
    share_percent: Number
    formula: Annotated[str, Choice(AdjustmentFormula)]
    notes: str
    version: int


class PriceClauseIn(Schema):
    index_name: str
    index_kind: Annotated[str, Choice(IndexKind)] = "price_index"
    base_value: Number
    base_date: date | None = None
    threshold_percent: Number = Decimal(5)
    share_percent: Number = Decimal(50)
    formula: Annotated[str, Choice(AdjustmentFormula)] = "shared_excess"
    notes: str = ""


class PriceClausePatch(Schema):
    index_name: str | None = None
    index_kind: Annotated[str, Choice(IndexKind)] | None = None
    base_value: Number | None = None
    base_date: date | None = None
    threshold_percent: Number | None = None
    share_percent: Number | None = None
    formula: Annotated[str, Choice(AdjustmentFormula)] | None = None
    notes: str | None = None
    version: int | None = None


class IndexValueIn(Schema):
    value: Number
    on_date: date | None = None
    note: str = ""


class IndexValueOut(Schema):
    id: int
    on_date: date
    value: Number
    change_percent: Number
    crossed: bool
    proposed_fee: Number | None


class AmendmentOut(Schema):
    id: int
    number: int
    title: str
    reason: str
    changes: dict[str, Any]
    effective_from: date
    status: Annotated[str, Choice(AmendmentStatus)]
    resulting_version: int | None


class AmendmentIn(Schema):
    title: str
    reason: str
    effective_from: date
    changes: dict[str, Any]


class ContractVersionOut(Schema):
    """A version's full terms; for a vendor user without ``price_adjustments`` (the buyer's records)."""

    number: int
    effective_from: date
    amendment_id: int | None
    note: str
    created_at: datetime
    snapshot: dict[str, Any]

    @staticmethod
    def resolve_snapshot(obj: Any, context: Any) -> dict[str, Any]:
        return visibility.snapshot(context["request"].user, obj.snapshot)


class DiffRowOut(Schema):
    section: str
    item: str
    old: Any = None
    new: Any = None


class ContractDocumentOut(Schema):
    id: int
    title: str
    is_signed_copy: bool
    internal: bool
    file_name: str
    file_type: str
    size: int
    created_at: datetime
