"""Read settings from environment variables, failing loudly on a value that makes no sense."""

import difflib
import logging
import math
import os
import pwd
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import NoReturn
from urllib.parse import SplitResult, parse_qs, parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from jobs.text import shows_anything
from orgsite.logging import JsonFormatter

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_URL_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
# dj_database_url's names for Django's PostgreSQL backend (postgis needs GDAL, which is not here).
_POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}
_POSTGRES_EXAMPLE = "postgres://USER:PASSWORD@HOST:5432/DBNAME"
# The query names psycopg reads that a URL has a place for, each with that place.
_POSTGRES_QUERY_NAMES = {
    **dict.fromkeys(
        ("user", "password"), f"put the user name and password before the host: {_POSTGRES_EXAMPLE}"
    ),
    "dbname": f"put it in the path: {_POSTGRES_EXAMPLE}",
}
# The query names of a PostgreSQL URL that are no libpq keyword and still work: the options
# Django's backend reads itself (its PostgreSQL notes) and the one dj_database_url turns into
# ?options=-c search_path=…. psycopg fails as it connects on any other that libpq does not know
# ('invalid connection option "sslmod"'), /healthz and each page that reads the database.
_DJANGO_POSTGRES_OPTIONS = (
    "assume_role",
    "isolation_level",
    "pool",
    "prepare_threshold",
    "server_side_binding",
)
_DJ_DATABASE_URL_OPTIONS = ("currentSchema",)
# The query names psycopg takes as its own arguments, not libpq's, that Django sets over them,
# each with how: the site took them for names psycopg fails on, which it does not.
_POSTGRES_OPTIONS_DJANGO_SETS = {
    "autocommit": "Django sets each connection's autocommit itself, on (its AUTOCOMMIT), and "
    "off in each atomic() block",
    "context": "Django hands psycopg its own adapters in its place",
}


# The most of a refused value an error shows: a PORT of thousands of digits filled the screen
# and the log line with it.
_SHOWN_CHARACTERS = 100


def value_shown(value: str | int, written: Callable[[object], str] = repr) -> str:
    """A refused value as an error shows it, here and in settings.py: written out (by repr
    unless told), cut when long."""
    text = written(value)
    if len(text) <= _SHOWN_CHARACTERS:
        return text
    return f"{text[:_SHOWN_CHARACTERS]}…"


# The exit status of a process stopped by a setting refused or a system check's error. gunicorn
# stops when a worker exits with 4 ("App failed to load"), or with 3, which it gives a worker whose
# app raised as it loaded ("Worker failed to boot"); on any other it starts another worker, which
# fails the same way, and so on without end.
REFUSED_SETTINGS_EXIT_STATUS = 4


def settings_loaded_or_exit() -> None:
    """Load Django's settings, as manage.py, the WSGI application and Celery's configuration
    do first. A value the settings refuse stops the process with its message alone, on standard
    error (in JSON with LOG_FORMAT=json), and exit status 4: Django or Celery printed some 30
    lines of traceback above it. Any other error keeps its traceback: it is a bug, not a value
    to change."""
    refusal = settings_refusal()
    if refusal is not None:
        exit_refused(refusal)


def settings_refusal() -> str | None:
    """The message of a value the settings refuse as they load, or None: they loaded."""
    from django.conf import settings  # the caller sets DJANGO_SETTINGS_MODULE first

    try:
        settings.INSTALLED_APPS  # noqa: B018 (read: loads the settings module)
    except ImproperlyConfigured as exc:
        return str(exc)
    return None


def exit_refused(message: str) -> NoReturn:
    """Stop the process on a refused setting's message, as settings_loaded_or_exit does."""
    print(_refusal_written(message), file=sys.stderr)
    sys.exit(REFUSED_SETTINGS_EXIT_STATUS)


def _refusal_written(message: str) -> str:
    """A refused value's message as it stops the process: alone, or with LOG_FORMAT=json a
    CRITICAL line in JSON, as every other line of the process is, for the log collector that
    reads them (no logging is set up: its settings are what failed to load)."""
    if os.environ.get("LOG_FORMAT", "").strip().lower() != "json":  # as the settings read it
        return message
    record = logging.LogRecord("orgsite.settings", logging.CRITICAL, "", 0, message, None, None)
    return JsonFormatter().format(record)


def env_str(name: str, default: str) -> str:
    """The variable's text as set; set but blank reads as unset."""
    return env_given(name) or default


def directory_made(
    path: Path, *, setting: str, private: bool = False, written: bool = False, instead: str = ""
) -> Path:
    """`path`, a directory made if missing (with its parents), that `setting` decides. One this
    process may not make stops it naming the setting, the directory and the account: a traceback
    from deep in the settings named neither, and every command of an account not given the
    directory failed so. `written`: refused too when it is there but this account may not write
    in it. `private`: that, and made for this account alone (0700, as Django's file cache makes
    its own, whose files it unpickles). `instead`: another way out, added to the message."""
    try:
        path.mkdir(mode=0o700 if private else 0o777, parents=True, exist_ok=True)
    except OSError as exc:
        # Of a file or a link in the way, mkdir says only "File exists" or "Not a directory",
        # and no account's rights mend that.
        if in_the_way := _not_a_directory(path, setting=setting):
            raise ImproperlyConfigured(f"{setting}: {in_the_way}{instead}.") from None
        failed = f"cannot make the directory {path}: {exc.strerror or exc}"
    else:
        if not (private or written) or os.access(path, os.W_OK | os.X_OK):
            return path
        failed = f"cannot write in the directory {path}"
    raise ImproperlyConfigured(
        f"{setting}: this process {failed}. The account running it ({running_account()}) must "
        f"be able to write {setting}: make the directory that account's (README, Processes in "
        f"production){instead}."
    )


def _not_a_directory(path: Path, *, setting: str) -> str:
    """What stands where `path`, or a parent of it, goes and is no directory, and what to do of
    it, or "": a file (one left there, or `setting` naming a file), or a symbolic link to one or
    to nothing (a volume not mounted, a directory moved)."""
    there = next((place for place in (path, *path.parents) if os.path.lexists(place)), None)
    if there is None or there.is_dir():
        return ""
    if not there.is_symlink():
        return f"{there} is a file, not a directory: move it away, or set {setting} to another one"
    target = there.parent / os.readlink(there)
    account = running_account()
    if there.exists():
        return (
            f"{there} is a symbolic link to {target}, which is a file, not a directory: link it "
            f"to a directory the account running this process ({account}) may write, or "
            "remove the link"
        )
    return (
        f"{there} is a symbolic link to {target}, which does not exist: make that directory, "
        f"one the account running this process ({account}) may write, or remove the link"
    )


