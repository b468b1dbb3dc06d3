"""Shared pieces of the benchmarks: their own database, timing, query counts and peak memory.

Every benchmark runs from the repository root (`python -m bench.<name>`) and calls
`setup_django()` before importing anything from Django, so it never touches the developer's
var/ or database: SQLite lives in a temp dir, PostgreSQL in a database named bench_orgsite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH_DB = "bench_orgsite"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default="",
        help=f"PostgreSQL server URL (e.g. {DEFAULT_PG_URL}); a database named {BENCH_DB} is "
        "created on it and dropped at the end. Default: SQLite in a temp dir.",
    )


def bench_database_url(server_url: str, var_dir: Path) -> str:
    """The URL of the benchmark's own database; creates it afresh on PostgreSQL."""
    if not server_url:
        return f"sqlite:///{var_dir / 'bench.sqlite3'}"
    import psycopg

    with psycopg.connect(_pg_dsn(server_url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return server_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def drop_bench_database(server_url: str) -> None:
    if not server_url:
        return
    import psycopg

    with psycopg.connect(_pg_dsn(server_url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def _pg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def bench_environment(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for this process and its children: own var dir, own database, quiet logs."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "ORGSITE_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "ORGSITE_ENCRYPTION_KEYS": "YmVuY2gtb25seS1rZXktbm90LWZvci1wcm9kLXVzZSE=",
        **extra,
    }


def setup_django(database_url: str, var_dir: Path, *, migrate: bool, **extra: str) -> None:
    """Point this process at the benchmark database, then django.setup() (and migrate)."""
    os.environ.update(bench_environment(database_url, var_dir, **extra))
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


@contextmanager
def bench_var_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="orgsite-bench-") as name:
        yield Path(name)


# --- Measuring ------------------------------------------------------------------------------


@dataclass
class QueryCounter:
    """Counts SQL statements (and writes to the jobs tables) without keeping their text."""

    statements: int = 0
    job_writes: int = 0
    samples: list[str] = field(default_factory=list)

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements += 1
        head = sql[:300].lstrip().upper()
        if head.startswith(("INSERT", "UPDATE", "DELETE")) and '"JOBS_JOB' in head:
            self.job_writes += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_queries() -> Iterator[QueryCounter]:
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec,
    so a child started by a large parent would report the parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Measurement:
    name: str
    seconds: float
    statements: int
    job_writes: int
    peak_mb: float
    note: str = ""


def measure(name: str, work: Callable[[], Any]) -> Measurement:
    with counting_queries() as counter:
        started = time.perf_counter()
        note = work()
        seconds = time.perf_counter() - started
    return Measurement(
        name, seconds, counter.statements, counter.job_writes, peak_rss_mb(), str(note or "")
    )


def run_child(module: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run `python -m <module> <args>` in a fresh process; it prints one JSON line last.

    A fresh process per measurement makes the peak memory honest: nothing earlier is counted.
    """
    completed = subprocess.run(  # noqa: S603  (this interpreter, our own module)
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} {args} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- Reporting ------------------------------------------------------------------------------


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """A Markdown table, so figures paste straight into bench/README.md."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    sys.stdout.flush()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return str(value)


def machine_description() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return (
        f"{os.cpu_count()} cores, {cpu}, {mem_kb / 1024 / 1024:.1f} GB RAM, "
        f"Python {platform.python_version()}"
    )
