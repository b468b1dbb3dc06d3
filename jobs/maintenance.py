"""Housekeeping that keeps tables from growing without limit."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from jobs.memberships import invitations_delete
from jobs.models import INVITATION_DAYS, Invitation, Organization, SyncRun

logger = logging.getLogger(__name__)


def sync_runs_prune(*, older_than_days: int) -> int:
    """Delete sync runs started more than `older_than_days` ago; returns how many went.

    Each org's most recent run is kept however old it is: the admin pages show it as the last
    status of a connection that is paused or has not synced since.
    """
    cutoff = timezone.now() - timedelta(days=older_than_days)
    latest_of_org = (
        SyncRun.objects.filter(organization=OuterRef("organization"))
        .order_by("-started_at", "-pk")
        .values("pk")[:1]
    )
    deleted, _ = (
        SyncRun.objects.filter(started_at__lt=cutoff).exclude(pk=Subquery(latest_of_org)).delete()
    )
    logger.info("sync runs pruned count=%d older_than_days=%d", deleted, older_than_days)
    return deleted


def expired_invitations_prune(*, expired_for_days: int) -> int:
    """Delete invitations whose link expired more than `expired_for_days` ago, and the accounts
    they made that were never used; returns how many invitations went.

    Until then the members page shows them as expired, with "Send again".
    """
    cutoff = timezone.now() - timedelta(days=INVITATION_DAYS + expired_for_days)
    with transaction.atomic():
        # Locked as member_invite locks them, then read again: an invitation sent again at this
        # moment is new, and stays.
        stale_orgs = Invitation.objects.filter(sent_at__lt=cutoff).values("organization")
        locked = Organization.objects.select_for_update().filter(pk__in=stale_orgs).order_by("pk")
        list(locked.values_list("pk", flat=True))
        stale = Invitation.objects.filter(sent_at__lt=cutoff)
        count = stale.count()
        unused_accounts = invitations_delete(stale)
    logger.info(
        "expired invitations pruned count=%d unused_accounts=%d expired_for_days=%d",
        count,
        unused_accounts,
        expired_for_days,
    )
    return count


def expired_sessions_prune() -> int:
    """Delete sign-in sessions past their expiry; returns how many went.

    Django never does (its `clearsessions` is left to a cron job), so every sign-in that was not
    signed out would keep its row for good.
    """
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info("expired sessions pruned count=%d", deleted)
    return deleted