def running_account() -> str:
    """The name of the account this process runs as, for messages that ask for its rights."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid with no name, as in some containers
        return f"uid {os.geteuid()}"


def env_given(name: str) -> str | None:
    """The variable's value, or None when it is unset or set but blank (as env files often
    leave it): where a setting has a default, blank stands for it."""
    raw = os.environ.get(name, "")
    return raw if raw.strip() else None


# Control characters (line breaks among them), line and paragraph separators, and lone
# surrogates: Python's stand-ins for bytes in the environment that are not UTF-8.
_NOT_IN_A_LINE = {"Cc", "Zl", "Zp", "Cs"}


def env_line(name: str, default: str, *, max_length: int) -> str:
    """One line of text for people to read, such as a name in page titles and email subjects:
    not blank, showing something, without a line break or control character, at most
    `max_length` characters; the spaces around it are dropped. Set but blank reads as unset."""
    value = (env_given(name) or default).strip()
    if any(unicodedata.category(character) in _NOT_IN_A_LINE for character in value):
        raise ImproperlyConfigured(
            f"{name} must be one line of text without control characters, not {value_shown(value)}"
        )
    # strip() keeps zero-width spaces and Hangul fillers: a name of them titled pages blank.
    if not shows_anything(value):
        raise ImproperlyConfigured(  # ascii(): as typed, the value would show nothing here too
            f"{name} must be text that shows, not only zero-width or blank characters: "
            f"{value_shown(value, ascii)}"
        )
    if len(value) > max_length:
        raise ImproperlyConfigured(
            f"{name} must be at most {max_length} characters, not {len(value)}: "
            f"{value_shown(value)}"
        )
    return value


def env_bool(name: str, default: bool) -> bool:
    """True or false; set but blank reads as unset."""
    raw = env_given(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value_shown(raw)}")


# What int() reads as a whole number: digits (of any script), single underscores between them.
_WHOLE_NUMBER_RE = re.compile(r"[+-]?\d+(?:_\d+)*")


def env_int(name: str, default: int, *, minimum: int, maximum: int) -> int:
    """A whole number from `minimum` to `maximum`; set but blank reads as unset. Every number
    has a maximum: without one, a value of thousands of digits (int() reads up to 4,300) was
    taken, and failed only where it was used (a datetime or a socket's timeout overflowing)."""
    raw = env_given(name)
    if raw is None:
        return default
    refused = f"{name} must be a whole number from {minimum} to {maximum}, not "
    try:
        value: int | Decimal = int(raw)
    except ValueError:
        if not _WHOLE_NUMBER_RE.fullmatch(raw.strip()):
            raise ImproperlyConfigured(refused + value_shown(raw)) from None
        # More digits than int() reads (sys.get_int_max_str_digits(), leading zeros counted):
        # Decimal reads them all, to compare with the bounds as any other number.
        value = Decimal(raw)
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(refused + value_shown(value, str))
    return int(value)


def env_float(name: str, default: float, *, maximum: float, positive: bool = False) -> float:
    """A duration or factor from 0 (with `positive`, above 0) to `maximum`; set but blank reads
    as unset. Refused past its maximum: a socket refuses a timeout of 1e300 seconds."""
    raw = env_given(name)
    if raw is None:
        return default
    bounds = f"above 0 and at most {maximum:g}" if positive else f"from 0 to {maximum:g}"
    refused = f"{name} must be a number {bounds}, not {value_shown(raw)}"
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(refused) from None
    # float() reads "inf" and "nan", and a number past 1.8e308 ("1e999") as infinity: said so,
    # as "1e999" looks like a number to whoever wrote it.
    if value == math.inf:
        raise ImproperlyConfigured(f"{refused}, which is too large: it reads as infinity")
    if math.isnan(value):
        raise ImproperlyConfigured(f"{refused}, which is not a number (NaN)")
    if value < 0 or (positive and value == 0) or value > maximum:
        raise ImproperlyConfigured(refused)
    return value


_TIME_OF_DAY_RE = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def env_time_of_day(name: str, default: str) -> time:
    """A time of day as HH:MM on the 24-hour clock, such as 03:30; set but blank reads as
    unset."""
    raw = env_given(name) or default
    match = _TIME_OF_DAY_RE.fullmatch(raw.strip())
    if match is None:
        raise ImproperlyConfigured(
            f"{name} must be a time of day as HH:MM on the 24-hour clock, such as {default}, "
            f"not {value_shown(raw)}"
        )
    return time(int(match[1]), int(match[2]))


def env_url(name: str, default: str) -> str:
    """An http(s) URL with a host and, if any, a port number in range; set but blank reads as
    unset. Refused at startup: a port past 65535 or a host-less "https://sync:pw@/v1" failed
    every request to it."""
    value = (env_given(name) or default).strip()
    # A blank ends a URL where a log line or message shows one, so its password could not be
    # masked past it ("https://user:pass word@proxy/v1" showed "pass"): refused, unshown.
    if any(character.isspace() for character in value):
        raise ImproperlyConfigured(
            f"{name} holds a space or other blank, which no URL has: write one as %20 (in a "
            "password too)"
        )
    try:
        parts = urlsplit(value)
        # .port raises ValueError for a port past 65535 or not a number; nothing answers on 0.
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # "https://[::1": a bracket not closed; "https://h:99999", "https://h:x"
        usable = False
    if not usable:
        raise ImproperlyConfigured(
            f"{name} must be an http(s) URL such as {default}, not {_refused_url_shown(value)}"
        )
    return value


def _refused_url_shown(value: str) -> str:
    """A URL env_url refuses, as its error shows it: with its password masked, or not at all
    when an "@" is left that ends no masked password. Masking finds a password after "://" only:
    "https:/sync:PASSWORD@proxy/v1", a "/" short, was shown whole."""
    masked = passwords_masked(value)
    if "@" in masked.replace(":***@", ""):
        return "a value holding an @ (not shown: a password may be part of it)"
    return value_shown(masked)


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database_url(name: str, default: str) -> str:
    """A URL of a SQLite file or a PostgreSQL database, the only ones the site runs on; set but
    blank reads as unset.

    Refused at startup rather than at the first query: MySQL failed asking for mysqlclient, a
    typo in the scheme with dj_database_url's list of every backend, `sqlite://db.sqlite3` (two
    slashes) ran on an empty database in memory, and a PostgreSQL URL without a database name
    only when a page first read one. An error names the scheme alone: the rest may hold a
    password.
    """
    value = (env_given(name) or default).strip()
    usage = f"{name} must be sqlite:///PATH or {_POSTGRES_EXAMPLE}"
    scheme, separator, rest = value.partition("://")
    if not separator or not _URL_SCHEME_RE.fullmatch(scheme):
        raise ImproperlyConfigured(f"{usage}, not a value without a scheme such as postgres://")
    scheme = scheme.lower()
    if scheme == "sqlite":
        path = rest.removeprefix("/")
        if not rest.startswith("/") or path in ("", ":memory:"):
            raise ImproperlyConfigured(
                f"{name} must name the SQLite file: sqlite:///relative/path/db.sqlite3 or "
                "sqlite:////absolute/path/db.sqlite3"
            )
        # The settings set SQLite's options over the query's, which was left unread: a
        # "?timeout=60" changed nothing, and said nothing.
        _query_names_check(
            name,
            urlsplit(value).query,
            reads={},
            fails="the site leaves unread, setting SQLite's options itself",
            example="sqlite:///relative/path/db.sqlite3",
        )
    elif scheme in _POSTGRES_SCHEMES:
        parts = _server_url_parts(name, value, example=_POSTGRES_EXAMPLE)
        _sent_as_written_check(
            name,
            parts,
            clients="psycopg",
            example=_POSTGRES_EXAMPLE,
            query_names=("user", "password"),  # dj_database_url hands psycopg them too
            path_holds="a database name",
        )
        query = parse_qs(parts.query)  # as dj_database_url reads it, its names decoded
        # dj_database_url hands psycopg the query's fields as options, and libpq reads its
        # keywords in lowercase alone: "?PASSWORD=" failed each connect, and /healthz and each
        # page that read the database with it ('invalid connection option "PASSWORD"'), as
        # did a name libpq does not know ("?sslmod=").
        _query_names_check(
            name,
            parts.query,
            reads=dict.fromkeys(
                (*_libpq_keywords(name), *_DJANGO_POSTGRES_OPTIONS, *_DJ_DATABASE_URL_OPTIONS), ""
            )
            | _POSTGRES_QUERY_NAMES,
            fails="the database's client (psycopg) fails on as it connects",
            overridden=_POSTGRES_OPTIONS_DJANGO_SETS,
            reads_only=(
                "libpq's connection keywords (such as ?sslmode=, ?connect_timeout= or "
                f"?application_name=), Django's options ({_fields(_DJANGO_POSTGRES_OPTIONS)}) "
                f"and dj_database_url's {_fields(_DJ_DATABASE_URL_OPTIONS)}"
            ),
            example=_POSTGRES_EXAMPLE,
        )
        # libpq reads requiressl=1 as sslmode=require and any other value as sslmode=prefer:
        # "?requiressl=true" connected without TLS where the server offered none, unsaid.
        if any(required not in ("0", "1") for required in query.get("requiressl", [])):
            field = _field_named_or_refused(
                name,
                "requiressl",
                parts.query,
                refused=lambda required: required not in ("0", "1"),
                example=_POSTGRES_EXAMPLE,
            )
            raise ImproperlyConfigured(
                f"{name} has {field} other than 1 or 0, which libpq reads as "
                f"?sslmode=prefer, TLS where the server offers it: write ?sslmode=require (or "
                f"?requiressl=1) to require it: {_POSTGRES_EXAMPLE}?sslmode=require"
            )
        # A service in pg_service.conf may name the database instead (Django reads ?service=).
        if not parts.path.strip("/") and "service" not in query:
            raise ImproperlyConfigured(f"{name} names no database: {_POSTGRES_EXAMPLE}")
    else:
        raise ImproperlyConfigured(
            f"{usage} (the site runs on SQLite and PostgreSQL only), not a {scheme}:// URL"
        )
    return value


def _libpq_keywords(name: str) -> list[str]:
    """The keywords of a connection string, as the libpq that psycopg loaded reads them. Where
    psycopg cannot be imported (not installed, or no libpq it can load), the process stops
    naming the setting `name`, where it stopped on a ModuleNotFoundError traceback."""
    try:
        from psycopg import pq  # the PostgreSQL backend's client: not loaded for SQLite
    except ImportError as exc:
        why = str(exc).partition("\n")[0]  # psycopg's own lists each implementation it tried
        raise ImproperlyConfigured(
            f"{name} names a PostgreSQL database, but its client, psycopg, cannot be imported "
            f"({why}): install the site's dependencies (make install, or pip install "
            f"'psycopg[binary]'), or set {name} to a SQLite file"
        ) from None
    # libpq still reads its old spelling of ?sslmode=require, requiressl=1, but lists it no more.
    return [*(option.keyword.decode() for option in pq.Conninfo.get_defaults()), "requiressl"]


def _server_url_parts(name: str, url: str, *, example: str) -> SplitResult:
    """The parts of a server's URL, refused when its host or its port cannot be read, or when
    a password holds a "/", "?" or "#" as itself, or a blank."""
    # A blank ends a URL where a log line shows one (gunicorn's raw_env, a client's error), so a
    # password was masked to it alone: "?password=Pw1 Pw2" showed "Pw2". The site's mask reads
    # on past a blank of another kind than ASCII's ("redis://:Pw1\u00a0Pw2@HOST/1"), but other
    # readers of the log may not (a collector's words, a terminal ending the line at a line
    # separator): refused too. The clients decode a password's %20. Elsewhere (a query's
    # options) a blank shows no password, and is left.
    if _password_holds_a_blank(url):
        raise ImproperlyConfigured(
            f"{name} has a password holding a space or other blank, which ends the URL where a "
            f"log line shows it: write one as %20 (a no-break space as %C2%A0): {example}"
        )
    try:
        parts = urlsplit(url)
    except ValueError:  # "redis://[::1:6379/0": a bracket not closed
        raise ImproperlyConfigured(
            f"{name} has a host that cannot be read (an IPv6 address needs its closing ]): "
            f"{example}"
        ) from None
    # urlsplit and the clients end the password at a "/", "?" or "#": "redis://:12#secret@HOST/0"
    # connected to port 12 of this machine, "redis://:?secret@HOST/0" to its Redis on 6379,
    # and "redis://:pass/word@HOST/0" was told its port is no number. An "@" in a query's value
    # is the value's ("?password=p@ss", which redis-py reads); in a query's name, a password's.
    # So is one in another field's value of a URL with no user before its host but a ":" after
    # it, as a password holding a "?" and then a "=" is read: "redis://u:12?b=c d@HOST/0"
    # connected to host u at port 12 (its query "b", "c d@HOST/0"), and the log mask, which
    # reads a password to the last "@", masked "12?b=c" but not the host a client's error names.
    # Before the port is read; the error shows nothing of the URL.
    fields = [field.partition("=") for field in parts.query.split("&")]
    at_in_a_query_name = any("@" in field_name for field_name, _, _ in fields)
    port_of_a_password = "@" not in parts.netloc and ":" in parts.netloc.rpartition("]")[2]
    at_in_a_value = any(
        "@" in value and not _names_a_password(field_name) for field_name, _, value in fields
    )
    if (
        "@" in parts.path
        or "@" in parts.fragment
        or at_in_a_query_name
        or (port_of_a_password and at_in_a_value)
    ):
        raise ImproperlyConfigured(
            f"{name} has an @ after its host: write a password's /, ? and # as %2F, %3F and "
            f"%23 (and an @ as %40): {example}"
        )
    try:
        port = parts.port  # urlsplit checks the port only when it is read
    except ValueError:  # not a number, or above 65535
        port = 0
    if port == 0:
        raise ImproperlyConfigured(
            f"{name} has a port that is not a number from 1 to 65535: {example}"
        )
    return parts


def _password_holds_a_blank(url: str) -> bool:
    """Whether a blank stands before the last "@" ahead of the URL's query (its user and
    password, or a password's "/" and the rest, refused apart) or in a query's password, as
    masked. An "@" in the query is a value's: "?options=-c search_path=jobs&application_name=
    web@1" was refused, its blank before that "@", and a password's "?" or "#" is refused apart."""
    before_the_query, _, query = url.partition("#")[0].partition("?")
    if any(character.isspace() for character in before_the_query.rpartition("@")[0]):
        return True
    return any(
        _names_a_password(name) and any(character.isspace() for character in value)
        for name, _, value in (field.partition("=") for field in query.split("&"))
    )


# A URL's password, as a URL anywhere in a text holds one ("https://user:PASSWORD@host/"): from
# the first ":" after the user to the URL's last "@". urlsplit ends it at the first "/", "?" or
# "#", which a password may hold too: "https://user:12/secret@proxy/v1" (to urlsplit, port 12
# and a path) showed "secret". A path with an "@" after a port ("https://proxy:8080/v1/a@b")
# looks the same, and is masked too: its text shown costs less than a password. A URL ends at
# a blank: each word is searched once for a user, then cut at its last "@" (a regex to that
# "@" looked again from each "://" in a word with no "@" after it, in the square of its length:
# 17 s for a line of 96,000 characters, such as a redirect's address logged).
_WORD_RE = re.compile(r"\S+")
# A password may hold a blank of another kind than ASCII's (space, tab, line breaks): a no-break
# space, an ideographic space, a line separator ("Pw1\u00a0Pw2"), which a line writes as itself
# where it writes the URL with %s, as a client's error does. The mask ended the URL there, and
# showed the password from that character on, or whole before the host (no word held both its
# "://" and its "@"): a line holding such a blank is read again in words that end at an ASCII
# blank alone (_masked_in_words). A field's name still ends at any blank.
_ASCII_BLANKS = r" \t\n\r\f\v"
_WORD_TO_AN_ASCII_BLANK_RE = re.compile(rf"[^{_ASCII_BLANKS}]+")
_BLANK_BEYOND_ASCII_RE = re.compile(rf"[^\S{_ASCII_BLANKS}]")
# A reading writes this character for each one it masks, so that two readings of a line, as
# long as it, can be joined (_masked_in_words); each run of them is written "***" at the end. A
# noncharacter, which no text interchanged holds: a line holding one has it written as U+FFFD.
_MASKED = "\ufdd0"
_MASKED_RUN_RE = re.compile(f"{_MASKED}+")
_URL_USER_RE = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^:\s]*:")
# So may a user's name ("redis://us\u00a0er:secret@HOST/0" showed "secret"), read in those
# longer words: its ":" then not one that a URL after the blank begins with ("https://h1/v1
# \u3000https://sync:Pw1@h2/v1": the user "sync", not "h1/v1\u3000https").
_URL_USER_ACROSS_BLANKS_RE = re.compile(
    rf"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://(?:[^:\s]*:|[^:{_ASCII_BLANKS}]*:(?!//))"
)


