"""Concurrency: many Refresh clicks queue one sync, two workers never run one org twice, and a
sync's write transaction never blocks visitors' reads. Passes on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection as db_connection
from django.db import transaction
from django.test import Client
from django.utils import timezone

from jobs import manage_views
from jobs import sync as jobs_sync
from jobs.greenhouse import Board, GreenhouseClient
from jobs.memberships import MembershipError, other_admins_ensure
from jobs.models import GreenhouseConnection, Job, Membership, Organization, SyncRun
from jobs.scheduling import RefreshOutcome, request_refresh
from jobs.sync import SyncResult, sync_organization
from tests.support.helpers import (
    done_by_another_request_after,
    form_as_sent,
    marked_sync,
    member_row_prefix,
    thread_with_outcome,
)

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.broker"]  # queued

on_sqlite = pytest.mark.skipif(
    "sqlite" not in db_connection.vendor, reason="SQLite only; PostgreSQL has MVCC reads"
)
on_postgresql = pytest.mark.skipif(
    db_connection.vendor != "postgresql", reason="row locks: SQLite locks the whole database"
)


def all_at_once(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run `work` in `count` threads released together; each thread has its own connection.
    What each returned or raised, or None where it had not ended within a minute."""
    barrier = threading.Barrier(count)

    def released_together() -> Any:
        barrier.wait()
        return work()

    threads = [thread_with_outcome(released_together) for _ in range(count)]
    for thread, _ in threads:
        thread.start()
    for thread, _ in threads:
        thread.join(timeout=60)
    return [outcome[0] if outcome else None for _, outcome in threads]


def test_twenty_simultaneous_refresh_clicks_queue_exactly_one_sync(acme, queued):
    def click() -> RefreshOutcome:
        return request_refresh(GreenhouseConnection.objects.get(pk=acme.pk))

    outcomes = all_at_once(20, click)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert queued == [marked_sync(acme.pk, SyncRun.Trigger.MANUAL)]
    assert Counter(outcomes) == {RefreshOutcome.QUEUED: 1, RefreshOutcome.ALREADY_QUEUED: 19}


def test_simultaneous_refresh_clicks_on_a_stale_mark_queue_exactly_one_sync(acme, queued, settings):
    """Two tabs pressing Refresh now on the status page's "Queued at … and not started since"
    (a mark past SYNC_QUEUED_STALE_SECONDS, under Refresh now's 2 minutes): one UPDATE takes
    the stale mark, and the others, waiting on the row, find it new (PostgreSQL reads the row
    again once the first commits; SQLite runs one write at a time)."""
    settings.SYNC_QUEUED_STALE_SECONDS = 30
    stale_mark = timezone.now() - timedelta(seconds=31)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(queued_at=stale_mark)

    def click() -> RefreshOutcome:
        return request_refresh(GreenhouseConnection.objects.get(pk=acme.pk))

    outcomes = all_at_once(20, click)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert queued == [marked_sync(acme.pk, SyncRun.Trigger.MANUAL)]
    assert queued[0][1]["queued_at"] != stale_mark.isoformat()
    assert Counter(outcomes) == {RefreshOutcome.QUEUED: 1, RefreshOutcome.ALREADY_QUEUED: 19}


def test_two_workers_given_the_same_org_sync_it_once(acme, fake_greenhouse, monkeypatch):
    # Whichever takes the lock fetches only once the other was refused it, so the two syncs
    # overlap however late a busy machine starts either thread (a fixed delay did not).
    refused = threading.Event()
    acquire, fetch = jobs_sync.acquire_sync_lock, GreenhouseClient.fetch_jobs_response

    def acquire_and_tell(connection: GreenhouseConnection, **kwargs: Any) -> Any:
        lease = acquire(connection, **kwargs)
        if lease is None:
            refused.set()
        return lease

    def fetch_once_refused(self: GreenhouseClient, *args: Any, **kwargs: Any) -> Any:
        refused.wait(10)
        return fetch(self, *args, **kwargs)

    monkeypatch.setattr(jobs_sync, "acquire_sync_lock", acquire_and_tell)
    monkeypatch.setattr(GreenhouseClient, "fetch_jobs_response", fetch_once_refused)

    def work() -> SyncResult:
        connection = GreenhouseConnection.objects.select_related("organization").get(pk=acme.pk)
        return sync_organization(connection, trigger=SyncRun.Trigger.SCHEDULE)

    results = all_at_once(2, work)

    assert not [r for r in results if isinstance(r, Exception)], results
    outcomes = sorted(result.outcome for result in results)
    assert outcomes == [SyncResult.Outcome.LOCKED, SyncResult.Outcome.SUCCESS]
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.SUCCESS
    assert fake_greenhouse.request_count("acme-robotics") == 1
    assert Job.objects.count() == len(fake_greenhouse.jobs("acme-robotics"))
    acme.refresh_from_db()
    assert acme.lock_expires_at is None


@on_sqlite
def test_sqlite_runs_in_wal_mode(db):
    with db_connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


@on_sqlite
def test_a_reader_is_not_blocked_by_an_open_write_transaction(acme):
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    titles = set(Job.objects.values_list("title", flat=True))
    path = db_connection.settings_dict["NAME"]
    writer = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    reader = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    try:
        # A sync holds its write transaction open while it applies a large board.
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE jobs_job SET title = 'being rewritten'")

        seen = {row[0] for row in reader.execute("SELECT title FROM jobs_job")}
        assert seen == titles  # the last committed state, at once, without "database is locked"

        writer.execute("ROLLBACK")
    finally:
        writer.close()
        reader.close()


# --- Accounts: double clicks ------------------------------------------------------------------


def test_a_double_clicked_invitation_makes_one_account_invitation_and_email(acme, mailoutbox):
    from django.contrib.auth.models import User

    from jobs.memberships import MembershipError, member_invite
    from jobs.models import Invitation

    organization = acme.organization
    for number in range(5):  # the race is lost at random: several rounds
        email = f"new{number}@acme.example"

        def add(email: str = email) -> Any:
            return member_invite(organization=organization, email=email, role="member")

        results = all_at_once(2, add)

        errors = [result for result in results if isinstance(result, Exception)]
        assert all(isinstance(error, MembershipError) for error in errors), errors
        assert User.objects.filter(email=email).count() == 1
        assert Invitation.objects.filter(organization=organization, user__email=email).count() == 1
        assert [message.to for message in mailoutbox].count([email]) == 1  # one email too


def account_deactivate_as_staff_do(user_id: int) -> None:
    """Deactivate the account as another staff member does in Django's admin: its orgs checked,
    then the account written, in one transaction (UserAdmin.save_model)."""
    from django.contrib.auth.models import User
    from django.db import transaction

    with transaction.atomic():
        other_admins_ensure(user=User.objects.get(pk=user_id))
        User.objects.filter(pk=user_id).update(is_active=False)


def sessions_waiting_on_my_locks() -> int:
    """How many other PostgreSQL sessions wait for a lock this thread's transaction holds.
    (pg_locks is read live; pg_stat_activity would be the snapshot of the transaction's start.)"""
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks"
            " WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        )
        return cursor.fetchone()[0]


def started_until_it_waits_on_me_or_ends(thread: threading.Thread, what: str) -> None:
    """Starts `thread` and returns once it waits on a lock this thread's transaction holds,
    or (none held) has ended."""
    thread.start()
    deadline = time.monotonic() + 30
    while thread.is_alive() and not sessions_waiting_on_my_locks():
        assert time.monotonic() < deadline, f"{what} neither waited nor ended"
        time.sleep(0.05)


def saved_as_this_holds_its_locks(
    change: Callable[[], Any], save: Callable[[], Any], what: str
) -> tuple[list[Any], Any]:
    """Run `change` in a transaction of this thread that commits once `save`, started then in
    another, waits on a lock it holds (or has ended): what `change` returned, in a list as
    thread_with_outcome gives it, and what `save` returned or raised (None, not ended)."""
    thread, saved = thread_with_outcome(save)
    with transaction.atomic():
        changed = [change()]
        started_until_it_waits_on_me_or_ends(thread, what)
    thread.join(timeout=30)
    return changed, saved[0] if saved else None


def started_before(
    monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, other: threading.Thread, what: str
) -> None:
    """Has `name` of `owner` (a module's function, a class's method, a manager's) start `other`
    until it waits on a lock this thread's transaction holds, or ends, before it runs."""
    original = getattr(owner, name)

    def with_the_other_started(*args: Any, **kwargs: Any) -> Any:
        # At the first call only: what `other` runs may call it too (a page of the admin's
        # showing the connection's next sync).
        if other.ident is None:
            started_until_it_waits_on_me_or_ends(other, what)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, with_the_other_started)


