from django.db import migrations

from jobs.models import language_tag_in_conventional_case


def organization_languages_in_conventional_case(apps, schema_editor):
    """The forms now save a language tag in its conventional case ("ZH-hant-tw" as zh-Hant-TW);
    the tags saved before as typed are put so too. Few orgs have one: each is read."""
    Organization = apps.get_model("jobs", "Organization")
    for pk, language in Organization.objects.exclude(language="").values_list("pk", "language"):
        cased = language_tag_in_conventional_case(language)
        if cased != language:
            Organization.objects.filter(pk=pk).update(language=cased)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0049_reparse_posts_with_markup_the_sanitizer_reads_anew"),
    ]

    operations = [
        migrations.RunPython(
            organization_languages_in_conventional_case, migrations.RunPython.noop
        ),
    ]
