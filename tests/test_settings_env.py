"""Settings from the environment: a value that makes no sense stops the process, naming it."""

from __future__ import annotations

import ast
import builtins
import errno
import inspect
import io
import json
import logging
import logging.handlers
import os
import re
import socket
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

import dj_database_url
import django
import kombu
import kombu.utils.url
import psycopg
import psycopg.conninfo
import pytest
import redis
from cryptography.fernet import Fernet
from django.conf import LazySettings
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from kombu.transport.redis import Channel as RedisChannel

import orgsite.env
from jobs.greenhouse import password_ends_host
from orgsite.env import (
    env_bool,
    env_database_url,
    env_float,
    env_int,
    env_line,
    env_time_of_day,
    env_url,
    passwords_masked,
    running_account,
    settings_loaded_or_exit,
    userinfo_passwords_masked,
)
from orgsite.logging import (
    JsonFormatter,
    StreamHandler,
    UnknownHostFilter,
    WatchedFileHandler,
    worker_handler,
)
from tests.support.helpers import TEST_REDIS_URL, require_service
from tests.support.regex_steps import assert_steps_in_proportion, regex_steps_counted
from tests.support.settings_module import settings_under

ROOT = Path(__file__).resolve().parent.parent


# Passwords a URL holds raw, and written as %XX, each part of them beginning "Pw".
HOSTILE_PASSWORDS = [
    "Pw1&Pw2/Pw3:Pw4@Pw5",
    "Pw1?Pw2#Pw3",
    "Pw1#Pw2/Pw3",
    "Pw1,redis://Pw2@Pw3",
    "Pw1%2FPw2%40Pw3%3FPw4",
    "Pw1%Pw2",
]


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("-1", ""),
        ("soon", ""),
        ("600.5", ""),
        ("1e999", ", which is too large: it reads as infinity"),
        ("inf", ", which is too large: it reads as infinity"),
        ("-inf", ""),
        ("nan", ", which is not a number (NaN)"),
    ],
)
def test_a_duration_is_a_number_from_0_to_its_maximum(monkeypatch, raw, said):
    """ "1e999", read as infinity, was told it "must be a number, 0 or more"."""
    monkeypatch.setenv("SOME_SECONDS", raw)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_float("SOME_SECONDS", 1.0, maximum=600)
    assert str(refused.value) == f"SOME_SECONDS must be a number from 0 to 600, not {raw!r}{said}"


def test_a_timeout_is_above_zero_and_up_to_its_maximum(monkeypatch):
    for taken in ("0", "600"):
        monkeypatch.setenv("SOME_TIMEOUT", taken)
        assert env_float("SOME_TIMEOUT", 1.0, maximum=600) == float(taken)
    monkeypatch.setenv("SOME_TIMEOUT", "0")
    with pytest.raises(ImproperlyConfigured, match="must be a number above 0 and at most 600"):
        env_float("SOME_TIMEOUT", 1.0, maximum=600, positive=True)


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_true_or_false_reads_as_unset(monkeypatch, blank):
    monkeypatch.setenv("SOME_SWITCH", blank)
    assert env_bool("SOME_SWITCH", True) is True
    assert env_bool("SOME_SWITCH", False) is False


@pytest.mark.parametrize(
    ("raw", "read"),
    [("1", True), ("true", True), ("Yes", True), (" ON ", True)]
    + [("0", False), ("false", False), ("No", False), (" OFF ", False)],
)
def test_a_true_or_false_takes_each_common_spelling_in_any_case(monkeypatch, raw, read):
    monkeypatch.setenv("SOME_SWITCH", raw)
    assert env_bool("SOME_SWITCH", not read) is read


def test_a_true_or_false_that_is_neither_names_its_variable(monkeypatch):
    monkeypatch.setenv("SOME_SWITCH", "maybe")
    with pytest.raises(
        ImproperlyConfigured, match="SOME_SWITCH must be true or false, not 'maybe'"
    ):
        env_bool("SOME_SWITCH", True)


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_number_reads_as_unset(monkeypatch, blank):
    monkeypatch.setenv("SOME_COUNT", blank)
    assert env_int("SOME_COUNT", 3, minimum=1, maximum=10) == 3
    assert env_float("SOME_COUNT", 1.5, maximum=10, positive=True) == 1.5


def test_a_blank_setting_starts_the_site_with_its_default():
    """A blank number, name, address or time stopped the start ("must be a whole number, not
    ''", "must not be blank"), a blank broker was refused, and a blank ORGSITE_VAR_DIR put the
    local database in the working directory, where a blank true or false read as unset."""
    values = settings_under(
        DJANGO_EMAIL_PORT="",
        GREENHOUSE_READ_TIMEOUT=" ",
        SITE_NAME="",
        GREENHOUSE_API_BASE="",
        DAILY_PRUNE_AT="",
        ORGSITE_VAR_DIR="",
        CELERY_BROKER_URL="",
        DJANGO_TIME_ZONE="",
        LOG_LEVEL="",
    )
    assert values["EMAIL_PORT"] == 25
    assert values["GREENHOUSE_READ_TIMEOUT"] == 30.0
    assert values["SITE_NAME"] == "orgsite"
    assert values["GREENHOUSE_API_BASE"] == "https://boards-api.greenhouse.io/v1"
    assert values["DAILY_PRUNE_AT"] == time(3, 30)
    assert values["VAR_DIR"] == values["BASE_DIR"] / "var"
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    assert values["TIME_ZONE"] == "UTC"
    assert values["LOG_LEVEL"] == "INFO"


def test_a_number_that_is_not_one_names_its_variable_and_its_range(monkeypatch):
    monkeypatch.setenv("SOME_COUNT", "five")
    with pytest.raises(
        ImproperlyConfigured, match="^SOME_COUNT must be a whole number from 1 to 10, not 'five'$"
    ):
        env_int("SOME_COUNT", 3, minimum=1, maximum=10)


@pytest.mark.parametrize(("raw", "shown"), [("0", "0"), ("65536", "65536"), (" +7_0000 ", "70000")])
def test_a_whole_number_is_taken_up_to_its_bounds_and_refused_past_them(monkeypatch, raw, shown):
    for bound in ("1", "65535"):
        monkeypatch.setenv("SOME_PORT", bound)
        assert env_int("SOME_PORT", 25, minimum=1, maximum=65535) == int(bound)
    monkeypatch.setenv("SOME_PORT", raw)
    with pytest.raises(
        ImproperlyConfigured,
        match=f"^SOME_PORT must be a whole number from 1 to 65535, not {shown}$",
    ):
        env_int("SOME_PORT", 25, minimum=1, maximum=65535)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("9" * 5000, "99999"),
        ("-" + "9" * 5000, "-99999"),
        ("+" + "9_" * 4500 + "9", "99999"),
        # int() reads the spaces around a number: so does the reading of a longer one.
        ("9" * 5000 + " ", "99999"),
    ],
    ids=["above", "below", "with underscores", "space"],
)
def test_a_whole_number_of_more_digits_than_int_reads_is_refused_as_out_of_range(
    monkeypatch, raw, shown
):
    """int() reads no more than 4,300 digits: such a number was told "must be a whole
    number"."""
    monkeypatch.setenv("SOME_PORT", raw)
    with pytest.raises(
        ImproperlyConfigured,
        match=f"^SOME_PORT must be a whole number from 1 to 65535, not {shown}",
    ):
        env_int("SOME_PORT", 25, minimum=1, maximum=65535)


@pytest.mark.parametrize(
    "raw", ["0" * 5000 + "1", " " + "0" * 5000 + "1 "], ids=["zeros", "spaces, zeros"]
)
def test_a_whole_number_in_range_written_with_thousands_of_leading_zeros_is_read(monkeypatch, raw):
    """int() counts leading zeros in its 4,300 digits: the number they write is in range."""
    monkeypatch.setenv("SOME_PORT", raw)
    read = env_int("SOME_PORT", 25, minimum=1, maximum=65535)
    # An int, not the Decimal that read it, which timedelta() refuses.
    assert type(read) is int and read == 1


def settings_read_with(helper: str) -> list[str]:
    """The variables settings.py reads with `helper`, one of orgsite.env's."""
    tree = ast.parse((ROOT / "orgsite" / "settings.py").read_text())
    return sorted(
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == helper
    )


def integer_settings() -> list[str]:
    """The variables settings.py reads with env_int."""
    return settings_read_with("env_int")


def readme_row(variable: str) -> str:
    """The README's settings table row of `variable`."""
    rows = [
        line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `")
    ]
    [row] = [row for row in rows if f"`{variable}`" in row.split("|")[1]]
    return row


@pytest.mark.parametrize("variable", integer_settings())
def test_every_integer_setting_past_its_maximum_stops_the_process_naming_its_range(variable):
    """Without a maximum, a value of up to 4,300 digits was taken, and failed where it was used:
    a sync's lease, now + SYNC_LOCK_SECONDS, overflowed the datetime at every sync. The README's
    row of the setting gives the same range."""
    refused = refusal(**REDIS_BROKER, **{variable: "9" * 4000})

    refusal_re = f"{variable} must be a whole number from ([0-9]+) to ([0-9]+), not 9{{100}}…"
    minimum, maximum = re.fullmatch(refusal_re, refused).groups()
    assert f"`{minimum}` to `{maximum}`" in readme_row(variable)


def float_settings() -> list[str]:
    """The variables settings.py reads with env_float."""
    return settings_read_with("env_float")


@pytest.mark.parametrize("variable", float_settings())
def test_every_decimal_setting_past_its_maximum_stops_the_process_naming_its_range(variable):
    """Without a maximum, a timeout of 1e300 seconds was taken, which a socket refuses. The
    README's row of the setting gives the same maximum."""
    refused = refusal(**{variable: "1e300"})

    refusal_re = (
        f"{variable} must be a number (?:from 0 to|above 0 and at most) ([0-9]+), not '1e300'"
    )
    [maximum] = re.fullmatch(refusal_re, refused).groups()
    assert f"`{maximum}`" in readme_row(variable).split("|")[3]


@pytest.mark.parametrize(
    ("raw", "read", "error"),
    [
        ("9" * 5000, lambda: env_int("PORT", 8000, minimum=1, maximum=65535), "must be a whole"),
        ("9" * 4000, lambda: env_int("PORT", 8000, minimum=1, maximum=65535), "must be a whole"),
        ("9" * 5000 + "s", lambda: env_float("PORT", 1.0, maximum=60), "must be a number"),
        ("y" * 5000, lambda: env_bool("PORT", True), "must be true or false"),
        ("9" * 5000, lambda: env_time_of_day("PORT", "03:30"), "must be a time of day"),
        ("9" * 5000, lambda: env_url("PORT", "https://example.org"), "must be an http(s) URL"),
        ("9" * 5000, lambda: env_line("PORT", "x", max_length=60), "must be at most 60 characters"),
    ],
    ids=["int", "int too large", "float", "bool", "time of day", "url", "line"],
)
def test_a_refused_value_of_thousands_of_characters_is_shown_cut(monkeypatch, raw, read, error):
    """A PORT of thousands of digits was written whole into the error, filling the screen."""
    monkeypatch.setenv("PORT", raw)

    with pytest.raises(ImproperlyConfigured, match=f"^PORT {re.escape(error)}") as refused:
        read()

    assert len(str(refused.value)) < 200
    assert str(refused.value).endswith(f"{raw[:10]}…")


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_django_debug_is_the_local_default_and_refused_on_a_public_host(blank):
    """Blank read as false: a local env file with DJANGO_DEBUG= asked for production's keys,
    while the check that stops debug on a public name tested for an empty value it never saw."""
    assert settings_under(DJANGO_DEBUG=blank)["DEBUG"] is True
    with pytest.raises(ImproperlyConfigured, match="set DJANGO_DEBUG=false for production"):
        settings_under(DJANGO_DEBUG=blank, DJANGO_ALLOWED_HOSTS="jobs.example.com")


@pytest.mark.parametrize(
    "raw",
    [
        "boards-api.greenhouse.io/v1",
        "ftp://boards-api.greenhouse.io/v1",
        "https://",
        "https://[::1/v1",  # urllib cannot read it
        # Every request to these failed ("The request to Greenhouse failed").
        "https://boards-api.greenhouse.io:99999/v1",
        "https://boards-api.greenhouse.io:https/v1",
        "https://boards-api.greenhouse.io:0/v1",
        "https://sync:s3cret@/v1",
        "https://:8001/v1",
    ],
)
def test_an_api_base_is_an_http_url_with_a_host(monkeypatch, raw):
    monkeypatch.setenv("SOME_API", raw)
    with pytest.raises(ImproperlyConfigured, match="SOME_API must be an http"):
        env_url("SOME_API", "https://example.org/v1")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://sync:s3cret@proxy.example/v1",
        # A base64 password's "/" (or a "?" or "#") left unescaped: urlsplit ends the host at
        # it, reads a port of "s3" and refuses the URL, which was named with the password whole.
        "https://sync:s3/cret@proxy.example/v1",
        "https://sync:s3?cret@proxy.example/v1",
        "https://sync:s3#cret@proxy.example/v1",
    ],
)
def test_a_url_refused_is_named_with_its_password_masked(monkeypatch, url):
    # The error, written into the log as each process failed to start, held the password.
    monkeypatch.setenv("SOME_API", url)
    with pytest.raises(ImproperlyConfigured) as caught:
        env_url("SOME_API", "https://example.org/v1")
    scheme = url.partition(":")[0]
    assert str(caught.value).endswith(f"not '{scheme}://sync:***@proxy.example/v1'")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # urlsplit reads the password up to the last "@" before the host, so may the proxy.
        ("url=https://sync:p@ss:w0rd@proxy/v1/boards", "url=https://sync:***@proxy/v1/boards"),
        (
            "url=http://sync:s3cret@proxy:8080/v1 to=a@b.example",
            "url=http://sync:***@proxy:8080/v1 to=a@b.example",
        ),
        # Written as a password holding a "/" is ("https://user:12/secret@proxy"): masked too.
        ("url=https://proxy:8080/v1/boards/a@b", "url=https://proxy:***@b"),
        ("url=https://proxy/v1/boards/a@b", "url=https://proxy/v1/boards/a@b"),
        # With a "/" unescaped in the password, up to the last "@" of the URL alone.
        (
            "url=https://sync:p/w@proxy/v1 to=a@b.example",
            "url=https://sync:***@proxy/v1 to=a@b.example",
        ),
    ],
)
def test_a_password_with_an_at_sign_is_masked_whole(text, masked):
    # Masked to its first "@", the rest of the password was shown.
    assert passwords_masked(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # CACHE_URL's, which the cache's client reads; an "@" in it is the value's.
        (
            "raw_env: ['CACHE_URL=redis://HOST:6379/1?db=2&password=p@ss/w0rd&x=1']",
            "raw_env: ['CACHE_URL=redis://HOST:6379/1?db=2&password=***&x=1']",
        ),
        # DATABASE_URL's, which dj_database_url hands psycopg, a client key's too.
        (
            "url=postgres://sync@HOST/db?password=s3cret to=a@b.example",
            "url=postgres://sync@HOST/db?password=*** to=a@b.example",
        ),
        (
            "url=postgres://sync:s3cret@HOST/db?sslmode=verify-full&sslpassword=k3y",
            "url=postgres://sync:***@HOST/db?sslmode=verify-full&sslpassword=***",
        ),
    ],
)
def test_a_password_in_a_urls_query_is_masked(text, masked):
    """The mask read a password before the host alone: gunicorn's master, at --log-level
    debug, wrote `--env CACHE_URL=redis://HOST:6379/1?password=…` as it was given."""
    assert passwords_masked(text) == masked


@pytest.mark.parametrize(
    "name",
    ["pass%77ord", "%70%61%73%73%77%6F%72%64", "%70%61%73%73%77%6f%72%64", "passwor%64"],
)
@pytest.mark.parametrize("first", [True, False], ids=["after ?", "after &"])
def test_a_password_whose_query_name_is_percent_escaped_is_masked(name, first):
    """The clients decode a query's names before they read them: redis-py read
    "?pass%77ord=s3cret" as the password, which the mask, comparing names as written, showed."""
    url = f"redis://HOST:6379/1?{name}=s3cret" if first else f"redis://HOST/1?db=2&{name}=s3cret"
    assert redis.connection.parse_url(url)["password"] == "s3cret"  # read as the password
    assert passwords_masked(f"url={url} to=a@b.example") == (
        f"url={url.replace('s3cret', '***')} to=a@b.example"
    )
    # sslpassword, which dj_database_url hands psycopg, alike.
    text = f"url=postgres://sync@HOST/db?sslpass{name.removeprefix('pass')}=k3y"
    assert passwords_masked(text) == text.replace("k3y", "***")


def test_a_percent_escaped_query_name_that_is_no_password_is_left_as_it_is():
    """Decoded once, as the clients decode it: "pass%2577ord" is read as "pass%77ord"."""
    url = "redis://HOST/1?q%5B%5D=s%C3%A9&pass%2577ord=x&%zz=y"
    assert "password" not in redis.connection.parse_url(url)
    assert passwords_masked(f"url={url}") == f"url={url}"


@pytest.mark.parametrize(
    "name",
    [
        "PASSWORD",
        "Password",
        "sslPassword",
        "SSL_PASSWORD",
        "PASS%57ORD",
        "pass%57ord",
        "%50asSword",
    ],
)
@pytest.mark.parametrize("first", [True, False], ids=["after ?", "after &"])
def test_a_password_whose_query_name_is_in_other_capitals_is_masked(name, first):
    """The mask compared a name with "password" as written, as the clients do: they take
    "?PASSWORD=" for another field (the cache's client failed on it at each use, "unexpected
    keyword argument"), but whoever wrote one meant a password, and a log line showed it."""
    url = f"redis://HOST:6379/1?{name}=s3cret" if first else f"redis://HOST/1?db=2&{name}=s3cret"
    assert "password" not in redis.connection.parse_url(url)  # no password to the client
    assert not orgsite.env._names_a_password(name)  # nor to the settings' check of a blank
    assert passwords_masked(f"url={url} to=a@b.example") == (
        f"url={url.replace('s3cret', '***')} to=a@b.example"
    )


def test_a_password_field_written_in_another_fields_value_is_masked():
    """A field holding a "%" took its value from the search, to the next "&", whether its name
    decoded was a password's or not: a "?password=" after a "?" in that value was shown."""
    text = "url=redis://HOST/1?q%20=a?password=s3cret&db=2 to=a@b.example"
    assert passwords_masked(text) == text.replace("s3cret", "***")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("url=redis://u:a?PASSWORD=b@c@HOST/0 x", "url=redis://u:*** x"),
        ("url=redis://u:a&sslPassword=b@c@HOST/0", "url=redis://u:***"),
        ("url=https://u:a?q%20=b?password=c@HOST/v1", "url=https://u:***"),
        ("url=https://u:a&q%20=b?password=c@HOST/v1", "url=https://u:***"),
        ("url=https://u:a?q%20=b?c?password=d@HOST/v1", "url=https://u:***"),
        ("url=https://u:a&q%20=b?c?password=d@HOST/v1", "url=https://u:***"),
        (
            "url='http://h/?q%20=?','redis://u:p?%70assword=x@HOST'",
            "url='http://h/?q%20=?','redis:***",
        ),
        ("url=redis://u:pw@HOST/?PASSWORD=x@y&db=2", "url=redis://u:***&db=2"),
        (
            "url=redis://u:pw@HOST/?PASSWORD=x&password=p@s",
            "url=redis://u:***@HOST/?PASSWORD=***&password=***",
        ),
        (
            "url=redis://u:pw@HOST/?db=1&a?password=p@s",
            "url=redis://u:***@HOST/?db=1&a?password=***",
        ),
        ("url=redis://u:pw@HOST/?password=p&PASSWORD=x@y", "url=redis://u:***"),
        (
            "url=redis://u:pw@HOST/?password=p@s&PASSWORD=x",
            "url=redis://u:***@HOST/?password=***&PASSWORD=***",
        ),
        ("url='redis://h/?PASSWORD=',https://u:p&w@HOST'", "url='redis://h/?PASSWORD=***@HOST'"),
    ],
)
def test_a_field_only_the_mask_reads_as_a_password_unmasks_no_user_info(text, masked):
    """A field no client reads as a password's ("?PASSWORD=", one in another field's value),
    which the mask reads as one, hid an "@" that may as well end a user-info's password holding
    that field ("a?PASSWORD=b@c"), or the user of a URL its value read on into, and showed
    that password, which the mask hid before it read such fields. Both readings are masked."""
    assert passwords_masked(text) == masked


