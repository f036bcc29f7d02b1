# Whether the editor insisted on plain http to this server (login --insecure-http).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('fieldsync_store', '0004_account_site_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='account',
            name='insecure_http',
            field=models.BooleanField(default=False),
        ),
    ]
