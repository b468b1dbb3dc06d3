"""The fake Greenhouse and its fixture boards: Greenhouse's shapes, routes and faults."""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.fake_greenhouse import FIXTURES_DIR, FakeGreenhouse

FIXTURES = ("acme-robotics", "liberte-sante", "tiny-co", "empty-board", "hostile")
SHARED_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "greenhouse-samples"


def read_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def get(url: str, timeout: float = 5) -> tuple[int, Message, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def get_json(url: str) -> Any:
    status, _, body = get(url)
    assert status == 200, body
    return json.loads(body)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGreenhouse]:
    with FakeGreenhouse() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeGreenhouse) -> Iterator[FakeGreenhouse]:
    server.reset()
    for name in FIXTURES:
        server.load_fixture(name, name)
    yield server
    server.reset()


# --- The fixture files ---------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_each_fixture_has_greenhouse_shape(name):
    fixture = read_fixture(name)

    assert fixture["board"]["name"] and "&lt;p&gt;" in fixture["board"]["content"]
    payload = fixture["jobs"]
    assert set(payload) == {"jobs", "meta"}
    assert payload["meta"] == {"total": len(payload["jobs"])}
    for job in payload["jobs"]:
        assert isinstance(job["id"], int) and job["id"] > 0
        assert job["title"].strip()
        assert job["absolute_url"].startswith("https://job-boards.greenhouse.io/")
        assert "&lt;" in job["content"] and "<" not in job["content"]
        assert isinstance(job["location"]["name"], str)
        assert job["metadata"] is None or isinstance(job["metadata"], list)
        for unit in job["departments"] + job["offices"]:
            assert {"id", "name", "parent_id", "child_ids"} <= set(unit)
        assert all("location" in office for office in job["offices"])


def test_acme_has_big_ids_non_ascii_text_and_greenhouse_quirks():
    jobs = read_fixture("acme-robotics")["jobs"]["jobs"]
    raw = (FIXTURES_DIR / "acme-robotics.json").read_text(encoding="utf-8")

    assert len(jobs) == 6 and all(job["id"] > 2**32 for job in jobs)
    assert all(job["language"] == "en" for job in jobs)
    for text in ("München", "“", "€", "—", "日本語", "&amp;nbsp;", "&#39;", "&lt;table&gt;"):
        assert text in raw, text
    assert any(job["title"] != job["title"].rstrip() for job in jobs)
    assert any(job["location"]["name"] != job["location"]["name"].rstrip() for job in jobs)
    assert any(job["metadata"] is None for job in jobs)
    assert any(job["application_deadline"] for job in jobs)
    departments = {d["name"]: d for job in jobs for d in job["departments"]}
    engineering = departments["Engineering"]
    assert {departments["Platform"]["id"], departments["Robotics Software"]["id"]} == set(
        engineering["child_ids"]
    )
    assert departments["Platform"]["parent_id"] == engineering["id"]
    assert "Remote" in {o["name"] for job in jobs for o in job["offices"]}


def tidewater_units(kind: str) -> dict[int, dict[str, Any]]:
    """Tidewater's departments or offices by id, each checked to nest as Greenhouse writes
    them: a child names its parent, which lists it among its children."""
    jobs = read_fixture("tidewater-freight")["jobs"]["jobs"]
    units = {unit["id"]: unit for job in jobs for unit in job[kind]}
    assert all(len(job[kind]) == 1 for job in jobs)
    for unit in units.values():
        parent = units.get(unit["parent_id"])
        assert parent is None or unit["id"] in parent["child_ids"], unit["name"]
        assert all(units[child]["parent_id"] == unit["id"] for child in unit["child_ids"])
    return units


def path_of(units: dict[int, dict[str, Any]], name: str) -> list[str]:
    unit = next(unit for unit in units.values() if unit["name"] == name)
    path = [name]
    while unit["parent_id"] in units:
        unit = units[unit["parent_id"]]
        path.insert(0, unit["name"])
    return path


