"""Quality control 质量控制.

Lifecycles (only services move a status; each move is recorded with who, when and why):

    Inspection 抽检:      sampled 已抽样 → completed 已判定            (sampled → cancelled 已取消)
    Deliverable 交付物:   in_review 审核中 (level 1..n) → approved 已通过
                          in_review → returned 已退回 → in_review (a new version)
    Nonconformance 不合格: open 待处理 → capa 纠正中 → closed 已关闭
                          open → closed (with a reason, e.g. minor and contained), open/capa → cancelled
    CorrectiveAction 8D:  open 进行中 → submitted 已提交 → verifying 效果验证中 → closed 已关闭
                          submitted → open (returned), verifying → open (verification failed: reopened)
    Complaint 投诉:       new 新建 → triaged 已分派 → converted 已转不合格 / closed 已关闭
                          new → closed

An inspection stream is one class of defects of one quality plan (contract × plan × defect class, GB/T
2828.1 clause 9); its switching state lives on the stream, and every change of stage is a StreamSwitch
row that says why.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from waibao.contracts.models import CSAT_RANGES, CsatScale  # noqa: F401 (the quality app imports them from here)
from waibao.core import texts
from waibao.core.models import TimeStampedModel
from waibao.lib.sampling import AQLS, LEVELS

USER = settings.AUTH_USER_MODEL


def upload_path(instance: models.Model, filename: str) -> str:
    # The stored name never comes from the user.
    return f"quality/{instance._meta.model_name}/{uuid.uuid4().hex}"


class LotKind(models.TextChoices):
    SERVICE_RECORDS = "service_records", _("服务记录（按周期）")
    SHIPMENT = "shipment", _("发运批次")
    DOCUMENTS = "documents", _("文档批次")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("致命")
    MAJOR = "major", _("严重")
    MINOR = "minor", _("轻微")


class Stage(models.TextChoices):
    NORMAL = "normal", _("正常检验")
    TIGHTENED = "tightened", _("加严检验")
    REDUCED = "reduced", _("放宽检验")


LEVEL_CHOICES = [(v, v) for v in LEVELS]
AQL_CHOICES = [(v, v) for v in AQLS]
DEFAULT_REVIEW_LEVELS = ["初审", "二审", "终审"]
# The built-in review levels are shown in the reader's language; a level a plan names otherwise, as named.
REVIEW_LEVEL_LABELS: dict[str, Any] = {"初审": _("初审"), "二审": _("二审"), "终审": _("终审")}


def review_level_label(name: str) -> Any:
    return REVIEW_LEVEL_LABELS.get(name, name)


def review_level_key(name: str) -> str:
    """A level name as stored: a built-in level typed in any language becomes its built-in name (so it
    stays translated), any other name stays as typed."""
    from django.utils import translation

    name = name.strip()
    for code, _language in settings.LANGUAGES:
        with translation.override(code):
            for key, label in REVIEW_LEVEL_LABELS.items():
                if name == str(label):
                    return key
    return name


def review_levels_text(levels: list[str]) -> str:
    """The chain as the plan form shows it: built-in levels in the reader's language."""
    from waibao.core.texts import join_list

    return join_list(review_level_label(x) for x in levels)


