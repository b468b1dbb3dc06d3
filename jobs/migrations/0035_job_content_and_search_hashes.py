from django.db import migrations, models

# What each job's description and search words were read from (jobs.sync): a post changed only
# elsewhere keeps them. Jobs stored before have none, and are read in full at their next change.


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0034_search_text_composed"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="content_hash",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
        migrations.AddField(
            model_name="job",
            name="search_hash",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
    ]
