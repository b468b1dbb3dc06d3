"""Departments inside departments: filtering by a parent lists its sub-teams' jobs too, at any
depth and within its org."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from jobs.models import Department, Job, SyncRun
from jobs.selectors import job_search
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
def test_departments_whose_parents_loop_are_each_matched_once(client, tidewater):
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

    assert {job.title for job in jobs} == ENGINEERING_JOBS
    assert {job.title for job in job_search(department_ids=[people.pk])} == {PEOPLE_PARTNER}
    assert titles(client.get("/orgs/tidewater/", {"department": backend.pk})) == ENGINEERING_JOBS


def test_a_parent_filter_costs_the_queries_of_a_flat_one(client, tidewater):
    def queries(name: str) -> int:
        chosen = {"department": department(name).pk}
        cache.clear()
        with CaptureQueriesContext(db_connection) as captured:
            assert client.get("/orgs/tidewater/", chosen).status_code == 200
        return len(captured)

    assert queries("Engineering") == queries("Platform") == queries("People")
