"""Outages: the broker (Redis) or the database is down.

With Redis down, Refresh and the dispatcher fail within seconds with a clear message and a log
line, and visitors notice nothing. With the database down, a page connects to it once and
answers a plain 503 page, never a traceback.
"""

from __future__ import annotations

import itertools
import logging
import math
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from unittest import mock

import kombu.utils.functional
import pytest
import redis.retry
from celery.canvas import Signature
from celery.exceptions import Reject, SoftTimeLimitExceeded
from django.contrib.auth.models import User
from django.core import mail
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
)
from django.db import connection as db_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.utils import timezone
from kombu import Connection
from kombu.exceptions import OperationalError as KombuOperationalError

from jobs import alerts, scheduling, tasks
from jobs import sync as jobs_sync
from jobs.greenhouse import GreenhouseClient
from jobs.models import GreenhouseConnection, Job, SyncRun
from jobs.scheduling import (
    REFRESH_RESEND_AFTER,
    BrokerUnavailable,
    due_connections_claim,
    enqueue_due_syncs,
    request_refresh,
)
from jobs.status import sync_status, wait_end_text
from jobs.sync import (
    DATABASE_LOST_MESSAGE,
    INTERRUPTED_MESSAGE,
    UNEXPECTED_MESSAGE,
    sync_organization,
)
from orgsite.celery import app as celery_app
from orgsite.celery import dispatcher_first_tick_send
from orgsite.database import connect_failure_reused, database_failure_said, database_refusal
from tests.support.blackhole import blackholed_port
from tests.support.fake_postgres import (
    DATABASE_PASSWORD,
    FakePostgres,
    default_database_at,
    fake_postgres,
)
from tests.support.helpers import recorded_retry_delays, retry_asked_for
from tests.support.settings_module import redis_broker_settings

pytestmark = pytest.mark.django_db

REFUSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
# What a broker outage may hold a publish for, counted on the outage clock (OutageClock).
FAIL_FAST_SECONDS = 3.0
# What the outage may hold it for in real time: a hang the outage clock does not see (a read
# with no timeout, a sleep it does not patch) holds it for minutes or for good. Not the 3 s the
# waits are held to: a loaded machine took that long for the request around the publish.
REAL_TIME_LIMIT_SECONDS = 30.0
DATABASE_DOWN = OperationalError("connection to server at 127.0.0.1, port 5432 failed")


def visitor_urls(acme: GreenhouseConnection) -> list[str]:
    job = acme.organization.jobs.first()
    return ["/", "/jobs/", "/orgs/acme/", job.get_absolute_url(), "/orgs/acme/jobs.json"]


def end_the_session() -> None:
    """PostgreSQL ends this process's session, as a restart or failover does."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            pid = db_connection.connection.info.backend_pid
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def publishing_to(url: str, options: dict) -> AbstractContextManager[None]:
    # Imported here: other test modules load celery_processes as a pytest plugin first.
    from tests.support.celery_processes import publishing_to as switch_broker

    return switch_broker(url, options)


class OutageClock:
    """How long a broker outage holds whoever publishes, added up rather than timed, so that a
    loaded machine cannot fail the bound nor a fast one hide a retry: the waits between
    publish tries are noted instead of slept, and a connect to a blackholed host counts the
    timeout its socket was given. The real time is bounded too, apart (REAL_TIME_LIMIT_SECONDS):
    a wait the clock does not see (a sleep it does not patch) would hold the caller unnoted."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.began = time.monotonic()  # set again once the outage's broker is in place

    def assert_fails_fast(self) -> None:
        assert self.seconds < FAIL_FAST_SECONDS, f"the outage's waits took {self.seconds} s"
        real = time.monotonic() - self.began
        assert real < REAL_TIME_LIMIT_SECONDS, f"held {real} s besides the waits noted"

    def wait(self, seconds: float) -> None:
        self.seconds += seconds
        # Stops a publish that retries forever, which would never return to be checked.
        assert self.seconds < FAIL_FAST_SECONDS, f"held {self.seconds} seconds and counting"


@pytest.fixture
def outage_clock(monkeypatch) -> OutageClock:
    clock = OutageClock()
    # Every wait of a publish: Kombu's between its tries, redis-py's between its own.
    monkeypatch.setattr(kombu.utils.functional, "sleep", clock.wait)
    monkeypatch.setattr(redis.retry, "sleep", clock.wait)
    return clock


@pytest.fixture
def redis_refused(outage_clock) -> Iterator[None]:
    with publishing_to(REFUSED_REDIS, {}):
        outage_clock.began = time.monotonic()
        yield


@pytest.fixture
def redis_blackholed(monkeypatch, outage_clock) -> Iterator[None]:
    """A Redis host whose packets are dropped: every connect hangs until its timeout, which
    here ends at once, counted on the outage clock (without one, the kernel gives up only
    after minutes)."""
    real_connect = socket.socket.connect

    def connect_on_the_clock(sock: socket.socket, address: object) -> None:
        if address != blackholed:
            return real_connect(sock, address)
        timeout = sock.gettimeout()
        outage_clock.wait(math.inf if timeout is None else timeout)
        raise TimeoutError("timed out")

    with (
        blackholed_port() as port,
        publishing_to(
            f"redis://127.0.0.1:{port}/0",
            redis_broker_settings()["CELERY_BROKER_TRANSPORT_OPTIONS"],
        ),
    ):
        blackholed = ("127.0.0.1", port)
        monkeypatch.setattr(socket.socket, "connect", connect_on_the_clock)
        outage_clock.began = time.monotonic()
        yield
    # Else the test ran on the real blackhole, its time unchecked.
    assert outage_clock.seconds > 0, "nothing connected to the blackholed host"


@pytest.fixture
def synced_acme(acme: GreenhouseConnection) -> GreenhouseConnection:
    assert sync_organization(acme, trigger="command").ok
    return acme


# --- Redis down ------------------------------------------------------------------------------


@pytest.mark.parametrize("outage", ["redis_refused", "redis_blackholed"])
def test_refresh_with_redis_down_fails_fast_with_a_message_and_a_log_line(
    request, signed_in, acme, caplog, outage_clock, outage
):
    request.getfixturevalue(outage)

    response = signed_in.post("/manage/acme/refresh/", follow=True)

    outage_clock.assert_fails_fast()
    assert response.status_code == 200
    assert "job queue is not reachable" in response.content.decode()
    assert any(
        r.levelno == logging.ERROR and "broker unavailable" in r.getMessage()
        for r in caplog.records
    )
    acme.refresh_from_db()
    assert acme.queued_at is None  # a later click may try again


def test_request_refresh_with_redis_down_raises_broker_unavailable(acme, redis_refused):
    with pytest.raises(BrokerUnavailable, match="not reachable"):
        request_refresh(acme)


@pytest.mark.parametrize("outage", ["redis_refused", "redis_blackholed"])
def test_the_dispatcher_with_redis_down_fails_fast_and_releases_its_markers(
    request, acme, caplog, outage_clock, outage
):
    request.getfixturevalue(outage)

    with pytest.raises(BrokerUnavailable):
        enqueue_due_syncs()

    outage_clock.assert_fails_fast()
    assert "broker unavailable" in caplog.text
    acme.refresh_from_db()
    assert acme.queued_at is None


def test_beat_with_redis_down_starts_as_fast_as_the_dispatcher_fails(
    redis_blackholed, outage_clock, caplog
):
    """Its first tick, sent as beat starts, tries the broker as a web request's publish does."""
    dispatcher_first_tick_send(sender=None)

    outage_clock.assert_fails_fast()
    assert "beat could not send the dispatcher's first tick" in caplog.text


def test_beat_leaves_a_first_tick_error_other_than_the_broker_to_celery(monkeypatch, caplog):
    """Celery logs it with its traceback; taken for a broker outage, it had one warning line."""

    def apply_async_with_a_bug(*args: object, **kwargs: object) -> None:
        raise TypeError("a bug")

    monkeypatch.setattr(tasks.dispatch_due_syncs, "apply_async", apply_async_with_a_bug)

    with pytest.raises(TypeError, match="a bug"):
        dispatcher_first_tick_send(sender=None)
    assert "could not send" not in caplog.text


