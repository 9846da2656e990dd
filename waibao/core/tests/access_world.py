"""A small world for the access tests: the personas, and one of every kind of object a route addresses.

Vendor A's objects are what every route table fills its URLs from; vendor B has a world of its own, so
that a list filtered wrongly shows B something of A's (an empty list would prove nothing). Everything is
made through the services (through the apps' test factories), the way users make it.

`build_vendor(world, vendor, n)` makes one vendor's objects with `n` of each child (`n` clauses' worth of
milestones, `n` versions of a deliverable, …); the query-count tests build a second, bigger set for
vendor A and compare each list's queries between the two.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from waibao.accounts import services as accounts
from waibao.accounts.models import ApiToken, Role, User
from waibao.calendars import services as calendars
from waibao.contracts import services as contracts
from waibao.contracts.tests.factories import CLAUSE_TEXTS, METRIC, approve_all, china
from waibao.core.files import Upload
from waibao.delivery import services as delivery
from waibao.delivery.models import SlaResult
from waibao.notifications import services as notifications
from waibao.notifications.models import Notification
from waibao.quality import services as quality
from waibao.vendors import services as vendors
from waibao.vendors.tests.factories import VendorFactory

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

#: The personas, by the names the route tables use.
BUYERS = ("admin", "manager", "quality", "finance", "auditor")
VENDORS = ("vendor_a", "vendor_b")
PERSONAS = (*BUYERS, *VENDORS)
ROLES = {
    "admin": Role.ADMIN,
    "manager": Role.MANAGER,
    "quality": Role.QUALITY,
    "finance": Role.FINANCE,
    "auditor": Role.AUDITOR,
}

SURVEY = {
    "name": "客户满意度调查",
    "kind": "manual",
    "target": "90",
    "tiers": [
        {"from": "0", "to": "90", "consequence": "credit_percent", "amount": "3"},
        {"from": "90", "to": "100", "consequence": "none"},
    ],
}


def pdf(name: str = "report.pdf") -> Upload:
    return Upload(name=name, stream=io.BytesIO(PDF), size=len(PDF))


def csv_upload(text: str, name: str = "records.csv") -> Any:
    data = text.encode("utf-8")
    return delivery.Upload(name=name, stream=io.BytesIO(data))


def tickets(prefix: str, n: int) -> list[dict[str, Any]]:
    """P1 tickets of October 2026: every third one answered late (the metric is missed)."""
    out = []
    for i in range(max(n, 6)):  # the metric needs five to judge
        late = i % 3 == 0
        out.append(
            {
                "external_id": f"{prefix}-T{i + 1}",
                "kind": "ticket",
                "priority": "P1",
                "opened_at": f"2026-10-{8 + i % 10:02d} 10:00",
                "first_response_at": f"2026-10-{8 + i % 10:02d} {'11:30' if late else '10:10'}",
                "csat": "4",
            }
        )
    return out


@dataclass
class World:
    users: dict[str, User]
    vendors: dict[str, Any]
    #: vendor A's objects by kind ("contract", "ncr", …); `b` the same for vendor B
    a: dict[str, Any] = field(default_factory=dict)
    b: dict[str, Any] = field(default_factory=dict)
    #: shared things (calendars, the clause library)
    shared: dict[str, Any] = field(default_factory=dict)
    #: bearer tokens by persona
    tokens: dict[str, str] = field(default_factory=dict)
    #: texts that show one of vendor A's objects (codes, names): none may appear in vendor B's lists
    markers: list[str] = field(default_factory=list)

    def user(self, persona: str) -> User:
        return self.users[persona]


def build() -> World:
    """The personas, the shared reference data, and a world for each of vendor A and vendor B."""
    va = VendorFactory(name="甲方访问测试供应商有限公司", status="active")
    vb = VendorFactory(name="乙方访问测试供应商有限公司", status="active")
    users: dict[str, User] = {}
    for persona, role in ROLES.items():
        users[persona] = _user(f"acc_{persona}", role)
    users["vendor_a"] = _user("acc_vendor_a", Role.VENDOR, va)
    users["vendor_b"] = _user("acc_vendor_b", Role.VENDOR, vb)
    world = World(users=users, vendors={"a": va, "b": vb})
    world.shared["calendar"] = china()
    world.shared["custom_calendar"] = calendars.create_calendar(actor=users["admin"], name="访问测试日历")
    world.shared["clause_template"] = contracts.library_template_for(next(iter(CLAUSE_TEXTS)))
    for persona in PERSONAS:
        _token, raw = accounts.create_api_token(user=users[persona], actor=users[persona], name="access")
        world.tokens[persona] = raw
    world.a = build_vendor(world, va, "A", n=1)
    world.b = build_vendor(world, vb, "B", n=1)
    world.markers = markers(world.a)
    return world


def grow(world: World) -> dict[str, Any]:
    """More of everything: another vendor with its own world (the buyers' lists grow), and a second set of
    vendor A's objects with three of each child (vendor A's lists grow, and each object's lists of children
    do). Returns the second set of vendor A's objects (with the shared ones)."""
    build_vendor(world, VendorFactory(name="丙方访问测试供应商有限公司", status="active"), "C", n=1)
    return {**world.shared, **build_vendor(world, world.vendors["a"], "G", n=3)}


