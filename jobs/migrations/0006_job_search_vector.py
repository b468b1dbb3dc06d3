from django.db import migrations

# PostgreSQL only: the words of each job, parsed once when the row is written (a stored
# generated column) and indexed with GIN. Parsing every open job's search text at query time made
# one uncached keyword search over 10,000 jobs take 6-14 s (bench/README.md). The column is not
# a model field: SQLite (local use) searches with icontains, and jobs.search reads the column on
# PostgreSQL only. A later migration that changes `title` or `search_text` must drop the column
# first, as PostgreSQL refuses to alter a column a generated one uses.
# The weights are the ranking's: title A, search text C (the organization's name, A, is joined
# at query time, so renaming an organization needs no rewrite of its jobs).
ADD_COLUMN = """
    ALTER TABLE jobs_job ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(search_text, '')), 'C')
    ) STORED
"""
ADD_INDEX = "CREATE INDEX job_search_vector_idx ON jobs_job USING gin (search_vector)"
DROP_COLUMN = "ALTER TABLE jobs_job DROP COLUMN search_vector"  # drops its index too


def add_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD_COLUMN)
        schema_editor.execute(ADD_INDEX)


def replace_search_vector(schema_editor, add_column: str) -> None:
    """The column dropped and added again as `add_column` says (later migrations): PostgreSQL
    cannot change a generated column's expression in place."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_COLUMN)
        schema_editor.execute(add_column)
        schema_editor.execute(ADD_INDEX)


def drop_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_COLUMN)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0005_connection_fillfactor"),
    ]

    operations = [
        migrations.RunPython(add_search_vector, drop_search_vector),
    ]