def test_the_redis_broker_has_a_connect_timeout():
    options = redis_broker_settings()["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert 0 < options["socket_connect_timeout"] < FAIL_FAST_SECONDS / 2


def test_a_worker_keeps_reconnecting_to_a_broker_that_stays_down():
    """Celery's default stops after 100 attempts (about 46 minutes) and the worker exits."""

    class StillTrying(Exception):
        pass

    attempts = 0

    def on_failed_attempt(exc: Exception, interval: float) -> None:
        nonlocal attempts
        attempts += 1
        if attempts > 150:
            raise StillTrying

    broker = Connection(REFUSED_REDIS)
    # The worker's own call (celery.worker.consumer.Consumer.ensure_connected), without the waits.
    with pytest.raises(StillTrying):
        broker.ensure_connection(
            on_failed_attempt,
            celery_app.conf.broker_connection_max_retries,
            interval_start=0,
            interval_step=0,
            interval_max=0,
        )


def test_visitor_pages_work_with_redis_down(client, synced_acme, redis_refused):
    for url in visitor_urls(synced_acme):
        assert client.get(url).status_code == 200, url


def test_with_the_cache_down_each_request_logs_one_line_not_a_traceback(
    client, synced_acme, settings, caplog
):
    """While Redis is down every request fails the same way; tracebacks would flood the log."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REFUSED_REDIS,
        }
    }
    User.objects.create_user("alice", password="a-long-enough-password")

    assert client.get("/jobs/").status_code == 200
    signed_in = client.post(
        "/accounts/login/", {"username": "alice", "password": "a-long-enough-password"}
    )

    assert signed_in.status_code == 302
    outage_records = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert {r.name for r in outage_records} == {"jobs.cache", "jobs.throttle"}
    assert all(r.exc_info is None and "Error" in r.getMessage() for r in outage_records)


# --- Database down ---------------------------------------------------------------------------


def test_with_the_database_down_visitors_get_a_clean_503_page(synced_acme, settings):
    settings.DEBUG = False
    urls = visitor_urls(synced_acme)
    client = Client(raise_request_exception=False)

    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=DATABASE_DOWN):
        responses = {url: client.get(url) for url in urls}

    for url, response in responses.items():
        body = response.content.decode()
        assert response.status_code == 503, url
        assert response["Retry-After"] == "60", url
        assert "This site is temporarily unavailable" in body, url
        for leak in ("Traceback", "OperationalError", "port 5432", 'File "'):
            assert leak not in body, (url, leak)


@pytest.mark.parametrize(
    ("who", "url"),
    [("a visitor", "/jobs/"), ("a member signed in", "/jobs/"),
     ("a member signed in", "/manage/acme/settings/")],
)  # fmt: skip
def test_a_503_page_has_the_security_headers_of_the_page_served(
    synced_acme, signed_in, who, url, settings
):
    """A member's 503 was made where request.user met the failed connect again, after the view,
    outside the middleware adding the Content-Security-Policy and X-Frame-Options: it had
    neither, where every other page has them."""
    settings.DEBUG = False
    client = signed_in if who == "a member signed in" else Client()
    client.raise_request_exception = False

    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=DATABASE_DOWN):
        response = client.get(url)
    served = client.get(url)  # after: a visitor's page served first is then read from the cache

    assert (served.status_code, response.status_code) == (200, 503)
    for header in ("Content-Security-Policy", "X-Frame-Options"):
        assert response[header] == served[header], header


@pytest.mark.parametrize(
    ("who", "url"),
    [("a visitor", "/jobs/"), ("a member signed in", "/jobs/"),
     ("a member signed in", "/manage/acme/settings/"), ("a member signed in", "/orgs/acme/")],
)  # fmt: skip
def test_a_503_page_is_stored_by_no_browser_or_proxy(synced_acme, signed_in, who, url, settings):
    """A signed-in member's 503 had no Cache-Control: SignedInPagesNotStored, which adds
    no-store to their pages, read request.user, met the failed connect there, and the 503 was
    made in its place."""
    settings.DEBUG = False
    client = signed_in if who == "a member signed in" else Client()
    client.raise_request_exception = False

    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=DATABASE_DOWN):
        response = client.get(url)

    assert response.status_code == 503
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def warnings_and_errors(caplog) -> list[tuple[str, str, str]]:
    return [
        (r.name, r.levelname, r.getMessage())
        for r in caplog.records
        if r.levelno >= logging.WARNING
    ]


@pytest.mark.parametrize(
    ("who", "url"),
    [
        *(("a visitor", url) for url in ["/jobs/", "/", "/orgs/acme/"]),
        *(("a member signed in", url) for url in ["/jobs/", "/", "/manage/acme/"]),
    ],
)
def test_a_page_whose_database_hangs_up_connects_once_and_answers_503(
    synced_acme, signed_in, who, url, settings, caplog
):
    """After a failed connect, each place that read the database connected anew: a member's
    page connected for the view, then for request.user after it, each waiting out
    connect_timeout on a PostgreSQL whose packets are dropped, and the page answered 500."""
    settings.DEBUG = False
    client = signed_in if who == "a member signed in" else Client()
    client.raise_request_exception = False

    with fake_postgres() as server, default_database_at(server.port):
        response = client.get(url)

    assert len(server.connections) == 1
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "This site is temporarily unavailable" in response.content.decode()
    [(name, level, line)] = warnings_and_errors(caplog)
    assert (name, level) == ("orgsite.errors", "WARNING")
    assert line.startswith(f"page answered 503 path={url} error=OperationalError(")
    assert line.endswith(": the database could not be reached")


def test_each_page_tries_the_database_again_and_is_served_once_it_is_back(
    synced_acme, signed_in, settings
):
    """A failed connect is reused within its request only: the next page connects again."""
    settings.DEBUG = False
    signed_in.raise_request_exception = False

    with fake_postgres() as server, default_database_at(server.port):
        down = [signed_in.get("/jobs/").status_code for _ in range(2)]
        assert len(server.connections) == 2
    back = signed_in.get("/jobs/")

    assert down == [503, 503]
    assert back.status_code == 200
    assert "ensure_connection" not in vars(connections[DEFAULT_DB_ALIAS])


def test_a_request_made_within_another_leaves_the_outer_ones_connect_in_place():
    """As a test's request does when made from within another's block: the inner block keeps
    the outer one's ensure_connection, which the outer one takes away as it ends."""
    wrapper = vars(connections[DEFAULT_DB_ALIAS])
    with connect_failure_reused():
        outer = wrapper["ensure_connection"]
        with connect_failure_reused():
            assert wrapper["ensure_connection"] is outer
        assert wrapper["ensure_connection"] is outer

    assert "ensure_connection" not in wrapper


@pytest.mark.parametrize(
    ("who", "failing"),
    [
        ("a visitor", "jobs.views.organizations_hiring_most"),
        # Then SignedInPagesNotStored, which adds no-store to their pages, fails as well.
        ("a member signed in", "django.contrib.auth.get_user"),
    ],
)
def test_a_500_page_is_stored_by_no_browser_or_proxy(
    synced_acme, signed_in, who, failing, settings
):
    """A crash's 500 had no Cache-Control, a signed-in member's too when reading request.user
    was what failed (for a reason other than the connect, whose 503 says no-store): a browser
    could keep it for its Back button, or a proxy store it past the fault."""
    settings.DEBUG = False
    client = signed_in if who == "a member signed in" else Client()
    client.raise_request_exception = False

    with mock.patch(failing, side_effect=RuntimeError("a bug")):
        response = client.get("/")

    assert response.status_code == 500
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_page_whose_query_fails_is_still_the_sites_500(client, synced_acme, settings):
    """Only a failed connect is an outage to wait out: a query the database failed (a lock
    timeout, a deadlock) is the crash it was."""
    settings.DEBUG = False
    client.raise_request_exception = False
    with mock.patch(
        "jobs.views.organizations_hiring_most", side_effect=OperationalError("deadlock detected")
    ):
        response = client.get("/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


NEXT_PRUNE = "the next day's prune catches up"


@pytest.mark.parametrize(
    ("task", "skipped", "then"),
    [
        (tasks.dispatch_due_syncs, "dispatcher tick", "the next tick tries again"),
        (tasks.prune_sync_runs, "daily prune of sync runs", NEXT_PRUNE),
        (tasks.prune_expired_invitations, "daily prune of expired invitations", NEXT_PRUNE),
        (tasks.prune_expired_sessions, "daily prune of expired sessions", NEXT_PRUNE),
    ],
)
def test_a_task_beat_sends_without_the_database_logs_one_warning_not_a_traceback(
    task, skipped, then, caplog
):
    """Beat ticks every minute: with the workers' database down, each tick failed its task, an
    ERROR with a traceback of some 70 lines that What to monitor did not name. So did each of
    the daily prunes, the database down at DAILY_PRUNE_AT."""
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=DATABASE_DOWN):
        result = task.apply()

    assert result.get() == 0
    assert [
        (r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING
    ] == [
        (
            "WARNING",
            f"{skipped} skipped error={DATABASE_DOWN!r}: the database could not be reached; {then}",
        )
    ]


TOO_MANY_CLIENTS_FIX = (
    "PostgreSQL has all the connections its max_connections allows: raise it, or have the site "
    "and its other clients hold fewer (fewer web threads or worker processes, "
    "DATABASE_CONN_MAX_AGE=0, a pooler such as PgBouncer)"
)
# How PostgreSQL refuses a login on DATABASE_URL's account (its SQLSTATE and message, or
# None for libpq's own when the server asks for a password the URL lacks), and what the log
# says to fix.
REFUSALS = [
    pytest.param(
        ("28P01", 'password authentication failed for user "orgsite"'),
        "PostgreSQL refused DATABASE_URL's password for its user, or has no such user "
        "(it says the same of one): fix the password or the user name",
        id="a wrong password, or a user unknown to password authentication",
    ),
    pytest.param(
        None,
        "PostgreSQL asks for a password and DATABASE_URL has none: add it",
        id="no password",
    ),
    pytest.param(
        ("3D000", 'database "orgsite" does not exist'),
        "PostgreSQL has no database of DATABASE_URL's name: fix the name after the host",
        id="an unknown database",
    ),
    pytest.param(
        ("28000", 'role "orgsite" does not exist'),
        "PostgreSQL has no role of DATABASE_URL's user: fix the user name",
        id="an unknown user",
    ),
    pytest.param(
        ("28000", 'no pg_hba.conf entry for host "127.0.0.1", user "orgsite", database "orgsite"'),
        "PostgreSQL's pg_hba.conf lets DATABASE_URL's user and database in from no address of "
        "this host (or only over SSL: ?sslmode=require): fix one of them",
        id="a host pg_hba.conf refuses",
    ),
    pytest.param(
        (
            "28000",
            'pg_hba.conf rejects connection for host "127.0.0.1", user "orgsite", database '
            '"orgsite", no encryption',
        ),
        "PostgreSQL's pg_hba.conf has a reject line for DATABASE_URL's user and database from "
        "this host: fix one of them",
        id="a host a pg_hba.conf reject line refuses",
    ),
    pytest.param(
        ("28000", 'role "orgsite" is not permitted to log in'),
        "PostgreSQL's role of DATABASE_URL's user may not log in (NOLOGIN): give it LOGIN",
        id="a user that may not log in",
    ),
    pytest.param(
        ("42501", 'permission denied for database "orgsite"'),
        "PostgreSQL denies DATABASE_URL's user CONNECT on its database: grant it "
        "(GRANT CONNECT ON DATABASE)",
        id="a user without CONNECT on the database",
    ),
    pytest.param(
        ("53300", "sorry, too many clients already"),
        TOO_MANY_CLIENTS_FIX,
        id="no connection left",
    ),
    pytest.param(
        ("53300", "remaining connection slots are reserved for roles with the SUPERUSER attribute"),
        TOO_MANY_CLIENTS_FIX,
        id="no connection left but a superuser's",
    ),
    *(
        pytest.param(
            ("53300", f'too many connections for {holder} "orgsite"'),
            "PostgreSQL has all the connections the CONNECTION LIMIT of DATABASE_URL's user or "
            "database allows: raise it (ALTER ROLE or ALTER DATABASE), or have the site and its "
            "other clients hold fewer (fewer web threads or worker processes, "
            "DATABASE_CONN_MAX_AGE=0, a pooler such as PgBouncer)",
            id=f"no connection left under the {holder}'s CONNECTION LIMIT",
        )
        for holder in ("role", "database")
    ),
]


# libpq's start of a failed connect's message, as psycopg raises it.
CONNECT_FAILED = (
    'connection failed: connection to server at "db.example.com" (10.0.0.5), port 5432 failed: '
)
# libpq's words after its own of a root certificate it cannot find, and the fix of both.
NO_ROOT_CERTIFICATE_ADVICE = (
    "provide the file, use the system's trusted roots with sslrootcert=system, or change sslmode "
    "to disable server certificate verification."
)
NO_ROOT_CERTIFICATE_FIX = (
    "DATABASE_URL has PostgreSQL's certificate checked (?sslmode=verify-ca or verify-full) "
    "against a file of authorities that this account does not have, DATABASE_URL's "
    "?sslrootcert= (~/.postgresql/root.crt unless set): give it, or sslrootcert=system for the "
    "system's"
)


@pytest.mark.parametrize(
    ("message", "detail", "fix"),
    [
        pytest.param(
            "server does not support SSL, but SSL was required",
            "offers no SSL (check DATABASE_URL's sslmode)",
            "DATABASE_URL asks for SSL (?sslmode=require or stricter, or PGSSLMODE) and "
            "PostgreSQL offers none: turn its ssl on, or fix the host",
            id="no SSL",
        ),
        pytest.param(
            "SSL error: certificate verify failed",
            "certificate not trusted (check DATABASE_URL's sslrootcert)",
            "PostgreSQL's certificate is not signed by an authority of DATABASE_URL's "
            "?sslrootcert= (~/.postgresql/root.crt unless set), or has expired: give the file "
            "of the authority that signed it (sslrootcert=system: the system's)",
            id="a certificate not trusted",
        ),
        pytest.param(
            'root certificate file "/home/orgsite/.postgresql/root.crt" does not exist\nEither '
            f"{NO_ROOT_CERTIFICATE_ADVICE}",
            "no root certificate (check DATABASE_URL's sslrootcert)",
            NO_ROOT_CERTIFICATE_FIX,
            id="no file of authorities to check the certificate against",
        ),
        pytest.param(
            "could not get home directory to locate root certificate file\nEither "
            f"{NO_ROOT_CERTIFICATE_ADVICE}",
            "no root certificate (check DATABASE_URL's sslrootcert)",
            NO_ROOT_CERTIFICATE_FIX,
            id="no home directory to find the file of authorities in",
        ),
        pytest.param(
            'server certificate for "db.internal" does not match host name "db.example.com"',
            "certificate of another host (check DATABASE_URL's host)",
            "PostgreSQL's certificate does not name DATABASE_URL's host, which "
            "?sslmode=verify-full requires: write the host as the certificate names it",
            id="a certificate of another host",
        ),
    ],
)
def test_a_connect_refused_over_ssl_says_what_to_fix(message, detail, fix):
    """libpq's words, as it says them (the tests' PostgreSQL has no SSL): they were logged as a
    database that could not be reached, where waiting mends nothing."""
    error = OperationalError(CONNECT_FAILED + message)

    assert database_refusal(error).detail == detail
    assert database_failure_said(error) == f"the database refused the connection: {fix}"


def test_a_server_that_hangs_up_in_the_ssl_handshake_could_not_be_reached():
    """As libpq says it of a server (or a proxy before it) that closes the connection once it
    has offered SSL: a server gone away, not DATABASE_URL's fault."""
    error = OperationalError(
        f"{CONNECT_FAILED}server closed the connection unexpectedly\n\tThis probably means the "
        "server terminated abnormally\n\tbefore or while processing the request.\n"
        "SSL SYSCALL error: Connection reset by peer"
    )

    assert database_failure_said(error) == "the database could not be reached"


@contextmanager
def database_refusing(refusal: tuple[str, str] | None) -> Iterator[FakePostgres]:
    """The default alias on a PostgreSQL that refuses its login with `refusal`, or, None, asks
    for a password DATABASE_URL lacks."""
    with (
        fake_postgres(refusal=refusal, asks_password=refusal is None) as server,
        default_database_at(server.port, password="" if refusal is None else DATABASE_PASSWORD),
    ):
        yield server


@pytest.mark.parametrize(("refusal", "fix"), REFUSALS)
@pytest.mark.parametrize(
    ("task", "skipped", "then"),
    [
        (tasks.dispatch_due_syncs, "dispatcher tick", "the next tick tries again"),
        (tasks.prune_expired_sessions, "daily prune of expired sessions", NEXT_PRUNE),
    ],
)
def test_a_task_beat_sends_whose_database_refuses_the_login_says_what_to_fix(
    task, skipped, then, refusal, fix, caplog
):
    """A PostgreSQL that answered and refused DATABASE_URL's password, database or user was
    logged every minute as one that could not be reached, where waiting mends nothing."""
    with database_refusing(refusal):
        result = task.apply()

    assert result.get() == 0
    [(name, level, line)] = warnings_and_errors(caplog)
    assert (name, level) == ("jobs.tasks", "WARNING")
    assert line.startswith(f"{skipped} skipped error=OperationalError(")
    assert line.endswith(f": the database refused the connection: {fix}; {then}")
    assert DATABASE_PASSWORD not in caplog.text


def test_a_page_whose_database_refuses_the_login_answers_503_saying_what_to_fix(
    client, settings, caplog
):
    settings.DEBUG = False
    client.raise_request_exception = False
    refusal, fix = REFUSALS[0].values

    with database_refusing(refusal) as server:
        response = client.get("/jobs/")

    assert response.status_code == 503
    assert len(server.connections) == 1
    [(_, _, line)] = warnings_and_errors(caplog)
    assert line.endswith(f": the database refused the connection: {fix}")
    assert DATABASE_PASSWORD not in caplog.text


def test_a_sync_whose_database_refuses_the_login_says_what_to_fix_as_it_retries(
    acme, caplog, retry_delays
):
    refusal, fix = REFUSALS[0].values
    with database_refusing(refusal):
        result = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL))

    with pytest.raises(OperationalError):
        result.get()
    lines = not_started_lines(caplog)
    assert len(lines) == tasks.MAX_SYNC_RETRIES + 1
    assert all(f"; the database refused the connection: {fix}; " in line for line in lines)
    assert DATABASE_PASSWORD not in caplog.text


@pytest.mark.parametrize(
    "task",
    [
        tasks.dispatch_due_syncs,
        tasks.prune_sync_runs,
        tasks.prune_expired_invitations,
        tasks.prune_expired_sessions,
    ],
)
def test_a_task_beat_sends_on_a_database_without_its_table_fails_loudly(task, caplog):
    """SQLite says a table it lacks (a deploy that did not migrate) as it says an outage, in an
    OperationalError: that is no outage to skip quietly each day or minute."""
    missing_table = OperationalError("no such table: jobs_syncrun")
    missing_table.__cause__ = sqlite3.OperationalError("no such table: jobs_syncrun")
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=missing_table):
        result = task.apply()

    with pytest.raises(OperationalError, match="no such table"):
        result.get()
    assert "skipped" not in caplog.text


@pytest.mark.django_db(transaction=True)  # a connection Django may replace, as in a worker
def test_a_sync_whose_database_connection_is_lost_records_its_failure_and_frees_the_org(
    acme, fake_greenhouse, monkeypatch
):
    """The server restarts, fails over or ends the session while the sync waits on Greenhouse:
    the failure is recorded and the lease freed on a new connection, not left "running" with
    the org locked until the lease ran out."""
    real_fetch = GreenhouseClient.fetch_jobs_response

    def fetch_while_the_connection_is_lost(self, token, **validators):
        db_connection.connection.close()  # as the server closing the session leaves it
        return real_fetch(self, token, **validators)

    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", fetch_while_the_connection_is_lost)

    result = sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    assert not result.ok
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.FAILED
    acme.refresh_from_db()
    assert acme.lock_expires_at is None and acme.last_error == result.error
    monkeypatch.undo()
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok


