"""Refresh now, the live status endpoint and the sync history page."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.http import QueryDict
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import MAX_URL_LENGTH

from jobs import manage_views
from jobs.connections import check_board, connection_connect, connection_save
from jobs.greenhouse import Board, GreenhouseClient
from jobs.models import GreenhouseConnection, Membership, Organization, SchedulerHeartbeat, SyncRun
from jobs.scheduling import RefreshOutcome, enqueue_due_syncs
from jobs.status import (
    QUEUED_LONG_SECONDS,
    RETRY_LATE_SECONDS,
    moment_text,
    sync_status,
    wait_end_text,
)
from jobs.sync import acquire_sync_lock, start_sync_run, sync_organization
from tests.support.helpers import (
    NOT_ADMIN_AS_A_MEMBER,
    NOT_ADMIN_NOR_MEMBER,
    assert_says_not_an_admin,
    assert_says_organization_gone,
    marked_sync,
)

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.support.broker"]  # queued, broker_down

REFRESH_URL = "/manage/acme/refresh/"
STATUS_URL = "/manage/acme/status.json"
JSON = {"HTTP_ACCEPT": "application/json"}
# What the status says of posts skipped for their id, which no edit in Greenhouse fixes.
FOR_ID = (
    "Greenhouse gives each post its id, so a post without a readable one, or listed under "
    "another post's, is not fixed by editing it: the next sync imports it once Greenhouse sends "
    "it right; if it does not, ask Greenhouse's support."
)


# --- Refresh now -------------------------------------------------------------------------------


def test_refresh_queues_a_sync_and_goes_back_to_the_page(signed_in, acme, queued):
    response = signed_in.post(REFRESH_URL, {"next": "/manage/acme/settings/"})

    assert response.status_code == 302 and response["Location"] == "/manage/acme/settings/"
    assert queued == [marked_sync(acme.pk, SyncRun.Trigger.MANUAL)]
    assert "Sync queued" in signed_in.get("/manage/acme/settings/").content.decode()
    assert not SyncRun.objects.exists()  # nothing ran inside the request


def test_two_clicks_queue_one_sync_and_the_second_says_so(signed_in, acme, queued):
    signed_in.post(REFRESH_URL)
    response = signed_in.post(REFRESH_URL, follow=True)

    assert len(queued) == 1
    assert "already queued; it starts as soon as a worker is free" in response.content.decode()


def test_refresh_while_a_sync_runs_says_so(signed_in, acme, queued):
    acquire_sync_lock(acme)
    response = signed_in.post(REFRESH_URL, follow=True)
    assert queued == [] and "running right now" in response.content.decode()


def test_refresh_right_after_a_sync_is_cooled_down(signed_in, acme, queued, settings):
    settings.SYNC_REFRESH_COOLDOWN_SECONDS = 30
    GreenhouseConnection.objects.update(last_attempt_at=timezone.now())
    response = signed_in.post(REFRESH_URL, follow=True)
    assert queued == [] and "less than 30 seconds ago" in response.content.decode()


def test_refresh_answered_that_nothing_runs_says_when_a_pending_retry_is_due(
    signed_in, acme, queued, settings
):
    """For the page to follow the retry of a failure it never saw (sync-status.js)."""
    settings.SYNC_REFRESH_COOLDOWN_SECONDS = 30
    now = timezone.now()
    GreenhouseConnection.objects.update(
        last_attempt_at=now, retry_at=now + timedelta(seconds=20), state="failing"
    )

    answer = signed_in.post(REFRESH_URL, **JSON).json()

    assert queued == [] and answer["message"].startswith("Greenhouse was asked less than")
    assert answer["status"]["phase"] not in {"queued", "running"}
    assert 15 < answer["status"]["retry_in_seconds"] <= 20


def test_refresh_within_greenhouses_retry_after_says_until_when(signed_in, acme, queued):
    wait_until = timezone.now() + timedelta(hours=1)
    GreenhouseConnection.objects.update(greenhouse_wait_until=wait_until)

    response = signed_in.post(REFRESH_URL, **JSON)

    assert queued == [] and response.json()["message"] == (
        f"Greenhouse asked this site to wait until {wait_end_text(wait_until)} before asking "
        "again, so no sync was queued. Refresh now works again after that."
    )


def test_refresh_within_greenhouses_retry_after_names_a_second_not_before_the_waits_end(
    signed_in, acme, queued
):
    """Cut to the minute, a wait until 10:30:55 read "until 10:30": pressed again at 10:30,
    as those words said, Refresh now was refused again. Rounded up to the minute, "until
    10:31" was said where the settings page gave the retry waiting it out to the second."""
    wait_until = (timezone.now() + timedelta(days=1)).replace(
        hour=10, minute=30, second=55, microsecond=400_000
    )
    GreenhouseConnection.objects.update(greenhouse_wait_until=wait_until)

    message = signed_in.post(REFRESH_URL, **JSON).json()["message"]

    assert f"wait until {wait_until:%-d %b %Y}, 10:30:56 UTC before asking again" in message


@pytest.mark.parametrize(
    ("ends_at", "said"),
    [
        (datetime(2026, 12, 7, 10, 30, tzinfo=UTC), "7 Dec 2026, 10:30:00 UTC"),
        (datetime(2026, 12, 7, 10, 30, 0, 400_000, tzinfo=UTC), "7 Dec 2026, 10:30:01 UTC"),
        (datetime(2026, 12, 7, 23, 59, 59, 1, tzinfo=UTC), "8 Dec 2026, 00:00:00 UTC"),
    ],
)
def test_a_waits_end_is_named_by_the_first_second_it_is_over_in(ends_at, said):
    """A wait over at 10:30:00.4 is not over at 10:30:00: pressed then, Refresh now is
    refused."""
    assert wait_end_text(ends_at) == said


def test_refresh_of_a_paused_connection_says_to_resume_first(signed_in, acme, queued):
    GreenhouseConnection.objects.update(enabled=False)
    response = signed_in.post(REFRESH_URL, follow=True)
    assert queued == [] and "Syncing is paused" in response.content.decode()


def test_a_paused_connection_offers_the_way_to_resume_in_place_of_refresh_now(signed_in, acme):
    """Its answer would only say to resume: on the settings page, in the form just below."""
    GreenhouseConnection.objects.update(enabled=False)
    for path, link in (
        ("/manage/acme/settings/", '<a href="#id_paused">Resume it in the schedule below</a>'),
        ("/manage/acme/jobs/", '<a href="/manage/acme/settings/#id_paused">Resume it in the'),
    ):
        page = BeautifulSoup(signed_in.get(path).content, "html.parser")
        assert page.select_one("form[data-refresh]").has_attr("hidden"), path
        note = page.select_one("[data-paused-only]")
        assert not note.has_attr("hidden") and link in str(note), path
    assert page.find(id="id_paused") is None  # the jobs page: the link leads to the settings

    GreenhouseConnection.objects.update(enabled=True)
    page = BeautifulSoup(signed_in.get("/manage/acme/settings/").content, "html.parser")
    assert not page.select_one("form[data-refresh]").has_attr("hidden")
    assert page.select_one("[data-paused-only]").has_attr("hidden")


def test_refresh_of_an_unconnected_org_says_to_connect(signed_in, acme, queued):
    GreenhouseConnection.objects.all().delete()
    response = signed_in.post(REFRESH_URL, follow=True)
    assert queued == [] and "Connect a Greenhouse board first" in response.content.decode()


def test_refresh_as_the_org_is_disconnected_says_so(signed_in, acme, queued, monkeypatch):
    # The page's request read the connection just before another admin's disconnect deleted it.
    connection = GreenhouseConnection.objects.get()
    monkeypatch.setattr("jobs.manage_views._connection_of", lambda organization: connection)
    GreenhouseConnection.objects.all().delete()

    response = signed_in.post(REFRESH_URL, follow=True)

    assert response.status_code == 200 and queued == []
    assert "just disconnected from Greenhouse" in response.content.decode()


