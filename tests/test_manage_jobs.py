"""Managing jobs: the table, and editing site-owned fields while Greenhouse's stay read-only."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.db import connection as db_connection
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

from jobs import manage_views
from jobs.models import Department, Job, Organization, SyncRun
from jobs.selectors import job_search
from jobs.sync import sync_organization
from tests.support.helpers import (
    WorkCounted,
    assert_says_organization_gone,
    done_by_another_request_after,
    form_as_sent,
    make_connection,
    parsed,
    sitemap_entries,
    spoken_text,
)
from tests.support.public_jobs import make_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(acme, fake_greenhouse) -> Job:
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    return Job.objects.filter(organization=acme.organization).order_by("pk").first()


def edit_url(job: Job) -> str:
    return f"/manage/acme/jobs/{job.pk}/edit/"


# --- The table ---------------------------------------------------------------------------------


def test_the_table_lists_open_jobs_first_with_their_details(signed_in, job):
    closed = Job.objects.exclude(pk=job.pk).order_by("title").first()
    Job.objects.filter(pk=closed.pk).update(is_open=False, title="AAA first by title")
    Job.objects.filter(pk=job.pk).update(
        greenhouse_updated_at=timezone.now() - timedelta(days=1),
        tags=["robots", "remote"],
        compensation_note="€70k",
        remote_policy=Job.RemotePolicy.HYBRID,
        featured=True,
    )
    department = Department.objects.create(
        organization=job.organization, greenhouse_id=999, name="Skunkworks"
    )
    job.departments.add(department)

    page = signed_in.get("/manage/acme/jobs/").content.decode()

    titles = re.findall(r'<th scope="row"[^>]*><a href="[^"]+"[^>]*>([^<]+)</a>', page)
    assert len(titles) == Job.objects.count()
    assert titles[-1] == "AAA first by title"  # closed jobs come after every open one
    row = page[page.index(edit_url(job)) :].split("</tr>")[0]
    tags = "<bdi>robots</bdi>, <bdi>remote</bdi>"
    for text in ("Open", job.location_name, "Skunkworks", tags, "€70k", "Hybrid"):
        assert text in row
    assert "Closed" in page


@pytest.mark.parametrize(("per_page", "pages"), [(100, 1), (2, 3)])
def test_jobs_past_their_deadline_come_after_the_open_ones_and_before_the_closed(
    signed_in, acme, monkeypatch, per_page, pages
):
    """Visitors no longer see them (listed_jobs), and the table says "Deadline passed": they
    sorted among the open ones, though the page says "open first". Each page of the list holds
    its share, where the parts meet too."""
    monkeypatch.setattr(manage_views, "JOBS_PER_PAGE", per_page)
    organization = acme.organization
    passed = timezone.now() - timedelta(hours=1)
    make_job(organization, "A passed, featured", application_deadline=passed, featured=True)
    make_job(organization, "B closed", is_open=False)
    make_job(
        organization, "C open, deadline ahead", application_deadline=passed + timedelta(days=2)
    )
    make_job(organization, "D passed", application_deadline=passed)
    make_job(organization, "E open, hidden", hidden=True)
    make_job(organization, "F open, featured", featured=True)

    titles = []
    for number in range(1, pages + 1):
        page = BeautifulSoup(
            signed_in.get(f"/manage/acme/jobs/?page={number}").content, "html.parser"
        )
        titles += [a.get_text() for a in page.select(".jobs-table tbody th a")]

    assert titles == [
        "F open, featured",
        "C open, deadline ahead",
        "E open, hidden",
        "A passed, featured",
        "D passed",
        "B closed",
    ]


def test_the_table_shows_the_remote_policy_visitors_see_and_whose_it_is(signed_in, job):
    from_greenhouse = job
    set_here, unspecified = Job.objects.exclude(pk=job.pk).order_by("pk")[:2]
    assert from_greenhouse.greenhouse_remote_policy == Job.RemotePolicy.HYBRID
    Job.objects.filter(pk=set_here.pk).update(remote_policy=Job.RemotePolicy.ONSITE)
    Job.objects.filter(pk=unspecified.pk).update(greenhouse_remote_policy="")

    page = BeautifulSoup(signed_in.get("/manage/acme/jobs/").content, "html.parser")

    column = [th.get_text() for th in page.select(".jobs-table thead th")].index("Remote")
    shown = {
        row.th.get_text(): row.select("th, td")[column].get_text()
        for row in page.select(".jobs-table tbody tr")
    }
    assert shown[from_greenhouse.title] == "Hybrid (from Greenhouse)"
    assert shown[set_here.title] == "On-site"
    assert shown[unspecified.title] == "Not specified"


def test_the_table_of_an_org_without_jobs_says_how_they_come(signed_in, acme):
    page = signed_in.get("/manage/acme/jobs/").content.decode()
    assert "appear here after the first sync" in page and "Refresh now" in page


def test_the_table_of_an_org_whose_board_had_no_job_says_so(signed_in, acme):
    """It said they appear after the first sync, when syncs had run and found none."""
    acme.last_success_at = timezone.now()
    acme.save(update_fields=["last_success_at"])

    page = signed_in.get("/manage/acme/jobs/").content.decode()

    assert "The board had no open job at the last successful sync." in page
    assert "after the first sync" not in page


def test_the_table_page_shows_no_comment_of_its_template(signed_in, job):
    page = signed_in.get("/manage/acme/jobs/").content.decode()
    assert "{#" not in page and "#}" not in page


def test_the_sync_progress_and_its_reload_hint_share_one_live_region(signed_in, job):
    """Two regions changing at once would cut each other off in a screen reader."""
    page = BeautifulSoup(signed_in.get("/manage/acme/jobs/").content, "html.parser")

    regions = page.select(".sync-status :is([role=status], [role=alert], [aria-live])")
    assert len(regions) == 1
    parts = "[data-refresh-feedback], [data-field=message], [data-reload-hint]"
    assert len(regions[0].select(parts)) == 3


def test_a_job_of_another_org_is_not_found_under_this_one(signed_in, job, fake_greenhouse):
    other = make_connection("other-co", "tiny-co")
    sync_organization(other, trigger=SyncRun.Trigger.COMMAND)
    theirs = Job.objects.get(organization=other.organization)
    assert signed_in.get(f"/manage/acme/jobs/{theirs.pk}/edit/").status_code == 404
    assert (
        signed_in.post(f"/manage/acme/jobs/{theirs.pk}/edit/", {"featured": "on"}).status_code
        == 404
    )


def test_the_table_lists_none_of_another_orgs_jobs(signed_in, job, fake_greenhouse):
    other = make_connection("other-co", "tiny-co")
    sync_organization(other, trigger=SyncRun.Trigger.COMMAND)
    theirs = Job.objects.get(organization=other.organization)

    page = signed_in.get("/manage/acme/jobs/").content.decode()

    assert edit_url(job) in page
    assert f"/jobs/{theirs.pk}/edit/" not in page and theirs.title not in page


# --- The edit form -----------------------------------------------------------------------------


def test_the_edit_form_shows_greenhouse_fields_as_locked_text(signed_in, job):
    page = signed_in.get(edit_url(job)).content.decode()

    assert "Managed in Greenhouse" in page and "🔒" in page
    assert job.title in page
    inputs = set(re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', page))
    form_inputs = inputs - {"csrfmiddlewaretoken", "next"}
    # Each with the value the page showed, as "initial-<name>".
    assert form_inputs == {*Job.SITE_FIELDS, *(f"initial-{name}" for name in Job.SITE_FIELDS)}


def test_the_edit_page_names_the_job_and_sets_its_description_apart(signed_in, job):
    page = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser")

    assert page.h1.get_text() == f"Edit job: {job.title}"
    # A region a screen reader can skip, which the keyboard can scroll.
    description = page.select_one(".job-description")
    assert description["role"] == "region" and description["tabindex"] == "0"
    assert description["aria-label"] == "Description from Greenhouse"


def test_the_edit_page_marks_the_jobs_tab_it_was_reached_from(signed_in, job):
    """The tabs say where an admin is: the Jobs tab as the section of its job's page (ARIA's
    "true": not this page, but what it belongs to), where no tab was marked."""
    for url, current in ((edit_url(job), "true"), ("/manage/acme/jobs/", "page")):
        page = BeautifulSoup(signed_in.get(url).content, "html.parser")
        tabs = page.select('nav[aria-label="Acme Robotics admin"] a')

        assert {tab.get_text(): tab.get("aria-current") for tab in tabs} == {
            "Settings": None,
            "Jobs": current,
            "Sync history": None,
            "Members": None,
        }


def test_the_orgs_own_admin_address_leads_to_its_jobs(signed_in):
    """Someone trimming /manage/acme/jobs/ back to /manage/acme/ reaches the org's jobs, the
    page its name links to on the index, rather than "not found"."""
    response = signed_in.get("/manage/acme/", follow=True)

    assert response.redirect_chain == [("/manage/acme/jobs/", 302)]
    assert response.status_code == 200


def test_the_orgs_own_admin_address_leads_to_its_jobs_with_its_query_string(signed_in):
    """/manage/acme/?page=2 led to the first page of the jobs, as if it were asked for none."""
    response = signed_in.get("/manage/acme/?page=2")

    assert response.status_code == 302 and response["Location"] == "/manage/acme/jobs/?page=2"


def test_the_orgs_own_admin_address_too_long_to_redirect_with_leads_to_its_jobs(signed_in, caplog):
    """Past 16,384 characters Django refused its own redirect with the query string: a 400,
    logged as an ERROR."""
    response = signed_in.get(f"/manage/acme/?q={'a' * 17_000}")

    assert response.status_code == 302 and response["Location"] == "/manage/acme/jobs/"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_the_descriptions_headings_sit_below_the_edit_pages_own(signed_in, job):
    """Heading navigation (a screen reader's "next h2") goes from "Managed in Greenhouse" to "On
    this site"; the post's sections are still there, from h3 on inside the first, with no level
    skipped: the post's h3 and h5 are an h4 and an h5 here."""
    Job.objects.filter(pk=job.pk).update(
        description_html="<h2>About us</h2><p>Hi.</p><h3>Perks</h3><h5>Small</h5><h6>Fine</h6>"
    )

    page = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser")

    page_headings = [" ".join(h2.get_text().split()) for h2 in page.find_all("h2")]
    assert page_headings == ["🔒Locked: Managed in Greenhouse", "On this site"]
    description = page.select_one(".job-description")
    assert [(h.name, h.get_text()) for h in description.find_all(re.compile(r"^h\d$"))] == [
        ("h3", "About us"),
        ("h4", "Perks"),
        ("h5", "Small"),
        ("h6", "Fine"),
    ]
    assert description.find(string="Hi.").parent.name == "p"


def test_a_post_in_another_language_is_marked_with_it_on_the_admin_pages(signed_in, job):
    """As on the visitors' pages: a screen reader reads its words with their own sounds, and the
    site's words around them (the region's name, "Edit job:") in the page's language."""
    Job.objects.filter(pk=job.pk).update(title="מפתח/ת מובייל", language="he")

    table = BeautifulSoup(signed_in.get("/manage/acme/jobs/").content, "html.parser")
    page = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser")

    link = table.find("a", href=edit_url(job))
    assert (link["lang"], link["dir"]) == ("he", "rtl")
    title = page.h1.find(string="מפתח/ת מובייל").parent
    assert (title.name, title["lang"], title["dir"]) == ("span", "he", "rtl")
    assert page.select_one(".job-title")["lang"] == "he"
    description = page.select_one(".job-description")
    assert "lang" not in description.attrs  # its name is the site's words
    words = description.find(attrs={"lang": "he", "dir": "rtl"})
    assert words.get_text().strip() == description.get_text().strip()


def test_a_post_in_no_language_but_english_is_laid_out_in_its_own_direction_to_edit(signed_in, job):
    """As on its public page: a Hebrew description Greenhouse calls English was laid out left
    to right."""
    Job.objects.filter(pk=job.pk).update(description_html="<p>צוות קטן.</p>", language="en")

    page = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser")

    words = page.select_one(".job-description").find(string="צוות קטן.").parent.parent
    assert (words.name, words.attrs) == ("div", {"dir": "rtl"})


def test_a_title_in_no_language_but_english_is_laid_out_in_its_own_direction_to_edit(
    signed_in, job
):
    """As on the visitors' pages (title_language_attributes): a Hebrew title Greenhouse calls
    English was laid out left to right in the table and on the edit page."""
    Job.objects.filter(pk=job.pk).update(title="מפתח/ת (Backend)", language="en")

    table = BeautifulSoup(signed_in.get("/manage/acme/jobs/").content, "html.parser")
    page = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser")

    assert table.find("a", href=edit_url(job)).get("dir") == "auto"
    assert page.h1.find(string="מפתח/ת (Backend)").parent.get("dir") == "auto"
    assert page.select_one(".job-title").get("dir") == "auto"


def test_an_admin_pages_title_isolates_the_names_written_right_to_left(signed_in, job):
    """As the visitors' pages' titles do (name_in_title): "Edit job: מפתח · כלי נמל" joined
    the two Hebrew names by a " · " that took their direction."""
    Organization.objects.filter(slug="acme").update(name="כלי נמל")
    Job.objects.filter(pk=job.pk).update(title="מפתח/ת")

    page = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser")
    jobs = BeautifulSoup(signed_in.get("/manage/acme/jobs/").content, "html.parser")

    isolated = "\u2068כלי נמל\u2069"
    assert page.title.get_text() == f"Edit job: \u2068מפתח/ת\u2069 · {isolated} · orgsite"
    assert jobs.title.get_text() == f"Jobs · {isolated} · orgsite"


def test_the_edit_page_links_the_jobs_public_page_and_its_greenhouse_post(signed_in, job):
    links = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser").select(
        ".job-links a"
    )

    assert [(link.get_text(), link["href"]) for link in links] == [
        ("See its page on the site", f"/orgs/acme/jobs/{job.greenhouse_id}/"),
        ("See its post on Greenhouse", job.absolute_url),
    ]
    Job.objects.filter(pk=job.pk).update(hidden=True)  # its page is a 404 then
    page = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser")
    assert [link.get_text() for link in page.select(".job-links a")] == [
        "See its post on Greenhouse"
    ]
    assert "Hidden: visitors cannot see it." in page.select_one(".job-links").get_text()


