"""The default cache when CACHE_URL is empty: Django's file cache, without zlib."""

from __future__ import annotations

import os
import pickle
import time
from typing import IO, Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks

# Beside the entries (*.djcache), which clear() and the culls alone delete.
ADD_LOCK_NAME = "add.lock"


class UncompressedFileCache(FileBasedCache):
    """FileBasedCache storing plain pickles: a cached page is read far more often than written,
    and zlib costs about 1 µs per KB on every read (150 µs for the 150 KB /jobs/ page of 200
    orgs, more than the rest of a cache hit). Redis, the production cache, does not compress
    either. The files differ from FileBasedCache's, so the two must not share a directory."""

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """FileBasedCache's add() is has_key() then set(): two processes adding one key at once
        both found none and both wrote it, the second over what the first had counted since
        (jobs/throttle.py starts a window so: of 20 sign-ups sent at once to a limit of 5, up
        to 8 passed). Under one lock for the folder, adds come one after another."""
        self._createdir()
        with open(os.path.join(self._dir, ADD_LOCK_NAME), "ab") as lock_file:
            locks.lock(lock_file, locks.LOCK_EX)
            try:
                return super().add(key, value, timeout, version)
            finally:
                locks.unlock(lock_file)

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        try:
            with open(self._key_to_file(key, version), "rb") as f:
                if not self._is_expired(f):
                    return pickle.loads(f.read())  # noqa: S301  (files only this cache writes)
        except FileNotFoundError:
            pass
        return default

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            with open(self._key_to_file(key, version), "r+b") as f:
                try:
                    locks.lock(f, locks.LOCK_EX)
                    if self._is_expired(f):
                        return False
                    value = pickle.loads(f.read())  # noqa: S301
                    f.seek(0)
                    self._write_content(f, timeout, value)
                    return True
                finally:
                    locks.unlock(f)
        except FileNotFoundError:
            return False

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        """`delta` more, within the expiry the entry has. FileBasedCache's incr() wrote the sum
        again with the default timeout (5 minutes): a count of failed sign-ins or of a day's
        sign-ups (jobs/throttle.py) ended 5 minutes after its last one. Under touch()'s lock,
        so that processes counting at once all count; it goes as the file closes."""
        try:
            with open(self._key_to_file(key, version), "r+b") as f:
                locks.lock(f, locks.LOCK_EX)
                expiry = pickle.load(f)  # noqa: S301
                if expiry is None or expiry >= time.time():
                    value_start = f.tell()
                    value = pickle.loads(f.read()) + delta  # noqa: S301
                    f.seek(value_start)
                    f.write(pickle.dumps(value, self.pickle_protocol))
                    f.truncate()
                    return value
        except (FileNotFoundError, EOFError):  # EOFError: an empty file, which reads as expired
            pass
        raise ValueError(f"Key {key!r} not found")

    def _cull(self) -> None:
        """Once full, first delete what has expired, then cull at random as FileBasedCache does:
        pages expire in a minute but stay on disk until read again, while sign-in counts live
        for up to a day (jobs/throttle.py) and must not be culled along with them."""
        names = self._list_cache_files()
        if len(names) < self._max_entries:
            return
        for name in names:
            try:
                with open(name, "rb") as f:
                    self._is_expired(f)  # deletes the file if it has expired
            except FileNotFoundError:  # deleted by another process meanwhile
                pass
        super()._cull()

    def _write_content(self, file: IO[bytes], timeout: Any, value: Any) -> None:
        expiry = self.get_backend_timeout(timeout)
        file.write(pickle.dumps(expiry, self.pickle_protocol))
        file.write(pickle.dumps(value, self.pickle_protocol))