def _written_in_any_case(word: str) -> str:
    """A regex of `word` as a query's name may write it: each letter in either case, as itself
    or as the %XX of either ("p" as p, P, %70 or %50, its hex digits in either case too)."""
    letters = []
    for letter in word:
        code, upper = ord(letter), ord(letter.upper())
        low = code & 0xF  # the same in both cases: they differ in the high digit alone
        digit = f"[{low:x}{low:X}]" if low > 9 else f"{low}"
        escaped = f"%[{code >> 4:x}{upper >> 4:x}]{digit}"
        letters.append(f"(?:[{letter}{letter.upper()}]|{escaped})")
    return "".join(letters)


# A password in a URL's query, to the end of its value: the cache's client reads CACHE_URL's
# "?password=", and dj_database_url hands psycopg DATABASE_URL's ("?password=", "&sslpassword=").
# The clients decode a name's %XX once before they read it, so "?pass%77ord=" is one too; and
# they read names as written, so "?PASSWORD=" is none to them, but whoever wrote it meant a
# password: masked too, whatever the case. The regex decides alone, so that it never takes in
# the value of a field that is no password's, which hid a "?password=" written in it
# ("?q%20=a?password=…" showed it, read as q%20's value).
# A name ends at a "?", so that each is searched from one "?" or "&" alone (in a line's length).
_QUERY_PASSWORD_RE = re.compile(
    rf"[?&]([^=&?#\s]*{_written_in_any_case('password')})=([^&#{_ASCII_BLANKS}]*)"
)
# What a list's, tuple's or dict's repr, JSON or a sentence may put after the quote that ends a
# URL quoted in a line: "('redis://…',)", "{'url': '…'}", "at 'redis://…'.".
_AFTER_A_CLOSING_QUOTE = ",;:.)]}>"


