"""System checks: the local defaults a production site must not keep, settings that would
only fail when first used, and a PostgreSQL database under whose character type keyword
search lowercases no letter beyond ASCII.

Each default works with no server for a newcomer (README's quick start), so settings cannot
refuse it; the `--deploy` warnings tell the operator who deploys with it what to set instead.
"""

import ipaddress
import logging
import re
import socket
import sys
from email.utils import parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, run_checks
from django.core.checks import Error as CheckError
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.module_loading import import_string
from django.utils.text import capfirst
from requests.utils import prepend_scheme_if_needed

from jobs.greenhouse import (
    CREDENTIALS_UNSENDABLE,
    CREDENTIALS_UNSENDABLE_FIX,
    HOST_READ_TO_END_EARLY,
    api_base_problem,
    api_base_unsendable,
    credentials_unsendable,
    environment_proxy,
    password_ends_host,
    proxy_unusable,
)
from jobs.mail import address_sendable
from jobs.models import Organization
from jobs.selectors import (
    organizations_at_one_address_in_any_case,
    organizations_at_one_address_refusal,
)
from orgsite.env import REFUSED_SETTINGS_EXIT_STATUS, redis_path_database

logger = logging.getLogger(__name__)


def startup_checks_run() -> None:
    """What `manage.py check` says (with `--deploy` when not debugging), for the processes that
    run no command: each gunicorn worker, the Celery worker and beat. A warning is logged as the
    process starts; errors stop it there, rather than at the first email it fails to send: each
    is logged, a CRITICAL line without a traceback (it showed only where the checks ran), and
    the process exits with status 4, as on a setting refused."""
    messages = [
        message
        for message in run_checks(include_deployment_checks=not settings.DEBUG)
        if not message.is_silenced()
    ]
    for message in messages:
        if not message.is_serious():
            text = f"{message.msg} {message.hint or ''}"
            logger.warning("system check %s: %s", message.id, _one_line(text))
    errors = [message for message in messages if message.is_serious()]
    for error in errors:
        logger.critical("system check failed: %s", _one_line(str(error)))
    if errors:
        sys.exit(REFUSED_SETTINGS_EXIT_STATUS)


def _one_line(text: str) -> str:
    """`text` with each line break and the blanks around it as one space, as a log is read line
    by line: str() of a check's error puts its hint on a line of its own, and some messages are
    of several lines (django-csp's csp.E001, Django's of an ArrayField's base field)."""
    lines = (line.strip() for line in text.splitlines())
    return " ".join(line for line in lines if line)


def local_defaults_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    warnings = []
    broker_on_redis = settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        warnings.append(
            CheckWarning(
                "The database is SQLite in a local file: DATABASE_URL is not set.",
                hint="Set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DBNAME. SQLite lets "
                "one process write at a time and lives on this machine's disk only.",
                id="orgsite.W001",
            )
        )
    if not broker_on_redis:
        warnings.append(
            CheckWarning(
                "Celery's queue is on this machine only: CELERY_BROKER_URL is not a Redis URL.",
                hint="Set CELERY_BROKER_URL=redis://HOST:6379/0, the same for the web, worker "
                "and beat processes, wherever they run.",
                id="orgsite.W002",
            )
        )
    if not settings.CACHE_URL:
        warnings.append(
            CheckWarning(
                "The cache is files on this machine: CACHE_URL is not set.",
                hint="Set CACHE_URL=redis://HOST:6379/1 (not the broker's database number), "
                "the same for web and worker: a sync clears the pages the web processes cached, "
                "and failed sign-ins are counted there.",
                id="orgsite.W003",
            )
        )
    elif broker_on_redis and _same_redis_database(settings.CACHE_URL, settings.CELERY_BROKER_URL):
        warnings.append(
            CheckWarning(
                "The cache and Celery's queue share one Redis database: CACHE_URL and "
                "CELERY_BROKER_URL name the same one.",
                hint="Give the cache a database number of its own (redis://HOST:6379/1 beside "
                "the broker's /0): clearing the cache (Django's cache.clear() empties its "
                "database, FLUSHDB) would lose queued syncs too.",
                id="orgsite.W005",
            )
        )
    if parseaddr(settings.DEFAULT_FROM_EMAIL)[1].endswith("@localhost"):
        warnings.append(
            CheckWarning(
                f"Emails are sent from {settings.DEFAULT_FROM_EMAIL!r}: "
                "DJANGO_DEFAULT_FROM_EMAIL is not set.",
                hint="Set DJANGO_DEFAULT_FROM_EMAIL to an address of your domain, such as "
                "'Jobs <jobs@example.com>'; mail servers reject or file as spam mail from "
                "localhost.",
                id="orgsite.W004",
            )
        )
    return warnings


