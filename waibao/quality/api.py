"""/api/v1/quality/ — the same services as the pages, with the same access rules."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from waibao.accounts import policy
from waibao.contracts import access as contract_access
from waibao.core.apiutils import ERRORS, ERRORS_409, Choice, Page, never_conflicts, paginate, patch_values
from waibao.core.errors import DomainError
from waibao.core.files import attachment, from_uploaded
from waibao.core.texts import join_list
from waibao.lib.sampling import LEVELS
from waibao.quality import access, queries, services, whatif
from waibao.quality.models import QualityPlan, Stage
from waibao.quality.schemas import (
    AcceptPlanIn,
    AllConformIn,
    CapaOut,
    CapaStepsIn,
    ComplaintIn,
    ComplaintOut,
    ContainmentIn,
    ConvertIn,
    CsatScaleIn,
    CsatScaleOut,
    DeliverableDetailOut,
    DeliverableOut,
    FindingsIn,
    InspectionDetailOut,
    InspectionIn,
    InspectionOut,
    MeasurementsIn,
    NcrIn,
    NcrOut,
    PlanIn,
    PlanOut,
    PlanPatchIn,
    PlanPutIn,
    ReasonIn,
    ReviewIn,
    SamplingPlanOut,
    SatisfactionIn,
    SatisfactionOut,
    SimulateIn,
    SimulateLotOut,
    SlaBreachOut,
    SpcIn,
    SpcOut,
    StepIn,
    StreamOut,
    SwitchOut,
    TriageIn,
    VerifyIn,
)

router = Router(tags=["quality"])


# --- pure tools --------------------------------------------------------------------------------


class PlanQuery(Schema):
    lot_size: int
    level: Annotated[str, Choice(LEVELS)] = "II"
    aql: str
    stage: Annotated[str, Choice(Stage)] = "normal"


@router.get("/sampling-plan", response={200: SamplingPlanOut, **ERRORS})
def sampling_plan(request: HttpRequest, params: Query[PlanQuery]) -> Any:
    """GB/T 2828.1 single sampling plan: code letter (Table 1), plan after the arrows (Tables 2-A/B/C)."""
    return whatif.plan_dict(whatif.plan(params.lot_size, params.level, params.aql, params.stage))


@router.post("/switching/simulate", response={200: list[SimulateLotOut], **ERRORS})
@never_conflicts
def switching_simulate(request: HttpRequest, payload: SimulateIn) -> Any:
    """Run a sequence of lots through the switching rules (clause 9); one result per lot."""
    return whatif.simulate(
        start_stage=payload.start_stage,
        code_letter=payload.code_letter,
        aql=str(payload.aql),
        steady_production=payload.steady_production,
        reduced_approved=payload.reduced_approved,
        lots=payload.lots,
    )


@router.post("/spc/signals", response={200: SpcOut, **ERRORS})
@never_conflicts
def spc_signals(request: HttpRequest, payload: SpcIn) -> Any:
    """Nelson's eight tests or the Western Electric four on a series (0-based indices per rule)."""
    return whatif.spc_signals(
        payload.values, center=payload.center, sigma=payload.sigma, ruleset=payload.ruleset
    )


# --- plans and streams -------------------------------------------------------------------------


@router.get("/plans", response={200: Page[PlanOut], **ERRORS})
def list_plans(request: HttpRequest, contract: str = "", page: int = 1, page_size: int = 50) -> Any:
    return paginate(request, queries.plans(request.user, contract=contract), page=page, page_size=page_size)


def _inspectors(usernames: list[str] | None) -> list[Any] | None:
    """Usernames → users; an unknown one is a field error (not a silent drop)."""
    if usernames is None:
        return None
    from waibao.accounts.models import User

    names = [str(n).strip() for n in usernames if str(n).strip()]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    missing = [n for n in names if n not in users]
    if missing:
        raise DomainError(
            _("用户不存在：%(u)s。") % {"u": join_list(missing)},
            fields={"inspectors": _("用户不存在。")},
        )
    return [users[n] for n in names]


@router.post("/plans", response={201: PlanOut, **ERRORS})
def create_plan(request: HttpRequest, payload: PlanIn) -> Any:
    contract = contract_access.get_contract(
        request.user, payload.contract, write=True, action="quality.write"
    )
    data = payload.dict()
    data.pop("contract")
    data["inspectors"] = _inspectors(data.pop("inspectors")) or []
    return 201, services.create_plan(contract=contract, actor=request.user, **data)


