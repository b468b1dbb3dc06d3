"""Connecting an organization to a Greenhouse board."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Value, When
from django.db.models.functions import Least
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from jobs.cache import listing_cache_invalidate
from jobs.greenhouse import (
    AnsweredInsteadOfTheBoard,
    Board,
    BoardNotFound,
    GreenhouseClient,
    GreenhouseError,
    GreenhouseTimeout,
    LedAstray,
    RateLimited,
    Unavailable,
    answered_instead_of_the_board,
    board_token_of,
    is_eu_board_address,
    validate_board_token,
)
from jobs.models import (
    MAX_SYNC_INTERVAL_MINUTES,
    MIN_SYNC_INTERVAL_MINUTES,
    GreenhouseConnection,
    Job,
    Organization,
    SyncRun,
    organizations_key_share_lock,
)
from jobs.scheduling import BrokerUnavailable, RefreshOutcome, request_refresh
from jobs.sync import acquire_sync_lock, close_missing_jobs
from jobs.text import LEFT_TO_RIGHT_MARK, RIGHT_TO_LEFT_BLOCKS_RE, name_in_sentence, wait_in_words

BOARD_HISTORY_FIELDS = [
    "state",
    "last_error",
    "last_attempt_at",
    "last_success_at",
    "failing_since",
    "consecutive_failures",
    "failure_emailed_at",
    "failure_email_claimed_at",
    "retry_at",
    "greenhouse_wait_until",
    "applied_board_fingerprint",
    "applied_board_open_jobs",
    "applied_board_skipped",
    "applied_board_skip_reasons",
    "applied_board_skipped_for_id",
    "applied_board_imported",
    "applied_board_imported_fingerprint",
    "applied_board_etag",
    "applied_board_etag_fingerprint",
]


# Someone waits on the settings page for this check: it must answer well inside the web
# server's own timeout (gunicorn's is 30 seconds), not after a sync's retries.
BOARD_CHECK_SECONDS = 10.0


# The host of GREENHOUSE_API_BASE's default (orgsite.settings): Greenhouse's US site.
GREENHOUSE_US_API_HOST = "boards-api.greenhouse.io"


def check_board(board_token: str, *, client: GreenhouseClient | None = None) -> Board:
    """Ask Greenhouse whether the token names a board; raises a GreenhouseError if not."""
    client = client or GreenhouseClient(answer_within=BOARD_CHECK_SECONDS)
    try:
        return client.fetch_board(validate_board_token(board_token_of(board_token)))
    except BoardNotFound as exc:
        api_host = urlsplit(settings.GREENHOUSE_API_BASE).hostname
        if not (is_eu_board_address(board_token) and api_host == GREENHOUSE_US_API_HOST):
            raise
        # Read as the token alone, the address's EU site was lost: only "no job board". No
        # Greenhouse page documents an EU host of the board API, so none is named here.
        raise BoardNotFound(
            f"{exc.message} The address pasted is of a board on Greenhouse's EU site "
            f"(eu.greenhouse.io), and this site reads boards from {api_host} (its "
            "GREENHOUSE_API_BASE setting), which may not have it.",
            http_status=exc.http_status,
        ) from None


# The client's messages for these promise that "the sync will try again later"; when connecting
# (settings page, connect_greenhouse) nothing was stored and nothing retries: say what to do.
CHECK_FAILURE_MESSAGES: tuple[tuple[type[GreenhouseError], str], ...] = (
    (RateLimited, "Greenhouse is rate limiting requests right now, so the token"),
    (GreenhouseTimeout, "Greenhouse did not answer in time, so the token"),
    (Unavailable, "Greenhouse could not be reached or is having trouble, so the token"),
    # Any other passing one (MalformedPayload but NotJsonAnswer, failure_on_the_way's) too.
    (GreenhouseError, "Greenhouse answered in a way this site does not understand, so the token"),
)


def check_failure_message(error: GreenhouseError) -> str:
    failed = failure_on_the_way(error)
    if failed:
        # Not an outage a minute mends: the address, or a proxy on the way, needs a look.
        return (
            f"{failed}, so the token could not be checked. Nothing was saved; if this goes on, "
            "ask whoever runs this site to check the address it uses for Greenhouse and any "
            "proxy on the way."
        )
    if error.site_fix:
        return f"{site_fault_unchecked(error)} Ask whoever runs this site to {error.site_fix}."
    if error.transient:
        reason = next(reason for kind, reason in CHECK_FAILURE_MESSAGES if isinstance(error, kind))
        # Not sooner than Greenhouse's Retry-After asks: a 429's, or a 503's.
        return (
            f"{reason} could not be checked. Nothing was saved; try "
            f"again in {wait_in_words(error.retry_after)}."
        )
    # A permanent error Greenhouse gave (InvalidBoardToken, BoardNotFound): trying again cannot
    # help, and the client's message says what to check.
    return error.message


def failure_on_the_way(error: GreenhouseError) -> str:
    """What failed, as a board check's message begins, of a passing failure the address this
    site asks Greenhouse at, or a proxy on the way, most likely caused (an address that led
    nowhere, an answer that was not the board: neither the board nor an error, or no JSON);
    "" for another failure. The settings page and connect_greenhouse both say it."""
    if isinstance(error, LedAstray):
        return f"Greenhouse's address {error.what}"
    if isinstance(error, AnsweredInsteadOfTheBoard):
        return answered_instead_of_the_board(error.answered)
    return ""


def site_fault_unchecked(error: GreenhouseError) -> str:
    """What a board check says of a failure whoever runs the site is to see to (an error with a
    site_fix: a refusal on the way, another 4xx, a board past the size cap, an address outside
    the API), before it says who is to do what: what failed and why, as the client says them,
    but that the token went unchecked and nothing was saved, where the client's "nothing was
    changed" is a sync's words. The settings page and connect_greenhouse both say it."""
    said = f"{error.failed}, so the token could not be checked. Nothing was saved."
    return f"{said} {error.why}" if error.why else said


