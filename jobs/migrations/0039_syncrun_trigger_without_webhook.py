"""Sync history no longer offers a "Webhook" trigger, which nothing ever recorded: the admin's
filter listed it (choices only: nothing in the database changes)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0038_reparse_posts_with_controls_or_unbounded_metadata"),
    ]

    operations = [
        migrations.AlterField(
            model_name="syncrun",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("schedule", "Schedule"),
                    ("manual", "Refresh now"),
                    ("connect", "Board connected"),
                    ("command", "Command line"),
                    ("retry", "Retry after a failure"),
                ],
                max_length=10,
            ),
        ),
    ]
