"""Drop the departments' and the offices' index of their organization alone: 0062's indexes by
(organization, parent) start with it, as the unique (organization, Greenhouse id) constraints
do, so the org's reads use those, and each unit a sync wrote paid for it too. Dropped
CONCURRENTLY on PostgreSQL, so syncs go on writing units meanwhile; the foreign keys stay as
they are (Django's AlterField would drop and check them anew)."""

import django.db.models.deletion
from django.db import migrations, models

from jobs.migration_operations import AlterFieldIndexWithoutLock


def organization_without_index(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name=related_name,
        to="jobs.organization",
    )


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("jobs", "0062_unit_parent_indexes"),
    ]

    operations = [
        AlterFieldIndexWithoutLock(
            model_name="department",
            name="organization",
            field=organization_without_index("departments"),
        ),
        AlterFieldIndexWithoutLock(
            model_name="office", name="organization", field=organization_without_index("offices")
        ),
    ]