def saves_in_the_admin_start(
    monkeypatch: pytest.MonkeyPatch,
    model_admin: type,
    other: threading.Thread,
    what: str,
    *,
    after_the_save: bool = False,
    method: str = "save_model",
) -> None:
    """Has each `save_model` of `model_admin` (or its `method` saving, a form's `save`) start
    `other` until it waits on a lock the save's transaction holds, or ends: after the page's
    forms are checked, before its row is written, or, `after_the_save`, once it is written."""
    save = getattr(model_admin, method)

    def save_with_the_other_started(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not after_the_save:
            started_until_it_waits_on_me_or_ends(other, what)
        saved = save(self, *args, **kwargs)
        if after_the_save:
            started_until_it_waits_on_me_or_ends(other, what)
        return saved

    monkeypatch.setattr(model_admin, method, save_with_the_other_started)


def held_until_the_other_comes(arrived: set[int], other: str) -> None:
    """Called by each of two threads holding locks, the threads in `arrived`: the first time,
    returns once the other thread has been here too, or waits on a lock this one holds; after
    that, at once."""
    if threading.get_ident() in arrived:
        return
    arrived.add(threading.get_ident())
    deadline = time.monotonic() + 30
    while len(arrived) < 2 and not sessions_waiting_on_my_locks():
        assert time.monotonic() < deadline, f"{other} never came"
        time.sleep(0.05)


def held_once_locked(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, other: str) -> None:
    """Has `name` of `owner`, a function that locks rows, hold them until `other`, the other
    of two threads calling it, has called it too or waits on one (held_until_the_other_comes)."""
    original = getattr(owner, name)
    arrived: set[int] = set()

    def locked_then_held(*args: Any, **kwargs: Any) -> Any:
        locked = original(*args, **kwargs)
        held_until_the_other_comes(arrived, other)
        return locked

    monkeypatch.setattr(owner, name, locked_then_held)


def invitation_accept_paused_holding_its_locks(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Has invitation_accept stop just before it adds the membership, holding its locks, until
    another session waits on one of them; the event is set once it stops there. Events, not
    sleeps: a thread that a busy machine starts late must not swap the two (the other write
    first, the accept then finds no invitation)."""
    accept_holds_its_locks = threading.Event()
    get_or_create = Membership.objects.get_or_create

    def paused_get_or_create(**kwargs: Any) -> Any:
        accept_holds_its_locks.set()
        deadline = time.monotonic() + 30
        while not sessions_waiting_on_my_locks():
            assert time.monotonic() < deadline, "the other write never waited on the accept's locks"
            time.sleep(0.05)
        return get_or_create(**kwargs)

    monkeypatch.setattr(Membership.objects, "get_or_create", paused_get_or_create)
    return accept_holds_its_locks


@on_postgresql
def test_an_invitation_accepted_as_the_org_is_deleted_answers_both(acme, mailoutbox, monkeypatch):
    from django.contrib.auth.models import User

    from jobs.memberships import invitation_accept, invitation_token, member_invite
    from jobs.models import Invitation, Organization
    from jobs.organizations import organization_delete

    organization = acme.organization
    member_invite(organization=organization, email="new@acme.example", role="member")
    token = invitation_token(Invitation.objects.get())
    user = User.objects.get(email="new@acme.example")
    accept_holds_its_locks = invitation_accept_paused_holding_its_locks(monkeypatch)

    def delete() -> int:
        assert accept_holds_its_locks.wait(30)
        return organization_delete(organization=Organization.objects.get(pk=organization.pk))

    works = iter([lambda: invitation_accept(token=token, user=user), delete])
    results = all_at_once(2, lambda: next(works)())

    assert not any(isinstance(result, Exception) for result in results), results
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert not Membership.objects.exists()


@on_postgresql
@pytest.mark.parametrize("page", ["delete", "delete-selected"])
def test_an_invitation_accepted_as_staff_delete_the_account_answers_both(
    member, outsider, mailoutbox, monkeypatch, page
):
    """Bob accepts an invitation to another org as staff delete his account in Django's admin
    (from its page or with Delete selected). Deleting an account locks it, then deletes its
    invitations; the accept held the invitation, and the key of the member row it added then
    waited for the account: a deadlock, which PostgreSQL ended by failing one of them (a server
    error page). The accept locks the account first: the delete waits for it, and takes the
    new member row with the account."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs.memberships import invitation_accept, invitation_token, member_invite
    from jobs.models import Invitation

    other = outsider.memberships.get().organization
    member_invite(organization=other, email=member.email, role="member")
    token = invitation_token(Invitation.objects.get())
    staff = Client()
    staff.force_login(User.objects.create_superuser("staff", "staff@example.com", "x"))
    if page == "delete":
        address, data = f"/admin/auth/user/{member.pk}/delete/", {"post": "yes"}
    else:
        address = "/admin/auth/user/"
        data = {"action": "delete_selected", "_selected_action": [member.pk], "post": "yes"}
    accept_holds_its_locks = invitation_accept_paused_holding_its_locks(monkeypatch)

    def delete() -> int:
        assert accept_holds_its_locks.wait(30)
        return staff.post(address, data).status_code

    works = iter([lambda: invitation_accept(token=token, user=member), delete])
    results = all_at_once(2, lambda: next(works)())

    assert not any(isinstance(result, Exception) for result in results), results
    assert 302 in results
    assert not User.objects.filter(pk=member.pk).exists()
    assert not Membership.objects.filter(user=member.pk).exists()


@on_postgresql
def test_a_double_clicked_disconnect_disconnects_once_and_tells_the_second_click_so(
    acme, monkeypatch
):
    """Both clicks read the connection; the second's UPDATE taking the sync lease waits for the
    first, which holds it, and then finds the row gone: it was told a sync was running."""
    from jobs import connections
    from jobs.connections import Disconnected, connection_disconnect

    clicks = [GreenhouseConnection.objects.get(pk=acme.pk) for _ in range(2)]
    close_missing_jobs = connections.close_missing_jobs

    def held_until_the_other_click_waits(*args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + 30
        while not sessions_waiting_on_my_locks():
            assert time.monotonic() < deadline, "the other click never waited on this one"
            time.sleep(0.05)
        return close_missing_jobs(*args, **kwargs)

    monkeypatch.setattr(connections, "close_missing_jobs", held_until_the_other_click_waits)

    results = all_at_once(2, lambda: connection_disconnect(connection=clicks.pop()))

    assert sorted(map(type, results), key=str) == sorted([Disconnected, type(None)], key=str)
    assert not GreenhouseConnection.objects.exists()


@on_postgresql
@pytest.mark.parametrize("open_jobs", [0, 6])
def test_an_org_deleted_as_it_is_disconnected_is_deleted(acme, monkeypatch, open_jobs):
    """The delete's UPDATE taking the sync lease waited for the disconnect, which held it, then
    found the connection gone: it was told a sync was running. With open jobs, the delete
    locked the org's row and waited for the lease, while the disconnect dated the org's listing,
    waiting for the delete: a deadlock, which PostgreSQL ended by failing one of them (a server
    error page). The disconnect now locks the org first, as the delete does."""
    from jobs import connections
    from jobs.connections import Disconnected, connection_disconnect
    from jobs.models import Organization
    from jobs.organizations import organization_delete

    if open_jobs:
        sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    organization = acme.organization
    disconnect_holds_the_lease = threading.Event()
    close_missing_jobs = connections.close_missing_jobs

    def held_until_the_delete_waits(*args: Any, **kwargs: Any) -> Any:
        disconnect_holds_the_lease.set()
        deadline = time.monotonic() + 30
        while not sessions_waiting_on_my_locks():
            assert time.monotonic() < deadline, "the delete never waited on the disconnect"
            time.sleep(0.05)
        return close_missing_jobs(*args, **kwargs)

    monkeypatch.setattr(connections, "close_missing_jobs", held_until_the_delete_waits)

    def delete() -> int:
        assert disconnect_holds_the_lease.wait(30)
        return organization_delete(organization=Organization.objects.get(pk=organization.pk))

    works = iter([lambda: connection_disconnect(connection=acme), delete])
    results = all_at_once(2, lambda: next(works)())

    assert sorted(map(type, results), key=str) == sorted([Disconnected, int], key=str), results
    disconnected = next(result for result in results if isinstance(result, Disconnected))
    assert disconnected.closed == open_jobs
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert not Job.objects.exists()


@on_postgresql
@pytest.mark.parametrize("moment", ["as-the-listing-is-dated", "as-it-locks-the-org"])
@pytest.mark.parametrize("change", ["disconnect", "delete"])
def test_a_job_saved_in_django_admin_as_its_org_is_disconnected_or_deleted_answers_both(
    change, admin_client, acme, monkeypatch, moment
):
    """The save wrote the job, then dated the org's listing; a disconnect or a delete begun in
    between locked the org's row, then waited for the job to close or delete it, and the save
    waited for the org's row: a deadlock, which PostgreSQL ended by failing one of them (a
    server error page). The save locks the org's row first, as a row pointing to it does, and
    the job's row, read under its lock for the form's check (RowLockedForItsChange), after."""
    from jobs import admin as jobs_admin
    from jobs.connections import Disconnected, connection_disconnect
    from jobs.models import Organization
    from jobs.organizations import organization_delete
    from tests.support.helpers import form_as_sent

    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    organization = acme.organization
    job = Job.objects.filter(is_open=True).first()
    page = f"/admin/jobs/job/{job.pk}/change/"
    data = {**form_as_sent(admin_client.get(page).content, "#job_form"), "hidden": "on"}

    def disconnect_or_delete() -> Disconnected | int | None:
        if change == "disconnect":
            connection = GreenhouseConnection.objects.get(pk=acme.pk)
            return connection_disconnect(connection=connection)
        org = Organization.objects.get(pk=organization.pk)
        return organization_delete(organization=org)

    other, outcome = thread_with_outcome(disconnect_or_delete)
    mark_listing_changed = Organization.mark_listing_changed

    def other_begun_meanwhile(self: Organization) -> None:
        # The job written, the listing not yet dated: the other waits on a lock the save
        # holds, or (none held) runs to its end.
        if not other.is_alive() and not outcome:
            started_until_it_waits_on_me_or_ends(other, "the other")
        mark_listing_changed(self)

    key_share_lock = jobs_admin.organizations_key_share_lock

    def other_begun_before_the_first(organizations: Any) -> int:
        if not other.is_alive() and not outcome:
            started_until_it_waits_on_me_or_ends(other, "the other")
        return key_share_lock(organizations)

    if moment == "as-the-listing-is-dated":
        monkeypatch.setattr(Organization, "mark_listing_changed", other_begun_meanwhile)
    else:
        monkeypatch.setattr(
            jobs_admin, "organizations_key_share_lock", other_begun_before_the_first
        )

    response = admin_client.post(page, data)
    other.join(timeout=30)

    assert response.status_code == 302
    assert not any(isinstance(result, Exception) for result in outcome), outcome
    assert not Job.objects.filter(pk=job.pk, is_open=True).exists()


@on_postgresql
def test_an_org_deleted_as_a_board_is_connected_is_deleted_with_it(monkeypatch):
    """The delete locks the org's row, then reads its connection: one being stored, not yet
    committed, it did not see, and deleted the org; the connection's commit then failed (its
    org gone), a server error page. The connect locks the org's row first: the delete waits."""
    from jobs.connections import connection_save
    from jobs.greenhouse import Board
    from jobs.models import Organization
    from jobs.organizations import organization_delete

    organization = Organization.objects.create(name="North", slug="north")
    save = GreenhouseConnection.save
    stored = threading.Event()

    def held_until_the_delete_waits(self: GreenhouseConnection, *args: Any, **kwargs: Any) -> None:
        save(self, *args, **kwargs)
        stored.set()
        deadline = time.monotonic() + 30
        while not sessions_waiting_on_my_locks():
            assert time.monotonic() < deadline, "the delete never waited on the connect"
            time.sleep(0.05)

    monkeypatch.setattr(GreenhouseConnection, "save", held_until_the_delete_waits)

    def delete() -> int:
        assert stored.wait(30)
        return organization_delete(organization=Organization.objects.get(pk=organization.pk))

    board = Board(token="tiny-co", name="Tiny Co")
    works = iter([lambda: connection_save(organization=organization, board=board), delete])
    results = all_at_once(2, lambda: next(works)())

    assert not any(isinstance(result, Exception) for result in results), results
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert not GreenhouseConnection.objects.filter(organization=organization.pk).exists()


@on_postgresql
def test_two_dispatcher_ticks_at_once_queue_each_org_once(queued):
    """The second tick reads the orgs the first has marked but not yet committed as free; its
    UPDATE waits for the first and then checks them again, on the rows the first wrote."""
    from django.db import transaction

    from jobs.scheduling import enqueue_due_syncs
    from tests.support.helpers import make_connection

    due = [make_connection(f"org{number}", "board").pk for number in range(4)]
    first_holds_its_marks = threading.Event()

    def first_tick() -> list[int]:
        with transaction.atomic():
            marked = enqueue_due_syncs(limit=2)
            first_holds_its_marks.set()
            deadline = time.monotonic() + 30
            while not sessions_waiting_on_my_locks():
                assert time.monotonic() < deadline, "the second tick never waited on the first"
                time.sleep(0.05)
        return marked

    def second_tick() -> list[int]:
        assert first_holds_its_marks.wait(30)
        return enqueue_due_syncs()

    ticks = iter([first_tick, second_tick])
    results = all_at_once(2, lambda: next(ticks)())  # in the order the threads ran, not ticks

    assert sorted(results) == [due[:2], due[2:]]
    assert sorted(connection_id for (connection_id, _), _ in queued) == due


def test_a_double_clicked_sign_up_makes_one_account_and_answers_both(db, settings):
    settings.SIGNUP_LIMIT_PER_DAY = 100  # five sign-ups from one address: not what is tested
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs.models import Organization

    for number in range(5):
        data = {
            "username": f"sam{number}",
            "email": f"sam{number}@example.com",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "organization_name": "Same Name",
        }
        statuses = all_at_once(2, lambda data=data: Client().post("/accounts/signup/", data))

        assert all(not isinstance(s, Exception) and s.status_code in (200, 302) for s in statuses)
        assert User.objects.filter(username=f"sam{number}").count() == 1
    assert Organization.objects.filter(name="Same Name").count() == 5  # numbered slugs


def test_two_admins_deactivated_at_once_leave_one_who_can_sign_in(acme):
    """As Django's admin deactivates someone: the check, then the write, in one transaction.
    The second check waits for the first deactivation and must see it (on PostgreSQL, a lock
    on the admins' membership rows alone let it read the account as still active)."""
    from django.contrib.auth.models import User
    from django.db import transaction

    admins = [User.objects.create_user(name, f"{name}@acme.example") for name in ("ann", "ben")]
    for user in admins:
        user.set_password("correct horse battery")
        user.save()
        Membership.objects.create(
            organization=acme.organization, user=user, role=Membership.Role.ADMIN
        )
    targets = [user.pk for user in admins]
    checked: set[int] = set()  # the threads past their check

    def deactivate() -> None:
        with transaction.atomic():
            user = User.objects.get(pk=targets.pop())
            other_admins_ensure(user=user)
            # Written once the other has checked too, or waits on this one's locks. (SQLite's
            # IMMEDIATE transactions queue as they begin: the other has not started its own.)
            if db_connection.vendor == "postgresql":
                held_until_the_other_comes(checked, "the other deactivation")
            User.objects.filter(pk=user.pk).update(is_active=False)

    results = all_at_once(2, deactivate)

    assert sorted(type(result).__name__ for result in results) == ["MembershipError", "NoneType"]
    assert all(r is None or isinstance(r, MembershipError) for r in results)
    assert User.objects.filter(is_active=True, memberships__role="admin").count() == 1


@on_postgresql
def test_two_people_in_the_same_two_orgs_deleting_their_accounts_at_once_both_go(db, monkeypatch):
    """Deleting an account locks every org it belongs to. Read in the order their member rows
    were written (Ann's North then South, Ben's South then North), each would hold the org the
    other waits for: a deadlock, which PostgreSQL ends by failing one of them (a server error
    page). They are locked in the orgs' order: the second delete waits for the first."""
    from django.contrib.auth.models import User

    from jobs import memberships
    from jobs.memberships import account_delete
    from jobs.models import Organization

    north, south = (
        Organization.objects.create(name=name, slug=name.lower()) for name in ("North", "South")
    )
    ann, ben = (User.objects.create_user(name, password="a passphrase") for name in ("ann", "ben"))
    for user, organization in [(ann, north), (ben, south), (ben, north), (ann, south)]:
        Membership.objects.create(organization=organization, user=user)
    held_once_locked(
        monkeypatch, memberships, "organization_admins_lock", "the other account's delete"
    )
    leaving = [ann.pk, ben.pk]

    def delete_as_on_a_large_site() -> None:
        # With thousands of orgs PostgreSQL reads an account's member rows first, then their
        # orgs, in the rows' order unless told one; with these few it reads the orgs first, in
        # one order for both. The plan of a large site:
        with db_connection.cursor() as cursor:
            for setting in ("enable_hashjoin", "enable_mergejoin", "enable_seqscan"):
                cursor.execute(f"SET {setting} = off")  # for this thread's connection only
        account_delete(user=User.objects.get(pk=leaving.pop()))

    results = all_at_once(2, delete_as_on_a_large_site)

    assert results == [None, None], results
    assert not User.objects.exists()
    assert Organization.objects.count() == 2


@on_postgresql
def test_an_admin_demoted_in_django_admin_and_another_on_the_members_page_leave_one(
    admin_client, owner, member, monkeypatch
):
    """Django's admin checked its member rows without the org's lock: the members page,
    demoting Bob between that check and the save, still found Alice an admin, and the save then
    demoted her, leaving no admin. Under the lock, the members page waits for the save and is
    refused."""
    from jobs.admin import OrganizationAdmin
    from jobs.memberships import membership_role_set
    from tests.support.helpers import form_as_sent

    organization = owner.memberships.get().organization
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    page = f"/admin/jobs/organization/{organization.pk}/change/"
    data = form_as_sent(admin_client.get(page).content, "#organization_form")
    alice = str(owner.memberships.get().pk)
    data[member_row_prefix(data, alice) + "-role"] = Membership.Role.MEMBER

    def demote_bob() -> None:
        membership = Membership.objects.get(user=member)
        return membership_role_set(membership=membership, role="member")

    members_page, outcome = thread_with_outcome(demote_bob)
    # Its forms checked, nothing written yet: the members page's demotion either waits on a
    # lock the admin holds, or (none held) runs to its end.
    saves_in_the_admin_start(monkeypatch, OrganizationAdmin, members_page, "the members page")

    response = admin_client.post(page, data)
    members_page.join(timeout=30)

    assert response.status_code == 302
    assert [type(result) for result in outcome] == [MembershipError]
    assert sorted(organization.memberships.values_list("user__username", "role")) == [
        ("alice", "member"),
        ("bob", "admin"),
    ]


@on_postgresql
def test_an_account_deactivated_as_an_old_page_of_it_is_saved_stays_deactivated(
    admin_client, owner, member, monkeypatch
):
    """A page of the account read before another staff member deactivated it, saved as that
    deactivation commits (before the save locks the account): the save wrote the account
    whole, as its page showed it, active again. It writes only the name it changed."""
    from django.contrib.auth.models import User

    from jobs import admin_site
    from tests.support.helpers import form_as_sent

    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    page = f"/admin/auth/user/{owner.pk}/change/"
    data = {**form_as_sent(admin_client.get(page).content, "#user_form"), "first_name": "Al"}
    deactivation, outcome = thread_with_outcome(lambda: account_deactivate_as_staff_do(owner.pk))
    started_before(monkeypatch, admin_site, "staff_account_lock", deactivation, "deactivation")

    response = admin_client.post(page, data)
    deactivation.join(timeout=30)

    assert response.status_code == 302
    assert outcome == [None]
    saved = User.objects.get(pk=owner.pk)
    assert (saved.first_name, saved.is_active) == ("Al", False)


@on_postgresql
def test_two_old_pages_of_a_group_renaming_it_at_once_save_the_first_and_refuse_the_second(
    admin_client, admin_user, monkeypatch
):
    """Two pages of a group opened before either was saved, each renaming it, saved at once:
    the second read the group before the first wrote it, found the name as its page showed it,
    and wrote over the first's unseen. It waits for the first, and is refused, naming the
    field."""
    from django.contrib.auth.models import Group
    from django.test import Client

    from jobs.admin import GroupAdmin
    from tests.support.helpers import form_as_sent

    group = Group.objects.create(name="Editors")
    page = f"/admin/auth/group/{group.pk}/change/"
    shown = form_as_sent(admin_client.get(page).content, "#content-main form")
    other_staff = Client()
    other_staff.force_login(admin_user)
    other, outcome = thread_with_outcome(
        lambda: other_staff.post(page, {**shown, "name": "Reviewers"})
    )
    save, first_page = GroupAdmin.save_model, threading.get_ident()

    def save_starting_the_other(*args: Any, **kwargs: Any) -> None:
        if threading.get_ident() == first_page:  # not in the other page's own save
            started_until_it_waits_on_me_or_ends(other, "the other page's save")
        save(*args, **kwargs)

    monkeypatch.setattr(GroupAdmin, "save_model", save_starting_the_other)

    response = admin_client.post(page, {**shown, "name": "Writers"})
    other.join(timeout=30)

    assert response.status_code == 302
    assert [result.status_code for result in outcome] == [200]
    assert "“Name” changed by someone else" in outcome[0].content.decode()
    assert Group.objects.get(pk=group.pk).name == "Writers"


@on_postgresql
def test_staff_saving_an_org_they_admin_as_their_account_is_deactivated_both_go_through(
    owner, member, monkeypatch
):
    """Deactivating an account locks it, then its orgs; Django's admin locked the org while
    checking its member rows, then, logging the save under the staff member's account as it
    committed, waited on that account: PostgreSQL found a deadlock and failed one of them."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs.admin import OrganizationAdmin
    from tests.support.helpers import form_as_sent

    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    staff = Client()
    staff.force_login(User.objects.get(pk=owner.pk))
    organization = owner.memberships.get().organization
    page = f"/admin/jobs/organization/{organization.pk}/change/"
    data = form_as_sent(staff.get(page).content, "#organization_form")

    deactivation, outcome = thread_with_outcome(lambda: account_deactivate_as_staff_do(owner.pk))
    saves_in_the_admin_start(monkeypatch, OrganizationAdmin, deactivation, "the deactivation")

    response = staff.post(page, data)
    deactivation.join(timeout=30)

    assert response.status_code == 302
    assert outcome == [None]
    assert not User.objects.get(pk=owner.pk).is_active


@on_postgresql
@pytest.mark.parametrize("model", ["organization", "greenhouseconnection", "user"])
def test_two_staff_deleting_the_same_rows_sorted_differently_both_go_through(
    admin_client, monkeypatch, model
):
    """Delete selected deleted the orgs (or disconnected them, or deleted the accounts) one at
    a time in the list's order: sorted by name one way and the other, each staff member held a
    row (or the site's listing row, which an org's delete writes) that the other waited for, a
    deadlock, which PostgreSQL ended by failing one of them (a server error page). The
    selected orgs (or accounts) are locked first, in one order."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs import admin as jobs_admin
    from jobs.models import Organization
    from tests.support.helpers import make_connection

    connected = [make_connection(name.lower(), "board", name=name) for name in ("A", "B", "C")]
    if model == "organization":
        selected = [connection.organization_id for connection in connected]
        name = "organization_delete"
    elif model == "greenhouseconnection":
        selected = [connection.pk for connection in connected]
        name = "connection_disconnect"
    else:
        selected = [User.objects.create_user(name).pk for name in ("a", "b", "c")]
        name = "user_delete"
    other_staff = Client()
    other_staff.force_login(User.objects.create_superuser("root2", "root2@example.com", "x"))
    delete = getattr(jobs_admin, name)
    first_deleted: set[int] = set()  # the threads that have deleted a row

    def delete_then_wait_for_the_other(**kwargs: Any) -> Any:
        deleted = delete(**kwargs)
        held_until_the_other_comes(first_deleted, "the other staff member")
        return deleted

    monkeypatch.setattr(jobs_admin, name, delete_then_wait_for_the_other)
    data = {"action": "delete_selected", "_selected_action": selected, "post": "yes"}
    by_name = iter([(admin_client, "1"), (other_staff, "-1")])  # ascending, descending

    def delete_selected() -> int:
        client, order = next(by_name)
        app = "auth" if model == "user" else "jobs"
        return client.post(f"/admin/{app}/{model}/?o={order}", data).status_code

    results = all_at_once(2, delete_selected)

    assert results == [302, 302], results
    assert User.objects.count() == 2  # the two staff members: any accounts selected went
    assert GreenhouseConnection.objects.exists() == (model == "user")
    assert Organization.objects.exists() == (model != "organization")


@on_postgresql
def test_staff_saving_a_job_as_their_account_is_deactivated_both_go_through(
    owner, member, monkeypatch
):
    """Deactivating an account locks it, then its orgs; Django's admin dated the job's org's
    listing, then, logging the save under the staff member's account as it committed, waited on
    that account: PostgreSQL found a deadlock and failed one of them (a server error page)."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs.models import Organization
    from tests.support.helpers import form_as_sent
    from tests.support.public_jobs import make_job

    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    staff = Client()
    staff.force_login(User.objects.get(pk=owner.pk))
    job = make_job(owner.memberships.get().organization, "Sailmaker")
    page = f"/admin/jobs/job/{job.pk}/change/"
    data = {**form_as_sent(staff.get(page).content, "#job_form"), "featured": "on"}

    deactivation, outcome = thread_with_outcome(lambda: account_deactivate_as_staff_do(owner.pk))
    mark_listing_changed = Organization.mark_listing_changed

    def deactivated_meanwhile(self: Organization) -> None:
        mark_listing_changed(self)
        started_until_it_waits_on_me_or_ends(deactivation, "the deactivation")

    monkeypatch.setattr(Organization, "mark_listing_changed", deactivated_meanwhile)

    response = staff.post(page, data)
    deactivation.join(timeout=30)

    assert response.status_code == 302
    assert outcome == [None]
    assert not User.objects.get(pk=owner.pk).is_active
    assert Job.objects.get(pk=job.pk).featured


@on_postgresql
@pytest.mark.parametrize("deleted", ["organization", "greenhouseconnection"])
def test_staff_deleting_an_org_or_its_board_as_their_account_is_deactivated_both_go_through(
    owner, member, monkeypatch, deleted
):
    """The delete locked the org, and Django's log of it waited as it committed on the staff
    member's account, which their deactivation, begun meanwhile, held while waiting for the org:
    a deadlock, which PostgreSQL ended by failing one of them (a server error page)."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs import admin as jobs_admin
    from jobs.models import Organization

    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    staff = Client()
    staff.force_login(User.objects.get(pk=owner.pk))
    organization = owner.memberships.get().organization

    deactivation, outcome = thread_with_outcome(lambda: account_deactivate_as_staff_do(owner.pk))
    name = "organization_delete" if deleted == "organization" else "connection_disconnect"
    delete = getattr(jobs_admin, name)

    def deactivated_meanwhile(**kwargs: Any) -> Any:
        result = delete(**kwargs)
        started_until_it_waits_on_me_or_ends(deactivation, "the deactivation")
        return result

    monkeypatch.setattr(jobs_admin, name, deactivated_meanwhile)
    row = organization.pk if deleted == "organization" else organization.greenhouse.pk

    response = staff.post(f"/admin/jobs/{deleted}/{row}/delete/", {"post": "yes"})
    deactivation.join(timeout=30)

    assert response.status_code == 302
    assert outcome == [None]
    assert not User.objects.get(pk=owner.pk).is_active
    assert not GreenhouseConnection.objects.exists()
    assert Organization.objects.filter(pk=organization.pk).exists() == (deleted != "organization")


@on_postgresql
@pytest.mark.parametrize("by", ["delete page", "delete action"])
def test_a_connection_deleted_in_django_admin_as_another_board_is_connected_is_kept(
    acme, admin_client, monkeypatch, by
):
    """Staff confirm the delete of a connection as its org's admin connects another board on
    it, holding its row: the delete waits, then finds the board its page showed gone, and
    deletes nothing (the new board's jobs would have closed, unasked)."""
    from jobs.connections import connection_save
    from jobs.greenhouse import Board
    from tests.support.helpers import admin_delete_confirmation

    url, confirmed = admin_delete_confirmation(admin_client, [acme], by=by)
    deletion, outcome = thread_with_outcome(
        lambda: admin_client.post(url, confirmed, follow=True).content.decode()
    )
    # The row locked, its new board not yet written.
    started_before(
        monkeypatch, GreenhouseConnection, "after_greenhouses_wait", deletion, "the admin's delete"
    )

    connection_save(organization=acme.organization, board=Board(token="tiny-co", name="Tiny"))
    deletion.join(timeout=30)

    [page] = outcome
    said = "Nothing was disconnected: the board of Acme Robotics was changed meanwhile, to"
    assert f"{said} “Tiny” (tiny-co)." in " ".join(page.split())
    assert GreenhouseConnection.objects.get(pk=acme.pk).board_token == "tiny-co"


def org_deleted_as_an_account_is(
    monkeypatch: pytest.MonkeyPatch, organization: Any, delete_account: Callable[[], Any]
) -> list[Any]:
    """Delete `organization` and, once its row is locked, run `delete_account` in a thread
    until it ends or waits on that lock; what it returned (or raised) once both are done."""
    from jobs import organizations
    from jobs.models import Organization
    from jobs.organizations import organization_delete

    account_deletion, outcome = thread_with_outcome(delete_account)
    # The org's row locked.
    started_before(
        monkeypatch, organizations, "invitations_delete", account_deletion, "the account's delete"
    )
    organization_delete(organization=Organization.objects.get(pk=organization.pk))
    account_deletion.join(timeout=30)
    return outcome


@on_postgresql
@pytest.mark.parametrize("role", ["admin", "member"])
def test_an_admin_deleting_their_account_as_their_org_is_deleted_is_deleted(
    owner, member, monkeypatch, role
):
    """The account's delete locks it, then waits for the org the delete holds, to check that it
    keeps another admin: it found none, the org gone, and was refused, told that the deleted
    org "has no other admin who can sign in". A member's waits for it too (staff may be making
    them its admin), and neither deadlocks."""
    from django.contrib.auth.models import User

    from jobs.memberships import account_delete
    from jobs.models import Organization

    organization = owner.memberships.get().organization
    leaving = owner if role == "admin" else member

    outcome = org_deleted_as_an_account_is(
        monkeypatch, organization, lambda: account_delete(user=User.objects.get(pk=leaving.pk))
    )

    assert outcome == [None]
    assert not User.objects.filter(pk=leaving.pk).exists()
    assert not Organization.objects.exists()


@on_postgresql
@pytest.mark.parametrize("made_admin", [False, True], ids=["in-no-org", "made-admin-by-staff"])
def test_an_org_deleted_as_an_account_its_invitation_made_is_deleted_both_go(
    acme, owner, monkeypatch, made_admin
):
    """The org's delete locks the org, then the never-used accounts its invitations made; the
    account's delete (by staff) locks it, then the orgs it is an admin of. Made an admin of the
    org by staff, the account was locked by one, the org by the other, each waiting for the
    other: a deadlock, which PostgreSQL ended by failing one of them (a server error page)."""
    from django.contrib.auth.models import User

    from jobs.memberships import member_invite, user_delete
    from jobs.models import Organization

    organization = acme.organization
    member_invite(organization=organization, email="new@acme.example", role="admin")
    unused = User.objects.get(email="new@acme.example")
    if made_admin:
        Membership.objects.create(
            organization=organization, user=unused, role=Membership.Role.ADMIN
        )

    # As staff delete it in Django's admin.
    outcome = org_deleted_as_an_account_is(
        monkeypatch, organization, lambda: user_delete(user=User.objects.get(pk=unused.pk))
    )

    assert outcome == [None]
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]
    assert not Organization.objects.exists()


@on_postgresql
def test_an_account_whose_password_is_set_as_the_org_that_invited_it_is_deleted_stays(acme):
    """The org's delete deletes the accounts its invitations made that were never used: one
    whose password its owner was setting through the emailed link at that moment was read as
    never used, and deleted once the password was saved. The delete locks those accounts, then
    reads them again: it waits for the password, and the account stays."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from jobs.memberships import member_invite
    from jobs.models import Organization
    from jobs.organizations import organization_delete

    organization = acme.organization
    member_invite(organization=organization, email="new@acme.example", role="member")

    def delete() -> int:
        org = Organization.objects.get(pk=organization.pk)
        return organization_delete(organization=org)

    deletion, outcome = thread_with_outcome(delete)
    with transaction.atomic():  # as the password reset page saves it
        account = User.objects.get(email="new@acme.example")
        account.set_password("a long enough passphrase")
        account.save()
        started_until_it_waits_on_me_or_ends(deletion, "the org's delete")
    deletion.join(timeout=30)

    assert outcome == [0]
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert User.objects.get(email="new@acme.example").has_usable_password()


@on_postgresql
@pytest.mark.parametrize("removed", ["before-the-check", "after-the-check"])
def test_a_member_row_removed_on_the_members_page_as_django_admin_saves_it_stays_removed(
    admin_client, owner, member, monkeypatch, removed
):
    """Removed after Django's admin read it: the save wrote it back (Django saves a row it no
    longer finds as a new one), so the member removed was a member again. Removed before the
    save's check, the page says so and saves nothing; after it, the removal waits for the save.
    The save reads the rows under the org's lock (RowLockedForItsChange), which a removal takes
    too: one holding it as the save starts is before the check, its rows read after it."""
    from jobs.admin import OrganizationAdmin
    from jobs.memberships import membership_remove
    from tests.support.helpers import form_as_sent

    organization = owner.memberships.get().organization
    page = f"/admin/jobs/organization/{organization.pk}/change/"
    data = form_as_sent(admin_client.get(page).content, "#organization_form")
    bob = str(member.memberships.get().pk)
    data[member_row_prefix(data, bob) + "-role"] = Membership.Role.ADMIN

    def remove_bob() -> None:
        return membership_remove(membership=Membership.objects.get(user=member))

    if removed == "before-the-check":
        # The members page's removal, the org locked until it commits.
        outcome, response = saved_as_this_holds_its_locks(
            remove_bob, lambda: admin_client.post(page, data), "the save"
        )
    else:
        members_page, outcome = thread_with_outcome(remove_bob)
        saves_in_the_admin_start(monkeypatch, OrganizationAdmin, members_page, "the members page")
        response = admin_client.post(page, data)
        members_page.join(timeout=30)

    assert outcome == [None]
    assert not Membership.objects.filter(user=member).exists()
    if removed == "before-the-check":
        assert response.status_code == 200
        assert "bob was removed from Acme Robotics meanwhile" in response.content.decode()
    else:
        assert response.status_code == 302


@on_postgresql
@pytest.mark.parametrize("alice", ["admin", "member"], ids=["bob-one-of-two", "bob-the-only"])
def test_a_member_deleting_their_account_as_django_admin_saves_their_row_is_deleted(
    admin_client, owner, member, monkeypatch, alice
):
    """Deleting an account locks no org it is only a member of: its member row, deleted after
    the save's check, came back as the save wrote it (Django saves a row it no longer finds as
    a new one), for an account gone, and the save's commit failed, a server error page. The
    rows a save changes are locked with the org: the account's delete waits for the save. Made
    the org's only admin by that save, Bob was deleted all the same, read as a member: the
    delete locks every org he belongs to, and reads his role after the lock."""
    from django.contrib.auth.models import User

    from jobs.admin import OrganizationAdmin
    from jobs.memberships import account_delete
    from tests.support.helpers import form_as_sent

    organization = owner.memberships.get().organization
    page = f"/admin/jobs/organization/{organization.pk}/change/"
    data = form_as_sent(admin_client.get(page).content, "#organization_form")
    bob = str(member.memberships.get().pk)
    data[member_row_prefix(data, bob) + "-role"] = Membership.Role.ADMIN
    alices = str(owner.memberships.get().pk)
    data[member_row_prefix(data, alices) + "-role"] = alice

    def delete_bobs_account() -> None:
        return account_delete(user=User.objects.get(pk=member.pk))

    account_deletion, outcome = thread_with_outcome(delete_bobs_account)
    saves_in_the_admin_start(
        monkeypatch, OrganizationAdmin, account_deletion, "the account's delete"
    )

    response = admin_client.post(page, data)
    account_deletion.join(timeout=30)

    assert response.status_code == 302
    if alice == "admin":
        assert outcome == [None]
        assert list(organization.memberships.values_list("user__username", "role")) == [
            ("alice", "admin")
        ]
    else:
        assert [type(result) for result in outcome] == [MembershipError], outcome
        assert sorted(organization.memberships.values_list("user__username", "role")) == [
            ("alice", "member"),
            ("bob", "admin"),
        ]


@on_postgresql
@pytest.mark.parametrize("deleted", ["before-the-accounts-lock", "after-it"])
def test_an_account_deleted_as_django_admin_adds_it_to_an_org_is_deleted(
    admin_client, owner, monkeypatch, deleted
):
    """Staff add Carol to an org in Django's admin as her account is deleted. The new row's key
    on her account is checked as the save commits: the delete, begun meanwhile, went through
    first, and the save failed (a server error page). The save locks the accounts it gives
    rows, after the org: deleted before, the page says so, saving nothing; after, the delete
    waits for the save, and takes the row with the account."""
    from django.contrib.auth.models import User

    from jobs import admin as jobs_admin
    from jobs.memberships import user_delete
    from tests.support.helpers import form_as_sent

    organization = owner.memberships.get().organization
    carol = User.objects.create_user("carol", "carol@example.com", "a passphrase")
    page = f"/admin/jobs/organization/{organization.pk}/change/"
    data = form_as_sent(admin_client.get(page).content, "#organization_form")
    new_row = data["memberships-TOTAL_FORMS"]
    data.update(
        {
            "memberships-TOTAL_FORMS": str(int(new_row) + 1),
            f"memberships-{new_row}-user": str(carol.pk),
            f"memberships-{new_row}-role": Membership.Role.MEMBER,
        }
    )
    deletion, outcome = thread_with_outcome(lambda: user_delete(user=carol))
    if deleted == "after-it":
        saves_in_the_admin_start(monkeypatch, jobs_admin.OrganizationAdmin, deletion, "the delete")
    else:
        started_before(monkeypatch, jobs_admin, "rows_key_share_lock", deletion, "the delete")

    response = admin_client.post(page, data)
    deletion.join(timeout=30)

    assert outcome == [None]
    assert not User.objects.filter(pk=carol.pk).exists()
    assert list(organization.memberships.values_list("user__username", flat=True)) == ["alice"]
    if deleted == "after-it":
        assert response.status_code == 302
    else:
        assert jobs_admin.ACCOUNT_DELETED_MEANWHILE_MESSAGE in response.content.decode()


@on_postgresql
@pytest.mark.parametrize("deleted", ["before-the-lock", "after-it"])
def test_an_account_deleted_as_an_org_invites_its_address_answers_both(
    owner, mailoutbox, monkeypatch, deleted
):
    """An org's admin invites Carol's address as staff delete her account. The invitation's key
    on her account is checked as it commits: the delete, begun meanwhile, went through first,
    and the invitation failed (a server error page). The invitation locks the account it found,
    under the org's lock: deleted before, the address is new here and gets an account of its
    own; after, the delete waits for the invitation, and takes it with the account."""
    from django.contrib.auth.models import User

    from jobs import memberships
    from jobs.memberships import member_invite, user_delete
    from jobs.models import Invitation

    organization = owner.memberships.get().organization
    carol = User.objects.create_user("carol", "carol@example.com", "a passphrase")
    deletion, outcome = thread_with_outcome(lambda: user_delete(user=carol))
    if deleted == "before-the-lock":
        accounts_with_email = memberships.accounts_with_email

        def found_then_deleted(email: str) -> list[Any]:
            found = accounts_with_email(email)
            started_until_it_waits_on_me_or_ends(deletion, "the delete")
            return found

        monkeypatch.setattr(memberships, "accounts_with_email", found_then_deleted)
    else:
        started_before(monkeypatch, Invitation.objects, "update_or_create", deletion, "the delete")

    invited = member_invite(organization=organization, email=carol.email, role="member")
    deletion.join(timeout=30)

    assert invited.emailed
    assert outcome == [None]
    assert not User.objects.filter(pk=carol.pk).exists()
    if deleted == "after-it":
        assert not Invitation.objects.exists()
    else:
        assert Invitation.objects.get().user.email == carol.email


@on_postgresql
def test_a_member_removed_on_the_members_page_as_staff_make_them_the_only_admin_stays(
    admin_client, owner, member, monkeypatch
):
    """The members page read Bob as a member, so removing him checked nothing; staff were
    making him the org's admin, and Alice a member, in Django's admin: the removal waited for
    that save, then removed its only admin. It now waits for the org's lock and reads his role
    after it: refused, as removing the only admin is."""
    from jobs.admin import OrganizationAdmin
    from jobs.memberships import membership_remove
    from tests.support.helpers import form_as_sent

    organization = owner.memberships.get().organization
    page = f"/admin/jobs/organization/{organization.pk}/change/"
    data = form_as_sent(admin_client.get(page).content, "#organization_form")
    roles = {str(owner.memberships.get().pk): "member", str(member.memberships.get().pk): "admin"}
    for key, value in list(data.items()):
        if key.endswith("-id") and value in roles:
            data[key.removesuffix("-id") + "-role"] = roles[value]

    def remove_bob() -> None:
        return membership_remove(membership=Membership.objects.get(user=member))

    members_page, outcome = thread_with_outcome(remove_bob)
    saves_in_the_admin_start(monkeypatch, OrganizationAdmin, members_page, "the members page")

    response = admin_client.post(page, data)
    members_page.join(timeout=30)

    assert response.status_code == 302
    assert [type(result) for result in outcome] == [MembershipError], outcome
    assert sorted(organization.memberships.values_list("user__username", "role")) == [
        ("alice", "member"),
        ("bob", "admin"),
    ]


@on_postgresql
def test_two_saves_of_an_orgs_page_in_django_admin_at_once_both_save(admin_user, acme, monkeypatch):
    """Each save locks the org's row for update before it reads it (OrganizationAdmin.row_lock):
    locked FOR KEY SHARE first, as for a row pointing to it, two saves at once each held that
    while waiting for the other's to lock it for update, a deadlock (one a server error page).
    Any such lock waits here until the other save has come too, or waits on it."""
    from jobs import admin as jobs_admin

    organization = acme.organization
    page = f"/admin/jobs/organization/{organization.pk}/change/"
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(admin_user)
    shown = form_as_sent(clients[0].get(page).content, "#organization_form")
    sent = iter(
        [
            (clients[0], {**shown, "description": "Robots for everyone."}),
            (clients[1], {**shown, "website": "https://robots.example"}),
        ]
    )
    held_once_locked(monkeypatch, jobs_admin, "organizations_key_share_lock", "the other save")
    lock = threading.Lock()

    def save() -> Any:
        with lock:
            client, data = next(sent)
        return client.post(page, data).status_code

    assert all_at_once(2, save) == [302, 302]
    organization.refresh_from_db()
    assert (organization.description, organization.website) == (
        "Robots for everyone.",
        "https://robots.example",
    )


@on_postgresql
@pytest.mark.parametrize("deleted", ["as-the-save-starts", "once-the-save-locked-the-org"])
def test_an_org_deleted_as_its_member_rows_are_saved_in_django_admin_is_not_found_or_waits(
    admin_client, owner, member, monkeypatch, deleted
):
    """Deleted after the request read the org, before its member rows were read: Django found
    none of them, and said "Select a valid choice" of each (shown nowhere on the page), where
    an org deleted before is not found. After the rows were read, the page would say that its
    members were removed. The save reads the org, then its rows, under the org's lock
    (RowLockedForItsChange), which a delete takes too: one holding it as the save starts leaves
    no org to find, which Django's page says, and one begun once the save holds it waits for
    the save, then deletes the org."""
    from django.contrib.messages import get_messages

    from jobs.admin import OrganizationAdminForm
    from jobs.models import Organization
    from jobs.organizations import organization_delete
    from tests.support.helpers import form_as_sent

    organization = owner.memberships.get().organization
    page = f"/admin/jobs/organization/{organization.pk}/change/"
    data = form_as_sent(admin_client.get(page).content, "#organization_form")
    bob = str(member.memberships.get().pk)
    data[member_row_prefix(data, bob) + "-role"] = Membership.Role.ADMIN

    def delete() -> int:  # by an admin of the org, or other staff
        org = Organization.objects.get(pk=organization.pk)
        return organization_delete(organization=org)

    if deleted == "as-the-save-starts":
        # The org locked until the delete commits.
        outcome, response = saved_as_this_holds_its_locks(
            delete, lambda: admin_client.post(page, data), "the save"
        )
    else:
        deletion, outcome = thread_with_outcome(delete)
        started_before(monkeypatch, OrganizationAdminForm, "clean", deletion, "the delete")
        response = admin_client.post(page, data)
        deletion.join(timeout=30)

    assert outcome == [0]
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert response.status_code == 302
    said = [message.message for message in get_messages(response.wsgi_request)]
    if deleted == "as-the-save-starts":
        assert response.url == "/admin/"
        assert said == [
            f"organization with ID “{organization.pk}” doesn’t exist. Perhaps it was deleted?"
        ]
    else:
        assert response.url == page  # as its button "Save and continue editing" asks
        assert len(said) == 1 and "was changed successfully" in said[0]


@on_postgresql
def test_staff_deactivating_an_admin_as_their_own_account_is_deactivated_both_go_through(
    owner, member, monkeypatch
):
    """Alice, staff and an admin of the org, deactivates Bob, its other admin, in Django's
    admin, which locks his account, then the org; as another staff member deactivated Alice,
    which locks her account, then the org. Django's log of Alice's save waited on her account
    as it committed, holding the org hers waited for: a deadlock, which PostgreSQL ended by
    failing one of them (a server error page)."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs.admin import UserAdmin
    from tests.support.helpers import form_as_sent

    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    carol = User.objects.create_user("carol", "carol@acme.example", "correct horse battery")
    organization = owner.memberships.get().organization
    Membership.objects.create(organization=organization, user=carol, role=Membership.Role.ADMIN)
    staff = Client()
    staff.force_login(User.objects.get(pk=owner.pk))
    page = f"/admin/auth/user/{member.pk}/change/"
    data = form_as_sent(staff.get(page).content, "#user_form")
    data.pop("is_active")  # unticked

    deactivation, outcome = thread_with_outcome(lambda: account_deactivate_as_staff_do(owner.pk))
    saves_in_the_admin_start(
        monkeypatch, UserAdmin, deactivation, "the deactivation", after_the_save=True
    )

    response = staff.post(page, data)
    deactivation.join(timeout=30)

    assert response.status_code == 302
    assert outcome == [None]
    assert not User.objects.filter(pk__in=[owner.pk, member.pk], is_active=True).exists()


