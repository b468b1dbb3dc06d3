"""Counts that keep the sync and the dispatcher cheap; a regression here fails CI.

The timings live in bench/ (see bench/README.md); these tests pin only what can be counted.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from importlib import import_module

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission, User
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs import tasks
from jobs.memberships import organization_slug_taken
from jobs.models import (
    SLUG_IN_ANY_CASE_CONSTRAINT,
    Department,
    GreenhouseConnection,
    Invitation,
    Job,
    Membership,
    Office,
    Organization,
    SyncRun,
)
from jobs.sanitize import (
    EXCERPT_LENGTH,
    INLINE_TAG_RE,
    cut_at_word,
    excerpt_of,
    head_of,
    sanitize_content,
    text_of,
    unescape_once,
)
from jobs.scheduling import enqueue_due_syncs
from jobs.selectors import job_filter_options, job_search
from jobs.views import HOME_ORGANIZATIONS, ORGANIZATIONS_PER_PAGE
from tests.support.helpers import make_connection
from tests.support.public_jobs import make_job
from tests.support.synthetic_board import FIXTURE, synthetic_jobs
from tests.test_sync import job_writes, sync

pytestmark = pytest.mark.django_db

# Small descriptions keep the test fast; the counts do not depend on description size.
SMALL_CONTENT = (300, 600)


def synced_board(fake_greenhouse, token: str, size: int) -> GreenhouseConnection:
    fake_greenhouse.add_board(
        token, name=token, jobs=synthetic_jobs(size, content_bytes=SMALL_CONTENT)
    )
    connection = make_connection(token, token)
    assert sync(connection).counts.created == size
    return connection


def test_an_unchanged_sync_of_200_jobs_writes_nothing_to_the_jobs_tables(fake_greenhouse):
    connection = synced_board(fake_greenhouse, "board-200", 200)

    with CaptureQueriesContext(db_connection) as queries:
        result = sync(connection)

    assert result.counts.unchanged == 200
    assert job_writes(queries.captured_queries) == []


@pytest.mark.parametrize("sends_etags", [True, False])  # "not modified", or the same bytes
def test_an_unchanged_sync_runs_the_same_statements_at_20_and_200_jobs(
    fake_greenhouse, sends_etags
):
    fake_greenhouse.sends_etags = sends_etags
    small = synced_board(fake_greenhouse, "board-20", 20)
    large = synced_board(fake_greenhouse, "board-200", 200)

    with CaptureQueriesContext(db_connection) as small_queries:
        sync(small)
    with CaptureQueriesContext(db_connection) as large_queries:
        sync(large)

    assert len(small_queries) == len(large_queries), [
        q["sql"] for q in large_queries.captured_queries
    ]


def one_post_changed_statements(fake_greenhouse, token: str, size: int) -> list[dict]:
    """A resync after one post changed: the board's bytes differ, so every post is hashed."""
    connection = synced_board(fake_greenhouse, token, size)
    fake_greenhouse.jobs(token)[0]["title"] = "Changed"
    with CaptureQueriesContext(db_connection) as queries:
        result = sync(connection)
    assert result.counts.updated == 1 and result.counts.unchanged == size - 1
    return queries.captured_queries


def test_a_resync_with_one_changed_post_costs_the_same_at_20_and_200_jobs(fake_greenhouse):
    small = one_post_changed_statements(fake_greenhouse, "board-20", 20)
    large = one_post_changed_statements(fake_greenhouse, "board-200", 200)

    assert len(small) == len(large), [query["sql"] for query in large]
    # The job's row alone: unchanged posts are skipped before any write, and its links, to the
    # same department and office, are left as they are.
    assert len(job_writes(large)) == len(job_writes(small)) == 1


def first_import_statements(fake_greenhouse, token: str, size: int) -> list[dict]:
    fake_greenhouse.add_board(
        token, name=token, jobs=synthetic_jobs(size, content_bytes=SMALL_CONTENT)
    )
    connection = make_connection(token, token)
    with CaptureQueriesContext(db_connection) as queries:
        assert sync(connection).counts.created == size
    return queries.captured_queries


