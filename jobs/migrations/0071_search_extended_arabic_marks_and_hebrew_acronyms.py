from importlib import import_module

from django.db import migrations
from django.db.models import Q

# Keyword search reads the combining marks of the Arabic Extended-A and -B blocks (Quranic
# annotation marks, curly and open harakat, tone marks) as nothing, as it reads the Arabic
# block's since 0067 and 0069 (jobs.text.SCRIPT_LETTERS_FOLDED), and a Hebrew acronym without
# the gershayim or quote before its last letter (jobs.text.ACRONYM_QUOTE_RES), where older code
# kept them: "رحيما" missed "رَحِيمࣰا", written with an open fathatan, and "סמנכל" missed
# "סמנכ"ל", which PostgreSQL's parser read as two words. A job's search text holds them as its
# post was read, so folding it again stores it as reading the post again would: no post is read
# again.
search_0067 = import_module("jobs.migrations.0067_search_without_arabic_and_hebrew_marks")
# What search reads otherwise since 0071, as a regex (PostgreSQL's, and Python's, which Django's
# SQLite backend runs REGEXP with): one of those marks, or a quote or gershayim between Hebrew
# letters (not all of which it reads otherwise: only the rows whose words change are written).
HEBREW_LETTER = "[\u05d0-\u05ea\u05ef-\u05f2]"
SEARCHED_OTHERWISE_SINCE_0071 = (
    f'[\u0898-\u089f\u08ca-\u08e1\u08e3-\u08ff]|{HEBREW_LETTER}["\u05f4]{HEBREW_LETTER}'
)


def store_without_extended_arabic_marks_and_acronym_quotes(apps, schema_editor):
    """The search fields holding one of those marks or quotes are stored as search reads them,
    each row in a statement of its own, as 0067 stores its own."""
    search_0067.search_fields_picked_store(apps, schema_editor, searched_otherwise_since_0071)


def searched_otherwise_since_0071(model_name: str) -> Q:
    """The rows of the model any of whose search fields SEARCHED_OTHERWISE_SINCE_0071 finds
    something in."""
    return search_0067.search_fields_matching(model_name, SEARCHED_OTHERWISE_SINCE_0071)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("jobs", "0070_organization_slug_unique_in_any_case"),
    ]

    # Going back keeps them so: code before this finds them by the words typed without the
    # marks and quotes, no longer by the words written with them.
    operations = [
        migrations.RunPython(
            store_without_extended_arabic_marks_and_acronym_quotes, migrations.RunPython.noop
        ),
    ]
