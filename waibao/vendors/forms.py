from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from waibao.core.formats import country_choices
from waibao.core.forms import BootstrapMixin
from waibao.vendors.models import Category, CertificateType, DocumentType, Size, Vendor, VendorStatus


class VendorForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=200)
    name_en = forms.CharField(label=_("英文名称"), max_length=200, required=False)
    country = forms.ChoiceField(label=_("国家/地区"), initial="CN", choices=country_choices)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=30,
        required=False,
        help_text=_("中国大陆注册的供应商必填，18 位。"),
    )
    registration_number = forms.CharField(
        label=_("注册号（境外）"), max_length=60, required=False, help_text=_("境外供应商必填。")
    )
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    size = forms.ChoiceField(label=_("规模"), choices=[("", "—"), *Size.choices], required=False)
    region = forms.CharField(label=_("省份/地区"), max_length=50, required=False)
    city = forms.CharField(label=_("城市"), max_length=50, required=False)
    website = forms.CharField(label=_("网站"), max_length=200, required=False)
    tags = forms.CharField(
        label=_("标签"), max_length=400, required=False, help_text=_("多个标签用逗号分隔。")
    )
    notes = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, vendor: Vendor) -> dict[str, Any]:
        data = {f: getattr(vendor, f) for f in cls.base_fields if f not in ("tags", "version")}
        data["tags"] = ", ".join(t.name for t in vendor.tags.all())
        data["version"] = vendor.version
        return data

    def tag_list(self) -> list[str]:
        import re

        return [t for t in re.split(r"[,，;；]", self.cleaned_data.get("tags") or "") if t.strip()]


class StatusForm(BootstrapMixin, forms.Form):
    to = forms.ChoiceField(label=_("变更为"), choices=VendorStatus.choices)
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ContactForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=100)
    role = forms.CharField(label=_("职务"), max_length=100, required=False)
    phone = forms.CharField(label=_("电话"), max_length=40, required=False)
    email = forms.CharField(label=_("邮箱"), max_length=254, required=False)
    is_primary = forms.BooleanField(label=_("主要联系人"), required=False)


class CertificateForm(BootstrapMixin, forms.Form):
    type = forms.ChoiceField(label=_("类型"), choices=CertificateType.choices)
    level = forms.IntegerField(
        label=_("CMMI 等级"),
        required=False,
        min_value=1,
        max_value=5,
        help_text=_("仅 CMMI 证书填写（1–5）。"),
    )
    number = forms.CharField(label=_("证书编号"), max_length=100)
    issuer = forms.CharField(label=_("发证机构"), max_length=200, required=False)
    scope = forms.CharField(label=_("认证范围"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    valid_from = forms.DateField(
        label=_("生效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(label=_("有效期至"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(
        label=_("证书文件"), required=False, help_text=_("PDF、PNG、JPEG 或 Office 文档。")
    )


class DocumentForm(BootstrapMixin, forms.Form):
    type = forms.ChoiceField(label=_("类型"), choices=DocumentType.choices)
    title = forms.CharField(
        label=_("标题"), max_length=200, required=False, help_text=_("留空则使用文件名。")
    )
    file = forms.FileField(label=_("文件"))


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))
