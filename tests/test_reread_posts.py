"""The reread_posts command: the next sync reads again the posts that the migrations jobs 0046,
0048, 0049, 0053, 0056, 0058, 0061, 0064, 0066, 0068 and 0069 pick, picked as they pick them, and
the search fields are stored as 0057, 0058, 0059, 0060, 0067, 0069 and 0071 store them, with the
schema left alone; and the README has operators run it, not migrate back (which drops the columns
added since)."""

from __future__ import annotations

import copy
import html
import importlib
import io
import itertools
import re
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import connection as db_connection
from django.db import transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import AddField, CreateModel
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs.management.commands import reread_posts as reread_posts_command
from jobs.models import Department, GreenhouseConnection, Job, Organization, SyncRun
from jobs.selectors import job_search
from jobs.sync import _lease_held, acquire_sync_lock, release_sync_lock, sync_organization
from tests.support.helpers import make_connection, thread_with_outcome

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
# Each migration's RunPython, in the order `migrate` runs them.
MIGRATIONS_FORWARD = [
    importlib.import_module(f"jobs.migrations.{name}").__dict__[function]
    for name, function in (
        (
            "0046_reparse_posts_that_answer_remote_yes",
            "forget_hashes_of_posts_that_answer_remote_yes",
        ),
        (
            "0048_reparse_posts_in_right_to_left_scripts",
            "forget_hashes_of_posts_in_right_to_left_scripts",
        ),
        (
            "0049_reparse_posts_with_markup_the_sanitizer_reads_anew",
            "forget_hashes_of_posts_with_markup_the_sanitizer_reads_anew",
        ),
        ("0053_read_again_posts_without_a_date", "read_again_posts_without_a_date"),
        (
            "0056_reparse_posts_whose_words_after_a_div_are_in_divs",
            "forget_hashes_of_posts_whose_words_after_a_div_are_in_divs",
        ),
        (
            "0058_search_half_width_kana_with_their_marks",
            "store_half_width_kana_with_their_marks",
        ),
        (
            "0061_reparse_posts_with_a_blank_excerpt",
            "forget_hashes_of_posts_with_a_blank_excerpt",
        ),
        (
            "0064_reread_posts_with_a_name_cut_inside_a_character",
            "forget_hashes_of_posts_with_a_name_cut_inside_a_character",
        ),
        (
            "0066_reread_posts_with_a_language_or_address_cut",
            "forget_hashes_of_posts_with_a_language_or_address_cut",
        ),
        (
            "0068_reread_posts_with_an_empty_link_or_an_address_cut",
            "forget_hashes_of_posts_with_an_empty_link_or_an_address_cut",
        ),
        (
            "0069_search_word_parts_quranic_marks_and_digits",
            "forget_hashes_of_posts_with_word_parts_apart",
        ),
    )
]


def jobs_each_migration_picks(fake_greenhouse) -> list[Job]:
    """acme's six jobs, synced: the first five each of the shape one of the migrations picks
    (0046 and 0064, 0048, 0049, 0066 and 0069, 0049, 0058, 0061 and 0068, 0056 and 0053, 0053), the
    last of none. tiny is synced too, an org none of whose jobs is picked."""
    posts = fake_greenhouse.jobs("acme-robotics")
    content = html.unescape(posts[1]["content"])
    intro_end = content.index("</div>") + len("</div>")
    pay_range = content.index('<div class="content-pay-transparency">')
    posts[0]["metadata"] = [{"id": 1, "name": "Remote", "value": True, "value_type": "yes_no"}]
    posts[0]["location"]["name"] = "L" * 299 + "👩‍💻 Berlin"
    posts[1]["content"] = html.escape('<p dir="rtl">משרה בתל אביב, 3 ימים. برنامه\u200cنویس</p>')
    posts[1]["language"] = "en-GB-oxendict-x-london"
    posts[2]["content"] = html.escape("<p>Ask <bdi>\u202eRH</bdi> today.</p>")
    posts[3]["content"] = html.escape(content[:intro_end] + "<p>&nbsp;</p>" + content[pay_range:])
    ahead = (timezone.now() + timedelta(days=3)).isoformat()
    for post in posts[3:5]:  # the first picked by 0056 as well
        post.update(first_published=ahead, updated_at=ahead)
    fake_greenhouse.touch("acme-robotics")
    for slug, token in (("acme", "acme-robotics"), ("tiny", "tiny-co")):
        assert sync_organization(make_connection(slug, token), trigger=SyncRun.Trigger.COMMAND).ok
    jobs = [Job.objects.get(greenhouse_id=post["id"]) for post in posts]
    # As code before 0046 stored it: the yes read as no answer.
    Job.objects.filter(pk=jobs[0].pk).update(greenhouse_remote_policy="")
    # As code before 0064 stored it: cut by slicing, inside the emoji.
    Job.objects.filter(pk=jobs[0].pk).update(location_name="L" * 299 + "👩")
    # As code before 0066 stored it: cut by slicing, another tag.
    Job.objects.filter(pk=jobs[1].pk).update(language="en-GB-oxendict-x-lon")
    # As code before 0058 stored "ﾃﾞｰﾀ": the voiced mark apart from its kana.
    Job.objects.filter(pk=jobs[2].pk).update(search_text="テ \u3099 ー タ")
    # As code before 0061 stored a post that opens with a paragraph of a zero-width space.
    Job.objects.filter(pk=jobs[2].pk).update(excerpt=f"\u200b {jobs[2].excerpt}")
    # As code before 0068 stored a link around an image alone: empty.
    Job.objects.filter(pk=jobs[2].pk).update(
        description_html=f'{jobs[2].description_html}<p><a href="https://acme.example/"></a></p>'
    )
    return jobs


