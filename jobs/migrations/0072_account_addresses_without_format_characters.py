"""Accounts' email addresses and usernames without the zero-width spaces and other characters
that show nothing (Unicode Cf) pasted with them: the forms drop them since SendableEmailField
did (invitations, sign-up, the address change), but an account made before kept them. Invited
as "carol@example.org\u200b", it was named "carol@example.org\u200b", which signing in with
the address as the invitation showed it never matched, and its address matched no password
reset typed without the space.

Written as the forms now read them. An account that would then be alike another, its username
another's in any case (as sign-in looks a username up, jobs.throttle.usernames_alike) or its
address another's (as password resets compare them, jobs.memberships.accounts_with_email), is
left as it is, both of them if both were to change: which account is the person's is the
operator's to choose. `migrate` names them. Undone, it changes nothing back."""

import unicodedata

from django.db import migrations

from jobs.greenhouse import without_format_characters
from jobs.mail import address_in_idna, addresses_alike
from jobs.text import email_key

BATCH = 2000


def mend_account_addresses(apps, schema_editor):
    left = account_addresses_mend(apps, schema_editor.connection.alias)
    if left:
        print(f"\n{accounts_left_message(left)}")  # after "Applying …", before its "OK"


def account_addresses_mend(apps, alias: str = "default") -> list[tuple[int, str, str]]:
    """Store each account's username and email address without format characters, unless it
    would be alike another account's; the accounts so left: (pk, username, email)."""
    users = apps.get_model("auth", "User").objects.using(alias)
    found = {
        pk: (username, email)
        for pk, username, email in users.values_list("pk", "username", "email").iterator(BATCH)
        if _holds_format_characters(username + email)
    }
    mended = {pk: tuple(map(_mended, values)) for pk, values in found.items()}
    left = {pk for pk in found if _clashes(users, pk, found, mended)}
    for pk in sorted(found.keys() - left):
        (username, email), (new_username, new_email) = found[pk], mended[pk]
        # Only as read: an address changed meanwhile is kept.
        users.filter(pk=pk, username=username, email=email).update(
            username=new_username, email=new_email
        )
    return [(pk, *found[pk]) for pk in sorted(left)]


def _holds_format_characters(text: str) -> bool:
    return not text.isascii() and any(unicodedata.category(c) == "Cf" for c in text)


def _mended(value: str) -> str:
    """As SendableEmailField reads it; never empty (no address was only such characters)."""
    return without_format_characters(value).strip() or value


def _key(address: str) -> str:
    return email_key(address_in_idna(address))


def _clashes(users, pk: int, found: dict, mended: dict) -> bool:
    """Whether account `pk` mended would be alike another: an account not `found` as stored, a
    `found` one either as stored (it may be left so) or mended."""
    (username, email), (new_username, new_email) = found[pk], mended[pk]
    others = users.exclude(pk__in=found)
    found_others = [
        values for other in found.keys() - {pk} for values in (found[other], mended[other])
    ]
    if new_username != username and (
        others.filter(addresses_alike("username", new_username)).exists()
        or any(_key(other) == _key(new_username) for other, _ in found_others)
    ):
        return True
    if new_email != email:
        alike = others.filter(addresses_alike("email", new_email)).values_list("email", flat=True)
        return any(
            _key(other) == _key(new_email) for other in [*alike, *(e for _, e in found_others)]
        )
    return False


def accounts_left_message(left: list[tuple[int, str, str]]) -> str:
    accounts = "; ".join(
        f"{ascii(username)} ({ascii(email)}, /admin/auth/user/{pk}/change/)"
        for pk, username, email in left
    )
    return (
        "Accounts whose username or email address holds a character that shows nothing (a "
        "zero-width space pasted with it), left so, as without it each would be alike another "
        f"account (in any case): {accounts}. Migration jobs 0072 wrote the others without "
        "those characters. Each of these still signs in only with its username typed with "
        "them: in Django's admin, delete the account no one uses, or give it another address "
        "and username, then write the other's without them."
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("jobs", "0071_search_extended_arabic_marks_and_hebrew_acronyms"),
    ]

    operations = [
        migrations.RunPython(mend_account_addresses, migrations.RunPython.noop),
    ]
