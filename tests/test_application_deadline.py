"""A job past its Greenhouse application deadline, still on the board: no page offers it, its
own page says applications have closed, and its admins see why it is not listed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from jobs.greenhouse import parse_job
from jobs.models import Department, Job, Organization
from jobs.sync import sync_organization
from tests.support.public_jobs import make_job, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db) -> Organization:
    return Organization.objects.create(name="Harbor Tools", slug="harbor")


@pytest.fixture
def jobs(org) -> dict[str, Job]:
    """Open jobs: one past its deadline, the others before theirs or without one."""
    now = timezone.now().replace(microsecond=0)  # as the JSON list writes times, to the second
    welding = make_unit(Department, org, "Welding")
    return {
        "past": make_job(
            org,
            "Pipe Welder",
            departments=(welding,),
            location_name="Rotterdam",  # no other job is there
            application_deadline=now - timedelta(minutes=1),
        ),
        "soon": make_job(
            org, "Rigger", departments=(welding,), application_deadline=now + timedelta(days=1)
        ),
        "none": make_job(org, "Crane Operator", departments=(welding,)),
        "welder": make_job(
            org, "Welder, Night Shift", application_deadline=now + timedelta(hours=1)
        ),
    }


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize(
    "url", ["/", "/jobs/", "/jobs/?q=welder", "/orgs/harbor/", "/jobs/feed/", "/orgs/harbor/feed/"]
)
def test_no_listing_offers_a_job_past_its_deadline(client, jobs, url):
    html = page_text(client, url)

    assert "Pipe Welder" not in html
    assert "Welder, Night Shift" in html


def test_the_counts_the_filters_and_the_sitemap_leave_it_out(client, jobs):
    assert "3 open roles" in page_text(client, "/orgs/")
    assert "Rotterdam" not in page_text(client, "/jobs/")  # its location is no filter option
    sitemap = page_text(client, "/sitemap-jobs.xml")
    assert f"/jobs/{jobs['past'].greenhouse_id}/" not in sitemap
    assert f"/jobs/{jobs['soon'].greenhouse_id}/" in sitemap


def test_the_json_list_leaves_it_out_and_gives_the_others_deadlines(client, jobs):
    data = client.get("/orgs/harbor/jobs.json").json()

    assert data["count"] == 3
    deadlines = {job["title"]: job["application_deadline"] for job in data["jobs"]}
    assert deadlines == {
        "Rigger": jobs["soon"].application_deadline.isoformat().replace("+00:00", "Z"),
        "Crane Operator": None,
        "Welder, Night Shift": jobs["welder"]
        .application_deadline.isoformat()
        .replace("+00:00", "Z"),
    }


@pytest.mark.parametrize("url", ["/", "/jobs/", "/orgs/harbor/"])
def test_listings_say_until_when_a_job_closing_within_a_week_takes_applications(
    client, org, jobs, url
):
    make_job(org, "Rope Access Technician", application_deadline=timezone.now() + timedelta(30))

    html = page_text(client, url)

    # The rigger (a day to go) and the night-shift welder (an hour); not the others.
    assert html.count('<span class="closes-soon">Apply by') == 2
    rigger_deadline = timezone.localtime(jobs["soon"].application_deadline)
    assert f"{date_format(rigger_deadline, 'j F')}</time></span>" in html


def test_its_page_says_applications_have_closed_without_an_apply_link(client, jobs):
    job = jobs["past"]

    response = client.get(f"/orgs/harbor/jobs/{job.greenhouse_id}/")

    assert response.status_code == 410
    html = response.content.decode()
    assert "Applications for this role have closed." in html
    assert "<bdi>Harbor Tools</bdi> took applications until" in html
    assert "This role is no longer open" not in html
    assert job.absolute_url not in html and "application/ld+json" not in html
    assert '<meta name="robots" content="noindex">' in html
    assert "Rigger" in html  # open roles of the same team instead


def test_a_job_with_its_deadline_ahead_is_open_with_the_date_shown(client, jobs):
    html = page_text(client, f"/orgs/harbor/jobs/{jobs['soon'].greenhouse_id}/")

    assert "Apply by</dt>" in html and jobs["soon"].absolute_url in html
    assert "Pipe Welder" not in html  # not among the related roles either


def test_a_deadline_moved_later_in_greenhouse_lists_the_job_again(client, acme, fake_greenhouse):
    (post,) = [p for p in fake_greenhouse.jobs("acme-robotics") if p["application_deadline"]]
    post["application_deadline"] = "2026-01-31"
    sync_organization(acme, trigger="command")
    assert post["title"] not in page_text(client, "/orgs/acme/")

    post["application_deadline"] = "2999-01-31"
    fake_greenhouse.touch("acme-robotics")
    sync_organization(acme, trigger="command")

    assert post["title"] in page_text(client, "/orgs/acme/")


def test_a_deadline_given_as_a_date_ends_with_that_day_in_the_sites_time_zone(
    fake_greenhouse, settings
):
    """Applications are open through the day Greenhouse names; read as its first moment, the job
    left the listings as that day began, and as midnight UTC it showed as the day before west
    of UTC."""
    settings.TIME_ZONE = "America/Los_Angeles"
    raw = fake_greenhouse.jobs("acme-robotics")[0] | {"application_deadline": "2026-10-31"}

    deadline = parse_job(raw).application_deadline

    assert deadline == datetime(2026, 10, 31, 23, 59, 59, tzinfo=ZoneInfo("America/Los_Angeles"))


def test_its_admins_see_why_it_is_not_listed(client, owner, acme, fake_greenhouse):
    sync_organization(acme, trigger="command")
    job = Job.objects.get(title="Customer Success Lead, Japan")
    Job.objects.filter(pk=job.pk).update(application_deadline=timezone.now() - timedelta(days=1))
    client.force_login(owner)

    table = page_text(client, "/manage/acme/jobs/")
    edit_page = page_text(client, f"/manage/acme/jobs/{job.pk}/edit/")

    assert table.count('<span class="badge">Deadline passed</span>') == 1
    assert table.count('<tr role="row" class="closed">') == 1  # shown as the closed ones are
    assert "Open in Greenhouse, but not listed here: its application deadline passed on" in (
        edit_page
    )
