"""The XSS corpus in a real browser (Debian's Chromium): every visitor and admin page that shows
it loads with no dialog, no script of the corpus run, and no Content-Security-Policy violation
(the policy would block an injected script, so a violation means the sanitizer let one through).
"""

from __future__ import annotations

import html

import pytest
from django.contrib.auth.models import User

from jobs.models import Job, Membership, SyncRun
from jobs.sync import sync_organization
from tests.support.helpers import make_connection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
# Runs before the page's own scripts: records CSP violations, so that even a blocked injection
# is seen.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""
# Hover and focus everything, so that handlers on mouseover or focus would fire.
POKE_EVERYTHING = """
() => {
  for (const element of document.querySelectorAll("body *")) {
    element.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
    if (typeof element.focus === "function") element.focus();
  }
}
"""


@pytest.fixture
def xss_jobs(fake_greenhouse) -> list[Job]:
    fake_greenhouse.load_fixture("xss-corpus", "xss-corpus")
    connection = make_connection("xss", "xss-corpus", name='XSS "><script>alert(1)</script> Org')
    assert sync_organization(connection, trigger=SyncRun.Trigger.COMMAND).ok
    return list(Job.objects.filter(organization__slug="xss").order_by("greenhouse_id"))


@pytest.fixture
def watched_page(page):
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.add_init_script(WATCH_VIOLATIONS)
    page.dialogs = dialogs
    return page


def sign_in(page, base_url: str, path: str, username: str, *, button: str, lands: str) -> None:
    page.goto(f"{base_url}{path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"{base_url}{lands}")


def assert_nothing_runs_on(page, base_url: str, paths: list[str]) -> None:
    for path in paths:
        response = page.goto(f"{base_url}{path}")
        assert response.status in (200, 410), path
        page.evaluate(POKE_EVERYTHING)
        page.wait_for_timeout(50)  # let a timer-based vector fire
        assert page.dialogs == [], path
        assert page.evaluate("window.__xss") is None, path
        assert page.evaluate("window.__violations") == [], path


def test_no_visitor_page_runs_the_corpus(live_server, watched_page, xss_jobs):
    paths = ["/", "/jobs/", "/jobs/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/orgs/", "/orgs/xss/"]
    paths += [f"/orgs/xss/jobs/{job.greenhouse_id}/" for job in xss_jobs]

    assert_nothing_runs_on(watched_page, live_server.url, paths)


def test_no_admin_page_runs_the_corpus(live_server, watched_page, xss_jobs):
    user = User.objects.create_user("xavier", "x@xss.example", PASSWORD)
    Membership.objects.create(
        organization=xss_jobs[0].organization, user=user, role=Membership.Role.ADMIN
    )
    page = watched_page
    sign_in(page, live_server.url, "/accounts/login/", "xavier", button="Sign in", lands="/manage/")

    paths = ["/manage/", "/manage/xss/jobs/", "/manage/xss/settings/", "/manage/xss/history/"]
    paths += [f"/manage/xss/jobs/{job.pk}/edit/" for job in xss_jobs]

    assert_nothing_runs_on(page, live_server.url, paths)


def test_the_django_admin_works_under_the_policy(live_server, watched_page, xss_jobs):
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    page = watched_page
    sign_in(page, live_server.url, "/admin/login/", "root", button="Log in", lands="/admin/")

    paths = ["/admin/", "/admin/jobs/job/", f"/admin/jobs/job/{xss_jobs[0].pk}/change/"]

    assert_nothing_runs_on(page, live_server.url, paths)


def test_the_watch_catches_a_vector_that_slips_through(live_server, watched_page, fake_greenhouse):
    """Keeps the tests above honest: with the sanitizer switched off, the policy blocks the
    corpus's scripts and handlers, and the page records the attempts."""
    fake_greenhouse.load_fixture("xss-corpus", "xss-corpus")
    connection = make_connection("xss", "xss-corpus")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("jobs.sync.sanitize_content", lambda content, **_: html.unescape(content))
        assert sync_organization(connection, trigger=SyncRun.Trigger.COMMAND).ok
    job = Job.objects.filter(organization__slug="xss").order_by("greenhouse_id").first()

    watched_page.goto(f"{live_server.url}/orgs/xss/jobs/{job.greenhouse_id}/")
    watched_page.evaluate(POKE_EVERYTHING)

    assert watched_page.dialogs == []  # the policy held
    assert any("script-src" in v for v in watched_page.evaluate("window.__violations"))
