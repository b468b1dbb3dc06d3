"""Visitor pages: home, organizations, an org's page, job pages (open, closed, unknown), and
query counts that do not grow with the number of jobs."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.template.loader import get_template
from django.test import Client
from django.utils import timezone

from jobs import views
from jobs.models import Department, Job, Office, Organization
from jobs.sanitize import ALLOWED_TAGS
from jobs.templatetags.html_time import datetime_attribute
from jobs.templatetags.job_language import DIRECTION_READ_CHARACTERS, names_direction_attribute
from jobs.text import first_strong_direction
from orgsite.logging import PermissionDeniedFilter
from tests.support.helpers import spoken_text
from tests.support.public_jobs import make_job, make_many_jobs, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db) -> Organization:
    return Organization.objects.create(name="Harbor Tools", slug="harbor")


def job_page_url(job: Job) -> str:
    return f"/orgs/{job.organization.slug}/jobs/{job.greenhouse_id}/"


# --- Home and organizations -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("/", "orgsite"),
        ("/jobs/", "Jobs"),
        ("/jobs/?q=tools&page=2", "Jobs"),
        ("/orgs/", "Organizations"),
        ("/orgs/harbor/", None),  # an org's page: none of the links leads to it
        ("/accounts/login/", "Sign in"),
        ("/accounts/signup/", "Sign up"),
        ("/no-such-page/", None),
    ],
)
def test_the_site_navigation_marks_the_link_to_the_page_shown(client, org, url, current):
    """As the org admin pages' tabs do: a screen reader said "Jobs, link" on the jobs page, and
    a sighted visitor saw no sign of where they were."""
    page = BeautifulSoup(client.get(url).content, "html.parser")

    marked = page.select(".site-nav [aria-current]")
    assert [(link.get_text(), link["aria-current"]) for link in marked] == (
        [(current, "page")] if current else []
    )


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/"])
def test_the_site_navigation_marks_no_link_on_an_error_page_at_a_linked_address(db, url):
    """A sign-in posted with an expired form gets the "Form expired" page at /accounts/login/:
    it marked "Sign in" as the page shown, and a screen reader said so of an error page."""
    response = Client(enforce_csrf_checks=True).post(url, {"username": "nora"})

    assert response.status_code == 403
    page = BeautifulSoup(response.content, "html.parser")
    assert page.select(".site-nav [aria-current]") == []
    assert [link.get_text() for link in page.select(".site-nav a")] == [
        "orgsite",
        "Jobs",
        "Organizations",
        "Sign in",
        "Sign up",
    ]


def test_the_site_navigation_marks_manage_on_the_list_of_ones_orgs(client, org):
    client.force_login(User.objects.create_user("nora", "nora@harbor.example", "x"))
    page = BeautifulSoup(client.get("/manage/").content, "html.parser")
    assert [link.get_text() for link in page.select(".site-nav [aria-current=page]")] == ["Manage"]
    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")
    assert [link.get_text() for link in page.select(".site-nav [aria-current=page]")] == ["Jobs"]


def test_home_lists_hiring_orgs_and_recent_jobs_with_a_search_box(client, synced_acme, org):
    newest = Job.objects.order_by("-first_published_at").first()

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<form class="search-form" role="search" method="get" action="/jobs/">' in html
    assert '<label for="home-search">' in html
    assert "Acme Robotics" in html and "6 open roles" in html
    assert "Harbor Tools" not in html  # no open jobs: not "hiring"
    assert [job.pk for job in response.context["recent_jobs"]][0] == newest.pk
    assert f'href="{job_page_url(newest)}"' in html


def test_home_lists_only_the_ten_newest_jobs(client, org):
    """The home page is not a second, unpaginated list of every job."""
    for age in range(12):
        make_job(org, f"Role {age:02d}", first_published_at=timezone.now() - timedelta(days=age))

    recent = client.get("/").context["recent_jobs"]

    assert [job.title for job in recent] == [f"Role {age:02d}" for age in range(10)]


def test_home_lists_the_orgs_with_the_most_open_jobs_and_links_to_every_org(
    client, org, monkeypatch
):
    """It listed every org hiring: 5,000 of 10,000 orgs made a page of 630 KB."""
    monkeypatch.setattr(views, "HOME_ORGANIZATIONS", 3)
    for name, jobs in [("Calm", 1), ("Busy", 3), ("Birch", 2), ("Alder", 2)]:
        hiring = Organization.objects.create(name=name, slug=name.lower())
        for n in range(jobs):
            make_job(hiring, f"Role {n}")

    soup = BeautifulSoup(client.get("/").content, "html.parser")

    listed = [item.a.get_text() for item in soup.select(".org-directory li")]
    assert listed == ["Busy", "Alder", "Birch"]  # the most open jobs first, then by name
    assert soup.find(id="organizations-heading").string == "Organizations with the most open jobs"
    assert soup.find("a", string="See all 5 organizations")["href"] == "/orgs/"


def test_home_says_organizations_hiring_when_it_lists_every_org_hiring(client, org, monkeypatch):
    """Not "the most open jobs" when no org hiring is left out; /orgs/ adds those not hiring."""
    monkeypatch.setattr(views, "HOME_ORGANIZATIONS", 3)
    for name in ("Alder", "Birch", "Calm"):
        make_job(Organization.objects.create(name=name, slug=name.lower()), "Role")

    soup = BeautifulSoup(client.get("/").content, "html.parser")

    assert soup.find(id="organizations-heading").string == "Organizations hiring"
    assert soup.find("a", string="See all 4 organizations")["href"] == "/orgs/"


def test_home_has_no_link_to_every_org_when_it_lists_them_all(client, org):
    """A link to all of them would lead to the same list; it read "See all 1 organization"."""
    make_job(org, "Role")

    soup = BeautifulSoup(client.get("/").content, "html.parser")

    assert soup.find(id="organizations-heading").string == "Organizations hiring"
    assert [item.a.get_text() for item in soup.select(".org-directory li")] == ["Harbor Tools"]
    assert not soup.select('main a[href="/orgs/"]')


def test_home_links_to_the_one_org_not_hiring(client, org):
    soup = BeautifulSoup(client.get("/").content, "html.parser")

    assert "No organization is hiring right now." in soup.select_one(".org-directory").get_text()
    assert soup.find("a", string="See the organization")["href"] == "/orgs/"


def test_the_organizations_page_lists_every_org_with_its_open_job_count(client, synced_acme, org):
    response = client.get("/orgs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/orgs/acme/"' in html and 'href="/orgs/harbor/"' in html
    assert "0 open roles" in html


def test_the_organizations_page_lists_the_orgs_page_by_page(client, db, monkeypatch):
    """Sized for 10,000 orgs: on one page, that many rows."""
    monkeypatch.setattr(views, "ORGANIZATIONS_PER_PAGE", 2)
    for n in range(5):
        Organization.objects.create(name=f"Org {n}", slug=f"org-{n}")

    response = client.get("/orgs/?page=2&utm_source=news")

    assert [org.slug for org in response.context["page"]] == ["org-2", "org-3"]
    page = BeautifulSoup(response.content, "html.parser")
    assert page.title.string == "Organizations, page 2 · orgsite"
    (pager,) = page.select("nav.page-links")
    assert pager["aria-label"] == "Pages of organizations"
    # Page 1 by its own address, as its canonical link gives it: not ?page=1.
    assert [a["href"] for a in pager.select("a")] == ["/orgs/", "?page=3"]
    assert "Page 2 of 3" in pager.get_text()


def test_orgs_are_listed_by_name_in_any_case_then_slug_on_every_database(client, org):
    """By name alone, "acme robotics" came after "Zephyr" where the database compares bytes
    (SQLite, PostgreSQL's "C.UTF-8"), beside "Acme Robotics" under other collations: every
    list of orgs puts them together, told apart by slug where names are shown alike."""
    Organization.objects.create(name="Acme Robotics", slug="acme-us")
    Organization.objects.create(name="Zephyr", slug="zephyr")
    Organization.objects.create(name="acme robotics", slug="acme")
    for organization in Organization.objects.all():
        make_job(organization, "Role", departments=(make_unit(Department, organization, "Ops"),))
    in_order = ["acme", "acme-us", "harbor", "zephyr"]

    home, orgs, jobs = (
        BeautifulSoup(client.get(path).content, "html.parser") for path in ("/", "/orgs/", "/jobs/")
    )

    for page in (home, orgs):
        links = page.select(".org-directory li a")
        assert [link["href"].split("/")[2] for link in links] == in_order
    options = [(option["value"], option.get_text()) for option in jobs.select("[name=org] option")]
    assert options[1:] == [
        ("acme", "acme robotics (acme)"),
        ("acme-us", "Acme Robotics (acme-us)"),
        ("harbor", "Harbor Tools"),
        ("zephyr", "Zephyr"),
    ]
    groups = [group["label"] for group in jobs.select("select[name=department] optgroup")]
    assert groups == [label for _, label in options[1:]]


def test_orgs_of_the_same_name_are_told_apart_by_slug_where_listed_together(client, org):
    """Two "Acme Robotics" were two links alike, to two pages, on the home page and /orgs/:
    as in the org filter, a name another org listed has too, in any case, is followed by its
    slug; one no other has is not."""
    for name, slug in (("Acme Robotics", "acme"), ("ACME Robotics", "acme-uk")):
        make_job(Organization.objects.create(name=name, slug=slug), "Role")
    make_job(org, "Role")
    told_apart = ["Acme Robotics (acme)", "ACME Robotics (acme-uk)", "Harbor Tools"]

    for path in ("/", "/orgs/"):
        page = BeautifulSoup(client.get(path).content, "html.parser")
        assert [a.get_text() for a in page.select(".org-directory li a")] == told_apart, path


# --- An org's page ----------------------------------------------------------------------------


def test_an_org_page_shows_the_org_and_its_open_jobs_grouped_by_department(client, synced_acme):
    hidden, closed = Job.objects.order_by("pk")[:2]
    Job.objects.filter(pk=hidden.pk).update(hidden=True)
    Job.objects.filter(pk=closed.pk).update(is_open=False)

    response = client.get("/orgs/acme/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 dir="auto">Acme Robotics</h1>' in html
    assert "Robot arms with a light touch." in html
    assert 'href="https://acme-robotics.example"' in html
    assert hidden.title not in html and closed.title.strip() not in html
    headings = [heading for heading, _ in response.context["job_groups"]]
    assert headings == sorted(headings) and ("Customer Success",) in headings
    for (heading,), jobs in response.context["job_groups"]:  # flat departments: no parents
        for job in jobs:
            assert heading in [d.name for d in job.departments.all()]
    assert "4 open jobs" in html


def test_featured_jobs_come_first_on_an_org_page(client, org):
    design = make_unit(Department, org, "Design")
    make_job(org, "Illustrator", departments=(design,))
    make_job(org, "Zoologist", featured=True)

    response = client.get("/orgs/harbor/")

    groups = response.context["job_groups"]
    assert [(heading, [job.title for job in jobs]) for heading, jobs in groups] == [
        (("Featured roles",), ["Zoologist"]),
        (("Design",), ["Illustrator"]),
    ]
    html = response.content.decode()
    assert html.index("Zoologist") < html.index("Illustrator")


def test_jobs_without_a_department_are_grouped_last(client, org):
    make_job(org, "Generalist")
    make_job(org, "Welder", departments=(make_unit(Department, org, "Workshop"),))

    response = client.get("/orgs/harbor/")

    headings = [heading for heading, _ in response.context["job_groups"]]
    assert headings == [("Workshop",), ("Other roles",)]


def test_a_job_in_several_departments_is_listed_once_under_the_first(client, org):
    design, sales = make_unit(Department, org, "Design"), make_unit(Department, org, "Sales")
    make_job(org, "Type Designer", departments=(sales, design))
    make_job(org, "Account Executive", departments=(sales,))

    response = client.get("/orgs/harbor/")

    groups = response.context["job_groups"]
    assert [(heading, [job.title for job in jobs]) for heading, jobs in groups] == [
        (("Design",), ["Type Designer"]),
        (("Sales",), ["Account Executive"]),
    ]


def test_an_org_without_open_jobs_says_so(client, org):
    make_job(org, "Gone", is_open=False)

    response = client.get("/orgs/harbor/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "No open roles right now." in html
    assert "job-filters" not in html  # nothing to filter


def test_the_home_page_says_no_organization_is_hiring_when_none_is(client, org):
    """It lists only the organizations hiring: with one on the site and no job open, it said
    "No organizations yet"."""
    make_job(org, "Gone", is_open=False)

    html = client.get("/").content.decode()

    assert "No organization is hiring right now." in html
    assert "No organizations yet." not in html


def test_a_job_in_many_departments_names_three_in_its_line_of_the_list(client, org):
    """A general application posted in each of 40 departments took a line of the list for each
    department, 40 on a phone; its page still names them all."""
    departments = tuple(make_unit(Department, org, f"Team {n:02d}") for n in range(5))
    job = make_job(org, "General application", departments=departments)
    make_job(org, "Welder", departments=departments[:3])
    make_job(org, "Fitter", departments=departments[:4])

    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")
    job_page = BeautifulSoup(client.get(job_page_url(job)).content, "html.parser")

    def line_of(title: str) -> list[str]:
        meta = page.find("a", string=title).find_parent("li").select_one(".job-item-meta")
        return [span.get_text() for span in meta.select(":scope > span:not(.meta-separator)")]

    assert line_of("General application")[1:5] == [  # after the org, before the date
        "Team 00",
        "Team 01",
        "Team 02",
        "and 2 more departments",
    ]
    assert "more department" not in " ".join(line_of("Welder"))
    assert line_of("Fitter")[4] == "and 1 more department"
    departments_fact = job_page.find("dt", string="Departments").find_next_sibling("dd")
    assert len(departments_fact.select("bdi")) == 5


def test_a_listed_job_located_remote_names_its_workplace_once(client, org):
    """Its location says it already: "Remote Remote" read as a glitch."""
    dates = {"first_published_at": None}  # not posted on a date: the meta names the place alone
    make_job(org, "Writer", location_name="Remote", remote_policy="remote", **dates)
    make_job(org, "Editor", location_name="Lyon", remote_policy="remote", **dates)

    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")
    metas = {
        item.a.get_text(): spoken_text(item.select_one(".job-item-meta"))
        for item in page.select(".job-item")
    }
    # The commas said between the parts, as a sentence writes them (no blank before one).
    assert metas == {"Writer": "Harbor Tools, Remote", "Editor": "Harbor Tools, Lyon, Remote"}


@pytest.mark.parametrize("url", ["/", "/jobs/", "/orgs/harbor/"])
def test_each_listed_job_says_when_it_was_posted_as_its_page_does(client, org, url):
    """As an absolute date, which a cached page keeps true ("3 days ago" would not)."""
    posted = datetime(2026, 12, 5, 10, tzinfo=UTC)
    job = make_job(org, "Writer", first_published_at=posted)
    make_job(org, "Editor", first_published_at=None)  # Greenhouse sent no date

    page = BeautifulSoup(client.get(url).content, "html.parser")

    metas = {
        item.a.get_text(): item.select_one(".job-item-meta") for item in page.select(".job-item")
    }
    assert spoken_text(metas["Writer"]).endswith("Posted 5 Dec 2026")
    assert metas["Writer"].time["datetime"] == datetime_attribute(posted)
    assert "Posted" not in spoken_text(metas["Editor"])
    job_page = BeautifulSoup(client.get(job_page_url(job)).content, "html.parser")
    assert job_page.find("dt", string="Posted").find_next("time")["datetime"] == (
        datetime_attribute(posted)
    )


@pytest.mark.parametrize("url", ["/", "/jobs/", "/orgs/harbor/"])
def test_a_post_published_ahead_is_said_posted_when_the_sync_read_it(client, org, url):
    """Greenhouse's clock may run up to a day ahead of ours (CLOCK_MARGIN): its date said
    "Posted" tomorrow, where the feeds and its JobPosting said the sync's date."""
    synced = datetime(2026, 12, 4, 12, tzinfo=UTC)
    ahead = synced + timedelta(hours=23)
    job = make_job(org, "Writer", first_published_at=ahead, synced_at=synced)

    page = BeautifulSoup(client.get(url).content, "html.parser")

    meta = page.select_one(".job-item-meta")
    assert spoken_text(meta).endswith("Posted 4 Dec 2026")
    assert meta.time["datetime"] == datetime_attribute(synced)
    job_page = BeautifulSoup(client.get(job_page_url(job)).content, "html.parser")
    posted = job_page.find("dt", string="Posted").find_next("time")
    assert (posted.get_text(), posted["datetime"]) == (
        "4 December 2026",
        datetime_attribute(synced),
    )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (None, ""),
        ("", ""),
        (date(2026, 7, 1), "2026-07-01"),
        (datetime(2026, 7, 1, 8, 0, 5, 123456), "2026-07-01T08:00:05"),
    ],
)
def test_a_time_elements_date_is_written_as_the_date_filter_writes_what_is_no_aware_time(
    settings, value, written
):
    """read with localtime(), which refuses "" (an AttributeError), a date and a naive time (a
    ValueError): one such value failed the page, where date:"c" wrote nothing, the date, or
    the local date and time (here to the second, as HTML allows)."""
    settings.TIME_ZONE = "America/New_York"
    assert datetime_attribute(value) == written


