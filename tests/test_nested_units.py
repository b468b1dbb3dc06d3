"""Departments inside departments, and offices inside offices: filtering by a parent lists the
jobs of the ones below it too, at any depth and within its org, and the filter offers each one
under its parent."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import connection as db_connection
from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Value, When
from django.test.utils import CaptureQueriesContext

from jobs.greenhouse import MAX_UNITS_PER_POST
from jobs.models import Department, Job, Office, Organization, SyncRun
from jobs.selectors import (
    MAX_UNIT_PATH_NAMES,
    TREE_FIELDS,
    UNIT_OPTION_FIELDS,
    DepartmentPath,
    _units_in_tree_order,
    department_paths,
    group_by_department,
    job_filter_options,
    job_search,
    order_by_department,
)
from jobs.sync import sync_organization
from tests.support.helpers import Cost, cost_counted
from tests.support.public_jobs import job_to_make, make_job, make_unit

pytestmark = pytest.mark.django_db

# tidewater-freight.json. Departments: Engineering › Platform › Backend and › Infrastructure,
# Engineering › Data, a Dispatch team whose parent (Operations) no job lists, and a flat People
# team. Offices: Europe › Netherlands › Rotterdam, Europe › Hamburg, and a flat Remote.
ENGINEERING_MANAGER = "Engineering Manager, Freight Platform"  # Engineering; Rotterdam
PLATFORM_LEAD = "Platform Product Lead"  # Engineering › Platform; Rotterdam
BACKEND_ENGINEER = "Backend Engineer, Rate Quotes"  # Engineering › Platform › Backend; Remote
SRE = "Site Reliability Engineer"  # Engineering › Platform › Infrastructure; Remote
DATA_ANALYST = "Data Analyst, Lane Pricing"  # Engineering › Data; Hamburg
DISPATCHER = "Dispatch Coordinator (Nights)"  # Dispatch; Netherlands
PEOPLE_PARTNER = "People Partner"  # People; Europe
ENGINEERING_JOBS = {ENGINEERING_MANAGER, PLATFORM_LEAD, BACKEND_ENGINEER, SRE, DATA_ANALYST}
ROTTERDAM_JOBS = {ENGINEERING_MANAGER, PLATFORM_LEAD}
EUROPE_JOBS = {*ROTTERDAM_JOBS, DATA_ANALYST, DISPATCHER, PEOPLE_PARTNER}
REMOTE_JOBS = {BACKEND_ENGINEER, SRE}


@dataclass(frozen=True)
class Tree:
    """Departments or offices in the fixture: a root › middle › leaf chain, and a flat one."""

    model: type[Department] | type[Office]
    field: str  # the filter's name, in the query string and on its <select>
    root: str
    middle: str
    leaf: str
    root_jobs: set[str]
    flat: str
    flat_jobs: set[str]
    options: list[str]  # the filter's, in order


DEPARTMENTS = Tree(
    Department, "department", "Engineering", "Platform", "Backend", ENGINEERING_JOBS,
    "People", {PEOPLE_PARTNER},
    [
        "All departments",
        "Dispatch",
        "Engineering",
        "Engineering › Data",
        "Engineering › Platform",
        "Engineering › Platform › Backend",
        "Engineering › Platform › Infrastructure",
        "People",
    ],
)  # fmt: skip
OFFICES = Tree(
    Office, "office", "Europe", "Netherlands", "Rotterdam", EUROPE_JOBS, "Remote", REMOTE_JOBS,
    [
        "All offices",
        "Europe",
        "Europe › Hamburg",
        "Europe › Netherlands",
        "Europe › Netherlands › Rotterdam",
        "Remote",
    ],
)  # fmt: skip
both_trees = pytest.mark.parametrize("tree", [DEPARTMENTS, OFFICES], ids=lambda tree: tree.field)


def unit(tree: Tree, name: str, org: str = "tidewater") -> Department | Office:
    return tree.model.objects.get(organization__slug=org, name=name)


def titles(response) -> set[str]:
    return {job.title for job in response.context["page"]}


def options(response, tree: Tree) -> list[str]:
    page = BeautifulSoup(response.content, "html.parser")
    return [option.get_text() for option in page.select(f"select[name={tree.field}] option")]


@pytest.mark.parametrize(
    ("tree", "name", "expected"),
    [
        (DEPARTMENTS, "Engineering", ENGINEERING_JOBS),  # its own, children's, grandchildren's
        (DEPARTMENTS, "Platform", {PLATFORM_LEAD, BACKEND_ENGINEER, SRE}),  # not sibling Data's
        (DEPARTMENTS, "Backend", {BACKEND_ENGINEER}),  # not its sibling Infrastructure's
        (DEPARTMENTS, "Dispatch", {DISPATCHER}),  # a parent without a row adds nothing
        (DEPARTMENTS, "People", {PEOPLE_PARTNER}),  # flat, as before
        (OFFICES, "Europe", EUROPE_JOBS),
        (OFFICES, "Netherlands", {*ROTTERDAM_JOBS, DISPATCHER}),  # not its sibling Hamburg's
        (OFFICES, "Rotterdam", ROTTERDAM_JOBS),  # not its parents'
        (OFFICES, "Hamburg", {DATA_ANALYST}),
        (OFFICES, "Remote", REMOTE_JOBS),
    ],
)  # fmt: skip
def test_a_unit_lists_the_jobs_of_the_units_below_it(client, tidewater, tree, name, expected):
    chosen = {tree.field: unit(tree, name).pk}

    assert titles(client.get("/orgs/tidewater/", chosen)) == expected
    assert titles(client.get("/jobs/", chosen)) == expected


@both_trees
def test_a_job_in_a_parent_and_below_it_is_listed_once(client, tidewater, tree):
    root, leaf = unit(tree, tree.root), unit(tree, tree.leaf)
    getattr(leaf.jobs.first(), f"{tree.field}s").add(root)

    response = client.get("/orgs/tidewater/", {tree.field: root.pk})

    assert sorted(job.title for job in response.context["page"]) == sorted(tree.root_jobs)


def test_a_job_pages_roles_in_this_team_include_its_sub_teams_but_not_its_parents(
    client, tidewater
):
    def related(title: str) -> set[str]:
        job = Job.objects.get(organization__slug="tidewater", title=title)
        response = client.get(f"/orgs/tidewater/jobs/{job.greenhouse_id}/")
        return {job.title for job in response.context["related_jobs"]}

    assert related(PLATFORM_LEAD) == {BACKEND_ENGINEER, SRE}
    assert related(BACKEND_ENGINEER) == set()


@pytest.mark.parametrize(
    ("title", "facts"),
    [
        (BACKEND_ENGINEER, {"Department": ["Engineering", "Platform", "Backend"]}),
        (DISPATCHER, {"Department": ["Dispatch"], "Office": ["Europe", "Netherlands"]}),
    ],
    ids=["three deep", "a parent without a row"],
)
def test_a_job_page_names_its_units_by_their_path_as_the_filters_do(
    client, tidewater, title, facts
):
    """It said "Backend" where the org's page and the filters say "Engineering › Platform ›
    Backend"."""
    job = Job.objects.get(organization__slug="tidewater", title=title)
    page = BeautifulSoup(
        client.get(f"/orgs/tidewater/jobs/{job.greenhouse_id}/").content, "html.parser"
    )

    for term, names in facts.items():
        fact = page.find("dt", string=term).find_next_sibling("dd")
        assert [bdi.string for bdi in fact.select("bdi")] == names
        assert fact.get_text() == " › ".join(names)


