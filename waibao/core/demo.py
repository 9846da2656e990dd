"""Demo company and one user per role (the first step of `waibao demo`)."""

from __future__ import annotations

from typing import Any

from waibao.accounts import services as account_services
from waibao.accounts.models import Role, User
from waibao.core.models import Organization

DEMO_PASSWORD = "Waibao-Demo-2026"  # noqa: S105 - the published demo password

BUYER_USERS = [
    ("admin", "系统管理员 赵敏", Role.ADMIN),
    ("manager", "外包经理 王磊", Role.MANAGER),
    ("quality", "质量审核员 李静", Role.QUALITY),
    ("finance", "财务 陈芳", Role.FINANCE),
    ("auditor", "审计 刘洋", Role.AUDITOR),
]
VENDOR_USERS = [("vendor_a", "V-0001", "云帆 客户经理 周杰"), ("vendor_b", "V-0002", "知客 客户经理 孙娜")]


def company(ctx: dict[str, Any]) -> None:
    if not Organization.objects.exists():
        Organization.objects.create(
            name="华东智联零售集团有限公司",
            name_en="East China Smart Retail Group",
            credit_code="91310000MA1FL0XE5G",
            city="上海",
        )
    for username, name, role in BUYER_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.create_user(
                actor="demo",
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                full_name=name,
                email=f"{username}@example.com",
            )
        if role == Role.ADMIN:
            ctx["actor"] = user


def vendor_users(ctx: dict[str, Any]) -> None:
    from waibao.vendors.models import Vendor

    for username, code, name in VENDOR_USERS:
        vendor = Vendor.objects.filter(code=code).first()
        if vendor is not None and not User.objects.filter(username=username).exists():
            account_services.create_user(
                actor=ctx["actor"],
                username=username,
                password=DEMO_PASSWORD,
                role=Role.VENDOR,
                vendor=vendor,
                full_name=name,
            )


def logins() -> list[tuple[str, str, str]]:
    out = []
    for user in (
        User.objects.filter(username__in=[u[0] for u in BUYER_USERS] + [u[0] for u in VENDOR_USERS])
        .select_related("vendor")
        .order_by("id")
    ):
        label = str(user.get_role_display()) + (f" · {user.vendor.name}" if user.vendor else "")
        out.append((user.username, DEMO_PASSWORD, label))
    return out
