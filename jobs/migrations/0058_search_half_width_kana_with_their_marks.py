from importlib import import_module

from django.db import migrations
from django.db.models import Q

from jobs.text import as_searched, tags_as_searched

# Keyword search reads a half-width kana and its voiced mark as the letter typed in full width
# (jobs.text.fold_accents): "ｴﾝｼﾞﾆｱ" as "エンジニア", which it missed. Stored since 0057, the mark
# stands apart from its kana ("シ ゙"), which no fold of the stored text can join again: the
# names, titles and tags are stored as searched from what they are, and the jobs whose search
# text holds such a mark are read again by the next sync, which writes it from their post.
BATCH = 500
reparse_0046 = import_module("jobs.migrations.0046_reparse_posts_that_answer_remote_yes")
# The voiced and semi-voiced marks, as folded: one stored in a search field was left apart.
KANA_MARKS = ("\u3099", "\u309a")
# What each model's search fields are read from: the field itself where what it was read from
# is not stored (a job's search text, from its post's places and description).
SEARCHED_FROM = {
    "Organization": {"search_name": ("name", as_searched)},
    "Job": {
        "search_title": ("title", as_searched),
        "search_tags": ("tags", tags_as_searched),
        "search_text": ("search_text", as_searched),
    },
}


def store_half_width_kana_with_their_marks(apps, schema_editor):
    for model_name in SEARCHED_FROM:
        search_fields_store(apps, model_name, search_fields_to_store(apps, model_name))
    reparse_0046.forget_hashes_of_jobs(apps, jobs_with_kana_marks_apart(apps))


def search_fields_to_store(
    apps, model_name: str, *, among: Q | None = None
) -> list[tuple[int, dict, dict]]:
    """The rows of the model (those `among` picks, if given) whose search fields are not as
    search reads what they are read from (SEARCHED_FROM): (pk, the values read, the values to
    store) (also run by the reread_posts command, before its transaction)."""
    searched_from = SEARCHED_FROM[model_name]
    sources = sorted({source for source, _ in searched_from.values()} - set(searched_from))
    rows = apps.get_model("jobs", model_name).objects.filter(among or Q())
    rows = rows.values("pk", *searched_from, *sources)
    found = []
    for row in rows.order_by("pk").iterator(BATCH):
        read, to_store = {}, {}
        for field, (source, searched) in searched_from.items():
            if (value := searched(row[source])) != row[field]:
                read[field], to_store[field] = row[field], value
        if to_store:
            found.append((row["pk"], read, to_store))
    return found


def search_fields_store(apps, model_name: str, found: list[tuple[int, dict, dict]]) -> int:
    """Store the search fields `found` (search_fields_to_store), each row only if its fields
    still hold the values read: one written since was read as search reads it now. How many
    changed."""
    model = apps.get_model("jobs", model_name)
    return sum(
        model.objects.filter(pk=pk, **read).update(**to_store) for pk, read, to_store in found
    )


def jobs_with_kana_marks_apart(apps) -> dict[int, int]:
    """The jobs (by pk, their org's pk) whose search text holds a voiced mark apart from its
    kana, as a half-width kana was read before 0058 (also run by the reread_posts command)."""
    holds_a_mark = Q()
    for mark in KANA_MARKS:
        holds_a_mark |= Q(search_text__contains=mark)
    rows = apps.get_model("jobs", "Job").objects.filter(holds_a_mark)
    return dict(rows.values_list("pk", "organization_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0057_search_han_and_kana_letters_apart"),
    ]

    # Going back keeps them so: code before this finds them by the full-width word too.
    operations = [
        migrations.RunPython(store_half_width_kana_with_their_marks, migrations.RunPython.noop),
    ]
