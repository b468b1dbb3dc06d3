"""What the project's commands share."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """A command that, run with --verbosity 0 (as from cron), prints only its errors: those go
    to stderr, or raise CommandError, and its exit code is the same at any verbosity."""

    verbosity = 1

    def execute(self, *args: object, **options: object) -> str | None:
        self.verbosity = options.get("verbosity", 1)
        return super().execute(*args, **options)

    def say(self, message: str) -> None:
        """Write `message` to stdout, unless the command was asked to print only errors."""
        if self.verbosity:
            self.stdout.write(message)
