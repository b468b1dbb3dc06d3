"""/healthz (database, broker, beat's dispatcher) and the structured logs."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import kombu.utils.functional
import pytest
import redis
from celery.signals import worker_ready
from django.core.servers.basehttp import WSGIRequestHandler
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone
from django.utils.log import log_response

from jobs.health import (
    broker_memory_warning,
    check_broker,
    check_scheduler,
    newest_migrations,
    redis_fullness_warning,
)
from jobs.models import SchedulerHeartbeat, SyncRun
from jobs.scheduling import BrokerUnavailable, scheduler_tick_record
from jobs.sync import sync_organization
from jobs.tasks import dispatch_due_syncs
from orgsite.celery import app as celery_app
from orgsite.logging import JsonFormatter
from tests.support.blackhole import blackholed_port
from tests.support.fake_postgres import DATABASE_PASSWORD, default_database_at, fake_postgres
from tests.support.helpers import TEST_REDIS_URL, make_connection, require_service

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.support.broker"]  # broker_down

DOWN_BROKER_URL = "redis://:s3cret-broker-password@127.0.0.1:1/0"


@pytest.fixture
def use_broker(monkeypatch) -> Iterator[Callable[..., None]]:
    """Point the Celery app at another broker for one test; the in-memory one comes back after."""
    saved = celery_app.conf.broker_url, dict(celery_app.conf.broker_transport_options)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # it would win over the conf

    def use(url: str, **transport_options: str) -> None:
        celery_app.conf.update(broker_url=url, broker_transport_options=transport_options)

    yield use
    celery_app.conf.update(broker_url=saved[0], broker_transport_options=saved[1])


def get_health(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.status_code, response.json()


def test_it_answers_200_when_database_broker_and_beat_are_healthy(client):
    now = timezone.now()
    scheduler_tick_record(now=now - timedelta(seconds=42))

    # The view reads the clock after the other checks; on a busy machine over half a second
    # can pass before it does, and the age then rounds to 43.
    with mock.patch("jobs.health.timezone.now", return_value=now):
        status, body = get_health(client)

    assert status == 200
    assert body == {
        "status": "ok",
        "checks": {
            "database": {"ok": True, "detail": "ok"},
            "broker": {"ok": True, "detail": "ok"},
            "cache": {"ok": True, "detail": "ok"},
            "scheduler": {"ok": True, "detail": "ok", "last_tick_age_seconds": 42},
        },
    }


@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])  # /healthz/ was sent to https
def test_it_needs_no_sign_in_and_is_never_redirected_to_https(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    scheduler_tick_record()

    response = client.get(path)  # plain http, anonymous, as a load balancer asks

    assert response.status_code == 200


def test_search_engines_are_told_not_to_list_it(client):
    """Anyone may read it, and a link to it would have made it a result beside the site's
    pages."""
    assert client.get("/healthz")["X-Robots-Tag"] == "noindex"


def test_it_fails_when_beat_has_never_ticked(client):
    status, body = get_health(client)

    assert status == 503
    assert body["status"] == "fail"
    assert body["checks"]["scheduler"] == {
        "ok": False,
        "detail": "the dispatcher has never run (is beat running, and a worker?)",
        "last_tick_age_seconds": None,
    }
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]


def test_a_failing_probe_is_logged_once_by_its_checks_not_again_by_django(client, caplog):
    """A load balancer probes every few seconds: through an outage, one ERROR line per probe
    from Django on top of the failed check's own warning is noise."""
    assert get_health(client)[0] == 503
    client.get("/no-such-page/")

    request_lines = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert request_lines == ["Not Found: /no-such-page/"]  # other pages are logged as ever
    probe_lines = [r for r in caplog.records if r.getMessage().startswith("health probe failed")]
    assert [(r.levelname, r.getMessage()) for r in probe_lines] == [
        (
            "WARNING",
            "health probe failed: scheduler: the dispatcher has never run (is beat running, "
            "and a worker?)",
        )
    ]


def runserver_logs(request_line: str, status: int) -> None:
    """runserver's own access line for a request it answered."""
    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)  # no socket: only its log is used
    handler.request, handler.requestline = None, request_line
    handler.log_request(status, 285)


