"""What real `celery worker` and `celery beat` processes write to their logs: to standard error or
to the file of --logfile, in the format LOG_FORMAT chooses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.logging_tasks import PASSWORD, lines_log

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
pytest_plugins = ["tests.support.celery_processes"]  # celery_processes


def json_entries(log: str) -> list[dict]:
    """The lines of `log` from its first JSON one, each read as JSON (none may be other text):
    before it, Celery's warning of a worker run as root (the tests' account in CI) is plain
    text, written before the worker sets up its logging, as the README says."""
    lines = log.splitlines()
    lines = lines[next(index for index, line in enumerate(lines) if line.startswith("{")) :]
    assert [line for line in lines if not line.startswith("{")] == []
    return [json.loads(line) for line in lines]


def text_of(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def test_with_json_logs_a_task_loggers_line_is_json_with_the_task(celery_processes):
    """Celery's task logger, to which get_task_logger's loggers write, kept its own plain
    format ("[…: WARNING/ForkPoolWorker-1] tests.support.logging_tasks.lines_log[…]: …")
    among the JSON lines."""
    celery_processes.use_broker("filesystem")
    celery_processes.env["LOG_FORMAT"] = "json"
    worker = celery_processes.start(
        "worker",
        "--concurrency=1",
        "--loglevel=INFO",
        "--include=tests.support.logging_tasks",
        quiet=True,
    )
    celery_processes.wait_until_ready(worker)

    with celery_processes.publishing_here():
        task_id = lines_log.delay().id
    celery_processes.wait_for(lambda: "succeeded" in celery_processes.log_of(worker))
    celery_processes.stop()

    entries = json_entries((celery_processes.var_dir / "worker-0.log").read_text())
    line = next(entry for entry in entries if entry["message"] == "a task logger's line")
    assert {name: value for name, value in line.items() if name != "time"} == {
        "level": "WARNING",
        "logger": "tests.support.logging_tasks",
        "message": "a task logger's line",
        "task_id": task_id,
        "task_name": "tests.support.logging_tasks.lines_log",
    }


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_a_worker_with_a_logfile_writes_every_line_there_in_the_format_chosen(
    celery_processes, log_format
):
    """With LOG_FORMAT=json, only a task logger's lines went to the file, in plain text: the
    others went on to standard error, in JSON. Passwords are masked there as anywhere, in what a
    task prints too."""
    celery_processes.use_broker("filesystem")
    celery_processes.env["LOG_FORMAT"] = log_format
    logfile = celery_processes.var_dir / "worker-file.log"
    worker = celery_processes.start(
        "worker",
        "--concurrency=1",
        "--loglevel=INFO",
        "--include=tests.support.logging_tasks",
        f"--logfile={logfile}",
        quiet=True,
    )
    # Written to either: the test fails below, not by a timeout, on lines gone to the other.
    celery_processes.wait_for(
        lambda: " ready." in celery_processes.log_of(worker) + text_of(logfile),
        timeout=celery_processes.start_timeout,
    )

    with celery_processes.publishing_here():
        task_id = lines_log.delay().id
    celery_processes.wait_for(
        lambda: "succeeded" in celery_processes.log_of(worker) + text_of(logfile)
    )
    output = celery_processes.log_of(worker)
    celery_processes.stop()

    written = logfile.read_text()
    assert "ready." not in output and PASSWORD not in output + written
    assert "a greenhouse line url=http://sync:***@proxy:3128" in written
    assert "a printed line url=http://sync:***@proxy:3128" in written
    if log_format == "plain":
        assert f"lines_log[{task_id}]: a task logger's line" in written
    else:
        entries = [json.loads(line) for line in written.splitlines()]
        messages = {entry["message"]: entry for entry in entries}
        assert messages["a task logger's line"]["task_id"] == task_id
        assert any(message.endswith(" ready.") for message in messages)


def test_a_beat_with_a_logfile_writes_every_line_there_in_json(celery_processes):
    """With LOG_FORMAT=json, beat's lines went on to standard error, its file left empty."""
    celery_processes.use_broker("filesystem")
    celery_processes.env["LOG_FORMAT"] = "json"
    logfile = celery_processes.var_dir / "beat-file.log"
    beat = celery_processes.start("beat", "--loglevel=INFO", f"--logfile={logfile}", quiet=True)

    celery_processes.wait_for(
        lambda: "beat: Starting..." in celery_processes.log_of(beat) + text_of(logfile),
        timeout=celery_processes.start_timeout,
    )
    output = celery_processes.log_of(beat)
    celery_processes.stop()

    assert "Starting" not in output
    entries = [json.loads(line) for line in logfile.read_text().splitlines()]
    assert "beat: Starting..." in [entry["message"] for entry in entries]
