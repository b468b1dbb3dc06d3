"""Sign-in throttling: failed sign-ins are counted per username and per client address, and so
are wrong passwords typed by someone signed in (changing the password or the email address,
deleting the account); new orgs are counted per client address, board token checks per org,
address change links per account, and password reset, address change and invitation emails per
address they go to.

Counters live in the cache (shared by all web processes) for a fixed window that starts at the
first failure. Once either counter reaches LOGIN_FAILURE_LIMIT, further attempts are refused,
even with the right password, until the window has passed: a guesser learns nothing more.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest

from jobs.cache import cache_failure
from jobs.form_messages import say_what_to_type
from jobs.mail import address_in_idna, addresses_alike
from jobs.text import email_key, seconds_in_words

logger = logging.getLogger(__name__)

USERNAME_LOGGED_MAX_LENGTH = 200
# Past any account's username in any spelling (150 characters; its domain at most 253 in IDNA).
USERNAME_ALIKE_MAX_LENGTH = 1_000
THROTTLED_CODE = "throttled"
THROTTLED_MESSAGE = (
    "Too many failed sign-in attempts. Wait %(wait)s and try again. If you forgot "
    "your password, reset it meanwhile with the link on this page: the new one works once the "
    "wait is over."
)


def client_ip(request: HttpRequest | None) -> str:
    """The address of the client. Behind TRUSTED_PROXY_COUNT proxies it is the entry the
    outermost of them added to X-Forwarded-For: what comes before it, the client could write."""
    if request is None:
        return ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        entries = [entry.strip() for entry in forwarded if entry.strip()]
        if len(entries) >= proxies:
            return entries[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _digest(text: str) -> str:
    # Hashed: usernames are user input and cache backends restrict key characters and length.
    return hashlib.sha256(text.encode()).hexdigest()


def _mailbox_digest(email: str) -> str:
    """One key for an address in any case, its domain in IDNA or Unicode: the one mailbox,
    which either spelling finds (accounts_with_email), so alternating them does not double a
    day's emails to it."""
    return _digest(email_key(address_in_idna(email)))


# An IPv6 client (a home line, a cloud machine) is given a /64 network of its own: counted by
# address, it would start afresh from each of its 2**64 addresses.
IPV6_CLIENT_PREFIX = 64


