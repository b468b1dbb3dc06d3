from django.db import migrations
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from jobs.migration_operations import posts_read_again

BATCH = 2000


def forget_hashes_of_posts_with_a_language_or_address_cut(apps, schema_editor):
    """A post's language or address (absolute_url) longer than its field was cut by slicing: a
    language ("en-GB-oxendict-x-london" kept as "en-GB-oxendict-x-lon") named another tag, or
    one of another language, in its page's lang, and an address could end inside a letter's
    percent-escapes ("%E2%82" of "%E2%82%AC", €), a broken Apply link. The sync now reads such
    a language as none, and cuts an address before a character or escape the cut would split.
    An unchanged post is never read again, and what the cut left out is not stored: the jobs
    holding such a value forget their post's hash (and their orgs their board's fingerprint),
    and the next sync reads them again. Only a value as long as its field can have been cut.
    The jobs first, then their orgs' connections, each job in a statement of its own: see
    posts_read_again."""
    posts_read_again(apps, jobs_with_a_language_or_address_at_its_length(apps))


def jobs_with_a_language_or_address_at_its_length(apps) -> dict[int, int]:
    """The jobs (by pk, their org's pk) of jobs_maybe_cut, read (run by the reread_posts
    command too: a sync by older code during a deploy cuts as before)."""
    jobs = jobs_maybe_cut(apps).order_by().values_list("pk", "organization_id")
    return dict(jobs.iterator(BATCH))


def jobs_maybe_cut(apps):
    """The jobs whose language or address is exactly as long as its field, which older code
    cut a longer one to. The lengths are this migration's model's, not the code's of the day."""
    Job = apps.get_model("jobs", "Job")

    def at_its_length(field_name: str) -> Exact:
        return Exact(Length(field_name), Job._meta.get_field(field_name).max_length)

    return Job.objects.filter(at_its_length("language") | at_its_length("absolute_url"))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("jobs", "0065_user_indexes_in_any_case"),
    ]

    operations = [
        migrations.RunPython(
            forget_hashes_of_posts_with_a_language_or_address_cut, migrations.RunPython.noop
        ),
    ]
