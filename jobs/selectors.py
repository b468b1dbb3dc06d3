"""Reads for visitor pages: job search with filters, filter options, related jobs.

Every list here costs a fixed number of queries however many jobs there are: related rows come
from select_related/prefetch_related, never from a query per job.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import groupby
from typing import Literal, NamedTuple

from django.core.paginator import Page
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from jobs.filters import JobFilters
from jobs.greenhouse import without_format_characters
from jobs.models import (
    Department,
    Job,
    Office,
    Organization,
    SiteListing,
    by_organization_name,
    listed_until_deadline_passed,
)
from jobs.pagination import page_asked
from jobs.search import filter_by_keywords
from jobs.text import (
    composed,
    name_in_title,
    names_in_plain_text,
    option_direction,
    without_direction_controls,
)

FEATURED_GROUP = "Featured roles"
# After a chosen filter value that no open job has now (a link saved earlier).
NO_OPEN_JOBS_NOW = " (no open jobs now)"
NO_DEPARTMENT_GROUP = "Other roles"
# Between a department's (or office's) parents' names and its own in the filter:
# "Engineering › Backend", "Europe › Berlin".
UNIT_PATH_SEPARATOR = " › "
# The names a unit's path shows at most: its top unit's, UNIT_PATH_GAP, then those nearest it.
# Real trees are a few levels deep; a chain of thousands (bad data from Greenhouse) gave each
# unit a path of as many names, and a page listing them megabytes that took minutes to render.
MAX_UNIT_PATH_NAMES = 8
UNIT_PATH_GAP = "…"


def remote_policy_is(policy: str) -> Q:
    """Jobs whose remote policy, as visitors see it (Job.effective_remote_policy), is `policy`
    ("" for jobs of which neither the site nor Greenhouse says one)."""
    follows_greenhouse = Q(remote_policy="", greenhouse_remote_policy=policy)
    return (follows_greenhouse | Q(remote_policy=policy)) if policy else follows_greenhouse


def job_search(
    *,
    query: str = "",
    organization_slug: str = "",
    department_ids: Sequence[int] = (),
    office_ids: Sequence[int] = (),
    location: str = "",
    remote_policy: str = "",
) -> QuerySet[Job]:
    """Open, visible jobs matching all the given filters; best match first, then newest.

    Several departments (or offices) match a job in any of them; different filters combine.
    A department (or office) matches the jobs of the ones below it too, as a team includes its
    sub-teams and "Europe" its cities. The description, search text and metadata (most of a
    row) are not loaded: pages list a job's title and facts, and feeds its excerpt.
    """
    jobs = Job.objects.listed()
    if organization_slug:
        jobs = jobs.filter(organization__slug=organization_slug)
    if department_ids:
        jobs = jobs.filter(pk__in=_job_ids_in(Department, department_ids))
    if office_ids:
        jobs = jobs.filter(pk__in=_job_ids_in(Office, office_ids))
    if location:
        jobs = jobs.filter(location_name=location)
    if remote_policy:
        jobs = jobs.filter(remote_policy_is(remote_policy))
    jobs = filter_by_keywords(jobs, query)
    best_match_first = ["-search_rank"] if "search_rank" in jobs.query.annotations else []
    return (
        jobs.select_related("organization")
        .prefetch_related("departments")
        .defer(*Job.NOT_IN_LISTS)
        .order_by(*best_match_first, F("first_published_at").desc(nulls_last=True), "-pk")
    )


def _job_ids_in(model: type[Department] | type[Office], unit_ids: Sequence[int]) -> QuerySet:
    """The ids of the jobs in the departments (or offices) `unit_ids` or in one below them."""
    # A subquery, not a join: a job in two of the units must not be listed twice.
    below = _linked_units(model.objects.filter(pk__in=unit_ids), going="down")
    links = model.jobs.through.objects.filter(**{f"{_link_column(model)}__in": below})
    return links.values("job_id")


def _link_column(model: type[Department] | type[Office]) -> str:
    """The column of Job.departments' (or Job.offices') links that names the unit."""
    return f"{model._meta.model_name}_id"


def _linked_units(
    units: QuerySet[Department] | QuerySet[Office], *, going: Literal["down", "up"]
) -> RawSQL:
    """The ids of `units` (departments or offices) and of every one below them ("down", at any
    depth) or above them ("up"), as one subquery however deep the tree is.

    A unit's parent is its org's unit of the same kind whose greenhouse_id is its
    parent_greenhouse_id; one that no job of the org lists or listed has no row, and the chain
    stops there.
    UNION, not UNION ALL: a row found again is dropped, so parents that loop in bad data end
    the recursion, on SQLite as on PostgreSQL.
    """
    columns = ("id", "organization_id", "greenhouse_id", "parent_greenhouse_id")
    start, params = units.order_by().values_list(*columns).query.sql_with_params()
    if going == "down":
        step = "d.parent_greenhouse_id = tree.greenhouse_id"
    else:
        step = "d.greenhouse_id = tree.parent_greenhouse_id"
    table = connection.ops.quote_name(units.model._meta.db_table)
    # Only the ORM's SQL and fixed names go into the text; every value is a parameter.
    sql = f"""
        WITH RECURSIVE tree (id, organization_id, greenhouse_id, parent_greenhouse_id) AS (
            {start}
            UNION
            SELECT d.id, d.organization_id, d.greenhouse_id, d.parent_greenhouse_id
            FROM {table} d JOIN tree ON d.organization_id = tree.organization_id AND {step}
        )
        SELECT id FROM tree
    """  # noqa: S608
    return RawSQL(sql, params)  # noqa: S611


class DepartmentPath(NamedTuple):
    pk: int
    names: tuple[str, ...]  # its parents' and its own: ("Engineering", "Backend")


def department_paths(*, organization: Organization) -> list[DepartmentPath]:
    """The departments of the org's listed jobs and those above them, each after its parent as
    the filter offers them, in one query. Not the others: kept once their jobs close, each
    was a branch of order_by_department's CASE for good, and SQLite takes time growing with
    their square to read one (5 s for 30,000)."""
    listed = Job.objects.listed().filter(organization=organization)
    scope = Q(organization=organization)
    departments = _offered_units(Department, scope, listed).order_by("name", "pk")
    rows = departments.values_list(*UNIT_OPTION_FIELDS, *TREE_FIELDS)
    return [DepartmentPath(row[0], names) for row, names in _units_in_tree_order(rows)]


def unit_paths(units: Sequence[Department] | Sequence[Office]) -> list[tuple[str, ...]]:
    """The names of each unit's path, as the filters and the org's page give them: ("Engineering",
    "Platform", "Backend") for Backend. Their parents are read, in one query, only if one of
    them has any."""
    if not any(unit.parent_greenhouse_id is not None for unit in units):
        return [(unit.name,) for unit in units]
    model = type(units[0])
    with_parents = model.objects.filter(
        pk__in=_linked_units(model.objects.filter(pk__in=[unit.pk for unit in units]), going="up")
    ).values_list(*UNIT_OPTION_FIELDS, *TREE_FIELDS)
    names_of = {row[0]: names for row, names in _units_in_tree_order(with_parents)}
    return [names_of[unit.pk] for unit in units]


def with_department_paths(jobs: Sequence[Job]) -> Sequence[Job]:
    """`jobs` (their departments prefetched), each with `department_paths`: its departments'
    as unit_paths() gives them, for the whole list in one query (none if no department has a
    parent)."""
    departments = [department for job in jobs for department in job.departments.all()]
    pks = [department.pk for department in departments]
    paths = dict(zip(pks, unit_paths(departments), strict=True))
    for job in jobs:
        job.department_paths = [paths[department.pk] for department in job.departments.all()]
    return jobs


class JobsForAdmins:
    """An org's jobs as its admins' table lists them, for page_asked(): open ones still taking
    applications first, then open ones past their application deadline (which visitors no
    longer see: listed_jobs), then closed ones; in each, featured first, then by title.

    A deadline passing writes nothing, so no column or index sorts by it: each part is read in
    its order from job_manage_list_idx, and a page costs one query per part it shows (one, but
    where two meet), the count one for all three, the departments one."""

    def __init__(self, organization: Organization) -> None:
        self.now = timezone.now()
        self.organization = organization
        # The table shows none of NOT_IN_LISTS. Ordered by is_open too, though each part has
        # one value of it: SQLite otherwise reads no order from the index.
        in_index_order = ("-is_open", "-featured", "title", "pk")  # as job_manage_list_idx
        jobs = organization.jobs.defer(*Job.NOT_IN_LISTS).order_by(*in_index_order)
        # Each part's jobs, read and counted by the same filter.
        self.part_filters = (
            Q(is_open=True)
            & (Q(application_deadline__isnull=True) | Q(application_deadline__gt=self.now)),
            Q(is_open=True, application_deadline__lte=self.now),
            Q(is_open=False),
        )
        self.parts = tuple(jobs.filter(part_filter) for part_filter in self.part_filters)

    @cached_property
    def _sizes(self) -> tuple[int, ...]:
        sizes = self.organization.jobs.aggregate(
            **{
                f"part_{n}": Count("pk", filter=part_filter)
                for n, part_filter in enumerate(self.part_filters)
            }
        )
        return tuple(sizes[f"part_{n}"] for n in range(len(self.part_filters)))

    def count(self) -> int:
        return sum(self._sizes)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, rows: slice) -> list[Job]:
        start, stop = rows.start or 0, rows.stop
        jobs: list[Job] = []
        for part, size in zip(self.parts, self._sizes, strict=True):
            if start < size and stop > 0:
                jobs += part[max(start, 0) : min(stop, size)]
            start, stop = start - size, stop - size
        prefetch_related_objects(jobs, "departments")
        return jobs


class PlaceAmong(Func):
    """The place of `expression`'s value among `pks` (0 for the first), NULL if it is none of
    them: one CASE with the ids written in. Built of a When per id, as Django would, it took a
    millisecond an id to compile, each time an org's page was made: 2 s for 2,000 departments."""

    output_field = IntegerField()

    def __init__(self, expression: F, *, pks: Sequence[int]) -> None:
        # int(): only numbers go into the text, which takes no parameters.
        places = " ".join(f"WHEN {int(pk)} THEN {place}" for place, pk in enumerate(pks))
        template = f"CASE %(expressions)s {places} END" if pks else "NULL"
        super().__init__(expression, template=template)


