"""The README's What to monitor names each WARNING or ERROR line of the sync code that an
operator should watch, as the code writes it: an alert on warnings is set up from that list.
Every other such line is left out here, with the reason, so a new one cannot be forgotten."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The modules that queue, run and retry syncs, fetch their boards and send their emails.
SYNC_CODE = [
    "jobs/sync.py",
    "jobs/tasks.py",
    "jobs/alerts.py",
    "jobs/scheduling.py",
    "jobs/greenhouse.py",
]

# How each line the README names begins.
LISTED = [
    "sync finished org=",
    "sync lost the database",
    "sync interrupted org=",
    "sync not started",
    "sync could not use the database org=",
    "sync stopped at its time limit org=",
    "sync stop not recorded org=",
    "sync email check stopped at its time limit org=",
    "sync lease release deferred org=",
    "sync email check deferred org=",
    "sync lease not freed connection=",
    "sync email not checked connection=",
    "sync lease left to run out org=",
    "sync email check left to the next sync org=",
    "sync lease left to run out connection=",
    "sync email check left to the next sync connection=",
    "sync abandoned org=",
    "sync skipped a post org=",
    "sync email failed org=",
    "sync email crashed org=",
    "sync email refused org=",
    "sync email not sent org=",
    "sync crashed org=",
    "sync failed connection=",
    "broker unavailable, sync not queued connection=",
    "sync retry lost org=",
]

A_POST_READ_WITHOUT_A_VALUE = (
    "a value of one post that Greenhouse sent unreadable or too long: the post is imported "
    "without it, or skipped with `sync skipped a post`, listed; the board's to mend, not the site"
)
A_FAILED_REQUEST = (
    "why a request to Greenhouse failed: the sync fails on it, and its `sync finished` line, "
    "listed, follows with the error its org's admins see (a board checked as it is saved "
    "shows the error on the form)"
)
# How each line left out begins, and why it is.
NOT_LISTED = {
    "job post %s came without its ": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: clean description of ": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: %d of %d metadata fields dropped": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: %s %.100r cannot be read as a date": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: %s %s is in the future": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: %s is %s, not %s": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s came without readable content": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: description of %d characters cut": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: description of %d tags cut": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s has an application link": A_POST_READ_WITHOUT_A_VALUE,
    "%s shows nothing in the %d characters kept": A_POST_READ_WITHOUT_A_VALUE,
    "greenhouse response has no list of jobs": A_FAILED_REQUEST,
    "greenhouse response lists no jobs but": A_FAILED_REQUEST,
    "greenhouse response is not valid JSON": A_FAILED_REQUEST,
    "greenhouse board response is no object": A_FAILED_REQUEST,
    "greenhouse answered 304 Not Modified to a request without a validator": A_FAILED_REQUEST,
    "greenhouse request passed its": A_FAILED_REQUEST,
    "greenhouse response was cut off": A_FAILED_REQUEST,
    "greenhouse connection failed": A_FAILED_REQUEST,
    "greenhouse response could not be decompressed": A_FAILED_REQUEST,
    "greenhouse address %s": A_FAILED_REQUEST,
    "greenhouse response over the size cap": A_FAILED_REQUEST,
    "greenhouse request failed": A_FAILED_REQUEST,
    "greenhouse %s status=": A_FAILED_REQUEST,
}

# A logger's methods at WARNING or above, `warn` and `fatal` being old names of two of them.
WATCHED_LEVELS = {"warning", "warn", "error", "exception", "critical", "fatal"}
# What a logger call is made on, as written: `logger`, another logger named so, or the logging
# module (its root logger, or one it gets).
LOGGER = re.compile(r"logger\b|^logging\b")
# A helper that logs its callers' lines, each beginning with an argument named here, then
# " connection=".
HELPERS = {"_retry_after_database_error": ("what", "failed")}
# How such a helper's message begins: the start its caller gives, formatted in.
HELPER_MESSAGE = "%s connection="


def what_to_monitor() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("\n### What to monitor\n")[1].split("\n### ")[0]


@functools.cache
def lines_logged() -> frozenset[str]:
    """How each line of the sync code logged at WARNING or above begins."""
    return frozenset(
        line for path in SYNC_CODE for line in lines_logged_in((ROOT / path).read_text(), path)
    )


def lines_logged_in(source: str, path: str) -> set[str]:
    """How each line of `source` logged at WARNING or above begins: its message as written,
    or, for a helper's, the start that each caller (or the default) gives it."""
    lines = set()
    tree = ast.parse(source, path)
    helpers = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name in HELPERS
    ]
    in_helpers = {id(node) for helper in helpers for node in ast.walk(helper)}
    for helper in helpers:
        arguments = zip(helper.args.kwonlyargs, helper.args.kw_defaults, strict=True)
        lines |= {
            _helper_line(default)
            for argument, default in arguments
            if argument.arg in HELPERS[helper.name] and default is not None
        }
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        if getattr(call.func, "id", None) in HELPERS:
            lines |= {
                _helper_line(keyword.value)
                for keyword in call.keywords
                if keyword.arg in HELPERS[call.func.id]
            }
        # A helper's other lines are its own, read as any other.
        elif (message := _logged_message(call)) and not (
            id(call) in in_helpers and message.startswith(HELPER_MESSAGE)
        ):
            lines.add(message)
    return lines