@pytest.mark.parametrize(
    "written",
    [
        lambda url: f"raw_env: {[f'CACHE_URL={url}']!r}",  # gunicorn's line of its --env
        lambda url: f"Arguments: {(url,)!r}",  # Celery's "celery.redirected"
        lambda url: f"settings: {json.dumps({'url': url})}",
        lambda url: f"could not connect to {url!r}.",
    ],
    ids=["list", "tuple", "json", "sentence"],
)
@pytest.mark.parametrize("query", ["?password={}", "?db=2&password={}", "?pass%77ord={}"])
def test_a_quote_that_ends_a_quoted_url_is_kept_after_its_masked_password(written, query):
    """The mask hid the quote that ends a URL quoted in a line, and what follows it, with the
    password: gunicorn wrote "raw_env: ['CACHE_URL=redis://HOST:6379/1?password=***"."""
    url = f"redis://HOST:6379/1{query}"
    assert passwords_masked(written(url.format("s3cret"))) == written(url.format("***"))


@pytest.mark.parametrize(
    "password",
    ["Pw1'Pw2", 'Pw1"Pw2', "Pw1'\"Pw2", "Pw1'", 'Pw1"', "Pw1')", "Pw1'],", "'Pw1'", "Pw1'\"]"],
)
@pytest.mark.parametrize(
    "written",
    [
        lambda url: f"url={url}",
        lambda url: f"url={url}&db=2",
        lambda url: f"raw_env: {[f'CACHE_URL={url}']!r}",
        lambda url: f"Arguments: {(url,)!r}",
        lambda url: f"settings: {json.dumps({'url': url})}",
        lambda url: f"url='{url}'",
        lambda url: f"url='{url}&db=2'",
    ],
    ids=[
        "plain",
        "plain, a field after",
        "list",
        "tuple",
        "json",
        "quoted",
        "quoted, a field after",
    ],
)
def test_a_password_holding_a_quote_is_masked_whole(password, written):
    """A quote ends a quoted URL's password only as its last, and of a kind the word opened
    before it: repr quotes a text holding a ' in double quotes ("['…?password=Pw1'Pw2']" would
    have shown "Pw2"), and "url=…?password=Pw1'" written unquoted would have shown that the
    password ends with a quote."""
    text = written(f"redis://HOST:6379/1?password={password}")
    # The text up to the value, then what the line writes after the URL: its quote as written
    # (repr quotes "Pw1'Pw2" in double quotes), a bracket, "&db=2".
    marked = written("MARK")
    after_the_url = len(marked) - marked.index("MARK") - len("MARK")
    head, tail = text.partition("password=")[0], text[len(text) - after_the_url :]
    assert passwords_masked(text) == f"{head}password=***{tail}"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("url=redis://u:p'w@HOST/1?password=Pw1'", "url=redis://u:***@HOST/1?password=***"),
        ("url=redis://HOST/it's/1?password=Pw1')", "url=redis://HOST/it's/1?password=***"),
        ('url=redis://HOST/1?db="2&password=Pw1".', 'url=redis://HOST/1?db="2&password=***'),
        ("url='redis://HOST/1?password=Pw1'#top'", "url='redis://HOST/1?password=***#top'"),
        ("url='redis://HOST/1?password=Pw1'Pw2", "url='redis://HOST/1?password=***"),
        ("x='a'redis://HOST/1?password=Pw1')", "x='a'redis://HOST/1?password=***"),
        ("'a',redis://HOST/1?password=Pw1'", "'a',redis://HOST/1?password=***"),
        ("'redis://a/',redis://HOST/1?password=Pw1'", "'redis://a/',redis://HOST/1?password=***"),
        ("redis:HOST/1?password=Pw'1://Pw2'", "redis:HOST/1?password=***"),
        ("'redis://HOST/1?PASSWORD=Pw1'Pw2?password=Pw3'", "'redis://HOST/1?PASSWORD=***"),
    ],
    ids=[
        "its user's password",
        "its path",
        "another field",
        "a fragment after",
        "a line cut",
        "a quote closed before",
        "a quoted item before",
        "a quoted URL before",
        "a URL in the value",
        "another password's field in the value",
    ],
)
def test_a_quote_in_a_password_is_kept_only_where_it_ends_the_quoted_url(text, masked):
    """A quote in the URL itself opens none that ends it: the mask showed the quote that ends
    the password after "***" ("…/it's/1?password=***')"), as one the word opened before the
    value, and the one before a "#" the URL goes on after. Nor is a quote followed by more than
    a list's or a sentence's marks one that ends it (a line cut after "Pw1'Pw2"). Nor one the
    word opened before the URL and closed before it, or before the value: "x='a'redis://…",
    "'a',redis://…" and "'redis://a/',redis://…" showed "***')" and "***'"."""
    assert passwords_masked(text) == masked


def test_a_password_in_a_query_is_not_taken_for_one_that_ends_the_host():
    """password_ends_host finds a password whose "/", "?" or "#" left as it is ends the host,
    whose pieces log lines mask too; a query's password, masked whole, is no such one."""
    assert not password_ends_host("https://egress.example.com/v1?password=p@ss")
    assert password_ends_host("https://sync:p@ss/word@egress.example.com/v1")


def test_masking_a_long_query_with_no_password_takes_work_in_its_length():
    """A query's password is searched for from each "?" or "&" alone, to the next: a search
    to the word's end from each would take work in the square of its length."""

    def steps_for(repeats: int) -> int:
        line = "url=https://proxy.example/" + "?apassword" * repeats + " password="
        with regex_steps_counted(orgsite.env) as steps:
            assert passwords_masked(line) == line
        return steps.count

    assert_steps_in_proportion(steps_for, 100)


@pytest.mark.parametrize(
    "repeated",
    ["?a%70assword", "?pass%77ord=x'", "&%%%%", "?password='\"'", "%a"],
)
def test_masking_a_long_query_with_escaped_names_or_quotes_takes_work_in_its_length(repeated):
    """Names holding a "%" are searched for too, and each password's value read for the quote
    that ends it: still from each "?" or "&" alone, to the next, and a name of many "%" and no
    "=" once, not again from each "%" in it ("?%a%a…", in the square of its length)."""

    def steps_for(repeats: int) -> int:
        line = "url='https://proxy.example/?" + repeated * repeats + "' password="
        with regex_steps_counted(orgsite.env) as steps:
            passwords_masked(line)
        return steps.count

    assert_steps_in_proportion(steps_for, 100)


@pytest.mark.parametrize(
    "password", ["12/Pw1", "Pw1/Pw2", "Pw1?Pw2", "Pw1#Pw2", *HOSTILE_PASSWORDS]
)
@pytest.mark.parametrize("user", ["sync", "", "sy/nc"])
def test_a_password_holding_any_character_of_a_url_is_masked_whole(user, password):
    """urlsplit ends a password at its first "/", "?" or "#": a password holding one was shown
    from there ("https://sync:12/secret@proxy/v1", read as port 12, showed "12/secret"). A
    path with an "@" after a port is written as such a password is, and masked as one."""
    text = f"fetch failed url=https://{user}:{password}@proxy.example/v1/boards/acme to=a@b.example"

    assert passwords_masked(text) == (
        f"fetch failed url=https://{user}:***@proxy.example/v1/boards/acme to=a@b.example"
    )


# Blanks beyond ASCII's: a no-break space, a line and a paragraph separator, an ideographic
# space, an Ogham space mark, a medium mathematical space and a narrow no-break space.
BLANKS_BEYOND_ASCII = ["\u00a0", "\u2028", "\u2029", "\u3000", "\u1680", "\u205f", "\u202f"]


@pytest.mark.parametrize("blank", BLANKS_BEYOND_ASCII)
@pytest.mark.parametrize("password", ["Pw1{0}Pw2", "pässwörd{0}", "{0}密码", "Пароль{0}1{0}2"])
def test_a_password_holding_a_blank_beyond_asciis_is_masked_to_its_end(password, blank):
    """Any blank ended a URL, so a password holding a no-break space (which a line writes as
    itself where it writes the URL with %s, as a client's error does) was shown from there:
    whole before the host, no word holding both its "://" and its "@", and from that
    character on in a query. Each URL of the line is masked to its password's end."""
    password = password.format(blank)
    line = (
        f"fetch failed url=https://sync:{password}@proxy.example/v1 then "
        f"redis://:{password}@cache.example:6379/1?db=2 and "
        f"postgres://orgsite@db.example/orgsite?sslpassword={password}&sslmode=require,"
        f"redis://cache.example/1?PASSWORD={password} to=a@b.example"
    )
    assert passwords_masked(line) == line.replace(password, "***")
    url = f"https://sync:{password}@proxy.example/v1"
    assert userinfo_passwords_masked(f"url={url}") == "url=https://sync:***@proxy.example/v1"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            "url=https://h1.example/v1\u3000https://sync:Pw1@h2.example/v1",
            "url=https://h1.example/v1\u3000https://sync:***@h2.example/v1",
        ),
        # To the last "@" of the URLs a blank of another kind joins, as a "," would join them.
        (
            "url=https://sync:Pw1@h1.example/v1\u00a0https://sync:Pw2\u00a0Pw3@h2.example/v1",
            "url=https://sync:***@h2.example/v1",
        ),
        (
            "url=https://sync:Pw1@h1.example/v1,https://sync:Pw2,Pw3@h2.example/v1",
            "url=https://sync:***@h2.example/v1",
        ),
        # A query's value read on into the next URL, to a "#" in its password: masked whole.
        (
            "url=redis://h1/1?password=Pw1\u3000https://sync:#Pw2@h2/v1",
            "url=redis://h1/1?password=***",
        ),
        ("['redis://HOST/1?password=Pw1\u00a0Pw2']", "['redis://HOST/1?password=***']"),
    ],
)
def test_urls_a_blank_beyond_asciis_joins_are_masked_as_before_and_to_their_end(text, masked):
    assert passwords_masked(text) == masked


@pytest.mark.parametrize("blank", BLANKS_BEYOND_ASCII)
@pytest.mark.parametrize("field", ["?PASSWORD=", "&PassWord=", "?q=a?password="])
def test_a_password_holding_a_blank_beyond_asciis_and_a_query_field_is_masked_whole(blank, field):
    """A password before the host holding such a blank and then a field only the mask reads as
    a password's, its value holding an "@", was masked from that value on alone: the reading
    in words that end at any blank masked the "@" that ends the password, and the reading in
    the longer words found none in what it left, and showed "a\u00a0b?PASSWORD=". It is masked
    as the same password without the blank is."""
    text = f"error=redis://u:a{blank}b{field}c@d@HOST/0 to=a@b.example"

    assert passwords_masked(text) == "error=redis://u:*** to=a@b.example"
    assert passwords_masked(text.replace(blank, "")) == "error=redis://u:*** to=a@b.example"


@pytest.mark.parametrize(
    ("mask", "url_shown"),
    [(passwords_masked, "redis://u:***"), (userinfo_passwords_masked, "redis://u:***@HOST/0")],
)
def test_a_line_holding_the_character_the_mask_writes_shows_it_as_u_fffd(mask, url_shown):
    """The mask writes U+FDD0 for each character it masks, and each run of them as "***" at the
    end: one the line held already (a noncharacter, which no text interchanged holds) would be
    written "***" too, as if a password were masked there. It is written U+FFFD."""
    line = "error=\ufdd0 redis://u:a\u00a0b?PASSWORD=c@d@HOST/0 \ufdd0\ufdd0"

    assert mask(line) == f"error=\ufffd {url_shown} \ufffd\ufffd"


@pytest.mark.parametrize("blank", BLANKS_BEYOND_ASCII)
@pytest.mark.parametrize("query", ["", "?db=2", "?PASSWORD=Pw2"])
def test_a_password_after_a_user_holding_a_blank_beyond_asciis_is_masked(blank, query):
    """A user's name ended at any blank, so the password after one holding such a blank was
    written as it was ("redis://us\u00a0er:secret@HOST/0"). The user reads on past it, but not
    into a URL after it, whose own user is read (the last case)."""
    line = f"error=redis://us{blank}er:Pw1@cache.example:6379/0{query} to=a@b.example"
    masked = f"error=redis://us{blank}er:***@cache.example:6379/0{query} to=a@b.example"

    assert passwords_masked(line) == masked.replace("=Pw2", "=***")
    assert userinfo_passwords_masked(line) == masked
    joined = f"url=https://h1.example/v1{blank}https://sync:Pw1@h2.example/v1"
    assert passwords_masked(joined) == joined.replace("Pw1", "***")
    # The password's end read as the clients read the query: its "@" in a "?PASSWORD=" value.
    field_in_it = f"error=redis://us{blank}er:a?PASSWORD=b@c@HOST/0 to=a@b.example"
    assert passwords_masked(field_in_it) == f"error=redis://us{blank}er:*** to=a@b.example"


def test_masking_a_long_line_of_urls_with_no_password_takes_work_in_its_length():
    """The regex looked from each "://" to the end of the word for an "@" after it, in the
    square of the word's length: 17 s for a line of 96,000 characters (a redirect's address,
    say, logged from a header line of up to 64 KiB). Its steps are counted
    (regex_steps_counted), not timed: a line twice as long takes at most twice as many."""

    def steps_for(repeats: int) -> int:
        line = "final_url=https://proxy.example/@" + "a://b:" * repeats
        with regex_steps_counted(orgsite.env) as steps:
            assert passwords_masked(line) == line
        return steps.count

    assert_steps_in_proportion(steps_for, 100)


@pytest.mark.parametrize(
    "raw",
    [
        "https:/sync:Pw1@proxy.example/v1",  # a "/" short
        "https:sync:Pw1@proxy.example/v1",
        "sync:Pw1@proxy.example/v1",  # no scheme
        "Pw0:Pw1@https://sync:Pw2@proxy.example/v1",
    ],
)
def test_a_url_refused_without_a_password_masking_finds_is_not_shown(monkeypatch, raw):
    """Masking finds a password after "://" only: these were shown whole."""
    monkeypatch.setenv("SOME_API", raw)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_url("SOME_API", "https://example.org/v1")
    assert str(refused.value) == (
        "SOME_API must be an http(s) URL such as https://example.org/v1, not a value holding an "
        "@ (not shown: a password may be part of it)"
    )


@pytest.mark.parametrize("blank", [" ", "\t", "\u00a0", "\n"])
def test_a_url_holding_a_blank_is_refused_without_showing_it(monkeypatch, blank):
    """requests sent it (as %20), and each log line naming the address showed the password up
    to the blank, where masking stops."""
    monkeypatch.setenv("SOME_API", f"https://sync:Pw1{blank}Pw2@proxy.example/v1")
    with pytest.raises(ImproperlyConfigured, match="^SOME_API holds a space") as refused:
        env_url("SOME_API", "https://example.org/v1")
    assert "Pw" not in str(refused.value)


def test_an_api_base_refused_shows_no_part_of_a_password_holding_a_slash(monkeypatch):
    monkeypatch.setenv("SOME_API", "https://sync:Pw1/Pw2@proxy.example/v1")  # port "Pw1"
    with pytest.raises(ImproperlyConfigured) as refused:
        env_url("SOME_API", "https://example.org/v1")
    assert str(refused.value).endswith("not 'https://sync:***@proxy.example/v1'")


def test_an_http_url_is_taken_as_given(monkeypatch):
    monkeypatch.setenv("SOME_API", " http://127.0.0.1:8001/v1 ")
    assert env_url("SOME_API", "https://example.org/v1") == "http://127.0.0.1:8001/v1"


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("Acme\nCareers", "SOME_NAME must be one line of text"),
        ("Acme\x7fCareers", "SOME_NAME must be one line of text"),
        ("Acme\u2028Careers", "SOME_NAME must be one line of text"),  # a line separator
        ("Acme \udcffCareers", "SOME_NAME must be one line of text"),  # a byte not UTF-8
        ("A" * 61, "SOME_NAME must be at most 60 characters, not 61"),
        ("\u200b\u200b", "SOME_NAME must be text that shows, not only zero-width or blank"),
        ("\u3164", "blank characters: '\\u3164'"),  # a Hangul filler, escaped to be read
    ],
)
def test_a_name_is_one_line_of_text_that_shows_not_too_long(monkeypatch, raw, error):
    monkeypatch.setenv("SOME_NAME", raw)
    with pytest.raises(ImproperlyConfigured, match=re.escape(error)):
        env_line("SOME_NAME", "orgsite", max_length=60)


def test_a_name_is_taken_without_the_spaces_around_it(monkeypatch):
    assert env_line("SOME_NAME", "orgsite", max_length=60) == "orgsite"
    monkeypatch.setenv("SOME_NAME", "  ")
    assert env_line("SOME_NAME", "orgsite", max_length=60) == "orgsite"
    monkeypatch.setenv("SOME_NAME", " Société Générale Careers ")
    assert env_line("SOME_NAME", "orgsite", max_length=60) == "Société Générale Careers"


def test_a_name_of_the_longest_length_is_taken_spaces_around_it_not_counted(monkeypatch):
    monkeypatch.setenv("SOME_NAME", f"  {'A' * 60}  ")
    assert env_line("SOME_NAME", "orgsite", max_length=60) == "A" * 60


def refusal(**environment: str) -> str:
    """The message with which the settings refuse `environment`: raised as they load, it stops
    any process that loads them (run_settings shows a real one stop)."""
    with pytest.raises(ImproperlyConfigured) as refused:
        settings_under(**environment)
    return str(refused.value)


def assert_check_stops_with(refused: str, **environment: str) -> None:
    """`manage.py check` with `environment` stops with status 4 and the one line `refused`."""
    process = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "orgsite.settings", **environment},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert process.returncode == 4 and process.stderr == f"{refused}\n"


def run_settings(
    show: str = "settings.DATABASES['default']['ENGINE']", **environment: str
) -> subprocess.CompletedProcess:
    """Start Django in a new process with `environment` and print the expression `show`."""
    code = "import django, logging; django.setup(); from django.conf import settings; "
    code += f"print({show})"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "orgsite.settings", **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("made", ["var", "var/static"])
