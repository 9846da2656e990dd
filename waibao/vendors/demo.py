"""Demo vendor archive: ~30 realistic vendors across categories and states (`waibao demo`)."""

from __future__ import annotations

import io
import random
from datetime import timedelta
from typing import Any

from waibao.core import clock
from waibao.lib.creditcode import ALPHABET, check_character
from waibao.vendors import services
from waibao.vendors.models import Vendor

# (name, name_en, category, region, city, size, status path, tags)
VENDORS = [
    (
        "深圳云帆信息技术有限公司",
        "Yunfan IT",
        "it_services",
        "广东",
        "深圳",
        "medium",
        "active",
        ["IT运维", "7x24"],
    ),
    (
        "杭州知客客户服务有限公司",
        "Zhike CS",
        "customer_service",
        "浙江",
        "杭州",
        "large",
        "active",
        ["呼叫中心"],
    ),
    (
        "上海顺达供应链管理有限公司",
        "Shunda SCM",
        "logistics",
        "上海",
        "上海",
        "large",
        "active",
        ["仓储", "干线"],
    ),
    (
        "成都码农软件开发有限公司",
        "Manong Software",
        "software",
        "四川",
        "成都",
        "medium",
        "active",
        ["Java", "移动端"],
    ),
    ("苏州精工制造有限公司", "Jinggong Mfg", "manufacturing", "江苏", "苏州", "large", "active", ["机加工"]),
    ("北京人和人力资源服务有限公司", "Renhe HR", "hr", "北京", "北京", "medium", "active", ["派遣", "招聘"]),
    ("广州信达财务咨询有限公司", "Xinda Finance", "finance", "广东", "广州", "small", "active", ["记账"]),
    (
        "武汉星火营销策划有限公司",
        "Xinghuo Marketing",
        "marketing",
        "湖北",
        "武汉",
        "small",
        "active",
        ["新媒体"],
    ),
    (
        "南京安居物业管理有限公司",
        "Anju Facilities",
        "facilities",
        "江苏",
        "南京",
        "large",
        "active",
        ["保洁", "安保"],
    ),
    (
        "西安数智科技有限公司",
        "Shuzhi Tech",
        "it_services",
        "陕西",
        "西安",
        "medium",
        "suspended",
        ["数据中心"],
    ),
    (
        "大连海纳呼叫中心有限公司",
        "Haina Call Center",
        "customer_service",
        "辽宁",
        "大连",
        "large",
        "active",
        ["日语客服"],
    ),
    (
        "天津畅通物流有限公司",
        "Changtong Logistics",
        "logistics",
        "天津",
        "天津",
        "medium",
        "active",
        ["城配"],
    ),
    (
        "合肥启明软件有限公司",
        "Qiming Software",
        "software",
        "安徽",
        "合肥",
        "small",
        "onboarding",
        ["测试外包"],
    ),
    (
        "重庆巴渝电子制造有限公司",
        "Bayu Electronics",
        "manufacturing",
        "重庆",
        "重庆",
        "large",
        "active",
        ["SMT"],
    ),
    ("长沙湘才人力资源有限公司", "Xiangcai HR", "hr", "湖南", "长沙", "small", "prospect", []),
    (
        "厦门鹭岛数据服务有限公司",
        "Ludao Data",
        "other",
        "福建",
        "厦门",
        "medium",
        "active",
        ["数据标注", "录入"],
    ),
    (
        "青岛海岸冷链物流有限公司",
        "Haian Cold Chain",
        "logistics",
        "山东",
        "青岛",
        "medium",
        "onboarding",
        ["冷链"],
    ),
    ("郑州中原客服外包有限公司", "Zhongyuan CS", "customer_service", "河南", "郑州", "large", "exited", []),
    ("昆明彩云IT服务有限公司", "Caiyun IT", "it_services", "云南", "昆明", "small", "prospect", []),
    (
        "无锡太湖精密制造有限公司",
        "Taihu Precision",
        "manufacturing",
        "江苏",
        "无锡",
        "medium",
        "active",
        ["注塑"],
    ),
    ("福州闽信软件有限公司", "Minxin Software", "software", "福建", "福州", "medium", "active", ["政务系统"]),
    ("济南泉城设施服务有限公司", "Quancheng Facilities", "facilities", "山东", "济南", "small", "active", []),
    ("沈阳北方营销有限公司", "Beifang Marketing", "marketing", "辽宁", "沈阳", "micro", "blacklisted", []),
    ("东莞速达快递服务有限公司", "Suda Express", "logistics", "广东", "东莞", "medium", "prospect", ["快递"]),
    ("珠海横琴财税服务有限公司", "Hengqin Tax", "finance", "广东", "珠海", "micro", "onboarding", []),
    (
        "宁波港城IT外包有限公司",
        "Gangcheng IT",
        "it_services",
        "浙江",
        "宁波",
        "medium",
        "active",
        ["桌面运维"],
    ),
    (
        "贵阳云数客服有限公司",
        "Yunshu CS",
        "customer_service",
        "贵州",
        "贵阳",
        "medium",
        "active",
        ["电商客服"],
    ),
]
FOREIGN = [
    (
        "Bengaluru Code Works Pvt Ltd",
        "Bengaluru Code Works",
        "software",
        "IN",
        "Karnataka",
        "Bengaluru",
        "large",
        "active",
        "U72200KA2009PTC049873",
        ["离岸开发"],
    ),
    (
        "Manila Contact Solutions Inc.",
        "Manila Contact Solutions",
        "customer_service",
        "PH",
        "Metro Manila",
        "Manila",
        "large",
        "onboarding",
        "CS201512345",
        ["英语客服"],
    ),
    (
        "Hanoi Digital Services JSC",
        "Hanoi Digital",
        "it_services",
        "VN",
        "Hanoi",
        "Hanoi",
        "medium",
        "prospect",
        "0108765432",
        [],
    ),
]
DIVISIONS = {
    "广东": "440300",
    "浙江": "330100",
    "上海": "310000",
    "四川": "510100",
    "江苏": "320500",
    "北京": "110000",
    "湖北": "420100",
    "陕西": "610100",
    "辽宁": "210200",
    "天津": "120000",
    "安徽": "340100",
    "重庆": "500000",
    "湖南": "430100",
    "福建": "350200",
    "山东": "370200",
    "河南": "410100",
    "云南": "530100",
    "贵州": "520100",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "桂英",
]
ROLES = ["客户经理", "项目经理", "运营总监", "质量经理", "财务对接人"]

