"""Contracts 合同, their clauses, approvals, milestones, price adjustment, versions and SLA metrics.

Lifecycle (only services move a contract along these arrows, recording who, when and why):

    draft 草稿 → in_approval 审批中 → active 生效 ⇄ suspended 暂停
                   ↓ (returned)           ↓            ↓
                 draft               expired 到期 / terminated 终止 (date and reason)

Approval walks a configurable chain of levels (default: outsourcing manager → finance → admin); each
level approves or returns with a comment.  Amendments 变更 go through the same chain and, once approved,
produce a new :class:`ContractVersion` whose JSON snapshot holds the full terms (including SLA metrics)
and the date from which it is in force; SLA results are computed against the version in force.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from waibao.calendars.models import Calendar
from waibao.core.models import StatusChangeBase, StoredDocumentBase, TimeStampedModel
from waibao.vendors.models import Category, Vendor


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_APPROVAL = "in_approval", _("审批中")
    ACTIVE = "active", _("生效")
    SUSPENDED = "suspended", _("暂停")
    EXPIRED = "expired", _("到期")
    TERMINATED = "terminated", _("终止")


TRANSITIONS: dict[str, set[str]] = {
    ContractStatus.DRAFT: {ContractStatus.IN_APPROVAL, ContractStatus.TERMINATED},
    ContractStatus.IN_APPROVAL: {ContractStatus.ACTIVE, ContractStatus.DRAFT},
    ContractStatus.ACTIVE: {ContractStatus.SUSPENDED, ContractStatus.EXPIRED, ContractStatus.TERMINATED},
    ContractStatus.SUSPENDED: {ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED},
    ContractStatus.EXPIRED: set(),
    ContractStatus.TERMINATED: set(),
}
#: Statuses in which the contract's terms bind the parties (SLA results are computed).
IN_FORCE = frozenset({ContractStatus.ACTIVE, ContractStatus.SUSPENDED})


class RenewalType(models.TextChoices):
    FIXED = "fixed_term", _("固定期限")
    AUTO = "auto_renew", _("自动续约")
    EVERGREEN = "evergreen", _("无固定期限")


class RenewalDecision(models.TextChoices):
    NONE = "", _("未决定")
    RENEW = "renew", _("续约")
    RENEGOTIATE = "renegotiate", _("重新谈判")
    NOT_RENEW = "not_renew", _("不续约")


class ClauseType(models.TextChoices):
    SCOPE = "scope", _("服务范围")
    QUALITY = "quality", _("质量标准")
    PAYMENT = "payment", _("付款方式")
    CONFIDENTIALITY = "confidentiality", _("保密")
    LIABILITY = "liability", _("违约责任")
    DATA_SECURITY = "data_security", _("数据安全")
    IP = "ip", _("知识产权")
    PRICE_ADJUSTMENT = "price_adjustment", _("价格调整")
    EXIT = "exit", _("退出机制")
    DISPUTE = "dispute", _("争议解决")


#: Required by default (the seeds' list); admins change it with :class:`ClauseRule` rows.
DEFAULT_REQUIRED_CLAUSES: tuple[str, ...] = (
    ClauseType.SCOPE,
    ClauseType.QUALITY,
    ClauseType.PAYMENT,
    ClauseType.CONFIDENTIALITY,
    ClauseType.LIABILITY,
    ClauseType.DATA_SECURITY,
    ClauseType.EXIT,
)


def upload_path(instance: models.Model, filename: str) -> str:
    contract = getattr(instance, "contract", None)
    vendor_id = getattr(contract, "vendor_id", "x")
    return f"contracts/{vendor_id}/{uuid.uuid4().hex}"


class CsatScale(models.TextChoices):
    """The one scale a contract's CSAT is given in: each service record's rating, the survey results the
    quality app records, and the SLA metrics that average them."""

    PERCENT = "percent", _("0–100 %")
    SCORE5 = "score5", _("1–5 分")
    SCORE10 = "score10", _("0–10 分")


#: The lowest and highest value of each CSAT scale.
CSAT_RANGES: dict[str, tuple[int, int]] = {
    CsatScale.PERCENT: (0, 100),
    CsatScale.SCORE5: (1, 5),
    CsatScale.SCORE10: (0, 10),
}


class Contract(TimeStampedModel):
    code = models.CharField(_("合同编号"), max_length=20, unique=True)
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("供应商"), on_delete=models.PROTECT, related_name="contracts"
    )
    title = models.CharField(_("合同名称"), max_length=200)
    category = models.CharField(_("服务类别"), max_length=30, choices=Category.choices)
    scope = models.TextField(_("服务范围"), blank=True)
    objectives = models.TextField(_("服务目标"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contracts",
    )
    department = models.CharField(_("部门"), max_length=100, blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True, db_index=True)
    renewal_type = models.CharField(
        _("续约方式"), max_length=20, choices=RenewalType.choices, default=RenewalType.FIXED
    )
    notice_days = models.PositiveIntegerField(_("通知期（天）"), default=30)
    renewal_lead_days = models.PositiveIntegerField(_("续约提醒提前（天）"), default=90)
    renewal_decision = models.CharField(
        _("续约决定"), max_length=20, choices=RenewalDecision.choices, default="", blank=True
    )
    renewal_decided_at = models.DateTimeField(_("续约决定时间"), null=True, blank=True)
    total_value = models.DecimalField(_("合同总额"), max_digits=16, decimal_places=2, default=0)
    monthly_fee = models.DecimalField(_("月服务费"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    credit_cap_percent = models.DecimalField(
        _("服务抵扣上限（月费%）"), max_digits=5, decimal_places=2, default=15
    )
    bonus_cap_percent = models.DecimalField(
        _("奖励上限（月费%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    current_version = models.PositiveIntegerField(_("当前合同版本"), default=1)
    approval_round = models.PositiveIntegerField(_("审批轮次"), default=0)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    terminated_on = models.DateField(_("终止日期"), null=True, blank=True)
    termination_reason = models.TextField(_("终止原因"), blank=True)
    custom_fields = models.JSONField(_("自定义字段"), default=dict, blank=True)
    # Kept on the contract (not in the quality app) because the delivery app checks each record's rating
    # against it, and apps depend one way: delivery and quality both read contracts.
    csat_scale = models.CharField(
        _("满意度量表"), max_length=10, choices=CsatScale.choices, default=CsatScale.PERCENT
    )

    class Meta:
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        ordering = ["-start_date", "-code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="contract_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(credit_cap_percent__lte=100), name="contract_credit_cap_le_100"
            ),
        ]
        indexes = [models.Index(fields=["status", "end_date"], name="contract_status_end_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def allowed_moves(self) -> list[str]:
        return sorted(TRANSITIONS[self.status])

    @property
    def is_in_force(self) -> bool:
        return self.status in IN_FORCE


class StatusChange(StatusChangeBase):
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("原状态"), max_length=20, choices=ContractStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=ContractStatus.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("合同状态变更")
        verbose_name_plural = _("合同状态变更")

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.from_status} → {self.to_status}"


class ClauseRule(models.Model):
    """Whether a clause type is required before a contract may be submitted (absent row: the default)."""

    clause_type = models.CharField(_("条款类型"), max_length=30, choices=ClauseType.choices, unique=True)
    required = models.BooleanField(_("必备"), default=True)

    class Meta:
        verbose_name = _("必备条款设置")
        verbose_name_plural = _("必备条款设置")
        ordering = ["clause_type"]

    def __str__(self) -> str:
        return f"{self.get_clause_type_display()}: {self.required}"


class ClauseTemplate(TimeStampedModel):
    """The clause library 条款库: reusable texts."""

    clause_type = models.CharField(_("条款类型"), max_length=30, choices=ClauseType.choices)
    title = models.CharField(_("标题"), max_length=200)
    text = models.TextField(_("条款内容"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("条款模板")
        verbose_name_plural = _("条款库")
        ordering = ["clause_type", "title"]

    def __str__(self) -> str:
        return self.title


class Clause(TimeStampedModel):
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="clauses"
    )
    clause_type = models.CharField(_("条款类型"), max_length=30, choices=ClauseType.choices)
    title = models.CharField(_("标题"), max_length=200)
    text = models.TextField(_("条款内容"))
    position = models.PositiveIntegerField(_("顺序"), default=0)
    template = models.ForeignKey(
        ClauseTemplate,
        verbose_name=_("来源模板"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "合同条款")  # one object (English is plural in lists)
        verbose_name_plural = _("合同条款")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


# The built-in approval levels, by the role that decides them, shown in the reader's language. A level an
# administrator named keeps its name as typed.
DEFAULT_LEVEL_NAMES: dict[str, Any] = {
    "manager": _("外包经理"),
    "finance": _("财务"),
    "admin": _("系统管理员"),
}


def level_key_for(role: str, name: str) -> str:
    """The built-in level a (role, name) pair is — its role — when the name is empty or the built-in name in
    one of the languages; "" for a level an administrator named."""
    from django.utils import translation

    label = DEFAULT_LEVEL_NAMES.get(role)
    if label is None:
        return ""
    name = (name or "").strip()
    if not name:
        return role
    for code, _language in settings.LANGUAGES:
        with translation.override(code):
            if name == str(label):
                return role
    return ""


class ApprovalLevel(models.Model):
    """One level of the approval chain (absent rows: manager → finance → admin)."""

    position = models.PositiveIntegerField(_("顺序"), unique=True)
    name = models.CharField(_("名称"), max_length=100)
    role = models.CharField(_("审批角色"), max_length=20)

    class Meta:
        verbose_name = _("审批层级")
        verbose_name_plural = _("审批链")
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("待前序审批")
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已通过")
    RETURNED = "returned", _("已退回")
    CANCELLED = "cancelled", _("已取消")


class AmendmentStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_APPROVAL = "in_approval", _("审批中")
    APPROVED = "approved", _("已批准")
    RETURNED = "returned", _("已退回")
    CANCELLED = "cancelled", _("已撤销")


class Amendment(TimeStampedModel):
    """A change request 变更: the proposed terms (``changes``) and why; approved → a new version."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="amendments"
    )
    number = models.PositiveIntegerField(_("变更序号"))
    title = models.CharField(_("变更事项"), max_length=200)
    reason = models.TextField(_("变更原因"))
    changes = models.JSONField(_("变更内容"), default=dict)
    effective_from = models.DateField(_("生效日期"))
    status = models.CharField(
        _("状态"), max_length=20, choices=AmendmentStatus.choices, default=AmendmentStatus.DRAFT
    )
    approval_round = models.PositiveIntegerField(_("审批轮次"), default=0)
    resulting_version = models.PositiveIntegerField(_("生成版本"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("合同变更")
        verbose_name_plural = _("合同变更")
        ordering = ["contract", "number"]
        constraints = [models.UniqueConstraint(fields=["contract", "number"], name="amendment_number_unique")]

    def __str__(self) -> str:
        return f"{self.contract.code} #{self.number} {self.title}"


class ApprovalStep(models.Model):
    """One level's decision in one approval round of a contract (or of an amendment, when set)."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="approval_steps"
    )
    amendment = models.ForeignKey(
        Amendment,
        verbose_name=_("变更"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="approval_steps",
    )
    round = models.PositiveIntegerField(_("轮次"))
    position = models.PositiveIntegerField(_("顺序"))
    level_name = models.CharField(_("审批层级"), max_length=100)
    # The built-in level's key (its role) when the step is one: its name is then shown in the reader's
    # language; empty when an administrator named the level (shown as named).
    level_key = models.CharField(_("内置层级"), max_length=20, blank=True, default="")
    role = models.CharField(_("审批角色"), max_length=20)
    status = models.CharField(
        _("状态"), max_length=20, choices=StepStatus.choices, default=StepStatus.WAITING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    comment = models.TextField(_("意见"), blank=True)

    class Meta:
        verbose_name = _("审批步骤")
        verbose_name_plural = _("审批步骤")
        ordering = ["contract", "amendment", "round", "position"]
        indexes = [models.Index(fields=["status", "role"], name="approval_step_pending_idx")]

    def __str__(self) -> str:
        return f"{self.level_label} ({self.get_status_display()})"

    @property
    def level_label(self) -> Any:
        """The level's name for the reader: a built-in level in their language, a named one as named."""
        return DEFAULT_LEVEL_NAMES.get(self.level_key) or self.level_name


class MilestoneTrigger(models.TextChoices):
    DATE = "date", _("到期日")
    ACCEPTANCE = "acceptance", _("交付物验收")
    MONTHLY = "monthly", _("按月")


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("计划")
    DUE = "due", _("到期")
    ACCEPTED = "accepted", _("已验收")
    PAID = "paid", _("已付款")


MILESTONE_TRANSITIONS: dict[str, set[str]] = {
    MilestoneStatus.PLANNED: {MilestoneStatus.DUE, MilestoneStatus.ACCEPTED},
    MilestoneStatus.DUE: {MilestoneStatus.ACCEPTED},
    MilestoneStatus.ACCEPTED: {MilestoneStatus.PAID},
    MilestoneStatus.PAID: set(),
}


class PaymentMilestone(TimeStampedModel):
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="milestones"
    )
    name = models.CharField(_("名称"), max_length=200)
    trigger = models.CharField(
        _("触发条件"), max_length=20, choices=MilestoneTrigger.choices, default=MilestoneTrigger.DATE
    )
    due_date = models.DateField(_("到期日"), null=True, blank=True, db_index=True)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    percent = models.DecimalField(_("占合同总额%"), max_digits=5, decimal_places=2, null=True, blank=True)
    acceptance_criteria = models.TextField(_("验收标准"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("验收人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acceptance_note = models.TextField(_("验收说明"), blank=True)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "付款节点")  # one object (English is plural in lists)
        verbose_name_plural = _("付款节点")
        ordering = ["position", "due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gte=0, percent__lte=100),
                name="milestone_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def amount_due(self) -> Any:
        """The amount, or the percent of the contract's total value."""
        if self.amount is not None:
            return self.amount
        if self.percent is not None:
            from decimal import ROUND_HALF_UP, Decimal

            return (self.contract.total_value * self.percent / Decimal(100)).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            )
        return None


class IndexKind(models.TextChoices):
    PRICE_INDEX = "price_index", _("价格指数")
    WAGE = "wage", _("工资水平")
    FX = "fx", _("汇率")
    OTHER = "other", _("其他")


class AdjustmentFormula(models.TextChoices):
    SHARED_EXCESS = "shared_excess", _("超出阈值部分按比例分担")
    FULL_CHANGE = "full_change", _("超过阈值后全部变动按比例调整")


class PriceAdjustmentClause(TimeStampedModel):
    """价格调整: when the index moves more than ``threshold_percent`` from ``base_value``, the fee adjusts.

    ``shared_excess``: fee × (1 + sign × (|change| − threshold) × share%), e.g. the change beyond 5 % shared
    50/50; ``full_change``: fee × (1 + change × share%) once the threshold is crossed.
    """

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="price_adjustments"
    )
    index_name = models.CharField(_("指数名称"), max_length=200)
    index_kind = models.CharField(
        _("指数类型"), max_length=20, choices=IndexKind.choices, default=IndexKind.PRICE_INDEX
    )
    base_value = models.DecimalField(_("基准值"), max_digits=16, decimal_places=4)
    base_date = models.DateField(_("基准日期"), null=True, blank=True)
    threshold_percent = models.DecimalField(_("触发阈值%"), max_digits=6, decimal_places=2, default=5)
    share_percent = models.DecimalField(_("调整分担比例%"), max_digits=5, decimal_places=2, default=50)
    formula = models.CharField(
        _("调整公式"),
        max_length=20,
        choices=AdjustmentFormula.choices,
        default=AdjustmentFormula.SHARED_EXCESS,
    )
    notes = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("价格调整条款")
        verbose_name_plural = _("价格调整条款")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.index_name


class IndexValue(models.Model):
    clause = models.ForeignKey(
        PriceAdjustmentClause, verbose_name=_("价格调整条款"), on_delete=models.CASCADE, related_name="values"
    )
    on_date = models.DateField(_("日期"))
    value = models.DecimalField(_("指数值"), max_digits=16, decimal_places=4)
    change_percent = models.DecimalField(_("较基准变动%"), max_digits=9, decimal_places=2)
    crossed = models.BooleanField(_("超过阈值"), default=False)
    proposed_fee = models.DecimalField(
        _("建议月服务费"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("录入时间"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("指数值")
        verbose_name_plural = _("指数值")
        ordering = ["-on_date", "-id"]

    def __str__(self) -> str:
        return f"{self.clause_id} {self.on_date}: {self.value}"


class ContractVersion(models.Model):
    """An immutable snapshot of the full terms, in force from ``effective_from``."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    effective_from = models.DateField(_("生效日期"))
    snapshot = models.JSONField(_("条款快照"))
    amendment = models.ForeignKey(
        Amendment,
        verbose_name=_("来源变更"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(
        _("说明"), max_length=200, blank=True, help_text=_("没有来源变更的版本（如自动续约）为何产生")
    )
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("合同版本")
        verbose_name_plural = _("合同版本")
        ordering = ["contract", "number"]
        constraints = [models.UniqueConstraint(fields=["contract", "number"], name="contract_version_unique")]

    def __str__(self) -> str:
        return f"{self.contract_id} v{self.number}"


class RecordKind(models.TextChoices):
    TICKET = "ticket", _("工单")
    ORDER = "order", _("订单")
    DELIVERY = "delivery", _("配送")
    WORK_ITEM = "work_item", _("工作项")
    CALL = "call", _("呼叫")
    OTHER = "other", _("其他")


class SlaMetric(TimeStampedModel):
    """One SLA metric of a contract; ``definition`` is ``slamath.MetricDef.to_dict()``."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="sla_metrics"
    )
    name = models.CharField(_("指标名称"), max_length=200)
    record_kind = models.CharField(_("记录类型"), max_length=30, blank=True)
    definition = models.JSONField(_("指标定义"))
    calendar = models.ForeignKey(
        Calendar, verbose_name=_("工作日历"), on_delete=models.PROTECT, related_name="sla_metrics"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    retired = models.BooleanField(
        _("已停用"), default=False, help_text=_("被后续合同版本移除的指标保留以便追溯")
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "SLA 指标")  # one object (English is plural in lists)
        verbose_name_plural = _("SLA 指标")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ContractDocument(StoredDocumentBase):
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="documents"
    )
    is_signed_copy = models.BooleanField(_("签署版"), default=True)
    # The buyer's own papers kept with the contract (evaluations, negotiation notes): vendor users do not
    # see them (contracts.visibility).
    internal = models.BooleanField(_("仅内部可见"), default=False, help_text=_("供应商用户看不到内部文件。"))
    file = models.FileField(_("文件"), upload_to=upload_path)

    class Meta(StoredDocumentBase.Meta):
        verbose_name = _("合同文件")
        verbose_name_plural = _("合同文件")
