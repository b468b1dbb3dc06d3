"""Celery tasks: they take ids and call the sync, scheduling and maintenance functions.

sync_org and release_sync_lease hold more than a call: each retries a try that lost the
database, and sync_org retries a sync that failed for a while. Whether its sync still has to run,
from the marks its message carries, or waits for the end of a wait Greenhouse asked for, is
jobs.scheduling.sync_plan's to say.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import NoReturn

from celery import Task, shared_task
from celery.exceptions import Reject, SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from jobs.maintenance import (
    expired_invitations_prune,
    expired_sessions_prune,
    sync_runs_prune,
)
from jobs.models import GreenhouseConnection, SyncRun
from jobs.scheduling import (
    SyncToPutOff,
    SyncToSkip,
    enqueue_claimed_syncs,
    enqueue_due_syncs,
    queued_marker_clear,
    retry_schedule,
    scheduler_tick_record,
    sync_plan,
)
from jobs.sync import (
    DATABASE_LOST_ERRORS,
    WORKER_STOPS,
    SyncResult,
    deferred_health_email_send,
    failed_sync_retry_lost,
    is_schema_mismatch,
    lease_release_options,
    lost_retry_org_due,
    reconnect_after_database_error,
    sync_lease_release,
    sync_organization,
    worker_stopped_sync_end,
)
from orgsite.database import database_failure_said, database_refusal

logger = logging.getLogger(__name__)

MAX_SYNC_RETRIES = 4
RETRY_BASE_SECONDS = 30
# The longest the task waits to retry a failed sync. A worker holds a retry until it is due,
# and Redis hands a task held past CELERY_VISIBILITY_TIMEOUT (an hour) to another worker too:
# a longer wait Greenhouse asked for is left to the schedule, which waits it out
# (jobs.sync._record_failure).
RETRY_MAX_SECONDS = 15 * 60


def retry_delay(retries: int, retry_after: float | None = None) -> float:
    """Exponential backoff, each wait drawn between half and all of it, never sooner than
    `retry_after`, the wait Greenhouse asked for, up to RETRY_MAX_SECONDS (a sync's retry is
    not queued for a longer one: sync_retry_delay)."""
    ceiling = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**retries)
    return max(min(retry_after or 0, RETRY_MAX_SECONDS), random.uniform(ceiling / 2, ceiling))


def greenhouse_wait_left(connection: GreenhouseConnection) -> float | None:
    """The seconds, rounded up, left of the wait Greenhouse asked the org's syncs for (a
    Retry-After, this failure's or an earlier one's it kept); None if none is left."""
    wait_until = connection.greenhouse_wait_until
    left = (wait_until - timezone.now()).total_seconds() if wait_until else 0
    return math.ceil(left) if left > 0 else None


def sync_retry_delay(retries: int, connection: GreenhouseConnection | None) -> float | None:
    """The wait before the task retries the org's sync, a failed one or one that lost the
    database: the backoff of `retries`, not before the end of the wait Greenhouse asked the
    org's syncs for, as `connection` was last read (None: not read, no wait known; the retry,
    come within it, is put off to its end by jobs.scheduling.sync_plan, a board just
    connected's too). None if that wait is longer than the task waits (RETRY_MAX_SECONDS): the
    sync is not retried, and the schedule syncs the org at the wait's end (jobs.sync.due_by)."""
    wait_left = greenhouse_wait_left(connection) if connection is not None else None
    if wait_left is not None and wait_left > RETRY_MAX_SECONDS:
        return None
    return retry_delay(retries, wait_left)


