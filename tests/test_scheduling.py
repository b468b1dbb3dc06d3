"""The beat dispatcher, Refresh now, and the per-org task."""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import billiard.common
import pytest
from celery.canvas import Signature
from celery.exceptions import Reject, Retry, SoftTimeLimitExceeded
from django.db import OperationalError as DatabaseOperationalError
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from jobs import scheduling, tasks
from jobs import sync as jobs_sync
from jobs.connections import connection_schedule_update
from jobs.greenhouse import WILL_TRY_AGAIN, GreenhouseClient
from jobs.models import GreenhouseConnection, Job, SyncRun
from jobs.scheduling import (
    REFRESH_RESEND_AFTER,
    BrokerUnavailable,
    RefreshOutcome,
    SyncToRun,
    SyncToSkip,
    enqueue_due_syncs,
    request_refresh,
    sync_plan,
)
from jobs.status import moment_text, sync_status, wait_end_text
from jobs.sync import (
    INTERRUPTED_MESSAGE,
    TIME_LIMIT_MESSAGE,
    acquire_sync_lock,
    start_sync_run,
    sync_organization,
)
from jobs.tasks import MAX_SYNC_RETRIES
from tests.support.helpers import make_connection, marked_sync, retry_asked_for

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.support.broker"]  # queued, broker_down


def test_the_dispatcher_queues_only_due_enabled_connections(db, queued):
    now = timezone.now()
    due = make_connection("due", "due")
    later = make_connection("later", "later")
    paused = make_connection("paused", "paused")
    GreenhouseConnection.objects.filter(pk=later.pk).update(next_sync_at=now + timedelta(minutes=5))
    GreenhouseConnection.objects.filter(pk=paused.pk).update(enabled=False)

    assert enqueue_due_syncs() == [due.pk]
    assert queued == [marked_sync(due.pk, SyncRun.Trigger.SCHEDULE)]


def test_a_tick_queues_at_most_its_limit_those_due_longest_and_the_next_tick_the_rest(db, queued):
    now = timezone.now()
    connections = [make_connection(f"org{number}", "board") for number in range(3)]
    for minutes_due, connection in zip([1, 30, 10], connections, strict=True):
        GreenhouseConnection.objects.filter(pk=connection.pk).update(
            next_sync_at=now - timedelta(minutes=minutes_due)
        )

    assert enqueue_due_syncs(limit=2) == sorted([connections[1].pk, connections[2].pk])
    assert enqueue_due_syncs(limit=2) == [connections[0].pk]


def test_the_dispatcher_does_not_queue_an_org_twice(db, queued):
    connection = make_connection("due", "due")
    enqueue_due_syncs()
    enqueue_due_syncs()
    assert queued == [marked_sync(connection.pk, SyncRun.Trigger.SCHEDULE)]


def test_the_dispatcher_does_not_queue_an_org_whose_sync_is_running(db, queued):
    """The running sync cleared the queue marker; the org is due again once its lease ends."""
    connection = make_connection("due", "due")
    lease = acquire_sync_lock(connection)
    assert enqueue_due_syncs() == []

    GreenhouseConnection.objects.filter(pk=connection.pk).update(
        lock_expires_at=lease - timedelta(days=1)  # its worker died: the lease ran out
    )
    assert enqueue_due_syncs() == [connection.pk]
    assert queued == [marked_sync(connection.pk, SyncRun.Trigger.SCHEDULE)]


def test_the_dispatcher_leaves_an_org_due_within_greenhouses_wait_until_its_end(
    db, queued, monkeypatch
):
    """Made due at once within it (a stopped sync, a lease run out), the org was synced within a
    minute, asking a Greenhouse that had asked, with a Retry-After, to be left alone longer."""
    connection = make_connection("due", "due")
    now = timezone.now()
    monkeypatch.setattr("jobs.scheduling.timezone.now", lambda: now)
    GreenhouseConnection.objects.filter(pk=connection.pk).update(
        next_sync_at=now - timedelta(minutes=1), greenhouse_wait_until=now + timedelta(hours=1)
    )
    assert enqueue_due_syncs() == []

    monkeypatch.setattr("jobs.scheduling.timezone.now", lambda: now + timedelta(hours=1))
    assert enqueue_due_syncs() == [connection.pk]


def test_orgs_another_tick_claims_after_this_tick_read_them_are_not_queued_twice(db, queued):
    """Two ticks at once (a second beat, a slow tick): each org is queued by one of them."""
    connections = [make_connection(f"org{number}", "board") for number in range(4)]
    taken_by_the_other_tick = [connections[1].pk, connections[2].pk]
    claims = []

    def other_tick_claims_first(execute, sql, params, many, context):
        if sql.startswith('UPDATE "jobs_greenhouseconnection" SET "queued_at"') and not claims:
            claims.append(sql)  # once: the other tick's own UPDATE passes through here too
            GreenhouseConnection.objects.filter(pk__in=taken_by_the_other_tick).update(
                queued_at=timezone.now() - timedelta(seconds=1)
            )
        return execute(sql, params, many, context)

    with db_connection.execute_wrapper(other_tick_claims_first):
        queued_now = enqueue_due_syncs()

    assert claims
    assert queued_now == [connections[0].pk, connections[3].pk]
    assert [connection_id for (connection_id, _), _ in queued] == queued_now


def test_a_lost_queue_marker_expires(db, queued, settings):
    connection = make_connection("due", "due")
    stale = timezone.now() - timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS + 1)
    GreenhouseConnection.objects.filter(pk=connection.pk).update(queued_at=stale)
    assert enqueue_due_syncs() == [connection.pk]


def test_a_queue_marker_exactly_as_old_as_the_stale_age_still_holds(
    db, queued, settings, monkeypatch
):
    connection = make_connection("due", "due")
    now = timezone.now()
    monkeypatch.setattr("jobs.scheduling.timezone.now", lambda: now)
    marked = now - timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS)
    GreenhouseConnection.objects.filter(pk=connection.pk).update(queued_at=marked)

    assert enqueue_due_syncs() == []


def test_the_dispatcher_uses_one_statement_whatever_the_number_of_due_orgs(db, queued):
    for number in range(3):
        make_connection(f"org{number}", "board")
    with CaptureQueriesContext(db_connection) as few:
        enqueue_due_syncs()
    for number in range(3, 30):
        make_connection(f"org{number}", "board")
    with CaptureQueriesContext(db_connection) as many:
        enqueue_due_syncs()
    assert len(few) == len(many) == 1
    # No list of the due orgs' ids in it: 5,000 of them were up to half of PostgreSQL's tick.
    assert digits_masked(few[0]["sql"]) == digits_masked(many[0]["sql"])


def digits_masked(sql: str) -> str:
    return re.sub(r"\d+", "0", sql)


def test_the_dispatcher_releases_markers_when_the_broker_is_down(db, broker_down):
    connection = make_connection("due", "due")
    with pytest.raises(BrokerUnavailable):
        enqueue_due_syncs()
    connection.refresh_from_db()
    assert connection.queued_at is None


def broker_lost_after_one(sent: list) -> Callable[..., None]:
    """An apply_async that sends its first task (noting its first argument in `sent`), then
    finds the broker gone."""

    def publish(args, **kwargs) -> None:
        if sent:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        sent.append(args[0])

    return publish


def test_the_dispatcher_cut_off_by_the_broker_keeps_the_marks_of_the_batches_it_sent(
    db, monkeypatch
):
    """Those went out and their syncs will be queued: marked free, the next tick would queue
    them again. Those not sent are due at once when the broker is back."""
    monkeypatch.setattr(scheduling, "SYNCS_PER_BATCH", 2)
    connections = [make_connection(f"org{number}", "board") for number in range(5)]
    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.queue_claimed_syncs, "apply_async", broker_lost_after_one(sent))

    with pytest.raises(BrokerUnavailable):
        enqueue_due_syncs()

    marked = GreenhouseConnection.objects.filter(queued_at__isnull=False).order_by("pk")
    assert sent == [[connections[0].pk, connections[1].pk]]
    assert list(marked.values_list("pk", flat=True)) == sent[0]


def test_a_batch_cut_off_by_the_broker_frees_the_orgs_whose_syncs_it_did_not_queue(db, monkeypatch):
    """Those are due at once when the broker is back; the sync it sent will run. An org
    queued since by Refresh now, its batch having waited behind a backlog, keeps that mark."""
    connections = [make_connection(f"org{number}", "board") for number in range(4)]
    claimed_at = timezone.now() - REFRESH_RESEND_AFTER - timedelta(seconds=1)
    GreenhouseConnection.objects.update(queued_at=claimed_at)
    refreshed_at = timezone.now()
    GreenhouseConnection.objects.filter(pk=connections[3].pk).update(queued_at=refreshed_at)
    sent: list[int] = []
    monkeypatch.setattr(tasks.sync_org, "apply_async", broker_lost_after_one(sent))

    with pytest.raises(BrokerUnavailable):
        tasks.queue_claimed_syncs([c.pk for c in connections], claimed_at.isoformat())

    marks = GreenhouseConnection.objects.order_by("pk").values_list("queued_at", flat=True)
    assert sent == [connections[0].pk]
    assert list(marks) == [claimed_at, None, None, refreshed_at]


