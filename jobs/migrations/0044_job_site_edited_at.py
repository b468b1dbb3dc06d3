"""When an edit here last changed what a job's page shows: the sitemap dated such a job by its
last change in Greenhouse alone. Null for the jobs before it, and for those never so edited."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0043_search_title_apart_from_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="site_edited_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
