"""The Greenhouse client against the fake server: typed errors, retries, caps, quoting."""

from __future__ import annotations

import codecs
import contextlib
import copy
import gc
import gzip
import logging
import pickle
import socket
import time
import tracemalloc
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests.adapters
import urllib3.util.retry
from celery.exceptions import SoftTimeLimitExceeded

import orgsite.env
from jobs import greenhouse
from jobs.greenhouse import (
    DEADLINE_POOLS,
    MAX_PATH_SHOWN,
    WILL_TRY_AGAIN,
    AccessRefused,
    BoardNotFound,
    CredentialsUnsendable,
    GreenhouseClient,
    GreenhouseError,
    GreenhouseTimeout,
    InvalidBoardToken,
    LedAstray,
    MalformedPayload,
    MisdirectedRequest,
    NeitherBoardNorError,
    NotJsonAnswer,
    RateLimited,
    Unavailable,
    make_session,
    parse_job,
    validate_board_token,
)
from tests.support.blackhole import blackholed_port
from tests.support.ports import refusing_port
from tests.support.regex_steps import assert_steps_in_proportion, regex_steps_counted


@pytest.fixture
def client(fake_greenhouse) -> GreenhouseClient:
    return GreenhouseClient()


def test_it_reads_the_board_name(client, fake_greenhouse):
    board = client.fetch_board("acme-robotics")
    assert board.name == "Acme Robotics" and board.token == "acme-robotics"


def test_it_asks_for_content_and_gets_every_post(client, fake_greenhouse):
    posts = client.fetch_jobs("acme-robotics")

    assert len(posts) == len(fake_greenhouse.jobs("acme-robotics"))
    assert all("content" in post for post in posts)
    request = fake_greenhouse.requests[-1]
    assert request.path == "/v1/boards/acme-robotics/jobs"
    assert request.query.get("content") in ("true", ["true"])


def test_an_api_base_written_with_a_trailing_slash_asks_the_same_address(fake_greenhouse, settings):
    settings.GREENHOUSE_API_BASE = fake_greenhouse.base_url + "/"

    GreenhouseClient().fetch_jobs("acme-robotics")

    assert fake_greenhouse.requests[-1].path == "/v1/boards/acme-robotics/jobs"


def test_it_says_who_is_asking_and_for_json(fake_greenhouse, settings):
    settings.GREENHOUSE_USER_AGENT = "acme-careers-sync/2.0 (ops@acme.example)"

    GreenhouseClient().fetch_jobs("acme-robotics")

    headers = fake_greenhouse.requests[-1].headers
    assert headers["User-Agent"] == "acme-careers-sync/2.0 (ops@acme.example)"
    assert headers["Accept"] == "application/json"


def test_one_sync_fetch_is_one_http_request(client, fake_greenhouse):
    client.fetch_jobs("acme-robotics")
    assert fake_greenhouse.request_count("acme-robotics") == 1


def test_an_unknown_board_is_board_not_found(client, fake_greenhouse):
    with pytest.raises(BoardNotFound) as caught:
        client.fetch_board("no-such-board")
    assert caught.value.http_status == 404 and "no-such-board" in caught.value.message
    assert fake_greenhouse.request_count("no-such-board") == 1  # a 404 is not retried


def test_a_board_gone_is_board_not_found(client, fake_greenhouse):
    # Reported as refused, it was retried as passing and marked failing, not as a bad token.
    fake_greenhouse.fail_next("acme-robotics", "status", status=410)
    with pytest.raises(BoardNotFound, match="“acme-robotics” is gone") as caught:
        client.fetch_jobs("acme-robotics")
    assert caught.value.http_status == 410 and not caught.value.transient
    assert fake_greenhouse.request_count("acme-robotics") == 1


CASE_HINT = "Tokens are usually all lower case, as they appear in the board's web address"


@pytest.mark.parametrize("status", [404, 410])
@pytest.mark.parametrize(("token", "hinted"), [("Acme-Robotics", True), ("acme-robotics", False)])
def test_a_missing_board_of_a_token_with_capitals_says_tokens_are_lower_case(
    client, fake_greenhouse, status, token, hinted
):
    # Only a 404 said so: a board gone (410) under "Acme-Robotics" said to check the token alone.
    fake_greenhouse.fail_next(token, "status", status=status)

    with pytest.raises(BoardNotFound) as caught:
        client.fetch_board(token)

    assert caught.value.http_status == status
    assert (CASE_HINT in caught.value.message) is hinted


@pytest.mark.parametrize("status", [404, 410])
def test_a_missing_board_at_an_api_base_without_v1_blames_the_address_not_the_token(
    fake_greenhouse, settings, caplog, status
):
    # Greenhouse's Job Board API answers under /v1 only: asked elsewhere it knows no board, and
    # every org's token was said to be wrong.
    settings.GREENHOUSE_API_BASE = fake_greenhouse.base_url.removesuffix("/v1") + "/"
    fake_greenhouse.fail_next(None, "status", status=status)

    with pytest.raises(MisdirectedRequest) as caught:
        GreenhouseClient().fetch_board("acme-robotics")

    assert caught.value.http_status == status and not caught.value.transient
    assert caught.value.message.startswith(
        f"Greenhouse found no job board “acme-robotics” (HTTP {status} "
    )
    assert "does not end in /v1" in caught.value.message
    assert caught.value.site_fix == (
        "set GREENHOUSE_API_BASE to the Job Board API's address, "
        "https://boards-api.greenhouse.io/v1"
    )
    assert "greenhouse knows no board at an address not the board API's" in caplog.text
    assert "reason=GREENHOUSE_API_BASE does not end in /v1" in caplog.text


def test_a_missing_board_at_an_api_base_ending_in_a_dot_segment_after_v1_blames_the_token(
    fake_greenhouse, settings
):
    # Asked at /v1/boards/…, as requests resolves "/v1/./boards/…", Greenhouse's 404 was said to
    # be the address's, which "does not end in /v1".
    settings.GREENHOUSE_API_BASE = fake_greenhouse.base_url + "/."

    with pytest.raises(BoardNotFound):
        GreenhouseClient().fetch_board("no-such-board")

    assert fake_greenhouse.requests[-1].path == "/v1/boards/no-such-board"


def test_a_missing_board_at_an_api_base_asked_at_an_empty_segment_after_v1_blames_the_address(
    fake_greenhouse, settings
):
    # requests resolves "/v1//./boards/…" to "/v1//boards/…", where Greenhouse knows no board:
    # the base, read without its board's part, was "/v1//", which ends in /v1 once its slashes
    # are stripped, and the 404 was said to be the token's.
    settings.GREENHOUSE_API_BASE = fake_greenhouse.base_url + "//."

    with pytest.raises(MisdirectedRequest) as caught:
        GreenhouseClient().fetch_board("acme-robotics")

    assert fake_greenhouse.requests[-1].path == "/v1//boards/acme-robotics"
    assert (
        "is most likely the cause: it has its boards asked at /v1//boards/… (as requests sends "
        "it), where Greenhouse's Job Board API has them at /v1/boards/…."
    ) in caught.value.message


@pytest.mark.parametrize("after_v1", ["?k=1", "?", "#top"])
def test_a_missing_board_at_an_api_base_with_a_query_or_fragment_blames_that_not_a_redirect(
    fake_greenhouse, settings, caplog, after_v1
):
    # The board's path went into the query string (or the fragment, which is never sent), and
    # the 404 of /v1 was said to be a redirect's, though nothing redirected.
    settings.GREENHOUSE_API_BASE = fake_greenhouse.base_url + after_v1

    with pytest.raises(MisdirectedRequest) as caught:
        GreenhouseClient().fetch_board("acme-robotics")

    assert caught.value.http_status == 404 and not caught.value.transient
    assert "redirect" not in caught.value.message
    assert caught.value.message.startswith(
        "Greenhouse found no job board “acme-robotics” (HTTP 404 Not Found); nothing was "
        "changed. The address this site asks Greenhouse at, rather than the token, is most "
        "likely the cause: it has a query string or fragment (a “?” or “#”)"
    )
    assert "reason=GREENHOUSE_API_BASE has a query string or fragment" in caplog.text
    assert fake_greenhouse.requests[-1].path == "/v1"


@pytest.mark.parametrize("base_end", ["?k=1", ""])
def test_a_missing_board_past_a_redirect_at_an_api_base_outside_the_api_blames_the_base(
    fake_greenhouse, settings, caplog, base_end
):
    # Asked outside the API, Greenhouse knows no board wherever a redirect then leads: the
    # redirect ("/v1" to "/v1/", as many servers do) was named instead of GREENHOUSE_API_BASE.
    settings.GREENHOUSE_API_BASE = fake_greenhouse.base_url.removesuffix("/v1") + base_end
    fake_greenhouse.fail_next(None, "redirect", location="/v1/")

    with pytest.raises(MisdirectedRequest) as caught:
        GreenhouseClient().fetch_board("acme-robotics")

    assert "redirect" not in caught.value.message
    problem = "has a query string or fragment" if base_end else "does not end in /v1"
    assert f"the cause: it {problem}" in caught.value.message
    # The line names where the 404 came from, past the address asked.
    [line] = [r.getMessage() for r in caplog.records if "knows no board at" in r.getMessage()]
    assert f"/boards/acme-robotics final_url={fake_greenhouse.base_url}/ server=" in line


