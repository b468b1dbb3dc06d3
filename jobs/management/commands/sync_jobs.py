"""Sync organizations' jobs from Greenhouse now, in this process."""

import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType

from django.core.management.base import CommandError, CommandParser
from django.template.defaultfilters import pluralize
from django.utils import timezone

from jobs.forms import could_be_a_slug
from jobs.management.base import Command as ProjectCommand
from jobs.models import GreenhouseConnection, Organization, SyncRun
from jobs.sync import (
    DATABASE_LOST_ERRORS,
    SyncResult,
    stopped_sync_end,
    sync_organization,
    sync_run_of,
)

SLUG_FIELD = Organization._meta.get_field("slug")
# Ctrl-C, a process manager's or `timeout`'s SIGTERM, a closed terminal's SIGHUP. Handled so that
# the org being synced is freed before the process ends, not left "Running…" (Refresh now refused)
# until its lease runs out.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# A run's outcome as its sync recorded it; "running" and "interrupted" mean it did not.
RECORDED_OUTCOMES = (SyncRun.Outcome.SUCCESS, SyncRun.Outcome.FAILED)


class Stopped(SystemExit):
    """Raised where the command is when a STOP_SIGNAL comes: the sync under way frees its org
    as it unwinds (jobs.sync), and the process ends as the signal would have ended it."""

    def __init__(self, number: int) -> None:
        super().__init__(128 + number)
        self.signal_name = signal.Signals(number).name
        # Where in the org's sync it stopped, set as the sync unwinds; empty: outside a sync.
        self.during_sync = ""
        # A line on the lease the stopped sync left held, the database lost as it was freed.
        self.lease_left = ""


class Command(ProjectCommand):
    help = (
        "Sync the named organizations, or with --all every enabled (not paused) connection, "
        "from Greenhouse now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "org_slugs",
            nargs="*",
            metavar="ORG_SLUG",
            help="an organization's slug, as in /orgs/ORG_SLUG/ (a paused one is synced too)",
        )
        parser.add_argument("--all", action="store_true", help="every enabled connection")

    def handle(self, *args: object, **options: object) -> None:
        slugs: list[str] = options["org_slugs"]  # type: ignore[assignment]
        if slugs and options["all"]:
            raise CommandError("Name organizations or pass --all, not both.")
        if not slugs and not options["all"]:
            raise CommandError("Name one or more organizations, or pass --all.")
        connections = GreenhouseConnection.objects.select_related("organization").order_by(
            "organization__slug"
        )
        if options["all"]:
            connections = connections.filter(enabled=True)
        else:
            not_slugs = [slug for slug in slugs if not could_be_a_slug(slug)]
            if not_slugs:
                raise CommandError(
                    "Not an organization's slug: "
                    + ", ".join(_shown(slug) for slug in not_slugs)
                    + f" (letters, digits, - and _, at most {SLUG_FIELD.max_length})."
                )
            connections = connections.filter(organization__slug__in=slugs)
            missing = set(slugs) - {c.organization.slug for c in connections}
            if missing:
                raise CommandError(_why_not_connected(missing))
        if not connections:
            # Success, but not silence: an operator may have expected orgs to be connected.
            self.say("No organization is connected to Greenhouse with syncing on.")
            return
        failed = done = 0  # done: the orgs whose sync has ended (or that were skipped)

        def say_stopped(stop: Stopped) -> None:  # `done` as it is when the signal comes
            self.stderr.write(_stopped_lines(stop, list(connections), done))

        # Around the whole loop, so that a signal between two orgs says which were not synced.
        with _StopSignals(say_stopped) as signals:
            for connection in connections:
                # --all takes a while: an admin may pause an org after it was listed, which
                # its sync's lease then refuses.
                result = _sync_until_stopped(
                    connection, signals, unless_paused=bool(options["all"])
                )
                done += 1
                # A signal stops the command once the org's line, maybe a failure, is printed.
                with signals.deferred():
                    failed += self._reported_failed(connection, result)
        if failed:
            raise CommandError(f"{failed} organization{pluralize(failed)} failed to sync.")

    def _reported_failed(self, connection: GreenhouseConnection, result: SyncResult) -> bool:
        """Print the outcome of the org's sync; whether it failed."""
        slug = connection.organization.slug
        if result.outcome == result.Outcome.PAUSED:  # since --all listed it
            self.say(f"{slug}: skipped, syncing was paused while this command ran")
        elif result.ok:
            counts = result.counts
            self.say(
                f"{slug}: ok, {counts.created} created, {counts.updated} updated, "
                f"{counts.unchanged} unchanged, {counts.closed} closed, "
                f"{counts.reopened} reopened, {counts.skipped} skipped"
            )
        elif result.outcome == result.Outcome.LOCKED:
            self.say(f"{slug}: skipped, {_why_not_claimed(connection)}")
        else:
            self.stderr.write(f"{slug}: failed, {_as_true_now(connection, result.error)}")
            return True
        return False


