"""Deciding when syncs run: the beat dispatcher's query, the Refresh now button, and whether a
sync the task was asked for still runs (sync_plan)."""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import Task
from django.conf import settings
from django.db import connection as db_connection
from django.db.models import Q
from django.db.models.sql.subqueries import UpdateQuery
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from jobs.models import GreenhouseConnection, SchedulerHeartbeat, SyncRun

logger = logging.getLogger(__name__)

# Publishing must fail fast in a web request when the broker is down, not hang.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}


# The syncs one message of the dispatcher's carries: 5,000 due orgs are 20 messages, and a
# worker publishes a batch's syncs in a fraction of a second.
SYNCS_PER_BATCH = 250

# What publishing a task raises when the broker cannot be reached.
BROKER_ERRORS = (BrokerError, ConnectionError, OSError)


# Refresh now sends another sync when the one queued has waited this long without starting: a
# Redis that restarted empty has lost it, and the dispatcher waits SYNC_QUEUED_STALE_SECONDS
# before it takes the mark as lost (Refresh now waits no longer than it: request_refresh). In a
# real backlog, the first sync, which carries the mark this one replaced, does nothing once it
# comes (enqueue_claimed_syncs).
REFRESH_RESEND_AFTER = timedelta(minutes=2)


class BrokerUnavailable(Exception):
    """The task queue cannot be reached, so nothing was queued."""

    message = (
        "The job queue is not reachable right now, so the sync was not queued. Try again shortly."
    )


class RefreshOutcome(enum.Enum):
    QUEUED = "queued"
    ALREADY_QUEUED = "already_queued"
    ALREADY_RUNNING = "running"
    COOLDOWN = "cooldown"
    GREENHOUSE_WAIT = "greenhouse_wait"  # the wait Greenhouse asked for (Retry-After) is not over
    DISCONNECTED = "disconnected"  # the connection was deleted after the caller read it


def _not_queued(now: datetime, *, lost_after: timedelta | None = None) -> Q:
    stale = now - (lost_after or timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS))
    return Q(queued_at__isnull=True) | Q(queued_at__lt=stale)


