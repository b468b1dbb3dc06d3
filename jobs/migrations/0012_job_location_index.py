from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0011_job_long_columns_lz4"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="job",
            index=models.Index(
                condition=models.Q(("hidden", False), ("is_open", True)),
                fields=["location_name"],
                name="job_location_idx",
            ),
        ),
    ]