def empty_remote_policy_choice(page: bytes) -> str:
    soup = BeautifulSoup(page, "html.parser")
    return soup.select_one('select[name=remote_policy] option[value=""]').get_text()


def test_the_empty_remote_policy_says_what_greenhouse_says(signed_in, job):
    """Empty follows Greenhouse: the choice names what visitors then see."""
    assert job.greenhouse_remote_policy == Job.RemotePolicy.HYBRID
    page = signed_in.get(edit_url(job)).content
    assert empty_remote_policy_choice(page) == "As Greenhouse says: Hybrid"

    Job.objects.filter(pk=job.pk).update(greenhouse_remote_policy="")
    page = signed_in.get(edit_url(job)).content
    assert empty_remote_policy_choice(page) == "Not specified"


def test_it_saves_the_site_owned_fields(signed_in, job):
    response = signed_in.post(
        edit_url(job),
        {
            "featured": "on",
            "remote_policy": "remote",
            "compensation_note": "  €60–70k + equity ",
            "tags": " Python, robots ,python,, senior  engineer ",
        },
    )

    assert response["Location"] == "/manage/acme/jobs/"
    job.refresh_from_db()
    assert job.featured and not job.hidden and job.remote_policy == "remote"
    assert job.compensation_note == "€60–70k + equity"
    assert job.tags == ["Python", "robots", "senior engineer"]