@sensitive_variables("api_key")
def connection_save(
    *,
    organization: Organization,
    board: Board,
    api_key: str | None = None,
) -> GreenhouseConnection:
    """Store a checked board on the org (creating or repointing its connection).

    `api_key=None` keeps a stored key; an empty string removes it. Another board cannot replace
    one whose sync is running (SyncInProgress): that sync would record its board's results, and
    its next run time, on the new one. Organization.DoesNotExist if the org was deleted
    meanwhile: its row is locked first, as a delete locks it before it reads the connection.
    """
    return connection_store(organization=organization, board=board, api_key=api_key).connection


@dataclass(frozen=True)
class Stored:
    """A board stored on an org, and what connecting it changed, read under the row's lock:
    another admin may have paused syncing, stored a key or connected another board as it ran."""

    connection: GreenhouseConnection
    resumed: bool  # it had been paused: connecting turns syncing on again
    replaced: Board | None  # the board connected until then, if another (None: none, or the same)
    # The board connected until then, whose stored key this one kept (None if it kept none of
    # another board's): the key's box left empty keeps the key stored as it is connected.
    key_kept_from: Board | None


@sensitive_variables("api_key")
@transaction.atomic
def connection_store(*, organization: Organization, board: Board, api_key: str | None) -> Stored:
    """connection_save's work, and what it changed (said by the settings page and
    connect_greenhouse)."""
    if not organizations_key_share_lock(Organization.objects.filter(pk=organization.pk)):
        raise Organization.DoesNotExist("deleted meanwhile")
    connection, _ = GreenhouseConnection.objects.select_for_update().get_or_create(
        organization=organization, defaults={"board_token": board.token}
    )
    resumed = not connection.enabled
    replaced = connection.board if connection.board_token != board.token else None
    key_kept_from = None
    if replaced is not None:
        if api_key is None and connection.has_api_key:
            key_kept_from = replaced
        if connection.is_locked():
            raise SyncInProgress(connection, outcome="its board was not changed")
        # What the connection says of its syncs was said of the old board.
        for name in BOARD_HISTORY_FIELDS:
            setattr(connection, name, GreenhouseConnection._meta.get_field(name).get_default())
    connection.board_token = board.token
    connection.board_name = board.name
    connection.enabled = True
    # The same board connected again keeps a wait Greenhouse asked for: should its sync not be
    # queued at once (its last attempt within the cooldown), the schedule waits that out.
    connection.next_sync_at = connection.after_greenhouses_wait(timezone.now())
    if api_key is not None:
        connection.set_api_key(api_key)
    connection.save()
    return Stored(
        connection=connection, resumed=resumed, replaced=replaced, key_kept_from=key_kept_from
    )