def stored_state() -> tuple[dict[int, str], dict[str, str]]:
    """Each job's post hash, and each org's board fingerprint."""
    return (
        dict(Job.objects.values_list("pk", "payload_hash")),
        dict(
            GreenhouseConnection.objects.values_list(
                "organization__slug", "applied_board_fingerprint"
            )
        ),
    )


def stored_state_restore(state: tuple[dict[int, str], dict[str, str]]) -> None:
    hashes, fingerprints = state
    for pk, payload_hash in hashes.items():
        Job.objects.filter(pk=pk).update(payload_hash=payload_hash)
    for slug, fingerprint in fingerprints.items():
        GreenhouseConnection.objects.filter(organization__slug=slug).update(
            applied_board_fingerprint=fingerprint
        )


def reread_posts() -> str:
    out = io.StringIO()
    call_command("reread_posts", stdout=out)
    return out.getvalue()


def as_the_last_picker_reads(monkeypatch, action) -> None:
    """Has `action` run as the command's last picker reads, after the others."""
    migration, has, jobs_of = reread_posts_command.READ_ANEW[-1]

    def jobs_read_after_action(apps):
        action()
        return jobs_of(apps)

    monkeypatch.setattr(
        reread_posts_command,
        "READ_ANEW",
        (*reread_posts_command.READ_ANEW[:-1], (migration, has, jobs_read_after_action)),
    )


def test_it_has_the_next_sync_read_again_the_jobs_the_migrations_pick_and_no_other(
    fake_greenhouse,
):
    jobs = jobs_each_migration_picks(fake_greenhouse)
    before = stored_state()
    for forward in MIGRATIONS_FORWARD:
        forward(apps, None)
    after_migrations = stored_state()
    stored_state_restore(before)

    printed = reread_posts()

    assert stored_state() == after_migrations
    hashes, fingerprints = stored_state()
    assert {pk for pk, payload_hash in hashes.items() if payload_hash != before[0][pk]} == {
        job.pk for job in jobs[:5]
    }
    assert fingerprints == {"acme": "", "tiny": before[1]["tiny"]}
    assert re.findall(r"^jobs (\d{4}): (\d+) jobs?\b", printed, re.MULTILINE) == [
        ("0046", "1"),
        ("0048", "1"),
        ("0049", "2"),
        ("0056", "1"),
        ("0058", "1"),
        ("0061", "1"),
        ("0064", "1"),
        ("0066", "1"),
        ("0068", "1"),
        ("0069", "1"),
        ("0053", "1"),
    ]
    assert re.findall(r"^jobs (0047|0052): (\d+)", printed, re.MULTILINE) == [
        ("0047", "0"),
        ("0052", "0"),
    ]
    assert (
        "jobs 0057, 0058, 0059, 0060, 0067, 0069 and 0071: 0 organizations and 0 jobs whose "
        "search words" in printed
    )


def test_run_twice_it_picks_the_same_jobs_and_the_next_sync_reads_them_as_new_code_does(
    fake_greenhouse,
):
    jobs = jobs_each_migration_picks(fake_greenhouse)
    hashes_before, _ = stored_state()

    printed = reread_posts()

    assert reread_posts() == printed
    hashes, _ = stored_state()
    assert [hashes[job.pk] for job in jobs[:4]] == [""] * 4
    assert {pk: hashes[pk] for pk in hashes if pk not in {job.pk for job in jobs[:5]}} == {
        pk: hashes_before[pk] for pk in hashes if pk not in {job.pk for job in jobs[:5]}
    }
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.updated == 5
    assert Job.objects.get(pk=jobs[0].pk).greenhouse_remote_policy == Job.RemotePolicy.REMOTE
    assert Job.objects.get(pk=jobs[1].pk).language == ""
    acme = GreenhouseConnection.objects.get(pk=acme.pk)
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.unchanged == len(jobs)


