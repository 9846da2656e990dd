"""Quality pages. Each view parses input, calls a service, and renders; rules live in services.

Vendor users reach the same pages (NCRs, 8D, deliverables, complaints triaged to them); access.py scopes
every lookup, so another vendor's record is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from waibao.accounts import policy
from waibao.contracts import access as contract_access
from waibao.core import access as core_access
from waibao.core.actions import Refusal, act, attempt, refuse
from waibao.core.errors import DomainError
from waibao.core.files import attachment, from_uploaded
from waibao.core.forms import apply_domain_error
from waibao.core.texts import join_clauses, join_list
from waibao.lib.spreadsheets import SpreadsheetError, read_table
from waibao.quality import access, charts, queries, services, whatif
from waibao.quality.forms import (
    CapaForm,
    ComplaintForm,
    CsatScaleForm,
    DeliverableForm,
    EvidenceForm,
    ImportForm,
    InspectionForm,
    NcrForm,
    PlanEditForm,
    PlanForm,
    SamplingToolForm,
    SimulateForm,
    SpcForm,
    VersionForm,
)
from waibao.quality.models import (
    VENDOR_STEPS,
    CapaStatus,
    CauseCategory,
    ComplaintStatus,
    DeliverableStatus,
    Finding,
    InspectionStatus,
    NcrStatus,
    Severity,
    Step,
)


def _page(request: HttpRequest, qs: Any, size: int = 25) -> Any:
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _writable_contracts(user: Any) -> Any:
    return contract_access.visible_contracts(user).select_related("vendor").order_by("code")


def _inspector_choices() -> Any:
    from waibao.accounts.models import Role, User

    return User.objects.filter(is_active=True, role__in=[Role.QUALITY, Role.ADMIN]).order_by("username")


def spec_text(c: dict[str, Any]) -> str:
    """A characteristic's limits as people write them: "≤ 30 分钟", "≥ 5", "-1 ~ 1 mm"."""
    lsl, usl, unit = c.get("lsl"), c.get("usl"), c.get("unit") or ""
    if lsl is not None and usl is not None:
        text = f"{lsl:g} ~ {usl:g}"
    elif usl is not None:
        text = f"≤ {usl:g}"
    elif lsl is not None:
        text = f"≥ {lsl:g}"
    else:
        text = ""
    return f"{text} {unit}".strip()


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """A 403 page that says why (the generic one only says the role may not act)."""
    return render(request, "quality/forbidden.html", {"message": message}, status=403)


# --- dashboard and tools ----------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not policy.is_buyer(request.user):
        return redirect("quality:ncr-list")
    data = queries.dashboard(request.user)
    trend = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 10, "top": 20, "bottom": 30},
        "xAxis": {"type": "category", "data": data["complaint_months"]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": _("投诉数"),
                "type": "bar",
                "data": data["complaint_counts"],
                "itemStyle": {"color": "#0d6efd"},
            }
        ],
    }
    return render(request, "quality/dashboard.html", {**data, "trend": trend})


@login_required
def sampling_tool(request: HttpRequest) -> HttpResponse:
    form = SamplingToolForm(request.GET if "lot_size" in request.GET else None)
    sim = SimulateForm(request.GET if "sim-lots" in request.GET else None, prefix="sim")
    rows, sim_rows, error = [], None, ""
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            for stage, label in (
                ("normal", _("正常检验")),
                ("tightened", _("加严检验")),
                ("reduced", _("放宽检验")),
            ):
                rows.append(
                    (label, whatif.plan_dict(whatif.plan(d["lot_size"], d["level"], d["aql"], stage)))
                )
        except DomainError as exc:
            error = exc.message
    if sim.is_bound and sim.is_valid():
        try:
            lots = sim.lot_list()
            d = sim.cleaned_data
            sim_rows = list(
                zip(
                    lots,
                    whatif.simulate(
                        start_stage=d["start_stage"],
                        code_letter=d["code_letter"],
                        aql=d["aql"],
                        steady_production=d["steady_production"],
                        reduced_approved=d["reduced_approved"],
                        lots=lots,
                    ),
                    strict=True,
                )
            )
        except (DomainError, Exception) as exc:
            sim.add_error(
                "lots", getattr(exc, "message", None) or join_clauses(getattr(exc, "messages", [str(exc)]))
            )
    return render(
        request,
        "quality/sampling_tool.html",
        {"form": form, "sim": sim, "rows": rows, "sim_rows": sim_rows, "error": error},
    )


@login_required
def spc_tool(request: HttpRequest) -> HttpResponse:
    form = SpcForm(request.GET or None)
    ctx: dict[str, Any] = {"form": form}
    if form.is_bound and form.is_valid():
        try:
            values = form.value_list()
            d = form.cleaned_data
            result = whatif.spc_signals(values, center=d["center"], sigma=d["sigma"], ruleset=d["ruleset"])
        except DomainError as exc:
            form.add_error("values", exc.message)
        except Exception as exc:
            form.add_error("values", join_clauses(getattr(exc, "messages", [str(exc)])))
        else:
            labels = [str(i) for i in range(len(values))]
            ctx.update(
                result=result,
                option=charts.chart_option(labels, values, result, ruleset=d["ruleset"]),
                signal_rows=charts.signal_rows(result, labels, d["ruleset"]),
            )
    return render(request, "quality/spc_tool.html", ctx)


