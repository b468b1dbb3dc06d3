"""Django settings for orgsite.

Every setting comes from an environment variable with a default that is safe for local use;
the README lists them all. Production must set DJANGO_DEBUG=false, DJANGO_SECRET_KEY,
ORGSITE_ENCRYPTION_KEYS and DJANGO_ALLOWED_HOSTS.
"""

import errno
import itertools
import os
import re
import secrets
import stat
import tempfile
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from orgsite.env import (
    directory_made,
    env_bool,
    env_database_url,
    env_float,
    env_given,
    env_int,
    env_line,
    env_list,
    env_str,
    env_time_of_day,
    env_url,
    passwords_masked,
    redis_url_check,
    running_account,
    url_named,
    value_shown,
)
from orgsite.static_headers import static_security_headers_add

BASE_DIR = Path(__file__).resolve().parent.parent
# Bounds of the number settings, in seconds and in days: each has a maximum, as a number of
# thousands of digits was taken and failed where it was used (a datetime or timeout overflowing).
_DAY = 24 * 60 * 60
# Retention takes up to 100,000 days (274 years: the cutoff stays a valid datetime), so a
# number written to mean "keep them all", such as 36500 or 99999, is still read.
_RETENTION_DAYS_MAX = 100_000
# The owner's own bits cleared from the umask, the others kept: under one of 0277, all the site
# made was read-only to its own account, and its processes failed on it: each as it started,
# on a directory it had just made under ORGSITE_VAR_DIR; the web's and the worker's after
# `migrate`'s on each write to SQLite's db.sqlite3 ("attempt to write a readonly database");
# beat on its schedule. 0277 becomes 0077; 0022 and 0077 stay. Between the calls (os.umask
# reads it only by setting one) it is 0077, never looser for group and others.
os.umask(os.umask(0o077) & 0o077)
VAR_DIR = directory_made(
    Path(env_str("ORGSITE_VAR_DIR", str(BASE_DIR / "var"))), setting="ORGSITE_VAR_DIR"
)

DEBUG = env_bool("DJANGO_DEBUG", True)


# What may be in the key file's place that is no file: a named pipe held every process at its read
# forever, waiting for a writer; a link to a device was read (/dev/null as a blank key, replaced
# by one) or never ended (/dev/zero).
_NOT_A_FILE = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


# The most bytes the key file may hold: the key made there is 67 characters, Django's own 50.
# A link to a large file (a log, a disk image) was read whole into memory, then used as the key.
_LOCAL_SECRET_KEY_MAX_BYTES = 4096


