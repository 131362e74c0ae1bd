# IdempotencyRecord now belongs to core (core/migrations/0001_initial.py): the state only, no data moves.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("hazards", "0008_reminder_schedule"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
            database_operations=[],
        ),
    ]
