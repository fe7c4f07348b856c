from django.db import migrations, models


class Migration(migrations.Migration):
    """Events name the scheme of their hash: the existing ones keep the plain SHA-256 ("")."""

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="hash_scheme",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
    ]