def test_the_job_list_without_open_jobs_says_so_and_blames_no_filter(client, org):
    """With no job open anywhere, /jobs/ said "No open jobs match these filters" of filters
    nobody chose, and linked "See every open job" to itself."""
    make_job(org, "Gone", is_open=False)

    html = client.get("/jobs/").content.decode()
    assert "No open jobs right now." in html
    assert "these filters" not in html and "See every open job" not in html

    filtered = client.get("/jobs/?q=gone").content.decode()
    assert "No open jobs match these filters." in filtered and "See every open job" in filtered


def test_the_job_list_of_an_org_without_open_jobs_names_the_org(client, org):
    """/jobs/?org=merkaz, a link to an org whose jobs have all closed, said "No open jobs match
    these filters", as if the visitor had asked too much; chosen alone, the org is named, with a
    link to its page, its name isolated (a right-to-left one ending in digits read reversed)."""
    merkaz = Organization.objects.create(name="2024 מרכז", slug="merkaz")
    make_job(merkaz, "Gone", is_open=False)
    make_job(org, "Welder")

    def empty_list(query: str) -> BeautifulSoup:
        page = BeautifulSoup(client.get(f"/jobs/?{query}").content, "html.parser")
        return page.select_one("main p.empty")

    for query in ("org=merkaz", "org=MERKAZ&q=%F0%9F%9A%80"):  # a query of no word, as none
        said = empty_list(query)
        assert spoken_text(said) == "2024 מרכז has no open jobs right now. See every open job"
        assert said.select_one("a bdi").get_text() == "2024 מרכז"
        assert [link["href"] for link in said.select("a")] == ["/orgs/merkaz/", "/jobs/"]
    assert spoken_text(empty_list("org=merkaz&q=welder")) == (
        "No open jobs match these filters. See every open job"
    )