@login_required
def contract_spc(request: HttpRequest, code: str) -> HttpResponse:
    contract = contract_access.get_contract(request.user, code)
    charts_ctx = []
    for i, series in enumerate(charts.contract_series(contract)):
        result = series.signals()
        option = charts.chart_option(
            series.labels,
            series.values,
            result,
            kind=series.kind,
            sizes=series.sizes,
        )
        charts_ctx.append(
            {
                "id": f"spc-{i}",
                "series": series,
                "option": option,
                "signal_rows": charts.signal_rows(result, series.labels),
            }
        )
    return render(request, "quality/contract_spc.html", {"contract": contract, "charts": charts_ctx})


# --- plans ------------------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "quality/plan_list.html",
        {"page": _page(request, queries.plans(request.user, contract=request.GET.get("contract", "")))},
    )


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "quality.write")
    contracts = _writable_contracts(request.user)
    form = PlanForm(
        request.POST or None,
        contracts=contracts,
        inspectors=_inspector_choices(),
        initial={"contract": request.GET.get("contract")},
    )
    if request.method == "POST" and form.is_valid():
        contract = contract_access.get_contract(
            request.user, form.cleaned_data["contract"], write=True, action="quality.write"
        )
        try:
            plan = services.create_plan(contract=contract, actor=request.user, **form.service_kwargs())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("质量计划已创建。"))
            return redirect("quality:plan-detail", pk=plan.pk)
    return render(
        request, "quality/form.html", {"form": form, "title": _("新建质量计划"), "back": "quality:plan-list"}
    )


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = access.get_plan(request.user, pk, write=True)
    form = PlanEditForm(
        request.POST or None, inspectors=_inspector_choices(), initial=PlanEditForm.initial_for(plan)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_plan(plan=plan, actor=request.user, **form.service_kwargs())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("质量计划已保存。"))
            return redirect("quality:plan-detail", pk=plan.pk)
    return render(
        request,
        "quality/form.html",
        {
            "form": form,
            "title": _("编辑质量计划：%(n)s") % {"n": plan.name},
            "back": "quality:plan-list",
            "cancel": reverse("quality:plan-detail", args=[plan.pk]),
            "intro": _(
                "改 AQL 或检验水平不改写历史：已抽样的批按抽样时的方案判定；各检验流保持当前严格度和"
                "转移记录，转移得分与加严连续接收批数重新计算（变更会记入转移记录）。已有抽检记录的类别"
                "不能清空，只能调整 AQL。"
            ),
        },
    )


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_page(request, access.get_plan(request.user, pk))


def _plan_page(request: HttpRequest, plan: Any, refused: Refusal | None = None) -> HttpResponse:
    """The plan page; after a refused resume / back-to-normal that stream's form keeps what was typed."""
    streams = list(plan.streams.select_related("defect_class").prefetch_related("switches"))
    return render(
        request,
        "quality/plan_detail.html",
        {
            "plan": plan,
            "streams": streams,
            "inspections": queries.inspections(request.user).filter(plan=plan)[:20],
            "inspectors": list(plan.inspectors.all()),
            "characteristics": [
                {
                    **c,
                    "spec": spec_text(c),
                    "severity_label": Severity(c["severity"]).label if c.get("severity") else "",
                }
                for c in plan.characteristics or []
            ],
            "history": core_access.history(request.user, plan, 30),
            "refused": refused,
        },
    )


@login_required
@require_POST
def stream_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    stream = access.get_stream(request.user, pk, write=True, action="quality.write")
    why = request.POST.get("why", "")
    fn: Callable[[], Any]
    if action == "resume":
        fn = lambda: services.resume_stream(stream=stream, actor=request.user, why=why)  # noqa: E731
        ok = _("检验已恢复（加严检验）。")
    elif action == "normal":
        fn = lambda: services.reinstate_normal(stream=stream, actor=request.user, why=why)  # noqa: E731
        ok = _("已恢复正常检验。")
    else:
        raise Http404
    return act(
        request,
        action,
        fn,
        ok=ok,
        done=lambda _r: redirect("quality:plan-detail", pk=stream.plan_id),
        page=lambda refused: _plan_page(request, access.get_plan(request.user, stream.plan_id), refused),
        key=stream.pk,
    )


# --- inspections ------------------------------------------------------------------------------


@login_required
def inspection_list(request: HttpRequest) -> HttpResponse:
    qs = queries.inspections(
        request.user, status=request.GET.get("status", ""), contract=request.GET.get("contract", "")
    )
    return render(
        request,
        "quality/inspection_list.html",
        {
            "page": _page(request, qs),
            "statuses": InspectionStatus.choices,
            "status": request.GET.get("status", ""),
        },
    )