def order_by_department(jobs: QuerySet[Job], *, paths: Sequence[DepartmentPath]) -> QuerySet[Job]:
    """Featured jobs first, then by department (a job's first one, in the order of `paths`:
    department_paths()), then by title. Each job has its department's place in `paths` as
    `department_rank`: two departments of the same name under different parents stay apart."""
    rank = PlaceAmong(F("pk"), pks=[path.pk for path in paths])
    first_department = (
        Department.objects.filter(jobs=OuterRef("pk")).annotate(rank=rank).order_by("rank", "pk")
    )
    return jobs.annotate(department_rank=Subquery(first_department.values("rank")[:1])).order_by(
        "-featured", F("department_rank").asc(nulls_last=True), "title", "pk"
    )


def group_by_department(
    jobs: Iterable[Job], *, paths: Sequence[DepartmentPath]
) -> list[tuple[tuple[str, ...], list[Job]]]:
    """Consecutive jobs from order_by_department(), as (heading, jobs) groups. A heading is the
    names of a department's path (a page isolates each in a <bdi>), or one group name."""

    def group_of(job: Job) -> int | str | None:
        # Its department's place in `paths`: by id, as two of one name are two groups.
        return FEATURED_GROUP if job.featured else job.department_rank

    def heading(group: int | str | None) -> tuple[str, ...]:
        return paths[group].names if isinstance(group, int) else (group or NO_DEPARTMENT_GROUP,)

    return [(heading(group), list(members)) for group, members in groupby(jobs, key=group_of)]


