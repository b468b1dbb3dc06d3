"""Accounts and access: sign in and out, passwords, sign-up, members, and who may see what."""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import get_messages
from django.core import mail, signing
from django.core.cache import cache
from django.db import connection as db_connection
from django.db.models import F
from django.test import Client
from django.utils import timezone

import jobs.admin
from jobs import manage_views, memberships, throttle
from jobs.email_change import (
    EMAIL_TAKEN_MESSAGE,
    EmailChangeError,
    email_change_count,
    email_change_of,
    email_change_request,
    email_change_token,
)
from jobs.forms import MembershipRoleForm, SignupForm, validate_organization_slug
from jobs.memberships import INVITATION_DAYS
from jobs.models import (
    ROLES_IN_WORDS,
    SLUGS_OF_SITE_PAGES,
    EmailChangeCount,
    Invitation,
    Job,
    Membership,
    Organization,
)
from jobs.sync import sync_organization
from jobs.throttle import (
    ACCOUNT_EMAILS_PER_CLIENT,
    ACCOUNT_EMAILS_PER_DAY,
    INVITATIONS_PER_ADDRESS_PER_DAY,
)
from tests.support.helpers import (
    assert_says_organization_gone,
    assert_signs_out_and_comes_back_to,
    done_by_another_request_after,
    parsed,
    spoken_text,
)
from tests.support.mail import ScriptedMailBackend

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


# --- Who may see what ---------------------------------------------------------------------------


def admin_urls(acme) -> dict[str, str]:
    """Every page of the org admin area, for one org (GET-able ones)."""
    job = Job.objects.filter(organization=acme.organization).first()
    return {
        "settings": "/manage/acme/settings/",
        "disconnect": "/manage/acme/disconnect/",
        "jobs": "/manage/acme/jobs/",
        "job_edit": f"/manage/acme/jobs/{job.pk}/edit/",
        "status": "/manage/acme/status.json",
        "history": "/manage/acme/history/",
        "members": "/manage/acme/members/",
    }


@pytest.fixture
def synced_acme(acme):
    sync_organization(acme, trigger="command")
    return acme


@pytest.mark.parametrize(
    "page", ["settings", "disconnect", "jobs", "job_edit", "status", "history", "members"]
)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [(None, 302), ("member", 404), ("outsider", 404), ("owner", 200)],
)
def test_it_lets_only_the_orgs_admins_in(client, synced_acme, request, page, persona, expected):
    url = admin_urls(synced_acme)[page]
    if persona:
        client.force_login(request.getfixturevalue(persona))

    response = client.get(url)

    assert response.status_code == expected
    if persona is None:
        assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("persona", ["member", "outsider"])
@pytest.mark.parametrize(
    "url", ["/manage/acme/refresh/", "/manage/acme/settings/", "/manage/acme/members/"]
)
def test_it_refuses_changes_from_non_admins_with_404(client, acme, request, persona, url):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(url, {"action": "schedule", "sync_interval_minutes": 5})
    assert response.status_code == 404


def test_an_unknown_org_looks_the_same_as_someone_elses(client, acme, outsider):
    client.force_login(outsider)
    assert client.get("/manage/acme/settings/").status_code == 404
    assert client.get("/manage/no-such-org/settings/").status_code == 404


def test_a_superuser_counts_as_an_admin_of_every_org(client, acme):
    client.force_login(User.objects.create_superuser("root", "root@example.com", PASSWORD))
    assert client.get("/manage/acme/settings/").status_code == 200


def test_a_superusers_index_lists_every_org_a_page_at_a_time(client, acme, monkeypatch):
    """Every org of the site on one page grew without end (142 KB for 200 orgs)."""
    monkeypatch.setattr(manage_views, "ORGANIZATIONS_PER_PAGE", 2)
    Organization.objects.bulk_create(
        [Organization(name=f"Org {n}", slug=f"org-{n}") for n in range(2)]
    )
    client.force_login(User.objects.create_superuser("root", "root@example.com", PASSWORD))

    first = parsed(client.get("/manage/"))
    second = parsed(client.get("/manage/", {"page": 2}))

    def names(page: BeautifulSoup) -> list[str]:
        return [heading.get_text(strip=True) for heading in page.select(".org-list h2")]

    assert names(first) == ["Acme Robotics", "Org 0"] and names(second) == ["Org 1"]
    assert first.select_one("nav.pagination a")["href"] == "?page=2"
    # Page 1 by its own address: ?page=1 was a second one.
    assert [a["href"] for a in second.select("nav.pagination a")] == ["/manage/"]
    assert second.title.string == "Your organizations, page 2 · orgsite"
    # Below 1 is the first page, as on the visitors' lists (get_page() gave the last).
    assert names(parsed(client.get("/manage/", {"page": 0}))) == names(first)


def test_the_index_lists_only_the_orgs_the_user_administers(client, acme, owner, outsider):
    client.force_login(owner)
    page = client.get("/manage/").content.decode()
    assert "Acme Robotics" in page and "Other Org" not in page


def test_each_organizations_links_are_named_after_it(client, owner, outsider):
    other = Organization.objects.get(slug="other")
    Membership.objects.create(organization=other, user=owner, role=Membership.Role.ADMIN)
    client.force_login(owner)

    page = parsed(client.get("/manage/"))

    navs = page.select("main nav[aria-labelledby]")
    names = [page.find(id=nav["aria-labelledby"]).get_text(strip=True) for nav in navs]
    assert names == ["Acme Robotics", "Other Org"]
    assert all(len(nav.find_all("a")) == 5 for nav in navs)


def test_each_organizations_heading_takes_its_names_direction(client, owner, outsider):
    """An Arabic name stood on the left of its card, as the page's English does."""
    Organization.objects.filter(slug="acme").update(name="خرائط الشرق")
    client.force_login(owner)

    heading = parsed(client.get("/manage/")).select_one("#org-acme")

    assert heading["dir"] == "auto" and heading.get_text(strip=True) == "خرائط الشرق"


def test_each_organizations_card_shows_its_public_address(client, owner, outsider):
    """Two orgs may share a name; their addresses tell them apart."""
    Organization.objects.filter(slug="other").update(name="Acme Robotics")
    other = Organization.objects.get(slug="other")
    Membership.objects.create(organization=other, user=owner, role=Membership.Role.ADMIN)
    client.force_login(owner)

    page = parsed(client.get("/manage/"))

    public_links = [nav.find_all("a")[-1] for nav in page.select("main nav[aria-labelledby]")]
    assert [link["href"] for link in public_links] == ["/orgs/acme/", "/orgs/other/"]
    assert [link.get_text(" ", strip=True) for link in public_links] == [
        "Public page /orgs/acme/",
        "Public page /orgs/other/",
    ]


def test_the_index_says_when_an_orgs_syncing_is_paused(signed_in, acme):
    assert "Syncing paused" not in signed_in.get("/manage/").content.decode()
    acme.enabled = False
    acme.save(update_fields=["enabled"])

    assert "Syncing paused" in signed_in.get("/manage/").content.decode()


def test_the_index_does_not_say_yet_of_an_org_that_was_disconnected(signed_in, acme):
    """'Not connected to Greenhouse yet.' read as if it never had been."""
    signed_in.post("/manage/acme/disconnect/")

    card = parsed(signed_in.get("/manage/")).select_one(".org-list .muted")

    assert card.get_text(" ", strip=True) == "Not connected to Greenhouse."


def test_the_index_of_a_plain_member_says_they_administer_nothing(client, member):
    client.force_login(member)
    assert "not an admin of any organization" in client.get("/manage/").content.decode()


def test_the_index_lists_the_orgs_a_user_is_a_plain_member_of(client, member, outsider):
    client.force_login(member)

    page = parsed(client.get("/manage/"))

    section = page.find("h2", string="Where you are a member").find_next("ul")
    assert [(a.get_text(), a["href"]) for a in section.find_all("a")] == [
        ("Acme Robotics", "/orgs/acme/")
    ]
    assert "ask one of them to make you an admin" in page.get_text(" ", strip=True)


def test_a_superuser_who_is_a_plain_member_is_not_told_they_are_only_a_member(client, member):
    """They manage every org: acme is among the orgs they administer, not listed again."""
    User.objects.filter(pk=member.pk).update(is_superuser=True)
    client.force_login(member)

    assert "Where you are a member" not in client.get("/manage/").content.decode()


def test_an_org_named_as_one_just_joined_as_a_member_is_made_anew(db, owner, member):
    """Only an org the person made, as its admin, a moment ago is a second click."""
    acme = owner.memberships.get().organization
    Organization.objects.filter(pk=acme.pk).update(created_at=timezone.now())

    made = memberships.organization_create(name=acme.name, admin=member, ip="203.0.113.9")

    assert made.role == Membership.Role.ADMIN and made.organization != acme


# --- Signing in and out, passwords ----------------------------------------------------------------


def test_signing_in_lands_on_the_admins_organizations(client, owner):
    page = client.get("/accounts/login/").content.decode()
    next_url = re.search(r'name="next" value="([^"]*)"', page).group(1)
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302 and response["Location"] == "/manage/"


