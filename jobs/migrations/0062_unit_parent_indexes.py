"""Index the departments and the offices by their parent: a filter lists the jobs of the units
below the one chosen, found a level at a time by their parent's Greenhouse id. Without it
SQLite read every unit of the org for each unit found, PostgreSQL every org's for each level
(29 s and 16 s for the 6,000 below a department, nested 6,000 deep, of an org that has had
20,000). Built CONCURRENTLY on PostgreSQL, so syncs go on writing units meanwhile."""

from django.db import migrations, models

from jobs.migration_operations import AddIndexWithoutLock


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("jobs", "0061_reparse_posts_with_a_blank_excerpt"),
    ]

    operations = [
        AddIndexWithoutLock(
            model_name="department",
            index=models.Index(
                fields=["organization", "parent_greenhouse_id"], name="department_parent_idx"
            ),
        ),
        AddIndexWithoutLock(
            model_name="office",
            index=models.Index(
                fields=["organization", "parent_greenhouse_id"], name="office_parent_idx"
            ),
        ),
    ]