def _publish(
    task: Task,
    args: tuple[object, ...],
    kwargs: dict[str, object] | None = None,
    *,
    unsent: Collection[int],
    queued_at: datetime | None = None,
) -> None:
    """Publish `task`; if the broker cannot be reached, clear the queue marks of `unsent`, the
    orgs whose syncs are then not queued (only those still marked at `queued_at`, if given: a
    mark set since is another sync's), and raise BrokerUnavailable."""
    try:
        task.apply_async(args, kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except BROKER_ERRORS as exc:
        logger.error(
            "broker unavailable, sync not queued connection=%s unsent=%d error=%r",
            next(iter(unsent)),
            len(unsent),
            exc,
        )
        marked = GreenhouseConnection.objects.filter(pk__in=unsent)
        if queued_at is not None:
            marked = marked.filter(queued_at=queued_at)
        marked.update(queued_at=None)
        raise BrokerUnavailable(BrokerUnavailable.message) from exc


def retry_schedule(
    connection_id: int, *, attempt_starts: Collection[datetime], delay_seconds: float
) -> datetime | None:
    """Note when the task retries the org's failed sync, the one that started at one of
    `attempt_starts` (a sync that lost the answer as it took the lease may or may not have
    taken it: its own start or that of the sync whose lease it took over is the last); returns
    that time, the retry's mark.

    None, marking nothing, if another sync has started since (Refresh now or the schedule
    after the failed one released its lease, or one that took its lease over): the org's
    state is that sync's, and its own retries, if any, follow it. Marked anyway, the retry
    would hold off the dispatcher and run after that sync, a success included.
    """
    retry_at = timezone.now() + timedelta(seconds=delay_seconds)
    marked = GreenhouseConnection.objects.filter(
        pk=connection_id, last_attempt_at__in=attempt_starts
    ).update(retry_at=retry_at)
    return retry_at if marked else None


def retry_is_pending(connection: GreenhouseConnection, retry_at: datetime) -> bool:
    """False once another sync has started since the retry was scheduled (it cleared the mark),
    or another failure scheduled a retry of its own."""
    return connection.retry_at == retry_at


@dataclass(frozen=True)
class SyncToRun:
    """Run the sync, its run recorded with `trigger`, taking over the lease of the sync that
    started at `taking_over`, an earlier try of this one (None: the lease must be free)."""

    trigger: str
    taking_over: datetime | None = None


@dataclass(frozen=True)
class SyncToSkip:
    """Run nothing: another sync did, or does, this one's work; `reason` says which."""

    reason: str


@dataclass(frozen=True)
class SyncToPutOff:
    """Run nothing before `until`, the end of the wait Greenhouse asked the org's syncs for: the
    schedule syncs the org then (a Refresh now ahead of it: at its next time). `own_start`: the
    start of an earlier try of this sync, still the org's last, whose lease it would have taken
    over (None: none)."""

    until: datetime
    own_start: datetime | None = None


def sync_plan(
    connection: GreenhouseConnection,
    *,
    trigger: str,
    queued_at: datetime | None = None,
    retry_at: datetime | None = None,
    lease_taken_at: datetime | None = None,
    taking_over: datetime | None = None,
    lost_sync_trigger: str | None = None,
    database_retries: int = 0,
) -> SyncToRun | SyncToSkip | SyncToPutOff:
    """Whether a sync the task (jobs.tasks.sync_org) was asked for still runs, from the marks
    its message carries and the wait Greenhouse asked the org's syncs for, and if so with which
    trigger and over which lease.

    The marks: `queued_at`, the org's queue mark the dispatcher or Refresh now sent it with;
    `retry_at`, the org's retry mark of the failure it retries; `lease_taken_at` and
    `taking_over`, the starts of an earlier try that lost the database as it took the lease or
    after; `lost_sync_trigger`, the trigger of a sync that lost the database after it took the
    lease, which its retry (`trigger` RETRY) records should that sync have written no run.
    Reads the database only for that last one. `database_retries`: how many tries of this sync
    lost the database before this one (the retry of a try that never took the lease carries
    its trigger, a board's first sync's too).
    """
    # A try that lost the database as it took the lease, or after: while its start is still the
    # org's last, no other sync has started since, and its lease is this one's. A retry that
    # lost the database as it took such a lease over carries both starts: the lost sync's is
    # still the last unless the retry's UPDATE took the lease.
    own_starts = {start for start in (lease_taken_at, taking_over) if start is not None}
    own_start = connection.last_attempt_at if connection.last_attempt_at in own_starts else None
    # A queued sync that holds no lease runs only while the org still has its mark: a second
    # copy of it (sent twice) finds the mark cleared by the first copy's lease, and one queued
    # again once the mark went stale finds the new mark, whose sync runs instead. So does the
    # retry of one that lost the database as it took the lease, once the start it carries is
    # not the org's last: its UPDATE did not take the lease, or another sync has started since.
    if queued_at is not None and own_start is None and connection.queued_at != queued_at:
        return SyncToSkip("the sync queued with this one's mark ran, or it was queued again")
    # A retry of a failure: one the task marked (retry_at), or of a sync that lost the database
    # after it took the lease. If Refresh now or the schedule ran a sync since, it does
    # nothing: that sync's own retries, if any, follow it.
    retrying_failure = retry_at is not None or trigger == SyncRun.Trigger.RETRY
    still_pending = own_start is not None or (
        retry_at is not None and retry_is_pending(connection, retry_at)
    )
    if retrying_failure and not still_pending:
        return SyncToSkip("another sync ran since the failure it was to retry")
    # Asked before its Retry-After has passed, Greenhouse only rate limits longer, every org's
    # syncs: a retry that lost the database before it could read the wait, or a message
    # queued before the wait began, waits for the schedule, as the dispatcher does. A board
    # just connected was checked, and answered, meanwhile (request_refresh): its first try
    # runs within the wait, not its retries, of a failure or of a try that lost the database
    # (a try that read the wait queues its retry for the wait's end: tasks.sync_retry_delay).
    wait_until = connection.greenhouse_wait_until
    just_connected = (
        trigger == SyncRun.Trigger.CONNECT and not retrying_failure and not database_retries
    )
    if wait_until is not None and wait_until > timezone.now() and not just_connected:
        return SyncToPutOff(until=wait_until, own_start=own_start)
    # A retry of a failure is the task asking again by itself, not another press of Refresh
    # now; one of a sync that never started, or that lost the database before it wrote its
    # run, is its first run.
    if lost_sync_trigger and own_start is not None and _no_run_since(connection, min(own_starts)):
        return SyncToRun(trigger=lost_sync_trigger, taking_over=own_start)
    return SyncToRun(
        trigger=SyncRun.Trigger.RETRY if retrying_failure else trigger, taking_over=own_start
    )


def _no_run_since(connection: GreenhouseConnection, first_start: datetime) -> bool:
    """Whether the org has recorded no run since `first_start`, the first of the tries of a
    sync that lost the database: while one of them is its last start, no other sync started
    since, and each writes its run after it starts."""
    runs = SyncRun.objects.filter(organization_id=connection.organization_id)
    return not runs.filter(started_at__gte=first_start).exists()


def queued_marker_clear(connection_id: int, *, queued_at: datetime | None = None) -> bool:
    """No sync of this org waits in the queue any more (it was not sent, or ran as a no-op);
    `queued_at`: only while the org's mark is still the one set then, not another sync's.
    Returns whether a mark was cleared."""
    marked = GreenhouseConnection.objects.filter(pk=connection_id, queued_at__isnull=False)
    if queued_at is not None:
        marked = marked.filter(queued_at=queued_at)
    return bool(marked.update(queued_at=None))


def request_refresh(
    connection: GreenhouseConnection, *, trigger: SyncRun.Trigger = SyncRun.Trigger.MANUAL
) -> RefreshOutcome:
    """Queue a sync now unless one was queued in the last minutes, runs, or was just attempted,
    or, for Refresh now, Greenhouse asked to be left alone until later; its run is recorded with
    `trigger` (Refresh now, unless a board was just connected).

    Call it outside a transaction: the sync carries the queue mark written here, and a worker
    that took it before the mark was committed would find the org marked otherwise and skip it.
    """
    now = timezone.now()
    cooldown_start = now - timedelta(seconds=settings.SYNC_REFRESH_COOLDOWN_SECONDS)
    # Never later than the dispatcher: with SYNC_QUEUED_STALE_SECONDS under 2 minutes, the
    # pages said the sync had not started and that Refresh now could queue it again, and
    # Refresh now answered that one was already queued.
    lost_after = min(REFRESH_RESEND_AFTER, timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS))
    claimable = (
        GreenhouseConnection.objects.filter(pk=connection.pk)
        .filter(_not_queued(now, lost_after=lost_after))
        .filter(GreenhouseConnection.unlocked(now))
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=cooldown_start))
    )
    # Asked again before its Retry-After has passed, Greenhouse only rate limits longer, and
    # every org's syncs with it. A board just connected was checked, and answered, meanwhile.
    waits = trigger == SyncRun.Trigger.MANUAL
    if waits:
        claimable = claimable.exclude(greenhouse_wait_until__gt=now)
    claimed = claimable.update(queued_at=now)
    if claimed:
        enqueue_claimed_syncs([connection.pk], claimed_at=now, trigger=trigger)
        connection.queued_at = now
        return RefreshOutcome.QUEUED
    try:
        connection.refresh_from_db()
    except GreenhouseConnection.DoesNotExist:
        return RefreshOutcome.DISCONNECTED  # by a disconnect or org deletion in another request
    if connection.is_locked(now):
        return RefreshOutcome.ALREADY_RUNNING
    # A mark past SYNC_QUEUED_STALE_SECONDS is a sync the pages say has not started and that
    # Refresh now can queue again: refused for a wait Greenhouse asked for, or the cooldown,
    # it was told "A sync is already queued" of it, which named neither.
    stale_before = now - timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS)
    if connection.queued_at is not None and connection.queued_at > stale_before:
        return RefreshOutcome.ALREADY_QUEUED
    wait_until = connection.greenhouse_wait_until
    if waits and wait_until is not None and wait_until > now:
        return RefreshOutcome.GREENHOUSE_WAIT
    return RefreshOutcome.COOLDOWN