def related_jobs(*, job: Job, limit: int = 5) -> list[Job]:
    """Other open jobs of the org in the job's departments (prefetched on the job) and in the
    departments below them."""
    department_ids = [department.pk for department in job.departments.all()]
    if not department_ids:
        return []
    return list(
        job_search(organization_slug=job.organization.slug, department_ids=department_ids)
        .exclude(pk=job.pk)
        .order_by("-featured", "title", "pk")[:limit]
    )


def job_for_page(*, organization_slug: str, greenhouse_id: int) -> Job | None:
    """The job a job page shows, open or closed; None if unknown or hidden by the org."""
    return (
        Job.objects.filter(
            organization__slug=organization_slug, greenhouse_id=greenhouse_id, hidden=False
        )
        .select_related("organization")
        .prefetch_related("departments", "offices")
        .defer("search_text")  # only keyword search reads it
        .first()
    )


def organizations_with_job_counts(*, hiring_only: bool) -> QuerySet[Organization]:
    """Organizations with `open_job_count` (their listed jobs), by name.

    Counted by a subquery per org (from job_listed_idx), not by joining every job and grouping:
    the database runs it for the orgs it returns, not for all, but under an OFFSET for those
    it skips too (organization_page() picks its orgs first), and ordered by the count
    (organizations_hiring_most()) for every org.
    """
    listed = Job.objects.listed().filter(organization=OuterRef("pk")).order_by()
    count = listed.values("organization").annotate(count=Count("*")).values("count")
    organizations = Organization.objects.annotate(
        open_job_count=Coalesce(Subquery(count, output_field=IntegerField()), 0)
    )
    if hiring_only:
        organizations = organizations.filter(Exists(listed))
    return organizations.order_by(*by_organization_name())


