"""The README's What to monitor names each WARNING or ERROR line of the sync code that an
operator should watch, as the code writes it and at the level it is logged: an alert on
warnings is set up from that list. Every other such line is left out here, with the reason, so
a new one cannot be forgotten."""

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
    "dispatcher tick skipped error=",
    "daily prune of ",
    "sync retry lost org=",
    "sync retry not queued connection=",
    "sync put off connection=",
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
    "job post %s lists %d %ss; the first %d": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: %s %s cannot be read as a date": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: %s %s is in the future": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: %s is %s, not %s": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s came without readable content": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: description of %d characters cut": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: description of %d tags cut": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s has an application link": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: application link over %d characters cut": A_POST_READ_WITHOUT_A_VALUE,
    "%s shows nothing in the %d characters kept": A_POST_READ_WITHOUT_A_VALUE,
    "job post %s: language %s is over %d characters": A_POST_READ_WITHOUT_A_VALUE,
    "greenhouse response has no list of jobs": A_FAILED_REQUEST,
    "greenhouse response lists no jobs but": A_FAILED_REQUEST,
    "greenhouse response is %s %s bytes=": A_FAILED_REQUEST,  # not valid JSON, not UTF-8 text
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

# A logger's methods at WARNING or above, `warn` and `fatal` being old names of two of them,
# each with its level.
WATCHED_LEVELS = {
    "warning": "WARNING",
    "warn": "WARNING",
    "error": "ERROR",
    "exception": "ERROR",
    "critical": "CRITICAL",
    "fatal": "CRITICAL",
}
# The names of the levels logger.log is given, as `logging.WARNING`.
LEVEL_NAMES = {"DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL"}
# A level as the README gives it: "a WARNING", "WARNINGs", "an ERROR".
LEVEL_NAMED = re.compile(r"\b(WARNING|ERROR|CRITICAL)s?\b")
# What a logger call is made on, as written: `logger`, another logger named so, or the logging
# module (its root logger, or one it gets).
LOGGER = re.compile(r"logger\b|^logging\b")
# A helper that logs its callers' lines, each beginning with an argument named here, then
# the rest of how the helper's message begins (the start its caller gives is formatted in), at
# the level of the helper's own call that formats that argument in.
HELPERS = {
    "_retry_after_database_error": ("%s connection=", ("what", "failed")),
    "_scheduled_work_run": ("%s skipped error=", ("what",)),
}


def what_to_monitor() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("\n### What to monitor\n")[1].split("\n### ")[0]


def levels_named(start: str, section: str | None = None) -> set[str]:
    """The levels What to monitor (or `section`) gives the line that begins with `start`, one
    for each time it names it: the first named after it in its sentence (`…`, a WARNING;
    `…` and `…`, WARNINGs), or else the one that heads its item (Other ERRORs of syncs: …).
    None borrowed from another line's sentence: a line whose level is not said fails."""
    levels = set()
    for item in (what_to_monitor() if section is None else section).split("\n- "):
        item = " ".join(item.split())  # a line the README wraps is one line here
        # The code spans blanked, keeping their places: a level or full stop in one is not prose.
        prose = re.sub(r"`[^`]*`", lambda code: "`" + " " * (len(code[0]) - 2) + "`", item)
        head, colon, _ = prose.partition(": ")
        item_head = head if colon else ""
        for named in re.finditer(rf"`{re.escape(start)}", item):
            sentence_end = prose.find(". ", named.end())
            level = LEVEL_NAMED.search(
                prose, named.end(), len(prose) if sentence_end < 0 else sentence_end
            ) or LEVEL_NAMED.search(item_head)
            assert level, f"What to monitor says no level of {item[named.start() :][:80]}…"
            levels.add(level[1])
    return levels


@functools.cache
def lines_logged() -> dict[str, set[str]]:
    """How each line of the sync code logged at WARNING or above begins, with its levels."""
    logged: dict[str, set[str]] = {}
    for path in SYNC_CODE:
        for line, levels in lines_logged_in((ROOT / path).read_text(), path).items():
            logged.setdefault(line, set()).update(levels)
    return logged


