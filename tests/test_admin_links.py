"""Django admin's links: each one a staff member is shown opens for them, whatever permissions
they have. Django linked every related object shown read-only (a job's organization, a member's
account) to its page, and that page answered 403 to staff who may not view it."""

from __future__ import annotations

from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from jobs.models import Department, GreenhouseConnection, Job, Office, SyncRun
from tests.support.helpers import staff_client_with

pytestmark = pytest.mark.django_db

# Members they may add but not change: Django shows the rows saved read-only, new rows editable.
ADDS_MEMBERS = ["view_organization", "change_organization", "view_membership", "add_membership"]

LIMITED_STAFF = pytest.mark.parametrize(
    "codenames",
    [
        # Jobs and boards, not the organizations they belong to.
        [
            "view_job",
            "change_job",
            "view_department",
            "view_office",
            "view_syncrun",
            "view_greenhouseconnection",
            "change_greenhouseconnection",
        ],
        # Organizations and their members, not the members' accounts.
        ["view_organization", "view_membership"],
        ["view_organization", "change_organization", "view_membership"],
        ADDS_MEMBERS,
        # Accounts, which they may view, or change but for the staff's accounts.
        ["view_organization", "view_membership", "view_user", "view_group"],
        ["view_user", "change_user"],
    ],
    ids=[
        "jobs",
        "members",
        "organizations",
        "members-added",
        "accounts-viewed",
        "accounts-changed",
    ],
)


def admin_link_answers(client: Client) -> dict[str, int]:
    """What each admin link answers the client, for every link on every admin page it can open
    from the admin's index on. A page is read for links once, however many of them (sorted,
    filtered) lead to it."""
    answers: dict[str, int] = {}
    read: set[str] = set()
    to_open = ["/admin/"]
    while to_open:
        url = to_open.pop()
        response = client.get(url)
        answers[url] = response.status_code
        path = urlsplit(url).path
        if response.status_code != 200 or path in read:
            continue
        read.add(path)
        for link in BeautifulSoup(response.content, "html.parser").select("a[href]"):
            target = urldefrag(urljoin(url, link["href"])).url
            if urlsplit(target).path.startswith("/admin/") and target not in answers:
                answers[target] = 0  # to open
                to_open.append(target)
    return answers


@LIMITED_STAFF
def test_no_admin_link_answers_403_to_staff_with_some_permissions(
    synced_acme, owner, member, codenames
):
    User.objects.create_superuser("root", "root@example.com", "x")
    answers = admin_link_answers(staff_client_with(*codenames))

    assert [url for url, status in answers.items() if status == 403] == []
    assert any(url.endswith("/change/") and status == 200 for url, status in answers.items())


def organization_field(page: BeautifulSoup) -> str:
    return page.select_one(".field-organization .readonly").decode_contents().strip()


def test_a_related_object_staff_may_not_open_is_named_without_a_link(synced_acme, owner):
    jobs_clerk = staff_client_with("view_job", "change_job")
    job = Job.objects.first()

    page = BeautifulSoup(
        jobs_clerk.get(reverse("admin:jobs_job_change", args=[job.pk])).content, "html.parser"
    )

    assert organization_field(page) == "Acme Robotics"


@pytest.mark.parametrize(
    "model", [Job, GreenhouseConnection, SyncRun, Department, Office], ids=lambda m: m.__name__
)
def test_superusers_are_linked_to_the_organization_of_each_row(admin_client, synced_acme, model):
    row = model.objects.filter(organization=synced_acme).first()
    opts = model._meta

    response = admin_client.get(reverse(f"admin:jobs_{opts.model_name}_change", args=[row.pk]))

    page = BeautifulSoup(response.content, "html.parser")
    url = reverse("admin:jobs_organization_change", args=[synced_acme.pk])
    assert organization_field(page) == f'<a href="{url}">Acme Robotics</a>'


