"""tests/support/ports.py: a port picked for a server and taken by another process before the
server binds it costs a retry, not a failed test."""

from __future__ import annotations

import errno
import socket

import pytest

from tests.support import ports
from tests.support.ports import PortTaken, on_a_free_port, refusing_port


def serve(port: int) -> socket.socket:
    """A server in this process, started on the port given, as a subprocess would be."""
    server = socket.socket()
    try:
        server.bind(("127.0.0.1", port))
    except OSError as error:
        server.close()
        if error.errno == errno.EADDRINUSE:
            raise PortTaken(port) from error
        raise
    server.listen()
    return server


@pytest.fixture
def others():
    """Sockets of 'another process', closed at the end."""
    sockets: list[socket.socket] = []
    yield sockets
    for sock in sockets:
        sock.close()


def taking_the_first(picks: int, others: list[socket.socket]):
    """A picker whose first `picks` ports another process takes as soon as they are picked."""
    pick = ports.free_port

    def pick_then_take() -> int:
        port = pick()
        if len(others) < picks:
            others.append(serve(port))
        return port

    return pick_then_take


def test_a_port_taken_after_its_pick_is_given_up_for_another(monkeypatch, others):
    monkeypatch.setattr(ports, "free_port", taking_the_first(2, others))

    with on_a_free_port(serve) as server:
        assert server.getsockname()[1] not in {other.getsockname()[1] for other in others}

    assert len(others) == 2


def test_it_gives_up_after_its_attempts(monkeypatch, others):
    monkeypatch.setattr(ports, "free_port", taking_the_first(3, others))

    with pytest.raises(PortTaken):
        on_a_free_port(serve, attempts=3)


def test_a_refusing_port_refuses_and_no_one_else_can_listen_on_it():
    with refusing_port() as port:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        with pytest.raises(PortTaken):
            serve(port)