def organization_page(*, per_page: int, asked: str | None) -> Page:
    """The page `asked` of every org by name, with `open_job_count`.

    The page's orgs are picked by a subquery of their ids, and their jobs counted then: counted
    in the query that took the page, they were counted for each org its OFFSET skipped too, so
    page 200 of 10,000 orgs cost twice page 1. The paginator's COUNT reads the orgs alone.
    """
    ids = Organization.objects.order_by(*by_organization_name()).values_list("pk", flat=True)
    page = page_asked(ids, per_page=per_page, asked=asked)
    organizations = organizations_with_job_counts(hiring_only=False)
    page.object_list = with_names_shared(organizations.filter(pk__in=page.object_list))
    return page


def organizations_hiring_most(*, limit: int) -> QuerySet[Organization]:
    """The `limit` orgs with the most open jobs (ties by name), with `open_job_count`: a page
    that lists every org hiring grows with the site (5,000 of 10,000 orgs made it 630 KB)."""
    organizations = organizations_with_job_counts(hiring_only=True)
    return organizations.order_by("-open_job_count", *by_organization_name())[:limit]


def listing_changed_at(*, organization: Organization | None = None) -> datetime | None:
    """When what visitors are shown of `organization` (of every org: None) last changed: its
    listing_changed_at, or a deadline passing since, which takes a job off with no write.

    The date of the feeds and the sitemap. Not the newest date of the jobs listed: a job that is
    hidden or closed takes its date with it, and a client asking If-Modified-Since was answered
    304 Not Modified, keeping the job. Site-wide, an org's deletion too (SiteListing). None when
    there is no org and none was deleted.
    """
    passed = Job.objects.filter(listed_until_deadline_passed(now=timezone.now()))
    deleted = None
    if organization is None:
        changed = Organization.objects.aggregate(latest=Max("listing_changed_at"))["latest"]
        deleted = SiteListing.objects.values_list("organization_deleted_at", flat=True).first()
    else:
        changed = organization.listing_changed_at
        passed = passed.filter(organization=organization)
    deadline = passed.aggregate(latest=Max("application_deadline"))["latest"]
    return max((date for date in (changed, deleted, deadline) if date is not None), default=None)


def organizations_with_listing_changed() -> QuerySet[Organization]:
    """Orgs with `listing_changed`: listing_changed_at() for each, in the query that reads them."""
    deadline = Max(
        "jobs__application_deadline",
        filter=listed_until_deadline_passed(now=timezone.now(), prefix="jobs__"),
    )
    # Coalesced: SQLite's GREATEST is NULL when any of its values is.
    return Organization.objects.annotate(
        listing_changed=Greatest("listing_changed_at", Coalesce(deadline, "listing_changed_at"))
    )


def organizations_for_sitemap() -> QuerySet[Organization]:
    """Every org page, with `listing_changed`."""
    return organizations_with_listing_changed().order_by("slug")


class OrganizationOption(NamedTuple):
    slug: str
    name: str
    pk: int
    has_open_jobs: bool = True  # False: chosen by a link saved before its jobs closed
    name_shared: bool = False  # another org offered has the same name

    @property
    def told_apart(self) -> str:
        """Its name, followed by its slug where another org offered has the name too (two
        "Acme Robotics" would be two options alike, and two pages' titles)."""
        return _name_and_slug(self.name, self.slug) if self.name_shared else self.name

    @property
    def told_apart_in_title(self) -> str:
        """told_apart as a page's <title> names it: the name isolated where it is written right
        to left (name_in_title), the slug after it outside."""
        name = name_in_title(self.name)
        return f"{name} ({self.slug})" if self.name_shared else name

    @property
    def label(self) -> str:
        """Its name as the filter offers it (told_apart), marked NO_OPEN_JOBS_NOW without open
        jobs."""
        if self.has_open_jobs:
            return self.told_apart
        # Without direction controls: what follows the name would be reversed with it.
        label = self.told_apart if self.name_shared else without_direction_controls(self.name)
        return f"{label}{NO_OPEN_JOBS_NOW}"


class UnitOption(NamedTuple):
    """A department or office as the filter offers it."""

    pk: int
    # After its parents': "Engineering › Backend", "Europe › Berlin" (names_in_plain_text).
    name: str
    organization_name: str
    # Site-wide, units are grouped by their org's slug: two orgs may have the same name.
    organization_slug: str
    direction: str = ""  # "rtl" where the path's first letter with a direction is so written


