import functools
import re
import sys
import unicodedata
from importlib import import_module

from django.db import migrations
from django.db.models import Q

from jobs.migration_operations import posts_read_again
from jobs.text import ARABIC_SCRIPT, class_ranges

# Keyword search reads a zero-width non-joiner beside an Arabic-script letter as a space, the
# break between a Persian word's parts (jobs.text.WORD_PART_BREAK_RE), where older code read it
# as nothing: "نویس" missed "برنامه‌نویس". It reads the Quranic annotation marks, the honorific
# and small vowel signs and the small waw and yeh as nothing (jobs.text.SCRIPT_LETTERS_FOLDED),
# and every script's decimal digits as ASCII ones (DECIMAL_DIGIT_RE), where older code kept
# them: "القرءان" missed "ٱلْقُرْءَانِ ۚ", "محمد" missed "محمدؐ" and "2024" missed "२०२४".
search_0058 = import_module("jobs.migrations.0058_search_half_width_kana_with_their_marks")
search_0067 = import_module("jobs.migrations.0067_search_without_arabic_and_hebrew_marks")
BATCH = 2000
# The marks and letters search reads as nothing since 0069, as a regex's class (PostgreSQL's,
# and Python's, which Django's SQLite backend runs REGEXP with); the digits are added to it
# (folded_since_0069).
MARKS_FOLDED_SINCE_0069 = "\u0610-\u061a\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
# A non-joiner beside an Arabic-script character, as search now reads it (WORD_PART_BREAK_RE),
# which older code stored as nothing: what it was read from tells it, no longer the words.
NON_JOINER_BESIDE_ARABIC = f"\u200c[{ARABIC_SCRIPT}]|[{ARABIC_SCRIPT}]\u200c"


def store_word_parts_apart_without_quranic_marks(apps, schema_editor):
    """The search fields holding one of those marks or digits as older code stored them, and
    those read from a title, tags or name holding such a non-joiner, are stored as search reads
    them, each row in a statement of its own, as 0067 stores its own."""
    search_0067.search_fields_picked_store(apps, schema_editor, searched_otherwise_since_0069)


def forget_hashes_of_posts_with_word_parts_apart(apps, schema_editor):
    """The words of a job's search text are read from its post's description and places, which
    are not all stored: the jobs whose description or places hold such a non-joiner forget
    their post's hash (and their orgs their board's fingerprint), and the next sync reads them
    again. The jobs first, then their orgs' connections, each job in a statement of its own:
    see posts_read_again."""
    posts_read_again(apps, jobs_with_word_parts_apart_in_their_post(apps))


def searched_otherwise_since_0069(model_name: str) -> Q:
    """The rows of the model that search reads otherwise since 0069: a search field holding one
    of folded_since_0069(), or a title or name holding a non-joiner beside an Arabic-script
    letter, or tags as searched holding an Arabic-script letter (tags are stored as JSON, which
    SQLite writes with a non-joiner escaped: the search fields are read from them in Python,
    and only those that change are written)."""
    picked = Q()
    for field in search_0058.SEARCHED_FROM[model_name]:
        picked |= Q(**{f"{field}__regex": folded_since_0069()})
    if model_name == "Job":
        picked |= Q(title__regex=NON_JOINER_BESIDE_ARABIC)
        picked |= Q(search_tags__regex=f"[{ARABIC_SCRIPT}]")
    else:
        picked |= Q(name__regex=NON_JOINER_BESIDE_ARABIC)
    return picked


def jobs_with_word_parts_apart_in_their_post(apps) -> dict[int, int]:
    """The jobs (by pk, their org's pk) whose description or places (their location, their
    departments' and offices' names, their offices' places) hold a non-joiner beside an
    Arabic-script letter, from which their search text was read (also run by the reread_posts
    command: a sync by older code during a deploy stores it as before). Their units apart, so
    that a job's description is not read again for each unit it has."""
    Job = apps.get_model("jobs", "Job")
    beside = NON_JOINER_BESIDE_ARABIC
    departments = apps.get_model("jobs", "Department").objects.filter(name__regex=beside)
    offices = apps.get_model("jobs", "Office").objects.filter(
        Q(name__regex=beside) | Q(location__regex=beside)
    )
    found = {}
    for jobs in (
        Job.objects.filter(Q(description_html__regex=beside) | Q(location_name__regex=beside)),
        Job.objects.filter(departments__in=departments),
        Job.objects.filter(offices__in=offices),
    ):
        found.update(jobs.order_by().values_list("pk", "organization_id").iterator(BATCH))
    return found


@functools.cache  # built when first needed: it reads every character, up to half a second
def folded_since_0069() -> str:
    """What search reads otherwise since 0069 in a search field as older code stored it, as a
    regex's class: MARKS_FOLDED_SINCE_0069 and every decimal digit but ASCII's that NFKD keeps
    (the full-width and mathematical ones were stored as ASCII already)."""
    every = "".join(map(chr, (*range(0x80, 0xD800), *range(0xE000, sys.maxunicode + 1))))
    digits = [
        ord(digit)
        for digit in re.findall(r"\d", every)
        if unicodedata.normalize("NFKD", digit) == digit
    ]
    return f"[{MARKS_FOLDED_SINCE_0069}{class_ranges(digits)}]"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("jobs", "0068_reread_posts_with_an_empty_link_or_an_address_cut"),
    ]

    # Going back keeps them so: code before this finds them by the words typed without the
    # marks and with ASCII digits, and by a Persian word's parts apart, no longer whole.
    operations = [
        migrations.RunPython(
            store_word_parts_apart_without_quranic_marks, migrations.RunPython.noop
        ),
        migrations.RunPython(
            forget_hashes_of_posts_with_word_parts_apart, migrations.RunPython.noop
        ),
    ]
