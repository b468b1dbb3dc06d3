"""Accounts and memberships: signing up an organization, inviting and managing its members."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from jobs.cache import listing_cache_invalidate
from jobs.mail import (
    UNSENDABLE_ADDRESS_MESSAGE,
    address_in_idna,
    address_sendable,
    address_shown,
    addresses_alike,
    automated_email_send,
    mailbox,
)
from jobs.models import (
    INVITATION_DAYS,
    ROLES_IN_WORDS,
    SLUGS_OF_SITE_PAGES,
    EmailChangeCount,
    Invitation,
    Membership,
    Organization,
    by_organization_name,
    fields_save_if_row_exists,
    rows_key_share_lock,
)
from jobs.text import (
    email_key,
    ending_sentence,
    fold_accents,
    minutes_in_words,
    name_in_sentence,
    seconds_in_words,
)
from jobs.throttle import (
    INVITATIONS_PER_ADDRESS_PER_DAY,
    invitation_email_allowed,
    invitation_email_uncount,
    signup_allowed,
    signup_limit_reached,
    signup_uncount,
    usernames_alike,
)

logger = logging.getLogger(__name__)

MAX_INVITATIONS_PER_DAY = 50
INVITATION_SALT = "jobs.invitation"
INVITATION_INVALID_MESSAGE = (
    "This invitation link is not valid any more: it has expired, was replaced by a newer one, "
    "or was cancelled. Ask an admin of the organization to invite you again."
)
# Said only to whoever holds a link this site signed, of the org it names: no one can ask it of
# another org.
INVITATION_ORGANIZATION_GONE_MESSAGE = (
    "This invitation link is not valid any more: the organization it is for no longer exists."
)
MEMBERSHIP_GONE_MESSAGE = (
    "That person was removed from the organization meanwhile, so their role was not changed."
)
# The same, said to the person removed: "{organization}" is the org's name.
YOUR_MEMBERSHIP_GONE_MESSAGE = (
    "You were removed from {organization} meanwhile, so your role was not changed."
)
ADMIN_NEEDED = "An organization needs at least one admin who can sign in."
ADMIN_NEEDED_MESSAGE = f"{ADMIN_NEEDED} Make someone else an admin first."
# Said in Django's admin, where staff add member rows themselves, whoever else belongs already.
ADMIN_ADD_NEEDED_MESSAGE = f"{ADMIN_NEEDED} Add another admin first."
# Said there instead to staff who may not add member rows.
ADMIN_ADD_ASK_MESSAGE = f"{ADMIN_NEEDED} Ask staff who may add members to add another admin first."
# Said instead where nobody else who can sign in belongs to the org: there is nobody to make one.
# Not "nobody else belongs": the members list shows a deactivated account, or an invited one.
ADMIN_NOBODY_ELSE = (
    "An organization needs at least one admin who can sign in, and nobody else who can sign in "
    "belongs to this one."
)
ADMIN_INVITE_NEEDED_MESSAGE = (
    f"{ADMIN_NOBODY_ELSE} Invite someone as an admin below, then try again once they have joined."
)


class MembershipError(Exception):
    """A membership change that would leave the org in a bad state; `message` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def organization_slug_of_name(name: str) -> str:
    """The slug a new org's name makes, before any number, "" if it has no letter or digit to
    make one of (a name in Hebrew, Arabic, Cyrillic or Greek). Letters slugify() would drop,
    having no accent to take off, are first written as people type them without one
    (fold_accents): "Bjørn Straße" is 'bjorn-strasse', not 'bjrn-strae'."""
    return slugify(fold_accents(name))


def organization_slug_taken(slug: str) -> bool:
    """Whether an org has `slug` in any case, or a page of the site has its address: an "acme"
    beside an org saved as "ACME" (before slugs had to be lowercase) would be a second org at an
    address that differs only in case, /orgs/ACME/ the one and /orgs/Acme/ leading to the other
    (slug_in_lowercase)."""
    return (
        slug in SLUGS_OF_SITE_PAGES or Organization.objects.filter(slug__in_any_case=slug).exists()
    )


def organization_slug_free(name: str) -> str:
    """A slug for a new org from its name (organization_slug_of_name), numbered if taken, by
    another org or by the site's own pages ('acme', 'acme-2', ...; 'new-2'); 'org' for a name
    that makes none, which the forms that create an org ask an address for instead."""
    return organization_slug_numbered(organization_slug_of_name(name) or "org")


