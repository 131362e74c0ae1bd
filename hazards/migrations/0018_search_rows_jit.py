"""``hazard_search_rows`` without JIT (hazards/search.py): a window of months is then one statement.
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
        ("hazards", "0017_search_rows"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop, elidable=False),
    ]
