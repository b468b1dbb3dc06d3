"""What the project's commands share."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from django.core.management.base import BaseCommand

from jobs.text import without_direction_controls


class Command(BaseCommand):
    """A command that, run with --verbosity 0 (as from cron), prints only its errors and
    warnings: those go to stderr, or raise CommandError, and its exit code is the same at any
    verbosity. What it says (say, warn) drops the direction controls a name in it could leave
    open, as the site's messages do: a terminal that orders text both ways would show the rest
    of its line reversed."""

    verbosity = 1

    def execute(self, *args: object, **options: object) -> str | None:
        self.verbosity = options.get("verbosity", 1)
        with nullcontext() if self.verbosity else _console_logs_warnings_only():
            return super().execute(*args, **options)

    def say(self, message: str) -> None:
        """Write `message` to stdout, unless the command was asked to print only errors."""
        if self.verbosity:
            self.stdout.write(without_direction_controls(message))

    def warn(self, message: str) -> None:
        """Write `message`, which someone must act on (a board replaced, an option left unused),
        at any verbosity: to stdout with the rest, or at --verbosity 0 to stderr with the errors.
        Said only when asked, a mistyped slug's board replaced closed its org's jobs unseen."""
        (self.stdout if self.verbosity else self.stderr).write(without_direction_controls(message))


@contextmanager
def _console_logs_warnings_only() -> Iterator[None]:
    """The root logger's console handlers (LOGGING's "console", on stderr) pass only warnings
    and errors while this runs: at LOG_LEVEL's INFO, each sync's "sync finished" line went to
    stderr, which cron mailed each run. Other handlers (a file's) keep their level."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if type(handler) is logging.StreamHandler and handler.level < logging.WARNING
    ]
    levels = [handler.level for handler in handlers]
    for handler in handlers:
        handler.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for handler, level in zip(handlers, levels, strict=True):
            handler.setLevel(level)
