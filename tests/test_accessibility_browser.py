"""Every page passes axe-core's accessibility rules (WCAG 2 A and AA, and axe's best practices),
at desktop and phone widths, in Debian's Chromium: visitors' pages, the admin's pages, and the
pages that show a form's errors."""

from __future__ import annotations

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.contrib.auth.models import User

from jobs import views
from jobs.email_change import email_change_token
from jobs.memberships import invitation_token
from jobs.models import GreenhouseConnection, Invitation, Job, Membership, Organization, SyncRun
from jobs.sync import sync_organization
from tests.support.browser import sign_in_by_cookie
from tests.support.helpers import make_connection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
WIDTHS = {"desktop": 1280, "phone": 375}


@pytest.fixture
def acme(fake_greenhouse):
    connection = make_connection("acme", "acme-robotics", name="Acme Robotics")
    sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    nora = User.objects.create_user("nora", "nora@acme.example", PASSWORD)
    Membership.objects.create(organization=connection.organization, user=nora, role="admin")
    invited = User.objects.create_user("dave", "dave@acme.example")
    Invitation.objects.create(
        organization=connection.organization, user=invited, role="member", email=invited.email
    )
    # An org not connected to Greenhouse yet, and a job that left the board (its page is a 410).
    north = Organization.objects.create(name="North Wind", slug="north")
    Membership.objects.create(organization=north, user=nora, role="admin")
    Job.objects.create(
        organization=connection.organization, greenhouse_id=1, title="Retired role", is_open=False
    )
    return connection.organization


@pytest.fixture
def axe_page(page):
    """A page that adds axe-core (the version the package pins) to every document it loads,
    before the page's own scripts: that costs a fraction of evaluating its 570 kB into each
    page once loaded."""
    page.add_init_script(AXE_SCRIPT)
    return page


def violations(page) -> list[str]:
    """axe's violations on the page as loaded, at every width, one line each with the first
    elements it names. One load serves all widths: the layout follows the viewport, and no
    script of the site reads the width."""
    found = []
    for name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        results = page.evaluate("axe.run({resultTypes: ['violations']})")
        found += [
            f"{page.url} ({name}): {rule['id']} ({rule['impact']}): {rule['help']} at "
            + ", ".join(" ".join(node["target"]) for node in rule["nodes"][:3])
            for rule in results["violations"]
        ]
    return found


def test_visitors_pages_pass_axe(live_server, axe_page, acme, monkeypatch):
    page = axe_page
    job = Job.objects.filter(organization=acme).order_by("pk").first()
    # Two pages of orgs, with their page links.
    monkeypatch.setattr(views, "ORGANIZATIONS_PER_PAGE", 1)
    Organization.objects.create(name="Quiet", slug="quiet")
    found = []
    for path in (
        "/",
        "/orgs/",
        "/orgs/?page=2",
        "/jobs/",
        "/jobs/?q=engineer&remote=remote",
        "/jobs/?q=no+such+words+anywhere",
        "/orgs/acme/",
        job.get_absolute_url(),
        "/orgs/acme/jobs/1/",
        "/no-such-page/",
        "/accounts/signup/",
        "/accounts/password_reset/",
        "/accounts/reset/MQ/bad-token/",
        "/accounts/logout/",
        "/accounts/login/",
    ):
        page.goto(f"{live_server.url}{path}")
        found += violations(page)
    page.get_by_label("Username").fill("nora")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(".error-summary")
    found += violations(page)

    assert found == []