def test_the_orgs_of_a_lost_batch_are_queued_again_once_their_marks_are_stale(
    db, monkeypatch, settings
):
    """A worker of an earlier release drops the task it does not know (a rolling deploy), and
    a Redis that restarts empty loses it: its orgs wait, "Queued…", until the marks are stale
    (SYNC_QUEUED_STALE_SECONDS)."""
    connection = make_connection("due", "due")
    monkeypatch.setattr(tasks.queue_claimed_syncs, "apply_async", lambda args, **kwargs: None)
    assert enqueue_due_syncs() == [connection.pk]
    assert enqueue_due_syncs() == []

    later = timezone.now() + timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS + 1)
    monkeypatch.setattr("jobs.scheduling.timezone.now", lambda: later)

    assert enqueue_due_syncs() == [connection.pk]


@pytest.mark.parametrize(
    "trigger",
    [SyncRun.Trigger.SCHEDULE, SyncRun.Trigger.MANUAL, SyncRun.Trigger.CONNECT],
    ids=["scheduled", "refresh now", "connect"],
)
def test_a_sync_sent_twice_runs_once(acme, fake_greenhouse, queued, trigger):
    """A message can come twice (a worker lost as it ran the task that sent it, or as it ran
    the sync: acks_late): the first sync's lease took the org's queue mark, which the second
    copy carries."""
    if trigger == SyncRun.Trigger.SCHEDULE:
        assert enqueue_due_syncs() == [acme.pk]
    else:
        assert request_refresh(acme, trigger=trigger) is RefreshOutcome.QUEUED
    [(args, kwargs)] = queued
    assert args == (acme.pk, trigger)

    first = tasks.sync_org.apply(args=args, kwargs=kwargs).get()
    requests = fake_greenhouse.request_count()
    second = tasks.sync_org.apply(args=args, kwargs=kwargs).get()

    assert first.startswith("success")
    assert second == "skipped: the sync queued with this one's mark ran, or it was queued again"
    assert SyncRun.objects.count() == 1 and fake_greenhouse.request_count() == requests


def test_a_scheduled_sync_queued_again_once_its_mark_went_stale_runs_once(acme, queued, settings):
    """Workers busy for longer than SYNC_QUEUED_STALE_SECONDS: the dispatcher queues the org
    again, and of the two syncs in the queue, the one with the org's mark runs."""
    stale = timezone.now() - timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS + 1)
    GreenhouseConnection.objects.update(queued_at=stale)
    waiting = ((acme.pk, SyncRun.Trigger.SCHEDULE), {"queued_at": stale.isoformat()})
    assert enqueue_due_syncs() == [acme.pk]

    outcomes = [tasks.sync_org.apply(args=a, kwargs=k).get() for a, k in [waiting, *queued]]

    assert outcomes[0].startswith("skipped: the sync queued with this one's mark ran")
    assert outcomes[1].startswith("success")
    assert SyncRun.objects.count() == 1


def test_a_refresh_now_sent_again_once_its_sync_waited_minutes_runs_once(
    acme, fake_greenhouse, queued, monkeypatch
):
    """Workers busy for longer than REFRESH_RESEND_AFTER: Refresh now pressed again queues
    another sync, and of the two in the queue, the one with the org's mark runs."""
    with monkeypatch.context() as earlier:
        then = timezone.now() - REFRESH_RESEND_AFTER - timedelta(seconds=1)
        earlier.setattr("jobs.scheduling.timezone.now", lambda: then)
        assert request_refresh(acme) is RefreshOutcome.QUEUED
    assert request_refresh(acme) is RefreshOutcome.QUEUED

    outcomes = [tasks.sync_org.apply(args=a, kwargs=k).get() for a, k in queued]

    assert outcomes[0].startswith("skipped: the sync queued with this one's mark ran")
    assert outcomes[1].startswith("success")
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.MANUAL


@pytest.mark.parametrize(
    "trigger", [SyncRun.Trigger.SCHEDULE, SyncRun.Trigger.MANUAL], ids=["scheduled", "refresh now"]
)
def test_a_sync_stopped_and_given_back_does_nothing_and_the_next_tick_queues_it(
    acme, fake_greenhouse, queued, monkeypatch, trigger
):
    """SIGTERM to a pool process stops its sync, which frees the lease and marks its run
    interrupted, and the worker puts the task back on the queue (README): its lease took the
    mark the copy carries, so the org, due at once, is the next tick's. A Refresh now ahead of
    the schedule left its org to wait for the stopped sync's lease to end."""
    if trigger == SyncRun.Trigger.SCHEDULE:
        assert enqueue_due_syncs() == [acme.pk]
    else:
        GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))
        assert request_refresh(acme) is RefreshOutcome.QUEUED
    [(args, kwargs)] = queued

    def stopped(*args, **kwargs):
        raise SystemExit(1)  # as billiard stops a pool process

    with monkeypatch.context() as stopping:
        stopping.setattr(jobs_sync, "_fetch_and_apply", stopped)
        with pytest.raises(SystemExit):
            tasks.sync_org.apply(args=args, kwargs=kwargs)
    given_back = tasks.sync_org.apply(args=args, kwargs=kwargs).get()

    assert given_back.startswith("skipped: the sync queued with this one's mark ran")
    status = sync_status(organization=acme.organization)
    assert (status["message"], status["next_sync_text"]) == (
        f"Failed: {INTERRUPTED_MESSAGE}",
        "due now",
    )
    assert enqueue_due_syncs() == [acme.pk]
    assert queued[1] == marked_sync(acme.pk, SyncRun.Trigger.SCHEDULE)
    assert tasks.sync_org.apply(args=queued[1][0], kwargs=queued[1][1]).get().startswith("success")
    runs = SyncRun.objects.order_by("started_at").values_list("trigger", "outcome")
    assert list(runs) == [
        (trigger, SyncRun.Outcome.INTERRUPTED),
        (SyncRun.Trigger.SCHEDULE, SyncRun.Outcome.SUCCESS),
    ]


def test_a_sync_stopped_after_its_org_was_paused_leaves_it_to_no_tick(acme, queued, monkeypatch):
    """Paused while its sync ran, then stopped: due at once, it is still paused."""

    def paused_then_stopped(*args, **kwargs):
        GreenhouseConnection.objects.update(enabled=False)
        raise SystemExit(1)

    monkeypatch.setattr(jobs_sync, "_fetch_and_apply", paused_then_stopped)
    with pytest.raises(SystemExit):
        sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    assert GreenhouseConnection.objects.get(pk=acme.pk).next_sync_at <= timezone.now()
    assert enqueue_due_syncs() == [] and queued == []


def test_a_sync_stopped_after_another_took_its_lease_over_leaves_that_syncs_org_alone(
    acme, monkeypatch
):
    """Its lease ran out and another sync took it: the org's lease and next time are that
    sync's, not the stopped one's to free or make due."""
    later = timezone.now() + timedelta(hours=1)

    def taken_over_then_stopped(*args, **kwargs):
        GreenhouseConnection.objects.update(lock_expires_at=later, next_sync_at=later)
        raise SystemExit(1)

    monkeypatch.setattr(jobs_sync, "_fetch_and_apply", taken_over_then_stopped)
    with pytest.raises(SystemExit):
        sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    taken_over = GreenhouseConnection.objects.get(pk=acme.pk)
    assert (taken_over.lock_expires_at, taken_over.next_sync_at) == (later, later)


def sigterm_in_a_pool_process(*args: object, **kwargs: object) -> None:
    """Raise what billiard's handler raises in a pool process sent SIGTERM (a cold shutdown,
    revoke with terminate, every process of the service signalled), by that handler itself."""
    billiard.common._shutdown_cleanup(signal.SIGTERM, None)


def soft_time_limit(*args: object, **kwargs: object) -> None:
    raise SoftTimeLimitExceeded()  # as billiard's SIGUSR1 handler raises it, where the sync is


@pytest.fixture
def pool_process(monkeypatch):
    """billiard's SIGTERM handler as it runs in a pool process, but for the test process: it
    leaves SIGTERM's handler alone, and its note that it ran is the test's own."""
    monkeypatch.setattr(billiard.common, "_should_have_exited", [False])
    monkeypatch.setattr(billiard.common, "maybe_setsignal", lambda *args: None)