def _local_secret_key_text(path: Path, *, instead: str) -> str:
    """The key file's text, read as UTF-8 whatever the locale. Opened without waiting for a
    writer, then checked as opened, so no other file can take its place between the two; one
    that is no file (a link to one followed) stops the process saying what it is, as does one
    longer than a key, read no further. O_NOCTTY: a terminal opened (a link to one) is not made
    the process's own, as a process without one (a session leader) would make it."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # "No such device or address": a socket, never opened
            _refuse_what_is_no_file(path, os.stat(path).st_mode, instead=instead)
        raise
    try:
        _refuse_what_is_no_file(path, os.fstat(descriptor).st_mode, instead=instead)
        with open(descriptor, "rb", closefd=False) as file:
            read = file.read(_LOCAL_SECRET_KEY_MAX_BYTES + 1)
    finally:
        os.close(descriptor)
    if len(read) > _LOCAL_SECRET_KEY_MAX_BYTES:
        # Not replaced by a key, as a blank file is: it may be another file moved there.
        raise ImproperlyConfigured(
            f"ORGSITE_VAR_DIR: {path} is not a key, being longer than "
            f"{_LOCAL_SECRET_KEY_MAX_BYTES} bytes: move it away, and a key is made there{instead}."
        )
    return read.decode("utf-8").strip()


def _refuse_what_is_no_file(path: Path, mode: int, *, instead: str) -> None:
    if not stat.S_ISREG(mode):
        # Not replaced by a key, as a blank file is: a directory may hold someone's files.
        what = _NOT_A_FILE.get(stat.S_IFMT(mode), "no regular file")
        raise ImproperlyConfigured(
            f"ORGSITE_VAR_DIR: {path} is {what}, not a file: move it away{instead}."
        )


def _local_secret_key() -> str:
    """A random key kept under var/ so local sessions survive restarts; never used in production.
    Written whole to a file of its own, its owner's alone (0600) from the start, then linked in
    place: processes starting at once (`make test`'s) all read one key, never a file made but
    not yet written. (`make run`'s three start after runlocal, which made it.)"""
    path = VAR_DIR / "local_secret_key"
    instead = ", or set DJANGO_SECRET_KEY (without it, debugging keeps a key there)"
    try:
        key = _local_secret_key_text(path, instead=instead)
    except FileNotFoundError:
        if path.is_symlink():
            # To nothing (a volume not mounted, a file moved): the key made was not linked in
            # its place, and reading it back stopped the process with a traceback.
            raise ImproperlyConfigured(
                f"ORGSITE_VAR_DIR: {path} is a symbolic link to {path.parent / path.readlink()}, "
                f"which does not exist: remove the link, and a key is made there{instead}."
            ) from None
        key = ""
    except PermissionError:
        # Another account's (one that ran the site first, under sudo): a traceback named
        # neither the setting nor the account, before the queue's refusal that does.
        raise ImproperlyConfigured(
            f"ORGSITE_VAR_DIR: this process cannot read {path}. The account running it "
            f"({running_account()}) must be able to read it: make it that account's{instead}."
        ) from None
    except UnicodeDecodeError:
        # Its traceback named neither the setting nor a fix. Not replaced by a key, as a blank
        # file is: it may be another file moved there by mistake.
        raise ImproperlyConfigured(
            f"ORGSITE_VAR_DIR: {path} is not a key, its bytes not being UTF-8 text: move it "
            f"away, and a key is made there{instead}."
        ) from None
    except OSError as exc:
        # Any other (a link to itself, a disk failing): a traceback too. The system's reason in
        # brackets, then a fix, as the others give: "…: Too many levels of symbolic links, or set
        # DJANGO_SECRET_KEY" offered that one alone, in a sentence that read as if it were two.
        raise ImproperlyConfigured(
            f"ORGSITE_VAR_DIR: this process cannot read {path} ({exc.strerror or exc}): move it "
            f"away, and a key is made there{instead}."
        ) from None
    if not key:
        # One this account may not write stops the process saying so, as the queue's does:
        # mkstemp's PermissionError came first, a traceback naming neither setting.
        directory_made(VAR_DIR, setting="ORGSITE_VAR_DIR", written=True, instead=instead)
        descriptor, made = tempfile.mkstemp(dir=VAR_DIR, prefix=".local_secret_key.")
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(50))
            os.link(made, path)
        except FileExistsError:
            # Another process linked its key first: that one is kept. A blank one (an older
            # version's, its disk full as it wrote) was no key: Django refused it at first use.
            if not _local_secret_key_text(path, instead=instead):
                os.replace(made, path)
        except OSError:
            # No hard links on this filesystem (FAT, a VM's shared folder): moved in place
            # whole. Processes starting at once may then each read their own key, this once.
            os.replace(made, path)
        finally:
            Path(made).unlink(missing_ok=True)
    return _local_secret_key_text(path, instead=instead)


SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false")
    SECRET_KEY = _local_secret_key()

# Fernet keys for secrets stored in the database (the Greenhouse API key). The first key
# encrypts; all of them decrypt, so a new key can be put first and old rows re-encrypted later.
ENCRYPTION_KEYS = env_list("ORGSITE_ENCRYPTION_KEYS", [])
if not ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured("ORGSITE_ENCRYPTION_KEYS must be set when DJANGO_DEBUG is false")
for _position, _key in enumerate(ENCRYPTION_KEYS, start=1):
    try:
        Fernet(_key)
    except ValueError:
        # Checked now: otherwise the first API key stored would fail, long after deployment.
        raise ImproperlyConfigured(
            f"ORGSITE_ENCRYPTION_KEYS: key {_position} is not a Fernet key (make one with "
            '`python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"`)'
        ) from None

LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
# A host as Django reads it from a Host header, without its port (its host_validation_re), or
# after a "." for its subdomains too.
ALLOWED_HOST_RE = re.compile(r"\.?([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])", re.IGNORECASE)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", LOCAL_HOSTS)
for _host in ALLOWED_HOSTS:
    # Anything else matches no request (a URL, a port, a stray bracket), so the site would
    # answer every one 400; and "jobs.example.com]" failed the SITE_URL below with a ValueError.
    if _host != "*" and not ALLOWED_HOST_RE.fullmatch(_host):
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS takes host names such as jobs.example.com, not "
            f"{value_shown(_host)}"
        )
