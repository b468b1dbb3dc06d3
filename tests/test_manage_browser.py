"""An org admin in a real browser: sign in, connect Greenhouse, manage jobs, Refresh now.

Chromium (Debian's) drives the live test server; a real Celery worker runs the syncs outside
the web requests, on the filesystem transport so no broker server is needed.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from jobs.connections import connection_disconnect
from jobs.models import (
    Department,
    GreenhouseConnection,
    Invitation,
    Job,
    Membership,
    Organization,
    SyncRun,
)
from jobs.sync import sync_organization
from tests.support.browser import (
    contrast,
    fits_the_screen,
    save_screenshot,
    sign_in_by_cookie,
    wait_until_true,
)
from tests.support.helpers import make_connection
from tests.support.public_jobs import make_job, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.integration]
pytest_plugins = ["tests.support.celery_processes"]  # celery_processes

PASSWORD = "correct horse battery"
SYNC_TIMEOUT_MS = 30_000
STATUS_POLL_MS = 1500  # POLL_MS in static/js/sync-status.js
REQUEST_TIMEOUT_MS = 30_000  # REQUEST_TIMEOUT_MS in static/js/sync-status.js


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Admins land on their organizations.
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()


def expect_the_status_to_read(page, status, text: str | re.Pattern[str]) -> None:
    """Wait for the page's live status to read `text`, moving the page's clock on to each next
    status request rather than waiting 1.5 s of real time for it (a sync takes a fraction of
    that). The page needs `page.clock.install()` before it loads; its own script still asks."""
    deadline = time.monotonic() + SYNC_TIMEOUT_MS / 1000
    while True:
        page.clock.run_for(STATUS_POLL_MS)
        try:
            expect(status).to_have_text(text, timeout=250)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def look_again_now(page) -> None:
    """Moves the page's clock (installed by the test before the page loaded) on by POLL_MS,
    firing once the timer sync-status.js set to look at the status again: the page follows the
    sync as it would 1.5 s later, without the wait. No further: a look on its way (the page's
    clock runs at real speed, and it looks each 1.5 s while a sync runs) would be given up
    (REQUEST_TIMEOUT_MS) as lost contact, after which the page looks no more."""
    page.clock.fast_forward(STATUS_POLL_MS)


def show_the_tab_again(page) -> None:
    """What the browser does when the tab is shown again (headless, it never stops being
    shown), and the page's look at the status that follows, made now (look_again_now)."""
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    look_again_now(page)


def ask_the_site_for_the_status(page, asked_by: str) -> None:
    """The two ways the box asks: Refresh now pressed ("refresh now", from the keyboard, where
    the focus it had matters), or the tab shown again ("tab shown again")."""
    page.locator(".sync-status").get_by_role("button", name="Refresh now").focus()
    if asked_by == "refresh now":
        page.keyboard.press("Enter")
    else:
        show_the_tab_again(page)


def expect_the_box_to_end_saying(page, said: str):
    """A box the site refused for good (its org deleted, its admin demoted, signed out): it
    says the site's words, `said`, where the focus Refresh now had goes, and the button goes
    (pressed again, it could only say the same). The words' locator, for their link."""
    feedback = page.locator("[data-refresh-feedback]")
    expect(feedback).to_have_text(said)
    expect(page.locator(".sync-status").get_by_role("button", name="Refresh now")).to_be_hidden()
    expect(page.locator(".sync-status").get_by_role("status")).to_be_focused()
    return feedback


def held_until_answered(page, pattern: str) -> list:
    """The requests to `pattern`, held (see wait_for_held) until the test answers them."""
    held = []
    page.route(pattern, lambda route: held.append(route))
    return held


def wait_for_held(page, held: list, count: int) -> None:
    """Waits for the page to have sent `count` of the requests `held` holds: Playwright hands
    a request to its route when it arrives, on a busy machine well after the page sent it."""
    for _ in range(300):
        if len(held) >= count:
            return
        page.wait_for_timeout(50)  # lets Playwright deliver it
    raise AssertionError(f"{len(held)} requests held, not {count}")


@pytest.fixture
def worker(celery_processes, fake_greenhouse):
    celery_processes.use_broker("filesystem")
    celery_processes.env["GREENHOUSE_API_BASE"] = fake_greenhouse.base_url
    started = celery_processes.start(
        "worker", "--concurrency=1", "--loglevel=INFO", "--hostname=browser@%h"
    )
    celery_processes.wait_until_ready(started)
    with celery_processes.publishing_here():
        yield celery_processes


def test_an_admin_connects_greenhouse_and_manages_jobs(
    live_server, page, worker, fake_greenhouse, settings
):
    north = Organization.objects.create(name="North Wind", slug="north")
    nora = User.objects.create_user("nora", "nora@north.example", PASSWORD)
    Membership.objects.create(organization=north, user=nora, role=Membership.Role.ADMIN)
    phase = page.locator(".sync-status [data-field=message]")
    tabs = page.get_by_role("navigation", name="North Wind admin")
    page.clock.install()
    # Its timers fire only as the test moves it on (expect_the_status_to_read): on its own, a
    # look 1.5 s after Refresh now's answer could see the worker's sync end, and clear "Sync
    # queued", before the test read it. Paused a minute on: a moment already past on the
    # page's clock, which runs meanwhile, is refused ("Cannot fast-forward to the past").
    page.clock.pause_at(timezone.now() + timedelta(minutes=1))

    sign_in(page, live_server, "nora")

    # Connect a board; Greenhouse's name for it is shown, and the first sync runs in the worker.
    page.get_by_role("main").get_by_role("link", name="Settings").click()
    page.get_by_label("Board token").fill("acme-robotics")
    page.get_by_role("button", name="Check and connect").click()
    expect(page.locator(".board-name")).to_have_text("Acme Robotics")
    expect_the_status_to_read(
        page, phase, f"Finished: {len(fake_greenhouse.jobs('acme-robotics'))} new"
    )

    # The jobs are there; edit a site-owned field of one.
    tabs.get_by_role("link", name="Jobs").click()
    rows = page.locator(".jobs-table tbody tr")
    expect(rows).to_have_count(Job.objects.count())
    job = Job.objects.order_by("title").first()
    page.get_by_role("link", name=job.title).click()
    expect(page.get_by_text("Managed in Greenhouse")).to_be_visible()
    page.get_by_label("Featured").check()
    page.get_by_label("Tags").fill("robots, Remote friendly")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Saved “{job.title}”.")).to_be_visible()
    expect(rows.first).to_contain_text("robots, Remote friendly")

    # Greenhouse changes a post; Refresh now shows the sync's progress without a reload.
    fake_greenhouse.jobs("acme-robotics")[0]["title"] = "Robot Whisperer (renamed)"
    fake_greenhouse.touch("acme-robotics")
    settings.SYNC_REFRESH_COOLDOWN_SECONDS = 0
    page.get_by_role("button", name="Refresh now").click()
    expect(page.locator("[data-refresh-feedback]")).to_contain_text("Sync queued")
    expect_the_status_to_read(page, phase, "Finished: 1 updated")
    page.get_by_role("link", name="reload the list").click()
    expect(page.get_by_role("link", name="Robot Whisperer (renamed)")).to_be_visible()
    save_screenshot(page, "manage-jobs")
    # A sync that changed nothing offers no reload.
    page.get_by_role("button", name="Refresh now").click()
    expect_the_status_to_read(page, phase, "Finished: no changes")
    expect(page.get_by_role("link", name="reload the list")).to_be_hidden()

    tabs.get_by_role("link", name="Settings").click()
    expect(page.locator(".sync-status .badge")).to_have_text("OK")
    expect(page.get_by_text(re.compile(r"Finished: no changes"))).to_be_visible()
    save_screenshot(page, "manage-settings")


def test_the_history_offers_a_reload_once_a_sync_ends(live_server, page, worker, owner, settings):
    """Its table is as the page loaded: a sync run from it, even one that changed no job, is
    a row the page does not show yet."""
    settings.SYNC_REFRESH_COOLDOWN_SECONDS = 0
    phase = page.locator(".sync-status [data-field=message]")
    reload_link = page.get_by_role("link", name="reload the history")
    page.clock.install()
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/manage/acme/history/")
    expect(page.get_by_text("No sync has run yet.").first).to_be_visible()

    page.get_by_role("button", name="Refresh now").click()
    expect_the_status_to_read(page, phase, re.compile(r"^Finished: \d+ new$"))
    reload_link.click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(reload_link).to_be_hidden()

    page.get_by_role("button", name="Refresh now").click()
    expect_the_status_to_read(page, phase, "Finished: no changes")
    reload_link.click()
    expect(page.locator("tbody tr")).to_have_count(2)


def test_without_javascript_refresh_now_says_to_reload_and_the_link_shows_how_it_went(
    live_server, chromium, page, acme, owner
):
    """The page does not look again by itself: "Queued…" stood until the admin thought of
    reloading it. The script's page is as before: the words are for pages without it."""
    no_script = chromium.new_context(java_script_enabled=False).new_page()
    sign_in_by_cookie(no_script, live_server.url, "alice")
    no_script.goto(f"{live_server.url}/manage/acme/settings/")
    phase = no_script.locator(".sync-status [data-field=message]")
    reload_link = no_script.locator(".sync-status").get_by_role("link", name="reload the page")
    expect(reload_link).to_be_hidden()  # nothing to wait for

    no_script.get_by_role("button", name="Refresh now").click()
    expect(no_script.get_by_text("Sync queued. Its progress shows below.")).to_be_visible()
    expect(phase).to_have_text("Queued…")
    # Playwright's text matching skips noscript elements: read by their place.
    expect(no_script.locator(".sync-status noscript p")).to_have_text(
        "Without JavaScript this page does not update by itself: reload the page to see how "
        "the sync goes."
    )
    expect(reload_link).to_be_visible()

    # A worker runs it (the tests' broker is memory://, where none takes it).
    connection = GreenhouseConnection.objects.get(pk=acme.pk)
    assert sync_organization(connection, trigger=SyncRun.Trigger.MANUAL).ok
    reload_link.click()
    expect(phase).to_have_text(re.compile(r"^Finished: \d+ new$"))
    expect(reload_link).to_be_hidden()
    no_script.context.close()

    # With the script, the page's noscript words are text, not shown, and no link.
    GreenhouseConnection.objects.update(queued_at=timezone.now())
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    expect(page.locator(".sync-status [data-field=message]")).to_have_text("Queued…")
    expect(page.locator(".sync-status noscript")).to_be_hidden()
    expect(page.locator(".sync-status").get_by_role("link", name="reload the page")).to_have_count(
        0
    )


def test_a_sync_queued_past_its_marks_life_is_said_not_to_have_started(
    live_server, page, acme, owner, settings
):
    """Followed from Refresh now, a sync no worker took read, once its mark was older than
    SYNC_QUEUED_STALE_SECONDS, as the sync before it had ended ("Finished: N new"): "Sync
    queued" went, and the history offered to reload for a sync that had not run. The page now
    says it has not started and looks no more every 1.5 s (once a minute: the test below)."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    assert sync_organization(acme, trigger=SyncRun.Trigger.MANUAL).ok
    SyncRun.objects.update(started_at=an_hour_ago, finished_at=an_hour_ago)
    GreenhouseConnection.objects.update(last_attempt_at=an_hour_ago)
    phase = page.locator(".sync-status [data-field=message]")
    feedback = page.locator("[data-refresh-feedback]")
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/history/")
    page.get_by_role("button", name="Refresh now").click()
    expect(feedback).to_have_text("Sync queued. Its progress shows below.")
    expect(phase).to_have_text("Queued…")

    # No worker takes it (the tests' broker is memory://), and its mark passes.
    stale = timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS + 1)
    GreenhouseConnection.objects.update(queued_at=timezone.now() - stale)
    expect_the_status_to_read(page, phase, re.compile(r"^Queued at .* and not started since: "))

    expect(feedback).to_have_text("Sync queued. Its progress shows below.")
    expect(page.get_by_role("link", name="reload the history")).to_be_hidden()
    looks = []
    page.on("request", lambda request: "status.json" in request.url and looks.append(1))
    page.clock.run_for(STATUS_POLL_MS * 3)
    page.wait_for_timeout(100)  # lets a look be sent, were one due
    assert looks == []


def open_a_page_saying_a_sync_has_not_started(page, live_server, acme, settings, path: str):
    """The org synced an hour ago, and a sync queued since past SYNC_QUEUED_STALE_SECONDS that
    no worker took: its page at `path` opened, its clock installed (paused) and its requests'
    ends counted (COUNT_REQUESTS_ENDED), says "Queued at … and not started since". The status's
    phase line."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    assert sync_organization(acme, trigger=SyncRun.Trigger.MANUAL).ok
    SyncRun.objects.update(started_at=an_hour_ago, finished_at=an_hour_ago)
    stale = timedelta(seconds=settings.SYNC_QUEUED_STALE_SECONDS + 1)
    GreenhouseConnection.objects.update(
        last_attempt_at=an_hour_ago, queued_at=timezone.now() - stale
    )
    phase = page.locator(".sync-status [data-field=message]")
    page.add_init_script(COUNT_REQUESTS_ENDED)
    page.clock.install()
    # Paused: its look a minute on comes only as the test moves the clock. Running at real
    # speed, it came early on a loaded machine, by the seconds the test took between the look
    # and its "none 55 s on" (past 5 s, the look was seen).
    page.clock.pause_at(timezone.now() + timedelta(minutes=1))
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}{path}")
    expect(phase).to_have_text(re.compile(r"^Queued at .* and not started since: "))
    return phase


def test_a_box_saying_a_sync_has_not_started_looks_once_a_minute_while_the_tab_is_shown(
    live_server, page, acme, owner, settings
):
    """Once it said "Queued at … and not started since", the page looked no more: the
    dispatcher queued the org again, or the sync started after all, and ran and ended, and the
    box went on saying it had not started until a reload. It looks once a minute, while the
    tab is shown: hidden, it leaves the look to the tab shown again."""
    phase = open_a_page_saying_a_sync_has_not_started(
        page, live_server, acme, settings, "/manage/acme/history/"
    )
    looks = []
    page.on("request", lambda request: "status.json" in request.url and looks.append(1))

    def looks_made() -> int:
        page.evaluate("0")  # a round trip: a request the page made by now is reported
        page.wait_for_timeout(100)
        return len(looks)

    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true})"
    )
    page.clock.run_for("05:00")
    assert looks_made() == 0
    page.evaluate("delete document.visibilityState")  # its own again: visible
    ended = page.evaluate("window.ended")
    show_the_tab_again(page)
    wait_for_a_request_ended(page, ended)  # its answer read: the next look is set from now
    expect(phase).to_have_text(re.compile(r"^Queued at .* and not started since: "))
    assert looks_made() == 1

    page.clock.run_for("00:30")
    assert looks_made() == 1
    assert sync_organization(acme, trigger=SyncRun.Trigger.SCHEDULE).ok  # queued again, run
    page.clock.run_for("00:28")
    # Then on in steps, each look's answer read as it comes: moved on at once past the look, the
    # clock would give up its request (REQUEST_TIMEOUT_MS) before the site answered it.
    expect_the_status_to_read(page, phase, re.compile(r"^Finished: "))
    expect(page.get_by_role("link", name="reload the history")).to_be_visible()
    assert looks_made() == 2


