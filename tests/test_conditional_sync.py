"""Conditional syncs: the ETag of the board last applied is sent as If-None-Match, and
Greenhouse's "304 Not Modified" is an unchanged run, as the same bytes again are."""

from __future__ import annotations

import copy
import logging

import pytest

from jobs.connections import check_board, connection_disconnect, connection_save
from jobs.greenhouse import Board, GreenhouseClient
from jobs.models import GreenhouseConnection, Job, SyncRun
from jobs.status import sync_status
from tests.support.fake_greenhouse import FakeGreenhouse
from tests.support.helpers import make_connection
from tests.test_sync import loses_its_lease_as_it_applies, sync

pytestmark = pytest.mark.django_db

RUN_FIELDS = [
    "outcome", "trigger", "created", "updated", "unchanged", "closed", "reopened", "skipped",
    "http_status", "error_message",
]  # fmt: skip
# What the settings page says of the connection and its latest run, but for times and ids.
STATUS_KEYS = ["state", "state_text", "last_error", "skipped_text", "phase", "message"]


@pytest.fixture
def not_modified_answers(monkeypatch) -> list[bool]:
    """For each jobs fetch of a sync, whether Greenhouse answered "not modified"."""
    answers: list[bool] = []
    fetch = GreenhouseClient.fetch_jobs_response

    def fetch_and_note(client, token, **validators):
        response = fetch(client, token, **validators)
        answers.append(response.not_modified)
        return response

    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", fetch_and_note)
    return answers


def validators_sent(fake: FakeGreenhouse) -> list[str | None]:
    """The If-None-Match of each request for a board's jobs, oldest first."""
    return [r.headers.get("If-None-Match") for r in fake.requests if r.path.endswith("/jobs")]


def unchanged_resync(
    fake: FakeGreenhouse, slug: str, *, sends_etags: bool
) -> tuple[dict, dict, dict]:
    """A board synced, then synced again unchanged: the second run as recorded, and the
    settings page's status and counts of it. The org's jobs are left as they were."""
    fake.sends_etags = sends_etags
    connection = make_connection(slug, "with-a-skipped-post")
    first = sync(connection)
    assert first.ok and first.counts.skipped == 1
    jobs_before = list(Job.objects.filter(organization=connection.organization).values())
    first_success_at = connection.last_success_at

    result = sync(connection)

    assert result.ok and result.counts.unchanged == first.counts.created
    run = SyncRun.objects.filter(pk=result.run_id).values(*RUN_FIELDS).get()
    status = sync_status(organization=connection.organization)
    connection.refresh_from_db()
    assert connection.last_success_at > first_success_at
    assert list(Job.objects.filter(organization=connection.organization).values()) == jobs_before
    return run, {key: status[key] for key in STATUS_KEYS}, status["latest_run"]["counts"]


def test_an_unchanged_board_answered_not_modified_is_recorded_as_the_same_bytes_again_are(
    fake_greenhouse, not_modified_answers
):
    posts = copy.deepcopy(fake_greenhouse.jobs("acme-robotics"))
    fake_greenhouse.add_board(
        "with-a-skipped-post", name="Acme", jobs=[*posts, {"title": "A post with no id"}]
    )
    fingerprint_path = unchanged_resync(fake_greenhouse, "bytes", sends_etags=False)
    assert not any(not_modified_answers)

    not_modified_path = unchanged_resync(fake_greenhouse, "etag", sends_etags=True)

    assert not_modified_answers[-2:] == [False, True]
    # The history says what Greenhouse answered; the rest is recorded alike.
    statuses = [path[0].pop("http_status") for path in (fingerprint_path, not_modified_path)]
    assert statuses == [200, 304]
    assert not_modified_path == fingerprint_path
    assert fake_greenhouse.request_count("with-a-skipped-post") == 4  # one request a sync


def test_it_sends_back_the_etag_of_the_board_it_applied(acme, fake_greenhouse, monkeypatch):
    sync(acme)
    acme.refresh_from_db()
    assert acme.applied_board_etag.startswith('W/"')
    monkeypatch.setattr("jobs.sync.apply_board", pytest.fail)  # nothing to parse or apply

    sync(acme)

    assert validators_sent(fake_greenhouse) == [None, acme.applied_board_etag]