@login_required
def inspection_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "quality.inspect")
    plans = queries.plans(request.user).filter(active=True)
    contract = None
    code = request.GET.get("contract", "").strip()
    if code:
        contract = contract_access.get_contract(request.user, code)
        plans = plans.filter(contract=contract)
    if not plans.exists():
        # Sampling follows a plan (inspection level, AQL per defect class): say so and where to make one.
        return render(
            request,
            "quality/inspection_no_plan.html",
            {"contract": contract, "can_create_plan": policy.can(request.user, "quality.write")},
        )
    form = InspectionForm(
        request.POST or None, plans=plans, initial={"plan": request.GET.get("plan"), "original": True}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        plan = access.get_plan(request.user, d["plan"], write=True, action="quality.inspect")
        items = [x for x in (d.get("items") or "").splitlines() if x.strip()] or None
        try:
            inspection = services.start_inspection(
                plan=plan,
                actor=request.user,
                lot_ref=d["lot_ref"],
                lot_size=d.get("lot_size"),
                items=items,
                period_start=d.get("period_start"),
                period_end=d.get("period_end"),
                seed=d.get("seed"),
                original=d["original"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已抽取样本，请逐项检验。"))
            return redirect("quality:inspection-detail", code=inspection.code)
    return render(
        request,
        "quality/form.html",
        {"form": form, "title": _("新建抽检"), "back": "quality:inspection-list"},
    )


def _sample_records(inspection: Any, refs: list[str]) -> dict[str, Any]:
    """Service records behind the sampled items of a service-record lot, by external id (one query)."""
    if inspection.lot_kind != "service_records" or not refs:
        return {}
    try:
        from waibao.delivery.models import ServiceRecord
    except ImportError:  # pragma: no cover - the delivery app is optional
        return {}
    return {
        r.external_id: r
        for r in ServiceRecord.objects.filter(contract_id=inspection.contract_id, external_id__in=refs).only(
            "pk", "external_id", "kind", "opened_at", "category", "status"
        )
    }


@login_required
def inspection_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _inspection_sheet(request, code)


def _inspection_sheet(request: HttpRequest, code: str, refused: Refusal | None = None) -> HttpResponse:
    """The sample sheet. Each unit has a checkbox per defect class it is inspected in, one per check item
    of the plan and a value per measured characteristic. "All conform" judges every unit not marked as
    conforming in one step. A save the services refuse shows the sheet again with everything entered."""
    from waibao.quality.models import Measurement

    inspection = access.get_inspection(request.user, code)
    results = list(inspection.class_results.order_by("severity"))
    items = list(inspection.items.all())
    sizes = {r.severity: r.sample_size for r in results}
    found = {(f.item_id, f.severity): f for f in Finding.objects.filter(item__inspection=inspection)}
    measured = {
        (m.item_id, m.characteristic): m for m in Measurement.objects.filter(item__inspection=inspection)
    }
    variables = [c for c in services.variable_characteristics(inspection.plan) if c["severity"] in sizes]
    # Characteristics measured earlier but since removed from the plan still show their values.
    names = {c["name"] for c in variables}
    for m in measured.values():
        if m.characteristic not in names:
            names.add(m.characteristic)
            variables.append(
                {"name": m.characteristic, "severity": m.severity, "lsl": m.lsl, "usl": m.usl, "unit": m.unit}
            )
    for c in variables:
        c["spec"] = spec_text(c)
    checks = [c for c in services.check_items(inspection.plan) if c["severity"] in sizes]
    for c in checks:
        c["severity_label"] = Severity(c["severity"]).label
    role_may = inspection.status == InspectionStatus.SAMPLED and policy.can(request.user, "quality.inspect")
    assigned = services.may_inspect(inspection.plan, request.user)
    can_edit = role_may and assigned
    posted = None
    if request.method == "POST" and refused is None:  # a refused cancel only shows the sheet
        if not role_may:
            raise PermissionDenied
        inspection = access.get_inspection(request.user, code, write=True)
        if not assigned:
            try:
                services.require_inspector(inspection.plan, request.user)
            except DomainError as exc:
                return _forbidden(request, exc.message)
        p = request.POST
        findings = []
        for item in items:
            for r in results:
                if item.position > r.sample_size:
                    continue
                failed = [
                    c["name"]
                    for i, c in enumerate(checks)
                    if c["severity"] == r.severity and p.get(f"c-{item.position}-{i}")
                ]
                if p.get(f"f-{item.position}-{r.severity}") or failed:
                    findings.append((item.position, r.severity, p.get(f"n-{item.position}", ""), failed))
        values = [
            (item.position, c["name"], p.get(f"m-{item.position}-{i}", ""))
            for item in items
            for i, c in enumerate(variables)
            if item.position <= sizes.get(c["severity"], 0) and f"m-{item.position}-{i}" in p
        ]
        bulk = bool(p.get("all_conform"))
        try:
            with transaction.atomic():
                if bulk:
                    services.judge_all_conforming(
                        inspection=inspection, actor=request.user, exceptions=findings
                    )
                else:
                    services.record_findings(inspection=inspection, actor=request.user, findings=findings)
                if values:
                    services.record_measurements(
                        inspection=inspection, actor=request.user, measurements=values
                    )
        except DomainError as exc:
            messages.error(request, exc.message)
            posted = p  # show the sheet again with what was entered
        else:
            if bulk:
                flagged = len({f[0] for f in findings})
                messages.success(
                    request,
                    _("已判定：%(ok)s 个样本合格，%(bad)s 个样本有不合格。")
                    % {"ok": len(items) - flagged, "bad": flagged},
                )
            else:
                messages.success(request, _("检验结果已保存。"))
            if p.get("complete"):
                attempt(
                    request,
                    lambda: services.complete_inspection(inspection=inspection, actor=request.user),
                    _("已判定。"),
                )
            return redirect("quality:inspection-detail", code=inspection.code)
    records = _sample_records(inspection, [it.ref for it in items])
    rows = []
    for item in items:
        cells = []
        for r in results:
            f = found.get((item.pk, r.severity))
            auto = [
                c["name"]
                for c in variables
                if c["severity"] == r.severity
                and not getattr(measured.get((item.pk, c["name"])), "conforming", True)
            ]
            # The class box means "nonconforming for another reason"; failed check items show in their own boxes.
            ticked = (
                bool(posted.get(f"f-{item.position}-{r.severity}"))
                if posted is not None
                else bool(f and not f.checks)
            )
            cells.append((r, item.position <= r.sample_size, ticked, auto, f))
        failed_checks = {
            name for (item_id, _s), f in found.items() if item_id == item.pk for name in (f.checks or [])
        }
        ccells = [
            (
                i,
                c,
                item.position <= sizes.get(c["severity"], 0),
                bool(posted.get(f"c-{item.position}-{i}"))
                if posted is not None
                else c["name"] in failed_checks,
            )
            for i, c in enumerate(checks)
        ]
        if posted is not None:
            note = posted.get(f"n-{item.position}", "")
        else:
            note = next((f.note for (item_id, _s), f in found.items() if item_id == item.pk and f.note), "")
        mcells = []
        for i, c in enumerate(variables):
            value = measured.get((item.pk, c["name"]))
            raw = posted.get(f"m-{item.position}-{i}") if posted is not None else None
            shown = raw if raw is not None else (f"{value.value:g}" if value else "")
            mcells.append((i, c, item.position <= sizes.get(c["severity"], 0), value, shown))
        rows.append((item, cells, note, mcells, ccells, records.get(item.ref)))
    return render(
        request,
        "quality/inspection_detail.html",
        {
            "inspection": inspection,
            "results": results,
            "rows": rows,
            "variables": variables,
            "checks": checks,
            "can_edit": can_edit,
            "not_assigned": role_may and not assigned,
            "inspectors": list(inspection.plan.inspectors.all()),
            "ncrs": inspection.nonconformances.all(),
            "history": core_access.history(request.user, inspection, 20),
            "refused": refused,
        },
    )


@login_required
@require_POST
def inspection_cancel(request: HttpRequest, code: str) -> HttpResponse:
    inspection = access.get_inspection(request.user, code, write=True)
    return act(
        request,
        "cancel",
        lambda: services.cancel_inspection(
            inspection=inspection, actor=request.user, reason=request.POST.get("reason", "")
        ),
        ok=_("抽检已取消。"),
        done=lambda _r: redirect("quality:inspection-detail", code=inspection.code),
        page=lambda refused: _inspection_sheet(request, code, refused),
    )


# --- nonconformances --------------------------------------------------------------------------


@login_required
def ncr_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "active")
    qs = queries.ncrs(
        request.user, status=status if status != "all" else "", severity=request.GET.get("severity", "")
    )
    return render(
        request,
        "quality/ncr_list.html",
        {
            "page": _page(request, qs),
            "status": status,
            "statuses": NcrStatus.choices,
            "severities": Severity.choices,
            "severity": request.GET.get("severity", ""),
            "capas": queries.capas(request.user).exclude(status=CapaStatus.CLOSED)[:20],
        },
    )


@login_required
def ncr_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "quality.write")
    form = NcrForm(request.POST or None, contracts=_writable_contracts(request.user))
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        contract = contract_access.get_contract(
            request.user, d.pop("contract"), write=True, action="quality.write"
        )
        try:
            ncr = services.open_nonconformance(contract=contract, actor=request.user, **d)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _ncr_opened(ncr))
            return redirect("quality:ncr-detail", code=ncr.code)
    return render(
        request, "quality/form.html", {"form": form, "title": _("登记不合格"), "back": "quality:ncr-list"}
    )


