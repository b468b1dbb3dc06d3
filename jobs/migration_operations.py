"""Migration operations that take no long lock on PostgreSQL.

A plain CREATE or DROP INDEX locks its table against every visitor page and sync until the
migration commits; CONCURRENTLY does not, but cannot run inside a transaction (a migration using
these sets `atomic = False`). Elsewhere (SQLite) the plain operations.

Outside a transaction, an interrupted migration keeps the steps it had done, and its index
built halfway stays as INVALID. Run again, each step on PostgreSQL skips what is done already
and builds such an index anew, so `migrate` simply runs again.

The migrations that have posts read again share `posts_read_again`, which takes no lock a
running sync could wait on while it waits on one of that sync's.
"""

from typing import Any

from django.contrib.postgres.operations import (
    AddIndexConcurrently,
    NotInTransactionMixin,
    RemoveIndexConcurrently,
)
from django.db import migrations
from django.db.migrations.operations.base import Operation

INDEX_VALIDITY_SQL = (
    "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "WHERE c.relname = %s AND pg_table_is_visible(c.oid)"
)


def postgresql_without_lock(name: str, concurrently: type, plain: type) -> type:
    """`concurrently` on PostgreSQL; elsewhere `plain`, the operation it extends. Named `name`,
    the name it is given in this module, as a migration written of it (a squash) imports it."""
    forwards_creates = issubclass(plain, migrations.AddIndex)

    class WithoutLock(concurrently):
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
            if not creating:
                return _index_validity(schema_editor, name) is None  # dropped already
            return _built_already(schema_editor, name)

    WithoutLock.__name__ = WithoutLock.__qualname__ = name
    return WithoutLock


AddIndexWithoutLock = postgresql_without_lock(
    "AddIndexWithoutLock", AddIndexConcurrently, migrations.AddIndex
)
RemoveIndexWithoutLock = postgresql_without_lock(
    "RemoveIndexWithoutLock", RemoveIndexConcurrently, migrations.RemoveIndex
)


