"""A changed post whose content is the same keeps the description, excerpt and search words read
from it, and one whose departments and offices are the same keeps its links: Greenhouse bumps
`updated_at` on every post of a board for an edit made once for all."""

from __future__ import annotations

import copy
import re

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from jobs import sync as jobs_sync
from jobs.models import Department, Job
from jobs.selectors import job_search
from tests.support.helpers import make_connection
from tests.test_sync import assert_linked_as_posted, job_writes, sync

pytestmark = pytest.mark.django_db

TOKEN = "acme-robotics"
# What the sync reads from a post's content, with the title and places for the search words.
DERIVED_FIELDS = ("description_html", "excerpt", "search_title", "search_text")


@pytest.fixture
def sanitized(monkeypatch) -> list[str]:
    """The contents the sync sanitizes, in its description threads."""
    contents: list[str] = []
    real_sanitize = jobs_sync.sanitize_content

    def counted_sanitize(escaped_content, **options):
        contents.append(escaped_content)
        return real_sanitize(escaped_content, **options)

    monkeypatch.setattr(jobs_sync, "sanitize_content", counted_sanitize)
    return contents


def board_wide_edit(fake_greenhouse) -> list[dict]:
    """Every post's updated_at bumped, as a change of the board's template or office does."""
    posts = fake_greenhouse.jobs(TOKEN)
    for post in posts:
        post["updated_at"] = "2026-10-01T09:30:00-04:00"
    fake_greenhouse.touch(TOKEN)
    return posts


def derived_fields(organization) -> dict[int, tuple[str, ...]]:
    return {
        greenhouse_id: tuple(values)
        for greenhouse_id, *values in Job.objects.filter(organization=organization).values_list(
            "greenhouse_id", *DERIVED_FIELDS
        )
    }


def link_rows(organization) -> dict[tuple[str, int, int], int]:
    """The org's department and office links: (kind, job's greenhouse id, unit's) → the link's
    row id, which a link written again changes."""
    rows = {}
    for kind, unit in (("departments", "department"), ("offices", "office")):
        through = getattr(Job, kind).through
        for pk, job_id, unit_id in through.objects.filter(
            job__organization=organization
        ).values_list("pk", "job__greenhouse_id", f"{unit}__greenhouse_id"):
            rows[kind, job_id, unit_id] = pk
    return rows


def read_in_full(slug: str) -> dict[int, tuple[str, ...]]:
    """The derived fields of the board as it is now, read afresh by another org's first sync."""
    connection = make_connection(slug, TOKEN)
    assert sync(connection).ok
    return derived_fields(connection.organization)


def test_a_board_wide_edit_updates_every_job_and_sanitizes_no_description(
    acme, fake_greenhouse, sanitized
):
    sync(acme)
    sanitized.clear()
    posts = board_wide_edit(fake_greenhouse)

    with CaptureQueriesContext(db_connection) as queries:
        result = sync(acme)

    assert result.counts.updated == len(posts)
    assert sanitized == []
    jobs = Job.objects.filter(organization=acme.organization)
    assert {job.greenhouse_updated_at.isoformat() for job in jobs} == {"2026-10-01T13:30:00+00:00"}
    # One UPDATE for every job, without the description or the search words: on PostgreSQL
    # those are parsed again whenever they are written.
    updates = [sql for sql in job_writes(queries.captured_queries) if sql.startswith("UPDATE")]
    assert len(updates) == 1
    assert not re.search(r'"(description_html|excerpt|search_title|search_text)" =', updates[0])
    assert derived_fields(acme.organization) == read_in_full("reference")


def test_a_post_whose_content_changed_is_sanitized_again(acme, fake_greenhouse, sanitized):
    sync(acme)
    sanitized.clear()
    posts = board_wide_edit(fake_greenhouse)
    posts[2]["content"] = "&lt;p&gt;Zeppelin maintenance, twice a week.&lt;/p&gt;"

    assert sync(acme).counts.updated == len(posts)

    assert sanitized == [posts[2]["content"]]
    job = Job.objects.get(organization=acme.organization, greenhouse_id=posts[2]["id"])
    assert job.description_html == "<p>Zeppelin maintenance, twice a week.</p>"
    assert [job.title for job in job_search(query="zeppelin")] == [job.title]
    assert derived_fields(acme.organization) == read_in_full("reference")


