# The site's public key, pinned at login for bundles (docs/bundles.md).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('fieldsync_store', '0003_bundle_identity'),
    ]

    operations = [
        migrations.AddField(
            model_name='account',
            name='site_key',
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