def _stopped_lines(stop: Stopped, connections: list[GreenhouseConnection], done: int) -> str:
    """Where `stop` stopped the command, `done` orgs of `connections` over, and which orgs
    were not synced: the org whose sync it stopped and those after it, or, between two orgs,
    the next and those after it."""
    if done == len(connections):
        return f"Stopped by {stop.signal_name} once every organization was synced or skipped."
    slug = connections[done].organization.slug
    when = stop.during_sync or "before its sync began"
    others = len(connections) - done - 1
    after = (
        f"; the {others} organization{pluralize(others)} after it "
        f"{pluralize(others, 'was,were')} not synced"
        if others
        else ""
    )
    return "\n".join(
        filter(None, [f"{slug}: stopped by {stop.signal_name} {when}{after}.", stop.lease_left])
    )


def _sync_until_stopped(
    connection: GreenhouseConnection, signals: "_StopSignals", *, unless_paused: bool
) -> SyncResult:
    """Sync the org (`unless_paused`: not if its syncing is paused as its lease is taken). A
    signal raises Stopped, noting where it stopped the sync, once the sync is ended: the sync
    frees its own lease as it unwinds, and _stopped_sync_end frees one it still holds (stopped
    as it took it, or as it freed it after recording its outcome) and marks its run
    interrupted. Once the sync has returned, a signal waits until the org's line is printed
    (`signals`.deferred())."""
    started_at = timezone.now()
    try:
        result = sync_organization(
            connection,
            trigger=SyncRun.Trigger.COMMAND,
            started_at=started_at,
            unless_paused=unless_paused,
        )
        # Inside the try, so that a signal as the sync returns is handled as one a moment
        # earlier; from here it is held until the org's line is printed.
        signals.hold()
        return result
    except BaseException as error:
        stop = _stop_behind(error)
        if stop is None:
            raise
        _stopped_sync_end(connection, stop, started_at=started_at)
        # The stop, not a database error met as the lease was freed: the process ends as the
        # signal would have ended it.
        raise stop from None


def _stop_behind(error: BaseException) -> Stopped | None:
    """The Stopped `error` is, or that the sync unwound from as it lost the database (freeing
    its lease); None if neither."""
    if not isinstance(error, (Stopped, *DATABASE_LOST_ERRORS)):
        return None
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, Stopped):
        cause = cause.__context__
    return cause


def _stopped_sync_end(
    connection: GreenhouseConnection, stop: Stopped, *, started_at: datetime
) -> None:
    """Mark interrupted the run the stopped sync left "running", free its lease if it holds it
    still, and note on `stop` where it stopped the sync, and a lease left held, the database
    lost."""
    try:
        stopped_sync_end(connection, started_at=started_at)  # its lock_expires_at None if freed
        run = sync_run_of(connection, started_at=started_at)
    except DATABASE_LOST_ERRORS as error:
        stop.during_sync = "during its sync"  # whether it finished is not known
        # Taken (its start noted) and not freed by the sync as it unwound.
        if connection.last_attempt_at == started_at and connection.lock_expires_at:
            stop.lease_left = (
                f"{connection.organization.slug}: its lease could not be freed, the database "
                f"unreachable ({error!r}); it lapses at {_at(connection.lock_expires_at)}, and "
                "no sync of this organization can start before."
            )
        return
    # Stopped as it freed its lease or made its email check, the sync has recorded its outcome.
    finished = run is not None and run.outcome in RECORDED_OUTCOMES
    stop.during_sync = "after its sync finished" if finished else "before its sync finished"


