"""manage.py changepassword: Django's command, saving the password alone."""

from __future__ import annotations

import getpass
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.management.commands.changepassword import Command as DjangosCommand
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tests.support.helpers import ACCOUNT_CHANGED_MEANWHILE

pytestmark = pytest.mark.django_db

NEW = "a brand new passphrase"
AGAIN = "Password (again): "  # Django's second prompt


def typing(
    monkeypatch: pytest.MonkeyPatch,
    *answers: str,
    as_typed_again: Callable[[], object] = lambda: None,
) -> None:
    """getpass answers `answers` in turn, as someone typing at the prompts; `as_typed_again`
    runs at each second prompt, as staff change the account in the admin meanwhile."""
    typed = iter(answers)

    def getpass_typed(prompt: str = "Password: ") -> str:
        if prompt == AGAIN:
            as_typed_again()
        return next(typed)

    monkeypatch.setattr(getpass, "getpass", getpass_typed)


def changepassword(command: Any, *args: str) -> tuple[str, str, str, int]:
    """What the command said: stdout, stderr, its last line (or error) and its exit code."""
    out, err = io.StringIO(), io.StringIO()
    try:
        said, code = call_command(command, *args, stdout=out, stderr=err), 0
    except CommandError as refused:
        said, code = f"CommandError: {refused}", refused.returncode
    return out.getvalue(), err.getvalue(), said, code


@pytest.mark.parametrize("meanwhile", ACCOUNT_CHANGED_MEANWHILE)
def test_a_password_set_as_staff_change_the_account_is_saved_alone(owner, monkeypatch, meanwhile):
    """Alice, a superuser, has her password set from a shell, and as it is typed another admin
    takes her staff and superuser status, deactivates her account, changes its address, turns
    its password off or deletes it. Django's command saved her account whole as it read it
    before the prompts, which undid that change, or made the account again, a superuser's. The
    password alone is saved, and not over another set meanwhile; nothing is saved for an
    account deleted meanwhile, and the command says so, exiting non-zero."""
    account = User.objects.filter(pk=owner.pk)
    account.update(is_staff=True, is_superuser=True)
    typing(
        monkeypatch, NEW, NEW, as_typed_again=lambda: ACCOUNT_CHANGED_MEANWHILE[meanwhile](account)
    )

    _, _, said, code = changepassword("changepassword", "alice")

    assert (said, code) == {
        "password turned off": (
            "CommandError: the password of user 'alice' was changed by other means meanwhile, "
            "or turned off; yours was not saved (run the command again to set it over that one)",
            1,
        ),
        "deleted": ("CommandError: user 'alice' was deleted meanwhile; nothing was saved", 1),
    }.get(meanwhile, ("Password changed successfully for user 'alice'", 0))
    now = account.first()
    if meanwhile == "deleted":
        assert now is None
        return
    assert (now.is_staff, now.is_superuser) == (meanwhile != "staff status taken",) * 2
    assert now.is_active == (meanwhile != "deactivated")
    assert (now.email == "moved@elsewhere.example") == (meanwhile == "address changed")
    assert now.check_password(NEW) == (meanwhile != "password turned off")


@pytest.mark.parametrize(
    ("args", "typed"),
    [
        (["alice"], [NEW, NEW]),
        ([], [NEW, NEW]),  # the username of whoever runs it
        (["alice"], [NEW, "a brand new passphrasE", NEW, NEW]),
        (["alice"], ["alice", "alice", NEW, NEW]),  # the validators' refusals on stderr
        (["alice"], ["12345678", "12345678", NEW, "new", "alice", "alice"]),
        (["alice"], [""]),
        (["nobody"], []),
    ],
    ids=["set", "no username", "mistyped", "refused", "3 tries", "empty", "unknown user"],
)
def test_it_prompts_checks_and_answers_as_djangos_command(owner, monkeypatch, args, typed):
    monkeypatch.setattr(getpass, "getuser", lambda: "alice")

    typing(monkeypatch, *typed)
    djangos = changepassword(DjangosCommand(), *args)
    typing(monkeypatch, *typed)
    sites = changepassword("changepassword", *args)

    assert sites == djangos
    assert User.objects.get(pk=owner.pk).check_password(NEW) == (typed[-2:] == [NEW, NEW])


def test_a_password_it_sets_signs_the_account_out_everywhere_as_djangos(signed_in, monkeypatch):
    typing(monkeypatch, NEW, NEW)

    call_command("changepassword", "alice", stdout=io.StringIO())

    assert signed_in.get("/manage/").status_code == 302  # to the sign-in page
    assert signed_in.login(username="alice", password=NEW)
