"""An org's admins are emailed when its syncs have failed for a while, and when they work again.

The syncs here are real: the fake Greenhouse answers 404 for a removed board and 502 on a fault.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import User
from django.core import mail
from django.template.loader import render_to_string
from django.utils import timezone

from jobs.alerts import SyncEmail, sync_health_email_send
from jobs.connections import check_board, connection_save
from jobs.mail import email_body
from jobs.models import GreenhouseConnection, Membership, SyncRun
from jobs.status import sync_status
from jobs.sync import sync_organization
from jobs.text import DIRECTION_CONTROLS_RE
from tests.support.mail import ScriptedMailBackend

SETTINGS_URL = "https://jobs.example.com/manage/acme/settings/"
NO_USABLE_ADDRESS = (
    'no admin has an email address we can use: an admin can set theirs with "Change your email '
    'address"'
)


@pytest.fixture(autouse=True)
def site(settings, monkeypatch) -> None:
    settings.SITE_URL = "https://jobs.example.com"
    settings.SYNC_FAILURE_EMAIL_AFTER_MINUTES = 60
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset())
    monkeypatch.setattr(ScriptedMailBackend, "down", False)
    monkeypatch.setattr(ScriptedMailBackend, "crash", None)


@pytest.fixture
def admins(owner, member) -> list[str]:
    """Two admins with addresses (alice and carol), and people who must not be emailed."""
    organization = owner.memberships.get().organization
    for username, email, active in [
        ("carol", "carol@acme.example", True),
        ("dave", "", True),  # no address
        ("erin", "erin@acme.example", False),  # deactivated
    ]:
        user = User.objects.create_user(username, email, "correct horse battery", is_active=active)
        Membership.objects.create(organization=organization, user=user, role=Membership.Role.ADMIN)
    return ["alice@acme.example", "carol@acme.example"]


def failing_for(connection: GreenhouseConnection, minutes: int) -> None:
    """As if syncs had failed since `minutes` ago."""
    GreenhouseConnection.objects.filter(pk=connection.pk).update(
        failing_since=timezone.now() - timedelta(minutes=minutes)
    )


def greenhouse_down(fake_greenhouse, status: int = 502) -> None:
    """Every request fails until reset_faults() (the client retries within each sync)."""
    fake_greenhouse.fail_next("acme-robotics", "status", times=1000, status=status)


def sync(connection: GreenhouseConnection) -> GreenhouseConnection:
    sync_organization(connection, trigger="schedule")
    connection.refresh_from_db()
    return connection


def failing_past_the_alert_delay(connection, fake_greenhouse, status: int = 502) -> None:
    """Greenhouse down, one sync failed, and syncs failing since over an hour ago: the next
    failed sync emails the admins."""
    greenhouse_down(fake_greenhouse, status)
    sync(connection)
    failing_for(connection, 61)


def test_admins_are_emailed_once_when_syncs_have_failed_for_an_hour(acme, fake_greenhouse, admins):
    sync(acme)
    greenhouse_down(fake_greenhouse)

    sync(acme)
    failing_for(acme, 59)
    sync(acme)
    assert mail.outbox == []

    failing_for(acme, 61)
    sync(acme)

    assert sorted(message.to[0] for message in mail.outbox) == admins
    assert all(len(message.to) == 1 for message in mail.outbox)  # nobody sees the others
    message = mail.outbox[0]
    assert message.subject == "Greenhouse sync is failing for Acme Robotics"
    assert "3 attempts in a row" in message.body
    assert f"The last attempt said: {acme.last_error}" in message.body
    assert "502" in acme.last_error
    assert f"a Refresh now button are on the settings page:\n\n{SETTINGS_URL}\n" in message.body
    assert "Nothing has been removed" in message.body
    assert "&" not in message.body.replace(acme.last_error, "")  # plain text, not escaped HTML
    assert acme.failure_emailed_at is not None

    sync(acme)
    sync(acme)
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("kind", [SyncEmail.FAILING, SyncEmail.WORKING])
def test_sync_emails_name_the_zone_of_a_time_in_the_hour_a_fall_back_repeats(acme, settings, kind):
    """Django's date filter names no zone of a time the clock reads twice: "since 1 November
    2026, 01:30 " was said of 01:30 EDT and of 01:30 EST, an hour apart."""
    settings.TIME_ZONE = "America/New_York"
    acme.failing_since = acme.last_success_at = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)

    body = render_to_string(
        f"manage/sync_{kind}_email.txt", {"organization": acme.organization, "connection": acme}
    )

    # The failing email names the failures' start and the last sync that worked.
    assert body.count("1 November 2026, 01:30 EST") == (2 if kind == SyncEmail.FAILING else 1)


