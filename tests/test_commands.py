"""The operators' commands: connect_greenhouse, sync_jobs, and what every command shares."""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import sys
import threading
import weakref
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command, find_commands, load_command_class
from django.core.management.base import BaseCommand
from django.db import IntegrityError, OperationalError
from django.utils import timezone

import jobs.management
from jobs import sync
from jobs.greenhouse import GreenhouseClient
from jobs.management.commands import connect_greenhouse as connect_greenhouse_command
from jobs.management.commands import sync_jobs as sync_jobs_command
from jobs.models import GreenhouseConnection, Job, Organization, SyncRun
from jobs.status import sync_status
from jobs.sync import SyncResult, acquire_sync_lock
from tests.support.helpers import make_connection

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", find_commands(os.path.dirname(jobs.management.__file__)))
def test_each_argument_of_a_project_command_has_help(name):
    # sync_jobs' ORG_SLUG and runlocal's --port were listed in --help with nothing said of them.
    django_parser = BaseCommand().create_parser("manage.py", "")
    django_options = {action.dest for action in django_parser._actions}
    parser = load_command_class("jobs", name).create_parser("manage.py", name)
    unexplained = [
        action.dest
        for action in parser._actions
        if action.dest not in django_options and not action.help
    ]

    assert unexplained == []


def test_connect_greenhouse_creates_the_org_and_prints_the_board_name(fake_greenhouse, capsys):
    call_command("connect_greenhouse", "acme", "acme-robotics", "--name", "ACME Inc.")

    out = capsys.readouterr().out
    assert "Acme Robotics" in out
    organization = Organization.objects.get(slug="acme")
    assert organization.name == "ACME Inc."
    connection = organization.greenhouse
    assert connection.board_token == "acme-robotics" and connection.board_name == "Acme Robotics"
    assert connection.enabled and connection.state == GreenhouseConnection.State.NEVER_SYNCED


def test_connect_greenhouse_again_within_greenhouses_wait_says_the_scheduler_waits_it_out(
    fake_greenhouse, capsys, monkeypatch
):
    now = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    make_connection("acme", "acme-robotics")
    # Named by the second it is over in, as the settings page names it: cut to the minute,
    # "at 10:30" was said of a wait the page said lasted "until 10:31".
    wait_until = (now + timedelta(days=1)).replace(
        hour=10, minute=30, second=55, microsecond=400_000
    )
    GreenhouseConnection.objects.update(greenhouse_wait_until=wait_until)

    call_command("connect_greenhouse", "acme", "acme-robotics")

    assert GreenhouseConnection.objects.get().next_sync_at == wait_until
    assert (
        f"Jobs are imported by the scheduler at {wait_until:%-d %b %Y}, 10:30:56 UTC, once the "
        "wait Greenhouse asked for ends, or now with: python manage.py sync_jobs acme"
    ) in capsys.readouterr().out


def test_connect_greenhouse_says_a_token_with_capitals_is_usually_lower_case(fake_greenhouse):
    with pytest.raises(CommandError) as refused:
        call_command("connect_greenhouse", "acme", "Acme-Robotics")

    assert str(refused.value) == (
        "Greenhouse has no job board with the token “Acme-Robotics”. Check the token in "
        "Greenhouse's job board settings. Tokens are usually all lower case, as "
        "they appear in the board's web address (boards.greenhouse.io/acme)."
    )
    assert not Organization.objects.exists()


def test_connect_greenhouse_names_its_arguments_as_its_messages_do_and_says_what_they_take():
    # Its help and its argument errors said "org_slug board_token", its other messages ORG_SLUG
    # and BOARD_TOKEN, and nothing said that a board's address is taken for its token.
    parser = connect_greenhouse_command.Command().create_parser("manage.py", "connect_greenhouse")
    help_text = " ".join(parser.format_help().split())

    assert "ORG_SLUG BOARD_TOKEN" in help_text and "org_slug" not in help_text
    assert "boards.greenhouse.io/acme" in help_text
    with pytest.raises(CommandError, match="required: BOARD_TOKEN$"):
        call_command("connect_greenhouse", "acme")


def test_connect_greenhouse_says_where_to_invite_the_admin_of_an_org_it_creates(
    fake_greenhouse, capsys, settings
):
    settings.SITE_URL = "https://jobs.example.com"
    call_command("connect_greenhouse", "acme", "acme-robotics")

    out = capsys.readouterr().out
    assert "It has no admin who can sign in yet" in out
    assert "https://jobs.example.com/manage/acme/members/" in out


def test_connect_greenhouse_says_nothing_of_admins_for_an_org_that_has_one(owner, capsys):
    call_command("connect_greenhouse", "acme", "tiny-co")
    assert "admin" not in capsys.readouterr().out


def test_connect_greenhouse_names_a_new_org_after_its_board(fake_greenhouse):
    call_command("connect_greenhouse", "liberte", "liberte-sante")
    assert Organization.objects.get(slug="liberte").name == "Liberté Santé"


def test_connect_greenhouse_takes_a_pasted_board_address(fake_greenhouse):
    call_command("connect_greenhouse", "tiny", "https://job-boards.greenhouse.io/tiny-co")
    assert Organization.objects.get(slug="tiny").greenhouse.board_token == "tiny-co"


@pytest.mark.parametrize(
    ("api_key", "error"),
    [
        ("gh secret", "An API key has no spaces"),
        ("gh\x01secret", "An API key has no control characters"),
        ("gh-secret\x7f", "An API key has no control characters"),
        ("gh-sécret", "An API key has only plain letters, digits and punctuation"),
        ("k" * 201, "An API key has at most 200 characters; this one has 201"),
    ],
)
def test_connect_greenhouse_checks_the_api_key_as_the_settings_page_does(
    fake_greenhouse, api_key, error
):
    with pytest.raises(CommandError, match=error):
        call_command("connect_greenhouse", "acme", "acme-robotics", "--api-key", api_key)
    assert not GreenhouseConnection.objects.exists()


def test_connect_greenhouse_with_a_blank_api_key_removes_the_stored_one(fake_greenhouse):
    call_command("connect_greenhouse", "acme", "acme-robotics", "--api-key", " gh-secret-12345 ")
    assert GreenhouseConnection.objects.get().get_api_key() == "gh-secret-12345"

    call_command("connect_greenhouse", "acme", "acme-robotics", "--api-key", "  ")

    assert not GreenhouseConnection.objects.get().has_api_key


def test_connect_greenhouse_stores_the_api_key_encrypted(fake_greenhouse):
    call_command("connect_greenhouse", "acme", "acme-robotics", "--api-key", "gh-secret-12345")
    connection = GreenhouseConnection.objects.get()
    assert "gh-secret" not in connection.api_key_encrypted
    assert connection.api_key_last5 == "12345"
    assert connection.get_api_key() == "gh-secret-12345"


def test_connect_greenhouse_stores_a_pasted_api_key_as_the_settings_page_cleans_it(
    fake_greenhouse,
):
    """A zero-width space that came with the paste, kept, made the key look right and be wrong."""
    call_command(
        "connect_greenhouse", "acme", "acme-robotics", "--api-key", "gh-secret\u200b-12345"
    )
    assert GreenhouseConnection.objects.get().get_api_key() == "gh-secret-12345"


def test_connect_greenhouse_cuts_a_long_board_name_to_an_org_name(fake_greenhouse):
    fake_greenhouse.add_board("wordy", name="N" * 300, jobs=[])
    call_command("connect_greenhouse", "wordy", "wordy")
    assert Organization.objects.get().name == "N" * 200


def test_connect_greenhouse_refuses_a_name_longer_than_an_org_holds(fake_greenhouse):
    with pytest.raises(CommandError, match="at most 200 characters"):
        call_command("connect_greenhouse", "acme", "acme-robotics", "--name", "N" * 201)
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("", "'' is not a valid slug"),
        ("Acme", "'Acme' is not a valid slug"),
        ("a" * 101, "A slug has at most 100 characters."),
        # Echoed as typed, it cleared the terminal.
        ("acme\x1b[2J", r"'acme\x1b[2J' is not a valid slug"),
        ("acme\x00", r"'acme\x00' is not a valid slug"),
        # Echoed whole as not a valid slug.
        ("Ä" * 10_000, "A slug has at most 100 characters."),
    ],
    ids=["empty", "capital", "101 characters", "escape sequence", "NUL", "long and invalid"],
)
def test_it_refuses_a_slug_no_org_can_have(fake_greenhouse, slug, message):
    with pytest.raises(CommandError) as caught:
        call_command("connect_greenhouse", slug, "acme-robotics")
    assert str(caught.value).startswith(message)
    assert not Organization.objects.exists()


def test_it_refuses_a_new_org_a_slug_a_page_of_the_site_hides_but_not_an_org_that_has_it(
    fake_greenhouse,
):
    """/manage/new/ makes an org; one made at "new" before that was refused keeps its slug."""
    with pytest.raises(CommandError, match=r"^“new” is taken by a page of this site"):
        call_command("connect_greenhouse", "new", "acme-robotics")
    assert not Organization.objects.exists()

    Organization.objects.create(name="New", slug="new")
    call_command("connect_greenhouse", "new", "acme-robotics")
    assert Organization.objects.get().greenhouse.board_token == "acme-robotics"


@pytest.mark.parametrize("slug", ["Acme", "acme--old"])
def test_it_refuses_a_new_org_a_slug_sign_up_cannot_make_but_not_an_org_that_has_it(
    fake_greenhouse, slug
):
    """An org saved with capitals (or "--") before such slugs were refused keeps its slug, as
    sync_jobs and its pages take it: connect_greenhouse told it was no valid slug, and could
    neither connect it, nor repoint it, nor change its key."""
    with pytest.raises(CommandError, match="is not a valid slug"):
        call_command("connect_greenhouse", slug, "acme-robotics")
    assert not Organization.objects.exists()

    Organization.objects.create(name="Acme", slug=slug)
    call_command("connect_greenhouse", slug, "acme-robotics")
    assert Organization.objects.get().greenhouse.board_token == "acme-robotics"


