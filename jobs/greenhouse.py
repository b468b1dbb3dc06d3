"""Greenhouse Job Board API client.

Talks HTTP and knows nothing of the ORM: it returns typed data or raises a typed error whose
message is written for the org admin who has to fix the problem.

Departments and offices are read from the jobs payload (`content=true` includes them with their
parent ids), so one sync is one HTTP request; Greenhouse's /departments and /offices endpoints
would only add the parents that have no open job, which visitors cannot filter by anyway.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import http.client
import io
import ipaddress
import json
import logging
import math
import os
import re
import reprlib
import socket
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from http import HTTPStatus
from itertools import islice
from typing import Any, NamedTuple, Self
from urllib.parse import SplitResult, parse_qs, quote, unquote, urlsplit

import idna
import requests
import urllib3
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from requests.adapters import HTTPAdapter
from requests.utils import requote_uri
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError
from urllib3.poolmanager import PoolManager
from urllib3.response import GzipDecoderState
from urllib3.util import parse_url
from urllib3.util.retry import Retry

from jobs.text import (
    address_head,
    address_line,
    backslashes_as_browsers_read,
    characters_start,
    clean_text,
    field_head,
    one_line,
    shows_anything,
    wait_in_words,
)
from orgsite.env import passwords_masked, userinfo_passwords_masked
from orgsite.logging import extra_fields

logger = logging.getLogger(__name__)


# A line's exception, with those chained to it, as the formatter of each of the site's handlers
# writes it: logging's text, which Celery's formatters and orgsite.logging's JSON ones keep.
# Made and masked before the line is formatted, it is the text each writes (record.exc_text).
_EXCEPTIONS = logging.Formatter()


def _log_passwords_masked(record: logging.LogRecord) -> bool:
    """This module's lines name the addresses asked, which begin with GREENHOUSE_API_BASE, and
    errors that may quote them: a proxy's password in it is masked in each, whoever wrote it.
    So are those of any line a handler of the site writes (PasswordsMaskedFilter). Masked in
    all the line's text: its message, its traceback, with the exceptions chained to it (a soft
    time limit come while the client handled an error names that error), its stack, and the
    text of its `extra=` fields, which JSON writes (Celery's line of a task that failed holds
    the task's traceback again, as `data`)."""
    try:
        message = record.getMessage()
    except SoftTimeLimitExceeded:
        raise  # the task's time limit, come meanwhile: the sync stops on it, as anywhere
    except Exception as exc:
        # A line that cannot be written (arguments that do not fit it, a name missing from its
        # mapping, an argument whose str() fails) is logged naming where it was written, not left
        # to logging's handler, which printed its arguments to standard error as they were,
        # a password with them; an exception here would end the call that logged it.
        message = _log_line_unwritten(record, exc)
    try:
        urls = _urls_with_password_pieces()
        record.msg, record.args = _texts_masked(message, urls), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _EXCEPTIONS.formatException(record.exc_info)
        texts = (record.exc_text, record.stack_info)
        record.exc_text, record.stack_info = _texts_masked(texts, urls)
        for name, value in extra_fields(record).items():
            masked = _texts_masked(value, urls)
            if masked is not value and masked != value:  # a copy only where text was masked
                setattr(record, name, masked)
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:  # what could not be masked is not written
        record.msg, record.args = _log_line_unwritten(record, exc), None
        record.exc_info = record.exc_text = record.stack_info = None
        for name in extra_fields(record):
            delattr(record, name)
    return True


def _log_line_unwritten(record: logging.LogRecord, error: Exception) -> str:
    return (
        f"log line could not be written logger={record.name} "
        f"at={record.pathname}:{record.lineno} error={type(error).__name__}"
    )


def _texts_masked(value: Any, urls: tuple[str, ...]) -> Any:
    """`value` with passwords masked in its text, and the pieces of those of `urls`
    (_urls_with_password_pieces): a str's, or at any depth that of the str's in a dict (its
    keys too), list or tuple, as JSON writes them. Any other value that JSON writes as its
    str() (an exception, bytes, a set, a model: JsonFormatter's default=str) becomes that text
    masked where it names a password, and is left as it is where not; a number as it is."""
    if isinstance(value, dict):
        return {_texts_masked(key, urls): _texts_masked(item, urls) for key, item in value.items()}
    if isinstance(value, list):
        return [_texts_masked(item, urls) for item in value]
    if isinstance(value, tuple):
        return tuple(_texts_masked(item, urls) for item in value)
    if value is None or isinstance(value, int | float):
        return value
    if not isinstance(value, str):
        try:
            text = str(value)
        except SoftTimeLimitExceeded:
            raise
        except Exception:  # JSON's default=str fails on it as it did, the plain line is written
            return value
        masked = _texts_masked(text, urls)
        return value if masked == text else masked
    if not value:
        return value
    value = passwords_masked(value)
    try:
        # Apart, so that pieces it cannot find leave the text masked as above, not whole.
        return _password_pieces_masked(value, urls)
    except SoftTimeLimitExceeded:
        raise
    except Exception:  # left masked as above
        return value


def _password_pieces_masked(text: str, urls: tuple[str, ...]) -> str:
    """`text` without the pieces of the passwords of `urls` (_urls_with_password_pieces)."""
    for url in urls:
        text = _pieces_masked(text, url)
    return text


def _urls_with_password_pieces() -> tuple[str, ...]:
    """GREENHOUSE_API_BASE and the proxy requests takes from the environment for it, those of
    them whose password errors name apart, in pieces, when a "/", "?" or "#" in it was left as
    it is: urllib3 names its head as the host's ("host='sync', port=12", "'sync:s3'"), and the
    rest of a base's as the path asked ("url: /secret@egress…/v1/…"), where passwords_masked
    finds no URL. Each is masked wherever passwords_masked reads a password, as in the URL,
    even one orgsite.W008 takes for a host and a port with an "@" in the path after them
    ("https://john.doe:12/secret@egress.example.com/v1"). None where they cannot be found: a
    line's text is then masked as a URL's is."""
    # Not loaded for a line: gunicorn's master masks its own lines and never loads the site,
    # whose settings its workers would inherit, then, as the master read them.
    if not settings.configured:
        return ()
    try:
        return _urls_found(settings.GREENHOUSE_API_BASE, *_proxy_environment())
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        return ()


# The environment _proxy_environment last read, as os.environ holds it (its own dict, which
# every change made through os.environ updates), and what it read there.
_proxy_environment_read: tuple[dict[Any, Any], tuple[tuple[tuple[str, str], ...], bool]] = (
    {},
    ((), False),
)


def _proxy_environment() -> tuple[tuple[tuple[str, str], ...], bool]:
    """The environment variables requests reads the proxy for GREENHOUSE_API_BASE from, with
    their values (urllib's getproxies reads each "…_proxy" spelt in any case, "Https_Proxy",
    "No_Proxy"), and whether REQUEST_METHOD is set (CGI's, under which urllib drops HTTP_PROXY)."""
    global _proxy_environment_read
    # Read again only once the environment changed: the mask reads it for each line of every
    # logger (gunicorn's access lines too), and reading its names took 15 µs with 40 variables
    # and 35 µs with 140, where comparing its dict with the one read takes under 1 µs and 3 µs.
    environment = os.environ._data  # private, but the one a public read decodes name by name
    read, found = _proxy_environment_read
    if environment != read:
        read = environment.copy()  # first: a change made meanwhile is read at the next line
        proxies = tuple(
            (name, os.environ[name]) for name in os.environ if name[-6:].lower() == "_proxy"
        )
        found = (proxies, "REQUEST_METHOD" in os.environ)
        _proxy_environment_read = (read, found)
    return found


@functools.lru_cache(maxsize=16)
def _urls_found(
    base_url: str, proxy_variables: tuple[tuple[str, str], ...], cgi: bool
) -> tuple[str, ...]:
    """_urls_with_password_pieces, found once for what decides them (`proxy_variables`, and
    `cgi`, REQUEST_METHOD being set, under which urllib drops HTTP_PROXY; none of the site's
    code changes them): requests reads every variable of the environment to find the proxy,
    which took 0.3 ms, more than all the rest of the masking, for each line of every logger."""
    _, proxy = environment_proxy(base_url)
    return tuple(url for url in (base_url, proxy) if password_ends_host(url))


# Where a password's piece is masked: where urllib3 names it ("'sync:12'", "url: /secret@…"),
# not inside a word of the line, where a piece of a character or two ("12", "a:1") is found
# in many ("async:123", "data:1").
_NOT_IN_A_WORD = r"(?<![\w.-])"


def _pieces_masked(text: str, url: str) -> str:
    user, _, password = url.partition("://")[2].rpartition("@")[0].partition(":")
    ends_host = re.search(r"[/?#]", password)
    if ends_host is None:  # its first ":" after where the host ends: no password there
        return text
    head, separator, rest = password[: ends_host.start()], ends_host[0], password[ends_host.end() :]
    if rest:
        # As written, and as urllib3 names the path asked, percent-encoded ("/s%C3%A9cret@…").
        rests = "|".join(re.escape(piece) for piece in {rest, requote_uri(rest)})
        text = re.sub(rf"{_NOT_IN_A_WORD}({re.escape(separator)})(?:{rests})@", r"\1***@", text)
    # The host and port read: the user's name and the head, or what follows an "@" left in the
    # head ("p@ss:12" asks host "ss" at 12), which urllib3 names quoted, the host lower case.
    _, at, host_and_port = head.rpartition("@")
    if at:
        host, _, port = host_and_port.partition(":")
        pieces = "|".join(re.escape(piece) for piece in (host_and_port, host) if piece)
        text = re.sub(rf"(?i)(?<=')(?:{pieces})(?=\\?')", "***", text) if pieces else text
        if host:
            # Unquoted too, before its port, as its DEBUG line of a new connection names them
            # ("Starting new HTTPS connection (1): s3cret:12", the default port ":443").
            ported = re.escape(host_and_port) if port else rf"{re.escape(host)}(?=:\d)"
            text = re.sub(rf"(?i){_NOT_IN_A_WORD}{ported}(?![\w.-])", "***", text)
            # Alone, where urllib3 names a pool's host: its DEBUG line of a connection to it
            # found dropped ("Resetting dropped connection: ss"), and its WARNING of a full pool.
            alone = rf"(?i)(?<=connection: ){re.escape(host)}(?![\w-]|\.\w)"
            text = re.sub(alone, "***", text)
    else:
        port = head
        if head:
            # The user's name read as the host, which urllib3 names lower case.
            text = re.sub(
                rf"(?i){_NOT_IN_A_WORD}({re.escape(user)}:){re.escape(head)}(?!\w)", r"\1***", text
            )
    if port:
        text = re.sub(rf"(?<=, port=){re.escape(port)}\b", "***", text)
    return text


class PasswordsMaskedFilter(logging.Filter):
    """Masks passwords, as in this module's lines, in every line a handler of the site writes,
    whichever logger wrote it (settings.LOGGING's handler, and a worker's and beat's, which
    orgsite.celery sets up): the filters of this module's and urllib3's loggers mask only the
    lines those loggers write, and any other line may quote a URL too, Celery's
    "celery.redirected" above all, which writes what a task prints, thread tracebacks and
    logging's own reports of a line it could not write to a worker's standard error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _log_passwords_masked(record)


# One for every handler, so that a handler given it twice has it once.
PASSWORDS_MASKED = PasswordsMaskedFilter()

logger.addFilter(_log_passwords_masked)
# urllib3's own lines of a retry name the host, port and path asked (its retry's, at DEBUG), as
# does its WARNING of an answer whose headers it cannot parse ("Failed to parse headers (url=…)").
logging.getLogger("urllib3.connectionpool").addFilter(_log_passwords_masked)
logging.getLogger("urllib3.util.retry").addFilter(_log_passwords_masked)
logging.getLogger("urllib3.connection").addFilter(_log_passwords_masked)

# Refusals of a request made without credentials. Greenhouse's board API needs none for any
# GET (its Job Board API docs, "Authentication"), so they most likely come from a proxy or
# firewall between this site and Greenhouse.
REFUSED_STATUSES = (401, 403)
# How the messages of passing failures end (or as _retried_after() words it, when Greenhouse
# said how long to wait); the status pages say otherwise while syncing is paused.
WILL_TRY_AGAIN = "the sync will try again later."
WILL_TRY_AGAIN_RE = re.compile(r"the sync will try again[^.]*\.")
# How the message of a passing failure that the address, or a proxy on the way, most likely
# caused ends: once is Greenhouse's glitch, a failure that goes on is for whoever runs the site.
IF_THIS_GOES_ON = (
    "If this goes on, ask whoever runs this site to check the address it uses for Greenhouse "
    f"and any proxy on the way; {WILL_TRY_AGAIN}"
)
# What whoever runs the site is to check when the address, or a proxy on the way, is to blame.
CHECK_THE_ADDRESS = (
    "check the address this site uses for Greenhouse (GREENHOUSE_API_BASE) and any proxy on the way"
)
# The path under which Greenhouse's Job Board API has every address (its docs: GET
# https://boards-api.greenhouse.io/v1/boards/{board_token}/jobs).
API_VERSION_PATH = "/v1"
# Why a 401 or 403 of a board's address is most likely not Greenhouse's own.
REFUSED_ON_THE_WAY = (
    "Greenhouse's job boards need no login or API key, so the refusal most likely came from a "
    "proxy or firewall between this site and Greenhouse."
)
MAX_BOARD_TOKEN_LENGTH = 100
BOARD_TOKEN_CHARACTERS_RE = re.compile(r"[A-Za-z0-9_-]+")
BOARD_TOKEN_RE = re.compile(rf"^[A-Za-z0-9_-]{{1,{MAX_BOARD_TOKEN_LENGTH}}}$")
# Where boards and their API live, in the US and EU regions.
BOARD_HOST_RE = re.compile(r"(job-boards|boards|boards-api|api)(\.eu)?\.greenhouse\.io")
EU_HOST_SUFFIX = ".eu.greenhouse.io"
EARLIEST_DATE = datetime(1, 1, 2, tzinfo=UTC)
LATEST_DATE = datetime(9999, 12, 30, tzinfo=UTC)
# A post published or updated "next year" would head every listing of the site (newest first)
# until then, and date feeds and sitemaps ahead. Clocks may disagree by a little.
CLOCK_MARGIN = timedelta(days=1)
BARE_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Longer than any date read: ISO 8601 with microseconds and an offset is 32 characters
# ("2026-10-31T23:59:59.123456+05:30"). parse_datetime wrote a longer one out whole, a hostile
# one of megabytes, in an error it then caught (fromisoformat's quotes the value).
MAX_DATE_CHARS = 64
# How much of a date that cannot be read its log line shows.
MAX_DATE_SHOWN = 100
# Ids are stored as 64-bit integers.
MAX_ID = 2**63 - 1
MAX_ID_DIGITS = len(str(MAX_ID))
# JSON has one number type: 5012346008.0 is the id 5012346008, read as such (a job closed for
# its spelling would lose its page). Above 2**53 a float no longer names one integer.
MAX_EXACT_FLOAT_INT = 2**53
# Twenty times the longest descriptions seen on real boards. nh3's time grows with the square of
# the nesting depth: 1 MB of nested <div>s took 20 s, the head of it kept here about 1 s.
MAX_CONTENT_CHARS = 300_000
# Ten times the tags of the longest real description. Raw, unescaped markup packs more tags
# under the character cap: 300,000 characters of nested <ul><li> took nh3 18 s, while 10,000
# nested tags take 0.16 s and 20,000 take 1 s.
MAX_CONTENT_TAGS = 10_000
# What no host of a web address may hold once its escapes are decoded, as browsers decode them
# (the WHATWG URL standard's forbidden domain code points: "#", "/", ":" and "?" too, which
# urlsplit reads only as written, not escaped, "%2F", or mapped, "%EF%BC%8F" of "／"), and the
# direction marks and controls that UTS #46 allows in no host name (Unicode's Bidi_Control,
# the Arabic letter mark among them): a browser refuses the address, and the Apply link leads
# nowhere. A zero-width space it drops, as other characters that show nothing: such a link
# works. An IPv6 address, in brackets, is read apart (_host_problem).
FORBIDDEN_HOST_CHARACTERS_RE = re.compile(
    r"[\x00-\x20\x7f#%/:<>?@\[\\\]^|\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# A last part of a host that makes it an IPv4 address to browsers: digits, or a hex number
# (the WHATWG URL standard's "ends in a number").
IPV4_LAST_PART_RE = re.compile(r"[0-9]+|0x[0-9a-f]*")
# A part of an IPv4 address as browsers read it: hex, octal, or decimal.
IPV4_NUMBER_RE = re.compile(r"0x([0-9a-f]*)|0([0-7]+)|([1-9][0-9]*|0)")
# The first character Unicode gives a right-to-left direction, Hebrew's first (the Bidi Rule,
# _label_invalid): a label with none before it is not read for one.
FIRST_RIGHT_TO_LEFT = "\u0590"
# A host in brackets and its port as browsers read them: the whole host in the brackets, and
# nothing but a port after them (_web_address_problem).
BRACKETED_HOST_RE = re.compile(r"\[[^\[\]]*\](?::[^\[\]]*)?")
# A tag's opening as Greenhouse escapes it, or raw.
TAG_OPENING_RE = re.compile(r"<|&lt;")
RETRYABLE_STATUSES = (429, 500, 502, 503, 504)
# Greenhouse's API answers without redirecting; a moved base address takes one or two hops, and
# requests' own cap of 30 would spend 31 requests on every loop.
MAX_REDIRECTS = 5
# The head of a redirect's path a message shows, its ellipsis among them: enough to tell one
# address from another.
MAX_PATH_SHOWN = 200
# Why a host browsers refuse is, in words that follow "an application link".
HOST_CHARACTER_PROBLEM = "whose host name has a space or another character no host name may have"
UNREADABLE_PROBLEM = "that cannot be read as a web address"
# How much of a response that is not JSON is looked at for what it opens with.
NOT_JSON_HEAD_CHARS = 1000
# Media types of XML documents (RFC 7303), besides any "+xml" one but XHTML's, a web page's.
XML_MEDIA_TYPES = ("application/xml", "text/xml")
HTML_MEDIA_TYPES = ("text/html", "application/xhtml+xml")
# An ETag as RFC 9110 writes one (`W/"..."` when weak), in printable ASCII, so that it goes
# back in If-None-Match as it came; and as long as the connection's column keeps (jobs.models).
ETAG_RE = re.compile(r'(?:W/)?"[\x21\x23-\x7e]*"')
MAX_ETAG_LENGTH = 200
# The lengths of the fields (jobs.models) that keep a post's title and its names of places,
# departments and offices. A value is cut to its field before it is checked for showing
# anything: 500 zero-width spaces and then a word show nothing once cut.
TITLE_MAX_LENGTH = 500
NAME_MAX_LENGTH = 300
# A job's requisition id, which its JSON (jobs.json) shows as it is stored.
REQUISITION_ID_MAX_LENGTH = 200
# A job's language, Greenhouse's tag for its post ("en", "pt-BR"); of a longer one, the head a
# log line shows.
LANGUAGE_MAX_LENGTH = 20
MAX_LANGUAGE_SHOWN = 60
ADDRESS_MAX_LENGTH = 1000  # jobs.text.MAX_COMPOSED_CHARS is four times as much
# Of a post's address, how much a log line shows.
MAX_ADDRESS_SHOWN = 200
# Real metadata values are a string, a number or a list of strings; a currency is one object.
# Hundreds of levels (the JSON reader takes about 950) overflowed the stack while cleaning them,
# failing the whole sync.
MAX_METADATA_DEPTH = 10
# Every listing loads its jobs' metadata, and a response may be 200 MB: one post with a million
# fields, or a value of megabytes, would come with each page of its org's jobs. Real posts have
# a few fields (the samples: 1 or 2), named in a few words, each a short text, a choice or an
# amount; these bounds are ten times past any of them. Sizes are in characters, about as JSON
# writes the value (its strings, and a few for each other element).
MAX_METADATA_FIELDS = 50
MAX_METADATA_NAME_CHARS = 200
MAX_METADATA_VALUE_CHARS = 2_000
# Dropped fields the log names, of a post.
MAX_METADATA_DROPS_LOGGED = 5


# Of a dropped metadata field, how much of its name the log shows.
MAX_METADATA_NAME_SHOWN = 50


class _HeadRepr(reprlib.Repr):
    """reprlib's cut-short repr, which sorts every key of an object before it shows the first:
    a name of a million keys, it would sort them all. Only those it may show are sorted."""

    def repr_dict(self, x: dict, level: int) -> str:
        return super().repr_dict(dict(islice(x.items(), self.maxdict + 1)), level)


@functools.cache
def _head_repr(length: int) -> _HeadRepr:
    """The _HeadRepr that shows a post's value in `length` characters or about so: its first
    items, two levels deep, each string, number or other value cut to `length`."""
    shown = _HeadRepr()
    shown.maxlevel = 2
    shown.maxlist = shown.maxdict = 4
    shown.maxstring = shown.maxlong = shown.maxother = length
    return shown


# Real posts list one department and up to five offices (the samples). Each unit a post lists
# is a row, and a department of an open job a branch of the order the org's page lists its jobs
# in: one post listing 40,000 departments held that page's query for minutes.
MAX_UNITS_PER_POST = 50


# --- Errors ---------------------------------------------------------------------------------


class GreenhouseError(Exception):
    """A fetch from Greenhouse failed. `transient` errors are worth retrying later, not sooner
    than `retry_after` seconds when Greenhouse said so (a 429's or 5xx's Retry-After)."""

    transient = True

    def __init__(
        self, message: str, *, http_status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after
        # Of one only whoever runs the site can mend: what failed, why that is most likely
        # the site's to mend, and what they are to do (for_the_site_to_fix).
        self.failed = ""
        self.why = ""
        self.site_fix = ""

    @classmethod
    def for_the_site_to_fix(cls, failed: str, fix: str, *, why: str = "", **kwargs: Any) -> Self:
        """An error whose message, written for an org's admins, says what `failed`, that nothing
        was changed and `why`, and asks whoever runs the site to `fix` it ("raise that limit").
        The board check, which changes nothing but leaves the token unchecked, says it from the
        same parts (jobs.connections.site_fault_unchecked)."""
        said = [f"{failed}; nothing was changed.", why, f"Ask whoever runs this site to {fix}."]
        error = cls(" ".join(part for part in said if part), **kwargs)
        error.failed, error.why, error.site_fix = failed, why, fix
        return error


class InvalidBoardToken(GreenhouseError):
    """The token is not something Greenhouse could ever accept; no request was made."""

    transient = False


class BoardNotFound(GreenhouseError):
    transient = False


class RateLimited(GreenhouseError):
    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, http_status=429, retry_after=retry_after)


class Unavailable(GreenhouseError):
    """Greenhouse answered 5xx, or could not be reached."""


class GreenhouseTimeout(Unavailable):
    pass


class LedAstray(Unavailable):
    """Greenhouse's address led nowhere (`what` it did: a redirect loop, an answer that is not
    HTTP): a proxy on the way, or an address that is no longer Greenhouse's, may do so as well
    as Greenhouse, and whoever runs the site can see to them."""

    def __init__(self, message: str, *, what: str, http_status: int | None = None) -> None:
        super().__init__(message, http_status=http_status)
        self.what = what

    @classmethod
    def doing(cls, what: str, *, http_status: int | None = None) -> LedAstray:
        return cls(
            f"Greenhouse's address {what}; nothing was changed. {IF_THIS_GOES_ON}",
            what=what,
            http_status=http_status,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own makes it again from its args, the message alone, which leave out
        # `what`: copy and pickle failed (Celery and process pools pass errors on so).
        return functools.partial(type(self), what=self.what), self.args, self.__dict__


class AccessRefused(GreenhouseError):
    """The board's address answered 401 or 403. Not retried by the task: a proxy's or
    firewall's rule stays until someone changes it, and the schedule asks again anyway."""

    transient = False