def test_a_var_dir_the_process_cannot_make_stops_it_naming_the_setting_and_the_account(
    tmp_path, monkeypatch, made
):
    """Run as an account that may not write the checkout, every command without ORGSITE_VAR_DIR
    (or with one whose static/ another account made) died of a PermissionError traceback from
    deep in the settings, naming neither the setting nor the account. The tests run as root,
    who may make anything: mkdir answers as for another."""
    var_dir = tmp_path / "var"
    refused = var_dir if made == "var" else var_dir / "static"
    real_mkdir = os.mkdir

    def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path) == refused:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)

    message = refusal(ORGSITE_VAR_DIR=str(var_dir))

    assert message == VAR_DIR_REFUSED.format(
        failed=f"make the directory {refused}: Permission denied",
        account=running_account(),
        instead="",
    )
    (tmp_path / "file").write_text("")  # a process of its own stops so too
    started = run_settings(ORGSITE_VAR_DIR=str(tmp_path / "file" / "var"))
    assert started.returncode != 0
    assert f"ImproperlyConfigured: ORGSITE_VAR_DIR: {tmp_path / 'file'} is a file" in started.stderr


VAR_DIR_REFUSED = (
    "ORGSITE_VAR_DIR: this process cannot {failed}. The account running it ({account}) must be "
    "able to write ORGSITE_VAR_DIR: make the directory that account's (README, Processes in "
    "production){instead}."
)
# The directories of ORGSITE_VAR_DIR that the settings check this account may write in, each
# with the other way out its refusal gives.
WRITTEN_DIRECTORIES = {
    "file-cache": ", or set CACHE_URL=redis://HOST:6379/1, the cache of production",
    "celery-queue": ", or set CELERY_BROKER_URL=redis://HOST:6379/0, the broker of production",
    "celery-queue/control": (
        ", or set CELERY_BROKER_URL=redis://HOST:6379/0, the broker of production"
    ),
}
# Both made: with CACHE_URL and CELERY_BROKER_URL blank, as unset.
LOCAL_CACHE_AND_QUEUE = {"CACHE_URL": "", "CELERY_BROKER_URL": ""}


@pytest.mark.parametrize(
    "arguments", [["manage.py", "check"], ["-m", "celery", "-A", "orgsite", "beat"]]
)
def test_a_file_cache_the_process_cannot_make_stops_it_saying_where_and_what_to_do(
    tmp_path, arguments
):
    """With CACHE_URL unset, `check` and beat run by an account that may not write
    ORGSITE_VAR_DIR died of Django's PermissionError traceback from making file-cache/ there
    (its backend makes it as it is first used). A file in the way fails there too, and stops
    them so, the tests running as root (who may make any directory)."""
    (tmp_path / "static").mkdir()
    (tmp_path / "file-cache").write_text("")
    environment = {"ORGSITE_VAR_DIR": str(tmp_path), **LOCAL_CACHE_AND_QUEUE}
    message = (
        f"ORGSITE_VAR_DIR: {tmp_path / 'file-cache'} is a file, not a directory: move it away, "
        f"or set ORGSITE_VAR_DIR to another one{WRITTEN_DIRECTORIES['file-cache']}."
    )

    assert refusal(**environment) == message
    process = subprocess.run(
        [sys.executable, *arguments],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "orgsite.settings", **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 4  # as on any refused setting: gunicorn stops on it
    assert process.stdout + process.stderr == f"{message}\n"


@pytest.mark.parametrize("name", WRITTEN_DIRECTORIES)
def test_a_directory_another_account_made_stops_the_process_saying_so(tmp_path, monkeypatch, name):
    """One made by a command run as root: each page's and each failed sign-in's write to the
    file cache failed, logged, the count of failed sign-ins with them; the queue was not
    checked at all, and every sync queued in it failed. The tests run as root, who may write
    anything: os.access answers as for another."""
    made = tmp_path / name
    made.mkdir(mode=0o700, parents=True)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: path != made and real_access(path, mode))

    message = refusal(ORGSITE_VAR_DIR=str(tmp_path), **LOCAL_CACHE_AND_QUEUE)

    assert message == VAR_DIR_REFUSED.format(
        failed=f"write in the directory {made}",
        account=running_account(),
        instead=WRITTEN_DIRECTORIES[name],
    )


# What may stand where a directory goes, by what the refusal says of it and what to do.
NOT_A_DIRECTORY = {
    "a link to nothing": (
        "is a symbolic link to {target}, which does not exist: make that directory, one the "
        "account running this process ({account}) may write, or remove the link"
    ),
    "a link to a file": (
        "is a symbolic link to {target}, which is a file, not a directory: link it to a "
        "directory the account running this process ({account}) may write, or remove the link"
    ),
    "a file": "is a file, not a directory: move it away, or set ORGSITE_VAR_DIR to another one",
}


@pytest.mark.parametrize("name", ["..", "", *WRITTEN_DIRECTORIES])
@pytest.mark.parametrize("kind", NOT_A_DIRECTORY)
def test_what_is_in_a_directorys_place_stops_the_process_saying_what_it_is(tmp_path, kind, name):
    """A symbolic link where the directory goes, to one not there (a volume not mounted), or to
    a file, or a file: the process stopped on "cannot make the directory …: File exists" (or
    "Not a directory"), and the account's rights it then asked for were not what was wrong.
    ORGSITE_VAR_DIR itself may be in the way, or a directory above it ("..")."""
    srv = tmp_path / "srv"
    srv.mkdir()
    var_dir = srv / "in-the-way" / "var" if name == ".." else srv / "var"
    if name not in ("..", ""):
        (var_dir / name).parent.mkdir(parents=True)
    in_the_way = {"..": var_dir.parent, "": var_dir}.get(name, var_dir / name)
    target = Path("..") / "elsewhere"  # read from the link's directory, within tmp_path
    if kind == "a file":
        in_the_way.write_text("")
    else:
        in_the_way.symlink_to(target)
        if kind == "a link to a file":
            (in_the_way.parent / target).write_text("")

    message = refusal(ORGSITE_VAR_DIR=str(var_dir), **LOCAL_CACHE_AND_QUEUE)

    what = NOT_A_DIRECTORY[kind].format(
        target=in_the_way.parent / target, account=running_account()
    )
    instead = WRITTEN_DIRECTORIES.get(name, "")
    assert message == f"ORGSITE_VAR_DIR: {in_the_way} {what}{instead}."


class _Stopped(Exception):
    """A process stopped where a test says."""


def test_the_local_secret_key_file_is_its_owners_alone_from_the_moment_it_is_made(
    tmp_path, monkeypatch
):
    """The local key's file was written, then made 0600: until then it was any account's to
    read (0644 under a umask of 0022), and a process stopped between the two (here, at the
    chmod) left it so. The key is kept: the next start reads it back."""
    chmod = Path.chmod

    def stopped_at_the_key(path: Path, *args: Any, **kwargs: Any) -> None:
        if path.name == "local_secret_key":
            raise _Stopped
        chmod(path, *args, **kwargs)

    monkeypatch.setattr(Path, "chmod", stopped_at_the_key)
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}
    umask = os.umask(0o022)
    try:
        key = settings_under(**environ, **LOCAL_CACHE_AND_QUEUE)["SECRET_KEY"]
    except _Stopped:
        key = None
    finally:
        os.umask(umask)

    assert (tmp_path / "local_secret_key").stat().st_mode & 0o777 == 0o600
    assert key and settings_under(**environ, **LOCAL_CACHE_AND_QUEUE)["SECRET_KEY"] == key


def test_processes_making_the_local_secret_key_at_once_all_read_one_whole_key(
    tmp_path, monkeypatch
):
    """`make run` starts three processes at once on a new checkout: one that found the file
    made by another, not yet written, read an empty key. Another process links its key in
    place between this one's writing and linking (here): that key is read, none left over."""
    link = os.link

    def another_process_first(source: str, target: Path) -> None:
        Path(target).write_text("the other process's key")
        link(source, target)

    monkeypatch.setattr(os, "link", another_process_first)
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}

    assert settings_under(**environ, **LOCAL_CACHE_AND_QUEUE)["SECRET_KEY"] == (
        "the other process's key"
    )
    assert not list(tmp_path.glob(".local_secret_key*"))


def test_the_local_secret_key_is_kept_where_the_filesystem_has_no_hard_links(tmp_path, monkeypatch):
    """Linking the key's file in place failed on a filesystem without hard links (FAT, some
    shared folders of a VM: EPERM), and every process stopped on it as it loaded the settings.
    The file is moved in place instead, its owner's alone, and read back by the next load."""

    def no_hard_links(source: str, target: Path) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted", source)

    monkeypatch.setattr(os, "link", no_hard_links)
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}

    key = settings_under(**environ, **LOCAL_CACHE_AND_QUEUE)["SECRET_KEY"]

    assert key and settings_under(**environ, **LOCAL_CACHE_AND_QUEUE)["SECRET_KEY"] == key
    assert (tmp_path / "local_secret_key").stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob(".local_secret_key*"))


@pytest.mark.parametrize("left", ["", " \n"], ids=["empty", "blank"])
def test_a_blank_local_secret_key_file_is_given_a_key(tmp_path, left):
    """A key file left blank (an older version's write, its disk full) was read as the key:
    SECRET_KEY "", which Django refused at its first use ("must not be empty"), the file
    named nowhere. It is given a key, its owner's alone, which the next load reads."""
    (tmp_path / "local_secret_key").write_text(left)
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}

    key = settings_under(**environ, **LOCAL_CACHE_AND_QUEUE)["SECRET_KEY"]

    assert key and settings_under(**environ, **LOCAL_CACHE_AND_QUEUE)["SECRET_KEY"] == key
    assert (tmp_path / "local_secret_key").stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob(".local_secret_key*"))


def test_a_local_secret_key_another_account_made_stops_the_process_saying_so(tmp_path, monkeypatch):
    """Debugging without DJANGO_SECRET_KEY where another account ran the site first (under
    sudo), its key, 0600, stopped each process with read_text's PermissionError traceback,
    which named neither the setting nor the account. The tests run as root, who may read
    anything: reading the key is refused as it is to another account."""
    (tmp_path / "local_secret_key").write_text("another account's key")
    real_open = os.open

    def refused_for_the_key(path: str | Path, *args: Any, **kwargs: Any) -> int:
        if Path(path).name == "local_secret_key":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused_for_the_key)
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}

    message = refusal(**environ, **LOCAL_CACHE_AND_QUEUE)

    assert message == (
        f"ORGSITE_VAR_DIR: this process cannot read {tmp_path / 'local_secret_key'}. The account"
        f" running it ({running_account()}) must be able to read it: make it that account's, or"
        " set DJANGO_SECRET_KEY (without it, debugging keeps a key there)."
    )


def test_a_directory_in_the_place_of_the_local_secret_key_stops_the_process_saying_so(tmp_path):
    """Debugging without DJANGO_SECRET_KEY, a directory named local_secret_key in it stopped
    each process with read_text's IsADirectoryError traceback, which named neither the setting
    nor a fix. What it holds is left as it is."""
    (tmp_path / "local_secret_key").mkdir()
    (tmp_path / "local_secret_key" / "notes").write_text("someone's notes")
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}

    message = refusal(**environ, **LOCAL_CACHE_AND_QUEUE)

    assert message == (
        f"ORGSITE_VAR_DIR: {tmp_path / 'local_secret_key'} is a directory, not a file: move it"
        " away, or set DJANGO_SECRET_KEY (without it, debugging keeps a key there)."
    )
    assert (tmp_path / "local_secret_key" / "notes").read_text() == "someone's notes"


@pytest.mark.parametrize("kind", ["a named pipe", "a socket", "a character device"])
def test_what_is_no_file_in_the_local_secret_keys_place_stops_the_process_saying_so(
    tmp_path, monkeypatch, kind
):
    """A named pipe there held each process at its read forever, waiting for a writer; a socket
    stopped it with "No such device or address"; a link to /dev/null was read as a blank key
    and replaced by a file. Each is left as it is. Run as a process of its own, which the
    test's timeout stops should it wait for the pipe."""
    path = tmp_path / "local_secret_key"
    listening = socket.socket(socket.AF_UNIX)
    if kind == "a named pipe":
        os.mkfifo(path)
    elif kind == "a socket":
        monkeypatch.chdir(tmp_path)  # a socket's address is short: tmp_path may be too long
        listening.bind(path.name)
    else:
        path.symlink_to(os.devnull)
    made = path.stat()
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")},
        "ORGSITE_VAR_DIR": str(tmp_path),
        **LOCAL_CACHE_AND_QUEUE,
    }

    with listening:
        process = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert process.returncode == 4  # as on a refused setting
    assert process.stdout + process.stderr == (
        f"ORGSITE_VAR_DIR: {path} is {kind}, not a file: move it away, or set DJANGO_SECRET_KEY"
        " (without it, debugging keeps a key there).\n"
    )
    assert (path.stat().st_ino, path.stat().st_mode) == (made.st_ino, made.st_mode)
    assert not list(tmp_path.glob(".local_secret_key*"))


NOT_A_KEY = {
    "not text": (b"\xff\xfe\x00not a key", "its bytes not being UTF-8 text"),
    "a byte more than a key": (b"k" * 4097, "being longer than 4096 bytes"),
    "a MiB": (b"k" * 2**20, "being longer than 4096 bytes"),
}


@pytest.mark.parametrize(("content", "why"), NOT_A_KEY.values(), ids=NOT_A_KEY)
def test_a_local_secret_key_file_that_is_not_a_key_stops_the_process_saying_so(
    tmp_path, content, why
):
    """Its bytes not UTF-8 (another file moved there), it stopped each process with read_text's
    UnicodeDecodeError traceback, which named neither the setting nor the file. A large file (a
    link to a log, a disk image) was read whole into memory, then used as the key: past 4,096
    bytes (the key made there is 67 characters) it is read no further. Neither is replaced by
    a key, as a blank one is: it may be someone's."""
    (tmp_path / "local_secret_key").write_bytes(content)
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}

    message = refusal(**environ, **LOCAL_CACHE_AND_QUEUE)

    assert message == (
        f"ORGSITE_VAR_DIR: {tmp_path / 'local_secret_key'} is not a key, {why}: move it away, and"
        " a key is made there, or set DJANGO_SECRET_KEY (without it, debugging keeps a key there)."
    )
    assert (tmp_path / "local_secret_key").read_bytes() == content


def test_a_local_secret_key_file_is_read_no_further_than_a_byte_past_a_key(tmp_path, monkeypatch):
    """A link to a large file (a log, a disk image) was read whole into memory before it was
    found no key: the file a MiB, what is asked of its reads is spied."""
    asked = []
    builtin_open = builtins.open

    def spied(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened = builtin_open(file, *args, **kwargs)
        if isinstance(file, int):  # the key file, opened by its descriptor
            read = opened.read

            def read_spied(size: int = -1) -> Any:
                asked.append(size)
                return read(size)

            opened.read = read_spied
        return opened

    monkeypatch.setattr(builtins, "open", spied)
    (tmp_path / "local_secret_key").write_bytes(b"k" * 2**20)
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}

    assert "being longer than 4096 bytes" in refusal(**environ, **LOCAL_CACHE_AND_QUEUE)
    assert asked == [4097]  # it was read() whole


def test_a_local_secret_key_as_long_as_a_key_may_be_is_read(tmp_path):
    (tmp_path / "local_secret_key").write_bytes(b"k" * 4095 + b"\n")  # 4,096 bytes
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}

    assert settings_under(**environ, **LOCAL_CACHE_AND_QUEUE)["SECRET_KEY"] == "k" * 4095


def test_the_local_secret_key_file_is_opened_as_no_controlling_terminal(tmp_path, monkeypatch):
    """Opened without O_NOCTTY, a terminal in its place (a link to one) became the controlling
    terminal of a process that had none, a session leader (a daemon's), before the process
    found it no file: its hangup then sent to that process."""
    opened = []
    os_open = os.open

    def spied(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).name == "local_secret_key":
            opened.append(flags)
        return os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spied)
    (tmp_path / "local_secret_key").write_text("a key")
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}

    assert settings_under(**environ, **LOCAL_CACHE_AND_QUEUE)["SECRET_KEY"] == "a key"
    assert opened and all(flags & os.O_NOCTTY for flags in opened)


def test_a_local_secret_key_is_read_as_utf8_whatever_the_locale(tmp_path):
    """The keys the site writes are ASCII, but one written by hand may not be. Read in the
    locale's encoding, it stopped the process under an ASCII locale (LC_ALL=C, Python's coercion
    of it off), saying its bytes were not UTF-8 text; under Latin-1, bytes that are not passed
    as a key."""
    key = "clé-écrite-à-la-main-" * 3
    (tmp_path / "local_secret_key").write_text(key, encoding="utf-8")
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")},
        "ORGSITE_VAR_DIR": str(tmp_path),
        **LOCAL_CACHE_AND_QUEUE,
        "LC_ALL": "C",
        "PYTHONCOERCECLOCALE": "0",
        "PYTHONUTF8": "0",
    }

    process = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "import codecs, locale; encoding = codecs.lookup(locale.getencoding()).name; "
            "print(encoding, ascii(settings.SECRET_KEY))",
        ],
        env={**environment, "DJANGO_SETTINGS_MODULE": "orgsite.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (process.stderr, process.stdout) == ("", f"ascii {ascii(key)}\n")


def test_a_local_secret_key_linked_to_nothing_stops_the_process_saying_so(tmp_path):
    """A symbolic link to a file not there (a volume not mounted) was read as no key: the key
    made was not linked in its place, and reading the link back stopped each process with a
    FileNotFoundError traceback. So did a link to itself, with an OSError."""
    (tmp_path / "local_secret_key").symlink_to(Path("elsewhere") / "key")  # relative to it
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}

    to_nothing = refusal(**environ, **LOCAL_CACHE_AND_QUEUE)
    (tmp_path / "local_secret_key").unlink()
    (tmp_path / "local_secret_key").symlink_to(tmp_path / "local_secret_key")
    to_itself = refusal(**environ, **LOCAL_CACHE_AND_QUEUE)

    instead = ", or set DJANGO_SECRET_KEY (without it, debugging keeps a key there)."
    assert to_nothing == (
        f"ORGSITE_VAR_DIR: {tmp_path / 'local_secret_key'} is a symbolic link to "
        f"{tmp_path / 'elsewhere' / 'key'}, which does not exist: remove the link, and a key is"
        f" made there{instead}"
    )
    assert to_itself == (
        f"ORGSITE_VAR_DIR: this process cannot read {tmp_path / 'local_secret_key'} (Too many"
        f" levels of symbolic links): move it away, and a key is made there{instead}"
    )
    assert not list(tmp_path.glob(".local_secret_key*"))


def test_a_var_dir_the_process_may_not_write_stops_it_saying_so_where_a_key_is_to_be_made(
    tmp_path, monkeypatch
):
    """Debugging without DJANGO_SECRET_KEY, the settings make local_secret_key in it: there
    they failed with mkstemp's PermissionError traceback, before the queue's and the file
    cache's refusals that name the directory, the account and the fix. A key there already is
    read. The tests run as root, who may write anything: os.access answers as for another."""
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: path != tmp_path and real_access(path, mode)
    )
    environ = {"ORGSITE_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": None}

    message = refusal(**environ, **LOCAL_CACHE_AND_QUEUE)
    made = list(tmp_path.glob("*local_secret_key*"))
    (tmp_path / "local_secret_key").write_text("an operator's key")
    key = settings_under(**environ, **LOCAL_CACHE_AND_QUEUE)["SECRET_KEY"]

    assert message == VAR_DIR_REFUSED.format(
        failed=f"write in the directory {tmp_path}",
        account=running_account(),
        instead=", or set DJANGO_SECRET_KEY (without it, debugging keeps a key there)",
    )
    assert made == [] and key == "an operator's key"