@on_postgresql
@pytest.mark.parametrize("ended", ["deactivated", "deleted"])
def test_staff_saving_a_greenhouse_connection_as_their_account_is_ended_both_go_through(
    owner, member, monkeypatch, ended
):
    """Deleting an account locks it, then its orgs; the connection's save locks no org, so the
    delete of the staff member's own account, begun meanwhile, went through first, and Django's
    log of the save, under that account, failed as it committed (a server error page). The save
    locks the account first: the delete waits. A deactivation never failed it (the log waits
    for it as it commits, and it waits for nothing the save holds): pinned, not to lock an org
    before the account."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs.admin import GreenhouseConnectionAdmin
    from jobs.memberships import user_delete
    from tests.support.helpers import form_as_sent

    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    staff = Client()
    staff.force_login(User.objects.get(pk=owner.pk))
    connection = owner.memberships.get().organization.greenhouse
    page = f"/admin/jobs/greenhouseconnection/{connection.pk}/change/"
    data = form_as_sent(staff.get(page).content, "#greenhouseconnection_form")
    data["sync_interval_minutes"] = "90"

    def end_alices_account() -> None:  # as another staff member does it in Django's admin
        if ended == "deleted":
            user_delete(user=User.objects.get(pk=owner.pk))
        else:
            account_deactivate_as_staff_do(owner.pk)

    other_staff, outcome = thread_with_outcome(end_alices_account)
    saves_in_the_admin_start(
        monkeypatch,
        GreenhouseConnectionAdmin,
        other_staff,
        "the other staff member",
        after_the_save=True,
    )

    response = staff.post(page, data)
    other_staff.join(timeout=30)

    assert response.status_code == 302
    assert outcome == [None]
    assert GreenhouseConnection.objects.get(pk=connection.pk).sync_interval_minutes == 90
    assert not User.objects.filter(pk=owner.pk, is_active=True).exists()


def test_every_write_on_every_django_admin_page_locks_the_staff_members_account_first(
    owner, monkeypatch
):
    """Each registered model's pages (auth's users and groups, a password's, a delete's, a list's
    actions) come through the site's admin_view, which locks the staff member's account before
    a write runs: a page of its own, out of it, would log under an account deleted meanwhile."""
    from django.contrib import admin
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    from jobs import admin_site

    class AccountLocked(Exception):
        pass

    def account_locked(staff_id: int, **others: Any) -> None:  # before the page's view runs
        raise AccountLocked(staff_id)

    monkeypatch.setattr(admin_site, "staff_account_lock", account_locked)
    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    staff = User.objects.get(pk=owner.pk)
    pages = [
        (model, pattern)
        for model, model_admin in admin.site._registry.items()
        for pattern in model_admin.urls
    ]
    assert {model._meta.model_name for model, _ in pages} >= {"user", "group", "organization"}
    for _, pattern in pages:
        request = RequestFactory().post("/admin/")
        request.user = staff
        request._dont_enforce_csrf_checks = True  # a page's form sends its token
        with pytest.raises(AccountLocked):
            pattern.callback(request)


@on_postgresql
@pytest.mark.parametrize(
    "page",
    [
        "auth/user/{bob}/change/",
        "auth/user/{bob}/password/",
        "auth/user/add/",
        "auth/group/add/",
        "jobs/organization/add/",
    ],
)
def test_staff_saving_any_admin_page_as_their_account_is_deleted_both_go_through(
    owner, member, monkeypatch, page
):
    """Django logs every save in its admin under the staff member's account, checked as it
    commits: a delete of that account by other staff, begun meanwhile, went through first, and
    the log then failed (a server error page), for a page whose save locked nothing the delete
    waited for (an account's name, a password, a group, a new org). Every write in the admin
    locks the account first: the delete waits for the save."""
    from django.contrib import admin
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs.memberships import user_delete
    from tests.support.helpers import form_as_sent

    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    staff = Client()
    staff.force_login(User.objects.get(pk=owner.pk))
    page = "/admin/" + page.format(bob=member.pk)
    data = form_as_sent(staff.get(page).content, "#content-main form")
    data.update(
        first_name="Robert",
        username="carol",
        password1="a long enough passphrase",
        password2="a long enough passphrase",
        usable_password="true",  # form_as_sent sends a group's last radio button ("false")
        name="Carol's",
        slug="carols",
    )
    other_staff, outcome = thread_with_outcome(
        lambda: user_delete(user=User.objects.get(pk=owner.pk))
    )
    for name in ("log_addition", "log_change"):  # the save done, not yet logged
        started_before(monkeypatch, admin.ModelAdmin, name, other_staff, "the other staff member")

    response = staff.post(page, data)
    other_staff.join(timeout=30)

    assert response.status_code == 302, response.content
    assert outcome == [None]
    assert not User.objects.filter(pk=owner.pk).exists()


@on_postgresql
def test_staff_editing_the_account_of_staff_deleting_theirs_at_once_both_go_through(
    owner, member, monkeypatch
):
    """Each write in Django's admin locks its staff member's account first, and deleting an
    account locks it: Bob deleting Alice's waits for her save of his. Locked for update, his own
    lock held his account from her save, which held hers from his delete: a deadlock, which
    PostgreSQL ended by failing one of them (a server error page). A key-share lock, it does
    not."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs.admin import UserAdmin
    from tests.support.helpers import form_as_sent

    User.objects.filter(pk__in=[owner.pk, member.pk]).update(is_staff=True, is_superuser=True)
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    alice, bob = Client(), Client()
    alice.force_login(User.objects.get(pk=owner.pk))
    bob.force_login(User.objects.get(pk=member.pk))
    page = f"/admin/auth/user/{member.pk}/change/"
    data = {**form_as_sent(alice.get(page).content, "#user_form"), "first_name": "Robert"}
    delete_page = f"/admin/auth/user/{owner.pk}/delete/"
    deletion, outcome = thread_with_outcome(
        lambda: bob.post(delete_page, {"post": "yes"}).status_code
    )
    # Before Bob's row is written.
    saves_in_the_admin_start(monkeypatch, UserAdmin, deletion, "Bob's delete")

    response = alice.post(page, data)
    deletion.join(timeout=30)

    assert response.status_code == 302
    assert outcome == [302]
    assert not User.objects.filter(pk=owner.pk).exists()
    assert User.objects.get(pk=member.pk).first_name == "Robert"


@on_postgresql
@pytest.mark.parametrize(
    "ending", ["delete", "delete-selected", "delete-all-found", "deactivate", "password-off"]
)
def test_two_staff_ending_each_others_accounts_at_once_one_goes_the_other_is_signed_out(
    db, monkeypatch, ending
):
    """Ann and Ben, staff, each delete the other's account in Django's admin at once (from its
    page or with Delete selected), or deactivate it, or turn its password off. Each write there
    locks its staff member's account first, then the account it ends: each held the one the
    other waited for, a deadlock, which PostgreSQL ended by failing one of them (a server error
    page). The accounts are locked in one order: the second waits for the first, then finds its
    session signs in nobody and is sent to the sign-in page, as Django's admin answers anyone
    who may not use it, its write not made (it failed, logged under a deleted account, or
    ended the first's account too)."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs import admin as jobs_admin
    from jobs.memberships import can_sign_in
    from tests.support.helpers import form_as_sent

    ann, ben = (
        User.objects.create_superuser(name, f"{name}@example.com", "x") for name in ("ann", "ben")
    )
    posts = []
    for staff, other in [(ann, ben), (ben, ann)]:
        client = Client()
        client.force_login(staff)
        page = f"/admin/auth/user/{other.pk}/"
        if ending == "delete":
            page, data = f"{page}delete/", {"post": "yes"}
        elif ending == "delete-selected":
            page = "/admin/auth/user/"
            data = {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"}
        elif ending == "delete-all-found":
            # "Select all" on the list searched for the other: the action is given every account
            # found, whatever boxes were ticked. Sent by hand: the confirmation page sends the
            # boxes of the accounts it lists, not select_across.
            page = f"/admin/auth/user/?q={other.username}"
            data = {
                "action": "delete_selected",
                "select_across": "1",
                "_selected_action": ["none"],
                "post": "yes",
            }
        elif ending == "deactivate":
            page = f"{page}change/"
            data = form_as_sent(client.get(page).content, "#user_form")
            data.pop("is_active")  # unticked
        else:
            page, data = f"{page}password/", {"usable_password": "false", "unset-password": "1"}
        posts.append((staff.username, client, page, data))
    # Where each ends the other's account, its own locked: both wait there for the other.
    owner_class, method = {
        "delete": (jobs_admin.UserAdmin, "delete_model"),
        "delete-selected": (jobs_admin.UserAdmin, "delete_queryset"),
        "delete-all-found": (jobs_admin.UserAdmin, "delete_queryset"),
        "deactivate": (jobs_admin.UserAdmin, "save_model"),
        "password-off": (jobs_admin.PasswordChangeKeepingAdminsForm, "save"),
    }[ending]
    ends_the_other = getattr(owner_class, method)
    holding_their_own: set[int] = set()

    def held_then_ending(self: Any, *args: Any, **kwargs: Any) -> Any:
        held_until_the_other_comes(holding_their_own, "the other staff member")
        return ends_the_other(self, *args, **kwargs)

    monkeypatch.setattr(owner_class, method, held_then_ending)
    works = iter(posts)

    def post() -> tuple[str, str]:
        username, client, page, data = next(works)
        return username, client.post(page, data)["Location"]

    results = all_at_once(2, post)

    assert not any(isinstance(result, Exception) for result in results), results
    [first] = [user.username for user in User.objects.all() if can_sign_in(user)]
    sent_to = dict(results)
    assert not sent_to.pop(first).startswith("/admin/login/")  # its write done
    assert [page.partition("?")[0] for page in sent_to.values()] == ["/admin/login/"]


@on_postgresql
@pytest.mark.parametrize("change", ["staff-status-off", "password-set"])
def test_staff_writing_as_others_take_their_staff_status_or_set_their_password_are_signed_out(
    owner, member, monkeypatch, change
):
    """Bob, staff, saves Alice's account in Django's admin as she turns his staff status off,
    or sets him a new password (which signs his sessions out). Her save holds her account,
    which his write locks first: he waits, then his session is read again and he is sent to the
    sign-in page, as Django's admin answers anyone who may not use it, his write not made (it
    went through after hers, made by someone no longer staff, or signed out)."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs.admin import PasswordChangeKeepingAdminsForm, UserAdmin
    from tests.support.helpers import form_as_sent

    User.objects.filter(pk__in=[owner.pk, member.pk]).update(is_staff=True, is_superuser=True)
    alice, bob = Client(), Client()
    alice.force_login(User.objects.get(pk=owner.pk))
    bob.force_login(User.objects.get(pk=member.pk))
    alices_page = f"/admin/auth/user/{owner.pk}/change/"
    bobs_write = {**form_as_sent(bob.get(alices_page).content, "#user_form"), "first_name": "Al"}
    bobs, sent_to = thread_with_outcome(lambda: bob.post(alices_page, bobs_write)["Location"])
    if change == "staff-status-off":
        page = f"/admin/auth/user/{member.pk}/change/"
        data = form_as_sent(alice.get(page).content, "#user_form")
        data.pop("is_staff")  # unticked
        saves_in_the_admin_start(monkeypatch, UserAdmin, bobs, "Bob's write")
    else:
        page = f"/admin/auth/user/{member.pk}/password/"
        new_password = "a new passphrase for Bob"
        data = {"usable_password": "true", "password1": new_password, "password2": new_password}
        saves_in_the_admin_start(
            monkeypatch, PasswordChangeKeepingAdminsForm, bobs, "Bob's write", method="save"
        )

    response = alice.post(page, data)
    bobs.join(timeout=30)

    assert response.status_code == 302
    assert [location.partition("?")[0] for location in sent_to] == ["/admin/login/"]
    assert User.objects.get(pk=owner.pk).first_name == ""


