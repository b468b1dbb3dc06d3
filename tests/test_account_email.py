"""Changing the email address of one's account: a link sent to the new address confirms it
(one's own in another case is saved at once)."""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta
from unittest import mock
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from jobs import manage_views
from jobs.email_change import EMAIL_CHANGE_SALT
from jobs.throttle import ACCOUNT_EMAILS_PER_CLIENT, EMAIL_CHANGE_LINKS_PER_ACCOUNT
from tests.support.helpers import assert_signs_out_and_comes_back_to, parsed
from tests.support.mail import ScriptedMailBackend

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
NEW = "alice@new.example"


def ask(signed_in: Client, email: str = NEW, password: str = PASSWORD):
    return signed_in.post("/accounts/email/", {"email": email, "password": password})


def field_errors(response) -> dict[str, str]:
    """The error summary's lines, by the id of the field each names."""
    summary = parsed(response).select(".error-summary a")
    return {link["href"].removeprefix("#id_"): link.get_text(" ", strip=True) for link in summary}


def confirm_link(message: mail.EmailMessage) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/email/confirm/\S+/)", message.body).group(1)


def asked_link(signed_in: Client, email: str = NEW) -> str:
    mail.outbox.clear()
    assert ask(signed_in, email).status_code == 302
    return confirm_link(next(m for m in mail.outbox if m.to == [email]))


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_account_page_links_the_email_page_next_to_the_password(signed_in):
    links = [a["href"] for a in parsed(signed_in.get("/manage/")).select("a")]
    assert links.index("/accounts/email/") == links.index("/accounts/password_change/") + 1


def test_the_page_shows_the_current_address_and_asks_for_the_new_one_and_the_password(signed_in):
    response = signed_in.get("/accounts/email/")
    page = parsed(response)

    assert response.status_code == 200
    assert "alice@acme.example" in page.select_one("main").get_text()
    assert page.find("input", {"name": "email", "autocomplete": "email"})
    assert page.find("input", {"name": "password", "autocomplete": "current-password"})


def test_a_visitor_is_asked_to_sign_in_first(client, owner):
    response = client.get("/accounts/email/")
    assert response["Location"] == "/accounts/login/?next=/accounts/email/"


def test_the_address_changes_once_the_emailed_link_is_opened_and_confirmed(signed_in, owner):
    response = ask(signed_in)

    assert response["Location"] == "/accounts/email/"
    assert said(response) == [
        "A link was sent to alice@new.example. Open it within 3 days, signed in as alice, to "
        "make it your address; until then your address stays as it is."
    ]
    owner.refresh_from_db()
    assert owner.email == "alice@acme.example"  # a typo locks nobody out
    (link_email,) = [m for m in mail.outbox if m.to == [NEW]]
    link = confirm_link(link_email)
    assert link_email.body.startswith("Hello alice,") and "3 days" in link_email.body

    page = signed_in.get(link)  # opening it changes nothing yet (mail scanners open links)
    owner.refresh_from_db()
    assert page.status_code == 200 and owner.email == "alice@acme.example"
    assert parsed(page).select_one("main button").get_text() == "Use alice@new.example"

    response = signed_in.post(link, follow=True)

    owner.refresh_from_db()
    assert owner.email == NEW
    assert said(response) == ["Your email address is now alice@new.example."]
    assert response.redirect_chain == [("/accounts/email/", 302)]
    assert parsed(response).select_one(".narrow strong").get_text() == NEW


