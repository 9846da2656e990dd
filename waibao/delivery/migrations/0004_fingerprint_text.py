# Record fingerprints are now the hash of rows.fingerprint_text (UTC microseconds instead of float
# timestamps), which the columnar import path can build column-wise. Stored fingerprints are recomputed
# so that re-importing an unchanged file still counts its rows as unchanged.

from django.db import migrations

FIELDS = (
    "id", "kind", "opened_at", "first_response_at", "resolved_at", "promised_at", "delivered_at",
    "priority", "category", "status", "csat", "defect", "pauses", "custom",
)  # fmt: skip


def recompute(apps, schema_editor):
    from django.db import connection

    from waibao.delivery.rows import fingerprint

    record = apps.get_model("delivery", "ServiceRecord")
    table = record._meta.db_table
    batch = []
    with connection.cursor() as cur:
        for values in record.objects.order_by("id").values(*FIELDS).iterator(chunk_size=5000):
            batch.append((fingerprint(values), values["id"]))
            if len(batch) >= 5000:
                cur.executemany(f"UPDATE {table} SET fingerprint = %s WHERE id = %s", batch)
                batch = []
        if batch:
            cur.executemany(f"UPDATE {table} SET fingerprint = %s WHERE id = %s", batch)


class Migration(migrations.Migration):
    dependencies = [("delivery", "0003_monthly_aggregates")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
