"""Fixtures standing in for the Celery broker: one that records, one that is down."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from jobs import tasks


@pytest.fixture
def queued(monkeypatch) -> list[tuple]:
    """What would have been sent to the broker."""
    sent: list[tuple] = []
    monkeypatch.setattr(
        tasks.sync_org, "apply_async", lambda args, **kwargs: sent.append(tuple(args))
    )
    return sent


@pytest.fixture
def sent_syncs(monkeypatch) -> list[tuple[tuple, dict]]:
    """The syncs that would have been sent to the broker, each with its arguments by name."""
    sent: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(
        tasks.sync_org,
        "apply_async",
        lambda args, kwargs=None, **options: sent.append((tuple(args), kwargs or {})),
    )
    return sent


@pytest.fixture
def broker_down(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.sync_org, "apply_async", refuse)