@pytest.mark.parametrize(
    ("codenames", "linked"),
    [
        (["view_organization", "view_membership", "view_user"], True),
        (["view_organization", "view_membership"], False),
        ([*ADDS_MEMBERS, "view_user"], True),
        (ADDS_MEMBERS, False),
    ],
    ids=["may-view-accounts", "may-not", "adds-rows-may-view-accounts", "adds-rows-may-not"],
)
def test_a_members_account_is_linked_for_staff_who_may_view_accounts(
    synced_acme, owner, member, codenames, linked
):
    clerk = staff_client_with(*codenames)

    response = clerk.get(reverse("admin:jobs_organization_change", args=[synced_acme.pk]))

    page = BeautifulSoup(response.content, "html.parser")
    cells = page.select(".has_original .field-user")  # not the blank row of those who add
    assert sorted(cell.get_text(strip=True) for cell in cells) == ["alice", "bob"]
    links = sorted(link["href"] for cell in cells for link in cell.select("a"))
    accounts = sorted(reverse("admin:auth_user_change", args=[u.pk]) for u in (owner, member))
    assert links == (accounts if linked else [])


@pytest.mark.parametrize(
    ("codenames", "account", "button"),
    [
        (["view_user"], "alice", False),
        (["view_user", "change_user"], "root", False),  # a superuser's account
        (["view_user", "change_user"], "alice", True),
        (["view_user", "change_user"], "clerk", True),  # their own
    ],
)
def test_an_accounts_password_page_is_linked_for_staff_who_may_set_it(
    owner, codenames, account, button
):
    User.objects.create_superuser("root", "root@example.com", "x")
    clerk = staff_client_with(*codenames)
    user = User.objects.get(username=account)

    response = clerk.get(reverse("admin:auth_user_change", args=[user.pk]))

    field = BeautifulSoup(response.content, "html.parser").select_one(".field-password")
    assert "algorithm" in field.get_text()
    assert [link["href"] for link in field.select("a")] == (["../password/"] if button else [])


def test_superusers_are_linked_to_every_accounts_password_page(admin_client, owner):
    response = admin_client.get(reverse("admin:auth_user_change", args=[owner.pk]))

    field = BeautifulSoup(response.content, "html.parser").select_one(".field-password")
    assert [link.get_text() for link in field.select('a[href="../password/"]')] == [
        "Reset password"
    ]


@pytest.mark.parametrize(
    ("model_name", "codenames", "linked"),
    [
        ("user", ["delete_user"], False),
        ("user", ["delete_user", "view_user"], True),
        ("organization", ["delete_organization", "delete_greenhouseconnection"], False),
        (
            "organization",
            ["delete_organization", "delete_greenhouseconnection", "view_organization"],
            True,
        ),
    ],
)
def test_a_delete_page_links_what_it_deletes_for_staff_who_may_open_it(
    owner, member, model_name, codenames, linked
):
    clerk = staff_client_with(*codenames)
    obj = member if model_name == "user" else member.memberships.get().organization
    app_label = obj._meta.app_label

    response = clerk.get(reverse(f"admin:{app_label}_{model_name}_delete", args=[obj.pk]))

    deleted = BeautifulSoup(response.content, "html.parser").select_one("#deleted-objects > li")
    assert deleted.get_text(" ", strip=True).startswith(f"{model_name.capitalize()}: {obj}")
    links = [link["href"] for link in deleted.select("a")]
    change_page = reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk])
    assert links == ([change_page] if linked else [])


@pytest.mark.parametrize(
    "codenames",
    [
        ["view_organization", "view_membership"],
        ["view_organization", "view_membership", "view_user"],
        ADDS_MEMBERS,
    ],
    ids=["members", "accounts-viewed", "members-added"],
)
def test_member_rows_shown_read_only_leave_out_the_organization_of_the_page(
    synced_acme, owner, member, codenames
):
    clerk = staff_client_with(*codenames)

    response = clerk.get(reverse("admin:jobs_organization_change", args=[synced_acme.pk]))

    table = BeautifulSoup(response.content, "html.parser").select_one("#memberships-group table")
    columns = [th.get_text(strip=True) for th in table.select("thead th:not(.hidden)")]
    assert columns == ["", "User", "Role", ""]
    for row in table.select("tr.has_original"):
        cells = [td["class"][0] for td in row.select("td") if "hidden" not in td["class"]]
        assert cells == ["original", "field-user", "field-role", "delete"]