GONE = "This organization no longer exists: it was deleted, perhaps in another tab."


def test_refresh_of_an_org_deleted_meanwhile_says_it_no_longer_exists(signed_in, acme, queued):
    # It said "could not be sent; reload the page", and the page reloaded was not found.
    Organization.objects.filter(slug="acme").delete()

    answer = signed_in.post(REFRESH_URL, **JSON)
    assert answer.status_code == 404
    assert answer.json() == {
        "error": "organization_gone",
        "level": "error",
        "message": GONE,
        # Where its admin can go: the page reloaded says only that it is gone.
        "link": {"url": "/manage/", "text": "Go to your organizations"},
    }

    # Without the script: the page every admin page of a deleted org is.
    assert_says_organization_gone(signed_in.post(REFRESH_URL, {"next": "/manage/acme/settings/"}))
    assert queued == []


@pytest.mark.parametrize("read", ["the org", "its connection"])
def test_refresh_as_the_org_is_deleted_says_it_no_longer_exists(
    signed_in, acme, queued, monkeypatch, read
):
    """Deleted once this request read the org (or its connection too): "Connect a Greenhouse
    board first" (or "just disconnected"), where every other form said the org was gone."""
    connection = GreenhouseConnection.objects.get()
    if read == "the org":
        organization_read = manage_views.admin_organization_or_404

        def deleted_once_read(request, slug: str) -> Organization:  # by another admin
            organization = organization_read(request, slug)
            Organization.objects.filter(pk=organization.pk).delete()
            return organization

        monkeypatch.setattr(manage_views, "admin_organization_or_404", deleted_once_read)
    else:

        def deleted_once_read(organization: Organization) -> GreenhouseConnection:
            Organization.objects.filter(pk=organization.pk).delete()
            return connection

        monkeypatch.setattr(manage_views, "_connection_of", deleted_once_read)

    answer = signed_in.post(REFRESH_URL, **JSON)

    assert answer.status_code == 404 and answer.json()["message"] == GONE
    assert queued == []


def test_the_status_of_an_org_deleted_meanwhile_says_it_no_longer_exists(signed_in, acme):
    Organization.objects.filter(slug="acme").delete()
    response = signed_in.get(STATUS_URL, **JSON)
    assert response.status_code == 404 and response.json()["message"] == GONE
    assert response.json()["link"] == {"url": "/manage/", "text": "Go to your organizations"}


NOT_ITS_ADMIN_IS_TOLD = {
    "an admin demoted": NOT_ADMIN_AS_A_MEMBER,
    "an admin removed": NOT_ADMIN_NOR_MEMBER,
    "member": NOT_ADMIN_AS_A_MEMBER,
    "outsider": NOT_ADMIN_NOR_MEMBER,  # another org's admin
}


@pytest.mark.parametrize("who", NOT_ITS_ADMIN_IS_TOLD)
def test_the_script_of_who_is_not_its_admin_is_told_so_and_whom_to_ask(
    client, acme, owner, queued, who, request
):
    """The live status and Refresh now of an admin demoted or removed meanwhile were a plain
    404 (a web page), so the script said to reload the page, and the page reloaded was not
    found; then a 403 that said "You are no longer an admin", to a member too, and not whom to
    ask."""
    # The admin who demoted or removed them, whom they can ask.
    carol = User.objects.create_user("carol", "carol@acme.example", "correct horse battery")
    Membership.objects.create(organization=acme.organization, user=carol, role="admin")
    if who == "an admin demoted":
        owner.memberships.update(role=Membership.Role.MEMBER)
    elif who == "an admin removed":
        owner.memberships.all().delete()
    client.force_login(owner if who.startswith("an admin") else request.getfixturevalue(who))
    said = NOT_ITS_ADMIN_IS_TOLD[who]

    for response in (client.get(STATUS_URL, **JSON), client.post(REFRESH_URL, **JSON)):
        assert response.status_code == 403
        assert response.json() == {
            "error": "not_admin",
            "level": "error",
            "message": said,
            "link": {"url": "/manage/", "text": "Go to your organizations"},
        }
    # Without the script: a page that says the same, a 404 as to anyone who is no admin of it.
    assert_says_not_an_admin(client.get(STATUS_URL), said)
    assert_says_not_an_admin(client.post(REFRESH_URL), said)
    assert queued == []


def test_the_scripts_message_to_who_is_not_its_admin_leaves_no_direction_open(
    client, acme, owner, member, queued
):
    """The script writes the message as text with its link after it, which a right-to-left
    override left open in the org's name turned around."""
    Organization.objects.filter(slug="acme").update(name="\u202eAcme Robotics")
    client.force_login(member)

    for response in (client.get(STATUS_URL, **JSON), client.post(REFRESH_URL, **JSON)):
        assert response.json()["message"] == NOT_ADMIN_AS_A_MEMBER


def test_an_address_in_other_case_leads_to_the_orgs_own(signed_in, acme, queued):
    """A hand-typed /manage/ACME/settings/ was a 404 (before that, "no longer exists"), where
    the org's public pages in capitals lead to theirs. A POST is sent on with its form (308):
    a 301 would drop it, as the 404 did."""
    for response, status, location in (
        (signed_in.get("/manage/ACME/status.json", **JSON), 301, "/manage/acme/status.json"),
        (signed_in.head("/manage/ACME/settings/?tab=1"), 301, "/manage/acme/settings/?tab=1"),
        (signed_in.get("/manage/aCme/jobs/7/edit/"), 301, "/manage/acme/jobs/7/edit/"),
        (signed_in.post("/manage/Acme/refresh/", **JSON), 308, "/manage/acme/refresh/"),
    ):
        assert (response.status_code, response["Location"]) == (status, location)
    assert queued == []

    signed_in.post("/manage/Acme/refresh/", **JSON, follow=True)
    assert queued == [marked_sync(acme.pk, SyncRun.Trigger.MANUAL)]


def test_refresh_with_the_broker_down_explains_and_breaks_nothing(signed_in, acme, broker_down):
    response = signed_in.post(REFRESH_URL)
    assert response.status_code == 302

    page = signed_in.get(response["Location"])
    assert page.status_code == 200
    assert "job queue is not reachable" in page.content.decode()
    acme.refresh_from_db()
    assert acme.queued_at is None


def test_refresh_answers_json_to_the_script(signed_in, acme, queued):
    answer = signed_in.post(REFRESH_URL, **JSON).json()
    assert answer["level"] == "success" and answer["message"].startswith("Sync queued")
    assert answer["status"]["phase"] == "queued"


def test_refresh_answers_json_when_the_broker_is_down(signed_in, acme, broker_down):
    response = signed_in.post(REFRESH_URL, **JSON)
    assert response.status_code == 200
    assert response.json()["level"] == "error"
    assert "not reachable" in response.json()["message"]


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/", "//evil.example/", "/\\evil.example/"]
)
def test_refresh_ignores_a_next_address_on_another_site(signed_in, acme, queued, elsewhere):
    """Browsers read "//host/" and "/\\host/" as another site too, though they start with "/"."""
    response = signed_in.post(REFRESH_URL, {"next": elsewhere})
    assert response["Location"] == "/manage/acme/jobs/"


@pytest.mark.parametrize("next_value", ["settings", "a\x00b", "history/"])
def test_refresh_goes_to_the_jobs_page_when_next_is_not_a_path_here(
    signed_in, acme, queued, next_value
):
    """Only a path of this site: a bare word was taken for a view's name (an error page) and a
    relative address was read from the refresh address."""
    response = signed_in.post(REFRESH_URL, {"next": next_value})
    assert response.status_code == 302 and response["Location"] == "/manage/acme/jobs/"


def test_refresh_opened_by_address_leads_to_the_settings_page_and_queues_nothing(
    signed_in, acme, queued
):
    """The back button or a bookmark GETs it: a blank 405 page answered."""
    response = signed_in.get(REFRESH_URL, follow=True)

    assert response.redirect_chain == [("/manage/acme/settings/", 302)]
    assert response.status_code == 200
    assert queued == []


