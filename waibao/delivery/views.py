"""Delivery pages. Each view parses input, calls a service, and renders; the rules live in services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import OperationalError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from waibao.accounts import policy
from waibao.contracts.models import CsatScale, RecordKind, SlaMetric
from waibao.contracts.selectors import csat_scale
from waibao.core import access as core_access
from waibao.core import clock
from waibao.core.errors import DomainError
from waibao.core.files import attachment
from waibao.core.forms import apply_domain_error
from waibao.delivery import access, ingest, queries, rows, services
from waibao.delivery.formatting import missed_cells, missed_columns
from waibao.delivery.forms import (
    DecideForm,
    DisputeForm,
    ImportForm,
    ManualDecideForm,
    ManualValueForm,
    MissedFilterForm,
    RecordForm,
)
from waibao.delivery.models import (
    DisputeStatus,
    ImportJob,
    JobStatus,
    RecordDispute,
    ServiceRecord,
    SlaResult,
)
from waibao.lib import slamath
from waibao.lib.spreadsheets import XLSX_MIME, write_csv, write_xlsx


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    """Every in-force contract's SLA status for one month: the picked one, else the latest with data."""
    sort = request.GET.get("sort", "rag")
    months = queries.portfolio_months(request.user)
    period = queries.pick_month(request.GET.get("period"), months)
    rows_ = queries.portfolio(request.user, sort=sort, period=period)
    ctx = {
        "rows": rows_,
        "sort": sort,
        "period": period,
        "periods": queries.picker_months(months, period),
        "has_data": period in months,
    }
    if _is_htmx(request):
        return render(request, "delivery/portfolio.html#table", ctx)
    return render(request, "delivery/portfolio.html", ctx)


RESULT_HEADERS = [
    gettext_lazy("合同"),
    gettext_lazy("供应商"),
    gettext_lazy("指标"),
    gettext_lazy("周期"),
    gettext_lazy("结果值"),
    gettext_lazy("样本量"),
    gettext_lazy("目标值"),
    gettext_lazy("状态"),
    gettext_lazy("差距"),
    gettext_lazy("档位"),
    gettext_lazy("服务抵扣"),
    gettext_lazy("奖励"),
    gettext_lazy("币种"),
    gettext_lazy("合同版本"),
    gettext_lazy("已关账"),
    gettext_lazy("预警"),
]


def _result_rows(results: Any) -> Any:
    for r in results:
        yield [
            r.contract.code,
            r.contract.vendor.name,
            r.metric.name,
            r.period,
            r.value,
            r.sample_size,
            r.target,
            r.get_status_display(),
            r.margin,
            (r.tier + 1) if r.tier is not None else None,
            r.credit,
            r.bonus,
            r.currency,
            r.contract_version,
            _("是") if r.closed else _("否"),
            r.get_warning_display(),
        ]


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def portfolio_export(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "export")
    contracts = access.visible_contracts(request.user)
    results = (
        SlaResult.objects.filter(contract__in=contracts)
        .select_related("contract", "contract__vendor", "metric")
        .order_by("contract__code", "period_start", "metric__position")
    )
    return _xlsx(
        write_xlsx([(_("SLA 结果"), [str(h) for h in RESULT_HEADERS], _result_rows(results))]),
        "sla-results.xlsx",
    )


@login_required
def contract_page(request: HttpRequest, code: str) -> HttpResponse:
    return _render_contract(request, access.get_contract(request.user, code))


def _entry_form(metric_pk: int, periods: list[str], data: Any = None) -> ManualValueForm:
    """Offers ``periods`` (newest first); preselects the newest one that has already ended, as a
    survey or report for a period comes after it."""
    today = clock.today()
    ended = [k for k in periods if slamath.period_bounds(k)[1] <= today]
    initial = {"period": ended[0] if ended else (periods[0] if periods else "")}
    return ManualValueForm(data, periods=periods, initial=initial, auto_id=f"manual-{metric_pk}-%s")


def _decide_form(manual_pk: int, data: Any = None) -> ManualDecideForm:
    return ManualDecideForm(data, auto_id=f"decide-{manual_pk}-%s")