def test_an_org_without_open_jobs_is_told_apart_from_one_offered_of_its_name(client, org):
    """An org chosen by a link saved before its jobs closed is not among the orgs the filter
    offers (those with open jobs), and was never told apart by slug from one offered of its
    name: /jobs/?org=harbor-old was "Open jobs at Harbor Tools", as harbor's list is, and "Harbor
    Tools has no open jobs right now" while Harbor Tools had some."""
    Organization.objects.create(name="HARBOR TOOLS", slug="harbor-old")
    make_job(org, "Welder")

    page = BeautifulSoup(client.get("/jobs/?org=harbor-old").content, "html.parser")

    assert page.h1.get_text() == "Open jobs at HARBOR TOOLS (harbor-old)"
    assert spoken_text(page.select_one("main p.empty")) == (
        "HARBOR TOOLS (harbor-old) has no open jobs right now. See every open job"
    )
    labels = [option.get_text() for option in page.select("select[name=org] option")]
    assert "Harbor Tools (harbor)" in labels
    assert "HARBOR TOOLS (harbor-old) (no open jobs now)" in labels


def test_an_org_page_paginates_and_keeps_the_filters_in_page_links(client, org):
    remote = make_unit(Office, org, "Anywhere")
    for n in range(30):
        make_job(org, f"Role {n:02d}", offices=(remote,), remote_policy="remote")

    response = client.get(f"/orgs/harbor/?office={remote.pk}&page=2")

    assert response.context["page"].number == 2
    assert len(response.context["page"].object_list) == 5
    html = response.content.decode()
    assert "30 jobs match · page 2 of 2" in html
    assert f'rel="prev" href="?office={remote.pk}"' in html  # page 1 without ?page=1
    assert "<title>Anywhere · Jobs at Harbor Tools, page 2 · orgsite</title>" in html


@pytest.mark.parametrize("listing", ["/jobs/", "/orgs/harbor/"])
def test_page_links_lead_to_the_first_and_last_pages_unless_the_page_is_next_to_them(
    client, org, listing
):
    """Deep in a long list, the first page was as many "Previous page" away. Each link is that
    page's own address with the list's filters, and is left out where the link before or
    after it leads there already (or the page is it)."""
    office = make_unit(Office, org, "Anywhere")
    for n in range(5 * 25):
        make_job(org, f"Role {n:03d}", offices=(office,))

    def links(number: int) -> tuple[str, str]:
        html = client.get(listing, {"office": office.pk, "page": number}).content.decode()
        first = re.findall(r'<a href="([^"]*)"><span aria-hidden="true">«</span> First page', html)
        last = re.findall(r'<a href="([^"]*)">Last page <span aria-hidden="true">»</span>', html)
        return ("".join(first), "".join(last))

    filtered, last = f"?office={office.pk}", f"?office={office.pk}&amp;page=5"
    assert links(1) == ("", last)
    assert links(2) == ("", last)
    assert links(3) == (filtered, last)
    assert links(4) == (filtered, "")
    assert links(5) == (filtered, "")


def test_page_links_keep_the_filters_but_not_a_links_tracking_parameters(client, org):
    for n in range(30):
        make_job(org, f"Role {n:02d}", remote_policy="remote")

    html = client.get("/orgs/harbor/?remote=remote&utm_source=news&fbclid=x1").content.decode()

    assert 'href="?remote=remote&amp;page=2"' in html


def test_page_links_are_named_by_their_words_without_the_arrows(client, org, monkeypatch):
    """A screen reader reads "←" out ("left arrow, Previous page"), in a list of the page's
    links too; the arrows only point the way for the eye."""
    monkeypatch.setattr(views, "JOBS_PER_PAGE", 2)
    for n in range(5):
        make_job(org, f"Role {n}")

    page = BeautifulSoup(client.get("/orgs/harbor/?page=2").content, "html.parser")

    assert [spoken_text(a) for a in page.select("nav.page-links a")] == [
        "Previous page",
        "Next page",
    ]


def test_a_job_address_cut_short_leads_to_the_orgs_page(client, org):
    response = client.get("/orgs/harbor/jobs/")

    assert response.status_code == 302 and response["Location"] == "/orgs/harbor/"


def test_a_job_address_cut_short_leads_to_the_orgs_page_with_its_filters(client, org):
    """The list's address guessed, or written by another site, "/orgs/harbor/jobs/?q=analyst",
    led to every job of the org: the search was left behind."""
    response = client.get("/orgs/harbor/jobs/?q=analyst&remote=remote")

    assert response.status_code == 302
    assert response["Location"] == "/orgs/harbor/?q=analyst&remote=remote"


