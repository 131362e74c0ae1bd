# API tokens stored as digests, with an expiry. The plaintext tokens of DRF's authtoken app (no longer
# installed) are carried over as digests, valid for API_TOKEN_TTL from the migration, and erased.

import datetime
import hashlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.utils.dateparse import parse_datetime


def _aware(value):
    # A raw cursor on SQLite gives the stored UTC time as text or a naive datetime.
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=datetime.timezone.utc) if django.utils.timezone.is_naive(value) else value


def hash_existing_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    expires_at = django.utils.timezone.now() + settings.API_TOKEN_TTL
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        ApiToken.objects.bulk_create(
            ApiToken(
                digest=hashlib.sha256(key.encode()).hexdigest(),
                user_id=user_id,
                created_at=_aware(created),
                expires_at=expires_at,
            )
            for key, user_id, created in cursor.fetchall()
        )
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_sector'),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('digest', models.CharField(editable=False, max_length=64, unique=True, verbose_name='摘要')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='签发时间')),
                ('expires_at', models.DateTimeField(verbose_name='到期时间')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='用户')),
            ],
            options={
                'verbose_name': 'API 令牌',
                'verbose_name_plural': 'API 令牌',
                'ordering': ['-created_at'],
            },
        ),
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop),
    ]
