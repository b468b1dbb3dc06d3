"""Sign-in attempts are throttled per username and per client address (jobs/throttle.py)."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from unittest import mock

import pytest
import redis
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from jobs import throttle
from jobs.throttle import client_ip
from orgsite.file_cache import UncompressedFileCache
from tests.support.helpers import TEST_REDIS_URL, require_service
from tests.support.settings_module import settings_under

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def small_limit(settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900


def sign_in(client: Client, username: str, password: str, *, ip: str = "203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(client: Client, username: str, times: int, *, ip: str = "203.0.113.7") -> None:
    for _ in range(times):
        response = sign_in(client, username, "wrong password", ip=ip)
        assert response.status_code == 200
        assert "enter a correct username and password" in response.content.decode()


@pytest.mark.parametrize(
    ("window_seconds", "wait"),
    [(60, "1 minute"), (90, "2 minutes"), (3600, "1 hour"), (86400, "1 day")],
)
def test_the_refusal_says_the_window_in_words_rounded_up(
    client, owner, settings, window_seconds, wait
):
    """It said "Wait 1 minutes" of a window of 60 or 90 s, and "Wait 1440 minutes" of a day."""
    settings.LOGIN_FAILURE_WINDOW_SECONDS = window_seconds
    fail(client, "alice", 3)

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert f"Too many failed sign-in attempts. Wait {wait} and try" in response.content.decode()


def test_a_few_failures_still_let_the_right_password_in(client, owner):
    fail(client, "alice", 2)

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(owner.pk)


def test_too_many_failures_refuse_even_the_right_password_with_429(client, owner):
    fail(client, "alice", 3)

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts. Wait 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_username_is_throttled_from_any_address(client, owner):
    fail(client, "alice", 3, ip="203.0.113.7")

    response = sign_in(client, "ALICE", PASSWORD, ip="198.51.100.9")  # usernames fold case

    assert response.status_code == 429


def test_a_username_is_throttled_alike_with_its_domain_in_unicode_or_idna(client, db):
    """Sign-in takes "carol@exämple.com" for the account "carol@xn--exmple-cua.com": a guesser
    alternating the two spellings (from any number of addresses) gets one count, not two."""
    carol = User.objects.create_user("carol@xn--exmple-cua.com", password=PASSWORD)
    fail(client, "carol@exämple.com", 1, ip="203.0.113.1")
    fail(client, "CAROL@xn--exmple-cua.com", 1, ip="203.0.113.2")
    fail(client, "carol@EXÄMPLE.com", 1, ip="203.0.113.3")

    assert (
        sign_in(client, "carol@xn--exmple-cua.com", PASSWORD, ip="203.0.113.4").status_code == 429
    )
    assert sign_in(client, "carol@exämple.com", PASSWORD, ip="203.0.113.5").status_code == 429
    assert client.session.get("_auth_user_id") is None
    cache.clear()
    assert sign_in(client, "carol@exämple.com", PASSWORD, ip="203.0.113.6").status_code == 302
    assert client.session.get("_auth_user_id") == str(carol.pk)


@pytest.mark.parametrize("length", [900, 100_000])  # under and over USERNAME_ALIKE_MAX_LENGTH
@pytest.mark.parametrize("label", ["xn--9", "ä"], ids=["idna", "unicode"])
def test_a_huge_username_is_not_read_as_a_domain_in_idna_or_unicode(client, owner, label, length):
    """Django's sign-in form bounds no username, and IDNA's decoder takes time in the square of
    a label's length before refusing it: a username of two million digits after "a@xn--" would
    hold a worker for hours. No domain is so long, so none is read so (the codec, which would
    take seconds here, is made to refuse at once)."""
    domain = label.ljust(length, label[-1])
    with (
        mock.patch("encodings.idna.ToUnicode", side_effect=UnicodeError) as to_unicode,
        mock.patch("encodings.idna.ToASCII", side_effect=UnicodeError) as to_ascii,
    ):
        fail(client, f"a@{domain}", 1)

    assert not to_unicode.called
    assert not to_ascii.called


def test_a_username_of_a_megabyte_is_a_failed_sign_in_beside_accounts(client, owner):
    """SQLite refuses a case-insensitive match of over 50,000 bytes, which the lookup of the
    username's spellings was, once there was an account to compare with: a 500."""
    fail(client, "a" * 1_000_000, 1)
    fail(client, "a@" + "ä" * 1_000_000, 1)


