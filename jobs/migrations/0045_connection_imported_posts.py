"""How many posts of the applied board are on the site, which a sync that finds the same board
again reports unchanged: it reported the org's open jobs, which count those of posts skipped.
A board applied before, or by older code during the deploy, has no count (its fingerprint is
not beside one), so the next sync applies it again in full, which counts it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0044_job_site_edited_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="greenhouseconnection",
            name="applied_board_imported",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="greenhouseconnection",
            name="applied_board_imported_fingerprint",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
    ]
