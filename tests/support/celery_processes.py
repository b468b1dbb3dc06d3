"""Real `celery worker` and `celery beat` processes for end-to-end tests, on the test database.

The processes open the test database by URL and take their broker from the environment, so what
the test sees (jobs, sync runs) is what they wrote. Their logs are shown when a wait times out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import kombu.pools
import pytest
from celery import Celery
from django.conf import settings
from django.db import connection as db_connection

from orgsite.celery import app as celery_app
from tests.support.helpers import TEST_REDIS_URL, require_service
from tests.support.settings_module import settings_under


def shared_database_url() -> str:
    """The test database as a URL, so that worker processes open the same one."""
    db = db_connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def broker_url(kind: str) -> str:
    """'redis' (emptied first; skipped locally if Redis is down) or 'filesystem'."""
    if kind == "redis":
        require_service("127.0.0.1", 6379, "Redis")
        import redis

        redis.Redis.from_url(TEST_REDIS_URL).flushdb()
        return TEST_REDIS_URL
    return "filesystem://"


class CeleryProcesses:
    """Starts Celery processes with `env` and stops them all at the end of the test."""

    # How long a test gives a worker or beat to start. On a loaded machine a start has taken
    # over 30 s, which a test's own wait for a task or a tick should not pay.
    start_timeout = 120
    # How long a test gives processes that have started to do what it waits for (a task run,
    # a tick sent). Seconds on an idle machine; only a test that fails waits it out.
    work_timeout = 90

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.env = {**os.environ, "DATABASE_URL": shared_database_url()}
        self.env["ORGSITE_VAR_DIR"] = str(var_dir)
        self._started: list[tuple[subprocess.Popen, Path, IO[str]]] = []
        self._starts: Counter[str] = Counter()

    def use_broker(self, kind: str) -> None:
        self.env["CELERY_BROKER_URL"] = broker_url(kind)

    def start(self, command: str, *args: str, quiet: bool = False) -> subprocess.Popen:
        """`celery -A orgsite <command> <args>`, logging to <var_dir>/<command>-<n>.log, where n
        counts this test's earlier `command`s: a second worker keeps the first one's log.
        `quiet`: `celery -A orgsite --quiet <command> …`, without Celery's start-up banner."""
        log_path = self.var_dir / f"{command}-{self._starts[command]}.log"
        self._starts[command] += 1
        log = log_path.open("w")
        options = ["--quiet"] if quiet else []
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "orgsite", *options, command, *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, pool processes included
        )
        self._started.append((process, log_path, log))
        return process

    def wait_for(self, condition: Callable[[], bool], *, timeout: float | None = None) -> None:
        """Wait until `condition()` holds, `timeout` seconds at most (work_timeout if None)."""
        timeout = self.work_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.25)
        pytest.fail(f"timed out after {timeout} s; process logs:\n{self.logs()}")

    def wait_until_ready(self, worker: subprocess.Popen) -> None:
        """Wait for a worker started with --loglevel=INFO to log that it is ready."""
        self.wait_for(lambda: " ready." in self.log_of(worker), timeout=self.start_timeout)

    def wait_until_beat_starts(self, beat: subprocess.Popen) -> None:
        """Wait for beat started with --loglevel=INFO to log that it starts: its imports and
        Django's setup, most of its start, are done by then."""
        self.wait_for(lambda: "beat: Starting..." in self.log_of(beat), timeout=self.start_timeout)

    def log_of(self, started: subprocess.Popen) -> str:
        """What a process this test started has logged so far."""
        return next(path for process, path, _ in self._started if process is started).read_text()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for _, path, _ in self._started
        )

    def stop(self) -> None:
        """Kill the processes and their pool processes. How a worker or beat stops is not what
        these tests check (test_runlocal's and the beat tests' do), and a warm shutdown takes
        seconds: billiard's threads sleep up to a second between looks."""
        for process, _, _ in self._started:
            with contextlib.suppress(ProcessLookupError):  # a test killed them all already
                os.killpg(process.pid, signal.SIGKILL)
        for process, _, log in self._started:
            process.wait()
            log.close()
        self._started.clear()

    @contextmanager
    def publishing_here(self) -> Iterator[None]:
        """Let tasks queued by this process (a live_server view's) reach these workers.

        The tests' Celery app publishes to memory:// (see conftest); this points it at the
        processes' broker, with the transport and options their settings choose, for the
        duration and restores it afterwards.
        """
        broker = settings_under(
            CELERY_BROKER_URL=self.env["CELERY_BROKER_URL"], ORGSITE_VAR_DIR=str(self.var_dir)
        )
        with publishing_to(
            broker["CELERY_BROKER_URL"],
            broker["CELERY_BROKER_TRANSPORT_OPTIONS"],
            transport=broker.get("CELERY_BROKER_TRANSPORT"),
        ):
            yield


@contextmanager
def publishing_to(
    url: str, options: dict[str, Any], *, transport: str | None = None
) -> Iterator[None]:
    """Point this process's Celery app at another broker for a while, then restore it.
    `transport`, a class's path, stands in for the one kombu picks by the URL's scheme."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.broker_transport)
    _point_broker(celery_app, url, options, transport)
    try:
        yield
    finally:
        _point_broker(celery_app, *saved)
        # kombu keeps producer pools per broker URL; the next user must not get a closed one.
        kombu.pools.reset()


def _point_broker(app: Celery, url: str, options: dict[str, Any], transport: str | None) -> None:
    app.conf.update(broker_url=url, broker_transport_options=options, broker_transport=transport)
    # The app builds its connection and producer pools from broker_url on first use and keeps
    # them; dropping them (as Celery does after a fork) makes the next publish use the new URL.
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


# Past a test's own waits (a start's, then the work's), each of which fails with the processes'
# logs: pytest's timeout (120 s, pyproject.toml), no longer than a start's wait, stopped a test
# on a loaded machine with a stack dump instead. A test's own timeout mark comes first.
TEST_TIMEOUT_SECONDS = CeleryProcesses.start_timeout + CeleryProcesses.work_timeout + 60


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "celery_processes" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT_SECONDS))


@pytest.fixture
def celery_processes(transactional_db: None, tmp_path: Path) -> Iterator[CeleryProcesses]:
    """Set up after the test database and torn down before it is flushed."""
    processes = CeleryProcesses(tmp_path)
    yield processes
    processes.stop()
