"""The sync: upserts, ownership of fields, closing and reopening, bad posts, locks, history."""

from __future__ import annotations

import copy
import html
import re
import sys
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs import sanitize
from jobs import sync as jobs_sync
from jobs.greenhouse import MAX_UNITS_PER_POST, WILL_TRY_AGAIN, Unavailable
from jobs.models import Department, GreenhouseConnection, Job, Office, SyncRun
from jobs.sanitize import (
    EXCERPT_LENGTH,
    cut_at_word,
    excerpt_of,
    safe_html_head,
    sanitize_content,
)
from jobs.selectors import job_search
from jobs.status import sync_status
from jobs.sync import (
    acquire_sync_lock,
    start_sync_run,
    stopped_sync_run_interrupt,
    sync_organization,
    sync_run_of,
)
from jobs.text import as_searched
from tests.support.helpers import make_connection
from tests.support.ports import refusing_port
from tests.support.regex_steps import assert_steps_in_proportion, regex_steps_counted

pytestmark = pytest.mark.django_db


def sync(connection: GreenhouseConnection, trigger: str = SyncRun.Trigger.COMMAND):
    connection.refresh_from_db()
    return sync_organization(connection, trigger=trigger)


def hrefs_of_job(greenhouse_id: int) -> list[str]:
    """The addresses of the links of the stored description of the job of `greenhouse_id`."""
    return re.findall(
        r'<a href="([^"]*)"', Job.objects.get(greenhouse_id=greenhouse_id).description_html
    )


def job_writes(queries: list[dict]) -> list[str]:
    """Writes to the jobs tables; an executemany is logged once, as "N times: SQL"."""
    statements = [re.sub(r"^\d+ times: ", "", q["sql"].lstrip()) for q in queries]
    return [
        sql
        for sql in statements
        if sql.upper().startswith(("INSERT", "UPDATE", "DELETE")) and '"jobs_job' in sql
    ]


def test_it_imports_every_post_of_a_board(acme, fake_greenhouse):
    posts = fake_greenhouse.jobs("acme-robotics")

    result = sync(acme)

    assert result.ok, result.error
    assert result.counts.created == len(posts)
    assert Job.objects.filter(organization=acme.organization, is_open=True).count() == len(posts)
    for post in posts:
        job = Job.objects.get(greenhouse_id=post["id"])
        assert job.title == post["title"].strip()
        assert job.absolute_url == post["absolute_url"]
        assert job.internal_job_id == post["internal_job_id"]
        assert (job.requisition_id, job.language, job.company_name) == (
            post["requisition_id"],
            post["language"],
            post["company_name"],
        )
        assert job.greenhouse_updated_at is not None
        assert job.description_html and "&lt;" not in job.description_html[:20]
        assert job.excerpt and "<" not in job.excerpt
        assert job.departments.count() == len(post["departments"] or [])
        assert job.offices.count() == len(post["offices"] or [])


def unit_ids(job: Job) -> tuple[set[int], set[int]]:
    return (
        set(job.departments.values_list("greenhouse_id", flat=True)),
        set(job.offices.values_list("greenhouse_id", flat=True)),
    )


def assert_linked_as_posted(organization, posts: list[dict]) -> None:
    """Each post's job is linked to the post's departments and offices, and to no other."""
    for post in posts:
        job = Job.objects.get(organization=organization, greenhouse_id=post["id"])
        assert unit_ids(job) == (
            {unit["id"] for unit in post["departments"] or []},
            {unit["id"] for unit in post["offices"] or []},
        )


@pytest.mark.parametrize("pipeline_supported", [True, False])
def test_a_board_larger_than_a_write_chunk_is_written_and_linked_chunk_by_chunk(
    acme, fake_greenhouse, monkeypatch, pipeline_supported
):
    """Jobs are written a chunk at a time and linked after: every chunk's links must match.
    On PostgreSQL the chunks are pipelined, unless libpq is too old for it (before 14)."""
    monkeypatch.setattr("jobs.sync.WRITE_CHUNK_SIZE", 2)
    monkeypatch.setattr("psycopg.Pipeline.is_supported", lambda: pipeline_supported)
    posts = fake_greenhouse.jobs("acme-robotics")
    assert len(posts) > 4, "the acme fixture should span three chunks of two"
    assert sync(acme).counts.created == len(posts)
    posts[0]["title"] = "Robot Whisperer"
    posts[-1]["departments"], posts[-1]["offices"] = posts[0]["departments"], []
    posts.append(dict(copy.deepcopy(posts[1]), id=4_242_424_242, title="Gripper Tuner"))
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    assert result.ok, result.error
    assert (result.counts.created, result.counts.updated) == (1, 2)
    for post in posts:
        job = Job.objects.get(organization=acme.organization, greenhouse_id=post["id"])
        assert job.title == post["title"].strip()
    assert_linked_as_posted(acme.organization, posts)


def test_two_orgs_listing_the_same_posts_each_link_their_own_jobs(acme, fake_greenhouse):
    """Greenhouse's ids are not one org's: two orgs may be connected to one board. Here the
    other org's jobs keep the older titles it last synced, which list after the new ones."""
    other = make_connection("acme-eu", "acme-robotics")
    posts = fake_greenhouse.jobs("acme-robotics")
    titles = [post["title"] for post in posts]
    for post in posts:
        post["title"] = f"Zz {post['title']}"
    fake_greenhouse.touch("acme-robotics")
    sync(other)
    for post, title in zip(posts, titles, strict=True):
        post["title"] = title
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).counts.created == len(posts)

    assert_linked_as_posted(acme.organization, posts)
    assert_linked_as_posted(other.organization, posts)
    for organization in (acme.organization, other.organization):
        jobs = Job.objects.filter(organization=organization)
        assert set(jobs.values_list("departments__organization", flat=True)) <= {
            organization.pk,
            None,
        }


@pytest.mark.parametrize("failure", ["crash in a description thread", "crash", "refused write"])
def test_a_failure_in_a_later_chunk_undoes_the_chunks_already_sent(
    acme, fake_greenhouse, monkeypatch, failure
):
    """On PostgreSQL the chunks are pipelined: the chunks sent before the failure must be undone,
    and a write the database refuses is reported when the pipeline ends, not at its statement.
    The descriptions of later chunks are read in other threads: a crash there fails the sync."""
    sync(acme)
    before = {job.pk: (job.title, unit_ids(job)) for job in Job.objects.all()}
    monkeypatch.setattr("jobs.sync.WRITE_CHUNK_SIZE", 2)
    posts = fake_greenhouse.jobs("acme-robotics")
    for post in posts:
        post["title"] = f"{post['title']} (renamed)"
        post["offices"] = []
    posts[4]["content"] += "&lt;p&gt;third chunk&lt;/p&gt;"  # chunks of two: the fifth post
    fake_greenhouse.touch("acme-robotics")
    real_excerpt_of, real_fields_of = jobs_sync.excerpt_of, jobs_sync._greenhouse_fields_of
    written = []

    def excerpt_failing_in_the_third_chunk(safe_html, **options):
        if failure == "crash in a description thread" and "third chunk" in safe_html:
            raise RuntimeError("BeautifulSoup bug")
        return real_excerpt_of(safe_html, **options)

    def fields_failing_in_the_third_chunk(post):
        written.append(post.greenhouse_id)
        if len(written) == 5 and failure == "crash":
            raise RuntimeError("worker bug")
        fields = real_fields_of(post)
        if len(written) == 5 and failure == "refused write":
            fields["title"] = None  # NOT NULL: refused by the database itself
        return fields

    monkeypatch.setattr("jobs.sync.excerpt_of", excerpt_failing_in_the_third_chunk)
    monkeypatch.setattr("jobs.sync._greenhouse_fields_of", fields_failing_in_the_third_chunk)

    result = sync(acme)

    assert not result.ok
    # Written before the failure: two chunks, or the fifth post; a refused write is told at its
    # chunk's statement, or when PostgreSQL's pipeline ends.
    expected_written = {"crash in a description thread": 4, "crash": 5, "refused write": 6}
    assert expected_written[failure] <= len(written)
    assert failure == "refused write" or len(written) == expected_written[failure]
    assert {job.pk: (job.title, unit_ids(job)) for job in Job.objects.all()} == before
    assert SyncRun.objects.latest("pk").outcome == SyncRun.Outcome.FAILED
    monkeypatch.setattr("jobs.sync.excerpt_of", real_excerpt_of)
    monkeypatch.setattr("jobs.sync._greenhouse_fields_of", real_fields_of)
    assert sync(acme).counts.updated == len(posts)


def test_a_paused_orgs_failure_with_a_wait_says_no_sync_will_try_again(
    acme, fake_greenhouse, settings
):
    # Said of a wait Greenhouse asked for, "the sync will try again after that" was left on
    # the pages of a paused org, which no sync tries again.
    settings.GREENHOUSE_RETRIES = 0
    fake_greenhouse.fail_next("acme-robotics", "rate_limit", retry_after="300")
    assert not sync(acme).ok
    GreenhouseConnection.objects.filter(pk=acme.pk).update(enabled=False)

    status = sync_status(organization=acme.organization)

    assert status["last_error"] == (
        "Greenhouse is rate limiting requests and asked to wait about 5 minutes; syncing is "
        "paused, so no sync will try again."
    )


def test_it_says_a_sync_stopped_at_its_time_limit_ran_too_long(acme, fake_greenhouse, monkeypatch):
    sync(acme)
    before = {job.pk: job.title for job in Job.objects.filter(is_open=True)}

    def hanging_fetch(self, token, **validators):
        raise SoftTimeLimitExceeded()  # as Celery raises it in a sync waiting on Greenhouse

    monkeypatch.setattr("jobs.greenhouse.GreenhouseClient.fetch_jobs_response", hanging_fetch)

    result = sync(acme)

    assert not result.ok and "time limit" in result.error and "internal error" not in result.error
    acme.refresh_from_db()
    assert acme.last_error == SyncRun.objects.latest("pk").error_message == result.error
    assert {job.pk: job.title for job in Job.objects.filter(is_open=True)} == before
    # The schedule tries again, so it says so as the other passing failures do; and while
    # syncing is paused, the status pages say that none will.
    assert result.error.endswith(WILL_TRY_AGAIN)
    next_due = acme.last_attempt_at + acme.sync_interval
    assert next_due <= acme.next_sync_at < next_due + timedelta(minutes=1)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(enabled=False)
    status = sync_status(organization=acme.organization)
    assert status["last_error"].endswith("slowly; syncing is paused, so no sync will try again.")


def test_a_sync_stopped_at_its_time_limit_logs_a_warning_not_a_crash(
    acme, fake_greenhouse, monkeypatch, caplog
):
    """The time limit is how the worker stops a sync on a Greenhouse that trickles its answer:
    it was logged as "sync crashed", an ERROR, as a bug in the sync would be."""

    def hanging_fetch(self, token, **validators):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("jobs.greenhouse.GreenhouseClient.fetch_jobs_response", hanging_fetch)

    assert not sync(acme).ok

    assert [record.levelname for record in caplog.records if record.name == "jobs.sync"] == [
        "WARNING",
        "WARNING",
    ]
    assert f"sync stopped at its time limit org=acme run={SyncRun.objects.latest('pk').pk}" in (
        caplog.text
    )
    assert "crashed" not in caplog.text


def test_a_time_limit_reached_while_urllib3s_retry_line_is_masked_stops_the_sync(
    acme, settings, monkeypatch, no_proxy_settings
):
    """The time limit raised from the password filter, in urllib3's own line of a retry, leaves
    urllib3 and requests and the client, as it would anywhere: the sync stops at its limit
    without trying again. The filter once went on from it, and the sync ran on."""
    masked = []

    def time_is_up_at_the_retry_line(text: str, urls: tuple) -> str:
        masked.append(text)
        if text.startswith("Retrying"):
            raise SoftTimeLimitExceeded()
        return text

    monkeypatch.setattr("jobs.greenhouse._password_pieces_masked", time_is_up_at_the_retry_line)
    settings.GREENHOUSE_RETRIES = 2
    settings.GREENHOUSE_RETRY_BACKOFF = 0

    with refusing_port() as port:
        settings.GREENHOUSE_API_BASE = f"http://127.0.0.1:{port}/v1"
        result = sync(acme)

    assert not result.ok and "time limit" in result.error
    # Nothing of urllib3's or the client's masked after it (the site's handler masks the sync's
    # own lines of its stop too).
    retried = next(index for index, text in enumerate(masked) if text.startswith("Retrying"))
    assert [
        text for text in masked[retried + 1 :] if text.startswith(("Retrying", "greenhouse"))
    ] == []


def test_a_sync_stopped_while_recording_its_success_has_changed_nothing(
    acme, fake_greenhouse, monkeypatch
):
    failing_since = timezone.now() - timedelta(days=2)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        state=GreenhouseConnection.State.FAILING,
        failing_since=failing_since,
        consecutive_failures=3,
    )
    real_update_connection = jobs_sync._update_connection

    def stopped_after_recording_success(connection, **values):
        real_update_connection(connection, **values)
        if values.get("state") == GreenhouseConnection.State.OK:
            raise SoftTimeLimitExceeded()  # the time limit, before the transaction commits

    monkeypatch.setattr("jobs.sync._update_connection", stopped_after_recording_success)

    result = sync(acme)

    # The failure says nothing was changed, and nothing was: the jobs' writes were undone.
    assert not result.ok and "nothing was changed" in result.error
    assert not Job.objects.exists()
    acme.refresh_from_db()
    assert acme.applied_board_fingerprint == ""
    # The failing streak goes on from where it was, not from the success that was undone.
    assert (acme.failing_since, acme.consecutive_failures) == (failing_since, 4)
    monkeypatch.setattr("jobs.sync._update_connection", real_update_connection)
    assert sync(acme).counts.created == len(fake_greenhouse.jobs("acme-robotics"))