# Failed syncs and tries lost to the database have MAX_SYNC_RETRIES retries each, so that an
# outage of one leaves the other all of its own; Celery counts them together.
@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=2 * MAX_SYNC_RETRIES
)
def sync_org(
    self,
    connection_id: int,
    trigger: str = SyncRun.Trigger.SCHEDULE,
    retry_at: str | None = None,
    lease_taken_at: str | None = None,
    taking_over: str | None = None,
    lost_sync_trigger: str | None = None,
    database_retries: int = 0,
    queued_at: str | None = None,
    **later_release_arguments: object,
) -> str:
    """Sync the org of `connection_id` if the marks its message carries say it still has to
    (jobs.scheduling.sync_plan); retry it while Greenhouse or the database fails for a while."""
    # While a deploy rolls, workers of this release take tasks queued by the next one: arguments
    # it adds are left out rather than the sync failed (code before retry_at failed its retries).
    connection = None  # the database lost as it is read, the retry knows no wait of Greenhouse's
    try:
        connection = (
            GreenhouseConnection.objects.select_related("organization")
            .filter(pk=connection_id, enabled=True)
            .first()
        )
        if connection is None:
            return _skipped_as_paused(connection_id)
        plan = sync_plan(
            connection,
            trigger=trigger,
            queued_at=_mark_time(queued_at),
            retry_at=_mark_time(retry_at),
            lease_taken_at=_mark_time(lease_taken_at),
            taking_over=_mark_time(taking_over),
            lost_sync_trigger=lost_sync_trigger,
            database_retries=database_retries,
        )
    except DATABASE_LOST_ERRORS as exc:  # nothing started: retried as it came
        _retry_unstarted_sync(self, connection_id, exc, connection=connection)
    if isinstance(plan, SyncToSkip):
        return f"skipped: {plan.reason}"
    if isinstance(plan, SyncToPutOff):
        return _sync_put_off(connection_id, plan, queued_at=_mark_time(queued_at))
    started_at = timezone.now()
    failure_retries = self.request.retries - database_retries  # tries lost to the database aside
    try:
        # Paused since its row was read above, the org is refused the lease: no task syncs a
        # paused org.
        result = sync_organization(
            connection,
            trigger=plan.trigger,
            started_at=started_at,
            taking_over=plan.taking_over,
            unless_paused=True,
            retries_failure=failure_retries < MAX_SYNC_RETRIES,
        )
    except DATABASE_LOST_ERRORS as exc:
        if (stop := _process_stop_behind(exc)) is not None:
            # Stopped, the sync lost the database as it freed its lease: retried, the stop
            # was swallowed, and the pool process told to exit went on.
            worker_stopped_sync_end(connection, started_at=started_at)
            raise stop from None
        if connection.last_attempt_at == started_at:  # noted as it took the lease
            _retry_lost_sync(self, connection, exc, started_at=started_at, trigger=plan.trigger)
        _retry_unstarted_sync(
            self,
            connection_id,
            exc,
            connection=connection,
            started_at=started_at,
            taking_over=plan.taking_over,
        )
    except WORKER_STOPS:
        # Its run marked interrupted at once, not "running" until the next sync; the worker
        # still sees the stop.
        worker_stopped_sync_end(connection, started_at=started_at)
        raise
    if result.transient and failure_retries < MAX_SYNC_RETRIES:
        try:
            with _stop_raised_as_itself():
                return _retry_failed_sync(
                    self,
                    connection,
                    result,
                    started_at=started_at,
                    failure_retries=failure_retries,
                    database_retries=database_retries,
                )
        except (*WORKER_STOPS, Reject):
            # Stopped before the retry was queued, or as it was, or the retry not queued: the
            # org is due in its place.
            failed_sync_retry_lost(connection, started_at=started_at)
            raise
        except DATABASE_LOST_ERRORS as exc:
            # The retry could not be marked: retried as a sync that lost the database, which
            # sees to a retry it cannot queue in turn.
            _retry_lost_sync(self, connection, exc, started_at=started_at, trigger=plan.trigger)
    if result.outcome == SyncResult.Outcome.LOCKED:
        if queued_at:
            # A lease taken since this sync was queued took its mark: still there, the lease
            # was refused as the org was paused, and it was resumed before the pause was read
            # (sync_organization). Left, "Queued…" held off Refresh now and the schedule.
            queued_marker_clear(connection_id, queued_at=_mark_time(queued_at))
        return "locked: another sync of this org holds its lease"
    if result.outcome == SyncResult.Outcome.PAUSED:
        return _skipped_as_paused(connection_id)
    return f"{result.outcome}: {result.counts.summary() if result.ok else result.error}"


def _process_stop_behind(error: BaseException) -> BaseException | None:
    """The SystemExit (billiard's, SIGTERM) or KeyboardInterrupt that `error` was raised as
    the sync unwound from; None if none. Not the soft time limit: the process goes on after
    it, and a sync that lost the database as it recorded it is retried as any lost sync."""
    cause = error.__context__
    while cause is not None and not isinstance(cause, (SystemExit, KeyboardInterrupt)):
        cause = cause.__context__
    return cause


