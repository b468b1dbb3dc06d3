"""An index on when each sync run started: the daily prune of old runs and Django admin's list of
every org's runs read the whole history table without it (millions of rows on a large site).
Built CONCURRENTLY on PostgreSQL, so syncs go on recording runs meanwhile."""

from django.db import migrations, models

from jobs.migration_operations import AddIndexWithoutLock


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("jobs", "0019_reparse_posts_with_relative_links"),
    ]

    operations = [
        AddIndexWithoutLock(
            model_name="syncrun",
            index=models.Index(fields=["started_at"], name="syncrun_started_idx"),
        ),
    ]