def test_a_first_import_writes_jobs_in_batches_not_one_statement_per_job(fake_greenhouse):
    small = first_import_statements(fake_greenhouse, "board-20", 20)
    large = first_import_statements(fake_greenhouse, "board-400", 400)

    assert len(small) == len(large), large
    assert len(job_writes(large)) == 3  # the jobs, their departments, their offices


def board_wide_edit_statements(fake_greenhouse, token: str, size: int) -> list[dict]:
    """A resync after Greenhouse bumped every post's updated_at, their content the same."""
    connection = synced_board(fake_greenhouse, token, size)
    for post in fake_greenhouse.jobs(token):
        post["updated_at"] = "2026-10-01T09:30:00-04:00"
    fake_greenhouse.touch(token)
    with CaptureQueriesContext(db_connection) as queries:
        assert sync(connection).counts.updated == size
    return queries.captured_queries


def test_a_board_wide_edit_rewrites_jobs_in_batches_without_reading_descriptions(fake_greenhouse):
    small = board_wide_edit_statements(fake_greenhouse, "board-20", 20)
    large = board_wide_edit_statements(fake_greenhouse, "board-400", 400)

    assert len(small) == len(large), large
    # One UPDATE of the jobs; their links, read back to compare, are left as they are, and no
    # description is read back.
    assert len(job_writes(large)) == 1
    assert not any("description_html" in query["sql"] for query in large)


def test_an_unchanged_sync_answered_not_modified_runs_the_statements_of_the_same_bytes_again(
    fake_greenhouse,
):
    """What it spares is the download: the open jobs are counted before the request instead
    of after it, and the rest is the same."""
    statements = {}
    for sends_etags in (True, False):
        fake_greenhouse.sends_etags = sends_etags
        connection = synced_board(fake_greenhouse, f"board-{sends_etags}", 20)
        with CaptureQueriesContext(db_connection) as queries:
            sync(connection)
        statements[sends_etags] = len(queries)

    assert statements[True] == statements[False]


@pytest.mark.parametrize("sends_etags", [True, False])
def test_a_sync_makes_one_http_request(fake_greenhouse, sends_etags):
    fake_greenhouse.sends_etags = sends_etags
    connection = synced_board(fake_greenhouse, "board-200", 200)
    assert fake_greenhouse.request_count("board-200") == 1

    sync(connection)

    assert fake_greenhouse.request_count("board-200") == 2


def dispatcher_tick(monkeypatch, org_count: int) -> tuple[int, list[tuple]]:
    """`org_count` orgs, all due, and a tick: its SQL statements and the batches it sent."""
    GreenhouseConnection.objects.all().delete()
    Organization.objects.all().delete()
    past = timezone.now() - timedelta(minutes=5)
    organizations = Organization.objects.bulk_create(
        [Organization(name=f"Org {i}", slug=f"org-{i}") for i in range(org_count)]
    )
    GreenhouseConnection.objects.bulk_create(
        [
            GreenhouseConnection(organization=org, board_token=org.slug, next_sync_at=past)
            for org in organizations
        ]
    )
    batches: list[tuple] = []
    monkeypatch.setattr(
        tasks.queue_claimed_syncs, "apply_async", lambda args, **kw: batches.append(tuple(args))
    )
    with CaptureQueriesContext(db_connection) as queries:
        queued = enqueue_due_syncs()
    assert [pk for connection_ids, _ in batches for pk in connection_ids] == queued
    assert len(queued) == org_count
    return len(queries), batches


def test_the_dispatcher_tick_costs_the_same_queries_for_10_and_200_orgs(monkeypatch):
    few, _ = dispatcher_tick(monkeypatch, 10)
    many, _ = dispatcher_tick(monkeypatch, 200)
    assert few == many <= 3


