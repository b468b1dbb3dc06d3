"""Housekeeping that keeps tables from growing without limit."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from jobs.models import SyncRun

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