@on_postgresql
@pytest.mark.parametrize("meanwhile", ["deactivated", "staff status taken", "deleted"])
def test_a_password_set_in_django_admin_as_other_staff_end_the_account_keeps_that_done(
    owner, member, monkeypatch, meanwhile
):
    """Alice sets Bob's password in Django's admin as Ben deactivates Bob, takes his staff
    status or deletes him. Alice's page saved Bob's account whole as read, undoing Ben's change,
    or making the account again, a superuser's, where its lock of the account did not hold Ben
    up: at an address that spelt Bob's id otherwise ("_2B2", quoted "+2", now not found). Ben's
    write waits for the page, which saves the password alone, and then goes through."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs.admin import PasswordChangeKeepingAdminsForm

    User.objects.filter(pk__in=[owner.pk, member.pk]).update(is_staff=True, is_superuser=True)
    alice = Client()
    alice.force_login(User.objects.get(pk=owner.pk))
    bob = User.objects.filter(pk=member.pk)
    bens, _ = thread_with_outcome(
        {
            "deactivated": lambda: bob.update(is_active=False),
            "staff status taken": lambda: bob.update(is_staff=False, is_superuser=False),
            "deleted": bob.delete,
        }[meanwhile]
    )
    saves_in_the_admin_start(
        monkeypatch, PasswordChangeKeepingAdminsForm, bens, "Ben's write", method="save"
    )
    new = "a new passphrase for Bob"

    alice.post(
        f"/admin/auth/user/{member.pk}/password/",
        {"usable_password": "true", "password1": new, "password2": new},
    )
    bens.join(timeout=30)

    now = bob.first()
    if meanwhile == "deleted":
        assert now is None
        return
    assert (now.is_active, now.is_staff) == (meanwhile != "deactivated", meanwhile == "deactivated")
    assert now.check_password(new)


@on_postgresql
@pytest.mark.parametrize("may_change_accounts", [False, True])
def test_staff_saving_their_account_as_others_take_their_superuser_status_keep_only_their_rights(
    owner, member, monkeypatch, may_change_accounts
):
    """Bob, a superuser, saves his account in Django's admin as Alice takes his superuser
    status, leaving him staff. His write waits for hers (the test above), then ran as a
    superuser's: it was saved, "Superuser status" ticked as his page showed it, which gave that
    status back. It is checked with the rights left him: without a permission to change
    accounts it is refused as Django refuses staff without it (a 403); with one, his account is
    saved, but not that status, which only a superuser sets."""
    from django.contrib.auth.models import Permission, User
    from django.test import Client

    from jobs.admin import UserAdmin
    from tests.support.helpers import form_as_sent

    User.objects.filter(pk__in=[owner.pk, member.pk]).update(is_staff=True, is_superuser=True)
    if may_change_accounts:
        member.user_permissions.add(Permission.objects.get(codename="change_user"))
    alice, bob = Client(), Client()
    alice.force_login(User.objects.get(pk=owner.pk))
    bob.force_login(User.objects.get(pk=member.pk))
    page = f"/admin/auth/user/{member.pk}/change/"
    bobs_write = {**form_as_sent(bob.get(page).content, "#user_form"), "first_name": "Robert"}
    assert bobs_write["is_superuser"] == "on"
    bobs, answered = thread_with_outcome(lambda: bob.post(page, bobs_write).status_code)
    alices_write = form_as_sent(alice.get(page).content, "#user_form")
    alices_write.pop("is_superuser")  # unticked
    save = UserAdmin.save_model

    def alices_save_started_before_bobs(self: Any, request: Any, *args: Any) -> None:
        if request.user.pk == owner.pk:  # Bob's own save runs it too, once his write goes on
            started_until_it_waits_on_me_or_ends(bobs, "Bob's write")
        save(self, request, *args)

    monkeypatch.setattr(UserAdmin, "save_model", alices_save_started_before_bobs)

    response = alice.post(page, alices_write)
    bobs.join(timeout=30)

    assert response.status_code == 302
    assert answered == [302 if may_change_accounts else 403]
    bob_now = User.objects.get(pk=member.pk)
    assert (bob_now.is_staff, bob_now.is_superuser) == (True, False)
    assert bob_now.first_name == ("Robert" if may_change_accounts else "")


@on_postgresql
def test_staff_changing_their_password_in_two_tabs_at_once_keep_the_first_saved(owner, monkeypatch):
    """Both tabs' writes hold the admin's lock of Alice's account (FOR KEY SHARE) as each saves
    her password: a save that locked the row FOR UPDATE waited for the other tab's, each for
    the other's, a deadlock, one tab's page an error. The second waits for the first, whose
    password is saved; the second's page read another, which stays, and it is signed out."""
    from django.contrib.auth.models import User
    from django.test import Client

    from jobs.forms import PasswordRulesOnTheirField

    User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    first, second = Client(), Client()
    for tab in (first, second):
        tab.force_login(User.objects.get(pk=owner.pk))

    def change(tab: Client, new: str) -> int:
        sent = {"old_password": "correct horse battery", "new_password1": new, "new_password2": new}
        return tab.post("/admin/password_change/", sent).status_code

    firsts, answered = thread_with_outcome(lambda: change(first, "the first tab's passphrase"))
    check = PasswordRulesOnTheirField.validate_password_for_user
    main = threading.current_thread()

    def second_tab_checked_first(self: Any, *args: Any) -> None:
        check(self, *args)
        if threading.current_thread() is main:
            started_until_it_waits_on_me_or_ends(firsts, "the first tab's change")

    monkeypatch.setattr(
        PasswordRulesOnTheirField, "validate_password_for_user", second_tab_checked_first
    )

    seconds = change(second, "the second tab's passphrase")
    firsts.join(timeout=30)

    assert (answered, seconds) == ([302], 302)
    assert User.objects.get(pk=owner.pk).check_password("the first tab's passphrase")
    assert first.get("/admin/").status_code == 200
    assert second.get("/admin/").status_code == 302  # to the sign-in page


