"""Security headers and production settings: a Content-Security-Policy without inline script on
every page, templates that need none, and settings that pass `check --deploy`."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth.models import User
from django.core.checks import Error as CheckError
from django.core.checks import Warning as CheckWarning
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from orgsite.checks import local_defaults_check, startup_checks_run
from tests.support.settings_module import settings_under

pytestmark = pytest.mark.django_db

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
# Inline script or style the policy would block (JSON-LD data blocks are not script).
INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>|<style\b|\sstyle=|\son[a-z]+=",
    re.IGNORECASE,
)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser("root", "root@example.com", "correct horse battery")


def test_every_kind_of_page_forbids_inline_script(client, owner, staff):
    urls = ["/", "/jobs/", "/orgs/acme/", "/accounts/login/", "/sitemap.xml", "/no-such-page/"]
    pages = [client.get(url) for url in urls]
    client.force_login(owner)
    pages += [client.get("/manage/acme/settings/"), client.get("/manage/acme/status.json")]
    client.force_login(staff)
    pages += [client.get("/admin/"), client.get("/admin/jobs/job/")]

    for response in pages:
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], response.request["PATH_INFO"]
        assert policy["style-src"] == ["'self'"]
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["img-src"] == ["'self'", "data:"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_pages_shown_signed_in_are_never_stored(client, owner):
    """A browser keeps other pages for its Back button, even once their person has signed out:
    on a shared computer the next one would see the org's members and settings."""
    client.force_login(owner)
    urls = ["/manage/", "/manage/acme/members/", "/manage/acme/settings/", "/orgs/acme/"]
    accounts = ["/accounts/password_change/", "/accounts/email/"]
    pages = [client.get(url) for url in urls + accounts]

    for response in pages:
        assert response.status_code == 200, response.request["PATH_INFO"]
        assert "no-store" in response["Cache-Control"], response.request["PATH_INFO"]
        assert "private" in response["Cache-Control"]


