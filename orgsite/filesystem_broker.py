"""The filesystem transport of local runs (CELERY_BROKER_URL=filesystem://), quicker to stop,
never read half written, and rid of the files that processes killed while writing left behind."""

from __future__ import annotations

import contextlib
import time
import uuid
from pathlib import Path
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

# Celery runs a transport without sockets, as this one, in a loop that waits on it 2 seconds at
# a time (celery.worker.loops.synloop) and looks for a stop only between waits, then waits once
# more: a worker asked to stop sat there about 4 of the 7 seconds it took. The queue folder is
# then read 4 times a second instead of once, which costs nothing beside a sync.
MAX_WAIT_SECONDS = 0.25
# Workers take only files named <time>_<id>.<queue>.msg from the queue folder, and kombu reads
# only <exchange>.exchange from the control folder.
UNFINISHED_SUFFIX = ".unfinished"
# Such a file is written and renamed within milliseconds: one this old was left by a process
# killed in between, and is removed when a process next connects.
UNFINISHED_MAX_AGE_SECONDS = 600


class Channel(filesystem.Channel):
    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        for folder in {Path(self.data_folder_in), Path(self.data_folder_out), self.control_folder}:
            _remove_abandoned_files(folder)

    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:
        """Write the message whole under a name no worker takes, then rename it into the queue.

        Kombu's own creates the message's file empty and then writes it: a worker that reads the
        folder in between takes the file empty or cut short, and the message is lost. Celery
        stops that worker too ("Unrecoverable error: JSONDecodeError"), so no sync runs after it
        and the org's page says "Queued…" until the mark goes stale.
        """
        # Named as kombu names it: workers take the messages in the order of their names.
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        _write_whole(Path(self.data_folder_out) / name, payload)

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        """Create an exchange's routing table whole, as a message is written.

        Kombu's own creates the table's file empty and only then locks and writes it: a web
        process that published as a worker started, binding its queue, read the table empty
        and failed ("JSONDecodeError"). Once the table is there, kombu's adds to it in place
        under a lock that its readers wait for. Two processes creating it at the same moment
        still each write their own, and the last one stays, as with kombu's.
        """
        table = self._exchange_file(exchange)
        if table.exists():
            super()._queue_bind(exchange, routing_key, pattern, queue)
            return
        self.control_folder.mkdir(exist_ok=True)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        _write_whole(table, [binding])


def _write_whole(path: Path, content: Any) -> None:
    """Write `content` as JSON under a name kombu never reads, then rename it to `path`: other
    processes find `path` whole or not at all."""
    # A name of its own: two processes may create the same routing table at once.
    unfinished = path.with_name(f"{path.name}.{uuid.uuid4().hex}{UNFINISHED_SUFFIX}")
    try:
        unfinished.write_bytes(str_to_bytes(dumps(content)))
        unfinished.replace(path)
    except OSError as exc:
        unfinished.unlink(missing_ok=True)
        raise ChannelError(f"Cannot write {path}") from exc


def _remove_abandoned_files(folder: Path) -> None:
    """Remove the unfinished files of `folder` too old to be still being written."""
    too_old = time.time() - UNFINISHED_MAX_AGE_SECONDS
    # A folder missing, unreadable or read-only is for sending and taking messages to report.
    for unfinished in folder.glob(f"*{UNFINISHED_SUFFIX}"):
        # Also when another process removed it meanwhile.
        with contextlib.suppress(OSError):
            if unfinished.stat().st_mtime < too_old:
                unfinished.unlink()


class Transport(filesystem.Transport):
    Channel = Channel

    @property
    def default_connection_params(self) -> dict[str, Any]:
        # Kombu's virtual transports name the host "localhost" by default, and a connection whose
        # URL names none (filesystem://, as a folder needs none) logged "No hostname was
        # supplied. Reverting to default 'localhost'" each time it was described or copied: six
        # times as `make run` started. The worker's banner still shows it at localhost, the
        # default of kombu's Connection.as_uri, which warns of nothing.
        return {"port": self.default_port}

    def drain_events(self, connection: Any, timeout: float | None = None) -> None:
        if timeout is not None:
            timeout = min(timeout, MAX_WAIT_SECONDS)
        super().drain_events(connection, timeout=timeout)
