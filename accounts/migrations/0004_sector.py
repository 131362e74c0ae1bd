# Sector moved here from the hazards app: the state only, the table (hazards_sector) stays where it is.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_user_is_leader'),
        ('hazards', '0009_move_idempotencyrecord_to_core'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Sector',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=32, unique=True, verbose_name='代码')),
                        ('name', models.CharField(max_length=64, verbose_name='名称')),
                        ('sort_order', models.PositiveSmallIntegerField(default=0, verbose_name='排序')),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='sectors', to='accounts.supervisingdepartment', verbose_name='行业主管部门')),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='accounts.sector', verbose_name='上级行业')),
                    ],
                    options={
                        'verbose_name': '行业领域',
                        'verbose_name_plural': '行业领域',
                        'db_table': 'hazards_sector',
                        'ordering': ['sort_order', 'code'],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