def unit_option_groups(units: Iterable[UnitOption]) -> list[tuple[str, list[UnitOption]]]:
    """Site-wide departments or offices grouped by org, each group where its org's first unit
    comes, under its org's name; where another group's org has that name too, followed by its
    slug, as the org filter offers it (OrganizationOption.label). Grouped and labelled by name,
    two orgs' "Acme Robotics" were one group, and would be two groups alike."""
    groups: dict[str, list[UnitOption]] = {}
    for unit in units:
        groups.setdefault(unit.organization_slug, []).append(unit)
    name_of = {slug: group[0].organization_name for slug, group in groups.items()}
    shared = names_shared(name_of.values())
    return [
        (_name_and_slug(name, slug) if shown_name_key(name) in shared else name, groups[slug])
        for slug, name in name_of.items()
    ]


def names_shared(names: Iterable[str]) -> set[str]:
    """The names (as shown_name_key() reads them) that come more than once in `names`, in any
    case: "ACME" and "Acme" are told apart by slug wherever they are listed together."""
    counts = Counter(map(shown_name_key, names))
    return {name for name, count in counts.items() if count > 1}


def shown_name_key(name: str) -> str:
    """`name` as names_shared() compares it: as it looks. Without the format characters a page
    does not show (direction controls, which labels drop, and marks, zero-width spaces), but
    the joiners that change how letters join; composed (NFC) and casefolded. Compared as
    written, "Harbor Tools" and "\u202bHarbor Tools\u202c", or "Café" composed and not, were
    two options alike. Spaces as a page shows them: "Harbor  Tools" as "Harbor Tools"."""
    if name.isascii():
        # Most names: ASCII has no format character, nothing to compose, and casefold() lowers
        # its letters alone, so the key is the same at a sixth of the cost.
        return " ".join(name.casefold().split())
    shown = composed(without_format_characters(name, keep_joiners=True)).casefold()
    return " ".join(shown.split())  # a page shows any run of spaces as one


def with_names_shared(organizations: Iterable[Organization]) -> list[Organization]:
    """The orgs, each with `name_shared`: whether another of them has its name (names_shared),
    for a list of orgs to follow its name with its slug, as the org filter does."""
    organizations = list(organizations)
    shared = names_shared(organization.name for organization in organizations)
    for organization in organizations:
        organization.name_shared = shown_name_key(organization.name) in shared
    return organizations


def _name_and_slug(name: str, slug: str) -> str:
    """An org's name followed by its slug, to tell it from another of the same name."""
    # Without direction controls: what follows the name would be reversed with it.
    return f"{without_direction_controls(name)} ({slug})"


@dataclass(frozen=True)
class FilterOptions:
    """What the filter form offers: only values some open job has. Plain tuples, not model
    objects: site-wide there are thousands, built and cached once per listing version
    (jobs.cache.listing_value), and these are quicker to build, store and read back."""

    departments: list[UnitOption]
    offices: list[UnitOption]
    locations: list[str]
    remote_policies: list[tuple[str, str]]
    by_organization: bool  # site-wide: departments and offices come grouped by org
    # The all-jobs page's org filter (organization_options()); an org's own page has none.
    organizations: list[OrganizationOption] = field(default_factory=list)


UNIT_OPTION_FIELDS = ("pk", "name", "organization__name", "organization__slug")
TREE_FIELDS = ("organization_id", "greenhouse_id", "parent_greenhouse_id")
# A row of UNIT_OPTION_FIELDS, TREE_FIELDS.
UnitRow = tuple[int, str, str, str, int, int, int | None]
ORGANIZATION_ID_COLUMN = len(UNIT_OPTION_FIELDS)


def organization_options() -> list[OrganizationOption]:
    """The orgs the all-jobs page's filter offers: those with open jobs, by name."""
    organizations = organizations_with_job_counts(hiring_only=True)
    rows = list(organizations.values_list("slug", "name", "pk"))
    shared = names_shared(name for _, name, _ in rows)
    return [
        OrganizationOption(slug, name, pk, name_shared=shown_name_key(name) in shared)
        for slug, name, pk in rows
    ]


def job_filter_options(*, organization_id: int | None) -> FilterOptions:
    """Options for the filters of one org's jobs, or of every org's (with org names), but the
    org filter's (organization_options()).

    A department (or office) is offered when it or one below it has open jobs, before those
    below it: choosing it lists theirs too (job_search).
    """
    scope = Q(organization_id=organization_id) if organization_id else Q()
    listed = Job.objects.listed().filter(scope)
    departments, offices = (_offered_units(model, scope, listed) for model in (Department, Office))
    if organization_id is None:
        # Site-wide, units are grouped by org: two orgs may both have an "Engineering", and
        # two orgs the same name, so ordered as the org filter orders orgs, then by name.
        departments, offices = (
            units.order_by(*by_organization_name(through="organization__"), "name")
            for units in (departments, offices)
        )
    locations = (
        listed.exclude(location_name="")
        .order_by("location_name")
        .values_list("location_name", flat=True)
        .distinct()
    )
    return FilterOptions(
        departments=_nested_options(departments.values_list(*UNIT_OPTION_FIELDS, *TREE_FIELDS)),
        offices=_nested_options(offices.values_list(*UNIT_OPTION_FIELDS, *TREE_FIELDS)),
        locations=list(locations),
        remote_policies=[(value, label) for value, label in Job.RemotePolicy.choices if value],
        by_organization=organization_id is None,
    )