def _render_contract(
    request: HttpRequest,
    contract: Any,
    *,
    entry: tuple[int, ManualValueForm] | None = None,
    decide: tuple[int, ManualDecideForm] | None = None,
    notice: tuple[int, str] | None = None,
) -> HttpResponse:
    """The contract delivery page. After a refused manual value (or decision) the bound form comes
    back in place, with its errors next to its fields and what the user typed; ``notice`` is a success
    line shown in one metric's card (HTMX requests, which swap only that card)."""
    dashboard = queries.contract_dashboard(contract, request.GET.get("period"), request.GET.get("history", 1))
    for p in dashboard["panels"]:
        if not p.manual:
            continue
        p.entry_form = (
            entry[1] if entry and entry[0] == p.metric.pk else _entry_form(p.metric.pk, p.manual_periods)
        )
        p.manual_rows = [
            (mv, decide[1] if decide and decide[0] == mv.pk else _decide_form(mv.pk))
            for mv in p.manual_values
        ]
    ctx = {
        "contract": contract,
        **dashboard,
        "notice": notice,
        "can_import": policy.can(request.user, "delivery.import"),
        "can_write": policy.can(request.user, "delivery.write"),
        "can_close": policy.can(request.user, "delivery.close_period"),
        "can_manual": policy.can(request.user, "delivery.manual"),
        "can_propose": policy.can(request.user, "delivery.manual_propose"),
        "jobs": _recent_jobs(request, contract),
    }
    return render(request, "delivery/contract.html", ctx)


def _recent_jobs(request: HttpRequest, contract: Any) -> list[ImportJob]:
    qs = ImportJob.objects.filter(contract=contract).select_related("created_by")
    if not policy.is_buyer(request.user):
        qs = qs.filter(created_by_id=request.user.pk)
    return list(qs[:5])


@login_required
def results_export(request: HttpRequest, code: str) -> HttpResponse:
    policy.require(request.user, "export")
    contract = access.get_contract(request.user, code)
    results = queries.results_for(contract).select_related("contract", "contract__vendor")
    return _xlsx(
        write_xlsx([(_("SLA 结果"), [str(h) for h in RESULT_HEADERS], _result_rows(results))]),
        f"sla-results-{contract.code}.xlsx",
    )


@login_required
@require_POST
def close_period(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True, action="delivery.close_period")
    period = request.POST.get("period", "")
    try:
        n = services.close_period(contract=contract, period=period, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(p)s 已关账（%(n)s 项结果）。之后的数据变化将记为调整。") % {"p": period, "n": n}
        )
    return redirect("delivery:contract", code=contract.code)


@login_required
def record_list(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code)
    qs = queries.records_for(request.user, contract, request.GET)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    ctx = {
        "contract": contract,
        "page": page,
        "kinds": RecordKind.choices,
        "params": request.GET,
        "can_write": policy.can(request.user, "delivery.write"),
    }
    if _is_htmx(request):
        return render(request, "delivery/records.html#results", ctx)
    return render(request, "delivery/records.html", ctx)


def _record_initial(record: ServiceRecord) -> dict[str, Any]:
    from django.utils import timezone

    initial: dict[str, Any] = {
        f: getattr(record, f) for f in ("external_id", "kind", "priority", "category", "status")
    }
    for f in rows.TIMESTAMPS:
        value = getattr(record, f)
        initial[f] = timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""
    initial["csat"] = record.csat or ""
    initial["defect"] = "" if record.defect is None else ("yes" if record.defect else "no")
    initial["paused"] = "; ".join(
        f"{timezone.localtime(_iso(a)):%Y-%m-%d %H:%M}/{timezone.localtime(_iso(b)):%Y-%m-%d %H:%M}"
        for a, b in record.pauses or []
    )
    initial["version"] = record.version
    return initial