def test_the_file_cache_is_made_for_the_account_alone_and_not_with_a_redis_cache(tmp_path):
    """Its files are unpickled as they are read: as Django's backend makes it (0700)."""
    settings_under(ORGSITE_VAR_DIR=str(tmp_path / "redis"), CACHE_URL="redis://127.0.0.1:1/1")
    caches = settings_under(ORGSITE_VAR_DIR=str(tmp_path / "files"), CACHE_URL="")["CACHES"]

    assert caches["default"]["LOCATION"] == str(tmp_path / "files" / "file-cache")
    assert (tmp_path / "files" / "file-cache").stat().st_mode & 0o777 == 0o700
    assert not (tmp_path / "redis" / "file-cache").exists()


def test_each_directory_the_site_makes_is_its_owners_to_write_whatever_the_umask(tmp_path):
    """A umask of 0277 made each 0500, which its own account could not write in: the process
    stopped on the directory it had just made (the tests run as root, who may write anything,
    so the rights are read). One there already, an operator's, is left as it was."""
    var_dir = tmp_path / "srv" / "var"  # its parent made too
    made = ["srv", "srv/var", "srv/var/static", "srv/var/file-cache"]
    made += ["srv/var/celery-queue", "srv/var/celery-queue/control"]

    def settings_under_umask_0277() -> None:
        umask = os.umask(0o277)
        try:
            settings_under(ORGSITE_VAR_DIR=str(var_dir), **LOCAL_CACHE_AND_QUEUE)
        finally:
            os.umask(umask)

    settings_under_umask_0277()
    rights = {name: (tmp_path / name).stat().st_mode & 0o777 for name in made}
    assert rights == dict.fromkeys(made, 0o700)
    (var_dir / "celery-queue").chmod(0o550)
    (var_dir / "file-cache").chmod(0o500)
    settings_under_umask_0277()
    assert (var_dir / "celery-queue").stat().st_mode & 0o777 == 0o550
    assert (var_dir / "file-cache").stat().st_mode & 0o777 == 0o500


@pytest.mark.parametrize(("umask", "kept"), [(0o277, 0o077), (0o027, 0o027), (0o777, 0o077)])
def test_each_file_the_site_makes_is_its_owners_to_write_whatever_the_umask(tmp_path, umask, kept):
    """Under a umask of 0277, SQLite made db.sqlite3, and its -wal, 0400: each process after the
    one that made it (the web's and the worker's after migrate's) failed every write (the tests
    run as root, who may write anything, so the rights are read). The umask's other bits are
    the operator's, and kept."""
    before = os.umask(umask)
    try:
        settings_under(ORGSITE_VAR_DIR=str(tmp_path), DATABASE_URL=None, **LOCAL_CACHE_AND_QUEUE)
        with closing(sqlite3.connect(tmp_path / "db.sqlite3")) as database:
            database.execute("PRAGMA journal_mode=WAL")
            database.execute("CREATE TABLE jobs (title)")
            made = {name: (tmp_path / name).stat().st_mode & 0o777 for name in DATABASE_FILES}
    finally:
        left = os.umask(before)

    assert left == kept
    assert made == dict.fromkeys(DATABASE_FILES, 0o644 & ~kept)  # SQLite's 0644


DATABASE_FILES = ["db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm"]


@pytest.mark.parametrize("raw", ["3.30", "03:30:00", "24:00", "03:60", "3:30pm", "0330"])
def test_a_time_of_day_is_hours_and_minutes_on_the_24_hour_clock(monkeypatch, raw):
    monkeypatch.setenv("SOME_TIME", raw)
    error = "SOME_TIME must be a time of day as HH:MM on the 24-hour clock, such as 03:30, not"
    with pytest.raises(ImproperlyConfigured, match=re.escape(f"{error} {raw!r}")):
        env_time_of_day("SOME_TIME", "03:30")


def test_the_daily_pruning_runs_at_the_time_of_day_set():
    entries = "prune-sync-runs", "prune-expired-invitations", "prune-expired-sessions"

    schedule = settings_under(DAILY_PRUNE_AT=" 4:05 ")["CELERY_BEAT_SCHEDULE"]

    shown = [repr(schedule[entry]["schedule"]) for entry in entries]
    assert shown == ["<crontab: 5 4 * * * (m/h/dM/MY/d)>"] * len(entries)
    assert "DAILY_PRUNE_AT must be a time of day as HH:MM" in refusal(DAILY_PRUNE_AT="25:00")


def test_the_process_stops_on_a_nonsense_greenhouse_setting():
    assert "GREENHOUSE_READ_TIMEOUT" in refusal(GREENHOUSE_READ_TIMEOUT="0")


@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_database_url_means_the_local_sqlite_file(blank):
    engine = settings_under(DATABASE_URL=blank)["DATABASES"]["default"]["ENGINE"]
    assert engine == "django.db.backends.sqlite3"


LOCAL_DATABASE = "sqlite:////srv/orgsite/var/db.sqlite3"
ACCEPTED = "must be sqlite:///PATH or postgres://USER:PASSWORD@HOST:5432/DBNAME"
SQLITE_FILE = "must name the SQLite file: sqlite:///relative/path/db.sqlite3 or sqlite:////"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        (
            "mysql://orgsite:s3cret@db.example.com/orgsite",
            f"{ACCEPTED} (the site runs on SQLite and PostgreSQL only), not a mysql:// URL",
        ),
        ("postgis://orgsite:s3cret@db.example.com/orgsite", "not a postgis:// URL"),
        ("sqllite:///var/db.sqlite3", "not a sqllite:// URL"),
        ("sqlite//var/db.sqlite3", f"{ACCEPTED}, not a value without a scheme such as postgres://"),
        ("orgsite:s3cret@db.example.com/orgsite", "not a value without a scheme"),
        ("sqlite://db.sqlite3", SQLITE_FILE),  # two slashes: SQLite in memory
        ("sqlite://", SQLITE_FILE),
        ("sqlite:///:memory:", SQLITE_FILE),  # each process its own, the worker's unseen
        ("postgres://orgsite:s3cret@db.example.com:5432", "names no database: postgres://USER"),
        ("postgres://orgsite:s3cret@db.example.com:5432/", "names no database"),
        ("postgres://orgsite:s3cret@db.example.com:pg/orgsite", "port that is not a number"),
        ("postgres://orgsite:s3cret@[::1:5432/orgsite", "host that cannot be read"),
    ],
)
def test_a_database_url_the_site_cannot_run_on_is_refused_naming_what_it_takes(
    monkeypatch, url, error
):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ImproperlyConfigured, match="^DATABASE_URL ") as refused:
        env_database_url("DATABASE_URL", LOCAL_DATABASE)
    assert error in str(refused.value)
    assert "s3cret" not in str(refused.value)  # it goes to the log


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///var/db.sqlite3",
        "sqlite:////srv/orgsite/db.sqlite3",
        "postgres://orgsite:s3cret@db.example.com:5432/orgsite",
        "postgresql://orgsite@db.example.com/orgsite",
        "postgres:///orgsite",  # the local socket
        "postgres://db.example.com?service=orgsite",  # pg_service.conf names the database
        "postgres://orgsite@db.example.com/orgsite?sslrootcert=/etc/ssl/ca@corp.pem",
    ],
)
def test_sqlite_and_postgresql_urls_are_taken_as_given(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", f" {url} ")
    assert env_database_url("DATABASE_URL", LOCAL_DATABASE) == url


@pytest.mark.parametrize(
    ("variable", "url", "error"),
    [
        ("CELERY_BROKER_URL", "redis://:s3cret@redis.example.com:6379/queue", "database 'queue'"),
        ("CACHE_URL", "redis://:s3cret@redis.example.com:6379/cache", "database 'cache'"),
        ("CACHE_URL", "redis://:s3cret@redis.example.com:6379/?db=cache", "database 'cache'"),
        ("CELERY_BROKER_URL", "redis://:s3cret@redis.example.com:6379///2", "database '/2'"),
        ("CACHE_URL", "rediss://:s3cret@redis.example.com:tls/1", "port that is not a number"),
        ("CACHE_URL", "redis://:s3cret@redis.example.com:0/1", "port that is not a number"),
        ("CELERY_BROKER_URL", "redis://:s3cret@[::1:6379/0", "host that cannot be read"),
    ],
)
def test_a_redis_url_whose_port_or_database_is_no_number_stops_the_process(variable, url, error):
    """Else a worker failed with a traceback as it connected, and the web processes ran
    uncached, logging the cache as down at every page."""
    with pytest.raises(ImproperlyConfigured, match=f"^{variable} ") as refused:
        settings_under(**{variable: url})
    assert error in str(refused.value)
    assert "s3cret" not in str(refused.value)  # it goes to the log


@pytest.mark.parametrize("variable", ["CACHE_URL", "CELERY_BROKER_URL"])
@pytest.mark.parametrize(
    "url",
    [
        # A second server, as Django's cache reads several split at "," or ";": the rest of
        # the URL was read as this one's database and shown with only an "@"-ended password
        # masked, one holding a "/", "?" or "#" partly shown.
        "redis://cache-1.example.com:6379/1,redis://:{password}@cache-2.example.com:6379/1",
        "redis://cache-1.example.com:6379/1;redis://user:{password}@cache-2.example.com/1",
        "redis://cache-1.example.com:6379/?db=1,redis://:{password}@cache-2.example.com/1",
        "redis://cache-1.example.com/1,redis://cache-2.example.com/1?db=2&password={password}",
        # A password beginning with digits then "/": urlsplit reads the digits as the port and
        # the rest, up to and past the "@", as the database.
        "redis://:12/{password}@redis.example.com:6379/1",
        "redis://:12/Pw0#{password}@redis.example.com:6379/1",
        "redis://:12/Pw0?{password}@redis.example.com:6379/1",
    ],
)
@pytest.mark.parametrize("password", HOSTILE_PASSWORDS)
def test_a_redis_url_refused_shows_no_part_of_any_password_it_holds(variable, url, password):
    url = url.format(password=password)
    if variable == "CELERY_BROKER_URL" and "?db=" in url:
        url = url.replace("?db=", "")  # refused without naming a database otherwise

    refused = refusal(**{variable: url})

    assert refused.startswith(f"{variable} ")
    assert "Pw" not in refused  # it goes to the log


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        # Taken: both clients connected to port 12 of this machine.
        ("CACHE_URL", "redis://:12#s3cret@redis.example.com:6379/0"),
        ("CELERY_BROKER_URL", "redis://:12#s3cret@redis.example.com:6379/0"),
        # Told it names no database, its port is no number, or its database.
        ("DATABASE_URL", "postgres://orgsite:12#s3cret@db.example.com:5432/orgsite"),
        ("CACHE_URL", "redis://:s3/cret@redis.example.com:6379/0"),
        ("CELERY_BROKER_URL", "redis://:12/s3cret@redis.example.com:6379/0"),
        ("DATABASE_URL", "postgres://orgsite:s3#cret@db.example.com:5432/orgsite"),
        # Taken: both clients connected to port 12, or to 6379, of this machine (the cache's
        # failing at each use on the "s3" it read as an option).
        ("CACHE_URL", "redis://:12?s3cret@redis.example.com:6379/0"),
        ("CELERY_BROKER_URL", "redis://:?s3cret@redis.example.com:6379/0"),
        ("CACHE_URL", "redis://:?s3=cret&s3@cret@redis.example.com:6379/0"),
        # Told its port is no number.
        ("DATABASE_URL", "postgres://orgsite:s3?cret@db.example.com:5432/orgsite"),
        # Taken: read as port 12 of host "u" (or of this machine) and a query of one field,
        # "s3", holding the rest, the blank and the "@" in its value.
        ("CACHE_URL", "redis://u:12?s3=cr et@redis.example.com:6379/0"),
        ("CACHE_URL", "redis://:12?s3=cret@redis.example.com:6379/0"),
        ("CACHE_URL", "redis://u:?s3=cret@redis.example.com:6379/0"),
        ("CACHE_URL", "redis://u:12/0?db=1&s3=cret@redis.example.com:6379/0"),
        ("CELERY_BROKER_URL", "redis://u:12?s3=cret@redis.example.com:6379/0"),
        ("DATABASE_URL", "postgres://orgsite:12/s3?application_name=cret@db.example.com/orgsite"),
    ],
)
def test_a_server_url_whose_password_holds_a_slash_question_mark_or_hash_stops_the_process(
    variable, url
):
    refused = refusal(**{variable: url})

    assert refused.startswith(f"{variable} has an @ after its host: write a password's /, ?")
    assert "s3" not in refused  # it goes to the log


@pytest.mark.parametrize("blank", [" ", "\u00a0", "\u3000"])
@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("CACHE_URL", "redis://:Pw1{}Pw2@redis.example.com:6379/1"),
        ("CACHE_URL", "redis://redis.example.com:6379/1?db=2&pass%77ord=Pw1{}Pw2"),
        ("CELERY_BROKER_URL", "redis://sync:Pw1{}Pw2@redis.example.com:6379/0"),
        ("DATABASE_URL", "postgres://orgsite:Pw1{}Pw2@db.example.com:5432/orgsite"),
        ("DATABASE_URL", "postgres://orgsite@db.example.com:5432/orgsite?sslpassword=Pw1{}Pw2"),
    ],
)
def test_a_server_url_whose_password_holds_a_blank_stops_the_process(variable, url, blank):
    """A blank ends a URL where a log line shows one (repr writes a no-break space as "\\xa0",
    but a client's error, written with %s, as itself): the password before the host was shown
    whole, no word holding both its "://" and its "@", and a query's from the blank on. The
    site's mask now reads on past a no-break space, but a collector's words or a terminal may
    not."""
    url = url.format(blank)
    # The site's mask reads on past a blank beyond ASCII's; other readers of the log may not.
    assert ("Pw" in passwords_masked(f"{variable}={url} not reachable")) == (blank == " ")

    refused = refusal(**{variable: url})

    assert refused.startswith(f"{variable} has a password holding a space or other blank")
    assert "Pw" not in refused  # it goes to the log


@pytest.mark.parametrize(
    "url",
    [
        "redis://redis.example.com:6379/1?db=2&client_name=sync%20one",
        "postgres://orgsite:Pw1%20Pw2@db.example.com:5432/orgsite?options=-c search_path=jobs",
        # An "@" in a query's value, after that blank: the password is before the host still.
        "postgres://orgsite:Pw@db.example.com/orgsite?options=-c search_path=jobs"
        "&application_name=web@1",
        # In a password's value, as the clients read it, after a port; in another's, after a
        # host with no port, where no password was read as one.
        "redis://redis.example.com:6379?password=Pw@1",
        "postgres://db.example.com:5432/orgsite?sslpassword=Pw@1&application_name=web%401",
        "postgres://db.example.com/orgsite?options=-c search_path=jobs&application_name=web@1",
    ],
)
def test_a_server_url_with_a_blank_written_as_percent_20_or_outside_a_password_is_taken(url):
    variable = "CACHE_URL" if url.startswith("redis") else "DATABASE_URL"
    assert settings_under(**{variable: url})  # not refused


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("CACHE_URL", "redis://:Pw1,Pw2@redis.example.com:6379/1"),
        ("CACHE_URL", "redis://:Pw1;Pw2@redis.example.com:6379/1"),
        ("CACHE_URL", "redis://redis.example.com:6379/1?password=Pw1,Pw2"),
        ("CELERY_BROKER_URL", "redis://:Pw1;Pw2@redis.example.com:6379/0"),
    ],
)
def test_a_redis_url_its_client_splits_into_several_servers_stops_the_process(variable, url):
    """Django's cache reads the URLs of several servers split at "," or ";", Celery at ";": the
    first server's URL ended in the password's start, which each use of it logged."""
    if variable == "CACHE_URL":
        assert RedisCache(url, {})._servers[0].endswith("Pw1")
    else:
        with pytest.raises(ValueError, match="'Pw1'"):
            kombu.Connection(url)

    refused = refusal(**{variable: url})

    assert refused.startswith(f"{variable} holds a ")
    assert "Pw" not in refused  # it goes to the log


@pytest.mark.parametrize("variable", ["CACHE_URL", "CELERY_BROKER_URL"])
@pytest.mark.parametrize(
    ("url", "said"),
    [
        # Both clients turn a %XX back as UTF-8, Latin-1's "%E9" into "�": the password was
        # wrong, Redis saying only "invalid username-password pair".
        ("redis://:s3cr%E9t@redis.example.com:6379/1", "a %XX that is not UTF-8"),
        ("redis://s%E9bastien:s3cret@redis.example.com:6379/1", "a %XX that is not UTF-8"),
        # An environment file saved in Latin-1: Python's lone surrogate for the byte could not
        # be encoded, the cache failed at each use, and /healthz logged the broker's error,
        # the whole password in it.
        ("redis://:s3cr\udce9t@redis.example.com:6379/1", "bytes that are not UTF-8"),
    ],
)
def test_a_redis_password_its_clients_cannot_send_as_written_stops_the_process(variable, url, said):
    refused = refusal(**{variable: url})

    assert refused.startswith(f"{variable} has a user name or password with {said}")
    assert refused.endswith("redis://USER:PASSWORD@HOST:6379/0")
    assert "s3cr" not in refused  # it goes to the log


@pytest.mark.parametrize(
    "query", ["?password=s3cr%E9t", "?username=s3cr%E9t&password=pw", "?pass%77ord=s3cr%E9t"]
)
def test_a_cache_password_in_its_query_its_client_cannot_send_stops_the_process(query):
    """redis-py reads a user name and password from the cache's query too."""
    refused = refusal(CACHE_URL=f"redis://redis.example.com:6379/1{query}")
    assert refused.startswith("CACHE_URL has a user name or password with a %XX that is not")
    assert "s3cr" not in refused


@pytest.mark.parametrize(
    ("query", "read"),
    [
        ("?PASSWORD=s3cret", "password"),
        ("?Password=s3cret", "password"),
        ("?pass%57ord=s3cret", "password"),  # "passWord", as the client decodes it
        ("?USERNAME=sync&password=s3cret", "username"),
        ("?DB=2&password=s3cret", "db"),
        ("?SOCKET_TIMEOUT=5&password=s3cret", "socket_timeout"),
    ],
)
def test_a_cache_query_name_its_client_reads_in_lowercase_alone_stops_the_process(query, read):
    """redis-py reads the cache's ?password=, ?username= and ?db= as written, and hands such a
    name in another case to the connection, which failed at each use (a TypeError, the cache
    taken for down): the settings took it, where CELERY_BROKER_URL's is refused. It stops the
    process with one line, as a broker's does."""
    url = f"redis://redis.example.com:6379/1{query}"
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        redis.ConnectionPool.from_url(url).make_connection()  # never connected to

    refused = refusal(CACHE_URL=url)

    assert refused.startswith("CACHE_URL has a ?") and "s3cret" not in refused
    assert f"(redis-py) fails on at each use: it reads ?{read}= in lowercase alone" in refused
    if read == "password":
        assert_check_stops_with(refused, CACHE_URL=url)


