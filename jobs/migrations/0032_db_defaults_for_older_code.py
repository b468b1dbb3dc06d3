import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models

# While a deploy rolls, web and worker processes of the code before this release still run
# against the migrated tables, and their inserts leave out the columns their models lack: the
# database fills these as the models' defaults do (0031 added its own columns so). PostgreSQL
# only sets each column's default; SQLite copies each of the four tables, the jobs' among them.


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0031_greenhouseconnection_applied_board_etag"),
    ]

    operations = [
        migrations.AlterField(
            model_name="greenhouseconnection",
            name="applied_board_skip_reasons",
            field=models.JSONField(blank=True, db_default=[], default=list),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="email_failed",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AlterField(
            model_name="job",
            name="search_title",
            field=models.TextField(blank=True, db_default="", default="", editable=False),
        ),
        migrations.AlterField(
            model_name="organization",
            name="listing_changed_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                default=django.utils.timezone.now,
                editable=False,
            ),
        ),
        migrations.AlterField(
            model_name="organization",
            name="search_name",
            field=models.TextField(blank=True, db_default="", default="", editable=False),
        ),
    ]
