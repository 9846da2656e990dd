from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from waibao.core.apiutils import Choice, Number
from waibao.lib.sampling import AQLS, LEVELS
from waibao.quality.models import (
    CapaStatus,
    Channel,
    ComplaintCategory,
    ComplaintStatus,
    DeliverableStatus,
    InspectionStatus,
    LotKind,
    NcrSource,
    NcrStatus,
    ReviewDecisionKind,
    Severity,
    Stage,
    Step,
)


class SamplingPlanOut(Schema):
    code_letter: str
    plan_code_letter: str
    sample_size: int
    accept: int
    reject: int
    inspect_all: bool


class SimulateIn(Schema):
    start_stage: Annotated[str, Choice(Stage)] = "normal"
    code_letter: str
    aql: str | float
    steady_production: bool = True
    reduced_approved: bool = False
    lots: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)


class SimulateLotOut(Schema):
    accepted: bool
    stage_after: Annotated[str, Choice(Stage)]
    switching_score: int
    reason: str | None = None


class SpcIn(Schema):
    values: list[float] = Field(max_length=10000)
    center: float | None = None
    sigma: float | None = None
    ruleset: str = "nelson"


class SpcOut(Schema):
    center: float
    sigma: float
    signals: dict[str, list[int]]


class DefectClassOut(Schema):
    severity: Annotated[str, Choice(Severity)]
    aql: Annotated[str, Choice(AQLS)]


class StreamOut(Schema):
    id: int
    plan_id: int
    severity: Annotated[str, Choice(Severity)]
    aql: Annotated[str, Choice(AQLS)]
    stage: Annotated[str, Choice(Stage)]
    switching_score: int
    discontinued: bool

    @staticmethod
    def resolve_severity(obj: Any) -> str:
        return str(obj.defect_class.severity)

    @staticmethod
    def resolve_aql(obj: Any) -> str:
        return str(obj.defect_class.aql)


class SwitchOut(Schema):
    at: datetime
    from_stage: Annotated[str, Choice(Stage)]
    to_stage: Annotated[str, Choice(Stage)]
    discontinued: bool
    reason_code: str
    reason: str
    inspection_id: int | None


class PlanOut(Schema):
    id: int
    contract: str
    name: str
    lot_kind: Annotated[str, Choice(LotKind)]
    lot_description: str
    level: Annotated[str, Choice(LEVELS)]
    characteristics: list[dict[str, Any]]
    review_levels: list[str]
    steady_production: bool
    reduced_approved: bool
    verify_after_days: int
    capa_step_days: int
    active: bool
    version: int
    defect_classes: list[DefectClassOut]
    inspectors: list[str]

    @staticmethod
    def resolve_contract(obj: Any) -> str:
        return str(obj.contract.code)

    @staticmethod
    def resolve_inspectors(obj: Any) -> list[str]:
        return [u.username for u in obj.inspectors.all()]

    @staticmethod
    def resolve_defect_classes(obj: Any) -> list[Any]:
        return list(obj.defect_classes.all())


class PlanIn(Schema):
    contract: str
    name: str
    level: Annotated[str, Choice(LEVELS)] = "II"
    lot_kind: Annotated[str, Choice(LotKind)] = "service_records"
    lot_description: str = ""
    classes: dict[str, str]
    characteristics: list[dict[str, Any]] = []
    review_levels: list[str] = []
    steady_production: bool = True
    reduced_approved: bool = False
    verify_after_days: int = 30
    capa_step_days: int = 7
    inspectors: list[str] = []


class PlanPutIn(Schema):
    """The whole editable plan (PUT). `classes` maps severity → AQL; a class left out is removed."""

    name: str
    level: Annotated[str, Choice(LEVELS)]
    lot_kind: Annotated[str, Choice(LotKind)]
    lot_description: str = ""
    classes: dict[str, str | None]
    characteristics: list[dict[str, Any]] = []
    review_levels: list[str] = []
    steady_production: bool = True
    reduced_approved: bool = False
    verify_after_days: int = 30
    capa_step_days: int = 7
    active: bool = True
    inspectors: list[str] = []
    version: int | None = None


class PlanPatchIn(Schema):
    """Only the fields sent change (PATCH). In `classes`, a severity mapped to null or "" is removed."""

    name: str | None = None
    level: Annotated[str, Choice(LEVELS)] | None = None
    lot_kind: Annotated[str, Choice(LotKind)] | None = None
    lot_description: str | None = None
    classes: dict[str, str | None] | None = None
    characteristics: list[dict[str, Any]] | None = None
    review_levels: list[str] | None = None
    steady_production: bool | None = None
    reduced_approved: bool | None = None
    verify_after_days: int | None = None
    capa_step_days: int | None = None
    active: bool | None = None
    inspectors: list[str] | None = None
    version: int | None = None


class MeasurementIn(Schema):
    position: int
    characteristic: str
    value: float | str | None = None