def organization_slug_numbered(slug: str) -> str:
    """`slug`, or the first of 'slug-2', 'slug-3'... that is free (organization_slug_taken)."""
    return _first_free(
        slug,
        max_length=Organization._meta.get_field("slug").max_length,
        taken=organization_slug_taken,
        # Cut, "acme-" or "acme--2" is no slug slugify() makes, and Django's admin and
        # connect_greenhouse refuse it (validate_organization_slug).
        cut_before="-_",
    )


def slug_taken_message(slug: str) -> str:
    """Said on the Address box of a slug that is taken, with one that is free."""
    return (
        f"The address /orgs/{slug}/ is taken. Choose another, such as "
        f"{organization_slug_numbered(slug)}, or leave the box blank to have one made from the "
        "name."
    )


# Another sign-up may take the same slug between the check and the INSERT: try the next one.
SLUG_ATTEMPTS = 3


class MembershipGone(MembershipError):
    """The membership to change was removed meanwhile, by another admin."""


class InvitationForAnotherAccount(MembershipError):
    """A join link opened signed in with an account it was not sent to: signing out helps."""


class SlugTaken(MembershipError):
    """The address typed for a new org was taken meanwhile, by another org created at once."""


class TooManyOrganizations(Exception):
    """SIGNUP_LIMIT_PER_DAY new orgs were already made from this client address today."""


@transaction.atomic
def organization_signup(
    *,
    username: str,
    email: str,
    password: str,
    organization_name: str,
    ip: str,
    organization_slug: str = "",
) -> Membership:
    """A new user, a new organization, and the user as its admin; the org counts against the
    daily limit of the client address `ip` (TooManyOrganizations past it, and no account). The
    org's slug as organization_create makes it (SlugTaken, and no account)."""
    # The form checked the name, but a second click can get in between.
    second_click = MembershipError(
        f"The account “{username}” was created a moment ago (a second click?): sign in."
    )
    if User.objects.filter(username=username).exists():
        raise second_click
    # Asked before hashing the password: past the limit, a sign-up costs the server little.
    if signup_limit_reached(ip=ip):
        raise TooManyOrganizations
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:
        raise second_click from None
    return organization_create(name=organization_name, admin=user, ip=ip, slug=organization_slug)


# A second org of the same name by the same person this soon is a second click on the button.
SAME_ORGANIZATION_SECONDS = 60


def organization_just_made(*, admin: User, name: str, slug: str = "") -> Membership | None:
    """`admin`'s membership of the org of this name (at this slug, if given) that they created
    within SAME_ORGANIZATION_SECONDS: a second click makes none, and its slug is not "taken"."""
    return (
        admin.memberships.filter(
            role=Membership.Role.ADMIN,
            organization__name=name,
            **({"organization__slug": slug} if slug else {}),
            organization__created_at__gte=timezone.now()
            - timedelta(seconds=SAME_ORGANIZATION_SECONDS),
        )
        .select_related("organization")
        .first()
    )