def _offered_units(
    model: type[Department] | type[Office], scope: Q, listed: QuerySet[Job]
) -> QuerySet[Department] | QuerySet[Office]:
    """The departments (or offices) in `scope` of the `listed` jobs, and every one above them."""
    # A subquery on the links, not a join: a unit of many jobs must come once.
    links = model.jobs.through.objects.filter(job__in=listed)
    with_listed_jobs = model.objects.filter(scope, pk__in=links.values(_link_column(model)))
    return model.objects.filter(pk__in=_linked_units(with_listed_jobs, going="up"))


def _nested_options(rows: Iterable[UnitRow]) -> list[UnitOption]:
    """Options of the departments or offices (UNIT_OPTION_FIELDS, TREE_FIELDS rows), each after
    its parent and named after it, "Engineering › Backend": a screen reader reads no indent."""
    return [
        # Plain text, where no <bdi> can isolate a name: a parent's leaving a right-to-left
        # override open would reverse the path after it (jobs/text.py), and isolates and the
        # option's dir lay right-to-left names out as the page's <bdi>s do (names_in_plain_text).
        _unit_option(pk, [without_direction_controls(name) for name in names], org, slug)
        for (pk, _, org, slug, *_), names in _units_in_tree_order(rows)
    ]


def _unit_option(
    pk: int, names: list[str], organization_name: str, organization_slug: str
) -> UnitOption:
    path = names_in_plain_text(names, UNIT_PATH_SEPARATOR)
    return UnitOption(pk, path, organization_name, organization_slug, option_direction(path))


def _units_in_tree_order(rows: Iterable[UnitRow]) -> list[tuple[UnitRow, tuple[str, ...]]]:
    """The rows (UNIT_OPTION_FIELDS, TREE_FIELDS), each after its parent, with the names of its
    parents and its own. Those without a parent, and the children of each, keep the rows'
    order."""
    rows = list(rows)
    pk_of = {(org_id, greenhouse_id): pk for pk, *_, org_id, greenhouse_id, _ in rows}
    children = defaultdict(list)
    roots = []
    for row in rows:
        pk, *_, org_id, _, parent_greenhouse_id = row
        parent = pk_of.get((org_id, parent_greenhouse_id))
        (roots if parent in (None, pk) else children[parent]).append(row)
    ordered = []
    placed = set()
    # Then every row: units whose parents loop (bad data) have no root to start from.
    for start in [*roots, *rows]:
        stack = [(start, ())]
        while stack:
            row, parents = stack.pop()
            if row[0] in placed:
                continue
            placed.add(row[0])
            names = _path_within_bounds((*parents, row[1]))
            ordered.append((row, names))
            stack.extend((child, names) for child in reversed(children[row[0]]))
    return ordered


def _path_within_bounds(names: tuple[str, ...]) -> tuple[str, ...]:
    """`names` (of a path whose parents' are within bounds), or its top unit's, UNIT_PATH_GAP
    and the nearest, MAX_UNIT_PATH_NAMES in all."""
    if len(names) <= MAX_UNIT_PATH_NAMES:
        return names
    return (names[0], UNIT_PATH_GAP, *names[len(names) - MAX_UNIT_PATH_NAMES + 2 :])


def organization_chosen(
    organizations: Sequence[OrganizationOption], slug: str
) -> OrganizationOption | None:
    """The org of `organizations` whose slug is `slug` in any case (?org=ACME, typed as the
    name is written, chooses "acme"; one saved before slugs had to be lowercase keeps its
    capitals): one at most, as slugs are unique in any case (migration jobs 0070)."""
    if not slug.isascii():  # slugs are ASCII: lower() would fold other letters to theirs
        return next((option for option in organizations if option.slug == slug), None)
    folded = slug.lower()
    return next((option for option in organizations if option.slug.lower() == folded), None)