def save_sent_as_deleted_meanwhile(
    client: Client, job: Job, monkeypatch: pytest.MonkeyPatch, *, deleted: Any, sent: str
) -> Any:
    """The job's form from its page, sent as shown, changed or refused (a choice no longer
    offered), as another request deletes `deleted` (a queryset) once this one has read the job,
    before it locks the job's row to save it."""
    page = form_as_sent(client.get(edit_url(job)).content, "main form.stacked")
    change = {"unchanged": {}, "changed": {"featured": "on"}, "refused": {"remote_policy": "moon"}}
    done_by_another_request_after(
        monkeypatch, manage_views, "get_object_or_404", lambda: deleted.delete()
    )
    return client.post(edit_url(job), {**page, **change[sent]})


@pytest.mark.django_db(transaction=True)  # deleted on another connection, which sees only commits
@pytest.mark.parametrize("sent", ["changed", "refused"])
def test_a_save_of_a_job_deleted_meanwhile_is_not_found(signed_in, job, monkeypatch, sent):
    """Refused, the form was shown again, as if the job were there to save it to, once
    corrected."""
    response = save_sent_as_deleted_meanwhile(
        signed_in, job, monkeypatch, deleted=Job.objects.filter(pk=job.pk), sent=sent
    )

    assert response.status_code == 404  # the job alone: its org is there
    assert "may have been removed" in response.content.decode()


@pytest.mark.django_db(transaction=True)  # deleted on another connection, which sees only commits
@pytest.mark.parametrize("sent", ["unchanged", "refused"])
def test_a_save_as_the_org_is_deleted_says_it_no_longer_exists(signed_in, job, monkeypatch, sent):
    """Unchanged, it said "Nothing changed: … stays as it is." of a job no longer there."""
    organization = Organization.objects.filter(pk=job.organization_id)
    response = save_sent_as_deleted_meanwhile(
        signed_in, job, monkeypatch, deleted=organization, sent=sent
    )

    assert_says_organization_gone(response)
    assert not organization.exists()


@pytest.mark.django_db(transaction=True)  # hidden on another connection, which sees only commits
@pytest.mark.parametrize("hidden_first", [False, True])
@pytest.mark.parametrize("changed_meanwhile", [True, False])
def test_a_refused_save_shows_the_job_hidden_or_not_as_it_is_saved(
    signed_in, job, monkeypatch, hidden_first, changed_meanwhile
):
    """The page shown again said whether the job was hidden, and linked its public page or
    not, as the request first read the job: not as another admin had hidden it, or shown it
    again, before this save locked its row. Nor may it say so as this page asked, refused."""
    Job.objects.filter(pk=job.pk).update(hidden=hidden_first)
    page = form_as_sent(signed_in.get(edit_url(job)).content, "main form.stacked")
    page.pop("hidden", None)
    hidden_sent = {"hidden": "on"} if not hidden_first else {}  # this page's change too
    if changed_meanwhile:
        hide = Job.objects.filter(pk=job.pk).update
        done_by_another_request_after(
            monkeypatch, manage_views, "get_object_or_404", lambda: hide(hidden=not hidden_first)
        )

    response = signed_in.post(edit_url(job), {**page, **hidden_sent, "remote_policy": "moon"})

    assert response.status_code == 200  # refused: a choice not offered
    links = BeautifulSoup(response.content, "html.parser").select_one(".job-links")
    hidden = hidden_first != changed_meanwhile
    assert Job.objects.get(pk=job.pk).hidden is hidden
    assert ("Hidden: visitors cannot see it." in links.get_text()) is hidden
    assert bool(links.find("a", string="See its page on the site")) is not hidden


def test_another_requests_change_is_refused_at_once_after_a_read_in_a_transaction(
    signed_in, job, monkeypatch
):
    """Here the test's own (no transaction=True), which another request cannot see into: the
    helper says so at once, where a delete deleted nothing on PostgreSQL and the test failed
    for no reason it gave, and on SQLite waited 20 seconds for the lock."""
    done_by_another_request_after(monkeypatch, manage_views, "get_object_or_404", lambda: None)

    with pytest.raises(AssertionError, match=r"django_db\(transaction=True\)"):
        signed_in.get(edit_url(job))


def test_a_forged_post_cannot_change_title_or_description(signed_in, job):
    title, description = job.title, job.description_html

    signed_in.post(
        edit_url(job),
        {
            "title": "Forged title",
            "description_html": "<script>alert(1)</script>",
            "location_name": "Nowhere",
            "is_open": "",
            "hidden": "on",
            "tags": "",
        },
    )

    job.refresh_from_db()
    assert (job.title, job.description_html) == (title, description)
    assert job.location_name != "Nowhere" and job.is_open
    assert job.hidden  # the site-owned field in the same POST was saved


@pytest.mark.parametrize(
    ("field", "typed", "saved"),
    [
        ("compensation_note", "€60k\n+ equity\x1b", "€60k + equity"),
        ("compensation_note", "\u200b\u2060 ", ""),
        ("tags", "\u200b, \u3164, python", ["python"]),
        ("tags", "Cafe\u0301, caf\u00e9", ["Caf\u00e9"]),
        ("tags", "Py\u200bthon, python, pyth\u2060on", ["Py\u200bthon"]),  # all read "python"
        ("tags", "Vi\x7fsa, \x9fRust\x85, \x01Go\x1b, \x80", ["Visa", "Rust", "Go"]),
    ],
)
def test_text_that_shows_nothing_or_breaks_the_line_is_cleaned(signed_in, job, field, typed, saved):
    """As an org's name is: visitors would read an empty compensation or an empty tag badge."""
    response = signed_in.post(edit_url(job), {field: typed})

    assert response.status_code == 302
    job.refresh_from_db()
    assert getattr(job, field) == saved


def test_a_null_character_in_a_tag_is_refused_on_the_form(signed_in, job):
    response = signed_in.post(edit_url(job), {"featured": "on", "tags": "a\x00b, c"})
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    job.refresh_from_db()
    assert not job.featured and job.tags == []


def test_the_tags_are_shown_back_comma_separated(signed_in, job):
    Job.objects.filter(pk=job.pk).update(tags=["a", "b c"])
    assert 'value="a, b c"' in signed_in.get(edit_url(job)).content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"tags": ",".join(f"t{n}" for n in range(21))}, "At most 20 tags"),
        ({"tags": "x" * 51}, "at most 50 characters"),
        ({"remote_policy": "moon"}, "Select a valid choice"),
        ({"compensation_note": "€" * 301}, "at most 300 characters"),
    ],
)
def test_bad_input_is_explained_on_the_form_and_nothing_is_saved(signed_in, job, data, error):
    response = signed_in.post(edit_url(job), {"featured": "on", **data})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    assert page.title.string.startswith("Error: Edit job: ")
    assert error in page.select_one("form > .error-summary[role=alert]").get_text()
    job.refresh_from_db()
    assert not job.featured


def test_the_compensation_notes_box_does_not_cut_a_long_paste_unseen(signed_in, job):
    """A browser cuts a paste at a box's maxlength without a word, its end out of the box's
    view: a note of 320 characters was saved as its first 300. Sent whole, it is refused."""
    page = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser")

    assert page.select_one("[name=compensation_note]").get("maxlength") is None


