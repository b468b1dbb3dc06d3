"""What the admin pages say about an org's syncing, as one plain dict.

The settings, jobs and history pages render it and status.json serves it to the polling script,
so the words people read ("Finished: 3 new, 2 updated, 1 closed") are written in one place.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timeuntil

from jobs.alerts import admins_can_be_emailed
from jobs.memberships import admins_who_can_sign_in
from jobs.models import GreenhouseConnection, Organization, SyncRun
from jobs.sync import SyncCounts, interrupted_message
from jobs.text import without_direction_controls

# The script polls while a sync is queued or running; on any other phase it stops, but for
# PHASE_NOT_STARTED (below) and a retry coming (retry_in_seconds).
PHASE_IDLE = "idle"
PHASE_QUEUED = "queued"
PHASE_RUNNING = "running"
PHASE_FINISHED = "finished"
PHASE_FAILED = "failed"
# A sync queued longer ago than SYNC_QUEUED_STALE_SECONDS that has not started: neither under way
# nor ended, it may be queued again by the dispatcher, or start, at no time the status can name,
# so the script looks once a minute (NOT_STARTED_POLL_MS), while its tab is shown.
PHASE_NOT_STARTED = "not_started"
# A worker takes a queued sync within seconds; one still waiting after this has a reason.
QUEUED_LONG_SECONDS = 60
# How long after its time a retry of a failed sync that has not started is still looked for by
# the admin pages (a worker busy, or late): after that, as the schedule, it is left to a reload.
RETRY_LATE_SECONDS = 60
# What the org's admins can do about skipped posts: fix most in Greenhouse, but not one skipped
# for its id, which Greenhouse gives (jobs.sync._skip).
SKIPPED_FOR_ID_TEXT = (
    "Greenhouse gives each post its id, so a post without a readable one, or listed under "
    "another post's, is not fixed by editing it: the next sync imports it once Greenhouse sends "
    "it right; if it does not, ask Greenhouse's support."
)
# The last error's place while the latest sync's line, under the list, gives it in full.
LAST_ERROR_BELOW_TEXT = "see the failed sync below"


def run_counts(run: SyncRun) -> SyncCounts:
    return SyncCounts(**{name: getattr(run, name) for name in SyncCounts().as_dict()})


def run_result_text(run: SyncRun) -> str:
    """One run's result in words: its counts, or why it failed."""
    if run.outcome == SyncRun.Outcome.SUCCESS:
        return run_counts(run).summary()
    if run.outcome == SyncRun.Outcome.RUNNING:
        return "running"
    return run.error_message or run.get_outcome_display()


def moment_text(moment: datetime | None, *, seconds: bool = False) -> str:
    if moment is None:
        return "never"
    return date_and_zone_text(moment, "j M Y, H:i:s" if seconds else "j M Y, H:i")


def date_and_zone_text(moment: datetime, format_string: str) -> str:
    """`moment` in the site's time zone, written in Django's `format_string` and followed by its
    zone, as the format's "T" would name it but in the hour a fall-back repeats: "T" names none
    of a time its clock reads twice, and "1 Nov 2026, 01:30 " was said of 01:30 EDT and of 01:30
    EST, an hour apart, in a zone such as New York. The moment, whose fold localtime() sets,
    knows which it is."""
    local = timezone.localtime(moment)
    return f"{date_format(local, format_string)} {local.tzname()}"


def wait_end_text(moment: datetime) -> str:
    """The end of a wait, one Greenhouse asked for or a failed sync's until its retry, to the
    second and never before it: a wait over at 21:30:55.4 is not over at 21:30:55. Cut to the
    minute, a wait until 21:30:55 read "until 21:30", and Refresh now pressed at 21:30 as those
    words said was refused again; rounded up to the minute, "until 21:31" was said beside the
    retry that waited it out, "21:30:56", as the settings page gives a retry to the second."""
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment_text(moment, seconds=True)