@pytest.mark.parametrize(
    ("where", "stop", "after_it", "recorded"),
    [
        ("_fetch_and_apply", sigterm_in_a_pool_process, False, SyncRun.Outcome.INTERRUPTED),
        ("_record_failure", soft_time_limit, False, SyncRun.Outcome.INTERRUPTED),
        ("acquire_sync_lock", sigterm_in_a_pool_process, True, None),
        ("release_sync_lock", soft_time_limit, False, SyncRun.Outcome.SUCCESS),
    ],
    ids=[
        "sigterm-mid-sync",
        "time-limit-as-it-records-a-failure",
        "sigterm-as-it-takes-the-lease",
        "time-limit-as-it-frees-the-lease-its-outcome-recorded",
    ],
)
def test_a_sync_its_worker_stops_is_interrupted_in_its_history_at_once_and_frees_the_org(
    acme, fake_greenhouse, queued, monkeypatch, pool_process, where, stop, after_it, recorded
):
    """Its run read "running" in the org's history until the next sync marked it interrupted,
    and stopped as it took or freed its lease, the org stayed "Running…" until the lease ran
    out. The worker still sees the stop: billiard ends the pool process on its SystemExit, and
    the task is given back."""
    if where == "_record_failure":
        fake_greenhouse.fail_next("acme-robotics", "status", status=404)  # not retried
    real = getattr(jobs_sync, where)

    def stopped(*args, **kwargs):
        if after_it:
            real(*args, **kwargs)
        stop()

    assert request_refresh(acme) is RefreshOutcome.QUEUED
    [(args, kwargs)] = queued
    monkeypatch.setattr(jobs_sync, where, stopped)

    with pytest.raises((SystemExit, SoftTimeLimitExceeded)) as caught:
        tasks.sync_org.apply(args=args, kwargs=kwargs).get()  # the task failed on it

    raised = SoftTimeLimitExceeded if stop is soft_time_limit else SystemExit
    assert type(caught.value) is raised
    outcomes = list(SyncRun.objects.values_list("outcome", "error_message"))
    if recorded is None:
        assert outcomes == []
    elif recorded == SyncRun.Outcome.INTERRUPTED:
        assert outcomes == [(recorded, INTERRUPTED_MESSAGE)]
    else:
        assert outcomes == [(recorded, "")]
    assert GreenhouseConnection.objects.get(pk=acme.pk).lock_expires_at is None
    assert sync_status(organization=acme.organization)["running"] is False


def test_a_sync_its_worker_stops_after_another_took_its_lease_over_leaves_that_ones_run(
    acme, fake_greenhouse, monkeypatch, pool_process
):
    """Its lease ran out and another sync took it over, marking the stopped one's run
    interrupted: that sync's run and lease are not the stopped one's to end."""

    def taken_over_then_stopped(connection, *args, **kwargs):
        other = GreenhouseConnection.objects.select_related("organization").get(pk=acme.pk)
        later = timezone.now() + timedelta(minutes=1)
        assert acquire_sync_lock(other, started_at=later, taking_over=other.last_attempt_at)
        start_sync_run(other, trigger=SyncRun.Trigger.SCHEDULE)
        sigterm_in_a_pool_process()

    monkeypatch.setattr(jobs_sync, "_fetch_and_apply", taken_over_then_stopped)

    with pytest.raises(SystemExit):
        tasks.sync_org.apply(args=(acme.pk,))

    runs = SyncRun.objects.order_by("started_at").values_list("outcome", flat=True)
    assert list(runs) == [SyncRun.Outcome.INTERRUPTED, SyncRun.Outcome.RUNNING]
    assert GreenhouseConnection.objects.get(pk=acme.pk).lock_expires_at is not None


def test_a_sync_its_worker_stops_as_the_database_is_lost_still_stops_the_worker(
    acme, fake_greenhouse, monkeypatch, pool_process, caplog
):
    """The run cannot be marked, the database lost: the stop, not the database's error, is
    what the worker sees, and the next sync marks the run."""

    def lost(*args, **kwargs):
        raise DatabaseOperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(jobs_sync, "_fetch_and_apply", sigterm_in_a_pool_process)
    monkeypatch.setattr(jobs_sync, "stopped_sync_run_interrupt", lost)

    with pytest.raises(SystemExit):
        tasks.sync_org.apply(args=(acme.pk,))

    assert "sync stop not recorded org=acme" in caplog.text
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.RUNNING


@pytest.mark.parametrize(
    ("where", "stop", "due_now"),
    [
        ("acquire_sync_lock", sigterm_in_a_pool_process, True),
        ("acquire_sync_lock", soft_time_limit, True),
        ("release_sync_lock", soft_time_limit, False),  # before its UPDATE
    ],
    ids=[
        "sigterm-as-it-takes-the-lease",
        "time-limit-as-it-takes-the-lease",
        "time-limit-as-it-frees-the-lease-its-outcome-recorded",
    ],
)
def test_a_refresh_now_its_worker_stops_with_its_lease_held_leaves_the_org_due_at_once(
    acme, fake_greenhouse, queued, monkeypatch, pool_process, where, stop, due_now
):
    """As any sync its worker stops (README): the next tick syncs the org, though Refresh now
    came before its next time. Stopped as it took the lease, the org waited for the lease's
    end, which the lease's UPDATE made its next time; stopped as it freed the lease once its
    outcome was recorded, the org keeps the next time that outcome set."""
    GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))
    assert request_refresh(acme) is RefreshOutcome.QUEUED
    [(args, kwargs)] = queued
    real = getattr(jobs_sync, where)

    def stopped(*args, **kwargs):
        if where == "acquire_sync_lock":
            real(*args, **kwargs)
        stop()

    monkeypatch.setattr(jobs_sync, where, stopped)

    with pytest.raises((SystemExit, SoftTimeLimitExceeded)):
        tasks.sync_org.apply(args=args, kwargs=kwargs).get()

    status = sync_status(organization=acme.organization)
    assert status["running"] is False
    assert (status["next_sync_text"] == "due now") is due_now
    assert enqueue_due_syncs() == ([acme.pk] if due_now else [])


def test_a_sync_its_worker_stops_as_the_database_is_lost_is_not_retried_but_stops_the_worker(
    acme, fake_greenhouse, monkeypatch, pool_process, caplog
):
    """The database lost, the sync's own freeing of its lease fails too, first: that error,
    raised as the stop unwound, had the task retry the sync as one that lost the database,
    and the pool process, told to stop, went on taking tasks."""
    retried = []

    def lost(*args, **kwargs):
        raise DatabaseOperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(jobs_sync, "_fetch_and_apply", sigterm_in_a_pool_process)
    monkeypatch.setattr(jobs_sync, "release_sync_lock", lost)
    monkeypatch.setattr(jobs_sync, "stopped_sync_run_interrupt", lost)
    monkeypatch.setattr(tasks.sync_org, "retry", lambda **kwargs: retried.append(kwargs) or Retry())

    with pytest.raises(SystemExit):
        tasks.sync_org.apply(args=(acme.pk,)).get()

    assert retried == []
    assert "sync stop not recorded org=acme" in caplog.text


def test_a_sync_its_soft_time_limit_stops_mid_fetch_then_the_database_is_lost_is_retried(
    acme, fake_greenhouse, monkeypatch
):
    """The time limit is the sync's failure, and the process goes on: a sync that then lost
    the database as it recorded that failure and freed its lease is retried as a lost one."""

    def lost(*args, **kwargs):
        raise DatabaseOperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", soft_time_limit)
    monkeypatch.setattr(jobs_sync, "_record_failure", lost)
    monkeypatch.setattr(jobs_sync, "release_sync_lock", lost)

    asked = retry_asked_for(monkeypatch, acme.pk)

    acme.refresh_from_db()
    assert asked["kwargs"]["lease_taken_at"] == acme.last_attempt_at.isoformat()


def test_a_refresh_now_its_worker_stops_as_it_frees_the_lease_its_failure_recorded_keeps_it(
    acme, fake_greenhouse, queued, monkeypatch, pool_process
):
    """A failure recorded sets the org's next time too (an interval on, or the end of the wait
    Greenhouse asked for): the sync stopped as it freed its lease after it leaves that time, as
    one whose success was recorded does. Only a success was counted as recorded."""
    GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))
    assert request_refresh(acme) is RefreshOutcome.QUEUED
    [(args, kwargs)] = queued
    fake_greenhouse.remove_board(acme.board_token)  # a 404: failed, not retried

    def stopped(*args, **kwargs):
        soft_time_limit()

    monkeypatch.setattr(jobs_sync, "release_sync_lock", stopped)

    with pytest.raises(SoftTimeLimitExceeded):
        tasks.sync_org.apply(args=args, kwargs=kwargs).get()

    assert SyncRun.objects.get().outcome == SyncRun.Outcome.FAILED
    status = sync_status(organization=acme.organization)
    assert status["running"] is False and status["next_sync_text"] != "due now"
    assert enqueue_due_syncs() == []


@pytest.mark.parametrize("task", ["sync_org", "release_sync_lease"])
def test_the_soft_time_limit_in_a_syncs_email_check_stops_the_task_and_is_no_crash(
    acme, fake_greenhouse, monkeypatch, caplog, task
):
    """It was logged as "sync email crashed", an ERROR with a traceback, and swallowed: the
    task went on towards its hard time limit."""
    if task == "release_sync_lease":
        # The check that a sync which lost the database as it made it leaves to the task.
        sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)
        acme.refresh_from_db()
        started_at = acme.last_attempt_at.isoformat()
        signature = tasks.release_sync_lease.s(acme.pk, started_at, lease_freed=True)
    else:
        signature = tasks.sync_org.s(acme.pk)
    monkeypatch.setattr(jobs_sync, "sync_health_email_send", soft_time_limit)

    with pytest.raises(SoftTimeLimitExceeded):
        signature.apply().get()

    [stopped] = [r for r in caplog.records if "sync email check stopped" in r.getMessage()]
    assert stopped.levelname == "WARNING" and stopped.exc_info
    assert stopped.getMessage() == "sync email check stopped at its time limit org=acme"
    assert "sync email crashed" not in caplog.text
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.SUCCESS  # recorded, it stands


def stop_at(monkeypatch, where: str) -> None:
    """The soft time limit where the task is, after a transient failure was recorded."""
    if where == "retry":  # as the retry is queued, its mark written
        monkeypatch.setattr(tasks.sync_org, "retry", soft_time_limit)
    elif where == "retry_schedule":
        monkeypatch.setattr(tasks, "retry_schedule", soft_time_limit)
    else:
        monkeypatch.setattr(jobs_sync, where, soft_time_limit)