def test_only_a_failing_probe_is_left_out_of_djangos_error_lines(caplog):
    """`make run` answers /healthz 503 until beat's first tick: runserver logged each such probe
    as an ERROR line on top of the health check's own warning. Other 5xx are errors as ever."""
    runserver_logs("GET /healthz HTTP/1.1", 503)
    runserver_logs("HEAD /healthz?from=monitor HTTP/1.1", 503)
    runserver_logs("GET /healthz/ HTTP/1.1", 503)
    runserver_logs("GET /healthz HTTP/1.1", 200)
    runserver_logs("GET /orgs/acme/ HTTP/1.1", 503)
    runserver_logs("GET /healthz HTTP/1.1", 500)  # the health view itself crashed
    for path, status in [
        ("/healthz", 503),
        ("/healthz/", 503),
        ("/orgs/acme/", 503),
        ("/healthz", 500),
    ]:
        request, response = RequestFactory().get(path), HttpResponse(status=status)
        log_response("%s: %s", "Error", path, response=response, request=request)

    assert [
        (r.name, r.levelname, r.getMessage())
        for r in caplog.records
        if r.name in ("django.server", "django.request")
    ] == [
        ("django.server", "INFO", '"GET /healthz HTTP/1.1" 200 285'),
        ("django.server", "ERROR", '"GET /orgs/acme/ HTTP/1.1" 503 285'),
        ("django.server", "ERROR", '"GET /healthz HTTP/1.1" 500 285'),
        ("django.request", "ERROR", "Error: /orgs/acme/"),
        ("django.request", "ERROR", "Error: /healthz"),
    ]


def test_it_fails_when_the_last_tick_is_older_than_five_minutes(client):
    scheduler_tick_record(now=timezone.now() - timedelta(minutes=5, seconds=30))

    status, body = get_health(client)

    assert status == 503
    assert body["checks"]["scheduler"]["ok"] is False
    assert body["checks"]["scheduler"]["last_tick_age_seconds"] >= 330
    assert body["checks"]["scheduler"]["detail"] == (
        "the dispatcher has not run for over 300 seconds (is beat running, and a worker?)"
    )


def test_the_stale_threshold_is_a_setting(client, settings):
    settings.HEALTH_SCHEDULER_MAX_AGE_SECONDS = 30
    scheduler_tick_record(now=timezone.now() - timedelta(seconds=60))

    status, _ = get_health(client)

    assert status == 503


def test_it_fails_fast_when_the_broker_is_down_and_shows_no_broker_url(
    client, use_broker, monkeypatch
):
    scheduler_tick_record()
    use_broker(DOWN_BROKER_URL)
    waits = []  # Kombu's between its connection tries: noted, not slept
    monkeypatch.setattr(kombu.utils.functional, "sleep", waits.append)

    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": False, "detail": "unreachable"}
    assert response.json()["checks"]["scheduler"]["ok"] is True
    # A refused connect is told at once: the check tries again without a wait (Kombu's own
    # waits 2 s, then more each try), and no more than once. The real time, apart, bounds a
    # hang (Kombu tries forever by default), not the seconds a loaded machine takes.
    assert waits == []
    assert elapsed < 30
    assert b"s3cret" not in response.content and b"redis" not in response.content


def test_the_filesystem_broker_is_healthy_when_its_queue_folder_is_writable(use_broker, tmp_path):
    use_broker("filesystem://", data_folder_in=str(tmp_path), data_folder_out=str(tmp_path))

    assert check_broker().ok


def test_the_filesystem_broker_fails_when_its_queue_folder_is_missing(use_broker, tmp_path):
    missing = str(tmp_path / "gone")
    use_broker("filesystem://", data_folder_in=missing, data_folder_out=missing)

    result = check_broker()

    assert (result.ok, result.detail) == (False, "queue folder not writable")


def test_it_fails_without_a_traceback_when_the_database_is_down(client):
    scheduler_tick_record()
    error = OperationalError('connection to server failed: password "hunter2" rejected')

    with mock.patch.object(connection, "cursor", side_effect=error):
        response = client.get("/healthz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": False, "detail": "unreachable"}
    assert checks["scheduler"]["ok"] is False
    assert checks["broker"]["ok"] is True
    assert b"Traceback" not in response.content and b"hunter2" not in response.content


def test_a_database_that_refuses_the_password_fails_saying_so_not_unreachable(client, caplog):
    """The server answered: waiting for it to come back, as "unreachable" had one do, mends
    nothing. The log says what to fix; neither shows the password."""
    with (
        fake_postgres(
            refusal=("28P01", 'password authentication failed for user "orgsite"')
        ) as server,
        default_database_at(server.port),
    ):
        response = client.get("/healthz")

    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database == {"ok": False, "detail": "refused the password (check DATABASE_URL)"}
    [check_line] = [r.getMessage() for r in caplog.records if "database error=" in r.getMessage()]
    assert check_line.endswith(
        ": PostgreSQL refused DATABASE_URL's password for its user, or has no such user (it "
        "says the same of one): fix the password or the user name"
    )
    assert DATABASE_PASSWORD not in caplog.text + response.content.decode()


