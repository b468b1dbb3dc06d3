"""orgsite.gunicorn_config: with LOG_FORMAT=json, every line of the web process is JSON."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_gunicorn_writes_its_lines_and_its_access_log_as_json(tmp_path):
    port = free_port()
    process = subprocess.Popen(  # noqa: S603  (fixed arguments)
        [sys.executable, "-m", "gunicorn", "-c", "python:orgsite.gunicorn_config",
         "orgsite.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        cwd=REPO,
        env={**os.environ, "LOG_FORMAT": "json", "ORGSITE_VAR_DIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert get(port, "/favicon.ico") == 301
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert get(port, "/no-such-page/") == 404  # Django logs it, from the worker
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)

    lines = [line for line in (stdout + stderr).splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    messages = [(entry["logger"], entry["message"]) for entry in entries]
    assert len(set(messages)) == len(messages), "a line was written twice"
    loggers = {logger for logger, _ in messages}
    assert {"gunicorn.error", "gunicorn.access", "django.request"} <= loggers
    assert any('"GET /favicon.ico HTTP/1.1" 301' in message for _, message in messages)