@pytest.mark.parametrize(
    "where", ["release_sync_lock", "sync_health_email_send", "retry_schedule", "retry"]
)
def test_a_task_stopped_before_it_queues_the_retry_of_a_passing_failure_leaves_the_org_due(
    acme, fake_greenhouse, settings, monkeypatch, where
):
    """The retry was lost with the stop, and the failure had put the org's next sync an
    interval on: it waited for the schedule, though Greenhouse had been down a moment."""
    settings.GREENHOUSE_RETRIES = 0
    GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))
    fake_greenhouse.fail_next("acme-robotics", "status", status=503)
    stop_at(monkeypatch, where)

    with pytest.raises(SoftTimeLimitExceeded):
        tasks.sync_org.apply(args=(acme.pk,)).get()

    assert SyncRun.objects.get().outcome == SyncRun.Outcome.FAILED
    status = sync_status(organization=acme.organization)
    assert status["running"] is False and status["next_sync_text"] == "due now"
    assert enqueue_due_syncs() == [acme.pk]


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (SoftTimeLimitExceeded(), SoftTimeLimitExceeded),
        (OperationalError("connection refused"), Reject),
    ],
    ids=["soft-time-limit", "broker-down"],
)
def test_a_retry_its_task_could_not_queue_leaves_the_org_due(
    acme, fake_greenhouse, settings, monkeypatch, error, raised
):
    """Celery's retry raises Reject for an error as it queues the retry, the soft time limit
    too (an Exception): the org waited for the schedule, its retry lost. The soft limit
    reached the worker as Reject, a task that rejected its message, not one stopped."""
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "status", status=503)

    def queue_fails(*args, **kwargs):
        raise error

    monkeypatch.setattr(Signature, "apply_async", queue_fails)
    # As a worker runs it: run inline (apply()), the retry is not queued but run at once.
    tasks.sync_org.push_request(id="sync", args=[acme.pk], kwargs={}, called_directly=False)
    try:
        with pytest.raises(raised):
            tasks.sync_org.run(acme.pk)
    finally:
        tasks.sync_org.pop_request()

    assert SyncRun.objects.get().outcome == SyncRun.Outcome.FAILED
    assert enqueue_due_syncs() == [acme.pk]


@pytest.mark.parametrize(
    ("retry_after", "retries", "due_now"),
    [
        ("120", 0, False),  # not before the end of the wait Greenhouse asked for
        (None, MAX_SYNC_RETRIES, False),  # the last try: no retry was lost
    ],
    ids=["greenhouse-asked-to-wait", "last-try"],
)
def test_a_task_stopped_after_a_passing_failure_keeps_what_its_retry_would_not_have_changed(
    acme, fake_greenhouse, settings, monkeypatch, retry_after, retries, due_now
):
    settings.GREENHOUSE_RETRIES = 0
    headers = {"Retry-After": retry_after} if retry_after else {}
    fake_greenhouse.fail_next("acme-robotics", "status", status=503, headers=headers)
    stop_at(monkeypatch, "sync_health_email_send")

    with pytest.raises(SoftTimeLimitExceeded):
        tasks.sync_org.apply(args=(acme.pk,), retries=retries).get()

    acme.refresh_from_db()
    assert acme.state == GreenhouseConnection.State.FAILING and acme.retry_at is None
    if retry_after:
        assert acme.next_sync_at == acme.greenhouse_wait_until
    assert (enqueue_due_syncs() == [acme.pk]) is due_now


def test_a_task_stopped_before_its_retry_as_the_database_is_lost_still_stops(
    acme, fake_greenhouse, settings, monkeypatch, caplog
):
    """The org cannot be made due: the stop, not the database's error, is what the worker
    sees, and the log says the schedule syncs the org next."""
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "status", status=503)
    stopped = []

    def stop(*args, **kwargs):
        stopped.append(True)
        soft_time_limit()

    def lost_once_stopped(execute, sql, params, many, context):
        if stopped and sql.startswith('UPDATE "jobs_greenhouseconnection"'):
            raise DatabaseOperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    monkeypatch.setattr(tasks, "retry_schedule", stop)
    with db_connection.execute_wrapper(lost_once_stopped), pytest.raises(SoftTimeLimitExceeded):
        tasks.sync_org.apply(args=(acme.pk,)).get()

    assert "sync retry lost org=acme" in caplog.text


def test_a_task_stopped_after_a_passing_failure_leaves_a_sync_started_since_its_next_time(
    acme, fake_greenhouse, settings, monkeypatch
):
    """A sync that started as the stopped task's email check waited (sync_jobs's, say) set the
    org's next time itself: made due at once, the org was synced again straight after it."""
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "status", status=503)
    email_check = jobs_sync.sync_health_email_send

    def another_sync_then_stop(connection: GreenhouseConnection) -> None:
        monkeypatch.setattr(jobs_sync, "sync_health_email_send", email_check)
        since = GreenhouseConnection.objects.select_related("organization").get(pk=acme.pk)
        sync_organization(since, trigger=SyncRun.Trigger.COMMAND)
        soft_time_limit()

    monkeypatch.setattr(jobs_sync, "sync_health_email_send", another_sync_then_stop)

    with pytest.raises(SoftTimeLimitExceeded):
        tasks.sync_org.apply(args=(acme.pk,)).get()

    acme.refresh_from_db()
    assert acme.state == GreenhouseConnection.State.OK and acme.next_sync_at > timezone.now()
    assert enqueue_due_syncs() == []


def test_a_sync_its_soft_time_limit_stops_mid_fetch_records_its_failure(
    acme, fake_greenhouse, monkeypatch
):
    """Caught where it waits on Greenhouse, the soft time limit is the sync's failure, recorded
    as such (TIME_LIMIT_MESSAGE), its lease freed; the task is not retried (README)."""
    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", soft_time_limit)

    outcome = tasks.sync_org.apply(args=(acme.pk,)).get()

    assert outcome == f"failed: {TIME_LIMIT_MESSAGE}"
    run = SyncRun.objects.get()
    assert (run.outcome, run.error_message) == (SyncRun.Outcome.FAILED, TIME_LIMIT_MESSAGE)
    assert GreenhouseConnection.objects.get(pk=acme.pk).lock_expires_at is None


@pytest.mark.parametrize(
    "error", [PermissionError(13, "Permission denied"), ConnectionResetError(104, "reset")]
)
def test_a_broker_that_fails_with_an_os_error_is_unavailable_not_a_crash(acme, monkeypatch, error):
    """The filesystem transport writes a file per task (its folder gone or read-only); Redis'
    socket can be reset mid-publish."""

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(tasks.sync_org, "apply_async", fail)

    with pytest.raises(BrokerUnavailable):
        request_refresh(acme)
    acme.refresh_from_db()
    assert acme.queued_at is None


def test_the_dispatch_task_returns_how_many_syncs_it_queued(db, queued):
    """The worker logs it on each tick ("succeeded in …: 2"): a backlog shows there."""
    for number in range(2):
        make_connection(f"org{number}", "board")

    assert tasks.dispatch_due_syncs() == 2
    assert tasks.dispatch_due_syncs() == 0


def test_refresh_queues_a_manual_sync(acme, queued):
    assert request_refresh(acme) is RefreshOutcome.QUEUED
    assert queued == [marked_sync(acme.pk, SyncRun.Trigger.MANUAL)]


def test_a_second_refresh_while_queued_says_so(acme, queued):
    request_refresh(acme)
    assert request_refresh(acme) is RefreshOutcome.ALREADY_QUEUED
    assert len(queued) == 1


def test_refresh_sends_another_sync_when_the_queued_one_has_not_started_for_minutes(acme, queued):
    """A Redis that restarted empty lost the queued sync; the dispatcher would wait 15 minutes."""
    long_ago = timezone.now() - REFRESH_RESEND_AFTER - timedelta(seconds=1)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=long_ago)

    assert request_refresh(acme) is RefreshOutcome.QUEUED
    assert queued == [marked_sync(acme.pk, SyncRun.Trigger.MANUAL)]
    assert request_refresh(acme) is RefreshOutcome.ALREADY_QUEUED  # the new one is recent


@pytest.mark.parametrize(("minutes_ago", "outcome"), [(1.9, "already_queued"), (2.1, "queued")])
def test_refresh_sends_another_sync_after_the_2_minutes_the_readme_gives(
    acme, queued, minutes_ago, outcome
):
    queued_at = timezone.now() - timedelta(minutes=minutes_ago)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=queued_at)

    assert request_refresh(acme).value == outcome


def test_refresh_after_the_queued_sync_ran_queues_another(acme, fake_greenhouse, queued, settings):
    """The sync clears the mark as it starts: left set, it read "already queued" for minutes."""
    settings.SYNC_REFRESH_COOLDOWN_SECONDS = 0
    assert request_refresh(acme) is RefreshOutcome.QUEUED
    assert sync_organization(acme, trigger=SyncRun.Trigger.MANUAL).ok

    assert request_refresh(acme) is RefreshOutcome.QUEUED
    assert len(queued) == 2


def test_refresh_while_a_sync_runs_says_so(acme, queued):
    acquire_sync_lock(acme)
    assert request_refresh(acme) is RefreshOutcome.ALREADY_RUNNING
    assert queued == []


