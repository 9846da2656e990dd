"""The vendor archive 供应商档案.

Lifecycle (a vendor's status moves only along these arrows, each move recorded with who, when, why):

    prospect 潜在 → onboarding 准入中 → active 合作中 ⇄ suspended 暂停 → exited 已退出
    any state → blacklisted 黑名单 (reason required)

A vendor list import (VendorImportJob) runs in the background:

    queued 排队中 → running 进行中 → succeeded 已完成 | rejected 有错误，未导入 | failed 失败
    queued / running → cancelled 已取消 (a running one stops at its next step; nothing is stored)
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from waibao.core.jobs import Leased
from waibao.core.models import StatusChangeBase, StoredDocumentBase, TimeStampedModel


class VendorStatus(models.TextChoices):
    PROSPECT = "prospect", _("潜在")
    ONBOARDING = "onboarding", _("准入中")
    ACTIVE = "active", _("合作中")
    SUSPENDED = "suspended", _("暂停")
    EXITED = "exited", _("已退出")
    BLACKLISTED = "blacklisted", _("黑名单")


TRANSITIONS: dict[str, set[str]] = {
    VendorStatus.PROSPECT: {VendorStatus.ONBOARDING, VendorStatus.BLACKLISTED},
    VendorStatus.ONBOARDING: {VendorStatus.ACTIVE, VendorStatus.BLACKLISTED},
    VendorStatus.ACTIVE: {VendorStatus.SUSPENDED, VendorStatus.BLACKLISTED},
    VendorStatus.SUSPENDED: {VendorStatus.ACTIVE, VendorStatus.EXITED, VendorStatus.BLACKLISTED},
    VendorStatus.EXITED: {VendorStatus.BLACKLISTED},
    VendorStatus.BLACKLISTED: set(),
}
REASON_REQUIRED = {VendorStatus.BLACKLISTED, VendorStatus.SUSPENDED, VendorStatus.EXITED}


class Category(models.TextChoices):
    IT = "it_services", _("IT 服务")
    CUSTOMER_SERVICE = "customer_service", _("客户服务")
    LOGISTICS = "logistics", _("物流")
    MANUFACTURING = "manufacturing", _("制造")
    SOFTWARE = "software", _("软件开发")
    HR = "hr", _("人力资源")
    FINANCE = "finance", _("财务与会计")
    MARKETING = "marketing", _("市场营销")
    FACILITIES = "facilities", _("设施管理")
    OTHER = "other", _("其他")


class Size(models.TextChoices):
    MICRO = "micro", _("微型（<10人）")
    SMALL = "small", _("小型（10–99人）")
    MEDIUM = "medium", _("中型（100–999人）")
    LARGE = "large", _("大型（1000人以上）")


class Tag(models.Model):
    name = models.CharField(_("标签"), max_length=40, unique=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "标签")  # one object (English is plural in lists)
        verbose_name_plural = _("标签")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Vendor(TimeStampedModel):
    code = models.CharField(_("编号"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    # Mainland-registered vendors carry a unified social credit code; foreign vendors their own
    # registration number. Unique among vendors that have one.
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    registration_number = models.CharField(_("注册号（境外）"), max_length=60, blank=True)
    country = models.CharField(
        _("国家/地区"), max_length=2, default="CN", help_text=_("ISO 3166 两位代码，如 CN、IN、US")
    )
    region = models.CharField(_("省份/地区"), max_length=50, blank=True)
    city = models.CharField(_("城市"), max_length=50, blank=True)
    category = models.CharField(_("类别"), max_length=30, choices=Category.choices)
    size = models.CharField(_("规模"), max_length=10, choices=Size.choices, blank=True)
    website = models.URLField(_("网站"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=VendorStatus.choices, default=VendorStatus.PROSPECT
    )
    notes = models.TextField(_("备注"), blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="vendors")

    class Meta:
        verbose_name = _("供应商")
        verbose_name_plural = _("供应商")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="vendor_credit_code_unique"
            ),
            models.UniqueConstraint(
                fields=["country", "registration_number"],
                condition=~Q(registration_number=""),
                name="vendor_registration_unique",
            ),
        ]
        indexes = [models.Index(fields=["status", "category"], name="vendor_status_cat_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_mainland(self) -> bool:
        return self.country == "CN"

    def allowed_moves(self) -> list[str]:
        # In lifecycle order, so the usual next step comes first and "blacklisted" last.
        return [s for s in VendorStatus.values if s in TRANSITIONS[self.status]]


class VendorContact(TimeStampedModel):
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("供应商"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=100)
    role = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    is_primary = models.BooleanField(_("主要联系人"), default=False)

    class Meta:
        verbose_name = pgettext_lazy("model", "联系人")  # one object (English is plural in lists)
        verbose_name_plural = _("联系人")
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor"], condition=Q(is_primary=True), name="vendor_one_primary_contact"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StatusChange(StatusChangeBase):
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("供应商"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("原状态"), max_length=20, choices=VendorStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=VendorStatus.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")

    def __str__(self) -> str:
        return f"{self.vendor_id}: {self.from_status} → {self.to_status}"


class CertificateType(models.TextChoices):
    BUSINESS_LICENCE = "business_licence", _("营业执照")
    ISO9001 = "iso9001", _("ISO 9001 质量管理体系")
    ISO27001 = "iso27001", _("ISO/IEC 27001 信息安全管理体系")
    ISO20000 = "iso20000", _("ISO/IEC 20000-1 IT 服务管理体系")
    CMMI_DEV = "cmmi_dev", _("CMMI-DEV")
    CMMI_SVC = "cmmi_svc", _("CMMI-SVC")
    PERMIT = "permit", _("行业许可证")
    OTHER = "other", _("其他")


CMMI_TYPES = {CertificateType.CMMI_DEV, CertificateType.CMMI_SVC}


class CertificateState(models.TextChoices):
    VALID = "valid", _("有效")
    EXPIRING = "expiring", _("即将到期")
    EXPIRED = "expired", _("已过期")


def certificate_state(valid_until: date | None, today: date, warn_days: int) -> str:
    """valid / expiring (within warn_days, end date included) / expired (the day after valid_until)."""
    if valid_until is None:
        return CertificateState.VALID
    if valid_until < today:
        return CertificateState.EXPIRED
    if (valid_until - today).days <= warn_days:
        return CertificateState.EXPIRING
    return CertificateState.VALID


def upload_path(instance: models.Model, filename: str) -> str:
    # The stored name never comes from the user: no path tricks, no guessable names.
    import uuid

    vendor_id = getattr(instance, "vendor_id", "x")
    return f"vendors/{vendor_id}/{uuid.uuid4().hex}"


class Certificate(TimeStampedModel):
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("供应商"), on_delete=models.CASCADE, related_name="certificates"
    )
    type = models.CharField(_("类型"), max_length=30, choices=CertificateType.choices)
    level = models.PositiveSmallIntegerField(_("CMMI 等级"), null=True, blank=True)
    number = models.CharField(_("证书编号"), max_length=100)
    issuer = models.CharField(_("发证机构"), max_length=200, blank=True)
    scope = models.TextField(_("认证范围"), blank=True)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True, db_index=True)
    file = models.FileField(_("文件"), upload_to=upload_path, blank=True)
    file_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    file_type = models.CharField(_("文件类型"), max_length=10, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "资质证书")  # one object (English is plural in lists)
        verbose_name_plural = _("资质证书")
        ordering = ["valid_until"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="certificate_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=1, level__lte=5),
                name="certificate_cmmi_level_1_5",
            ),
        ]

    def __str__(self) -> str:
        label = self.get_type_display()
        if self.level:
            label = f"{label} ML{self.level}"
        return f"{label} {self.number}"

    def state(self, today: date, warn_days: int) -> str:
        return certificate_state(self.valid_until, today, warn_days)


class DocumentType(models.TextChoices):
    CONTRACT = "contract", _("合同/协议")
    NDA = "nda", _("保密协议")
    QUALIFICATION = "qualification", _("资质材料")
    FINANCIAL = "financial", _("财务报告")
    AUDIT = "audit", _("审核报告")
    PROPOSAL = "proposal", _("方案/报价")
    OTHER = "other", _("其他")


class VendorDocument(StoredDocumentBase):
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("供应商"), on_delete=models.CASCADE, related_name="documents"
    )
    type = models.CharField(_("类型"), max_length=20, choices=DocumentType.choices)
    file = models.FileField(_("文件"), upload_to=upload_path)

    class Meta(StoredDocumentBase.Meta):
        verbose_name = pgettext_lazy("model", "文档")  # one object (English is plural in lists)
        verbose_name_plural = _("文档")


# --- imports --------------------------------------------------------------------------------------


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    REJECTED = "rejected", _("有错误，未导入")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


IMPORT_TRANSITIONS: dict[str, set[str]] = {
    ImportStatus.QUEUED: {ImportStatus.RUNNING, ImportStatus.CANCELLED, ImportStatus.FAILED},
    ImportStatus.RUNNING: {
        ImportStatus.SUCCEEDED,
        ImportStatus.REJECTED,
        ImportStatus.FAILED,
        ImportStatus.CANCELLED,
    },
    ImportStatus.SUCCEEDED: set(),
    ImportStatus.REJECTED: set(),
    ImportStatus.FAILED: set(),
    ImportStatus.CANCELLED: set(),
}
IMPORT_DONE = frozenset(
    {ImportStatus.SUCCEEDED, ImportStatus.REJECTED, ImportStatus.FAILED, ImportStatus.CANCELLED}
)


def import_file_path(instance: Any, filename: str) -> str:
    # The stored name never comes from the user; the extension is kept (the import reads the format
    # from the content, but people looking at the folder need it).
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return f"vendors/imports/{uuid.uuid4().hex}" + (f".{ext}" if ext in ("csv", "xlsx", "txt") else "")


class VendorImportJob(Leased):
    """One uploaded vendor list, imported in the background (``vendors.imports``)."""

    file = models.FileField(_("文件"), upload_to=import_file_path)
    file_name = models.CharField(_("原文件名"), max_length=255)
    status = models.CharField(
        _("状态"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    #: the data rows the file declares (an .xlsx sheet's dimension, a CSV file's lines), if known
    rows_total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    count_created = models.PositiveIntegerField(_("新增"), default=0)
    count_updated = models.PositiveIntegerField(_("更新"), default=0)
    count_unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    count_rejected = models.PositiveIntegerField(_("有错误的行"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    #: the first errors as ``[row, column, rule]``, in the uploader's language
    errors = models.JSONField(_("错误"), default=list, blank=True)
    message = models.TextField(_("说明"), blank=True)
    cancel_requested = models.BooleanField(_("已请求取消"), default=False)
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

    class Meta:
        verbose_name = _("供应商导入任务")
        verbose_name_plural = _("供应商导入任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"], name="vendor_import_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def is_done(self) -> bool:
        return self.status in IMPORT_DONE

    @property
    def percent(self) -> int:
        if self.is_done:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_done * 100 / self.rows_total))
