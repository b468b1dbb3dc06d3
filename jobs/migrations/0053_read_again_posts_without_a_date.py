from django.db import migrations
from django.db.models import Q

from jobs.greenhouse import dated_ahead_hash

BATCH = 2000


def read_again_posts_without_a_date(apps, schema_editor):
    """A post dated more than a day ahead has its dates read as missing, and now a hash of its
    own (dated_ahead_hash), so that each sync reads it again until its dates have come. One
    stored before kept its post's hash and was never read again: its dates stayed missing. The
    jobs without either date (which do not say which were ahead) are stored as such a post
    would be, the dates missing taken for those ahead, and their orgs forget their board's
    fingerprint: the next sync reads them again, keeping their descriptions (the hash is not
    forgotten, which would have them read anew), and a post still ahead is then unchanged."""
    read_again_jobs_without_a_date(apps, jobs_without_a_date(apps))


def jobs_without_a_date(apps) -> list[tuple]:
    """The jobs without an update or publication date whose post's hash is kept: (pk, org pk,
    payload hash, update date, publication date) (also run by the reread_posts command)."""
    Job = apps.get_model("jobs", "Job")
    rows = (
        Job.objects.filter(
            Q(greenhouse_updated_at__isnull=True) | Q(first_published_at__isnull=True)
        )
        .exclude(payload_hash="")
        .values_list(
            "pk", "organization_id", "payload_hash", "greenhouse_updated_at", "first_published_at"
        )
        .iterator(BATCH)
    )
    return list(rows)


def read_again_jobs_without_a_date(apps, found: list[tuple]) -> None:
    """Store the jobs `found` (jobs_without_a_date) as a post with their missing dates ahead
    would be, and have their orgs forget their board's fingerprint."""
    dates_ahead_store(apps, found)
    apps.get_model("jobs", "GreenhouseConnection").objects.filter(
        organization__in={row[1] for row in found}
    ).update(applied_board_fingerprint="")


def dates_ahead_store(apps, found: list[tuple]) -> None:
    """Store the jobs `found` (jobs_without_a_date) as a post with their missing dates ahead
    would be, their orgs keeping their board's fingerprint (also run by the reread_posts
    command)."""
    Job = apps.get_model("jobs", "Job")
    # Written once read: SQLite does not isolate a write from a read still going.
    for pk, _, payload_hash, updated_at, first_published_at in found:
        # The keys of parse_job's dates, in its order.
        missing = [
            key
            for key, date in (("updated_at", updated_at), ("first_published", first_published_at))
            if date is None
        ]
        Job.objects.filter(pk=pk).update(payload_hash=dated_ahead_hash(payload_hash, missing))


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0052_unit_names_without_outer_spaces"),
    ]

    operations = [
        migrations.RunPython(read_again_posts_without_a_date, migrations.RunPython.noop),
    ]