def test_the_all_jobs_list_names_each_jobs_departments_by_their_path(client, tidewater):
    """It said "Backend" beside a filter that offers "Engineering › Platform › Backend"."""
    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")

    def departments_of(title: str) -> list[str]:
        item = page.find("a", string=title).find_parent("li")
        return [department.get_text() for department in item.select(".job-item-department")]

    assert departments_of(BACKEND_ENGINEER) == ["Engineering › Platform › Backend"]
    assert departments_of(DATA_ANALYST) == ["Engineering › Data"]
    assert departments_of(DISPATCHER) == ["Dispatch"]


@both_trees
def test_a_parent_lists_no_job_of_another_org_with_the_same_greenhouse_ids(client, tidewater, tree):
    root, harbor_flat = unit(tree, tree.root), unit(tree, tree.flat, org="harbor")

    response = client.get("/jobs/", {tree.field: [root.pk, harbor_flat.pk]})

    assert {(job.organization.slug, job.title) for job in response.context["page"]} == {
        *(("tidewater", title) for title in tree.root_jobs),
        *(("harbor", title) for title in tree.flat_jobs),
    }
    # On Harbor Line's own page, Tidewater's unit is no filter at all.
    assert len(titles(client.get("/orgs/harbor/", {tree.field: root.pk}))) == 7


