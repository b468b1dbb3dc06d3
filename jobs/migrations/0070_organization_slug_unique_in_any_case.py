"""Org slugs unique in any case, in the database: the forms check it (organization_slug_taken,
Django's admin), but two saves at once could both pass their checks, and code that writes
without them (older releases', a shell's) could save "NorthWind" beside "northwind", two orgs at
an address that differs only in case. Of UPPER(slug), as Django's lookup in any case compares
on PostgreSQL, which then reads its index for it.

Orgs saved so before are not renamed here: their addresses are out there, and which one keeps
its own is the operator's to choose. The migration stops first, having changed nothing, naming
them (orgsite.W010 warns of them before it runs)."""

from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models.functions import Upper

from jobs.selectors import (
    organizations_at_one_address_in_any_case,
    organizations_at_one_address_refusal,
)


def refuse_slugs_that_differ_only_in_case(apps, schema_editor):
    """CommandError, which `migrate` prints alone (no traceback), where orgs have slugs that
    differ only in case: the constraint could not be made over them."""
    organizations = apps.get_model("jobs", "Organization").objects.using(
        schema_editor.connection.alias
    )
    groups = organizations_at_one_address_in_any_case(organizations.all())
    if groups:
        raise CommandError(organizations_at_one_address_refusal(groups))


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0069_search_word_parts_quranic_marks_and_digits"),
    ]

    operations = [
        migrations.RunPython(refuse_slugs_that_differ_only_in_case, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="organization",
            constraint=models.UniqueConstraint(
                Upper("slug"), name="organization_slug_in_any_case_unique"
            ),
        ),
    ]