def site_url_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The links of password resets, invitations and address changes carry a token that works
    once opened. On a site that redirects http to https, a SITE_URL on plain http sends each one
    in clear over the network before that redirect (HSTS helps only a browser that has been to
    the site, and an invited person has not): anyone on the way could use it first."""
    if not settings.SECURE_SSL_REDIRECT or urlsplit(settings.SITE_URL).scheme != "http":
        return []
    return [
        CheckWarning(
            f"The links in emails are plain http: SITE_URL is {settings.SITE_URL!r}, though "
            "the site redirects http to https.",
            hint="Set SITE_URL to the site's https:// address: a password reset, invitation or "
            "address change link opened over http sends its token in clear before the redirect.",
            id="orgsite.W006",
        )
    ]


def refresh_cooldown_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A sync queued longer ago than SYNC_QUEUED_STALE_SECONDS that has not started is said, on
    the admin pages, to be one Refresh now can queue again; Refresh now refuses for
    SYNC_REFRESH_COOLDOWN_SECONDS after the sync attempted before it. Its attempt was before it
    was queued, so with the cooldown the longer, Refresh now pressed as the page says may be
    refused."""
    cooldown = settings.SYNC_REFRESH_COOLDOWN_SECONDS
    stale = settings.SYNC_QUEUED_STALE_SECONDS
    if cooldown <= stale:
        return []
    return [
        CheckWarning(
            f"Refresh now may refuse what the admin pages offer: SYNC_REFRESH_COOLDOWN_SECONDS "
            f"({cooldown}) is longer than SYNC_QUEUED_STALE_SECONDS ({stale}).",
            hint="Set SYNC_REFRESH_COOLDOWN_SECONDS to at most SYNC_QUEUED_STALE_SECONDS: a "
            "sync queued that long ago and not started is said to be one Refresh now can queue "
            "again, and Refresh now, still cooled down from the sync before it, refuses.",
            id="orgsite.W011",
        )
    ]


# The backends that deliver no email, each with what it does with one instead. The console
# backend also keeps their links (password resets, invitations, address changes) in the log,
# where they sign in whoever reads it.
UNSENT_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "writes them into the log",
    # Only a settings module of one's own sets that folder; without it, the backend fails on
    # each email instead (email_backend_check's error).
    "django.core.mail.backends.filebased.EmailBackend": "writes them into EMAIL_FILE_PATH",
    "django.core.mail.backends.locmem.EmailBackend": "keeps them in memory, for tests",
    "django.core.mail.backends.dummy.EmailBackend": "throws them away",
}


