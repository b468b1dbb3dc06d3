"""An org's admin deletes the org from this site: its page, jobs and history go; accounts stay."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError
from django.test import Client

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
from tests.support.helpers import make_connection

pytestmark = pytest.mark.django_db

DELETE_URL = "/manage/acme/delete/"


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


def test_the_page_says_what_goes_and_what_stays(client, synced, owner):
    page = signed_in_as(client, owner).get(DELETE_URL).content.decode()

    assert "Delete Acme Robotics?" in page
    assert "its 6 jobs (6 open)" in page
    assert "Their accounts stay" in page and "stay on your Greenhouse board" in page
    assert "To confirm, type acme" in page
    assert Organization.objects.filter(slug="acme").exists()


def test_the_settings_page_links_to_it(client, synced, owner):
    page = signed_in_as(client, owner).get("/manage/acme/settings/").content.decode()
    assert f'href="{DELETE_URL}"' in page


def test_typing_the_slug_deletes_the_org_and_everything_it_has_here(
    client, synced, owner, member, other_org, settings
):
    settings.SITE_URL = "https://jobs.example.com"
    member_invite(
        organization=synced.organization,
        email="new@acme.example",
        role=Membership.Role.MEMBER,
        site_url="https://jobs.example.com",
    )
    visitor = Client()
    assert visitor.get("/orgs/acme/").status_code == 200  # now cached
    job_url = Job.objects.filter(organization__slug="acme").first().get_absolute_url()
    other_rows = other_org_rows(other_org)

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


@pytest.mark.parametrize("typed", ["", "ACME", "acme-robotics", "Acme Robotics"])
def test_anything_but_the_slug_deletes_nothing(client, synced, owner, typed):
    response = signed_in_as(client, owner).post(DELETE_URL, {"confirm": typed})

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    if typed:
        assert "Type acme exactly to delete Acme Robotics. Nothing was deleted." in (
            response.content.decode()
        )
    assert Job.objects.filter(organization__slug="acme").count() == 6


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


def test_it_waits_for_a_running_sync(client, synced, owner):
    acquire_sync_lock(synced)

    response = signed_in_as(client, owner).post(DELETE_URL, {"confirm": "acme"})

    assert response.status_code == 200 and "running right now" in response.content.decode()
    assert Job.objects.filter(organization__slug="acme").count() == 6


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