@pytest.mark.parametrize(
    ("query", "field", "read"),
    [
        ("?PASSWORD=s3cret", "PASSWORD", "password"),
        ("?Password=s3cret", "Password", "password"),
        ("?pass%57ord=s3cret", "passWord", "password"),  # as dj_database_url decodes it
        ("?USER=orgsite&password=s3cret", "USER", "user"),
        ("?SSLMODE=require&password=s3cret", "SSLMODE", "sslmode"),
        ("?DBNAME=orgsite&password=s3cret", "DBNAME", "dbname"),
    ],
)
def test_a_database_query_name_in_another_case_than_libpqs_stops_the_process(query, field, read):
    """dj_database_url hands psycopg a PostgreSQL URL's query as options, and libpq reads its
    keywords in lowercase alone: the settings took "?PASSWORD=", and each connect failed
    ('invalid connection option "PASSWORD"'), /healthz and each page that read the database
    with it. It stops the process with one line, as a cache's does, naming the field alone."""
    url = f"postgres://db.example.com:5432/orgsite{query}"
    options = dj_database_url.parse(url)["OPTIONS"]
    with pytest.raises(psycopg.ProgrammingError, match=f'invalid connection option "{field}"'):
        psycopg.conninfo.make_conninfo("", **options)  # as psycopg.connect does, before it connects

    refused = refusal(DATABASE_URL=url)

    instead = {
        "user": ", or put the user name and password before the host",
        "password": ", or put the user name and password before the host",
        "dbname": ", or put it in the path",
    }
    assert refused == (
        f"DATABASE_URL has a ?{field}=, which the database's client (psycopg) fails on as it "
        f"connects: it reads ?{read}= in lowercase alone. Write it so{instead.get(read, '')}"
        + (": postgres://USER:PASSWORD@HOST:5432/DBNAME" if read in instead else "")
    )  # naming neither "s3cret" nor "require"
    if field == "PASSWORD":
        assert_check_stops_with(refused, DATABASE_URL=url)


def test_a_database_query_name_libpq_reads_written_in_lowercase_is_taken():
    url = "postgres://db.example.com:5432/orgsite?password=s3cret&sslmode=require"

    options = settings_under(DATABASE_URL=url)["DATABASES"]["default"]["OPTIONS"]

    assert options["password"] == "s3cret" and options["sslmode"] == "require"


# The names of a cache URL's query that the site takes, each with a value that works.
CACHE_QUERY_TAKEN = {
    "socket_timeout": "2",
    "socket_connect_timeout": "2",
    "socket_keepalive": "true",
    "retry_on_timeout": "true",
    "health_check_interval": "10",
    "max_connections": "20",
    "client_name": "orgsite-web",
    "lib_name": "orgsite",
    "lib_version": "1",
    "encoding": "utf-8",
    "encoding_errors": "strict",
    "protocol": "3",
}
CACHE_TLS_QUERY_TAKEN = {
    "ssl_cert_reqs": "required",
    "ssl_check_hostname": "true",
    "ssl_ca_certs": "/etc/ssl/certs/ca-certificates.crt",
    "ssl_ca_path": "/etc/ssl/certs",
    "ssl_ca_data": "PEM",
    "ssl_certfile": "/etc/ssl/client.pem",
    "ssl_keyfile": "/etc/ssl/client.key",
    "ssl_password": "s3cret",
    "ssl_ciphers": "HIGH",
}


@pytest.mark.parametrize(
    ("query", "field", "meant"),
    [
        ("?foo=1", "foo", ""),
        ("?socket_timout=5", "socket_timout", " (?socket_timeout= was meant?)"),
        ("?db=2&timeout=5", "timeout", ""),  # redis-py's other pool's, not the cache's
        ("?ssl_cert_reqs=required", "ssl_cert_reqs", ""),  # of rediss:// alone
    ],
)
def test_a_cache_query_name_its_client_does_not_take_stops_the_process(query, field, meant):
    """redis-py hands the connection each name of the query it does not read itself, and the
    connection failed on one it does not know at each use (a TypeError, the cache taken for
    down): the settings took it. It stops the process with one line, as a broker's does."""
    url = f"redis://:s3cret@redis.example.com:6379/1{query}"
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{field}'"):
        redis.ConnectionPool.from_url(url).make_connection()  # never connected to

    refused = refusal(CACHE_URL=url)

    assert refused.startswith(
        f"CACHE_URL has a ?{field}={meant}, which the cache's client (redis-py) fails on at "
        "each use: of a query it reads only ?db=, ?username=, ?password=, ?host= and ?port= "
        "(where the URL names none), its connection options (?socket_timeout=, "
    )
    assert refused.endswith(
        "and, with rediss://, TLS options redis-py takes as text (such as "
        "?ssl_cert_reqs=required or ?ssl_ca_certs=), leave the rest out: redis://HOST:6379/1"
    )
    assert "s3cret" not in refused
    if field == "foo":
        assert_check_stops_with(refused, CACHE_URL=url)


@pytest.mark.parametrize(
    ("query", "field"), [("?retry=3", "retry"), ("?decode_responses=false", "decode_responses")]
)
def test_a_cache_query_name_its_client_cannot_take_as_text_stops_the_process(query, field):
    """redis-py hands these to the connection as the text they are: ?retry= failed at each use
    (AttributeError), and ?decode_responses=false, read as true, at each read."""
    require_service("127.0.0.1", 6379, "Redis")
    cache = RedisCache(f"{TEST_REDIS_URL}{query}", {})
    try:
        with pytest.raises((AttributeError, UnicodeDecodeError)):
            cache.set("orgsite-test-query", {"taken": False})
            cache.get("orgsite-test-query")
    finally:
        RedisCache(TEST_REDIS_URL, {}).delete("orgsite-test-query")

    refused = refusal(CACHE_URL=f"redis://redis.example.com:6379/1{query}")
    assert refused.startswith(f"CACHE_URL has a ?{field}=, which the cache's client (redis-py)")


def test_a_cache_url_with_each_query_name_its_client_takes_is_taken():
    """The names the cache's client takes, TLS ones in a rediss:// URL, with values that work:
    the connection is made of them (never connected to), and a real Redis answers through them."""
    query = "&".join(f"{name}={value}" for name, value in CACHE_QUERY_TAKEN.items())
    tls_query = "&".join(f"{name}={value}" for name, value in CACHE_TLS_QUERY_TAKEN.items())
    for url in [
        f"redis://redis.example.com:6379/1?db=2&username=orgsite&password=s3cret&{query}",
        f"rediss://redis.example.com:6379/1?{query}&{tls_query}",
    ]:
        assert settings_under(CACHE_URL=url)["CACHES"]["default"]["LOCATION"] == url
        redis.ConnectionPool.from_url(url).make_connection()
    require_service("127.0.0.1", 6379, "Redis")
    cache = RedisCache(f"{TEST_REDIS_URL}?{query}", {})
    cache.set("orgsite-test-query", {"taken": True})
    assert cache.get("orgsite-test-query") == {"taken": True}
    cache.delete("orgsite-test-query")


def test_a_cache_url_with_its_host_or_port_in_its_query_is_taken():
    """redis-py reads a ?host= and a ?port= where the URL names none before its path:
    "redis://HOST/1?port=6380" connected to port 6380, and must still start."""
    require_service("127.0.0.1", 6379, "Redis")
    server = urlsplit(TEST_REDIS_URL)
    for url in [
        f"redis://{server.hostname}{server.path}?port={server.port}",
        f"redis://{server.path}?host={server.hostname}&port={server.port}",
    ]:
        assert settings_under(CACHE_URL=url)["CACHES"]["default"]["LOCATION"] == url
        cache = RedisCache(url, {})
        cache.set("orgsite-test-query", {"taken": True})
        assert cache.get("orgsite-test-query") == {"taken": True}
        cache.delete("orgsite-test-query")


@pytest.mark.parametrize("port", ["x", "0", "65536", "-1", "²"])  # ² is a digit int() refuses
def test_a_cache_url_whose_query_port_is_no_port_number_stops_the_process(port):
    """Where the URL names no port, redis-py reads the query's with int(): a connection failed
    on one that is no port number at each use (ValueError, or OverflowError as it connected)."""
    with pytest.raises((ValueError, OverflowError, redis.ConnectionError)):
        RedisCache(f"redis://127.0.0.1/1?port={port}", {}).get("orgsite-test-query")
    url = f"redis://:s3cret@redis.example.com/1?port={port}"

    refused = refusal(CACHE_URL=url)

    assert refused == (
        "CACHE_URL has a ?port= that is not a number from 1 to 65535, which the cache's client "
        "(redis-py) reads where the URL names no port: put the port after the host, "
        "redis://HOST:6379/1"
    )  # naming neither "s3cret" nor the port
    assert settings_under(CACHE_URL=f"redis://redis.example.com:6379/1?port={port}")  # unread


@pytest.mark.parametrize(
    ("query", "field", "meant"),
    [
        ("?foo=1&password=s3cret", "foo", ""),
        ("?sslmod=require", "sslmod", " (?sslmode= was meant?)"),
        (
            "?application_nmae=web&password=s3cret",
            "application_nmae",
            " (?application_name= was meant?)",
        ),
    ],
)
def test_a_database_query_name_libpq_does_not_know_stops_the_process(query, field, meant):
    """dj_database_url hands psycopg a PostgreSQL URL's query as options: a name libpq does not
    know failed each connect, /healthz and each page that read the database with it ('invalid
    connection option "sslmod"'). It stops the process with one line, naming the field alone."""
    url = f"postgres://db.example.com:5432/orgsite{query}"
    options = dj_database_url.parse(url)["OPTIONS"]
    with pytest.raises(psycopg.ProgrammingError, match=f'invalid connection option "{field}"'):
        psycopg.conninfo.make_conninfo("", **options)  # as psycopg.connect does, before it connects

    refused = refusal(DATABASE_URL=url)

    assert refused == (
        f"DATABASE_URL has a ?{field}={meant}, which the database's client (psycopg) fails on "
        "as it connects: of a query it reads only libpq's connection keywords (such as "
        "?sslmode=, ?connect_timeout= or ?application_name=), Django's options (?assume_role=, "
        "?isolation_level=, ?pool=, ?prepare_threshold=, ?server_side_binding=) and "
        "dj_database_url's ?currentSchema=, leave the rest out: "
        "postgres://USER:PASSWORD@HOST:5432/DBNAME"
    )  # naming neither "s3cret" nor "require"
    if field == "sslmod":
        assert_check_stops_with(refused, DATABASE_URL=url)


# How a refusal names a field that may be a password's rest: "?password=ab&cd=ef" is read as a
# password "ab" and a field "cd", which a refusal named.
FIELD_AFTER_A_PASSWORD = (
    "a field after a password in its query (not shown: it may be the password's own rest, cut "
    "at an & written as itself; write an & in a password as %26)"
)


@pytest.mark.parametrize(
    ("setting", "url"),
    [
        ("DATABASE_URL", "postgres://db.example.com:5432/orgsite?password=s3&cr=et"),
        ("DATABASE_URL", "postgres://db.example.com:5432/orgsite?sslpassword=s3&SSLMODE=et"),
        ("DATABASE_URL", "postgres://db.example.com:5432/orgsite?password=s3&sslmod=et"),
        ("CACHE_URL", "redis://redis.example.com:6379/1?password=s3&cr=et"),
        ("CACHE_URL", "rediss://redis.example.com:6379/1?ssl_password=s3&socket_timout=1"),
        ("CELERY_BROKER_URL", "rediss://redis.example.com:6379/0?ssl_password=s3&cr=et"),
        ("CELERY_BROKER_URL", "rediss://redis.example.com:6379/0?ssl_password=s3&db=1"),
    ],
)
def test_a_query_field_after_a_password_is_not_named(setting, url):
    """A password holding an & as itself ends there, and its rest reads as a field of the
    query, which a refusal named ("cr" of "s3&cr=et"), the name a misspelt one is near or the
    name it reads in lowercase: none of them is shown after a password's field."""
    refused = refusal(**{setting: url})

    assert refused.startswith(f"{setting} has {FIELD_AFTER_A_PASSWORD} that the site refuses: ")
    assert not {"cr", "sslmod", "socket_tim", "db"} & set(re.findall(r"[a-z_]+", refused))


@pytest.mark.parametrize(
    "query",
    ["?password=s3&cr=%2541", "?PASSWORD=s3&cr=%2541", "?cr=1&password=s3&cr=%2541"],
)
def test_a_cache_query_value_decoded_twice_after_a_password_is_not_described(query):
    """Nor is its value said to hold a %XX once decoded, which told the log the password's rest
    (of "?password=s3&cr=%2541") holds one."""
    refused = refusal(CACHE_URL=f"redis://redis.example.com:6379/1{query}")

    assert refused == (
        f"CACHE_URL has {FIELD_AFTER_A_PASSWORD} that the site refuses: redis://HOST:6379/1"
    )


def test_a_broker_query_password_is_named_before_a_field_of_its_rest():
    """Celery fails on ?password= and ?db= alike: the refusal names the password's field, not
    "?db=" of "?password=s3&db=1", the password's rest."""
    refused = refusal(CELERY_BROKER_URL="redis://redis.example.com:6379/0?password=s3&db=1")

    assert refused.startswith("CELERY_BROKER_URL names its Redis password in ?password=")


@pytest.mark.parametrize(
    ("setting", "url"),
    [
        ("DATABASE_URL", "postgres://db.example.com:5432/orgsite?password=&s3cret=1"),
        ("DATABASE_URL", "postgres://db.example.com:5432/orgsite?sslpassword=&s3cret=1"),
        ("CACHE_URL", "redis://redis.example.com:6379/1?password=&s3cret=1"),
        ("CELERY_BROKER_URL", "rediss://redis.example.com:6379/0?ssl_password=&s3cret=1"),
    ],
)
def test_a_query_field_after_a_blank_password_is_not_named(setting, url):
    """A password beginning with an & as itself is blank to the clients, which leave its field
    out: "?password=&s3cret=1" read as a field s3cret, which a refusal named."""
    refused = refusal(**{setting: url})

    assert refused.startswith(f"{setting} has {FIELD_AFTER_A_PASSWORD} that the site refuses: ")
    assert "s3c" not in refused


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("?f%E2%80%AEoo=1", r"'?f\u202eoo='"),  # a right-to-left override
        ("?%E2%80%8Bsslmode=require", r"'?\u200bsslmode='"),  # a zero-width space
        ("?%E3%85%A4=1", r"'?\u3164='"),  # a Hangul filler, which shows nothing
        ("?a%1B%5B2Jb=1", r"'?a\x1b[2Jb='"),  # a terminal's "clear the screen"
        ("?caf%C3%A9=1", r"'?caf\xe9='"),
    ],
)
def test_a_query_name_beyond_visible_ascii_is_shown_escaped(query, shown):
    """A refusal wrote a query's name as the clients decode it: a right-to-left override
    turned the line around on a terminal, a control character drove it, an invisible one
    showed nothing. A name of anything but visible ASCII is shown as ascii() writes it."""
    for setting, url in [
        ("DATABASE_URL", "postgres://db.example.com:5432/orgsite"),
        ("CACHE_URL", "redis://redis.example.com:6379/1"),
        ("CELERY_BROKER_URL", "redis://redis.example.com:6379/0"),
    ]:
        refused = refusal(**{setting: f"{url}{query}"})

        assert refused.startswith(f"{setting} has a {shown}")
        assert refused.isascii()


@pytest.mark.parametrize(
    ("query", "how"),
    [
        (
            "?autocommit=false",
            "Django sets each connection's autocommit itself, on (its AUTOCOMMIT), and off in "
            "each atomic() block",
        ),
        ("?context=x", "Django hands psycopg its own adapters in its place"),
    ],
)
def test_a_database_query_name_django_sets_over_stops_the_process_saying_so(query, how):
    """psycopg takes ?autocommit= and ?context= as its own arguments (libpq never sees them),
    and Django sets both over them as it connects: the refusal said psycopg fails on them as it
    connects, which it does not. It says they have no effect."""
    url = f"postgres://db.example.com:5432/orgsite{query}"
    options = dj_database_url.parse(url)["OPTIONS"]
    assert options.keys() & set(inspect.signature(psycopg.Connection.connect).parameters)

    refused = refusal(DATABASE_URL=url)

    assert refused == (
        f"DATABASE_URL has a {query.partition('=')[0]}=, which has no effect: {how}. Leave it "
        "out: postgres://USER:PASSWORD@HOST:5432/DBNAME"
    )
    after_a_password = refusal(DATABASE_URL=url.replace("?", "?password=s3&"))
    assert after_a_password.startswith(f"DATABASE_URL has {FIELD_AFTER_A_PASSWORD} that ")


def test_a_database_query_name_libpq_django_or_dj_database_url_reads_is_taken():
    """libpq's keywords (as psycopg passes them through), Django's PostgreSQL options (which it
    takes out before psycopg connects) and dj_database_url's ?currentSchema=."""
    taken = {
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ssl/ca.pem",
        "application_name": "orgsite-web",
        "target_session_attrs": "read-write",
        "tcp_user_timeout": "60000",
        "keepalives_idle": "30",
        "options": "-c statement_timeout=5000",
        "assume_role": "orgsite_owner",
        "isolation_level": "3",
        "server_side_binding": "true",
        "prepare_threshold": "5",
        "pool": "false",
        "currentSchema": "jobs",
    }
    url = f"postgres://db.example.com:5432/orgsite?{urlencode(taken)}"

    options = settings_under(DATABASE_URL=url)["DATABASES"]["default"]["OPTIONS"]

    assert options["sslmode"] == "verify-full" and options["assume_role"] == "orgsite_owner"
    assert options["options"] == "-c search_path=jobs"  # dj_database_url's, over ?options=
    libpq = {name: value for name, value in options.items() if name in taken}
    for django_option in (
        "assume_role",
        "isolation_level",
        "server_side_binding",
        "pool",
        "prepare_threshold",
    ):
        libpq.pop(django_option)
    psycopg.conninfo.make_conninfo("", **libpq)  # no "invalid connection option"


def libpq_sslmode(**options: object) -> str:
    """The sslmode libpq reads of the options psycopg would connect with."""
    conninfo = psycopg.conninfo.make_conninfo("", **options).encode()
    read = {option.keyword: option.val for option in psycopg.pq.Conninfo.parse(conninfo)}
    return (read[b"sslmode"] or b"").decode()


def test_a_database_url_with_libpqs_old_requiressl_is_taken():
    """libpq reads ?requiressl=1, its old spelling of ?sslmode=require, though it no longer
    lists it among its keywords: a URL with it connected, and must still start."""
    url = "postgres://db.example.com:5432/orgsite?requiressl=1"

    options = settings_under(DATABASE_URL=url)["DATABASES"]["default"]["OPTIONS"]

    assert libpq_sslmode(requiressl=options["requiressl"]) == "require"
    # 0 asks for no TLS, and libpq reads it so: prefer, as it does without it.
    options = settings_under(DATABASE_URL=url.replace("=1", "=0"))["DATABASES"]["default"]
    assert libpq_sslmode(requiressl=options["OPTIONS"]["requiressl"]) == "prefer"