@router.get("/plans/{plan_id}", response={200: PlanOut, **ERRORS})
def get_plan(request: HttpRequest, plan_id: int) -> Any:
    return access.get_plan(request.user, plan_id)


def _update_plan(request: HttpRequest, plan_id: int, data: dict[str, Any]) -> Any:
    plan = access.get_plan(request.user, plan_id, write=True)
    inspectors = _inspectors(data.pop("inspectors", None))
    version = data.pop("version", None)
    classes = data.pop("classes", None)
    services.update_plan(
        plan=plan,
        actor=request.user,
        classes=classes,
        inspectors=inspectors,
        expected_version=version,
        **data,
    )
    return access.get_plan(request.user, plan_id)


@router.put("/plans/{plan_id}", response={200: PlanOut, **ERRORS_409})
def replace_plan(request: HttpRequest, plan_id: int, payload: PlanPutIn) -> Any:
    """Replace the editable fields of a plan (see `update_plan` for what happens to the streams).

    A class left out of `classes` is removed (only if it was never inspected); send `version` to refuse
    the change (409) when someone else saved the plan first."""
    data = payload.dict()
    data["classes"] = {s: data["classes"].get(s) for s in ("critical", "major", "minor")} | data["classes"]
    return _update_plan(request, plan_id, data)


@router.patch("/plans/{plan_id}", response={200: PlanOut, **ERRORS_409})
def patch_plan(request: HttpRequest, plan_id: int, payload: PlanPatchIn) -> Any:
    """Change only the fields sent."""
    return _update_plan(request, plan_id, patch_values(payload, QualityPlan))


@router.get("/plans/{plan_id}/streams", response={200: list[StreamOut], **ERRORS})
def plan_streams(request: HttpRequest, plan_id: int) -> Any:
    return access.get_plan(request.user, plan_id).streams.select_related("defect_class")


@router.get("/streams/{stream_id}/switches", response={200: list[SwitchOut], **ERRORS})
def stream_switches(request: HttpRequest, stream_id: int) -> Any:
    return access.get_stream(request.user, stream_id).switches.all()


@router.post("/streams/{stream_id}/resume", response={200: StreamOut, **ERRORS})
def resume_stream(request: HttpRequest, stream_id: int, payload: ReasonIn) -> Any:
    stream = access.get_stream(request.user, stream_id, write=True, action="quality.write")
    return services.resume_stream(stream=stream, actor=request.user, why=payload.reason)


# --- inspections -------------------------------------------------------------------------------


@router.get("/inspections", response={200: Page[InspectionOut], **ERRORS})
def list_inspections(
    request: HttpRequest, status: str = "", contract: str = "", page: int = 1, page_size: int = 50
) -> Any:
    return paginate(
        request,
        queries.inspections(request.user, status=status, contract=contract),
        page=page,
        page_size=page_size,
    )


@router.post("/inspections", response={201: InspectionDetailOut, **ERRORS})
def start_inspection(request: HttpRequest, payload: InspectionIn) -> Any:
    plan = access.get_plan(request.user, payload.plan_id, write=True, action="quality.inspect")
    data = payload.dict()
    data.pop("plan_id")
    return 201, services.start_inspection(plan=plan, actor=request.user, **data)


@router.get("/inspections/{code}", response={200: InspectionDetailOut, **ERRORS})
def get_inspection(request: HttpRequest, code: str) -> Any:
    return access.get_inspection(request.user, code)


@router.put("/inspections/{code}/findings", response={200: InspectionDetailOut, **ERRORS})
def record_findings(request: HttpRequest, code: str, payload: FindingsIn) -> Any:
    inspection = access.get_inspection(request.user, code, write=True)
    services.record_findings(
        inspection=inspection,
        actor=request.user,
        findings=[(f.position, f.severity, f.note, f.checks) for f in payload.findings],
    )
    return access.get_inspection(request.user, code)


@router.post("/inspections/{code}/all-conform", response={200: InspectionDetailOut, **ERRORS})
def judge_all_conforming(request: HttpRequest, code: str, payload: AllConformIn | None = None) -> Any:
    """Judge the whole sample sheet at once: every unit conforms except the `exceptions` sent."""
    inspection = access.get_inspection(request.user, code, write=True)
    services.judge_all_conforming(
        inspection=inspection,
        actor=request.user,
        exceptions=[
            (f.position, f.severity, f.note, f.checks) for f in (payload.exceptions if payload else [])
        ],
    )
    return access.get_inspection(request.user, code)


