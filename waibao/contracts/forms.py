from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from waibao.calendars.models import Calendar
from waibao.contracts import metric_ui
from waibao.contracts.models import (
    AdjustmentFormula,
    ClauseTemplate,
    ClauseType,
    IndexKind,
    MilestoneTrigger,
    RecordKind,
    RenewalDecision,
    RenewalType,
)
from waibao.core.forms import BootstrapMixin
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
    # Any user may be chosen here; the contracts service decides who may own a contract (every door).
    owner = forms.ModelChoiceField(
        label=_("负责人"), queryset=Vendor.objects.none(), required=False, help_text=_("外包经理或系统管理员")
    )
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
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = _owner_choices(self.data.get(self.add_prefix("owner")) if self.is_bound else None)
        if editing:
            del self.fields["vendor"]


def _owner_choices(posted: Any) -> Any:
    """The owners offered (those the service allows), plus a posted id so that the service — not the
    form — answers when someone picks a user who may not own a contract."""
    from django.db.models import Q

    from waibao.accounts.models import User
    from waibao.contracts.services import owner_candidates

    allowed = owner_candidates()
    if posted and str(posted).isdigit():
        return User.objects.filter(Q(pk__in=allowed.values("pk")) | Q(pk=int(posted))).order_by(
            "full_name", "username"
        )
    return allowed


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


UNIT_CHOICES = list(metric_ui.UNIT_LABELS.items())
_BLANK = ("", "—")