# A query that looped would hold the database call: on SQLite only a thread can end the run;
# PostgreSQL gets a statement timeout, or it would run the query on after the run ended.
@pytest.mark.timeout(30, method="thread")
@both_trees
def test_units_whose_parents_loop_are_each_matched_and_offered_once(client, tidewater, tree):
    """Bad data: Engineering's parent is Backend, below it; and People is its own parent (or
    Europe's Rotterdam, and Remote's itself)."""
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = '10s'")
    leaf, flat = unit(tree, tree.leaf), unit(tree, tree.flat)
    units = tree.model.objects.filter(organization__slug="tidewater")
    units.filter(name=tree.root).update(parent_greenhouse_id=leaf.greenhouse_id)
    units.filter(pk=flat.pk).update(parent_greenhouse_id=flat.greenhouse_id)
    ids = f"{tree.field}_ids"

    jobs = job_search(organization_slug="tidewater", **{ids: [leaf.pk]})
    offered = getattr(job_filter_options(organization_id=flat.organization_id), f"{tree.field}s")

    assert {job.title for job in jobs} == tree.root_jobs
    assert {job.title for job in job_search(**{ids: [flat.pk]})} == tree.flat_jobs
    assert sorted(option.pk for option in offered) == sorted(units.values_list("pk", flat=True))
    assert titles(client.get("/orgs/tidewater/", {tree.field: leaf.pk})) == tree.root_jobs


@both_trees
def test_a_unit_that_is_its_own_parent_is_offered_with_those_below_it(client, tidewater, tree):
    """Bad data: it keeps its place, the units below it after it and named under it."""
    root = unit(tree, tree.root)
    tree.model.objects.filter(pk=root.pk).update(parent_greenhouse_id=root.greenhouse_id)

    assert options(client.get("/orgs/tidewater/"), tree) == tree.options


@both_trees
def test_the_filter_offers_each_unit_after_its_parent_and_named_under_it(client, tidewater, tree):
    """A screen reader reads no indent: the name says where the team or office sits."""
    assert options(client.get("/orgs/tidewater/"), tree) == tree.options
    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")
    (group,) = page.select(f'select[name={tree.field}] optgroup[label="Tidewater Freight"]')
    assert [option.get_text() for option in group.select("option")] == tree.options[1:]


@both_trees
def test_with_the_org_chosen_the_all_jobs_filter_offers_its_units_as_its_page_does(
    client, tidewater, tree
):
    """Named under their parents, without Harbor Line's of the same names."""
    response = client.get("/jobs/", {"org": "tidewater"})

    assert options(response, tree) == tree.options


@both_trees
def test_a_parent_name_that_leaves_an_override_open_does_not_reverse_the_path(tidewater, tree):
    # An <option> holds plain text, where no <bdi> can isolate a name: "Plat\u202eform ›
    # Backend" read "Platdnekcab ‹ mrof", so its direction controls are dropped (jobs/text.py).
    middle = unit(tree, tree.middle)
    tree.model.objects.filter(pk=middle.pk).update(
        name=tree.middle[:4] + "\u202e" + tree.middle[4:]
    )

    names = [
        option.name
        for option in getattr(
            job_filter_options(organization_id=middle.organization_id), f"{tree.field}s"
        )
    ]

    assert f"{tree.root} › {tree.middle} › {tree.leaf}" in names
    assert not any("\u202e" in name for name in names)


