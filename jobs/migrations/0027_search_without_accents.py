from collections.abc import Callable
from importlib import import_module

from django.db import migrations, models

from jobs.sync import update_rows
from jobs.text import fold_accents

# Keyword search reads names, titles and search texts without accents (jobs.text.fold_accents),
# as it reads the query: "munchen" finds "München", "Zürich" finds "Zurich". On PostgreSQL the
# stored words of migration 0010 now read the folded title. They are dropped first and added
# once the fields are filled: each row filled would otherwise be parsed twice.
search_vector_0006 = import_module("jobs.migrations.0006_job_search_vector")
search_vector_0010 = import_module("jobs.migrations.0010_search_words_joiners_replaced")
long_columns_0011 = import_module("jobs.migrations.0011_job_long_columns_lz4")

# Rows read at a time; a search text holds up to 55,000 characters.
BATCH = 500

ADD_COLUMN = f"""
    ALTER TABLE jobs_job ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig,
                              {search_vector_0010.joiners_as_spaces("search_title")}), 'A')
        || setweight(to_tsvector('simple'::regconfig,
                                 {search_vector_0010.joiners_as_spaces("search_text")}), 'C')
    ) STORED
"""


def search_vector_add(apps, schema_editor, add_column: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(add_column)
        schema_editor.execute(search_vector_0006.ADD_INDEX)
    # A column added anew is compressed as the server's default says: lz4 again, as in 0011.
    long_columns_0011.use_lz4(apps, schema_editor)


def add_folded_words(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The rows written above leave their foreign keys' checks pending (Django's are
        # deferred), and PostgreSQL alters no table with checks pending: they run now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    search_vector_add(apps, schema_editor, ADD_COLUMN)


def add_words_of_0010(apps, schema_editor):
    search_vector_add(apps, schema_editor, search_vector_0010.ADD_COLUMN)


def store_folded(apps, schema_editor):
    store_folded_fields(apps.get_model("jobs", "Organization"), {"name": "search_name"})
    store_folded_fields(
        apps.get_model("jobs", "Job"), {"title": "search_title", "search_text": "search_text"}
    )


def store_folded_fields(model, folded_into: dict[str, str]) -> None:
    """Each field of `folded_into` stored folded in the field it names. One UPDATE copies them
    all; only rows whose text has accents are then written again, one batch at a time."""
    copies = {
        target: models.F(source) for source, target in folded_into.items() if source != target
    }
    model.objects.update(**copies)
    rows = model.objects.values_list("pk", *folded_into)
    rows_rewritten(rows, list(folded_into.values()), fold_accents)


def rows_rewritten(rows, targets: list[str], rewrite: Callable[[str], str]) -> None:
    """Each row of `rows` (its pk, then one value per field of `targets`) with `rewrite` applied
    to its values, written to `targets` where that changes any, BATCH rows at a time. Written
    as the sync writes jobs (update_rows): bulk_update()'s CASE WHEN per row and field took four
    fifths of 0057's 7 s over 5,000 jobs, half of them in Japanese, with the site stopped."""
    model = rows.model
    rows = rows.order_by("pk")
    last_pk = 0
    while batch := list(rows.filter(pk__gt=last_pk)[:BATCH]):
        changed_rows = []
        for pk, *values in batch:
            rewritten = [rewrite(value) for value in values]
            if rewritten != values:
                changed_rows.append(model(pk=pk, **dict(zip(targets, rewritten, strict=True))))
        update_rows(changed_rows, targets)
        last_pk = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0026_greenhouseconnection_failure_email_claimed_at"),
    ]

    # Going back keeps the search texts folded: their accents cannot be put back.
    operations = [
        migrations.RunPython(search_vector_0006.drop_search_vector, add_words_of_0010),
        migrations.AddField(
            model_name="organization",
            name="search_name",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="job",
            name="search_title",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(store_folded, migrations.RunPython.noop),
        migrations.RunPython(add_folded_words, search_vector_0006.drop_search_vector),
    ]
