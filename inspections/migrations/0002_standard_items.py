"""The 判定标准 items captured so far, as data (inspections/data/standards.json)."""

from django.db import migrations


def load(apps, schema_editor):
    from inspections.standards import load_standards

    load_standards(apps.get_model("inspections", "StandardItem"))


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
