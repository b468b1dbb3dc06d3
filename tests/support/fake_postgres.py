"""A local TCP server in PostgreSQL's place that counts the connections made to it: it hangs up
on each (a server gone away), or answers each as PostgreSQL refusing the login. Nothing leaves
127.0.0.1."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# The requests a client may send before its startup message, each answered "N" (not offered).
_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104


@dataclass
class FakePostgres:
    port: int
    connections: list[tuple[str, int]] = field(default_factory=list)


@contextmanager
def fake_postgres(*, refusal: tuple[str, str] | None = None) -> Iterator[FakePostgres]:
    """A server that hangs up on every connection, or, given `refusal` (a SQLSTATE and a
    message), answers its startup message with PostgreSQL's FATAL error of them."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    fake = FakePostgres(port=server.getsockname()[1])

    def serve() -> None:
        while True:
            try:
                client, address = server.accept()
            except OSError:  # shut down: the test is over
                return
            fake.connections.append(address)
            with client:
                if refusal is not None:
                    _refuse(client, *refusal)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown(socket.SHUT_RDWR)  # wakes the accept, which closing alone does not
        server.close()
        thread.join(timeout=5)


def _refuse(client: socket.socket, sqlstate: str, message: str) -> None:
    client.settimeout(5)
    while True:
        length, code = struct.unpack("!ii", _read(client, 8))
        if code not in (_SSL_REQUEST, _GSSENC_REQUEST):
            _read(client, length - 8)  # the startup message's parameters
            break
        client.sendall(b"N")
    fields = b"".join(
        kind + text.encode() + b"\0"
        for kind, text in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message))
    )
    body = fields + b"\0"
    client.sendall(b"E" + struct.pack("!i", len(body) + 4) + body)


def _read(client: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = client.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the client hung up")
        data += chunk
    return data
