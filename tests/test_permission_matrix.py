"""Who may do what, for every URL of the site.

The URLs come from the URL conf itself, so a new URL fails here until someone writes down who
may use it. Each is asked for with GET and with POST by five personas: anonymous, a member of
acme (not an admin), the admin of another org, acme's admin, and staff (a superuser). Every POST
is also sent without a CSRF token, which must be refused, and no HEAD or GET may change a row,
send an email or queue a sync. The Django admin's per-model URLs are covered through the admin's
registry (each model's list, for each persona) rather than one by one. The POSTs here are empty,
which change nothing whoever sends them: test_post_permissions.py sends each state-changing URL
a POST that works.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.email_change import email_change_token
from jobs.memberships import invitation_token
from jobs.models import Department, Invitation, Job, Membership, Organization
from tests.support.helpers import sign_in
from tests.support.site_urls import SiteUrl, everything, everything_after, site_urls

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.support.broker"]  # queued

PERSONAS = ("anonymous", "member", "outsider", "owner", "staff")
ACME_JOB_GREENHOUSE_ID = 4_200_000_000_001
# Statuses in PERSONAS' order. A set allows either status (the same for everyone).
PUBLIC = (200, 200, 200, 200, 200)
READ_ONLY = (405, 405, 405, 405, 405)
ORG_ADMINS_ONLY = (302, 404, 404, 200, 200)  # anonymous is sent to sign in; others see 404
ORG_ADMINS_ONLY_POST = (302, 404, 404, 302, 302)  # accepted, then redirected back
SIGNED_IN = (302, 200, 200, 200, 200)
STAFF_ONLY = (302, 302, 302, 302, 200)  # non-staff go to the admin's sign-in page
STAFF_ONLY_READ_ONLY = (302, 302, 302, 302, 405)
SIGNED_OUT_FORM = (200, 302, 302, 302, 302)  # sign-up: signed-in people go to their orgs


@dataclass(frozen=True)
class Expected:
    get: tuple
    post: tuple


EXPECTED: dict[str, Expected] = {
    # Visitor pages, feeds and data: open to all, read-only.
    "jobs:home": Expected(get=PUBLIC, post=READ_ONLY),
    "jobs:job_list": Expected(get=PUBLIC, post=READ_ONLY),
    "jobs:job_feed": Expected(get=PUBLIC, post=READ_ONLY),
    "jobs:organization_list": Expected(get=PUBLIC, post=READ_ONLY),
    "jobs:org_detail": Expected(get=PUBLIC, post=READ_ONLY),
    "jobs:org_feed": Expected(get=PUBLIC, post=READ_ONLY),
    "jobs:org_jobs_redirect": Expected(get=(302, 302, 302, 302, 302), post=READ_ONLY),
    "jobs:job_detail": Expected(get=PUBLIC, post=READ_ONLY),
    "jobs:org_jobs_json": Expected(get=PUBLIC, post=READ_ONLY),
    "jobs:no_org_jobs_json": Expected(get=(404,) * 5, post=READ_ONLY),
    "jobs:robots_txt": Expected(get=PUBLIC, post=READ_ONLY),
    "jobs:sitemap": Expected(get=PUBLIC, post=READ_ONLY),
    "jobs:sitemap_section": Expected(get=PUBLIC, post=READ_ONLY),
    # Health: the same answer for everyone (503 here, where beat never ran), never a redirect.
    "healthz": Expected(get=({200, 503},) * 5, post=READ_ONLY),
    "healthz_slash": Expected(get=({200, 503},) * 5, post=READ_ONLY),
    "favicon": Expected(get=(301,) * 5, post=READ_ONLY),
    # The org admin area.
    "manage:index": Expected(get=SIGNED_IN, post=(302, 405, 405, 405, 405)),
    # An empty POST is the form again with its error.
    "manage:new": Expected(get=SIGNED_IN, post=SIGNED_IN),
    # Anyone is sent on to the org's jobs page, which says who may see it.
    "manage:organization": Expected(get=(302,) * 5, post=(302,) * 5),
    "manage:settings": Expected(get=ORG_ADMINS_ONLY, post=ORG_ADMINS_ONLY_POST),
    "manage:disconnect": Expected(get=ORG_ADMINS_ONLY, post=ORG_ADMINS_ONLY_POST),
    # Without the org's slug typed in, the page again: nothing is deleted.
    "manage:delete": Expected(get=ORG_ADMINS_ONLY, post=ORG_ADMINS_ONLY),
    "manage:jobs": Expected(get=ORG_ADMINS_ONLY, post=(302, 405, 405, 405, 405)),
    # An empty POST leaves the form unbound: the page again.
    "manage:job_edit": Expected(get=ORG_ADMINS_ONLY, post=ORG_ADMINS_ONLY),
    # POST only, for everyone: signed out, a POST is sent to sign in, then to the button's page.
    # A GET (the back button, a bookmark) leads to the settings page, which checks access.
    "manage:refresh": Expected(get=(302,) * 5, post=ORG_ADMINS_ONLY_POST),
    "manage:status": Expected(get=ORG_ADMINS_ONLY, post=(302, 405, 405, 405, 405)),
    "manage:history": Expected(get=ORG_ADMINS_ONLY, post=(302, 405, 405, 405, 405)),
    "manage:members": Expected(get=ORG_ADMINS_ONLY, post=ORG_ADMINS_ONLY_POST),
    # Accounts (an empty POST is a form shown again with its errors: 200).
    "signup": Expected(get=SIGNED_OUT_FORM, post=SIGNED_OUT_FORM),
    # An empty POST is the form again with its error; nothing is deleted.
    "account_delete": Expected(get=SIGNED_IN, post=SIGNED_IN),
    # "not-a-token" is refused as gone (410), signed out too: a link that works (tested in
    # test_accounts.py) sends whoever is signed out to sign in first.
    "invitation_join": Expected(get=(410,) * 5, post=(410,) * 5),
    # An empty POST is the form again with its errors; nothing is sent.
    "email_change": Expected(get=SIGNED_IN, post=SIGNED_IN),
    # Signed in, with a link's token: "not-a-token" is refused as gone (410).
    "email_change_confirm": Expected(get=(302, 410, 410, 410, 410), post=(302, 410, 410, 410, 410)),
    "login": Expected(get=PUBLIC, post=PUBLIC),
    "logout": Expected(get=PUBLIC, post=(302,) * 5),  # a GET asks, with the button
    "password_change": Expected(get=SIGNED_IN, post=SIGNED_IN),
    "password_change_done": Expected(get=SIGNED_IN, post=(302, 405, 405, 405, 405)),
    "password_reset": Expected(get=PUBLIC, post=PUBLIC),
    "password_reset_done": Expected(get=PUBLIC, post=(405,) * 5),
    "password_reset_confirm": Expected(get=PUBLIC, post=PUBLIC),  # an invalid link's page
    "password_reset_complete": Expected(get=PUBLIC, post=(405,) * 5),
    # The Django admin: staff only.
    "admin:index": Expected(get=STAFF_ONLY, post=STAFF_ONLY),
    "admin:login": Expected(get=(200, 200, 200, 200, 302), post=PUBLIC),
    "admin_login": Expected(get=(200, 200, 200, 200, 302), post=PUBLIC),  # the same, as 429
    "admin_password_reset": Expected(get=(302,) * 5, post=(302,) * 5),  # to the site's own
    "admin:logout": Expected(get=STAFF_ONLY_READ_ONLY, post=(302,) * 5),
    "admin:password_change": Expected(get=STAFF_ONLY, post=STAFF_ONLY),
    "admin_password_change": Expected(get=STAFF_ONLY, post=STAFF_ONLY),  # the same, throttled
    "admin:password_change_done": Expected(get=STAFF_ONLY, post=STAFF_ONLY_READ_ONLY),
    # Staff: 403 without the field to complete.
    "admin:autocomplete": Expected(get=(302, 302, 302, 302, 403), post=STAFF_ONLY_READ_ONLY),
    "admin:jsi18n": Expected(get=STAFF_ONLY, post=STAFF_ONLY_READ_ONLY),
    "admin:view_on_site": Expected(get=(302,) * 5, post=(302,) * 5),
    "admin:app_list": Expected(get=STAFF_ONLY, post=STAFF_ONLY),
    "admin:auth_user_password_change": Expected(get=STAFF_ONLY, post=STAFF_ONLY),
    "admin:catch_all": Expected(get=(302, 302, 302, 302, 404), post=(302, 302, 302, 302, 404)),
}
SITE_URLS = site_urls()


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser("root", "root@example.com", "correct horse battery")


@pytest.fixture
def personas(acme, owner, member, outsider, staff) -> dict[str, User | None]:
    return {
        "anonymous": None,
        "member": member,
        "outsider": outsider,
        "owner": owner,
        "staff": staff,
    }


@pytest.fixture
def acme_job(acme) -> Job:
    return Job.objects.create(
        organization=acme.organization,
        greenhouse_id=ACME_JOB_GREENHOUSE_ID,
        title="Robot Whisperer",
        absolute_url="https://job-boards.greenhouse.io/acme/jobs/1",
    )


def concrete_url(site_url: SiteUrl, job: Job, user: User) -> str:
    if site_url.name == "admin:catch_all":
        return "/admin/no-such-page/"
    values = {
        "slug": "acme",
        "pk": job.pk,
        "greenhouse_id": job.greenhouse_id,
        "uidb64": "MQ",
        "token": "not-a-token",
        "app_label": "jobs",
        "content_type_id": ContentType.objects.get_for_model(Organization).pk,
        "object_id": job.organization_id,
        "id": user.pk,
        "section": "jobs",
        "address": "acme robotics",
    }
    return reverse(site_url.name, kwargs={param: values[param] for param in site_url.params})


def client_for(user: User | None, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    return client if user is None else sign_in(client, user)


def matches(status: int, expected: int | set[int]) -> bool:
    return status in expected if isinstance(expected, set) else status == expected


@pytest.mark.parametrize("site_url", SITE_URLS, ids=lambda site_url: site_url.name)
def test_every_url_answers_each_persona_as_expected(site_url, personas, acme_job, queued):
    expected = EXPECTED.get(site_url.name)
    assert expected is not None, (
        f"{site_url.name} ({site_url.route}) has no row in EXPECTED: say who may use it"
    )
    url = concrete_url(site_url, acme_job, personas["member"])

    for method, statuses in (("get", expected.get), ("post", expected.post)):
        responses = [getattr(client_for(personas[p]), method)(url) for p in PERSONAS]
        got = tuple(response.status_code for response in responses)
        assert all(map(matches, got, statuses)), (
            f"{method.upper()} {url}: got {dict(zip(PERSONAS, got, strict=True))}, "
            f"expected {dict(zip(PERSONAS, statuses, strict=True))}"
        )
        if isinstance(statuses[0], set):
            assert len(set(got)) == 1, f"{method.upper()} {url} differs by persona: {got}"
        for response in responses:  # and whatever the answer, it forbids inline script
            assert "script-src 'self'" in response["Content-Security-Policy"], url


# Read-only addresses csrf_exempt so that a POST sees the 405 that require_safe answers, not the
# CSRF check's 403: one that other sites' scripts may read (with its CORS header), and the
# health probe.
POST_WITHOUT_CSRF_TOKEN_REFUSED_WITH = {
    "jobs:org_jobs_json": 405,
    "jobs:no_org_jobs_json": 405,
    "healthz": 405,
    "healthz_slash": 405,
}


@pytest.mark.parametrize("site_url", SITE_URLS, ids=lambda site_url: site_url.name)
def test_every_post_without_a_csrf_token_is_refused(site_url, personas, acme_job, queued):
    url = concrete_url(site_url, acme_job, personas["member"])
    refused_with = POST_WITHOUT_CSRF_TOKEN_REFUSED_WITH.get(site_url.name, 403)

    for persona in PERSONAS:
        client = client_for(personas[persona], enforce_csrf_checks=True)
        assert client.post(url).status_code == refused_with, (url, persona)


def test_every_page_that_asks_to_sign_in_asks_from_an_address_too_long_to_come_back_to(
    personas, acme_job, caplog
):
    """Past 16,384 characters Django refused its own redirect to sign in, `next` and all: a
    400, logged as an ERROR. Each URL and method that sends a signed-out visitor to the site's
    sign-in page does so from a 17,000-character address too. The admin sends them to its own
    sign-in page, as Django does (a 400 there still)."""
    sign_in = reverse("login")
    asking = []
    for site_url in SITE_URLS:
        url = concrete_url(site_url, acme_job, personas["member"])
        for method in ("get", "post"):
            response = getattr(Client(), method)(url)
            if response.status_code != 302 or urlsplit(response["Location"]).path != sign_in:
                continue
            asking.append(f"{method.upper()} {site_url.name}")
            response = getattr(Client(), method)(f"{url}?q={'a' * 17_000}")
            assert response.status_code == 302, (method, url, response.status_code)
            assert urlsplit(response["Location"]).path == sign_in, (method, url)
    assert "GET password_change" in asking and "GET password_change_done" in asking
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_the_table_has_no_rows_for_urls_that_are_gone():
    assert set(EXPECTED) - {site_url.name for site_url in SITE_URLS} == set()


def test_every_admin_model_is_staff_only(personas):
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        got = tuple(client_for(personas[persona]).get(url).status_code for persona in PERSONAS)
        assert got == STAFF_ONLY, (url, got)
        assert client_for(personas["staff"], enforce_csrf_checks=True).post(url).status_code == 403


@pytest.mark.parametrize("site_url", SITE_URLS, ids=lambda site_url: site_url.name)
def test_no_head_or_get_changes_anything(site_url, personas, acme_job, queued):
    """Link checkers, monitors and mail scanners ask with HEAD or GET, without a CSRF token:
    whatever a page does on its form's POST (disconnect, delete, join, confirm an address, sign
    out, send an email, queue a sync...) it must not do for them. The links carry tokens that
    work, for an outsider invited to acme who asked to change their address; each persona's
    session is kept to the end."""
    invitation = Invitation.objects.create(
        organization=acme_job.organization,
        user=personas["outsider"],
        role=Membership.Role.MEMBER,
        email=personas["outsider"].email,
    )
    tokens = {
        "invitation_join": invitation_token(invitation),
        "email_change_confirm": email_change_token(personas["outsider"], "new@elsewhere.example"),
    }
    url = concrete_url(site_url, acme_job, personas["member"])
    if site_url.name in tokens:
        url = reverse(site_url.name, kwargs={"token": tokens[site_url.name]})
    clients = {p: client_for(personas[p], enforce_csrf_checks=True) for p in PERSONAS}
    before = everything(queued)

    for persona, client in clients.items():
        for method in ("head", "get"):
            with CaptureQueriesContext(connection) as queries:
                response = getattr(client, method)(url)
            after = everything_after(queries, before, queued)
            assert after == before, f"{method.upper()} {url} as {persona} changed"
            if site_url.name in tokens and persona == "outsider":
                # Their link's page, with the button that joins or confirms: against a link
                # refused as gone, this test would prove nothing.
                assert response.status_code == 200, f"{method.upper()} {url}: {response}"


def test_a_request_that_reads_then_writes_is_seen_to_change_something(acme_job, queued):
    """The rows are read again after a request only if it ran a statement other than a SELECT
    (everything_after): a request whose first statement reads and whose next writes must show
    its change, or the test above would pass a GET that writes."""
    before = everything(queued)
    with CaptureQueriesContext(connection) as queries:
        Job.objects.get(pk=acme_job.pk)
        Job.objects.filter(pk=acme_job.pk).update(title="Changed by a GET")

    assert everything_after(queries, before, queued) != before


def test_a_request_that_only_links_a_job_to_a_department_is_seen_to_change_something(
    acme_job, queued
):
    """A many-to-many link is a row of a table Django makes itself, with no model of its own:
    a GET that only added one must show its change too."""
    platform = Department.objects.create(
        organization=acme_job.organization, greenhouse_id=4011, name="Platform"
    )
    before = everything(queued)
    with CaptureQueriesContext(connection) as queries:
        acme_job.departments.add(platform)

    assert everything_after(queries, before, queued) != before
