"""Emails to an org's admins when its syncs keep failing, and when they work again.

Syncs fail for reasons only the org can fix (a board renamed or removed in Greenhouse), and the
settings page says so only to whoever looks. So at the first failed sync once syncs have failed
for SYNC_FAILURE_EMAIL_AFTER_MINUTES, the admins get one email, and one more when a sync of the
same board works again. Each email is claimed with a conditional UPDATE that also checks the
connection is still in the state this sync left it in, so it goes out once however syncs and
changes on the settings page interleave; a claim whose worker died before sending lapses. An
email that reached nobody (the mail server down) is sent by the next sync in the same state: the
admins told that syncs fail are told that they work again, even if the first try failed.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from jobs.mail import (
    AUTOMATED_HEADERS,
    MAIL_SERVER_ERRORS,
    address_sendable,
    email_body,
    email_subject,
)
from jobs.memberships import admins_who_can_sign_in
from jobs.models import GreenhouseConnection, Organization
from jobs.text import name_in_sentence

logger = logging.getLogger(__name__)

FAILING_STATES = (GreenhouseConnection.State.FAILING, GreenhouseConnection.State.INVALID_TOKEN)


class SyncEmail(StrEnum):
    """What sync_health_email_send() sent."""

    FAILING = "failing"
    WORKING = "working"
    NONE = ""


SUBJECTS = {
    SyncEmail.FAILING: "Greenhouse sync is failing for {name}",
    SyncEmail.WORKING: "Greenhouse sync works again for {name}",
}


def sync_health_email_send(connection: GreenhouseConnection) -> SyncEmail:
    """After a sync was recorded on `connection`: email the admins if syncs have now failed for
    long enough, or work again after they were told so. Says which email went out."""
    if connection.state in FAILING_STATES:
        return _failing_email_send(connection, now=timezone.now())
    if connection.state == GreenhouseConnection.State.OK and connection.failure_emailed_at:
        return _working_email_send(connection, now=timezone.now())
    return SyncEmail.NONE


def admin_emails(organization: Organization) -> list[str]:
    """The addresses of the org's admins who can sign in (and so act on the email), but for
    those an email cannot be addressed to (logged): sending to one would raise, and stop the
    email to the others."""
    sendable = []
    for email in _admin_addresses(organization.pk):
        if address_sendable(email):
            sendable.append(email)
        else:
            logger.warning(
                "sync email not sent org=%s to=%r reason=address cannot be encoded",
                organization.slug,
                email,
            )
    return sendable


def admins_can_be_emailed(organization_id: int) -> bool:
    """Whether admin_emails() would give an address, logging none: the sync status asks on
    every view of an admin page, and sends nothing."""
    return any(address_sendable(email) for email in _admin_addresses(organization_id))


def _admin_addresses(organization_id: int) -> list[str]:
    emails = (
        admins_who_can_sign_in(organization_id)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return sorted(set(emails))


def _failing_email_send(connection: GreenhouseConnection, *, now: datetime) -> SyncEmail:
    after_minutes = settings.SYNC_FAILURE_EMAIL_AFTER_MINUTES
    if (
        not after_minutes
        or connection.failure_emailed_at
        or connection.failing_since is None
        or now - connection.failing_since < timedelta(minutes=after_minutes)
    ):
        return SyncEmail.NONE
    recipients = admin_emails(connection.organization)
    if not recipients:
        # Not claimed: an admin added later is told at the next failed sync.
        logger.warning("sync email not sent org=%s reason=no admins", connection.organization.slug)
        return SyncEmail.NONE
    # Still this failure of this board: not one that a newer sync or a new board replaced.
    this_failure = GreenhouseConnection.objects.filter(
        pk=connection.pk,
        board_token=connection.board_token,
        failing_since=connection.failing_since,
        failure_emailed_at__isnull=True,
    )
    if not _claimed_send(
        this_failure, connection, SyncEmail.FAILING, recipients, now=now, emailed_at=now
    ):
        return SyncEmail.NONE
    connection.failure_emailed_at = now
    return SyncEmail.FAILING


def _working_email_send(connection: GreenhouseConnection, *, now: datetime) -> SyncEmail:
    # Still the board the admins were told of, working: not one a newer failure or a new board
    # replaced.
    told = GreenhouseConnection.objects.filter(
        pk=connection.pk,
        board_token=connection.board_token,
        state=GreenhouseConnection.State.OK,
        failure_emailed_at=connection.failure_emailed_at,
    )
    recipients = admin_emails(connection.organization)
    if not recipients:
        # The admins who were told are gone: nobody is left to tell.
        told.update(failure_emailed_at=None)
        connection.failure_emailed_at = None
        return SyncEmail.NONE
    if not _claimed_send(told, connection, SyncEmail.WORKING, recipients, now=now, emailed_at=None):
        return SyncEmail.NONE
    connection.failure_emailed_at = None
    return SyncEmail.WORKING


def _claimed_send(
    still_due: QuerySet[GreenhouseConnection],
    connection: GreenhouseConnection,
    kind: SyncEmail,
    recipients: list[str],
    *,
    now: datetime,
    emailed_at: datetime | None,
) -> bool:
    """Claim the email on the connection's row, if `still_due` finds the row as the email needs
    it, send it and record `emailed_at` as failure_emailed_at; whether it was sent. A send that
    reached nobody releases the claim, so that the next sync in the same state sends it again."""
    # A claim outlives any send still going: the task's hard time limit, which stops one, is
    # below SYNC_LOCK_SECONDS. An older one was left by a worker that died before it sent.
    lapsed = now - timedelta(seconds=settings.SYNC_LOCK_SECONDS)
    unclaimed = Q(failure_email_claimed_at__isnull=True) | Q(failure_email_claimed_at__lte=lapsed)
    if not still_due.filter(unclaimed).update(failure_email_claimed_at=now):
        return False
    claim = GreenhouseConnection.objects.filter(pk=connection.pk, failure_email_claimed_at=now)
    if not _send(connection, kind, recipients):
        claim.update(failure_email_claimed_at=None)
        return False
    claim.update(failure_email_claimed_at=None, failure_emailed_at=emailed_at)
    return True


def _send(connection: GreenhouseConnection, kind: SyncEmail, recipients: list[str]) -> bool:
    """Email each admin on their own. False (and logged) only if the mail server took it for
    nobody: an address it refuses is logged and not tried again, since it would refuse it again
    while the others got the email once more. Never raises: the email is claimed before it
    is sent, and the claim must be released if nobody got it."""
    organization = connection.organization
    delivered = refused = 0
    try:
        context = {
            "organization": organization,
            "connection": connection,
            "last_error": connection.as_true_now(connection.last_error),
            "invalid_token": connection.state == GreenhouseConnection.State.INVALID_TOKEN,
            "settings_url": settings.SITE_URL
            + reverse("manage:settings", args=[organization.slug]),
            "public_url": settings.SITE_URL + organization.get_absolute_url(),
            "SITE_NAME": settings.SITE_NAME,
        }
        subject = email_subject(SUBJECTS[kind].format(name=name_in_sentence(organization.name)))
        body = email_body(render_to_string(f"manage/sync_{kind}_email.txt", context))
        with get_connection() as mail_connection:
            for email in recipients:
                message = EmailMessage(
                    subject,
                    body,
                    to=[email],
                    connection=mail_connection,
                    headers=AUTOMATED_HEADERS,
                )
                try:
                    message.send()
                except smtplib.SMTPRecipientsRefused as exc:
                    refused += 1
                    logger.warning(
                        "sync email refused org=%s kind=%s error=%r", organization.slug, kind, exc
                    )
                else:
                    delivered += 1
    except MAIL_SERVER_ERRORS as exc:
        logger.error("sync email failed org=%s kind=%s error=%r", organization.slug, kind, exc)
    except Exception:
        # Not the mail server's answer: the task's soft time limit while a slow server answers,
        # or a bug (logged with its traceback).
        logger.exception("sync email crashed org=%s kind=%s", organization.slug, kind)
    logger.info(
        "sync email org=%s kind=%s delivered=%d refused=%d of=%d",
        organization.slug,
        kind,
        delivered,
        refused,
        len(recipients),
    )
    return delivered + refused > 0
