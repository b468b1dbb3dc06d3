"""The Greenhouse Job Board API key: encrypted in the database, never shown beyond its last five
characters on a page, in JSON, in a log or in an error report, and re-encrypted by
`rotate_encryption_keys` when the encryption key is rotated."""

from __future__ import annotations

import logging

import pytest
from bs4 import BeautifulSoup
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection as db_connection
from django.views.debug import ExceptionReporter

from jobs.forms import key_like_hidden
from jobs.management.commands import rotate_encryption_keys
from jobs.models import GreenhouseConnection, SyncRun
from jobs.sync import sync_organization
from tests.support.helpers import make_connection

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.support.broker"]  # queued

API_KEY = "ghJB7q2Zr9WvK4xTn8Lp3Ym6Hd1FcXYZ12"
SETTINGS_URL = "/manage/acme/settings/"


def shows_more_than_the_last_five(text: str) -> bool:
    """True if any six consecutive characters of the key appear in `text`."""
    return any(API_KEY[i : i + 6] in text for i in range(len(API_KEY) - 5))


@pytest.fixture
def with_key(signed_in, acme, queued) -> GreenhouseConnection:
    response = signed_in.post(
        SETTINGS_URL, {"action": "connect", "board_token": "acme-robotics", "api_key": API_KEY}
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.get_api_key() == API_KEY
    return acme


def test_the_database_column_holds_no_clear_text(with_key):
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT * FROM jobs_greenhouseconnection")
        rows = cursor.fetchall()

    assert len(rows) == 1
    assert not shows_more_than_the_last_five(repr(rows))
    assert with_key.api_key_last5 == "XYZ12"


def test_no_page_or_json_shows_more_than_the_last_five(signed_in, with_key, client):
    sync_organization(with_key, trigger=SyncRun.Trigger.COMMAND)
    urls = [
        "/manage/",
        SETTINGS_URL,
        "/manage/acme/jobs/",
        "/manage/acme/history/",
        "/manage/acme/members/",
        "/manage/acme/disconnect/",
        "/manage/acme/status.json",
        "/orgs/acme/",
        "/orgs/acme/jobs.json",
    ]
    for url in urls:
        response = signed_in.get(url)
        assert response.status_code == 200, url
        assert not shows_more_than_the_last_five(response.content.decode()), url
    assert "XYZ12" in signed_in.get(SETTINGS_URL).content.decode()

    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    for url in (
        "/admin/jobs/greenhouseconnection/",
        f"/admin/jobs/greenhouseconnection/{with_key.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not shows_more_than_the_last_five(response.content.decode()), url


def test_the_settings_page_marks_the_key_it_shows_by_a_keyed_digest_of_its_encryption(
    signed_in, with_key, settings
):
    """The page sends back which key it showed, so that a key stored since is not removed or
    replaced for it: by a mark no one can work out from the key (an unkeyed hash could be
    checked against a guess), nor the key from it."""
    page = BeautifulSoup(signed_in.get(SETTINGS_URL).content, "html.parser")
    marks = {field["value"] for field in page.select("input[name=shown-api_key_mark]")}
    ending_alike = make_connection("tiny", "tiny-co")
    ending_alike.set_api_key(f"another-{API_KEY[-5:]}")

    assert marks == {with_key.api_key_mark} and len(with_key.api_key_mark) == 16
    assert ending_alike.api_key_mark != with_key.api_key_mark
    settings.SECRET_KEY = "another secret key"
    assert with_key.api_key_mark not in marks


def test_no_log_shows_it(signed_in, acme, queued, caplog):
    with caplog.at_level(logging.DEBUG):
        signed_in.post(
            SETTINGS_URL,
            {"action": "connect", "board_token": "acme-robotics", "api_key": API_KEY},
        )
        refused = signed_in.post(
            SETTINGS_URL, {"action": "api_key", "key-api_key": f"{API_KEY} {API_KEY}"}
        )
        signed_in.post(SETTINGS_URL, {"action": "api_key", "key-api_key": API_KEY})
        acme.refresh_from_db()
        sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
        call_command("sync_jobs", "acme")

    assert "has no spaces" in refused.content.decode()
    assert not shows_more_than_the_last_five(refused.content.decode())  # not echoed back
    assert "form refused api_key" in caplog.text  # the log was captured
    assert not shows_more_than_the_last_five(caplog.text)


@pytest.mark.parametrize(
    "typed",
    [API_KEY, f"boards.greenhouse.io/{API_KEY}/ jobs"],  # no board, and refused unasked
)
def test_no_log_shows_it_pasted_in_the_tokens_box(signed_in, acme, caplog, typed):
    """Tokens are logged as typed, which are public: a key pasted in their box was logged too."""
    with caplog.at_level(logging.INFO):
        refused = signed_in.post(
            SETTINGS_URL, {"action": "connect", "board_token": typed, "api_key": ""}
        )
        signed_in.post(
            SETTINGS_URL, {"action": "connect", "board_token": "tiny-co-2", "api_key": ""}
        )

    assert refused.status_code == 200
    assert "connect check failed org=acme token=" in caplog.text  # the log was captured
    assert "[34 letters and digits, perhaps an API key, not logged]" in caplog.text
    assert not shows_more_than_the_last_five(caplog.text)
    assert "token='tiny-co-2'" in caplog.text


def test_a_long_token_of_letters_alone_is_logged_as_typed():
    """A key has digits; a slug of 20 letters or more is a token, which is public."""
    assert key_like_hidden("worldwide-internationalrobotics") == "worldwide-internationalrobotics"


def test_a_run_of_20_letters_and_digits_is_hidden_and_a_shorter_one_logged():
    """The bound: a key of 20 characters is not logged, where the test above's has 34; a token
    with digits is, as a run of 19 or between "-" ("acme2024")."""
    hidden = "[20 letters and digits, perhaps an API key, not logged]"

    assert key_like_hidden("f" * 19 + "2") == hidden
    assert key_like_hidden("acmerobotics2024abc") == "acmerobotics2024abc"
    assert key_like_hidden("acme2024-robotics-internships") == "acme2024-robotics-internships"


def test_an_error_report_hides_it(signed_in, acme, queued, caplog, monkeypatch):
    def crash(connection, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("jobs.connections.request_refresh", crash)  # after the key is stored
    signed_in.raise_request_exception = False

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = signed_in.post(
            SETTINGS_URL,
            {"action": "connect", "board_token": "acme-robotics", "api_key": API_KEY},
        )

    assert response.status_code == 500
    report = error_report(caplog)
    assert "api_key" in report and "RuntimeError" in report
    assert not shows_more_than_the_last_five(report)


def test_an_error_report_from_django_admin_hides_it(client, acme, caplog, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("jobs.admin.connection_schedule_update", crash)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    client.raise_request_exception = False

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(
            f"/admin/jobs/greenhouseconnection/{acme.pk}/change/",
            {"enabled": "on", "sync_interval_minutes": 60, "new_api_key": API_KEY},
        )

    assert response.status_code == 500
    report = error_report(caplog)
    assert "new_api_key" in report and "RuntimeError" in report
    assert not shows_more_than_the_last_five(report)


def error_report(caplog) -> str:
    """What the error email (AdminEmailHandler, without include_html) would carry."""
    record = next(r for r in caplog.records if r.name == "django.request")
    return ExceptionReporter(record.request, *record.exc_info, is_email=True).get_traceback_text()


# --- Rotating the encryption key ------------------------------------------------------------


@pytest.fixture
def keys(settings) -> tuple[str, str]:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    return old, new


def stored(slug: str, key: str) -> GreenhouseConnection:
    connection = make_connection(slug, slug)
    connection.set_api_key(key)
    connection.save()
    return connection


def test_rotation_reencrypts_every_key_with_the_first_key(keys, settings, capsys):
    old, new = keys
    first, second = stored("acme", API_KEY), stored("tiny", "other-key-54321")
    make_connection("keyless", "keyless")
    settings.ENCRYPTION_KEYS = [new, old]

    call_command("rotate_encryption_keys")

    assert "2 API keys re-encrypted with the first key." in capsys.readouterr().out
    settings.ENCRYPTION_KEYS = [new]  # the old key is gone: the new one alone decrypts
    for connection, key in ((first, API_KEY), (second, "other-key-54321")):
        connection.refresh_from_db()
        assert connection.get_api_key() == key
    assert GreenhouseConnection.objects.get(organization__slug="keyless").api_key_encrypted == ""


def test_rotation_names_keys_no_configured_key_decrypts(keys, settings):
    old, new = keys
    stored("acme", API_KEY)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    stored("lost", "lost-key-99999")
    stored("forgotten", "lost-key-88888")
    settings.ENCRYPTION_KEYS = [new, old]

    # In the order they were connected: the same every run.
    with pytest.raises(CommandError, match="decrypts the API key of: lost, forgotten[.]") as raised:
        call_command("rotate_encryption_keys")
    assert "the key they were encrypted with" in str(raised.value)
    assert "their keys anew on their settings pages." in str(raised.value)

    settings.ENCRYPTION_KEYS = [new]
    assert GreenhouseConnection.objects.get(organization__slug="acme").get_api_key() == API_KEY


def test_rotation_naming_one_key_no_configured_key_decrypts_speaks_of_it_alone(keys, settings):
    """It said "the key they were encrypted with" and "their settings pages" of one org."""
    old, new = keys
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    stored("lost", "lost-key-99999")
    settings.ENCRYPTION_KEYS = [new, old]

    with pytest.raises(CommandError) as raised:
        call_command("rotate_encryption_keys")

    assert str(raised.value).endswith(
        "decrypts the API key of: lost. Add the key it was encrypted with to "
        "ORGSITE_ENCRYPTION_KEYS and run this again, or store its key anew on its settings page."
    )


def test_rotation_run_again_leaves_the_keys_it_encrypted_and_says_so(keys, settings, capsys):
    """Run again, before or after the old key was removed, it said "1 API key re-encrypted"
    of a key the first key had encrypted already, and wrote it anew."""
    old, new = keys
    stored("acme", API_KEY)
    settings.ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys")
    rotated = GreenhouseConnection.objects.get().api_key_encrypted

    call_command("rotate_encryption_keys")
    settings.ENCRYPTION_KEYS = [new]
    call_command("rotate_encryption_keys")

    assert capsys.readouterr().out == (
        "1 API key re-encrypted with the first key.\n"
        + "0 API keys re-encrypted with the first key, 1 encrypted with it already.\n" * 2
    )
    connection = GreenhouseConnection.objects.get()
    assert connection.api_key_encrypted == rotated
    assert connection.get_api_key() == API_KEY


def test_rotation_keeps_a_key_stored_anew_while_it_works(keys, settings, capsys, monkeypatch):
    """An admin may save a new key on the settings page as the command runs: that one is
    encrypted with the first key already, and the old one must not be written over it."""
    old, new = keys
    connection = stored("acme", API_KEY)
    settings.ENCRYPTION_KEYS = [new, old]
    reencrypt = rotate_encryption_keys.reencrypt_secret

    def reencrypt_as_an_admin_saves(secret: str) -> str:
        stored_anew = GreenhouseConnection.objects.get(pk=connection.pk)
        stored_anew.set_api_key("saved-meanwhile-77777")
        stored_anew.save()
        return reencrypt(secret)

    monkeypatch.setattr(rotate_encryption_keys, "reencrypt_secret", reencrypt_as_an_admin_saves)

    call_command("rotate_encryption_keys")

    assert capsys.readouterr().out == (
        "0 API keys re-encrypted with the first key, 1 replaced meanwhile (already new).\n"
    )
    settings.ENCRYPTION_KEYS = [new]
    assert GreenhouseConnection.objects.get().get_api_key() == "saved-meanwhile-77777"