class MisdirectedRequest(GreenhouseError):
    """The board's address answered a 4xx the board API does not give. Not retried by the task:
    the address or a proxy on the way needs someone to change it, as for AccessRefused."""

    transient = False


def answered_instead_of_the_board(answered: str) -> str:
    """How a message of an answer that is not the board begins, `answered` ("HTTP 204 No
    Content", "a web page") being what came: that Greenhouse may not have sent it."""
    return (
        "Greenhouse, or something between this site and Greenhouse (such as a proxy), answered "
        f"with {answered} instead of the board"
    )


class CredentialsUnsendable(GreenhouseError):
    """A user name or password in GREENHOUSE_API_BASE, or in the proxy requests takes from the
    environment, that requests cannot send (credentials_unsendable): every request fails before
    it is sent. Not retried by the task: it fails the same way until someone changes it."""

    transient = False


class AnsweredInsteadOfTheBoard(GreenhouseError):
    """An answer that is not the board (what came, `answered`: "HTTP 204 No Content", "a web
    page"), which Greenhouse, a proxy on the way or an address that is not the API's may have
    sent: the sync, the settings page and connect_greenhouse say so, and who can see to it."""

    answered = ""

    @classmethod
    def instead_of_the_board(cls, answered: str, *, http_status: int) -> Self:
        error = cls(
            f"{answered_instead_of_the_board(answered)}; nothing was changed. {IF_THIS_GOES_ON}",
            http_status=http_status,
        )
        error.answered = answered
        return error


class NeitherBoardNorError(AnsweredInsteadOfTheBoard):
    """A 2xx other than 200, or a 3xx with nowhere to go, a 304 to a request without a validator
    among them: the board API gives neither, so a proxy on the way, or an address that is not
    the API's, most likely did."""

    @classmethod
    def of(cls, status: int) -> NeitherBoardNorError:
        return cls.instead_of_the_board(f"HTTP {_status_text(status)}", http_status=status)


class MalformedPayload(GreenhouseError):
    """The response is not the JSON shape Greenhouse documents (or is too large)."""


class NotJsonAnswer(AnsweredInsteadOfTheBoard, MalformedPayload):
    """A 200 that is plainly no JSON (what it is, `answered`): a web page (a captive portal's,
    a proxy's or a maintenance page), an XML document (a proxy's or a storage service's error)
    or nothing at all, of Greenhouse or of something on the way."""

    @classmethod
    def of(cls, answered: str) -> NotJsonAnswer:
        return cls.instead_of_the_board(answered, http_status=200)


class ResponseTooLarge(MalformedPayload):
    """The response passed GREENHOUSE_MAX_RESPONSE_BYTES. Not retried by the task: minutes later
    the board is as large, each try reads up to the cap again, and the schedule asks anyway."""

    transient = False