def test_it_picks_every_job_before_it_writes_any(fake_greenhouse, monkeypatch):
    """A write holds the rows it changes (on SQLite, the database) until the transaction
    commits: 0046's, written before 0048, 0049 and 0056 read every description of the table,
    had the syncs and Refresh now of its jobs' orgs wait for those reads."""
    jobs = jobs_each_migration_picks(fake_greenhouse)
    hashes_seen = []
    as_the_last_picker_reads(
        monkeypatch, lambda: hashes_seen.append(Job.objects.get(pk=jobs[0].pk).payload_hash)
    )

    reread_posts()

    assert hashes_seen == [jobs[0].payload_hash] and jobs[0].payload_hash
    assert Job.objects.get(pk=jobs[0].pk).payload_hash == ""


def test_it_writes_units_then_jobs_then_connections_then_orgs_as_a_sync_does(fake_greenhouse):
    """A sync writes its org's units, then its jobs, then its connection, then its org (its
    listing changed): once 0046's org had forgotten its board, the jobs of 0048 waited for a
    sync of that org that waited for its connection, and PostgreSQL killed one of the two (the
    command rolled back). So it did with an org's name written first, its jobs then waited for
    a sync of that org that waited for the org's row."""
    jobs_each_migration_picks(fake_greenhouse)
    department = Department.objects.first()
    Department.objects.filter(pk=department.pk).update(name=f" {department.name} ")
    Organization.objects.filter(slug="acme").update(name="開発", search_name="開発")

    with CaptureQueriesContext(db_connection) as queries:
        reread_posts()

    tables = re.findall(r'^UPDATE "(\w+)"', "\n".join(q["sql"] for q in queries), re.MULTILINE)
    assert [table for table, _ in itertools.groupby(tables)] == [
        "jobs_department",
        "jobs_job",
        "jobs_greenhouseconnection",
        "jobs_organization",
    ]


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="row locks")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["disconnect", "delete"])
def test_an_org_disconnected_or_deleted_as_it_writes_waits_for_it(
    change, fake_greenhouse, monkeypatch
):
    """A disconnect or a delete locks the org's row, then its connection (the sync's lease) and
    jobs: begun once this had written the jobs, it waited for them, and this then for the
    connection, and PostgreSQL killed one of the two (the command rolled back)."""
    from jobs.connections import connection_disconnect
    from jobs.organizations import organization_delete
    from tests.test_concurrency import all_at_once, sessions_waiting_on_my_locks

    jobs_each_migration_picks(fake_greenhouse)
    acme = GreenhouseConnection.objects.select_related("organization").get(
        organization__slug="acme"
    )
    jobs_written = threading.Event()
    boards_forget = reread_posts_command.boards_0047.boards_with_posts_to_fix_forget

    def held_until_the_other_waits(*args: Any) -> Any:
        jobs_written.set()
        deadline = time.monotonic() + 30
        while not sessions_waiting_on_my_locks():
            assert time.monotonic() < deadline, f"the {change} never waited on the command"
            time.sleep(0.05)
        return boards_forget(*args)

    monkeypatch.setattr(
        reread_posts_command.boards_0047,
        "boards_with_posts_to_fix_forget",
        held_until_the_other_waits,
    )

    def disconnect_or_delete() -> Any:
        assert jobs_written.wait(30)
        if change == "disconnect":
            return connection_disconnect(connection=acme)
        return organization_delete(organization=acme.organization)

    works = iter([reread_posts, disconnect_or_delete])
    results = all_at_once(2, lambda: next(works)())

    assert not any(isinstance(result, Exception) for result in results), results
    assert not GreenhouseConnection.objects.filter(pk=acme.pk).exists()


@pytest.mark.skipif(db_connection.vendor != "sqlite", reason="SQLite's write lock")
@pytest.mark.django_db(transaction=True)
def test_on_sqlite_a_sync_writes_while_it_picks_the_jobs(fake_greenhouse, monkeypatch):
    """A transaction on SQLite takes the database's write lock as it begins (IMMEDIATE): the
    one the picks were read in held every sync's and Refresh now's write while 0048, 0049 and
    0056 read every description of the table, and failed them after the 20 s timeout. So would
    reading every org's and job's search fields, as search reads them."""
    jobs_each_migration_picks(fake_greenhouse)
    writes = []

    def a_sync_writes():
        writer = sqlite3.connect(db_connection.settings_dict["NAME"], timeout=0.1)
        try:
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("ROLLBACK")
            writes.append("written")
        except sqlite3.OperationalError as error:
            writes.append(str(error))
        finally:
            writer.close()

    as_the_last_picker_reads(monkeypatch, a_sync_writes)
    search_fields_to_store = reread_posts_command.search_0058.search_fields_to_store

    def search_fields_read_as_a_sync_writes(apps, model_name):
        a_sync_writes()
        return search_fields_to_store(apps, model_name)

    monkeypatch.setattr(
        reread_posts_command.search_0058,
        "search_fields_to_store",
        search_fields_read_as_a_sync_writes,
    )

    assert "jobs 0056: 1 job" in reread_posts()
    assert writes == ["written"] * 3