def test_a_box_loaded_saying_a_sync_has_not_started_looks_each_minute_and_says_it_once(
    live_server, page, acme, owner, settings
):
    """Loaded with its tab shown, the box looks a minute on (not sooner, nor later), and a
    minute after each look that read the same; its live region, whose words those looks do
    not change, is not written again: each minute, a screen reader would read them out
    again."""
    phase = open_a_page_saying_a_sync_has_not_started(
        page, live_server, acme, settings, "/manage/acme/settings/"
    )
    page.evaluate(
        """window.written = 0;
        new MutationObserver(records => { window.written += records.length; }).observe(
            document.querySelector(".sync-status [role=status]"),
            {subtree: true, childList: true, characterData: true},
        );"""
    )
    looks = []
    page.on("request", lambda request: "status.json" in request.url and looks.append(1))

    for made in range(2):  # from the page's load, then from the look before
        ended = page.evaluate("window.ended")
        page.clock.run_for("00:55")
        page.evaluate("0")  # a round trip: a request the page made by now is reported
        assert len(looks) == made
        page.clock.run_for("00:10")  # the minute's end, then POLL_MS to the look
        wait_for_a_request_ended(page, ended)  # its answer read: the next look is set from now
        assert len(looks) == made + 1

    expect(phase).to_have_text(re.compile(r"^Queued at .* and not started since: "))
    assert page.evaluate("window.written") == 0


def test_a_box_saying_a_sync_has_not_started_looks_on_each_minute_after_a_look_lost_contact(
    live_server, page, acme, owner, settings
):
    """One look of the minute's that failed as a network error does stopped the looks until
    the tab was shown again: a page left in view said "not started since" of a sync that ran
    and ended meanwhile. Lost contact may be for a moment: it looks again a minute on."""
    phase = open_a_page_saying_a_sync_has_not_started(
        page, live_server, acme, settings, "/manage/acme/history/"
    )
    feedback = page.locator("[data-refresh-feedback]")
    page.route("**/manage/acme/status.json", lambda route: route.abort(), times=1)
    ended = page.evaluate("window.ended")
    page.clock.run_for("01:05")  # the minute's end, then POLL_MS to the look
    wait_for_a_request_ended(page, ended)
    expect(feedback).to_have_text(LOST_CONTACT)

    assert sync_organization(acme, trigger=SyncRun.Trigger.SCHEDULE).ok  # queued again, run
    ended = page.evaluate("window.ended")
    page.clock.run_for("01:05")
    wait_for_a_request_ended(page, ended)

    expect(phase).to_have_text(re.compile(r"^Finished: "))
    expect(feedback).to_have_text("")


def on_the_screen(element) -> bool:
    """Within the viewport's width as the page loaded, nothing scrolled sideways."""
    box = element.bounding_box()
    return box["x"] >= 0 and box["x"] + box["width"] <= element.page.viewport_size["width"]


def accessibility_tree(page) -> list[tuple[str, str]]:
    """(role, name) of each node Chromium gives screen readers, as they get them: Playwright's
    own get_by_role reads the markup, not what the browser made of it."""
    nodes = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    return [
        (node["role"]["value"], node.get("name", {}).get("value", ""))
        for node in nodes
        if not node.get("ignored")
    ]


def test_the_admin_tables_rows_are_cards_on_a_phone_with_every_action_on_the_screen(
    live_server, page
):
    """WCAG 1.4.10: a row's buttons, or a job's last columns, were off to the right in a box
    that scrolled, a cut-off column its only sign. On a phone each row is a card, its cells one
    under another; a screen reader still reads tables, with their headers, not the cards'
    labels beside them. The Remove buttons' hidden labels ("Remove someone@…") must not widen
    the page either."""
    north = Organization.objects.create(name="North Wind", slug="north")
    nora = User.objects.create_user("nora", "nora@north.example", PASSWORD)
    Membership.objects.create(organization=north, user=nora, role=Membership.Role.ADMIN)
    for name in ("a-very-long-address-for-a-phone", "another.rather.long.address"):
        someone = User.objects.create_user(name, f"{name}@north-wind-logistics.example")
        Membership.objects.create(organization=north, user=someone)
        Invitation.objects.create(
            organization=north, user=someone, role="member", email=someone.email
        )
    make_job(north, "Robot Whisperer", location_name="Pittsburgh, PA", tags=["robots", "remote"])
    page.set_viewport_size({"width": 375, "height": 667})
    sign_in_by_cookie(page, live_server.url, "nora")

    page.goto(f"{live_server.url}/manage/north/members/")
    members, invitations = page.get_by_role("table").all()
    for table, actions in ((members, 3), (invitations, 2)):
        controls = table.locator("tbody tr").first.locator("select, button").all()
        assert len(controls) == actions
        assert all(on_the_screen(control) for control in controls)
    assert fits_the_screen(page)
    tree = accessibility_tree(page)
    assert ("columnheader", "Sent") in tree
    assert ("rowheader", "a-very-long-address-for-a-phone@north-wind-logistics.example") in tree
    assert ("cell", "Member") in tree  # not "Role: Member"

    page.goto(f"{live_server.url}/manage/north/jobs/")
    cells = page.get_by_role("table").locator("tbody tr").first.locator("th, td").all()
    assert len(cells) == 10
    assert all(on_the_screen(cell) for cell in cells)
    assert ("cell", "robots, remote") in accessibility_tree(page)


def test_a_members_name_sits_on_the_middle_line_of_the_controls_beside_it(live_server, page, owner):
    """Each cell's content sat at its top: a name beside a select and buttons, all taller than
    its line, sat higher than they did, as if it headed another row."""
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/members/")
    row = page.get_by_role("table").first.locator("tbody tr").first

    name_middle = row.locator("th").evaluate(
        """cell => {
            const words = document.createRange();
            words.selectNodeContents(cell.firstChild);
            const box = words.getBoundingClientRect();
            return box.top + box.height / 2;
        }"""
    )
    controls = row.locator("select, button").all()
    assert len(controls) == 3
    for control in controls:
        box = control.bounding_box()
        assert box["y"] + box["height"] / 2 == pytest.approx(name_middle, abs=2)


def test_the_jobs_table_fits_a_tablets_and_a_laptops_width_with_long_names(live_server, page):
    """WCAG 1.4.10: from 48rem up the jobs table's ten columns scrolled sideways in their box
    (1328px of them here) until the page was wider than any laptop's, its last columns cut
    off; now they fit at every width, and a screen reader still reads a table. Its box that
    scrolled is no longer a region the keyboard stops at, where Tab would do nothing."""
    north = Organization.objects.create(name="North Wind Logistics", slug="north")
    nora = User.objects.create_user("nora", "nora@north.example", PASSWORD)
    Membership.objects.create(organization=north, user=nora, role=Membership.Role.ADMIN)
    platform = make_unit(Department, north, "Platform Engineering & Developer Productivity")
    research = make_unit(Department, north, "Research and Development – Autonomous Navigation")
    make_job(
        north,
        "Senior Staff Software Engineer, Machine Learning Infrastructure (Distributed Training)",
        departments=(platform, research),
        location_name="San Francisco, CA; New York, NY; Remote (United States)",
        compensation_note="$185,000–$240,000 a year plus equity and a relocation package",
        tags=["machine learning", "python", "kubernetes", "distributed systems"],
        greenhouse_remote_policy="hybrid",
    )
    make_job(
        north,
        "Werkstudent*in Softwareentwicklung Fahrzeugkommunikationssysteme",
        departments=(research,),
        location_name="Garching bei München, Bayern, Deutschland",
        hidden=True,
    )
    sign_in_by_cookie(page, live_server.url, "nora")
    page.goto(f"{live_server.url}/manage/north/jobs/")
    wrap = page.locator(".table-wrap")

    for width in (320, 375, 800, 1024, 1120, 1280, 1400):
        page.set_viewport_size({"width": width, "height": 900})
        assert wrap.evaluate("box => box.scrollWidth <= box.clientWidth"), width
        assert fits_the_screen(page), width
    tree = accessibility_tree(page)
    assert ("columnheader", "Department") in tree
    assert ("cell", "Garching bei München, Bayern, Deutschland") in tree
    assert ("region", "Jobs") not in tree
    assert wrap.get_attribute("tabindex") is None


def test_long_names_without_spaces_wrap_on_the_admin_pages_instead_of_widening_them(
    live_server, page
):
    """WCAG 1.4.10: an org's name, a job's title or location, a word in its description may be
    one long word (a compound, an address); every admin page still fits a phone's width, and the
    job's page a desktop's too, its description scrolling inside its own box."""
    long_word = "Donaudampfschifffahrtsgesellschaftskapitän" * 2
    organization = make_connection("long", "acme-robotics", name=long_word).organization
    nora = User.objects.create_user("nora", "nora@long.example", PASSWORD)
    Membership.objects.create(organization=organization, user=nora, role=Membership.Role.ADMIN)
    wide_table = "<table><tr>" + "<td>a cell of a wide table</td>" * 12 + "</tr></table>"
    description = f"<p>https://{long_word}.example/</p><pre>{long_word}</pre>{wide_table}"
    job = make_job(organization, long_word, location_name=long_word, description_html=description)
    job_url = f"/manage/long/jobs/{job.pk}/edit/"
    sign_in_by_cookie(page, live_server.url, "nora")

    for path in (
        "/manage/",
        "/manage/long/settings/",
        "/manage/long/jobs/",
        job_url,
        "/manage/long/history/",
        "/manage/long/members/",
        "/manage/long/disconnect/",
        "/manage/long/delete/",
    ):
        page.goto(f"{live_server.url}{path}")
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 844})
            assert fits_the_screen(page), (width, path)


def test_a_long_slug_without_hyphens_wraps_on_the_list_of_your_organizations(live_server, page):
    """A slug may be 100 characters with no hyphen, one word; the list of one's organizations
    shows it in each card's "Public page" link, a flex item no narrower than its longest word:
    the page scrolled sideways on a phone."""
    slug = "donaudampfschifffahrtsgesellschaftskapitaen" * 2
    organization = make_connection(slug, "acme-robotics", name="Donau").organization
    nora = User.objects.create_user("nora", "nora@long.example", PASSWORD)
    Membership.objects.create(organization=organization, user=nora, role=Membership.Role.ADMIN)
    sign_in_by_cookie(page, live_server.url, "nora")

    page.goto(f"{live_server.url}/manage/")
    expect(page.get_by_role("link", name=f"Public page /orgs/{slug}/")).to_be_visible()
    for width in (320, 390):
        page.set_viewport_size({"width": width, "height": 844})
        assert fits_the_screen(page), width


def test_a_long_username_wraps_in_the_header_on_a_phone(live_server, page):
    """Django lets a username be 150 characters with no space, hyphen or other place to wrap
    (an address: dots and @ are none); the header shows it on every page once signed in."""
    username = "christopher.montgomery@internationalbusinessmachines.example"
    north = Organization.objects.create(name="North Wind", slug="north")
    christopher = User.objects.create_user(username, "chris@north.example", PASSWORD)
    Membership.objects.create(organization=north, user=christopher, role=Membership.Role.ADMIN)
    page.set_viewport_size({"width": 375, "height": 667})

    sign_in(page, live_server, username)

    expect(page.get_by_role("banner")).to_contain_text(username)
    assert fits_the_screen(page)


def test_the_org_tabs_wrap_into_full_rows_on_the_screen(live_server, page, owner):
    """On a phone the four tabs wrapped, Members alone on a second row or two on each, the
    current tab's box open at its foot above it, joined to nothing. There they are two rows of
    two now, and one row where they fit; every tab on the screen, the page never sideways.
    Each page is loaded once and looked at in each width: the layout follows the viewport."""
    sign_in_by_cookie(page, live_server.url, "alice")
    tabs = page.get_by_role("navigation", name="Acme Robotics admin")

    for path, name in (
        ("settings", "Settings"),
        ("jobs", "Jobs"),
        ("history", "Sync history"),
        ("members", "Members"),
    ):
        page.goto(f"{live_server.url}/manage/acme/{path}/")
        for width in (320, 390, 480, 1280):
            page.set_viewport_size({"width": width, "height": 844})
            links = tabs.get_by_role("link").all()
            per_row = Counter(link.bounding_box()["y"] for link in links).values()
            assert set(per_row) == ({4} if width >= 480 else {2}), (width, path)
            assert all(on_the_screen(link) for link in links), (width, path)
            assert fits_the_screen(page), (width, path)
            current = tabs.locator("[aria-current=page]")
            expect(current).to_have_text(name)
            # Open onto the page below only as one row on it.
            has_a_foot = current.evaluate(
                "tab => getComputedStyle(tab).borderBottomStyle != 'none'"
            )
            assert has_a_foot == (len(per_row) > 1), (width, path)


def test_the_org_pages_fit_a_narrow_phone_with_their_text_twice_as_large(live_server, page, owner):
    """WCAG 1.4.4: text at 200% (a phone's font size setting) on a 320 px screen, as the
    visitors' pages are tested. The tabs' two columns were each as wide as its longest word in
    its box, and the sync status's labels 8rem wide at least, 256 px: every org page scrolled
    sideways."""
    sign_in_by_cookie(page, live_server.url, "alice")
    page.set_viewport_size({"width": 320, "height": 640})

    for path in ("settings", "jobs", "history", "members"):
        page.goto(f"{live_server.url}/manage/acme/{path}/")
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        assert fits_the_screen(page), path


