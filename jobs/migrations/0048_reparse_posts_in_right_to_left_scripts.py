import re
from importlib import import_module

from django.db import migrations

BATCH = 2000
reparse_0046 = import_module("jobs.migrations.0046_reparse_posts_that_answer_remote_yes")
# The characters of the scripts written right to left (Hebrew, Arabic, Syriac, Thaana, N'Ko and
# their neighbours, their presentation forms, and those beyond the BMP), and the
# right-to-left mark: only a post that has some can have set a direction that shows.
RIGHT_TO_LEFT_RE = re.compile(
    "[\u0590-\u08ff\u200f\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def forget_hashes_of_posts_in_right_to_left_scripts(apps, schema_editor):
    """A `dir` in a description (`<p dir="rtl">`) is now kept; it was dropped, and the post's
    content, which would tell, is not stored. An unchanged post is never read again, so the jobs
    whose description has right-to-left text, those where a direction shows, forget their
    post's hash (and their org its board's fingerprint): the next sync reads them again. Only
    those jobs: rewriting every job would re-parse its search words on PostgreSQL."""
    reparse_0046.forget_hashes_of_jobs(apps, jobs_in_right_to_left_scripts(apps))


def jobs_in_right_to_left_scripts(apps) -> dict[int, int]:
    """The jobs (by pk, their org's pk) whose description has right-to-left text (also run by
    the reread_posts command)."""
    Job = apps.get_model("jobs", "Job")
    rows = Job.objects.values_list("pk", "organization_id", "description_html").iterator(BATCH)
    return {
        pk: organization_pk
        for pk, organization_pk, description_html in rows
        if RIGHT_TO_LEFT_RE.search(description_html)
    }


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0047_apply_again_boards_with_posts_to_fix"),
    ]

    operations = [
        migrations.RunPython(
            forget_hashes_of_posts_in_right_to_left_scripts, migrations.RunPython.noop
        ),
    ]