def test_a_tick_of_5000_due_orgs_sends_20_messages_whose_batches_queue_one_sync_each(
    monkeypatch,
):
    """Each message costs the tick about a millisecond (bench/README.md): with one a sync,
    5,000 took it 4.8-5.8 s. Workers run the batches, which read nothing from the database."""
    queries, batches = dispatcher_tick(monkeypatch, 5000)
    assert len(batches) == 20 and queries <= 3
    syncs: list[tuple] = []
    monkeypatch.setattr(
        tasks.sync_org,
        "apply_async",
        lambda args, kwargs=None, **options: syncs.append((*args, kwargs["queued_at"])),
    )

    with CaptureQueriesContext(db_connection) as batch_queries:
        for batch in batches:
            tasks.queue_claimed_syncs(*batch)

    [claimed_at] = {claimed_at for _, claimed_at in batches}
    connection_ids = GreenhouseConnection.objects.order_by("pk").values_list("pk", flat=True)
    assert sorted(syncs) == [(pk, SyncRun.Trigger.SCHEDULE, claimed_at) for pk in connection_ids]
    assert len(batch_queries) == 0


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="a PostgreSQL storage parameter")
def test_on_postgresql_connection_pages_leave_room_for_updated_rows():
    fillfactor = import_module("jobs.migrations.0005_connection_fillfactor").CONNECTION_FILLFACTOR
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s",
            [GreenhouseConnection._meta.db_table],
        )
        (options,) = cursor.fetchone()
    assert f"fillfactor={fillfactor}" in (options or [])


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="a PostgreSQL storage setting")
def test_on_postgresql_a_long_description_is_stored_compressed_with_lz4():
    columns = import_module("jobs.migrations.0011_job_long_columns_lz4").LONG_COLUMNS
    organization = Organization.objects.create(name="Long Co", slug="long")
    words = " ".join(f"word{n}" for n in range(2_000))  # over the 2 KB where compression starts
    job = make_job(organization, "Long", description_html=f"<p>{words}</p>", search_text=words)
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(description_html), pg_column_compression(search_text),"
            " pg_column_compression(search_vector) FROM jobs_job WHERE id = %s",
            [job.pk],
        )
        assert cursor.fetchone() == ("lz4",) * len(columns)


def test_the_location_options_are_read_from_their_index():
    organization = Organization.objects.create(name="Many Places", slug="places")
    for n in range(30):
        make_job(organization, f"Role {n}", location_name=f"City {n % 7}")
    with CaptureQueriesContext(db_connection) as queries:
        locations = job_filter_options(organization_id=None).locations
    (sql,) = [query["sql"] for query in queries if "DISTINCT" in query["sql"]]
    assert locations == [f"City {n}" for n in range(7)]
    assert "job_listed_location_idx" in plan_of(sql)


@pytest.mark.parametrize(
    ("model", "name"),
    [(Department, "Engineering"), (Office, "Europe")],
    ids=["department", "office"],
)
def test_a_units_filter_finds_the_units_below_it_by_their_parent_from_its_index(
    tidewater, model, name
):
    """A level at a time: without it SQLite read every unit of the org for each unit found,
    PostgreSQL every org's for each level, 16 s for the 6,000 below one of an org's 20,000
    departments, nested 6,000 deep (migration 0062)."""
    chosen = model.objects.get(organization__slug="tidewater", name=name)
    # The units of an org's closed jobs, kept: the planner reads a test's few on any index.
    model.objects.bulk_create(
        model(organization=chosen.organization, greenhouse_id=n, name=f"Old {n}")
        for n in range(2_000)
    )
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    field = "department_ids" if model is Department else "office_ids"
    with CaptureQueriesContext(db_connection) as queries:
        assert list(job_search(organization_slug="tidewater", **{field: [chosen.pk]}))
    (sql,) = [query["sql"] for query in queries if "WITH RECURSIVE" in query["sql"]]
    assert f"{model._meta.model_name}_parent_idx" in plan_of(sql)


