"""An index in the order of the org admin's jobs list: a later page of an org's 5,000 jobs was
sorted anew from the whole table on every request. Built CONCURRENTLY on PostgreSQL, so syncs
go on writing jobs meanwhile."""

from django.db import migrations, models

from jobs.migration_operations import AddIndexWithoutLock


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("jobs", "0022_greenhouseconnection_retry_at"),
    ]

    operations = [
        AddIndexWithoutLock(
            model_name="job",
            index=models.Index(
                fields=["organization", "-is_open", "-featured", "title", "id"],
                name="job_manage_list_idx",
            ),
        ),
    ]
