"""Shared fixtures: a running fake Greenhouse, personas and connected organizations."""

from __future__ import annotations

import logging
import os
import time
import types
from collections.abc import Iterator

import pytest
import urllib3
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.test import Client, override_settings

from jobs import tasks
from jobs.models import GreenhouseConnection, Membership, Organization, SyncRun
from jobs.sync import sync_organization
from orgsite.celery import app as celery_app
from tests.support.browser import chromium, page, page_kept_on_back  # noqa: F401 (shared fixtures)
from tests.support.fake_greenhouse import FakeGreenhouse
from tests.support.helpers import make_connection, recorded_retry_delays

# Fixtures shared by the visitor-page tests (synced_acme). Declared here, once: a test module
# that imported the module before pytest loaded it as a plugin left its asserts unrewritten.
pytest_plugins = ["tests.support.public_jobs"]


@pytest.fixture(scope="session", autouse=True)
def in_memory_broker() -> None:
    """Tasks queued by tests go nowhere, so a developer's local worker never picks them up."""
    celery_app.conf.update(
        broker_url="memory://", broker_transport=None, broker_transport_options={}
    )


@pytest.fixture(scope="session", autouse=True)
def static_files_of_the_checkout(tmp_path_factory) -> Iterator[None]:
    """Pages link, and the live server serves, the checkout's static files as they are now. A
    var/static that collectstatic filled before an edit had pages link the names it hashed then,
    and the browser tests failed on a stylesheet or script the checkout no longer has."""
    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("static-root")):
        yield


@pytest.fixture(scope="session", autouse=True)
def flush_by_delete() -> Iterator[None]:
    """After each transactional test Django empties every table with one TRUNCATE, then fills
    the content types and permissions again (post_migrate). On PostgreSQL a TRUNCATE makes new
    files for each table, and the refill takes dozens of queries: near a second a test on a
    loaded machine. Deleting the rows a test made takes milliseconds; the content types and
    permissions, which no test changes, are kept, so post_migrate finds them all there.
    Foreign keys are checked at the flush's commit, and sequences go on as after a TRUNCATE.
    As a TRUNCATE, the flush first waits for the writes under way (a worker killed at its
    commit, a live server's request) and lets none start: a DELETE passes over a row not yet
    committed, and that row stayed for the tests after."""
    truncate = PostgresOperations.sql_flush
    remade_by_post_migrate = {"django_content_type", "auth_permission"}

    def sql_flush(ops, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(
                ops, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        emptied = [ops.quote_name(table) for table in tables if table not in remade_by_post_migrate]
        if not emptied:
            return []
        return [
            f"LOCK TABLE {', '.join(emptied)} IN EXCLUSIVE MODE;",
            *(f"DELETE FROM {table};" for table in emptied),  # noqa: S608
        ]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PostgresOperations, "sql_flush", sql_flush)
        yield


@pytest.fixture(autouse=True)
def no_log_handler_left_on_a_closed_stream() -> Iterator[None]:
    """A test fails that leaves a logging handler writing to a stream closed after it: one that
    applied LOGGING again (Django's setup) while capsys's standard error stood for the real one
    gave the root logger a console handler on it, and every later test of its process logged
    to a closed file, logging's "--- Logging error ---" unseen, or failed (test_log_masking's)."""
    before = _handlers_on_closed_streams()
    yield
    left = _handlers_on_closed_streams() - before
    assert not left, f"handlers left writing to a closed stream: {sorted(left)}"


def _handlers_on_closed_streams() -> set[str]:
    """Each handler whose stream is closed, as its logger's name and the handler."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    return {
        f"{logger.name}: {handler!r} (handler {id(handler):#x})"
        for logger in loggers
        for handler in getattr(logger, "handlers", ())  # a PlaceHolder has none
        if getattr(getattr(handler, "stream", None), "closed", False)
    }


@pytest.fixture(autouse=True)
def empty_cache(settings) -> None:
    """Every test starts with an empty in-memory cache: no cached page leaks between tests, and
    a developer's var/file-cache is never touched."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
    }
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """PBKDF2 is slow by design; the tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def fake_greenhouse_server() -> Iterator[FakeGreenhouse]:
    with FakeGreenhouse() as server:
        yield server


@pytest.fixture
def fake_greenhouse(fake_greenhouse_server: FakeGreenhouse, settings) -> Iterator[FakeGreenhouse]:
    """The fake Greenhouse with the project's fixture boards, and settings pointing at it."""
    fake_greenhouse_server.reset()
    for fixture in ("acme-robotics", "liberte-sante", "tiny-co", "empty-board", "hostile"):
        fake_greenhouse_server.load_fixture(fixture, fixture)
    settings.GREENHOUSE_API_BASE = fake_greenhouse_server.base_url
    # Backoff 0, 2 and 4 ms, jitter up to 0.5 ms: a failing sync's retries still wait, in order.
    settings.GREENHOUSE_RETRY_BACKOFF = 0.001
    settings.GREENHOUSE_MAX_RETRY_AFTER = 0.05
    settings.GREENHOUSE_READ_TIMEOUT = 2.0
    settings.GREENHOUSE_TOTAL_TIMEOUT = 4.0
    yield fake_greenhouse_server
    fake_greenhouse_server.reset()