@contextmanager
def _stop_raised_as_itself(cause: BaseException | None = None) -> Iterator[None]:
    """Around a task's retry: Celery's retry raises Reject for any error as it queues the
    retry, the soft time limit (an Exception) as much as the broker's. The soft limit is raised
    as itself (from `cause`), for the worker to see the task's stop, not a task that rejected
    its message; a broker's error stays Reject."""
    try:
        yield
    except Reject as rejected:
        if isinstance(rejected.reason, SoftTimeLimitExceeded):
            raise rejected.reason from cause
        raise


def _skipped_as_paused(connection_id: int) -> str:
    """Skip the sync of an org paused (or disconnected) after this task was queued, clearing its
    queue mark: without that, "Queued…" would outlive it, and Refresh now and the schedule
    would wait for the mark to go stale."""
    queued_marker_clear(connection_id)
    return "skipped: connection removed or paused"


def _sync_put_off(connection_id: int, plan: SyncToPutOff, *, queued_at: datetime | None) -> str:
    """Leave the org's sync to the schedule, which waits out the wait Greenhouse asked for
    (`plan.until`), asking Greenhouse nothing before it: free the lease of an earlier try,
    should it hold it, and make the org due in its place (at the wait's end), or clear the
    sync's queue mark (_org_left_to_schedule)."""
    starts = [plan.own_start] if plan.own_start else []
    left = _org_left_to_schedule(connection_id, attempt_starts=starts, queued_at=queued_at)
    until = plan.until.isoformat()
    # The database lost as it frees the lease and marks the sync left, they hold the org off for
    # minutes ("Running…", "Queued…"): a WARNING, as every other try lost to the database logs.
    logger.log(
        logging.WARNING if left.database_lost else logging.INFO,
        "sync put off connection=%s until=%s reason=Greenhouse asked the org's syncs to wait "
        "until then; %s",
        connection_id,
        until,
        left.said,
    )
    return f"put off: Greenhouse asked to wait until {until}; {left.said}"


def _mark_time(mark: str | None) -> datetime | None:
    """The time of a mark a message carries (ISO 8601, or None when it carries none)."""
    return datetime.fromisoformat(mark) if mark else None


def _retry_failed_sync(
    task: Task,
    connection: GreenhouseConnection,
    result: SyncResult,
    *,
    started_at: datetime,
    failure_retries: int,
    database_retries: int,
) -> str:
    """Mark and queue the retry of a sync that failed for a while (`result.transient`), with a
    growing backoff, not before the end of a wait Greenhouse asked for; if another sync started
    since, or that wait is longer than the task waits (RETRY_MAX_SECONDS), say so instead: the
    failure set the org's next sync at the wait's end. The database lost as the retry is marked
    is raised, for the task to retry the sync as one that lost it."""
    # The sync stored the wait, its failure's Retry-After or an earlier one's still ahead: a
    # timeout or a 500 within it names none, and its retry, 15-30 s later, asked a Greenhouse
    # rate limiting for an hour.
    delay = sync_retry_delay(failure_retries, connection)
    if delay is None:
        until = connection.greenhouse_wait_until.isoformat()
        return (
            f"{result.outcome}: {result.error} (not retried: Greenhouse asked to wait until "
            f"{until}; the schedule syncs it then)"
        )
    # The sync noted its start on `connection` (last_attempt_at) as it took the lease.
    mark = retry_schedule(
        connection.pk, attempt_starts=[connection.last_attempt_at], delay_seconds=delay
    )
    if mark is None:
        return f"{result.outcome}: {result.error} (not retried: another sync started since)"
    # With its start, the retry takes over the lease should the sync have left it held.
    retried_with = {
        "retry_at": mark.isoformat(),
        "lease_taken_at": started_at.isoformat(),
        "database_retries": database_retries,
    }
    raise task.retry(countdown=delay, kwargs=retried_with)


