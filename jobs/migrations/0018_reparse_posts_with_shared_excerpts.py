from django.db import migrations
from django.db.models import Count


def forget_hashes_of_posts_with_shared_excerpts(apps, schema_editor):
    """An excerpt now starts after the company intro that Greenhouse puts first in every post of
    a board; before, every job of such a board had the intro as its excerpt. An unchanged post is
    never read again, so the jobs whose excerpt another job of their org shares forget their
    post's hash (and their org its board's fingerprint): the next sync reads them again."""
    Job = apps.get_model("jobs", "Job")
    shared = (
        Job.objects.exclude(excerpt="")
        .values("organization_id", "excerpt")
        .annotate(jobs=Count("pk"))
        .filter(jobs__gt=1)
        .values_list("organization_id", "excerpt")
    )
    organization_pks = set()
    for organization_pk, excerpt in list(shared):
        organization_pks.add(organization_pk)
        Job.objects.filter(organization_id=organization_pk, excerpt=excerpt).update(payload_hash="")
    apps.get_model("jobs", "GreenhouseConnection").objects.filter(
        organization__in=organization_pks
    ).update(applied_board_fingerprint="")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0017_reparse_posts_with_unclean_names"),
    ]

    operations = [
        migrations.RunPython(
            forget_hashes_of_posts_with_shared_excerpts, migrations.RunPython.noop
        ),
    ]
