"""/api/v1/contracts/ — the same services as the pages, with the same access rules.

Contracts are addressed by their reference code (``CT-2026-0001``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from waibao.accounts import policy
from waibao.calendars.models import Calendar
from waibao.contracts import access, queries, services, visibility
from waibao.contracts.models import ClauseTemplate, ContractStatus
from waibao.contracts.schemas import (
    AmendmentIn,
    AmendmentOut,
    ApprovalDecisionIn,
    ApprovalStepOut,
    ClauseIn,
    ClauseOut,
    ClausePatch,
    ClauseTemplateIn,
    ClauseTemplateOut,
    ClauseTemplatePatch,
    ContractDocumentOut,
    ContractIn,
    ContractOut,
    ContractPatch,
    ContractStatusIn,
    ContractVersionOut,
    DiffRowOut,
    IndexValueIn,
    IndexValueOut,
    MetricIn,
    MetricOut,
    MilestoneActionIn,
    MilestoneIn,
    MilestoneOut,
    MilestonePatch,
    MissingClausesOut,
    PreviewIn,
    PreviewOut,
    PriceClauseIn,
    PriceClauseOut,
    PriceClausePatch,
    RenewalIn,
)
from waibao.core.apiutils import ERRORS, ERRORS_409, Choice, Page, never_conflicts, paginate, patch_values
from waibao.core.errors import DomainError
from waibao.core.files import attachment, from_uploaded
from waibao.vendors.access import get_vendor
from waibao.vendors.models import Category

router = Router(tags=["contracts"])


class ContractQuery(Schema):
    q: str = ""
    vendor: str = ""
    status: Annotated[str, Choice(ContractStatus, blank=True)] = ""
    category: Annotated[str, Choice(Category, blank=True)] = ""
    ending_within: Annotated[int, Field(ge=0, le=queries.ENDING_WITHIN_MAX)] | None = None
    end_before: date | None = None
    end_after: date | None = None
    page: int = 1
    page_size: int = 50


def _calendar(pk: int) -> Calendar:
    cal = Calendar.objects.filter(pk=pk).first()
    if cal is None:
        raise DomainError(_("工作日历不存在。"), fields={"calendar_id": _("工作日历不存在。")})
    return cal


@router.get("/", response={200: Page[ContractOut], **ERRORS})
def list_contracts(request: HttpRequest, params: Query[ContractQuery]) -> Any:
    data = params.dict()
    page, size = data.pop("page"), data.pop("page_size")
    return paginate(
        request,
        queries.contract_list(request.user, queries.ContractFilter(**data)),
        page=page,
        page_size=size,
    )


@router.post("/", response={201: ContractOut, **ERRORS_409})
def create_contract(request: HttpRequest, payload: ContractIn) -> Any:
    policy.require(request.user, "contracts.write")
    data = payload.dict()
    vendor = get_vendor(request.user, data.pop("vendor_id"))
    owner_id = data.pop("owner_id")
    if owner_id:
        data["owner"] = owner_id  # the service checks who may own a contract
    return 201, services.create_contract(actor=request.user, vendor=vendor, **data)


class LibraryQuery(Schema):
    include_retired: bool = False


@router.get("/clause-library", response={200: list[ClauseTemplateOut], **ERRORS})
def clause_library(request: HttpRequest, params: Query[LibraryQuery]) -> Any:
    """Active templates; administrators may ask for retired ones too."""
    qs = ClauseTemplate.objects.all()
    if not (params.include_retired and policy.can(request.user, "settings.manage")):
        qs = qs.filter(is_active=True)
    return qs


def _template(request: HttpRequest, template_id: int) -> ClauseTemplate:
    policy.require(request.user, "settings.manage")
    template = ClauseTemplate.objects.filter(pk=template_id).first()
    if template is None:
        from django.http import Http404

        raise Http404("clause template")
    return template


@router.post("/clause-library", response={201: ClauseTemplateOut, **ERRORS})
def create_clause_template(request: HttpRequest, payload: ClauseTemplateIn) -> Any:
    policy.require(request.user, "settings.manage")
    return 201, services.save_clause_template(actor=request.user, **payload.dict())


@router.patch("/clause-library/{template_id}", response={200: ClauseTemplateOut, **ERRORS})
def update_clause_template(request: HttpRequest, template_id: int, payload: ClauseTemplatePatch) -> Any:
    template = _template(request, template_id)
    values = {"clause_type": template.clause_type, "title": template.title, "text": template.text}
    values.update(patch_values(payload, template))
    return services.save_clause_template(actor=request.user, template=template, **values)


@router.post("/clause-library/{template_id}/retire", response={200: ClauseTemplateOut, **ERRORS})
def retire_clause_template(request: HttpRequest, template_id: int) -> Any:
    template = _template(request, template_id)
    return services.set_clause_template_active(template=template, actor=request.user, active=False)


@router.post("/clause-library/{template_id}/restore", response={200: ClauseTemplateOut, **ERRORS})
def restore_clause_template(request: HttpRequest, template_id: int) -> Any:
    template = _template(request, template_id)
    return services.set_clause_template_active(template=template, actor=request.user, active=True)


@router.get("/approvals/pending", response={200: list[ApprovalStepOut], **ERRORS})
def my_pending_approvals(request: HttpRequest) -> Any:
    return queries.awaiting_approval(request.user)


@router.get("/{code}", response={200: ContractOut, **ERRORS})
def get_contract(request: HttpRequest, code: str) -> Any:
    return access.get_contract(request.user, code)


@router.patch("/{code}", response={200: ContractOut, **ERRORS_409})
def update_contract(request: HttpRequest, code: str, payload: ContractPatch) -> Any:
    contract = access.get_contract(request.user, code, write=True)
    data = patch_values(payload, contract)
    version = data.pop("version", None)
    if "owner_id" in data:
        data["owner"] = data.pop("owner_id")  # the service checks who may own a contract
    return services.update_contract(contract=contract, actor=request.user, expected_version=version, **data)


@router.post("/{code}/status", response={200: ContractOut, **ERRORS_409})
def change_status(request: HttpRequest, code: str, payload: ContractStatusIn) -> Any:
    contract = access.get_contract(request.user, code, write=True)
    return services.change_status(
        contract=contract, actor=request.user, to=payload.to, reason=payload.reason, on=payload.on
    )


@router.post("/{code}/renewal-decision", response={200: ContractOut, **ERRORS})
def renewal_decision(request: HttpRequest, code: str, payload: RenewalIn) -> Any:
    contract = access.get_contract(request.user, code, write=True)
    return services.record_renewal_decision(
        contract=contract, actor=request.user, decision=payload.decision, note=payload.note
    )


# --- clauses ---------------------------------------------------------------------------------------


@router.get("/{code}/clauses", response={200: list[ClauseOut], **ERRORS})
def list_clauses(request: HttpRequest, code: str) -> Any:
    return access.get_contract(request.user, code).clauses.all()


@router.post("/{code}/clauses", response={201: ClauseOut, **ERRORS_409})
def add_clause(request: HttpRequest, code: str, payload: ClauseIn) -> Any:
    contract = access.get_contract(request.user, code, write=True)
    data = payload.dict()
    template_id = data.pop("template_id")
    template = ClauseTemplate.objects.filter(pk=template_id).first() if template_id else None
    return 201, services.add_clause(contract=contract, actor=request.user, template=template, **data)


@router.patch("/{code}/clauses/{clause_id}", response={200: ClauseOut, **ERRORS_409})
def update_clause(request: HttpRequest, code: str, clause_id: int, payload: ClausePatch) -> Any:
    contract = access.get_contract(request.user, code)
    clause = access.get_clause(request.user, clause_id, write=True, contract=contract)
    return services.update_clause(clause=clause, actor=request.user, **patch_values(payload, clause))


@router.post("/{code}/missing-clauses", response={200: MissingClausesOut, **ERRORS_409})
def add_missing_clauses(request: HttpRequest, code: str) -> Any:
    """Add every required clause the contract lacks, from the clause library, in one step."""
    contract = access.get_contract(request.user, code, write=True)
    run = services.add_missing_clauses(contract=contract, actor=request.user)
    return {"added": run.added, "without_template": run.without_template}


@router.delete("/{code}/clauses/{clause_id}", response={204: None, **ERRORS_409})
def delete_clause(request: HttpRequest, code: str, clause_id: int) -> Any:
    contract = access.get_contract(request.user, code)
    services.delete_clause(
        clause=access.get_clause(request.user, clause_id, write=True, contract=contract), actor=request.user
    )
    return 204, None


# --- approval --------------------------------------------------------------------------------------


@router.post("/{code}/submit", response={200: ContractOut, **ERRORS_409})
def submit(request: HttpRequest, code: str) -> Any:
    contract = access.get_contract(request.user, code, write=True)
    return services.submit_for_approval(contract=contract, actor=request.user)


@router.get("/{code}/approvals", response={200: list[ApprovalStepOut], **ERRORS})
def list_approvals(request: HttpRequest, code: str) -> Any:
    """The approval steps with their decisions and comments: the buyer's own (an empty list for a vendor
    user, who reads the outcome as the contract's or amendment's status)."""
    contract = access.get_contract(request.user, code)
    return visibility.rows(request.user, contract.approval_steps.all())


@router.post("/{code}/approvals", response={200: ContractOut, **ERRORS_409})
def decide(request: HttpRequest, code: str, payload: ApprovalDecisionIn) -> Any:
    contract = access.get_contract(request.user, code, write=True, action="contracts.approve")
    amendment = (
        access.get_amendment(request.user, payload.amendment_id, contract=contract)
        if payload.amendment_id
        else None
    )
    if payload.decision == "approve":
        return services.approve_step(
            contract=contract,
            actor=request.user,
            comment=payload.comment,
            amendment=amendment,
            confirm_ended=payload.confirm_ended,
            step_id=payload.step_id,
        )
    if payload.decision == "return":
        return services.return_step(
            contract=contract,
            actor=request.user,
            comment=payload.comment,
            amendment=amendment,
            step_id=payload.step_id,
        )
    raise DomainError(_("决定无效。"), fields={"decision": _("可选：approve、return。")})


# --- SLA metrics ----------------------------------------------------------------------------------


@router.get("/{code}/sla-metrics", response={200: list[MetricOut], **ERRORS})
def list_metrics(request: HttpRequest, code: str) -> Any:
    return access.get_contract(request.user, code).sla_metrics.select_related("calendar")


@router.post("/{code}/sla-metrics", response={201: MetricOut, **ERRORS_409})
def add_metric(request: HttpRequest, code: str, payload: MetricIn) -> Any:
    contract = access.get_contract(request.user, code, write=True)
    return 201, services.add_metric(
        contract=contract,
        actor=request.user,
        definition=payload.definition,
        calendar=_calendar(payload.calendar_id),
    )


@router.put("/{code}/sla-metrics/{metric_id}", response={200: MetricOut, **ERRORS_409})
def update_metric(request: HttpRequest, code: str, metric_id: int, payload: MetricIn) -> Any:
    contract = access.get_contract(request.user, code)
    metric = access.get_metric(request.user, metric_id, write=True, contract=contract)
    return services.update_metric(
        metric=metric,
        actor=request.user,
        definition=payload.definition,
        calendar=_calendar(payload.calendar_id),
    )


@router.delete("/{code}/sla-metrics/{metric_id}", response={204: None, **ERRORS_409})
def delete_metric(request: HttpRequest, code: str, metric_id: int) -> Any:
    contract = access.get_contract(request.user, code)
    services.delete_metric(
        metric=access.get_metric(request.user, metric_id, write=True, contract=contract), actor=request.user
    )
    return 204, None


@router.post("/{code}/sla-metrics/{metric_id}/preview", response={200: PreviewOut, **ERRORS})
@never_conflicts
def preview(request: HttpRequest, code: str, metric_id: int, payload: PreviewIn) -> Any:
    contract = access.get_contract(request.user, code)
    metric = access.get_metric(request.user, metric_id, contract=contract)
    result = services.preview_credit(metric=metric, value=payload.value, monthly_fee=payload.monthly_fee)
    if result.get("errors"):  # e.g. a value that is not a number, or too large to be one ("1e999")
        raise DomainError(_("输入有误，请检查标出的字段。"), fields=result["errors"])
    return result


# --- milestones -----------------------------------------------------------------------------------


@router.get("/{code}/milestones", response={200: list[MilestoneOut], **ERRORS})
def list_milestones(request: HttpRequest, code: str) -> Any:
    contract = access.get_contract(request.user, code)
    return contract.milestones.select_related("contract")


@router.post("/{code}/milestones", response={201: MilestoneOut, **ERRORS_409})
def add_milestone(request: HttpRequest, code: str, payload: MilestoneIn) -> Any:
    contract = access.get_contract(request.user, code, write=True)
    return 201, services.add_milestone(contract=contract, actor=request.user, **payload.dict())


@router.patch("/{code}/milestones/{milestone_id}", response={200: MilestoneOut, **ERRORS_409})
def update_milestone(request: HttpRequest, code: str, milestone_id: int, payload: MilestonePatch) -> Any:
    """Change a planned or due milestone; send ``amount: null`` when switching to a percent (or back)."""
    contract = access.get_contract(request.user, code)
    ms = access.get_milestone(request.user, milestone_id, write=True, contract=contract)
    data = patch_values(payload, ms)
    version = data.pop("version", None)
    return services.update_milestone(milestone=ms, actor=request.user, expected_version=version, **data)


@router.delete("/{code}/milestones/{milestone_id}", response={204: None, **ERRORS_409})
def delete_milestone(request: HttpRequest, code: str, milestone_id: int) -> Any:
    contract = access.get_contract(request.user, code)
    ms = access.get_milestone(request.user, milestone_id, write=True, contract=contract)
    services.delete_milestone(milestone=ms, actor=request.user)
    return 204, None


@router.post("/{code}/milestones/{milestone_id}", response={200: MilestoneOut, **ERRORS_409})
def milestone_action(request: HttpRequest, code: str, milestone_id: int, payload: MilestoneActionIn) -> Any:
    contract = access.get_contract(request.user, code)
    action = "contracts.finance" if payload.action == "paid" else "contracts.write"
    ms = access.get_milestone(request.user, milestone_id, write=True, action=action, contract=contract)
    if payload.action == "due":
        return services.mark_milestone_due(milestone=ms, actor=request.user)
    if payload.action == "accept":
        return services.accept_milestone(milestone=ms, actor=request.user, note=payload.note)
    if payload.action == "paid":
        return services.mark_milestone_paid(milestone=ms, actor=request.user)
    raise DomainError(_("操作无效。"), fields={"action": _("可选：due、accept、paid。")})


# --- price adjustment -----------------------------------------------------------------------------


@router.get("/{code}/price-adjustments", response={200: list[PriceClauseOut], **ERRORS})
def list_price_clauses(request: HttpRequest, code: str) -> Any:
    """The buyer's price-adjustment records (an empty list for a vendor user: the clause's text is among the
    contract's clauses)."""
    contract = access.get_contract(request.user, code)
    return visibility.rows(request.user, contract.price_adjustments.all())


