from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from waibao.core.forms import BootstrapMixin
from waibao.lib.sampling import AQLS, CODE_LETTERS, LEVELS
from waibao.quality.models import (
    DEFAULT_REVIEW_LEVELS,
    Channel,
    ComplaintCategory,
    LotKind,
    NcrSource,
    Severity,
    Stage,
    review_level_key,
    review_levels_text,
)

AQL_OPTIONAL = [("", "—"), *[(a, a) for a in AQLS]]
LEVEL_CHOICES = [(v, v) for v in LEVELS]
STAGE_CHOICES = Stage.choices


class SamplingToolForm(BootstrapMixin, forms.Form):
    lot_size = forms.IntegerField(label=_("批量 N"), min_value=2, initial=1000)
    level = forms.ChoiceField(label=_("检验水平"), choices=LEVEL_CHOICES, initial="II")
    aql = forms.ChoiceField(label=_("AQL"), choices=[(a, a) for a in AQLS], initial="1.5")


class SimulateForm(BootstrapMixin, forms.Form):
    start_stage = forms.ChoiceField(label=_("起始严格度"), choices=STAGE_CHOICES, initial="normal")
    code_letter = forms.ChoiceField(
        label=_("样本量字码"), choices=[(c, c) for c in CODE_LETTERS], initial="J"
    )
    aql = forms.ChoiceField(label=_("AQL"), choices=[(a, a) for a in AQLS], initial="1.5")
    steady_production = forms.BooleanField(label=_("生产稳定"), required=False, initial=True)
    reduced_approved = forms.BooleanField(label=_("负责部门批准放宽"), required=False)
    lots = forms.CharField(
        label=_("各批不合格品数"),
        widget=forms.Textarea(attrs={"rows": 2}),
        initial="0 1 4 5 0 0 0 0 0",
        help_text=_("用空格或逗号分隔的整数，按批次顺序；也可写 A（接收）或 R（不接收）。"),
    )

    def lot_list(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i, token in enumerate(self.cleaned_data["lots"].replace(",", " ").replace("，", " ").split()):
            t = token.strip().upper()
            if t in ("A", "R"):
                out.append({"accepted": t == "A"})
            elif t.isdigit():
                out.append({"nonconforming": int(t)})
            else:
                raise forms.ValidationError(
                    _("第 %(n)s 项“%(t)s”不是整数或 A/R。") % {"n": i + 1, "t": token}
                )
        return out


class SpcForm(BootstrapMixin, forms.Form):
    values = forms.CharField(
        label=_("数据序列"),
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="10 11 9 10 12 10 9 11 10 10 11 12 13 14 15 16 17 10 9 25",
        help_text=_("用空格或逗号分隔的数值。"),
    )
    center = forms.FloatField(label=_("中心线（留空则估计）"), required=False)
    sigma = forms.FloatField(label=_("标准差（留空则用平均移动极差/1.128）"), required=False)
    ruleset = forms.ChoiceField(
        label=_("判异规则"), choices=[("nelson", _("Nelson 八条")), ("western_electric", _("西电四条"))]
    )

    def value_list(self) -> list[float]:
        out = []
        for i, token in enumerate(self.cleaned_data["values"].replace(",", " ").replace("，", " ").split()):
            try:
                out.append(float(token))
            except ValueError:
                raise forms.ValidationError(
                    _("第 %(n)s 项“%(t)s”不是数字。") % {"n": i + 1, "t": token}
                ) from None
        return out


class PlanForm(BootstrapMixin, forms.Form):
    contract = forms.ChoiceField(label=_("合同"))
    name = forms.CharField(label=_("名称"), max_length=200)
    lot_kind = forms.ChoiceField(label=_("批的组成方式"), choices=LotKind.choices)
    lot_description = forms.CharField(label=_("批的说明"), max_length=200, required=False)
    level = forms.ChoiceField(label=_("检验水平"), choices=LEVEL_CHOICES, initial="II")
    aql_critical = forms.ChoiceField(
        label=_("致命缺陷 AQL"), choices=AQL_OPTIONAL, required=False, initial="0.065"
    )
    aql_major = forms.ChoiceField(
        label=_("严重缺陷 AQL"), choices=AQL_OPTIONAL, required=False, initial="1.0"
    )
    aql_minor = forms.ChoiceField(
        label=_("轻微缺陷 AQL"), choices=AQL_OPTIONAL, required=False, initial="4.0"
    )
    characteristics = forms.CharField(
        label=_("检验特性"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_(
            "每行一项。检验项目（计数特性）写名称，可加缺陷类别，如“客户信息完整|严重”；"
            "计量特性写“名称|下限|上限|单位|缺陷类别”，"
            "如“通话时长|0|600|秒|轻微”：测量值超出规格即计为该类别的不合格。"
        ),
    )
    inspectors = forms.MultipleChoiceField(
        label=_("指定检验员"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text=_(
            "留空则所有质量人员都可抽检；指定后只有这些人（和管理员）可以记录结果与判定。"
            "按住 Ctrl（Mac 为 ⌘）可多选或取消。"
        ),
    )
    review_levels = forms.CharField(
        label=_("审核链"),
        initial=lambda: review_levels_text(DEFAULT_REVIEW_LEVELS),
        required=False,
        help_text=_("逗号分隔，依次审核。"),
    )
    steady_production = forms.BooleanField(label=_("生产稳定"), required=False, initial=True)
    reduced_approved = forms.BooleanField(label=_("负责部门批准放宽检验"), required=False)
    verify_after_days = forms.IntegerField(label=_("纠正措施效果验证等待天数"), min_value=0, initial=30)
    capa_step_days = forms.IntegerField(label=_("8D 每步期限（天）"), min_value=1, initial=7)

    def __init__(self, *args: Any, contracts: Any = (), inspectors: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [(c.code, str(c)) for c in contracts]  # type: ignore[attr-defined]
        self.people = {str(u.pk): u for u in inspectors}
        self.fields["inspectors"].choices = [  # type: ignore[attr-defined]
            (pk, f"{u} ({u.username})") for pk, u in self.people.items()
        ]

    @staticmethod
    def characteristics_text(items: Any) -> str:
        """The plan's characteristics back in the form's one-per-line notation."""
        from django.utils.translation import get_language

        chinese = (get_language() or "zh").startswith("zh")
        labels = {"critical": "致命", "major": "严重", "minor": "轻微"} if chinese else {}
        lines = []
        for c in items or []:
            if c.get("kind") == "variable":
                lsl = "" if c.get("lsl") is None else f"{c['lsl']:g}"
                usl = "" if c.get("usl") is None else f"{c['usl']:g}"
                sev = labels.get(c.get("severity", ""), c.get("severity", ""))
                lines.append(f"{c['name']}|{lsl}|{usl}|{c.get('unit', '')}|{sev}")
            elif c.get("severity"):
                lines.append(f"{c['name']}|{labels.get(c['severity'], c['severity'])}")
            else:
                lines.append(str(c.get("name", "")))
        return "\n".join(lines)

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        chars = []
        for line in (d.get("characteristics") or "").splitlines():
            parts = [p.strip() for p in line.split("|")]
            if not parts[0]:
                continue
            if len(parts) >= 3:
                chars.append(
                    {
                        "name": parts[0],
                        "kind": "variable",
                        "lsl": parts[1] or None,
                        "usl": parts[2] or None,
                        "unit": parts[3] if len(parts) > 3 else "",
                        "severity": parts[4] if len(parts) > 4 else "",
                    }
                )
            elif len(parts) == 2 and parts[1]:
                chars.append({"name": parts[0], "kind": "attribute", "severity": parts[1]})
            else:
                chars.append({"name": parts[0], "kind": "attribute"})
        return {
            "inspectors": [self.people[pk] for pk in d.get("inspectors") or [] if pk in self.people],
            "name": d["name"],
            "lot_kind": d["lot_kind"],
            "lot_description": d["lot_description"],
            "level": d["level"],
            "classes": {"critical": d["aql_critical"], "major": d["aql_major"], "minor": d["aql_minor"]},
            "characteristics": chars,
            "review_levels": [
                review_level_key(x)
                for x in (d.get("review_levels") or "").replace("，", ",").replace("、", ",").split(",")
                if x.strip()
            ],
            "steady_production": d["steady_production"],
            "reduced_approved": d["reduced_approved"],
            "verify_after_days": d["verify_after_days"],
            "capa_step_days": d["capa_step_days"],
        }


class PlanEditForm(PlanForm):
    """The plan form without the contract (a plan stays with its contract), with the version edited."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    active = forms.BooleanField(label=_("启用"), required=False)

    field_order = ["name", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["contract"]
        for severity in ("critical", "major", "minor"):
            self.fields[f"aql_{severity}"].initial = ""

    @classmethod
    def initial_for(cls, plan: Any) -> dict[str, Any]:
        classes = {dc.severity: dc.aql for dc in plan.defect_classes.all()}
        return {
            "name": plan.name,
            "active": plan.active,
            "lot_kind": plan.lot_kind,
            "lot_description": plan.lot_description,
            "level": plan.level,
            "aql_critical": classes.get("critical", ""),
            "aql_major": classes.get("major", ""),
            "aql_minor": classes.get("minor", ""),
            "characteristics": cls.characteristics_text(plan.characteristics),
            "review_levels": review_levels_text(plan.chain()),
            "inspectors": [str(u.pk) for u in plan.inspectors.all()],
            "steady_production": plan.steady_production,
            "reduced_approved": plan.reduced_approved,
            "verify_after_days": plan.verify_after_days,
            "capa_step_days": plan.capa_step_days,
            "version": plan.version,
        }

    def service_kwargs(self) -> dict[str, Any]:
        out = super().service_kwargs()
        out["active"] = self.cleaned_data["active"]
        out["expected_version"] = self.cleaned_data["version"]
        return out


class InspectionForm(BootstrapMixin, forms.Form):
    plan = forms.ChoiceField(label=_("质量计划"))
    lot_ref = forms.CharField(label=_("批号"), max_length=100)
    period_start = forms.DateField(
        label=_("周期开始"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("周期结束"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lot_size = forms.IntegerField(
        label=_("批量"), min_value=2, required=False, help_text=_("不提供条目清单时，样本按 1..N 编号。")
    )
    items = forms.CharField(
        label=_("批中条目（每行一个）"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("如文档编号、运单号；服务记录批按周期自动取该合同的记录。"),
    )
    original = forms.BooleanField(label=_("初次提交的批"), required=False, initial=True)
    seed = forms.IntegerField(label=_("随机种子（留空自动生成）"), required=False, min_value=0)

    def __init__(self, *args: Any, plans: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(p.pk, f"{p.contract.code} · {p.name}") for p in plans]  # type: ignore[attr-defined]


class NcrForm(BootstrapMixin, forms.Form):
    contract = forms.ChoiceField(label=_("合同"))
    source = forms.ChoiceField(label=_("来源"), choices=NcrSource.choices)
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices, initial=Severity.MAJOR)
    title = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(label=_("描述"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    containment = forms.CharField(
        label=_("围堵措施"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    source_ref = forms.CharField(label=_("来源单据"), max_length=100, required=False)

    def __init__(self, *args: Any, contracts: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [(c.code, str(c)) for c in contracts]  # type: ignore[attr-defined]


class DeliverableForm(BootstrapMixin, forms.Form):
    contract = forms.ChoiceField(label=_("合同"))
    milestone = forms.ChoiceField(label=_("付款里程碑"), required=False)
    title = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    file = forms.FileField(label=_("文件"))
    note = forms.CharField(label=_("版本说明"), required=False)
    accept_milestone = forms.BooleanField(label=_("终审通过时验收该里程碑"), required=False)

    def __init__(self, *args: Any, contracts: Any = (), milestones: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [(c.code, str(c)) for c in contracts]  # type: ignore[attr-defined]
        self.fields["milestone"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(m.pk, f"{m.contract.code} · {m.name}") for m in milestones],
        ]


class VersionForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("新版本文件"))
    note = forms.CharField(label=_("修改说明"), required=False)


class EvidenceForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("证据文件"))


class ComplaintForm(BootstrapMixin, forms.Form):
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices)
    category = forms.ChoiceField(label=_("类别"), choices=ComplaintCategory.choices)
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices, initial=Severity.MINOR)
    customer = forms.CharField(label=_("客户"), max_length=100, required=False)
    description = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 3}))
    contract = forms.ChoiceField(label=_("相关合同"), required=False)
    record_ref = forms.CharField(label=_("相关记录号"), max_length=100, required=False)

    def __init__(self, *args: Any, contracts: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [("", "—"), *[(c.code, str(c)) for c in contracts]]  # type: ignore[attr-defined]


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("文件（CSV 或 Excel）"))


class CapaForm(BootstrapMixin, forms.Form):
    """The vendor's whole 8D (D1–D7) in one form: saved as a draft or submitted, never step by step.

    Field names: "D1".."D7" for each step's text, "D4_why1".."D4_why5" and "D4_categories" for the root
    cause. A service error on "D4_whys" is shown beside the first why.
    """

    WHYS = 5

    def __init__(self, *args: Any, steps: Any = (), **kwargs: Any) -> None:
        from waibao.quality.models import VENDOR_STEPS, CauseCategory

        initial: dict[str, Any] = {}
        for row in steps:
            if row.step not in VENDOR_STEPS:
                continue
            initial[row.step] = row.content
            if row.step == "D4":
                whys = list((row.data or {}).get("whys", []))
                for i in range(self.WHYS):
                    initial[f"D4_why{i + 1}"] = whys[i] if i < len(whys) else ""
                initial["D4_categories"] = list((row.data or {}).get("categories", []))
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for step in VENDOR_STEPS:
            self.fields[step.value] = forms.CharField(
                label=step.label, required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
            if step.value == "D4":
                for i in range(self.WHYS):
                    self.fields[f"D4_why{i + 1}"] = forms.CharField(
                        label=_("为什么 %(n)s") % {"n": i + 1}, required=False
                    )
                self.fields["D4_categories"] = forms.MultipleChoiceField(
                    label=_("原因类别"),
                    required=False,
                    choices=CauseCategory.choices,
                    widget=forms.CheckboxSelectMultiple,
                )
        for f in self.fields.values():
            if isinstance(f.widget, forms.Textarea | forms.TextInput):
                f.widget.attrs["class"] = "form-control form-control-sm"
            elif isinstance(f.widget, forms.CheckboxSelectMultiple):
                f.widget.attrs["class"] = "form-check-input"

    def steps(self) -> dict[str, dict[str, Any]]:
        """What was typed, as the services take it."""
        from waibao.quality.models import VENDOR_STEPS

        d = self.cleaned_data
        out: dict[str, dict[str, Any]] = {s.value: {"content": d.get(s.value, "")} for s in VENDOR_STEPS}
        out["D4"]["whys"] = [d.get(f"D4_why{i + 1}", "") for i in range(self.WHYS)]
        out["D4"]["categories"] = list(d.get("D4_categories") or [])
        return out

    def apply_error(self, exc: Any) -> None:
        """Show a service's DomainError beside the step fields it names; the message on top."""
        for name, message in exc.fields.items():
            target = "D4_why1" if name == "D4_whys" else name
            if target in self.fields:
                self.add_error(target, message)
        self.add_error(None, exc.message)


class CsatScaleForm(BootstrapMixin, forms.Form):
    contract = forms.ChoiceField(label=_("合同"))
    csat_scale = forms.ChoiceField(label=_("满意度量表"))

    def __init__(self, *args: Any, contracts: Any = (), **kwargs: Any) -> None:
        from waibao.quality.models import CsatScale

        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [(c.code, str(c)) for c in contracts]  # type: ignore[attr-defined]
        self.fields["csat_scale"].choices = CsatScale.choices  # type: ignore[attr-defined]