class SyncInProgress(Exception):
    """A sync of the org is running, so its connection cannot be removed or repointed now.
    Its `message` names the org, says what stays as it was (`outcome`) and when to try again."""

    def __init__(self, connection: GreenhouseConnection, *, outcome: str) -> None:
        self.connection = connection
        self.message = sync_running_refusal(connection, outcome=outcome)
        super().__init__(self.message)


def sync_running_refusal(connection: GreenhouseConnection, *, outcome: str) -> str:
    """Why a change was refused, as a sync of the connection's org holds its lease: `outcome`
    says what stays as it was ("it was not deleted"). In a minute, as a sync usually takes
    seconds; and when the lease ends, where later, as a worker killed mid-sync holds it until
    then. `connection` as just read: its lease is the one said (sync_lease_take reads it)."""
    refusal = (
        f"A sync of {name_in_sentence(connection.organization.name)} is running right now, so "
        f"{outcome}. "
        "Try again in a minute"
    )
    lease_ends = connection.lock_expires_at
    lease_left = (lease_ends - timezone.now()).total_seconds() if lease_ends else 0
    if lease_left <= 60:
        return f"{refusal}."
    return (
        f"{refusal}: a sync usually takes seconds, and this one ends within "
        f"{wait_in_words(lease_left)}."
    )


def sync_lease_take(connection: GreenhouseConnection, *, outcome: str) -> bool:
    """Take the org's sync lease for a change no sync may run beside (a disconnect, a delete):
    True once taken. False if the connection was deleted meanwhile (a second click on
    Disconnect, another admin, the org's delete): no sync holds a lease on it then. Refused
    with SyncInProgress, saying `outcome`, while a sync holds it."""
    if acquire_sync_lock(connection) is not None:
        return True
    # Read again, with its org: the lease said is the one held now, and the row may be gone.
    held = (
        GreenhouseConnection.objects.select_related("organization").filter(pk=connection.pk).first()
    )
    if held is None:
        return False
    raise SyncInProgress(held, outcome=outcome)


@dataclass(frozen=True)
class Connected:
    """A board stored on an org, and what became of the sync queued for it."""

    connection: GreenhouseConnection
    sync: RefreshOutcome | None  # None: the queue was down; the schedule will run it
    resumed: bool = False  # as Stored says
    replaced: Board | None = None
    key_kept_from: Board | None = None


@sensitive_variables("api_key")
def connection_connect(
    *, organization: Organization, board: Board, api_key: str | None = None
) -> Connected:
    """Store a checked board and queue a sync of it at once, so jobs appear in a moment."""
    stored = connection_store(organization=organization, board=board, api_key=api_key)
    try:
        sync = request_refresh(stored.connection, trigger=SyncRun.Trigger.CONNECT)
    except BrokerUnavailable:
        # connection_save made it due now, so the dispatcher picks it up once the queue is back.
        sync = None
    return Connected(
        connection=stored.connection,
        sync=sync,
        resumed=stored.resumed,
        replaced=stored.replaced,
        key_kept_from=stored.key_kept_from,
    )


@dataclass(frozen=True)
class ScheduleSaved:
    """A connection's schedule as a change left it, and what the change did: read under the
    row's lock, as another admin may have changed it since the page was read."""

    sync_interval_minutes: int
    paused: bool
    changed: bool  # False: it was so already, and nothing was written
    resumed: bool  # it was paused, and this turned syncing on again


