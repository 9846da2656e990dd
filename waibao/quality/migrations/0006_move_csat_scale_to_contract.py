"""The CSAT scale moves from the quality app's SatisfactionSetting to the contract (Contract.csat_scale),
where the delivery app can check each service record's rating against it.

Each contract gets the scale chosen in the quality app; a contract without one keeps 0–100 %, unless it
has no survey results but service records with a rating — those were all 1–5 (the old rule), so its
scale is 1–5 and its records stay valid."""

from django.db import migrations


def forward(apps, schema_editor):
    Contract = apps.get_model("contracts", "Contract")
    Setting = apps.get_model("quality", "SatisfactionSetting")
    Result = apps.get_model("quality", "SatisfactionResult")
    Record = apps.get_model("delivery", "ServiceRecord")
    chosen = dict(Setting.objects.values_list("contract_id", "csat_scale"))
    for scale in {"percent", "score5", "score10"}:
        Contract.objects.filter(pk__in=[c for c, s in chosen.items() if s == scale]).update(csat_scale=scale)
    with_results = Result.objects.values("contract_id")
    rated = (
        Record.objects.filter(csat__isnull=False)
        .exclude(contract_id__in=with_results)
        .exclude(contract_id__in=list(chosen))
        .values("contract_id")
    )
    Contract.objects.filter(pk__in=rated).update(csat_scale="score5")


def backward(apps, schema_editor):
    Contract = apps.get_model("contracts", "Contract")
    Setting = apps.get_model("quality", "SatisfactionSetting")
    Setting.objects.bulk_create(
        Setting(contract_id=pk, csat_scale=scale)
        for pk, scale in Contract.objects.exclude(csat_scale="percent").values_list("pk", "csat_scale")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0005_contract_add_csat_scale"),
        ("delivery", "0006_importjob_summary"),
        ("quality", "0005_ncr_add_messages"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(name="SatisfactionSetting"),
    ]
