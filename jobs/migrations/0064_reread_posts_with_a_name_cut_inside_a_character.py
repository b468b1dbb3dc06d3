from django.db import migrations
from django.db.models.functions import Length

from jobs.migration_operations import posts_read_again

BATCH = 2000


def forget_hashes_of_posts_with_a_name_cut_inside_a_character(apps, schema_editor):
    """A title, location, department or office name or office location longer than its field
    was cut by slicing, which could split what reads as one character: "👩‍💻" stored as "👩" and
    a joiner, "q̃" (a q and an accent no character composes) as "q", "क्ष" as "क्". The sync
    now cuts before that character (jobs.text.field_head), as the location filter reads a
    link's location, so a link carrying Greenhouse's full location missed such a job. An
    unchanged post is never read again, and the post's text past the cut is not stored: the
    jobs holding such a value, or linked to a unit that does, forget their post's hash (and
    their orgs their board's fingerprint), and the next sync reads them again, rewriting their
    units too (it writes the units each post it reads lists). Only a value as long as its field
    can have been cut. The jobs first, then their orgs' connections, each job in a statement of
    its own: see posts_read_again."""
    posts_read_again(apps, jobs_with_a_value_at_its_fields_length(apps))


def jobs_with_a_value_at_its_fields_length(apps) -> dict[int, int]:
    """The jobs (by pk, their org's pk) of jobs_by_field_at_its_length, read (run by the
    reread_posts command: a sync by older code during a deploy cuts as before)."""
    found = {}
    for jobs in jobs_by_field_at_its_length(apps):
        found.update(jobs.order_by().values_list("pk", "organization_id").iterator(BATCH))
    return found


def jobs_by_field_at_its_length(apps) -> list:
    """A query set of jobs per field that the sync cuts to its length: the jobs whose value of
    it, or whose unit's, is exactly that long (a department or office linked to several jobs
    has them all). The lengths are this migration's models', not the code's of the day."""
    Job = apps.get_model("jobs", "Job")
    found = [at_its_length(Job, field_name) for field_name in ("title", "location_name")]
    for relation, model_name, field_names in (
        ("departments", "Department", ("name",)),
        ("offices", "Office", ("name", "location")),
    ):
        model = apps.get_model("jobs", model_name)
        found += [
            Job.objects.filter(**{f"{relation}__in": at_its_length(model, field_name)})
            for field_name in field_names
        ]
    return found


def at_its_length(model, field_name: str):
    """The rows of `model` whose `field_name` is as long as its max_length."""
    max_length = model._meta.get_field(field_name).max_length
    return model.objects.alias(length=Length(field_name)).filter(length=max_length)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("jobs", "0063_unit_organization_index_dropped"),
    ]

    operations = [
        migrations.RunPython(
            forget_hashes_of_posts_with_a_name_cut_inside_a_character, migrations.RunPython.noop
        ),
    ]
