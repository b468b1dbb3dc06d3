import html
import re
from importlib import import_module

from django.db import migrations

from jobs.sanitize import is_web_link_without_host

reparse_0019 = import_module("jobs.migrations.0019_reparse_posts_with_relative_links")

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
    reparse_0019.forget_hashes_of_linked_posts(apps, has_link_without_host)


def has_link_without_host(description_html: str) -> bool:
    return any(
        is_web_link_without_host(html.unescape(value))
        for tag in LINK_TAG_RE.findall(description_html)
        for name, value in ATTRIBUTE_RE.findall(tag)
        if name == "href"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0040_email_change_count"),
    ]

    operations = [
        migrations.RunPython(
            forget_hashes_of_posts_with_links_without_host, migrations.RunPython.noop
        ),
    ]