@on_postgresql
def test_a_password_changed_in_two_tabs_at_once_keeps_the_first_saved(owner, monkeypatch):
    """Alice's first tab has saved her new password, not yet committed, as her second, which
    read the one before, sends its own: without the first's lock of the row, the second found
    the password it read, waited to write its own, then wrote it over the first's. It waits for
    the first, finds another password, saves nothing, and says so, signed out."""
    from django.contrib.auth.models import User
    from django.test import Client

    first, second = Client(), Client()
    for tab in (first, second):
        tab.force_login(User.objects.get(pk=owner.pk))

    def change(tab: Client, new: str) -> str:
        sent = {"old_password": "correct horse battery", "new_password1": new, "new_password2": new}
        return tab.post("/accounts/password_change/", sent)["Location"]

    seconds, answered = thread_with_outcome(lambda: change(second, "the second tab's passphrase"))
    save = User.save
    main = threading.current_thread()

    def first_tab_saved_then_second_sent(self: Any, *args: Any, **kwargs: Any) -> None:
        save(self, *args, **kwargs)
        if threading.current_thread() is main:
            started_until_it_waits_on_me_or_ends(seconds, "the second tab's change")

    monkeypatch.setattr(User, "save", first_tab_saved_then_second_sent)

    firsts = change(first, "the first tab's passphrase")
    seconds.join(timeout=30)

    assert (firsts, answered) == ("/accounts/password_change/done/", ["/accounts/login/"])
    assert User.objects.get(pk=owner.pk).check_password("the first tab's passphrase")
    assert first.get("/manage/").status_code == 200
    assert second.get("/manage/").status_code == 302  # to the sign-in page