def test_tidewater_nests_departments_three_deep_as_greenhouse_writes_them():
    """A parent that no post lists (Operations) is only an id."""
    departments = tidewater_units("departments")

    assert path_of(departments, "Backend") == ["Engineering", "Platform", "Backend"]
    assert any(d["parent_id"] and d["parent_id"] not in departments for d in departments.values())


def test_tidewater_nests_offices_three_deep_as_greenhouse_writes_them():
    offices = tidewater_units("offices")

    assert path_of(offices, "Rotterdam") == ["Europe", "Netherlands", "Rotterdam"]
    assert path_of(offices, "Hamburg") == ["Europe", "Hamburg"]


def test_acmes_application_deadline_is_still_ahead():
    """The tests and the demo list the acme job that has a deadline; once the date passes the
    site no longer offers it, and this says why the other tests then fail."""
    (deadline,) = [
        job["application_deadline"]
        for job in read_fixture("acme-robotics")["jobs"]["jobs"]
        if job["application_deadline"]
    ]
    assert date.fromisoformat(deadline) > date.today(), (
        f"acme-robotics.json: move the application_deadline {deadline} a few years ahead"
    )


def test_liberte_sante_is_a_french_board():
    fixture = read_fixture("liberte-sante")
    jobs = fixture["jobs"]["jobs"]

    assert fixture["board"]["name"] == "Liberté Santé"
    assert all(job["language"] == "fr" for job in jobs)
    assert "Ingénieur·e logiciel — Données de santé" in {job["title"] for job in jobs}
    assert {"Montréal, Québec", "Lyon, France"} <= {job["location"]["name"] for job in jobs}


def test_hostile_content_is_escaped_once_and_its_title_is_raw_text():
    jobs = read_fixture("hostile")["jobs"]["jobs"]
    content = " ".join(job["content"] for job in jobs)

    for attack in ("&lt;script&gt;", "onerror=", "javascript:", "&lt;iframe", "&lt;svg onload"):
        assert attack in content, attack
    assert "&amp;lt;script&amp;gt;" in content  # text that only looks like a tag
    assert any(job["title"].endswith("<b>bold</b> & <script>x</script>") for job in jobs)


# --- Routes --------------------------------------------------------------------------------


def test_it_serves_the_board_name_and_intro(fake):
    board = get_json(f"{fake.base_url}/boards/liberte-sante")
    assert board["name"] == "Liberté Santé" and board["content"].startswith("&lt;p&gt;")


def test_it_lists_content_departments_and_offices_only_with_content_true(fake):
    status, headers, body = get(f"{fake.base_url}/boards/acme-robotics/jobs?content=true")

    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    assert "München".encode() in body  # raw UTF-8, not \u escapes
    full = json.loads(body)
    assert full["meta"] == {"total": 6}
    assert all({"content", "departments", "offices"} <= set(job) for job in full["jobs"])

    brief = get_json(f"{fake.base_url}/boards/acme-robotics/jobs")
    assert [job["id"] for job in brief["jobs"]] == [job["id"] for job in full["jobs"]]
    assert not any({"content", "departments", "offices"} & set(job) for job in brief["jobs"])


def test_an_unknown_or_removed_board_is_a_greenhouse_404(fake):
    """With the bodies Greenhouse sends, as recorded from the live API."""
    status, _, body = get(f"{fake.base_url}/boards/no-such-board/jobs")
    assert status == 404 and json.loads(body) == {"status": 404, "error": "Job not found"}

    fake.remove_board("tiny-co")
    status, _, body = get(f"{fake.base_url}/boards/tiny-co")
    assert status == 404 and json.loads(body) == {"status": 404, "error": "Job board not found"}
    assert get(f"{fake.base_url}/nowhere")[0] == 404


def test_it_serves_one_job_or_a_404(fake):
    job_id = fake.jobs("acme-robotics")[0]["id"]
    job = get_json(f"{fake.base_url}/boards/acme-robotics/jobs/{job_id}")
    assert job["id"] == job_id and "content" in job
    status, _, body = get(f"{fake.base_url}/boards/acme-robotics/jobs/1")
    assert status == 404 and json.loads(body) == {"status": 404, "error": "Job not found"}


