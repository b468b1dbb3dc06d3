from importlib import import_module

from django.db import migrations

from jobs.sanitize import text_of
from jobs.text import shows_anything, without_leading_blanks

BATCH = 2000
reparse_0046 = import_module("jobs.migrations.0046_reparse_posts_that_answer_remote_yes")


def forget_hashes_of_posts_with_a_blank_excerpt(apps, schema_editor):
    """An excerpt now starts at its first character that shows, and is "" for a post without
    one (zero-width spaces alone, which it was); and it is the pay range (or the conclusion)
    of a post of Greenhouse's intro and those blocks alone when the intro shows no word (blank,
    or an image alone), where it was "". An unchanged post is never read again, and the post's
    content, which would say where its intro ends, is not stored: the jobs whose excerpt is so
    blank (jobs_with_a_blank_excerpt) forget their post's hash (and their org its board's
    fingerprint), and the next sync reads them again. Only those jobs: rewriting every job
    would re-parse its search words on PostgreSQL."""
    reparse_0046.forget_hashes_of_jobs(apps, jobs_with_a_blank_excerpt(apps))


def jobs_with_a_blank_excerpt(apps) -> dict[int, int]:
    """The jobs (by pk, their org's pk) whose excerpt starts with a character that shows
    nothing (but a direction mark right before one that does, which it keeps), or is empty
    where their description shows a word (also run by the reread_posts command). Every excerpt
    is read, and the descriptions of the jobs without one alone."""
    Job = apps.get_model("jobs", "Job")
    excerpts = (
        Job.objects.exclude(excerpt="")
        .values_list("pk", "organization_id", "excerpt")
        .iterator(BATCH)
    )
    found = {
        pk: organization_pk
        for pk, organization_pk, excerpt in excerpts
        if without_leading_blanks(excerpt) != excerpt
    }
    descriptions = (
        Job.objects.filter(excerpt="")
        .values_list("pk", "organization_id", "description_html")
        .iterator(BATCH)
    )
    found.update(
        (pk, organization_pk)
        for pk, organization_pk, description_html in descriptions
        if shows_anything(text_of(description_html))
    )
    return found


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0060_search_words_after_a_plus_or_in_an_entity"),
    ]

    operations = [
        migrations.RunPython(
            forget_hashes_of_posts_with_a_blank_excerpt, migrations.RunPython.noop
        ),
    ]
