"""Sync one organization's jobs with its Greenhouse board.

Plain functions, so tasks, views, commands and tests all call the same code.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time
from collections import defaultdict, deque
from collections.abc import Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import psycopg
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import Case, Exists, Model, Q, Value, When
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from jobs.alerts import SyncEmail, sync_health_email_send
from jobs.cache import listing_cache_invalidate
from jobs.greenhouse import (
    WILL_TRY_AGAIN,
    BoardNotFound,
    GreenhouseClient,
    GreenhouseError,
    InvalidBoardToken,
    InvalidJob,
    JobPost,
    JobsResponse,
    Unit,
    job_id_of,
    job_payload_hash,
    parse_job,
    title_of,
)
from jobs.metadata import remote_policy_of_post
from jobs.models import Department, GreenhouseConnection, Job, Office, Organization, SyncRun
from jobs.sanitize import (
    MAX_SAFE_HTML_CHARS,
    excerpt_of,
    safe_html_head,
    sanitize_content,
    text_of,
)
from jobs.scheduling import BROKER_ERRORS, PUBLISH_RETRY_POLICY
from jobs.search import search_text_of, search_words_hash
from jobs.text import as_searched

logger = logging.getLogger(__name__)

# Changed posts built and written at a time (see _write_changed_posts).
WRITE_CHUNK_SIZE = 500
# Reasons for skipped posts kept for the org's admins; the log has every one.
MAX_SKIP_REASONS = 10
# Threads that read the descriptions of the chunks after the one being written. nh3 lets go of
# the GIL while it cleans, so they use a second core; a first import took a tenth less time
# (bench/README.md). Each thread holds one chunk's descriptions in memory.
DESCRIPTION_THREADS = 2
# Read again under the lease: the connection object may predate a sync that applied another
# board, or a change of board or schedule on the settings page (which resets the history).
FIELDS_READ_UNDER_LEASE = [
    "board_token",
    "sync_interval_minutes",
    "failing_since",
    "consecutive_failures",
    "failure_emailed_at",
    "greenhouse_wait_until",
    "applied_board_fingerprint",
    "applied_board_open_jobs",
    "applied_board_skipped",
    "applied_board_imported",
    "applied_board_imported_fingerprint",
    "applied_board_etag",
    "applied_board_etag_fingerprint",
]
# A run left "running" is all a later sync finds of one whose worker was killed and of one that
# could reach the database neither to record its failure nor to free its lease; one its worker
# stopped is marked so as it stops (worker_stopped_sync_end).
INTERRUPTED_MESSAGE = (
    "The sync stopped before it finished: its worker stopped, or it could not reach this site's "
    "database. Nothing from it was saved."
)
# Run by sync_jobs, in its own process: no worker ran it, and Ctrl-C, SIGTERM or SIGHUP stopped
# the command.
COMMAND_INTERRUPTED_MESSAGE = (
    "The sync stopped before it finished: the sync_jobs command that ran it was stopped, or it "
    "could not reach this site's database. Nothing from it was saved."
)
UNEXPECTED_MESSAGE = (
    "The sync failed on an internal error; nothing was changed. It has been logged."
)
# Not retried by the task: the sync leaves the connection as it was, and the schedule tries
# again at once: the org has been due since its lease ended (acquire_sync_lock).
LEASE_LOST_MESSAGE = (
    "The sync took longer than it may hold this organization and was abandoned; nothing was "
    f"changed, and {WILL_TRY_AGAIN}"
)
# A database restarting, failing over, ending the session or timing out a lock: it passes.
DATABASE_LOST_ERRORS = (OperationalError, InterfaceError)
# SQLite raises OperationalError too for tables that are not what the code reads (migrations
# not applied): a deploy's error, which no retry mends. PostgreSQL raises ProgrammingError.
SQLITE_SCHEMA_MISMATCHES = ("no such table", "no such column", "has no column named")
DATABASE_LOST_MESSAGE = (
    "The sync could not use this site's database (it may have restarted, or been busy); nothing "
    f"was changed, and {WILL_TRY_AGAIN}"
)
# What stops a sync where it is in a worker's process, as an exception the task's code sees:
# billiard's SystemExit in a pool process sent SIGTERM (a cold shutdown, revoke with terminate,
# systemd signalling every process of the service), the soft time limit should it come outside
# the fetch (which records it as a failure, TIME_LIMIT_MESSAGE), and a KeyboardInterrupt (the
# pool ignores SIGINT, so only from code). SIGKILL, the hard time limit included, runs nothing.
WORKER_STOPS = (SystemExit, KeyboardInterrupt, SoftTimeLimitExceeded)
# Celery's soft time limit stops a sync that hangs, most often on a Greenhouse that sends its
# answer too slowly for any per-read timeout to trip. Not retried by the task: the failure
# puts the next scheduled sync an interval away, as any other does.
TIME_LIMIT_MESSAGE = (
    "The sync ran past its time limit and was stopped; nothing was changed. Greenhouse may "
    f"have been answering very slowly; {WILL_TRY_AGAIN}"
)


@dataclass
class SyncCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    reopened: int = 0
    skipped: int = 0
    # Why posts were skipped, the first MAX_SKIP_REASONS of them.
    skip_reasons: list[str] = field(default_factory=list, compare=False)
    # Of the skipped, those without a readable id or under another post's (see _skip).
    skipped_for_id: int = field(default=0, compare=False)
    # Posts with a date read as missing for being ahead: the board is not kept as applied, so
    # that the next sync reads them again, and takes their dates once they have come.
    dated_ahead: int = field(default=0, compare=False)

    @property
    def imported(self) -> int:
        """The board's posts on the site after the run: a sync that finds the same board again
        counts them unchanged, but not the jobs that posts it skipped keep open."""
        return self.created + self.updated + self.unchanged + self.reopened

    @property
    def changed_jobs(self) -> bool:
        """Whether the org's jobs list reads differently after the run."""
        return bool(self.created or self.updated or self.closed or self.reopened)

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "closed": self.closed,
            "reopened": self.reopened,
            "skipped": self.skipped,
        }

    def summary(self) -> str:
        """In words, for people: '3 new, 2 updated, 1 closed' (zeros left out)."""
        words = [
            (self.created, "new"),
            (self.updated, "updated"),
            (self.closed, "closed"),
            (self.reopened, "reopened"),
            (self.skipped, "skipped"),
        ]
        said = [f"{count} {word}" for count, word in words if count]
        return ", ".join(said) if said else "no changes"


@dataclass
class SyncResult:
    class Outcome:
        SUCCESS = "success"
        FAILED = "failed"
        LOCKED = "locked"
        PAUSED = "paused"  # refused the lease, syncing paused (sync_organization's unless_paused)

    outcome: str
    counts: SyncCounts = field(default_factory=SyncCounts)
    error: str = ""
    transient: bool = False
    retry_after: float | None = None
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == self.Outcome.SUCCESS


