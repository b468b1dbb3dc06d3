"""A mail backend that keeps what it sends, as Django's test backend does, and fails on cue."""

from __future__ import annotations

import smtplib

from django.core.mail.backends import locmem


class ScriptedMailBackend(locmem.EmailBackend):
    """Refuses the addresses in `refused`; with `down`, cannot even connect; raises `crash` as
    it sends. Set them on the class: every send makes a new backend."""

    refused: frozenset[str] = frozenset()
    down = False
    crash: BaseException | None = None

    def open(self) -> bool:
        if ScriptedMailBackend.down:
            raise ConnectionRefusedError(111, "Connection refused")
        return super().open()

    def send_messages(self, messages: list) -> int:
        if ScriptedMailBackend.crash is not None:
            raise ScriptedMailBackend.crash
        for message in messages:
            refused = set(message.to) & ScriptedMailBackend.refused
            if refused:
                raise smtplib.SMTPRecipientsRefused(
                    {address: (550, b"5.1.1 No such user") for address in refused}
                )
        return super().send_messages(messages)
