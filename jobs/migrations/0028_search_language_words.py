from django.db import migrations
from django.db.models import Q

from jobs.text import as_searched

# Keyword search reads "C++", "C#" and "F#" as words of their own (jobs.text.as_searched), as it
# now reads the query: "c++" no longer finds every C and C# job on PostgreSQL. The stored search
# fields that hold one are read so again; on PostgreSQL a job's words are parsed again as it is
# written (a generated column, migration 0027), so only the rows that change are written.
MARKS = ("+", "#")
# Rows read at a time; a search text holds up to 55,000 characters.
BATCH = 500


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
    rows = model.objects.filter(marked).order_by("pk").values_list("pk", *fields)
    last_pk = 0
    while batch := list(rows.filter(pk__gt=last_pk)[:BATCH]):
        changed_rows = []
        for pk, *values in batch:
            searched = [as_searched(value) for value in values]
            if searched != values:
                changed_rows.append(model(pk=pk, **dict(zip(fields, searched, strict=True))))
        model.objects.bulk_update(changed_rows, fields)
        last_pk = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0027_search_without_accents"),
    ]

    # Going back keeps the words as stored: a "Cplusplus" may have been written so.
    operations = [
        migrations.RunPython(store_language_words, migrations.RunPython.noop),
    ]