def unsent_email_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Django's backends for showing or testing emails locally send none: in production no one
    would get a password reset, an invitation or a sync alert."""
    done_instead = UNSENT_EMAIL_BACKENDS.get(settings.EMAIL_BACKEND)
    if settings.DEBUG or done_instead is None or email_backend_check():  # an error says so
        return []
    return [
        CheckWarning(
            f"Emails are not sent: DJANGO_EMAIL_BACKEND is {settings.EMAIL_BACKEND!r}, which "
            f"{done_instead}.",
            hint="Set DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend (the "
            "default) and DJANGO_EMAIL_HOST: no one gets a password reset, invitation or sync "
            "alert, and links written into the log sign in whoever reads it.",
            id="orgsite.W007",
        )
    ]


def greenhouse_api_base_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Greenhouse's Job Board API has every address under /v1, which each board's path is
    added to: asked without it, or with that path put after a "?" or "#", Greenhouse knows no
    board, and every org's board would be said to be missing until it is set right. A host or
    port requests cannot read (set by a settings module of one's own: orgsite.env refuses one
    from the environment) fails every request before it is sent. So does, or sends it to another
    host, a "/", "?" or "#" left in the password of it or of the proxy requests takes from the
    environment (HTTPS_PROXY, …), which logs mask as if it were written right; that proxy
    written without a scheme where requests then reads none (it fails every request); and a
    user name without a password, in either, or that proxy's password without a user name,
    which requests leaves out."""
    base_url = settings.GREENHOUSE_API_BASE
    warnings = []
    problem = api_base_problem(base_url)
    if problem:
        warnings.append(
            CheckWarning(
                f"GREENHOUSE_API_BASE is {_url_shown(base_url)!r}, which {problem}.",
                hint=_api_base_hint(base_url, problem),
                id="orgsite.W008",
            )
        )
    if unsendable := credentials_unsendable(base_url):
        warnings.append(
            _credentials_unsendable_warning("GREENHOUSE_API_BASE", base_url, unsendable)
        )
    elif not api_base_unsendable(base_url) and (
        left_out := _credentials_left_out_warning("GREENHOUSE_API_BASE", base_url, proxy=False)
    ):
        warnings.append(left_out)
    name, proxy = environment_proxy(base_url)
    if proxy and password_ends_host(proxy):
        warnings.append(
            CheckWarning(
                f"{name} is {_url_shown(proxy)!r}, which {HOST_READ_TO_END_EARLY}.",
                hint=HOST_READ_TO_END_EARLY_HINT,
                id="orgsite.W008",
            )
        )
    elif proxy and proxy_unusable(proxy):
        # requests reads "sync:pw@proxy:3128" as of scheme "sync", with no host.
        no_scheme = ": it has no scheme, such as http://" if "://" not in proxy else ""
        warnings.append(
            CheckWarning(
                f"{name} is {_url_shown(proxy)!r}, which requests cannot read as a proxy's "
                f"address{no_scheme}.",
                hint="Write it as http://user:password@host:port (a “/”, “?”, “#” or “@” in "
                "the password as %2F, %3F, %23 and %40): until then every request to "
                "Greenhouse fails before it is sent.",
                id="orgsite.W008",
            )
        )
    elif proxy and (unsendable := credentials_unsendable(proxy, proxy=True)):
        warnings.append(_credentials_unsendable_warning(name, proxy, unsendable))
    elif proxy and (left_out := _credentials_left_out_warning(name, proxy, proxy=True)):
        warnings.append(left_out)
    return warnings


def _credentials_left_out_warning(name: str, url: str, *, proxy: bool) -> CheckWarning | None:
    """Of a user name or password in `url` (GREENHOUSE_API_BASE, or with `proxy` a proxy's)
    that requests leaves out, silently, or None: a user name without a password
    ("http://sync@proxy:3128"), of which it takes neither, or a proxy's password without a user
    name ("http://:secret@proxy:3128"), as it adds a Proxy-Authorization only with a user
    name."""
    try:
        parts = urlsplit(prepend_scheme_if_needed(url, "http") if proxy else url)
    except ValueError:  # an address requests cannot read: warned of otherwise
        return None
    if parts.username and parts.password is None:
        has, sends = "a user name but no password", "a user name only with a password after a “:”"
        write = "the password after the user name and a “:”"
    elif proxy and parts.password and not parts.username:
        has, sends = "a password but no user name", "a proxy's password only with a user name"
        write = "the user name before the password"
    else:
        return None
    example, to, asker = (
        ("http://user:password@host:port", "to the proxy ", "a proxy")
        if proxy
        else ("https://user:password@host/v1", "", "an address")
    )
    return CheckWarning(
        f"{name} is {_url_shown(url)!r}, which has {has}: requests sends {sends}, so it sends "
        "none.",
        hint=f"Write {write}, {example}: until then every request to Greenhouse is sent {to}"
        f"without them, and {asker} that asks for them refuses it.",
        id="orgsite.W008",
    )


def _credentials_unsendable_warning(name: str, url: str, part: str) -> CheckWarning:
    """Of a user name or password (`part`: which, or both) requests cannot send: the sync said
    only that the request to Greenhouse failed."""
    fix = CREDENTIALS_UNSENDABLE_FIX.format(name=name, part=part)
    return CheckWarning(
        f"{name} is {_url_shown(url)!r}, which {CREDENTIALS_UNSENDABLE.format(part=part)}.",
        hint=f"{capfirst(fix)}: requests encodes them "
        "in Latin-1 (a %XX turned back as UTF-8 first), and until then every request to "
        "Greenhouse fails before it is sent.",
        id="orgsite.W008",
    )


def _url_shown(url: str) -> str:
    """`url` (GREENHOUSE_API_BASE or a proxy) with its password masked to its last "@", for a
    warning: also where it has no scheme ("sync:***@proxy:3128"), or a space or a "://" in it,
    where passwords_masked, which reads URLs out of a line's words, finds none."""
    userinfo, at, host = url.rpartition("@")
    scheme = _URL_SCHEME_RE.match(userinfo)
    start = scheme.end() if scheme else 0
    user, colon, _ = userinfo[start:].partition(":")
    return f"{userinfo[:start]}{user}:***@{host}" if at and colon else url


