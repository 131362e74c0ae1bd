# 责任单位 get a 行业领域 (issue 12: coverage by sector); existing units take the sector most of their
# hazards and inspections carry (accounts/backfill.py), units without records stay without one.

import django.db.models.deletion
from django.db import migrations, models

from accounts.backfill import unit_sectors_from_records


def backfill(apps, schema_editor):
    unit_sectors_from_records(
        apps.get_model("accounts", "ResponsibleUnit"),
        apps.get_model("hazards", "Hazard"),
        apps.get_model("inspections", "Inspection"),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_apitoken"),
        ("hazards", "0014_search_months"),
        ("inspections", "0004_campaign_snapshots"),
    ]

    operations = [
        migrations.AddField(
            model_name="responsibleunit",
            name="sector",
            field=models.ForeignKey(
                blank=True,
                help_text="统计排查覆盖率时按此行业计入月报表的行",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="units",
                to="accounts.sector",
                verbose_name="行业领域",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
    ]