def sync_organization(
    connection: GreenhouseConnection,
    *,
    trigger: str,
    client: GreenhouseClient | None = None,
    started_at: datetime | None = None,
    taking_over: datetime | None = None,
    unless_paused: bool = False,
    retries_failure: bool = False,
) -> SyncResult:
    """Bring the org's jobs in line with its Greenhouse board.

    1. Take the org's lock (a lease on the connection row), noting the sync's start,
       `started_at` (now, unless given). If another sync holds it, return LOCKED and touch
       nothing; a lease whose sync started at `taking_over`, still the last to start, is
       taken over (see acquire_sync_lock). `unless_paused`, for the syncs a paused org does
       not have (all but sync_jobs's of orgs it names): return PAUSED and touch nothing if
       its syncing is paused, as read by the UPDATE that takes the lease.
    2. Record a SyncRun; runs left "running" (by a dead worker, or a sync that lost the
       database) are marked interrupted.
    3. Fetch the board, sending the ETag of the last one applied while that board is still
       the one applied whole. Any failure is recorded on the run and the connection; no job
       changes. A board Greenhouse says is not modified, or byte for byte the same as the last
       one applied (and its jobs still open), is recorded as a success with the counts that
       applying it again would give (its posts on the site unchanged, the same ones skipped):
       there is nothing to parse.
    4. Unless the lease has run out meanwhile, in one transaction apply the board: create new
       jobs, update changed ones, reopen returning ones, close missing ones. Unchanged posts
       cost a hash and nothing else; changed posts whose content is the same keep the
       description read from it, and those whose departments and offices are the same keep
       their links. Last, ask the lease again and, still held, record the counts and mark the
       connection healthy in that transaction; a sync that outlived its lease changes nothing.
    5. Have the org's cached pages render afresh if its jobs changed, and release the lock
       (whatever happened before; lost with the database once the outcome is recorded, a
       task frees the lease once the database is back).
    6. Email the org's admins if syncs have now failed for long enough, or work again after
       they were told so (jobs.alerts); if the lock's release, or this check, was lost with the
       database, the task that frees the lock does so once the database is back.

    `retries_failure`: the caller retries a transient failure (the task, but for its last
    try). Stopped in steps 5 and 6, after it recorded one, it could not: the org is made due at
    once in the retry's place (failed_sync_retry_lost).
    """
    slug = connection.organization.slug
    lease = acquire_sync_lock(
        connection, started_at=started_at, taking_over=taking_over, unless_paused=unless_paused
    )
    if lease is None:
        paused = unless_paused and _is_paused(connection)
        outcome = SyncResult.Outcome.PAUSED if paused else SyncResult.Outcome.LOCKED
        logger.info("sync skipped org=%s reason=%s", slug, outcome)
        return SyncResult(outcome=outcome)
    started = time.monotonic()
    try:
        run = start_sync_run(connection, trigger=trigger)
        try:
            result = _fetch_and_apply(connection, run, client or GreenhouseClient(), lease=lease)
        except Exception as exc:
            # A database restart, failover, deadlock or lock timeout passes, as a Greenhouse
            # outage does: the task retries.
            database_lost = isinstance(exc, DATABASE_LOST_ERRORS) and not is_schema_mismatch(exc)
            if database_lost:
                logger.warning(
                    "sync could not use the database org=%s run=%s error=%r", slug, run.pk, exc
                )
                message = DATABASE_LOST_MESSAGE
            elif isinstance(exc, SoftTimeLimitExceeded):
                # A Greenhouse that trickles its answer, most often: no crash, and its
                # traceback shows where the sync was waiting.
                logger.warning(
                    "sync stopped at its time limit org=%s run=%s", slug, run.pk, exc_info=True
                )
                message = TIME_LIMIT_MESSAGE
            else:
                logger.exception("sync crashed org=%s run=%s", slug, run.pk)
                message = UNEXPECTED_MESSAGE
            reconnect_after_database_error()
            result = SyncResult(
                outcome=SyncResult.Outcome.FAILED,
                error=message,
                transient=database_lost,
            )
            # A success recorded in a transaction that was then rolled back left its values on
            # this object; the failure streak, and Greenhouse's wait, continue from the saved
            # ones. A connection deleted meanwhile has none, and the failure's updates change
            # nothing.
            with suppress(GreenhouseConnection.DoesNotExist):
                connection.refresh_from_db(
                    fields=["failing_since", "consecutive_failures", "greenhouse_wait_until"]
                )
            _record_failure(connection, run, message=message, http_status=None)
    except BaseException:
        # The run, or its failure, could not be recorded (the database lost), or the worker
        # stopped the sync (SIGTERM): the lease is freed on a new connection, so the org is free
        # at once, not "Running…" until the lease ends, and due at once, as nothing set its next
        # time. The task retries a sync that lost the database, taking over a lease left held,
        # and its retry's mark holds the dispatcher off (jobs.tasks.sync_org); a stopped
        # worker's task, given back, does nothing (its lease took the org's queue mark), and
        # the dispatcher's next tick syncs the org.
        reconnect_after_database_error()
        release_sync_lock(connection, lease, due_now=True)
        raise
    try:
        _recorded_sync_end(connection, lease, result, trigger=trigger, started=started)
    except WORKER_STOPS:
        if retries_failure and result.transient:
            failed_sync_retry_lost(connection, started_at=connection.last_attempt_at)
        raise
    return result


def _recorded_sync_end(
    connection: GreenhouseConnection,
    lease: datetime,
    result: SyncResult,
    *,
    trigger: str,
    started: float,
) -> None:
    """Steps 5 and 6 of sync_organization, its outcome recorded: free the lease, log the
    sync's line and make its email check."""
    slug = connection.organization.slug
    released = _recorded_sync_lock_release(connection, lease)
    duration_ms = round((time.monotonic() - started) * 1000)
    # A failure at WARNING: an alert on warnings then sees every failed sync, whatever failed.
    logger.log(
        logging.WARNING if result.outcome == SyncResult.Outcome.FAILED else logging.INFO,
        "sync finished org=%s trigger=%s outcome=%s duration_ms=%d %s error=%r",
        slug,
        trigger,
        result.outcome,
        duration_ms,
        " ".join(f"{name}={value}" for name, value in result.counts.as_dict().items()),
        result.error,
        # The same facts as fields, for LOG_FORMAT=json. Counts are nested: "created" is taken
        # by LogRecord itself.
        extra={
            "org": slug,
            "trigger": str(trigger),
            "outcome": result.outcome,
            "duration_ms": duration_ms,
            "counts": result.counts.as_dict(),
            "error": result.error,
        },
    )
    if not released:
        # Made now, the email check would meet the lost database too, and fail with a
        # traceback: the task that frees the lease makes it once the database is back.
        return
    _recorded_health_email_send(connection)


def failed_sync_retry_lost(connection: GreenhouseConnection, *, started_at: datetime) -> None:
    """The task stopped (its soft time limit, SIGTERM) after the sync that started at
    `started_at` recorded a transient failure, and before the task queued its retry (or
    its retry could not be queued: Celery rejects the task then, the broker down): the org is
    made due in the retry's place (lost_retry_org_due), not left to the schedule an interval
    on. The database lost, the org keeps the next time the failure set."""
    try:
        lost_retry_org_due(connection.pk, attempt_starts=[started_at])
    except DATABASE_LOST_ERRORS as error:
        reconnect_after_database_error()
        logger.warning(
            "sync retry lost org=%s error=%r reason=the retry of a failed sync was not queued "
            "(the task stopped, or the broker failed), and the database was lost as the org "
            "was made due in its place; the schedule syncs it next",
            connection.organization.slug,
            error,
        )


def lost_retry_org_due(connection_id: int, *, attempt_starts: Collection[datetime]) -> bool:
    """The task's retry of the org's sync that started at one of `attempt_starts` was lost (not
    queued): while that sync is still the last to have started, make the org due at once (not
    before the end of a wait Greenhouse asked for) and drop a retry mark written for the lost
    retry, so that the dispatcher's next tick syncs it in the retry's place; returns whether it
    did. Raises the database's error (DATABASE_LOST_ERRORS) if it is lost."""
    return bool(
        GreenhouseConnection.objects.filter(
            pk=connection_id, last_attempt_at__in=attempt_starts
        ).update(next_sync_at=due_by(timezone.now()), retry_at=None)
    )