@pytest.mark.parametrize("typed", ["Alice", "ALICE"])
def test_signing_in_takes_the_username_in_any_case(client, owner, typed):
    response = client.post("/accounts/login/", {"username": typed, "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/manage/"


@pytest.mark.parametrize("page", ["/accounts/login/", "/admin/login/"])
def test_signing_in_with_empty_boxes_says_what_to_type(client, owner, page):
    """They said Django's "This field is required.", which did not say what to type, as the
    site's other forms' boxes do."""
    response = client.post(page, {"username": "", "password": ""})

    errors = response.context["form"].errors
    assert {name: errors[name] for name in errors} == {
        "username": ["Type your username."],
        "password": ["Type your password."],
    }
    assert "This field is required" not in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_of_two_usernames_differing_in_case_only_the_exact_one_signs_in(client, owner):
    User.objects.create_user("Alice", "other@acme.example", PASSWORD)  # made before the rule

    assert (
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})["Location"]
        == "/manage/"
    )
    client.logout()
    refused = client.post("/accounts/login/", {"username": "ALICE", "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session


def test_signing_in_without_a_next_page_lands_there_too(client, owner):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/manage/"


def test_signing_in_returns_to_the_page_that_asked(client, owner):
    client.get("/manage/acme/jobs/")
    response = client.post(
        "/accounts/login/?next=/manage/acme/jobs/",
        {"username": "alice", "password": PASSWORD, "next": "/manage/acme/jobs/"},
    )
    assert response["Location"] == "/manage/acme/jobs/"


@pytest.mark.parametrize(
    "next_page",
    [
        "https://elsewhere.example/",
        "//elsewhere.example/",
        "/\\elsewhere.example/",  # browsers read a backslash as a slash
        "\\\\elsewhere.example/",
        "https:elsewhere.example",
        "/\t/elsewhere.example/",  # and leave tabs out
        "javascript:alert(1)",
    ],
)
@pytest.mark.parametrize("page", ["/accounts/login/", "/admin/login/"])
def test_signing_in_never_follows_a_next_page_off_the_site(client, owner, page, next_page):
    """A sign-in link anyone may send (`?next=` is theirs to write) leads into this site only:
    the site's sign-in page and the Django admin's are views of its own (throttled), whose
    redirect Django checks."""
    User.objects.filter(pk=owner.pk).update(is_staff=True)  # the admin's signs in staff only

    response = client.post(
        f"{page}?{urlencode({'next': next_page})}",
        {"username": "alice", "password": PASSWORD, "next": next_page},
    )

    assert (response.status_code, response["Location"]) == (302, "/manage/")


@pytest.mark.parametrize("length", [3_000, 17_000])
def test_a_page_too_long_to_come_back_to_sends_to_sign_in_without_its_address(
    client, owner, caplog, length
):
    """Sign-in follows no `next` past 2,048 characters (Django's check of a safe one), and past
    16,384 Django refused its own redirect to sign in: a 400, logged as an ERROR."""
    response = client.get("/manage/acme/jobs/", {"q": "a" * length})

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/manage/"


def test_a_wrong_password_is_refused_on_the_form(client, owner):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()


@pytest.mark.parametrize("page", ["/accounts/login/", "/admin/login/"])
def test_a_refused_sign_in_says_only_the_password_is_case_sensitive(client, owner, page):
    response = client.post(page, {"username": "alice", "password": "nope"})

    text = parsed(response).get_text(" ", strip=True)
    # Usernames are taken in any case (test_signing_in_takes_the_username_in_any_case).
    assert "The password is case-sensitive, the username is not." in text
    assert "both fields may be case-sensitive" not in text


def test_the_nav_offers_sign_out_as_a_post_form(signed_in):
    page = signed_in.get("/manage/").content.decode()
    assert re.search(r'<form[^>]*method="post"[^>]*action="/accounts/logout/"', page)
    assert signed_in.post("/accounts/logout/").status_code == 302
    assert signed_in.get("/manage/").status_code == 302


def test_the_sign_out_address_opened_asks_with_a_button_and_signs_out_only_on_a_post(
    signed_in, client
):
    """Typed or bookmarked, it answered a blank 405; a GET must still not sign anyone out, or
    any site could do it with an image."""
    response = signed_in.get("/accounts/logout/")

    page = parsed(response)
    assert response.status_code == 200 and page.h1.get_text() == "Sign out?"
    form = page.select_one("main form")
    assert form["method"] == "post" and form.select_one("button").get_text() == "Sign out"
    assert signed_in.get("/manage/").status_code == 200  # still signed in
    assert signed_in.post("/accounts/logout/")["Location"] == "/"
    assert signed_in.get("/manage/").status_code == 302

    signed_out = parsed(client.get("/accounts/logout/"))
    assert signed_out.h1.get_text() == "You are signed out"
    assert signed_out.select_one("main a")["href"] == "/accounts/login/"


@pytest.mark.parametrize(
    ("next_page", "lands_on"),
    [
        (None, "/"),
        ("/jobs/?q=robots", "/jobs/?q=robots"),
        ("https://elsewhere.example/", "/"),  # not this site's: the home page, as before
        ("//elsewhere.example/", "/"),
    ],
)
def test_signing_out_says_so_on_the_page_it_lands_on(signed_in, next_page, lands_on):
    """It landed on the home page with no word of it."""
    data = {"next": next_page} if next_page else {}

    response = signed_in.post("/accounts/logout/", data)

    assert response.status_code == 302 and response["Location"] == lands_on
    page = parsed(signed_in.get(lands_on))
    assert page.select_one("main .messages li.success").get_text() == "You are signed out."
    assert page.select_one(".nav-account a").get_text() == "Sign in"
    assert not parsed(signed_in.get(lands_on)).select(".messages")  # said once


def test_a_head_before_the_page_leaves_its_message_for_the_page(signed_in):
    """A link checker or a browser's prefetch asking with HEAD rendered the page, and so used
    up the message that the GET after it should show."""
    signed_in.post("/accounts/logout/")

    assert signed_in.head("/").status_code == 200
    page = parsed(signed_in.get("/"))
    assert page.select_one("main .messages li.success").get_text() == "You are signed out."


def test_signing_out_to_the_sign_out_page_says_so_once(signed_in):
    response = signed_in.post("/accounts/logout/", {"next": "/accounts/logout/"})

    page = parsed(response)
    assert response.status_code == 200 and page.h1.get_text() == "You are signed out"
    assert not page.select(".messages")
    assert not parsed(signed_in.get("/")).select(".messages")


@pytest.mark.parametrize("path", ["/accounts/signup/", "/accounts/logout/"])
def test_a_visitors_account_pages_answer_head_as_get(client, db, path):
    """Link checkers and monitors ask with HEAD: a 405 would read as a broken link."""
    response = client.head(path)

    assert response.status_code == 200 and not response.content


def test_every_admin_page_answers_head_as_get(signed_in, synced_acme):
    for url in admin_urls(synced_acme).values():
        assert (url, signed_in.head(url).status_code) == (url, signed_in.get(url).status_code)


def test_a_session_cookie_holding_a_nul_is_no_sign_in(client, db, caplog):
    """Quoted, a cookie can carry any character: "\\000" is a NUL, which PostgreSQL refuses."""
    response = client.get("/", HTTP_COOKIE='sessionid="\\000abcdefgh"')

    assert response.status_code == 200 and 'href="/accounts/login/"' in response.content.decode()
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_the_nav_offers_sign_in_to_visitors(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/login/"' in page and 'href="/accounts/signup/"' in page


def test_it_changes_a_password(signed_in, owner):
    assert signed_in.get("/accounts/password_change/").status_code == 200
    response = signed_in.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )
    assert response["Location"] == "/accounts/password_change/done/"
    owner.refresh_from_db()
    assert owner.check_password("a brand new passphrase")


def test_guessing_the_current_password_is_throttled_like_signing_in(signed_in, owner, settings):
    """A session left open must not let someone guess the password it was opened with."""
    settings.LOGIN_FAILURE_LIMIT = 3

    def change(old_password: str):
        new = "a brand new passphrase"
        data = {"old_password": old_password, "new_password1": new, "new_password2": new}
        return signed_in.post("/accounts/password_change/", data)

    statuses = [change(f"guess {n}").status_code for n in range(3)]
    response = change(PASSWORD)

    assert statuses == [200, 200, 200]
    assert response.status_code == 429 and "Too many failed" in response.content.decode()
    assert 'href="/accounts/password_reset/"' in response.content.decode()  # the link it names
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


@pytest.mark.parametrize("page", ["password change", "admin's password change", "reset link"])
@pytest.mark.parametrize(
    "meanwhile", ["staff status taken", "deactivated", "password turned off", "deleted"]
)
def test_a_password_set_as_an_admin_changes_the_account_saves_it_alone(
    client, signed_in, owner, monkeypatch, page, meanwhile
):
    """Alice, a superuser, sets a new password, and as her page checks it another admin takes
    her staff and superuser status, deactivates her account, turns its password off or deletes
    it: her account as read when the page began was saved whole, which undid that change, or
    made the account again, a superuser's. The password alone is saved, and not over another
    set meanwhile, which signs her out, as a deactivation or a delete does: her page says so,
    where it said her password was changed, or set."""
    from jobs.forms import PasswordRulesOnTheirField

    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    new = {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"}
    if page == "password change":
        url, sent = "/accounts/password_change/", {**new, "old_password": PASSWORD}
    elif page == "admin's password change":
        url, sent = "/admin/password_change/", {**new, "old_password": PASSWORD}
    else:
        client.logout()
        client.post("/accounts/password_reset/", {"email": "alice@acme.example"})
        url, sent = client.get(reset_link(mail.outbox[0]))["Location"], new
    admin_change = {
        "staff status taken": lambda account: account.update(is_staff=False, is_superuser=False),
        "deactivated": lambda account: account.update(is_active=False),
        "password turned off": lambda account: account.update(password="!turned-off"),
        "deleted": lambda account: account.delete(),
    }[meanwhile]
    check = PasswordRulesOnTheirField.validate_password_for_user

    def checked_as_an_admin_changes_the_account(self: Any, user: User, *args: Any) -> None:
        check(self, user, *args)
        admin_change(User.objects.filter(pk=owner.pk))

    monkeypatch.setattr(
        PasswordRulesOnTheirField,
        "validate_password_for_user",
        checked_as_an_admin_changes_the_account,
    )

    response = client.post(url, sent, follow=True)

    saved = meanwhile in ("staff status taken", "deactivated")
    changed_on = "reset link" if page == "reset link" else "password change"
    lands_on, told = {
        ("password change", True): ("/accounts/password_change/done/", None),
        ("password change", False): ("/accounts/login/", "Your password was not changed"),
        ("reset link", True): ("/accounts/reset/done/", None),
        ("reset link", False): ("/accounts/password_reset/", "Your password was not set"),
    }[changed_on, saved]
    assert response.redirect_chain[0][0] == lands_on
    messages_shown = [str(message) for message in response.context["messages"]]
    assert [message.partition(":")[0] for message in messages_shown] == ([told] if told else [])
    if not saved:  # by the page itself: the next one would leave a deleted account's id in it
        assert SESSION_KEY not in client.session
    now = User.objects.filter(pk=owner.pk).first()
    if meanwhile == "deleted":
        assert now is None
    else:
        assert (now.is_staff, now.is_superuser) == (meanwhile != "staff status taken",) * 2
        assert now.is_active == (meanwhile != "deactivated")
        assert now.check_password("a brand new passphrase") == (meanwhile != "password turned off")
    signed_in_now = client.get("/manage/").status_code == 200
    assert signed_in_now == (changed_on == "password change" and meanwhile == "staff status taken")


def reset_link(message: mail.EmailMessage) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)


def test_emailed_links_lead_to_site_url_whatever_host_the_request_named(
    client, signed_in, owner, settings
):
    """With a wildcard in DJANGO_ALLOWED_HOSTS the client picks the Host header; a reset or
    invitation link built from it would carry its token to a host of the asker's choosing."""
    settings.ALLOWED_HOSTS = [".example.com", "testserver"]
    settings.SITE_URL = "https://jobs.example.com"

    client.post(
        "/accounts/password_reset/", {"email": "alice@acme.example"}, HTTP_HOST="evil.example.com"
    )
    signed_in.post(
        "/manage/acme/members/",
        {"action": "add", "email": "new@acme.example", "role": "member"},
        HTTP_HOST="evil.example.com",
    )

    links = [link for message in mail.outbox for link in re.findall(r"https?://\S+", message.body)]
    assert len(mail.outbox) == 2 and links
    assert all(link.startswith("https://jobs.example.com/") for link in links), links


def test_a_password_reset_email_sets_a_new_password(client, owner):
    response = client.post("/accounts/password_reset/", {"email": "ALICE@acme.example"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1 and "alice" in mail.outbox[0].body

    form_url = client.get(reset_link(mail.outbox[0]))["Location"]
    mistyped = client.post(
        form_url, {"new_password1": "reset passphrase 42", "new_password2": "reset passphrase 24"}
    )
    assert parsed(mistyped).select_one("form > .error-summary[role=alert]")
    response = client.post(
        form_url, {"new_password1": "reset passphrase 42", "new_password2": "reset passphrase 42"}
    )
    assert response["Location"] == "/accounts/reset/done/"
    owner.refresh_from_db()
    assert owner.check_password("reset passphrase 42")
    # The password saved alone (2a16596) still voids the link, its token made of the old hash.
    used = client.get(reset_link(mail.outbox[0]), follow=True)
    assert parsed(used).title.string == "This link does not work any more · orgsite"


def test_an_address_pasted_with_a_zero_width_space_gets_its_password_reset_email(client, owner):
    """Django's field kept the space, and the address so typed matched no account: no email,
    where sign-up and invitations read it without the space."""
    client.post("/accounts/password_reset/", {"email": "\u200balice@acme.example\u200b"})

    assert [message.to for message in mail.outbox] == [["alice@acme.example"]]


def test_the_password_reset_box_is_djangos_for_autofill_and_length(client, db):
    """Its field is the site's own since 645b328 (the zero-width space): Django's named its
    purpose for autofill (WCAG 1.3.5) and held no more than an account's address, which no
    test said, so either could go unnoticed (Django's EmailField alone allows 320)."""
    box = parsed(client.get("/accounts/password_reset/")).select_one("main form input[name=email]")

    assert (box["type"], box.get("autocomplete"), box.get("maxlength")) == ("email", "email", "254")


def test_a_password_reset_email_tells_autoresponders_not_to_answer(client, owner):
    """As every email the site makes: an out-of-office reply would go to the From address."""
    client.post("/accounts/password_reset/", {"email": "alice@acme.example"})

    (message,) = mail.outbox
    assert message.message()["Auto-Submitted"] == "auto-generated"
    assert message.message()["X-Auto-Response-Suppress"] == "All"  # Exchange's own


def test_a_password_reset_email_isolates_names_written_right_to_left(client, db, settings):
    """As the invitation does (name_in_sentence): the username, and the site's name in the
    subject and body. Not isolated, "2024דוד" read as if the name ended with its digits, and
    the override a username held reordered the rest of its line: Django's email sends the body
    as rendered, with no email_body() dropping it."""
    settings.SITE_NAME = "דוגמה"
    User.objects.create_user("2024\u202eדוד", "david@example.com", "correct horse battery")

    client.post("/accounts/password_reset/", {"email": "david@example.com"})

    [message] = mail.outbox
    assert message.subject == "Password reset on \u2068דוגמה\u2069"
    assert message.body.startswith("Hello \u20682024דוד\u2069,\n")
    assert "for your account at \u2068דוגמה\u2069.\n" in message.body
    assert "Your username is: \u20682024דוד\u2069\n" in message.body
    assert "\u202e" not in message.body
    assert message.alternatives == []  # plain text alone: no HTML with no <bdi> in it


def test_a_password_reset_page_says_the_same_when_the_mail_server_fails(
    client, owner, monkeypatch, settings
):
    """Else an error page would tell whoever asks that the address has an account."""
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(
        ScriptedMailBackend, "crash", smtplib.SMTPServerDisconnected("Connection closed")
    )
    response = client.post("/accounts/password_reset/", {"email": "alice@acme.example"})
    assert response["Location"] == "/accounts/password_reset/done/"


def test_a_password_reset_email_the_mail_server_refuses_is_one_error_line(
    client, owner, monkeypatch, settings, caplog
):
    """An SMTP server down or misconfigured is the operator's to mend, as for the site's other
    emails (`invitation email failed user=… error=…`): each reset logged a traceback too."""
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "crash", ConnectionRefusedError(111, "Refused"))

    client.post("/accounts/password_reset/", {"email": "alice@acme.example"})

    [record] = [r for r in caplog.records if r.name == "jobs.forms"]
    assert (record.levelname, record.exc_info) == ("ERROR", None)
    assert record.getMessage() == (
        f"password reset email failed user={owner.pk} error=ConnectionRefusedError(111, 'Refused')"
    )


def test_a_password_reset_links_page_title_says_whether_the_link_works(client, owner):
    """The title is read out first (WCAG 2.4.2): a used link's page said "Set a new password"."""
    client.post("/accounts/password_reset/", {"email": "alice@acme.example"})
    link = reset_link(mail.outbox[0])

    form_page = client.get(link, follow=True)
    assert parsed(form_page).title.string == "Set your password · orgsite"

    owner.set_password("reset passphrase 42")
    owner.save()  # the link works once: a new password voids it
    used = client.get(link, follow=True)
    assert parsed(used).title.string == "This link does not work any more · orgsite"


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/reset/MQ/not-a-token/",
        "/accounts/email/confirm/not-a-token/",
        "/accounts/join/not-a-token/",
    ],
    ids=["password", "email change", "invitation"],
)
def test_a_link_that_cannot_be_used_has_its_headings_words_in_its_title(signed_in, path):
    """The title is read out first, the heading next (WCAG 2.4.2): "Link not valid" and then
    "This link does not work any more" sounded like two pages."""
    page = parsed(signed_in.get(path, follow=True))

    assert page.title.string == f"{page.h1.string} · orgsite"


@pytest.mark.parametrize("who", ["forgot their password", "invited without an account"])
def test_a_password_links_page_has_the_same_words_in_its_title_and_heading(client, signed_in, who):
    """One page serves a reset and an invited person's first password: its wording must fit
    both, and the title read out first must be the heading read next."""
    if who == "forgot their password":
        client.logout()
        client.post("/accounts/password_reset/", {"email": "alice@acme.example"})
    else:
        invite(signed_in, "dave@acme.example")
        client.logout()
    (message,) = mail.outbox
    if who == "invited without an account":  # the life of its link, as the README gives it
        assert "the password link for 3 days (after that," in " ".join(message.body.split())

    page = parsed(client.get(reset_link(message), follow=True))

    assert page.h1.string == "Set your password"
    assert page.title.string == "Set your password · orgsite"


def username_for_password_managers(response) -> dict[str, object]:
    field = parsed(response).select_one("main form input[autocomplete=username]")
    return {
        "value": field.get("value"),
        "hidden": field.has_attr("hidden"),
        "name": field.get("name"),
    }


def test_the_new_password_forms_name_the_account_for_password_managers(client, signed_in, owner):
    """Chrome's own advice: without a username in the form, a password manager saves the new
    password under no name, and does not fill it in at the next sign-in."""
    client.post("/accounts/password_reset/", {"email": "alice@acme.example"})
    reset_form = client.get(client.get(reset_link(mail.outbox[0]))["Location"])
    change_form = signed_in.get("/accounts/password_change/")

    # Hidden, and without a name, so it is not sent with the form.
    expected = {"value": "alice", "hidden": True, "name": None}
    assert username_for_password_managers(reset_form) == expected
    assert username_for_password_managers(change_form) == expected


def test_a_lookalike_address_gets_no_password_reset_email(client, owner):
    """PostgreSQL's case-insensitive match pairs the dotless "ı" with "i": each lookalike would
    mail the real address again, counted apart from it, and flood its mailbox."""
    for lookalike in ["alıce@acme.example", "ALİCE@acme.example"]:
        client.post("/accounts/password_reset/", {"email": lookalike})

    assert mail.outbox == []


def test_a_deactivated_account_gets_no_password_reset_email(client, owner):
    """Its password would change, yet it cannot sign in: the email would only mislead."""
    User.objects.filter(pk=owner.pk).update(is_active=False)

    client.post("/accounts/password_reset/", {"email": owner.email})

    assert mail.outbox == []


def test_password_reset_emails_to_one_address_stop_after_a_few_a_day(client, owner):
    """Anyone can ask for them, for any address: the site must not flood a mailbox."""
    for typed in ["alice@acme.example", "ALICE@acme.example"] * ACCOUNT_EMAILS_PER_CLIENT:
        response = client.post("/accounts/password_reset/", {"email": typed})
        assert response["Location"] == "/accounts/password_reset/done/"  # says the same

    assert len(mail.outbox) == ACCOUNT_EMAILS_PER_CLIENT
    User.objects.create_user("carol", "carol@acme.example")
    client.post("/accounts/password_reset/", {"email": "carol@acme.example"})
    assert mail.outbox[-1].to == ["carol@acme.example"]  # another address counts apart


def test_a_reset_asked_with_the_domain_in_unicode_reaches_the_idna_address(client, db):
    """The site shows "carol@xn--exmple-cua.com" as "carol@exämple.com", which browsers but
    Chromium send as typed: one mailbox, found and counted in either spelling."""
    User.objects.create_user("carol", "carol@xn--exmple-cua.com", password="old horse battery")

    client.post("/accounts/password_reset/", {"email": "carol@exämple.com"})
    assert [email.to for email in mail.outbox] == [["carol@xn--exmple-cua.com"]]

    for typed in ["CAROL@XN--EXMPLE-CUA.COM", "carol@exämple.com"] * ACCOUNT_EMAILS_PER_CLIENT:
        client.post("/accounts/password_reset/", {"email": typed})
    assert len(mail.outbox) == ACCOUNT_EMAILS_PER_CLIENT


def test_a_reset_asked_with_the_domain_in_unicode_capitals_reaches_the_account(client, db):
    """An address kept with its domain in Unicode (as browsers but Chromium send it) is found
    typed in capitals: on SQLite too, whose case-insensitive match folds ASCII letters alone."""
    User.objects.create_user("carol", "carol@exämple.com", password="old horse battery")

    client.post("/accounts/password_reset/", {"email": "Carol@EXÄMPLE.com"})

    assert [email.to for email in mail.outbox] == [["carol@exämple.com"]]


def test_a_stranger_asking_for_someones_reset_emails_does_not_lock_them_out(client, owner):
    """Each client address has its own share; only the day's total across them all stops."""
    for _ in range(ACCOUNT_EMAILS_PER_CLIENT + 3):
        client.post("/accounts/password_reset/", {"email": "alice@acme.example"})

    alice = Client(REMOTE_ADDR="198.51.100.7")
    alice.post("/accounts/password_reset/", {"email": "alice@acme.example"})

    assert len(mail.outbox) == ACCOUNT_EMAILS_PER_CLIENT + 1
    for number in range(ACCOUNT_EMAILS_PER_DAY):
        Client(REMOTE_ADDR=f"203.0.113.{number}").post(
            "/accounts/password_reset/", {"email": "alice@acme.example"}
        )
    assert len(mail.outbox) == ACCOUNT_EMAILS_PER_DAY


def test_resets_refused_for_the_addresss_day_leave_the_askers_own_share(client, owner):
    """Strangers used up the address's day; its owner, asking meanwhile, was refused, and each
    refusal still counted toward their own share: once the address's day ended (it began at the
    strangers' first, before theirs) they were refused for theirs, with no email sent."""
    for number in range(ACCOUNT_EMAILS_PER_DAY):
        Client(REMOTE_ADDR=f"203.0.113.{number}").post(
            "/accounts/password_reset/", {"email": "alice@acme.example"}
        )
    alice = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(ACCOUNT_EMAILS_PER_CLIENT):
        alice.post("/accounts/password_reset/", {"email": "alice@acme.example"})
    assert len(mail.outbox) == ACCOUNT_EMAILS_PER_DAY

    cache.delete(f"account-emails:email:{throttle._mailbox_digest('alice@acme.example')}")
    alice.post("/accounts/password_reset/", {"email": "alice@acme.example"})

    assert len(mail.outbox) == ACCOUNT_EMAILS_PER_DAY + 1


def test_a_password_reset_for_an_unknown_email_says_nothing_more(client, db):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


@pytest.mark.parametrize(
    "template",
    [
        "/accounts/login/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/done/",
        "/accounts/reset/MQ/bad-token/",
        "/accounts/signup/",
    ],
)
def test_the_account_pages_use_the_sites_templates(client, db, template):
    response = client.get(template, follow=True)
    assert response.status_code == 200
    assert "Django administration" not in response.content.decode()
    assert 'class="site-header"' in response.content.decode()


# --- Sign-up --------------------------------------------------------------------------------------


SIGNUP = {
    "username": "carol",
    "email": "carol@north.example",
    "password1": "a long enough passphrase",
    "password2": "a long enough passphrase",
    "organization_name": "  North   Wind Co-op ",
}


def test_signing_up_creates_an_org_with_the_signer_as_its_admin(client, db):
    response = client.post("/accounts/signup/", SIGNUP)

    organization = Organization.objects.get()
    assert (organization.name, organization.slug) == ("North Wind Co-op", "north-wind-co-op")
    assert response["Location"] == "/manage/north-wind-co-op/settings/"
    membership = Membership.objects.get()
    assert membership.user.username == "carol" and membership.role == Membership.Role.ADMIN
    assert membership.user.check_password(SIGNUP["password1"])
    assert client.get("/manage/north-wind-co-op/settings/").status_code == 200


def test_the_welcome_after_signing_up_ends_the_org_name_with_one_full_stop(client, db):
    response = client.post(
        "/accounts/signup/", {**SIGNUP, "organization_name": "North Wind Co."}, follow=True
    )
    assert "You are the admin of North Wind Co. Connect" in response.content.decode()


def test_sign_ups_from_one_address_are_limited_per_day(client, db, settings):
    """Each sign-up is an org that may email strangers."""
    settings.SIGNUP_LIMIT_PER_DAY = 2

    def sign_up(number: int, address: str = "203.0.113.7"):
        data = {
            "username": f"sam{number}",
            "email": f"sam{number}@example.com",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "organization_name": f"Sam's {number}",
        }
        return Client(REMOTE_ADDR=address).post("/accounts/signup/", data)

    statuses = [sign_up(number).status_code for number in range(3)]

    assert statuses == [302, 302, 429]
    assert not User.objects.filter(username="sam2").exists()
    assert "Too many organizations were created" in sign_up(3).content.decode()
    # Refused before hashing a password: past the limit a sign-up costs the server little.
    with mock.patch("django.contrib.auth.models.make_password", side_effect=AssertionError):
        assert sign_up(5).status_code == 429
    assert sign_up(4, address="198.51.100.9").status_code == 302  # another address
    assert Organization.objects.count() == 3
    # An IPv6 client has a /64 of addresses to itself: they count as one.
    assert [sign_up(n, address=f"2001:db8:5:5::{n}").status_code for n in range(6, 9)] == [
        302,
        302,
        429,
    ]


def test_a_second_click_on_sign_up_is_told_the_account_was_made_even_at_the_daily_limit(
    client, db, settings, monkeypatch
):
    """Its form was checked before the first click made the account; it makes nothing, so it
    does not count against the limit."""
    settings.SIGNUP_LIMIT_PER_DAY = 1
    form_check = SignupForm.is_valid

    def first_click_lands_meanwhile(form: SignupForm) -> bool:
        valid = form_check(form)
        monkeypatch.setattr(SignupForm, "is_valid", form_check)
        assert Client().post("/accounts/signup/", SIGNUP).status_code == 302
        return valid

    monkeypatch.setattr(SignupForm, "is_valid", first_click_lands_meanwhile)

    second = client.post("/accounts/signup/", SIGNUP)

    assert second.status_code == 200
    assert "“carol” was created a moment ago (a second click?)" in second.content.decode()
    assert Organization.objects.count() == 1


def test_signing_up_numbers_a_slug_that_is_taken(client, db):
    Organization.objects.create(name="North Wind", slug="north-wind-co-op")
    client.post("/accounts/signup/", SIGNUP)
    assert Organization.objects.filter(slug="north-wind-co-op-2").exists()


def test_a_slug_another_sign_up_takes_between_the_check_and_the_insert_is_numbered(
    signed_in, monkeypatch
):
    """Two names that fold to one slug ("Bjorn AS", "Bjørn AS") signed up at once: the one whose
    INSERT comes second is refused by the unique slug, and takes the next (SLUG_ATTEMPTS)."""
    Organization.objects.create(name="Bjorn AS", slug="bjorn-as")
    slug_free = memberships.organization_slug_free
    read_before_the_other_insert = iter(["bjorn-as"])
    monkeypatch.setattr(
        memberships,
        "organization_slug_free",
        lambda name: next(read_before_the_other_insert, None) or slug_free(name),
    )

    signed_in.post("/manage/new/", {"organization_name": "Bjørn AS"})

    assert Organization.objects.get(name="Bjørn AS").slug == "bjorn-as-2"


def test_an_org_named_after_a_page_of_the_site_gets_a_slug_of_its_own(signed_in):
    """Its address /manage/new/ was the page that makes an org."""
    signed_in.post("/manage/new/", {"organization_name": "New"})

    assert Organization.objects.get(name="New").slug == "new-2"


def test_no_fixed_path_where_an_orgs_slug_goes_is_a_slug_an_org_can_have():
    """A page added at /manage/<word>/ or /orgs/<word>/ must be added to SLUGS_OF_SITE_PAGES."""
    from jobs import manage_urls, urls

    routes = [str(pattern.pattern) for pattern in manage_urls.urlpatterns] + [
        str(pattern.pattern).removeprefix("orgs/")
        for pattern in urls.urlpatterns
        if str(pattern.pattern).startswith("orgs/")
    ]
    fixed = {route.split("/")[0] for route in routes} - {""}

    assert {segment for segment in fixed if not segment.startswith("<")} == SLUGS_OF_SITE_PAGES


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Bjørn Søgaard AS", "bjorn-sogaard-as"),
        ("Straße & Œuvre GmbH", "strasse-oeuvre-gmbh"),
        ("Łódź Dev", "lodz-dev"),
        ("Kraków Labs", "krakow-labs"),
        ("Yazılım Işık A.Ş.", "yazilim-isik-as"),  # Turkish's dotless ı, typed i
        ("Þór Garðabær ehf.", "thor-gardabaer-ehf"),  # Icelandic's thorn and eth, typed th, d
    ],
)
def test_a_new_orgs_slug_keeps_the_letters_slugify_drops_as_typed_without_accents(
    signed_in, name, slug
):
    """slugify() takes accents off, but drops "ø", "ß", "Œ" and "Ł" whole: "Bjørn" was at
    /orgs/bjrn-…/, an address its people would not type or recognise."""
    signed_in.post("/manage/new/", {"organization_name": name})

    assert Organization.objects.get(name=name).slug == slug
    validate_organization_slug(slug)


@pytest.mark.parametrize(
    ("name", "taken", "slug"),
    [("a" * 99 + " b", [], "a" * 99), ("a" * 97 + " bcd", ["a" * 97 + "-bc"], "a" * 97 + "-2")],
    ids=["cut before a hyphen", "numbered after a cut before a hyphen"],
)
def test_a_long_names_slug_is_cut_to_one_djangos_admin_would_take(db, name, taken, slug):
    """Cut to 100 characters, it ended in "-" or held "--": validate_organization_slug refuses
    both in Django's admin and connect_greenhouse."""
    for other in taken:
        Organization.objects.create(name=name, slug=other)

    assert memberships.organization_slug_free(name) == slug
    validate_organization_slug(slug)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"username": "ALICE"}, "already exists"),
        ({"username": "\u3164"}, "Choose a username that shows"),  # a Hangul filler, blank
        ({"email": "alice@ACME.example"}, "already exists"),
        ({"email": "not an email"}, "valid email"),
        ({"email": ""}, "Type your email address."),  # no address, no password reset
        ({"email": "carol@\u3002north.example"}, "An email cannot be sent to this address"),
        ({"password1": "short", "password2": "short"}, "too short"),
        ({"password2": "a different passphrase"}, "didn’t match"),
        ({"organization_name": "   "}, "Give your organization a name."),
        ({"organization_name": "\u200b\u200e"}, "Give your organization a name."),
    ],
)
def test_signing_up_with_bad_input_says_why_and_creates_nothing(client, owner, change, error):
    response = client.post("/accounts/signup/", {**SIGNUP, **change})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Organization.objects.filter(name__icontains="north").exists()
    assert not User.objects.filter(username="carol").exists()


def test_the_sign_up_forms_empty_boxes_say_what_to_type(client, db):
    """They said Django's "This field is required.", which did not say what to type, as the
    email change and account delete boxes did."""
    response = client.post("/accounts/signup/", dict.fromkeys(SIGNUP, ""))

    errors = response.context["form"].errors
    assert {name: errors[name] for name in errors} == {
        "username": ["Type a username to sign in with."],
        "email": ["Type your email address."],
        "password1": ["Type a password."],
        "password2": ["Type the password again."],
        "organization_name": ["Give your organization a name."],
    }
    assert "This field is required" not in response.content.decode()
    assert not User.objects.exists()


def test_the_sign_up_form_says_what_each_field_asks_of_the_person_for_autofill(client, db):
    """WCAG 1.3.5: browsers and assistive tools fill in, or show by an icon, a field whose purpose
    is named; all these but the org's address ask about the person signing up."""
    page = parsed(client.get("/accounts/signup/"))

    purposes = {
        field["name"]: field.get("autocomplete")
        for field in page.select("main form input:not([type=hidden])")
    }
    assert purposes == {
        "username": "username",
        "email": "email",
        "password1": "new-password",
        "password2": "new-password",
        "organization_name": "organization",
        "organization_slug": "off",  # a new address, typed exactly (EXACT_TEXT_ATTRS)
    }


def password_form_errors(response) -> dict[str, list[str]]:
    """Each field's errors by its name, as shown under it."""
    form = response.context["form"]
    return {name: list(errors) for name, errors in form.errors.items()}


def test_a_password_the_rules_refuse_is_reported_on_its_own_field(signed_in, owner):
    """Not "Password confirmation: This password is too common." under a confirmation typed
    right: the password's field is the one that lists the rules."""
    common = "password"
    client = Client()  # a visitor's, beside the signed-in one
    signup = client.post("/accounts/signup/", {**SIGNUP, "password1": common, "password2": common})
    client.post("/accounts/password_reset/", {"email": "alice@acme.example"})
    reset_url = client.get(reset_link(mail.outbox[0]))["Location"]
    reset = client.post(reset_url, {"new_password1": common, "new_password2": common})
    change = signed_in.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": common, "new_password2": common},
    )

    too_common = ["This password is too common."]
    assert password_form_errors(signup) == {"password1": too_common}
    assert password_form_errors(reset) == {"new_password1": too_common}
    assert password_form_errors(change) == {"new_password1": too_common}
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and not User.objects.filter(username="carol").exists()


def test_a_signed_in_user_is_not_offered_sign_up_and_is_told_why(signed_in, owner):
    """It led to /manage/ saying nothing: the visitor could not tell why the page never came."""
    response = signed_in.get("/accounts/signup/")
    assert response["Location"] == "/manage/"

    page = BeautifulSoup(signed_in.get(response["Location"]).content, "html.parser")
    assert spoken_text(page.select_one(".messages")) == (
        f"You are already signed in, as {owner.username}. You can create another organization "
        "from here; to sign up with a new account, sign out first."
    )


def test_a_head_of_sign_up_leaves_no_message_for_a_later_page(signed_in):
    """A link checker or monitor asking with HEAD, in the session: the message it queued was
    said on the next page the person opened, though they never asked for sign up."""
    assert signed_in.head("/accounts/signup/")["Location"] == "/manage/"

    page = BeautifulSoup(signed_in.get("/manage/").content, "html.parser")
    assert page.select_one(".messages") is None


def test_the_sign_in_page_tells_a_signed_in_visitor_as_whom_and_still_signs_in_another(
    signed_in, owner, member
):
    """It showed an empty form, saying nothing of the account already signed in."""
    page = BeautifulSoup(signed_in.get("/accounts/login/").content, "html.parser")

    notice = page.select_one("main .notice")
    assert spoken_text(notice.p) == (
        f"You are already signed in as {owner.username}. Go to Manage, sign out, or sign in "
        "below with another account."
    )
    assert notice.a["href"] == "/manage/"
    assert notice.form["action"] == "/accounts/logout/"
    assert page.select_one("form.stacked input[name=username]") is not None

    signed_in.post("/accounts/login/", {"username": member.username, "password": PASSWORD})
    assert signed_in.get("/manage/").context["user"] == member


def test_the_sign_in_page_says_nothing_of_an_account_to_a_signed_out_visitor(client, db):
    page = BeautifulSoup(client.get("/accounts/login/").content, "html.parser")
    assert page.select_one("main .notice") is None


# --- Deleting one's own account -------------------------------------------------------------------


