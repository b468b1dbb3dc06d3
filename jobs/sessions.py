"""Sign-in sessions: Django's database store, reading only session keys it could have made."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS

_KEY_CHARACTERS = frozenset(VALID_KEY_CHARS)


class SessionStore(db.SessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        # A cookie can carry any character (`"\000..."` is a NUL once unquoted), and PostgreSQL
        # answers a NUL in the lookup with an error: a key Django never makes is no session.
        return bool(super()._validate_session_key(key)) and set(key) <= _KEY_CHARACTERS
