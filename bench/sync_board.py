"""One board: how the sync compares with its floors and with a naive sync.

    python -m bench.sync_board [--sizes 100,1000,5000] [--database-url postgres://...]

The fake Greenhouse serves synthetic boards (tests/support/synthetic_board.py) over real HTTP
on 127.0.0.1 from this process; every measurement runs in a fresh child process, so its peak
memory (ru_maxrss) counts only that step. Steps, per size, in order on the same database:

    floor           one GET + json.loads (the project's client)
    hash floor      floor + job_payload_hash of every post (what an unchanged sync must pay)
    sanitize floor  floor + unescape and nh3-sanitize every post's content
    textbook floor  the sanitize floor as usually written: html.unescape + nh3.clean() with its
                    defaults, per post (this project's own unescaping and Cleaner are faster)
    store floor     sanitize floor + payload hash + one executemany INSERT of (id, safe HTML,
                    hash) per post into a bare table: the least any first import writes, with
                    no excerpt, search text, departments or model objects
    first import    sync_organization into empty jobs tables
    not modified    sync_organization again, sending the board's ETag: the fake answers
                    "304 Not Modified", as Greenhouse is reported to
    unchanged       sync_organization again from a server that sends no ETag, the same bytes:
                    nothing parsed (the board's fingerprint matches the one applied last)
    one changed     one post edited: every post hashed, only that one written
    churn           10% of posts changed, 5% removed, 5% added
    naive first     get_or_create + save per job; every job sanitized and its text read with
                    BeautifulSoup (written below)
    naive resync    the naive sync again on the unchanged board
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from typing import Any

from bench.common import (
    Measurement,
    add_database_argument,
    bench_database_url,
    bench_var_dir,
    drop_bench_database,
    machine_description,
    measure,
    print_table,
    run_child,
    setup_django,
)

# Steps that leave the database as they found it, so they can be run again for a steadier figure.
REPEATABLE = {
    "floor", "hash", "sanitize", "textbook", "store", "not-modified", "unchanged", "naive-resync"
}  # fmt: skip
STEPS = [
    "floor", "hash", "sanitize", "textbook", "store", "first", "not-modified", "unchanged",
    "one-changed", "churn", "naive-first", "naive-resync",
]  # fmt: skip
LABELS = {
    "floor": "floor (GET + json.loads)",
    "hash": "hash floor (+ payload hash)",
    "sanitize": "sanitize floor (+ unescape, nh3)",
    "textbook": "textbook sanitize floor",
    "store": "store floor (+ hash, INSERT)",
    "first": "first import",
    "not-modified": "unchanged resync, 304",
    "unchanged": "unchanged resync, no ETag",
    "one-changed": "one post changed",
    "churn": "churn resync (10/5/5%)",
    "naive-first": "naive first",
    "naive-resync": "naive resync",
}


# A bare table for the store floor: no index, no constraint, emptied after the step's runs.
STORE_FLOOR_TABLE = "bench_store_floor"

# --- Child: one measurement -----------------------------------------------------------------


def child(step: str, token: str, slug: str) -> Measurement:
    import html

    import django
    import nh3

    django.setup()
    from django.db import connection as db_connection
    from django.db import transaction

    from jobs.greenhouse import GreenhouseClient, job_payload_hash
    from jobs.models import GreenhouseConnection, SyncRun
    from jobs.sanitize import sanitize_content
    from jobs.sync import sync_organization

    connection = GreenhouseConnection.objects.select_related("organization").get(
        organization__slug=slug
    )
    client = GreenhouseClient()

    def floor() -> str:
        return f"{len(client.fetch_jobs(token))} posts"

    def hash_floor() -> str:
        return f"{len({job_payload_hash(raw) for raw in client.fetch_jobs(token)})} hashes"

    def sanitize_floor() -> str:
        return f"{sum(len(sanitize_content(raw['content'])) for raw in client.fetch_jobs(token))} B"

    def textbook_floor() -> str:
        posts = client.fetch_jobs(token)
        return f"{sum(len(nh3.clean(html.unescape(raw['content']))) for raw in posts)} B"

    def store_floor() -> str:
        rows = [
            (raw["id"], sanitize_content(raw["content"]), job_payload_hash(raw))
            for raw in client.fetch_jobs(token)
        ]
        with transaction.atomic(), db_connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {STORE_FLOOR_TABLE} VALUES (%s, %s, %s)", rows)  # noqa: S608
        return f"{len(rows)} rows"

    def careful() -> str:
        result = sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
        assert result.ok, result.error
        return result.counts.summary()

    def naive() -> str:
        return naive_sync(connection, client)

    work = {
        "floor": floor,
        "hash": hash_floor,
        "sanitize": sanitize_floor,
        "textbook": textbook_floor,
        "store": store_floor,
        "naive-first": naive,
        "naive-resync": naive,
    }.get(step, careful)
    return measure(step, work)


def naive_sync(connection: Any, client: Any) -> str:
    """The sync as it is usually first written: every job parsed, sanitized and saved."""
    from bs4 import BeautifulSoup
    from django.db import transaction
    from django.utils import timezone

    from jobs.greenhouse import parse_job
    from jobs.metadata import remote_policy_of_post
    from jobs.models import Department, Job, Office
    from jobs.sanitize import sanitize_content

    org = connection.organization
    now = timezone.now()
    seen = []
    # One transaction, as a fair baseline: per-row autocommit on SQLite would be far slower.
    with transaction.atomic():
        for raw in client.fetch_jobs(connection.board_token):
            post = parse_job(raw)
            description = sanitize_content(post.content_html)
            job, _ = Job.objects.get_or_create(
                organization=org, greenhouse_id=post.greenhouse_id, defaults={"title": post.title}
            )
            job.title = post.title
            job.description_html = description
            text = " ".join(BeautifulSoup(description, "html.parser").get_text(" ").split())
            job.excerpt = text[:280]
            job.internal_job_id = post.internal_job_id
            job.location_name = post.location_name
            job.absolute_url = post.absolute_url
            job.requisition_id = post.requisition_id
            job.language = post.language
            job.company_name = post.company_name
            job.greenhouse_updated_at = post.updated_at
            job.first_published_at = post.first_published_at
            job.application_deadline = post.application_deadline
            job.metadata = post.metadata
            job.search_text = text
            job.greenhouse_remote_policy = remote_policy_of_post(post)
            job.payload_hash = post.payload_hash
            job.is_open, job.closed_at, job.synced_at = True, None, now
            job.save()
            job.departments.set(
                [
                    Department.objects.get_or_create(
                        organization=org, greenhouse_id=unit.greenhouse_id,
                        defaults={"name": unit.name,
                                  "parent_greenhouse_id": unit.parent_greenhouse_id},
                    )[0]
                    for unit in post.departments
                ]
            )  # fmt: skip
            job.offices.set(
                [
                    Office.objects.get_or_create(
                        organization=org, greenhouse_id=unit.greenhouse_id,
                        defaults={"name": unit.name, "location": unit.location},
                    )[0]
                    for unit in post.offices
                ]
            )  # fmt: skip
            seen.append(post.greenhouse_id)
        closed = (
            Job.objects.filter(organization=org, is_open=True)
            .exclude(greenhouse_id__in=seen)
            .update(is_open=False, closed_at=now)
        )
    return f"{len(seen)} saved, {closed} closed"


# --- Parent: boards, order of steps, tables -------------------------------------------------


def run(sizes: list[int], steps: list[str], repeat: int) -> tuple[list, list]:
    from django.db import connection

    from jobs.models import Department, Job, Office
    from tests.support.fake_greenhouse import FakeGreenhouse
    from tests.support.helpers import make_connection
    from tests.support.synthetic_board import churn, synthetic_jobs

    rows, ratios = [], []
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {STORE_FLOOR_TABLE} "
            "(greenhouse_id bigint, description_html text, payload_hash varchar(64))"
        )
    with FakeGreenhouse() as fake:
        os.environ["GREENHOUSE_API_BASE"] = fake.base_url
        for size in sizes:
            token = f"board-{size}"
            jobs = synthetic_jobs(size)
            megabytes = len(json.dumps({"jobs": jobs}).encode()) / 1e6
            fake.add_board(token, name=token, jobs=jobs)
            careful, naive = f"careful-{size}", f"naive-{size}"
            make_connection(careful, token)
            make_connection(naive, token)
            # "Into an empty database": the earlier sizes' jobs are gone before this one starts.
            Job.objects.all().delete(), Department.objects.all().delete()
            Office.objects.all().delete()
            results: dict[str, dict[str, Any]] = {}
            for step in steps:
                # Without ETags the unchanged board is fetched whole and found the same by its
                # fingerprint (which clears the stored ETag: the later steps fetch whole too).
                fake.sends_etags = step != "unchanged"
                if step == "one-changed":
                    edited = [dict(jobs[0], title=f"{jobs[0]['title']} (edited)"), *jobs[1:]]
                    fake.add_board(token, name=token, jobs=edited)
                if step == "churn":
                    fake.add_board(token, name=token, jobs=churn(jobs))
                if step == "naive-first":
                    fake.add_board(token, name=token, jobs=jobs)
                if step in ("floor", "one-changed", "churn", "naive-first"):
                    warm(fake, token)
                slug = naive if step.startswith("naive") else careful
                tries = [
                    run_child(
                        "bench.sync_board", ["--child", step, "--token", token, "--slug", slug], {}
                    )
                    for _ in range(repeat if step in REPEATABLE else 1)
                ]
                if step == "store":
                    with connection.cursor() as cursor:
                        cursor.execute(f"DELETE FROM {STORE_FLOOR_TABLE}")  # noqa: S608
                results[step] = min(tries, key=lambda r: r["seconds"])
                r = results[step]
                print(
                    f"  {size:>5} {LABELS[step]:<34} {r['seconds']:8.3f} s "
                    f"{r['statements']:>6} SQL {r['job_writes']:>5} job writes "
                    f"{r['peak_mb']:7.1f} MB  {r['note']}",
                    file=sys.stderr,
                    flush=True,
                )
                rows.append(
                    [size, f"{megabytes:.1f}", LABELS[step], r["seconds"], r["statements"],
                     r["job_writes"], r["peak_mb"], r["note"]]
                )  # fmt: skip
            ratios.append([size, *ratio_cells(results)])
    return rows, ratios


def warm(fake: Any, token: str) -> None:
    """The fake encodes a board on its first request and keeps the bytes; pay that up front."""
    url = f"{fake.base_url}/boards/{token}/jobs?content=true"
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310  (the fake, http)
        response.read()


def ratio_cells(results: dict[str, dict[str, Any]]) -> list[str]:
    def ratio(a: str, b: str) -> str:
        if a not in results or b not in results or not results[b]["seconds"]:
            return "-"
        return f"{results[a]['seconds'] / results[b]['seconds']:.2f}"

    return [
        f"{ratio('not-modified', 'floor')}",
        f"{ratio('unchanged', 'floor')} (≤ 1.3)",
        f"{ratio('one-changed', 'floor')}",
        f"{ratio('first', 'sanitize')} (≤ 1.5)",
        f"{ratio('first', 'textbook')}",
        f"{ratio('store', 'sanitize')}",
        f"{ratio('churn', 'first')} (≤ 0.30)",
        f"{ratio('naive-first', 'first')} (≥ 5)",
        f"{ratio('naive-resync', 'unchanged')} (≥ 20)",
        str(results.get("unchanged", {}).get("statements", "-")),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each repeatable step; the fastest counts"
    )
    add_database_argument(parser)
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--slug", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.token, args.slug).__dict__))
        return

    sizes = [int(size) for size in args.sizes.split(",")]
    with bench_var_dir() as var_dir:
        setup_django(bench_database_url(args.database_url, var_dir), var_dir, migrate=True)
        from django.db import connection

        print(f"# sync_board on {connection.vendor}, repeat {args.repeat}; {machine_description()}")
        try:
            rows, ratios = run(sizes, args.steps.split(","), args.repeat)
        finally:
            connection.close()
            drop_bench_database(args.database_url)
    headers = ["jobs", "MB", "step", "seconds", "SQL", "job writes", "peak MB", "result"]
    print_table(headers, rows)
    print()
    print_table(
        ["jobs", "304/floor", "unchanged/floor", "one changed/floor", "first/sanitize",
         "first/textbook", "store/sanitize",
         "churn/first", "naive/first", "naive/unchanged", "SQL unchanged"],
        ratios,
    )  # fmt: skip


if __name__ == "__main__":
    main()