def test_refresh_while_a_sync_runs_longer_than_the_cooldown_says_so(acme, queued, settings):
    """The cooldown counts from the sync's start: past it, the lease alone keeps a second sync
    from being queued behind the running one."""
    settings.SYNC_REFRESH_COOLDOWN_SECONDS = 30
    acquire_sync_lock(acme)
    started_long_ago = timezone.now() - timedelta(minutes=5)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(last_attempt_at=started_long_ago)

    assert request_refresh(acme) is RefreshOutcome.ALREADY_RUNNING
    assert queued == []


def test_refresh_right_after_a_sync_is_cooled_down(acme, queued, settings):
    settings.SYNC_REFRESH_COOLDOWN_SECONDS = 30
    GreenhouseConnection.objects.filter(pk=acme.pk).update(last_attempt_at=timezone.now())
    assert request_refresh(acme) is RefreshOutcome.COOLDOWN
    assert queued == []


def test_refresh_waits_out_the_retry_after_greenhouse_asked_for(acme, queued, settings):
    """Asked again sooner, Greenhouse only rate limits longer: Refresh now queued a sync 30
    seconds after a 429 that asked for an hour."""
    settings.SYNC_REFRESH_COOLDOWN_SECONDS = 30
    now = timezone.now()
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        last_attempt_at=now - timedelta(minutes=1), greenhouse_wait_until=now + timedelta(hours=1)
    )

    assert request_refresh(acme) is RefreshOutcome.GREENHOUSE_WAIT
    assert queued == []


def test_connecting_a_board_again_queues_its_sync_within_greenhouses_wait(acme, queued):
    """The board was just checked, and Greenhouse answered: the wait is over for it."""
    wait_until = timezone.now() + timedelta(hours=1)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(greenhouse_wait_until=wait_until)

    assert request_refresh(acme, trigger=SyncRun.Trigger.CONNECT) is RefreshOutcome.QUEUED


def test_refresh_once_greenhouses_wait_has_passed_queues_one(acme, queued):
    past = timezone.now() - timedelta(seconds=1)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(greenhouse_wait_until=past)

    assert request_refresh(acme) is RefreshOutcome.QUEUED


def test_refresh_exactly_as_greenhouses_wait_ends_queues_one(acme, queued, monkeypatch):
    """As the schedule's next sync, due at that moment (next_sync_at <= now)."""
    now = timezone.now()
    monkeypatch.setattr("jobs.scheduling.timezone.now", lambda: now)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(greenhouse_wait_until=now)

    assert request_refresh(acme) is RefreshOutcome.QUEUED


def test_refresh_while_the_retry_runs_within_greenhouses_wait_says_it_runs(acme, queued):
    """The task's retry does not wait out a Retry-After longer than 15 minutes: Refresh now
    pressed while that retry runs says so, not that Greenhouse's wait holds it back."""
    acquire_sync_lock(acme)
    wait_until = timezone.now() + timedelta(minutes=45)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(greenhouse_wait_until=wait_until)

    assert request_refresh(acme) is RefreshOutcome.ALREADY_RUNNING
    assert queued == []


def test_refresh_exactly_the_cooldown_after_a_sync_queues_one(acme, queued, settings, monkeypatch):
    settings.SYNC_REFRESH_COOLDOWN_SECONDS = 30
    now = timezone.now()
    monkeypatch.setattr("jobs.scheduling.timezone.now", lambda: now)
    attempted = now - timedelta(seconds=30)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(last_attempt_at=attempted)

    assert request_refresh(acme) is RefreshOutcome.QUEUED


def test_refresh_with_the_broker_down_raises_a_clear_error_and_queues_nothing(acme, broker_down):
    with pytest.raises(BrokerUnavailable, match="not reachable"):
        request_refresh(acme)
    acme.refresh_from_db()
    assert acme.queued_at is None


# sync_plan: whether the sync a task's message asks for still runs, from the marks it carries.
# The connection is the org's as the task read it: unsaved, unless the plan reads the org's runs.
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = START + timedelta(minutes=3)
SKIPPED_AS_QUEUED_AGAIN = SyncToSkip(
    "the sync queued with this one's mark ran, or it was queued again"
)
SKIPPED_AS_RETRIED_BY_ANOTHER = SyncToSkip("another sync ran since the failure it was to retry")


def test_a_sync_carrying_no_marks_runs_with_the_trigger_it_was_sent_with():
    plan = sync_plan(GreenhouseConnection(), trigger=SyncRun.Trigger.MANUAL)
    assert plan == SyncToRun(trigger=SyncRun.Trigger.MANUAL, taking_over=None)


def test_a_queued_sync_runs_while_its_org_has_its_mark():
    org = GreenhouseConnection(queued_at=START)
    plan = sync_plan(org, trigger=SyncRun.Trigger.SCHEDULE, queued_at=START)
    assert plan == SyncToRun(trigger=SyncRun.Trigger.SCHEDULE)


@pytest.mark.parametrize("org_mark", [None, LATER], ids=["cleared", "queued again"])
def test_a_queued_sync_does_nothing_once_its_org_has_another_mark_or_none(org_mark):
    org = GreenhouseConnection(queued_at=org_mark)
    plan = sync_plan(org, trigger=SyncRun.Trigger.SCHEDULE, queued_at=START)
    assert plan == SKIPPED_AS_QUEUED_AGAIN


def test_a_queued_sync_whose_lease_taken_unseen_cleared_its_mark_takes_that_lease_over():
    org = GreenhouseConnection(queued_at=None, last_attempt_at=LATER)
    plan = sync_plan(
        org, trigger=SyncRun.Trigger.MANUAL, queued_at=START, lease_taken_at=LATER, taking_over=None
    )
    assert plan == SyncToRun(trigger=SyncRun.Trigger.MANUAL, taking_over=LATER)


def test_a_queued_sync_whose_start_is_no_longer_its_orgs_last_does_nothing():
    org = GreenhouseConnection(queued_at=None, last_attempt_at=LATER)
    plan = sync_plan(org, trigger=SyncRun.Trigger.MANUAL, queued_at=START, lease_taken_at=START)
    assert plan == SKIPPED_AS_QUEUED_AGAIN


def test_a_retry_of_a_failure_runs_as_a_retry_while_its_org_has_its_mark():
    org = GreenhouseConnection(retry_at=LATER, last_attempt_at=START)
    plan = sync_plan(org, trigger=SyncRun.Trigger.MANUAL, retry_at=LATER)
    assert plan == SyncToRun(trigger=SyncRun.Trigger.RETRY)


@pytest.mark.parametrize("org_mark", [None, LATER + timedelta(minutes=1)], ids=["cleared", "new"])
def test_a_retry_of_a_failure_does_nothing_once_its_org_has_another_mark_or_none(org_mark):
    org = GreenhouseConnection(retry_at=org_mark, last_attempt_at=START)
    plan = sync_plan(org, trigger=SyncRun.Trigger.MANUAL, retry_at=LATER)
    assert plan == SKIPPED_AS_RETRIED_BY_ANOTHER


def test_a_retry_of_a_failure_whose_lease_taken_unseen_cleared_its_mark_takes_it_over():
    org = GreenhouseConnection(retry_at=None, last_attempt_at=LATER)
    plan = sync_plan(org, trigger=SyncRun.Trigger.MANUAL, retry_at=START, lease_taken_at=LATER)
    assert plan == SyncToRun(trigger=SyncRun.Trigger.RETRY, taking_over=LATER)


def test_a_retry_of_a_lost_sync_takes_its_lease_over_while_its_start_is_the_orgs_last():
    org = GreenhouseConnection(last_attempt_at=START)
    plan = sync_plan(org, trigger=SyncRun.Trigger.RETRY, lease_taken_at=START)
    assert plan == SyncToRun(trigger=SyncRun.Trigger.RETRY, taking_over=START)


def test_a_retry_of_a_lost_sync_does_nothing_once_another_sync_has_started():
    org = GreenhouseConnection(last_attempt_at=LATER)
    plan = sync_plan(
        org,
        trigger=SyncRun.Trigger.RETRY,
        lease_taken_at=START,
        lost_sync_trigger=SyncRun.Trigger.MANUAL,
    )
    assert plan == SKIPPED_AS_RETRIED_BY_ANOTHER


@pytest.mark.parametrize("last", [START, LATER], ids=["the lost sync's", "the retry's"])
def test_a_retry_carrying_two_starts_takes_over_the_lease_of_whichever_is_the_orgs_last(last):
    """The retry that lost the database as it took the lost sync's lease over (at LATER)."""
    org = GreenhouseConnection(last_attempt_at=last)
    plan = sync_plan(org, trigger=SyncRun.Trigger.RETRY, lease_taken_at=LATER, taking_over=START)
    assert plan == SyncToRun(trigger=SyncRun.Trigger.RETRY, taking_over=last)


@pytest.mark.parametrize("run_written", [False, True], ids=["no run", "its run written"])
def test_a_retry_of_a_lost_sync_is_its_first_run_unless_the_lost_sync_wrote_one(acme, run_written):
    if run_written:
        SyncRun.objects.create(
            organization=acme.organization, trigger=SyncRun.Trigger.MANUAL, started_at=START
        )
    acme.last_attempt_at = START

    plan = sync_plan(
        acme,
        trigger=SyncRun.Trigger.RETRY,
        lease_taken_at=START,
        lost_sync_trigger=SyncRun.Trigger.MANUAL,
    )

    trigger = SyncRun.Trigger.RETRY if run_written else SyncRun.Trigger.MANUAL
    assert plan == SyncToRun(trigger=trigger, taking_over=START)