@pytest.mark.parametrize(("status", "phrase"), [(401, "Unauthorized"), (403, "Forbidden")])
def test_a_refused_board_request_names_the_status_and_the_likely_proxy_and_is_logged(
    client, fake_greenhouse, caplog, status, phrase
):
    # The board API needs no credentials: "check the board is live and public" sent the
    # admins to Greenhouse for a proxy's or firewall's refusal.
    fake_greenhouse.fail_next("acme-robotics", "status", status=status, headers={"Via": "1.1 fw"})

    with pytest.raises(AccessRefused) as caught:
        client.fetch_jobs("acme-robotics")

    assert caught.value.http_status == status and not caught.value.transient
    assert caught.value.message == (
        f"The request for the job board “acme-robotics” was refused (HTTP {status} {phrase}); "
        "nothing was changed. Greenhouse's job boards need no login or API key, so the refusal "
        "most likely came from a proxy or firewall between this site and Greenhouse. Ask "
        "whoever runs this site to check that this site's server may reach 127.0.0.1."
    )
    assert fake_greenhouse.request_count("acme-robotics") == 1
    [record] = [r for r in caplog.records if "refused" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert f"status={status} " in record.getMessage()
    assert "via='1.1 fw'" in record.getMessage()
    assert "proxy or firewall" in record.getMessage()


@pytest.mark.parametrize(
    ("status", "shown"),
    [(400, "400 Bad Request"), (405, "405 Method Not Allowed"), (418, "418 I'm a Teapot"),
     (499, "499")],
)  # fmt: skip
def test_another_client_error_names_the_status_and_who_can_fix_it_and_is_logged(
    client, fake_greenhouse, caplog, status, shown
):
    # "Greenhouse answered with HTTP 405" told the org's admins nothing they could act on: the
    # board API gives no such answer for a board's address, which this site builds itself.
    fake_greenhouse.fail_next("acme-robotics", "status", status=status, headers={"Via": "1.1 px"})

    with pytest.raises(GreenhouseError) as caught:
        client.fetch_jobs("acme-robotics")

    assert caught.value.http_status == status
    assert caught.value.message == (
        f"Greenhouse's address answered the request for the job board “acme-robotics” with HTTP "
        f"{shown}; nothing was changed. This site builds that request the same way for every "
        "board, so the cause is most likely on its side, not the board's. Ask whoever runs this "
        "site to check the address this site uses for Greenhouse (GREENHOUSE_API_BASE) and any "
        "proxy on the way."
    )
    [record] = [r for r in caplog.records if "unexpected client error" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert f"status={status} " in record.getMessage() and "via='1.1 px'" in record.getMessage()


def test_a_request_timeout_is_a_passing_fault_as_a_5xx_is(client, fake_greenhouse):
    # A server or proxy that gave up waiting for the request (some answer 408 on a kept-alive
    # connection they close as idle): no fault of the address, as another 4xx would be.
    fake_greenhouse.fail_next("acme-robotics", "status", status=408)

    with pytest.raises(Unavailable) as caught:
        client.fetch_jobs("acme-robotics")

    assert caught.value.http_status == 408 and caught.value.transient
    assert caught.value.message == f"Greenhouse is having trouble (HTTP 408); {WILL_TRY_AGAIN}"


@pytest.mark.parametrize(
    "token",
    ["", "acme/../admin", "acme?x=1", "acme.robotics", "acmé", "a" * 10_000, "acme robotics"],
)
def test_a_bad_token_never_reaches_a_url(client, fake_greenhouse, token):
    with pytest.raises(InvalidBoardToken):
        client.fetch_jobs(token)
    assert fake_greenhouse.requests == []


def test_token_validation_strips_spaces():
    assert validate_board_token("  acme-robotics\n") == "acme-robotics"


def test_a_token_of_the_longest_length_is_taken():
    assert validate_board_token("a" * 100) == "a" * 100


def test_server_errors_are_retried_with_a_bound_then_unavailable(client, fake_greenhouse, settings):
    settings.GREENHOUSE_RETRIES = 2
    fake_greenhouse.fail_next("acme-robotics", "status", times=10, status=502)

    with pytest.raises(Unavailable) as caught:
        client = GreenhouseClient()
        client.fetch_jobs("acme-robotics")

    assert caught.value.http_status == 502 and caught.value.transient
    assert fake_greenhouse.request_count("acme-robotics") == 3


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_passing_server_error_is_retried_transparently(client, fake_greenhouse, status):
    # With no Retry-After: urllib3 retries a 429 or 503 that has one whatever the list says.
    fake_greenhouse.fail_next("acme-robotics", "status", status=status)
    assert client.fetch_jobs("acme-robotics")
    assert fake_greenhouse.request_count("acme-robotics") == 2


def test_retries_back_off_as_set_with_up_to_half_the_backoff_as_jitter(settings):
    """Without jitter, the workers that one Greenhouse outage failed all ask again at once."""
    settings.GREENHOUSE_RETRIES = 2
    settings.GREENHOUSE_RETRY_BACKOFF = 3.0

    retry = make_session().get_adapter("https://boards-api.greenhouse.io").max_retries

    assert (retry.total, retry.backoff_factor, retry.backoff_jitter) == (2, 3.0, 1.5)


def test_a_client_that_a_person_waits_for_tries_once(fake_greenhouse):
    """The settings page's board check: a retry's backoff would be the person's wait."""
    fake_greenhouse.fail_next("acme-robotics", "status", times=1, status=503)

    with pytest.raises(Unavailable, match="HTTP 503"):
        GreenhouseClient(answer_within=5).fetch_board("acme-robotics")

    assert fake_greenhouse.request_count("acme-robotics") == 1


@pytest.mark.parametrize(
    ("status", "shown"),
    [(202, "202 Accepted"), (203, "203 Non-Authoritative Information"), (204, "204 No Content"),
     (300, "300 Multiple Choices")],
)  # fmt: skip
def test_an_answer_other_than_200_is_not_read_as_the_board(
    client, fake_greenhouse, caplog, status, shown
):
    """A 2xx but 200, or a 3xx with nowhere to go, is no board, even with a board's body."""
    board = {"jobs": fake_greenhouse.jobs("acme-robotics")}
    fake_greenhouse.fail_next("acme-robotics", "body", status=status, body=board)

    with pytest.raises(NeitherBoardNorError) as caught:
        client.fetch_jobs("acme-robotics")

    assert caught.value.http_status == status
    assert caught.value.transient
    assert caught.value.answered == f"HTTP {shown}"  # for the board check's message
    # "Greenhouse answered with HTTP 204; nothing was changed." said neither who answered so
    # nor who could see to it, and left whoever runs the site no line naming the address.
    assert caught.value.message == (
        "Greenhouse, or something between this site and Greenhouse (such as a proxy), answered "
        f"with HTTP {shown} instead of the board; {ASK_WHO_RUNS_THE_SITE}"
    )
    [record] = [r for r in caplog.records if "neither the board nor an error" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert f"status={status} url={fake_greenhouse.base_url}/" in record.getMessage()


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [
        ("7", 7),
        ("0" * 5_000 + "7", 7),
        ("9" * 5_000, urllib3.util.retry.Retry.DEFAULT_RETRY_AFTER_MAX),
    ],
    ids=["seconds", "thousands of leading zeros", "thousands of digits"],
)
def test_a_retry_after_longer_than_the_cap_ends_the_fetch_at_once(
    client, fake_greenhouse, settings, retry_after, seconds
):
    """int() refuses over 4,300 digits: a wait so written was read as none, and asked again."""
    settings.GREENHOUSE_RETRIES = 3
    settings.GREENHOUSE_MAX_RETRY_AFTER = 5
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", times=10, retry_after=retry_after)

    with pytest.raises(RateLimited) as caught:
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert caught.value.retry_after == seconds  # for the task's retry
    assert fake_greenhouse.request_count("acme-robotics") == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_server_errors_retry_after_longer_than_the_cap_ends_the_fetch_at_once(
    fake_greenhouse, settings, backoff_sleeps, status
):
    """As a 429's or 503's: urllib3 waits for any answer's Retry-After, and the task already
    honours a 5xx's, so waiting for it here held a worker up to the deadline for nothing."""
    settings.GREENHOUSE_RETRIES = 3
    settings.GREENHOUSE_MAX_RETRY_AFTER = 5
    settings.GREENHOUSE_TOTAL_TIMEOUT = 60
    fake_greenhouse.fail_next(
        "acme-robotics", "status", times=10, status=status, headers={"Retry-After": "7"}
    )

    with pytest.raises(Unavailable) as caught:
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert caught.value.retry_after == 7  # for the task's retry
    assert backoff_sleeps == []
    assert fake_greenhouse.request_count("acme-robotics") == 1


@pytest.mark.parametrize(
    ("fault", "retry_after", "said"),
    [
        (
            {"fault": "rate_limit"},
            "45",
            "Greenhouse is rate limiting requests and asked to wait a minute or less; the sync "
            "will try again after that.",
        ),
        (
            {"fault": "rate_limit"},
            "60",
            "Greenhouse is rate limiting requests and asked to wait a minute or less; the sync "
            "will try again after that.",
        ),
        (
            {"fault": "rate_limit"},
            "301",
            "Greenhouse is rate limiting requests and asked to wait about 6 minutes; the sync "
            "will try again after that.",
        ),
        (
            {"fault": "status", "status": 503},
            "900",
            "Greenhouse is having trouble (HTTP 503) and asked to wait about 15 minutes; the "
            "sync will try again after that.",
        ),
        # Longer than the task waits: left to the schedule, which waits it out.
        (
            {"fault": "rate_limit"},
            "7200",
            "Greenhouse is rate limiting requests and asked to wait about 2 hours; the sync "
            "will try again after that.",
        ),
        (
            {"fault": "rate_limit"},
            "soon",  # unreadable: as if not sent
            f"Greenhouse is rate limiting requests; {WILL_TRY_AGAIN}",
        ),
    ],
    ids=[
        "under a minute",
        "a minute",
        "minutes",
        "a 503's",
        "past the task's longest",
        "unreadable",
    ],
)
def test_a_wait_greenhouse_asks_for_says_roughly_when_the_sync_tries_again(
    fake_greenhouse, settings, fault, retry_after, said
):
    # It said "the sync will try again later" whatever Greenhouse's Retry-After said.
    settings.GREENHOUSE_RETRIES = 0
    if fault["fault"] == "status":
        fault = {**fault, "headers": {"Retry-After": retry_after}}
    else:
        fault = {**fault, "retry_after": retry_after}
    fake_greenhouse.fail_next("acme-robotics", **fault)

    with pytest.raises(GreenhouseError) as caught:
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert caught.value.message == said and caught.value.transient


@pytest.mark.parametrize("retry_after", [2, 5])
def test_a_retry_after_up_to_the_cap_is_waited_for_then_asked_again(
    fake_greenhouse, settings, backoff_sleeps, retry_after
):
    """Within the cap and exactly at it: only a longer one ends the fetch (README,
    GREENHOUSE_MAX_RETRY_AFTER)."""
    settings.GREENHOUSE_RETRIES = 3
    settings.GREENHOUSE_MAX_RETRY_AFTER = 5
    settings.GREENHOUSE_TOTAL_TIMEOUT = 60
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", times=1, retry_after=str(retry_after))

    assert GreenhouseClient().fetch_jobs("acme-robotics")

    assert backoff_sleeps == [retry_after]
    assert fake_greenhouse.request_count("acme-robotics") == 2


def test_a_retry_after_that_would_end_past_the_deadline_ends_the_fetch_at_once(
    fake_greenhouse, settings, backoff_sleeps
):
    """Within the cap, but the try after it could not finish by the fetch's deadline: the task
    retries once it has passed, instead of this fetch waiting to fail anyway."""
    settings.GREENHOUSE_RETRIES = 3
    settings.GREENHOUSE_MAX_RETRY_AFTER = 30
    settings.GREENHOUSE_TOTAL_TIMEOUT = 1
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", times=10, retry_after="3")

    with pytest.raises(RateLimited) as caught:
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert backoff_sleeps == []  # not the 3 s asked for
    assert caught.value.retry_after == 3
    assert fake_greenhouse.request_count("acme-robotics") == 1


def test_a_connect_that_hangs_ends_at_the_fetchs_deadline(settings):
    """The deadline bounds the connect too, however long GREENHOUSE_CONNECT_TIMEOUT is."""
    settings.GREENHOUSE_CONNECT_TIMEOUT = 30
    settings.GREENHOUSE_TOTAL_TIMEOUT = 0.5
    settings.GREENHOUSE_RETRIES = 0
    with blackholed_port() as port:
        client = GreenhouseClient(base_url=f"http://127.0.0.1:{port}/v1")
        started = time.monotonic()
        with pytest.raises(GreenhouseTimeout):
            client.fetch_jobs("acme-robotics")

    # 0.5 s, and the seconds a loaded machine may add; a connect not held to it waits 30.
    assert time.monotonic() - started < 20


def test_connections_through_a_proxy_keep_to_the_fetchs_deadline():
    adapter = make_session().get_adapter("https://boards-api.greenhouse.io")

    manager = adapter.proxy_manager_for("http://proxy.example:3128")

    assert set(manager.pool_classes_by_scheme.values()) == set(DEADLINE_POOLS.values())


def test_a_retry_after_given_as_a_date_is_read_in_seconds(fake_greenhouse, settings):
    settings.GREENHOUSE_RETRIES = 0
    in_two_minutes = format_datetime(datetime.now(UTC) + timedelta(minutes=2), usegmt=True)
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", retry_after=in_two_minutes)

    with pytest.raises(RateLimited) as caught:
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert 100 < caught.value.retry_after <= 120


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [("0", 0), ("000", 0), ("0" * 5_000, 0), (" " + "0" * 5_000 + "3 ", 3)],
    ids=["0", "000", "thousands of zeros", "thousands of zeros and a 3, in blanks"],
)
def test_a_retry_after_of_zeros_is_no_wait_and_not_unreadable(
    fake_greenhouse, settings, retry_after, seconds
):
    """Read without its leading zeros, all of them: "000" is 0 seconds, as int() reads it."""
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", retry_after=retry_after)

    with pytest.raises(RateLimited) as caught:
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert caught.value.retry_after == seconds


@pytest.mark.parametrize("retries", [0, 2])  # read by the client, then also by urllib3
@pytest.mark.parametrize("retry_after", ["2.5", "-5", "soon", "Mon, 01 Jan 10000 00:00:00 GMT"])
def test_an_unreadable_retry_after_is_still_rate_limiting(
    fake_greenhouse, settings, retries, retry_after
):
    """Retried with the usual backoff, then reported as what it is, not as a failed request."""
    settings.GREENHOUSE_RETRIES = retries
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", times=10, retry_after=retry_after)

    with pytest.raises(RateLimited) as caught:
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert caught.value.retry_after is None


def test_a_slow_answer_times_out(client, fake_greenhouse, settings):
    settings.GREENHOUSE_READ_TIMEOUT = 0.3
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "slow", times=5, delay=1.5)
    with pytest.raises(GreenhouseTimeout):
        GreenhouseClient().fetch_jobs("acme-robotics")