def test_refresh_sent_signed_out_leads_back_to_the_buttons_page_once_signed_in(
    client, owner, acme, queued
):
    """Not to the refresh address, which would answer 405 to the browser's GET."""
    owner.set_password("pw-for-this-test")
    owner.save()
    elsewhere = client.post(REFRESH_URL, {"next": "https://evil.example/"})
    response = client.post(REFRESH_URL, {"next": "/manage/acme/history/"})

    assert elsewhere["Location"] == "/accounts/login/?next=/manage/acme/jobs/"
    assert response["Location"] == "/accounts/login/?next=/manage/acme/history/"
    assert queued == []
    signed_in = client.post(
        "/accounts/login/",
        {
            "username": owner.username,
            "password": "pw-for-this-test",
            "next": "/manage/acme/history/",
        },
        follow=True,
    )
    assert signed_in.redirect_chain[-1][0] == "/manage/acme/history/"
    assert signed_in.status_code == 200


SIGNED_OUT = (
    "You are signed out (in another tab, or after a while away): sign in again to see the "
    "status and refresh it."
)


def test_the_script_of_a_page_signed_out_meanwhile_is_told_so_and_where_to_sign_in(
    client, acme, owner, queued
):
    """The live status and Refresh now of a page whose session ended (signed out in another
    tab, or timed out) were sent to the sign-in page, no JSON, so the script said "Lost contact
    with the site" or "could not be sent", as if the site were down. Signing in again leads
    back to the page the script is on."""
    page = {"HTTP_REFERER": "http://testserver/manage/acme/history/", **JSON}
    elsewhere = {"HTTP_REFERER": "https://evil.example/manage/acme/history/", **JSON}
    # Of this site, but no page of this org's: a status asked for by hand, say.
    another_orgs = {"HTTP_REFERER": "http://testserver/manage/tiny/history/", **JSON}
    answers = {
        "/accounts/login/?next=/manage/acme/history/": (
            client.get(STATUS_URL, **page),
            client.post(REFRESH_URL, {"next": "/manage/acme/history/"}, **JSON),
        ),
        "/accounts/login/?next=/manage/acme/settings/": (
            client.get(STATUS_URL, **elsewhere),
            client.get(STATUS_URL, **another_orgs),
        ),
    }

    for sign_in_at, responses in answers.items():
        for response in responses:
            assert response.status_code == 401
            assert response.json() == {
                "error": "signed_out",
                "level": "error",
                "message": SIGNED_OUT,
                "link": {"url": sign_in_at, "text": "Sign in again"},
            }
    # Without the script: the sign-in page, as before.
    assert client.get(STATUS_URL)["Location"] == "/accounts/login/?next=/manage/acme/status.json"
    assert queued == []


def test_the_script_of_a_page_signed_out_meanwhile_is_logged_at_info(client, acme, caplog):
    """Django wrote a WARNING for each of these 401s, one per open tab whose script asked: a
    session that ended is expected, nothing for an operator to look into. Each keeps Django's
    status_code and request, which LOG_FORMAT=json writes as fields of the line."""
    with caplog.at_level(logging.INFO, logger="django.request"):
        client.get(STATUS_URL, **JSON)
        client.post(REFRESH_URL, {"next": "/manage/acme/history/"}, **JSON)

    assert [
        (record.levelname, record.getMessage(), record.status_code, record.request.path)
        for record in caplog.records
        if record.name == "django.request"
    ] == [
        ("INFO", f"Unauthorized: {STATUS_URL}", 401, STATUS_URL),
        ("INFO", f"Unauthorized: {REFRESH_URL}", 401, REFRESH_URL),
    ]


@pytest.mark.parametrize(
    ("meanwhile", "status"), [("org deleted", "Not Found"), ("admin demoted", "Forbidden")]
)
def test_the_script_of_a_page_whose_org_or_admin_role_went_meanwhile_is_logged_at_info(
    signed_in, acme, owner, queued, caplog, meanwhile, status
):
    """Django wrote a WARNING for each of these 404s and 403s, as it did for a 401 signed out:
    each open tab's script met it, after another admin (or the same one, in another tab)
    deleted the org or took the role away, nothing for an operator to look into."""
    if meanwhile == "org deleted":
        Organization.objects.filter(slug="acme").delete()
    else:
        owner.memberships.update(role=Membership.Role.MEMBER)

    with caplog.at_level(logging.INFO, logger="django.request"):
        signed_in.get(STATUS_URL, **JSON)
        signed_in.post(REFRESH_URL, {"next": "/manage/acme/history/"}, **JSON)

    code = 404 if meanwhile == "org deleted" else 403
    assert [
        (record.levelname, record.getMessage(), record.status_code, record.request.path)
        for record in caplog.records
        if record.name == "django.request"
    ] == [
        ("INFO", f"{status}: {STATUS_URL}", code, STATUS_URL),
        ("INFO", f"{status}: {REFRESH_URL}", code, REFRESH_URL),
    ]


def test_the_sign_in_link_told_to_a_pages_script_keeps_the_pages_query_string(
    client, acme, owner, queued
):
    """It led back to the page's path alone: signed in again from the jobs list's third page,
    the first. Still only to one of the org's admin pages, as it is written: an address that
    starts as one but leads elsewhere once the browser reads its dot segments is none."""
    owner.set_password("pw-for-this-test")
    owner.save()
    next_of = {
        "http://testserver/manage/acme/jobs/?page=3": "/manage/acme/jobs/?page=3",
        "http://testserver/manage/acme/history/?": "/manage/acme/history/",
        # Its own page's words, whatever they say: the sign-in still leads to that page.
        "http://testserver/manage/acme/jobs/?page=2&next=https://evil.example/": (
            "/manage/acme/jobs/?page=2&next=https://evil.example/"
        ),
        "https://evil.example/manage/acme/jobs/?page=3": "/manage/acme/settings/",
        "http://testserver/manage/tiny/jobs/?page=3": "/manage/acme/settings/",
        "http://testserver/orgs/acme/jobs/?page=3": "/manage/acme/settings/",  # its public page
        "http://testserver//evil.example/manage/acme/jobs/?page=3": "/manage/acme/settings/",
        "http://testserver/manage/acme/../../accounts/logout/?x=1": "/manage/acme/settings/",
        "http://testserver/manage/acme/%2e%2e/%2e%2e/accounts/?x=1": "/manage/acme/settings/",
        "http://testserver/manage/acme/jobs/%2F%2Fevil.example/?x=1": "/manage/acme/settings/",
        "http://testserver/manage/acme/jobs/\\evil.example/?x=1": "/manage/acme/settings/",
        # Addresses urlsplit() refuses (ValueError: a 500, logged as an ERROR).
        "http://[/manage/acme/jobs/?page=3": "/manage/acme/settings/",
        "http://testserver]/manage/acme/jobs/?page=3": "/manage/acme/settings/",
    }

    links = {}
    for referer, page in next_of.items():
        links[referer] = client.get(STATUS_URL, HTTP_REFERER=referer, **JSON).json()["link"]
        sign_in, _, query = links[referer]["url"].partition("?")
        assert (sign_in, QueryDict(query)["next"]) == ("/accounts/login/", page), referer
    signed_in = client.post(
        links["http://testserver/manage/acme/jobs/?page=2&next=https://evil.example/"]["url"],
        {"username": owner.username, "password": "pw-for-this-test"},
    )
    assert signed_in["Location"] == "/manage/acme/jobs/?page=2&next=https://evil.example/"
    assert queued == []


