import json
import re
from typing import Any

from django.db import migrations
from django.db.models import Q

from jobs.greenhouse import MAX_METADATA_FIELDS, fits_metadata_bounds

BATCH = 2000
# What the sync drops from text (jobs.text.UNWANTED_CHARACTERS_RE) and a database can
# hold: control characters but tab and line breaks, and U+FFFE/U+FFFF. The last it came to drop
# were DEL and the C1 controls (U+007F-U+009F) everywhere, and C0 ones in a description's raw
# text. Not NUL, which PostgreSQL can neither hold nor take in a pattern.
UNWANTED = "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]"
UNWANTED_RE = re.compile(UNWANTED)
# What the sync reads from a post as text, besides its metadata and its places' and teams' names.
TEXT_FIELDS = (
    "title",
    "location_name",
    "company_name",
    "requisition_id",
    "language",
    "absolute_url",
    "description_html",
    "excerpt",
)


def with_controls(fields: tuple[str, ...]) -> Q:
    """A filter of the rows with an UNWANTED character in any of these fields."""
    found = Q()
    for field in fields:
        found |= Q(**{f"{field}__regex": UNWANTED})
    return found


def metadata_kept_today(metadata: Any) -> bool:
    """Whether the sync would store these metadata as they are: at most MAX_METADATA_FIELDS
    fields, each within its bounds, with no UNWANTED character."""
    if not isinstance(metadata, list):
        return False
    return (
        len(metadata) <= MAX_METADATA_FIELDS
        and all(isinstance(item, dict) and fits_metadata_bounds(item) for item in metadata)
        and not UNWANTED_RE.search(json.dumps(metadata, ensure_ascii=False))
    )


def forget_hashes_of_posts_with_controls_or_unbounded_metadata(apps, schema_editor):
    """The sync now drops control characters from a post's text fields, names, description and
    metadata, and keeps only the metadata fields within bounds. An unchanged post is never read
    again, so the jobs stored before with such values forget their post's hash, and their org
    its board's fingerprint: the next sync reads them again. (Nor is the board's ETag sent then,
    which goes only with the board applied: Greenhouse's "not modified" cannot skip the read.)
    Only those jobs: rewriting every job would re-parse its search words on PostgreSQL."""
    Job = apps.get_model("jobs", "Job")
    job_pks = set(
        Job.objects.filter(with_controls(TEXT_FIELDS)).values_list("pk", flat=True).iterator(BATCH)
    )
    # Apart from the jobs' own fields: joined in, each job would be read once per unit it has.
    for model, fields in (("Department", ("name",)), ("Office", ("name", "location"))):
        units = apps.get_model("jobs", model).objects.filter(with_controls(fields))
        job_pks.update(
            Job.objects.filter(**{f"{model.lower()}s__in": units}).values_list("pk", flat=True)
        )
    rows = Job.objects.values_list("pk", "metadata").iterator(BATCH)
    job_pks.update(pk for pk, metadata in rows if not metadata_kept_today(metadata))
    pks = sorted(job_pks)
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
        ("jobs", "0037_job_search_tags"),
    ]

    operations = [
        migrations.RunPython(
            forget_hashes_of_posts_with_controls_or_unbounded_metadata,
            migrations.RunPython.noop,
        ),
    ]