def test_sync_emails_tell_autoresponders_not_to_answer(acme, fake_greenhouse, owner):
    """RFC 3834: an out-of-office reply would go to the From address, which nobody reads."""
    failing_past_the_alert_delay(acme, fake_greenhouse)
    sync(acme)
    fake_greenhouse.reset_faults()
    sync(acme)

    headers = [
        (message.message()["Auto-Submitted"], message.message()["X-Auto-Response-Suppress"])
        for message in mail.outbox
    ]
    assert headers == [
        ("auto-generated", "All"),  # failing
        ("auto-generated", "All"),  # works again
    ]


def test_the_email_for_a_removed_board_says_to_connect_the_new_token(acme, fake_greenhouse, owner):
    sync(acme)
    fake_greenhouse.remove_board("acme-robotics")
    sync(acme)
    failing_for(acme, 120)

    sync(acme)

    assert acme.state == GreenhouseConnection.State.INVALID_TOKEN
    [message] = mail.outbox
    assert "Greenhouse has no job board with the token “acme-robotics”" in message.body
    assert 'connect its new board token (in place of "acme-robotics")' in message.body


def test_a_404_a_redirect_led_to_asks_for_no_new_token(acme, fake_greenhouse, owner):
    """The board's own address never said it is missing: the token may well be right."""
    sync(acme)
    login = f"{fake_greenhouse.base_url}/login"
    fake_greenhouse.fail_next("acme-robotics", "redirect", times=10, location=login)
    sync(acme)
    failing_for(acme, 120)

    sync(acme)

    assert acme.state == GreenhouseConnection.State.FAILING
    [message] = mail.outbox
    assert "redirected the request to /v1/login, which answered HTTP 404 Not Found" in message.body
    assert "board token" not in message.body


def test_the_email_of_a_board_that_never_worked_says_the_page_shows_none_of_its_jobs(
    acme, fake_greenhouse, owner
):
    failing_past_the_alert_delay(acme, fake_greenhouse)
    sync(acme)

    [message] = mail.outbox
    assert "no sync of this board has worked yet" in message.body
    assert "keeps trying on its schedule" in message.body


def test_the_email_of_a_paused_org_does_not_promise_more_tries(acme, fake_greenhouse, owner):
    sync(acme)
    failing_past_the_alert_delay(acme, fake_greenhouse)
    GreenhouseConnection.objects.filter(pk=acme.pk).update(enabled=False)
    acme.refresh_from_db()

    sync(acme)  # Refresh now, or sync_jobs, while paused

    [message] = mail.outbox
    assert "your public page shows the jobs of the last sync that worked" in message.body
    assert "keeps trying" not in message.body
    # As its settings page and sync_jobs say it: "the sync will try again later" was untrue.
    assert (
        "The last attempt said: Greenhouse is having trouble (HTTP 502); syncing is paused, so no "
        "sync will try again.\n"
    ) in message.body
    # As its settings page offers it: no Refresh now button, but the way to resume.
    assert "Refresh now" not in message.body
    assert (
        "Syncing is paused, so it cannot be refreshed. The connection, its last error and the "
        f"schedule, where you can resume syncing, are on the settings page:\n\n{SETTINGS_URL}\n"
    ) in message.body


def test_the_first_working_sync_after_the_email_says_so_once(acme, fake_greenhouse, admins):
    greenhouse_down(fake_greenhouse, 503)
    sync(acme)
    failing_for(acme, 90)
    sync(acme)
    assert len(mail.outbox) == 2
    mail.outbox.clear()
    fake_greenhouse.reset_faults()

    sync(acme)
    sync(acme)

    assert acme.state == GreenhouseConnection.State.OK
    assert sorted(message.to[0] for message in mail.outbox) == admins
    message = mail.outbox[0]
    assert message.subject == "Greenhouse sync works again for Acme Robotics"
    assert "https://jobs.example.com/orgs/acme/" in message.body
    assert acme.failure_emailed_at is None