class _StopSignals:
    """While on (`with`), the first of the STOP_SIGNALS raises Stopped where the command is,
    or, while held (hold(), deferred()), once the hold ends; later ones are ignored. Off the
    main thread, which alone may set handlers, it does nothing. Signals the caller ignores or
    handles outside Python are left to it (_replaceable). `say_stopped` is given the Stopped
    before the caller's handlers are put back."""

    def __init__(self, say_stopped: Callable[[Stopped], object]) -> None:
        self.say_stopped = say_stopped
        self.replaced: dict[int, object] = {}  # the caller's handlers, to put back
        self.holding = False  # whether a signal now is held rather than raised
        # The first signal: `held` if it came while holding, `raised` once its Stopped is
        # raised. Either ends the command; later signals are ignored.
        self.held: int | None = None
        self.raised: int | None = None

    def __enter__(self) -> "_StopSignals":
        if threading.current_thread() is threading.main_thread():
            self.replaced = {
                number: handler
                for number in STOP_SIGNALS
                if _replaceable(handler := signal.getsignal(number))
            }
        try:
            for number in self.replaced:
                signal.signal(number, self._stop)
        except Stopped as stop:
            # __exit__ is not called: the caller's handlers are put back here.
            self._stopped_end(stop)
            raise
        return self

    def __exit__(self, _kind: object, error: BaseException | None, _traceback: object) -> None:
        """Put the caller's handlers back, saying a stop first (_stopped_end). Ended by an error,
        the command holds a signal coming meanwhile, so that it does not replace the error, and
        passes it on to the caller's handler once back, as if it came just after."""
        if error is None:
            try:
                # A signal as the handlers are put back stops the command as one before would.
                self._put_back()
            except Stopped as late:
                self._stopped_end(late)
                raise
        elif isinstance(error, Stopped):
            self._stopped_end(error)
        else:
            self.holding = True
            self._put_back()
            if self.held is not None:
                if signal.getsignal(self.held) is signal.SIG_DFL:
                    # The default action ends the process at once, before Python prints the
                    # error or flushes stdout: written first, the operator sees both.
                    sys.stdout.flush()
                    traceback.print_exception(error)
                signal.raise_signal(self.held)

    def hold(self) -> None:
        """Hold a signal coming from now until deferred() ends (_sync_until_stopped)."""
        self.holding = True

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """A signal coming while this runs (or since hold()) stops the command once it is over,
        not in its midst; so does one whose Stopped Python dropped."""
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
        # Python prints and drops a Stopped raised in a finalizer (urllib3 closes a pool's
        # connections in one, as a sync's client is collected): raised again here.
        number = self.held if self.held is not None else self.raised
        if number is not None:
            self.raised = number
            raise Stopped(number)

    def _stop(self, number: int, _frame: FrameType | None) -> None:
        # Only the first stops: a second (SIGTERM sent again, SIGHUP then SIGTERM) must not cut
        # short the stopped sync's freeing of its org. Ignored here rather than by SIG_IGN, for
        # which Python prints "ignored due to race condition" of one that came with the first.
        if self.held is not None or self.raised is not None:
            return
        if self.holding:
            self.held = number
            return
        self.raised = number
        raise Stopped(number)

    def _stopped_end(self, stop: Stopped) -> None:
        """Say `stop`, then put back the caller's handlers: in this order, a second signal,
        ignored until then (_stop), cannot end the process before the stop is said."""
        try:
            self.say_stopped(stop)
        finally:
            self._put_back()

    def _put_back(self) -> None:
        for number, handler in self.replaced.items():
            signal.signal(number, handler)


def _replaceable(handler: object) -> bool:
    """Whether the caller's handler of a STOP_SIGNAL may be replaced while the command runs. One
    ignored by the caller's choice (nohup's SIGHUP) stays ignored; one set outside Python (None
    to signal.getsignal: an embedding program's) cannot be put back, and is left in place."""
    return handler is not None and handler is not signal.SIG_IGN


def _why_not_connected(slugs: set[str]) -> str:
    """Why these slugs name no connection: no org has the slug, or the org is not connected.
    Slugs are matched exactly, as an org saved with capitals keeps its own; a slug that differs
    from an org's only in case is told which slug the org has."""
    existing = set(Organization.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    unknown = sorted(slugs - existing)
    reasons = []
    if unknown:
        reasons.append(
            f"No organization with the slug{pluralize(unknown)} "
            + ", ".join(_with_the_slug_meant(slug) for slug in unknown)
            + "."
        )
    if existing:
        reasons.append(
            "Not connected to Greenhouse: "
            + ", ".join(sorted(existing))
            + " (use connect_greenhouse first)."
        )
    return " ".join(reasons)


def _with_the_slug_meant(slug: str) -> str:
    """`slug`, with the slug of the org it names but for case (one at most, as slugs are unique
    in any case: migration jobs 0070)."""
    meant = (
        Organization.objects.filter(slug__in_any_case=slug).values_list("slug", flat=True).first()
    )
    return f"{slug} (did you mean {meant}?)" if meant else slug


def _as_true_now(connection: GreenhouseConnection, error: str) -> str:
    """The failure's message as true when it is printed: a paused org, named here, is synced
    once and no sync tries it again. Paused as it is now, not as this command listed it: --all
    takes a while, and an admin may pause (or resume) an org meanwhile."""
    connection.enabled = _enabled_now(connection)
    return connection.as_true_now(error)


def _enabled_now(connection: GreenhouseConnection) -> bool:
    """Whether the org's syncing is on (not paused) as saved now, or, deleted meanwhile, as this
    command listed it."""
    saved = GreenhouseConnection.objects.filter(pk=connection.pk)
    enabled = saved.values_list("enabled", flat=True).first()
    return connection.enabled if enabled is None else enabled


def _why_not_claimed(connection: GreenhouseConnection) -> str:
    """Why the sync could not take the org's lease: another sync holds it, or held it and has
    ended since, or the row is gone because the org was deleted or disconnected after this
    command listed it (--all takes a while). Nothing stored tells a sync that is running from
    one killed without freeing its lease, but the lease's end is stored: the org is free then
    at the latest."""
    leases = GreenhouseConnection.objects.filter(pk=connection.pk).values_list(
        "lock_expires_at", flat=True
    )
    if not leases:
        return "it was disconnected or deleted while this command ran"
    lapses = leases[0]
    if lapses is None or lapses <= timezone.now():
        return "another sync of this organization held its lease"
    return (
        f"another sync of this organization holds its lease until {_at(lapses)} at the latest "
        "(it is running, or was stopped without freeing it)"
    )


def _at(moment: datetime) -> str:
    """`moment` in the site's time zone, to the second, for an operator."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z")


def _shown(text: str) -> str:
    """`text` quoted, with what a terminal would not show escaped, and cut if long."""
    return repr(text if len(text) <= 40 else text[:40] + "…")