def test_a_body_that_trickles_in_hits_the_total_deadline(fake_greenhouse, settings):
    settings.GREENHOUSE_TOTAL_TIMEOUT = 0.5
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "trickle", chunk_delay=0.1, chunk_size=512)
    with pytest.raises(GreenhouseTimeout):
        GreenhouseClient().fetch_jobs("acme-robotics")


def test_it_gives_up_on_a_chain_of_slow_redirects_at_the_total_deadline(fake_greenhouse, settings):
    # Each hop answers well within the read timeout; only the whole request's deadline trips.
    settings.GREENHOUSE_TOTAL_TIMEOUT = 0.5
    board_url = f"{fake_greenhouse.base_url}/boards/acme-robotics"
    fake_greenhouse.fail_next("acme-robotics", "redirect", times=30, location=board_url, delay=0.2)
    started = time.monotonic()
    with pytest.raises(GreenhouseTimeout):
        GreenhouseClient().fetch_board("acme-robotics")
    # The hops asked end by the deadline (the 30 hops take 6 s); the time, a loaded machine's
    # seconds included (over 5 s seen), is a check that the fetch did not hang past it.
    assert fake_greenhouse.request_count("acme-robotics") <= 4
    assert time.monotonic() - started < 20


@pytest.fixture
def production_backoff(settings) -> None:
    """Retries as configured in production, waiting 1 s, then 2 s, 4 s (and jitter)."""
    settings.GREENHOUSE_RETRIES = 3
    settings.GREENHOUSE_RETRY_BACKOFF = 1.0
    settings.GREENHOUSE_TOTAL_TIMEOUT = 1.0


def test_headers_dripped_a_byte_at_a_time_end_the_fetch_at_its_deadline_without_retries(
    fake_greenhouse, production_backoff, settings, caplog, backoff_sleeps
):
    """Each byte comes well within the read timeout; a try after the deadline could not finish
    by it, so none is made, nor waited for."""
    settings.GREENHOUSE_TOTAL_TIMEOUT = 0.3
    fake_greenhouse.fail_next("acme-robotics", "drip_headers", times=5, byte_delay=0.03)

    started = time.monotonic()
    with pytest.raises(GreenhouseTimeout, match="took too long"):
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert time.monotonic() - started >= 0.3
    assert backoff_sleeps == []
    assert fake_greenhouse.request_count("acme-robotics") == 1
    assert "greenhouse request passed its 0.3s deadline" in caplog.text


@pytest.mark.parametrize("total_timeout", [1.0, 2.48])
def test_a_retry_whose_wait_would_end_past_the_deadline_is_not_made(
    fake_greenhouse, production_backoff, settings, total_timeout, backoff_sleeps
):
    """The first retry is made at once; the second waits 2 s and a jitter drawn up to 0.5 s as
    it sleeps: with 2.48 s to the deadline, it could be made, and then fail there."""
    settings.GREENHOUSE_TOTAL_TIMEOUT = total_timeout
    fake_greenhouse.fail_next("acme-robotics", "status", times=5, status=503)

    with pytest.raises(Unavailable, match="HTTP 503"):
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert backoff_sleeps == []  # nor waited for
    assert fake_greenhouse.request_count("acme-robotics") == 2


def test_a_retry_whose_longest_wait_ends_before_the_deadline_is_made(
    fake_greenhouse, production_backoff, settings, monkeypatch, backoff_sleeps
):
    """The second retry waits 8 s and a jitter of up to 2 s, and has 1.9 s left then, less the
    time the first two tries took. Counting the jitter drawn before the sleep as well as the
    whole jitter, the check gave up on it whenever that draw came to more than that."""
    settings.GREENHOUSE_RETRY_BACKOFF = 4
    settings.GREENHOUSE_TOTAL_TIMEOUT = 11.9
    # Every jitter drawn near its longest: the draw counted twice always passed the deadline.
    monkeypatch.setattr(urllib3.util.retry, "random", SimpleNamespace(random=lambda: 0.99))
    fake_greenhouse.fail_next("acme-robotics", "status", times=2, status=503)

    assert GreenhouseClient().fetch_jobs("acme-robotics")

    # Taken as recorded, not slept: the try after it then has more than the 1.9 s left.
    assert backoff_sleeps == [pytest.approx(8 + 0.99 * 2)]
    assert fake_greenhouse.request_count("acme-robotics") == 3


def test_the_first_retry_is_made_with_less_time_left_than_the_jitter(
    fake_greenhouse, production_backoff, settings
):
    """urllib3 makes the first retry at once, with no jitter: counting the jitter as a wait
    gave up on a retry that had the time to succeed."""
    settings.GREENHOUSE_RETRY_BACKOFF = 20  # a jitter of up to 10 s
    settings.GREENHOUSE_TOTAL_TIMEOUT = 5  # less than that, and ample for two local requests
    fake_greenhouse.fail_next("acme-robotics", "status", times=1, status=503)

    assert GreenhouseClient().fetch_jobs("acme-robotics")
    assert fake_greenhouse.request_count("acme-robotics") == 2