def _retry_unstarted_sync(
    task: Task,
    connection_id: int,
    error: DatabaseError,
    *,
    connection: GreenhouseConnection | None,
    started_at: datetime | None = None,
    taking_over: datetime | None = None,
) -> NoReturn:
    """Retry a sync that lost the database before it knew it held its org's lease: it
    recorded nothing, so there is nothing to undo. The retry waits out a wait Greenhouse asked
    for, as `connection` was read (None: the task could not read it), as a failed sync's does.

    The retry carries this task's arguments, for its mark may not be written without the
    database: a retry of a failure keeps the mark it carries, which still keeps it from running
    after another sync, and the queued mark of a first try stays, holding off the dispatcher.
    A sync that tried to take the lease, at `started_at`, may have taken it with its answer
    lost: the retry carries that start too, and takes the lease over rather than find the org
    locked until the lease ends. So it does if that sync was `taking_over` the lease of one
    that started then: whether or not it took it, one of the two starts is still the last.
    While one of the starts it carries is the last, the retry is also marked on the org, as a
    failed sync's is, if the database is back (a first try that never took the lease carries
    none, and keeps its queued mark)."""
    kwargs = task.request.kwargs
    if started_at is not None:
        kwargs = {
            **kwargs,
            "lease_taken_at": started_at.isoformat(),
            "taking_over": taking_over.isoformat() if taking_over else None,
        }
    own_starts = [
        start
        for name in ("lease_taken_at", "taking_over")
        if (start := _mark_time(kwargs.get(name)))
    ]
    queued_at = _mark_time(kwargs.get("queued_at"))
    left = partial(
        _org_left_to_schedule, connection_id, attempt_starts=own_starts, queued_at=queued_at
    )
    with _lost_sync_left_unless_retried(connection_id, error, left=left):
        _retry_after_database_error(
            task,
            connection_id,
            error,
            what="sync not started",
            why="the database failed before the sync knew it held its lease",
            waits_for=connection,
            retry_of=own_starts,
            kwargs=kwargs,
            left_unretried=left,
        )


def _retry_lost_sync(
    task: Task,
    connection: GreenhouseConnection,
    error: DatabaseError,
    *,
    started_at: datetime,
    trigger: str,
) -> NoReturn:
    """Retry a sync of `connection`'s org that took its lease at `started_at` and could not
    reach the database to record its run or its end, or, failed, its retry (which waits out a
    wait Greenhouse asked for, as a failed sync's does): it changed no job, and its lease,
    unless it could free it, is left held.

    The retry is one of a failure, carrying the sync's start: while no other sync has started
    since, it takes that lease over and marks the run left "running" interrupted; once one has,
    it does nothing, as a retry whose mark another sync cleared. It is marked too, if the
    database is back. Should the sync have written no run, the retry's is recorded with the
    sync's `trigger`."""
    left = partial(_org_left_to_schedule, connection.pk, attempt_starts=[started_at])
    with _lost_sync_left_unless_retried(connection.pk, error, left=left):
        _retry_after_database_error(
            task,
            connection.pk,
            error,
            what="sync lost the database",
            why="the sync took its lease and could not record its run, its end or its retry",
            waits_for=connection,
            retry_of=[started_at],
            args=(connection.pk, SyncRun.Trigger.RETRY),
            kwargs={"lease_taken_at": started_at.isoformat(), "lost_sync_trigger": trigger},
            left_unretried=left,
        )


@dataclass(frozen=True)
class _OrgLeft:
    """What _org_left_to_schedule did, for the task's log line, or, `database_lost`, what it
    could not do and leaves."""

    said: str
    database_lost: bool = False