@pytest.mark.django_db(transaction=True)  # a connection Django may replace, as in a worker
def test_a_sync_that_loses_the_database_as_it_records_its_run_frees_the_org(
    acme, fake_greenhouse, monkeypatch
):
    """The lease is taken but the run cannot be recorded: the org was left "Running…", refusing
    Refresh now and the schedule until the lease ran out."""
    start_sync_run = jobs_sync.start_sync_run

    def start_as_the_connection_is_lost(connection, **kwargs):
        db_connection.connection.close()  # as the server closing the session leaves it
        return start_sync_run(connection, **kwargs)

    monkeypatch.setattr(jobs_sync, "start_sync_run", start_as_the_connection_is_lost)

    with pytest.raises(DatabaseError):
        sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    db_connection.close()  # as Celery does after each task
    acme.refresh_from_db()
    assert acme.lock_expires_at is None and not SyncRun.objects.exists()
    monkeypatch.undo()
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok


@pytest.mark.django_db(transaction=True)  # a connection Django may replace, as in a worker
def test_a_sync_that_cannot_reach_the_database_again_leaves_the_org_to_its_lease(
    acme, fake_greenhouse, monkeypatch
):
    """The database goes down while the sync waits on Greenhouse and is still down as it records
    its failure: nothing is recorded or freed, and the sync raises, for its task to retry
    (README). Any other sync waits for the lease to end, then marks the run interrupted, naming
    both causes it cannot tell apart: a lost database or a stopped worker."""
    real_fetch = GreenhouseClient.fetch_jobs_response

    def fetch_as_the_database_goes_down(self, token, **validators):
        db_connection.connection.close()
        monkeypatch.setattr(
            BaseDatabaseWrapper, "ensure_connection", mock.Mock(side_effect=DATABASE_DOWN)
        )
        return real_fetch(self, token, **validators)

    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", fetch_as_the_database_goes_down)

    with pytest.raises(OperationalError):
        sync_organization(acme, trigger=SyncRun.Trigger.SCHEDULE)  # a worker's

    monkeypatch.undo()  # the database is back
    db_connection.close()  # as Celery does after each task
    acme.refresh_from_db()
    assert acme.lock_expires_at is not None
    lost_run = SyncRun.objects.get()
    assert lost_run.outcome == SyncRun.Outcome.RUNNING
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).outcome == "locked"

    lease_end = acme.lock_expires_at
    monkeypatch.setattr(timezone, "now", lambda: lease_end + timedelta(seconds=1))
    status = sync_status(organization=acme.organization)
    assert status["message"] == f"Failed: {INTERRUPTED_MESSAGE}"
    assert "could not reach this site's database" in status["message"]
    assert sync_organization(acme, trigger=SyncRun.Trigger.SCHEDULE).ok
    lost_run.refresh_from_db()
    assert lost_run.outcome == SyncRun.Outcome.INTERRUPTED
    assert lost_run.error_message == INTERRUPTED_MESSAGE


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (OperationalError("terminating connection due to administrator command"), True),
        (InterfaceError("connection already closed"), True),
        (IntegrityError("duplicate key value violates unique constraint"), False),
    ],
)
def test_a_sync_that_lost_the_database_is_retried_by_its_task_and_a_bug_is_not(
    acme, fake_greenhouse, monkeypatch, caplog, error, transient
):
    """A database restart or failover passes, as a Greenhouse outage does."""

    def fetch_as_the_database_goes(self, token, **validators):
        raise error

    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", fetch_as_the_database_goes)

    result = sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    assert result.transient is transient
    if transient:
        assert result.error == DATABASE_LOST_MESSAGE
        assert result.error.endswith("the sync will try again later.")
    else:
        assert "internal error" in result.error
    # A failover is no crash: it was "sync crashed", an ERROR with its traceback, as a bug is.
    sync_lines = [record for record in caplog.records if record.name == "jobs.sync"]
    crashed = [record.exc_info is not None for record in sync_lines if record.levelname == "ERROR"]
    assert crashed == ([] if transient else [True])
    if transient:
        assert "sync could not use the database org=acme run=" in caplog.text


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="the pipeline is PostgreSQL's")
@pytest.mark.django_db(transaction=True)  # the session is ended from another connection
def test_a_sync_that_loses_the_database_while_writing_jobs_is_retried_by_its_task(
    acme, fake_greenhouse, monkeypatch
):
    """The jobs are written in a pipeline, whose end reads the server's answers outside Django's
    cursors: a session ended there raised psycopg's own error, and the sync said 'internal
    error' and waited for its next scheduled time."""
    write_jobs = jobs_sync._write_jobs

    def write_as_the_session_is_ended(*args, **kwargs):
        write_jobs(*args, **kwargs)
        end_the_session()

    monkeypatch.setattr(jobs_sync, "_write_jobs", write_as_the_session_is_ended)

    result = sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    assert (result.transient, result.error) == (True, DATABASE_LOST_MESSAGE)
    assert not Job.objects.exists()
    acme.refresh_from_db()
    assert acme.lock_expires_at is None and acme.last_error == DATABASE_LOST_MESSAGE


# --- The database lost as a sync's task starts -----------------------------------------------


def database_lost_in(monkeypatch, owner: object, name: str, *, on_calls: set[int]) -> None:
    """`owner.name` raises as the database restarting would on these calls (the first is 1)."""
    real = getattr(owner, name)
    calls = itertools.count(1)

    def lost_on_some_calls(*args, **kwargs):
        if next(calls) in on_calls:
            raise DATABASE_DOWN
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, lost_on_some_calls)


def lost_until(back: list[bool], real: Callable) -> Callable:
    """`real`, raising as the database restarting would until `back` holds something."""

    def lost_until_back(*args, **kwargs):
        if not back:
            raise DATABASE_DOWN
        return real(*args, **kwargs)

    return lost_until_back


def answer_lost_in(monkeypatch, name: str, *, on_calls: set[int]) -> None:
    """jobs.sync's `name`, given a connection, makes its writes on these calls and raises as
    though the database went away before their answer came back: the connection it was given
    learns nothing of them."""
    real = getattr(jobs_sync, name)
    calls = itertools.count(1)

    def answer_lost_on_some_calls(connection, **kwargs):
        if next(calls) in on_calls:
            real(GreenhouseConnection.objects.get(pk=connection.pk), **kwargs)
            raise DATABASE_DOWN
        return real(connection, **kwargs)

    monkeypatch.setattr(jobs_sync, name, answer_lost_on_some_calls)


# What each try's warning line says of its retry, up to the wait, when the database stays lost.
EVERY_RETRY_THEN_NONE = [
    "retry 1 of 4",
    "retry 2 of 4",
    "retry 3 of 4",
    "retry 4 of 4",
    "not retried after 4 retries",
]


def retries_said(lines: list[str]) -> list[str]:
    """What each of a task's warning lines says of its retry (`…: why; retry 1 of 4 in 20 s`),
    up to the wait: a sync's last line then says what the try left (`…; not retried after 4
    retries; its lease …`)."""
    return [line.split("; ")[1].split(" in ")[0] for line in lines]


def not_started_lines(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "jobs.tasks" and record.levelno == logging.WARNING
    ]


@pytest.mark.parametrize(
    ("owner", "name"),
    [(BaseDatabaseWrapper, "ensure_connection"), (jobs_sync, "acquire_sync_lock")],
    ids=["reading its connection", "taking the lease"],
)
def test_a_sync_whose_task_loses_the_database_before_the_lease_is_tried_again(
    acme, fake_greenhouse, monkeypatch, caplog, retry_delays, owner, name
):
    """A restart or failover as a queued sync starts: its task failed with nothing recorded and
    no retry, the sync was lost, and its org read "Queued…" for 15 minutes."""
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=timezone.now())
    database_lost_in(monkeypatch, owner, name, on_calls={1})

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("success")
    assert len(retry_delays) == 1 and 15 <= retry_delays[0] <= 30  # the first retry's wait
    # Its first recorded run, not "Retry after a failure" with no failure before it.
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.MANUAL
    acme.refresh_from_db()
    assert acme.queued_at is None and acme.lock_expires_at is None
    [line] = not_started_lines(caplog)
    assert line.startswith(f"sync not started connection={acme.pk} error={DATABASE_DOWN!r}: ")
    assert line.endswith(f"retry 1 of 4 in {retry_delays[0]:.0f} s")


def test_a_sync_whose_task_cannot_reach_the_database_fails_after_its_retries(
    acme, fake_greenhouse, caplog, retry_delays
):
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=timezone.now())

    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=DATABASE_DOWN):
        result = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL))

    with pytest.raises(OperationalError):
        result.get()
    assert len(retry_delays) == tasks.MAX_SYNC_RETRIES
    lines = not_started_lines(caplog)
    assert retries_said(lines) == EVERY_RETRY_THEN_NONE
    assert not SyncRun.objects.exists() and fake_greenhouse.request_count() == 0
    # Nothing could clear it: the dispatcher takes it as lost once SYNC_QUEUED_STALE_SECONDS old.
    acme.refresh_from_db()
    assert acme.queued_at is not None


@pytest.mark.parametrize("lost_after_the_lease", [False, True], ids=["before", "after"])
def test_tries_lost_to_the_database_leave_a_greenhouse_outage_all_its_retries(
    acme, fake_greenhouse, monkeypatch, retry_delays, lost_after_the_lease
):
    """A try lost to the database, before the sync took its lease or after, was one of the
    task's 4 retries: the chain had 3 left for Greenhouse's failures."""
    if lost_after_the_lease:
        answer_lost_in(monkeypatch, "start_sync_run", on_calls={1})
    else:
        database_lost_in(monkeypatch, jobs_sync, "acquire_sync_lock", on_calls={1})
    fake_greenhouse.fail_next("acme-robotics", "status", times=100, status=503)

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("failed")
    assert len(retry_delays) == 1 + tasks.MAX_SYNC_RETRIES
    failed = SyncRun.objects.filter(outcome=SyncRun.Outcome.FAILED)
    assert failed.count() == 1 + tasks.MAX_SYNC_RETRIES


def lose_the_database_as_the_retry_takes_the_lease(monkeypatch, *, answer_lost: bool) -> None:
    """Before its UPDATE reaches the database, or with the UPDATE's answer lost."""
    if answer_lost:
        answer_lost_in(monkeypatch, "acquire_sync_lock", on_calls={2})
    else:
        database_lost_in(monkeypatch, jobs_sync, "acquire_sync_lock", on_calls={2})


def assert_the_second_try_succeeded(acme, *, first: SyncRun.Outcome) -> None:
    runs = SyncRun.objects.order_by("started_at", "pk").values_list("trigger", "outcome")
    assert list(runs) == [
        (SyncRun.Trigger.MANUAL, first),
        (SyncRun.Trigger.RETRY, SyncRun.Outcome.SUCCESS),
    ]
    acme.refresh_from_db()
    assert acme.state == GreenhouseConnection.State.OK


@pytest.mark.parametrize("answer_lost", [False, True], ids=["before it", "its answer lost"])
def test_a_retry_that_loses_the_database_as_it_takes_the_lease_still_runs_as_a_retry(
    acme, fake_greenhouse, monkeypatch, retry_delays, answer_lost
):
    """Its retry could not mark itself in the database: it carries the failure's mark, which
    the failure left in place, and is not taken for one that another sync overtook. Nor when
    the UPDATE took the lease unseen, clearing that mark: the retry carries the sync's start
    too, and takes its lease over (before, it took the cleared mark for another sync's doing,
    and did nothing)."""
    # A 408 fails the fetch at once (no retry within it) and is retried by the task.
    fake_greenhouse.fail_next("acme-robotics", "status", times=1, status=408)
    lose_the_database_as_the_retry_takes_the_lease(monkeypatch, answer_lost=answer_lost)

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("success") and len(retry_delays) == 2
    assert_the_second_try_succeeded(acme, first=SyncRun.Outcome.FAILED)
    assert acme.retry_at is None


@pytest.mark.parametrize("answer_lost", [False, True], ids=["before it", "its answer lost"])
def test_a_retry_that_loses_the_database_as_it_takes_the_lease_is_marked_once_it_is_back(
    acme, fake_greenhouse, monkeypatch, answer_lost
):
    """Its own retry was not marked, unlike a lost sync's: the failure's mark, past by then,
    no longer held off the dispatcher, which queued a due org's scheduled sync beside it, and
    the settings page gave the schedule's time as the next sync."""
    queued = (acme.pk, SyncRun.Trigger.MANUAL)
    fake_greenhouse.fail_next("acme-robotics", "status", times=1, status=408)
    failure_retry = retry_asked_for(monkeypatch, *queued)
    acme.refresh_from_db()
    now = acme.retry_at + timedelta(seconds=1)  # when the failure's retry runs
    monkeypatch.setattr(timezone, "now", lambda: now)
    GreenhouseConnection.objects.update(next_sync_at=now)  # its interval is up too
    if answer_lost:
        lose_the_answer_of_taking_the_lease(monkeypatch)
    else:
        database_lost_in(monkeypatch, jobs_sync, "acquire_sync_lock", on_calls={1})

    asked = retry_asked_for(monkeypatch, *queued, kwargs=failure_retry["kwargs"], retries=1)

    acme.refresh_from_db()
    assert acme.retry_at == now + timedelta(seconds=asked["countdown"])
    if not answer_lost:  # else its lease, held, does the same
        assert due_connections_claim(now=now, limit=10) == []
        status = sync_status(organization=acme.organization)
        said = wait_end_text(acme.retry_at)  # 30-60 s away, the second retry
        assert status["next_sync_text"] == f"{said}, a retry after the failure"