def test_a_huge_username_is_logged_cut_on_each_failure_and_refusal(client, db, caplog):
    username = "a" * 1_000_000
    with caplog.at_level(logging.INFO, logger="jobs.throttle"):
        fail(client, username, 3)
        assert sign_in(client, username, "wrong password").status_code == 429

    lines = [record.getMessage() for record in caplog.records if record.name == "jobs.throttle"]
    assert len(lines) == 4 and "sign-in refused" in lines[-1]
    assert max(len(line) for line in lines) < 300


def test_one_address_is_throttled_whatever_username_it_tries(client, owner, member):
    fail(client, "nobody-1", 1)
    fail(client, "nobody-2", 1)
    fail(client, "nobody-3", 1)

    assert sign_in(client, "bob", PASSWORD).status_code == 429
    assert sign_in(client, "bob", PASSWORD, ip="198.51.100.9").status_code == 302


def test_an_ipv6_client_is_throttled_across_its_network_not_one_address_at_a_time(
    client, owner, member
):
    """An IPv6 line or cloud machine has a /64 of its own: 2**64 addresses to try from."""
    for host in range(1, 4):
        fail(client, f"nobody-{host}", 1, ip=f"2001:db8:7:7::{host}")

    assert sign_in(client, "bob", PASSWORD, ip="2001:db8:7:7:ffff::9").status_code == 429
    assert sign_in(client, "bob", PASSWORD, ip="2001:db8:7:8::1").status_code == 302


def test_ipv4_clients_seen_through_a_dual_stack_socket_are_counted_one_by_one(client, member):
    fail(client, "nobody", 3, ip="::ffff:203.0.113.7")

    assert sign_in(client, "bob", PASSWORD, ip="203.0.113.7").status_code == 429
    assert sign_in(client, "bob", PASSWORD, ip="::ffff:198.51.100.9").status_code == 302


def test_the_throttle_lifts_after_the_window(client, owner):
    fail(client, "alice", 3)
    assert sign_in(client, "alice", PASSWORD).status_code == 429

    cache.clear()  # what the window's expiry does

    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_counts_in_the_local_file_cache_outlast_many_cached_pages(client, settings, tmp_path):
    """At Django's default of 300 entries, the file cache (CACHE_URL empty) culled a random
    third of its entries once 150 page addresses were cached, failed sign-ins among them."""
    settings.CACHES = settings_under(ORGSITE_VAR_DIR=str(tmp_path), CACHE_URL="")["CACHES"]
    guessers = [(f"nobody-{n}", f"198.51.100.{n}") for n in range(10)]
    for username, ip in guessers:
        fail(client, username, 3, ip=ip)

    # Past 300 entries twice: at that limit all 20 counts would outlast both culls about once
    # in ten million runs. (Each write lists the folder, so 1,000 pages took a second.)
    cache.set_many({f"page:{n}": b"<p>Field Service</p>" for n in range(400)}, 60)

    for username, _ in guessers:
        assert sign_in(client, username, PASSWORD, ip="203.0.113.99").status_code == 429


