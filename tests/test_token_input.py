"""Board tokens typed on the settings page: anything but letters, digits, '-' and '_' is refused
on the form with a message, nothing is stored, and no request reaches Greenhouse."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from jobs.admin import ConnectionAdminForm
from jobs.connections import check_board
from jobs.greenhouse import BoardNotFound, GreenhouseClient, InvalidBoardToken
from jobs.models import GreenhouseConnection
from tests.support.helpers import parsed

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/manage/acme/settings/"
NOT_A_TOKEN = "A board token has only letters, digits, “-” and “_”"
TOO_LONG = (
    "A board token has at most 100 characters, and the address of a job board far fewer than "
    "2000; this has 10240."
)

HOSTILE_TOKENS = {
    "slash": ("acme/other", NOT_A_TOKEN),
    "slash-before-token": ("/acme", NOT_A_TOKEN),
    "only-a-slash": ("/", NOT_A_TOKEN),
    "dot-dot-slash": ("../boards/other", NOT_A_TOKEN),
    "dots": ("acme.robotics", NOT_A_TOKEN),
    "only-dots": ("..", NOT_A_TOKEN),
    "query": ("acme?x=1", NOT_A_TOKEN),
    "fragment": ("acme#jobs", NOT_A_TOKEN),
    "encoded-slash": ("acme%2Fother", NOT_A_TOKEN),
    "backslash": ("acme\\other", NOT_A_TOKEN),
    "another-sites-address": ("https://evil.example/acme", NOT_A_TOKEN),
    "look-alike-host": ("https://boards.greenhouse.io.evil.example/acme", NOT_A_TOKEN),
    "board-address-without-token": ("https://boards.greenhouse.io/", NOT_A_TOKEN),
    "board-address-encoded-slash": ("boards.greenhouse.io/acme%2F..%2Fother", NOT_A_TOKEN),
    "unbalanced-bracket": ("https://[boards.greenhouse.io/acme", NOT_A_TOKEN),
    "inner-newline": ("acme\nHost: evil.example", NOT_A_TOKEN),
    "inner-space": ("acme robotics", NOT_A_TOKEN),
    "accent": ("acmé", NOT_A_TOKEN),
    "non-latin": ("アクメ", NOT_A_TOKEN),
    "fullwidth-letters": ("ａｃｍｅ", NOT_A_TOKEN),
    "unicode-digit": ("acme٣", NOT_A_TOKEN),
    "markup": ("<script>alert(1)</script>", NOT_A_TOKEN),
    "null-byte": ("acme\x00", "Null characters are not allowed"),
    "longer-than-a-token": (
        "a" * 101,
        "A board token has at most 100 characters; this one has 101",
    ),
    "long-and-not-a-token": ("a." * 60, NOT_A_TOKEN),
    "ten-kilobytes": ("a" * 10_240, TOO_LONG),
    "ten-kilobytes-of-slashes": ("/" * 10_240, TOO_LONG),
}


def test_phone_keyboards_leave_the_token_as_typed(signed_in, acme):
    """Chrome's and Safari's on-screen keyboards capitalise a text field's first letter unless
    told not to: "acme-robotics" would reach Greenhouse as "Acme-robotics"."""
    token_field = parsed(signed_in.get(SETTINGS_URL)).select_one("input[name=board_token]")

    assert token_field["autocapitalize"] == "none"
    assert token_field["autocorrect"] == "off"


@pytest.mark.parametrize("case", HOSTILE_TOKENS)
def test_a_token_that_is_not_one_is_refused_with_a_message(signed_in, acme, fake_greenhouse, case):
    token, message = HOSTILE_TOKENS[case]

    response = signed_in.post(
        SETTINGS_URL, {"action": "connect", "board_token": token, "api_key": ""}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    acme.refresh_from_db()
    assert acme.board_token == "acme-robotics"
    assert GreenhouseConnection.objects.count() == 1
    assert fake_greenhouse.requests == []


@pytest.mark.parametrize(
    "typed",
    [
        "https://boards.greenhouse.io/tiny-co",
        "  boards.greenhouse.io/tiny-co/  ",
        "tiny-co/",  # the token alone, copied from the address with the slash after it
        " tiny-co// ",
        "tiny-co /",  # a space before the slash, which check_board() takes off with it
        "https://job-boards.greenhouse.io/tiny-co/jobs/4012345?gh_src=abc",
        "https://job-boards.eu.greenhouse.io/tiny-co",
        "https://boards.greenhouse.io/embed/job_board?for=tiny-co&b=https://tiny.example",
        "https://boards-api.greenhouse.io/v1/boards/tiny-co/jobs?content=true",
        "https://api.greenhouse.io/v1/boards/tiny-co/jobs",  # the API's older host
        "https://boards.greenhouse.io./v1/boards/tiny-co/jobs",  # a host's closing dot
        "https://job-boards.greenhouse.io/tiny-co/jobs/4012345007?gh_src=a1b2c3d4e5"
        "&utm_source=linkedin&utm_medium=social&utm_campaign=autumn-hiring",  # past 100
        "\ufefftiny-co\u200b",  # invisible characters copied along with the token
        "\u200bhttps://boards.greenhouse.io/tiny\u200b-co\u2060",
    ],
)
def test_a_pasted_board_address_connects_its_token(signed_in, acme, fake_greenhouse, typed):
    response = signed_in.post(
        SETTINGS_URL, {"action": "connect", "board_token": typed, "api_key": ""}, follow=True
    )

    assert "(tiny-co)" in response.content.decode()
    acme.refresh_from_db()
    assert acme.board_token == "tiny-co"
    assert [request.path for request in fake_greenhouse.requests] == ["/v1/boards/tiny-co"]


def test_a_ten_kilobyte_api_key_is_refused_and_not_stored(signed_in, acme, fake_greenhouse):
    response = signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": "k" * 10_240})

    assert "An API key has at most 200 characters; this one has 10240." in response.content.decode()
    acme.refresh_from_db()
    assert acme.api_key_encrypted == "" and fake_greenhouse.requests == []


def test_no_api_key_box_cuts_a_long_paste_unseen(signed_in, acme):
    """A browser cuts a paste at a box's maxlength without a word, unseen in a password's box:
    a key of 300 characters was stored cut to its first 200. Sent whole, it is refused."""
    boxes = parsed(signed_in.get(SETTINGS_URL)).select("input[type=password]")
    admin_box = ConnectionAdminForm(instance=acme)["new_api_key"]

    assert sorted(box["name"] for box in boxes) == ["api_key", "key-api_key"]
    assert [box.get("maxlength") for box in boxes] == [None, None]
    assert "maxlength" not in str(admin_box)


def test_the_board_token_box_does_not_cut_a_long_paste_unseen(signed_in, acme):
    """A browser cut a paste at the box's 2000 characters without a word: a token of 5000 was
    refused as "this one has 2000". Sent whole, its length is told as it is."""
    box = parsed(signed_in.get(SETTINGS_URL)).select_one("input[name=board_token]")

    assert box.get("maxlength") is None


@pytest.mark.parametrize("case", HOSTILE_TOKENS)
def test_the_client_refuses_a_bad_token_before_any_request(fake_greenhouse, settings, case):
    token, _ = HOSTILE_TOKENS[case]
    client = GreenhouseClient()

    for fetch in (client.fetch_board, client.fetch_jobs):
        with pytest.raises(InvalidBoardToken):
            fetch(token)

    assert fake_greenhouse.requests == []


def test_a_good_token_reaches_greenhouse_as_one_path_segment(fake_greenhouse):
    GreenhouseClient().fetch_board("acme-robotics")

    assert [request.path for request in fake_greenhouse.requests] == ["/v1/boards/acme-robotics"]


EU_HINT = "The address pasted is of a board on Greenhouse's EU site (eu.greenhouse.io)"


@pytest.mark.parametrize(
    ("typed", "hinted"),
    [
        ("https://job-boards.eu.greenhouse.io/no-such-board", True),
        ("boards.eu.greenhouse.io/no-such-board/jobs/1", True),
        ("https://job-boards.greenhouse.io/no-such-board", False),
        ("no-such-board", False),
    ],
)
def test_an_eu_board_address_greenhouse_has_no_board_of_is_said_to_be_on_the_eu_site(
    fake_greenhouse, settings, typed, hinted
):
    """Read as its token and asked of the US site, an EU board's address was only "no job
    board with the token"."""
    client = GreenhouseClient(base_url=settings.GREENHOUSE_API_BASE)  # the fake's
    settings.GREENHOUSE_API_BASE = "https://boards-api.greenhouse.io/v1"  # the default

    with pytest.raises(BoardNotFound) as raised:
        check_board(typed, client=client)

    message = raised.value.message
    assert message.startswith("Greenhouse has no job board with the token “no-such-board”.")
    assert (EU_HINT in message) == hinted
    if hinted:
        assert message.endswith(
            "and this site reads boards from boards-api.greenhouse.io (its GREENHOUSE_API_BASE "
            "setting), which may not have it."
        )


def test_an_eu_board_address_typed_on_the_settings_page_is_said_to_be_on_the_eu_site(
    signed_in, acme, fake_greenhouse, settings, monkeypatch
):
    """The form checks the address as typed: checked as the token read from it, the EU site
    it names was lost, and the page said only "no job board"."""
    # The fake plays the US site, where the site reads boards by default.
    monkeypatch.setattr(
        "jobs.connections.GREENHOUSE_US_API_HOST", urlsplit(settings.GREENHOUSE_API_BASE).hostname
    )
    typed = "https://job-boards.eu.greenhouse.io/no-such-board"

    response = signed_in.post(
        SETTINGS_URL, {"action": "connect", "board_token": typed, "api_key": ""}
    )

    assert EU_HINT in parsed(response).select_one("#id_board_token_error").get_text()


def test_an_eu_board_address_is_not_hinted_at_where_the_site_reads_boards_elsewhere(
    fake_greenhouse,
):
    # GREENHOUSE_API_BASE is not the US default (the fake's): whoever set it knows where.
    with pytest.raises(BoardNotFound) as raised:
        check_board("https://job-boards.eu.greenhouse.io/no-such-board")
    assert EU_HINT not in raised.value.message