def levels_logged(start: str) -> set[str]:
    """The levels at which the sync code logs the lines that begin with `start`."""
    return set().union(
        *(levels for line, levels in lines_logged().items() if line.startswith(start))
    )


def lines_logged_in(source: str, path: str) -> dict[str, set[str]]:
    """How each line of `source` logged at WARNING or above begins, with the levels it is
    logged at: its message as written, or, for a helper's, the start that each caller (or the
    default) gives it."""
    lines: dict[str, set[str]] = {}
    tree = ast.parse(source, path)
    helpers = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name in HELPERS
    ]
    # Each node inside a helper, with how the helper's lines for its callers begin.
    in_helpers = {
        id(node): HELPERS[helper.name][0] for helper in helpers for node in ast.walk(helper)
    }
    # Each argument of a helper that begins its lines, with the levels it is formatted in at.
    helper_levels: dict[str, dict[str, set[str]]] = {}
    for helper in helpers:
        helper_levels[helper.name] = _helper_argument_levels(helper)
        arguments = zip(helper.args.kwonlyargs, helper.args.kw_defaults, strict=True)
        for argument, default in arguments:
            if argument.arg in HELPERS[helper.name][1] and default is not None:
                lines.setdefault(_helper_line(helper.name, default), set()).update(
                    helper_levels[helper.name][argument.arg]
                )
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        if getattr(call.func, "id", None) in HELPERS:
            for keyword in call.keywords:
                if keyword.arg in HELPERS[call.func.id][1]:
                    lines.setdefault(_helper_line(call.func.id, keyword.value), set()).update(
                        helper_levels[call.func.id][keyword.arg]
                    )
        # A helper's other lines are its own, read as any other.
        elif (logged := _logged_message(call)) and not (
            id(call) in in_helpers and logged[0].startswith(in_helpers[id(call)])
        ):
            lines.setdefault(logged[0], set()).update(logged[1])
    return lines


def _helper_argument_levels(helper: ast.FunctionDef) -> dict[str, set[str]]:
    """The levels of the helper's lines that each of its arguments in HELPERS begins: those of
    its own calls that format the argument in first, as `logger.error("%s connection=%s",
    failed, …)`."""
    message, arguments = HELPERS[helper.name]
    levels: dict[str, set[str]] = {argument: set() for argument in arguments}
    for call in ast.walk(helper):
        logged = isinstance(call, ast.Call) and _logged_message(call)
        if logged and logged[0].startswith(message):
            first = call.args[2 if call.func.attr == "log" else 1]
            if getattr(first, "id", None) in levels:
                levels[first.id].update(logged[1])
    assert all(levels.values()), f"line {helper.lineno}: each start logged by the helper"
    return levels


def _helper_line(helper: str, start: ast.expr) -> str:
    assert isinstance(start, ast.Constant), f"line {start.lineno}: a start written out"
    return HELPERS[helper][0].replace("%s", start.value)


def _logged_message(call: ast.Call) -> tuple[str, set[str]] | None:
    """The message of a logger call at WARNING or above, which must be written out, so that
    this test can read it, and the levels of those it is logged at: for logger.log, those its
    level names (`logging.WARNING if failed else logging.INFO`)."""
    if not isinstance(call.func, ast.Attribute) or not LOGGER.search(ast.unparse(call.func.value)):
        return None
    method = call.func.attr
    if method == "log":
        named = {
            name
            for node in ast.walk(call.args[0])
            if (name := getattr(node, "attr", getattr(node, "id", None))) in LEVEL_NAMES
        }
        assert named, f"line {call.lineno}: a level written out, as logging.WARNING"
        levels = {WATCHED_LEVELS[name.lower()] for name in named if name.lower() in WATCHED_LEVELS}
    else:
        levels = {WATCHED_LEVELS[method]} if method in WATCHED_LEVELS else set()
    if not levels:
        return None
    message = call.args[1 if method == "log" else 0]
    assert isinstance(message, ast.Constant), f"line {call.lineno}: a message written out"
    return message.value, levels


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