def test_a_sync_that_outlived_its_lease_changes_nothing(acme, fake_greenhouse, monkeypatch):
    """Celery's time limits do not always fire: a sync may run on after its lease ended and
    another sync took the org over. Its board is then older than the other one's."""
    real_fetch = jobs_sync.GreenhouseClient.fetch_jobs_response
    newer_lease = timezone.now() + timedelta(minutes=5)

    def fetch_while_the_lease_runs_out(self, token, **validators):
        response = real_fetch(self, token, **validators)
        GreenhouseConnection.objects.filter(pk=acme.pk).update(lock_expires_at=newer_lease)
        return response

    monkeypatch.setattr(
        "jobs.greenhouse.GreenhouseClient.fetch_jobs_response", fetch_while_the_lease_runs_out
    )

    with CaptureQueriesContext(db_connection) as queries:
        result = sync(acme)

    assert not result.ok and "took longer than it may hold this organization" in result.error
    assert result.error.endswith(f"nothing was changed, and {WILL_TRY_AGAIN}")
    assert not Job.objects.exists()
    assert job_writes(queries.captured_queries) == []  # abandoned before applying, not after
    assert SyncRun.objects.get(pk=result.run_id).outcome == SyncRun.Outcome.FAILED
    acme.refresh_from_db()
    # The connection is the newer sync's: its lease and state are left alone.
    assert acme.lock_expires_at == newer_lease
    assert (acme.last_error, acme.consecutive_failures) == ("", 0)


def test_a_sync_that_outlived_its_lease_changes_nothing_though_none_took_over(
    acme, fake_greenhouse, monkeypatch, settings
):
    """Once its lease ends, the org reads as not running and is due again: a sync still at it
    then must not commit as if it held the org."""
    real_fetch = jobs_sync.GreenhouseClient.fetch_jobs_response
    after_the_lease = timezone.now() + timedelta(seconds=settings.SYNC_LOCK_SECONDS + 1)

    def fetch_until_after_the_lease(self, token, **validators):
        response = real_fetch(self, token, **validators)
        monkeypatch.setattr("jobs.sync.timezone", SimpleNamespace(now=lambda: after_the_lease))
        return response

    monkeypatch.setattr(
        "jobs.greenhouse.GreenhouseClient.fetch_jobs_response", fetch_until_after_the_lease
    )

    result = sync(acme)

    assert not result.ok and "took longer than it may hold this organization" in result.error
    assert not Job.objects.exists()


def loses_its_lease_as_it_applies(monkeypatch) -> None:
    """Syncs apply their board, then find another sync took the org over meanwhile."""
    real_apply_board = jobs_sync.apply_board

    def apply_while_another_sync_takes_over(connection, raw_jobs, *, now):
        counts = real_apply_board(connection, raw_jobs, now=now)
        GreenhouseConnection.objects.filter(pk=connection.pk).update(
            lock_expires_at=timezone.now() + timedelta(minutes=5)
        )
        return counts

    monkeypatch.setattr("jobs.sync.apply_board", apply_while_another_sync_takes_over)


def test_a_sync_whose_lease_is_taken_over_while_it_applies_changes_nothing(
    acme, fake_greenhouse, monkeypatch, caplog
):
    """A large board takes a while to apply: the lease may run out and another sync take the
    org over after the check before the apply, and before its commit."""
    loses_its_lease_as_it_applies(monkeypatch)

    result = sync(acme)

    assert not result.ok and "took longer than it may hold this organization" in result.error
    # The org admin cannot change the setting; whoever runs the site reads it in the log.
    assert "SYNC_LOCK_SECONDS" not in result.error
    assert "reason=lease expired (SYNC_LOCK_SECONDS=" in caplog.text
    assert not Job.objects.exists()
    assert SyncRun.objects.get(pk=result.run_id).outcome == SyncRun.Outcome.FAILED


def test_a_failed_sync_that_outlived_its_lease_leaves_the_connection_alone(
    acme, fake_greenhouse, monkeypatch
):
    newer_lease = timezone.now() + timedelta(minutes=5)
    before = (acme.state, acme.last_error, acme.consecutive_failures)

    def failing_after_the_lease_ran_out(self, token, **validators):
        GreenhouseConnection.objects.filter(pk=acme.pk).update(lock_expires_at=newer_lease)
        raise Unavailable("Greenhouse answered with HTTP 502; nothing was changed.")

    monkeypatch.setattr(
        "jobs.greenhouse.GreenhouseClient.fetch_jobs_response", failing_after_the_lease_ran_out
    )

    result = sync(acme)

    assert not result.ok
    acme.refresh_from_db()
    # The newer sync's: not marked failing by the one it took over from.
    assert (acme.state, acme.last_error, acme.consecutive_failures) == before
    assert acme.lock_expires_at == newer_lease


def test_it_stores_ids_beyond_32_bits(acme, fake_greenhouse):
    sync(acme)
    assert Job.objects.filter(greenhouse_id__gt=2**32).exists()


def test_it_keeps_department_and_office_parents(acme, fake_greenhouse):
    sync(acme)
    posts = fake_greenhouse.jobs("acme-robotics")
    parented = [d for post in posts for d in (post["departments"] or []) if d["parent_id"]]
    assert parented, "the acme fixture should have child departments"
    department = Department.objects.get(greenhouse_id=parented[0]["id"])
    assert department.parent_greenhouse_id == parented[0]["parent_id"]
    assert Office.objects.filter(organization=acme.organization).exists()


def test_an_office_renamed_and_moved_in_greenhouse_has_its_new_name_and_place(
    acme, fake_greenhouse
):
    sync(acme)
    office = fake_greenhouse.jobs("acme-robotics")[0]["offices"][0]
    office.update(name="Pittsburgh, North Shore", location="North Shore, Pittsburgh, PA")
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).counts.updated == 1

    saved = Office.objects.get(organization=acme.organization, greenhouse_id=office["id"])
    assert (saved.name, saved.location) == (office["name"], office["location"])


def test_units_moved_in_greenhouse_are_under_their_new_parents_or_none(acme, fake_greenhouse):
    """A move writes the parent as a rename writes the name, a parent taken away as none (NULL)."""
    sync(acme)
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["departments"] = [
        {"id": 80_001, "name": "Top", "parent_id": None},
        {"id": 80_002, "name": "Moved", "parent_id": None},
    ]
    post["offices"] = [{"id": 81_001, "name": "Branch", "location": "", "parent_id": 80_500}]
    fake_greenhouse.touch("acme-robotics")
    assert sync(acme).ok
    post["departments"][1]["parent_id"] = 80_001
    post["offices"][0]["parent_id"] = None
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).ok

    org = acme.organization
    assert Department.objects.get(organization=org, greenhouse_id=80_002).parent_greenhouse_id == (
        80_001
    )
    assert Office.objects.get(organization=org, greenhouse_id=81_001).parent_greenhouse_id is None


def test_offices_renamed_at_once_are_written_by_one_statement_that_does_not_grow_with_them(
    acme, fake_greenhouse
):
    """A board whose offices were all renamed (or moved under new parents) at once: written
    with a CASE WHEN per office and field, one statement grew with the offices, and its time
    with their square (5,000 renames took 20 s on PostgreSQL and 13 s on SQLite, eight times
    their creation; 20,000 held a sync past two minutes). One UPDATE run once per office reads
    the same whatever their number."""
    posts = fake_greenhouse.jobs("acme-robotics")
    for name in ("Store", "Shop"):
        # As many as a post may list in each post: 300 in all.
        for number, post in enumerate(posts):
            post["offices"] = [
                {"id": 90_000 + n, "name": f"{name} {n}", "location": f"Town {n}", "parent_id": 1}
                for n in range(number * MAX_UNITS_PER_POST, (number + 1) * MAX_UNITS_PER_POST)
            ]
        fake_greenhouse.touch("acme-robotics")
        with CaptureQueriesContext(db_connection) as queries:
            assert sync(acme).ok

    office_table = Office._meta.db_table
    # An UPDATE run once per row is captured as "300 times: UPDATE …".
    renames = [query["sql"] for query in queries if f'UPDATE "{office_table}"' in query["sql"]]
    assert renames
    assert max(len(sql) for sql in renames) < 500
    ids = [office["id"] for post in posts for office in post["offices"]]
    offices = Office.objects.filter(organization=acme.organization, greenhouse_id__in=ids)
    assert set(offices.values_list("name", flat=True)) == {f"Shop {n}" for n in range(300)}


def test_it_records_the_run_and_marks_the_connection_ok(acme, fake_greenhouse):
    result = sync(acme)

    run = SyncRun.objects.get(pk=result.run_id)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert run.trigger == SyncRun.Trigger.COMMAND
    assert run.created == result.counts.created
    assert run.finished_at is not None and run.http_status == 200
    acme.refresh_from_db()
    assert acme.state == GreenhouseConnection.State.OK
    assert acme.last_success_at is not None and acme.last_error == ""
    assert acme.next_sync_at > timezone.now() + timedelta(minutes=14)
    assert acme.lock_expires_at is None


@pytest.mark.parametrize("failing", [False, True])
def test_an_interval_changed_during_the_sync_sets_the_next_one(
    acme, fake_greenhouse, monkeypatch, failing
):
    if failing:
        fake_greenhouse.fail_next("acme-robotics", "status", status=404)
    fetch = jobs_sync.GreenhouseClient.fetch_jobs_response

    def fetch_as_the_admin_saves(client, token, **validators):
        # On the settings page, as Greenhouse answers.
        GreenhouseConnection.objects.update(sync_interval_minutes=1440)
        return fetch(client, token, **validators)

    monkeypatch.setattr(jobs_sync.GreenhouseClient, "fetch_jobs_response", fetch_as_the_admin_saves)

    sync(acme)

    acme.refresh_from_db()
    assert acme.next_sync_at > timezone.now() + timedelta(hours=23)


def test_a_resync_of_an_unchanged_board_writes_nothing_to_jobs(acme, fake_greenhouse):
    sync(acme)

    with CaptureQueriesContext(db_connection) as queries:
        result = sync(acme)

    assert result.counts.unchanged == len(fake_greenhouse.jobs("acme-robotics"))
    assert result.counts.created == result.counts.updated == result.counts.closed == 0
    assert job_writes(queries.captured_queries) == []


@pytest.mark.parametrize("sends_etags", [True, False])  # "not modified", or the same bytes
def test_an_unchanged_resync_costs_the_same_queries_whatever_the_board_size(
    db, fake_greenhouse, sends_etags
):
    fake_greenhouse.sends_etags = sends_etags
    small = make_connection("small", "tiny-co")
    large = make_connection("large", "acme-robotics")
    sync(small), sync(large)

    with CaptureQueriesContext(db_connection) as small_queries:
        sync_organization(small, trigger=SyncRun.Trigger.COMMAND)
    with CaptureQueriesContext(db_connection) as large_queries:
        sync_organization(large, trigger=SyncRun.Trigger.COMMAND)

    assert len(small_queries) == len(large_queries) <= 10, [
        q["sql"] for q in large_queries.captured_queries
    ]


@pytest.mark.parametrize("sends_etags", [True, False])  # "not modified", or the same bytes
def test_the_same_board_again_is_not_parsed_or_applied(
    acme, fake_greenhouse, monkeypatch, sends_etags
):
    fake_greenhouse.sends_etags = sends_etags
    first = sync(acme)
    monkeypatch.setattr("jobs.sync.apply_board", pytest.fail)  # a full sync would call it

    result = sync(acme)

    assert result.ok
    assert result.counts.unchanged == first.counts.created
    run = SyncRun.objects.get(pk=result.run_id)
    assert run.outcome == SyncRun.Outcome.SUCCESS and run.unchanged == first.counts.created


def test_a_board_that_changed_by_one_post_is_applied_post_by_post(acme, fake_greenhouse):
    sync(acme)
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[0]["title"] = "Robot Whisperer"

    with CaptureQueriesContext(db_connection) as queries:
        result = sync(acme)

    assert result.counts.updated == 1 and result.counts.unchanged == len(posts) - 1
    assert Job.objects.get(greenhouse_id=posts[0]["id"]).title == "Robot Whisperer"
    job_updates = [sql for sql in job_writes(queries.captured_queries) if "UPDATE" in sql]
    assert len(job_updates) == 1


def test_a_connection_loaded_before_another_sync_does_not_skip_a_board(acme, fake_greenhouse):
    """Board A, then B applied by another process, then A again: A must be applied again."""
    sync(acme)
    loaded_early = GreenhouseConnection.objects.get(pk=acme.pk)
    post = fake_greenhouse.jobs("acme-robotics")[0]
    title = post["title"]
    post["title"] = "Robot Whisperer"
    sync(acme)
    post["title"] = title
    fake_greenhouse.touch("acme-robotics")

    result = sync_organization(loaded_early, trigger=SyncRun.Trigger.COMMAND)

    assert result.counts.updated == 1
    assert Job.objects.get(greenhouse_id=post["id"]).title == title.strip()