def connection_schedule_update(
    *,
    connection: GreenhouseConnection,
    sync_interval_minutes: int | None = None,
    paused: bool | None = None,
) -> ScheduleSaved:
    """Set how often the org syncs, or pause it; None keeps what is saved now. Nothing is
    written where nothing changes: that would count the next sync anew from the last attempt,
    moving one a failure or a freed lease brought forward."""
    if sync_interval_minutes is not None and not (
        MIN_SYNC_INTERVAL_MINUTES <= sync_interval_minutes <= MAX_SYNC_INTERVAL_MINUTES
    ):
        raise ValueError(f"sync interval out of bounds: {sync_interval_minutes} minutes")
    with _connection_locked(connection) as row:
        was_paused = not row.enabled
        if sync_interval_minutes is None:
            sync_interval_minutes = row.sync_interval_minutes
        if paused is None:
            paused = was_paused
        saved = ScheduleSaved(
            sync_interval_minutes=sync_interval_minutes,
            paused=paused,
            changed=(sync_interval_minutes, paused) != (row.sync_interval_minutes, was_paused),
            resumed=was_paused and not paused,
        )
        if saved.changed:
            row.sync_interval_minutes = sync_interval_minutes
            row.enabled = not paused
            row.next_sync_at = _next_sync_at(row.sync_interval)
            row.save(update_fields=["sync_interval_minutes", "enabled", "next_sync_at"])
            row.refresh_from_db(fields=["next_sync_at"])
    for name in ("sync_interval_minutes", "enabled", "next_sync_at"):  # the page shows them
        setattr(connection, name, getattr(row, name))
    return saved


def _next_sync_at(interval: timedelta) -> Case:
    """When the org syncs next under a new interval, as the row's UPDATE reads it."""
    # Counting from the last attempt applies a shorter interval at once, and a longer one too;
    # never before the end of a wait Greenhouse asked for, though. Read from the row, as the
    # lease below: a sync may have ended, and asked for a wait, since the page loaded.
    now = timezone.now()
    from_attempt = Case(
        When(last_attempt_at__isnull=True, then=Value(now)),
        default=F("last_attempt_at") + Value(interval),
        output_field=DateTimeField(),
    )
    next_sync_at = Case(
        When(greenhouse_wait_until__gt=from_attempt, then=F("greenhouse_wait_until")),
        default=from_attempt,
    )
    # While a sync holds the lease, the org stays due by the lease's end (acquire_sync_lock), or
    # a killed worker's org would wait out the new interval. Read from the row: a sync may have
    # claimed it since the page loaded.
    return Case(
        When(lock_expires_at__gt=now, then=Least(next_sync_at, F("lock_expires_at"))),
        default=next_sync_at,
    )


@dataclass(frozen=True)
class KeyShown:
    """The API key a settings page showed: its mark (GreenhouseConnection.api_key_mark, "" if
    the page showed none) and its last 5 characters."""

    mark: str
    last5: str

    def is_stored_on(self, connection: GreenhouseConnection) -> bool:
        return self.mark == connection.api_key_mark


def key_not_shown_in_words(connection: GreenhouseConnection, *, shown: KeyShown) -> str:
    """Why the key stored now is not taken for the one a page showed (`shown`, whose mark it
    does not have): "The API key stored now, ending in …24680, is not the one this page showed:
    another tab or admin stored it meanwhile". One ending as the shown one did may be that key
    still: the mark is of its encryption, which storing it again or rotate_encryption_keys
    makes anew. Of a page that showed none, it says so: "not the one this page showed" is said
    of a key it showed."""
    last5 = connection.api_key_last5
    if not shown.mark:
        return (
            f"This page showed no API key, and one ending in …{last5} was stored meanwhile, in "
            "another tab or by another admin"
        )
    if shown.last5 != last5:
        return (
            f"The API key stored now, ending in …{last5}, is not the one this page showed: "
            "another tab or admin stored it meanwhile"
        )
    return (
        f"The API key stored now, also ending in …{last5}, may not be the one this page "
        "showed: another tab or admin stored a key meanwhile, or the site re-encrypted it"
    )


