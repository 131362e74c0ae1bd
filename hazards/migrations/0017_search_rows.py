"""``hazard_search_rows``: the search's read of its table, always through the GIN index (hazards/search.py).
Functions and triggers installed again (``search.reinstall``); the table and its index are kept."""

from django.db import migrations

from hazards import search


class Migration(migrations.Migration):
    dependencies = [
        ("hazards", "0016_unit_self_check_index"),
    ]

    operations = [
        migrations.RunPython(search.reinstall, migrations.RunPython.noop, elidable=False),
    ]
