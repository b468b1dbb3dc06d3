import re
from importlib import import_module

from django.db import migrations

BATCH = 2000
reparse_0046 = import_module("jobs.migrations.0046_reparse_posts_that_answer_remote_yes")
# As nh3 writes them, which closes every div it keeps (jobs.sanitize, as of this migration).
DIV_TAG_RE = re.compile(r"<(/?)div[\s>]")
# Markup that holds no words but a div's: blank paragraphs and line breaks.
BLANK_MARKUP_RE = re.compile(r"(?:\s|&nbsp;|<(?!/?div[\s>])[^>]*>)*")


def has_words_after_its_first_div_in_divs_alone(description_html: str) -> bool:
    """Whether a description opens with a div (Greenhouse's intro, its class dropped) and has
    another after it, and every word after the first is in a div: the shape of a post of the
    intro and the blocks Greenhouse puts after a post's own description alone, its pay range
    and its conclusion, with blank markup or empty divs about them, which the stored
    description does not tell from a description in a div."""
    if not description_html.startswith("<div"):
        return False
    depth, divs, outside = 0, 0, None  # outside: where the markup outside the divs starts
    for tag in DIV_TAG_RE.finditer(description_html):
        if depth == 0:
            if outside is not None and not BLANK_MARKUP_RE.fullmatch(
                description_html, outside, tag.start()
            ):
                return False
            divs += 1
        depth += -1 if tag[1] else 1
        if depth == 0:
            outside = tag.end()
    return (
        divs > 1
        and outside is not None
        and bool(BLANK_MARKUP_RE.fullmatch(description_html, outside))
    )


def forget_hashes_of_posts_whose_words_after_a_div_are_in_divs(apps, schema_editor):
    """The excerpt of a post that holds Greenhouse's intro and only the blocks it puts after a
    post's own description (the pay range of a board with pay transparency, the conclusion,
    blank paragraphs or empty divs about them) is now the intro's text; it was the pay range
    or the equal-opportunity text. An unchanged post is never read again, and the post's
    content, which would say which divs are those blocks, is not stored: the jobs whose
    description has that shape (has_words_after_its_first_div_in_divs_alone) forget their
    post's hash (and their org its board's fingerprint), and the next sync reads them again.
    Only those jobs: rewriting every job would re-parse its search words on PostgreSQL."""
    reparse_0046.forget_hashes_of_jobs(apps, jobs_whose_words_after_a_div_are_in_divs(apps))


def jobs_whose_words_after_a_div_are_in_divs(apps) -> dict[int, int]:
    """The jobs (by pk, their org's pk) whose description has the shape
    has_words_after_its_first_div_in_divs_alone tells (also run by the reread_posts command)."""
    Job = apps.get_model("jobs", "Job")
    rows = (
        Job.objects.filter(description_html__startswith="<div")
        .values_list("pk", "organization_id", "description_html")
        .iterator(BATCH)
    )
    return {
        pk: organization_pk
        for pk, organization_pk, description_html in rows
        if has_words_after_its_first_div_in_divs_alone(description_html)
    }


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0055_organization_job_pages_edited_at"),
    ]

    operations = [
        migrations.RunPython(
            forget_hashes_of_posts_whose_words_after_a_div_are_in_divs, migrations.RunPython.noop
        ),
    ]
