"""Departments inside departments: filtering by a parent lists its sub-teams' jobs too, at any
depth and within its org, and the filter offers each department under its parent."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from jobs.models import Department, Job, SyncRun
from jobs.selectors import job_filter_options, job_search
from jobs.sync import sync_organization
from tests.support.helpers import make_connection

pytestmark = pytest.mark.django_db

# tidewater-freight.json: Engineering › Platform › Backend and › Infrastructure, Engineering ›
# Data, a Dispatch team whose parent (Operations) no job lists, and a flat People team.
ENGINEERING_MANAGER = "Engineering Manager, Freight Platform"  # Engineering
PLATFORM_LEAD = "Platform Product Lead"  # Engineering › Platform
BACKEND_ENGINEER = "Backend Engineer, Rate Quotes"  # Engineering › Platform › Backend
SRE = "Site Reliability Engineer"  # Engineering › Platform › Infrastructure
DATA_ANALYST = "Data Analyst, Lane Pricing"  # Engineering › Data
DISPATCHER = "Dispatch Coordinator (Nights)"  # Dispatch
PEOPLE_PARTNER = "People Partner"  # People
ENGINEERING_JOBS = {ENGINEERING_MANAGER, PLATFORM_LEAD, BACKEND_ENGINEER, SRE, DATA_ANALYST}


@pytest.fixture
def tidewater(db, fake_greenhouse):
    """Tidewater Freight's board, synced; and Harbor Line, an org that connected the same board,
    so its departments have the very same Greenhouse ids."""
    fake_greenhouse.load_fixture("tidewater-freight", "tidewater-freight")
    for slug, name in (("tidewater", "Tidewater Freight"), ("harbor", "Harbor Line")):
        connection = make_connection(slug, "tidewater-freight", name=name)
        assert sync_organization(connection, trigger=SyncRun.Trigger.COMMAND).ok


def department(name: str, org: str = "tidewater") -> Department:
    return Department.objects.get(organization__slug=org, name=name)


def titles(response) -> set[str]:
    return {job.title for job in response.context["page"]}


def department_options(response) -> list[str]:
    page = BeautifulSoup(response.content, "html.parser")
    return [option.get_text() for option in page.select("select[name=department] option")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Engineering", ENGINEERING_JOBS),  # its own, its children's, its grandchildren's
        ("Platform", {PLATFORM_LEAD, BACKEND_ENGINEER, SRE}),  # not its sibling Data's
        ("Backend", {BACKEND_ENGINEER}),  # not its sibling Infrastructure's
        ("Dispatch", {DISPATCHER}),  # a parent without a row adds nothing
        ("People", {PEOPLE_PARTNER}),  # flat, as before
    ],
)  # fmt: skip
def test_a_department_lists_the_jobs_of_the_departments_below_it(client, tidewater, name, expected):
    chosen = {"department": department(name).pk}

    assert titles(client.get("/orgs/tidewater/", chosen)) == expected
    assert titles(client.get("/jobs/", chosen)) == expected


def test_a_job_pages_roles_in_this_team_include_its_sub_teams_but_not_its_parents(
    client, tidewater
):
    def related(title: str) -> set[str]:
        job = Job.objects.get(organization__slug="tidewater", title=title)
        response = client.get(f"/orgs/tidewater/jobs/{job.greenhouse_id}/")
        return {job.title for job in response.context["related_jobs"]}

    assert related(PLATFORM_LEAD) == {BACKEND_ENGINEER, SRE}
    assert related(BACKEND_ENGINEER) == set()


def test_a_parent_lists_no_job_of_another_org_with_the_same_greenhouse_ids(client, tidewater):
    engineering, harbor_people = department("Engineering"), department("People", org="harbor")

    response = client.get("/jobs/", {"department": [engineering.pk, harbor_people.pk]})

    assert {(job.organization.slug, job.title) for job in response.context["page"]} == {
        *(("tidewater", title) for title in ENGINEERING_JOBS),
        ("harbor", PEOPLE_PARTNER),
    }
    # On Harbor Line's own page, Tidewater's department is no filter at all.
    assert len(titles(client.get("/orgs/harbor/", {"department": engineering.pk}))) == 7


# A query that looped would hold the database call: on SQLite only a thread can end the run;
# PostgreSQL gets a statement timeout, or it would run the query on after the run ended.
@pytest.mark.timeout(30, method="thread")
def test_departments_whose_parents_loop_are_each_matched_and_offered_once(client, tidewater):
    """Bad data: Engineering's parent is Backend, below it; and People is its own parent."""
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = '10s'")
    backend = department("Backend")
    Department.objects.filter(pk=department("Engineering").pk).update(
        parent_greenhouse_id=backend.greenhouse_id
    )
    people = department("People")
    Department.objects.filter(pk=people.pk).update(parent_greenhouse_id=people.greenhouse_id)

    jobs = job_search(organization_slug="tidewater", department_ids=[backend.pk])
    options = job_filter_options(organization=people.organization).departments

    assert {job.title for job in jobs} == ENGINEERING_JOBS
    assert {job.title for job in job_search(department_ids=[people.pk])} == {PEOPLE_PARTNER}
    assert sorted(option.pk for option in options) == sorted(
        people.organization.departments.values_list("pk", flat=True)
    )
    assert titles(client.get("/orgs/tidewater/", {"department": backend.pk})) == ENGINEERING_JOBS


def test_the_filter_offers_each_department_after_its_parent_and_named_under_it(client, tidewater):
    """A screen reader reads no indent: the name says where the team sits."""
    expected = [
        "All departments",
        "Dispatch",
        "Engineering",
        "Engineering › Data",
        "Engineering › Platform",
        "Engineering › Platform › Backend",
        "Engineering › Platform › Infrastructure",
        "People",
    ]

    assert department_options(client.get("/orgs/tidewater/")) == expected
    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")
    (group,) = page.select('select[name=department] optgroup[label="Tidewater Freight"]')
    assert [option.get_text() for option in group.select("option")] == expected[1:]


def test_a_parent_whose_only_open_jobs_are_its_sub_teams_is_still_offered(client, tidewater):
    Job.objects.filter(title__in=[ENGINEERING_MANAGER, PLATFORM_LEAD]).update(is_open=False)
    engineering = department("Engineering")

    response = client.get("/orgs/tidewater/", {"department": engineering.pk})

    assert titles(response) == {BACKEND_ENGINEER, SRE, DATA_ANALYST}
    assert department_options(response)[2:5] == [
        "Engineering",
        "Engineering › Data",
        "Engineering › Platform",
    ]
    # Once no job below it is open either, it is offered no more (only as the saved choice).
    Job.objects.filter(title__in=[BACKEND_ENGINEER, SRE, DATA_ANALYST]).update(is_open=False)
    cache.clear()  # a direct edit: the options read above are cached
    assert department_options(client.get("/orgs/tidewater/")) == [
        "All departments",
        "Dispatch",
        "People",
    ]


def test_a_parent_filter_costs_the_queries_of_a_flat_one(client, tidewater):
    def queries(name: str) -> int:
        chosen = {"department": department(name).pk}
        cache.clear()
        with CaptureQueriesContext(db_connection) as captured:
            assert client.get("/orgs/tidewater/", chosen).status_code == 200
        return len(captured)

    assert queries("Engineering") == queries("Platform") == queries("People")