def _client_digest(ip: str) -> str:
    """The client address as the limits count it: an IPv4 address, or an IPv6 one's /64."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:  # not an address (a test's, or a proxy's odd entry): counted as it is
        return _digest(ip)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:  # ::ffff:203.0.113.7 (a dual-stack socket) is an IPv4 client
            return _digest(str(address.ipv4_mapped))
        network = ipaddress.IPv6Network((int(address), IPV6_CLIENT_PREFIX), strict=False)
        return _digest(str(network))
    return _digest(ip)


def _counter_keys(*, username: str, ip: str) -> list[str]:
    keys = []
    if username:
        keys.append(f"login-failures:user:{_digest(username.casefold())}")
    if ip:
        keys.append(f"login-failures:ip:{_client_digest(ip)}")
    return keys


# A cache that is down or full must not lock everyone out: sign-ins then go unthrottled (and it is
# logged, and /healthz reports the cache) rather than failing with a 500. One line each, no
# traceback: while Redis is down every sign-in fails the same way, and would flood the log.
def login_attempts_blocked(*, username: str, ip: str) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    try:
        counts = cache.get_many(_counter_keys(username=username, ip=ip))
    except Exception as exc:
        logger.warning(
            "login throttle unavailable: cache %s, attempt not checked error=%r",
            cache_failure(exc),
            exc,
        )
        return False
    return any(count >= limit for count in counts.values())


def throttled_error() -> forms.ValidationError:
    """What a password form says once login_attempts_blocked()."""
    # The whole window, in minutes rounded up: a window of 90 s said "Wait 1 minutes", one of a
    # day "Wait 1440 minutes".
    window_minutes = math.ceil(settings.LOGIN_FAILURE_WINDOW_SECONDS / 60)
    return forms.ValidationError(
        THROTTLED_MESSAGE,
        code=THROTTLED_CODE,
        params={"wait": seconds_in_words(window_minutes * 60)},
    )


def password_check(
    *, user: AbstractBaseUser, password: str, request: HttpRequest | None, wrong: str
) -> None:
    """For a signed-in person typing their password again: a wrong one raises `wrong` and counts
    as a failed sign-in, so a session left open cannot be used to guess it."""
    username, ip = user.get_username(), client_ip(request)
    if login_attempts_blocked(username=username, ip=ip):
        logger.warning("password check refused: too many failures username=%r ip=%s", username, ip)
        raise throttled_error()
    if not user.check_password(password):
        login_failure_record(username=username, ip=ip)
        raise forms.ValidationError(wrong, code="password_incorrect")


def login_failure_record(*, username: str, ip: str) -> None:
    try:
        for key in _counter_keys(username=username, ip=ip):
            _count(key, window_seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    except Exception as exc:
        logger.warning(
            "login throttle unavailable: cache %s, failure not counted error=%r",
            cache_failure(exc),
            exc,
        )


def _counted(key: str, delta: int, *, window_seconds: int) -> int:
    """The count at `key` with `delta` added (1, or -1 to take one back), within the expiry it
    has; ValueError if there is none. Every count of this module goes through here.

    Django's Redis cache checks that the key exists, then INCRBY: should the window end between
    the two, INCRBY makes the key again, at `delta` and with no expiry: a count that never ends,
    its later counts all in one endless window (refused for good once at its limit). Such a
    count is given the window's end. At 1 it may also be the first of a window add() began a
    moment ago, or the first after all were taken back: its window then begins now, at its
    first. The local caches check the expiry and add under one lock, making no key again."""
    count = cache.incr(key, delta)
    made_again = count == delta
    if delta < 0 and count < 0:
        # Taken from nothing (or from the 0 a request's add() made and has not counted yet):
        # given back, so that no count lets one more through. Below -1 too: another took one
        # back from nothing at once and has not given it back yet.
        count = cache.incr(key, -delta)
    if made_again:
        cache.touch(key, window_seconds)
    return count


def _count(key: str, *, window_seconds: int) -> int:
    """One more in the window that began with the first; returns the count."""
    # add() starts the window only if there is none; incr() keeps its expiry.
    cache.add(key, 0, timeout=window_seconds)
    try:
        return _counted(key, 1, window_seconds=window_seconds)
    except ValueError:  # expired between add() and incr()
        # Not set(): another request may have begun the next window meanwhile, and its count
        # written over would let one more through.
        if cache.add(key, 1, timeout=window_seconds):
            return 1
        return _counted(key, 1, window_seconds=window_seconds)


def _count_within(key: str, *, limit: int, window_seconds: int, what: str) -> bool:
    """Count one more; False past `limit` in the window. A cache that is down lets it through,
    logged: a limit must not turn into an outage. One refused is not counted: its count stayed
    past the refusal, and once another's was taken back (_uncount) it still used up the last
    one, for something never made or sent."""
    try:
        if _count(key, window_seconds=window_seconds) <= limit:
            return True
    except Exception as exc:
        logger.warning(
            "%s throttle unavailable: cache %s, not counted error=%r", what, cache_failure(exc), exc
        )
        return True
    _uncount(key, window_seconds=window_seconds, what=what)
    return False


def _uncount(key: str, *, window_seconds: int, what: str) -> None:
    """Take back one count that _count() made, of something that then did not happen.

    incr(key, -1) is one step (Redis's INCRBY; the local caches' under their locks), so the count
    never falls below what is still counted: at each instant it is at least what was made plus
    what is being made, and requests sent at once still cannot all pass. One refused meanwhile
    would have passed a moment later, as it would have a moment earlier."""
    try:
        _counted(key, -1, window_seconds=window_seconds)
    except ValueError:  # the window ended meanwhile: nothing left to take back
        pass
    except Exception as exc:
        logger.warning("%s throttle unavailable: not uncounted error=%r", what, exc)


SIGNUP_WINDOW_SECONDS = 24 * 60 * 60


def signup_allowed(*, ip: str) -> bool:
    """Count a new org (a sign-up, or one made by someone signed in) from this client address;
    False past SIGNUP_LIMIT_PER_DAY. Counted before the org is made, so requests sent at the
    same instant cannot all pass; signup_uncount() takes it back if the org is not made."""
    return _count_within(
        _signups_key(ip),
        limit=settings.SIGNUP_LIMIT_PER_DAY,
        window_seconds=SIGNUP_WINDOW_SECONDS,
        what="sign-up",
    )


def signup_uncount(*, ip: str) -> None:
    """Take back the count of a new org that signup_allowed() let through and that was then
    not made: its address taken meanwhile by another org made at once, or an error. Refused so,
    a person typing another address was then refused for the day's limit, for orgs never made."""
    _uncount(_signups_key(ip), window_seconds=SIGNUP_WINDOW_SECONDS, what="sign-up")