def test_an_address_too_long_to_redirect_with_leads_on_without_its_query_string(
    client, org, caplog
):
    """Past 16,384 characters Django refused its own redirect with the query string: a 400,
    logged as an ERROR, for an address cut short, in capitals or with a job id's zeros."""
    job = make_job(org, "Analyst")
    query = f"?q={'a' * 17_000}"
    for asked, address in (
        ("/orgs/harbor/jobs/", "/orgs/harbor/"),
        ("/orgs/HARBOR/", "/orgs/harbor/"),
        (f"/orgs/harbor/jobs/0{job.greenhouse_id}/", job_page_url(job)),
    ):
        response = client.get(f"{asked}{query}")
        assert response["Location"] == address, asked
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_an_unknown_org_is_a_friendly_404(client, db):
    response = client.get("/orgs/nobody/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "couldn't find that page" in html and 'href="/jobs/"' in html
    assert '<meta name="robots" content="noindex">' in html


def test_an_orgs_address_in_capitals_leads_to_its_pages_at_the_lowercase_one(client, org):
    """Slugs are lowercase: /orgs/HARBOR/ typed or pasted so answered 404."""
    job = make_job(org, "Analyst")
    for asked, address in (
        ("/orgs/Harbor/?q=analyst", "/orgs/harbor/?q=analyst"),
        ("/orgs/HARBOR/feed/", "/orgs/harbor/feed/"),
        ("/orgs/HARBOR/jobs/", "/orgs/harbor/jobs/"),
        (f"/orgs/HARBOR/jobs/{job.greenhouse_id}/", job_page_url(job)),
        ("/orgs/HARBOR/jobs.json", "/orgs/harbor/jobs.json"),
    ):
        response = client.get(asked)
        assert (response.status_code, response["Location"]) == (301, address), asked
        assert client.get(address, follow=True).status_code == 200, address

    assert client.get("/orgs/NOBODY/").status_code == 404
    assert client.get("/orgs/NOBODY/jobs.json").json() == {
        "error": "No organization has this address."
    }


def test_a_job_address_with_leading_zeros_in_its_id_leads_to_the_jobs_page(client, org):
    """/orgs/harbor/jobs/0123/ answered 200, the job's page at a second address."""
    job = make_job(org, "Analyst")
    for asked, address in (
        (f"/orgs/harbor/jobs/0{job.greenhouse_id}/", job_page_url(job)),
        (
            f"/orgs/harbor/jobs/000{job.greenhouse_id}/?utm_source=news",
            f"{job_page_url(job)}?utm_source=news",
        ),
        (f"/orgs/HARBOR/jobs/0{job.greenhouse_id}/", job_page_url(job)),
    ):
        response = client.get(asked)
        assert (response.status_code, response["Location"]) == (301, address), asked
    assert client.get(job_page_url(job)).status_code == 200


def test_an_org_with_capitals_in_its_slug_keeps_its_address(client):
    """Saved before slugs had to be lowercase, "ACME" (beside an "acme", it led to the other,
    before migration jobs 0070 made slugs unique in any case)."""
    Organization.objects.create(name="Acme in capitals", slug="ACME")

    response = client.get("/orgs/ACME/")

    assert response.status_code == 200
    assert "Acme in capitals" in response.content.decode()


# --- Job pages --------------------------------------------------------------------------------


def test_a_job_page_shows_synced_and_site_fields_and_an_apply_link(client, synced_acme):
    job = Job.objects.get(title="Customer Success Lead, Japan")
    Job.objects.filter(pk=job.pk).update(
        compensation_note="¥9.5M–¥12M", tags=["customers", "japanese"], remote_policy="remote"
    )

    response = client.get(job_page_url(job))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 dir="auto">Customer Success Lead, Japan</h1>' in html
    assert 'href="/orgs/acme/"><bdi>Acme Robotics</bdi></a>' in html
    assert "<dt>Location</dt><dd><bdi>Tokyo, Japan</bdi></dd>" in html
    assert "<dt>Department</dt><dd><bdi>Customer Success</bdi></dd>" in html
    assert "<dt>Office</dt><dd><bdi>Tokyo, Japan</bdi></dd>" in html
    assert "<dt>Workplace</dt><dd>Remote</dd>" in html  # the site's choice beats the metadata
    assert "<dt>Compensation</dt><dd><bdi>¥9.5M–¥12M</bdi></dd>" in html
    assert '<li class="badge"><bdi>japanese</bdi></li>' in html
    assert "<dt>Apply by</dt>" in html
    assert job.description_html in html
    assert f'class="button apply-link" href="{job.absolute_url}"' in html


@pytest.mark.parametrize("address", ["https://boards.example/harbor/1", ""])
def test_the_about_this_role_panel_is_a_tab_stop_only_without_an_apply_link(client, org, address):
    """The panel takes the focus so that the keyboard can scroll it where nothing in it can
    (no Apply link); beside an Apply link it was one more stop on the way to it."""
    job = make_job(org, "Yard Hand", absolute_url=address)

    panel = BeautifulSoup(client.get(job_page_url(job)).content, "html.parser").find("aside")

    assert (panel.find("a", class_="apply-link") is None) == (panel.get("tabindex") == "0")


def test_a_job_pages_facts_lay_each_out_in_its_own_direction(client, org):
    """A right-to-left location, pay or tag under the left-to-right labels was laid out left to
    right: "10 شارع التحرير، القاهرة" (10 Tahrir Street, Cairo) showed its number at its end, on
    the left, "₪20,000 לחודש" (a month) its amount after the words, and "עבודה מרחוק!" its "!"
    first."""
    job = make_job(
        org,
        "Field Engineer",
        location_name="10 شارع التحرير، القاهرة",
        compensation_note="₪20,000 לחודש",
        tags=["עבודה מרחוק!"],
    )

    html = client.get(job_page_url(job)).content.decode()

    assert "<dt>Location</dt><dd><bdi>10 شارع التحرير، القاهرة</bdi></dd>" in html
    assert "<dt>Compensation</dt><dd><bdi>₪20,000 לחודש</bdi></dd>" in html
    assert '<li class="badge"><bdi>עבודה מרחוק!</bdi></li>' in html


def test_a_job_pages_breadcrumb_reads_out_without_its_separator(client, org):
    """A screen reader reads "›" out ("single right-pointing angle quotation mark"): in a
    breadcrumb it only shows the eye where a link ends."""
    job = make_job(org, "Analyst")

    page = BeautifulSoup(client.get(job_page_url(job)).content, "html.parser")

    assert spoken_text(page.select_one("nav.breadcrumb")) == "Jobs Harbor Tools"


def test_the_workplace_comes_from_greenhouse_metadata_when_the_site_says_nothing(
    client, synced_acme
):
    job = Job.objects.get(title="Engineering Manager, Robotics")  # Workplace Type: On-site

    html = client.get(job_page_url(job)).content.decode()

    assert "<dt>Workplace</dt><dd>On-site</dd>" in html


def test_a_post_in_another_language_marks_its_title_and_description_with_it(client, org):
    french = make_job(org, "Infirmier·ère coordonnateur·rice", language="fr")
    english = make_job(org, "Nurse coordinator", language="en")
    unusable = make_job(org, "Pflegekraft", language="German!")
    lang = ' lang="fr"'

    job_page = client.get(job_page_url(french)).content.decode()
    listing = client.get("/orgs/harbor/").content.decode()
    closed = make_job(org, "Aide-soignant·e", language="fr", is_open=False)
    closed_page = client.get(job_page_url(closed)).content.decode()

    # A screen reader reads French words with French sounds; the site's own words stay English.
    assert f'<h1{lang} dir="ltr">Infirmier·ère coordonnateur·rice</h1>' in job_page
    assert f'<div class="job-body"><div{lang}>' in job_page
    assert f'href="{job_page_url(french)}"{lang} dir="ltr">' in listing
    assert f'<h1{lang} dir="ltr">Aide-soignant·e</h1>' in closed_page
    for job in (english, unusable):
        assert f'href="{job_page_url(job)}" dir="auto">' in listing  # the page's, or none


@pytest.mark.parametrize("language", ["en", ""], ids=["greenhouses-default", "none"])
@pytest.mark.parametrize(
    ("description", "direction"),
    [
        ("<p>צוות קטן.</p>", ' dir="rtl"'),
        # Its first letter is not the post's: dir="auto" took it for all its paragraphs.
        ("<p>React ו-TypeScript.</p><ul><li>צוות קטן של מפתחים.</li></ul>", ' dir="rtl"'),
        ("<p>תל אביב | Hybrid</p><p>We build tools.</p>", ""),
        ("<p>We build tools.</p>", ""),
    ],
    ids=["hebrew", "hebrew-opening-with-a-latin-word", "english-opening-with-hebrew", "english"],
)
def test_a_description_in_no_language_but_english_is_laid_out_in_its_letters_direction(
    client, org, language, description, direction
):
    """A Hebrew post Greenhouse calls English (its default), or nothing, had its title read
    right to left (dir="auto") and its description laid out left to right, as English."""
    hebrew = make_job(org, "מפתח/ת", language=language, description_html=description)

    job_page = client.get(job_page_url(hebrew)).content.decode()

    assert '<h1 dir="auto">מפתח/ת</h1>' in job_page
    assert f'<div class="job-body"><div{direction}>{description}</div></div>' in job_page


def test_a_descriptions_direction_is_read_from_its_opening_alone(client, org):
    """Read at each render of its page, its letters' direction took a second for a post of
    5 MB: of a long English post's opening and a longer Hebrew end, the opening decides."""
    english = "<p>We build tools.</p>" * (DIRECTION_READ_CHARACTERS // 20)
    job = make_job(org, "Developer", description_html=english + "<p>צוות קטן.</p>" * 20_000)

    job_page = client.get(job_page_url(job)).content.decode()

    assert '<div class="job-body"><div><p>We build tools.</p>' in job_page


def test_a_post_in_a_right_to_left_language_is_laid_out_right_to_left(client, org):
    hebrew = make_job(org, "מפתח/ת מובייל", language="he")
    farsi = make_job(org, "توسعه‌دهنده", language="fa-IR")
    french = make_job(org, "Développeur·se mobile", language="fr")

    job_page = client.get(job_page_url(hebrew)).content.decode()
    listing = client.get("/orgs/harbor/").content.decode()

    assert '<h1 lang="he" dir="rtl">מפתח/ת מובייל</h1>' in job_page
    assert '<div class="job-body"><div lang="he" dir="rtl">' in job_page
    assert f'href="{job_page_url(farsi)}" lang="fa-IR" dir="rtl">' in listing
    assert f'href="{job_page_url(french)}" lang="fr" dir="ltr">' in listing


def test_an_org_page_heading_lays_its_name_out_in_the_names_own_direction(client):
    """An Arabic name in the left-to-right page's heading was laid out left to right: the
    closing "." of "خرائط الشرق ش.م.م." (LLC) stood at its start, on the right. Isolated in a
    <bdi>, it was laid out right to left, but the heading still stood on the left."""
    Organization.objects.create(name="خرائط الشرق ش.م.م.", slug="maps")

    html = client.get("/orgs/maps/").content.decode()

    assert '<h1 dir="auto">خرائط الشرق ش.م.م.</h1>' in html


FSI, PDI = "\u2068", "\u2069"


def page_title(client: Client, url: str, **params) -> str:
    return BeautifulSoup(client.get(url, params).content, "html.parser").title.get_text()


def test_a_titles_names_written_right_to_left_are_each_isolated(client):
    """A page's <title> has no <bdi>: "משרה · ארגון · orgsite" joined a Hebrew job's title and
    its org's name by a " · " that took their direction, and showed the org's name first, on
    the left; and a browser reading a title's direction from its first letter laid it all out
    right to left. Each name holding such a letter is now isolated (FSI … PDI); a name of
    none, and the site's, are written as they were."""
    hebrew = Organization.objects.create(name="כלי נמל", slug="namal")
    job = make_job(hebrew, "מפתח/ת בכיר/ה")
    english = make_job(Organization.objects.create(name="Harbor Tools", slug="harbor"), "Welder")
    make_job(hebrew, "Engineer")

    assert page_title(client, job_page_url(job)) == (
        f"{FSI}מפתח/ת בכיר/ה{PDI} · {FSI}כלי נמל{PDI} · orgsite"
    )
    assert page_title(client, job_page_url(english)) == "Welder · Harbor Tools · orgsite"
    assert page_title(client, "/orgs/namal/") == f"Jobs at {FSI}כלי נמל{PDI} · orgsite"
    assert page_title(client, "/orgs/namal/", page=2) == f"Jobs at {FSI}כלי נמל{PDI} · orgsite"
    assert page_title(client, "/jobs/", org="namal") == f"Open jobs at {FSI}כלי נמל{PDI} · orgsite"
    # Two orgs of one name: the slug after the name, outside its isolate, as the heading has it.
    make_job(Organization.objects.create(name="כלי נמל", slug="namal-2"), "Engineer")
    cache.clear()  # made directly: the org filter's options are cached for a minute
    assert page_title(client, "/jobs/", org="namal") == (
        f"Open jobs at {FSI}כלי נמל{PDI} (namal) · orgsite"
    )
    # A job closed: its page (410) names it so too.
    Job.objects.filter(pk=job.pk).update(is_open=False)
    closed = BeautifulSoup(client.get(job_page_url(job)).content, "html.parser")
    assert closed.title.get_text() == (
        f"No longer open: {FSI}מפתח/ת בכיר/ה{PDI} · {FSI}כלי נמל{PDI} · orgsite"
    )


def test_a_titles_filters_written_right_to_left_are_each_isolated(client, org):
    """The names of a list's filters come before its heading, each isolated, the keywords inside
    their quotes and "(no open jobs now)" after its name, outside."""
    engineering = make_unit(Department, org, "הנדסה")
    tel_aviv = make_unit(Office, org, "תל אביב")
    make_job(org, "Analyst", departments=(engineering,), offices=(tel_aviv,), location_name="חיפה")

    chosen = {"q": "אנליסט", "department": engineering.pk, "location": "ירושלים"}
    assert page_title(client, "/orgs/harbor/", **chosen) == (
        f"“{FSI}אנליסט{PDI}” · {FSI}הנדסה{PDI} · {FSI}ירושלים{PDI} (no open jobs now) · "
        "Jobs at Harbor Tools · orgsite"
    )
    offices = {"office": tel_aviv.pk, "location": "חיפה"}
    assert page_title(client, "/jobs/", **offices) == (
        f"Harbor Tools › {FSI}תל אביב{PDI} · {FSI}חיפה{PDI} · All open jobs · orgsite"
    )


def test_a_titles_site_wide_unit_of_an_org_written_right_to_left_isolates_the_orgs_name(client):
    """Site-wide, a department comes after its org's name, which is isolated apart from it, the
    slug that tells two orgs of one name apart after its isolate: "כלי נמל › הנדסה" left bare
    would be laid out as one right-to-left run with the path's names."""
    names = ("כלי נמל", "namal"), ("כלי נמל", "namal-2"), ("נמל חיפה", "haifa")
    chosen = []
    for name, slug in names:
        organization = Organization.objects.create(name=name, slug=slug)
        engineering = make_unit(Department, organization, "הנדסה")
        make_job(organization, "Analyst", departments=(engineering,))
        chosen.append(engineering.pk)

    assert page_title(client, "/jobs/", department=chosen[:1]) == (
        f"{FSI}כלי נמל{PDI} (namal) › {FSI}הנדסה{PDI} · All open jobs · orgsite"
    )
    assert page_title(client, "/jobs/", department=chosen[2:]) == (
        f"{FSI}נמל חיפה{PDI} › {FSI}הנדסה{PDI} · All open jobs · orgsite"
    )


def test_a_title_keeps_no_control_of_a_name_but_its_isolate(client):
    """A name's own controls are dropped, as before, those it leaves open and those it closes:
    only the isolate the title writes around it is left."""
    organization = Organization.objects.create(name="\u2069\u202eכלי נמל\u2068", slug="namal")
    job = make_job(organization, "\u2067מפתח\u202b")

    html = client.get(job_page_url(job)).content.decode()

    assert f"<title>{FSI}מפתח{PDI} · {FSI}כלי נמל{PDI} · orgsite</title>" in html


def test_what_search_engines_and_link_previews_read_names_no_isolate(client):
    """Open Graph's title and JSON-LD are data, each a name alone: written as they were."""
    organization = Organization.objects.create(name="כלי נמל", slug="namal")
    job = make_job(organization, "מפתח")

    for url, title in [(job_page_url(job), "מפתח"), ("/orgs/namal/", "כלי נמל")]:
        page = BeautifulSoup(client.get(url).content, "html.parser")
        assert page.select_one("meta[property='og:title']")["content"] == title
    org_jobs = BeautifulSoup(client.get("/jobs/", {"org": "namal"}).content, "html.parser")
    assert org_jobs.select_one("meta[property='og:title']")["content"] == "Open jobs at כלי נמל"
    html = client.get(job_page_url(job)).content.decode()
    after_the_title = html.split("</title>")[1].split("</head>")[0]  # og: tags, JSON-LD, links
    assert FSI not in after_the_title and PDI not in after_the_title


def test_an_org_pages_department_heading_of_right_to_left_names_is_laid_out_right_to_left(
    client, org
):
    """A heading of Hebrew names, "הנדסה › תשתיות" (Engineering › Infrastructure), stood on the
    left, the parent leftmost, as if read from the left; so did the path in the job's line of
    the list of every job. dir="auto" would not have told: it passes over the names, each in
    its <bdi>."""
    engineering = make_unit(Department, org, "הנדסה")
    infrastructure = make_unit(
        Department, org, "תשתיות", parent_greenhouse_id=engineering.greenhouse_id
    )
    lab = make_unit(Department, org, "R&D مختبر")
    make_job(org, "מפתח/ת תשתיות", departments=(infrastructure,))
    make_job(org, "Chemist", departments=(lab,))
    make_job(org, "Generalist")

    html = client.get("/orgs/harbor/").content.decode()

    assert '<h3 dir="rtl"><bdi>הנדסה</bdi> › <bdi>תשתיות</bdi></h3>' in html
    assert "<h3><bdi>R&amp;D مختبر</bdi></h3>" in html  # its first letter's direction
    assert "<h3><bdi>Other roles</bdi></h3>" in html
    listing = client.get("/jobs/").content.decode()
    path = "<bdi>הנדסה</bdi> › <bdi>תשתיות</bdi>"
    assert f'<span class="job-item-department" dir="rtl">{path}</span>' in listing


def test_a_job_pages_paths_of_right_to_left_names_are_each_laid_out_right_to_left(client, org):
    """Its facts named "הנדסה › תשתיות" parent leftmost, as read from the left; a path of
    left-to-right names beside it keeps its plain markup."""
    engineering = make_unit(Department, org, "הנדסה")
    infrastructure = make_unit(
        Department, org, "תשתיות", parent_greenhouse_id=engineering.greenhouse_id
    )
    design = make_unit(Department, org, "Design")
    tel_aviv = make_unit(Office, org, "תל אביב")
    job = make_job(org, "מעצב/ת", departments=(infrastructure, design), offices=(tel_aviv,))

    html = client.get(job_page_url(job)).content.decode()

    hebrew_path = '<span dir="rtl"><bdi>הנדסה</bdi> › <bdi>תשתיות</bdi></span>'
    assert f"<dt>Departments</dt><dd><bdi>Design</bdi>, {hebrew_path}</dd>" in html
    assert '<dt>Office</dt><dd><span dir="rtl"><bdi>תל אביב</bdi></span></dd>' in html


def test_the_department_filter_names_a_path_of_right_to_left_names_as_its_headings_do(client, org):
    """An <option> holds no <bdi>: "הנדסה › Backend" read parent leftmost in the filter, where
    the heading of its jobs and their lines have the parent rightmost, read from the right."""
    engineering = make_unit(Department, org, "הנדסה")
    backend = make_unit(Department, org, "Backend", parent_greenhouse_id=engineering.greenhouse_id)
    make_job(org, "מפתח/ת", departments=(backend,))

    for url in ("/orgs/harbor/", "/jobs/"):
        page = BeautifulSoup(client.get(url).content, "html.parser")
        (option,) = page.select(f'select[name=department] option[value="{backend.pk}"]')
        assert option.get_text() == "הנדסה › \u2068Backend\u2069", url
        assert option.get("dir") == "rtl", url
        (parent,) = page.select(f'select[name=department] option[value="{engineering.pk}"]')
        assert (parent.get_text(), parent.get("dir")) == ("הנדסה", "rtl"), url
    filtered = client.get("/orgs/harbor/", {"department": backend.pk}).content.decode()
    # The page's title is plain text too, with no <bdi>: the path isolated whole, laid out as
    # the option is (jobs/text.py's name_in_title).
    title = "<title>\u2068הנדסה › Backend\u2069 · Jobs at Harbor Tools · orgsite</title>"
    assert title in filtered


def test_the_filters_group_of_an_org_named_right_to_left_is_laid_out_as_its_options(client, org):
    """Site-wide, a filter's departments and offices come under their org's name: its label had
    no dir, so "מעבדות R&D" stood left to right above its options, laid out right to left."""
    labs = Organization.objects.create(name="מעבדות R&D", slug="labs")
    for organization, name in ((labs, "הנדסה"), (org, "Engineering")):
        team, office = (
            make_unit(Department, organization, name),
            make_unit(Office, organization, name),
        )
        make_job(organization, "Analyst", departments=(team,), offices=(office,))

    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")

    for field in ("department", "office"):
        groups = page.select(f"select[name={field}] optgroup")
        assert [(group["label"], group.get("dir")) for group in groups] == [
            ("Harbor Tools", None),
            ("מעבדות R&D", "rtl"),
        ]
        assert groups[1].option["dir"] == "rtl"


def test_two_orgs_of_one_name_have_a_filter_group_each_told_apart_by_slug(client, org):
    """Grouped by their org's name, two orgs' "Acme Robotics" departments and offices were one
    group, though the org filter tells the orgs apart by slug: now each org has its group, its
    label followed by its slug as the org filter's option is, and a filtered list's title
    names the unit so too. An org whose name no other has keeps its plain name."""
    robotics = Organization.objects.create(name="Acme Robotics", slug="acme")
    labs = Organization.objects.create(name="Acme Robotics", slug="acme-labs")
    for organization, names in ((robotics, ("Design", "Sales")), (labs, ("Engineering",))):
        for name in names:
            team, office = (
                make_unit(Department, organization, name),
                make_unit(Office, organization, name),
            )
            make_job(organization, f"{name} lead", departments=(team,), offices=(office,))
    make_job(org, "Analyst", departments=(make_unit(Department, org, "Engineering"),))

    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")

    departments = page.select("select[name=department] optgroup")
    assert [
        (group["label"], [option.get_text() for option in group.select("option")])
        for group in departments
    ] == [
        ("Acme Robotics (acme)", ["Design", "Sales"]),
        ("Acme Robotics (acme-labs)", ["Engineering"]),
        ("Harbor Tools", ["Engineering"]),
    ]
    offices = page.select("select[name=office] optgroup")
    assert [group["label"] for group in offices] == [
        "Acme Robotics (acme)",
        "Acme Robotics (acme-labs)",
    ]
    engineering = Department.objects.get(organization=labs)
    filtered = client.get("/jobs/", {"department": engineering.pk}).content.decode()
    assert "<title>Acme Robotics (acme-labs) › Engineering · All open jobs" in filtered


def test_a_departments_own_direction_controls_stay_inside_its_name_in_the_filter(client, org):
    """A name from Greenhouse may close an isolate it did not open, or open an override: the
    option's isolates and the page's title must still close where the path says."""
    engineering = make_unit(Department, org, "\u2069\u202eהנדסה\u2069")
    backend = make_unit(
        Department, org, "\u2067Backend\u202b", parent_greenhouse_id=engineering.greenhouse_id
    )
    make_job(org, "Analyst", departments=(backend,))

    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")
    (option,) = page.select(f'select[name=department] option[value="{backend.pk}"]')
    assert (option.get_text(), option.get("dir")) == ("הנדסה › \u2068Backend\u2069", "rtl")
    filtered = client.get("/jobs/", {"department": backend.pk}).content.decode()
    title = "<title>Harbor Tools › \u2068הנדסה › Backend\u2069 · All open jobs · orgsite</title>"
    assert title in filtered


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("123 הנדסה", "rtl"),  # digits have no direction of their own
        # A letter inside an isolate counts, as for HTML's dir="auto" (not Unicode's P2).
        ("\u2067Engineering\u2069 הנדסה", "ltr"),
        ("\u2066הנדסה\u2069 Engineering", "rtl"),
        ("\u202eEngineering", "ltr"),  # an override is no letter
        ("\u2069Engineering", "ltr"),  # nor is an isolate's end that none opened
        ("مختبر R&D", "rtl"),  # Arabic letters (AL), as Hebrew ones (R)
        ("123 – 456", ""),
    ],
)
def test_a_heading_of_names_takes_the_direction_dir_auto_would_read(name, direction):
    expected = ' dir="rtl"' if direction == "rtl" else ""
    assert names_direction_attribute(["", name, "Engineering"]) == expected
    assert first_strong_direction(name) == direction