@pytest.mark.parametrize(
    ("page", "typed", "index"),
    [
        ("/accounts/login/", {"username": "CAROL@example.com"}, "user_username_any_case_idx"),
        # Three spellings: as typed, its domain in IDNA, and in Unicode as the site shows it.
        ("/accounts/login/", {"username": "Carol@EXÄMPLE.com"}, "user_username_any_case_idx"),
        ("/accounts/password_reset/", {"email": "CAROL@example.com"}, "user_email_any_case_idx"),
        ("/accounts/password_reset/", {"email": "Carol@EXÄMPLE.com"}, "user_email_any_case_idx"),
    ],
    ids=[
        "sign-in",
        "sign-in-with-a-domain-beyond-ascii",
        "password-reset",
        "password-reset-with-a-domain-beyond-ascii",
    ],
)
def test_an_account_is_found_by_its_username_or_address_in_any_case_from_its_index(
    client, page, typed, index
):
    """Not by reading every account: 30-50 ms at 50,000 accounts on PostgreSQL, 100 ms for the
    three spellings of an address whose domain is beyond ASCII (migration 0065). The index is
    of what the lookup compares: UPPER() on PostgreSQL, the column in its NOCASE collation for
    SQLite's LIKE."""
    User.objects.create_user("carol@xn--exmple-cua.com", "carol@xn--exmple-cua.com")
    # Other accounts, counted: PostgreSQL reads a test's few from any index as well.
    User.objects.bulk_create(
        User(username=f"user{n}", email=f"user{n}@example.com", password="!") for n in range(500)
    )
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("ANALYZE auth_user")
    (field,) = typed
    compared = (
        f'UPPER("auth_user"."{field}"::text) ='
        if db_connection.vendor == "postgresql"
        else f'"auth_user"."{field}" LIKE'
    )
    with CaptureQueriesContext(db_connection) as queries:
        client.post(page, {"password": "wrong horse battery", **typed})
    lookups = [query["sql"] for query in queries if compared in query["sql"]]
    assert lookups
    for sql in lookups:
        plan = plan_of(sql)
        assert index in plan
        if db_connection.vendor == "sqlite":
            # Searched, not read whole: SQLite scans an index that holds every column asked for
            # (a sign-in's username) in place of the table where its LIKE cannot search it.
            assert "SCAN" not in plan


def test_an_org_is_found_by_its_slug_from_an_index_as_typed_and_in_any_case(db):
    """As typed (each of its pages) from its unique slug's index, which the constraint of its
    slug in any case (migration jobs 0070) did not replace; in any case (the check that a slug
    is free, sign-up's, the admin's, and a slug typed in other capitals) from that constraint's,
    of UPPER(slug), on both databases: Django's iexact, a LIKE on SQLite, read the whole table
    there, as SQLite's LIKE reads no index of UPPER()."""
    Organization.objects.bulk_create(
        Organization(name=f"Org {n}", slug=f"org-{n}") for n in range(200)
    )
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("ANALYZE jobs_organization")
    with CaptureQueriesContext(db_connection) as queries:
        assert Organization.objects.filter(slug="org-7").exists()
        assert organization_slug_taken("ORG-7")
    as_typed, in_any_case = (plan_of(query["sql"]) for query in queries)

    if db_connection.vendor == "postgresql":
        assert "Index Only Scan using jobs_organization_slug" in as_typed
        assert f"Index Scan using {SLUG_IN_ANY_CASE_CONSTRAINT}" in in_any_case
    else:
        assert "SEARCH jobs_organization USING COVERING INDEX sqlite_autoindex" in as_typed
        assert f"SEARCH jobs_organization USING INDEX {SLUG_IN_ANY_CASE_CONSTRAINT}" in in_any_case


def plan_of(sql: str) -> str:
    """The database's plan for `sql`, as one line. PostgreSQL is told to use an index it can:
    it scans and sorts a table as small as a test's."""
    explain = "EXPLAIN QUERY PLAN" if db_connection.vendor == "sqlite" else "EXPLAIN"
    with db_connection.cursor() as cursor:
        if db_connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            # Nor sort what another index gives in part: after a full run's writes, its
            # statistics chose one for the jobs past their deadline.
            cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute(f"{explain} {sql}")
        return " ".join(str(row) for row in cursor.fetchall())


def test_the_org_admins_jobs_list_reads_its_pages_in_order_from_its_index(client, owner):
    """Not sorted anew from the whole table, descriptions and all: 0.5-0.7 s on SQLite for a
    later page of 5,000 jobs. Open jobs, those past their deadline and closed ones are each
    read in order from it (a page showing all three parts reads each)."""
    organization = owner.memberships.get().organization
    passed = timezone.now() - timedelta(days=1)
    for n in range(5):
        deadline = passed if n == 2 else None
        make_job(
            organization,
            f"Role {n}",
            featured=n == 3,
            is_open=n != 1,
            application_deadline=deadline,
        )
    client.force_login(owner)
    with CaptureQueriesContext(db_connection) as queries:
        assert client.get(f"/manage/{organization.slug}/jobs/", {"page": 1}).status_code == 200
    sqls = [q["sql"] for q in queries if "ORDER BY" in q["sql"] and '"jobs_job"' in q["sql"]]
    assert len(sqls) == 3
    for sql in sqls:
        assert not columns_of_lists_read(sql)
        plan = plan_of(sql)
        assert "job_manage_list_idx" in plan and "TEMP B-TREE" not in plan