def test_a_post_whose_address_changed_has_its_relative_links_read_again(db, fake_greenhouse):
    """Relative links are read against the post's own address: the same content with another
    address is another description."""
    fake_greenhouse.load_fixture("kestrel-maps", "kestrel-maps")
    kestrel = make_connection("kestrel", "kestrel-maps")
    sync(kestrel)
    post = fake_greenhouse.jobs("kestrel-maps")[0]
    post["absolute_url"] = "https://careers.kestrel-maps.example/jobs/8100200301"
    fake_greenhouse.touch("kestrel-maps")

    assert sync(kestrel).counts.updated == 1

    description_html = Job.objects.get(greenhouse_id=post["id"]).description_html
    assert '<a href="https://careers.kestrel-maps.example/benefits"' in description_html


@pytest.mark.parametrize("change", ["title", "office"])
def test_a_post_renamed_or_moved_is_found_by_its_new_words_and_not_its_old(
    acme, fake_greenhouse, sanitized, change
):
    sync(acme)
    sanitized.clear()
    posts = board_wide_edit(fake_greenhouse)
    # Words that only the title, or only the places, of the post hold.
    if change == "title":
        post, old_word = posts[2], "manager"
        post["title"] = "Engineering Zeppelinwright, Robotics"
    else:
        post, old_word = posts[3], "remote"
        for other in posts:  # the office renamed on every post, as Greenhouse sends it
            for office in other["offices"]:
                if office["name"] == "Remote":
                    office["name"] = "Zeppelinwright Hangar"
        post["location"] = {"name": "Zeppelinwright Hangar"}
    fake_greenhouse.touch(TOKEN)

    assert sync(acme).counts.updated == len(posts)

    assert sanitized == []
    found = job_search(query="zeppelinwright", organization_slug="acme")
    assert post["id"] in {job.greenhouse_id for job in found}
    still_found = job_search(query=old_word, organization_slug="acme")
    assert post["id"] not in {job.greenhouse_id for job in still_found}
    assert derived_fields(acme.organization) == read_in_full("reference")


def test_a_post_sent_without_its_content_keeps_its_description_and_is_found_by_its_new_title(
    acme, fake_greenhouse, sanitized
):
    sync(acme)
    sanitized.clear()
    post = fake_greenhouse.jobs(TOKEN)[0]
    job = Job.objects.get(greenhouse_id=post["id"])
    del post["content"]
    post["title"] = "Zeppelinwright"
    fake_greenhouse.touch(TOKEN)

    assert sync(acme).counts.updated == 1

    assert sanitized == []
    kept = Job.objects.get(pk=job.pk)
    assert (kept.description_html, kept.excerpt) == (job.description_html, job.excerpt)
    assert kept.search_text == job.search_text  # the same places and description
    assert [found.pk for found in job_search(query="zeppelinwright")] == [job.pk]


def test_jobs_stored_before_content_hashes_are_read_in_full_once(acme, fake_greenhouse, sanitized):
    """Migration 0035 leaves the hashes empty."""
    sync(acme)
    Job.objects.update(content_hash="", search_hash="")
    Job.objects.filter(greenhouse_id=fake_greenhouse.jobs(TOKEN)[0]["id"]).update(
        description_html="<p>As older code read it</p>", excerpt="As older code read it"
    )
    sanitized.clear()
    posts = board_wide_edit(fake_greenhouse)

    assert sync(acme).counts.updated == len(posts)

    assert sorted(sanitized) == sorted(post["content"] for post in posts)
    assert derived_fields(acme.organization) == read_in_full("reference")
    sanitized.clear()
    for post in posts:
        post["updated_at"] = "2026-10-02T09:30:00-04:00"
    fake_greenhouse.touch(TOKEN)
    assert sync(acme).counts.updated == len(posts)
    assert sanitized == []


