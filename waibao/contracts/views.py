"""Contract pages. Thin adapters: parse the form, call the service, show DomainError next to the field."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from waibao.accounts import policy
from waibao.contracts import access, forms, metric_ui, queries, services, visibility
from waibao.contracts.models import (
    DEFAULT_LEVEL_NAMES,
    IN_FORCE,
    AmendmentStatus,
    ClauseTemplate,
    ClauseType,
    ContractStatus,
    MilestoneStatus,
    level_key_for,
)
from waibao.core import access as core_access
from waibao.core import clock
from waibao.core.actions import Refusal, act, attempt
from waibao.core.errors import DomainError
from waibao.core.files import attachment, from_uploaded
from waibao.core.forms import apply_domain_error
from waibao.vendors.access import get_vendor, visible_vendors
from waibao.vendors.models import Category


def _detail(contract: Any, anchor: str = "") -> HttpResponse:
    url = reverse("contracts:detail", args=[contract.code])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _form_page(request: HttpRequest, contract: Any, form: Any, title: str, **extra: Any) -> HttpResponse:
    return render(
        request, "contracts/form.html", {"contract": contract, "form": form, "title": title, **extra}
    )


# --- list, create, edit -------------------------------------------------------------------------------


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    ending = g.get("ending_within", "")
    f = queries.ContractFilter(
        q=g.get("q", "").strip(),
        vendor=g.get("vendor", ""),
        status=g.get("status", ""),
        category=g.get("category", ""),
        ending_within=int(ending) if ending.isdigit() else None,
    )
    page = Paginator(queries.contract_list(request.user, f), 25).get_page(g.get("page"))
    ctx = {
        "page": page,
        "filters": f,
        "statuses": ContractStatus.choices,
        "categories": Category.choices,
        "vendors": visible_vendors(request.user).only("pk", "code", "name")
        if policy.is_buyer(request.user)
        else [],
        "today": clock.today(),
    }
    template = "contracts/list.html#results" if getattr(request, "htmx", False) else "contracts/list.html"
    return render(request, template, ctx)


@login_required
def contract_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "contracts.write")
    vendors = visible_vendors(request.user).exclude(status__in=["blacklisted", "exited"])
    initial = {"vendor": request.GET.get("vendor")} if request.GET.get("vendor") else {}
    form = forms.ContractForm(request.POST or None, vendors=vendors, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        vendor = data.pop("vendor")
        data.pop("version", None)
        try:
            contract = services.create_contract(actor=request.user, vendor=vendor, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("合同 %(c)s 已创建（草稿）。请添加条款和 SLA 指标后提交审批。") % {"c": contract.code},
            )
            return _detail(contract)
    return _form_page(request, None, form, _("新建合同"))


@login_required
def contract_edit(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True)
    fields = [f for f in forms.ContractForm.base_fields if f not in ("vendor", "version")]
    initial = {f: getattr(contract, f) for f in fields} | {"version": contract.version}
    form = forms.ContractForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            services.update_contract(contract=contract, actor=request.user, expected_version=version, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("合同已保存。"))
            return _detail(contract)
    return _form_page(request, contract, form, _("编辑合同"))


# --- the contract page --------------------------------------------------------------------------------


@login_required
def contract_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _contract_page(request, access.get_contract(request.user, code))


def _contract_page(
    request: HttpRequest,
    contract: Any,
    *,
    refused: Refusal | None = None,
    status_form: Any = None,
    renewal_form: Any = None,
) -> HttpResponse:
    """The contract page; after a refused decision, status change or renewal decision that form comes
    back with what was typed (``refused`` for the hand-written approval forms, a bound Django form else)."""
    user = request.user
    is_buyer = policy.is_buyer(user)
    # What a vendor user may read of the buyer's internal side is decided in contracts.visibility.
    internal = visibility.sees_internal(user)
    steps = list(
        visibility.rows(user, contract.approval_steps.all())
        .select_related("decided_by", "amendment")
        .order_by("-round", "position")
    )
    step = services.current_step(contract) if internal else None
    amendments = list(visibility.rows(user, contract.amendments.all()).select_related("created_by"))
    open_amendment_steps = {
        a.pk: services.current_step(contract, a)
        for a in amendments
        if internal and a.status == AmendmentStatus.IN_APPROVAL
    }
    metrics = list(contract.sla_metrics.select_related("calendar").order_by("retired", "position", "id"))
    versions = list(contract.versions.select_related("created_by", "amendment"))
    price_clauses = list(visibility.rows(user, contract.price_adjustments.all()).prefetch_related("values"))
    ctx: dict[str, Any] = {
        "contract": contract,
        "clauses": contract.clauses.all(),
        "missing": [ClauseType(t).label for t in services.missing_clauses(contract)] if internal else [],
        "metrics": metrics,
        "metric_summaries": {m.pk: metric_ui.summary(m.definition, m.calendar) for m in metrics},
        "milestones": contract.milestones.select_related("accepted_by", "contract"),
        "price_clauses": price_clauses,
        "amendments": amendments,
        "amendment_steps": open_amendment_steps,
        "versions": versions,
        "documents": visibility.rows(user, contract.documents.all()).select_related("uploaded_by"),
        "steps": steps,
        "current_step": step,
        "can_decide": services.can_decide(user, step),
        "can_decide_amendment": {pk: services.can_decide(user, s) for pk, s in open_amendment_steps.items()},
        "problems": services.submission_problems(contract)
        if internal and contract.status == ContractStatus.DRAFT
        else {},
        "term_ended_on": services.ended_term_needs_confirmation(contract, None) if step else None,
        "events": core_access.history(user, contract, 50),
        "status_changes": visibility.rows(user, contract.status_changes.all()).select_related("actor"),
        "can_write": policy.can(user, "contracts.write"),
        "can_finance": policy.can(user, "contracts.finance"),
        "editable": contract.status == ContractStatus.DRAFT and policy.can(user, "contracts.write"),
        "is_buyer": is_buyer,
        "internal": internal,
        "renewal_reminder": services.renewal_reminder_date(contract),
        "status_form": status_form or _status_form(contract),
        "renewal_form": renewal_form or forms.RenewalForm(),
        "milestone_form": forms.MilestoneForm(),
        "price_form": forms.PriceClauseForm(),
        "index_form": forms.IndexValueForm(),
        "document_form": forms.DocumentForm(),
        "preview_form": forms.PreviewForm(),
        "today": clock.today(),
        "MilestoneStatus": MilestoneStatus,
        "in_force": contract.status in IN_FORCE,
        "ended": contract.status in (ContractStatus.EXPIRED, ContractStatus.TERMINATED),
        "milestone_open": sorted(services.MILESTONE_EDITABLE),
        "refused": refused,
    }
    return render(request, "contracts/detail.html", ctx)


def _status_form(contract: Any, data: Any = None) -> forms.StatusForm:
    form = forms.StatusForm(data)
    moves = [
        m for m in contract.allowed_moves() if m not in (ContractStatus.IN_APPROVAL, ContractStatus.DRAFT)
    ]
    if contract.status != ContractStatus.SUSPENDED:
        moves = [m for m in moves if m != ContractStatus.ACTIVE]
    form.fields["to"].choices = [("", "—"), *((m, ContractStatus(m).label) for m in moves)] if moves else []  # type: ignore[attr-defined]
    return form


def _post_action(
    request: HttpRequest, target: Any, fn: Any, ok: str, anchor: str = "", /, **kwargs: Any
) -> HttpResponse:
    """A button with nothing typed (submit, delete): run it, say how it went, back to the contract."""
    attempt(request, lambda: fn(**kwargs), ok)
    return _detail(target, anchor)


@login_required
@require_POST
def contract_submit(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True)
    return _post_action(
        request,
        contract,
        services.submit_for_approval,
        _("已提交审批。"),
        "approval",
        contract=contract,
        actor=request.user,
    )


@login_required
@require_POST
def contract_decide(request: HttpRequest, code: str) -> HttpResponse:
    """Approve or return the contract's (or an amendment's) current step. A refusal shows the page the
    decision came from — the contract, or the amendment (``from=amendment``) — with the comment kept."""
    contract = access.get_contract(request.user, code, write=True, action="contracts.approve")
    amendment = None
    if request.POST.get("amendment"):
        amendment = access.get_amendment(request.user, request.POST["amendment"], contract=contract)
    comment = request.POST.get("comment", "")
    end_before = contract.end_date
    # The step the page showed: decided by someone else since, the service answers "already decided".
    seen = request.POST.get("step", "")
    step_id = int(seen) if seen.isascii() and seen.isdigit() and len(seen) <= 19 else None

    def page(refused: Refusal) -> HttpResponse:
        fresh = access.get_contract(request.user, code)
        if amendment is not None and request.POST.get("from") == "amendment":
            return _amendment_page(request, fresh, amendment.pk, refused)
        return _contract_page(request, fresh, refused=refused)

    fn: Any
    if request.POST.get("decision") == "return":
        fn = lambda: services.return_step(  # noqa: E731
            contract=contract, actor=request.user, comment=comment, amendment=amendment, step_id=step_id
        )
        ok: Any = _("已退回。")
    else:
        fn = lambda: services.approve_step(  # noqa: E731
            contract=contract, actor=request.user, comment=comment, amendment=amendment,
            confirm_ended=request.POST.get("confirm_ended") == "1", step_id=step_id,
        )  # fmt: skip
        ok = lambda done: _approved_message(done, amendment, end_before)  # noqa: E731
    return act(
        request,
        "decide",
        fn,
        ok=ok,
        done=lambda _r: _detail(contract, "approval"),
        page=page,
        names=("comment", "confirm_ended"),  # the box is not posted when left unticked
        key=amendment.pk if amendment is not None else "",
    )


def _approved_message(contract: Any, amendment: Any, end_before: Any) -> str:
    """Say what the approval did: for a contract whose term was already over, that it ended at once."""
    if amendment is None and contract.status == ContractStatus.EXPIRED:
        return _("已审批通过。合同期已于 %(d)s 结束，合同已记为到期。") % {"d": contract.end_date}
    if amendment is None and contract.status in IN_FORCE and contract.end_date != end_before:
        return _("已审批通过。原合同期已于 %(old)s 结束，合同已按自动续约顺延至 %(d)s。") % {
            "old": end_before,
            "d": contract.end_date,
        }
    return _("已审批通过。")


@login_required
@require_POST
def contract_status(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True)
    form = _status_form(contract, request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.change_status(
                contract=contract, actor=request.user, to=d["to"], reason=d["reason"], on=d["on"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("合同状态已变更。"))
            return _detail(contract)
    return _contract_page(request, access.get_contract(request.user, code), status_form=form)


@login_required
@require_POST
def contract_renewal(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True)
    form = forms.RenewalForm(request.POST)
    if form.is_valid():
        try:
            services.record_renewal_decision(
                contract=contract, actor=request.user, decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )  # fmt: skip
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("续约决定已记录。"))
            return _detail(contract)
    return _contract_page(request, access.get_contract(request.user, code), renewal_form=form)


# --- clauses ------------------------------------------------------------------------------------------


def _clause_page(request: HttpRequest, contract: Any, clause: Any = None) -> HttpResponse:
    """Add or edit a clause. "Load library text" (a plain submit button) refills the form from the
    chosen library clause without saving, so picking from the library works without JavaScript."""
    library = ClauseTemplate.objects.filter(is_active=True)
    if clause is not None:
        initial = {"clause_type": clause.clause_type, "title": clause.title, "text": clause.text}
    else:
        initial = {"clause_type": request.GET.get("type", "")}
    picked = request.GET.get("template", "")
    if request.method == "GET" and picked.isdigit() and (t := library.filter(pk=int(picked)).first()):
        initial = forms.ClauseForm.initial_from_template(t)
    form = forms.ClauseForm(request.POST or None, initial=initial)
    if request.method == "POST" and request.POST.get("load"):
        raw = request.POST.get("template") or ""
        t = library.filter(pk=int(raw)).first() if raw.isdigit() else None
        if t is None:
            form.add_error("template", _("请先选择要载入的条款库文本。"))
        else:
            form = forms.ClauseForm(initial=forms.ClauseForm.initial_from_template(t))
    elif request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if clause is None:
                services.add_clause(
                    contract=contract, actor=request.user, clause_type=d["clause_type"], title=d["title"],
                    text=d["text"], template=d["template"],
                )  # fmt: skip
            else:
                t = d["template"]
                services.update_clause(
                    clause=clause, actor=request.user,
                    clause_type=d["clause_type"] or (t.clause_type if t else ""),
                    title=d["title"] or (t.title if t else ""), text=d["text"] or (t.text if t else ""),
                )  # fmt: skip
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("条款已保存。"))
            return _detail(contract, "clauses")
    title = _("编辑条款") if clause is not None else _("添加条款")
    return _form_page(request, contract, form, title, library=library, clause_form=True)


@login_required
def clause_add(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True)
    return _clause_page(request, contract)


@login_required
@require_POST
def clauses_add_missing(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True)
    try:
        run = services.add_missing_clauses(contract=contract, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _detail(contract, "clauses")
    if run.added:
        messages.success(
            request,
            _("已从条款库添加 %(n)s 条必备条款：%(t)s。")
            % {"n": len(run.added), "t": _("、").join(str(c.get_clause_type_display()) for c in run.added)},
        )
    if run.without_template:
        messages.warning(
            request,
            _("条款库中没有以下类型的可用模板，请手工添加：%(t)s。")
            % {"t": _("、").join(str(ClauseType(t).label) for t in run.without_template)},
        )
    if not run.added and not run.without_template:
        messages.info(request, _("没有缺少的必备条款。"))
    return _detail(contract, "clauses")


@login_required
def clause_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True)
    clause = access.get_clause(request.user, pk, write=True, contract=contract)
    return _clause_page(request, contract, clause)


@login_required
@require_POST
def clause_delete(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    contract = access.get_contract(request.user, code)
    clause = access.get_clause(request.user, pk, write=True, contract=contract)
    return _post_action(
        request,
        contract,
        services.delete_clause,
        _("条款已删除。"),
        "clauses",
        clause=clause,
        actor=request.user,
    )


# --- SLA metrics --------------------------------------------------------------------------------------


def _new_metric_initial(contract: Any, template: str = "") -> dict[str, Any]:
    from waibao.calendars.services import china_calendar

    initial = metric_ui.template_initial(template, contract.custom_fields) if template else None
    initial = initial or {"kind": "share_within", "record_kind": "ticket", "window": "month",
                          "start_field": "opened_at", "end_field": "first_response_at", "threshold_unit": "hours"}  # fmt: skip
    initial["calendar"] = china_calendar()
    return initial


@login_required
def metric_edit(request: HttpRequest, code: str, pk: int | None = None) -> HttpResponse:
    """Add or edit one SLA metric: rows for filters and tiers, times in business hours/days, ready-made
    metrics to start from. Buttons (a template, more rows) redisplay the form with what was typed."""
    contract = access.get_contract(request.user, code, write=True)
    metric = access.get_metric(request.user, pk, write=True, contract=contract) if pk else None
    values = metric_ui.record_values(contract)
    post = request.POST if request.method == "POST" else None
    if metric is not None:
        initial = forms.MetricEditor.initial_from_definition(metric.definition, metric.calendar)
    else:
        initial = _new_metric_initial(contract, request.GET.get("template", ""))
    editor = forms.MetricEditor(
        post, prefix="sla", initial=initial, contract=contract, data_values=values,
        base=metric.definition if metric is not None else None,
    )  # fmt: skip
    op = post.get("op", "") if post else ""
    if op:
        editor = editor.after_op(op) or editor.rebuilt(editor.values())
    elif post is not None and editor.is_valid():
        definition = editor.definition()
        if not editor.has_errors():
            calendar = editor.calendar
            try:
                if metric is None:
                    services.add_metric(
                        contract=contract, actor=request.user, definition=definition, calendar=calendar
                    )
                else:
                    services.update_metric(
                        metric=metric, actor=request.user, definition=definition, calendar=calendar
                    )
            except DomainError as exc:
                editor.apply_domain_error(exc)
            else:
                messages.success(request, _("SLA 指标已保存。"))
                return _detail(contract, "sla")
    title = _("编辑 SLA 指标") if metric else _("添加 SLA 指标")
    # Metrics of a contract past its draft change only through an amendment (services._require_editable):
    # the page says so and offers no Save.
    locked = contract.status not in services.EDITABLE_STATUSES
    return render(
        request,
        "contracts/metric_form.html",
        {
            "contract": contract,
            "editor": editor,
            "title": title,
            "metric": metric,
            "locked": locked,
            "can_amend": locked and contract.status in IN_FORCE,
        },
    )


@login_required
@require_POST
def metric_delete(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    contract = access.get_contract(request.user, code)
    metric = access.get_metric(request.user, pk, write=True, contract=contract)
    return _post_action(
        request, contract, services.delete_metric, _("指标已删除。"), "sla", metric=metric, actor=request.user
    )


@login_required
def metric_preview(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Credit preview: GET ?value=… (HTMX swaps the result in; without JS a full page)."""
    contract = access.get_contract(request.user, code)
    metric = access.get_metric(request.user, pk, contract=contract)
    form = forms.PreviewForm(request.GET or None)
    result = (
        services.preview_credit(metric=metric, value=request.GET.get("value", ""))
        if request.GET.get("value")
        else None
    )
    ctx = {"contract": contract, "metric": metric, "form": form, "result": result}
    if getattr(request, "htmx", False):
        return render(request, "contracts/preview.html#result", ctx)
    return render(request, "contracts/preview.html", ctx)