def test_counts_in_the_local_file_cache_last_their_whole_window(client, owner, settings, tmp_path):
    """FileBasedCache's incr() wrote a count again with the default timeout: failed sign-ins
    were forgotten 5 minutes after the last one, and a day's sign-ups as soon."""
    settings.CACHES = settings_under(ORGSITE_VAR_DIR=str(tmp_path), CACHE_URL="")["CACHES"]
    fail(client, "alice", 3)
    started = time.time()

    with mock.patch("time.time", return_value=started + 10 * 60):
        assert sign_in(client, "alice", PASSWORD).status_code == 429
    with mock.patch("time.time", return_value=started + 16 * 60):
        assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_a_window_two_processes_start_at_once_in_the_local_file_cache_keeps_both_counts(
    settings, tmp_path, monkeypatch
):
    """FileBasedCache's add() is has_key() then set(): two processes starting one window at
    once both found no count and both wrote 0, the second over the first's 1, so that of 20
    sign-ups sent at once to a limit of 5, up to 8 passed. Another counts between this one's
    has_key() and set(); it waits for this one's add() (at most a second here) or runs then."""
    settings.CACHES = settings_under(ORGSITE_VAR_DIR=str(tmp_path), CACHE_URL="")["CACHES"]
    has_key = UncompressedFileCache.has_key
    others: list[threading.Thread] = []

    def another_counts_meanwhile(self, key, version=None):
        found = has_key(self, key, version)
        if not others:
            others.append(
                threading.Thread(target=throttle._count, args=(key,), kwargs={"window_seconds": 60})
            )
            others[0].start()
            others[0].join(timeout=1)
        return found

    monkeypatch.setattr(UncompressedFileCache, "has_key", another_counts_meanwhile)

    throttle._count("signups:ip:example", window_seconds=60)
    others[0].join()

    assert cache.get("signups:ip:example") == 2


@pytest.mark.parametrize("local_cache", ["locmem", "file"])
def test_the_lockout_ends_a_window_after_the_first_failure_not_the_last(
    client, owner, settings, tmp_path, local_cache
):
    """The window starts at the first failure (README): failures later in it, the one that
    locks among them, do not push its end, nor does a count's expiry set again (_counted)."""
    if local_cache == "file":
        settings.CACHES = settings_under(ORGSITE_VAR_DIR=str(tmp_path), CACHE_URL="")["CACHES"]
    started = time.time()
    fail(client, "alice", 1)

    with mock.patch("time.time", return_value=started + 10 * 60):
        fail(client, "alice", 2)
        assert sign_in(client, "alice", PASSWORD).status_code == 429
    with mock.patch("time.time", return_value=started + 14 * 60):
        assert sign_in(client, "alice", PASSWORD).status_code == 429
    with mock.patch("time.time", return_value=started + 16 * 60):
        assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_the_lockout_ends_a_window_after_the_first_failure_on_redis(client, owner, redis_cache):
    """As in the local caches: the later failures leave the first's expiry as it was."""
    fail(client, "alice", 1)
    client_ = cache._cache.get_client("", write=True)
    keys = [
        cache.make_and_validate_key(key)
        for key in throttle._counter_keys(username="alice", ip="203.0.113.7")
    ]
    for key in keys:
        client_.expire(key, 100)  # what 800 seconds' wait leaves of the window

    fail(client, "alice", 2)

    assert sign_in(client, "alice", PASSWORD).status_code == 429
    assert all(0 < client_.ttl(key) <= 100 for key in keys)
    client_.delete(*keys)


def test_failures_count_in_a_local_file_cache_whose_folder_was_deleted_meanwhile(
    client, owner, settings, tmp_path
):
    """The file cache's folder may be deleted while the site runs (to empty the cache), and
    set() makes it again: add() opens its lock file there first, so it makes it too. Had it not,
    each failure's add() raised FileNotFoundError, logged and not counted, until a page was."""
    settings.CACHES = settings_under(ORGSITE_VAR_DIR=str(tmp_path), CACHE_URL="")["CACHES"]
    fail(client, "alice", 1)
    shutil.rmtree(tmp_path / "file-cache")  # with that count

    fail(client, "alice", 3)

    assert sign_in(client, "alice", PASSWORD).status_code == 429


def test_a_successful_sign_in_resets_the_usernames_count(client, owner):
    fail(client, "alice", 2, ip="203.0.113.7")
    assert sign_in(client, "alice", PASSWORD, ip="198.51.100.1").status_code == 302
    client.logout()

    fail(client, "alice", 2, ip="198.51.100.2")

    assert sign_in(client, "alice", PASSWORD, ip="198.51.100.3").status_code == 302