def test_departments_and_offices_are_derived_from_the_posts(fake):
    departments = get_json(f"{fake.base_url}/boards/acme-robotics/departments")["departments"]
    offices = get_json(f"{fake.base_url}/boards/acme-robotics/offices")["offices"]

    by_name = {d["name"]: d for d in departments}
    assert by_name["Engineering"]["child_ids"] and by_name["Platform"]["parent_id"]
    assert sum(len(d["jobs"]) for d in departments) == 6
    assert all("content" not in job for d in departments for job in d["jobs"])
    remote = next(o for o in offices if o["name"] == "Remote")
    assert remote["location"] and remote["departments"]


def test_other_methods_are_not_allowed(fake):
    request = urllib.request.Request(f"{fake.base_url}/boards/tiny-co/jobs", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, data=b"{}", timeout=5)
    assert caught.value.code == 405


def test_changes_to_the_live_jobs_list_are_served(fake):
    url = f"{fake.base_url}/boards/acme-robotics/jobs?content=true"
    posts = fake.jobs("acme-robotics")
    removed = posts.pop()
    assert get_json(url)["meta"]["total"] == 5

    posts[0]["title"] = "Changed after the board was served"
    fake.touch("acme-robotics")

    served = get_json(url)["jobs"]
    assert removed["id"] not in {job["id"] for job in served}
    assert served[0]["title"] == "Changed after the board was served"


def get_if_none_match(url: str, etag: str) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:  # a 304 too: urllib has no cache to serve it from
        return error.code, error.headers, error.read()


def test_it_answers_not_modified_to_the_weak_etag_of_the_board_it_would_send(fake):
    url = f"{fake.base_url}/boards/acme-robotics/jobs?content=true"
    _, headers, _ = get(url)
    etag = headers["ETag"]
    assert etag.startswith('W/"') and etag.endswith('"')

    status, headers, body = get_if_none_match(url, etag)
    assert (status, headers["ETag"], body) == (304, etag, b"")
    assert "Content-Length" not in headers and "Content-Type" not in headers
    # Compared weakly, and within a list of several.
    assert get_if_none_match(url, f'"other", {etag.removeprefix("W/")}')[0] == 304

    fake.jobs("acme-robotics")[0]["title"] = "Changed"
    status, headers, body = get_if_none_match(url, etag)
    assert status == 200 and headers["ETag"] != etag and b"Changed" in body


def test_it_sends_no_etag_or_ignores_it_when_told(fake):
    url = f"{fake.base_url}/boards/acme-robotics/jobs?content=true"
    etag = get(url)[1]["ETag"]

    fake.answers_not_modified = False
    status, headers, _ = get_if_none_match(url, etag)
    assert (status, headers["ETag"]) == (200, etag)

    fake.sends_etags = False
    status, headers, _ = get_if_none_match(url, etag)
    assert status == 200 and "ETag" not in headers

    fake.reset()
    assert (fake.sends_etags, fake.answers_not_modified) == (True, True)


def test_a_recorded_real_board_is_served_verbatim(fake):
    samples = sorted(SHARED_SAMPLES.glob("airbnb__*.json"))
    if not samples:
        pytest.skip(f"no shared Greenhouse samples in {SHARED_SAMPLES}")
    payload = json.loads(samples[0].read_text(encoding="utf-8"))

    fake.load_payload("airbnb", payload, name="Airbnb")

    served = get_json(f"{fake.base_url}/boards/airbnb/jobs?content=true")
    assert served == payload  # meta.total says 240 for 20 posts, as recorded


# --- Faults --------------------------------------------------------------------------------


def test_a_status_fault_hits_only_its_board_for_the_given_number_of_requests(fake):
    fake.fail_next("acme-robotics", "status", times=2, status=502, headers={"Retry-After": "3"})
    url = f"{fake.base_url}/boards/acme-robotics/jobs"

    assert get(f"{fake.base_url}/boards/tiny-co/jobs")[0] == 200
    status, headers, body = get(url)
    assert status == 502 and headers["Retry-After"] == "3"
    assert json.loads(body) == {"status": 502, "error": "Bad Gateway"}
    assert get(url)[0] == 502
    assert get(url)[0] == 200