def enqueue_due_syncs(*, limit: int = 5000) -> list[int]:
    """Queue a sync for every enabled connection whose interval has passed; returns their ids.

    One UPDATE finds them and marks them queued, so a slow worker pool does not get the same org
    queued again on the next tick. An org whose sync is running is left alone too: its interval
    restarts only when that sync ends. The syncs go out in batches of SYNCS_PER_BATCH, one
    jobs.tasks.queue_claimed_syncs each, which a worker publishes: each message costs the tick
    about a millisecond, and 5,000 of them took it 4.8-5.8 s.
    """
    from jobs.tasks import queue_claimed_syncs  # the task module imports this one

    now = timezone.now()
    due = due_connections_claim(now=now, limit=limit)
    for start in range(0, len(due), SYNCS_PER_BATCH):
        batch = due[start : start + SYNCS_PER_BATCH]
        _publish(queue_claimed_syncs, (batch, now.isoformat()), unsent=due[start:], queued_at=now)
    logger.info("dispatcher queued syncs count=%d", len(due))
    return due


def enqueue_claimed_syncs(
    connection_ids: Sequence[int], *, claimed_at: datetime, trigger: str
) -> None:
    """Queue the sync of each org marked queued at `claimed_at`: one batch of a dispatcher's
    tick (jobs.tasks.queue_claimed_syncs), or the org whose Refresh now marked it.

    Each sync carries the mark, and runs only while the org still has it (sync_plan):
    one sent twice (this batch run again, its worker lost; a message delivered again) finds
    the mark taken by the first copy, which took the lease, and one queued again once its
    mark went stale (Refresh now pressed again, the dispatcher's next tick) finds the new
    mark; either does nothing.
    """
    from jobs.tasks import sync_org  # the task module imports this one

    for index, connection_id in enumerate(connection_ids):
        _publish(
            sync_org,
            (connection_id, trigger),
            {"queued_at": claimed_at.isoformat()},
            unsent=connection_ids[index:],
            queued_at=claimed_at,
        )


