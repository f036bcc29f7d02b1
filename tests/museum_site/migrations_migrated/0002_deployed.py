"""A migration deployed while editors work offline: a field renamed, one removed,
two added (tests/client/test_schema_changes.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("museum", "0001_initial")]

    operations = [
        migrations.RenameField("artefact", "length_cm", "length"),
        migrations.RemoveField("artefact", "exposure"),
        migrations.AddField("artefact", "provenance", models.TextField(blank=True, default="")),
        migrations.AddField(
            "artefact", "accession_year", models.PositiveIntegerField(blank=True, null=True)
        ),
    ]