# --- milestones ---------------------------------------------------------------------------------------


@login_required
def milestone_add(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True)
    form = forms.MilestoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("version", None)
        try:
            services.add_milestone(contract=contract, actor=request.user, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return _detail(contract, "milestones")
    return _form_page(request, contract, form, _("添加付款节点"))


@login_required
def milestone_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True)
    ms = access.get_milestone(request.user, pk, write=True, contract=contract)
    initial = {f: getattr(ms, f) for f in services.MILESTONE_FIELDS} | {"version": ms.version}
    if ms.status not in services.MILESTONE_EDITABLE:
        messages.error(request, _("只有计划中或到期的付款节点可以修改。"))
        return _detail(contract, "milestones")
    form = forms.MilestoneForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            services.update_milestone(milestone=ms, actor=request.user, expected_version=version, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("付款节点已保存。"))
            return _detail(contract, "milestones")
    return _form_page(request, contract, form, _("编辑付款节点：%(n)s") % {"n": ms.name})


@login_required
@require_POST
def milestone_delete(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    contract = access.get_contract(request.user, code)
    ms = access.get_milestone(request.user, pk, write=True, contract=contract)
    return _post_action(
        request, contract, services.delete_milestone, _("付款节点已删除。"), "milestones",
        milestone=ms, actor=request.user,
    )  # fmt: skip


@login_required
@require_POST
def milestone_action(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    contract = access.get_contract(request.user, code)
    action = request.POST.get("action", "")
    perm = "contracts.finance" if action == "paid" else "contracts.write"
    ms = access.get_milestone(request.user, pk, write=True, action=perm, contract=contract)
    fns = {
        "due": (services.mark_milestone_due, {}),
        "accept": (services.accept_milestone, {"note": request.POST.get("note", "")}),
        "paid": (services.mark_milestone_paid, {}),
    }
    if action not in fns:
        raise Http404
    fn, extra = fns[action]
    return _post_action(
        request, contract, fn, _("付款节点已更新。"), "milestones", milestone=ms, actor=request.user, **extra
    )


# --- price adjustment ---------------------------------------------------------------------------------


@login_required
def price_clause_add(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True, action="contracts.finance")
    form = forms.PriceClauseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("version", None)
        try:
            services.add_price_clause(contract=contract, actor=request.user, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return _detail(contract, "price")
    return _form_page(request, contract, form, _("添加价格调整条款"))


@login_required
def price_clause_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    contract = access.get_contract(request.user, code)
    clause = access.get_price_clause(request.user, pk, write=True, contract=contract)
    initial = {f: getattr(clause, f) for f in services.PRICE_FIELDS} | {"version": clause.version}
    form = forms.PriceClauseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            services.update_price_clause(clause=clause, actor=request.user, expected_version=version, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("价格调整条款已保存。"))
            return _detail(contract, "price")
    return _form_page(
        request, contract, form, _("编辑价格调整条款：%(n)s") % {"n": clause.index_name},
        note=_("已录入的指数值保留录入时的计算结果；新录入的值按修改后的条款计算。"),
    )  # fmt: skip


@login_required
def index_value_add(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    contract = access.get_contract(request.user, code)
    clause = access.get_price_clause(request.user, pk, write=True, contract=contract)
    form = forms.IndexValueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            iv = services.record_index_value(
                clause=clause,
                actor=request.user,
                value=form.cleaned_data["value"],
                on_date=form.cleaned_data["on_date"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            if iv.crossed:
                messages.warning(
                    request,
                    _("指数变动 %(ch)s%% 超过阈值 %(th)s%%：建议月服务费 %(fee)s %(cur)s（原 %(old)s）。")
                    % {"ch": iv.change_percent, "th": clause.threshold_percent, "fee": iv.proposed_fee,
                       "cur": contract.currency, "old": contract.monthly_fee},
                )  # fmt: skip
            else:
                messages.success(request, _("指数变动 %(ch)s%%，未超过阈值。") % {"ch": iv.change_percent})
            return _detail(contract, "price")
    return _form_page(request, contract, form, _("录入指数值：%(n)s") % {"n": clause.index_name})


# --- amendments and versions --------------------------------------------------------------------------


def _clause_rows(clauses: list[Any]) -> list[dict[str, Any]]:
    return [{"clause_type": c.clause_type, "title": c.title, "text": c.text} for c in clauses]


MAX_NEW_METRICS = 10


class _MetricPlan:
    """The amendment page's SLA section: each current metric kept, edited or removed, plus new ones.

    Buttons on the page ("edit in this amendment", "remove", "undo", "add a metric", a ready-made metric,
    more rows) are ordinary submit buttons named ``op``; pressing one redisplays the page with what was
    typed so far and no errors, so the flow works without JavaScript. Saving builds the full metric list
    the service expects — the same list the API takes."""

    def __init__(self, request: HttpRequest, contract: Any) -> None:
        self.contract = contract
        self.metrics = list(
            contract.sla_metrics.filter(retired=False).select_related("calendar").order_by("position", "id")
        )
        self.values = metric_ui.record_values(contract)
        post = request.POST if request.method == "POST" else None
        self.actions: dict[int, str] = {}
        self.editors: dict[int, forms.MetricEditor] = {}
        for m in self.metrics:
            action = post.get(f"m{m.pk}-action", "keep") if post else "keep"
            self.actions[m.pk] = action if action in ("keep", "edit", "remove") else "keep"
            if self.actions[m.pk] == "edit":
                self.editors[m.pk] = self._editor(post, f"m{m.pk}", base=m.definition)
        raw = post.get("new_metrics", "0") if post else "0"
        count = min(int(raw), MAX_NEW_METRICS) if raw.isdigit() else 0
        self.new: list[forms.MetricEditor] = [self._editor(post, f"new{i}") for i in range(count)]

    def _editor(
        self, data: Any, prefix: str, *, initial: dict[str, Any] | None = None, base: Any = None
    ) -> forms.MetricEditor:
        return forms.MetricEditor(
            data, prefix=prefix, initial=initial, contract=self.contract, data_values=self.values, base=base
        )

    @property
    def changed(self) -> bool:
        return bool(self.new) or any(a != "keep" for a in self.actions.values())

    def apply_op(self, op: str) -> None:
        """Redisplay after a button: unbound editors holding what was typed, the change applied."""
        by_pk = {m.pk: m for m in self.metrics}
        editors = {pk: e.after_op(op) or e.rebuilt(e.values()) for pk, e in self.editors.items()}
        new = [e.after_op(op) or e.rebuilt(e.values()) for e in self.new]
        verb, _sep, arg = op.partition(":")
        if verb in ("edit", "remove", "keep") and arg.isdigit() and int(arg) in by_pk:
            pk = int(arg)
            self.actions[pk] = verb
            if verb == "edit" and pk not in editors:
                m = by_pk[pk]
                editors[pk] = forms.MetricEditor.from_definition(
                    m.definition, m.calendar, prefix=f"m{pk}", contract=self.contract, data_values=self.values
                )
            elif verb != "edit":
                editors.pop(pk, None)
        elif verb == "add" and len(new) < MAX_NEW_METRICS:
            new.append(self._editor(None, f"new{len(new)}", initial=_new_metric_initial(self.contract)))
        elif verb == "drop" and arg.isdigit() and int(arg) < len(new):
            new.pop(int(arg))
            # Renumber the editors after the dropped one, keeping what was typed in them.
            new = [self._editor(None, f"new{i}", initial=e.values()) for i, e in enumerate(new)]
        self.editors = editors
        self.new = new

    def editors_valid(self) -> bool:
        results = [e.is_valid() for e in [*self.editors.values(), *self.new]]  # every one, for all errors
        return all(results)

    def build(self) -> tuple[list[dict[str, Any]], list[Any]]:
        """The new full metric list, and for each entry where its errors go (an editor or the metric)."""
        rows: list[dict[str, Any]] = []
        targets: list[Any] = []
        for m in self.metrics:
            action = self.actions[m.pk]
            if action == "remove":
                continue
            if action == "edit":
                e = self.editors[m.pk]
                rows.append({"id": m.pk, "calendar_id": e.calendar.pk, "definition": e.definition()})
                targets.append(e)
            else:
                rows.append({"id": m.pk, "calendar_id": m.calendar_id, "definition": m.definition})
                targets.append(m)
        for e in self.new:
            rows.append({"id": None, "calendar_id": e.calendar.pk, "definition": e.definition()})
            targets.append(e)
        return rows, targets

    def has_form_errors(self) -> bool:
        return any(e.has_errors() for e in [*self.editors.values(), *self.new])

    def entries(self) -> list[dict[str, Any]]:
        return [
            {
                "metric": m,
                "action": self.actions[m.pk],
                "editor": self.editors.get(m.pk),
                "summary": metric_ui.summary(m.definition, m.calendar),
                "invalid_kind": m.definition.get("kind") != "manual"
                and not metric_ui.is_allowed_record_kind(m.definition.get("record_kind")),
            }
            for m in self.metrics
        ]


@login_required
def amendment_new(request: HttpRequest, code: str) -> HttpResponse:
    """Propose an amendment: new terms, new clause texts (edit, remove, add — one row per clause) and SLA
    metric changes (edit / remove each current metric, add new ones, with the same metric editor as the
    metric page). No JavaScript needed, and no JSON: the API takes the metric list as JSON."""
    contract = access.get_contract(request.user, code, write=True)
    clauses = list(contract.clauses.all())
    current = _clause_rows(clauses)
    form = forms.AmendmentForm(request.POST or None, initial={"effective_from": clock.today()})
    formset = forms.ClauseRowFormSet(
        request.POST or None,
        prefix="clauses",
        initial=[{"id": c.pk, **row} for c, row in zip(clauses, current, strict=True)],
    )
    plan = _MetricPlan(request, contract)
    submit_now = request.method != "POST" or bool(request.POST.get("submit_now"))
    op = request.POST.get("op", "") if request.method == "POST" else ""
    if op:
        plan.apply_op(op)
        form = forms.AmendmentForm(initial={name: form[name].value() for name in form.fields})
    elif request.method == "POST" and (form.is_valid() & formset.is_valid() & plan.editors_valid()):
        changes = form.changes()
        targets: list[Any] = []
        if plan.changed:
            changes["sla_metrics"], targets = plan.build()
        rows: list[dict[str, Any]] = []
        row_form: list[Any] = []  # rows[i] came from row_form[i], so errors land on the right row
        for f in formset.forms:
            if f.cleaned_data.get("remove") or f.is_blank():
                continue
            rows.append(f.clause())
            row_form.append(f)
        if rows != current:
            changes["clauses"] = rows
        if form.is_valid() and not plan.has_form_errors():
            d = form.cleaned_data
            try:
                a = services.propose_amendment(
                    contract=contract, actor=request.user, title=d["title"], reason=d["reason"],
                    effective_from=d["effective_from"], changes=changes,
                )  # fmt: skip
                if request.POST.get("submit_now"):
                    services.submit_amendment(amendment=a, actor=request.user)
            except DomainError as exc:
                _amendment_errors(exc, form, row_form, targets)
            else:
                messages.success(
                    request,
                    _("变更 #%(n)s 已提交审批。") % {"n": a.number}
                    if request.POST.get("submit_now")
                    else _("变更 #%(n)s 已保存为草稿。") % {"n": a.number},
                )
                return redirect("contracts:amendment", contract.code, a.pk)
    return render(
        request,
        "contracts/amendment_form.html",
        {
            "contract": contract,
            "form": form,
            "main_fields": [form[name] for name in form.fields],
            "formset": formset,
            "title": _("提出合同变更"),
            "metric_entries": plan.entries(),
            "new_metrics": plan.new,
            "can_add_metric": len(plan.new) < MAX_NEW_METRICS,
            "submit_now": submit_now,
            "kind_labels": forms.KIND_LABELS,
            "library": ClauseTemplate.objects.filter(is_active=True),
        },
    )


def _amendment_errors(exc: DomainError, form: Any, row_form: list[Any], targets: list[Any]) -> None:
    """Put the service's field errors where the user typed: clause rows, metric editors, the main form."""
    for key, message in exc.fields.items():
        parts = key.split(".")
        if parts[0] == "clauses" and len(parts) == 3 and parts[1].isdigit():
            target = row_form[int(parts[1])]
            target.add_error(parts[2] if parts[2] in target.fields else None, message)
        elif parts[0] == "sla_metrics" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(targets):
            t = targets[int(parts[1])]
            if isinstance(t, forms.MetricEditor):
                t.add_domain_error(".".join(parts[2:]), message)
            else:  # an unchanged metric the service refused (e.g. its calendar went away)
                form.add_error(None, _("SLA 指标“%(n)s”：%(e)s") % {"n": t.name, "e": message})
        else:
            form.add_error(key if key in form.fields else None, message)
    if exc.message not in exc.fields.values():
        form.add_error(None, exc.message)


@login_required
def amendment_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    return _amendment_page(request, access.get_contract(request.user, code), pk)


def _amendment_page(
    request: HttpRequest, contract: Any, pk: Any, refused: Refusal | None = None
) -> HttpResponse:
    """One amendment: what it proposes, shown as a diff against the terms it would replace."""
    a = access.get_amendment(request.user, pk, contract=contract)
    rows = visibility.amendment_diff(request.user, a)
    internal = visibility.sees_internal(request.user)
    pending = internal and a.status == AmendmentStatus.IN_APPROVAL
    step = services.current_step(contract, a) if pending else None
    return render(
        request,
        "contracts/amendment_detail.html",
        {
            "contract": contract,
            "amendment": a,
            "rows": rows,
            "step": step,
            "can_decide": services.can_decide(request.user, step),
            "can_write": policy.can(request.user, "contracts.write"),
            "refused": refused,
        },
    )


@login_required
@require_POST
def amendment_submit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    contract = access.get_contract(request.user, code)
    a = access.get_amendment(request.user, pk, write=True, contract=contract)
    if request.POST.get("cancel"):
        return _post_action(
            request,
            contract,
            services.cancel_amendment,
            _("变更已撤销。"),
            "amendments",
            amendment=a,
            actor=request.user,
        )
    return _post_action(
        request,
        contract,
        services.submit_amendment,
        _("变更已提交审批。"),
        "amendments",
        amendment=a,
        actor=request.user,
    )


@login_required
def version_diff(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code)
    versions = list(contract.versions.all())
    if not versions:
        raise Http404
    numbers = [v.number for v in versions]
    a = request.GET.get("a") or str(numbers[-2] if len(numbers) > 1 else numbers[0])
    b = request.GET.get("b") or str(numbers[-1])
    va, vb = access.get_version(request.user, contract, a), access.get_version(request.user, contract, b)
    rows = visibility.version_diff(request.user, va.snapshot, vb.snapshot)
    return render(
        request,
        "contracts/diff.html",
        {
            "contract": contract,
            "versions": versions,
            "va": va,
            "vb": vb,
            "rows": rows,
            "va_number": str(va.number),
            "vb_number": str(vb.number),
        },
    )


# --- documents ----------------------------------------------------------------------------------------


@login_required
def document_upload(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True)
    form = forms.DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = from_uploaded(form.cleaned_data["file"])
        try:
            services.upload_document(
                contract=contract, actor=request.user, upload=upload, title=form.cleaned_data["title"],
                is_signed_copy=form.cleaned_data["is_signed_copy"], internal=form.cleaned_data["internal"],
            )  # fmt: skip
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return _detail(contract, "documents")
    return _form_page(request, contract, form, _("上传合同文件"), multipart=True)


@login_required
def document_download(request: HttpRequest, code: str, pk: int) -> FileResponse:
    contract = access.get_contract(request.user, code)
    doc = access.get_document(request.user, pk, contract=contract)
    return attachment(doc.file, doc.file_name)


@login_required
@require_POST
def document_delete(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    contract = access.get_contract(request.user, code)
    doc = access.get_document(request.user, pk, write=True, contract=contract)
    return _post_action(
        request,
        contract,
        services.delete_document,
        _("文件已删除。"),
        "documents",
        document=doc,
        actor=request.user,
    )


# --- settings: required clauses, approval chain, clause library ----------------------------------------


@login_required
def contract_settings(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "settings.manage")
    # Built-in levels by their name in the reader's language (saved back, they stay built-in levels).
    chain_text = "\n".join(
        f"{role},{DEFAULT_LEVEL_NAMES[role] if level_key_for(role, name) else name}"
        for role, name in services.approval_chain()
    )
    form = forms.SettingsForm(
        request.POST or None,
        initial={"required_clauses": services.required_clause_types(), "chain": chain_text},
    )
    tform = forms.ClauseTemplateForm(prefix="t")
    if request.method == "POST" and request.POST.get("form") == "template":
        tform = forms.ClauseTemplateForm(request.POST, prefix="t")
        form = forms.SettingsForm(
            initial={"required_clauses": services.required_clause_types(), "chain": chain_text}
        )
        if tform.is_valid():
            try:
                services.save_clause_template(actor=request.user, **tform.cleaned_data)
            except DomainError as exc:
                apply_domain_error(tform, exc)
            else:
                messages.success(request, _("条款模板已加入条款库。"))
                return redirect("contracts:settings")
    elif request.method == "POST" and form.is_valid():
        levels = []
        for line in form.cleaned_data["chain"].splitlines():
            if line.strip():
                role, _sep, name = line.partition(",")
                levels.append((role.strip(), name.strip()))
        try:
            services.set_required_clauses(actor=request.user, types=form.cleaned_data["required_clauses"])
            services.set_approval_chain(actor=request.user, levels=levels)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("合同设置已保存。"))
            return redirect("contracts:settings")
    return render(
        request, "contracts/settings.html",
        {"form": form, "tform": tform, "library": ClauseTemplate.objects.order_by("-is_active", "clause_type", "pk")},
    )  # fmt: skip


@login_required
def clause_template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """An administrator edits one library template; a failed save keeps what was typed."""
    policy.require(request.user, "settings.manage")
    template = ClauseTemplate.objects.filter(pk=pk).first()
    if template is None:
        raise Http404
    initial = {"clause_type": template.clause_type, "title": template.title, "text": template.text}
    form = forms.ClauseTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_clause_template(actor=request.user, template=template, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("条款模板已保存。"))
            return redirect("contracts:settings")
    return render(request, "contracts/template_form.html", {"form": form, "template": template})


@login_required
@require_POST
def clause_template_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    policy.require(request.user, "settings.manage")
    template = ClauseTemplate.objects.filter(pk=pk).first()
    if template is None or action not in ("retire", "restore"):
        raise Http404
    services.set_clause_template_active(template=template, actor=request.user, active=action == "restore")
    if action == "retire":
        messages.success(request, _("条款模板“%(t)s”已停用，不再出现在条款库中。") % {"t": template.title})
    else:
        messages.success(request, _("条款模板“%(t)s”已恢复使用。") % {"t": template.title})
    return redirect("contracts:settings")


@login_required
def vendor_contracts(request: HttpRequest, vendor_pk: int) -> HttpResponse:
    vendor = get_vendor(request.user, vendor_pk)
    return redirect(f"{reverse('contracts:list')}?vendor={vendor.code}")
