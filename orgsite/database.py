"""The database as a web request sees it fail: connected to once (connect_failure_reused)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

_connect_failure: ContextVar[OperationalError | None] = ContextVar("connect_failure", default=None)


def connect_failure() -> OperationalError | None:
    """The error of the connect that failed within connect_failure_reused's block, if one did."""
    return _connect_failure.get()


@contextmanager
def connect_failure_reused() -> Iterator[None]:
    """Within the block, a database that failed to connect is not asked again: each query after
    the failure raises its error at once. A signed-in visitor's page connected for the view,
    then again for request.user read after it (SignedInPagesNotStored), each waiting out
    connect_timeout on a PostgreSQL whose packets are dropped."""
    # On the instance: the class's own method is what it calls, and what is back after. A
    # request made within another (a test's) keeps the outer one's, which reads this block's
    # failure as well.
    wrappers = [
        wrapper for wrapper in connections.all() if "ensure_connection" not in vars(wrapper)
    ]
    token = _connect_failure.set(None)
    for wrapper in wrappers:
        wrapper.ensure_connection = _connected_once(wrapper)
    try:
        yield
    finally:
        for wrapper in wrappers:
            del wrapper.ensure_connection
        _connect_failure.reset(token)


def _connected_once(wrapper: BaseDatabaseWrapper) -> Callable[[], None]:
    def ensure_connection() -> None:
        failure = _connect_failure.get()
        if failure is not None and wrapper.connection is None:
            raise failure
        try:
            type(wrapper).ensure_connection(wrapper)
        except OperationalError as error:
            _connect_failure.set(error)
            raise

    return ensure_connection