class QualityPlan(TimeStampedModel):
    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("合同"), on_delete=models.CASCADE, related_name="quality_plans"
    )
    name = models.CharField(_("名称"), max_length=200)
    lot_kind = models.CharField(
        _("批的组成方式"), max_length=20, choices=LotKind.choices, default=LotKind.SERVICE_RECORDS
    )
    lot_description = models.CharField(
        _("批的说明"), max_length=200, blank=True, help_text=_("例如：一周的工单、一次发运、一批文档")
    )
    level = models.CharField(_("检验水平"), max_length=4, choices=LEVEL_CHOICES, default="II")
    # [{"name": "...", "kind": "attribute" | "variable", "lsl": x | null, "usl": x | null, "unit": "",
    #   "severity": "critical" | "major" | "minor"}]  — a measured value outside [lsl, usl] makes the
    #   sample item nonconforming for that defect class.
    characteristics = models.JSONField(_("检验特性"), default=list, blank=True)
    review_levels = models.JSONField(
        _("审核链"), default=list, blank=True, help_text=_("交付物的审核级别，依次审核")
    )
    inspectors: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, verbose_name=_("检验员"), blank=True, related_name="+"
    )
    steady_production = models.BooleanField(
        _("生产稳定"), default=True, help_text=_("GB/T 2828.1 9.3.3 b) 放宽检验的条件之一")
    )
    reduced_approved = models.BooleanField(
        _("负责部门批准放宽检验"), default=False, help_text=_("GB/T 2828.1 9.3.3 c)")
    )
    verify_after_days = models.PositiveIntegerField(_("纠正措施效果验证等待天数"), default=30)
    capa_step_days = models.PositiveIntegerField(_("8D 每步期限（天）"), default=7)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("质量计划")
        verbose_name_plural = _("质量计划")
        ordering = ["contract_id", "name"]

    def __str__(self) -> str:
        return self.name

    def chain(self) -> list[str]:
        return list(self.review_levels or DEFAULT_REVIEW_LEVELS)


class DefectClass(models.Model):
    plan = models.ForeignKey(
        QualityPlan, verbose_name=_("质量计划"), on_delete=models.CASCADE, related_name="defect_classes"
    )
    severity = models.CharField(_("缺陷类别"), max_length=10, choices=Severity.choices)
    aql = models.CharField(_("AQL"), max_length=6, choices=AQL_CHOICES)
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("缺陷类别")
        verbose_name_plural = _("缺陷类别")
        ordering = ["plan_id", "severity"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "severity"], name="quality_defect_class_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} AQL {self.aql}"


class InspectionStream(TimeStampedModel):
    """Switching state of one defect class of one plan (GB/T 2828.1 clause 9)."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="inspection_streams",
    )
    plan = models.ForeignKey(
        QualityPlan, verbose_name=_("质量计划"), on_delete=models.CASCADE, related_name="streams"
    )
    defect_class = models.OneToOneField(
        DefectClass, verbose_name=_("缺陷类别"), on_delete=models.CASCADE, related_name="stream"
    )
    stage = models.CharField(_("检验严格度"), max_length=10, choices=Stage.choices, default=Stage.NORMAL)
    switching_score = models.PositiveIntegerField(_("转移得分"), default=0)
    recent_normal = models.JSONField(_("最近正常检验批结果"), default=list, blank=True)
    tightened_consecutive_accepted = models.PositiveIntegerField(_("加严连续接收批数"), default=0)
    tightened_not_accepted = models.PositiveIntegerField(_("加严不接收批数"), default=0)
    discontinued = models.BooleanField(_("暂停检验"), default=False)

    class Meta:
        verbose_name = _("检验流")
        verbose_name_plural = _("检验流")
        ordering = ["plan_id", "defect_class__severity"]

    def __str__(self) -> str:
        return f"{self.plan} · {self.defect_class}"


class StreamSwitch(models.Model):
    stream = models.ForeignKey(
        InspectionStream, verbose_name=_("检验流"), on_delete=models.CASCADE, related_name="switches"
    )
    inspection = models.ForeignKey(
        "Inspection",
        verbose_name=_("抽检"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_stage = models.CharField(_("原严格度"), max_length=10, choices=Stage.choices)
    to_stage = models.CharField(_("新严格度"), max_length=10, choices=Stage.choices)
    discontinued = models.BooleanField(_("暂停检验"), default=False)
    reason_code = models.CharField(_("原因代码"), max_length=40)
    reason = models.TextField(_("原因"))
    actor = models.ForeignKey(
        USER, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("严格度转移")
        verbose_name_plural = _("严格度转移")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"


class InspectionStatus(models.TextChoices):
    SAMPLED = "sampled", _("已抽样")
    COMPLETED = "completed", _("已判定")
    CANCELLED = "cancelled", _("已取消")


INSPECTION_TRANSITIONS: dict[str, set[str]] = {
    InspectionStatus.SAMPLED: {InspectionStatus.COMPLETED, InspectionStatus.CANCELLED},
    InspectionStatus.COMPLETED: set(),
    InspectionStatus.CANCELLED: set(),
}


class Inspection(TimeStampedModel):
    code = models.CharField(_("编号"), max_length=20, unique=True)
    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("合同"), on_delete=models.CASCADE, related_name="inspections"
    )
    plan = models.ForeignKey(
        QualityPlan, verbose_name=_("质量计划"), on_delete=models.PROTECT, related_name="inspections"
    )
    lot_ref = models.CharField(_("批号"), max_length=100)
    lot_kind = models.CharField(_("批的类型"), max_length=20, choices=LotKind.choices)
    period_start = models.DateField(_("周期开始"), null=True, blank=True)
    period_end = models.DateField(_("周期结束"), null=True, blank=True)
    lot_size = models.PositiveIntegerField(_("批量"))
    seed = models.BigIntegerField(_("随机种子"))
    original = models.BooleanField(_("初次提交"), default=True, help_text=_("再次提交的批不计入转移规则"))
    status = models.CharField(
        _("状态"), max_length=12, choices=InspectionStatus.choices, default=InspectionStatus.SAMPLED
    )
    accepted = models.BooleanField(_("接收"), null=True, blank=True)
    inspector = models.ForeignKey(
        USER, verbose_name=_("检验员"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(_("判定时间"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("抽检")
        verbose_name_plural = _("抽检")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contract", "status"], name="quality_insp_contract_idx")]

    def __str__(self) -> str:
        return self.code


class InspectionItem(models.Model):
    """One sampled unit of the lot, in the order it was drawn."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("抽检"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveIntegerField(_("抽样序号"))
    lot_index = models.PositiveIntegerField(_("在批中的序号"))
    ref = models.CharField(_("样本标识"), max_length=200)

    class Meta:
        verbose_name = _("样本")
        verbose_name_plural = _("样本")
        ordering = ["inspection_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "position"], name="quality_item_position_unique")
        ]

    def __str__(self) -> str:
        return self.ref