class MeasurementsIn(Schema):
    measurements: list[MeasurementIn] = Field(max_length=20000)


class SlaBreachOut(Schema):
    id: int
    contract: str
    metric: str
    period: str
    value: float | None
    target: Number
    sample_size: int
    closed: bool
    ncr: str | None = None

    @staticmethod
    def resolve_contract(obj: Any) -> str:
        return str(obj.contract.code)

    @staticmethod
    def resolve_metric(obj: Any) -> str:
        return str(obj.metric.name)

    @staticmethod
    def resolve_target(obj: Any) -> Any:
        return obj.target

    @staticmethod
    def resolve_ncr(obj: Any) -> str | None:
        return getattr(obj, "ncr_code", None)


class ClassResultOut(Schema):
    severity: Annotated[str, Choice(Severity)]
    aql: Annotated[str, Choice(AQLS)]
    stage: Annotated[str, Choice(Stage)]
    code_letter: str
    plan_code_letter: str
    sample_size: int
    accept: int
    reject: int
    inspect_all: bool
    nonconforming: int | None
    accepted: bool | None


class ItemOut(Schema):
    position: int
    lot_index: int
    ref: str


class InspectionOut(Schema):
    id: int
    code: str
    contract: str
    plan_id: int
    lot_ref: str
    lot_kind: Annotated[str, Choice(LotKind)]
    period_start: date | None
    period_end: date | None
    lot_size: int
    seed: int
    original: bool
    status: Annotated[str, Choice(InspectionStatus)]
    accepted: bool | None
    completed_at: datetime | None
    class_results: list[ClassResultOut]

    @staticmethod
    def resolve_contract(obj: Any) -> str:
        return str(obj.contract.code)

    @staticmethod
    def resolve_class_results(obj: Any) -> list[Any]:
        return list(obj.class_results.all())


class InspectionDetailOut(InspectionOut):
    items: list[ItemOut]
    findings: list[dict[str, Any]]
    measurements: list[dict[str, Any]]

    @staticmethod
    def resolve_measurements(obj: Any) -> list[dict[str, Any]]:
        from waibao.quality.models import Measurement

        return [
            {
                "position": m.item.position,
                "characteristic": m.characteristic,
                "value": m.value,
                "lsl": m.lsl,
                "usl": m.usl,
                "unit": m.unit,
                "severity": m.severity,
                "conforming": m.conforming,
            }
            for m in Measurement.objects.filter(item__inspection=obj)
            .select_related("item")
            .order_by("item__position", "characteristic")
        ]

    @staticmethod
    def resolve_items(obj: Any) -> list[Any]:
        return list(obj.items.all())

    @staticmethod
    def resolve_findings(obj: Any) -> list[dict[str, Any]]:
        from waibao.quality.models import Finding

        return [
            {"position": f.item.position, "severity": f.severity, "note": f.note, "checks": f.checks or []}
            for f in Finding.objects.filter(item__inspection=obj)
            .select_related("item")
            .order_by("item__position")
        ]


class InspectionIn(Schema):
    plan_id: int
    lot_ref: str
    lot_size: int | None = None
    items: list[str] | None = None
    period_start: date | None = None
    period_end: date | None = None
    seed: int | None = None
    original: bool = True


class FindingIn(Schema):
    position: int
    severity: Annotated[str, Choice(Severity)]
    note: str = ""
    checks: list[str] = Field(
        default=[], description="names of the plan's check items of this class that the unit failed"
    )


class FindingsIn(Schema):
    findings: list[FindingIn]


class AllConformIn(Schema):
    """Every sample unit conforms except these (they replace the findings recorded so far)."""

    exceptions: list[FindingIn] = []


class NcrOut(Schema):
    id: int
    code: str
    contract: str
    vendor_id: int
    source: Annotated[str, Choice(NcrSource)]
    severity: Annotated[str, Choice(Severity)]
    title: str
    description: str
    containment: str
    status: Annotated[str, Choice(NcrStatus)]
    source_ref: str
    raised_at: datetime
    vendor_notified_at: datetime | None
    closed_at: datetime | None
    capa: str | None

    @staticmethod
    def resolve_contract(obj: Any) -> str:
        return str(obj.contract.code)

    @staticmethod
    def resolve_capa(obj: Any) -> str | None:
        capa = getattr(obj, "capa", None)
        return capa.code if capa else None

    # A generated title or description in the caller's language, one typed by a person as typed.
    @staticmethod
    def resolve_title(obj: Any) -> str:
        return str(obj.shown_title)

    @staticmethod
    def resolve_description(obj: Any) -> str:
        return str(obj.shown_description)


class NcrIn(Schema):
    contract: str
    source: Annotated[str, Choice(NcrSource)]
    severity: Annotated[str, Choice(Severity)]
    title: str
    description: str = ""
    containment: str = ""
    source_ref: str = ""


class ReasonIn(Schema):
    reason: str