def test_the_compensation_notes_help_says_its_limit(signed_in, job):
    """As the org's description's does: the box no longer stops typing at 300 characters."""
    page = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser")

    help_text = page.select_one("#id_compensation_note_helptext").get_text()
    assert help_text == "Shown with the job, e.g. “€60–70k + equity”; at most 300 characters."


def test_the_tags_help_says_their_limits(signed_in, job):
    """As the compensation note's does: 21 tags, or one of 51 characters, were learnt to be too
    many or too long only once sent."""
    page = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser")

    help_text = page.select_one("#id_tags_helptext").get_text()
    assert help_text == (
        "Separated by commas, e.g. “remote, python, senior”; at most 20 tags of 50 characters each."
    )


def test_a_compensation_note_is_counted_as_it_is_saved(signed_in, job):
    """One that shows nothing is saved as none, and was refused past 300 characters."""
    Job.objects.filter(pk=job.pk).update(compensation_note="€60k")

    response = signed_in.post(edit_url(job), {"compensation_note": "\u200b" * 301})

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.compensation_note == ""


@pytest.mark.parametrize(
    ("tag", "shown"),
    [
        ("x" * 55, "x" * 55),  # longer than a tag may be, but shown whole: nothing to mark as cut
        ("x" * 60, "x" * 60),
        ("x" * 61, "x" * 59 + "…"),
    ],
    ids=["55 characters", "60 characters", "61 characters"],
)
def test_a_tag_too_long_is_shown_cut_only_when_it_is(signed_in, job, tag, shown):
    response = signed_in.post(edit_url(job), {"featured": "on", "tags": tag})

    error = BeautifulSoup(response.content, "html.parser").select_one(".error-summary").get_text()
    assert f"A tag has at most 50 characters: “{shown}” is longer." in error


def test_a_box_of_thousands_of_tags_is_refused_in_work_in_their_number(signed_in, job):
    """Anyone can sign up an org and send its job's form: each tag was compared with every one
    kept before it, so 20,000 (130 KB) held a web process for 16 s, a whole request's worth
    (2.5 MB) for hours. The request's work is counted (WorkCounted), not timed: twice the tags
    take at most 2.5 times the Python calls and lines (the square of their number, near 4)."""
    signed_in.post(edit_url(job), {"featured": "on", "tags": "t"})  # the templates loaded

    def work_for(count: int) -> int:
        tags = ",".join(f"t{n}" for n in range(count))
        with WorkCounted() as work:
            response = signed_in.post(edit_url(job), {"featured": "on", "tags": tags})
        assert "At most 20 tags" in response.content.decode()
        return work.operations

    fewer, more = work_for(1_000), work_for(2_000)
    assert more <= 2.5 * fewer, f"twice the tags took {more / fewer:.1f} times the work"


# A job's two edit forms: the org admin's page and Django's admin, each with the client that may
# open it and its form's selector.
in_both_edit_forms = pytest.mark.parametrize(
    ("client_fixture", "url", "selector"),
    [
        ("signed_in", "/manage/acme/jobs/{pk}/edit/", "main form.stacked"),
        ("superuser_client", "/admin/jobs/job/{pk}/change/", "#job_form"),
    ],
)


@in_both_edit_forms
def test_a_save_from_an_older_tab_keeps_what_another_tab_saved_meanwhile(
    client_fixture, url, selector, request, job
):
    """Each tab writes only what its admin changed there."""
    client, url = request.getfixturevalue(client_fixture), url.format(pk=job.pk)
    Job.objects.filter(pk=job.pk).update(hidden=True, compensation_note="€70k")
    first_tab = form_as_sent(client.get(url).content, selector)
    second_tab = form_as_sent(client.get(url).content, selector)

    client.post(url, {**first_tab, "tags": "python, robots", "compensation_note": ""})
    del second_tab["hidden"]  # unticked
    response = client.post(url, {**second_tab, "featured": "on"})

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.featured and not job.hidden
    assert job.tags == ["python", "robots"] and job.compensation_note == ""


CHANGED_MEANWHILE = "changed by someone else since this page was opened."


@in_both_edit_forms
def test_a_save_changing_a_field_changed_meanwhile_saves_nothing_and_says_its_value_now(
    client_fixture, url, selector, request, job
):
    """The page saved last undid the other admin's change unseen. Nothing of it is saved, as on
    an account's page; shown again over what is saved now, saving it again makes its changes."""
    client, url = request.getfixturevalue(client_fixture), url.format(pk=job.pk)
    Job.objects.filter(pk=job.pk).update(compensation_note="€60k", tags=["robots"])
    page = form_as_sent(client.get(url).content, selector)
    Job.objects.filter(pk=job.pk).update(compensation_note="Gehalt: 80 000 € brutto", hidden=True)

    refused = client.post(url, {**page, "compensation_note": "Lön 70 000 kr", "featured": "on"})

    assert refused.status_code == 200
    text = " ".join(parsed(refused).get_text().split())
    assert (
        "Nothing was saved: “Compensation note” (now “Gehalt: 80 000 € brutto”) "
        + CHANGED_MEANWHILE
    ) in text
    job.refresh_from_db()
    assert (job.compensation_note, job.featured, job.hidden) == (
        "Gehalt: 80 000 € brutto",
        False,
        True,
    )
    again = form_as_sent(refused.content, selector)
    assert again["compensation_note"] == "Lön 70 000 kr" and "hidden" in again

    assert client.post(url, again).status_code == 302
    job.refresh_from_db()
    assert (job.compensation_note, job.featured, job.hidden) == ("Lön 70 000 kr", True, True)
    assert job.tags == ["robots"]


def test_a_refusal_names_every_field_changed_meanwhile_each_with_its_value_now(signed_in, job):
    """In the form's order, a choice by its label. A value written right to left is followed by
    a left-to-right mark: the words after it took its direction. A box ticked meanwhile as the
    page ticked it is no refusal."""
    page = form_as_sent(signed_in.get(edit_url(job)).content, "main form.stacked")
    Job.objects.filter(pk=job.pk).update(
        tags=["روبوتات", "python"], featured=True, remote_policy=Job.RemotePolicy.HYBRID
    )

    refused = signed_in.post(
        edit_url(job), {**page, "tags": "go", "featured": "on", "remote_policy": "remote"}
    )

    assert (
        "Nothing was saved: “Remote policy” (now “Hybrid”), “Tags” (now “روبوتات, python”\u200e) "
        + CHANGED_MEANWHILE
    ) in parsed(refused).get_text()
    job.refresh_from_db()
    assert job.tags == ["روبوتات", "python"] and job.remote_policy == "hybrid"


@pytest.mark.parametrize(
    ("meanwhile", "said"),
    [("", "empty"), ("\u202eGehalt 80 000 €\u202c", "“Gehalt 80 000 €”")],
    ids=["emptied", "direction-override"],
)
def test_a_refusal_says_a_value_emptied_or_overridden_meanwhile_as_it_reads(
    signed_in, job, meanwhile, said
):
    """An emptied note reads "empty", not a pair of quotes around nothing; a direction override
    saved with the note (stored before pages took them out) reversed the message's words after
    it, and is not shown."""
    Job.objects.filter(pk=job.pk).update(compensation_note="€60k")
    page = form_as_sent(signed_in.get(edit_url(job)).content, "main form.stacked")
    Job.objects.filter(pk=job.pk).update(compensation_note=meanwhile)

    refused = signed_in.post(edit_url(job), {**page, "compensation_note": "Lön 70 000 kr"})

    assert f"“Compensation note” (now {said}) {CHANGED_MEANWHILE}" in parsed(refused).get_text()
    assert Job.objects.get(pk=job.pk).compensation_note == meanwhile