def test_the_sign_in_link_told_to_a_pages_script_drops_a_query_string_too_long_to_follow(
    client, acme, queued
):
    """Kept whatever its length, a query string past 16,384 characters had Django refuse the
    redirect the link is made of: a 400 page, not the 401 in JSON. One past MAX_URL_LENGTH the
    sign-in page ignores: the page's path alone leads back to the page."""
    page = "/manage/acme/jobs/?q="
    at_the_limit = page + "x" * (MAX_URL_LENGTH - len(page))
    next_of = {
        at_the_limit: at_the_limit,
        at_the_limit + "x": "/manage/acme/jobs/",
        page + "x" * 17_000: "/manage/acme/jobs/",
    }

    for referer, expected in next_of.items():
        answer = client.get(STATUS_URL, HTTP_REFERER=f"http://testserver{referer}", **JSON)
        assert answer.status_code == 401
        sign_in, _, query = answer.json()["link"]["url"].partition("?")
        assert (sign_in, QueryDict(query)["next"]) == ("/accounts/login/", expected)
    assert queued == []


def test_refresh_needs_a_csrf_token(owner, acme, queued):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(REFRESH_URL).status_code == 403
    assert queued == []


def test_refresh_with_the_pages_csrf_token_works(owner, acme, queued):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/manage/acme/jobs/")
    token = client.cookies["csrftoken"].value
    assert client.post(REFRESH_URL, {"csrfmiddlewaretoken": token}).status_code == 302
    assert len(queued) == 1


def test_the_csrf_token_is_in_a_cookie_the_pages_script_reads(settings):
    """static/js/csrf-token-now.js sends the org pages' forms (Refresh now too) with the token
    of the cookie it names (CSRF_COOKIE), the form's being refused once signed in again in
    another tab."""
    script = (settings.BASE_DIR / "static/js/csrf-token-now.js").read_text()
    assert f'var CSRF_COOKIE = "{settings.CSRF_COOKIE_NAME}";' in script
    assert not settings.CSRF_COOKIE_HTTPONLY
    assert not settings.CSRF_USE_SESSIONS


def test_without_javascript_refresh_now_is_told_to_reload_to_see_the_outcome(
    signed_in, acme, queued
):
    """Its page as it loaded said "Queued…" for good: only the script looks again."""
    page = signed_in.post(REFRESH_URL, {"next": "/manage/acme/settings/"}, follow=True)

    hint = BeautifulSoup(page.content, "html.parser").select_one(".sync-status noscript")
    assert " ".join(hint.get_text().split()) == (
        "Without JavaScript this page does not update by itself: reload the page to see how the "
        "sync goes."
    )
    assert hint.find("a")["href"] == "/manage/acme/settings/"


@pytest.mark.parametrize(
    ("state", "told"),
    [
        ({"queued_at": timedelta(0)}, True),
        ({"lock_expires_at": timedelta(minutes=5)}, True),
        ({"retry_at": timedelta(seconds=20)}, True),  # the script would follow it
        ({"retry_at": timedelta(minutes=-2)}, False),  # nor does the script, as late
        # Past SYNC_QUEUED_STALE_SECONDS, not started: the script looks once a minute.
        ({"queued_at": timedelta(hours=-1)}, True),
        ({}, False),
    ],
)
def test_a_page_without_javascript_says_to_reload_while_a_sync_is_coming(
    signed_in, acme, state, told
):
    now = timezone.now()
    GreenhouseConnection.objects.update(
        last_attempt_at=now - timedelta(minutes=5), **{k: now + v for k, v in state.items()}
    )

    for path in ("/manage/acme/settings/", "/manage/acme/jobs/?page=1", "/manage/acme/history/"):
        page = BeautifulSoup(signed_in.get(path).content, "html.parser")
        link = page.select_one(".sync-status noscript a")
        assert (link["href"] if link else None) == (path if told else None)


# --- status.json -------------------------------------------------------------------------------


def test_the_status_of_a_queued_sync(signed_in, acme, queued):
    signed_in.post(REFRESH_URL)
    status = signed_in.get(STATUS_URL).json()
    assert status["phase"] == "queued" and status["message"] == "Queued…"
    assert status["queued"] is True and status["running"] is False


def test_a_sync_queued_for_long_says_the_workers_are_busy_or_down(acme, settings):
    queued_at = timezone.now() - timedelta(seconds=QUEUED_LONG_SECONDS + 1)
    GreenhouseConnection.objects.update(queued_at=queued_at)

    status = sync_status(organization=acme.organization)

    assert status["phase"] == "queued"
    assert status["message"] == (
        f"Queued at {moment_text(queued_at)} and still waiting: the site's workers are busy or "
        "down. It runs as soon as one is free; if this lasts, tell whoever runs this site."
    )


def test_the_status_of_a_running_sync(signed_in, acme):
    acquire_sync_lock(acme)
    start_sync_run(acme, trigger=SyncRun.Trigger.MANUAL)
    status = signed_in.get(STATUS_URL).json()
    assert (status["phase"], status["message"], status["running"]) == ("running", "Running…", True)
    assert status["latest_run"]["outcome"] == "running"


def test_the_status_of_a_finished_sync_has_its_counts_in_words(signed_in, acme, fake_greenhouse):
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)
    fake_greenhouse.jobs("acme-robotics").pop()
    fake_greenhouse.jobs("acme-robotics")[0]["title"] = "Renamed in Greenhouse"
    fake_greenhouse.touch("acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    response = signed_in.get(STATUS_URL)

    assert response["Cache-Control"].startswith("max-age=0")
    status = response.json()
    assert status["phase"] == "finished"
    assert status["message"] == "Finished: 1 updated, 1 closed"
    assert status["latest_run"]["summary"] == "1 updated, 1 closed"
    assert status["latest_run"]["changed_jobs"] is True
    assert status["latest_run"]["trigger"] == "manual"
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)  # the same board again
    assert signed_in.get(STATUS_URL).json()["latest_run"]["changed_jobs"] is False
    assert status["state"] == "ok" and status["last_error"] == ""
    assert status["last_success_at"] and status["last_attempt_at"]
    assert status["board_name"] == "Acme Robotics"