# What of the page is past the screen's edge outside any box that scrolls sideways or hidden
# past the edge of a box around it, and which wrapped links have lines drawn over each other.
CUT_OFF_OR_OVERLAPPING = """() => {
    // A table's own overflow (Django's on a tabular inline's) is no box that scrolls.
    const scrolls = (element) => {
        const style = getComputedStyle(element);
        return ["auto", "scroll"].includes(style.overflowX) && style.display !== "table";
    };
    const found = [];
    for (const element of document.body.querySelectorAll("*")) {
        const box = element.getBoundingClientRect();
        if (box.width && (box.left < -1 || box.right > innerWidth + 1)) {
            let outer = element.parentElement;
            while (outer && !scrolls(outer)) outer = outer.parentElement;
            if (!outer) found.push(`${element.tagName} ${element.className} cut off`);
        }
    }
    // Words and fields past the edge of the box around them that hides what overflows it (a
    // form's row), but for words hidden on purpose: shortened ("…"), visually hidden, or an
    // icon's, moved out of its button.
    const shown = [];
    const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let text = texts.nextNode(); text; text = texts.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(text);
        if (text.data.trim()) shown.push([text.parentElement, text.parentElement, range]);
    }
    for (const field of document.body.querySelectorAll("input, select, textarea, img")) {
        shown.push([field, field.parentElement, field]);
    }
    for (const [element, inside, what] of shown) {
        if (!element.checkVisibility({ visibilityProperty: true })) continue;
        if (element.closest(".visually-hidden")) continue;
        if (parseFloat(getComputedStyle(element).textIndent) < 0) continue;
        let outer = inside;
        const shows = (box) => getComputedStyle(box).overflowX === "visible";
        while (outer && shows(outer)) outer = outer.parentElement;
        const style = outer && getComputedStyle(outer);
        if (!style || style.overflowX === "auto" || style.overflowX === "scroll") continue;
        if (style.display === "table" || style.textOverflow === "ellipsis") continue;
        const edge = outer.getBoundingClientRect();
        for (const box of what.getClientRects()) {
            if (box.width && (box.left < edge.left - 1 || box.right > edge.right + 1)) {
                const words = element.textContent.trim().slice(0, 40);
                found.push(`${element.tagName} "${words}" hidden`);
                break;
            }
        }
    }
    // A link's lines of words, within its padding: a button's may reach the next line.
    for (const link of document.querySelectorAll("#content a")) {
        const style = getComputedStyle(link);
        const above = parseFloat(style.paddingTop) + parseFloat(style.borderTopWidth);
        const below = parseFloat(style.paddingBottom) + parseFloat(style.borderBottomWidth);
        const lines = [...link.getClientRects()];
        const overlaps = (line, n) => n && line.top + above < lines[n - 1].bottom - below - 1;
        if (lines.some(overlaps)) {
            found.push(`${link.textContent.trim()} drawn over itself`);
        }
    }
    return found;
}"""


def djangos_admin_pages_with_long_words() -> list[str]:
    """Django's admin pages, signed in as "root", showing an org, a job and a person whose
    name, slug, address or email is one long word: the index, the change lists (their filters,
    actions), the change forms (their text fields, a URL field's "Currently:" address, a
    read-only address, an inline, the user's password, dates and many-to-many choices)."""
    address = "https://careers.example/" + "averyverylongpathsegmentwithnobreaks" * 3
    organization = Organization.objects.create(
        name="North" + "x" * 80, slug="north-" + "y" * 44, website=address
    )
    job = make_job(organization, "Welder", absolute_url=address)
    email = "christopher.montgomery.longname@internationalbusinessmachines.example"
    person = User.objects.create_user(email, email)
    Membership.objects.create(organization=organization, user=person, role="admin")  # an inline
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    return [
        "/admin/",
        "/admin/jobs/organization/",
        f"/admin/jobs/organization/{organization.pk}/change/",
        "/admin/jobs/job/",
        f"/admin/jobs/job/{job.pk}/change/",
        "/admin/auth/user/",
        f"/admin/auth/user/{person.pk}/change/",
    ]


@pytest.mark.parametrize(("language", "colours"), [("en-us", "light"), ("ar", "dark")])
def test_djangos_admin_hides_nothing_at_any_width_with_its_text_three_times_as_large(
    live_server, page, settings, language, colours
):
    """WCAG 1.4.4: text up to 300%, as Chrome on a phone scales it. On a phone an address, a
    slug or an email is one long word, and the site's name, a heading, a breadcrumb, a
    read-only value, a change list's cell or the Save buttons as wide as it pushed every change
    list and change form past the screen's edge. On a tablet's or a desktop's screen, where
    Django's admin puts a field beside its label and its links beside the heading, the sign-in
    box, a change list's Action choice, a text field or a many-to-many choice were wider than
    the screen, or their end hidden past their row's edge; on a tablet the History link's box,
    as wide as the page, left the form beside it 0 px wide. With text as it is a URL field's
    "Currently:" address or the chosen permissions were hidden past their row's edge. Right to
    left too (LANGUAGE_BIDI), and in the dark theme, which moves nothing but is Django's other
    look. One page per address, resized: a page loaded costs more than all its checks."""
    settings.LANGUAGE_CODE = language
    page.emulate_media(color_scheme=colours)
    paths = djangos_admin_pages_with_long_words()

    for path in ["/admin/login/", *paths]:
        if path == "/admin/":
            sign_in_by_cookie(page, live_server.url, "root")
        page.goto(f"{live_server.url}{path}")
        for size in ("100%", "300%"):
            page.evaluate("size => { document.documentElement.style.fontSize = size; }", size)
            # A phone's, a tablet's narrowest (Django's responsive.css lays out up to 1024 px
            # alike, with more room the wider) and a desktop's: 1024 px found nothing more.
            for width in (360, 768, 1280):
                page.set_viewport_size({"width": width, "height": 800})
                assert fits_the_screen(page), (path, size, width)
                # Nor cut off out of sight by a box that hides what overflows it (a form's
                # row, the Save buttons' row), nor drawn over itself (a wrapped address's lines).
                assert page.evaluate(CUT_OFF_OR_OVERLAPPING) == [], (path, size, width)


def test_a_change_lists_search_field_beside_the_filters_keeps_room_with_large_text(
    live_server, page, db
):
    """Up to 1024 px Django gives the search field what its row leaves: beside the filters on
    a tablet with text three times as large, 12 px, too narrow to show a word typed, and the
    Search button ran past the row's end into the filters. The button goes under the field."""
    make_job(Organization.objects.create(name="North Wind"), "Welder")
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    sign_in_by_cookie(page, live_server.url, "root")
    page.set_viewport_size({"width": 768, "height": 800})
    page.goto(f"{live_server.url}/admin/jobs/job/")
    page.evaluate("() => { document.documentElement.style.fontSize = '300%'; }")

    # Where the button goes under the field depends on the font's widths: every 32 px of a
    # tablet's, some of which leave room for the button beside a narrow field.
    field = page.get_by_role("textbox", name="Search")
    button = page.get_by_role("button", name="Search")
    for width in range(768, 1025, 32):
        page.set_viewport_size({"width": width, "height": 800})
        assert field.evaluate(
            "field => field.clientWidth >= 3 * parseFloat(getComputedStyle(field).fontSize) - 1"
        ), width
        assert button.evaluate(
            """button => {
                const row = button.closest("#toolbar").getBoundingClientRect();
                const box = button.getBoundingClientRect();
                return box.left >= row.left && box.right <= row.right;
            }"""
        ), width


def test_a_change_lists_action_label_is_one_word_on_a_tablet(live_server, page, db):
    """Told to break a word anywhere (#container), "Action:" beside its choice was a letter a
    line on a tablet, even with text as it is; so it stays whole, at 300% too."""
    Organization.objects.create(name="North Wind")
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    sign_in_by_cookie(page, live_server.url, "root")
    page.set_viewport_size({"width": 768, "height": 800})
    page.goto(f"{live_server.url}/admin/jobs/organization/")

    label = page.locator("#changelist .actions label")
    for size in ("100%", "300%"):
        page.evaluate("size => { document.documentElement.style.fontSize = size; }", size)
        assert label.evaluate(
            """label => {
                const words = document.createRange();
                words.selectNodeContents(label.firstChild);
                return [...words.getClientRects()].filter((line) => line.width).length === 1;
            }"""
        ), size


def test_djangos_change_lists_keep_their_words_whole_and_scroll_in_their_box(live_server, page, db):
    """A change list's results scroll sideways in their own box (Django's changelists.css):
    told to break a word anywhere, its cells were made narrower than their words even at a
    tablet's width with text as it is ("Supervis" over "or"), where the box would scroll."""
    organization = Organization.objects.create(name="North Wind Industrial Equipment")
    make_job(organization, "Senior Welding Supervisor")
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    sign_in_by_cookie(page, live_server.url, "root")
    page.set_viewport_size({"width": 600, "height": 800})

    page.goto(f"{live_server.url}/admin/jobs/job/")

    # Every word of the results on one line: a word broken across two has two boxes.
    broken = page.locator("#result_list").evaluate(
        """table => {
            const broken = [];
            const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
            for (let text = walker.nextNode(); text; text = walker.nextNode()) {
                for (const word of text.data.matchAll(/\\S+/g)) {
                    const range = document.createRange();
                    range.setStart(text, word.index);
                    range.setEnd(text, word.index + word[0].length);
                    if (range.getClientRects().length > 1) broken.push(word[0]);
                }
            }
            return broken;
        }"""
    )
    assert broken == []
    assert fits_the_screen(page)


@pytest.mark.parametrize("language", ["en-us", "ar"])
def test_djangos_admin_shows_a_long_read_only_address_whole_on_a_wide_screen(
    live_server, page, settings, language
):
    """Beside its label (a screen wider than a phone's), a read-only value is as wide as its
    longest word: a job's address, one long word, ran past the end of its row, which hides
    what overflows it, and its end could not be read. The same right to left (LANGUAGE_BIDI)."""
    settings.LANGUAGE_CODE = language
    address = "https://careers.example/" + "averyverylongpathsegmentwithnobreaks" * 3
    job = make_job(Organization.objects.create(name="North Wind"), "Welder", absolute_url=address)
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    sign_in_by_cookie(page, live_server.url, "root")

    page.goto(f"{live_server.url}/admin/jobs/job/{job.pk}/change/")

    row = page.locator(".form-row.field-absolute_url")
    expect(row.get_by_role("link", name=address)).to_be_visible()
    assert row.get_by_role("link").evaluate(
        """link => {
            const row = link.closest(".form-row").getBoundingClientRect();
            return [...link.getClientRects()].every(
                (box) => box.left >= row.left && box.right <= row.right
            );
        }"""
    )


def test_the_current_org_tab_stands_out_in_a_high_contrast_theme(live_server, page, owner):
    """Windows' high contrast themes (forced colours) drop the current tab's background and
    draw every tab's border: the current one was told apart only by its bold words."""
    sign_in_by_cookie(page, live_server.url, "alice")
    page.emulate_media(forced_colors="active")
    page.goto(f"{live_server.url}/manage/acme/jobs/")
    tabs = page.get_by_role("navigation", name="Acme Robotics admin").get_by_role("link").all()

    def colours(tab) -> tuple[str, str]:
        style = "tab => [getComputedStyle(tab).backgroundColor, getComputedStyle(tab).color]"
        return tuple(tab.evaluate(style))

    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        page_background = page.evaluate(
            "getComputedStyle(document.documentElement).backgroundColor"
        )
        current = colours(page.locator("nav.org-tabs [aria-current=page]"))
        others = {colours(tab) for tab in tabs if tab.get_attribute("aria-current") is None}
        # A box of its own colours: not the page's, nor see-through onto it as the others are.
        assert current[0] != page_background and not current[0].endswith(", 0)"), width
        assert current[1] not in {colour for _, colour in others}, width


def test_a_long_last_error_sits_beside_its_label_on_a_wide_screen(live_server, page, owner):
    """Each status value is beside its label where there is room: a long one (the last error,
    as Greenhouse's refusal reads) wrapped below it, under the label's left edge, the only one
    of the list out of line."""
    GreenhouseConnection.objects.filter(organization__slug="acme").update(
        state=GreenhouseConnection.State.FAILING,
        failing_since=timezone.now(),
        last_attempt_at=timezone.now(),
        last_error="Could not reach Greenhouse (connection failed); the sync will try again later",
    )
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    row = page.locator(".status-list > div").filter(has_text="Last error")

    label, value = row.locator("dt").bounding_box(), row.locator("dd").bounding_box()
    assert value["x"] >= label["x"] + label["width"]
    assert value["y"] == label["y"]


def test_a_long_status_sentence_takes_the_whole_width_of_the_list(live_server, page, owner):
    """The list's values sit in two columns; a long skipped-posts sentence in one made its row
    ten lines tall and left a blank of that height beside it."""
    GreenhouseConnection.objects.filter(organization__slug="acme").update(
        applied_board_skipped=3,
        applied_board_skip_reasons=[f"job post {n} has no title" for n in (101, 102, 103)],
        applied_board_skipped_for_id=0,
    )
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    status_list = page.locator(".status-list").bounding_box()

    for label in ("Last error", "Skipped posts", "Failure email"):
        row = page.locator(".status-list > div").filter(has_text=label).bounding_box()
        assert (row["x"], row["width"]) == (status_list["x"], status_list["width"])
    # The short values keep their two columns.
    state = page.locator(".status-list > div").filter(has_text="State").bounding_box()
    success = page.locator(".status-list > div").filter(has_text="Last success").bounding_box()
    assert success["y"] == state["y"] and success["x"] > state["x"] + state["width"]


def test_a_status_value_under_its_label_on_a_phone_sits_closer_to_it_than_to_the_next(
    live_server, page, owner
):
    """On a phone each value wraps under its label: 8px under it and 4px above the next label,
    it read as that label's."""
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    rows = page.locator(".status-list > div")

    label, value = (
        rows.nth(0).locator("dt").bounding_box(),
        rows.nth(0).locator("dd").bounding_box(),
    )
    next_label = rows.nth(1).locator("dt").bounding_box()
    assert value["y"] > label["y"]  # under it
    below_label = value["y"] - (label["y"] + label["height"])
    above_next = next_label["y"] - (value["y"] + value["height"])
    assert below_label < above_next


def test_a_card_that_opens_with_a_paragraph_has_no_blank_above_it(live_server, page, owner):
    """Only a heading lost its top margin in a card: a paragraph first sat twice as far from
    the card's top edge as the buttons from its bottom."""
    sign_in_by_cookie(page, live_server.url, "alice")
    card = page.locator("main .card").first

    for path in ("disconnect", "delete"):
        page.goto(f"{live_server.url}/manage/acme/{path}/")
        padding = float(card.evaluate("element => getComputedStyle(element).paddingTop")[:-2])
        first = card.locator("> :first-child").bounding_box()
        assert first["y"] - card.bounding_box()["y"] == pytest.approx(1 + padding), path