def test_a_visitors_form_that_carries_the_csrf_token_is_never_stored(client, db):
    """Kept whole for Back past a sign-in, which changes the token, the page said "Sign in"
    and its form was refused as expired (test_manage_browser.py)."""
    for url in ("/accounts/signup/", "/accounts/password_reset/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_pages_for_visitors_stay_cacheable_and_do_not_vary_on_cookies_they_lack(client, acme):
    page, data = client.get("/orgs/acme/"), client.get("/orgs/acme/jobs.json")

    assert not page.has_header("Cache-Control")
    assert data["Cache-Control"] == "public, max-age=60"
    assert "Cookie" not in data.get("Vary", "")


def test_the_django_admin_still_renders_under_the_policy(client, staff):
    client.force_login(staff)

    for url in ("/admin/", "/admin/jobs/job/", "/admin/jobs/organization/add/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not INLINE_CODE.search(response.content.decode()), url


def test_no_template_has_inline_script_or_style():
    offenders = [
        f"{path.relative_to(TEMPLATES_DIR)}: {match.group(0)}"
        for path in sorted(TEMPLATES_DIR.rglob("*.html"))
        for match in INLINE_CODE.finditer(path.read_text())
    ]

    assert offenders == []


def production_environment(tmp_path: Path, **env: str | None) -> dict[str, str | None]:
    """The variables production sets, overridden by `env`; None: unset."""
    return {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "ORGSITE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "jobs.example.com",
        "DJANGO_SETTINGS_MODULE": "orgsite.settings",
        "ORGSITE_VAR_DIR": str(tmp_path),
        # Whatever the developer's shell sets, the production defaults are what is tested;
        # browser tests set the last for this process, which production refuses (async.E001).
        "DJANGO_SECURE_SSL_REDIRECT": None,
        "DJANGO_SECURE_HSTS_SECONDS": None,
        "DATABASE_URL": None,
        "DJANGO_ALLOW_ASYNC_UNSAFE": None,
        **env,
    }


def production_settings(tmp_path: Path, **env: str | None) -> dict[str, Any]:
    """The settings as production's environment (overridden by `env`) makes them."""
    return settings_under(**production_environment(tmp_path, **env))


def run_in_production(tmp_path: Path, *args: str, **env: str | None) -> subprocess.CompletedProcess:
    """Run `python <args>` with the environment production sets (overridden by `env`)."""
    production = {**os.environ, **production_environment(tmp_path, **env)}
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={name: value for name, value in production.items() if value is not None},
        capture_output=True,
        text=True,
        timeout=60,
    )


# The services and sender production names; `check` connects to none of them.
PRODUCTION_SERVICES = {
    "DATABASE_URL": "postgres://orgsite:secret@db.invalid:5432/orgsite",
    "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",
    "CACHE_URL": "redis://redis.invalid:6379/1",
    "DJANGO_DEFAULT_FROM_EMAIL": "Jobs <jobs@example.com>",
}


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    completed = run_in_production(
        tmp_path, "manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_SERVICES
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "System check identified no issues" in completed.stdout


@pytest.mark.parametrize(
    ("variable", "value", "check_id"),
    [
        ("DJANGO_SECURE_SSL_REDIRECT", "false", "security.W008"),
        ("DJANGO_SECURE_HSTS_SECONDS", "0", "security.W004"),
        ("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", "false", "security.W005"),
        (
            "DJANGO_EMAIL_BACKEND",
            "django.core.mail.backends.console.EmailBackend",
            "orgsite.W007",
        ),
    ],
)
def test_the_readme_names_the_deploy_warning_of_each_security_setting_turned_off(
    tmp_path, variable, value, check_id
):
    """The README advises `DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS=false` for a domain whose other
    hosts are not all on https: check --deploy then warns, and each process as it starts, which
    its row did not say."""
    completed = run_in_production(
        tmp_path, "manage.py", "check", "--deploy", **PRODUCTION_SERVICES, **{variable: value}
    )
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith(f"| `{variable}` |"))

    assert f"({check_id})" in completed.stderr
    assert f"`{check_id}`" in row


def test_check_deploy_names_each_local_default_production_kept(tmp_path):
    kept_defaults = dict.fromkeys(PRODUCTION_SERVICES)  # None: not set

    completed = run_in_production(
        tmp_path, "manage.py", "check", "--deploy", "--fail-level", "WARNING", **kept_defaults
    )

    assert completed.returncode != 0
    for check_id, said in [
        ("orgsite.W001", "DATABASE_URL is not set"),
        ("orgsite.W002", "CELERY_BROKER_URL is not a Redis URL"),
        ("orgsite.W003", "CACHE_URL is not set"),
        ("orgsite.W004", "DJANGO_DEFAULT_FROM_EMAIL is not set"),
    ]:
        assert re.search(rf"\({re.escape(check_id)}\) [^\n]*{said}", completed.stderr)
    # Only these: the security settings of production are still right.
    assert "security." not in completed.stderr


def test_production_settings_take_hosts_from_the_environment_and_secure_cookies(tmp_path):
    names = ["ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"]
    names += ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER"]

    taken = production_settings(
        tmp_path, DJANGO_ALLOWED_HOSTS="jobs.example.com,www.jobs.example.com"
    )

    assert {name: taken[name] for name in names} == {
        "ALLOWED_HOSTS": ["jobs.example.com", "www.jobs.example.com"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    }


# How the process manager starts each long-running process (README, Processes in production).
LONG_RUNNING = {
    "web": ["-m", "gunicorn", "-c", "python:orgsite.gunicorn_config", "orgsite.wsgi",
            "--workers", "1", "--bind", "127.0.0.1:0"],
    "worker": ["-m", "celery", "-A", "orgsite", "worker", "--concurrency", "1"],
    "beat": ["-m", "celery", "-A", "orgsite", "beat"],
}  # fmt: skip


@pytest.mark.parametrize("process", LONG_RUNNING)
def test_web_worker_and_beat_stop_as_they_start_on_a_system_check_error(tmp_path, process):
    """They run no `manage.py check`: the mistake showed only as every email failed to send.
    They stop as on a setting refused, with status 4 (gunicorn's "App failed to load": it
    starts no other worker) and no traceback, which gunicorn's showed above the errors."""
    completed = run_in_production(
        tmp_path, *LONG_RUNNING[process], DJANGO_DEFAULT_FROM_EMAIL="jobs at example.com"
    )

    assert completed.returncode == 4
    assert "(orgsite.E002) DJANGO_DEFAULT_FROM_EMAIL is 'jobs at example.com'" in completed.stderr
    # One line, its hint too: the error and its hint were two lines below the CRITICAL one.
    [line] = [line for line in completed.stderr.splitlines() if "orgsite.E002" in line]
    assert "CRITICAL" in line and "system check failed: ?: (orgsite.E002)" in line
    assert "HINT: Set it to an address of your domain" in line
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    ("level", "logged"),
    [
        (CheckError, "system check failed: ?: (csp.E001) {msg} HINT: {hint}"),
        (CheckWarning, "system check csp.E001: {msg} {hint}"),
    ],
)
def test_a_check_message_of_several_lines_is_logged_on_one(monkeypatch, caplog, level, logged):
    """A log is read line by line: django-csp's csp.E001 writes its message on several lines,
    and a hint of two lines left its second, and for an error its first, on lines of their own."""
    message = level(
        "Old settings.\nSee the guide.\n\nCONTENT_SECURITY_POLICY = {'DIRECTIVES': {\n  'a': 1}}",
        hint="Update them.\r\n\tThen restart.",
        id="csp.E001",
    )
    monkeypatch.setattr("orgsite.checks.run_checks", lambda **options: [message])

    with contextlib.suppress(SystemExit):
        startup_checks_run()

    [record] = caplog.records
    assert record.getMessage() == logged.format(
        msg="Old settings. See the guide. CONTENT_SECURITY_POLICY = {'DIRECTIVES': { 'a': 1}}",
        hint="Update them. Then restart.",
    )


def test_a_web_process_logs_the_deploy_warnings_as_it_starts(tmp_path):
    completed = run_in_production(tmp_path, "-c", "import orgsite.wsgi", **PRODUCTION_SERVICES)
    assert completed.returncode == 0 and "system check" not in completed.stderr

    kept_defaults = run_in_production(
        tmp_path, "-c", "import orgsite.wsgi", **dict.fromkeys(PRODUCTION_SERVICES)
    )

    assert kept_defaults.returncode == 0, kept_defaults.stderr
    for check_id in ("orgsite.W001", "orgsite.W002", "orgsite.W003", "orgsite.W004"):
        assert re.search(rf"WARNING orgsite.checks system check {check_id}: ", kept_defaults.stderr)
    # Started before collectstatic (its ORGSITE_VAR_DIR is new): its pages show unstyled.
    assert "WARNING orgsite.storage static files not collected " in kept_defaults.stderr


def test_a_public_host_without_django_debug_set_refuses_to_start_in_debug(tmp_path):
    """Debug is the local default; on a public name it would show tracebacks to anyone."""
    with pytest.raises(ImproperlyConfigured, match="set DJANGO_DEBUG=false for production"):
        production_settings(tmp_path, DJANGO_DEBUG=None)

    assert production_settings(tmp_path, DJANGO_DEBUG="true")["DEBUG"] is True


def test_production_settings_refuse_to_start_without_allowed_hosts(tmp_path):
    refused = "DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is false"
    with pytest.raises(ImproperlyConfigured, match=refused):
        production_settings(tmp_path, DJANGO_ALLOWED_HOSTS=None)


def test_production_hsts_covers_subdomains_and_leaves_preloading_to_the_operator(tmp_path):
    """`preload` lets anyone submit the domain to the browsers' lists; includeSubDomains would
    break a company's plain-http hosts when the site runs on its bare domain."""

    def hsts(**env: str) -> list[bool]:
        taken = production_settings(tmp_path, **env)
        return [taken["SECURE_HSTS_INCLUDE_SUBDOMAINS"], taken["SECURE_HSTS_PRELOAD"]]

    assert hsts() == [True, False]
    assert hsts(DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="false") == [False, False]
    assert hsts(DJANGO_SECURE_HSTS_PRELOAD="true") == [True, True]


@pytest.mark.django_db
def test_a_form_sent_without_its_csrf_token_gets_a_page_the_policy_lets_render():
    """Django's own CSRF page styles itself inline, which the Content-Security-Policy blocks."""
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "someone", "password": "secret"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "This form could not be sent" in page
    assert "<style" not in page and "style=" not in page


def test_an_email_backend_that_cannot_be_imported_stops_the_checks(settings):
    # Else it would only fail as the first password reset, invitation or sync alert is sent.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBakend"

    with pytest.raises(SystemCheckError, match=r"orgsite.E001.*DJANGO_EMAIL_BACKEND"):
        call_command("check")


@pytest.mark.django_db
def test_an_email_backend_that_cannot_be_imported_stops_migrate(settings):
    # The deploy's migrate stops too, before any new process starts (README, Processes in
    # production); gunicorn, the worker and beat also stop as they start (tests above).
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBakend"

    with pytest.raises(SystemCheckError, match=r"orgsite.E001.*DJANGO_EMAIL_BACKEND"):
        call_command("migrate", skip_checks=False, verbosity=0)  # as from the command line


@pytest.mark.parametrize(
    "from_email",
    [
        "jobs",  # no domain: the mail server rejects it, or makes up one
        "Jobs <jobs@example.com>, other@example.com",  # two
        "Jobs, Inc. <jobs@example.com>",  # the comma, unquoted, makes two
        "jobs@exa mple.com",
        "Jobs <jobs@exa\u2029mple.com>",  # the domain cannot be encoded: sending raised
        "jobs@[example.com",  # Python's address parser raised AttributeError: the check crashed
        "<>",  # and TypeError
        '"',  # and IndexError
        "jobs@[ ",  # and UnboundLocalError
    ],
)
def test_a_from_address_that_is_not_one_email_address_stops_the_checks(settings, from_email):
    settings.DEFAULT_FROM_EMAIL = from_email

    with pytest.raises(SystemCheckError, match=r"orgsite.E002.*DJANGO_DEFAULT_FROM_EMAIL"):
        call_command("check")


@pytest.mark.parametrize(
    "from_email",
    [
        "jobs@example.com",
        "Jobs <jobs@example.com>",
        '"Jobs, Inc." <jobs@example.com>',
        "Jöbs <jobs@exämple.example>",
        "orgsite <noreply@localhost>",  # the local default (check --deploy warns of it)
    ],
)
def test_a_from_address_alone_or_with_a_name_passes_the_checks(settings, from_email):
    settings.DEFAULT_FROM_EMAIL = from_email

    call_command("check")


@pytest.mark.parametrize(
    ("cache_url", "shared"),
    [
        ("redis://redis.invalid:6379/0", True),
        ("redis://redis.invalid:6379", True),  # database 0 too
        ("redis://redis.invalid/0", True),
        ("redis://redis.invalid.:6379/0", True),  # the same name, fully qualified
        ("redis://redis.invalid:6379/1", False),
        ("redis://cache.invalid:6379/0", False),
        ("redis://redis.invalid:6379?db=0", True),
        ("redis://redis.invalid:6379/?db=1", False),
        # The cache's client takes ?db= over the path's number: the check took the path's.
        ("redis://redis.invalid:6379/1?db=0", True),
        ("redis://redis.invalid:6379/0?db=1", False),
        # Both clients read the number as int() does: the check compared the text.
        ("redis://redis.invalid:6379/00", True),
        ("redis://redis.invalid:6379/?db=00", True),
        ("redis://redis.invalid:6379/?db=01", False),
        ("redis://redis.invalid:6379/%30", True),  # both clients read %XX as the character
        # Both clients connect to the host with its %XX turned back: the check compared them.
        ("redis://redis%2Einvalid:6379/0", True),
        ("redis://%72edis.invalid:6379/0", True),
        ("redis://%52EDIS.invalid:6379/0", True),
        ("redis://redis%2Einvalid:6379/1", False),
        # The cache's client reads a ?host= and ?port= where the URL names none.
        ("redis://redis.invalid/0?port=6379", True),
        ("redis://redis.invalid/0?port=6380", False),
        ("redis://redis.invalid:6379/0?port=6380", True),  # the URL's port, read over it
        ("redis:///0?host=redis.invalid", True),
        ("redis:///0?host=cache.invalid", False),
    ],
)
def test_check_deploy_warns_when_the_cache_shares_the_brokers_redis_database(
    settings, cache_url, shared
):
    settings.CELERY_BROKER_URL = "redis://redis.invalid:6379/0"
    settings.CACHE_URL = cache_url

    found = [message.id for message in local_defaults_check()]

    assert ("orgsite.W005" in found) is shared


def test_check_deploy_says_what_a_cache_database_of_its_own_keeps_from_the_queue(settings):
    """The hint said that an eviction policy meant for cached pages would lose queued syncs: a
    policy is the whole Redis's, whatever the database numbers (README, Processes in
    production). Clearing the cache empties its database alone."""
    settings.CELERY_BROKER_URL = settings.CACHE_URL = "redis://redis.invalid:6379/0"

    [shared] = [message for message in local_defaults_check() if message.id == "orgsite.W005"]

    assert "cache.clear()" in shared.hint
    assert "eviction" not in shared.hint


@pytest.mark.parametrize(
    ("cache_url", "shared"),
    [
        ("redis://127.0.0.1:6379/0", True),
        ("redis://[::1]:6379/0", True),
        ("redis://LOCALHOST:6379/0", True),
        ("redis://127.0.1.1:6379/0", True),  # Debian's address for the machine's own name
        ("redis://0.0.0.0:6379/0", True),
        ("redis://[::]:6379/0", True),
        ("redis://localhost.:6379/0", True),
        ("redis://[::ffff:127.0.0.1]:6379/0", True),  # IPv4 as IPv6 maps it
        ("redis://[::ffff:7f00:1]:6379/0", True),  # and in hexadecimal
        ("redis:///0", True),  # no host: Celery and the cache connect to this machine
        ("redis://:password@:6379/0", True),
        ("redis://127.1:6379/0", True),  # 127.0.0.1, as a connection reads it
        ("redis://2130706433:6379/0", True),  # and that too
        ("redis://%6Cocalhost:6379/0", True),  # each client reads %XX as the character
        ("redis://127.0.0.%31:6379/0", True),
        ("redis://127.0.0.1:6379/1", False),
        ("redis://127.0.0.1:6380/0", False),
        ("redis://128.0.0.1:6379/0", False),
        ("redis://localhost.example.com:6379/0", False),
        ("redis://[::ffff:128.0.0.1]:6379/0", False),
        ("redis://128.1:6379/0", False),
        ("redis:///1", False),
        # No host holds a space: a connection finds none, where inet_aton read 127.0.0.1.
        ("redis://127.0.0.1 x:6379/0", False),
        ("redis://127.1 :6379/0", False),
        ("redis://127.0.0.1\x0bx:6379/0", False),  # a vertical tab, which urlsplit keeps
    ],
)
def test_check_deploy_knows_each_name_of_this_machine_for_the_brokers_redis(
    settings, cache_url, shared
):
    """localhost and 127.0.0.1 (or ::1) are one Redis: the names were compared as written. So
    are the rest of 127.0.0.0/8, 0.0.0.0 and the machine's own name, which were not, nor were
    localhost with the trailing dot of a full name, or 127.0.0.1 mapped into IPv6 or short, nor
    a URL without a host, which Celery and the cache read as this machine."""
    settings.CELERY_BROKER_URL = "redis://localhost:6379/0"
    settings.CACHE_URL = cache_url

    found = [message.id for message in local_defaults_check()]

    assert ("orgsite.W005" in found) is shared


@pytest.mark.parametrize("named_by", ["cache", "broker"])
@pytest.mark.parametrize(
    ("url", "shared"),
    [
        ("redis://web-1:6379/0", True),
        ("redis://WEB-1:6379/0", True),
        ("redis://web-1:6379/1", False),
        ("redis://web-1.example.internal:6379/0", True),  # its fully qualified name
        ("redis://WEB-1.Example.Internal.:6379/0", True),
        ("redis://web-2.example.internal:6379/0", False),
    ],
)
def test_check_deploy_knows_this_machines_own_name_for_the_brokers_redis(
    settings, monkeypatch, named_by, url, shared
):
    """The machine's own name is this machine, with capitals too (as macOS may give it; a URL's
    host is read in lower case), and so is its fully qualified name, which was not, in the
    cache's URL or the broker's. Read from the machine the tests ran on, the names proved
    neither, and nothing at all where that machine is named localhost."""
    monkeypatch.setattr(socket, "gethostname", lambda: "Web-1")
    monkeypatch.setattr(socket, "getfqdn", lambda: "Web-1.example.internal")
    other_url = "redis://localhost:6379/0"
    settings.CACHE_URL, settings.CELERY_BROKER_URL = (
        (url, other_url) if named_by == "cache" else (other_url, url)
    )

    found = [message.id for message in local_defaults_check()]

    assert ("orgsite.W005" in found) is shared


@pytest.mark.parametrize("broker_url", ["filesystem://", "memory://"])
def test_check_deploy_finds_no_shared_redis_database_for_a_broker_not_on_redis(
    settings, broker_url
):
    """Such a URL names no host, which is not this machine's Redis as a redis:// URL without
    one is."""
    settings.CELERY_BROKER_URL = broker_url
    settings.CACHE_URL = "redis://localhost:6379/0"

    assert "orgsite.W005" not in [message.id for message in local_defaults_check()]


@pytest.mark.parametrize(
    "cache_url",
    [
        "redis://cache.example.internal:6379/1",
        # Two Redis servers, each with its database 0, neither of them this machine.
        "redis://cache.example.internal:6379/0",
        "redis://10.0.0.5:6379/0",
    ],
)
def test_check_deploy_looks_up_this_machines_full_name_only_beside_another_name_of_it(
    settings, monkeypatch, cache_url
):
    """Every process runs the check as it starts: a slow lookup must not hold up the usual
    production Redis URLs, whose hosts are not this machine."""

    def lookup() -> str:
        raise AssertionError("looked up")

    monkeypatch.setattr(socket, "getfqdn", lookup)
    settings.CELERY_BROKER_URL = "redis://broker.example.internal:6379/0"
    settings.CACHE_URL = cache_url

    assert "orgsite.W005" not in [message.id for message in local_defaults_check()]


@pytest.mark.parametrize(
    ("backend", "debug", "warned"),
    [
        ("django.core.mail.backends.console.EmailBackend", False, True),
        ("django.core.mail.backends.console.EmailBackend", True, False),  # the local default
        ("django.core.mail.backends.locmem.EmailBackend", False, True),
        ("django.core.mail.backends.dummy.EmailBackend", False, True),
        ("django.core.mail.backends.smtp.EmailBackend", False, False),
    ],
)
def test_check_deploy_warns_when_emails_reach_no_one(settings, backend, debug, warned):
    """The README says the console backend writes sign-in links into the log; check --deploy
    said nothing of it, nor of the locmem and dummy backends, which send no email either."""
    settings.EMAIL_BACKEND = backend
    settings.DEBUG = debug

    found = [
        message.msg
        for message in run_checks(include_deployment_checks=True)
        if message.id == "orgsite.W007"
    ]

    assert len(found) == warned  # one message, which names the backend
    assert all(f"Emails are not sent: DJANGO_EMAIL_BACKEND is {backend!r}" in m for m in found)


@pytest.mark.parametrize("debug", [False, True])
def test_the_file_based_email_backend_stops_the_checks_debugging_or_not(settings, debug):
    """With no EMAIL_FILE_PATH, which nothing here sets, it fails on every email as it is sent.
    Only check --deploy said so, and only when not debugging."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.DEBUG = debug

    with pytest.raises(TypeError):
        get_connection()
    with pytest.raises(SystemCheckError, match=r"orgsite.E003.*fails on every email"):
        call_command("check")
    assert "orgsite.W007" not in [m.id for m in run_checks(include_deployment_checks=True)]


def test_the_file_based_email_backend_with_its_folder_set_is_warned_of_not_stopped(
    settings, tmp_path
):
    """A settings module of one's own may set EMAIL_FILE_PATH: each email is then written into
    a file there, not sent. Neither error nor warning said so."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.DEBUG = False

    found = [message.id for message in run_checks(include_deployment_checks=True)]

    get_connection()
    assert "orgsite.E003" not in found
    assert "orgsite.W007" in found


def test_the_console_email_backend_passes_the_checks_while_debugging(settings):
    """The local default: each process runs the checks of `check` as it starts while debugging."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.DEBUG = True

    assert [message.id for message in run_checks()] == []


@pytest.mark.parametrize(
    ("site_url", "ssl_redirect", "warned"),
    [
        ("http://jobs.example.com", True, True),
        ("https://jobs.example.com", True, False),
        ("http://jobs.example.com", False, False),  # a site on http: security.W008 says so
    ],
)
def test_check_deploy_warns_when_an_https_sites_email_links_are_plain_http(
    settings, site_url, ssl_redirect, warned
):
    """Their tokens (a password to set, an invitation to join) would cross the network in clear
    on the way to the redirect to https."""
    settings.SITE_URL = site_url
    settings.SECURE_SSL_REDIRECT = ssl_redirect

    found = [message.id for message in run_checks(include_deployment_checks=True)]

    assert ("orgsite.W006" in found) is warned


@pytest.mark.parametrize(
    ("api_base", "warned"),
    [
        ("https://boards-api.greenhouse.io/v1", False),
        ("https://boards-api.greenhouse.io/v1/", False),
        ("https://egress.example.com/greenhouse/v1", False),  # a proxy that keeps the path
        # Asked as requests sends it, with "." and ".." resolved: under /v1, or not.
        ("https://boards-api.greenhouse.io/v1/.", False),
        ("https://boards-api.greenhouse.io/v1/./", False),
        ("https://boards-api.greenhouse.io/v1/boards/..", False),
        ("https://boards-api.greenhouse.io/v1/..", True),
        # An empty segment before the ".": the board's part is asked at "/v1//boards/…".
        ("https://boards-api.greenhouse.io/v1//.", True),
        ("https://boards-api.greenhouse.io/v1//./", True),
        # Its letters and digits written as %XX, as requests sends them: under /v1.
        ("https://boards-api.greenhouse.io/v%31", False),
        ("https://boards-api.greenhouse.io/%76%31/", False),
        # An address urllib3 cannot read fails each request before it is sent, whatever its
        # path: warned of, not left to crash each process as it starts.
        ("https://boards-api.greenhouse.io:99999/v1", True),
        ("https://boards-api.greenhouse.io:99999/v2", True),
        ("https://boards api.greenhouse.io/v1", True),
        ("https://[::1/v1", True),
        ("https://boards-api.greenhouse.io", True),
        ("https://boards-api.greenhouse.io/", True),
        ("https://boards-api.greenhouse.io/v1/boards", True),
        # A board's path added after a query string or fragment is no path: nothing warned.
        ("https://boards-api.greenhouse.io/v1?k=1", True),
        ("https://boards-api.greenhouse.io/v1?", True),
        ("https://boards-api.greenhouse.io/v1#top", True),
        # A port, and an "@" in the path: no password with a "/" in it, though masked as one.
        ("https://proxy.example:8080/team@acme/v1", False),
        ("https://[::1]/team@acme/v1", False),
        ("https://egress:8080/team@acme/v1", False),
        # Nor a host that is no user's name, however the "@" after it reads.
        ("https://localhost:8080/team@acme.example/v1", False),
        ("https://2130706433:8080/team@acme.example/v1", False),
        # A password's digits before its "/" read as a port, the host as the user's name: W008
        # said nothing, and every request went to host "sync".
        ("https://sync:12/secret@egress.example.com/v1", True),
        ("https://sync:12/secret@egress:3128/v1", True),
        ("https://sync:12%2Fsecret@egress.example.com/v1", False),
        # An "@" left before the "/" too: W008 said nothing, and every request went to host
        # "s3" (a user and password before it, and a port, and an "@" in the path, are not).
        ("https://sync:p@s3/cret@egress.example.com/v1", True),
        ("https://sync:pw@proxy.example:8080/team@acme.example/v1", False),
        ("https://sync:p%40s3%2Fcret@egress.example.com/v1", False),
    ],
)
def test_check_warns_of_a_greenhouse_api_base_without_v1(settings, api_base, warned):
    """Greenhouse knows no board outside its API's /v1: every org's token was said to be wrong,
    and nothing named the setting."""
    settings.GREENHOUSE_API_BASE = api_base

    found = [message.id for message in run_checks()]

    assert ("orgsite.W008" in found) is warned


IN_ITS_PASSWORD = (
    "which has a “/”, “?” or “#” in its password, where the address's host is read to end: "
    "write them as %2F, %3F and %23"
)


@pytest.mark.parametrize(
    ("password", "path", "said"),
    [
        ("s3cret", "/greenhouse", "which does not end in /v1"),
        # A base64 password's "/" left unescaped: urlsplit ends the host at it, and the warning
        # that no request can be sent there ("whose port is not a number", of "s3") named the
        # password in full; masked, only the password's characters tell what is wrong.
        ("s3/cret", "/v1", IN_ITS_PASSWORD),
        ("s3?cret", "/v1", IN_ITS_PASSWORD),
        ("s3#cret", "/v1", IN_ITS_PASSWORD),
        # Its digits before the "/" read as a port: W008 said nothing, the log showed it masked
        # as if written right, and requests went to host "sync".
        ("12/secret", "/v1", IN_ITS_PASSWORD),
        ("12?secret", "/v1", IN_ITS_PASSWORD),
    ],
)
def test_the_api_base_warning_masks_a_password_in_it(settings, caplog, password, path, said):
    # Each process logged the proxy's password as it started, with the whole address.
    settings.GREENHOUSE_API_BASE = f"https://sync:{password}@egress.example.com{path}"

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]
    startup_checks_run()

    masked = f"https://sync:***@egress.example.com{path}"
    assert f"GREENHOUSE_API_BASE is {masked!r}, {said}" in warning.msg
    # Not "Asked elsewhere, Greenhouse knows no board": the request went to host "sync".
    password_hint = "requests reads the host to end at that character" in warning.hint
    assert password_hint is (said == IN_ITS_PASSWORD)
    assert "sync:***@egress" in caplog.text and "cret" not in caplog.text


@pytest.mark.parametrize(
    ("api_base", "said"),
    [
        ("https://boards-api.greenhouse.io", "which does not end in /v1"),
        ("https://boards-api.greenhouse.io/v1?k=1", "which has a query string or fragment"),
        # Each request fails before it is sent: "does not end in /v1" sent whoever read it to
        # the path, and of "/v1" it said nothing.
        (
            "https://boards-api.greenhouse.io:99999/v2",
            "which is no address a request can be sent to: it is one whose port is not a number "
            "from 1 to 65535",
        ),
        (
            "https://boards api.greenhouse.io",
            "which is no address a request can be sent to: it is one whose host name has a space "
            "or another character no host name may have",
        ),
        # Its user name without a password is no matter while no request can be sent: one W008.
        (
            "https://sync@boards-api.greenhouse.io:99999/v1",
            "which is no address a request can be sent to: it is one whose port is not a number "
            "from 1 to 65535",
        ),
        # It ends in "/v1//." as written: "does not end in /v1" would not tell why it is asked
        # elsewhere.
        (
            "https://boards-api.greenhouse.io/v1//.",
            "which has its boards asked at /v1//boards/… (as requests sends it), where "
            "Greenhouse's Job Board API has them at /v1/boards/…",
        ),
        # A long path is cut short where the message names it, as a redirect's is.
        (
            f"https://boards-api.greenhouse.io/{'x' * 300}/v1//.",
            f"which has its boards asked at /{'x' * 198}…/boards/… (as requests sends it)",
        ),
    ],
)
def test_the_api_base_warning_says_what_is_wrong_with_it(settings, api_base, said):
    settings.GREENHOUSE_API_BASE = api_base

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]

    assert f"GREENHOUSE_API_BASE is {api_base!r}, {said}" in warning.msg


@pytest.mark.parametrize(
    ("api_base", "unsendable"),
    [
        ("https://boards-api.greenhouse.io:99999/v1", True),
        ("https://boards api.greenhouse.io/v1", True),
        ("https://[::1/v1", True),
        ("https://boards-api.greenhouse.io", False),
        ("https://boards-api.greenhouse.io/v1?k=1", False),
    ],
)
def test_the_api_base_warning_hints_at_what_fails_as_it_is(settings, caplog, api_base, unsendable):
    """Of an address no request can be sent to, the hint said "Asked elsewhere, Greenhouse
    knows no board", where nothing is asked at all."""
    settings.GREENHOUSE_API_BASE = api_base

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]

    assert ("No request can be sent as it is" in warning.hint) is unsendable
    assert ("Greenhouse knows no board" in warning.hint) is not unsendable
    assert "cret" not in warning.hint


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
@pytest.mark.parametrize("password", ["12/secret", "s3/cret", "12?secret", "p@s3/cret"])
def test_check_warns_of_a_proxy_whose_password_has_a_slash_left_unescaped(
    settings, monkeypatch, caplog, no_proxy_settings, name, password
):
    """requests read the proxy's host to end at the "/": "12" read as its port, each request to
    Greenhouse went to host "sync", and the log masked the password as if written right."""
    settings.GREENHOUSE_API_BASE = "https://boards-api.greenhouse.io/v1"
    monkeypatch.setenv(name, f"http://sync:{password}@proxy.example:3128")

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]
    startup_checks_run()

    assert warning.msg == (
        f"{name} is 'http://sync:***@proxy.example:3128', which has a “/”, “?” or “#” in its "
        "password, where the address's host is read to end: write them as %2F, %3F and %23."
    )
    assert "every request to Greenhouse goes to another host" in warning.hint
    assert "sync:***@proxy" in caplog.text and "cret" not in caplog.text


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
@pytest.mark.parametrize(
    ("proxy", "shown"),
    [
        ("sync:s3cret@proxy.example:3128", "sync:***@proxy.example:3128"),
        ("sync:s3/cret@10.0.0.1:3128", "sync:***@10.0.0.1:3128"),
        # requests puts "http://" before neither: it reads "proxy" as their scheme.
        ("proxy:3128", "proxy:3128"),
        ("localhost:3128", "localhost:3128"),
    ],
)
def test_check_warns_of_a_proxy_without_a_scheme_requests_reads_no_host_in(
    settings, monkeypatch, caplog, no_proxy_settings, name, proxy, shown
):
    """Every request to Greenhouse failed before it was sent (requests' InvalidProxyURL), and
    W008 said nothing."""
    settings.GREENHOUSE_API_BASE = "https://boards-api.greenhouse.io/v1"
    monkeypatch.setenv(name, proxy)

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]
    startup_checks_run()

    assert warning.msg == (
        f"{name} is {shown!r}, which requests cannot read as a proxy's address: it has no "
        "scheme, such as http://."
    )
    assert "every request to Greenhouse fails before it is sent" in warning.hint
    assert "cret" not in caplog.text


