"""A real `celery worker` killed with SIGKILL, or stopped with SIGTERM to its every process, in
the middle of a sync.

The fake Greenhouse stalls halfway through the body, so the worker is known to be inside the
fetch when it dies. The database must keep the previous state, the org's lock must expire by
itself after a SIGKILL (it is a lease, SYNC_LOCK_SECONDS long) or be freed at once after a
SIGTERM, and the next run must complete and mark the dead run interrupted.

How the next run comes: the test re-dispatches through the dispatcher, as beat does once the
org is due: at once after a SIGTERM, once the lease has expired after a SIGKILL. A task given
back by the broker does not sync: it carries the org's queue mark, which the dead sync's lease
took. Redelivery of the killed task is not waited for but in its own test: the filesystem
transport drops a message once fetched, and Redis gives an unacknowledged one back only after
`visibility_timeout` (an hour by default, never under a minute), too slow for a test; the test
of that redelivery gives its workers a visibility timeout of 2 s.
Instead of waiting out a killed sync's lease (by whose end the org is due), the test moves it
and the org's next sync time into the past.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.utils import timezone

from jobs.greenhouse import job_payload_hash
from jobs.models import GreenhouseConnection, Job, SyncRun
from jobs.scheduling import enqueue_due_syncs, request_refresh
from jobs.status import sync_status
from jobs.sync import INTERRUPTED_MESSAGE, sync_organization
from tests.support.helpers import TEST_REDIS_URL, make_connection
from tests.support.settings_module import redis_broker_settings

if TYPE_CHECKING:
    from tests.support.celery_processes import CeleryProcesses
    from tests.support.fake_greenhouse import FakeGreenhouse

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
pytest_plugins = ["tests.support.celery_processes"]  # celery_processes

TOKEN = "acme-robotics"
# What the worker logs of a sync given back after its lease took the org's queue mark.
GIVEN_BACK = "skipped: the sync queued with this one"  # its apostrophe is escaped in the log


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (the prefork pool's children), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(parents.get(current, []))
    return tree


def worker_started(celery_processes: CeleryProcesses, *, hostname: str) -> subprocess.Popen:
    """A ready worker with one pool process. Without mingle, which on Redis waits a second as
    the worker starts for other workers to send it the tasks they revoked: none are here."""
    worker = celery_processes.start(
        "worker", "--concurrency=1", "--loglevel=INFO", "--without-mingle", f"--hostname={hostname}"
    )
    celery_processes.wait_until_ready(worker)
    return worker


def worker_stalled_mid_sync(
    connection: GreenhouseConnection,
    fake_greenhouse: FakeGreenhouse,
    celery_processes: CeleryProcesses,
    *,
    hostname: str,
) -> tuple[subprocess.Popen, list[dict]]:
    """Change the org's board, start a worker and have it sync the org (Refresh now) from a
    board that stalls halfway through its body; the worker, once it is inside the fetch, and the
    changed board's posts. Called inside `celery_processes.publishing_here()`."""
    posts = fake_greenhouse.jobs(TOKEN)
    posts.pop()
    posts[0]["title"] = "Retitled while the worker dies"
    fake_greenhouse.touch(TOKEN)
    fake_greenhouse.fail_next(TOKEN, "stall", delay=60)
    requests_before = fake_greenhouse.request_count(TOKEN)
    GreenhouseConnection.objects.update(last_attempt_at=None)  # no Refresh cooldown
    celery_processes.env.update(
        GREENHOUSE_API_BASE=fake_greenhouse.base_url,
        GREENHOUSE_READ_TIMEOUT="50",
        GREENHOUSE_RETRIES="0",
    )
    worker = worker_started(celery_processes, hostname=hostname)
    request_refresh(connection)
    celery_processes.wait_for(
        lambda: (
            SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING).exists()
            and fake_greenhouse.request_count(TOKEN) == requests_before + 1
        ),
    )
    return worker, posts


def assert_interrupted_then_synced_by_the_schedule(
    run: SyncRun, connection: GreenhouseConnection, posts: list[dict]
) -> None:
    """The crashed or stopped `run` is marked interrupted, and the latest run, the schedule's,
    synced every post of the board."""
    run.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.INTERRUPTED
    latest = SyncRun.objects.first()
    assert latest.outcome == SyncRun.Outcome.SUCCESS and latest.trigger == SyncRun.Trigger.SCHEDULE
    open_jobs = Job.objects.filter(organization=connection.organization, is_open=True)
    assert {job.greenhouse_id: job.payload_hash for job in open_jobs} == {
        post["id"]: job_payload_hash(post) for post in posts
    }