def sync_status(*, organization: Organization, now: datetime | None = None) -> dict[str, Any]:
    """The connection's health and the latest sync's progress, in data and in words."""
    now = now or timezone.now()
    connection = GreenhouseConnection.objects.filter(organization=organization).first()
    latest = organization.sync_runs.order_by("-started_at", "-pk").first()
    status: dict[str, Any] = {
        "connected": connection is not None,
        "latest_run": _run_as_dict(latest) if latest else None,
    }
    if connection is None:
        return {**status, "phase": PHASE_IDLE, "message": "Not connected to Greenhouse."}
    stale_before = now - timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS)
    running = connection.is_locked(now)
    queued = connection.queued_at is not None and connection.queued_at > stale_before
    # A mark that old is still the one the sync was queued with until a sync starts (taking the
    # lease clears it) or its task skips it (paused since, put off to Greenhouse's wait: that
    # clears it too): that sync has not started, and none since. Without a word for it, the
    # page fell back to the sync before ("Finished: 3 new"), as if the one asked for had run.
    not_started = connection.queued_at is not None and not queued and connection.enabled
    # Every sync marks its attempt as it starts, and connecting another board clears the mark:
    # without it, the org's runs so far synced another board and say nothing of this one.
    latest_of_board = latest if connection.last_attempt_at else None
    # The attempt is dated by its end, as its outcome is (last success, failing since): dated by
    # its start (last_attempt_at, which the schedule counts from), a slow sync read as an attempt
    # older than its own success or failure. One running, or whose worker died, has no end yet.
    attempt_at = (latest_of_board and latest_of_board.finished_at) or connection.last_attempt_at
    phase, message = _phase(
        running=running,
        queued_at=connection.queued_at if queued else None,
        not_started_since=connection.queued_at if not_started else None,
        latest=latest_of_board,
        now=now,
    )
    last_error = connection.as_true_now(connection.last_error)
    return {
        **status,
        "board_token": connection.board_token,
        "board_name": connection.board_name or connection.board_token,
        "enabled": connection.enabled,
        "state": connection.state,
        "state_label": connection.get_state_display(),
        "state_text": _state_text(connection),
        "last_success_at": connection.last_success_at,
        "last_success_text": moment_text(connection.last_success_at),
        "last_attempt_at": attempt_at,
        "last_attempt_text": moment_text(attempt_at),
        "next_sync_at": _next_sync_or_retry_at(connection, now=now),
        "next_sync_text": next_sync_text(connection, now=now),
        "retry_in_seconds": _retry_in_seconds(connection, now=now),
        "failing_since": connection.failing_since,
        "last_error": last_error,
        "last_error_text": (
            LAST_ERROR_BELOW_TEXT
            if _said_below(connection, phase=phase, latest=latest_of_board)
            else last_error
        ),
        "skipped_text": _skipped_text(connection),
        "failure_email_text": _failure_email_text(connection, now=now),
        "queued": queued,
        "running": running,
        "phase": phase,
        "message": connection.as_true_now(message),
    }


def _phase(
    *,
    running: bool,
    queued_at: datetime | None,
    not_started_since: datetime | None,
    latest: SyncRun | None,
    now: datetime,
) -> tuple[str, str]:
    if running:
        return PHASE_RUNNING, "Running…"
    if not_started_since:
        # Its message may still come (workers busy or down), or be lost (a Redis restarted
        # empty): Refresh now no longer waits for it and queues another (unless Greenhouse
        # asked to wait, which it then says), as the dispatcher does once the org is due.
        return PHASE_NOT_STARTED, (
            f"Queued at {moment_text(not_started_since)} and not started since: the site's "
            "workers are busy or down, or the queued sync was lost. Tell whoever runs this "
            "site; Refresh now can queue it again."
        )
    if queued_at and queued_at < now - timedelta(seconds=QUEUED_LONG_SECONDS):
        return PHASE_QUEUED, (
            f"Queued at {moment_text(queued_at)} and still waiting: the site's workers are busy "
            "or down. It runs as soon as one is free; if this lasts, tell whoever runs this site."
        )
    if queued_at:
        return PHASE_QUEUED, "Queued…"
    if latest is None:
        return PHASE_IDLE, "No sync has run yet."
    if latest.outcome == SyncRun.Outcome.SUCCESS:
        return PHASE_FINISHED, f"Finished: {run_result_text(latest)}"
    if latest.outcome == SyncRun.Outcome.RUNNING:
        # Marked running but nobody holds the lock: its sync stopped without recording its end.
        return PHASE_FAILED, f"Failed: {interrupted_message(latest.trigger)}"
    return PHASE_FAILED, f"Failed: {run_result_text(latest)}"