@pytest.mark.parametrize("value", ["true", "yes", "on"])
def test_a_database_url_whose_requiressl_libpq_reads_as_prefer_stops_the_process(value):
    """libpq reads any ?requiressl= but 1 as sslmode=prefer: "?requiressl=true" connected
    without TLS where the server offered none, and nothing said so."""
    url = f"postgres://:s3cret@db.example.com:5432/orgsite?requiressl={value}"
    options = dj_database_url.parse(url)["OPTIONS"]
    assert libpq_sslmode(requiressl=options["requiressl"]) == "prefer"

    refused = refusal(DATABASE_URL=url)

    assert refused == (
        "DATABASE_URL has a ?requiressl= other than 1 or 0, which libpq reads as "
        "?sslmode=prefer, TLS where the server offers it: write ?sslmode=require (or "
        "?requiressl=1) to require it: postgres://USER:PASSWORD@HOST:5432/DBNAME?sslmode=require"
    )


def test_a_sqlite_database_url_with_a_query_stops_the_process():
    """The settings set SQLite's options over the query's: "?timeout=60" was taken, and left
    unread (SQLite still waited 20 seconds for a lock)."""
    url = f"{LOCAL_DATABASE}?timeout=60"
    assert dj_database_url.parse(url)["OPTIONS"] == {"timeout": 60}

    refused = refusal(DATABASE_URL=url)

    assert refused == (
        "DATABASE_URL has a ?timeout=, which the site leaves unread, setting SQLite's options "
        "itself: it reads no query, leave it out: sqlite:///relative/path/db.sqlite3"
    )


def test_a_postgresql_database_url_without_psycopg_stops_the_process_with_one_line(
    monkeypatch, tmp_path
):
    """Without psycopg, or with no libpq it can load, the settings stopped on a
    ModuleNotFoundError (or ImportError) traceback."""
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    url = "postgres://orgsite:s3cret@db.example.com:5432/orgsite"

    refused = refusal(DATABASE_URL=url)

    assert refused.startswith(
        "DATABASE_URL names a PostgreSQL database, but its client, psycopg, cannot be imported ("
    )
    assert refused.endswith(
        "): install the site's dependencies (make install, or pip install 'psycopg[binary]'), "
        "or set DATABASE_URL to a SQLite file"
    )
    assert "s3cret" not in refused
    # psycopg's own error when it finds no libpq, of several lines: the first alone is shown.
    (tmp_path / "psycopg").mkdir()
    (tmp_path / "psycopg" / "__init__.py").write_text(
        'raise ImportError("no pq wrapper available.\\nAttempts:\\n- libpq library not found")'
    )
    assert_check_stops_with(
        "DATABASE_URL names a PostgreSQL database, but its client, psycopg, cannot be imported "
        "(no pq wrapper available.): install the site's dependencies (make install, or pip "
        "install 'psycopg[binary]'), or set DATABASE_URL to a SQLite file",
        DATABASE_URL=url,
        PYTHONPATH=str(tmp_path),
    )


@pytest.mark.parametrize(
    ("query", "sent"),
    [
        ("?password=s3cr%25E9t", {"password": "s3cr�t"}),
        ("?username=s3cr%2541t&password=pw", {"username": "s3crAt"}),
        ("?client_name=orgsite%252541", {"client_name": "orgsite%41"}),
    ],
)
def test_a_cache_query_value_its_client_decodes_twice_stops_the_process(query, sent):
    """redis-py decodes a query's values a second time: a % written %25 before two hex digits
    was sent as another character, a password so was wrong without a word of why."""
    url = f"redis://redis.example.com:6379/1{query}"
    assert sent.items() <= redis.connection.parse_url(url).items()

    refused = refusal(CACHE_URL=url)

    name = query[1:].partition("=")[0]
    assert refused == (
        f"CACHE_URL has a ?{name}= whose value, decoded, still holds a % and two hex digits (as "
        "%25E9 does), which the cache's client (redis-py) decodes again: %25E9 is sent as �, and "
        "%2541 as A. Put a user name or password before the host, where a % is written %25 and "
        "read once (redis://USER:PASSWORD@HOST:6379/1); no other value can hold a % before two "
        "hex digits"
    )


def test_a_query_value_holding_a_percent_sign_is_taken_where_it_is_decoded_once():
    """A % before no two hex digits (none, or one) is sent as written by the cache's client;
    Celery's decodes a query's values once, a %XX in them included."""
    for password in ["50%off", "2%e-4", "100%"]:
        url = f"redis://redis.example.com:6379/1?password={quote(password)}"
        cache = settings_under(CACHE_URL=url)
        sent = redis.connection.parse_url(cache["CACHES"]["default"]["LOCATION"])["password"]
        assert sent == password
    broker = "rediss://redis.example.com:6379/0?ssl_ca_certs=/etc/ca%2541.pem"
    assert settings_under(CELERY_BROKER_URL=broker)["CELERY_BROKER_URL"] == broker
    assert kombu.utils.url.url_to_parts(broker).query == {"ssl_ca_certs": "/etc/ca%41.pem"}


@pytest.mark.parametrize(
    "url",
    [
        # dj_database_url turns a %XX back as UTF-8, Latin-1's "%E9" into "�", which psycopg
        # sent: the password was wrong, PostgreSQL saying only "password authentication failed".
        "postgres://orgsite:s3cr%E9t@db.example.com:5432/orgsite",
        "postgres://s%E9bastien:s3cret@db.example.com:5432/orgsite",
        "postgres://db.example.com:5432/orgsite?user=orgsite&password=s3cr%E9t",
        "postgres://db.example.com:5432/orgsite?user=s%E9bastien&password=s3cret",
        # dj_database_url reads a query's names percent-decoded, as written so or not.
        "postgres://db.example.com:5432/orgsite?pass%77ord=s3cr%E9t",
        # An environment file saved in Latin-1: psycopg could not encode the lone surrogate, and
        # each page that read the database, /healthz and migrate failed with a traceback.
        "postgres://orgsite:s3cr\udce9t@db.example.com:5432/orgsite",
    ],
)
def test_a_database_password_psycopg_cannot_send_as_written_stops_the_process(url):
    refused = refusal(DATABASE_URL=url)

    assert refused.startswith("DATABASE_URL has a user name or password with ")
    assert refused.endswith(
        "which psycopg cannot send as written: write it in UTF-8, a character beyond ASCII as "
        "itself or as the %XX of its UTF-8 bytes: postgres://USER:PASSWORD@HOST:5432/DBNAME"
    )
    assert "s3cr" not in refused and "bastien" not in refused  # it goes to the log


NOT_UTF_8 = {
    "a %XX that is not UTF-8 (é is %C3%A9, not Latin-1's %E9)": "%E9",
    "bytes that are not UTF-8, as the environment gave it (save it as UTF-8)": "\udce9",
}


@pytest.mark.parametrize("said", NOT_UTF_8)
@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("postgres://orgsite:s3cret@db{}.example.com:5432/orgsite", "a host"),
        ("postgres://orgsite:s3cret@db.example.com:5432/org{}site", "a database name"),
        ("postgres://orgsite:s3cret@db.example.com:5432/orgsite?sslrootcert=/ca{}.pem", "a query"),
    ],
)
def test_a_database_host_name_or_query_psycopg_cannot_send_as_written_stops_the_process(
    url, what, said
):
    """dj_database_url turned a %XX that is no UTF-8 into "�": psycopg failed each connect to
    such a host with a traceback (idna cannot encode it), and PostgreSQL had no such database.
    The environment's bytes that are not UTF-8 it could not encode: the error, in a traceback
    at each page, /healthz and `migrate`, held its whole connection string, password and all."""
    refused = refusal(DATABASE_URL=url.format(NOT_UTF_8[said]))

    assert refused == (
        f"DATABASE_URL has {what} with {said}, which psycopg cannot send as written: write it "
        "in UTF-8, a character beyond ASCII as itself or as the %XX of its UTF-8 bytes: "
        "postgres://USER:PASSWORD@HOST:5432/DBNAME"
    )


@pytest.mark.parametrize("variable", ["CACHE_URL", "CELERY_BROKER_URL"])
@pytest.mark.parametrize("said", NOT_UTF_8)
@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("redis://:s3cret@cache{}.example.com:6379/1", "a host"),
        ("rediss://:s3cret@cache.example.com:6379/1?ssl_ca_certs=/ca{}.pem", "a query"),
    ],
)
def test_a_redis_host_or_query_its_clients_cannot_send_as_written_stops_the_process(
    variable, said, url, what
):
    """Both clients turned a %XX that is no UTF-8 into "�", which failed each connect to such a
    host with a traceback (idna cannot encode it): the worker did not start, the cache failed at
    each use."""
    refused = refusal(**{variable: url.format(NOT_UTF_8[said])})

    assert refused == (
        f"{variable} has {what} with {said}, which the Redis clients cannot send as written: "
        "write it in UTF-8, a character beyond ASCII as itself or as the %XX of its UTF-8 bytes: "
        "redis://USER:PASSWORD@HOST:6379/0"
    )


def test_a_database_name_of_bytes_that_are_not_utf_8_stops_each_process_in_one_line():
    """psycopg's error, in the traceback of each page, /healthz and `migrate`, held its whole
    connection string: the password in it went to the log."""
    with pytest.raises(UnicodeEncodeError) as failed:  # before it connects to anything
        psycopg.connect(dbname="org\udce9site", password="s3cret")
    assert "s3cret" in repr(failed.value)

    process = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "postgres://orgsite:s3cret@127.0.0.1:1/org\udce9site"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert process.returncode == 4
    assert process.stdout + process.stderr == (
        "DATABASE_URL has a database name with bytes that are not UTF-8, as the environment "
        "gave it (save it as UTF-8), which psycopg cannot send as written: write it in UTF-8, a "
        "character beyond ASCII as itself or as the %XX of its UTF-8 bytes: "
        "postgres://USER:PASSWORD@HOST:5432/DBNAME\n"
    )


@pytest.mark.parametrize("written", ["s3cr€t", "s3cr%E2%82%ACt"])
def test_a_database_password_beyond_latin_1_is_taken_as_utf_8(written):
    """psycopg sends a password in UTF-8: any character, as itself or percent-encoded so."""
    database = settings_under(
        DATABASE_URL=f"postgres://orgsite:{written}@db.example.com:5432/orgsite"
    )["DATABASES"]["default"]

    assert database["PASSWORD"] == "s3cr€t"


@pytest.mark.parametrize("written", ["s3cr€t", "s3cr%E2%82%ACt"])
def test_a_redis_password_beyond_latin_1_is_sent_by_the_cache_and_the_broker(written):
    """Unlike requests (orgsite.W008 of GREENHOUSE_API_BASE's), both Redis clients send a user
    name and password in UTF-8, as a real Redis checks them: taken, as itself or percent-encoded
    as UTF-8."""
    require_service("127.0.0.1", 6379, "Redis")
    server = redis.Redis.from_url(TEST_REDIS_URL)
    user = f"orgsite-test-{os.getpid()}"
    server.acl_setuser(
        user, enabled=True, passwords=["+s3cr€t"], keys=["*"], channels=["*"], commands=["+@all"]
    )
    url = f"redis://{user}:{written}@{TEST_REDIS_URL.partition('://')[2]}"
    try:
        for variable in ("CACHE_URL", "CELERY_BROKER_URL"):
            assert settings_under(**{variable: url})[variable] == url
        cache = RedisCache(url, {})
        cache.set("orgsite-test-password", "sent")
        assert cache.get("orgsite-test-password") == "sent"
        cache.delete("orgsite-test-password")
        with kombu.Connection(url) as broker:
            assert broker.default_channel.client.ping()
    finally:
        server.acl_deluser(user)
        server.close()


def test_a_broker_url_whose_password_holds_a_comma_is_taken():
    """Celery splits a URL at ";" only."""
    url = "redis://:s3,cret@redis.example.com:6379/0"
    assert kombu.Connection(url).password == "s3,cret"
    assert settings_under(CELERY_BROKER_URL=url)["CELERY_BROKER_URL"] == url


def test_a_broker_url_naming_its_database_in_a_query_stops_the_process():
    """Celery fails on a ?db= as it connects, with a TypeError: the worker did not start, and
    Refresh now answered with a server error. The cache's client reads it (over the path's)."""
    url = "redis://:s3cret@redis.example.com:6379/?db=2"
    with pytest.raises(TypeError, match="'db'"):
        kombu.Connection(url)

    with pytest.raises(ImproperlyConfigured, match=r"^CELERY_BROKER_URL .* in \?db=") as refused:
        settings_under(CELERY_BROKER_URL=url)

    assert "s3cret" not in str(refused.value)  # it goes to the log
    assert settings_under(CACHE_URL=url)["CACHES"]["default"]["LOCATION"] == url


def test_a_broker_url_with_a_password_in_a_query_stops_the_process():
    """Celery fails on a ?password= as it connects, with a TypeError: the worker did not start.
    The cache's client reads it."""
    url = "redis://redis.example.com:6379/0?password=s3cret"
    with pytest.raises(TypeError, match="'password'"):
        kombu.Connection(url)
    assert redis.ConnectionPool.from_url(url).connection_kwargs["password"] == "s3cret"

    refused = refusal(CELERY_BROKER_URL=url)

    assert refused.startswith("CELERY_BROKER_URL names its Redis password in ?password=")
    assert "put it before the host, percent-encoded" in refused
    assert "s3cret" not in refused  # it goes to the log
    assert settings_under(CACHE_URL=url)["CACHES"]["default"]["LOCATION"] == url


@pytest.mark.parametrize(
    ("query", "named", "where"),
    [
        ("userid=jobs", "user in ?userid=", "before the host"),
        ("username=jobs", "user in ?username=", "before the host"),  # redis-py's name
        ("hostname=redis2.example.com", "host in ?hostname=", "after the scheme"),
        ("port=6380", "port in ?port=", "after the host"),
        ("virtual_host=2", "database in ?virtual_host=", "in the path"),
        ("transport=redis", "transport in ?transport=", "the scheme names it"),
    ],
)
def test_a_broker_url_naming_a_part_of_itself_in_a_query_stops_the_process(query, named, where):
    """Celery fails on them as it connects, with a TypeError ("multiple values for keyword
    argument", or an unexpected one for ?username=): the worker did not start."""
    url = f"rediss://:s3cret@redis.example.com:6379/0?ssl_cert_reqs=required&{query}"
    with pytest.raises(TypeError, match=f"'{query.partition('=')[0]}'"):
        kombu.Connection(url)

    refused = refusal(CELERY_BROKER_URL=url)

    assert refused.startswith(f"CELERY_BROKER_URL names its Redis {named}, which Celery ")
    assert where in refused
    assert "s3cret" not in refused  # it goes to the log


@pytest.mark.parametrize(
    "query",
    [
        "ssl_cert_reqs=required",
        "ssl_check_hostname=true&heartbeat=10",
        "insist=1",
        "ssl_ca_certs=/etc/ca.pem&ssl_certfile=/etc/c.pem&ssl_keyfile=/etc/k.pem",
        "ssl_ca_path=/etc/ssl/certs&ssl_ca_data=PEM&ssl_password=pw&ssl_ciphers=HIGH",
    ],
)
def test_a_broker_url_with_a_query_celery_reads_is_taken(query):
    url = f"rediss://:s3cret@redis.example.com:6379/0?{query}"
    kombu.Connection(url)  # no TypeError
    # kombu hands the ssl_… ones to redis-py's TLS connection as they are.
    redis.SSLConnection(**kombu.utils.url.parse_url(url).get("ssl", {}))
    assert settings_under(CELERY_BROKER_URL=url)["CELERY_BROKER_URL"] == url


@pytest.mark.parametrize(
    ("query", "refused_name"),
    [
        ("socket_timeout=5", "socket_timeout"),  # redis-py's, which CACHE_URL takes
        ("ssl_cert_reqs=required&health_check_interval=10", "health_check_interval"),
        ("connect_timeout=5", "connect_timeout"),  # a text, where kombu adds a number to it
        ("ssl=true", "ssl"),  # a text, where kombu reads a dict of options
        ("ssl_ca_cert=/etc/ca.pem", "ssl_ca_cert"),  # ssl_ca_certs misspelt: said so
        ("ssl_min_version=TLSv1_2", "ssl_min_version"),  # a text, where a TLS version goes
    ],
)
def test_a_broker_url_with_a_query_celery_fails_on_as_it_connects_stops_the_process(
    query, refused_name
):
    """The worker did not start, and Refresh now was a server error."""
    url = f"redis://:s3cret@127.0.0.1:6379/0?{query}"
    with pytest.raises((TypeError, ValueError)):
        kombu.Connection(url).default_channel.close()  # as a task is sent, before it is

    refused = refusal(CELERY_BROKER_URL=url)

    assert refused.startswith(f"CELERY_BROKER_URL has a ?{refused_name}=")
    assert ", which Celery fails on: of a query it reads only ?heartbeat= " in refused
    assert "?ssl_cert_reqs=required" in refused
    assert "s3cret" not in refused  # it goes to the log


@pytest.mark.parametrize(
    "url",
    [
        "filesystem://?data_folder_in=/srv/queue",
        "filesystem:///srv/orgsite/queue",
        "filesystem:// ",  # a blank an env file left after it
    ],
)
def test_a_filesystem_broker_url_with_anything_after_its_scheme_stops_the_process(url):
    """Celery failed on a query after filesystem:// as a worker started or a task was sent
    (TypeError), and took a path, or a blank, for its own default folder, data_in/ in each
    process's current directory: the settings put no queue under ORGSITE_VAR_DIR for it, and a
    web process and a worker started from two directories never met."""
    if "?" in url:
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            kombu.Connection(url)
    else:
        with kombu.Connection(url) as connection:
            assert connection.default_channel.data_folder_in == "data_in"

    refused = refusal(CELERY_BROKER_URL=url)

    assert refused == (
        "CELERY_BROKER_URL must be filesystem:// alone, with nothing after it: Celery fails on a "
        "query there as it connects, and with a path queues in a data_in/ folder of each "
        "process's current directory, where the site keeps the queue under ORGSITE_VAR_DIR "
        "(redis://HOST:6379/0 in production)"
    )


def test_a_memory_broker_url_with_a_query_stops_the_process():
    """Celery failed on a query after memory:// as a worker started or a task was sent."""
    url = "memory://?foo=1"
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        kombu.Connection(url)

    assert refusal(CELERY_BROKER_URL=url) == (
        "CELERY_BROKER_URL has a query after memory://, which Celery fails on as it connects: "
        "leave it out"
    )


@pytest.mark.parametrize("url", ["memory://localhost/", "memory:///orgsite"])
def test_a_memory_broker_url_with_a_host_or_path_is_taken(url):
    """The queue of memory:// is the process's own whatever host or path follows: such a URL
    worked as memory:// does, and must still start."""
    with kombu.Connection(url) as connection:
        queue = connection.SimpleQueue("orgsite-test")
        queue.put({"taken": True})
        assert queue.get(timeout=1).payload == {"taken": True}
        queue.close()

    assert settings_under(CELERY_BROKER_URL=url)["CELERY_BROKER_URL"] == url


@pytest.mark.parametrize("path", ["/2/", "///2"])
def test_a_broker_url_whose_path_celery_reads_no_number_from_stops_the_process(path):
    """Celery reads the path after its first "/" (and one more) as the number, and failed on
    "2/" as it connected: the worker did not start. The cache's client drops every "/"."""
    url = f"redis://:s3cret@redis.example.com:6379{path}"
    with pytest.raises(ValueError, match="Database is int"):
        kombu.Connection(url).channel()

    with pytest.raises(
        ImproperlyConfigured, match="^CELERY_BROKER_URL names Redis database"
    ) as refused:
        settings_under(CELERY_BROKER_URL=url)

    assert "s3cret" not in str(refused.value)  # it goes to the log
    assert settings_under(CACHE_URL=url)["CACHES"]["default"]["LOCATION"] == url


