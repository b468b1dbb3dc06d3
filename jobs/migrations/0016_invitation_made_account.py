from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import migrations, models


def mark_accounts_invitations_made(apps, schema_editor):
    """Invitations sent before this migration made their accounts as they make them now: for an
    address new here, no password until the person sets one. Those still unused are marked."""
    Invitation = apps.get_model("jobs", "Invitation")
    Invitation.objects.filter(
        user__last_login__isnull=True,
        user__password__startswith=UNUSABLE_PASSWORD_PREFIX,
        user__is_staff=False,
        user__is_superuser=False,
        user__memberships__isnull=True,
    ).update(made_account=True)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0015_sync_run_trigger_connect"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="made_account",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_accounts_invitations_made, migrations.RunPython.noop),
    ]