@transaction.atomic
def organization_create(*, name: str, admin: User, ip: str, slug: str = "") -> Membership:
    """A new organization with `admin` as its admin, at `slug` (checked valid and free by the
    form), or without one at a slug made from its name; the one they made a moment ago, if it
    has the same name (and slug, if given). A new one counts against the daily limit of the
    client address `ip` (TooManyOrganizations past it); the one found does not, nor one
    refused (SlugTaken), whose count is taken back.

    A typed slug another org takes between the form's check and the INSERT is refused
    (SlugTaken), not numbered as a made one is: the person chose that address, which only
    staff can change later, and may have given it out already; "acme-2" in its place would be a
    lasting surprise."""
    User.objects.select_for_update().filter(pk=admin.pk).first()  # one at a time per person
    just_made = organization_just_made(admin=admin, name=name, slug=slug)
    if just_made:
        return just_made
    # Counted here: after the second-click check, which makes nothing, and before the INSERT, so
    # that requests sent at the same instant cannot all pass.
    if not signup_allowed(ip=ip):
        raise TooManyOrganizations
    try:
        for attempt in range(1, SLUG_ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    organization = Organization.objects.create(
                        name=name, slug=slug or organization_slug_free(name)
                    )
                break
            except IntegrityError:
                if slug and organization_slug_taken(slug):
                    raise SlugTaken(slug_taken_message(slug)) from None
                if attempt == SLUG_ATTEMPTS:
                    raise
        membership = Membership.objects.create(
            organization=organization, user=admin, role=Membership.Role.ADMIN
        )
    except Exception:
        # No org made (this transaction rolls back): the person, told to choose another
        # address, is not refused for the day's limit when they do.
        signup_uncount(ip=ip)
        raise
    # /orgs/ and the sitemap list every org, hiring or not.
    transaction.on_commit(lambda: listing_cache_invalidate(organization=organization))
    return membership


# The same invitation sent again this soon is a second click (see member_invite).
SAME_INVITATION_SECONDS = 60


@dataclass(frozen=True)
class Invited:
    """What member_invite did: the page tells a first invitation from one sent again."""

    emailed: bool  # False (and logged) if the mail server refused the email, or none was sent
    again: bool  # the address had an invitation waiting: Send again, or Invite a second time
    second_click: bool  # emailed within the minute for the same role: no second email
    role_changed: bool  # it was waiting with the other role: the page says which it is now
    # It was waiting with a link that was emailed, which no longer works (not if the email of
    # the one waiting could not be sent: no earlier link reached them).
    earlier_link_voided: bool
    email: str  # the invitation's address as stored and emailed, in the case it was typed


def member_invite(
    *, organization: Organization, email: str, role: str, inviter: User | None = None
) -> Invited:
    """Invite the person with this email: they join through a link sent to that address.
    A refusal to invite someone who belongs already speaks to `inviter` as "you" when it is
    their own membership.

    Never at once, even when an account has the address: anyone can sign up claiming one.
    Without an account, one is made with no usable password, and the email also carries the
    link that sets it (Django's password reset token), so no password travels by email. Both
    cases look the same to the org's admins: the page must not tell who has an account here.
    """
    email = User.objects.normalize_email(email.strip())
    # The form refuses it too; an invitation stored before it did is sent again from here.
    if not address_sendable(email):
        raise MembershipError(
            f"The invitation to {email} was not sent. {UNSENDABLE_ADDRESS_MESSAGE}"
        )
    with transaction.atomic():
        # One addition at a time per org: a double-clicked "Invite" must find the first click's
        # account and invitation, not create a second account.
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        user = next(iter(accounts_with_email(email)), None)
        joined = user and Membership.objects.filter(organization=organization, user=user).first()
        if joined:
            name = ending_sentence(name_in_sentence(organization.name))
            # An admin who typed their own address was told of "them", as of someone else.
            yourself = inviter is not None and joined.user_id == inviter.pk
            who = "You are" if yourself else f"{email} is"
            said = f"{who} already {joined.role_in_words} of {name}"
            if joined.role != role and membership_is_last_admin(joined):
                # The only admin who can sign in, most often inviting themself: "Set role"
                # refuses to make them a member, so this says why, not how.
                said += f" {admin_needed_message(joined)}"
            elif joined.role != role:
                # An invitation cannot change a role: the list of members does, and it said
                # only "is already a member", leaving the admin to guess how.
                label = Membership.Role(role).label
                whom, whose = ("yourself", "your") if yourself else ("them", "their")
                said += (
                    f" To make {whom} {ROLES_IN_WORDS[role]}, choose “{label}” as {whose} role "
                    "in the list of members and press “Set role”."
                )
            raise MembershipError(said)
        # Locked as the invitation's key on it locks it as this commits: a delete of the
        # account begun meanwhile went through first, and that check failed (an error page).
        # Deleted, the address is new here. A delete locks only the orgs it belongs to.
        if user and rows_key_share_lock(User.objects.filter(pk=user.pk)) == 0:
            user = None
        now = timezone.now()
        # Emailed within the minute for the same role: a double-clicked "Invite" or "Send
        # again". The first click's email is on its way with a link that works; a second one
        # would only fill the mailbox and use up the day's counts.
        sent_just_now = (
            user
            and Invitation.objects.filter(
                organization=organization,
                user=user,
                role=role,
                email_failed=False,
                sent_at__gt=now - timedelta(seconds=SAME_INVITATION_SECONDS),
            ).first()
        )
        if sent_just_now:
            logger.info(
                "invitation not sent again: a second click org=%s user=%s",
                organization.slug,
                user.pk,
            )
            return Invited(
                emailed=False,
                again=True,
                second_click=True,
                role_changed=False,
                earlier_link_voided=False,
                email=sent_just_now.email,
            )
        _count_invitation_email(locked)
        # After the org's count, which rolls back if this refuses (MembershipError).
        _count_invitation_email_to(email, organization=organization)
        made_account = user is None
        if made_account:
            user = User.objects.create_user(username=_username_free(email), email=email)
        # Sent again, an invitation keeps what it made, and gets a new link that voids the old
        # one. Another role is another offer: the first email's link must not join with a role
        # it did not name.
        details = {"role": role, "email": email, "sent_at": now, "email_failed": False}
        role_before, email_failed_before = (
            Invitation.objects.filter(organization=organization, user=user)
            .values_list("role", "email_failed")
            .first()
        ) or (None, True)  # none waiting: no link sent before
        invitation, created = Invitation.objects.update_or_create(
            organization=organization,
            user=user,
            defaults=details,
            create_defaults={**details, "made_account": made_account},
        )
    logger.info("member invited org=%s user=%s role=%s", organization.slug, user.pk, role)
    emailed = invitation_email_send(invitation)
    if not emailed:
        # Its link never left: Send again must send, even within the minute. Only if no other
        # email of this invitation was sent since (its sent_at would differ).
        Invitation.objects.filter(pk=invitation.pk, sent_at=invitation.sent_at).update(
            email_failed=True
        )
        _invitation_email_uncount(locked, email=email)
    return Invited(
        emailed=emailed,
        again=not created,
        second_click=False,
        role_changed=role_before not in (None, role),
        earlier_link_voided=not email_failed_before,
        email=invitation.email,
    )


def accounts_with_email(email: str) -> list[User]:
    """The accounts whose address is `email`, compared as Django's password reset compares them
    (NFKC, then casefold), the domain in IDNA: "carol@exämple.com", as the site shows the
    account's "carol@xn--exmple-cua.com" and browsers but Chromium send it typed so, is hers.
    The database's case-insensitive match alone pairs "ı" with "i" on PostgreSQL: an account
    with a lookalike address would pass for the real one."""
    key = email_key(address_in_idna(email))
    # Put in order here, the few found: asked to, SQLite (without statistics) read the whole
    # table in order rather than the index of the addresses (migration 0065) for each spelling.
    found = User.objects.filter(addresses_alike("email", email))
    candidates = sorted(found, key=lambda user: user.pk)
    return [user for user in candidates if email_key(address_in_idna(user.email)) == key]


def _count_invitation_email(organization: Organization) -> None:
    """Count one more email for the org, or refuse past MAX_INVITATIONS_PER_DAY; call locked.

    Anyone can sign up an org and add addresses they choose: the cap keeps the site from being a
    way to mail strangers. It counts emails, so removing people or re-inviting frees nothing.
    """
    now = timezone.now()
    if not organization.invitations_counted_since or (
        organization.invitations_counted_since <= now - timedelta(days=1)
    ):
        organization.invitations_counted_since, organization.invitations_counted = now, 0
    if organization.invitations_counted >= MAX_INVITATIONS_PER_DAY:
        hours_left = math.ceil(
            (organization.invitations_counted_since + timedelta(days=1) - now).total_seconds()
            / 3600
        )
        raise MembershipError(
            f"{name_in_sentence(organization.name)} has sent {organization.invitations_counted} "
            "invitations in a "
            f"day, the most this site sends. Try again in {minutes_in_words(hours_left * 60)}."
        )
    organization.invitations_counted += 1
    organization.save(update_fields=["invitations_counted_since", "invitations_counted"])


def _invitation_email_uncount(organization: Organization, *, email: str) -> None:
    """Take back both counts of an email the mail server refused, as counted on `organization`
    (locked then): the page says to send it again, and a limit must not be used up by emails
    nobody got. The org's only if its day is still the one counted in."""
    Organization.objects.filter(
        pk=organization.pk,
        invitations_counted_since=organization.invitations_counted_since,
        invitations_counted__gt=0,
    ).update(invitations_counted=F("invitations_counted") - 1)
    invitation_email_uncount(email=email)


def _count_invitation_email_to(email: str, *, organization: Organization) -> None:
    """Count one more invitation email to this address, from any org, or refuse past
    INVITATIONS_PER_ADDRESS_PER_DAY: each org's own cap would let the admins of a few orgs
    send one stranger 50 emails a day each."""
    if invitation_email_allowed(email=email):
        return
    logger.warning(
        "invitation refused: too many invitation emails to one address today org=%s",
        organization.slug,
    )
    raise MembershipError(
        f"The invitation to {email} was not sent: that address has had "
        f"{INVITATIONS_PER_ADDRESS_PER_DAY} invitation emails from this site today, the most "
        "one address gets in a day. Try again tomorrow."
    )


@transaction.atomic
def invitation_cancel(*, invitation: Invitation) -> None:
    """Cancel the invitation, and delete the account it made if that was never used: left
    behind, it would keep the person from signing up with their own address."""
    # Locked as member_invite locks it: an "Invite" of the same address waits, then makes anew.
    Organization.objects.select_for_update().filter(pk=invitation.organization_id).first()
    unused_accounts = invitations_delete(Invitation.objects.filter(pk=invitation.pk))
    logger.info(
        "invitation cancelled org=%s user=%s unused_accounts=%d",
        invitation.organization.slug,
        invitation.user_id,
        unused_accounts,
    )


def invitations_delete(invitations: QuerySet[Invitation]) -> int:
    """Delete these invitations and the accounts they made that were never used (no password
    set, never signed in, in no org, not staff) and that no other invitation waits for; returns
    how many accounts went. An account another invitation waits for stays, and that invitation
    now counts as having made it. Call inside a transaction."""
    pks = list(invitations.values_list("pk", flat=True))
    made = list(
        Invitation.objects.filter(pk__in=pks, made_account=True).values_list("user", flat=True)
    )
    never_used = User.objects.filter(
        pk__in=made,
        last_login__isnull=True,
        is_staff=False,
        is_superuser=False,
        password__startswith=UNUSABLE_PASSWORD_PREFIX,
    )
    # Locked, then read again: an account whose password is set, or that joins an org, at this
    # moment keeps it (PostgreSQL reads committed changes afresh in a statement after the lock).
    # Only never-used ones in no org, which stay anyway: deleting an account locks it, then the
    # orgs it is an admin of, the other way round from the org locks taken before this (and
    # staff may make a never-used account an admin).
    list(never_used.exclude(memberships__isnull=False).select_for_update().values_list("pk"))
    waited_for = Invitation.objects.filter(user__in=made).exclude(pk__in=pks)
    unused = list(
        never_used.exclude(memberships__isnull=False)
        .exclude(pk__in=waited_for.values("user"))
        .values_list("pk", flat=True)
    )
    waited_for.update(made_account=True)
    Invitation.objects.filter(pk__in=pks).delete()
    User.objects.filter(pk__in=unused).delete()
    return len(unused)


def invitation_email_send(invitation: Invitation) -> bool:
    """Email the invitation's links, on SITE_URL (never a request's Host, which a wildcard in
    DJANGO_ALLOWED_HOSTS leaves to the client); False (and logged) if the mail server refused it."""
    site_url = settings.SITE_URL
    user = invitation.user
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "user": user,
        "join_url": urljoin(
            site_url, reverse("invitation_join", args=[invitation_token(invitation)])
        ),
        "days": INVITATION_DAYS,
        "password_link_lasts": seconds_in_words(settings.PASSWORD_RESET_TIMEOUT),
        "SITE_NAME": settings.SITE_NAME,
    }
    if not user.has_usable_password():
        context["set_password_url"] = urljoin(
            site_url,
            reverse(
                "password_reset_confirm",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user),
                },
            ),
        )
    name = name_in_sentence(invitation.organization.name)
    subject = f"You are invited to join {name} on {name_in_sentence(settings.SITE_NAME)}"
    return automated_email_send(
        subject=subject,
        body=render_to_string("registration/invitation_email.txt", context),
        to=invitation.email,
        kind="invitation",
        user_id=user.pk,
    )