def test_the_status_names_the_posts_a_sync_skipped_and_why_until_they_are_fixed(
    signed_in, acme, fake_greenhouse
):
    """Only the org's admins can fix a post in Greenhouse; "1 skipped" told them nothing."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[0]["title"] = "  "
    posts.append({**posts[1], "title": "An impostor"})  # its id twice, with other content
    posts.append({**posts[2], "id": "R-42"})
    fake_greenhouse.touch("acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    expected = (
        f"3 not imported: job post {posts[0]['id']} has no title; job post {posts[1]['id']} "
        "listed again with other content (a duplicate id); the first that can be imported is "
        "kept; a post with no "
        f"valid id (“{posts[2]['title']}”). {FOR_ID} Once the other is fixed in Greenhouse, the "
        "next sync imports it."
    )
    assert signed_in.get(STATUS_URL).json()["skipped_text"] == expected
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)  # the same board, not parsed again
    assert escape(expected) in signed_in.get("/manage/acme/jobs/").content.decode()

    posts[0]["title"] = "Fixed"
    del posts[-2:]
    fake_greenhouse.touch("acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)
    assert signed_in.get(STATUS_URL).json()["skipped_text"] == ""
    assert "<dt>Skipped posts</dt><dd" in signed_in.get("/manage/acme/settings/").content.decode()


def test_the_status_names_the_first_reasons_kept_and_counts_the_skipped_posts_past_them(
    signed_in, acme, fake_greenhouse
):
    posts = fake_greenhouse.jobs("acme-robotics")
    for number in range(12):
        posts.append({**posts[0], "id": f"R-{number}", "title": f"Orphan {number}"})
    fake_greenhouse.touch("acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    kept = "; ".join(f"a post with no valid id (“Orphan {number}”)" for number in range(10))
    expected = f"12 not imported: {kept}; and 2 more. {FOR_ID}"
    assert signed_in.get(STATUS_URL).json()["skipped_text"] == expected


@pytest.mark.parametrize(
    ("break_board", "reason", "remedy"),
    [
        (
            lambda posts: posts[1].update(title=""),
            "job post {id} has no title",
            "Once fixed in Greenhouse, the next sync imports it.",
        ),
        (
            lambda posts: posts[1].update(absolute_url="https://boards.greenhouse.io:99999/a/1"),
            "job post {id} has an application link whose port is not a number from 1 to 65535",
            "Once fixed in Greenhouse, the next sync imports it.",
        ),
        # Greenhouse gives the ids: no edit of a post in Greenhouse fixes these.
        (
            lambda posts: posts.append({**posts[1], "title": "An impostor"}),
            "job post {id} listed again with other content (a duplicate id); the first that can be "
            "imported is kept",
            FOR_ID,
        ),
        (
            lambda posts: posts.append({**posts[1], "id": None, "title": "An orphan"}),
            "a post with no valid id (“An orphan”)",
            FOR_ID,
        ),
    ],
    ids=["no title", "bad link", "duplicate id", "no id"],
)
def test_the_skipped_posts_say_what_fixes_them_for_each_reason(
    signed_in, acme, fake_greenhouse, break_board, reason, remedy
):
    posts = fake_greenhouse.jobs("acme-robotics")
    break_board(posts)
    fake_greenhouse.touch("acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    assert signed_in.get(STATUS_URL).json()["skipped_text"] == (
        f"1 not imported: {reason.format(id=posts[1]['id'])}. {remedy}"
    )


@pytest.mark.parametrize(
    ("orphans", "remedy"),
    [
        (0, "Once fixed in Greenhouse, the next sync imports them."),
        (1, f"{FOR_ID} Once the others are fixed in Greenhouse, the next sync imports them."),
    ],
)
def test_the_skipped_posts_fixable_in_greenhouse_are_spoken_of_as_several(
    signed_in, acme, fake_greenhouse, orphans, remedy
):
    """One of them is "it" (test_the_skipped_posts_say_what_fixes_them_for_each_reason)."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[0]["title"] = posts[1]["title"] = ""
    for number in range(orphans):
        posts.append({**posts[2], "id": f"R-{number}"})
    fake_greenhouse.touch("acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    assert signed_in.get(STATUS_URL).json()["skipped_text"].endswith(remedy)


def test_two_broken_copies_of_one_id_are_one_post_to_fix_and_a_duplicate(
    signed_in, acme, fake_greenhouse
):
    # "Once fixed in Greenhouse, the next sync imports them": fixed, the second is still the
    # first's duplicate, and skipped as such.
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[1]["title"] = ""
    posts.append({**posts[1], "title": " ", "requisition_id": "another"})
    fake_greenhouse.touch("acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    assert signed_in.get(STATUS_URL).json()["skipped_text"] == (
        f"2 not imported: job post {posts[1]['id']} has no title; job post {posts[1]['id']} "
        "listed again with other content (a duplicate id); no copy can be imported yet, and the "
        f"first that can will be kept. {FOR_ID} Once the other is fixed in Greenhouse, the next "
        "sync imports it."
    )


def test_a_post_listed_twice_as_it_is_is_not_named_as_not_imported(
    signed_in, acme, fake_greenhouse
):
    # It is imported once; "1 not imported … once fixed in Greenhouse" sent the admins looking
    # for a fault in a post that is on the site.
    posts = fake_greenhouse.jobs("acme-robotics")
    posts.append({**posts[1]})
    fake_greenhouse.touch("acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    status = signed_in.get(STATUS_URL).json()
    assert status["skipped_text"] == ""
    assert status["message"] == f"Finished: {len(posts) - 1} new"
    history = signed_in.get("/manage/acme/history/").content.decode()
    assert f'data-label="Result">{len(posts) - 1} new</td>' in history
    assert acme.organization.jobs.filter(greenhouse_id=posts[1]["id"], is_open=True).count() == 1


def test_names_from_greenhouse_on_the_status_cannot_reorder_the_text_after_them(
    signed_in, acme, fake_greenhouse
):
    # U+202E left open in a skipped post's title reversed the reasons and sentence after it.
    posts = fake_greenhouse.jobs("acme-robotics")
    posts.append({**posts[2], "id": "R-42", "title": "Robot \u202eWhisperer"})
    fake_greenhouse.touch("acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    assert signed_in.get(STATUS_URL).json()["skipped_text"] == (
        f"1 not imported: a post with no valid id (“Robot Whisperer”). {FOR_ID}"
    )
    # The board's name is the element's only text (the page's script replaces it): its dir
    # isolates it from the token after it.
    page = signed_in.get("/manage/acme/settings/").content.decode()
    assert 'data-field="board_name" dir="auto">Acme Robotics</strong>' in page


def test_the_status_of_a_failed_sync_gives_the_reason(signed_in, acme, fake_greenhouse):
    fake_greenhouse.remove_board("acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    status = signed_in.get(STATUS_URL).json()

    assert status["phase"] == "failed"
    assert status["message"].startswith("Failed: Greenhouse has no job board with the token")
    assert status["state"] == "invalid_token" and status["state_text"] == "Invalid board token"
    assert status["latest_run"]["error_message"] == status["last_error"]


def test_a_saved_token_that_no_longer_passes_the_check_is_an_invalid_token(signed_in, acme):
    # As saved before the form's check was what it is now: no request can be made with it.
    GreenhouseConnection.objects.update(board_token="acme robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    status = signed_in.get(STATUS_URL).json()

    assert status["state"] == "invalid_token" and status["state_text"] == "Invalid board token"
    assert status["last_error"].startswith("A board token has only letters, digits")


def test_a_failure_seen_while_paused_does_not_promise_another_try(acme, fake_greenhouse):
    fake_greenhouse.fail_next("acme-robotics", "status", status=503, times=10)  # past its retries
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)
    assert "the sync will try again later" in sync_status(organization=acme.organization)["message"]
    GreenhouseConnection.objects.update(enabled=False)

    status = sync_status(organization=acme.organization)

    for text in (status["message"], status["last_error"]):
        assert "try again later" not in text
        assert text.endswith("(HTTP 503); syncing is paused, so no sync will try again.")


def test_a_run_left_running_by_a_dead_worker_shows_as_failed(acme):
    acquire_sync_lock(acme)
    start_sync_run(acme, trigger=SyncRun.Trigger.MANUAL)
    GreenhouseConnection.objects.update(lock_expires_at=timezone.now())  # its worker is gone
    status = sync_status(organization=acme.organization)
    assert status["phase"] == "failed" and "worker stopped" in status["message"]


def test_after_connecting_another_board_the_old_boards_runs_say_nothing_of_it(acme):
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    connection_save(organization=acme.organization, board=check_board("tiny-co"))

    status = sync_status(organization=acme.organization)

    assert status["board_token"] == "tiny-co" and status["state_text"] == "Never synced"
    assert (status["phase"], status["message"]) == ("idle", "No sync has run yet.")
    assert status["last_success_text"] == status["last_attempt_text"] == "never"

    sync_organization(GreenhouseConnection.objects.get(), trigger=SyncRun.Trigger.COMMAND)
    status = sync_status(organization=acme.organization)
    assert status["phase"] == "finished" and "6 closed" in status["message"]  # acme's jobs


@pytest.mark.parametrize("outcome", ["success", "time limit"])
def test_the_last_attempt_is_never_older_than_its_own_outcome(
    signed_in, acme, fake_greenhouse, monkeypatch, outcome
):
    """A sync whose fetch took two minutes read "Last success 01:20, Last attempt 01:18" (or
    "Failing since 01:32, Last attempt 01:30"): the attempt was dated by its start."""
    real_fetch = GreenhouseClient.fetch_jobs_response
    real_now = timezone.now

    def slow_fetch(self, token, **validators):
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(minutes=2))
        if outcome == "time limit":
            raise SoftTimeLimitExceeded()
        return real_fetch(self, token, **validators)

    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", slow_fetch)
    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    connection = GreenhouseConnection.objects.get()
    outcome_at = connection.last_success_at or connection.failing_since
    ended_at = SyncRun.objects.get().finished_at
    assert outcome_at <= sync_status(organization=acme.organization)["last_attempt_at"] == ended_at
    # The page and its script (which writes status.json's words) say the same.
    ended_text = moment_text(ended_at)
    assert ended_text != moment_text(connection.last_attempt_at)
    assert signed_in.get(STATUS_URL).json()["last_attempt_text"] == ended_text
    page = signed_in.get("/manage/acme/settings/").content.decode()
    assert f'data-field="last_attempt_text">{ended_text}</dd>' in page


def test_the_last_attempt_of_a_sync_still_running_is_its_start(acme):
    acquire_sync_lock(acme)
    start_sync_run(acme, trigger=SyncRun.Trigger.MANUAL)
    status = sync_status(organization=acme.organization)
    assert status["phase"] == "running" and status["last_attempt_at"] == acme.last_attempt_at


def test_a_lost_queue_marker_does_not_show_as_queued_forever(acme, settings):
    """Not "queued", which the page's script looks at every 1.5 s while it lasts."""
    stale = timezone.now() - timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS + 1)
    GreenhouseConnection.objects.update(queued_at=stale)
    status = sync_status(organization=acme.organization)
    assert status["phase"] == "not_started" and status["queued"] is False


@pytest.mark.parametrize("ran_before", [True, False])
def test_a_sync_queued_past_its_marks_life_says_it_has_not_started(
    signed_in, acme, settings, ran_before
):
    """Its mark is cleared only as a sync starts, or its task skips it: the page said how the
    sync before it went ("Finished: 3 new"), as if the one asked for had run, or "No sync has
    run yet." as if none had been asked for."""
    queued_at = timezone.now() - timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS + 1)
    marks = {"queued_at": queued_at}
    if ran_before:  # before that sync was queued
        assert sync_organization(acme, trigger=SyncRun.Trigger.MANUAL).ok
        marks["last_attempt_at"] = queued_at - timedelta(minutes=1)
        SyncRun.objects.update(started_at=marks["last_attempt_at"], finished_at=queued_at)
    GreenhouseConnection.objects.update(**marks)

    said = (
        f"Queued at {moment_text(queued_at)} and not started since: the site's workers are busy "
        "or down, or the queued sync was lost. Tell whoever runs this site; Refresh now can "
        "queue it again."
    )
    assert signed_in.get(STATUS_URL).json()["message"] == said
    page = BeautifulSoup(signed_in.get("/manage/acme/settings/").content, "html.parser")
    assert page.select_one('.sync-status [data-field="message"]').get_text() == said
    # Refresh now queues another: the dispatcher and it no longer wait for that one.
    assert signed_in.post(REFRESH_URL, **JSON).json()["status"]["message"] == "Queued…"


