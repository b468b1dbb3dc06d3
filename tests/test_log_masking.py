"""Passwords are masked in every line a handler of the site writes, whichever logger wrote it:
the web process's (settings.LOGGING's) and a worker's and beat's (Celery's, made the site's by
orgsite.celery), with LOG_FORMAT plain and json. The tests write through those handlers, to a
stream of their own."""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from celery.app.log import TaskFormatter
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import LazySettings

from jobs import greenhouse
from orgsite.celery import app as celery_app
from orgsite.celery import log_handlers_replace, task_log_handlers_replace
from orgsite.logging import JsonFormatter
from tests.support.settings_module import settings_under

PASSWORD = "s3cret"
PROXY = f"http://sync:{PASSWORD}@proxy.example:3128"
PROXY_MASKED = "http://sync:***@proxy.example:3128"


@contextmanager
def web_handlers(settings, log_format: str) -> Iterator[tuple[list[logging.Handler], io.StringIO]]:
    """The web process's handler, as this process's settings set it up, writing to a stream
    of the test's for a while. LOG_FORMAT=json gives it the JSON formatter, and nothing else."""
    json_logging = settings_under(LOG_FORMAT="json")["LOGGING"]
    assert json_logging["handlers"]["console"] == {
        **settings.LOGGING["handlers"]["console"],
        "formatter": "json",
    }
    handler = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    stream, formatter = io.StringIO(), handler.formatter
    # Not setStream(), which flushes the stream it replaces: in one run of the suite in two
    # processes that stream, this process's standard error as the handler was set up, was found
    # closed, and every test here failed on the flush, before writing anything.
    previous, handler.stream = handler.stream, stream
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    try:
        yield [handler], stream
    finally:
        handler.stream = previous
        handler.setFormatter(formatter)


@contextmanager
def worker_handlers(
    settings, log_format: str, *, task_logger: bool
) -> Iterator[tuple[list[logging.Handler], io.StringIO]]:
    """The handlers a worker or beat sets up (Celery's, to standard error here a stream of the
    test's), as orgsite.celery makes them the site's: the root logger's, or the task logger's."""
    settings.LOG_FORMAT = log_format
    stream, logger = io.StringIO(), logging.Logger("a worker's")
    if task_logger:
        celery_app.log.setup_handlers(
            logger, stream, celery_app.log.task_format, False, formatter=TaskFormatter
        )
        task_log_handlers_replace(logger)
    else:
        celery_app.log.setup_handlers(logger, stream, celery_app.log.format, False)
        log_handlers_replace(logger)
    yield logger.handlers, stream


@contextmanager
def site_handlers(settings, process: str, log_format: str):
    if process == "web":
        with web_handlers(settings, log_format) as written:
            yield written
    else:
        with worker_handlers(settings, log_format, task_logger=process == "task logger") as written:
            yield written


def written_by(handlers: list[logging.Handler], name: str, *args, **kwargs) -> None:
    record = logging.getLogger(name).makeRecord(name, logging.WARNING, "x.py", 1, *args, **kwargs)
    for handler in handlers:
        handler.handle(record)


SITE_HANDLERS = pytest.mark.parametrize(
    ("process", "log_format"),
    [
        (process, log_format)
        for process in ("web", "worker or beat", "task logger")
        for log_format in ("plain", "json")
    ],
)


@SITE_HANDLERS
def test_a_line_of_any_logger_is_written_with_its_password_masked(settings, process, log_format):
    """Only jobs.greenhouse's and urllib3's lines were masked, by their loggers' filters: in a
    worker, what a task prints, a thread's traceback and logging's report of a line it could
    not write go to Celery's "celery.redirected" logger, whose lines were written as they were."""
    with site_handlers(settings, process, log_format) as (handlers, stream):
        written_by(handlers, "celery.redirected", f"Arguments: ('{PROXY}',)", None, None)
        written_by(handlers, "jobs.sync", "sync crashed error=%r", (ValueError(PROXY),), None)

    assert PASSWORD not in stream.getvalue()
    assert stream.getvalue().count(PROXY_MASKED) == 2


@SITE_HANDLERS
def test_a_query_password_named_with_escapes_is_masked_to_the_quote_that_ends_its_url(
    settings, process, log_format
):
    """A query's name with a %XX ("?pass%77ord=", which the clients read as "?password="), or
    in other capitals ("?PassWord="), was written as it was, with its password; one named
    plainly was masked with the quote and bracket after it."""
    urls = [
        "redis://HOST:6379/1?pass%77ord=s3cret",
        "redis://HOST:6379/1?password=s3cret",
        "redis://HOST:6379/1?PassWord=s3cret",
    ]
    with site_handlers(settings, process, log_format) as (handlers, stream):
        written_by(handlers, "celery.redirected", "Arguments: %r", ((urls,),), None)

    assert "s3cret" not in stream.getvalue()
    masked = (
        "['redis://HOST:6379/1?pass%77ord=***', 'redis://HOST:6379/1?password=***', "
        "'redis://HOST:6379/1?PassWord=***']"
    )
    assert f"Arguments: ({masked},)" in stream.getvalue()


