"""Beat's scheduler: Celery's own, keeping when each task last ran in a file (settings'
CELERY_BEAT_SCHEDULE_FILENAME, under ORGSITE_VAR_DIR)."""

from __future__ import annotations

import errno
import logging
import shelve
from contextlib import suppress
from typing import NoReturn

from celery import beat

from orgsite.env import REFUSED_SETTINGS_EXIT_STATUS, running_account

logger = logging.getLogger(__name__)

# The file cannot be made where it is asked for: deleting it, as Celery does with a file it
# cannot read, would not help, and starting again would fail the same way.
UNWRITABLE_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR, errno.EISDIR}
)


class PersistentScheduler(beat.PersistentScheduler):
    """Celery's scheduler, but one that stops beat with one line naming the file and the account
    when that account may not write the file. Celery's own takes any error opening it for a
    corrupt file: it logs so, tries to delete the file, and dies with a traceback some 1,300
    lines long that names neither ORGSITE_VAR_DIR nor the account."""

    def _open_schedule(self) -> shelve.Shelf:
        try:
            return super()._open_schedule()
        except OSError as exc:
            if exc.errno not in UNWRITABLE_ERRNOS:
                raise  # a corrupt file, which Celery deletes and makes again
            self._stop_on_unwritable_file(exc)

    def setup_schedule(self) -> None:
        # Python's own dbm (dbm.dumb, where Python has neither GNU dbm nor ndbm, as pyenv's
        # builds may) opens a file it may read but not write, another account's: the first
        # write, as the schedule is set up, then fails.
        try:
            super().setup_schedule()
        except OSError as exc:
            if exc.errno not in UNWRITABLE_ERRNOS:
                raise
            self._stop_on_unwritable_file(exc)

    def _destroy_open_corrupted_schedule(self, exc: Exception) -> shelve.Shelf:
        # Celery takes a refused write for a corrupt file too (its dbm.error holds OSError) as
        # it writes the first entries of a file of none (a beat stopped as it made it): it
        # logged the error with its traceback, and deleted another account's file.
        if isinstance(exc, OSError) and exc.errno in UNWRITABLE_ERRNOS:
            self._stop_on_unwritable_file(exc)
        return super()._destroy_open_corrupted_schedule(exc)

    def _stop_on_unwritable_file(self, exc: OSError) -> NoReturn:
        store = getattr(self, "_store", None)
        if store is not None:
            # Closed as the process exits, the shelf and dbm.dumb would each write again what
            # could not be written, and log their failure with its traceback.
            store.writeback = False
            with suppress(OSError):
                store.dict.close()  # dbm.dumb's forgets its index even when its write fails
            store.dict = None
        logger.critical(
            "beat cannot write its schedule file %s: %s. The account running beat (%s) must "
            "be able to write that file and its directory (ORGSITE_VAR_DIR, by default).",
            self.schedule_filename,
            exc.strerror or exc,
            running_account(),
        )
        # Not an Exception, which Celery would log again with the whole traceback. Status 4,
        # as a refused setting: starting it again would fail the same way.
        raise SystemExit(REFUSED_SETTINGS_EXIT_STATUS) from None
