"""Delivery monitoring 服务交付与过程监控: service records, imports, daily aggregates, SLA results.

Flow of data::

    file / batch API / manual entry / accepted dispute
        └─> rows.clean_row (one validation) ─> ingest: StagedRecord (per job) ─> one transaction:
              ServiceRecord upsert + DailyAggregate deltas + SlaResult recompute (or SlaAdjustment
              when the period is closed)

Import job:   queued → running → succeeded | rejected (all-or-nothing, bad rows) | failed | cancelled
Dispute:      open → accepted (record corrected, results recomputed) | rejected
Result:       open (recomputed on every change) → closed (by a user, after the grace period);
              later changes add SlaAdjustment rows instead of rewriting a closed result.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from waibao.contracts.models import Contract, RecordKind, SlaMetric
from waibao.core.jobs import Leased
from waibao.core.models import TimeStampedModel


class ServiceRecord(TimeStampedModel):
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="service_records"
    )
    external_id = models.CharField(_("记录编号"), max_length=100)
    kind = models.CharField(_("记录类型"), max_length=30, choices=RecordKind.choices)
    opened_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    promised_at = models.DateTimeField(_("承诺时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    priority = models.CharField(_("优先级"), max_length=20, blank=True)
    category = models.CharField(_("类别"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=30, blank=True)
    csat = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    defect = models.BooleanField(_("缺陷"), null=True, blank=True)
    pauses = models.JSONField(_("暂停区间"), default=list, blank=True)
    custom = models.JSONField(_("自定义字段"), default=dict, blank=True)
    # The local date the record counts in (opened_at, else promised_at): the key of the daily aggregates.
    day = models.DateField(_("计量日期"))
    fingerprint = models.CharField(_("内容指纹"), max_length=16)
    last_job = models.ForeignKey(
        "ImportJob",
        verbose_name=_("最近导入"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = pgettext_lazy("model", "服务记录")  # one object (English is plural in lists)
        verbose_name_plural = _("服务记录")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "external_id"], name="record_external_id_unique"),
            # The widest CSAT scale (0–100 %); the contract's own scale is checked on the way in (rows.py).
            models.CheckConstraint(
                condition=models.Q(csat__isnull=True) | models.Q(csat__gte=0, csat__lte=100),
                name="record_csat_0_100",
            ),
        ]
        indexes = [models.Index(fields=["contract", "day"], name="record_contract_day_idx")]

    def __str__(self) -> str:
        return self.external_id


class ImportPolicy(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("全部有效才导入")
    VALID_ROWS = "valid_rows", _("导入有效行，错误行留在错误文件")


class JobStatus(models.TextChoices):
    MAPPING = "mapping", _("待映射列")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    REJECTED = "rejected", _("有错误，未导入")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


JOB_TRANSITIONS: dict[str, set[str]] = {
    JobStatus.MAPPING: {JobStatus.QUEUED, JobStatus.CANCELLED},
    JobStatus.QUEUED: {JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.FAILED},
    JobStatus.RUNNING: {JobStatus.SUCCEEDED, JobStatus.REJECTED, JobStatus.FAILED, JobStatus.CANCELLED},
    JobStatus.SUCCEEDED: set(),
    JobStatus.REJECTED: set(),
    JobStatus.FAILED: set(),
    JobStatus.CANCELLED: set(),
}
JOB_DONE = frozenset({JobStatus.SUCCEEDED, JobStatus.REJECTED, JobStatus.FAILED, JobStatus.CANCELLED})


class JobSource(models.TextChoices):
    FILE = "file", _("文件导入")
    API = "api", _("批量接口")
    CLI = "cli", _("命令行")
    MANUAL = "manual", _("手工录入")
    DISPUTE = "dispute", _("异议更正")


def import_path(instance: models.Model, filename: str) -> str:
    # The stored name keeps the upload's extension (tools that look at names, openpyxl among them, need
    # it); the import itself reads the format from the content (``ingest.file_format``).
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return f"delivery/imports/{uuid.uuid4().hex}" + (f".{ext}" if ext in ("csv", "xlsx", "txt") else "")


class ImportJob(Leased):
    """One import. While running, ``lease_owner`` names the process running it (core.jobs): a job whose
    process is gone is failed and cleaned up as soon as anyone looks at it (``services.end_dead_job``)."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="import_jobs"
    )
    source = models.CharField(_("来源"), max_length=10, choices=JobSource.choices, default=JobSource.FILE)
    file = models.FileField(_("文件"), upload_to=import_path, blank=True)
    file_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    mapping = models.JSONField(_("列映射"), default=dict, blank=True)
    policy = models.CharField(
        _("导入策略"), max_length=20, choices=ImportPolicy.choices, default=ImportPolicy.ALL_OR_NOTHING
    )
    status = models.CharField(_("状态"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    rows_total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    rows_per_second = models.FloatField(_("每秒行数"), default=0)
    count_new = models.PositiveIntegerField(_("新增"), default=0)
    count_updated = models.PositiveIntegerField(_("更新"), default=0)
    count_unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    count_rejected = models.PositiveIntegerField(_("拒绝"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors_preview = models.JSONField(_("错误预览"), default=list, blank=True)
    #: ``{"groups": [{"column", "rule", "rows", "first_rows"}], "notes": [...]}`` (``ingest.ErrorSink.summary``)
    summary = models.JSONField(_("导入摘要"), default=dict, blank=True)
    error_file = models.FileField(_("错误文件"), upload_to=import_path, blank=True)
    cancel_requested = models.BooleanField(_("已请求取消"), default=False)
    message = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近进度时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contract", "status"], name="job_contract_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name or self.get_source_display()}"

    @property
    def is_done(self) -> bool:
        return self.status in JOB_DONE

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.is_done else 0
        return min(100, int(self.rows_done * 100 / self.rows_total))

    @property
    def seconds_left(self) -> int | None:
        if not self.rows_total or not self.rows_per_second or self.is_done:
            return None
        return int(max(0, self.rows_total - self.rows_done) / self.rows_per_second)


class StagedRecord(models.Model):
    """A validated row waiting for its job's single merge transaction. Never read as data."""

    job = models.ForeignKey(ImportJob, verbose_name=_("导入任务"), on_delete=models.CASCADE, related_name="+")
    row = models.PositiveIntegerField(_("行号"))
    external_id = models.CharField(_("记录编号"), max_length=100)
    # n = new, u = update, s = same (unchanged), r = rejected
    action = models.CharField(_("动作"), max_length=1)
    old_fingerprint = models.CharField(_("原指纹"), max_length=16, blank=True)
    kind = models.CharField(_("记录类型"), max_length=30, blank=True)
    opened_at = models.DateTimeField(_("开始时间"), null=True)
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True)
    promised_at = models.DateTimeField(_("承诺时间"), null=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True)
    priority = models.CharField(_("优先级"), max_length=20, blank=True)
    category = models.CharField(_("类别"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=30, blank=True)
    csat = models.PositiveSmallIntegerField(_("满意度"), null=True)
    defect = models.BooleanField(_("缺陷"), null=True)
    pauses = models.JSONField(_("暂停区间"), default=list)
    custom = models.JSONField(_("自定义字段"), default=dict)
    day = models.DateField(_("计量日期"), null=True)
    fingerprint = models.CharField(_("内容指纹"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("待合并记录")
        verbose_name_plural = _("待合并记录")
        constraints = [
            models.UniqueConstraint(fields=["job", "external_id"], name="staged_job_external_id_unique")
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row}"


class ColumnMapping(models.Model):
    """The column mapping a contract's files use, saved the first time a user maps them."""

    contract = models.OneToOneField(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="column_mapping"
    )
    mapping = models.JSONField(_("列映射"), default=dict)
    updated_at = models.DateTimeField(_("更新时间"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("更新人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("列映射")
        verbose_name_plural = _("列映射")

    def __str__(self) -> str:
        return str(self.contract_id)


class AggregateBase(models.Model):
    """What the daily and monthly aggregates share: the metric, its contract, the serialised
    ``slamath.Aggregate`` and the hash of the metric definition + calendar it was computed with (a new
    contract version changes it)."""

    metric = models.ForeignKey(
        SlaMetric, verbose_name=_("SLA 指标"), on_delete=models.CASCADE, related_name="+"
    )
    contract = models.ForeignKey(Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(_("汇总"))
    def_hash = models.CharField(_("定义指纹"), max_length=16, blank=True)

    class Meta:
        abstract = True


class DailyAggregate(AggregateBase):
    """``slamath.Aggregate`` of one metric's records on one local day, kept up to date on every change."""

    day = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("日汇总")
        verbose_name_plural = _("日汇总")
        constraints = [models.UniqueConstraint(fields=["metric", "day"], name="aggregate_metric_day_unique")]
        indexes = [models.Index(fields=["contract", "day"], name="aggregate_contract_day_idx")]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.day}"


class MonthlyAggregate(AggregateBase):
    """The merge of one metric's daily aggregates over one calendar month, refreshed whenever a day of
    that month changes (``engine.refresh_months``), so evaluating a month reads one row, a quarter three.

    ``days`` is the number of daily rows merged; ``def_hash`` their common definition hash, or ``*`` when
    they differ (evaluation then falls back to the daily rows, which rebuilds the stale ones).
    """

    month = models.DateField(_("月份"))
    days = models.PositiveSmallIntegerField(_("日汇总行数"), default=0)

    class Meta:
        verbose_name = pgettext_lazy("model", "月汇总")  # one object (English is plural in lists)
        verbose_name_plural = _("月汇总")
        constraints = [
            models.UniqueConstraint(fields=["metric", "month"], name="aggregate_metric_month_unique")
        ]
        indexes = [models.Index(fields=["contract", "month"], name="aggregate_contract_month_idx")]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.month:%Y-%m}"


class ResultStatus(models.TextChoices):
    MET = "met", _("达标")
    MISSED = "missed", _("未达标")
    INSUFFICIENT = "insufficient", _("样本不足")
    NO_DATA = "no_data", _("无数据")


class WarningLevel(models.TextChoices):
    OK = "ok", _("正常")
    AT_RISK = "at_risk", _("有风险")
    BREACHED = "breached", _("已违约")


class SlaResult(models.Model):
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="sla_results"
    )
    metric = models.ForeignKey(
        SlaMetric, verbose_name=_("SLA 指标"), on_delete=models.CASCADE, related_name="results"
    )
    period = models.CharField(_("周期"), max_length=8)
    period_start = models.DateField(_("周期开始"))
    value = models.FloatField(_("结果值"), null=True, blank=True)
    sample_size = models.PositiveIntegerField(_("样本量"), default=0)
    target = models.DecimalField(_("目标值"), max_digits=14, decimal_places=4)
    status = models.CharField(_("状态"), max_length=12, choices=ResultStatus.choices)
    margin = models.FloatField(_("差距"), null=True, blank=True)
    tier = models.SmallIntegerField(_("档位"), null=True, blank=True)
    consequence = models.CharField(_("后果"), max_length=20, default="none")
    credit = models.DecimalField(_("服务抵扣"), max_digits=14, decimal_places=2, default=0)
    bonus = models.DecimalField(_("奖励"), max_digits=14, decimal_places=2, default=0)
    capped = models.BooleanField(_("已封顶"), default=False)
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    contract_version = models.PositiveIntegerField(_("合同版本"), default=1)
    projected_value = models.FloatField(_("预测值"), null=True, blank=True)
    warning = models.CharField(
        _("预警"), max_length=10, choices=WarningLevel.choices, default=WarningLevel.OK
    )
    computed_at = models.DateTimeField(_("计算时间"))
    closed = models.BooleanField(_("已关账"), default=False)
    closed_at = models.DateTimeField(_("关账时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关账人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("SLA 结果")
        verbose_name_plural = _("SLA 结果")
        ordering = ["period_start", "metric_id"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "period"], name="result_metric_period_unique")
        ]
        indexes = [models.Index(fields=["contract", "period"], name="result_contract_period_idx")]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.period}"


class SlaAdjustment(models.Model):
    """A change to a closed result, recorded instead of rewriting it (settled in the next invoice)."""

    result = models.ForeignKey(
        SlaResult, verbose_name=_("SLA 结果"), on_delete=models.CASCADE, related_name="adjustments"
    )
    at = models.DateTimeField(_("时间"))
    reason = models.TextField(_("原因"), blank=True)
    value_before = models.FloatField(_("原结果值"), null=True)
    value_after = models.FloatField(_("新结果值"), null=True)
    status_before = models.CharField(_("原状态"), max_length=12, choices=ResultStatus.choices)
    status_after = models.CharField(_("新状态"), max_length=12, choices=ResultStatus.choices)
    sample_before = models.PositiveIntegerField(_("原样本量"), default=0)
    sample_after = models.PositiveIntegerField(_("新样本量"), default=0)
    credit_before = models.DecimalField(_("原抵扣"), max_digits=14, decimal_places=2)
    credit_after = models.DecimalField(_("新抵扣"), max_digits=14, decimal_places=2)
    bonus_before = models.DecimalField(_("原奖励"), max_digits=14, decimal_places=2, default=0)
    bonus_after = models.DecimalField(_("新奖励"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("SLA 调整")
        verbose_name_plural = _("SLA 调整")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.result_id} {self.at:%Y-%m-%d}"

    @property
    def credit_delta(self):
        return self.credit_after - self.credit_before


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACCEPTED = "accepted", _("已接受")
    REJECTED = "rejected", _("已驳回")


DISPUTE_TRANSITIONS: dict[str, set[str]] = {
    DisputeStatus.OPEN: {DisputeStatus.ACCEPTED, DisputeStatus.REJECTED},
    DisputeStatus.ACCEPTED: set(),
    DisputeStatus.REJECTED: set(),
}


class RecordDispute(models.Model):
    """A vendor's objection to a record (异议), with the correction it proposes; the buyer decides."""

    record = models.ForeignKey(
        ServiceRecord, verbose_name=_("服务记录"), on_delete=models.CASCADE, related_name="disputes"
    )
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="record_disputes"
    )
    comment = models.TextField(_("异议说明"))
    proposed = models.JSONField(_("建议更正"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    raised_at = models.DateTimeField(_("提出时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    response = models.TextField(_("处理意见"), blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "记录异议")  # one object (English is plural in lists)
        verbose_name_plural = _("记录异议")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["contract", "status"], name="dispute_contract_status_idx")]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.get_status_display()}"


class ManualStatus(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已驳回")


MANUAL_TRANSITIONS: dict[str, set[str]] = {
    ManualStatus.PROPOSED: {ManualStatus.CONFIRMED, ManualStatus.REJECTED, ManualStatus.PROPOSED},
    ManualStatus.CONFIRMED: {ManualStatus.CONFIRMED, ManualStatus.PROPOSED},
    ManualStatus.REJECTED: {ManualStatus.CONFIRMED, ManualStatus.PROPOSED},
}


class ManualValue(models.Model):
    """The value of a manual KPI for one period (人工指标值): entered by the buyer, or proposed by the
    vendor and confirmed. One row per (metric, period); ``confirmed_value`` is what the SLA result uses,
    so a pending or rejected proposal never replaces a value already confirmed."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="manual_values"
    )
    metric = models.ForeignKey(
        SlaMetric, verbose_name=_("SLA 指标"), on_delete=models.CASCADE, related_name="manual_values"
    )
    period = models.CharField(_("周期"), max_length=8)
    value = models.DecimalField(_("填报值"), max_digits=14, decimal_places=4)
    status = models.CharField(_("状态"), max_length=10, choices=ManualStatus.choices)
    confirmed_value = models.DecimalField(_("确认值"), max_digits=14, decimal_places=4, null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("填报时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    response = models.TextField(_("处理意见"), blank=True)

    class Meta:
        verbose_name = _("人工指标值")
        verbose_name_plural = _("人工指标值")
        ordering = ["metric_id", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "period"], name="manual_metric_period_unique")
        ]
        indexes = [models.Index(fields=["contract", "status"], name="manual_contract_status_idx")]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.period}"