def _helper_line(start: ast.expr) -> str:
    assert isinstance(start, ast.Constant), f"line {start.lineno}: a start written out"
    return HELPER_MESSAGE.replace("%s", start.value)


def _logged_message(call: ast.Call) -> str | None:
    """The message of a logger call at WARNING or above (any level for logger.log), which must
    be written out, so that this test can read it."""
    if not isinstance(call.func, ast.Attribute) or not LOGGER.search(ast.unparse(call.func.value)):
        return None
    level = call.func.attr
    if level not in WATCHED_LEVELS | {"log"}:
        return None
    message = call.args[1 if level == "log" else 0]
    assert isinstance(message, ast.Constant), f"line {call.lineno}: a message written out"
    return message.value


@pytest.mark.parametrize("start", LISTED)
def test_what_to_monitor_names_each_line_of_a_sync_to_watch(start):
    """The lines `sync could not use the database`, `sync stopped at its time limit` and `sync
    stop not recorded` were logged and not named there, nor those of a sync that left its lock
    or email check for later, was abandoned or skipped a post."""
    section = " ".join(what_to_monitor().split())  # a line the README wraps is one line here

    assert re.search(rf"`{re.escape(start)}", section)
    assert any(line.startswith(start) for line in lines_logged())


def test_each_warning_or_error_of_the_sync_code_is_named_or_left_out_with_a_reason():
    known = LISTED + list(NOT_LISTED)

    forgotten = {line for line in lines_logged() if not line.startswith(tuple(known))}

    assert forgotten == set(), "name these in README's What to monitor, or say why not"


def test_each_line_left_out_is_still_logged():
    assert [
        start for start in NOT_LISTED if not any(line.startswith(start) for line in lines_logged())
    ] == []


@pytest.mark.parametrize(
    "call",
    [
        'logger.warn("sync new line org=%s", slug)',
        'logging.warning("sync new line org=%s", slug)',
        'logging.getLogger("jobs").error("sync new line org=%s", slug)',
        'audit_logger.critical("sync new line org=%s", slug)',
        'logger.log(logging.ERROR, "sync new line org=%s", slug)',
    ],
)
def test_it_reads_a_line_logged_on_any_logger_by_any_name_of_its_level(call):
    """A line logged with `warn`, on the root logger or on a logger not named `logger` was not
    read, so it could be left out of the README unnoticed."""
    assert lines_logged_in(f"def sync(slug):\n    {call}\n", "jobs/sync.py") == {
        "sync new line org=%s"
    }


def test_it_reads_a_helpers_own_lines_beside_those_it_logs_for_its_callers():
    """Every call inside the retry helper was skipped, a line of its own with them."""
    source = (
        'def _retry_after_database_error(*, what, failed="sync failed"):\n'
        '    logger.warning("%s connection=%s", what, 1)\n'
        '    logger.warning("sync retry not marked connection=%s", 1)\n'
        "\n"
        "def sync_org():\n"
        '    _retry_after_database_error(what="sync lost the database")\n'
    )

    assert lines_logged_in(source, "jobs/tasks.py") == {
        "sync failed connection=",
        "sync lost the database connection=",
        "sync retry not marked connection=%s",
    }