def _said_below(connection: GreenhouseConnection, *, phase: str, latest: SyncRun | None) -> bool:
    """Whether the failed sync's line under the list gives the last error: a refusal's reason
    is five lines long, and the list said it again."""
    said = latest.error_message if latest and phase == PHASE_FAILED else ""
    return bool(said) and said == connection.last_error


def _retry_in_seconds(connection: GreenhouseConnection, *, now: datetime) -> float | None:
    """Seconds until the task retries the failed sync (0 once it is due and not started yet),
    for the page to look again then: None when no retry is coming. Without it, a page that
    followed a sync to its failure stopped there, and went on saying it failed, its retry
    "Next sync" in the past, while the retry ran and worked."""
    retry_at = connection.retry_at
    if not connection.enabled or retry_at is None:
        return None
    if retry_at < now - timedelta(seconds=RETRY_LATE_SECONDS):
        return None
    return max(0.0, (retry_at - now).total_seconds())


def _next_sync_or_retry_at(connection: GreenhouseConnection, *, now: datetime) -> datetime | None:
    """The time next_sync_text names: the task's retry of a failed sync while one is coming
    (_retry_in_seconds; past while it is due and not started yet), else the schedule's; None
    while paused, and while a sync runs. The schedule's time alone gave a program reading
    status.json a sync up to an interval after the retry the words named. While a sync runs,
    the org's next_sync_at is the lease's end, when a dead worker's sync is tried again: given
    here, it read as the next sync beside words saying that time is set when the sync ends."""
    if not connection.enabled or connection.is_locked(now):
        return None
    if _retry_in_seconds(connection, now=now) is not None:
        return connection.retry_at
    return _next_sync_at(connection)


def next_sync_text(connection: GreenhouseConnection, *, now: datetime) -> str:
    """When the org syncs next: the task's retry of a failed sync, or the schedule (a sync
    queued is still due until it runs; a sync running sets the next time as it ends), or
    "paused". Its settings page and Django's admin say it so."""
    if not connection.enabled:
        return "paused"
    if connection.is_locked(now):
        # Not next_sync_at: while a sync runs it is at most the lease's end, the time to try
        # again should the worker die (jobs.sync.acquire_sync_lock).
        return "set when the running sync ends"
    if connection.retry_at and connection.retry_at > now:
        # To the second, however far (the task retries at most RETRY_MAX_SECONDS, 15 minutes,
        # on): cut to the minute, a retry at 10:30:25 read "10:30" at 10:30:05, as if it were
        # due, or late, and one at 10:31:45 read "10:31", up to 45 s before it ran. The task
        # retries at its second, where the schedule's syncs are taken once a minute. Named as
        # Refresh now names the end of a wait Greenhouse asked for, which a retry waits out
        # (its second, or the next: jobs.tasks.greenhouse_wait_left rounds the wait up).
        return f"{wait_end_text(connection.retry_at)}, a retry after the failure"
    if connection.retry_at:
        return _retry_due_text(connection, retry_at=connection.retry_at, now=now)
    return _schedule_text(connection, now=now)


def _retry_due_text(connection: GreenhouseConnection, *, retry_at: datetime, now: datetime) -> str:
    """A retry whose time has passed and that no worker has started yet (starting clears its
    mark): it runs as a worker takes it, before the schedule's next time, an interval after
    the failure, which the page said instead, as if no retry were coming. Its time passed, the
    dispatcher no longer holds off for it (jobs.scheduling.due_connections_claim); late for
    long (a worker busy or down, or its message lost), the page no longer looks for it either
    (_retry_in_seconds), and the schedule's sync may come first."""
    if retry_at >= now - timedelta(seconds=RETRY_LATE_SECONDS):
        return "due now, a retry after the failure"
    return (
        f"{wait_end_text(retry_at)}, a retry after the failure, not started yet (the site's "
        f"workers may be busy or down); otherwise the schedule's sync, "
        f"{_schedule_text(connection, now=now)}"
    )