# A password with a "/" left as it is: urllib3's errors name its head as a port and its rest as
# the path asked, which masking a URL's password does not find.
API_BASE = "https://sync:12/secret@egress.example.com/v1"
POOL_ERROR = (
    "HTTPSConnectionPool(host='sync', port=12): Max retries exceeded with url: "
    "/secret@egress.example.com/v1/boards/acme/jobs?content=true"
)


def time_limit_come_while_an_error_was_handled() -> tuple:
    """The exception of a soft time limit raised in an `except` block of the Greenhouse
    client, with the error it handled chained to it."""
    try:
        try:
            raise requests.ConnectionError(POOL_ERROR)
        except requests.ConnectionError:
            raise SoftTimeLimitExceeded()  # noqa: B904  (as the worker's signal raises it)
    except SoftTimeLimitExceeded:
        return sys.exc_info()


@SITE_HANDLERS
def test_a_traceback_is_written_with_the_password_masked_in_each_exception_chained(
    settings, no_proxy_settings, process, log_format
):
    """jobs.sync's line "sync stopped at its time limit", with its traceback, named the error
    the client was handling when the limit came: the filter masked messages alone."""
    settings.GREENHOUSE_API_BASE = API_BASE
    exc_info = time_limit_come_while_an_error_was_handled()

    with site_handlers(settings, process, log_format) as (handlers, stream):
        written_by(handlers, "jobs.sync", "sync stopped at its time limit org=acme", (), exc_info)

    written = stream.getvalue()
    assert "secret" not in written and "port=12" not in written
    assert written.count("port=***): Max retries exceeded with url: /***@egress.example.com") == 1
    assert "During handling of the above exception" in written


@SITE_HANDLERS
def test_a_stack_and_the_text_of_extra_fields_are_written_with_their_password_masked(
    settings, process, log_format
):
    """JSON writes a line's `extra=` fields: Celery's line of a task that failed holds the
    task's traceback and error again, in `data`."""
    stack = f'Stack (most recent call last):\n  File "x.py", line 1, in <module>\n    {PROXY}'
    data = {"exc": f"ValueError('{PROXY}')", "traceback": f"ValueError: {PROXY}", "n": 1}

    with site_handlers(settings, process, log_format) as (handlers, stream):
        written_by(
            handlers, "celery.app.trace", "Task failed", (), None,
            extra={"data": data, "urls": (PROXY, 1)}, sinfo=stack,
        )  # fmt: skip

    assert PASSWORD not in stream.getvalue()
    assert stream.getvalue().count(PROXY_MASKED) == (1 if log_format == "plain" else 4)
    assert PASSWORD in data["exc"]  # masked in a copy: the caller's is left as it is


class Proxied:
    """A value of `extra=` that JSON writes as its str() (JsonFormatter's default=str)."""

    def __str__(self) -> str:
        return f"Proxied({PROXY})"


@SITE_HANDLERS
def test_fields_that_json_writes_as_their_text_are_written_with_their_password_masked(
    settings, process, log_format
):
    """Only str fields were masked: an exception, bytes, a set or any object given as a field
    was written by JSON as its str(), the password with it, as was a dict's key. A field whose
    text names no password is left as it is, for any other handler or filter."""
    unmasked = object()
    extra = {
        "error": ValueError(PROXY),
        "raw": PROXY.encode(),
        "urls": {PROXY},
        "proxied": Proxied(),
        "by_url": {PROXY: 1},
        "unmasked": unmasked,
    }
    record = logging.getLogger("jobs.sync").makeRecord(
        "jobs.sync", logging.WARNING, "x.py", 1, "sync crashed", (), None, extra=extra
    )

    with site_handlers(settings, process, log_format) as (handlers, stream):
        for handler in handlers:
            handler.handle(record)

    assert PASSWORD not in stream.getvalue()
    assert stream.getvalue().count(PROXY_MASKED) == (0 if log_format == "plain" else 5)
    assert record.unmasked is unmasked and record.error is not extra["error"]


