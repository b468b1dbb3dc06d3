"""Index the accounts' usernames and email addresses as the site looks them up in any case:
each sign-in (jobs.throttle.usernames_alike), password reset, sign-up and invitation
(jobs.memberships.accounts_with_email) read the whole accounts table, 45-52 ms at 50,000
accounts on PostgreSQL and 80-100 ms for the three spellings of an address whose domain is
beyond ASCII, 0.05-0.09 ms with them. On PostgreSQL of UPPER(), which Django's iexact compares,
built CONCURRENTLY, so sign-ins go on meanwhile; on SQLite in the NOCASE collation, which the
LIKE of its iexact reads (10-40 ms without them, 0.2-2 ms with them)."""

from django.db import migrations

from jobs.migration_operations import AddIndexInAnyCaseWithoutLock


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("jobs", "0064_reread_posts_with_a_name_cut_inside_a_character"),
    ]

    operations = [
        AddIndexInAnyCaseWithoutLock(
            model="auth.user", field="username", name="user_username_any_case_idx"
        ),
        AddIndexInAnyCaseWithoutLock(
            model="auth.user", field="email", name="user_email_any_case_idx"
        ),
    ]