@on_postgresql
def test_an_api_key_set_as_another_board_is_connected_is_not_made_to_it(acme):
    """The key's page read the connection; another board is stored on it, not yet committed:
    the key's write waits on the row's lock, then reads the new board and is refused
    (ConnectionChanged), where it stored a key meant for one board on another's connection."""
    from django.db import transaction

    from jobs.connections import ConnectionChanged, connection_api_key_set, connection_save
    from jobs.greenhouse import Board

    as_the_page_read_it = GreenhouseConnection.objects.get(pk=acme.pk)
    key_set, outcome = thread_with_outcome(
        lambda: connection_api_key_set(connection=as_the_page_read_it, api_key="acme-key-24680")
    )
    with transaction.atomic():
        board = Board(token="tiny-co", name="Tiny Co.")
        connection_save(organization=acme.organization, board=board)
        started_until_it_waits_on_me_or_ends(key_set, "the key's write")
    key_set.join(timeout=30)

    assert [type(result) for result in outcome] == [ConnectionChanged]
    acme.refresh_from_db()
    assert (acme.board_token, acme.api_key_last5) == ("tiny-co", "")


def settings_form_sent_as_another_admin_saves(
    client: Any, connection: GreenhouseConnection, change: dict[str, Any], other: Callable
) -> str:
    """Sends `change` (None: a box left unticked) from the settings page's form for its
    action, the page read first, as `other` (another admin's change of the connection) holds
    the row's lock, not yet committed: the request reads the connection as it was, then waits
    for that lock to write. What the page then says, in one line."""
    from bs4 import BeautifulSoup
    from django.db import transaction

    from tests.support.helpers import form_as_sent

    url = f"/manage/{connection.organization.slug}/settings/"
    page = client.get(url).content
    sent = {**form_as_sent(page, f"form:has(input[value={change['action']}])"), **change}
    data = {name: value for name, value in sent.items() if value is not None}
    request, outcome = thread_with_outcome(lambda: client.post(url, data, follow=True))
    with transaction.atomic():
        other()
        started_until_it_waits_on_me_or_ends(request, "the settings page's request")
    request.join(timeout=30)
    [response] = outcome
    return " ".join(BeautifulSoup(response.content, "html.parser").text.split())


@on_postgresql
@pytest.mark.parametrize("page", ["job", "profile"])
def test_a_save_as_another_admin_deletes_the_org_waits_and_says_it_no_longer_exists(
    signed_in, acme, page
):
    """The other admin's delete holds the org's rows, not yet committed, as this request, which
    has read the org (and the job), comes to lock the row it saves, sent as shown: it waits for
    the delete, finds the row gone, and says so. It said "Nothing changed" of a job, or a
    public page, no longer there."""
    from jobs.organizations import organization_delete
    from tests.support.helpers import assert_says_organization_gone
    from tests.support.public_jobs import make_job

    job = make_job(acme.organization, "Sailmaker")
    url, form = {
        "job": (f"/manage/acme/jobs/{job.pk}/edit/", "main form.stacked"),
        "profile": ("/manage/acme/settings/", "form:has(input[value=profile])"),
    }[page]
    data = form_as_sent(signed_in.get(url).content, form)
    request, outcome = thread_with_outcome(lambda: signed_in.post(url, data))
    with transaction.atomic():
        organization_delete(organization=acme.organization)
        started_until_it_waits_on_me_or_ends(request, "the save")
        assert request.is_alive(), outcome  # waiting for the delete, not answered before it
    request.join(timeout=30)

    [response] = outcome
    assert_says_organization_gone(response)
    assert not Organization.objects.exists()


@on_postgresql
@pytest.mark.parametrize(
    ("sent", "said", "saved"),
    [
        ({}, "Nothing changed: jobs sync every 1 hour.", 60),
        ({"paused": None}, "Nothing changed: jobs sync every 1 hour.", 60),
        (
            {"sync_interval_minutes": "30"},
            "Nothing was saved: “Sync every (minutes)” (now “60”) changed by someone else",
            60,
        ),
    ],
    ids=["as-shown", "resumed", "new-interval"],
)
def test_a_schedule_sent_as_another_admin_saves_one_is_made_to_and_said_of_the_row_saved(
    signed_in, acme, sent, said, saved
):
    """The page showed syncing paused; the other admin set 1 hour and resumed, and this request
    read the connection before that committed. It said "Nothing changed: jobs sync every 15
    minutes" of a form sent as shown, wrote 15 minutes back over the hour with a resume, and
    paused syncing again with a new interval, saying neither. A new interval, typed over the
    15 minutes the page showed, is refused: it would undo the hour set meanwhile."""
    from jobs.connections import connection_schedule_update

    GreenhouseConnection.objects.filter(pk=acme.pk).update(enabled=False)
    said_now = settings_form_sent_as_another_admin_saves(
        signed_in,
        acme,
        {"action": "schedule", **sent},
        lambda: connection_schedule_update(
            connection=GreenhouseConnection.objects.get(pk=acme.pk),
            sync_interval_minutes=60,
            paused=False,
        ),
    )

    assert said in said_now
    assert "Syncing was paused and is on again" not in said_now  # the other admin resumed it
    acme.refresh_from_db()
    assert (acme.sync_interval_minutes, acme.enabled) == (saved, True)


REPLACE_KEY = {"action": "api_key", "key-api_key": "new-key-67890"}


@on_postgresql
@pytest.mark.parametrize(
    ("page_showed", "change", "meanwhile", "said", "key_now"),
    [
        ("old-key-12345", REPLACE_KEY, "", "API key stored; it ends in 67890.", "new-key-67890"),
        (
            "",
            REPLACE_KEY,
            "other-key-24680",
            "This page showed no API key, and one ending in …24680 was stored meanwhile",
            "other-key-24680",
        ),
        (
            "old-key-12345",
            REPLACE_KEY,
            "other-key-12345",
            "The API key stored now, also ending in …12345, may not be the one this page showed",
            "other-key-12345",
        ),
        (
            "old-key-12345",
            {"action": "api_key_remove", "confirmed": "1"},
            "other-key-24680",
            "The API key stored now, ending in …24680, is not the one this page showed",
            "other-key-24680",
        ),
        (  # the settings page's button, which asks first: not asked about a key never shown
            "old-key-12345",
            {"action": "api_key_remove"},
            "other-key-24680",
            "The API key stored now, ending in …24680, is not the one this page showed",
            "other-key-24680",
        ),
    ],
    ids=[
        "removed",
        "stored-where-none-was-shown",
        "replaced",
        "replaced-before-a-remove",
        "replaced-before-asking",
    ],
)
def test_an_api_key_sent_as_another_admin_stores_or_removes_one_is_made_to_the_key_shown(
    signed_in, acme, page_showed, change, meanwhile, said, key_now
):
    """The request read the connection before the other admin's change committed: it said
    "replaced" of a key removed meanwhile, and replaced or removed a key stored meanwhile,
    which the page never showed. Read under the row's lock, a key stored meanwhile is left as
    it is, and one removed meanwhile leaves no key to take away: the new one is stored."""
    from jobs.connections import connection_api_key_set

    connection_api_key_set(connection=acme, api_key=page_showed)

    said_now = settings_form_sent_as_another_admin_saves(
        signed_in,
        acme,
        change,
        lambda: connection_api_key_set(
            connection=GreenhouseConnection.objects.get(pk=acme.pk), api_key=meanwhile
        ),
    )

    assert said in said_now
    assert GreenhouseConnection.objects.get(pk=acme.pk).get_api_key() == key_now


