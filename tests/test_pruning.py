"""Sync-run history is pruned daily, so the table stays bounded; each org's last run stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.maintenance import sync_runs_prune
from jobs.models import SyncRun
from jobs.tasks import prune_sync_runs
from tests.support.helpers import make_connection

pytestmark = pytest.mark.django_db


def run_days_ago(organization, days: float, **values) -> SyncRun:
    started = timezone.now() - timedelta(days=days)
    return SyncRun.objects.create(
        organization=organization,
        trigger=SyncRun.Trigger.SCHEDULE,
        started_at=started,
        finished_at=started + timedelta(seconds=3),
        outcome=values.pop("outcome", SyncRun.Outcome.SUCCESS),
        **values,
    )


def test_it_deletes_runs_older_than_the_retention_and_keeps_recent_ones(db):
    org = make_connection("acme", "acme-robotics").organization
    old = [run_days_ago(org, days) for days in (45, 40, 31)]
    recent = [run_days_ago(org, days) for days in (29, 2, 0.1)]

    deleted = sync_runs_prune(older_than_days=30)

    assert deleted == len(old)
    assert set(SyncRun.objects.values_list("pk", flat=True)) == {run.pk for run in recent}


def test_it_keeps_the_latest_run_of_each_org_however_old(db):
    quiet = make_connection("quiet", "tiny-co").organization
    busy = make_connection("busy", "acme-robotics").organization
    quiet_runs = [run_days_ago(quiet, days) for days in (400, 200, 90)]
    run_days_ago(busy, 90)
    busy_latest = run_days_ago(busy, 1, outcome=SyncRun.Outcome.FAILED, error_message="HTTP 503")

    sync_runs_prune(older_than_days=30)

    assert list(SyncRun.objects.filter(organization=quiet)) == [quiet_runs[-1]]
    assert list(SyncRun.objects.filter(organization=busy)) == [busy_latest]


def test_the_daily_task_uses_the_retention_setting(db, settings):
    settings.SYNC_RUN_RETENTION_DAYS = 7
    org = make_connection("acme", "acme-robotics").organization
    run_days_ago(org, 8)
    kept = run_days_ago(org, 6)

    assert prune_sync_runs() == 1
    assert list(SyncRun.objects.all()) == [kept]


def test_pruning_is_scheduled_daily_and_keeps_thirty_days_by_default(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["prune-sync-runs"]
    assert entry["task"] == "jobs.tasks.prune_sync_runs"
    assert entry["schedule"] == 24 * 60 * 60
    assert settings.SYNC_RUN_RETENTION_DAYS == 30