def _names_a_password(name: str) -> bool:
    """Whether a URL query's field `name` is a password's as the clients read it: its %XX
    decoded once ("pass%77ord"), ending in "password" ("sslpassword") in lowercase: they take
    "?PASSWORD=" for another field. The check of a setting's URL asks it; the log mask reads
    these names and the same in other capitals (_QUERY_PASSWORD_RE)."""
    return (unquote(name) if "%" in name else name).endswith("password")


def passwords_masked(text: str) -> str:
    """`text` with the password of each URL in it masked ("https://user:***@proxy/v1",
    "redis://HOST:6379/1?password=***"), for a message or log line showing a URL that may hold
    one, as GREENHOUSE_API_BASE's of a proxy may, or an --env value gunicorn logs."""
    if "://" not in text:
        return text
    return _masked_in_words(text, _passwords_masked_in_words)


def _passwords_masked_in_words(text: str, words: re.Pattern[str]) -> str:
    # First: an "@" in the query's value ("?password=p@ss") is the value's, not a host's.
    # Word by word (a URL ends at a blank), where a line names such a field at all: searched
    # for only in a line that may (the search took 0.8 µs of a line's 0.9 µs).
    maybe = "%" in text or "password=" in text.lower()
    if maybe and _QUERY_PASSWORD_RE.search(text):
        text = words.sub(_word_query_passwords_masked, text)
    return _userinfo_masked_in_words(text, words)