def test_a_job_pages_heading_of_a_title_in_no_language_given_takes_the_titles_direction(
    client, org
):
    """An Arabic title of a post whose language Greenhouse does not give stood on the left of
    its page, and of its page once closed, as the page's English does."""
    open_job = make_job(org, "مهندس روبوتات")
    closed = make_job(org, "مهندسة برمجيات", is_open=False)

    assert '<h1 dir="auto">مهندس روبوتات</h1>' in client.get(job_page_url(open_job)).text
    assert '<h1 dir="auto">مهندسة برمجيات</h1>' in client.get(job_page_url(closed)).text


def test_a_title_in_a_left_to_right_language_starting_with_an_arabic_word_stays_left_to_right(
    client, org
):
    """dir="auto" set "مهندس Backend Engineer" of a French post right to left, from its first
    letter: its French words then read from the right. A title marked French without a letter
    written left to right is no French: it still reads in its own direction, as does a title
    of a post in the page's language, Greenhouse's default whatever the post is written in."""
    mixed = make_job(org, "مهندس Backend Engineer", language="fr")
    arabic_only = make_job(org, "مهندس روبوتات", language="fr")
    defaulted = make_job(org, "مهندس Backend", language="en")

    listing = client.get("/orgs/harbor/").content.decode()

    assert f'href="{job_page_url(mixed)}" lang="fr" dir="ltr">' in listing
    assert f'href="{job_page_url(arabic_only)}" lang="fr" dir="auto">' in listing
    assert f'href="{job_page_url(defaulted)}" dir="auto">' in listing
    job_page = client.get(job_page_url(mixed)).content.decode()
    assert '<h1 lang="fr" dir="ltr">مهندس Backend Engineer</h1>' in job_page


