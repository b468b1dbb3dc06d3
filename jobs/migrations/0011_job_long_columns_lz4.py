from django.db import migrations

# PostgreSQL only: a job's long columns compressed with lz4 rather than pglz. Every description,
# search text and search-word list over 2 KB is compressed as it is written; for 5,000 jobs pglz
# took 0.93 s of the server's time and lz4 0.31 s, for the same size on disk (bench/README.md).
# Rows already stored keep pglz until they are next written, and both read back alike. Skipped
# on a server built without lz4, which keeps pglz.
LONG_COLUMNS = ("description_html", "search_text", "search_vector")


def set_compression(schema_editor, method: str) -> None:
    columns = ", ".join(
        f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in LONG_COLUMNS
    )
    schema_editor.execute(f"ALTER TABLE jobs_job {columns}")


def server_has_lz4(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def use_lz4(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql" and server_has_lz4(schema_editor):
        set_compression(schema_editor, "lz4")


def use_default_compression(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        set_compression(schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0010_search_words_joiners_replaced"),
    ]

    operations = [
        migrations.RunPython(use_lz4, use_default_compression),
    ]
