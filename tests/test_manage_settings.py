"""The org's settings page: connect Greenhouse, API key, schedule, disconnect."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from cryptography.fernet import Fernet
from django.contrib import admin as django_admin
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.db import DatabaseError
from django.db import connection as db_connection
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from jobs.admin import GreenhouseConnectionAdmin
from jobs.connections import (
    BOARD_HISTORY_FIELDS,
    SyncInProgress,
    connection_api_key_set,
    connection_api_key_to_remove,
    connection_disconnect,
    connection_save,
    connection_schedule_update,
)
from jobs.greenhouse import Board
from jobs.models import GreenhouseConnection, Job, Membership, Organization, SyncRun
from jobs.sync import acquire_sync_lock, sync_organization
from jobs.throttle import BOARD_CHECKS_PER_HOUR
from tests.support.helpers import (
    admin_delete_confirmation,
    assert_says_organization_gone,
    form_as_sent,
    marked_sync,
    parsed,
)

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.support.broker"]  # queued, broker_down

SETTINGS_URL = "/manage/north/settings/"


@pytest.fixture
def north(db, fake_greenhouse) -> Organization:
    """An org that has not connected Greenhouse yet."""
    return Organization.objects.create(name="North Wind", slug="north")


@pytest.fixture
def signed_in(client: Client, north: Organization) -> Client:
    user = User.objects.create_user("nora", "nora@north.example", "correct horse battery")
    Membership.objects.create(organization=north, user=user, role=Membership.Role.ADMIN)
    client.force_login(user)
    return client


def connect(client: Client, board_token: str, api_key: str = "", **extra):
    return client.post(
        SETTINGS_URL,
        {"action": "connect", "board_token": board_token, "api_key": api_key},
        **extra,
    )


# --- Connecting --------------------------------------------------------------------------------


def test_it_guides_an_unconnected_org_to_connect(signed_in):
    page = signed_in.get(SETTINGS_URL).content.decode()
    assert "Connect your Greenhouse job board" in page
    assert "Dev Center" in page and "API Credential Management" in page and "Job Board" in page
    assert 'name="board_token"' in page


@pytest.mark.parametrize("url", [SETTINGS_URL, "/manage/north/jobs/", "/manage/north/history/"])
def test_each_page_links_once_to_the_token_field_to_connect_a_board(signed_in, url):
    """Browsers put the focus on the field a link's fragment names; the settings page's own link
    only reloaded the page, leaving a keyboard user at its top. The jobs page asked twice, in
    its sync box and again under it, where its list would be."""
    links = [
        link["href"]
        for link in BeautifulSoup(signed_in.get(url).content, "html.parser").select("main a")
        if link.get_text().startswith("Connect")
    ]
    settings = BeautifulSoup(signed_in.get(SETTINGS_URL).content, "html.parser")

    assert links == [f"{SETTINGS_URL}#id_board_token"]
    assert settings.find(id="id_board_token")["name"] == "board_token"


def test_connecting_shows_the_boards_name_and_queues_the_first_sync(signed_in, north, queued):
    response = connect(signed_in, "liberte-sante", follow=True)

    page = response.content.decode()
    assert "Liberté Santé" in page and "A sync is queued; its jobs appear in a moment." in page
    connection = GreenhouseConnection.objects.get(organization=north)
    assert (connection.board_token, connection.board_name) == ("liberte-sante", "Liberté Santé")
    assert queued == [marked_sync(connection.pk, SyncRun.Trigger.CONNECT)]


def test_a_board_whose_name_shows_nothing_is_named_by_its_token(
    signed_in, north, queued, fake_greenhouse
):
    fake_greenhouse.add_board("blank-name", name="\u200b" * 300 + "Blank", jobs=[])

    response = connect(signed_in, "blank-name", follow=True)

    assert "Connected to the Greenhouse board “blank-name”" in response.content.decode()
    assert GreenhouseConnection.objects.get(organization=north).board_name == ""


def test_board_tokens_checked_for_one_org_stop_after_a_few_an_hour(
    signed_in, north, fake_greenhouse, queued
):
    """Each check asks Greenhouse while a web process waits; a loop of them must not hold the
    site or get its address rate limited by Greenhouse, which every org's syncs share."""
    for n in range(BOARD_CHECKS_PER_HOUR):
        connect(signed_in, f"no-such-board-{n}")
    asked = fake_greenhouse.request_count()

    page = BeautifulSoup(connect(signed_in, "liberte-sante").content, "html.parser")

    # No fault of the token: said once, for the form, not under the token field.
    [said] = page.select(".error-summary li")
    assert said.get_text().startswith("Too many board tokens were checked")
    # When: "try again later" left the admin to guess whether a minute or a day.
    assert said.get_text().endswith("Nothing was saved; try again in an hour.")
    assert said.find("a") is None and page.select_one("#id_board_token_error") is None
    assert fake_greenhouse.request_count() == asked
    assert not GreenhouseConnection.objects.filter(organization=north).exists()


def test_tokens_refused_before_asking_greenhouse_leave_the_hours_checks_alone(
    signed_in, north, fake_greenhouse, queued
):
    """A space or an accent typed in the token asks Greenhouse nothing: such typos counted
    toward the hour's checks, and the page then refused the right token as one too many."""
    for n in range(BOARD_CHECKS_PER_HOUR + 1):
        response = connect(signed_in, f"liberte sante {n}")
        assert "only letters, digits" in response.content.decode()

    response = connect(signed_in, "liberte-sante", follow=True)

    assert "Too many board tokens" not in response.content.decode()
    assert GreenhouseConnection.objects.get(organization=north).board_token == "liberte-sante"
    assert [request.path for request in fake_greenhouse.requests] == ["/v1/boards/liberte-sante"]


def test_connecting_with_a_key_stores_it_encrypted_and_never_shows_it(signed_in, north, queued):
    connect(signed_in, "tiny-co", api_key="gh-secret-key-ABCDE")

    connection = GreenhouseConnection.objects.get(organization=north)
    assert connection.get_api_key() == "gh-secret-key-ABCDE"
    page = signed_in.get(SETTINGS_URL).content.decode()
    assert "gh-secret-key" not in page and "…ABCDE" in page


@pytest.mark.parametrize(
    ("token", "fault", "error"),
    [
        ("no-such-board", None, "has no job board with the token"),
        ("bad/token", None, "only letters, digits"),
        ("tiny-co", {"fault": "slow", "delay": 3}, "did not answer in time"),
        ("tiny-co", {"fault": "rate_limit"}, "rate limiting"),
        ("tiny-co", {"fault": "status", "status": 503}, "could not be reached or is having"),
        ("tiny-co", {"fault": "malformed"}, "does not understand"),
        ("tiny-co", {"fault": "html"}, "answered with a web page instead of the board"),
        # It was "a web page" too.
        (
            "tiny-co",
            {
                "fault": "status",
                "status": 200,
                "body": b"",
                "headers": {"Content-Type": "text/html"},
            },
            "answered with nothing (an empty response) instead of the board",
        ),
        (
            "tiny-co",
            {
                "fault": "status",
                "status": 200,
                "body": b"<?xml version='1.0'?><Error/>",
                "headers": {"Content-Type": "application/xml"},
            },
            "answered with an XML document instead of the board",
        ),
        # Not an outage a minute mends: who can see to the address is named.
        ("tiny-co", {"fault": "redirect", "location": "http://[::1"}, "ask whoever runs this site"),
    ],
)
def test_a_token_greenhouse_does_not_accept_is_explained_and_nothing_is_stored(
    signed_in, fake_greenhouse, settings, queued, caplog, token, fault, error
):
    settings.GREENHOUSE_RETRIES = 0
    settings.GREENHOUSE_READ_TIMEOUT = 0.5
    if fault:
        fake_greenhouse.fail_next(token, **fault)

    response = connect(signed_in, token)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert "Nothing was saved" in response.content.decode() or not fault
    assert not GreenhouseConnection.objects.exists() and queued == []
    assert "connect check failed org=north" in caplog.text


def test_a_check_refused_on_the_way_says_the_token_could_not_be_checked_as_other_failures_do(
    signed_in, fake_greenhouse, queued
):
    """It said "nothing was changed", a sync's words, and not that the token went unchecked."""
    fake_greenhouse.fail_next("tiny-co", "status", status=403)

    page = BeautifulSoup(connect(signed_in, "tiny-co").content, "html.parser")

    [said] = page.select(".error-summary li")
    assert " ".join(said.get_text().split()) == (
        "The request for the job board “tiny-co” was refused (HTTP 403 Forbidden), so the "
        "token could not be checked. Nothing was saved. Greenhouse's job boards need no login "
        "or API key, so the refusal most likely came from a proxy or firewall between this "
        "site and Greenhouse. Ask whoever runs this site to check that this site's server may "
        "reach 127.0.0.1."
    )
    assert not GreenhouseConnection.objects.exists()


@pytest.mark.parametrize(
    ("status", "shown"),
    [(400, "400 Bad Request"), (405, "405 Method Not Allowed"), (418, "418 I'm a Teapot")],
)
def test_a_check_answered_with_another_client_error_says_the_token_could_not_be_checked(
    signed_in, fake_greenhouse, queued, status, shown
):
    """It said "nothing was changed", a sync's words, where a refusal (401, 403) said the token
    went unchecked."""
    fake_greenhouse.fail_next("tiny-co", "status", status=status)

    page = BeautifulSoup(connect(signed_in, "tiny-co").content, "html.parser")

    [said] = page.select(".error-summary li")
    assert " ".join(said.get_text().split()) == (
        f"Greenhouse's address answered the request for the job board “tiny-co” with HTTP "
        f"{shown}, so the token could not be checked. Nothing was saved. This site builds that "
        "request the same way for every board, so the cause is most likely on its side, not the "
        "board's. Ask whoever runs this site to check the address this site uses for Greenhouse "
        "(GREENHOUSE_API_BASE) and any proxy on the way."
    )
    assert not GreenhouseConnection.objects.exists() and queued == []


@pytest.mark.parametrize(
    ("status", "body", "answered"),
    [
        (204, b"", "HTTP 204 No Content"),
        (202, {"name": "Tiny Co"}, "HTTP 202 Accepted"),
        # To a check, which sends no ETag: "in a way this site does not understand … try again
        # in a minute", where a cache on the way may well answer so again.
        (304, b"", "HTTP 304 Not Modified"),
        # A captive portal's page: "try again in a minute", as in an outage, named no one who
        # could see to the address or the proxy that sent it.
        (200, b"<html><body>Sign in to the network</body></html>", "a web page"),
    ],
)
def test_a_check_answered_with_an_unexpected_success_says_who_may_have_and_who_can_see_to_it(
    signed_in, fake_greenhouse, queued, status, body, answered
):
    # "…answered with HTTP 204 No Content instead of the board; nothing was changed." was a
    # sync's words; then "Greenhouse answered in a way this site does not understand … try again
    # in a minute", where the sync's message says it may be a proxy's, and who can see to it.
    fake_greenhouse.fail_next("tiny-co", "body", status=status, body=body)

    page = BeautifulSoup(connect(signed_in, "tiny-co").content, "html.parser")

    [said] = page.select(".error-summary li")
    assert " ".join(said.get_text().split()) == (
        "Greenhouse, or something between this site and Greenhouse (such as a proxy), answered "
        f"with {answered} instead of the board, so the token could not be checked. Nothing was "
        "saved; if this goes on, ask whoever runs this site to check the address it uses for "
        "Greenhouse and any proxy on the way."
    )
    assert not GreenhouseConnection.objects.exists() and queued == []


CASE_HINT = (
    "Tokens are usually all lower case, as they appear in the board's web "
    "address (boards.greenhouse.io/acme)."
)


@pytest.mark.parametrize(("token", "hinted"), [("Tiny-Co", True), ("no-such-board", False)])
def test_a_token_with_capitals_greenhouse_does_not_know_is_said_to_be_case_sensitive(
    signed_in, fake_greenhouse, queued, token, hinted
):
    """Board addresses hold their token in lower case: "Tiny-Co" was only "no job board"."""
    page = " ".join(BeautifulSoup(connect(signed_in, token).content, "html.parser").text.split())

    assert f"Greenhouse has no job board with the token “{token}”." in page
    assert (CASE_HINT in page) == hinted
    assert not GreenhouseConnection.objects.exists()


def test_a_board_checked_at_an_api_base_without_v1_blames_the_address_not_the_token(
    signed_in, fake_greenhouse, settings, queued
):
    # Greenhouse knows no board there: each admin was told to check a token that was right.
    settings.GREENHOUSE_API_BASE = fake_greenhouse.base_url.removesuffix("/v1")

    page = BeautifulSoup(connect(signed_in, "tiny-co").content, "html.parser")

    said = " ".join(page.text.split())
    assert (
        "Greenhouse found no job board “tiny-co” (HTTP 404 Not Found), so the token could not be "
        "checked. Nothing was saved. The address this site asks Greenhouse at, rather than the "
        "token, is most likely the cause: it does not end in /v1"
    ) in said
    assert "Ask whoever runs this site to set GREENHOUSE_API_BASE" in said
    assert "nothing was changed" not in said.lower()
    assert "Check the token" not in said
    assert not GreenhouseConnection.objects.exists() and queued == []


@pytest.mark.parametrize(
    ("fault", "retry_after", "said"),
    [
        ("rate_limit", "300", "try again in about 5 minutes."),
        ("rate_limit", "30", "try again in a minute."),
        ("rate_limit", "soon", "try again in a minute."),  # unreadable: as if not sent
        ("status", "7200", "try again in about 2 hours."),  # a 503's
    ],
)
def test_a_check_greenhouse_asks_to_wait_for_says_roughly_how_long(
    signed_in, fake_greenhouse, settings, queued, fault, retry_after, said
):
    # It said "try again in a minute" whatever Greenhouse's Retry-After said.
    settings.GREENHOUSE_RETRIES = 0
    if fault == "status":
        fake_greenhouse.fail_next(
            "tiny-co", fault, status=503, headers={"Retry-After": retry_after}
        )
    else:
        fake_greenhouse.fail_next("tiny-co", fault, retry_after=retry_after)

    page = connect(signed_in, "tiny-co").content.decode()

    assert f"could not be checked. Nothing was saved; {said}" in page
    assert not GreenhouseConnection.objects.exists() and queued == []