def invitation_token(invitation: Invitation) -> str:
    """The signed part of the join link; it names the invitation as sent at that moment."""
    return signing.dumps(
        [invitation.pk, invitation.organization_id, invitation.sent_at.isoformat()],
        salt=INVITATION_SALT,
        compress=False,
    )


def invitation_links_of(user: User) -> list[tuple[Invitation, str]]:
    """`user`'s invitations whose join link still works, each with the link's token, among those
    to an address whose mailbox whoever signs in with the account has shown they read, and so
    may be shown the link it holds: one that made the account (its password was set through a
    link emailed to the invited address), or one to the address the account has and a
    confirmation link gave it (jobs.email_change). An account that existed before may merely
    claim the address it was invited at, from sign-up or staff: it is shown none of those."""
    invitations = Invitation.objects.filter(
        user=user, sent_at__gt=timezone.now() - timedelta(days=INVITATION_DAYS)
    )
    confirmed = _confirmed_mailbox(user)
    return [
        (invitation, invitation_token(invitation))
        for invitation in invitations.select_related("organization").order_by("sent_at", "pk")
        if invitation.made_account or (confirmed and mailbox(invitation.email) == confirmed)
    ]


def _confirmed_mailbox(user: User) -> str | None:
    """The mailbox a confirmation link reached, if `user`'s address is still it, spelt as it
    was or not; compared as the emails are sent (jobs.mail.mailbox), not by email_key, which
    lets the page respell an address into another mailbox."""
    confirmed = (
        EmailChangeCount.objects.filter(user=user.pk)
        .values_list("confirmed_email", flat=True)
        .first()
    )
    reached = mailbox(confirmed) if confirmed else None
    return reached if reached and reached == mailbox(user.email) else None