@pytest.fixture
def tidewater(db, fake_greenhouse: FakeGreenhouse) -> None:
    """Tidewater Freight's board, synced, its departments and offices nested; and Harbor Line,
    an org that connected the same board, so its units have the very same Greenhouse ids."""
    fake_greenhouse.load_fixture("tidewater-freight", "tidewater-freight")
    for slug, name in (("tidewater", "Tidewater Freight"), ("harbor", "Harbor Line")):
        connection = make_connection(slug, "tidewater-freight", name=name)
        assert sync_organization(connection, trigger=SyncRun.Trigger.COMMAND).ok


@pytest.fixture
def acme(db, fake_greenhouse: FakeGreenhouse) -> GreenhouseConnection:
    """Acme Robotics, connected to its board on the fake Greenhouse, not yet synced."""
    return make_connection("acme", "acme-robotics", name="Acme Robotics")


@pytest.fixture
def owner(db, acme: GreenhouseConnection) -> User:
    user = User.objects.create_user("alice", "alice@acme.example", "correct horse battery")
    Membership.objects.create(organization=acme.organization, user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def signed_in(client: Client, owner: User) -> Client:
    """The test client, signed in as acme's admin."""
    client.force_login(owner)
    return client


@pytest.fixture
def member(db, acme: GreenhouseConnection) -> User:
    user = User.objects.create_user("bob", "bob@acme.example", "correct horse battery")
    Membership.objects.create(
        organization=acme.organization, user=user, role=Membership.Role.MEMBER
    )
    return user


@pytest.fixture
def outsider(db) -> User:
    """An admin of another organization."""
    other = Organization.objects.create(name="Other Org", slug="other")
    user = User.objects.create_user("mallory", "mallory@other.example", "correct horse battery")
    Membership.objects.create(organization=other, user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def backoff_sleeps(monkeypatch) -> list[float]:
    """The sleeps urllib3's Retry takes between attempts, recorded instead of slept."""
    sleeps: list[float] = []
    monkeypatch.setattr(
        urllib3.util.retry, "time", types.SimpleNamespace(time=time.time, sleep=sleeps.append)
    )
    return sleeps


@pytest.fixture
def retry_delays(monkeypatch) -> list[float]:
    """The waits a sync's task asks for its retries; they run at once (the task runs inline)."""
    return recorded_retry_delays(monkeypatch, tasks.sync_org)


@pytest.fixture
def no_proxy_settings(monkeypatch):
    """An environment without proxy settings, whatever the tests run in."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
