"""An org's admin deletes the org from this site: its page, jobs and history go; accounts stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import User
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs import manage_urls
from jobs.admin import OrganizationAdmin
from jobs.memberships import member_invite
from jobs.models import (
    Department,
    GreenhouseConnection,
    Invitation,
    Job,
    Membership,
    Office,
    Organization,
    SyncRun,
)
from jobs.sync import acquire_sync_lock, sync_organization
from jobs.tasks import sync_org
from tests.support.helpers import (
    NOT_ADMIN_AS_A_MEMBER,
    NOT_ADMIN_NOR_MEMBER,
    assert_says_not_an_admin,
    assert_says_organization_gone,
    make_connection,
    parsed,
)

pytestmark = pytest.mark.django_db

DELETE_URL = "/manage/acme/delete/"
REFUSED = "A sync of Acme Robotics is running right now, so it was not deleted."


@pytest.fixture
def synced(acme: GreenhouseConnection) -> GreenhouseConnection:
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    return acme


@pytest.fixture
def other_org(fake_greenhouse) -> Organization:
    """Another org with jobs, which must come through untouched."""
    connection = make_connection("tiny", "tiny-co", name="Tiny Co")
    sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    return connection.organization


def signed_in_as(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_the_settings_pages_delete_button_ends_with_one_ellipsis_after_a_name_with_a_dot(
    client, acme, owner
):
    """ "Delete Tiny Co.…" read as a stammer: the ellipsis stands for the name's full stop."""
    Organization.objects.filter(pk=acme.organization_id).update(name="Acme Co.")

    page = signed_in_as(client, owner).get("/manage/acme/settings/").content.decode()

    assert "Delete <bdi>Acme Co</bdi>…</a>" in page


def test_the_page_says_what_goes_and_what_stays(client, synced, owner):
    page = signed_in_as(client, owner).get(DELETE_URL).content.decode()

    assert "Delete <bdi>Acme Robotics</bdi>?" in page
    assert "its 6 jobs (6 open)" in page
    assert "Their accounts stay" in page and "stay on your Greenhouse board" in page
    assert "To confirm, type acme" in page
    assert Organization.objects.filter(slug="acme").exists()


def test_phone_keyboards_leave_the_typed_slug_as_typed(client, synced, owner):
    """Chrome's and Safari's on-screen keyboards capitalise a text field's first letter unless
    told not to, and "Acme" is not the slug: the admin of a phone would be refused."""
    response = signed_in_as(client, owner).get(DELETE_URL)
    confirm_field = parsed(response).select_one("input[name=confirm]")

    assert confirm_field["autocapitalize"] == "none"
    assert confirm_field["autocorrect"] == "off"


def test_the_settings_page_links_to_it(client, synced, owner):
    page = signed_in_as(client, owner).get("/manage/acme/settings/").content.decode()
    assert f'href="{DELETE_URL}"' in page