def test_check_warns_of_a_proxy_address_requests_cannot_read(
    settings, monkeypatch, no_proxy_settings
):
    settings.GREENHOUSE_API_BASE = "https://boards-api.greenhouse.io/v1"
    monkeypatch.setenv("HTTPS_PROXY", "http://sync:s3cret@[proxy.example:3128")

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]

    assert warning.msg == (
        "HTTPS_PROXY is 'http://sync:***@[proxy.example:3128', which requests cannot read as a "
        "proxy's address."
    )


def test_check_warns_of_a_proxy_with_a_user_name_and_no_host(
    settings, monkeypatch, caplog, no_proxy_settings
):
    """The check crashed with requests' TypeError (it joins the user name to a host it read as
    None), and with it each process that runs the checks as it starts."""
    settings.GREENHOUSE_API_BASE = "https://boards-api.greenhouse.io/v1"
    monkeypatch.setenv("HTTPS_PROXY", "http://sync:s3cret@")

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]
    startup_checks_run()

    assert warning.msg == (
        "HTTPS_PROXY is 'http://sync:***@', which requests cannot read as a proxy's address."
    )
    assert "every request to Greenhouse fails before it is sent" in warning.hint
    assert "s3cret" not in caplog.text


@pytest.mark.parametrize(
    "base",
    [
        "https://sync:s3 cret@boards-api.greenhouse.io",
        "https://sync:s3 c/ret@boards-api.greenhouse.io/v1",
    ],
)
def test_check_masks_a_password_with_a_space_of_the_api_base(settings, no_proxy_settings, base):
    """W008 showed it whole: passwords_masked reads URLs out of a line's words."""
    settings.GREENHOUSE_API_BASE = base

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]

    assert "'https://sync:***@boards-api.greenhouse.io" in warning.msg
    assert "cret" not in warning.msg


