"""``hazard_search_rows`` without JIT (hazards/search.py): a window of months is then one statement.
Functions and triggers installed again (``search.reinstall``); the table and its index are kept."""

from django.db import migrations

from hazards import search


class Migration(migrations.Migration):
    dependencies = [
        ("hazards", "0017_search_rows"),
    ]

    operations = [
        migrations.RunPython(search.reinstall, migrations.RunPython.noop, elidable=False),
    ]