@pytest.mark.parametrize(
    ("refusal", "detail"),
    [
        (
            ("28000", 'pg_hba.conf rejects connection for host "127.0.0.1", user "orgsite"'),
            "refused this host (check pg_hba.conf)",
        ),
        (
            ("28000", 'role "orgsite" is not permitted to log in'),
            "user may not log in (check its role)",
        ),
        (
            ("42501", 'permission denied for database "orgsite"'),
            "user may not connect (check the database's CONNECT grant)",
        ),
        (
            ("53300", "sorry, too many clients already"),
            "no connection left (check max_connections)",
        ),
        (
            ("53300", 'too many connections for role "orgsite"'),
            "no connection left (check the CONNECTION LIMIT)",
        ),
    ],
)
def test_a_database_that_refuses_the_user_fails_saying_what_not_unreachable(
    client, refusal, detail
):
    """A reject line of pg_hba.conf, a NOLOGIN role, a database the user lacks CONNECT on, no
    connection left: the server answered, and waiting mends none of them but the last."""
    with fake_postgres(refusal=refusal) as server, default_database_at(server.port):
        response = client.get("/healthz")

    assert response.json()["checks"]["database"] == {"ok": False, "detail": detail}


def test_it_fails_when_the_cache_is_unreachable(client, settings, caplog):
    scheduler_tick_record()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }

    status, body = get_health(client)

    assert status == 503
    assert body["checks"]["cache"] == {"ok": False, "detail": "unreachable"}
    assert body["checks"]["database"]["ok"] and body["checks"]["scheduler"]["ok"]
    # Probed every few seconds through an outage: one line each, not a traceback.
    [failure] = [r for r in caplog.records if r.getMessage().startswith("health check failed")]
    assert failure.exc_info is None and "cache error=" in failure.getMessage()
    # The check's reason first, then the probe's line of what failed (README, What to monitor).
    health_lines = [r.getMessage() for r in caplog.records if r.name == "jobs.health"]
    assert health_lines == [failure.getMessage(), "health probe failed: cache: unreachable"]


def test_the_scheduler_check_reports_unknown_when_the_database_fails_midway():
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("gone")):
        result = check_scheduler(now=timezone.now())

    assert (result.ok, result.detail) == (False, "unknown, database not usable")


def test_it_fails_when_the_database_lacks_this_releases_migrations(client, caplog):
    """New web processes started before the deploy's `migrate`: the database answers, but pages
    that read a new column fail."""
    scheduler_tick_record()
    [newest] = [node for node in newest_migrations() if node[0] == "jobs"]
    MigrationRecorder(connection).record_unapplied(*newest)  # the test's transaction restores it

    status, body = get_health(client)

    assert status == 503
    assert body["checks"]["database"] == {
        "ok": False,
        "detail": "migrations not applied (run manage.py migrate)",
    }
    assert body["checks"]["scheduler"]["detail"] == "unknown, database not usable"
    [failure] = [r for r in caplog.records if "lacks migrations" in r.getMessage()]
    assert failure.getMessage().endswith(f"jobs.{newest[1]}")


@pytest.fixture
def redis_policy(monkeypatch) -> Callable[[str], None]:
    """A function that has the test Redis read, by this process's clients, as of that
    maxmemory-policy: each CONFIG GET is still sent, and its reply given with that policy.
    CONFIG SET changed it for the whole server, under the other test processes (xdist's, on
    other databases) that read it meanwhile: one's check of noeviction warned of another's
    allkeys-lru, and two setting and restoring it at once left it at allkeys-lru for good."""
    require_service("127.0.0.1", 6379, "Redis")
    config_get = redis.Redis.config_get

    def set_policy(policy: str) -> None:
        def config_get_under_policy(client, pattern="*", *args, **kwargs):
            reply = config_get(client, pattern, *args, **kwargs)
            return {**reply, "maxmemory-policy": policy} if "maxmemory-policy" in reply else reply

        monkeypatch.setattr(redis.Redis, "config_get", config_get_under_policy)

    return set_policy


@pytest.fixture
def redis_broker(use_broker, redis_policy) -> Callable[[str], None]:
    """Point the app at the test Redis; the function returned sets the maxmemory-policy it is
    read as of (redis_policy)."""
    use_broker(TEST_REDIS_URL)
    return redis_policy