@pytest.mark.parametrize(
    ("chunked", "logged"),
    [(False, "content_length='500000' bytes_read=0"), (True, "content_length='' bytes_read=")],
    ids=["by its length", "as it is read"],
)
def test_a_body_over_the_size_cap_is_refused_saying_who_can_raise_the_cap_and_logged(
    fake_greenhouse, settings, caplog, chunked, logged
):
    # The org's admins read only "larger than this site accepts (209715200 bytes)": nothing
    # they could do, and nothing in the log said which board, or how large.
    settings.GREENHOUSE_MAX_RESPONSE_BYTES = 100_000
    if chunked:
        body = b'{"jobs": [], "padding": "%s"}' % (b"x" * 500_000)
        chunk = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        headers = {"Transfer-Encoding": "chunked"}
        fake_greenhouse.fail_next(
            "acme-robotics", "status", status=200, body=chunk, headers=headers
        )
    else:
        fake_greenhouse.fail_next("acme-robotics", "oversized", size=500_000)

    with pytest.raises(MalformedPayload) as caught:
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert caught.value.message == (
        "Greenhouse's response is larger than this site accepts (100,000 bytes); nothing was "
        "changed. Ask whoever runs this site to raise that limit (GREENHOUSE_MAX_RESPONSE_BYTES)."
    )
    [record] = [r for r in caplog.records if "over the size cap" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "limit=100000 url=http://127.0.0.1:" in record.getMessage()
    assert "/v1/boards/acme-robotics/jobs " in record.getMessage()
    assert logged in record.getMessage()


def peak_memory_while_too_large(fetch: Callable[[], object]) -> int:
    """The most memory traced while `fetch` is refused as larger than the size cap."""
    tracemalloc.start()
    try:
        with pytest.raises(MalformedPayload, match="larger than this site accepts"):
            fetch()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_small_compressed_body_that_inflates_past_the_cap_is_refused_holding_little_more(
    client, fake_greenhouse, settings
):
    # Before urllib3 2.6 a read inflated all the compressed bytes it brought: these 100 KB of
    # gzip were 100 MB in memory before the size cap was looked at.
    settings.GREENHOUSE_MAX_RESPONSE_BYTES = 1_000_000
    gzipper = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    megabyte = b" " * 1_000_000
    bomb = b"".join(gzipper.compress(megabyte) for _ in range(100)) + gzipper.flush()
    headers = {"Content-Encoding": "gzip"}
    fake_greenhouse.fail_next("acme-robotics", "status", status=200, body=bomb, headers=headers)

    peak = peak_memory_while_too_large(lambda: client.fetch_jobs("acme-robotics"))

    assert len(bomb) < 200_000 and peak < 3_000_000


def test_a_redirect_whose_body_is_over_the_size_cap_is_refused_holding_little_of_it(
    client, fake_greenhouse, settings
):
    # requests reads a redirect's body whole before it follows it: one of 600 MB took a worker
    # to 1.3 GB, with the cap at 10 MB.
    settings.GREENHOUSE_MAX_RESPONSE_BYTES = 1_000_000
    location = f"{fake_greenhouse.base_url}/boards/acme-robotics/jobs?content=true"
    fake_greenhouse.fail_next(
        "acme-robotics", "status", status=302, body=b"x" * 5_000_000, headers={"Location": location}
    )

    assert peak_memory_while_too_large(lambda: client.fetch_jobs("acme-robotics")) < 3_000_000
    fake_greenhouse.fail_next(
        "acme-robotics", "status", status=302, body=b"x" * 500_000, headers={"Location": location}
    )
    assert client.fetch_jobs("acme-robotics")  # a body within the cap is dropped, and followed


@pytest.mark.parametrize("chunked", [False, True], ids=["by its length", "as it is read"])
def test_a_body_of_exactly_the_size_cap_is_read_and_one_byte_more_refused(
    client, fake_greenhouse, settings, chunked
):
    settings.GREENHOUSE_MAX_RESPONSE_BYTES = 100_000
    for size in (100_000, 100_001):
        body = b'{"jobs": [], "padding": "%s"}' % (
            b"x" * (size - len(b'{"jobs": [], "padding": ""}'))
        )
        assert len(body) == size
        if chunked:
            chunk = b"%x\r\n%s\r\n0\r\n\r\n" % (size, body)
            headers = {"Transfer-Encoding": "chunked"}
            fake_greenhouse.fail_next(
                "acme-robotics", "status", status=200, body=chunk, headers=headers
            )
        else:
            fake_greenhouse.fail_next("acme-robotics", "body", body=body)
        if size == 100_000:
            assert client.fetch_jobs("acme-robotics") == []
        else:
            with pytest.raises(MalformedPayload, match="larger than"):
                client.fetch_jobs("acme-robotics")


def test_a_content_length_that_is_no_number_is_ignored_and_the_body_read(client, fake_greenhouse):
    posts = fake_greenhouse.jobs("acme-robotics")
    # "²" is a digit to str.isdigit(), not to int(); the body then ends with the connection.
    headers = {"Content-Length": "\u00b2", "Connection": "close"}
    fake_greenhouse.fail_next(
        "acme-robotics", "status", status=200, body={"jobs": posts}, headers=headers
    )
    assert len(client.fetch_jobs("acme-robotics")) == len(posts)


@pytest.mark.parametrize(
    ("declared", "too_large"),
    [("0" * 5_000 + "50", False), ("9" * 5_000, True)],
    ids=["leading zeros", "too many digits"],
)
def test_a_content_length_of_thousands_of_digits_is_read_as_its_size(
    client, fake_greenhouse, caplog, declared, too_large
):
    """int() refuses over 4,300 digits: the fetch failed as a redirect it cannot follow."""
    posts = fake_greenhouse.jobs("acme-robotics")
    headers = {"Content-Length": declared, "Connection": "close"}
    fake_greenhouse.fail_next(
        "acme-robotics", "status", status=200, body={"jobs": posts}, headers=headers
    )
    if too_large:
        with pytest.raises(MalformedPayload, match="larger than"):
            client.fetch_jobs("acme-robotics")
        assert max(len(record.getMessage()) for record in caplog.records) < 1_000
    else:
        assert len(client.fetch_jobs("acme-robotics")) == len(posts)


@pytest.mark.parametrize(
    ("fault", "options"),
    [
        ("malformed", {}),
        ("truncated", {}),
        ("html", {}),
        ("empty", {}),
        ("not_utf8", {}),
        ("body", {"body": {"jobs": "nope"}}),
        ("body", {"body": ["not", "an", "object"]}),
    ],
)
def test_bodies_that_are_not_greenhouse_json_are_malformed(client, fake_greenhouse, fault, options):
    fake_greenhouse.fail_next("acme-robotics", fault, **options)
    with pytest.raises(MalformedPayload):
        client.fetch_jobs("acme-robotics")


def test_a_body_nested_past_the_recursion_limit_is_malformed(client, fake_greenhouse):
    nested = b'{"jobs": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    fake_greenhouse.fail_next("acme-robotics", "body", body=nested)
    # Garbage collected as the parser's lists fill memory would have its finalizers run at the
    # parser's depth, fail there, and be reported by pytest as this test's failure.
    gc.disable()
    try:
        with pytest.raises(MalformedPayload):
            client.fetch_jobs("acme-robotics")
    finally:
        gc.enable()


BOARD = b'{"jobs": [], "meta": {"total": 0}}'
CHUNKED = {"Transfer-Encoding": "chunked", "Connection": "close"}


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        # The connection closes with a third of the bytes still due.
        (
            BOARD,
            {"Content-Length": "50", "Connection": "close"},
            "bytes_read=34 content_length='50'",
        ),
        (b"%x\r\n%s" % (len(BOARD), BOARD[:20]), CHUNKED, "bytes_read=20 content_length=''"),
        (b"zz\r\n" + BOARD, CHUNKED, "bytes_read=0 content_length=''"),
        # Its header shown to its first 100 characters, not the 5,001 a proxy sent.
        (
            b"zz\r\n" + BOARD,
            {**CHUNKED, "Content-Length": "0" * 5_000 + "1"},
            "content_length='" + "0" * 99 + " error=",
        ),
        # A Content-Length shorter than the compressed board: the read ends where it says, with
        # nothing missing to urllib3, and nothing inflated of a gzip header cut short, which was
        # "answered with nothing".
        (
            gzip.compress(BOARD),
            {"Content-Encoding": "gzip", "Content-Length": "10", "Connection": "close"},
            "bytes_read=0 content_length='10' error='gzip stream unfinished'",
        ),
        (
            zlib.compress(BOARD),
            {"Content-Encoding": "deflate", "Content-Length": "20", "Connection": "close"},
            "content_length='20' error='deflate stream unfinished'",
        ),
        # Two encodings, each with an inflater of its own: the outer one's stream is cut.
        (
            gzip.compress(zlib.compress(BOARD)),
            {"Content-Encoding": "deflate, gzip", "Content-Length": "15", "Connection": "close"},
            "content_length='15' error='deflate, gzip stream unfinished'",
        ),
    ],
    ids=[
        "content-length past the body",
        "chunked cut mid-chunk",
        "chunk size garbled",
        "chunk size garbled under thousands of digits of content-length",
        "gzip past its content-length",
        "deflate past its content-length",
        "gzip of deflate past its content-length",
    ],
)
def test_a_response_cut_off_is_malformed_and_the_log_says_where_and_why(
    client, fake_greenhouse, caplog, body, headers, reason
):
    # Only "cut off" reached the log: a proxy's timeout, a reset and a garbled chunk read alike.
    fake_greenhouse.fail_next("acme-robotics", "status", status=200, body=body, headers=headers)

    with pytest.raises(MalformedPayload, match="cut off before it was complete"):
        client.fetch_jobs("acme-robotics")

    [record] = [r for r in caplog.records if "cut off" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "/v1/boards/acme-robotics/jobs" in record.getMessage()
    assert reason in record.getMessage()


# Inflated to over 256 KiB: read in several parts, each inflating no more than it returns.
LARGE_BOARD = b'{"jobs": [], "meta": {"total": 0}, "padding": "%s"}' % (b" " * 1_000_000)


@pytest.mark.parametrize(
    ("body", "encoding", "answered"),
    [
        (gzip.compress(b""), "gzip", NotJsonAnswer),  # whole: nothing, as it says
        (b"", "gzip", NotJsonAnswer),  # not a byte, so no stream to cut: nothing too
        (gzip.compress(BOARD) + gzip.compress(b""), "gzip", None),  # a member after the board's
        # Bytes after the board's member that are no whole member: urllib3 drops them.
        (gzip.compress(BOARD) + b"\0" * 8, "gzip", None),
        (gzip.compress(BOARD) + b"\x1f", "gzip", None),
        (gzip.compress(zlib.compress(BOARD)), "deflate, gzip", None),
        (gzip.compress(LARGE_BOARD), "gzip", None),
    ],
    ids=[
        "gzip of nothing",
        "nothing said to be gzip",
        "gzip of two members",
        "gzip and zeros",
        "gzip and a byte",
        "gzip of deflate",
        "large gzip",
    ],
)
def test_a_compressed_body_that_ends_as_its_stream_does_is_not_said_to_be_cut_off(
    client, fake_greenhouse, body, encoding, answered
):
    """With the cut-off cases above, these fail if urllib3 keeps its inflaters otherwise than
    _inflated_short reads them (its _decoder, _decoders, _obj and _state are private): the
    check then stops firing, or fires on every stream urllib3 ends past the board's member."""
    headers = {"Content-Encoding": encoding}
    fake_greenhouse.fail_next("acme-robotics", "status", status=200, body=body, headers=headers)

    if answered is None:
        assert client.fetch_jobs("acme-robotics") == []
    else:
        with pytest.raises(answered, match="answered with nothing"):
            client.fetch_jobs("acme-robotics")


def test_a_board_not_found_whose_compressed_body_is_cut_short_is_still_not_found(
    client, fake_greenhouse
):
    """Only the board's body is checked for a stream cut short: a 404's says what it says."""
    headers = {"Content-Encoding": "gzip", "Content-Length": "10", "Connection": "close"}
    body = gzip.compress(b"Not found")
    fake_greenhouse.fail_next("acme-robotics", "status", status=404, body=body, headers=headers)

    with pytest.raises(BoardNotFound):
        client.fetch_jobs("acme-robotics")


def test_a_body_that_says_it_is_compressed_but_is_not_is_malformed_and_logged(
    client, fake_greenhouse, caplog
):
    # Read as a failed request, it was "could not be reached" on the settings page.
    headers = {"Content-Encoding": "gzip"}
    fake_greenhouse.fail_next("acme-robotics", "status", status=200, body=b"{}", headers=headers)
    with pytest.raises(MalformedPayload, match="could not be decompressed"):
        client.fetch_jobs("acme-robotics")
    assert "content-encoding: gzip, but failed to decode it" in caplog.text


def test_a_body_that_opens_with_a_byte_order_mark_is_read_as_the_same_board_without_it(
    client, fake_greenhouse
):
    # RFC 8259 lets a reader ignore the mark; it failed the whole sync as "not valid JSON".
    plain = client.fetch_jobs_response("acme-robotics")
    marked_body = codecs.BOM_UTF8 + bytes(plain.body)
    fake_greenhouse.fail_next("acme-robotics", "body", body=marked_body)

    marked = client.fetch_jobs_response("acme-robotics")

    # The same fingerprint: a board sent with the mark and then without is not applied again.
    assert marked.fingerprint == plain.fingerprint
    assert marked.posts() == plain.posts()
    fake_greenhouse.fail_next("acme-robotics", "body", body=codecs.BOM_UTF8 + b'{"name": "Acme"}')
    assert client.fetch_board("acme-robotics").name == "Acme"


def test_a_board_sent_compressed_is_read_as_the_same_board(client, fake_greenhouse):
    # Greenhouse compresses its answers for clients that say they accept it, as requests does.
    plain = client.fetch_jobs_response("acme-robotics")
    assert "gzip" in fake_greenhouse.requests[-1].headers["Accept-Encoding"]
    compressed_body = gzip.compress(bytes(plain.body))
    headers = {"Content-Encoding": "gzip"}
    fake_greenhouse.fail_next(
        "acme-robotics", "status", status=200, body=compressed_body, headers=headers
    )

    compressed = client.fetch_jobs_response("acme-robotics")

    assert compressed.fingerprint == plain.fingerprint
    assert compressed.posts() == plain.posts()


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("html", "Expecting value: line 1 column 1 (char 0)"), ("not_utf8", "can't decode byte 0xff")],
)
def test_it_logs_why_a_body_is_not_json(client, fake_greenhouse, caplog, fault, reason):
    fake_greenhouse.fail_next("acme-robotics", fault)
    with pytest.raises(MalformedPayload):
        client.fetch_jobs("acme-robotics")
    assert reason in caplog.text


PORTAL_PAGE = b"\n  <html><body>Sign in to use this network</body></html>"


@pytest.mark.parametrize(
    ("body", "headers", "content_type"),
    [
        # A maintenance page, said to be one.
        (None, {}, "text/html; charset=utf-8"),
        # A captive portal's page, sent as something else: its opening tag gives it away.
        (PORTAL_PAGE, {"Content-Type": "text/plain"}, "text/plain"),
        # In Latin-1: a web page still, not a board in another encoding than UTF-8.
        (
            "<html><body>Connectez-vous au réseau</body></html>".encode("latin-1"),
            {"Content-Type": "text/html"},
            "text/html",
        ),
    ],
    ids=["html content type", "opens with a tag", "latin-1 page"],
)
def test_a_web_page_sent_as_a_200_is_said_to_be_one_not_json_cut_off(
    client, fake_greenhouse, caplog, body, headers, content_type
):
    # It read "not valid JSON (it may have been cut off)", sending people to look at the board.
    if body is None:
        fake_greenhouse.fail_next("acme-robotics", "html", times=2)
    else:
        fake_greenhouse.fail_next(
            "acme-robotics", "status", status=200, body=body, headers=headers, times=2
        )

    for fetch in (client.fetch_jobs, client.fetch_board):
        with pytest.raises(NotJsonAnswer) as caught:
            fetch("acme-robotics")
        # As a 204's: it asked that the server reach Greenhouse "directly", and named neither
        # the address it asks Greenhouse at nor the proxy that may answer so.
        assert caught.value.message == (
            "Greenhouse, or something between this site and Greenhouse (such as a proxy), "
            f"answered with a web page instead of the board; {ASK_WHO_RUNS_THE_SITE}"
        )

    [jobs_record, board_record] = [r for r in caplog.records if "not valid JSON" in r.message]
    assert jobs_record.levelname == "WARNING"
    assert f"content_type='{content_type}'" in jobs_record.message
    assert f"content_type='{content_type}'" in board_record.message