def test_a_card_that_ends_with_a_paragraph_has_no_blank_below_it(live_server, page, owner):
    """An org not connected yet: the sync card's one paragraph had its margin and the card's
    padding under it, twice the space above its heading."""
    GreenhouseConnection.objects.filter(organization__slug="acme").delete()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    card = page.locator(".sync-status")
    padding = float(card.evaluate("element => getComputedStyle(element).paddingBottom")[:-2])

    box, last = card.bounding_box(), card.locator("> :last-child").bounding_box()
    assert box["y"] + box["height"] - (last["y"] + last["height"]) == pytest.approx(1 + padding)


def test_a_choice_on_an_admin_form_has_the_same_white_box_as_the_text_fields(
    live_server, page, owner
):
    """A select kept the browser's grey (buttonface) beside white text fields, as a disabled
    field looks; the visitors' filters had their own rule making theirs white."""
    job = make_job(owner.memberships.get().organization, "Analyst")
    sign_in_by_cookie(page, live_server.url, "alice")

    page.goto(f"{live_server.url}/manage/acme/jobs/{job.pk}/edit/")
    choice, text = page.get_by_label("Remote policy"), page.get_by_label("Compensation note")
    background = "element => getComputedStyle(element).backgroundColor"

    assert choice.evaluate(background) == text.evaluate(background) == "rgb(255, 255, 255)"


def test_the_api_keys_replace_and_remove_buttons_stand_apart(live_server, page, owner):
    """Two forms, one under the other: the second button touched the first, as one block."""
    connection = GreenhouseConnection.objects.get(organization__slug="acme")
    connection.set_api_key("key-abcdefgh-12345")
    connection.save()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")

    replace = page.get_by_role("button", name="Replace key").bounding_box()
    remove = page.get_by_role("button", name="Remove the stored key").bounding_box()
    assert remove["y"] - (replace["y"] + replace["height"]) >= 8


def test_removing_the_api_key_is_asked_first_and_answered_from_the_keyboard(
    live_server, page, owner
):
    """One click removed it, with no way back: the page it now leads to asks, names the key,
    and its button, reached with Tab after the tabs, says what was done where the focus goes."""
    connection = GreenhouseConnection.objects.get(organization__slug="acme")
    connection.set_api_key("key-abcdefgh-12345")
    connection.save()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")

    page.get_by_role("button", name="Remove the stored key…").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Remove the stored API key?")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("ending in …12345")
    page.get_by_role("link", name="Members").focus()  # the last tab
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Remove the key")).to_be_focused()
    assert GreenhouseConnection.objects.get(pk=connection.pk).has_api_key

    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_be_focused()
    expect(page.locator(".messages")).to_have_text("API key removed.")
    assert not GreenhouseConnection.objects.get(pk=connection.pk).has_api_key


def test_the_error_summarys_link_shows_its_field_with_the_label_and_error_above_it(
    live_server, page, owner
):
    """WCAG 3.3.1: the link took the browser to its field, scrolled to the top of the screen,
    and on a phone the field's label, help and error (288 px of them, above it) were off the
    screen: the field was seen alone, with nothing said of what to type in it or what was
    wrong."""
    sign_in_by_cookie(page, live_server.url, "alice")
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{live_server.url}/manage/acme/settings/")
    page.get_by_label("Board token").fill("not a token!")
    page.get_by_role("button", name="Check and connect").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()

    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    field = page.get_by_label("Board token")
    expect(field).to_be_focused()
    label = page.locator("label[for=id_board_token]").bounding_box()
    error = page.locator("#id_board_token_error").bounding_box()
    box = field.bounding_box()
    assert (
        round(label["y"]) >= 0
        and label["y"] < error["y"] < box["y"]
        and box["y"] + box["height"] <= 700
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_a_link_to_a_field_on_its_page_adds_no_step_to_the_history(
    live_server, chromium, request, owner, javascript
):
    """As GOV.UK's error summary does, a link to a field of its own page (the error summary's,
    "Resume it in the schedule below") focuses the field and changes neither the page's address
    nor its history, where following it as an anchor added "#id_…" and a step for Back to
    undo. Without the script the anchor still leads to the field."""
    context = chromium.new_context(java_script_enabled=javascript)
    request.addfinalizer(context.close)
    page = context.new_page()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    page.get_by_label("Board token").fill("not a token!")
    page.get_by_role("button", name="Check and connect").click()
    link = page.locator(".error-summary").get_by_role("link", name=re.compile("^Board token"))
    expect(link).to_be_visible()
    address, steps = page.url, page.evaluate("history.length")

    link.click()

    if javascript:
        expect(page.get_by_label("Board token")).to_be_focused()
        assert (page.url, page.evaluate("history.length")) == (address, steps)
    else:
        expect(page).to_have_url(f"{address}#id_board_token")
        assert page.evaluate("history.length") == steps + 1


def test_the_status_links_to_a_field_show_it_with_its_label(live_server, page, owner):
    """The links of a paused org's status, "Resume it in the schedule below" (the settings page)
    and "Resume it in the settings" (its other pages), took the browser to the Pause box,
    scrolled to the top of the screen: its label, above it, was off the screen, a box alone with
    nothing to say what it does; so was the Board token's, by "Connect a board"."""
    GreenhouseConnection.objects.filter(organization__slug="acme").update(enabled=False)
    Organization.objects.create(name="North Wind", slug="north")
    Membership.objects.create(
        organization=Organization.objects.get(slug="north"), user=owner, role="admin"
    )
    sign_in_by_cookie(page, live_server.url, "alice")
    page.set_viewport_size({"width": 375, "height": 700})

    for path, link, label in (
        ("acme/settings", "Resume it in the schedule below", "Pause syncing"),
        ("acme/jobs", "Resume it in the settings", "Pause syncing"),
        ("north/history", "Connect a board", "Board token"),
    ):
        page.goto(f"{live_server.url}/manage/{path}/")
        page.get_by_role("link", name=link).click()
        field = page.get_by_label(label)
        expect(field).to_be_focused()
        page.wait_for_load_state("load")
        seen = page.locator("label", has_text=label).bounding_box()
        box = field.bounding_box()
        assert round(seen["y"]) >= 0 and seen["y"] < box["y"] and box["y"] + box["height"] <= 700, (
            path
        )


@pytest.mark.parametrize("come_back", ["back", "reload"])
def test_a_page_come_back_to_at_a_fields_address_leaves_the_focus_alone(
    live_server, page, owner, come_back
):
    """Gone back to (or reloaded) at "#id_paused", the settings page focused the Pause box again
    once loaded, as if its link had been followed, where the browser had put the page back at
    its top: the focus on a box out of sight, which the next Space ticked unseen."""
    GreenhouseConnection.objects.filter(organization__slug="acme").update(enabled=False)
    sign_in_by_cookie(page, live_server.url, "alice")
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{live_server.url}/manage/acme/jobs/")
    page.get_by_role("link", name="Resume it in the settings").click()
    expect(page.get_by_label("Pause syncing")).to_be_focused()
    page.wait_for_load_state("load")

    if come_back == "back":
        page.get_by_role("link", name="Members").first.click()
        expect(page).to_have_url(re.compile(r"/members/$"))
        page.go_back()
    else:
        page.reload()
    page.wait_for_load_state("load")

    expect(page).to_have_url(re.compile(r"/settings/#id_paused$"))
    expect(page.get_by_label("Pause syncing")).not_to_be_focused()
    assert page.evaluate("document.activeElement === document.body")


# Browsers without Navigation Timing 2's entry (Safari before 15) have it as from a link.
NO_NAVIGATION_ENTRY = "performance.getEntriesByType = () => [];"


@pytest.mark.parametrize("opened", ["reloaded", "without-navigation-timing"])
def test_a_forms_errors_sent_again_or_in_an_older_browser_take_the_focus(
    live_server, page, owner, opened
):
    """Only a page gone back or forward to leaves the error summary unfocused: a reload sends
    the form again, answered anew, and a browser that does not say how the page was opened
    shows it as a new page, where the summary is read out as it gets the focus."""
    if opened == "without-navigation-timing":
        page.add_init_script(NO_NAVIGATION_ENTRY)
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    page.get_by_label("Board token").fill("not a token!")
    page.get_by_role("button", name="Check and connect").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()

    if opened == "reloaded":
        page.reload()
        assert page.evaluate("performance.getEntriesByType('navigation')[0].type") == "reload"

    expect(summary).to_be_visible()
    wait_until_true(page, "() => document.readyState === 'complete'")
    expect(summary).to_be_focused()


@pytest.mark.parametrize("kept_on_back", [False, True], ids=["loaded-again", "kept-whole"])
def test_the_messages_gone_back_to_leave_the_focus_alone(live_server, request, owner, kept_on_back):
    """Gone back to, the page that said "You are signed out." focused its messages again if the
    browser loaded it again from its cache (the messages it showed kept in it): read out once
    more, and the page moved from where the browser had put it back. Kept whole (the
    back/forward cache, pageshow's persisted), the page runs no script again."""
    page = request.getfixturevalue("page_kept_on_back" if kept_on_back else "page")
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/")
    with page.expect_response(f"{live_server.url}/") as home:
        page.get_by_role("button", name="Sign out").click()
    messages = page.get_by_role("alert").filter(has_text="You are signed out.")
    expect(messages).to_be_focused()
    if not kept_on_back:
        # As a cache would answer: the page as first shown, where the server's has no message.
        said, headers = home.value.text(), home.value.headers
        page.route(f"{live_server.url}/", lambda route: route.fulfill(body=said, headers=headers))
    page.get_by_role("link", name="Jobs", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/jobs/$"))

    page.go_back(wait_until="commit")

    expect(messages).to_be_visible()
    wait_until_true(page, "() => document.readyState === 'complete'")
    expect(messages).not_to_be_focused()
    if not kept_on_back:
        assert page.evaluate("performance.getEntriesByType('navigation')[0].type") == (
            "back_forward"
        )


def test_a_state_badge_on_two_lines_keeps_the_corners_of_one_on_one_line(live_server, page, owner):
    """A long state ("Failing since …, 06:02 UTC (syncing paused)") wraps in a narrow column;
    rounded as a pill (999px), its two lines made an ellipse whose edge cut through the words."""
    GreenhouseConnection.objects.filter(organization__slug="acme").update(
        state=GreenhouseConnection.State.FAILING, failing_since=timezone.now(), enabled=False
    )
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    badge = page.locator("[data-state-badge]")
    # The radius drawn: CSS scales radii down to fit the box, so 999px draws half its height.
    drawn_radius = """badge => {
        const radius = parseFloat(getComputedStyle(badge).borderTopLeftRadius);
        const box = badge.getBoundingClientRect();
        return radius * Math.min(1, box.width / (2 * radius), box.height / (2 * radius));
    }"""
    one_line = (badge.bounding_box()["height"], badge.evaluate(drawn_radius))

    page.set_viewport_size({"width": 375, "height": 844})
    assert badge.bounding_box()["height"] > 1.5 * one_line[0]  # it wraps
    assert badge.evaluate(drawn_radius) == pytest.approx(one_line[1], abs=1)


def test_refresh_now_keeps_the_keyboard_focus_while_it_asks(live_server, page, owner):
    """A disabled button would drop the focus to the page; a busy one ignores more presses."""
    held = held_until_answered(page, "**/manage/acme/refresh/")
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/jobs/")
    button = page.get_by_role("button", name="Refresh now")

    tabs = page.get_by_role("navigation", name="Acme Robotics admin")
    tabs.get_by_role("link", name="Members").focus()
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-disabled", "true")
    page.keyboard.press("Enter")  # ignored while busy

    # The button turns busy before the request is sent, and Playwright hands the request to
    # the route when it arrives: on a busy machine, after the presses above have returned.
    wait_for_held(page, held, 1)
    held[0].continue_()
    expect(page.locator("[data-refresh-feedback]")).to_contain_text("Sync queued")
    expect(button).not_to_have_attribute("aria-disabled", "true")
    expect(button).to_be_focused()
    assert len(held) == 1


# A button's words and background as they reach the screen: see-through by its opacity, over
# the nearest background behind it.
SEEN_COLOURS = """button => {
    const rgba = colour => colour.match(/[\\d.]+/g).map(Number);
    let backdrop = [255, 255, 255];
    for (let element = button.parentElement; element; element = element.parentElement) {
        const colour = rgba(getComputedStyle(element).backgroundColor);
        if (colour.length < 4 || colour[3] > 0) { backdrop = colour; break; }
    }
    const style = getComputedStyle(button);
    const opacity = Number(style.opacity);
    const seen = colour => rgba(colour).slice(0, 3)
        .map((value, i) => Math.round(opacity * value + (1 - opacity) * backdrop[i]));
    return [style.color, style.backgroundColor].map(colour => `rgb(${seen(colour).join(", ")})`);
}"""


def test_refresh_nows_words_stay_readable_while_it_is_busy(live_server, page, owner):
    """Faded while busy, its words read at 3.9:1 on its background, under WCAG AA's 4.5:1;
    in a high contrast theme the fading dimmed the theme's own colours too."""
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/jobs/")
    button = page.get_by_role("button", name="Refresh now")

    button.evaluate("button => button.setAttribute('aria-disabled', 'true')")

    for forced_colors in ("none", "active"):
        page.emulate_media(forced_colors=forced_colors)
        words, background = button.evaluate(SEEN_COLOURS)
        assert contrast(words, background) >= 4.5, (forced_colors, words, background)


def test_refresh_nows_answer_goes_once_the_running_sync_it_spoke_of_ends(
    live_server, page, acme, owner
):
    """ "A sync is running right now" must not stay beside that sync's "Finished"."""
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        lock_expires_at=timezone.now() + timedelta(minutes=5), last_attempt_at=timezone.now()
    )
    feedback = page.locator("[data-refresh-feedback]")
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    page.get_by_role("button", name="Refresh now").click()
    expect(feedback).to_have_text(re.compile(r"^A sync is running right now"))

    # The sync ends as a worker's would: lease released, its run recorded.
    SyncRun.objects.create(
        organization=acme.organization,
        trigger=SyncRun.Trigger.SCHEDULE,
        outcome=SyncRun.Outcome.SUCCESS,
        finished_at=timezone.now(),
    )
    GreenhouseConnection.objects.filter(pk=acme.pk).update(lock_expires_at=None)
    look_again_now(page)
    expect(page.locator(".sync-status [data-field=message]")).to_have_text(
        "Finished: no changes", timeout=SYNC_TIMEOUT_MS
    )
    expect(feedback).to_have_text("")


def test_a_sync_that_fails_while_the_page_follows_it_gives_its_reason_once(
    live_server, page, acme, owner
):
    """The failed sync's line gives the reason; the list's Last error, which the script writes
    too, points to it rather than say it again."""
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        lock_expires_at=timezone.now() + timedelta(minutes=5), last_attempt_at=timezone.now()
    )
    reason = "The request for the job board “acme-robotics” was refused (HTTP 403 Forbidden)."
    last_error = page.locator(".sync-status [data-field=last_error_text]")
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    expect(last_error).to_have_text("none")

    # The sync ends as a worker's would: lease released, its failure recorded.
    SyncRun.objects.create(
        organization=acme.organization,
        trigger=SyncRun.Trigger.SCHEDULE,
        outcome=SyncRun.Outcome.FAILED,
        finished_at=timezone.now(),
        error_message=reason,
    )
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        lock_expires_at=None,
        state=GreenhouseConnection.State.FAILING,
        failing_since=timezone.now(),
        last_error=reason,
    )
    look_again_now(page)
    expect(page.locator(".sync-status [data-field=message]")).to_have_text(
        f"Failed: {reason}", timeout=SYNC_TIMEOUT_MS
    )
    expect(last_error).to_have_text("see the failed sync below")