# The local default hosts would make a production site answer nothing: name them explicitly.
if not DEBUG and not env_list("DJANGO_ALLOWED_HOSTS", []):
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is false")
# Debug is only the default for local use: on a public name its error pages show code and
# settings to anyone. A deployment that names its host but forgot DJANGO_DEBUG (or left it
# blank, which reads as unset) stops here.
if DEBUG and env_given("DJANGO_DEBUG") is None and set(ALLOWED_HOSTS) - set(LOCAL_HOSTS):
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS names a host other than this machine but DJANGO_DEBUG is not set: "
        "set DJANGO_DEBUG=false for production (or DJANGO_DEBUG=true to debug on that name)"
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])


def _default_site_url() -> str:
    """runlocal's address locally; in production, https on the first public host allowed."""
    if DEBUG:
        return f"http://127.0.0.1:{env_int('PORT', 8000, minimum=1, maximum=65535)}"
    named = [host for host in ALLOWED_HOSTS if not host.startswith((".", "*"))]
    if not named:
        raise ImproperlyConfigured(
            "SITE_URL must be set (such as https://jobs.example.com) when DJANGO_ALLOWED_HOSTS "
            "names no single host: emails sent outside a request link to it"
        )
    public = [host for host in named if host not in LOCAL_HOSTS]
    return f"https://{(public or named)[0]}"


# The scheme and host of the links in every email, never a request's Host, which a wildcard in
# DJANGO_ALLOWED_HOSTS leaves to the client (and a sync's alert has no request at all).
SITE_URL = (
    env_url("SITE_URL", "https://jobs.example.com")
    if env_given("SITE_URL") is not None
    else _default_site_url()
).rstrip("/")
_site_url_parts = urlsplit(SITE_URL)
# The site answers at its host's root: email links under a path would all be 404s. A "?" or
# "#", even with nothing after it ("https://jobs.example.com?"), put the path of each link
# added to it after that mark ("…?/manage/…" in sync emails; urljoin's links, as invitations',
# drop it). A user and password before the host would be in every link emailed; the error
# masks the password.
if _site_url_parts.path or any(mark in SITE_URL for mark in "?#") or "@" in _site_url_parts.netloc:
    raise ImproperlyConfigured(
        "SITE_URL is a scheme and host only, such as https://jobs.example.com, not "
        f"{value_shown(passwords_masked(SITE_URL))}"
    )

# The site's name wherever people read it: page titles, the header, emails and feeds. Internal
# names (the package, loggers, the Celery app, the User-Agent sent to Greenhouse) keep "orgsite".
SITE_NAME = env_line("SITE_NAME", "orgsite", max_length=60)

INSTALLED_APPS = [
    "jobs.apps.StaffAccountLockingAdminConfig",  # Django's admin, locking staff's accounts
    # Before django.contrib.auth: of two apps with a command of one name, Django runs the first
    # one's, and the site's changepassword saves the password alone.
    "jobs",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver leaves /static/ to WhiteNoise, so `make run` sends static
    # files with the same headers as production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "csp",
]