@pytest.mark.parametrize("start", LISTED)
def test_what_to_monitor_gives_each_line_the_level_it_is_logged_at(start):
    """Only how each line begins was checked: a line said to be an ERROR and logged as a
    WARNING (or the other way) would be missed by the alert set up from the README."""
    assert levels_named(start) == levels_logged(start)


@pytest.mark.parametrize(
    ("call", "levels"),
    [
        ('logger.warn("sync new line org=%s", slug)', {"WARNING"}),
        ('logging.warning("sync new line org=%s", slug)', {"WARNING"}),
        ('logging.getLogger("jobs").error("sync new line org=%s", slug)', {"ERROR"}),
        ('audit_logger.critical("sync new line org=%s", slug)', {"CRITICAL"}),
        ('logger.exception("sync new line org=%s", slug)', {"ERROR"}),
        ('logger.log(logging.ERROR, "sync new line org=%s", slug)', {"ERROR"}),
        (
            'logger.log(logging.WARNING if slug else logging.INFO, "sync new line org=%s", slug)',
            {"WARNING"},
        ),
    ],
)
def test_it_reads_a_line_logged_on_any_logger_by_any_name_of_its_level(call, levels):
    """A line logged with `warn`, on the root logger or on a logger not named `logger` was not
    read, so it could be left out of the README unnoticed."""
    assert lines_logged_in(f"def sync(slug):\n    {call}\n", "jobs/sync.py") == {
        "sync new line org=%s": levels
    }


def test_it_leaves_out_a_line_logged_below_warning():
    source = 'def sync(slug):\n    logger.log(logging.INFO, "sync new line org=%s", slug)\n'

    assert lines_logged_in(source, "jobs/sync.py") == {}


def test_it_reads_a_helpers_own_lines_beside_those_it_logs_for_its_callers():
    """Every call inside the retry helper was skipped, a line of its own with them."""
    source = (
        'def _retry_after_database_error(*, what, failed="sync failed"):\n'
        '    logger.error("%s connection=%s", failed, 1)\n'
        '    logger.warning("%s connection=%s", what, 1)\n'
        '    logger.warning("sync retry not marked connection=%s", 1)\n'
        "\n"
        "def sync_org():\n"
        '    _retry_after_database_error(what="sync lost the database")\n'
        '    _retry_after_database_error(what="sync email lost", failed="sync email lost")\n'
    )

    assert lines_logged_in(source, "jobs/tasks.py") == {
        "sync failed connection=": {"ERROR"},
        "sync lost the database connection=": {"WARNING"},
        "sync email lost connection=": {"WARNING", "ERROR"},
        "sync retry not marked connection=%s": {"WARNING"},
    }


@pytest.mark.parametrize(
    ("section", "levels"),
    [
        ("- It logs `sync a org=…`, a WARNING.", {"WARNING"}),
        ("- `sync a org=…` and `sync b org=…` (WARNINGs).", {"WARNING"}),
        ("- `sync a org=…` (an ERROR: x), `sync b org=…` (a WARNING).", {"ERROR"}),
        ("- Other ERRORs: `sync b org=…` (a bug), `sync a org=…` (a loss).", {"ERROR"}),
        ("- `sync a org=…`, a WARNING.\n- Other ERRORs: `sync a org=…`.", {"WARNING", "ERROR"}),
    ],
)
def test_it_reads_the_level_the_readme_gives_a_line(section, levels):
    assert levels_named("sync a org=", section) == levels


@pytest.mark.parametrize(
    "section",
    [
        "- `sync b org=…`, a WARNING, and `sync a org=…`.",  # another line's, before it
        "- It logs `sync a org=…`. The next line is a WARNING.",  # another sentence's
        "- It logs `sync a org=…` (`WARNING` in LOG_LEVEL).",  # code, not prose
    ],
)
def test_it_takes_no_level_the_readme_gives_another_line(section):
    with pytest.raises(AssertionError, match="says no level of `sync a org="):
        levels_named("sync a org=", section)
