"""The README's What to monitor names each WARNING line by which the log tells that a sync
failed or stopped, as the code writes it: an alert on warnings is set up from that list."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# How each such line begins: a failed sync's own line, and those that come instead of it or say
# why it failed.
SYNC_WARNINGS = [
    "sync finished org=",
    "sync lost the database",
    "sync interrupted org=",
    "sync not started",
    "sync could not use the database org=",
    "sync stopped at its time limit org=",
    "sync stop not recorded org=",
]


def what_to_monitor() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("\n### What to monitor\n")[1].split("\n### ")[0]


def strings_logged() -> set[str]:
    """Every string written in the code under jobs/."""
    return {
        node.value
        for path in sorted(ROOT.glob("jobs/**/*.py"))
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


@pytest.mark.parametrize("start", SYNC_WARNINGS)
def test_what_to_monitor_names_each_warning_of_a_sync_that_failed_or_stopped(start):
    """The lines `sync could not use the database`, `sync stopped at its time limit` and `sync
    stop not recorded` were logged and not named there."""
    section = " ".join(what_to_monitor().split())  # a line the README wraps is one line here

    assert re.search(rf"`{re.escape(start)}", section)
    assert any(string.startswith(start) for string in strings_logged())