class ClassResult(models.Model):
    """The plan and the decision for one defect class of one inspection."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("抽检"), on_delete=models.CASCADE, related_name="class_results"
    )
    stream = models.ForeignKey(
        InspectionStream, verbose_name=_("检验流"), on_delete=models.PROTECT, related_name="results"
    )
    severity = models.CharField(_("缺陷类别"), max_length=10, choices=Severity.choices)
    aql = models.CharField(_("AQL"), max_length=6)
    stage = models.CharField(_("检验严格度"), max_length=10, choices=Stage.choices)
    code_letter = models.CharField(_("样本量字码"), max_length=1)
    plan_code_letter = models.CharField(_("方案字码"), max_length=1)
    sample_size = models.PositiveIntegerField(_("样本量"))
    accept = models.PositiveIntegerField(_("接收数 Ac"))
    reject = models.PositiveIntegerField(_("拒收数 Re"))
    inspect_all = models.BooleanField(_("全检"), default=False)
    nonconforming = models.PositiveIntegerField(_("不合格品数"), null=True, blank=True)
    accepted = models.BooleanField(_("接收"), null=True, blank=True)

    class Meta:
        verbose_name = _("类别判定")
        verbose_name_plural = _("类别判定")
        ordering = ["inspection_id", "severity"]

    def __str__(self) -> str:
        return f"{self.inspection_id} {self.severity}"


class Finding(models.Model):
    """A nonconforming sample item for one defect class (absence of a row means conforming)."""

    item = models.ForeignKey(
        InspectionItem, verbose_name=_("样本"), on_delete=models.CASCADE, related_name="findings"
    )
    severity = models.CharField(_("缺陷类别"), max_length=10, choices=Severity.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    # Names of the plan's check items (attribute characteristics) this unit failed in this class.
    checks = models.JSONField(_("不合格的检验项目"), default=list, blank=True)

    class Meta:
        verbose_name = _("不合格发现")
        verbose_name_plural = _("不合格发现")
        constraints = [models.UniqueConstraint(fields=["item", "severity"], name="quality_finding_unique")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.severity}"


class Measurement(models.Model):
    """A measured value of a variable characteristic on one sample item.

    The limits and the defect class are copied from the plan when the value is recorded, so a later
    change of the plan does not change what this inspection measured against.
    """

    item = models.ForeignKey(
        InspectionItem, verbose_name=_("样本"), on_delete=models.CASCADE, related_name="measurements"
    )
    characteristic = models.CharField(_("检验特性"), max_length=200)
    severity = models.CharField(_("缺陷类别"), max_length=10, choices=Severity.choices)
    value = models.FloatField(_("测量值"))
    lsl = models.FloatField(_("规格下限"), null=True, blank=True)
    usl = models.FloatField(_("规格上限"), null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    conforming = models.BooleanField(_("在规格内"))

    class Meta:
        verbose_name = _("测量值")
        verbose_name_plural = _("测量值")
        ordering = ["item_id", "characteristic"]
        constraints = [
            models.UniqueConstraint(fields=["item", "characteristic"], name="quality_measurement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.characteristic}={self.value}"


# --- deliverables and multi-level review -------------------------------------------------------


class DeliverableStatus(models.TextChoices):
    IN_REVIEW = "in_review", _("审核中")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已通过")


DELIVERABLE_TRANSITIONS: dict[str, set[str]] = {
    DeliverableStatus.IN_REVIEW: {
        DeliverableStatus.IN_REVIEW,
        DeliverableStatus.RETURNED,
        DeliverableStatus.APPROVED,
    },
    DeliverableStatus.RETURNED: {DeliverableStatus.IN_REVIEW},
    DeliverableStatus.APPROVED: set(),
}


class Deliverable(TimeStampedModel):
    code = models.CharField(_("编号"), max_length=20, unique=True)
    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("合同"), on_delete=models.CASCADE, related_name="deliverables"
    )
    milestone = models.ForeignKey(
        "contracts.PaymentMilestone",
        verbose_name=_("付款里程碑"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliverables",
    )
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    review_levels = models.JSONField(_("审核链"), default=list)
    level = models.PositiveSmallIntegerField(
        _("当前审核级别"), default=0, help_text=_("从 0 开始，指向审核链中的级别")
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=DeliverableStatus.choices, default=DeliverableStatus.IN_REVIEW
    )
    accept_milestone = models.BooleanField(_("终审通过时验收里程碑"), default=False)
    submitted_by = models.ForeignKey(
        USER, verbose_name=_("提交人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("通过时间"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "交付物")  # one object (English is plural in lists)
        verbose_name_plural = _("交付物")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def level_name(self) -> str:
        levels = self.review_levels or DEFAULT_REVIEW_LEVELS
        return str(levels[min(self.level, len(levels) - 1)])

    @property
    def level_label(self) -> Any:
        return review_level_label(self.level_name)


class DeliverableVersion(models.Model):
    deliverable = models.ForeignKey(
        Deliverable, verbose_name=_("交付物"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    file = models.FileField(_("文件"), upload_to=upload_path)
    file_name = models.CharField(_("原文件名"), max_length=255)
    file_type = models.CharField(_("文件类型"), max_length=10)
    size = models.PositiveIntegerField(_("大小（字节）"))
    note = models.TextField(_("版本说明"), blank=True)
    uploaded_by = models.ForeignKey(
        USER, verbose_name=_("上传人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("交付物版本")
        verbose_name_plural = _("交付物版本")
        ordering = ["deliverable_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["deliverable", "number"], name="quality_deliverable_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.number} {self.file_name}"


class ReviewDecisionKind(models.TextChoices):
    APPROVE = "approve", _("通过")
    RETURN = "return", _("退回")


class ReviewDecision(models.Model):
    deliverable = models.ForeignKey(
        Deliverable, verbose_name=_("交付物"), on_delete=models.CASCADE, related_name="decisions"
    )
    version = models.ForeignKey(
        DeliverableVersion, verbose_name=_("版本"), on_delete=models.CASCADE, related_name="decisions"
    )
    level = models.PositiveSmallIntegerField(_("审核级别"))
    level_name = models.CharField(_("级别名称"), max_length=40)
    decision = models.CharField(_("结论"), max_length=10, choices=ReviewDecisionKind.choices)
    comment = models.TextField(_("意见"), blank=True)
    reviewer = models.ForeignKey(
        USER, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("审核意见")
        verbose_name_plural = _("审核意见")
        ordering = ["deliverable_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.level_name} {self.decision}"

    @property
    def level_label(self) -> Any:
        return review_level_label(self.level_name)


# --- nonconformance and 8D ------------------------------------------------------------------------


class NcrSource(models.TextChoices):
    INSPECTION = "inspection", _("抽检")
    REVIEW = "review", _("审核退回")
    COMPLAINT = "complaint", _("客户投诉")
    AUDIT = "audit", _("审核/稽核")
    SLA = "sla", _("SLA 未达标")
    OTHER = "other", _("其他")


class NcrStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    CAPA = "capa", _("纠正中")
    CLOSED = "closed", _("已关闭")
    CANCELLED = "cancelled", _("已取消")


NCR_TRANSITIONS: dict[str, set[str]] = {
    NcrStatus.OPEN: {NcrStatus.CAPA, NcrStatus.CLOSED, NcrStatus.CANCELLED},
    NcrStatus.CAPA: {NcrStatus.CLOSED, NcrStatus.CANCELLED},
    NcrStatus.CLOSED: set(),
    NcrStatus.CANCELLED: set(),
}


class Nonconformance(TimeStampedModel):
    code = models.CharField(_("编号"), max_length=20, unique=True)
    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("合同"), on_delete=models.CASCADE, related_name="nonconformances"
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", verbose_name=_("供应商"), on_delete=models.CASCADE, related_name="nonconformances"
    )
    source = models.CharField(_("来源"), max_length=12, choices=NcrSource.choices)
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    # A title or description the system wrote (from an inspection, an SLA breach, a complaint) is also kept
    # as a message (core.texts) and shown in the reader's language; one a person typed has none.
    title_message = models.JSONField(_("标题消息"), null=True, blank=True)
    description_message = models.JSONField(_("描述消息"), null=True, blank=True)
    containment = models.TextField(_("围堵措施"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=NcrStatus.choices, default=NcrStatus.OPEN)
    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("抽检"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nonconformances",
    )
    deliverable = models.ForeignKey(
        Deliverable,
        verbose_name=_("交付物"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nonconformances",
    )
    source_ref = models.CharField(_("来源单据"), max_length=100, blank=True)
    raised_by = models.ForeignKey(
        USER, verbose_name=_("提出人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(_("提出时间"))
    vendor_notified_at = models.DateTimeField(_("通知供应商时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    close_reason = models.TextField(_("关闭说明"), blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "不合格")  # one object (English is plural in lists)
        verbose_name_plural = _("不合格")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["vendor", "status"], name="quality_ncr_vendor_idx")]

    def __str__(self) -> str:
        # Kept as text by the audit trail: a generated title (language-dependent) is left out there, the
        # code names the nonconformance in every language.
        return self.code if self.title_message else f"{self.code} {self.title}"

    @property
    def shown_title(self) -> str:
        return texts.render(self.title_message, self.title)

    @property
    def shown_description(self) -> str:
        return texts.render(self.description_message, self.description)

    def title_text(self) -> texts.Later | str:
        """The title to put inside another message (a notification): rendered when that one is read."""
        return texts.stored(self.title_message, self.title)


class Evidence(models.Model):
    ncr = models.ForeignKey(
        Nonconformance, verbose_name=_("不合格"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("文件"), upload_to=upload_path)
    file_name = models.CharField(_("原文件名"), max_length=255)
    file_type = models.CharField(_("文件类型"), max_length=10)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        USER, verbose_name=_("上传人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("证据文件")
        verbose_name_plural = _("证据文件")
        ordering = ["ncr_id", "at"]

    def __str__(self) -> str:
        return self.file_name


class CapaStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("8D status", "进行中")  # "In progress" (an import job is "Running")
    SUBMITTED = "submitted", _("已提交")
    VERIFYING = "verifying", _("效果验证中")
    CLOSED = "closed", _("已关闭")


CAPA_TRANSITIONS: dict[str, set[str]] = {
    CapaStatus.OPEN: {CapaStatus.SUBMITTED},
    CapaStatus.SUBMITTED: {CapaStatus.OPEN, CapaStatus.VERIFYING},
    CapaStatus.VERIFYING: {CapaStatus.CLOSED, CapaStatus.OPEN},
    CapaStatus.CLOSED: set(),
}


class Step(models.TextChoices):
    D1 = "D1", _("D1 成立小组")
    D2 = "D2", _("D2 问题描述")
    D3 = "D3", _("D3 临时围堵措施")
    D4 = "D4", _("D4 根本原因分析")
    D5 = "D5", _("D5 永久纠正措施")
    D6 = "D6", _("D6 实施与预防措施")
    D7 = "D7", _("D7 预防再发生")
    D8 = "D8", _("D8 效果验证与结案")


VENDOR_STEPS = [Step.D1, Step.D2, Step.D3, Step.D4, Step.D5, Step.D6, Step.D7]


class CauseCategory(models.TextChoices):
    PEOPLE = "people", _("人")
    METHOD = "method", _("法")
    MACHINE = "machine", _("机")
    MATERIAL = "material", _("料")
    MEASUREMENT = "measurement", _("测")
    ENVIRONMENT = "environment", _("环")


class CorrectiveAction(TimeStampedModel):
    code = models.CharField(_("编号"), max_length=20, unique=True)
    ncr = models.OneToOneField(
        Nonconformance, verbose_name=_("不合格"), on_delete=models.CASCADE, related_name="capa"
    )
    status = models.CharField(_("状态"), max_length=10, choices=CapaStatus.choices, default=CapaStatus.OPEN)
    verify_after = models.DateField(
        _("验证日期"), null=True, blank=True, help_text=_("在此日期之后由采购方验证效果")
    )
    verification_note = models.TextField(_("验证说明"), blank=True)
    reopen_count = models.PositiveIntegerField(_("重开次数"), default=0)
    opened_by = models.ForeignKey(
        USER, verbose_name=_("发起人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("纠正措施（8D）")
        verbose_name_plural = _("纠正措施（8D）")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.code

    @staticmethod
    def audit_change_fields() -> dict[str, tuple[Any, Any]]:
        """Labels (and choices) of the step keys the 8D's history records ("D1", "D4_whys", "D4_categories"),
        for core's history renderer."""
        fields: dict[str, tuple[Any, Any]] = {str(s.value): (s.label, None) for s in Step}
        fields["D4_whys"] = (_("D4 为什么"), None)
        fields["D4_categories"] = (_("D4 原因类别"), CauseCategory.choices)
        return fields