def test_check_masks_a_password_holding_a_scheme_separator_of_a_proxy_without_a_scheme(
    settings, monkeypatch, no_proxy_settings
):
    """The warning showed "sync:s3://cret@proxy.example:3128" whole: its "://" was taken for
    a scheme's, and the address for one with no password."""
    settings.GREENHOUSE_API_BASE = "https://boards-api.greenhouse.io/v1"
    monkeypatch.setenv("HTTPS_PROXY", "sync:s3://cret@proxy.example:3128")

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]

    assert "'sync:***@proxy.example:3128'" in warning.msg and "cret" not in warning.msg


def address_set(settings: Any, monkeypatch: Any, name: str, url: str) -> None:
    """`url` as GREENHOUSE_API_BASE, or, by the name of the variable it is read from, as the
    proxy requests takes from the environment for the default base."""
    settings.GREENHOUSE_API_BASE = "https://boards-api.greenhouse.io/v1"
    if name == "GREENHOUSE_API_BASE":
        settings.GREENHOUSE_API_BASE = url
    else:
        monkeypatch.setenv(name, url)


UNSENDABLE = (
    "which has a {part} with a character beyond Latin-1 (such as “€”), or a %XX that is not "
    "UTF-8, which requests cannot send."
)


@pytest.mark.parametrize(
    ("name", "url", "part"),
    [
        ("GREENHOUSE_API_BASE", "https://sync:s3cr€t@egress.example.com/v1", "password"),
        ("GREENHOUSE_API_BASE", "https://sync:s3cr%E2%82%ACt@egress.example.com/v1", "password"),
        # "é" written as Latin-1's byte: turned back as UTF-8, it is "�", which Latin-1 lacks.
        ("GREENHOUSE_API_BASE", "https://sync:s3cr%E9t@egress.example.com/v1", "password"),
        ("GREENHOUSE_API_BASE", "https://łukasz:s3cret@egress.example.com/v1", "user name"),
        (
            "GREENHOUSE_API_BASE",
            "https://łukasz:s3cr€t@egress.example.com/v1",
            "user name and password",
        ),
        ("HTTPS_PROXY", "http://sync:s3cr€t@proxy.example:3128", "password"),
        ("ALL_PROXY", "http://sync:s3cr%C5%82t@proxy.example:3128", "password"),
        ("HTTPS_PROXY", "http://%C5%82ukasz:s3cret@proxy.example:3128", "user name"),
    ],
)
def test_check_warns_of_a_password_requests_cannot_send(
    settings, monkeypatch, caplog, no_proxy_settings, name, url, part
):
    """requests encodes a user name and password in Latin-1: every request to Greenhouse failed
    before it was sent, the sync saying only "The request to Greenhouse failed", and W008
    said nothing. Its hint asked for "a password of Latin-1" of a user name beyond it too, and
    its message, saying "a user name or password", still did not say which."""
    address_set(settings, monkeypatch, name, url)

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]
    startup_checks_run()

    user = url.partition("://")[2].partition(":")[0]
    assert warning.msg.startswith(f"{name} is '{url.partition('://')[0]}://{user}:***@")
    assert warning.msg.endswith(UNSENDABLE.format(part=part))
    assert warning.hint.startswith(f"Give {name} a {part} of Latin-1 characters only")
    assert "every request to Greenhouse fails before it is sent" in warning.hint
    assert "s3cr" not in caplog.text