def test_the_proxy_whose_password_pieces_are_masked_is_found_once_for_all_lines(
    settings, monkeypatch, no_proxy_settings
):
    """requests reads every variable of the environment to find the proxy, and masking had it do
    so for each text of each line, of every logger: 0.3 ms each. It is found again once the
    environment names another."""
    found = []
    environment_proxy = greenhouse.environment_proxy
    monkeypatch.setattr(
        greenhouse, "environment_proxy", lambda url: found.append(url) or environment_proxy(url)
    )
    settings.GREENHOUSE_API_BASE = "https://once.example.com/v1"  # found by no other test

    with web_handlers(settings, "plain") as (handlers, stream):
        for port in ("12", "34"):
            monkeypatch.setenv("HTTPS_PROXY", f"http://sync:{port}/secret@proxy.example:3128")
            for _ in range(3):
                error = f"ProxyError(HTTPConnectionPool(host='sync', port={port}))"
                written_by(handlers, "jobs.sync", "error=%s", (error,), None, extra={"e": error})

    assert found == ["https://once.example.com/v1"] * 2
    assert stream.getvalue().count("port=***") == 6
    assert "port=12" not in stream.getvalue() and "port=34" not in stream.getvalue()


def test_the_environment_is_read_again_for_the_proxy_only_once_it_changed(
    settings, monkeypatch, no_proxy_settings
):
    """The mask reads the environment for each line of every logger (each gunicorn access line
    too): reading the names of its variables took 15 µs a line with 40 of them, 35 µs with 140.
    They are read again only once it changed, in any way: a proxy set as another variable is
    removed, leaving as many variables as before, is found too."""
    monkeypatch.delenv("REQUEST_METHOD", raising=False)
    monkeypatch.setenv("ORGSITE_TEST_VARIABLE", "1")
    settings.GREENHOUSE_API_BASE = "https://once.example.org/v1"
    error = "ProxyError(HTTPConnectionPool(host='sync', port=91))"
    names_read = []
    names = type(os.environ).__iter__

    with web_handlers(settings, "plain") as (handlers, stream):
        written_by(handlers, "jobs.sync", "error=%s", (error,), None)
        with monkeypatch.context() as counting:
            counting.setattr(
                type(os.environ), "__iter__", lambda environ: names_read.append(1) or names(environ)
            )
            for _ in range(3):
                written_by(handlers, "jobs.sync", "error=%s", (error,), None)
        monkeypatch.delenv("ORGSITE_TEST_VARIABLE")
        monkeypatch.setenv("Https_Proxy", "http://sync:91/secret@proxy.example:3128")
        written_by(handlers, "jobs.sync", "error=%s", (error,), None)

    assert names_read == []
    assert stream.getvalue().count("port=91") == 4 and stream.getvalue().count("port=***") == 1


class NotesUnreadable(Exception):
    """An exception whose traceback logging cannot format: traceback reads __notes__."""

    @property
    def __notes__(self) -> list[str]:
        raise RuntimeError("no notes")


@SITE_HANDLERS
def test_a_line_whose_traceback_cannot_be_formatted_is_written_without_its_text(
    settings, process, log_format
):
    """Its traceback, stack and fields go with it, none of them masked: the line says where it
    was written instead (What to monitor), rather than failing in the handler."""
    try:
        raise NotesUnreadable(PROXY)
    except NotesUnreadable:
        exc_info = sys.exc_info()
    stack = f"Stack (most recent call last):\n  {PROXY}"

    with site_handlers(settings, process, log_format) as (handlers, stream):
        written_by(
            handlers, "jobs.sync", "sync crashed", (), exc_info,
            extra={"url": PROXY}, sinfo=stack,
        )  # fmt: skip

    written = stream.getvalue()
    assert "log line could not be written logger=jobs.sync at=x.py:1 error=RuntimeError" in written
    assert "proxy.example" not in written and "Traceback" not in written
    assert "Stack" not in written and '"url"' not in written


@pytest.mark.parametrize(
    ("api_base", "proxy_variable", "stops_it", "stopped"),
    [
        ("https://once.example.org/v1", "HTTPS_PROXY", "NO_PROXY", "once.example.org"),
        # Read in any case, as urllib's getproxies reads every "…_proxy".
        ("https://once.example.org/v1", "HTTPS_PROXY", "No_Proxy", "once.example.org"),
        # CGI's: urllib drops HTTP_PROXY, which a request's "Proxy:" header may set.
        ("http://once.example.org/v1", "HTTP_PROXY", "REQUEST_METHOD", "GET"),
    ],
)
def test_the_proxy_is_found_again_once_a_variable_that_stopped_it_is_gone(
    settings, monkeypatch, no_proxy_settings, api_base, proxy_variable, stops_it, stopped
):
    """The proxy found for GREENHOUSE_API_BASE is kept for the values of every variable that
    decides it, those that stop requests taking it too: its password's pieces are masked once
    it is taken."""
    monkeypatch.delenv("REQUEST_METHOD", raising=False)
    settings.GREENHOUSE_API_BASE = api_base
    monkeypatch.setenv(proxy_variable, "http://sync:56/secret@proxy.example:3128")
    monkeypatch.setenv(stops_it, stopped)
    error = "ProxyError(HTTPConnectionPool(host='sync', port=56))"

    with web_handlers(settings, "plain") as (handlers, stream):
        written_by(handlers, "jobs.sync", "error=%s", (error,), None)
        monkeypatch.delenv(stops_it)
        written_by(handlers, "jobs.sync", "error=%s", (error,), None)

    assert stream.getvalue().count("port=56") == 1 and stream.getvalue().count("port=***") == 1