def test_a_rate_limit_fault_says_when_to_retry(fake):
    fake.fail_next(None, "rate_limit", retry_after="7")
    status, headers, _ = get(f"{fake.base_url}/boards/tiny-co/jobs")
    assert status == 429 and headers["Retry-After"] == "7"


@pytest.mark.parametrize("fault", ["malformed", "truncated", "html", "empty", "not_utf8"])
def test_broken_body_faults_answer_200_with_a_body_that_is_not_greenhouse_json(fake, fault):
    fake.fail_next("acme-robotics", fault)
    status, headers, body = get(f"{fake.base_url}/boards/acme-robotics/jobs?content=true")

    assert status == 200 and int(headers["Content-Length"]) == len(body)
    with pytest.raises(ValueError):  # JSONDecodeError and UnicodeDecodeError alike
        json.loads(body.decode("utf-8"))


def test_an_oversized_body_is_valid_json_of_the_requested_size(fake):
    fake.fail_next("tiny-co", "oversized", size=300_000)
    status, _, body = get(f"{fake.base_url}/boards/tiny-co/jobs?content=true")
    assert status == 200 and len(body) == 300_000
    assert len(json.loads(body)["jobs"]) == 1


def test_a_close_fault_drops_the_connection_without_an_answer(fake):
    fake.fail_next("tiny-co", "close")
    with pytest.raises((http.client.RemoteDisconnected, urllib.error.URLError)):
        get(f"{fake.base_url}/boards/tiny-co/jobs")


def test_a_slow_fault_delays_the_answer(fake):
    fake.fail_next("tiny-co", "slow", delay=1)
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        get(f"{fake.base_url}/boards/tiny-co/jobs", timeout=0.2)


def test_a_drip_headers_fault_sends_the_head_a_byte_at_a_time_then_the_answer(fake):
    fake.fail_next("tiny-co", "drip_headers", byte_delay=0.005)
    address = urlsplit(fake.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /v1/boards/tiny-co HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        first = sock.recv(1024)
        answer = first + b"".join(iter(lambda: sock.recv(65536), b""))
        elapsed = time.monotonic() - started

    head, _, body = answer.partition(b"\r\n\r\n")
    assert len(first) < 20 and head.startswith(b"HTTP/1.1 200 OK")
    assert elapsed >= 0.005 * len(head) / 2  # a byte every 5 ms, give or take the scheduler
    assert json.loads(body)["name"] == "Tiny Co."


def test_an_unknown_fault_is_refused(fake):
    with pytest.raises(ValueError):
        fake.fail_next("tiny-co", "gremlins")


# --- Request log and keep-alive ------------------------------------------------------------


def test_it_logs_and_counts_requests_per_board(fake):
    get(f"{fake.base_url}/boards/acme-robotics/jobs?content=true")
    get(f"{fake.base_url}/boards/acme-robotics")
    get(f"{fake.base_url}/boards/no-such-board/jobs")

    assert fake.request_count() == 3
    assert fake.request_count("acme-robotics") == 2
    assert fake.request_count("no-such-board") == 1
    first = fake.requests[0]
    assert (first.method, first.path) == ("GET", "/v1/boards/acme-robotics/jobs")
    assert first.query == {"content": "true"} and "User-Agent" in first.headers


def test_keep_alive_serves_several_requests_on_one_connection(fake):
    host, port = fake.base_url.removeprefix("http://").removesuffix("/v1").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    sockets = []
    try:
        for _ in range(3):
            connection.request("GET", "/v1/boards/acme-robotics/jobs?content=true")
            response = connection.getresponse()
            assert response.status == 200 and json.loads(response.read())["jobs"]
            assert not response.will_close
            sockets.append(connection.sock)
    finally:
        connection.close()
    assert sockets[0] is not None and all(sock is sockets[0] for sock in sockets)