class ContainmentIn(Schema):
    containment: str


class CapaStepOut(Schema):
    step: Annotated[str, Choice(Step)]
    due_date: date
    content: str
    data: dict[str, Any]
    done_at: datetime | None
    escalated_at: datetime | None


class CapaOut(Schema):
    id: int
    code: str
    ncr: str
    status: Annotated[str, Choice(CapaStatus)]
    verify_after: date | None
    verification_note: str
    reopen_count: int
    steps: list[CapaStepOut]

    @staticmethod
    def resolve_ncr(obj: Any) -> str:
        return str(obj.ncr.code)

    @staticmethod
    def resolve_steps(obj: Any) -> list[Any]:
        return list(obj.steps.all())


class StepIn(Schema):
    content: str
    whys: list[str] = []
    categories: list[str] = []


class DraftStepIn(Schema):
    content: str = ""
    whys: list[str] = []
    categories: list[str] = []


class CapaStepsIn(Schema):
    """What the vendor typed for D1–D7, keyed "D1".."D7" (whys and categories for D4 only); steps left
    out keep what they hold."""

    steps: dict[str, DraftStepIn] = {}


class VerifyIn(Schema):
    effective: bool
    note: str


class AcceptPlanIn(Schema):
    verify_after: date | None = None


class DeliverableVersionOut(Schema):
    id: int
    number: int
    file_name: str
    file_type: str
    size: int
    note: str
    at: datetime


class DecisionOut(Schema):
    level: int
    level_name: str
    decision: Annotated[str, Choice(ReviewDecisionKind)]
    comment: str
    at: datetime
    version: int

    @staticmethod
    def resolve_version(obj: Any) -> int:
        return int(obj.version.number)

    @staticmethod
    def resolve_level_name(obj: Any) -> str:
        return str(obj.level_label)


class DeliverableOut(Schema):
    id: int
    code: str
    contract: str
    milestone_id: int | None
    title: str
    description: str
    review_levels: list[str]
    level: int
    level_name: str
    status: Annotated[str, Choice(DeliverableStatus)]
    approved_at: datetime | None

    @staticmethod
    def resolve_contract(obj: Any) -> str:
        return str(obj.contract.code)

    @staticmethod
    def resolve_level_name(obj: Any) -> str:
        return str(obj.level_label)


class DeliverableDetailOut(DeliverableOut):
    versions: list[DeliverableVersionOut]
    decisions: list[DecisionOut]

    @staticmethod
    def resolve_versions(obj: Any) -> list[Any]:
        return list(obj.versions.all())

    @staticmethod
    def resolve_decisions(obj: Any) -> list[Any]:
        return list(obj.decisions.select_related("version"))


class ReviewIn(Schema):
    decision: Annotated[str, Choice(ReviewDecisionKind)]
    comment: str = ""
    open_ncr: bool = False


class ComplaintOut(Schema):
    id: int
    code: str
    received_at: datetime
    channel: Annotated[str, Choice(Channel)]
    category: Annotated[str, Choice(ComplaintCategory)]
    severity: Annotated[str, Choice(Severity)]
    customer: str
    description: str
    contract: str | None
    record_ref: str
    vendor_id: int | None
    status: Annotated[str, Choice(ComplaintStatus)]
    vendor_caused: bool | None
    ncr: str | None

    @staticmethod
    def resolve_contract(obj: Any) -> str | None:
        return obj.contract.code if obj.contract else None

    @staticmethod
    def resolve_ncr(obj: Any) -> str | None:
        return obj.ncr.code if obj.ncr else None


class ComplaintIn(Schema):
    channel: Annotated[str, Choice(Channel)]
    category: Annotated[str, Choice(ComplaintCategory)]
    severity: Annotated[str, Choice(Severity)]
    description: str
    customer: str = ""
    contract: str | None = None
    record_ref: str = ""
    received_at: datetime | None = None


class TriageIn(Schema):
    contract: str
    vendor_caused: bool
    note: str = ""


class ConvertIn(Schema):
    severity: Annotated[str, Choice(Severity)] | None = None


class SatisfactionOut(Schema):
    contract: str
    period: str
    csat: float | None
    csat_scale: str = Field(description="percent (0–100), score5 (1–5) or score10 (0–10)")
    nps: float | None
    responses: int

    @staticmethod
    def resolve_contract(obj: Any) -> str:
        return str(obj.contract.code)


class SatisfactionIn(Schema):
    contract: str
    period: str
    csat: float | None = None
    nps: float | None = None
    responses: int = 0
    source: str = ""


class CsatScaleIn(Schema):
    contract: str
    csat_scale: str = Field(description="percent (0–100), score5 (1–5) or score10 (0–10)")


class CsatScaleOut(Schema):
    contract: str
    csat_scale: str

    @staticmethod
    def resolve_contract(obj: Any) -> str:
        return str(obj.code)  # the contract, which keeps the scale