def _organization_of_slug(slug: str) -> OrganizationOption | None:
    """The org whose slug is `slug` in any case, as organization_chosen() picks it, as an
    option of an org without open jobs."""
    orgs = Organization.objects.filter(slug__in_any_case=slug)
    found = orgs.values_list("slug", "name", "pk").first()
    return OrganizationOption(*found, has_open_jobs=False) if found else None


def _with_an_org_not_offered(
    organizations: Sequence[OrganizationOption], found: OrganizationOption
) -> list[OrganizationOption]:
    """The orgs offered and `found`, an org without open jobs, each told apart by slug from
    another of them of its name (name_shared, as organization_options() marks them): one
    found alone, its page's heading and its option named it as the offered one of its name."""
    listed = [*organizations, found]
    shared = names_shared(option.name for option in listed)
    return [option._replace(name_shared=shown_name_key(option.name) in shared) for option in listed]


def organizations_at_one_address_in_any_case(
    organizations: QuerySet,
) -> list[list[tuple[int, str, str]]]:
    """The orgs whose slugs differ only in case ("NorthWind" and "northwind", saved before the
    site checked slugs in any case), which the unique constraint of their slugs in any case
    (migration jobs 0070) cannot be made over: in groups of one slug in any case, as UPPER()
    reads it, each org as (pk, slug, name) in the order of their slugs. `organizations` are the
    rows of the model or of a migration's."""
    folded = Upper("slug")
    shared = (
        organizations.order_by()
        .values(folded_slug=folded)
        .annotate(orgs=Count("pk"))
        .filter(orgs__gt=1)
        .values("folded_slug")
    )
    rows = (
        organizations.annotate(folded_slug=folded)
        .filter(folded_slug__in=shared)
        .order_by("folded_slug", "slug", "pk")
        .values_list("folded_slug", "pk", "slug", "name")
    )
    return [[row[1:] for row in group] for _, group in groupby(rows, key=lambda row: row[0])]


def organizations_at_one_address_refusal(groups: list[list[tuple[int, str, str]]]) -> str:
    """What migration jobs 0070 stops with, and orgsite.W010 warns of before it runs, of the
    groups of organizations_at_one_address_in_any_case(): each org with its change page in
    Django's admin, where its slug is changed."""
    described = "; ".join(
        " and ".join(
            f"“{slug}” ({without_direction_controls(name)}, "
            f"{reverse('admin:jobs_organization_change', args=[pk])})"
            for pk, slug, name in group
        )
        for group in groups
    )
    return (
        f"Organizations whose slugs differ only in case, one address in any case: {described}. "
        "Migration jobs 0070 makes slugs unique in any case and changes no org's address "
        "itself, as links to it may be out there: it stops, having changed nothing, while any "
        "are left. In Django's admin, give all but one org of each group another slug (its "
        "pages move to that address), then run migrate again."
    )


def filters_with_their_options(
    *, filters: JobFilters, options: FilterOptions, organization: Organization | None
) -> tuple[JobFilters, FilterOptions, list[tuple[str, str]]]:
    """The filters, options that offer each of their values, and the values that name nothing
    (parameter, value), for the page to say so.

    `options` are those of the page's org or, on the all-jobs page, of the org chosen (of every
    org when none is, or when the one chosen has no open jobs now).

    A link saved before its jobs closed names an org, department or office the options (only
    what open jobs have) lack: it stays chosen, marked NO_OPEN_JOBS_NOW (after its name, or its
    path as options have, without the direction controls that would reverse it, jobs/text.py),
    so the form does not say "All departments" beside "0 jobs match". A slug chooses its org in
    any case (organization_chosen). A value that names none (on an org's page or with an org
    chosen, none of that org's) is ignored, as `department=abc` is; one that names nothing at
    all is listed too, but not a department or office of another org: the form still sends
    the last org's after another is picked. Queries only for values the options lack.
    """
    slug = filters.organization_slug
    organizations = options.organizations
    naming_nothing = []
    offered = organization_chosen(organizations, slug)
    if offered:
        slug = offered.slug
    elif slug:
        found = _organization_of_slug(slug)
        if found:
            organizations, slug = _with_an_org_not_offered(organizations, found), found.slug
            # No open jobs, so no department, office or location of its to offer either.
            options = replace(
                options, departments=[], offices=[], locations=[], by_organization=False
            )
        else:
            naming_nothing.append(("org", slug))
            slug = ""
    if organization is None and slug:
        # Chosen on the all-jobs page, an org is as its own page: another's department names
        # none of its jobs, and the form still sends the last org's after another is picked.
        organization_id = next(option.pk for option in organizations if option.slug == slug)
    else:
        organization_id = organization.pk if organization else None
    departments, department_ids, no_departments = _units_with_chosen(
        Department, options.departments, filters.department_ids, organization_id=organization_id
    )
    offices, office_ids, no_offices = _units_with_chosen(
        Office, options.offices, filters.office_ids, organization_id=organization_id
    )
    naming_nothing += [("department", str(pk)) for pk in no_departments]
    naming_nothing += [("office", str(pk)) for pk in no_offices]
    return (
        replace(
            filters, organization_slug=slug, department_ids=department_ids, office_ids=office_ids
        ),
        replace(options, organizations=organizations, departments=departments, offices=offices),
        naming_nothing,
    )