@pytest.mark.parametrize(
    ("name", "proxy"),
    [
        ("HTTPS_PROXY", "http://:s3cret@proxy.example:3128"),
        ("https_proxy", "http://:s3cret@proxy.example:3128"),
        ("ALL_PROXY", "socks5://:s3cret@proxy.example:1080"),
        # Not one requests can send either, but it is the user name that it lacks first.
        ("HTTPS_PROXY", "http://:s3cr€t@proxy.example:3128"),
    ],
)
def test_check_warns_of_a_proxys_password_without_a_user_name(
    settings, monkeypatch, caplog, no_proxy_settings, name, proxy
):
    """requests sends a proxy's Proxy-Authorization only with a user name: every request to
    Greenhouse went to the proxy without the password, and W008 said nothing."""
    settings.GREENHOUSE_API_BASE = "https://boards-api.greenhouse.io/v1"
    monkeypatch.setenv(name, proxy)

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]
    startup_checks_run()

    scheme = proxy.partition("://")[0]
    assert warning.msg.startswith(f"{name} is '{scheme}://:***@proxy.example:")
    assert "has a password but no user name" in warning.msg
    assert "http://user:password@host:port" in warning.hint
    assert "s3cr" not in caplog.text


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("GREENHOUSE_API_BASE", "https://sync@egress.example.com/v1"),
        ("HTTPS_PROXY", "http://sync@proxy.example:3128"),
        # Without a scheme, read with "http://" put before it.
        ("HTTPS_PROXY", "sync@proxy.example:3128"),
        ("ALL_PROXY", "socks5://sync@proxy.example:1080"),
    ],
)
def test_check_warns_of_a_user_name_without_a_password(
    settings, monkeypatch, no_proxy_settings, name, url
):
    """requests takes neither a user name nor a password from an address with no “:” after the
    name: every request to Greenhouse went without them, and W008 said nothing."""
    address_set(settings, monkeypatch, name, url)

    [warning] = [message for message in run_checks() if message.id == "orgsite.W008"]

    assert warning.msg == (
        f"{name} is {url!r}, which has a user name but no password: requests sends a user name "
        "only with a password after a “:”, so it sends none."
    )
    example = "https://user:password@host/v1" if name == "GREENHOUSE_API_BASE" else "http://"
    assert warning.hint.startswith(f"Write the password after the user name and a “:”, {example}")