def test_a_connection_loaded_before_its_board_changed_syncs_the_new_board(acme, fake_greenhouse):
    """A task loads the connection, the org connects another board, then the task runs."""
    loaded_early = GreenhouseConnection.objects.get(pk=acme.pk)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(board_token="tiny-co")

    sync_organization(loaded_early, trigger=SyncRun.Trigger.COMMAND)

    assert [record.token for record in fake_greenhouse.requests] == ["tiny-co"]
    titles = Job.objects.filter(organization=acme.organization).values_list("title", flat=True)
    assert sorted(titles) == sorted(
        post["title"].strip() for post in fake_greenhouse.jobs("tiny-co")
    )


def test_a_connection_loaded_before_its_history_was_reset_counts_failures_afresh(
    acme, fake_greenhouse
):
    """Connecting another board resets the failure history; a sync whose task loaded the
    connection before must not carry the old board's failures over."""
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        failing_since=timezone.now() - timedelta(days=30), consecutive_failures=7
    )
    loaded_early = GreenhouseConnection.objects.get(pk=acme.pk)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        board_token="no-such-board", failing_since=None, consecutive_failures=0
    )

    sync_organization(loaded_early, trigger=SyncRun.Trigger.COMMAND)

    acme.refresh_from_db()
    assert acme.consecutive_failures == 1
    assert acme.failing_since > timezone.now() - timedelta(minutes=1)


def test_an_open_job_deleted_here_comes_back_though_the_board_is_the_same(acme, fake_greenhouse):
    sync(acme)
    gone = Job.objects.filter(organization=acme.organization).first()
    gone.delete()

    result = sync(acme)

    assert result.counts.created == 1
    assert Job.objects.filter(
        organization=acme.organization, greenhouse_id=gone.greenhouse_id
    ).exists()


def test_the_same_board_again_reports_the_posts_it_skips(acme, fake_greenhouse):
    fake_greenhouse.jobs("acme-robotics")[1]["title"] = None
    assert sync(acme).counts.skipped == 1

    assert sync(acme).counts.skipped == 1


def counts_recorded(result) -> dict[str, int]:
    return SyncRun.objects.filter(pk=result.run_id).values(*result.counts.as_dict()).get()


def import_then_skip_a_post(acme, fake_greenhouse):
    """The board applied once whole, then with one post that can no longer be imported (for
    its application link): the post is skipped, and its job stays open."""
    sync(acme)
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[1]["absolute_url"] = "mailto:jobs@acme.example"
    fake_greenhouse.touch("acme-robotics")
    applied = sync(acme)
    assert (applied.counts.unchanged, applied.counts.skipped) == (len(posts) - 1, 1)
    assert Job.objects.get(greenhouse_id=posts[1]["id"]).is_open
    return applied


@pytest.mark.parametrize("sends_etags", [True, False])  # "not modified", or the same bytes
def test_the_same_board_again_counts_as_the_sync_that_applied_it(
    acme, fake_greenhouse, monkeypatch, sends_etags
):
    """It said 6 unchanged after the 5 (and 1 skipped) of the sync that applied the board: it
    counted the org's open jobs, and a skipped post keeps its job open."""
    fake_greenhouse.sends_etags = sends_etags
    applied = import_then_skip_a_post(acme, fake_greenhouse)
    monkeypatch.setattr("jobs.sync.apply_board", pytest.fail)  # a full sync would call it

    again = sync(acme)

    assert again.ok and again.counts == applied.counts
    assert counts_recorded(again) == counts_recorded(applied)


@pytest.mark.parametrize("sends_etags", [True, False])
def test_a_connection_read_before_a_sync_applied_its_board_counts_as_that_sync(
    acme, fake_greenhouse, monkeypatch, sends_etags
):
    """sync_jobs reads every connection before it syncs the first, and a worker may apply the
    board meanwhile: the count of its posts is read again under the lease, with the rest of
    what that sync recorded of the board."""
    fake_greenhouse.sends_etags = sends_etags
    read_before = GreenhouseConnection.objects.get(pk=acme.pk)
    applied = import_then_skip_a_post(acme, fake_greenhouse)
    monkeypatch.setattr("jobs.sync.apply_board", pytest.fail)  # a full sync would call it

    again = sync_organization(read_before, trigger=SyncRun.Trigger.COMMAND)

    assert again.ok and again.counts == applied.counts


def applying_as_code_before_0045(monkeypatch) -> None:
    """Syncs record what code before 0045 recorded of a board applied: no count of its posts."""
    record_success = jobs_sync._record_success

    def record_without_imported(*args, **values):
        values.pop("applied_board_imported", None)
        values.pop("applied_board_imported_fingerprint", None)
        record_success(*args, **values)

    monkeypatch.setattr("jobs.sync._record_success", record_without_imported)


@pytest.mark.parametrize("counted_before", [False, True])
def test_a_board_applied_by_code_before_0045_is_applied_again_and_counted(
    acme, fake_greenhouse, monkeypatch, counted_before
):
    """Boards applied before the deploy, or during it by older workers (after a newer one
    counted another board), have no count of their posts: the next sync applies the board
    again, whole, which counts them right. The same bytes or "not modified" would have said
    what another board counted, or nothing."""
    if counted_before:
        sync(acme)
    with monkeypatch.context() as older_code:
        applying_as_code_before_0045(older_code)
        applied = import_then_skip_a_post(acme, fake_greenhouse)
    acme.refresh_from_db()
    assert acme.applied_board_imported_fingerprint != acme.applied_board_fingerprint

    again = sync(acme)

    assert again.ok and again.counts == applied.counts
    assert "If-None-Match" not in fake_greenhouse.requests[-1].headers  # nor its ETag sent
    acme.refresh_from_db()
    assert acme.applied_board_imported_fingerprint == acme.applied_board_fingerprint
    assert acme.applied_board_imported == len(fake_greenhouse.jobs("acme-robotics")) - 1


def test_it_overwrites_greenhouse_fields_and_never_site_fields(acme, fake_greenhouse):
    sync(acme)
    post = fake_greenhouse.jobs("acme-robotics")[0]
    job = Job.objects.get(greenhouse_id=post["id"])
    job.featured, job.hidden, job.remote_policy = True, True, Job.RemotePolicy.REMOTE
    job.compensation_note, job.tags = "€60k–€80k", ["python", "robots"]
    job.title = "Edited here by mistake"
    job.save()
    post["title"] = "Senior Robotics Engineer — Grenoble"
    post["content"] = "&lt;p&gt;Nouvelle description&lt;/p&gt;"
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    assert result.counts.updated == 1
    job.refresh_from_db()
    assert job.title == "Senior Robotics Engineer — Grenoble"
    assert job.description_html == "<p>Nouvelle description</p>"
    assert (job.featured, job.hidden, job.remote_policy) == (True, True, "remote")
    assert job.compensation_note == "€60k–€80k" and job.tags == ["python", "robots"]


def test_a_sync_leaves_the_words_of_a_jobs_tags_as_their_edit_stored_them(acme, fake_greenhouse):
    """A sync never writes tags, nor what search reads of them: a changed post keeps both."""
    sync(acme)
    post = fake_greenhouse.jobs("acme-robotics")[0]
    job = Job.objects.get(greenhouse_id=post["id"])
    job.tags = ["Night owls"]
    job.save(update_fields=["tags"])  # as the org admin's page and Django's admin save them
    post["title"] = "Senior Robotics Engineer — Grenoble"
    fake_greenhouse.touch("acme-robotics")

    with CaptureQueriesContext(db_connection) as queries:
        assert sync(acme).counts.updated == 1

    job_updates = [sql for sql in job_writes(queries.captured_queries) if "UPDATE" in sql]
    assert len(job_updates) == 1 and "search_tags" not in job_updates[0]
    assert [job.title for job in job_search(query="night grenoble")] == [post["title"]]


def test_each_jobs_excerpt_starts_after_the_boards_company_intro(acme, fake_greenhouse):
    """Greenhouse opens every post of a board with the same intro; excerpts were all that."""
    posts = fake_greenhouse.jobs("acme-robotics")
    assert all(post["content"].startswith("&lt;div class=&quot;content-intro") for post in posts)

    sync(acme)

    excerpts = list(Job.objects.values_list("excerpt", flat=True))
    assert len(set(excerpts)) == len(posts)
    assert not any("Acme Robotics builds gentle" in excerpt for excerpt in excerpts)
    job = Job.objects.get(greenhouse_id=posts[0]["id"])
    assert job.excerpt.startswith("About the role The Platform team runs the fleet backend")
    assert "Acme Robotics builds gentle" in job.description_html  # shown on the job's page


def test_the_excerpt_of_a_post_of_the_boards_blocks_alone_is_the_intro_not_its_pay_range(
    acme, fake_greenhouse
):
    """A post of Greenhouse's intro, pay range and conclusion, without words of its own: its
    excerpt was the pay range and the equal-opportunity text; with the pay range alone after
    the intro, as on a board without a conclusion, the pay range."""
    posts = fake_greenhouse.jobs("acme-robotics")
    content = html.unescape(posts[1]["content"])
    intro_end = content.index("</div>") + len("</div>")
    pay_range = content.index('<div class="content-pay-transparency">')
    conclusion = content.index('<div class="content-conclusion">')
    posts[1]["content"] = html.escape(content[:intro_end] + content[pay_range:])
    posts[2]["content"] = html.escape(content[:intro_end] + content[pay_range:conclusion])

    sync(acme)

    for post in posts[1:3]:
        excerpt = Job.objects.get(greenhouse_id=post["id"]).excerpt
        assert excerpt.startswith("About Acme Robotics Acme Robotics builds gentle"), excerpt


# The block Greenhouse puts after the post's own description on a board with pay transparency.
PAY_RANGE = (
    '<div class="content-pay-transparency"><div class="pay-input"><div class="description">'
    '<p>Pay depends on experience.</p></div><div class="title">Annual pay range</div>'
    '<div class="pay-range"><span>$90,000</span><span class="divider">&mdash;</span>'
    "<span>$110,000 USD</span></div></div></div>"
)


@pytest.mark.parametrize(
    ("content", "excerpt"),
    [
        # Intro divs within the intro, and classes besides Greenhouse's.
        (
            '<div class="content-intro big"><div><p>We are Acme.</p></div></div><p>The role.</p>',
            "The role.",
        ),
        ("<div class='content-intro'><p>We are Acme.</p></div>\n<p>The role.</p>", "The role."),
        # After a line break and spaces, as a template may begin.
        ('\n  <div class="content-intro"><p>We are Acme.</p></div><p>The role.</p>', "The role."),
        # Nothing after the intro: the intro is better than nothing.
        ('<div class="content-intro"><p>We are Acme.</p></div><div></div>', "We are Acme."),
        # Nor Greenhouse's conclusion alone, the same for every job, as the intro: the intro
        # says what the company does.
        (
            '<div class="content-intro"><p>We are Acme.</p></div>\n<div class="content-conclusion">'
            "<div><p>Acme is an equal opportunity employer.</p></div></div>",
            "We are Acme.",
        ),
        # Blank paragraphs and line breaks about it, as editors leave them, hold no words.
        (
            '<div class="content-intro"><p>We are Acme.</p></div>\n<p>&nbsp;</p><br>\n'
            '<div class="content-conclusion"><p>Acme is an equal opportunity employer.</p></div>'
            "<p></p>",
            "We are Acme.",
        ),
        # Nor do empty divs an editor leaves between them, however nested or blank inside.
        (
            '<div class="content-intro"><p>We are Acme.</p></div><div></div>\n<div><div><p>&nbsp;'
            '</p></div><br></div><div class="content-conclusion"><p>Acme is an equal opportunity '
            "employer.</p></div>",
            "We are Acme.",
        ),
        # A div there that holds words is the description, and the excerpt runs on into the
        # conclusion, as after a paragraph.
        (
            '<div class="content-intro"><p>We are Acme.</p></div><div></div><div><p>The role.</p>'
            '</div><div class="content-conclusion"><p>Acme is an equal opportunity employer.</p>'
            "</div>",
            "The role. Acme is an equal opportunity employer.",
        ),
        # Nor the pay range a board with pay transparency puts after the post's own
        # description, before the conclusion or without one.
        (
            '<div class="content-intro"><p>We are Acme.</p></div>\n' + PAY_RANGE,
            "We are Acme.",
        ),
        (
            '<div class="content-intro"><p>We are Acme.</p></div><p>&nbsp;</p>'
            + PAY_RANGE
            + '<div class="content-conclusion"><p>Acme is an equal opportunity employer.</p></div>',
            "We are Acme.",
        ),
        # Nor one whose link shows nothing (an icon's), as its description holds it: without
        # its tags, which text_of() reads as a space.
        (
            '<div class="content-intro"><p>We are Acme.</p></div><div class="content-conclusion">'
            '<p>Follow us<a href="https://social.example/acme"><img src="in.png"></a>!</p></div>',
            "We are Acme.",
        ),
        # Nor the conclusion before an empty div.
        (
            '<div class="content-intro"><p>We are Acme.</p></div><div class="content-conclusion">'
            "<p>Acme is an equal opportunity employer.</p></div><div></div>",
            "We are Acme.",
        ),
        # A description in a div before the pay range is the description, as before the
        # conclusion.
        (
            '<div class="content-intro"><p>We are Acme.</p></div><div><p>The role.</p></div>'
            + PAY_RANGE,
            "The role. Pay depends on experience. Annual pay range $90,000—$110,000 USD",
        ),
        # A description in a div before an empty conclusion is the description.
        (
            '<div class="content-intro"><p>We are Acme.</p></div><p></p><div><p>The role.</p>'
            '</div><div class="content-conclusion"></div>',
            "The role.",
        ),
        (
            '<div class="content-intro"><p>We are Acme.</p></div><p>The role.</p>'
            '<div class="content-conclusion"><p>Acme is an equal opportunity employer.</p></div>',
            "The role. Acme is an equal opportunity employer.",
        ),
        # A div after the intro with no conclusion is the description.
        (
            '<div class="content-intro"><p>We are Acme.</p></div><div><p>The role.</p></div>',
            "The role.",
        ),
        # A first div that is not an intro is the description itself.
        ('<div class="summary"><p>The role.</p></div><p>More.</p>', "The role. More."),
        (
            '<p>The role.</p><div class="content-intro"><p>We are Acme.</p></div>',
            "The role. We are Acme.",
        ),
        # Real posts: "Apply using this link . Applications close…", "Note : …".
        (
            '<p><a href="https://x.example/apply">Apply using this link</a>. Applications close '
            "at <strong>11:59pm PT</strong>, July 26.</p>",
            "Apply using this link. Applications close at 11:59pm PT, July 26.",
        ),
        ("<p><em>Note</em>: <span>Air</span><span>bnb</span> hosts.</p>", "Note: Airbnb hosts."),
        ("<p>Ask <bdi>Dana</bdi>: HR.</p>", "Ask Dana: HR."),
        # Blocks and line breaks still part words.
        ("<h2>Role</h2><p>Maps.</p><ul><li>One</li><li>Two</li></ul>", "Role Maps. One Two"),
        ("<p>Line one<br>line two</p>", "Line one line two"),
    ],
)
def test_an_excerpt_skips_an_opening_intro_and_runs_inline_tags_on_with_their_sentence(
    acme, fake_greenhouse, content, excerpt
):
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["content"] = html.escape(content)

    sync(acme)

    assert Job.objects.get(greenhouse_id=post["id"]).excerpt == excerpt