@pytest.mark.parametrize(
    ("fetch", "suffix"), [("fetch_jobs", "/jobs"), ("fetch_board", "")], ids=["jobs", "board"]
)
def test_a_200_that_is_not_json_is_logged_with_the_addresses_and_the_answering_server(
    fake_greenhouse, settings, caplog, fetch, suffix
):
    # The line named only the size and the Content-Type: a captive portal's or a proxy's page
    # was not told from Greenhouse's. The addresses are masked as in the other lines.
    settings.GREENHOUSE_RETRIES = 0
    base = fake_greenhouse.base_url.replace("://", "://sync:s3cret@")
    moved = f"/v1/boards/acme-robotics{suffix}?moved=1"
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=moved)
    portal = {"Content-Type": "text/html", "Server": "portal/2.1", "Via": "1.1 gateway"}
    fake_greenhouse.fail_next(
        "acme-robotics", "status", status=200, body=PORTAL_PAGE, headers=portal
    )

    with pytest.raises(NotJsonAnswer):
        getattr(GreenhouseClient(base_url=base), fetch)("acme-robotics")

    [line] = [r.getMessage() for r in caplog.records if "not valid JSON" in r.getMessage()]
    masked_base = base.replace("s3cret", "***")
    assert f" url={masked_base}/boards/acme-robotics{suffix} final_url=" in line
    assert f" final_url={masked_base.removesuffix('/v1')}{moved} " in line
    # The fake server names itself in a Server header of its own, which requests joins.
    assert " server='FakeGreenhouse/1.0, portal/2.1' via='1.1 gateway' " in line
    assert "content_type='text/html'" in line
    assert "s3cret" not in caplog.text


S3_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Access Denied</Message></Error>"
)
XHTML_PAGE = b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'


@pytest.mark.parametrize(
    ("body", "content_type", "answered"),
    [
        # Empty, or blank, whatever it is said to be: it is no page.
        (b"", "text/html; charset=utf-8", "nothing (an empty response)"),
        (b" \r\n", "text/html", "nothing (an empty response)"),
        (b"", "application/json", "nothing (an empty response)"),
        # A proxy's or a storage service's XML error, said to be XML or opening as XML.
        (S3_ERROR, "application/xml", "an XML document"),
        (S3_ERROR, "text/xml; charset=utf-8", "an XML document"),
        (b"<error>denied</error>", "application/problem+xml", "an XML document"),
        (S3_ERROR, "text/plain", "an XML document"),
        # Said to be XML, with no prolog to open as XML; and XHTML whose tags are upper case.
        (b"<Error>denied</Error>", "text/xml; charset=utf-8", "an XML document"),
        (XHTML_PAGE.replace(b"html", b"HTML"), "text/plain", "a web page"),
        # After a UTF-8 byte order mark (the client drops it), UTF-8 or not.
        (codecs.BOM_UTF8 + S3_ERROR, "application/octet-stream", "an XML document"),
        (codecs.BOM_UTF8 + b"<html>\xe9</html>", "", "a web page"),
        # XHTML opens as XML does, and is a web page.
        (XHTML_PAGE, "text/plain", "a web page"),
        (XHTML_PAGE, "application/xhtml+xml", "a web page"),
    ],
)
def test_a_200_that_is_empty_or_xml_is_said_to_be_that_not_a_web_page(
    client, fake_greenhouse, body, content_type, answered
):
    # Each was "a web page", and whoever runs the site looked for a portal's or proxy's page.
    headers = {"Content-Type": content_type}
    fake_greenhouse.fail_next(
        "acme-robotics", "status", status=200, body=body, headers=headers, times=2
    )

    for fetch in (client.fetch_jobs, client.fetch_board):
        with pytest.raises(NotJsonAnswer) as caught:
            fetch("acme-robotics")
        assert caught.value.answered == answered
        assert f"answered with {answered} instead of the board;" in caught.value.message


def test_json_cut_off_is_still_said_to_be_maybe_cut_off(client, fake_greenhouse, caplog):
    fake_greenhouse.fail_next("acme-robotics", "truncated")
    with pytest.raises(MalformedPayload, match="may have been cut off") as raised:
        client.fetch_jobs("acme-robotics")
    assert not isinstance(raised.value, NotJsonAnswer)
    assert "content_type='application/json" in caplog.text


EMPTY_BOARD = '{"jobs": [], "meta": {"total": 0}}'


@pytest.mark.parametrize(
    "body",
    [
        EMPTY_BOARD.encode("utf-16"),  # with its byte order mark
        # Without one, all ASCII: UTF-8 reads it, a NUL before each character or after it.
        EMPTY_BOARD.encode("utf-16-le"),
        EMPTY_BOARD.encode("utf-16-be"),
        '{"jobs": [], "meta": {"company": "Société Générale"}}'.encode("latin-1"),
    ],
    ids=["utf-16", "utf-16-le", "utf-16-be", "latin-1"],
)
def test_a_board_in_another_encoding_than_utf8_is_said_to_be_not_utf8_text(
    client, fake_greenhouse, caplog, body
):
    # It read "not valid JSON (it may have been cut off)", sending people to look at how much
    # of the board came, when all of it had.
    fake_greenhouse.fail_next("acme-robotics", "body", body=body, times=2)

    for fetch in (client.fetch_jobs, client.fetch_board):
        with pytest.raises(MalformedPayload) as raised:
            fetch("acme-robotics")
        assert raised.value.message == (
            "Greenhouse sent a response that is not UTF-8 text (Greenhouse sends its boards in "
            "UTF-8); nothing was changed."
        )
    lines = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert len(lines) == 2
    assert all(line.startswith("greenhouse response is not UTF-8 text url=") for line in lines)


@pytest.mark.parametrize(
    "cut",
    [
        '{"jobs": [], "meta": {"company": "Soci\u00e9t\u00e9'.encode()[:-1],
        # Its missing end written as NULs, as a copy cut short may be: no UTF-16 opens so.
        b'{"jobs": [], "meta": {"company": "Soci' + b"\0" * 64,
    ],
    ids=["within a character", "filled with NULs"],
)
def test_a_utf8_board_cut_off_is_still_said_to_be_maybe_cut_off(
    client, fake_greenhouse, caplog, cut
):
    """The one place UTF-8 fails on a body that is UTF-8: a character's bytes cut short. NULs
    are UTF-8, but no board opens with one."""
    fake_greenhouse.fail_next("acme-robotics", "body", body=cut)

    with pytest.raises(MalformedPayload, match="not valid JSON \\(it may have been cut off\\)"):
        client.fetch_jobs("acme-robotics")
    assert "greenhouse response is not valid JSON url=" in caplog.text


@pytest.mark.parametrize(
    ("body", "logged"),
    [
        ({"status": 404, "error": "Not found"}, "keys=['status', 'error'] jobs=NoneType"),
        ({"jobs": {"1": {}}}, "keys=['jobs'] jobs=dict"),
        (["jobs"], "no list of jobs: list"),
    ],
)
def test_it_logs_what_came_instead_of_a_list_of_jobs(client, fake_greenhouse, caplog, body, logged):
    fake_greenhouse.fail_next("acme-robotics", "body", body=body)
    with pytest.raises(MalformedPayload, match="no list of jobs"):
        client.fetch_jobs("acme-robotics")
    assert logged in caplog.text


@pytest.mark.parametrize(
    ("ids", "said"),
    [
        (["gh-1"], "sent 1 job and it had no id"),
        (["gh-1", "gh-2"], "sent 2 jobs and none had an id"),
    ],
)
def test_a_board_without_a_readable_id_counts_its_posts_in_words(
    client, fake_greenhouse, ids, said
):
    """A board of one post is common: "Greenhouse sent 1 jobs" read as a mistake of this site."""
    posts = [{"id": post_id, "title": "Welder", "content": ""} for post_id in ids]
    fake_greenhouse.fail_next("acme-robotics", "body", body={"jobs": posts})
    with pytest.raises(MalformedPayload, match=f"^Greenhouse {said} that could be read;"):
        client.fetch_jobs("acme-robotics")


def test_it_logs_what_came_instead_of_a_board(client, fake_greenhouse, caplog):
    fake_greenhouse.fail_next("acme-robotics", "body", body=["Acme"])
    with pytest.raises(MalformedPayload, match="unexpected shape for the board") as caught:
        client.fetch_board("acme-robotics")
    assert caught.value.http_status == 200
    assert "greenhouse board response is no object: list" in caplog.text


def test_a_dropped_connection_is_unavailable(client, fake_greenhouse, settings):
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "close", times=5)
    with pytest.raises(Unavailable, match="Could not reach Greenhouse"):
        GreenhouseClient().fetch_jobs("acme-robotics")


def test_a_refused_connection_is_unavailable_not_a_timeout(settings):
    settings.GREENHOUSE_RETRIES = 0
    with (
        refusing_port() as port,
        pytest.raises(Unavailable, match="Could not reach Greenhouse") as caught,
    ):
        GreenhouseClient(base_url=f"http://127.0.0.1:{port}/v1").fetch_jobs("acme")
    assert not isinstance(caught.value, GreenhouseTimeout)


def test_it_logs_why_greenhouse_could_not_be_reached(settings, caplog):
    settings.GREENHOUSE_RETRIES = 0
    with refusing_port() as port, pytest.raises(Unavailable):
        GreenhouseClient(base_url=f"http://127.0.0.1:{port}/v1").fetch_jobs("acme")
    assert "Connection refused" in caplog.text
    assert f"127.0.0.1:{port}/v1/boards/acme/jobs" in caplog.text


@pytest.mark.parametrize(
    "fault",
    [
        {"fault": "status", "status": 405},  # a line of the answer, by _log_answer
        {"fault": "oversized", "size": 2_000},
        {"fault": "redirect", "location": "/login"},  # the redirect's line names both addresses
        None,  # a connection refused
    ],
    ids=["unexpected status", "over the size cap", "redirect to a missing page", "refused"],
)
def test_the_log_masks_a_password_in_the_api_base(fake_greenhouse, settings, caplog, fault):
    # A proxy's password in GREENHOUSE_API_BASE was written into every line naming the address.
    settings.GREENHOUSE_RETRIES = 0
    settings.GREENHOUSE_MAX_RESPONSE_BYTES = 1_000
    base = fake_greenhouse.base_url.replace("://", "://sync:s3cret@")
    with contextlib.ExitStack() as stack:
        if fault is None:
            port = stack.enter_context(refusing_port())
            base = f"http://sync:s3cret@127.0.0.1:{port}/v1"
        else:
            fake_greenhouse.fail_next("acme-robotics", **fault)
        with pytest.raises(GreenhouseError):
            GreenhouseClient(base_url=base).fetch_jobs("acme-robotics")

    assert "s3cret" not in caplog.text
    assert "url=http://sync:***@127.0.0.1:" in caplog.text


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")


PROXY_WITH_PASSWORD = "http://sync:s3cret@proxy.example:3128"


@pytest.mark.parametrize(
    ("msg", "args", "error"),
    [
        ("greenhouse request failed url=%s", (PROXY_WITH_PASSWORD, "x"), "TypeError"),
        ("greenhouse request failed url=%s error=%s", (PROXY_WITH_PASSWORD,), "TypeError"),
        ("board=%(board)s", ({"proxy": PROXY_WITH_PASSWORD},), "KeyError"),
        ("url=%s error=%s", (PROXY_WITH_PASSWORD, _Unprintable()), "RuntimeError"),
    ],
    ids=["more arguments", "fewer arguments", "name missing from the mapping", "str() fails"],
)
@pytest.mark.parametrize(
    "name",
    ["jobs.greenhouse", "urllib3.connectionpool", "urllib3.util.retry", "urllib3.connection"],
)
def test_a_line_that_cannot_be_written_is_logged_without_its_arguments(msg, args, error, name):
    # The filter left such a line to logging, whose handler printed its arguments to standard
    # error as they were ("Arguments: ('http://sync:s3cret@…', …)"), a proxy's password with
    # them. An exception from the filter would end the fetch that logged it.
    logger = logging.getLogger(name)
    record = logger.makeRecord(name, logging.WARNING, "/srv/jobs/greenhouse.py", 7, msg, args, None)

    assert logger.filter(record)
    assert record.getMessage() == (
        f"log line could not be written logger={name} at=/srv/jobs/greenhouse.py:7 error={error}"
    )


ASK_WHO_RUNS_THE_SITE = (
    "nothing was changed. If this goes on, ask whoever runs this site to check the address it "
    "uses for Greenhouse and any proxy on the way; the sync will try again later."
)