_URL_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


# What requests does with a URL whose password has a "/", "?" or "#" left as it is.
HOST_READ_TO_END_EARLY_HINT = (
    "Left as it is, requests reads the host to end at that character, and the password's first "
    "characters as the port when they are digits: every request to Greenhouse goes to another "
    "host, or fails before it is sent."
)


def _api_base_hint(base_url: str, problem: str) -> str:
    """What to set GREENHOUSE_API_BASE to, and what fails until then: asked elsewhere,
    Greenhouse knows no board, but an address requests cannot read is asked nowhere, and one
    whose password ends its host, at another host or nowhere."""
    if problem == HOST_READ_TO_END_EARLY:
        return HOST_READ_TO_END_EARLY_HINT
    if api_base_unsendable(base_url):
        return (
            "Set GREENHOUSE_API_BASE to an address requests can read: "
            "https://boards-api.greenhouse.io/v1 (the default), or that of a proxy to it that "
            "ends in /v1. No request can be sent as it is: every board check and every sync "
            "fails before reaching anyone."
        )
    return (
        "Set GREENHOUSE_API_BASE=https://boards-api.greenhouse.io/v1 (the default), or the "
        "address of a proxy to it that ends in /v1, with no “?” or “#”. Asked elsewhere, "
        "Greenhouse knows no board: every board check and every sync fails."
    )


def _same_redis_database(url: str, other_url: str) -> bool:
    """Whether two redis:// URLs name one database: one number on one port of one host, each
    name of this machine being one host."""
    (host, *database), (other_host, *other_database) = map(_redis_database, (url, other_url))
    if database != other_database:
        return False
    if host == other_host:
        return True
    local, other_local = _names_this_machine(host), _names_this_machine(other_host)
    if local == other_local:
        return local
    # The last name of this machine, its fully qualified one, takes a lookup, which waits on DNS
    # as each process starts: asked only beside another name of it, as two other hosts (two
    # Redis servers, each with its database 0) cannot both be this machine.
    return (other_host if local else host) == socket.getfqdn().lower()


def _redis_database(url: str) -> tuple[str, int, int]:
    """Host (its %XX turned back, as both clients connect to it, in lower case, without the
    trailing dot of a fully qualified name; localhost when it names none, as Celery and the
    cache read it), port and database number of a redis:// URL (database 0 when it names
    none). The cache's client, redis-py, takes a `?db=` over the path's number; the broker's
    URL has none (Celery's client fails on one, and settings refuse it). Both
    clients read the number with int(), as settings have checked it is one: "/00" is 0, and
    so is "/%30"."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    path_database = redis_path_database(parts.path) or "0"
    database = int(query.get("db", [path_database])[0])
    # The cache's client reads a ?host= and ?port= where the URL names none (settings checked
    # the port); the broker's URL has neither (Celery's client fails on them).
    host = parts.hostname or query.get("host", [""])[0]
    host = (unquote(host).lower() or "localhost").removesuffix(".")
    return host, parts.port or int(query.get("port", ["6379"])[0]), database


def _names_this_machine(host: str) -> bool:
    """Whether a connection to `host` reaches this machine, told without a lookup: "localhost",
    its host name, or a loopback (all of 127.0.0.0/8, and ::1) or unspecified (0.0.0.0, ::)
    address, written as IPv6 maps IPv4 (::ffff:127.0.0.1) or in the short forms a connection
    reads too (127.1). On one port, each is the same Redis."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        short_address = _short_ipv4_address(host)
        if short_address is None:  # a name
            return host in ("localhost", socket.gethostname().lower())
        address = short_address
    address = getattr(address, "ipv4_mapped", None) or address
    return address.is_loopback or address.is_unspecified


