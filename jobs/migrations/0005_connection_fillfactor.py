from django.db import migrations

# The dispatcher and every sync update connection rows. With room left on each page,
# PostgreSQL writes a row's new version beside the old one without touching the indexes (a HOT
# update): the dispatcher tick at 10,000 due orgs went from 71-75 ms to 44-47 ms
# (bench/README.md). Existing full pages get the room only when rewritten (VACUUM FULL); this
# migration rewrites nothing, so it takes no long lock.
CONNECTION_FILLFACTOR = 70


def set_connection_fillfactor(apps, schema_editor):
    _alter_connection_table(apps, schema_editor, f"SET (fillfactor = {CONNECTION_FILLFACTOR})")


def reset_connection_fillfactor(apps, schema_editor):
    _alter_connection_table(apps, schema_editor, "RESET (fillfactor)")


def _alter_connection_table(apps, schema_editor, change):
    if schema_editor.connection.vendor != "postgresql":  # a PostgreSQL storage parameter
        return
    table = apps.get_model("jobs", "GreenhouseConnection")._meta.db_table
    schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} {change}")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0004_applied_board"),
    ]

    operations = [
        migrations.RunPython(set_connection_fillfactor, reset_connection_fillfactor),
    ]