@pytest.mark.parametrize(
    ("language", "direction"),
    [
        ("pa-Arab", "rtl"),  # Punjabi in Shahmukhi
        ("pa-arab-PK", "rtl"),  # subtags are case-insensitive
        ("pa", ""),
        ("sd-Deva", ""),  # Sindhi in Devanagari
        ("ku-Latn", ""),
        ("ku-Arab", "rtl"),
        ("ckb", "rtl"),
        ("dv-Thaa", "rtl"),
        ("ff-Adlm", "rtl"),
        ("az-Cyrl-AZ", ""),
        ("zh-yue-Hant", ""),  # an extended language subtag comes before the script
        ("ar-EG", "rtl"),  # a region, not a script: the language decides
        ("he", "rtl"),
    ],
)
def test_a_script_subtag_decides_the_direction_over_the_language(language, direction):
    for written in (Job(language=language), Organization(language=language)):
        assert written.content_direction == direction
        assert written.language_attrs.get("dir", "") == direction


def test_a_post_in_punjabi_written_in_arabic_script_is_laid_out_right_to_left(client, org):
    shahmukhi = make_job(org, "ڈویلپر", language="pa-Arab")
    devanagari = make_job(org, "डेवलपर", language="sd-Deva")

    job_page = client.get(job_page_url(shahmukhi)).content.decode()
    listing = client.get("/orgs/harbor/").content.decode()

    assert '<h1 lang="pa-Arab" dir="rtl">ڈویلپر</h1>' in job_page
    assert f'href="{job_page_url(devanagari)}" lang="sd-Deva" dir="ltr">' in listing


