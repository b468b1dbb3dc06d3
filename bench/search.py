"""Keyword search: an uncached /jobs/?q=... over 10,000 jobs, what each new query costs.

    python -m bench.search [--orgs 200] [--jobs-per-org 50] [--runs 3] [--database-url ...]

bench/pages.py measures pages warm, the same URL again and again; a visitor's own keywords
mostly miss the page cache. This imports the same jobs as bench/pages.py, then renders
/jobs/?q=... in process (Django's test client) with the cache cleared before every run, and
prints the median time, the match count and the SQL statements of each query.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench.common import (
    add_database_argument,
    bench_database_url,
    bench_var_dir,
    counting_queries,
    drop_bench_database,
    machine_description,
    print_table,
    setup_django,
)
from bench.pages import populate

# A common word, two words, an org's name with a title word, a word every org's name holds
# left out (every job a candidate), and a word no job has. The orgs are named "Org 0", "Org 1"...
QUERIES = ["engineer", "robot arm", "org 7 engineer", "engineer -org", "zeppelin"]


def measure_query(client: Any, query: str, runs: int) -> list[Any]:
    """[query, matches, median ms, SQL statements] of /jobs/?q=query, the cache cleared first."""
    from django.core.cache import cache

    from jobs.selectors import job_search

    seconds, statements = [], 0
    for _ in range(runs):
        cache.clear()
        with counting_queries() as counter:
            started = time.perf_counter()
            response = client.get("/jobs/", {"q": query})
            seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        statements = counter.statements
    return [query, job_search(query=query).count(), statistics.median(seconds) * 1000, statements]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--jobs-per-org", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3, help="per query; the median counts")
    add_database_argument(parser)
    args = parser.parse_args(argv)

    with bench_var_dir() as var_dir:
        setup_django(bench_database_url(args.database_url, var_dir), var_dir, migrate=True)
        from django.db import connection
        from django.test import Client

        print(f"# search on {connection.vendor}; {machine_description()}")
        try:
            populate(args.orgs, args.jobs_per_org)
            client = Client(HTTP_HOST="localhost")
            rows = [measure_query(client, query, args.runs) for query in QUERIES]
        finally:
            connection.close()
            drop_bench_database(args.database_url)
    jobs = args.orgs * args.jobs_per_org
    print_table([f"query ({jobs:,} jobs)", "matches", "uncached ms", "SQL"], rows)


if __name__ == "__main__":
    main()
