"""Changing a signed-in person's email address: it changes only once a link sent to the new
address is opened by the same account, so a typo cannot lock anyone out of password resets,
invitations and sync alerts; the old address is told a change was asked for. The same address
spelt otherwise (in another case) is the same mailbox, and changes at once."""

from __future__ import annotations

import logging
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from jobs.mail import address_sendable, automated_email_send
from jobs.memberships import accounts_with_email
from jobs.models import EmailChangeCount
from jobs.text import email_key, name_in_sentence, seconds_in_words
from jobs.throttle import account_email_allowed

logger = logging.getLogger(__name__)

EMAIL_CHANGE_SALT = "jobs.email_change"
EMAIL_TAKEN_MESSAGE = (
    "Another account already uses this address; each account needs one of its own."
)
LINK_INVALID_MESSAGE = (
    "This link is not valid any more: it has expired, or your address or password has changed "
    "since it was sent. Ask for a new link on the email address page."
)
OTHER_ACCOUNT_MESSAGE = (
    "This link is for another account than the one you are signed in with. Sign out, then "
    "sign in with the account that asked for the change."
)


class EmailChangeError(Exception):
    """A link that cannot change the address; `message` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmailChangeForAnotherAccount(EmailChangeError):
    """A link opened signed in with an account it was not sent to: signing out helps."""


def email_taken(email: str, *, user: User) -> bool:
    """Whether another account has `email`, compared as password resets compare addresses: a
    reset to it would go to both accounts."""
    return any(account.pk != user.pk for account in accounts_with_email(email))


def same_mailbox(email: str, other: str) -> bool:
    """Whether two addresses are one as the site compares them (email_key): one account, and
    the one mailbox a password reset to either goes to."""
    return email_key(email) == email_key(other)


def email_change_request(*, user: User, new_email: str, ip: str) -> bool:
    """Email the link that confirms `new_email` to it, and a notice to the current address;
    False (and logged) if the mail server refused the link's email. The caller counted the
    link's email with account_email_allowed(); the notice is counted here, from client `ip`."""
    context = {
        "user": user,
        "new_email": new_email,
        "confirm_url": urljoin(
            settings.SITE_URL,
            reverse("email_change_confirm", args=[email_change_token(user, new_email)]),
        ),
        "expires_in": seconds_in_words(settings.PASSWORD_RESET_TIMEOUT),
        "SITE_NAME": settings.SITE_NAME,
    }
    site_name = name_in_sentence(settings.SITE_NAME)
    if not automated_email_send(
        subject=f"Confirm your new email address on {site_name}",
        body=render_to_string("registration/email_change_email.txt", context),
        to=new_email,
        kind="email change",
        user_id=user.pk,
    ):
        return False
    logger.info("email change asked user=%s", user.pk)
    # Someone else in an open session asking for a change must not go unnoticed; but the notice
    # must not be a way to flood the old mailbox either, nor raise on an address stored before
    # sign-up refused those that cannot be written in an email.
    if not (user.email and address_sendable(user.email)):
        logger.warning("email change notice not sent: no address to send it to user=%s", user.pk)
    elif not account_email_allowed(email=user.email, ip=ip):
        logger.warning("email change notice not sent: too many to one address user=%s", user.pk)
    else:
        automated_email_send(
            subject=f"A change of your email address on {site_name} was asked for",
            body=render_to_string("registration/email_change_notice.txt", context),
            to=user.email,
            kind="email change notice",
            user_id=user.pk,
        )
    return True


def email_change_token(user: User, new_email: str) -> str:
    """The signed part of the confirmation link: the account, the new address, and a digest of
    the account's address and password, so that the link stops working once used, once
    another link was or the address was respelt (email_respell), and once the password changes
    (an owner who noticed a stranger's request changes it)."""
    return signing.dumps(
        [user.pk, new_email, _account_state(user)], salt=EMAIL_CHANGE_SALT, compress=False
    )