def test_the_link_leads_to_site_url_whatever_host_the_request_named(signed_in, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://jobs.example.org"
    data = {"email": NEW, "password": PASSWORD}
    signed_in.post("/accounts/email/", data, HTTP_HOST="evil.example")

    bodies = " ".join(message.body for message in mail.outbox)
    assert "https://jobs.example.org/accounts/email/confirm/" in bodies
    assert "evil.example" not in bodies


def test_the_old_address_is_told_a_change_was_asked_for(signed_in):
    ask(signed_in)

    (notice,) = [m for m in mail.outbox if m.to == ["alice@acme.example"]]
    assert "alice@new.example" in notice.body and "change it now" in notice.body
    assert "/accounts/email/confirm/" not in notice.body  # the link goes to the new one only


def test_both_emails_tell_autoresponders_not_to_answer(signed_in):
    ask(signed_in)

    assert sorted(m.to[0] for m in mail.outbox) == ["alice@acme.example", NEW]
    for message in mail.outbox:
        assert message.message()["Auto-Submitted"] == "auto-generated"


def test_a_wrong_password_sends_nothing_and_says_so_on_its_field(signed_in, owner):
    response = ask(signed_in, password="wrong")

    assert response.status_code == 200
    assert field_errors(response) == {
        "password": "Your password: That is not your password. Your address was not changed."
    }
    assert mail.outbox == []


def test_guessing_the_password_is_throttled_like_signing_in(signed_in, owner, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    statuses = [ask(signed_in, password=f"guess {n}").status_code for n in range(3)]

    response = ask(signed_in)

    assert statuses == [200, 200, 200]
    assert response.status_code == 429 and "Too many failed" in response.content.decode()
    assert 'href="/accounts/password_reset/"' in response.content.decode()  # the link it names
    assert mail.outbox == []


def test_wrong_passwords_here_count_toward_signing_in(signed_in, client, owner, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for n in range(3):
        ask(signed_in, password=f"guess {n}")

    response = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 429


@pytest.mark.parametrize("typed", ["bob@acme.example", "BOB@Acme.Example", "bob@ACME.EXAMPLE"])
def test_an_address_another_account_uses_is_refused_in_any_case(signed_in, member, typed):
    response = ask(signed_in, typed)

    assert field_errors(response) == {
        "email": "New email address: Another account already uses this address; each account "
        "needs one of its own."
    }
    assert mail.outbox == []


def test_an_address_only_like_another_accounts_is_not_taken_for_it(signed_in):
    """PostgreSQL's case-insensitive match pairs the dotless "ı" with "i" (CVE-2019-19844)."""
    User.objects.create_user("eve", "victim@gmaıl.com")

    assert ask(signed_in, "victim@gmail.com")["Location"] == "/accounts/email/"


@pytest.mark.parametrize("typed", ["Alice@acme.example", "alice@\uff41cme.example"])
def test_ones_own_address_in_another_case_is_saved_at_once_with_no_email(signed_in, owner, typed):
    """The same mailbox as the site compares addresses (one account, where a password reset to
    either goes): a link there proved nothing the password did not, and was a wait for nothing.
    """
    response = ask(signed_in, typed)

    assert response["Location"] == "/accounts/email/"
    assert said(response) == [f"Your email address is now {typed}."]
    owner.refresh_from_db()
    assert owner.email == typed
    assert mail.outbox == []


def test_respelling_ones_address_uses_up_none_of_the_days_links(signed_in):
    for n in range(EMAIL_CHANGE_LINKS_PER_ACCOUNT + 1):
        ask(signed_in, "Alice@acme.example" if n % 2 == 0 else "ALICE@acme.example")

    assert ask(signed_in)["Location"] == "/accounts/email/"
    assert [m.to for m in mail.outbox if m.to == [NEW]] == [[NEW]]


def test_a_link_asked_before_the_address_was_respelt_stays_unusable_once_spelt_back(
    signed_in, owner
):
    link = asked_link(signed_in)
    ask(signed_in, "Alice@acme.example")
    ask(signed_in, "alice@acme.example")

    assert signed_in.post(link).status_code == 410
    owner.refresh_from_db()
    assert owner.email == "alice@acme.example"


def test_respelling_ones_address_as_a_link_changes_it_changes_nothing_and_says_so(
    signed_in, owner, monkeypatch
):
    """A link to another address used between the page's check and the save (in another tab):
    the respelt old address overwrote the one the link had confirmed, a change to another
    mailbox that no link confirmed."""
    link = asked_link(signed_in)
    respell = manage_views.email_respell

    def respell_as_the_link_is_used(**kwargs):
        other = Client()  # another session of the account, where the link is opened
        other.force_login(owner)
        assert other.post(link).status_code == 302
        respell(**kwargs)

    monkeypatch.setattr(manage_views, "email_respell", respell_as_the_link_is_used)

    response = ask(signed_in, "Alice@acme.example")

    owner.refresh_from_db()
    assert owner.email == NEW
    page = parsed(response)
    assert response.status_code == 200 and page.select_one(".narrow strong").get_text() == NEW
    assert page.select_one(".error-summary li").get_text() == (
        f"Your address changed to {NEW} meanwhile, so it was not changed to Alice@acme.example. "
        "Ask again if you still want it."
    )


def test_ones_own_address_as_it_is_is_refused(signed_in):
    response = ask(signed_in, "alice@acme.example")
    assert field_errors(response) == {"email": "New email address: This is already your address."}


@pytest.mark.parametrize(
    "email",
    ["dave@exa\u2029mple.example", "dave@\u3002acme.example", "dave@" + "é" * 60 + ".example"],
)
def test_an_address_that_cannot_be_written_in_an_email_is_refused(signed_in, email):
    response = ask(signed_in, email)

    assert field_errors(response)["email"].startswith(
        "New email address: An email cannot be sent to this address"
    )
    assert mail.outbox == []


def test_a_bad_address_is_refused_with_the_error_in_the_title(signed_in):
    response = ask(signed_in, "alice@")

    page = parsed(response)
    assert page.title.string.startswith("Error: ")
    assert "valid email" in field_errors(response)["email"]


def test_an_address_no_email_can_be_written_to_is_refused(signed_in, owner):
    response = ask(signed_in, "alice@\u3002new.example")  # 。 is a full stop: an empty label

    assert field_errors(response)["email"].startswith(
        "New email address: An email cannot be sent to this address"
    )
    assert mail.outbox == []


def test_an_address_taken_after_the_link_was_sent_is_not_given_to_a_second_account(
    signed_in, owner
):
    link = asked_link(signed_in)
    User.objects.create_user("carol", "ALICE@new.example", PASSWORD)

    response = signed_in.post(link)

    owner.refresh_from_db()
    assert response.status_code == 410 and owner.email == "alice@acme.example"
    assert "another account has used alice@new.example" in response.content.decode()


def test_a_link_to_an_address_taken_since_says_so_before_its_button_is_pressed(signed_in, owner):
    """Opened after another account confirmed the address: the page offered "Use …", which the
    click then refused."""
    link = asked_link(signed_in)
    User.objects.create_user("carol", "ALICE@new.example", PASSWORD)

    response = signed_in.get(link)

    assert refused(response) == (
        "The address was not changed: another account has used alice@new.example since the link "
        "was sent, and each account needs one of its own."
    )
    assert parsed(response).select_one("main button") is None
    owner.refresh_from_db()
    assert owner.email == "alice@acme.example"


def test_emails_to_one_address_stop_after_a_few_a_day(signed_in, owner):
    """The link goes to whatever address is typed: the page must not be a way to flood one."""
    for _ in range(ACCOUNT_EMAILS_PER_CLIENT):
        assert ask(signed_in)["Location"] == "/accounts/email/"
    mail.outbox.clear()

    response = ask(signed_in)

    assert response.status_code == 200
    assert field_errors(response)["email"].startswith(
        "New email address: Too many emails were sent to this address today."
    )
    assert mail.outbox == []


def test_one_account_cannot_mail_links_to_any_number_of_addresses(signed_in, owner):
    """Each email names the account, whose username its owner chose: counted per address only,
    the page would send it to any number of strangers."""
    for number in range(EMAIL_CHANGE_LINKS_PER_ACCOUNT):
        assert ask(signed_in, f"stranger{number}@far.example")["Location"] == "/accounts/email/"
    mail.outbox.clear()

    response = ask(signed_in, "one-more-stranger@far.example")

    assert response.status_code == 200
    assert (
        parsed(response)
        .select_one(".error-summary")
        .get_text(" ", strip=True)
        .endswith(
            f"You asked for {EMAIL_CHANGE_LINKS_PER_ACCOUNT} links today, the most in a day. "
            "Nothing was sent; try again tomorrow."
        )
    )
    assert mail.outbox == []


def test_a_password_reset_and_an_address_change_share_the_days_emails(client, signed_in, owner):
    for _ in range(ACCOUNT_EMAILS_PER_CLIENT):
        client.post("/accounts/password_reset/", {"email": "alice@acme.example"})
    mail.outbox.clear()

    ask(signed_in)

    # The link went; the notice to the old address did not, that address's share being used up.
    assert [m.to for m in mail.outbox] == [[NEW]]


def test_the_messages_and_the_button_isolate_a_new_address_written_right_to_left(client, owner):
    """As the emails name it (address_shown, then name_in_sentence): the new address was shown
    as typed, "dov@xn--6dbbec0c.example" as Chromium sends it, and once shown as people read it
    its dots and "@" took the direction of the words around it. The username too."""
    owner.username = "\u202eדוד"
    owner.save()
    client.force_login(owner)
    isolated = "\u2068dov@דוגמה.example\u2069"

    response = ask(client, "dov@xn--6dbbec0c.example")

    assert said(response) == [
        f"A link was sent to {isolated}. Open it within 3 days, signed in as \u2068דוד\u2069, "
        "to make it your address; until then your address stays as it is."
    ]
    link = confirm_link(next(m for m in mail.outbox if m.to == ["dov@xn--6dbbec0c.example"]))
    page = parsed(client.get(link))
    # On the page an element isolates it: characters would be copied with the address.
    assert page.select_one("main button bdi").get_text() == "dov@דוגמה.example"
    assert page.select("main p strong bdi")[-1].get_text() == "dov@דוגמה.example"
    assert "\u2068" not in page.select_one("main .narrow").get_text()
    response = client.post(link, follow=True)
    assert said(response) == [f"Your email address is now {isolated}."]
    assert parsed(response).select_one(".messages li").get_text() == said(response)[0]
    again = parsed(client.get(link))  # the link opened again: the address is already its
    assert again.select_one("main p strong bdi").get_text() == "dov@דוגמה.example"
    assert "\u2068" not in again.select_one("main .narrow").get_text()

    response = ask(client, "DOV@xn--6dbbec0c.example")  # respelt: saved at once

    assert said(response) == ["Your email address is now \u2068DOV@דוגמה.example\u2069."]


def test_a_link_the_mail_server_refuses_is_reported_and_no_notice_goes(
    signed_in, monkeypatch, settings
):
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset([NEW]))

    response = ask(signed_in)

    assert response.status_code == 200
    assert "The email could not be sent" in parsed(response).select_one(".error-summary").text
    assert mail.outbox == []


def test_a_notice_the_mail_server_refuses_does_not_stop_the_change(
    signed_in, monkeypatch, settings
):
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "refused", frozenset(["alice@acme.example"]))

    response = ask(signed_in)

    assert response["Location"] == "/accounts/email/"
    assert [m.to for m in mail.outbox] == [[NEW]]


def test_an_old_address_no_email_can_be_written_to_gets_no_notice_and_the_link_goes(
    signed_in, owner
):
    """Stored before sign-up refused such addresses: the notice to it would raise."""
    User.objects.filter(pk=owner.pk).update(email=f"alice@{'é' * 60}.example")

    response = ask(signed_in)

    assert response["Location"] == "/accounts/email/"
    assert [m.to for m in mail.outbox] == [[NEW]]


# --- Links that cannot be used --------------------------------------------------------------------


def refused(response) -> str:
    assert response.status_code == 410
    return parsed(response).select_one(".narrow [role=alert]").get_text()


def test_a_tampered_link_is_refused(signed_in, owner):
    link = asked_link(signed_in)
    token = link.split("/")[-2]
    user_pk, _, state = signing.loads(token, salt=EMAIL_CHANGE_SALT)
    values = [user_pk, "mallory@evil.example", state]
    # Another address under the link's signature; one signed with another salt; a cut one.
    payload = signing.b64_encode(signing.JSONSerializer().dumps(values)).decode()
    swapped = ":".join([payload, *token.split(":")[1:]])
    forged = signing.dumps(values, salt="not the salt")

    for bad in (swapped, forged, token[:-1]):
        for method in (signed_in.get, signed_in.post):
            response = method(f"/accounts/email/confirm/{bad}/")
            assert refused(response).startswith("This link is not valid any more")
    owner.refresh_from_db()
    assert owner.email == "alice@acme.example"


def test_an_expired_link_is_refused(signed_in, owner, settings):
    link = asked_link(signed_in)
    later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)

    with mock.patch("time.time", return_value=later.timestamp()):
        assert refused(signed_in.post(link)).startswith("This link is not valid any more")
    owner.refresh_from_db()
    assert owner.email == "alice@acme.example"