class AlterFieldIndexWithoutLock(NotInTransactionMixin, migrations.AlterField):
    """An AlterField that only turns a field's own index (its db_index) off or on: it drops or
    builds that index alone. Django's AlterField would also drop a foreign key's constraint and
    add it back, which on PostgreSQL checks every row while writes wait, and on SQLite copies
    the table. On PostgreSQL the index is dropped or built CONCURRENTLY (the migration sets
    `atomic = False`); run again after an interruption, an index left INVALID is dropped, and
    built anew when building."""

    def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        self._alter_index(app_label, schema_editor, *states)

    def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        # Called with the states the other way round: from the later state to the earlier.
        self._alter_index(app_label, schema_editor, *states)

    def describe(self) -> str:
        return f"Alter the index of field {self.name} on {self.model_name}"

    def _alter_index(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        old = from_state.apps.get_model(app_label, self.model_name)._meta.get_field(self.name)
        new = model._meta.get_field(self.name)
        if _without_db_index(old) != _without_db_index(new):
            raise ValueError(f"{self.model_name}.{self.name}: changes more than its db_index")
        postgresql = schema_editor.connection.vendor == "postgresql"
        if postgresql:
            self._ensure_not_in_transaction(schema_editor)
        found = _own_indexes(schema_editor, model, new.column)
        for name, is_valid in found.items():
            if not (new.db_index and is_valid):
                drop = "DROP INDEX CONCURRENTLY IF EXISTS" if postgresql else "DROP INDEX IF EXISTS"
                schema_editor.execute(f"{drop} {schema_editor.quote_name(name)}")
        if new.db_index and not any(found.values()):
            concurrently = {"concurrently": True} if postgresql else {}
            schema_editor.execute(
                schema_editor._create_index_sql(model, fields=[new], **concurrently)
            )


def _without_db_index(field: Any) -> tuple:
    path, args, kwargs = field.deconstruct()[1:]
    kwargs.pop("db_index", None)
    return path, args, kwargs


def _own_indexes(schema_editor: Any, model: Any, column: str) -> dict[str, bool]:
    """The indexes of `column` alone that are not the model's named ones (Meta.indexes), by name,
    each with whether it is valid (PostgreSQL leaves one INVALID when interrupted)."""
    connection = schema_editor.connection
    named = {index.name for index in model._meta.indexes}
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    found = {
        name: True
        for name, constraint in constraints.items()
        if constraint["index"]
        and constraint["columns"] == [column]
        and not (constraint["unique"] or constraint["primary_key"] or name in named)
    }
    if connection.vendor == "postgresql":
        for name in found:
            found[name] = bool(_index_validity(schema_editor, name))
    return found


def _index_validity(schema_editor: Any, name: str) -> bool | None:
    """On PostgreSQL, whether index `name` is valid; None where there is none."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(INDEX_VALIDITY_SQL, [name])
        row = cursor.fetchone()
    return None if row is None else row[0]


def _built_already(schema_editor: Any, name: str) -> bool:
    """On PostgreSQL, whether index `name` is built and valid. One an interrupted CREATE INDEX
    CONCURRENTLY left INVALID is dropped, to be built again."""
    is_valid = _index_validity(schema_editor, name)
    if is_valid is False:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY {schema_editor.quote_name(name)}")
    return bool(is_valid)


class AddIndexInAnyCaseWithoutLock(NotInTransactionMixin, Operation):
    """An index of a model's `field` that its lookups in any case (Django's iexact) read, for a
    model of another app (auth's user), whose own migrations make its state: this one leaves
    the state alone. On PostgreSQL iexact compares UPPER(column) = UPPER(%s): the index is of
    UPPER(column), built CONCURRENTLY (the migration sets `atomic = False`), an index left
    INVALID by an interrupted run built anew. On SQLite iexact is a LIKE, which reads an index
    of the column in its NOCASE collation (SQLite's LIKE optimization) and none of UPPER()."""

    def __init__(self, model: str, field: str, name: str) -> None:
        self.model, self.field, self.name = model, field, name

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        model = self._model_migrated(schema_editor, states[1])
        if model is None:
            return
        quote = schema_editor.quote_name
        table = quote(model._meta.db_table)
        column = quote(model._meta.get_field(self.field).column)
        if schema_editor.connection.vendor == "postgresql":
            self._ensure_not_in_transaction(schema_editor)
            if not _built_already(schema_editor, self.name):
                schema_editor.execute(
                    f"CREATE INDEX CONCURRENTLY {quote(self.name)} ON {table} (UPPER({column}))"
                )
        else:
            # IF NOT EXISTS: outside a transaction, an interrupted run keeps the first index.
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(self.name)} "
                f"ON {table} ({column} COLLATE NOCASE)"
            )

    def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if self._model_migrated(schema_editor, states[1]) is None:
            return
        drop = "DROP INDEX IF EXISTS"
        if schema_editor.connection.vendor == "postgresql":
            self._ensure_not_in_transaction(schema_editor)
            drop = "DROP INDEX CONCURRENTLY IF EXISTS"
        schema_editor.execute(f"{drop} {schema_editor.quote_name(self.name)}")

    def _model_migrated(self, schema_editor: Any, state: Any) -> Any:
        """The model in `state`, or None where the database router keeps it elsewhere."""
        model = state.apps.get_model(self.model)
        return model if self.allow_migrate_model(schema_editor.connection.alias, model) else None

    def describe(self) -> str:
        return f"Index {self.model}.{self.field} in any case, as {self.name}"

    @property
    def migration_name_fragment(self) -> str:
        return self.name


def posts_read_again(apps: Any, jobs: dict[int, int]) -> None:
    """Has the next sync read again the posts of `jobs` (pk: its org's pk): each job forgets its
    post's hash in a statement of its own, committed at once (the migration is not atomic),
    then their orgs' connections forget their board's fingerprint. A sync writes its changed
    jobs one at a time in its board's order, holding each until it commits, then its
    connection: one UPDATE of all the jobs, holding one it found first as it waited for one
    the sync had written while the sync waited for the first, was a deadlock, PostgreSQL then
    killing the migration; so was holding a connection while waiting for its jobs. Stopped
    part way through, the next migrate runs it again whole."""
    Job = apps.get_model("jobs", "Job")
    for pk in jobs:
        Job.objects.filter(pk=pk).update(payload_hash="")
    apps.get_model("jobs", "GreenhouseConnection").objects.filter(
        organization__in=set(jobs.values())
    ).update(applied_board_fingerprint="")