# --- The database lost as or after a sync's task takes the lease -----------------------------


def lose_the_answer_of_taking_the_lease(monkeypatch) -> None:
    answer_lost_in(monkeypatch, "acquire_sync_lock", on_calls={1})


def lose_the_answer_of_recording_the_run(monkeypatch) -> None:
    """The sync then frees its lease on a new connection."""
    answer_lost_in(monkeypatch, "start_sync_run", on_calls={1})


def lose_the_database_until_the_sync_has_failed(monkeypatch) -> None:
    """Lost as the sync waits on Greenhouse, and still down as it records its failure and
    frees its lease: its run is left "running" and its lease held."""
    for owner, name in [
        (GreenhouseClient, "fetch_jobs_response"),
        (jobs_sync, "_record_failure"),
        (jobs_sync, "release_sync_lock"),
    ]:
        database_lost_in(monkeypatch, owner, name, on_calls={1})


@pytest.mark.parametrize(
    ("lose_the_database", "runs", "line_start"),
    [
        (
            lose_the_answer_of_taking_the_lease,
            [(SyncRun.Trigger.MANUAL, SyncRun.Outcome.SUCCESS)],
            "sync not started",
        ),
        (
            lose_the_answer_of_recording_the_run,
            [
                (SyncRun.Trigger.MANUAL, SyncRun.Outcome.INTERRUPTED),
                (SyncRun.Trigger.RETRY, SyncRun.Outcome.SUCCESS),
            ],
            "sync lost the database",
        ),
        (
            lose_the_database_until_the_sync_has_failed,
            [
                (SyncRun.Trigger.MANUAL, SyncRun.Outcome.INTERRUPTED),
                (SyncRun.Trigger.RETRY, SyncRun.Outcome.SUCCESS),
            ],
            "sync lost the database",
        ),
    ],
    ids=["taking the lease", "recording the run", "recording the failure"],
)
def test_a_sync_that_loses_the_database_after_its_lease_is_taken_is_tried_again_by_its_task(
    acme, fake_greenhouse, monkeypatch, caplog, retry_delays, lose_the_database, runs, line_start
):
    """Its retry takes over the lease, held or freed. Before, a retry whose UPDATE had taken
    the lease unseen found the org locked by its own lease, and a sync that lost the database
    with its lease failed its task: its org waited for the schedule, up to SYNC_LOCK_SECONDS."""
    lose_the_database(monkeypatch)

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("success")
    assert len(retry_delays) == 1 and 15 <= retry_delays[0] <= 30  # the first retry's wait
    recorded = SyncRun.objects.order_by("started_at", "pk")
    assert list(recorded.values_list("trigger", "outcome")) == runs
    assert recorded.first().error_message in ("", INTERRUPTED_MESSAGE)
    assert Job.objects.count() == len(fake_greenhouse.jobs("acme-robotics"))
    acme.refresh_from_db()
    assert acme.lock_expires_at is None and acme.state == GreenhouseConnection.State.OK
    [line] = not_started_lines(caplog)
    assert line.startswith(f"{line_start} connection={acme.pk} error={DATABASE_DOWN!r}: ")
    assert line.endswith(f"retry 1 of 4 in {retry_delays[0]:.0f} s")


def test_a_scheduled_sync_whose_answer_is_lost_as_it_takes_the_lease_is_tried_again(
    acme, fake_greenhouse, monkeypatch, retry_delays
):
    """Its retry carries the dispatcher's queue mark, which the lease it took unseen cleared,
    and its start: it takes that lease over, not the cleared mark for another sync's doing."""
    mark = timezone.now()
    GreenhouseConnection.objects.update(queued_at=mark)
    lose_the_answer_of_taking_the_lease(monkeypatch)

    scheduled = tasks.sync_org.apply(
        args=(acme.pk, SyncRun.Trigger.SCHEDULE), kwargs={"queued_at": mark.isoformat()}
    )

    assert scheduled.get().startswith("success") and len(retry_delays) == 1
    runs = SyncRun.objects.values_list("trigger", "outcome")
    assert list(runs) == [(SyncRun.Trigger.SCHEDULE, SyncRun.Outcome.SUCCESS)]


@pytest.mark.parametrize("synced_by", ["refresh now again", "sync_jobs"])
def test_a_queued_sync_lost_before_it_took_the_lease_does_nothing_once_another_synced_the_org(
    acme, fake_greenhouse, monkeypatch, synced_by
):
    """Its retry carries its start, which never became the org's last attempt, and its mark.
    Taken for a sync that may hold the lease, it ran whatever the mark: after Refresh now
    pressed again 2 minutes on (its retries wait up to 4), or sync_jobs, it synced the org
    twice."""
    mark = timezone.now()
    GreenhouseConnection.objects.update(queued_at=mark)
    database_lost_in(monkeypatch, jobs_sync, "acquire_sync_lock", on_calls={1})
    queued = (acme.pk, SyncRun.Trigger.MANUAL)
    lost = retry_asked_for(monkeypatch, *queued, kwargs={"queued_at": mark.isoformat()})
    monkeypatch.undo()  # the database is back
    acme.refresh_from_db()
    assert acme.queued_at == mark and acme.last_attempt_at is None
    if synced_by == "sync_jobs":
        assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    else:
        again = mark + REFRESH_RESEND_AFTER + timedelta(seconds=1)
        GreenhouseConnection.objects.update(queued_at=again)
        assert tasks.sync_org.apply(args=queued, kwargs={"queued_at": again.isoformat()}).get()
    requests = fake_greenhouse.request_count()

    outcome = tasks.sync_org.apply(args=queued, kwargs=lost["kwargs"], retries=1).get()

    assert outcome == "skipped: the sync queued with this one's mark ran, or it was queued again"
    assert SyncRun.objects.count() == 1 and fake_greenhouse.request_count() == requests


@pytest.mark.parametrize("lost_again", [False, True], ids=["once", "and its retry too"])
def test_a_sync_that_loses_the_database_before_it_writes_its_run_is_retried_as_it_was_queued(
    acme, fake_greenhouse, monkeypatch, retry_delays, lost_again
):
    """Its retry's run is the first: it was listed as "Retry after a failure", with no failure
    before it. So is the run of a retry after one lost the same way."""
    database_lost_in(
        monkeypatch, jobs_sync, "start_sync_run", on_calls={1, 2} if lost_again else {1}
    )

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("success") and len(retry_delays) == 1 + lost_again
    runs = SyncRun.objects.values_list("trigger", "outcome")
    assert list(runs) == [(SyncRun.Trigger.MANUAL, SyncRun.Outcome.SUCCESS)]


def test_a_retry_of_a_sync_that_lost_the_database_is_marked_on_its_org_once_it_is_back(
    acme, fake_greenhouse, monkeypatch
):
    """Its run's answer lost, the sync freed its lease on a new connection. Unmarked, the retry
    showed on the settings page as nothing, and the dispatcher queued a due org's scheduled
    sync beside it: a fetch more."""
    GreenhouseConnection.objects.update(next_sync_at=timezone.now())  # its interval is up
    lose_the_answer_of_recording_the_run(monkeypatch)

    asked = retry_asked_for(monkeypatch, acme.pk, SyncRun.Trigger.SCHEDULE)

    acme.refresh_from_db()
    assert asked["kwargs"]["lease_taken_at"] == acme.last_attempt_at.isoformat()
    in_countdown = timezone.now() + timedelta(seconds=asked["countdown"])
    assert acme.lock_expires_at is None
    assert abs(acme.retry_at - in_countdown) < timedelta(seconds=5)
    assert due_connections_claim(now=timezone.now(), limit=10) == []
    status = sync_status(organization=acme.organization)
    said = wait_end_text(acme.retry_at)  # under a minute away
    assert status["next_sync_text"] == f"{said}, a retry after the failure"


def test_a_refresh_now_that_loses_the_database_leaves_its_org_due_at_once_to_its_retry(
    acme, fake_greenhouse, monkeypatch
):
    """Ahead of the schedule, its org waited for the lost sync's lease to end, should the
    retry be lost too; the retry's mark still holds the dispatcher off."""
    GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))
    lose_the_answer_of_recording_the_run(monkeypatch)

    retry_asked_for(monkeypatch, acme.pk, SyncRun.Trigger.MANUAL)

    acme.refresh_from_db()
    assert acme.lock_expires_at is None and acme.next_sync_at <= timezone.now()
    assert due_connections_claim(now=timezone.now(), limit=10) == []
    GreenhouseConnection.objects.update(retry_at=timezone.now() - timedelta(seconds=1))  # lost
    assert due_connections_claim(now=timezone.now(), limit=10) == [acme.pk]


@pytest.mark.parametrize("end", ["stopped", "freed by its task", "its worker killed"])
def test_a_sync_that_leaves_its_org_due_at_once_or_by_its_lease_leaves_greenhouses_wait(
    acme, monkeypatch, end
):
    """Made due at once (a stopped sync, one whose lease its task freed) or by its lease's end
    (a killed worker's), the org was synced within a minute of that, and "Next sync" said "due
    now", within the hour a Retry-After asked for, as Refresh now said to wait."""
    now = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    wait_until = now + timedelta(hours=1)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        next_sync_at=now + timedelta(hours=2), greenhouse_wait_until=wait_until
    )
    acme.refresh_from_db()
    lease = jobs_sync.acquire_sync_lock(acme)  # sync_jobs's, or a board connected again
    if end == "stopped":
        jobs_sync.release_sync_lock(acme, lease, due_now=True)
    elif end == "freed by its task":
        jobs_sync.sync_lease_release(acme.pk, started_at=now, due_now=True)

    acme.refresh_from_db()
    assert acme.next_sync_at == wait_until


@pytest.mark.parametrize("first", ["retry", "tick"])
def test_a_tick_between_a_lost_syncs_release_and_its_retry_mark_adds_no_sync(
    acme, fake_greenhouse, monkeypatch, first
):
    """The org is due at once as the sync frees its lease: a tick may claim it before the
    retry is marked. Of the tick's sync and the retry, whichever runs first syncs the org and
    the other does nothing: its mark, or its lease's start, is no longer the org's."""
    GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))
    lose_the_answer_of_recording_the_run(monkeypatch)
    ticks = []
    real_retry_schedule = tasks.retry_schedule

    def tick_then_mark(connection_id, **kwargs):
        ticks.append(timezone.now())
        assert due_connections_claim(now=ticks[0], limit=10) == [acme.pk]
        return real_retry_schedule(connection_id, **kwargs)

    monkeypatch.setattr(tasks, "retry_schedule", tick_then_mark)
    retry = retry_asked_for(monkeypatch, acme.pk, SyncRun.Trigger.MANUAL)
    monkeypatch.undo()  # the database is back
    tick = ((acme.pk, SyncRun.Trigger.SCHEDULE), {"queued_at": ticks[0].isoformat()})
    skipped = {
        "retry": "skipped: another sync ran since the failure it was to retry",
        "tick": "skipped: the sync queued with this one's mark ran, or it was queued again",
    }
    syncs = {
        "retry": lambda: tasks.sync_org.apply(
            args=retry["args"], kwargs=retry["kwargs"], retries=1
        ),
        "tick": lambda: tasks.sync_org.apply(args=tick[0], kwargs=tick[1]),
    }
    second = "tick" if first == "retry" else "retry"

    outcomes = [syncs[name]().get() for name in (first, second)]

    assert outcomes[0].startswith("success") and outcomes[1] == skipped[second]
    synced_by = SyncRun.Trigger.RETRY if first == "retry" else SyncRun.Trigger.SCHEDULE
    runs = SyncRun.objects.order_by("started_at").values_list("trigger", "outcome")
    assert list(runs) == [
        (SyncRun.Trigger.MANUAL, SyncRun.Outcome.INTERRUPTED),
        (synced_by, SyncRun.Outcome.SUCCESS),
    ]


def test_a_retry_of_a_sync_that_lost_the_database_is_asked_for_unmarked_while_it_is_lost(
    acme, fake_greenhouse, monkeypatch
):
    lose_the_answer_of_recording_the_run(monkeypatch)
    database_lost_in(monkeypatch, tasks, "retry_schedule", on_calls={1})

    asked = retry_asked_for(monkeypatch, acme.pk, SyncRun.Trigger.SCHEDULE)

    acme.refresh_from_db()
    assert asked["kwargs"]["lease_taken_at"] == acme.last_attempt_at.isoformat()
    assert acme.retry_at is None


def run_as_a_worker_does(task, *args: object, **kwargs: object) -> object:
    """Run `task` as a worker does: its request is not eager, so retry() publishes the retry
    (run inline, apply() runs the retry at once instead)."""
    task.push_request(id="worker", args=list(args), kwargs=kwargs, called_directly=False)
    try:
        return task.run(*args, **kwargs)
    finally:
        task.pop_request()


def retry_not_queued_for(monkeypatch, queue_error: Exception) -> None:
    """Publishing the task's retry raises `queue_error`, which Celery's retry raises as
    Reject, the soft time limit too."""

    def queue_fails(*args, **kwargs):
        raise queue_error

    monkeypatch.setattr(Signature, "apply_async", queue_fails)


def sync_retry_not_queued_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "sync retry not queued" in r.getMessage()]


def freed_as_said(lose_the_database: Callable) -> str:
    """How a lost sync's line ends once its task freed the org for a retry that will not run:
    the sync that lost the database as it recorded its run freed its lease itself."""
    lease = (
        "its lease already free"
        if lose_the_database is lose_the_answer_of_recording_the_run
        else "its lease freed"
    )
    return (
        f"; {lease}, the org made due at once (not before a wait Greenhouse asked for): the "
        "schedule syncs the org when due"
    )


MARK_CLEARED = '; its "Queued…" mark cleared: the schedule syncs the org when due'
NOTHING_FREED = (
    "; nothing freed: the org holds no lease or mark of this sync's (it took none, or another "
    "sync has started or been queued since), and is left as it is"
)


