"""Every POST that changes something, sent as each persona: only those it is for change anything.

test_permission_matrix.py sends every URL an empty POST, which changes nothing whoever sends it.
Here each state-changing URL gets the body its form sends, one that works: the personas it is
for are shown to change something (a row of any table, an email, a queued sync), and each other
persona gets the answer the site gives today with nothing changed at all. Each persona's POST is
rolled back before the next one's, so each is sent to the same rows. And an org's admin who
posts another org's ids to their own org's pages changes nothing of that org.

The URLs come from the URL conf: a new one fails here until it has its POSTs in CASES or a line
in NOT_STATE_CHANGING saying why it has none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobs.connections import connection_api_key_set
from jobs.email_change import email_change_token
from jobs.memberships import invitation_token
from jobs.models import GreenhouseConnection, Invitation, Job, Membership
from tests.support.site_urls import everything, everything_after, site_urls

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.support.broker"]  # queued

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase 42"
PERSONAS = ("anonymous", "no_org", "member", "outsider", "staff", "superuser", "owner")
SIGNED_IN = PERSONAS[1:]
SIGN_IN = "sign-in"  # a 302 to the sign-in page, with the address to come back to
ADMIN_SIGN_IN = "admin sign-in"  # a 302 to the admin's sign-in page


@dataclass
class World:
    """acme with a job, an API key, a member and an invitation waiting for no_org (sent an hour
    ago: a second click within the minute sends nothing), and no_org's links."""

    personas: dict[str, User | None]
    connection: GreenhouseConnection
    job: Job
    invitation: Invitation
    tokens: dict[str, str] = field(default_factory=dict)

    def membership_of(self, persona: str) -> Membership:
        return Membership.objects.get(user=self.personas[persona])


@dataclass(frozen=True)
class Post:
    """A POST that changes something for the personas in `allowed` (with that status), and
    nothing for the others (with theirs)."""

    data: Callable[[World], dict[str, str]]
    allowed: dict[str, int]
    refused: dict[str, int | str]
    kwargs: Callable[[World], dict[str, object]] = lambda world: {}
    # For a person's own account: the others' accounts must not change.
    own_account: bool = False

    def __post_init__(self) -> None:
        assert sorted(self.allowed.keys() | self.refused.keys()) == sorted(PERSONAS), self


def org_admins(status: int = 302, **refused: int | str) -> tuple[dict, dict]:
    """acme's admin and superusers; anonymous is sent to sign in, anyone else gets a 404."""
    others = dict.fromkeys(("no_org", "member", "outsider", "staff"), 404)
    return {"owner": status, "superuser": status}, {"anonymous": SIGN_IN, **others, **refused}


ORG_ADMINS, NOT_ORG_ADMINS = org_admins()
EVERY_ACCOUNT = dict.fromkeys(SIGNED_IN, 302)
# The link's account; the others are told it is another account's (410 Gone).
LINK_ACCOUNT = {"no_org": 302}
NOT_LINK_ACCOUNT = {"anonymous": SIGN_IN, **dict.fromkeys(set(SIGNED_IN) - {"no_org"}, 410)}
# Staff other than superusers, for the admin's own pages.
ADMIN_STAFF = {"staff": 302, "superuser": 302}
NOT_ADMIN_STAFF = dict.fromkeys(
    ("anonymous", "no_org", "member", "outsider", "owner"), ADMIN_SIGN_IN
)


def org(world: World) -> dict[str, object]:
    return {"slug": "acme"}


def settings_post(action: str, **data: str) -> Post:
    return Post(lambda world: {"action": action, **data}, ORG_ADMINS, NOT_ORG_ADMINS, org)


def members_post(action: str, data: Callable[[World], dict[str, str]]) -> Post:
    return Post(lambda world: {"action": action, **data(world)}, ORG_ADMINS, NOT_ORG_ADMINS, org)


