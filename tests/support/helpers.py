"""Helpers shared by test modules."""

from __future__ import annotations

import io
import os
import signal
import socket
import sys
import threading
import xml.etree.ElementTree as ET  # noqa: S405 (parses only this site's own responses)
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from billiard.pool import SIG_SOFT_TIMEOUT, soft_timeout_sighandler
from bs4 import BeautifulSoup
from celery import Task
from celery.exceptions import Retry
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Permission, User
from django.db import connection, connections
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string

from jobs import tasks
from jobs.models import GreenhouseConnection, Organization

IN_CI = bool(os.environ.get("CI"))


def redis_database_of_this_test_process(url: str) -> str:
    """`url` with the Redis database this test process uses (and empties) as the broker of real
    Celery processes: `make test` runs the tests in several processes (pytest-xdist), and two
    sharing a database would take each other's tasks and empty each other's queue. The first
    process (gw0, or pytest without xdist) uses the database `url` names, gw1 the one below it,
    and so on (wrapping from 0 to 15)."""
    process = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    address = urlsplit(url)
    database = int(address.path.strip("/") or 0)
    return urlunsplit(address._replace(path=f"/{(database - process) % 16}"))


# Two checkouts testing at once on one Redis need TEST_REDIS_URL each, for the same reason.
TEST_REDIS_URL = redis_database_of_this_test_process(
    os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
)

# What other staff do in Django's admin to an account (given as a queryset of it) while its
# password is being set: each must stay done once the password is saved.
ACCOUNT_CHANGED_MEANWHILE: dict[str, Callable[[QuerySet[User]], object]] = {
    "staff status taken": lambda account: account.update(is_staff=False, is_superuser=False),
    "deactivated": lambda account: account.update(is_active=False),
    "address changed": lambda account: account.update(email="moved@elsewhere.example"),
    "password turned off": lambda account: account.update(password="!turned-off"),
    "deleted": lambda account: account.delete(),
}


class WorkCounted:
    """Python's work in a block, counted, so that a busy machine does not fail a test of it nor
    a fast one let work in the square of its input pass: the functions called anywhere, the
    lines run of this project's code (a loop over every pair of rows in it may call none), and
    the expressions the ORM compiled into SQL."""

    OWN_CODE = tuple(str(settings.BASE_DIR / package) + os.sep for package in ("jobs", "orgsite"))
    SQL_COMPILER = os.path.join("django", "db", "models", "sql", "compiler.py")

    def __init__(self) -> None:
        self.calls = self.own_lines = self.sql_compiled = 0

    def __enter__(self) -> WorkCounted:
        self.previous = sys.gettrace()
        sys.settrace(self._called)
        return self

    def __exit__(self, *exc_info: object) -> None:
        sys.settrace(self.previous)

    @property
    def operations(self) -> int:
        return self.calls + self.own_lines

    def _called(self, frame: FrameType, event: str, arg: object) -> Callable | None:
        self.calls += 1
        file = frame.f_code.co_filename
        if frame.f_code.co_name == "compile" and file.endswith(self.SQL_COMPILER):
            self.sql_compiled += 1
        return self._in_own_code if file.startswith(self.OWN_CODE) else None

    def _in_own_code(self, frame: FrameType, event: str, arg: object) -> Callable:
        self.own_lines += event == "line"
        return self._in_own_code


@dataclass
class Cost:
    """What a block cost: its queries, and WorkCounted's expressions compiled into SQL and
    operations in Python."""

    queries: int
    sql_compiled: int
    operations: int


@contextmanager
def cost_counted() -> Iterator[list[Cost]]:
    """The block's Cost, put in the list it gives once the block is done."""
    costs: list[Cost] = []
    with CaptureQueriesContext(connection) as queries, WorkCounted() as work:
        yield costs
    costs.append(Cost(len(queries), work.sql_compiled, work.operations))


class TimeLimitedStream(io.StringIO):
    """A log stream that a task's soft time limit interrupts as it writes a line: the worker's
    signal, sent as the worker's pool process has it handled, raises it there."""

    def write(self, text: str) -> int:
        signal.signal(SIG_SOFT_TIMEOUT, soft_timeout_sighandler)
        os.kill(os.getpid(), SIG_SOFT_TIMEOUT)
        return super().write(text)


def require_service(host: str, port: int, name: str) -> None:
    """Skip locally when a service is missing; in CI a missing service is a failure."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        if IN_CI:
            pytest.fail(f"{name} is required in CI but not reachable at {host}:{port}")
        pytest.skip(f"{name} not reachable at {host}:{port}")


def thread_with_outcome(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """A thread, not yet started, that runs `work` on its own connection, and the list in which
    it puts what `work` returned or raised, for the test to read once the thread is done."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as exc:  # reported to the test, not lost in the thread
            outcome.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run), outcome