def test_a_used_link_has_its_headings_words_in_its_title(signed_in):
    # Screen readers read the title first: "Confirm your new email address", then a page with
    # nothing to confirm, sounded like two pages.
    link = asked_link(signed_in)
    signed_in.post(link)

    page = parsed(signed_in.get(link))

    assert page.select_one("main h1").text == "Your email address"
    assert page.title.text == "Your email address · orgsite"


def test_a_used_link_changes_nothing_more(signed_in, owner):
    first = asked_link(signed_in)
    signed_in.post(first)

    again = signed_in.get(first)  # a second click, or the email read again
    assert again.status_code == 200 and "already" in parsed(again).select_one("main").text

    second = asked_link(signed_in, "alice@third.example")
    signed_in.post(second)
    # The first address again only through a new link: the used one is void.
    assert refused(signed_in.post(first)).startswith("This link is not valid any more")
    owner.refresh_from_db()
    assert owner.email == "alice@third.example"


def test_a_used_link_clicked_again_voids_no_link_asked_for_since(signed_in, owner):
    """The email read again and its button pressed again: the address is already the link's,
    and nothing is saved; counted as a change again, it voided the link asked for since."""
    first = asked_link(signed_in)
    signed_in.post(first)
    since = asked_link(signed_in, "alice@third.example")

    assert signed_in.post(first).status_code == 302
    signed_in.post(since)

    owner.refresh_from_db()
    assert owner.email == "alice@third.example"


