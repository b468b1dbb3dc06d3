"""What the project's commands share."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """A command that, run with --verbosity 0 (as from cron), prints only its errors and
    warnings: those go to stderr, or raise CommandError, and its exit code is the same at any
    verbosity."""

    verbosity = 1

    def execute(self, *args: object, **options: object) -> str | None:
        self.verbosity = options.get("verbosity", 1)
        return super().execute(*args, **options)

    def say(self, message: str) -> None:
        """Write `message` to stdout, unless the command was asked to print only errors."""
        if self.verbosity:
            self.stdout.write(message)

    def warn(self, message: str) -> None:
        """Write `message`, which someone must act on (a board replaced, an option left unused),
        at any verbosity: to stdout with the rest, or at --verbosity 0 to stderr with the errors.
        Said only when asked, a mistyped slug's board replaced closed its org's jobs unseen."""
        (self.stdout if self.verbosity else self.stderr).write(message)