def _org_left_to_schedule(
    connection_id: int,
    *,
    attempt_starts: Collection[datetime],
    queued_at: datetime | None = None,
) -> _OrgLeft:
    """Leave nothing waiting on a try of the org's sync that will not run (the retry of one that
    lost the database, not queued or not asked for; one put off to Greenhouse's wait): while
    the sync that started at one of `attempt_starts` is still the org's last, the lease,
    should it hold it, is freed and the org made due in that try's place (not before the end
    of a wait Greenhouse asked for), its retry mark dropped (lost_retry_org_due); the mark the
    sync was queued with, `queued_at`, is cleared while it is still the org's. Returns what it
    did, or, the database still lost, what is left: a lease to run out, marks to pass."""
    reconnect_after_database_error()
    try:
        freed = any(sync_lease_release(connection_id, started_at=start) for start in attempt_starts)
        made_due = lost_retry_org_due(connection_id, attempt_starts=attempt_starts)
        unmarked = queued_at is not None and queued_marker_clear(connection_id, queued_at=queued_at)
    except DATABASE_LOST_ERRORS as still_lost:
        reconnect_after_database_error()
        # A try that carries no start never took the lease: only its "Queued…" mark is left.
        left = (
            f"a lease the sync holds runs out (SYNC_LOCK_SECONDS={settings.SYNC_LOCK_SECONDS}), "
            "and the schedule syncs the org once it has and its marks have passed"
            if attempt_starts
            else 'the sync took no lease, and the schedule syncs the org once its "Queued…" '
            f"mark has passed (SYNC_QUEUED_STALE_SECONDS={settings.SYNC_QUEUED_STALE_SECONDS})"
        )
        return _OrgLeft(
            f"the database still lost ({still_lost!r}{_refusal_said(still_lost)}): {left}",
            database_lost=True,
        )
    done = []
    if freed or made_due:
        done.append("its lease freed" if freed else "its lease already free")
    if made_due:
        done.append("the org made due at once (not before a wait Greenhouse asked for)")
    if unmarked:
        done.append('its "Queued…" mark cleared')
    if done:
        return _OrgLeft(f"{', '.join(done)}: the schedule syncs the org when due")
    return _OrgLeft(
        "nothing freed: the org holds no lease or mark of this sync's (it took none, or another "
        "sync has started or been queued since), and is left as it is"
    )


def _refusal_said(error: DatabaseError) -> str:
    """What to fix, after a "; ", when PostgreSQL answered and refused the connection
    (DATABASE_URL or the server's settings wrong, or its connections all taken), for a line
    that says the database was lost; nothing otherwise."""
    return f"; {database_failure_said(error)}" if database_refusal(error) else ""


@contextmanager
def _lost_sync_left_unless_retried(
    connection_id: int, error: DatabaseError, *, left: Callable[[], _OrgLeft]
) -> Iterator[None]:
    """Around the retry of a sync that lost the database (`error`): should the task stop
    before the retry is queued, or the retry not be queued (the broker down, or the soft time
    limit as it was queued, raised as itself: _stop_raised_as_itself), leave nothing waiting
    on it (`left`: _org_left_to_schedule, on the sync's starts and mark). One WARNING line says
    what was done or left."""
    with _stop_raised_as_itself(cause=error):
        try:
            yield
        except (*WORKER_STOPS, Reject) as stopped:
            retry_error = stopped.reason if isinstance(stopped, Reject) else stopped
            logger.warning(
                "sync retry not queued connection=%s error=%r retry_error=%r reason=the task "
                "lost the database, and its retry was not queued (the task stopped, or the "
                "broker failed); %s",
                connection_id,
                error,
                retry_error,
                left().said,
            )
            raise


