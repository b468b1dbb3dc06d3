"""The listing indexes end with the application deadline, which listed_jobs() checks.

On PostgreSQL the new indexes are built CONCURRENTLY before the old ones are dropped, the same
way: a plain CREATE or DROP INDEX would lock the jobs table against every visitor page and sync
until the whole migration commits. Elsewhere (SQLite) the plain operations.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


def postgresql_without_lock(concurrently, plain):
    """`concurrently` on PostgreSQL; elsewhere `plain`, the operation it extends."""

    class Operation(concurrently):
        def database_forwards(self, app_label, schema_editor, from_state, to_state):
            self._variant(schema_editor).database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

        def database_backwards(self, app_label, schema_editor, from_state, to_state):
            self._variant(schema_editor).database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )

        @staticmethod
        def _variant(schema_editor):
            return concurrently if schema_editor.connection.vendor == "postgresql" else plain

    return Operation


AddIndexWithoutLock = postgresql_without_lock(AddIndexConcurrently, migrations.AddIndex)
RemoveIndexWithoutLock = postgresql_without_lock(RemoveIndexConcurrently, migrations.RemoveIndex)


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