# The text of PAY_RANGE, as an excerpt reads it.
PAY_RANGE_TEXT = "Pay depends on experience. Annual pay range $90,000—$110,000 USD"
CONCLUSION = (
    '<div class="content-conclusion"><p>Acme is an equal opportunity employer.</p>'
    "<p>&nbsp;</p></div>"
)


@pytest.mark.parametrize(
    ("content", "excerpt"),
    [
        # The pay range after an intro that shows no word is the post's only text: its excerpt
        # was "" ("" in the feeds and jobs.json), as read from the intro alone.
        ('<div class="content-intro"><p>&nbsp;</p></div>' + PAY_RANGE, PAY_RANGE_TEXT),
        # An intro of an image alone, which sanitizing drops, before the pay range and the
        # conclusion, as Greenhouse sends them.
        (
            '<div class="content-intro"><p><img src="https://acme.example/team.png" alt="" '
            'width="600"></p></div>\n' + PAY_RANGE + CONCLUSION,
            f"{PAY_RANGE_TEXT} Acme is an equal opportunity employer.",
        ),
        (
            '<div class="content-intro"><p>&#8203;</p></div><p>&nbsp;</p>' + CONCLUSION,
            "Acme is an equal opportunity employer.",
        ),
        # Zero-width spaces alone (typed, or as the entity an editor writes): no excerpt, where
        # it was those spaces.
        ("<p>\u200b</p>", ""),
        ("<p>&#8203;\u2060</p>\n<p>&nbsp;\u200b</p>", ""),
        ('<div class="content-intro"><p>\u200b</p></div><p>\u200b</p>', ""),
        # A paragraph of them before the first words: the excerpt began with them.
        ("<p>\u200b</p><p>The role.</p>", "The role."),
        # A right-to-left mark before a post's first word, which is Latin, keeps the excerpt
        # reading right to left (in jobs.json read with dir="auto"): it was dropped.
        ("<p>\u200fReact מפתח בכיר</p>", "\u200fReact מפתח בכיר"),
        ("<p>\u200b</p><p>\u200fReact מפתח בכיר</p>", "\u200fReact מפתח בכיר"),
        # After the intro: the intro, as when nothing follows it; the excerpt was those spaces.
        ('<div class="content-intro"><p>We are Acme.</p></div><p>\u200b</p>', "We are Acme."),
    ],
)
def test_an_excerpt_starts_at_the_first_word_the_post_shows(
    acme, fake_greenhouse, content, excerpt
):
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["content"] = html.escape(content)

    sync(acme)

    assert Job.objects.get(greenhouse_id=post["id"]).excerpt == excerpt


@pytest.mark.parametrize(
    "blank",
    [
        "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad",  # zero-width, soft hyphen
        "\u00a0", "\u3000", "\u200e\u200f\u061c", "\u2067\u2069",  # spaces, direction marks
        "\ufe0f", "\U000e0100", "\u0301", "\u20dd",  # variation selectors, marks alone
        "\u3164", "\u115f", "\u2800",  # Hangul fillers, the Braille blank
    ],
)  # fmt: skip
def test_an_excerpt_and_the_job_page_read_the_same_characters_as_showing_nothing(blank):
    """The excerpt skips what the page reads as no word (Job.description_shows_words): else a
    post of them alone has a blank excerpt in the feeds where its page says it has no
    description, or one of them before its words an excerpt that begins with a blank."""
    for content, excerpt in ((f"<p>{blank * 3}</p>", ""), (f"<p>{blank}</p><p>Ok.</p>", "Ok.")):
        escaped = html.escape(content)
        safe_html = sanitize_content(escaped)

        assert excerpt_of(safe_html, escaped_content=escaped) == excerpt
        assert Job(description_html=safe_html).description_shows_words == bool(excerpt)


@pytest.mark.parametrize(
    "content, excerpt",
    [
        ("R&amp;D in Zürich &amp; Tel Aviv", "R&D in Zürich & Tel Aviv"),
        ("5 &lt; 6 &gt; 4", "5 < 6 > 4"),
        ("Tom &amp;amp; Jerry", "Tom &amp; Jerry"),
        ("Pay:&nbsp;\t€90k \n\n per year", "Pay: €90k per year"),
        ("&#1502;&#1508;&#1514;&#1495; &quot;React&quot;", 'מפתח "React"'),
    ],
    ids=["ampersands", "angle-brackets", "an-entity-as-text", "blanks", "references"],
)
def test_an_excerpt_of_a_description_without_a_tag_reads_its_entities_as_characters(
    content, excerpt
):
    """Such a description is read without BeautifulSoup (which warned of one that looks like a
    web address): its `&amp;`, `&lt;` and `&nbsp;` are still the characters they stand for, as
    in the excerpt of a description with tags, not the entities a feed would escape again."""
    escaped = html.escape(content)
    safe_html = sanitize_content(escaped)

    assert "<" not in safe_html
    assert excerpt_of(safe_html, escaped_content=escaped) == excerpt


# Where the blocks start was searched for with a regex that read each "<div " on to the end
# of its tag: a post of 40,000 characters of them kept a sync 30 s on it, one of 300,000 (as
# long as a post may be) a quarter of an hour. Markup sanitizing drops, so the post still reads
# as the intro and the conclusion alone.
@pytest.mark.timeout(10, func_only=True)  # not the test database's setup
@pytest.mark.parametrize(
    "dropped",
    [
        "<!--" + "<div " * 60_000 + "-->",  # in a comment
        "<!--<div " + "class=" * 50_000 + ">-->",  # one tag of them
        '</p><p title="' + "<div " * 60_000 + '">',  # in an attribute
    ],
    ids=["comment", "tag", "attribute"],
)
def test_an_excerpt_of_the_boards_blocks_alone_is_read_at_once_whatever_markup_precedes_them(
    dropped,
):
    content = (
        f'<div class="content-intro"><p>We are Acme.{dropped}</p></div><div '
        'class="content-conclusion"><p>Acme is an equal opportunity employer.</p></div>'
    )
    escaped = html.escape(content)

    assert excerpt_of(sanitize_content(escaped), escaped_content=escaped) == "We are Acme."


def test_an_excerpt_of_the_boards_blocks_alone_reads_one_with_a_lone_surrogate():
    """Greenhouse's JSON may escape one (\\ud800), which nh3 cannot take: the conclusion read
    again to compare it is cleaned first, as the description was, or the post's sync failed."""
    content = (
        '<div class="content-intro"><p>We are Acme.</p></div><div class="content-conclusion">'
        "<p>Acme is an equal\ud800 opportunity employer.</p></div>"
    )
    escaped = html.escape(content)

    assert excerpt_of(sanitize_content(escaped), escaped_content=escaped) == "We are Acme."


def test_an_excerpt_of_text_with_few_spaces_is_cut_at_its_length_not_at_its_first_space(
    acme, fake_greenhouse
):
    post = fake_greenhouse.jobs("acme-robotics")[0]
    sentence = "当社はロボットアームを開発しています。"
    post["content"] = html.escape(f"<p>【職務内容】 {sentence * 20}</p>")

    sync(acme)

    excerpt = Job.objects.get(greenhouse_id=post["id"]).excerpt
    assert excerpt.startswith(f"【職務内容】 {sentence}") and len(excerpt) == EXCERPT_LENGTH


def test_an_excerpt_cut_after_a_comma_or_a_full_stop_ends_with_the_ellipsis_alone():
    assert cut_at_word("Build robots, then test them.", 15) == "Build robots…"
    assert cut_at_word("We build robots. We test them.", 18) == "We build robots…"


@pytest.mark.parametrize(
    "cluster",
    [
        "e\u0301\u0323",  # a letter and its accents, not composed
        "\u0915\u093f",  # कि: a consonant and its vowel sign
        "\u0e17\u0e33",  # ทำ: a Thai consonant and its vowel sign AM, a letter to unicodedata
        "\u0915\u094d\u0937",  # क्ष: a conjunct, two consonants joined by a virama
        "👩\u200d👩\u200d👧\u200d👦",  # a family: four emoji joined by zero-width joiners
        "👍🏽",  # an emoji and its skin tone
        "1\ufe0f\u20e3",  # a keycap: a digit, a variation selector and the keycap mark
        "🇫🇷",  # a flag: two regional indicators
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland's, tags
        "\u1112\u1161\u11ab",  # 한 written as its three jamo
        "ﾊﾟ",  # a half-width kana and its voiced mark
        "\u0600\u0661",  # the Arabic number sign and the digit it goes before
    ],
)
def test_an_excerpt_is_never_cut_inside_what_reads_as_one_character(cluster):
    """Cut at its length, text of few spaces lost part of its last character: an accent, the
    rest of a family emoji, a flag's second letter (the first showing as a letter in a box)."""
    length = 20
    for before in range(length):
        text = "x" * before + cluster * length

        whole_clusters = (length - 1 - before) // len(cluster)
        assert cut_at_word(text, length) == f"{'x' * before}{cluster * whole_clusters}…"


def test_an_excerpt_cut_at_a_word_leaves_no_joiner_before_the_space_it_was_cut_at():
    """The Arabic number sign goes with what follows it: cut at the space after it, it would
    show alone."""
    text = f"{'x' * 15}\u0600 {'y' * 20}"

    assert cut_at_word(text, 20) == f"{'x' * 15}…"


def test_an_excerpt_of_a_description_of_flags_keeps_each_flag_whole():
    flags = "🇫🇷🇩🇪🇯🇵🇧🇷" * 100

    excerpt = excerpt_of(f"<p>{flags}</p>")

    assert excerpt.endswith("…") and flags.startswith(excerpt[:-1])
    assert len(excerpt[:-1]) % 2 == 0 and len(excerpt) <= EXCERPT_LENGTH


def test_an_excerpt_read_from_the_head_of_a_description_shows_no_part_of_a_tag():
    """The head read first ends inside the link's tag: read as text, its address ran on."""
    words = "Our robots pick fruit gently. " * 8
    safe_html = f'<p>{words}</p><p><a href="https://acme.example/{"x" * 300}">Apply here</a></p>'

    assert excerpt_of(safe_html) == f"{words}Apply here"


def test_an_excerpt_of_text_exactly_as_long_as_its_length_is_whole():
    text = ("Solder circuit boards " * 20)[:EXCERPT_LENGTH]

    assert excerpt_of(f"<p>{text}</p>") == text


def test_a_post_sent_without_its_content_keeps_its_description(acme, fake_greenhouse, caplog):
    sync(acme)
    post = fake_greenhouse.jobs("acme-robotics")[0]
    job = Job.objects.get(greenhouse_id=post["id"])
    described = (job.description_html, job.excerpt, job.search_text)
    assert all(described)
    del post["content"]
    post["title"] = "Senior Robotics Engineer — Grenoble"
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).counts.updated == 1

    job.refresh_from_db()
    assert job.title == "Senior Robotics Engineer — Grenoble"
    assert (job.description_html, job.excerpt, job.search_text) == described
    assert f"job post {post['id']} came without readable content" in caplog.text
    post["content"] = "&lt;p&gt;Nouvelle description&lt;/p&gt;"
    fake_greenhouse.touch("acme-robotics")
    sync(acme)
    job.refresh_from_db()
    assert job.description_html == "<p>Nouvelle description</p>"
    post["content"] = None  # Greenhouse's word that there is no description
    fake_greenhouse.touch("acme-robotics")
    sync(acme)
    job.refresh_from_db()
    assert (job.description_html, job.excerpt) == ("", "")