def test_a_member_deletes_their_account_with_their_password(client, member, acme, caplog):
    client.force_login(member)
    assert 'href="/accounts/delete/"' in client.get("/manage/").content.decode()
    member_pk = member.pk

    with caplog.at_level(logging.WARNING, logger="jobs.manage_views"):
        response = client.post(
            "/accounts/delete/", {"password": "correct horse battery"}, follow=True
        )

    assert f"account deleted user={member_pk}" in caplog.text

    assert response.redirect_chain == [("/", 302)]
    assert "Your account was deleted." in response.content.decode()
    assert not User.objects.filter(username="bob").exists()
    assert not Membership.objects.filter(user_id=member.pk).exists()
    assert Organization.objects.filter(slug="acme").exists()
    assert client.get("/manage/").status_code == 302  # signed out


def test_a_wrong_password_deletes_nothing(client, member):
    client.force_login(member)
    response = client.post("/accounts/delete/", {"password": "wrong"})
    assert "That is not your password. Nothing was deleted." in response.content.decode()
    assert User.objects.filter(username="bob").exists()


@pytest.mark.parametrize(
    ("url", "sent", "said"),
    [
        (
            "/accounts/delete/",
            {"password": ""},
            "Type your password to delete your account. Nothing was deleted.",
        ),
        (
            "/accounts/email/",
            {"email": "bobby@acme.example", "password": ""},
            "Type your password to change your address. Your address was not changed.",
        ),
        (
            "/accounts/email/",
            {"email": "", "password": "correct horse battery"},
            "Type the new address. Your address was not changed.",
        ),
    ],
    ids=["account-delete", "email-change", "email-change-address"],
)
def test_an_empty_box_says_what_to_type(client, member, url, sent, said):
    """It said Django's "This field is required.", which did not say what to type."""
    client.force_login(member)
    response = client.post(url, sent)
    assert said in response.content.decode()
    assert "This field is required" not in response.content.decode()
    assert User.objects.get(username="bob").email == member.email


def test_the_password_forms_empty_boxes_say_what_to_type(client, owner):
    """The reset, the new password from its link and the change said Django's "This field is
    required.", which did not say what to type, as the sign-up form's boxes do."""

    def errors(url: str) -> dict[str, list[str]]:
        response = client.post(url, {})
        assert "This field is required" not in response.content.decode()
        form = response.context["form"]
        return {name: form.errors[name] for name in form.errors}

    assert errors("/accounts/password_reset/") == {"email": ["Type your email address."]}
    assert not mail.outbox
    client.post("/accounts/password_reset/", {"email": owner.email})
    form_url = client.get(reset_link(mail.outbox[0]))["Location"]
    assert errors(form_url) == {
        "new_password1": ["Type a password."],
        "new_password2": ["Type the password again."],
    }
    client.force_login(owner)
    assert errors("/accounts/password_change/") == {
        "old_password": ["Type your current password."],
        "new_password1": ["Type a password."],
        "new_password2": ["Type the password again."],
    }
    owner.refresh_from_db()
    assert owner.check_password("correct horse battery")


def test_the_only_admin_is_told_which_orgs_need_another_first(signed_in, owner, member):
    page = signed_in.get("/accounts/delete/").content.decode()
    assert "<bdi>Acme Robotics</bdi>:" in page and 'href="/manage/acme/members/"' in page
    assert 'name="password"' not in page  # nothing to confirm yet

    response = signed_in.post("/accounts/delete/", {"password": "correct horse battery"})

    assert (
        "Acme Robotics has no other admin who can sign in. Make someone else its admin, or "
        "delete it, first."
    ) in response.content.decode()
    assert User.objects.filter(username="alice").exists()
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    assert "Acme Robotics:" not in signed_in.get("/accounts/delete/").content.decode()
    signed_in.post("/accounts/delete/", {"password": "correct horse battery"})
    assert not User.objects.filter(username="alice").exists()


def test_the_only_member_deleting_their_account_is_told_to_invite_an_admin_first(signed_in, owner):
    """It said "Make someone else its admin", asking for someone who does not exist; a
    deactivated account's membership counts as nobody, as on the members page."""
    ghost = User.objects.create_user("ghost", "ghost@acme.example", is_active=False)
    Membership.objects.create(organization=owner.memberships.get().organization, user=ghost)

    response = signed_in.post("/accounts/delete/", {"password": "correct horse battery"})

    assert (
        "Acme Robotics has no other admin who can sign in. Invite someone as its admin, or "
        "delete it, first."
    ) in response.content.decode()
    assert User.objects.filter(username="alice").exists()


def test_the_only_member_deleting_their_account_with_an_admin_invited_is_told_to_wait(
    signed_in, owner
):
    """It said "Invite someone as its admin", as though nobody were invited: inviting them
    again voids the link they have."""
    invite(signed_in, "carol@acme.example", role="admin")

    def refusal() -> str:
        response = signed_in.post("/accounts/delete/", {"password": "correct horse battery"})
        return " ".join(response.context["form"].non_field_errors())

    assert refusal() == (
        "Acme Robotics has no other admin who can sign in. Someone is invited as its admin: "
        "try again once they have joined, or delete it."
    )
    Invitation.objects.update(sent_at=timezone.now() - timedelta(days=INVITATION_DAYS, hours=1))
    assert refusal() == (
        "Acme Robotics has no other admin who can sign in. Its admin invitation expired or "
        "could not be sent: press “Send again” by it on its members page, then try again once "
        "they have joined, or delete it."
    )
    # Another invited beside the expired one: there is someone to wait for.
    invite(signed_in, "dave@acme.example", role="admin")
    assert refusal() == (
        "Acme Robotics has no other admin who can sign in. Someone is invited as its admin: "
        "try again once they have joined, or delete it."
    )
    assert User.objects.filter(username="alice").exists()


def test_guessing_the_password_is_throttled_like_signing_in(client, member, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client.force_login(member)
    statuses = [
        client.post("/accounts/delete/", {"password": f"guess {n}"}).status_code for n in range(3)
    ]

    response = client.post("/accounts/delete/", {"password": "correct horse battery"})

    assert statuses == [200, 200, 200]
    assert response.status_code == 429 and "Too many failed" in response.content.decode()
    assert 'href="/accounts/password_reset/"' in response.content.decode()  # the link it names
    assert User.objects.filter(username="bob").exists()


@pytest.mark.parametrize(
    "flags", [{"is_staff": True, "is_superuser": True}, {"is_staff": False, "is_superuser": True}]
)
def test_a_staff_account_is_not_deleted_here(client, db, flags):
    staff = User.objects.create_user("root", "root@example.com", "correct horse battery", **flags)
    client.force_login(staff)
    page = client.get("/accounts/delete/").content.decode()
    assert "Staff accounts are deleted by another staff member" in page
    assert 'name="password"' not in page

    response = client.post("/accounts/delete/", {"password": "correct horse battery"})

    assert "Staff accounts are deleted by another staff member" in response.content.decode()
    assert User.objects.filter(username="root").exists()


def test_django_admin_does_not_delete_an_orgs_only_admin(client, owner, member):
    staff = User.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(staff)

    refused = client.post(f"/admin/auth/user/{owner.pk}/delete/", {"post": "yes"}, follow=True)
    client.post(f"/admin/auth/user/{member.pk}/delete/", {"post": "yes"})

    assert refused.redirect_chain[-1][0] == f"/admin/auth/user/{owner.pk}/change/"
    assert LogEntry.objects.get(action_flag=DELETION).object_repr == "bob"  # not alice
    assert "was not deleted: nobody else who can sign in is an admin of Acme Robotics." in (
        refused.content.decode()
    )
    assert list(User.objects.order_by("username").values_list("username", flat=True)) == [
        "alice",
        "root",
    ]


def test_staff_who_may_not_delete_accounts_are_not_told_who_administers_what(client, owner):
    client.force_login(User.objects.create_user("viewer", is_staff=True))

    response = client.get(f"/admin/auth/user/{owner.pk}/delete/")

    assert response.status_code == 403
    assert not list(get_messages(response.wsgi_request))


def test_django_admins_list_action_keeps_one_of_two_admins(client, owner, member):
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    staff = User.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(staff)

    response = client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [owner.pk, member.pk], "post": "yes"},
        follow=True,
    )

    assert "was not deleted" in response.content.decode()
    assert "Successfully deleted 1 user." in response.content.decode()
    assert Membership.objects.filter(role=Membership.Role.ADMIN).count() == 1


@pytest.mark.parametrize("asked_by", ["delete page", "list action"])
def test_django_admin_asks_to_delete_an_account_without_its_count_of_address_changes(
    client, owner, member, asked_by
):
    """Bookkeeping of the confirmation links, which staff never see: listed, it read as one more
    thing the account would lose. Deleted with the account all the same."""
    email_change_count(user=member)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    if asked_by == "delete page":
        url, data = f"/admin/auth/user/{member.pk}/delete/", {}
    else:
        url = "/admin/auth/user/"
        data = {"action": "delete_selected", "_selected_action": [member.pk]}

    asked = client.post(url, data) if data else client.get(url)

    content = parsed(asked).select_one("#content")
    summary = [item.get_text() for item in content.select_one("h2 + ul").select("li")]
    assert summary == ["Users: 1", "Memberships: 1"]
    listed = [item.get_text(" ", strip=True) for item in content.select("ul ul > li")]
    assert listed == ["Membership: bob (member) in Acme Robotics"]
    client.post(url, {**data, "post": "yes"})
    assert not User.objects.filter(pk=member.pk).exists()
    assert not EmailChangeCount.objects.filter(user_id=member.pk).exists()


def admin_form_values(response) -> dict[str, object]:
    """What a browser sends back from the Django admin's form as served, unchanged."""
    form = parsed(response).select_one("#content-main form")
    values: dict[str, object] = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name, kind = field["name"], field.get("type")
        if field.name == "select":
            chosen = [option["value"] for option in field.select("option[selected]")]
            if chosen:
                values[name] = chosen if field.has_attr("multiple") else chosen[0]
        elif field.name == "textarea":
            values[name] = field.get_text()
        elif kind in ("checkbox", "radio"):
            if field.has_attr("checked"):
                values[name] = field.get("value", "on")
        elif kind not in ("submit", "button"):
            values[name] = field.get("value", "")
    return values


@pytest.fixture
def staff_client(client: Client, db) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return client


def deactivate_in_django_admin(client: Client, user: User):
    url = f"/admin/auth/user/{user.pk}/change/"
    values = admin_form_values(client.get(url))
    del values["is_active"]  # the box unticked
    return client.post(url, values)


def turn_password_off_in_django_admin(client: Client, user: User):
    return client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"usable_password": "false", "password1": "", "password2": "", "unset-password": "1"},
    )


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (deactivate_in_django_admin, "The account “alice” stays active"),
        (turn_password_off_in_django_admin, "Password sign-in stays on for the account “alice”"),
    ],
)
def test_django_admin_keeps_an_orgs_only_admin_able_to_sign_in(
    staff_client, owner, member, change, refusal
):
    refused = change(staff_client, owner)

    assert refused.status_code == 200
    assert (
        f"{refusal}: nobody else who can sign in is an admin of Acme Robotics. Add another "
        "admin to it, or delete it, first."
    ) in refused.content.decode()
    owner.refresh_from_db()
    assert owner.is_active and owner.check_password(PASSWORD)

    assert change(staff_client, member).status_code == 302
    member.refresh_from_db()
    assert not memberships.can_sign_in(member)
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    assert change(staff_client, owner).status_code == 200  # an admin who cannot sign in: none

    member.is_active = True
    member.set_password(PASSWORD)
    member.save()
    assert change(staff_client, owner).status_code == 302
    owner.refresh_from_db()
    assert not memberships.can_sign_in(owner)


@pytest.mark.parametrize("spelt", ["quoted plus", "line break", "space", "Arabic-Indic digits"])
def test_django_admin_finds_an_account_by_its_id_in_digits_only(staff_client, member, spelt):
    """A write's lock of the account, taken before its page reads it, knows its id as digits;
    Django's admin read others through int() ("+2", quoted "_2B2"; "2" and a line break; " 2";
    "٢"), at which a page read and saved the account without that lock: a deactivation or a
    delete by other staff meanwhile was undone by its save. They are not found, as the list's
    actions ignore such ids."""
    pk = str(member.pk)
    object_id = {
        "quoted plus": f"_2B{pk}",
        "line break": f"{pk}_0A",
        "space": f"%20{pk}",
        "Arabic-Indic digits": "".join(chr(0x660 + int(digit)) for digit in pk),
    }[spelt]
    pages = f"/admin/auth/user/{object_id}"

    assert staff_client.get(f"{pages}/password/").status_code == 404
    assert staff_client.get(f"{pages}/change/")["Location"] == "/admin/"  # Django's "not found"
    assert staff_client.post(f"{pages}/delete/", {"post": "yes"})["Location"] == "/admin/"
    assert User.objects.filter(pk=member.pk, is_active=True).exists()
    assert staff_client.get(f"/admin/auth/user/{pk}/password/").status_code == 200


def test_django_admins_refusal_names_every_org_in_one_sentence(staff_client, owner):
    tiny = Organization.objects.create(name="Tiny Co.", slug="tiny")
    Membership.objects.create(organization=tiny, user=owner, role=Membership.Role.ADMIN)

    refused = deactivate_in_django_admin(staff_client, owner)

    assert (
        "The account “alice” stays active: nobody else who can sign in is an admin of Acme "
        "Robotics, Tiny Co. Add another admin to each, or delete them, first."
    ) in refused.content.decode()


def test_a_link_asked_before_staff_changed_the_address_stays_unusable_once_it_is_back(
    staff_client, owner
):
    """Staff in the Django admin change an address as its owner's link does: changed there and
    back, the address alone made the links asked before valid again."""
    token = email_change_token(owner, "alice@new.example")
    url = f"/admin/auth/user/{owner.pk}/change/"
    for email in ("alice@elsewhere.example", "alice@acme.example"):
        values = admin_form_values(staff_client.get(url))
        assert staff_client.post(url, {**values, "email": email}).status_code == 302

    owner.refresh_from_db()
    assert owner.email == "alice@acme.example"
    with pytest.raises(EmailChangeError):
        email_change_of(token, user=owner)


def test_django_admin_deactivates_an_admin_who_could_not_sign_in_anyway(staff_client, owner):
    owner.set_unusable_password()
    owner.save()

    assert deactivate_in_django_admin(staff_client, owner).status_code == 302
    owner.refresh_from_db()
    assert not owner.is_active


def test_django_admin_does_not_rename_an_account_to_another_ones_name_in_other_case(
    staff_client, owner, member
):
    """Alice signs in as "Alice" too (as Django's add-user form knows): with a "ALICE" beside
    her, only the exact spelling would."""
    url = f"/admin/auth/user/{member.pk}/change/"
    values = admin_form_values(staff_client.get(url))

    refused = staff_client.post(url, {**values, "username": "ALICE"})

    assert refused.status_code == 200
    assert "A user with that username already exists." in refused.content.decode()
    member.refresh_from_db()
    assert member.username == "bob"
    assert staff_client.post(url, {**values, "username": "Bob"}).status_code == 302  # their own


def test_django_admin_does_not_rename_an_account_to_a_name_that_shows_nothing(staff_client, member):
    """As sign-up refuses it: the nav and emails would show a blank name."""
    url = f"/admin/auth/user/{member.pk}/change/"
    values = admin_form_values(staff_client.get(url))

    refused = staff_client.post(url, {**values, "username": "\u3164"})  # a Hangul filler

    assert refused.status_code == 200
    assert "Choose a username that shows: this one is all blank." in refused.content.decode()
    member.refresh_from_db()
    assert member.username == "bob"
    # One so named before sign-up refused it is still saved, as the rest of its form says.
    User.objects.filter(pk=member.pk).update(username="\u1160")  # the filler as stored (NFKC)
    kept = staff_client.post(url, {**values, "username": "\u1160", "first_name": "Bob"})
    assert kept.status_code == 302
    member.refresh_from_db()
    assert member.first_name == "Bob"


def test_django_admin_does_not_give_an_account_an_address_another_has(staff_client, owner, member):
    """As sign-up and /accounts/email/ refuse it: an invitation to that address went to one of
    the two accounts, whichever came first, and a password reset to both."""
    url = f"/admin/auth/user/{member.pk}/change/"
    values = admin_form_values(staff_client.get(url))

    refused = staff_client.post(url, {**values, "email": "Alice@ACME.example"})

    assert refused.status_code == 200
    assert EMAIL_TAKEN_MESSAGE in refused.content.decode()
    member.refresh_from_db()
    assert member.email == "bob@acme.example"
    # Its own address in another case is still its own; and one shared before these checks
    # does not stop the rest of its form from being saved.
    assert staff_client.post(url, {**values, "email": "Bob@acme.example"}).status_code == 302
    User.objects.filter(pk=owner.pk).update(email="")
    values = admin_form_values(staff_client.get(url))  # each from the page as saved
    assert staff_client.post(url, {**values, "email": ""}).status_code == 302  # none is no one's
    User.objects.filter(pk=member.pk).update(email=owner.email)
    values = admin_form_values(staff_client.get(url))
    kept = staff_client.post(url, {**values, "first_name": "Bob"})
    assert kept.status_code == 302


MEANWHILE = {
    "deactivated": {"is_active": False},
    "staff status taken": {"is_staff": False, "is_superuser": False},
    "email changed": {"email": "robert@acme.example"},
    "date joined changed": {"date_joined": datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)},
}


@pytest.mark.parametrize("change", [*MEANWHILE, "group added", "group removed", "permission added"])
def test_a_django_admin_page_saved_after_another_change_to_the_account_keeps_it(
    staff_client, member, change
):
    """Django's admin saved the account whole as its page showed it: a page left open while
    other staff deactivated the account (or took its staff status, changed its address, its
    groups or permissions) put it all back, saved only to change a name. Only what the page
    changed is saved."""
    editors = Group.objects.create(name="Editors")
    User.objects.filter(pk=member.pk).update(is_staff=True, is_superuser=True)
    if change == "group removed":
        member.groups.add(editors)
    url = f"/admin/auth/user/{member.pk}/change/"
    values = admin_form_values(staff_client.get(url))
    User.objects.filter(pk=member.pk).update(**MEANWHILE.get(change, {}))
    if change == "group added":
        member.groups.add(editors)
    elif change == "group removed":
        member.groups.clear()
    elif change == "permission added":
        member.user_permissions.add(Permission.objects.get(codename="view_job"))

    response = staff_client.post(url, {**values, "first_name": "Robert"})

    assert response.status_code == 302
    saved = User.objects.get(pk=member.pk)
    expected = {"is_active": True, "is_staff": True, "is_superuser": True}
    expected |= {"email": "bob@acme.example", "date_joined": member.date_joined}
    expected |= MEANWHILE.get(change, {})
    assert {name: getattr(saved, name) for name in expected} == expected
    assert saved.first_name == "Robert"
    assert [group.name for group in saved.groups.all()] == (
        ["Editors"] if change == "group added" else []
    )
    assert saved.user_permissions.exists() == (change == "permission added")


@pytest.mark.parametrize(
    ("typed", "label"), [({"first_name": "Robert"}, "First name"), ({"groups": ["1"]}, "Groups")]
)
def test_a_django_admin_page_changing_what_was_changed_meanwhile_is_refused(
    staff_client, member, typed, label
):
    """Saved, it undid the other change unseen: it is refused, naming the field, and nothing
    of it is saved."""
    Group.objects.bulk_create([Group(pk=1, name="Editors"), Group(pk=2, name="Admins")])
    url = f"/admin/auth/user/{member.pk}/change/"
    values = admin_form_values(staff_client.get(url))
    User.objects.filter(pk=member.pk).update(first_name="Bobby")
    member.groups.add(2)

    refused = staff_client.post(url, {**values, **typed, "last_name": "Smith"})

    assert refused.status_code == 200
    assert (
        f"Nothing was saved: “{label}” changed by someone else since this page was opened."
    ) in parsed(refused).get_text()
    saved = User.objects.get(pk=member.pk)
    assert (saved.first_name, saved.last_name) == ("Bobby", "")
    assert list(saved.groups.values_list("name", flat=True)) == ["Admins"]


def test_a_django_admin_page_typing_a_name_stored_before_its_cleaning_cleaned_saves_it(
    staff_client, member
):
    """The name as the page showed it, sent back, was compared as cleaned with the name stored,
    which its cleaning would change: taken for one changed meanwhile, it was refused."""
    User.objects.filter(pk=member.pk).update(first_name="Zoë\x07 ")
    url = f"/admin/auth/user/{member.pk}/change/"
    values = admin_form_values(staff_client.get(url))

    response = staff_client.post(url, {**values, "first_name": "Zoë"})

    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).first_name == "Zoë"


def test_a_django_admin_page_showing_an_org_s_only_admin_inactive_saves_once_activated(
    staff_client, owner
):
    """Its box left unticked is no deactivation: it was refused as one of the only admin, an
    account activated since the page was opened."""
    User.objects.filter(pk=owner.pk).update(is_active=False)
    url = f"/admin/auth/user/{owner.pk}/change/"
    values = admin_form_values(staff_client.get(url))
    User.objects.filter(pk=owner.pk).update(is_active=True)

    assert staff_client.post(url, {**values, "first_name": "Al"}).status_code == 302
    saved = User.objects.get(pk=owner.pk)
    assert (saved.first_name, saved.is_active) == ("Al", True)


def test_a_django_admin_page_changing_the_date_joined_saves_it(staff_client, member):
    url = f"/admin/auth/user/{member.pk}/change/"
    values = admin_form_values(staff_client.get(url))

    response = staff_client.post(url, {**values, "date_joined_0": "2020-01-02"})

    assert response.status_code == 302
    joined = timezone.localtime(User.objects.get(pk=member.pk).date_joined)
    assert joined.date().isoformat() == "2020-01-02"


@pytest.mark.parametrize("change", ["groups", "date_joined_0"])
def test_a_django_admin_page_of_an_account_shown_again_with_an_error_saves_once_corrected(
    staff_client, member, change
):
    """Shown again, its hidden inputs of the values shown carried the ones typed for a list
    shown empty (which sends no input) or a date and time (sent in parts): corrected and saved,
    the page found no change there, and said it saved the account with neither written."""
    Group.objects.create(pk=1, name="Editors")
    typed = {"groups": ["1"], "date_joined_0": "2020-01-02"}[change]
    url = f"/admin/auth/user/{member.pk}/change/"
    values = admin_form_values(staff_client.get(url))
    refused = staff_client.post(url, {**values, change: typed, "username": ""})
    assert refused.status_code == 200

    response = staff_client.post(url, {**admin_form_values(refused), "username": "bob"})

    assert response.status_code == 302
    saved = User.objects.get(pk=member.pk)
    assert [group.name for group in saved.groups.all()] == (["Editors"] if typed == ["1"] else [])
    joined = timezone.localtime(saved.date_joined).date().isoformat()
    assert (joined == "2020-01-02") == (change == "date_joined_0")