def test_a_later_failure_is_emailed_afresh(acme, fake_greenhouse, owner):
    for _ in range(2):
        failing_past_the_alert_delay(acme, fake_greenhouse, 500)
        sync(acme)
        fake_greenhouse.reset_faults()
        sync(acme)

    subjects = [message.subject.split(" for ")[0] for message in mail.outbox]
    failing, working = "Greenhouse sync is failing", "Greenhouse sync works again"
    assert subjects == [failing, working, failing, working]


def test_failures_that_heal_within_the_hour_send_nothing(acme, fake_greenhouse, owner):
    greenhouse_down(fake_greenhouse)
    for _ in range(3):
        sync(acme)
    fake_greenhouse.reset_faults()
    sync(acme)

    assert acme.state == GreenhouseConnection.State.OK
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        # Plain text: U+202E would reverse the rest of the subject, and of each line it is on.
        ("Acme \u202eRobotics", "Acme Robotics"),
        # Isolated, as a page's title isolates it: the digits at its start took the direction of
        # the words before them, "failing for 2024 זכרמ", read "מרכז" first, "2024" last; in the
        # body so did "admin of 2024 מרכז.", its full stop then on the left.
        ("2024 \u202eמרכז", "\u20682024 מרכז\u2069"),
        # Its own isolates, one a close with nothing to close, are dropped as any control: only
        # the email's pair is left, which closes what it opens.
        ("\u20692024 \u2067מרכז\u2069\u2068", "\u20682024 מרכז\u2069"),
    ],
    ids=["override left open", "written right to left", "holding isolates of its own"],
)
def test_an_org_name_is_emailed_without_the_controls_it_leaves_open(
    acme, fake_greenhouse, owner, name, shown
):
    acme.organization.name = name
    acme.organization.save()
    failing_past_the_alert_delay(acme, fake_greenhouse)

    sync(acme)

    [message] = mail.outbox
    assert message.subject == f"Greenhouse sync is failing for {shown}"
    assert f"import the jobs of {shown} from Greenhouse" in message.body
    assert f"because you are an admin of {shown}. It is sent once" in message.body
    assert not DIRECTION_CONTROLS_RE.search(message.body.replace(shown, ""))


def test_the_working_again_email_isolates_a_name_written_right_to_left(
    acme, fake_greenhouse, owner
):
    acme.organization.name = "2024 מרכז"
    acme.organization.save()
    failing_past_the_alert_delay(acme, fake_greenhouse)
    sync(acme)
    mail.outbox.clear()
    fake_greenhouse.reset_faults()

    sync(acme)

    [message] = mail.outbox
    assert message.subject == "Greenhouse sync works again for \u20682024 מרכז\u2069"
    assert "Greenhouse sync works again for \u20682024 מרכז\u2069: the sync of" in message.body
    assert "because you are an admin of \u20682024 מרכז\u2069 and were emailed" in message.body


def test_an_email_body_keeps_closed_isolates_alone_of_the_direction_controls():
    """Others' text in a body (the error a sync's last attempt said) could leave an override or
    an isolate open, which would reorder the rest of its line: dropped, but for the pairs the
    templates put around a name (name_in_sentence), which leave nothing open."""
    body = "of \u20682024 מרכז\u2069.\nsaid: \u202eoops \u2068open \u2068x\u202cy\u2069\n"

    assert email_body(body) == "of \u20682024 מרכז\u2069.\nsaid: oops open xy\n"


@pytest.mark.parametrize(
    "name",
    # The email drops the control, which left "Acme Co.." where the name ended a sentence.
    ["Acme Co.", "\u202bAcme Co.\u202c"],
    ids=["plain", "before a direction control"],
)
def test_an_org_name_that_ends_a_sentence_gets_no_second_full_stop(
    acme, fake_greenhouse, owner, name
):
    acme.organization.name = name
    acme.organization.save()
    failing_past_the_alert_delay(acme, fake_greenhouse)

    sync(acme)

    [message] = mail.outbox
    assert "because you are an admin of Acme Co. It is sent once" in message.body


def test_zero_minutes_sends_no_emails(acme, fake_greenhouse, owner, settings):
    settings.SYNC_FAILURE_EMAIL_AFTER_MINUTES = 0
    fake_greenhouse.remove_board("acme-robotics")
    sync(acme)
    failing_for(acme, 24 * 60)

    sync(acme)

    assert mail.outbox == []


