from django.db import migrations
from django.db.models import F


def forget_fingerprints_of_boards_with_posts_to_fix(apps, schema_editor):
    """A broken post whose id a later copy holds on the site is now skipped as listed again,
    which no edit fixes. A sync that finds the board it applied last counts its skips as
    that sync stored them, so an org told before this to fix such a post in Greenhouse would be
    told so until the board changed. The boards with a post skipped for what is wrong with it
    forget their fingerprint: the next sync applies them again, and counts their skips anew."""
    boards_with_posts_to_fix_forget(apps)


def boards_with_posts_to_fix_forget(apps) -> int:
    """Have the boards with a post skipped for what is wrong with it forget their fingerprint;
    how many (also run by the reread_posts command)."""
    return (
        apps.get_model("jobs", "GreenhouseConnection")
        .objects.filter(applied_board_skipped__gt=F("applied_board_skipped_for_id"))
        .update(applied_board_fingerprint="")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0046_reparse_posts_that_answer_remote_yes"),
    ]

    operations = [
        migrations.RunPython(
            forget_fingerprints_of_boards_with_posts_to_fix, migrations.RunPython.noop
        ),
    ]
