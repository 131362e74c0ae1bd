from django.db import migrations

from reminders.defaults import DEFAULT_RULES, FIELDS


def install(apps, schema_editor):
    ReminderRule = apps.get_model("reminders", "ReminderRule")
    for values in DEFAULT_RULES:
        row = dict(zip(FIELDS, values, strict=True))
        ReminderRule.objects.get_or_create(name=row.pop("name"), defaults=row)


class Migration(migrations.Migration):
    dependencies = [("reminders", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