@pytest.mark.parametrize(
    ("location", "logged"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        (
            "ftp://example.org/jobs",
            "No connection adapters were found for 'ftp://example.org/jobs'",
        ),
        ("javascript:alert(1)", "No connection adapters were found for 'javascript:alert(1)'"),
    ],
)
def test_a_redirect_to_an_address_that_cannot_be_followed_says_so_and_is_logged(
    client, fake_greenhouse, caplog, location, logged
):
    # It said only "The request to Greenhouse failed": what failed, and who could see to it?
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=location)

    with pytest.raises(Unavailable) as caught:
        client.fetch_jobs("acme-robotics")

    assert caught.value.message == (
        "Greenhouse's address redirected the request to an address this site cannot follow; "
        + ASK_WHO_RUNS_THE_SITE
    )
    [record] = [r for r in caplog.records if r.getMessage().startswith("greenhouse address")]
    assert (
        "redirected the request to an address this site cannot follow url=" in record.getMessage()
    )
    assert logged in record.getMessage()


def test_a_proxy_setting_that_cannot_be_used_is_not_called_a_redirect(
    client, fake_greenhouse, caplog, monkeypatch
):
    # requests raises a ValueError for it before any request is made, as for a redirect to an
    # address it cannot follow: Greenhouse's address "redirected" nothing.
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://")  # no host

    with pytest.raises(Unavailable) as caught:
        client.fetch_jobs("acme-robotics")

    assert caught.value.message == f"The request to Greenhouse failed; {WILL_TRY_AGAIN}"
    assert fake_greenhouse.requests == []
    assert "greenhouse request failed url=" in caplog.text and "InvalidProxyURL" in caplog.text


def test_a_proxy_with_a_user_name_and_no_host_fails_the_request_not_the_sync(
    client, fake_greenhouse, caplog, monkeypatch
):
    # requests' TypeError for it crashed the sync ("sync crashed", its traceback, and "an
    # unexpected error" for the org's admins), where a proxy it cannot read fails the request.
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://sync:s3cret@")

    with pytest.raises(Unavailable) as caught:
        client.fetch_jobs("acme-robotics")

    assert caught.value.message == f"The request to Greenhouse failed; {WILL_TRY_AGAIN}"
    assert fake_greenhouse.requests == []
    assert "greenhouse request failed url=" in caplog.text and "TypeError" in caplog.text
    assert "s3cret" not in caplog.text


def test_a_type_error_of_a_request_without_such_a_proxy_still_crashes_the_sync(
    client, fake_greenhouse, monkeypatch
):
    # Only the proxy's is a failed request: any other is a bug, to be seen with its traceback.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    def send(*_: object, **__: object) -> None:
        raise TypeError("a bug")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)

    with pytest.raises(TypeError, match="a bug"):
        client.fetch_jobs("acme-robotics")


@pytest.mark.parametrize("location", ["/v1/login", "/v1/boards/"])
@pytest.mark.parametrize("fetch", ["fetch_jobs", "fetch_board"])
def test_a_404_a_redirect_led_to_away_from_the_board_is_the_redirects_not_the_tokens(
    client, fake_greenhouse, caplog, location, fetch
):
    # Taken for the board's own 404, it marked the token invalid and asked the org's admins to
    # connect a new one, where only whoever runs the site could see to the redirect.
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=location)

    with pytest.raises(LedAstray) as caught:
        getattr(client, fetch)("acme-robotics")

    assert caught.value.message == (
        f"Greenhouse's address redirected the request to {location}, which answered HTTP 404 "
        f"Not Found; {ASK_WHO_RUNS_THE_SITE}"
    )
    assert caught.value.http_status == 404 and caught.value.transient
    assert "greenhouse redirect led to a missing page status=404 url=http://" in caplog.text


@pytest.mark.parametrize("letters_before", range(6))
def test_a_long_path_a_redirect_led_to_is_cut_after_a_whole_escaped_letter(
    client, fake_greenhouse, letters_before
):
    """A letter of the path comes percent-escaped ("é" as "%C3%A9"): the 200-character cut left
    "%C3" or a lone "%" in the stored error, which show no letter. Every cut inside "%C3%A9" is
    tried."""
    path = "/v1/" + "x" * letters_before + "%C3%A9" * 40
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=path)

    with pytest.raises(LedAstray) as caught:
        client.fetch_jobs("acme-robotics")

    shown = caught.value.message.removeprefix("Greenhouse's address redirected the request to ")
    shown = shown.partition(", which answered HTTP 404")[0]
    assert shown.endswith("%C3%A9…") and len(shown) <= MAX_PATH_SHOWN
    assert path.startswith(shown.removesuffix("…"))


def test_a_410_a_redirect_led_to_away_from_the_board_is_the_redirects_too(client, fake_greenhouse):
    fake_greenhouse.fail_next("acme-robotics", "redirect", location="/v1/boards/gone-co/jobs")
    fake_greenhouse.fail_next("gone-co", "status", status=410)

    with pytest.raises(LedAstray) as caught:
        client.fetch_jobs("acme-robotics")

    assert "to /v1/boards/gone-co/jobs, which answered HTTP 410 Gone" in caught.value.message
    assert caught.value.http_status == 410


def test_a_redirects_long_path_is_cut_short_in_the_message(client, fake_greenhouse):
    # The message goes to the connection, the sync history and emails.
    path = "/v1/" + "x" * 500
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=path)

    with pytest.raises(LedAstray) as caught:
        client.fetch_jobs("acme-robotics")

    assert f"to {path[: MAX_PATH_SHOWN - 1]}…, which answered HTTP 404" in caught.value.message


@pytest.mark.parametrize(
    ("fetch", "location"),
    [
        ("fetch_jobs", "/v1/boards/tiny-co/jobs?content=true"),
        ("fetch_board", "/v1/boards/tiny-co"),
    ],
)
def test_another_boards_answer_a_redirect_led_to_is_the_redirects_and_not_read(
    client, fake_greenhouse, caplog, fetch, location
):
    # Read as the board's, it closed every job of the org for another board's, and the board
    # check named the board after another company.
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=location)

    with pytest.raises(LedAstray) as caught:
        getattr(client, fetch)("acme-robotics")

    path = location.partition("?")[0]
    assert caught.value.message == (
        f"Greenhouse's address redirected the request to {path}, which is not the job board's "
        f"address; {ASK_WHO_RUNS_THE_SITE}"
    )
    assert caught.value.http_status == 200 and caught.value.transient
    # The address asked is url=, as in the other lines of an answer; where it led, final_url=.
    [line] = [r.getMessage() for r in caplog.records if "redirect led away" in r.getMessage()]
    assert f"status=200 url={fake_greenhouse.base_url}/boards/acme-robotics" in line
    assert f" final_url={fake_greenhouse.base_url.removesuffix('/v1')}{location} server=" in line


# Redirects that keep the board's own path (the fake serves it under /v1 alone).
TO_THE_BOARDS_OWN_PATH = [
    "/v1/boards/acme-robotics/jobs?content=true",  # as the board's address sends it on
    "http://localhost:{port}/v1/boards/acme-robotics/jobs/?content=true",  # another host
]


@pytest.mark.parametrize(
    ("fault", "logged"),
    [
        ({"status": 403}, "greenhouse request refused status=403"),
        ({"status": 405}, "greenhouse answered with an unexpected client error status=405"),
        ({"status": 204, "body": b""}, "greenhouse answered with neither the board nor an error"),
        ({"status": 304, "body": b""}, "greenhouse answered 304 Not Modified to a request"),
    ],
    ids=["refused", "another 4xx", "a 2xx but 200", "a 304"],
)
def test_a_logged_answer_a_redirect_led_to_names_the_address_it_came_from(
    client, fake_greenhouse, caplog, fault, logged
):
    # The line named only the address asked: which host and path answered was left to guess.
    port = fake_greenhouse.base_url.rsplit(":", 1)[1].split("/")[0]
    moved = f"http://localhost:{port}/v1/boards/acme-robotics/jobs?content=true"
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=moved)
    fake_greenhouse.fail_next("acme-robotics", "status", **fault)

    with pytest.raises(GreenhouseError):
        client.fetch_jobs("acme-robotics")

    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith(logged)]
    assert f"url={fake_greenhouse.base_url}/boards/acme-robotics/jobs final_url={moved}" in line


def test_a_logged_answer_not_redirected_names_only_the_address_asked(
    client, fake_greenhouse, caplog
):
    fake_greenhouse.fail_next("acme-robotics", "status", status=405)

    with pytest.raises(MisdirectedRequest):
        client.fetch_jobs("acme-robotics")

    assert f"url={fake_greenhouse.base_url}/boards/acme-robotics/jobs server=" in caplog.text
    assert "final_url=" not in caplog.text


def test_the_address_a_redirect_led_to_is_logged_with_its_password_masked(
    fake_greenhouse, settings, caplog
):
    settings.GREENHOUSE_RETRIES = 0
    base = fake_greenhouse.base_url.replace("://", "://sync:s3cret@")
    own_path = "/v1/boards/acme-robotics/jobs?content=true&moved=1"
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=own_path)
    fake_greenhouse.fail_next("acme-robotics", "status", status=405)

    with pytest.raises(MisdirectedRequest):
        GreenhouseClient(base_url=base).fetch_jobs("acme-robotics")

    assert "final_url=http://sync:***@127.0.0.1:" in caplog.text and "moved=1" in caplog.text
    assert "s3cret" not in caplog.text


@pytest.fixture
def no_host_found(monkeypatch):
    """No host name resolves: nothing is asked of any network, and a request fails to connect."""

    def no_host(host: str, *args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_host)


def _fetch_reaching_no_host(settings, api_base: str, *, retries: int) -> None:
    """A board fetched from `api_base` (no_host_found), tried again `retries` times at once."""
    settings.GREENHOUSE_RETRIES = retries
    settings.GREENHOUSE_RETRY_BACKOFF = 0
    settings.GREENHOUSE_API_BASE = api_base

    with pytest.raises(Unavailable):
        GreenhouseClient().fetch_jobs("acme-robotics")


@pytest.mark.parametrize(
    ("api_base", "proxy", "logged"),
    [
        ("https://sync:12/secret@egress.example.com/v1", "", "greenhouse connection failed"),
        ("https://sync:12?secret@egress.example.com/v1", "", "greenhouse connection failed"),
        # Set by a settings module of one's own: orgsite.env refuses it from the environment.
        ("https://sync:s3/cret@egress.example.com/v1", "", "greenhouse request failed"),
        # A user name with a dot, which orgsite.W008 takes for a host with a port: the line
        # named "host='john.doe', port=12" and the path "/secret@…".
        ("https://john.doe:12/secret@egress.example.com/v1", "", "greenhouse connection failed"),
        # An "@" left before the "/" too: urllib3 named host "s3cret", in lower case, and the path.
        ("https://sync:p@S3cret/more@egress.example.com/v1", "", "greenhouse connection failed"),
        (
            "https://egress.example.com/v1",
            "http://sync:12/secret@proxy.example:3128",
            "greenhouse connection failed",
        ),
        (
            "https://egress.example.com/v1",
            "http://sync:s3/cret@proxy.example:3128",
            "greenhouse request failed",
        ),
        (
            "https://egress.example.com/v1",
            "http://sync:p@s3cret:12/more@proxy.example:3128",
            "greenhouse connection failed",
        ),
        (
            "https://egress.example.com/v1",
            "http://sync:p@s3cret:s3/more@proxy.example:3128",
            "greenhouse request failed",
        ),
    ],
)
def test_a_password_with_a_slash_left_unescaped_is_masked_where_errors_name_its_pieces(
    settings, monkeypatch, caplog, no_proxy_settings, no_host_found, api_base, proxy, logged
):
    """Read as host "sync", port 12 and a path "/secret@…", urllib3's errors named both (a
    proxy's, its port; one it cannot read, "'sync:s3'"), and its retry line too: each line held
    the password, or its head, which no masking of a URL found."""

    if proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
    _fetch_reaching_no_host(settings, api_base, retries=1)

    assert logged in caplog.text
    # urllib3's own line of the retry too, for a connection that failed.
    assert ("Retrying (" in caplog.text) is (logged == "greenhouse connection failed")
    assert "cret" not in caplog.text and "port=12" not in caplog.text
    assert "sync:s3" not in caplog.text