@pytest.fixture
def broker(request, celery_processes) -> Iterator[str]:
    """The workers' broker; Redis's database is emptied before and after (the killed task is
    still on it, unacknowledged)."""
    celery_processes.use_broker(request.param)
    yield request.param
    if request.param == "redis":
        import redis

        redis.Redis.from_url(TEST_REDIS_URL).flushdb()


@pytest.mark.parametrize("broker", ["filesystem", "redis"], indirect=True)
def test_a_worker_killed_mid_sync_leaves_the_previous_state_and_the_next_run_completes(
    broker, fake_greenhouse, celery_processes
):
    connection = make_connection("acme", TOKEN, name="Acme Robotics")
    assert sync_organization(connection, trigger=SyncRun.Trigger.COMMAND).ok
    before = list(Job.objects.order_by("pk").values())

    # One block: publishing_here() cannot be entered twice in a test (kombu keeps the pool it
    # closed on the way out and hands it back).
    with celery_processes.publishing_here():
        worker, posts = worker_stalled_mid_sync(
            connection, fake_greenhouse, celery_processes, hostname=f"doomed-{broker}@%h"
        )
        for pid in process_tree(worker.pid):
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)

        assert list(Job.objects.order_by("pk").values()) == before
        dead_run = SyncRun.objects.get(outcome=SyncRun.Outcome.RUNNING)
        connection.refresh_from_db()
        # The dead worker's lease is still held, but it is a lease: it ends by itself.
        assert connection.lock_expires_at is not None
        assert connection.lock_expires_at <= timezone.now() + timedelta(
            seconds=settings.SYNC_LOCK_SECONDS
        )
        # Refresh now came before the org's next time: it is due again when the lease ends.
        assert connection.next_sync_at == connection.lock_expires_at

        # Time passes: the lease expires and the org is due again.
        past = timezone.now() - timedelta(seconds=1)
        GreenhouseConnection.objects.update(lock_expires_at=past, next_sync_at=past)
        worker_started(celery_processes, hostname=f"heir-{broker}@%h")
        assert enqueue_due_syncs() == [connection.pk]
        # And its lease freed, which the sync does after it records its success: stop() kills
        # the worker, and could cut the sync off in between.
        celery_processes.wait_for(
            lambda: (
                SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCESS).count() == 2
                and GreenhouseConnection.objects.filter(
                    pk=connection.pk, lock_expires_at=None
                ).exists()
            ),
        )
    celery_processes.stop()

    assert_interrupted_then_synced_by_the_schedule(dead_run, connection, posts)
    assert dead_run.error_message == INTERRUPTED_MESSAGE and dead_run.finished_at is not None
    connection.refresh_from_db()
    assert connection.state == GreenhouseConnection.State.OK
    assert connection.lock_expires_at is None


@pytest.mark.parametrize("broker", ["redis"], indirect=True)
def test_redis_gives_a_killed_workers_sync_back_after_the_visibility_timeout_to_do_nothing(
    broker, fake_greenhouse, celery_processes, tmp_path
):
    """Redis hands a task taken but never acknowledged back to the queue once the visibility
    timeout has passed since a worker took it, when a worker next looks: as it starts, then
    every 100 s (kombu's unacked_restore_interval, 10 s, times unacked_restore_throttle, 10).
    The killed Refresh now's lease took the org's queue mark, which the task carries, so it does
    nothing: the org is due by the lease's end, which comes first (SYNC_LOCK_SECONDS <
    CELERY_VISIBILITY_TIMEOUT), and the schedule syncs it and marks the killed run interrupted."""
    visibility_timeout = 2  # CELERY_VISIBILITY_TIMEOUT is never under a minute
    (tmp_path / "short_visibility_settings.py").write_text(
        "from orgsite.settings import *\n"
        "CELERY_BROKER_TRANSPORT_OPTIONS = {\n"
        f"    **CELERY_BROKER_TRANSPORT_OPTIONS, 'visibility_timeout': {visibility_timeout}\n"
        "}\n"
    )
    celery_processes.env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
        DJANGO_SETTINGS_MODULE="short_visibility_settings",
    )
    connection = make_connection("acme", TOKEN, name="Acme Robotics")
    assert sync_organization(connection, trigger=SyncRun.Trigger.COMMAND).ok

    with celery_processes.publishing_here():
        worker, posts = worker_stalled_mid_sync(
            connection, fake_greenhouse, celery_processes, hostname="doomed-redis@%h"
        )
        for pid in process_tree(worker.pid):
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
        dead_run = SyncRun.objects.get(outcome=SyncRun.Outcome.RUNNING)

        # Time passes: the lease ends, by which the org is due, and then the visibility timeout,
        # counted from before the kill.
        past = timezone.now() - timedelta(seconds=1)
        GreenhouseConnection.objects.update(lock_expires_at=past, next_sync_at=past)
        time.sleep(visibility_timeout)
        heir = worker_started(celery_processes, hostname="heir-redis@%h")
        celery_processes.wait_for(lambda: GIVEN_BACK in celery_processes.log_of(heir))

        status = sync_status(organization=connection.organization)
        assert (status["message"], status["next_sync_text"]) == (
            f"Failed: {INTERRUPTED_MESSAGE}",
            "due now",
        )
        assert enqueue_due_syncs() == [connection.pk]
        celery_processes.wait_for(
            lambda: (
                SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCESS).count() == 2
                and GreenhouseConnection.objects.filter(lock_expires_at=None).exists()
            ),
        )
    celery_processes.stop()

    assert_interrupted_then_synced_by_the_schedule(dead_run, connection, posts)


