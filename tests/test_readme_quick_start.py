"""The README's Quick start says how `make test` runs the suite: in how many processes, which test
database each has, and which Redis databases two checkouts testing at once must each name."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.helpers import redis_database_of_this_test_process

ROOT = Path(__file__).resolve().parent.parent
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4}


def quick_start() -> str:
    """The Quick start section, its lines joined with spaces."""
    section = (ROOT / "README.md").read_text().split("\n## Quick start\n")[1].split("\n## ")[0]
    return " ".join(section.split())


def test_the_readme_gives_the_number_of_processes_make_test_runs():
    processes = re.search(r"^TEST_PROCESSES \?= (\d+)$", (ROOT / "Makefile").read_text(), re.M)
    said = re.search(r"The suite runs in (\w+) processes at once", quick_start())

    assert processes and said
    assert NUMBERS[said.group(1)] == int(processes.group(1))


def test_the_readme_names_the_sqlite_test_database_of_each_process():
    # Read from the settings' source: on PostgreSQL, as in CI, they name no SQLite file.
    test_database = re.search(
        r'\["TEST"\] = \{"NAME": str\(VAR_DIR / "([^"]+)"\)\}',
        (ROOT / "orgsite" / "settings.py").read_text(),
    )
    assert test_database

    # pytest-django gives each xdist process (gw0, gw1, …) the test database's name with its id.
    for process in ("gw0", "gw1"):
        assert f"`var/{test_database.group(1)}_{process}`" in quick_start()


def test_the_readme_s_two_checkouts_use_no_redis_database_of_each_other(monkeypatch):
    """The databases the README gives two checkouts testing at once: each process of one empties
    its own, so no process of the other may have it."""
    example = re.search(
        r"\(`/(\d+)` for one and `/(\d+)` for the other, with (\w+) each", quick_start()
    )
    assert example
    first, second, processes = example.groups()

    def used(database: str) -> set[str]:
        databases = set()
        for process in range(NUMBERS[processes]):
            monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{process}")
            databases.add(redis_database_of_this_test_process(f"redis://127.0.0.1:6379/{database}"))
        return databases

    assert len(used(first)) == NUMBERS[processes]
    assert used(first).isdisjoint(used(second))
