"""The listing indexes end with the application deadline, which listed_jobs() checks.

On PostgreSQL the new indexes are built CONCURRENTLY before the old ones are dropped, the same
way: a plain CREATE or DROP INDEX would lock the jobs table against every visitor page and sync
until the whole migration commits. Elsewhere (SQLite) the plain operations.
"""

from django.db import migrations, models

from jobs.migration_operations import AddIndexWithoutLock, RemoveIndexWithoutLock


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("jobs", "0012_job_location_index"),
    ]

    operations = [
        AddIndexWithoutLock(
            model_name="job",
            index=models.Index(
                fields=["organization", "is_open", "hidden", "application_deadline"],
                name="job_listed_idx",
            ),
        ),
        AddIndexWithoutLock(
            model_name="job",
            index=models.Index(
                condition=models.Q(("hidden", False), ("is_open", True)),
                fields=["location_name", "application_deadline"],
                name="job_listed_location_idx",
            ),
        ),
        RemoveIndexWithoutLock(model_name="job", name="job_listing_idx"),
        RemoveIndexWithoutLock(model_name="job", name="job_location_idx"),
    ]