def test_admin_pages_pass_axe(live_server, axe_page, acme):
    page = axe_page
    job = Job.objects.filter(organization=acme).order_by("pk").first()
    sign_in_by_cookie(page, live_server.url, "nora")
    Organization.objects.create(name="South Wind", slug="south")  # nora is not its admin
    found = []
    for path in (
        "/manage/",
        "/manage/acme/settings/",
        "/manage/north/settings/",
        "/manage/acme/jobs/",
        f"/manage/acme/jobs/{job.pk}/edit/",
        "/manage/acme/history/",
        "/manage/acme/members/",
        "/manage/acme/disconnect/",
        "/manage/acme/delete/",
        "/manage/deleted-meanwhile/settings/",  # an org that no longer exists
        "/manage/south/settings/",  # an org nora is no admin of
        "/manage/new/",
        "/accounts/password_change/",
        "/accounts/email/",
        "/accounts/email/confirm/not-a-link/",
        "/accounts/delete/",
        "/accounts/logout/",
    ):
        page.goto(f"{live_server.url}{path}")
        found += violations(page)
    # A form's errors: a wrong current password.
    page.goto(f"{live_server.url}/accounts/password_change/")
    page.locator("#id_old_password").fill("not my password")
    page.locator("#id_new_password1").fill("a new passphrase here")
    page.locator("#id_new_password2").fill("a new passphrase here")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".error-summary")
    found += violations(page)
    # The email address page with a wrong password, and its link's confirmation page.
    page.goto(f"{live_server.url}/accounts/email/")
    page.get_by_label("New email address").fill("nora@north.example")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_selector(".error-summary")
    found += violations(page)
    token = email_change_token(User.objects.get(username="nora"), "nora@north.example")
    page.goto(f"{live_server.url}/accounts/email/confirm/{token}/")
    page.get_by_role("button", name="Use nora@north.example").wait_for()
    found += violations(page)
    # A link of another account's: the page with a button to sign out.
    token = email_change_token(User.objects.get(username="dave"), "dave@north.example")
    page.goto(f"{live_server.url}/accounts/email/confirm/{token}/")
    assert page.get_by_role("main").get_by_role("button", name="Sign out").is_visible()
    found += violations(page)
    # A field's errors on a page of several forms: a board token that cannot be one.
    page.goto(f"{live_server.url}/manage/north/settings/")
    page.get_by_label("Board token").fill("not a token!")
    page.get_by_role("button", name="Check and connect").click()
    page.wait_for_selector(".error-summary")
    found += violations(page)
    # Removing a member (here, yourself, with another admin left: the last one is refused) is
    # asked first.
    omar = User.objects.create_user("omar", "omar@acme.example", PASSWORD)
    Membership.objects.create(organization=acme, user=omar, role="admin")
    page.goto(f"{live_server.url}/manage/acme/members/")
    page.get_by_role("button", name="Remove nora@acme.example").click()
    page.wait_for_selector("text=Remove yourself")
    found += violations(page)
    # Removing the API key is asked first.
    connection = GreenhouseConnection.objects.get(organization=acme)
    connection.set_api_key("acme-key-12345")
    connection.save()
    page.goto(f"{live_server.url}/manage/acme/settings/")
    page.get_by_role("button", name="Remove the stored key").click()
    page.get_by_role("heading", name="Remove the stored API key?").wait_for()
    found += violations(page)
    # Syncing paused: the way to resume in place of Refresh now.
    GreenhouseConnection.objects.update(enabled=False)
    for path in ("/manage/acme/settings/", "/manage/acme/jobs/"):
        page.goto(f"{live_server.url}{path}")
        found += violations(page)

    assert found == []


def test_the_join_page_passes_axe(live_server, axe_page, acme):
    page = axe_page
    dave = User.objects.get(username="dave")
    dave.set_password(PASSWORD)
    dave.save()
    token = invitation_token(Invitation.objects.get(user=dave))
    sign_in_by_cookie(page, live_server.url, "dave")
    found = []
    for path in (f"/accounts/join/{token}/", "/accounts/join/not-a-link/"):
        page.goto(f"{live_server.url}{path}")
        found += violations(page)
    # Opened signed in with another account: the page with a button to sign out.
    User.objects.create_user("erin", "erin@other.example", PASSWORD)
    sign_in_by_cookie(page, live_server.url, "erin")
    page.goto(f"{live_server.url}/accounts/join/{token}/")
    assert page.get_by_role("main").get_by_role("button", name="Sign out").is_visible()
    found += violations(page)

    assert found == []


def test_every_form_control_is_big_enough_to_tap_on_a_phone(live_server, page, acme):
    """WCAG 2.5.8: 24 by 24 CSS pixels at least; a browser's own checkbox is 13."""
    job = Job.objects.filter(organization=acme).order_by("pk").first()
    page.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
    sign_in_by_cookie(page, live_server.url, "nora")
    too_small = []
    for path in ("/jobs/", "/manage/acme/settings/", f"/manage/acme/jobs/{job.pk}/edit/"):
        page.goto(f"{live_server.url}{path}")
        for control in page.locator("main :is(input:not([type=hidden]), select, button)").all():
            box = control.bounding_box()
            if box["width"] < 24 or box["height"] < 24:
                too_small.append(f"{path} {control.evaluate('c => c.name')}: {box}")

    assert too_small == []