def test_a_job_whose_post_hash_was_forgotten_is_read_in_full(acme, fake_greenhouse, sanitized):
    """Migrations 0017-0019 forget a post's hash to have it read again by a sync that reads
    it differently: its content is the same, and must be read anyway."""
    sync(acme)
    post = fake_greenhouse.jobs(TOKEN)[1]
    Job.objects.filter(greenhouse_id=post["id"]).update(
        payload_hash="", excerpt="As older code read it", search_text="as older code read it"
    )
    acme.applied_board_fingerprint = ""
    acme.save(update_fields=["applied_board_fingerprint"])
    sanitized.clear()

    assert sync(acme).counts.updated == 1

    assert sanitized == [post["content"]]
    assert derived_fields(acme.organization) == read_in_full("reference")


def test_a_job_whose_post_hash_was_forgotten_gets_new_search_words_though_sent_without_content(
    acme, fake_greenhouse
):
    """Its description is kept until the content comes again; its search words are read again
    from that description, as the migration that forgot the hash asked."""
    sync(acme)
    post = fake_greenhouse.jobs(TOKEN)[1]
    job = Job.objects.get(greenhouse_id=post["id"])
    Job.objects.filter(pk=job.pk).update(payload_hash="", search_text="as older code read it")
    del post["content"]
    fake_greenhouse.touch(TOKEN)

    assert sync(acme).counts.updated == 1

    kept = Job.objects.get(pk=job.pk)
    assert (kept.description_html, kept.search_text) == (job.description_html, job.search_text)


def test_a_copy_of_a_post_under_a_new_id_is_read_in_full(acme, fake_greenhouse, sanitized):
    """Hashes are compared with the job of the same post only."""
    sync(acme)
    sanitized.clear()
    posts = fake_greenhouse.jobs(TOKEN)
    posts.append(dict(copy.deepcopy(posts[0]), id=4_242_424_242))
    fake_greenhouse.touch(TOKEN)

    assert sync(acme).counts.created == 1

    assert sanitized == [posts[0]["content"]]


def test_a_board_wide_edit_writes_no_department_or_office_link(acme, fake_greenhouse):
    sync(acme)
    posts = board_wide_edit(fake_greenhouse)
    links = (Job.departments.through._meta.db_table, Job.offices.through._meta.db_table)

    with CaptureQueriesContext(db_connection) as queries:
        result = sync(acme)

    assert result.counts.updated == len(posts)
    writes = job_writes(queries.captured_queries)
    assert [sql for sql in writes if any(f'"{table}"' in sql for table in links)] == []
    assert_linked_as_posted(acme.organization, posts)


@pytest.mark.parametrize("chunk_size", [2, 500])
def test_a_changed_set_of_departments_or_offices_is_applied_and_the_same_sets_kept(
    acme, fake_greenhouse, monkeypatch, chunk_size
):
    """Within a board-wide edit, a job moved to another department, one given a second (new
    here), one that lost its offices, a department renamed and moved under another, and a new
    job: each job has its post's units, and the links of the others are the rows they were."""
    monkeypatch.setattr("jobs.sync.WRITE_CHUNK_SIZE", chunk_size)
    sync(acme)
    before = link_rows(acme.organization)
    posts = board_wide_edit(fake_greenhouse)
    moved, widened, officeless, _, renamed, _ = posts
    moved["departments"] = copy.deepcopy(widened["departments"])
    safety = {"id": 4104450008, "name": "Safety", "parent_id": 4104411008, "child_ids": []}
    widened["departments"].append(safety)
    officeless["offices"] = []
    renamed["departments"][0].update(name="Customer Care", parent_id=4104440008)
    posts.append(dict(copy.deepcopy(posts[3]), id=4_242_424_242, departments=[safety]))

    result = sync(acme)

    assert (result.counts.created, result.counts.updated) == (1, 6)
    assert_linked_as_posted(acme.organization, posts)
    care = Department.objects.get(organization=acme.organization, greenhouse_id=4104430008)
    assert (care.name, care.parent_greenhouse_id) == ("Customer Care", 4104440008)
    relinked = {
        ("departments", moved["id"]),
        ("departments", widened["id"]),
        ("offices", officeless["id"]),
    }
    kept = {key: pk for key, pk in before.items() if key[:2] not in relinked}
    after = link_rows(acme.organization)
    assert {key: after.get(key) for key in kept} == kept