def _short_ipv4_address(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address `host` writes in a short form a connection reads too (127.1,
    2130706433), or None. inet_aton also reads the address before a space ("127.0.0.1 x"),
    where a connection looks the whole host up as a name, and finds none."""
    if any(character.isspace() for character in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def email_backend_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A backend with which every email fails as it is sent, debugging or not: one that cannot
    be imported, or the file-based one without Django's EMAIL_FILE_PATH, the folder it writes
    into, which no environment variable sets."""
    try:
        import_string(settings.EMAIL_BACKEND)
    except ImportError as exc:
        return [
            CheckError(
                f"DJANGO_EMAIL_BACKEND is {settings.EMAIL_BACKEND!r}, which cannot be imported: "
                f"{exc}",
                hint="Use django.core.mail.backends.smtp.EmailBackend, or a backend installed "
                "here. As it is, every password reset, invitation and sync alert would fail as "
                "it is sent.",
                id="orgsite.E001",
            )
        ]
    file_based = settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend"
    if file_based and not getattr(settings, "EMAIL_FILE_PATH", None):
        return [
            CheckError(
                f"DJANGO_EMAIL_BACKEND is {settings.EMAIL_BACKEND!r}, which fails on every "
                "email: EMAIL_FILE_PATH, the folder it would write them to, is not set here.",
                hint="Use django.core.mail.backends.smtp.EmailBackend with DJANGO_EMAIL_HOST, "
                "or, to read emails locally, django.core.mail.backends.console.EmailBackend "
                "(the default while debugging). As it is, every password reset, invitation and "
                "sync alert would fail as it is sent.",
                id="orgsite.E003",
            )
        ]
    return []


def from_email_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every email goes out from DEFAULT_FROM_EMAIL. SERVER_EMAIL is not checked: it only sends
    Django's error emails to ADMINS, which this site leaves empty."""
    if _from_address_valid(settings.DEFAULT_FROM_EMAIL):
        return []
    return [
        CheckError(
            f"DJANGO_DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL!r}, which is not an email "
            "address.",
            hint="Set it to an address of your domain, alone or with a name: "
            "'jobs@example.com' or 'Jobs <jobs@example.com>' (a name with a comma in "
            "double quotes). As it is, every password reset, invitation and sync alert would "
            "fail as it is sent, or be rejected by the mail server.",
            id="orgsite.E002",
        )
    ]


def _from_address_valid(value: str) -> bool:
    """One address, alone or as 'Name <address>', that Django's email validator accepts and its
    mail backends can encode."""
    if not address_sendable(value):  # also refuses what does not parse as one address whole
        return False
    try:
        validate_email(parseaddr(value)[1])
    except ValidationError:
        return False
    return True


def database_ctype_check(
    app_configs: Any = None, databases: list[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """A database check (Tags.database): Django runs it where it names the databases it may
    query, at `migrate` and `check --database default`, not at plain `check`, `check --deploy`
    or a process's start."""
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    return database_ctype_warnings(connections[DEFAULT_DB_ALIAS])


def database_ctype_warnings(connection: BaseDatabaseWrapper) -> list[CheckMessage]:
    """Keyword search parses and lowercases words by the database's character type: under C
    or POSIX (or an encoding other than UTF-8), no letter beyond ASCII is lowercased and every
    character beyond ASCII is read as a letter, so "ЗАРПЛАТА" misses "зарплата"."""
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_encoding_to_char(encoding), datctype FROM pg_database "
                "WHERE datname = current_database()"
            )
            encoding, ctype = cursor.fetchone()
    except DatabaseError:  # out of reach: migrate says so itself, as it connects
        return []
    if encoding == "UTF8" and _UTF8_LOCALE_RE.search(ctype):
        return []
    return [
        CheckWarning(
            f"The database's character type is {ctype!r} (encoding {encoding}), not a UTF-8 "
            "one: keyword search lowercases no letter beyond ASCII and reads every character "
            "beyond ASCII as a letter, so “ЗАРПЛАТА” misses “зарплата” and “leg” misses "
            "“arm—leg”.",
            hint="It cannot be changed in place: dump the database (`pg_dump -Fc`) and "
            "restore it with `pg_restore` into one created with `createdb -E UTF8 "
            "--locale=C.UTF-8 -T template0 DBNAME`, which parses the words again (README, "
            "Backups).",
            id="orgsite.W009",
        )
    ]


def organization_slugs_check(
    app_configs: Any = None, databases: list[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Orgs whose slugs differ only in case, saved before the site checked slugs in any case,
    which migration jobs 0070 stops on: a database check, as database_ctype_check, so that
    `check --database default` from a new release tells of them before `migrate` runs it."""
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    try:
        groups = organizations_at_one_address_in_any_case(Organization.objects.all())
    except DatabaseError:  # out of reach, or no table yet: migrate says so itself, or makes it
        return []
    if not groups:
        return []
    return [CheckWarning(organizations_at_one_address_refusal(groups), id="orgsite.W010")]


# A libc locale of UTF-8: "C.UTF-8", "en_US.utf8", "sr_RS.UTF-8@latin".
_UTF8_LOCALE_RE = re.compile(r"\.utf-?8(@|$)", re.IGNORECASE)
