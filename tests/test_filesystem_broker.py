"""The local broker (CELERY_BROKER_URL=filesystem://, orgsite/filesystem_broker.py): workers stop
in 3 seconds, no process ever reads a message or a routing table half written, and the files
that killed processes left unfinished are removed.

Web and worker are two connections in this process. The races are forced, not hoped for: a
reader looks at the folder each time the writer has just opened a file, the moment kombu's own
transport leaves a file created and not yet written."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import kombu
import pytest
from kombu.transport import filesystem, virtual

from orgsite.filesystem_broker import UNFINISHED_MAX_AGE_SECONDS, UNFINISHED_SUFFIX
from tests.support.settings_module import settings_under


@pytest.fixture
def connect(tmp_path: Path, monkeypatch) -> Callable[[], kombu.Connection]:
    """Opens a connection to the transport the settings name for filesystem://, its folders in
    `tmp_path`."""
    transport = settings_under(CELERY_BROKER_URL="filesystem://")["CELERY_BROKER_TRANSPORT"]
    folders = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "control_folder": str(tmp_path / "control"),
    }
    # Kombu keeps the bindings made in a process in one state for every connection, and writes a
    # binding's routing table only the first time: after another test bound the same queue, this
    # one's folder would get no table, and its messages no route.
    monkeypatch.setattr(filesystem.Transport, "global_state", virtual.BrokerState())
    return lambda: kombu.Connection("filesystem://", transport=transport, transport_options=folders)


@dataclass
class Looks:
    count: int = 0
    errors: list[Exception] = field(default_factory=list)


@contextmanager
def looking_after_each_open(look: Callable[[], Any]) -> Iterator[Looks]:
    """Calls `look` each time this thread has just opened a file (any `open` implemented in C:
    Python's, io's, os's), counting the looks and keeping what they raised."""
    looks = Looks()

    def profile(frame: Any, event: str, arg: Any) -> None:
        # Python calls no profile function while one runs: what `look` opens is not looked at.
        if event == "c_return" and getattr(arg, "__name__", None) == "open":
            looks.count += 1
            try:
                look()
            except Exception as exc:
                looks.errors.append(exc)

    sys.setprofile(profile)
    try:
        yield looks
    finally:
        sys.setprofile(None)


def test_a_worker_on_the_local_broker_looks_for_a_stop_four_times_a_second(connect):
    """Celery runs the filesystem transport in a loop that waits on it 2 seconds at a time and
    looks for a stop only between waits (then waits once more): a worker under `make run` took
    about 7 seconds to stop, most of runlocal's 10 seconds of grace, where it now takes 3."""
    with connect() as broker, mock.patch.object(filesystem.Transport, "drain_events") as wait:
        broker.drain_events(timeout=2.0)  # as celery.worker.loops.synloop asks

    wait.assert_called_once_with(mock.ANY, timeout=0.25)


def test_a_connection_to_the_local_broker_logs_no_warning_of_a_missing_host(connect, caplog):
    """Its URL names no host, as a folder needs none, and kombu warned "No hostname was supplied.
    Reverting to default 'localhost'" each time a connection was described or copied: six times
    as `make run` started, from the site, the worker, its pool processes and beat."""
    with caplog.at_level(logging.WARNING), connect() as web:
        web.SimpleQueue("celery").put({"number": 1})
        with web.clone() as worker:  # as Celery's worker does for its consumer and pool
            message = worker.SimpleQueue("celery").get(timeout=1)
            message.ack()

    assert message.payload == {"number": 1}
    assert caplog.messages == []


def test_a_worker_never_takes_a_message_as_it_is_being_written(connect):
    """Kombu's transport creates a message's file empty, then writes it: a worker that read the
    folder in between took the message empty, lost it and stopped ("Unrecoverable error:
    JSONDecodeError"), so that no sync ran after it and the org's page said "Queued…"."""
    taken: list[Any] = []
    with connect() as worker, connect() as web:
        # Bound before, as a running worker's queue is.
        queue = worker.SimpleQueue("celery")

        def take() -> None:
            try:
                message = queue.get_nowait()
            except queue.Empty:
                return
            taken.append(message.payload)
            message.ack()

        with looking_after_each_open(take) as looks:
            web.SimpleQueue("celery").put({"number": 1})
        take()

    assert looks.count > 0
    assert (taken, looks.errors) == ([{"number": 1}], [])


def test_a_web_process_never_reads_a_routing_table_as_it_is_being_created(connect):
    """Kombu's transport creates an exchange's routing table empty, then locks and writes it: a
    web process routing a message (or binding its queue) as a worker started, binding its own,
    read the table empty and failed ("JSONDecodeError"), the sync unqueued."""
    tables: list[list[Any]] = []
    with connect() as worker, connect() as web:

        def route() -> None:
            tables.append(web.default_channel.get_table("celery"))

        with looking_after_each_open(route) as looks:
            worker.SimpleQueue("celery")
        route()

    assert looks.count > 0 and looks.errors == []
    # (routing key, pattern, queue), the pattern only for topic exchanges
    assert tables[-1] == [("celery", "", "celery")]
    assert all(table in ([], tables[-1]) for table in tables)


def test_a_process_connecting_removes_the_files_that_killed_processes_left_unfinished(
    connect, tmp_path
):
    """A web process killed between writing a message and renaming it into the queue left its
    file there for good. One written in the last minutes may still be being written, and stays,
    as do messages waiting however long."""
    long_ago = time.time() - UNFINISHED_MAX_AGE_SECONDS - 60
    (tmp_path / "control").mkdir()
    abandoned_message = tmp_path / f"1_a.celery.msg.a{UNFINISHED_SUFFIX}"
    abandoned_table = tmp_path / "control" / f"celery.exchange.a{UNFINISHED_SUFFIX}"
    being_written = tmp_path / f"2_b.celery.msg.b{UNFINISHED_SUFFIX}"
    waiting = tmp_path / "0_c.celery.msg"
    for path in [abandoned_message, abandoned_table, being_written, waiting]:
        path.write_text("{}")
    for path in [abandoned_message, abandoned_table, waiting]:
        os.utime(path, (long_ago, long_ago))

    with connect() as broker:
        broker.connect()

    assert not abandoned_message.exists() and not abandoned_table.exists()
    assert being_written.exists() and waiting.exists()