@pytest.fixture
def redis_cache(settings, redis_policy) -> Callable[[str], None]:
    """The cache in the test Redis, as CACHE_URL makes it; the function returned sets the
    maxmemory-policy it is read as of (redis_policy)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_REDIS_URL,
        }
    }
    return redis_policy


EVICTING_BROKER = (
    "the broker's Redis has maxmemory-policy allkeys-lru: when full it drops queued syncs "
    "without an error; set it to noeviction"
)
EVICTING_CACHE = (
    "the cache's Redis has maxmemory-policy allkeys-lru: when full it drops the counts of failed "
    "sign-ins and of invitation emails without an error; set it to noeviction"
)

HEALTHY = {"ok": True, "detail": "ok"}


@pytest.mark.parametrize(
    ("redis_fixture", "check", "policy", "expected"),
    [
        ("redis_broker", "broker", "noeviction", HEALTHY),
        # A load balancer would take every web process out for a setting that lost nothing yet.
        ("redis_broker", "broker", "allkeys-lru", {**HEALTHY, "warning": EVICTING_BROKER}),
        ("redis_cache", "cache", "noeviction", HEALTHY),
        # Filling the cache with page requests would reset the counts of failed sign-ins.
        ("redis_cache", "cache", "allkeys-lru", {**HEALTHY, "warning": EVICTING_CACHE}),
    ],
)  # fmt: skip
def test_a_redis_that_may_evict_is_warned_of_and_stays_up(
    client, request, redis_fixture, check, policy, expected
):
    request.getfixturevalue(redis_fixture)(policy)
    scheduler_tick_record()

    status, body = get_health(client)

    assert status == 200, body
    assert body["checks"][check] == expected


def redis_memory(*, used_percent: int, policy: str = "noeviction") -> dict[str, object]:
    """INFO memory's fields that matter, for a Redis with a maxmemory of 100 MB."""
    maxmemory = 100 * 2**20
    return {
        "used_memory": maxmemory * used_percent // 100 + 2**20,
        "mem_not_counted_for_evict": 2**20,  # replication and AOF buffers: not weighed
        "maxmemory": maxmemory,
        "maxmemory_policy": policy,
    }


NEARLY_FULL_BROKER = (
    "the broker's Redis has used 95% of its maxmemory: when full it refuses every write, so no "
    "sync can be queued; raise maxmemory well above what it holds, or remove it"
)
NEARLY_FULL_CACHE = (
    "the cache's Redis has used 95% of its maxmemory: when full it refuses every write, so "
    "failed sign-ins go uncounted and unthrottled; raise maxmemory well above what it holds, or "
    "remove it"
)


@pytest.mark.parametrize(
    ("redis_fixture", "check", "expected"),
    [
        ("redis_broker", "broker", {**HEALTHY, "warning": NEARLY_FULL_BROKER}),
        ("redis_cache", "cache", {**HEALTHY, "warning": NEARLY_FULL_CACHE}),
    ],
)
def test_a_nearly_full_redis_that_keeps_noeviction_is_warned_of_and_stays_up(
    client, request, redis_fixture, check, expected
):
    request.getfixturevalue(redis_fixture)("noeviction")
    scheduler_tick_record()

    with mock.patch.object(redis.Redis, "info", return_value=redis_memory(used_percent=95)):
        status, body = get_health(client)

    assert status == 200, body
    assert body["checks"][check] == expected


@pytest.mark.parametrize(
    "memory",
    [
        redis_memory(used_percent=89),
        {**redis_memory(used_percent=100), "maxmemory": 0},  # no limit: never full
        redis_memory(used_percent=100, policy="allkeys-lru"),  # evicts: its own warning
        redis.ResponseError("unknown command 'INFO'"),  # a managed Redis may refuse it
    ],
)
def test_a_redis_with_room_or_no_limit_or_no_info_is_not_warned_of_as_full(memory):
    server = mock.Mock(**{"info.side_effect": [memory]})  # returned, or raised

    assert redis_fullness_warning(server, name="the cache's", refuses="…") is None


