from django.db import migrations
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual

from jobs.migration_operations import posts_read_again
from jobs.sanitize import without_empty_links
from jobs.text import MAX_ESCAPED_CHARACTER_CHARS

BATCH = 2000
# A link's end tag right after anything but an ASCII letter or digit (which would show): where
# the database finds the links that may show nothing, which without_empty_links() then tells
# (what comes before the end of one of EMPTY_LINK_RE's links is a tag's ">", the ";" of "&nbsp;"
# or a character of no \w but a Hangul filler). Read alike by PostgreSQL's regexes and Python's
# (SQLite's REGEXP, as Django gives it): ASCII ranges, no case folded, a line end or a character
# beyond the first plane read as any other.
LINK_END_AFTER_NO_LETTER_RE = r"[^0-9A-Za-z]</a>"


def forget_hashes_of_posts_with_an_empty_link_or_an_address_cut(apps, schema_editor):
    """A link in a description that shows nothing (one around an image, which the allow-list
    drops, or around blanks) was kept, a stop for Tab of no size read out as a link without a
    name; the sync now drops its tags (jobs.sanitize.without_empty_links). And an address
    (absolute_url) longer than its field was cut before a character as written, not as its
    percent-escapes read: an accent escaped after its letter ("e%CC%81", é) was cut from it,
    the Apply link naming another page, and so was part of an emoji sequence or a flag written
    as escapes. An unchanged post is never read again, and what a cut left out is not stored:
    the jobs holding such a link, or an address within an escaped character of its field's
    length, forget their post's hash (and their orgs their board's fingerprint), and the next
    sync reads them again. The jobs first, then their orgs' connections, each job in a
    statement of its own: see posts_read_again."""
    posts_read_again(apps, jobs_with_an_empty_link_or_an_address_maybe_cut(apps))


def jobs_with_an_empty_link_or_an_address_maybe_cut(apps) -> dict[int, int]:
    """The jobs (by pk, their org's pk) whose address is within an escaped character of its
    field's length (jobs_with_an_address_near_its_length), or whose stored description loses a
    link to without_empty_links(), as the sync's now does: read only where a link ends after no
    letter or digit, as one that shows nothing does (LINK_END_AFTER_NO_LETTER_RE). Also run by
    the reread_posts command: a sync by older code during a deploy stores them as before."""
    Job = apps.get_model("jobs", "Job")
    found = dict(
        jobs_with_an_address_near_its_length(Job)
        .order_by()
        .values_list("pk", "organization_id")
        .iterator(BATCH)
    )
    descriptions = (
        Job.objects.filter(description_html__regex=LINK_END_AFTER_NO_LETTER_RE)
        .order_by()
        .values_list("pk", "organization_id", "description_html")
        .iterator(BATCH)
    )
    found.update(
        (pk, organization_pk)
        for pk, organization_pk, description_html in descriptions
        if without_empty_links(description_html) != description_html
    )
    return found


def jobs_with_an_address_near_its_length(Job):
    """The jobs whose address is at most MAX_ESCAPED_CHARACTER_CHARS (the escapes of one
    character) short of its field's length: older code cut a longer one there, then left out
    what it split of a character's escapes ("%CC%8" of "e%CC%81"), fewer than those. Whether
    it holds a "%" does not tell: cut before "%CC%81", "…cafe" may hold none. The length is
    this migration's model's, not the code's of the day."""
    max_length = Job._meta.get_field("absolute_url").max_length
    return Job.objects.filter(
        GreaterThanOrEqual(Length("absolute_url"), max_length - MAX_ESCAPED_CHARACTER_CHARS)
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("jobs", "0067_search_without_arabic_and_hebrew_marks"),
    ]

    operations = [
        migrations.RunPython(
            forget_hashes_of_posts_with_an_empty_link_or_an_address_cut,
            migrations.RunPython.noop,
        ),
    ]
