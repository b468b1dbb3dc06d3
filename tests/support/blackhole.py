"""A local TCP port that never completes a connect, for connect-timeout tests.

Its listen queue is full, so the kernel drops further SYNs, like a host behind a firewall that
drops packets. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def blackholed_port() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = [socket.socket() for _ in range(4)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
    # The queue (one connection, for a backlog of 0) is full once a filler's handshake is
    # done, which makes that filler writable: on loopback at once, not after a fixed 50 ms.
    select.select([], fillers, [], 5)
    try:
        yield port
    finally:
        for sock in [*fillers, server]:
            sock.close()