def test_a_full_cache_fails_as_full_not_unreachable(client, redis_cache, caplog):
    """With noeviction, a full Redis answers reads and refuses writes: the throttles' counts
    too, so sign-ins go unthrottled."""
    redis_cache("noeviction")
    scheduler_tick_record()
    refusal = redis.OutOfMemoryError("command not allowed when used memory > 'maxmemory'.")

    with mock.patch.object(redis.Redis, "set", side_effect=refusal):
        status, body = get_health(client)

    assert status == 503
    assert body["checks"]["cache"] == {"ok": False, "detail": "full (maxmemory reached)"}
    [failure] = [r for r in caplog.records if r.getMessage().startswith("health check failed")]
    assert "OutOfMemoryError" in failure.getMessage()


def test_a_starting_worker_logs_a_warning_of_a_broker_redis_that_may_evict(redis_broker, caplog):
    redis_broker("allkeys-lru")

    worker_ready.send(sender=mock.Mock(app=celery_app))  # as the worker's consumer does

    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("WARNING", EVICTING_BROKER)]


def test_a_starting_worker_says_nothing_of_a_redis_that_keeps_noeviction(redis_broker, caplog):
    redis_broker("noeviction")
    worker_ready.send(sender=mock.Mock(app=celery_app))
    assert caplog.records == []


@pytest.mark.parametrize(
    "refusal",
    [
        redis.ResponseError("unknown command 'CONFIG', with args beginning with: 'GET'"),
        redis.exceptions.NoPermissionError("this user has no permissions to run 'config'"),
    ],
)
def test_a_redis_that_keeps_its_configuration_to_itself_is_not_warned_of(refusal, caplog):
    """Managed Redis services often disable CONFIG: no policy to judge, nothing to say."""
    server = mock.Mock(**{"config_get.side_effect": refusal, "info.return_value": {}})
    broker = SimpleNamespace(
        transport=SimpleNamespace(driver_type="redis"),
        default_channel=SimpleNamespace(client=server),
    )
    caplog.set_level(logging.DEBUG, logger="jobs.health")

    assert broker_memory_warning(broker) is None
    server.config_get.assert_called_once_with("maxmemory-policy")
    assert [r.levelname for r in caplog.records] == ["DEBUG"]


def test_the_dispatcher_records_a_tick_even_when_nothing_is_due():
    before = timezone.now()

    assert dispatch_due_syncs() == 0

    assert SchedulerHeartbeat.objects.get().last_tick_at >= before


def test_the_dispatcher_records_its_tick_before_the_broker_can_fail(broker_down):
    make_connection("due", "due")

    with pytest.raises(BrokerUnavailable):
        dispatch_due_syncs()

    assert SchedulerHeartbeat.objects.count() == 1


def test_ticks_update_the_one_heartbeat_row():
    scheduler_tick_record(now=timezone.now() - timedelta(hours=1))
    latest = scheduler_tick_record()

    assert SchedulerHeartbeat.objects.get().last_tick_at == latest


def test_the_json_formatter_writes_one_json_object_with_the_extra_fields():
    logger = logging.getLogger("jobs.sync")
    record = logger.makeRecord(
        "jobs.sync",
        logging.INFO,
        __file__,
        1,
        "sync finished org=%s\nsecond line",
        ("acme",),
        None,
        extra={"org": "acme", "counts": {"created": 3}, "when": timezone.now()},
    )

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "jobs.sync"
    assert entry["message"] == "sync finished org=acme\nsecond line"
    assert entry["time"].endswith("+00:00")
    assert entry["org"] == "acme" and entry["counts"] == {"created": 3}
    assert isinstance(entry["when"], str)
    assert "args" not in entry and "levelno" not in entry


def test_the_json_formatter_includes_the_exception():
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("jobs", logging.ERROR, __file__, 1, "failed", (), exc_info)

    entry = json.loads(JsonFormatter().format(record))

    assert "ValueError: boom" in entry["exception"]


def test_a_sync_logs_one_line_with_org_outcome_counts_and_duration(acme, caplog):
    caplog.set_level(logging.INFO, logger="jobs.sync")

    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    [record] = [r for r in caplog.records if r.getMessage().startswith("sync finished")]
    assert record.getMessage().startswith("sync finished org=acme trigger=command outcome=success")
    assert (record.org, record.trigger, record.outcome) == ("acme", "command", "success")
    assert record.counts == {
        "created": 6,
        "updated": 0,
        "unchanged": 0,
        "closed": 0,
        "reopened": 0,
        "skipped": 0,
    }
    assert isinstance(record.duration_ms, int) and record.error == ""
    assert json.loads(JsonFormatter().format(record))["counts"]["created"] == 6
    assert record.levelno == logging.INFO