def test_a_post_sent_without_its_departments_and_offices_keeps_its_jobs(
    acme, fake_greenhouse, caplog
):
    # Greenhouse sends them with the content (content=true): a post sent without its content
    # came without them too, and its job left its team's filter, and its office "Remote" its
    # workplace.
    post = fake_greenhouse.jobs("acme-robotics")[3]
    post["location"] = {"name": "Anywhere in the US"}  # its office alone says it is remote
    fake_greenhouse.touch("acme-robotics")
    sync(acme)
    job = Job.objects.get(greenhouse_id=post["id"])
    assert job.greenhouse_remote_policy == Job.RemotePolicy.REMOTE
    for key in ("content", "departments", "offices"):
        del post[key]
    post["title"] = "Field Service Technician II"
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).counts.updated == 1

    job.refresh_from_db()
    assert job.title == "Field Service Technician II"
    assert [unit.name for unit in job.departments.all()] == ["Field Operations"]
    assert [unit.name for unit in job.offices.all()] == ["Remote"]
    assert job.greenhouse_remote_policy == Job.RemotePolicy.REMOTE
    assert as_searched("Field Operations") in job.search_text
    for kind in ("departments", "offices"):
        assert f"job post {post['id']} came without its {kind}; its job keeps its own" in (
            caplog.text
        )


def test_a_new_post_sent_without_its_departments_and_offices_logs_that_it_gets_none(
    acme, fake_greenhouse, caplog
):
    post = fake_greenhouse.jobs("acme-robotics")[3]
    for key in ("content", "departments", "offices"):
        del post[key]

    sync(acme)

    job = Job.objects.get(greenhouse_id=post["id"])
    assert not job.departments.exists() and not job.offices.exists()
    for kind in ("departments", "offices"):
        assert f"job post {post['id']} came without its {kind}; its new job gets none" in (
            caplog.text
        )
    assert "keeps its own" not in caplog.text  # it has no job of its own yet
    assert "description kept" not in caplog.text  # nor a description to keep
    assert f"job post {post['id']} came without readable content; its job keeps any" in (
        caplog.text
    )


def test_a_job_that_leaves_the_board_is_closed_and_reopens_when_it_returns(acme, fake_greenhouse):
    sync(acme)
    posts = fake_greenhouse.jobs("acme-robotics")
    removed = posts.pop()
    Job.objects.filter(greenhouse_id=removed["id"]).update(featured=True, compensation_note="kept")
    fake_greenhouse.touch("acme-robotics")

    closing = sync(acme)

    job = Job.objects.get(greenhouse_id=removed["id"])
    assert closing.counts.closed == 1
    assert not job.is_open and job.closed_at is not None
    assert job.featured and job.compensation_note == "kept"

    posts.append(removed)
    fake_greenhouse.touch("acme-robotics")
    reopening = sync(acme)

    job.refresh_from_db()
    assert reopening.counts.reopened == 1 and reopening.counts.closed == 0
    assert job.is_open and job.closed_at is None and job.featured


def test_a_returning_job_that_also_changed_is_reopened_with_its_new_title(acme, fake_greenhouse):
    sync(acme)
    posts = fake_greenhouse.jobs("acme-robotics")
    removed = posts.pop()
    fake_greenhouse.touch("acme-robotics")
    sync(acme)
    removed["title"] = "Back again"
    posts.append(removed)
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    assert result.counts.reopened == 1 and result.counts.updated == 0
    job = Job.objects.get(greenhouse_id=removed["id"])
    assert job.title == "Back again" and job.is_open and job.closed_at is None


def test_an_empty_board_closes_every_job(acme, fake_greenhouse):
    sync(acme)
    fake_greenhouse.jobs("acme-robotics").clear()
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    assert result.ok
    assert result.counts.closed == Job.objects.filter(organization=acme.organization).count()
    assert not Job.objects.filter(organization=acme.organization, is_open=True).exists()


def test_no_jobs_from_a_board_that_counts_some_change_nothing(acme, fake_greenhouse, caplog):
    # Greenhouse contradicting itself, not a company that stopped hiring: taken at its word,
    # every job was closed, and left the site until a sync read the board again.
    sync(acme)
    fake_greenhouse.fail_next("acme-robotics", "body", body={"jobs": [], "meta": {"total": 6}})

    result = sync(acme)

    assert not result.ok and result.transient
    assert result.error == (
        "Greenhouse sent no jobs, though it counts 6 on the board; nothing was changed."
    )
    assert Job.objects.filter(organization=acme.organization, is_open=True).count() == 6
    assert "greenhouse response lists no jobs but meta.total=6" in caplog.text
    fake_greenhouse.fail_next("acme-robotics", "body", body={"jobs": [], "meta": {"total": 0}})
    assert sync(acme).counts.closed == 6  # an empty board that says so is taken at its word


def test_nulls_become_empty_values(acme, fake_greenhouse):
    post = fake_greenhouse.jobs("acme-robotics")[0]
    for key in post:
        if key not in ("id", "title"):
            post[key] = None
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    assert result.ok and result.counts.skipped == 0
    job = Job.objects.get(greenhouse_id=post["id"])
    assert job.description_html == "" and job.location_name == "" and job.absolute_url == ""
    assert job.metadata == [] and job.internal_job_id is None and job.greenhouse_updated_at is None


def test_duplicate_ids_are_skipped_and_the_first_post_kept(acme, fake_greenhouse):
    posts = fake_greenhouse.jobs("acme-robotics")
    twin = copy.deepcopy(posts[0])
    twin["title"] = "An impostor"
    posts.append(twin)
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    assert result.counts.skipped == 1
    assert result.counts.skip_reasons == [
        f"job post {twin['id']} listed again with other content (a duplicate id); the first "
        "that can be imported is kept"
    ]
    assert Job.objects.get(greenhouse_id=twin["id"]).title == posts[0]["title"].strip()


def copies_of_the_first_post_listed(fake_greenhouse) -> tuple[list[Any], dict[str, Any]]:
    """acme-robotics's board with its first post broken (no title), then listed again as it
    was, then under another title; returns the posts and the good copy."""
    posts = fake_greenhouse.jobs("acme-robotics")
    good, impostor = copy.deepcopy(posts[0]), copy.deepcopy(posts[0])
    impostor["title"] = "An impostor"
    posts[0]["title"] = ""
    posts += [good, impostor]
    fake_greenhouse.touch("acme-robotics")
    return posts, good


def test_of_duplicate_ids_the_first_post_that_can_be_imported_is_kept(acme, fake_greenhouse):
    """A broken copy listed first kept a good one of its id off the site, and the reason said
    "the first is kept" of a post that was not."""
    posts, good = copies_of_the_first_post_listed(fake_greenhouse)

    result = sync(acme)

    assert (result.counts.created, result.counts.skipped) == (len(posts) - 2, 2)
    # Not "has no title", and "once fixed in Greenhouse": its job is on the site already.
    listed_again = (
        f"job post {good['id']} listed again with other content (a duplicate id); the first "
        "that can be imported is kept"
    )
    assert result.counts.skip_reasons == [listed_again, listed_again]
    assert result.counts.skipped_for_id == 2
    assert "Once" not in sync_status(organization=acme.organization)["skipped_text"]
    assert Job.objects.get(greenhouse_id=good["id"]).title == good["title"].strip()


def test_of_duplicate_ids_the_copy_imported_before_is_kept_as_the_board_is_read_again(
    acme, fake_greenhouse
):
    """Its post unchanged, the imported copy is not parsed again, yet still holds its id: a
    broken copy listed before it is listed again, and another copy after it does not replace
    its job."""
    posts, good = copies_of_the_first_post_listed(fake_greenhouse)
    sync(acme)
    posts[1]["title"] = "Another title"  # the board is read again, the copies as they were
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    assert (result.counts.updated, result.counts.skipped) == (1, 2)
    assert result.counts.skipped_for_id == 2
    assert "Once" not in sync_status(organization=acme.organization)["skipped_text"]
    assert Job.objects.get(greenhouse_id=good["id"]).title == good["title"].strip()


def test_of_broken_copies_of_an_id_no_copy_holds_the_first_is_skipped_for_what_is_wrong(
    acme, fake_greenhouse
):
    """The others as listed again: both "to fix in Greenhouse", once fixed the second was
    still the first's duplicate. Not "the first that can be imported is kept": none was."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[0]["title"] = ""
    broken = {**copy.deepcopy(posts[0]), "requisition_id": "another copy"}
    posts.append(broken)
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    assert result.counts.skip_reasons == [
        f"job post {broken['id']} has no title",
        f"job post {broken['id']} listed again with other content (a duplicate id); no copy can "
        "be imported yet, and the first that can will be kept",
    ]
    assert not Job.objects.filter(greenhouse_id=broken["id"]).exists()
    assert result.counts.skipped_for_id == 1


def test_a_post_listed_twice_as_it_is_is_imported_once_and_not_skipped(acme, fake_greenhouse):
    posts = fake_greenhouse.jobs("acme-robotics")
    posts.append(copy.deepcopy(posts[0]))
    posts.append(copy.deepcopy(posts[1]))
    posts[1]["title"] = posts[-1]["title"] = ""  # skipped once, for its title alone
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    assert (result.counts.created, result.counts.skipped) == (len(posts) - 3, 1)
    assert result.counts.skip_reasons == [f"job post {posts[1]['id']} has no title"]
    assert Job.objects.filter(greenhouse_id=posts[0]["id"]).count() == 1


def test_the_reasons_kept_for_skipped_posts_stop_at_their_limit(acme, fake_greenhouse):
    """The log has every reason; the org's status lists the first few and counts the rest."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts.extend({**posts[0], "id": None, "title": f"Orphan {n}"} for n in range(12))
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    assert result.counts.skipped == 12
    assert result.counts.skip_reasons == [
        f"a post with no valid id (“Orphan {n}”)" for n in range(jobs_sync.MAX_SKIP_REASONS)
    ]


@pytest.mark.parametrize(
    "breakage",
    [
        {"id": None},
        {"id": "not a number"},
        {"id": 0},  # Greenhouse's ids start at 1; a job page's address takes no minus sign
        {"id": -5012345008},
        {"title": None},
        {"title": "   "},
        {"title": "\u200b\u200f\ufeff\u2060"},  # zero-width and direction marks only
        {"absolute_url": "javascript:alert(1)"},
        {"absolute_url": "http://["},  # urlsplit() raises ValueError
        # No host: browsers read these against this site, as they would relative links in the
        # description read against them.
        {"absolute_url": "https:acmerobotics/jobs/5012346008"},
        {"absolute_url": "https:///acmerobotics/jobs/5012346008"},
        {"id": "9" * 5_000},  # int() raises ValueError past 4,300 digits
    ],
)
def test_one_malformed_post_is_skipped_and_the_rest_imported(acme, fake_greenhouse, breakage):
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[1].update(breakage)
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    assert result.ok
    assert result.counts.skipped == 1
    assert result.counts.created == len(posts) - 1