MIDDLEWARE = [
    # Outermost: it drops a HEAD's body once every other one has read it (gunicorn sends it).
    "orgsite.middleware.HeadWithoutBody",
    # Before any that reads the database (the session, request.user): one connect per request.
    "orgsite.middleware.DatabaseConnectedOnce",
    "django.middleware.security.SecurityMiddleware",
    # Right after the https redirect: static files need nothing from the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # An ETag on every public page (signed-in ones are no-store), to a HEAD too: a feed reader
    # or a poller of jobs.json that has the page gets a 304.
    "orgsite.middleware.ConditionalGetAndHead",
    # Outside each one that reads the database: a page's 503, made where its failed connect is
    # met again (request.user after the view), gets the policy too. Inside the 304s: they carry
    # none, and a cache keeps the one of the page it stored (RFC 9111).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Outside CommonMiddleware: it drops the Content-Length that one gives a 204 or 304.
    "orgsite.middleware.NoContentHeadersWithoutContent",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "orgsite.middleware.SignedInPagesNotStored",
    "django.contrib.messages.middleware.MessageMiddleware",
    "orgsite.middleware.HeadLeavesMessagesUnread",
]

ROOT_URLCONF = "orgsite.urls"
WSGI_APPLICATION = "orgsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orgsite.context_processors.site_name",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_database_url("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0, maximum=_DAY),
        # A kept connection the server has since closed (a restart, a failover) is replaced
        # before the request uses it, instead of failing that request with a 500.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets visitors read while a sync writes; IMMEDIATE makes writers queue on the lock
    # instead of failing with "database is locked" when they upgrade from a read.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that Celery worker processes started by tests share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif not env_given("PGCONNECT_TIMEOUT"):
    # PostgreSQL, the only other: psycopg waits 130 s for one that does not answer (packets
    # dropped), and gunicorn killed each web worker at 30 s first, with its own 500 page. At 5 s
    # /healthz fails `database`, and a page, which connects once (DatabaseConnectedOnce),
    # answers 503. A URL's own ?connect_timeout=, or PGCONNECT_TIMEOUT, is kept.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "manage:index"  # the orgs one manages
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        "DJANGO_TIME_ZONE must be a time zone name such as Europe/Paris, not "
        f"{value_shown(TIME_ZONE)}"
    ) from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Empty until collectstatic, but there: WhiteNoise warns of a missing one in every web process.
STATIC_ROOT = directory_made(VAR_DIR / "static", setting="ORGSITE_VAR_DIR")
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves STATIC_ROOT (filled by collectstatic) from the web processes themselves, with
# gzipped copies made at collectstatic time: no other server is needed for /static/. Names carry
# a hash of the content, so browsers keep each file for ten years.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "orgsite.storage.StaticFilesStorage"},
}
# The names collectstatic hashes (site.a9db4d3009dc.css), which WhiteNoise serves as immutable.
# Its own test strips the last dot-part and looks the rest up, so jquery.init.js had it look up
# jquery.js, which the storage logs as never collected, in every web process after each deploy.
WHITENOISE_IMMUTABLE_FILE_TEST = r"\.[0-9a-f]{12}(\.[^./]+)?$"
# Pages get their Content-Security-Policy and X-Frame-Options from middleware that runs after
# WhiteNoise has answered for a static file: it adds its own.
WHITENOISE_ADD_HEADERS_FUNCTION = static_security_headers_add

# Every email: password resets, invitations, address changes, sync alerts. The console shows them
# locally; in production it would write their sign-in links into the log, so mail goes to an
# SMTP server unless told otherwise.
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "orgsite <noreply@localhost>")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD", "")
# Django's SMTP backend logs in with both (neither when one is empty), and Python's SMTP client
# sends them in ASCII: one beyond it failed every email with a UnicodeEncodeError as it logged
# in, and nothing said so at startup. Another backend (the console's, locally) never logs in
# with them. The error shows neither.
_email_login_unsendable = [
    name
    for name, value in [
        ("DJANGO_EMAIL_HOST_USER", EMAIL_HOST_USER),
        ("DJANGO_EMAIL_HOST_PASSWORD", EMAIL_HOST_PASSWORD),
    ]
    if not value.isascii()
]
_logs_in_by_smtp = EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
if _logs_in_by_smtp and EMAIL_HOST_USER and EMAIL_HOST_PASSWORD and _email_login_unsendable:
    raise ImproperlyConfigured(
        f"{' and '.join(_email_login_unsendable)}: a character beyond ASCII, which Python's "
        "SMTP client cannot send as it logs in to the mail server, so every email would fail: "
        "give the mail account a user name and password of ASCII characters only"
    )
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    # Django would only refuse this when the first email is sent.
    raise ImproperlyConfigured(
        "DJANGO_EMAIL_USE_TLS (STARTTLS, usually port 587) and DJANGO_EMAIL_USE_SSL (implicit "
        "TLS, usually port 465) exclude each other: set one"
    )
