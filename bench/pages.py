"""Pages: visitor pages under gunicorn (2 workers), loaded by wrk from a second process.

    python -m bench.pages [--seconds 20] [--orgs 200] [--jobs-per-org 50] [--database-url ...]
                          [--accept-encoding "gzip, deflate, br"]

10,000 open jobs across 200 orgs are imported with the real sync (apply_board, no HTTP), then
gunicorn serves bench.settings (the site plus a constant-string view, the ceiling) on
127.0.0.1 and `wrk -c16` hits each page for --seconds. Every page is requested once before it
is measured, so cached pages are measured warm. Requests say they accept gzip, as browsers do
(`--accept-encoding ''` for uncompressed pages). Needs wrk (Debian: apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import (
    REPO,
    add_database_argument,
    bench_database_url,
    bench_var_dir,
    drop_bench_database,
    machine_description,
    print_table,
    setup_django,
)

CONCURRENCY = 16


def populate(orgs: int, jobs_per_org: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from jobs.sync import apply_board
    from tests.support.helpers import make_connection
    from tests.support.synthetic_board import synthetic_jobs

    board = synthetic_jobs(jobs_per_org, content_bytes=(5_000, 15_000))
    started = time.perf_counter()
    for index in range(orgs):
        connection = make_connection(f"org-{index:03d}", f"org-{index:03d}", name=f"Org {index}")
        with transaction.atomic():
            apply_board(connection, board, now=timezone.now())
    print(f"  populated in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def page_paths() -> list[tuple[str, str]]:
    from jobs.models import Department, Job, Office

    job = Job.objects.select_related("organization").order_by("pk").first()
    slug = job.organization.slug
    department = Department.objects.filter(organization__slug=slug).order_by("pk").first()
    office = Office.objects.filter(organization__slug=slug).order_by("pk").first()
    return [
        ("trivial view (ceiling)", "/bench/trivial/"),
        ("home", "/"),
        ("/jobs/ unfiltered", "/jobs/"),
        ("/jobs/ keyword + 2 filters",
         f"/jobs/?q=engineer&department={department.pk}&office={office.pk}"),
        ("org page", f"/orgs/{slug}/"),
        ("job page", f"/orgs/{slug}/jobs/{job.greenhouse_id}/"),
        ("JSON list", f"/orgs/{slug}/jobs.json"),
    ]  # fmt: skip


def start_gunicorn(var_dir: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn and the port it bound: it picks one itself, and says which, where a port picked
    here could be taken by another process before gunicorn binds it."""
    from tests.support.ports import listening_port

    log_path = var_dir / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603  (fixed arguments)
            [sys.executable, "-m", "gunicorn", "orgsite.wsgi:application", "-w", "2",
             "-b", "127.0.0.1:0"],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        port = listening_port(process, log_path.read_text)
    except RuntimeError:
        process.terminate()
        raise
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the socket is bound before the workers have started
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/trivial/", timeout=2).read()  # noqa: S310
            return process, port
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()}")


def wrk(url: str, seconds: int, *, accept_encoding: str) -> dict[str, Any]:
    header = ["-H", f"Accept-Encoding: {accept_encoding}"] if accept_encoding else []
    command = ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    completed = subprocess.run(  # noqa: S603
        [*command, *header, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    )
    out = completed.stdout
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "errors": errors + (int(non_2xx.group(1)) if non_2xx else 0),
    }


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20, help="per page")
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--jobs-per-org", type=int, default=50)
    parser.add_argument(
        "--accept-encoding",
        default="gzip, deflate, br",
        help="sent with every request, as browsers do; '' for none (uncompressed pages)",
    )
    add_database_argument(parser)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")

    rows = []
    with bench_var_dir() as var_dir:
        setup_django(bench_database_url(args.database_url, var_dir), var_dir, migrate=True)
        from django.db import connection

        print(
            f"# pages on {connection.vendor}, Accept-Encoding: {args.accept_encoding!r}; "
            f"{machine_description()}"
        )
        gunicorn = None
        try:
            populate(args.orgs, args.jobs_per_org)
            paths = page_paths()
            connection.close()
            gunicorn, port = start_gunicorn(var_dir)
            ceiling = None
            for name, path in paths:
                url = f"http://127.0.0.1:{port}{path}"
                with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310  (warms the cache)
                    status = response.status
                result = wrk(url, args.seconds, accept_encoding=args.accept_encoding)
                ceiling = ceiling or result["rps"]
                rows.append(
                    [name, status, result["rps"], f"{result['rps'] / ceiling:.0%}",
                     result["p50"], result["p99"], result["errors"]]
                )  # fmt: skip
                print(f"  {rows[-1]}  {path}", file=sys.stderr, flush=True)
        finally:
            if gunicorn is not None:
                gunicorn.terminate()
                gunicorn.wait(timeout=30)
            connection.close()
            drop_bench_database(args.database_url)
    print_table(["page", "status", "req/s", "of ceiling", "p50 ms", "p99 ms", "errors"], rows)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