def test_a_django_admin_save_sent_without_the_values_shown_writes_every_list(staff_client, member):
    """A script (or a page served before they were sent) says nothing of what was shown: the
    lists are taken as the account's, so a list left out empties it, as in Django's."""
    member.groups.add(Group.objects.create(name="Editors"))
    sent = {"username": "bob", "date_joined_0": "2020-01-02", "date_joined_1": "10:00:00"}

    response = staff_client.post(f"/admin/auth/user/{member.pk}/change/", sent)

    assert response.status_code == 302
    saved = User.objects.get(pk=member.pk)
    assert (saved.is_active, saved.groups.exists()) == (False, False)


def test_the_django_admin_page_of_an_account_sends_no_password_hash_back(staff_client, member):
    page = staff_client.get(f"/admin/auth/user/{member.pk}/change/").content.decode()

    assert 'name="initial-first_name"' in page  # what it showed, sent back
    assert 'name="initial-password"' not in page
    assert member.password not in page


JOB_PERMISSIONS = ("view_job", "change_job")


def group_page_changed_meanwhile(client: Client, change: str) -> tuple[str, dict, Group]:
    """The address and values of the admin page of a group, "Editors" who may view jobs, as
    served, then the group changed by other staff: "renamed" (to "Writers"), "permission
    added" (to change jobs) or "permission removed"."""
    view_job, change_job = (Permission.objects.get(codename=name) for name in JOB_PERMISSIONS)
    editors = Group.objects.create(name="Editors")
    editors.permissions.add(view_job)
    url = f"/admin/auth/group/{editors.pk}/change/"
    values = admin_form_values(client.get(url))
    if change == "renamed":
        Group.objects.filter(pk=editors.pk).update(name="Writers")
    elif change == "permission added":
        editors.permissions.add(change_job)
    else:
        editors.permissions.clear()
    return url, values, editors


@pytest.mark.parametrize("change", ["renamed", "permission added", "permission removed"])
def test_a_django_admin_page_saved_after_another_change_to_the_group_keeps_it(staff_client, change):
    """Django's admin saved a group whole as its page showed it: a page left open while other
    staff renamed the group (or changed its permissions) put it back, saved only to change the
    other. Only what the page changed is saved."""
    url, values, editors = group_page_changed_meanwhile(staff_client, change)
    permissions = Permission.objects.filter(codename__in=JOB_PERMISSIONS)
    typed = (
        {"permissions": [str(pk) for pk in permissions.values_list("pk", flat=True)]}
        if change == "renamed"
        else {"name": "Reviewers"}
    )

    response = staff_client.post(url, {**values, **typed})

    assert response.status_code == 302
    saved = Group.objects.get(pk=editors.pk)
    assert saved.name == ("Writers" if change == "renamed" else "Reviewers")
    assert sorted(saved.permissions.values_list("codename", flat=True)) == (
        [] if change == "permission removed" else ["change_job", "view_job"]
    )


@pytest.mark.parametrize(
    ("meanwhile", "label"), [("renamed", "Name"), ("permission added", "Permissions")]
)
def test_a_django_admin_page_changing_what_was_changed_meanwhile_in_the_group_is_refused(
    staff_client, meanwhile, label
):
    """Saved, it undid the other change unseen: it is refused, naming the field, and nothing
    of it is saved, neither the field changed meanwhile nor the other."""
    url, values, editors = group_page_changed_meanwhile(staff_client, meanwhile)

    refused = staff_client.post(url, {**values, "name": "Reviewers", "permissions": []})

    assert refused.status_code == 200
    assert (
        f"Nothing was saved: “{label}” changed by someone else since this page was opened. "
        "Reload the page to see the group as it is now, then make your change again."
    ) in parsed(refused).get_text()
    saved = Group.objects.get(pk=editors.pk)
    assert saved.name == ("Writers" if meanwhile == "renamed" else "Editors")
    assert sorted(saved.permissions.values_list("codename", flat=True)) == (
        ["view_job"] if meanwhile == "renamed" else ["change_job", "view_job"]
    )


def test_a_django_admin_page_of_a_group_shown_again_with_an_error_saves_once_corrected(
    staff_client,
):
    """Shown again, its hidden inputs of the values shown carried the permissions typed for a
    list shown empty (which sends no input): corrected and saved, the page found no change
    there, and said it saved the group with none written."""
    view_job = Permission.objects.get(codename="view_job")
    editors = Group.objects.create(name="Editors")
    url = f"/admin/auth/group/{editors.pk}/change/"
    values = admin_form_values(staff_client.get(url))
    refused = staff_client.post(url, {**values, "permissions": [str(view_job.pk)], "name": ""})
    assert refused.status_code == 200

    response = staff_client.post(url, {**admin_form_values(refused), "name": "Editors"})

    assert response.status_code == 302
    assert list(editors.permissions.values_list("codename", flat=True)) == ["view_job"]


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_django_admin_does_not_give_an_account_a_name_that_shows_nothing(
    staff_client, member, field
):
    """The admin lists accounts by their names, and greets staff by their first name ("Welcome,
    ."): spaces alone are stripped to no name, which is fine, but a zero-width space stayed."""
    url = f"/admin/auth/user/{member.pk}/change/"
    values = admin_form_values(staff_client.get(url))
    label = User._meta.get_field(field).verbose_name

    refused = staff_client.post(url, {**values, field: "\u200b\u3164"})

    assert refused.status_code == 200
    assert f"Choose a {label} that shows: this one is all blank." in refused.content.decode()
    member.refresh_from_db()
    assert getattr(member, field) == ""
    assert staff_client.post(url, {**values, field: "  "}).status_code == 302  # stripped: none
    # One so named before is still saved, as the rest of its form says.
    User.objects.filter(pk=member.pk).update(**{field: "\u200b"})
    assert (
        staff_client.post(url, {**values, field: "\u200b", "email": "b@x.example"}).status_code
        == 302
    )
    member.refresh_from_db()
    assert member.email == "b@x.example"


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_django_admin_saves_a_name_without_control_characters(staff_client, member, field):
    """The admin greets staff by their first name ("Welcome, Ann."): a control character showed
    as a box, and a right-to-left override reversed the header's links after the name."""
    url = f"/admin/auth/user/{member.pk}/change/"
    values = admin_form_values(staff_client.get(url))

    saved = staff_client.post(url, {**values, field: "\u202eAnn\x07 \n Lee"})

    assert saved.status_code == 302
    member.refresh_from_db()
    assert getattr(member, field) == "Ann Lee"


def test_django_admins_name_boxes_of_an_account_say_their_limit(staff_client, member):
    """They stop typing at 150 characters no more than an org's name's box (OneLineField), whose
    help says its limit: theirs said nothing, and a longer name was refused only once saved."""
    page = parsed(staff_client.get(f"/admin/auth/user/{member.pk}/change/"))

    for field in ("first_name", "last_name"):
        assert page.select_one(f"[name={field}]").get("maxlength") is None
        assert page.select_one(f"#id_{field}_helptext").get_text(strip=True) == (
            "At most 150 characters."
        )


def test_django_admin_does_not_add_an_account_named_so_that_nothing_shows(staff_client):
    refused = staff_client.post(
        "/admin/auth/user/add/",
        {"username": "\u3164\u3164", "usable_password": "false"},  # Hangul fillers
    )

    assert refused.status_code == 200
    assert "Choose a username that shows: this one is all blank." in refused.content.decode()
    assert not User.objects.exclude(username="root").exists()


def test_only_a_superuser_grants_superuser_status_groups_or_permissions(client, member):
    """Django lets anyone who may change users edit these, on their own account too."""
    manager = User.objects.create_user("manager", "manager@example.com", PASSWORD, is_staff=True)
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    powerful = Group.objects.create(name="Everything")
    powerful.permissions.set(Permission.objects.all())
    client.force_login(manager)

    for user in (manager, member):
        url = f"/admin/auth/user/{user.pk}/change/"
        values = admin_form_values(client.get(url))
        response = client.post(
            url,
            {
                **values,
                "is_superuser": "on",
                "groups": [powerful.pk],
                "user_permissions": [p.pk for p in Permission.objects.all()],
            },
        )
        assert response.status_code == 302  # the rest of the form is saved
        user.refresh_from_db()
        assert not user.is_superuser
        assert not user.groups.exists()
        assert user.user_permissions.count() == (2 if user == manager else 0)


def test_only_a_superuser_grants_a_group_permissions(client):
    """Staff who may change groups would otherwise give their own group every permission."""
    manager = User.objects.create_user("manager", "manager@example.com", PASSWORD, is_staff=True)
    team = Group.objects.create(name="Team")
    team.permissions.set(Permission.objects.filter(codename__in=["view_group", "change_group"]))
    manager.groups.add(team)
    client.force_login(manager)
    everything = [permission.pk for permission in Permission.objects.all()]

    response = client.post(
        f"/admin/auth/group/{team.pk}/change/", {"name": "Renamed", "permissions": everything}
    )

    assert response.status_code == 302  # the rest of the form is saved
    team.refresh_from_db()
    assert team.name == "Renamed"
    assert team.permissions.count() == 2
    client.force_login(User.objects.create_superuser("root", "root@example.com", PASSWORD))
    client.post(f"/admin/auth/group/{team.pk}/change/", {"name": "Team", "permissions": everything})
    assert team.permissions.count() == len(everything)


def powerful_account(kind: str) -> User:
    user = User.objects.create_user(kind, f"{kind}@example.com", PASSWORD)
    if kind == "superuser":
        user.is_superuser = True
    elif kind == "staff":
        user.is_staff = True
    elif kind == "grouped":
        group = Group.objects.create(name="Everything")
        group.permissions.set(Permission.objects.all())
        user.groups.add(group)
    else:
        user.user_permissions.add(*Permission.objects.all())
    user.save()
    return user


@pytest.mark.parametrize("kind", ["superuser", "staff", "grouped", "permitted"])
def test_staff_who_may_change_accounts_cannot_take_over_one_with_more_power(client, kind):
    """Its password, or the address its resets go to, set by them would be theirs to use."""
    manager = User.objects.create_user("manager", "manager@example.com", PASSWORD, is_staff=True)
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    target = powerful_account(kind)
    client.force_login(manager)
    url = f"/admin/auth/user/{target.pk}/change/"
    values = admin_form_values(client.get(url))

    password = client.post(
        f"/admin/auth/user/{target.pk}/password/",
        {"password1": "A brand new one 42", "password2": "A brand new one 42"},
    )
    address = client.post(url, {**values, "email": "manager+taken@example.com"})

    assert (password.status_code, address.status_code) == (403, 403)
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    assert target.email == f"{kind}@example.com"
    assert client.get(url).status_code == 200  # still shown, to view


@pytest.mark.parametrize("kind", ["superuser", "staff", "grouped", "permitted"])
def test_staff_who_may_delete_accounts_cannot_delete_one_with_more_power(client, member, kind):
    manager = User.objects.create_user("manager", "manager@example.com", PASSWORD, is_staff=True)
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "delete_user"])
    )
    target = powerful_account(kind)
    client.force_login(manager)

    page = client.post(f"/admin/auth/user/{target.pk}/delete/", {"post": "yes"})
    selected = client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [target.pk, member.pk], "post": "yes"},
    )

    assert (page.status_code, selected.status_code) == (403, 403)
    assert User.objects.filter(pk__in=[target.pk, member.pk]).count() == 2


@pytest.fixture
def co_admin_demoted_meanwhile(transactional_db, monkeypatch, owner, member) -> None:
    """Bob is Acme's other admin when Django's admin checks, unlocked, whether Alice may go, and
    is demoted on the members page right after, by another request: the save or the delete
    checks again under the org's lock. PostgreSQL's alone: on SQLite the page's transaction
    holds the write lock from its start, and the demotion waits for it to end."""
    if db_connection.vendor != "postgresql":
        pytest.skip("another request's write waits for the page's on SQLite")
    bob = Membership.objects.filter(user=member)
    bob.update(role=Membership.Role.ADMIN)
    checked = []
    check = jobs.admin.sole_admin_refusal

    def noted(user: User, **kwargs: Any) -> str:
        checked.append(user)
        return check(user, **kwargs)

    def demoted_after_alices_first_check() -> None:  # not another selected account's
        if checked[-1] == owner and checked.count(owner) == 1:
            memberships.membership_role_set(membership=bob.get(), role=Membership.Role.MEMBER)

    monkeypatch.setattr(jobs.admin, "sole_admin_refusal", noted)
    done_by_another_request_after(
        monkeypatch,
        jobs.admin,
        "sole_admin_refusal",
        demoted_after_alices_first_check,
        in_its_transaction=True,
    )


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (deactivate_in_django_admin, "The account “alice” was not saved, and stays active"),
        (turn_password_off_in_django_admin, "Password sign-in stays on for the account “alice”"),
    ],
)
def test_django_admin_checks_again_under_lock_when_saving(
    staff_client, owner, co_admin_demoted_meanwhile, change, refusal
):
    """The forms' check reads without locks; had another admin been demoted since, the save
    itself refuses, nothing is written, and staff are told why: it was an error page."""
    response = change(staff_client, owner)

    assert response.status_code == 302
    assert response.url == response.request["PATH_INFO"]  # the same page, as it is now
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{refusal}: nobody else who can sign in is an admin of Acme Robotics. Add another "
        "admin to it, or delete it, first."
    ]
    owner.refresh_from_db()
    assert owner.is_active and owner.check_password(PASSWORD)
    assert not LogEntry.objects.exists()


def test_django_admin_refusing_under_lock_keeps_the_page_a_popup_with_its_list_filters(
    staff_client, owner, co_admin_demoted_meanwhile
):
    """Opened from a related field's pencil (a popup) or from a filtered list, the page shown
    again after the refusal is still the popup, its Save still closing it, and still returns to
    that list: it was the plain page, in the popup window."""
    query = "?_changelist_filters=is_staff__exact%3D0&_popup=1"
    url = f"/admin/auth/user/{owner.pk}/change/{query}"
    values = admin_form_values(staff_client.get(url))
    del values["is_active"]  # the box unticked

    response = staff_client.post(url, values)

    assert response.status_code == 302
    assert response.url == url
    assert "_popup" in admin_form_values(staff_client.get(response.url))
    owner.refresh_from_db()
    assert owner.is_active


def test_django_admin_checks_again_under_lock_when_deleting(
    staff_client, owner, co_admin_demoted_meanwhile
):
    response = staff_client.post(f"/admin/auth/user/{owner.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert response.url == f"/admin/auth/user/{owner.pk}/change/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The account “alice” was not deleted: nobody else who can sign in is an admin of Acme "
        "Robotics. Add another admin to it, or delete it, first."
    ]
    assert User.objects.filter(pk=owner.pk).exists()
    assert not LogEntry.objects.exists()


def test_django_admin_refusing_a_delete_keeps_the_lists_filters(
    staff_client, owner, co_admin_demoted_meanwhile
):
    """The change page it returns to still returns to the filtered list the staff came from,
    whether refused under the lock (Bob demoted meanwhile) or by the page at once (after)."""
    filters = "?_changelist_filters=is_staff__exact%3D0"
    url = f"/admin/auth/user/{owner.pk}/delete/{filters}"

    under_lock = staff_client.post(url, {"post": "yes"})
    at_once = staff_client.post(url, {"post": "yes"})

    for response in (under_lock, at_once):
        assert response.status_code == 302
        assert response.url == f"/admin/auth/user/{owner.pk}/change/{filters}"
    assert User.objects.filter(pk=owner.pk).exists()


def test_django_admin_checks_again_under_lock_when_deleting_selected_accounts(
    staff_client, owner, co_admin_demoted_meanwhile
):
    """Every selected account stays, those deleted before the refusal too, as on the page."""
    aaron = User.objects.create_user("aaron", "aaron@example.org", PASSWORD)  # deleted first

    response = staff_client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [aaron.pk, owner.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "None of the selected accounts was deleted, as the account “alice” may not be: nobody "
        "else who can sign in is an admin of Acme Robotics. Add another admin to it, or delete "
        "it, first."
    ]
    assert User.objects.filter(pk__in=[aaron.pk, owner.pk]).count() == 2
    assert not LogEntry.objects.exists()


# --- Another organization for someone signed in ---------------------------------------------------


def test_the_welcome_and_the_invitation_isolate_a_name_written_right_to_left(signed_in, owner):
    """Plain text around the name, as a page's title has it (name_in_title): not isolated, the
    digits opening "2024 מרכז" took the direction of "admin of" before them, the name shown as
    if it ended with them."""
    data = {"organization_name": "2024 מרכז", "organization_slug": "merkaz"}

    response = signed_in.post("/manage/new/", data, follow=True)
    memberships.member_invite(
        organization=Organization.objects.get(slug="merkaz"), email="bob@example.com", role="member"
    )

    assert "You are the admin of \u20682024 מרכז\u2069. Connect its Greenhouse" in (
        response.content.decode()
    )
    assert mail.outbox[-1].subject == "You are invited to join \u20682024 מרכז\u2069 on orgsite"
    assert "You are invited to join \u20682024 מרכז\u2069 on orgsite as" in mail.outbox[-1].body


def test_the_invitation_email_drops_the_controls_a_name_holds_around_its_isolate(acme, owner):
    """A name's own isolates and override, one closing nothing, would have reordered the rest of
    the line: only the email's pair around it is left."""
    acme.organization.name = "\u20692024 \u202eמרכז\u2068"
    acme.organization.save()

    memberships.member_invite(
        organization=acme.organization, email="bob@example.com", role="member", inviter=owner
    )

    [message] = mail.outbox
    assert "You are invited to join \u20682024 מרכז\u2069 on orgsite as" in message.body
    assert message.body.count("\u2068") == message.body.count("\u2069") == 1
    assert "\u202e" not in message.body


def test_the_invitation_email_isolates_a_username_written_right_to_left(acme, owner):
    """As it isolates the org's name: not isolated, "Your username is: bob@דוגמה.example" and
    "(דוד)" were laid out by the words around them, the domain's dots and the brackets taking
    their direction, and a username's own override reordered the rest of its line."""
    User.objects.create_user("\u202eדוד", "david@example.com", "correct horse battery")

    for email in ("bob@xn--6dbbec0c.example", "david@example.com"):
        memberships.member_invite(
            organization=acme.organization, email=email, role="member", inviter=owner
        )

    new_account, existing_account = mail.outbox
    assert "Your username is: \u2068bob@דוגמה.example\u2069\n" in new_account.body
    assert "sign in with your account (\u2068דוד\u2069):" in existing_account.body
    assert "\u202e" not in existing_account.body


def test_the_address_change_emails_isolate_a_username_written_right_to_left(db):
    """As the invitation does: the link's email and the notice to the old address."""
    user = User.objects.create_user("\u202eדוד", "david@example.com", "correct horse battery")

    assert email_change_request(user=user, new_email="dov@example.com", ip="192.0.2.1")

    link, notice = mail.outbox
    assert link.body.startswith("Hello \u2068דוד\u2069,\n")
    assert "the account \u2068דוד\u2069 at orgsite." in link.body
    assert notice.body.startswith("Hello \u2068דוד\u2069,\n")
    assert "to your account \u2068דוד\u2069 at orgsite asked" in notice.body
    assert "\u202e" not in link.body + notice.body


def test_the_address_change_emails_isolate_a_new_address_written_right_to_left(db):
    """As they isolate the username (address_shown, then name_in_sentence): the new address was
    written as sent, "dov@xn--6dbbec0c.example", and not isolated once shown as people read it,
    its dots and "@" took the direction of the words around it."""
    user = User.objects.create_user("david", "david@example.com", "correct horse battery")

    assert email_change_request(user=user, new_email="dov@xn--6dbbec0c.example", ip="192.0.2.1")

    link, notice = mail.outbox
    assert "this address, \u2068dov@דוגמה.example\u2069, the email address" in link.body
    assert "from this one to \u2068dov@דוגמה.example\u2069. A link" in notice.body


def test_the_refusals_naming_the_org_isolate_a_name_written_right_to_left(owner, member):
    """As the welcome does (name_in_sentence): someone already a member, the day's invitations
    used up, the last admin leaving. Not isolated, the digits opening "2024 מרכז" took the
    direction of the words before them, the name shown as if it ended with them."""
    organization = Organization.objects.get(slug="acme")
    organization.name = "2024 מרכז\u202e"
    organization.invitations_counted = memberships.MAX_INVITATIONS_PER_DAY
    organization.invitations_counted_since = timezone.now()
    organization.save()
    isolated = "\u20682024 מרכז\u2069"

    with pytest.raises(memberships.MembershipError) as already_a_member:
        memberships.member_invite(
            organization=organization, email="bob@acme.example", role=Membership.Role.MEMBER
        )
    with pytest.raises(memberships.MembershipError) as past_the_days_invitations:
        memberships.member_invite(
            organization=organization, email="dora@example.com", role=Membership.Role.MEMBER
        )
    with pytest.raises(memberships.MembershipError) as the_last_admin:
        memberships.other_admins_ensure(user=owner)

    assert f"bob@acme.example is already a member of {isolated}." in (
        already_a_member.value.message
    )
    assert past_the_days_invitations.value.message.startswith(f"{isolated} has sent 50 ")
    assert the_last_admin.value.message.startswith(f"{isolated} has no other admin who can ")


def test_a_plain_member_is_offered_an_organization_of_their_own(client, member):
    client.force_login(member)
    assert 'href="/manage/new/"' in client.get("/manage/").content.decode()


def test_an_admin_creates_another_organization_and_administers_both(signed_in, owner, acme):
    assert 'href="/manage/new/">Create another organization' in (
        signed_in.get("/manage/").content.decode()
    )

    response = signed_in.post("/manage/new/", {"organization_name": "Acme Labs Inc."}, follow=True)

    labs = Organization.objects.get(name="Acme Labs Inc.")
    assert response.redirect_chain == [(f"/manage/{labs.slug}/settings/", 302)]
    assert "You are the admin of Acme Labs Inc. Connect its Greenhouse" in (
        response.content.decode()
    )
    assert labs.slug == "acme-labs-inc"
    assert set(owner.memberships.values_list("organization__slug", "role")) == {
        ("acme", Membership.Role.ADMIN),
        ("acme-labs-inc", Membership.Role.ADMIN),
    }
    page = signed_in.get("/manage/").content.decode()
    assert "Acme Robotics" in page and "Acme Labs Inc." in page


@pytest.mark.parametrize("name", ["", "   ", "\u200b\u200b"])
def test_an_organization_needs_a_name_that_shows(signed_in, name):
    response = signed_in.post("/manage/new/", {"organization_name": name})
    assert response.status_code == 200
    assert "Give your organization a name." in response.content.decode()
    assert Organization.objects.count() == 1  # acme


def test_a_second_click_on_create_makes_no_second_organization(signed_in, owner):
    first = signed_in.post("/manage/new/", {"organization_name": "Beta"})
    second = signed_in.post("/manage/new/", {"organization_name": "Beta"})

    assert first["Location"] == second["Location"] == "/manage/beta/settings/"
    assert Organization.objects.filter(name="Beta").count() == 1


