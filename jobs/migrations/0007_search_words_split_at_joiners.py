from importlib import import_module

from django.db import migrations

# PostgreSQL only: the stored search words of migration 0006, now with ".", "/" and "-" read as
# spaces first (jobs.search.WORD_JOINERS; the query is read the same way). The parser keeps
# "Vue.js", "CI/CD" and "ASP.NET" as single words, so "vue" found no Vue.js job. Recomputing the
# column parses every job once more: about 0.7 ms a job, paid during the migration.
search_vector_0006 = import_module("jobs.migrations.0006_job_search_vector")

ADD_COLUMN = """
    ALTER TABLE jobs_job ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig,
                              translate(coalesce(title, ''), './-', '   ')), 'A')
        || setweight(to_tsvector('simple'::regconfig,
                                 translate(coalesce(search_text, ''), './-', '   ')), 'C')
    ) STORED
"""


def split_joined_words(apps, schema_editor):
    search_vector_0006.replace_search_vector(schema_editor, ADD_COLUMN)


def keep_joined_words(apps, schema_editor):
    search_vector_0006.replace_search_vector(schema_editor, search_vector_0006.ADD_COLUMN)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0006_job_search_vector"),
    ]

    operations = [
        migrations.RunPython(split_joined_words, keep_joined_words),
    ]