@pytest.mark.parametrize(
    "meanwhile",
    [["€80k", "€60k"], ["Lön 70 000 kr"]],
    ids=["changed and changed back", "changed the same"],
)
def test_a_field_changed_back_or_the_same_meanwhile_is_saved(signed_in, job, meanwhile):
    """Nothing of another change would be undone: saved, as any change."""
    Job.objects.filter(pk=job.pk).update(compensation_note="€60k")
    page = form_as_sent(signed_in.get(edit_url(job)).content, "main form.stacked")
    for value in meanwhile:
        Job.objects.filter(pk=job.pk).update(compensation_note=value)

    response = signed_in.post(edit_url(job), {**page, "compensation_note": "Lön 70 000 kr"})

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.compensation_note == "Lön 70 000 kr"


def test_a_page_opened_before_a_sync_saves_its_changes(signed_in, acme, job, fake_greenhouse):
    """A sync writes only Greenhouse's fields: the site's, as the page showed them, are no
    change made meanwhile, though the sync renamed the job and moved it to a remote office."""
    page = form_as_sent(signed_in.get(edit_url(job)).content, "main form.stacked")
    post = next(
        post for post in fake_greenhouse.jobs("acme-robotics") if post["id"] == job.greenhouse_id
    )
    post["title"], post["location"] = "Ingénieur·e robotique", {"name": "Remote (Köln)"}
    post["metadata"] = None
    fake_greenhouse.touch("acme-robotics")
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.updated == 1

    response = signed_in.post(
        edit_url(job), {**page, "compensation_note": "Lön 70 000 kr", "tags": "öl, ß"}
    )

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.title == "Ingénieur·e robotique" and job.greenhouse_remote_policy == "remote"
    assert (job.compensation_note, job.tags) == ("Lön 70 000 kr", ["öl", "ß"])


@pytest.mark.parametrize(
    ("opened_from", "back_to"),
    [
        ("?page=2", "/manage/acme/jobs/?page=2"),
        ("", "/manage/acme/jobs/"),
        ("?page=1", "/manage/acme/jobs/"),
        ("?page=//evil.example", "/manage/acme/jobs/"),
        ("?page=" + "9" * 5000, "/manage/acme/jobs/"),
    ],
)
def test_a_saved_job_leads_back_to_the_page_of_the_list_it_was_opened_from(
    signed_in, job, opened_from, back_to
):
    response = signed_in.post(edit_url(job) + opened_from, {"featured": "on"})
    page = BeautifulSoup(signed_in.get(edit_url(job) + opened_from).content, "html.parser")

    assert response.status_code == 302 and response["Location"] == back_to
    assert page.select_one("form.stacked a.button")["href"] == back_to


def test_the_jobs_list_links_each_job_with_its_page(signed_in, acme, job, monkeypatch):
    monkeypatch.setattr(manage_views, "JOBS_PER_PAGE", 4)

    page = BeautifulSoup(signed_in.get("/manage/acme/jobs/?page=2").content, "html.parser")

    links = [a["href"] for a in page.select(".jobs-table tbody th a")]
    assert links and all(link.endswith("/edit/?page=2") for link in links)


def test_the_jobs_lists_page_links_say_page_without_the_arrows(signed_in, job, monkeypatch):
    """Read out of a list of the page's links, "Previous" alone says little, and a screen reader
    reads "←" out ("left arrow"): the visitors' page links say "Previous page" too."""
    monkeypatch.setattr(manage_views, "JOBS_PER_PAGE", 2)

    page = BeautifulSoup(signed_in.get("/manage/acme/jobs/?page=2").content, "html.parser")

    assert [spoken_text(a) for a in page.select("nav.pagination a")] == [
        "Previous page",
        "Next page",
    ]


def test_the_jobs_lists_page_links_lead_to_its_first_and_last_pages(signed_in, job, monkeypatch):
    """As the visitors' page links do (public/_pagination.html): deep in a long list, its first
    page was as many "Previous page" away. Each by its own address, the words as their names."""
    monkeypatch.setattr(manage_views, "JOBS_PER_PAGE", 1)

    response = signed_in.get("/manage/acme/jobs/?page=3")

    links = BeautifulSoup(response.content, "html.parser").select("nav.pagination a")
    last = response.context["page"].paginator.num_pages
    assert last > 4
    assert [(spoken_text(a), a["href"]) for a in links] == [
        ("First page", "/manage/acme/jobs/"),
        ("Previous page", "?page=2"),
        ("Next page", "?page=4"),
        ("Last page", f"?page={last}"),
    ]


def test_the_jobs_lists_previous_page_link_to_page_1_is_the_lists_own_address(
    signed_in, job, monkeypatch
):
    """It linked to ?page=1, a second address of the first page."""
    monkeypatch.setattr(manage_views, "JOBS_PER_PAGE", 2)

    page = BeautifulSoup(signed_in.get("/manage/acme/jobs/?page=2").content, "html.parser")

    assert [a["href"] for a in page.select("nav.pagination a")] == [
        "/manage/acme/jobs/",
        "?page=3",
    ]


@pytest.mark.parametrize("below", ["0", "-3"])
def test_a_page_below_1_of_the_jobs_list_is_its_first_page(signed_in, job, monkeypatch, below):
    """Paginator.get_page() gave ?page=0 the last page, as it did the visitors' lists."""
    monkeypatch.setattr(manage_views, "JOBS_PER_PAGE", 4)

    page = BeautifulSoup(signed_in.get(f"/manage/acme/jobs/?page={below}").content, "html.parser")

    assert page.select_one("nav.pagination > span").get_text() == "Page 1 of 2"
    assert page.title.string == "Jobs · Acme Robotics · orgsite"


def test_a_later_page_of_the_jobs_list_says_its_number_in_the_title(signed_in, job, monkeypatch):
    """The title is what a screen reader says first, and what tells apart two open tabs; the
    visitors' lists say their page number there too."""
    monkeypatch.setattr(manage_views, "JOBS_PER_PAGE", 4)

    first = BeautifulSoup(signed_in.get("/manage/acme/jobs/").content, "html.parser")
    second = BeautifulSoup(signed_in.get("/manage/acme/jobs/?page=2").content, "html.parser")

    assert first.title.string == "Jobs · Acme Robotics · orgsite"
    assert second.title.string == "Jobs, page 2 · Acme Robotics · orgsite"


def test_a_save_sent_without_the_values_the_page_showed_writes_every_field(signed_in, job):
    """A page served before the form sent them, or a script: unticking and emptying still count."""
    Job.objects.filter(pk=job.pk).update(featured=True, compensation_note="€70k", tags=["a"])

    response = signed_in.post(edit_url(job), {"tags": "b"})

    assert response.status_code == 302
    job.refresh_from_db()
    assert not job.featured and job.compensation_note == "" and job.tags == ["b"]


def test_a_save_sent_without_one_of_the_values_shown_still_writes_that_field(signed_in, job):
    """A page served before that field's value shown was sent: unticking it still counts."""
    Job.objects.filter(pk=job.pk).update(featured=True)
    sent = form_as_sent(signed_in.get(edit_url(job)).content, "main form.stacked")
    del sent["featured"], sent["initial-featured"]

    response = signed_in.post(edit_url(job), sent)

    assert response.status_code == 302
    job.refresh_from_db()
    assert not job.featured


def test_a_save_without_the_values_shown_refused_then_corrected_keeps_its_changes(signed_in, job):
    """The page shown again with the error must not take the refused values as the ones shown:
    saved once corrected, the box ticked the first time would count as unchanged."""
    refused = signed_in.post(edit_url(job), {"featured": "on", "compensation_note": "€" * 301})
    corrected = {**form_as_sent(refused.content, "main form.stacked"), "compensation_note": "€60k"}

    response = signed_in.post(edit_url(job), corrected)

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.featured and job.compensation_note == "€60k"