RETRIED_FAILURE = "Greenhouse is having trouble (HTTP 500); the sync will try again later."


def failed_with_a_retry_in(acme, retry_in: timedelta) -> None:
    """The org's last sync failed and the task retries it in `retry_in`."""
    now = timezone.now()
    SyncRun.objects.create(
        organization=acme.organization,
        trigger=SyncRun.Trigger.SCHEDULE,
        outcome=SyncRun.Outcome.FAILED,
        finished_at=now,
        error_message=RETRIED_FAILURE,
    )
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        state=GreenhouseConnection.State.FAILING,
        failing_since=now,
        last_error=RETRIED_FAILURE,
        last_attempt_at=now - timedelta(minutes=5),
        retry_at=now + retry_in,
    )


def page_waiting_for_a_retry_in(page, live_server, acme, retry_in: timedelta, tab: str) -> None:
    """The org's last sync failed, the task retries it in `retry_in`, and its `tab` page, its
    clock installed, has looked at the status once as it does on loading and read the answer.
    Read, not only come (the response Playwright reports): the page's script may not have
    rendered it yet when the test changes what the next look, or Refresh now, finds."""
    failed_with_a_retry_in(acme, retry_in)
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/{tab}/")
    page.clock.run_for(STATUS_POLL_MS)
    expect(page.locator(".sync-status")).to_have_attribute("data-answer", "1")


def the_sync_works(
    acme, trigger: SyncRun.Trigger, *, created: int = 0, began: SyncRun | None = None
) -> None:
    """The org's sync ends and works, as a worker's would: its run recorded (`created` jobs
    new), or `began`, the run it recorded as running as it began, ended so; the lease and any
    retry mark gone."""
    now = timezone.now()
    ended = {"outcome": SyncRun.Outcome.SUCCESS, "finished_at": now, "created": created}
    if began:
        SyncRun.objects.filter(pk=began.pk).update(**ended)
    else:
        SyncRun.objects.create(organization=acme.organization, trigger=trigger, **ended)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        state=GreenhouseConnection.State.OK,
        failing_since=None,
        last_error="",
        last_success_at=now,
        lock_expires_at=None,
        retry_at=None,
    )


def test_a_page_that_saw_a_sync_fail_follows_the_retry_the_task_makes(
    live_server, page, acme, owner
):
    """It stopped looking once the sync failed: "Failed" and a retry's "Next sync" gone by stayed
    on the page while the retry ran and worked, until it was reloaded."""
    message = page.locator(".sync-status [data-field=message]")
    page_waiting_for_a_retry_in(page, live_server, acme, timedelta(seconds=20), "settings")
    expect(message).to_have_text(f"Failed: {RETRIED_FAILURE}")

    # The retry runs and works, as a worker's would.
    the_sync_works(acme, SyncRun.Trigger.RETRY)
    page.clock.run_for(20_000)
    expect_the_status_to_read(page, message, "Finished: no changes")
    expect(page.locator(".sync-status .badge")).to_have_text("OK")


def test_a_page_waiting_for_a_retry_leaves_its_look_to_the_tab_shown_again_while_hidden(
    live_server, page, acme, owner
):
    """The look at a retry's time was made while the tab was hidden, and every POLL_MS after
    it while the retry was late, where the box's other looks leave it to the tab shown again,
    which looks at once."""
    message = page.locator(".sync-status [data-field=message]")
    page_waiting_for_a_retry_in(page, live_server, acme, timedelta(seconds=20), "settings")
    looks = []
    page.on("request", lambda request: "status.json" in request.url and looks.append(1))
    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true})"
    )

    the_sync_works(acme, SyncRun.Trigger.RETRY)
    page.clock.run_for("01:00")  # past the retry's time, and POLL_MS after it
    page.evaluate("0")  # a round trip: a request the page made by now is reported
    page.wait_for_timeout(100)
    assert looks == []
    expect(message).to_have_text(f"Failed: {RETRIED_FAILURE}")

    page.evaluate("delete document.visibilityState")  # its own again: visible
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect_the_status_to_read(page, message, "Finished: no changes")
    assert len(looks) == 1


@pytest.mark.parametrize("told", ["as the page loaded", "by Refresh now"])
def test_a_page_waiting_for_a_retry_looks_on_each_minute_after_a_look_lost_contact(
    live_server, page, acme, owner, told
):
    """Its look at the retry's time that failed as a network error does stopped the looks
    until the tab was shown again: a page left in view said "Failed" of a sync whose retry ran
    and worked meanwhile. Lost contact may be for a moment: it looks again a minute on, as a
    box saying a sync has not started does, whether the page was served saying the retry was
    coming or Refresh now's answer said so since."""
    message = page.locator(".sync-status [data-field=message]")
    feedback = page.locator("[data-refresh-feedback]")
    page.add_init_script(COUNT_REQUESTS_ENDED)
    if told == "as the page loaded":
        page_waiting_for_a_retry_in(page, live_server, acme, timedelta(seconds=20), "settings")
    else:
        page.clock.install()
        sign_in_by_cookie(page, live_server.url, "alice")
        page.goto(f"{live_server.url}/manage/acme/settings/")
        expect(message).to_have_text("No sync has run yet.")
        failed_with_a_retry_in(acme, timedelta(seconds=20))  # Refresh now is cooled down
        GreenhouseConnection.objects.filter(pk=acme.pk).update(last_attempt_at=timezone.now())
        page.get_by_role("button", name="Refresh now").click()
        expect(feedback).to_have_text(re.compile(r"^Greenhouse was asked less than"))
    page.route("**/manage/acme/status.json", lambda route: route.abort(), times=1)
    ended = page.evaluate("window.ended")
    page.clock.run_for(20_000 + STATUS_POLL_MS)  # the retry's time, then POLL_MS to the look
    wait_for_a_request_ended(page, ended)
    expect(feedback).to_have_text(LOST_CONTACT)

    the_sync_works(acme, SyncRun.Trigger.RETRY)
    ended = page.evaluate("window.ended")
    page.clock.run_for("01:05")  # a minute, then POLL_MS to the look
    wait_for_a_request_ended(page, ended)

    expect(message).to_have_text("Finished: no changes")
    expect(feedback).to_have_text("")


def test_refresh_now_answered_that_nothing_runs_follows_a_retry_made_since_the_page_loaded(
    live_server, page, acme, owner
):
    """Pressed seconds after a sync the page never saw failed, it was told "try again in a
    moment" and stopped there: the retry the task made of that failure ran and worked, and the
    page went on saying it failed until it was reloaded."""
    message = page.locator(".sync-status [data-field=message]")
    answer = page.locator("[data-refresh-feedback]")
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    expect(message).to_have_text("No sync has run yet.")  # nothing to look at again for

    # A scheduled sync fails meanwhile, a moment ago: Refresh now is cooled down.
    failed_with_a_retry_in(acme, timedelta(seconds=20))
    GreenhouseConnection.objects.filter(pk=acme.pk).update(last_attempt_at=timezone.now())
    page.get_by_role("button", name="Refresh now").click()
    expect(answer).to_have_text(re.compile(r"^Greenhouse was asked less than"))
    expect(message).to_have_text(f"Failed: {RETRIED_FAILURE}")

    the_sync_works(acme, SyncRun.Trigger.RETRY)
    page.clock.run_for(20_000)
    expect_the_status_to_read(page, message, "Finished: no changes")
    # "Try again in a moment" is out of date once the retry ended, as an answer is once the
    # sync it named ended: it stayed beside "Finished".
    expect(answer).to_have_text("")


def test_a_retry_said_sooner_by_refresh_now_leaves_no_look_at_the_one_said_before(
    live_server, page, acme, owner
):
    """Each status read sets the one timer for a retry: kept with the one Refresh now's answer
    set, the look at a retry said 10 minutes away was taken after the sooner retry had run and
    worked, for nothing."""
    message = page.locator(".sync-status [data-field=message]")
    page_waiting_for_a_retry_in(page, live_server, acme, timedelta(minutes=10), "settings")

    # Another sync failed a moment ago, its retry 20 s away: Refresh now is cooled down.
    now = timezone.now()
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        last_attempt_at=now, retry_at=now + timedelta(seconds=20)
    )
    page.get_by_role("button", name="Refresh now").click()
    expect(page.locator("[data-refresh-feedback]")).to_have_text(re.compile(r"^Greenhouse was"))
    the_sync_works(acme, SyncRun.Trigger.RETRY)
    page.clock.run_for(20_000)
    expect_the_status_to_read(page, message, "Finished: no changes")

    looks = []
    page.on("request", lambda request: looks.append(request.url))
    page.clock.run_for("10:00")
    page.evaluate("0")  # a round trip: a request the page made by now is reported
    assert looks == []


def test_refresh_nows_answer_overtaken_by_a_look_leaves_no_look_at_the_retry_it_read(
    live_server, page, acme, owner
):
    """Refresh now's answer ("try again in a moment") read while a retry was 10 minutes away,
    coming after the page's look that saw that retry run and work, must not set the timer:
    the newest answer sets it, and that one said no retry was coming."""
    message = page.locator(".sync-status [data-field=message]")
    button = page.get_by_role("button", name="Refresh now")
    refreshes = held_until_answered(page, "**/manage/acme/refresh/")
    page_waiting_for_a_retry_in(page, live_server, acme, timedelta(minutes=10), "settings")
    # The sync failed a moment ago: Refresh now is cooled down.
    GreenhouseConnection.objects.filter(pk=acme.pk).update(last_attempt_at=timezone.now())
    button.click()
    wait_for_held(page, refreshes, 1)
    read_before_the_retry = refreshes[0].fetch()

    the_sync_works(acme, SyncRun.Trigger.RETRY)
    show_the_tab_again(page)
    expect(message).to_have_text("Finished: no changes")
    refreshes[0].fulfill(response=read_before_the_retry)
    expect(button).not_to_have_attribute("aria-disabled", "true")  # its answer was read

    looks = []
    page.on("request", lambda request: looks.append(request.url))
    page.clock.run_for("11:00")
    page.evaluate("0")  # a round trip: a request the page made by now is reported
    assert looks == []


@pytest.mark.parametrize(
    ("tab", "link"), [("jobs", "reload the list"), ("history", "reload the history")]
)
def test_a_retry_the_page_first_sees_ended_offers_a_reload_as_one_seen_running_does(
    live_server, page, acme, owner, tab, link
):
    """A retry quicker than the page's look at it went from "Failed" to "Finished: 1 new"
    between two looks, never seen running: the list, or the history, was left as it was with
    no word that it was out of date."""
    page_waiting_for_a_retry_in(page, live_server, acme, timedelta(seconds=20), tab)

    the_sync_works(acme, SyncRun.Trigger.RETRY, created=1)
    page.clock.run_for(20_000)

    expect_the_status_to_read(
        page, page.locator(".sync-status [data-field=message]"), "Finished: 1 new"
    )
    expect(page.get_by_role("link", name=link)).to_be_visible()


@pytest.mark.parametrize("asked_by", ["refresh now", "tab shown again"])
def test_a_page_waiting_for_a_retry_still_follows_a_sync_asked_for_meanwhile(
    live_server, page, acme, owner, asked_by
):
    """Its look at the retry, minutes away, held the page's only timer: a sync Refresh now
    found running, or one the tab shown again learned of, was not followed until then, the page
    saying "Running…" after it ended."""
    message = page.locator(".sync-status [data-field=message]")
    page_waiting_for_a_retry_in(page, live_server, acme, timedelta(minutes=10), "settings")

    # A sync runs meanwhile (the schedule's, or Refresh now in another tab).
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        lock_expires_at=timezone.now() + timedelta(minutes=5)
    )
    if asked_by == "refresh now":
        page.get_by_role("button", name="Refresh now").click()
        expect(page.locator("[data-refresh-feedback]")).to_have_text(
            re.compile(r"^A sync is running right now")
        )
    else:
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect_the_status_to_read(page, message, "Running…")
    the_sync_works(acme, SyncRun.Trigger.SCHEDULE)
    look_again_now(page)

    expect(message).to_have_text("Finished: no changes")


def a_look_held(page, live_server, acme) -> tuple[list, object]:
    """The settings page, its clock installed, of an org whose last sync failed, its retry 10
    minutes away: the page's first look at the status is held and read by the server. Returns
    the looks held (later ones too) and that first look's answer."""
    looks = held_until_answered(page, "**/manage/acme/status.json")
    failed_with_a_retry_in(acme, timedelta(minutes=10))
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    page.clock.run_for(STATUS_POLL_MS)
    wait_for_held(page, looks, 1)
    return looks, looks[0].fetch()


def a_look_held_read_before_a_sync_began(page, live_server, acme) -> tuple[list, object]:
    """a_look_held(), then a sync begins."""
    held = a_look_held(page, live_server, acme)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        lock_expires_at=timezone.now() + timedelta(minutes=5)
    )
    return held