class ApiKeyChanged(Exception):
    """A key removed, replaced or stored from a settings page that showed another key than the
    one stored now, or none: another tab or admin stored it since (or the same key, or it was
    re-encrypted: key_not_shown_in_words). Left as it is: the page never showed it."""

    def __init__(
        self, connection: GreenhouseConnection, *, shown: KeyShown, removing: bool
    ) -> None:
        meanwhile = f"{key_not_shown_in_words(connection, shown=shown)}."
        if removing:
            outcome = "It was not removed: check it below, and remove it if you mean to."
        else:
            outcome = (
                "The key you entered was not stored in its place: enter it again below if it is "
                "to replace that one."
            )
        self.message = f"{meanwhile} {outcome}"
        super().__init__(self.message)


@sensitive_variables("api_key")
def connection_api_key_set(
    *, connection: GreenhouseConnection, api_key: str, shown_key: KeyShown | None = None
) -> bool:
    """Replace the stored Job Board API key; an empty key removes it. Whether a key was stored
    until then, read under the row's lock: another tab may have stored or removed one since.
    ApiKeyChanged, nothing written, if a key is stored that is not `shown_key`, the one the
    settings page showed (None: the key stored, whichever it is, as a script sends it): a key
    whoever sends the change never saw is not removed or replaced unawares. With none stored
    (removed meanwhile), a new one is stored all the same: it takes no one's key away."""
    with _connection_locked(connection) as row:
        _key_shown_check(row, shown_key=shown_key, removing=not api_key)
        replaced = row.has_api_key
        connection.set_api_key(api_key)
        connection.save(update_fields=["api_key_encrypted", "api_key_last5"])
    return replaced


def connection_api_key_to_remove(
    *, connection: GreenhouseConnection, shown_key: KeyShown | None
) -> GreenhouseConnection:
    """The connection as it is now, for the page that asks whether to remove its key, naming
    it. Refused as connection_api_key_set refuses the removal (ApiKeyChanged; NotConnected and
    ConnectionChanged as connection_lock says), at once rather than once asked."""
    with _connection_locked(connection) as row:
        _key_shown_check(row, shown_key=shown_key, removing=True)
    return row


def _key_shown_check(
    row: GreenhouseConnection, *, shown_key: KeyShown | None, removing: bool
) -> None:
    """ApiKeyChanged if a key is stored on `row` that is not `shown_key` (None: whichever)."""
    if shown_key is not None and row.has_api_key and not shown_key.is_stored_on(row):
        raise ApiKeyChanged(row, shown=shown_key, removing=removing)


def board_in_words(board: Board, *, quotes: str = "“”") -> str:
    """A board as the settings page's messages name it: “Acme Robotics” (acme). connect_greenhouse
    names it so between the plain quotes it puts around all it names ('Acme Robotics' (acme)),
    which a terminal that is not UTF-8 shows as they are. A name written right to left is
    followed by a left-to-right mark: a token of digits took the name's direction, and browsers
    showed “(2024) ”שלום. The messages are plain text, with no <bdi> to isolate the name in."""
    opening, closing = quotes
    name = board.name or board.token
    mark = LEFT_TO_RIGHT_MARK if RIGHT_TO_LEFT_BLOCKS_RE.search(name) else ""
    return f"{opening}{name}{closing}{mark} ({board.token})"


class NotConnected(Exception):
    """The connection a settings change was made to was deleted since the page read it
    (`meanwhile`), or, as `NOT_CONNECTED` says, a change of a connection was sent where none was
    shown (by hand)."""

    message = (
        "This organization was disconnected from Greenhouse meanwhile, so the change was not saved."
    )

    def __init__(self, message: str | None = None) -> None:
        self.meanwhile = message is None
        self.message = message or NotConnected.message
        super().__init__(self.message)


NOT_CONNECTED = "This organization is not connected to Greenhouse, so the change was not saved."


