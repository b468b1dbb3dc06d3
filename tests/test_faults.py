"""Every way Greenhouse can misbehave, one row each, through the real HTTP fake.

Each row states its expected outcome. Whole-response faults fail the sync: no job changes, the
run and the connection record the reason in words, retries are bounded and back off. Per-post
faults are not failures by design: the bad post is skipped and counted (and logged), the others
are applied, and an existing job whose new copy is bad keeps its last good copy. After every row
the next good sync converges to exactly the board's state.
"""

from __future__ import annotations

import copy
import gzip
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from jobs.greenhouse import job_payload_hash
from jobs.models import GreenhouseConnection, Job, SyncRun
from jobs.sync import sync_organization
from jobs.tasks import retry_delay
from tests.support.blackhole import blackholed_port
from tests.support.fake_greenhouse import FakeGreenhouse

pytestmark = pytest.mark.django_db

TOKEN = "acme-robotics"
RETRIES = 2  # so a retried fault is tried exactly three times

# A whole sync held to a deadline of 0.5 s takes 0.55 s, and a loaded machine (two pytest workers
# on two cores, PostgreSQL, browsers) may add seconds of writes and waits for a core: over 5 s
# was seen. The server's delays are chosen so that a read not held to the deadline takes 50 s or
# more (cut short as the test ends): well past this.
WITHIN_DEADLINE = 20

FAILING = GreenhouseConnection.State.FAILING
INVALID_TOKEN = GreenhouseConnection.State.INVALID_TOKEN
OK = GreenhouseConnection.State.OK


@dataclass(frozen=True)
class Fault:
    """One row: how to break things, and what the sync must do about it."""

    name: str
    arrange: Callable[[FakeGreenhouse, Any, str], None]  # (fake, settings, blackhole_url)
    state: str  # the connection's state afterwards
    reason: str = ""  # words the run and the connection record (whole-sync failures)
    http_status: int | None = None  # the run's: of the answer that came, if any did
    requests: int | None = None  # requests the fake receives: bounded retries
    backs_off: bool = False  # retried with growing sleeps in between
    retry_after: float | None = None
    skipped_log: str = ""  # per-post faults: what the log line says
    # Whether the task tries it again minutes later; by default, what leaves it failing is.
    retried: bool | None = None
    # Seconds the failing sync may take at most, of a deadline of 0.5 s: WITHIN_DEADLINE.
    within: float | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def fails_the_sync(self) -> bool:
        return self.state != OK

    @property
    def is_retried(self) -> bool:
        return self.state == FAILING if self.retried is None else self.retried


