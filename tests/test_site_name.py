"""The site's name (SITE_NAME) on every page, feed and email a person reads: a company running
the site under its own brand shows no "orgsite", which stays the software's internal name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone
from django.views.defaults import server_error

from jobs.alerts import sync_health_email_send
from jobs.models import GreenhouseConnection
from tests.support.helpers import parsed
from tests.support.public_jobs import make_job

BRAND = "Acme Careers"
TOO_MANY_PARAMETERS = "&".join(f"department={n}" for n in range(1001))


@pytest.fixture(autouse=True)
def brand(settings) -> None:
    settings.SITE_NAME = BRAND
    settings.SITE_URL = "https://careers.acme.example"


# Who asks (a visitor; acme's admin; staff without any admin permission), how, and what.
PAGES = [
    ("visitor", "get", "/"),
    ("visitor", "get", "/jobs/"),
    ("visitor", "get", "/jobs/feed/"),
    ("visitor", "get", "/orgs/"),
    ("visitor", "get", "/orgs/acme/"),
    ("visitor", "get", "/orgs/acme/jobs/{open_job.greenhouse_id}/"),
    ("visitor", "get", "/orgs/acme/jobs/{closed_job.greenhouse_id}/"),  # 410
    ("visitor", "get", "/no-such-page/"),  # 404
    ("visitor", "get", f"/jobs/?{TOO_MANY_PARAMETERS}"),  # 400
    ("visitor", "post", "/accounts/login/"),  # no CSRF token: the form-expired page (403)
    ("staff", "get", "/admin/jobs/job/"),  # 403
    ("visitor", "get", "/accounts/login/"),
    ("visitor", "get", "/accounts/signup/"),
    ("visitor", "get", "/accounts/password_reset/"),
    ("visitor", "get", "/accounts/password_reset/done/"),
    ("visitor", "get", "/accounts/reset/MQ/not-a-token/"),
    ("visitor", "get", "/accounts/reset/done/"),
    ("owner", "get", "/accounts/logout/"),
    ("owner", "get", "/manage/"),
    ("owner", "get", "/manage/new/"),
    ("owner", "get", "/manage/acme/settings/"),
    ("owner", "get", "/manage/acme/jobs/"),
    ("owner", "get", "/manage/acme/jobs/{open_job.pk}/edit/"),
    ("owner", "get", "/manage/acme/history/"),
    ("owner", "get", "/manage/acme/members/"),
    ("owner", "get", "/manage/acme/disconnect/"),
    ("owner", "get", "/manage/acme/delete/"),
    ("owner", "get", "/accounts/password_change/"),
    ("owner", "get", "/accounts/password_change/done/"),
    ("owner", "get", "/accounts/email/"),
    ("owner", "get", "/accounts/email/confirm/not-a-link/"),
    ("owner", "get", "/accounts/join/not-a-link/"),
    ("owner", "get", "/accounts/delete/"),
]


@pytest.mark.parametrize(("who", "method", "path"), PAGES)
def test_every_page_names_the_site_by_its_setting(acme, owner, who, method, path):
    jobs = {
        "open_job": make_job(acme.organization, "Robot Whisperer"),
        "closed_job": make_job(acme.organization, "Gear Oiler", is_open=False),
    }
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if who == "owner":
        client.force_login(owner)
    elif who == "staff":
        client.force_login(User.objects.create_user("staff", "staff@example.com", is_staff=True))

    response = getattr(client, method)(path.format(**jobs))

    assert response.status_code < 500
    content = response.content.decode()
    assert BRAND in content and "orgsite" not in content.lower()
    if response["Content-Type"].startswith("text/html"):
        page = parsed(response)
        assert page.title.get_text().endswith(BRAND)
        assert page.select_one(".brand").get_text() == BRAND


@pytest.mark.parametrize("path", ["/admin/login/", "/admin/", "/admin/jobs/organization/"])
def test_the_django_admin_names_the_site_by_its_setting(admin_client, path):
    page = parsed(Client().get(path) if path == "/admin/login/" else admin_client.get(path))

    assert page.select_one("#site-name").get_text(strip=True) == f"{BRAND} administration"
    assert page.title.get_text().endswith(f"| {BRAND} admin")
    assert "Django" not in page.select_one("#site-name").get_text() + page.title.get_text()


def test_the_500_page_names_no_site_rather_than_a_wrong_one(rf):
    """It is plain HTML rendered without a context, so that it shows whatever else failed: it
    cannot read SITE_NAME."""
    html = server_error(rf.get("/")).content.decode()

    assert "Something went wrong" in html and "orgsite" not in html.lower()


def invite(signed_in: Client, connection: GreenhouseConnection) -> None:
    members = "/manage/acme/members/"
    signed_in.post(members, {"action": "add", "email": "dave@acme.example", "role": "member"})


def ask_for_an_address_change(signed_in: Client, connection: GreenhouseConnection) -> None:
    signed_in.post(
        "/accounts/email/", {"email": "alice@new.example", "password": "correct horse battery"}
    )


def ask_for_a_password_reset(signed_in: Client, connection: GreenhouseConnection) -> None:
    Client().post("/accounts/password_reset/", {"email": "alice@acme.example"})


def fail_syncs_for_two_hours(signed_in: Client, connection: GreenhouseConnection) -> None:
    connection.state = GreenhouseConnection.State.FAILING
    connection.failing_since = timezone.now() - timedelta(hours=2)
    connection.consecutive_failures = 9
    connection.last_error = "Greenhouse answered 502"
    connection.save()
    sync_health_email_send(connection)


# Each email's subject and the words of its body that name the site.
EMAILS: list[tuple[Callable[[Client, GreenhouseConnection], None], list[tuple[str, str]]]] = [
    (invite, [("You are invited to join Acme Robotics on Acme Careers", "on Acme Careers as")]),
    (
        ask_for_an_address_change,
        [
            ("Confirm your new email address on Acme Careers", "alice at Acme Careers. To do"),
            (
                "A change of your email address on Acme Careers was asked for",
                "alice at Acme Careers asked",
            ),
        ],
    ),
    # Django's named the site by its host (SITE_URL's), where the others name it so.
    (ask_for_a_password_reset, [("Password reset on Acme Careers", "account at Acme Careers.")]),
    (
        fail_syncs_for_two_hours,
        [("Greenhouse sync is failing for Acme Robotics", "Acme Careers has not been able")],
    ),
]


@pytest.mark.parametrize(
    ("send", "expected"), EMAILS, ids=lambda value: getattr(value, "__name__", None)
)
def test_every_email_names_the_site_by_its_setting(signed_in, acme, send, expected):
    send(signed_in, acme)

    assert [message.subject for message in mail.outbox] == [subject for subject, _ in expected]
    for message, (_, naming_words) in zip(mail.outbox, expected, strict=True):
        assert naming_words in message.body
        assert "orgsite" not in (message.subject + message.body).lower()


@pytest.mark.parametrize("send", [send for send, _ in EMAILS], ids=lambda send: send.__name__)
def test_every_email_isolates_a_site_name_written_right_to_left(signed_in, acme, settings, send):
    """As they isolate an org's name and a username (name_in_sentence): not isolated, the digits
    opening "2024 משרות" took the direction of the words before them, the name shown as if it
    ended with them."""
    settings.SITE_NAME = "2024 משרות"

    send(signed_in, acme)

    assert mail.outbox
    for message in mail.outbox:
        named = message.subject + message.body
        assert "\u20682024 משרות\u2069" in message.body
        assert named.count("2024 משרות") == named.count("\u20682024 משרות\u2069")