def test_a_board_changed_since_is_sent_whole_and_applied(acme, fake_greenhouse):
    sync(acme)
    acme.refresh_from_db()
    applied_etag = acme.applied_board_etag
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["title"] = "Robot Whisperer"

    result = sync(acme)

    assert validators_sent(fake_greenhouse) == [None, applied_etag]
    assert result.counts.updated == 1
    assert Job.objects.get(greenhouse_id=post["id"]).title == "Robot Whisperer"
    acme.refresh_from_db()
    assert acme.applied_board_etag not in ("", applied_etag)
    # Its ETag is the new board's: unchanged since, it is not sent again.
    assert sync(acme).counts.updated == 0
    assert validators_sent(fake_greenhouse)[-1] == acme.applied_board_etag


def test_a_server_that_ignores_the_etag_is_read_whole_as_without_one(
    acme, fake_greenhouse, not_modified_answers, monkeypatch
):
    sync(acme)
    fake_greenhouse.answers_not_modified = False
    monkeypatch.setattr("jobs.sync.apply_board", pytest.fail)  # the same bytes: not applied

    result = sync(acme)

    assert validators_sent(fake_greenhouse)[-1] is not None
    assert not_modified_answers == [False, False]
    assert result.ok and result.counts.unchanged == len(fake_greenhouse.jobs("acme-robotics"))


def test_a_server_that_stops_sending_etags_is_asked_without_one(acme, fake_greenhouse):
    sync(acme)
    acme.refresh_from_db()
    applied_etag = acme.applied_board_etag
    fake_greenhouse.sends_etags = fake_greenhouse.answers_not_modified = False

    sync(acme), sync(acme)

    assert validators_sent(fake_greenhouse) == [None, applied_etag, None]
    acme.refresh_from_db()
    assert acme.applied_board_etag == ""


def test_a_server_that_sends_no_etag_is_never_asked_with_one(acme, fake_greenhouse):
    fake_greenhouse.sends_etags = False

    sync(acme), sync(acme)

    assert validators_sent(fake_greenhouse) == [None, None]


@pytest.mark.parametrize(
    ("etag", "kept"),
    [
        ('"strong"', True),
        (f'W/"{"x" * 196}"', True),
        (f'W/"{"x" * 197}"', False),  # longer than its column
        ('W/"a", "b"', False),  # two ETag headers, as requests reads them
        ('"no closing quote', False),
        ('"a"b"', False),  # a quote inside ends it early in If-None-Match
        ('W/"ü"', False),
    ],
)
def test_an_etag_is_kept_only_if_it_can_be_sent_back_as_it_came(acme, fake_greenhouse, etag, kept):
    board = {"jobs": fake_greenhouse.jobs("acme-robotics")}
    fake_greenhouse.fail_next(
        "acme-robotics", "status", status=200, body=board, headers={"ETag": etag}
    )

    assert sync(acme).ok

    acme.refresh_from_db()
    assert acme.applied_board_etag == (etag if kept else "")


def test_another_board_connected_is_asked_without_the_old_boards_etag(acme, fake_greenhouse):
    sync(acme)

    connection_save(organization=acme.organization, board=Board("tiny-co", "Tiny Co"))

    acme.refresh_from_db()
    assert (acme.applied_board_etag, acme.applied_board_etag_fingerprint) == ("", "")
    sync(acme)
    assert validators_sent(fake_greenhouse) == [None, None]


def test_a_board_connected_again_after_a_disconnect_is_read_whole(acme, fake_greenhouse):
    sync(acme)
    connection_disconnect(connection=acme)
    connection = connection_save(
        organization=acme.organization, board=Board("acme-robotics", "Acme Robotics")
    )

    result = sync(connection)

    assert validators_sent(fake_greenhouse) == [None, None]
    assert result.counts.reopened == len(fake_greenhouse.jobs("acme-robotics"))


def test_the_live_board_check_sends_no_etag(acme, fake_greenhouse):
    sync(acme)

    check_board("acme-robotics")

    assert fake_greenhouse.requests[-1].path == "/v1/boards/acme-robotics"
    assert "If-None-Match" not in fake_greenhouse.requests[-1].headers


def fails_in_its_apply(monkeypatch) -> None:
    def apply_board(connection, raw_jobs, *, now):
        raise RuntimeError("a bug")

    monkeypatch.setattr("jobs.sync.apply_board", apply_board)


