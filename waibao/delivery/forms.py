from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from waibao.contracts.models import RecordKind
from waibao.core.forms import BootstrapMixin
from waibao.delivery.models import ImportPolicy

TIME_HELP = _("例如 2026-10-08 09:30（按北京时间），或带时区 2026-10-08T01:30:00Z")


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("文件（.csv 或 .xlsx）"))
    policy = forms.ChoiceField(
        label=_("有错误行时"),
        choices=ImportPolicy.choices,
        initial=ImportPolicy.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )


class RecordForm(BootstrapMixin, forms.Form):
    external_id = forms.CharField(label=_("记录编号"), max_length=100)
    kind = forms.ChoiceField(label=_("记录类型"), choices=RecordKind.choices)
    priority = forms.CharField(label=_("优先级"), max_length=20, required=False)
    category = forms.CharField(label=_("类别"), max_length=100, required=False)
    status = forms.CharField(label=_("状态"), max_length=30, required=False)
    opened_at = forms.CharField(label=_("开始时间"), required=False, help_text=TIME_HELP)
    first_response_at = forms.CharField(label=_("首次响应时间"), required=False)
    resolved_at = forms.CharField(label=_("解决时间"), required=False)
    promised_at = forms.CharField(label=_("承诺时间"), required=False)
    delivered_at = forms.CharField(label=_("送达时间"), required=False)
    csat = forms.CharField(label=_("满意度"), required=False)
    defect = forms.ChoiceField(
        label=_("缺陷"), required=False, choices=[("", "—"), ("yes", _("是")), ("no", _("否"))]
    )
    paused = forms.CharField(label=_("暂停区间"), required=False, help_text=_("开始/结束，多段用 ; 分隔"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DisputeForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(label=_("异议说明"), widget=forms.Textarea(attrs={"rows": 3}))
    paused = forms.CharField(
        label=_("建议暂停区间"), required=False, help_text=_("例如 2026-10-08 13:00/2026-10-08 14:00")
    )
    first_response_at = forms.CharField(label=_("建议首次响应时间"), required=False)
    resolved_at = forms.CharField(label=_("建议解决时间"), required=False)


class DecideForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("处理"), choices=[("accept", _("接受并更正记录")), ("reject", _("驳回"))]
    )
    response = forms.CharField(label=_("处理意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ManualValueForm(BootstrapMixin, forms.Form):
    """One manual metric's value for a period. Several sit on the contract page, one per manual metric,
    so each gets its own ids (``auto_id``); ``periods`` are the choices offered (newest first)."""

    period = forms.CharField(
        label=_("周期"), max_length=8, widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )
    value = forms.DecimalField(
        label=_("指标值"),
        max_digits=14,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "any"}),
    )
    note = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def __init__(self, *args: Any, periods: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keys = list(periods or [])
        typed = (self.data.get(self.add_prefix("period")) or "").strip() if self.is_bound else ""
        if typed and typed not in keys:  # keep what was sent, even if it is not offered any more
            keys.insert(0, typed)
        period = self.fields["period"]
        period.widget.choices = [(k, k) for k in keys]  # type: ignore[attr-defined]


class ManualDecideForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(label=_("处理"), choices=[("confirm", _("确认")), ("reject", _("驳回"))])
    response = forms.CharField(
        label=_("处理意见"),
        required=False,
        max_length=500,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("意见（驳回必填）")}
        ),
    )


class MissedFilterForm(BootstrapMixin, forms.Form):
    """The missed-records list's filters and order (GET); a bad value is shown, the list stays unfiltered."""

    q = forms.CharField(label=_("记录编号包含"), required=False, max_length=100)
    min_over_hours = forms.DecimalField(
        label=_("至少超出（小时）"), required=False, min_value=0, max_digits=10, decimal_places=2
    )
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[
            ("opened", _("开始时间，从早到晚")),
            ("-opened", _("开始时间，从晚到早")),
            ("external_id", _("记录编号，升序")),
            ("-external_id", _("记录编号，降序")),
        ],
    )

    def filters(self) -> Any:
        from waibao.delivery.queries import MissedFilters

        data = self.cleaned_data
        return MissedFilters(
            sort=data.get("sort") or "opened",
            q=(data.get("q") or "").strip(),
            min_over_hours=data.get("min_over_hours"),
        )
