from importlib import import_module

from django.db import migrations

# PostgreSQL's parser read a "<" in a name, title, tag or text as an HTML tag, and dropped the
# words after it up to the next ">", or to the end after "<script" or "<!--": "Lead <Platform
# Team>" was found by "lead" alone. It read a "~" after a letter or at the start as a file path's
# start, one word: "Team~Platform" was not found by "platform". Search now reads both as spaces
# (jobs.text.as_searched): the search fields that hold one are stored so, as 0058 stores its
# own; on PostgreSQL a job's words are parsed again as it is written (migration 0027).
search_0058 = import_module("jobs.migrations.0058_search_half_width_kana_with_their_marks")


def store_angle_brackets_and_tildes_as_spaces(apps, schema_editor):
    for model_name in search_0058.SEARCHED_FROM:
        found = search_0058.search_fields_to_store(apps, model_name)
        search_0058.search_fields_store(apps, model_name, found)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0058_search_half_width_kana_with_their_marks"),
    ]

    # Going back keeps them so: code before this finds them by those words too.
    operations = [
        migrations.RunPython(store_angle_brackets_and_tildes_as_spaces, migrations.RunPython.noop),
    ]
