from django.db import migrations, models


def email_from_account(apps, schema_editor):
    Invitation = apps.get_model("jobs", "Invitation")
    for invitation in Invitation.objects.select_related("user").filter(email=""):
        invitation.email = invitation.user.email
        invitation.save(update_fields=["email"])


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0008_invitation"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="email",
            field=models.EmailField(default="", max_length=254),
            preserve_default=False,
        ),
        migrations.RunPython(email_from_account, migrations.RunPython.noop),
        migrations.AddField(
            model_name="organization",
            name="invitations_counted",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="organization",
            name="invitations_counted_since",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