def test_a_board_over_the_size_cap_says_who_can_raise_it_not_to_try_again(
    signed_in, fake_greenhouse, settings, queued
):
    """It said "does not understand ... try again in a minute", while the board stays as large
    until whoever runs the site raises the limit, as the sync's own message says."""
    settings.GREENHOUSE_MAX_RESPONSE_BYTES = 100_000
    fake_greenhouse.fail_next("tiny-co", "oversized", size=500_000)

    page = connect(signed_in, "tiny-co").content.decode()

    assert (
        "response is larger than this site accepts (100,000 bytes), so the token could not be "
        "checked. Nothing was saved. Ask whoever runs this site to raise that limit "
        "(GREENHOUSE_MAX_RESPONSE_BYTES)."
    ) in page
    assert "nothing was changed" not in page
    assert "try again" not in page
    assert not GreenhouseConnection.objects.exists() and queued == []


@pytest.mark.parametrize(
    ("token", "fault", "the_tokens_fault"),
    [
        ("no-such-board", None, True),
        ("tiny-co", {"fault": "status", "status": 403}, False),
        ("tiny-co", {"fault": "status", "status": 503}, False),
    ],
    ids=["unknown token", "refused", "outage"],
)
def test_a_board_check_that_failed_through_no_fault_of_the_token_is_said_once_above_the_form(
    signed_in, fake_greenhouse, settings, token, fault, the_tokens_fault
):
    """A five-line refusal was said in the error summary and again under the token field, as
    if the token were wrong."""
    settings.GREENHOUSE_RETRIES = 0
    if fault:
        fake_greenhouse.fail_next(token, **fault)

    page = BeautifulSoup(connect(signed_in, token).content, "html.parser")

    [said] = page.select(".error-summary li")
    assert (said.find("a", href="#id_board_token") is not None) is the_tokens_fault
    assert (page.select_one("#id_board_token_error") is not None) is the_tokens_fault
    assert page.select_one("#id_board_token").has_attr("aria-invalid") is the_tokens_fault


def test_a_slow_greenhouse_gets_one_try_and_an_answer_within_the_check_time(
    signed_in, fake_greenhouse, monkeypatch, settings
):
    """The person waiting must get the form back before the web server gives up on them: no
    retries, and no sync's 30-second read timeout."""
    settings.GREENHOUSE_READ_TIMEOUT = settings.GREENHOUSE_TOTAL_TIMEOUT = 30  # a sync's
    monkeypatch.setattr("jobs.connections.BOARD_CHECK_SECONDS", 0.5)
    fake_greenhouse.fail_next("tiny-co", "slow", times=5, delay=60)  # cut short as the test ends

    started = time.monotonic()
    response = connect(signed_in, "tiny-co")

    # 0.5 s, and the seconds a loaded machine may add (over 5 s seen); a read not held to it
    # waits the 60 s.
    assert time.monotonic() - started < 20
    assert "did not answer in time" in response.content.decode()
    assert fake_greenhouse.request_count("tiny-co") == 1
    assert not GreenhouseConnection.objects.exists()


def test_a_greenhouse_that_drips_its_headers_gets_an_answer_by_the_check_time(
    signed_in, fake_greenhouse, monkeypatch, caplog
):
    """A byte of the headers every 0.05 s keeps every read within its timeout; the check's total
    deadline still ends it, where the admin waited for the whole head (10 s) or gunicorn."""
    monkeypatch.setattr("jobs.connections.BOARD_CHECK_SECONDS", 0.3)
    fake_greenhouse.fail_next("tiny-co", "drip_headers", byte_delay=0.05)

    started = time.monotonic()
    response = connect(signed_in, "tiny-co")

    assert 0.3 <= time.monotonic() - started < 5  # a loaded machine's seconds, of the 10 s
    assert "Greenhouse did not answer in time" in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert "passed its 0.3s deadline" in caplog.text
    assert fake_greenhouse.request_count("tiny-co") == 1
    assert not GreenhouseConnection.objects.exists()


def test_an_empty_token_is_required_saying_what_to_type(signed_in, fake_greenhouse):
    """It said Django's "This field is required.", which did not say what to type."""
    response = connect(signed_in, "  ")
    assert response.context["form"].errors["board_token"] == [
        "Type your board token, or paste your job board's address."
    ]
    assert "This field is required" not in response.content.decode()
    assert fake_greenhouse.request_count() == 0


def test_connecting_while_the_queue_is_down_keeps_the_connection(signed_in, north, broker_down):
    response = connect(signed_in, "tiny-co", follow=True)

    assert response.status_code == 200
    assert "it will sync on the schedule once the queue is back" in response.content.decode()
    connection = GreenhouseConnection.objects.get(organization=north)
    assert connection.queued_at is None and connection.next_sync_at <= timezone.now()


def test_connecting_an_org_another_admin_deleted_meanwhile_says_it_no_longer_exists(
    signed_in, north, queued, monkeypatch
):
    """The board stored on an org deleted since the page read it was a server error page (500)
    on PostgreSQL: the connection's row pointed to no org when the save committed."""
    from jobs import connections
    from jobs.organizations import organization_delete

    lock = connections.organizations_key_share_lock

    def deleted_meanwhile(organizations: QuerySet[Organization]) -> int:
        organization_delete(organization=Organization.objects.get(pk=north.pk))
        return lock(organizations)

    monkeypatch.setattr(connections, "organizations_key_share_lock", deleted_meanwhile)

    assert_says_organization_gone(connect(signed_in, "tiny-co"))
    assert not GreenhouseConnection.objects.exists()


def test_a_connect_form_refused_for_its_token_asks_for_the_key_typed_again(
    signed_in, north, queued
):
    """The key's box comes back empty, as a password's: nothing said so, and once the token was
    put right the board was connected without the key."""
    again = "The key you entered was not kept: enter it again."
    help_text = "#id_api_key_helptext"

    for blank in ("", "  "):  # no key typed: spaces alone are no key, kept or not
        refused = BeautifulSoup(
            connect(signed_in, "no-such-board", api_key=blank).content, "html.parser"
        )
        assert again not in refused.select_one(help_text).text
    refused = BeautifulSoup(
        connect(signed_in, "no-such-board", api_key="gh-secret-key-ABCDE").content, "html.parser"
    )
    assert again in refused.select_one(help_text).text
    assert refused.select_one("#id_api_key").get("value") is None
    assert "gh-secret-key" not in str(refused)


def test_connecting_another_board_keeps_the_stored_key(signed_in, north, queued):
    connect(signed_in, "tiny-co", api_key="gh-secret-key-ABCDE")
    GreenhouseConnection.objects.update(last_attempt_at=None)
    connect(signed_in, "liberte-sante")
    connection = GreenhouseConnection.objects.get()
    assert connection.board_token == "liberte-sante" and connection.api_key_last5 == "ABCDE"


def test_the_connect_form_offers_to_keep_a_key_only_when_one_is_stored(signed_in, north, queued):
    keep = "Leave empty to keep the key stored now."
    help_text = "#id_api_key_helptext"
    page = BeautifulSoup(signed_in.get(SETTINGS_URL).content, "html.parser")
    assert "Stored encrypted" in page.select_one(help_text).text
    assert keep not in page.select_one(help_text).text  # no key to keep before connecting

    connect(signed_in, "tiny-co")
    page = BeautifulSoup(signed_in.get(SETTINGS_URL).content, "html.parser")
    assert keep not in page.select_one(help_text).text

    connect(signed_in, "tiny-co", api_key="gh-secret-key-ABCDE")
    page = BeautifulSoup(signed_in.get(SETTINGS_URL).content, "html.parser")
    assert keep in page.select_one(help_text).text
    GreenhouseConnection.objects.update(last_attempt_at=None)
    refused = BeautifulSoup(connect(signed_in, "no-such-board").content, "html.parser")
    assert keep in refused.select_one(help_text).text


def test_the_key_and_token_boxes_say_their_limits_as_the_profiles_boxes_do(
    signed_in, north, queued
):
    """No key or token box stops typing at its limit (NoMaxlengthInPage), and none said it: the
    token's limit was told only once refused, the key's in Django's "Ensure this value…"."""
    connect(signed_in, "tiny-co")
    page = BeautifulSoup(signed_in.get(SETTINGS_URL).content, "html.parser")

    def help_of(box: str) -> str:
        return " ".join(page.select_one(f"#id_{box}_helptext").get_text().split())

    assert "boards.greenhouse.io/acme; at most 100 characters. Pasting" in help_of("board_token")
    assert help_of("api_key").startswith("Not needed to show jobs; at most 200 characters. ")
    assert help_of("key-api_key") == (
        "As Greenhouse shows it, key type “Job Board”; at most 200 characters."
    )
    refused = signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": "k" * 201})
    assert (
        "An API key has at most 200 characters; this one has 201. Paste it again from Greenhouse."
    ) in " ".join(BeautifulSoup(refused.content, "html.parser").get_text().split())


def test_connecting_another_board_forgets_what_the_old_board_said(signed_in, connected):
    GreenhouseConnection.objects.update(
        state=GreenhouseConnection.State.FAILING,
        last_error="Greenhouse is having trouble",
        last_attempt_at=timezone.now(),
        last_success_at=timezone.now(),
        failing_since=timezone.now(),
        consecutive_failures=3,
        applied_board_fingerprint="f" * 64,
        applied_board_open_jobs=4,
    )

    connect(signed_in, "liberte-sante")

    connection = GreenhouseConnection.objects.get()
    assert connection.board_token == "liberte-sante"
    assert connection.state == GreenhouseConnection.State.NEVER_SYNCED
    assert (connection.last_error, connection.consecutive_failures) == ("", 0)
    assert connection.last_attempt_at is connection.last_success_at is None
    assert connection.failing_since is None
    assert (connection.applied_board_fingerprint, connection.applied_board_open_jobs) == ("", 0)


def test_connecting_the_same_board_again_shows_its_new_name_and_keeps_its_history(
    signed_in, connected, fake_greenhouse
):
    """Syncs read only the jobs (one request each), never the board's name: a board renamed in
    Greenhouse is renamed here when its token is connected again, as the page says."""
    page = signed_in.get(SETTINGS_URL).content.decode()
    assert "Connect its token again to show the new name" in page
    GreenhouseConnection.objects.update(
        state=GreenhouseConnection.State.OK, applied_board_fingerprint="f" * 64
    )
    fake_greenhouse.add_board("tiny-co", name="Tiny Co. Hot Sauce", jobs=[])

    connect(signed_in, "tiny-co")

    connection = GreenhouseConnection.objects.get()
    assert connection.board_name == "Tiny Co. Hot Sauce"
    assert connection.state == GreenhouseConnection.State.OK
    assert connection.applied_board_fingerprint == "f" * 64


def test_connecting_another_board_waits_for_a_running_sync(signed_in, connected):
    """That sync would record the old board's results and next run time on the new board."""
    acquire_sync_lock(connected)
    response = connect(signed_in, "liberte-sante")
    assert response.status_code == 200
    refused = "A sync of North Wind is running right now, so its board was not changed."
    assert refused in response.content.decode()
    assert GreenhouseConnection.objects.get().board_token == "tiny-co"


def test_a_connect_form_refused_for_a_running_sync_asks_for_the_key_typed_again(
    signed_in, connected
):
    """Refused once checked, by the sync, the form came back with the key's box empty and
    nothing said: tried again once the sync ended, the board was connected without the key."""
    acquire_sync_lock(connected)
    response = connect(signed_in, "liberte-sante", api_key="gh-secret-key-ABCDE")

    refused = BeautifulSoup(response.content, "html.parser")
    assert "running right now" in refused.text
    assert "The key you entered was not kept: enter it again." in (
        refused.select_one("#id_api_key_helptext").text
    )


# --- The API key -------------------------------------------------------------------------------


@pytest.fixture
def connected(north, queued) -> GreenhouseConnection:
    connection = GreenhouseConnection.objects.create(
        organization=north, board_token="tiny-co", board_name="Tiny Co."
    )
    connection.set_api_key("old-key-12345")
    connection.save()
    return connection


def test_it_replaces_the_api_key(signed_in, connected):
    response = signed_in.post(
        SETTINGS_URL, {"action": "api_key", "key-api_key": " new-key-67890 "}, follow=True
    )
    assert "API key replaced; it ends in 67890" in response.content.decode()
    connected.refresh_from_db()
    assert connected.get_api_key() == "new-key-67890"


def test_a_first_api_key_is_stored_not_replaced(signed_in, connected):
    connection_api_key_set(connection=connected, api_key="")

    response = signed_in.post(
        SETTINGS_URL, {"action": "api_key", "key-api_key": "first-key-24680"}, follow=True
    )

    assert "API key stored; it ends in 24680" in response.content.decode()


def test_an_api_key_pasted_with_invisible_characters_is_stored_without_them(signed_in, connected):
    # A byte order mark and a zero-width space, as copying from a page or a chat brings them.
    key = "\ufeffgh-secret-key-ABCDE\u200b"
    response = signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": key}, follow=True)

    assert "API key replaced; it ends in ABCDE." in response.content.decode()
    connected.refresh_from_db()
    assert connected.get_api_key() == "gh-secret-key-ABCDE"


@pytest.mark.parametrize(
    ("api_key", "error"),
    [
        ("two words", "has no spaces"),
        ("gh-secret\x01key", "has no control characters"),
        # Not ASCII, as no key in an HTTP header can be: these were stored.
        ("🔑🔑", "has only plain letters, digits and punctuation"),
        ("gh-sécret-key", "has only plain letters, digits and punctuation"),
        ("ｇｈ－ｓｅｃｒｅｔ", "has only plain letters, digits and punctuation"),
    ],
)
def test_an_api_key_with_spaces_control_characters_or_not_ascii_is_refused_on_the_form(
    signed_in, connected, api_key, error
):
    response = signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": api_key})
    assert error in response.content.decode()
    connected.refresh_from_db()
    assert connected.api_key_last5 == "12345"


@pytest.mark.parametrize("api_key", ["\u200b\ufeff", "\u0301\u0301", "\u3164"])
def test_an_api_key_that_shows_nothing_is_refused_and_the_stored_one_kept(
    signed_in, connected, api_key
):
    """Pasted from a page that held no key: refused, not read as an empty box (which would
    remove the key while saying it was replaced), nor stored."""
    response = signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": api_key})

    assert "An API key has letters and digits" in response.content.decode()
    connected.refresh_from_db()
    assert connected.api_key_last5 == "12345"