def test_a_sync_running_as_it_writes_leaves_the_posts_it_forgot_to_be_read_by_the_next(
    fake_greenhouse, monkeypatch
):
    """A sync holding its lease as the command writes may have read its jobs' hashes before
    they were forgotten: it then stored its board's fingerprint over the one forgotten, and the
    next sync, finding that board applied, read none of those posts until the board changed."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[1]["content"] = html.escape('<p dir="rtl">משרה בתל אביב, 3 ימים. برنامه\u200cنویس</p>')
    fake_greenhouse.touch("acme-robotics")
    acme = make_connection("acme", "acme-robotics")
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    applied = GreenhouseConnection.objects.get(pk=acme.pk).applied_board_fingerprint
    lease = acquire_sync_lock(acme)
    ended = []

    def sync_ends() -> None:
        """What the sync records, having read the hashes before they were forgotten."""
        GreenhouseConnection.objects.filter(pk=acme.pk).update(applied_board_fingerprint=applied)
        release_sync_lock(acme, lease)
        ended.append(True)

    waits = []
    monkeypatch.setattr(
        reread_posts_command,
        "sleep",
        lambda seconds: waits.append(seconds) or (None if ended else sync_ends()),
    )

    printed = reread_posts()
    if not ended:
        sync_ends()

    acme = GreenhouseConnection.objects.get(pk=acme.pk)
    assert applied and acme.applied_board_fingerprint == ""
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.updated == 1
    assert 'dir="rtl"' in Job.objects.get(greenhouse_id=posts[1]["id"]).description_html
    assert waits == [reread_posts_command.SYNC_END_POLL_SECONDS]
    assert printed.endswith(
        "waiting for the syncs that ran meanwhile to end (1 org): the next sync of each then "
        "reads its board whole\n"
    )


def test_a_sync_whose_clock_is_behind_records_no_board_once_its_lease_ran_out_by_the_commands(
    fake_greenhouse, monkeypatch
):
    """A sync asks whether it holds its lease by its own clock: one behind the command's, whose
    lease had run out by the command's clock, stored its board's fingerprint over the one the
    command had forgotten once more, and the next sync read none of those posts."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[1]["content"] = html.escape('<p dir="rtl">משרה בתל אביב, 3 ימים. برنامه\u200cنویس</p>')
    fake_greenhouse.touch("acme-robotics")
    acme = make_connection("acme", "acme-robotics")
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    applied = GreenhouseConnection.objects.get(pk=acme.pk).applied_board_fingerprint
    lease = acquire_sync_lock(acme)
    monkeypatch.setattr(
        reread_posts_command,
        "sleep",
        lambda seconds: monkeypatch.setattr(timezone, "now", lambda: lease + timedelta(seconds=1)),
    )

    reread_posts()
    # The sync, its clock a minute behind, records its board if it holds its lease still.
    monkeypatch.setattr(timezone, "now", lambda: lease - timedelta(minutes=1))
    if _lease_held(acme, lease):
        GreenhouseConnection.objects.filter(pk=acme.pk).update(applied_board_fingerprint=applied)

    acme = GreenhouseConnection.objects.get(pk=acme.pk)
    assert applied and acme.applied_board_fingerprint == ""
    assert acme.lock_expires_at is None
    monkeypatch.setattr(timezone, "now", lambda: lease + timedelta(seconds=2))
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.updated == 1


def test_it_stops_waiting_for_a_sync_whose_lease_another_took_over_and_forgets_its_board(
    fake_greenhouse, monkeypatch
):
    """A sync that outlived its lease records nothing once another took it over: waiting for
    the lease held, it waited for the syncs after it too, and never ended on a busy org."""
    jobs_each_migration_picks(fake_greenhouse)
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    lease = acquire_sync_lock(acme)
    waits = []

    def taken_over(seconds: float) -> None:
        waits.append(seconds)
        assert len(waits) < 3, "still waiting for a lease another sync took over"
        taker = lease + timedelta(seconds=30)
        # The sync that took it over has read the board the command left, and recorded it.
        GreenhouseConnection.objects.filter(pk=acme.pk).update(
            lock_expires_at=taker, applied_board_fingerprint="f" * 64
        )

    monkeypatch.setattr(reread_posts_command, "sleep", taken_over)

    reread_posts()

    acme = GreenhouseConnection.objects.get(pk=acme.pk)
    assert len(waits) == 1 and acme.applied_board_fingerprint == ""
    assert acme.lock_expires_at == lease + timedelta(seconds=30)  # not the command's to free


def test_a_sync_of_an_org_none_of_whose_jobs_it_picks_is_not_waited_for(fake_greenhouse):
    jobs_each_migration_picks(fake_greenhouse)
    # tiny's sync holds its lease: none of tiny's jobs is picked, so it cannot store over them.
    assert acquire_sync_lock(GreenhouseConnection.objects.get(organization__slug="tiny"))

    assert "waiting" not in reread_posts()