def _masked_in_words(text: str, masked_in: Callable[[str, re.Pattern[str]], str]) -> str:
    """`masked_in(text, words)` in the words _WORD_RE finds, then, where a blank of another
    kind than ASCII's is left, again in words that end at an ASCII blank alone, so that a
    password holding one is masked to its end: in the text the first reading masked, so that
    nothing it masks is shown (a query's value read on past such a blank into another URL, to
    a "#" in that URL's password, left its rest unmasked: "?password=x\u3000https://u:#secret@h"
    showed "#secret"), and in the text as written, what either masks masked."""
    if _MASKED in text:
        text = text.replace(_MASKED, "\ufffd")
    masked = masked_in(text, _WORD_RE)
    # Searched for only in a line that may need it: one beyond ASCII, with an "@" (a password
    # before a host) or an "=" (in a query).
    maybe = not text.isascii() and ("@" in text or "=" in text)
    if maybe and _BLANK_BEYOND_ASCII_RE.search(text):
        read_again = masked_in(masked, _WORD_TO_AN_ASCII_BLANK_RE)
        # And in the longer words of the line as written, where the first reading masked any:
        # it may have masked what ends a password read in them, a query's value holding the "@"
        # that ends one before the host ("redis://u:a\u00a0b?PASSWORD=c@d@HOST/0" showed
        # "a\u00a0b?PASSWORD=").
        if _MASKED in masked:
            read_again = _masks_joined(read_again, masked_in(text, _WORD_TO_AN_ASCII_BLANK_RE))
        masked = read_again
    return _MASKED_RUN_RE.sub("***", masked) if _MASKED in masked else masked


def _masks_joined(masked: str, other: str) -> str:
    """`masked` with what `other`, another reading of the same text, masks masked too."""
    pieces, shown_from = [], 0
    for run in _MASKED_RUN_RE.finditer(other):
        pieces += [masked[shown_from : run.start()], run[0]]
        shown_from = run.end()
    return "".join(pieces) + masked[shown_from:]


def _word_query_passwords_masked(word: re.Match[str]) -> str:
    """A word with the value of each password in its URL's query masked to its end, but for
    the quote that ends a quoted URL and what follows it: "['redis://HOST/0?password=***']",
    where the quote and the bracket were masked too. The value's last quote: one before it is
    the password's (repr quotes a text holding a ' in double quotes). And only a quote of a
    kind the word left open before its first URL and met no more until the value, where the
    value ends the word: written unquoted, "?password=p'" would show that the password ends
    with one, as would a quote closed before the URL ("x='a'redis://…"), one in the URL (its
    user's password, its path, another field's value, another URL), or a field after the
    value, which the URL goes on to ("'…?password=p'&db=2'"). Nor in a value holding a "?":
    another password's field may begin there, the quote its last character, as the mask read
    "?password=c'" in "'…?PASSWORD=a'b?password=c'" before it read a name in any case."""
    text = word[0]
    if "=" not in text:
        return text
    # Of each quote an odd number of which stand before the word's first URL, the first after
    # it; -1 for the others, and in a word of no URL. Found once: a slice or count for each
    # value, read to its start, would take work in the square of the length of a long query.
    url_at = text.find("://")
    open_until = {
        quote: text.find(quote, url_at) if url_at >= 0 and text.count(quote, 0, url_at) % 2 else -1
        for quote in "'\""
    }

    def value_masked(field: re.Match[str]) -> tuple[int, int]:
        """Where the field's value is masked: to its end, or to its closing quote."""
        value = field[2]
        quote_at = max(value.rfind("'"), value.rfind('"'))
        closing = value[quote_at:] if quote_at >= 0 else ""
        ends_the_url = (
            closing
            and not closing[1:].strip(_AFTER_A_CLOSING_QUOTE)
            and url_at < field.start(2) <= open_until[closing[0]]
            and field.end() == len(text)
            and "?" not in value
        )
        return field.start(2), field.end() - (len(closing) if ends_the_url else 0)

    fields = list(_QUERY_PASSWORD_RE.finditer(text))
    masked = [value_masked(field) for field in fields]
    user_info = _user_info_read_as_the_clients_fields(text, fields, word.re)
    if user_info is not None:
        masked = sorted([*masked, user_info])
    pieces, shown_from = [], 0
    for start, end in masked:
        start = max(start, shown_from)  # within or next to the text masked before it
        if end > start:
            pieces += [text[shown_from:start], _MASKED * (end - start)]
            shown_from = end
    return "".join(pieces) + text[shown_from:]


def _user_info_read_as_the_clients_fields(
    text: str, fields: list[re.Match[str]], words: re.Pattern[str]
) -> tuple[int, int] | None:
    """Where a word's user-info password is masked as it is read with only the fields the
    clients read as passwords' masked (_read_by_the_clients), where the word has others too
    ("?PASSWORD=", "?q=a?password=", which _QUERY_PASSWORD_RE reads as passwords'): the mask's
    guess, masked, may hide the "@" that ends a password holding that field as written
    ("redis://u:a?PASSWORD=b@c@HOST/0", the password "a?PASSWORD=b@c") or the user of a URL
    its value reads on into ("?PASSWORD=',https://u:p&w@HOST"), and so show what the mask hid
    before it read these fields. Both are masked: "redis://u:***" for
    "redis://u:pw@HOST/?PASSWORD=x@y"."""
    # Each field's search back stops where the field before it ends (the last's end unused).
    afters = [0, *(field.end() for field in fields)]
    read = [
        _read_by_the_clients(text, field, after)
        for field, after in zip(fields, afters, strict=False)
    ]
    if all(read):
        return None
    at = text.rfind("@")
    for field, by_the_clients in zip(reversed(fields), reversed(read), strict=True):
        if at >= field.end():
            break
        if at >= field.start(2) and by_the_clients:
            at = text.rfind("@", 0, field.start(2))
    user = _url_user(text, words)
    return (user.end(), at) if user is not None and user.end() <= at else None


def _read_by_the_clients(text: str, field: re.Match[str], after: int) -> bool:
    """Whether the clients read a query's `field` as a password's: named so, as they read it
    (_names_a_password), and not written after another field's "=": in its value
    ("?q=a?password=", "?q%20=a?b?password="), or in a password before the host
    ("u:a&q=b?password=c@HOST", whose port no client reads). `after`: where the field before
    it ends (0 for the first), at the "&" or "#" that ends its value."""
    if not _names_a_password(field[1]):
        return False
    if field[0][0] == "&":
        return True
    # A value reads on over any "?" to an "&" or "#": the field the clients read begins at the
    # first "?" or "&" from the last "&" or "#" before this one, and a "=" after it begins the
    # value this one is in. Searched no further back than the field before (its value ends at
    # one), so that a word of many fields is read once.
    start = max(after, *(text.rfind(end, after, field.start()) for end in "&#"))
    first = start if text.startswith("&", start) else text.find("?", start, field.start())
    return first < 0 or "=" not in text[first : field.start()]


def userinfo_passwords_masked(text: str) -> str:
    """`text` with the password before the host of each URL in it masked
    ("https://user:***@proxy/v1")."""
    # Most lines name no such URL: the search is left to those that may (a log line's cost).
    if "://" not in text or "@" not in text:
        return text
    return _masked_in_words(text, _userinfo_masked_in_words)