def _health_email_send_logged(
    connection: GreenhouseConnection, *, raised: tuple[type[Exception], ...] = ()
) -> SyncEmail:
    """The email check of a sync whose outcome is recorded. An error of `raised` is raised,
    and so is the soft time limit, which stops the task; any other is logged: an email gone
    wrong must not turn the sync into a crash (or lose the task's retry of a transient
    failure)."""
    try:
        return sync_health_email_send(connection)
    except raised:
        raise
    except SoftTimeLimitExceeded:
        # The task's stop, not a crash (SoftTimeLimitExceeded is an Exception): logged as the
        # fetch's is, with where the check was waiting, and raised for the task to stop.
        logger.warning(
            "sync email check stopped at its time limit org=%s",
            connection.organization.slug,
            exc_info=True,
        )
        raise
    except Exception:
        logger.exception("sync email crashed org=%s", connection.organization.slug)
        return SyncEmail.NONE


def _recorded_health_email_send(connection: GreenhouseConnection) -> None:
    """The email check of a sync whose outcome is recorded and whose lease is freed. Lost with
    the database, the check is left to the task that frees a lease later, told that there is
    none to free: logged as a crash, a failure or recovery email due would wait for the next
    sync in that state, an interval on."""
    try:
        _health_email_send_logged(connection, raised=DATABASE_LOST_ERRORS)
    except DATABASE_LOST_ERRORS as exc:
        reconnect_after_database_error()
        broker_error = _lease_release_queue(connection, lease_freed=True)
        if broker_error is not None:
            logger.warning(
                "sync email check left to the next sync org=%s error=%r broker_error=%r "
                "reason=the database was lost as the sync, its outcome recorded and its lease "
                "freed, made its email check, and the task to make it later could not be queued",
                connection.organization.slug,
                exc,
                broker_error,
            )
            return
        logger.warning(
            "sync email check deferred org=%s error=%r reason=the database was lost as the "
            "sync, its outcome recorded and its lease freed, made its email check; a task "
            "makes it once the database is back",
            connection.organization.slug,
            exc,
        )


def _recorded_sync_lock_release(connection: GreenhouseConnection, lease: datetime) -> bool:
    """Free the lease of a sync whose outcome is recorded; whether it was freed. Lost with the
    database, the lease is left to a task that frees it once the database is back: raised, the
    error would have the task run the sync again, fetching the board twice and counting a
    failure twice. With the broker down too, the lease is left to run out."""
    try:
        release_sync_lock(connection, lease)
    except DATABASE_LOST_ERRORS as exc:
        reconnect_after_database_error()
        broker_error = _lease_release_queue(connection)
        if broker_error is not None:
            logger.warning(
                "sync lease left to run out org=%s error=%r broker_error=%r reason=the database "
                "was lost as the sync, its outcome recorded, freed it, and the task to free it "
                "later could not be queued (SYNC_LOCK_SECONDS=%d); the next sync makes its "
                "email check",
                connection.organization.slug,
                exc,
                broker_error,
                settings.SYNC_LOCK_SECONDS,
            )
            return False
        logger.warning(
            "sync lease release deferred org=%s error=%r reason=the database was lost as the "
            "sync, its outcome recorded, freed it; a task frees it, and makes the sync's email "
            "check, once the database is back",
            connection.organization.slug,
            exc,
        )
        return False
    return True