def test_refusals_and_failures_are_logged_without_the_password(client, owner, caplog):
    with caplog.at_level(logging.INFO, logger="jobs.throttle"):
        fail(client, "alice", 3)
        sign_in(client, "alice", PASSWORD)

    assert "sign-in failed username='alice' ip=203.0.113.7" in caplog.text
    assert "sign-in refused: too many failures username='alice'" in caplog.text
    assert "wrong password" not in caplog.text and PASSWORD not in caplog.text


def test_the_django_admins_sign_in_is_throttled_too(client):
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    for _ in range(3):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})

    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    # The message points to "Forgot your password?": the admin's page links the site's reset.
    assert client.get("/admin/password_reset/")["Location"] == "/accounts/password_reset/"
    assert 'href="/admin/password_reset/"' in client.get("/admin/login/").content.decode()
    assert "_auth_user_id" not in client.session
    # The counts are shared: the site's own sign-in page refuses too.
    assert sign_in(client, "root", PASSWORD, ip="127.0.0.1").status_code == 429


def test_guessing_the_current_password_on_the_django_admins_password_page_is_throttled_too(
    client,
):
    """Django's own page there checked the current password of a staff session left open
    with no limit at all."""
    staff = User.objects.create_user("rita", "rita@example.com", PASSWORD, is_staff=True)
    client.force_login(staff)
    new = "a brand new passphrase"

    def change(old_password: str):
        data = {"old_password": old_password, "new_password1": new, "new_password2": new}
        return client.post("/admin/password_change/", data)

    guesses = [change(f"guess {n}") for n in range(3)]
    response = change(PASSWORD)

    assert [guess.status_code for guess in guesses] == [200, 200, 200]
    assert "Your old password was entered incorrectly" in guesses[0].content.decode()
    assert response.status_code == 429
    assert "Too many failed sign-in attempts. Wait 15 minutes" in response.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)
    # The counts are shared with the site's own pages.
    assert sign_in(Client(), "rita", PASSWORD, ip="127.0.0.1").status_code == 429


def test_the_django_admins_password_page_still_changes_a_staff_password(client):
    staff = User.objects.create_user("rita", "rita@example.com", PASSWORD, is_staff=True)
    client.force_login(staff)
    new = "a brand new passphrase"

    assert client.get("/admin/password_change/").status_code == 200
    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password(new)


def test_a_cache_that_is_down_leaves_sign_in_working_unthrottled(client, owner, settings, caplog):
    """Better unthrottled for a while (logged, and /healthz says so) than nobody signed in."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }

    fail(client, "alice", 1)
    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert any(
        "login throttle unavailable: cache unreachable" in message for message in caplog.messages
    )


@pytest.fixture
def redis_cache(settings) -> None:
    """The cache of production, Redis, in place of the tests' own."""
    require_service("127.0.0.1", 6379, "Redis")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_REDIS_URL,
        }
    }


def test_a_full_cache_leaves_sign_in_working_unthrottled_and_is_logged_as_full(
    client, owner, redis_cache, caplog
):
    """A Redis that keeps noeviction answers reads when full and refuses every write: the log
    says full, as /healthz does, not unreachable, which would send someone after the network."""
    refusal = redis.OutOfMemoryError("command not allowed when used memory > 'maxmemory'.")

    with mock.patch.object(redis.Redis, "set", side_effect=refusal):
        fail(client, "alice", 1)
        response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    said = [message for message in caplog.messages if "throttle unavailable" in message]
    assert said == [
        "login throttle unavailable: cache full (maxmemory reached), failure not counted "
        f"error={refusal!r}"
    ]


IP = "203.0.113.7"
EMAIL = "carol@example.com"
DAY = 24 * 60 * 60


