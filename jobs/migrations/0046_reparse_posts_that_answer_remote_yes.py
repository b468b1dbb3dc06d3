from django.db import migrations

from jobs.metadata import REMOTE_QUESTION_FIELD_NAMES, answers_yes

BATCH = 2000


def forget_hashes_of_posts_that_answer_remote_yes(apps, schema_editor):
    """A yes/no field "Remote" answered yes now says that the job is remote. An unchanged post
    is never read again, so the jobs stored with one and no workplace from Greenhouse forget
    their post's hash (and their org its board's fingerprint): the next sync reads them again.
    Only those jobs: rewriting every job would re-parse its search words on PostgreSQL."""
    forget_hashes_of_jobs(apps, jobs_that_answer_remote_yes(apps))


def jobs_that_answer_remote_yes(apps) -> dict[int, int]:
    """The jobs (by pk, their org's pk) stored with a yes/no field "Remote" answered yes and no
    workplace from Greenhouse (also run by the reread_posts command)."""
    Job = apps.get_model("jobs", "Job")
    rows = (
        Job.objects.filter(greenhouse_remote_policy="")
        .values_list("pk", "organization_id", "metadata")
        .iterator(BATCH)
    )
    return {
        pk: organization_pk
        for pk, organization_pk, metadata in rows
        if answers_yes(metadata, field_names=REMOTE_QUESTION_FIELD_NAMES)
    }


def forget_hashes_of_jobs(apps, found: dict[int, int]) -> None:
    """Have the next sync read again the jobs `found` (by pk, their org's pk): they forget their
    post's hash, and their orgs their board's fingerprint (also used by 0048, 0049 and 0056)."""
    hashes_of_jobs_forget(apps, found)
    apps.get_model("jobs", "GreenhouseConnection").objects.filter(
        organization__in=set(found.values())
    ).update(applied_board_fingerprint="")


def hashes_of_jobs_forget(apps, pks) -> None:
    """The jobs `pks` forget their post's hash, their orgs keeping their board's fingerprint
    (also run by the reread_posts command)."""
    Job = apps.get_model("jobs", "Job")
    pks = sorted(pks)
    for start in range(0, len(pks), BATCH):
        Job.objects.filter(pk__in=pks[start : start + BATCH]).update(payload_hash="")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0045_connection_imported_posts"),
    ]

    operations = [
        migrations.RunPython(
            forget_hashes_of_posts_that_answer_remote_yes, migrations.RunPython.noop
        ),
    ]