# Each check of a board token asks Greenhouse while a web process waits (up to 10 s): a loop of
# them would hold the web processes, and could get this site's address rate limited by
# Greenhouse, which every org's syncs share.
BOARD_CHECKS_PER_HOUR = 20


def board_check_allowed(*, organization_id: int) -> bool:
    """Count one more check of a board token for this org; False past BOARD_CHECKS_PER_HOUR."""
    return _count_within(
        f"board-checks:org:{organization_id}",
        limit=BOARD_CHECKS_PER_HOUR,
        window_seconds=60 * 60,
        what="board check",
    )


# A link goes to whatever address is typed, in an email that names the account (a username its
# owner chose): counted per address only, one account could mail any number of strangers, a few
# each. Ten a day leaves room for typos.
EMAIL_CHANGE_LINKS_PER_ACCOUNT = 10


def email_change_link_allowed(*, user_id: int) -> bool:
    """Count one more address change link asked for by account `user_id`; False past
    EMAIL_CHANGE_LINKS_PER_ACCOUNT in a day."""
    return _count_within(
        f"email-change-links:user:{user_id}",
        limit=EMAIL_CHANGE_LINKS_PER_ACCOUNT,
        window_seconds=24 * 60 * 60,
        what="email change link",
    )


def signup_limit_reached(*, ip: str) -> bool:
    """Whether signup_allowed() would refuse the next org from this address, without counting
    one: a sign-up asks first, before it pays for hashing a password."""
    try:
        return (cache.get(_signups_key(ip)) or 0) >= settings.SIGNUP_LIMIT_PER_DAY
    except Exception:  # signup_allowed() logs it and lets the sign-up through
        return False


def _signups_key(ip: str) -> str:
    return f"signups:ip:{_client_digest(ip)}"


# Anyone may ask for a reset email to any address, the address an org invited may belong to
# someone who never came here, and anyone signed in may type any address as their new one: the
# site must not become a way to flood a mailbox. Counted per client address first: someone
# asking for another person's emails uses up their own share, and only that share counts toward
# the address's day, so one client cannot lock its owner out.
ACCOUNT_EMAILS_PER_CLIENT = 5
ACCOUNT_EMAILS_PER_DAY = 20


def account_email_allowed(*, email: str, ip: str) -> bool:
    """Count one more password reset or address change email to this address, asked for from
    client address `ip`; False past ACCOUNT_EMAILS_PER_CLIENT from it in a day, or
    ACCOUNT_EMAILS_PER_DAY in all (and the email is not sent)."""
    address_key = f"account-emails:email:{_mailbox_digest(email)}"
    client_key = f"{address_key}:ip:{_client_digest(ip)}"
    day = 24 * 60 * 60
    # The address's count only once this client's allows it.
    if not _count_within(
        client_key, limit=ACCOUNT_EMAILS_PER_CLIENT, window_seconds=day, what="account email"
    ):
        return False
    if _count_within(
        address_key, limit=ACCOUNT_EMAILS_PER_DAY, window_seconds=day, what="account email"
    ):
        return True
    # Not sent: the client's share is left as it was, or the owner asking while strangers had
    # used up the address's day was refused for their own share once that day ended.
    _uncount(client_key, window_seconds=day, what="account email")
    return False


# Each org's admins may send 50 invitations a day (jobs.memberships), to any address they type,
# and anyone can sign up an org: counted per address too, across all orgs, so that no stranger
# gets more than a few a day. Three leave room to send again one that got lost.
INVITATIONS_PER_ADDRESS_PER_DAY = 3


INVITATION_EMAILS_WINDOW_SECONDS = 24 * 60 * 60