@pytest.mark.parametrize("stored", [True, False])
@pytest.mark.parametrize("api_key", ["", "   "])
def test_an_api_key_box_sent_blank_says_no_key_was_entered_and_how_to_remove_one(
    signed_in, connected, api_key, stored
):
    """It said Django's "This field is required.", of a box that held spaces."""
    if not stored:
        connection_api_key_set(connection=connected, api_key="")

    response = signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": api_key})

    error = BeautifulSoup(response.content, "html.parser").select_one("#id_key-api_key_error")
    said = " ".join(error.get_text().split())
    assert said.startswith("No key was entered: the box was empty or held only spaces.")
    assert ("Remove the stored key" in said) == stored
    connected.refresh_from_db()
    assert connected.api_key_last5 == ("12345" if stored else "")


def test_the_blank_key_error_names_the_remove_button_as_it_reads(signed_in, connected):
    """It said to press "Remove the stored key", without the "…" the button has had since it
    leads to a page that asks first."""
    page = parsed(signed_in.get(SETTINGS_URL))
    remove = page.select_one("form:has(input[name=action][value=api_key_remove]) button")

    response = signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": ""})

    error = parsed(response).select_one("#id_key-api_key_error").get_text()
    assert remove.get_text() == "Remove the stored key…"
    assert f"To stop using the stored key, press “{remove.get_text()}” instead." in error


def test_it_removes_the_api_key(signed_in, connected):
    signed_in.post(SETTINGS_URL, REMOVE_KEY_CONFIRMED)
    connected.refresh_from_db()
    assert not connected.has_api_key and connected.api_key_last5 == ""
    assert "No key stored" in signed_in.get(SETTINGS_URL).content.decode()


def confirmation_of_removing(signed_in: Client, page: bytes):
    """The page "Remove the stored key…" on the settings page `page` leads to."""
    return signed_in.post(SETTINGS_URL, sent_from(page, REMOVE_KEY))


def test_removing_the_api_key_asks_first_which_key_goes(signed_in, connected):
    """One click removed it, with no way back: the key is never shown again, so only whoever
    has it from Greenhouse can store it again. Asked as removing a member asks."""
    asked = confirmation_of_removing(signed_in, signed_in.get(SETTINGS_URL).content)

    page = parsed(asked)
    assert asked.status_code == 200
    assert page.h1.get_text() == "Remove the stored API key?"
    assert "ending in …12345" in " ".join(page.select_one("main .card").get_text().split())
    # Answered at the settings page's address, as a part of it.
    assert page.select_one('nav a[aria-current="true"]').get_text() == "Settings"
    assert page.select_one("form.button-row a.button")["href"] == SETTINGS_URL  # Cancel
    assert GreenhouseConnection.objects.get().api_key_last5 == "12345"

    response = signed_in.post(SETTINGS_URL, form_as_sent(asked.content, "main form"), follow=True)

    assert "API key removed." in page_text(response)
    assert not GreenhouseConnection.objects.get().has_api_key


def test_a_key_stored_while_its_removal_is_asked_about_is_not_removed(signed_in, connected):
    """The confirmation sends what the settings page showed, not what it shows itself: another
    tab or admin stored a key after it was asked, which its "Remove the key" never showed."""
    asked = confirmation_of_removing(signed_in, signed_in.get(SETTINGS_URL).content)
    signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": "new-key-24680"})

    response = signed_in.post(SETTINGS_URL, form_as_sent(asked.content, "main form"), follow=True)

    assert f"{ANOTHER_KEY_STORED} {NOT_REMOVED}" in page_text(response)
    assert GreenhouseConnection.objects.get().get_api_key() == "new-key-24680"


def test_a_key_stored_since_the_settings_page_was_read_is_refused_before_asking(
    signed_in, connected
):
    """Refused at once, as a removal confirmed is, not after a page asking to remove it."""
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": "new-key-24680"})

    response = confirmation_of_removing(signed_in, page)

    assert response.status_code == 302
    assert f"{ANOTHER_KEY_STORED} {NOT_REMOVED}" in page_text(signed_in.get(response.url))
    assert GreenhouseConnection.objects.get().get_api_key() == "new-key-24680"


def test_removing_a_key_by_a_script_asks_first_and_names_the_key_stored(signed_in, connected):
    """Sent without the page's fields: the confirmation is the page that shows the key."""
    asked = signed_in.post(SETTINGS_URL, REMOVE_KEY)

    assert GreenhouseConnection.objects.get().has_api_key
    signed_in.post(SETTINGS_URL, form_as_sent(asked.content, "main form"))
    assert not GreenhouseConnection.objects.get().has_api_key


def test_removing_a_key_by_a_script_where_none_is_stored_says_only_that(signed_in, connected):
    """Sent without the page's fields: nothing says a key was shown, or removed meanwhile."""
    connection_api_key_set(connection=connected, api_key="")

    response = signed_in.post(SETTINGS_URL, {"action": "api_key_remove"}, follow=True)

    assert "Nothing changed: no API key is stored." in response.content.decode()


def test_a_key_stored_as_a_removal_finds_none_is_not_removed_unasked(
    signed_in, connected, monkeypatch
):
    """Asked to remove a key where none is stored (sent by a script, which says no key it
    saw), the request removes nothing: a key another tab or admin stores as it answers was
    never named by a page asking whether to remove it."""
    connection_api_key_set(connection=connected, api_key="")

    def stored_after_the_look(**sent):
        found = connection_api_key_to_remove(**sent)
        connection_api_key_set(connection=connected, api_key="new-key-24680")
        return found

    monkeypatch.setattr("jobs.manage_views.connection_api_key_to_remove", stored_after_the_look)

    response = signed_in.post(SETTINGS_URL, REMOVE_KEY, follow=True)

    assert "Nothing changed: no API key is stored." in page_text(response)
    assert GreenhouseConnection.objects.get().get_api_key() == "new-key-24680"


def test_removing_a_key_another_tab_removed_says_nothing_changed(signed_in, connected):
    """It said "API key removed." of a key removed before, in another tab or by another admin."""
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post(SETTINGS_URL, REMOVE_KEY_CONFIRMED, follow=True)

    response = signed_in.post(SETTINGS_URL, sent_from(page, REMOVE_KEY), follow=True)

    said = " ".join(BeautifulSoup(response.content, "html.parser").text.split())
    assert "Nothing changed: no API key is stored; it was removed meanwhile." in said
    assert "API key removed." not in said


def page_text(response) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").text.split())


REMOVE_KEY = {"action": "api_key_remove"}  # the settings page's "Remove the stored key…"
REMOVE_KEY_CONFIRMED = {**REMOVE_KEY, "confirmed": "1"}  # the "Remove the key" it leads to
NOT_REMOVED = "It was not removed: check it below, and remove it if you mean to."
NOT_STORED = (
    "The key you entered was not stored in its place: enter it again below if it is to replace "
    "that one."
)


ANOTHER_KEY_STORED = (
    "The API key stored now, ending in …24680, is not the one this page showed: another tab or "
    "admin stored it meanwhile."
)
KEY_ENDING_ALIKE_STORED = (
    "The API key stored now, also ending in …12345, may not be the one this page showed: "
    "another tab or admin stored a key meanwhile, or the site re-encrypted it."
)


@pytest.mark.parametrize(
    ("meanwhile", "stored_now"),
    [("new-key-24680", ANOTHER_KEY_STORED), ("new-key-12345", KEY_ENDING_ALIKE_STORED)],
    ids=["another-ending", "the-same-ending"],
)
@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        (REMOVE_KEY, NOT_REMOVED),
        (REMOVE_KEY_CONFIRMED, NOT_REMOVED),
        ({"action": "api_key", "key-api_key": "typed-67890"}, NOT_STORED),
    ],
    ids=["remove", "remove-confirmed", "replace"],
)
def test_a_key_removed_or_replaced_from_a_page_read_before_another_was_stored_is_kept(
    signed_in, connected, meanwhile, stored_now, change, outcome
):
    """Another tab or admin replaced the key the page showed: its Remove or Replace removed or
    replaced that key, never shown, saying "API key removed." or "replaced" as of the one shown.
    A key ending as the one shown did is told apart too: the page sends a mark of its key."""
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": meanwhile})

    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    assert f"{stored_now} {outcome}" in page_text(response)
    assert GreenhouseConnection.objects.get().get_api_key() == meanwhile


@pytest.mark.parametrize("meanwhile", ["stored again", "re-encrypted"])
def test_a_key_removed_from_a_page_read_before_it_was_stored_again_or_re_encrypted_says_either(
    signed_in, connected, settings, meanwhile
):
    """The page's mark is of the key's encryption, which either makes anew: the key is kept
    once, as one stored since would be, and the page said "another tab or admin stored it
    meanwhile" where the site's key rotation had re-encrypted it, and "is not the one this page
    showed" of that very key. It says it cannot tell."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    connection_api_key_set(connection=connected, api_key="old-key-12345")
    page = signed_in.get(SETTINGS_URL).content
    if meanwhile == "stored again":
        signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": "old-key-12345"})
    else:
        settings.ENCRYPTION_KEYS = [new, old]
        call_command("rotate_encryption_keys", verbosity=0)

    response = signed_in.post(SETTINGS_URL, sent_from(page, REMOVE_KEY), follow=True)

    assert f"{KEY_ENDING_ALIKE_STORED} {NOT_REMOVED}" in page_text(response)
    assert GreenhouseConnection.objects.get().get_api_key() == "old-key-12345"


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        (REMOVE_KEY, NOT_REMOVED),
        (REMOVE_KEY_CONFIRMED, NOT_REMOVED),
        ({"action": "api_key"}, NOT_STORED),
    ],
    ids=["remove", "remove-confirmed", "store"],
)
def test_a_key_stored_or_removed_from_a_page_that_showed_none_leaves_one_stored_since(
    signed_in, connected, change, outcome
):
    """The page said no key was stored; another tab or admin stored one since, which its Store
    key replaced unseen (or a Remove sent with its fields, as it has no Remove button)."""
    connection_api_key_set(connection=connected, api_key="")
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": "new-key-24680"})

    typed = {"action": "api_key", "key-api_key": "typed-67890"}
    response = signed_in.post(SETTINGS_URL, {**sent_from(page, typed), **change}, follow=True)

    assert (
        "This page showed no API key, and one ending in …24680 was stored meanwhile, in another "
        f"tab or by another admin. {outcome}"
    ) in page_text(response)
    assert GreenhouseConnection.objects.get().get_api_key() == "new-key-24680"


def key_change(action: str, key: str) -> dict[str, str]:
    """The settings page's Remove, as confirmed, or its Replace with `key` typed."""
    return REMOVE_KEY_CONFIRMED if action == "remove" else {"action": "api_key", "key-api_key": key}


NOT_THE_KEY_SHOWN = "The API key stored now, ending in …67890, is not the one this page showed"


@pytest.mark.parametrize(
    ("first", "second", "said", "key_now"),
    [
        ("remove", "replace", ["API key removed.", "API key stored; it ends in 24680."], "24680"),
        ("replace", "remove", ["API key replaced; it ends in 67890.", NOT_THE_KEY_SHOWN], "67890"),
        ("replace", "replace", ["API key replaced; it ends in 67890.", NOT_THE_KEY_SHOWN], "67890"),
    ],
    ids=["remove-then-replace", "replace-then-remove", "replace-twice"],
)
def test_two_tabs_of_one_page_remove_and_replace_the_key_in_either_order(
    signed_in, connected, first, second, said, key_now
):
    """The second tab's change is made only where it takes away no key but the one the page
    showed: a key removed first is stored again, one replaced first is left as it is."""
    page = signed_in.get(SETTINGS_URL).content  # read in both tabs

    for action, key, said_now in zip(
        (first, second), ("tab-1-67890", "tab-2-24680"), said, strict=True
    ):
        response = signed_in.post(
            SETTINGS_URL, sent_from(page, key_change(action, key)), follow=True
        )
        assert said_now in page_text(response)

    assert GreenhouseConnection.objects.get().api_key_last5 == key_now


def test_an_unknown_action_changes_nothing(signed_in, connected):
    response = signed_in.post(SETTINGS_URL, {"action": "drop_tables"}, follow=True)
    assert "could not be made" in response.content.decode()


def test_an_unconnected_org_cannot_change_a_key_it_does_not_have(signed_in, north):
    response = signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": "k"}, follow=True)
    assert response.status_code == 200
    assert not GreenhouseConnection.objects.exists()


CHANGES_OF_A_CONNECTION = [
    {"action": "api_key", "key-api_key": "new-key-67890"},
    {"action": "api_key_remove", "confirmed": "1"},
    {"action": "schedule", "sync_interval_minutes": "60"},
]


@pytest.mark.parametrize("change", CHANGES_OF_A_CONNECTION)
def test_a_change_as_another_admin_disconnects_says_so(signed_in, connected, monkeypatch, change):
    # The page's request read the connection just before the other admin's disconnect deleted it.
    monkeypatch.setattr("jobs.manage_views._connection_of", lambda organization: connected)
    GreenhouseConnection.objects.all().delete()

    response = signed_in.post(SETTINGS_URL, change, follow=True)

    assert response.status_code == 200
    assert "disconnected from Greenhouse meanwhile" in response.content.decode()
    assert_says_what_the_disconnect_left_undone(response, change)
    assert not GreenhouseConnection.objects.exists()


# What each change refused as the org was disconnected meanwhile says: what became of it, and
# that a board is to be connected below (a key or a schedule is of a board's connection).
SAID_AFTER_A_DISCONNECT = {
    "api_key": (
        "This organization was disconnected from Greenhouse meanwhile, so the API key was not "
        "stored. Connect a board below first; its form takes the key too."
    ),
    "api_key_remove": (
        "This organization was disconnected from Greenhouse meanwhile, which deleted its API "
        "key, so there is no key left to remove. Connect a board below if its jobs are to sync "
        "again."
    ),
    "schedule": (
        "This organization was disconnected from Greenhouse meanwhile, so the schedule was not "
        "saved. Connect a board below first, then set its schedule."
    ),
}


def assert_says_what_the_disconnect_left_undone(response, change: dict[str, str]) -> None:
    """A key stored or a schedule set was not saved, and a board is to be connected first; a
    key's removal was not left undone: the disconnect deleted the key. "So the change was not
    saved" said neither."""
    said = parsed(response).select_one(".messages .error").get_text()
    assert said == SAID_AFTER_A_DISCONNECT[change["action"]]