def _account_state(user: User) -> str:
    # A digest, as Django's password reset tokens: the link is readable by anyone who sees it.
    # With the count of its changes: the address alone is the same again once changed
    # back, and a link used to leave it would work again. None counted adds nothing, so the
    # links sent before there was a count still work.
    confirmed = (
        EmailChangeCount.objects.filter(user=user.pk).values_list("confirmed", flat=True).first()
    )
    counted = f"\0{confirmed}" if confirmed else ""
    return salted_hmac(
        f"{EMAIL_CHANGE_SALT}.state", f"{user.password}\0{user.email}{counted}"
    ).hexdigest()


def email_change_of(token: str, *, user: User) -> str:
    """The new address a confirmation link names, if the link is still valid and is `user`'s,
    and no other account has the address now. A link already used for the address the account
    now has names it (a second click). The link's page asks the same as its button's click (under
    the account's lock), so that it offers no change the click would refuse."""
    try:
        user_pk, new_email, state = signing.loads(
            token, salt=EMAIL_CHANGE_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT
        )
    except signing.BadSignature:  # SignatureExpired is one too
        raise EmailChangeError(LINK_INVALID_MESSAGE) from None
    if user_pk != user.pk:
        raise EmailChangeForAnotherAccount(OTHER_ACCOUNT_MESSAGE)
    if new_email == user.email:
        return new_email
    if not constant_time_compare(state, _account_state(user)):
        raise EmailChangeError(LINK_INVALID_MESSAGE)
    # The address was free when the link was asked for; another account may have taken it since.
    if email_taken(new_email, user=user):
        raise EmailChangeError(
            f"The address was not changed: another account has used {new_email} since the link "
            "was sent, and each account needs one of its own."
        )
    return new_email


@transaction.atomic
def email_change_confirm(*, token: str, user: User) -> str:
    """Give `user` the address their confirmation link names; returns it."""
    # Locked and read again: two clicks on two links at once must not both pass the check.
    locked = User.objects.select_for_update().get(pk=user.pk)
    new_email = email_change_of(token, user=locked)
    if new_email == locked.email:
        return new_email
    _email_save(locked, new_email, confirmed=True)
    user.email = new_email
    return new_email


@transaction.atomic
def email_respell(*, user: User, new_email: str) -> None:
    """Give `user` their own address spelt otherwise (same_mailbox): a link sent there would
    prove nothing that their password did not. Refused (EmailChangeError) if the address
    changed since `user` was read (a link used in another tab): `new_email` is then another
    mailbox, which only its link may give the account."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    user.email = locked.email
    if not same_mailbox(new_email, locked.email):
        raise EmailChangeError(
            f"Your address changed to {locked.email} meanwhile, so it was not changed to "
            f"{new_email}. Ask again if you still want it."
        )
    # One a link confirmed stays so while its emails reach the mailbox the link did
    # (EmailChangeCount.confirmed_email).
    _email_save(locked, new_email, confirmed=False)
    user.email = new_email


def _email_save(locked: User, new_email: str, *, confirmed: bool) -> None:
    locked.email = new_email
    locked.save(update_fields=["email"])
    email_change_count(user=locked, confirmed_email=new_email if confirmed else None)
    logger.info("email changed user=%s", locked.pk)


def email_change_count(*, user: User, confirmed_email: str | None = None) -> None:
    """Count a change of `user`'s address, however it was made (a link, a respelling, staff in
    the Django admin), for the links' digest: spelt back, the address would revive them. With
    the address a link confirmed, `confirmed_email`, kept as the one the account was shown to
    read."""
    defaults: dict[str, object] = {"confirmed": F("confirmed") + 1}
    create_defaults: dict[str, object] = {"confirmed": 1}
    if confirmed_email is not None:
        defaults["confirmed_email"] = create_defaults["confirmed_email"] = confirmed_email
    EmailChangeCount.objects.update_or_create(
        user=user, defaults=defaults, create_defaults=create_defaults
    )
