from importlib import import_module

from django.db import migrations

# PostgreSQL's parser read a "+" before a digit as a number's sign: "+49 30" was the words "+49"
# and "30", which "49" did not find, and "3+5 years" was "3", "+5" and "years", which "5 years"
# did not. It read an "&", a name and ";" as an HTML entity, which it dropped: "R&amp;D", as
# text escaped twice shows it, was not found by "amp". Search now reads such a "+" or "&" as a
# space (jobs.text.as_searched): the search fields that hold one are stored so, as 0059 stores
# its own; on PostgreSQL a job's words are parsed again as it is written (migration 0027).
search_0058 = import_module("jobs.migrations.0058_search_half_width_kana_with_their_marks")


def store_plus_signs_and_entity_ampersands_as_spaces(apps, schema_editor):
    for model_name in search_0058.SEARCHED_FROM:
        found = search_0058.search_fields_to_store(apps, model_name)
        search_0058.search_fields_store(apps, model_name, found)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0059_search_words_between_angle_brackets"),
    ]

    # Going back keeps them so: code before this finds them by "49", "5" and "amp" too, though
    # no longer by "+49".
    operations = [
        migrations.RunPython(
            store_plus_signs_and_entity_ampersands_as_spaces, migrations.RunPython.noop
        ),
    ]