LIMITS = {
    "sign-up": (lambda: throttle.signup_allowed(ip=IP), 5, [throttle._signups_key(IP)]),
    "board check": (
        lambda: throttle.board_check_allowed(organization_id=7),
        20,
        ["board-checks:org:7"],
    ),
    "email change link": (
        lambda: throttle.email_change_link_allowed(user_id=7),
        10,
        ["email-change-links:user:7"],
    ),
    "account email": (
        lambda: throttle.account_email_allowed(email=EMAIL, ip=IP),
        5,
        [
            f"account-emails:email:{throttle._mailbox_digest(EMAIL)}",
            f"account-emails:email:{throttle._mailbox_digest(EMAIL)}:ip:"
            f"{throttle._client_digest(IP)}",
        ],
    ),
    "invitation email": (
        lambda: throttle.invitation_email_allowed(email=EMAIL),
        3,
        [throttle._invitation_emails_key(EMAIL)],
    ),
}


@pytest.mark.parametrize("backend", ["the tests' cache", "the local file cache", "Redis"])
@pytest.mark.parametrize("kind", LIMITS)
def test_each_limit_refuses_past_its_number_and_counts_only_what_passed(
    request, settings, tmp_path, backend, kind
):
    """README's numbers; and a refusal leaves the count at what passed, so that one taken back
    afterwards (signup_uncount, invitation_email_uncount: nothing made or sent) frees a place
    that a refusal meanwhile does not keep used up."""
    if backend == "Redis":
        request.getfixturevalue("redis_cache")
    elif backend == "the local file cache":
        settings.CACHES = settings_under(ORGSITE_VAR_DIR=str(tmp_path), CACHE_URL="")["CACHES"]
    allowed, limit, keys = LIMITS[kind]
    cache.delete_many(keys)

    assert [allowed() for _ in range(limit + 3)] == [True] * limit + [False] * 3

    assert [cache.get(key) for key in keys] == [limit] * len(keys)
    cache.delete_many(keys)


@pytest.mark.parametrize(
    ("count", "keys", "window_seconds", "left"),
    [
        (lambda: throttle.signup_allowed(ip=IP), 1, DAY, 1),
        (lambda: throttle.signup_uncount(ip=IP), 1, DAY, 0),
        (lambda: throttle.board_check_allowed(organization_id=7), 1, 60 * 60, 1),
        (lambda: throttle.email_change_link_allowed(user_id=7), 1, DAY, 1),
        (lambda: throttle.account_email_allowed(email=EMAIL, ip=IP), 2, DAY, 1),
        (lambda: throttle.invitation_email_allowed(email=EMAIL), 1, DAY, 1),
        (lambda: throttle.invitation_email_uncount(email=EMAIL), 1, DAY, 0),
        (lambda: throttle.login_failure_record(username="alice", ip=IP), 2, 900, 1),
    ],
    ids=[
        "sign-up",
        "sign-up taken back",
        "board check",
        "email change link",
        "account email",
        "invitation email",
        "invitation email taken back",
        "failed sign-in",
    ],
)
def test_a_count_whose_window_ends_as_it_counts_is_given_an_end(
    redis_cache, count, keys, window_seconds, left
):
    """Redis's cache checks that the key exists, then INCRBY: should the window end between the
    two, INCRBY makes the key again with no expiry, and that count would have gone on for good,
    its address (or account, or org) counted in one endless window, refused for good once at its
    limit."""
    client = cache._cache.get_client("", write=True)
    exists = redis.Redis.exists
    ended: list[str] = []

    def ends_as_checked(redis_client: redis.Redis, *names: str) -> int:
        """Each key's first check finds it, and its window ends right then."""
        for name in names:
            if name not in ended:
                ended.append(name)
                redis_client.delete(name)
                return 1
        return exists(redis_client, *names)

    with mock.patch.object(redis.Redis, "exists", ends_as_checked):
        count()

    assert len(ended) == keys
    for key in ended:
        assert int(client.get(key)) == left
        assert 0 < client.ttl(key) <= window_seconds
    client.delete(*ended)


@pytest.mark.parametrize("backend", ["the tests' cache", "Redis"])
def test_a_count_taken_back_once_its_window_ended_is_left_ended_quietly(request, backend, caplog):
    """Nothing is left to take back: no count is made again, and the cache is not logged as
    unavailable, which would send someone after a cache that works."""
    if backend == "Redis":
        request.getfixturevalue("redis_cache")
    key = throttle._signups_key("203.0.113.7")
    cache.delete(key)

    with caplog.at_level(logging.INFO, logger="jobs.throttle"):
        throttle.signup_uncount(ip="203.0.113.7")

    assert cache.get(key) is None
    assert caplog.records == []


