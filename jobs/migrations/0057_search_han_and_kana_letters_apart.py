from importlib import import_module

from django.db import migrations

# Keyword search reads each Han ideograph and kana as a word of its own (jobs.text.CJK_LETTERS),
# and a query's run of them as those words in a row: PostgreSQL's parser read a run as one word,
# so "数据" missed "数据分析师" and "エンジニア" missed "ソフトウェアエンジニア". The stored search
# fields are read so again, as 0042 does; on PostgreSQL a job's words are parsed again as it is
# written (migration 0027). Only rows that hold such letters change.
search_text_composed_0034 = import_module("jobs.migrations.0034_search_text_composed")


def store_han_and_kana_apart(apps, schema_editor):
    store_as_searched = search_text_composed_0034.store_as_searched
    store_as_searched(apps.get_model("jobs", "Organization"), ["search_name"])
    store_as_searched(apps.get_model("jobs", "Job"), ["search_title", "search_tags", "search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0056_reparse_posts_whose_words_after_a_div_are_in_divs"),
    ]

    # Going back keeps the letters apart, which cannot be told from spaces the text had: code
    # before this then finds such a job by one of those letters alone, not by a run of them.
    operations = [
        migrations.RunPython(store_han_and_kana_apart, migrations.RunPython.noop),
    ]
