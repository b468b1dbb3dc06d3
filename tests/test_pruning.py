"""Sync-run history, long-expired invitations and expired sessions are pruned daily, so tables
stay bounded; each org's last run stays, and so does every account that was used."""

from __future__ import annotations

import copy
import zoneinfo
from datetime import datetime, timedelta

import pytest
from celery.schedules import crontab
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from jobs.maintenance import expired_invitations_prune, sync_runs_prune
from jobs.models import INVITATION_DAYS, Invitation, Membership, SyncRun
from jobs.tasks import prune_expired_invitations, prune_sync_runs
from orgsite.celery import app as celery_app
from tests.support.helpers import make_connection
from tests.support.settings_module import settings_under

RETENTION_SETTINGS = ("SYNC_RUN_RETENTION_DAYS", "EXPIRED_INVITATION_RETENTION_DAYS")

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


@pytest.mark.parametrize(
    ("entry", "task", "retention_setting"),
    [
        ("prune-sync-runs", "jobs.tasks.prune_sync_runs", "SYNC_RUN_RETENTION_DAYS"),
        (
            "prune-expired-invitations",
            "jobs.tasks.prune_expired_invitations",
            "EXPIRED_INVITATION_RETENTION_DAYS",
        ),
    ],
)
def test_pruning_is_scheduled_daily_at_half_past_three_and_keeps_thirty_days_by_default(
    settings, entry, task, retention_setting
):
    """At a fixed time of day, not a day after beat started: a beat restarted daily pruned
    never, and otherwise at whatever hour it had started."""
    scheduled = celery_app.conf.beat_schedule[entry]

    assert scheduled["task"] == task
    assert scheduled["schedule"] == crontab(minute=30, hour=3)
    assert getattr(settings, retention_setting) == 30


def test_a_beat_started_in_the_day_prunes_at_the_prune_time_in_the_sites_time_zone(settings):
    assert celery_app.conf.timezone == settings.TIME_ZONE
    started = datetime(2026, 7, 1, 10, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    schedule = copy.copy(celery_app.conf.beat_schedule["prune-sync-runs"]["schedule"])

    def due_at(hour: int, minute: int) -> bool:
        schedule.nowfun = lambda: started.replace(day=2, hour=hour, minute=minute)
        return schedule.is_due(last_run_at=started).is_due

    assert not due_at(3, 29)
    assert due_at(3, 30)  # not a day after beat started, at 10:00


def invitation_sent_days_ago(organization, email: str, days: float, **account) -> Invitation:
    user = User.objects.create_user(username=email, email=email, **account)
    return Invitation.objects.create(
        organization=organization,
        user=user,
        role="member",
        email=email,
        sent_at=timezone.now() - timedelta(days=days),
        made_account=True,
    )


def test_it_deletes_long_expired_invitations_and_the_accounts_they_made_unused(db):
    org = make_connection("acme", "acme-robotics").organization
    stale = invitation_sent_days_ago(org, "stale@acme.example", INVITATION_DAYS + 31)
    recently_expired = invitation_sent_days_ago(org, "late@acme.example", INVITATION_DAYS + 29)
    waiting = invitation_sent_days_ago(org, "new@acme.example", 1)

    assert expired_invitations_prune(expired_for_days=30) == 1

    assert set(Invitation.objects.all()) == {recently_expired, waiting}
    assert not User.objects.filter(pk=stale.user_id).exists()


def test_it_keeps_the_account_of_a_pruned_invitation_once_used(db):
    org = make_connection("acme", "acme-robotics").organization
    other = make_connection("other", "tiny-co").organization
    with_password = invitation_sent_days_ago(org, "pw@acme.example", 60, password="a passphrase")
    joined_elsewhere = invitation_sent_days_ago(org, "member@acme.example", 60)
    Membership.objects.create(organization=other, user=joined_elsewhere.user)

    assert expired_invitations_prune(expired_for_days=30) == 2

    assert not Invitation.objects.exists()
    assert (
        User.objects.filter(pk__in=[with_password.user_id, joined_elsewhere.user_id]).count() == 2
    )


def test_the_daily_invitation_task_uses_its_retention_setting(db, settings):
    settings.EXPIRED_INVITATION_RETENTION_DAYS = 0
    org = make_connection("acme", "acme-robotics").organization
    invitation_sent_days_ago(org, "expired@acme.example", INVITATION_DAYS + 0.1)
    waiting = invitation_sent_days_ago(org, "waiting@acme.example", INVITATION_DAYS - 0.1)

    assert prune_expired_invitations() == 1
    assert list(Invitation.objects.all()) == [waiting]


def test_a_retention_meant_as_keep_them_all_is_read_and_the_daily_tasks_still_run(db, settings):
    """A number of days written to mean "keep them all" was refused at startup when retention
    took at most ten years; at its maximum the cutoff must still be a date the database takes."""
    meant_as_all = {name: "99999" for name in RETENTION_SETTINGS}
    assert {name: settings_under(**meant_as_all)[name] for name in RETENTION_SETTINGS} == {
        name: 99999 for name in RETENTION_SETTINGS
    }
    for name in RETENTION_SETTINGS:
        setattr(settings, name, 100_000)
    org = make_connection("acme", "acme-robotics").organization
    runs = [run_days_ago(org, days) for days in (4000, 1)]
    invitation = invitation_sent_days_ago(org, "old@acme.example", 4000)

    assert prune_sync_runs() == 0
    assert prune_expired_invitations() == 0
    assert list(SyncRun.objects.order_by("started_at")) == runs
    assert list(Invitation.objects.all()) == [invitation]


def session_expiring_in(days: float) -> str:
    session = SessionStore()
    session["_auth_user_id"] = "1"
    session.create()
    expire_date = timezone.now() + timedelta(days=days)
    Session.objects.filter(pk=session.session_key).update(expire_date=expire_date)
    return session.session_key


def test_expired_sessions_are_deleted_daily_at_the_prune_time_and_live_ones_kept(db):
    """Django never deletes an expired session itself (its `clearsessions` is left to a cron job):
    each sign-in not signed out kept its row in the database for good."""
    session_expiring_in(-1)
    live = session_expiring_in(1)
    scheduled = celery_app.conf.beat_schedule["prune-expired-sessions"]

    assert scheduled["schedule"] == crontab(minute=30, hour=3)
    assert celery_app.tasks[scheduled["task"]]() == 1
    assert list(Session.objects.values_list("pk", flat=True)) == [live]