HOST_CHARACTER = "whose host name has a space or another character no host name may have"
PORT = "whose port is not a number from 1 to 65535"
UNREADABLE = "that cannot be read as a web address"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        # Addresses browsers refuse: the Apply link led nowhere.
        ("https://boards greenhouse.io/acmerobotics/jobs/5012346008", HOST_CHARACTER),
        ("https://boards.greenhouse.io:99999/acmerobotics/jobs/5012346008", PORT),
        ("https://boards.greenhouse.io:0/acmerobotics/jobs/5012346008", PORT),
        ("https://boards.greenhouse.io:443x/acmerobotics/jobs/5012346008", PORT),  # urlsplit raises
        ("https://boards|greenhouse.io/acmerobotics/jobs/5012346008", HOST_CHARACTER),
        ("https://boards%20greenhouse.io/acmerobotics/jobs/5012346008", HOST_CHARACTER),
        ("https://boards%25greenhouse.io/acmerobotics/jobs/5012346008", HOST_CHARACTER),  # "%"
        # A direction mark, and an override escaped: no host name may hold either (UTS #46).
        ("https://boards\u200e.greenhouse.io/acmerobotics/jobs/5012346008", HOST_CHARACTER),
        ("https://boards%E2%80%AE.greenhouse.io/acmerobotics/jobs/5012346008", HOST_CHARACTER),
        # The Arabic letter mark in an Arabic host, which Chromium opens only without it.
        ("https://\u0645\u062b\u0627\u0644\u061c.example/jobs/5012346008", HOST_CHARACTER),
        ("https:acmerobotics/jobs/5012346008", "without a host name"),
        ("mailto:jobs@acme.example", "that is not an http or https address"),
        # A host, and a script that runs on a click: the line break ends its comment.
        ("javascript://boards.greenhouse.io/%0Aalert(1)", "that is not an http or https address"),
        ("https://[acmerobotics/jobs/5012346008", UNREADABLE),
        # Characters browsers read as "\\", "%" and a space in a host (UTS #46's mapping):
        # fullwidth, small, and an ideographic space escaped.
        ("https://boards\uff3cgreenhouse.io/acmerobotics/jobs/5012346008", HOST_CHARACTER),
        ("https://boards\ufe6agreenhouse.io/acmerobotics/jobs/5012346008", HOST_CHARACTER),
        ("https://boards%E3%80%80greenhouse.io/acmerobotics/jobs/5012346008", HOST_CHARACTER),
        # A "/", ":", "#" and "?" escaped, the last fullwidth: browsers decode and map a host,
        # then refuse them in it, where urlsplit reads them only as written.
        ("https://boards.greenhouse.io%2Facmerobotics/jobs/5012346008", HOST_CHARACTER),
        ("https://boards.greenhouse.io%23acmerobotics/jobs/5012346008", HOST_CHARACTER),
        ("https://boards.greenhouse.io%3A443/acmerobotics/jobs/5012346008", HOST_CHARACTER),
        ("https://boards.greenhouse.io%EF%BC%9Fgh_jid=5012346008", HOST_CHARACTER),
        # In brackets, browsers take an IPv6 address alone, urlsplit a zone or an IPvFuture too.
        ("http://[2001:db8::1%3A]:8080/jobs/5012346008", HOST_CHARACTER),
        ("http://[v1.boards.greenhouse.io]/jobs/5012346008", HOST_CHARACTER),
        # Brackets around part of the host, or more than a port after them: urlsplit read the
        # host in them, "v1.acme.example" and "2001:db8::1", and dropped the rest, where newer
        # Pythons (and Debian's 3.11) raise; the reason is the same on every Python.
        ("http://boards.greenhouse.io[v1.acme.example]/jobs/5012346008", UNREADABLE),
        ("http://[2001:db8::1]x:8080/jobs/5012346008", UNREADABLE),
        ("http://[2001:db8::1]%3A8080/jobs/5012346008", UNREADABLE),
        # Browsers read a "\\" as a "/": the host is "boards greenhouse.io", where urlsplit
        # reads a user name and the host after its "@".
        ("https://boards greenhouse.io\\@acme.example/jobs/5012346008", HOST_CHARACTER),
        # Hosts whose last part is a number, which browsers read as an IPv4 address, and refuse
        # as none: a name, a part over 255, a number over 2**32, a decimal part with a 0 first.
        ("https://boards.greenhouse.123/acmerobotics/jobs/5012346008", UNREADABLE),
        ("http://192.0.2.256/jobs/5012346008", UNREADABLE),
        ("http://0x100000000/jobs/5012346008", UNREADABLE),
        ("http://192.0.2.09/jobs/5012346008", UNREADABLE),
        # With a "." last, which browsers drop before they read the last part; a fifth part
        # (a zero, which would fit in the room a fifth would have); a hex number with no digit.
        ("http://192.0.2.256./jobs/5012346008", UNREADABLE),
        ("http://192.0.2.1.0/jobs/5012346008", UNREADABLE),
        ("https://boards.greenhouse.0x/acmerobotics/jobs/5012346008", UNREADABLE),
        # A part after "xn--" that is no Punycode, or that of a name with a character no host
        # name may hold ("a⒈"), in any case: browsers decode it, and refuse the host.
        ("https://xn--a.greenhouse.io/acmerobotics/jobs/5012346008", UNREADABLE),
        ("https://XN--A-ECP.example/jobs/5012346008", UNREADABLE),
        # ONE DOT LEADER, which NFKC read as a ".", and UTS #46 allows in no host name.
        ("https://boards.greenhouse\u2024io/acmerobotics/jobs/5012346008", HOST_CHARACTER),
        # Characters UTS #46 allows only in some places, which browsers refuse elsewhere: a
        # zero-width joiner or non-joiner where no script joins (not after a virama), a
        # combining mark first, a Latin letter or a digit first in a Hebrew part (the Bidi
        # Rule; Node's URL takes the digit, Chromium neither); as written, escaped, or after
        # "xn--" ("a\u200db", which Node's URL refuses as the other "xn--" parts above).
        ("https://karriere\u200d.acme.example/jobs/5012346008", UNREADABLE),
        ("https://kar\u200criere.acme.example/jobs/5012346008", UNREADABLE),
        ("https://\u0301karriere.acme.example/jobs/5012346008", UNREADABLE),
        ("https://%CC%81karriere.acme.example/jobs/5012346008", UNREADABLE),
        ("https://a\u05d3\u05d5\u05d2\u05de\u05d4.example/jobs/5012346008", UNREADABLE),
        ("https://1\u05d3\u05d5\u05d2\u05de\u05d4.example/jobs/5012346008", UNREADABLE),
        ("https://xn--ab-m1t.acme.example/jobs/5012346008", UNREADABLE),
    ],
)
def test_an_application_link_browsers_refuse_skips_its_post_and_the_log_names_it(
    acme, fake_greenhouse, caplog, url, problem
):
    """Each reason says what is wrong with the link: "not a whole http(s) address" said
    nothing of a port out of range."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[1]["absolute_url"] = url
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    reason = f"job post {posts[1]['id']} has an application link {problem}"
    assert result.ok and result.counts.skipped == 1
    assert result.counts.skip_reasons == [reason]
    assert not Job.objects.filter(greenhouse_id=posts[1]["id"]).exists()
    [record] = [r for r in caplog.records if r.getMessage().startswith(reason)]
    assert record.levelname == "WARNING"
    assert record.getMessage() == f"{reason}: {url!r}"


@pytest.mark.parametrize(
    "url",
    [
        "https://boards.greenhouse.io:443/acmerobotics/jobs/5012346008",
        "http://[2001:db8::1]:8080/jobs/5012346008",
        # Only the host's brackets count: not a user name's "@" before them, nor a query's.
        "http://apply@[2001:db8::1]:8080/jobs/5012346008?gh_src=[board]",
        "https://karriere.bücher.example/jobs/5012346008",
        # Browsers decode a host's escapes before they read it: this is the host above.
        "https://karriere.b%C3%BCcher.example/jobs/5012346008",
        "https://careers_eu.acme.example/jobs/5012346008",
        # A fullwidth letter: browsers read it as "j".
        "https://\uff4aobs.acme.example/jobs/5012346008",
        # Browsers drop a zero-width space from a host: the link opens boards.greenhouse.io.
        "https://boards\u200b.greenhouse.io/acmerobotics/jobs/5012346008",
        # Right-to-left hosts, as Arabic and Hebrew domains are: no mark in them.
        "https://\u0645\u062b\u0627\u0644.example/jobs/5012346008",
        "https://%D7%93%D7%95%D7%92%D7%9E%D7%94.example/jobs/5012346008",
        "https://karriere.xn--bcher-kva.example/jobs/5012346008",
        # A joiner after a virama, as Hindi and Tamil words are written, as written and as
        # Punycode; a Hebrew part with digits after its letters.
        "https://\u0915\u094d\u200d\u0937.example/jobs/5012346008",
        "https://xn--ab-fsf014u.example/jobs/5012346008",
        "https://\u05d3\u05d5\u05d2\u05de\u05d4123.example/jobs/5012346008",
        # A letter newer than Python's Unicode data, which browsers take (NAG MUNDARI LETTER O).
        "https://\U0001e4d0.example/jobs/5012346008",
        # Newer than Python's Unicode data too, which knows neither their direction nor the
        # virama before a joiner: ARABIC PEPET in an Arabic part, and Kawi's virama and a joiner.
        "https://\u0645\u062b\u0627\u0644\u0897.example/jobs/5012346008",
        "https://xn--mgbh0fb780a.example/jobs/5012346008",
        "https://\U00011f04\U00011f42\u200d\U00011f05.example/jobs/5012346008",
        # An IPv4 address written short, which browsers open as 127.0.0.1: kept as written, as
        # one written whole and an IPv6 address are.
        "http://0x7f.1/jobs/5012346008",
        "http://2130706433/jobs/5012346008",
        "http://192.0.2.1./jobs/5012346008",
    ],
)
def test_an_application_link_with_a_port_an_ipv6_or_a_non_ascii_host_is_kept(
    acme, fake_greenhouse, url
):
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[1]["absolute_url"] = url
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).counts.skipped == 0
    assert Job.objects.get(greenhouse_id=posts[1]["id"]).absolute_url == url


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        # Browsers open evil.example: urlsplit read "evil.example\\" as a user name.
        (
            "https://evil.example\\@boards.greenhouse.io/acmerobotics/jobs/5012346008",
            "https://evil.example/@boards.greenhouse.io/acmerobotics/jobs/5012346008",
        ),
        # Links browsers open, which urlsplit read with a host of a "\\" or a port of one: the
        # query's and the fragment's "\\" are theirs, as browsers keep them.
        (
            "https://boards.greenhouse.io\\acmerobotics\\jobs\\5012346008?gh_src=a\\b#c\\d",
            "https://boards.greenhouse.io/acmerobotics/jobs/5012346008?gh_src=a\\b#c\\d",
        ),
        (
            "https://boards.greenhouse.io:443\\acmerobotics/jobs/5012346008#c\\d",
            "https://boards.greenhouse.io:443/acmerobotics/jobs/5012346008#c\\d",
        ),
    ],
    ids=["user name", "path", "port"],
)
def test_an_application_link_is_read_and_kept_with_its_backslashes_as_browsers_read_them(
    acme, fake_greenhouse, client, url, kept
):
    """Before its query, browsers read a "\\" in an http(s) address as a "/" (the WHATWG URL
    standard), urlsplit as a character of the part it is in: the link was checked for a host
    browsers do not open, and stored so. It is checked and kept as browsers read it."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[1]["absolute_url"] = url
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).counts.skipped == 0

    job = Job.objects.get(greenhouse_id=posts[1]["id"])
    assert job.absolute_url == kept
    page = client.get(job.get_absolute_url()).content.decode()
    assert f'class="button apply-link" href="{html.escape(kept)}"' in page
    listed = {j["id"]: j for j in client.get("/orgs/acme/jobs.json").json()["jobs"]}
    assert listed[job.greenhouse_id]["absolute_url"] == kept


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        # In the host: one_line() wrote each as a space, and the post was skipped.
        (
            "https://boards.green\thouse.io/acmerobotics/jobs/5012346008",
            "https://boards.greenhouse.io/acmerobotics/jobs/5012346008",
        ),
        # In the path, the query and at the end: one_line() kept "acme robotics", "%20" to a
        # browser, which opens "acmerobotics".
        (
            "https://boards.greenhouse.io/acme\r\nrobotics/jobs/5012346008?gh_src=a\tb\n",
            "https://boards.greenhouse.io/acmerobotics/jobs/5012346008?gh_src=ab",
        ),
    ],
    ids=["host", "path and query"],
)
def test_an_application_link_is_kept_without_its_tabs_and_line_breaks_as_browsers_read_it(
    acme, fake_greenhouse, url, kept
):
    """The WHATWG URL standard removes every tab and line break from an address before it reads
    it: the link is checked and kept as the one a browser opens."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[1]["absolute_url"] = url
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).counts.skipped == 0
    assert Job.objects.get(greenhouse_id=posts[1]["id"]).absolute_url == kept


def test_an_application_link_is_checked_without_its_tabs_and_line_breaks(
    acme, fake_greenhouse, caplog
):
    """Its host as browsers read it, a line break left out, has a port out of range: that is
    what the reason says, not a space in the host."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[1]["absolute_url"] = "https://boards.greenhouse.io\n:99999/acmerobotics/jobs/5012346008"
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    reason = f"job post {posts[1]['id']} has an application link {PORT}"
    assert result.counts.skip_reasons == [reason]
    shown = "https://boards.greenhouse.io:99999/acmerobotics/jobs/5012346008"
    assert f"{reason}: {shown!r}" in caplog.messages


def test_a_relative_link_is_read_against_the_posts_link_as_browsers_read_it(acme, fake_greenhouse):
    """On "https://acme.example/careers\\jobs\\5012346008", browsers read "benefits" as
    "https://acme.example/careers/jobs/benefits"; urljoin read the page as the folder's."""
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["absolute_url"] = "https://acme.example/careers\\jobs\\5012346008"
    post["content"] = html.escape('<p><a href="benefits">Benefits</a></p>')
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).ok

    assert hrefs_of_job(post["id"]) == ["https://acme.example/careers/jobs/benefits"]


def test_a_department_or_office_whose_name_shows_nothing_is_left_out(acme, fake_greenhouse):
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["departments"] = [{"id": 901, "name": "\u200b", "parent_id": None, "child_ids": []}]
    post["offices"] = [{"id": 902, "name": "\u3164 ", "location": None, "parent_id": None}]
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).ok

    assert not Department.objects.filter(greenhouse_id=901).exists()
    assert not Office.objects.filter(greenhouse_id=902).exists()
    job = Job.objects.get(greenhouse_id=post["id"])
    assert not job.departments.exists() and not job.offices.exists()


def test_a_location_whose_name_shows_nothing_is_no_location(acme, fake_greenhouse):
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["location"] = {"name": "\u200b\u2800"}
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).ok

    assert Job.objects.get(greenhouse_id=post["id"]).location_name == ""


