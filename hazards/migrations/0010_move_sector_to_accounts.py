# Sector now belongs to accounts (accounts/migrations/0004_sector.py): the state only, no data moves;
# the foreign key keeps pointing at the same table.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_sector'),
        ('hazards', '0009_move_idempotencyrecord_to_core'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='hazard',
                    name='sector',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='hazards', to='accounts.sector', verbose_name='行业领域'),
                ),
                migrations.DeleteModel(
                    name='Sector',
                ),
            ],
            database_operations=[],
        ),
    ]
