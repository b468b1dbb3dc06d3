"""A local TCP server in PostgreSQL's place that counts the connections made to it: it hangs up
on each (a server gone away), or answers each as PostgreSQL refusing the login; and the default
database alias pointed at it. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from unittest import mock

from django.db import DEFAULT_DB_ALIAS, connections
from django.db import connection as db_connection
from django.db.utils import load_backend

# The requests a client may send before its startup message, each answered "N" (not offered).
_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104
_CLEARTEXT_PASSWORD = 3  # AuthenticationCleartextPassword's code
# DATABASE_URL's password in default_database_at: no log line may show it.
DATABASE_PASSWORD = "s3cret-Pa55word"


@dataclass
class FakePostgres:
    port: int
    connections: list[tuple[str, int]] = field(default_factory=list)


@contextmanager
def fake_postgres(
    *, refusal: tuple[str, str] | None = None, asks_password: bool = False
) -> Iterator[FakePostgres]:
    """A server that hangs up on every connection, or answers its startup message with
    PostgreSQL's FATAL error of `refusal` (a SQLSTATE and a message), or, `asks_password`,
    asks for a password in clear text."""
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
            with client, suppress(OSError):  # the client may hang up at any point
                if refusal is not None or asks_password:
                    _startup_read(client)
                if refusal is not None:
                    client.sendall(_fatal_error(*refusal))
                elif asks_password:
                    client.sendall(b"R" + struct.pack("!ii", 8, _CLEARTEXT_PASSWORD))
                    client.recv(1024)  # the password, or the client hanging up without one

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown(socket.SHUT_RDWR)  # wakes the accept, which closing alone does not
        server.close()
        thread.join(timeout=5)


def _startup_read(client: socket.socket) -> None:
    """Read the client's startup message, answering "N" (not offered) to the requests for SSL
    or GSS encryption it may send first."""
    client.settimeout(5)
    while True:
        length, code = struct.unpack("!ii", _read(client, 8))
        if code not in (_SSL_REQUEST, _GSSENC_REQUEST):
            _read(client, length - 8)  # the startup message's parameters
            return
        client.sendall(b"N")


def _fatal_error(sqlstate: str, message: str) -> bytes:
    fields = b"".join(
        kind + text.encode() + b"\0"
        for kind, text in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message))
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


def _read(client: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = client.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the client hung up")
        data += chunk
    return data


@contextmanager
def default_database_at(port: int, *, password: str = DATABASE_PASSWORD) -> Iterator[None]:
    """The default alias made a PostgreSQL one on 127.0.0.1:`port` (whatever the tests run on),
    as DATABASE_URL would make it, `password` and all; the real one back after."""
    settings_dict = {
        **db_connection.settings_dict,
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "127.0.0.1",
        "PORT": port,
        "NAME": "orgsite",
        "USER": "orgsite",
        "PASSWORD": password,
        "OPTIONS": {"connect_timeout": 5},
    }
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict)
    try:
        with mock.patch.object(connections._connections, DEFAULT_DB_ALIAS, wrapper):
            yield
    finally:
        wrapper.close()