def test_creating_organizations_counts_against_the_daily_limit_of_sign_ups(signed_in, settings):
    settings.SIGNUP_LIMIT_PER_DAY = 2
    statuses = [
        signed_in.post("/manage/new/", {"organization_name": f"Lab {n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert not Organization.objects.filter(name="Lab 2").exists()
    refused = signed_in.post("/manage/new/", {"organization_name": "Lab 3"}).content.decode()
    assert "Try again tomorrow." in refused and "invite you" not in refused


def test_a_second_click_on_create_lands_on_the_org_without_counting_against_the_limit(
    signed_in, settings
):
    settings.SIGNUP_LIMIT_PER_DAY = 1
    first = signed_in.post("/manage/new/", {"organization_name": "Beta"})

    second = signed_in.post("/manage/new/", {"organization_name": "Beta"}, follow=True)

    assert second.redirect_chain == [(first["Location"], 302)]
    assert "You are the admin of Beta. Connect" in second.content.decode()
    assert signed_in.post("/manage/new/", {"organization_name": "Gamma"}).status_code == 429


def test_a_visitor_is_asked_to_sign_in_before_creating_one(client, db):
    response = client.post("/manage/new/", {"organization_name": "Sneaky"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Organization.objects.exists()


# --- Forms sent back with errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "url", "data", "field_id", "error"),
    [
        (
            None,
            "/accounts/login/",
            {"username": "alice", "password": "x"},
            None,
            "correct username",
        ),
        (None, "/accounts/signup/", {**SIGNUP, "email": "carol@"}, "id_email", "valid email"),
        (None, "/accounts/password_reset/", {"email": "carol@"}, "id_email", "valid email"),
        (
            "owner",
            "/accounts/password_change/",
            {"old_password": "x"},
            "id_old_password",
            "incorrect",
        ),
        (
            "owner",
            "/manage/acme/members/",
            {"action": "add", "email": "bob@", "role": "member"},
            "id_email",
            "valid email",
        ),
        (
            "owner",
            "/manage/acme/settings/",
            {"action": "connect", "board_token": "bad/token"},
            "id_board_token",
            "only letters, digits",
        ),
        (
            "owner",
            "/manage/acme/settings/",
            {"action": "api_key", "key-api_key": "two words"},
            "id_key-api_key",
            "has no spaces",
        ),
    ],
)
def test_a_form_sent_back_says_error_in_the_title_and_sums_up_first_what_to_fix(
    client, acme, request, persona, url, data, field_id, error
):
    """The summary is focused on load (static/js/focus-on-load.js), so it is read out."""
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert not parsed(client.get(url)).title.string.startswith("Error")

    page = parsed(client.post(url, data))

    assert page.title.string.startswith("Error: ") and page.title.string.count("Error") == 1
    summary = page.select_one("form > .error-summary[role=alert][data-focus-on-load]")
    assert error in summary.get_text()
    if field_id:
        assert summary.find("a", href=f"#{field_id}") and page.find(id=field_id)


# --- Members ------------------------------------------------------------------------------------


def join_link(message: mail.EmailMessage) -> str:
    return re.search(r"https?://\S+/accounts/join/\S+/", message.body)[0]


def invite(signed_in: Client, email: str, role: str = "member") -> str:
    """The words the members page shows after adding `email`."""
    response = signed_in.post(
        "/manage/acme/members/", {"action": "add", "email": email, "role": role}, follow=True
    )
    return " ".join(m.message for m in response.context["messages"])


@pytest.mark.parametrize("typed", [{"email": ""}, {}], ids=["empty", "not_sent"])
def test_adding_a_member_with_an_empty_address_says_what_to_type(signed_in, typed):
    """It said Django's "This field is required.", which did not say what to type. A form sent
    without the box (a script's) is told the same: the field's reading without zero-width
    spaces must not take the missing value for text, a TypeError and an error page."""
    response = signed_in.post("/manage/acme/members/", {"action": "add", "role": "member", **typed})

    assert response.context["add_form"].errors == {
        "email": ["Type the email address of the person to add."]
    }
    assert "This field is required" not in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


@pytest.fixture
def mallory(outsider: User) -> Client:
    """The outsider, signed in in a browser of their own."""
    client = Client()
    client.force_login(outsider)
    return client


def send_again(signed_in: Client, invitation_pk: int) -> str:
    """The words the members page shows after Send again."""
    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "resend_invitation", "invitation": invitation_pk},
        follow=True,
    )
    return " ".join(m.message for m in response.context["messages"])


def test_someone_invited_who_set_their_password_first_is_offered_the_join_link_on_manage(
    client, signed_in, acme
):
    """ "Sign in with it now", after the invitation's password link, leads to /manage/: it said
    they belonged to no organization, and nothing of the invitation."""
    invite(signed_in, "dave@acme.example")
    (message,) = mail.outbox
    dave = Invitation.objects.get(email="dave@acme.example").user
    client.force_login(dave)  # with the password set through the email's link

    page = parsed(client.get("/manage/"))
    link = page.select_one("main a[href^='/accounts/join/']")

    assert " ".join(link.parent.get_text().split()) == (
        "Acme Robotics invited you as a member: join Acme Robotics"
    )
    # The same invitation; each link is signed as it is made, its time to the second.
    emailed, offered = join_link(message).split("/")[-2], link["href"].split("/")[-2]
    assert join_link(message).endswith(link["href"].replace(offered, emailed))
    assert signing.loads(offered, salt=memberships.INVITATION_SALT) == signing.loads(
        emailed, salt=memberships.INVITATION_SALT
    )
    client.post(link["href"])
    assert Membership.objects.filter(user=dave, organization=acme.organization).exists()
    assert parsed(client.get("/manage/")).select_one("a[href^='/accounts/join/']") is None


def test_manage_offers_no_join_link_to_an_account_that_may_merely_claim_the_address(
    signed_in, acme, outsider, mallory
):
    """Its address was never proven: the link emailed there is the only way in."""
    invite(signed_in, "mallory@other.example")
    Membership.objects.filter(user=outsider).delete()

    page = mallory.get("/manage/").content.decode()

    assert "/accounts/join/" not in page and "Acme Robotics" not in page
    assert "Invited to one? Open the join link in the invitation email" in " ".join(page.split())


def address_confirmed(browser: Client, email: str) -> None:
    """The signed-in account's address made `email` through the link emailed there."""
    mail.outbox.clear()
    browser.post("/accounts/email/", {"email": email, "password": PASSWORD})
    (message,) = [message for message in mail.outbox if message.to == [email]]
    link = re.search(r"https?://[^/\s]+(/accounts/email/confirm/\S+/)", message.body)[1]
    assert browser.post(link).status_code == 302
    mail.outbox.clear()


def offered_join_links(browser: Client) -> list[str]:
    return [
        a["href"] for a in parsed(browser.get("/manage/")).select("main a[href^='/accounts/join/']")
    ]


def test_manage_offers_the_join_link_to_an_account_whose_address_a_link_confirmed(
    signed_in, acme, outsider, mallory
):
    """It existed before it was invited, and its address was confirmed by the link emailed
    there, as an account the invitation made has its password set through one: it was told
    only to open the invitation email's link."""
    address_confirmed(mallory, "mallory@new.example")
    invite(signed_in, "Mallory@New.example")  # the same mailbox, spelt otherwise
    assert Invitation.objects.get().user == outsider

    (link,) = offered_join_links(mallory)

    page = parsed(mallory.get("/manage/"))
    assert " ".join(
        page.select_one("main a[href^='/accounts/join/']").parent.get_text().split()
    ) == ("Acme Robotics invited you as a member: join Acme Robotics")
    mallory.post(link)
    assert Membership.objects.filter(user=outsider, organization=acme.organization).exists()


def test_manage_offers_the_join_link_once_the_invited_address_is_confirmed(
    signed_in, acme, outsider, mallory
):
    """Invited at the address it had signed up with, unproven; then it moves to another
    address by a link (still not the invited one), and back by another."""
    invite(signed_in, "mallory@other.example")
    assert offered_join_links(mallory) == []

    address_confirmed(mallory, "mallory@new.example")
    assert offered_join_links(mallory) == []  # the invitation's address is not this one

    address_confirmed(mallory, "mallory@other.example")
    assert len(offered_join_links(mallory)) == 1
    mallory.post("/accounts/email/", {"email": "MALLORY@other.example", "password": PASSWORD})
    assert len(offered_join_links(mallory)) == 1  # respelt: the same mailbox, confirmed


def test_manage_offers_no_join_link_at_an_address_staff_gave_an_account(
    signed_in, acme, outsider, mallory
):
    """Its address a link confirmed is another: the one typed in Django's admin was never
    proven to be its own."""
    address_confirmed(mallory, "mallory@new.example")
    User.objects.filter(pk=outsider.pk).update(email="dave@acme.example")
    invite(signed_in, "dave@acme.example")
    assert Invitation.objects.get().user == outsider

    assert offered_join_links(mallory) == []


def test_manage_offers_no_join_link_at_an_address_respelt_into_another_mailbox(
    signed_in, acme, outsider, mallory
):
    """A long s, "ſam", is "sam" to email_key, so the page respells one as the other at once;
    but the link emailed to "ſam" went to another mailbox (its local part as an encoded
    word), and showed nothing of "sam"'s."""
    address_confirmed(mallory, "ſam@new.example")
    mallory.post("/accounts/email/", {"email": "sam@new.example", "password": PASSWORD})
    invite(signed_in, "sam@new.example")
    assert Invitation.objects.get().user == outsider

    assert offered_join_links(mallory) == []


def test_manage_offers_no_join_link_once_staff_moved_the_account_off_the_address(
    signed_in, acme, outsider, mallory
):
    """Invited at the address a link confirmed, then given another in Django's admin (the
    mailbox is someone else's now, say): the invitation still waits for the account."""
    address_confirmed(mallory, "mallory@new.example")
    invite(signed_in, "mallory@new.example")
    assert len(offered_join_links(mallory)) == 1

    User.objects.filter(pk=outsider.pk).update(email="mallory@other.example")

    assert offered_join_links(mallory) == []


def test_manage_offers_no_join_link_at_an_address_no_email_can_go_to(acme, outsider, mallory):
    """Stored before such addresses were refused: neither it nor the account's, unconfirmed,
    reaches a mailbox, which must not make them one."""
    Invitation.objects.create(
        organization=acme.organization, user=outsider, role="member", email="mallory@。x.example"
    )

    assert offered_join_links(mallory) == []


def test_manage_offers_no_join_link_once_it_expired(client, signed_in, acme):
    invite(signed_in, "dave@acme.example")
    invitation = Invitation.objects.get(email="dave@acme.example")
    expired_at = timezone.now() - timedelta(days=INVITATION_DAYS, minutes=1)
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=expired_at)
    client.force_login(invitation.user)

    assert "/accounts/join/" not in client.get("/manage/").content.decode()


def test_an_existing_account_is_invited_and_joins_through_the_emailed_link(
    signed_in, acme, outsider, mallory
):
    said = invite(signed_in, "MALLORY@other.example")

    assert said == "MALLORY@other.example was invited; they get an email with a link."
    assert not Membership.objects.filter(organization=acme.organization, user=outsider).exists()
    assert "MALLORY@other.example" in signed_in.get("/manage/acme/members/").content.decode()
    (message,) = mail.outbox
    assert message.to == ["MALLORY@other.example"] and "Acme Robotics" in message.subject
    assert "You are invited to join Acme Robotics on orgsite as a member." in message.body
    # The account has a password: a link to set another would let the mailbox replace it.
    assert "/accounts/reset/" not in message.body

    page = mallory.get(join_link(message))  # a visit alone joins nothing
    assert page.status_code == 200 and "Join Acme Robotics" in page.content.decode()
    page_text = " ".join(page.content.decode().split())
    assert "invited to <bdi>Acme Robotics</bdi> as a member." in page_text
    assert not Membership.objects.filter(organization=acme.organization, user=outsider).exists()
    response = mallory.post(join_link(message), follow=True)

    assert "You are a member of Acme Robotics." in response.content.decode()
    assert Membership.objects.get(organization=acme.organization, user=outsider).role == "member"
    # Answered, so no longer listed as waiting, nor offered to send again or cancel.
    assert not acme.organization.invitations.exists()
    again = mallory.post(join_link(message), follow=True)  # a double click
    assert "You are a member of Acme Robotics." in again.content.decode()
    assert Membership.objects.filter(user=outsider, organization=acme.organization).count() == 1


def test_a_join_pages_title_isolates_an_org_name_written_right_to_left(signed_in, acme, mallory):
    """As every page's title names an org (name_in_title): "Join כלי נמל · orgsite" left the
    title's direction to a browser reading it from its first letter, right to left."""
    Organization.objects.filter(pk=acme.organization.pk).update(name="\u202eכלי נמל")
    invite(signed_in, "mallory@other.example")

    page = parsed(mallory.get(join_link(mail.outbox[0])))

    assert page.title.string == "Join \u2068כלי נמל\u2069 · orgsite"


def test_an_account_that_claims_someones_address_gains_nothing_from_their_invitation(
    signed_in, acme
):
    """Eve signs up with Bob's address before Bob has an account; Alice then adds Bob."""
    eves_browser = Client()
    eves_browser.post(
        "/accounts/signup/",
        {
            "username": "eve",
            "email": "bob@acme.example",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "organization_name": "Eve's Decoy",
        },
    )
    eve = User.objects.get(username="eve")

    invite(signed_in, "bob@acme.example", role="admin")

    assert not Membership.objects.filter(organization=acme.organization, user=eve).exists()
    assert eves_browser.get("/manage/acme/settings/").status_code == 404
    # The link went to the address, which Eve does not read; without it she has no way in.
    forged = "/accounts/join/WzEsIjIwMjYtMDEtMDFUMDA6MDA6MDArMDA6MDAiXQ:1abc:xyz/"
    assert eves_browser.post(forged).status_code == 410
    assert not Membership.objects.filter(organization=acme.organization, user=eve).exists()


def test_an_account_with_a_lookalike_address_is_not_taken_for_the_real_one(signed_in, acme):
    """PostgreSQL's case-insensitive match pairs the dotless "ı" with "i" (CVE-2019-19844)."""
    eve = User.objects.create_user("eve", "victim@gmaıl.com", "eves passphrase")

    invite(signed_in, "victim@gmail.com", role="admin")

    (message,) = mail.outbox
    assert message.to == ["victim@gmail.com"]  # the address typed, never the lookalike
    invitation = Invitation.objects.get()
    assert invitation.user != eve and invitation.user.email == "victim@gmail.com"
    eves_browser = Client()
    eves_browser.force_login(eve)
    assert eves_browser.post(join_link(message)).status_code == 410
    assert not Membership.objects.filter(organization=acme.organization, user=eve).exists()


def test_signing_up_is_not_blocked_by_an_account_with_a_lookalike_address(client, db):
    User.objects.create_user("eve", "victim@gmaıl.com")

    response = client.post(
        "/accounts/signup/",
        {
            "username": "victim",
            "email": "victim@gmail.com",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "organization_name": "Victim's",
        },
    )

    assert response.status_code == 302
    assert User.objects.filter(email="victim@gmail.com").exists()


def test_the_members_page_shows_the_address_as_typed(signed_in, acme, outsider):
    """The account's own spelling would tell that it existed before."""
    invite(signed_in, "MALLORY@other.example")
    invite(signed_in, "NOBODY@nowhere.example")

    page = signed_in.get("/manage/acme/members/").content.decode()

    assert "MALLORY@other.example" in page and "mallory@other.example" not in page
    assert [m.to for m in mail.outbox] == [["MALLORY@other.example"], ["NOBODY@nowhere.example"]]


@pytest.mark.parametrize(
    "values",
    [{"a": 1}, ["x", "y", "z"], "abc", [[1], [2], "s"], [1, "x", "s"], [2**70, 2**70, "s"], [1, 2]],
)
def test_a_join_link_of_any_other_shape_is_refused_not_a_500(signed_in, acme, values):
    token = signing.dumps(values, salt=memberships.INVITATION_SALT, compress=False)

    for method in (signed_in.get, signed_in.post):
        assert method(f"/accounts/join/{token}/").status_code == 410


def test_an_admin_who_never_set_a_password_does_not_count_as_the_other_admin(signed_in, owner):
    """Made by the earlier invitation flow: it cannot sign in to manage anything."""
    never_signed_in = User.objects.create_user("old", "old@acme.example")  # no usable password
    Membership.objects.create(
        organization=owner.memberships.get().organization,
        user=never_signed_in,
        role=Membership.Role.ADMIN,
    )
    mine = Membership.objects.get(user=owner)

    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "remove", "membership": mine.pk, "confirmed": "1"},
        follow=True,
    )

    assert "at least one admin who can sign in" in response.content.decode()
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_a_join_link_works_only_for_the_invited_account(signed_in, acme, outsider):
    invite(signed_in, "mallory@other.example")
    carol = Client()
    carol.force_login(User.objects.create_user("carol", "carol@example.org"))

    response = carol.post(join_link(mail.outbox[0]))

    assert response.status_code == 410
    assert "another account" in response.content.decode()
    assert not Membership.objects.filter(organization=acme.organization, user=outsider).exists()


def test_a_join_link_opened_by_another_account_signs_out_and_comes_back(signed_in, acme, outsider):
    """The page said "Sign out" with no way to but the header's, which led to the home page."""
    invite(signed_in, "mallory@other.example")
    link = join_link(mail.outbox[0])
    path = urlsplit(link).path
    carol = Client()
    carol.force_login(User.objects.create_user("carol", "carol@example.org"))

    page = parsed(carol.get(link))

    assert_signs_out_and_comes_back_to(page, path)
    assert " ".join(page.select_one("main").get_text().split()) == (
        "This invitation cannot be used This invitation is for another account than the one "
        "you are signed in with. Sign out, then sign in with the account of the address the "
        "invitation was sent to. Sign out Your organizations"
    )
    signed_out = carol.post("/accounts/logout/", {"next": path})
    assert signed_out.status_code == 302 and signed_out["Location"] == path
    assert "_auth_user_id" not in carol.session
    asked = carol.get(path, follow=True)
    assert "Sign in to accept your invitation." in asked.content.decode()


def test_a_join_link_opened_by_a_member_for_another_account_signs_out_and_comes_back(
    signed_in, acme, owner
):
    """Opened on the inviting admin's computer: it said "You are an admin of Acme", and the
    person invited, who had joined nothing, was shown the admin's organizations."""
    invite(signed_in, "mallory@other.example", role="admin")
    link = join_link(mail.outbox[0])

    for method in (signed_in.get, signed_in.post):
        response = method(link)
        assert response.status_code == 410
        assert_signs_out_and_comes_back_to(parsed(response), urlsplit(link).path)
    assert Invitation.objects.filter(organization=acme.organization).exists()  # still waiting
    assert list(acme.organization.memberships.values_list("user", flat=True)) == [owner.pk]


def test_a_join_link_no_account_can_use_offers_no_sign_out_of_its_own(mallory):
    response = mallory.get("/accounts/join/not-a-link/")

    assert response.status_code == 410 and parsed(response).select("main form") == []


def test_a_join_link_asks_to_sign_in_first_and_comes_back(signed_in, acme, outsider):
    invite(signed_in, "mallory@other.example")
    link = join_link(mail.outbox[0])

    response = Client().get(link)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "next=/accounts/join/" in response["Location"]
    sign_in_page = Client().get(response["Location"]).content.decode()
    assert "Sign in to accept your invitation." in sign_in_page
    assert "Create an account for your organization" not in sign_in_page  # not for this one
    plain_sign_in = Client().get("/accounts/login/").content.decode()
    assert "accept your invitation" not in plain_sign_in
    assert "Create an account for your organization" in plain_sign_in


def test_a_sign_in_page_under_words_to_read_first_does_not_jump_past_them(
    signed_in, acme, outsider
):
    """A screen reader starts reading where the focus is: on the username, it passed over what
    to do first ("If an account was made for you, first set its password") and, on the sign-up
    page, what signing up makes. A plain sign-in page has only its heading above the form."""
    invite(signed_in, "mallory@other.example")
    joining = Client().get(join_link(mail.outbox[0]), follow=True)

    assert "Sign in to accept your invitation." in joining.content.decode()
    assert parsed(joining).select("[autofocus]") == []
    assert parsed(Client().get("/accounts/signup/")).select("[autofocus]") == []
    assert parsed(Client().get("/accounts/login/")).select_one("[autofocus]")["name"] == "username"


@pytest.mark.parametrize(
    ("then", "said"),
    [
        ("cancel", memberships.INVITATION_INVALID_MESSAGE),
        # Not to ask its admins to invite again: there are none.
        ("delete the org", memberships.INVITATION_ORGANIZATION_GONE_MESSAGE),
    ],
    ids=["cancel", "delete the org"],
)
def test_a_join_link_that_stopped_working_says_so_before_asking_to_sign_in(
    signed_in, acme, then, said
):
    """Someone without an account was sent to sign in, told first to set a password with the
    email's other link; that link was dead too (the account the invitation made went with it),
    and the page it led to said it "was used already or it is too old"."""
    invite(signed_in, "dave@example.org", role="admin")
    link = join_link(mail.outbox[0])
    if then == "cancel":
        invitation = Invitation.objects.get()
        signed_in.post(
            "/manage/acme/members/", {"action": "cancel_invitation", "invitation": invitation.pk}
        )
    else:
        signed_in.post("/manage/acme/delete/", {"confirm": "acme"})
    assert not User.objects.filter(email="dave@example.org").exists()

    for method in (Client().get, Client().post):
        response = method(link)
        assert response.status_code == 410
        assert parsed(response).select_one("[role=alert]").get_text() == said


@pytest.mark.parametrize("then", ["invite again", "cancel", "expire"])
def test_a_join_link_stops_working_when_replaced_cancelled_or_expired(
    signed_in, acme, outsider, mallory, then, monkeypatch
):
    invite(signed_in, "mallory@other.example")
    link = join_link(mail.outbox[0])
    invitation = Invitation.objects.get(user=outsider)
    if then == "invite again":
        # Over a minute later: sooner, it is a second click, and both links work.
        later = timezone.now() + timedelta(minutes=2)
        with monkeypatch.context() as patched:
            patched.setattr(timezone, "now", lambda: later)
            invite(signed_in, "mallory@other.example", role="admin")
    elif then == "cancel":
        said = signed_in.post(
            "/manage/acme/members/",
            {"action": "cancel_invitation", "invitation": invitation.pk},
            follow=True,
        )
        assert "The invitation to mallory@other.example was cancelled." in said.content.decode()
        assert not Invitation.objects.exists()
    else:
        later = timezone.now() + timedelta(days=INVITATION_DAYS, minutes=1)
        monkeypatch.setattr(signing.time, "time", later.timestamp)

    response = mallory.post(link)

    assert response.status_code == 410 and "not valid any more" in response.content.decode()
    assert not Membership.objects.filter(organization=acme.organization, user=outsider).exists()


@pytest.mark.parametrize(
    ("expired", "org_deleted", "said"),
    [
        (False, True, memberships.INVITATION_ORGANIZATION_GONE_MESSAGE),
        # It said the link had expired, and to ask an admin of the org, of which there is none.
        (True, True, memberships.INVITATION_ORGANIZATION_GONE_MESSAGE),
        (True, False, memberships.INVITATION_INVALID_MESSAGE),
    ],
    ids=["live", "expired", "expired-org-kept"],
)
def test_a_join_link_of_a_deleted_org_says_it_no_longer_exists_to_its_account(
    signed_in, outsider, mallory, monkeypatch, expired, org_deleted, said
):
    invite(signed_in, "mallory@other.example")
    link = join_link(mail.outbox[0])
    if org_deleted:
        signed_in.post("/manage/acme/delete/", {"confirm": "acme"})
    if expired:
        later = timezone.now() + timedelta(days=INVITATION_DAYS, minutes=1)
        monkeypatch.setattr(signing.time, "time", later.timestamp)

    for method in (mallory.get, mallory.post):
        response = method(link)
        assert response.status_code == 410
        assert parsed(response).select_one("[role=alert]").get_text() == said


