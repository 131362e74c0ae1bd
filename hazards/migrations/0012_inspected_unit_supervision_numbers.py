"""被检查单位 on a hazard; 挂牌督办 authorities derived from the region and 文号 numbered per office and year.

Existing listings get the office of their level over the hazard (its county, city or province), that
office's name as the authority, and numbers in order of listing, per office and year; the sequences
continue from there.
"""

from collections import Counter

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone



def number_listings(apps, schema_editor) -> None:
    Region = apps.get_model("accounts", "Region")
    SupervisionListing = apps.get_model("hazards", "SupervisionListing")
    SupervisionNoticeSequence = apps.get_model("hazards", "SupervisionNoticeSequence")
    listings = list(SupervisionListing.objects.select_related("hazard__county").order_by("listed_at", "id"))
    codes = {code for listing in listings for code in listing.hazard.county.path.strip("/").split("/")}
    regions = {region.code: region for region in Region.objects.filter(code__in=codes)}
    issued: Counter = Counter()
    for listing in listings:
        chain = [regions[code] for code in listing.hazard.county.path.strip("/").split("/") if code in regions]
        office = next((r for r in chain if r.level == listing.authority_level), listing.hazard.county)
        year = timezone.localtime(listing.listed_at).year
        issued[office.pk, year] += 1
        listing.authority_region = office
        listing.authority = f"{office.name}安全生产委员会办公室"
        listing.notice_number = f"{office.name}安委办督〔{year}〕{issued[office.pk, year]}号"
    SupervisionListing.objects.bulk_update(listings, ["authority_region", "authority", "notice_number"], batch_size=1000)
    SupervisionNoticeSequence.objects.bulk_create(
        [
            SupervisionNoticeSequence(office_id=office_id, year=year, last_value=count)
            for (office_id, year), count in issued.items()
        ]
    )
    if schema_editor.connection.vendor == "postgresql":
        # The foreign keys just written are checked at commit; the column may only be altered once they are.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_apitoken"),
        ("hazards", "0011_recall_reassign_actions"),
    ]

    operations = [
        migrations.AddField(
            model_name="hazard",
            name="inspected_unit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="inspected_hazards",
                to="accounts.responsibleunit",
                verbose_name="被检查单位",
            ),
        ),
        migrations.CreateModel(
            name="SupervisionNoticeSequence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField()),
                ("last_value", models.PositiveIntegerField(default=0)),
                (
                    "office",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.region"
                    ),
                ),
            ],
            options={
                "verbose_name": "督办文号序列",
                "verbose_name_plural": "督办文号序列",
                "constraints": [
                    models.UniqueConstraint(fields=("office", "year"), name="supervision_notice_sequence_unique")
                ],
            },
        ),
        migrations.AddField(
            model_name="supervisionlisting",
            name="authority_region",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.region",
                verbose_name="督办单位所在区划",
            ),
        ),
        migrations.RunPython(number_listings, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="supervisionlisting",
            name="authority_region",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.region",
                verbose_name="督办单位所在区划",
            ),
        ),
    ]