@pytest.mark.parametrize(
    ("variable", "url", "named"),
    [
        ("CELERY_BROKER_URL", "amqp://orgsite:s3cret@rabbit.example.com//", "not amqp://…"),
        ("CACHE_URL", "memcached://orgsite:s3cret@cache.example.com", "not memcached://…"),
        ("CACHE_URL", "orgsite:s3cret@redis.example.com:6379/1", "not a value without a scheme"),
    ],
)
def test_a_broker_or_cache_url_refused_is_named_by_its_scheme_not_its_password(
    variable, url, named
):
    with pytest.raises(ImproperlyConfigured, match=f"^{variable} ") as refused:
        settings_under(**{variable: url})
    assert named in str(refused.value)
    assert "s3cret" not in str(refused.value)  # it goes to the log


@pytest.mark.parametrize(
    "url",
    [
        "redis://:s3cret@redis.example.com:6379/1",
        "rediss://redis.example.com",
        "redis://h/",
        "redis://h//",  # database 0 to Celery as to the cache
        "redis://h//1",
        "redis://h/2147483646",  # the highest Redis can have
        "redis://h/0000000000000000000001",
    ],
)
def test_redis_urls_with_or_without_a_database_number_are_taken(url):
    taken = settings_under(CELERY_BROKER_URL=url, CACHE_URL=url)
    assert taken["CELERY_BROKER_URL"] == taken["CACHES"]["default"]["LOCATION"] == url


@pytest.mark.parametrize("path", ["/%30", "/%31%35", "/%2F1", "/%2F%31"])
def test_a_redis_database_written_as_percent_escapes_is_read_as_its_clients_read_it(path):
    """Celery's client and the cache's turn a path's %XX back before reading the number: the
    settings refused "/%30", database 0 to both, as a number that is not one."""
    url = f"redis://:s3cret@redis.example.com:6379{path}"
    number = int(unquote(path).strip("/"))
    vhost = kombu.Connection(url).virtual_host
    assert RedisChannel._prepare_virtual_host(None, vhost) == number  # as Celery connects
    assert redis.ConnectionPool.from_url(url).connection_kwargs["db"] == number

    taken = settings_under(CELERY_BROKER_URL=url, CACHE_URL=url)

    assert taken["CELERY_BROKER_URL"] == taken["CACHES"]["default"]["LOCATION"] == url


def test_a_redis_database_written_as_percent_escapes_of_no_number_is_named_as_read():
    refused = refusal(CACHE_URL="redis://:s3cret@redis.example.com:6379/%63ache")
    assert refused.startswith("CACHE_URL names Redis database 'cache', where a number goes")


@pytest.mark.parametrize(
    ("variable", "database"),
    [
        ("CELERY_BROKER_URL", "2147483647"),
        ("CACHE_URL", "?db=99999999999"),
        ("CACHE_URL", f"{'0' * 5000}1"),
    ],
    ids=["above the highest", "in a query", "of 5001 digits"],
)
def test_a_redis_database_no_client_can_select_stops_the_process(variable, database):
    """Celery's worker did not start on it, and the cache failed at each use; past 4,300
    digits redis-py took database 0, and check --deploy raised ValueError."""
    refused = refusal(**{variable: f"redis://:s3cret@redis.example.com:6379/{database}"})

    assert refused.startswith(f"{variable} names Redis database '")
    assert "which neither client can use" in refused
    assert "s3cret" not in refused  # it goes to the log


@pytest.mark.parametrize(
    "query",
    [
        "?password=s3&db=cret",
        "?password=s3&db=1&db=cret",
        "?db=1&password=s3&db=cret",
        "?password=&db=cret",
        "?password=s3&db=99999999999",
    ],
)
def test_a_cache_query_database_after_a_password_is_not_shown(query):
    """A password holding an & as itself ends there, and "?password=s3&db=cret" is read as a
    database "cret", the password's rest, which the refusal of a database no number showed."""
    refused = refusal(CACHE_URL=f"redis://redis.example.com:6379/1{query}")

    assert refused.startswith("CACHE_URL names a Redis database (not shown: it may hold a ")
    assert "cret" not in refused and "999" not in refused


@pytest.mark.parametrize(
    ("setting", "url"),
    [
        ("CACHE_URL", "redis://redis.example.com/1?password=s3&port=cret"),
        ("DATABASE_URL", "postgres://db.example.com:5432/orgsite?password=s3&requiressl=cret"),
    ],
)
def test_a_query_field_whose_value_is_refused_after_a_password_is_not_named(setting, url):
    """ "?password=s3&port=cret" is read as a password "s3" and a ?port= "cret", whose refusal
    named ?port=, the password's rest."""
    refused = refusal(**{setting: url})

    assert refused.startswith(f"{setting} has {FIELD_AFTER_A_PASSWORD} that the site refuses: ")


@pytest.mark.parametrize(
    ("setting", "url", "field"),
    [
        (
            "DATABASE_URL",
            "postgres://db.example.com/db?requiressl=1&password=s3&requiressl=x",
            "requiressl",
        ),
        ("CACHE_URL", "redis://redis.example.com/1?port=&password=s3&port=cret", "port"),
        ("CACHE_URL", "redis://redis.example.com/1?cret=&password=s3&cret=1", "cret"),
        ("CELERY_BROKER_URL", "redis://redis.example.com/1?db=&password=s3&db=1", "db"),
    ],
)
def test_a_query_field_refused_only_after_a_password_is_not_named(setting, url, field):
    """The same name given before the password's field a value taken, or a blank one that the
    clients leave out, named the field of the password's rest all the same: "?requiressl=1&
    password=s3&requiressl=x" was told it "has a ?requiressl= other than 1 or 0"."""
    refused = refusal(**{setting: url})

    assert f"?{field}=" not in refused


@pytest.mark.parametrize(
    ("setting", "url", "field"),
    [
        (
            "DATABASE_URL",
            "postgres://db.example.com/orgsite?requiressl=x&password=s3",
            "requiressl",
        ),
        ("CACHE_URL", "redis://redis.example.com/1?port=x&password=s3&port=6379", "port"),
    ],
)
def test_a_query_field_refused_before_a_password_is_named(setting, url, field):
    refused = refusal(**{setting: url})

    assert refused.startswith(f"{setting} has a ?{field}= ")


def test_a_cache_url_with_an_at_sign_in_a_query_value_is_taken():
    """redis-py reads a password from ?password= as well, where an "@" is the value's."""
    url = "redis://redis.example.com:6379/1?password=s3@cret"
    assert settings_under(CACHE_URL=url)["CACHES"]["default"]["LOCATION"] == url


def test_the_process_stops_on_a_database_the_site_does_not_run_on():
    """MySQL stopped asking for mysqlclient, as if installing it were the fix."""
    process = run_settings(DATABASE_URL="mysql://orgsite:s3cret@db.example.com/orgsite")
    assert process.returncode != 0
    assert "DATABASE_URL must be sqlite:///PATH or postgres://" in process.stderr
    assert "mysqlclient" not in process.stderr and "s3cret" not in process.stderr


# How a user starts each entry point: manage.py, gunicorn (orgsite/wsgi.py) and Celery.
ENTRY_POINTS = {
    "manage.py": ["manage.py", "check"],
    "gunicorn": ["-m", "gunicorn", "-c", "python:orgsite.gunicorn_config", "orgsite.wsgi",
                 "--workers", "1", "--bind", "127.0.0.1:0"],
    "celery": ["-m", "celery", "-A", "orgsite", "worker", "--concurrency", "1"],
}  # fmt: skip
# A value every entry point refuses, and the message it stops with, the password masked.
REFUSED_API_BASE = "https://sync:s3cret@proxy.example.com:99999/v1"
REFUSED_API_BASE_MESSAGE = (
    "GREENHOUSE_API_BASE must be an http(s) URL such as https://boards-api.greenhouse.io/v1, "
    "not 'https://sync:***@proxy.example.com:99999/v1'"
)


def run_refused(
    *arguments: str, log_format: str = "plain", **environ: str
) -> subprocess.CompletedProcess:
    """Run `python <arguments>` in the checkout with REFUSED_API_BASE set, and `environ`."""
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env={
            **os.environ,
            "GREENHOUSE_API_BASE": REFUSED_API_BASE,
            "LOG_FORMAT": log_format,
            **environ,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_each_entry_point_stops_on_a_refused_setting_with_its_message_alone(entry_point):
    """Django's and Celery's traceback of some 30 lines came before the one that matters. A
    gunicorn worker exiting with status 4 stops gunicorn ("App failed to load"), which said
    "Worker failed to boot" of the traceback's."""
    process = run_refused(*ENTRY_POINTS[entry_point])

    assert process.returncode == 4
    output = process.stdout + process.stderr
    if entry_point == "gunicorn":  # among its own lines: booting the worker, shutting down
        assert f"\n{REFUSED_API_BASE_MESSAGE}\n" in output and "Traceback" not in output
    else:
        assert output == f"{REFUSED_API_BASE_MESSAGE}\n"


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_with_log_format_json_the_refusal_is_a_json_line_as_every_other(entry_point):
    """A log collector reading the JSON lines found the one that mattered in plain text, among
    gunicorn's in JSON."""
    process = run_refused(*ENTRY_POINTS[entry_point], log_format="json")

    assert process.returncode == 4
    entries = [json.loads(line) for line in process.stdout.splitlines()]
    entries += [json.loads(line) for line in process.stderr.splitlines()]
    refusal = {
        "level": "CRITICAL",
        "logger": "orgsite.settings",
        "message": REFUSED_API_BASE_MESSAGE,
    }
    assert sum(entry.items() >= refusal.items() for entry in entries) == 1


@pytest.mark.parametrize(
    ("arguments", "answer"),
    [
        *(
            (arguments, f"settings are not properly configured (error: {REFUSED_API_BASE_MESSAGE})")
            for arguments in ([], ["help"], ["--help"], ["-h"])
        ),
        (["version"], django.get_version()),
        (["--version"], django.get_version()),
        (["help", "--commands"], "\nrunserver\n"),
        *(
            (arguments, "usage: manage.py runserver [-h]")
            for arguments in (["help", "runserver"], ["runserver", "--help"], ["runserver", "-h"])
        ),
    ],
)
def test_manage_py_help_and_version_answer_despite_a_refused_setting(arguments, answer):
    """Django answers them without the settings, its list of commands naming the refused value
    in a note, and a command of its own its help; they stopped on it with status 4, as a
    command that needs the settings does."""
    process = run_refused("manage.py", *arguments)

    assert process.returncode == 0
    assert answer in process.stdout
    assert "s3cret" not in process.stdout + process.stderr


@pytest.mark.parametrize(
    "words", ["manage.py ch", "manage.py check --dep", "manage.py sync_jobs --"]
)
def test_bash_completion_stops_on_a_refused_setting_with_its_message_alone(words):
    """Django's completion (DJANGO_AUTO_COMPLETE) runs manage.py with no argument: taken for
    `manage.py` alone, the options of a command were completed with the traceback of the
    refused value, some 30 lines, and the commands without the site's, saying nothing of why."""
    process = run_refused(
        "manage.py",
        DJANGO_AUTO_COMPLETE="1",
        COMP_WORDS=words,
        COMP_CWORD=str(len(words.split()) - 1),
    )

    assert process.returncode == 4
    assert process.stdout + process.stderr == f"{REFUSED_API_BASE_MESSAGE}\n"


@pytest.mark.parametrize(
    "arguments",
    [["help", "check"], ["help", "sync_jobs"], ["check", "--help"], ["sync_jobs", "-h"],
     ["sync_jobs", "--", "--help"], ["runserver", "--", "--help"], ["-v", "2", "help"],
     ["--no-color", "runserver", "--help"]],
)  # fmt: skip
def test_manage_py_help_of_a_command_stops_on_a_refused_setting(arguments):
    """Some commands' help needs the settings: without them Django knows none of the site's,
    and of some of its own printed the traceback of the refused value. A `--help` after `--`
    is the command's argument (runserver's address), and Django takes `-v 2 help` for a
    command "-v", `--no-color runserver --help` for one "--no-color"."""
    process = run_refused("manage.py", *arguments)

    assert process.returncode == 4
    assert process.stdout + process.stderr == f"{REFUSED_API_BASE_MESSAGE}\n"


@pytest.mark.parametrize(
    "options",
    [
        ["--settings=other_settings", "--pythonpath={path}"],
        ["--pythonpath", "{path}", "--settings", "other_settings"],
    ],
)
def test_manage_py_loads_the_settings_its_settings_option_names(tmp_path, options):
    """manage.py loaded DJANGO_SETTINGS_MODULE's before Django read --settings, which then
    changed nothing: a command ran on the site's settings, or stopped on a value refused there."""
    (tmp_path / "other_settings.py").write_text('SECRET_KEY = "x"\nINSTALLED_APPS = []\n')

    arguments = [option.format(path=tmp_path) for option in options]
    process = run_refused("manage.py", "diffsettings", "--output=unified", *arguments)

    assert process.returncode == 0, process.stderr
    assert "+ SETTINGS_MODULE = 'other_settings'" in process.stdout


@pytest.mark.parametrize("option", ["--sett=other_settings", "--settings"])
def test_manage_py_loads_the_settings_of_no_other_form_of_the_option_than_django(tmp_path, option):
    """Before it loads the settings Django reads neither an abbreviation of --settings nor the
    option without its value (which the command then refuses): manage.py loads those of
    DJANGO_SETTINGS_MODULE then, as Django would, without a traceback of its own."""
    (tmp_path / "other_settings.py").write_text('SECRET_KEY = "x"\nINSTALLED_APPS = []\n')

    process = run_refused("manage.py", "diffsettings", option, PYTHONPATH=str(tmp_path))

    assert process.returncode == 4
    assert process.stdout + process.stderr == f"{REFUSED_API_BASE_MESSAGE}\n"


def test_a_settings_module_that_fails_otherwise_keeps_its_traceback(monkeypatch, tmp_path, capsys):
    """A bug in the settings is not a value to change: what loads them stops on the message of
    a refused value alone, and leaves any other error to show where it happened."""
    (tmp_path / "refusing_settings.py").write_text(
        "from django.core.exceptions import ImproperlyConfigured\n"
        "raise ImproperlyConfigured('SOME_SETTING must be set')\n"
    )
    (tmp_path / "failing_settings.py").write_text("SOME_SETTING = undefined_name\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "refusing_settings")
    monkeypatch.setattr("django.conf.settings", LazySettings())
    with pytest.raises(SystemExit, match="^4$"):
        settings_loaded_or_exit()
    assert capsys.readouterr().err == "SOME_SETTING must be set\n"

    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "failing_settings")
    monkeypatch.setattr("django.conf.settings", LazySettings())
    with pytest.raises(NameError, match="undefined_name"):
        settings_loaded_or_exit()


def test_the_refusal_in_json_is_one_line_as_the_settings_read_log_format(
    monkeypatch, tmp_path, capsys
):
    """LOG_FORMAT=" JSON " is json to the settings and to gunicorn's configuration, whose lines
    are JSON then, so the refusal must be too. A line break or a letter not in ASCII in the
    message stays in the one line, as JSON writes them."""
    message = "SOME_SETTING must be set, not 'Équipe\\nמפתח'\n(a line of its own)"
    (tmp_path / "refusing_settings.py").write_text(
        "from django.core.exceptions import ImproperlyConfigured\n"
        f"raise ImproperlyConfigured({message!r})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "refusing_settings")
    monkeypatch.setenv("LOG_FORMAT", " JSON ")
    monkeypatch.setattr("django.conf.settings", LazySettings())

    with pytest.raises(SystemExit, match="^4$"):
        settings_loaded_or_exit()

    [line] = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "CRITICAL",
        "orgsite.settings",
        message,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LOG_LEVEL", "verbose"),
        ("ORGSITE_ENCRYPTION_KEYS", "notakey"),
        ("CELERY_BROKER_URL", "nonsense"),
        ("DJANGO_TIME_ZONE", "Mars/Base"),
        ("LOG_FORMAT", "xml"),
        ("SITE_NAME", "Acme\nCareers"),
        ("SITE_NAME", "\u3164"),  # shows nothing: blank page titles and email subjects
        ("GREENHOUSE_USER_AGENT", "acme-sync/1.0\r\nX-Evil: 1"),
        ("GREENHOUSE_USER_AGENT", "acme-sync/1.0 (Zürich)"),
    ],
)
def test_the_process_stops_on_a_setting_it_would_fail_on_later(variable, value):
    assert variable in refusal(**{variable: value})


def test_the_command_a_bad_encryption_key_suggests_makes_a_key_the_settings_take():
    """Its output is pasted as it is: a bytes repr (b'...') would be refused in turn."""
    command = re.search(r"`python -c \"(.+?)\"`", refusal(ORGSITE_ENCRYPTION_KEYS="notakey"))[1]

    made = subprocess.run(
        [sys.executable, "-c", command], capture_output=True, text=True, check=True
    ).stdout.strip()

    assert settings_under(ORGSITE_ENCRYPTION_KEYS=made)["ENCRYPTION_KEYS"] == [made]


REDIS_BROKER = {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}


@pytest.mark.parametrize(
    ("environment", "error"),
    [
        (
            {"CELERY_TASK_SOFT_TIME_LIMIT": "500", "CELERY_TASK_TIME_LIMIT": "100"},
            "CELERY_TASK_SOFT_TIME_LIMIT (500) must be less than CELERY_TASK_TIME_LIMIT (100)",
        ),
        (
            {"CELERY_TASK_SOFT_TIME_LIMIT": "300", "CELERY_TASK_TIME_LIMIT": "300"},
            "CELERY_TASK_SOFT_TIME_LIMIT (300) must be less than CELERY_TASK_TIME_LIMIT (300)",
        ),
        (
            {"CELERY_TASK_SOFT_TIME_LIMIT": "800", "CELERY_TASK_TIME_LIMIT": "900"},
            "CELERY_TASK_TIME_LIMIT (900) must be less than SYNC_LOCK_SECONDS (600)",
        ),
        (
            {**REDIS_BROKER, "CELERY_VISIBILITY_TIMEOUT": "60"},
            "SYNC_LOCK_SECONDS (600) must be less than CELERY_VISIBILITY_TIMEOUT (60)",
        ),
    ],
    ids=[
        "soft limit above hard",
        "soft limit equal to hard",
        "hard limit above lock",
        "visibility timeout below lock",
    ],
)
def test_the_process_stops_on_time_limits_out_of_order(environment, error):
    refused = refusal(**environment)
    assert error in refused
    order = "keep CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < SYNC_LOCK_SECONDS"
    assert order in refused


@pytest.mark.parametrize("max_age", ["90", "120"], ids=["shorter", "as long"])
def test_the_process_stops_on_a_health_age_that_the_dispatchers_ticks_would_pass(max_age):
    """A tick every 120 s read as dead at 120 s fails /healthz on any late tick."""
    refused = refusal(SYNC_DISPATCH_EVERY_SECONDS="120", HEALTH_SCHEDULER_MAX_AGE_SECONDS=max_age)

    assert (
        f"HEALTH_SCHEDULER_MAX_AGE_SECONDS ({max_age}) must be more than "
        "SYNC_DISPATCH_EVERY_SECONDS (120)" in refused
    )