def done_by_another_request_after(
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    name: str,
    done: Callable[[], object],
    *,
    in_its_transaction: bool = False,
) -> None:
    """Has `name` of `owner` (what a request reads a row with) run `done` (a delete, a change)
    once it has read, on another connection, as another request does, committed before this
    request goes on: it finds the row gone, or changed, when it reads it again to change it. As
    the other connection sees only committed rows, the test needs django_db(transaction=True),
    and `name` must read out of any transaction of the request's, unless `in_its_transaction`
    (Django's admin runs a page's write in one): on PostgreSQL alone, whose later reads in the
    transaction see what others committed since, and only of rows it has not locked yet."""
    read = getattr(owner, name)
    if in_its_transaction:
        # SQLite's transaction holds the write lock from its start (IMMEDIATE): no other
        # request's write can come before it ends.
        assert connection.vendor == "postgresql", "another request waits for it on SQLite"
        assert not connection.in_atomic_block, "is the test django_db(transaction=True)?"

    def read_then_done(*args: Any, **kwargs: Any) -> Any:
        row = read(*args, **kwargs)
        # In a transaction, the other connection would not see the rows it wrote (the test's
        # own, on PostgreSQL: a delete deletes nothing, and the test fails later without saying
        # why) or, on SQLite, would wait 20 seconds for the write lock the transaction took at
        # its start (IMMEDIATE), then fail as "database is locked".
        assert in_its_transaction or not connection.in_atomic_block, (
            f"{name} read in a transaction: another request's change cannot come before it "
            "ends (is the test django_db(transaction=True)?)"
        )
        other, outcome = thread_with_outcome(done)
        other.start()
        other.join(timeout=30)
        # None yet: `done` waits on a lock the request took before `name` read, so no other
        # request's change can come at this point of it.
        assert outcome and not isinstance(outcome[0], Exception), outcome
        return row

    monkeypatch.setattr(owner, name, read_then_done)


def make_connection(slug: str, board_token: str, *, name: str = "") -> GreenhouseConnection:
    organization = Organization.objects.create(name=name or slug.title(), slug=slug)
    return GreenhouseConnection.objects.create(
        organization=organization, board_token=board_token, board_name=name
    )


def marked_sync(connection_id: int, trigger: str) -> tuple[tuple, dict]:
    """The org's sync as the dispatcher or Refresh now sends it (an entry of the `queued`
    fixture of tests.support.broker), with the org's queue mark."""
    mark = GreenhouseConnection.objects.get(pk=connection_id).queued_at
    return (connection_id, trigger), {"queued_at": mark.isoformat()}


def sign_in(client: Client, user: User) -> Client:
    """Signs `client`, which has no session yet, in as `user`: the session and last_login that
    Django's force_login leaves, in 5 statements where force_login takes 15 (it first saves an
    empty session, then cycles its key). For tests where signing in is not what they prove."""
    assert settings.SESSION_COOKIE_NAME not in client.cookies, "force_login keeps that session"
    session = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    user.last_login = timezone.now()
    User.objects.filter(pk=user.pk).update(last_login=user.last_login)
    return client