def invitation_email_allowed(*, email: str) -> bool:
    """Count one more invitation email to this address, from any org; False past
    INVITATIONS_PER_ADDRESS_PER_DAY in a day (and the email is not sent)."""
    return _count_within(
        _invitation_emails_key(email),
        limit=INVITATIONS_PER_ADDRESS_PER_DAY,
        window_seconds=INVITATION_EMAILS_WINDOW_SECONDS,
        what="invitation email",
    )


def invitation_email_uncount(*, email: str) -> None:
    """Take back the count of an invitation email the mail server refused: nothing reached the
    address, and the admin is told to send it again."""
    _uncount(
        _invitation_emails_key(email),
        window_seconds=INVITATION_EMAILS_WINDOW_SECONDS,
        what="invitation email",
    )


def _invitation_emails_key(email: str) -> str:
    return f"invitation-emails:email:{_mailbox_digest(email)}"


def login_failures_clear(*, username: str) -> None:
    """After a successful sign-in the username starts afresh (its address's count stays)."""
    try:
        cache.delete_many(_counter_keys(username=username, ip=""))
    except Exception as exc:
        logger.warning(
            "login throttle unavailable: cache %s, count not cleared error=%r",
            cache_failure(exc),
            exc,
        )


def usernames_alike(username: str) -> Q:
    """The usernames sign-in takes `username` for: itself in any case, and with its domain in
    IDNA or in Unicode, "carol@xn--exmple-cua.com" and "carol@exämple.com", as the site shows
    the former (jobs.mail.address_shown). No account is given a username alike another's: the
    invitation email that names an account "carol@exämple.com" would name one that another
    person could have signed up, and its owner, typing it, would not sign in."""
    return addresses_alike("username", username)


class LoginThrottleMixin:
    """For a Django authentication form: refuse attempts once too many have failed. The
    username is taken in any case, as failures are counted. A box left empty says what to type,
    as the site's other forms' do."""

    request: HttpRequest | None
    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        say_what_to_type(
            self, {"username": "Type your username.", "password": "Type your password."}
        )

    def clean_username(self) -> str:
        """The account's own spelling of the username typed: invited people's usernames are
        their email addresses, lower-cased, and they type them as they write them, the domain
        as the invitation email shows it, "exämple.com" for the account's "xn--exmple-cua.com".
        No account is given a username alike another's (usernames_alike); where two such
        accounts exist all the same, made before, only the exact one signs in."""
        username = self.cleaned_data["username"]
        # Django bounds no typed username, and SQLite refuses a case-insensitive match (LIKE) of
        # over 50,000 bytes: a sign-in with a longer one was an error page once any account was.
        if len(username) > USERNAME_ALIKE_MAX_LENGTH:
            return username
        alike = list(
            get_user_model()
            ._default_manager.filter(usernames_alike(username))
            .values_list("username", flat=True)[:2]
        )
        return alike[0] if len(alike) == 1 else username

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        # Django bounds no typed username (an account's is at most 150 characters): a request's
        # megabytes of one are not written to the log whole, on every try.
        username_logged = username[:USERNAME_LOGGED_MAX_LENGTH]
        if login_attempts_blocked(username=username, ip=ip):
            logger.warning(
                "sign-in refused: too many failures username=%r ip=%s", username_logged, ip
            )
            raise throttled_error()
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            login_failure_record(username=username, ip=ip)
            logger.info("sign-in failed username=%r ip=%s", username_logged, ip)
            raise
        login_failures_clear(username=username)
        return cleaned


# Django's own say "Note that both fields may be case-sensitive": here only the password is.
CASE_NOTE = "The password is case-sensitive, the username is not."


class ThrottledAuthenticationForm(LoginThrottleMixin, AuthenticationForm):
    """The site's sign-in form (/accounts/login/)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": f"Please enter a correct %(username)s and password. {CASE_NOTE}",
    }


class ThrottledAdminAuthenticationForm(LoginThrottleMixin, AdminAuthenticationForm):
    """The Django admin's sign-in form (/admin/login/): no way around the limit there."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            f"Please enter the correct %(username)s and password for a staff account. {CASE_NOTE}"
        ),
    }


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Django's, with the current password checked by password_check(); the view sets
    `request`."""

    request: HttpRequest | None = None

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        password_check(
            user=self.user,
            password=old_password,
            request=self.request,
            wrong=self.error_messages["password_incorrect"],
        )
        return old_password
