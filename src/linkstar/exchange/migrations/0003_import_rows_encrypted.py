# Imports keep their parsed rows encrypted, and a done import only what its page shows
# (issue 17 §2). Rows stored before: those of imports not yet done are encrypted in place; those
# of done imports are dropped (their masked preview cannot be told apart here).

import linkstar.core.crypto
from django.db import migrations, models


def seal_rows(apps, schema_editor):
    ImportJob = apps.get_model("exchange", "ImportJob")
    for job in ImportJob.objects.only("pk", "status", "rows").iterator(chunk_size=50):
        if job.status == "done":
            job.rows = []
            job.plan = {}
            job.preview_only = True
            job.save(update_fields=["rows", "plan", "preview_only"])
        elif job.rows:
            job.save(update_fields=["rows"])  # written back through the encrypted field


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0002_import_plan"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="preview_only",
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="rows",
            field=linkstar.core.crypto.EncryptedJSONField(default=list),
        ),
        migrations.RunPython(seal_rows, migrations.RunPython.noop),
    ]