def test_saving_a_job_unchanged_says_nothing_changed_and_writes_nothing(signed_in, job):
    """It said "Saved “…”." though nothing was."""
    form = form_as_sent(signed_in.get(edit_url(job)).content, "main form.stacked")
    before = Organization.objects.get(pk=job.organization_id).listing_changed_at

    response = signed_in.post(edit_url(job), form, follow=True)

    html = response.content.decode()
    assert f"Nothing changed: “{job.title}” stays as it is." in html
    assert "Saved “" not in html
    assert response.redirect_chain == [("/manage/acme/jobs/", 302)]
    assert Organization.objects.get(pk=job.organization_id).listing_changed_at == before


@pytest.mark.parametrize(
    ("stored", "typed", "saved"),
    [
        ({"compensation_note": "€60k\x07  "}, {"compensation_note": "€60k"}, "€60k"),
        ({"tags": ["python", "Python "]}, {"tags": "python"}, ["python"]),
    ],
)
def test_a_value_stored_before_its_cleaning_is_saved_once_typed_cleaned(
    signed_in, job, stored, typed, saved
):
    """Stored by older code (a control character and spaces at its end, a tag twice), it was
    compared as the field cleans it: its cleaned form typed over it was "Nothing changed", and
    it stayed for good."""
    Job.objects.filter(pk=job.pk).update(**stored)
    form = form_as_sent(signed_in.get(edit_url(job)).content, "main form.stacked")

    response = signed_in.post(edit_url(job), {**form, **typed}, follow=True)

    assert f"Saved “{job.title}”." in response.content.decode()
    job.refresh_from_db()
    [name] = stored
    assert getattr(job, name) == saved


def test_a_value_stored_before_its_cleaning_and_replaced_meanwhile_stays_replaced(signed_in, job):
    """Sent as shown, it is saved cleaned only if still stored as shown: a tab left open does
    not put back what another tab saved since."""
    Job.objects.filter(pk=job.pk).update(compensation_note="€60k  ")
    form = form_as_sent(signed_in.get(edit_url(job)).content, "main form.stacked")
    Job.objects.filter(pk=job.pk).update(compensation_note="€80k")  # from another tab

    signed_in.post(edit_url(job), {**form, "featured": "on"})

    job.refresh_from_db()
    assert job.featured and job.compensation_note == "€80k"


def test_a_refused_edit_shows_the_job_as_it_is_saved(signed_in, job):
    """Ticking Hidden in a form sent back for another field hides nothing yet."""
    response = signed_in.post(edit_url(job), {"hidden": "on", "compensation_note": "€" * 301})

    links = BeautifulSoup(response.content, "html.parser").select_one(".job-links")
    assert "Hidden" not in links.get_text()
    assert links.select_one("a")["href"] == f"/orgs/acme/jobs/{job.greenhouse_id}/"


# --- The sitemap dates an edit ------------------------------------------------------------------


def sitemap_lastmod(client: Client, job: Job) -> str | None:
    cache.clear()  # the dates alone: the pages' cache has tests of its own (test_public_caching)
    return sitemap_entries(client)[f"http://testserver{job.get_absolute_url()}"]


@in_both_edit_forms
@pytest.mark.parametrize(
    "edit",
    [{"compensation_note": "€70k"}, {"tags": "python"}, {"remote_policy": "remote"}],
    ids=["compensation", "tags", "remote policy"],
)
def test_an_edit_of_what_the_jobs_page_shows_dates_it_in_the_sitemap(
    client_fixture, url, selector, edit, request, acme, job, fake_greenhouse
):
    """Its lastmod was Greenhouse's last change alone: a search engine was told the page had
    not changed since. A sync after the edit leaves the date of the edit as it is."""
    client, url = request.getfixturevalue(client_fixture), url.format(pk=job.pk)
    last_year = timezone.now() - timedelta(days=365)
    Job.objects.filter(pk=job.pk).update(greenhouse_updated_at=last_year, synced_at=last_year)
    form = form_as_sent(client.get(url).content, selector)

    assert client.post(url, {**form, **edit}).status_code == 302

    job.refresh_from_db()
    assert job.site_edited_at > last_year
    assert sitemap_lastmod(client, job) == timezone.localdate(job.site_edited_at).isoformat()
    (post,) = [
        post for post in fake_greenhouse.jobs("acme-robotics") if post["id"] == job.greenhouse_id
    ]
    post["title"] = "Renamed in Greenhouse"
    fake_greenhouse.touch("acme-robotics")
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.updated == 1
    assert Job.objects.get(pk=job.pk).site_edited_at == job.site_edited_at


@in_both_edit_forms
def test_featuring_a_job_leaves_its_date_in_the_sitemap(
    client_fixture, url, selector, request, job
):
    """It does not show on the job's own page: featured shows in the lists, dated by the org's
    listing."""
    client, url = request.getfixturevalue(client_fixture), url.format(pk=job.pk)
    last_year = timezone.now() - timedelta(days=365)
    Job.objects.filter(pk=job.pk).update(greenhouse_updated_at=last_year, synced_at=last_year)
    form = form_as_sent(client.get(url).content, selector)

    assert client.post(url, {**form, "featured": "on"}).status_code == 302

    job.refresh_from_db()
    assert job.featured and job.site_edited_at is None
    assert sitemap_lastmod(client, job) == timezone.localdate(last_year).isoformat()


@in_both_edit_forms
def test_showing_a_hidden_job_again_dates_it_in_the_sitemap(
    client_fixture, url, selector, request, job
):
    """Its page was a 404 while hidden: dated as before, a crawler that saw the 404 was told
    the page had not changed since."""
    client, url = request.getfixturevalue(client_fixture), url.format(pk=job.pk)
    last_year = timezone.now() - timedelta(days=365)
    Job.objects.filter(pk=job.pk).update(
        hidden=True, greenhouse_updated_at=last_year, synced_at=last_year
    )
    form = form_as_sent(client.get(url).content, selector)
    del form["hidden"]  # unticked

    assert client.post(url, form).status_code == 302

    job.refresh_from_db()
    assert not job.hidden and job.site_edited_at > last_year
    assert sitemap_lastmod(client, job) == timezone.localdate(job.site_edited_at).isoformat()


@in_both_edit_forms
def test_a_compensation_note_that_shows_nothing_over_none_is_no_change(
    client_fixture, url, selector, request, acme, job
):
    """It is saved as "", as it was: the form counted it a change, which dated the job's page
    and the org's listing."""
    client, url = request.getfixturevalue(client_fixture), url.format(pk=job.pk)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Organization.objects.filter(pk=acme.organization_id).update(listing_changed_at=an_hour_ago)
    form = form_as_sent(client.get(url).content, selector)

    assert client.post(url, {**form, "compensation_note": "\u200b\u2060 "}).status_code == 302

    job.refresh_from_db()
    assert job.compensation_note == "" and job.site_edited_at is None
    assert Organization.objects.get(pk=acme.organization_id).listing_changed_at == an_hour_ago


@in_both_edit_forms
def test_a_stored_compensation_note_that_shows_nothing_is_cleared_by_a_save(
    client_fixture, url, selector, request, client, job
):
    """Saved before such notes were refused, it shows visitors an empty "Compensation". Read as
    empty in what the page showed too, it equalled anything sent that shows nothing, and no
    save could clear it."""
    Job.objects.filter(pk=job.pk).update(compensation_note="\u200b")
    editor, url = request.getfixturevalue(client_fixture), url.format(pk=job.pk)
    form = form_as_sent(editor.get(url).content, selector)

    assert editor.post(url, {**form, "compensation_note": ""}).status_code == 302

    job.refresh_from_db()
    assert job.compensation_note == ""
    assert "Compensation" not in client.get(job.get_absolute_url()).content.decode()