def test_an_org_sends_a_bounded_number_of_invitations_a_day(signed_in, acme, monkeypatch):
    """Anyone can sign up an org; its additions must not make the site a way to mail strangers.
    Emails are counted: cancelling or inviting the same address again frees nothing."""
    monkeypatch.setattr(memberships, "MAX_INVITATIONS_PER_DAY", 3)

    said = [invite(signed_in, "person@example.org")]
    cancel = {"action": "cancel_invitation", "invitation": Invitation.objects.get().pk}
    signed_in.post("/manage/acme/members/", cancel, follow=True)
    said.append(invite(signed_in, "person@example.org"))
    a_while_ago = timezone.now() - timedelta(minutes=5)  # not a second click
    Invitation.objects.update(sent_at=a_while_ago)
    said.append(invite(signed_in, "person@example.org"))
    said.append(invite(signed_in, "someone.else@example.org"))

    # Cancelled, the invitation is gone: the next one is new; the one after, sent again.
    assert said[:2] == ["person@example.org was invited; they get an email with a link."] * 2
    assert said[2].startswith("The invitation to person@example.org was sent again")
    assert "the most this site sends. Try again in 24 hours." in said[3]
    assert len(mail.outbox) == 3
    assert not User.objects.filter(email="someone.else@example.org").exists()
    # A day after the first email counted, the org may send again.
    Organization.objects.filter(pk=acme.organization_id).update(
        invitations_counted_since=F("invitations_counted_since") - timedelta(days=1)
    )
    assert invite(signed_in, "someone.else@example.org").endswith("they get an email with a link.")


def test_an_org_at_its_invitation_limit_in_the_days_last_hour_is_told_1_hour(
    signed_in, acme, monkeypatch
):
    monkeypatch.setattr(memberships, "MAX_INVITATIONS_PER_DAY", 1)
    invite(signed_in, "person@example.org")
    Organization.objects.filter(pk=acme.organization_id).update(
        invitations_counted_since=timezone.now() - timedelta(hours=23, minutes=30)
    )

    said = invite(signed_in, "someone.else@example.org")

    assert said.endswith("the most this site sends. Try again in 1 hour.")


def test_an_invited_address_gets_a_username_no_account_has_in_any_case(signed_in, acme):
    """Sign-in takes a username in any case: "carol@…" beside "Carol@…" would be two accounts
    one typed name could mean."""
    User.objects.create_user("Carol@Example.org", password="correct horse battery")

    invite(signed_in, "carol@example.org")

    assert Invitation.objects.get().user.username == "carol@example.org-2"


def test_an_invited_account_signs_in_with_its_address_in_lower_case(signed_in, acme):
    invite(signed_in, "Carol@Example.org")

    assert Invitation.objects.get().user.username == "carol@example.org"


def test_an_address_pasted_with_a_zero_width_space_is_invited_without_it(signed_in, acme):
    """The account's username held the space, unseen in the email that gave it: signing in with
    the address typed, as the email showed it, failed."""
    said = invite(signed_in, "carol@example.org\u200b")

    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.user.username) == ("carol@example.org",) * 2
    assert said == "carol@example.org was invited; they get an email with a link."


def test_an_address_with_an_international_domain_is_shown_in_unicode_and_signs_in_so(
    signed_in, acme
):
    """Chromium sends an email field's "carol@exämple.com" as "carol@xn--exmple-cua.com": the
    members page, its message, the invitation and password reset emails and the account's own
    pages named the address and the account so. They show it in Unicode; stored, compared and
    emailed to, it stays as sent, and the username the email gives signs in."""
    said = invite(signed_in, "carol@xn--exmple-cua.com")

    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.user.username) == ("carol@xn--exmple-cua.com",) * 2
    assert said == "carol@exämple.com was invited; they get an email with a link."
    (row,) = parsed(signed_in.get("/manage/acme/members/")).select(
        "[aria-labelledby=invitations-title] tbody tr"
    )
    assert row.th.get_text(strip=True) == "carol@exämple.com"
    assert "xn--" not in row.get_text()
    (message,) = mail.outbox
    assert message.to == ["carol@xn--exmple-cua.com"]
    assert "Your username is: carol@exämple.com\n" in message.body
    assert "xn--" not in message.body
    invitation.user.set_password(PASSWORD)
    invitation.user.save()
    client = Client()
    client.post("/accounts/login/", {"username": "carol@EXÄMPLE.com", "password": PASSWORD})
    assert client.session[SESSION_KEY] == str(invitation.user.pk)
    nav = parsed(client.get("/manage/")).select_one(".nav-account .muted")
    assert nav.get_text() == "carol@exämple.com"
    client.post("/accounts/password_reset/", {"email": "carol@xn--exmple-cua.com"})
    assert "Hello carol@exämple.com,\n" in mail.outbox[-1].body


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("carol@xn--r8jz45g.jp", "carol@例え.jp"),  # Japanese: Han and Hiragana together
        ("carol@xn--e1afmkfd.xn--p1ai", "carol@пример.рф"),  # Cyrillic alone
        ("carol@xn--exmple-4nf.com", "carol@xn--exmple-4nf.com"),  # "exаmple", a Cyrillic "а"
        ("carol@xn--pple-zld.com", "carol@xn--pple-zld.com"),  # "αpple", a Greek "α"
    ],
)
def test_an_address_whose_domain_mixes_scripts_is_shown_as_sent(signed_in, acme, sent, shown):
    """Shown in Unicode, "carol@exаmple.com" with a Cyrillic "а" read as "carol@example.com" on
    the members page, as a member could make their own address read (browsers show such a
    domain in IDNA for that reason); a name in one script, or in Japanese, is shown in it."""
    invite(signed_in, sent)

    (row,) = parsed(signed_in.get("/manage/acme/members/")).select(
        "[aria-labelledby=invitations-title] tbody tr"
    )
    assert row.th.get_text(strip=True) == shown


def test_an_account_with_an_international_domain_is_named_in_unicode_on_every_page(
    signed_in, acme, owner
):
    """Its pages of sign-in, sign-out, deletion and address change, the emails of an address
    change, the page asking to remove it from an org and the messages naming it (already signed
    in, invited as an admin) named it "carol@xn--exmple-cua.com", as the members page and the
    navigation no longer do."""
    invite(signed_in, "dave@xn--exmple-cua.com", role="admin")
    assert "dave@exämple.com is invited as an admin" in give_up_admin_refusal(signed_in, owner)[0]
    mail.outbox.clear()
    carol = User.objects.create_user(
        "carol@xn--exmple-cua.com", "carol@xn--exmple-cua.com", PASSWORD
    )
    membership = Membership.objects.create(organization=acme.organization, user=carol)
    client = Client()
    client.force_login(carol)

    for path in ["/accounts/login/", "/accounts/logout/", "/accounts/delete/", "/accounts/email/"]:
        page = client.get(path).content.decode()
        assert "<strong>carol@exämple.com</strong>" in page or "as carol@exämple.com." in page
        assert "xn--" not in page, path
    sent = client.post("/accounts/email/", {"email": "carol@new.example", "password": PASSWORD})
    assert "signed in as carol@exämple.com," in " ".join(map(str, get_messages(sent.wsgi_request)))
    assert len(mail.outbox) == 2  # the link to the new address, the notice to the old
    for email in mail.outbox:
        assert "account carol@exämple.com at" in email.body
        assert "xn--" not in email.body
    signing_up = client.get("/accounts/signup/")
    assert "signed in, as carol@exämple.com." in str(list(get_messages(signing_up.wsgi_request)))
    asked = signed_in.post(
        "/manage/acme/members/", {"action": "remove", "membership": membership.pk}
    )
    assert "Remove carol@exämple.com from" in spoken_text(parsed(asked).h1)
    assert "xn--" not in asked.content.decode()


def test_no_account_takes_a_username_another_signs_in_with_by_its_domain_in_unicode(
    signed_in, acme, staff_client, member
):
    """Sign-up took "carol@exämple.com" beside an invited "carol@xn--exmple-cua.com", whose
    invitation email gives the former as her username: typed, it signed in to the other account
    (as an invitation made after such a sign-up did), and Django's admin renamed one so."""
    User.objects.create_user("dave@exämple.com", "dave@elsewhere.example", PASSWORD)
    invite(signed_in, "carol@xn--exmple-cua.com")
    invite(signed_in, "dave@xn--exmple-cua.com")

    refused = Client().post("/accounts/signup/", {**SIGNUP, "username": "carol@EXÄMPLE.com"})
    assert "A user with that username already exists." in refused.content.decode()
    dave = Invitation.objects.get(email="dave@xn--exmple-cua.com").user
    assert dave.username == "dave@xn--exmple-cua.com-2"
    dave.set_password("dave's own passphrase")
    dave.save()
    username = re.search(r"Your username is: (.*)\n", mail.outbox[-1].body)[1]
    dave_client = Client()
    dave_client.post(
        "/accounts/login/", {"username": username, "password": "dave's own passphrase"}
    )
    assert dave_client.session[SESSION_KEY] == str(dave.pk)
    url = f"/admin/auth/user/{member.pk}/change/"
    values = admin_form_values(staff_client.get(url))
    renamed = staff_client.post(url, {**values, "username": "carol@exämple.com"})
    assert "A user with that username already exists." in renamed.content.decode()


def test_one_address_gets_a_bounded_number_of_invitation_emails_a_day_from_all_orgs(
    signed_in, acme, caplog
):
    """Each org's own cap let the admins of a few orgs send one stranger 50 emails a day each.
    The address is counted as password resets count it, in any case."""
    others = [Organization.objects.create(name=f"Org {n}", slug=f"org-{n}") for n in range(3)]
    memberships.member_invite(organization=others[0], email="Stranger@Example.org", role="admin")
    memberships.member_invite(organization=others[1], email="stranger@example.org", role="member")
    said = [invite(signed_in, "STRANGER@example.org")]
    Invitation.objects.update(sent_at=timezone.now() - timedelta(minutes=5))  # no second click

    with caplog.at_level(logging.WARNING, logger="jobs.memberships"):
        said.append(invite(signed_in, "stranger@example.org"))
        with pytest.raises(memberships.MembershipError):
            memberships.member_invite(
                organization=others[2], email="stranger@example.org", role="member"
            )
    said.append(invite(signed_in, "someone.else@example.org"))

    assert said[0] == "STRANGER@example.org was invited; they get an email with a link."
    assert said[1] == (
        "The invitation to stranger@example.org was not sent: that address has had"
        f" {INVITATIONS_PER_ADDRESS_PER_DAY} invitation emails from this site today, the most"
        " one address gets in a day. Try again tomorrow."
    )
    assert said[2] == "someone.else@example.org was invited; they get an email with a link."
    assert len(mail.outbox) == INVITATIONS_PER_ADDRESS_PER_DAY + 1
    assert "invitation refused: too many invitation emails to one address today org=acme" in (
        caplog.text
    )
    # A refused email is not one of the org's day, nor is an invitation left for it.
    assert Organization.objects.get(pk=acme.organization_id).invitations_counted == 2
    assert not Invitation.objects.filter(organization=others[2]).exists()


def test_invitations_to_an_address_count_its_domain_in_idna_or_unicode_as_one(db):
    """One mailbox, which sign-in and the password reset take in either spelling: alternating
    them doubled the day's invitation emails it gets from all orgs."""
    spellings = ["carol@exämple.com", "CAROL@XN--EXMPLE-CUA.COM"] * 2
    for n, email in enumerate(spellings):
        organization = Organization.objects.create(name=f"Org {n}", slug=f"org-{n}")
        if n < INVITATIONS_PER_ADDRESS_PER_DAY:
            memberships.member_invite(organization=organization, email=email, role="member")
        else:
            with pytest.raises(memberships.MembershipError):
                memberships.member_invite(organization=organization, email=email, role="member")

    assert len(mail.outbox) == INVITATIONS_PER_ADDRESS_PER_DAY


def test_an_invitation_email_the_mail_server_refused_counts_against_neither_limit(
    signed_in, acme, monkeypatch, settings
):
    """Its page says to press Send again: while the mail server refused it, a few presses used
    up the address's day, which then refused the first email to get through as one too many."""
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset({"stranger@example.org"}))
    for _ in range(INVITATIONS_PER_ADDRESS_PER_DAY + 1):
        assert "could not be sent" in invite(signed_in, "stranger@example.org")
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset())

    said = invite(signed_in, "stranger@example.org")

    assert said.startswith("The invitation to stranger@example.org was sent again")
    assert len(mail.outbox) == 1
    assert Organization.objects.get(pk=acme.organization_id).invitations_counted == 1


def test_an_orgs_invitation_count_starts_again_exactly_a_day_after_it_started(acme, monkeypatch):
    """The cap is per day: at the very instant the day counted in ends, a new one begins."""
    now = timezone.now()
    monkeypatch.setattr("jobs.memberships.timezone.now", lambda: now)
    Organization.objects.filter(pk=acme.organization_id).update(
        invitations_counted_since=now - timedelta(days=1),
        invitations_counted=memberships.MAX_INVITATIONS_PER_DAY,
    )

    invited = memberships.member_invite(
        organization=acme.organization, email="person@example.org", role="member"
    )

    assert invited.emailed
    organization = Organization.objects.get(pk=acme.organization_id)
    assert (organization.invitations_counted_since, organization.invitations_counted) == (now, 1)


@pytest.mark.parametrize(
    "meanwhile",
    [
        pytest.param(timedelta(days=1), id="a new day was counted in"),
        pytest.param(timedelta(0), id="the count was set to none"),
    ],
)
def test_a_refused_invitation_email_takes_nothing_back_from_a_count_that_no_longer_holds_it(
    acme, monkeypatch, settings, meanwhile
):
    """The email is sent after the org's row is unlocked. If the org's day ended meanwhile and
    another email counted in the new one, that day did not count the refused email; a count
    that holds none (staff reset it) has nothing to give back, and never goes below none."""
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset({"stranger@example.org"}))
    email_send = memberships.invitation_email_send

    def email_send_as_the_count_changes(invitation: Invitation) -> bool:
        Organization.objects.filter(pk=acme.organization_id).update(
            invitations_counted_since=F("invitations_counted_since") + meanwhile,
            invitations_counted=1 if meanwhile else 0,
        )
        return email_send(invitation)

    monkeypatch.setattr(memberships, "invitation_email_send", email_send_as_the_count_changes)

    invited = memberships.member_invite(
        organization=acme.organization, email="stranger@example.org", role="member"
    )

    assert not invited.emailed
    expected = 1 if meanwhile else 0
    assert Organization.objects.get(pk=acme.organization_id).invitations_counted == expected


def test_a_refused_invitation_email_leaves_a_newer_sending_of_it_as_sent(
    acme, monkeypatch, settings
):
    """Another admin may press Send again while the first email is refused: theirs went out
    with the link that works, so a click within the minute is still a second click."""
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset({"stranger@example.org"}))
    email_send = memberships.invitation_email_send

    def email_send_as_it_is_sent_again(invitation: Invitation) -> bool:
        Invitation.objects.update(sent_at=F("sent_at") + timedelta(seconds=1))
        return email_send(invitation)

    monkeypatch.setattr(memberships, "invitation_email_send", email_send_as_it_is_sent_again)
    invite_stranger = {
        "organization": acme.organization,
        "email": "stranger@example.org",
        "role": "member",
    }

    assert not memberships.member_invite(**invite_stranger).emailed
    assert memberships.member_invite(**invite_stranger).second_click


def test_an_invitation_sent_a_full_minute_ago_is_sent_again(acme, monkeypatch):
    """A second click is one within the minute: at the minute, the press is meant."""
    invite_person = {
        "organization": acme.organization,
        "email": "person@example.org",
        "role": "member",
    }
    memberships.member_invite(**invite_person)
    now = Invitation.objects.get().sent_at + timedelta(seconds=memberships.SAME_INVITATION_SECONDS)
    monkeypatch.setattr("jobs.memberships.timezone.now", lambda: now)

    invited = memberships.member_invite(**invite_person)

    assert (invited.emailed, invited.second_click) == (True, False)
    assert len(mail.outbox) == 2


def cancel_invitation(signed_in: Client, email: str) -> str:
    """The words the members page shows after cancelling the invitation to `email`."""
    invitation = Invitation.objects.get(organization__slug="acme", email=email)
    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "cancel_invitation", "invitation": invitation.pk},
        follow=True,
    )
    return " ".join(m.message for m in response.context["messages"])


def test_cancelling_an_invitation_deletes_the_account_it_made_if_never_used(signed_in, acme):
    """Left behind, it would keep the person from signing up with their own address."""
    invite(signed_in, "dave@acme.example")

    said = cancel_invitation(signed_in, "dave@acme.example")

    assert said == "The invitation to dave@acme.example was cancelled."
    assert not User.objects.filter(email="dave@acme.example").exists()
    signed_up = Client().post("/accounts/signup/", {**SIGNUP, "email": "dave@acme.example"})
    assert signed_up.status_code == 302


@pytest.mark.parametrize(
    "use",
    [
        "set its password",
        "signed in",
        "joined another org",
        "invited by another org",
        "made staff",
        "made superuser",
    ],
)
def test_cancelling_an_invitation_keeps_an_account_it_made_once_used_or_needed(
    signed_in, acme, use
):
    invite(signed_in, "dave@acme.example")
    dave = User.objects.get(email="dave@acme.example")
    other = Organization.objects.create(name="Other Org", slug="other")
    if use == "set its password":
        dave.set_password(PASSWORD)
        dave.save()
    elif use == "signed in":
        Client().force_login(dave)
    elif use == "joined another org":
        Membership.objects.create(organization=other, user=dave)
    elif use == "made staff":  # by a superuser, in Django's admin: only staff delete it
        User.objects.filter(pk=dave.pk).update(is_staff=True)
    elif use == "made superuser":
        User.objects.filter(pk=dave.pk).update(is_superuser=True)
    else:
        Invitation.objects.create(organization=other, user=dave, role="member", email=dave.email)

    cancel_invitation(signed_in, "dave@acme.example")

    assert User.objects.filter(pk=dave.pk).exists()
    assert not Invitation.objects.filter(organization=acme.organization).exists()


def test_an_account_another_org_waits_for_goes_once_its_invitation_is_cancelled_too(
    signed_in, acme
):
    invite(signed_in, "dave@acme.example")  # acme's invitation made the account
    dave = User.objects.get(email="dave@acme.example")
    other = Organization.objects.create(name="Other Org", slug="other")
    Invitation.objects.create(organization=other, user=dave, role="member", email=dave.email)
    invite(signed_in, "dave@acme.example")  # sent again: still the one that made it

    cancel_invitation(signed_in, "dave@acme.example")
    assert User.objects.filter(pk=dave.pk).exists()  # the other org's invitation waits for it

    memberships.invitation_cancel(invitation=Invitation.objects.get(organization=other))
    assert not User.objects.filter(pk=dave.pk).exists()


@pytest.mark.parametrize("staff", [False, True])
def test_cancelling_an_invitation_keeps_an_account_without_a_password_it_did_not_make(
    signed_in, acme, staff
):
    """Staff may keep such accounts (createsuperuser --noinput makes one): only what an
    invitation made is deleted with it."""
    kept = User.objects.create_user("ops", "ops@acme.example", is_staff=staff)
    assert not kept.has_usable_password()
    invite(signed_in, "ops@acme.example")

    cancel_invitation(signed_in, "ops@acme.example")

    assert User.objects.filter(pk=kept.pk).exists()
    assert not Invitation.objects.exists()


def test_the_members_page_says_the_same_for_an_address_with_or_without_an_account(
    signed_in, acme, outsider
):
    """It must not tell anyone who signs up and adds addresses which ones have accounts."""
    with_account = invite(signed_in, "mallory@other.example")
    without_account = invite(signed_in, "nobody@nowhere.example")

    assert with_account.replace("mallory@other", "") == without_account.replace(
        "nobody@nowhere", ""
    )


def test_every_role_has_words_for_the_invitation_and_the_join_message():
    assert set(ROLES_IN_WORDS) == set(Membership.Role.values)


def test_an_unknown_email_gets_an_account_a_password_link_and_a_join_link(signed_in, acme):
    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "add", "email": "dave@acme.example", "role": "admin"},
        follow=True,
    )
    assert "dave@acme.example was invited" in response.content.decode()
    dave = User.objects.get(email="dave@acme.example")
    assert not dave.has_usable_password()
    assert not Membership.objects.filter(user=dave).exists()  # not before the link is used
    (message,) = mail.outbox
    assert "Acme Robotics" in message.subject
    assert "dave@acme.example" in message.body  # the username to sign in with
    assert "on orgsite as an admin." in message.body

    daves_browser = Client()
    form_url = daves_browser.get(reset_link(message))["Location"]
    daves_browser.post(
        form_url, {"new_password1": "daves passphrase", "new_password2": "daves passphrase"}
    )
    assert daves_browser.login(username="dave@acme.example", password="daves passphrase")
    joined = daves_browser.post(join_link(message), follow=True)

    assert "You are an admin of Acme Robotics." in joined.content.decode()
    assert daves_browser.get("/manage/acme/settings/").status_code == 200


def test_the_members_page_tells_which_invitation_links_expired(signed_in, acme):
    invite(signed_in, "dave@acme.example")
    invite(signed_in, "erin@acme.example")
    sent = timezone.now() - timedelta(days=INVITATION_DAYS, hours=1)
    Invitation.objects.filter(email="dave@acme.example").update(sent_at=sent)

    rows = {
        row.th.get_text(strip=True): " ".join(row.get_text(" ").split())
        for row in parsed(signed_in.get("/manage/acme/members/")).select(
            "[aria-labelledby=invitations-title] tbody tr"
        )
    }

    expired_on = timezone.localtime(sent + timedelta(days=INVITATION_DAYS)).strftime("%-d %b %Y")
    assert f"Expired on {expired_on}" in rows["dave@acme.example"]
    assert "Works until" in rows["erin@acme.example"]


def test_the_members_page_dates_invitations_as_html_allows_to_the_second(signed_in, acme):
    invite(signed_in, "dave@acme.example")
    invitation = Invitation.objects.get()

    page = parsed(signed_in.get("/manage/acme/members/"))

    assert invitation.sent_at.microsecond  # the time the site took
    sent_and_expiring = [invitation.sent_at, invitation.link_expires_at]
    assert [time["datetime"] for time in page.select("tbody time")] == [
        timezone.localtime(date).replace(microsecond=0).isoformat() for date in sent_and_expiring
    ]