@pytest.mark.parametrize("path", ["members", "jobs"])
def test_the_org_admins_members_and_jobs_pages_cost_the_same_queries_for_2_and_6_rows(
    client, owner, path
):
    """Each member's and invitation's account, and each job's departments, are read with the
    list, not one query per row."""
    organization = owner.memberships.get().organization
    department = Department.objects.create(
        organization=organization, greenhouse_id=1, name="Design"
    )
    client.force_login(owner)
    counts = []
    for first, last in ((0, 2), (2, 6)):
        for n in range(first, last):
            member = User.objects.create_user(f"member{n}", f"member{n}@example.com")
            Membership.objects.create(organization=organization, user=member)
            invited = User.objects.create_user(f"invited{n}", f"invited{n}@example.com")
            Invitation.objects.create(
                organization=organization, user=invited, role="member", email=invited.email
            )
            make_job(organization, f"Role {n}", departments=(department,))
        with CaptureQueriesContext(db_connection) as queries:
            assert client.get(f"/manage/{organization.slug}/{path}/").status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_org_admins_index_costs_the_same_queries_for_2_and_6_orgs(client, owner):
    """Each org's connection, whose state its card shows, is read with the list."""
    client.force_login(owner)
    counts = []
    for first, last in ((0, 2), (2, 6)):
        for n in range(first, last):
            connection = make_connection(f"org-{n}", f"board-{n}")
            Membership.objects.create(
                organization=connection.organization, user=owner, role=Membership.Role.ADMIN
            )
        with CaptureQueriesContext(db_connection) as queries:
            assert client.get("/manage/").status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def fixture_contents() -> list[str]:
    contents = [
        '&lt;p title="a &amp;gt; b"&gt;x &amp;lt; y&lt;/p&gt;&lt;!-- c --&gt;'
        "&lt;li&gt;One&lt;/li&gt;"
        "&lt;li&gt;Two&lt;br&gt;Three&lt;/li&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    ]
    for path in FIXTURE.parent.glob("*.json"):
        board = json.loads(path.read_text(encoding="utf-8"))
        jobs = board.get("jobs", {}).get("jobs", []) if isinstance(board, dict) else []
        contents += [job["content"] for job in jobs if isinstance(job.get("content"), str)]
    return contents


def test_the_text_of_a_description_is_what_beautifulsoup_reads():
    """text_of() strips nh3's tags instead of parsing (40 times cheaper); same words."""
    for content in fixture_contents():
        safe = sanitize_content(content)
        expected = " ".join(BeautifulSoup(safe, "html.parser").get_text(" ").split())
        assert text_of(safe) == expected


@pytest.mark.parametrize(
    ("length", "head"),
    [
        (14, "<p>Tools</p>"),
        (21, "<p>Tools</p>"),  # cut in an attribute
        (26, '<p>Tools</p><a href="x">Us'),
        (28, '<p>Tools</p><a href="x">Us'),
        (30, '<p>Tools</p><a href="x">Us</a>'),
        (99, '<p>Tools</p><a href="x">Us</a>'),
    ],
)
def test_the_head_of_a_description_cuts_no_tag_in_two(length, head):
    """text_of() would read a cut tag's attributes as words."""
    assert head_of('<p>Tools</p><a href="x">Us</a>', length) == head


def test_the_head_of_a_description_without_a_tag_is_its_opening():
    assert head_of("Tools &amp; kits", 5) == "Tools"


@pytest.mark.parametrize(
    "escaped",
    [
        "&lt;p&gt;Caf&#39;s &quot;menu&quot; &amp; more&lt;/p&gt;",
        "&amp;lt;p&amp;gt; is how a paragraph is written",  # escaped twice: read once
        "&amp;amp;", "&amp;", "AT&T", "&ampx", "& ", "&",  # bare or unknown ampersands
        "&nbsp;&copy;&eacute;&#60;&#x3C;&#X3c;&lt&gt",  # references Greenhouse does not write
        "", "no entities at all",
    ],
)  # fmt: skip
def test_unescape_once_reads_as_html_unescape_does(escaped):
    assert unescape_once(escaped) == html.unescape(escaped)


def test_unescape_once_reads_every_fixture_as_html_unescape_does():
    for content in fixture_contents():
        assert unescape_once(content) == html.unescape(content)


def excerpt_of_whole(safe_html: str) -> str:
    text = " ".join(
        BeautifulSoup(INLINE_TAG_RE.sub("", safe_html), "html.parser").get_text(" ").split()
    )
    return cut_at_word(text, EXCERPT_LENGTH)


def test_the_excerpt_read_from_the_head_is_the_excerpt_of_the_whole_description():
    """excerpt_of() parses only the head of a description; the words are the same."""
    markup_first = "<ul>" + '<li><a href="https://example.com/x">x</a></li>' * 200 + "</ul>"
    contents = [*fixture_contents(), markup_first + "<p>" + "word " * 400 + "</p>"]
    for content in contents:
        safe = sanitize_content(content)
        assert excerpt_of(safe) == excerpt_of_whole(safe)


def page_queries(client, fake_greenhouse, size: int) -> dict[str, int]:
    """Queries per visitor page (cache empty) for an org whose board has `size` jobs."""
    from django.core.cache import cache

    token = f"pages-{size}"
    synced_board(fake_greenhouse, token, size)
    cache.clear()
    first_job = min(post["id"] for post in fake_greenhouse.jobs(token))
    department = Department.objects.filter(organization__slug=token).first()
    office = Office.objects.filter(organization__slug=token).first()
    paths = {
        "home": "/",
        "job list": "/jobs/",
        "job list filtered": f"/jobs/?q=engineer&org={token}",
        "org page": f"/orgs/{token}/",
        "org page by department": f"/orgs/{token}/?department={department.pk}",
        "org page by office": f"/orgs/{token}/?office={office.pk}",
        "job page": f"/orgs/{token}/jobs/{first_job}/",
        "org json": f"/orgs/{token}/jobs.json",
    }
    counts = {}
    for name, path in paths.items():
        with CaptureQueriesContext(db_connection) as queries:
            assert client.get(path).status_code == 200, path
        counts[name] = len(queries)
    return counts


def columns_of_lists_read(sql: str) -> set[str]:
    """Which of the columns no list of jobs shows `sql` selects (a keyword search may still
    look in the search text)."""
    selected = sql.partition(" FROM ")[0]
    return {column for column in Job.NOT_IN_LISTS if f'"jobs_job"."{column}"' in selected}


@pytest.mark.parametrize(
    ("path", "read"),
    [
        ("/jobs/", set()),
        ("/jobs/?q=engineer", set()),
        ("/orgs/lists/", set()),
        ("/orgs/lists/feed/", set()),
        ("/jobs/feed/", set()),
        # Its entries hold each job's description.
        ("/orgs/lists/jobs.json", {"description_html"}),
    ],
)
def test_lists_of_jobs_leave_out_what_they_do_not_show(client, fake_greenhouse, path, read):
    """A description may run to 300,000 characters and metadata to 50 fields of 2,000: a list
    that reads them for every job it shows reads megabytes to use none of it."""
    synced_board(fake_greenhouse, "lists", 3)
    with CaptureQueriesContext(db_connection) as queries:
        assert client.get(path).status_code == 200, path
    job_reads = [q["sql"] for q in queries if 'FROM "jobs_job"' in q["sql"]]
    assert job_reads
    assert set().union(*map(columns_of_lists_read, job_reads)) == read


def test_visitor_pages_cost_the_same_queries_for_20_and_60_jobs(client, fake_greenhouse):
    """No N+1: a page's queries do not grow with the jobs it lists."""
    small = page_queries(client, fake_greenhouse, 20)
    GreenhouseConnection.objects.all().delete()
    Organization.objects.all().delete()
    assert page_queries(client, fake_greenhouse, 60) == small


def test_a_job_page_reads_the_jobs_departments_and_offices_once(client, fake_greenhouse):
    """Its details and its related jobs both read them: read with the job, not by each. Its
    details name each by its path: one query more reads the parents of the departments, which
    have one on this board (its offices have none, so their parents are not asked for)."""
    synced_board(fake_greenhouse, "one", 3)
    job = Job.objects.filter(organization__slug="one").first()
    with CaptureQueriesContext(db_connection) as queries:
        assert client.get(job.get_absolute_url()).status_code == 200
    # The table each query reads from: other queries name these tables only in subqueries.
    read_from = [q["sql"].partition(" WHERE ")[0].rpartition(" FROM ")[2] for q in queries]
    departments = [table for table in read_from if table.startswith('"jobs_department"')]
    offices = [table for table in read_from if table.startswith('"jobs_office"')]

    assert (len(departments), len(offices)) == (2, 1), read_from


def test_choosing_an_org_on_the_all_jobs_page_costs_no_query_more(client, fake_greenhouse):
    """Its departments, offices and locations are read instead of every org's, not besides;
    its slug typed in capitals is found among the orgs offered, not asked for."""
    from django.core.cache import cache

    for token in ("board-a", "board-b"):
        synced_board(fake_greenhouse, token, 20)
    counts = []
    for path in ("/jobs/", "/jobs/?org=board-a", "/jobs/?org=Board-A"):
        cache.clear()
        with CaptureQueriesContext(db_connection) as queries:
            assert client.get(path).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1] == counts[2]