def test_the_visibility_timeout_counts_only_with_a_broker_that_uses_it():
    local = settings_under(CELERY_BROKER_URL=None, CELERY_VISIBILITY_TIMEOUT="60")
    assert local["CELERY_BROKER_URL"] == "filesystem://"
    taken = settings_under(**REDIS_BROKER, SYNC_LOCK_SECONDS="900", CELERY_VISIBILITY_TIMEOUT="901")
    assert taken["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] == 901


def test_a_lowercase_log_level_is_read_and_django_logs_each_line_once():
    process = run_settings(
        "settings.LOG_LEVEL, logging.getLogger('django').handlers",
        LOG_LEVEL="warning",
        DJANGO_DEBUG="true",
    )
    assert process.stdout.split() == ["WARNING", "[]"], process.stderr


def test_the_worker_and_beat_log_at_their_loglevel_as_the_readme_says_not_log_level():
    """Celery sets the root logger's level from its own `--loglevel` as a worker or beat starts,
    over LOG_LEVEL: LOG_LEVEL=WARNING left each sync's INFO line in the worker's log, and
    LOG_LEVEL=DEBUG added nothing there, though the README gave LOG_LEVEL as the log's level."""
    worker_setup = "__import__('orgsite.celery').celery.app.log.setup(loglevel='INFO')"
    process = run_settings(
        f"[{worker_setup}, logging.getLogger('jobs.sync').getEffectiveLevel()][1]",
        LOG_LEVEL="warning",
    )
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `LOG_LEVEL` |"))

    assert process.stdout.split() == [str(logging.INFO)], process.stderr
    assert "their own `--loglevel`" in row


def test_a_log_format_in_any_case_is_read():
    taken = settings_under(LOG_FORMAT=" JSON ")
    assert [taken["LOG_FORMAT"], taken["LOGGING"]["handlers"]["console"]["formatter"]] == (
        ["json", "json"]
    )


def test_with_json_logs_a_worker_reports_a_pool_process_that_died_in_json():
    """billiard's logger, which says that a pool process died (the hard time limit, out of
    memory, a signal), does not propagate; Celery gave it a plain-text handler of its own, so
    those ERROR lines were the only plain text of a worker's log with LOG_FORMAT=json."""
    died = "__import__('billiard.util').util.error('Process %r exited', 'ForkPoolWorker-1')"
    worker_setup = "__import__('orgsite.celery').celery.app.log.setup(loglevel='INFO')"

    process = run_settings(f"[{worker_setup}, {died}]", LOG_FORMAT="json")

    lines = process.stderr.splitlines()
    assert [line for line in lines if not line.startswith("{")] == []
    assert [json.loads(line)["message"] for line in lines] == ["Process 'ForkPoolWorker-1' exited"]


@pytest.mark.parametrize("log_format", ["plain", "json"])
@pytest.mark.parametrize("process", ["web", "worker or beat", "worker or beat with --logfile"])
def test_a_password_filtered_line_that_cannot_be_written_leaks_through_no_handler(
    process, log_format, tmp_path
):
    """logging's handler printed the arguments of a line it could not write to standard error as
    they were ("--- Logging error ---" … "Arguments: ('http://sync:s3cret@…', …)"), past the
    filter that masks passwords in jobs.greenhouse's and urllib3's lines: with each format, in
    the web process (LOGGING's handler) and in a worker or beat, which set up their logging
    alike (Celery's handlers made the site's, to standard error or to the file of --logfile,
    and their standard error, which Celery makes a logger's). The masking filters are the
    loggers', so each handler writes those lines masked."""
    logfile = tmp_path / "worker.log"
    lines = [
        f"logging.getLogger({name!r}).warning('url=%s', 'http://sync:s3cret@proxy:3128'{more})"
        for name in ("jobs.greenhouse", "urllib3.connectionpool")
        for more in ("", ", 'x'")
    ]
    setup = f"logfile={str(logfile)!r}, " if process.endswith("--logfile") else ""
    worker_setup = (
        f"__import__('orgsite.celery').celery.app.log.setup({setup}redirect_stdouts=True)"
    )
    calls = [worker_setup] if process != "web" else []
    calls += ["__import__('jobs.greenhouse')", *lines]

    written = run_settings(f"[{', '.join(calls)}]", LOG_FORMAT=log_format)

    assert written.returncode == 0, written.stderr
    log = written.stderr + (logfile.read_text() if process.endswith("--logfile") else "")
    assert "s3cret" not in log and "Logging error" not in log
    assert log.count("url=http://sync:***@proxy:3128") == 2
    for name in ("jobs.greenhouse", "urllib3.connectionpool"):
        assert f"could not be written logger={name} at=<string>:1 error=TypeError" in log
    if process.endswith("--logfile"):
        assert "could not be written" not in written.stderr


@pytest.mark.parametrize(
    ("logger", "handled_by"),
    [
        ("logging.getLogger('jobs.sync')", "logging.getLogger()"),
        (
            "__import__('celery.utils.log').utils.log.get_task_logger('jobs.tasks')",
            "logging.getLogger('celery.task')",
        ),
    ],
    ids=["a module's logger", "a task logger"],
)
@pytest.mark.parametrize("to_file", [False, True], ids=["standard error", "--logfile"])
@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_a_time_limit_come_as_a_worker_writes_a_line_stops_the_task(
    log_format, to_file, logger, handled_by, tmp_path
):
    """A task's soft time limit, raised by the worker's signal as a line was written, was taken
    by logging's handler for a line it could not write: it printed its traceback and went on, and
    so did the task, past its limit. The handler is Celery's (it takes over the root logger), to
    standard error or to the file of --logfile; a task logger's (get_task_logger, Celery's for
    tasks) lines are written by Celery's own handler of "celery.task" alone."""
    logfile = str(tmp_path / "worker.log") if to_file else None
    calls = [
        f"__import__('orgsite.celery').celery.app.log.setup(logfile={logfile!r})",
        f"{handled_by}.handlers[-1].setStream("
        "__import__('tests.support.helpers').support.helpers.TimeLimitedStream())",
        f"{logger}.warning('sync took a step')",
        "'the task went on'",
    ]

    written = run_settings(f"[{', '.join(calls)}]", LOG_FORMAT=log_format)

    assert "the task went on" not in written.stdout and "Logging error" not in written.stderr
    assert written.stderr.splitlines()[-1].startswith("billiard.exceptions.SoftTimeLimitExceeded")


def test_a_line_a_workers_handler_cannot_write_is_still_reported_and_passed(capsys):
    """As logging's own handler does: a full disk or a closed pipe ends no task."""

    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError()

    StreamHandler(Closed()).handle(logging.makeLogRecord({"msg": "sync took a step"}))

    assert "BrokenPipeError" in capsys.readouterr().err


def test_a_workers_handler_replaced_writes_the_same_lines_to_the_same_stream():
    """Its stream, level and filters are kept, and its formatter unless given another."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(UnknownHostFilter())
    json_formatter = JsonFormatter()

    replaced, formatted = worker_handler(handler), worker_handler(handler, json_formatter)

    assert [type(replaced), type(formatted)] == [StreamHandler, StreamHandler]
    assert [replaced.stream, replaced.level, replaced.formatter, replaced.filters] == [
        stream,
        logging.WARNING,
        handler.formatter,
        handler.filters,
    ]
    assert formatted.formatter is json_formatter
    assert worker_handler(replaced) is replaced


def test_a_workers_log_file_handler_replaced_writes_to_the_same_file_and_reopens_it(tmp_path):
    """The handler of --logfile, which reopens its file once it is moved (rotated): its lines
    still go on at the end of the file it wrote."""
    path = tmp_path / "worker.log"
    handler = logging.handlers.WatchedFileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.handle(logging.makeLogRecord({"msg": "before"}))

    replaced = worker_handler(handler)
    replaced.handle(logging.makeLogRecord({"msg": "after"}))
    path.rename(tmp_path / "worker.log.1")
    replaced.handle(logging.makeLogRecord({"msg": "rotated"}))
    replaced.close()

    assert type(replaced) is WatchedFileHandler and replaced.encoding == "utf-8"
    assert (tmp_path / "worker.log.1").read_text() == "before\nafter\n"
    assert path.read_text() == "rotated\n"


def test_a_workers_log_file_handler_replaced_leaves_the_file_open_once(tmp_path):
    """Celery's handler of --logfile is closed as the site's takes its place: left open, each
    worker and beat held the file it had opened for as long as it ran, and a log rotation
    that deleted that file freed no disk space until then."""
    handler = logging.handlers.WatchedFileHandler(tmp_path / "worker.log", encoding="utf-8")
    opened = handler.stream

    worker_handler(handler).close()

    assert opened.closed and handler.stream is None


@pytest.mark.parametrize(
    ("query", "environment", "timeout"),
    [
        ("", {}, 5),
        ("?connect_timeout=10", {}, 10),
        ("?connect_timeout=0", {}, 0),  # psycopg's own wait, kept as written
        ("", {"PGCONNECT_TIMEOUT": "20"}, None),  # libpq's own, which psycopg reads
        ("", {"PGCONNECT_TIMEOUT": " "}, 5),  # blank, as env files leave it
    ],
)
def test_a_postgresql_connection_gives_up_after_5_seconds_unless_told_otherwise(
    query, environment, timeout
):
    """psycopg waited 130 s for a database whose packets were dropped: gunicorn killed the web
    worker at 30 s first, answering its own 500 page, and /healthz never said `database`."""
    database = settings_under(
        DATABASE_URL=f"postgres://orgsite@db.example:5432/orgsite{query}",
        **{"PGCONNECT_TIMEOUT": None, **environment},
    )["DATABASES"]["default"]

    assert database.get("OPTIONS", {}).get("connect_timeout") == timeout


def test_a_sqlite_database_has_no_connect_timeout():
    database = settings_under(DATABASE_URL=LOCAL_DATABASE)["DATABASES"]["default"]

    assert "connect_timeout" not in database["OPTIONS"]


def test_a_kept_database_connection_is_checked_before_each_request():
    from django.conf import settings

    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-production-secret-key-for-this-test-only-0123456789abcdef",
    "ORGSITE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DJANGO_ALLOWED_HOSTS": "jobs.example.com",
}
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def test_production_mail_goes_to_an_smtp_server_not_into_the_log(monkeypatch):
    """The console backend would write password-reset and invitation links into the log."""
    monkeypatch.delenv("DJANGO_EMAIL_BACKEND", raising=False)

    assert settings_under(**PRODUCTION)["EMAIL_BACKEND"] == SMTP_BACKEND
    assert settings_under(DJANGO_DEBUG="true")["EMAIL_BACKEND"] == (
        "django.core.mail.backends.console.EmailBackend"
    )


@pytest.mark.parametrize(
    ("user", "password", "named"),
    [
        ("orgsite", "s3cr€t", "DJANGO_EMAIL_HOST_PASSWORD"),
        ("orgsite", "s3cré", "DJANGO_EMAIL_HOST_PASSWORD"),
        ("łukasz", "s3cret", "DJANGO_EMAIL_HOST_USER"),
        ("łukasz", "s3cr€t", "DJANGO_EMAIL_HOST_USER and DJANGO_EMAIL_HOST_PASSWORD"),
    ],
)
def test_smtp_credentials_beyond_ascii_stop_the_process_naming_them_not_shown(
    user, password, named
):
    """Python's SMTP client encodes the user name and password in ASCII as Django logs in: every
    email failed with a UnicodeEncodeError, which the site does not take for a mail server's
    refusal, and nothing said so at startup."""
    refused = refusal(
        DJANGO_EMAIL_BACKEND=SMTP_BACKEND,
        DJANGO_EMAIL_HOST_USER=user,
        DJANGO_EMAIL_HOST_PASSWORD=password,
    )

    assert refused == (
        f"{named}: a character beyond ASCII, which Python's SMTP client cannot send as it logs "
        "in to the mail server, so every email would fail: give the mail account a user name "
        "and password of ASCII characters only"
    )
    assert "s3cr" not in refused and "kasz" not in refused


def test_smtp_credentials_beyond_ascii_are_taken_where_django_does_not_log_in():
    """Django logs in only with both a user name and a password."""
    assert (
        settings_under(DJANGO_EMAIL_HOST_USER="", DJANGO_EMAIL_HOST_PASSWORD="s3cr€t")[
            "EMAIL_HOST_PASSWORD"
        ]
        == "s3cr€t"
    )
    assert (
        settings_under(DJANGO_EMAIL_HOST_USER="łukasz", DJANGO_EMAIL_HOST_PASSWORD="")[
            "EMAIL_HOST_USER"
        ]
        == "łukasz"
    )


def test_smtp_credentials_beyond_ascii_are_taken_by_a_backend_that_does_not_log_in(monkeypatch):
    """The console backend, `make run`'s while debugging, never logs in to a mail server: such
    credentials, left in the environment, stopped it all the same."""
    monkeypatch.delenv("DJANGO_EMAIL_BACKEND", raising=False)
    local = settings_under(
        DJANGO_DEBUG="true", DJANGO_EMAIL_HOST_USER="łukasz", DJANGO_EMAIL_HOST_PASSWORD="s3cr€t"
    )

    assert local["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert (local["EMAIL_HOST_USER"], local["EMAIL_HOST_PASSWORD"]) == ("łukasz", "s3cr€t")


def test_the_smtp_server_and_its_credentials_come_from_the_environment():
    production = settings_under(
        **PRODUCTION,
        DJANGO_EMAIL_HOST="smtp.example.com",
        DJANGO_EMAIL_PORT="587",
        DJANGO_EMAIL_HOST_USER="orgsite",
        DJANGO_EMAIL_HOST_PASSWORD="smtp-password",
        DJANGO_EMAIL_USE_TLS="true",
        DJANGO_EMAIL_TIMEOUT="5",
    )

    names = ["EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"]
    names += ["EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT"]
    assert {name: production[name] for name in names} == {
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "orgsite",
        "EMAIL_HOST_PASSWORD": "smtp-password",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 5.0,
    }


def test_a_mail_server_that_never_answers_cannot_hold_a_web_process():
    """Mail is sent inside the request; gunicorn kills a worker after 30 seconds."""
    assert 0 < settings_under(**PRODUCTION)["EMAIL_TIMEOUT"] < 30


def test_the_process_stops_on_both_email_tls_and_ssl():
    refused = refusal(DJANGO_EMAIL_USE_TLS="true", DJANGO_EMAIL_USE_SSL="true")
    assert "DJANGO_EMAIL_USE_SSL" in refused


def test_the_site_url_is_the_first_public_allowed_host_on_https_in_production():
    assert settings_under(**PRODUCTION)["SITE_URL"] == "https://jobs.example.com"
    local_first = {**PRODUCTION, "DJANGO_ALLOWED_HOSTS": "localhost,jobs.example.com"}
    assert settings_under(**local_first)["SITE_URL"] == "https://jobs.example.com"
    assert settings_under(**PRODUCTION, SITE_URL="")["SITE_URL"] == "https://jobs.example.com"
    local_only = {**PRODUCTION, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    assert settings_under(**local_only)["SITE_URL"] == "https://127.0.0.1"
    assert settings_under(DJANGO_DEBUG="true", PORT="8000")["SITE_URL"] == "http://127.0.0.1:8000"
    assert settings_under(DJANGO_DEBUG="true", PORT="8123")["SITE_URL"] == "http://127.0.0.1:8123"


@pytest.mark.parametrize("hosts", ["jobs.example.com", "*", ".example.com,*"])
def test_a_site_url_that_is_set_is_taken_whatever_the_allowed_hosts(hosts):
    environment = {**PRODUCTION, "DJANGO_ALLOWED_HOSTS": hosts}
    site_url = settings_under(**environment, SITE_URL="https://careers.example.com/")["SITE_URL"]
    assert site_url == "https://careers.example.com"


@pytest.mark.parametrize(
    ("environment", "error"),
    [
        ({"DJANGO_ALLOWED_HOSTS": ".example.com"}, "SITE_URL must be set"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "SITE_URL must be set"),
        ({"SITE_URL": "jobs.example.com"}, "SITE_URL must be an http(s) URL"),
        ({"SITE_URL": "https://example.com/careers"}, "SITE_URL is a scheme and host only"),
        ({"SITE_URL": "https://jobs.example.com/?x=1"}, "SITE_URL is a scheme and host only"),
        # Taken, every emailed link was "https://jobs.example.com?/accounts/…".
        ({"SITE_URL": "https://jobs.example.com?"}, "SITE_URL is a scheme and host only"),
        ({"SITE_URL": "https://jobs.example.com#"}, "SITE_URL is a scheme and host only"),
        ({"SITE_URL": "https://jobs.example.com?/"}, "SITE_URL is a scheme and host only"),
        # Taken, it put the password into every link emailed; refused, it was shown whole.
        (
            {"SITE_URL": "https://site:s3cret@jobs.example.com"},
            "SITE_URL is a scheme and host only, such as https://jobs.example.com, not "
            "'https://site:***@jobs.example.com'",
        ),
        (
            {"SITE_URL": "https://site:s3/cret@jobs.example.com"},
            "not 'https://site:***@jobs.example.com'",
        ),
    ],
)
def test_the_process_stops_without_a_site_url_it_can_use(environment, error):
    assert error in refusal(**{**PRODUCTION, **environment})


@pytest.mark.parametrize(
    "host",
    [
        "https://jobs.example.com",
        "jobs.example.com/",
        "jobs.example.com:443",
        "jobs.example.com]",  # the SITE_URL made of it failed with "Invalid IPv6 URL"
        "[jobs.example.com]",
    ],
)
def test_the_process_stops_on_an_allowed_host_that_no_request_can_match(host):
    """Django compares the Host header without its port: such an entry would answer every
    request 400, and make the sync emails link to https://https://…"""
    refused = refusal(**{**PRODUCTION, "DJANGO_ALLOWED_HOSTS": f"localhost,{host}"})
    assert f"DJANGO_ALLOWED_HOSTS takes host names such as jobs.example.com, not {host!r}" in (
        refused
    )


# A value of each setting that settings.py refuses itself, thousands of characters long.
LONG_REFUSED = {
    "DJANGO_ALLOWED_HOSTS": "jobs.example.com/" + "x" * 5000,
    "SITE_URL": "https://jobs.example.com/" + "x" * 5000,
    "DJANGO_TIME_ZONE": "Europe/" + "x" * 5000,
    "LOG_FORMAT": "x" * 5000,
    "LOG_LEVEL": "x" * 5000,
    "GREENHOUSE_USER_AGENT": "é" * 200,
    "CELERY_TASK_SOFT_TIME_LIMIT": "9" * 4000,  # past CELERY_TASK_TIME_LIMIT
}


@pytest.mark.parametrize("variable", LONG_REFUSED)
def test_a_refused_setting_of_thousands_of_characters_is_shown_cut(variable):
    """As orgsite/env.py's refusals are: these were written whole into the error."""
    refused = refusal(**{**PRODUCTION, variable: LONG_REFUSED[variable]})

    assert refused.startswith(variable)
    assert "…" in refused and len(refused) < 300


def test_allowed_hosts_take_subdomain_patterns_wildcards_and_bracketed_addresses():
    hosts = ".example.com,*,[::1],127.0.0.1,jobs.example.com"
    taken = settings_under(**{**PRODUCTION, "DJANGO_ALLOWED_HOSTS": hosts})
    assert taken["ALLOWED_HOSTS"] == hosts.split(",")