def _schedule_text(connection: GreenhouseConnection, *, now: datetime) -> str:
    next_sync_at = _next_sync_at(connection)
    if next_sync_at <= now:
        return "due now"
    if next_sync_at == connection.greenhouse_wait_until:
        # Named as Refresh now names it: cut to the minute, it said 21:30 beside "wait until
        # 21:31", the same wait's end.
        return wait_end_text(next_sync_at)
    return moment_text(next_sync_at)


def _next_sync_at(connection: GreenhouseConnection) -> datetime:
    """When the schedule syncs the org next: not before the end of a wait Greenhouse asked for,
    which the dispatcher waits out however soon the org is due
    (jobs.scheduling.due_connections_claim)."""
    return connection.after_greenhouses_wait(connection.next_sync_at)


def _failure_email_text(connection: GreenhouseConnection, *, now: datetime) -> str:
    """Whether the admins were emailed that syncs are failing, or when they would be."""
    if connection.failure_emailed_at:
        return f"sent to the admins {moment_text(connection.failure_emailed_at)}"
    after_minutes = settings.SYNC_FAILURE_EMAIL_AFTER_MINUTES
    if not after_minutes:
        return "off"
    if not admins_can_be_emailed(connection.organization_id):
        if admins_who_can_sign_in(connection.organization_id).exists():
            # An address left empty, or one alerts.admin_emails() skips: inviting is no cure.
            return (
                "no admin has an email address we can use: an admin can set theirs with "
                '"Change your email address"'
            )
        # As connect_greenhouse makes an org: nobody would get it.
        return "no admin to email yet: invite one on the members page"
    after = timeuntil(now + timedelta(minutes=after_minutes), now)
    return f"to the admins once syncs have failed for {after}"


def _skipped_text(connection: GreenhouseConnection) -> str:
    """Which posts of the board the last sync that applied it left out, and why; "" if none.
    Only the org's admins can fix most of them, in Greenhouse: "1 skipped" alone told them
    nothing. Not those skipped for their id, which Greenhouse gives: "Once fixed in Greenhouse"
    sent them looking for an edit that does not exist."""
    skipped, reasons = connection.applied_board_skipped, connection.applied_board_skip_reasons
    if not skipped:
        return ""
    more = f"; and {skipped - len(reasons)} more" if skipped > len(reasons) else ""
    # Plain text (the page's script writes it as such): a title quoted in a reason could leave
    # a direction control open over the reasons after it (jobs/text.py).
    reasons_text = without_direction_controls("; ".join(reasons))
    for_id = connection.applied_board_skipped_for_id
    fixable = skipped - for_id
    fixed = f"fixed in Greenhouse, the next sync imports {'them' if fixable > 1 else 'it'}."
    if not for_id:
        remedy = f"Once {fixed}"
    elif fixable <= 0:
        remedy = SKIPPED_FOR_ID_TEXT
    else:
        others = "the others are" if fixable > 1 else "the other is"
        remedy = f"{SKIPPED_FOR_ID_TEXT} Once {others} {fixed}"
    return f"{skipped} not imported: {reasons_text}{more}. {remedy}"


def _state_text(connection: GreenhouseConnection) -> str:
    if connection.state == GreenhouseConnection.State.FAILING:
        text = f"Failing since {moment_text(connection.failing_since)}"
    else:
        text = connection.get_state_display()
    return text if connection.enabled else f"{text} (syncing paused)"


def _run_as_dict(run: SyncRun) -> dict[str, Any]:
    counts = run_counts(run)
    return {
        "id": run.pk,
        "outcome": run.outcome,
        "outcome_label": run.get_outcome_display(),
        "trigger": run.trigger,
        "trigger_label": run.get_trigger_display(),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "counts": counts.as_dict(),
        "summary": counts.summary(),
        "changed_jobs": counts.changed_jobs,  # the page then offers to reload its list
        "error_message": run.error_message,
    }