@pytest.mark.parametrize("failure", [fails_in_its_apply, loses_its_lease_as_it_applies])
def test_a_board_whose_apply_did_not_complete_is_read_whole_next_time(
    acme, fake_greenhouse, monkeypatch, failure
):
    failure(monkeypatch)
    assert not sync(acme).ok
    monkeypatch.undo()
    GreenhouseConnection.objects.filter(pk=acme.pk).update(lock_expires_at=None)

    result = sync(acme)

    assert validators_sent(fake_greenhouse) == [None, None]
    assert result.counts.created == len(fake_greenhouse.jobs("acme-robotics"))


def test_a_changed_board_whose_apply_failed_is_not_taken_for_the_one_applied(
    acme, fake_greenhouse, monkeypatch
):
    sync(acme)
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["title"] = "Robot Whisperer"
    fails_in_its_apply(monkeypatch)
    assert not sync(acme).ok
    monkeypatch.undo()

    result = sync(acme)

    assert result.counts.updated == 1
    assert Job.objects.get(greenhouse_id=post["id"]).title == "Robot Whisperer"


@pytest.mark.parametrize(
    "change",
    [
        # As the migrations that have posts read again leave it (0017-0019).
        {"applied_board_fingerprint": ""},
        # A sync by code that knew no ETags applied another board (a deploy under way).
        {"applied_board_fingerprint": "f" * 64},
    ],
)
def test_an_etag_is_not_sent_once_its_board_is_no_longer_the_one_applied(
    acme, fake_greenhouse, change
):
    sync(acme)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(**change)

    sync(acme)

    assert validators_sent(fake_greenhouse) == [None, None]


def test_an_etag_is_not_sent_once_a_job_the_board_left_open_was_closed_here(acme, fake_greenhouse):
    sync(acme)
    closed = Job.objects.filter(organization=acme.organization).first()
    Job.objects.filter(pk=closed.pk).update(is_open=False)

    result = sync(acme)

    assert validators_sent(fake_greenhouse) == [None, None]
    assert result.counts.reopened == 1


def test_a_not_modified_answer_to_a_request_without_an_etag_fails_and_changes_nothing(
    acme, fake_greenhouse, caplog
):
    fake_greenhouse.fail_next("acme-robotics", "status", status=304, body=b"")

    with caplog.at_level(logging.WARNING, logger="jobs.greenhouse"):
        result = sync(acme)

    assert not result.ok
    # "Greenhouse answered “not modified” … nothing was changed." said neither that a cache on
    # the way may have, nor who could see to it.
    assert result.error.startswith(
        "Greenhouse, or something between this site and Greenhouse (such as a proxy), answered "
        "with HTTP 304 Not Modified instead of the board; nothing was changed. If this goes on, "
        "ask whoever runs this site to check the address it uses for Greenhouse"
    )
    assert "304 Not Modified to a request without a validator" in caplog.text
    assert not Job.objects.exists()
    run = SyncRun.objects.get(pk=result.run_id)
    assert (run.outcome, run.http_status) == (SyncRun.Outcome.FAILED, 304)
    acme.refresh_from_db()
    assert (acme.applied_board_fingerprint, acme.applied_board_etag) == ("", "")


def test_a_not_modified_answer_comes_through_retries_and_redirects(acme, fake_greenhouse):
    sync(acme)
    jobs_url = f"{fake_greenhouse.base_url}/boards/acme-robotics/jobs?content=true"
    fake_greenhouse.fail_next("acme-robotics", "status", status=503)
    fake_greenhouse.fail_next("acme-robotics", "redirect", location=jobs_url)

    result = sync(acme)

    assert result.ok and result.counts.unchanged == len(fake_greenhouse.jobs("acme-robotics"))
    sent = validators_sent(fake_greenhouse)
    assert len(sent) == 4 and sent[0] is None and len(set(sent[1:])) == 1 and sent[1]


def test_a_not_modified_answer_too_slow_to_come_ends_at_the_deadline(
    acme, fake_greenhouse, settings
):
    sync(acme)
    settings.GREENHOUSE_TOTAL_TIMEOUT = 0.5
    fake_greenhouse.fail_next("acme-robotics", "drip_headers", times=5, byte_delay=0.1)

    result = sync(acme)

    assert not result.ok and "took too long" in result.error
