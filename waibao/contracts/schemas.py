from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Schema


class ContractOut(Schema):
    id: int
    code: str
    vendor_id: int
    vendor_code: str
    vendor_name: str
    title: str
    category: str
    scope: str
    objectives: str
    status: str
    owner_id: int | None
    department: str
    start_date: date
    end_date: date | None
    renewal_type: str
    notice_days: int
    renewal_lead_days: int
    renewal_decision: str
    total_value: Decimal
    monthly_fee: Decimal
    currency: str
    credit_cap_percent: Decimal
    bonus_cap_percent: Decimal | None
    current_version: int
    terminated_on: date | None
    termination_reason: str
    version: int

    @staticmethod
    def resolve_vendor_code(obj: Any) -> str:
        return str(obj.vendor.code)

    @staticmethod
    def resolve_vendor_name(obj: Any) -> str:
        return str(obj.vendor.name)


class ContractIn(Schema):
    vendor_id: int
    title: str
    category: str
    scope: str = ""
    objectives: str = ""
    owner_id: int | None = None
    department: str = ""
    start_date: date
    end_date: date | None = None
    renewal_type: str = "fixed_term"
    notice_days: int = 30
    renewal_lead_days: int = 90
    total_value: Decimal = Decimal(0)
    monthly_fee: Decimal = Decimal(0)
    currency: str = "CNY"
    credit_cap_percent: Decimal = Decimal(15)
    bonus_cap_percent: Decimal | None = None


class ContractPatch(Schema):
    owner_id: int | None = None
    title: str | None = None
    category: str | None = None
    scope: str | None = None
    objectives: str | None = None
    department: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    renewal_type: str | None = None
    notice_days: int | None = None
    renewal_lead_days: int | None = None
    total_value: Decimal | None = None
    monthly_fee: Decimal | None = None
    currency: str | None = None
    credit_cap_percent: Decimal | None = None
    bonus_cap_percent: Decimal | None = None
    version: int | None = None


class StatusIn(Schema):
    to: str
    reason: str = ""
    on: date | None = None


class RenewalIn(Schema):
    decision: str
    note: str = ""


class ClauseOut(Schema):
    id: int
    clause_type: str
    title: str
    text: str
    position: int


class ClauseIn(Schema):
    clause_type: str = ""
    title: str = ""
    text: str = ""
    template_id: int | None = None


class ClausePatch(Schema):
    clause_type: str | None = None
    title: str | None = None
    text: str | None = None


class ClauseTemplateOut(Schema):
    id: int
    clause_type: str
    title: str
    text: str
    is_active: bool


class ClauseTemplateIn(Schema):
    clause_type: str
    title: str
    text: str


class ClauseTemplatePatch(Schema):
    clause_type: str | None = None
    title: str | None = None
    text: str | None = None


class MissingClausesOut(Schema):
    added: list[ClauseOut]
    without_template: list[str]


class StepOut(Schema):
    id: int
    amendment_id: int | None
    round: int
    position: int
    level_name: str
    role: str
    status: str
    decided_by_id: int | None
    decided_at: datetime | None
    comment: str


class DecisionIn(Schema):
    decision: str  # "approve" | "return"
    comment: str = ""
    amendment_id: int | None = None
    confirm_ended: bool = False  # approve a contract whose term is already over (it ends at once)


class MilestoneOut(Schema):
    id: int
    name: str
    trigger: str
    due_date: date | None
    amount: Decimal | None
    percent: Decimal | None
    amount_due: Decimal | None
    acceptance_criteria: str
    status: str
    accepted_at: datetime | None
    paid_at: datetime | None
    version: int

    @staticmethod
    def resolve_amount_due(obj: Any) -> Any:
        return obj.amount_due()


class MilestoneIn(Schema):
    name: str
    trigger: str = "date"
    due_date: date | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    acceptance_criteria: str = ""


class MilestonePatch(Schema):
    name: str | None = None
    trigger: str | None = None
    due_date: date | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    acceptance_criteria: str | None = None
    version: int | None = None


class MilestoneActionIn(Schema):
    action: str  # "due" | "accept" | "paid"
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
    monthly_fee: Decimal | None = None


class PreviewOut(Schema):
    errors: dict[str, str] = {}
    value: float | None = None
    status: str | None = None
    margin: float | None = None
    tier: int | None = None
    consequence: str | None = None
    credit: str | None = None
    bonus: str | None = None
    capped: bool | None = None


class PriceClauseOut(Schema):
    id: int
    index_name: str
    index_kind: str
    base_value: Decimal
    base_date: date | None
    threshold_percent: Decimal
    share_percent: Decimal
    formula: str
    notes: str
    version: int


class PriceClauseIn(Schema):
    index_name: str
    index_kind: str = "price_index"
    base_value: Decimal
    base_date: date | None = None
    threshold_percent: Decimal = Decimal(5)
    share_percent: Decimal = Decimal(50)
    formula: str = "shared_excess"
    notes: str = ""


class PriceClausePatch(Schema):
    index_name: str | None = None
    index_kind: str | None = None
    base_value: Decimal | None = None
    base_date: date | None = None
    threshold_percent: Decimal | None = None
    share_percent: Decimal | None = None
    formula: str | None = None
    notes: str | None = None
    version: int | None = None


class IndexValueIn(Schema):
    value: Decimal
    on_date: date | None = None
    note: str = ""


class IndexValueOut(Schema):
    id: int
    on_date: date
    value: Decimal
    change_percent: Decimal
    crossed: bool
    proposed_fee: Decimal | None


class AmendmentOut(Schema):
    id: int
    number: int
    title: str
    reason: str
    changes: dict[str, Any]
    effective_from: date
    status: str
    resulting_version: int | None


class AmendmentIn(Schema):
    title: str
    reason: str
    effective_from: date
    changes: dict[str, Any]


class VersionOut(Schema):
    number: int
    effective_from: date
    amendment_id: int | None
    note: str
    created_at: datetime
    snapshot: dict[str, Any]


class DiffRowOut(Schema):
    section: str
    item: str
    old: Any = None
    new: Any = None


class DocumentOut(Schema):
    id: int
    title: str
    is_signed_copy: bool
    file_name: str
    file_type: str
    size: int
    created_at: datetime