def invitation_waiting(token: str, *, for_update: bool = False) -> Invitation:
    """The invitation a join link names, if the link is still valid, whoever opens it
    (MembershipError if not)."""
    invitation_pk, organization_pk, sent_at = _join_link_values(token)
    invitations = Invitation.objects.select_related("organization")
    if for_update:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(pk=invitation_pk).first()
    if invitation is None and not Organization.objects.filter(pk=organization_pk).exists():
        # Deleted with its org: asking its admins to invite again would send them nowhere.
        raise MembershipError(INVITATION_ORGANIZATION_GONE_MESSAGE)
    if invitation is None or invitation.sent_at.isoformat() != sent_at:
        raise MembershipError(INVITATION_INVALID_MESSAGE)
    return invitation


def invitation_of(token: str, *, user: User, for_update: bool = False) -> Invitation:
    """The invitation a join link names, if it is still valid and is for `user`."""
    invitation = invitation_waiting(token, for_update=for_update)
    if invitation.user_id != user.pk:
        raise InvitationForAnotherAccount(
            "This invitation is for another account than the one you are signed in with. Sign "
            "out, then sign in with the account of the address the invitation was sent to."
        )
    return invitation


def joined_membership(token: str, *, user: User) -> Membership | None:
    """`user`'s membership of the org a valid join link names: a second click finds it. None
    while the link's invitation waits for another account: a member who opens it (the admin
    who sent it, on whose computer the person invited opened it) is told to sign out, as
    anyone else is, not that they are a member."""
    invitation_pk, organization_pk, _ = _join_link_values(token)
    if Invitation.objects.filter(pk=invitation_pk).exclude(user=user).exists():
        return None
    return (
        Membership.objects.select_related("organization")
        .filter(organization=organization_pk, user=user)
        .first()
    )