def test_it_refuses_a_slug_an_org_has_in_capitals(fake_greenhouse):
    """An org saved as "Acme" before slugs had to be lowercase: "acme" is its address in any case,
    which the database refuses (migration jobs 0070). Not a traceback of its IntegrityError."""
    Organization.objects.create(name="Acme", slug="Acme")

    with pytest.raises(CommandError) as caught:
        call_command("connect_greenhouse", "acme", "acme-robotics")

    assert str(caught.value) == (
        "Another organization has the slug 'Acme', an address that differs from 'acme' only in "
        "case: give its slug as it is to connect it, or another slug for a new organization."
    )
    assert list(Organization.objects.values_list("slug", flat=True)) == ["Acme"]
    assert not GreenhouseConnection.objects.exists()


def test_it_raises_another_integrity_error_of_an_org_that_has_the_slug_as_given(
    fake_greenhouse, monkeypatch
):
    """The org found by its slug as given is no other org at an address in another case: an
    IntegrityError of the connection's save was told "Another organization has the slug
    'acme', an address that differs from 'acme' only in case"."""
    Organization.objects.create(name="Acme", slug="acme")

    def refused(**kwargs: object) -> None:
        raise IntegrityError("another constraint")

    monkeypatch.setattr(connect_greenhouse_command, "connection_store", refused)

    with pytest.raises(IntegrityError, match="another constraint"):
        call_command("connect_greenhouse", "acme", "acme-robotics")


def test_it_refuses_an_org_deleted_while_it_runs(fake_greenhouse, monkeypatch, capsys):
    """An org found by its slug, then deleted (on its settings page, in the admin) before its
    connection is stored: connection_store's Organization.DoesNotExist ended the command in a
    traceback."""
    found = Organization.objects.create(name="Acme", slug="acme")
    Organization.objects.filter(pk=found.pk).delete()
    monkeypatch.setattr(Organization.objects, "get_or_create", lambda **kwargs: (found, False))

    with pytest.raises(CommandError) as refused:
        call_command("connect_greenhouse", "acme", "acme-robotics")

    assert str(refused.value) == (
        "Organization 'acme' was deleted while this command ran; nothing was saved."
    )
    assert refused.value.returncode == 1
    assert capsys.readouterr().out == ""
    assert not Organization.objects.exists()
    assert not GreenhouseConnection.objects.exists()


def test_connect_greenhouse_takes_a_slug_of_the_longest_length(fake_greenhouse):
    call_command("connect_greenhouse", "a" * 100, "acme-robotics")
    assert Organization.objects.get().slug == "a" * 100


@pytest.mark.parametrize("slug", ["Acme", "acme-", "acme--robotics", "café"])
def test_a_refused_slug_is_told_all_a_slug_may_be(fake_greenhouse, slug):
    """A slug such as "acme-" holds only the characters a slug may hold, and "café" only
    lowercase letters: the message says more."""
    rule = "lowercase a-z, 0-9, - and _, with a letter or digit first and last and no --."
    with pytest.raises(CommandError, match=f"is not a valid slug: use {re.escape(rule)}$"):
        call_command("connect_greenhouse", slug, "acme-robotics")

    call_command("connect_greenhouse", "acme_robotics", "acme-robotics")
    assert Organization.objects.get().slug == "acme_robotics"


@pytest.mark.parametrize(
    ("argument", "arguments"),
    [
        ("ORG_SLUG", [b"acm\xe9", b"acme-robotics"]),
        ("BOARD_TOKEN", [b"acme", b"acme-robotics\xff"]),
        ("--name", [b"acme", b"acme-robotics", b"--name", b"Libert\xe9 Sant\xe9"]),
        ("--api-key", [b"acme", b"acme-robotics", b"--api-key", b"gh-secret-\xff12345"]),
    ],
)
def test_connect_greenhouse_refuses_bytes_that_are_not_utf8_and_stores_nothing(
    fake_greenhouse, argument, arguments
):
    """Typed in a Latin-1 terminal, the API key crashed the command with a traceback and the
    name lost its accented letters ("Libert Sant")."""
    with pytest.raises(CommandError) as caught:
        call_command("connect_greenhouse", *map(os.fsdecode, arguments))

    assert str(caught.value) == (
        f"{argument} has bytes that are not UTF-8 text: type it again in a terminal that uses "
        "UTF-8."
    )
    assert not Organization.objects.exists() and not GreenhouseConnection.objects.exists()


@pytest.mark.parametrize("name", ["   ", "\u200b\u3164", "\t"])
def test_it_refuses_a_blank_looking_org_name(fake_greenhouse, name):
    with pytest.raises(CommandError, match="Give your organization a name"):
        call_command("connect_greenhouse", "acme", "acme-robotics", "--name", name)
    assert not Organization.objects.exists()


def test_it_writes_an_org_name_on_one_line(fake_greenhouse):
    call_command("connect_greenhouse", "acme", "acme-robotics", "--name", "ACME\n Inc.\x1b")
    assert Organization.objects.get().name == "ACME Inc."


def test_it_names_a_new_org_after_its_board_on_one_line(fake_greenhouse):
    fake_greenhouse.add_board("wordy", name=" Wordy\nand\r\nCo\x00 ", jobs=[])
    call_command("connect_greenhouse", "wordy", "wordy")
    organization = Organization.objects.get()
    assert organization.name == organization.greenhouse.board_name == "Wordy and Co"


def test_it_names_a_new_org_after_its_slug_when_the_board_name_shows_nothing(fake_greenhouse):
    fake_greenhouse.add_board("blank", name="\u200b\u3164\u2800", jobs=[])
    call_command("connect_greenhouse", "blank-org", "blank")
    assert Organization.objects.get().name == "blank-org"


def test_connect_greenhouse_escapes_a_board_name_its_terminal_cannot_show(fake_greenhouse):
    """In a terminal that is not UTF-8 (ASCII, Latin-1), printing the board's name raised an
    error after the connection was stored: the command said it failed, and it had not."""
    terminal = io.TextIOWrapper(io.BytesIO(), encoding="ascii")

    call_command("connect_greenhouse", "liberte", "liberte-sante", stdout=terminal)

    terminal.flush()
    printed = terminal.buffer.getvalue().decode()
    assert printed.startswith(
        "Created organization 'liberte', connected to the Greenhouse board "
        "'Libert\\xe9 Sant\\xe9' (liberte-sante)."
    )
    # The stream is its caller's again once the command is done.
    assert terminal.errors == "strict"


def test_connect_greenhouse_names_boards_without_the_direction_controls_they_leave_open(
    fake_greenhouse, capsys
):
    """As the settings page's messages drop them: a board named "\u202eTiny Co." (a right-to-left
    override, left open) showed the rest of its line reversed in a terminal that orders text
    both ways, "that board's jobs ... are closed" among it. Its name is kept as it is."""
    make_connection("acme", "tiny-co")
    GreenhouseConnection.objects.update(board_name="\u202eTiny Co.")
    fake_greenhouse.add_board(
        "sante", name="Sant\u00e9 \u2067\u0645\u0631\u062d\u0628\u0627", jobs=[]
    )

    call_command("connect_greenhouse", "acme", "sante")

    assert capsys.readouterr().out.splitlines()[:2] == [
        "Updated organization 'acme', connected to the Greenhouse board "
        "'Sant\u00e9 \u0645\u0631\u062d\u0628\u0627'\u200e (sante).",  # ended (board_in_words)
        "It replaced the board 'Tiny Co.' (tiny-co): that board's jobs that this one does not "
        "list are closed at its first sync.",
    ]
    assert (
        GreenhouseConnection.objects.get().board_name
        == "Sant\u00e9 \u2067\u0645\u0631\u062d\u0628\u0627"
    )


def test_connect_greenhouse_repoints_an_existing_org(fake_greenhouse):
    make_connection("acme", "tiny-co")
    call_command("connect_greenhouse", "acme", "acme-robotics")
    assert GreenhouseConnection.objects.get().board_token == "acme-robotics"


def test_connect_greenhouse_says_it_left_the_name_of_an_org_that_exists_as_it_was(
    fake_greenhouse, capsys
):
    # --name names an org it creates: given for one that exists, it was dropped without a word,
    # under "Updated organization 'acme'".
    make_connection("acme", "tiny-co", name="Acme")
    call_command("connect_greenhouse", "acme", "acme-robotics", "--name", "Acme Robotics Inc.")

    assert Organization.objects.get().name == "Acme"
    assert (
        "It keeps its name, 'Acme': --name names an organization this command creates; "
        "rename it on its settings page."
    ) in capsys.readouterr().out


def test_connect_greenhouse_says_which_board_it_replaced_and_what_becomes_of_its_jobs(
    fake_greenhouse, capsys
):
    """As the settings page says before another board is connected: a slug mistyped for
    another org's would otherwise close that org's jobs at the next sync without a word. Both
    boards named as the page names them, by name and token: the replaced one was named by its
    token alone."""
    make_connection("acme", "tiny-co")
    GreenhouseConnection.objects.update(board_name="Tiny Co.")

    call_command("connect_greenhouse", "acme", "acme-robotics")

    assert capsys.readouterr().out.splitlines()[:2] == [
        "Updated organization 'acme', connected to the Greenhouse board 'Acme Robotics' "
        "(acme-robotics).",
        "It replaced the board 'Tiny Co.' (tiny-co): that board's jobs that this one does not "
        "list are closed at its first sync.",
    ]