CASES: dict[str, dict[str, Post]] = {
    # --- The org admin area: acme's admin and superusers only --------------------------------
    "manage:settings": {
        "connect": settings_post("connect", board_token="tiny-co", api_key=""),
        "schedule": settings_post("schedule", sync_interval_minutes="60"),
        "api_key": settings_post("api_key", **{"key-api_key": "abcdef0123456789"}),
        "api_key_remove": settings_post("api_key_remove", confirmed="1"),
        "profile": settings_post(
            "profile",
            **{"profile-name": "Acme Renamed", "profile-description": "We build robots."},
        ),
    },
    "manage:disconnect": {"": Post(lambda world: {}, ORG_ADMINS, NOT_ORG_ADMINS, org)},
    "manage:delete": {"": Post(lambda world: {"confirm": "acme"}, ORG_ADMINS, NOT_ORG_ADMINS, org)},
    "manage:job_edit": {
        "": Post(
            lambda world: {"featured": "on", "compensation_note": "€60k", "tags": "python"},
            ORG_ADMINS,
            NOT_ORG_ADMINS,
            lambda world: {"slug": "acme", "pk": world.job.pk},
        )
    },
    # Refresh now: signed out, sent to sign in and back to the button's page.
    "manage:refresh": {"": Post(lambda world: {}, ORG_ADMINS, NOT_ORG_ADMINS, org)},
    "manage:members": {
        "add": members_post("add", lambda world: {"email": "carol@example.com", "role": "member"}),
        "role": members_post(
            "role", lambda world: {"membership": world.membership_of("member").pk, "role": "admin"}
        ),
        "remove": members_post(
            "remove",
            lambda world: {"membership": world.membership_of("member").pk, "confirmed": "1"},
        ),
        "cancel_invitation": members_post(
            "cancel_invitation", lambda world: {"invitation": world.invitation.pk}
        ),
        "resend_invitation": members_post(
            "resend_invitation", lambda world: {"invitation": world.invitation.pk}
        ),
    },
    # --- One's own account: anyone signed in, for their own ----------------------------------
    "manage:new": {
        "": Post(
            lambda world: {"organization_name": "Newco"}, EVERY_ACCOUNT, {"anonymous": SIGN_IN}
        )
    },
    "password_change": {
        "": Post(
            lambda world: {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
            EVERY_ACCOUNT,
            {"anonymous": SIGN_IN},
            own_account=True,
        )
    },
    # The link's email is the change: the address changes once it is opened.
    "email_change": {
        "": Post(
            lambda world: {"email": "fresh@example.com", "password": PASSWORD},
            EVERY_ACCOUNT,
            {"anonymous": SIGN_IN},
            own_account=True,
        )
    },
    # Refused (the form again, 200) to staff, deleted by other staff, and to an org's only admin.
    "account_delete": {
        "": Post(
            lambda world: {"password": PASSWORD},
            {"no_org": 302, "member": 302},
            {"anonymous": SIGN_IN, "outsider": 200, "staff": 200, "superuser": 200, "owner": 200},
            own_account=True,
        )
    },
    "logout": {"": Post(lambda world: {}, EVERY_ACCOUNT, {"anonymous": 302}, own_account=True)},
    # Signed in, the sign-up page sends one to their orgs.
    "signup": {
        "": Post(
            lambda world: {
                "username": "newcomer",
                "email": "newcomer@example.com",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
                "organization_name": "Newcomer Inc",
            },
            {"anonymous": 302},
            dict.fromkeys(SIGNED_IN, 302),
        )
    },
    # --- Links sent by email: only for the account they were sent to -------------------------
    "invitation_join": {
        "": Post(
            lambda world: {},
            LINK_ACCOUNT,
            # A member of the org too, while the invitation waits for its own account.
            NOT_LINK_ACCOUNT,
            lambda world: {"token": world.tokens["invitation_join"]},
        )
    },
    "email_change_confirm": {
        "": Post(
            lambda world: {},
            LINK_ACCOUNT,
            NOT_LINK_ACCOUNT,
            lambda world: {"token": world.tokens["email_change_confirm"]},
        )
    },
    # --- The Django admin's own pages (its per-model pages: see the test at the end) ----------
    # Both names are the one address, the site's throttled page (admin_password_change).
    **{
        name: {
            "": Post(
                lambda world: {
                    "old_password": PASSWORD,
                    "new_password1": NEW_PASSWORD,
                    "new_password2": NEW_PASSWORD,
                },
                ADMIN_STAFF,
                NOT_ADMIN_STAFF,
                own_account=True,
            )
        }
        for name in ("admin:password_change", "admin_password_change")
    },
    # Another account's password: superusers only (staff need the permission to change users).
    "admin:auth_user_password_change": {
        "": Post(
            lambda world: {
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
                "usable_password": "true",
            },
            {"superuser": 302},
            {**NOT_ADMIN_STAFF, "staff": 403},
            lambda world: {"id": world.personas["member"].pk},
        )
    },
    # Signing out of the admin is for staff: others are sent to its index (then to sign in).
    "admin:logout": {
        "": Post(
            lambda world: {}, ADMIN_STAFF, dict.fromkeys(NOT_ADMIN_STAFF, 302), own_account=True
        )
    },
}

# URLs whose POST changes nothing, or changes what is by design anyone's to change.
NOT_STATE_CHANGING = {
    # Visitor pages, feeds, data, health: read-only, a POST is 405 (test_permission_matrix).
    "jobs:home",
    "jobs:job_list",
    "jobs:job_feed",
    "jobs:organization_list",
    "jobs:org_detail",
    "jobs:org_feed",
    "jobs:org_jobs_redirect",
    "jobs:job_detail",
    "jobs:org_jobs_json",
    "jobs:no_org_jobs_json",
    "jobs:robots_txt",
    "jobs:sitemap",
    "jobs:sitemap_section",
    "healthz",
    "healthz_slash",
    "favicon",
    # The org admin area's read-only pages (405), and the org's address, a redirect to its jobs.
    "manage:index",
    "manage:jobs",
    "manage:status",
    "manage:history",
    "manage:organization",
    # Pages that only say something was done (405).
    "password_change_done",
    "password_reset_done",
    "password_reset_complete",
    "admin:password_change_done",
    # Signing in: the password is the credential, whoever sends it (throttled: test_login_throttle).
    "login",
    "admin:login",
    "admin_login",
    # Anyone may ask for a reset link; it goes only to the account's own address (test_accounts).
    "password_reset",
    "admin_password_reset",  # a redirect to password_reset
    # The emailed link is the credential (Django's view): whoever holds it sets that password.
    "password_reset_confirm",
    # The admin's read-only views: its index, app lists, autocomplete, translations, a redirect
    # to an object's page, and its 404 for any other address.
    "admin:index",
    "admin:app_list",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:view_on_site",
    "admin:catch_all",
}


def test_every_url_has_its_posts_or_says_why_it_has_none():
    names = {site_url.name for site_url in site_urls()}
    assert names - CASES.keys() - NOT_STATE_CHANGING == set(), "say who may POST to these"
    assert (CASES.keys() | NOT_STATE_CHANGING) - names == set(), "gone from the URL conf"
    assert CASES.keys() & NOT_STATE_CHANGING == set()


@pytest.fixture
def world(acme, owner, member, outsider) -> World:
    personas: dict[str, User | None] = {
        "anonymous": None,
        "no_org": User.objects.create_user("nina", "nina@example.com", PASSWORD),
        "member": member,
        "outsider": outsider,
        "staff": User.objects.create_user("stan", "stan@example.com", PASSWORD, is_staff=True),
        "superuser": User.objects.create_superuser("root", "root@example.com", PASSWORD),
        "owner": owner,
    }
    connection_api_key_set(connection=acme, api_key="0123456789abcdef")
    job = Job.objects.create(
        organization=acme.organization,
        greenhouse_id=4_200_000_000_001,
        title="Robot Whisperer",
        absolute_url="https://job-boards.greenhouse.io/acme/jobs/1",
        is_open=True,
    )
    invitation = Invitation.objects.create(
        organization=acme.organization,
        user=personas["no_org"],
        role=Membership.Role.MEMBER,
        email="nina@example.com",
        sent_at=timezone.now() - timedelta(hours=1),
    )
    world = World(personas=personas, connection=acme, job=job, invitation=invitation)
    world.tokens = {
        "invitation_join": invitation_token(invitation),
        "email_change_confirm": email_change_token(personas["no_org"], "nina@new.example"),
    }
    return world


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def check_status(response, expected: int | str, where: str) -> None:
    if expected in (SIGN_IN, ADMIN_SIGN_IN):
        page = reverse("login" if expected == SIGN_IN else "admin:login")
        assert response.status_code == 302, where
        assert response["Location"].startswith(f"{page}?next="), (where, response["Location"])
    else:
        assert response.status_code == expected, where


CASE_PARAMS = [
    pytest.param(name, variant, id=f"{name}-{variant}" if variant else name)
    for name, variants in CASES.items()
    for variant in variants
]


@pytest.mark.parametrize(("name", "variant"), CASE_PARAMS)
def test_only_the_personas_a_post_is_for_change_anything(name, variant, world, queued):
    post = CASES[name][variant]
    url = reverse(name, kwargs=post.kwargs(world))
    clients = {persona: client_for(world.personas[persona]) for persona in PERSONAS}

    for persona, client in clients.items():
        where = f"POST {url} {variant} as {persona}"
        cache.clear()  # no persona's POST counts against another's limits
        with transaction.atomic():
            before = everything(queued)
            response = client.post(url, post.data(world))
            after = everything(queued)
            transaction.set_rollback(True)
        if persona in post.allowed:
            check_status(response, post.allowed[persona], where)
            assert after != before, f"{where} changed nothing: the test proves nothing"
            if post.own_account:
                actor = world.personas[persona].pk
                users_before, users_after = (
                    [row for row in rows["auth.User"] if row["id"] != actor]
                    for rows, _, _ in (before, after)
                )
                assert users_after == users_before, f"{where} changed another account"
        else:
            check_status(response, post.refused[persona], where)
            assert after == before, f"{where} changed something"


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda model: model.__name__)
def test_staff_without_permissions_change_nothing_in_the_admin(model, world, queued):
    """Each model's add form and its list's "delete selected" action, which are POSTs: staff
    without the model's permissions are refused (403), anyone else is sent to sign in."""
    app_label, model_name = model._meta.app_label, model._meta.model_name
    first = model._base_manager.order_by("pk").first()
    posts = [(reverse(f"admin:{app_label}_{model_name}_add"), {})]
    if first is not None:
        posts.append(
            (
                reverse(f"admin:{app_label}_{model_name}_changelist"),
                {"action": "delete_selected", "_selected_action": str(first.pk), "post": "yes"},
            )
        )
    personas = ("anonymous", "no_org", "member", "outsider", "owner", "staff")
    clients = {persona: client_for(world.personas[persona]) for persona in personas}
    before = everything(queued)

    for url, data in posts:
        for persona, client in clients.items():
            with CaptureQueriesContext(connection) as queries:
                response = client.post(url, data)
            check_status(response, 403 if persona == "staff" else ADMIN_SIGN_IN, url)
            after = everything_after(queries, before, queued)
            assert after == before, f"POST {url} as {persona} changed something"