def test_a_used_link_stays_used_once_the_address_is_back_to_the_one_it_was_sent_from(
    signed_in, owner
):
    """Else whoever reads a mailbox the account has left (an old employer's), with a session
    left open, could take the address back there, and then the password resets, without the
    password the change asks for."""
    first = asked_link(signed_in)
    signed_in.post(first)
    back = asked_link(signed_in, "alice@acme.example")
    signed_in.post(back)

    assert refused(signed_in.post(first)).startswith("This link is not valid any more")
    owner.refresh_from_db()
    assert owner.email == "alice@acme.example"


def test_of_two_links_asked_for_only_the_first_used_works(signed_in, owner):
    first, second = asked_link(signed_in), asked_link(signed_in, "alice@other.example")
    signed_in.post(second)

    assert refused(signed_in.post(first)).startswith("This link is not valid any more")
    owner.refresh_from_db()
    assert owner.email == "alice@other.example"


def test_changing_the_password_voids_a_link_asked_for_before(signed_in, owner):
    """What the notice to the old address says to do when it was not them."""
    link = asked_link(signed_in)
    new = "a brand new passphrase"
    signed_in.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert refused(signed_in.post(link)).startswith("This link is not valid any more")
    owner.refresh_from_db()
    assert owner.email == "alice@acme.example"


