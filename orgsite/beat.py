"""Beat's scheduler: Celery's own, keeping when each task last ran in a file (settings'
CELERY_BEAT_SCHEDULE_FILENAME, under ORGSITE_VAR_DIR)."""

from __future__ import annotations

import errno
import logging
import shelve
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from pickle import UnpicklingError
from typing import NoReturn, TypeGuard

from celery import beat

from orgsite.env import REFUSED_SETTINGS_EXIT_STATUS, running_account

logger = logging.getLogger(__name__)

# The system refused the file (an OSError with an errno: the account's rights, a full disk, a lock,
# too many open files, an I/O error): deleting it, as Celery does with a file it cannot read, would
# not help (on a full disk, it threw away when each task last ran to make room), and starting
# again would fail the same way until the cause is seen to. A corrupt file raises dbm's errors,
# pickle's, an EOFError or an OSError of no errno, save Berkeley DB (ndbm, Debian's python3): it
# answers a file it cannot read as a database with EINVAL, "Invalid argument".
CORRUPT_FILE_ERRNOS = frozenset({errno.EINVAL})
# What to do, by the error.
_NO_ROOM = (
    "Make room on its filesystem, or in the disk quota of the account running beat "
    "({account}); the file is kept as it was."
)
CANNOT_WRITE = (
    "The account running beat ({account}) must be able to write that file and its directory "
    "(ORGSITE_VAR_DIR, by default)."
)
WHAT_TO_DO = {
    errno.ENOSPC: _NO_ROOM,
    errno.EDQUOT: _NO_ROOM,
    errno.EROFS: (
        "Its filesystem is mounted read-only: beat needs one it may write (ORGSITE_VAR_DIR, by "
        "default); the file is kept as it was."
    ),
    # GNU dbm's lock on a file another beat has open: Celery deleted that beat's file and ran
    # beside it, each periodic task then sent twice.
    errno.EAGAIN: (
        "Another beat has it open (GNU dbm locks it), and a second would send each periodic "
        "task twice: run one beat alone; the file is kept as it was."
    ),
    # The account's rights (a deploy's `migrate` run as root) or a path beat cannot make.
    **dict.fromkeys(
        (errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR, errno.EISDIR), CANNOT_WRITE
    ),
    # The limits of open files, the process's and the system's, and a failing disk.
    errno.EMFILE: (
        "Beat has as many files open as its limit allows: raise the limit of open files of "
        "the account running beat ({account}) (ulimit -n, systemd's LimitNOFILE=); the "
        "file is kept as it was."
    ),
    errno.ENFILE: (
        "The system has as many files open as it allows: raise its limit (the sysctl "
        "fs.file-max) or stop what holds them; the file is kept as it was."
    ),
    errno.EIO: (
        "Its disk or filesystem failed: see the system's log (dmesg), then start beat "
        "again; the file is kept as it was."
    ),
}
# Which of the open, the read or the write the system refused, by the error, where not the write:
# "cannot write" for too many open files or an I/O error sent the operator to the rights.
CANNOT = {
    **dict.fromkeys((errno.EAGAIN, errno.EMFILE, errno.ENFILE), "open"),
    errno.EIO: "read or write",
}
# Any other: nothing beat could mend.
REFUSED = (
    "Deleting the file and making it again, as Celery did, would not mend that: start beat "
    "again once its cause is seen to; the file is kept as it was."
)


def refused_by_the_system(exc: BaseException) -> TypeGuard[OSError]:
    """Whether beat's error on its schedule file is the system's refusal, not the file's
    corruption."""
    return isinstance(exc, OSError) and bool(exc.errno) and exc.errno not in CORRUPT_FILE_ERRNOS


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


# What pickle raises reading bytes that are no pickle (ValueError holds UnicodeDecodeError).
NO_PICKLE_ERRORS = (EOFError, UnpicklingError, ValueError, OverflowError, TypeError)