def test_a_failed_sync_logs_its_line_as_a_warning(acme, fake_greenhouse, caplog):
    """Alerts on warnings see each failed sync, not only those the client warned of."""
    caplog.set_level(logging.INFO, logger="jobs.sync")
    fake_greenhouse.fail_next("acme-robotics", "status", times=10, status=502)

    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    [record] = [r for r in caplog.records if r.getMessage().startswith("sync finished")]
    assert (record.outcome, record.levelno) == ("failed", logging.WARNING)


def test_it_fails_fast_when_the_brokers_host_drops_every_packet(client, use_broker, monkeypatch):
    # The check's own timeouts, 1.5 s, cut to 0.3 s here: waiting either out proves they apply.
    monkeypatch.setitem(check_broker.__kwdefaults__, "timeout", 0.3)
    scheduler_tick_record()
    with blackholed_port() as port:
        use_broker(f"redis://127.0.0.1:{port}/0")  # no connect timeout of its own
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": False, "detail": "unreachable"}
    # Within the check's timeouts, with room for a loaded machine (which took seconds for
    # the request around them): without them it hung for minutes.
    assert 0.3 <= elapsed < 30


def test_each_broker_check_closes_the_connection_it_opened(use_broker):
    """Probed every few seconds: a connection left open by each would exhaust Redis' clients."""
    use_broker(TEST_REDIS_URL)
    server = redis.Redis.from_url(TEST_REDIS_URL)
    db = str(server.connection_pool.connection_kwargs["db"])

    def clients() -> int:  # of this test's database: other processes may share the server
        return sum(1 for client in server.client_list() if client["db"] == db)

    before = clients()
    for _ in range(5):
        assert check_broker().ok

    assert clients() <= before
    server.close()


def test_the_filesystem_broker_fails_when_the_folder_it_sends_to_is_missing(use_broker, tmp_path):
    """Web processes write queued syncs to data_folder_out; the workers read data_folder_in."""
    use_broker("filesystem://", data_folder_in=str(tmp_path), data_folder_out=str(tmp_path / "x"))

    result = check_broker()

    assert (result.ok, result.detail) == (False, "queue folder not writable")


def test_a_cache_that_keeps_nothing_fails(client, settings):
    """A cache that accepts writes but never reads them back (a dummy one) throttles nothing."""
    scheduler_tick_record()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

    status, body = get_health(client)

    assert status == 503
    assert body["checks"]["cache"] == {"ok": False, "detail": "unreachable"}


def test_a_redis_at_exactly_the_warning_share_of_its_maxmemory_is_warned_of():
    server = mock.Mock(**{"info.return_value": redis_memory(used_percent=90)})

    warning = redis_fullness_warning(server, name="the cache's", refuses="…")

    assert warning.startswith("the cache's Redis has used 90% of its maxmemory")


def test_a_tick_exactly_as_old_as_the_threshold_is_still_healthy(settings):
    """ "not run for over N seconds": at N, it has not."""
    now = scheduler_tick_record() + timedelta(seconds=settings.HEALTH_SCHEDULER_MAX_AGE_SECONDS)

    result = check_scheduler(now=now)

    assert result.ok and result.fields == {
        "last_tick_age_seconds": settings.HEALTH_SCHEDULER_MAX_AGE_SECONDS
    }


def test_a_tick_from_a_clock_ahead_of_this_one_is_zero_seconds_old():
    """A worker's clock a little ahead of the web server's: no negative age for monitoring."""
    now = scheduler_tick_record() - timedelta(seconds=5)

    assert check_scheduler(now=now).fields == {"last_tick_age_seconds": 0}


def test_it_answers_only_get_head_and_options(client):
    scheduler_tick_record()
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_an_options_probe_is_answered_as_a_get_and_logs_nothing(client, caplog, path):
    """HAProxy's `option httpchk` probes with OPTIONS: each was refused 405, failing the check,
    and logged as a WARNING by Django. A failing site still fails it."""
    failing = client.options(path)
    scheduler_tick_record()
    passing = client.options(path)

    assert (failing.status_code, failing.json()["status"]) == (503, "fail")
    assert (passing.status_code, passing.json()["status"]) == (200, "ok")
    assert passing["Allow"] == "GET, HEAD, OPTIONS"
    assert "no-store" in passing["Cache-Control"]
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == []


@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_any_other_method_is_not_allowed_and_says_which_are(path, method):
    """A POST without a CSRF token, as a probe or script sends it, was refused 403 by the CSRF
    check, as if the method were allowed and the caller not."""
    response = getattr(Client(enforce_csrf_checks=True), method)(path)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
