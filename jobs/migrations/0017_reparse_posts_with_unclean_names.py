import unicodedata

from django.db import migrations

from jobs.text import shows_anything

BATCH = 2000


def one_line(text: str) -> str:
    """As jobs.greenhouse reads one-line values now: composed (NFC), whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def is_clean(text: str) -> bool:
    return not text or (text == one_line(text) and shows_anything(text))


def forget_hashes_of_posts_with_unclean_names(apps, schema_editor):
    """Titles, places and teams are now read composed and on one line, and a place or team that
    shows nothing is left out. An unchanged post is never read again, so the jobs stored before
    with such values forget their post's hash (and their org its board's fingerprint): the next
    sync reads them again. Only those jobs: rewriting every job would re-parse its search words
    on PostgreSQL."""
    Job = apps.get_model("jobs", "Job")
    unclean_job_pks = set()
    for model, through_column in (("Department", "department_id"), ("Office", "office_id")):
        unit_model = apps.get_model("jobs", model)
        unclean_units = [
            pk
            for pk, name in unit_model.objects.values_list("pk", "name").iterator(BATCH)
            if not is_clean(name)
        ]
        through = getattr(Job, f"{model.lower()}s").through
        for start in range(0, len(unclean_units), BATCH):
            unclean_job_pks.update(
                through.objects.filter(
                    **{f"{through_column}__in": unclean_units[start : start + BATCH]}
                ).values_list("job_id", flat=True)
            )
    rows = Job.objects.values_list("pk", "title", "location_name").iterator(BATCH)
    unclean_job_pks.update(
        pk
        for pk, title, location_name in rows
        if title != one_line(title) or not is_clean(location_name)
    )
    pks = sorted(unclean_job_pks)
    organization_pks = set()
    for start in range(0, len(pks), BATCH):
        some = Job.objects.filter(pk__in=pks[start : start + BATCH])
        organization_pks.update(some.values_list("organization_id", flat=True))
        some.update(payload_hash="")
    apps.get_model("jobs", "GreenhouseConnection").objects.filter(
        organization__in=organization_pks
    ).update(applied_board_fingerprint="")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0016_invitation_made_account"),
    ]

    operations = [
        migrations.RunPython(forget_hashes_of_posts_with_unclean_names, migrations.RunPython.noop),
    ]
