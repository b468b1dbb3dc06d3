"""/healthz for load balancers and monitoring: the database, the broker, the cache and beat's
dispatcher.

Each check is a plain function returning a CheckResult; the view only puts them together. Details
are a few fixed words: exception text can name hosts or carry a broker URL with its password, so
it goes to the log, never into the response: one line per failed check, not a traceback, as load
balancers probe every few seconds through an outage.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from jobs.cache import cache_failure
from jobs.models import SchedulerHeartbeat
from jobs.seo import not_for_search_engines
from orgsite.celery import app as celery_app
from orgsite.database import database_refusal

if TYPE_CHECKING:
    from kombu import Connection

logger = logging.getLogger(__name__)

# A load balancer's probe usually gives up after a few seconds; answer well before that.
BROKER_TIMEOUT_SECONDS = 1.5
CACHE_PROBE_KEY = "healthz-probe"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail, **self.fields}


def check_database() -> CheckResult:
    """`SELECT 1`, then this release's migrations: a web process started before its `migrate`
    (or on a database never migrated) answers pages with 500s while the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        unapplied = newest_migrations() - MigrationRecorder(connection).applied_migrations().keys()
    except DatabaseError as exc:
        refusal = database_refusal(exc)
        if refusal is None:
            logger.warning("health check failed: database error=%r", exc)
            return CheckResult(ok=False, detail="unreachable")
        logger.warning("health check failed: database error=%r: %s", exc, refusal.fix)
        return CheckResult(ok=False, detail=refusal.detail)
    if unapplied:
        logger.warning(
            "health check failed: database lacks migrations %s",
            ", ".join(sorted(f"{app}.{name}" for app, name in unapplied)),
        )
        return CheckResult(ok=False, detail="migrations not applied (run manage.py migrate)")
    return CheckResult(ok=True, detail="ok")