def sent_from(page: bytes, change: dict[str, str]) -> dict[str, str]:
    """`change` as the settings page's form for its action sends it, with the page's hidden
    fields (which connection it showed)."""
    return {
        **form_as_sent(page, f"form:has(input[name=action][value={change['action']}])"),
        **change,
    }


@pytest.mark.parametrize("change", CHANGES_OF_A_CONNECTION)
def test_a_change_sent_from_a_page_read_before_a_disconnect_says_so(signed_in, connected, change):
    """Disconnected in another tab, or by another admin, before the form was sent: it said
    "That change could not be made; the page was out of date.", where a disconnect as the
    request ran said what happened."""
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post("/manage/north/disconnect/")

    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    assert "disconnected from Greenhouse meanwhile" in response.content.decode()
    assert_says_what_the_disconnect_left_undone(response, change)
    assert "out of date" not in response.content.decode()
    assert not GreenhouseConnection.objects.exists()


@pytest.mark.parametrize("confirmed", [False, True], ids=["asked", "confirmed"])
def test_a_key_removal_after_a_disconnect_says_the_key_went_with_it(
    signed_in, connected, confirmed
):
    """The settings page's "Remove the stored key…", or its page's "Remove the key", sent after
    another tab or admin disconnected the org: it said "so the change was not saved", as if the
    key were still stored, where the disconnect deleted it, and not what to do."""
    page = signed_in.get(SETTINGS_URL).content
    if confirmed:
        asked = confirmation_of_removing(signed_in, page)
        removal = form_as_sent(asked.content, "main form")
    else:
        removal = sent_from(page, REMOVE_KEY)
    signed_in.post("/manage/north/disconnect/")

    response = signed_in.post(SETTINGS_URL, removal, follow=True)

    assert_says_what_the_disconnect_left_undone(response, REMOVE_KEY)
    assert not GreenhouseConnection.objects.exists()


@pytest.mark.parametrize("change", CHANGES_OF_A_CONNECTION)
def test_a_change_of_an_org_never_connected_says_it_is_not_connected(signed_in, north, change):
    """Sent by hand, as no page of the org shows these forms: it said "disconnected from
    Greenhouse meanwhile", of an org never connected."""
    response = signed_in.post(SETTINGS_URL, change, follow=True)

    page = response.content.decode()
    assert "This organization is not connected to Greenhouse, so the change was not saved." in page
    assert "meanwhile" not in page
    assert not GreenhouseConnection.objects.exists()


def assert_untouched(connection: GreenhouseConnection, *, key_ends: str) -> None:
    """The connection as connecting left it: its key, and a new connection's schedule (the
    changes sent set 60 minutes)."""
    assert connection.api_key_last5 == key_ends
    assert connection.sync_interval_minutes == 15
    assert connection.enabled


@pytest.mark.parametrize("change", CHANGES_OF_A_CONNECTION)
def test_a_change_sent_from_a_page_of_a_board_disconnected_since_is_not_made_to_the_next(
    signed_in, connected, change
):
    """Another tab disconnected the board and connected another: the first tab's key (meant for
    the board it showed), schedule or removal was made to the new board's connection unsaid."""
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post("/manage/north/disconnect/")
    connect(signed_in, "acme-robotics", api_key="acme-key-24680")

    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    said = " ".join(BeautifulSoup(response.content, "html.parser").text.split())
    assert (
        "This organization's board was changed meanwhile, to “Acme Robotics” (acme-robotics), "
        "so the change was not saved." in said
    )
    assert_untouched(GreenhouseConnection.objects.get(), key_ends="24680")


@pytest.mark.parametrize("change", CHANGES_OF_A_CONNECTION)
def test_a_change_sent_from_a_page_of_a_board_changed_since_is_not_made_to_the_new_one(
    signed_in, connected, change
):
    """Another tab connected another board in place of the one shown (the same row)."""
    page = signed_in.get(SETTINGS_URL).content
    connect(signed_in, "acme-robotics")

    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    assert "board was changed meanwhile, to “Acme Robotics”" in response.content.decode()
    assert_untouched(GreenhouseConnection.objects.get(), key_ends="12345")


@pytest.mark.parametrize("change", CHANGES_OF_A_CONNECTION)
def test_a_change_sent_from_a_page_of_a_board_connected_again_since_is_refused(
    signed_in, connected, change
):
    """The same board disconnected and connected again: the disconnect deleted the key the page
    showed, so its "Remove the stored key" would remove the one stored since."""
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post("/manage/north/disconnect/")
    connect(signed_in, "tiny-co", api_key="tiny-key-13579")

    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    assert (
        "This organization was disconnected from Greenhouse and connected again meanwhile"
        in response.content.decode()
    )
    assert_untouched(GreenhouseConnection.objects.get(), key_ends="13579")


def test_a_key_stored_from_a_page_without_one_of_a_board_connected_again_says_no_key_went(
    signed_in, north, queued
):
    """The page showed no key: the refusal said the reconnection "forgot the API key ... this
    page showed", of a key it never showed."""
    connect(signed_in, "tiny-co")
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post("/manage/north/disconnect/")
    connect(signed_in, "tiny-co")

    change = {"action": "api_key", "key-api_key": "new-key-67890"}
    said = page_text(signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True))

    assert (
        "This organization was disconnected from Greenhouse and connected again meanwhile, "
        "which forgot the schedule this page showed, and its API key if one was stored, so the "
        "change was not saved."
    ) in said
    assert not GreenhouseConnection.objects.get().has_api_key


@pytest.mark.parametrize("change", CHANGES_OF_A_CONNECTION)
def test_a_change_as_another_admin_changes_the_board_is_not_made_to_it(
    signed_in, connected, monkeypatch, change
):
    """The board changed after this request read the connection, before it wrote: the write
    checks the board under the row's lock, which connecting another board takes too."""
    page = signed_in.get(SETTINGS_URL).content
    monkeypatch.setattr("jobs.manage_views._connection_of", lambda organization: connected)
    GreenhouseConnection.objects.filter(pk=connected.pk).update(
        board_token="acme-robotics", board_name="Acme Robotics"
    )

    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    assert "board was changed meanwhile, to “Acme Robotics”" in response.content.decode()
    assert_untouched(GreenhouseConnection.objects.get(), key_ends="12345")


@pytest.mark.parametrize("change", [*CHANGES_OF_A_CONNECTION, {"action": "schedule"}])
@pytest.mark.parametrize(
    ("board", "said"),
    [
        ("tiny-co", "was disconnected from Greenhouse and connected again meanwhile"),
        ("acme-robotics", "board was changed meanwhile, to “Acme Robotics” (acme-robotics)"),
    ],
    ids=["same-board", "another-board"],
)
def test_a_change_as_another_admin_disconnects_and_connects_a_board_says_it_is_connected(
    signed_in, connected, monkeypatch, change, board, said
):
    """Disconnected and connected again after this request read the connection, before it
    wrote: it said "disconnected from Greenhouse meanwhile" of an org connected now."""
    page = signed_in.get(SETTINGS_URL).content
    monkeypatch.setattr("jobs.manage_views._connection_of", lambda organization: connected)
    GreenhouseConnection.objects.all().delete()
    GreenhouseConnection.objects.create(organization=connected.organization, board_token=board)
    GreenhouseConnection.objects.update(board_name="Acme Robotics")

    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    said_now = " ".join(BeautifulSoup(response.content, "html.parser").text.split())
    assert said in said_now and "Nothing changed" not in said_now
    assert_untouched(GreenhouseConnection.objects.get(), key_ends="")


def test_a_board_connected_from_a_page_read_before_a_disconnect_says_no_key_is_stored(
    signed_in, connected
):
    """The page said to leave the key's box empty to keep the stored key, which the disconnect
    in another tab deleted: connected with no key, which is said (it went unsaid)."""
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post("/manage/north/disconnect/")

    change = {"action": "connect", "board_token": "acme-robotics", "api_key": ""}
    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    said = " ".join(BeautifulSoup(response.content, "html.parser").text.split())
    assert "Connected to the Greenhouse board “Acme Robotics”" in said
    assert "The API key this page showed was deleted meanwhile" in said
    assert "no key is stored now. Store it again below." in said
    assert not GreenhouseConnection.objects.get().has_api_key


def test_a_board_connected_from_a_page_that_showed_no_key_says_nothing_of_a_key_deleted(
    signed_in, connected
):
    """No key was stored as the page was read: that none is stored after the connect is not
    news, and no key "this page showed" was deleted."""
    GreenhouseConnection.objects.update(api_key_encrypted="", api_key_last5="")
    page = signed_in.get(SETTINGS_URL).content

    change = {"action": "connect", "board_token": "acme-robotics", "api_key": ""}
    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    assert "Connected to the Greenhouse board" in response.content.decode()
    assert "The API key this page showed" not in response.content.decode()


@pytest.mark.parametrize(
    ("sent_by", "api_key", "key_ends"),
    [("page", "", "12345"), ("script", "", "12345"), ("page", "new-key-67890", "67890")],
    ids=["key-kept", "by-a-script", "key-typed"],
)
def test_a_board_connected_says_nothing_of_the_key_the_page_showed_or_was_given(
    signed_in, connected, sent_by, api_key, key_ends
):
    """The key kept as the page showed it, kept by a script that sends nothing of a page, or
    the key typed: none is "not the one this page showed"."""
    page = signed_in.get(SETTINGS_URL).content

    change = {"action": "connect", "board_token": "acme-robotics", "api_key": api_key}
    sent = sent_from(page, change) if sent_by == "page" else change
    response = signed_in.post(SETTINGS_URL, sent, follow=True)

    said = response.content.decode()
    assert "Connected to the Greenhouse board" in said
    assert "no key is stored" not in said and "the one this page showed" not in said
    assert GreenhouseConnection.objects.get().api_key_last5 == key_ends


CONNECTED_ACME = "Connected to the Greenhouse board “Acme Robotics” (acme-robotics)"
CLOSED_AT_FIRST_SYNC = (
    "its jobs that this board does not list are closed when this board first syncs"
)
REPLACE_OR_REMOVE = "Replace or remove it below if it is not this board's."


@pytest.mark.parametrize(
    ("page_showed", "meanwhile", "said"),
    [
        ("no board", ("connect", "tiny-co", "tiny-key-24680"), True),
        ("no key", ("api_key", "tiny-co", "tiny-key-24680"), True),
        ("a key", ("api_key", "tiny-co", "tiny-key-24680"), True),
        ("a key", ("connect", "acme-robotics", "acme-key-24680"), False),
    ],
    ids=["no-board", "no-key", "another-key", "a-key-for-this-board"],
)
def test_a_board_connected_from_a_page_read_before_another_key_was_stored_says_it_is_kept(
    signed_in, north, queued, page_showed, meanwhile, said
):
    """Another tab stored a key meanwhile, with another board connected: the key's box left
    empty, the board connected kept it unsaid, a key the page never showed and perhaps meant
    for that other board. One stored for the board connected now is its own: nothing to say."""
    if page_showed != "no board":
        connect(signed_in, "tiny-co", api_key="old-key-12345" if page_showed == "a key" else "")
    page = signed_in.get(SETTINGS_URL).content
    action, board, key = meanwhile
    GreenhouseConnection.objects.update(last_attempt_at=None)  # connected again at once
    if action == "connect":
        connect(signed_in, board, api_key=key)
    else:
        signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": key})
    GreenhouseConnection.objects.update(last_attempt_at=None)

    change = {"action": "connect", "board_token": "acme-robotics", "api_key": ""}
    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    said_now = " ".join(BeautifulSoup(response.content, "html.parser").text.split())
    assert "Connected to the Greenhouse board “Acme Robotics”" in said_now
    # Of a page that showed no key, not "is not the one this page showed".
    meanwhile = (
        "The API key stored now, ending in …24680, is not the one this page showed: another "
        "tab or admin stored it meanwhile"
        if page_showed == "a key"
        else "This page showed no API key, and one ending in …24680 was stored meanwhile, in "
        "another tab or by another admin"
    )
    if page_showed == "no board":  # replaced unseen too: named once, with the key it had
        notice = (
            f"{CONNECTED_ACME} in place of “Tiny Co.” (tiny-co), which another tab or admin "
            f"connected meanwhile: {CLOSED_AT_FIRST_SYNC}, and the API key it had is kept for "
            f"this board. {meanwhile}. {REPLACE_OR_REMOVE}"
        )
    else:
        notice = (
            f"{meanwhile}. The board “Tiny Co.” (tiny-co), connected until now, had it, and it is "
            f"kept for this board. {REPLACE_OR_REMOVE}"
        )
    assert (notice in said_now) is said
    assert "the one this page showed" not in said_now or page_showed == "a key"
    assert GreenhouseConnection.objects.get().api_key_last5 == "24680"


REPLACED_UNSEEN = (
    f"{CONNECTED_ACME} in place of “Liberté Santé” (liberte-sante), which another tab or admin "
    f"connected meanwhile: {CLOSED_AT_FIRST_SYNC}."
)


@pytest.mark.parametrize("page_showed", ["no board", "another board", "that board"])
def test_a_board_connected_from_a_page_read_before_another_was_connected_names_the_one_replaced(
    signed_in, north, queued, page_showed
):
    """Another tab connected a board meanwhile: the one connected from the page left open
    replaced it, its jobs closed at the first sync, and the page said only "Connected to ...",
    of a board it never showed. One the page showed, it warned of."""
    if page_showed == "another board":
        connect(signed_in, "tiny-co")
    if page_showed != "that board":
        page = signed_in.get(SETTINGS_URL).content
    GreenhouseConnection.objects.update(last_attempt_at=None)  # connected again at once
    connect(signed_in, "liberte-sante")
    if page_showed == "that board":
        page = signed_in.get(SETTINGS_URL).content
    GreenhouseConnection.objects.update(last_attempt_at=None)

    change = {"action": "connect", "board_token": "acme-robotics", "api_key": ""}
    said = page_text(signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True))

    assert (REPLACED_UNSEEN in said) is (page_showed != "that board")
    assert (f"{CONNECTED_ACME}." in said) is (page_showed == "that board")
    assert GreenhouseConnection.objects.get().board_token == "acme-robotics"


