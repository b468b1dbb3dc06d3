"""Deleting an organization from the site, from its settings page or Django's admin."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from jobs.cache import listing_cache_invalidate
from jobs.connections import SyncInProgress, sync_lease_take
from jobs.memberships import invitations_delete
from jobs.models import GreenhouseConnection, Organization, SiteListing
from jobs.selectors import listing_changed_at

logger = logging.getLogger(__name__)

# What a delete refused as a sync runs leaves as it was (SyncInProgress).
NOT_DELETED = "it was not deleted"


def organization_job_counts(organization: Organization) -> dict[str, int]:
    """{"all": …, "open": …}: what deleting the org would take with it."""
    return organization.jobs.aggregate(all=Count("pk"), open=Count("pk", filter=Q(is_open=True)))


@transaction.atomic
def organization_delete(*, organization: Organization) -> int:
    """Delete the org and everything it has here: jobs, Greenhouse connection, sync history,
    memberships, invitations, and the accounts its invitations made that were never used.
    People's own accounts stay. Returns how many jobs went.

    The org's row is locked first, so an invitation or a connection cannot be added meanwhile.
    Refused while a sync runs (SyncInProgress): its lease is taken, as when disconnecting, so no
    sync is halfway through writing jobs for an org that is gone, and none starts.
    """
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    connection = GreenhouseConnection.objects.filter(organization=organization).first()
    try:
        # Not taken if disconnected meanwhile (sync_lease_take): no sync can hold it then.
        if connection is not None:
            sync_lease_take(connection, outcome=NOT_DELETED)
    except SyncInProgress:
        logger.warning("organization delete refused org=%s reason=sync running", organization.slug)
        raise
    deleted_jobs = organization.jobs.count()
    unused_accounts = invitations_delete(organization.invitations.all())
    site_dated = listing_changed_at() or timezone.now()  # this org's date among the others
    organization.delete()
    # Its jobs leave the site-wide feed and sitemap, whose date must move past what readers
    # were told, as mark_listing_changed does: HTTP dates count whole seconds.
    SiteListing.objects.update_or_create(
        pk=SiteListing.SINGLETON_PK,
        defaults={
            "organization_deleted_at": max(timezone.now(), site_dated + timedelta(seconds=1))
        },
    )
    logger.warning(
        "organization deleted org=%s name=%r jobs=%d unused_accounts=%d",
        organization.slug,
        organization.name,
        deleted_jobs,
        unused_accounts,
    )
    transaction.on_commit(lambda: listing_cache_invalidate(organization=organization))
    return deleted_jobs
