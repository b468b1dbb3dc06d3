"""orgsite.gunicorn_config: with LOG_FORMAT=json, every line of the web process is JSON; with
either format, gunicorn's own lines are written with their passwords masked."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.ports import listening_port

REPO = Path(__file__).resolve().parent.parent


# A URL with a password, which gunicorn's lines name as they were given.
PROXY = "http://sync:s3cret@proxy.example:3128"
# One with a password in its query, which the cache's client reads.
CACHE_URL = "redis://cache.invalid:6379/0?password=c4che"

# A start under load has taken over 30 s (the worker imports Django before it answers).
START_TIMEOUT = 120


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=START_TIMEOUT)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_gunicorn_writes_its_lines_and_its_access_log_as_json(tmp_path):
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"

    def logs() -> str:
        return stdout.read_text() + stderr.read_text()

    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.Popen(  # noqa: S603  (fixed arguments)
            [sys.executable, "-m", "gunicorn", "-c", "python:orgsite.gunicorn_config",
             "orgsite.wsgi", "--workers", "1", "--bind", "127.0.0.1:0"],
            cwd=REPO,
            env={**os.environ, "LOG_FORMAT": "json", "ORGSITE_VAR_DIR": str(tmp_path)},
            stdout=out,
            stderr=err,
        )  # fmt: skip
    try:
        port = listening_port(process, logs, timeout=START_TIMEOUT)
        # One request, which waits in the bound socket's queue until the worker has started. Not
        # tried again on a timeout: the worker answers and logs every request left in the queue,
        # each the same line in the same second, which the check for lines written twice failed.
        assert get(port, "/favicon.ico") == 301, logs()
        # Django logs it, from the worker; gunicorn's access line names its query too.
        assert get(port, f"/no-such-page/?next={PROXY}") == 404, logs()
    except (OSError, http.client.HTTPException) as exc:
        pytest.fail(f"gunicorn did not answer ({exc!r}); its logs:\n{logs()}")
    finally:
        process.terminate()
        process.wait(timeout=START_TIMEOUT)

    # Each failure shows the logs: a failure under load is otherwise hard to tell from another.
    written = logs()
    lines = [line for line in written.splitlines() if line.strip()]
    try:
        entries = [json.loads(line) for line in lines]
    except json.JSONDecodeError as exc:  # which says where, not which line
        pytest.fail(f"a line is not JSON ({exc}):\n{written}")
    messages = [(entry["logger"], entry["message"]) for entry in entries]
    assert len(set(messages)) == len(messages), f"a line was written twice:\n{written}"
    loggers = {logger for logger, _ in messages}
    assert {"gunicorn.error", "gunicorn.access", "django.request"} <= loggers, written
    assert any('"GET /favicon.ico HTTP/1.1" 301' in message for _, message in messages), written
    assert (
        "?next=http://sync:***@proxy.example:3128 HTTP/1.1" in written and "s3cret" not in written
    )


def test_gunicorn_writes_its_own_lines_with_their_passwords_masked(tmp_path):
    """gunicorn's loggers write through handlers it makes before the site loads, without the
    site's filter: its master, at --log-level debug, wrote each --env value as it was given.
    (With LOG_FORMAT=json, its access log, above.)"""
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as err:
        process = subprocess.Popen(  # noqa: S603  (fixed arguments)
            [sys.executable, "-m", "gunicorn", "-c", "python:orgsite.gunicorn_config",
             "orgsite.wsgi", "--workers", "1", "--bind", "127.0.0.1:0", "--log-level", "debug",
             "--env", f"HTTPS_PROXY={PROXY}", "--env", f"CACHE_URL={CACHE_URL}"],
            cwd=REPO,
            env={**os.environ, "LOG_FORMAT": "plain", "ORGSITE_VAR_DIR": str(tmp_path)},
            stdout=subprocess.DEVNULL,
            stderr=err,
        )  # fmt: skip
    try:
        # The master logs its configuration before it binds: no worker need start.
        listening_port(process, stderr.read_text, timeout=START_TIMEOUT)
    finally:
        process.terminate()
        process.wait(timeout=START_TIMEOUT)

    written = stderr.read_text()
    raw_env = "raw_env: ['HTTPS_PROXY=http://sync:***@proxy.example:3128', "
    assert f"{raw_env}'CACHE_URL=redis://cache.invalid:6379/0?password=***']" in written, written
    assert "s3cret" not in written and "c4che" not in written