def test_a_key_stored_for_the_board_shown_then_kept_by_another_is_not_said_stored_with_that(
    signed_in, connected
):
    """Another tab stored a key with Tiny Co. connected, the board this page showed, then
    connected Liberté Santé, keeping it: the page said the key was stored "with the board
    “Liberté Santé” (liberte-sante) connected", and so perhaps Liberté Santé's."""
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": "new-key-24680"})
    GreenhouseConnection.objects.update(last_attempt_at=None)
    connect(signed_in, "liberte-sante")
    GreenhouseConnection.objects.update(last_attempt_at=None)

    change = {"action": "connect", "board_token": "acme-robotics", "api_key": ""}
    said = page_text(signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True))

    assert (
        "and the API key it had is kept for this board. The API key stored now, ending in "
        "…24680, is not the one this page showed: another tab or admin stored it meanwhile."
    ) in said
    assert "with the board “Liberté Santé” (liberte-sante) connected" not in said


def test_a_board_connected_from_a_page_read_before_another_board_and_key_names_each_board_once(
    signed_in, connected
):
    """Another tab stored a key, connected Liberté Santé (keeping the key) and paused syncing
    since the page showed Tiny Co.: the replaced board's notice and the kept key's named
    Liberté Santé twice, in six sentences, the key's advice cut off from it by the pause."""
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": "new-key-24680"})
    GreenhouseConnection.objects.update(last_attempt_at=None)
    connect(signed_in, "liberte-sante")
    GreenhouseConnection.objects.update(last_attempt_at=None, enabled=False)
    signed_in.get(SETTINGS_URL)  # shows, and so clears, what the other tab's changes said

    change = {"action": "connect", "board_token": "acme-robotics", "api_key": ""}
    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        f"{CONNECTED_ACME} in place of “Liberté Santé” (liberte-sante), which another tab or "
        f"admin connected meanwhile: {CLOSED_AT_FIRST_SYNC}, and the API key it had is kept for "
        "this board. The API key stored now, ending in …24680, is not the one this page showed: "
        f"another tab or admin stored it meanwhile. {REPLACE_OR_REMOVE} Syncing was paused and is "
        "on again. It syncs within a minute."
    ]


def test_a_board_named_right_to_left_is_named_before_its_token(signed_in, queued, fake_greenhouse):
    """A token of digits took the name's direction: Chromium laid the name, its quotes and
    "(2024)" out right to left together, “(2024) ”שלום. A left-to-right mark ends the name."""
    fake_greenhouse.add_board("2024", name="שלום", jobs=[])

    said = page_text(connect(signed_in, "2024", follow=True))

    assert "Connected to the Greenhouse board “שלום”\u200e (2024). " in said


def test_a_board_connected_by_a_script_names_no_board_replaced(signed_in, connected):
    """A form sent without the page's hidden fields says nothing of what the page showed."""
    GreenhouseConnection.objects.update(last_attempt_at=None)
    said = page_text(connect(signed_in, "acme-robotics", follow=True))
    assert f"{CONNECTED_ACME}. " in said
    assert "in place of" not in said


def test_a_board_connected_from_a_page_read_before_a_key_ending_alike_was_stored_says_it(
    signed_in, connected
):
    """Another tab stored a key that ends as the one the page showed: the end the page sent
    matched, and the key kept went unsaid."""
    page = signed_in.get(SETTINGS_URL).content
    signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": "new-key-12345"})

    change = {"action": "connect", "board_token": "acme-robotics", "api_key": ""}
    response = signed_in.post(SETTINGS_URL, sent_from(page, change), follow=True)

    assert (
        "The API key stored now, also ending in …12345, may not be the one this page showed: "
        "another tab or admin stored a key meanwhile, or the site re-encrypted it. The board "
        "“Tiny Co.” (tiny-co), connected until now, had it"
    ) in page_text(response)
    assert GreenhouseConnection.objects.get().get_api_key() == "new-key-12345"


def test_a_schedule_sent_unchanged_as_another_admin_disconnects_says_so(
    signed_in, connected, monkeypatch
):
    """It said "Nothing changed: jobs sync every …" of a connection no longer there."""
    monkeypatch.setattr("jobs.manage_views._connection_of", lambda organization: connected)
    GreenhouseConnection.objects.all().delete()
    unchanged = {"sync_interval_minutes": str(connected.sync_interval_minutes)}

    response = signed_in.post(SETTINGS_URL, {"action": "schedule", **unchanged}, follow=True)

    assert "disconnected from Greenhouse meanwhile" in response.content.decode()
    assert "Nothing changed" not in response.content.decode()


@pytest.mark.parametrize(
    "form",
    [{"action": "schedule", "sync_interval_minutes": "60"}, {"action": "api_key_remove"}],
    ids=["schedule", "api_key_remove"],
)
def test_a_change_as_another_admin_deletes_the_org_says_it_no_longer_exists(
    signed_in, connected, monkeypatch, form
):
    """It said "disconnected from Greenhouse meanwhile" on its way to the settings page, which
    was not found."""

    def deleted_meanwhile(organization: Organization) -> GreenhouseConnection:
        Organization.objects.filter(pk=organization.pk).delete()
        return connected  # as this request read it

    monkeypatch.setattr("jobs.manage_views._connection_of", deleted_meanwhile)

    assert_says_organization_gone(signed_in.post(SETTINGS_URL, form))


# --- Schedule ----------------------------------------------------------------------------------


def test_it_sets_the_sync_interval_from_the_last_attempt(signed_in, connected):
    last_attempt = timezone.now()
    GreenhouseConnection.objects.update(last_attempt_at=last_attempt)
    response = signed_in.post(
        SETTINGS_URL, {"action": "schedule", "sync_interval_minutes": "60"}, follow=True
    )
    assert "Jobs now sync every 1 hour." in response.content.decode()
    connected.refresh_from_db()
    assert connected.sync_interval_minutes == 60 and connected.enabled
    assert (connected.next_sync_at - last_attempt).total_seconds() == 3600


def test_a_new_schedule_while_a_sync_runs_keeps_the_org_due_when_its_lease_ends(connected):
    """Should that sync's worker die, the dispatcher runs the org again then, as it would have
    without the change (acquire_sync_lock), not a whole new interval later."""
    GreenhouseConnection.objects.filter(pk=connected.pk).update(last_attempt_at=timezone.now())
    connected.refresh_from_db()
    # The sync starts after the settings page read the connection.
    lease = acquire_sync_lock(GreenhouseConnection.objects.get(pk=connected.pk))

    connection_schedule_update(connection=connected, sync_interval_minutes=24 * 60, paused=False)

    assert connected.next_sync_at == lease  # as the page shows it
    connected.refresh_from_db()
    assert connected.next_sync_at == lease and connected.sync_interval_minutes == 24 * 60


@pytest.mark.parametrize("lease_ended_ago", [None, timedelta(seconds=1)], ids=["none", "ended"])
def test_a_new_schedule_without_a_running_sync_counts_from_the_last_attempt(
    connected, lease_ended_ago
):
    last_attempt = timezone.now()
    GreenhouseConnection.objects.filter(pk=connected.pk).update(
        last_attempt_at=last_attempt,
        lock_expires_at=None if lease_ended_ago is None else last_attempt - lease_ended_ago,
    )
    connected.refresh_from_db()

    connection_schedule_update(connection=connected, sync_interval_minutes=24 * 60, paused=False)

    assert connected.next_sync_at == last_attempt + timedelta(days=1)
    connected.refresh_from_db()
    assert connected.next_sync_at == last_attempt + timedelta(days=1)


OUT_OF_BOUNDS = "Between 5 minutes and 24 hours (1,440 minutes), please."


@pytest.mark.parametrize(
    ("value", "error"),
    [("1", OUT_OF_BOUNDS), ("4", OUT_OF_BOUNDS), ("1441", OUT_OF_BOUNDS), ("x", "whole")],
)
def test_an_interval_out_of_bounds_is_refused_in_the_words_of_its_help_text(
    signed_in, connected, value, error
):
    """Posted past the box's min and max: said as the help text says it, not as Django does
    ("Ensure this value is greater than or equal to 5")."""
    response = signed_in.post(SETTINGS_URL, {"action": "schedule", "sync_interval_minutes": value})
    html = response.content.decode()
    assert error in html and "Ensure this value" not in html
    assert 'min="5" max="1440"' in html  # the box's own bounds, for a browser that checks them
    connected.refresh_from_db()
    assert connected.sync_interval_minutes == 15


def test_an_interval_left_empty_says_what_to_type(signed_in, connected):
    """It said Django's "This field is required.", which says not what to type."""
    response = signed_in.post(SETTINGS_URL, {"action": "schedule", "sync_interval_minutes": ""})

    assert response.context["forms"]["schedule"].errors["sync_interval_minutes"] == [
        "Type how often to sync, in minutes: 5 to 1,440."
    ]
    assert "This field is required" not in response.content.decode()
    connected.refresh_from_db()
    assert connected.sync_interval_minutes == 15


def test_it_pauses_and_resumes_syncing(signed_in, connected):
    signed_in.post(
        SETTINGS_URL, {"action": "schedule", "sync_interval_minutes": "15", "paused": "on"}
    )
    connected.refresh_from_db()
    assert not connected.enabled
    assert "syncing paused" in signed_in.get(SETTINGS_URL).content.decode()

    signed_in.post(SETTINGS_URL, {"action": "schedule", "sync_interval_minutes": "15"})
    connected.refresh_from_db()
    assert connected.enabled


def test_resuming_syncing_says_it_is_on_again(signed_in, connected):
    """Unticking "Pause syncing" was answered "Jobs now sync every 15 minutes." alone, as if
    only the interval had changed; connecting the board again says it as this does."""
    GreenhouseConnection.objects.filter(pk=connected.pk).update(enabled=False)
    resume = {"action": "schedule", "sync_interval_minutes": "15"}

    page = signed_in.post(SETTINGS_URL, resume, follow=True).content.decode()

    assert "Syncing was paused and is on again. Jobs now sync every 15 minutes." in page
    page = signed_in.post(SETTINGS_URL, resume, follow=True).content.decode()
    assert "Syncing was paused" not in page  # it was on: nothing to say


@pytest.mark.parametrize(
    ("paused", "said"),
    [
        (False, "Nothing changed: jobs sync every 30 minutes."),
        (True, "Nothing changed: syncing is paused."),
    ],
    ids=["on", "paused"],
)
def test_saving_the_schedule_unchanged_says_nothing_changed(signed_in, connected, paused, said):
    """It said "Jobs now sync every 30 minutes." as if the interval had just been set, and counted
    the next sync anew from the last attempt, moving one brought forward (a freed lease)."""
    soon = timezone.now()
    GreenhouseConnection.objects.filter(pk=connected.pk).update(
        sync_interval_minutes=30, enabled=not paused, last_attempt_at=soon, next_sync_at=soon
    )
    page = form_as_sent(signed_in.get(SETTINGS_URL).content, "form:has(input[value=schedule])")

    html = signed_in.post(SETTINGS_URL, page, follow=True).content.decode()

    assert said in html and "Jobs now sync" not in html and "Syncing is paused." not in html
    connected.refresh_from_db()
    assert connected.next_sync_at == soon


@pytest.mark.parametrize(
    ("paused_before", "change"),
    [(False, {"paused": "on"}), (True, {"sync_interval_minutes": "45"})],
    ids=["pausing", "new-interval-while-paused"],
)
def test_a_schedule_saved_paused_says_the_interval_it_resumes_with(
    signed_in, connected, paused_before, change
):
    """It said only "Syncing is paused. Jobs stay as they are until you resume.", leaving an
    interval changed while paused unconfirmed."""
    GreenhouseConnection.objects.filter(pk=connected.pk).update(
        sync_interval_minutes=30, enabled=not paused_before
    )
    page = form_as_sent(signed_in.get(SETTINGS_URL).content, "form:has(input[value=schedule])")

    html = signed_in.post(SETTINGS_URL, {**page, **change}, follow=True).content.decode()

    minutes = change.get("sync_interval_minutes", "30")
    assert (
        "Syncing is paused. Jobs stay as they are until you resume; then they sync every "
        f"{minutes} minutes."
    ) in html


def test_a_new_interval_from_a_page_left_open_keeps_a_pause_made_meanwhile(signed_in, connected):
    """The schedule form writes what was changed on it, as the other settings forms do: the
    other admin's pause stays, and so does their interval when this page only pauses."""
    page = form_as_sent(signed_in.get(SETTINGS_URL).content, "form:has(input[value=schedule])")
    connection_schedule_update(connection=connected, sync_interval_minutes=15, paused=True)

    response = signed_in.post(SETTINGS_URL, {**page, "sync_interval_minutes": "30"}, follow=True)

    connected.refresh_from_db()
    assert connected.sync_interval_minutes == 30 and not connected.enabled
    assert "Syncing is paused." in response.content.decode()

    connection_schedule_update(connection=connected, sync_interval_minutes=60, paused=False)
    signed_in.post(SETTINGS_URL, {**page, "paused": "on"})
    connected.refresh_from_db()
    assert connected.sync_interval_minutes == 60 and not connected.enabled


SCHEDULE_FORM = "form:has(input[value=schedule])"


@pytest.mark.parametrize(
    ("meanwhile", "typed", "said"),
    [
        (
            {"sync_interval_minutes": 60},
            {"sync_interval_minutes": "30"},
            "“Sync every (minutes)” (now “60”)",
        ),
        ({"enabled": False}, {"paused": "on"}, ""),  # paused as the page pauses: no refusal
        (
            {"enabled": False, "sync_interval_minutes": 60},
            {"sync_interval_minutes": "5"},
            "“Sync every (minutes)” (now “60”)",
        ),
    ],
)
def test_a_schedule_changing_what_was_changed_meanwhile_saves_nothing_and_says_it_now(
    signed_in, connected, meanwhile, typed, said
):
    """The page saved last undid the other admin's change unseen. Nothing of it is saved, as on
    an account's page; shown again over what is saved now (paused, where the other admin
    paused), saving it again makes its change and keeps the pause."""
    page = form_as_sent(signed_in.get(SETTINGS_URL).content, SCHEDULE_FORM)
    GreenhouseConnection.objects.filter(pk=connected.pk).update(**meanwhile)

    response = signed_in.post(SETTINGS_URL, {**page, **typed})

    connected.refresh_from_db()
    if not said:
        assert response.status_code == 302 and not connected.enabled
        return
    assert response.status_code == 200
    assert (
        f"Nothing was saved: {said} changed by someone else since this page was opened."
    ) in parsed(response).get_text()
    assert connected.sync_interval_minutes == 60
    again = form_as_sent(response.content, SCHEDULE_FORM)
    assert again["sync_interval_minutes"] == typed["sync_interval_minutes"]
    assert signed_in.post(SETTINGS_URL, again).status_code == 302
    connected.refresh_from_db()
    assert connected.sync_interval_minutes == int(typed["sync_interval_minutes"])
    assert connected.enabled == meanwhile.get("enabled", True)