def test_a_malformed_post_already_imported_keeps_its_last_good_copy(acme, fake_greenhouse):
    sync(acme)
    post = fake_greenhouse.jobs("acme-robotics")[1]
    good_title = Job.objects.get(greenhouse_id=post["id"]).title
    post["title"] = None
    fake_greenhouse.touch("acme-robotics")

    result = sync(acme)

    job = Job.objects.get(greenhouse_id=post["id"])
    assert result.counts.skipped == 1 and result.counts.closed == 0
    assert job.is_open and job.title == good_title


def test_hostile_html_is_sanitized(db, fake_greenhouse):
    hostile = make_connection("hostile", "hostile")
    result = sync(hostile)
    assert result.ok
    for job in Job.objects.filter(organization=hostile.organization):
        html = job.description_html.lower()
        for needle in ("<script", "onerror", "onload", "javascript:", "<iframe", "style=", "<svg"):
            assert needle not in html, (needle, job.description_html)
        for link_rel in [part for part in html.split("<a ")[1:]]:
            assert 'rel="noopener noreferrer nofollow"' in link_rel


@pytest.mark.parametrize(
    ("content", "safe_html"),
    [
        # An address to apply to, or to ask.
        (
            '<p>Write to <a href="mailto:jobs@acme.example" title="Jobs">us</a>.</p>',
            '<p>Write to <a href="mailto:jobs@acme.example" title="Jobs" '
            'rel="noopener noreferrer nofollow">us</a>.</p>',
        ),
        # Pay tables: a screen reader reads each cell with the headers that say what it is.
        (
            '<table><tr><th scope="col" colspan="2">Pay</th></tr>'
            '<tr><td rowspan="2">90k</td></tr></table>',
            '<table><tbody><tr><th scope="col" colspan="2">Pay</th></tr>'
            '<tr><td rowspan="2">90k</td></tr></tbody></table>',
        ),
        ('<abbr title="Pittsburgh">PGH</abbr>', '<abbr title="Pittsburgh">PGH</abbr>'),
        # Where a link opens is the visitor's to choose.
        (
            '<a href="https://acme.example/apply" target="_blank">Apply</a>',
            '<a href="https://acme.example/apply" rel="noopener noreferrer nofollow">Apply</a>',
        ),
        # A right-to-left paragraph in a left-to-right post, and the reverse: without its
        # direction, its full stop and numbers landed on the wrong side.
        (
            '<div dir="ltr"><p>Tel Aviv office.</p><p dir="rtl">משרה בתל אביב, 3 ימים.</p></div>',
            '<div dir="ltr"><p>Tel Aviv office.</p><p dir="rtl">משרה בתל אביב, 3 ימים.</p></div>',
        ),
        (
            '<p dir="RTL" lang="ar" title="About">عن الشركة</p><span dir="auto">Acme 2.0</span>',
            '<p dir="rtl" lang="ar" title="About">عن الشركة</p><span dir="auto">Acme 2.0</span>',
        ),
        # Only HTML's three directions: another value means nothing to a browser.
        ('<p dir="sideways">Text</p><p dir="">More</p>', "<p>Text</p><p>More</p>"),
        # Only a language tag, of a length software holds: another hid the post's language.
        (
            '<p lang="pt-BR">Olá</p><p lang="en US">Hi</p><p lang="français">Salut</p>'
            f'<span lang="e">a</span><span lang="{"-".join(["en", *["abcdefgh"] * 4])}">b</span>',
            '<p lang="pt-BR">Olá</p><p>Hi</p><p>Salut</p><span>a</span><span>b</span>',
        ),
        # 35 characters at most (RFC 5646, 4.4.1).
        (
            f'<span lang="en-{"-".join(["abcdefgh"] * 3)}-abcde">a</span>'
            f'<span lang="en-{"-".join(["abcdefgh"] * 3)}-abcdef">b</span>',
            f'<span lang="en-{"-".join(["abcdefgh"] * 3)}-abcde">a</span><span>b</span>',
        ),
        # A tooltip is plain text: its direction controls reordered what it says.
        (
            '<a href="https://acme.example/cv" title="cv\u202egpj.exe">CV</a>'
            '<abbr title="\u2067PGH\u2069 \u200fעיר">PGH</abbr>',
            '<a href="https://acme.example/cv" title="cvgpj.exe" '
            'rel="noopener noreferrer nofollow">CV</a><abbr title="PGH \u200fעיר">PGH</abbr>',
        ),
        # A name isolated from the words around it; an override goes, its text stays.
        (
            '<p>Ask <bdi>שרה</bdi>: 3 days.</p><bdi dir="RTL">עברית</bdi>'
            '<bdo dir="rtl" lang="en">olleh</bdo>',
            '<p>Ask <bdi>שרה</bdi>: 3 days.</p><bdi dir="rtl">עברית</bdi>olleh',
        ),
    ],
    ids=[
        "mailto link",
        "table headers",
        "abbreviation",
        "link target",
        "direction",
        "direction in capitals",
        "no direction",
        "language",
        "language tag's longest",
        "title without direction controls",
        "isolation, override dropped",
    ],
)
def test_a_description_keeps_the_markup_it_may_have_and_no_other(content, safe_html):
    assert sanitize_content(html.escape(content)) == safe_html


@pytest.mark.parametrize(
    ("content", "safe_html"),
    [
        (
            '<p><a href="https://acme.example/apply"><img src="https://acme.example/apply.png" '
            'alt="Apply now"></a></p>',
            "<p></p>",
        ),
        (
            '<p>Follow us: <a href="https://social.example/acme"><span><img src="in.png">'
            '</span></a> <a href="https://acme.example/blog">our blog</a></p>',
            '<p>Follow us: <span></span> <a href="https://acme.example/blog" '
            'rel="noopener noreferrer nofollow">our blog</a></p>',
        ),
        ('<a href="https://acme.example/"> &nbsp;<br></a>', " &nbsp;<br>"),
        # A link of a control alone (as a reference) is empty once the control is dropped.
        ('<p><a href="https://acme.example/">&#1;</a>Pay</p>', "<p>Pay</p>"),
        ('<p>Pay<a href="https://acme.example/"> </a>now</p>', "<p>Pay now</p>"),
        ('<p>Pay<a href="https://acme.example/">\n</a>now</p>', "<p>Pay\nnow</p>"),
        ('<p>Pay<a href="https://acme.example/">&nbsp;</a>now</p>', "<p>Pay&nbsp;now</p>"),
        ('<p>Pay<a href="https://acme.example/">&emsp;</a>now</p>', "<p>Pay\u2003now</p>"),
        # Zero-width characters and marks, a Braille blank: none shows (shows_anything).
        (
            '<p>Pay<a href="https://acme.example/"><b>&#8203;&#x200F;</b>\u2800</a>now</p>',
            "<p>Pay<b>\u200b\u200f</b>\u2800now</p>",
        ),
        # A line break between them: a control to shows_anything(), read as the blank it is.
        (
            '<p>Pay<a href="https://acme.example/">&#8203;\n&#8203;</a>now</p>',
            "<p>Pay\u200b\n\u200bnow</p>",
        ),
        # Letters a font draws blank (a Hangul filler): words to a regex, and nothing shown.
        (
            '<p>Pay<a href="https://acme.example/">\u3164<b></b>\uffa0</a>now</p>',
            "<p>Pay\u3164<b></b>\uffa0now</p>",
        ),
    ],
    ids=[
        "image",
        "image in a span, beside a link",
        "blanks",
        "control",
        "a space",
        "a line break",
        "&nbsp;",
        "an em space",
        "zero-width",
        "zero-width about a line break",
        "Hangul fillers",
    ],
)
def test_a_link_that_shows_nothing_loses_its_tags(content, safe_html):
    """An image is dropped, the link around it was kept: a stop for Tab of no size, where a
    keyboard user's focus vanished (Enter then opened an address never shown), read out by a
    screen reader as a link without a name."""
    assert sanitize_content(html.escape(content)) == safe_html


def test_a_link_that_shows_nothing_inside_a_link_loses_its_own_tags_alone():
    """HTML's parser nests a link in another in a table's cell: the outer link's start tag and
    the inner one's end were taken out, "Apply" was no link and the icon's link kept its own."""
    content = (
        '<a href="https://acme.example/apply"><table><tr><td>'
        '<a href="https://social.example/acme"><img src="in.png"></a></td></tr></table>Apply</a>'
    )

    assert sanitize_content(html.escape(content)) == (
        '<a href="https://acme.example/apply" rel="noopener noreferrer nofollow"><table><tbody>'
        "<tr><td></td></tr></tbody></table>Apply</a>"
    )


def test_a_link_that_shows_nothing_in_a_heading_keeps_its_tags_where_it_holds_a_heading():
    """HTML's parser closes an open heading at a new one, but not across a link: without the
    link's tags, a browser read "Benefits" after the h2, no longer a heading."""
    content = (
        '<h2><a href="https://acme.example/"><h3><img src="b.png"></h3></a>Benefits</h2>'
        '<a href="https://acme.example/"><h3><img src="b.png"></h3></a>'
        '<h2><b><a href="https://acme.example/"><img src="b.png"></a></b></h2><h3>Pay</h3>'
        '<h2>Perks</h2><a href="https://acme.example/"><h4></h4></a>'
    )
    link = '<a href="https://acme.example/" rel="noopener noreferrer nofollow">'

    safe_html = sanitize_content(html.escape(content))

    assert safe_html == (
        f"<h2>{link}<h3></h3></a>Benefits</h2><h3></h3>"
        "<h2><b></b></h2><h3>Pay</h3><h2>Perks</h2><h4></h4>"
    )
    assert sanitize.CLEANER.clean(safe_html) == safe_html  # as a browser reads it again


def test_where_the_headings_are_open_is_read_in_each_post_alone():
    """The headings open where a link asked are counted in its post alone: the sync sanitizes
    posts one after another, on several threads, and a count left from the post before kept a
    link that held a heading in no heading, as if in one."""
    link = '<a href="https://acme.example/"><h3><img src="b.png"></h3></a>'
    in_a_heading = sanitize_content(html.escape(f"<h2>{link}Benefits</h2>"))

    assert in_a_heading.startswith("<h2><a ")
    assert sanitize_content(html.escape(f"{link}<p>Pay</p>")) == "<h3></h3><p>Pay</p>"
    assert sanitize_content(html.escape(f"<h2>{link}Benefits</h2>")) == in_a_heading


BLANKS = "\u2800\u3164"
EMPTY_LINK = '<a href="#"></a>'


@pytest.mark.parametrize(
    ("content_of", "size"),
    [
        # Links in links, as a table's cells hold them: each was read on to the innermost's word.
        (lambda n: '<a href="https://acme.example/"><table><tr><td>' * n + "Apply", 40),
        # Blanks before a word, beside an empty link: the Braille blank and a Hangul filler,
        # each read one way (one read two ways is read 2^n ways in a run of n: 22, 0.5 s).
        (lambda n: f'<a href="https://acme.example/">{BLANKS * n}Apply</a>{EMPTY_LINK}', 32),
    ],
    ids=["links in links", "blanks before a word"],
)
def test_links_that_show_something_are_read_in_work_in_proportion(content_of, size):
    """Steps counted (regex_steps_counted), not timed: 4,000 links in links took 9.3 s."""

    def steps_for(n: int) -> int:
        safe_html = sanitize.CLEANER.clean(content_of(n))  # as nh3 writes it
        with regex_steps_counted(sanitize) as steps:
            sanitize.without_empty_links(safe_html)
        return steps.count

    assert_steps_in_proportion(steps_for, size)


def test_links_that_show_nothing_in_headings_are_read_in_work_in_proportion():
    """Where the headings are open is read on from the last link that asked: read from the
    start for each, 4,000 such links were read 4,000 times."""
    link = '<a href="https://acme.example/"><h4><img src="b.png"></h4></a>'

    def steps_for(n: int) -> int:
        safe_html = sanitize.CLEANER.clean(f"<h2>{link * n}</h2>{link * n}")
        with regex_steps_counted(sanitize) as steps:
            sanitize.without_empty_links(safe_html)
        return steps.count

    assert_steps_in_proportion(steps_for, 200)


@pytest.mark.parametrize("text", ["→", "&amp;", "|", "☎\u200b", "Ω"])
def test_a_link_of_a_sign_that_shows_stays(text):
    content = f'<p><a href="https://acme.example/">{text}</a></p>'

    assert sanitize_content(html.escape(content)) == (
        f'<p><a href="https://acme.example/" rel="noopener noreferrer nofollow">{text}</a></p>'
    )


def test_a_link_written_inside_a_title_is_no_link_to_take_out():
    """nh3 before 0.3.7 wrote a title's "<a x" as is: read as a link's start tag, its tags
    taken out took the title's closing quote, and the words after it were attributes."""
    content = '<p><a href="https://acme.example/">Apply <abbr title="<a x"></abbr></a> " x="</p>'

    assert sanitize_content(html.escape(content)) == (
        '<p><a href="https://acme.example/" rel="noopener noreferrer nofollow">Apply '
        '<abbr title="&lt;a x"></abbr></a> " x="</p>'
    )


def test_a_description_cut_just_after_a_links_start_tag_ends_without_it():
    safe_html = '<p>Read <a href="https://acme.example/" rel="noopener noreferrer nofollow">this'

    assert safe_html_head(safe_html, len(safe_html) - len("this")) == "<p>Read </p>"