def test_the_home_page_is_as_long_and_costs_the_same_queries_for_25_and_60_orgs_hiring(client):
    """It listed every org hiring: 5,000 of 10,000 orgs made a page of 630 KB, 330 ms to
    render. It shows as many of them, whatever their number, and links to the list of all."""
    from django.core.cache import cache

    pages = []
    for first, last in ((0, HOME_ORGANIZATIONS + 5), (HOME_ORGANIZATIONS + 5, 60)):
        for n in range(first, last):
            make_job(Organization.objects.create(name=f"Org {n:02d}", slug=f"org-{n:02d}"), "Role")
        cache.clear()
        with CaptureQueriesContext(db_connection) as queries:
            html = client.get("/").content.decode()
        pages.append((len(queries), len(html)))

    assert pages[0] == pages[1]
    assert html.count("1 open role<") == HOME_ORGANIZATIONS


def test_the_organizations_page_costs_the_same_queries_for_3_and_60_orgs(client):
    """Each org's open jobs are counted with the list, and only a page of orgs is read."""
    from django.core.cache import cache

    counts = []
    for first, last in ((0, 3), (3, 60)):
        for n in range(first, last):
            make_job(Organization.objects.create(name=f"Org {n:02d}", slug=f"org-{n}"), "Role")
        cache.clear()
        with CaptureQueriesContext(db_connection) as queries:
            html = client.get("/orgs/").content.decode()
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert html.count("1 open role<") == ORGANIZATIONS_PER_PAGE