def test_a_schedule_changed_back_meanwhile_is_saved(signed_in, connected):
    """Nothing of another change would be undone: saved, as any change."""
    page = form_as_sent(signed_in.get(SETTINGS_URL).content, SCHEDULE_FORM)
    connection_schedule_update(connection=connected, sync_interval_minutes=60)
    connection_schedule_update(connection=connected, sync_interval_minutes=15)

    response = signed_in.post(SETTINGS_URL, {**page, "sync_interval_minutes": "30"})

    assert response.status_code == 302
    connected.refresh_from_db()
    assert connected.sync_interval_minutes == 30


def test_a_schedule_from_a_page_opened_before_a_sync_is_saved(signed_in, connected):
    """A sync writes when it ran and when the next one is due, never the schedule: no change
    made meanwhile."""
    page = form_as_sent(signed_in.get(SETTINGS_URL).content, SCHEDULE_FORM)
    assert sync_organization(connected, trigger=SyncRun.Trigger.SCHEDULE).ok

    response = signed_in.post(SETTINGS_URL, {**page, "sync_interval_minutes": "30", "paused": "on"})

    assert response.status_code == 302
    connected.refresh_from_db()
    assert connected.sync_interval_minutes == 30 and not connected.enabled


def test_connecting_a_paused_org_again_says_syncing_is_on_again(signed_in, connected, queued):
    GreenhouseConnection.objects.filter(pk=connected.pk).update(enabled=False)

    page = connect(signed_in, connected.board_token, follow=True).content.decode()

    assert "Syncing was paused and is on again." in page
    connected.refresh_from_db()
    assert connected.enabled
    page = connect(signed_in, connected.board_token, follow=True).content.decode()
    assert "Syncing was paused" not in page  # it was on: nothing to say


# --- Status on the page ------------------------------------------------------------------------


def test_the_page_shows_the_connection_state_and_last_error(signed_in, connected, fake_greenhouse):
    fake_greenhouse.remove_board("tiny-co")
    sync_organization(connected, trigger=SyncRun.Trigger.SCHEDULE)

    page = signed_in.get(SETTINGS_URL).content.decode()

    assert "Invalid board token" in page
    assert "has no job board with the token" in page
    assert "Last attempt" in page and "Last success" in page


def test_a_failed_syncs_reason_is_said_once(signed_in, connected, fake_greenhouse):
    """A refusal's reason runs to five lines: the list's Last error and the failed sync's line
    under it both gave it in full."""
    fake_greenhouse.fail_next("tiny-co", "status", status=403)
    sync_organization(connected, trigger=SyncRun.Trigger.SCHEDULE)
    reason = GreenhouseConnection.objects.get().last_error
    assert "was refused (HTTP 403 Forbidden)" in reason

    page = BeautifulSoup(signed_in.get(SETTINGS_URL).content, "html.parser")

    assert page.get_text().count("was refused") == 1
    assert page.select_one("[data-field=message]").get_text() == f"Failed: {reason}"
    last_error = page.select_one("[data-field=last_error_text]")
    assert last_error.get_text() == "see the failed sync below"
    # While the next sync runs, its line says so: the list gives the reason again.
    acquire_sync_lock(connected)
    running = signed_in.get("/manage/north/status.json").json()
    assert (running["message"], running["last_error_text"]) == ("Running…", reason)


def test_a_failing_connection_says_since_when(signed_in, connected, fake_greenhouse, settings):
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("tiny-co", "status", status=502)
    sync_organization(connected, trigger=SyncRun.Trigger.SCHEDULE)
    assert "Failing since" in signed_in.get(SETTINGS_URL).content.decode()


# --- Disconnect --------------------------------------------------------------------------------


def test_disconnect_asks_first_and_says_the_jobs_are_kept(signed_in, connected):
    sync_organization(connected, trigger=SyncRun.Trigger.COMMAND)
    page = signed_in.get("/manage/north/disconnect/").content.decode()
    assert "jobs are kept" in page and "will be closed" in page
    assert GreenhouseConnection.objects.exists()


def test_a_head_on_disconnect_answers_the_page_and_disconnects_nothing(signed_in, connected):
    """HEAD is a GET without its body (link checkers, monitors) and skips the CSRF check: it
    must never do what only the form's POST does."""
    response = signed_in.head("/manage/north/disconnect/")

    assert response.status_code == 200 and not response.content
    assert GreenhouseConnection.objects.exists()


def test_disconnect_closes_the_jobs_keeps_them_and_forgets_the_connection(signed_in, connected):
    sync_organization(connected, trigger=SyncRun.Trigger.COMMAND)
    Job.objects.update(featured=True)
    count = Job.objects.count()

    response = signed_in.post("/manage/north/disconnect/", follow=True)

    assert count == 1 and "1 open job was closed" in response.content.decode()
    assert not GreenhouseConnection.objects.exists()
    assert Job.objects.filter(is_open=False, featured=True).count() == count
    assert SyncRun.objects.exists()  # history stays with the organization


@pytest.mark.parametrize(
    ("open_jobs", "page_says", "then_says"),
    [
        (0, "None is open now.", "The jobs were kept: none was open."),
        (
            1,
            "The 1 open job will be closed, so visitors no longer see it.",
            "1 open job was closed, so visitors no longer see it.",
        ),
        (
            3,
            "The 3 open jobs will be closed, so visitors no longer see them.",
            "3 open jobs were closed, so visitors no longer see them.",
        ),
    ],
)
def test_disconnecting_counts_the_open_jobs_it_closes(
    signed_in, connected, north, open_jobs, page_says, then_says
):
    for number in range(open_jobs):
        Job.objects.create(organization=north, greenhouse_id=number + 1, title=f"Job {number}")
    page = signed_in.get("/manage/north/disconnect/").content.decode()

    response = signed_in.post("/manage/north/disconnect/", follow=True)

    assert page_says in " ".join(page.split())
    assert then_says in response.content.decode()


@pytest.mark.parametrize(
    ("unlisted", "page_says", "then_says"),
    [
        (
            {"hidden": True},
            "The 1 open job will be closed; visitors do not see it now, as it is hidden or past"
            " its application deadline.",
            "1 open job was closed; visitors did not see it, as it was hidden or past its"
            " application deadline.",
        ),
        (
            {"application_deadline": timezone.now() - timedelta(days=1)},
            "The 1 open job will be closed; visitors do not see it now",
            "1 open job was closed; visitors did not see it",
        ),
    ],
)
def test_disconnecting_does_not_say_visitors_lose_a_job_they_did_not_see(
    signed_in, connected, north, unlisted, page_says, then_says
):
    Job.objects.create(organization=north, greenhouse_id=1, title="Unlisted", **unlisted)
    page = signed_in.get("/manage/north/disconnect/").content.decode()

    response = signed_in.post("/manage/north/disconnect/", follow=True)

    assert page_says in " ".join(page.split()) and "visitors no longer see" not in page
    assert then_says in response.content.decode()
    assert not Job.objects.filter(is_open=True).exists()


def test_disconnecting_says_visitors_lose_only_the_listed_jobs(signed_in, connected, north):
    for number in range(3):
        Job.objects.create(
            organization=north, greenhouse_id=number + 1, title=f"Job {number}", hidden=number == 0
        )
    page = signed_in.get("/manage/north/disconnect/").content.decode()

    response = signed_in.post("/manage/north/disconnect/", follow=True)

    page_says = "The 3 open jobs will be closed, so visitors no longer see the 2 they see now."
    assert page_says in " ".join(page.split()) and "Disconnect and close 3 jobs" in page
    then_says = "3 open jobs were closed, so visitors no longer see the 2 they saw."
    assert then_says in response.content.decode()


def test_disconnect_waits_for_a_running_sync(signed_in, connected):
    acquire_sync_lock(connected)
    response = signed_in.post("/manage/north/disconnect/", follow=True)
    assert f"{NOT_DISCONNECTED} Try again in a minute" in response.content.decode()
    assert GreenhouseConnection.objects.exists()


def test_a_refused_disconnect_says_when_the_lease_taken_since_the_page_read_it_ends(connected):
    """The settings page read the connection before a sync took its lease: the lease said is
    the one held now, not the page's (none), which says only to try again in a minute."""
    read_by_the_page = GreenhouseConnection.objects.get(pk=connected.pk)
    acquire_sync_lock(connected)

    with pytest.raises(SyncInProgress) as refused:
        connection_disconnect(connection=read_by_the_page)

    assert refused.value.message.endswith(", and this one ends within about 10 minutes.")


def test_a_disconnect_after_another_says_it_was_already_disconnected(
    signed_in, connected, monkeypatch
):
    """A second click on Disconnect, or another admin's, read the connection just before the
    first deleted it: it was told a sync was running, and to try again."""

    def after_another(*, connection: GreenhouseConnection, **sent):
        GreenhouseConnection.objects.filter(pk=connection.pk).delete()
        return connection_disconnect(connection=connection, **sent)

    monkeypatch.setattr("jobs.manage_views.connection_disconnect", after_another)

    response = signed_in.post("/manage/north/disconnect/", follow=True)

    assert response.redirect_chain == [(SETTINGS_URL, 302)]
    page = response.content.decode()
    assert "This organization was already disconnected from Greenhouse." in page
    assert "running right now" not in page


# Another tab or admin, meanwhile: what it left connected, and what the refusal names.
BOARDS_CONNECTED_MEANWHILE = pytest.mark.parametrize(
    ("disconnected_first", "board", "said"),
    [
        (False, "acme-robotics", "the board of North Wind was changed meanwhile, to “Acme"),
        (True, "acme-robotics", "the board of North Wind was changed meanwhile, to “Acme"),
        (True, "tiny-co", "North Wind was disconnected from Greenhouse and connected again"),
    ],
    ids=["board-changed", "another-connected-again", "same-connected-again"],
)


def disconnect_refused_says(response, said: str) -> None:
    """The refusal, on the settings page of the board connected now, whose open job stays."""
    said_now = " ".join(BeautifulSoup(response.content, "html.parser").text.split())
    assert response.redirect_chain == [(SETTINGS_URL, 302)]
    assert f"Nothing was disconnected: {said}" in said_now
    assert "already disconnected" not in said_now and "Disconnected from" not in said_now
    assert GreenhouseConnection.objects.exists()
    assert Job.objects.filter(is_open=True).count() == 1


@BOARDS_CONNECTED_MEANWHILE
def test_a_disconnect_sent_from_a_page_of_a_board_changed_since_disconnects_nothing(
    signed_in, connected, north, disconnected_first, board, said
):
    """The page showed one board; another tab connected another since (or the same one again,
    after a disconnect): its Disconnect disconnected that one and closed its jobs, unasked."""
    page = signed_in.get("/manage/north/disconnect/").content
    if disconnected_first:  # followed: the next page says it, not the refusal's
        signed_in.post("/manage/north/disconnect/", follow=True)
    connect(signed_in, board, follow=True)
    Job.objects.create(organization=north, greenhouse_id=1, title="Open now")

    response = signed_in.post(
        "/manage/north/disconnect/", form_as_sent(page, "form.button-row"), follow=True
    )

    disconnect_refused_says(response, said)


@BOARDS_CONNECTED_MEANWHILE
def test_a_disconnect_as_another_admin_connects_a_board_disconnects_nothing(
    signed_in, connected, north, monkeypatch, disconnected_first, board, said
):
    """Connected after this request read the connection, before its lock: it disconnected the
    board on the same row, or said "already disconnected" of an org connected again."""
    page = signed_in.get("/manage/north/disconnect/").content
    Job.objects.create(organization=north, greenhouse_id=1, title="Open now")

    def as_another_admin_connects(*, connection: GreenhouseConnection, **sent):
        if disconnected_first:
            GreenhouseConnection.objects.all().delete()
            GreenhouseConnection.objects.create(organization=north, board_token=board)
        GreenhouseConnection.objects.update(board_token=board, board_name="Acme Robotics")
        return connection_disconnect(connection=connection, **sent)

    monkeypatch.setattr("jobs.manage_views.connection_disconnect", as_another_admin_connects)

    response = signed_in.post(
        "/manage/north/disconnect/", form_as_sent(page, "form.button-row"), follow=True
    )

    disconnect_refused_says(response, said)


def test_the_disconnect_page_sends_the_connection_it_shows(signed_in, connected):
    page = signed_in.get("/manage/north/disconnect/").content

    sent = form_as_sent(page, "form.button-row")

    assert (sent["shown-connection"], sent["shown-board_token"]) == (str(connected.pk), "tiny-co")


def test_a_disconnect_as_the_org_is_deleted_says_it_no_longer_exists(
    signed_in, connected, monkeypatch
):
    """Deleted with its org just before the disconnect took the sync lease: a server error,
    as the refusal read the org's name; then "North Wind was deleted meanwhile." on the index,
    where every other page of the org said it no longer exists."""

    def after_the_delete(*, connection: GreenhouseConnection, **sent):
        Organization.objects.filter(pk=connection.organization_id).delete()
        return connection_disconnect(connection=connection, **sent)

    monkeypatch.setattr("jobs.manage_views.connection_disconnect", after_the_delete)

    assert_says_organization_gone(signed_in.post("/manage/north/disconnect/"))