def a_refresh_held(page, live_server) -> tuple[list, object]:
    """The settings page, its clock installed: Refresh now is pressed, its request held and
    read by the server. Returns the requests held and that one's answer."""
    refreshes = held_until_answered(page, "**/manage/acme/refresh/")
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    page.get_by_role("button", name="Refresh now").click()
    wait_for_held(page, refreshes, 1)
    return refreshes, refreshes[0].fetch()


def test_a_look_asked_for_while_one_is_on_its_way_is_made_again_after_it(
    live_server, page, acme, owner
):
    """The tab shown again while the page's look at the status was on its way: that answer, read
    before the sync began, stopped the page's looking, and it said "Failed" until the retry's
    time, minutes later (seen in CI, the tab shown again just as the page's first look came)."""
    held, read_before_the_sync = a_look_held_read_before_a_sync_began(page, live_server, acme)

    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    held[0].fulfill(response=read_before_the_sync)
    page.unroute("**/manage/acme/status.json")

    expect_the_status_to_read(page, page.locator(".sync-status [data-field=message]"), "Running…")


def test_refresh_nows_answer_that_no_sync_runs_stays_when_a_look_read_before_it_comes_after(
    live_server, page, acme, owner
):
    """Refresh now, pressed as the page's first look at the status was on its way and syncing
    was paused in another tab, said so and gave way to resuming; that look, read before the
    pause, came after it and was shown: Refresh now was offered again and the way to resume
    gone, until the retry's time, ten minutes on. Not only an answer that a sync runs is newer
    than the look on its way; and as the server may have read the two in either order, the page
    looks again."""
    status = page.locator(".sync-status")
    looks, read_before_the_pause = a_look_held(page, live_server, acme)
    looks_after = []
    page.on("request", lambda request: "status.json" in request.url and looks_after.append(1))
    GreenhouseConnection.objects.filter(pk=acme.pk).update(enabled=False)
    status.get_by_role("button", name="Refresh now").click()
    expect(page.locator("[data-refresh-feedback]")).to_contain_text("Syncing is paused.")
    looks[0].fulfill(response=read_before_the_pause)
    for _ in range(100):  # until the page looks again after that look, which it then read
        if looks_after:
            break
        page.clock.run_for(STATUS_POLL_MS)
        page.wait_for_timeout(50)  # lets the page read the answer

    assert looks_after
    expect(status.get_by_role("button", name="Refresh now")).to_be_hidden()
    expect(status.get_by_role("link", name="Resume it in the schedule below")).to_be_visible()
    expect(page.locator("[data-refresh-feedback]")).to_contain_text("Syncing is paused.")


LOST_CONTACT = "Lost contact with the site; reload the page to see the status."


def a_first_look_that_lost_contact(page, live_server, acme) -> None:
    """The settings page, its clock installed, of an org whose last sync failed, its retry 10
    minutes away: the page's first look at the status fails as a network error does."""
    page.route("**/manage/acme/status.json", lambda route: route.abort(), times=1)
    failed_with_a_retry_in(acme, timedelta(minutes=10))
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    page.clock.run_for(STATUS_POLL_MS)
    expect(page.locator("[data-refresh-feedback]")).to_have_text(LOST_CONTACT)


def test_a_look_that_lost_contact_leaves_the_tab_shown_again_to_look_once_more(
    live_server, page, acme, owner
):
    """A look on its way is waited for, not made twice: one that lost contact must not be
    waited for still, or the page would never look at the status again."""
    a_first_look_that_lost_contact(page, live_server, acme)

    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        lock_expires_at=timezone.now() + timedelta(minutes=5)
    )
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

    expect_the_status_to_read(page, page.locator(".sync-status [data-field=message]"), "Running…")


def test_lost_contact_goes_once_a_later_look_reads_the_status(live_server, page, acme, owner):
    """The tab shown again after a look that lost contact read the status, and "Lost contact
    with the site; reload the page" stayed beside it, as if what it showed were out of date."""
    a_first_look_that_lost_contact(page, live_server, acme)

    show_the_tab_again(page)

    expect(page.locator(".sync-status")).to_have_attribute("data-answer", "2")  # read
    expect(page.locator("[data-refresh-feedback]")).to_have_text("")


def test_a_page_whose_first_look_lost_contact_looks_again_a_minute_on_for_its_retry(
    live_server, page, acme, owner
):
    """The page, served saying a retry is coming, looks again a minute on, as one whose look at
    the retry's time lost contact does, not only when its tab is shown again."""
    a_first_look_that_lost_contact(page, live_server, acme)

    page.clock.run_for("01:05")  # a minute, then POLL_MS to the look

    expect(page.locator(".sync-status")).to_have_attribute("data-answer", "2")  # read
    expect(page.locator("[data-refresh-feedback]")).to_have_text("")


def test_a_page_served_waiting_for_a_retry_that_ran_since_looks_no_more_after_losing_contact(
    live_server, page, acme, owner
):
    """Served saying a retry was coming, it read since that none is: its retry ran and worked.
    A look that lost contact then (the tab shown again) leaves the next to the tab shown again,
    as a finished sync's page does, not to a look each minute for a retry no longer coming."""
    message = page.locator(".sync-status [data-field=message]")
    page.add_init_script(COUNT_REQUESTS_ENDED)
    failed_with_a_retry_in(acme, timedelta(minutes=10))
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    the_sync_works(acme, SyncRun.Trigger.RETRY)
    expect_the_status_to_read(page, message, "Finished: no changes")
    page.route("**/manage/acme/status.json", lambda route: route.abort(), times=1)
    ended = page.evaluate("window.ended")
    show_the_tab_again(page)
    wait_for_a_request_ended(page, ended)
    expect(page.locator("[data-refresh-feedback]")).to_have_text(LOST_CONTACT)
    looks = []
    page.on("request", lambda request: "status.json" in request.url and looks.append(1))

    page.clock.run_for("01:05")  # a minute, then POLL_MS to a look
    page.evaluate("0")  # a round trip: a request the page made by now is reported
    page.wait_for_timeout(100)

    assert looks == []


def test_a_look_never_answered_is_lost_contact_in_time_and_the_tab_shown_again_looks_again(
    live_server, page, acme, owner
):
    """A look at the status never answered (a laptop woken from sleep, a proxy holding the
    connection) was waited for for ever: the tab shown again, and Refresh now, waited for it in
    turn, and the page never looked at the status again. It is given up in time, as one that
    lost contact; its answer, should it come after all, is never read."""
    looks, read_before_the_sync = a_look_held_read_before_a_sync_began(page, live_server, acme)

    with page.expect_event("requestfailed") as given_up:
        page.clock.run_for(REQUEST_TIMEOUT_MS)  # the page's clock, not the test's, gives it up
    expect(page.locator("[data-refresh-feedback]")).to_have_text(LOST_CONTACT)
    assert given_up.value.url.endswith("/status.json")
    assert given_up.value.failure == "net::ERR_ABORTED"  # its answer cannot reach the page
    looks[0].fulfill(response=read_before_the_sync)
    page.unroute("**/manage/acme/status.json")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

    expect_the_status_to_read(page, page.locator(".sync-status [data-field=message]"), "Running…")
    expect(page.locator("[data-refresh-feedback]")).to_have_text("")


def test_refresh_now_never_answered_gives_up_in_time_and_can_be_pressed_again(
    live_server, page, acme, owner
):
    """Its request never answered, Refresh now stayed busy for ever, ignoring every press, and
    the page said nothing of it. Given up, it said "could not be sent", though the site may
    have had it and queued a sync: it says that may be, and the box looks at the status."""
    refreshes = held_until_answered(page, "**/manage/acme/refresh/")
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/jobs/")
    button = page.get_by_role("button", name="Refresh now")
    feedback = page.locator("[data-refresh-feedback]")
    button.click()
    wait_for_held(page, refreshes, 1)
    # The site had it, and its sync runs; its answer is lost on the way.
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        lock_expires_at=timezone.now() + timedelta(minutes=5)
    )

    page.clock.run_for(REQUEST_TIMEOUT_MS)

    expect(feedback).to_have_text(
        "No answer came in time: the sync may have been queued all the same, and the status "
        "below will show it."
    )
    expect(button).not_to_have_attribute("aria-disabled", "true")
    expect_the_status_to_read(page, page.locator(".sync-status [data-field=message]"), "Running…")
    page.unroute("**/manage/acme/refresh/")
    button.click()
    expect(feedback).to_contain_text("A sync is running right now")


def test_refresh_now_that_could_not_be_sent_says_so(live_server, page, owner):
    """Not that the sync may have been queued, as once given up unanswered: it never reached
    the site."""
    page.route("**/manage/acme/refresh/", lambda route: route.abort("connectionrefused"))
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/jobs/")

    page.get_by_role("button", name="Refresh now").click()

    expect(page.locator("[data-refresh-feedback]")).to_have_text(
        "The refresh could not be sent. Reload the page and try again."
    )


def test_a_looks_answer_overtaken_by_refresh_nows_does_not_put_the_older_status_back(
    live_server, page, acme, owner
):
    """A look at the status read before a sync began, its answer coming after Refresh now's
    ("running"): it put "Failed" back, and the page followed a sync it said was not running."""
    message = page.locator(".sync-status [data-field=message]")
    looks, read_before_the_sync = a_look_held_read_before_a_sync_began(page, live_server, acme)

    page.get_by_role("button", name="Refresh now").click()
    expect(message).to_have_text("Running…")
    looks[0].fulfill(response=read_before_the_sync)
    # The page looks again once it has read that answer (a sync runs): rendered or not by then.
    page.clock.run_for(STATUS_POLL_MS)
    wait_for_held(page, looks, 2)

    expect(message).to_have_text("Running…")
    expect(page.locator("[data-refresh-feedback]")).to_have_text(
        re.compile(r"^A sync is running right now")
    )


def test_a_look_that_failed_after_refresh_nows_answer_came_leaves_the_page_following_the_sync(
    live_server, page, acme, owner
):
    """A look at the status on its way as Refresh now was pressed, failing after Refresh now's
    answer ("running") came: the page said "Lost contact with the site" and stopped looking,
    beside a sync running, though the site had just answered."""
    message = page.locator(".sync-status [data-field=message]")
    looks, _ = a_look_held_read_before_a_sync_began(page, live_server, acme)

    page.get_by_role("button", name="Refresh now").click()
    expect(message).to_have_text("Running…")
    looks[0].abort()
    page.clock.run_for(STATUS_POLL_MS)
    wait_for_held(page, looks, 2)

    expect(message).to_have_text("Running…")
    expect(page.locator("[data-refresh-feedback]")).to_have_text(
        re.compile(r"^A sync is running right now")
    )


@pytest.mark.parametrize("run_recorded", [False, True], ids=["run-not-recorded", "run-recorded"])
def test_refresh_nows_answer_overtaken_by_a_looks_does_not_put_the_older_status_back(
    live_server, page, acme, owner, run_recorded
):
    """Refresh now's answer ("running") read before the sync ended, coming after the page's
    look that saw it end: "Running…" and "A sync is running right now" came back after
    "Finished". With the sync's run recorded as running as it began, as a worker's is, the
    answer named the run the look saw end, and its words stayed beside "Finished"."""
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        lock_expires_at=timezone.now() + timedelta(minutes=5), last_attempt_at=timezone.now()
    )
    began = None
    if run_recorded:
        began = SyncRun.objects.create(
            organization=acme.organization, trigger=SyncRun.Trigger.SCHEDULE
        )
    message = page.locator(".sync-status [data-field=message]")
    button = page.get_by_role("button", name="Refresh now")
    refreshes, read_while_it_ran = a_refresh_held(page, live_server)

    the_sync_works(acme, SyncRun.Trigger.SCHEDULE, began=began)
    expect_the_status_to_read(page, message, "Finished: no changes")
    held_until_answered(page, "**/manage/acme/status.json")  # no look puts it right after
    refreshes[0].fulfill(response=read_while_it_ran)
    expect(button).not_to_have_attribute("aria-disabled", "true")  # its answer was read

    expect(message).to_have_text("Finished: no changes")
    expect(page.locator("[data-refresh-feedback]")).to_have_text("")


def test_a_status_that_learns_the_org_was_disconnected_stops_showing_the_connection(
    live_server, page, acme, owner
):
    """Disconnected in another tab, or by another admin: the box must not go on naming the
    board, its state and Refresh now beside "Connect a Greenhouse board first". The focus the
    button had goes to those words, not to the top of the page."""
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    status = page.locator(".sync-status")
    expect(status).to_contain_text("Connected to the board")

    connection_disconnect(connection=acme)
    status.get_by_role("button", name="Refresh now").focus()
    page.keyboard.press("Enter")

    expect(page.locator("[data-refresh-feedback]")).to_have_text(
        "Connect a Greenhouse board first."
    )
    expect(status.locator("[data-field=message]")).to_have_text("Not connected to Greenhouse.")
    expect(status.get_by_text("Connected to the board")).to_be_hidden()
    expect(status.locator("[data-field=state_text]")).to_be_hidden()
    expect(status.get_by_role("button", name="Refresh now")).to_be_hidden()
    expect(status.get_by_role("status")).to_be_focused()


@pytest.mark.parametrize("asked_by", ["refresh now", "tab shown again"])
def test_a_status_box_of_an_org_deleted_elsewhere_says_it_no_longer_exists(
    live_server, page, acme, owner, asked_by
):
    """It said "could not be sent. Reload the page", or "Lost contact with the site", and the
    page reloaded was not found; Refresh now then stayed, to say the same again. The focus it
    had goes to those words, not to the top of the page; the next Tab reaches their link to
    the admin's orgs (the words alone left nowhere to go but the page reloaded, a 404), which
    keeps the focus as the box looks no more."""
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    Organization.objects.filter(slug="acme").delete()

    ask_the_site_for_the_status(page, asked_by)

    feedback = expect_the_box_to_end_saying(
        page,
        "This organization no longer exists: it was deleted, perhaps in another tab. Go to your "
        "organizations",
    )
    expect(page.locator(".sync-status .board-line")).to_be_hidden()  # with the button
    page.keyboard.press("Tab")
    link = feedback.get_by_role("link", name="Go to your organizations")
    expect(link).to_be_focused()
    show_the_tab_again(page)
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()