def staff_client_with(*codenames: str) -> Client:
    """A staff member with these permissions alone, signed in."""
    staff = User.objects.create_user("clerk", "clerk@example.com", "x", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(staff)
    return client


def retry_asked_for(
    monkeypatch, *args: object, task: Task = tasks.sync_org, **options: object
) -> dict:
    """Run `task` (the sync task) on `args` (and apply()'s `options`): what it asked its retry
    to carry, the retry held back."""
    asked = {}

    def hold_retry(**kwargs):
        asked.update(kwargs)
        return Retry()

    retry = task.retry
    monkeypatch.setattr(task, "retry", hold_retry)
    task.apply(args=args, **options)
    monkeypatch.setattr(task, "retry", retry)
    return asked


def recorded_retry_delays(monkeypatch, task) -> list[float]:
    """The waits `task` asks for its retries, which still run (at once, as the task runs
    inline)."""
    delays = []
    retry = task.retry

    def record_retry(*args, **kwargs):
        delays.append(kwargs["countdown"])
        return retry(*args, **kwargs)

    monkeypatch.setattr(task, "retry", record_retry)
    return delays


SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap_entries(client: Client) -> dict[str, str | None]:
    """Every address the sitemap gives, with its lastmod: /sitemap.xml is an index of section
    pages, each read in turn."""
    index = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 (our own response)
    entries: dict[str, str | None] = {}
    for page in index.findall("sm:sitemap/sm:loc", SITEMAP_NS):
        response = client.get(page.text.removeprefix("http://testserver"))
        assert response.status_code == 200, page.text
        for url in ET.fromstring(response.content).findall("sm:url", SITEMAP_NS):  # noqa: S314
            location = url.findtext("sm:loc", namespaces=SITEMAP_NS)
            assert location not in entries, f"{location} listed twice"
            entries[location] = url.findtext("sm:lastmod", namespaces=SITEMAP_NS)
    return entries


def member_row_prefix(data: dict[str, str], membership_pk: int | str) -> str:
    """The form prefix of a member row ("memberships-0") in Django admin's org page as sent
    (form_as_sent), found by the membership's key."""
    (row,) = (
        key for key, value in data.items() if key.endswith("-id") and value == str(membership_pk)
    )
    return row.removesuffix("-id")


def form_as_sent(page: bytes, selector: str) -> dict[str, str]:
    """What a browser sends from the page's form as it was served."""
    form = BeautifulSoup(page, "html.parser").select_one(selector)
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        if field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            if chosen is not None:  # a select without options sends nothing
                data[field["name"]] = chosen["value"]
        elif field.name == "textarea":
            data[field["name"]] = field.get_text().removeprefix("\n")  # as browsers read it
        elif field.get("type") != "checkbox":
            data[field["name"]] = field.get("value", "")
        elif field.has_attr("checked"):
            data[field["name"]] = field.get("value", "on")
    return data


def admin_delete_confirmation(
    client: Client, connections: list[GreenhouseConnection], *, by: str
) -> tuple[str, dict[str, str | list[str]]]:
    """What the admin's confirmation page of deleting `connections` sends once confirmed, and
    where: its delete page (of one) or its list's action."""
    if by == "delete page":
        [connection] = connections
        url = f"/admin/jobs/greenhouseconnection/{connection.pk}/delete/"
        page = client.get(url)
    else:
        url = "/admin/jobs/greenhouseconnection/"
        selected = [connection.pk for connection in connections]
        page = client.post(url, {"action": "delete_selected", "_selected_action": selected})
    confirmed: dict[str, str | list[str]] = {**form_as_sent(page.content, "#content form")}
    # Each box of the page, where form_as_sent keeps one value of a name.
    boxes = parsed(page).select('#content form input[name="_selected_action"]')
    if boxes:
        confirmed["_selected_action"] = [box["value"] for box in boxes]
    return url, confirmed


def parsed(response) -> BeautifulSoup:
    """A response's page, to read with CSS selectors."""
    return BeautifulSoup(response.content, "html.parser")


def spoken_text(element) -> str:
    """An element's words as a screen reader reads them: without what is aria-hidden, white
    space collapsed."""
    words = [
        text
        for text in element.find_all(string=True)
        if not any(parent.get("aria-hidden") == "true" for parent in text.parents)
    ]
    return " ".join("".join(words).split())


def assert_signs_out_and_comes_back_to(page: BeautifulSoup, address: str) -> None:
    """The page's own Sign out button (a POST with its CSRF token), which brings the person back
    to `address` once signed in with the right account."""
    form = page.select_one("main form[action='/accounts/logout/']")
    assert form["method"] == "post" and form.find("input", {"name": "next"})["value"] == address
    assert form.find("input", {"name": "csrfmiddlewaretoken"})


ORGANIZATION_GONE = "This organization no longer exists: it was deleted, perhaps in another tab."


def assert_says_organization_gone(response) -> None:
    """The answer every admin page and form of an org deleted meanwhile gives: a 404 page that
    says so and leads to the admin's orgs."""
    assert response.status_code == 404
    page = parsed(response)
    assert page.h1.get_text() == "This organization no longer exists"
    assert ORGANIZATION_GONE in page.main.get_text()
    assert page.main.find("a", href="/manage/")


# What acme's admin pages say to who is not its admin: a member (an admin demoted too), and
# anyone else (another org's admin, an admin removed).
NOT_ADMIN_AS_A_MEMBER = (
    "You are a member of Acme Robotics, not one of its admins: only they manage it. Ask one of "
    "them to make you an admin."
)
NOT_ADMIN_NOR_MEMBER = (
    "You are not an admin of Acme Robotics: only its admins manage it. Ask one of them to "
    "invite you as an admin."
)


def assert_says_not_an_admin(response, said: str) -> None:
    """The answer every admin page and form of acme gives to who is not its admin: a 404 page
    that says so (`said`) and whom to ask, and leads to their orgs."""
    assert response.status_code == 404
    page = parsed(response)
    assert page.h1.get_text() == "You are not an admin of Acme Robotics"
    assert said in " ".join(page.main.get_text().split())
    assert page.main.find("a", href="/manage/")
