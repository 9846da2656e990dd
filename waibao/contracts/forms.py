from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from waibao.calendars.models import Calendar
from waibao.contracts.models import (
    AdjustmentFormula,
    ClauseTemplate,
    ClauseType,
    IndexKind,
    MilestoneTrigger,
    RenewalDecision,
    RenewalType,
)
from waibao.core.forms import BootstrapMixin
from waibao.lib import slamath
from waibao.vendors.models import Category, Vendor

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContractForm(BootstrapMixin, forms.Form):
    vendor = forms.ModelChoiceField(label=_("供应商"), queryset=Vendor.objects.none())
    title = forms.CharField(label=_("合同名称"), max_length=200)
    category = forms.ChoiceField(label=_("服务类别"), choices=Category.choices)
    scope = forms.CharField(label=_("服务范围"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    objectives = forms.CharField(
        label=_("服务目标"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    department = forms.CharField(label=_("部门"), max_length=100, required=False)
    start_date = forms.DateField(label=_("开始日期"), widget=DATE)
    end_date = forms.DateField(label=_("结束日期"), widget=DATE, required=False)
    renewal_type = forms.ChoiceField(label=_("续约方式"), choices=RenewalType.choices)
    notice_days = forms.IntegerField(label=_("通知期（天）"), min_value=0, initial=30)
    renewal_lead_days = forms.IntegerField(label=_("续约提醒提前（天）"), min_value=0, initial=90)
    total_value = forms.DecimalField(label=_("合同总额"), min_value=0, decimal_places=2, initial=0)
    monthly_fee = forms.DecimalField(label=_("月服务费"), min_value=0, decimal_places=2, initial=0)
    currency = forms.CharField(label=_("币种"), max_length=3, initial="CNY")
    credit_cap_percent = forms.DecimalField(
        label=_("服务抵扣上限（月费%）"), min_value=0, max_value=100, decimal_places=2, initial=15
    )
    bonus_cap_percent = forms.DecimalField(
        label=_("奖励上限（月费%）"), min_value=0, max_value=100, decimal_places=2, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, vendors: Any = None, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        vendor_field = self.fields["vendor"]
        assert isinstance(vendor_field, forms.ModelChoiceField)
        vendor_field.queryset = vendors if vendors is not None else Vendor.objects.all()
        if editing:
            del self.fields["vendor"]


class ClauseForm(BootstrapMixin, forms.Form):
    template = forms.ModelChoiceField(
        label=_("从条款库选用"),
        queryset=ClauseTemplate.objects.filter(is_active=True),
        required=False,
        help_text=_("选好后点“载入条款库文本”可先查看再修改；保存时内容为空则直接使用条款库文本。"),
    )
    clause_type = forms.ChoiceField(
        label=_("条款类型"), choices=[("", "—"), *ClauseType.choices], required=False
    )
    title = forms.CharField(
        label=_("标题"), max_length=200, required=False, help_text=_("留空则使用条款类型名称。")
    )
    text = forms.CharField(label=_("条款内容"), widget=forms.Textarea(attrs={"rows": 6}), required=False)

    @staticmethod
    def initial_from_template(template: ClauseTemplate) -> dict[str, Any]:
        return {
            "template": template.pk,
            "clause_type": template.clause_type,
            "title": template.title,
            "text": template.text,
        }


class ClauseRowForm(BootstrapMixin, forms.Form):
    """One clause of an amendment's new clause list: an existing clause (id) or a new one."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    clause_type = forms.ChoiceField(
        label=_("条款类型"), choices=[("", "—"), *ClauseType.choices], required=False
    )
    title = forms.CharField(label=_("标题"), max_length=200, required=False)
    text = forms.CharField(label=_("条款内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    template = forms.ModelChoiceField(
        label=_("或从条款库选用"),
        queryset=ClauseTemplate.objects.filter(is_active=True),
        required=False,
    )
    remove = forms.BooleanField(label=_("删除此条款"), required=False)

    def is_blank(self) -> bool:
        d = self.cleaned_data
        return not (d.get("clause_type") or d.get("title") or d.get("text") or d.get("template"))

    def clause(self) -> dict[str, Any]:
        """The row as the clause dict the amendment service expects (library text fills empty fields)."""
        d = self.cleaned_data
        t = d.get("template")
        return {
            "clause_type": d.get("clause_type") or (t.clause_type if t else ""),
            "title": (d.get("title") or "").strip() or (t.title if t else ""),
            "text": (d.get("text") or "").strip() or (t.text if t else ""),
        }


ClauseRowFormSet = forms.formset_factory(ClauseRowForm, extra=2)


class MetricForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("指标名称"), max_length=200)
    kind = forms.ChoiceField(
        label=_("指标类型"),
        choices=[
            ("share_within", _("时限内完成占比")),
            ("duration", _("时长统计")),
            ("rate", _("比率")),
            ("average", _("平均值")),
            ("count", _("计数")),
            ("manual", _("人工录入")),
        ],
    )
    record_kind = forms.CharField(
        label=_("记录类型"), max_length=30, required=False, help_text=_("如 ticket、order、delivery")
    )
    filter = forms.CharField(
        label=_("筛选条件"), required=False, help_text=_('JSON，例如 [["priority", "eq", "P1"]]')
    )
    window = forms.ChoiceField(label=_("统计周期"), choices=[("month", _("月")), ("quarter", _("季度"))])
    direction = forms.ChoiceField(
        label=_("方向"), choices=[("higher", _("越高越好")), ("lower", _("越低越好"))]
    )
    target = forms.CharField(label=_("目标值"), max_length=20)
    min_sample = forms.IntegerField(label=_("最小样本量"), min_value=0, required=False)
    weight = forms.CharField(label=_("权重"), max_length=20, required=False)
    start_field = forms.CharField(label=_("起始时间字段"), required=False, help_text=_("默认 opened_at"))
    end_field = forms.CharField(
        label=_("结束时间字段"), required=False, help_text=_("默认 first_response_at")
    )
    threshold_minutes = forms.IntegerField(label=_("时限（工作分钟）"), min_value=0, required=False)
    statistic = forms.ChoiceField(
        label=_("统计量"), required=False,
        choices=[("", "—"), ("mean", _("平均")), ("median", _("中位数")), ("p90", "P90"), ("p95", "P95")],
    )  # fmt: skip
    flag = forms.CharField(label=_("是/否字段"), required=False, help_text=_("如 defect"))
    field = forms.CharField(label=_("数值字段"), required=False, help_text=_("如 csat"))
    tiers = forms.CharField(
        label=_("奖惩区间"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_('JSON，例如 [{"from": "0", "to": "95", "consequence": "credit_percent", "amount": "5"}]'),
    )
    calendar = forms.ModelChoiceField(label=_("工作日历"), queryset=Calendar.objects.all())

    def definition(self) -> dict[str, Any]:
        """The form as a slamath definition dict (JSON fields parsed; errors go to the form)."""
        d: dict[str, Any] = {}
        for key in ("name", "kind", "record_kind", "window", "direction", "target", "start_field", "end_field",
                    "statistic", "flag", "field", "weight"):  # fmt: skip
            value = self.cleaned_data.get(key)
            if value not in (None, ""):
                d[key] = value
        for key in ("min_sample", "threshold_minutes"):
            if self.cleaned_data.get(key) is not None:
                d[key] = self.cleaned_data[key]
        for key in ("filter", "tiers"):
            raw = (self.cleaned_data.get(key) or "").strip()
            if raw:
                try:
                    d[key] = json.loads(raw)
                except json.JSONDecodeError as exc:
                    self.add_error(key, _("不是有效的 JSON：%(e)s") % {"e": exc.msg})
        return d

    @classmethod
    def initial_from(cls, definition: dict[str, Any], calendar: Calendar | None) -> dict[str, Any]:
        init = {k: v for k, v in definition.items() if k not in ("filter", "tiers", "calendar")}
        if definition.get("filter"):
            init["filter"] = json.dumps(definition["filter"], ensure_ascii=False)
        init["tiers"] = json.dumps(definition.get("tiers") or [], ensure_ascii=False, indent=1)
        init["calendar"] = calendar
        return init


CONSEQUENCE_LABELS = {
    "none": _("无"),
    "credit_percent": _("扣减月费%"),
    "credit_fixed": _("扣减固定金额"),
    "bonus_percent": _("奖励月费%"),
    "bonus_fixed": _("奖励固定金额"),
}
KIND_LABELS = dict(MetricForm.base_fields["kind"].choices)  # type: ignore[attr-defined]
assert set(KIND_LABELS) == set(slamath.KINDS)


class TierRowForm(BootstrapMixin, forms.Form):
    """One tier of a metric, as a row: result from/to, consequence, amount (no JSON to write)."""

    lower = forms.CharField(label=_("结果下限"), max_length=20, required=False)
    upper = forms.CharField(label=_("结果上限"), max_length=20, required=False)
    consequence = forms.ChoiceField(label=_("奖惩"), choices=list(CONSEQUENCE_LABELS.items()), required=False)
    amount = forms.CharField(label=_("数额"), max_length=20, required=False)

    FIELD_FOR = {"from": "lower", "to": "upper", "consequence": "consequence", "amount": "amount"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.widget.attrs["aria-label"] = f.label

    def is_blank(self) -> bool:
        d = self.cleaned_data
        return not (d.get("lower") or d.get("upper") or d.get("amount"))

    def tier(self) -> dict[str, Any]:
        d = self.cleaned_data
        out: dict[str, Any] = {
            "from": d["lower"],
            "to": d["upper"],
            "consequence": d.get("consequence") or "none",
        }
        if d.get("amount"):
            out["amount"] = d["amount"]
        return out


TierFormSet = forms.formset_factory(TierRowForm, extra=2)


class MetricEditor:
    """The SLA metric form with its tiers as rows, under one prefix: what the amendment page shows for
    each metric edited or added. ``definition()`` gives the same dict the JSON path sends to the service,
    ``add_domain_error()`` puts the service's field errors (``target``, ``tiers.2.to`` …) next to the field."""

    def __init__(self, data: Any = None, *, prefix: str, initial: dict[str, Any] | None = None) -> None:
        initial = dict(initial or {})
        tiers = initial.pop("tiers", None) or []
        self.prefix = prefix
        self.form = MetricForm(data, prefix=prefix, initial=initial)
        del self.form.fields["tiers"]
        self.tiers = TierFormSet(
            data,
            prefix=f"{prefix}-tiers",
            initial=[
                {"lower": t.get("from"), "upper": t.get("to"), "consequence": t.get("consequence") or "none",
                 "amount": t.get("amount") or ""}
                for t in tiers
            ],
        )  # fmt: skip
        self._tier_forms: list[TierRowForm] = []

    @classmethod
    def from_definition(cls, definition: dict[str, Any], calendar: Any, *, prefix: str) -> MetricEditor:
        init = MetricForm.initial_from(definition, calendar)
        init["tiers"] = definition.get("tiers") or []
        return cls(prefix=prefix, initial=init)

    def values(self) -> dict[str, Any]:
        """What the user has typed so far (unvalidated), to redisplay the editor without errors."""
        init = {name: self.form[name].value() for name in self.form.fields}
        rows = []
        for f in self.tiers.forms:
            row = {name: f[name].value() for name in f.fields}
            if row.get("lower") or row.get("upper") or row.get("amount"):
                rows.append({"from": row["lower"], "to": row["upper"], "consequence": row["consequence"],
                             "amount": row["amount"]})  # fmt: skip
        init["tiers"] = rows
        return init

    def is_valid(self) -> bool:
        return self.form.is_valid() & self.tiers.is_valid()

    def definition(self) -> dict[str, Any]:
        d = self.form.definition()
        self._tier_forms = [f for f in self.tiers.forms if not f.is_blank()]
        if self._tier_forms:
            d["tiers"] = [f.tier() for f in self._tier_forms]
        return d

    @property
    def calendar(self) -> Any:
        return self.form.cleaned_data.get("calendar")

    def add_domain_error(self, key: str, message: str) -> None:
        parts = key.split(".")
        if (
            parts[0] == "tiers"
            and len(parts) >= 2
            and parts[1].isdigit()
            and int(parts[1]) < len(self._tier_forms)
        ):
            row = self._tier_forms[int(parts[1])]
            field = TierRowForm.FIELD_FOR.get(parts[2]) if len(parts) > 2 else None
            row.add_error(field, message)
        elif parts[0] == "calendar_id":
            self.form.add_error("calendar", message)
        elif parts[0] in self.form.fields and len(parts) == 1:
            self.form.add_error(parts[0], message)
        elif parts[0] in self.form.fields:
            self.form.add_error(parts[0], f"{'.'.join(parts[1:])}: {message}")
        else:
            self.form.add_error(None, f"{key}: {message}")

    def has_errors(self) -> bool:
        return bool(self.form.errors) or any(f.errors for f in self.tiers.forms)


class PreviewForm(BootstrapMixin, forms.Form):
    value = forms.CharField(label=_("假设本期结果"), max_length=20)


class MilestoneForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=200)
    trigger = forms.ChoiceField(label=_("触发条件"), choices=MilestoneTrigger.choices)
    due_date = forms.DateField(label=_("到期日"), widget=DATE, required=False)
    amount = forms.DecimalField(label=_("金额"), min_value=0, decimal_places=2, required=False)
    percent = forms.DecimalField(
        label=_("占合同总额%"), min_value=0, max_value=100, decimal_places=2, required=False
    )
    acceptance_criteria = forms.CharField(
        label=_("验收标准"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PriceClauseForm(BootstrapMixin, forms.Form):
    index_name = forms.CharField(label=_("指数名称"), max_length=200)
    index_kind = forms.ChoiceField(label=_("指数类型"), choices=IndexKind.choices)
    base_value = forms.DecimalField(label=_("基准值"), min_value=0, decimal_places=4)
    base_date = forms.DateField(label=_("基准日期"), widget=DATE, required=False)
    threshold_percent = forms.DecimalField(label=_("触发阈值%"), min_value=0, max_value=100, initial=5)
    share_percent = forms.DecimalField(label=_("调整分担比例%"), min_value=0, max_value=100, initial=50)
    formula = forms.ChoiceField(label=_("调整公式"), choices=AdjustmentFormula.choices)
    notes = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class IndexValueForm(BootstrapMixin, forms.Form):
    value = forms.DecimalField(label=_("新指数值"), decimal_places=4)
    on_date = forms.DateField(label=_("日期"), widget=DATE, required=False)


class AmendmentForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("变更事项"), max_length=200)
    reason = forms.CharField(label=_("变更原因"), widget=forms.Textarea(attrs={"rows": 2}))
    effective_from = forms.DateField(label=_("生效日期"), widget=DATE)
    end_date = forms.DateField(label=_("新结束日期"), widget=DATE, required=False)
    monthly_fee = forms.DecimalField(label=_("新月服务费"), min_value=0, decimal_places=2, required=False)
    total_value = forms.DecimalField(label=_("新合同总额"), min_value=0, decimal_places=2, required=False)
    scope = forms.CharField(label=_("新服务范围"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    sla_metrics = forms.CharField(
        label=_("新 SLA 指标（JSON，可选）"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_(
            '完整列表：[{"id": 指标ID或空, "calendar_id": 日历ID, "definition": {...}}]；未列出的指标将停用。'
        ),
    )

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("end_date", "monthly_fee", "total_value", "scope"):
            v = self.cleaned_data.get(key)
            if v not in (None, ""):
                out[key] = v
        raw = (self.cleaned_data.get("sla_metrics") or "").strip()
        if raw:
            try:
                out["sla_metrics"] = json.loads(raw)
            except json.JSONDecodeError as exc:
                self.add_error("sla_metrics", _("不是有效的 JSON：%(e)s") % {"e": exc.msg})
        return out


class DecisionForm(forms.Form):
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )


class StatusForm(BootstrapMixin, forms.Form):
    to = forms.ChoiceField(label=_("变更为"), choices=[])
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    on = forms.DateField(label=_("生效日期"), widget=DATE, required=False)


class RenewalForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(label=_("续约决定"), choices=[c for c in RenewalDecision.choices if c[0]])
    note = forms.CharField(label=_("说明"), required=False)


class DocumentForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200, required=False)
    file = forms.FileField(label=_("文件"))
    is_signed_copy = forms.BooleanField(label=_("签署版"), required=False, initial=True)


class SettingsForm(BootstrapMixin, forms.Form):
    required_clauses = forms.MultipleChoiceField(
        label=_("必备条款"), choices=ClauseType.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    chain = forms.CharField(
        label=_("审批链"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "每行一级：角色代码,名称，例如 manager,外包经理。角色：manager、finance、admin、quality。"
        ),
    )


class ClauseTemplateForm(BootstrapMixin, forms.Form):
    clause_type = forms.ChoiceField(label=_("条款类型"), choices=ClauseType.choices)
    title = forms.CharField(label=_("标题"), max_length=200)
    text = forms.CharField(label=_("条款内容"), widget=forms.Textarea(attrs={"rows": 4}))