@pytest.mark.parametrize("asked_by", ["refresh now", "tab shown again"])
def test_a_status_box_of_an_admin_demoted_elsewhere_says_so_and_leads_to_their_orgs(
    live_server, page, acme, owner, asked_by
):
    """Demoted (or removed) by another admin, or in another tab: the status and Refresh now
    were a plain 404, so the box said "could not be sent. Reload the page", or "Lost contact
    with the site", and the page reloaded was not found."""
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    # By Carol, the org's other admin, whom she can ask.
    carol = User.objects.create_user("carol", "carol@acme.example", "correct horse battery")
    Membership.objects.create(organization=acme.organization, user=carol, role="admin")
    Membership.objects.filter(user=owner).update(role=Membership.Role.MEMBER)

    ask_the_site_for_the_status(page, asked_by)

    feedback = expect_the_box_to_end_saying(
        page,
        "You are a member of Acme Robotics, not one of its admins: only they manage it. Ask one "
        "of them to make you an admin. Go to your organizations",
    )
    feedback.get_by_role("link", name="Go to your organizations").click()
    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()


@pytest.mark.parametrize(
    "said_by", ["refresh now, a sync running", "refresh now, a retry due", "tab shown again"]
)
def test_a_status_box_that_said_the_admin_was_demoted_looks_no_more(
    live_server, page, acme, owner, said_by
):
    """Said once, it is for good: the page went on looking, while a sync ran, at a retry's time
    and each time the tab was shown again, and wrote the words again each time, read out again
    and the link in them made anew, the keyboard focus it had dropped to the top of the page."""
    page_waiting_for_a_retry_in(page, live_server, acme, timedelta(minutes=10), "settings")
    if said_by == "refresh now, a sync running":
        GreenhouseConnection.objects.filter(pk=acme.pk).update(
            lock_expires_at=timezone.now() + timedelta(minutes=5)
        )
        show_the_tab_again(page)
        expect(page.locator(".sync-status [data-field=message]")).to_have_text("Running…")
    Membership.objects.filter(user=owner).update(role=Membership.Role.MEMBER)
    if said_by == "tab shown again":
        show_the_tab_again(page)
    else:
        page.get_by_role("button", name="Refresh now").click()
    link = page.get_by_role("link", name="Go to your organizations")
    link.focus()

    looks = []
    page.on("request", lambda request: looks.append(request.url))
    show_the_tab_again(page)
    page.clock.run_for("11:00")
    page.evaluate("0")  # a round trip: a request the page made by now is reported
    assert looks == []
    expect(link).to_be_focused()


# Counts the requests the page has had an end to (window.ended): an answer read, or a failure.
# Once counted, the page's own handlers of it have run too: they follow in the same turn of its
# event loop.
COUNT_REQUESTS_ENDED = """
window.ended = 0;
const counted = promise => promise.finally(() => { window.ended += 1; });
const readJson = Response.prototype.json;
Response.prototype.json = function () { return counted(readJson.call(this)); };
const send = window.fetch;
window.fetch = (...request) => send(...request).catch(error => counted(Promise.reject(error)));
"""


def wait_for_a_request_ended(page, ended: int) -> None:
    """Waits for the page (COUNT_REQUESTS_ENDED added) to have had an end to more than `ended`
    requests. Asked from here: the page's clock, installed, holds the timers Playwright would
    wait on."""
    for _ in range(300):
        if page.evaluate("window.ended") > ended:
            return
        page.wait_for_timeout(50)  # lets Playwright deliver the answer
    raise AssertionError(f"{ended} requests ended, no more")


@pytest.mark.parametrize("refused", ["demoted", "signed out"])
@pytest.mark.parametrize("answered", ["read before", "failed"])
@pytest.mark.parametrize("on_its_way", ["a look", "refresh now"])
def test_a_request_on_its_way_as_the_site_refused_the_box_does_not_bring_it_back(
    live_server, page, acme, owner, settings, on_its_way, answered, refused
):
    """A look at the status, or Refresh now, on its way as the other learnt the admin was
    demoted: its answer, read before, was shown, with Refresh now, the board and "Sync queued";
    its failure said "Lost contact" or "could not be sent". Either way the words saying they
    may no longer manage the org were gone. So with the words saying they were signed out,
    which, unlike those, end only until the tab is shown again."""
    said = "not one of its admins" if refused == "demoted" else "You are signed out"
    feedback = page.locator("[data-refresh-feedback]")
    button = page.locator(".sync-status [data-refresh] button")  # hidden once demoted
    page.add_init_script(COUNT_REQUESTS_ENDED)
    if on_its_way == "a look":
        held, read_before = a_look_held(page, live_server, acme)
    else:
        held, read_before = a_refresh_held(page, live_server)
    if refused == "demoted":
        Membership.objects.filter(user=owner).update(role=Membership.Role.MEMBER)
    else:
        page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    if on_its_way == "a look":
        button.click()
    else:  # the look sent at once: Refresh now's request is not yet given up (30 s)
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.clock.run_for(STATUS_POLL_MS)
    expect(feedback).to_contain_text(said)
    ended = page.evaluate("window.ended")

    if answered == "read before":
        held[0].fulfill(response=read_before)
    else:
        held[0].abort()
    wait_for_a_request_ended(page, ended)

    # As the page left it then: a look at the status made later (the page's clock runs on)
    # would put the words back.
    assert said in feedback.text_content()
    assert not button.is_visible()
    assert not page.locator(".sync-status .board-line").is_visible()


@pytest.mark.parametrize("status", [404, 502])
def test_a_proxys_json_error_is_not_shown_as_the_sites_words(
    live_server, page, acme, owner, status
):
    """Any JSON error's "message" was shown, a proxy's too ("upstream connect error"), and a
    proxy's 404 in JSON hid Refresh now as if the org were gone."""
    proxys = {"message": "upstream connect error or disconnect/reset before headers"}
    page.route("**/manage/acme/refresh/", lambda route: route.fulfill(status=status, json=proxys))
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")

    page.locator(".sync-status").get_by_role("button", name="Refresh now").click()

    expect(page.locator("[data-refresh-feedback]")).to_have_text(
        "The refresh could not be sent. Reload the page and try again."
    )
    expect(page.locator(".sync-status").get_by_role("button", name="Refresh now")).to_be_visible()


@pytest.mark.parametrize("asked_by", ["refresh now", "tab shown again"])
def test_a_status_box_signed_out_elsewhere_says_so_and_leads_to_signing_in_again(
    live_server, page, acme, owner, settings, asked_by
):
    """Signed out in another tab (or the session timed out), the box said "Lost contact with
    the site" or "could not be sent", as if the site were down."""
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/history/")
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)

    ask_the_site_for_the_status(page, asked_by)

    feedback = expect_the_box_to_end_saying(
        page,
        "You are signed out (in another tab, or after a while away): sign in again to see the "
        "status and refresh it. Sign in again",
    )
    feedback.get_by_role("link", name="Sign in again").click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    assert page.url.endswith("/accounts/login/?next=/manage/acme/history/")


def a_box_signed_out(page, live_server, settings, path: str = "/manage/acme/history/") -> None:
    """Alice's page at `path`, on a clock the test moves, signed out (in another tab, say) and
    told so as the tab is shown again: its box says "You are signed out", with a link."""
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}{path}")
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    show_the_tab_again(page)
    expect(page.locator("[data-refresh-feedback]")).to_contain_text("You are signed out")


def test_a_status_box_signed_out_leads_back_to_its_page_with_its_query_string(
    live_server, page, acme, owner, settings
):
    """Signing in again led to the page's path alone (the jobs list's first page, say)."""
    a_box_signed_out(page, live_server, settings, "/manage/acme/jobs/?page=1")

    page.locator("[data-refresh-feedback]").get_by_role("link", name="Sign in again").click()

    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    assert page.url.endswith("/accounts/login/?next=/manage/acme/jobs/%3Fpage%3D1")


@pytest.mark.parametrize("said_by", ["tab shown again", "refresh now, a sync running"])
def test_a_status_box_signed_out_is_back_once_signed_in_again_and_the_tab_shown_again(
    live_server, page, acme, owner, settings, said_by
):
    """Signed out is not for good, as an org deleted is: signed in again in another tab, the
    page shown again still said "You are signed out", its board and Refresh now gone for good.
    Still signed out, the words stay as they were (not written again: the link keeps the
    focus); signed out once more, they are said again."""
    if said_by == "refresh now, a sync running":  # a look due as it is said
        GreenhouseConnection.objects.filter(pk=acme.pk).update(
            lock_expires_at=timezone.now() + timedelta(minutes=5)
        )
    page.add_init_script(COUNT_REQUESTS_ENDED)
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/history/")
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    ask_the_site_for_the_status(page, said_by.split(",")[0])
    feedback = page.locator("[data-refresh-feedback]")
    link = feedback.get_by_role("link", name="Sign in again")
    link.focus()
    ended = page.evaluate("window.ended")

    show_the_tab_again(page)
    # Answered: left on its way, the next minute moved on would give it up ("Lost contact").
    wait_for_a_request_ended(page, ended)
    expect(link).to_be_focused()

    sign_in_by_cookie(page, live_server.url, "alice")
    show_the_tab_again(page)
    expect(feedback).to_have_text("")
    expect(page.locator(".sync-status").get_by_role("button", name="Refresh now")).to_be_visible()
    if said_by == "refresh now, a sync running":
        expect(page.locator(".sync-status [data-field=message]")).to_have_text("Running…")

    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    show_the_tab_again(page)
    expect(link).to_be_visible()


@pytest.mark.parametrize("syncing", ["on", "paused meanwhile", "disconnected meanwhile"])
def test_the_sign_in_again_link_that_had_the_focus_gives_it_to_the_box_back(
    live_server, page, acme, owner, settings, syncing
):
    """The words going once signed in again elsewhere, their link took the focus with it, to
    the top of the page. It goes to Refresh now, or, paused meanwhile, to the way to resume
    that stands in its place; disconnected meanwhile, with neither, to the box's live region,
    which says so."""
    a_box_signed_out(page, live_server, settings)
    page.locator("[data-refresh-feedback]").get_by_role("link", name="Sign in again").focus()
    if syncing == "paused meanwhile":
        GreenhouseConnection.objects.filter(pk=acme.pk).update(enabled=False)
    elif syncing == "disconnected meanwhile":
        connection_disconnect(connection=acme)

    sign_in_by_cookie(page, live_server.url, "alice")
    show_the_tab_again(page)

    box = page.locator(".sync-status")
    expect(box.get_by_role("link", name="Sign in again")).to_have_count(0)
    if syncing == "on":
        expect(box.get_by_role("button", name="Refresh now")).to_be_focused()
    elif syncing == "paused meanwhile":
        expect(box.get_by_role("link", name="Resume it in the settings")).to_be_focused()
    else:
        expect(box.get_by_role("status")).to_be_focused()
        expect(box.get_by_role("status")).to_contain_text("Not connected to Greenhouse.")


def test_a_status_box_signed_out_looks_after_a_look_on_its_way_once_the_tab_is_shown_again(
    live_server, page, acme, owner, settings
):
    """The tab shown again, signed in again, while a look sent before the box said "You are
    signed out" was on its way: that look's answer is not shown, and the look asked for is
    made after it, as for a look on its way as the tab is shown again."""
    held, read_before = a_look_held(page, live_server, acme)
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    page.locator(".sync-status").get_by_role("button", name="Refresh now").click()
    feedback = page.locator("[data-refresh-feedback]")
    expect(feedback).to_contain_text("You are signed out")
    sign_in_by_cookie(page, live_server.url, "alice")

    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    held[0].fulfill(response=read_before)
    page.unroute("**/manage/acme/status.json")
    page.clock.run_for(STATUS_POLL_MS)

    expect(feedback).to_have_text("")
    expect(page.locator(".sync-status").get_by_role("button", name="Refresh now")).to_be_visible()


def test_refresh_now_of_a_box_back_once_signed_in_again_in_another_tab_is_sent(
    live_server, page, acme, owner, settings
):
    """Django gives a new CSRF token at sign-in: the box back, Refresh now sent the token the
    form had as the page loaded, was refused, and said "could not be sent. Reload the page"."""
    a_box_signed_out(page, live_server, settings)
    form_token = page.locator("[data-refresh] [name=csrfmiddlewaretoken]").input_value()
    another_tab = page.context.new_page()
    sign_in(another_tab, live_server, "alice")  # the form, which makes a new token
    another_tab.close()
    show_the_tab_again(page)
    button = page.locator(".sync-status").get_by_role("button", name="Refresh now")
    expect(button).to_be_visible()

    with page.expect_response("**/manage/acme/refresh/") as refreshed:
        button.click()

    expect(page.locator("[data-refresh-feedback]")).to_contain_text("Sync queued")
    assert refreshed.value.status == 200
    # What it was sent with before: the form's token, now refused.
    with_the_forms_token = page.request.post(
        f"{live_server.url}/manage/acme/refresh/",
        form={"csrfmiddlewaretoken": form_token},
        headers={"Accept": "application/json", "Origin": live_server.url},
        max_redirects=0,
    )
    assert with_the_forms_token.status == 403


def signed_out_and_in_again_in_another_tab(page, live_server, settings) -> None:
    """As when the session ended (signed out, or timed out) and alice signed in again in
    another tab: Django gave the browser a new CSRF token, which the page open has not."""
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    another_tab = page.context.new_page()
    sign_in(another_tab, live_server, "alice")
    another_tab.close()


def test_a_form_of_a_page_left_open_while_signed_in_again_elsewhere_is_sent(
    live_server, page, acme, owner, settings
):
    """Django gives a new CSRF token at sign-in: the settings page left open while its admin
    signed out and in again in another tab sent the token it was served with, and saving its
    schedule led to "This form could not be sent" (Django's CSRF failure page)."""
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    served_token = page.locator("[name=csrfmiddlewaretoken]").first.input_value()
    signed_out_and_in_again_in_another_tab(page, live_server, settings)

    page.get_by_label("Sync every (minutes)").fill("45")
    page.get_by_role("button", name="Save schedule").click()

    expect(page.locator(".messages")).to_have_text("Jobs now sync every 45 minutes.")
    assert GreenhouseConnection.objects.get(pk=acme.pk).sync_interval_minutes == 45
    # What it was sent with before: the token the page was served with, now refused.
    with_the_served_token = page.request.post(
        f"{live_server.url}/manage/acme/settings/",
        form={"csrfmiddlewaretoken": served_token, "action": "schedule"},
        headers={"Origin": live_server.url},
        max_redirects=0,
    )
    assert with_the_served_token.status == 403


def fill_the_password_change(page) -> None:
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password:", exact=True).fill("a brand new passphrase")
    page.get_by_label("New password confirmation").fill("a brand new passphrase")
    page.get_by_role("button", name="Change password").click()


