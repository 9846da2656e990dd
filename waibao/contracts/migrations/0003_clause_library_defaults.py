"""The clause library starts with one template for every clause type, so that a fresh installation (without
the demo) can add all required clauses in one step. Types that already have a template keep theirs.

The texts are frozen here (a migration must not import code that changes later)."""

from django.db import migrations

DEFAULTS = [
    (
        "scope",
        "服务范围",
        "乙方按本合同及其附件约定的范围、地点和服务时间向甲方提供服务，具体服务内容、交付物和服务时间以附件"
        "《服务说明书》为准。范围以外的工作须经双方书面确认后方可实施并另行计费。",
    ),
    (
        "quality",
        "质量标准与服务水平",
        "乙方应达到附件《服务水平协议》约定的各项服务水平指标；甲方按约定的统计周期和计算方法评估，"
        "评估结果作为服务费扣减或奖励的依据。乙方应配合甲方的抽检、审核和不合格整改（8D）要求。",
    ),
    (
        "payment",
        "付款方式",
        "服务费按月结算。乙方于次月 5 日前提交服务报告及发票，甲方确认后 30 日内支付；服务抵扣在当期结算中扣除。",
    ),
    (
        "confidentiality",
        "标准保密条款",
        "乙方对在履行本合同过程中知悉的甲方商业秘密、技术资料和客户信息负有保密义务，保密期限自合同签订之日起"
        "至合同终止后五年。",
    ),
    (
        "liability",
        "违约责任",
        "乙方未达到附件 SLA 的，按附件奖惩区间扣减当月服务费，当月扣减总额不超过月服务费的 15%；连续三个月"
        "未达标的，甲方有权解除合同。",
    ),
    (
        "data_security",
        "数据安全与个人信息保护",
        "乙方应按照《网络安全法》《数据安全法》《个人信息保护法》处理甲方数据；数据存储于中国境内；未经甲方书面"
        "同意不得向第三方提供；发生数据安全事件应在 2 小时内通知甲方。",
    ),
    (
        "ip",
        "知识产权",
        "乙方为履行本合同交付的成果，其知识产权自交付并付款之日起归甲方所有。",
    ),
    (
        "price_adjustment",
        "价格调整",
        "合同期内服务单价原则上不变。如约定的价格指数较基期变动超过约定阈值，任一方可书面提出调整，"
        "经双方确认后自下一结算周期起按新价格执行。",
    ),
    (
        "exit",
        "退出与终止",
        "合同终止或解除时，乙方应在 30 日内完成服务交接：返还并删除全部甲方数据、配合数据迁移、完成知识转移、"
        "撤销系统访问权限，并完成最终结算。",
    ),
    (
        "dispute",
        "争议解决",
        "因本合同引起的争议，双方应友好协商；协商不成的，提交甲方所在地有管辖权的人民法院诉讼解决。",
    ),
]


def seed(apps, schema_editor):
    ClauseTemplate = apps.get_model("contracts", "ClauseTemplate")
    for clause_type, title, text in DEFAULTS:
        if not ClauseTemplate.objects.filter(clause_type=clause_type).exists():
            ClauseTemplate.objects.create(clause_type=clause_type, title=title, text=text, is_active=True)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0002_version_note")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