def test_it_does_again_what_0047_and_0052_did_whose_work_older_code_undoes(fake_greenhouse):
    """A sync by code before 0047 stores its board's skips as that code counted them, with the
    board's fingerprint, which new code keeps while the board is the same ("fix in Greenhouse"
    a copy of a post that is on the site); one by code before names were trimmed writes a
    department's name with its spaces, which new code writes only from a changed post."""
    posts = fake_greenhouse.jobs("acme-robotics")
    broken = {**copy.deepcopy(posts[0]), "title": ""}
    posts.insert(0, broken)
    fake_greenhouse.touch("acme-robotics")
    acme = make_connection("acme", "acme-robotics")
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    # As code before 0047 counted the broken copy: a post to fix in Greenhouse.
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        applied_board_skipped_for_id=0,
        applied_board_skip_reasons=[f"job post {broken['id']} has no title"],
    )
    department = Department.objects.filter(organization=acme.organization).first()
    Department.objects.filter(pk=department.pk).update(name=f" {department.name} ")

    printed = reread_posts()

    acme = GreenhouseConnection.objects.get(pk=acme.pk)
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    acme.refresh_from_db()
    assert acme.applied_board_skip_reasons == [
        f"job post {broken['id']} listed again with other content (a duplicate id); the first "
        "that can be imported is kept"
    ]
    assert Department.objects.get(pk=department.pk).name == department.name
    assert "jobs 0047: 1 board with a post skipped" in printed
    assert "jobs 0052: 1 department or office with a space" in printed


def test_a_unit_a_sync_renames_after_it_read_the_units_keeps_the_syncs_name(
    fake_greenhouse, monkeypatch
):
    """The units are read before the transaction (which on SQLite holds the database from its
    start): a sync may write a unit's name between the read and the write, and its name,
    read from the post as new code reads it, stays."""
    jobs_each_migration_picks(fake_greenhouse)
    department = Department.objects.first()
    Department.objects.filter(pk=department.pk).update(name=f" {department.name} ")
    unit_names_to_strip = reread_posts_command.units_0052.unit_names_to_strip

    def renamed_by_a_sync_once_read(apps):
        found = unit_names_to_strip(apps)
        Department.objects.filter(pk=department.pk).update(name="Platform")
        return found

    monkeypatch.setattr(
        reread_posts_command.units_0052, "unit_names_to_strip", renamed_by_a_sync_once_read
    )

    printed = reread_posts()

    assert Department.objects.get(pk=department.pk).name == "Platform"
    assert "jobs 0052: 0 departments or offices with a space" in printed


def test_it_stores_the_search_words_older_code_stored_as_search_reads_them(fake_greenhouse):
    """Code before 0057 stored a run of Han or kana as one word, and code before 0058 a
    half-width kana's voiced mark apart: new code writes a job's search words only from a changed
    title or post, and an org's only once it is renamed, so "会社" missed the org 株式会社開発
    that older code named during the deploy, and "エンジニア" a title or tag it wrote."""
    jobs = jobs_each_migration_picks(fake_greenhouse)
    # As code before 0057 wrote them: each run one word.
    Organization.objects.filter(slug="acme").update(name="株式会社開発", search_name="株式会社開発")
    Job.objects.filter(pk=jobs[5].pk).update(
        title="ソフトウェアエンジニア",
        search_title="ソフトウェアエンジニア",
        tags=["ﾃﾞｰﾀ分析"],
        search_tags="テ \u3099 ー タ 分 析",
        search_text="東京都渋谷区",
    )
    # As code between 0057 and 0058 stored it: the voiced mark apart, which only reading the
    # title again joins.
    tiny_job = Job.objects.get(organization__slug="tiny")
    Job.objects.filter(pk=tiny_job.pk).update(title="ｴﾝｼﾞﾆｱ", search_title="エ ン シ \u3099 ニ ア")
    # As code before 0059 stored it: a "<", which PostgreSQL's parser reads as a tag.
    Organization.objects.filter(slug="tiny").update(name="Tiny <Co>", search_name="Tiny <Co>")
    # As code before 0060 stored them: "+49", which PostgreSQL's parser reads as a signed number,
    # and "&amp;", which it reads as an entity and drops.
    Job.objects.filter(pk=jobs[4].pk).update(search_text="Call +49 30, R&amp;D")
    # As 0060 stored it before an entity's name went on over its marks, as the parser's does.
    # And as code before 0069 stored them: Devanagari digits, a Quranic mark; and before 0071,
    # a mark of the Arabic Extended-A block and a Hebrew acronym's quote.
    Job.objects.filter(pk=jobs[3].pk).update(search_text='Pension&Hindi\u0940; २०२४ ۚࣖ צה"ל')
    # As code before 0067 stored it: Arabic with its harakat.
    Job.objects.filter(pk=jobs[2].pk).update(title="مُهَنْدِس", search_title="مُهَنْدِس")

    printed = reread_posts()

    assert (
        "jobs 0057, 0058, 0059, 0060, 0067, 0069 and 0071: 2 organizations and 5 jobs whose "
        "search words" in printed
    )
    assert [job.pk for job in job_search(query="مهندس")] == [jobs[2].pk]
    for query in ("会社", "エンジニア", "データ分析", "渋谷"):
        assert {job.pk for job in job_search(query=query)} >= {jobs[5].pk}, query
    assert tiny_job.pk in {job.pk for job in job_search(query="エンジニア")}
    assert Job.objects.get(pk=jobs[5].pk).payload_hash == jobs[5].payload_hash
    assert Organization.objects.get(slug="tiny").search_name == "Tiny  Co>"
    assert [job.pk for job in job_search(query="49 amp")] == [jobs[4].pk]
    assert [job.pk for job in job_search(query="hindi 2024")] == [jobs[3].pk]
    assert Job.objects.get(pk=jobs[3].pk).search_text == "Pension Hindi\u0940; 2024  צהל"
    rerun = reread_posts()
    assert "jobs 0057, 0058, 0059, 0060, 0067, 0069 and 0071: 0 organizations and 0 jobs" in rerun


