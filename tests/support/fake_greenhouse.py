"""A real local HTTP server that plays Greenhouse's Job Board API.

Used by the tests, the benchmarks and the local demo. It serves boards built from the fixtures in
`tests/fixtures/greenhouse/` (or any payload), behaves like Greenhouse where this project depends
on it (404 for an unknown board, `content`, `departments` and `offices` only with
`?content=true`, UTF-8 JSON, keep-alive, a weak ETag on every answer and "304 Not Modified" to
an If-None-Match that names it) and can misbehave on demand with `fail_next()`. A test that
needs a server without ETags sets `sends_etags = False`; one that ignores If-None-Match,
`answers_not_modified = False` (reset() turns both on again).

Encoded job lists are cached per board so that huge boards stay fast. The cache is dropped by
`add_board()`, `load_*()`, `jobs()` and `touch()`; a test that changes the list returned by
`jobs(token)` *after* the server has answered for that board must call `touch(token)`.

Run it for the local demo (token=fixture; defaults to acme-robotics, liberte-sante, tiny-co):

    python -m tests.support.fake_greenhouse --port 8765 --board acme-robotics=acme-robotics

With `--port 0` it serves on any free port; its first line says which.
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import io
import json
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "greenhouse"
DEMO_BOARDS = ("acme-robotics", "liberte-sante", "tiny-co")

JSON_TYPE = "application/json; charset=utf-8"
# Real Greenhouse only includes these keys of a post when asked for `?content=true`.
CONTENT_ONLY_KEYS = ("content", "departments", "offices")
FAULTS = frozenset(
    {
        "status", "rate_limit", "slow", "trickle", "drip_headers", "stall", "malformed",
        "truncated", "html", "empty", "not_utf8", "body", "oversized", "close", "redirect",
    }
)  # fmt: skip
MALFORMED_BODY = b'{"jobs": [{"id": 1,,}'
NOT_UTF8_BODY = b'{"jobs": [{"title": "\xff\xfe"}]}'
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>We'll be right back</title></head>\n"
    b"<body><h1>Something went wrong</h1><p>Please try again in a few minutes.</p></body></html>\n"
)


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    token: str | None = None


@dataclass
class _Board:
    name: str
    content: str
    jobs: list[dict[str, Any]]
    meta: dict[str, Any] | None = None  # served verbatim when set, else {"total": len(jobs)}
    extra: dict[str, Any] = field(default_factory=dict)  # other top-level keys, verbatim
    # The encoded job list and its ETag, by with_content.
    cache: dict[bool, tuple[bytes, str]] = field(default_factory=dict)


@dataclass
class _Fault:
    token: str | None
    kind: str
    remaining: int
    options: dict[str, Any]


@dataclass
class _Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@functools.cache
def _fixture_text(fixture_name: str) -> str:
    """A fixture file's text, read once: the tests' fake_greenhouse loads five for every test."""
    return (FIXTURES_DIR / f"{fixture_name}.json").read_text(encoding="utf-8")


def encode_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def error_response(status: int, message: str = "") -> _Response:
    """Greenhouse's JSON error shape: {"status": 404, "error": "Job board not found"}."""
    if not message:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = "Error"
    return _Response(status, encode_json({"status": status, "error": message}))


def etag_of(body: bytes) -> str:
    """A weak ETag of the body's digest, shaped as Rack's (Rails') are."""
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def not_modified_if_unchanged(response: _Response, if_none_match: str | None) -> _Response:
    """A 304 with the response's ETag when If-None-Match names it (compared weakly, as RFC
    9110 compares them for a GET) or is "*"; otherwise the response."""
    etag = response.headers.get("ETag")
    if response.status != 200 or not etag or not if_none_match:
        return response
    named = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    if "*" in named or etag.removeprefix("W/") in named:
        return _Response(304, b"", {"ETag": etag})
    return response


def find_job(jobs: list[Any], job_id: str) -> Any:
    return next((j for j in jobs if isinstance(j, dict) and str(j.get("id")) == job_id), None)