def _userinfo_masked_in_words(text: str, words: re.Pattern[str]) -> str:
    return words.sub(_word_password_masked, text) if "@" in text else text


def _word_password_masked(word: re.Match[str]) -> str:
    text = word[0]
    user = _url_user(text, word.re)
    last_at = text.rfind("@")
    if user is None or last_at < user.end():
        return text
    return f"{text[: user.end()]}{_MASKED * (last_at - user.end())}{text[last_at:]}"


def _url_user(text: str, words: re.Pattern[str]) -> re.Match[str] | None:
    """The scheme and user of the first URL with a user in a word that `words` found."""
    return (_URL_USER_RE if words is _WORD_RE else _URL_USER_ACROSS_BLANKS_RE).search(text)


def url_named(value: str) -> str:
    """A refused URL as an error names it: by its scheme alone, as the rest may hold a password
    and the error goes to the log."""
    scheme, separator, _ = value.partition("://")
    if separator and _URL_SCHEME_RE.fullmatch(scheme):
        return f"{scheme.lower()}://…"
    return "a value without a scheme such as redis://"


# The query names Celery fails on in a Redis URL, each with what it names and where it goes
# instead. Its client adds a query's names to those it gives the URL's parts (the scheme as
# `transport`, the user as `userid`, the path as `virtual_host`): one of those went twice
# ("multiple values for keyword argument 'password'"), and a `?db=` or `?username=` (redis-py's
# names) where nothing takes one ("unexpected keyword argument").
_BEFORE_THE_HOST = (
    "put it before the host, percent-encoded (an @ as %40, a / as %2F): "
    "redis://USER:PASSWORD@HOST:6379/0"
)
_IN_THE_PATH = "put the number in the path, redis://HOST:6379/0"
_QUERY_NAMES_CELERY_FAILS_ON = {
    "db": ("database", _IN_THE_PATH),
    "virtual_host": ("database", _IN_THE_PATH),
    "password": ("password", _BEFORE_THE_HOST),
    "userid": ("user", _BEFORE_THE_HOST),
    "username": ("user", _BEFORE_THE_HOST),
    "hostname": ("host", "put it after the scheme, redis://HOST:6379/0"),
    "port": ("port", "put it after the host, redis://HOST:6379/0"),
    "transport": ("transport", "the scheme names it, redis:// or rediss://"),
}
# redis-py's TLS options that work as text in either client's URL.
_REDIS_TLS_QUERY_NAMES = (
    "ssl_cert_reqs",
    "ssl_check_hostname",
    "ssl_ca_certs",
    "ssl_ca_path",
    "ssl_ca_data",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_password",
    "ssl_ciphers",
)
# Of the other names, the few Celery's client takes from a Redis URL, and the ssl_… ones it
# hands redis-py that work as text (rediss:// reads ?ssl_cert_reqs=required): it fails as it
# connects on any other, an unexpected keyword (redis-py's ?socket_timeout=, a misspelt
# ?ssl_ca_cert=), or a text where it adds a number (?connect_timeout=), reads options (?ssl=)
# or wants a TLS version (?ssl_min_version=).
_QUERY_NAMES_CELERY_READS = dict.fromkeys(
    ("heartbeat", "insist", "login_method", "credential_provider", *_REDIS_TLS_QUERY_NAMES), ""
)
_TLS_OPTIONS_AS_TEXT = (
    "TLS options redis-py takes as text (such as ?ssl_cert_reqs=required or ?ssl_ca_certs=)"
)


# The names the cache's client (redis-py) reads from a Redis URL's query as a user name,
# password and database, in lowercase alone, each with where else it goes.
_USER_BEFORE_THE_HOST = (
    "put the user name and password before the host: redis://USER:PASSWORD@HOST:6379/1"
)
_QUERY_NAMES_THE_CACHE_READS = {
    "username": _USER_BEFORE_THE_HOST,
    "password": _USER_BEFORE_THE_HOST,
    "db": _IN_THE_PATH,
}
# The host and port it reads from the query where the URL names none before its path (it reads
# the URL's over them): "redis://HOST/1?port=6380" connected to port 6380.
_CACHE_SERVER_QUERY_NAMES = ("host", "port")
# The other names of its query that redis-py hands the cache's connections and that work there
# as text (or as the number or true or false it reads them as). It hands them every name: a
# connection failed at each use on one it does not take ("?socket_timout=", "?timeout=", which
# its other pool reads, the TLS ones without rediss://: TypeError, unexpected keyword), or on
# one it takes as an object, not a text ("?retry=", "?parser_class=", "?socket_type=",
# "?socket_read_size=", "?socket_keepalive_options="), and "?decode_responses=false" read as
# true failed at each read (UnicodeDecodeError).
_CACHE_CONNECTION_OPTIONS = (
    "socket_timeout",
    "socket_connect_timeout",
    "socket_keepalive",
    "retry_on_timeout",
    "health_check_interval",
    "max_connections",
    "client_name",
    "lib_name",
    "lib_version",
    "encoding",
    "encoding_errors",
    "protocol",
)


# A %XX in a cache URL's query value once decoded: redis-py decodes each a second time.
_PERCENT_ESCAPE_RE = re.compile(r"%[0-9A-Fa-f]{2}")


