"""A record's CSAT is on its contract's scale (1–5, 0–10 or 0–100, checked when it comes in), so the
database allows the widest one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0006_importjob_summary"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="servicerecord", name="record_csat_1_5"),
        migrations.AddConstraint(
            model_name="servicerecord",
            constraint=models.CheckConstraint(
                condition=models.Q(("csat__isnull", True), models.Q(("csat__gte", 0), ("csat__lte", 100)), _connector="OR"),
                name="record_csat_0_100",
            ),
        ),
    ]