def test_a_disconnect_that_fails_leaves_the_org_free_to_sync(connected, monkeypatch):
    def database_error(*args, **kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr("jobs.connections.close_missing_jobs", database_error)

    with pytest.raises(DatabaseError):
        connection_disconnect(connection=connected)

    # Not locked for the lease's 10 minutes: the next sync or disconnect can go ahead.
    assert acquire_sync_lock(GreenhouseConnection.objects.get()) is not None


def test_a_disconnect_whose_delete_fails_leaves_the_connection_as_it_was(
    connected, north, monkeypatch
):
    """Taking the lock had cleared the queued and retry marks and noted a new last attempt: the
    retry the mark stood for then found another sync had started since, and did nothing."""
    now = timezone.now()
    GreenhouseConnection.objects.filter(pk=connected.pk).update(
        queued_at=now - timedelta(minutes=1),
        retry_at=now + timedelta(minutes=5),
        last_attempt_at=now - timedelta(minutes=10),
        next_sync_at=now + timedelta(hours=1),
    )
    Job.objects.create(organization=north, greenhouse_id=1, title="Welder")
    connection = GreenhouseConnection.objects.get()
    before = GreenhouseConnection.objects.values().get()

    def database_error(*args, **kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(GreenhouseConnection, "delete", database_error)

    with pytest.raises(DatabaseError):
        connection_disconnect(connection=connection)

    assert GreenhouseConnection.objects.values().get() == before
    assert Job.objects.get().is_open


def test_disconnecting_an_unconnected_org_just_says_so(signed_in, north):
    response = signed_in.get("/manage/north/disconnect/", follow=True)
    assert "not connected to Greenhouse" in response.content.decode()


def test_a_head_of_disconnect_for_an_unconnected_org_leaves_no_message_for_a_later_page(
    signed_in, north
):
    """A link checker or monitor asking with HEAD, in the session: the message it queued was
    said on the next page the person opened, though they never asked to disconnect."""
    assert signed_in.head("/manage/north/disconnect/")["Location"] == "/manage/north/settings/"

    page = BeautifulSoup(signed_in.get("/manage/north/settings/").content, "html.parser")
    assert page.select_one(".messages") is None


def test_reconnecting_the_same_board_reopens_the_jobs_with_their_settings(signed_in, connected):
    sync_organization(connected, trigger=SyncRun.Trigger.COMMAND)
    Job.objects.update(featured=True)
    signed_in.post("/manage/north/disconnect/")

    connect(signed_in, "tiny-co")
    sync_organization(GreenhouseConnection.objects.get(), trigger=SyncRun.Trigger.COMMAND)

    assert Job.objects.filter(is_open=True, featured=True).count() == Job.objects.count() > 0


@pytest.mark.parametrize("url", [SETTINGS_URL, "/manage/north/disconnect/"])
def test_the_settings_forms_need_a_csrf_token(north, signed_in, connected, url):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(User.objects.get(username="nora"))
    # The confirmed removal as the page sends it, but for its token: one that removes the key.
    removal = sent_from(signed_in.get(SETTINGS_URL).content, REMOVE_KEY_CONFIRMED)
    del removal["csrfmiddlewaretoken"]
    response = csrf_client.post(url, removal)
    assert response.status_code == 403
    assert GreenhouseConnection.objects.get().has_api_key


@pytest.mark.parametrize("url", ["/manage/north/disconnect/", "/manage/north/delete/"])
def test_the_pages_reached_from_the_settings_mark_the_settings_tab(signed_in, connected, url):
    """Disconnecting and deleting start from the settings page; its tab stays marked as their
    section (ARIA's "true"), where no tab was marked on them."""
    page = BeautifulSoup(signed_in.get(url).content, "html.parser")
    tabs = page.select('nav[aria-label="North Wind admin"] a')

    assert {tab.get_text(): tab.get("aria-current") for tab in tabs} == {
        "Settings": "true",
        "Jobs": None,
        "Sync history": None,
        "Members": None,
    }


@pytest.mark.parametrize("tab", ["settings", "jobs", "history", "members"])
def test_the_org_pages_trail_is_a_breadcrumb_ending_at_the_org(signed_in, connected, tab):
    """The trail "Your organizations › North Wind" above the tabs was a paragraph, as the public
    pages' trail is not: no landmark a screen reader lists, nothing saying where the page is."""
    page = BeautifulSoup(signed_in.get(f"/manage/north/{tab}/").content, "html.parser")
    trail = page.select_one('nav[aria-label="Breadcrumb"]')

    assert [
        (step.name, step.get("href"), step.get("aria-current"), step.get_text())
        for step in trail.select("a, bdi")
    ] == [("a", "/manage/", None, "Your organizations"), ("bdi", None, "true", "North Wind")]


# --- Django's admin: the schedule and the key, as on this page -----------------------------------


NOT_DISCONNECTED = (
    "A sync of North Wind is running right now, so it was not disconnected from Greenhouse."
)


@pytest.fixture
def superuser_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return client


def admin_url(connection: GreenhouseConnection) -> str:
    return f"/admin/jobs/greenhouseconnection/{connection.pk}/change/"


def test_the_admin_saves_the_schedule_and_key_but_not_what_a_sync_wrote_meanwhile(
    superuser_client, connected
):
    """A sync that ends while the admin's save runs keeps its lease release and its state."""
    lease = acquire_sync_lock(connected)
    synced = []

    def sync_ends_first(execute, sql, params, many, context):
        if sql.startswith('UPDATE "jobs_greenhouseconnection" SET') and not synced:
            synced.append(sql)  # once: the sync's own UPDATE passes through here too
            GreenhouseConnection.objects.filter(pk=connected.pk, lock_expires_at=lease).update(
                lock_expires_at=None, state="ok", applied_board_fingerprint="f" * 64
            )
        return execute(sql, params, many, context)

    with db_connection.execute_wrapper(sync_ends_first):
        response = superuser_client.post(
            admin_url(connected),
            {
                "sync_interval_minutes": 30,
                "new_api_key": "new-key-67890",
                "board_token": "forged",
            },
        )

    assert response.status_code == 302 and synced
    connection = GreenhouseConnection.objects.get()
    assert not connection.enabled and connection.sync_interval_minutes == 30
    assert connection.get_api_key() == "new-key-67890"
    assert connection.lock_expires_at is None and connection.state == "ok"
    assert connection.applied_board_fingerprint == "f" * 64
    assert connection.board_token == "tiny-co"  # boards change on the settings page only


def test_the_admin_shows_greenhouses_wait_read_only_with_the_other_sync_state(
    superuser_client, connected
):
    """Staff see until when Greenhouse asked to be left alone, beside the failures it explains,
    and cannot set it by hand: the schedule waits it out (jobs.scheduling)."""
    waited = timezone.now().replace(microsecond=0) + timedelta(hours=3)
    GreenhouseConnection.objects.filter(pk=connected.pk).update(greenhouse_wait_until=waited)
    page = BeautifulSoup(superuser_client.get(admin_url(connected)).content, "html.parser")

    # "next_sync" shows next_sync_at in the settings page's words (jobs.status.next_sync_text).
    for name in (*BOARD_HISTORY_FIELDS, "next_sync", "queued_at", "lock_expires_at"):
        row = page.select_one(f".field-{name}")
        assert row is not None and row.select_one(".readonly") is not None, name
        assert page.find(attrs={"name": name}) is None, name
    assert page.find(attrs={"name": "next_sync_at"}) is None
    sent = form_as_sent(
        superuser_client.get(admin_url(connected)).content, "#greenhouseconnection_form"
    )
    sent["greenhouse_wait_until"] = ""
    assert superuser_client.post(admin_url(connected), sent).status_code == 302
    assert GreenhouseConnection.objects.get().greenhouse_wait_until == waited


def test_the_admin_refuses_an_api_key_with_spaces(superuser_client, connected):
    response = superuser_client.post(
        admin_url(connected),
        {"enabled": "on", "sync_interval_minutes": 60, "new_api_key": "abc def"},
    )
    assert response.status_code == 200 and "has no spaces" in response.content.decode()
    assert "abc def" not in response.content.decode()  # not echoed back
    assert GreenhouseConnection.objects.get().get_api_key() == "old-key-12345"


@pytest.mark.parametrize("value", ["-5", "0", "4", "1441"])
def test_the_admin_refuses_an_interval_out_of_bounds_in_the_settings_pages_words(
    superuser_client, connected, value
):
    """Django said "Ensure this value is greater than or equal to 0" below 0 (the column's
    bound, not the interval's), and in its own words below 5 or past 1,440."""
    response = superuser_client.post(
        admin_url(connected), {"enabled": "on", "sync_interval_minutes": value}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert OUT_OF_BOUNDS in html and "Ensure this value" not in html
    assert GreenhouseConnection.objects.get().sync_interval_minutes == 15


def test_the_admins_interval_box_has_the_settings_pages_bounds(superuser_client, connected):
    """A browser refuses 0-4 and 1441 as it does on the settings page, before sending them."""
    page = BeautifulSoup(superuser_client.get(admin_url(connected)).content, "html.parser")
    box = page.find("input", attrs={"name": "sync_interval_minutes", "type": "number"})
    assert (box["min"], box["max"]) == ("5", "1440")


def test_the_admins_key_field_offers_to_keep_a_key_only_when_one_is_stored(
    superuser_client, connected
):
    """As on the settings page, it is said after how the key is stored: it took that text's
    place, so an admin with a key stored was not told it is stored encrypted."""
    stored = "Stored encrypted; reading the board does not need one. At most 200 characters."
    keep = "Leave empty to keep the key stored now."

    def help_text() -> str:
        page = BeautifulSoup(superuser_client.get(admin_url(connected)).content, "html.parser")
        return " ".join(page.select_one("#id_new_api_key_helptext").get_text().split())

    assert help_text() == f"{stored} {keep}"
    GreenhouseConnection.objects.update(api_key_encrypted="", api_key_last5="")
    assert help_text() == stored


def test_the_admin_connects_no_board_itself(superuser_client, connected):
    """Only the settings page and connect_greenhouse check a token with Greenhouse first."""
    assert superuser_client.get("/admin/jobs/greenhouseconnection/add/").status_code == 403
    page = superuser_client.get(admin_url(connected)).content.decode()
    assert 'name="board_token"' not in page and "tiny-co" in page


def test_staff_who_may_only_view_it_see_no_new_key_field(client, connected):
    """The key is typed there, never read: shown read-only it said "None", beside a key."""
    staff = User.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_greenhouseconnection"))
    client.force_login(staff)

    page = client.get(admin_url(connected)).content.decode()

    assert "12345" in page  # the stored key's last five characters
    assert "New Job Board API key" not in page


def test_staff_who_may_only_view_it_see_nothing_of_what_its_page_sends_back(client, connected):
    """The board and key a page showed, sent back hidden to tell what changed since: shown
    read-only, each was a line saying "None"."""
    staff = User.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_greenhouseconnection"))
    client.force_login(staff)

    said = page_text(client.get(admin_url(connected)))

    assert "Shown" not in said and "None" not in said


def test_deleting_it_in_the_admin_disconnects_as_this_page_does(superuser_client, connected):
    sync_organization(connected, trigger=SyncRun.Trigger.COMMAND)
    Job.objects.update(featured=True)

    response = superuser_client.post(
        f"/admin/jobs/greenhouseconnection/{connected.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not GreenhouseConnection.objects.exists()
    assert Job.objects.filter(is_open=False, featured=True).count() == Job.objects.count() > 0


def test_the_admins_delete_action_waits_for_a_running_sync(superuser_client, connected, north):
    sync_organization(connected, trigger=SyncRun.Trigger.COMMAND)
    other = GreenhouseConnection.objects.create(
        organization=Organization.objects.create(name="South", slug="south"), board_token="t"
    )
    acquire_sync_lock(connected)

    response = superuser_client.post(
        "/admin/jobs/greenhouseconnection/",
        {"action": "delete_selected", "_selected_action": [connected.pk, other.pk], "post": "yes"},
        follow=True,
    )

    assert f"{NOT_DISCONNECTED} Try again in a minute" in response.content.decode()
    assert list(GreenhouseConnection.objects.all()) == [connected]
    assert Job.objects.filter(is_open=True).count() == Job.objects.count() > 0


def test_the_admins_delete_page_waits_for_a_running_sync(superuser_client, connected):
    sync_organization(connected, trigger=SyncRun.Trigger.COMMAND)
    acquire_sync_lock(connected)
    delete_url = f"/admin/jobs/greenhouseconnection/{connected.pk}/delete/"

    response = superuser_client.post(
        f"{delete_url}?_changelist_filters=enabled__exact%3D1", {"post": "yes"}, follow=True
    )

    change_page = f"{admin_url(connected)}?_changelist_filters=enabled__exact%3D1"
    assert response.redirect_chain == [(change_page, 302)]
    assert f"{NOT_DISCONNECTED} Try again in a minute" in response.content.decode()
    assert GreenhouseConnection.objects.exists()
    assert Job.objects.filter(is_open=True).count() == Job.objects.count() > 0


def test_the_admins_refusal_names_the_org_without_the_direction_controls_it_leaves_open(
    superuser_client, connected
):
    """As the site's pages say it (base.html): an org named "\u202eNorth Wind" (a right-to-left
    override, left open) showed the rest of the message reversed, "so it was not disconnected
    from Greenhouse" among it. Its name is kept."""
    Organization.objects.filter(pk=connected.organization_id).update(name="\u202eNorth Wind")
    acquire_sync_lock(connected)

    response = superuser_client.post(
        f"/admin/jobs/greenhouseconnection/{connected.pk}/delete/", {"post": "yes"}, follow=True
    )

    said = parsed(response).select_one(".messagelist").text
    assert f"{NOT_DISCONNECTED} Try again in a minute" in said
    assert Organization.objects.get().name == "\u202eNorth Wind"


def test_a_sync_starting_after_the_admins_delete_check_leaves_the_connection(
    superuser_client, connected, monkeypatch
):
    """Its change page says why, with the list's filters the delete page kept, as when the
    page refuses at once."""
    sync_organization(connected, trigger=SyncRun.Trigger.COMMAND)
    monkeypatch.setattr(GreenhouseConnectionAdmin, "delete_refusal", lambda *args, **kwargs: "")
    acquire_sync_lock(connected)
    delete_url = f"/admin/jobs/greenhouseconnection/{connected.pk}/delete/"

    response = superuser_client.post(
        f"{delete_url}?_changelist_filters=enabled__exact%3D1", {"post": "yes"}, follow=True
    )

    change_page = f"{admin_url(connected)}?_changelist_filters=enabled__exact%3D1"
    assert response.redirect_chain == [(change_page, 302)]
    assert f"{NOT_DISCONNECTED} Try again in a minute" in response.content.decode()
    assert GreenhouseConnection.objects.exists()
    assert Job.objects.filter(is_open=True).count() == Job.objects.count() > 0
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_a_sync_starting_after_the_admins_delete_action_check_leaves_every_connection(
    superuser_client, connected, monkeypatch
):
    """The delete refuses, and the connections deleted before it come back (the admin's
    history, written first, too); the list says why, with its filters kept."""
    sync_organization(connected, trigger=SyncRun.Trigger.COMMAND)
    other = GreenhouseConnection.objects.create(
        organization=Organization.objects.create(name="South", slug="south"), board_token="t"
    )
    monkeypatch.setattr(GreenhouseConnectionAdmin, "delete_refusal", lambda *args, **kwargs: "")
    acquire_sync_lock(connected)  # deleted last: the list is ordered by org name, descending
    changelist = "/admin/jobs/greenhouseconnection/?o=-1"

    response = superuser_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [connected.pk, other.pk], "post": "yes"},
        follow=True,
    )

    assert response.redirect_chain == [(changelist, 302)]
    page = response.content.decode()
    refused = "A sync of North Wind is running right now, so none of the selected Greenhouse"
    assert f"{refused} connections was deleted. Try again in a minute" in page
    assert "Successfully deleted" not in page
    assert GreenhouseConnection.objects.count() == 2
    assert Job.objects.filter(is_open=True).count() == Job.objects.count() > 0
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def admin_deletes(client: Client, connection: GreenhouseConnection, *, by: str):
    """The connection deleted in Django's admin, `by` its delete page or its list's action."""
    if by == "delete page":
        url, data = f"/admin/jobs/greenhouseconnection/{connection.pk}/delete/", {"post": "yes"}
    else:
        url = "/admin/jobs/greenhouseconnection/"
        data = {"action": "delete_selected", "_selected_action": [connection.pk], "post": "yes"}
    return client.post(url, data, follow=True)


@pytest.mark.parametrize("by", ["delete page", "delete action"])
def test_the_admin_deleting_a_connection_disconnected_meanwhile_says_it_went(
    superuser_client, connected, monkeypatch, by
):
    """Disconnected on the settings page after the admin's check: it is gone, as asked, where
    the admin said a sync was running, and to try again."""

    def after_another(*, connection: GreenhouseConnection, **sent):
        GreenhouseConnection.objects.filter(pk=connection.pk).delete()
        return connection_disconnect(connection=connection, **sent)

    monkeypatch.setattr("jobs.admin.connection_disconnect", after_another)

    response = admin_deletes(superuser_client, connected, by=by)

    page = response.content.decode()
    assert "deleted successfully" in page or "Successfully deleted 1" in page
    assert "running right now" not in page
    assert not GreenhouseConnection.objects.exists()


@pytest.mark.parametrize("by", ["delete page", "delete action"])
def test_the_admin_deleting_a_connection_whose_board_changed_meanwhile_keeps_it(
    superuser_client, connected, monkeypatch, by
):
    """Another board connected on the settings page after the admin read the one it deletes:
    that board was disconnected, its jobs closed. Refused, everything rolled back, and said."""
    sync_organization(connected, trigger=SyncRun.Trigger.COMMAND)

    def as_another_board_is_connected(*, connection: GreenhouseConnection, **sent):
        GreenhouseConnection.objects.update(board_token="acme-robotics", board_name="Acme")
        return connection_disconnect(connection=connection, **sent)

    monkeypatch.setattr("jobs.admin.connection_disconnect", as_another_board_is_connected)

    response = admin_deletes(superuser_client, connected, by=by)

    said = "Nothing was disconnected: the board of North Wind was changed meanwhile, to “Acme”"
    assert said in response.content.decode()
    # Kept as it was: the board change, made within the request here, was rolled back with it.
    assert GreenhouseConnection.objects.get().board_token == "tiny-co"
    assert Job.objects.filter(is_open=True).count() == Job.objects.count() > 0
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


@pytest.mark.parametrize("by", ["delete page", "delete action"])
def test_the_admin_deleting_a_connection_whose_board_changed_since_its_page_keeps_it(
    superuser_client, connected, north, by
):
    """Its delete page showed one board, and another was connected on the settings page before
    it was sent (the same row): that board was disconnected, its jobs closed, unasked. Refused,
    nothing deleted, and said; with "Delete selected", the other connections selected stay too,
    as when a sync refuses one."""
    other = GreenhouseConnection.objects.create(
        organization=Organization.objects.create(name="South", slug="south"), board_token="t"
    )
    selected = [connected] if by == "delete page" else [connected, other]
    url, confirmed = admin_delete_confirmation(superuser_client, selected, by=by)
    connection_save(organization=north, board=Board(token="acme-robotics", name="Acme"))
    Job.objects.create(organization=north, greenhouse_id=1, title="Open now")

    response = superuser_client.post(url, confirmed, follow=True)

    said = " ".join(BeautifulSoup(response.content, "html.parser").text.split())
    assert (
        "Nothing was disconnected: the board of North Wind was changed meanwhile, to “Acme” "
        "(acme-robotics). Check its settings, and disconnect it again if you mean to."
    ) in said
    assert "deleted successfully" not in said and "Successfully deleted" not in said
    assert GreenhouseConnection.objects.count() == 2
    assert Job.objects.get().is_open
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


@pytest.mark.parametrize("by", ["delete page", "delete action"])
def test_the_admin_deleting_connections_as_its_page_showed_them_deletes_them(
    superuser_client, connected, by
):
    """Sent with the boards the page showed, still connected: deleted, as without them."""
    other = GreenhouseConnection.objects.create(
        organization=Organization.objects.create(name="South", slug="south"), board_token="t"
    )
    selected = [connected] if by == "delete page" else [connected, other]
    url, confirmed = admin_delete_confirmation(superuser_client, selected, by=by)
    assert json.loads(confirmed["shown-boards"])[str(connected.pk)] == "tiny-co"
    assert not [name for name in confirmed if "api_key" in name]  # no delete page shows the key

    response = superuser_client.post(url, confirmed, follow=True)

    said = response.content.decode()
    assert "deleted successfully" in said or "Successfully deleted 2" in said
    assert list(GreenhouseConnection.objects.all()) == ([other] if by == "delete page" else [])


@pytest.mark.parametrize("sent", ["", "acme", "[]", '{"%(pk)s": 7}', "[" * 100_000])
def test_the_admin_deletes_a_connection_whose_boards_shown_were_sent_malformed_as_read(
    superuser_client, connected, sent
):
    """As a form sent without them (a script): deleted, as the request read it; a value nested
    too deep for Python's JSON reader is no server error."""
    url, confirmed = admin_delete_confirmation(superuser_client, [connected], by="delete action")

    response = superuser_client.post(
        url, {**confirmed, "shown-boards": sent % {"pk": connected.pk}}, follow=True
    )

    assert "Successfully deleted 1 greenhouse connection." in response.content.decode()
    assert not GreenhouseConnection.objects.exists()


@pytest.mark.parametrize(
    ("page", "start", "end"),
    [
        ("delete_confirmation.html", "{% block delete_confirm %}", "{% endblock %}"),
        ("delete_selected_confirmation.html", "{% else %}", "{% endif %}"),
    ],
)
def test_the_connections_delete_pages_are_djangos_own_but_for_the_boards_they_send(
    settings, page, start, end
):
    """Both copy Django's part of the page that holds its form, to add the boards: a Django
    release that changes that part (a fix, a field) is lost on them until copied again."""

    def part(path: Path) -> list[str]:
        lines = [line.strip() for line in path.read_text().splitlines()]
        begins = lines.index(start)
        return lines[begins : lines.index(end, begins) + 1]

    djangos = Path(django_admin.__file__).parent / "templates" / "admin" / page
    ours = settings.BASE_DIR / "templates" / "admin" / "jobs" / "greenhouseconnection" / page

    assert [line for line in part(ours) if "connections_shown_field" not in line] == part(djangos)


def test_the_admin_deletes_as_many_selected_connections_as_django_takes_in_a_form(
    superuser_client, connected, settings
):
    """The confirmation of "Delete selected" sends the boards it lists in one field: with two
    for each connection, and its box, Django refused the form (400 Bad Request) from 333
    connections on, where it takes 997 with their boxes alone (DATA_UPLOAD_MAX_NUMBER_FIELDS:
    1000, here 20 for a short list)."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    for number in range(15):
        organization = Organization.objects.create(name=f"Org {number}", slug=f"org-{number}")
        GreenhouseConnection.objects.create(organization=organization, board_token=f"b-{number}")
    listed = list(GreenhouseConnection.objects.all())
    url, confirmed = admin_delete_confirmation(superuser_client, listed, by="delete action")

    response = superuser_client.post(url, confirmed, follow=True)

    assert response.status_code == 200
    assert "Successfully deleted 16 greenhouse connections." in response.content.decode()
    assert not GreenhouseConnection.objects.exists()


def test_the_admin_refuses_an_api_key_longer_than_this_page_takes(superuser_client, connected):
    response = superuser_client.post(
        admin_url(connected),
        {"enabled": "on", "sync_interval_minutes": 60, "new_api_key": "k" * 201},
    )
    assert response.status_code == 200 and "at most 200 characters" in response.content.decode()
    assert GreenhouseConnection.objects.get().get_api_key() == "old-key-12345"


def test_the_admin_saving_a_key_keeps_a_pause_made_meanwhile(superuser_client, connected):
    """The schedule is written only when changed on the admin's page, as the settings page
    writes it only from its own form."""
    page = form_as_sent(superuser_client.get(admin_url(connected)).content, "#content-main form")
    connection_schedule_update(
        connection=connected, sync_interval_minutes=connected.sync_interval_minutes, paused=True
    )

    response = superuser_client.post(admin_url(connected), {**page, "new_api_key": "new-key-67890"})

    assert response.status_code == 302
    connection = GreenhouseConnection.objects.get()
    assert connection.get_api_key() == "new-key-67890" and not connection.enabled


@pytest.mark.parametrize(
    ("page_showed", "stored_meanwhile", "said"),
    [
        ("old-key-12345", "new-key-24680", ANOTHER_KEY_STORED),
        ("old-key-12345", "new-key-12345", KEY_ENDING_ALIKE_STORED),
        (
            "",
            "new-key-24680",
            "This page showed no API key, and one ending in …24680 was stored meanwhile, in "
            "another tab or by another admin.",
        ),
    ],
    ids=["a-key", "a-key-ending-alike", "none"],
)
def test_the_admin_replacing_a_key_from_a_page_read_before_another_was_stored_keeps_it(
    superuser_client, connected, page_showed, stored_meanwhile, said
):
    """As on the settings page: the key typed replaced one the org's admins, or other staff,
    stored since the page, which it never showed. Nor is the interval, or the pause, changed
    with it saved, nor the change written to the connection's history: the page is saved whole
    or not at all."""
    connection_api_key_set(connection=connected, api_key=page_showed)
    page = form_as_sent(superuser_client.get(admin_url(connected)).content, "#content-main form")
    connection_api_key_set(connection=connected, api_key=stored_meanwhile)
    del page["enabled"]  # its box unticked: paused

    typed = {"new_api_key": "typed-67890", "sync_interval_minutes": 45}
    response = superuser_client.post(admin_url(connected), {**page, **typed}, follow=True)

    assert response.redirect_chain == [(admin_url(connected), 302)]
    assert f"{said} {NOT_STORED} Nothing on this page was saved." in page_text(response)
    connection = GreenhouseConnection.objects.get()
    assert connection.get_api_key() == stored_meanwhile
    assert (connection.sync_interval_minutes, connection.enabled) == (
        connected.sync_interval_minutes,
        True,
    )
    assert connection.next_sync_at == connected.next_sync_at
    assert not LogEntry.objects.exists()


def test_the_admin_stores_a_key_from_a_page_read_before_the_key_was_removed(
    superuser_client, connected
):
    """A key removed since the page is no bar, as on the settings page: none is taken away."""
    page = form_as_sent(superuser_client.get(admin_url(connected)).content, "#content-main form")
    connection_api_key_set(connection=connected, api_key="")

    response = superuser_client.post(admin_url(connected), {**page, "new_api_key": "typed-67890"})

    assert response.status_code == 302
    assert GreenhouseConnection.objects.get().get_api_key() == "typed-67890"


def test_the_admin_saving_a_new_interval_keeps_a_pause_made_meanwhile(superuser_client, connected):
    """Only what was changed on the admin's page: the interval, not the pause it showed."""
    page = form_as_sent(superuser_client.get(admin_url(connected)).content, "#content-main form")
    connection_schedule_update(
        connection=connected, sync_interval_minutes=connected.sync_interval_minutes, paused=True
    )

    response = superuser_client.post(admin_url(connected), {**page, "sync_interval_minutes": 45})

    assert response.status_code == 302
    connection = GreenhouseConnection.objects.get()
    assert connection.sync_interval_minutes == 45 and not connection.enabled


def test_the_admin_setting_an_interval_another_admin_set_meanwhile_saves_nothing(
    superuser_client, connected
):
    """As the settings page refuses it: the page saved last undid the other interval unseen.
    Shown again over the interval saved now, the one typed still in its box."""
    page = form_as_sent(superuser_client.get(admin_url(connected)).content, "#content-main form")
    connection_schedule_update(connection=connected, sync_interval_minutes=60)

    response = superuser_client.post(admin_url(connected), {**page, "sync_interval_minutes": 45})

    assert response.status_code == 200
    assert (
        "Nothing was saved: “Sync interval minutes” (now “60”) changed by someone else"
        in parsed(response).get_text()
    )
    assert GreenhouseConnection.objects.get().sync_interval_minutes == 60
    again = form_as_sent(response.content, "#content-main form")
    assert (again["sync_interval_minutes"], again["initial-sync_interval_minutes"]) == ("45", "60")
    assert superuser_client.post(admin_url(connected), again).status_code == 302
    assert GreenhouseConnection.objects.get().sync_interval_minutes == 45


def test_the_admin_pausing_keeps_an_interval_set_meanwhile(superuser_client, connected):
    """Only what was changed on the admin's page: the pause, not the interval it showed."""
    page = form_as_sent(superuser_client.get(admin_url(connected)).content, "#content-main form")
    connection_schedule_update(connection=connected, sync_interval_minutes=60)
    del page["enabled"]  # its box unticked

    response = superuser_client.post(admin_url(connected), page)

    assert response.status_code == 302
    connection = GreenhouseConnection.objects.get()
    assert connection.sync_interval_minutes == 60 and not connection.enabled
