# Bytes per file a checkout or sync downloads by itself (docs/files.md).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('fieldsync_store', '0005_account_insecure_http'),
    ]

    operations = [
        migrations.AddField(
            model_name='account',
            name='download_limit',
            field=models.BigIntegerField(default=2097152),
        ),
    ]
