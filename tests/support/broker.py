"""Fixtures standing in for the Celery broker: one that records, one that is down."""

from __future__ import annotations

import threading

import pytest
from kombu.exceptions import OperationalError

from jobs import tasks


@pytest.fixture
def queued(monkeypatch) -> list[tuple[tuple, dict]]:
    """The syncs that would have been sent to the broker, from any thread: each its arguments
    and its arguments by name, as apply() takes them and a worker would run them (the org's
    queue mark included). The dispatcher's batches run at once, as a worker would run them."""
    sent: list[tuple[tuple, dict]] = []
    lock = threading.Lock()

    def record(args, kwargs=None, **options) -> None:
        with lock:
            sent.append((tuple(args), kwargs or {}))

    monkeypatch.setattr(tasks.sync_org, "apply_async", record)
    monkeypatch.setattr(
        tasks.queue_claimed_syncs,
        "apply_async",
        lambda args, **kwargs: tasks.queue_claimed_syncs(*args),
    )
    return sent


@pytest.fixture
def broker_down(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.sync_org, "apply_async", refuse)
    monkeypatch.setattr(tasks.queue_claimed_syncs, "apply_async", refuse)
