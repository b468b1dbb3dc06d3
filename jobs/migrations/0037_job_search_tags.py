from importlib import import_module

from django.db import migrations, models

from jobs.text import tags_as_searched

# Keyword search reads the tags an org admin gives a job, as it reads its title (jobs.search):
# each job's tags are stored as search reads them, and kept so by Job.save(). On PostgreSQL
# their words are parsed as a search reads them and indexed here: not stored with the job's own
# words (migration 0027), which an edit of its tags would then parse again, description and all.
# The index is on the very expression jobs.search matches the tags with; it is small, as most
# jobs have no tags, and built in about the time it takes to read the table once.
search_without_accents_0027 = import_module("jobs.migrations.0027_search_without_accents")

TAG_WORDS = (
    "setweight(to_tsvector('simple'::regconfig, "
    "COALESCE(translate(search_tags, './-', '   '), '')), 'B')"
)
ADD_INDEX = f"CREATE INDEX job_search_tags_idx ON jobs_job USING gin (({TAG_WORDS}))"
DROP_INDEX = "DROP INDEX job_search_tags_idx"


def store_searched_tags(apps, schema_editor):
    """The tags of each job that has some, as search reads them, one batch at a time."""
    Job = apps.get_model("jobs", "Job")
    rows = Job.objects.exclude(tags=[]).values_list("pk", "tags")
    search_without_accents_0027.rows_rewritten(rows, ["search_tags"], tags_as_searched)


def add_tag_words_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD_INDEX)


def drop_tag_words_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0036_connection_skipped_for_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="search_tags",
            field=models.TextField(blank=True, db_default="", default="", editable=False),
        ),
        migrations.RunPython(store_searched_tags, migrations.RunPython.noop),
        migrations.RunPython(add_tag_words_index, drop_tag_words_index),
    ]