def fill_the_address_change(page) -> None:
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("New email address").fill("alice@new.example")
    page.get_by_role("button", name="Send the link").click()


def sign_out_in_the_header(page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()


@pytest.mark.parametrize(
    "address, send, sent",
    [
        ("/accounts/password_change/", fill_the_password_change, "Password changed"),
        ("/accounts/email/", fill_the_address_change, "A link was sent to alice@new.example"),
        ("/jobs/", sign_out_in_the_header, "You are signed out."),
    ],
    ids=["the password change", "the address change", "a visitor's page's Sign out"],
)
def test_an_account_form_of_a_page_left_open_while_signed_in_again_elsewhere_is_sent(
    live_server, page, acme, owner, settings, address, send, sent
):
    """Only the org pages sent the CSRF token of now (csrf-token-now.js): an account page, or
    the header's Sign out on any other page, left open while its user signed out and in again
    in another tab led to "This form could not be sent"."""
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}{address}")
    signed_out_and_in_again_in_another_tab(page, live_server, settings)

    send(page)

    expect(page.get_by_text(sent)).to_be_visible()


def test_a_sign_in_page_opened_before_signing_in_in_another_tab_signs_in(
    live_server, page, acme, owner
):
    """A visitor's page with a form loads the script too: signing in on a sign-in page opened
    before signing in in another tab was refused, "This form could not be sent"."""
    page.goto(f"{live_server.url}/accounts/login/")
    another_tab = page.context.new_page()
    sign_in(another_tab, live_server, "alice")
    another_tab.close()

    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Your organizations")).to_be_visible()


def test_a_page_of_djangos_admin_left_open_while_signed_in_again_elsewhere_saves(
    live_server, page, acme, owner, settings
):
    """Django's admin loads the script too: its form left open while its staff user signed
    out and in again in another tab was refused, "This form could not be sent"."""
    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    organization = acme.organization
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/admin/jobs/organization/{organization.pk}/change/")
    signed_out_and_in_again_in_another_tab(page, live_server, settings)

    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")


# A form added to the page after it loaded, sent with requestSubmit() by its button: what its
# csrfmiddlewaretoken field holds once the listeners before the form's own have run.
SENT_TOKEN = """([form_attributes, button_attributes]) => new Promise((resolve) => {
  const form = document.createElement("form");
  const button = document.createElement("button");
  Object.entries(form_attributes).forEach(([name, value]) => form.setAttribute(name, value));
  Object.entries(button_attributes).forEach(([name, value]) => button.setAttribute(name, value));
  form.innerHTML = '<input type="hidden" name="csrfmiddlewaretoken" value="served">';
  form.append(button);
  document.body.append(form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    resolve(form.elements.csrfmiddlewaretoken.value);
  });
  form.requestSubmit(button);
})"""


@pytest.mark.parametrize(
    "form_attributes, button_attributes, sent",
    [
        ({"method": "post"}, {}, "b" * 32),
        ({"method": "post", "action": "https://elsewhere.example/"}, {}, "served"),
        ({"method": "post"}, {"formaction": "https://elsewhere.example/"}, "served"),
        ({"method": "get"}, {}, "served"),
        ({"method": "post"}, {"formmethod": "get"}, "served"),
        (
            {"action": "https://elsewhere.example/"},
            {"formaction": "/", "formmethod": "post"},
            "b" * 32,
        ),
    ],
    ids=[
        "a form added later",
        "another origin",
        "a button's formaction elsewhere",
        "a GET form",
        "a button's formmethod get",
        "a button's formaction here",
    ],
)
def test_only_a_post_form_sent_to_this_site_gets_the_token_of_the_csrf_cookie(
    live_server, page, acme, owner, form_attributes, button_attributes, sent
):
    """csrf-token-now.js puts the cookie's token in a form as it is submitted, also one the page
    added since it loaded: never in one sent to another site, or in a GET form's address (its
    button's formaction and formmethod say where and how it is sent)."""
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/jobs/")
    page.context.add_cookies([{"name": "csrftoken", "value": "b" * 32, "url": live_server.url}])

    assert page.evaluate(SENT_TOKEN, [form_attributes, button_attributes]) == sent


@pytest.mark.parametrize(
    "name, value",
    [("csrftoken", "a" * 32), ("csrftoken", "%"), ("", "csrftokenb"), ("mycsrftoken", "a" * 32)],
    ids=["another of its name", "one not a token", "one without a name", "a name ending so"],
)
def test_refresh_now_sends_the_token_of_the_csrf_cookie_django_reads(
    live_server, page, acme, owner, settings, name, value
):
    """Another cookie, at a longer path (set by something else on this host), comes first in
    document.cookie, as in the Cookie header, where Django reads the last of a name: the script
    sent the first's, and Refresh now was refused (a 403, "could not be sent"); decoding one
    not a token threw, and the button stayed busy; one without a name whose value began with
    the name was taken for it. One whose name only ends so never was."""
    assert settings.CSRF_COOKIE_NAME == "csrftoken"  # as the cases name it
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/jobs/")
    if name:
        page.context.add_cookies(
            [{"name": name, "value": value, "url": f"{live_server.url}/manage/"}]
        )
    else:  # the page's own directory, /manage/acme/, a longer path than Django's cookie's
        page.evaluate("value => { document.cookie = value; }", value)

    page.get_by_role("button", name="Refresh now").click()

    expect(page.locator("[data-refresh-feedback]")).to_contain_text("Sync queued")


def test_refresh_now_pressed_after_syncing_was_paused_elsewhere_gives_way_to_resuming(
    live_server, page, acme, owner
):
    """Paused in another tab: the button goes, and the focus it had goes to the link that
    resumes syncing, not to the top of the page."""
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    status = page.locator(".sync-status")
    GreenhouseConnection.objects.update(enabled=False)
    status.get_by_role("button", name="Refresh now").click()

    expect(page.locator("[data-refresh-feedback]")).to_contain_text("Syncing is paused.")
    expect(status.get_by_role("button", name="Refresh now")).to_be_hidden()
    expect(status.get_by_role("link", name="Resume it in the schedule below")).to_be_focused()

    GreenhouseConnection.objects.update(enabled=True)
    show_the_tab_again(page)
    expect(status.get_by_role("button", name="Refresh now")).to_be_visible()
    expect(status.get_by_role("link", name="Resume it in the schedule below")).to_be_hidden()


def test_the_way_to_resume_that_has_the_focus_gives_it_to_refresh_now_once_resumed_elsewhere(
    live_server, page, acme, owner
):
    """Resumed in another tab: the link goes, and its focus goes to the button that takes its
    place, not to the top of the page."""
    GreenhouseConnection.objects.update(enabled=False)
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/jobs/")
    status = page.locator(".sync-status")
    status.get_by_role("link", name="Resume it in the settings").focus()

    GreenhouseConnection.objects.update(enabled=True)
    show_the_tab_again(page)

    expect(status.get_by_role("link", name="Resume it in the settings")).to_be_hidden()
    expect(status.get_by_role("button", name="Refresh now")).to_be_focused()


@pytest.mark.parametrize("answered", ["before-the-look", "after-the-look"])
def test_refresh_nows_answer_goes_when_a_look_learns_the_org_was_disconnected(
    live_server, page, acme, owner, answered
):
    """Disconnected in another tab, or by another admin, while the sync Refresh now queued
    waited for a worker: "Sync queued. Its progress shows below." stayed beside "Not connected
    to Greenhouse." for good, whether Refresh now's answer came before the page's look that
    learnt of it or after."""
    refreshes, read_before_the_disconnect = a_refresh_held(page, live_server)
    button = page.locator(".sync-status [data-refresh] button")  # hidden once disconnected
    feedback = page.locator("[data-refresh-feedback]")
    if answered == "before-the-look":
        refreshes[0].fulfill(response=read_before_the_disconnect)
        expect(feedback).to_have_text(re.compile(r"^Sync queued"))

    connection_disconnect(connection=acme)
    show_the_tab_again(page)
    expect(page.locator(".sync-status [data-field=message]")).to_have_text(
        "Not connected to Greenhouse."
    )
    if answered == "after-the-look":
        refreshes[0].fulfill(response=read_before_the_disconnect)
        expect(button).not_to_have_attribute("aria-disabled", "true")  # its answer was read

    expect(feedback).to_have_text("")


def test_a_status_that_learns_the_org_was_connected_again_shows_the_new_board(
    live_server, page, acme, owner
):
    """Disconnected and connected to another board in another tab: back in this one, the box
    shows that board and Refresh now again, not "Not connected" until a reload."""
    page.clock.install()
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    status = page.locator(".sync-status")
    connection_disconnect(connection=acme)
    status.get_by_role("button", name="Refresh now").click()
    expect(status.get_by_text("Connected to the board")).to_be_hidden()

    GreenhouseConnection.objects.create(
        organization=acme.organization, board_token="tiny-co", board_name="Tiny Co"
    )
    show_the_tab_again(page)

    expect(status.get_by_text("Connected to the board")).to_be_visible()
    expect(status.locator(".board-name")).to_have_text("Tiny Co")
    expect(status.locator("code")).to_have_text("tiny-co")
    expect(status.locator("[data-field=message]")).to_have_text("No sync has run yet.")
    expect(page.locator("[data-refresh-feedback]")).to_have_text("")
    expect(status.get_by_role("button", name="Refresh now")).to_be_visible()


def test_a_refused_form_and_then_the_welcome_are_focused_when_the_page_loads(live_server, page):
    """Screen readers read out what gets the focus, not a live region that was there at load."""
    alert = page.get_by_role("alert")

    def sign_up(confirmation: str) -> None:
        page.get_by_label("Password:", exact=True).fill(PASSWORD)
        page.get_by_label("Password confirmation").fill(confirmation)
        page.get_by_role("button", name="Create account and organization").click()

    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Email").fill("carol@north.example")
    page.get_by_label("Organization name").fill("North Wind")
    sign_up("a different passphrase")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(alert).to_contain_text("There is a problem")
    expect(alert).to_be_focused()

    sign_up(PASSWORD)
    expect(alert).to_contain_text("Welcome!")
    expect(alert).to_be_focused()


def test_the_message_after_a_form_reached_by_a_link_to_its_field_is_focused(
    live_server, page, fake_greenhouse
):
    """The jobs page's "Connect a board" links to the token field, an error summary to a
    field: a browser keeps that #fragment through the redirect after the form is sent, and
    would focus the field again, leaving the message saying what was done unread."""
    north = Organization.objects.create(name="North Wind", slug="north")
    nora = User.objects.create_user("nora", "nora@north.example", PASSWORD)
    Membership.objects.create(organization=north, user=nora, role=Membership.Role.ADMIN)
    alert = page.get_by_role("alert")
    sign_in_by_cookie(page, live_server.url, "nora")

    page.goto(f"{live_server.url}/manage/north/jobs/")
    page.get_by_role("link", name="Connect a board").click()
    expect(page.get_by_label("Board token")).to_be_focused()
    page.get_by_label("Board token").fill("tiny-co")
    page.get_by_role("button", name="Check and connect").click()
    expect(alert).to_contain_text("Connected to the Greenhouse board")
    expect(alert).to_be_focused()

    page.goto(f"{live_server.url}/manage/north/members/#id_email")
    page.get_by_label("Email").fill("omar@north.example")
    page.get_by_role("button", name="Invite").click()
    expect(alert).to_contain_text("omar@north.example")
    expect(alert).to_be_focused()


def test_an_admin_deletes_the_org_after_typing_its_slug(live_server, page, owner):
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    page.get_by_role("link", name="Delete Acme Robotics…").click()
    expect(page.get_by_role("heading", name="Delete Acme Robotics?")).to_be_visible()

    page.get_by_label("To confirm, type acme").fill("Acme")
    page.get_by_role("button", name="Delete Acme Robotics").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Type acme exactly")
    expect(summary).to_be_focused()
    save_screenshot(page, "organization-delete-refused")
    assert Organization.objects.filter(slug="acme").exists()

    page.get_by_label("To confirm, type acme").fill("acme")
    page.get_by_role("button", name="Delete Acme Robotics").click()
    expect(page.get_by_text("Acme Robotics was deleted.")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/manage/")
    save_screenshot(page, "organization-deleted")
    assert not Organization.objects.filter(slug="acme").exists()


def test_a_signed_in_admin_changes_their_email_address_through_the_emailed_link(
    live_server, page, owner
):
    sign_in_by_cookie(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/manage/")
    page.get_by_role("link", name="Change your email address").click()
    expect(page.locator("main")).to_contain_text("Your address now: alice@acme.example")

    page.get_by_label("New email address").fill("alice@new.example")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("A link was sent to alice@new.example.")).to_be_visible()

    # The live server runs in this process: its emails are in the test's outbox.
    (email,) = [message for message in mail.outbox if message.to == ["alice@new.example"]]
    path = re.search(r"/accounts/email/confirm/\S+/", email.body).group(0)
    page.goto(f"{live_server.url}{path}")
    page.get_by_role("button", name="Use alice@new.example").click()

    expect(page.get_by_text("Your email address is now alice@new.example.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Your address now: alice@new.example")
    owner.refresh_from_db()
    assert owner.email == "alice@new.example"


def test_back_past_a_sign_in_to_a_visitors_form_shows_it_signed_in_and_it_still_sends(
    live_server, page_kept_on_back, owner
):
    """Kept whole for Back (the back/forward cache), the password reset page still said "Sign
    in", and its form, whose token the sign-in had changed, was refused: "This form could not
    be sent". The page is loaded again instead."""
    page = page_kept_on_back
    page.goto(f"{live_server.url}/accounts/password_reset/")
    sign_in(page, live_server, "alice")

    page.go_back(wait_until="commit")  # the sign-in page
    # Going back again while Chromium still swaps the page in failed now and then as "Not
    # attached to an active page".
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    page.go_back(wait_until="commit")  # a page restored whole fires no load event

    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_label("Email").fill("alice@acme.example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def test_back_after_signing_out_does_not_show_the_orgs_settings(
    live_server, page_kept_on_back, owner
):
    """The back/forward cache keeps a page whole, without asking the server, unless the page
    is no-store (SignedInPagesNotStored): on a shared computer, Back would show the next
    person the org's settings and its API key's last digits."""
    page = page_kept_on_back
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/manage/acme/settings/")
    expect(page.get_by_role("heading", name="Job Board API key")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.go_back(wait_until="commit")

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("heading", name="Job Board API key")).to_have_count(0)
