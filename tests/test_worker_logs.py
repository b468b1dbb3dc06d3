"""What real `celery worker` processes write to their logs with LOG_FORMAT=json."""

from __future__ import annotations

import json

import pytest

from tests.support.logging_tasks import lines_log

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
    celery_processes.wait_for(lambda: "succeeded" in celery_processes.log_of(worker), timeout=60)
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