@pytest.mark.parametrize(
    "masking", ["jobs.greenhouse.passwords_masked", "jobs.greenhouse._password_pieces_masked"]
)
def test_a_time_limit_reached_while_a_line_is_masked_stops_the_task(monkeypatch, masking):
    """The filter goes on from any error of a line it cannot write, and went on from Celery's
    soft time limit too (an Exception): the sync ran on past it, to the hard limit's kill. As
    the whole line is masked, it would be logged as one that could not be written."""

    def time_is_up(text: str, *urls: tuple) -> str:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(masking, time_is_up)

    with pytest.raises(SoftTimeLimitExceeded):
        logging.getLogger("jobs.greenhouse").warning("url=%s", "https://sync:s3cret@egress/v1")


@pytest.mark.parametrize(
    ("api_base", "line", "logged"),
    [
        (
            "https://sync:12/secret@egress.example.com/v1",
            "async:123 sync:123 jobs=512 'sync:12' port=12",
            "async:123 sync:123 jobs=512 'sync:***' port=12",
        ),
        (
            "https://a:1/b@egress.example.com/v1",
            "data:1 a:10 /v1/boards/b@acme url: /b@egress.example.com/v1/boards/",
            "data:1 a:10 /v1/boards/b@acme url: /***@egress.example.com/v1/boards/",
        ),
        (
            "https://sync:p@db/more@egress.example.com/v1",
            "db=1 db db.x:443 dbs:443 my-db:443 (1): db:443",
            "db=1 db db.x:443 dbs:443 my-db:443 (1): ***:443",
        ),
        (
            "https://sync:p@db:12/more@egress.example.com/v1",
            "db:123 mydb:12 db:12.5 (1): db:12",
            "db:123 mydb:12 db:12.5 (1): ***",
        ),
    ],
)
def test_a_short_password_piece_is_masked_only_where_it_stands_alone(
    settings, caplog, no_proxy_settings, api_base, line, logged
):
    """A password's head or rest of a character or two was masked inside any word that held
    it: "async:123" read "async:***3", and a path's "/b@acme" "/***@acme"."""
    settings.GREENHOUSE_API_BASE = api_base

    logging.getLogger("jobs.greenhouse").warning(line)

    assert caplog.records[-1].getMessage() == logged


_PATH = "/b@egress.example.com/v1/boards/acme/jobs?content=true"
_POOL = "HTTPSConnectionPool(host='a', port=1): Max retries exceeded with url: " + _PATH
# requests's error as the client logs it, its repr of urllib3's: the quotes escaped.
_POOL_IN_A_REPR = _POOL.replace("'", "\\'")


@pytest.mark.parametrize(
    ("line", "logged"),
    [
        ("Starting new HTTPS connection (1): a:1", "Starting new HTTPS connection (1): a:***"),
        (f'https://a:1 "GET {_PATH} HTTP/1.1" 404 9', 'https://a:*** "GET /***@egress'),
        (f"Incremented Retry for (url='{_PATH}'): Retry(total=0)", "(url='/***@egress"),
        (f"Retrying (Retry(total=0)) after connection broken by 'X': {_PATH}", "': /***@egress"),
        (f"{_POOL} (Caused by X)", "(host='a', port=***): Max retries exceeded with url: /***@"),
        (
            f"error=ConnectionError(MaxRetryError('{_POOL_IN_A_REPR} (Caused by X(\"Failed\"))'))",
            "port=***): Max retries exceeded with url: /***@",
        ),
    ],
)
def test_a_short_password_piece_is_masked_in_each_line_urllib3_names_it_in(
    settings, caplog, no_proxy_settings, line, logged
):
    """Masked only where they stand alone, a password's pieces of a character are still masked
    in each shape of urllib3's and requests's lines that name them, quoted or not."""
    settings.GREENHOUSE_API_BASE = "https://a:1/b@egress.example.com/v1"

    logging.getLogger("jobs.greenhouse").warning(line)

    assert logged in caplog.records[-1].getMessage()
    assert "/b@" not in caplog.records[-1].getMessage()


def test_masking_a_long_line_of_a_passwords_pieces_takes_work_in_its_length(
    settings, monkeypatch, caplog, no_proxy_settings
):
    """Each piece is searched for once along the line, in the base's and the proxy's alike,
    so that a line of 96,000 characters, such as a redirect's address logged, is masked at
    once. The searches' steps are counted (regex_steps_counted), not timed: a line twice as
    long takes at most twice as many."""
    settings.GREENHOUSE_API_BASE = "https://sync:p@s3/cret@egress.example.com/v1"
    monkeypatch.setenv("HTTPS_PROXY", "http://sync:12/secret@proxy.example:3128")
    # Pieces last, masked by the last searches: one that failed (the filter goes on from any
    # error, the step count's too) leaves them.
    pieces = " 's3' 'sync:12', port=12"

    def steps_for(repeats: int) -> int:
        line = "'s3 'sync:1 , port=1 /cret /secret" * repeats
        with regex_steps_counted(orgsite.env, greenhouse) as steps:
            logging.getLogger("jobs.greenhouse").warning(line + pieces)
        assert caplog.records[-1].getMessage() == f"{line} '***' 'sync:***', port=***"
        return steps.count

    assert_steps_in_proportion(steps_for, 25)


def test_urllib3s_debug_line_of_a_retry_is_masked_too(
    settings, caplog, no_proxy_settings, no_host_found
):
    """With urllib3 logged at DEBUG, its line "Incremented Retry for (url='/secret@…')" named
    the rest of a password with a "/" left unescaped: its logger had no filter."""
    caplog.set_level(logging.DEBUG, logger="urllib3")

    _fetch_reaching_no_host(settings, "https://sync:12/secret@egress.example.com/v1", retries=1)

    assert "Incremented Retry for (url='/***@egress.example.com/v1/boards/" in caplog.text
    assert "secret" not in caplog.text


@pytest.mark.parametrize(
    ("api_base", "proxy", "part"),
    [
        ("https://sync:s3cr%E2%82%ACt@egress.example.com/v1", "", "password"),
        ("https://egress.example.com/v1", "http://sync:s3cr€t@proxy.example:3128", "password"),
        ("https://łukasz:s3cret@egress.example.com/v1", "", "user name"),
        (
            "https://egress.example.com/v1",
            "http://łukasz:s3cr€t@proxy.example:3128",
            "user name and password",
        ),
    ],
    ids=["the base's", "the proxy's", "the base's user name", "the proxy's user name and password"],
)
def test_a_password_that_cannot_be_sent_fails_naming_its_variable_and_fix_never_itself(
    settings, monkeypatch, caplog, no_proxy_settings, no_host_found, api_base, proxy, part
):
    """requests encodes the password in Latin-1 before anything is sent, and its error, logged
    at WARNING, named the whole password ("UnicodeEncodeError('latin-1', 's3cr€t', …)"). The
    sync then said only "The request to Greenhouse failed", and tried again as if it might
    pass. The fix named the password when it was the user name that requests could not send."""
    settings.GREENHOUSE_RETRIES = 0
    settings.GREENHOUSE_API_BASE = api_base
    if proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
    name = "HTTPS_PROXY" if proxy else "GREENHOUSE_API_BASE"

    with pytest.raises(CredentialsUnsendable) as failed:
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert not failed.value.transient
    assert failed.value.message == (
        "The request to Greenhouse could not be sent; nothing was changed. The address in "
        f"{name} has a {part} with a character beyond Latin-1 (such as “€”), or "
        "a %XX that is not UTF-8, which requests cannot send. Ask whoever runs this site to "
        f"give {name} a {part} of Latin-1 characters only (ASCII is safest), changed to "
        "match where it is checked."
    )
    assert "greenhouse request failed" in caplog.text
    assert "UnicodeEncodeError('latin-1', 'ordinal not in range(256)')" in caplog.text
    assert "s3cr" not in caplog.text


def test_a_proxy_password_that_cannot_be_sent_after_a_redirect_is_named_not_logged(
    settings, monkeypatch, caplog, no_proxy_settings, fake_greenhouse
):
    """An http:// base no proxy is set for, redirected to https://, which HTTPS_PROXY is for:
    requests encodes the proxy's password only then, and its error, a ValueError after an
    answer, was logged by the line of a redirect this site cannot follow, the password whole;
    the sync then blamed the redirect, not the proxy's password."""
    settings.GREENHOUSE_RETRIES = 0
    monkeypatch.setenv("HTTPS_PROXY", "http://sync:s3cr€t@proxy.example:3128")
    fake_greenhouse.fail_next(
        "acme-robotics", "redirect", location="https://egress.example.com/v1/boards/acme-robotics"
    )

    with pytest.raises(CredentialsUnsendable) as failed:
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert "The address in HTTPS_PROXY has a password with a" in failed.value.message
    assert "greenhouse request failed" in caplog.text
    assert "UnicodeEncodeError('latin-1', 'ordinal not in range(256)')" in caplog.text
    assert "s3cr" not in caplog.text


def test_urllib3s_line_of_headers_it_cannot_parse_is_masked_too(
    settings, caplog, no_proxy_settings, fake_greenhouse
):
    """urllib3's WARNING "Failed to parse headers (url=…)" names the address asked, whose path
    held the rest of a password with a "/" left unescaped (host "localhost", the password's
    head read as its port): its logger, urllib3.connection, had no filter."""
    port = urlsplit(fake_greenhouse.base_url).port
    settings.GREENHOUSE_API_BASE = f"http://localhost:{port}/secret@egress.example.com/v1"
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next(None, "close", sent=b"HTTP/1.1 503 Unavailable\r\nno colon\r\n\r\n")

    with pytest.raises(Unavailable):
        GreenhouseClient().fetch_jobs("acme-robotics")

    assert "Failed to parse headers (url=http://localhost:***@egress.example.com/v1/" in caplog.text
    assert "secret" not in caplog.text


@pytest.mark.parametrize(
    ("api_base", "proxy"),
    [
        ("https://sync:p@S3cret:12/more@egress.example.com/v1", ""),
        ("https://sync:p@S3cret/more@egress.example.com/v1", ""),
        # A proxy of an http:// base: the connection named is the proxy's.
        ("http://egress.example.com/v1", "http://sync:p@s3cret:12/more@proxy.example:3128"),
    ],
)
def test_urllib3s_debug_line_of_a_connection_to_a_host_read_in_a_password_is_masked(
    settings, monkeypatch, caplog, no_proxy_settings, no_host_found, api_base, proxy
):
    """With an "@" left before the "/", the host and port asked are the password's, and urllib3's
    DEBUG line "Starting new HTTPS connection (1): s3cret:12" named them, unquoted."""
    caplog.set_level(logging.DEBUG, logger="urllib3")
    if proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)

    _fetch_reaching_no_host(settings, api_base, retries=1)

    assert "connection (2): ***" in caplog.text
    assert "cret" not in caplog.text.lower() and ":12" not in caplog.text