def test_refresh_now_queues_again_a_sync_said_not_started_whatever_the_marks_life(
    signed_in, acme, settings
):
    """SYNC_QUEUED_STALE_SECONDS may be as short as 30 s: past it, the page said Refresh now
    could queue the sync again, and Refresh now, waiting its own 2 minutes, answered "A sync is
    already queued"."""
    settings.SYNC_QUEUED_STALE_SECONDS = 30
    queued_at = timezone.now() - timedelta(seconds=31)
    GreenhouseConnection.objects.update(queued_at=queued_at)
    assert signed_in.get(STATUS_URL).json()["phase"] == "not_started"

    answer = signed_in.post(REFRESH_URL, **JSON).json()

    assert (answer["message"], answer["status"]["message"]) == (
        "Sync queued. Its progress shows below.",
        "Queued…",
    )


@pytest.mark.parametrize(("cooldown", "warned"), [(960, True), (900, False), (30, False)])
def test_check_warns_of_a_refresh_cooldown_longer_than_a_queued_marks_life(
    signed_in, acme, queued, settings, cooldown, warned
):
    """Past SYNC_QUEUED_STALE_SECONDS the page says Refresh now can queue the sync again; with
    SYNC_REFRESH_COOLDOWN_SECONDS the longer, Refresh now, cooled down from the sync attempted
    before that one was queued, refused it."""
    settings.SYNC_QUEUED_STALE_SECONDS = 900
    settings.SYNC_REFRESH_COOLDOWN_SECONDS = cooldown
    now = timezone.now()
    GreenhouseConnection.objects.update(
        last_attempt_at=now - timedelta(seconds=902), queued_at=now - timedelta(seconds=901)
    )
    assert signed_in.get(STATUS_URL).json()["phase"] == "not_started"
    refused = not signed_in.post(REFRESH_URL, **JSON).json()["status"]["queued"]

    found = [message.id for message in run_checks()]

    assert refused is warned
    assert ("orgsite.W011" in found) is warned


@pytest.mark.parametrize("refused_for", ["cooldown", "greenhouse_wait"])
def test_refresh_now_refused_for_a_sync_said_not_started_names_the_reason_not_that_one_is_queued(
    signed_in, acme, queued, settings, refused_for
):
    """The page said the sync had not started and that Refresh now could queue it again;
    refused for the cooldown (longer than the mark's life: orgsite.W011) or for a wait
    Greenhouse asked for, Refresh now answered "A sync is already queued", as the mark was
    still set, and named neither."""
    settings.SYNC_QUEUED_STALE_SECONDS = 900
    settings.SYNC_REFRESH_COOLDOWN_SECONDS = 960 if refused_for == "cooldown" else 30
    now = timezone.now()
    wait_until = now + timedelta(hours=1) if refused_for == "greenhouse_wait" else None
    GreenhouseConnection.objects.update(
        last_attempt_at=now - timedelta(seconds=902),
        queued_at=now - timedelta(seconds=901),
        greenhouse_wait_until=wait_until,
    )
    assert signed_in.get(STATUS_URL).json()["phase"] == "not_started"

    message = signed_in.post(REFRESH_URL, **JSON).json()["message"]

    assert queued == []
    assert message == (
        "Greenhouse was asked less than 960 seconds ago; try again in a moment."
        if refused_for == "cooldown"
        else f"Greenhouse asked this site to wait until {wait_end_text(wait_until)} before "
        "asking again, so no sync was queued. Refresh now works again after that."
    )


def test_a_paused_orgs_sync_queued_past_its_marks_life_is_not_said_to_be_coming(acme, settings):
    """Its task skips it, clearing the mark, once a worker takes it."""
    queued_at = timezone.now() - timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS + 1)
    GreenhouseConnection.objects.update(queued_at=queued_at, enabled=False)
    status = sync_status(organization=acme.organization)
    assert (status["phase"], status["message"]) == ("idle", "No sync has run yet.")


def test_a_failing_connection_says_since_when(acme):
    since = timezone.now() - timedelta(hours=2)
    GreenhouseConnection.objects.update(state="failing", failing_since=since, enabled=False)
    text = sync_status(organization=acme.organization)["state_text"]
    assert text.startswith("Failing since ") and text.endswith("(syncing paused)")


def test_the_status_says_when_the_schedule_syncs_next(signed_in, acme, fake_greenhouse):
    assert sync_status(organization=acme.organization)["next_sync_text"] == "due now"  # new

    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)

    connection = GreenhouseConnection.objects.get()
    status = sync_status(organization=acme.organization)
    assert status["next_sync_at"] == connection.last_success_at + connection.sync_interval
    assert status["next_sync_text"] == moment_text(status["next_sync_at"])
    page = signed_in.get("/manage/acme/settings/").content.decode()
    assert f'data-field="next_sync_text">{status["next_sync_text"]}</dd>' in page

    GreenhouseConnection.objects.update(enabled=False)
    status = sync_status(organization=acme.organization)
    assert (status["next_sync_at"], status["next_sync_text"]) == (None, "paused")