@router.post("/{code}/price-adjustments", response={201: PriceClauseOut, **ERRORS})
def add_price_clause(request: HttpRequest, code: str, payload: PriceClauseIn) -> Any:
    contract = access.get_contract(request.user, code, write=True, action="contracts.finance")
    return 201, services.add_price_clause(contract=contract, actor=request.user, **payload.dict())


@router.patch("/{code}/price-adjustments/{clause_id}", response={200: PriceClauseOut, **ERRORS_409})
def update_price_clause(request: HttpRequest, code: str, clause_id: int, payload: PriceClausePatch) -> Any:
    contract = access.get_contract(request.user, code)
    clause = access.get_price_clause(request.user, clause_id, write=True, contract=contract)
    data = patch_values(payload, clause)
    version = data.pop("version", None)
    return services.update_price_clause(clause=clause, actor=request.user, expected_version=version, **data)


@router.get("/{code}/price-adjustments/{clause_id}/values", response={200: list[IndexValueOut], **ERRORS})
def list_index_values(request: HttpRequest, code: str, clause_id: int) -> Any:
    contract = access.get_contract(request.user, code)
    return access.get_price_clause(request.user, clause_id, contract=contract).values.all()


@router.post("/{code}/price-adjustments/{clause_id}/values", response={201: IndexValueOut, **ERRORS})
def record_index_value(request: HttpRequest, code: str, clause_id: int, payload: IndexValueIn) -> Any:
    contract = access.get_contract(request.user, code)
    clause = access.get_price_clause(request.user, clause_id, write=True, contract=contract)
    return 201, services.record_index_value(
        clause=clause, actor=request.user, value=payload.value, on_date=payload.on_date, note=payload.note
    )


