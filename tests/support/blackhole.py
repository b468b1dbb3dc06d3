"""A local TCP port that never completes a connect, for connect-timeout tests.

Its listen queue is full, so the kernel drops further SYNs, like a host behind a firewall that
drops packets. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import socket
import time
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
    time.sleep(0.05)  # let the handshakes fill the queue
    try:
        yield port
    finally:
        for sock in [*fillers, server]:
            sock.close()