def filters_named(*, filters: JobFilters, options: FilterOptions) -> list[str]:
    """What `filters` (as filters_with_their_options() gives them, with `options`) choose, as
    a page's title names them before its own: the keywords in quotes, then each department,
    office, location and workplace chosen (one no open job has marked NO_OPEN_JOBS_NOW, as the
    form marks it). The org chosen on the all-jobs page is its heading. One name for each
    filter set, its values joined by "or" as they match any of them, in the form's order: one
    title for one list, however its link orders them. Site-wide, a department or office comes
    after its org's name, as the form groups it under that name: two orgs' "Engineering" are
    two lists. Each name is isolated where it is written right to left (name_in_title), the
    keywords inside their quotes."""
    by_organization, location = options.by_organization, filters.location
    if location and location not in options.locations:
        location += NO_OPEN_JOBS_NOW
    chosen = [
        [f"“{name_in_title(filters.query)}”"] if filters.query else [],
        _units_named(options.departments, filters.department_ids, by_organization=by_organization),
        _units_named(options.offices, filters.office_ids, by_organization=by_organization),
        [_value_in_title(location)] if location else [],
        [Job.RemotePolicy(filters.remote_policy).label] if filters.remote_policy else [],
    ]
    return [" or ".join(names) for names in chosen if names]


def _value_in_title(value: str) -> str:
    """A value (a place, a department's path) as a title names it (name_in_title), followed by
    its NO_OPEN_JOBS_NOW outside its isolate."""
    name = value.removesuffix(NO_OPEN_JOBS_NOW)
    return f"{name_in_title(name)}{value[len(name) :]}"


def _units_named(
    units: list[UnitOption], chosen_ids: tuple[int, ...], *, by_organization: bool
) -> list[str]:
    chosen = [unit for unit in units if unit.pk in chosen_ids]
    if not by_organization:
        return [_value_in_title(unit.name) for unit in chosen]
    # Under the label of its group in the form: two orgs' "Acme" are told apart there too. The
    # org's name and the unit's path each isolated, as the group's label and its option are laid
    # out apart; the slug that tells two orgs apart after the name, outside its isolate.
    labels = {group[0].organization_slug: label for label, group in unit_option_groups(units)}
    named = []
    for unit in chosen:
        label, name = labels[unit.organization_slug], unit.organization_name
        slug = f" ({unit.organization_slug})" if label != name else ""
        org_named = f"{name_in_title(name)}{slug}"
        named.append(f"{org_named}{UNIT_PATH_SEPARATOR}{_value_in_title(unit.name)}")
    return named


def _units_with_chosen(
    model: type[Department] | type[Office],
    offered: list[UnitOption],
    chosen_ids: tuple[int, ...],
    *,
    organization_id: int | None,
) -> tuple[list[UnitOption], tuple[int, ...], list[int]]:
    """The options with the chosen units they lack (of the org `organization_id`, of any:
    None), the chosen ids that name one, and those that name no unit of any org."""
    offered_ids = {option.pk for option in offered}
    missing = [pk for pk in chosen_ids if pk not in offered_ids]
    if not missing:
        return offered, chosen_ids, []
    # With the units above them, in the same one query: named by their path as options are.
    # Of every org, to tell another org's unit from none.
    with_parents = model.objects.filter(
        pk__in=_linked_units(model.objects.filter(pk__in=missing), going="up")
    ).order_by("name", "pk")
    rows = list(with_parents.values_list(*UNIT_OPTION_FIELDS, *TREE_FIELDS))
    existing = {row[0] for row in rows}
    # A unit's parents are of its org: the org's rows are its units' whole paths.
    in_scope = [row for row in rows if organization_id in (None, row[ORGANIZATION_ID_COLUMN])]
    found = [
        option._replace(name=f"{option.name}{NO_OPEN_JOBS_NOW}")
        for option in _nested_options(in_scope)
        if option.pk in missing
    ]
    known = offered_ids | {option.pk for option in found}
    return (
        [*offered, *found],
        tuple(pk for pk in chosen_ids if pk in known),
        [pk for pk in missing if pk not in existing],
    )