def test_a_voided_link_to_an_address_taken_since_says_it_is_void(signed_in, owner):
    """The link is checked before the address it names: one voided by a password change (a
    stranger's request noticed) says no more of its address than that the link is dead."""
    link = asked_link(signed_in)
    owner.set_password("a brand new passphrase")
    owner.save()
    signed_in.force_login(owner)
    User.objects.create_user("carol", NEW, PASSWORD)

    for method in (signed_in.get, signed_in.post):
        assert refused(method(link)).startswith("This link is not valid any more")


def test_a_link_opened_by_another_signed_in_account_changes_nothing(signed_in, owner, outsider):
    link = asked_link(signed_in)
    mallory = Client()
    mallory.force_login(outsider)

    for method in (mallory.get, mallory.post):
        assert refused(method(link)).startswith("This link is for another account")
    owner.refresh_from_db()
    outsider.refresh_from_db()
    assert owner.email == "alice@acme.example" and outsider.email == "mallory@other.example"


def test_a_link_opened_by_another_account_signs_out_and_comes_back(signed_in, owner, outsider):
    """The page said "Sign out" with no way to but the header's, which led to the home page.
    Nor does it link "Your email address": that page is the signed-in account's."""
    link = asked_link(signed_in)
    browser = Client()
    browser.force_login(outsider)

    page = parsed(browser.get(link))

    assert_signs_out_and_comes_back_to(page, link)
    assert " ".join(page.select_one("main").get_text().split()) == (
        "This link cannot be used This link is for another account than the one you are signed "
        "in with. Sign out, then sign in with the account that asked for the change. Sign out"
    )
    assert not page.select("main a[href='/accounts/email/']")
    signed_out = browser.post("/accounts/logout/", {"next": link})
    assert signed_out.status_code == 302 and signed_out["Location"] == link
    assert "_auth_user_id" not in browser.session
    assert browser.get(link)["Location"] == f"/accounts/login/?next={quote(link)}"
    # Signing out used nothing up: signed in as the account that asked, the link works.
    signed_in_again = browser.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": link}
    )
    assert signed_in_again["Location"] == link
    assert browser.post(link)["Location"] == "/accounts/email/"
    owner.refresh_from_db()
    assert owner.email == NEW