@pytest.fixture(params=["locmem", "redis"])
def either_cache(request) -> None:
    """The tests' cache, then production's."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")


def test_two_counts_taken_back_from_nothing_at_once_are_both_given_back(either_cache, settings):
    """Two sign-ups counted before their window ended, both then not made: each takes its
    count back from the 0 a third request's add() began the next window with. The second, at -2,
    was given back too, or the next window counted one short and let one more sign-up through."""
    key = throttle._signups_key(IP)
    cache.delete(key)
    cache.add(key, 0, timeout=DAY)
    incr = cache.incr
    taken: list[int] = []

    def another_takes_one_back_at_once(name: str, delta: int = 1, version=None) -> int:
        count = incr(name, delta, version)
        if delta < 0 and not taken:
            taken.append(count)
            throttle.signup_uncount(ip=IP)  # the other request, between this one's two steps
        return count

    with mock.patch.object(cache, "incr", another_takes_one_back_at_once):
        throttle.signup_uncount(ip=IP)

    assert taken == [-1]
    assert cache.get(key) == 0
    allowed = [throttle.signup_allowed(ip=IP) for _ in range(settings.SIGNUP_LIMIT_PER_DAY + 1)]
    assert allowed == [True] * settings.SIGNUP_LIMIT_PER_DAY + [False]
    cache.delete(key)


@pytest.mark.parametrize("others", [0, 1], ids=["alone", "another meanwhile"])
def test_a_count_whose_window_ends_before_it_is_made_keeps_one_made_meanwhile(either_cache, others):
    """The window ends between a sign-up's add() and its incr(), which finds no count; another
    sign-up may begin the next window and count 1 before the first writes its own: written as 1,
    it took the other's count, and one more sign-up passed that day."""
    key = throttle._signups_key(IP)
    cache.set(key, 1, timeout=DAY)
    incr = cache.incr
    ended: list[str] = []

    def ends_and_another_counts(name: str, delta: int = 1, version=None) -> int:
        if ended:
            return incr(name, delta, version)
        ended.append(name)
        cache.delete(name)  # the window ends, and the check finds nothing
        for _ in range(others):  # the other request, the next window's first
            assert throttle.signup_allowed(ip=IP)
        raise ValueError(name)

    with mock.patch.object(cache, "incr", ends_and_another_counts):
        assert throttle.signup_allowed(ip=IP)

    assert cache.get(key) == 1 + others
    # The day's window, begun by whichever add() made the key: not the cache's default timeout
    # (5 minutes), after which as many sign-ups again would pass.
    assert DAY - 60 < seconds_left(key) <= DAY
    cache.delete(key)


def seconds_left(key: str) -> float:
    """What is left of the count's window, in the tests' cache or in Redis."""
    cache_key = cache.make_and_validate_key(key)
    if hasattr(cache, "_expire_info"):  # the tests' local memory cache
        return cache._expire_info[cache_key] - time.time()
    return cache._cache.get_client(cache_key).ttl(cache_key)


def test_a_count_between_two_takings_back_from_nothing_counts(either_cache):
    """Two take-backs from nothing at once have left -2, and will each give one back: a count
    meanwhile is one more (-1), not given back as a take-back's would be."""
    key = throttle._signups_key(IP)
    cache.set(key, -2, timeout=DAY)

    assert throttle.signup_allowed(ip=IP)

    assert cache.get(key) == -1
    cache.delete(key)


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.1"),  # no proxy trusted: the header is the client's own
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # what precedes it, the client wrote
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (1, "", "10.0.0.1"),  # no header: the connection's address
    ],
)
def test_the_client_address_is_the_one_the_outermost_trusted_proxy_saw(
    settings, rf, proxies, forwarded_for, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)

    assert client_ip(request) == expected