# Mail is sent inside the web request: a mail server that never answers must fail the send (the
# page says so) before gunicorn's 30-second timeout kills the web process.
EMAIL_TIMEOUT = env_float("DJANGO_EMAIL_TIMEOUT", 10.0, positive=True, maximum=60)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Ten years at most, the longest max-age seen in deploy guides (hstspreload.org asks for a year
# or more).
SECURE_HSTS_SECONDS = env_int(
    "DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0, maximum=10 * 365 * _DAY
)
# includeSubDomains forces https on every subdomain: turn it off for a site on a company's bare
# domain whose other hosts are not all on https.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# Opt-in: with `preload` in the header anyone may submit the domain to the browsers' preload
# lists, which takes months to undo. check --deploy's reminder of it (W021) is silenced below.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Greenhouse -------------------------------------------------------------------------------
# Written with or without a trailing slash: the client joins its paths on without one.
GREENHOUSE_API_BASE = env_url("GREENHOUSE_API_BASE", "https://boards-api.greenhouse.io/v1")
# Each timeout and wait has a maximum (minutes to an hour): a sync waits on the fetch, and a
# socket refuses a timeout of 1e300 seconds (OverflowError).
GREENHOUSE_CONNECT_TIMEOUT = env_float(
    "GREENHOUSE_CONNECT_TIMEOUT", 5.0, positive=True, maximum=300
)
GREENHOUSE_READ_TIMEOUT = env_float("GREENHOUSE_READ_TIMEOUT", 30.0, positive=True, maximum=600)
# Whole-response deadline: a body that trickles in never trips the per-read timeout above.
GREENHOUSE_TOTAL_TIMEOUT = env_float("GREENHOUSE_TOTAL_TIMEOUT", 120.0, positive=True, maximum=3600)
# A response is held in memory whole, and parsed there: 1 GiB at most.
GREENHOUSE_MAX_RESPONSE_BYTES = env_int(
    "GREENHOUSE_MAX_RESPONSE_BYTES", 200 * 1024 * 1024, minimum=1, maximum=1024 * 1024 * 1024
)
GREENHOUSE_RETRIES = env_int("GREENHOUSE_RETRIES", 3, minimum=0, maximum=10)
GREENHOUSE_RETRY_BACKOFF = env_float("GREENHOUSE_RETRY_BACKOFF", 1.0, maximum=60)
# A Retry-After longer than this is not waited out inside a request; the task retries later.
GREENHOUSE_MAX_RETRY_AFTER = env_float("GREENHOUSE_MAX_RETRY_AFTER", 30.0, maximum=3600)
# A header value: a line break or a letter beyond ASCII would fail every request to Greenhouse.
GREENHOUSE_USER_AGENT = env_line("GREENHOUSE_USER_AGENT", "orgsite-sync/0.1", max_length=200)
if not GREENHOUSE_USER_AGENT.isascii():
    raise ImproperlyConfigured(
        "GREENHOUSE_USER_AGENT must be ASCII, as HTTP headers are: "
        f"{value_shown(GREENHOUSE_USER_AGENT)}"
    )

# --- Sync -------------------------------------------------------------------------------------
SYNC_DEFAULT_INTERVAL_MINUTES = 15
# How long a sync may hold an org's lock; a crashed worker's lock frees itself after this.
SYNC_LOCK_SECONDS = env_int("SYNC_LOCK_SECONDS", 600, minimum=30, maximum=_DAY)
# A Refresh (or dispatch) marker older than this is considered lost (e.g. the broker dropped it).
SYNC_QUEUED_STALE_SECONDS = env_int("SYNC_QUEUED_STALE_SECONDS", 900, minimum=30, maximum=_DAY)
SYNC_REFRESH_COOLDOWN_SECONDS = env_int(
    "SYNC_REFRESH_COOLDOWN_SECONDS", 30, minimum=0, maximum=_DAY
)
# An org's admins are emailed once its syncs have failed for this long, and again when a sync
# works; 0 sends no new failure emails (a "works again" still follows one already sent).
SYNC_FAILURE_EMAIL_AFTER_MINUTES = env_int(
    "SYNC_FAILURE_EMAIL_AFTER_MINUTES", 60, minimum=0, maximum=7 * 24 * 60
)

# --- Celery -----------------------------------------------------------------------------------
# With no broker configured, a filesystem transport under var/ needs no server at all.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if not CELERY_BROKER_URL.startswith(("redis://", "rediss://", "filesystem://", "memory://")):
    # Celery would read anything else as an AMQP host name and retry it forever.
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL must be redis://HOST:6379/0 (or filesystem:// locally), not "
        f"{url_named(CELERY_BROKER_URL)}"
    )
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    redis_url_check("CELERY_BROKER_URL", CELERY_BROKER_URL, for_celery=True)
elif CELERY_BROKER_URL.startswith("filesystem://") and CELERY_BROKER_URL != "filesystem://":
    # Celery failed on a query there as it connected (TypeError: unexpected keyword), and with a
    # path ("filesystem:///srv/queue") or a blank got none of the settings below: kombu queued
    # in a data_in/ of each process's current directory, the web's and the worker's apart.
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must be filesystem:// alone, with nothing after it: Celery fails on "
        "a query there as it connects, and with a path queues in a data_in/ folder of each "
        "process's current directory, where the site keeps the queue under ORGSITE_VAR_DIR "
        "(redis://HOST:6379/0 in production)"
    )