# --- An edit and a sync at the same time --------------------------------------------------------


def a_sync_writes_before_the_edit(job: Job) -> tuple[list[str], Any]:
    """An execute wrapper: just before the edit's UPDATE of the job, a sync renames and closes
    it (as a sync's transaction committing while the edit waited for the row would)."""
    synced = []

    def sync_first(execute, sql, params, many, context):
        if sql.startswith('UPDATE "jobs_job" SET') and not synced:
            synced.append(sql)  # once: the sync's own UPDATE passes through here too
            Job.objects.filter(pk=job.pk).update(
                title="Renamed in Greenhouse", payload_hash="f" * 64, is_open=False
            )
        return execute(sql, params, many, context)

    return synced, sync_first


@pytest.mark.parametrize(
    ("client_fixture", "url"),
    [
        ("signed_in", "/manage/acme/jobs/{pk}/edit/"),
        ("superuser_client", "/admin/jobs/job/{pk}/change/"),
    ],
)
def test_an_edit_saved_while_a_sync_ran_keeps_what_the_sync_wrote(
    client_fixture, url, request, job
):
    """The edit writes only the site's fields: writing back the title and payload hash it read
    would stick, since the next sync would find the board unchanged."""
    client = request.getfixturevalue(client_fixture)
    synced, sync_first = a_sync_writes_before_the_edit(job)

    with db_connection.execute_wrapper(sync_first):
        response = client.post(
            url.format(pk=job.pk), {"featured": "on", "remote_policy": "", "tags": "python"}
        )

    assert response.status_code == 302 and synced
    job.refresh_from_db()
    assert (job.title, job.payload_hash, job.is_open) == ("Renamed in Greenhouse", "f" * 64, False)
    assert job.featured and job.tags == ["python"]


# --- Django's admin keeps the same rule --------------------------------------------------------


@pytest.fixture
def superuser_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return client


def test_the_admin_cannot_delete_a_job_the_next_sync_would_bring_back_bare(superuser_client, job):
    """Deleted, it would return as a new job without its featured flag, tags or notes."""
    assert superuser_client.get(f"/admin/jobs/job/{job.pk}/delete/").status_code == 403
    change_page = superuser_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert "deletelink" not in change_page
    assert "delete_selected" not in superuser_client.get("/admin/jobs/job/").content.decode()
    superuser_client.post(
        "/admin/jobs/job/",
        {"action": "delete_selected", "_selected_action": [job.pk], "post": "yes"},
    )
    assert Job.objects.filter(pk=job.pk).exists()


def test_the_admin_cannot_add_a_job_greenhouse_did_not_post(superuser_client, job):
    """Jobs come from a board only: one added here would have no post to apply on."""
    list_page = superuser_client.get("/admin/jobs/job/").content.decode()

    assert superuser_client.get("/admin/jobs/job/add/").status_code == 403
    assert 'href="/admin/jobs/job/add/"' not in list_page


@pytest.mark.parametrize("model", ["department", "office"])
def test_the_admin_shows_departments_and_offices_read_only(superuser_client, job, model):
    """The sync rewrites them only when a post listing them changes: an edit would stand."""
    unit = (job.departments if model == "department" else job.offices).first()
    url = f"/admin/jobs/{model}/{unit.pk}"
    page = superuser_client.get(f"{url}/change/")

    assert page.status_code == 200 and unit.name in page.content.decode()
    assert superuser_client.post(f"{url}/change/", {"name": "Edited"}).status_code == 403
    assert superuser_client.get(f"{url}/delete/").status_code == 403
    assert "deletelink" not in page.content.decode()
    assert superuser_client.get(f"/admin/jobs/{model}/add/").status_code == 403
    unit.refresh_from_db()
    assert unit.name != "Edited"


def test_view_on_site_opens_the_public_pages(superuser_client, job):
    """The organization's link went to its JSON list."""
    for model, obj, page in [
        ("organization", job.organization, "/orgs/acme/"),
        ("job", job, f"/orgs/acme/jobs/{job.greenhouse_id}/"),
    ]:
        change_page = superuser_client.get(f"/admin/jobs/{model}/{obj.pk}/change/")
        view_on_site = re.search(
            r'href="([^"]+)" class="viewsitelink"', change_page.content.decode()
        )
        response = superuser_client.get(view_on_site.group(1))

        assert response.status_code == 302 and response["Location"].endswith(page), model


def test_the_admin_change_form_has_no_title_or_description_inputs(superuser_client, job):
    page = superuser_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert job.title in page
    assert not re.search(r'name="(title|description_html)"', page)
    assert re.search(r'name="featured"', page)


def test_the_admin_shows_the_remote_policy_an_empty_choice_follows(superuser_client, job):
    response = superuser_client.get(f"/admin/jobs/job/{job.pk}/change/")

    greenhouse_field = BeautifulSoup(response.content, "html.parser").select_one(
        ".field-greenhouse_remote_policy"
    )
    assert greenhouse_field.label.get_text() == "Greenhouse remote policy:"
    assert greenhouse_field.select_one(".readonly").get_text() == "Hybrid"
    assert empty_remote_policy_choice(response.content) == "As Greenhouse says: Hybrid"


def test_the_admins_remote_policy_filter_reads_it_as_visitors_see_it(superuser_client, job):
    onsite = Job.objects.exclude(pk=job.pk).filter(organization=job.organization).first()
    Job.objects.filter(pk=onsite.pk).update(remote_policy="onsite", greenhouse_remote_policy="")
    Job.objects.filter(pk=job.pk).update(remote_policy="", greenhouse_remote_policy="hybrid")

    def listed(policy: str) -> set[int]:
        response = superuser_client.get("/admin/jobs/job/", {"remote": policy})
        return {row.pk for row in response.context["cl"].result_list}

    assert job.pk in listed("hybrid") and onsite.pk not in listed("hybrid")
    assert job.pk not in listed("none")  # Greenhouse's policy, the site choosing none
    assert onsite.pk in listed("onsite") and job.pk not in listed("onsite")
    Job.objects.filter(pk=job.pk).update(remote_policy="remote")  # the site's choice wins
    assert job.pk in listed("remote") and job.pk not in listed("hybrid")
    unspecified = Job.objects.exclude(pk__in=[job.pk, onsite.pk]).first()
    Job.objects.filter(pk=unspecified.pk).update(remote_policy="", greenhouse_remote_policy="")
    assert unspecified.pk in listed("none") and not {job.pk, onsite.pk} & listed("none")
    page = superuser_client.get("/admin/jobs/job/", {"remote": "remote"}).content.decode()
    assert '<td class="field-remote">Remote</td>' in page


def test_the_admins_job_list_says_which_open_jobs_are_past_their_deadline(superuser_client, job):
    """Open on the board, but visitors no longer see it: as the org's own jobs page says."""
    past, closed = Job.objects.exclude(pk=job.pk)[:2]
    Job.objects.filter(pk=past.pk).update(application_deadline=timezone.now() - timedelta(days=1))
    Job.objects.filter(pk=closed.pk).update(is_open=False)

    page = BeautifulSoup(superuser_client.get("/admin/jobs/job/").content, "html.parser")

    status = {
        row.select_one(".field-title").get_text(): row.select_one(".field-status").get_text()
        for row in page.select("#result_list tbody tr")
    }
    assert status[job.title] == "Open"
    assert status[past.title] == "Deadline passed"
    assert status[closed.title] == "Closed"