@pytest.mark.parametrize(
    ("retry_in", "enabled", "said"),
    [
        (timedelta(seconds=20), True, 20.0),
        (timedelta(seconds=-30), True, 0.0),  # late: the page looks again now
        (timedelta(minutes=-2), True, None),  # late for long: left to a reload
        (timedelta(seconds=20), False, None),  # paused
        (None, True, None),
    ],
)
def test_the_status_says_when_the_task_retries_a_failed_sync(acme, retry_in, enabled, said):
    """For the page that followed the sync to its failure to follow its retry too."""
    now = timezone.now()
    GreenhouseConnection.objects.update(
        retry_at=retry_in and now + retry_in, enabled=enabled, last_attempt_at=now
    )

    status = sync_status(organization=acme.organization, now=now)

    assert status["retry_in_seconds"] == said


@pytest.mark.parametrize(
    ("retry_in", "said"),
    [
        (timedelta(seconds=20), "7 Dec 2026, 10:30:25 UTC"),
        (timedelta(seconds=59), "7 Dec 2026, 10:31:04 UTC"),
        (timedelta(minutes=1, seconds=40), "7 Dec 2026, 10:31:45 UTC"),
        (timedelta(minutes=15), "7 Dec 2026, 10:45:05 UTC"),
        (timedelta(minutes=1, seconds=40, microseconds=400_000), "7 Dec 2026, 10:31:46 UTC"),
    ],
)
def test_a_retry_is_said_to_the_second(acme, retry_in, said):
    """Cut to the minute, as other times are, a retry 20 seconds away read as the minute now
    ("10:30" at 10:30:05), as if due or late: a first retry is 15-30 seconds away. So did one
    1 min 40 s away, past the minute: "10:31" of a retry at 10:31:45, up to 45 s before it ran.
    The task retries at its second, at most 15 minutes on (RETRY_MAX_SECONDS). A retry within
    a second is named by its end, as Refresh now names the end of Greenhouse's wait."""
    now = datetime(2026, 12, 7, 10, 30, 5, tzinfo=UTC)
    GreenhouseConnection.objects.update(retry_at=now + retry_in, last_attempt_at=now)

    status = sync_status(organization=acme.organization, now=now)

    assert status["next_sync_text"] == f"{said}, a retry after the failure"


@pytest.mark.parametrize("late", [timedelta(seconds=1), timedelta(seconds=50)])
def test_a_retry_due_and_not_started_yet_is_the_next_sync(signed_in, acme, late):
    """Its time passed, a retry no worker has started yet (starting clears its mark) runs as
    one takes it: every page, and status.json for the script, said the schedule's next time
    instead, an interval after the failure, as if no retry were coming."""
    now = timezone.now()
    GreenhouseConnection.objects.update(
        retry_at=now - late,
        next_sync_at=now + timedelta(hours=1),
        last_attempt_at=now - late - timedelta(seconds=20),
        state="failing",
    )

    said = "due now, a retry after the failure"
    assert signed_in.get(STATUS_URL).json()["next_sync_text"] == said
    for page in ("settings", "jobs", "history"):
        html = BeautifulSoup(signed_in.get(f"/manage/acme/{page}/").content, "html.parser")
        assert html.select_one('[data-field="next_sync_text"]').get_text() == said


@pytest.mark.parametrize(
    ("retry_in", "next_sync"),
    [
        (timedelta(seconds=20), "the retry"),
        (timedelta(seconds=-30), "the retry"),  # due, not started yet: "due now"
        (timedelta(minutes=-2), "the schedule"),  # late for long: either may come first
        (None, "the schedule"),
    ],
)
def test_status_json_gives_the_time_of_the_sync_its_words_name(
    signed_in, acme, retry_in, next_sync
):
    """A retry coming, next_sync_at was the schedule's time, an interval after the failure,
    while next_sync_text named the retry: a program reading the time waited an hour for a sync
    that ran in 20 seconds."""
    now = timezone.now().replace(microsecond=0)
    schedule = now + timedelta(hours=1)
    retry_at = retry_in and now + retry_in
    GreenhouseConnection.objects.update(
        retry_at=retry_at, next_sync_at=schedule, last_attempt_at=now - timedelta(minutes=3)
    )

    status = signed_in.get(STATUS_URL).json()

    expected = retry_at if next_sync == "the retry" else schedule
    assert datetime.fromisoformat(status["next_sync_at"]) == expected
    assert ("a retry after the failure" in status["next_sync_text"]) is (retry_in is not None)


@pytest.mark.parametrize("schedule_in", [timedelta(hours=1), timedelta(seconds=-1)])
def test_a_retry_late_for_long_says_so_and_the_schedules_sync_beside_it(acme, schedule_in):
    """Late for long (a worker busy or down, its message lost), the page no longer looks for
    it and the dispatcher no longer holds off for it: either may come first."""
    now = datetime(2026, 12, 7, 10, 30, 5, tzinfo=UTC)
    GreenhouseConnection.objects.update(
        retry_at=now - timedelta(minutes=2, microseconds=300_000),
        next_sync_at=now + schedule_in,
        last_attempt_at=now - timedelta(minutes=3),
    )

    status = sync_status(organization=acme.organization, now=now)

    schedule = "7 Dec 2026, 11:30 UTC" if schedule_in > timedelta(0) else "due now"
    assert status["next_sync_text"] == (
        "7 Dec 2026, 10:28:05 UTC, a retry after the failure, not started yet (the site's "
        f"workers may be busy or down); otherwise the schedule's sync, {schedule}"
    )
    assert status["retry_in_seconds"] is None


@pytest.mark.parametrize(
    ("past_the_edge", "looked_for"), [(timedelta(0), True), (timedelta(microseconds=1), False)]
)
def test_a_retry_is_said_due_exactly_as_long_as_the_page_looks_for_it(
    acme, past_the_edge, looked_for
):
    """The words and the script's looks part at the same instant, RETRY_LATE_SECONDS after the
    retry's time: a page told "due now" and no longer looking, or looking for a retry said to be
    late, said one thing and did another."""
    now = datetime(2026, 12, 7, 10, 30, 5, tzinfo=UTC)
    GreenhouseConnection.objects.update(
        retry_at=now - timedelta(seconds=RETRY_LATE_SECONDS) - past_the_edge,
        next_sync_at=now + timedelta(hours=1),
        last_attempt_at=now - timedelta(minutes=3),
    )

    status = sync_status(organization=acme.organization, now=now)

    due = status["next_sync_text"] == "due now, a retry after the failure"
    assert (due, status["retry_in_seconds"]) == ((True, 0) if looked_for else (False, None))


def test_the_next_sync_of_an_org_due_within_greenhouses_wait_is_at_the_waits_end(acme):
    """The dispatcher waits it out: "due now" said otherwise, as Refresh now said to wait."""
    now = timezone.now()
    wait_until = (now + timedelta(days=1)).replace(second=0, microsecond=0)
    GreenhouseConnection.objects.update(
        next_sync_at=now - timedelta(minutes=1), greenhouse_wait_until=wait_until
    )

    status = sync_status(organization=acme.organization, now=now)

    assert status["next_sync_at"] == wait_until
    assert status["next_sync_text"] == moment_text(wait_until, seconds=True)


def test_the_next_sync_at_greenhouses_waits_end_names_the_second_refresh_now_names(
    signed_in, acme, queued
):
    """Cut to the minute, it said 10:30 beside Refresh now's "wait until 10:31", the same
    wait's end."""
    wait_until = (timezone.now() + timedelta(days=1)).replace(
        hour=10, minute=30, second=55, microsecond=400_000
    )
    GreenhouseConnection.objects.update(greenhouse_wait_until=wait_until)

    refused = signed_in.post(REFRESH_URL, **JSON).json()

    said = f"{wait_until:%-d %b %Y}, 10:30:56 UTC"
    assert f"wait until {said} before asking again" in refused["message"]
    assert refused["status"]["next_sync_text"] == said


