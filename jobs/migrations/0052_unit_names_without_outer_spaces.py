from django.db import migrations

BATCH = 2000


def one_line(text: str) -> str:
    """As jobs.greenhouse reads a name now: whitespace collapsed, none at either end."""
    return " ".join(text.split())


def strip_unit_names(apps, schema_editor):
    """Departments and offices are written only from the changed posts that list them, so a
    name or office location stored with a space at an end (sent so before one-line values, of
    a job 0017 did not have read again as it was off the board, or cut after a space at 300
    characters before names were trimmed after their cut) kept it until its post changed: it
    sorted apart and showed so in filters and on job pages. Written here as the sync now reads
    them. Only (organization, greenhouse id) is unique: no two units merge."""
    unit_names_strip(apps)


def unit_names_strip(apps) -> int:
    """Store the names and office locations with a space at an end without it; how many units
    changed (also run by the reread_posts command)."""
    return unit_names_stripped_store(apps, unit_names_to_strip(apps))


def unit_names_to_strip(apps) -> list[tuple[str, int, dict, dict]]:
    """The units with a name or office location to strip: (model name, pk, the values read,
    the values stripped) (also run by the reread_posts command, before its transaction)."""
    found = []
    for model_name, fields in (("Department", ["name"]), ("Office", ["name", "location"])):
        model = apps.get_model("jobs", model_name)
        for pk, *values in model.objects.values_list("pk", *fields).iterator(BATCH):
            # A name of spaces alone is kept (the sync leaves out a unit without one); a
            # location of spaces alone the sync reads as none.
            cleaned = {
                field: one_line(value)
                for field, value in zip(fields, values, strict=True)
                if value != one_line(value) and (one_line(value) or field == "location")
            }
            if cleaned:
                found.append((model_name, pk, dict(zip(fields, values, strict=True)), cleaned))
    return found


def unit_names_stripped_store(apps, found: list[tuple[str, int, dict, dict]]) -> int:
    """Store the units `found` (unit_names_to_strip) stripped, each only if it still has the
    values read: one a sync wrote since has its name as the sync read it. How many changed."""
    # Written once read: SQLite does not isolate a write from a read still going.
    return sum(
        apps.get_model("jobs", model_name).objects.filter(pk=pk, **read).update(**cleaned)
        for model_name, pk, read, cleaned in found
    )


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0051_emailchangecount_confirmed_email"),
    ]

    operations = [
        migrations.RunPython(strip_unit_names, migrations.RunPython.noop),
    ]