def test_staff_who_may_only_view_a_job_see_both_remote_policies(client, job):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_job"))
    client.force_login(viewer)

    page = BeautifulSoup(client.get(f"/admin/jobs/job/{job.pk}/change/").content, "html.parser")

    assert page.select_one(".field-greenhouse_remote_policy .readonly").get_text() == "Hybrid"
    assert page.select_one(".field-remote_policy .readonly").get_text() == "Not specified"


def test_a_forged_admin_post_does_not_change_title_or_description(superuser_client, job):
    title, description = job.title, job.description_html
    response = superuser_client.post(
        f"/admin/jobs/job/{job.pk}/change/",
        {
            "title": "Forged in admin",
            "description_html": "<b>forged</b>",
            "featured": "on",
            "remote_policy": "",
            "compensation_note": "",
            "tags": "",
        },
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.title, job.description_html) == (title, description)
    assert job.featured


def test_no_django_admin_page_offers_a_greenhouse_field_to_edit(rf, job):
    """A job's own page, a list's inline editing or another model's inline rows: none may take
    title, description or any other field each sync overwrites."""
    request = rf.get("/admin/")
    request.user = User.objects.create_superuser("root", "root@example.com", "x")
    greenhouse_fields = set(Job.GREENHOUSE_FIELDS)
    for model_admin in admin.site._registry.values():
        for page in [model_admin, *model_admin.get_inline_instances(request)]:
            if page.model is not Job:
                continue
            if page is model_admin:
                form = page.get_form(request, job)
                assert not greenhouse_fields & set(page.list_editable)
            else:
                form = page.get_formset(request).form
            assert not greenhouse_fields & set(form.base_fields), type(page).__name__


def test_a_forged_admin_list_edit_does_not_change_title_or_description(superuser_client, job):
    """Django's list saves the rows posted for its inline editing only when it has some."""
    title, description = job.title, job.description_html
    response = superuser_client.post(
        "/admin/jobs/job/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(job.pk),
            "form-0-title": "Forged in the list",
            "form-0-description_html": "<b>forged</b>",
            "_save": "Save",
        },
    )
    assert response.status_code in (200, 302)
    job.refresh_from_db()
    assert (job.title, job.description_html) == (title, description)


@pytest.mark.parametrize(
    ("typed", "saved"),
    [("", []), (" robots, Python ,python", ["robots", "Python"]), ("5", ["5"])],
)
def test_the_admin_reads_tags_as_the_org_admin_page_does(superuser_client, job, typed, saved):
    """Typed as "a, b", never as JSON: an emptied box is no tags, not a NOT NULL error."""
    response = superuser_client.post(
        f"/admin/jobs/job/{job.pk}/change/", {"remote_policy": "", "tags": typed}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.tags == saved


def test_the_admin_refuses_tags_the_org_admin_page_refuses(superuser_client, job):
    response = superuser_client.post(
        f"/admin/jobs/job/{job.pk}/change/", {"remote_policy": "", "tags": "x" * 51}
    )
    assert response.status_code == 200 and "at most 50 characters" in response.content.decode()


@pytest.mark.parametrize(
    ("editor", "url"),
    [
        ("signed_in", "/manage/acme/jobs/{pk}/edit/"),
        ("superuser_client", "/admin/jobs/job/{pk}/change/"),
    ],
)
def test_keyword_search_finds_a_job_by_the_tags_saved_on_either_page(request, job, editor, url):
    """By the tags saved, not by those they replaced: each save keeps the tags' words."""
    client = request.getfixturevalue(editor)

    def save_tags(typed: str) -> None:
        response = client.post(url.format(pk=job.pk), {"remote_policy": "", "tags": typed})
        assert response.status_code == 302

    def found(query: str) -> list[str]:
        return [found.title for found in job_search(query=query)]

    save_tags("Night owls, Télétravail")
    assert found("teletravail night") == [job.title]

    save_tags("Weekend crew")
    assert found("weekend") == [job.title]
    assert found("night") == found("teletravail") == []


def test_the_admin_pages_name_the_zone_of_their_times(signed_in, job, settings):
    """As the sync status above them does ("12:00 UTC"): a bare 08:00 reads as the reader's own
    time. The jobs table, a job's page and the sync history say the site's zone."""
    settings.TIME_ZONE = "America/New_York"
    noon_utc = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    Job.objects.filter(pk=job.pk).update(
        greenhouse_updated_at=noon_utc, application_deadline=noon_utc
    )
    SyncRun.objects.update(started_at=datetime(2026, 7, 1, 13, 0, tzinfo=UTC))

    assert "1 Jul 2026, 08:00 EDT" in signed_in.get("/manage/acme/jobs/").content.decode()
    job_page = signed_in.get(edit_url(job)).content.decode()
    assert job_page.count("1 Jul 2026, 08:00 EDT") == 2  # updated, and the deadline passed
    assert "1 Jul 2026, 09:00:00 EDT" in signed_in.get("/manage/acme/history/").content.decode()


def test_the_admin_pages_name_the_zone_of_a_time_in_the_hour_a_fall_back_repeats(
    signed_in, job, settings
):
    """Django's date filter names no zone of a time the clock reads twice: "1 Nov 2026, 01:30 "
    was said of 01:30 EDT and of 01:30 EST, an hour apart."""
    settings.TIME_ZONE = "America/New_York"
    in_est = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EDT was an hour before
    Job.objects.filter(pk=job.pk).update(greenhouse_updated_at=in_est, application_deadline=in_est)
    SyncRun.objects.update(started_at=in_est)

    assert "1 Nov 2026, 01:30 EST" in signed_in.get("/manage/acme/jobs/").content.decode()
    assert signed_in.get(edit_url(job)).content.decode().count("1 Nov 2026, 01:30 EST") == 2
    assert "1 Nov 2026, 01:30:00 EST" in signed_in.get("/manage/acme/history/").content.decode()
    # None is no time, as the date filter has it: localtime() reads it as now.
    Job.objects.filter(pk=job.pk).update(greenhouse_updated_at=None)
    job_page = BeautifulSoup(signed_in.get(edit_url(job)).content, "html.parser")
    updated = job_page.find(lambda tag: tag.name == "dt" and "Updated in" in tag.get_text())
    assert updated.find_next_sibling("dd").get_text() == "—"


@pytest.mark.parametrize("value", [None, "", datetime(2026, 7, 1, 8, 0)])
def test_a_time_with_its_zone_is_written_as_the_date_filter_writes_what_is_no_aware_time(
    settings, value
):
    """The filter, used in place of date:"… T", read every value with localtime(), which
    refuses a naive time (a ValueError) and a string: one such value failed the page or the
    email where the date filter wrote it ("1 Jul 2026 EDT", nothing)."""
    settings.TIME_ZONE = "America/New_York"
    as_date = Template('{{ value|date:"j M Y T" }}').render(Context({"value": value}))

    written = Template('{% load html_time %}{{ value|date_and_zone:"j M Y" }}')
    assert written.render(Context({"value": value})) == as_date


def test_the_admin_shows_when_a_sync_last_changed_a_job(superuser_client, job):
    """Staff asked why a title changed, or a job closed, that nobody here touched."""
    Job.objects.filter(pk=job.pk).update(synced_at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC))

    change_page = superuser_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()

    assert "Last changed by a sync:" in change_page
    assert "March 4, 2026, 5:06 a.m." in change_page


def test_the_history_of_one_sync_speaks_of_it_alone(signed_in, acme, job):
    """Not "The 1 most recent sync, newest first."."""
    history = BeautifulSoup(signed_in.get("/manage/acme/history/").content, "html.parser")
    assert "The most recent sync." in spoken_text(history)

    sync_organization(acme, trigger=SyncRun.Trigger.MANUAL)
    history = BeautifulSoup(signed_in.get("/manage/acme/history/").content, "html.parser")
    assert "The 2 most recent syncs, newest first." in spoken_text(history)