def test_refresh_now_and_the_retry_waiting_out_greenhouses_wait_name_the_same_second(
    signed_in, acme, queued
):
    """A sync Greenhouse asked to wait is retried as the wait ends: Refresh now, pressed
    meanwhile, said "wait until 10:32" (the minute it is over in) and the settings page "Next
    sync: 10:31:46, a retry after the failure" (its second), of the same wait's end."""
    wait_until = (timezone.now() + timedelta(minutes=10)).replace(microsecond=200_000)
    GreenhouseConnection.objects.update(
        greenhouse_wait_until=wait_until,
        retry_at=wait_until + timedelta(microseconds=500_000),
        last_attempt_at=timezone.now() - timedelta(minutes=1),
    )

    refused = signed_in.post(REFRESH_URL, **JSON).json()
    page = signed_in.get("/manage/acme/settings/").content.decode()

    said = moment_text(wait_until.replace(microsecond=0) + timedelta(seconds=1), seconds=True)
    assert f"wait until {said} before asking again" in refused["message"]
    assert refused["status"]["next_sync_text"] == f"{said}, a retry after the failure"
    assert f"{said}, a retry after the failure" in page


def test_the_same_board_connected_again_within_the_cooldown_syncs_at_greenhouses_waits_end(
    signed_in, acme, queued, fake_greenhouse, monkeypatch
):
    """Its sync not queued (Greenhouse asked seconds ago), the board was made due at once, and
    the dispatcher asked Greenhouse within a minute, within the hour its Retry-After asked for."""
    now = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    wait_until = now + timedelta(hours=1)
    GreenhouseConnection.objects.update(
        last_attempt_at=now - timedelta(seconds=5), greenhouse_wait_until=wait_until
    )

    response = signed_in.post(
        "/manage/acme/settings/",
        {"action": "connect", "board_token": acme.board_token, "api_key": ""},
        follow=True,
    )

    assert (
        queued == []
        and (
            f"Greenhouse asked this site to wait until {wait_end_text(wait_until)} before asking "
            "again: it syncs then."
        )
        in response.content.decode()
    )
    acme.refresh_from_db()
    assert acme.next_sync_at == wait_until
    assert enqueue_due_syncs() == []


def test_another_board_connected_within_greenhouses_wait_syncs_at_once(acme, queued):
    """Its board's history, the wait among it, is cleared: its check was just answered."""
    GreenhouseConnection.objects.update(greenhouse_wait_until=timezone.now() + timedelta(hours=1))

    connected = connection_connect(
        organization=acme.organization, board=Board(token="another-board", name="Another")
    )

    assert connected.sync is RefreshOutcome.QUEUED
    assert connected.connection.next_sync_at <= timezone.now()


def test_while_a_sync_runs_the_next_sync_is_not_its_lease(acme, fake_greenhouse):
    """While a sync runs, the org is due at its lease's end (should the worker die); that is
    not when the schedule syncs it, which the sync sets as it ends."""
    GreenhouseConnection.objects.update(sync_interval_minutes=24 * 60)
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    connection = GreenhouseConnection.objects.get()
    tomorrow = moment_text(connection.next_sync_at)
    assert sync_status(organization=acme.organization)["next_sync_text"] == tomorrow

    lease = acquire_sync_lock(connection)  # Refresh now's sync, running
    assert lease
    assert sync_status(organization=acme.organization)["next_sync_text"] == (
        "set when the running sync ends"
    )


def test_while_a_sync_runs_status_json_gives_no_next_sync_time_as_its_words_name_none(
    signed_in, acme
):
    """status.json gave the lease's end as next_sync_at (when a dead worker's sync is tried
    again), beside next_sync_text saying the time is set when the running sync ends: a program
    reading it waited for a sync at a time nothing had set."""
    GreenhouseConnection.objects.update(next_sync_at=timezone.now() + timedelta(hours=1))
    assert acquire_sync_lock(GreenhouseConnection.objects.get())

    status = signed_in.get(STATUS_URL).json()

    assert (status["running"], status["next_sync_at"], status["next_sync_text"]) == (
        True,
        None,
        "set when the running sync ends",
    )


def test_the_status_of_an_unconnected_org(signed_in, acme):
    GreenhouseConnection.objects.all().delete()
    status = signed_in.get(STATUS_URL).json()
    assert status == {
        "connected": False,
        "latest_run": None,
        "phase": "idle",
        "message": "Not connected to Greenhouse.",
    }


def test_the_pages_carry_the_status_url_and_the_script(signed_in, acme):
    page = signed_in.get("/manage/acme/jobs/").content.decode()
    assert f'data-status-url="{STATUS_URL}"' in page
    assert '<script src="/static/js/sync-status.js" defer></script>' in page
    # Once: base.html loads it on every page of a signed-in user.
    assert page.count('<script src="/static/js/csrf-token-now.js" defer></script>') == 1
    assert "<script>" not in page  # no inline script: a CSP will forbid it


# --- History -----------------------------------------------------------------------------------


def test_the_history_lists_recent_runs_with_trigger_duration_counts_and_error(
    signed_in, acme, fake_greenhouse, settings
):
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "status", status=503)
    sync_organization(acme, trigger=SyncRun.Trigger.SCHEDULE)

    page = signed_in.get("/manage/acme/history/").content.decode()

    assert "Command line" in page and "Schedule" in page
    assert "6 new" in page
    assert "Greenhouse is having trouble (HTTP 503)" in page
    assert page.count(" s</td>") == 2  # both durations


@pytest.mark.parametrize(
    ("duration", "shown"),
    [
        (timedelta(milliseconds=40), "under 0.1 s"),
        (timedelta(milliseconds=100), "0.1 s"),
        (timedelta(seconds=2, milliseconds=380), "2.4 s"),
    ],
)
def test_the_history_gives_a_runs_duration_to_a_tenth_of_a_second_or_under_it(
    signed_in, acme, duration, shown
):
    """A sync of a small board takes 40 ms: it read "0.0 s", as if it took no time."""
    started_at = timezone.now()
    SyncRun.objects.create(
        organization=acme.organization,
        trigger="schedule",
        started_at=started_at,
        finished_at=started_at + duration,
    )

    page = signed_in.get("/manage/acme/history/").content.decode()

    assert f'data-label="Duration">{shown}</td>' in page


@pytest.mark.parametrize(
    ("moment", "said"),
    [
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "1 Nov 2026, 01:30 EDT"),
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "1 Nov 2026, 01:30 EST"),
        (datetime(2026, 11, 1, 7, 30, tzinfo=UTC), "1 Nov 2026, 02:30 EST"),
    ],
)
def test_a_moment_of_the_hour_a_fall_back_repeats_is_named_with_its_zone(settings, moment, said):
    """Django's date format names no zone of a time the clock reads twice: "1 Nov 2026, 01:30 "
    was said of 01:30 EDT and of 01:30 EST, an hour apart, and a wait ending in that hour was
    said to end at one or the other."""
    settings.TIME_ZONE = "America/New_York"

    assert moment_text(moment) == said
    assert wait_end_text(moment - timedelta(microseconds=1)) == said.replace(":30", ":30:00")


def test_the_history_dates_its_runs_as_html_allows_to_the_second(signed_in, acme):
    started_at = timezone.now().replace(microsecond=654321)
    SyncRun.objects.create(
        organization=acme.organization, trigger="schedule", started_at=started_at
    )

    page = BeautifulSoup(signed_in.get("/manage/acme/history/").content, "html.parser")

    on_the_second = timezone.localtime(started_at).replace(microsecond=0).isoformat()
    assert [time["datetime"] for time in page.select("tbody time")] == [on_the_second]


def test_runs_and_the_heartbeat_name_their_times_in_the_sites_zone(settings):
    """As the admin's date fields do: the same run read 12:00 in its title and 8 a.m. below."""
    settings.TIME_ZONE = "America/New_York"
    noon_utc = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    run = SyncRun(organization=Organization(name="Acme"), trigger="schedule", started_at=noon_utc)

    assert str(run).endswith("at 2026-07-01 08:00 EDT")
    assert str(SchedulerHeartbeat(last_tick_at=noon_utc)).endswith("2026-07-01 08:00:00 EDT")