def _retry_after_database_error(
    task: Task,
    connection_id: int,
    error: DatabaseError,
    *,
    what: str,
    why: str,
    kwargs: dict[str, object],
    args: tuple[object, ...] | None = None,
    waits_for: GreenhouseConnection | None = None,
    retry_of: Collection[datetime] = (),
    failed: str = "sync failed",
    left_unretried: Callable[[], _OrgLeft] | None = None,
) -> NoReturn:
    """Retry on `args` (this task's, unless given) and `kwargs` with the backoff of a failed
    sync, logging one WARNING line a try; out of the retries of tries lost to the database
    (counted in `database_retries`), fail on the error. A sync's retry waits out a wait
    Greenhouse asked `waits_for`'s org for, and one longer than the task waits fails on the
    error too, for the schedule to sync the org then (sync_retry_delay). An error no retry
    mends fails at once. A retry of the sync that started at one of `retry_of` is marked
    on the org, as a failed sync's is, if the database is back. `failed` says what that error
    failed, as `what` says what each retried try did. `left_unretried`, a sync's: a try not
    retried for either reason first leaves nothing waiting on the retry (_org_left_to_schedule), as
    one whose retry is not queued does, and its line says what it did."""
    if is_schema_mismatch(error):
        logger.error(
            "%s connection=%s error=%r: the database's tables are not the ones this code reads "
            "(migrations not applied?); not retried",
            failed,
            connection_id,
            error,
        )
        raise error
    why += _refusal_said(error)
    # A worker closes the connection between tasks; a task run inline retries at once, on it.
    reconnect_after_database_error()
    retries = task.request.kwargs.get("database_retries", 0)
    if retries >= MAX_SYNC_RETRIES:
        left = f"; {left_unretried().said}" if left_unretried else ""
        logger.warning(
            "%s connection=%s error=%r: %s; not retried after %d retries%s",
            what,
            connection_id,
            error,
            why,
            retries,
            left,
        )
        raise error
    delay = sync_retry_delay(retries, waits_for)
    if delay is None:
        # Only a sync's try waits for Greenhouse, and its left_unretried says when it syncs.
        logger.warning(
            "%s connection=%s error=%r: %s; not retried: Greenhouse asked to wait until %s, "
            "longer than a retry waits (%d s); %s",
            what,
            connection_id,
            error,
            why,
            waits_for.greenhouse_wait_until.isoformat(),
            RETRY_MAX_SECONDS,
            left_unretried().said,
        )
        raise error
    if retry_of:
        _retry_mark_if_reachable(connection_id, attempt_starts=retry_of, delay_seconds=delay)
    logger.warning(
        "%s connection=%s error=%r: %s; retry %d of %d in %.0f s",
        what,
        connection_id,
        error,
        why,
        retries + 1,
        MAX_SYNC_RETRIES,
        delay,
    )
    kwargs = {**kwargs, "database_retries": retries + 1}
    raise task.retry(countdown=delay, args=args, kwargs=kwargs)


def _retry_mark_if_reachable(
    connection_id: int, *, attempt_starts: Collection[datetime], delay_seconds: float
) -> None:
    """Mark the retry (jobs.scheduling.retry_schedule): the dispatcher then leaves the org to
    it, and its settings page shows it. Unmarked, with the database still lost, the retry
    still knows the lease for its own by the start it carries."""
    try:
        retry_schedule(connection_id, attempt_starts=attempt_starts, delay_seconds=delay_seconds)
    except DATABASE_LOST_ERRORS:
        reconnect_after_database_error()  # for the retry, run at once if inline


@shared_task(bind=True, max_retries=MAX_SYNC_RETRIES)
def release_sync_lease(
    self,
    connection_id: int,
    started_at: str,
    database_retries: int = 0,
    lease_freed: bool = False,
    **later_release_arguments: object,
) -> str:
    """Free the lease of the org's sync that started at `started_at`, its outcome recorded,
    which lost the database as it freed it (jobs.sync): the org is not "Running…" until the
    lease runs out. Then make that sync's email check, which it left for the same reason.
    Retried while the database is lost, as a sync is; the email check's other errors are
    logged, as the sync logs them. `lease_freed`: the lease was freed already, by the sync or
    a try of this task that then lost the database as it made the email check, and only the
    check is left."""
    # Arguments a later release adds are left out, as sync_org leaves them.
    start = datetime.fromisoformat(started_at)
    freed = False
    if not lease_freed:
        try:
            freed = sync_lease_release(connection_id, started_at=start)
        except DATABASE_LOST_ERRORS as exc:
            with _lease_release_left_unless_retried(connection_id, exc, email_check=False):
                _retry_after_database_error(
                    self,
                    connection_id,
                    exc,
                    what="sync lease not freed",
                    why="the database failed as the lease of a finished sync was freed",
                    failed="sync lease not freed",
                    kwargs={},
                )
    try:
        deferred_health_email_send(connection_id, started_at=start)
    except DATABASE_LOST_ERRORS as exc:
        # The lease is freed, if it was to be: the retry makes the check again, and, told
        # that this try freed it, says so rather than that it found nothing to free.
        with _lease_release_left_unless_retried(connection_id, exc, email_check=True):
            _retry_after_database_error(
                self,
                connection_id,
                exc,
                what="sync email not checked",
                why="the database failed as the email check of a finished sync was made",
                failed="sync email not checked",
                kwargs=lease_release_options(lease_freed=lease_freed or freed),
            )
    if lease_freed:
        return "freed earlier; email checked"
    return "freed" if freed else "skipped: another sync started since, or the lease was freed"