elif CELERY_BROKER_URL.startswith("memory://") and "?" in CELERY_BROKER_URL:
    # Its queue is the process's own whatever host or path follows ("memory://localhost/"
    # works as memory:// does, and was taken), but not a query: TypeError as it connected.
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL has a query after memory://, which Celery fails on as it connects: "
        "leave it out"
    )
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT = "orgsite.filesystem_broker:Transport"  # stops in 3 seconds, not 7
    # Checked for writing too, as file-cache/ is: one another account made (a command run as
    # root) failed every sync queued in it, long after the processes had started. So did its
    # control/, where kombu writes each queue's routing as a process first sends to it.
    _broker_instead = ", or set CELERY_BROKER_URL=redis://HOST:6379/0, the broker of production"
    _queue_dir = directory_made(
        VAR_DIR / "celery-queue", setting="ORGSITE_VAR_DIR", written=True, instead=_broker_instead
    )
    _control_dir = directory_made(
        _queue_dir / "control", setting="ORGSITE_VAR_DIR", written=True, instead=_broker_instead
    )
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Must exceed the time limits below (checked there), or Redis redelivers a task still
        # running.
        "visibility_timeout": env_int(
            "CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60, maximum=2 * _DAY
        ),
        # Without it, publishing to an unreachable Redis host (packets dropped, not refused)
        # blocks forever; Refresh must fail within seconds with "the queue is not reachable".
        "socket_connect_timeout": 1.0,
    }
# Time limits: the soft one raises inside the sync (its transaction rolls back and the run is
# recorded as failed); the hard one kills the pool process. The process refuses to start unless
#   soft limit < hard limit < SYNC_LOCK_SECONDS < CELERY_VISIBILITY_TIMEOUT (not with filesystem://)
# so no sync outlives its org's lease, and Redis never hands a task that is still running to a
# second worker (it redelivers an unacknowledged task only after the visibility timeout).
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1, maximum=_DAY)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1, maximum=_DAY)
_time_limits = [
    ("CELERY_TASK_SOFT_TIME_LIMIT", CELERY_TASK_SOFT_TIME_LIMIT),
    ("CELERY_TASK_TIME_LIMIT", CELERY_TASK_TIME_LIMIT),
    ("SYNC_LOCK_SECONDS", SYNC_LOCK_SECONDS),
]
if "visibility_timeout" in CELERY_BROKER_TRANSPORT_OPTIONS:
    _time_limits.append(
        ("CELERY_VISIBILITY_TIMEOUT", CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])
    )