QUEUE_ERRORS = pytest.mark.parametrize(
    ("queue_error", "raised"),
    [
        (SoftTimeLimitExceeded(), SoftTimeLimitExceeded),
        (KombuOperationalError("connection refused"), Reject),
    ],
    ids=["soft-time-limit", "broker-down"],
)


@QUEUE_ERRORS
@pytest.mark.parametrize(
    "lose_the_database",
    [
        lose_the_answer_of_taking_the_lease,
        lose_the_answer_of_recording_the_run,
        lose_the_database_until_the_sync_has_failed,
    ],
    ids=["taking the lease", "recording the run", "recording the failure"],
)
def test_a_sync_that_lost_the_database_and_whose_retry_is_not_queued_leaves_its_org_free(
    acme, fake_greenhouse, monkeypatch, caplog, lose_the_database, queue_error, raised
):
    """Celery's retry raises Reject for an error as it queues the retry, the soft time limit
    too (an Exception). The org was left "Running…" until the lease it took ran out, with a
    retry mark that held the dispatcher off, and the task's last line said `retry 1 of 4`."""
    GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))
    lose_the_database(monkeypatch)
    retry_not_queued_for(monkeypatch, queue_error)

    with pytest.raises(raised):
        run_as_a_worker_does(tasks.sync_org, acme.pk, SyncRun.Trigger.MANUAL)

    acme.refresh_from_db()
    assert (acme.lock_expires_at, acme.retry_at) == (None, None)
    status = sync_status(organization=acme.organization)
    assert status["running"] is False and status["next_sync_text"] == "due now"
    assert enqueue_due_syncs() == [acme.pk]
    [line] = sync_retry_not_queued_lines(caplog)
    assert line.startswith(
        f"sync retry not queued connection={acme.pk} error={DATABASE_DOWN!r} "
        f"retry_error={queue_error!r} "
    )
    assert line.endswith(freed_as_said(lose_the_database))


@QUEUE_ERRORS
def test_a_queued_sync_that_lost_the_database_and_whose_retry_is_not_queued_clears_its_mark(
    acme, fake_greenhouse, monkeypatch, caplog, queue_error, raised
):
    """It never took the lease: its queue mark said "Queued…" and held the dispatcher off
    until it went stale (SYNC_QUEUED_STALE_SECONDS, 15 minutes)."""
    mark = timezone.now()
    GreenhouseConnection.objects.update(queued_at=mark, next_sync_at=mark)
    database_lost_in(monkeypatch, BaseDatabaseWrapper, "ensure_connection", on_calls={1})
    retry_not_queued_for(monkeypatch, queue_error)

    with pytest.raises(raised):
        run_as_a_worker_does(
            tasks.sync_org, acme.pk, SyncRun.Trigger.SCHEDULE, queued_at=mark.isoformat()
        )

    acme.refresh_from_db()
    assert acme.queued_at is None and acme.last_attempt_at is None
    assert enqueue_due_syncs() == [acme.pk]
    [line] = sync_retry_not_queued_lines(caplog)
    assert line.endswith(MARK_CLEARED)


def test_a_failed_sync_whose_retry_cannot_be_marked_nor_queued_says_so_once(
    acme, fake_greenhouse, monkeypatch, settings, caplog
):
    """Its retry is a lost sync's: the org is due in its place, and the log says so once."""
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "status", status=503)
    database_lost_in(monkeypatch, tasks, "retry_schedule", on_calls={1})
    retry_not_queued_for(monkeypatch, KombuOperationalError("connection refused"))

    with pytest.raises(Reject):
        run_as_a_worker_does(tasks.sync_org, acme.pk, SyncRun.Trigger.MANUAL)

    assert SyncRun.objects.get().outcome == SyncRun.Outcome.FAILED
    assert enqueue_due_syncs() == [acme.pk]
    assert len(sync_retry_not_queued_lines(caplog)) == 1
    assert "sync retry lost" not in caplog.text


def test_a_lost_sync_whose_retry_is_not_queued_as_the_database_is_still_lost_says_what_is_left(
    acme, fake_greenhouse, monkeypatch, caplog
):
    """The lease is left to run out, as the task that frees a lease later leaves it."""
    lose_the_database_until_the_sync_has_failed(monkeypatch)
    database_lost_in(monkeypatch, tasks, "sync_lease_release", on_calls={1})
    retry_not_queued_for(monkeypatch, KombuOperationalError("connection refused"))

    with pytest.raises(Reject):
        run_as_a_worker_does(tasks.sync_org, acme.pk, SyncRun.Trigger.MANUAL)

    assert GreenhouseConnection.objects.get(pk=acme.pk).lock_expires_at is not None
    [line] = sync_retry_not_queued_lines(caplog)
    assert f"the database still lost ({DATABASE_DOWN!r}): a lease the sync holds runs out" in line


LOST_AFTER_TRYING_THE_LEASE = pytest.mark.parametrize(
    "lose_the_database",
    [
        lose_the_answer_of_taking_the_lease,
        lose_the_answer_of_recording_the_run,
        lose_the_database_until_the_sync_has_failed,
    ],
    ids=["taking the lease", "recording the run", "recording the failure"],
)


@LOST_AFTER_TRYING_THE_LEASE
def test_a_sync_that_lost_the_database_and_stopped_before_queuing_its_retry_leaves_its_org_free(
    acme, fake_greenhouse, monkeypatch, caplog, lose_the_database
):
    """The soft time limit came as the retry was marked, before Celery's retry() was called:
    it comes out of the task as itself, not as Reject, and leaves no retry behind."""
    GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))
    lose_the_database(monkeypatch)

    def stopped_as_the_retry_is_marked(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(tasks, "retry_schedule", stopped_as_the_retry_is_marked)
    published = []
    monkeypatch.setattr(Signature, "apply_async", lambda *args, **kwargs: published.append(1))

    with pytest.raises(SoftTimeLimitExceeded):
        run_as_a_worker_does(tasks.sync_org, acme.pk, SyncRun.Trigger.MANUAL)

    assert published == []
    acme.refresh_from_db()
    assert (acme.lock_expires_at, acme.retry_at) == (None, None)
    assert enqueue_due_syncs() == [acme.pk]
    [line] = sync_retry_not_queued_lines(caplog)
    assert f"retry_error={SoftTimeLimitExceeded()!r} " in line


@LOST_AFTER_TRYING_THE_LEASE
def test_a_retry_queued_as_its_task_stopped_keeps_the_lease_it_took_over(
    acme, fake_greenhouse, monkeypatch, caplog, lose_the_database
):
    """The soft time limit came once the retry was published: the task takes its retry for
    lost, and the retry, its countdown passed, took the lease over before the task saw to
    what it left. The lease and the org's next time are the retry's: freed, or the org made
    due, a second sync would run beside it. The task's line said it had freed the lease
    "should it hold it", changing nothing."""
    GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))
    lose_the_database(monkeypatch)
    taken_over: dict[str, object] = {}

    def published_then_stopped(signature, *args, **kwargs):
        lost_start = datetime.fromisoformat(signature.kwargs["lease_taken_at"])
        connection = GreenhouseConnection.objects.get(pk=acme.pk)
        assert jobs_sync.acquire_sync_lock(connection, taking_over=lost_start) is not None
        taken_over.update(GreenhouseConnection.objects.values(*RETRY_HELD_FIELDS).get())
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(Signature, "apply_async", published_then_stopped)

    with pytest.raises(SoftTimeLimitExceeded):
        run_as_a_worker_does(tasks.sync_org, acme.pk, SyncRun.Trigger.MANUAL)

    assert GreenhouseConnection.objects.values(*RETRY_HELD_FIELDS).get() == taken_over
    assert enqueue_due_syncs() == []
    [line] = sync_retry_not_queued_lines(caplog)
    assert line.endswith(NOTHING_FREED)


RETRY_HELD_FIELDS = ("lock_expires_at", "last_attempt_at", "next_sync_at", "retry_at", "queued_at")


def test_a_queued_sync_whose_retry_is_not_queued_keeps_the_mark_of_a_sync_queued_since(
    acme, fake_greenhouse, monkeypatch, caplog
):
    """Its mark went stale as it waited in the queue, and the dispatcher queued the org again:
    the "Queued…" mark is that sync's, not this one's to clear."""
    stale_mark = timezone.now() - timedelta(minutes=20)
    queued_again = timezone.now()
    GreenhouseConnection.objects.update(queued_at=queued_again, next_sync_at=stale_mark)
    database_lost_in(monkeypatch, BaseDatabaseWrapper, "ensure_connection", on_calls={1})
    retry_not_queued_for(monkeypatch, KombuOperationalError("connection refused"))

    with pytest.raises(Reject):
        run_as_a_worker_does(
            tasks.sync_org, acme.pk, SyncRun.Trigger.SCHEDULE, queued_at=stale_mark.isoformat()
        )

    assert GreenhouseConnection.objects.get(pk=acme.pk).queued_at == queued_again
    [line] = sync_retry_not_queued_lines(caplog)
    assert line.endswith(NOTHING_FREED)


@pytest.fixture
def lease_releases_queued(monkeypatch) -> list[dict]:
    """The arguments (`args` and `kwargs`, as apply() takes them) of each task queued to free a
    lease later, held back from the broker."""
    queued = []

    def hold_back(args, kwargs=None, **options):
        queued.append({"args": args, "kwargs": kwargs or {}})

    monkeypatch.setattr(tasks.release_sync_lease, "apply_async", hold_back)
    return queued


@pytest.fixture
def lease_release_retry_delays(monkeypatch) -> list[float]:
    """The waits the task that frees a lease later asks for its retries; they run at once."""
    return recorded_retry_delays(monkeypatch, tasks.release_sync_lease)


def failing_for_an_hour(acme, fake_greenhouse, settings) -> None:
    """acme's syncs have failed for over an hour: its next failed sync emails its admins."""
    settings.SYNC_FAILURE_EMAIL_AFTER_MINUTES = 60
    fake_greenhouse.remove_board("acme-robotics")
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        failing_since=timezone.now() - timedelta(minutes=61)
    )


def sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme) -> str:
    """Run acme's sync task, the database lost only as the sync frees its lease."""
    database_lost_in(monkeypatch, jobs_sync, "release_sync_lock", on_calls={1})
    return tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()


@pytest.mark.parametrize("board_removed", [False, True], ids=["a success", "an invalid token"])
def test_a_sync_that_loses_the_database_as_it_frees_the_org_once_recorded_is_not_run_again(
    acme, fake_greenhouse, monkeypatch, caplog, retry_delays, lease_releases_queued, board_removed
):
    """Its task ran it again as a sync that lost the database: a fetch more, a "Retry after a
    failure" after a success, and an invalid token's failure counted twice toward the email
    that tells the org's admins. A task queued to free the lease frees it once the database is
    back, where the org showed "Running…" and refused Refresh now until the lease ran out."""
    if board_removed:
        fake_greenhouse.remove_board("acme-robotics")

    outcome = sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme)

    assert outcome.startswith("failed" if board_removed else "success") and retry_delays == []
    acme.refresh_from_db()
    assert acme.lock_expires_at is not None
    assert lease_releases_queued == [
        {"args": (acme.pk, acme.last_attempt_at.isoformat()), "kwargs": {}}
    ]
    [line] = [r.getMessage() for r in caplog.records if "lease release" in r.getMessage()]
    assert line.startswith(f"sync lease release deferred org=acme error={DATABASE_DOWN!r}")

    assert tasks.release_sync_lease.apply(**lease_releases_queued[0]).get() == "freed"

    assert fake_greenhouse.request_count() == 1
    run = SyncRun.objects.get()
    acme.refresh_from_db()
    assert (acme.consecutive_failures, run.trigger) == (int(board_removed), SyncRun.Trigger.MANUAL)
    assert acme.lock_expires_at is None
    assert not sync_status(organization=acme.organization)["running"]


def test_a_sync_that_loses_the_database_as_it_frees_the_org_emails_its_admins_once_it_is_back(
    acme, fake_greenhouse, monkeypatch, caplog, owner, settings, lease_releases_queued
):
    """Its email check ran on the lost database too: it logged "sync email crashed" with a
    traceback, and the admins of an org whose syncs had failed for an hour were told only by
    a later failed sync, a whole interval on. The task that frees the lease makes the check."""
    failing_for_an_hour(acme, fake_greenhouse, settings)
    database_back = []  # holds True once it is
    for name in ("release_sync_lock", "sync_health_email_send"):
        monkeypatch.setattr(jobs_sync, name, lost_until(database_back, getattr(jobs_sync, name)))

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("failed") and mail.outbox == []
    assert "sync email crashed" not in caplog.text
    database_back.append(True)
    assert tasks.release_sync_lease.apply(**lease_releases_queued[0]).get() == "freed"
    assert [message.to for message in mail.outbox] == [[owner.email]]
    assert mail.outbox[0].subject == "Greenhouse sync is failing for Acme Robotics"


def test_the_task_that_frees_a_lease_later_logs_an_email_check_that_crashes_as_the_sync_does(
    acme, fake_greenhouse, monkeypatch, caplog, lease_releases_queued
):
    """It failed with Celery's traceback, where the sync logs "sync email crashed"."""
    sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme)

    def crash(connection):
        raise RuntimeError("template missing")

    monkeypatch.setattr(jobs_sync, "sync_health_email_send", crash)

    assert tasks.release_sync_lease.apply(**lease_releases_queued[0]).get() == "freed"

    [record] = [r for r in caplog.records if "sync email crashed" in r.getMessage()]
    assert record.getMessage() == "sync email crashed org=acme"
    assert record.exc_info[0] is RuntimeError
    acme.refresh_from_db()
    assert acme.lock_expires_at is None