def shown_before_and_after_it_runs(client, path: str, text: str, **params: str) -> list[bool]:
    """Whether `text` is on the page at `path`, which the first request caches, before and after
    reread_posts."""
    shown = [text in client.get(path, params).content.decode()]
    reread_posts()
    return [*shown, text in client.get(path, params).content.decode()]


@pytest.mark.parametrize("path", ["/jobs/", "/orgs/tiny/"])
def test_the_search_words_it_stores_show_on_every_orgs_cached_pages_at_once(
    client, fake_greenhouse, path
):
    """As a sync's changes do, on every org's pages (tiny's, none of whose jobs the migrations
    pick): a search's page cached before it went on listing what the words older code stored
    found for PUBLIC_PAGE_CACHE_SECONDS."""
    jobs_each_migration_picks(fake_greenhouse)
    reread_posts()  # what the migrations pick: the words below are all that is left to store
    job = Job.objects.get(organization__slug="tiny")
    # As code before 0057 stored it: the run one word, which "渋谷" does not start.
    Job.objects.filter(pk=job.pk).update(search_text="東京都渋谷区")

    shown = shown_before_and_after_it_runs(client, path, job.get_absolute_url(), q="渋谷")

    assert shown == [False, True]


def test_an_org_name_it_stores_the_search_words_of_is_found_on_cached_pages_at_once(
    client, fake_greenhouse
):
    """An org's search words pick its jobs on the all-jobs page too."""
    jobs_each_migration_picks(fake_greenhouse)
    reread_posts()
    job = Job.objects.get(organization__slug="tiny")
    # As code before 0057 stored it: one word, which "会社" does not start.
    Organization.objects.filter(slug="tiny").update(name="株式会社辛", search_name="株式会社辛")

    shown = shown_before_and_after_it_runs(client, "/jobs/", job.get_absolute_url(), q="会社")

    assert shown == [False, True]


def test_a_unit_name_it_trims_shows_on_cached_pages_at_once(client, fake_greenhouse):
    """As 0052 trims it: a department's name is on its org's pages and in its jobs.json."""
    jobs_each_migration_picks(fake_greenhouse)
    reread_posts()
    department = Department.objects.first()
    Department.objects.filter(pk=department.pk).update(name=f" {department.name} ")
    path = f"/orgs/{department.organization.slug}/jobs.json"

    shown = shown_before_and_after_it_runs(client, path, f'"{department.name}"')

    assert shown == [False, True]


def test_a_unit_name_trimmed_by_a_run_stopped_after_shows_on_cached_pages_run_again(
    client, fake_greenhouse, monkeypatch
):
    """The names are committed as they are written: the run again trims none of them, so the
    pages had to render afresh before it stopped."""
    jobs_each_migration_picks(fake_greenhouse)
    reread_posts()
    department = Department.objects.first()
    Department.objects.filter(pk=department.pk).update(name=f" {department.name} ")
    path = f"/orgs/{department.organization.slug}/jobs.json"
    shown = [f'"{department.name}"' in client.get(path).content.decode()]

    def stopped(apps, found):
        raise RuntimeError("stopped")

    with monkeypatch.context() as stopping:
        stopping.setattr(reread_posts_command.dates_0053, "dates_ahead_store", stopped)
        with pytest.raises(RuntimeError, match="stopped"):
            reread_posts()
    assert "jobs 0052: 0 departments or offices" in reread_posts()

    assert [*shown, f'"{department.name}"' in client.get(path).content.decode()] == [False, True]