# --- amendments and versions ----------------------------------------------------------------------


@router.get("/{code}/amendments", response={200: list[AmendmentOut], **ERRORS})
def list_amendments(request: HttpRequest, code: str) -> Any:
    """Every amendment for buyers; a vendor user gets the submitted ones (in approval, approved, withdrawn
    after submission), never drafts or returned ones."""
    contract = access.get_contract(request.user, code)
    return visibility.rows(request.user, contract.amendments.all())


@router.post("/{code}/amendments", response={201: AmendmentOut, **ERRORS_409})
def propose_amendment(request: HttpRequest, code: str, payload: AmendmentIn) -> Any:
    contract = access.get_contract(request.user, code, write=True)
    return 201, services.propose_amendment(contract=contract, actor=request.user, **payload.dict())


@router.post("/{code}/amendments/{amendment_id}/submit", response={200: AmendmentOut, **ERRORS_409})
def submit_amendment(request: HttpRequest, code: str, amendment_id: int) -> Any:
    contract = access.get_contract(request.user, code)
    amendment = access.get_amendment(request.user, amendment_id, write=True, contract=contract)
    return services.submit_amendment(amendment=amendment, actor=request.user)


@router.get("/{code}/versions", response={200: list[ContractVersionOut], **ERRORS})
def list_versions(request: HttpRequest, code: str) -> Any:
    return access.get_contract(request.user, code).versions.all()