class CapaStep(models.Model):
    capa = models.ForeignKey(
        CorrectiveAction, verbose_name=_("纠正措施"), on_delete=models.CASCADE, related_name="steps"
    )
    step = models.CharField(_("步骤"), max_length=2, choices=Step.choices)
    due_date = models.DateField(pgettext_lazy("deadline", "期限"))  # "Due" (a contract's "期限" is its term)
    content = models.TextField(_("内容"), blank=True)
    # D4 only: {"whys": ["...", ...], "categories": ["people", ...]}
    data = models.JSONField(_("结构化内容"), default=dict, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        USER, verbose_name=_("填写人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("8D 步骤")
        verbose_name_plural = _("8D 步骤")
        ordering = ["capa_id", "step"]
        constraints = [models.UniqueConstraint(fields=["capa", "step"], name="quality_capa_step_unique")]

    def __str__(self) -> str:
        return str(self.get_step_display())


# --- complaints and satisfaction ----------------------------------------------------------------


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    EMAIL = "email", _("邮件")
    ONLINE = "online", _("在线客服")
    SOCIAL = "social", _("社交媒体")
    STORE = "store", _("门店")
    REGULATOR = "regulator", _("监管/12315")
    OTHER = "other", _("其他")


class ComplaintCategory(models.TextChoices):
    ATTITUDE = "attitude", _("服务态度")
    QUALITY = "quality", _("服务/产品质量")
    DELAY = "delay", _("响应或交付延迟")
    BILLING = "billing", _("费用争议")
    PRIVACY = "privacy", _("信息安全/隐私")
    OTHER = "other", _("其他")


class ComplaintStatus(models.TextChoices):
    NEW = "new", _("新建")
    TRIAGED = "triaged", _("已分派")
    CONVERTED = "converted", _("已转不合格")
    CLOSED = "closed", _("已关闭")


COMPLAINT_TRANSITIONS: dict[str, set[str]] = {
    ComplaintStatus.NEW: {ComplaintStatus.TRIAGED, ComplaintStatus.CLOSED},
    ComplaintStatus.TRIAGED: {ComplaintStatus.CONVERTED, ComplaintStatus.CLOSED, ComplaintStatus.TRIAGED},
    ComplaintStatus.CONVERTED: set(),
    ComplaintStatus.CLOSED: set(),
}


class Complaint(TimeStampedModel):
    code = models.CharField(_("编号"), max_length=20, unique=True)
    received_at = models.DateTimeField(_("接收时间"))
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    category = models.CharField(_("类别"), max_length=12, choices=ComplaintCategory.choices)
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices)
    customer = models.CharField(_("客户"), max_length=100, blank=True)
    description = models.TextField(_("内容"))
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    record_ref = models.CharField(_("相关记录号"), max_length=100, blank=True)
    vendor = models.ForeignKey(
        "vendors.Vendor",
        verbose_name=_("责任供应商"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.NEW
    )
    vendor_caused = models.BooleanField(_("供应商原因"), null=True, blank=True)
    triage_note = models.TextField(_("分派说明"), blank=True)
    ncr = models.OneToOneField(
        Nonconformance,
        verbose_name=_("不合格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaint",
    )
    created_by = models.ForeignKey(
        USER, verbose_name=_("录入人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "客户投诉")  # one object (English is plural in lists)
        verbose_name_plural = _("客户投诉")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return self.code


class SatisfactionResult(TimeStampedModel):
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="satisfaction_results",
    )
    period = models.CharField(_("期间"), max_length=7, help_text=_("YYYY-MM"))
    csat = models.DecimalField(_("满意度 CSAT"), max_digits=5, decimal_places=2, null=True, blank=True)
    csat_scale = models.CharField(
        _("满意度量表"), max_length=10, choices=CsatScale.choices, default=CsatScale.PERCENT
    )
    nps = models.DecimalField(_("净推荐值 NPS"), max_digits=5, decimal_places=1, null=True, blank=True)
    responses = models.PositiveIntegerField(_("样本数"), default=0)
    source = models.CharField(_("来源"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("满意度结果")
        verbose_name_plural = _("满意度结果")
        ordering = ["contract_id", "period"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "period"], name="quality_satisfaction_unique"),
            models.CheckConstraint(
                condition=models.Q(csat__isnull=True) | models.Q(csat__gte=0, csat__lte=100),
                name="quality_csat_0_100",
            ),
            models.CheckConstraint(
                condition=models.Q(nps__isnull=True) | models.Q(nps__gte=-100, nps__lte=100),
                name="quality_nps_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.period}"


class SpcAlert(models.Model):
    """One early-warning per (contract, series, point): what makes the SPC scan idempotent."""

    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("合同"), on_delete=models.CASCADE, related_name="spc_alerts"
    )
    series = models.CharField(_("序列"), max_length=100)
    point = models.CharField(_("数据点"), max_length=40)
    rules = models.JSONField(_("触发规则"), default=list)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("统计预警")
        verbose_name_plural = _("统计预警")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "series", "point"], name="quality_spc_alert_unique")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.point}"