def test_a_run_that_stores_no_name_nor_search_words_keeps_the_cached_pages(
    client, fake_greenhouse, django_assert_num_queries
):
    """The hashes it has forgotten change no page; the next sync's changes refresh them."""
    jobs_each_migration_picks(fake_greenhouse)
    reread_posts()
    pages = ["/jobs/", "/orgs/acme/", "/orgs/tiny/"]
    for page in pages:
        client.get(page)

    printed = reread_posts()

    assert "jobs 0057, 0058, 0059, 0060, 0067, 0069 and 0071: 0 organizations and 0 jobs" in printed
    assert "jobs 0052: 0 departments or offices" in printed
    assert "jobs 0046: 1 job with" in printed
    with django_assert_num_queries(0):
        for page in pages:
            client.get(page)


def test_a_name_an_org_admin_saves_after_it_read_the_search_words_keeps_its_own(
    fake_greenhouse, monkeypatch
):
    """The search words are read before the transaction, as the units are: a rename between the
    read and the write stores its own, and the command's, read from the name before, is left."""
    jobs_each_migration_picks(fake_greenhouse)
    Organization.objects.filter(slug="acme").update(name="株式会社開発", search_name="株式会社開発")
    search_fields_to_store = reread_posts_command.search_0058.search_fields_to_store

    def renamed_once_read(apps, model_name):
        found = search_fields_to_store(apps, model_name)
        if model_name == "Organization":
            organization = Organization.objects.get(slug="acme")
            organization.name = "開発"
            organization.save()
        return found

    monkeypatch.setattr(
        reread_posts_command.search_0058, "search_fields_to_store", renamed_once_read
    )

    printed = reread_posts()

    assert Organization.objects.get(slug="acme").search_name == "開 発"
    assert "jobs 0057, 0058, 0059, 0060, 0067, 0069 and 0071: 0 organizations and 0 jobs" in printed


def test_it_stops_waiting_for_a_sync_whose_lease_ran_out_and_prints_no_wait_at_verbosity_0(
    fake_greenhouse, monkeypatch
):
    """A sync whose worker was killed leaves its lease to run out: it records nothing more, and
    the next sync takes the lease only at a dispatcher's tick."""
    jobs_each_migration_picks(fake_greenhouse)
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    lease = acquire_sync_lock(acme)
    waits = []

    def lease_runs_out(seconds: float) -> None:
        waits.append(seconds)
        assert len(waits) < 3, "still waiting for a lease that ran out"
        monkeypatch.setattr(timezone, "now", lambda: lease + timedelta(seconds=1))

    monkeypatch.setattr(reread_posts_command, "sleep", lease_runs_out)
    out = io.StringIO()

    call_command("reread_posts", verbosity=0, stdout=out)

    assert len(waits) == 1 and out.getvalue() == ""