def _lease_release_queue(
    connection: GreenhouseConnection, *, lease_freed: bool = False
) -> Exception | None:
    """Queue jobs.tasks.release_sync_lease for the sync that started at the org's last
    attempt: to free its lease and make its email check, or, `lease_freed`, the check alone.
    Returns the broker's error if it could not be queued."""
    from jobs.tasks import release_sync_lease  # the task module imports this one

    # The sync noted its start on `connection` (last_attempt_at) as it took the lease.
    started_at = connection.last_attempt_at.isoformat()
    try:
        release_sync_lease.apply_async(
            (connection.pk, started_at),
            kwargs=lease_release_options(lease_freed=lease_freed),
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except BROKER_ERRORS as broker_error:
        return broker_error
    return None


def lease_release_options(*, lease_freed: bool) -> dict[str, bool]:
    """The keyword arguments of jobs.tasks.release_sync_lease: `lease_freed` only when true, as
    a worker of a release before the argument fails a task that has it."""
    return {"lease_freed": True} if lease_freed else {}


def is_schema_mismatch(error: BaseException) -> bool:
    """Whether SQLite failed `error`'s query on a table or column the database lacks."""
    return isinstance(error.__cause__, sqlite3.OperationalError) and any(
        mismatch in str(error) for mismatch in SQLITE_SCHEMA_MISMATCHES
    )


def reconnect_after_database_error() -> None:
    """Close the connection a database error broke (the server restarted, failed over or
    ended the session), so that the next query opens a new one. A sync that crashed records
    its failure and frees its lease on it: Django reconnects only between tasks, and on the
    broken one those writes would fail too, leaving the org "Running…" and refusing Refresh
    now until its lease ran out."""
    if db_connection.errors_occurred and not db_connection.in_atomic_block:
        db_connection.close()


def _fetch_and_apply(
    connection: GreenhouseConnection, run: SyncRun, client: GreenhouseClient, *, lease: datetime
) -> SyncResult:
    connection.refresh_from_db(fields=FIELDS_READ_UNDER_LEASE)
    try:
        response = client.fetch_jobs_response(
            connection.board_token, if_none_match=_applied_board_etag(connection)
        )
        if response.not_modified or _is_applied_board(connection, response.fingerprint):
            counts = SyncCounts(
                unchanged=connection.applied_board_imported,
                skipped=connection.applied_board_skipped,
            )
            _record_success(
                connection,
                run,
                counts,
                now=timezone.now(),
                http_status=304 if response.not_modified else 200,
                **_etag_values(response),
            )
            return SyncResult(
                outcome=SyncResult.Outcome.SUCCESS,
                counts=counts,
                run_id=run.pk,
            )
        raw_jobs = response.posts()
    except GreenhouseError as exc:
        _record_failure(
            connection,
            run,
            message=exc.message,
            http_status=exc.http_status,
            retry_after=exc.retry_after,
            # A token saved before the form checked it as it does now fails that check here,
            # and is as much the admins' to fix as one Greenhouse does not know.
            invalid_token=isinstance(exc, BoardNotFound | InvalidBoardToken),
        )
        return SyncResult(
            outcome=SyncResult.Outcome.FAILED,
            error=exc.message,
            transient=exc.transient,
            retry_after=exc.retry_after,
            run_id=run.pk,
        )
    now = timezone.now()
    # Asked before applying too, so that a sync long overtaken does not write for nothing.
    if not _lease_held(connection, lease):
        return _lease_lost(connection, run)
    # The success is recorded in the apply's transaction: a sync stopped while recording it (at
    # its time limit, say) has then changed nothing, as its failure will say.
    try:
        with transaction.atomic():
            counts = apply_board(connection, raw_jobs, now=now)
            # Asked again last: the lease may have run out while a large board was applied.
            if not _lease_held(connection, lease):
                raise _LeaseLost
            if counts.changed_jobs:
                connection.organization.mark_listing_changed()
            _record_success(
                connection,
                run,
                counts,
                now=now,
                applied_board_fingerprint="" if counts.dated_ahead else response.fingerprint,
                applied_board_open_jobs=_open_jobs(connection),
                applied_board_skipped=counts.skipped,
                applied_board_skip_reasons=counts.skip_reasons,
                applied_board_skipped_for_id=counts.skipped_for_id,
                applied_board_imported=counts.imported,
                applied_board_imported_fingerprint=response.fingerprint,
                **_etag_values(response),
            )
    except _LeaseLost:
        return _lease_lost(connection, run)
    if counts.changed_jobs:
        listing_cache_invalidate(organization=connection.organization)
    return SyncResult(outcome=SyncResult.Outcome.SUCCESS, counts=counts, run_id=run.pk)


class _LeaseLost(Exception):
    """Undoes the apply's transaction of a sync whose lease ran out before it committed."""


def _lease_held(connection: GreenhouseConnection, lease: datetime) -> bool:
    """Whether this sync's lease is still its own and running. Celery's time limits, which
    should stop a sync well before its lease ends, do not always fire; a sync that outlived
    its lease may have been overtaken, and its older board must not overwrite a newer one's.

    Asked with an UPDATE that changes nothing: in a transaction, it holds the connection's row
    (SQLite: the database) until the commit, so no sync can take the lease over in between."""
    return bool(
        GreenhouseConnection.objects.filter(
            pk=connection.pk, lock_expires_at=lease, lock_expires_at__gt=timezone.now()
        ).update(lock_expires_at=lease)
    )


def _lease_lost(connection: GreenhouseConnection, run: SyncRun) -> SyncResult:
    """Only the run is recorded: the connection's state may be a newer sync's by now."""
    slug = connection.organization.slug
    # The setting is for whoever runs the site; the org admin's message does not name it.
    logger.warning(
        "sync abandoned org=%s run=%s reason=lease expired (SYNC_LOCK_SECONDS=%d)",
        slug,
        run.pk,
        settings.SYNC_LOCK_SECONDS,
    )
    SyncRun.objects.filter(pk=run.pk).update(
        outcome=SyncRun.Outcome.FAILED, finished_at=timezone.now(), error_message=LEASE_LOST_MESSAGE
    )
    return SyncResult(
        outcome=SyncResult.Outcome.FAILED,
        error=LEASE_LOST_MESSAGE,
        run_id=run.pk,
    )


def _is_applied_board(connection: GreenhouseConnection, fingerprint: str) -> bool:
    """The board is byte for byte the one the last full sync applied and counted (code before
    0045 did not), and every job that sync left open still is (none deleted here since):
    applying it again would change nothing, and count what that sync counted."""
    return (
        connection.applied_board_fingerprint == fingerprint
        and connection.applied_board_imported_fingerprint == fingerprint
        and _open_jobs(connection) == connection.applied_board_open_jobs
    )


def _applied_board_etag(connection: GreenhouseConnection) -> str:
    """The ETag to send, or "": Greenhouse's "not modified" must mean the board that the last
    full sync applied, so only while that board is still the one applied whole (see
    _is_applied_board) and the ETag came with it (its fingerprint, which whatever replaces the
    board or has its posts read again clears or changes)."""
    fingerprint = connection.applied_board_etag_fingerprint
    if connection.applied_board_etag and fingerprint and _is_applied_board(connection, fingerprint):
        return connection.applied_board_etag
    return ""


def _etag_values(response: JobsResponse) -> dict[str, str]:
    """What the connection keeps of a board's ETag once the board is applied, or found the same
    as the one applied: with the board's fingerprint, which vouches for it. A "not modified"
    answer keeps what is kept."""
    if response.not_modified:
        return {}
    return {
        "applied_board_etag": response.etag,
        "applied_board_etag_fingerprint": response.fingerprint,
    }


def _open_jobs(connection: GreenhouseConnection) -> int:
    return Job.objects.filter(organization_id=connection.organization_id, is_open=True).count()


# --- Applying a board -----------------------------------------------------------------------


def apply_board(
    connection: GreenhouseConnection, raw_jobs: Sequence[Any], *, now: datetime
) -> SyncCounts:
    """Write the difference between the board and the database; call inside a transaction."""
    org = connection.organization
    counts = SyncCounts()
    existing = {
        gh_id: StoredJob(*stored)
        for gh_id, *stored in Job.objects.filter(organization=org).values_list(
            "greenhouse_id", *StoredJob._fields
        )
    }
    seen: dict[int, set[str]] = {}  # the payload hashes each id is listed with
    # The ids whose post is imported (or kept): the first copy of an id that can be, so that a
    # broken copy listed first does not keep a good one of the same id off the site.
    kept: set[int] = set()
    # The posts skipped, in the board's order: (id, reason, for_id). Counted once all are read,
    # as only then is it known whether a broken copy's id was kept from another copy.
    skips: list[tuple[int | None, str, bool]] = []
    reopen_pks: list[int] = []
    changed: list[JobPost] = []
    for raw in raw_jobs:
        job_id = job_id_of(raw)
        if job_id is None:
            # Named by its title, if it has one: its admins have nothing else to find it by.
            title = title_of(raw)
            skips.append(
                (None, "a post with no valid id" + (f" (“{title}”)" if title else ""), True)
            )
            continue
        payload_hash = job_payload_hash(raw)
        # Seen before parsing: a post that is on the board but malformed is kept, not closed.
        hashes = seen.setdefault(job_id, set())
        if payload_hash in hashes:
            # Imported (or skipped) once, as listed: "not imported" sent the admins to fix
            # in Greenhouse a post that is on the site.
            logger.info("sync ignored a post listed twice org=%s job=%s", org.slug, job_id)
            continue
        hashes.add(payload_hash)
        if job_id in kept:
            skips.append((job_id, _listed_again(job_id, kept=True), True))
            continue
        current = existing.get(job_id)
        if current is None or current.payload_hash != payload_hash:
            try:
                post = parse_job(raw, payload_hash=payload_hash)
            except InvalidJob as exc:
                skips.append((job_id, str(exc), False))
                continue
            counts.dated_ahead += post.dated_ahead
            # A post dated ahead has a hash of its own (dated_ahead_hash): stored, it is the
            # same post, still ahead.
            if current is None or current.payload_hash != post.payload_hash:
                kept.add(job_id)
                changed.append(post)
                continue
        kept.add(job_id)
        if current.is_open:
            counts.unchanged += 1
        else:
            reopen_pks.append(current.pk)
    to_fix: set[int] = set()  # the ids of the broken posts counted as the admins' to fix
    for job_id, reason, for_id in skips:
        if not for_id and (job_id in kept or job_id in to_fix):
            # A broken copy of a post imported from another, or of one counted to fix already:
            # "once fixed in Greenhouse, the next sync imports them" sent its admins to mend a
            # post whose job is on the site, or promised two posts of one id, one a duplicate.
            logger.info(
                "sync skipped a broken copy org=%s job=%s reason=%s", org.slug, job_id, reason
            )
            reason, for_id = _listed_again(job_id, kept=job_id in kept), True
        elif not for_id:
            to_fix.add(job_id)
        _skip(counts, org, reason, for_id=for_id)

    if reopen_pks:
        counts.reopened += Job.objects.filter(pk__in=reopen_pks).update(
            is_open=True, closed_at=None, synced_at=now
        )
    if changed:
        _write_changed_posts(org, changed, existing, counts, now=now)
    close_pks = [
        stored.pk for gh_id, stored in existing.items() if stored.is_open and gh_id not in seen
    ]
    if close_pks:
        counts.closed = close_missing_jobs(close_pks, now=now)
    return counts


class StoredJob(NamedTuple):
    """What applying a board reads of each job of the org."""

    pk: int
    payload_hash: str
    is_open: bool
    content_hash: str
    search_hash: str


def _listed_again(job_id: int, *, kept: bool) -> str:
    """Why a copy of a post is skipped whose id another copy holds on the site (`kept`), or a
    broken copy listed before it is counted to fix for: "the first that can be imported is
    kept" of an id none of whose copies could be said a job was on the site that was not."""
    kept_text = (
        "the first that can be imported is kept"
        if kept
        else "no copy can be imported yet, and the first that can will be kept"
    )
    return f"job post {job_id} listed again with other content (a duplicate id); {kept_text}"


def _skip(counts: SyncCounts, org: Any, reason: str, *, for_id: bool = False) -> None:
    """Count a skipped post and keep why; `for_id`: for its id, which Greenhouse gives, so that
    its admins are not told to fix the post in Greenhouse (jobs.status)."""
    counts.skipped += 1
    counts.skipped_for_id += for_id
    if len(counts.skip_reasons) < MAX_SKIP_REASONS:
        counts.skip_reasons.append(reason)
    logger.warning("sync skipped a post org=%s reason=%s", org.slug, reason)


def close_missing_jobs(job_pks: Iterable[int], *, now: datetime) -> int:
    """Jobs that left the board are closed, never deleted: their site-owned fields survive."""
    return Job.objects.filter(pk__in=list(job_pks), is_open=True).update(
        is_open=False, closed_at=now, synced_at=now
    )


def _write_changed_posts(
    org: Any,
    posts: list[JobPost],
    existing: dict[int, StoredJob],
    counts: SyncCounts,
    *,
    now: datetime,
) -> None:
    department_pks = _upsert_units(Department, org, [u for p in posts for u in p.departments])
    office_pks = _upsert_units(Office, org, [u for p in posts for u in p.offices])
    posts = _with_kept_units(
        posts, existing, unit_pks={"departments": department_pks, "offices": office_pks}
    )
    # A chunk at a time: a first import then holds the descriptions of the chunk written and
    # of those read ahead in memory, not a whole board's (bench/README.md).
    chunks = _in_chunks(posts)
    with _pipeline(), _description_threads() as threads:
        read_ahead: deque[Future[list[Description]]] = deque()
        for index, chunk in enumerate(chunks):
            # The threads keep DESCRIPTION_THREADS chunks ahead of the one written here.
            for later in chunks[index + len(read_ahead) : index + 1 + DESCRIPTION_THREADS]:
                described = [post for post in later if not _keeps_description(post, existing)]
                read_ahead.append(threads.submit(_descriptions_of, described))
            _write_jobs(org, chunk, read_ahead.popleft().result(), existing, counts, now=now)
    job_pks = {gh_id: stored.pk for gh_id, stored in existing.items()}
    new_ids = [post.greenhouse_id for post in posts if post.greenhouse_id not in existing]
    for some_new_ids in _in_chunks(new_ids):  # executemany returns no ids
        job_pks.update(
            Job.objects.filter(organization=org, greenhouse_id__in=some_new_ids).values_list(
                "greenhouse_id", "pk"
            )
        )
    for chunk in chunks:
        stored_pks = [
            job_pks[post.greenhouse_id] for post in chunk if post.greenhouse_id in existing
        ]
        for through, unit_column, unit_pks, attribute in (
            (Job.departments.through, "department_id", department_pks, "departments"),
            (Job.offices.through, "office_id", office_pks, "offices"),
        ):
            # A set: a post that names a unit twice gets one link.
            units = {
                job_pks[post.greenhouse_id]: {
                    unit_pks[unit.greenhouse_id] for unit in getattr(post, attribute)
                }
                for post in chunk
            }
            _link_units(through, unit_column, units, stored_pks=stored_pks)


def _with_kept_units(
    posts: list[JobPost], existing: dict[int, StoredJob], *, unit_pks: dict[str, dict[int, int]]
) -> list[JobPost]:
    """The posts, each that came without its departments or offices (units_not_sent) given
    its job's own, and a new job's none. Read after the upsert of the units, they have the
    names those have now; their pks join `unit_pks` (greenhouse id → pk, by attribute), so that
    their links stay as they are."""
    missing = [post for post in posts if post.units_not_sent]
    if not missing:
        return posts
    kept: defaultdict[tuple[str, int], list[Unit]] = defaultdict(list)
    for attribute, model in (("departments", Department), ("offices", Office)):
        job_pks = [
            existing[post.greenhouse_id].pk
            for post in missing
            if attribute in post.units_not_sent and post.greenhouse_id in existing
        ]
        columns = ["greenhouse_id", "name", "parent_greenhouse_id"]
        if model is Office:
            columns.append("location")
        units = model.objects.filter(jobs__in=job_pks).order_by("pk")
        for job_pk, pk, *values in units.values_list("jobs", "pk", *columns) if job_pks else ():
            kept[attribute, job_pk].append(Unit(*values))
            unit_pks[attribute][values[0]] = pk
    given = {}
    for post in missing:
        stored = existing.get(post.greenhouse_id)
        for attribute in post.units_not_sent:
            logger.warning(
                "job post %s came without its %s; %s",
                post.greenhouse_id,
                attribute,
                "its job keeps its own" if stored else "its new job gets none",
            )
        own = {
            attribute: tuple(kept[attribute, stored.pk]) if stored else ()
            for attribute in post.units_not_sent
        }
        given[post.greenhouse_id] = dataclasses.replace(post, **own, units_not_sent=())
    return [given.get(post.greenhouse_id, post) for post in posts]


def _link_units(
    through: Any, unit_column: str, units: dict[int, set[int]], *, stored_pks: list[int]
) -> None:
    """Give each job (pk) the links to its units (pks), writing only those of jobs whose set of
    units changed: a board-wide edit in Greenhouse changes every post, seldom their departments
    or offices, and replacing every job's links rewrote every link row. The stored links of
    `stored_pks` (the jobs not new) are read in one query; new jobs have none yet."""
    stored: defaultdict[int, set[int]] = defaultdict(set)
    if stored_pks:
        for job_pk, unit_pk in through.objects.filter(job_id__in=stored_pks).values_list(
            "job_id", unit_column
        ):
            stored[job_pk].add(unit_pk)
    relinked = [job_pk for job_pk, unit_pks in units.items() if unit_pks != stored[job_pk]]
    replaced = [job_pk for job_pk in relinked if stored[job_pk]]
    if replaced:
        through.objects.filter(job_id__in=replaced).delete()
    links = [(job_pk, unit_pk) for job_pk in relinked for unit_pk in units[job_pk]]
    _insert_rows(through._meta.db_table, ["job_id", unit_column], sorted(links))


def _in_chunks(items: list[Any]) -> list[list[Any]]:
    return [
        items[start : start + WRITE_CHUNK_SIZE] for start in range(0, len(items), WRITE_CHUNK_SIZE)
    ]


class Description(NamedTuple):
    """What the sync derives from a post's escaped `content`."""

    safe_html: str
    excerpt: str
    text: str


def _keeps_description(post: JobPost, existing: dict[int, StoredJob]) -> bool:
    """Whether the job of a changed post keeps the description, excerpt and text it has: the
    post came without its content (read again once its next version brings it), or with the
    content and address they were read from, as after a board-wide edit in Greenhouse. A job
    whose post's hash was forgotten to have it read again (migrations 0017-0019), or stored
    before content hashes (0035), has it read in full."""
    stored = existing.get(post.greenhouse_id)
    if stored is None:
        return False
    return post.content_html is None or (
        bool(stored.payload_hash) and stored.content_hash == post.content_hash
    )


def _descriptions_of(posts: list[JobPost]) -> dict[int, Description]:
    """By greenhouse id. Each step runs over all the posts before the next starts: with nh3,
    BeautifulSoup and the text taking turns post by post, the same work took a quarter longer
    (bench/README.md)."""
    safe_htmls = [
        _safe_html_within_bounds(
            post, sanitize_content(post.content_html, post_url=post.absolute_url)
        )
        for post in posts
    ]
    excerpts = [
        excerpt_of(safe_html, escaped_content=post.content_html or "")
        for post, safe_html in zip(posts, safe_htmls, strict=True)
    ]
    texts = [text_of(safe_html) for safe_html in safe_htmls]
    return {
        post.greenhouse_id: Description(*fields)
        for post, *fields in zip(posts, safe_htmls, excerpts, texts, strict=True)
    }


def _safe_html_within_bounds(post: JobPost, safe_html: str) -> str:
    """The clean description cut to MAX_SAFE_HTML_CHARS, and the cut logged."""
    if len(safe_html) <= MAX_SAFE_HTML_CHARS:
        return safe_html
    head = safe_html_head(safe_html)
    logger.warning(
        "job post %s: clean description of %d characters cut to %d",
        post.greenhouse_id,
        len(safe_html),
        len(head),
    )
    return head


@contextmanager
def _description_threads() -> Iterator[ThreadPoolExecutor]:
    threads = ThreadPoolExecutor(max_workers=DESCRIPTION_THREADS, thread_name_prefix="describe")
    try:
        yield threads
    finally:
        # After a failure, the chunks no thread has started are dropped, not read for nothing.
        threads.shutdown(cancel_futures=True)


@contextmanager
def _pipeline() -> Iterator[None]:
    """On PostgreSQL, send the jobs' writes without waiting for each chunk's result: the server
    then parses one chunk's search words (migration 0027) while this process derives the next
    chunk's fields (bench/README.md). Elsewhere, or with a libpq older than 14, nothing."""
    if db_connection.vendor != "postgresql" or not psycopg.Pipeline.is_supported():
        yield
        return
    db_connection.ensure_connection()
    # Its end reads the server's answers outside Django's cursors: wrapped, an error there is
    # Django's, as from any query, so a lost connection is told from a bug (and retried).
    with db_connection.wrap_database_errors, db_connection.connection.pipeline():
        yield


def _write_jobs(
    org: Any,
    posts: list[JobPost],
    descriptions: dict[int, Description],
    existing: dict[int, StoredJob],
    counts: SyncCounts,
    *,
    now: datetime,
) -> None:
    """Insert or update the jobs of these posts. A job that keeps its description (the posts
    not in `descriptions`) is written without it, and without its search words while what
    they hold besides it is the same too, which spares building and sending them. (On
    PostgreSQL an UPDATE of any column of a job costs about as much as parsing its words all the
    same: a review found `SET is_open = is_open` over 5,000 jobs taking 3.9 s, against 0.37 s
    without the indexed search_vector.) Each set of fields written is one UPDATE run once per
    job."""
    new_jobs: list[Job] = []
    updates: defaultdict[tuple[str, ...], list[Job]] = defaultdict(list)
    kept_texts = _kept_description_texts(
        [
            existing[post.greenhouse_id].pk
            for post in posts
            if post.greenhouse_id not in descriptions and not _keeps_search_words(post, existing)
        ]
    )
    for post in posts:
        current = existing.get(post.greenhouse_id)
        values = _greenhouse_fields_of(post)
        description = descriptions.get(post.greenhouse_id)
        if description is not None:
            values |= _description_fields_of(post, description)
            values |= _search_fields_of(post, description_text=description.text)
        elif current.pk in kept_texts:
            values |= _search_fields_of(post, description_text=kept_texts[current.pk])
        job = Job(organization=org, greenhouse_id=post.greenhouse_id, **values)
        job.is_open, job.closed_at, job.synced_at = True, None, now
        if current is None:
            new_jobs.append(job)
            continue
        job.pk = current.pk
        updates[tuple(values)].append(job)
        if current.is_open:
            counts.updated += 1
        else:
            counts.reopened += 1
    insert_jobs(new_jobs)
    for field_names, jobs in updates.items():
        update_rows(jobs, [*field_names, "is_open", "closed_at", "synced_at"])
    counts.created += len(new_jobs)


def _keeps_search_words(post: JobPost, existing: dict[int, StoredJob]) -> bool:
    """Whether the job of a changed post that keeps its description keeps its search title and
    text too: they were written for the title and places the post has."""
    stored = existing[post.greenhouse_id]
    return bool(stored.payload_hash) and stored.search_hash == search_words_hash(post)


def _kept_description_texts(job_pks: list[int]) -> dict[int, str]:
    """The text of the descriptions these jobs keep, by pk, for their new search text."""
    if not job_pks:
        return {}
    descriptions = Job.objects.filter(pk__in=job_pks).values_list("pk", "description_html")
    return {pk: text_of(description_html) for pk, description_html in descriptions}


def insert_jobs(jobs: list[Job]) -> None:
    """INSERT new jobs with one statement run once per job (executemany); ids are not read.

    bulk_create() spends its time composing multi-row INSERTs (about 40 rows each on SQLite,
    within its limit on parameters); this costs half as much (bench/README.md). Every value
    is prepared by its field, as save() would.
    """
    fields = [field for field in Job._meta.concrete_fields if not field.primary_key]
    rows = [
        [field.get_db_prep_save(field.pre_save(job, True), db_connection) for field in fields]
        for job in jobs
    ]
    _insert_rows(Job._meta.db_table, [field.column for field in fields], rows)


def update_rows(rows: Sequence[Model], field_names: list[str]) -> None:
    """Write `field_names` of existing rows of one model (jobs, departments or offices, and the
    search fields the migrations from 0027 on rewrite) with one UPDATE run once per row
    (executemany).

    bulk_update() builds a CASE WHEN per field and row; for a churned board that cost more
    than sanitizing the changed posts (bench/README.md), and renaming 5,000 offices took it
    20 s on PostgreSQL, 20,000 past two minutes. The values are prepared by each field, as
    save() would.
    """
    if not rows:
        return
    meta = rows[0]._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = db_connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Only the model's own table and column names are formatted in; every value is a parameter.
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    values = [
        [field.get_db_prep_save(getattr(row, field.attname), db_connection) for field in fields]
        + [row.pk]
        for row in rows
    ]
    with db_connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _insert_rows(table: str, columns: list[str], rows: list[list[Any]]) -> None:
    if not rows:
        return
    quote = db_connection.ops.quote_name
    # Only the models' own table and column names are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(column) for column in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with db_connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _greenhouse_fields_of(post: JobPost) -> dict[str, Any]:
    """The fields copied from the post, less those read from its description."""
    return {
        "title": post.title,
        "internal_job_id": post.internal_job_id,
        "location_name": post.location_name,
        "absolute_url": post.absolute_url,
        "requisition_id": post.requisition_id,
        "language": post.language,
        "company_name": post.company_name,
        "greenhouse_updated_at": post.updated_at,
        "first_published_at": post.first_published_at,
        "application_deadline": post.application_deadline,
        "metadata": post.metadata,
        "greenhouse_remote_policy": remote_policy_of_post(post),
        "payload_hash": post.payload_hash,
    }


def _description_fields_of(post: JobPost, description: Description) -> dict[str, Any]:
    return {
        "description_html": description.safe_html,
        "excerpt": description.excerpt,
        "content_hash": post.content_hash,
    }


def _search_fields_of(post: JobPost, *, description_text: str) -> dict[str, Any]:
    return {
        "search_title": as_searched(post.title),
        "search_text": search_text_of(post, description_text=description_text),
        "search_hash": search_words_hash(post),
    }


def _upsert_units(model: type[Department] | type[Office], org: Any, units: list[Unit]) -> dict:
    """Create or rename departments/offices seen in changed posts; returns greenhouse id → pk."""
    latest = {unit.greenhouse_id: unit for unit in units}
    if not latest:
        return {}
    rows = {row.greenhouse_id: row for row in model.objects.filter(
        organization=org, greenhouse_id__in=list(latest)
    )}  # fmt: skip
    fields = ["name", "parent_greenhouse_id"] + (["location"] if model is Office else [])
    to_create, to_update = [], []
    for gh_id, unit in latest.items():
        # Names and places come cut to their fields' length (greenhouse.NAME_MAX_LENGTH).
        values = {"name": unit.name, "parent_greenhouse_id": unit.parent_greenhouse_id}
        if model is Office:
            values["location"] = unit.location
        row = rows.get(gh_id)
        if row is None:
            to_create.append(model(organization=org, greenhouse_id=gh_id, **values))
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            to_update.append(row)
    model.objects.bulk_create(to_create)
    update_rows(to_update, fields)
    if any(row.pk is None for row in to_create):
        rows = {row.greenhouse_id: row for row in model.objects.filter(
            organization=org, greenhouse_id__in=list(latest)
        )}  # fmt: skip
    else:
        rows.update({row.greenhouse_id: row for row in to_create})
    return {gh_id: row.pk for gh_id, row in rows.items()}


# --- Lock, run history and connection state -------------------------------------------------


def acquire_sync_lock(
    connection: GreenhouseConnection,
    *,
    started_at: datetime | None = None,
    taking_over: datetime | None = None,
    unless_paused: bool = False,
) -> datetime | None:
    """Claim the org's lease with a conditional UPDATE; returns the lease (its expiry) or None.

    `unless_paused`: claim nothing while the org's syncing is paused. The UPDATE reads the
    pause itself: read before, an org paused in between was synced all the same (sync_jobs
    --all, a task queued before the pause).

    The sync's start, `started_at` (now, unless given), is noted as last_attempt_at by the same
    UPDATE and names the sync: a caller that chose it can tell afterwards whether the UPDATE
    took the lease, its answer lost with the database. `taking_over`, the start of such a
    sync, also claims a lease that is not free: while that sync is the last to have started,
    the lease is its own, held or not (freed, or run out), and no other sync's (the task's
    retry of it, jobs.tasks.sync_org).

    The org is also due by the lease's end: a sync whose worker dies (killed, out of memory)
    records no next time, so the dispatcher runs the org again once the lease ends, not at the
    time the last sync set (for a retry, an interval after the failure). The broker's redelivery
    of the dead task cannot stand in: it comes while the lease holds (a killed pool process is
    requeued at once), after the visibility timeout (a whole worker, on Redis) or never (the
    filesystem queue). A sync that ends sets the next time itself; one that stops before it
    records its outcome leaves the org due at once as it frees the lease (release_sync_lock).
    Neither is before the end of a wait Greenhouse asked for (due_by).
    """
    now = started_at or timezone.now()
    lease = now + timedelta(seconds=settings.SYNC_LOCK_SECONDS)
    claimable = GreenhouseConnection.unlocked(now)
    if taking_over is not None:
        claimable |= Q(last_attempt_at=taking_over)
    if unless_paused:
        claimable &= Q(enabled=True)
    claimed = (
        GreenhouseConnection.objects.filter(pk=connection.pk)
        .filter(claimable)
        .update(
            lock_expires_at=lease,
            queued_at=None,
            retry_at=None,
            last_attempt_at=now,
            next_sync_at=due_by(lease),
        )
    )
    if not claimed:
        return None
    connection.lock_expires_at, connection.last_attempt_at = lease, now
    connection.queued_at = connection.retry_at = None
    return lease


def _is_paused(connection: GreenhouseConnection) -> bool:
    """Whether the org's syncing is paused as saved now (False once its connection is gone):
    why acquire_sync_lock, told unless_paused, refused the lease, rather than another sync's."""
    return GreenhouseConnection.objects.filter(pk=connection.pk, enabled=False).exists()


def due_by(moment: datetime) -> Greatest:
    """The org's next sync made due by `moment`, for an UPDATE: at `moment` unless it was due
    sooner (Least keeps an org that was due already in its place in the dispatcher's order),
    and never before the end of a wait Greenhouse asked for (greenhouse_wait_until), which the
    dispatcher waits out and the settings page gives as the next sync."""
    due = Least("next_sync_at", Value(moment))
    return Greatest(due, Coalesce("greenhouse_wait_until", due))


def release_sync_lock(
    connection: GreenhouseConnection, lease: datetime, *, due_now: bool = False
) -> None:
    """Release only our own lease: one that expired and was taken over is not ours to free.

    `due_now`, for a sync that stopped before it recorded its outcome, and so its next time:
    the org is made due at once with its lease freed (or at the end of a wait Greenhouse asked
    for), not left to wait for the lease's end (acquire_sync_lock), which a Refresh now ahead
    of the schedule set as its next time.
    """
    freed: dict[str, Any] = {"lock_expires_at": None}
    if due_now:
        freed["next_sync_at"] = due_by(timezone.now())
    GreenhouseConnection.objects.filter(pk=connection.pk, lock_expires_at=lease).update(**freed)
    connection.lock_expires_at = None


def sync_lease_release(connection_id: int, *, started_at: datetime, due_now: bool = False) -> bool:
    """Free the org's lease if the sync that started at `started_at` is still the last to have
    started, for a sync that could not free its own (jobs.tasks.release_sync_lease); returns
    whether a lease was freed. Once another sync has started since, the lease is that sync's.
    `due_now`: the org is made due at once too, as release_sync_lock's makes it."""
    freed: dict[str, Any] = {"lock_expires_at": None}
    if due_now:
        freed["next_sync_at"] = due_by(timezone.now())
    return bool(
        GreenhouseConnection.objects.filter(
            pk=connection_id, last_attempt_at=started_at, lock_expires_at__isnull=False
        ).update(**freed)
    )


def stopped_sync_run_interrupt(connection: GreenhouseConnection, *, started_at: datetime) -> int:
    """Mark interrupted the run left "running" by the org's sync that started at `started_at`,
    stopped in its own process (sync_jobs, a worker's) before it recorded its outcome, so that
    its history says so at once, not once the next sync starts; while that sync is still the
    last to have started: one started since has marked it (start_sync_run), and has a run of
    its own."""
    still_last = GreenhouseConnection.objects.filter(pk=connection.pk, last_attempt_at=started_at)
    return sync_runs_interrupt(
        connection.organization, Exists(still_last), Q(started_at__gte=started_at)
    )


def stopped_sync_end(connection: GreenhouseConnection, *, started_at: datetime) -> bool:
    """End the org's sync that started at `started_at`, stopped in its own process (sync_jobs,
    a worker's): mark the run it left "running" interrupted, and free its lease should it hold
    it still (stopped as it took it, or as it freed it once its outcome was recorded), while it
    is still the last sync to have started; returns whether it freed the lease. Raises the
    database's error (DATABASE_LOST_ERRORS) if it is lost.

    A lease freed here leaves the org due at once, as the sync leaves it freeing its lease
    stopped (release_sync_lock's due_now), unless the sync had recorded its outcome, and so its
    next time: taken, the lease had made the org due only by the lease's end, later than that
    of a Refresh now ahead of the schedule."""
    reconnect_after_database_error()  # lost as the sync freed its lease, it may be back
    stopped_sync_run_interrupt(connection, started_at=started_at)
    recorded = SyncRun.objects.filter(
        organization_id=connection.organization_id,
        started_at__gte=started_at,
        outcome__in=[SyncRun.Outcome.SUCCESS, SyncRun.Outcome.FAILED],
    ).exists()  # while it is the last to have started, its run is the only one since
    if not sync_lease_release(connection.pk, started_at=started_at, due_now=not recorded):
        return False
    connection.lock_expires_at = None
    return True


def worker_stopped_sync_end(connection: GreenhouseConnection, *, started_at: datetime) -> None:
    """End the org's sync that started at `started_at`, stopped in its worker (WORKER_STOPS),
    as sync_jobs ends its own (stopped_sync_end). The database lost, the run is left to the
    next sync to mark, and a lease still held to run out."""
    try:
        stopped_sync_end(connection, started_at=started_at)
    except DATABASE_LOST_ERRORS as error:
        reconnect_after_database_error()
        logger.warning(
            "sync stop not recorded org=%s error=%r reason=the database was lost as the run of "
            "the sync its worker stopped was marked interrupted and its lease freed; the next "
            "sync marks the run, and a lease still held runs out (SYNC_LOCK_SECONDS=%d)",
            connection.organization.slug,
            error,
            settings.SYNC_LOCK_SECONDS,
        )


def sync_run_of(connection: GreenhouseConnection, *, started_at: datetime) -> SyncRun | None:
    """The run recorded by the org's sync that started at `started_at`, None if it recorded
    none (stopped before). A sync records its run once it holds the lease, so it is the org's
    first since that start, and before the start of any sync that took the lease after it."""
    runs = SyncRun.objects.filter(
        organization_id=connection.organization_id, started_at__gte=started_at
    )
    last_start = (
        GreenhouseConnection.objects.filter(pk=connection.pk)
        .values_list("last_attempt_at", flat=True)
        .first()
    )
    if last_start is not None and last_start != started_at:
        runs = runs.filter(started_at__lt=last_start)
    return runs.order_by("started_at", "pk").first()


def deferred_health_email_send(connection_id: int, *, started_at: datetime) -> SyncEmail:
    """The email check (step 6 of sync_organization) of the org's sync that started at
    `started_at`, which lost the database as it freed its lease or made the check, made while
    that sync is still the last to have started: the org's state is then its outcome. Once
    another has started, that one's own check stands. The database lost is raised, for the
    task to make the check again once it is back; any other error is logged, as the sync logs
    it."""
    connection = (
        GreenhouseConnection.objects.select_related("organization")
        .filter(pk=connection_id, last_attempt_at=started_at)
        .first()
    )
    if connection is None:
        return SyncEmail.NONE
    return _health_email_send_logged(connection, raised=DATABASE_LOST_ERRORS)


def interrupted_message(trigger: str) -> str:
    """Why a run of `trigger` left "running" stopped, as true of the process that ran it."""
    if trigger == SyncRun.Trigger.COMMAND:
        return COMMAND_INTERRUPTED_MESSAGE
    return INTERRUPTED_MESSAGE


def start_sync_run(connection: GreenhouseConnection, *, trigger: str) -> SyncRun:
    org = connection.organization
    # We hold the lock, so any run still marked running belongs to a sync that stopped without
    # recording its end (its worker died, or it lost the database).
    sync_runs_interrupt(org)
    return SyncRun.objects.create(organization=org, trigger=trigger, started_at=timezone.now())


def sync_runs_interrupt(org: Organization, *conditions: Q | Exists) -> int:
    """Mark interrupted the org's runs left "running" (of those that meet `conditions`), each
    as interrupted_message() words it, and log it; how many were."""
    interrupted = SyncRun.objects.filter(
        *conditions, organization=org, outcome=SyncRun.Outcome.RUNNING
    ).update(
        outcome=SyncRun.Outcome.INTERRUPTED,
        finished_at=timezone.now(),
        error_message=Case(
            When(trigger=SyncRun.Trigger.COMMAND, then=Value(COMMAND_INTERRUPTED_MESSAGE)),
            default=Value(INTERRUPTED_MESSAGE),
        ),
    )
    if interrupted:
        # Such a sync logged no "sync finished" line for its run: this is the log's word.
        logger.warning(
            "sync interrupted org=%s runs=%d reason=it stopped before it finished "
            "(its worker or sync_jobs stopped, or it lost the database)",
            org.slug,
            interrupted,
        )
    return interrupted


def _record_success(
    connection: GreenhouseConnection,
    run: SyncRun,
    counts: SyncCounts,
    *,
    now: datetime,
    http_status: int = 200,
    **connection_values: Any,
) -> None:
    finished = timezone.now()
    SyncRun.objects.filter(pk=run.pk).update(
        outcome=SyncRun.Outcome.SUCCESS,
        finished_at=finished,
        http_status=http_status,
        **counts.as_dict(),
    )
    _update_connection(
        connection,
        state=GreenhouseConnection.State.OK,
        last_error="",
        last_success_at=now,
        failing_since=None,
        consecutive_failures=0,
        now=now,
        **connection_values,
    )


def _record_failure(
    connection: GreenhouseConnection,
    run: SyncRun,
    *,
    message: str,
    http_status: int | None,
    retry_after: float | None = None,
    invalid_token: bool = False,
) -> None:
    """Record the failure. The schedule's next sync waits at least `retry_after` seconds, as
    Greenhouse asked (6 hours at most, as urllib3 reads it), or, without one, until the end of
    an earlier failure's wait not yet passed, even should the interval change
    (greenhouse_wait_until): the task's retry waits for it too, or leaves one longer than it
    waits to this schedule (jobs.tasks._retry_failed_sync), and a sync not retried (sync_jobs's,
    a task's last try) was asked again an interval later."""
    now = timezone.now()
    SyncRun.objects.filter(pk=run.pk).update(
        outcome=SyncRun.Outcome.FAILED,
        finished_at=now,
        http_status=http_status,
        error_message=message,
    )
    state = (
        GreenhouseConnection.State.INVALID_TOKEN
        if invalid_token
        else GreenhouseConnection.State.FAILING
    )
    if retry_after:
        wait_until: datetime | None = now + timedelta(seconds=retry_after)
    else:
        # A failure that names no wait (a timeout, a 500) does not end one Greenhouse asked for.
        earlier = connection.greenhouse_wait_until
        wait_until = earlier if earlier and earlier > now else None
    _update_connection(
        connection,
        state=state,
        last_error=message,
        failing_since=connection.failing_since or now,
        consecutive_failures=connection.consecutive_failures + 1,
        now=now,
        wait_until=wait_until,
    )


def _update_connection(
    connection: GreenhouseConnection,
    *,
    now: datetime,
    wait_until: datetime | None = None,
    **values: Any,
) -> None:
    """Store the sync's outcome and schedule the next one an interval after `now` (or at
    `wait_until`, if later, the end of the wait Greenhouse asked for), if the sync still holds
    its lease: one that outlived it leaves the connection to the sync that took over (Celery's
    time limits do not always fire)."""
    # The interval as saved now, not as read when the sync started: an admin may have changed it
    # meanwhile, and the old one would put off (or bring forward) the next sync by hours.
    saved = GreenhouseConnection.objects.filter(
        pk=connection.pk, lock_expires_at=connection.lock_expires_at
    )
    connection.sync_interval_minutes = (
        saved.values_list("sync_interval_minutes", flat=True).first()
        or connection.sync_interval_minutes  # deleted or taken over: the update changes nothing
    )
    values["greenhouse_wait_until"] = wait_until
    values["next_sync_at"] = max(now + connection.sync_interval, wait_until or now)
    saved.update(**values)
    for name, value in values.items():
        setattr(connection, name, value)