def fail_next(fault: str, *, times: int = 10, **options: Any):
    def arrange(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
        fake.fail_next(TOKEN, fault, times=times, **options)

    return arrange


def connect_to(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    settings.GREENHOUSE_API_BASE = blackhole_url
    settings.GREENHOUSE_CONNECT_TIMEOUT = 0.2


def slow_answer(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    settings.GREENHOUSE_READ_TIMEOUT = 0.3
    fake.fail_next(TOKEN, "slow", times=10, delay=1.0)


def trickling_body(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    # Each chunk arrives well within the read timeout; only the whole-response deadline trips.
    # Read whole, the body takes 70 s.
    settings.GREENHOUSE_TOTAL_TIMEOUT = 0.5
    fake.fail_next(TOKEN, "trickle", times=10, chunk_delay=0.5, chunk_size=128)


def body_stalling(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    # The headers come; the next chunk of the body outlasts the read timeout, not the deadline.
    settings.GREENHOUSE_READ_TIMEOUT = 0.3
    fake.fail_next(TOKEN, "trickle", times=10, chunk_delay=1.0, chunk_size=4096)


def dripping_headers(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    # A byte of the headers at a time, each well within the read timeout: 50 s for them all.
    settings.GREENHOUSE_TOTAL_TIMEOUT = 0.5
    fake.fail_next(TOKEN, "drip_headers", times=10, byte_delay=0.25)


def body_in_slow_chunks(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    # One wait for the next chunk, within the read timeout, outlasts the whole deadline: a read
    # checked against the deadline only as it starts takes 60 s.
    settings.GREENHOUSE_READ_TIMEOUT = 90
    settings.GREENHOUSE_TOTAL_TIMEOUT = 0.5
    fake.fail_next(TOKEN, "trickle", times=10, chunk_delay=60.0, chunk_size=4096)


def api_base_without_version(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    settings.GREENHOUSE_API_BASE = fake.base_url.removesuffix("/v1")


def oversized_body(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    settings.GREENHOUSE_MAX_RESPONSE_BYTES = 100_000
    fake.fail_next(TOKEN, "oversized", times=10, size=500_000)


def answer_with(body: bytes, **headers: str):
    """A 200 of these bytes, with these headers (Content_Length for Content-Length)."""

    def arrange(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
        sent = {name.replace("_", "-"): value for name, value in headers.items()}
        fake.fail_next(TOKEN, "status", times=10, status=200, body=body, headers=sent)

    return arrange


def inflating_past_the_cap(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    settings.GREENHOUSE_MAX_RESPONSE_BYTES = 100_000
    body = gzip.compress(b" " * 1_000_000)
    headers = {"Content-Encoding": "gzip"}
    fake.fail_next(TOKEN, "status", times=10, status=200, body=body, headers=headers)


def redirect_loop(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    jobs_url = f"{fake.base_url}/boards/{TOKEN}/jobs?content=true"
    fake.fail_next(TOKEN, "redirect", times=100, location=jobs_url)


def redirect_to(path: str):
    """A redirect to `path` of the fake's, built from its address; once, as the board's own
    address may be where it leads."""

    def arrange(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
        fake.fail_next(TOKEN, "redirect", location=fake.base_url + path)

    return arrange


def break_first_post(**changes: Any):
    def arrange(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
        fake.jobs(TOKEN)[0].update(changes)
        fake.touch(TOKEN)

    return arrange


def add_post(**changes: Any):
    """A new post without a usable id: it cannot be matched to any job, so it only adds a skip."""

    def arrange(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
        posts = fake.jobs(TOKEN)
        posts.append({**copy.deepcopy(posts[0]), "title": "A post nobody can find", **changes})
        fake.touch(TOKEN)

    return arrange


def nulls_in_a_new_post(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    posts = fake.jobs(TOKEN)
    posts.append(dict.fromkeys(posts[0], None))
    fake.touch(TOKEN)


def nulls_but_the_id(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    post = fake.jobs(TOKEN)[0]
    post.update({key: None for key in post if key != "id"})
    fake.touch(TOKEN)


def duplicate_first_post(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
    posts = fake.jobs(TOKEN)
    twin = copy.deepcopy(posts[0])
    twin["title"] = "An impostor with the same id"
    posts.append(twin)
    fake.touch(TOKEN)


def answer_with_posts(change_posts: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]):
    """A 200 whose posts are the board's, changed."""

    def arrange(fake: FakeGreenhouse, settings: Any, blackhole_url: str) -> None:
        posts = change_posts(copy.deepcopy(fake.jobs(TOKEN)))
        fake.fail_next(TOKEN, "body", times=10, body={"jobs": posts, "meta": {"total": len(posts)}})

    return arrange


def ids_as_text(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**post, "id": f"gh-{post['id']}"} for post in posts]


def without_content(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """As Greenhouse answers without ?content=true: no content, departments or offices."""
    return [
        {
            key: value
            for key, value in post.items()
            if key not in ("content", "departments", "offices")
        }
        for post in posts
    ]


NOT_JSON = "not valid JSON"
SHAPE = "unexpected shape"

FAULTS = [
    # Whole-response faults: the sync fails and nothing changes.
    Fault("connect timeout", connect_to, FAILING, "did not answer in time", backs_off=True),
    Fault(
        "read timeout", slow_answer, FAILING, "did not answer in time", requests=3, backs_off=True
    ),
    Fault(
        "trickling body",
        trickling_body,
        FAILING,
        "took too long",
        requests=1,
        within=WITHIN_DEADLINE,
        http_status=200,
    ),
    Fault(
        "body stalling",
        body_stalling,
        FAILING,
        "did not answer in time",
        requests=1,
        http_status=200,
    ),
    Fault(
        "dripping headers",
        dripping_headers,
        FAILING,
        "took too long",
        requests=1,
        within=WITHIN_DEADLINE,
    ),
    Fault(
        "body in slow chunks",
        body_in_slow_chunks,
        FAILING,
        "took too long",
        requests=1,
        within=WITHIN_DEADLINE,
        http_status=200,
    ),
    Fault(
        "500",
        fail_next("status", status=500),
        FAILING,
        "HTTP 500",
        requests=3,
        backs_off=True,
        http_status=500,
    ),
    Fault(
        "502",
        fail_next("status", status=502),
        FAILING,
        "HTTP 502",
        requests=3,
        backs_off=True,
        http_status=502,
    ),
    Fault(
        "503",
        fail_next("status", status=503),
        FAILING,
        "HTTP 503",
        requests=3,
        backs_off=True,
        http_status=503,
    ),
    Fault(
        "429 with Retry-After",
        fail_next("rate_limit", retry_after="7"),
        FAILING,
        "rate limiting",
        requests=1,
        retry_after=7,
        http_status=429,
    ),
    Fault(
        "503 with Retry-After",
        fail_next("status", status=503, headers={"Retry-After": "120"}),
        FAILING,
        "HTTP 503",
        requests=1,
        retry_after=120,
        http_status=503,
    ),
    Fault(
        "404",
        fail_next("status", status=404),
        INVALID_TOKEN,
        "no job board",
        requests=1,
        http_status=404,
    ),
    Fault(
        "410",
        fail_next("status", status=410),
        INVALID_TOKEN,
        "is gone",
        requests=1,
        http_status=410,
    ),
    # A proxy's or firewall's refusal: the schedule asks again, the task does not.
    Fault(
        "401",
        fail_next("status", status=401),
        FAILING,
        "firewall",
        requests=1,
        retried=False,
        http_status=401,
    ),
    Fault(
        "403",
        fail_next("status", status=403),
        FAILING,
        "firewall",
        requests=1,
        retried=False,
        http_status=403,
    ),
    # A status the board API does not give: the address or a proxy, which the message names.
    Fault(
        "405",
        fail_next("status", status=405),
        FAILING,
        "GREENHOUSE_API_BASE",
        requests=1,
        retried=False,
        http_status=405,
    ),
    # Greenhouse knows no board at all without the API's /v1: it said every token was invalid.
    Fault(
        "an api base without /v1",
        api_base_without_version,
        FAILING,
        "does not end in /v1",
        retried=False,
        http_status=404,
    ),
    Fault("html", fail_next("html"), FAILING, "with a web page", requests=1, http_status=200),
    Fault("malformed json", fail_next("malformed"), FAILING, NOT_JSON, requests=1, http_status=200),
    Fault("truncated json", fail_next("truncated"), FAILING, NOT_JSON, requests=1, http_status=200),
    Fault(
        "empty body",
        fail_next("empty"),
        FAILING,
        "with nothing (an empty response)",
        requests=1,
        http_status=200,
    ),
    Fault(
        "not utf-8", fail_next("not_utf8"), FAILING, "not UTF-8 text", requests=1, http_status=200
    ),
    Fault(
        "jobs missing",
        fail_next("body", body={"meta": {}}),
        FAILING,
        SHAPE,
        requests=1,
        http_status=200,
    ),
    Fault(
        "jobs not a list",
        fail_next("body", body={"jobs": {}}),
        FAILING,
        SHAPE,
        requests=1,
        http_status=200,
    ),
    Fault(
        "body is a list", fail_next("body", body=[]), FAILING, SHAPE, requests=1, http_status=200
    ),
    # As large minutes later, each try read up to the cap: the schedule asks again, the task not.
    Fault(
        "over the size cap",
        oversized_body,
        FAILING,
        "larger than",
        requests=1,
        retried=False,
        http_status=200,
    ),
    Fault(
        "inflates past the size cap",
        inflating_past_the_cap,
        FAILING,
        "larger than",
        requests=1,
        retried=False,
        http_status=200,
    ),
    Fault(
        "not gzip",
        answer_with(b"{}", Content_Encoding="gzip"),
        FAILING,
        "decompressed",
        requests=1,
        http_status=200,
    ),
    Fault(
        "content-length past the body",
        answer_with(b'{"jobs": []}', Content_Length="50", Connection="close"),
        FAILING,
        "cut off",
        requests=1,
        http_status=200,
    ),
    Fault(
        "chunked cut mid-chunk",
        answer_with(b'40\r\n{"jobs": [', Transfer_Encoding="chunked", Connection="close"),
        FAILING,
        "cut off",
        requests=1,
        http_status=200,
    ),
    Fault(
        "gzip past its content-length",
        answer_with(
            gzip.compress(b'{"jobs": []}'),
            Content_Encoding="gzip",
            Content_Length="10",
            Connection="close",
        ),
        FAILING,
        "cut off",
        requests=1,
        http_status=200,
    ),
    Fault("redirect loop", redirect_loop, FAILING, "in a loop"),
    Fault(
        "answer not http",
        fail_next("close", sent=b"SSH-2.0-OpenSSH_9.6\r\n"),
        FAILING,
        "not HTTP",
        requests=3,
        backs_off=True,
    ),
    # The board's own address never said the board is missing: the redirect is to blame.
    Fault(
        "redirect to a missing page",
        redirect_to("/login"),
        FAILING,
        "redirected the request to /v1/login, which answered HTTP 404 Not Found",
        requests=1,
        http_status=404,
    ),
    Fault(
        "redirect to ftp",
        fail_next("redirect", location="ftp://example.org/jobs"),
        FAILING,
        "cannot follow",
        requests=1,
    ),
    # Well-formed answers that cannot be the board: applied, they would close or blank its jobs.
    Fault(
        "no id readable", answer_with_posts(ids_as_text), FAILING, "none had an id", http_status=200
    ),
    Fault(
        "no content",
        answer_with_posts(without_content),
        FAILING,
        "without their descriptions",
        http_status=200,
    ),
    # Greenhouse answered what it was asked: the address, or a proxy, needs a look.
    Fault(
        "redirect dropping ?content=true",
        redirect_to(f"/boards/{TOKEN}/jobs"),
        FAILING,
        "a redirect on the way dropped the request's ?content=true",
        requests=2,
        http_status=200,
    ),
    # Per-post faults: the bad post is skipped, counted and logged; the sync succeeds.
    Fault("duplicate ids", duplicate_first_post, OK, skipped_log="duplicate id"),
    Fault("nulls in every field", nulls_in_a_new_post, OK, skipped_log="no valid id"),
    Fault("nulls but the id", nulls_but_the_id, OK, skipped_log="has no title"),
    Fault("no title", break_first_post(title="  "), OK, skipped_log="has no title"),
    Fault("no id", add_post(id=None), OK, skipped_log="no valid id"),
    Fault("id not a number", add_post(id="abc"), OK, skipped_log="no valid id"),
    Fault("id below one", add_post(id=0), OK, skipped_log="no valid id"),
    Fault(
        "javascript: url",
        break_first_post(absolute_url="javascript:alert(1)"),
        OK,
        skipped_log="not an http or https address",
    ),
    Fault(
        "ftp url",
        break_first_post(absolute_url="ftp://example.org/"),
        OK,
        skipped_log="not an http or https address",
    ),
]


@pytest.fixture
def blackhole_url() -> Iterator[str]:
    with blackholed_port() as port:
        yield f"http://127.0.0.1:{port}/v1"


def board_state(posts: list[dict[str, Any]]) -> dict[int, tuple[str, str]]:
    return {post["id"]: (post["title"].strip(), job_payload_hash(post)) for post in posts}


def open_jobs(connection: GreenhouseConnection) -> dict[int, tuple[str, str]]:
    jobs = Job.objects.filter(organization=connection.organization, is_open=True)
    return {job.greenhouse_id: (job.title, job.payload_hash) for job in jobs}


def sync(connection: GreenhouseConnection):
    connection.refresh_from_db()
    return sync_organization(connection, trigger=SyncRun.Trigger.SCHEDULE)


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_a_greenhouse_fault_never_damages_jobs_and_the_next_sync_converges(
    acme, fake_greenhouse, settings, blackhole_url, backoff_sleeps, caplog, fault
):
    settings.GREENHOUSE_RETRIES = RETRIES
    assert sync(acme).ok
    before = list(Job.objects.order_by("pk").values())
    # The board moves on (one post gone, one retitled), so a sync that wrongly got through
    # would show in the jobs.
    posts = fake_greenhouse.jobs(TOKEN)
    posts.pop()
    posts[1]["title"] = "Retitled after the first sync"
    fake_greenhouse.touch(TOKEN)
    good_board = copy.deepcopy(posts)
    fault.arrange(fake_greenhouse, settings, blackhole_url)
    requests_before = fake_greenhouse.request_count(TOKEN)
    caplog.set_level(logging.INFO, logger="jobs.sync")

    started = time.monotonic()
    result = sync(acme)
    elapsed = time.monotonic() - started

    acme.refresh_from_db()
    run = SyncRun.objects.filter(organization=acme.organization).first()
    assert acme.state == fault.state
    assert acme.lock_expires_at is None
    if fault.fails_the_sync:
        assert not result.ok
        assert list(Job.objects.order_by("pk").values()) == before
        assert run.outcome == SyncRun.Outcome.FAILED and run.finished_at is not None
        assert fault.reason in run.error_message and run.error_message == acme.last_error
        assert run.http_status == fault.http_status
        assert acme.consecutive_failures == 1 and acme.failing_since is not None
        assert result.transient == fault.is_retried
    else:
        assert result.ok, result.error
        assert run.outcome == SyncRun.Outcome.SUCCESS and run.skipped == result.counts.skipped == 1
        assert any(fault.skipped_log in message for message in caplog.messages), caplog.messages
        first = Job.objects.get(greenhouse_id=before[0]["greenhouse_id"])
        assert first.is_open and first.payload_hash == before[0]["payload_hash"]
        assert first.title == before[0]["title"]
    if fault.requests is not None:
        assert fake_greenhouse.request_count(TOKEN) - requests_before == fault.requests
    if fault.backs_off:
        # urllib3 retries at once the first time, then waits longer each time.
        assert len(backoff_sleeps) == RETRIES - 1 and all(s > 0 for s in backoff_sleeps)
        assert backoff_sleeps == sorted(backoff_sleeps)
    if fault.within is not None:
        assert elapsed < fault.within
    if fault.retry_after is not None:
        assert result.retry_after == fault.retry_after
        # Longer than GREENHOUSE_MAX_RETRY_AFTER: not waited for, nor asked again, within the
        # fetch; the task waits it out instead.
        assert not backoff_sleeps
        assert retry_delay(0, result.retry_after) >= fault.retry_after

    fake_greenhouse.reset_faults()
    settings.GREENHOUSE_API_BASE = fake_greenhouse.base_url
    fake_greenhouse.add_board(TOKEN, name="Acme Robotics", jobs=good_board)
    healed = sync(acme)

    assert healed.ok, healed.error
    assert open_jobs(acme) == board_state(good_board)
    acme.refresh_from_db()
    assert acme.state == OK and acme.consecutive_failures == 0 and acme.last_error == ""