def _choices(field: forms.Field, choices: list[tuple[str, Any]]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class MetricForm(BootstrapMixin, forms.Form):
    """One SLA metric in the words a manager uses: record fields by their labels, time limits in business
    hours or days of the metric's calendar, one section per kind of metric. ``definition()`` turns it
    into the stored definition (business minutes, field names); :meth:`initial_from` goes back."""

    name = forms.CharField(label=_("指标名称"), max_length=200)
    kind = forms.ChoiceField(label=_("指标类型"), choices=list(metric_ui.KIND_LABELS.items()))
    record_kind = forms.ChoiceField(label=_("记录类型"), required=False, choices=[])
    calendar = forms.ModelChoiceField(label=_("工作日历"), queryset=Calendar.objects.all())
    window = forms.ChoiceField(label=_("统计周期"), choices=[("month", _("月")), ("quarter", _("季度"))])
    direction = forms.ChoiceField(
        label=_("方向"), choices=[("higher", _("越高越好")), ("lower", _("越低越好"))]
    )
    target = forms.CharField(label=_("目标值"), max_length=20)
    target_unit = forms.ChoiceField(label=_("目标值单位"), choices=UNIT_CHOICES, required=False, initial="hours")
    min_sample = forms.IntegerField(label=_("最小样本量"), min_value=0, required=False)
    weight = forms.CharField(label=_("权重"), max_length=20, required=False)
    start_field = forms.ChoiceField(label=_("从"), required=False, choices=[])
    end_field = forms.ChoiceField(label=_("到"), required=False, choices=[])
    threshold = forms.CharField(label=_("时限"), max_length=20, required=False)
    threshold_unit = forms.ChoiceField(label=_("时限单位"), choices=UNIT_CHOICES, required=False, initial="hours")
    statistic = forms.ChoiceField(label=_("统计量"), required=False, choices=[])
    rate_by = forms.ChoiceField(
        label=_("计算方式"),
        required=False,
        initial="flag",
        widget=forms.RadioSelect,
        choices=[("flag", _("按“是/否”字段：为“是”的记录占比")), ("on_time", _("按时间：完成时间不晚于截止时间的占比"))],
    )
    flag = forms.ChoiceField(label=_("“是/否”字段"), required=False, choices=[])
    on_time_actual = forms.ChoiceField(label=_("完成时间"), required=False, choices=[])
    on_time_due = forms.ChoiceField(label=_("截止时间"), required=False, choices=[])
    field = forms.ChoiceField(label=_("数值字段"), required=False, choices=[])

    #: Where a service error about a definition key is shown (keys not listed: the field of that name).
    FIELD_FOR_KEY = {"threshold_minutes": "threshold", "calendar_id": "calendar"}

    def __init__(
        self, *args: Any, contract: Any = None, data_values: metric_ui.DataValues | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        custom = getattr(contract, "custom_fields", None) or {}
        seen = set(data_values.kinds) if data_values else set()
        kinds = [
            (k, _("%(k)s（数据中有）") % {"k": label} if k in seen else label)
            for k, label in RecordKind.choices
        ]
        _choices(self.fields["record_kind"], [("", _("— 请选择 —")), *kinds])
        stamps = [_BLANK, *metric_ui.field_choices(custom, "timestamp")]
        for name in ("start_field", "end_field", "on_time_actual", "on_time_due"):
            _choices(self.fields[name], stamps)
        _choices(self.fields["flag"], [_BLANK, *metric_ui.field_choices(custom, "boolean")])
        _choices(self.fields["field"], [_BLANK, *metric_ui.field_choices(custom, "number")])
        stats = [_BLANK, *metric_ui.STATISTIC_LABELS.items()]
        current = self.initial.get("statistic")
        if current and current not in dict(stats):  # e.g. p99, set through the API
            stats.append((current, current.upper()))
        _choices(self.fields["statistic"], stats)
        # A kind stored before kinds were chosen from the list (e.g. "case"): shown, and asked to pick.
        self.invalid_record_kind = ""
        stored = self.initial.get("record_kind")
        if stored and not metric_ui.is_allowed_record_kind(stored):
            self.invalid_record_kind = str(stored)
            self.initial["record_kind"] = ""
        self.fields["target"].widget.attrs["inputmode"] = "decimal"
        self.fields["threshold"].widget.attrs["inputmode"] = "decimal"
        self.fields["kind"].widget.attrs["class"] = "form-select metric-kind"
        self.fields["target_unit"].widget.attrs["class"] = "form-select kind-part for-duration"
        self.fields["rate_by"].widget.attrs["class"] = "form-check-input rate-by"
        for name in ("target_unit", "threshold_unit"):
            self.fields[name].widget.attrs["aria-label"] = self.fields[name].label
        # Changing a time or the calendar refreshes the conversion shown under it (HTMX, see the template).
        for name in ("threshold", "threshold_unit", "target", "target_unit", "calendar"):
            w = self.fields[name].widget
            w.attrs["class"] = f"{w.attrs.get('class', '')} {self.prefix or 'metric'}-time".strip()

    def day_minutes(self) -> int:
        cal = self.cleaned_data.get("calendar") if hasattr(self, "cleaned_data") else None
        return metric_ui.day_minutes(cal)

    def _minutes(self, name: str, unit_name: str) -> Decimal | None:
        """A time typed in hours/days/minutes as business minutes; errors go to the field."""
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.add_error(name, _("请输入数字。"))
            return None
        if not value.is_finite() or value < 0:
            self.add_error(name, _("请输入不小于 0 的数字。"))
            return None
        unit = self.cleaned_data.get(unit_name) or "hours"
        return metric_ui.to_minutes(value, unit, self.day_minutes())

    def definition(self) -> dict[str, Any]:
        """The form as a slamath definition dict: only what the chosen kind uses, times in minutes."""
        c = self.cleaned_data
        kind = c.get("kind")
        d: dict[str, Any] = {}
        for key in ("name", "kind", "window", "direction", "target", "weight"):
            if c.get(key) not in (None, ""):
                d[key] = c[key]
        if c.get("min_sample") is not None:
            d["min_sample"] = c["min_sample"]
        if kind != "manual" or c.get("record_kind"):
            d["record_kind"] = c.get("record_kind") or ""
        if kind in ("share_within", "duration"):
            for key in ("start_field", "end_field"):
                if c.get(key):
                    d[key] = c[key]
        if kind == "share_within":
            minutes = self._minutes("threshold", "threshold_unit")
            if minutes is not None:
                if minutes != minutes.to_integral_value():
                    self.add_error(
                        "threshold",
                        _("换算为 %(m)s 个工作分钟，不是整分钟；请换一个数值或单位。") % {"m": round(minutes, 2)},
                    )
                else:
                    d["threshold_minutes"] = int(minutes)
        elif kind == "duration":
            if c.get("statistic"):
                d["statistic"] = c["statistic"]
            target = self._minutes("target", "target_unit")
            if target is not None:
                d["target"] = _number_text(target)
        elif kind == "rate":
            if c.get("rate_by") == "on_time":
                d["start_field"] = c.get("on_time_actual") or ""
                d["end_field"] = c.get("on_time_due") or ""
                if not d["start_field"]:
                    self.add_error("on_time_actual", _("必填。"))
                if not d["end_field"]:
                    self.add_error("on_time_due", _("必填。"))
            elif c.get("flag"):
                d["flag"] = c["flag"]
            else:
                self.add_error("flag", _("请选择一个“是/否”字段。"))
        elif kind == "average" and c.get("field"):
            d["field"] = c["field"]
        return d

    def field_for(self, key: str) -> str | None:
        """The form field that shows a service error about definition key ``key``."""
        kind = self.data.get(self.add_prefix("kind")) if self.is_bound else self.initial.get("kind")
        if kind == "rate" and key in ("start_field", "end_field"):
            return {"start_field": "on_time_actual", "end_field": "on_time_due"}[key]
        name = self.FIELD_FOR_KEY.get(key, key)
        return name if name in self.fields else None

    @classmethod
    def initial_from(cls, definition: dict[str, Any], calendar: Calendar | None) -> dict[str, Any]:
        """Form values of a stored definition: minutes back in the unit people would say them in."""
        d = definition
        init: dict[str, Any] = {
            k: d[k]
            for k in ("name", "kind", "record_kind", "window", "direction", "target", "min_sample", "weight",
                      "statistic", "field")
            if d.get(k) not in (None, "")
        }  # fmt: skip
        init["calendar"] = calendar
        per_day = metric_ui.day_minutes(calendar)
        kind = d.get("kind")
        if kind in ("share_within", "duration"):
            init["start_field"] = d.get("start_field") or ""
            init["end_field"] = d.get("end_field") or ""
        if kind == "share_within" and d.get("threshold_minutes") is not None:
            value, unit = metric_ui.best_unit(Decimal(str(d["threshold_minutes"])), per_day)
            init["threshold"], init["threshold_unit"] = _number_text(value), unit
        if kind == "duration" and d.get("target") not in (None, ""):
            unit = _duration_unit(d, per_day)
            minutes = metric_ui.unit_minutes(unit, per_day)
            init["target"] = _number_text(Decimal(str(d["target"])) / minutes)
            init["target_unit"] = unit
        if kind == "rate":
            if d.get("flag"):
                init["rate_by"], init["flag"] = "flag", d["flag"]
            else:
                init["rate_by"] = "on_time"
                init["on_time_actual"] = d.get("start_field") or ""
                init["on_time_due"] = d.get("end_field") or ""
        return init


def _number_text(value: Decimal) -> str:
    """An exact decimal as short text: 240, 1.5 (never 2.4E+2)."""
    text = format(value.normalize(), "f")
    return text


def _duration_unit(d: dict[str, Any], per_day: int) -> str:
    """One unit for a duration metric's target and tier bounds: the target's, if every bound reads well."""
    _value, unit = metric_ui.best_unit(Decimal(str(d["target"])), per_day)
    for candidate in (unit, "hours", "minutes"):
        size = metric_ui.unit_minutes(candidate, per_day)
        bounds = [Decimal(str(t.get(k))) for t in d.get("tiers") or [] for k in ("from", "to")]
        if all((b / size) == (b / size).quantize(Decimal("0.01")) for b in bounds):
            return candidate
    return "minutes"


CONSEQUENCE_LABELS = metric_ui.CONSEQUENCE_LABELS
KIND_LABELS = metric_ui.KIND_LABELS


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

    def tier(self, unit_minutes: int = 1) -> dict[str, Any]:
        """The row as a tier dict; bounds of a duration metric typed in hours/days become minutes."""
        d = self.cleaned_data
        out: dict[str, Any] = {
            "from": _scaled(d["lower"], unit_minutes),
            "to": _scaled(d["upper"], unit_minutes),
            "consequence": d.get("consequence") or "none",
        }
        if d.get("amount"):
            out["amount"] = d["amount"]
        return out


def _scaled(raw: str, factor: int) -> str:
    if factor == 1 or not raw:
        return raw
    try:
        return _number_text(Decimal(raw.strip()) * factor)
    except InvalidOperation:
        return raw  # the service says what is wrong with it


class FilterRowForm(BootstrapMixin, forms.Form):
    """One filter condition as a row: a field by its label, an operator in words, a value."""

    field = forms.ChoiceField(label=_("字段"), required=False, choices=[])
    op = forms.ChoiceField(label=_("条件"), required=False, choices=list(metric_ui.OP_LABELS.items()))
    value = forms.CharField(label=_("值"), max_length=500, required=False)

    FIELD_FOR = {"field": "field", "op": "op", "value": "value"}

    def __init__(self, *args: Any, types: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.types = types or {}
        filterable = [
            (n, metric_ui.field_label(n))
            for n, t in self.types.items()
            if t != "timestamp" and n not in ("external_id", "kind")
        ]
        _choices(self.fields["field"], [("", _("— 字段 —")), *filterable])
        for f in self.fields.values():
            f.widget.attrs["aria-label"] = f.label
        self.fields["field"].widget.attrs["class"] = "form-select filter-field"
        self.fields["value"].widget.attrs["class"] = "form-control filter-value"

    def is_blank(self) -> bool:
        d = self.cleaned_data
        return not (d.get("field") or (d.get("value") or "").strip())

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if self.is_blank():
            return d
        name, op, raw = d.get("field"), d.get("op") or "eq", (d.get("value") or "").strip()
        if not name:
            self.add_error("field", _("请选择字段。"))
            return d
        if not raw:
            self.add_error("value", _("请填写值。"))
            return d
        kind = self.types.get(name, "text")
        try:
            if op == "in":
                d["parsed"] = [metric_ui.parse_value(v, kind) for v in metric_ui.split_values(raw)]
            else:
                d["parsed"] = metric_ui.parse_value(raw, kind)
        except ValueError as exc:
            self.add_error("value", str(exc))
        return d

    def condition(self) -> list[Any]:
        d = self.cleaned_data
        return [d["field"], d.get("op") or "eq", d.get("parsed")]

    @staticmethod
    def row(condition: Any) -> dict[str, Any]:
        """A stored condition as row values."""
        try:
            name, op, value = condition
        except (TypeError, ValueError):
            return {}
        if isinstance(value, list | tuple):
            text = ", ".join(metric_ui.value_text(v) for v in value)
        else:
            text = metric_ui.value_text(value)
        return {"field": name, "op": op, "value": text}


def _formset(form: type[forms.Form], extra: int) -> Any:
    return forms.formset_factory(form, extra=extra)


TierFormSet = _formset(TierRowForm, 2)

#: Definition keys the form shows; any other key of a stored definition (e.g. a percentile method set
#: through the API) is kept as it is when the metric is edited without changing its kind.
FORM_KEYS = frozenset(
    {"name", "kind", "record_kind", "filter", "window", "direction", "target", "min_sample", "weight",
     "calendar", "start_field", "end_field", "threshold_minutes", "statistic", "flag", "field", "tiers"}
)  # fmt: skip


class MetricEditor:
    """The SLA metric form with its filters and tiers as rows, under one prefix: the metric page shows
    one, the amendment page one per metric edited or added. ``definition()`` gives the dict the JSON
    path sends to the service; ``apply_domain_error()`` puts the service's field errors (``target``,
    ``tiers.2.to`` …) next to the field or row they are about.

    Buttons are plain submits named ``op`` (``template:<prefix>:<key>``, ``rows:<prefix>``) so the
    editor works without JavaScript; :meth:`after_op` gives the editor to show next."""

    def __init__(
        self,
        data: Any = None,
        *,
        prefix: str,
        initial: dict[str, Any] | None = None,
        contract: Any = None,
        data_values: metric_ui.DataValues | None = None,
        base: dict[str, Any] | None = None,
        extra_rows: int = 0,
    ) -> None:
        initial = dict(initial or {})
        tiers = initial.pop("tiers", None) or []
        filters = initial.pop("filters", None) or []
        self.prefix = prefix
        self.contract = contract
        self.base = base or {}
        self.data_values = data_values if data_values is not None else metric_ui.DataValues({}, [])
        self.types = metric_ui.field_types(getattr(contract, "custom_fields", None) or {})
        self.form = MetricForm(
            data, prefix=prefix, initial=initial, contract=contract, data_values=self.data_values
        )
        self.tiers = _formset(TierRowForm, 2 + extra_rows)(data, prefix=f"{prefix}-tiers", initial=tiers)
        self.filters = _formset(FilterRowForm, 1 + extra_rows)(
            data, prefix=f"{prefix}-filters", initial=filters, form_kwargs={"types": self.types}
        )
        self._tier_forms: list[TierRowForm] = []
        self._filter_forms: list[FilterRowForm] = []

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def initial_from_definition(cls, definition: dict[str, Any], calendar: Any) -> dict[str, Any]:
        init = MetricForm.initial_from(definition, calendar)
        unit = 1
        if definition.get("kind") == "duration" and definition.get("target") not in (None, ""):
            unit = metric_ui.unit_minutes(init.get("target_unit", "minutes"), metric_ui.day_minutes(calendar))
        init["tiers"] = [
            {"lower": _number_text(Decimal(str(t.get("from"))) / unit), "upper": _number_text(Decimal(str(t.get("to"))) / unit),
             "consequence": t.get("consequence") or "none",
             "amount": "" if (t.get("consequence") or "none") == "none" else (t.get("amount") or "")}
            for t in definition.get("tiers") or []
        ]  # fmt: skip
        init["filters"] = [FilterRowForm.row(f) for f in definition.get("filter") or []]
        return init

    @classmethod
    def from_definition(
        cls, definition: dict[str, Any], calendar: Any, *, prefix: str, contract: Any = None,
        data_values: metric_ui.DataValues | None = None,
    ) -> MetricEditor:  # fmt: skip
        return cls(
            prefix=prefix, initial=cls.initial_from_definition(definition, calendar), contract=contract,
            data_values=data_values, base=definition,
        )  # fmt: skip

    def values(self) -> dict[str, Any]:
        """What the user has typed so far (unvalidated), to redisplay the editor without errors."""
        init: dict[str, Any] = {name: self.form[name].value() for name in self.form.fields}
        cal = init.get("calendar")
        if cal and not isinstance(cal, Calendar):
            init["calendar"] = Calendar.objects.filter(pk=cal).first() if str(cal).isdigit() else None
        init["tiers"] = [
            row
            for f in self.tiers.forms
            if (row := {name: f[name].value() for name in f.fields}).get("lower")
            or row.get("upper") or row.get("amount")
        ]  # fmt: skip
        init["filters"] = [
            row
            for f in self.filters.forms
            if (row := {name: f[name].value() for name in f.fields}).get("field") or row.get("value")
        ]
        return init

    def rebuilt(self, initial: dict[str, Any], extra_rows: int = 0) -> MetricEditor:
        return MetricEditor(
            prefix=self.prefix, initial=initial, contract=self.contract, data_values=self.data_values,
            base=self.base, extra_rows=extra_rows,
        )  # fmt: skip

    def after_op(self, op: str) -> MetricEditor | None:
        """The editor to show after an ``op`` button of this editor; None if the op is not for it."""
        verb, _sep, rest = op.partition(":")
        prefix, _sep, arg = rest.partition(":")
        if prefix != self.prefix:
            return None
        values = self.values()
        if verb == "template":
            picked = metric_ui.template_initial(arg, getattr(self.contract, "custom_fields", None))
            if picked is not None:
                picked["calendar"] = values.get("calendar")
                return self.rebuilt(picked)
        if verb == "rows":
            return self.rebuilt(values, extra_rows=3)
        return self.rebuilt(values)

    # --- validating -----------------------------------------------------------------------------

    def is_valid(self) -> bool:
        return self.form.is_valid() & self.tiers.is_valid() & self.filters.is_valid()

    def definition(self) -> dict[str, Any]:
        d = self.form.definition()
        kind = d.get("kind")
        if self.base and self.base.get("kind") == kind:
            d.update({k: v for k, v in self.base.items() if k not in FORM_KEYS})
        self._filter_forms = [f for f in self.filters.forms if not f.is_blank()]
        if self._filter_forms and kind != "manual":
            d["filter"] = [f.condition() for f in self._filter_forms]
        self._tier_forms = [f for f in self.tiers.forms if not f.is_blank()]
        unit = 1
        if kind == "duration":
            unit = metric_ui.unit_minutes(
                self.form.cleaned_data.get("target_unit") or "hours", self.form.day_minutes()
            )
        if self._tier_forms:
            d["tiers"] = [f.tier(unit) for f in self._tier_forms]
        return d

    @property
    def calendar(self) -> Any:
        return self.form.cleaned_data.get("calendar")

    def add_domain_error(self, key: str, message: str) -> None:
        parts = key.split(".")
        rows: dict[str, list[Any]] = {"tiers": self._tier_forms, "filter": self._filter_forms}
        if parts[0] in rows and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows[parts[0]]):
            row = rows[parts[0]][int(parts[1])]
            field = row.FIELD_FOR.get(parts[2]) if len(parts) > 2 else None
            row.add_error(field, message)
            return
        name = self.form.field_for(parts[0])
        if name is not None:
            self.form.add_error(name, message)
        else:
            self.form.add_error(None, message)

    def apply_domain_error(self, exc: Any) -> None:
        for key, message in exc.fields.items():
            self.add_domain_error(key, message)
        if not exc.fields:
            self.form.add_error(None, exc.message)

    def has_errors(self) -> bool:
        return (
            bool(self.form.errors)
            or any(f.errors for f in self.tiers.forms)
            or any(f.errors for f in self.filters.forms)
        )

    # --- showing --------------------------------------------------------------------------------

    def _current(self, name: str) -> Any:
        return self.form[name].value()

    @property
    def calendar_shown(self) -> Calendar | None:
        cal = self._current("calendar")
        if isinstance(cal, Calendar):
            return cal
        return Calendar.objects.filter(pk=cal).first() if cal and str(cal).isdigit() else None

    def _conversion(self, value_name: str, unit_name: str) -> str:
        raw = str(self._current(value_name) or "").strip()
        try:
            value = Decimal(raw)
        except InvalidOperation:
            return ""
        if not value.is_finite() or value < 0:
            return ""
        cal = self.calendar_shown
        per_day = metric_ui.day_minutes(cal)
        text = metric_ui.conversion_text(value, self._current(unit_name) or "hours", per_day)
        if cal is None:
            return text
        return _("%(conv)s（按日历“%(c)s”，%(d)s）") % {
            "conv": text, "c": cal.name, "d": metric_ui.workday_text(per_day)
        }

    @property
    def threshold_conversion(self) -> str:
        return self._conversion("threshold", "threshold_unit")

    @property
    def target_conversion(self) -> str:
        return self._conversion("target", "target_unit")

    @property
    def datalists(self) -> list[dict[str, Any]]:
        """One list of values per field that the contract's records hold (for the filter value boxes)."""
        out = []
        for name, values in sorted(self.data_values.values.items()):
            kind = self.types.get(name)
            if kind is None or kind == "timestamp":
                continue
            out.append({"id": f"{self.prefix}-values-{name}", "field": name, "values": values})
        booleans = [n for n, t in self.types.items() if t == "boolean" and n not in self.data_values.values]
        for name in booleans:
            out.append({"id": f"{self.prefix}-values-{name}", "field": name,
                        "values": [metric_ui.value_text(True), metric_ui.value_text(False)]})  # fmt: skip
        return out

    @property
    def filter_rows(self) -> list[tuple[Any, str]]:
        """Each filter row with the id of the value list for its field."""
        known = {d["field"] for d in self.datalists}
        rows = []
        for f in self.filters.forms:
            name = f["field"].value()
            rows.append((f, f"{self.prefix}-values-{name}" if name in known else ""))
        return rows

    @property
    def templates(self) -> tuple[metric_ui.Template, ...]:
        return metric_ui.TEMPLATES

    @property
    def kind_value(self) -> str:
        return str(self._current("kind") or "")


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

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("end_date", "monthly_fee", "total_value", "scope"):
            v = self.cleaned_data.get(key)
            if v not in (None, ""):
                out[key] = v
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
    internal = forms.BooleanField(
        label=_("仅内部可见"), required=False, help_text=_("供应商用户看不到内部文件。")
    )


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
