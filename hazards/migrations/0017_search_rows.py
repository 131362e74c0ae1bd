"""``hazard_search_rows``: the search's read of its table, always through the GIN index (hazards/search.py).
Functions and triggers installed again; the table and its index are kept."""

from django.db import migrations

from hazards import search


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        search.install(cursor, backfill=False)


class Migration(migrations.Migration):
    dependencies = [
        ("hazards", "0016_unit_self_check_index"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop, elidable=False),
    ]