def test_the_organizations_page_counts_the_jobs_of_its_page_of_orgs_only(client):
    """Joined to every job and grouped, each view read the 10,000+ jobs of all orgs to show 50
    counts, and the paginator's COUNT read them again: each org counts its own in a subquery,
    which the database runs for the rows it returns."""
    for n in range(3):
        make_job(Organization.objects.create(name=f"Org {n}", slug=f"org-{n}"), "Role")
    with CaptureQueriesContext(db_connection) as queries:
        html = client.get("/orgs/").content.decode()
    (count,) = [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)")]

    assert html.count("1 open role<") == 3
    assert '"jobs_job"' not in count
    assert not [q["sql"] for q in queries if 'JOIN "jobs_job"' in q["sql"]]


def test_a_later_organizations_page_counts_the_jobs_of_its_own_orgs_only(client):
    """Counted in the query that took the page, the jobs were counted for each org its OFFSET
    skipped too: page 200 of 10,000 orgs cost twice page 1. The page's orgs are picked by a
    subquery of ids, and only theirs counted."""
    for n in range(ORGANIZATIONS_PER_PAGE + 3):
        make_job(Organization.objects.create(name=f"Org {n:02d}", slug=f"org-{n}"), "Role")
    with CaptureQueriesContext(db_connection) as queries:
        html = client.get("/orgs/?page=2").content.decode()
    (counting,) = [q["sql"] for q in queries if '"jobs_job"' in q["sql"]]

    assert html.count("1 open role<") == 3
    assert re.search(rf"IN \(SELECT .* OFFSET {ORGANIZATIONS_PER_PAGE}\)", counting)