def redis_url_check(name: str, url: str, *, for_celery: bool = False) -> None:
    """Refuse a redis:// or rediss:// URL whose host cannot be read, or whose port or database
    is not a number, at startup: Celery would fail on it only as a worker connects, and the
    cache at each use, which the site takes for a cache that is down. An error names neither
    its host nor a password.

    The cache's client reads a `?db=`, `?password=` and `?username=` too (over the path's
    number and the user and password before the host); Celery's fails on those and on most other
    names (a TypeError as it connects: the worker did not start, and Refresh now was a server
    error), which `for_celery` refuses. Each refuses the names its client does not take (the
    cache's failed at each use). The cache's client decodes a query's values twice, and
    Celery's once: a value that still holds a %XX once decoded is refused for the cache, as it
    was sent as another ("?password=%25E9" as "�")."""
    example = "redis://HOST:6379/0"
    # Django's cache reads the URLs of several servers split at "," or ";", and Celery at ";":
    # a password holding one was cut there, and the first server's URL ended in its start,
    # which each use of that server logged ("Port could not be cast to integer value as 'p'"
    # of "redis://:p,ss@HOST/1"). The site runs on one Redis.
    separators = {";": "%3B"} if for_celery else {",": "%2C", ";": "%3B"}
    if any(separator in url for separator in separators):
        raise ImproperlyConfigured(
            f"{name} holds a {' or '.join(map(repr, separators))}, where it would be read as "
            "the URLs of several servers (the site takes one): write it as "
            f"{' or '.join(separators.values())}, in a password too: {example}"
        )
    parts = _server_url_parts(name, url, example=example)
    query = parse_qs(parts.query)
    _sent_as_written_check(
        name,
        parts,
        clients="the Redis clients",
        example="redis://USER:PASSWORD@HOST:6379/0",
        query_names=("username", "password"),  # the cache's client reads them there too
    )
    decoded_twice = [
        query_name
        for query_name, values in query.items()
        if any(_PERCENT_ESCAPE_RE.search(value) for value in values)
    ]
    if decoded_twice and not for_celery:  # Celery's client decodes a query's values once
        field = _field_named_or_refused(
            name,
            decoded_twice[0],
            parts.query,
            refused=_PERCENT_ESCAPE_RE.search,
            example="redis://HOST:6379/1",
        )
        raise ImproperlyConfigured(
            f"{name} has {field} whose value, decoded, "
            "still holds a % and two hex digits (as %25E9 does), which the cache's client "
            "(redis-py) decodes again: %25E9 is sent as �, and %2541 as A. Put a user name or "
            "password before the host, where a % is written %25 and read once "
            "(redis://USER:PASSWORD@HOST:6379/1); no other value can hold a % before two hex "
            "digits"
        )
    if for_celery:
        for query_name in _names_an_error_shows(parts.query):  # the rest: _query_names_check's
            if query_name in query and query_name in _QUERY_NAMES_CELERY_FAILS_ON:
                what, where = _QUERY_NAMES_CELERY_FAILS_ON[query_name]
                raise ImproperlyConfigured(
                    f"{name} names its Redis {what} in ?{query_name}=, which Celery cannot "
                    f"read: {where}"
                )
        _query_names_check(
            name,
            parts.query,
            reads=_QUERY_NAMES_CELERY_READS,
            fails="Celery fails on",
            reads_only=f"?heartbeat= and {_TLS_OPTIONS_AS_TEXT}",
            example=example,
        )
    else:
        # redis-py hands each name it does not read itself, or one of its own in another case,
        # to the connection, which fails on it at each use (TypeError: unexpected keyword
        # argument 'PASSWORD'), which the site takes for a cache that is down.
        tls = _REDIS_TLS_QUERY_NAMES if parts.scheme.lower() == "rediss" else ()
        _query_names_check(
            name,
            parts.query,
            reads=_QUERY_NAMES_THE_CACHE_READS
            | dict.fromkeys((*_CACHE_SERVER_QUERY_NAMES, *_CACHE_CONNECTION_OPTIONS, *tls), ""),
            fails="the cache's client (redis-py) fails on at each use",
            reads_only=(
                f"?db=, ?username=, ?password=, ?host= and ?port= (where the URL names none), "
                f"its connection options ({_fields(_CACHE_CONNECTION_OPTIONS)}) and, with "
                f"rediss://, {_TLS_OPTIONS_AS_TEXT}"
            ),
            example="redis://HOST:6379/1",
        )
        # redis-py reads the first ?port= with int() where the URL names no port, and failed at
        # each use on one that is no port number (ValueError, or OverflowError as it connected).
        if parts.port is None and not _port_number(query.get("port", ["6379"])[0]):
            field = _field_named_or_refused(
                name,
                "port",
                parts.query,
                refused=lambda port: not _port_number(port),
                example="redis://HOST:6379/1",
            )
            raise ImproperlyConfigured(
                f"{name} has {field} that is not a number from 1 to 65535, which the cache's "
                "client (redis-py) reads where the URL names no port: put the port after the "
                "host, redis://HOST:6379/1"
            )
    query_databases = query.get("db", [])
    path_database = redis_path_database(parts.path, for_celery=for_celery)
    for database in (path_database, *query_databases):
        if not re.fullmatch(r"[0-9]*", database):
            raise ImproperlyConfigured(
                f"{name} names {_redis_database_named(database, parts)}, where a number goes: "
                f"{example}"
            )
        if not _redis_database_usable(database):
            raise ImproperlyConfigured(
                f"{name} names {_redis_database_named(database, parts)}, which neither client "
                f"can use: Redis numbers its databases from 0 to {_REDIS_DATABASE_MAX} at most "
                f"(to 15 unless its `databases` allows more): {example}"
            )


def _port_number(text: str) -> bool:
    """Whether a query's port, as a client reads it with int(), is one a server can listen on."""
    return text.isascii() and text.isdigit() and 1 <= int(text) <= 65535


def _fields(names: Iterable[str]) -> str:
    """Query names as an error lists them: "?a=, ?b=, ?c="."""
    return ", ".join(f"?{query_name}=" for query_name in names)


def _query_names_check(
    name: str,
    query: str,
    *,
    reads: Mapping[str, str],
    fails: str,
    reads_only: str = "",
    overridden: Mapping[str, str] = {},
    example: str,
) -> None:
    """Refuse a name of a URL's query (as the clients decode it) that the client does not
    read, which it `fails` on: one it reads as written, in lowercase alone, written in another
    case ("?PASSWORD=", "?Password=", "?pass%57ord="), which it takes for another option, or one
    it does not know at all ("?foo=", a misspelt "?sslmod="). `reads`: the names it reads, each
    with where else it goes ("" where nowhere), none where it reads no query; `reads_only`:
    them as the error lists them; `overridden`: the names it takes that the site sets over,
    each with how. The error names the field, not its value, and no field after a password's
    (_names_an_error_shows)."""
    shown = _names_an_error_shows(query)
    for query_name in parse_qs(query):  # as the clients decode it
        if query_name in reads:
            continue
        field = _field_named(query_name, query)
        if query_name not in shown:  # nor what it reads it as, nor the name it is near
            raise ImproperlyConfigured(f"{name} has {field} that the site refuses: {example}")
        if query_name in overridden:
            raise ImproperlyConfigured(
                f"{name} has {field}, which has no effect: {overridden[query_name]}. Leave it "
                f"out: {example}"
            )
        read = query_name.lower()
        if read in reads:
            instead = f", or {reads[read]}" if reads[read] else ""
            raise ImproperlyConfigured(
                f"{name} has {field}, which {fails}: it reads ?{read}= in lowercase alone. "
                f"Write it so{instead}"
            )
        if not reads:
            raise ImproperlyConfigured(
                f"{name} has {field}, which {fails}: it reads no query, leave it out: {example}"
            )
        nearest = difflib.get_close_matches(read, reads, n=1, cutoff=0.85)  # a typo's
        meant = f" (?{nearest[0]}= was meant?)" if nearest else ""
        raise ImproperlyConfigured(
            f"{name} has {field}{meant}, which {fails}: of a query it reads only "
            f"{reads_only}, leave the rest out: {example}"
        )


def _names_an_error_shows(query: str) -> list[str]:
    """The names of a URL's `query` (as the clients decode them, in their order) that an error
    may show: those given a value before the first password's field (_fields_to_a_password).
    A blank one the clients leave out: "?cd=&password=ab&cd=ef" has them read the cd of the
    password's rest alone, which an error of cd would be about."""
    return [query_name for query_name, value in _fields_to_a_password(query) if value]