def test_connect_greenhouse_says_nothing_of_a_board_replaced_when_it_is_the_same(
    fake_greenhouse, capsys
):
    make_connection("acme", "acme-robotics")
    call_command("connect_greenhouse", "acme", "acme-robotics")
    assert "replaced" not in capsys.readouterr().out


def test_connect_greenhouse_says_it_turns_syncing_of_a_paused_org_on_again(fake_greenhouse, capsys):
    """As the settings page does: someone who paused the org should not find it syncing unawares
    after storing a new API key this way."""
    paused = make_connection("acme", "acme-robotics")
    paused.enabled = False
    paused.save()

    call_command("connect_greenhouse", "acme", "acme-robotics", "--api-key", "abcdef12345")

    assert "Syncing was paused and is on again." in capsys.readouterr().out
    assert GreenhouseConnection.objects.get().enabled


def test_connect_greenhouse_says_nothing_of_pausing_for_an_org_that_was_not_paused(
    fake_greenhouse, capsys
):
    make_connection("acme", "acme-robotics")
    call_command("connect_greenhouse", "acme", "acme-robotics")
    assert "paused" not in capsys.readouterr().out


def test_connect_greenhouse_does_not_repoint_an_org_while_its_sync_runs(fake_greenhouse):
    acquire_sync_lock(make_connection("acme", "tiny-co"))
    refused = r"^A sync of .+ is running right now, so its board was not changed\. "
    with pytest.raises(CommandError, match=refused):
        call_command("connect_greenhouse", "acme", "acme-robotics")
    assert GreenhouseConnection.objects.get().board_token == "tiny-co"


def test_connect_greenhouse_refusing_while_a_sync_runs_names_the_org_without_direction_controls(
    fake_greenhouse,
):
    """As what it says names boards (say, warn): an org named "\u202eAcme" (a right-to-left
    override, left open) showed the rest of the refusal, "so its board was not changed", reversed
    in a terminal that orders text both ways."""
    acquire_sync_lock(make_connection("acme", "tiny-co", name="\u202eAcme"))
    with pytest.raises(CommandError, match=r"^A sync of Acme is running right now, so its board"):
        call_command("connect_greenhouse", "acme", "acme-robotics")


@pytest.mark.parametrize("token", ["no-such-board", "bad/token"])
def test_connect_greenhouse_with_a_bad_token_stores_nothing(fake_greenhouse, token):
    with pytest.raises(CommandError) as caught:
        call_command("connect_greenhouse", "acme", token)
    assert "token" in str(caught.value)
    assert not Organization.objects.exists() and not GreenhouseConnection.objects.exists()


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"fault": "close"}, "could not be reached"),
        ({"fault": "status", "status": 503}, "could not be reached or is having trouble"),
        ({"fault": "slow", "delay": 3}, "did not answer in time"),
    ],
    ids=["connection dropped", "server error", "timeout"],
)
def test_connect_greenhouse_with_greenhouse_unreachable_says_to_try_again(
    fake_greenhouse, settings, fault, reason
):
    settings.GREENHOUSE_RETRIES = 0
    settings.GREENHOUSE_READ_TIMEOUT = 0.5
    fake_greenhouse.fail_next("acme-robotics", **fault)

    with pytest.raises(CommandError) as caught:
        call_command("connect_greenhouse", "acme", "acme-robotics")

    message = str(caught.value)
    assert reason in message and "Nothing was saved; try again" in message
    assert "the sync will try again" not in message
    assert not Organization.objects.exists() and not GreenhouseConnection.objects.exists()


INSTEAD_OF_THE_BOARD = (
    "Greenhouse, or something between this site and Greenhouse (such as a proxy), answered with "
    "{} instead of the board"
)


@pytest.mark.parametrize(
    ("fault", "failed"),
    [
        ({"fault": "redirect", "location": "ftp://boards.example/acme"}, "Greenhouse's address "
         "redirected the request to an address this site cannot follow"),
        ({"fault": "close", "sent": b"SSH-2.0-OpenSSH_9.6\r\n"}, "Greenhouse's address "
         "answered in something that is not HTTP"),
        ({"fault": "redirect", "location": "/login"}, "Greenhouse's address redirected the "
         "request to /login, which answered HTTP 404 Not Found"),
        # The board API gives neither: a proxy or the address most likely did. It said
        # Greenhouse answered "in a way this site does not understand", and to try again.
        ({"fault": "body", "status": 204, "body": b""},
         INSTEAD_OF_THE_BOARD.format("HTTP 204 No Content")),
        ({"fault": "body", "status": 304, "body": b""},
         INSTEAD_OF_THE_BOARD.format("HTTP 304 Not Modified")),
        # A proxy's or a portal's: it said to try again in a minute, as in an outage.
        ({"fault": "html"}, INSTEAD_OF_THE_BOARD.format("a web page")),
    ],
    ids=[
        "a redirect it cannot follow", "no HTTP", "a redirect to a missing page", "a 204",
        "a 304 without a validator", "a web page",
    ],
)  # fmt: skip
def test_connect_greenhouse_failing_on_the_way_says_what_to_check(
    fake_greenhouse, settings, fault, failed
):
    # Told Greenhouse could not be reached and to try again in a minute, as in an outage: a
    # minute on, the address led nowhere again, and nothing said what to check. Then told to
    # "ask whoever runs this site", who was the one running the command.
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", times=5, **fault)

    with pytest.raises(CommandError) as caught:
        call_command("connect_greenhouse", "acme", "acme-robotics")

    assert str(caught.value) == (
        f"{failed}, so the token could not be checked. Nothing was saved. "
        "Check the address this site uses for Greenhouse (GREENHOUSE_API_BASE), this "
        "server's network and any proxy on the way, then run this command again."
    )
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ({"fault": "status", "status": 401}, "The request for the job board “acme-robotics” was "
         "refused (HTTP 401 Unauthorized), so the token could not be checked. Nothing was saved. "
         "Greenhouse's job boards need no login or API key, so the refusal most likely came from "
         "a proxy or firewall between this site and Greenhouse. Check that this site's server "
         "may reach 127.0.0.1"),
        ({"fault": "status", "status": 403}, "The request for the job board “acme-robotics” was "
         "refused (HTTP 403 Forbidden), so the token could not be checked. Nothing was saved. "
         "Greenhouse's job boards need no login or API key, so the refusal most likely came from "
         "a proxy or firewall between this site and Greenhouse. Check that this site's server "
         "may reach 127.0.0.1"),
        ({"fault": "status", "status": 405}, "Greenhouse's address answered the request for the "
         "job board “acme-robotics” with HTTP 405 Method Not Allowed, so the token could not be "
         "checked. Nothing was saved. This site builds that request the same way for every "
         "board, so the cause is most likely on its side, not the board's. Check the address "
         "this site uses for Greenhouse (GREENHOUSE_API_BASE) and any proxy on the way"),
        ({"fault": "oversized", "size": 2_000}, "Greenhouse's response is larger than this site "
         "accepts (1,000 bytes), so the token could not be checked. Nothing was saved. Raise "
         "that limit (GREENHOUSE_MAX_RESPONSE_BYTES)"),
    ],
    ids=["unauthorized", "refused", "another 4xx", "over the size cap"],
)  # fmt: skip
def test_connect_greenhouse_tells_whoever_runs_it_what_to_change_of_the_site(
    fake_greenhouse, settings, fault, said
):
    # Told to "ask whoever runs this site", the settings page's words for an org's admins,
    # whoever ran the command was told to ask themselves. Then told "nothing was changed", a
    # sync's words, not that the token went unchecked, as the settings page says.
    settings.GREENHOUSE_MAX_RESPONSE_BYTES = 1_000
    fake_greenhouse.fail_next("acme-robotics", **fault)

    with pytest.raises(CommandError) as caught:
        call_command("connect_greenhouse", "acme", "acme-robotics")

    assert str(caught.value) == f"{said}, then run this command again."
    assert not Organization.objects.exists()


def test_connect_greenhouse_at_an_api_base_without_v1_says_to_set_it(fake_greenhouse, settings):
    # Told to check the token: Greenhouse knows no board at an address without /v1.
    settings.GREENHOUSE_API_BASE = fake_greenhouse.base_url.removesuffix("/v1")

    with pytest.raises(CommandError) as caught:
        call_command("connect_greenhouse", "acme", "acme-robotics")

    assert str(caught.value) == (
        "Greenhouse found no job board “acme-robotics” (HTTP 404 Not Found), so the token could "
        "not be checked. Nothing was saved. The address this site asks Greenhouse at, rather "
        "than the token, is most likely the cause: it does not end in /v1, as the addresses of "
        "Greenhouse's Job Board API do. Set GREENHOUSE_API_BASE to the Job Board API's address, "
        "https://boards-api.greenhouse.io/v1, then run this command again."
    )
    assert not Organization.objects.exists()


def test_sync_jobs_prints_one_line_per_org_with_counts(fake_greenhouse, capsys):
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")

    call_command("sync_jobs", "acme", "tiny")

    lines = capsys.readouterr().out.strip().splitlines()
    acme_count = len(fake_greenhouse.jobs("acme-robotics"))
    assert lines == [
        f"acme: ok, {acme_count} created, 0 updated, 0 unchanged, 0 closed, 0 reopened, 0 skipped",
        "tiny: ok, 1 created, 0 updated, 0 unchanged, 0 closed, 0 reopened, 0 skipped",
    ]
    assert SyncRun.objects.filter(trigger=SyncRun.Trigger.COMMAND).count() == 2