def test_the_members_page_of_an_org_nobody_belongs_to_says_so(client, acme):
    """connect_greenhouse makes an org with no admin and sends a superuser to this page to
    invite one: it showed an empty table, and "an organization always keeps at least one admin"."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", PASSWORD))

    page = parsed(client.get("/manage/acme/members/"))

    assert page.select_one("main table") is None
    text = " ".join(page.select_one("main").get_text().split())
    assert "Nobody belongs to Acme Robotics yet. Invite an admin below" in text
    assert "always keeps at least one admin" not in text


def test_the_members_page_of_an_org_with_members_but_no_admin_asks_for_one(client, acme, member):
    """A superuser invited a member before an admin: the page said an organization always keeps
    an admin, and asked for none."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", PASSWORD))

    page = parsed(client.get("/manage/acme/members/"))

    assert page.select_one("main table") is not None
    text = " ".join(page.select_one("main").get_text().split())
    assert "Acme Robotics has no admin who can sign in yet. Invite an admin below" in text
    assert "always keeps at least one admin" not in text


def test_the_members_page_of_an_org_without_an_admin_says_who_is_invited_as_one(
    client, acme, member
):
    """It asked for an admin while the one invited had yet to answer. An expired link cannot
    be answered: then it points at its Send again, the quickest way to an admin (it said
    "Invite an admin below", beside that Send again)."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", PASSWORD))

    def prompt() -> str:
        page = parsed(client.get("/manage/acme/members/"))
        return " ".join(page.select_one("main").get_text().split())

    def add(email: str, role: str) -> None:
        response = client.post(
            "/manage/acme/members/", {"action": "add", "email": email, "role": role}
        )
        assert response.status_code == 302

    add("carol@acme.example", "admin")
    add("dave@acme.example", "member")
    assert (
        "Acme Robotics has no admin who can sign in yet. carol@acme.example is invited as an"
        " admin: until they join, nobody gets its sync emails."
    ) in prompt()
    assert "Invite an admin below" not in prompt()

    add("erin@acme.example", "admin")
    assert "2 people are invited as admins: until one joins, nobody gets" in prompt()

    sent = timezone.now() - timedelta(days=INVITATION_DAYS, hours=1)
    Invitation.objects.filter(email="carol@acme.example").update(sent_at=sent)
    assert "erin@acme.example is invited as an admin: until they join" in prompt()

    Invitation.objects.filter(role="admin").update(sent_at=sent)
    assert (
        "has no admin who can sign in yet. The invitations to 2 people as admins expired: press"
        " “Send again” by them below. Until one joins, nobody gets its sync emails."
    ) in prompt()
    Invitation.objects.filter(email="erin@acme.example").delete()
    assert (
        "has no admin who can sign in yet. The invitation to carol@acme.example as an admin"
        " expired: press “Send again” by it below. Until they join, nobody gets its sync emails."
    ) in prompt()
    assert "Invite an admin below" not in prompt()


def test_the_members_page_of_an_org_without_an_admin_tells_of_no_invitation_that_cannot_make_one(
    client, acme, member
):
    """An invitation to a deactivated account is never answered, as it cannot sign in to join;
    one to someone who belongs already (their row added by staff) leaves them in their role.
    The page said to wait for them to join, where a refusal to the org's last admin does not."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", PASSWORD))

    def prompt() -> str:
        page = parsed(client.get("/manage/acme/members/"))
        return " ".join(page.select_one("main").get_text().split())

    def add(email: str) -> None:
        response = client.post(
            "/manage/acme/members/", {"action": "add", "email": email, "role": "admin"}
        )
        assert response.status_code == 302

    add("carol@acme.example")
    User.objects.filter(email="carol@acme.example").update(is_active=False)
    add("dave@acme.example")
    Membership.objects.create(
        organization=acme.organization, user=User.objects.get(email="dave@acme.example")
    )
    Invitation.objects.filter(email="dave@acme.example").update(email_failed=True)

    text = prompt()
    assert "Acme Robotics has no admin who can sign in yet. Invite an admin below" in text
    assert "invited as an admin" not in text
    assert "press “Send again” by" not in text

    add("erin@acme.example")
    assert "yet. erin@acme.example is invited as an admin: until they join" in prompt()


def test_an_admins_invitation_whose_email_failed_is_shown_not_sent_and_not_as_awaited(
    client, acme, member, monkeypatch, settings
):
    """Its link never left: the page said they were invited as an admin and to wait for them
    to join, and that its link worked for a week. It points at its Send again: it said "Invite an
    admin below", as if nobody had been."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", PASSWORD))
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset({"carol@acme.example"}))
    client.post(
        "/manage/acme/members/",
        {"action": "add", "email": "carol@acme.example", "role": "admin"},
    )

    page = parsed(client.get("/manage/acme/members/"))

    text = " ".join(page.select_one("main").get_text().split())
    assert (
        "has no admin who can sign in yet. The invitation to carol@acme.example as an admin could"
        " not be sent: press “Send again” by it below. Until they join, nobody gets its sync"
        " emails."
    ) in text
    assert "Invite an admin below" not in text
    assert "is invited as an admin" not in text
    (row,) = page.select("[aria-labelledby=invitations-title] tbody tr")
    sent_on = timezone.localtime(Invitation.objects.get().sent_at).strftime("%-d %b %Y")
    assert " ".join(row.get_text(" ").split()) == (
        f"carol@acme.example Admin Could not be sent on {sent_on}"
        " None yet: press “Send again” to try again Send again to carol@acme.example"
        " Cancel the invitation to carol@acme.example"
    )
    monkeypatch.setattr(
        ScriptedMailBackend, "refused", frozenset({"carol@acme.example", "erin@acme.example"})
    )
    client.post(
        "/manage/acme/members/",
        {"action": "add", "email": "erin@acme.example", "role": "admin"},
    )
    text = " ".join(
        parsed(client.get("/manage/acme/members/")).select_one("main").get_text().split()
    )
    assert (
        "The invitations to 2 people as admins could not be sent: press “Send again” by them"
        " below. Until one joins, nobody gets its sync emails."
    ) in text
    sent = timezone.now() - timedelta(days=INVITATION_DAYS, hours=1)
    Invitation.objects.filter(email="erin@acme.example").update(email_failed=False, sent_at=sent)
    text = " ".join(
        parsed(client.get("/manage/acme/members/")).select_one("main").get_text().split()
    )
    assert (
        "The invitations to 2 people as admins could not be sent or expired: press “Send again”"
        " by them below."
    ) in text
    Invitation.objects.filter(email="erin@acme.example").delete()
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset())
    send_again(client, Invitation.objects.get().pk)
    page = parsed(client.get("/manage/acme/members/"))
    assert "carol@acme.example is invited as an admin" in page.select_one("main").get_text()
    assert "Works until" in page.select_one("[aria-labelledby=invitations-title] tbody").text


def test_the_members_page_of_an_org_with_an_admin_asks_for_none(signed_in, acme, member):
    text = " ".join(
        parsed(signed_in.get("/manage/acme/members/")).select_one("main").get_text().split()
    )

    assert "Invite an admin below" not in text
    assert "An organization always keeps at least one admin." in text


def test_an_invitation_is_sent_again_with_a_new_link_and_the_same_role(
    signed_in, acme, outsider, mallory
):
    invite(signed_in, "mallory@other.example", role="admin")
    invitation = Invitation.objects.get(user=outsider)
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - timedelta(days=9))
    old_link = join_link(mail.outbox[0])

    said = send_again(signed_in, invitation.pk)
    assert said == (
        "The invitation to mallory@other.example was sent again, with a new join link; the one"
        " in the earlier email no longer works."
    )
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["mallory@other.example"]
    assert mallory.post(old_link).status_code == 410
    joined = mallory.post(join_link(mail.outbox[1]), follow=True)
    assert "You are an admin of Acme Robotics." in joined.content.decode()


def test_an_invitation_added_again_with_the_other_role_says_its_role_changed(
    signed_in, acme, outsider
):
    """The new email names the new role; the page said only that a new link was sent."""
    invite(signed_in, "mallory@other.example", role="member")

    said = invite(signed_in, "mallory@other.example", role="admin")
    assert said == (
        "The invitation to mallory@other.example was sent again, now as an admin, with a new"
        " join link; the one in the earlier email no longer works."
    )
    assert Invitation.objects.get(user=outsider).role == "admin"


def test_an_invitation_added_again_with_the_other_role_says_so_when_its_email_fails(
    signed_in, acme, outsider, mallory, monkeypatch, settings
):
    """The role changed and the earlier link stopped working all the same: the page said only
    that the email could not be sent."""
    invite(signed_in, "mallory@other.example", role="member")
    old_link = join_link(mail.outbox[0])
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset({"mallory@other.example"}))

    said = invite(signed_in, "mallory@other.example", role="admin")

    assert said == (
        "mallory@other.example is now invited as an admin, but the invitation email could not"
        " be sent; the link in the earlier email no longer works. Press “Send again” in a while"
        " to try again."
    )
    assert Invitation.objects.get(user=outsider).role == "admin"
    assert mallory.post(old_link).status_code == 410


def test_an_invitation_sent_again_whose_email_fails_says_the_earlier_link_no_longer_works(
    signed_in, acme, outsider, monkeypatch, settings
):
    invite(signed_in, "mallory@other.example")
    invitation = Invitation.objects.get(user=outsider)
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - timedelta(days=1))
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset({"mallory@other.example"}))

    assert send_again(signed_in, invitation.pk) == (
        "The invitation email to mallory@other.example could not be sent; the link in the"
        " earlier email no longer works. Press “Send again” in a while to try again."
    )


@pytest.mark.parametrize(
    ("role", "sent_again"),
    [
        ("member", "The invitation to mallory@other.example was sent again"),
        ("admin", "The invitation to mallory@other.example was sent again, now as an admin"),
    ],
    ids=["same-role", "other-role"],
)
def test_an_invitation_whose_email_failed_sent_again_says_nothing_of_an_earlier_link(
    signed_in, acme, outsider, monkeypatch, settings, role, sent_again
):
    """No earlier email left: the page said the link in it no longer worked."""
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset({"mallory@other.example"}))
    failed = (
        "The invitation email to mallory@other.example could not be sent. Press “Send again” in"
        " a while to try again."
    )
    assert invite(signed_in, "mallory@other.example") == failed  # a first one, nothing before
    invitation_pk = Invitation.objects.get(user=outsider).pk

    assert send_again(signed_in, invitation_pk) == failed
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset())
    assert invite(signed_in, "mallory@other.example", role=role) == (
        f"{sent_again}; they get an email with a link."
    )


@pytest.mark.parametrize("action", ["resend_invitation", "add"])
def test_a_second_click_on_invite_or_send_again_sends_no_second_email(
    signed_in, acme, outsider, mallory, action
):
    """A double click on Send again (or on Invite) finds the invitation the first click sent:
    a second email would only fill the mailbox and count twice towards the day's limit."""
    invite(signed_in, "mallory@other.example", role="admin")
    invitation = Invitation.objects.get(user=outsider)

    if action == "add":
        said = invite(signed_in, "MALLORY@OTHER.EXAMPLE", role="admin")
    else:
        said = send_again(signed_in, invitation.pk)

    # Added again or sent again, the page says the same: the invitation was waiting, to the
    # address as the first click typed it.
    assert said == (
        "The invitation to mallory@other.example was sent a moment ago, so no second email was"
        " sent. If it does not arrive, press “Send again” in a minute."
    )
    assert len(mail.outbox) == 1
    assert Invitation.objects.get(user=outsider).sent_at == invitation.sent_at
    assert Organization.objects.get(pk=acme.organization_id).invitations_counted == 1
    joined = mallory.post(join_link(mail.outbox[0]), follow=True)
    assert "You are an admin of Acme Robotics." in joined.content.decode()


def test_an_invitation_whose_email_failed_is_sent_again_within_the_minute(
    signed_in, acme, outsider, mallory, monkeypatch, settings
):
    """Its link never left: pressing Send again at once is no second click."""
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset({"mallory@other.example"}))
    assert "could not be sent" in invite(signed_in, "mallory@other.example")
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset())

    said = send_again(signed_in, Invitation.objects.get(user=outsider).pk)

    assert said.startswith("The invitation to mallory@other.example was sent again")
    (message,) = mail.outbox
    joined = mallory.post(join_link(message), follow=True)
    assert "You are a member of Acme Robotics." in joined.content.decode()


def test_an_invitation_sent_again_after_a_minute_gets_a_new_link(signed_in, acme, outsider):
    invite(signed_in, "mallory@other.example")
    a_minute_ago = timezone.now() - timedelta(seconds=61)
    Invitation.objects.filter(user=outsider).update(sent_at=a_minute_ago)

    invite(signed_in, "mallory@other.example")

    assert Invitation.objects.get(user=outsider).sent_at > a_minute_ago


def test_an_invitation_sent_again_within_a_minute_with_another_role_voids_the_first_link(
    signed_in, acme, mallory
):
    """The first email said "as a member": its link must not make them an admin."""
    invite(signed_in, "mallory@other.example", role="member")
    invite(signed_in, "mallory@other.example", role="admin")

    assert mallory.post(join_link(mail.outbox[0])).status_code == 410
    joined = mallory.post(join_link(mail.outbox[1]), follow=True)
    assert "You are an admin of Acme Robotics." in joined.content.decode()


def test_sending_again_an_invitation_already_answered_says_so(signed_in, acme, outsider):
    invite(signed_in, "mallory@other.example")
    invitation_pk = Invitation.objects.get(user=outsider).pk
    Invitation.objects.filter(pk=invitation_pk).delete()  # accepted or cancelled in another tab

    said = send_again(signed_in, invitation_pk)
    assert said == "That invitation was already accepted or cancelled."
    assert len(mail.outbox) == 1


def test_an_invited_person_who_lost_the_email_can_ask_for_a_new_link(signed_in, client, acme):
    signed_in.post(
        "/manage/acme/members/", {"action": "add", "email": "dave@acme.example", "role": "member"}
    )
    client.post("/accounts/password_reset/", {"email": "dave@acme.example"})
    assert len(mail.outbox) == 2 and "/accounts/reset/" in mail.outbox[1].body


def test_an_invitation_email_tells_autoresponders_not_to_answer(signed_in, acme):
    """RFC 3834: the site makes it from a template on an admin's click; an out-of-office reply
    would go to the From address, which nobody reads."""
    invite(signed_in, "dave@acme.example")

    (message,) = mail.outbox
    assert message.message()["Auto-Submitted"] == "auto-generated"
    assert message.message()["X-Auto-Response-Suppress"] == "All"  # Exchange's own


def test_an_invitation_the_mail_server_refuses_is_reported(signed_in, acme, monkeypatch, settings):
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(
        ScriptedMailBackend, "crash", smtplib.SMTPServerDisconnected("Connection closed")
    )
    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "add", "email": "dave@acme.example", "role": "member"},
        follow=True,
    )
    assert response.status_code == 200
    assert "could not be sent" in response.content.decode()
    assert Invitation.objects.filter(user__email="dave@acme.example").exists()


def test_adding_someone_twice_says_they_are_a_member_and_how_to_make_them_an_admin(
    signed_in, member
):
    """Invited as an admin, a member was only said to be "already a member": how to make them
    one was left to guess."""
    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "add", "email": "bob@acme.example", "role": "admin"},
        follow=True,
    )
    assert (
        "bob@acme.example is already a member of Acme Robotics. To make them an admin, choose "
        "“Admin” as their role in the list of members and press “Set role”."
    ) in response.content.decode()
    assert Membership.objects.get(user=member).role == Membership.Role.MEMBER


def test_inviting_an_admin_of_the_org_says_they_are_already_an_admin(signed_in, acme):
    """It said "already a member" of someone whose row in the table says Admin. Invited again
    as an admin, nothing is to be done: no word on how to make them one."""
    carol = User.objects.create_user("carol", "carol@acme.example", "correct horse battery")
    Membership.objects.create(organization=acme.organization, user=carol, role="admin")
    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "add", "email": carol.email, "role": "admin"},
        follow=True,
    )
    assert f"{carol.email} is already an admin of Acme Robotics.<" in response.content.decode()
    assert Membership.objects.get(user=carol).role == Membership.Role.ADMIN


@pytest.mark.parametrize(
    ("role", "said"),
    [
        ("admin", "You are already an admin of Acme Robotics.<"),
        (
            "member",
            "You are already an admin of Acme Robotics. To make yourself a member, choose "
            "“Member” as your role in the list of members and press “Set role”.<",
        ),
    ],
    ids=["as-admin", "as-member"],
)
def test_an_admin_inviting_their_own_address_is_told_of_themself_as_you(
    signed_in, owner, acme, role, said
):
    """It named them by their address and told them how "to make them a member", as if of
    someone else."""
    carol = User.objects.create_user("carol", "carol@acme.example", "correct horse battery")
    Membership.objects.create(organization=acme.organization, user=carol, role="admin")

    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "add", "email": owner.email, "role": role},
        follow=True,
    )

    assert f'<li class="message error">{said}' in response.content.decode()
    assert Membership.objects.get(user=owner).role == Membership.Role.ADMIN


def test_the_only_admin_invited_as_a_member_is_told_why_they_cannot_be_one(
    signed_in, owner, member
):
    """It said to choose "Member" as their role and press "Set role", which then refused: the
    org's only admin cannot stop being one. Only they can invite themself: told as "you"."""
    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "add", "email": owner.email, "role": "member"},
        follow=True,
    )
    assert (
        "You are already an admin of Acme Robotics. An organization needs at least one "
        "admin who can sign in. Make someone else an admin first.<"
    ) in response.content.decode()
    assert "Set role”." not in response.content.decode()
    assert Membership.objects.get(user=owner).role == Membership.Role.ADMIN


def test_an_admin_invited_as_a_member_is_told_how_to_make_them_one(signed_in, acme):
    carol = User.objects.create_user("carol", "carol@acme.example", "correct horse battery")
    Membership.objects.create(organization=acme.organization, user=carol, role="admin")

    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "add", "email": "carol@acme.example", "role": "member"},
        follow=True,
    )

    assert (
        "carol@acme.example is already an admin of Acme Robotics. To make them a member, choose "
        "“Member” as their role in the list of members and press “Set role”."
    ) in response.content.decode()


def test_messages_naming_an_org_end_with_one_full_stop(signed_in, acme, member):
    Organization.objects.filter(pk=acme.organization_id).update(name="Acme Co.")
    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "add", "email": "bob@acme.example", "role": "admin"},
        follow=True,
    )
    assert "bob@acme.example is already a member of Acme Co. To make" in response.content.decode()
    membership = Membership.objects.get(user=member)
    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "remove", "membership": membership.pk, "confirmed": "1"},
        follow=True,
    )
    assert "bob@acme.example was removed from Acme Co.<" in response.content.decode()


def test_adding_a_bad_email_says_so_on_the_form(signed_in, acme):
    response = signed_in.post(
        "/manage/acme/members/", {"action": "add", "email": "bob@", "role": "x"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "valid email" in page and "Select a valid choice" in page


# Valid to Django's email validator, but their domain cannot be IDNA-encoded: sending raised.
UNSENDABLE_EMAILS = [
    "dave@exa\u2029mple.example",  # a paragraph separator
    "dave@\u2028.example",  # a line separator, as the whole label
    "dave@\u3002acme.example",  # an ideographic full stop, so an empty first label
    "dave@" + "é" * 60 + ".example",  # 60 characters, over 63 once encoded
]


@pytest.mark.parametrize("email", UNSENDABLE_EMAILS)
def test_an_email_that_cannot_be_addressed_is_refused_on_the_form(signed_in, acme, email):
    response = signed_in.post(
        "/manage/acme/members/", {"action": "add", "email": email, "role": "member"}
    )

    assert response.status_code == 200
    error = parsed(response).select_one(".error-summary a[href='#id_email']").get_text()
    assert error.startswith("Email: An email cannot be sent to this address")
    assert not Invitation.objects.exists() and not User.objects.filter(email=email).exists()
    assert mail.outbox == []


def test_an_invitation_stored_with_an_address_that_cannot_be_addressed_is_not_sent_again(
    signed_in, acme, outsider
):
    """Invitations made before the form refused such addresses: sending again raised."""
    email = UNSENDABLE_EMAILS[0]
    invitation = Invitation.objects.create(
        organization=acme.organization, user=outsider, role="member", email=email
    )

    said = send_again(signed_in, invitation.pk)
    assert said.startswith(f"The invitation to {email} was not sent. An email cannot be sent")
    assert mail.outbox == []


def test_an_email_longer_than_an_account_can_hold_is_refused_on_the_form(signed_in, acme):
    email = "d" * 64 + "@" + ".".join(["a" * 60] * 3) + ".example"  # valid, 262 characters
    response = signed_in.post(
        "/manage/acme/members/", {"action": "add", "email": email, "role": "member"}
    )
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not User.objects.filter(email=email).exists()


def test_each_members_buttons_say_whom_they_change(signed_in, member):
    page = parsed(signed_in.get("/manage/acme/members/"))
    buttons = [button.get_text() for button in page.select(".table-wrap button")]
    assert buttons == [
        "Set role for alice@acme.example",
        "Remove alice@acme.example",
        "Set role for bob@acme.example",
        "Remove bob@acme.example",
    ]


def test_members_and_invitations_are_listed_by_address_whatever_its_case(signed_in, member):
    """SQLite sorted "Carol@…" before "bob@…", as PostgreSQL's "C" collation does, and its
    other collations do not: one order on every database, as people read addresses."""
    acme = Organization.objects.get(slug="acme")
    carol = User.objects.create_user("carol", "Carol@acme.example", "correct horse battery")
    Membership.objects.create(organization=acme, user=carol, role=Membership.Role.MEMBER)
    for email in ("Erin@elsewhere.example", "dave@elsewhere.example"):
        someone = User.objects.create_user(email.split("@")[0].lower(), email.lower())
        Invitation.objects.create(organization=acme, user=someone, role="member", email=email)

    page = parsed(signed_in.get("/manage/acme/members/"))

    listed = [row.th.get_text(" ", strip=True) for row in page.select("tbody tr")]
    assert listed == [
        "alice@acme.example (you)",
        "bob@acme.example",
        "Carol@acme.example",
        "dave@elsewhere.example",
        "Erin@elsewhere.example",
    ]


def test_it_sets_a_members_role(signed_in, member):
    membership = Membership.objects.get(user=member)
    signed_in.post(
        "/manage/acme/members/", {"action": "role", "membership": membership.pk, "role": "admin"}
    )
    membership.refresh_from_db()
    assert membership.role == Membership.Role.ADMIN


def test_a_role_set_to_the_one_a_member_has_says_nothing_changed(signed_in, member):
    """Set role pressed on the role shown said "bob@acme.example's role is now Member.", as if
    something had changed; the other forms sent as shown say that nothing did."""
    membership = Membership.objects.get(user=member)

    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "role", "membership": membership.pk, "role": "member"},
        follow=True,
    )

    html = response.content.decode()
    assert "Nothing changed: bob@acme.example is still a member." in html
    assert "role is now" not in html


def removed_once_found(monkeypatch: pytest.MonkeyPatch, removed: Any) -> None:
    """`removed` (a queryset: the member, or the org) deleted by another admin once the role
    page's form has found the member, before the role is set."""
    done_by_another_request_after(
        monkeypatch, MembershipRoleForm, "is_valid", lambda: removed.delete()
    )


