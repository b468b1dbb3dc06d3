"""The address a confirmation link last gave each account: /manage/ offers the account its
invitations to it, as it does an account an invitation made. Empty for every account before it:
no link is known to have confirmed theirs."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0050_organization_language_in_conventional_case"),
    ]

    operations = [
        migrations.AddField(
            model_name="emailchangecount",
            name="confirmed_email",
            field=models.EmailField(blank=True, db_default="", default="", max_length=254),
        ),
    ]
