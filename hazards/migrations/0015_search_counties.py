"""The search documents carry the county of each hazard beside its month (hazards/search.py): the table is
filled again and its index, now on the document alone, rebuilt."""

import time

from django.db import migrations

from hazards import search


def rebuild(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    started = time.monotonic()
    with schema_editor.connection.cursor() as cursor:
        search.install(cursor, backfill=True)
    print(f"  hazard search table filled again and indexed in {time.monotonic() - started:.1f} s")  # noqa: T201


class Migration(migrations.Migration):
    dependencies = [
        ("hazards", "0014_search_months"),
    ]

    operations = [
        migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=False),
    ]