def test_a_role_the_site_does_not_have_is_refused(signed_in, member):
    membership = Membership.objects.get(user=member)

    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "role", "membership": membership.pk, "role": "owner"},
        follow=True,
    )

    assert "Select a valid choice." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Membership.Role.MEMBER


@pytest.mark.django_db(transaction=True)  # deleted on another connection, which sees only commits
def test_a_role_set_as_another_admin_removes_the_member_says_so(signed_in, member, monkeypatch):
    membership = Membership.objects.get(user=member)
    removed_once_found(monkeypatch, Membership.objects.filter(pk=membership.pk))

    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "role", "membership": membership.pk, "role": "admin"},
        follow=True,
    )

    assert "removed from the organization meanwhile" in response.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.django_db(transaction=True)  # deleted on another connection, which sees only commits
@pytest.mark.parametrize("action", ["add", "role", "remove", "cancel_invitation"])
def test_a_members_change_as_the_org_is_deleted_says_it_no_longer_exists(
    signed_in, acme, member, monkeypatch, action
):
    """An invitation sent as the org went was a server error; a change to a member or an
    invitation (gone with it) said the page was out of date on its way to a page not found.
    Deleted by another admin once the request has read the org."""
    memberships.member_invite(
        organization=acme.organization, email="carol@acme.example", role="member"
    )
    organization = Organization.objects.filter(pk=acme.organization_id)
    done_by_another_request_after(
        monkeypatch, manage_views, "admin_organization_or_404", lambda: organization.delete()
    )
    form = {
        "action": action,
        "email": "dave@acme.example",
        "role": "admin",
        "membership": Membership.objects.get(user=member).pk,
        "invitation": Invitation.objects.get(email="carol@acme.example").pk,
        "confirmed": "1",
    }

    assert_says_organization_gone(signed_in.post("/manage/acme/members/", form))


@pytest.mark.django_db(transaction=True)  # deleted on another connection, which sees only commits
def test_a_role_set_as_the_org_is_deleted_says_it_no_longer_exists(signed_in, member, monkeypatch):
    """It said the member was removed meanwhile, on its way to a page not found."""
    membership = Membership.objects.get(user=member)
    removed_once_found(monkeypatch, Organization.objects.filter(pk=membership.organization_id))

    response = signed_in.post(
        "/manage/acme/members/", {"action": "role", "membership": membership.pk, "role": "admin"}
    )

    assert_says_organization_gone(response)


@pytest.mark.django_db(transaction=True)  # deleted on another connection, which sees only commits
def test_your_own_role_set_as_another_admin_removes_you_says_you_were_removed(
    signed_in, acme, owner, member, monkeypatch
):
    """Giving up your admin role as another admin removed you said "That person was removed
    from the organization meanwhile", of you in the third person."""
    Organization.objects.filter(pk=acme.organization_id).update(name="Acme Co.")
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    mine = Membership.objects.get(user=owner)
    removed_once_found(monkeypatch, Membership.objects.filter(pk=mine.pk))

    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "role", "membership": mine.pk, "role": "member", "confirmed": "1"},
        follow=True,
    )

    [message] = [li.get_text() for li in parsed(response).select(".messages li")]
    assert message == "You were removed from Acme Co. meanwhile, so your role was not changed."


def test_removing_a_member_is_asked_first(signed_in, member):
    membership = Membership.objects.get(user=member)

    response = signed_in.post(
        "/manage/acme/members/", {"action": "remove", "membership": membership.pk}
    )

    page = parsed(response)
    assert response.status_code == 200
    assert " ".join(page.h1.get_text().split()) == "Remove bob@acme.example from Acme Robotics?"
    form = page.select_one("main form")
    fields = {field["name"]: field.get("value") for field in form.select("input[type=hidden]")}
    assert fields["confirmed"] == "1" and fields["membership"] == str(membership.pk)
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_removing_a_member_of_an_org_whose_name_ends_a_sentence_adds_no_full_stop(
    signed_in, acme, member
):
    Organization.objects.filter(pk=acme.organization_id).update(name="Acme Co.")
    membership = Membership.objects.get(user=member)

    response = signed_in.post(
        "/manage/acme/members/", {"action": "remove", "membership": membership.pk}
    )

    text = " ".join(parsed(response).select_one("main .card p").get_text().split())
    assert text.startswith("bob@acme.example will no longer belong to Acme Co. Their account")


def test_a_superuser_may_remove_a_member_of_an_org_no_admin_of_which_can_sign_in(
    owner, member, client
):
    """Only an admin's removal could leave the org with nobody to manage it: a member's is
    asked as any other, even where the admins are already unable to sign in."""
    User.objects.filter(pk=owner.pk).update(is_active=False)
    client.force_login(User.objects.create_superuser("root", "root@example.org", PASSWORD))
    membership = Membership.objects.get(user=member)

    response = client.post(
        "/manage/acme/members/", {"action": "remove", "membership": membership.pk}
    )

    assert response.status_code == 200
    title = " ".join(parsed(response).h1.get_text().split())
    assert title == "Remove bob@acme.example from Acme Robotics?"


def test_removing_yourself_warns_that_it_ends_your_access(signed_in, owner, member):
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    mine = Membership.objects.get(user=owner)

    response = signed_in.post("/manage/acme/members/", {"action": "remove", "membership": mine.pk})

    text = " ".join(parsed(response).get_text().split())
    assert "Remove yourself from Acme Robotics?" in text
    assert "You will lose access to this organization's admin pages at once." in text
    assert Membership.objects.filter(pk=mine.pk).exists()


@pytest.mark.parametrize("change", [{"action": "remove"}, {"action": "role", "role": "member"}])
def test_a_superuser_leaving_an_org_is_not_told_it_ends_their_access(client, owner, member, change):
    """A superuser manages every org whatever their role in it: "you will lose access at once"
    and "only another admin can make you an admin again" were untrue for them."""
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    User.objects.filter(pk=owner.pk).update(is_superuser=True)
    client.force_login(owner)
    mine = Membership.objects.get(user=owner)

    response = client.post("/manage/acme/members/", {"membership": mine.pk, **change})

    text = " ".join(parsed(response).select_one("main .card").get_text().split())
    assert "lose access" not in text and "Only another admin" not in text
    assert "As a superuser you keep access to this organization's admin pages." in text


def test_it_removes_a_member(signed_in, member):
    membership = Membership.objects.get(user=member)
    signed_in.post(
        "/manage/acme/members/", {"action": "remove", "membership": membership.pk, "confirmed": "1"}
    )
    assert not Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        {"action": "remove", "confirmed": "1"},
        {"action": "role", "role": "member", "confirmed": "1"},
    ],
)
def test_the_last_admin_cannot_be_removed_or_demoted(signed_in, owner, change):
    membership = Membership.objects.get(user=owner)
    response = signed_in.post(
        "/manage/acme/members/", {**change, "membership": membership.pk}, follow=True
    )
    assert "at least one admin" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Membership.Role.ADMIN


@pytest.mark.parametrize(
    "change", [{"action": "remove"}, {"action": "role", "role": "member"}], ids=["remove", "demote"]
)
def test_the_last_admin_is_refused_at_once_without_being_asked_to_confirm(
    signed_in, owner, member, change
):
    mine = Membership.objects.get(user=owner)

    response = signed_in.post("/manage/acme/members/", {**change, "membership": mine.pk})

    # Not a page asking "Remove yourself?" that warns of losing access, then a refusal.
    assert response.status_code == 302
    assert response["Location"] == "/manage/acme/members/"
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        memberships.ADMIN_NEEDED_MESSAGE
    ]
    mine.refresh_from_db()
    assert mine.role == Membership.Role.ADMIN


def test_a_deactivated_account_does_not_count_as_the_other_admin(signed_in, owner):
    ghost = User.objects.create_user("ghost", "ghost@acme.example", is_active=False)
    Membership.objects.create(organization=owner.memberships.get().organization, user=ghost)
    Membership.objects.filter(user=ghost).update(role=Membership.Role.ADMIN)
    mine = Membership.objects.get(user=owner)

    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "role", "membership": mine.pk, "role": "member", "confirmed": "1"},
        follow=True,
    )

    assert "at least one admin who can sign in" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Membership.Role.ADMIN


@pytest.mark.parametrize("confirmed", [{}, {"confirmed": "1"}], ids=["asked", "confirmed"])
@pytest.mark.parametrize(
    "change", [{"action": "remove"}, {"action": "role", "role": "member"}], ids=["remove", "demote"]
)
def test_the_only_member_is_told_to_invite_an_admin_first(signed_in, owner, change, confirmed):
    """It said "Make someone else an admin first", asking for someone who does not exist; a
    deactivated account's membership, which no role would let sign in, counts as nobody."""
    ghost = User.objects.create_user("ghost", "ghost@acme.example", is_active=False)
    Membership.objects.create(organization=owner.memberships.get().organization, user=ghost)
    mine = Membership.objects.get(user=owner)

    response = signed_in.post(
        "/manage/acme/members/", {**change, **confirmed, "membership": mine.pk}
    )

    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        memberships.ADMIN_INVITE_NEEDED_MESSAGE
    ]
    # The members list shows the ghost: the message must not say nobody else belongs.
    assert "nobody else who can sign in belongs" in memberships.ADMIN_INVITE_NEEDED_MESSAGE
    mine.refresh_from_db()
    assert mine.role == Membership.Role.ADMIN


def give_up_admin_refusal(signed_in: Client, owner: User) -> list[str]:
    mine = Membership.objects.get(user=owner)
    response = signed_in.post(
        "/manage/acme/members/", {"action": "role", "role": "member", "membership": mine.pk}
    )
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_only_member_with_an_admin_invited_is_told_to_wait_for_them(signed_in, owner):
    """It said "Invite someone as an admin", as though no invitation were waiting."""
    invite(signed_in, "carol@acme.example", role="admin")
    invite(signed_in, "dan@acme.example", role="member")  # no admin: not counted

    assert give_up_admin_refusal(signed_in, owner) == [
        f"{memberships.ADMIN_NOBODY_ELSE} carol@acme.example is invited as an admin: try "
        "again once they have joined."
    ]

    invite(signed_in, "erin@acme.example", role="admin")
    assert give_up_admin_refusal(signed_in, owner) == [
        f"{memberships.ADMIN_NOBODY_ELSE} 2 people are invited as admins: try again once one "
        "has joined."
    ]
    assert Membership.objects.get(user=owner).role == Membership.Role.ADMIN


def test_the_only_member_whose_admin_invitation_expired_is_told_to_send_it_again(signed_in, owner):
    invite(signed_in, "carol@acme.example", role="admin")
    Invitation.objects.update(sent_at=timezone.now() - timedelta(days=9))

    assert give_up_admin_refusal(signed_in, owner) == [
        f"{memberships.ADMIN_NOBODY_ELSE} The invitation to carol@acme.example as an admin "
        "expired: press “Send again” by it below, then try again once they have joined."
    ]

    invite(signed_in, "erin@acme.example", role="admin")
    Invitation.objects.filter(email="erin@acme.example").update(email_failed=True)
    assert give_up_admin_refusal(signed_in, owner) == [
        f"{memberships.ADMIN_NOBODY_ELSE} The invitations to 2 people as admins could not be "
        "sent or expired: press “Send again” by them below, then try again once one has joined."
    ]


def test_the_only_member_is_not_told_to_wait_for_an_invitation_that_cannot_make_an_admin(
    signed_in, owner
):
    """An invitation to a deactivated account is never answered, as it cannot sign in to join;
    one to the admin giving up the role (a row staff added, the invitation left waiting) was
    answered already. It said to try again once they had joined."""
    invite(signed_in, "carol@acme.example", role="admin")
    User.objects.filter(email="carol@acme.example").update(is_active=False)
    organization = owner.memberships.get().organization
    Invitation.objects.create(
        organization=organization, user=owner, role="admin", email="alice@acme.example"
    )

    assert give_up_admin_refusal(signed_in, owner) == [memberships.ADMIN_INVITE_NEEDED_MESSAGE]

    invite(signed_in, "erin@acme.example", role="admin")
    assert give_up_admin_refusal(signed_in, owner) == [
        f"{memberships.ADMIN_NOBODY_ELSE} erin@acme.example is invited as an admin: try "
        "again once they have joined."
    ]


def organization_admin_post(owner: User, **membership_changes: str) -> dict[str, str]:
    """The Django admin's change form of the owner's org as loaded, with the owner's
    membership row changed (e.g. role="member", or DELETE="on")."""
    organization = owner.memberships.get().organization
    membership = Membership.objects.get(user=owner)
    row = {"id": str(membership.pk), "organization": str(organization.pk)}
    row |= {"user": str(owner.pk), "role": membership.role, **membership_changes}
    return {
        "name": organization.name,
        "slug": organization.slug,
        "description": organization.description,
        "website": organization.website,
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        **{f"memberships-0-{name}": value for name, value in row.items()},
    }


@pytest.mark.parametrize("change", [{"role": "member"}, {"DELETE": "on"}])
def test_the_django_admin_cannot_leave_an_org_without_an_admin(admin_client, owner, change):
    organization = owner.memberships.get().organization

    response = admin_client.post(
        f"/admin/jobs/organization/{organization.pk}/change/",
        organization_admin_post(owner, **change),
    )

    assert response.status_code == 200  # the form again, with the reason
    # Staff add member rows on that page: nobody else need belong to the org already.
    assert memberships.ADMIN_ADD_NEEDED_MESSAGE in response.content.decode()
    assert "Make someone else" not in response.content.decode()
    assert Membership.objects.get(user=owner).role == Membership.Role.ADMIN


@pytest.mark.parametrize("change", [{"user": "999999"}, {"role": "owner"}, {"user": ""}])
def test_the_django_admin_says_what_is_wrong_with_a_membership_row(admin_client, owner, change):
    organization = owner.memberships.get().organization

    response = admin_client.post(
        f"/admin/jobs/organization/{organization.pk}/change/",
        organization_admin_post(owner, **change),
    )

    assert response.status_code == 200  # the form again, not a 500
    assert Membership.objects.get(user=owner).role == Membership.Role.ADMIN


def test_the_django_admin_does_not_count_an_admin_who_never_set_a_password(admin_client, owner):
    organization = owner.memberships.get().organization
    never_signed_in = User.objects.create_user("old", "old@acme.example")  # no usable password
    Membership.objects.create(
        organization=organization, user=never_signed_in, role=Membership.Role.ADMIN
    )

    response = admin_client.post(
        f"/admin/jobs/organization/{organization.pk}/change/",
        organization_admin_post(owner, role="member"),
    )

    assert "at least one admin who can sign in" in response.content.decode()
    assert Membership.objects.get(user=owner).role == Membership.Role.ADMIN


def test_the_django_admin_can_demote_an_admin_when_another_remains(admin_client, owner, member):
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    organization = owner.memberships.get().organization

    response = admin_client.post(
        f"/admin/jobs/organization/{organization.pk}/change/",
        organization_admin_post(owner, role="member"),
    )

    assert response.status_code == 302
    assert Membership.objects.get(user=owner).role == Membership.Role.MEMBER


def test_a_deactivated_account_is_invited_like_any_other_and_cannot_join(signed_in, acme):
    """The page must not tell that the address has an account; a deactivated one cannot sign in."""
    User.objects.create_user("ghost", "ghost@acme.example", "ghost passphrase", is_active=False)

    said = invite(signed_in, "Ghost@acme.example", role="admin")

    assert said == "Ghost@acme.example was invited; they get an email with a link."
    assert not Client().login(username="ghost", password="ghost passphrase")
    assert not Membership.objects.filter(user__username="ghost").exists()


def test_a_removed_member_cannot_rejoin_with_an_invitation_left_from_before(
    signed_in, acme, outsider, mallory
):
    invite(signed_in, "mallory@other.example")
    link = join_link(mail.outbox[0])
    # Added meanwhile another way (a site admin), then removed on the members page.
    membership = Membership.objects.create(organization=acme.organization, user=outsider)
    signed_in.post(
        "/manage/acme/members/", {"action": "remove", "membership": membership.pk, "confirmed": "1"}
    )

    assert mallory.post(link).status_code == 410
    assert not Membership.objects.filter(organization=acme.organization, user=outsider).exists()


def test_giving_up_your_own_admin_role_is_asked_first(signed_in, owner, member):
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    mine = Membership.objects.get(user=owner)

    response = signed_in.post(
        "/manage/acme/members/", {"action": "role", "membership": mine.pk, "role": "member"}
    )

    page = parsed(response)
    assert " ".join(page.h1.get_text().split()) == "Give up your admin role at Acme Robotics?"
    fields = {
        field["name"]: field["value"] for field in page.select("main form input[type=hidden]")
    }
    assert (fields["action"], fields["role"], fields["confirmed"]) == ("role", "member", "1")
    mine.refresh_from_db()
    assert mine.role == Membership.Role.ADMIN
    # Another's role, or your own kept, is set at once.
    theirs = Membership.objects.get(user=member)
    signed_in.post(
        "/manage/acme/members/", {"action": "role", "membership": theirs.pk, "role": "member"}
    )
    theirs.refresh_from_db()
    assert theirs.role == Membership.Role.MEMBER


@pytest.mark.parametrize(
    ("change", "name", "said"),
    [
        (
            {"action": "role", "role": "member", "confirmed": "1"},
            "Acme Co.",
            "You are now a member of Acme Co.",
        ),
        ({"action": "remove", "confirmed": "1"}, "Acme Co.", "You left Acme Co."),
        (
            {"action": "role", "role": "admin"},
            "Acme Co.",
            "Nothing changed: you are still an admin.",
        ),
        # Written right to left, isolated as the site's sentences name an org (name_in_sentence):
        # "You left 2024 מרכז." showed the name as if it ended with its digits.
        (
            {"action": "role", "role": "member", "confirmed": "1"},
            "2024 מרכז",
            "You are now a member of \u20682024 מרכז\u2069.",
        ),
        ({"action": "remove", "confirmed": "1"}, "2024 מרכז", "You left \u20682024 מרכז\u2069."),
    ],
)
def test_a_change_to_your_own_membership_is_told_to_you_not_of_your_address(
    signed_in, acme, owner, member, change, name, said
):
    """Giving up your admin role said "alice@acme.example's role is now Member.", of you in the
    third person."""
    Organization.objects.filter(pk=acme.organization_id).update(name=name)
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    mine = Membership.objects.get(user=owner)

    response = signed_in.post(
        "/manage/acme/members/", {**change, "membership": mine.pk}, follow=True
    )

    [message] = [li.get_text() for li in parsed(response).select(".messages li")]
    assert message == said


def test_the_members_pages_questions_mark_the_members_tab_as_their_section(signed_in, member):
    """Asked at the members page's address, "Remove bob@acme.example from Acme Robotics?" was
    marked as the members page itself (aria-current="page"), where the pages reached from the
    settings and the jobs say "true", the section they belong to."""
    theirs = Membership.objects.get(user=member)
    question = signed_in.post(
        "/manage/acme/members/", {"action": "remove", "membership": theirs.pk}
    )

    for response, current in ((signed_in.get("/manage/acme/members/"), "page"), (question, "true")):
        tabs = parsed(response).select('nav[aria-label="Acme Robotics admin"] a')
        assert {tab.get_text(): tab.get("aria-current") for tab in tabs} == {
            "Settings": None,
            "Jobs": None,
            "Sync history": None,
            "Members": current,
        }


def test_an_admin_who_steps_down_is_sent_to_their_organizations(signed_in, owner, member):
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    mine = Membership.objects.get(user=owner)
    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "role", "membership": mine.pk, "role": "member", "confirmed": "1"},
    )
    assert response["Location"] == "/manage/"


def test_a_membership_of_another_org_cannot_be_touched(signed_in, outsider):
    theirs = Membership.objects.get(user=outsider)
    response = signed_in.post(
        "/manage/acme/members/",
        {"action": "remove", "membership": theirs.pk, "confirmed": "1"},
        follow=True,
    )
    assert "not a member any more" in response.content.decode()
    assert Membership.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize(
    "path, where",
    [
        ("/manage/acme/settings/", "Your organizations Acme Robotics"),
        ("/manage/new/", "Your organizations New"),
        ("/accounts/email/", "Your organizations Your account"),
        ("/accounts/delete/", "Your organizations Your account"),
        # As the other account pages: it had no way back but the header's "Manage".
        ("/accounts/password_change/", "Your organizations Your account"),
    ],
)
def test_the_line_saying_where_an_admin_is_reads_out_without_its_separators(signed_in, path, where):
    """A screen reader reads "›" out ("single right-pointing angle quotation mark") between
    the places: it only shows the eye where one ends."""
    page = parsed(signed_in.get(path))

    line = page.find("a", string="Your organizations").parent

    assert spoken_text(line) == where


def test_a_django_admin_group_added_with_permissions_the_page_was_given_keeps_them(staff_client):
    """The add page takes a group's values from its address (?permissions=…), as Django's admin
    does, and shows them as the values shown: saved as given, only lists changed there were
    written, and the group was made without the permissions its page listed."""
    view_job = Permission.objects.get(codename="view_job")
    url = f"/admin/auth/group/add/?name=Editors&permissions={view_job.pk}"
    values = admin_form_values(staff_client.get(url))
    assert values["permissions"] == [str(view_job.pk)]

    response = staff_client.post(url, values)

    assert response.status_code == 302
    editors = Group.objects.get(name="Editors")
    assert list(editors.permissions.values_list("codename", flat=True)) == ["view_job"]


CSRF_TOKEN_NOW = '<script src="/static/js/csrf-token-now.js" defer></script>'


@pytest.mark.parametrize(
    "address, signed_in, loaded",
    [
        ("/accounts/login/", False, True),
        ("/accounts/signup/", False, True),
        ("/accounts/password_reset/", False, True),
        ("/jobs/", False, False),  # no POST form: a visitor's page loads no script of it
        ("/jobs/", True, True),  # the header's Sign out
        ("/accounts/password_change/", True, True),
        ("/manage/", True, True),
    ],
)
def test_a_page_with_a_post_form_loads_the_script_sending_the_csrf_token_of_now(
    client, owner, address, signed_in, loaded
):
    """Only the org pages loaded static/js/csrf-token-now.js: the other pages' forms, left open
    while signed in again in another tab, sent a token Django refuses."""
    if signed_in:
        client.force_login(owner)

    page = client.get(address).content.decode()

    assert page.count(CSRF_TOKEN_NOW) == int(loaded)


def test_the_password_links_page_and_djangos_admin_load_the_script_once(client, owner):
    """The page of an emailed password link, and Django's admin (its sign-in page and the others,
    their blocks extending its own), send the token of now too, the script loaded once."""
    client.post("/accounts/password_reset/", {"email": "alice@acme.example"})
    password_page = client.get(reset_link(mail.outbox[0]), follow=True).content.decode()
    admin_sign_in = client.get("/admin/login/").content.decode()
    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    client.force_login(owner)
    admin_page = client.get(f"/admin/auth/user/{owner.pk}/change/").content.decode()

    assert 'name="new_password1"' in password_page
    for page in (password_page, admin_sign_in, admin_page):
        assert page.count(CSRF_TOKEN_NOW) == 1
