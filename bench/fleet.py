"""The fleet: the dispatcher tick at 1,000 and 10,000 orgs, and boards/second through Celery.

    python -m bench.fleet [--tick-sizes 1000,10000] [--orgs 2000] [--jobs 20]
                          [--workers 1] [--concurrency 2] [--database-url postgres://...]

1. Dispatcher: N connected orgs, all due. enqueue_due_syncs() is timed with publishing stubbed
   (its own selection and marking: time and queries), then with real publishing to Redis db 13;
   "messages" counts what the tick published, one batch of syncs
   (jobs.scheduling.SYNCS_PER_BATCH) each, which a worker's jobs.tasks.queue_claimed_syncs
   would turn into the syncs (not run here: no worker is).
2. Throughput: --orgs orgs with --jobs-job boards on the fake Greenhouse (served from this
   process), synced by real `celery worker` processes over Redis db 13: first import and
   unchanged resync in boards/second, then the same with `manage.py sync_jobs --all` in one
   process. Redis db 13 is emptied before and after.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from bench.common import (
    REPO,
    add_database_argument,
    bench_database_url,
    bench_var_dir,
    counting_queries,
    drop_bench_database,
    machine_description,
    print_table,
    setup_django,
)

REDIS_URL = "redis://127.0.0.1:6379/13"


def create_connections(count: int, *, token: str | None = None) -> None:
    """`count` orgs, each connected (to board `token`, or to its own slug) and due now."""
    from django.db import connection
    from django.utils import timezone

    from jobs.models import GreenhouseConnection, Organization

    GreenhouseConnection.objects.all().delete()
    Organization.objects.all().delete()
    past = timezone.now() - timedelta(minutes=5)
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Org {i}", slug=f"org-{i:05d}") for i in range(count)],
        batch_size=1000,
    )
    GreenhouseConnection.objects.bulk_create(
        [
            GreenhouseConnection(organization=org, board_token=token or org.slug, next_sync_at=past)
            for org in orgs
        ],
        batch_size=1000,
    )
    # Statistics, as autovacuum keeps them on a real table: without them PostgreSQL plans the
    # tick's claim as 5,000 index lookups, twice as slow as the hash join it then uses.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def make_all_due() -> None:
    from django.utils import timezone

    from jobs.models import GreenhouseConnection

    GreenhouseConnection.objects.update(
        next_sync_at=timezone.now() - timedelta(minutes=5), queued_at=None
    )


def dispatcher(sizes: list[int]) -> list[list[Any]]:
    rows = []
    for size in sizes:
        create_connections(size)
        for publishing in ("stubbed", "Redis"):
            make_all_due()
            empty_redis()
            rows.append([f"{size:,}", publishing, *tick_timed(publish=publishing == "Redis")])
            print(f"  tick {rows[-1]}", file=sys.stderr, flush=True)
    empty_redis()
    return rows


def tick_timed(*, publish: bool) -> list[Any]:
    """One tick: the orgs it queued, the messages it published (or would have), its time in ms
    and its SQL statements."""
    from jobs import scheduling
    from jobs.tasks import queue_claimed_syncs

    real_publish = queue_claimed_syncs.apply_async
    messages: list[Any] = []

    def counted(*args: Any, **kwargs: Any) -> None:
        messages.append(args)
        if publish:
            real_publish(*args, **kwargs)

    with (
        mock.patch.object(queue_claimed_syncs, "apply_async", counted),
        counting_queries() as counter,
    ):
        started = time.perf_counter()
        queued = scheduling.enqueue_due_syncs()
        seconds = time.perf_counter() - started
    return [len(queued), len(messages), seconds * 1000, counter.statements]


def empty_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# --- Throughput through Celery --------------------------------------------------------------


def wait_until(condition: Any, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


def successful_runs_since(started_at: Any) -> int:
    from jobs.models import SyncRun

    return SyncRun.objects.filter(
        outcome=SyncRun.Outcome.SUCCESS, started_at__gte=started_at
    ).count()


def through_celery(
    orgs: int, label: str, log: Path, processes: list[subprocess.Popen]
) -> list[Any]:
    from django.utils import timezone

    from jobs.scheduling import enqueue_due_syncs

    make_all_due()
    since = timezone.now()
    started = time.perf_counter()
    queued = enqueue_due_syncs(limit=orgs)

    def done() -> bool:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError(f"a worker exited:\n{log.read_text()[-3000:]}")
        return successful_runs_since(since) >= len(queued)

    wait_until(
        done,
        timeout=1800,
        what=f"{label} ({log.read_text()[-2000:]})",
    )
    seconds = time.perf_counter() - started
    return [label, orgs, seconds, orgs / seconds]


def through_command(orgs: int, label: str) -> list[Any]:
    make_all_due()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "sync_jobs", "--all"],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    return [label, orgs, seconds, orgs / seconds]


def start_workers(workers: int, concurrency: int, var_dir: Path) -> list[subprocess.Popen]:
    processes = []
    for index in range(workers):
        log = (var_dir / f"worker-{index}.log").open("w")
        processes.append(
            subprocess.Popen(  # noqa: S603  (fixed arguments)
                [sys.executable, "-m", "celery", "-A", "orgsite", "worker", "-l", "WARNING",
                 f"--concurrency={concurrency}", "--pool=prefork", "-n", f"bench{index}@%h",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
    return processes


def stop_workers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def throughput(orgs: int, jobs: int, workers: int, concurrency: int, var_dir: Path) -> list:
    from jobs.models import Department, Job, Office, SyncRun
    from tests.support.fake_greenhouse import FakeGreenhouse
    from tests.support.synthetic_board import synthetic_jobs

    rows = []
    with FakeGreenhouse() as fake:
        os.environ["GREENHOUSE_API_BASE"] = fake.base_url
        # One list shared by every board: ids need only be unique within an org.
        board = synthetic_jobs(jobs)
        fake.add_board("fleet", name="Fleet", jobs=board)
        create_connections(orgs, token="fleet")  # noqa: S106  (a board token)
        empty_redis()
        processes = start_workers(workers, concurrency, var_dir)
        try:
            time.sleep(8)  # let the workers boot before the clock starts
            rows.append(through_celery(orgs, f"celery first import ({workers}x{concurrency})",
                                       var_dir / "worker-0.log", processes))  # fmt: skip
            print(f"  {rows[-1]}", file=sys.stderr, flush=True)
            rows.append(through_celery(orgs, f"celery unchanged ({workers}x{concurrency})",
                                       var_dir / "worker-0.log", processes))  # fmt: skip
            print(f"  {rows[-1]}", file=sys.stderr, flush=True)
        finally:
            stop_workers(processes)
            empty_redis()
        assert SyncRun.objects.filter(outcome=SyncRun.Outcome.FAILED).count() == 0
        rows.append(through_command(orgs, "sync_jobs --all, unchanged"))
        print(f"  {rows[-1]}", file=sys.stderr, flush=True)
        Job.objects.all().delete(), Department.objects.all().delete()
        Office.objects.all().delete()
        rows.append(through_command(orgs, "sync_jobs --all, first import"))
        print(f"  {rows[-1]}", file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tick-sizes", default="1000,10000")
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="celery worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="per worker (prefork)")
    parser.add_argument("--skip-throughput", action="store_true")
    add_database_argument(parser)
    args = parser.parse_args(argv)

    with bench_var_dir() as var_dir:
        setup_django(
            bench_database_url(args.database_url, var_dir),
            var_dir,
            migrate=True,
            CELERY_BROKER_URL=REDIS_URL,
        )
        from django.db import connection

        print(f"# fleet on {connection.vendor}; {machine_description()}")
        try:
            ticks = dispatcher([int(size) for size in args.tick_sizes.split(",")])
            rates = []
            if not args.skip_throughput:
                rates = throughput(args.orgs, args.jobs, args.workers, args.concurrency, var_dir)
        finally:
            connection.close()
            drop_bench_database(args.database_url)
    print_table(["orgs due", "publishing", "queued", "messages", "tick ms", "SQL"], ticks)
    if rates:
        print()
        print_table(["how", "boards", "seconds", "boards/s"], rates)


if __name__ == "__main__":
    main()