@on_postgresql
@pytest.mark.parametrize(
    "typed",
    [{}, {"sync_interval_minutes": "90"}, {"new_api_key": "abcdef0123456789abcdef"}],
    ids=["unchanged", "schedule", "api-key"],
)
def test_a_connection_saved_in_django_admin_as_it_is_disconnected_is_not_found(
    admin_client, acme, typed
):
    """The settings page's disconnect holds the org's and the connection's rows as the save
    starts: the save waits for it (RowLockedForItsChange), then finds no connection, which
    Django's page says, as of a connection deleted before the page was sent. Not a server
    error, nor "changed successfully", nor a key stored on a row that is gone."""
    from django.contrib.messages import get_messages

    from jobs.connections import connection_disconnect

    page = f"/admin/jobs/greenhouseconnection/{acme.pk}/change/"
    data = form_as_sent(admin_client.get(page).content, "#greenhouseconnection_form")

    def disconnect() -> bool:
        connection = GreenhouseConnection.objects.get(pk=acme.pk)
        return connection_disconnect(connection=connection) is not None

    disconnected, response = saved_as_this_holds_its_locks(
        disconnect, lambda: admin_client.post(page, {**data, **typed}), "the save"
    )

    assert disconnected == [True]
    assert not GreenhouseConnection.objects.exists()
    assert response.status_code == 302
    assert response.url == "/admin/"
    said = [message.message for message in get_messages(response.wsgi_request)]
    assert said == [
        f"greenhouse connection with ID “{acme.pk}” doesn’t exist. Perhaps it was deleted?"
    ]


@on_postgresql
def test_a_schedule_saved_in_django_admin_as_a_sync_records_its_outcome_is_saved_beside_it(
    admin_client, acme
):
    """A sync records its outcome (state, last success, next time) under the connection's row
    lock, in its apply's transaction: the save waits for that transaction, then reads the row
    under its lock. The sync wrote none of the page's fields, so nothing is refused: the new
    interval is saved, and what the sync recorded stays, its lease still held."""
    from django.utils import timezone

    from jobs.sync import SyncCounts, _record_success, acquire_sync_lock, start_sync_run

    page = f"/admin/jobs/greenhouseconnection/{acme.pk}/change/"
    data = form_as_sent(admin_client.get(page).content, "#greenhouseconnection_form")
    connection = GreenhouseConnection.objects.select_related("organization").get(pk=acme.pk)
    lease = acquire_sync_lock(connection)
    run = start_sync_run(connection, trigger=SyncRun.Trigger.SCHEDULE)
    synced_at = timezone.now()

    def sync_records_its_outcome() -> None:
        _record_success(connection, run, SyncCounts(created=1), now=synced_at)

    _, response = saved_as_this_holds_its_locks(
        sync_records_its_outcome,
        lambda: admin_client.post(page, {**data, "sync_interval_minutes": "90"}),
        "the save",
    )

    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.sync_interval_minutes == 90
    assert (acme.state, acme.last_success_at) == (GreenhouseConnection.State.OK, synced_at)
    assert acme.lock_expires_at == lease


@on_postgresql
def test_a_new_interval_saved_in_django_admin_as_the_orgs_admin_pauses_syncing_keeps_the_pause(
    admin_client, acme
):
    """The admin's page read the connection, then the org's admin paused syncing before its
    save: the save wrote the new interval with syncing on, as that request had read it. Here
    the pause (the settings page's, which sends the box alone) holds the row as the save starts:
    the save waits for it, reads the row under its lock, and writes only the interval."""
    from jobs.connections import connection_schedule_update
    from tests.support.helpers import form_as_sent

    page = f"/admin/jobs/greenhouseconnection/{acme.pk}/change/"
    data = form_as_sent(admin_client.get(page).content, "#greenhouseconnection_form")

    def pause() -> bool:  # the settings page's, its row locked until it commits
        connection = GreenhouseConnection.objects.get(pk=acme.pk)
        return connection_schedule_update(connection=connection, paused=True).changed

    paused, response = saved_as_this_holds_its_locks(
        pause, lambda: admin_client.post(page, {**data, "sync_interval_minutes": "90"}), "the save"
    )

    assert paused == [True]
    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.sync_interval_minutes, acme.enabled) == (90, False)


@on_postgresql
@pytest.mark.parametrize("first", ["settings page", "Django admin"])
def test_a_key_replaced_in_django_admin_and_on_the_settings_page_at_once_is_one_of_them(
    admin_client, acme, monkeypatch, first
):
    """Both pages showed the same key, and each replaces it as the other's save runs: the one
    whose save locks the row first stores its key, and the other, reading under the lock a
    key it never showed, is refused, in either order. Django's admin locks the row before it
    reads it (RowLockedForItsChange): the settings page is first by holding it as that starts."""
    from jobs.admin import GreenhouseConnectionAdmin
    from jobs.connections import ApiKeyChanged, KeyShown, connection_api_key_set
    from tests.support.helpers import form_as_sent

    connection_api_key_set(connection=acme, api_key="old-key-12345")
    shown = KeyShown(mark=acme.api_key_mark, last5="12345")  # the settings page's
    page = f"/admin/jobs/greenhouseconnection/{acme.pk}/change/"
    data = form_as_sent(admin_client.get(page).content, "#greenhouseconnection_form")

    def settings_page_key_set() -> bool:
        return connection_api_key_set(
            connection=GreenhouseConnection.objects.get(pk=acme.pk),
            api_key="tab-24680",
            shown_key=shown,
        )

    def admin_save() -> Any:
        return admin_client.post(page, {**data, "new_api_key": "admin-67890"}, follow=True)

    if first == "settings page":
        # The row locked until the settings page's save commits.
        outcome, response = saved_as_this_holds_its_locks(
            settings_page_key_set, admin_save, "Django admin's save"
        )
    else:
        settings_page, outcome = thread_with_outcome(settings_page_key_set)
        saves_in_the_admin_start(
            monkeypatch,
            GreenhouseConnectionAdmin,
            settings_page,
            "the settings page's key",
            after_the_save=True,
        )
        response = admin_save()
        settings_page.join(timeout=30)

    said = " ".join(response.content.decode().split())
    key_now = GreenhouseConnection.objects.get(pk=acme.pk).get_api_key()
    if first == "settings page":
        assert outcome == [True] and key_now == "tab-24680"
        assert "The API key stored now, ending in …24680, is not the one this page showed" in said
    else:
        assert [type(result) for result in outcome] == [ApiKeyChanged] and key_now == "admin-67890"
        assert "was changed successfully" in said


@on_postgresql
@pytest.mark.parametrize(("paused_meanwhile", "said"), [(True, True), (False, False)])
def test_a_board_connected_as_another_admin_pauses_or_resumes_says_whether_it_resumed(
    signed_in, acme, fake_greenhouse, queued, paused_meanwhile, said
):
    """The connect read whether syncing was paused before the row's lock: a pause made as it
    ran was turned off unsaid, and a resume made as it ran was said to be its own."""
    from jobs.connections import connection_schedule_update

    GreenhouseConnection.objects.filter(pk=acme.pk).update(enabled=paused_meanwhile)
    change = {"action": "connect", "board_token": "tiny-co"}

    said_now = settings_form_sent_as_another_admin_saves(
        signed_in,
        acme,
        change,
        lambda: connection_schedule_update(
            connection=GreenhouseConnection.objects.get(pk=acme.pk),
            sync_interval_minutes=15,
            paused=paused_meanwhile,
        ),
    )

    assert "Connected to the Greenhouse board" in said_now
    assert ("Syncing was paused and is on again." in said_now) is said
    assert GreenhouseConnection.objects.get(pk=acme.pk).enabled


@on_postgresql
@pytest.mark.parametrize(
    ("meanwhile", "said"),
    [
        (Board(token="tiny-co", name="Tiny Co."), True),
        (Board(token="liberte-sante", name="Liberté Santé"), False),
    ],
    ids=["another-board", "the-board-asked-for"],
)
def test_a_board_connected_as_another_admin_connects_one_names_the_one_it_replaced(
    signed_in, acme, queued, meanwhile, said
):
    """The page showed Acme Robotics, and the request read it too, before another admin's
    board committed: the board replaced is the one read under the row's lock, said as the page
    never showed it. The board asked for, connected meanwhile, replaces nothing."""
    from jobs.connections import connection_save

    change = {"action": "connect", "board_token": "liberte-sante"}

    said_now = settings_form_sent_as_another_admin_saves(
        signed_in,
        acme,
        change,
        lambda: connection_save(organization=acme.organization, board=meanwhile),
    )

    connected = "Connected to the Greenhouse board “Liberté Santé” (liberte-sante)"
    replaced = f"{connected} in place of “Tiny Co.” (tiny-co), which another tab or admin connected"
    assert (replaced in said_now) is said
    assert (f"{connected}." in said_now) is not said
    assert "in place of “Acme Robotics”" not in said_now
    assert GreenhouseConnection.objects.get(pk=acme.pk).board_token == "liberte-sante"


@on_postgresql
@pytest.mark.parametrize(
    ("meanwhile", "said"),
    [
        ({"enabled": False}, "Syncing was paused and is on again."),
        (
            {"board_token": "tiny-co", "board_name": "Tiny Co."},
            "It replaced the board 'Tiny Co.' (tiny-co):",
        ),
    ],
    ids=["paused", "board-changed"],
)
def test_connect_greenhouse_as_another_admin_changes_the_connection_says_what_it_replaced(
    acme, meanwhile, said
):
    """The command read whether syncing was paused, and the board connected, before the row's
    lock: it turned off a pause made as it ran unsaid, and named the board it found (the one it
    connects again, unsaid) where it replaced another."""
    import io

    from django.core.management import call_command
    from django.db import transaction

    printed = io.StringIO()
    command, outcome = thread_with_outcome(
        lambda: call_command(
            "connect_greenhouse", "acme", "acme-robotics", stdout=printed, stderr=printed
        )
    )
    with transaction.atomic():
        GreenhouseConnection.objects.filter(pk=acme.pk).update(**meanwhile)
        started_until_it_waits_on_me_or_ends(command, "connect_greenhouse")
    command.join(timeout=30)

    assert outcome == [None]
    assert said in " ".join(printed.getvalue().split())
    acme.refresh_from_db()
    assert (acme.board_token, acme.enabled) == ("acme-robotics", True)


@on_postgresql
@pytest.mark.parametrize(
    ("page", "field", "typed", "meanwhile"),
    [
        ("job", "compensation_note", "Lön 70 000 kr", {"compensation_note": "Gehalt 80 000 €"}),
        ("profile", "profile-description", "Роботы.", {"description": "Roboter für alle."}),
        ("schedule", "sync_interval_minutes", "30", {"sync_interval_minutes": 60}),
        # Django's admin's pages, which read the row before their transaction's locks too.
        ("admin-job", "compensation_note", "Lön 70 000 kr", {"compensation_note": "80 000 €"}),
        ("admin-org", "description", "Роботы.", {"description": "Roboter für alle."}),
        ("admin-connection", "sync_interval_minutes", "30", {"sync_interval_minutes": 60}),
    ],
)
def test_a_save_waiting_on_another_admins_save_of_the_same_field_saves_nothing(
    acme, owner, fake_greenhouse, page, field, typed, meanwhile
):
    """Read before the other save committed, the page's check found nothing changed meanwhile,
    and its save, which waited for that one's lock, undid it: the row is read again under its
    lock for the check."""
    from django.contrib.auth.models import User

    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    job = Job.objects.filter(organization=acme.organization).order_by("pk").first()
    job_row = Job.objects.filter(pk=job.pk)
    org_row = Organization.objects.filter(pk=acme.organization_id)
    connection_row = GreenhouseConnection.objects.filter(pk=acme.pk)
    rows, url, form = {
        "job": (job_row, f"/manage/acme/jobs/{job.pk}/edit/", "main form.stacked"),
        "profile": (org_row, "/manage/acme/settings/", "form:has(input[value=profile])"),
        "schedule": (connection_row, "/manage/acme/settings/", "form:has(input[value=schedule])"),
        "admin-job": (job_row, f"/admin/jobs/job/{job.pk}/change/", "#content-main form"),
        "admin-org": (
            org_row,
            f"/admin/jobs/organization/{acme.organization_id}/change/",
            "#content-main form",
        ),
        "admin-connection": (
            connection_row,
            f"/admin/jobs/greenhouseconnection/{acme.pk}/change/",
            "#content-main form",
        ),
    }[page]
    if page.startswith("admin-"):
        User.objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(owner)
    sent = {**form_as_sent(client.get(url).content, form), field: typed}
    save, outcome = thread_with_outcome(lambda: client.post(url, sent))

    with transaction.atomic():  # the other admin's save, its row locked until it commits
        rows.update(**meanwhile)
        started_until_it_waits_on_me_or_ends(save, "the save")
    save.join(timeout=30)

    assert outcome[0].status_code == 200  # shown again, saying why
    assert "changed by someone else since this page was opened" in outcome[0].content.decode()
    assert rows.values(*meanwhile).get() == meanwhile