def test_a_retry_carrying_two_starts_finds_the_run_the_lost_sync_wrote_before_the_last_start(
    acme,
):
    """The lost sync started at START and wrote its run; the retry that took its lease over
    unseen, at LATER, wrote none."""
    SyncRun.objects.create(
        organization=acme.organization, trigger=SyncRun.Trigger.MANUAL, started_at=START
    )
    acme.last_attempt_at = LATER

    plan = sync_plan(
        acme,
        trigger=SyncRun.Trigger.RETRY,
        lease_taken_at=LATER,
        taking_over=START,
        lost_sync_trigger=SyncRun.Trigger.MANUAL,
    )

    assert plan == SyncToRun(trigger=SyncRun.Trigger.RETRY, taking_over=LATER)


def test_the_task_syncs_the_org(acme, fake_greenhouse):
    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()
    assert outcome.startswith("success")
    assert Job.objects.count() == len(fake_greenhouse.jobs("acme-robotics"))
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.MANUAL


def test_the_task_queued_by_a_later_release_syncs_without_the_arguments_it_does_not_know(
    acme, fake_greenhouse
):
    kwargs = {"trigger": SyncRun.Trigger.MANUAL, "added_by_a_later_release": True}
    outcome = tasks.sync_org.apply(args=(acme.pk,), kwargs=kwargs).get()
    assert outcome.startswith("success")
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.MANUAL


def test_a_scheduled_sync_an_earlier_release_queued_without_the_orgs_mark_runs(
    acme, fake_greenhouse
):
    """A rolling deploy: that release's dispatcher marked the org queued and sent its sync
    without the mark. Taken for a sync whose mark is gone, it would leave the org "Queued…"
    until the mark went stale (SYNC_QUEUED_STALE_SECONDS)."""
    GreenhouseConnection.objects.update(queued_at=timezone.now())
    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.SCHEDULE)).get()
    assert outcome.startswith("success")
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.SCHEDULE


def test_the_task_is_idempotent(acme, fake_greenhouse):
    tasks.sync_org.apply(args=(acme.pk,)).get()
    outcome = tasks.sync_org.apply(args=(acme.pk,)).get()
    assert outcome == "success: no changes"


def test_the_task_skips_a_paused_or_removed_connection(acme, fake_greenhouse):
    GreenhouseConnection.objects.filter(pk=acme.pk).update(enabled=False)
    assert tasks.sync_org.apply(args=(acme.pk,)).get().startswith("skipped")
    assert tasks.sync_org.apply(args=(999_999,)).get().startswith("skipped")
    assert not SyncRun.objects.exists()


def test_a_task_skipped_because_syncing_was_paused_is_no_longer_queued(acme, fake_greenhouse):
    """Refresh now, then Pause: once the task has run, Resume and Refresh now work at once."""
    assert request_refresh(acme) is RefreshOutcome.QUEUED
    GreenhouseConnection.objects.filter(pk=acme.pk).update(enabled=False)

    assert tasks.sync_org.apply(args=(acme.pk,)).get().startswith("skipped")

    acme.refresh_from_db()
    assert acme.queued_at is None


@pytest.mark.parametrize(
    "trigger", [SyncRun.Trigger.SCHEDULE, SyncRun.Trigger.MANUAL], ids=["scheduled", "refresh now"]
)
def test_a_task_whose_org_is_paused_as_it_takes_the_lease_syncs_nothing(
    acme, fake_greenhouse, queued, monkeypatch, trigger
):
    """Paused after the task read the org's row and before its lease: the lease's UPDATE reads
    the pause, and the task skips the org as one paused before it started. It synced it."""
    if trigger == SyncRun.Trigger.SCHEDULE:
        assert enqueue_due_syncs() == [acme.pk]
    else:
        assert request_refresh(acme) is RefreshOutcome.QUEUED
    [(args, kwargs)] = queued
    real_lock = jobs_sync.acquire_sync_lock

    def paused_then_locked(connection, **kwargs):
        connection_schedule_update(connection=acme, sync_interval_minutes=15, paused=True)
        return real_lock(connection, **kwargs)

    monkeypatch.setattr(jobs_sync, "acquire_sync_lock", paused_then_locked)

    outcome = tasks.sync_org.apply(args=args, kwargs=kwargs).get()

    assert outcome == "skipped: connection removed or paused"
    assert fake_greenhouse.request_count() == 0 and not SyncRun.objects.exists()
    paused = GreenhouseConnection.objects.get(pk=acme.pk)
    assert (paused.enabled, paused.last_attempt_at, paused.lock_expires_at) == (False, None, None)
    assert paused.queued_at is None  # Resume, then Refresh now, work at once


def test_a_retry_taking_over_its_own_lease_whose_org_is_paused_as_it_takes_it_syncs_nothing(
    acme, fake_greenhouse, monkeypatch
):
    """The retry of a sync that lost the database with its lease held may take that lease
    over, held or not, but not the lease of a paused org: the pause is read with the lease."""
    lost_start = timezone.now() - timedelta(seconds=30)
    assert acquire_sync_lock(acme, started_at=lost_start)
    real_lock = jobs_sync.acquire_sync_lock

    def paused_then_locked(connection, **kwargs):
        connection_schedule_update(connection=acme, sync_interval_minutes=15, paused=True)
        return real_lock(connection, **kwargs)

    monkeypatch.setattr(jobs_sync, "acquire_sync_lock", paused_then_locked)

    outcome = tasks.sync_org.apply(
        args=(acme.pk, SyncRun.Trigger.RETRY),
        kwargs={"lease_taken_at": lost_start.isoformat()},
    ).get()

    assert outcome == "skipped: connection removed or paused"
    assert fake_greenhouse.request_count() == 0 and not SyncRun.objects.exists()
    assert GreenhouseConnection.objects.get(pk=acme.pk).last_attempt_at == lost_start


@pytest.mark.parametrize(
    "trigger", [SyncRun.Trigger.SCHEDULE, SyncRun.Trigger.MANUAL], ids=["scheduled", "refresh now"]
)
def test_a_task_whose_org_is_paused_as_it_takes_the_lease_and_resumed_at_once_is_not_queued(
    acme, fake_greenhouse, queued, monkeypatch, trigger
):
    """Resumed before the refused lease's pause was read, the refusal is told as another
    sync's lease: the org kept the task's queue mark, which no lease had taken, and Refresh now
    was refused as queued, and the schedule held off, until the mark went stale."""
    if trigger == SyncRun.Trigger.SCHEDULE:
        assert enqueue_due_syncs() == [acme.pk]
    else:
        assert request_refresh(acme) is RefreshOutcome.QUEUED
    [(args, kwargs)] = queued
    real_lock, real_is_paused = jobs_sync.acquire_sync_lock, jobs_sync._is_paused

    def paused_then_locked(connection, **kwargs):
        connection_schedule_update(connection=acme, sync_interval_minutes=15, paused=True)
        return real_lock(connection, **kwargs)

    def resumed_then_read(connection):
        connection_schedule_update(connection=acme, sync_interval_minutes=15, paused=False)
        return real_is_paused(connection)

    monkeypatch.setattr(jobs_sync, "acquire_sync_lock", paused_then_locked)
    monkeypatch.setattr(jobs_sync, "_is_paused", resumed_then_read)

    tasks.sync_org.apply(args=args, kwargs=kwargs).get()

    resumed = GreenhouseConnection.objects.get(pk=acme.pk)
    assert (resumed.enabled, resumed.queued_at, resumed.lock_expires_at) == (True, None, None)
    assert fake_greenhouse.request_count() == 0 and not SyncRun.objects.exists()


def test_a_task_refused_the_lease_leaves_a_queue_mark_set_since_alone(
    acme, fake_greenhouse, queued, monkeypatch
):
    """Another sync took the lease, and its mark, and the org was queued again since: that
    mark is the sync queued since's, not the refused task's to clear."""
    assert request_refresh(acme) is RefreshOutcome.QUEUED
    [(args, kwargs)] = queued
    again = timezone.now() + timedelta(minutes=5)
    real_lock = jobs_sync.acquire_sync_lock

    def locked_and_queued_again(connection, **kwargs):
        other = GreenhouseConnection.objects.get(pk=acme.pk)
        assert real_lock(other)
        GreenhouseConnection.objects.update(queued_at=again)
        return real_lock(connection, **kwargs)

    monkeypatch.setattr(jobs_sync, "acquire_sync_lock", locked_and_queued_again)

    outcome = tasks.sync_org.apply(args=args, kwargs=kwargs).get()

    assert outcome == "locked: another sync of this org holds its lease"
    assert GreenhouseConnection.objects.get(pk=acme.pk).queued_at == again


def test_the_task_retries_transient_failures_with_backoff(acme, fake_greenhouse, retry_delays):
    fake_greenhouse.fail_next("acme-robotics", "status", times=100, status=503)

    tasks.sync_org.apply(args=(acme.pk,))

    assert len(retry_delays) == tasks.MAX_SYNC_RETRIES
    assert SyncRun.objects.filter(outcome=SyncRun.Outcome.FAILED).count() == len(retry_delays) + 1