def test_a_passwords_rest_is_masked_where_urllib3_names_it_percent_encoded(
    settings, caplog, no_proxy_settings, no_host_found
):
    """urllib3 names the path asked as requests sent it, percent-encoded: the rest of a password
    with a "/" left unescaped, "sécret", read "/s%C3%A9cret@egress…" in its lines, unmasked."""
    caplog.set_level(logging.DEBUG, logger="urllib3")

    _fetch_reaching_no_host(settings, "https://sync:12/sécret@egress.example.com/v1", retries=1)

    assert "Incremented Retry for (url='/***@egress.example.com/v1/boards/" in caplog.text
    assert "with url: /***@egress.example.com/v1/boards/" in caplog.text
    assert "cret" not in caplog.text


def test_a_passwords_head_is_masked_after_a_user_name_urllib3_names_lower_case(
    settings, caplog, no_proxy_settings, no_host_found
):
    """urllib3 reads the user's name "Sync" as the host and names it lower case: its line
    "Starting new HTTPS connection (1): sync:12" kept the password's head, "12"."""
    caplog.set_level(logging.DEBUG, logger="urllib3")

    _fetch_reaching_no_host(settings, "https://Sync:12/secret@egress.example.com/v1", retries=0)

    assert "Starting new HTTPS connection (1): sync:***" in caplog.text
    assert ":12" not in caplog.text


def test_a_proxy_whose_pieces_cannot_be_found_leaves_the_line_masked(
    settings, monkeypatch, caplog, no_proxy_settings, no_host_found
):
    """A proxy whose first ":" comes after where its host ends (it has no password there)
    failed the search for a password's pieces, and with it the whole masking: every line
    named GREENHOUSE_API_BASE with its password."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example/team:a@b:3128")

    _fetch_reaching_no_host(settings, "https://sync:s3cret@egress.example.com/v1", retries=0)

    assert "url=https://sync:***@egress.example.com/v1/boards/" in caplog.text
    assert "s3cret" not in caplog.text


def test_a_line_whose_password_pieces_fail_to_be_masked_is_masked_as_a_url_is(monkeypatch, caplog):
    """Any failure of the search for a password's pieces left the line whole, its URLs'
    passwords too."""

    def fails(text: str, urls: tuple) -> str:
        raise ValueError("not enough values to unpack")

    monkeypatch.setattr("jobs.greenhouse._password_pieces_masked", fails)

    logging.getLogger("jobs.greenhouse").warning("url=%s", "https://sync:s3cret@egress/v1")

    assert "url=https://sync:***@egress/v1" in caplog.text and "s3cret" not in caplog.text


@pytest.mark.parametrize(
    ("fault", "logged"),
    [
        ({"fault": "status", "status": 200, "body": BOARD,
          "headers": {"Content-Length": "50", "Connection": "close"}},
         "greenhouse response was cut off"),
        ({"fault": "status", "status": 200, "body": b"{}",
          "headers": {"Content-Encoding": "gzip"}},
         "greenhouse response could not be decompressed"),
        ({"fault": "oversized", "size": 500_000}, "greenhouse response over the size cap"),
        # 64 bytes every 0.1 s: the board comes whole in seconds, past the 0.3 s deadline.
        ({"fault": "trickle", "chunk_delay": 0.1, "chunk_size": 64},
         "greenhouse request passed its 0.3s deadline"),
    ],
    ids=["cut off", "not decompressed", "over the size cap", "past the deadline"],
)  # fmt: skip
def test_a_body_that_fails_to_be_read_after_a_redirect_is_logged_with_where_it_led(
    fake_greenhouse, settings, caplog, fault, logged
):
    # The line named only the address asked: which host and path sent the body was left to
    # guess. The address a redirect led to is masked as the one asked is.
    settings.GREENHOUSE_RETRIES = 0
    settings.GREENHOUSE_MAX_RESPONSE_BYTES = 100_000
    if fault["fault"] == "trickle":
        settings.GREENHOUSE_TOTAL_TIMEOUT = 0.3
    base = fake_greenhouse.base_url.replace("://", "://sync:s3cret@")
    moved = "/v1/boards/acme-robotics/jobs?content=true&moved=1"
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=moved)
    fake_greenhouse.fail_next("acme-robotics", **fault)

    with pytest.raises((MalformedPayload, GreenhouseTimeout)):
        GreenhouseClient(base_url=base).fetch_jobs("acme-robotics")

    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith(logged)]
    masked_base = base.replace("s3cret", "***")
    assert f"url={masked_base}/boards/acme-robotics/jobs final_url=" in line
    assert f" final_url={masked_base.removesuffix('/v1')}{moved} " in f"{line} "
    assert "s3cret" not in caplog.text


@pytest.mark.parametrize("location", TO_THE_BOARDS_OWN_PATH)
def test_the_board_a_redirect_to_its_own_path_led_to_is_read(client, fake_greenhouse, location):
    port = fake_greenhouse.base_url.rsplit(":", 1)[1].split("/")[0]
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=location.format(port=port))

    assert client.fetch_jobs("acme-robotics") == fake_greenhouse.jobs("acme-robotics")


@pytest.mark.parametrize(
    "location",
    [*TO_THE_BOARDS_OWN_PATH, "/v2/boards/acme-robotics/jobs?content=true"],  # a base moved
)
def test_a_404_of_the_boards_own_path_after_a_redirect_is_still_board_not_found(
    client, fake_greenhouse, location
):
    port = fake_greenhouse.base_url.rsplit(":", 1)[1].split("/")[0]
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=location.format(port=port))
    fake_greenhouse.fail_next("acme-robotics", "status", status=404)

    with pytest.raises(BoardNotFound, match="no job board with the token “acme-robotics”"):
        client.fetch_jobs("acme-robotics")


def test_jobs_a_redirect_sent_without_content_say_who_can_see_to_it(client, fake_greenhouse):
    # It said only that Greenhouse sent no descriptions, "as it does when not asked for
    # content", though this site asks for them: who was to do what?
    plain_jobs = f"{fake_greenhouse.base_url}/boards/acme-robotics/jobs"
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=plain_jobs)

    with pytest.raises(MalformedPayload) as caught:
        client.fetch_jobs("acme-robotics")

    assert caught.value.message == (
        "Greenhouse sent the jobs without their descriptions, as it does when not asked for "
        "them: a redirect on the way dropped the request's ?content=true; nothing was changed. "
        "Ask whoever runs this site to check the address this site uses for Greenhouse "
        "(GREENHOUSE_API_BASE) and any proxy on the way."
    )
    assert caught.value.http_status == 200


def test_jobs_a_redirect_sent_on_with_their_content_are_read(client, fake_greenhouse):
    jobs_url = f"{fake_greenhouse.base_url}/boards/acme-robotics/jobs?content=true"
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=jobs_url)

    assert client.fetch_jobs("acme-robotics") == fake_greenhouse.jobs("acme-robotics")


def test_a_redirect_loop_says_so_and_is_logged(client, fake_greenhouse, caplog):
    jobs_url = f"{fake_greenhouse.base_url}/boards/acme-robotics/jobs?content=true"
    fake_greenhouse.fail_next("acme-robotics", "redirect", times=100, location=jobs_url)

    with pytest.raises(Unavailable) as caught:
        client.fetch_jobs("acme-robotics")

    assert caught.value.message == (
        f"Greenhouse's address redirected the request in a loop; {ASK_WHO_RUNS_THE_SITE}"
    )
    assert "greenhouse address redirected the request in a loop url=" in caplog.text
    assert "Exceeded 5 redirects" in caplog.text
    assert fake_greenhouse.request_count("acme-robotics") == 6  # the request and 5 redirects


def test_a_greenhouse_error_survives_copy_and_pickle(client, fake_greenhouse):
    """As Celery and a process pool pass it on: LedAstray, which needs `what`, could not be
    made again from its message alone."""
    jobs_url = f"{fake_greenhouse.base_url}/boards/acme-robotics/jobs?content=true"
    fake_greenhouse.fail_next("acme-robotics", "redirect", times=100, location=jobs_url)
    with pytest.raises(Unavailable) as caught:
        client.fetch_jobs("acme-robotics")
    errors = [caught.value, RateLimited("Slow down", retry_after=30.0), BoardNotFound("Gone")]

    for error in errors:
        pickled = pickle.dumps(error)
        for copied in (copy.copy(error), pickle.loads(pickled)):  # noqa: S301  (its own bytes)
            assert type(copied) is type(error)
            assert (copied.args, vars(copied)) == (error.args, vars(error))
    assert errors[0].what == "redirected the request in a loop"


@pytest.mark.parametrize(
    ("sent", "logged"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", "BadStatusLine('SSH-2.0-OpenSSH_9.6"),
        (b"HTTP/1.1 200 OK\r\n" + b"X-Hop: 1\r\n" * 101 + b"\r\n", "got more than 100 headers"),
        (b"HTTP/1.1 200 OK\r\nX-Long: " + b"x" * 70_000 + b"\r\n\r\n", "LineTooLong"),
    ],
    ids=["no status line", "too many headers", "a header too long"],
)
def test_an_answer_that_is_not_http_says_so_and_is_logged(
    client, fake_greenhouse, caplog, sent, logged
):
    # Something answered, if not in HTTP: "Could not reach Greenhouse" sent people to look for
    # a network or DNS fault.
    fake_greenhouse.fail_next("acme-robotics", "close", times=10, sent=sent)

    with pytest.raises(Unavailable) as caught:
        client.fetch_jobs("acme-robotics")

    assert caught.value.message == (
        f"Greenhouse's address answered in something that is not HTTP; {ASK_WHO_RUNS_THE_SITE}"
    )
    assert "greenhouse address answered in something that is not HTTP url=" in caplog.text
    assert logged in caplog.text


def test_a_board_name_longer_than_a_connection_holds_is_cut(client, fake_greenhouse):
    fake_greenhouse.add_board("wordy", name="Wordy\x00 " + "N" * 1_000, jobs=[])
    assert client.fetch_board("wordy").name == "Wordy " + "N" * 294


@pytest.mark.parametrize(
    "name", ["\u200b\u3164\u2800", "\u200b" * 300 + "Acme"], ids=["blank", "invisible-head"]
)
def test_a_board_name_that_shows_nothing_in_a_connection_is_no_name(client, fake_greenhouse, name):
    fake_greenhouse.add_board("blank", name=name, jobs=[])
    assert client.fetch_board("blank").name == ""


def test_parse_job_trims_and_reads_the_greenhouse_shape(fake_greenhouse):
    raw = fake_greenhouse.jobs("acme-robotics")[0]
    post = parse_job(raw)
    assert post.greenhouse_id == raw["id"]
    assert post.title == raw["title"].strip()
    assert post.location_name == raw["location"]["name"].strip()
    assert post.first_published_at is not None
    assert {d.greenhouse_id for d in post.departments} == {d["id"] for d in raw["departments"]}


def test_parse_job_reads_titles_and_names_as_one_line_with_single_spaces(fake_greenhouse):
    """As a page shows them and a filter sends them back (a browser sends a newline as
    \\r\\n): whitespace collapsed to single spaces."""
    raw = fake_greenhouse.jobs("acme-robotics")[0] | {
        "title": "Robot\n  Whisperer\t(Lyon)",
        "location": {"name": "Lyon,\r\nFrance"},
        "departments": [{"id": 7, "name": "Field   Robotics", "parent_id": None}],
    }

    post = parse_job(raw)

    assert post.title == "Robot Whisperer (Lyon)"
    assert post.location_name == "Lyon, France"
    assert [department.name for department in post.departments] == ["Field Robotics"]


def test_parse_job_composes_letters_written_apart_from_their_accents(fake_greenhouse):
    """Search reads queries composed (NFC): "Ingénieur" written as "e" and an accent apart, as
    macOS writes it, would not be found by the word as typed."""
    raw = fake_greenhouse.jobs("acme-robotics")[0] | {
        "title": "Inge\u0301nieur",
        "location": {"name": "Montre\u0301al"},
    }

    post = parse_job(raw)

    assert (post.title, post.location_name) == ("Ing\u00e9nieur", "Montr\u00e9al")