def test_typing_the_slug_deletes_the_org_and_everything_it_has_here(
    client, synced, owner, member, other_org, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://jobs.example.com"
    member_invite(
        organization=synced.organization,
        email="new@acme.example",
        role=Membership.Role.MEMBER,
    )
    visitor = Client()
    assert visitor.get("/orgs/acme/").status_code == 200  # now cached
    job_url = Job.objects.filter(organization__slug="acme").first().get_absolute_url()
    other_rows = other_org_rows(other_org)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in_as(client, owner).post(DELETE_URL, {"confirm": " acme "}, follow=True)

    assert response.redirect_chain == [("/manage/", 302)]
    assert "Acme Robotics and its 6 jobs were deleted." in response.content.decode()
    assert not Organization.objects.filter(slug="acme").exists()
    for model in (GreenhouseConnection, Job, Department, Office, SyncRun, Membership, Invitation):
        assert not model.objects.filter(organization__slug="acme").exists(), model
    assert not Membership.objects.filter(organization__isnull=True).exists()
    assert User.objects.filter(username__in=["alice", "bob"]).count() == 2
    for url in ("/orgs/acme/", job_url, "/orgs/acme/jobs.json", "/orgs/acme/feed/"):
        assert visitor.get(url).status_code == 404, url
    assert "Acme Robotics" not in visitor.get("/orgs/").content.decode()
    assert other_org_rows(other_org) == other_rows


def other_org_rows(organization: Organization) -> dict[str, int]:
    return {
        "jobs": organization.jobs.count(),
        "departments": organization.departments.count(),
        "runs": organization.sync_runs.count(),
        "connection": GreenhouseConnection.objects.filter(organization=organization).count(),
    }


@pytest.mark.parametrize("typed", ["", "  ", "ACME", "acme-robotics", "Acme Robotics"])
def test_anything_but_the_slug_deletes_nothing(client, synced, owner, typed):
    """Left empty too, the box says what to type: it said Django's "This field is required."."""
    response = signed_in_as(client, owner).post(DELETE_URL, {"confirm": typed})

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert "Type acme exactly to delete Acme Robotics. Nothing was deleted." in (
        response.content.decode()
    )
    assert "This field is required" not in response.content.decode()
    assert Job.objects.filter(organization__slug="acme").count() == 6


def test_its_sentences_isolate_a_name_written_right_to_left(client, synced, owner):
    """Plain text around the name, in the refusal and in the message once deleted: not isolated,
    the digits and marks at its ends took the direction of the words outside it, "delete 2024
    מרכז." showing "delete 2024 זכרמ.", as if the name ended with its digits. Isolated as a
    page's title isolates it (name_in_title), with the control it left open dropped."""
    Organization.objects.filter(slug="acme").update(name="2024 מרכז\u202e")
    signed_in = signed_in_as(client, owner)

    refused = signed_in.post(DELETE_URL, {"confirm": "ACME"})
    deleted = signed_in.post(DELETE_URL, {"confirm": "acme"}, follow=True)

    assert "Type acme exactly to delete \u20682024 מרכז\u2069. Nothing was deleted." in (
        refused.content.decode()
    )
    assert (
        '<li class="message success">\u20682024 מרכז\u2069 and its 6 jobs were deleted.</li>'
    ) in deleted.content.decode()


def test_an_empty_post_says_what_is_missing(client, synced, owner):
    response = signed_in_as(client, owner).post(DELETE_URL)
    assert "There is a problem" in response.content.decode()
    assert "Type acme exactly to delete Acme Robotics." in response.content.decode()
    assert Organization.objects.filter(slug="acme").exists()


def test_a_disconnected_org_is_told_its_sync_history_goes_too(client, synced, owner):
    synced.delete()  # disconnected: the history stays with the org
    page = signed_in_as(client, owner).get(DELETE_URL).content.decode()
    assert "its sync history" in page and "board token" not in page


def test_accounts_its_invitations_made_go_unless_used_or_needed_elsewhere(synced, owner, other_org):
    """An invitation to an address new here makes an account with no password; left behind
    after the org, it would hold a stranger's address for nothing."""
    from jobs.organizations import organization_delete

    def invite(organization: Organization, email: str) -> User:
        member_invite(
            organization=organization,
            email=email,
            role=Membership.Role.MEMBER,
        )
        return User.objects.get(email=email)

    unused = invite(synced.organization, "unused@example.com")
    password_set = invite(synced.organization, "set@example.com")
    password_set.set_password("correct horse battery")
    password_set.save()
    invited_elsewhere = invite(synced.organization, "both@example.com")
    invite(other_org, "both@example.com")
    existing = User.objects.create_user("dora", "dora@example.com", "correct horse battery")
    invite(synced.organization, "dora@example.com")

    organization_delete(organization=synced.organization)

    assert not User.objects.filter(pk=unused.pk).exists()
    for kept in (password_set, invited_elsewhere, existing, owner):
        assert User.objects.filter(pk=kept.pk).exists(), kept.email


def test_deleting_it_in_django_admin_goes_the_same_way(client, synced):
    staff = User.objects.create_superuser("root", "root@example.com", "x")
    member_invite(
        organization=synced.organization,
        email="unused@example.com",
        role=Membership.Role.MEMBER,
    )
    url = f"/admin/jobs/organization/{synced.organization.pk}/delete/"
    signed_in_as(client, staff)

    acquire_sync_lock(synced)
    refused = client.post(url, {"post": "yes"}, follow=True)
    assert REFUSED in refused.content.decode()
    assert "deleted successfully" not in refused.content.decode()
    assert Organization.objects.filter(slug="acme").exists()
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()

    GreenhouseConnection.objects.update(lock_expires_at=None)
    client.post(url, {"post": "yes"})
    assert not Organization.objects.filter(slug="acme").exists()
    assert not User.objects.filter(email="unused@example.com").exists()


def test_the_refusal_for_a_running_sync_isolates_a_name_written_right_to_left(
    client, synced, owner
):
    """On the delete page and in Django admin's messages (templates/admin/base_site.html), as
    the site's sentences name an org (name_in_sentence): "A sync of 2024 מרכז" showed the name
    as if it ended with its digits. Admin's messages dropped the isolates with the controls."""
    Organization.objects.filter(slug="acme").update(name="2024 מרכז\u202e")
    staff = User.objects.create_superuser("root", "root@example.com", "x")
    admin_url = f"/admin/jobs/organization/{synced.organization.pk}/delete/"
    acquire_sync_lock(synced)
    refused = "A sync of \u20682024 מרכז\u2069 is running right now, so it was not deleted."

    on_the_page = signed_in_as(client, owner).post(DELETE_URL, {"confirm": "acme"})
    in_the_admin = signed_in_as(client, staff).post(admin_url, {"post": "yes"}, follow=True)

    assert refused in on_the_page.content.decode()
    assert refused in in_the_admin.content.decode()


def test_the_admin_list_action_deletes_all_but_an_org_being_synced(client, synced, other_org):
    staff = User.objects.create_superuser("root", "root@example.com", "x")
    acquire_sync_lock(synced)

    response = signed_in_as(client, staff).post(
        "/admin/jobs/organization/",
        {
            "action": "delete_selected",
            "_selected_action": [synced.organization.pk, other_org.pk],
            "post": "yes",
        },
        follow=True,
    )

    page = response.content.decode()
    assert REFUSED in page and "Successfully deleted 1 organization." in page
    assert list(Organization.objects.values_list("slug", flat=True)) == ["acme"]
    deleted = LogEntry.objects.filter(action_flag=DELETION).values_list("object_repr", flat=True)
    assert list(deleted) == ["Tiny Co"]  # the admin's history records only what went


def test_a_sync_starting_after_the_list_actions_check_leaves_every_selected_org(
    client, synced, other_org, monkeypatch
):
    """As on the delete page: the delete refuses, and the orgs deleted before it come back
    (the admin's history, written first, too); the list says why, with its filters kept."""
    staff = User.objects.create_superuser("root", "root@example.com", "x")
    monkeypatch.setattr(OrganizationAdmin, "delete_refusal", lambda *args, **kwargs: "")
    acquire_sync_lock(GreenhouseConnection.objects.get(organization=other_org))  # deleted last

    response = signed_in_as(client, staff).post(
        "/admin/jobs/organization/?o=1",
        {
            "action": "delete_selected",
            "_selected_action": [synced.organization.pk, other_org.pk],
            "post": "yes",
        },
        follow=True,
    )

    assert response.redirect_chain == [("/admin/jobs/organization/?o=1", 302)]
    page = response.content.decode()
    refused = "A sync of Tiny Co is running right now, so none of the selected organizations was"
    assert f"{refused} deleted. Try again in a minute" in page
    assert "Successfully deleted" not in page
    assert sorted(Organization.objects.values_list("slug", flat=True)) == ["acme", "tiny"]
    assert Job.objects.filter(organization=synced.organization).count() == 6
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_a_sync_starting_after_the_delete_pages_check_leaves_the_org(client, synced, monkeypatch):
    """Its change page says why, with the list's filters the delete page kept, as when the
    page refuses at once."""
    staff = User.objects.create_superuser("root", "root@example.com", "x")
    monkeypatch.setattr(OrganizationAdmin, "delete_refusal", lambda *args, **kwargs: "")
    acquire_sync_lock(synced)
    org_pk = synced.organization.pk

    response = signed_in_as(client, staff).post(
        f"/admin/jobs/organization/{org_pk}/delete/?_changelist_filters=o%3D-1",
        {"post": "yes"},
        follow=True,
    )

    change_page = f"/admin/jobs/organization/{org_pk}/change/?_changelist_filters=o%3D-1"
    assert response.redirect_chain == [(change_page, 302)]
    assert REFUSED in response.content.decode()
    assert Job.objects.filter(organization=synced.organization).count() == 6
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_members_and_other_orgs_admins_cannot_delete_it(client, synced, member, outsider):
    for user in (member, outsider):
        response = signed_in_as(client, user).post(DELETE_URL, {"confirm": "acme"})
        assert response.status_code == 404
    assert Organization.objects.filter(slug="acme").exists()


def test_staff_can_delete_any_org(client, synced):
    staff = User.objects.create_superuser("root", "root@example.com", "x")
    response = signed_in_as(client, staff).post(DELETE_URL, {"confirm": "acme"})
    assert response.status_code == 302
    assert not Organization.objects.filter(slug="acme").exists()


def test_an_unconnected_org_can_be_deleted(client, owner, acme):
    acme.delete()
    response = signed_in_as(client, owner).post(DELETE_URL, {"confirm": "acme"}, follow=True)
    assert "Acme Robotics was deleted." in response.content.decode()
    assert not Organization.objects.filter(slug="acme").exists()


def test_it_is_refused_while_a_sync_runs(client, synced, owner):
    """Said with when to try again, and when the sync's lease ends at the latest: a worker
    killed mid-sync holds it until then."""
    acquire_sync_lock(synced)

    response = signed_in_as(client, owner).post(DELETE_URL, {"confirm": "acme"})

    assert response.status_code == 200
    assert (
        f"{REFUSED} Try again in a minute: a sync usually takes seconds, and this one ends "
        "within about 10 minutes."
    ) in response.content.decode()
    assert Job.objects.filter(organization__slug="acme").count() == 6


def test_a_sync_whose_lease_ends_within_a_minute_says_only_to_try_again_in_a_minute(
    client, synced, owner
):
    GreenhouseConnection.objects.update(lock_expires_at=timezone.now() + timedelta(seconds=30))

    response = signed_in_as(client, owner).post(DELETE_URL, {"confirm": "acme"})

    assert f"{REFUSED} Try again in a minute.</" in response.content.decode()
    assert Organization.objects.filter(slug="acme").exists()


def test_a_failed_delete_keeps_everything_and_frees_the_sync_lock(
    client, synced, owner, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(Organization, "delete", refuse)
    with pytest.raises(DatabaseError):
        signed_in_as(client, owner).post(DELETE_URL, {"confirm": "acme"})

    synced.refresh_from_db()
    assert synced.lock_expires_at is None
    assert Job.objects.filter(organization__slug="acme").count() == 6


def test_a_sync_queued_before_the_delete_does_nothing_after_it(client, synced, owner):
    signed_in_as(client, owner).post(DELETE_URL, {"confirm": "acme"})

    assert sync_org.run(synced.pk) == "skipped: connection removed or paused"
    assert not Job.objects.exists()


# --- Its admin pages once it is gone -----------------------------------------------------------


def org_addresses(job_pk: int) -> list[str]:
    """Every address under /manage/<slug>/, from the URLconf: a page added later is asked too."""
    return [
        reverse(
            f"manage:{pattern.name}",
            kwargs={"slug": "acme", "pk": job_pk}
            if "pk" in pattern.pattern.converters
            else {"slug": "acme"},
        )
        for pattern in manage_urls.urlpatterns
        if "slug" in pattern.pattern.converters
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_admin_page_and_form_of_an_org_deleted_meanwhile_says_it_no_longer_exists(
    client, synced, owner, method
):
    """Only Refresh now and the live status said so; every other page and form of an org
    deleted in another tab was the plain "We couldn't find that page"."""
    signed_in = signed_in_as(client, owner)
    addresses = org_addresses(Job.objects.first().pk)
    Organization.objects.filter(slug="acme").delete()

    for address in addresses:
        response = getattr(signed_in, method)(address, {"action": "profile"}, follow=True)
        if response.status_code == 405:  # a page that takes no form (the jobs list)
            continue
        assert_says_organization_gone(response)
        # A form sent there is told its change was not made; a page asked for, of no change.
        form_sent = method == "post" and not response.redirect_chain
        assert ("Nothing was changed." in response.content.decode()) == form_sent, address


@pytest.mark.parametrize("persona", ["member", "outsider"])
def test_every_admin_page_and_form_tells_who_is_not_its_admin_so_and_whom_to_ask(
    client, synced, owner, persona, request
):
    """A signed-in member, or another org's admin, gets a 404 for every page and form of an org
    that is there, which says they are not its admin and whom to ask (not that it no longer
    exists, which is for one that is gone). It was the plain "We couldn't find that page",
    which says the page may have been removed: all an admin demoted or removed by another
    admin was told on reloading a page of the org."""
    signed_in = signed_in_as(client, request.getfixturevalue(persona))
    said = NOT_ADMIN_AS_A_MEMBER if persona == "member" else NOT_ADMIN_NOR_MEMBER

    for address in org_addresses(Job.objects.first().pk):
        for method in ("get", "post"):
            response = getattr(signed_in, method)(address, {"action": "profile"}, follow=True)
            if response.status_code == 405:  # a page that takes no form (the jobs list)
                continue
            assert_says_not_an_admin(response, said)
            assert "no longer exists" not in response.content.decode(), address
            # A form sent there is told its change was not made; a page asked for, of no change.
            form_sent = method == "post" and not response.redirect_chain
            assert ("Nothing was changed." in response.content.decode()) == form_sent, address


def test_who_is_a_member_of_another_org_only_is_not_told_they_are_a_member_of_this_one(
    client, acme, outsider
):
    """Whether they are a member is asked of this org: a plain member of any other org was
    told "You are a member of Acme Robotics"."""
    elsewhere = Organization.objects.create(name="Elsewhere", slug="elsewhere")
    Membership.objects.create(organization=elsewhere, user=outsider, role="member")

    response = signed_in_as(client, outsider).get("/manage/acme/settings/")

    assert_says_not_an_admin(response, NOT_ADMIN_NOR_MEMBER)


def test_a_member_of_an_org_with_no_admin_who_can_sign_in_is_not_told_to_ask_one(
    client, acme, owner, member
):
    """Its only admin's account made by an earlier invitation flow, its password never set (or
    a superuser who invited members before an admin): "Ask one of them to make you an admin"
    sent the member to nobody."""
    owner.set_unusable_password()
    owner.save()

    response = signed_in_as(client, member).get("/manage/acme/settings/")

    assert_says_not_an_admin(
        response,
        "You are a member of Acme Robotics, not one of its admins, and it has no admin who can "
        "sign in yet: once it has one, ask them to make you an admin.",
    )


def test_the_name_on_the_page_to_who_is_not_its_admin_leaves_no_direction_open(
    client, acme, owner, member
):
    """An org named with a right-to-left override left open: isolated in the heading, and left
    out of the sentence, which runs on after it."""
    Organization.objects.filter(slug="acme").update(name="\u202eAcme Robotics")

    page = parsed(signed_in_as(client, member).get("/manage/acme/settings/"))

    assert page.h1.bdi.get_text() == "\u202eAcme Robotics"
    assert NOT_ADMIN_AS_A_MEMBER in " ".join(page.main.get_text().split())


def test_the_title_of_the_page_to_who_is_not_its_admin_isolates_a_name_right_to_left(
    client, acme, owner, member
):
    Organization.objects.filter(slug="acme").update(name="\u202eכלי נמל")

    page = parsed(signed_in_as(client, member).get("/manage/acme/settings/"))

    assert page.title.get_text() == "Not an admin of \u2068כלי נמל\u2069 · orgsite"
    # Its sentence too: the name runs on into ", not one of its admins".
    assert "You are a member of \u2068כלי נמל\u2069, not one of its admins" in page.main.get_text()