# --- Data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Board:
    token: str
    name: str


@dataclass(frozen=True)
class Unit:
    """A department or an office as a job post lists it."""

    greenhouse_id: int
    name: str
    parent_greenhouse_id: int | None
    location: str = ""


@dataclass(frozen=True)
class JobPost:
    """One job post, parsed and validated; `content_html` is still unsanitized, and None when
    the post came without a readable `content` (its job keeps the description it has).
    `units_not_sent` names the units ("departments", "offices") it came without, read as none
    here: its job keeps its own (jobs.sync). `content_hash` fingerprints what its description
    is read from (job_content_hash)."""

    greenhouse_id: int
    payload_hash: str
    title: str
    content_html: str | None
    content_hash: str
    internal_job_id: int | None
    location_name: str
    absolute_url: str
    requisition_id: str
    language: str
    company_name: str
    updated_at: datetime | None
    first_published_at: datetime | None
    application_deadline: datetime | None
    metadata: list[dict[str, Any]]
    departments: tuple[Unit, ...] = field(default=())
    offices: tuple[Unit, ...] = field(default=())
    units_not_sent: tuple[str, ...] = field(default=())
    # A date read as missing for being ahead (see dated_ahead_hash).
    dated_ahead: bool = False


class InvalidJob(ValueError):
    """One post in the payload is unusable; the sync skips it and carries on."""


# --- Parsing (pure) -------------------------------------------------------------------------


# The zero-width non-joiner and joiner: parts of words in Persian and Indic scripts (and of
# emoji sequences), where they change how the letters beside them are drawn.
JOINERS = frozenset("\u200c\u200d")


def without_format_characters(typed: str, *, keep_joiners: bool = False) -> str:
    """`typed` without zero-width spaces, byte order marks, direction marks and the like, which
    come along with text copied from pages and chats: unseen, they make a token or a key look
    right and be wrong. With `keep_joiners`, text where words may be written keeps JOINERS."""
    kept = JOINERS if keep_joiners else frozenset()
    return "".join(c for c in typed if c in kept or unicodedata.category(c) != "Cf")


def _board_address_of(typed: str) -> SplitResult | None:
    """`typed` as the address of a Greenhouse job board or of its API, or None if it is not
    one (a bare token, another site's address, no address at all)."""
    try:
        address = urlsplit(typed if "://" in typed else f"https://{typed}")
        host = (address.hostname or "").lower().removesuffix(".")
    except ValueError:  # not an address at all (an unbalanced "[", say)
        return None
    return address if BOARD_HOST_RE.fullmatch(host) else None


def board_token_of(typed: str) -> str:
    """The token in a Greenhouse job board address as people paste it (boards.greenhouse.io/acme,
    job-boards.eu.greenhouse.io/acme/jobs/1, the embed code's ?for=acme, the API's
    /v1/boards/acme/jobs); anything else as typed, less trailing slashes ("acme/", as the
    address's end is copied), for validate_board_token() to judge."""
    typed = without_format_characters(typed or "").strip()
    address = _board_address_of(typed)
    if address is None:
        return typed.rstrip("/")
    segments = [segment for segment in address.path.split("/") if segment]
    if segments[:2] == ["v1", "boards"]:  # an API address
        segments = segments[2:]
    elif segments[:1] == ["embed"]:
        segments = parse_qs(address.query).get("for", [])
    return segments[0] if segments else typed


def is_eu_board_address(typed: str) -> bool:
    """Whether `typed` is the address of a board on Greenhouse's EU site (…eu.greenhouse.io)."""
    address = _board_address_of(without_format_characters(typed or "").strip())
    return address is not None and (address.hostname or "").rstrip(".").endswith(EU_HOST_SUFFIX)


def validate_board_token(token: str) -> str:
    token = (token or "").strip()
    if len(token) > MAX_BOARD_TOKEN_LENGTH and BOARD_TOKEN_CHARACTERS_RE.fullmatch(token):
        raise InvalidBoardToken(
            f"A board token has at most {MAX_BOARD_TOKEN_LENGTH} characters; this one has "
            f"{len(token)}. Copy it from your job board's address again."
        )
    if not BOARD_TOKEN_RE.fullmatch(token):
        raise InvalidBoardToken(
            "A board token has only letters, digits, “-” and “_” (it is the last part of "
            "your job board's address, e.g. “acme” in boards.greenhouse.io/acme)."
        )
    return token


def api_base_problem(base_url: str) -> str:
    """What keeps the address this site asks Greenhouse at from being one the Job Board API's
    addresses go under, in words that follow "it" (the address), or "" if nothing does. Asked
    there, Greenhouse knows no board at all, so every token looks wrong."""
    if _password_read_as_host_end(base_url):
        # Its password is shown masked: "a query string" or "a port" would send whoever reads
        # it looking for what is not shown.
        return HOST_READ_TO_END_EARLY
    # Any "?" or "#", even with nothing after it: a board's path added after one is no path.
    if "?" in base_url or "#" in base_url:
        return (
            "has a query string or fragment (a “?” or “#”), after which a board's part of the "
            "address is added instead of to its path"
        )
    try:
        asked = _api_path_asked(base_url)
        written = urlsplit(base_url).path.rstrip("/")
    except ValueError:  # requests refuses it: no request is sent, whatever its path
        # Only a settings module of one's own sets such a base: orgsite.env refuses one set in
        # the environment. What requests refuses but browsers read ("https://./v1"), unnamed.
        problem = _web_address_problem(base_url) or UNREADABLE_PROBLEM
        return f"is no address a request can be sent to: it is one {problem}"
    if asked.endswith(API_VERSION_PATH):
        return ""
    if asked == written:
        return "does not end in /v1, as the addresses of Greenhouse's Job Board API do"
    # Written otherwise than it is asked ("/v1//." is asked as "/v1//boards/…"): the words
    # "does not end in /v1" alone would not tell why.
    return (
        f"has its boards asked at {_path_shown(asked)}{BOARD_PATH_PROBE}… (as requests sends "
        "it), where Greenhouse's Job Board API has them at /v1/boards/…"
    )


def api_base_unsendable(base_url: str) -> bool:
    """Whether requests cannot read the address this site asks Greenhouse at (a host or port it
    refuses, a password's "/" read as where the host ends): every request fails unsent."""
    try:
        _api_path_asked(base_url)
    except ValueError:
        return True
    return False


# What a URL whose password has a "/", "?" or "#" left as it is has (password_ends_host), in
# words that follow "it" (the URL).
HOST_READ_TO_END_EARLY = (
    "has a “/”, “?” or “#” in its password, where the address's host is read to end: "
    "write them as %2F, %3F and %23"
)


def password_ends_host(url: str) -> bool:
    """Whether `url` may have a password with a "/", "?" or "#" left as it is: logs mask one
    from the user's ":" to the last "@", but the host is read to end at that character, before
    that "@" ("https://sync:s3/cret@proxy" asks host "sync"; "https://sync:p@ss/word@proxy",
    with an "@" left before it too, host "ss"). A URL with a port and an "@" after it
    ("https://proxy:8080/a@b/v1") reads so too; for a proxy, whose path requests drops, that
    is no matter."""
    address = url.partition("://")[2]
    authority = re.split(r"[/?#]", address, maxsplit=1)[0]
    return "@" in address[len(authority) :] and userinfo_passwords_masked(url) != url


def environment_proxy(url: str) -> tuple[str, str]:
    """The proxy requests takes from the environment for `url` (its scheme's, or ALL_PROXY's,
    unless NO_PROXY names its host), and the name of the variable it is read from; two ""
    for none."""
    try:
        proxy = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
    except ValueError:  # an address requests cannot read: no request is sent (orgsite.W008 says so)
        return "", ""
    if not proxy:
        return "", ""
    scheme = urlsplit(url).scheme
    # The lower case name wins, as urllib reads them.
    names = (f"{scheme}_proxy", f"{scheme}_proxy".upper(), "all_proxy", "ALL_PROXY")
    return next((name for name in names if os.environ.get(name) == proxy), "A proxy"), proxy


def proxy_unusable(proxy: str) -> bool:
    """Whether requests fails every request through `proxy` before sending it: it puts
    "http://" before an address only when it reads no scheme there, and reads one in
    "proxy:3128" and "sync:pw@proxy:3128" ("proxy", "sync"), then no host (InvalidProxyURL);
    nor can it read every address (InvalidURL), nor one with a user name and no host
    ("http://sync:pw@"), whose host it joins to the name as None (TypeError)."""
    try:
        return not parse_url(requests.utils.prepend_scheme_if_needed(proxy, "http")).host
    except (ValueError, TypeError):
        return True


def credentials_unsendable(url: str, *, proxy: bool = False) -> str:
    """Which of the user name and password requests takes from `url` (GREENHOUSE_API_BASE, or
    with `proxy` a proxy's, for its Proxy-Authorization, which it sends only with a user name)
    it cannot send, failing every request before sending it: "user name", "password", "user
    name and password", or "" for neither. It turns their %XX back (as UTF-8, a "%E9" that is
    not UTF-8 becoming "�") and encodes them in Latin-1, which has no "€" or "ł"."""
    try:
        if proxy:
            url = requests.utils.prepend_scheme_if_needed(url, "http")
        user, password = requests.utils.get_auth_from_url(url)
    except ValueError:  # an address requests cannot read: warned of otherwise (orgsite.W008)
        return ""
    if proxy and not user:
        return ""
    parts = {"user name": user, "password": password}
    return " and ".join(part for part, value in parts.items() if not _encodes_in_latin1(value))


def _encodes_in_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def unsendable_credentials_named(url: str) -> tuple[str, str]:
    """The variable whose user name or password requests cannot send as it asks `url`, and
    which of them (credentials_unsendable): GREENHOUSE_API_BASE, which `url` begins with, or
    the proxy requests takes from the environment for `url` or, after a redirect to the other
    scheme, for that one (HTTPS_PROXY, …); two "" for none."""
    unsendable = credentials_unsendable(url)
    if unsendable:
        return "GREENHOUSE_API_BASE", unsendable
    parts = urlsplit(url)
    for scheme in dict.fromkeys((parts.scheme, "https", "http")):
        name, proxy = environment_proxy(parts._replace(scheme=scheme).geturl())
        unsendable = credentials_unsendable(proxy, proxy=True) if proxy else ""
        if unsendable:
            return name, unsendable
    return "", ""


# What a user name or password credentials_unsendable finds has, in words that follow "it"
# (the URL), and what to do of it; {part}: the one of them that has it, or both, named alike in
# both (credentials_unsendable).
CREDENTIALS_UNSENDABLE = (
    "has a {part} with a character beyond Latin-1 (such as “€”), or a %XX that "
    "is not UTF-8, which requests cannot send"
)
CREDENTIALS_UNSENDABLE_FIX = (
    "give {name} a {part} of Latin-1 characters only (ASCII is safest), changed to match "
    "where it is checked"
)


def _password_read_as_host_end(url: str) -> bool:
    """Whether `url` most likely has a "/", "?" or "#" left in its password (password_ends_host),
    not a port and an "@" in its path: its port cannot be read, or is the password's head."""
    return password_ends_host(url) and (_port_unread(url) or _password_head_read_as_port(url))


def _password_head_read_as_port(url: str) -> bool:
    """Whether the port of `url` is most likely the digits a password begins with, the rest
    after a "/", "?" or "#" ("https://sync:12/secret@egress.example.com/v1"), read as a port:
    the host read is one word, as a user name is, and what follows the last "@" is a host
    name with a dot or a port, as a proxy's is. A host with a dot and a port, and an "@" in the
    path ("https://proxy.example:8080/team@acme/v1"), is taken as written."""
    host = urlsplit(url).hostname or ""
    after_at = re.split(r"[/?#]", url.rpartition("@")[2], maxsplit=1)[0]
    one_word = host != "localhost" and re.fullmatch(r"[A-Za-z0-9_-]+", host) is not None
    return one_word and not host.isdigit() and re.search(r"[.:]", after_at) is not None


def _port_unread(url: str) -> bool:
    """Whether urlsplit fails on the port of `url` ("s3" of "https://sync:s3/cret@proxy")."""
    try:
        urlsplit(url).port  # noqa: B018 - read for the ValueError it raises
    except ValueError:
        return True
    return False


# The part of a board's address the client adds to GREENHOUSE_API_BASE, less the token.
BOARD_PATH_PROBE = "/boards/"


