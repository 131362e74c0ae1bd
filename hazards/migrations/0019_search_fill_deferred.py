"""The search table's insert trigger stands aside while ``hazards.defer_search`` is on: a history batch
(a 台账 import) inserts its hazards with it on and fills their search rows set-based (hazards/search.py).
Functions and triggers installed again (``search.reinstall``); the table and its index are kept."""

from django.db import migrations

from hazards import search


class Migration(migrations.Migration):
    dependencies = [
        ("hazards", "0018_search_rows_jit"),
    ]

    operations = [
        migrations.RunPython(search.reinstall, migrations.RunPython.noop, elidable=False),
    ]