@pytest.mark.parametrize(
    ("description", "scrolls"),
    [
        ("<p>Words wrap.</p><ul><li>https://harbor.example/a-long-address</li></ul>", False),
        ("<p>Pay bands:</p><table><tr><td>Junior</td></tr></table>", True),
        ("<pre>make build</pre>", True),
        ("<p>&lt;table&gt; and &lt;pre&gt; written as text</p>", False),
    ],
)
def test_a_description_that_may_scroll_sideways_is_a_region_the_keyboard_reaches(
    client, org, description, scrolls
):
    """Only a table or preformatted text keeps its width on a phone; a description without one
    adds no stop to the keyboard's way through the page. The region's name is in the page's
    language, the post's words inside it in theirs."""
    job = make_job(org, "Analyste", language="fr", description_html=description)

    html = client.get(job_page_url(job)).content.decode()

    region = '<div class="job-body" role="region" aria-label="Job description" tabindex="0">'
    assert (region in html) is scrolls
    assert f'<div lang="fr">{description}</div>' in html


def test_a_descriptions_headings_follow_the_job_title_without_skipping_a_level(client, org):
    """Real posts open their sections with h3 or h4: under the page's h1 a screen reader's
    heading list then jumped from h1 to h4. Their top level is an h2 here, and each level under
    it the next one, as the sections were nested in the post."""
    job = make_job(
        org,
        "Analyst",
        description_html="<h4>About us</h4><p>Hi.</p><h6>Perks</h6><p>Tea.</p><h4>Apply</h4>",
    )

    page = BeautifulSoup(client.get(job_page_url(job)).content, "html.parser")

    description = page.select_one(".job-body")
    assert [(h.name, h.get_text()) for h in description.find_all(re.compile(r"^h\d$"))] == [
        ("h2", "About us"),
        ("h3", "Perks"),
        ("h2", "Apply"),
    ]
    assert description.find(string="Tea.").parent.name == "p"


def test_a_descriptions_first_heading_is_an_h2_even_above_higher_ones(client, org):
    """A board's intro opened with an h4 above the post's h2 sections: ranked by level alone,
    the intro's h4 stayed an h4 right under the page's h1, and the post's h2 sections were
    then below it. Each heading is numbered from the ones above it instead."""
    job = make_job(
        org,
        "Analyst",
        description_html=(
            "<h4>About Acme</h4><p>Hi.</p><h2>The role</h2><h3>You will</h3><h6>Tools</h6>"
        ),
    )

    page = BeautifulSoup(client.get(job_page_url(job)).content, "html.parser")

    description = page.select_one(".job-body")
    assert [(h.name, h.get_text()) for h in description.find_all(re.compile(r"^h\d$"))] == [
        ("h2", "About Acme"),
        ("h2", "The role"),
        ("h3", "You will"),
        ("h4", "Tools"),
    ]


def test_a_heading_inside_another_and_that_one_each_close_with_their_own_tag(client, org):
    """nh3 keeps a heading a div holds inside another heading: closing tags renumbered as the
    last section opened closed the outer h2 with an </h3>, markup that browsers repair."""
    description = "<h2>About <div><h4>Acme</h4></div> us</h2><p>Hi.</p>"
    job = make_job(org, "Analyst", description_html=description)

    html = client.get(job_page_url(job)).content.decode()

    assert "<h2>About <div><h3>Acme</h3></div> us</h2><p>Hi.</p>" in html


def test_the_stylesheets_style_only_elements_a_description_can_hold():
    """A rule for an element the sanitizer never lets into a description (an img) styles
    nothing, and reads as a promise that descriptions may show one."""
    stylesheets = (Path(settings.BASE_DIR) / "static" / "css").glob("*.css")
    styled = {
        element
        for stylesheet in stylesheets
        for element in re.findall(
            r"\.(?:job-body|job-description)\s+([a-z][a-z0-9]*)", stylesheet.read_text()
        )
    }

    assert styled <= ALLOWED_TAGS


def test_a_job_page_lists_related_open_jobs_of_the_same_department(client, org):
    design, sales = make_unit(Department, org, "Design"), make_unit(Department, org, "Sales")
    job = make_job(org, "Illustrator", departments=(design,))
    sibling = make_job(org, "Type Designer", departments=(design, sales))
    make_job(org, "Closed Designer", departments=(design,), is_open=False)
    make_job(org, "Hidden Designer", departments=(design,), hidden=True)
    make_job(org, "Account Executive", departments=(sales,))

    response = client.get(job_page_url(job))

    assert response.context["related_jobs"] == [sibling]
    assert 'id="related-heading">More open roles in this team' in response.content.decode()


def test_a_job_without_a_department_lists_no_related_jobs(client, org):
    """It has no team to show more of: not every other job of the org."""
    job = make_job(org, "Illustrator")
    make_job(org, "Type Designer")

    response = client.get(job_page_url(job))

    assert response.context["related_jobs"] == []
    assert 'id="related-heading"' not in response.content.decode()


def test_a_job_page_lists_at_most_five_related_jobs_featured_first(client, org):
    """A team of hundreds would otherwise list every one of its jobs on each job page."""
    design = make_unit(Department, org, "Design")
    job = make_job(org, "Illustrator", departments=(design,))
    for n in range(7):
        make_job(org, f"Designer {n}", departments=(design,))
    make_job(org, "Zine Designer", departments=(design,), featured=True)

    related = client.get(job_page_url(job)).context["related_jobs"]

    assert [related_job.title for related_job in related] == [
        "Zine Designer", "Designer 0", "Designer 1", "Designer 2", "Designer 3",
    ]  # fmt: skip


def test_a_closed_job_stays_reachable_with_410_noindex_and_links_to_open_jobs(client, org):
    design = make_unit(Department, org, "Design")
    job = make_job(
        org, "Illustrator", departments=(design,), is_open=False, closed_at=timezone.now()
    )
    make_job(org, "Type Designer", departments=(design,))

    response = client.get(job_page_url(job))

    assert response.status_code == 410
    html = response.content.decode()
    assert "This role is no longer open." in html
    assert '<meta name="robots" content="noindex">' in html
    assert "application/ld+json" not in html
    assert 'href="/orgs/harbor/">See the open jobs at <bdi>Harbor Tools</bdi>' in html
    assert "Type Designer" in html
    assert job.absolute_url not in html  # no Apply link


def test_a_closed_jobs_button_says_so_when_its_org_has_no_open_jobs(client, org):
    """It offered to "See the open jobs at Harbor Tools", a page that then listed none."""
    job = make_job(org, "Illustrator", is_open=False, closed_at=timezone.now())
    make_job(org, "Type Designer", is_open=False)

    html = client.get(job_page_url(job)).content.decode()

    assert "See the open jobs at" not in html
    assert 'href="/orgs/harbor/">About <bdi>Harbor Tools</bdi> (no open jobs now)</a>' in html