@router.put("/inspections/{code}/measurements", response={200: InspectionDetailOut, **ERRORS})
def record_measurements(request: HttpRequest, code: str, payload: MeasurementsIn) -> Any:
    """Measured values of the plan's variable characteristics; a null or "" value removes one."""
    inspection = access.get_inspection(request.user, code, write=True)
    services.record_measurements(
        inspection=inspection,
        actor=request.user,
        measurements=[(m.position, m.characteristic, m.value) for m in payload.measurements],
    )
    return access.get_inspection(request.user, code)


@router.post("/inspections/{code}/complete", response={200: InspectionDetailOut, **ERRORS})
def complete_inspection(request: HttpRequest, code: str) -> Any:
    inspection = access.get_inspection(request.user, code, write=True)
    services.complete_inspection(inspection=inspection, actor=request.user)
    return access.get_inspection(request.user, code)


# --- nonconformances and 8D --------------------------------------------------------------------


@router.get("/ncrs", response={200: Page[NcrOut], **ERRORS})
def list_ncrs(
    request: HttpRequest, status: str = "", severity: str = "", page: int = 1, page_size: int = 50
) -> Any:
    return paginate(
        request, queries.ncrs(request.user, status=status, severity=severity), page=page, page_size=page_size
    )


@router.post("/ncrs", response={201: NcrOut, **ERRORS})
def open_ncr(request: HttpRequest, payload: NcrIn) -> Any:
    contract = contract_access.get_contract(
        request.user, payload.contract, write=True, action="quality.write"
    )
    data = payload.dict()
    data.pop("contract")
    return 201, services.open_nonconformance(contract=contract, actor=request.user, **data)


@router.get("/sla-breaches", response={200: Page[SlaBreachOut], **ERRORS})
def list_sla_breaches(
    request: HttpRequest, contract: str = "", closed: bool | None = None, page: int = 1, page_size: int = 50
) -> Any:
    """Missed SLA results of the contracts you can see, each with the NCR opened for it (if any)."""
    contracts = contract_access.visible_contracts(request.user)
    if contract:
        contracts = contracts.filter(pk=contract_access.get_contract(request.user, contract).pk)
    qs = services.sla_breaches(contracts)
    if closed is not None:
        qs = qs.filter(closed=closed)
    result = paginate(request, qs, page=page, page_size=page_size)
    ncrs = services.breach_ncrs(result["items"])
    for r in result["items"]:
        n = ncrs.get(services.sla_ref(r))
        r.ncr_code = n.code if n else None
    return result


@router.post("/ncrs/from-sla/{result_id}", response={201: NcrOut, **ERRORS})
def open_ncr_for_sla(request: HttpRequest, result_id: int) -> Any:
    """Open a nonconformance for a missed SLA result (once per result)."""
    from waibao.delivery import access as delivery_access

    result = delivery_access.get_result(request.user, result_id)  # another vendor's: 404, not 403
    policy.require(request.user, "quality.write")
    return 201, services.open_ncr_for_sla_breach(result=result, actor=request.user)


@router.get("/ncrs/{code}", response={200: NcrOut, **ERRORS})
def get_ncr(request: HttpRequest, code: str) -> Any:
    return access.get_ncr(request.user, code)


@router.post("/ncrs/{code}/containment", response={200: NcrOut, **ERRORS})
def ncr_containment(request: HttpRequest, code: str, payload: ContainmentIn) -> Any:
    ncr = access.get_ncr(request.user, code)
    access.require_step_writer(request.user)
    return services.update_containment(ncr=ncr, actor=request.user, containment=payload.containment)


@router.post("/ncrs/{code}/evidence", response={201: NcrOut, **ERRORS})
def ncr_evidence(request: HttpRequest, code: str, file: File[UploadedFile]) -> Any:
    ncr = access.get_ncr(request.user, code)
    access.require_step_writer(request.user)
    services.add_evidence(ncr=ncr, actor=request.user, upload=from_uploaded(file))
    return 201, ncr