def test_a_proxy_variable_spelt_in_mixed_case_is_found_once_it_is_set(
    settings, monkeypatch, no_proxy_settings
):
    """requests takes "Https_Proxy" as it takes HTTPS_PROXY (urllib's getproxies reads every
    "…_proxy" in any case), but the proxy found was kept for the values of HTTPS_PROXY and
    https_proxy alone: once it was set, the pieces of its password were written as they were."""
    monkeypatch.delenv("REQUEST_METHOD", raising=False)
    settings.GREENHOUSE_API_BASE = "https://once.example.org/v1"
    error = "ProxyError(HTTPConnectionPool(host='sync', port=78))"

    with web_handlers(settings, "plain") as (handlers, stream):
        written_by(handlers, "jobs.sync", "error=%s", (error,), None)
        monkeypatch.setenv("Https_Proxy", "http://sync:78/secret@proxy.example:3128")
        written_by(handlers, "jobs.sync", "error=%s", (error,), None)

    assert stream.getvalue().count("port=78") == 1 and stream.getvalue().count("port=***") == 1


@pytest.mark.parametrize(
    "api_base",
    [
        "https://sync:pa@ss3cret/word@egress.example.com/v1",
        "https://sync:pa@ss3cret:12/word@egress.example.com/v1",
        # urllib3 names a host lower case.
        "https://sync:pa@SS3cret/word@egress.example.com/v1",
    ],
)
def test_urllib3s_line_naming_a_host_read_from_a_password_alone_is_masked(
    settings, no_proxy_settings, api_base
):
    """A password with an "@" and then a "/" left as they are names a host ("ss3cret"), which
    urllib3 names without its port as a connection to it is found dropped (DEBUG)."""
    settings.GREENHOUSE_API_BASE = api_base

    with web_handlers(settings, "plain") as (handlers, stream):
        for host in ("ss3cret", "ss3cret.example.com"):
            written_by(
                handlers,
                "urllib3.connectionpool",
                "Resetting dropped connection: %s",
                (host,),
                None,
            )

    assert stream.getvalue().count("Resetting dropped connection: ***\n") == 1
    assert "Resetting dropped connection: ss3cret.example.com\n" in stream.getvalue()


@SITE_HANDLERS
def test_a_greenhouse_line_masked_by_its_logger_and_its_handler_reads_as_masked_once(
    settings, no_proxy_settings, process, log_format
):
    """jobs.greenhouse's filter masks its lines, traceback included, before the site's handler
    masks them again: the second pass finds nothing left to mask ("port=****" would be a
    piece masked twice), and the traceback is the one made for the line, written once."""
    settings.GREENHOUSE_API_BASE = API_BASE
    logger = logging.getLogger("jobs.greenhouse")
    record = logger.makeRecord(
        logger.name, logging.WARNING, "x.py", 1, "greenhouse connection failed error=%s",
        (POOL_ERROR,), time_limit_come_while_an_error_was_handled(),
    )  # fmt: skip
    assert logger.filter(record)
    exc_text = record.exc_text

    with site_handlers(settings, process, log_format) as (handlers, stream):
        for handler in handlers:
            handler.handle(record)

    written = stream.getvalue()
    assert "secret" not in written and "****" not in written
    assert written.count("port=***): Max retries exceeded with url: /***@egress.example.com") == 2
    assert record.exc_text == exc_text and written.count("Traceback") == 2


def test_a_line_masked_before_the_settings_load_leaves_them_unloaded():
    """gunicorn's master masks its own lines (orgsite.gunicorn_config) and never loads the site:
    its first line loaded the settings there, which each worker then inherited as the master had
    read them, a reload's (HUP) new --env values left out."""
    record = logging.makeLogRecord({"msg": f"Arguments: ('{PROXY}',)"})
    # Not monkeypatch: its isinstance() check of the value would load them.
    loaded, greenhouse.settings = greenhouse.settings, LazySettings()
    try:
        assert greenhouse.PASSWORDS_MASKED.filter(record)
        assert not greenhouse.settings.configured
    finally:
        greenhouse.settings = loaded

    assert record.getMessage() == f"Arguments: ('{PROXY_MASKED}',)"
