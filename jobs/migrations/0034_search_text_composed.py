from importlib import import_module

from django.db import migrations

from jobs.text import as_searched

# Keyword search reads text composed (NFC, jobs.text.fold_accents), as it reads the query: a
# Korean, Japanese or Devanagari word stored with its marks written apart (as macOS and some
# boards write them) was not found by the word typed. It also reads "C ++" and "C♯" as "C++" and
# "C#" (jobs.text.as_searched). The stored search fields are read so again; on PostgreSQL a
# job's words are parsed again as it is written (migration 0027).
search_without_accents_0027 = import_module("jobs.migrations.0027_search_without_accents")


def store_composed(apps, schema_editor):
    store_as_searched(apps.get_model("jobs", "Organization"), ["search_name"])
    store_as_searched(apps.get_model("jobs", "Job"), ["search_title", "search_text"])


def store_as_searched(model, fields: list[str]) -> None:
    """Each of the fields as search reads it, one batch at a time; only rows that change are
    written. Every row is read: over 5,000 jobs, PostgreSQL's "IS NOT NFC NORMALIZED" took
    1.3-1.6 s to pick them, reading them all here 0.6-0.9 s (SQLite has no such test)."""
    rows = model.objects.values_list("pk", *fields)
    search_without_accents_0027.rows_rewritten(rows, fields, as_searched)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0033_organization_language"),
    ]

    # Going back keeps the text composed: the code before this composed the query, so it finds
    # these rows better so.
    operations = [
        migrations.RunPython(store_composed, migrations.RunPython.noop),
    ]