def test_the_task_that_frees_a_lease_later_says_its_email_check_lost_the_database_not_the_lease(
    acme,
    fake_greenhouse,
    monkeypatch,
    caplog,
    owner,
    settings,
    lease_releases_queued,
    lease_release_retry_delays,
):
    """Its retry line began "sync lease not freed", the lease freed already."""
    failing_for_an_hour(acme, fake_greenhouse, settings)
    sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme)
    database_lost_in(monkeypatch, jobs_sync, "sync_health_email_send", on_calls={1})

    tasks.release_sync_lease.apply(**lease_releases_queued[0]).get()

    assert len(lease_release_retry_delays) == 1
    [line] = [r.getMessage() for r in caplog.records if "retry 1 of" in r.getMessage()]
    assert line.startswith(f"sync email not checked connection={acme.pk} error={DATABASE_DOWN!r}")
    assert "lease" not in line
    acme.refresh_from_db()
    assert acme.lock_expires_at is None
    assert [message.to for message in mail.outbox] == [[owner.email]]


def test_the_retry_of_a_task_that_freed_a_lease_and_lost_its_email_check_says_it_freed_it(
    acme, fake_greenhouse, monkeypatch, lease_releases_queued, lease_release_retry_delays
):
    """It said "skipped: another sync started since, or the lease was freed", as though no
    try of the task had freed it."""
    sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme)
    database_lost_in(monkeypatch, jobs_sync, "sync_health_email_send", on_calls={1})

    outcome = tasks.release_sync_lease.apply(**lease_releases_queued[0]).get()

    assert outcome == "freed earlier; email checked" and len(lease_release_retry_delays) == 1
    acme.refresh_from_db()
    assert acme.lock_expires_at is None


def test_the_retry_of_an_email_check_carries_that_the_lease_was_freed_only_when_it_was(
    acme, fake_greenhouse, monkeypatch, lease_releases_queued
):
    """It carried `lease_freed=False` too, which a worker of a release before the argument
    fails on."""
    sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme)
    # The lease is free already, its sync still the last to have started.
    GreenhouseConnection.objects.filter(pk=acme.pk).update(lock_expires_at=None)
    database_lost_in(monkeypatch, jobs_sync, "sync_health_email_send", on_calls={1})
    queued = lease_releases_queued[0]

    asked = retry_asked_for(
        monkeypatch, *queued["args"], task=tasks.release_sync_lease, kwargs=queued["kwargs"]
    )

    assert asked["kwargs"] == {"database_retries": 1}


def test_the_task_that_frees_a_lease_later_runs_without_the_arguments_it_does_not_know(
    acme, fake_greenhouse, monkeypatch, lease_releases_queued
):
    """Queued by a later release's worker, it failed with a TypeError on a worker of this one."""
    sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme)
    later = {"added_by_a_later_release": True}

    outcome = tasks.release_sync_lease.apply(
        args=lease_releases_queued[0]["args"], kwargs=later
    ).get()

    assert outcome == "freed"


@pytest.mark.parametrize("lost_again", [1, 4], ids=["once", "for all its retries"])
def test_the_task_that_frees_a_lease_later_is_retried_while_the_database_is_lost(
    acme,
    fake_greenhouse,
    monkeypatch,
    lease_releases_queued,
    lease_release_retry_delays,
    lost_again,
):
    sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme)
    database_lost_in(
        monkeypatch, tasks, "sync_lease_release", on_calls=set(range(1, lost_again + 1))
    )

    outcome = tasks.release_sync_lease.apply(**lease_releases_queued[0]).get()

    assert outcome == "freed" and len(lease_release_retry_delays) == lost_again
    assert all(delay <= tasks.RETRY_MAX_SECONDS for delay in lease_release_retry_delays)
    acme.refresh_from_db()
    assert acme.lock_expires_at is None and fake_greenhouse.request_count() == 1


def test_the_task_that_frees_a_lease_later_gives_up_when_the_database_stays_lost(
    acme, fake_greenhouse, monkeypatch, lease_releases_queued, lease_release_retry_delays
):
    """The lease then runs out, as any a sync left held."""
    sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme)
    database_lost_in(monkeypatch, tasks, "sync_lease_release", on_calls=set(range(1, 10)))

    with pytest.raises(OperationalError):
        tasks.release_sync_lease.apply(**lease_releases_queued[0]).get()

    assert len(lease_release_retry_delays) == tasks.MAX_SYNC_RETRIES


@pytest.mark.parametrize(
    ("lost_in", "left"),
    [
        ((tasks, "sync_lease_release"), "sync lease left to run out"),
        ((jobs_sync, "sync_health_email_send"), "sync email check left to the next sync"),
    ],
    ids=["freeing-the-lease", "email-check"],
)
@pytest.mark.parametrize(
    ("queue_error", "raised"),
    [
        (SoftTimeLimitExceeded(), SoftTimeLimitExceeded),
        (KombuOperationalError("connection refused"), Reject),
    ],
    ids=["soft-time-limit", "broker-down"],
)
def test_the_task_that_frees_a_lease_later_says_what_it_leaves_when_its_retry_is_not_queued(
    acme,
    fake_greenhouse,
    monkeypatch,
    caplog,
    lease_releases_queued,
    lost_in,
    left,
    queue_error,
    raised,
):
    """Celery's retry raises Reject for an error as it queues the retry, the soft time limit
    too (an Exception): the task's last line said it would retry, not that the lease was left
    to run out or the email check to the next sync, and the soft limit reached the worker as
    Reject."""
    sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme)
    database_lost_in(monkeypatch, *lost_in, on_calls={1})

    def queue_fails(*args, **kwargs):
        raise queue_error

    monkeypatch.setattr(Signature, "apply_async", queue_fails)
    queued = lease_releases_queued[0]
    # As a worker runs it: run inline (apply()), the retry is not queued but run at once.
    task = tasks.release_sync_lease
    task.push_request(id="release", args=queued["args"], kwargs={}, called_directly=False)
    try:
        with pytest.raises(raised):
            task.run(*queued["args"], **queued["kwargs"])
    finally:
        task.pop_request()

    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith(left)]
    assert line.startswith(
        f"{left} connection={acme.pk} error={DATABASE_DOWN!r} retry_error={queue_error!r}"
    )


def test_the_task_that_frees_a_lease_later_leaves_a_sync_that_started_since_its_lease(
    acme, fake_greenhouse, monkeypatch, lease_releases_queued
):
    """A retry of a failure took the lease over before the task ran."""
    sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme)
    acme.refresh_from_db()
    newer = jobs_sync.acquire_sync_lock(acme, taking_over=acme.last_attempt_at)
    assert newer is not None

    outcome = tasks.release_sync_lease.apply(**lease_releases_queued[0]).get()

    assert outcome.startswith("skipped")
    acme.refresh_from_db()
    assert acme.lock_expires_at == newer


def test_a_sync_that_loses_the_database_as_it_checks_its_email_leaves_the_check_to_a_task(
    acme,
    fake_greenhouse,
    monkeypatch,
    caplog,
    owner,
    settings,
    retry_delays,
    lease_releases_queued,
):
    """It logged "sync email crashed" with a traceback, and the admins of an org whose syncs
    had failed for an hour were told only by a later failed sync, a whole interval on. The task
    that frees a lease later makes the check, told that the lease is freed."""
    failing_for_an_hour(acme, fake_greenhouse, settings)
    database_back = []  # holds True once it is
    real_check = jobs_sync.sync_health_email_send
    monkeypatch.setattr(jobs_sync, "sync_health_email_send", lost_until(database_back, real_check))

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("failed") and retry_delays == [] and mail.outbox == []
    assert "sync email crashed" not in caplog.text
    [record] = [r for r in caplog.records if "sync email check" in r.getMessage()]
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)
    assert record.getMessage().startswith(
        f"sync email check deferred org=acme error={DATABASE_DOWN!r}"
    )
    acme.refresh_from_db()
    assert acme.lock_expires_at is None
    start = acme.last_attempt_at.isoformat()
    assert lease_releases_queued == [{"args": (acme.pk, start), "kwargs": {"lease_freed": True}}]

    database_back.append(True)
    outcome = tasks.release_sync_lease.apply(**lease_releases_queued[0]).get()

    assert outcome == "freed earlier; email checked"
    assert [message.to for message in mail.outbox] == [[owner.email]]
    assert mail.outbox[0].subject == "Greenhouse sync is failing for Acme Robotics"


def lose_the_database_as_the_first_email_is_recorded(monkeypatch) -> None:
    """jobs.alerts sends its first email, then loses the database before it records it sent:
    the email's claim stays, as the failed UPDATE that would release it leaves it."""
    real_send = alerts._send
    calls = itertools.count(1)

    def sent_then_lost(*args):
        sent = real_send(*args)
        if next(calls) == 1:
            raise DATABASE_DOWN
        return sent

    monkeypatch.setattr(alerts, "_send", sent_then_lost)


@pytest.mark.parametrize("sent", [False, True], ids=["before its claim", "after sending it"])
def test_an_email_check_that_loses_the_database_emails_the_admins_once(
    acme, fake_greenhouse, monkeypatch, owner, settings, lease_releases_queued, sent
):
    failing_for_an_hour(acme, fake_greenhouse, settings)
    if sent:
        lose_the_database_as_the_first_email_is_recorded(monkeypatch)
    else:
        database_lost_in(monkeypatch, alerts, "admin_emails", on_calls={1})

    tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()
    assert len(mail.outbox) == int(sent) and len(lease_releases_queued) == 1
    tasks.release_sync_lease.apply(**lease_releases_queued[0]).get()

    assert [message.to for message in mail.outbox] == [[owner.email]]


def test_an_email_check_that_crashes_otherwise_is_logged_and_not_made_again(
    acme, fake_greenhouse, monkeypatch, caplog, lease_releases_queued
):
    def crash(connection):
        raise RuntimeError("template missing")

    monkeypatch.setattr(jobs_sync, "sync_health_email_send", crash)

    assert tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get().startswith("success")

    [record] = [r for r in caplog.records if "sync email crashed" in r.getMessage()]
    assert record.getMessage() == "sync email crashed org=acme"
    assert record.exc_info[0] is RuntimeError
    assert lease_releases_queued == []


def test_a_sync_that_cannot_queue_its_email_check_leaves_it_to_the_next_sync(
    acme, fake_greenhouse, monkeypatch, caplog, retry_delays, redis_refused, outage_clock
):
    """The broker is down too: the sync is not failed for it, nor run again."""
    database_lost_in(monkeypatch, jobs_sync, "sync_health_email_send", on_calls={1})

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    outage_clock.assert_fails_fast()
    assert outcome.startswith("success") and retry_delays == []
    acme.refresh_from_db()
    assert acme.lock_expires_at is None and fake_greenhouse.request_count() == 1
    [line] = [r.getMessage() for r in caplog.records if "email check" in r.getMessage()]
    assert line.startswith(
        f"sync email check left to the next sync org=acme error={DATABASE_DOWN!r}"
    )


def test_a_lease_is_freed_by_its_start_only_while_no_sync_has_started_since(acme):
    first = timezone.now() - timedelta(minutes=1)
    jobs_sync.acquire_sync_lock(acme, started_at=first)
    newer = jobs_sync.acquire_sync_lock(acme, taking_over=first)

    assert not jobs_sync.sync_lease_release(acme.pk, started_at=first)
    acme.refresh_from_db()
    assert acme.lock_expires_at == newer
    assert jobs_sync.sync_lease_release(acme.pk, started_at=acme.last_attempt_at)
    acme.refresh_from_db()
    assert acme.lock_expires_at is None
    assert not jobs_sync.sync_lease_release(acme.pk, started_at=acme.last_attempt_at)


def test_a_sync_that_cannot_queue_the_freeing_of_its_lease_leaves_it_to_run_out(
    acme, fake_greenhouse, monkeypatch, caplog, retry_delays, redis_refused, outage_clock
):
    """The broker is down too: the sync is not failed for it, nor run again."""
    outcome = sync_that_loses_the_database_as_it_frees_the_org(monkeypatch, acme)

    outage_clock.assert_fails_fast()
    assert outcome.startswith("success") and retry_delays == []
    acme.refresh_from_db()
    assert acme.lock_expires_at is not None and fake_greenhouse.request_count() == 1
    [line] = [r.getMessage() for r in caplog.records if "lease left" in r.getMessage()]
    assert line.startswith(f"sync lease left to run out org=acme error={DATABASE_DOWN!r}")


def test_a_failed_sync_that_loses_the_database_as_it_frees_the_org_is_retried_over_its_lease(
    acme, fake_greenhouse, monkeypatch, retry_delays
):
    fake_greenhouse.fail_next("acme-robotics", "status", times=1, status=408)
    database_lost_in(monkeypatch, jobs_sync, "release_sync_lock", on_calls={1})

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("success") and len(retry_delays) == 1
    assert_the_second_try_succeeded(acme, first=SyncRun.Outcome.FAILED)
    assert acme.lock_expires_at is None and acme.consecutive_failures == 0


@pytest.mark.parametrize("answer_lost", [False, True], ids=["before it", "its answer lost"])
def test_a_retry_that_loses_the_database_as_it_takes_a_lost_syncs_lease_over_is_tried_again(
    acme, fake_greenhouse, monkeypatch, retry_delays, answer_lost
):
    """Whether or not its UPDATE took the lease, no other sync has started: the next retry
    takes the lease over. Before, it carried only the start of the retry that failed to take
    the lease, found the lost sync's start on the org's row instead, and did nothing, the org
    locked until the lease ran out."""
    lose_the_database_until_the_sync_has_failed(monkeypatch)
    lose_the_database_as_the_retry_takes_the_lease(monkeypatch, answer_lost=answer_lost)

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("success") and len(retry_delays) == 2
    assert_the_second_try_succeeded(acme, first=SyncRun.Outcome.INTERRUPTED)
    assert acme.lock_expires_at is None


def test_a_retry_that_loses_the_database_as_it_looks_for_a_lost_syncs_run_keeps_its_starts(
    acme, fake_greenhouse, monkeypatch, retry_delays
):
    """The retry of one that took a lost sync's lease over unseen looks for the lost sync's
    run before it syncs. Lost there, it asked its own retry to carry a start that never was one
    in place of the lost sync's: that retry missed the lost sync's run, left "running", and
    recorded its own as the sync was queued (Refresh now), a first run after it."""
    lose_the_database_until_the_sync_has_failed(monkeypatch)
    lose_the_database_as_the_retry_takes_the_lease(monkeypatch, answer_lost=True)
    database_lost_in(monkeypatch, scheduling, "_no_run_since", on_calls={2})

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("success") and len(retry_delays) == 3
    assert_the_second_try_succeeded(acme, first=SyncRun.Outcome.INTERRUPTED)