class PersistentScheduler(beat.PersistentScheduler):
    """Celery's scheduler, but one that stops beat with one line naming the file, the error and
    what to do when the system refuses the file (the account's rights, a full disk, a read-only
    mount, another beat's lock, too many open files, an I/O error). Celery's own takes any error
    opening it for a corrupt file: it logs so, deletes the file (or tries to, dying with a
    traceback some 1,300 lines long that names neither ORGSITE_VAR_DIR nor the account)."""

    _refused = False  # the system refused the file: beat is stopping with status 4

    def setup_schedule(self) -> None:
        # Python's own dbm (dbm.dumb, where Python has neither GNU dbm nor ndbm, as pyenv's
        # builds may) opens a file it may read but not write, another account's: the first
        # write, as the schedule is set up, then fails.
        with self._stopped_if_refused():
            self._restore_an_index_cut_short()
            super().setup_schedule()

    def _restore_an_index_cut_short(self) -> None:
        # dbm.dumb writes its index, the .dir, anew at each save, the one before kept as .bak.
        # A save refused as beat closed the file, its own saves having gone through (another
        # process filling the disk between them), left the .dir empty, the index in the .bak,
        # which dbm.dumb never reads: beat made the schedule again, when each task last ran lost.
        index = Path(f"{self.schedule_filename}.dir")
        backup = Path(f"{self.schedule_filename}.bak")
        if _size(backup) and not _size(index):
            backup.replace(index)
            logger.warning(
                "beat found its schedule file's index %s empty, a save refused (a full disk): "
                "it is restored from %s, as last saved.",
                index,
                backup,
            )

    def _create_schedule(self) -> None:
        try:
            # Celery reads the entries next, taking some of pickle's errors (fewer in older
            # releases) for none, and setup_schedule the other two, outside Celery's checks of
            # a corrupt file: a .dat whose bytes a crash left zeros had beat die of an
            # UnpicklingError traceback there. The shelf keeps what it read (writeback): only
            # the unpickling is in this try, as a TypeError or ValueError of code, Celery's or
            # ours, taken for a corrupt file would delete a good one at every start.
            with suppress(TypeError, ValueError):
                # Celery's to take (5.7): it makes the entries again, with a warning, from
                # beat_schedule; a stored crontab its release now refuses raises a ValueError.
                self._store.get("entries")
            for key in ("tz", "utc_enabled"):
                self._store.get(key)
        except NO_PICKLE_ERRORS as exc:
            # No pickle where the index, the .dir, lists a value: a .dat emptied (a copy cut
            # short, a disk that filled as it was written), zeroed or other bytes.
            self._store = self._destroy_open_corrupted_schedule(exc)
        super()._create_schedule()

    def _destroy_open_corrupted_schedule(self, exc: Exception) -> shelve.Shelf:
        # Celery takes any error opening the file for a corrupt file, and a refused write too
        # (its dbm.error holds OSError) as it writes the first entries of a file of none (a beat
        # stopped as it made it): it logged the error with its traceback, and deleted the file.
        if refused_by_the_system(exc):
            self._stop_on_unwritable_file(exc)
        return super()._destroy_open_corrupted_schedule(exc)

    def sync(self) -> None:
        # Celery saves the schedule as beat runs (every few minutes, and after some tasks sent)
        # and as it stops. A save the system refuses (a disk filled since beat started) ended it
        # with a traceback from Celery's run loop, and another as it saved again at its stop.
        # It stops as at its start: a beat kept running would save no more, not even once room
        # is made (the shelf turns its writeback off as it writes and a failed write leaves it
        # off), losing when each task last ran at its stop without a word.
        with self._stopped_if_refused():
            super().sync()

    def close(self) -> None:
        with self._stopped_if_refused(closing=True):  # dbm.dumb writes its index as it closes
            super().close()
        if self._refused:
            # Celery's run loop takes the SystemExit raised at a refused save for a stop, and
            # closes the scheduler: the status is given again, or beat exited 0.
            raise SystemExit(REFUSED_SETTINGS_EXIT_STATUS)

    @contextmanager
    def _stopped_if_refused(self, *, closing: bool = False) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            if not refused_by_the_system(exc):
                raise
            if closing:
                self._store = None  # closed, though its last write failed
            self._stop_on_unwritable_file(exc)

    def _stop_on_unwritable_file(self, exc: OSError) -> NoReturn:
        store = getattr(self, "_store", None)
        if store is not None:
            # Closed as the process exits, the shelf and dbm.dumb would each write again what
            # could not be written, and log their failure with its traceback. The shelf's
            # close (its __del__'s) does nothing once its dict is None, not even sync.
            with suppress(OSError):
                store.dict.close()  # dbm.dumb's forgets its index even when its write fails
            store.dict = None
            self._store = None  # nor saved by Celery again as it closes the scheduler
        self._refused = True
        logger.critical(
            "beat cannot %s its schedule file %s: %s. %s",
            CANNOT.get(exc.errno, "write"),
            self.schedule_filename,
            exc.strerror or exc,
            WHAT_TO_DO.get(exc.errno, REFUSED).format(account=running_account()),
        )
        # Not an Exception, which Celery would log again with the whole traceback. Status 4,
        # as a refused setting: starting it again would fail the same way.
        raise SystemExit(REFUSED_SETTINGS_EXIT_STATUS) from None
