from importlib import import_module

from django.db import migrations

# PostgreSQL only: a job's stored words (migration 0027) keep its title apart from its search
# text. Joining two tsvectors numbers the right one's words on from the left one's last, so a
# quoted phrase ran from the title into the text: "nurse berlin" found a job titled "Nurse"
# whose text starts with "Berlin". A word no query holds (jobs.search.GAP_WORD) after the title,
# taken out again, leaves a gap in the positions, as between a job's tags. Every job is parsed
# once more as the column is added again, under a lock (as 0027 does: about 1 s per 1,000 jobs).
search_vector_0006 = import_module("jobs.migrations.0006_job_search_vector")
search_vector_0010 = import_module("jobs.migrations.0010_search_words_joiners_replaced")
search_without_accents_0027 = import_module("jobs.migrations.0027_search_without_accents")

# jobs.search.GAP_WORD, as written when this migration was: the stored words must not change
# with it.
GAP_WORD = "\u00e9"

ADD_COLUMN = f"""
    ALTER TABLE jobs_job ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        ts_delete(
            setweight(to_tsvector('simple'::regconfig,
                                  {search_vector_0010.joiners_as_spaces("search_title")}
                                  || ' {GAP_WORD}'), 'A')
            || setweight(to_tsvector('simple'::regconfig,
                                     {search_vector_0010.joiners_as_spaces("search_text")}), 'C'),
            '{GAP_WORD}'::text
        )
    ) STORED
"""


def search_vector_replace(apps, schema_editor, add_column: str) -> None:
    search_vector_0006.drop_search_vector(apps, schema_editor)
    search_without_accents_0027.search_vector_add(apps, schema_editor, add_column)


def add_title_apart(apps, schema_editor):
    search_vector_replace(apps, schema_editor, ADD_COLUMN)


def add_words_of_0027(apps, schema_editor):
    search_vector_replace(apps, schema_editor, search_without_accents_0027.ADD_COLUMN)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0042_search_without_ignorable_characters"),
    ]

    operations = [
        migrations.RunPython(add_title_apart, add_words_of_0027),
    ]