@pytest.mark.parametrize("other_sync_ended", [False, True], ids=["running", "ended"])
def test_a_retry_of_a_sync_that_lost_the_database_does_nothing_once_another_took_its_lease(
    acme, fake_greenhouse, monkeypatch, other_sync_ended
):
    """Its lease ran out before the retry came, and the schedule took it over: that sync's
    state is not the retry's to touch, as when another sync clears a retry's mark."""
    lose_the_database_until_the_sync_has_failed(monkeypatch)
    asked = retry_asked_for(monkeypatch, acme.pk, SyncRun.Trigger.MANUAL)
    lease_end = GreenhouseConnection.objects.get(pk=acme.pk).lock_expires_at
    monkeypatch.setattr(timezone, "now", lambda: lease_end + timedelta(seconds=1))
    other = GreenhouseConnection.objects.select_related("organization").get(pk=acme.pk)
    if other_sync_ended:
        assert sync_organization(other, trigger=SyncRun.Trigger.SCHEDULE).ok
    else:
        jobs_sync.acquire_sync_lock(other)
    runs = list(SyncRun.objects.values_list("pk", "outcome"))
    requests = fake_greenhouse.request_count()

    outcome = tasks.sync_org.apply(args=asked["args"], kwargs=asked["kwargs"], retries=1).get()

    assert outcome == "skipped: another sync ran since the failure it was to retry"
    assert list(SyncRun.objects.values_list("pk", "outcome")) == runs
    assert fake_greenhouse.request_count() == requests
    acme.refresh_from_db()
    assert (acme.last_attempt_at, acme.lock_expires_at) == (
        other.last_attempt_at,
        None if other_sync_ended else other.lock_expires_at,
    )


def test_a_retry_queued_by_code_that_carried_no_lease_still_finds_the_org_locked(
    acme, fake_greenhouse, monkeypatch
):
    """During a deploy, a worker of this release takes the retry an older one queued after its
    UPDATE took the lease unseen: it carries no start, so the lease is left to run out, as
    before; the same retry carrying the start takes the lease over."""
    queued = (acme.pk, SyncRun.Trigger.MANUAL)
    lose_the_answer_of_taking_the_lease(monkeypatch)
    asked = retry_asked_for(monkeypatch, *queued)
    lease = GreenhouseConnection.objects.get(pk=acme.pk).lock_expires_at
    assert lease is not None

    as_queued_before = tasks.sync_org.apply(args=queued, retries=1).get()

    assert as_queued_before.startswith("locked: another sync") and not SyncRun.objects.exists()
    assert GreenhouseConnection.objects.get(pk=acme.pk).lock_expires_at == lease
    outcome = tasks.sync_org.apply(args=queued, kwargs=asked["kwargs"], retries=1).get()
    assert outcome.startswith("success")


def test_a_failed_sync_whose_retry_cannot_be_marked_for_the_lost_database_is_retried_anyway(
    acme, fake_greenhouse, monkeypatch, retry_delays
):
    """Lost once the failure was recorded (in the failure email, say, whose error is only
    logged): the task failed with a traceback as it marked the retry, and the org waited its
    whole interval for the schedule. Greenhouse's Retry-After still holds the retry back."""
    retries_run_once_due(monkeypatch)
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", times=1, retry_after="120")
    database_lost_in(monkeypatch, tasks, "retry_schedule", on_calls={1})

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("success") and retry_delays == [120]
    runs = SyncRun.objects.order_by("started_at", "pk").values_list("trigger", "outcome")
    assert list(runs) == [
        (SyncRun.Trigger.MANUAL, SyncRun.Outcome.FAILED),
        (SyncRun.Trigger.RETRY, SyncRun.Outcome.SUCCESS),
    ]


def test_a_failure_naming_no_wait_whose_retry_cannot_be_marked_waits_out_greenhouses_wait(
    acme, fake_greenhouse, monkeypatch, settings, retry_delays
):
    """A 500 within a wait Greenhouse asked for earlier keeps it (jobs.sync): retried as a sync
    that lost the database, with the failure's own Retry-After (none), it asked Greenhouse
    15-30 seconds later, within that wait. (A board connected again within the wait has its
    first try synced in it.)"""
    settings.GREENHOUSE_RETRIES = 0
    greenhouse_asked_to_wait(monkeypatch, acme, timedelta(minutes=10))
    fake_greenhouse.fail_next("acme-robotics", "status", times=1, status=500)
    database_lost_in(monkeypatch, tasks, "retry_schedule", on_calls={1})

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.CONNECT)).get()

    assert outcome.startswith("success") and retry_delays == [600]


def lose_the_database_before_the_lease(monkeypatch) -> None:
    database_lost_in(monkeypatch, jobs_sync, "acquire_sync_lock", on_calls={1})


LOST_BEFORE_OR_AFTER_THE_LEASE = pytest.mark.parametrize(
    ("lose_the_database", "line_start"),
    [
        (lose_the_database_before_the_lease, "sync not started"),
        (lose_the_answer_of_taking_the_lease, "sync not started"),
        (lose_the_answer_of_recording_the_run, "sync lost the database"),
        (lose_the_database_until_the_sync_has_failed, "sync lost the database"),
    ],
    ids=["before the lease", "taking the lease", "recording the run", "recording the failure"],
)


def retries_run_once_due(monkeypatch) -> None:
    """Time stands still, but for the sync task's retries, which run inline at once: each runs
    once its countdown has passed, as a worker runs it."""
    clock = [timezone.now()]
    monkeypatch.setattr("django.utils.timezone.now", lambda: clock[0])
    retry = tasks.sync_org.retry

    def retry_once_due(*args, **kwargs):
        clock[0] += timedelta(seconds=kwargs["countdown"])
        return retry(*args, **kwargs)

    monkeypatch.setattr(tasks.sync_org, "retry", retry_once_due)


def greenhouse_asked_to_wait(monkeypatch, acme, wait: timedelta) -> None:
    """Greenhouse asked the org's syncs to wait `wait` from now (a Retry-After an earlier sync
    stored); time stands still but for the task's retries (retries_run_once_due). Only the
    first try of a board connected again's sync runs within the wait (request_refresh), not its
    retries, as no other does."""
    retries_run_once_due(monkeypatch)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        greenhouse_wait_until=timezone.now() + wait
    )


@LOST_BEFORE_OR_AFTER_THE_LEASE
def test_a_sync_that_lost_the_database_is_retried_once_greenhouses_wait_is_over(
    acme, fake_greenhouse, monkeypatch, caplog, retry_delays, lose_the_database, line_start
):
    """Its retry came 15-30 seconds later, within the wait Greenhouse had asked for, as a failed
    sync's retry no longer does: Greenhouse rate limits longer, every org's syncs."""
    greenhouse_asked_to_wait(monkeypatch, acme, timedelta(minutes=10))
    lose_the_database(monkeypatch)

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.CONNECT)).get()

    assert outcome.startswith("success") and retry_delays == [600]
    [line] = not_started_lines(caplog)
    assert line.startswith(f"{line_start} connection={acme.pk} ")
    assert line.endswith("retry 1 of 4 in 600 s")


@LOST_BEFORE_OR_AFTER_THE_LEASE
def test_a_sync_that_lost_the_database_is_left_to_the_schedule_past_a_long_greenhouse_wait(
    acme, fake_greenhouse, monkeypatch, caplog, retry_delays, lose_the_database, line_start
):
    """A retry waits RETRY_MAX_SECONDS at most, within an hour Greenhouse asked to be left
    alone: as a failed sync, it is not retried, and the schedule syncs the org at the wait's
    end."""
    greenhouse_asked_to_wait(monkeypatch, acme, timedelta(hours=1))
    lose_the_database(monkeypatch)

    with pytest.raises(OperationalError):
        tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.CONNECT)).get()

    assert retry_delays == [] and fake_greenhouse.request_count() <= 1
    acme.refresh_from_db()
    assert acme.retry_at is None
    wait_end = acme.greenhouse_wait_until
    assert due_connections_claim(now=wait_end - timedelta(seconds=1), limit=10) == []
    assert due_connections_claim(now=wait_end, limit=10) == [acme.pk]
    [line] = not_started_lines(caplog)
    assert line.startswith(f"{line_start} connection={acme.pk} error={DATABASE_DOWN!r}: ")
    assert (
        f"; not retried: Greenhouse asked to wait until {acme.greenhouse_wait_until.isoformat()}"
        f", longer than a retry waits ({tasks.RETRY_MAX_SECONDS} s); "
    ) in line


@LOST_BEFORE_OR_AFTER_THE_LEASE
def test_a_sync_that_lost_the_database_past_a_long_greenhouse_wait_leaves_its_org_free(
    acme, fake_greenhouse, monkeypatch, caplog, lose_the_database, line_start
):
    """Not retried, it left a lease it held to run out: the org read "Running…" for 10 minutes,
    and one that never took it "Queued…" until its mark went stale, where a try whose retry is
    not queued frees both."""
    greenhouse_asked_to_wait(monkeypatch, acme, timedelta(hours=1))
    mark = timezone.now()
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=mark, next_sync_at=mark)
    lose_the_database(monkeypatch)

    with pytest.raises(OperationalError):
        tasks.sync_org.apply(
            args=(acme.pk, SyncRun.Trigger.CONNECT), kwargs={"queued_at": mark.isoformat()}
        ).get()

    acme.refresh_from_db()
    assert (acme.lock_expires_at, acme.queued_at, acme.retry_at) == (None, None, None)
    assert sync_status(organization=acme.organization)["running"] is False
    wait_end = acme.greenhouse_wait_until
    assert due_connections_claim(now=wait_end - timedelta(seconds=1), limit=10) == []
    assert due_connections_claim(now=wait_end, limit=10) == [acme.pk]
    [line] = not_started_lines(caplog)
    never_took_the_lease = lose_the_database is lose_the_database_before_the_lease
    assert line.endswith(MARK_CLEARED if never_took_the_lease else freed_as_said(lose_the_database))


def put_off_lines(caplog, level: int = logging.INFO) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == level and record.getMessage().startswith("sync put off ")
    ]


def test_a_retry_that_could_not_read_greenhouses_wait_does_not_ask_greenhouse_within_it(
    acme, fake_greenhouse, monkeypatch, caplog, retry_delays
):
    """The retry of a sync that lost the database, its first read lost too, knew no wait and
    was retried 15-30 seconds later: it took the lease over and asked Greenhouse within the
    hour it had asked to be left alone, which only rate limits longer, every org's syncs."""
    greenhouse_asked_to_wait(monkeypatch, acme, timedelta(hours=1))
    assert jobs_sync.acquire_sync_lock(acme) is not None  # the lost sync's lease, still held
    lost_sync = {"lease_taken_at": acme.last_attempt_at.isoformat(), "lost_sync_trigger": "manual"}
    database_lost_in(monkeypatch, BaseDatabaseWrapper, "ensure_connection", on_calls={1})

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.RETRY), kwargs=lost_sync).get()

    assert fake_greenhouse.request_count() == 0 and not SyncRun.objects.exists()
    assert len(retry_delays) == 1 and 15 <= retry_delays[0] <= 30  # it knew no wait
    acme.refresh_from_db()
    wait_end = acme.greenhouse_wait_until
    assert outcome.startswith(f"put off: Greenhouse asked to wait until {wait_end.isoformat()}")
    assert (acme.lock_expires_at, acme.retry_at) == (None, None)
    assert sync_status(organization=acme.organization)["running"] is False
    assert due_connections_claim(now=wait_end - timedelta(seconds=1), limit=10) == []
    assert due_connections_claim(now=wait_end, limit=10) == [acme.pk]
    [line] = put_off_lines(caplog)
    assert line == (
        f"sync put off connection={acme.pk} until={wait_end.isoformat()} reason=Greenhouse asked "
        "the org's syncs to wait until then; its lease freed, the org made due at once (not "
        "before a wait Greenhouse asked for): the schedule syncs the org when due"
    )


def test_a_sync_put_off_as_the_database_is_still_lost_warns_of_the_lease_it_leaves(
    acme, fake_greenhouse, monkeypatch, caplog, retry_delays
):
    """The lease it could not free held the org "Running…" for minutes, and the line that
    said so was an INFO, which an alert on warnings does not see, as it sees the other tries
    lost to the database."""
    greenhouse_asked_to_wait(monkeypatch, acme, timedelta(hours=1))
    assert jobs_sync.acquire_sync_lock(acme) is not None  # the lost sync's lease, still held
    lost_sync = {"lease_taken_at": acme.last_attempt_at.isoformat(), "lost_sync_trigger": "manual"}
    database_lost_in(monkeypatch, BaseDatabaseWrapper, "ensure_connection", on_calls={1})
    database_lost_in(monkeypatch, tasks, "sync_lease_release", on_calls={1})

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.RETRY), kwargs=lost_sync).get()

    assert outcome.startswith("put off: ") and fake_greenhouse.request_count() == 0
    assert GreenhouseConnection.objects.get(pk=acme.pk).lock_expires_at is not None
    assert put_off_lines(caplog) == []
    [line] = put_off_lines(caplog, logging.WARNING)
    assert line.startswith(f"sync put off connection={acme.pk} until=")
    assert f"; the database still lost ({DATABASE_DOWN!r}): a lease the sync holds runs out" in line