def without_content(job: Any) -> Any:
    """A post as listed without `?content=true`."""
    if not isinstance(job, dict):
        return job
    return {key: value for key, value in job.items() if key not in CONTENT_ONLY_KEYS}


def units_of(job: Any, key: str) -> list[dict[str, Any]]:
    """The well-formed departments or offices of a post (tests may break them on purpose)."""
    units = job.get(key) if isinstance(job, dict) else None
    if not isinstance(units, list):
        return []
    return [unit for unit in units if isinstance(unit, dict) and "id" in unit]


def departments_tree(jobs: list[Any]) -> list[dict[str, Any]]:
    """GET /departments: every department that some post lists, each with its posts."""
    departments: dict[Any, dict[str, Any]] = {}
    homeless: list[Any] = []
    for job in jobs:
        units = units_of(job, "departments")
        if not units:
            homeless.append(without_content(job))
        for unit in units:
            entry = departments.setdefault(
                unit["id"],
                {
                    "id": unit["id"],
                    "name": unit.get("name"),
                    "parent_id": unit.get("parent_id"),
                    "child_ids": unit.get("child_ids") or [],
                    "jobs": [],
                },
            )
            entry["jobs"].append(without_content(job))
    tree = list(departments.values())
    if homeless:
        tree.append(
            {"id": 0, "name": "No Department", "parent_id": None, "child_ids": [], "jobs": homeless}
        )
    return tree


def offices_tree(jobs: list[Any]) -> list[dict[str, Any]]:
    """GET /offices: every office that some post lists, with its departments and their posts."""
    offices: dict[Any, tuple[dict[str, Any], list[Any]]] = {}
    for job in jobs:
        for unit in units_of(job, "offices"):
            entry = {
                "id": unit["id"],
                "name": unit.get("name"),
                "location": unit.get("location"),
                "parent_id": unit.get("parent_id"),
                "child_ids": unit.get("child_ids") or [],
            }
            offices.setdefault(unit["id"], (entry, []))[1].append(job)
    return [{**entry, "departments": departments_tree(posts)} for entry, posts in offices.values()]


def body_bytes(body: bytes | str | dict[str, Any] | list[Any]) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return encode_json(body)


def padded(body: bytes, size: int) -> bytes:
    """A valid JSON object of at least `size` bytes: the real answer plus a padding key."""
    if not body.startswith(b"{") or not body.endswith(b"}"):
        body = b'{"jobs": [], "meta": {"total": 0}}'
    filler = max(0, size - len(body) - len(b', "padding": ""'))
    return body[:-1] + b', "padding": "' + b"x" * filler + b'"}'


