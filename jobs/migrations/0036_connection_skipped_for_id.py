from django.db import migrations, models

# How many of the posts the applied board skipped were skipped for their id (none readable, or
# another post's): the status then does not tell the org's admins to fix those in Greenhouse.
# Boards applied before count none until their next change.


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0035_job_content_and_search_hashes"),
    ]

    operations = [
        migrations.AddField(
            model_name="greenhouseconnection",
            name="applied_board_skipped_for_id",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
    ]