def test_a_sync_put_off_that_took_no_lease_as_the_database_is_still_lost_warns_of_its_mark(
    acme, fake_greenhouse, monkeypatch, caplog, settings
):
    """Its line said that "a lease the sync holds runs out (SYNC_LOCK_SECONDS=600)", where it
    took none: its "Queued…" mark holds the org until it is stale."""
    mark = timezone.now()
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=mark, next_sync_at=mark)
    greenhouse_asked_to_wait(monkeypatch, acme, timedelta(minutes=30))
    database_lost_in(monkeypatch, tasks, "queued_marker_clear", on_calls={1})

    outcome = tasks.sync_org.apply(
        args=(acme.pk, SyncRun.Trigger.SCHEDULE), kwargs={"queued_at": mark.isoformat()}
    ).get()

    assert outcome.startswith("put off: ") and fake_greenhouse.request_count() == 0
    assert GreenhouseConnection.objects.get(pk=acme.pk).queued_at == mark
    [line] = put_off_lines(caplog, logging.WARNING)
    assert line.endswith(
        f"; the database still lost ({DATABASE_DOWN!r}): the sync took no lease, and the "
        'schedule syncs the org once its "Queued…" mark has passed '
        f"(SYNC_QUEUED_STALE_SECONDS={settings.SYNC_QUEUED_STALE_SECONDS})"
    )


def test_a_sync_put_off_as_the_database_refuses_the_login_says_what_to_fix(
    acme, fake_greenhouse, monkeypatch, caplog
):
    mark = timezone.now()
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=mark, next_sync_at=mark)
    greenhouse_asked_to_wait(monkeypatch, acme, timedelta(minutes=30))
    refused = OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  '
        'password authentication failed for user "orgsite"'
    )
    monkeypatch.setattr(tasks, "queued_marker_clear", mock.Mock(side_effect=refused))

    tasks.sync_org.apply(
        args=(acme.pk, SyncRun.Trigger.SCHEDULE), kwargs={"queued_at": mark.isoformat()}
    ).get()

    [line] = put_off_lines(caplog, logging.WARNING)
    assert (
        f"; the database still lost ({refused!r}; the database refused the connection: "
        "PostgreSQL refused DATABASE_URL's password for its user, or has no such user (it says "
        "the same of one): fix the password or the user name): the sync took no lease" in line
    )


def test_a_sync_queued_before_greenhouses_wait_began_does_not_ask_greenhouse_within_it(
    acme, fake_greenhouse, monkeypatch, caplog
):
    """Its "Queued…" mark is cleared, and the schedule syncs the org at the wait's end."""
    mark = timezone.now()
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=mark, next_sync_at=mark)
    greenhouse_asked_to_wait(monkeypatch, acme, timedelta(minutes=30))

    outcome = tasks.sync_org.apply(
        args=(acme.pk, SyncRun.Trigger.SCHEDULE), kwargs={"queued_at": mark.isoformat()}
    ).get()

    assert fake_greenhouse.request_count() == 0 and not SyncRun.objects.exists()
    assert outcome.startswith("put off: ")
    acme.refresh_from_db()
    assert acme.queued_at is None
    wait_end = acme.greenhouse_wait_until
    assert due_connections_claim(now=wait_end - timedelta(seconds=1), limit=10) == []
    assert due_connections_claim(now=wait_end, limit=10) == [acme.pk]
    [line] = put_off_lines(caplog)
    assert line.endswith('; its "Queued…" mark cleared: the schedule syncs the org when due')


def test_a_refresh_now_ahead_of_the_schedule_put_off_leaves_its_org_to_the_schedule(
    acme, fake_greenhouse, monkeypatch
):
    """Put off, as a lost Refresh now is: the schedule syncs the org at its next time, after
    the wait's end, not at it."""
    mark = timezone.now()
    next_sync = mark + timedelta(hours=1)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=mark, next_sync_at=next_sync)
    greenhouse_asked_to_wait(monkeypatch, acme, timedelta(minutes=30))

    outcome = tasks.sync_org.apply(
        args=(acme.pk, SyncRun.Trigger.MANUAL), kwargs={"queued_at": mark.isoformat()}
    ).get()

    assert outcome.startswith("put off: ") and fake_greenhouse.request_count() == 0
    acme.refresh_from_db()
    assert (acme.queued_at, acme.next_sync_at) == (None, next_sync)
    assert due_connections_claim(now=acme.greenhouse_wait_until, limit=10) == []


def test_a_board_connected_again_within_greenhouses_wait_is_synced_in_it(
    acme, fake_greenhouse, monkeypatch
):
    """The board was just checked, and Greenhouse answered (request_refresh): the wait is over
    for its sync."""
    mark = timezone.now()
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=mark)
    greenhouse_asked_to_wait(monkeypatch, acme, timedelta(minutes=30))

    outcome = tasks.sync_org.apply(
        args=(acme.pk, SyncRun.Trigger.CONNECT), kwargs={"queued_at": mark.isoformat()}
    ).get()

    assert outcome.startswith("success") and fake_greenhouse.request_count() == 1


@pytest.mark.parametrize("wait", [timedelta(minutes=10), timedelta(hours=1)], ids=["10m", "1h"])
def test_the_retry_of_a_board_just_connected_that_could_not_read_greenhouses_wait_is_put_off(
    acme, fake_greenhouse, monkeypatch, caplog, retry_delays, wait
):
    """Only a board's first try runs within the wait, not a retry, as a try that read the wait
    before it lost the database is retried at its end, or left to the schedule then
    (test_a_sync_that_lost_the_database_is_retried_once_greenhouses_wait_is_over): one that
    could not read it, retried 15-30 seconds later, ran as the board's first sync and asked
    Greenhouse within it."""
    greenhouse_asked_to_wait(monkeypatch, acme, wait)
    mark = timezone.now()
    wait_end = mark + wait
    # As connection_save and request_refresh leave a board connected again within the wait.
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=mark, next_sync_at=wait_end)
    database_lost_in(monkeypatch, BaseDatabaseWrapper, "ensure_connection", on_calls={1})

    outcome = tasks.sync_org.apply(
        args=(acme.pk, SyncRun.Trigger.CONNECT), kwargs={"queued_at": mark.isoformat()}
    ).get()

    assert len(retry_delays) == 1 and 15 <= retry_delays[0] <= 30  # it knew no wait
    # The task's result says what it left, as its line does.
    put_off = f"put off: Greenhouse asked to wait until {wait_end.isoformat()}"
    assert outcome == put_off + MARK_CLEARED
    assert fake_greenhouse.request_count() == 0 and not SyncRun.objects.exists()
    assert GreenhouseConnection.objects.get(pk=acme.pk).queued_at is None
    assert due_connections_claim(now=wait_end - timedelta(seconds=1), limit=10) == []
    assert due_connections_claim(now=wait_end, limit=10) == [acme.pk]
    [line] = put_off_lines(caplog)
    assert line.endswith(MARK_CLEARED)


def test_a_sync_that_keeps_losing_the_database_after_taking_the_lease_fails_after_its_retries(
    acme, fake_greenhouse, monkeypatch, caplog, retry_delays
):
    for owner, name in [
        (GreenhouseClient, "fetch_jobs_response"),
        (jobs_sync, "_record_failure"),
        (jobs_sync, "release_sync_lock"),
    ]:
        monkeypatch.setattr(owner, name, mock.Mock(side_effect=DATABASE_DOWN))

    result = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL))

    with pytest.raises(OperationalError):
        result.get()
    assert len(retry_delays) == tasks.MAX_SYNC_RETRIES
    lines = not_started_lines(caplog)
    assert all(line.startswith(f"sync lost the database connection={acme.pk} ") for line in lines)
    assert retries_said(lines) == EVERY_RETRY_THEN_NONE
    assert lines[-1].endswith(freed_as_said(lose_the_database_until_the_sync_has_failed))
    # Each retry took the lease over and marked the run before it interrupted; the last's is
    # left to the next sync.
    runs = SyncRun.objects.order_by("started_at", "pk").values_list("trigger", "outcome")
    assert list(runs) == [(SyncRun.Trigger.MANUAL, SyncRun.Outcome.INTERRUPTED)] + [
        (SyncRun.Trigger.RETRY, SyncRun.Outcome.INTERRUPTED)
    ] * 3 + [(SyncRun.Trigger.RETRY, SyncRun.Outcome.RUNNING)]
    # The database back as the last try gave up, that try freed its lease, as one whose retry
    # is not queued does: the org read "Running…" until the lease ran out.
    acme.refresh_from_db()
    assert acme.lock_expires_at is None
    assert sync_status(organization=acme.organization)["running"] is False
    assert enqueue_due_syncs() == [acme.pk]


def test_a_queued_sync_whose_every_try_loses_the_database_clears_its_mark_as_it_gives_up(
    acme, fake_greenhouse, monkeypatch, caplog
):
    """Lost as each try takes the lease, the database back as the last gives up: its
    "Queued…" mark held Refresh now and the dispatcher off until it went stale."""
    mark = timezone.now()
    GreenhouseConnection.objects.update(queued_at=mark, next_sync_at=mark)
    monkeypatch.setattr(jobs_sync, "acquire_sync_lock", mock.Mock(side_effect=DATABASE_DOWN))

    with pytest.raises(OperationalError):
        tasks.sync_org.apply(
            args=(acme.pk, SyncRun.Trigger.SCHEDULE), kwargs={"queued_at": mark.isoformat()}
        ).get()

    assert GreenhouseConnection.objects.get(pk=acme.pk).queued_at is None
    assert enqueue_due_syncs() == [acme.pk]
    last_line = not_started_lines(caplog)[-1]
    assert last_line.split("; ")[1] == "not retried after 4 retries"
    assert last_line.endswith(MARK_CLEARED)


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="a session PostgreSQL ends")
@pytest.mark.django_db(transaction=True)  # a connection Django may replace, as in a worker
def test_a_task_that_loses_the_database_before_the_lease_retries_on_a_new_connection(
    acme, fake_greenhouse, retry_delays
):
    """Run inline, the retry follows at once in the same process: on the broken connection, it
    and every retry after it failed too."""
    end_the_session()

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome.startswith("success") and len(retry_delays) == 1


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="a session PostgreSQL ends")
@pytest.mark.django_db(transaction=True)  # a connection Django may replace, as in a worker
def test_a_sync_its_worker_stops_as_its_session_ends_is_ended_on_a_new_connection(
    acme, fake_greenhouse, monkeypatch, retry_delays
):
    """PostgreSQL restarted as the worker stopped the sync: the sync's freeing of its lease
    fails on the ended session. The task, not retrying, ends the stopped sync on a new
    connection, the database back: its run interrupted, its lease freed, the org due at once."""
    GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))

    def session_ended_then_stopped(*args, **kwargs):
        end_the_session()
        raise SystemExit(1)  # as billiard stops a pool process sent SIGTERM

    monkeypatch.setattr(jobs_sync, "_fetch_and_apply", session_ended_then_stopped)

    with pytest.raises(SystemExit):
        tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert retry_delays == []
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.INTERRUPTED
    stopped = GreenhouseConnection.objects.get(pk=acme.pk)
    assert stopped.lock_expires_at is None and stopped.next_sync_at <= timezone.now()


# --- Tables the code does not match (migrations not applied) ---------------------------------


def drop_column(table: str, column: str) -> None:
    """As a deploy whose migrations have not run leaves the database (undone with the test's
    transaction)."""
    with db_connection.cursor() as cursor:
        if db_connection.vendor == "postgresql":  # checks the rows the fixtures added first
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def test_a_task_whose_connection_has_a_column_missing_fails_at_once_saying_why(
    acme, fake_greenhouse, caplog, retry_delays
):
    """SQLite raises OperationalError, as for a lost database: the task retried 4 times and
    logged each as an outage that would pass. PostgreSQL raises ProgrammingError."""
    drop_column("jobs_greenhouseconnection", "failure_emailed_at")

    result = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL))

    with pytest.raises(DatabaseError, match="failure_emailed_at"):
        result.get()
    assert retry_delays == [] and fake_greenhouse.request_count() == 0
    if db_connection.vendor == "sqlite":
        [line] = [r.getMessage() for r in caplog.records if r.name == "jobs.tasks"]
        assert line.startswith(f"sync failed connection={acme.pk} error=OperationalError(")
        assert line.endswith("migrations not applied?); not retried")


def test_a_dispatcher_tick_with_a_column_missing_fails_as_a_deploy_error_not_an_outage():
    """SQLite raises OperationalError for it, as for a lost database: a tick that skipped it
    with "the database could not be reached" would hide that `migrate` has not run."""
    drop_column("jobs_schedulerheartbeat", "last_tick_at")

    with pytest.raises(DatabaseError, match="last_tick_at"):
        tasks.dispatch_due_syncs.apply().get()


def test_a_sync_that_finds_a_jobs_column_missing_fails_as_a_bug_not_an_outage(
    acme, fake_greenhouse, retry_delays
):
    drop_column("jobs_job", "requisition_id")

    outcome = tasks.sync_org.apply(args=(acme.pk, SyncRun.Trigger.MANUAL)).get()

    assert outcome == f"failed: {UNEXPECTED_MESSAGE}" and retry_delays == []
    run = SyncRun.objects.get()
    assert (run.outcome, run.error_message) == (SyncRun.Outcome.FAILED, UNEXPECTED_MESSAGE)


def test_the_task_that_frees_a_lease_later_with_a_column_missing_fails_saying_so(
    acme, caplog, lease_release_retry_delays
):
    """Its ERROR named a sync that failed, where no sync ran: only the freeing of a lease."""
    acme.last_attempt_at = timezone.now()
    acme.lock_expires_at = acme.last_attempt_at + timedelta(minutes=10)
    acme.save(update_fields=["last_attempt_at", "lock_expires_at"])
    drop_column("jobs_greenhouseconnection", "lock_expires_at")

    result = tasks.release_sync_lease.apply(args=(acme.pk, acme.last_attempt_at.isoformat()))

    with pytest.raises(DatabaseError, match="lock_expires_at"):
        result.get()
    assert lease_release_retry_delays == []
    if db_connection.vendor == "sqlite":
        [line] = [r.getMessage() for r in caplog.records if r.name == "jobs.tasks"]
        assert line.startswith(f"sync lease not freed connection={acme.pk} error=OperationalError(")
        assert line.endswith("migrations not applied?); not retried")