def test_the_task_does_not_retry_a_board_over_the_size_cap(
    acme, fake_greenhouse, settings, monkeypatch
):
    # Minutes later the board is as large: each retry would read up to the cap (200 MB) again.
    settings.GREENHOUSE_MAX_RESPONSE_BYTES = 100_000
    fake_greenhouse.fail_next("acme-robotics", "oversized", times=100, size=500_000)
    retries = []
    monkeypatch.setattr(tasks.sync_org, "retry", lambda **kwargs: retries.append(kwargs))

    outcome = tasks.sync_org.apply(args=(acme.pk,)).get()

    assert retries == []
    assert outcome.startswith("failed: Greenhouse's response is larger than this site accepts")
    assert fake_greenhouse.request_count("acme-robotics") == 1
    acme.refresh_from_db()
    assert acme.retry_at is None and acme.state == GreenhouseConnection.State.FAILING


def test_a_retried_sync_is_recorded_as_a_retry_not_as_another_refresh_now(
    acme, fake_greenhouse, monkeypatch
):
    # The admin pressed Refresh now once: the history must not list four more presses.
    fake_greenhouse.fail_next("acme-robotics", "status", times=100, status=503)
    monkeypatch.setattr(tasks, "retry_delay", lambda *args: 0)
    tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL))

    triggers = list(SyncRun.objects.order_by("started_at", "pk").values_list("trigger", flat=True))
    assert triggers == [SyncRun.Trigger.MANUAL] + [SyncRun.Trigger.RETRY] * tasks.MAX_SYNC_RETRIES


@pytest.fixture
def retry_pending(acme, fake_greenhouse, monkeypatch) -> dict:
    """A sync failed and its task asked to be retried; the retry has not run yet."""
    fake_greenhouse.fail_next("acme-robotics", "status", times=100, status=503)
    asked = retry_asked_for(monkeypatch, acme.pk, SyncRun.Trigger.MANUAL)
    fake_greenhouse.reset_faults()
    return asked


def test_a_pending_retry_shows_as_the_next_sync(acme, retry_pending):
    acme.refresh_from_db()
    retry_at = acme.retry_at

    status = sync_status(organization=acme.organization)

    assert retry_at == datetime.fromisoformat(retry_pending["kwargs"]["retry_at"])
    in_countdown = timezone.now() + timedelta(seconds=retry_pending["countdown"])
    assert abs(retry_at - in_countdown) < timedelta(seconds=5)
    said = wait_end_text(retry_at)  # under a minute away
    assert status["next_sync_text"] == f"{said}, a retry after the failure"


def test_a_retry_does_nothing_once_another_sync_has_run_since_the_failure(
    acme, retry_pending, fake_greenhouse
):
    # Refresh now during an outage starts a sync of its own: the old chain of retries ends.
    tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()
    runs, requests = SyncRun.objects.count(), fake_greenhouse.request_count()

    outcome = tasks.sync_org.apply(
        args=(acme.pk, SyncRun.Trigger.MANUAL), kwargs=retry_pending["kwargs"], retries=1
    ).get()

    assert outcome == "skipped: another sync ran since the failure it was to retry"
    assert (SyncRun.objects.count(), fake_greenhouse.request_count()) == (runs, requests)


def test_a_retry_still_pending_runs(acme, retry_pending):
    outcome = tasks.sync_org.apply(
        args=(acme.pk, SyncRun.Trigger.MANUAL), kwargs=retry_pending["kwargs"], retries=1
    ).get()
    acme.refresh_from_db()
    assert outcome.startswith("success") and acme.retry_at is None
    assert SyncRun.objects.latest("started_at").trigger == SyncRun.Trigger.RETRY


def test_the_dispatcher_leaves_a_pending_retry_to_run_alone(acme, retry_pending, queued):
    GreenhouseConnection.objects.update(next_sync_at=timezone.now())  # its interval is up too
    assert enqueue_due_syncs() == []
    GreenhouseConnection.objects.update(retry_at=timezone.now() - timedelta(seconds=1))  # lost
    assert enqueue_due_syncs() == [acme.pk]


def test_a_retry_whose_worker_died_is_run_again_once_its_lease_ends(
    acme, retry_pending, queued, monkeypatch
):
    """Killed mid-sync (SIGKILL, out of memory), the retry records no next time; the org must
    not wait for the one its failure set, an interval away."""
    dying = GreenhouseConnection.objects.get(pk=acme.pk)
    set_by_the_failure = dying.next_sync_at
    lease = acquire_sync_lock(dying)  # what the retry's sync wrote before its worker died
    dead_run = start_sync_run(dying, trigger=SyncRun.Trigger.RETRY)
    # The broker gives its task back at once (a killed pool process): it finds the lease held.
    redelivered = (acme.pk, SyncRun.Trigger.MANUAL)
    tasks.sync_org.apply(args=redelivered, kwargs=retry_pending["kwargs"], retries=1).get()
    assert SyncRun.objects.latest("started_at") == dead_run
    assert enqueue_due_syncs() == []

    monkeypatch.setattr(timezone, "now", lambda: lease + timedelta(seconds=1))

    assert timezone.now() < set_by_the_failure
    assert enqueue_due_syncs() == [acme.pk]
    [(args, kwargs)] = queued
    outcome = tasks.sync_org.apply(args=args, kwargs=kwargs).get()
    dead_run.refresh_from_db()
    assert outcome.startswith("success") and dead_run.outcome == SyncRun.Outcome.INTERRUPTED


def test_a_failure_marks_no_retry_over_a_sync_that_started_after_it(
    acme, fake_greenhouse, monkeypatch
):
    """Refresh now (or the schedule) starts a sync between the failed one's end and its task
    asking for a retry: that sync's state is not the failure's to mark, and no retry follows."""
    fake_greenhouse.fail_next("acme-robotics", "status", times=100, status=503)
    sync_organization = tasks.sync_organization

    def fail_then_refresh_now(connection, **kwargs):
        failed = sync_organization(connection, **kwargs)
        fake_greenhouse.reset_faults()
        sync_organization(GreenhouseConnection.objects.get(pk=acme.pk), trigger="manual")
        return failed

    monkeypatch.setattr(tasks, "sync_organization", fail_then_refresh_now)
    monkeypatch.setattr(tasks, "retry_delay", lambda *args: 60)

    outcome = tasks.sync_org.apply(args=(acme.pk,)).get()

    acme.refresh_from_db()
    assert outcome.startswith("failed: Greenhouse is having trouble (HTTP 503)")
    assert outcome.endswith("(not retried: another sync started since)")
    assert acme.retry_at is None and acme.state == GreenhouseConnection.State.OK
    assert SyncRun.objects.count() == 2  # the failure and Refresh now's sync, no retry
    assert sync_status(organization=acme.organization)["next_sync_text"] == moment_text(
        acme.next_sync_at
    )


def test_a_sync_abandoned_with_its_lease_is_tried_again_by_the_schedule(acme, queued, monkeypatch):
    # Its message says the sync will try again: the task does not, but the org is still due.
    monkeypatch.setattr("jobs.sync._lease_held", lambda connection, lease: False)  # it ran out
    result = tasks.sync_organization(acme, trigger=SyncRun.Trigger.SCHEDULE)
    assert result.error.endswith(WILL_TRY_AGAIN) and not result.transient

    assert enqueue_due_syncs() == [acme.pk]


def test_the_task_does_not_retry_an_invalid_token(acme, fake_greenhouse, monkeypatch):
    fake_greenhouse.remove_board("acme-robotics")
    result = tasks.sync_org.apply(args=(acme.pk,))
    assert result.get().startswith("failed")
    assert SyncRun.objects.count() == 1


def test_retry_delays_grow_have_jitter_and_respect_retry_after():
    first = [tasks.retry_delay(0) for _ in range(50)]
    third = [tasks.retry_delay(2) for _ in range(50)]
    assert max(first) <= tasks.RETRY_BASE_SECONDS < min(third) * 2
    assert len(set(first)) > 1
    assert tasks.retry_delay(0, retry_after=120) == 120
    assert tasks.retry_delay(20) <= tasks.RETRY_MAX_SECONDS
    # Up to the longest backoff: Celery cannot schedule 1e14 s, and a longer wait is the schedule's.
    assert tasks.retry_delay(0, retry_after=1e14) == tasks.RETRY_MAX_SECONDS


@pytest.mark.parametrize(
    ("retries", "shortest", "longest"), [(0, 15, 30), (1, 30, 60), (2, 60, 120), (3, 120, 240)]
)
def test_each_retry_waits_within_the_span_the_readme_gives(retries, shortest, longest):
    # "up to 4 more times, 15-30 seconds, 30-60 seconds, 1-2 and 2-4 minutes apart" (README).
    delays = [tasks.retry_delay(retries) for _ in range(200)]

    assert shortest <= min(delays) and max(delays) <= longest
    assert tasks.MAX_SYNC_RETRIES == 4


def test_the_task_waits_at_least_as_long_as_greenhouse_asked(acme, fake_greenhouse, monkeypatch):
    """A Retry-After too long to wait within the fetch is the task's to honour."""
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", times=100, retry_after="600")
    retries = []
    monkeypatch.setattr(tasks.sync_org, "retry", lambda **kwargs: retries.append(kwargs) or Retry())

    tasks.sync_org.apply(args=(acme.pk,))

    [retry] = retries
    assert retry["countdown"] >= 600
    acme.refresh_from_db()
    assert acme.retry_at >= timezone.now() + timedelta(seconds=590)