def test_sync_jobs_at_verbosity_0_prints_only_its_failures_and_still_fails(fake_greenhouse, capsys):
    """As from cron, which mails whatever a command prints: the per-org lines were printed."""
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    fake_greenhouse.fail_next("tiny-co", "status", status=503, times=10)

    with pytest.raises(CommandError, match="1 organization failed to sync"):
        call_command("sync_jobs", "acme", "tiny", verbosity=0)

    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.startswith("tiny: failed, Greenhouse is having trouble (HTTP 503)")
    assert SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCESS).count() == 1


@pytest.mark.parametrize(
    "command",
    [
        ["sync_jobs", "--all"],
        ["connect_greenhouse", "acme", "acme-robotics"],
        ["rotate_encryption_keys"],
    ],
)
def test_a_command_that_succeeds_at_verbosity_0_prints_nothing(
    fake_greenhouse, owner, capsys, command
):
    call_command(*command, verbosity=0)

    assert capsys.readouterr() == ("", "")


@pytest.fixture
def console_log():
    """What the root logger's console handler (LOGGING's, on stderr) would print, at INFO."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_sync_jobs_at_verbosity_0_logs_to_the_console_only_warnings_and_errors(
    fake_greenhouse, console_log
):
    # Each org's "sync finished" line, at INFO (LOG_LEVEL's default), went on to stderr, which
    # cron mailed each run as it did the lines -v 0 leaves out.
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    fake_greenhouse.fail_next("tiny-co", "status", status=503, times=10)

    with pytest.raises(CommandError):
        call_command("sync_jobs", "acme", "tiny", verbosity=0)
    at_0 = console_log.getvalue()
    with pytest.raises(CommandError):
        call_command("sync_jobs", "acme", "tiny", verbosity=1)

    assert "org=acme" not in at_0 and "org=tiny" in at_0  # its failure, at WARNING
    assert "org=acme trigger=command outcome=success" in console_log.getvalue()[len(at_0) :]
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "stream", 0) is console_log]
    assert [handler.level for handler in handlers] == [logging.INFO]  # as it was


def test_sync_jobs_at_verbosity_0_leaves_other_handlers_their_info_lines(
    fake_greenhouse, caplog, tmp_path
):
    # Only the console's lines are cron's mail: a log file, or pytest's capture, still gets
    # each sync's "sync finished" line (their handlers are StreamHandlers too).
    make_connection("acme", "acme-robotics")
    log_file = logging.FileHandler(tmp_path / "site.log")
    log_file.setLevel(logging.INFO)
    logging.getLogger().addHandler(log_file)
    caplog.set_level(logging.INFO)
    try:
        call_command("sync_jobs", "acme", verbosity=0)
    finally:
        logging.getLogger().removeHandler(log_file)
        log_file.close()

    assert "org=acme trigger=command outcome=success" in caplog.text
    assert "org=acme trigger=command outcome=success" in (tmp_path / "site.log").read_text()


def test_connect_greenhouse_at_verbosity_0_still_warns_of_what_it_did_unasked(
    fake_greenhouse, capsys
):
    # A board replaced (a slug mistyped for another org's: its jobs closed at the next sync),
    # --name left unused and no admin to mail were said at verbosity 1 only.
    make_connection("acme", "tiny-co", name="Acme")

    call_command("connect_greenhouse", "acme", "acme-robotics", "--name", "Acme Inc.", verbosity=0)

    printed = capsys.readouterr()
    assert printed.out == ""
    assert [line.split(":")[0] for line in printed.err.splitlines()] == [
        "It keeps its name, 'Acme'",
        "It replaced the board 'Acme' (tiny-co)",
        "It has no admin who can sign in yet",
    ]


def test_sync_jobs_all_syncs_every_enabled_connection(fake_greenhouse, capsys):
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    paused = make_connection("paused", "liberte-sante")
    paused.enabled = False
    paused.save()

    call_command("sync_jobs", "--all")

    out = capsys.readouterr().out
    assert "acme: ok" in out and "tiny: ok" in out and "paused" not in out
    assert not Job.objects.filter(organization=paused.organization).exists()


def test_sync_jobs_all_says_when_no_org_is_there_to_sync(fake_greenhouse, capsys):
    paused = make_connection("paused", "liberte-sante")
    paused.enabled = False
    paused.save()

    call_command("sync_jobs", "--all")

    assert capsys.readouterr().out == (
        "No organization is connected to Greenhouse with syncing on.\n"
    )


def test_sync_jobs_syncs_a_paused_org_named_on_the_command_line(fake_greenhouse, capsys):
    paused = make_connection("tiny", "tiny-co")
    paused.enabled = False
    paused.save()

    call_command("sync_jobs", "tiny")

    assert capsys.readouterr().out.startswith("tiny: ok, 1 created")


def test_sync_jobs_says_of_a_paused_org_it_names_whose_lease_another_sync_holds_that_it_does(
    fake_greenhouse, capsys
):
    """Named, a paused org is synced: refused for another sync's lease, it is not said paused
    (only --all skips a paused org)."""
    paused = make_connection("tiny", "tiny-co")
    lease = acquire_sync_lock(paused)
    GreenhouseConnection.objects.update(enabled=False)

    call_command("sync_jobs", "tiny")

    assert capsys.readouterr().out == (
        "tiny: skipped, another sync of this organization holds its lease until "
        f"{timezone.localtime(lease):%Y-%m-%d %H:%M:%S %Z} at the latest (it is running, or "
        "was stopped without freeing it)\n"
    )


def test_sync_jobs_says_no_sync_tries_a_paused_org_again(fake_greenhouse, capsys):
    """As its settings page says: "the sync will try again later" sent its operator waiting."""
    paused = make_connection("tiny", "tiny-co")
    paused.enabled = False
    paused.save()
    fake_greenhouse.fail_next("tiny-co", "status", status=503, times=10)

    with pytest.raises(CommandError):
        call_command("sync_jobs", "tiny")

    assert capsys.readouterr().err == (
        "tiny: failed, Greenhouse is having trouble (HTTP 503); syncing is paused, so no sync "
        "will try again.\n"
    )


def test_sync_jobs_all_says_no_sync_tries_again_an_org_paused_while_it_ran(
    fake_greenhouse, capsys, monkeypatch
):
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    fake_greenhouse.fail_next("tiny-co", "status", status=503, times=10)
    real_lock = sync.acquire_sync_lock

    def locked_then_paused(connection, **kwargs):
        lease = real_lock(connection, **kwargs)
        if connection.organization.slug == "tiny":
            GreenhouseConnection.objects.filter(pk=connection.pk).update(enabled=False)
        return lease

    # Paused once its sync holds the lease: before, the lease is refused.
    monkeypatch.setattr(sync, "acquire_sync_lock", locked_then_paused)

    with pytest.raises(CommandError):
        call_command("sync_jobs", "--all")

    assert capsys.readouterr().err == (
        "tiny: failed, Greenhouse is having trouble (HTTP 503); syncing is paused, so no sync "
        "will try again.\n"
    )


def test_sync_jobs_all_skips_an_org_paused_after_it_listed_the_orgs(
    fake_greenhouse, capsys, monkeypatch
):
    # --all synced an org its admin had paused while the orgs before it were synced.
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    real_sync = sync_jobs_command.sync_organization

    def sync_then_pause_tiny(connection, **kwargs):
        result = real_sync(connection, **kwargs)
        GreenhouseConnection.objects.filter(organization__slug="tiny").update(enabled=False)
        return result

    monkeypatch.setattr(sync_jobs_command, "sync_organization", sync_then_pause_tiny)

    call_command("sync_jobs", "--all")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("acme: ok")
    assert lines[1] == "tiny: skipped, syncing was paused while this command ran"
    assert not SyncRun.objects.filter(organization__slug="tiny").exists()


def test_sync_jobs_all_skips_an_org_paused_just_before_its_lease(
    fake_greenhouse, capsys, monkeypatch
):
    # Paused after the command last read it, as its sync took the lease: --all synced it. The
    # lease's UPDATE reads the pause now; a named org is synced paused or not (README).
    tiny = make_connection("tiny", "tiny-co")
    real_lock = sync.acquire_sync_lock

    def paused_then_locked(connection, **kwargs):
        GreenhouseConnection.objects.filter(pk=tiny.pk).update(enabled=False)
        return real_lock(connection, **kwargs)

    monkeypatch.setattr(sync, "acquire_sync_lock", paused_then_locked)

    call_command("sync_jobs", "--all")

    assert capsys.readouterr().out == "tiny: skipped, syncing was paused while this command ran\n"
    assert fake_greenhouse.request_count() == 0 and not SyncRun.objects.exists()
    assert GreenhouseConnection.objects.get().last_attempt_at is None
    call_command("sync_jobs", "tiny")
    assert capsys.readouterr().out.startswith("tiny: ok, ")


def test_sync_jobs_skips_an_org_whose_sync_is_running_without_failing(fake_greenhouse, capsys):
    # "another sync of this organization is running" was said too of a lease a killed process
    # left held, which nothing stored tells from a running sync's; its end is stored.
    lease = acquire_sync_lock(make_connection("acme", "acme-robotics"))
    make_connection("tiny", "tiny-co")

    call_command("sync_jobs", "--all")

    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == (
        "acme: skipped, another sync of this organization holds its lease until "
        f"{timezone.localtime(lease):%Y-%m-%d %H:%M:%S %Z} at the latest (it is running, or "
        "was stopped without freeing it)"
    )
    assert lines[1].startswith("tiny: ok")
    assert not SyncRun.objects.filter(organization__slug="acme").exists()


@pytest.mark.parametrize("lapsed", [False, True], ids=["freed", "lapsed"])
def test_sync_jobs_says_of_a_lease_freed_or_lapsed_since_it_was_refused_that_another_held_it(
    fake_greenhouse, capsys, monkeypatch, lapsed
):
    connection = make_connection("acme", "acme-robotics")
    if lapsed:  # left by a sync stopped without freeing it
        connection.lock_expires_at = timezone.now() - timedelta(seconds=1)
        connection.save(update_fields=["lock_expires_at"])

    def refused(*_: object, **__: object) -> SyncResult:
        return SyncResult(outcome=SyncResult.Outcome.LOCKED)  # the other sync ended since

    monkeypatch.setattr(sync_jobs_command, "sync_organization", refused)

    call_command("sync_jobs", "acme")

    assert capsys.readouterr().out == (
        "acme: skipped, another sync of this organization held its lease\n"
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sync_jobs_stopped_by_a_signal_frees_the_org_and_says_which_it_was_syncing(
    fake_greenhouse, capsys, monkeypatch, stop
):
    # As a process manager or `timeout` stops it: its org was left "Running…", Refresh now
    # refused and sync_jobs told another sync was running, until its lease ran out 10 minutes on.
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    fetch = GreenhouseClient.fetch_jobs_response

    def stopped_as_it_fetches(client: GreenhouseClient, *args: object, **kwargs: object):
        os.kill(os.getpid(), stop)  # while the sync holds the org's lease
        return fetch(client, *args, **kwargs)

    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", stopped_as_it_fetches)

    def ignored(*_: object) -> None:  # unfixed, this process would end
        pass

    previous = signal.signal(stop, ignored)
    try:
        with pytest.raises(SystemExit) as caught:
            call_command("sync_jobs", "--all")
        left = signal.getsignal(stop)
    finally:
        signal.signal(stop, previous)

    assert caught.value.code == 128 + stop  # as the signal would have ended it
    assert left is ignored  # the command's handler is gone with it
    acme, tiny = GreenhouseConnection.objects.order_by("organization__slug")
    assert acme.lock_expires_at is None and acme.next_sync_at <= timezone.now()
    assert tiny.last_attempt_at is None
    assert capsys.readouterr().err == (
        f"acme: stopped by {stop.name} before its sync finished; the 1 organization after it was "
        "not synced.\n"
    )


def _sync_jobs_all_exit_code(*signals: int) -> int | None:
    """sync_jobs --all's exit code (None: it returned), run with a caller's handler that does
    nothing for `signals`: unfixed, a signal that reached the caller's handler would have ended
    this process."""

    def ignored(*_: object) -> None:
        pass

    previous = {number: signal.signal(number, ignored) for number in signals}
    try:
        call_command("sync_jobs", "--all")
    except SystemExit as exit_:
        return exit_.code
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return None


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sync_jobs_stopped_between_two_orgs_says_which_were_not_synced(
    fake_greenhouse, capsys, monkeypatch, stop
):
    # A signal after one org's sync and before the next's ended the process at once, with no
    # word of the orgs it had not synced.
    for slug, token in [("acme", "acme-robotics"), ("beta", "tiny-co"), ("tiny", "tiny-co")]:
        make_connection(slug, token)
    say = sync_jobs_command.Command.say

    def stopped_once_acme_is_reported(command: BaseCommand, message: str) -> None:
        say(command, message)
        os.kill(os.getpid(), stop)

    monkeypatch.setattr(sync_jobs_command.Command, "say", stopped_once_acme_is_reported)

    code = _sync_jobs_all_exit_code(stop)

    assert code == 128 + stop
    printed = capsys.readouterr()
    assert printed.out.startswith("acme: ok, 6 created")
    assert printed.err == (
        f"beta: stopped by {stop.name} before its sync began; the 1 organization after it was "
        "not synced.\n"
    )
    assert (
        not GreenhouseConnection.objects.filter(last_attempt_at__isnull=False)
        .exclude(organization__slug="acme")
        .exists()
    )


def test_sync_jobs_stopped_marks_the_run_of_the_sync_it_stopped_interrupted(
    fake_greenhouse, monkeypatch
):
    # Its history said "Running" until the next sync of the org marked the run interrupted.
    connection = make_connection("acme", "acme-robotics")
    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", _stopping(signal.SIGTERM))

    assert _sync_jobs_all_exit_code(signal.SIGTERM) == 128 + signal.SIGTERM
    run = SyncRun.objects.get()
    assert run.outcome == SyncRun.Outcome.INTERRUPTED and run.finished_at is not None
    said = sync_status(organization=connection.organization)["message"]
    assert said == f"Failed: {sync.COMMAND_INTERRUPTED_MESSAGE}"


def _stopping(number: int) -> Callable[..., None]:
    def stopped(*_: object, **__: object) -> None:
        os.kill(os.getpid(), number)

    return stopped


def test_sync_jobs_frees_the_org_when_a_second_signal_comes_as_it_does(
    fake_greenhouse, capsys, monkeypatch
):
    # A closed terminal's SIGHUP and then a SIGTERM, or a process manager's SIGTERM sent again:
    # raised again while the stopped sync freed its org, it left the org "Running…".
    make_connection("acme", "acme-robotics")
    fetch = GreenhouseClient.fetch_jobs_response
    release = sync.release_sync_lock

    def stopped_as_it_fetches(client: GreenhouseClient, *args: object, **kwargs: object):
        os.kill(os.getpid(), signal.SIGHUP)
        return fetch(client, *args, **kwargs)

    def signalled_again_as_it_frees(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        release(*args, **kwargs)

    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", stopped_as_it_fetches)
    monkeypatch.setattr(sync, "release_sync_lock", signalled_again_as_it_frees)

    def ignored(*_: object) -> None:  # unfixed, this process would end
        pass

    previous = {
        number: signal.signal(number, ignored) for number in (signal.SIGHUP, signal.SIGTERM)
    }
    try:
        with pytest.raises(SystemExit) as caught:
            call_command("sync_jobs", "--all")
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)

    assert GreenhouseConnection.objects.get().lock_expires_at is None
    assert caught.value.code == 128 + signal.SIGHUP  # the first signal's
    assert "acme: stopped by SIGHUP" in capsys.readouterr().err


def test_sync_jobs_sent_two_signals_at_once_stops_without_a_word_of_the_second(
    fake_greenhouse, capsys, monkeypatch
):
    # Both come before Python runs a handler (the process in a C call, as SQLite syncs a write
    # to disk): the first's set SIG_IGN for the second, and Python printed "Exception ignored
    # ... Traceback ... OSError: Signal 15 ignored due to race condition" on stderr.
    make_connection("acme", "acme-robotics")
    unraisable: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda raised: unraisable.append(raised.exc_value))
    both = {signal.SIGHUP, signal.SIGTERM}

    def signalled_twice(*_: object, **__: object) -> None:
        # To this thread: sent to the process, one might go to another (the fake Greenhouse's)
        # and come here before the other is sent.
        signal.pthread_sigmask(signal.SIG_BLOCK, both)
        try:
            for number in both:
                signal.pthread_kill(threading.get_ident(), number)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, both)  # both come now

    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", signalled_twice)

    assert _sync_jobs_all_exit_code(*both) == 128 + signal.SIGHUP  # the first Python handles
    assert unraisable == []
    assert capsys.readouterr().err == "acme: stopped by SIGHUP before its sync finished.\n"
    assert GreenhouseConnection.objects.get().lock_expires_at is None


@pytest.mark.parametrize("ignored", [signal.SIGHUP, signal.SIGINT], ids=["SIGHUP", "SIGINT"])
def test_sync_jobs_run_with_a_signal_ignored_goes_on_ignoring_it(
    fake_greenhouse, capsys, monkeypatch, ignored
):
    # `nohup sync_jobs --all &`, the terminal then closed: its SIGHUP, ignored by nohup's
    # choice, stopped the sync all the same (129). A shell script's `sync_jobs --all &` is
    # started ignoring SIGINT as well.
    make_connection("acme", "acme-robotics")
    fetch = GreenhouseClient.fetch_jobs_response

    def signalled_as_it_fetches(client: GreenhouseClient, *args: object, **kwargs: object):
        os.kill(os.getpid(), ignored)
        return fetch(client, *args, **kwargs)

    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", signalled_as_it_fetches)
    previous = signal.signal(ignored, signal.SIG_IGN)
    try:
        call_command("sync_jobs", "--all")
        left = signal.getsignal(ignored)
    finally:
        signal.signal(ignored, previous)

    assert capsys.readouterr().out.startswith("acme: ok, 6 created")
    assert left is signal.SIG_IGN


@pytest.mark.parametrize("stopped", [False, True], ids=["synced", "stopped"])
def test_sync_jobs_leaves_alone_a_handler_set_outside_python(
    fake_greenhouse, capsys, monkeypatch, stopped
):
    # One set by a program that embeds Python, or by a C extension, is None to getsignal: put
    # back as None, it failed the command with a TypeError once every org was synced or stopped.
    make_connection("acme", "acme-robotics")
    getsignal = signal.getsignal
    monkeypatch.setattr(
        signal, "getsignal", lambda number: None if number == signal.SIGHUP else getsignal(number)
    )
    if stopped:
        monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", _stopping(signal.SIGTERM))

    def outside_python(*_: object) -> None:
        pass

    previous = signal.signal(signal.SIGHUP, outside_python)
    try:
        code = _sync_jobs_all_exit_code(signal.SIGTERM)
        left = getsignal(signal.SIGHUP)
    finally:
        signal.signal(signal.SIGHUP, previous)

    assert left is outside_python  # never replaced, as it could not be put back
    assert code == (128 + signal.SIGTERM if stopped else None)
    printed = capsys.readouterr()
    if stopped:
        assert printed.err == "acme: stopped by SIGTERM before its sync finished.\n"
    else:
        assert printed.out.startswith("acme: ok, 6 created")


def _sync_jobs_signalled_as_sigterms_handler_is_set(
    monkeypatch, *, callers: Callable[..., None], sent: int, chosen: Callable[[object], bool]
) -> tuple[dict[int, object], int | None]:
    """sync_jobs --all run with `callers` the caller's handler of SIGTERM and SIGHUP, sent
    `sent` as SIGTERM's handler is set to one `chosen` picks: the handlers it left the caller,
    and its exit code (None: it returned)."""
    set_handler = signal.signal

    def setting(number: int, handler: object) -> object:
        replaced = set_handler(number, handler)
        if number == signal.SIGTERM and chosen(handler):
            os.kill(os.getpid(), sent)
        return replaced

    previous = {number: set_handler(number, callers) for number in (signal.SIGTERM, signal.SIGHUP)}
    code = None
    try:
        with monkeypatch.context() as patched:
            patched.setattr(signal, "signal", setting)
            try:
                call_command("sync_jobs", "--all")
            except SystemExit as exit_:
                code = exit_.code
        return {number: signal.getsignal(number) for number in previous}, code
    finally:
        for number, handler in previous.items():
            set_handler(number, handler)


def test_sync_jobs_stopped_as_it_sets_its_handlers_puts_the_callers_back(
    fake_greenhouse, capsys, monkeypatch
):
    # A SIGTERM as SIGHUP's handler was still to be set left both ignored, its own handler's
    # SIG_IGN, for the caller: a test run, or a process calling the command, no longer stopped.
    make_connection("acme", "acme-robotics")

    def ignored(*_: object) -> None:  # unfixed, this process would end
        pass

    left, code = _sync_jobs_signalled_as_sigterms_handler_is_set(
        monkeypatch,
        callers=ignored,
        sent=signal.SIGTERM,
        chosen=lambda handler: handler not in (ignored, signal.SIG_IGN),  # the command's
    )

    assert code == 128 + signal.SIGTERM
    assert left == {signal.SIGTERM: ignored, signal.SIGHUP: ignored}
    assert GreenhouseConnection.objects.get().last_attempt_at is None  # not started
    assert "acme: stopped by SIGTERM" in capsys.readouterr().err


def test_sync_jobs_signalled_as_it_puts_the_callers_handlers_back_says_so_and_exits_as_signalled(
    fake_greenhouse, capsys, monkeypatch
):
    # A SIGHUP as SIGTERM's handler was put back, the sync over, went to the caller's handler,
    # once back: Ctrl-C's raised a KeyboardInterrupt, a traceback once every org was done.
    make_connection("acme", "acme-robotics")
    received: list[int] = []

    def recorded(number: int, _frame: object) -> None:
        received.append(number)

    left, code = _sync_jobs_signalled_as_sigterms_handler_is_set(
        monkeypatch,
        callers=recorded,
        sent=signal.SIGHUP,
        chosen=lambda handler: handler is recorded,
    )

    assert code == 128 + signal.SIGHUP
    assert left == {signal.SIGTERM: recorded, signal.SIGHUP: recorded}
    assert received == []
    printed = capsys.readouterr()
    assert printed.out.startswith("acme: ok, 6 created")
    assert printed.err == "Stopped by SIGHUP once every organization was synced or skipped.\n"


def test_sync_jobs_ended_by_an_error_leaves_a_signal_as_it_puts_the_handlers_back_to_the_caller(
    fake_greenhouse, monkeypatch
):
    # Stopped then, the command would say the error's org was not synced, the error lost.
    make_connection("acme", "acme-robotics")
    monkeypatch.setattr(sync_jobs_command, "sync_organization", _database_lost)
    received: list[int] = []

    def recorded(number: int, _frame: object) -> None:
        received.append(number)

    with pytest.raises(OperationalError):
        _sync_jobs_signalled_as_sigterms_handler_is_set(
            monkeypatch, callers=recorded, sent=signal.SIGHUP, chosen=lambda h: h is recorded
        )

    assert received == [signal.SIGHUP]  # the caller's, as if it came just after


def test_sync_jobs_ctrl_c_as_it_puts_the_handlers_back_exits_130_without_a_traceback(
    fake_greenhouse, capsys, monkeypatch
):
    make_connection("acme", "acme-robotics")
    set_handler = signal.signal
    pressed: list[int] = []

    def setting(number: int, handler: object) -> object:
        if handler is signal.default_int_handler and not pressed:
            pressed.append(number)
            os.kill(os.getpid(), signal.SIGINT)  # as Python's own is put back
        return set_handler(number, handler)

    previous = set_handler(signal.SIGINT, signal.default_int_handler)
    try:
        with monkeypatch.context() as patched:
            patched.setattr(signal, "signal", setting)
            with pytest.raises(BaseException) as caught:
                call_command("sync_jobs", "--all")
        left = signal.getsignal(signal.SIGINT)
    finally:
        set_handler(signal.SIGINT, previous)

    assert pressed
    assert isinstance(caught.value, SystemExit) and caught.value.code == 128 + signal.SIGINT
    assert left is signal.default_int_handler
    printed = capsys.readouterr()
    assert printed.out.startswith("acme: ok, 6 created")
    assert printed.err == "Stopped by SIGINT once every organization was synced or skipped.\n"


class ProcessEnded(Exception):
    """What a default-handled signal does: the process ends where it is."""


def test_sync_jobs_says_it_stopped_before_a_second_signal_can_end_it(
    fake_greenhouse, capsys, monkeypatch
):
    # A process manager's SIGTERM sent again as the caller's handler (the default) was put back,
    # before the stop line was written, ended the process without a word of the org it stopped.
    make_connection("acme", "acme-robotics")
    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", _stopping(signal.SIGTERM))

    def ends_the_process(*_: object) -> None:
        raise ProcessEnded

    with pytest.raises(ProcessEnded):
        _sync_jobs_signalled_as_sigterms_handler_is_set(
            monkeypatch,
            callers=ends_the_process,
            sent=signal.SIGTERM,
            chosen=lambda handler: handler is ends_the_process,
        )

    assert capsys.readouterr().err == "acme: stopped by SIGTERM before its sync finished.\n"


def test_sync_jobs_ended_by_an_error_prints_it_before_a_held_default_handled_signal_ends_it(
    fake_greenhouse, capsys, monkeypatch
):
    # The default action ends the process where it is: Python never printed the error, so an
    # operator saw the process end by the signal with no word of why the command had failed.
    make_connection("acme", "acme-robotics")
    monkeypatch.setattr(sync_jobs_command, "sync_organization", _database_lost)
    printed_first: list[str] = []

    def ends_the_process(_number: int) -> None:
        printed_first.append(capsys.readouterr().err)
        raise ProcessEnded

    monkeypatch.setattr(signal, "raise_signal", ends_the_process)
    with pytest.raises(ProcessEnded):
        _sync_jobs_signalled_as_sigterms_handler_is_set(
            monkeypatch,
            callers=signal.SIG_DFL,
            sent=signal.SIGHUP,
            chosen=lambda handler: handler is signal.SIG_DFL,
        )

    [printed] = printed_first
    assert printed.startswith("Traceback (most recent call last):\n")
    assert printed.endswith("OperationalError: server closed the connection unexpectedly\n")


def _signalled_before(function, number: int = signal.SIGTERM):
    def signalled(*args: object, **kwargs: object) -> object:
        os.kill(os.getpid(), number)
        return function(*args, **kwargs)

    return signalled


def _signalled_after(function, number: int = signal.SIGTERM):
    def signalled(*args: object, **kwargs: object) -> object:
        returned = function(*args, **kwargs)
        os.kill(os.getpid(), number)
        return returned

    return signalled


@pytest.mark.parametrize(
    ("name", "signalled"),
    [("acquire_sync_lock", _signalled_after), ("_recorded_sync_lock_release", _signalled_before)],
    ids=["as-it-takes-the-lease", "as-it-frees-it-its-outcome-recorded"],
)
def test_sync_jobs_stopped_outside_the_syncs_own_freeing_frees_the_org(
    fake_greenhouse, capsys, monkeypatch, name, signalled
):
    # The sync frees its org as a signal unwinds it, from the lease taken until its outcome is
    # recorded: stopped as it took the lease, or as it freed it, it left the org "Running…".
    make_connection("acme", "acme-robotics")
    monkeypatch.setattr(sync, name, signalled(getattr(sync, name)))

    def ignored(*_: object) -> None:  # unfixed, this process would end
        pass

    previous = signal.signal(signal.SIGTERM, ignored)
    try:
        with pytest.raises(SystemExit) as caught:
            call_command("sync_jobs", "--all")
    finally:
        signal.signal(signal.SIGTERM, previous)

    assert GreenhouseConnection.objects.get().lock_expires_at is None
    assert caught.value.code == 128 + signal.SIGTERM
    assert "acme: stopped by SIGTERM" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "signalled", "when"),
    [
        ("acquire_sync_lock", _signalled_after, "before"),
        ("_recorded_sync_lock_release", _signalled_before, "after"),
    ],
    ids=["as-it-takes-the-lease", "as-it-frees-it-its-outcome-recorded"],
)
def test_sync_jobs_stopped_by_ctrl_c_frees_the_org_says_so_and_exits_130(
    fake_greenhouse, capsys, monkeypatch, name, signalled, when
):
    # Ctrl-C raised KeyboardInterrupt wherever the command was: as it took or freed the org's
    # lease, that left the org "Running…" until the lease ran out, and it ended with a traceback
    # and no word of the orgs not synced, its run "running" until the org's next sync.
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    monkeypatch.setattr(sync, name, signalled(getattr(sync, name), signal.SIGINT))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own
    try:
        with pytest.raises(BaseException) as caught:
            call_command("sync_jobs", "--all")
    finally:
        signal.signal(signal.SIGINT, previous)

    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    assert acme.lock_expires_at is None
    assert isinstance(caught.value, SystemExit) and caught.value.code == 128 + signal.SIGINT
    assert not SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING).exists()
    assert capsys.readouterr().err == (
        f"acme: stopped by SIGINT {when} its sync finished; the 1 organization after it was not "
        "synced.\n"
    )


@pytest.mark.parametrize(
    ("name", "signalled", "due_now"),
    [
        ("acquire_sync_lock", _signalled_after, True),
        ("_recorded_sync_lock_release", _signalled_before, False),
    ],
    ids=["as-it-takes-the-lease", "as-it-frees-it-its-outcome-recorded"],
)
def test_sync_jobs_stopped_with_its_lease_held_leaves_the_org_due_at_once(
    fake_greenhouse, monkeypatch, name, signalled, due_now
):
    # As a worker's stopped sync does (jobs.sync.stopped_sync_end): taken, the lease makes the
    # org due only at its end; with its outcome recorded, the next time that outcome set stands.
    make_connection("acme", "acme-robotics")
    GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))
    monkeypatch.setattr(sync, name, signalled(getattr(sync, name)))

    assert _sync_jobs_all_exit_code(signal.SIGTERM) == 128 + signal.SIGTERM

    acme = GreenhouseConnection.objects.get()
    assert acme.lock_expires_at is None
    assert (acme.next_sync_at <= timezone.now()) is due_now
    assert (sync_status(organization=acme.organization)["next_sync_text"] == "due now") is due_now


@pytest.mark.parametrize(
    ("name", "signalled"),
    [
        ("_recorded_sync_lock_release", _signalled_before),
        ("_recorded_health_email_send", _signalled_after),
    ],
    ids=["as-it-frees-its-lease", "after-its-email-check"],
)
def test_sync_jobs_stopped_once_the_outcome_is_recorded_says_the_sync_finished(
    fake_greenhouse, capsys, monkeypatch, name, signalled
):
    # It said "before its sync finished" of a sync whose outcome its history showed.
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    monkeypatch.setattr(sync, name, signalled(getattr(sync, name)))

    assert _sync_jobs_all_exit_code(signal.SIGTERM) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == (
        "acme: stopped by SIGTERM after its sync finished; the 1 organization after it was not "
        "synced.\n"
    )
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.SUCCESS


def _database_lost(*_: object, **__: object) -> None:
    raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.parametrize("stopped_as", ["it-syncs", "it-takes-the-lease"])
def test_sync_jobs_losing_the_database_as_it_stops_exits_as_signalled_and_names_the_lease_end(
    fake_greenhouse, capsys, monkeypatch, stopped_as
):
    # The database's error, met as the org's lease was freed, ended the command (exit code 1,
    # a traceback) in the signal's place, with no word of the org left "Running…".
    make_connection("acme", "acme-robotics")
    if stopped_as == "it-syncs":
        monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", _stopping(signal.SIGTERM))
        monkeypatch.setattr(sync, "release_sync_lock", _database_lost)  # the sync's own freeing
    else:
        monkeypatch.setattr(sync, "acquire_sync_lock", _signalled_after(sync.acquire_sync_lock))
    monkeypatch.setattr(sync, "stopped_sync_run_interrupt", _database_lost)

    assert _sync_jobs_all_exit_code(signal.SIGTERM) == 128 + signal.SIGTERM
    lease = GreenhouseConnection.objects.get().lock_expires_at
    assert capsys.readouterr().err == (
        "acme: stopped by SIGTERM during its sync.\n"
        "acme: its lease could not be freed, the database unreachable (OperationalError('server "
        "closed the connection unexpectedly')); it lapses at "
        f"{timezone.localtime(lease):%Y-%m-%d %H:%M:%S %Z}, and no sync of this organization "
        "can start before.\n"
    )


def test_sync_jobs_that_freed_the_lease_the_sync_could_not_says_not_that_it_is_left_held(
    fake_greenhouse, capsys, monkeypatch
):
    # The database back as the command freed the lease and lost again as it then found the
    # run: it said the lease could not be freed and no sync could start before it lapsed.
    make_connection("acme", "acme-robotics")
    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", _stopping(signal.SIGTERM))
    monkeypatch.setattr(sync, "release_sync_lock", _database_lost)  # the sync's own freeing
    monkeypatch.setattr(sync_jobs_command, "sync_run_of", _database_lost)

    assert _sync_jobs_all_exit_code(signal.SIGTERM) == 128 + signal.SIGTERM
    assert GreenhouseConnection.objects.get().lock_expires_at is None
    assert capsys.readouterr().err == "acme: stopped by SIGTERM during its sync.\n"


def test_sync_jobs_stopped_as_a_failed_sync_frees_its_lease_says_the_sync_finished(
    fake_greenhouse, capsys, monkeypatch
):
    make_connection("acme", "acme-robotics")
    fake_greenhouse.fail_next("acme-robotics", "status", status=503, times=10)
    release = sync._recorded_sync_lock_release
    monkeypatch.setattr(sync, "_recorded_sync_lock_release", _signalled_before(release))

    assert _sync_jobs_all_exit_code(signal.SIGTERM) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "acme: stopped by SIGTERM after its sync finished.\n"
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.FAILED


@pytest.mark.parametrize("stopped_as", ["it-syncs", "its-lease-is-refused"])
def test_sync_jobs_losing_the_database_as_it_stops_names_no_lease_it_does_not_hold(
    fake_greenhouse, capsys, monkeypatch, stopped_as
):
    # Freed by the sync as it unwound, or another sync's: the database lost afterwards, no
    # lease is left held by this command.
    connection = make_connection("acme", "acme-robotics")
    if stopped_as == "it-syncs":
        monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", _stopping(signal.SIGTERM))
    else:
        acquire_sync_lock(connection)  # another sync's, running
        monkeypatch.setattr(sync, "acquire_sync_lock", _signalled_after(sync.acquire_sync_lock))
    monkeypatch.setattr(sync, "stopped_sync_run_interrupt", _database_lost)

    assert _sync_jobs_all_exit_code(signal.SIGTERM) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "acme: stopped by SIGTERM during its sync.\n"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (sync, "stopped_sync_run_interrupt"),
        (sync, "sync_lease_release"),
        (sync_jobs_command, "sync_run_of"),
    ],
    ids=["stopped_sync_run_interrupt", "sync_lease_release", "sync_run_of"],
)
def test_sync_jobs_signalled_again_as_it_ends_the_stopped_sync_ends_it_all_the_same(
    fake_greenhouse, capsys, monkeypatch, module, name
):
    make_connection("acme", "acme-robotics")
    monkeypatch.setattr(sync, "acquire_sync_lock", _signalled_after(sync.acquire_sync_lock))
    again = _signalled_before(getattr(module, name), signal.SIGHUP)
    monkeypatch.setattr(module, name, again)

    assert _sync_jobs_all_exit_code(signal.SIGTERM, signal.SIGHUP) == 128 + signal.SIGTERM
    assert GreenhouseConnection.objects.get().lock_expires_at is None
    assert capsys.readouterr().err == "acme: stopped by SIGTERM before its sync finished.\n"


@pytest.mark.parametrize(
    ("worded_by", "said"),
    [("_as_true_now", "acme: failed, "), ("_why_not_claimed", "acme: skipped, another sync")],
    ids=["failed", "skipped"],
)
def test_sync_jobs_stopped_as_it_reports_an_org_says_what_became_of_it_first(
    fake_greenhouse, capsys, monkeypatch, worded_by, said
):
    # Stopped as it read how to word a finished sync's outcome, it lost the org's line: an
    # operator was not told that the org had failed, or had been skipped.
    acme = make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    if worded_by == "_as_true_now":
        fake_greenhouse.fail_next("acme-robotics", "status", status=503, times=10)
    else:
        acquire_sync_lock(acme)  # another sync's, running
    wording = getattr(sync_jobs_command, worded_by)
    monkeypatch.setattr(sync_jobs_command, worded_by, _signalled_before(wording))

    assert _sync_jobs_all_exit_code(signal.SIGTERM) == 128 + signal.SIGTERM
    printed = capsys.readouterr()
    assert (printed.out + printed.err).startswith(said)
    assert printed.err.endswith("tiny: stopped by SIGTERM before its sync began.\n")
    tiny = GreenhouseConnection.objects.get(organization__slug="tiny")
    assert tiny.last_attempt_at is None


def test_sync_jobs_stopped_as_its_sync_returns_prints_the_orgs_line_first(
    fake_greenhouse, capsys, monkeypatch
):
    # A signal Python handled as the command went from the sync to the report (on calling
    # deferred()) stopped it there: the finished sync's line, its failure, was lost.
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    fake_greenhouse.fail_next("acme-robotics", "status", status=503, times=10)
    deferred = sync_jobs_command._StopSignals.deferred
    monkeypatch.setattr(sync_jobs_command._StopSignals, "deferred", _signalled_before(deferred))

    assert _sync_jobs_all_exit_code(signal.SIGTERM) == 128 + signal.SIGTERM
    printed = capsys.readouterr()
    assert printed.err.startswith("acme: failed, ")
    assert printed.err.endswith("\ntiny: stopped by SIGTERM before its sync began.\n")
    assert GreenhouseConnection.objects.get(organization__slug="tiny").last_attempt_at is None


def test_sync_jobs_stopped_where_python_swallows_the_stop_stops_once_the_org_is_synced(
    fake_greenhouse, capsys, monkeypatch
):
    # A signal whose handler runs in a finalizer (urllib3 closes a pool's connections in one, as
    # the sync's client is collected) has its Stopped printed and dropped by Python: the command
    # went on, every stop signal ignored (_stop's SIG_IGN), and synced every org, exiting 0.
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    fetch = GreenhouseClient.fetch_jobs_response
    swallowed: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda raised: swallowed.append(raised.exc_type))

    class Pool:
        """Freed once unreferenced, its finalizer run at once (a client, in a reference cycle,
        would be collected at some later time, maybe in another test)."""

    def stopped_in_a_finalizer(client: GreenhouseClient, *args: object, **kwargs: object):
        if not swallowed:
            pool = Pool()
            weakref.finalize(pool, os.kill, os.getpid(), signal.SIGTERM)
            del pool
        return fetch(client, *args, **kwargs)

    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", stopped_in_a_finalizer)

    assert _sync_jobs_all_exit_code(signal.SIGTERM) == 128 + signal.SIGTERM
    assert swallowed == [sync_jobs_command.Stopped]
    printed = capsys.readouterr()
    assert printed.out.startswith("acme: ok, 6 created")
    assert printed.err == "tiny: stopped by SIGTERM before its sync began.\n"
    assert GreenhouseConnection.objects.get(organization__slug="tiny").last_attempt_at is None


def test_a_sync_stopped_with_sync_jobs_says_the_command_stopped_not_its_worker(
    fake_greenhouse, monkeypatch
):
    # Ctrl-C: sync_jobs runs the sync in its own process, and no worker stopped.
    connection = make_connection("acme", "acme-robotics")
    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", raise_keyboard_interrupt)
    with pytest.raises(KeyboardInterrupt):
        call_command("sync_jobs", "acme")
    monkeypatch.undo()
    said = (
        "The sync stopped before it finished: the sync_jobs command that ran it was stopped, or "
        "it could not reach this site's database. Nothing from it was saved."
    )

    assert sync_status(organization=connection.organization)["message"] == f"Failed: {said}"
    call_command("sync_jobs", "acme")
    stopped = SyncRun.objects.order_by("pk").first()
    assert stopped.outcome == SyncRun.Outcome.INTERRUPTED and stopped.error_message == said


def raise_keyboard_interrupt(*_: object, **__: object) -> None:
    raise KeyboardInterrupt


def test_sync_jobs_stopped_once_every_org_is_over_says_so_and_exits_as_signalled(
    fake_greenhouse, capsys, monkeypatch
):
    make_connection("acme", "acme-robotics")
    say = sync_jobs_command.Command.say

    def stopped_once_acme_is_reported(command: BaseCommand, message: str) -> None:
        say(command, message)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(sync_jobs_command.Command, "say", stopped_once_acme_is_reported)

    assert _sync_jobs_all_exit_code(signal.SIGTERM) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == (
        "Stopped by SIGTERM once every organization was synced or skipped.\n"
    )


def test_sync_jobs_says_when_an_org_was_deleted_while_it_ran(fake_greenhouse, capsys, monkeypatch):
    make_connection("acme", "acme-robotics")
    make_connection("tiny", "tiny-co")
    real_sync = sync_jobs_command.sync_organization

    def sync_then_delete_tiny(connection, **kwargs):
        result = real_sync(connection, **kwargs)
        Organization.objects.filter(slug="tiny").delete()
        return result

    monkeypatch.setattr(sync_jobs_command, "sync_organization", sync_then_delete_tiny)

    call_command("sync_jobs", "--all")

    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("acme: ok")
    assert lines[1] == "tiny: skipped, it was disconnected or deleted while this command ran"


def test_sync_jobs_exits_non_zero_when_an_org_fails(fake_greenhouse, capsys):
    make_connection("acme", "acme-robotics")
    make_connection("gone", "no-such-board")

    with pytest.raises(CommandError) as caught:
        call_command("sync_jobs", "--all")

    assert str(caught.value) == "1 organization failed to sync."

    captured = capsys.readouterr()
    assert "acme: ok" in captured.out
    assert "gone: failed" in captured.err and "no-such-board" in captured.err


def test_sync_jobs_counts_the_orgs_that_failed(fake_greenhouse):
    make_connection("gone", "no-such-board")
    make_connection("lost", "no-such-board")

    with pytest.raises(CommandError) as caught:
        call_command("sync_jobs", "--all")

    assert str(caught.value) == "2 organizations failed to sync."


def test_sync_jobs_says_no_org_has_an_unknown_slug(fake_greenhouse):
    """It said "Not connected to Greenhouse", as if the org were there."""
    with pytest.raises(CommandError) as caught:
        call_command("sync_jobs", "nobody")

    assert str(caught.value) == "No organization with the slug nobody."


def test_sync_jobs_says_an_org_without_a_connection_is_not_connected(fake_greenhouse):
    Organization.objects.create(name="Acme", slug="acme")

    with pytest.raises(CommandError) as caught:
        call_command("sync_jobs", "acme")

    assert str(caught.value) == "Not connected to Greenhouse: acme (use connect_greenhouse first)."


def test_sync_jobs_names_the_slug_meant_by_one_in_capitals(fake_greenhouse):
    make_connection("acme", "acme-robotics")

    with pytest.raises(CommandError) as caught:
        call_command("sync_jobs", "ACME")

    assert str(caught.value) == "No organization with the slug ACME (did you mean acme?)."
    assert not SyncRun.objects.exists()


def test_sync_jobs_syncs_an_org_saved_with_capitals_by_its_own_slug(fake_greenhouse, capsys):
    """Saved before slugs had to be lowercase."""
    make_connection("ACME", "acme-robotics")
    make_connection("tiny", "tiny-co")

    call_command("sync_jobs", "ACME")

    assert capsys.readouterr().out.startswith("ACME: ok, 6 created")
    assert SyncRun.objects.get().organization.slug == "ACME"


def test_sync_jobs_names_every_unknown_org_in_order_and_syncs_none(fake_greenhouse):
    make_connection("acme", "acme-robotics")
    for slug in ("nu", "eta"):
        Organization.objects.create(name=slug, slug=slug)
    # Ten unknown: a set of them comes out sorted by chance in one run in 10! (3.6 million), as
    # Python seeds its string hashes anew each run; a set of four did in one run in 24.
    slugs = ["zeta", "iota", "acme", "delta", "mu", "beta", "omega", "kappa", "alpha", "Acme"]

    with pytest.raises(CommandError) as caught:
        call_command("sync_jobs", *slugs, "eta", "nu")

    assert str(caught.value) == (
        "No organization with the slugs Acme (did you mean acme?), alpha, beta, delta, iota, "
        "kappa, mu, omega, zeta. Not connected to Greenhouse: eta, nu "
        "(use connect_greenhouse first)."
    )
    assert not SyncRun.objects.exists()


@pytest.mark.parametrize(
    ("slug", "shown"),
    [
        # Bytes of the command line that are not UTF-8, as Python reads them.
        (os.fsdecode(b"acme\xff"), r"'acme\udcff'"),
        ("acme\x00", r"'acme\x00'"),
        ("", "''"),
        ("acme\x1b[2J", r"'acme\x1b[2J'"),
        ("a" * 10_000, f"'{'a' * 40}…'"),
    ],
    ids=["not UTF-8", "NUL", "empty", "escape sequence", "long"],
)
def test_sync_jobs_refuses_what_no_org_has_as_its_slug_and_syncs_nothing(
    fake_greenhouse, slug, shown
):
    """PostgreSQL refused the first two with a traceback; the others were named as they were
    typed, or not at all."""
    make_connection("acme", "acme-robotics")

    with pytest.raises(CommandError) as caught:
        call_command("sync_jobs", "acme", slug)

    assert str(caught.value) == (
        f"Not an organization's slug: {shown} (letters, digits, - and _, at most 100)."
    )
    assert not SyncRun.objects.exists()


def test_sync_jobs_needs_orgs_or_all(fake_greenhouse):
    with pytest.raises(CommandError, match="Name one or more organizations, or pass --all"):
        call_command("sync_jobs")


def test_sync_jobs_given_orgs_and_all_says_it_takes_one_or_the_other(fake_greenhouse):
    make_connection("acme", "acme-robotics")

    with pytest.raises(CommandError, match="Name organizations or pass --all, not both"):
        call_command("sync_jobs", "acme", "--all")

    assert not SyncRun.objects.exists()


@pytest.mark.parametrize("status", [401, 403])
def test_connect_greenhouse_says_where_to_look_when_the_board_request_is_refused(
    fake_greenhouse, status
):
    fake_greenhouse.fail_next("acme-robotics", "status", status=status)

    with pytest.raises(
        CommandError,
        match=f"job board “acme-robotics” was refused "
        rf"\(HTTP {status} .*proxy or firewall.*may reach 127\.0\.0\.1, then run this command "
        r"again\.$",
    ):
        call_command("connect_greenhouse", "acme", "acme-robotics")
    assert not GreenhouseConnection.objects.exists()


def test_connect_greenhouse_says_a_board_gone_is_gone_without_promising_a_retry(fake_greenhouse):
    fake_greenhouse.fail_next("acme-robotics", "status", status=410)

    with pytest.raises(CommandError) as caught:
        call_command("connect_greenhouse", "acme", "acme-robotics")

    assert str(caught.value) == (
        "Greenhouse says the job board “acme-robotics” is gone (HTTP 410): it was taken down or "
        "its token changed. Check the token in Greenhouse's job board settings."
    )
    assert not GreenhouseConnection.objects.exists()