@pytest.mark.parametrize(
    "api_base",
    ["https://:s3cret@egress.example.com/v1", "https://sync:@egress.example.com/v1"],
    ids=["a password without a user name", "a user name with an empty password"],
)
def test_check_says_nothing_of_greenhouse_api_bases_credentials_requests_sends(
    settings, no_proxy_settings, api_base
):
    """Unlike a proxy's, a password without a user name is sent, as an empty user name's; a
    user name written with a “:” is sent with the empty password after it."""
    settings.GREENHOUSE_API_BASE = api_base

    assert "orgsite.W008" not in [message.id for message in run_checks()]


@pytest.mark.parametrize(
    "environment",
    [
        # Latin-1 has "é", and requests sends it.
        {"HTTPS_PROXY": "http://sync:s3cré@proxy.example:3128"},
        {"HTTPS_PROXY": "http://sync:s3cr%C3%A9@proxy.example:3128"},
        {"HTTPS_PROXY": "http://sync:12%2Fsecret@proxy.example:3128"},
        {"HTTPS_PROXY": "http://proxy.example:3128/"},
        # Without a scheme, but read as a host and port, "http://" put before it.
        {"HTTPS_PROXY": "proxy.example:3128"},
        {"HTTPS_PROXY": "10.0.0.1:3128"},
        {"HTTPS_PROXY": "proxy"},
        # An empty password, after the user name's “:”, is sent with it.
        {"HTTPS_PROXY": "http://sync:@proxy.example:3128"},
        # Not the proxy of Greenhouse's requests: another scheme's, or one its host goes around.
        {"HTTP_PROXY": "http://sync:12/secret@proxy.example:3128"},
        {
            "HTTPS_PROXY": "http://sync:12/secret@proxy.example:3128",
            "NO_PROXY": "boards-api.greenhouse.io",
        },
    ],
)
def test_check_says_nothing_of_a_proxy_greenhouses_requests_take_as_written(
    settings, monkeypatch, no_proxy_settings, environment
):
    settings.GREENHOUSE_API_BASE = "https://boards-api.greenhouse.io/v1"
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert "orgsite.W008" not in [message.id for message in run_checks()]
