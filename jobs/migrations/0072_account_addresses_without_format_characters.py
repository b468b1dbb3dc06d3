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
operator's to choose. `migrate` names them. An account written so has its invitations' and
confirmed address (EmailChangeCount) written so too. Undone, it changes nothing back."""

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


def account_addresses_mend(
    apps, alias: str = "default"
) -> list[tuple[int, str, str, tuple[str, ...]]]:
    """Store each account's username and email address without format characters, unless it
    would be alike another account's; the accounts so left: (pk, username, email, what of them
    would be alike another's, "username" and/or "address")."""
    users = apps.get_model("auth", "User").objects.using(alias)
    invitations = apps.get_model("jobs", "Invitation").objects.using(alias)
    counts = apps.get_model("jobs", "EmailChangeCount").objects.using(alias)
    found = {
        pk: (username, email)
        for pk, username, email in users.values_list("pk", "username", "email").iterator(BATCH)
        if _holds_format_characters(username + email)
    }
    mended = {pk: tuple(map(_mended, values)) for pk, values in found.items()}
    clashes = {pk: _clashes(users, pk, found, mended) for pk in found}
    left = {pk: alike for pk, alike in clashes.items() if alike}
    for pk in sorted(found.keys() - left.keys()):
        (username, email), (new_username, new_email) = found[pk], mended[pk]
        # Only as read: an address changed meanwhile is kept.
        if users.filter(pk=pk, username=username, email=email).update(
            username=new_username, email=new_email
        ):
            # Compared with its address as mailboxes (jobs.memberships.invitation_links_of), in
            # which such a character in the local part makes another: left so, they no longer
            # matched it, and its invitations were not shown to it.
            _addresses_mend(invitations.filter(user_id=pk), "email")
            _addresses_mend(counts.filter(user_id=pk), "confirmed_email")
    return [(pk, *found[pk], left[pk]) for pk in sorted(left)]


def _addresses_mend(rows, field: str) -> None:
    for pk, address in rows.values_list("pk", field):
        if _holds_format_characters(address):
            rows.filter(pk=pk, **{field: address}).update(**{field: _mended(address)})


def _holds_format_characters(text: str) -> bool:
    return not text.isascii() and any(unicodedata.category(c) == "Cf" for c in text)


def _mended(value: str) -> str:
    """As SendableEmailField reads it; never empty (no address was only such characters)."""
    return without_format_characters(value).strip() or value


def _key(address: str) -> str:
    return email_key(address_in_idna(address))


def _clashes(users, pk: int, found: dict, mended: dict) -> tuple[str, ...]:
    """What of account `pk` mended would be alike another's ("username", "address"; none if
    nothing): an account not `found` as stored, a `found` one either as stored (it may be left
    so) or mended."""
    (username, email), (new_username, new_email) = found[pk], mended[pk]
    others = users.exclude(pk__in=found)
    found_others = [
        values for other in found.keys() - {pk} for values in (found[other], mended[other])
    ]
    alike = []
    if new_username != username and (
        others.filter(addresses_alike("username", new_username)).exists()
        or any(_key(other) == _key(new_username) for other, _ in found_others)
    ):
        alike.append("username")
    if new_email != email:
        emails = others.filter(addresses_alike("email", new_email)).values_list("email", flat=True)
        if any(
            _key(other) == _key(new_email) for other in [*emails, *(e for _, e in found_others)]
        ):
            alike.append("address")
    return tuple(alike)


# What an account left with such characters cannot do, by what holds them.
LEFT_SO = {
    "username": "it signs in only with its username typed with them",
    "address": "no password reset finds it (the form drops them)",
}


def accounts_left_message(left: list[tuple[int, str, str, tuple[str, ...]]]) -> str:
    accounts = "".join(f"- {_account_left(*account)}.\n" for account in left)
    return (
        "Accounts whose username or email address holds a character that shows nothing (a "
        "zero-width space pasted with it), left so, as without it each would be alike another "
        f"account (in any case):\n{accounts}Migration jobs 0072 wrote the others without "
        "those characters. In Django's admin, delete the account no one uses, or give it "
        "another address and username, then write the other's without them."
    )


def _account_left(pk: int, username: str, email: str, alike: tuple[str, ...]) -> str:
    """One account left: what of it holds such characters, which would be alike another's
    without them, and what it cannot do so."""
    held = [
        name
        for name, value in (("username", username), ("address", email))
        if _holds_format_characters(value)
    ]
    return (
        f"{ascii(username)} ({ascii(email)}, /admin/auth/user/{pk}/change/): its "
        f"{' and '.join(held)} left with them, as its {' and '.join(alike)} would be another "
        f"account's without them; {', and '.join(LEFT_SO[name] for name in held)}"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("jobs", "0071_search_extended_arabic_marks_and_hebrew_acronyms"),
    ]

    operations = [
        migrations.RunPython(mend_account_addresses, migrations.RunPython.noop),
    ]