def _api_path_asked(base_url: str) -> str:
    """The path requests sends a board's address under `base_url` with, as the client builds
    it, up to the board's part: "." and ".." segments resolved by urllib3 (a base ending "/v1/."
    asks under /v1, one ending "/v1/.." does not, and one ending "/v1//." under "/v1/"), then
    letters, digits and "-._~" written as %XX turned back by requests ("/v%31" asks under /v1).
    The board's part is added first, as a base's last segments are only resolved before it.
    A ValueError (requests' InvalidURL) if requests cannot read the address."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(f"{base_url.rstrip('/')}{BOARD_PATH_PROBE}token", None)
    return prepared.path_url.removesuffix(f"{BOARD_PATH_PROBE}token")


def _path_shown(path: str) -> str:
    """The head of `path` a message shows: enough to tell one address from another, cut after
    a whole letter, its %XX escapes too (a stored error keeps it as the message said it)."""
    return characters_start(path, MAX_PATH_SHOWN)


def _check_the_token(token: str) -> str:
    """What to do of a token Greenhouse knows no board of (a 404's, or a 410's): a board's
    address has its token in lower case, and people type it as they would a name ("Acme")."""
    check = "Check the token in Greenhouse's job board settings."
    if token == token.lower():
        return check
    return (
        f"{check} Tokens are usually all lower case, as they appear in the board's web "
        "address (boards.greenhouse.io/acme)."
    )


def _shown_text(value: Any, *, what: str) -> str:
    """one_line() as its field of NAME_MAX_LENGTH keeps it, or "" if that shows nothing: a
    department, office or location named with zero-width spaces or blank letters made an empty
    heading and an empty filter option. A name that shows something only past the cut is
    logged, as `what`: Greenhouse shows it, so its absence here would otherwise be a puzzle."""
    text = one_line(value)
    kept = _shown_head(text, NAME_MAX_LENGTH)
    if not kept and shows_anything(text):
        logger.warning(
            "%s shows nothing in the %d characters kept; left out", what, NAME_MAX_LENGTH
        )
    return kept


def _shown_head(text: str, max_length: int) -> str:
    """The head of `text` a field of `max_length` keeps (field_head), or "" if it shows
    nothing."""
    head = field_head(text, max_length)
    return head if shows_anything(head) else ""


def _json_value(value: Any, depth: int = 0) -> Any:
    """A metadata value with its strings cleaned; nested deeper than any real value, null."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | dict) and depth >= MAX_METADATA_DEPTH:
        return None
    if isinstance(value, list):
        return [_json_value(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {clean_text(str(key)): _json_value(item, depth + 1) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN, or 1e400 read as infinity: JSON has neither, and JSONField refuses them
    return value


def _metadata_of(job_id: int, fields: list[Any]) -> list[dict[str, Any]]:
    """The post's metadata fields, cleaned, as far as MAX_METADATA_FIELDS of them that fit
    MAX_METADATA_NAME_CHARS and MAX_METADATA_VALUE_CHARS; the others are dropped, and logged.
    An item that is no object is no field."""
    kept: list[dict[str, Any]] = []
    dropped: list[str] = []
    fields = [item for item in fields if isinstance(item, dict)]
    for item in fields:
        if len(kept) < MAX_METADATA_FIELDS and fits_metadata_bounds(item):
            kept.append(_json_value(item))
        elif len(dropped) < MAX_METADATA_DROPS_LOGGED:
            dropped.append(_value_shown(item.get("name"), MAX_METADATA_NAME_SHOWN))
    if len(kept) < len(fields):
        logger.warning(
            "job post %s: %d of %d metadata fields dropped (past the first %d, or a name over "
            "%d or a value over %d characters): %s%s",
            job_id,
            len(fields) - len(kept),
            len(fields),
            MAX_METADATA_FIELDS,
            MAX_METADATA_NAME_CHARS,
            MAX_METADATA_VALUE_CHARS,
            ", ".join(dropped),
            ", ..." if len(fields) - len(kept) > len(dropped) else "",
        )
    return kept


def _value_shown(value: Any, length: int) -> str:
    """A value of a post's, as a log line shows it, cut before it is written out (a hostile value
    of megabytes was written out whole for the head a line kept): a string as the repr of its
    first `length` characters; a number, true, false or null as itself, a number of more digits
    cut in the middle; a list or object as its first items (_head_repr), where its type alone
    ("list") could not be told from the post's others in Greenhouse."""
    if isinstance(value, str):
        return repr(value[:length])
    return _head_repr(length).repr(value)


def fits_metadata_bounds(item: dict[str, Any]) -> bool:
    """Whether a metadata field's name, and its value with any other key it has, fit."""
    left = MAX_METADATA_VALUE_CHARS
    for key, value in item.items():
        if key != "name":
            left = _size_left(value, left - len(str(key)))
            if left < 0:
                return False
    # The name's characters: its budget is the bound and the quotes JSON writes around it.
    return _size_left(item.get("name"), MAX_METADATA_NAME_CHARS + 2) >= 0


def _size_left(value: Any, budget: int, depth: int = 1) -> int:
    """`budget` less the size of `value` in characters, about as JSON writes it; below zero
    once it runs out, without reading the rest. Nested past MAX_METADATA_DEPTH, as null: so
    _json_value() keeps it."""
    if isinstance(value, str):
        return budget - len(value) - 2
    if isinstance(value, list | dict) and depth < MAX_METADATA_DEPTH:
        is_object = isinstance(value, dict)
        budget -= 2  # its brackets
        for key, item in value.items() if is_object else enumerate(value):
            if budget < 0:
                break
            # An object's key, quoted, and its colon; a list's comma.
            budget = _size_left(item, budget - (len(str(key)) + 3 if is_object else 1), depth + 1)
        return budget
    if isinstance(value, int | float) and not isinstance(value, bool):
        # As its digits: a number may have thousands (_int_of_json reads up to 4,300).
        return budget - len(str(value))
    return budget - 5  # true, false or null


def _significant_digits(text: str) -> str | None:
    """`text`'s digits without their leading zeros ("0" for zeros alone), if it is ASCII digits
    alone; None otherwise. For a number Greenhouse or a proxy writes (an id, a Content-Length,
    a Retry-After) to be measured before int() reads it: int() refuses over 4,300 digits, zeros
    counted, with a ValueError. isascii(): "١٢٣" and "²" are digits to isdigit() too."""
    if not (text.isascii() and text.isdigit()):
        return None
    return text.lstrip("0") or "0"


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    # Its length first: one id of over 4,300 digits would fail the whole sync for one post.
    if isinstance(value, str) and (digits := _significant_digits(value)) is not None:
        value = int(digits) if len(digits) <= MAX_ID_DIGITS else None
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_EXACT_FLOAT_INT:
        value = int(value)
    if isinstance(value, int) and -MAX_ID <= value <= MAX_ID:
        return value
    return None


def _requisition_id_of(value: Any) -> str:
    """A post's requisition id as its field keeps it. Greenhouse documents it as a string, but
    boards have sent a JSON number, stored as its decimal digits, a whole float's too (as ids
    are read): read as no text, it was stored empty. Not true or false, nor a fraction, which
    name no requisition."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_EXACT_FLOAT_INT:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # at most 4,300 digits, as JSON's are read (_int_of_json)
    return field_head(one_line(value), REQUISITION_ID_MAX_LENGTH)


def _language_of(job_id: int, value: Any) -> str:
    """A post's language as Greenhouse sends it ("en", "pt-BR"), or "" if it is longer than a
    job keeps: cut, it read as another tag ("en-GB-oxendict-x-london" as "...-x-lon"), or as a
    tag of another language, which its page's `lang` named. Logged: Greenhouse shows it."""
    language = one_line(value)
    if len(language) <= LANGUAGE_MAX_LENGTH:
        return language
    logger.warning(
        "job post %s: language %s is over %d characters, longer than a job keeps; read as none",
        job_id,
        _value_shown(language, MAX_LANGUAGE_SHOWN),
        LANGUAGE_MAX_LENGTH,
    )
    return ""


def _deadline_or_none(value: Any) -> datetime | None:
    """A bare date ("2026-10-31", as Greenhouse sends deadlines) is the end of that day in the
    site's time zone: applications are open through it, and pages show that date. Read as
    midnight UTC, it showed as the day before west of Greenhouse's zone."""
    if isinstance(value, str) and BARE_DATE_RE.fullmatch(value):
        return _datetime_or_none(f"{value}T23:59:59", zone=timezone.get_default_timezone())
    return _datetime_or_none(value)


def _datetime_or_none(value: Any, *, zone: tzinfo = UTC) -> datetime | None:
    """An ISO 8601 timestamp; one without an offset is in `zone`."""
    if not isinstance(value, str) or len(value) > MAX_DATE_CHARS:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    # A day inside years 1-9999 in UTC, so the date exists in every time zone: 9999-12-31T23:00
    # -05:00 is in year 10000 in UTC, which no database holds and no page can show.
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        return None
    # In UTC, as both databases store it: PostgreSQL refuses an offset past 15:59, which
    # Python reads up to 23:59 ("+23:59" failed the whole sync as an internal error).
    return parsed.astimezone(UTC)


def _date_of_post(
    job_id: int,
    raw: dict[str, Any],
    key: str,
    *,
    read: Callable[[Any], datetime | None] = _datetime_or_none,
) -> datetime | None:
    """The post's date `key`, None without one. One it gives that cannot be read (no ISO 8601,
    or outside years 1 to 9999) is logged: read as missing, an application deadline left the
    job listed past it, and nothing said why."""
    value = raw.get(key)
    moment = read(value)
    if moment is None and value not in (None, ""):
        logger.warning(
            "job post %s: %s %s cannot be read as a date; read as missing",
            job_id,
            key,
            _value_shown(value, MAX_DATE_SHOWN),
        )
    return moment


def _past_dates_of_post(
    job_id: int, raw: dict[str, Any]
) -> tuple[datetime | None, datetime | None, list[str]]:
    """The post's updated_at and first_published, and the keys of those read as missing for
    being later than CLOCK_MARGIN from now (logged)."""
    latest = timezone.now() + CLOCK_MARGIN
    dates: list[datetime | None] = []
    ahead: list[str] = []
    for key in ("updated_at", "first_published"):
        moment = _date_of_post(job_id, raw, key)
        if moment is not None and moment > latest:
            logger.warning(
                "job post %s: %s %s is in the future; read as missing", job_id, key, moment
            )
            moment = None
            ahead.append(key)
        dates.append(moment)
    return dates[0], dates[1], ahead


def dated_ahead_hash(payload_hash: str, ahead: Iterable[str]) -> str:
    """The hash stored for a post with dates read as missing for being ahead (their keys,
    `ahead`): never its own, so that the next sync reads the post again (and takes a date once
    it has come), and the same for the same post with the same dates ahead, so that it is
    unchanged until one has come (either, when both were ahead)."""
    return fingerprint(payload_hash, "dated ahead", *ahead)


def _of_shape(job_id: int, raw: dict[str, Any], key: str, shape: type) -> Any:
    """The post's `key` if it is null or of `shape` (dict or list), else None, logged: the post
    is read without it, and nothing else would say why its job lost its location, departments,
    offices or custom fields."""
    value = raw.get(key)
    if value is None or isinstance(value, shape):
        return value
    logger.warning(
        "job post %s: %s is %s, not %s; read as missing",
        job_id,
        key,
        type(value).__name__,
        shape.__name__,
    )
    return None


def _units(value: Any, *, kind: str, job_id: int) -> tuple[Unit, ...]:
    """The post's departments or offices (`kind`), less those without an id or a name, as far
    as MAX_UNITS_PER_POST of them; the others are dropped, and logged."""
    units: list[Unit] = []
    items = value if isinstance(value, list) else []
    for item in items:
        if len(units) == MAX_UNITS_PER_POST:
            logger.warning(
                "job post %s lists %d %ss; the first %d that can be read are kept",
                job_id,
                len(items),
                kind,
                MAX_UNITS_PER_POST,
            )
            break
        if not isinstance(item, dict):
            continue
        unit_id = _int_or_none(item.get("id"))
        if unit_id is None:
            continue
        name = _shown_text(item.get("name"), what=f"job post {job_id}: {kind} {unit_id}'s name")
        if not name:
            continue
        location = ""
        if kind == "office":
            what = f"job post {job_id}: office {unit_id}'s location"
            location = _shown_text(item.get("location"), what=what)
        units.append(
            Unit(
                greenhouse_id=unit_id,
                name=name,
                parent_greenhouse_id=_int_or_none(item.get("parent_id")),
                location=location,
            )
        )
    return tuple(units)


def _units_sent(
    job_id: int, raw: dict[str, Any], key: str, *, kind: str
) -> tuple[Unit, ...] | None:
    """The post's departments or offices (`key`), or None if it came without them: Greenhouse
    sends them with the content, and a post sent without its content (see _content_of) came
    without them too. Read as none, its job left its team's filter, and an office "Remote"
    its workplace. jobs.sync logs it, knowing whether the post has a job to keep its own."""
    if key not in raw:
        return None
    return _units(_of_shape(job_id, raw, key, list), kind=kind, job_id=job_id)


def _content_of(job_id: int, raw: dict) -> str | None:
    """The post's escaped content; empty if Greenhouse sent null (no description), None if it
    sent none at all or something that is not text: blanking the job's description for that
    would hide it until the post's next edit."""
    content = raw.get("content", ...)
    if content is None:
        return ""
    if not isinstance(content, str):
        # Read before anything knows whether the post has a job: true of a new one too.
        logger.warning(
            "job post %s came without readable content; its job keeps any description it has",
            job_id,
        )
        return None
    return _content_within_bounds(job_id, content)


def _content_within_bounds(job_id: int, content: str) -> str:
    """The content cut to MAX_CONTENT_CHARS and MAX_CONTENT_TAGS, so one post cannot hold
    nh3 for seconds; each cut is logged. nh3 closes what a cut leaves open."""
    if len(content) > MAX_CONTENT_CHARS:
        logger.warning(
            "job post %s: description of %d characters cut to %d",
            job_id,
            len(content),
            MAX_CONTENT_CHARS,
        )
        content = content[:MAX_CONTENT_CHARS]
    # Every tag takes three characters or more: real descriptions skip the count.
    if len(content) > 3 * MAX_CONTENT_TAGS:
        tags = content.count("<") + content.count("&lt;")
        if tags > MAX_CONTENT_TAGS:
            openings = TAG_OPENING_RE.finditer(content)
            cut = next(islice(openings, MAX_CONTENT_TAGS, None)).start()
            logger.warning(
                "job post %s: description of %d tags cut to %d", job_id, tags, MAX_CONTENT_TAGS
            )
            content = content[:cut]
    return content


def _web_address_problem(url: str) -> str:
    """What keeps `url` from being an http(s) address a browser can open, in words that follow
    "an application link"; "" if nothing does. Browsers read one without a host
    ("https:jobs/1") against the page it is on: the Apply link, and the description's relative
    links read against it, led into this site. One whose host has a space, or whose port is
    99999, they refuse: the link led nowhere. urlsplit's ValueErrors are caught: one would fail
    the whole sync for one post."""
    try:
        address = urlsplit(url)
        host = address.hostname
        host_and_port = address.netloc.rpartition("@")[2]
        if "[" in host_and_port and not BRACKETED_HOST_RE.fullmatch(host_and_port):
            # Newer Pythons (gh-105704) and Debian's 3.11 raise this in urlsplit; older ones
            # read the host in the first brackets anywhere and drop what follows them.
            raise ValueError("brackets around part of the host, or more than a port after")
    except ValueError:  # "http://[", a host with "＃", "http://a[::1]", "http://[::1]x"
        return UNREADABLE_PROBLEM
    if address.scheme not in ("http", "https"):
        return "that is not an http or https address"
    if not host:
        return "without a host name"
    problem = _host_problem(address.netloc, host)
    if problem:
        return problem
    try:
        port = address.port
    except ValueError:  # over 65535, or not digits
        port = 0
    return "" if port is None or port > 0 else "whose port is not a number from 1 to 65535"


def _host_problem(netloc: str, host: str) -> str:
    """What keeps browsers from opening `host`, urlsplit's hostname of `netloc`, in words that
    follow "an application link"; "" if nothing does. One in brackets they read as an IPv6
    address, as written, and urlsplit takes more there: a zone ("[::1%3A]",
    "[fe80::1%25eth0]"), an IPv4 address or an "IPvFuture" ("[v1.x]"). Any other they decode
    and map (_host_as_browsers_map_it) before they look in it for a character no host may
    hold, then read it as a domain or an IPv4 address (_host_unreadable)."""
    if netloc.rpartition("@")[2].startswith("["):
        try:
            refused = ipaddress.IPv6Address(host).scope_id is not None
        except ValueError:
            refused = True
        return HOST_CHARACTER_PROBLEM if refused else ""
    mapped = _host_as_browsers_map_it(host)
    if mapped is None or FORBIDDEN_HOST_CHARACTERS_RE.search(mapped):
        return HOST_CHARACTER_PROBLEM
    return UNREADABLE_PROBLEM if _host_unreadable(mapped) else ""


def host_refused_by_browsers(netloc: str, host: str) -> bool:
    """Whether browsers refuse `host`, urlsplit's hostname of `netloc` (_host_problem): for an
    org's website, whose form says so in its own words."""
    return bool(_host_problem(netloc, host))


def _host_as_browsers_map_it(host: str) -> str | None:
    """`host` with its escapes decoded and mapped as browsers map a host name (UTS #46: in
    lower case, its compatibility characters read as the ones they stand for, those that show
    nothing left out) before they look for a character no host may hold: "jobs＼x.example.com"
    (a fullwidth "\\"), "﹪" or an escaped ideographic space ("%E3%80%80") passed the check,
    and browsers refuse them. None if it holds a character UTS #46 allows in no host name,
    which browsers refuse: a direction mark, or one that NFKC reads as a dot and UTS #46 does
    not, so that it cannot pass for one ("example\u2024com", ONE DOT LEADER)."""
    decoded = unquote(host)
    if decoded.isascii():  # nearly every host
        return decoded.lower()
    try:
        return idna.uts46_remap(decoded, std3_rules=False)
    except idna.InvalidCodepoint:
        return None
    except idna.IDNAError:  # longer than idna reads (1,024 characters): mapped as NFKC maps it
        return unicodedata.normalize("NFKC", decoded).lower()


def _host_unreadable(host: str) -> bool:
    """Whether browsers refuse `host`, as _host_as_browsers_map_it() maps it, as neither a
    domain nor an IPv4 address (the WHATWG URL standard's host parser): a part after "xn--"
    that is no Punycode of a name UTS #46 allows ("xn--a.com"), or a host whose last part is a
    number ("example.123", "1.2.3.256", "a.09") that is no IPv4 address. An IPv4 address
    written short ("0x7f.1", "2130706433", which browsers open as 127.0.0.1) is kept as
    written, as one written whole and an IPv6 address are. A part not in ASCII is read as one
    after "xn--" is (_label_invalid)."""
    if "xn--" in host and any(map(_punycode_unreadable, host.split("."))):
        return True
    if not host.isascii() and any(map(_label_invalid, host.split("."))):
        return True
    address = host.removesuffix(".")  # one "." last: "1.2.3.4." is 1.2.3.4
    if not IPV4_LAST_PART_RE.fullmatch(address.rpartition(".")[2]):  # a domain: nearly every host
        return False
    parts = address.split(".")
    numbers = [_ipv4_number(part) for part in parts]
    if len(parts) > 4 or None in numbers:
        return True
    *firsts, last = numbers
    return any(number > 255 for number in firsts) or last >= 256 ** (5 - len(parts))


def _punycode_unreadable(label: str) -> bool:
    """Whether `label`, if it starts "xn--", is no Punycode of a name whose characters UTS #46
    allows as they are (not mapped), and in their places (_label_invalid): browsers refuse its
    host."""
    if not label.startswith("xn--"):
        return False
    try:
        name = label[len("xn--") :].encode("ascii").decode("punycode")
        return not name or idna.uts46_remap(name, std3_rules=False) != name or _label_invalid(name)
    except (UnicodeError, idna.IDNAError):
        return True


def _label_invalid(label: str) -> bool:
    """Whether `label`, a part of a host name as UTS #46 maps it, has a character where UTS #46
    allows it in no host name, which browsers check after the mapping (Chromium and Node's URL
    refuse the host): a combining mark first ("\u0301a"), a zero-width joiner or non-joiner
    where no script joins with it ("a\u200db": CONTEXTJ, RFC 5892; after a virama it is one),
    or right-to-left letters and digits against the Bidi Rule (RFC 5893: "\u05d0a"). A label
    with no right-to-left character is not read for the Bidi Rule, nor one with a character
    newer than Python's Unicode data (older than idna's), whose direction it does not know, nor
    a joiner after such a character, which may be a virama: browsers take them ("\u0645\u0897",
    ARABIC PEPET; KAWI SIGN KILLER U+11F42 and a joiner)."""
    if label.isascii():  # nearly every part, of a host not in ASCII too: no rule to break
        return False
    try:  # idna's checks raise IDNAError where the label breaks their rule
        idna.check_initial_combiner(label)
        if max(label, default="") >= FIRST_RIGHT_TO_LEFT:
            directions = {unicodedata.bidirectional(character) for character in label}
            if "" not in directions and not directions.isdisjoint(("R", "AL", "AN")):
                idna.check_bidi(label)
    except idna.IDNAError:
        return True
    return ("\u200c" in label or "\u200d" in label) and any(
        _joiner_out_of_place(label, position)
        for position, character in enumerate(label)
        if character in "\u200c\u200d"
    )


def _joiner_out_of_place(label: str, position: int) -> bool:
    """Whether the zero-width joiner or non-joiner at `position` in `label` is where no script
    joins with it (CONTEXTJ, RFC 5892). One after a character Python's Unicode data does not
    know, which may be a virama, is kept, as browsers keep one after a virama."""
    try:
        return not idna.valid_contextj(label, position)
    except ValueError:  # idna found no Unicode name for the character before it
        return False


def _ipv4_number(part: str) -> int | None:
    """The number a part of an IPv4 address stands for, as browsers read it (decimal, hex after
    "0x", octal after "0"), or None if it is none."""
    number = IPV4_NUMBER_RE.fullmatch(part)
    if not number:
        return None
    hex_digits, octal_digits, decimal_digits = number.groups()
    digits, base = (
        (hex_digits, 16)
        if hex_digits is not None
        else (octal_digits, 8)
        if octal_digits
        else (decimal_digits, 10)
    )
    digits = digits.lstrip("0")
    # Over 2**32 in any base: out of range, and int() reads no more than 4,300 decimal digits.
    return 2**33 if len(digits) > 11 else int(digits or "0", base)


# One encoder for every post: json.dumps(sort_keys=True) would build a new one per call.
CANONICAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fingerprint(*parts: str) -> str:
    """The sha256 of `parts` (one at least), kept apart by a NUL, which only the last may hold:
    JSON text, and the text of a post's fields as parsed, have none."""
    digest = hashlib.sha256(parts[0].encode("utf-8", "surrogatepass"))
    for part in parts[1:]:
        digest.update(b"\0")
        digest.update(part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def job_payload_hash(raw: dict[str, Any]) -> str:
    """A stable fingerprint of a raw post; `updated_at` alone does not tell what changed.

    An unchanged sync costs this hash and little else, so the description (nine tenths of a
    post's bytes) is hashed as it is rather than re-serialized with the rest: half the time
    (bench/README.md).
    """
    content = raw.get("content")
    if isinstance(content, str):
        raw = {key: value for key, value in raw.items() if key != "content"}
    else:
        content = ""
    return fingerprint(CANONICAL_JSON.encode(raw), content)


def job_content_hash(content_html: str | None, absolute_url: str) -> str:
    """A fingerprint of what a post's description, excerpt and text are read from: its content,
    and its address, which relative links in it are read against (jobs.sanitize). "" for a post
    without readable content, whose job keeps the description it has."""
    return "" if content_html is None else fingerprint(absolute_url, content_html)


def job_id_of(raw: Any) -> int | None:
    """The post's id if it has a usable one; cheap, for the unchanged-post fast path."""
    if not isinstance(raw, dict):
        return None
    job_id = _int_or_none(raw.get("id"))
    return job_id if job_id and job_id > 0 else None


def title_of(raw: Any) -> str:
    """The post's title as a page would show it, or "": to name a post that cannot be read."""
    return (
        _shown_head(one_line(raw.get("title")), TITLE_MAX_LENGTH) if isinstance(raw, dict) else ""
    )


def parse_job(raw: Any, *, payload_hash: str | None = None) -> JobPost:
    """Validate one raw post. Nulls become empty values; a post without id or title is invalid."""
    job_id = job_id_of(raw)
    if job_id is None:
        raise InvalidJob("job post has no valid id")
    full_title = one_line(raw.get("title"))
    title = _shown_head(full_title, TITLE_MAX_LENGTH)
    if not title:
        kept = f" in the {TITLE_MAX_LENGTH} characters kept" if shows_anything(full_title) else ""
        raise InvalidJob(f"job post {job_id} has no title{kept}")
    absolute_url = _address_kept(job_id, address_line(raw.get("absolute_url")))
    content_html = _content_of(job_id, raw)
    location = _of_shape(job_id, raw, "location", dict)
    metadata = _of_shape(job_id, raw, "metadata", list)
    departments = _units_sent(job_id, raw, "departments", kind="department")
    offices = _units_sent(job_id, raw, "offices", kind="office")
    updated_at, first_published_at, dated_ahead = _past_dates_of_post(job_id, raw)
    payload_hash = payload_hash or job_payload_hash(raw)
    return JobPost(
        greenhouse_id=job_id,
        payload_hash=dated_ahead_hash(payload_hash, dated_ahead) if dated_ahead else payload_hash,
        dated_ahead=bool(dated_ahead),
        title=title,
        content_html=content_html,
        content_hash=job_content_hash(content_html, absolute_url),
        internal_job_id=_int_or_none(raw.get("internal_job_id")),
        location_name=_shown_text(location.get("name"), what=f"job post {job_id}: location name")
        if isinstance(location, dict)
        else "",
        absolute_url=absolute_url,
        requisition_id=_requisition_id_of(raw.get("requisition_id")),
        language=_language_of(job_id, raw.get("language")),
        company_name=field_head(one_line(raw.get("company_name")), NAME_MAX_LENGTH),
        updated_at=updated_at,
        first_published_at=first_published_at,
        application_deadline=_date_of_post(
            job_id, raw, "application_deadline", read=_deadline_or_none
        ),
        metadata=_metadata_of(job_id, metadata) if isinstance(metadata, list) else [],
        departments=departments or (),
        offices=offices or (),
        units_not_sent=tuple(
            key
            for key, units in (("departments", departments), ("offices", offices))
            if units is None
        ),
    )


def _address_kept(job_id: int, address: str) -> str:
    """A post's application link as a job keeps it: cut to ADDRESS_MAX_LENGTH as README says,
    at a whole character and escape (address_head: a link cut inside one is broken). A cut is
    logged: the Apply button then leads elsewhere than Greenhouse's (the end of its query left
    out), and nothing else would say why. InvalidJob, logged, if the link is none a browser
    opens (_web_address_problem), or is cut to one of another host (_head_problem). It is read,
    checked and kept with its "\\" before the query as "/", as browsers read it
    (backslashes_as_browsers_read); the log shows it as it came."""
    read = backslashes_as_browsers_read(address)
    problem = _web_address_problem(read) if read else ""
    head = address_head(read, ADDRESS_MAX_LENGTH)
    if not problem and len(head) < len(read):
        problem = _head_problem(read, head)
    if problem:
        # The reason its admins read leaves the address out; the log says which it was.
        logger.warning(
            "job post %s has an application link %s: %s",
            job_id,
            problem,
            _value_shown(address, MAX_ADDRESS_SHOWN),
        )
        raise InvalidJob(f"job post {job_id} has an application link {problem}")
    if len(head) < len(read):
        logger.warning(
            "job post %s: application link over %d characters cut to %d: %s",
            job_id,
            ADDRESS_MAX_LENGTH,
            len(head),
            _value_shown(address, MAX_ADDRESS_SHOWN),
        )
    return head


def _head_problem(address: str, head: str) -> str:
    """What keeps `head`, the start of `address` a job keeps, from standing for it, in words
    that follow "an application link"; "" if nothing does. A cut inside the host name, or the
    user name before it, left a link to another host: "https://aaa….evil.example" of the host
    "aaa….evil.example.jobs.example.com", "https://u…@evil.example" of
    "https://u…@evil.example@jobs.example.com" (its host follows the last "@"), or one no
    browser opens ("https://jobs.example.com:xxx" of "…:xxx…@jobs.example.com", a user name and
    password). So the head is checked as a link sent so is, then for its scheme and netloc."""
    problem = _web_address_problem(head)
    if not problem and urlsplit(head)[:2] != urlsplit(address)[:2]:  # (scheme, netloc)
        problem = "with another host or user name"
    if not problem:
        return ""
    return (
        f"over {ADDRESS_MAX_LENGTH} characters whose first {len(head)}, all a job keeps, "
        f"are a link {problem}"
    )


def jobs_of_payload(payload: Any, *, content_dropped: bool = False) -> list[Any]:
    """The raw posts of a jobs response, or MalformedPayload if the shape is not Greenhouse's.

    A response is applied whole (jobs missing from it are closed, descriptions overwritten), so
    one without a readable id or without the descriptions the sync asked for is refused.
    `content_dropped`: a redirect on the way dropped the request's ?content=true.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("jobs"), list):
        # What came instead tells whoever runs the site an error object from a proxy or an API
        # that changed from a bug here; the message people read cannot.
        logger.warning("greenhouse response has no list of jobs: %s", _shape_of(payload))
        raise MalformedPayload(
            "Greenhouse answered with an unexpected shape (no list of jobs); nothing was changed.",
            http_status=200,
        )
    posts = payload["jobs"]
    # meta.total is not compared to a list of posts: recorded boards trimmed by hand keep the
    # board's own total. But no posts under a total above zero is Greenhouse contradicting
    # itself, not a company that stopped hiring: taken at its word, every job was closed.
    meta = payload.get("meta")
    total = _int_or_none(meta.get("total")) if isinstance(meta, dict) else None
    if not posts and total is not None and total > 0:
        logger.warning("greenhouse response lists no jobs but meta.total=%d", total)
        raise MalformedPayload(
            f"Greenhouse sent no jobs, though it counts {total} on the board; nothing was changed.",
            http_status=200,
        )
    if posts and not any(job_id_of(post) is not None for post in posts):
        sent = (
            "1 job and it had no id" if len(posts) == 1 else f"{len(posts)} jobs and none had an id"
        )
        raise MalformedPayload(
            f"Greenhouse sent {sent} that could be read; nothing was changed.",
            http_status=200,
        )
    if posts and not any(isinstance(post, dict) and "content" in post for post in posts):
        if content_dropped:
            # Greenhouse answered what it was asked: only the address, or a proxy, can change.
            raise MalformedPayload.for_the_site_to_fix(
                "Greenhouse sent the jobs without their descriptions, as it does when not asked "
                "for them: a redirect on the way dropped the request's ?content=true",
                CHECK_THE_ADDRESS,
                http_status=200,
            )
        raise MalformedPayload(
            "Greenhouse sent the jobs without their descriptions (as it does when not asked for "
            "content); nothing was changed.",
            http_status=200,
        )
    return posts


def _shape_of(payload: Any) -> str:
    """A JSON value's type, and an object's first keys and the type of its "jobs", for a log."""
    if not isinstance(payload, dict):
        return type(payload).__name__
    keys = [key[:40] for key in islice(payload, 10)]
    return f"dict keys={keys!r} jobs={type(payload.get('jobs')).__name__}"


def _int_of_json(digits: str) -> int | None:
    """An integer of the JSON text; null if it has more digits than Python reads (4,300).

    Refused, it failed the whole board as "not valid JSON"; as null, an id is missing and a
    metadata value empty, as for any number beyond 64 bits.
    """
    try:
        return int(digits)
    except ValueError:
        return None


def json_of_body(body: bytearray, *, content_type: str, answer_fields: str) -> Any:
    """The parsed JSON of a 200 response, or MalformedPayload. Empties `body` as it goes.
    `content_type`, the response's Content-Type, tells a web page or XML from a board cut off;
    `answer_fields` (_answer_fields) name who answered, in the log line of one that is not JSON."""
    size = len(body)
    text = ""
    try:
        text = body.decode("utf-8")
        body.clear()  # a large board's bytes need not stay in memory while its text is parsed
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise
        except ValueError:
            # Valid JSON with an integer longer than int() reads. Read again, those as null;
            # only then, as a Python call per integer costs a large board 5% more parsing.
            return json.loads(text, parse_int=_int_of_json)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # Recursion: nested too deep
        # The text, or the bytes as they came if they are not UTF-8.
        answered = _what_not_json_is(content_type, text or body)
        not_utf8 = not answered and _not_utf8(exc, text)
        # The parser's words, the size and the Content-Type tell a cut-off board from an HTML
        # page, an XML one or an empty answer, which the message people read does not; the
        # addresses and the answering server, a captive portal or a proxy from Greenhouse.
        logger.warning(
            "greenhouse response is %s %s bytes=%d content_type=%r error=%s",
            "not UTF-8 text" if not_utf8 else "not valid JSON",
            answer_fields,
            size,
            content_type[:100],
            exc,
        )
        if answered:
            # A captive portal's, a proxy's or a maintenance page, an XML error or nothing, sent
            # as a 200: "cut off" sent people looking at the board, which is not what came.
            raise NotJsonAnswer.of(answered) from None
        if not_utf8:
            # A board in UTF-16 or Latin-1 was "maybe cut off" too, sending people to look at
            # how much came, when all of it had.
            raise MalformedPayload(
                "Greenhouse sent a response that is not UTF-8 text (Greenhouse sends its boards "
                "in UTF-8); nothing was changed.",
                http_status=200,
            ) from None
        raise MalformedPayload(
            "Greenhouse sent a response that is not valid JSON (it may have been cut off); "
            "nothing was changed.",
            http_status=200,
        ) from None


def _not_utf8(error: Exception, text: str) -> bool:
    """Whether a body that failed to read as JSON, with `error`, is text in another encoding
    than UTF-8, which Greenhouse sends (`text`: the body read as UTF-8, if it could be): bytes
    UTF-8 cannot read (a Latin-1 "é", a UTF-16 byte order mark) but a character cut at its very
    end, as a body cut off may be; or a NUL among its first characters, as UTF-16 and UTF-32
    write the ASCII that JSON opens with ("{", a blank) and UTF-8 never does."""
    if isinstance(error, UnicodeDecodeError):
        return error.reason != "unexpected end of data"
    return "\x00" in text[:4]


def _what_not_json_is(content_type: str, received: str | bytearray) -> str:
    """What a response that is not JSON plainly is instead, in words that follow "answered
    with": nothing (empty, or blank), a web page or an XML document, as its Content-Type says
    or, said to be something else, as it opens: with "<?xml" (and no <html> after it) or
    another tag. "" if it may be JSON cut off or garbled."""
    if not received or received.isspace():
        return "nothing (an empty response)"
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type in HTML_MEDIA_TYPES:
        return "a web page"
    if media_type in XML_MEDIA_TYPES or media_type.endswith("+xml"):
        return "an XML document"
    head = received[:NOT_JSON_HEAD_CHARS]
    head = (head if isinstance(head, str) else head.decode("latin-1")).lstrip().lower()
    if head.startswith("<?xml") and "<html" not in head:
        return "an XML document"
    return "a web page" if head.startswith("<") else ""


@dataclass
class JobsResponse:
    """A jobs response as received. posts() parses it, once: it frees the bytes as it reads."""

    fingerprint: str  # sha256 of the bytes: the same bytes always apply the same way
    body: bytearray
    etag: str = ""  # the board's ETag, if Greenhouse sent one that can be sent back
    # "304 Not Modified": the board is the one whose ETag was sent (no body, no fingerprint).
    not_modified: bool = False
    content_dropped: bool = False  # a redirect on the way dropped ?content=true
    content_type: str = ""  # the response's Content-Type header
    # Who answered, for a log line (_answer_fields): its addresses may hold a proxy's password,
    # which only the logger masks.
    answer_fields: str = field(default="", repr=False)

    def posts(self) -> list[Any]:
        payload = json_of_body(
            self.body, content_type=self.content_type, answer_fields=self.answer_fields
        )
        return jobs_of_payload(payload, content_dropped=self.content_dropped)


# --- HTTP -----------------------------------------------------------------------------------


class _Answer(NamedTuple):
    """A response as read: its status, headers and body, the address it came from (the one
    asked, or the last redirect's) and whether a redirect led there."""

    body: bytearray
    status: int
    headers: requests.structures.CaseInsensitiveDict
    url: str
    redirected: bool


# The time.monotonic() by which the fetch under way in this thread must end. requests and urllib3
# make the connections and retries that read it, out of reach of any argument.
_fetch_deadline: ContextVar[float] = ContextVar("greenhouse_fetch_deadline", default=math.inf)


@contextmanager
def _fetch_ends_by(deadline: float) -> Iterator[None]:
    token = _fetch_deadline.set(deadline)
    try:
        yield
    finally:
        _fetch_deadline.reset(token)


# What urllib3 raises for a Retry-After it cannot read: not a number or date, or a date that
# does not exist.
UNREADABLE_RETRY_AFTER = (urllib3.exceptions.InvalidHeader, ValueError, OverflowError)
# Over 30 years of seconds: a Retry-After of more digits is cut to as many, as far past urllib3's
# cap (6 hours), to which it reads any longer wait.
MAX_RETRY_AFTER_DIGITS = 9


class CappedRetry(Retry):
    """urllib3's Retry, but a Retry-After longer than GREENHOUSE_MAX_RETRY_AFTER ends the
    retries: the fetch fails with it, and the task asks again once it has passed (jobs.tasks)
    instead of holding a worker and asking Greenhouse sooner than it said. So does a wait
    that would end past the fetch's deadline."""

    def get_retry_after(self, response: Any) -> float | None:
        # Unreadable is None, where urllib3 would raise.
        return _seconds_or_none(response.headers.get("Retry-After"))

    def increment(
        self, method: str | None = None, url: str | None = None, response: Any = None, **kwargs: Any
    ) -> Retry:
        # Any answer's: urllib3 waits for a 500's, 502's or 504's Retry-After as for a 429's.
        if (
            response is not None
            and (self.get_retry_after(response) or 0) > settings.GREENHOUSE_MAX_RETRY_AFTER
        ):
            # With raise_on_status=False, urllib3 hands this response back as the last one.
            raise MaxRetryError(kwargs.get("_pool"), url or "", reason=None)
        retry = super().increment(method, url, response=response, **kwargs)
        # The longest wait before the next try, as sleep() takes it: the backoff and up to all of
        # its jitter, drawn there, but only for a backoff at all (none before the first retry).
        # get_backoff_time() draws a jitter too, which the longest wait would count twice.
        retry_after = self.get_retry_after(response) if response is not None else None
        backoff = retry.new(backoff_jitter=0.0).get_backoff_time()
        wait = retry_after or (
            min(retry.backoff_max, backoff + self.backoff_jitter) if backoff else 0
        )
        if time.monotonic() + wait >= _fetch_deadline.get():
            # A try then could not finish by the deadline; the error or answer at hand is the
            # fetch's. Waited for, it held a sync seconds past the deadline to fail anyway.
            raise MaxRetryError(kwargs.get("_pool"), url or "", reason=kwargs.get("error"))
        return retry


class _DeadlineSocketReader(io.RawIOBase):
    """A socket's reads, each given its read timeout or the time left to the fetch's deadline,
    whichever is shorter. urllib3's timeouts (its Timeout.total too) are per socket operation:
    a server sending a byte every few seconds, of the headers or of the body, held a fetch for
    as long as it liked."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock
        self._reads = sock.makefile("rb", buffering=0)
        self._read_timeout = sock.gettimeout()  # urllib3 has just set it
        self._deadline = _fetch_deadline.get()

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._sock.fileno()

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the fetch's deadline has passed")
        self._sock.settimeout(min(left, self._read_timeout or math.inf))
        return self._reads.readinto(buffer)

    def close(self) -> None:
        self._reads.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's response, its status line, headers and body read by the fetch's deadline."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # http.client's own reader of the socket, unused
        self.fp = io.BufferedReader(_DeadlineSocketReader(sock))


class _DeadlineHTTPConnection(HTTPConnection):
    """A connection that connects, and reads its responses, by the fetch's deadline."""

    response_class = _DeadlineResponse

    def connect(self) -> None:
        left = _fetch_deadline.get() - time.monotonic()
        if left <= 0:  # a redirect followed at the deadline
            raise ConnectTimeoutError(self, "No time was left to connect to Greenhouse.")
        # Python bounds the TCP connect and the whole TLS handshake by the socket's timeout.
        self.timeout = min(left, self.timeout or math.inf)
        super().connect()


class _DeadlineHTTPSConnection(_DeadlineHTTPConnection, HTTPSConnection):
    pass


class _DeadlineHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


DEADLINE_POOLS: dict[type[HTTPConnectionPool], type[HTTPConnectionPool]] = {
    HTTPConnectionPool: _DeadlineHTTPConnectionPool,
    HTTPSConnectionPool: _DeadlineHTTPSConnectionPool,
}


def _keep_to_deadlines(manager: PoolManager) -> None:
    # A new dict: urllib3's default is shared by every PoolManager. Pools of other kinds (SOCKS
    # proxies) are left as they are.
    manager.pool_classes_by_scheme = {
        scheme: DEADLINE_POOLS.get(pool_class, pool_class)
        for scheme, pool_class in manager.pool_classes_by_scheme.items()
    }


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter, whose connections, direct or through an HTTP proxy, end every read by
    the deadline of the fetch under way (_fetch_ends_by)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _keep_to_deadlines(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _keep_to_deadlines(manager)
        return manager


def make_session(*, retries: int | None = None) -> requests.Session:
    retries = settings.GREENHOUSE_RETRIES if retries is None else retries
    retry = CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=settings.GREENHOUSE_RETRY_BACKOFF,
        backoff_jitter=settings.GREENHOUSE_RETRY_BACKOFF / 2,
        status_forcelist=RETRYABLE_STATUSES,
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    adapter = DeadlineAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = settings.GREENHOUSE_USER_AGENT
    session.headers["Accept"] = "application/json"
    return session


class GreenhouseClient:
    """The one way this project calls Greenhouse: timeouts, retries and size caps always apply."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        session: requests.Session | None = None,
        answer_within: float | None = None,
    ):
        """`answer_within`: seconds a person waits for this client's answer (no retries, the
        read and total timeouts capped), where a sync in a worker may take minutes."""
        self.base_url = (base_url or settings.GREENHOUSE_API_BASE).rstrip("/")
        self.session = session or make_session(retries=0 if answer_within else None)
        self.answer_within = answer_within

    def fetch_board(self, token: str) -> Board:
        """GET /boards/{token}: proves the token exists and reads the board's name."""
        payload = self._get_json(token, "")
        if not isinstance(payload, dict):
            logger.warning("greenhouse board response is no object: %s", _shape_of(payload))
            raise MalformedPayload(
                "Greenhouse answered with an unexpected shape for the board.", http_status=200
            )
        # A name that shows nothing is no name: pages fall back to the token.
        return Board(token=token, name=_shown_head(one_line(payload.get("name")), NAME_MAX_LENGTH))

    def fetch_jobs(self, token: str) -> list[Any]:
        """GET /boards/{token}/jobs?content=true: the raw posts, shape-checked at the top level."""
        return self.fetch_jobs_response(token).posts()

    def fetch_jobs_response(self, token: str, *, if_none_match: str = "") -> JobsResponse:
        """The jobs response, fingerprinted but not parsed yet: a sync that has applied the
        same bytes before need not parse them again. With `if_none_match`, the ETag of a board
        applied before, Greenhouse may answer that the board is still that one (not_modified),
        without sending it."""
        token = validate_board_token(token)
        answer = self._get_body(
            token, "/jobs", params={"content": "true"}, if_none_match=if_none_match
        )
        if answer.status == 304:
            return JobsResponse(fingerprint="", body=answer.body, not_modified=True)
        return JobsResponse(
            fingerprint=hashlib.sha256(answer.body).hexdigest(),
            body=answer.body,
            etag=etag_of(answer.headers),
            content_dropped="true" not in parse_qs(urlsplit(answer.url).query).get("content", []),
            content_type=answer.headers.get("Content-Type", ""),
            answer_fields=_answer_fields(self._board_url(token, "/jobs"), answer),
        )

    def _get_json(self, token: str, suffix: str, params: dict[str, str] | None = None) -> Any:
        token = validate_board_token(token)
        answer = self._get_body(token, suffix, params)
        return json_of_body(
            answer.body,
            content_type=answer.headers.get("Content-Type", ""),
            answer_fields=_answer_fields(self._board_url(token, suffix), answer),
        )

    def _board_url(self, token: str, suffix: str) -> str:
        """The address asked for `suffix` of the board `token` (validated), less the query."""
        return f"{self.base_url}/boards/{quote(token, safe='')}{suffix}"

    def _get_body(
        self,
        token: str,
        suffix: str,
        params: dict[str, str] | None = None,
        *,
        if_none_match: str = "",
    ) -> _Answer:
        """A 200, or a 304 when `if_none_match` was sent; any other answer raises."""
        board_path = f"/boards/{quote(token, safe='')}{suffix}"
        url = self._board_url(token, suffix)
        request_headers = {"If-None-Match": if_none_match} if if_none_match else {}
        answer = self._get(url, params, request_headers)
        status, headers = answer.status, answer.headers
        if status == 304 and if_none_match:
            return answer
        if status == 304:
            # Nothing was sent to compare with: a cache on the way, or a Greenhouse bug. A 3xx
            # with nowhere to go, as below: "try again in a minute" left a cache that keeps
            # answering so to an org's admins, who cannot see to it.
            logger.warning(
                "greenhouse answered 304 Not Modified to a request without a validator url=%s%s",
                url,
                _redirect_led_to(answer.url, redirected=answer.redirected),
            )
            raise NeitherBoardNorError.of(status)
        # Asked outside the API (api_base_problem), Greenhouse knows no board, wherever a
        # redirect then led: GREENHOUSE_API_BASE is the cause to name.
        base_problem = api_base_problem(self.base_url)
        if status in (404, 410) and base_problem:
            raise self._missing_outside_the_api(token, url, answer, base_problem)
        # Only the board's own address, however reached (http to https, another host), says
        # whether Greenhouse knows the board, and answers with the board: another board's jobs,
        # read as this one's, closed every job of the org for them.
        answered_elsewhere = not urlsplit(answer.url).path.rstrip("/").endswith(board_path)
        if status in (200, 404, 410) and answered_elsewhere and answer.redirected:
            raise self._redirected_away(url, answer)
        if status == 404:
            raise BoardNotFound(
                f"Greenhouse has no job board with the token “{token}”. {_check_the_token(token)}",
                http_status=404,
            )
        if status == 410:
            # Gone "likely for good" (RFC 9110), as a 404's board: only a change in Greenhouse,
            # or of the token here, can help, not the task's retries minutes apart.
            raise BoardNotFound(
                f"Greenhouse says the job board “{token}” is gone (HTTP 410): it was taken down "
                f"or its token changed. {_check_the_token(token)}",
                http_status=410,
            )
        retry_after = _seconds_or_none(headers.get("Retry-After"))
        if status == 429:
            raise RateLimited(
                f"Greenhouse is rate limiting requests{_retried_after(retry_after)}",
                retry_after=retry_after,
            )
        # A 408 is a server or proxy that gave up waiting for the request (some send it on a
        # kept-alive connection they close as idle): it passes, as a 5xx does.
        if status >= 500 or status == HTTPStatus.REQUEST_TIMEOUT:
            raise Unavailable(
                f"Greenhouse is having trouble (HTTP {status}){_retried_after(retry_after)}",
                http_status=status,
                retry_after=retry_after,
            )
        if status in REFUSED_STATUSES:
            raise self._access_refused(token, url, answer)
        if 400 <= status < 500:
            raise self._unexpected_client_error(token, url, answer)
        if status != 200:
            # A 2xx but 200, or a 3xx with nowhere to go: the board API gives neither, so a
            # proxy on the way, or an address that is not the API's, most likely did.
            _log_answer(
                "answered with neither the board nor an error",
                url,
                answer,
                reason="the board API answers a board's address with the board or an error status",
            )
            raise NeitherBoardNorError.of(status)
        # RFC 8259 lets a reader ignore a byte order mark, which the JSON reader refuses: left
        # in, it failed the board as not JSON. Gone before the fingerprint, the board with one
        # is the board without. A bytearray drops its head without moving the rest.
        if answer.body.startswith(codecs.BOM_UTF8):
            del answer.body[: len(codecs.BOM_UTF8)]
        return answer

    def _get(self, url: str, params: dict[str, str] | None, headers: dict[str, str]) -> _Answer:
        cap = self.answer_within or math.inf
        timeout = (
            min(settings.GREENHOUSE_CONNECT_TIMEOUT, cap),
            min(settings.GREENHOUSE_READ_TIMEOUT, cap),
        )
        total = min(settings.GREENHOUSE_TOTAL_TIMEOUT, cap)
        deadline = time.monotonic() + total
        limit = settings.GREENHOUSE_MAX_RESPONSE_BYTES

        # The status of the answer whose body is being read, for the failures of its body: the
        # sync history gives the status of every answer that came.
        status: int | None = None
        # And where a redirect led, for the lines of those failures (_redirect_led_to).
        led_to = ""

        def timed_out() -> GreenhouseTimeout:
            if time.monotonic() < deadline:
                return GreenhouseTimeout(
                    f"Greenhouse did not answer in time; {WILL_TRY_AGAIN}", http_status=status
                )
            # Greenhouse, or something on the way, sending a byte at a time: worth knowing.
            logger.warning(
                "greenhouse request passed its %gs deadline url=%s%s", total, url, led_to
            )
            return GreenhouseTimeout(
                f"Greenhouse took too long to send the board; {WILL_TRY_AGAIN}",
                http_status=status,
            )

        # The statuses of the answers that came, redirects included: a ValueError after one is
        # a redirect's, before any the environment's proxy setting (requests cannot use it).
        answered: list[int] = []

        def note_answer(answer: requests.Response, **_: Any) -> None:
            answered.append(answer.status_code)
            if answer.is_redirect:
                self._redirect_body_drop(url, answer)

        try:
            # Every read, of every response (redirects, retries) and of its headers too, ends by
            # the deadline: a settings page waits on it, under gunicorn's timeout.
            with (
                _fetch_ends_by(deadline),
                self.session.get(
                    url,
                    params=params,
                    headers=headers,
                    timeout=timeout,
                    stream=True,
                    hooks={"response": note_answer},
                ) as response,
            ):
                status = response.status_code
                led_to = _redirect_led_to(response.url, redirected=bool(response.history))
                declared = response.headers.get("Content-Length", "")
                if _declared_over(declared, limit):
                    raise self._too_large(url, status, declared, 0, led_to=led_to)
                # One growing buffer, not a list of chunks joined at the end: a large board
                # is then held once, not twice, while it arrives (bench/README.md).
                body = bytearray()
                try:
                    # read1 returns whatever has arrived; iter_content waits for a whole chunk.
                    while chunk := response.raw.read1(256 * 1024, decode_content=True):
                        body += chunk
                        if len(body) > limit:
                            raise self._too_large(url, status, declared, len(body), led_to=led_to)
                except urllib3.exceptions.ProtocolError as exc:  # the body stopped short
                    raise self._cut_off(url, status, declared, len(body), exc, led_to) from None
                # Only the board's body is read: another status says what it says, whole or not.
                if status == 200 and _inflated_short(response.raw):
                    encoding = response.headers.get("Content-Encoding", "")
                    unfinished = f"{encoding[:40]} stream unfinished"
                    raise self._cut_off(url, status, declared, len(body), unfinished, led_to)
                return _Answer(body, status, response.headers, response.url, bool(response.history))
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            if _is_timeout(exc):
                raise timed_out() from None
            if _is_not_http(exc):
                raise self._led_astray(url, exc, "answered in something that is not HTTP") from None
            # The message cannot tell a refused connection from an unknown host or a certificate
            # that does not verify; whoever runs the site needs to.
            logger.warning("greenhouse connection failed url=%s error=%r", url, exc)
            raise Unavailable(
                f"Could not reach Greenhouse (connection failed); {WILL_TRY_AGAIN}"
            ) from None
        except urllib3.exceptions.ReadTimeoutError:
            raise timed_out() from None
        except urllib3.exceptions.DecodeError as exc:
            # Content-Encoding says gzip or deflate, the bytes are not: read as a failed request,
            # the settings page said Greenhouse could not be reached.
            logger.warning(
                "greenhouse response could not be decompressed url=%s%s error=%r", url, led_to, exc
            )
            raise MalformedPayload(
                "Greenhouse sent a response that could not be decompressed; nothing was changed.",
                http_status=status,
            ) from None
        except requests.exceptions.TooManyRedirects as exc:
            raise self._led_astray(url, exc, "redirected the request in a loop") from None
        except ValueError as exc:
            # A redirect to an address that is not http(s) (requests' InvalidSchema is a
            # ValueError) or that urllib cannot read ("http://[::1"), which requests lets through
            # as it is: that failed a sync as an internal error and the settings page with a
            # 500. The address the site asks at is checked at startup (orgsite.env.env_url).
            # A user name or password requests cannot encode is no redirect's fault, though it
            # may fail only after one (the proxy's of the scheme it led to): _request_failed
            # names it.
            if answered and not _credentials_unsendable_named(url, exc)[0]:
                raise self._led_astray(
                    url, exc, "redirected the request to an address this site cannot follow"
                ) from None
            # Before any answer: a proxy setting requests cannot use (HTTPS_PROXY without a
            # host, ALL_PROXY=socks5://… without PySocks), which no redirect is to blame for.
            raise _request_failed(url, exc) from None
        except TypeError as exc:
            # requests' own for a proxy with a user name and no host ("http://sync:pw@"): it
            # joins the name to the host it read as None. orgsite.W008 warns of that proxy; any
            # other TypeError is a bug, left to crash the sync with its traceback.
            _, proxy = environment_proxy(url)
            if not (proxy and proxy_unusable(proxy)):
                raise
            raise _request_failed(url, exc) from None
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise _request_failed(url, exc) from None

    @staticmethod
    def _led_astray(url: str, exc: Exception, what: str) -> LedAstray:
        """Greenhouse's address did `what`, leading nowhere (a redirect loop, an answer that is
        not HTTP): a proxy on the way, or an address that is no longer Greenhouse's, may do so
        as well as Greenhouse."""
        logger.warning("greenhouse address %s url=%s error=%s", what, url, _error_named(exc))
        return LedAstray.doing(what)

    @staticmethod
    def _redirected_away(url: str, answer: _Answer) -> LedAstray:
        """A 200, 404 or 410 of an address a redirect led to, away from the board's: the
        board's own address said neither that the board is missing (the token may well be
        right) nor what it holds (a 200 may be another board's), and the redirect
        (GREENHOUSE_API_BASE, or a proxy on the way) is what needs a look."""
        missing = answer.status != 200
        _log_answer(
            "redirect led to a missing page" if missing else "redirect led away from the board",
            url,
            answer,
            reason="only the board's own address says if the board exists, and what it holds",
        )
        path = _path_shown(urlsplit(answer.url).path)
        answered = (
            f"which answered HTTP {_status_text(answer.status)}"
            if missing
            else "which is not the job board's address"
        )
        return LedAstray.doing(
            f"redirected the request to {path}, {answered}", http_status=answer.status
        )

    @staticmethod
    def _missing_outside_the_api(
        token: str, url: str, answer: _Answer, base_problem: str
    ) -> MisdirectedRequest:
        """A board's 404 or 410 at an address the API's are not under (api_base_problem):
        Greenhouse knows no board there, so the address, not the token, is the likelier cause,
        and every org's board would be said to be missing until it is set right."""
        _log_answer(
            "knows no board at an address not the board API's",
            url,
            answer,
            reason=f"GREENHOUSE_API_BASE {base_problem}",
        )
        return MisdirectedRequest.for_the_site_to_fix(
            f"Greenhouse found no job board “{token}” (HTTP {_status_text(answer.status)})",
            "set GREENHOUSE_API_BASE to the Job Board API's address, "
            "https://boards-api.greenhouse.io/v1",
            why="The address this site asks Greenhouse at, rather than the token, is most likely "
            f"the cause: it {base_problem}.",
            http_status=answer.status,
        )

    def _access_refused(self, token: str, url: str, answer: _Answer) -> AccessRefused:
        host = urlsplit(self.base_url).hostname
        status_shown = _status_text(answer.status)
        _log_answer(
            "request refused",
            url,
            answer,
            reason="the board API needs no credentials, so a proxy or firewall on the way most "
            "likely refused it",
        )
        return AccessRefused.for_the_site_to_fix(
            f"The request for the job board “{token}” was refused (HTTP {status_shown})",
            f"check that this site's server may reach {host}",
            why=REFUSED_ON_THE_WAY,
            http_status=answer.status,
        )

    @staticmethod
    def _unexpected_client_error(token: str, url: str, answer: _Answer) -> MisdirectedRequest:
        """A 4xx that Greenhouse's board API does not give (not 401, 403, 404, 410 or 429) and
        that does not pass (not 408): the site builds the request itself from
        GREENHOUSE_API_BASE and a checked token, so the address, or a proxy on the way, is the
        likelier cause than the board."""
        _log_answer(
            "answered with an unexpected client error",
            url,
            answer,
            reason="the board API answers a board's address with the board, 404 or 410",
        )
        return MisdirectedRequest.for_the_site_to_fix(
            f"Greenhouse's address answered the request for the job board “{token}” with HTTP "
            f"{_status_text(answer.status)}",
            CHECK_THE_ADDRESS,
            why="This site builds that request the same way for every board, so the cause is "
            "most likely on its side, not the board's.",
            http_status=answer.status,
        )

    @classmethod
    def _redirect_body_drop(cls, url: str, redirect: requests.Response) -> None:
        """Read a redirect's body and drop it, or ResponseTooLarge past the cap: requests reads
        it whole, in memory, before it follows the redirect, past any cap (one of 600 MB took a
        worker to 1.3 GB). It then finds none left to read."""
        limit = settings.GREENHOUSE_MAX_RESPONSE_BYTES
        bytes_read = 0
        with suppress(urllib3.exceptions.ProtocolError):  # cut off: none of it was to be kept
            while chunk := redirect.raw.read1(256 * 1024, decode_content=False):
                bytes_read += len(chunk)
                if bytes_read > limit:
                    redirect.close()
                    declared = redirect.headers.get("Content-Length", "")
                    raise cls._too_large(url, redirect.status_code, declared, bytes_read)

    @staticmethod
    def _cut_off(
        url: str, status: int, declared: str, bytes_read: int, why: object, led_to: str
    ) -> MalformedPayload:
        """A body that stopped short: how much came, of how much was due, and `why` (the
        connection closed or was reset, a chunk was garbled, a compressed stream did not end)
        tell a proxy's timeout from a Greenhouse bug. `led_to`: as _too_large's."""
        logger.warning(
            "greenhouse response was cut off url=%s%s bytes_read=%d content_length=%.100r error=%r",
            url,
            led_to,
            bytes_read,
            declared,
            why,
        )
        return MalformedPayload(
            "Greenhouse's response was cut off before it was complete; nothing was changed.",
            http_status=status,
        )

    @staticmethod
    def _too_large(
        url: str, status: int, declared: str, bytes_read: int, *, led_to: str = ""
    ) -> ResponseTooLarge:
        """`led_to`: the final_url= field of the answer read, if a redirect led to it."""
        limit = settings.GREENHOUSE_MAX_RESPONSE_BYTES
        # Which board, and how large it said it was: how far the limit would have to go.
        logger.warning(
            "greenhouse response over the size cap limit=%d url=%s%s content_length=%.100r "
            "bytes_read=%d",
            limit,
            url,
            led_to,
            declared,
            bytes_read,
        )
        return ResponseTooLarge.for_the_site_to_fix(
            f"Greenhouse's response is larger than this site accepts ({limit:,} bytes)",
            "raise that limit (GREENHOUSE_MAX_RESPONSE_BYTES)",
            http_status=status,
        )


def _declared_over(declared: str, limit: int) -> bool:
    """Whether a Content-Length, `declared`, says more than `limit` bytes. Measured by its
    digits before int() reads them (_significant_digits): int()'s ValueError on thousands of
    them was read as a redirect this site cannot follow."""
    digits = _significant_digits(declared)
    return digits is not None and (len(digits) > len(str(limit)) or int(digits) > limit)


def _inflated_short(raw: urllib3.HTTPResponse) -> bool:
    """Whether urllib3 inflated the body it read (Content-Encoding gzip or deflate) from a
    compressed stream that did not reach its end: a Content-Length shorter than the stream ends
    the read with nothing missing to the transport, and the inflater, left with part of a
    header or block, gives none of it (the few bytes of a board so cut were read as an empty
    answer, "answered with nothing"). urllib3 keeps its inflaters private: one kept otherwise by
    a later urllib3 reads as finished, as every stream did before."""
    if not raw.tell():  # not a byte came: an empty answer, not one cut short
        return False
    decoder = getattr(raw, "_decoder", None)
    for inflater in getattr(decoder, "_decoders", [decoder]):  # several: "gzip, deflate"
        # Gzip past its first member's end: urllib3 reads what follows as another member, or
        # drops it as trailing bytes, as other clients do.
        if getattr(inflater, "_state", GzipDecoderState.FIRST_MEMBER) != (
            GzipDecoderState.FIRST_MEMBER
        ):
            continue
        if not getattr(getattr(inflater, "_obj", None), "eof", True):
            return True
    return False


def _retried_after(retry_after: float | None) -> str:
    """How a passing failure's message goes on after what failed: with Greenhouse's Retry-After,
    how long it asked to wait, which no sync but sync_jobs's asks again within: the task's
    retry waits for it, or leaves a long one to the schedule, which waits it out (jobs.sync)."""
    if retry_after is None:
        return f"; {WILL_TRY_AGAIN}"
    # wait_in_words() says "a minute" of 10 seconds too, and the retry comes sooner than that.
    asked = "a minute or less" if retry_after <= 60 else wait_in_words(retry_after)
    return f" and asked to wait {asked}; the sync will try again after that."


def _request_failed(url: str, exc: Exception) -> GreenhouseError:
    """The error of a request that failed before any answer to it (or, for its credentials,
    after a redirect): one naming the variable whose user name or password requests could not
    send, and its fix, where the message said only that the request failed."""
    logger.warning("greenhouse request failed url=%s error=%s", url, _error_named(exc))
    unsendable, part = _credentials_unsendable_named(url, exc)
    if unsendable:
        return CredentialsUnsendable.for_the_site_to_fix(
            "The request to Greenhouse could not be sent",
            CREDENTIALS_UNSENDABLE_FIX.format(name=unsendable, part=part),
            why=f"The address in {unsendable} {CREDENTIALS_UNSENDABLE.format(part=part)}.",
        )
    return Unavailable(f"The request to Greenhouse failed; {WILL_TRY_AGAIN}")


def _credentials_unsendable_named(url: str, exc: Exception) -> tuple[str, str]:
    """The variable whose credentials `exc` failed to encode, and which of them
    (unsendable_credentials_named), or two "" when it is not that."""
    if isinstance(exc, UnicodeEncodeError):
        return unsendable_credentials_named(url)
    return "", ""


def _error_named(exc: Exception) -> str:
    """`exc` as its repr names it, but a text that cannot be encoded without the text: requests
    encodes the password of GREENHOUSE_API_BASE or of the proxy in Latin-1, and its error for
    one with another character ("€") held the whole password, where no masking finds it."""
    if isinstance(exc, UnicodeEncodeError):
        return f"{type(exc).__name__}({exc.encoding!r}, {exc.reason!r})"
    return repr(exc)


def _log_answer(what: str, url: str, answer: _Answer, *, reason: str) -> None:
    """A line of `answer` to a request for `url`, and of the address a redirect led to, if one
    did."""
    logger.warning(
        "greenhouse %s status=%d %s reason=%s",
        what,
        answer.status,
        _answer_fields(url, answer),
        reason,
    )


def _answer_fields(url: str, answer: _Answer) -> str:
    """The fields of a log line naming who answered a request for `url` with `answer`: the
    address asked, the one a redirect led to if one did, and the answering server."""
    # Server and Via tell whoever runs the site which machine on the way answered.
    server, via = (answer.headers.get(name, "")[:100] for name in ("Server", "Via"))
    led_to = _redirect_led_to(answer.url, redirected=answer.redirected)
    return f"url={url}{led_to} server={server!r} via={via!r}"


def _redirect_led_to(final_url: str, *, redirected: bool) -> str:
    """The field of a log line naming the address an answer came from, `final_url`, when a
    redirect led there (the address asked is named as url=): "" when none did. The logger masks
    a password in it, as in the address asked."""
    return f" final_url={final_url}" if redirected else ""


def _status_text(status: int) -> str:
    """The status and its phrase, "405 Method Not Allowed"; only the number for one without."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def etag_of(headers: requests.structures.CaseInsensitiveDict) -> str:
    """The response's ETag, or "" for none or one that cannot be sent back as it came (two
    ETag headers read as one, joined by a comma, are neither): the board is then read whole
    each time, as without ETags."""
    etag = headers.get("ETag", "")
    return etag if len(etag) <= MAX_ETAG_LENGTH and ETAG_RE.fullmatch(etag) else ""


def _is_timeout(exc: requests.exceptions.RequestException) -> bool:
    """With a Retry mounted, requests wraps a read timeout in ConnectionError(MaxRetryError)."""
    if isinstance(exc, requests.exceptions.Timeout):
        return True
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    # urllib3 2 makes a refused connection or an unknown host a ConnectTimeoutError too.
    return isinstance(reason, urllib3.exceptions.TimeoutError) and not isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )


def _is_not_http(exc: requests.exceptions.ConnectionError) -> bool:
    """Whether something answered, but in a status line or headers http.client cannot read. A
    connection closed before any answer (RemoteDisconnected) is one that failed."""
    error = exc.args[0] if exc.args else None
    error = getattr(error, "reason", error)  # a MaxRetryError's, with a Retry mounted
    is_protocol_error = isinstance(error, urllib3.exceptions.ProtocolError)
    cause = error.args[-1] if is_protocol_error and error.args else None
    return isinstance(cause, http.client.HTTPException) and not isinstance(
        cause, http.client.RemoteDisconnected
    )


def _seconds_or_none(value: str | None) -> float | None:
    """Retry-After in seconds, from a number of seconds or an HTTP date; None if unreadable."""
    if not value:
        return None
    # urllib3's int() refuses over 4,300 digits, zeros counted: such a wait was read as none.
    if (digits := _significant_digits(value.strip())) is not None:
        value = digits[:MAX_RETRY_AFTER_DIGITS]
    try:
        return Retry().parse_retry_after(value)
    except UNREADABLE_RETRY_AFTER:  # "2.5", "-5", a date in year 10000: as if absent
        return None
