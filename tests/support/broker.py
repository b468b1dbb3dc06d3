"""Fixtures standing in for the Celery broker: one that records, one that is down."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from jobs import tasks


@pytest.fixture
def queued(monkeypatch) -> list[tuple]:
    """The syncs that would have been sent to the broker, the dispatcher's included: each of
    its batches runs at once, as a worker would run it."""
    sent: list[tuple] = []
    monkeypatch.setattr(
        tasks.sync_org, "apply_async", lambda args, **kwargs: sent.append(tuple(args))
    )
    batches_run_at_once(monkeypatch)
    return sent


def batches_run_at_once(monkeypatch) -> None:
    """The dispatcher's batches (jobs.tasks.queue_claimed_syncs) run as they are sent."""
    monkeypatch.setattr(
        tasks.queue_claimed_syncs,
        "apply_async",
        lambda args, **kwargs: tasks.queue_claimed_syncs(*args),
    )


@pytest.fixture
def sent_syncs(monkeypatch) -> list[tuple[tuple, dict]]:
    """The syncs that would have been sent to the broker, each with its arguments by name, the
    dispatcher's batches run at once."""
    sent: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(
        tasks.sync_org,
        "apply_async",
        lambda args, kwargs=None, **options: sent.append((tuple(args), kwargs or {})),
    )
    batches_run_at_once(monkeypatch)
    return sent


@pytest.fixture
def broker_down(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.sync_org, "apply_async", refuse)
    monkeypatch.setattr(tasks.queue_claimed_syncs, "apply_async", refuse)
