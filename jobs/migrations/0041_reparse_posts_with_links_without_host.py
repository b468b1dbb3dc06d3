import html
import re

from django.db import migrations

from jobs.sanitize import is_web_link_without_host

BATCH = 2000
# A link's opening tag and each of its attributes as nh3 writes them: every value quoted, with
# its `"` and `&` escaped (and its `<` and `>` only from nh3 0.3.x's later releases: 0.3.0 left
# them, so a `>` inside quotes does not end the tag). Not `href="` alone, which a description's
# text may hold.
LINK_TAG_RE = re.compile(r'<a\s(?:[^>"]|"[^"]*")*>')
ATTRIBUTE_RE = re.compile(r'([^\s=]+)="([^"]*)"')


def forget_hashes_of_posts_with_links_without_host(apps, schema_editor):
    """A link in a description to an http(s) address without a host (`href="https:jobs"`) is
    now dropped, its text kept: browsers read it as a link into this site. An unchanged post is
    never read again, so the jobs stored with such a link forget their post's hash (and their
    org its board's fingerprint): the next sync reads them again. Only those jobs: rewriting
    every job would re-parse its search words on PostgreSQL."""
    Job = apps.get_model("jobs", "Job")
    job_pks, organization_pks = [], set()
    linked = Job.objects.filter(description_html__contains='href="').values_list(
        "pk", "organization_id", "description_html"
    )
    for pk, organization_pk, description_html in linked.iterator(BATCH):
        hrefs = [
            html.unescape(value)
            for tag in LINK_TAG_RE.findall(description_html)
            for name, value in ATTRIBUTE_RE.findall(tag)
            if name == "href"
        ]
        if any(is_web_link_without_host(href) for href in hrefs):
            job_pks.append(pk)
            organization_pks.add(organization_pk)
    for start in range(0, len(job_pks), BATCH):
        Job.objects.filter(pk__in=job_pks[start : start + BATCH]).update(payload_hash="")
    apps.get_model("jobs", "GreenhouseConnection").objects.filter(
        organization__in=organization_pks
    ).update(applied_board_fingerprint="")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0040_email_change_count"),
    ]

    operations = [
        migrations.RunPython(
            forget_hashes_of_posts_with_links_without_host, migrations.RunPython.noop
        ),
    ]