def test_a_closed_jobs_date_is_one_html_allows_to_the_second(client, org):
    """HTML allows three digits of a second's fraction in <time datetime>: date:"c" wrote the
    six of the time the site closed the job."""
    closed_at = timezone.now().replace(microsecond=123456)
    job = make_job(org, "Illustrator", is_open=False, closed_at=closed_at)

    page = BeautifulSoup(client.get(job_page_url(job)).content, "html.parser")

    on_the_second = timezone.localtime(closed_at).replace(microsecond=0).isoformat()
    assert [time["datetime"] for time in page.find_all("time")] == [on_the_second]


def test_a_date_whose_local_offset_had_seconds_is_given_in_utc(client, org, settings):
    """HTML's offset is hours and minutes: Amsterdam's local mean time of 1900 was written
    "+00:19:32". A post may say it was first published then."""
    settings.TIME_ZONE = "Europe/Amsterdam"
    published = datetime(1900, 6, 1, 12, tzinfo=UTC)
    job = make_job(org, "Illustrator", first_published_at=published)

    page = BeautifulSoup(client.get(job_page_url(job)).content, "html.parser")

    assert [time["datetime"] for time in page.find_all("time")] == ["1900-06-01T12:00:00+00:00"]
    assert datetime_attribute(datetime(2030, 6, 1, 12, tzinfo=UTC)) == "2030-06-01T14:00:00+02:00"


def test_no_date_is_an_empty_datetime_attribute_not_the_time_now():
    assert datetime_attribute(None) == ""


@pytest.mark.parametrize(
    "url",
    ["/orgs/harbor/jobs/999/", "/orgs/nobody/jobs/{id}/", "/orgs/harbor/jobs/{hidden_id}/"],
)
def test_an_unknown_or_hidden_job_is_a_friendly_404(client, org, url):
    job = make_job(org, "Visible")
    hidden = make_job(org, "Secret", hidden=True)

    response = client.get(url.format(id=job.greenhouse_id, hidden_id=hidden.greenhouse_id))

    assert response.status_code == 404
    assert "couldn't find that page" in response.content.decode()


def test_a_request_the_site_cannot_read_gets_its_own_400_page_that_fits_a_phone(db):
    """Django's own 400 page has no viewport (a phone shows it zoomed out) and no way back."""
    client = Client(raise_request_exception=False)
    too_many_fields = "&".join(f"department={n}" for n in range(1001))

    response = client.get(f"/jobs/?{too_many_fields}")

    assert response.status_code == 400
    html = response.content.decode()
    assert "This address could not be read" in html
    assert '<meta name="viewport"' in html and '<meta name="robots" content="noindex">' in html
    assert 'href="/jobs/">Browse all open jobs' in html


def test_a_request_to_an_unknown_host_is_logged_as_one_warning_without_a_traceback(db, caplog):
    """Scanners send them all day: an ERROR with a traceback each buried the real errors."""
    client = Client(raise_request_exception=False)

    response = client.get("/jobs/", HTTP_HOST="scanner.example")

    assert response.status_code == 400
    [line] = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert line.levelname == "WARNING" and line.exc_info is None
    assert "Invalid HTTP_HOST header: 'scanner.example'" in line.getMessage()


def test_a_forbidden_page_gets_the_sites_own_403_page_that_fits_a_phone(client, db):
    """A staff account without the permission to see a list in Django's admin."""
    client.force_login(User.objects.create_user("staff", "staff@example.com", is_staff=True))

    response = client.get("/admin/jobs/job/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "You may not see this page" in html
    assert '<meta name="viewport"' in html and '<meta name="robots" content="noindex">' in html
    assert 'href="/jobs/">Browse all open jobs' in html


def test_a_staff_account_refused_an_admin_page_is_logged_as_one_warning_without_a_traceback(
    client, db, caplog
):
    """Who was refused what, on one line: Django's traceback made a permission working as meant
    look like a crash."""
    client.force_login(User.objects.create_user("staff", "staff@example.com", is_staff=True))

    response = client.get("/admin/jobs/job/")

    assert response.status_code == 403
    [line] = [r for r in caplog.records if r.name == "django.request"]
    assert line.levelname == "WARNING" and line.exc_info is None and line.exc_text is None
    assert line.getMessage() == "Forbidden (Permission denied): /admin/jobs/job/ username='staff'"


def test_a_refusal_logged_without_a_request_or_an_account_still_loses_only_its_traceback():
    """The filter runs inside Django's handler: anything it raised would turn a 403 into a 500."""
    refusal = PermissionDenied()
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Forbidden: %s", ("/x/",), None
    )
    record.exc_info = (PermissionDenied, refusal, None)

    assert PermissionDeniedFilter().filter(record)
    assert record.exc_info is None and record.getMessage() == "Forbidden: /x/ username=None"


@pytest.mark.parametrize(
    ("template", "says"),
    [("500.html", "Something went wrong"), ("503.html", "temporarily unavailable")],
)
def test_the_pages_of_a_crash_and_of_an_outage_are_plain_html_without_template_logic(
    template, says
):
    """They are shown when anything else failed, the database among them."""
    source = get_template(template).template.source

    assert "{%" not in source and "{{" not in source
    assert says in source


def test_no_template_opens_a_one_line_comment_it_closes_on_another_line():
    """Django ends a {# comment #} at the line's end: one spread over lines is shown on the page."""
    templates = Path(settings.BASE_DIR) / "templates"
    offenders = [
        f"{path.relative_to(templates)}:{number}"
        for path in sorted(templates.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.count("{#") != line.count("#}")
    ]

    assert offenders == []


def test_pages_answer_only_safe_methods(client, org):
    assert client.post("/orgs/harbor/").status_code == 405
    assert client.head("/jobs/").status_code == 200


# --- Query counts -----------------------------------------------------------------------------


def page_urls(org: Organization) -> dict[str, str]:
    open_job = org.jobs.listed().order_by("pk").first()
    closed_job = org.jobs.filter(is_open=False).order_by("pk").first()
    department = org.departments.order_by("pk").first()
    office = org.offices.order_by("pk").first()
    filters = f"q=engineer&department={department.pk}&office={office.pk}&remote=remote"
    return {
        "home": "/",
        "all jobs": "/jobs/",
        "all jobs filtered": f"/jobs/?{filters}&org={org.slug}&location=City+1",
        "all jobs page 3": "/jobs/?page=3",
        "organizations": "/orgs/",
        "org page": f"/orgs/{org.slug}/",
        "org page filtered": f"/orgs/{org.slug}/?{filters}&page=2",
        "job page": job_page_url(open_job),
        "closed job page": job_page_url(closed_job),
        "all jobs feed": "/jobs/feed/",
        "org feed": f"/orgs/{org.slug}/feed/",
        "sitemap": "/sitemap.xml",
        "sitemap of orgs": "/sitemap-organizations.xml",
        "sitemap of jobs": "/sitemap-jobs.xml",
    }


@pytest.mark.parametrize("size", [10, 500])
def test_no_page_costs_more_queries_with_more_jobs(client, size, django_assert_max_num_queries):
    org = Organization.objects.create(name="Big Co", slug="big")
    make_many_jobs(org, size)

    for name, url in page_urls(org).items():
        with django_assert_max_num_queries(8, info=name):
            response = client.get(url)
        assert response.status_code in (200, 410), name


def test_the_all_jobs_list_is_headed_by_its_count_under_the_pages_heading(client, org):
    """A screen reader going by headings went from "All open jobs" to nothing: the list had
    none past the filter form, where an org page's has "Open roles" and its departments'."""
    make_job(org, "Welder")
    make_job(org, "Rigger")

    def headings(url: str) -> list[tuple[str, str]]:
        page = BeautifulSoup(client.get(url).content, "html.parser")
        found = page.select("main :is(h1, h2, h3, h4)")
        return [(heading.name, heading.get_text(" ", strip=True)) for heading in found]

    assert headings("/jobs/") == [("h1", "All open jobs"), ("h2", "2 open jobs")]
    assert headings("/jobs/?q=welder") == [("h1", "All open jobs"), ("h2", "1 job matches")]
    assert headings("/jobs/?q=diver") == [("h1", "All open jobs"), ("h2", "0 jobs match")]
    assert headings("/orgs/harbor/") == [
        ("h1", "Harbor Tools"),
        ("h2", "Open roles"),
        ("h3", "Other roles"),
    ]
