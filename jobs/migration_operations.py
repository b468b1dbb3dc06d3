"""Migration operations that take no long lock on PostgreSQL.

A plain CREATE or DROP INDEX locks its table against every visitor page and sync until the
migration commits; CONCURRENTLY does not, but cannot run inside a transaction (a migration using
these sets `atomic = False`). Elsewhere (SQLite) the plain operations.
"""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


def postgresql_without_lock(concurrently: type, plain: type) -> type:
    """`concurrently` on PostgreSQL; elsewhere `plain`, the operation it extends."""

    class Operation(concurrently):
        def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
            self._variant(schema_editor).database_forwards(self, app_label, schema_editor, *states)

        def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
            self._variant(schema_editor).database_backwards(self, app_label, schema_editor, *states)

        @staticmethod
        def _variant(schema_editor: Any) -> type:
            return concurrently if schema_editor.connection.vendor == "postgresql" else plain

    return Operation


AddIndexWithoutLock = postgresql_without_lock(AddIndexConcurrently, migrations.AddIndex)
RemoveIndexWithoutLock = postgresql_without_lock(RemoveIndexConcurrently, migrations.RemoveIndex)
