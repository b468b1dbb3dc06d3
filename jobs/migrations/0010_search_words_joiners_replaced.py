from importlib import import_module

from django.db import migrations

# PostgreSQL only: the stored search words of migration 0007, with the word joiners read as
# spaces by three replace() calls instead of translate(). The words are the same; translate()
# walks the text character by character and took 1.3 s of the server's time for 5,000 jobs'
# search texts, the three replace() calls 0.17 s (bench/README.md). Re-adding the column parses
# every job once more (under 1 ms a job), during the migration.
search_vector_0006 = import_module("jobs.migrations.0006_job_search_vector")
search_vector_0007 = import_module("jobs.migrations.0007_search_words_split_at_joiners")


def joiners_as_spaces(column: str) -> str:
    """SQL for the column with jobs.search.WORD_JOINERS read as spaces."""
    return f"replace(replace(replace(coalesce({column}, ''), '.', ' '), '/', ' '), '-', ' ')"


ADD_COLUMN = f"""
    ALTER TABLE jobs_job ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, {joiners_as_spaces("title")}), 'A')
        || setweight(to_tsvector('simple'::regconfig, {joiners_as_spaces("search_text")}), 'C')
    ) STORED
"""


def replace_joiners(apps, schema_editor):
    search_vector_0006.replace_search_vector(schema_editor, ADD_COLUMN)


def translate_joiners(apps, schema_editor):
    search_vector_0006.replace_search_vector(schema_editor, search_vector_0007.ADD_COLUMN)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0009_invitation_email_and_daily_count"),
    ]

    operations = [
        migrations.RunPython(replace_joiners, translate_joiners),
    ]
