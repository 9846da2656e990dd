# Percentile metrics (median, p90, p95, any p) are now exact: a percentile metric's daily aggregate keeps
# each record's exact business seconds as a value → count map ("v") instead of a histogram with 1/256
# relative error ("b"), and other metrics keep no such map at all. The aggregates already stored were
# computed in the old format, so they are marked stale here: the daily rows lose their definition hash and
# the monthly roll-ups are removed. Evaluation then rebuilds each stale day from the stored records before
# using it (engine._from_days), and an import rebuilds the days it touches (engine.apply_deltas), so no
# result is ever computed from an old row. `waibao evaluate_slas --rebuild` recomputes everything at once.
# (The definition hash also includes slamath.AGGREGATE_FORMAT, so rows written by the old code during a
# rolling upgrade are stale too.)

from django.db import migrations


def mark_stale(apps, schema_editor):
    daily = apps.get_model("delivery", "DailyAggregate")
    monthly = apps.get_model("delivery", "MonthlyAggregate")
    daily.objects.exclude(def_hash="").update(def_hash="")
    monthly.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("delivery", "0004_fingerprint_text")]

    operations = [migrations.RunPython(mark_stale, migrations.RunPython.noop)]