def test_the_admins_organization_page_costs_the_same_queries_for_2_and_12_members(admin_client):
    """Each row's account picker shows the account its row already read, without a query."""
    organization = Organization.objects.create(name="North Wind", slug="north")

    def page_queries_with_members(count: int) -> int:
        Membership.objects.filter(organization=organization).delete()
        for number in range(count):
            user = User.objects.create_user(f"member-{count}-{number}")
            Membership.objects.create(organization=organization, user=user)
        with CaptureQueriesContext(db_connection) as queries:
            page = admin_client.get(f"/admin/jobs/organization/{organization.pk}/change/")
        assert page.status_code == 200
        assert page.content.decode().count("selected>member-") == count  # each row's account
        return len(queries)

    page_queries_with_members(1)  # the first page also fills Django's content type cache
    assert page_queries_with_members(2) == page_queries_with_members(12)


def organization_with_history(slug: str, jobs: int) -> Organization:
    """An org with `jobs` jobs, each in a department, and as many sync runs."""
    organization = Organization.objects.create(name=slug.title(), slug=slug)
    department = organization.departments.create(greenhouse_id=1, name="Platform")
    for n in range(jobs):
        make_job(organization, f"Role {n}", departments=(department,))
        SyncRun.objects.create(organization=organization, trigger=SyncRun.Trigger.SCHEDULE)
    return organization


def admin_delete_page(client, organization: Organization) -> tuple[str, int]:
    """Django admin's page asking to delete the org, and its queries."""
    with CaptureQueriesContext(db_connection) as queries:
        page = client.get(f"/admin/jobs/organization/{organization.pk}/delete/")
    assert page.status_code == 200
    return page.content.decode(), len(queries)


def test_the_admins_org_delete_page_counts_what_goes_with_the_org(admin_client):
    """Listing each job, its links and every sync run took 3.5-7 s and 1.4 MB for 5,000 jobs."""
    small = organization_with_history("small", 2)
    large = organization_with_history("large", 30)
    admin_delete_page(admin_client, small)  # the first page also fills Django's caches

    page, queries = admin_delete_page(admin_client, large)

    content = BeautifulSoup(page, "html.parser").select_one("#content")
    summary = content.get_text(" ", strip=True)
    for counted in ("Jobs: 30", "Job-department relationships: 30", "Sync runs: 30"):
        assert counted in summary
    (listed,) = content.select("#deleted-objects li")
    assert listed.get_text() == "Organization: Large"
    assert queries == admin_delete_page(admin_client, small)[1]


def test_staff_who_may_not_delete_jobs_are_told_so_on_the_org_delete_page(client):
    organization = Organization.objects.create(name="North Wind", slug="north")
    make_job(organization, "Rigger")
    staff = User.objects.create_user("staff", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename="delete_organization"))
    client.force_login(staff)

    page = client.get(f"/admin/jobs/organization/{organization.pk}/delete/").content.decode()

    assert "permission to delete the following types of objects" in page
    assert "<li>job</li>" in page


def test_the_admins_job_list_sorts_its_page_without_the_descriptions(admin_client):
    """Every job's row is sorted for a page: with its description, 1.7 s on SQLite for the
    last page of 10,000 jobs (0.16 s without)."""
    organization = Organization.objects.create(name="North Wind", slug="north")
    for n in range(3):
        make_job(organization, f"Role {n}")
    with CaptureQueriesContext(db_connection) as queries:
        assert admin_client.get("/admin/jobs/job/", {"o": "1"}).status_code == 200
    (sql,) = [q["sql"] for q in queries if "ORDER BY" in q["sql"] and '"jobs_job"' in q["sql"]]
    assert not columns_of_lists_read(sql)