def test_a_mail_server_that_is_down_is_logged_and_tried_again_at_the_next_failure(
    acme, fake_greenhouse, owner, caplog
):
    failing_past_the_alert_delay(acme, fake_greenhouse)
    ScriptedMailBackend.down = True

    with caplog.at_level(logging.INFO, logger="jobs.alerts"):
        sync(acme)

    assert "sync email failed org=acme kind=failing" in caplog.text
    assert acme.state == GreenhouseConnection.State.FAILING  # the sync's record stands
    assert acme.failure_emailed_at is None and mail.outbox == []
    ScriptedMailBackend.down = False
    sync(acme)
    assert [message.to for message in mail.outbox] == [["alice@acme.example"]]


@pytest.mark.parametrize(
    "error",
    [
        TimeoutError("timed out"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        # The task's soft time limit, reached while a slow mail server answers.
        SoftTimeLimitExceeded(),
    ],
    ids=repr,
)
def test_an_email_that_raises_as_it_is_sent_is_tried_again_at_the_next_failure(
    acme, fake_greenhouse, owner, caplog, error
):
    """The email is claimed before it is sent: a claim kept when nobody got it would keep the
    admins from ever hearing of this failure."""
    failing_past_the_alert_delay(acme, fake_greenhouse)
    ScriptedMailBackend.crash = error

    with caplog.at_level(logging.INFO, logger="jobs.alerts"):
        sync(acme)

    assert acme.failure_emailed_at is None and mail.outbox == []
    assert "delivered=0 refused=0 of=1" in caplog.text
    ScriptedMailBackend.crash = None
    sync(acme)
    assert [message.to for message in mail.outbox] == [["alice@acme.example"]]
    assert acme.failure_emailed_at is not None


class WorkerKilled(BaseException):
    """The worker's process ends where this is raised (SIGKILL, out of memory): no handler of
    the code's own runs after it."""


def killed_before_sending(*args) -> NoReturn:
    raise WorkerKilled


def test_an_email_whose_worker_died_before_sending_it_is_sent_once_its_claim_lapses(
    acme, fake_greenhouse, owner, monkeypatch, settings
):
    failing_past_the_alert_delay(acme, fake_greenhouse)
    with monkeypatch.context() as dying, pytest.raises(WorkerKilled):
        dying.setattr("jobs.alerts._send", killed_before_sending)
        sync(acme)
    acme.refresh_from_db()
    assert acme.failure_emailed_at is None  # the settings page does not say it was sent

    synced_before_and_after_the_claim_lapses(acme, monkeypatch, settings)
    assert [message.to for message in mail.outbox] == [["alice@acme.example"]]


def synced_before_and_after_the_claim_lapses(acme, monkeypatch, settings) -> None:
    """Sync while a dead worker's claim on an email stands, then twice once it has lapsed."""
    sync(acme)  # its claim may still be a send under way
    assert mail.outbox == []

    lapsed = timezone.now() + timedelta(seconds=settings.SYNC_LOCK_SECONDS + 1)
    monkeypatch.setattr(timezone, "now", lambda: lapsed)
    sync(acme)
    sync(acme)


def test_an_address_the_server_refuses_is_not_tried_again_nor_are_the_others(
    acme, fake_greenhouse, admins, caplog
):
    """Retrying would email everyone else again at every failed sync."""
    failing_past_the_alert_delay(acme, fake_greenhouse)
    ScriptedMailBackend.refused = frozenset({"alice@acme.example"})

    with caplog.at_level(logging.INFO, logger="jobs.alerts"):
        for _ in range(3):
            sync(acme)

    assert [message.to for message in mail.outbox] == [["carol@acme.example"]]
    assert "sync email refused org=acme kind=failing" in caplog.text
    assert "delivered=1 refused=1 of=2" in caplog.text


def test_an_address_that_cannot_be_addressed_is_skipped_and_the_others_are_emailed(
    acme, fake_greenhouse, admins, caplog
):
    """Its domain cannot be IDNA-encoded: sending to it raised, and the admins after it (or, as
    the first, all of them) went without the email."""
    User.objects.filter(username="alice").update(email="alice@exa\u2029mple.example")
    failing_past_the_alert_delay(acme, fake_greenhouse)

    with caplog.at_level(logging.INFO, logger="jobs.alerts"):
        sync(acme)

    assert [message.to for message in mail.outbox] == [["carol@acme.example"]]
    assert (
        "sync email not sent org=acme to='alice@exa\\u2029mple.example' "
        "reason=address cannot be encoded" in caplog.text
    )
    assert "delivered=1 refused=0 of=1" in caplog.text
    assert acme.failure_emailed_at is not None


def test_when_every_address_is_refused_it_is_not_tried_again(acme, fake_greenhouse, owner):
    failing_past_the_alert_delay(acme, fake_greenhouse)
    ScriptedMailBackend.refused = frozenset({"alice@acme.example"})

    sync(acme)

    assert acme.failure_emailed_at is not None
    ScriptedMailBackend.refused = frozenset()
    sync(acme)
    assert mail.outbox == []


@pytest.mark.parametrize("fault", ["down", "crash"])
def test_a_working_again_email_that_reached_nobody_is_sent_at_the_next_working_sync(
    acme, fake_greenhouse, admins, caplog, fault
):
    """As the failure email is: the admins who were told that syncs fail must hear that they
    work again, or they go looking for a problem that is gone."""
    failing_past_the_alert_delay(acme, fake_greenhouse)
    sync(acme)
    fake_greenhouse.reset_faults()
    mail.outbox.clear()
    if fault == "down":
        ScriptedMailBackend.down = True
    else:
        ScriptedMailBackend.crash = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with caplog.at_level(logging.INFO, logger="jobs.alerts"):
        sync(acme)

    assert "delivered=0 refused=0 of=2" in caplog.text
    assert mail.outbox == [] and acme.failure_emailed_at is not None
    ScriptedMailBackend.down, ScriptedMailBackend.crash = False, None
    sync(acme)
    sync(acme)
    assert sorted(message.to[0] for message in mail.outbox) == admins
    assert {message.subject for message in mail.outbox} == {
        "Greenhouse sync works again for Acme Robotics"
    }
    assert acme.failure_emailed_at is None


def test_a_working_again_email_whose_worker_died_is_sent_once_its_claim_lapses(
    acme, fake_greenhouse, owner, monkeypatch, settings
):
    failing_past_the_alert_delay(acme, fake_greenhouse)
    sync(acme)
    fake_greenhouse.reset_faults()
    mail.outbox.clear()
    with monkeypatch.context() as dying, pytest.raises(WorkerKilled):
        dying.setattr("jobs.alerts._send", killed_before_sending)
        sync(acme)

    synced_before_and_after_the_claim_lapses(acme, monkeypatch, settings)
    assert [message.subject for message in mail.outbox] == [
        "Greenhouse sync works again for Acme Robotics"
    ]


def test_a_working_again_email_every_address_refuses_is_not_tried_again(
    acme, fake_greenhouse, owner
):
    failing_past_the_alert_delay(acme, fake_greenhouse)
    sync(acme)
    fake_greenhouse.reset_faults()
    ScriptedMailBackend.refused = frozenset({"alice@acme.example"})

    sync(acme)
    ScriptedMailBackend.refused = frozenset()
    sync(acme)

    assert acme.failure_emailed_at is None
    assert [message.subject for message in mail.outbox] == [
        "Greenhouse sync is failing for Acme Robotics"
    ]


def test_an_email_that_crashes_leaves_the_sync_recorded(acme, fake_greenhouse, monkeypatch, caplog):
    def crash(connection):
        raise RuntimeError("template missing")

    monkeypatch.setattr("jobs.sync.sync_health_email_send", crash)
    greenhouse_down(fake_greenhouse)

    with caplog.at_level(logging.ERROR, logger="jobs.sync"):
        result = sync_organization(acme, trigger="schedule")

    assert result.outcome == "failed" and result.transient  # the task still retries it
    assert "sync email crashed org=acme" in caplog.text
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.FAILED


def test_two_syncs_deciding_at_once_send_one_email(acme, fake_greenhouse, owner):
    """The email is claimed with a conditional UPDATE: a copy of the connection loaded before
    the other one sent it must not send it again."""
    failing_past_the_alert_delay(acme, fake_greenhouse)
    acme.refresh_from_db()
    stale_copy = GreenhouseConnection.objects.get(pk=acme.pk)

    assert sync_health_email_send(acme) == SyncEmail.FAILING
    assert sync_health_email_send(stale_copy) == SyncEmail.NONE
    assert len(mail.outbox) == 1


def test_a_board_connected_since_the_sync_failed_is_not_emailed_about(acme, fake_greenhouse, owner):
    """The email is decided after the sync let go of its lock, when the settings page may have
    connected another board; that board's first good sync must not say "works again" either."""
    failing_past_the_alert_delay(acme, fake_greenhouse)
    fake_greenhouse.reset_faults()
    failed = GreenhouseConnection.objects.get(pk=acme.pk)
    failed.state = GreenhouseConnection.State.FAILING  # as the failed sync left it in memory

    connection_save(organization=acme.organization, board=check_board("tiny-co"))

    assert sync_health_email_send(failed) == SyncEmail.NONE
    assert sync(acme).failure_emailed_at is None
    assert mail.outbox == []


def test_a_sync_that_worked_since_the_failure_stops_its_email(acme, fake_greenhouse, owner):
    failing_past_the_alert_delay(acme, fake_greenhouse)
    acme.refresh_from_db()
    failed = GreenhouseConnection.objects.get(pk=acme.pk)
    fake_greenhouse.reset_faults()
    sync(acme)

    assert sync_health_email_send(failed) == SyncEmail.NONE
    assert mail.outbox == []


def test_an_org_without_admins_is_emailed_once_it_has_one(acme, fake_greenhouse, member, caplog):
    failing_past_the_alert_delay(acme, fake_greenhouse)

    with caplog.at_level(logging.WARNING, logger="jobs.alerts"):
        sync(acme)

    assert mail.outbox == []  # the member cannot fix the connection
    assert "sync email not sent org=acme reason=no admins" in caplog.text
    assert acme.failure_emailed_at is None
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    sync(acme)
    assert [message.to for message in mail.outbox] == [["bob@acme.example"]]


def test_connecting_another_board_forgets_the_email(acme, fake_greenhouse, owner):
    fake_greenhouse.remove_board("acme-robotics")
    sync(acme)
    failing_for(acme, 61)
    sync(acme)
    assert len(mail.outbox) == 1

    connection_save(organization=acme.organization, board=check_board("tiny-co"))
    sync(acme)

    assert acme.state == GreenhouseConnection.State.OK
    assert len(mail.outbox) == 1  # the admin who connected it saw it work


def test_the_status_of_an_org_without_admins_says_nobody_would_be_emailed(acme, owner):
    """As connect_greenhouse makes an org: "to the admins" promised an email nobody gets."""
    owner.memberships.update(role=Membership.Role.MEMBER)

    assert sync_status(organization=acme.organization)["failure_email_text"] == (
        "no admin to email yet: invite one on the members page"
    )


def test_the_status_of_an_org_whose_admins_cannot_be_addressed_logs_no_email_unsent(
    acme, owner, caplog
):
    """The status is read on every admin page and each poll of it, and sends nothing: each
    logged that a sync email was not sent to the address."""
    User.objects.filter(pk=owner.pk).update(email="alice@exa\u2029mple.example")

    with caplog.at_level(logging.INFO, logger="jobs.alerts"):
        text = sync_status(organization=acme.organization)["failure_email_text"]

    assert text == NO_USABLE_ADDRESS
    assert "sync email not sent" not in caplog.text


def test_the_status_of_an_org_whose_admin_has_no_address_says_so(acme, owner, member):
    """It said to invite an admin, though the org has one: their address was the trouble."""
    User.objects.filter(pk=owner.pk).update(email="")

    text = sync_status(organization=acme.organization)["failure_email_text"]

    assert text == NO_USABLE_ADDRESS


def test_the_settings_page_says_whether_the_admins_were_emailed(
    client, acme, fake_greenhouse, owner, settings
):
    client.force_login(owner)
    status_url = "/manage/acme/status.json"
    assert client.get(status_url).json()["failure_email_text"] == (
        "to the admins once syncs have failed for 1\xa0hour"
    )

    fake_greenhouse.remove_board("acme-robotics")
    sync(acme)
    failing_for(acme, 61)
    sync(acme)

    page = client.get("/manage/acme/settings/").content.decode()
    assert "<dt>Failure email</dt>" in page and "sent to the admins " in page
    assert client.get(status_url).json()["failure_email_text"].startswith("sent to the admins ")
    settings.SYNC_FAILURE_EMAIL_AFTER_MINUTES = 0
    fake_greenhouse.load_fixture("acme-robotics", "acme-robotics")
    sync(acme)
    assert client.get(status_url).json()["failure_email_text"] == "off"