def due_connections_claim(*, now: datetime, limit: int) -> list[int]:
    """Mark queued at `now` up to `limit` due connections, those due longest; returns their ids.

    One statement with no list of ids in it (UPDATE … WHERE id IN (SELECT … LIMIT) RETURNING
    id): turning the 5,000 ids a SELECT had read into the UPDATE's SQL (Django's IN lookup,
    then psycopg quoting each one) took a third to a half of PostgreSQL's tick.
    """
    # An org whose failed sync the task retries soon is left to that retry, and one Greenhouse
    # asked to wait (Retry-After) to the wait's end: whatever made it due sooner (a stopped
    # sync, a lease run out), asked again Greenhouse only rate limits longer, every org's syncs.
    free = (
        _not_queued(now)
        & GreenhouseConnection.unlocked(now)
        & (Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        & (Q(greenhouse_wait_until__isnull=True) | Q(greenhouse_wait_until__lte=now))
    )
    due = (
        GreenhouseConnection.objects.filter(enabled=True, next_sync_at__lte=now)
        .filter(free)
        .order_by("next_sync_at")
        .values("pk")[:limit]
    )
    # The UPDATE checks `free` again on each row it marks: a tick running beside this one (a
    # second beat, a slow tick) may have marked it since the subquery read it, and PostgreSQL
    # re-evaluates the condition on the row that tick wrote. Only what this tick marked is
    # returned. QuerySet.update() returns a count, so its query is compiled here with RETURNING.
    claim = GreenhouseConnection.objects.filter(free, pk__in=due).query.chain(UpdateQuery)
    claim.add_update_values({"queued_at": now})
    sql, params = claim.get_compiler(using=db_connection.alias).as_sql()
    pk = db_connection.ops.quote_name(GreenhouseConnection._meta.pk.column)
    with db_connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {pk}", params)
        # In id order: reading next_sync_at back to sort by it cost 25 ms at 5,000 (Django
        # reads PostgreSQL's timestamps in Python).
        return sorted(connection_id for (connection_id,) in cursor.fetchall())


def scheduler_tick_record(*, now: datetime | None = None) -> datetime:
    """Note that beat's dispatcher ran, for /healthz.

    Called before anything is queued, so a broker outage still shows beat alive and the broker's
    own check failing, rather than both looking dead.
    """
    now = now or timezone.now()
    SchedulerHeartbeat.objects.update_or_create(
        pk=SchedulerHeartbeat.SINGLETON_PK, defaults={"last_tick_at": now}
    )
    return now