def disconnected_meanwhile(became_of_it: str, *, to_do: str) -> str:
    """NotConnected's words for a change of its own (`became_of_it`, and what to do, below): the
    disconnect deleted the board token with the key, and a board is what the org needs first."""
    return f"This organization was disconnected from Greenhouse meanwhile, {became_of_it}. {to_do}"


# A key's removal was not left undone: the disconnect deleted the key.
KEY_GONE_WITH_THE_CONNECTION = disconnected_meanwhile(
    "which deleted its API key, so there is no key left to remove",
    to_do="Connect a board below if its jobs are to sync again.",
)
# A key is for a board's account, and connecting one takes a key too.
KEY_NOT_STORED_WITHOUT_A_CONNECTION = disconnected_meanwhile(
    "so the API key was not stored",
    to_do="Connect a board below first; its form takes the key too.",
)
SCHEDULE_NOT_SAVED_WITHOUT_A_CONNECTION = disconnected_meanwhile(
    "so the schedule was not saved",
    to_do="Connect a board below first, then set its schedule.",
)


@dataclass(frozen=True)
class ConnectionShown:
    """The connection a settings page showed: its row, and the board it had then."""

    pk: int
    board_token: str


class ConnectionChanged(Exception):
    """The org's connection is not the one a settings page showed: another board was connected
    since, or the org was disconnected and connected again. A change meant for the one shown (an
    API key for its board, a schedule set from what it showed) is not made to this one."""

    def __init__(self, connection: GreenhouseConnection, *, shown: ConnectionShown) -> None:
        self.connection = connection
        self.shown = shown
        self.message = self.refusal()
        super().__init__(self.message)

    @property
    def connected_again(self) -> bool:
        """The board shown, connected again since a disconnect (another row)."""
        return self.connection.board_token == self.shown.board_token

    @property
    def board_now(self) -> str:
        return board_in_words(self.connection.board)

    def refusal(self) -> str:
        if self.connected_again:
            return (
                # True of a page that showed no key too: ConnectionShown does not say.
                "This organization was disconnected from Greenhouse and connected again "
                "meanwhile, which forgot the schedule this page showed, and its API key if one "
                "was stored, so the change was not saved. Check them below and make it again."
            )
        return (
            f"This organization's board was changed meanwhile, to {self.board_now}, so the "
            "change was not saved. Check the settings below, now of that board, and make it "
            "again."
        )


class ConnectionChangedBeforeDisconnect(ConnectionChanged):
    """A disconnect asked of the connection a page showed (or a request read), refused as the
    org's connection is another now: its board, and its jobs, are not the ones the page said
    would go."""

    def refusal(self) -> str:
        # Named: Django admin's "Delete selected" says it of one of many connections.
        organization = name_in_sentence(self.connection.organization.name)
        if self.connected_again:
            meanwhile = (
                f"{organization} was disconnected from Greenhouse and connected again to the "
                f"board {self.board_now} meanwhile"
            )
        else:
            meanwhile = f"the board of {organization} was changed meanwhile, to {self.board_now}"
        return (
            f"Nothing was disconnected: {meanwhile}. Check its settings, and disconnect it again "
            "if you mean to."
        )


def connection_as_shown(
    *, connection: GreenhouseConnection | None, shown: ConnectionShown | None
) -> GreenhouseConnection:
    """`connection`, the org's as read now, to make a change sent from a page that showed
    `shown` (None: sent without it, by a page served before pages sent it, or by a script: the
    change is made to the connection there is). NotConnected if there is none,
    ConnectionChanged if it is another. The same board connected again is another too: the
    disconnect deleted the key the page showed, so "Remove the stored key…" would remove one
    stored since, and a schedule changed from what the page showed would be compared to values
    of a row that is gone. _connection_locked checks the board again, under the row's lock, as
    it writes."""
    if connection is None:
        # Without `shown`, it was sent by hand (no page of an org not connected has these
        # forms), or from a page served before pages sent it: "not connected" is true either
        # way, where "disconnected meanwhile" was said of orgs never connected.
        raise NotConnected() if shown else NotConnected(NOT_CONNECTED)
    if shown and (connection.pk, connection.board_token) != (shown.pk, shown.board_token):
        raise ConnectionChanged(connection, shown=shown)
    return connection