def markers(objs: dict[str, Any]) -> list[str]:
    out = [objs["vendor"].name, objs["contract"].code]
    for kind in ("inspection", "ncr", "capa", "deliverable", "complaint"):
        out.append(objs[kind].code)
    out.append(objs["record"].external_id)
    out.append(objs["contact"].name)
    return out


def _user(username: str, role: str, vendor: Any = None) -> User:
    user = User(
        username=username,
        role=role,
        vendor=vendor,
        full_name=username.title(),
        email=f"{username}@example.com",
    )
    user.set_unusable_password()
    user.save()
    return user


def build_vendor(world: World, vendor: Any, tag: str, *, n: int = 1) -> dict[str, Any]:
    """One vendor's objects, `n` of each child kind."""
    u = world.users
    admin, manager, qual, finance = u["admin"], u["manager"], u["quality"], u["finance"]
    if vendor == world.vendors["a"]:
        vendor_user = u["vendor_a"]
    elif vendor == world.vendors["b"]:
        vendor_user = u["vendor_b"]
    else:
        vendor_user = _user(f"acc_vendor_{tag.lower()}", Role.VENDOR, vendor)
    o: dict[str, Any] = {"vendor": vendor, "vendor_user": vendor_user}

    # vendors: contacts, certificates, documents
    for i in range(n):
        o["contact"] = vendors.add_contact(
            vendor=vendor, actor=manager, name=f"{tag}联系人{i}", email=f"c{i}@{tag.lower()}.example.com"
        )
        o["certificate"] = vendors.add_certificate(
            vendor=vendor,
            actor=manager,
            upload=pdf(f"cert{i}.pdf"),
            type="iso9001",
            number=f"{tag}-ISO-{i}",
            issued_on=date(2025, 1, 1),
            valid_until=date(2027, 1, 1),
        )
        o["vendor_document"] = vendors.upload_document(
            vendor=vendor, actor=manager, upload=pdf(f"doc{i}.pdf"), type="contract"
        )

    # contracts: a contract through drafting and approval, with its children
    start = date(2026, 1, 1)
    c = contracts.create_contract(
        actor=manager,
        vendor=vendor,
        title=f"{tag} IT 运维外包服务合同",
        category="it_services",
        start_date=start,
        end_date=date(2027, 12, 31),
        monthly_fee=Decimal("100000.00"),
        total_value=Decimal("2400000.00"),
        notice_days=30,
        owner=manager,
    )
    for clause_type, text in CLAUSE_TEXTS.items():
        o["clause"] = contracts.add_clause(contract=c, actor=manager, clause_type=clause_type, text=text)
    o["metric"] = contracts.add_metric(contract=c, actor=manager, definition=dict(METRIC), calendar=china())
    o["manual_metric"] = contracts.add_metric(
        contract=c, actor=manager, definition=dict(SURVEY), calendar=china()
    )
    for i in range(1, n):
        contracts.add_metric(
            contract=c, actor=manager, definition={**METRIC, "name": f"P1 响应率 {i}"}, calendar=china()
        )
    c = contracts.submit_for_approval(contract=c, actor=manager)
    c = approve_all(c, {"manager": manager, "finance": finance, "admin": admin})
    o["contract"] = c
    o["approval_step"] = c.approval_steps.order_by("pk").last()
    o["version"] = c.versions.order_by("number").last()
    for i in range(n):
        o["milestone"] = contracts.add_milestone(
            contract=c, actor=manager, name=f"节点{i}", due_date=date(2026, 12, 31), amount="1000"
        )
        o["price_clause"] = contracts.add_price_clause(
            contract=c, actor=finance, index_name=f"CPI{i}", base_value="100", threshold_percent="5"
        )
        o["index_value"] = contracts.record_index_value(clause=o["price_clause"], actor=finance, value="104")
        o["amendment"] = contracts.propose_amendment(
            contract=c,
            actor=manager,
            title=f"变更{i}",
            reason="业务量增长",
            effective_from=date(2026, 12, 1),
            changes={"monthly_fee": "110000"},
        )
        o["contract_document"] = contracts.upload_document(contract=c, actor=manager, upload=pdf(f"c{i}.pdf"))

    # delivery: records (and results), an import with an error, a dispute, a manual value
    for i in range(n):
        # started by the vendor's user: a vendor user sees only the imports its own users started
        o["job"] = delivery.import_batch(
            contract=c,
            actor=vendor_user,
            records=[*tickets(f"{tag}{i}", 3 * n), {"external_id": f"{tag}{i}-BAD", "opened_at": "昨天"}],
            policy="valid_rows",
        )
    o["record"] = c.service_records.order_by("pk").first()
    o["file_job"] = delivery.create_file_job(
        contract=c,
        actor=vendor_user,
        upload=csv_upload("单号,奇怪的列\nX1,1\n"),
        enqueue=False,
    )
    for i, rec in enumerate(c.service_records.order_by("pk")[:n]):
        d = delivery.raise_dispute(record=rec, actor=vendor_user, comment=f"异议{i}")
        o.setdefault("dispute", d)
    for i in range(n):
        o["manual"] = delivery.enter_manual_value(
            metric=o["manual_metric"], period=f"2026-{10 - i:02d}", value="80", actor=vendor_user
        ).manual
    o["result"] = SlaResult.objects.filter(contract=c, status="missed").order_by("pk").first()

    # quality
    plan = quality.create_plan(
        contract=c,
        actor=qual,
        name=f"{tag} 月度抽检",
        lot_kind="documents",
        level="II",
        classes={"major": "1.5", "minor": "4.0"},
    )
    o["plan"] = plan
    o["stream"] = plan.streams.order_by("pk").first()
    for i in range(n):
        o["inspection"] = quality.start_inspection(
            plan=plan, actor=qual, lot_ref=f"{tag}-L{i}", lot_size=500, seed=1
        )
    for i in range(n):
        ncr = quality.open_nonconformance(
            contract=c, actor=qual, source="audit", severity="major", title=f"{tag} 发现{i}"
        )
        o["evidence"] = quality.add_evidence(ncr=ncr, actor=qual, upload=pdf(f"e{i}.pdf"))
        o["ncr"] = ncr
    o["capa"] = quality.start_corrective_action(ncr=o["ncr"], actor=qual)
    dlv = quality.submit_deliverable(contract=c, actor=vendor_user, title=f"{tag} 报告", upload=pdf())
    for i in range(1, n):
        quality.review_deliverable(deliverable=dlv, actor=qual, decision="return", comment="请补充")
        quality.add_version(deliverable=dlv, actor=vendor_user, upload=pdf(f"v{i}.pdf"))
    o["deliverable"] = dlv
    o["deliverable_version"] = dlv.versions.order_by("pk").first()
    for i in range(n):
        cmp = quality.log_complaint(
            actor=qual, channel="phone", category="delay", severity="minor", description=f"{tag} 慢{i}"
        )
        quality.triage_complaint(complaint=cmp, actor=qual, contract=c, vendor_caused=True)
        o["complaint"] = cmp
    for i in range(n):
        o["satisfaction"] = quality.record_satisfaction(
            contract=c, actor=qual, period=f"2026-{9 - i:02d}", csat=90
        )

    # accounts, notifications, and (shared, but growing with the world) calendars
    for i in range(n):
        o["colleague"] = _user(f"{tag.lower()}_colleague{i}", Role.VENDOR, vendor)
        calendars.create_calendar(actor=admin, name=f"{tag} 日历{i}")
        o["invitation"] = accounts.invite_vendor_user(
            actor=manager, vendor=vendor, email=f"invite{i}@{tag.lower()}.example.com"
        ).invitation
        notifications.notify(
            users=[vendor_user], kind="test.access", title=f"{tag} 通知{i}", email=False, key=None
        )
    o["notification"] = Notification.objects.filter(user=vendor_user).order_by("pk").first()
    o["token"] = ApiToken.objects.filter(user=vendor_user).order_by("pk").first()
    return o