@pytest.mark.parametrize(
    ("page", "field", "typed", "meanwhile"),
    [
        ("job", "compensation_note", "Lön 70 000 kr", {"compensation_note": "Gehalt 80 000 €"}),
        ("profile", "profile-description", "Роботы.", {"description": "Roboter für alle."}),
    ],
)
def test_a_save_after_another_admins_save_committed_since_the_request_read_the_row_saves_nothing(
    signed_in, acme, monkeypatch, page, field, typed, meanwhile
):
    """The other admin's save committed after this request read the row and before it locked
    it, as it can on SQLite too: the page's check, against the row read again under its lock,
    finds the field changed meanwhile, and this save does not undo that one."""
    from tests.support.public_jobs import make_job

    job = make_job(acme.organization, "Sailmaker")
    rows, url, form, read_with = {
        "job": (
            Job.objects.filter(pk=job.pk),
            f"/manage/acme/jobs/{job.pk}/edit/",
            "main form.stacked",
            "get_object_or_404",
        ),
        "profile": (
            Organization.objects.filter(pk=acme.organization_id),
            "/manage/acme/settings/",
            "form:has(input[value=profile])",
            "admin_organization_or_404",
        ),
    }[page]
    sent = {**form_as_sent(signed_in.get(url).content, form), field: typed}
    done_by_another_request_after(
        monkeypatch, manage_views, read_with, lambda: rows.update(**meanwhile)
    )

    response = signed_in.post(url, sent)

    assert response.status_code == 200  # shown again, saying why
    assert "changed by someone else since this page was opened" in response.content.decode()
    assert rows.values(*meanwhile).get() == meanwhile


@on_postgresql
@pytest.mark.parametrize(
    "page",
    ["organization", "connection", "account", "password", "group"],
)
def test_a_write_begun_once_a_django_admin_page_read_its_row_waits_for_the_page(
    admin_client, acme, owner, member, monkeypatch, page
):
    """Django's admin locks the row a change page saves before the page reads it: the org's
    with its member rows (OrganizationAdmin.row_lock), a connection's (RowLockedForItsChange),
    an account's (accounts_ended_by), a group's (GroupAdmin.get_object). Another request's
    write of it begun as the page checks what it read (a member made an admin on the members
    page, another board connected, the account or group deleted, the account deactivated)
    waits for the page's save: none comes between the page's read and its save."""
    from django.contrib.auth.models import Group, User

    from jobs.admin import (
        ConnectionAdminForm,
        GroupNamedForm,
        MembershipForm,
        PasswordChangeKeepingAdminsForm,
        UserChangeKeepingAdminsForm,
    )
    from jobs.connections import connection_save
    from jobs.greenhouse import Board
    from jobs.memberships import membership_role_set

    group = Group.objects.create(name="Editors")
    bob = User.objects.filter(pk=member.pk)
    member.memberships.update(role=Membership.Role.ADMIN)  # for the members page to demote
    url, form, checked, write = {
        "organization": (
            f"/admin/jobs/organization/{acme.organization_id}/change/",
            "#organization_form",
            MembershipForm,
            lambda: membership_role_set(membership=member.memberships.get(), role="member"),
        ),
        "connection": (
            f"/admin/jobs/greenhouseconnection/{acme.pk}/change/",
            "#greenhouseconnection_form",
            ConnectionAdminForm,
            lambda: connection_save(organization=acme.organization, board=Board("tiny-co", "Tiny")),
        ),
        "account": (f"/admin/auth/user/{member.pk}/change/", "#user_form", None, bob.delete),
        "password": (
            f"/admin/auth/user/{member.pk}/password/",
            None,
            PasswordChangeKeepingAdminsForm,
            lambda: bob.update(is_active=False),
        ),
        "group": (
            f"/admin/auth/group/{group.pk}/change/",
            "#group_form",
            GroupNamedForm,
            lambda: Group.objects.filter(pk=group.pk).delete(),
        ),
    }[page]
    checked = checked or UserChangeKeepingAdminsForm
    new = "a new passphrase for Bob"
    sent = (
        form_as_sent(admin_client.get(url).content, form)
        if form
        else {"usable_password": "true", "password1": new, "password2": new}
    )
    for chosen in ("groups", "user_permissions", "permissions"):  # none chosen on the pages
        sent.pop(chosen, None)  # (form_as_sent sends a list's first option)
    other, outcome = thread_with_outcome(write)
    waited = []
    clean = checked.clean

    def clean_as_the_write_starts(self: Any) -> Any:
        if not waited:
            started_until_it_waits_on_me_or_ends(other, "the other request's write")
            waited.append(other.is_alive())
        return clean(self)

    monkeypatch.setattr(checked, "clean", clean_as_the_write_starts)

    response = admin_client.post(url, sent)
    other.join(timeout=30)

    assert waited == [True], outcome
    assert response.status_code == 302
    assert outcome and not isinstance(outcome[0], Exception), outcome


@on_postgresql
def test_two_orgs_created_at_once_at_one_typed_address_one_gets_it_the_other_is_told(
    owner, outsider, monkeypatch
):
    """Both forms read /orgs/northwind/ free before either org is INSERTed: the second INSERT
    waits for the first's commit, is refused by the unique slug, and its person is told the
    address is taken, with a free one, rather than given northwind-2 they did not choose."""
    from jobs import forms as jobs_forms

    taken = jobs_forms.organization_slug_taken
    both_read_it = threading.Barrier(2)

    def read_by_both(slug: str) -> bool:
        answer = taken(slug)
        both_read_it.wait(timeout=30)
        return answer

    monkeypatch.setattr(jobs_forms, "organization_slug_taken", read_by_both)
    clients = iter([owner, outsider])

    def create() -> Any:
        client = Client()
        client.force_login(next(clients))
        return client.post(
            "/manage/new/", {"organization_name": "North Wind", "organization_slug": "northwind"}
        )

    responses = all_at_once(2, create)

    assert sorted(response.status_code for response in responses) == [200, 302], responses
    refused = next(response for response in responses if response.status_code == 200)
    assert refused.context["form"].errors["organization_slug"] == [
        "The address /orgs/northwind/ is taken. Choose another, such as northwind-2, or leave "
        "the box blank to have one made from the name."
    ]
    assert list(Organization.objects.filter(name="North Wind").values_list("slug", flat=True)) == [
        "northwind"
    ]


def organization_added_in_djangos_admin(client: Client, slug: str) -> Any:
    """Django's admin's answer to a new org "North Wind" at `slug`."""
    inline = {f"memberships-{key}": "0" for key in ("TOTAL_FORMS", "INITIAL_FORMS")}
    data = {"name": "North Wind", "slug": slug, "description": "", "website": "", **inline}
    return client.post("/admin/jobs/organization/add/", data)


def staff_client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(username, f"{username}@example.com", "x"))
    return client


def once(work: Callable[[], Any]) -> Callable[[], Any]:
    """`work` the first time; nothing after (a page answered again reads the slug again)."""
    done: list[Any] = []

    def the_first_time() -> Any:
        if not done:
            done.append(work())
        return done[0]

    return the_first_time


@on_postgresql
def test_two_staff_adding_orgs_at_one_slug_at_once_one_is_added_the_other_told_it_is_taken(
    monkeypatch,
):
    """Both pages check "northwind" free (their form's last check, the unique slug's) before
    either org is INSERTed: the second INSERT waits for the first's commit and is refused by
    the unique slug. Its page is answered again, as sent, and says the slug is taken, as when
    it was taken before: not a server error."""
    from jobs.admin import OrganizationAdminForm

    validate_unique = OrganizationAdminForm.validate_unique
    both_checked_it = threading.Barrier(2)
    waited: set[int] = set()

    def checked_by_both(form: Any) -> None:
        validate_unique(form)
        if threading.get_ident() not in waited:  # the page answered again checks it alone
            waited.add(threading.get_ident())
            both_checked_it.wait(timeout=30)

    monkeypatch.setattr(OrganizationAdminForm, "validate_unique", checked_by_both)
    clients = iter([staff_client("root"), staff_client("groot")])
    lock = threading.Lock()

    def add() -> Any:
        with lock:
            client = next(clients)
        return organization_added_in_djangos_admin(client, "northwind")

    responses = all_at_once(2, add)

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert sorted(response.status_code for response in responses) == [200, 302]
    refused = next(response for response in responses if response.status_code == 200)
    assert refused.context["adminform"].form.errors == {
        "slug": ["Organization with this Slug already exists."]
    }
    assert list(Organization.objects.values_list("slug", flat=True)) == ["northwind"]


@on_postgresql
@pytest.mark.parametrize("made_by", ["manage-new", "older-code-in-capitals"])
def test_an_org_added_in_djangos_admin_as_another_takes_its_slug_is_told_it_is_taken(
    owner, monkeypatch, made_by
):
    """Another org made at the slug after the page's checks (the last, the unique slug's) and
    before its write, at /manage/new/ (by sign-up's code) or in capitals by code that checks no
    slug (a release before slugs were unique in any case, still running during a deploy, or a
    shell): the unique constraints refuse the write, and the page says why as its checks
    would have."""
    from jobs.admin import OrganizationAdminForm

    def made_at_manage_new() -> Any:
        client = Client()
        client.force_login(owner)
        data = {"organization_name": "Northwind", "organization_slug": "northwind"}
        assert client.post("/manage/new/", data).status_code == 302

    def made_in_capitals() -> Any:
        return Organization.objects.create(name="Northwind Traders", slug="NorthWind")

    made, said = {
        "manage-new": (made_at_manage_new, "Organization with this Slug already exists."),
        "older-code-in-capitals": (
            made_in_capitals,
            "Another organization has this slug in capitals, “NorthWind”, an address that "
            "differs from it only in case: choose another slug.",
        ),
    }[made_by]
    done_by_another_request_after(
        monkeypatch, OrganizationAdminForm, "validate_unique", once(made), in_its_transaction=True
    )

    response = organization_added_in_djangos_admin(staff_client("root"), "northwind")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"slug": [said]}
    assert Organization.objects.filter(slug__iexact="northwind").count() == 1


@on_postgresql
def test_an_org_renamed_in_djangos_admin_as_another_takes_its_slug_is_told_it_is_taken(
    monkeypatch,
):
    """As when one is added: the change page of an org given "northwind", as older code saves
    "NorthWind" after the page's checks, is answered again (the other orgs' slugs read without
    the org's own), and says why; the org keeps its slug."""
    from jobs.admin import OrganizationAdminForm

    north = Organization.objects.create(name="North", slug="north")
    done_by_another_request_after(
        monkeypatch,
        OrganizationAdminForm,
        "validate_unique",
        once(lambda: Organization.objects.create(name="Northwind Traders", slug="NorthWind")),
        in_its_transaction=True,
    )
    inline = {f"memberships-{key}": "0" for key in ("TOTAL_FORMS", "INITIAL_FORMS")}
    data = {"name": "North", "slug": "northwind", "description": "", "website": "", **inline}

    response = staff_client("root").post(f"/admin/jobs/organization/{north.pk}/change/", data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "slug": [
            "Another organization has this slug in capitals, “NorthWind”, an address that "
            "differs from it only in case: choose another slug."
        ]
    }
    assert sorted(Organization.objects.values_list("slug", flat=True)) == ["NorthWind", "north"]


@pytest.mark.parametrize("page", ["add", "change"])
def test_an_org_saved_in_djangos_admin_as_its_slug_is_taken_again_at_each_answer_is_told_so(
    monkeypatch, page
):
    """The page's checks find "northwind" free each time, and each write is refused by the
    unique slug: another org took it first, let it go as the page was answered again, and a
    third took it between that answer's checks and its write. Answered a third time, without a
    write, the slug is refused as Django words a unique field taken: not a server error."""
    from jobs.admin import OrganizationAdminForm

    Organization.objects.create(name="Northwind Traders", slug="northwind")
    north = Organization.objects.create(name="North", slug="north")
    # Blind to "northwind": each check comes just before another save takes it.
    monkeypatch.setattr(OrganizationAdminForm, "validate_unique", lambda form: None)
    client = staff_client("root")

    if page == "add":
        response = organization_added_in_djangos_admin(client, "northwind")
    else:
        inline = {f"memberships-{key}": "0" for key in ("TOTAL_FORMS", "INITIAL_FORMS")}
        data = {"name": "North", "slug": "northwind", "description": "", "website": ""}
        response = client.post(f"/admin/jobs/organization/{north.pk}/change/", data | inline)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "slug": ["Organization with this Slug already exists."]
    }
    assert sorted(Organization.objects.values_list("slug", flat=True)) == ["north", "northwind"]


def test_an_org_made_at_manage_new_as_older_code_saves_its_slug_in_capitals_is_told_it_is_taken(
    owner, monkeypatch
):
    """Older code, still running during a deploy, saves "NorthWind" between the form's check and
    the INSERT of "northwind": the unique constraint in any case refuses it, and the person is
    told the address is taken, as sign-up and /manage/new/ say of one taken before."""
    from jobs import forms as jobs_forms

    done_by_another_request_after(
        monkeypatch,
        jobs_forms,
        "organization_slug_taken",
        once(lambda: Organization.objects.create(name="Northwind Traders", slug="NorthWind")),
    )
    client = Client()
    client.force_login(owner)

    response = client.post(
        "/manage/new/", {"organization_name": "North Wind", "organization_slug": "northwind"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["organization_slug"] == [
        "The address /orgs/northwind/ is taken. Choose another, such as northwind-2, or leave "
        "the box blank to have one made from the name."
    ]
    assert list(Organization.objects.filter(slug__iexact="northwind").values_list("slug")) == [
        ("NorthWind",)
    ]