@router.get("/{code}/versions/diff", response={200: list[DiffRowOut], **ERRORS})
def diff_versions(request: HttpRequest, code: str, a: int, b: int) -> Any:
    contract = access.get_contract(request.user, code)
    va, vb = access.get_version(request.user, contract, a), access.get_version(request.user, contract, b)
    return visibility.version_diff(request.user, va.snapshot, vb.snapshot, words=False)


# --- documents ------------------------------------------------------------------------------------


@router.get("/{code}/documents", response={200: list[ContractDocumentOut], **ERRORS})
def list_documents(request: HttpRequest, code: str) -> Any:
    """The contract's documents; a vendor user does not get those marked internal."""
    contract = access.get_contract(request.user, code)
    return visibility.rows(request.user, contract.documents.all())


@router.post("/{code}/documents", response={201: ContractDocumentOut, **ERRORS})
def upload_document(
    request: HttpRequest,
    code: str,
    file: File[UploadedFile],
    title: Form[str] = "",
    is_signed_copy: Form[bool] = True,
    internal: Form[bool] = False,
) -> Any:
    """``internal``: the buyer's own paper, not shown to vendor users (a signed copy cannot be internal)."""
    contract = access.get_contract(request.user, code, write=True)
    return 201, services.upload_document(
        contract=contract,
        actor=request.user,
        upload=from_uploaded(file),
        title=title,
        is_signed_copy=is_signed_copy,
        internal=internal,
    )


@router.get("/{code}/documents/{document_id}/download", response={200: None, **ERRORS})
def download_document(request: HttpRequest, code: str, document_id: int) -> Any:
    contract = access.get_contract(request.user, code)
    doc = access.get_document(request.user, document_id, contract=contract)
    return attachment(doc.file, doc.file_name)
