"""Django's changepassword, saving the password alone: Django's saved the account whole as it
was read before the prompts, undoing what staff did to it meanwhile (a deactivation, a staff or
superuser status taken, an address changed) and making an account deleted meanwhile again."""

import getpass
from typing import Any

from django.contrib.auth.management.commands import changepassword
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from jobs.memberships import password_save

MAX_TRIES = 3  # Django's


class Command(changepassword.Command):
    """Django's prompts, checks, messages and exit codes; only the save is the site's."""

    def handle(self, *args: Any, **options: Any) -> str:
        username = options["username"] or getpass.getuser()
        database = options["database"]
        try:
            user = User.objects.using(database).get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"user '{username}' does not exist") from None

        self.stdout.write(f"Changing password for user '{user}'")
        password = self._password_asked(user)
        if password_save(user=user, password=password):
            return f"Password changed successfully for user '{user}'"
        if not User.objects.using(database).filter(pk=user.pk).exists():
            raise CommandError(f"user '{user}' was deleted meanwhile; nothing was saved")
        raise CommandError(
            f"the password of user '{user}' was changed by other means meanwhile, or turned "
            "off; yours was not saved (run the command again to set it over that one)"
        )

    def _password_asked(self, user: User) -> str:
        """Asked twice, as Django asks it, until both match and the validators take it."""
        for _ in range(MAX_TRIES):
            password = self._get_pass()
            if password != self._get_pass("Password (again): "):
                self.stdout.write("Passwords do not match. Please try again.")
                continue  # Django's does not validate passwords that don't match
            try:
                validate_password(password, user)
            except ValidationError as err:
                self.stderr.write("\n".join(err.messages))
            else:
                return password
        raise CommandError(f"Aborting password change for user '{user}' after {MAX_TRIES} attempts")