for (_shorter, _shorter_seconds), (_longer, _longer_seconds) in itertools.pairwise(_time_limits):
    if _shorter_seconds >= _longer_seconds:
        raise ImproperlyConfigured(
            f"{_shorter} ({value_shown(_shorter_seconds)}) must be less than {_longer} "
            f"({value_shown(_longer_seconds)}): "
            f"keep {' < '.join(name for name, _ in _time_limits)}"
        )
# acks_late: a task is acknowledged when it ends, not when it starts, so one whose worker is
# killed (SIGKILL, OOM, a lost host) stays on the broker and is delivered again.
# reject_on_worker_lost: the same when only the pool process dies; without it Celery acks the
# task as failed. A redelivered or duplicate task is harmless: the org's lease lets one sync run
# at a time, the sync's transaction means a half-done run left nothing behind, and the next run
# marks the dead one interrupted (tests/test_crash_safety.py).
# Prefetch 1: a worker reserves only the task it runs, so a slow board does not hold other
# orgs' tasks hostage in its buffer (nor take them down with it when it dies).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's default gives up after 100 reconnect attempts (about 46 minutes at up to 30 seconds
# apart) and the worker exits: after a longer Redis outage nothing would sync, even once Redis
# is back, unless a process manager restarts it. Retrying forever picks up work by itself.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "orgsite.beat:PersistentScheduler"
SYNC_DISPATCH_EVERY_SECONDS = env_float(
    "SYNC_DISPATCH_EVERY_SECONDS", 60.0, positive=True, maximum=3600
)
# The daily pruning runs at this time of day in the site's time zone (CELERY_TIMEZONE). An
# interval of a day would count from beat's start: a beat restarted daily would never prune.
DAILY_PRUNE_AT = env_time_of_day("DAILY_PRUNE_AT", "03:30")
_daily_prune = crontab(minute=DAILY_PRUNE_AT.minute, hour=DAILY_PRUNE_AT.hour)
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-syncs": {
        "task": "jobs.tasks.dispatch_due_syncs",
        "schedule": SYNC_DISPATCH_EVERY_SECONDS,
    },
    "prune-sync-runs": {"task": "jobs.tasks.prune_sync_runs", "schedule": _daily_prune},
    "prune-expired-invitations": {
        "task": "jobs.tasks.prune_expired_invitations",
        "schedule": _daily_prune,
    },
    "prune-expired-sessions": {
        "task": "jobs.tasks.prune_expired_sessions",
        "schedule": _daily_prune,
    },
}
CELERY_TIMEZONE = TIME_ZONE

