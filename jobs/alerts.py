"""Emails to an org's admins when its syncs keep failing, and when they work again.

Syncs fail for reasons only the org can fix (a board renamed or removed in Greenhouse), and the
settings page says so only to whoever looks. So once syncs have failed for
SYNC_FAILURE_EMAIL_AFTER_MINUTES the admins get one email, and one more when a sync works again.
A conditional UPDATE claims each email, so it goes out once however the syncs interleave.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mass_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from jobs.models import GreenhouseConnection, Membership, Organization

logger = logging.getLogger(__name__)

FAILING_STATES = (GreenhouseConnection.State.FAILING, GreenhouseConnection.State.INVALID_TOKEN)
# What sync_health_email_send() sent.
FAILING_EMAIL = "failing"
WORKING_EMAIL = "working"
NO_EMAIL = ""
SUBJECTS = {
    FAILING_EMAIL: "Greenhouse sync is failing for {name}",
    WORKING_EMAIL: "Greenhouse sync works again for {name}",
}


def sync_health_email_send(connection: GreenhouseConnection, *, now: datetime | None = None) -> str:
    """After a sync was recorded on `connection`: email the admins if it has now failed for long
    enough, or works again after they were told it failed. Says which email went out."""
    now = now or timezone.now()
    if connection.state in FAILING_STATES:
        return _failing_email_send(connection, now=now)
    if connection.state == GreenhouseConnection.State.OK and connection.failure_emailed_at:
        return _working_email_send(connection)
    return NO_EMAIL


def admin_emails(organization: Organization) -> list[str]:
    """The addresses of the org's active admins."""
    emails = (
        Membership.objects.filter(
            organization=organization, role=Membership.Role.ADMIN, user__is_active=True
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return sorted(set(emails))


def _failing_email_send(connection: GreenhouseConnection, *, now: datetime) -> str:
    after_minutes = settings.SYNC_FAILURE_EMAIL_AFTER_MINUTES
    if (
        not after_minutes
        or connection.failure_emailed_at
        or connection.failing_since is None
        or now - connection.failing_since < timedelta(minutes=after_minutes)
    ):
        return NO_EMAIL
    claimed = GreenhouseConnection.objects.filter(
        pk=connection.pk, failure_emailed_at__isnull=True
    ).update(failure_emailed_at=now)
    if not claimed:
        return NO_EMAIL
    connection.failure_emailed_at = now
    if not _send(connection, FAILING_EMAIL):
        # Released, so that the next failed sync tries again.
        GreenhouseConnection.objects.filter(pk=connection.pk).update(failure_emailed_at=None)
        connection.failure_emailed_at = None
        return NO_EMAIL
    return FAILING_EMAIL


def _working_email_send(connection: GreenhouseConnection) -> str:
    claimed = GreenhouseConnection.objects.filter(
        pk=connection.pk, failure_emailed_at__isnull=False
    ).update(failure_emailed_at=None)
    connection.failure_emailed_at = None
    if not claimed:
        return NO_EMAIL
    # Not retried if the mail server refuses it: by the next sync the news is stale.
    return WORKING_EMAIL if _send(connection, WORKING_EMAIL) else NO_EMAIL


def _send(connection: GreenhouseConnection, kind: str) -> bool:
    """Email every admin of the org on their own; False (and logged) if the mail server refused."""
    organization = connection.organization
    recipients = admin_emails(organization)
    if not recipients:
        logger.warning(
            "sync email not sent org=%s kind=%s reason=no admins", organization.slug, kind
        )
        return True
    context = {
        "organization": organization,
        "connection": connection,
        "invalid_token": connection.state == GreenhouseConnection.State.INVALID_TOKEN,
        "settings_url": settings.SITE_URL + reverse("manage:settings", args=[organization.slug]),
        "public_url": settings.SITE_URL + organization.get_absolute_url(),
    }
    subject = " ".join(SUBJECTS[kind].format(name=organization.name).split())
    body = render_to_string(f"manage/sync_{kind}_email.txt", context)
    messages = [(subject, body, None, [email]) for email in recipients]
    try:
        send_mass_mail(messages)
    except (smtplib.SMTPException, OSError) as exc:
        logger.error("sync email failed org=%s kind=%s error=%r", organization.slug, kind, exc)
        return False
    logger.info(
        "sync email sent org=%s kind=%s recipients=%d", organization.slug, kind, len(recipients)
    )
    return True
