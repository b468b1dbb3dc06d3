from collections.abc import Callable
from contextlib import nullcontext
from importlib import import_module

from django.db import migrations, transaction
from django.db.models import Q

# Keyword search reads Arabic without its harakat, superscript alef and tatweel, alef with a
# hamza, madda or wasla as alef, alef maksura as yeh and teh marbuta as heh, Persian's yeh,
# keheh and heh with hamza as Arabic's yeh, kaf and heh, Arabic-Indic and Persian digits as
# ASCII ones, Hebrew without its points and cantillation marks, and Turkish's dotless ı as i
# (jobs.text.SCRIPT_LETTERS_FOLDED), and thorn, eth, h with stroke and eng as "th", "d", "h" and "n"
# (UNACCENTED_LETTERS): "اداري" missed "مدير إداري أول", "مدير" missed "مدیر", "5" missed "٥",
# "מהנדס" missed "מְהַנְדֵּס", "yazilim" missed "Yazılım" and "thor" missed "Þór".
# The search fields that hold one of those characters are stored as search reads them, as
# 0058 stores its own; on PostgreSQL a job's words are parsed again as it is written
# (migration 0027).
search_0058 = import_module("jobs.migrations.0058_search_half_width_kana_with_their_marks")
# The characters search reads so since 0067, as a regex's class (PostgreSQL's, and Python's,
# which Django's SQLite backend runs REGEXP with): what older code stored them as, a
# presentation form ("ﺃ") as the letter it shows ("أ"), a pointed one ("שׁ") as letter and mark.
FOLDED_SINCE_0067 = (
    "[\u064b-\u065f\u0670\u0640\u0622\u0623\u0625\u0671\u0649\u0629"  # Arabic
    "\u06a9\u06cc\u06c0"  # Persian
    "\u0660-\u0669\u06f0-\u06f9"  # Arabic-Indic and Persian digits
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"  # Hebrew
    "\u0131"  # Turkish
    "\u00de\u00fe\u00d0\u00f0\u0126\u0127\u014a\u014b]"  # Þ þ Ð ð Ħ ħ Ŋ ŋ
)


def store_without_arabic_and_hebrew_marks(apps, schema_editor):
    search_fields_picked_store(apps, schema_editor, holding_characters_folded_since_0067)


def search_fields_picked_store(apps, schema_editor, picked: Callable[[str], Q]) -> None:
    """Store as search reads them the search fields of the rows `picked` (of a model's name)
    picks that older code stored otherwise (also run by 0069 and 0071). Each row in a statement
    of its own, committed at once (the migration is not atomic): a sync writes its changed jobs
    one at a time in its board's order and holds each until it commits, and writing them all in
    one transaction, holding a job written first while waiting for one the sync held as it
    waited for the first, was a deadlock (posts_read_again). Jobs first, then orgs, the order a
    sync writes them in. The rows are picked first, by pk alone, then read and written a batch
    (search_0058.BATCH) at a time: all the fields picked, read and as stored, were held at once,
    nearly every Hebrew post's text twice over for 0071's acronyms. Read in a transaction on
    PostgreSQL, which writes nothing; not on SQLite, whose transactions take the database's
    write lock as they begin."""
    reading = transaction.atomic if schema_editor.connection.vendor == "postgresql" else nullcontext
    with reading():
        pks = {
            model_name: list(
                apps.get_model("jobs", model_name)
                .objects.filter(picked(model_name))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            for model_name in ("Job", "Organization")
        }
    for model_name, picked_pks in pks.items():
        for start in range(0, len(picked_pks), search_0058.BATCH):
            batch = picked_pks[start : start + search_0058.BATCH]
            with reading():
                rows = search_0058.search_fields_to_store(apps, model_name, among=Q(pk__in=batch))
            search_0058.search_fields_store(apps, model_name, rows)


def holding_characters_folded_since_0067(model_name: str) -> Q:
    """The rows of the model any of whose search fields holds one of FOLDED_SINCE_0067."""
    return search_fields_matching(model_name, FOLDED_SINCE_0067)


def search_fields_matching(model_name: str, pattern: str) -> Q:
    """The rows of the model any of whose search fields `pattern`, a regex, finds something in
    (also run by 0071)."""
    matching = Q()
    for field in search_0058.SEARCHED_FROM[model_name]:
        matching |= Q(**{f"{field}__regex": pattern})
    return matching


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("jobs", "0066_reread_posts_with_a_language_or_address_cut"),
    ]

    # Going back keeps them so: code before this finds them by the words typed without those
    # marks and letters, no longer by the words written with them.
    operations = [
        migrations.RunPython(store_without_arabic_and_hebrew_marks, migrations.RunPython.noop),
    ]
