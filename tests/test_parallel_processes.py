"""`make test` runs the suite in several processes (pytest-xdist): each empties and uses a Redis
database of its own as the broker of the real Celery processes its tests start."""

from __future__ import annotations

import pytest

from tests.support.helpers import redis_database_of_this_test_process


@pytest.mark.parametrize(
    ("process", "url", "used"),
    [
        (None, "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/15"),
        ("gw0", "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/15"),
        ("gw1", "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/14"),
        ("gw3", "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/12"),
        ("gw1", "redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/15"),
        ("gw1", "redis://127.0.0.1:6379", "redis://127.0.0.1:6379/15"),
        (
            "gw1",
            "redis://:s3cr%E2%82%ACt@127.0.0.1:6379/7",
            "redis://:s3cr%E2%82%ACt@127.0.0.1:6379/6",
        ),
    ],
)
def test_each_test_process_has_a_redis_database_of_its_own(monkeypatch, process, url, used):
    if process is None:
        monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    else:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", process)
    assert redis_database_of_this_test_process(url) == used