@pytest.mark.parametrize("broker", ["filesystem", "redis"], indirect=True)
def test_a_worker_whose_every_process_gets_sigterm_mid_sync_frees_the_org_for_the_schedule(
    broker, fake_greenhouse, celery_processes
):
    """As systemd's default KillMode stops a worker. The pool process stops its sync where it
    is (billiard raises SystemExit), saving nothing but freeing the lease, and marking its run
    interrupted, as it exits (the run read "running" until the next sync marked it), and the
    worker puts the task back on the queue, where the next worker takes it and does nothing:
    the stopped Refresh now's lease took the org's queue mark, which the task carries. The org
    is due at once, though Refresh now came before its next time, and the dispatcher's next
    tick syncs it (README)."""
    connection = make_connection("acme", TOKEN, name="Acme Robotics")
    assert sync_organization(connection, trigger=SyncRun.Trigger.COMMAND).ok
    before = list(Job.objects.order_by("pk").values())

    with celery_processes.publishing_here():
        worker, posts = worker_stalled_mid_sync(
            connection, fake_greenhouse, celery_processes, hostname=f"stopped-{broker}@%h"
        )
        for pid in process_tree(worker.pid):
            os.kill(pid, signal.SIGTERM)
        # The pool process frees the lease as it stops. The worker gives the task back seconds
        # later (on the filesystem transport once billiard has waited 5 s for the lost pool
        # process's result), so the next worker starts meanwhile. A pool process that dies
        # before the worker begins to stop is replaced, and a replacement killed while it waits
        # for a task holds the task queue's lock, which billiard waits for as the worker exits:
        # the worker can then hang after giving the task back, so its exit is not waited for.
        celery_processes.wait_for(
            lambda: (
                GreenhouseConnection.objects.filter(lock_expires_at=None).exists()
                and not SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING).exists()
            ),
        )

        assert list(Job.objects.order_by("pk").values()) == before
        stopped_run = SyncRun.objects.get(outcome=SyncRun.Outcome.INTERRUPTED)
        assert stopped_run.error_message == INTERRUPTED_MESSAGE
        status = sync_status(organization=connection.organization)
        assert (status["running"], status["message"], status["next_sync_text"]) == (
            False,
            f"Failed: {INTERRUPTED_MESSAGE}",
            "due now",
        )

        heir = worker_started(celery_processes, hostname=f"heir-{broker}@%h")
        celery_processes.wait_for(lambda: GIVEN_BACK in celery_processes.log_of(heir))
        assert not SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCESS, pk__gt=stopped_run.pk)

        assert enqueue_due_syncs() == [connection.pk]
        celery_processes.wait_for(
            lambda: SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCESS).count() == 2,
        )
    celery_processes.stop()

    assert_interrupted_then_synced_by_the_schedule(stopped_run, connection, posts)


def test_time_limits_sit_below_the_lease_and_the_visibility_timeout():
    """The ordering documented next to the Celery settings, for the Redis broker."""
    redis_settings = redis_broker_settings()

    soft = redis_settings["CELERY_TASK_SOFT_TIME_LIMIT"]
    hard = redis_settings["CELERY_TASK_TIME_LIMIT"]
    lease = redis_settings["SYNC_LOCK_SECONDS"]
    visibility = redis_settings["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    assert soft < hard < lease < visibility
    assert redis_settings["CELERY_TASK_ACKS_LATE"] is True
    assert redis_settings["CELERY_TASK_REJECT_ON_WORKER_LOST"] is True
    assert redis_settings["CELERY_WORKER_PREFETCH_MULTIPLIER"] == 1