@router.post("/ncrs/{code}/close", response={200: NcrOut, **ERRORS})
def close_ncr(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    ncr = access.get_ncr(request.user, code, write=True)
    return services.close_nonconformance(ncr=ncr, actor=request.user, reason=payload.reason)


@router.post("/ncrs/{code}/capa", response={201: CapaOut, **ERRORS})
def start_capa(request: HttpRequest, code: str) -> Any:
    ncr = access.get_ncr(request.user, code, write=True)
    return 201, services.start_corrective_action(ncr=ncr, actor=request.user)


@router.get("/capas/{code}", response={200: CapaOut, **ERRORS})
def get_capa(request: HttpRequest, code: str) -> Any:
    return access.get_capa(request.user, code)


@router.put("/capas/{code}/steps/{step}", response={200: CapaOut, **ERRORS})
def fill_step(request: HttpRequest, code: str, step: str, payload: StepIn) -> Any:
    capa = access.get_capa(request.user, code)
    access.require_step_writer(request.user)
    services.fill_capa_step(
        capa=capa,
        actor=request.user,
        step=step.upper(),
        content=payload.content,
        whys=payload.whys,
        categories=payload.categories,
    )
    return access.get_capa(request.user, code)


@router.put("/capas/{code}/steps", response={200: CapaOut, **ERRORS})
def save_steps(request: HttpRequest, code: str, payload: CapaStepsIn) -> Any:
    """Save D1–D7 as a draft, complete or not (the page's "save draft")."""
    capa = access.get_capa(request.user, code)
    access.require_step_writer(request.user)
    services.save_capa_steps(capa=capa, actor=request.user, steps=_steps(payload))
    return access.get_capa(request.user, code)


def _steps(payload: CapaStepsIn | None) -> dict[str, dict[str, Any]]:
    return {k: v.dict() for k, v in (payload.steps if payload else {}).items()}


@router.post("/capas/{code}/submit", response={200: CapaOut, **ERRORS})
def submit_capa(request: HttpRequest, code: str, payload: CapaStepsIn | None = None) -> Any:
    """Submit D1–D7. Steps sent in the body are saved first (and kept even when the submission is refused:
    422 with `fields` naming each incomplete step, e.g. "D1", "D4_whys", "D4_categories")."""
    capa = access.get_capa(request.user, code)
    access.require_step_writer(request.user)
    steps = _steps(payload) if payload is not None and payload.steps else None
    return services.submit_capa(capa=capa, actor=request.user, steps=steps)


@router.post("/capas/{code}/return", response={200: CapaOut, **ERRORS})
def return_capa(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    capa = access.get_capa(request.user, code, write=True)
    return services.return_capa(capa=capa, actor=request.user, reason=payload.reason)


@router.post("/capas/{code}/accept", response={200: CapaOut, **ERRORS})
def accept_capa(request: HttpRequest, code: str, payload: AcceptPlanIn) -> Any:
    capa = access.get_capa(request.user, code, write=True)
    return services.accept_capa_plan(capa=capa, actor=request.user, verify_after=payload.verify_after)


@router.post("/capas/{code}/verify", response={200: CapaOut, **ERRORS})
def verify_capa(request: HttpRequest, code: str, payload: VerifyIn) -> Any:
    capa = access.get_capa(request.user, code, write=True)
    return services.verify_capa(capa=capa, actor=request.user, effective=payload.effective, note=payload.note)


# --- deliverables ------------------------------------------------------------------------------


@router.get("/deliverables", response={200: Page[DeliverableOut], **ERRORS})
def list_deliverables(request: HttpRequest, status: str = "", page: int = 1, page_size: int = 50) -> Any:
    return paginate(
        request, queries.deliverables(request.user, status=status), page=page, page_size=page_size
    )


@router.post("/deliverables", response={201: DeliverableDetailOut, **ERRORS})
def submit_deliverable(
    request: HttpRequest,
    contract: Form[str],
    title: Form[str],
    file: File[UploadedFile],
    description: Form[str] = "",
    milestone_id: Form[int | None] = None,
    note: Form[str] = "",
    accept_milestone: Form[bool] = False,
) -> Any:
    c = contract_access.get_contract(request.user, contract)
    access.require_step_writer(request.user)
    milestone = (
        contract_access.get_milestone(request.user, milestone_id, contract=c) if milestone_id else None
    )
    return 201, services.submit_deliverable(
        contract=c,
        actor=request.user,
        title=title,
        upload=from_uploaded(file),
        description=description,
        milestone=milestone,
        note=note,
        accept_milestone=accept_milestone,
    )


@router.get("/deliverables/{code}", response={200: DeliverableDetailOut, **ERRORS})
def get_deliverable(request: HttpRequest, code: str) -> Any:
    return access.get_deliverable(request.user, code)


@router.post("/deliverables/{code}/versions", response={201: DeliverableDetailOut, **ERRORS})
def add_version(request: HttpRequest, code: str, file: File[UploadedFile], note: Form[str] = "") -> Any:
    d = access.get_deliverable(request.user, code)
    access.require_step_writer(request.user)
    services.add_version(deliverable=d, actor=request.user, upload=from_uploaded(file), note=note)
    return 201, access.get_deliverable(request.user, code)


@router.post("/deliverables/{code}/review", response={200: DeliverableDetailOut, **ERRORS_409})
def review_deliverable(request: HttpRequest, code: str, payload: ReviewIn) -> Any:
    d = access.get_deliverable(request.user, code, write=True)
    services.review_deliverable(
        deliverable=d,
        actor=request.user,
        decision=payload.decision,
        comment=payload.comment,
        open_ncr=payload.open_ncr,
    )
    return access.get_deliverable(request.user, code)


@router.get(
    "/deliverable-versions/{version_id}/file",
    response={200: None, **ERRORS},
    openapi_extra={"responses": {200: {"description": "the file, as an attachment"}}},
)
def download_version(request: HttpRequest, version_id: int) -> Any:
    v = access.get_version(request.user, version_id)
    return attachment(v.file, v.file_name)


# --- complaints and satisfaction ---------------------------------------------------------------


@router.get("/complaints", response={200: Page[ComplaintOut], **ERRORS})
def list_complaints(request: HttpRequest, status: str = "", page: int = 1, page_size: int = 50) -> Any:
    return paginate(request, queries.complaints(request.user, status=status), page=page, page_size=page_size)


@router.post("/complaints", response={201: ComplaintOut, **ERRORS})
def log_complaint(request: HttpRequest, payload: ComplaintIn) -> Any:
    policy.require(request.user, "quality.write")
    data = payload.dict()
    code = data.pop("contract")
    contract = contract_access.get_contract(request.user, code) if code else None
    return 201, services.log_complaint(actor=request.user, contract=contract, **data)


@router.get("/complaints/{code}", response={200: ComplaintOut, **ERRORS})
def get_complaint(request: HttpRequest, code: str) -> Any:
    return access.get_complaint(request.user, code)


@router.post("/complaints/{code}/triage", response={200: ComplaintOut, **ERRORS})
def triage_complaint(request: HttpRequest, code: str, payload: TriageIn) -> Any:
    c = access.get_complaint(request.user, code, write=True)
    contract = contract_access.get_contract(request.user, payload.contract)
    return services.triage_complaint(
        complaint=c,
        actor=request.user,
        contract=contract,
        vendor_caused=payload.vendor_caused,
        note=payload.note,
    )


@router.post("/complaints/{code}/convert", response={201: NcrOut, **ERRORS})
def convert_complaint(request: HttpRequest, code: str, payload: ConvertIn) -> Any:
    c = access.get_complaint(request.user, code, write=True)
    return 201, services.convert_complaint(complaint=c, actor=request.user, severity=payload.severity)


@router.get("/satisfaction", response={200: Page[SatisfactionOut], **ERRORS})
def list_satisfaction(request: HttpRequest, contract: str = "", page: int = 1, page_size: int = 50) -> Any:
    return paginate(
        request, queries.satisfaction(request.user, contract=contract), page=page, page_size=page_size
    )


@router.post("/satisfaction", response={200: SatisfactionOut, **ERRORS})
def record_satisfaction(request: HttpRequest, payload: SatisfactionIn) -> Any:
    contract = contract_access.get_contract(
        request.user, payload.contract, write=True, action="quality.write"
    )
    data = payload.dict()
    data.pop("contract")
    return services.record_satisfaction(contract=contract, actor=request.user, **data)


@router.put("/satisfaction/scale", response={200: CsatScaleOut, **ERRORS})
def set_csat_scale(request: HttpRequest, payload: CsatScaleIn) -> Any:
    """The one scale a contract's CSAT is recorded in; values entered afterwards are checked against it."""
    contract = contract_access.get_contract(
        request.user, payload.contract, write=True, action="quality.write"
    )
    return services.set_csat_scale(contract=contract, actor=request.user, scale=payload.csat_scale)
