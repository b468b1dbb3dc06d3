"""Migration operations that take no long lock on PostgreSQL.

A plain CREATE or DROP INDEX locks its table against every visitor page and sync until the
migration commits; CONCURRENTLY does not, but cannot run inside a transaction (a migration using
these sets `atomic = False`). Elsewhere (SQLite) the plain operations.

Outside a transaction, an interrupted migration keeps the steps it had done, and its index
built halfway stays as INVALID. Run again, each step on PostgreSQL skips what is done already
and builds such an index anew, so `migrate` simply runs again.
"""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations

INDEX_VALIDITY_SQL = (
    "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "WHERE c.relname = %s AND pg_table_is_visible(c.oid)"
)


def postgresql_without_lock(concurrently: type, plain: type) -> type:
    """`concurrently` on PostgreSQL; elsewhere `plain`, the operation it extends."""
    forwards_creates = issubclass(plain, migrations.AddIndex)

    class Operation(concurrently):
        def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
            if not self._done_already(schema_editor, creating=forwards_creates):
                self._variant(schema_editor).database_forwards(
                    self, app_label, schema_editor, *states
                )

        def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
            if not self._done_already(schema_editor, creating=not forwards_creates):
                self._variant(schema_editor).database_backwards(
                    self, app_label, schema_editor, *states
                )

        @staticmethod
        def _variant(schema_editor: Any) -> type:
            return concurrently if schema_editor.connection.vendor == "postgresql" else plain

        def _done_already(self, schema_editor: Any, *, creating: bool) -> bool:
            """On PostgreSQL, whether an interrupted run already did this step. An INVALID index
            it left is dropped, to be built again."""
            if schema_editor.connection.vendor != "postgresql":
                return False
            name = self.index.name if forwards_creates else self.name
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(INDEX_VALIDITY_SQL, [name])
                row = cursor.fetchone()
            if not creating:
                return row is None  # dropped already
            if row is None:
                return False
            is_valid = row[0]
            if not is_valid:
                schema_editor.execute(f"DROP INDEX CONCURRENTLY {schema_editor.quote_name(name)}")
            return is_valid

    return Operation


AddIndexWithoutLock = postgresql_without_lock(AddIndexConcurrently, migrations.AddIndex)
RemoveIndexWithoutLock = postgresql_without_lock(RemoveIndexConcurrently, migrations.RemoveIndex)