def _join_link_values(token: str) -> tuple[int, int, str]:
    expired = False
    try:
        values = signing.loads(token, salt=INVITATION_SALT, max_age=timedelta(days=INVITATION_DAYS))
    except signing.SignatureExpired:
        # Signed by this site all the same: the org it names is looked up as for a link still
        # valid, so that an expired link of a deleted org does not say to ask its admins.
        values = signing.loads(token, salt=INVITATION_SALT)
        expired = True
    except signing.BadSignature:
        raise MembershipError(INVITATION_INVALID_MESSAGE) from None
    # Signed by this site, so only an older link could differ in shape (they had two values).
    if not (
        isinstance(values, list)
        and len(values) == 3
        and all(type(value) is int and 0 < value < 2**63 for value in values[:2])
        and isinstance(values[2], str)
    ):
        raise MembershipError(INVITATION_INVALID_MESSAGE)
    invitation_pk, organization_pk, sent_at = values
    if expired:
        if not Organization.objects.filter(pk=organization_pk).exists():
            raise MembershipError(INVITATION_ORGANIZATION_GONE_MESSAGE)
        raise MembershipError(INVITATION_INVALID_MESSAGE)
    return invitation_pk, organization_pk, sent_at


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Make the signed-in `user` a member through the link of their invitation."""
    _, organization_pk, _ = _join_link_values(token)
    # The account first, as the key of its member row locks it (FOR KEY SHARE): deleting an
    # account locks it, then its invitations, and this held the invitation while the row
    # waited for the account, a deadlock (one of the two failed, a server error page).
    rows_key_share_lock(User.objects.filter(pk=user.pk))
    # Then the org's row, as organization_delete() locks it before the invitations: otherwise
    # this holds the invitation, the deletion the org, and each waits for the other.
    Organization.objects.select_for_update().filter(pk=organization_pk).first()
    try:
        invitation = invitation_of(token, user=user, for_update=True)
    except MembershipError:
        # A second click: the first (perhaps the one this waited for) used the invitation.
        membership = joined_membership(token, user=user)
        if membership is None:
            raise
        return membership
    membership, _ = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    invitation.delete()
    logger.info("invitation accepted org=%s user=%s", invitation.organization.slug, user.pk)
    return membership


def _username_free(email: str) -> str:
    """Invited people sign in with their email address as username, unless someone has it, or
    one alike (usernames_alike: in other case, or the domain in Unicode that the email gives)."""
    return _first_free(
        email.lower(),
        max_length=User._meta.get_field("username").max_length,
        taken=lambda username: User.objects.filter(usernames_alike(username)).exists(),
    )


def _first_free(
    base: str, *, max_length: int, taken: Callable[[str], bool], cut_before: str = ""
) -> str:
    """`base`, or `base-2`, `base-3`... : the first that is not taken, within max_length. Where
    `base` is cut, it ends before any of the characters `cut_before`."""
    candidate, number = base[:max_length].rstrip(cut_before), 1
    while taken(candidate):
        number += 1
        suffix = f"-{number}"
        candidate = base[: max_length - len(suffix)].rstrip(cut_before) + suffix
    return candidate


@transaction.atomic
def membership_role_set(*, membership: Membership, role: str) -> None:
    if membership.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN:
        _ensure_another_admin(membership)
    membership.role = role
    if not fields_save_if_row_exists(membership, ["role"]):  # another admin removed them
        raise MembershipGone(MEMBERSHIP_GONE_MESSAGE)


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    # Whatever role this request read: staff may be making them the only admin in Django's
    # admin, which holds the org's lock as it saves, and removing them unchecked left none.
    _ensure_another_admin(membership)
    membership_delete(membership)


def membership_delete(membership: Membership) -> None:
    """Delete a membership with any invitation of the same person: its link would re-add them."""
    Invitation.objects.filter(
        organization=membership.organization_id, user=membership.user_id
    ).delete()
    membership.delete()


def _ensure_another_admin(membership: Membership) -> None:
    if not organization_admins_lock(membership.organization_id):
        return  # deleted meanwhile: it has no admin to keep
    stored = Membership.objects.filter(pk=membership.pk).first()  # its role after the lock
    if stored is not None and membership_is_last_admin(stored):
        raise MembershipError(admin_needed_message(stored))


def organization_admins_lock(organization_id: int) -> bool:
    """Lock the org's row until the transaction ends, before checking that a change leaves it
    an admin who can sign in: every change of who may manage it (demoting, removing, deleting
    or deactivating an admin, here or in Django's admin) queues there, so two at once cannot
    both win. Check in a statement of its own, after the lock: on PostgreSQL it then reads what
    the change before it committed, an account deactivated included (locking the admins' rows
    would not). False if the org was deleted (its admins went with it)."""
    return Organization.objects.select_for_update().filter(pk=organization_id).exists()


def admin_needed_message(membership: Membership) -> str:
    """Why the org's last admin may not go (membership_is_last_admin), and what to do first."""
    others = members_who_can_sign_in(membership.organization_id).exclude(pk=membership.pk)
    if others.exists():
        return ADMIN_NEEDED_MESSAGE
    invited = list(
        invitations_that_can_bring_an_admin(membership.organization_id).order_by(
            Lower("email"), "pk"
        )
    )
    if not invited:
        return ADMIN_INVITE_NEEDED_MESSAGE
    # Not "invite someone" again: the invitations waiting are listed below, as the page says
    # of an org without an admin (manage/members.html).
    waiting = [
        invitation
        for invitation in invited
        if not (invitation.link_expired or invitation.email_failed)
    ]
    if len(waiting) == 1:
        return (
            f"{ADMIN_NOBODY_ELSE} {address_shown(waiting[0].email)} is invited as an admin: try "
            "again once they have joined."
        )
    if waiting:
        return (
            f"{ADMIN_NOBODY_ELSE} {len(waiting)} people are invited as admins: try again once "
            "one has joined."
        )
    unsent = sum(invitation.email_failed for invitation in invited)
    if unsent == len(invited):
        outcome = "could not be sent"
    elif unsent:
        outcome = "could not be sent or expired"
    else:
        outcome = "expired"
    if len(invited) == 1:
        return (
            f"{ADMIN_NOBODY_ELSE} The invitation to {address_shown(invited[0].email)} as an admin "
            f"{outcome}: press “Send again” by it below, then try again once they have joined."
        )
    return (
        f"{ADMIN_NOBODY_ELSE} The invitations to {len(invited)} people as admins {outcome}: "
        "press “Send again” by them below, then try again once one has joined."
    )


def invitations_that_can_bring_an_admin(organization_id: int) -> QuerySet[Invitation]:
    """The org's admin invitations that can bring it another admin, which the members page and
    its refusals tell of: not one to a deactivated account, which cannot sign in to join, nor
    one to someone who belongs already (the admin going, say: staff added their row, the
    invitation left waiting), whom joining leaves in their role."""
    return Invitation.objects.filter(
        organization=organization_id, role=Membership.Role.ADMIN, user__is_active=True
    ).exclude(user__memberships__organization=organization_id)


def membership_is_last_admin(membership: Membership) -> bool:
    """Whether no other admin of the org can sign in, so that removing or demoting this one
    is refused. Read without a lock: the change itself checks again under one."""
    return (
        membership.role == Membership.Role.ADMIN
        and not admins_who_can_sign_in(membership.organization_id)
        .exclude(pk=membership.pk)
        .exists()
    )


def organizations_only_administered_by(
    user: User, *, others_leaving: Collection[int] = ()
) -> list[Organization]:
    """The orgs that would have no admin who can sign in without this user (and without the
    users `others_leaving` names, deleted with them)."""
    return [
        membership.organization
        for membership in user.memberships.filter(role=Membership.Role.ADMIN)
        .select_related("organization")
        .order_by(*by_organization_name(through="organization__"))
        if not admins_who_can_sign_in(membership.organization_id)
        .exclude(user=user)
        .exclude(user__in=others_leaving)
        .exists()
    ]


def is_staff_account(user: User) -> bool:
    return user.is_staff or user.is_superuser


def account_delete(*, user: User) -> None:
    """Someone deleting their own account; staff accounts are deleted by other staff."""
    if is_staff_account(user):
        raise MembershipError("Staff accounts are deleted by another staff member, in /admin/.")
    user_delete(user=user)


def password_save(*, user: User, password: str | None) -> bool:
    """Sets `password` on `user` (None turns password sign-in off) and saves it alone, under a
    lock of the account's row, if the row still has the password `user` was read with; says
    whether it saved. Saving the account whole, as Django does, undid what was done to it since
    it was read (a deactivation, a staff or superuser status taken, an address changed) and made
    an account deleted meanwhile again. A password changed meanwhile (turned off in the admin,
    set elsewhere) is kept."""
    read = user.password
    user.set_password(password)
    database = user._state.db
    # FOR NO KEY UPDATE, as the UPDATE takes: the admin's lock of the staff member's own row
    # (FOR KEY SHARE, /admin/password_change/) of two tabs changing it at once does not hold
    # one up, where FOR UPDATE had each wait for the other's.
    with transaction.atomic(using=database):
        row = User.objects.db_manager(database).select_for_update(no_key=True).filter(pk=user.pk)
        if not row.filter(password=read).exists():
            return False
        user.save(update_fields=["password"])
    return True


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the account with its memberships and invitations. Refused (MembershipError) while
    an org has no other admin who can sign in: it would be left with nobody to manage it."""
    other_admins_ensure(user=user)
    user.delete()


def other_admins_ensure(*, user: User) -> None:
    """Refused (MembershipError) while an org of which `user` is an admin has no other admin who
    can sign in. Call inside the transaction that then deletes the account or ends its sign-in:
    those orgs' rows stay locked until it commits, as when an admin is demoted."""
    # Locked as organization_create locks it: no org is made with this admin meanwhile.
    User.objects.select_for_update().filter(pk=user.pk).first()
    # In one order, so that two people deleting their accounts at once cannot deadlock. Every
    # org it belongs to, not only those it was read an admin of: staff may be making it one in
    # Django's admin, which holds the org's lock as it saves (the role is read after it).
    belongs_to = user.memberships.select_related("organization").order_by("organization_id")
    for membership in belongs_to:
        try:
            _ensure_another_admin(membership)
        except MembershipError:
            raise MembershipError(
                f"{name_in_sentence(membership.organization.name)} has no other admin who can "
                "sign in. "
                f"{_another_admin_remedy(membership)}"
            ) from None


def _another_admin_remedy(membership: Membership) -> str:
    """What the org's last admin does before their account goes, as admin_needed_message()
    says on the members page."""
    organization_id = membership.organization_id
    if members_who_can_sign_in(organization_id).exclude(pk=membership.pk).exists():
        return "Make someone else its admin, or delete it, first."
    # Nobody else who can sign in belongs: there is nobody to make its admin. Not "invite
    # someone" while one is invited: inviting them again voids the link they have.
    invited = [
        invitation.link_expired or invitation.email_failed
        for invitation in invitations_that_can_bring_an_admin(organization_id)
    ]
    if not invited:
        return "Invite someone as its admin, or delete it, first."
    if not all(invited):
        return "Someone is invited as its admin: try again once they have joined, or delete it."
    return (
        "Its admin invitation expired or could not be sent: press “Send again” by it on its "
        "members page, then try again once they have joined, or delete it."
    )


def admins_who_can_sign_in(organization_id: int) -> QuerySet[Membership]:
    """The org's admin memberships that manage anything."""
    return members_who_can_sign_in(organization_id).filter(role=Membership.Role.ADMIN)


def members_who_can_sign_in(organization_id: int) -> QuerySet[Membership]:
    """The org's memberships whose account can sign in: not a deactivated account's, nor one
    made by an earlier invitation flow whose password was never set."""
    return Membership.objects.filter(organization=organization_id, user__is_active=True).exclude(
        user__password__startswith=UNUSABLE_PASSWORD_PREFIX
    )


def can_sign_in(user: User) -> bool:
    """What admins_who_can_sign_in() asks of an account, for one in hand."""
    return user.is_active and user.has_usable_password()