def test_stopped_waiting_by_ctrl_c_it_says_which_orgs_are_left_and_exits_130(
    fake_greenhouse, monkeypatch
):
    """Everything else is written by then: a KeyboardInterrupt's traceback did not say that the
    orgs whose syncs it waited for may still read none of the posts picked from them."""
    jobs_each_migration_picks(fake_greenhouse)
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    assert acquire_sync_lock(acme)

    def ctrl_c(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(reread_posts_command, "sleep", ctrl_c)

    with pytest.raises(CommandError) as stopped:
        call_command("reread_posts", verbosity=0, stdout=io.StringIO())

    assert stopped.value.returncode == 130
    assert str(stopped.value).startswith(
        "Stopped waiting for the syncs that ran meanwhile (1 org left): "
    )
    assert "run reread_posts again once they have ended" in str(stopped.value)
    assert Job.objects.filter(organization=acme.organization, payload_hash="").exists()


def stopped_before_its_orgs_forget_their_boards(monkeypatch) -> None:
    """Runs reread_posts stopped inside its transaction, at 0047's boards: the units and jobs
    written, the connections not."""

    def stopped(apps):
        raise RuntimeError("stopped")

    with monkeypatch.context() as stopping:
        stopping.setattr(
            reread_posts_command.boards_0047, "boards_with_posts_to_fix_forget", stopped
        )
        with pytest.raises(RuntimeError, match="stopped"):
            reread_posts()


def test_stopped_before_its_orgs_forgot_their_boards_run_again_it_does_what_one_run_does(
    fake_greenhouse, monkeypatch
):
    """A job that forgot its hash in a run stopped before its org forgot its board's
    fingerprint would wait for the board to change: run again, it picks the same jobs, and
    their orgs forget their boards. The connections are written all or none."""
    jobs_each_migration_picks(fake_greenhouse)
    before = stored_state()
    reread_posts()
    one_run = stored_state()
    stored_state_restore(before)

    stopped_before_its_orgs_forget_their_boards(monkeypatch)
    assert stored_state()[1] == before[1]

    reread_posts()

    hashes, fingerprints = stored_state()
    assert fingerprints == one_run[1]
    # The same jobs' hashes changed (0053's dated ahead once more: one read more than needed).
    changed = {pk for pk, payload_hash in one_run[0].items() if payload_hash != before[0][pk]}
    assert {pk for pk, payload_hash in hashes.items() if payload_hash != before[0][pk]} == changed
    assert all(hashes[pk] == "" for pk, payload_hash in one_run[0].items() if not payload_hash)


def test_a_unit_name_as_long_as_its_field_it_would_trim_is_left_for_a_run_again_to_pick(
    fake_greenhouse, monkeypatch
):
    """0064 picks the jobs of a unit whose name is as long as its field; trimmed (committed at
    once), a run stopped before the orgs forgot their boards, run again, picked them no more,
    their hashes forgotten and their org's board kept: the next sync read none of them."""
    jobs_each_migration_picks(fake_greenhouse)
    reread_posts()
    job = Job.objects.get(organization__slug="tiny")
    department = Department.objects.create(
        organization=job.organization, greenhouse_id=1, name="D" * 299 + " "
    )
    job.departments.add(department)
    GreenhouseConnection.objects.filter(organization__slug="tiny").update(
        applied_board_fingerprint="applied"
    )

    stopped_before_its_orgs_forget_their_boards(monkeypatch)
    printed = reread_posts()

    assert "jobs 0052: 0 departments or offices" in printed
    assert stored_state()[1]["tiny"] == ""
    assert Job.objects.get(pk=job.pk).payload_hash == ""


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="row locks")
@pytest.mark.django_db(transaction=True)
def test_a_sync_writing_two_of_its_jobs_as_it_writes_them_is_waited_for(fake_greenhouse):
    """A sync writes its changed jobs one at a time, in its board's order, holding each until
    it commits: the command forgetting their hashes in one transaction held the job it wrote
    first as it waited for another the sync had written, and the sync then wrote the first: a
    deadlock, PostgreSQL killing the command."""
    from tests.test_concurrency import started_until_it_waits_on_me_or_ends
    from tests.test_migrations import jobs_synced_from

    posts = fake_greenhouse.jobs("acme-robotics")
    jobs = jobs_synced_from(fake_greenhouse, posts[:2])
    Job.objects.filter(pk__in=[job.pk for job in jobs]).update(language="en-GB-oxendict-x-lon")
    # In the order the command writes them.
    written_first, written_last = sorted(job.pk for job in jobs)
    thread, outcome = thread_with_outcome(reread_posts)
    # As a sync writes the job written last, then the one written first, in one transaction.
    with transaction.atomic():
        Job.objects.filter(pk=written_last).update(synced_at=timezone.now())
        started_until_it_waits_on_me_or_ends(thread, "reread_posts")
        Job.objects.filter(pk=written_first).update(synced_at=timezone.now())
    thread.join(timeout=30)

    assert [type(result) for result in outcome] == [str], outcome
    assert "jobs 0066: 2 jobs" in outcome[0]
    assert set(Job.objects.filter(payload_hash="").values_list("pk", flat=True)) == {
        written_first,
        written_last,
    }


def test_at_verbosity_0_it_prints_nothing(fake_greenhouse):
    jobs_each_migration_picks(fake_greenhouse)
    out = io.StringIO()

    call_command("reread_posts", verbosity=0, stdout=out)

    assert out.getvalue() == ""
    assert Job.objects.filter(payload_hash="").count() == 4


README = (ROOT / "README.md").read_text()


def test_the_readme_has_the_posts_older_workers_read_picked_again_by_a_command_that_exists():
    deploy_note = re.search(
        r"once the old\s+workers\s+are\s+gone,\s+run\s+`python manage.py (\w+)`", README
    )

    assert deploy_note is not None and deploy_note[1] == "reread_posts"
    commands_named = set(re.findall(r"python manage\.py (\w+)", README))
    assert commands_named <= set(get_commands())


def test_no_readme_instruction_migrates_an_app_back_past_a_migration_that_drops_a_column():
    """Migrating back undoes each migration after the target: an added field or model undone
    drops its column or table, with what it holds (`migrate jobs 0045`, advised to run 0046's
    and later data migrations again, dropped 0051's, 0054's and 0055's columns)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    dropping = []
    for app_label, target in re.findall(r"\bmigrate\s+([a-z_]+)\s+(zero|\d{4}\w*)", README):
        names = sorted(name for label, name in loader.disk_migrations if label == app_label)
        after = names if target == "zero" else [name for name in names if name[:4] > target[:4]]
        dropping += [
            f"migrate {app_label} {target} undoes {name}"
            for name in after
            for operation in loader.disk_migrations[app_label, name].operations
            if isinstance(operation, AddField | CreateModel)
        ]

    assert dropping == []