@contextmanager
def _lease_release_left_unless_retried(
    connection_id: int, error: DatabaseError, *, email_check: bool
) -> Iterator[None]:
    """Around the retry of release_sync_lease, which lost the database (`error`) as it freed
    the lease or, `email_check`, made the email check: should the retry not be queued, log
    what is left, as the sync logs it when it cannot queue this task; the soft time limit
    is raised as itself (_stop_raised_as_itself)."""
    with _stop_raised_as_itself(cause=error):
        try:
            yield
        except Reject as rejected:
            if email_check:
                logger.warning(
                    "sync email check left to the next sync connection=%s error=%r retry_error=%r "
                    "reason=the database was lost as the task that frees a finished sync's lease "
                    "made the sync's email check, and the task's retry could not be queued (the "
                    "task stopped, or the broker failed)",
                    connection_id,
                    error,
                    rejected.reason,
                )
            else:
                logger.warning(
                    "sync lease left to run out connection=%s error=%r retry_error=%r reason=the "
                    "database was lost as the task that frees a finished sync's lease freed it, "
                    "and the task's retry could not be queued (the task stopped, or the broker "
                    "failed; SYNC_LOCK_SECONDS=%d); the next sync makes its email check",
                    connection_id,
                    error,
                    rejected.reason,
                    settings.SYNC_LOCK_SECONDS,
                )
            raise


@shared_task
def queue_claimed_syncs(
    connection_ids: list[int], claimed_at: str, **later_release_arguments: object
) -> int:
    """Queue the syncs of one batch of the dispatcher's tick, the orgs it marked queued at
    `claimed_at` (jobs.scheduling.enqueue_due_syncs). Safe to run twice: see
    enqueue_claimed_syncs. Lost, its orgs wait for their marks to go stale
    (SYNC_QUEUED_STALE_SECONDS); the dispatcher then queues them again."""
    enqueue_claimed_syncs(
        connection_ids,
        claimed_at=datetime.fromisoformat(claimed_at),
        trigger=SyncRun.Trigger.SCHEDULE,
    )
    return len(connection_ids)


def _scheduled_work_run(work: Callable[[], int], *, what: str, then: str) -> int:
    """`work()` for a task beat sends, or 0 with one WARNING, `<what> skipped error=…`, when
    the database cannot be reached or refuses the connection (saying what to fix in
    DATABASE_URL): not a traceback each time beat sends it while the outage lasts. `then` says
    when the work is tried again. Tables that are not what the code reads (SQLite raises
    OperationalError for them too) are a deploy's error, raised."""
    try:
        return work()
    except DATABASE_LOST_ERRORS as error:
        if is_schema_mismatch(error):
            raise
        logger.warning(
            "%s skipped error=%r: %s; %s", what, error, database_failure_said(error), then
        )
        return 0


def _dispatcher_tick() -> int:
    scheduler_tick_record()
    return len(enqueue_due_syncs())


@shared_task
def dispatch_due_syncs() -> int:
    """Beat's tick: recorded for /healthz, then the due orgs queued. Skipped while the database
    is out of reach: the next tick tries again, and /healthz's `scheduler` fails once ticks
    have gone missing long."""
    return _scheduled_work_run(
        _dispatcher_tick, what="dispatcher tick", then="the next tick tries again"
    )


# Each prune removes all that is due, so a day's skipped one is made up by the next.
_NEXT_PRUNE = "the next day's prune catches up"


@shared_task
def prune_sync_runs() -> int:
    return _scheduled_work_run(
        partial(sync_runs_prune, older_than_days=settings.SYNC_RUN_RETENTION_DAYS),
        what="daily prune of sync runs",
        then=_NEXT_PRUNE,
    )


@shared_task
def prune_expired_invitations() -> int:
    return _scheduled_work_run(
        partial(
            expired_invitations_prune,
            expired_for_days=settings.EXPIRED_INVITATION_RETENTION_DAYS,
        ),
        what="daily prune of expired invitations",
        then=_NEXT_PRUNE,
    )


@shared_task
def prune_expired_sessions() -> int:
    return _scheduled_work_run(
        expired_sessions_prune, what="daily prune of expired sessions", then=_NEXT_PRUNE
    )