def test_relative_links_lead_where_they_do_on_the_posts_own_page(db, fake_greenhouse):
    """A post's `href="/benefits"` is relative to its page on Greenhouse (or the company's
    careers site), not to this site, where it led to a 404."""
    fake_greenhouse.load_fixture("kestrel-maps", "kestrel-maps")
    post = fake_greenhouse.jobs("kestrel-maps")[0]
    unaddressed = copy.deepcopy(post) | {"id": 8100200399, "absolute_url": None}
    fake_greenhouse.jobs("kestrel-maps").append(unaddressed)
    kestrel = make_connection("kestrel", "kestrel-maps")

    assert sync(kestrel).ok

    assert hrefs_of_job(post["id"]) == [
        "https://job-boards.greenhouse.io/kestrelmaps/jobs/8100200301#apply",
        "https://job-boards.greenhouse.io/kestrelmaps/jobs/team/cartography",
        "https://kestrel-maps.example/how-we-work",
        "https://job-boards.greenhouse.io/benefits",
        "https://kestrel-maps.example/handbook",
    ]
    # Without an address to read them against, the links go; their words stay.
    unaddressed_html = Job.objects.get(greenhouse_id=unaddressed["id"]).description_html
    assert hrefs_of_job(unaddressed["id"]) == ["https://kestrel-maps.example/handbook"]
    assert "meet the team</a>" in unaddressed_html and "benefits</a>" in unaddressed_html


def test_a_relative_link_with_backslashes_leads_where_it_does_on_the_posts_own_page(
    acme, fake_greenhouse
):
    """Browsers read a relative link's "\\" before its query as a "/" on an http(s) page:
    "\\\\kestrel.example/x" and "/\\…" are links to that host, "\\benefits" the host's own
    page. urljoin read each as a path under the post's, leading to a page no one wrote."""
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["absolute_url"] = "https://acme.example/careers/jobs/5012346008"
    links = [
        '<a href="\\\\kestrel.example/how-we-work">How we work</a>',
        '<a href="/\\kestrel.example/handbook">Handbook</a>',
        '<a href="\\benefits?plan=a\\b#dental\\vision">Benefits</a>',
        '<a href="..\\team">Team</a>',
        # Two slashes or more open a host, whichever they are: urljoin read those after two
        # as the path's ("https://acme.example/kestrel.example/careers").
        '<a href="///kestrel.example/careers">Careers</a>',
        '<a href="\\/\\kestrel.example/blog">Blog</a>',
        # Browsers drop a tab anywhere, and a blank before a link.
        '<a href=" /&#9;/\\kestrel.example/team?from=a///b">Team</a>',
        # And after two slashes, before the next: urljoin, dropping it, read them as three.
        '<a href="//&#10;/kestrel.example/press">Press</a>',
        '<a href="openings?from=a///b">Openings</a>',  # not at the start: a query's
    ]
    post["content"] = html.escape(f"<p>{' '.join(links)}</p>")
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).ok

    assert hrefs_of_job(post["id"]) == [
        "https://kestrel.example/how-we-work",
        "https://kestrel.example/handbook",
        "https://acme.example/benefits?plan=a\\b#dental\\vision",
        "https://acme.example/careers/team",
        "https://kestrel.example/careers",
        "https://kestrel.example/blog",
        "https://kestrel.example/team?from=a///b",
        "https://kestrel.example/press",
        "https://acme.example/careers/jobs/openings?from=a///b",
    ]


def test_a_link_to_a_web_address_without_a_host_keeps_its_words_and_loses_its_address(
    acme, fake_greenhouse
):
    """nh3 kept `href="https:benefits"`, its scheme allowed: browsers read it against the job's
    page, as a link into this site (https://<this site>/orgs/acme/jobs/benefits)."""
    post = fake_greenhouse.jobs("acme-robotics")[0]
    links = [
        '<a href="https:benefits">Benefits</a>',
        '<a href="HTTP:/benefits">Perks</a>',
        '<a href=" https:benefits">Pay</a>',  # browsers drop the spaces around an address
        '<a href="ht&#9;tps:benefits">Leave</a>',  # and a tab anywhere
        '<a href="https://acme.example/benefits">Handbook</a>',
    ]
    post["content"] = html.escape(f"<p>{' '.join(links)}</p>")
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).ok

    description_html = Job.objects.get(greenhouse_id=post["id"]).description_html
    assert re.findall(r'<a href="([^"]*)"', description_html) == ["https://acme.example/benefits"]
    rel = 'rel="noopener noreferrer nofollow"'
    assert f"<a {rel}>Benefits</a> <a {rel}>Perks</a> <a {rel}>Pay</a>" in description_html


def test_a_relative_link_urllib_cannot_read_is_dropped_quietly(monkeypatch):
    """urljoin() raised on '//[docs' (a host like a broken IPv6 address) inside nh3's callback,
    which wrote a traceback to the worker's log for each such link."""
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    safe_html = sanitize_content(
        html.escape('<a href="//[docs">the docs</a>'),
        post_url="https://job-boards.greenhouse.io/kestrelmaps/jobs/8100200301",
    )

    assert safe_html == '<a rel="noopener noreferrer nofollow">the docs</a>'
    assert unraisable == []


def test_escaped_markup_stays_text_in_a_post_that_also_has_other_entities():
    """Greenhouse escapes content once: `&amp;lt;b&amp;gt;` is the text "<b>". A post with other
    references too (`&#8217;`) is read by the general unescaper, which must read it once too."""
    safe_html = sanitize_content("&lt;p&gt;Wrap it in &amp;lt;b&amp;gt; tags&#8217;&lt;/p&gt;")

    assert safe_html == "<p>Wrap it in &lt;b&gt; tags’</p>"


def test_a_post_with_h1_sections_keeps_them_as_headings_below_the_title(acme, fake_greenhouse):
    """The job title is the page's h1, so h1 is not allowed in descriptions; real posts use it
    for their sections, which were left as loose text beneath their own subheadings."""
    fake_greenhouse.load_fixture("kestrel-maps", "kestrel-maps")
    post = fake_greenhouse.jobs("kestrel-maps")[0]
    unchanged = fake_greenhouse.jobs("acme-robotics")[0]
    kestrel = make_connection("kestrel", "kestrel-maps")

    assert sync(kestrel).ok and sync(acme).ok

    headings = re.findall(
        r"<(h\d)>(.*?)</\1>", Job.objects.get(greenhouse_id=post["id"]).description_html
    )
    assert headings == [
        ("h2", "<strong>The role</strong>"),
        ("h3", "<strong>What you will do</strong>"),
        ("h2", "How we work"),
        ("h3", "<strong>Working at Kestrel</strong>"),
    ]
    # A post without h1 keeps its levels.
    assert "<h2>" in Job.objects.get(greenhouse_id=unchanged["id"]).description_html


def test_an_h6_in_a_post_with_h1_sections_stays_an_h6():
    """There is no h7: moved a level down, an h6 would lose its heading to the sanitizer."""
    safe_html = sanitize_content(html.escape("<h1>The role</h1><h6>Small print</h6>"))

    assert safe_html == "<h2>The role</h2><h6>Small print</h6>"


def test_two_syncs_of_one_org_never_overlap(acme, fake_greenhouse):
    lease = acquire_sync_lock(acme)
    assert lease is not None

    result = sync(acme)

    assert result.outcome == result.Outcome.LOCKED
    assert not Job.objects.exists() and not SyncRun.objects.exists()


def test_an_expired_lock_is_taken_over(acme, fake_greenhouse):
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        lock_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert sync(acme).ok


def test_a_run_left_running_by_a_dead_worker_is_marked_interrupted_and_logged(
    acme, fake_greenhouse, caplog
):
    stale = SyncRun.objects.create(organization=acme.organization, trigger="schedule")

    sync(acme)

    stale.refresh_from_db()
    assert stale.outcome == SyncRun.Outcome.INTERRUPTED and stale.error_message
    assert "sync interrupted org=acme runs=1" in caplog.text


def test_the_run_of_a_sync_that_recorded_none_is_not_that_of_a_sync_started_after_it(
    acme, fake_greenhouse
):
    # sync_jobs, stopped, tells by its sync's run whether the sync had finished.
    stopped_at = timezone.now()
    acquire_sync_lock(acme, started_at=stopped_at)  # stopped before it recorded its run
    GreenhouseConnection.objects.filter(pk=acme.pk).update(lock_expires_at=None)
    sync(acme)

    assert sync_run_of(acme, started_at=stopped_at) is None
    assert sync_run_of(acme, started_at=acme.last_attempt_at) == SyncRun.objects.get()


def test_a_stopped_syncs_run_is_not_marked_interrupted_once_another_sync_has_started(
    acme, fake_greenhouse
):
    # The run left "running" since then is the other sync's, which has not stopped.
    stopped_at = timezone.now()
    acquire_sync_lock(acme, started_at=stopped_at)  # stopped before it recorded its run
    GreenhouseConnection.objects.filter(pk=acme.pk).update(lock_expires_at=None)
    acquire_sync_lock(acme)
    running = start_sync_run(acme, trigger=SyncRun.Trigger.SCHEDULE)

    assert stopped_sync_run_interrupt(acme, started_at=stopped_at) == 0
    running.refresh_from_db()
    assert running.outcome == SyncRun.Outcome.RUNNING


def test_the_run_of_a_sync_that_recorded_none_is_not_that_of_a_sync_before_it(
    acme, fake_greenhouse
):
    sync(acme)
    stopped_at = timezone.now()
    acquire_sync_lock(acme, started_at=stopped_at)  # stopped before it recorded its run

    assert sync_run_of(acme, started_at=stopped_at) is None


def test_a_stopped_sync_leaves_running_the_run_of_a_sync_that_started_before_it(
    acme, fake_greenhouse
):
    # One that outlived its lease, taken over by the stopped sync: not the stopped sync's run.
    acquire_sync_lock(acme)
    outlived = start_sync_run(acme, trigger=SyncRun.Trigger.SCHEDULE)
    stopped_at = timezone.now()
    GreenhouseConnection.objects.filter(pk=acme.pk).update(lock_expires_at=None)
    acquire_sync_lock(acme, started_at=stopped_at)  # stopped before it recorded its run

    assert stopped_sync_run_interrupt(acme, started_at=stopped_at) == 0
    outlived.refresh_from_db()
    assert outlived.outcome == SyncRun.Outcome.RUNNING


def test_a_sync_leaves_another_orgs_running_sync_alone(acme, fake_greenhouse):
    other = make_connection("tiny", "tiny-co")
    running = SyncRun.objects.create(organization=other.organization, trigger="schedule")

    sync(acme)

    running.refresh_from_db()
    assert running.outcome == SyncRun.Outcome.RUNNING and not running.error_message


def test_a_board_that_disappears_marks_the_token_invalid_and_keeps_jobs(acme, fake_greenhouse):
    sync(acme)
    open_before = Job.objects.filter(is_open=True).count()
    fake_greenhouse.remove_board("acme-robotics")

    result = sync(acme)

    assert not result.ok and not result.transient
    acme.refresh_from_db()
    assert acme.state == GreenhouseConnection.State.INVALID_TOKEN
    assert "acme-robotics" in acme.last_error
    assert Job.objects.filter(is_open=True).count() == open_before
    run = SyncRun.objects.filter(organization=acme.organization).first()
    assert run.outcome == SyncRun.Outcome.FAILED and run.http_status == 404


@pytest.mark.parametrize(
    ("fault", "options"),
    [
        ("status", {"status": 500}),
        ("status", {"status": 503}),
        ("rate_limit", {}),
        ("malformed", {}),
        ("truncated", {}),
        ("html", {}),
        ("empty", {}),
        ("not_utf8", {}),
        ("body", {"body": {"jobs": "not a list"}}),
        ("body", {"body": {"meta": {"total": 0}}}),
        ("close", {}),
    ],
)
def test_a_failed_fetch_changes_no_job(acme, fake_greenhouse, fault, options):
    sync(acme)
    before = list(Job.objects.order_by("pk").values())
    fake_greenhouse.jobs("acme-robotics").pop()
    fake_greenhouse.touch("acme-robotics")
    fake_greenhouse.fail_next("acme-robotics", fault, times=10, **options)

    result = sync(acme)

    assert not result.ok
    assert list(Job.objects.order_by("pk").values()) == before
    acme.refresh_from_db()
    assert acme.state == GreenhouseConnection.State.FAILING
    assert acme.last_error and acme.consecutive_failures == 1 and acme.failing_since
    run = SyncRun.objects.filter(organization=acme.organization).first()
    assert run.outcome == SyncRun.Outcome.FAILED and run.error_message == acme.last_error


def test_the_next_good_sync_after_failures_converges_and_clears_the_failure(acme, fake_greenhouse):
    fake_greenhouse.fail_next("acme-robotics", "status", times=10, status=502)
    sync(acme)
    sync(acme)
    acme.refresh_from_db()
    assert acme.consecutive_failures == 2

    fake_greenhouse.reset_faults()
    result = sync(acme)

    assert result.ok
    acme.refresh_from_db()
    assert acme.state == GreenhouseConnection.State.OK and acme.consecutive_failures == 0
    assert acme.failing_since is None and acme.last_error == ""
    assert Job.objects.filter(is_open=True).count() == len(fake_greenhouse.jobs("acme-robotics"))