def _iso(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


@login_required
def record_edit(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True, action="delivery.write")
    return _record_form(request, contract, None)


@login_required
def record_edit_existing(request: HttpRequest, pk: int) -> HttpResponse:
    record = access.get_record(request.user, pk, write=True)
    return _record_form(request, record.contract, record)


def _record_form(request: HttpRequest, contract: Any, record: ServiceRecord | None) -> HttpResponse:
    form = RecordForm(request.POST or None, initial=_record_initial(record) if record else {})
    if record is not None:
        form.fields["external_id"].disabled = True
    form.fields["csat"].help_text = _("按合同的满意度量表（%(s)s）填写整数。") % {
        "s": CsatScale(csat_scale(contract)).label
    }
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        if record is not None:
            data["external_id"] = record.external_id
            data["custom"] = dict(record.custom or {})
        try:
            saved = services.save_record(
                contract=contract,
                actor=request.user,
                values=data,
                record=record,
                expected_version=form.cleaned_data.get("version"),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("记录已保存，相关 SLA 结果已更新。"))
            return redirect("delivery:record", pk=saved.pk)
    return render(
        request, "delivery/record_form.html", {"form": form, "contract": contract, "record": record}
    )


@login_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _record_page(request, access.get_record(request.user, pk))


def _record_page(
    request: HttpRequest, record: Any, *, dispute_form: Any = None, decide_form: Any = None
) -> HttpResponse:
    """The record page; after a refused dispute or decision that form comes back bound, with what was
    typed and the message beside the field."""
    disputes = record.disputes.select_related("raised_by", "decided_by")
    ctx = {
        "record": record,
        "contract": record.contract,
        "disputes": disputes,
        "dispute_form": dispute_form
        or (DisputeForm() if policy.can(request.user, "delivery.dispute") else None),
        "decide_form": decide_form
        or (DecideForm() if policy.can(request.user, "delivery.resolve") else None),
        "can_write": policy.can(request.user, "delivery.write"),
        "history": core_access.history(request.user, record, 20),
        "impact": queries.record_impact(record),
    }
    return render(request, "delivery/record_detail.html", ctx)


def _missed_filters(request: HttpRequest) -> MissedFilterForm:
    return MissedFilterForm(request.GET or None)


def _missed_context(request: HttpRequest, code: str, metric_id: int, period: str) -> dict[str, Any]:
    contract = access.get_contract(request.user, code)
    metric = SlaMetric.objects.filter(contract=contract, pk=metric_id).first()
    if metric is None:
        raise Http404
    try:
        slamath.period_bounds(period)
    except ValueError:
        raise Http404 from None
    form = _missed_filters(request)
    filters = form.filters() if form.is_valid() else queries.MissedFilters()
    return {"contract": contract, "metric": metric, "period": period, "form": form, "filters": filters}


def _int_param(request: HttpRequest, name: str) -> int:
    try:
        return max(0, int(request.GET.get(name, 0)))
    except ValueError:
        return 0


@login_required
def missed(request: HttpRequest, code: str, metric_id: int, period: str) -> HttpResponse:
    """The records that count against a metric in one period: sorted, filtered, paged from an index
    without counting the period (see ``queries.missed_page``)."""
    ctx = _missed_context(request, code, metric_id, period)
    at, before = _int_param(request, "at"), _int_param(request, "n")
    page = queries.missed_page(ctx["contract"], ctx["metric"], period, ctx["filters"], at=at)
    columns = missed_columns(page.definition)
    sort = ctx["filters"].sort
    numeric = {"@business", "@over", "@pauses"}
    ctx.update(
        {
            "page": page,
            "columns": columns,
            "heads": [_missed_head(key, label, sort, key in numeric) for key, label, _x in columns],
            "rows": [
                (item, [(c, k in numeric) for c, (k, _l, _x) in zip(cells, columns, strict=True)])
                for item, cells in (
                    (item, missed_cells(page.definition, item, columns)) for item in page.items
                )
            ],
            "scan_limit": f"{queries.SCAN_LIMIT:,}",
            "first": before + 1,
            "last": before + len(page.items),
            "after": before + len(page.items),
            "paged": at > 0,
            "result": SlaResult.objects.filter(
                contract=ctx["contract"], metric=ctx["metric"], period=period
            ).first(),
            "lateness": queries.measures_lateness(page.definition),
            "sort": sort,
        }
    )
    return render(request, "delivery/missed.html", ctx)


#: The columns of the missed list that sort from an index: column key → (ascending, descending) order.
_SORTABLE = {"external_id": ("external_id", "-external_id"), "opened_at": ("opened", "-opened")}


def _missed_head(key: str, label: str, sort: str, numeric: bool) -> dict[str, Any]:
    asc, desc = _SORTABLE.get(key, ("", ""))
    return {
        "label": label,
        "numeric": numeric,
        "sort": (desc if sort == asc else asc) if asc else "",
        "arrow": " ↑" if asc and sort == asc else (" ↓" if desc and sort == desc else ""),
    }


#: An .xlsx is built in memory, so it takes at most this many rows; CSV takes them all.
MISSED_XLSX_MAX = 20_000


def _capped(rows: Any, limit: int) -> Any:
    for i, row in enumerate(rows):
        if i == limit:
            yield [_("仅导出前 %(n)s 条；全部记录请导出 CSV。") % {"n": f"{limit:,}"}]
            return
        yield row


@login_required
def missed_export(request: HttpRequest, code: str, metric_id: int, period: str, fmt: str) -> HttpResponse:
    """All the missed records of the list's filters, as .xlsx or .csv (headers in the reader's language;
    text that starts like a formula is written as text)."""
    policy.require(request.user, "export")
    ctx = _missed_context(request, code, metric_id, period)
    contract, metric = ctx["contract"], ctx["metric"]
    definition = queries.missed_definition(contract, metric, period)
    columns = missed_columns(definition)
    headers = [str(label) for _key, _page_label, label in columns]
    items = (
        item
        for _pos, item in queries.iter_missed(contract, metric, period, ctx["filters"])
        if item is not None
    )
    rows: Any = (missed_cells(definition, item, columns, export=True) for item in items)
    name = f"missed-{contract.code}-{metric.pk}-{period}"
    if fmt not in ("csv", "xlsx"):
        raise Http404
    if fmt == "xlsx":
        rows = _capped(rows, MISSED_XLSX_MAX)
    if fmt == "csv":
        response = HttpResponse(write_csv(headers, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    return _xlsx(write_xlsx([(_("未达标记录"), headers, rows)]), f"{name}.xlsx")


# --- manual KPI values ---------------------------------------------------------------------------


def _place_error(form: Any, exc: DomainError) -> None:
    """A service's refusal on the form: each named field's message next to that field (the whole
    message when it names just one field, as it says more); on top only when no field of the form is named."""
    named = [name for name in exc.fields if name in form.fields]
    if len(named) == 1:
        form.add_error(named[0], exc.message)
        return
    placed = False
    for name, message in exc.fields.items():
        if name in form.fields:
            form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _back_to(contract: Any, metric_pk: int) -> HttpResponse:
    return redirect(f"{reverse('delivery:contract', args=[contract.code])}#metric-{metric_pk}")


@login_required
@require_POST
def manual_enter(request: HttpRequest, code: str, metric_id: int) -> HttpResponse:
    """Buyers enter a manual metric's value (confirmed at once); vendor users propose one.

    Refused input re-renders the page with the errors next to the fields of this metric's form;
    success redirects back to the metric (or, for HTMX, re-renders the page with a notice in its card).
    """
    contract = access.get_contract(request.user, code)
    metric = SlaMetric.objects.filter(contract=contract, pk=metric_id).first()
    if metric is None:
        raise Http404
    if services.manual_entry_mode(request.user) is None:
        raise PermissionDenied("delivery.manual")
    form = _entry_form(
        metric.pk, queries.metric_manual_periods(contract, metric, clock.today()), request.POST
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.enter_manual_value(
                metric=metric,
                period=data["period"],
                value=data["value"],
                actor=request.user,
                note=data["note"],
            )
            if entry.result is not None:
                done = _("%(m)s %(p)s 的值已确认：%(s)s。") % {
                    "m": metric.name,
                    "p": entry.result.period,
                    "s": entry.result.get_status_display(),
                }
            else:
                done = _("已提交 %(m)s %(p)s 的值，待采购方确认。") % {
                    "m": metric.name,
                    "p": entry.manual.period,
                }
        except DomainError as exc:
            _place_error(form, exc)
        else:
            if _is_htmx(request):
                return _render_contract(request, contract, notice=(metric.pk, done))
            messages.success(request, done)
            return _back_to(contract, metric.pk)
    return _render_contract(request, contract, entry=(metric.pk, form))


@login_required
@require_POST
def manual_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The buyer confirms or rejects a vendor's proposed value; a refusal comes back next to the field."""
    manual = access.get_manual_value(request.user, pk, write=True)
    form = _decide_form(manual.pk, request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "confirm":
                services.confirm_manual_value(
                    manual=manual, actor=request.user, response=form.cleaned_data["response"]
                )
                done = _("已确认，SLA 结果已更新。")
            else:
                services.reject_manual_value(
                    manual=manual, actor=request.user, response=form.cleaned_data["response"]
                )
                done = _("已驳回。")
        except DomainError as exc:
            _place_error(form, exc)
        else:
            if _is_htmx(request):
                return _render_contract(request, manual.contract, notice=(manual.metric_id, done))
            messages.success(request, done)
            return _back_to(manual.contract, manual.metric_id)
    return _render_contract(request, manual.contract, decide=(manual.pk, form))


# --- imports -------------------------------------------------------------------------------------


@login_required
def import_start(request: HttpRequest, code: str) -> HttpResponse:
    contract = access.get_contract(request.user, code, write=True, action="delivery.import")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            job = services.create_file_job(
                contract=contract,
                actor=request.user,
                upload=services.Upload(f.name or "upload", f.file, f.size),
                policy=form.cleaned_data["policy"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            if job.status == JobStatus.MAPPING:
                return redirect("delivery:job-mapping", pk=job.pk)
            return redirect("delivery:job", pk=job.pk)
    synonyms = [(rows.field_label(f), names) for f, names in rows.SYNONYMS.items()]
    return render(request, "delivery/import.html", {"form": form, "contract": contract, "synonyms": synonyms})


#: The template's example record, one value per column of ``rows.FIELDS`` (on the guide sheet only).
_TEMPLATE_EXAMPLE = (
    "T-0001",
    "",  # the kind: filled with the reader's name of "ticket"
    "2026-10-08 09:00",
    "2026-10-08 09:20",
    "2026-10-08 15:00",
    "",
    "",
    "P1",
    "网络",
    "closed",
    "5",
    "否",
    "2026-10-08 10:00/2026-10-08 11:00",
)


def _template_guide(contract: Any) -> list[list[Any]]:
    """The guide sheet's rows: a note that the sheet is never imported, then per column its header, what
    people call it, the example record's value and what the column takes."""
    notes = {
        "external_id": _("必填。同一编号再次导入会更新该记录。"),
        "kind": _("可选：%(k)s。不填写时按合同指标的默认类型。")
        % {"k": rows.join_words([str(label) for _v, label in RecordKind.choices])},
        "opened_at": _("开始时间和承诺时间至少填写一个。不带时区时按本系统的时区。"),
        "promised_at": _("开始时间和承诺时间至少填写一个。"),
        "priority": _("例如 P1、P2。"),
        "csat": _("按合同的满意度量表（%(s)s）填写整数。") % {"s": CsatScale(csat_scale(contract)).label},
        "defect": _("是/否（yes/no、1/0）。"),
        "paused": _("开始/结束，多段用 ; 分隔。"),
    }
    example = dict(zip(rows.FIELDS, _TEMPLATE_EXAMPLE, strict=True))
    example["kind"] = str(RecordKind.TICKET.label)
    guide: list[list[Any]] = [
        [
            _("本工作表只是示例和说明，导入时不会读取。请在第一个工作表“%(s)s”的表头下面填写，每行一条记录。")
            % {"s": _("服务记录")},
            "",
            "",
            "",
        ]
    ]
    guide += [[f, rows.field_label(f), example[f], notes.get(f, "")] for f in rows.FIELDS]
    return guide


@login_required
def import_template(request: HttpRequest, code: str) -> HttpResponse:
    """The CSV template: the header row only (a CSV has no second sheet for an example, and an example
    row would be imported as a real record)."""
    access.get_contract(request.user, code)
    response = HttpResponse(
        ("\ufeff" + ",".join(rows.FIELDS) + "\n").encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="service-records-template.csv"'
    return response


@login_required
def import_template_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    """The .xlsx template: the first sheet (the one imported) has the header row only; an example record
    and what each column takes are on a second sheet, which the import never reads — so an untouched
    template imports no record."""
    contract = access.get_contract(request.user, code)
    data = write_xlsx(
        [
            (_("服务记录"), list(rows.FIELDS), []),
            (_("示例与说明"), [_("列"), _("名称"), _("示例"), _("说明")], _template_guide(contract)),
        ]
    )
    return _xlsx(data, "service-records-template.xlsx")


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = services.reap_if_dead(access.get_job(request.user, pk))
    ctx = {
        "job": job,
        "contract": job.contract,
        "can_cancel": not job.is_done and policy.can(request.user, "delivery.import"),
        "error_groups": ingest.display_groups(job),
    }
    if _is_htmx(request):
        return render(request, "delivery/job.html#progress", ctx)
    return render(request, "delivery/job.html", ctx)


@login_required
def job_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    from waibao.delivery import mapping_ui

    job = access.get_job(request.user, pk, write=True)
    if job.status != JobStatus.MAPPING:
        return redirect("delivery:job", pk=job.pk)
    headers = services.job_headers(job)
    mapping = dict(job.mapping or {})
    errors: dict[str, str] = {}
    typed: dict[int, str] = {}
    if request.method == "POST":
        mapping = mapping_ui.mapping_from_post(headers, request.POST)
        typed = {i: request.POST.get(f"custom{i}", "").strip() for i in range(len(headers))}
        try:
            services.set_job_mapping(job=job, actor=request.user, mapping=mapping)
        except DomainError as exc:
            errors = exc.fields
            messages.error(request, exc.message)
        else:
            return redirect("delivery:job", pk=job.pk)
    elif job.mapping:
        errors = services.mapping_problems(job.contract, job.mapping)
    ctx = mapping_ui.page_context(job, headers, mapping, errors, typed)
    return render(request, "delivery/mapping.html", ctx)


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = access.get_job(request.user, pk, write=True)
    try:
        services.cancel_import(job=job, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    except OperationalError:  # SQLite: the final single-transaction merge holds the write lock
        messages.error(request, _("导入正在提交最后一步，已无法取消。"))
    else:
        messages.info(request, _("已请求取消；已处理的行不会写入。"))
    return redirect("delivery:job", pk=job.pk)


@login_required
def job_errors(request: HttpRequest, pk: int) -> FileResponse:
    job = access.get_job(request.user, pk)
    return attachment(job.error_file, f"import-{job.pk}-errors.csv", content_type="text/csv")


# --- disputes ------------------------------------------------------------------------------------


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    qs = queries.open_disputes(request.user)
    status = request.GET.get("status", "open")
    if status in DisputeStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "delivery/disputes.html",
        {
            "page": page,
            "status": status,
            "statuses": DisputeStatus.choices,
            "decide_form": DecideForm() if policy.can(request.user, "delivery.resolve") else None,
        },
    )


@login_required
@require_POST
def dispute_raise(request: HttpRequest, pk: int) -> HttpResponse:
    """The vendor questions a record. A refusal shows the record page again with everything typed."""
    record = access.get_record(request.user, pk, write=True, action="delivery.dispute")
    form = DisputeForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        comment = data.pop("comment")
        try:
            services.raise_dispute(record=record, actor=request.user, comment=comment, proposed=data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("异议已提交，等待采购方处理。"))
            return redirect("delivery:record", pk=record.pk)
    return _record_page(request, access.get_record(request.user, pk), dispute_form=form)


@login_required
@require_POST
def dispute_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The buyer accepts or rejects a dispute. A refusal shows the record page again with the decision
    and the response typed, the message beside the field."""
    dispute: RecordDispute = access.get_dispute(request.user, pk, write=True)
    form = DecideForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "accept":
                services.accept_dispute(
                    dispute=dispute, actor=request.user, response=form.cleaned_data["response"]
                )
                messages.success(request, _("已接受异议，记录已更正，SLA 结果已重新计算。"))
            else:
                services.reject_dispute(
                    dispute=dispute, actor=request.user, response=form.cleaned_data["response"]
                )
                messages.success(request, _("已驳回异议。"))
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            nxt = request.POST.get("next", "")
            if nxt.startswith("/") and not nxt.startswith("//"):
                return redirect(nxt)
            return redirect("delivery:disputes")
    record = access.get_record(request.user, dispute.record_id)
    return _record_page(request, record, decide_form=form)