PATHS = {
    "prospect": [],
    "onboarding": ["onboarding"],
    "active": ["onboarding", "active"],
    "suspended": ["onboarding", "active", "suspended"],
    "exited": ["onboarding", "active", "suspended", "exited"],
    "blacklisted": ["onboarding", "blacklisted"],
}
REASONS = {
    "onboarding": "通过初步资质审查，进入准入评估",
    "active": "准入评估通过，签订框架协议",
    "suspended": "连续两个月 SLA 未达标，暂停新增派单",
    "exited": "合同到期不再续约，已完成交接",
    "blacklisted": "提供虚假资质材料",
}


def credit_code(rng: random.Random, region: str) -> str:
    body = (
        "91"
        + DIVISIONS.get(region, "110000")
        + "".join(rng.choice(ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    )
    return body + check_character(body)


def tiny_pdf(title: str) -> bytes:
    text = title.encode("ascii", "replace")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer << /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def pdf_upload(name: str, title: str) -> services.Upload:
    data = tiny_pdf(title)
    return services.Upload(name=name, stream=io.BytesIO(data), size=len(data))


def load(ctx: Any) -> None:
    if Vendor.objects.exists():
        return
    rng = random.Random(20261121)
    actor = ctx["actor"]
    today = clock.today()
    rows = [(*v[:3], "CN", *v[3:7], "", v[7]) for v in VENDORS] + list(FOREIGN)
    for i, (name, name_en, category, country, region, city, size, status, reg_no, tags) in enumerate(rows):
        slug = name_en.lower().replace(" ", "")
        website = f"https://www.{slug}.example.cn" if country == "CN" else f"https://{slug}.example.com"
        values = {
            "name": name, "name_en": name_en, "category": category, "country": country, "region": region,
            "city": city, "size": size, "website": website,
        }
        if country == "CN":
            values["credit_code"] = credit_code(rng, region)
        else:
            values["registration_number"] = reg_no
        vendor = services.create_vendor(actor=actor, tags=tags, **values)
        for step in PATHS[status]:
            services.change_vendor_status(vendor=vendor, actor=actor, to=step, reason=REASONS[step])
        for j in range(rng.choice([1, 2, 2, 3])):
            person = rng.choice(SURNAMES) + rng.choice(GIVEN)
            services.add_contact(
                vendor=vendor,
                actor=actor,
                name=person if country == "CN" else f"Contact {j + 1}",
                role=ROLES[j % len(ROLES)],
                phone=f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
                email=f"contact{j + 1}@{name_en.lower().replace(' ', '')}.example.com",
                is_primary=(j == 0),
            )
        if status in ("prospect",) and i % 2:
            continue
        # Certificates: most valid, a few expiring within 60 days, a few expired.
        pattern = i % 6
        until = {
            0: today + timedelta(days=400),
            1: today + timedelta(days=25),
            2: today - timedelta(days=12),
            3: today + timedelta(days=700),
            4: today + timedelta(days=55),
            5: today + timedelta(days=200),
        }[pattern]
        services.add_certificate(
            vendor=vendor,
            actor=actor,
            type="iso9001",
            number=f"0{rng.randrange(10**6, 10**7)}Q{rng.randrange(1000, 9999)}R1M",
            issuer="中国质量认证中心",
            scope="服务外包的提供",
            valid_from=until - timedelta(days=1095),
            valid_until=until,
            upload=pdf_upload("ISO9001.pdf", f"ISO 9001 certificate {vendor.code}"),
        )
        if category in ("it_services", "software", "customer_service", "other"):
            services.add_certificate(
                vendor=vendor,
                actor=actor,
                type="iso27001",
                number=f"ISMS-{rng.randrange(10**5, 10**6)}",
                issuer="中国网络安全审查认证和市场监管大数据中心",
                scope="信息安全管理",
                valid_from=today - timedelta(days=300),
                valid_until=today + timedelta(days=[800, 40, -30, 500][i % 4]),
            )
        if category == "software":
            services.add_certificate(
                vendor=vendor,
                actor=actor,
                type="cmmi_dev",
                level=3 + i % 3,
                number=f"CMMI-{rng.randrange(10**4, 10**5)}",
                issuer="CMMI Institute",
                valid_from=today - timedelta(days=500),
                valid_until=today + timedelta(days=595),
            )
        if country == "CN":
            services.add_certificate(
                vendor=vendor,
                actor=actor,
                type="business_licence",
                number=vendor.credit_code,
                issuer=f"{city}市市场监督管理局",
                valid_from=today - timedelta(days=3650),
                valid_until=today + timedelta(days=3650 * 2),
            )
        services.upload_document(
            vendor=vendor,
            actor=actor,
            upload=pdf_upload("NDA.pdf", f"NDA {vendor.code}"),
            type="nda",
            title="保密协议（双方签章版）",
        )