@functools.cache
def newest_migrations() -> frozenset[tuple[str, str]]:
    """The last migration of each app in this checkout, read from disk once per process; the
    others come before them, so these being applied means all are."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())


def check_broker(*, timeout: float = BROKER_TIMEOUT_SECONDS) -> CheckResult:
    """Connect to the broker once, giving up after `timeout` seconds.

    The filesystem transport has no server: its queue folders must exist and be writable. A
    Redis that may evict keys is reported as a warning, not a failure: the load balancer would
    take every web process out for a setting that has lost nothing yet.
    """
    broker = celery_app.connection_for_write(
        connect_timeout=timeout,
        # Redis' own socket timeouts; other transports ignore them.
        transport_options={"socket_connect_timeout": timeout, "socket_timeout": timeout},
    )
    try:
        if broker.transport.driver_type == "filesystem":
            return _check_queue_folders(broker.transport_options)
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
        warning = broker_memory_warning(broker)
    except Exception as exc:  # whatever the transport raises, the broker is not usable
        logger.warning("health check failed: broker error=%r", exc)
        return CheckResult(ok=False, detail="unreachable")
    finally:
        broker.release()
    return CheckResult(ok=True, detail="ok", fields={"warning": warning} if warning else {})


def broker_memory_warning(broker: Connection) -> str | None:
    """redis_eviction_warning, else redis_fullness_warning, for the broker; nothing for another
    transport."""
    if broker.transport.driver_type != "redis":
        return None
    server = broker.default_channel.client
    return redis_eviction_warning(
        server, name="the broker's", loses="queued syncs"
    ) or redis_fullness_warning(server, name="the broker's", refuses="no sync can be queued")


def redis_eviction_warning(server: redis.Redis, *, name: str, loses: str) -> str | None:
    """What to say of a Redis whose maxmemory-policy is not noeviction: once full, it deletes
    keys, what it `loses` among them, without an error anywhere.

    Nothing for a Redis that does not let clients read its configuration (managed ones often
    disable CONFIG).
    """
    try:
        reply = server.config_get("maxmemory-policy")
    except redis.ResponseError as exc:  # an unknown command, or one the ACL denies
        logger.debug("%s maxmemory-policy not readable error=%r", name, exc)
        return None
    policy = reply.get("maxmemory-policy", "noeviction")
    if policy == "noeviction":
        return None
    return (
        f"{name} Redis has maxmemory-policy {policy}: when full it drops {loses} "
        "without an error; set it to noeviction"
    )


# Early enough to raise maxmemory before the writes fail.
REDIS_FULLNESS_WARNING_PERCENT = 90


def redis_fullness_warning(server: redis.Redis, *, name: str, refuses: str) -> str | None:
    """What to say of a Redis that keeps noeviction and has used REDIS_FULLNESS_WARNING_PERCENT
    of its maxmemory: once full it refuses every write, so that `refuses`.

    Nothing for a Redis without a maxmemory, one that evicts instead (redis_eviction_warning
    tells of it), or one that does not let clients run INFO.
    """
    try:
        memory = server.info("memory")
    except redis.ResponseError as exc:
        logger.debug("%s memory use not readable error=%r", name, exc)
        return None
    maxmemory = memory.get("maxmemory", 0)
    if not maxmemory or memory.get("maxmemory_policy") != "noeviction":
        return None
    # What Redis weighs against maxmemory: its replication and AOF buffers are left out.
    used = memory["used_memory"] - memory.get("mem_not_counted_for_evict", 0)
    percent = 100 * used // maxmemory
    if percent < REDIS_FULLNESS_WARNING_PERCENT:
        return None
    return (
        f"{name} Redis has used {percent}% of its maxmemory: when full it refuses every write, "
        f"so {refuses}; raise maxmemory well above what it holds, or remove it"
    )


def _check_queue_folders(options: dict[str, Any]) -> CheckResult:
    folders = {options.get("data_folder_in", "data_in"), options.get("data_folder_out", "data_out")}
    for folder in folders:
        if not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
            logger.warning("health check failed: broker queue folder %s is not writable", folder)
            return CheckResult(ok=False, detail="queue folder not writable")
    return CheckResult(ok=True, detail="ok")


SCHEDULER_UNKNOWN = CheckResult(
    ok=False, detail="unknown, database not usable", fields={"last_tick_age_seconds": None}
)


def check_cache() -> CheckResult:
    """Write and read back a key. Visitor pages and sign-ins work without the cache (uncached,
    unthrottled), but a sync could no longer refresh the pages other processes cached.

    A Redis that may evict keys is a warning, as for the broker: the throttles' counts live in
    the cache, and filling it with pages would reset them. So is one that keeps noeviction and
    is nearly full: once full, it refuses the write here, and every count of the throttles.
    """
    try:
        cache.set(CACHE_PROBE_KEY, "ok", timeout=60)
        if cache.get(CACHE_PROBE_KEY) != "ok":
            raise ValueError("the probe key did not read back")
        warning = None
        backend = caches["default"]  # `cache` is a proxy to it, never a RedisCache itself
        if isinstance(backend, RedisCache):
            server = backend._cache.get_client(write=True)  # Django's own, with its timeouts
            warning = redis_eviction_warning(
                server,
                name="the cache's",
                loses="the counts of failed sign-ins and of invitation emails",
            ) or redis_fullness_warning(
                server, name="the cache's", refuses="failed sign-ins go uncounted and unthrottled"
            )
    except Exception as exc:  # whatever the backend raises, the cache is not usable
        logger.warning("health check failed: cache error=%r", exc)
        return CheckResult(ok=False, detail=cache_failure(exc))
    return CheckResult(ok=True, detail="ok", fields={"warning": warning} if warning else {})


def check_scheduler(*, now: datetime) -> CheckResult:
    """Beat's dispatcher records a tick every minute, from a worker that runs it: none for a
    while means beat is down, or the broker or the workers are (their checks tell which)."""
    max_age = settings.HEALTH_SCHEDULER_MAX_AGE_SECONDS
    try:
        last_tick_at = (
            SchedulerHeartbeat.objects.filter(pk=SchedulerHeartbeat.SINGLETON_PK)
            .values_list("last_tick_at", flat=True)
            .first()
        )
    except DatabaseError as exc:
        logger.warning("health check failed: scheduler heartbeat unreadable error=%r", exc)
        return SCHEDULER_UNKNOWN
    if last_tick_at is None:
        return CheckResult(
            ok=False,
            detail="the dispatcher has never run (is beat running, and a worker?)",
            fields={"last_tick_age_seconds": None},
        )
    age = max(0, round((now - last_tick_at).total_seconds()))
    if age > max_age:
        return CheckResult(
            ok=False,
            detail=(
                f"the dispatcher has not run for over {max_age} seconds "
                "(is beat running, and a worker?)"
            ),
            fields={"last_tick_age_seconds": age},
        )
    return CheckResult(ok=True, detail="ok", fields={"last_tick_age_seconds": age})


# An OPTIONS is answered as a GET, checks and all: HAProxy's `option httpchk` probes with one,
# whose 405 failed every check and logged a WARNING each, and a 200 whatever the checks said
# would keep a failing server in the pool. A POST is 405 Method Not Allowed, as any other
# method, not the CSRF check's 403: the probe reads and changes nothing.
ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")


@not_for_search_engines
@csrf_exempt
@never_cache
@require_http_methods(ALLOWED_METHODS)
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, 503 otherwise, to a GET, HEAD or OPTIONS; open to anonymous
    callers."""
    database = check_database()
    checks = {
        "database": database,
        "broker": check_broker(),
        "cache": check_cache(),
        # Asking a database that just failed would only make the probe wait twice as long.
        "scheduler": check_scheduler(now=timezone.now()) if database.ok else SCHEDULER_UNKNOWN,
    }
    healthy = all(check.ok for check in checks.values())
    if not healthy:
        # At WARNING, one line per probe with what failed; Django's own ERROR line for the 503
        # is left out (orgsite.logging.FailedHealthProbeFilter).
        failed = "; ".join(f"{name}: {c.detail}" for name, c in checks.items() if not c.ok)
        logger.warning("health probe failed: %s", failed)
    response = JsonResponse(
        {
            "status": "ok" if healthy else "fail",
            "checks": {name: check.as_dict() for name, check in checks.items()},
        },
        status=200 if healthy else 503,
    )
    response["Allow"] = ", ".join(ALLOWED_METHODS)  # what an OPTIONS asks (RFC 9110)
    return response
