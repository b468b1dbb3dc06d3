"""Ports for the servers that tests start.

A server in the test's process binds port 0 and reads the port it got (FakeGreenhouse, pytest's
live_server), and so does a process that says which port it bound (gunicorn's "Listening at").
Any other is given a port that was free a moment ago, which another process can take before the
server binds it: `on_a_free_port` then starts it again on another. A port that must refuse
connections stays bound by the test while it is used (`refusing_port`).
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

# Gunicorn's line once it has bound its socket; bound to port 0, it names the port it got.
LISTENING_AT = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+) ")


class PortTaken(Exception):
    """Raised by a start function whose server found its port in use."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def on_a_free_port(start: Callable[[int], T], *, attempts: int = 3) -> T:
    """`start(port)` on a free port and, each time it raises PortTaken, on another one."""
    for _ in range(attempts - 1):
        try:
            return start(free_port())
        except PortTaken:
            pass
    return start(free_port())


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port that refuses connections: bound and not listening, so that no other process can
    listen on it meanwhile, as it could on one closed after its pick."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def listening_port(
    process: subprocess.Popen, logs: Callable[[], str], *, timeout: float = 30
) -> int:
    """The port a gunicorn started with `--bind 127.0.0.1:0` bound, read from its `logs()`; one
    picked beforehand could be taken before gunicorn binds it. Used by bench/ too."""
    deadline = time.monotonic() + timeout
    while not (found := LISTENING_AT.search(logs())):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start listening:\n{logs()}")
        time.sleep(0.1)
    return int(found[1])
