import re
from collections.abc import Callable

from django.db import migrations

BATCH = 2000
# A link nh3 kept that names no scheme: relative, as stored before links were read against the
# post's own address.
RELATIVE_LINK_RE = re.compile(r'href="(?!(?:https?|mailto):)', re.IGNORECASE)


def forget_hashes_of_posts_with_relative_links(apps, schema_editor):
    """Relative links in a description (`href="/benefits"`) now lead where they do on the post's
    Greenhouse page; before, they led into this site. An unchanged post is never read again, so
    the jobs stored with such a link forget their post's hash (and their org its board's
    fingerprint): the next sync reads them again. Only those jobs: rewriting every job would
    re-parse its search words on PostgreSQL."""
    forget_hashes_of_linked_posts(apps, lambda html: RELATIVE_LINK_RE.search(html) is not None)


def forget_hashes_of_linked_posts(apps, needs_reading: Callable[[str], bool]) -> None:
    """Have the next sync read again the jobs whose description has a link and, stored,
    `needs_reading` (also used by 0041)."""
    Job = apps.get_model("jobs", "Job")
    job_pks, organization_pks = [], set()
    linked = Job.objects.filter(description_html__contains='href="').values_list(
        "pk", "organization_id", "description_html"
    )
    for pk, organization_pk, description_html in linked.iterator(BATCH):
        if needs_reading(description_html):
            job_pks.append(pk)
            organization_pks.add(organization_pk)
    for start in range(0, len(job_pks), BATCH):
        Job.objects.filter(pk__in=job_pks[start : start + BATCH]).update(payload_hash="")
    apps.get_model("jobs", "GreenhouseConnection").objects.filter(
        organization__in=organization_pks
    ).update(applied_board_fingerprint="")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0018_reparse_posts_with_shared_excerpts"),
    ]

    operations = [
        migrations.RunPython(forget_hashes_of_posts_with_relative_links, migrations.RunPython.noop),
    ]
