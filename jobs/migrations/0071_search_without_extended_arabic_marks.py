from importlib import import_module

from django.db import migrations
from django.db.models import Q

# Keyword search reads the combining marks of the Arabic Extended-A and -B blocks (Quranic
# annotation marks, curly and open harakat, tone marks) as nothing, as it reads the Arabic
# block's since 0067 and 0069 (jobs.text.SCRIPT_LETTERS_FOLDED), where older code kept them:
# "رحيما" missed "رَحِيمࣰا", written with an open fathatan. A job's search text holds them as its
# post was read, so folding it again stores it as reading the post again would: no post is read
# again.
search_0067 = import_module("jobs.migrations.0067_search_without_arabic_and_hebrew_marks")
# The marks search reads as nothing since 0071, as a regex's class (PostgreSQL's, and Python's,
# which Django's SQLite backend runs REGEXP with).
FOLDED_SINCE_0071 = "[\u0898-\u089f\u08ca-\u08e1\u08e3-\u08ff]"


def store_without_extended_arabic_marks(apps, schema_editor):
    """The search fields holding one of those marks are stored as search reads them, each row
    in a statement of its own, as 0067 stores its own."""
    search_0067.search_fields_picked_store(apps, schema_editor, searched_otherwise_since_0071)


def searched_otherwise_since_0071(model_name: str) -> Q:
    """The rows of the model any of whose search fields holds one of FOLDED_SINCE_0071."""
    return search_0067.search_fields_matching(model_name, FOLDED_SINCE_0071)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("jobs", "0070_organization_slug_unique_in_any_case"),
    ]

    # Going back keeps them so: code before this finds them by the words typed without the
    # marks, no longer by the words written with them.
    operations = [
        migrations.RunPython(store_without_extended_arabic_marks, migrations.RunPython.noop),
    ]