@both_trees
def test_a_parent_whose_only_open_jobs_are_below_it_is_still_offered(client, tidewater, tree):
    in_root_or_middle = {f"{tree.field}s__name__in": [tree.root, tree.middle]}
    closed = set(Job.objects.filter(**in_root_or_middle).values_list("title", flat=True))
    Job.objects.filter(title__in=closed).update(is_open=False)

    response = client.get("/orgs/tidewater/", {tree.field: unit(tree, tree.root).pk})

    assert titles(response) == tree.root_jobs - closed
    assert {tree.root, f"{tree.root} › {tree.middle}"} <= set(options(response, tree))
    # Once no job below it is open either, it is offered no more (only as the saved choice).
    Job.objects.filter(title__in=tree.root_jobs).update(is_open=False)
    cache.clear()  # a direct edit: the options read above are cached
    remaining = [label for label in tree.options if not label.startswith(tree.root)]
    assert options(client.get("/orgs/tidewater/"), tree) == remaining


@both_trees
def test_a_parent_filter_costs_the_queries_of_a_flat_one(client, tidewater, tree):
    def queries(name: str) -> int:
        chosen = {tree.field: unit(tree, name).pk}
        cache.clear()
        with CaptureQueriesContext(db_connection) as captured:
            assert client.get("/orgs/tidewater/", chosen).status_code == 200
        return len(captured)

    assert queries(tree.root) == queries(tree.middle) == queries(tree.flat)


def test_two_departments_of_one_name_under_different_parents_are_two_groups(client, tidewater):
    """Grouped by the department, not its name, and each headed by its path; a flat one keeps
    its plain name."""
    data = unit(DEPARTMENTS, "Data")
    data_backend = make_unit(Department, data.organization, "Backend")
    Department.objects.filter(pk=data_backend.pk).update(parent_greenhouse_id=data.greenhouse_id)
    make_job(data.organization, "Backend Engineer, Lane Data", departments=(data_backend,))

    response = client.get("/orgs/tidewater/")

    groups = [
        (heading, [job.title for job in jobs]) for heading, jobs in response.context["job_groups"]
    ]
    assert groups == [
        (("Dispatch",), [DISPATCHER]),
        (("Engineering",), [ENGINEERING_MANAGER]),
        (("Engineering", "Data"), [DATA_ANALYST]),
        (("Engineering", "Data", "Backend"), ["Backend Engineer, Lane Data"]),
        (("Engineering", "Platform"), [PLATFORM_LEAD]),
        (("Engineering", "Platform", "Backend"), [BACKEND_ENGINEER]),
        (("Engineering", "Platform", "Infrastructure"), [SRE]),
        (("People",), [PEOPLE_PARTNER]),
    ]
    # Each name isolated: one leaving a right-to-left override open reverses no other.
    html = response.content.decode()
    assert "<h3><bdi>Engineering</bdi> › <bdi>Data</bdi> › <bdi>Backend</bdi></h3>" in html
    assert "<h3><bdi>People</bdi></h3>" in html


def test_the_org_admins_jobs_table_names_each_jobs_departments_by_their_path(
    admin_client, tidewater
):
    page = BeautifulSoup(admin_client.get("/manage/tidewater/jobs/").content, "html.parser")

    def departments_of(title: str) -> str:
        row = page.find("a", string=title).find_parent("tr")
        return row.select_one("td[data-label=Department]").get_text()

    assert departments_of(BACKEND_ENGINEER) == "Engineering › Platform › Backend"
    assert departments_of(DISPATCHER) == "Dispatch"