def _fields_to_a_password(query: str) -> list[tuple[str, str]]:
    """The fields of a URL's `query`, decoded, up to the first password's field and with it. A
    password holding an & written as itself ends there, and its rest reads as more fields:
    "?password=ab&cd=ef" as a field cd, part of the password, which an error named. A blank
    password's field counts, which the clients leave out: "?password=&cd=ef" is a password
    "&cd=ef" cut at its first character."""
    fields = []
    for query_name, value in parse_qsl(query, keep_blank_values=True):
        fields.append((query_name, value))
        if query_name.lower().endswith("password"):  # "?PASSWORD=", "?sslpassword=" too
            break
    return fields


# A query's name an error shows as written: visible ASCII, as the clients' names are.
_PLAIN_QUERY_NAME_RE = re.compile(r"[!-~]+")


def _field_named(query_name: str, query: str) -> str:
    """A field of a URL's query as an error names it: "a ?foo=", any other name than of visible
    ASCII in ascii()'s escapes ("a '?f\\u202eoo='": as written, a right-to-left override turned
    the line around on a terminal, a zero-width space showed nothing), or not at all where it
    comes after a password's (_names_an_error_shows)."""
    if query_name in _names_an_error_shows(query):
        written = str if _PLAIN_QUERY_NAME_RE.fullmatch(query_name) else ascii
        return f"a {value_shown(f'?{query_name}=', written)}"
    return _FIELD_NOT_NAMED


_FIELD_NOT_NAMED = (
    "a field after a password in its query (not shown: it may be the password's own rest, cut "
    "at an & written as itself; write an & in a password as %26)"
)


def _field_named_or_refused(
    name: str, query_name: str, query: str, *, refused: Callable[[str], bool], example: str
) -> str:
    """A field of a URL's query as the refusal of a value of it names it ("a ?port="), where
    a value it `refused` comes before a password's field; else it is refused without a word of
    which it is, which that refusal would say ("?port=" of "?password=s3&port=x", the password's
    rest; of "?requiressl=1&password=s3&requiressl=x" too)."""
    if not any(
        field_name == query_name and value and refused(value)
        for field_name, value in _fields_to_a_password(query)
    ):
        raise ImproperlyConfigured(
            f"{name} has {_FIELD_NOT_NAMED} that the site refuses: {example}"
        )
    return _field_named(query_name, query)


def _sent_as_written_check(
    name: str,
    parts: SplitResult,
    *,
    clients: str,
    example: str,
    query_names: tuple[str, ...],
    path_holds: str = "",
) -> None:
    """Refuse a part of a server's URL that `clients` cannot send as written: a user name or
    password (before the host, or in a query under `query_names`), the host, the query, and the
    path where `path_holds` says what it holds. The Redis clients and psycopg (through
    dj_database_url) turn its %XX back as UTF-8 and send it in UTF-8, so any character is sent,
    "€" as "%E2%82%AC" or as itself; but a %XX that is no UTF-8 ("%E9", é in Latin-1) became
    "�", and an environment's bytes that are not UTF-8 (Python's lone surrogates) could not be
    encoded at all. A password was wrong without a word of why; a host failed each connect with
    a traceback (idna cannot encode "�"), a database name as PostgreSQL's "he�orgsite" does not
    exist. Bytes not encoded failed the cache at each use, a broker's error, logged by /healthz,
    named the whole password, and each page that read the database, /healthz and `migrate`
    failed with a traceback, in which psycopg's whole connection string, the password in it,
    was the error's."""
    query_fields = [
        value
        for field in parts.query.split("&")
        for field_name, _, value in [field.partition("=")]
        if unquote(field_name) in query_names  # as the clients read it: "pass%77ord" too
    ]
    credentials = [parts.username, parts.password, *query_fields]
    written = [
        *(("a user name or password", text) for text in credentials),
        ("a host", parts.hostname),
        ("a query", parts.query),
    ]
    if path_holds:
        written.append((path_holds, parts.path))
    for what, text in written:
        try:
            unquote(text or "", errors="strict").encode()
        except UnicodeDecodeError:
            why = "a %XX that is not UTF-8 (é is %C3%A9, not Latin-1's %E9)"
        except UnicodeEncodeError:
            why = "bytes that are not UTF-8, as the environment gave it (save it as UTF-8)"
        else:
            continue
        raise ImproperlyConfigured(
            f"{name} has {what} with {why}, which {clients} cannot send as written: write it in "
            "UTF-8, a character beyond ASCII as itself or as the %XX of its UTF-8 bytes: "
            f"{example}"
        )


# Redis numbers its databases below its `databases`, a C int.
_REDIS_DATABASE_MAX = 2**31 - 2


def _redis_database_usable(digits: str) -> bool:
    """Whether a database number can be selected at all. Both clients read it with int() and
    failed on a larger one only as they connected: Celery's worker did not start, the cache
    failed at each use. int() refuses more than 4,300 digits, leading zeros and all: redis-py
    took database 0 then, and check --deploy raised ValueError."""
    try:
        return int(digits or 0) <= _REDIS_DATABASE_MAX
    except ValueError:
        return False


def redis_path_database(path: str, *, for_celery: bool = False) -> str:
    """The database a redis:// URL's path names, as its client reads it before int(): both
    clients turn its %XX back first ("/%30" is database 0, which the settings refused). The
    cache's client drops every "/" of the path; Celery's drops the first and one more, and fails
    on what is left ("0/" of "/0/") as it connects: the worker did not start."""
    path = unquote(path)
    return path.removeprefix("/").removeprefix("/") if for_celery else path.strip("/")


# A refused Redis database shown as its client reads it: a name typed where the number goes
# ("cache").
_SHOWN_DATABASE_RE = re.compile(r"[A-Za-z0-9_./-]*")


def _redis_database_named(database: str, parts: SplitResult) -> str:
    """A Redis database that is no number, as an error names it: shown only when no password
    can be part of it. An "@" after the host ends a password that holds a "/", "?" or "#"
    ("redis://:12/se?cret@HOST/0" reads "se" as the database), or another server's written
    after a "," in a broker's URL ("1,redis://:p?ss@HOST2/1" reads "1,redis://:p" as this one's
    database); a ":", "=" or "&" may begin another server's URL or password
    ("?db=x,redis://HOST2/1?password=…"); a ?db= after a password's field may be the password's
    rest, cut at an & written as itself ("?password=s3&db=cret", _names_an_error_shows)."""
    after_the_host = parts.path + parts.query + parts.fragment
    query_names = [query_name for query_name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    after_a_password = query_names[len(_fields_to_a_password(parts.query)) :]
    shown = "@" not in after_the_host and "db" not in after_a_password
    if shown and _SHOWN_DATABASE_RE.fullmatch(database):
        return f"Redis database {value_shown(database)}"
    return "a Redis database (not shown: it may hold a password)"