def test_a_retry_after_longer_than_the_task_waits_is_left_to_the_schedule(
    acme, fake_greenhouse, monkeypatch, settings
):
    """Retried 15 minutes later, the sync asked a Greenhouse that had asked for an hour, and
    the page said "Next sync: 07:55, a retry after the failure" as Refresh now said to wait."""
    settings.GREENHOUSE_RETRIES = 0
    now = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", retry_after="3600")
    retries = []
    monkeypatch.setattr(tasks.sync_org, "retry", lambda **kwargs: retries.append(kwargs) or Retry())

    outcome = tasks.sync_org.apply(args=(acme.pk,)).get()

    wait_until = now + timedelta(hours=1)
    assert retries == [] and outcome.endswith(
        f"(not retried: Greenhouse asked to wait until {wait_until.isoformat()}; the schedule "
        "syncs it then)"
    )
    acme.refresh_from_db()
    assert (acme.retry_at, acme.next_sync_at) == (None, wait_until)
    # Named as Refresh now names the wait's end: the second it is over in.
    assert sync_status(organization=acme.organization)["next_sync_text"] == wait_end_text(
        wait_until
    )


def test_a_failure_naming_no_wait_is_retried_at_the_end_of_greenhouses_earlier_wait(
    acme, fake_greenhouse, monkeypatch
):
    """A timeout or a 500 within a wait Greenhouse asked for keeps it (jobs.sync): retried 15-30
    seconds later, its sync asked Greenhouse within that wait. (A board connected again within
    the wait has its first try synced in it.)"""
    now = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    wait_until = now + timedelta(minutes=10)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(greenhouse_wait_until=wait_until)
    fake_greenhouse.fail_next("acme-robotics", "status", times=100, status=500)
    retries = []
    monkeypatch.setattr(tasks.sync_org, "retry", lambda **kwargs: retries.append(kwargs) or Retry())

    tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.CONNECT))

    [retry] = retries
    assert retry["countdown"] == 600
    acme.refresh_from_db()
    assert acme.retry_at == wait_until


def test_the_retry_of_a_board_just_connected_is_put_off_within_greenhouses_wait(
    acme, fake_greenhouse, monkeypatch
):
    """Only a board's first sync runs within a wait Greenhouse asked for: the retry of its
    failure, which carries its trigger, come a second early (run by a worker whose clock is
    behind), asks Greenhouse nothing before the wait's end."""
    clock = [timezone.now()]
    monkeypatch.setattr("django.utils.timezone.now", lambda: clock[0])
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", times=1, retry_after="120")
    asked = retry_asked_for(monkeypatch, acme.pk, SyncRun.Trigger.CONNECT)
    acme.refresh_from_db()
    wait_until = acme.greenhouse_wait_until
    assert asked["countdown"] == 120 and acme.retry_at == wait_until
    clock[0] = wait_until - timedelta(seconds=1)

    outcome = tasks.sync_org.apply(
        args=(acme.pk, SyncRun.Trigger.CONNECT), kwargs=asked["kwargs"]
    ).get()

    assert outcome.startswith("put off: ") and fake_greenhouse.request_count() == 1
    acme.refresh_from_db()
    assert (acme.retry_at, acme.next_sync_at) == (None, wait_until)


@pytest.mark.parametrize(
    ("retry_after", "waits"),
    [
        ("600", timedelta(minutes=10)),  # longer than the interval: as Greenhouse asked
        ("60", timedelta(minutes=5)),  # shorter: the interval
        ("99999999999", timedelta(hours=6)),  # as urllib3 reads any longer wait
    ],
)
def test_a_sync_not_retried_is_scheduled_no_sooner_than_greenhouse_asked(
    acme, fake_greenhouse, settings, retry_after, waits
):
    # As sync_jobs runs one, or a task its last try: due again an interval later, the schedule
    # asked Greenhouse sooner than it said, where the task's retry waits for its Retry-After.
    settings.GREENHOUSE_RETRIES = 0
    GreenhouseConnection.objects.filter(pk=acme.pk).update(sync_interval_minutes=5)
    acme.refresh_from_db()
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", retry_after=retry_after)

    before = timezone.now()
    result = tasks.sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    assert not result.ok
    acme.refresh_from_db()
    assert before + waits <= acme.next_sync_at <= timezone.now() + waits


@pytest.mark.parametrize("paused_meanwhile", [False, True], ids=["new interval", "resumed"])
def test_a_new_schedule_waits_out_the_retry_after_of_the_last_failure(
    acme, fake_greenhouse, settings, paused_meanwhile
):
    # Counted from the last attempt alone, the schedule asked Greenhouse again sooner than its
    # Retry-After said.
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", retry_after="7200")
    before = timezone.now()
    assert not tasks.sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    if paused_meanwhile:
        connection_schedule_update(connection=acme, sync_interval_minutes=60, paused=True)

    connection_schedule_update(connection=acme, sync_interval_minutes=30, paused=False)

    assert acme.next_sync_at >= before + timedelta(hours=2)


def test_a_failure_without_retry_after_keeps_the_wait_greenhouse_asked_for(
    acme, fake_greenhouse, settings
):
    # A retry's timeout or 500 does not say Greenhouse will answer sooner: clearing the wait,
    # the schedule (and a new interval) asked it again an interval after that failure.
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", retry_after="7200")
    before = timezone.now()
    assert not tasks.sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    fake_greenhouse.fail_next("acme-robotics", "status", status=500)
    assert not tasks.sync_organization(acme, trigger=SyncRun.Trigger.MANUAL).ok

    acme.refresh_from_db()
    assert acme.next_sync_at >= before + timedelta(hours=2)
    connection_schedule_update(connection=acme, sync_interval_minutes=30, paused=False)
    assert acme.next_sync_at >= before + timedelta(hours=2)


def test_a_new_schedule_reads_the_wait_from_the_row_not_the_page(acme, fake_greenhouse, settings):
    # The settings page read the connection before a sync failed with a Retry-After: counted
    # from what it read, the next sync came an interval after the attempt before.
    settings.GREENHOUSE_RETRIES = 0
    as_the_page_read_it = GreenhouseConnection.objects.get(pk=acme.pk)
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", retry_after="7200")
    before = timezone.now()
    assert not tasks.sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok

    connection_schedule_update(
        connection=as_the_page_read_it, sync_interval_minutes=30, paused=False
    )

    assert as_the_page_read_it.next_sync_at >= before + timedelta(hours=2)


def test_a_success_rolled_back_keeps_the_wait_greenhouse_asked_for(
    acme, fake_greenhouse, settings, monkeypatch
):
    # The success cleared the wait on the sync's copy of the connection before its transaction
    # was rolled back; the failure then recorded took that copy's word for it.
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", retry_after="7200")
    before = timezone.now()
    assert not tasks.sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    fake_greenhouse.jobs("acme-robotics").pop()  # a change, applied in a transaction
    record = jobs_sync._update_connection

    def recorded_then_crash(*args, **kwargs):
        record(*args, **kwargs)
        if "last_success_at" in kwargs:
            raise RuntimeError("stopped while recording the success")

    monkeypatch.setattr(jobs_sync, "_update_connection", recorded_then_crash)

    assert not tasks.sync_organization(acme, trigger=SyncRun.Trigger.MANUAL).ok

    acme.refresh_from_db()
    assert acme.next_sync_at >= before + timedelta(hours=2)


def test_a_failure_keeps_the_wait_of_a_sync_its_connection_object_predates(
    acme, fake_greenhouse, settings
):
    settings.GREENHOUSE_RETRIES = 0
    read_before = GreenhouseConnection.objects.get(pk=acme.pk)
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", retry_after="7200")
    before = timezone.now()
    assert not tasks.sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    fake_greenhouse.fail_next("acme-robotics", "status", status=500)

    assert not tasks.sync_organization(read_before, trigger=SyncRun.Trigger.MANUAL).ok

    acme.refresh_from_db()
    assert acme.next_sync_at >= before + timedelta(hours=2)


def test_a_new_schedule_after_a_success_counts_from_the_last_attempt(
    acme, fake_greenhouse, settings
):
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", retry_after="7200")
    assert not tasks.sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    assert tasks.sync_organization(acme, trigger=SyncRun.Trigger.MANUAL).ok  # Refresh now

    connection_schedule_update(connection=acme, sync_interval_minutes=30, paused=False)

    assert acme.next_sync_at == acme.last_attempt_at + timedelta(minutes=30)


def test_the_task_does_not_retry_a_token_greenhouse_could_never_accept(
    acme, fake_greenhouse, monkeypatch
):
    """One written into the database by hand: no request is made, and none would ever help."""
    GreenhouseConnection.objects.filter(pk=acme.pk).update(board_token="acme robotics!")
    retries = []
    monkeypatch.setattr(tasks.sync_org, "retry", lambda **kwargs: retries.append(kwargs) or Retry())

    outcome = tasks.sync_org.apply(args=(acme.pk,)).get()

    assert outcome.startswith("failed") and retries == []
    assert fake_greenhouse.request_count() == 0
