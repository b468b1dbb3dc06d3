from importlib import import_module

from django.db import migrations
from django.db.models import Q

from jobs.text import as_searched

# Keyword search reads "C++", "C#" and "F#" as words of their own (jobs.text.as_searched), as it
# now reads the query: "c++" no longer finds every C and C# job on PostgreSQL. The stored search
# fields that hold one are read so again; on PostgreSQL a job's words are parsed again as it is
# written (a generated column, migration 0027), so only the rows that change are written.
MARKS = ("+", "#")
search_without_accents_0027 = import_module("jobs.migrations.0027_search_without_accents")


def store_language_words(apps, schema_editor):
    store_as_searched(apps.get_model("jobs", "Organization"), ["search_name"])
    store_as_searched(apps.get_model("jobs", "Job"), ["search_title", "search_text"])


def store_as_searched(model, fields: list[str]) -> None:
    """Each of the fields as search reads it, for the rows where one holds "+" or "#" (found by
    the database), one batch at a time; only rows that change are written."""
    marked = Q()
    for field in fields:
        for mark in MARKS:
            marked |= Q(**{f"{field}__contains": mark})
    rows = model.objects.filter(marked).values_list("pk", *fields)
    search_without_accents_0027.rows_rewritten(rows, fields, as_searched)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0027_search_without_accents"),
    ]

    # Going back keeps the words as stored: a "Cplusplus" may have been written so.
    operations = [
        migrations.RunPython(store_language_words, migrations.RunPython.noop),
    ]
