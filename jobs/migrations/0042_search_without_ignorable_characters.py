from importlib import import_module

from django.db import migrations

# Keyword search reads text without the characters that show nothing (jobs.text.IGNORABLE_RE),
# as it reads the query: a title, tag or name with a zero-width space or a soft hyphen inside a
# word ("Py\u00adthon") was not found by the word typed. The stored search fields are read so
# again; on PostgreSQL a job's words are parsed again as it is written (migration 0027).
search_text_composed_0034 = import_module("jobs.migrations.0034_search_text_composed")


def store_without_ignorables(apps, schema_editor):
    store_as_searched = search_text_composed_0034.store_as_searched
    store_as_searched(apps.get_model("jobs", "Organization"), ["search_name"])
    # The tags as stored: read as searched again, they read as tags_as_searched() reads them.
    store_as_searched(apps.get_model("jobs", "Job"), ["search_title", "search_tags", "search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0041_reparse_posts_with_links_without_host"),
    ]

    # Going back keeps the characters out: the code before this finds these rows better so.
    operations = [
        migrations.RunPython(store_without_ignorables, migrations.RunPython.noop),
    ]