@pytest.fixture
def other_org_rows(outsider) -> dict[str, int]:
    """The outsider's org's job, a member's membership and an invitation, by their ids (a
    member: its admin, the only one, could be neither demoted nor removed anyway)."""
    other = Membership.objects.get(user=outsider).organization
    membership = Membership.objects.create(
        organization=other,
        user=User.objects.create_user("oscar", "oscar@other.example", PASSWORD),
        role=Membership.Role.MEMBER,
    )
    job = Job.objects.create(
        organization=other,
        greenhouse_id=4_200_000_000_002,
        title="Other's Job",
        absolute_url="https://job-boards.greenhouse.io/other/jobs/2",
    )
    invited = User.objects.create_user("olga", "olga@example.com", PASSWORD)
    invitation = Invitation.objects.create(
        organization=other,
        user=invited,
        role=Membership.Role.MEMBER,
        email=invited.email,
        sent_at=timezone.now() - timedelta(hours=1),
    )
    return {"job": job.pk, "membership": membership.pk, "invitation": invitation.pk}


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        ("/manage/acme/jobs/{job}/edit/", {"featured": "on", "tags": "python"}, 404),
        (
            "/manage/acme/members/",
            {"action": "role", "membership": "{membership}", "role": "admin"},
            302,
        ),
        (
            "/manage/acme/members/",
            {"action": "remove", "membership": "{membership}", "confirmed": "1"},
            302,
        ),
        (
            "/manage/acme/members/",
            {"action": "cancel_invitation", "invitation": "{invitation}"},
            302,
        ),
        (
            "/manage/acme/members/",
            {"action": "resend_invitation", "invitation": "{invitation}"},
            302,
        ),
    ],
    ids=["job_edit", "role", "remove", "cancel_invitation", "resend_invitation"],
)
def test_an_orgs_admin_reaches_no_other_orgs_rows_through_their_own_org(
    path, data, status, world, other_org_rows, queued
):
    """The ids of another org's job, membership or invitation, posted to acme's own pages by
    its admin (or a superuser), are not found there: nothing of the other org changes."""
    url = path.format(**other_org_rows)
    body = {name: value.format(**other_org_rows) for name, value in data.items()}

    for persona in ("owner", "superuser"):
        client = client_for(world.personas[persona])
        before = everything(queued)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, body)
        assert response.status_code == status, (url, body, persona)
        after = everything_after(queries, before, queued)
        assert after == before, f"POST {url} {body} as {persona} changed something"