def test_a_link_no_account_can_use_offers_no_sign_out_of_its_own(signed_in):
    response = signed_in.get("/accounts/email/confirm/not-a-link/")

    page = parsed(response)
    assert response.status_code == 410 and page.select("main form") == []
    # Where a new link is asked for, as the message says.
    assert page.find("a", string="Your email address")["href"] == "/accounts/email/"


def test_a_link_opened_signed_out_asks_to_sign_in_and_comes_back(signed_in, owner):
    link = asked_link(signed_in)
    browser = Client()

    response = browser.get(link)
    assert response["Location"] == f"/accounts/login/?next={quote(link)}"
    response = browser.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": link}
    )
    assert response["Location"] == link
    browser.post(link)

    owner.refresh_from_db()
    assert owner.email == NEW


def test_the_account_pages_log_no_password(signed_in, caplog):
    with caplog.at_level("INFO"):
        ask(signed_in, password="wrong guess")
    assert "wrong guess" not in caplog.text and "password_incorrect" in caplog.text


def test_a_failed_email_is_logged_with_its_kind(signed_in, monkeypatch, settings, caplog):
    settings.EMAIL_BACKEND = "tests.support.mail.ScriptedMailBackend"
    monkeypatch.setattr(ScriptedMailBackend, "crash", smtplib.SMTPServerDisconnected("closed"))

    ask(signed_in)

    assert "email change email failed user=" in caplog.text