@contextmanager
def _connection_locked(connection: GreenhouseConnection) -> Iterator[GreenhouseConnection]:
    """The connection's row, locked until the transaction ends, for a change to be read and
    written under it, if it still has the board it was read with (connection_lock)."""
    with transaction.atomic():
        yield connection_lock(connection)


def connection_lock(
    connection: GreenhouseConnection, *, shown: ConnectionShown | None = None
) -> GreenhouseConnection:
    """Lock the connection's row until the transaction ends, and return it if it is as `shown`
    (None: as `connection` was read): another board connected since the read (connection_save
    repoints the row under the same lock) must not take a key or a schedule meant for the one
    read, nor be disconnected for it, and what a change says it did (a key replaced, a schedule
    left as it was) is said of the row as it is written. NotConnected, ConnectionChanged as
    connection_as_shown says."""
    row = GreenhouseConnection.objects.select_for_update().filter(pk=connection.pk).first()
    if row is None:
        # Another admin disconnected it, and may have connected a board since (another row):
        # "disconnected meanwhile" is not said of an org connected now.
        row = GreenhouseConnection.objects.filter(organization=connection.organization_id).first()
    shown = shown or ConnectionShown(pk=connection.pk, board_token=connection.board_token)
    return connection_as_shown(connection=row, shown=shown)


# What a disconnect refused as a sync runs leaves as it was (SyncInProgress).
NOT_DISCONNECTED = "it was not disconnected from Greenhouse"


@dataclass(frozen=True)
class Disconnected:
    """How many open jobs a disconnect closed, and how many of them visitors saw until then: a
    hidden job or one past its application deadline was open but not listed."""

    closed: int
    listed: int


def connection_disconnect(
    *, connection: GreenhouseConnection, shown: ConnectionShown | None = None
) -> Disconnected | None:
    """Forget the org's Greenhouse connection; its jobs are kept, closed. None if it was
    disconnected meanwhile, or deleted with its org: nothing is left to do.
    ConnectionChangedBeforeDisconnect if the org's connection is not the one `shown` (None: as
    `connection` was read), read under the row's lock: another tab or admin connected another
    board since, or disconnected and connected again; that one is not disconnected for it.

    The connection row is deleted rather than disabled: it holds the board token and the
    encrypted API key, and "disconnect" should leave neither behind. Jobs and sync history
    belong to the organization, so they stay; reconnecting the same board reopens the jobs with
    their site-owned fields intact. Taking the sync lock first means no sync is halfway through
    writing jobs that this would then have to close again.

    All or nothing: the lock is taken in the same transaction, so a disconnect that fails leaves
    the connection as it was, its lock free and its queued or retry mark and last attempt kept:
    taking the lock clears and notes them, and a pending retry of a failed or lost sync would
    then find another sync started since, and do nothing.
    """
    with transaction.atomic():
        # The org's row first, as organization_delete locks it: after the lease, the org's
        # delete, waiting for that lease, and mark_listing_changed below waited for each other.
        Organization.objects.select_for_update().filter(pk=connection.organization_id).first()
        try:
            connection_lock(connection, shown=shown)
        except NotConnected:
            return None
        except ConnectionChanged as changed:
            raise ConnectionChangedBeforeDisconnect(
                changed.connection, shown=changed.shown
            ) from None
        if not sync_lease_take(connection, outcome=NOT_DISCONNECTED):
            return None
        open_jobs = Job.objects.filter(organization=connection.organization_id, is_open=True)
        listed = open_jobs.listed().count()
        closed = close_missing_jobs(open_jobs.values_list("pk", flat=True), now=timezone.now())
        connection.delete()
        if closed:
            connection.organization.mark_listing_changed()
    # Once committed: Django's admin deletes a connection in its own transaction, and a page
    # rendered meanwhile, with the jobs still open, must not be kept under the new version.
    transaction.on_commit(lambda: listing_cache_invalidate(organization=connection.organization))
    return Disconnected(closed=closed, listed=listed)
