"""Sync history tells a task's own retry of a failed sync from a press of Refresh now (choices
only: nothing in the database changes)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0020_syncrun_started_index"),
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
                    ("webhook", "Webhook"),
                    ("command", "Command line"),
                    ("retry", "Retry after a failure"),
                ],
                max_length=10,
            ),
        ),
    ]