class FakeGreenhouse:
    """Greenhouse's Job Board API on a local port, with boards and faults set by the caller."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._lock = threading.Lock()
        self._boards: dict[str, _Board] = {}
        self._faults: list[_Fault] = []
        self._requests: list[RequestRecord] = []
        self.sends_etags = True
        self.answers_not_modified = True
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- Lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeGreenhouse:
        """Bind and serve in a daemon thread."""
        if self._server is None:
            self._stopping.clear()
            self._server = _Server(self._address, self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="fake-greenhouse",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests held by slow, trickle, drip or stall faults are cut short."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeGreenhouse:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The API root, like https://boards-api.greenhouse.io/v1 (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("FakeGreenhouse is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    # --- Boards ----------------------------------------------------------------------------

    def add_board(
        self, token: str, *, name: str, jobs: list[dict[str, Any]], content: str = ""
    ) -> None:
        """Serve a board (replacing any board with that token). `jobs` is kept, not copied."""
        with self._lock:
            self._boards[token] = _Board(name=name, content=content, jobs=jobs)

    def load_fixture(self, token: str, fixture_name: str) -> None:
        """Serve FIXTURES_DIR/<fixture_name>.json under `token`, parsed afresh: its own copy."""
        fixture = json.loads(_fixture_text(fixture_name))
        self.add_board(
            token,
            name=fixture["board"]["name"],
            content=fixture["board"].get("content", ""),
            jobs=fixture["jobs"]["jobs"],
        )

    def load_payload(self, token: str, payload: dict[str, Any], *, name: str) -> None:
        """Serve a recorded jobs response verbatim (its `meta` too, even if it disagrees)."""
        payload = copy.deepcopy(payload)
        jobs = payload.pop("jobs")
        if not isinstance(jobs, list):
            raise ValueError("payload['jobs'] must be a list; use fail_next('body') for others")
        meta = payload.pop("meta", None)
        with self._lock:
            self._boards[token] = _Board(name=name, content="", jobs=jobs, meta=meta, extra=payload)

    def jobs(self, token: str) -> list[dict[str, Any]]:
        """The live list of posts; change it in place, then call touch(token)."""
        with self._lock:
            board = self._boards[token]
            board.cache.clear()
            return board.jobs

    def touch(self, token: str) -> None:
        """Forget the encoded answer for a board whose posts were changed in place."""
        with self._lock:
            self._boards[token].cache.clear()

    def remove_board(self, token: str) -> None:
        """Forget a board: it answers 404 from now on, like a deleted Greenhouse board."""
        with self._lock:
            self._boards.pop(token, None)

    def reset(self) -> None:
        """Remove all boards, faults and the request log; send ETags and honour them again."""
        with self._lock:
            self._boards.clear()
            self._faults.clear()
            self._requests.clear()
            self.sends_etags = self.answers_not_modified = True

    # --- Faults and the request log ------------------------------------------------------

    def fail_next(self, token: str | None, fault: str, *, times: int = 1, **options: Any) -> None:
        """Misbehave on the next `times` requests for `token` (None: for any request).

        Faults and their options: status (status=500, body, headers: a Transfer-Encoding
        among them sends the body as it is, with no Content-Length), rate_limit
        (retry_after="1"), slow (delay=1.0), trickle (chunk_delay=0.2, chunk_size=64),
        drip_headers (byte_delay=0.2: the status line and headers a byte at a time, then the
        body at once), stall (delay=30), malformed, truncated, html, empty, not_utf8, body
        (body, status=200), oversized (size=2_000_000), close (sent=b"": bytes written, as by
        something that does not speak HTTP, before the connection is closed), redirect
        (location, delay=0: a 302 sent after the delay). Queued faults are used in order.
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose one of {sorted(FAULTS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(_Fault(token, fault, times, options))

    def reset_faults(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received since the last reset(), oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def request_count(self, token: str | None = None) -> int:
        """How many requests were received, for one board or in all."""
        with self._lock:
            return sum(1 for r in self._requests if token is None or r.token == token)

    # --- Serving (called from the handler threads) ---------------------------------------

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def _take_fault(self, token: str | None) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.token is None or fault.token == token:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _answer(self, segments: list[str], query: dict[str, str]) -> _Response:
        """The normal answer to GET /<segments>?<query>."""
        if len(segments) < 3 or segments[:2] != ["v1", "boards"]:
            return error_response(404, "Not found")
        token, rest = segments[2], segments[3:]
        with self._lock:
            board = self._boards.get(token)
            if board is None:
                # Greenhouse's words, seen live: an unknown board's jobs are "Job not found".
                return error_response(404, "Job not found" if rest else "Job board not found")
            etag = None
            match rest:
                case []:
                    body = encode_json({"name": board.name, "content": board.content})
                case ["jobs"]:
                    with_content = query.get("content", "").lower() == "true"
                    body, etag = self._jobs_body(board, with_content)
                case ["jobs", job_id]:
                    job = find_job(board.jobs, job_id)
                    if job is None:
                        return error_response(404, "Job not found")
                    body = encode_json(job)
                case ["departments"]:
                    body = encode_json({"departments": departments_tree(board.jobs)})
                case ["offices"]:
                    body = encode_json({"offices": offices_tree(board.jobs)})
                case _:
                    return error_response(404, "Not found")
        if not self.sends_etags:
            return _Response(200, body)
        return _Response(200, body, {"ETag": etag or etag_of(body)})

    @staticmethod
    def _jobs_body(board: _Board, with_content: bool) -> tuple[bytes, str]:
        """The encoded job list and its ETag, computed once per change: boards can be large."""
        cached = board.cache.get(with_content)
        if cached is None:
            jobs = board.jobs if with_content else [without_content(job) for job in board.jobs]
            meta = board.meta if board.meta is not None else {"total": len(board.jobs)}
            body = encode_json({"jobs": jobs, "meta": meta, **board.extra})
            cached = board.cache[with_content] = (body, etag_of(body))
        return cached


def fault_response(fault: _Fault, normal: _Response) -> _Response:
    """The whole answer for faults that only change what is sent, not how."""
    options = fault.options
    match fault.kind:
        case "status":
            status = int(options.get("status", 500))
            response = error_response(status)
            if "body" in options:
                response.body = body_bytes(options["body"])
            response.headers.update(options.get("headers", {}))
            return response
        case "rate_limit":
            response = error_response(429)
            response.headers["Retry-After"] = str(options.get("retry_after", "1"))
            return response
        case "malformed":
            return _Response(200, MALFORMED_BODY)
        case "truncated":
            return _Response(200, normal.body[: len(normal.body) // 2])
        case "html":
            return _Response(200, HTML_ERROR_PAGE, {"Content-Type": "text/html; charset=utf-8"})
        case "empty":
            return _Response(200, b"")
        case "not_utf8":
            return _Response(200, NOT_UTF8_BODY)
        case "body":
            return _Response(int(options.get("status", 200)), body_bytes(options["body"]))
        case "oversized":
            return _Response(200, padded(normal.body, int(options.get("size", 2_000_000))))
        case "redirect":
            return _Response(302, b"", {"Location": options["location"]})
    raise ValueError(f"fault {fault.kind!r} is not a plain response")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a stalled request must not hold up stop()

    def __init__(self, address: tuple[str, int], fake: FakeGreenhouse) -> None:
        super().__init__(address, _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up mid-response (timeouts, size caps) are what the faults test.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's requests.Session expects
    # The head and the body go out in two writes: with Nagle's algorithm the body waited for
    # the client's delayed ACK of the head, about 40 ms a request on a kept-alive connection.
    disable_nagle_algorithm = True
    server: _Server

    def version_string(self) -> str:
        return "FakeGreenhouse/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests and the demo stay quiet

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server looks up do_<METHOD>; every method but GET is refused with a 405.
        if name.startswith("do_"):
            return self._refuse_method
        raise AttributeError(name)

    @property
    def fake(self) -> FakeGreenhouse:
        return self.server.fake

    def do_GET(self) -> None:
        segments, query, token = self._parse()
        self.fake._record(self._record(query, token))
        fault = self.fake._take_fault(token)
        if fault is not None and fault.kind == "close":
            self.close_connection = True
            with suppress(OSError):  # the client gave up
                self.wfile.write(fault.options.get("sent", b""))
            return
        waits = fault is not None and fault.kind in ("slow", "redirect")
        if waits and self._pause(fault, "delay", 1.0 if fault.kind == "slow" else 0.0):
            return
        normal = self.fake._answer(segments, query)
        # Faults that change how the answer is sent send a 304 as they would the board.
        answer = normal
        if self.fake.answers_not_modified:
            answer = not_modified_if_unchanged(normal, self.headers.get("If-None-Match"))
        if fault is None or fault.kind == "slow":
            self._send(answer)
        elif fault.kind == "trickle":
            self._trickle(answer, fault)
        elif fault.kind == "drip_headers":
            self._drip_headers(answer, fault)
        elif fault.kind == "stall":
            self._stall(answer, fault)
        else:
            self._send(fault_response(fault, normal))

    def _refuse_method(self) -> None:
        _, query, token = self._parse()
        self.fake._record(self._record(query, token))
        response = error_response(405)
        response.headers.update({"Allow": "GET", "Connection": "close"})
        self.close_connection = True  # the request body, if any, is left unread
        self._send(response)

    def _parse(self) -> tuple[list[str], dict[str, str], str | None]:
        url = urlsplit(self.path)
        segments = [unquote(part) for part in url.path.strip("/").split("/")]
        token = segments[2] if len(segments) >= 3 and segments[:2] == ["v1", "boards"] else None
        return segments, dict(parse_qsl(url.query, keep_blank_values=True)), token

    def _record(self, query: dict[str, str], token: str | None) -> RequestRecord:
        return RequestRecord(
            method=self.command,
            path=urlsplit(self.path).path,
            query=query,
            headers=dict(self.headers.items()),
            token=token,
        )

    def _send_head(self, response: _Response, length: int) -> None:
        self.send_response(response.status)
        # A 304 has no body, so no body's headers either; a chunked one has no length.
        body_headers = {} if response.status == 304 else {"Content-Type": JSON_TYPE}
        if response.status != 304 and "Transfer-Encoding" not in response.headers:
            body_headers["Content-Length"] = str(length)
        headers = {**body_headers, **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, response: _Response) -> None:
        try:
            self._send_head(response, len(response.body))
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except OSError:  # the client gave up (timeout, size cap); nothing to answer
            self.close_connection = True

    def _pause(self, fault: _Fault, option: str, default: float) -> bool:
        """Sleep for the fault's delay; True if the server is stopping meanwhile."""
        stopping = self.fake._stopping.wait(float(fault.options.get(option, default)))
        if stopping:
            self.close_connection = True
        return stopping

    def _trickle(self, response: _Response, fault: _Fault) -> None:
        size = int(fault.options.get("chunk_size", 64))
        try:
            self._send_head(response, len(response.body))
            for start in range(0, len(response.body), size):
                if start and self._pause(fault, "chunk_delay", 0.2):
                    return
                self.wfile.write(response.body[start : start + size])
        except OSError:
            self.close_connection = True

    def _drip_headers(self, response: _Response, fault: _Fault) -> None:
        wire, self.wfile = self.wfile, io.BytesIO()  # the head as _send_head writes it
        try:
            self._send_head(response, len(response.body))
            head = self.wfile.getvalue()
        finally:
            self.wfile = wire
        try:
            for index in range(len(head)):
                if index and self._pause(fault, "byte_delay", 0.2):
                    return
                self.wfile.write(head[index : index + 1])
            self.wfile.write(response.body)
        except OSError:
            self.close_connection = True

    def _stall(self, response: _Response, fault: _Fault) -> None:
        self.close_connection = True
        try:
            self._send_head(response, len(response.body))
            self.wfile.write(response.body[: len(response.body) // 2])
        except OSError:
            return
        self._pause(fault, "delay", 30.0)


def _parse_board(value: str) -> tuple[str, str]:
    token, _, fixture = value.partition("=")
    return token, fixture or token


def main(argv: list[str] | None = None) -> None:
    """Serve fixture boards until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(description="A fake Greenhouse Job Board API for local use.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0: any free port")
    parser.add_argument(
        "--board",
        action="append",
        type=_parse_board,
        metavar="TOKEN=FIXTURE",
        help=f"serve a fixture under a token (repeatable; default: {', '.join(DEMO_BOARDS)})",
    )
    args = parser.parse_args(argv)
    boards = args.board or [(name, name) for name in DEMO_BOARDS]

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with FakeGreenhouse(args.host, args.port) as fake:
        for token, fixture in boards:
            fake.load_fixture(token, fixture)
        # runlocal --demo reads the URL, and so the port, from this line.
        print(f"Fake Greenhouse serving at {fake.base_url}", flush=True)
        for token, _ in boards:
            print(f"  {fake.base_url}/boards/{token}/jobs?content=true", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