@pytest.mark.parametrize("url", ["/orgs/tidewater/", "/jobs/", "/manage/tidewater/jobs/"])
def test_a_lists_department_paths_cost_the_same_queries_for_more_departments(
    admin_client, tidewater, url
):
    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(db_connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    before = queries()
    platform = unit(DEPARTMENTS, "Platform")
    for n in range(5):
        team = make_unit(Department, platform.organization, f"Team {n}")
        Department.objects.filter(pk=team.pk).update(parent_greenhouse_id=platform.greenhouse_id)
        make_job(platform.organization, f"Engineer {n}", departments=(team,))

    assert queries() == before


@both_trees
def test_a_saved_unit_without_open_jobs_now_is_named_by_its_path(client, tidewater, tree):
    leaf = unit(tree, tree.leaf)
    Job.objects.filter(**{f"{tree.field}s": leaf}).update(is_open=False)

    response = client.get("/orgs/tidewater/", {tree.field: leaf.pk})

    path = f"{tree.root} › {tree.middle} › {tree.leaf}"
    assert f"{path} (no open jobs now)" in options(response, tree)
    assert path not in options(response, tree)


def test_a_unit_deep_in_a_chain_is_named_by_its_top_unit_and_those_nearest_it(
    client, acme, fake_greenhouse
):
    """Bad data: posts in hundreds of departments, each the parent of the next. Named in full,
    each one's path held all above it, and the pages naming them grew with the square of the
    chain's length: a chain of 1,000 took the all-jobs page past two minutes."""
    posts = fake_greenhouse.jobs("acme-robotics")
    # As many as a post may list in each post, the deepest in the last: 300 in all.
    for number, post in enumerate(posts):
        post["departments"] = [
            {"id": 7_000 + level, "name": f"Level {level}", "parent_id": 7_000 + level - 1}
            for level in range(number * MAX_UNITS_PER_POST, (number + 1) * MAX_UNITS_PER_POST)
        ]
    levels = len(posts) * MAX_UNITS_PER_POST
    fake_greenhouse.touch("acme-robotics")
    assert sync_organization(acme, trigger=SyncRun.Trigger.SCHEDULE).ok

    options = job_filter_options(organization_id=acme.organization_id).departments
    response = client.get(f"/orgs/acme/jobs/{posts[-1]['id']}/")

    nearest = range(levels - MAX_UNIT_PATH_NAMES + 2, levels)
    deepest = " › ".join(["Level 0", "…", *(f"Level {level}" for level in nearest)])
    assert len(deepest.split(" › ")) == MAX_UNIT_PATH_NAMES
    assert deepest in [option.name for option in options]
    assert max(len(option.name.split(" › ")) for option in options) == MAX_UNIT_PATH_NAMES
    path_on_page = "".join(f"<bdi>{name}</bdi> › " for name in deepest.split(" › "))[:-3]
    assert path_on_page in response.content.decode()


POSTS = 60


def posts_of_departments(organization: Organization, *, each: range) -> None:
    """`each` more departments on each of the org's POSTS posts (made the first time): "Team 3-0"
    first for post 3. Written directly, as a sync of them would cost more than the page."""
    jobs = list(organization.jobs.order_by("pk")) or Job.objects.bulk_create(
        job_to_make(organization, f"Robot Tamer {number}") for number in range(POSTS)
    )
    listed = [
        (
            job,
            Department(
                organization=organization, greenhouse_id=number * 100 + n, name=f"Team {number}-{n}"
            ),
        )
        for number, job in enumerate(jobs)
        for n in each
    ]
    Department.objects.bulk_create(department for _, department in listed)
    Job.departments.through.objects.bulk_create(
        Job.departments.through(job=job, department=department) for job, department in listed
    )


def acme_page_cost(client) -> Cost:
    cache.clear()
    with cost_counted() as cost:
        response = client.get("/orgs/acme/")

    # Each job under its first department by name, as the filter lists them ("1-0" < "10-0").
    headings = [heading for heading, _ in response.context["job_groups"]]
    assert headings[:3] == [("Team 0-0",), ("Team 1-0",), ("Team 10-0",)]
    return cost[0]


def test_an_orgs_page_costs_no_more_per_department_the_more_departments_it_has(client, acme):
    """The page lists jobs in its org's department order, ranked by a CASE of every department
    of its open jobs. Built by Django of a When per department, it took a millisecond each to
    compile: 3,000 departments, as many as 60 posts may list, took each visit to the page 3 s.
    Twice the departments (600, then 1,200): the same queries, the same SQL compiled, and no
    more than twice the work in Python (work in the square of their number is over three
    times as much already at these)."""
    organization = acme.organization
    posts_of_departments(organization, each=range(10))
    assert client.get("/orgs/acme/").status_code == 200  # first: the templates loaded, and such
    fewer = acme_page_cost(client)
    posts_of_departments(organization, each=range(10, 20))
    assert organization.departments.count() == 1_200
    more = acme_page_cost(client)

    assert (more.queries, more.sql_compiled) == (fewer.queries, fewer.sql_compiled)
    assert more.operations <= 2 * fewer.operations, (fewer, more)


def test_a_unit_as_deep_as_a_path_shows_is_named_by_its_whole_path(acme, fake_greenhouse):
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[0]["departments"] = [
        {"id": 7_000 + level, "name": f"Level {level}", "parent_id": 7_000 + level - 1}
        for level in range(MAX_UNIT_PATH_NAMES)
    ]
    fake_greenhouse.touch("acme-robotics")
    assert sync_organization(acme, trigger=SyncRun.Trigger.SCHEDULE).ok

    options = job_filter_options(organization_id=acme.organization_id).departments

    whole = " › ".join(f"Level {level}" for level in range(MAX_UNIT_PATH_NAMES))
    assert whole in [option.name for option in options]


def test_an_orgs_page_ranks_only_the_departments_of_its_open_jobs_and_those_above_them(
    client, acme
):
    """Departments are kept once their jobs close, and a board that renames its teams' ids
    leaves more each time: each was a branch of the CASE the page orders its jobs by, and
    SQLite takes time growing with their square to read it (5 s for 30,000, 71 s for 100,000)."""
    organization = acme.organization
    engineering = make_unit(Department, organization, "Engineering")
    backend = make_unit(
        Department, organization, "Backend", parent_greenhouse_id=engineering.greenhouse_id
    )
    make_job(organization, "Backend Engineer", departments=(backend,))
    make_job(organization, "Hidden", departments=(make_unit(Department, organization, "Ops"),))
    Job.objects.filter(title="Hidden").update(hidden=True)
    gone = [make_unit(Department, organization, f"Gone {n}") for n in range(20)]
    make_job(organization, "Closed", departments=tuple(gone), is_open=False)

    assert department_paths(organization=organization) == [
        (engineering.pk, ("Engineering",)),
        (backend.pk, ("Engineering", "Backend")),
    ]
    response = client.get("/orgs/acme/")
    headings = [heading for heading, _ in response.context["job_groups"]]
    assert headings == [("Engineering", "Backend")]


def all_department_paths(organization):
    """department_paths() of every department of the org, of open jobs or not, as it was."""
    departments = Department.objects.filter(organization=organization).order_by("name", "pk")
    rows = departments.values_list(*UNIT_OPTION_FIELDS, *TREE_FIELDS)
    return [DepartmentPath(row[0], names) for row, names in _units_in_tree_order(rows)]


def ordered_by_a_when_per_department(jobs, *, paths):
    """order_by_department() as Django writes it, a When per department: the reference."""
    rank = Case(
        *(When(pk=path.pk, then=Value(place)) for place, path in enumerate(paths)),
        output_field=IntegerField(),
    )
    first = (
        Department.objects.filter(jobs=OuterRef("pk")).annotate(rank=rank).order_by("rank", "pk")
    )
    return jobs.annotate(department_rank=Subquery(first.values("rank")[:1])).order_by(
        "-featured", F("department_rank").asc(nulls_last=True), "title", "pk"
    )


@pytest.mark.parametrize("seed", range(12))
def test_an_orgs_page_groups_its_jobs_as_a_when_per_department_did(seed):
    """On random trees (names shared, parents missing, looping or their own), with closed jobs'
    departments too: the same jobs, in the same order, under the same headings, as when every
    department of the org was ranked."""
    chance = random.Random(seed)
    organization = Organization.objects.create(name="Random Trees", slug=f"random-{seed}")
    departments = [
        make_unit(Department, organization, chance.choice(["Ops", "Data", "ليلى", "Data "]))
        for _ in range(chance.randint(0, 30))
    ]
    for department in departments:
        parent = chance.choice([None, 1, department, *departments])
        department.parent_greenhouse_id = getattr(parent, "greenhouse_id", parent)
    Department.objects.bulk_update(departments, ["parent_greenhouse_id"])
    for number in range(chance.randint(0, 30)):
        make_job(
            organization,
            chance.choice(["Cook", "Driver", "Clerk"]),
            departments=tuple(chance.sample(departments, min(len(departments), number % 4))),
            featured=chance.random() < 0.2,
            is_open=chance.random() < 0.7,
        )
    jobs = job_search(organization_slug=organization.slug)
    paths = department_paths(organization=organization)

    def groups(ordered, paths):
        return [
            (heading, [job.pk for job in members])
            for heading, members in group_by_department(ordered, paths=paths)
        ]

    all_paths = all_department_paths(organization)
    assert groups(order_by_department(jobs, paths=paths), paths) == groups(
        ordered_by_a_when_per_department(jobs, paths=all_paths), all_paths
    )