# --- Logging ----------------------------------------------------------------------------------
# "json" writes one JSON object per line (time, level, logger, message and `extra` fields).
LOG_FORMAT = env_str("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {value_shown(LOG_FORMAT)}")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").strip().upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {value_shown(LOG_LEVEL)}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "orgsite.logging.JsonFormatter"},
    },
    "filters": {
        "failed_health_probe": {"()": "orgsite.logging.FailedHealthProbeFilter"},
        "database_unavailable": {"()": "orgsite.logging.DatabaseUnavailableFilter"},
        "unknown_host": {"()": "orgsite.logging.UnknownHostFilter"},
        "permission_denied": {"()": "orgsite.logging.PermissionDeniedFilter"},
        "passwords_masked": {"()": "jobs.greenhouse.PasswordsMaskedFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            # Passwords masked in the lines of every logger, not only jobs.greenhouse's.
            "filters": ["passwords_masked"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler (DEBUG only) would write each line a second time, plain.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        "django.request": {
            "filters": ["failed_health_probe", "database_unavailable", "permission_denied"]
        },
        "django.security.DisallowedHost": {"filters": ["unknown_host"]},
        # runserver's access lines. Django's default logging sends them to a handler of its own,
        # not on to the root: without `propagate`, naming the logger here would silence it.
        "django.server": {"filters": ["failed_health_probe"], "propagate": True},
        "urllib3": {"level": "WARNING"},
    },
}

# --- Caching (visitor pages) ------------------------------------------------------------------
# Web and worker processes must share the cache: a sync in the worker invalidates the pages the
# web process cached. A file cache under var/ does that with no server; Redis in production.
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    redis_url_check("CACHE_URL", CACHE_URL)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # An unreachable cache costs a page or a sign-in a second at most, not a hang.
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }
elif not CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "orgsite.file_cache.UncompressedFileCache",
            # Not var/cache, where FileBasedCache left zlib files this backend cannot read.
            # Made here, as the others: the backend makes it as it is first used, and an account
            # that may not died of a PermissionError traceback (`check`, beat as it started).
            "LOCATION": str(
                directory_made(
                    VAR_DIR / "file-cache",
                    setting="ORGSITE_VAR_DIR",
                    private=True,
                    instead=", or set CACHE_URL=redis://HOST:6379/1, the cache of production",
                )
            ),
            # Sign-in counts share the cache with pages: at Django's default of 300 entries, 150
            # page addresses culled a random third of all entries, counts among them. Expired
            # entries go first (file_cache.py), and 10,000 live ones are more pages than a local
            # site renders in PUBLIC_PAGE_CACHE_SECONDS.
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
else:
    raise ImproperlyConfigured(
        f"CACHE_URL must be a redis:// URL or empty, not {url_named(CACHE_URL)}"
    )
# A day at most: a page kept longer than the listing version it was cached under
# (jobs/cache.py's VERSION_SECONDS) could no longer be found.
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", 60, minimum=0, maximum=_DAY)

# --- Security headers -------------------------------------------------------------------------

# No inline script or style anywhere: templates load /static/ files only. JSON-LD blocks are
# data (type="application/ld+json"), which a browser never executes, so the policy allows them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, refusing keys it never makes (jobs/sessions.py).
SESSION_ENGINE = "jobs.sessions"

# Sign-in throttling (jobs/throttle.py): after this many failed sign-ins for one username, or
# from one client address, further attempts are refused until the window has passed.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
LOGIN_FAILURE_WINDOW_SECONDS = env_int(
    "LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60, minimum=1, maximum=_DAY
)
SIGNUP_LIMIT_PER_DAY = env_int("SIGNUP_LIMIT_PER_DAY", 5, minimum=1, maximum=1000)
# Proxies in front of the web processes that append to X-Forwarded-For; 0 reads REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=10)

# --- Health and logging -----------------------------------------------------------------------
# /healthz fails when beat's dispatcher has not ticked for this long (it ticks every minute).
HEALTH_SCHEDULER_MAX_AGE_SECONDS = env_int(
    "HEALTH_SCHEDULER_MAX_AGE_SECONDS", 300, minimum=1, maximum=_DAY
)
if HEALTH_SCHEDULER_MAX_AGE_SECONDS <= SYNC_DISPATCH_EVERY_SECONDS:
    raise ImproperlyConfigured(
        f"HEALTH_SCHEDULER_MAX_AGE_SECONDS ({HEALTH_SCHEDULER_MAX_AGE_SECONDS}) must be more than "
        f"SYNC_DISPATCH_EVERY_SECONDS ({SYNC_DISPATCH_EVERY_SECONDS:g}): /healthz would fail "
        "between the dispatcher's ticks"
    )
# Load balancers often probe over plain http; answer them rather than redirect to https.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]

# --- Reliability ------------------------------------------------------------------------------
# Sync-run history older than this is deleted daily (each org's latest run is always kept).
SYNC_RUN_RETENTION_DAYS = env_int(
    "SYNC_RUN_RETENTION_DAYS", 30, minimum=1, maximum=_RETENTION_DAYS_MAX
)
# Invitations whose link expired longer ago than this are deleted daily, with the accounts they
# made that were never used; until then the members page offers to send them again.
EXPIRED_INVITATION_RETENTION_DAYS = env_int(
    "EXPIRED_INVITATION_RETENTION_DAYS", 30, minimum=0, maximum=_RETENTION_DAYS_MAX
)