@login_required
def ncr_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _ncr_page(request, access.get_ncr(request.user, code))


def _ncr_page(request: HttpRequest, ncr: Any, refused: Refusal | None = None) -> HttpResponse:
    """The NCR page; after a refused action (``refused``) its form comes back with what was typed."""
    capa = getattr(ncr, "capa", None) if hasattr(ncr, "capa") else None
    return render(
        request,
        "quality/ncr_detail.html",
        {
            "ncr": ncr,
            "capa": capa,
            "evidence": ncr.evidence.select_related("uploaded_by"),
            "evidence_form": EvidenceForm(),
            "can_write": policy.can(request.user, "quality.write"),
            "can_respond": policy.can(request.user, "quality.vendor_respond")
            or policy.can(request.user, "quality.write"),
            "complaint": getattr(ncr, "complaint", None) if hasattr(ncr, "complaint") else None,
            "history": core_access.history(request.user, ncr, 30),
            "refused": refused,
        },
    )


@login_required
@require_POST
def ncr_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Containment and evidence (the vendor's answer), 8D, close and cancel. A refused action shows the
    NCR page again with what was typed in that form and the message beside it."""
    ncr = access.get_ncr(request.user, code)
    reason = request.POST.get("reason", "")

    def back(_result: Any = None) -> HttpResponse:
        return redirect("quality:ncr-detail", code=ncr.code)

    def page(refused: Refusal) -> HttpResponse:
        return _ncr_page(request, access.get_ncr(request.user, code), refused)

    if action in ("containment", "evidence"):
        access.require_step_writer(request.user)
        if action == "containment":
            return act(
                request,
                action,
                lambda: services.update_containment(
                    ncr=ncr, actor=request.user, containment=request.POST.get("containment", "")
                ),
                ok=_("围堵措施已保存。"),
                done=back,
                page=page,
            )
        form = EvidenceForm(request.POST, request.FILES)
        if not form.is_valid():
            return refuse(request, action, DomainError(_("请选择文件。")), page)
        return act(
            request,
            action,
            lambda: services.add_evidence(
                ncr=ncr, actor=request.user, upload=from_uploaded(form.cleaned_data["file"])
            ),
            ok=_("证据已上传。"),
            done=back,
            page=page,
        )
    policy.require(request.user, "quality.write")
    if action == "capa":
        return act(
            request,
            action,
            lambda: services.start_corrective_action(ncr=ncr, actor=request.user),
            ok=lambda _capa: _("已发起 8D 纠正措施。") + " " + _vendor_told(ncr.vendor_id),
            done=lambda capa: redirect("quality:capa-detail", code=capa.code),
            page=page,
        )
    if action == "close":
        fn: Callable[[], Any] = lambda: services.close_nonconformance(  # noqa: E731
            ncr=ncr, actor=request.user, reason=reason
        )
        ok = _("不合格已关闭。")
    elif action == "cancel":
        fn = lambda: services.cancel_nonconformance(ncr=ncr, actor=request.user, reason=reason)  # noqa: E731
        ok = _("不合格已取消。")
    else:
        raise Http404
    return act(request, action, fn, ok=ok, done=back, page=page)


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    ev = access.get_evidence(request.user, pk)
    return attachment(ev.file, ev.file_name)


# --- 8D ---------------------------------------------------------------------------------------


def _capa_steps(capa: Any) -> list[Any]:
    steps = list(capa.steps.select_related("done_by"))
    for s in steps:
        # Root-cause categories in the reader's language (the stored values are codes).
        labels = [
            str(CauseCategory(c).label)
            for c in (s.data or {}).get("categories", [])
            if c in CauseCategory.values
        ]
        # Translators: list separator between root-cause categories ("、" in Chinese, ", " in English).
        s.category_text = (
            _("原因类别：%(c)s") % {"c": join_list(labels)} if labels else ""
        )
    return steps


@login_required
def capa_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The 8D. The vendor fills D1–D7 in one form: "save draft" keeps whatever is typed, "submit" saves it
    too and then checks every step; a refused submission shows the page again with all the text and the
    message beside each step that is incomplete."""
    capa = access.get_capa(request.user, code)
    steps = _capa_steps(capa)
    form = CapaForm(request.POST or None, steps=steps) if _can_fill(request, capa) else None
    if request.method != "POST" and not _fills_on_request(request):
        form = None  # the buyer reads the vendor's steps; filling them on its behalf is asked for
    if request.method == "POST":
        access.require_step_writer(request.user)
        if form is None:
            messages.error(request, _("纠正措施已提交或已关闭，不能修改步骤。"))
            return redirect("quality:capa-detail", code=capa.code)
        submit = request.POST.get("action") == "submit"
        if form.is_valid():
            try:
                if submit:
                    services.submit_capa(capa=capa, actor=request.user, steps=form.steps())
                else:
                    services.save_capa_steps(capa=capa, actor=request.user, steps=form.steps())
            except DomainError as exc:
                form.apply_error(exc)
                if exc.code == "incomplete":
                    messages.info(request, _("草稿已保存。"))
                steps = _capa_steps(capa)
            else:
                messages.success(request, _("8D 已提交，等待采购方确认。") if submit else _("草稿已保存。"))
                return redirect("quality:capa-detail", code=capa.code)
    return _capa_page(request, capa, steps=steps, form=form)


def _can_fill(request: HttpRequest, capa: Any) -> bool:
    may_write_steps = policy.can(request.user, "quality.vendor_respond") or policy.can(
        request.user, "quality.write"
    )
    return capa.status == CapaStatus.OPEN and may_write_steps


def _for_vendor(request: HttpRequest) -> bool:
    """A buyer's quality staff may fill D1–D7 on the vendor's behalf (access.require_step_writer)."""
    return not policy.can(request.user, "quality.vendor_respond")


def _fills_on_request(request: HttpRequest) -> bool:
    """The vendor's users always get the form; a buyer only after choosing to fill on the vendor's behalf."""
    return not _for_vendor(request) or request.GET.get("fill") == "1"


def _capa_page(
    request: HttpRequest,
    capa: Any,
    *,
    steps: list[Any] | None = None,
    form: Any = None,
    refused: Refusal | None = None,
) -> HttpResponse:
    """The 8D page; after a refused accept / return / verify that form comes back with what was typed."""
    steps = _capa_steps(capa) if steps is None else steps
    can_fill = _can_fill(request, capa)
    if form is None and can_fill and _fills_on_request(request):
        form = CapaForm(None, steps=steps)
    return render(
        request,
        "quality/capa_detail.html",
        {
            "capa": capa,
            "ncr": capa.ncr,
            "steps": steps,
            "form": form,
            "can_fill": can_fill,
            "for_vendor": can_fill and _for_vendor(request),
            "vendor_steps": [s.value for s in VENDOR_STEPS],
            "can_write": policy.can(request.user, "quality.write"),
            "today": services.clock.today(),
            "history": core_access.history(request.user, capa, 30),
            "refused": refused,
        },
        status=200,
    )


@login_required
@require_POST
def capa_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    capa = access.get_capa(request.user, code)
    p = request.POST

    def back(_result: Any = None) -> HttpResponse:
        return redirect("quality:capa-detail", code=capa.code)

    def page(refused: Refusal) -> HttpResponse:
        return _capa_page(request, access.get_capa(request.user, code), refused=refused)

    fn: Callable[[], Any]
    if action == "step":
        access.require_step_writer(request.user)
        step = p.get("step", "")
        fn = lambda: services.fill_capa_step(  # noqa: E731
            capa=capa,
            actor=request.user,
            step=step,
            content=p.get("content", ""),
            whys=[p.get(f"why{i}", "") for i in range(1, 6)],
            categories=p.getlist("categories"),
        )
        ok = _("%(s)s 已保存。") % {"s": Step(step).label if step in Step.values else step}
    elif action == "submit":
        access.require_step_writer(request.user)
        fn = lambda: services.submit_capa(capa=capa, actor=request.user)  # noqa: E731
        ok = _("8D 已提交，等待采购方确认。")
    else:
        policy.require(request.user, "quality.write")
        if action == "return":
            fn = lambda: services.return_capa(capa=capa, actor=request.user, reason=p.get("reason", ""))  # noqa: E731
            ok = _("8D 已退回供应商。")
        elif action == "accept":
            try:
                when = date.fromisoformat(p["verify_after"]) if p.get("verify_after") else None
            except ValueError:
                msg = _("请输入有效的日期。")
                return refuse(request, action, DomainError(msg, fields={"verify_after": msg}), page)
            fn = lambda: services.accept_capa_plan(capa=capa, actor=request.user, verify_after=when)  # noqa: E731
            ok = _("已接受纠正措施，等待效果验证。")
        elif action == "verify":
            effective = p.get("effective") == "1"
            fn = lambda: services.verify_capa(  # noqa: E731
                capa=capa, actor=request.user, effective=effective, note=p.get("note", "")
            )
            ok = _("验证有效，8D 与不合格已关闭。") if effective else _("验证未通过，8D 已重开。")
        else:
            raise Http404
    return act(request, action, fn, ok=ok, done=back, page=page)


# --- deliverables -----------------------------------------------------------------------------


@login_required
def deliverable_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    return render(
        request,
        "quality/deliverable_list.html",
        {
            "page": _page(request, queries.deliverables(request.user, status=status)),
            "status": status,
            "statuses": DeliverableStatus.choices,
            "can_submit": policy.can(request.user, "quality.vendor_respond")
            or policy.can(request.user, "quality.write"),
        },
    )


@login_required
def deliverable_create(request: HttpRequest) -> HttpResponse:
    access.require_step_writer(request.user)
    from waibao.contracts.models import PaymentMilestone

    contracts = _writable_contracts(request.user)
    milestones = (
        PaymentMilestone.objects.filter(contract__in=contracts)
        .exclude(status__in=["accepted", "paid"])
        .select_related("contract")
    )
    form = DeliverableForm(
        request.POST or None, request.FILES or None, contracts=contracts, milestones=milestones
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        contract = contract_access.get_contract(request.user, d["contract"])
        milestone = (
            contract_access.get_milestone(request.user, d["milestone"], contract=contract)
            if d.get("milestone")
            else None
        )
        try:
            dlv = services.submit_deliverable(
                contract=contract,
                actor=request.user,
                title=d["title"],
                upload=from_uploaded(d["file"]),
                description=d["description"],
                milestone=milestone,
                note=d["note"],
                accept_milestone=d["accept_milestone"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("交付物 %(c)s 已提交审核。") % {"c": dlv.code})
            return redirect("quality:deliverable-detail", code=dlv.code)
    return render(
        request,
        "quality/form.html",
        {"form": form, "title": _("提交交付物"), "back": "quality:deliverable-list", "multipart": True},
    )


@login_required
def deliverable_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _deliverable_page(request, access.get_deliverable(request.user, code))


def _deliverable_page(
    request: HttpRequest, d: Any, refused: Refusal | None = None, version_form: Any = None
) -> HttpResponse:
    """The deliverable page; after a refused review (or new version) that form keeps what was typed."""
    levels = d.review_levels or []
    return render(
        request,
        "quality/deliverable_detail.html",
        {
            "d": d,
            "versions": d.versions.select_related("uploaded_by"),
            "decisions": d.decisions.select_related("reviewer", "version"),
            "levels": [(i, name) for i, name in enumerate(levels)],
            "version_form": version_form or VersionForm(),
            "can_review": d.status == DeliverableStatus.IN_REVIEW
            and policy.can(request.user, "quality.review"),
            "reviewed_this_version": d.decisions.filter(
                reviewer_id=getattr(request.user, "pk", None),
                decision="approve",
                version=d.versions.order_by("-number").first(),
            ).exists(),
            "can_resubmit": d.status == DeliverableStatus.RETURNED
            and (
                policy.can(request.user, "quality.vendor_respond")
                or policy.can(request.user, "quality.write")
            ),
            "history": core_access.history(request.user, d, 30),
            "refused": refused,
        },
    )


@login_required
@require_POST
def deliverable_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    d = access.get_deliverable(request.user, code)

    def back(_result: Any = None) -> HttpResponse:
        return redirect("quality:deliverable-detail", code=d.code)

    if action == "version":
        access.require_step_writer(request.user)
        form = VersionForm(request.POST, request.FILES)

        def version_page(refused: Refusal) -> HttpResponse:
            # The version form is a Django form: its note and errors come back through it (it is on
            # the page while the deliverable is returned; otherwise the message goes to the top).
            fresh = access.get_deliverable(request.user, code)
            refused.shown = fresh.status == DeliverableStatus.RETURNED
            if refused.shown:
                for message in refused.messages:
                    form.add_error(None, message)
                for name, found in refused.errors.items():
                    for message in found:
                        form.add_error(name, message)
            return _deliverable_page(request, fresh, refused, version_form=form)

        if not form.is_valid():
            return _deliverable_page(request, d, version_form=form)
        return act(
            request,
            action,
            lambda: services.add_version(
                deliverable=d,
                actor=request.user,
                upload=from_uploaded(form.cleaned_data["file"]),
                note=form.cleaned_data["note"],
            ),
            ok=_("新版本已提交，重新进入审核。"),
            done=back,
            page=version_page,
            names=form.fields,
        )
    if action != "review":
        raise Http404
    policy.require(request.user, "quality.review")
    p = request.POST
    return act(
        request,
        action,
        lambda: services.review_deliverable(
            deliverable=d,
            actor=request.user,
            decision=p.get("decision", ""),
            comment=p.get("comment", ""),
            open_ncr=bool(p.get("open_ncr")),
        ),
        ok=_("审核意见已记录。"),
        done=back,
        page=lambda refused: _deliverable_page(request, access.get_deliverable(request.user, code), refused),
    )


@login_required
def version_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    v = access.get_version(request.user, pk)
    return attachment(v.file, v.file_name)


# --- complaints and satisfaction --------------------------------------------------------------


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    return render(
        request,
        "quality/complaint_list.html",
        {
            "page": _page(request, queries.complaints(request.user, status=status)),
            "status": status,
            "statuses": ComplaintStatus.choices,
        },
    )


@login_required
def complaint_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "quality.write")
    form = ComplaintForm(request.POST or None, contracts=_writable_contracts(request.user))
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        code = d.pop("contract")
        contract = contract_access.get_contract(request.user, code) if code else None
        try:
            c = services.log_complaint(actor=request.user, contract=contract, **d)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("投诉 %(c)s 已登记。") % {"c": c.code})
            return redirect("quality:complaint-detail", code=c.code)
    return render(
        request,
        "quality/form.html",
        {"form": form, "title": _("登记客户投诉"), "back": "quality:complaint-list"},
    )


@login_required
def complaint_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _complaint_page(request, access.get_complaint(request.user, code))


def _complaint_page(request: HttpRequest, c: Any, refused: Refusal | None = None) -> HttpResponse:
    """The complaint page; after a refused triage / convert / close that form keeps what was typed."""
    return render(
        request,
        "quality/complaint_detail.html",
        {
            "c": c,
            "contracts": _writable_contracts(request.user)
            if policy.can(request.user, "quality.write")
            else [],
            "can_write": policy.can(request.user, "quality.write"),
            "severities": Severity.choices,
            "history": core_access.history(request.user, c, 20),
            "refused": refused,
        },
    )


@login_required
@require_POST
def complaint_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    c = access.get_complaint(request.user, code, write=True)
    p = request.POST

    def back(_result: Any = None) -> HttpResponse:
        return redirect("quality:complaint-detail", code=c.code)

    def page(refused: Refusal) -> HttpResponse:
        return _complaint_page(request, access.get_complaint(request.user, code), refused)

    fn: Callable[[], Any]
    if action == "triage":
        try:
            contract = contract_access.get_contract(request.user, p.get("contract", ""))
        except Http404:
            msg = _("请选择责任合同。")
            return refuse(request, action, DomainError(msg, fields={"contract": msg}), page)
        fn = lambda: services.triage_complaint(  # noqa: E731
            complaint=c,
            actor=request.user,
            contract=contract,
            vendor_caused=p.get("vendor_caused") == "1",
            note=p.get("note", ""),
        )
        return act(request, action, fn, ok=_("已分派。"), done=back, page=page)
    if action == "convert":
        fn = lambda: services.convert_complaint(  # noqa: E731
            complaint=c, actor=request.user, severity=p.get("severity") or None
        )
        return act(
            request,
            action,
            fn,
            ok=_("已转为不合格。"),
            done=lambda ncr: redirect("quality:ncr-detail", code=ncr.code),
            page=page,
        )
    if action == "close":
        fn = lambda: services.close_complaint(complaint=c, actor=request.user, note=p.get("note", ""))  # noqa: E731
        return act(request, action, fn, ok=_("投诉已关闭。"), done=back, page=page)
    raise Http404


@login_required
def satisfaction(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST":
        policy.require(request.user, "quality.write")
        if form.is_valid():
            f = form.cleaned_data["file"]
            try:
                table = read_table(f.file, f.name)
                report = services.import_satisfaction(
                    actor=request.user,
                    rows=table.rows,
                    headers=table.headers,
                    contracts=contract_access.visible_contracts(request.user),
                    size=f.size,
                )
            except SpreadsheetError as exc:
                form.add_error("file", str(exc))
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                if report.ok:
                    messages.success(request, _("已导入 %(n)s 条满意度结果。") % {"n": len(report.saved)})
                    return redirect("quality:satisfaction")
    return _satisfaction_page(request, form=form, report=report)


def _satisfaction_page(
    request: HttpRequest, *, form: Any, report: Any = None, scale_form: Any = None
) -> HttpResponse:
    from waibao.contracts.models import CsatScale

    contracts = _writable_contracts(request.user)
    qs = queries.satisfaction(request.user, contract=request.GET.get("contract", ""))
    return render(
        request,
        "quality/satisfaction.html",
        {
            "page": _page(request, qs, 50),
            "form": form,
            "report": report,
            "columns": services.IMPORT_COLUMNS,
            "scale_form": scale_form or CsatScaleForm(contracts=contracts),
            # contracts whose CSAT is on another scale than the default (0–100 %)
            "scales": contracts.exclude(csat_scale=CsatScale.PERCENT).order_by("code"),
        },
    )


@login_required
@require_POST
def satisfaction_scale(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "quality.write")
    form = CsatScaleForm(request.POST, contracts=_writable_contracts(request.user))
    if form.is_valid():
        contract = contract_access.get_contract(
            request.user, form.cleaned_data["contract"], write=True, action="quality.write"
        )
        try:
            services.set_csat_scale(
                contract=contract, actor=request.user, scale=form.cleaned_data["csat_scale"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            from waibao.quality.models import CsatScale

            messages.success(
                request,
                _("合同 %(c)s 的 CSAT 量表为 %(s)s。")
                % {"c": contract.code, "s": CsatScale(form.cleaned_data["csat_scale"]).label},
            )
            return redirect("quality:satisfaction")
    return _satisfaction_page(request, form=ImportForm(), scale_form=form)


# --- SLA breaches (from the delivery app) as a nonconformance source -------------------------------


@login_required
def sla_breaches(request: HttpRequest) -> HttpResponse:
    """Missed SLA results of the contracts the user sees, each with its NCR or a button to open one."""
    contracts = contract_access.visible_contracts(request.user)
    code = request.GET.get("contract", "").strip()
    contract = None
    if code:
        contract = contract_access.get_contract(request.user, code)
        contracts = contracts.filter(pk=contract.pk)
    closed = request.GET.get("closed", "")
    qs = services.sla_breaches(contracts)
    if closed in ("1", "0"):
        qs = qs.filter(closed=closed == "1")
    page = _page(request, qs)
    ncrs = services.breach_ncrs(page.object_list)
    rows = [(r, ncrs.get(services.sla_ref(r))) for r in page.object_list]
    return render(
        request,
        "quality/sla_breaches.html",
        {
            "page": page,
            "rows": rows,
            "contract": contract,
            "closed": closed,
            "can_write": policy.can(request.user, "quality.write"),
        },
    )


@login_required
@require_POST
def sla_breach_ncr(request: HttpRequest, result_id: int) -> HttpResponse:
    from waibao.delivery import access as delivery_access

    result = delivery_access.get_result(request.user, result_id)
    policy.require(request.user, "quality.write")
    ncr = attempt(
        request,
        lambda: services.open_ncr_for_sla_breach(result=result, actor=request.user),
        _ncr_opened,
    )
    if ncr is not None:
        return redirect("quality:ncr-detail", code=ncr.code)
    return redirect(f"{reverse('quality:sla-breaches')}?contract={result.contract.code}")


def _vendor_told(vendor_id: int, notified: bool = True) -> str:
    """Who was told about it, and only what happened: the vendor's active users get the notification;
    a vendor without users was told nothing."""
    n = len(services.vendor_users(vendor_id)) if notified else 0
    if not n:
        return _("供应商还没有用户，未通知任何人。")
    return ngettext("已通知供应商的 %(n)s 位用户。", "已通知供应商的 %(n)s 位用户。", n) % {"n": n}


def _ncr_opened(ncr: Any) -> str:
    return (
        _("不合格 %(c)s 已登记。") % {"c": ncr.code}
        + " "
        + _vendor_told(ncr.vendor_id, bool(ncr.vendor_notified_at))
    )
