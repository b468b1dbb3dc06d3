"""Django admin's forms and list actions: whatever a POST carries gets the page with what is wrong
in words (or a refusal), never an error page, and changes nothing."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from django.forms import modelform_factory
from django.test import Client
from django.urls import reverse

from jobs.form_messages import say_what_to_type
from jobs.forms import AccountPasswordResetForm, SignupForm
from jobs.memberships import (
    ADMIN_ADD_ASK_MESSAGE,
    ADMIN_ADD_NEEDED_MESSAGE,
    ADMIN_NEEDED_MESSAGE,
)
from jobs.models import (
    Department,
    GreenhouseConnection,
    Membership,
    Office,
    Organization,
    SyncRun,
)
from tests.support.helpers import form_as_sent, member_row_prefix, parsed, staff_client_with
from tests.support.public_jobs import make_job

pytestmark = pytest.mark.django_db


def organization_page(organization: Organization) -> str:
    return f"/admin/jobs/organization/{organization.pk}/change/"


def organization_form(client: Client, organization: Organization) -> dict[str, str]:
    """The org's admin page's form, with its member rows, as a browser sends it unchanged."""
    page = client.get(organization_page(organization))
    return form_as_sent(page.content, "#organization_form")


def memberships(organization: Organization) -> list[tuple[str, str]]:
    return sorted(organization.memberships.values_list("user__username", "role"))


@pytest.mark.parametrize("user", ["abc", "1.5", "9" * 30], ids=["word", "decimal", "30-digits"])
def test_a_member_row_naming_no_account_is_refused_on_the_form(admin_client, owner, member, user):
    """The account picker looks its value up to show it again: "abc" was an error page."""
    organization = owner.memberships.get().organization
    before = memberships(organization)
    data = organization_form(admin_client, organization)
    # The member's own account picker: a form count or another row's id may hold the same number.
    row = next(
        key for key, value in data.items() if key.endswith("-user") and value == str(member.pk)
    )
    data[row] = user

    response = admin_client.post(organization_page(organization), data)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert memberships(organization) == before


def test_a_member_row_for_someone_made_a_member_meanwhile_is_refused_on_the_form(
    admin_client, owner
):
    """Added on the members page while this one was open: the save met the database's unique
    constraint, an error page."""
    organization = owner.memberships.get().organization
    newcomer = User.objects.create_user("carol", "carol@acme.example")
    data = organization_form(admin_client, organization)
    data.update(
        {
            "memberships-TOTAL_FORMS": "2",
            "memberships-1-user": str(newcomer.pk),
            "memberships-1-role": Membership.Role.ADMIN,
        }
    )
    Membership.objects.create(organization=organization, user=newcomer)

    response = admin_client.post(organization_page(organization), data)

    assert response.status_code == 200
    assert "Membership with this Organization and User already exists." in (
        response.content.decode()
    )
    assert organization.memberships.get(user=newcomer).role == Membership.Role.MEMBER


@pytest.mark.parametrize("changed", [False, True], ids=["unchanged", "changed"])
def test_a_member_row_removed_while_the_page_was_open_is_said_so(
    admin_client, owner, member, changed
):
    """Removed on the members page while this one was open: Django found no row to save, and
    the page said "Please correct the errors below" with no error shown (its "Select a valid
    choice" was of the row's hidden id)."""
    organization = owner.memberships.get().organization
    data = organization_form(admin_client, organization)
    if changed:
        bob = str(member.memberships.get().pk)
        data[member_row_prefix(data, bob) + "-role"] = Membership.Role.ADMIN
    Membership.objects.filter(user=member).delete()

    response = admin_client.post(organization_page(organization), data)

    assert response.status_code == 200
    assert "bob was removed from Acme Robotics meanwhile, so nothing was saved." in (
        response.content.decode()
    )
    assert memberships(organization) == [("alice", "admin")]


@pytest.mark.parametrize(
    ("removed", "accounts_deleted", "said"),
    [
        (["bob", "carol"], [], "bob and carol were removed"),
        (["bob", "carol", "dave"], [], "bob, carol and dave were removed"),
        (["bob", "carol"], ["carol"], "bob and another member were removed"),
        (["bob", "carol", "dave"], ["carol", "dave"], "bob and 2 other members were removed"),
        (["bob", "carol"], ["bob", "carol"], "2 members were removed"),
        (["carol"], ["carol"], "A member was removed"),
    ],
    ids=[
        "both-named",
        "three-named",
        "one-account-gone",
        "two-accounts-gone",
        "both-accounts-gone",
        "its-account-gone",
    ],
)
def test_member_rows_removed_while_the_page_was_open_are_listed_in_a_sentence(
    admin_client, owner, member, removed, accounts_deleted, said
):
    """Two rows read "A member, bob were removed": a row whose account is deleted too names
    no one, and the names were only comma-separated."""
    organization = owner.memberships.get().organization
    for username in ["carol", "dave"]:
        user = User.objects.create_user(username, f"{username}@acme.example")
        Membership.objects.create(organization=organization, user=user)
    data = organization_form(admin_client, organization)
    Membership.objects.filter(user__username__in=removed).delete()
    User.objects.filter(username__in=accounts_deleted).delete()

    response = admin_client.post(organization_page(organization), data)

    assert f"{said} from Acme Robotics meanwhile, so nothing was saved." in (
        response.content.decode()
    )
    kept = [(name, "member") for name in ["bob", "carol", "dave"] if name not in removed]
    assert memberships(organization) == [("alice", "admin"), *kept]


def test_a_member_row_removed_while_the_page_was_open_is_said_so_once(admin_client, owner, member):
    """Not also as its hidden id's error ("Select a valid choice") above the row, which Django
    shows when a row follows it (its table pairs the rows sent with the rows found)."""
    organization = owner.memberships.get().organization
    carol = User.objects.create_user("carol", "carol@acme.example")
    Membership.objects.create(organization=organization, user=carol)
    data = organization_form(admin_client, organization)
    Membership.objects.filter(user=member).delete()

    response = admin_client.post(organization_page(organization), data)

    assert response.status_code == 200
    assert "bob was removed from Acme Robotics meanwhile" in response.content.decode()
    assert parsed(response).select(".row-form-errors") == []


def test_a_member_row_removed_while_the_page_was_open_that_it_removes_too_is_saved(
    admin_client, owner, member
):
    """What the page asked for is done: nothing it would save is missing."""
    organization = owner.memberships.get().organization
    data = organization_form(admin_client, organization)
    bob = str(member.memberships.get().pk)
    data[member_row_prefix(data, bob) + "-DELETE"] = "on"
    Membership.objects.filter(user=member).delete()

    response = admin_client.post(organization_page(organization), {**data, "name": "Acme"})

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.name == "Acme"
    assert memberships(organization) == [("alice", "admin")]


@pytest.mark.parametrize("meanwhile", ["member", "admin"], ids=["demoted", "promoted"])
def test_an_org_page_saved_after_a_member_s_role_changed_meanwhile_keeps_it(
    admin_client, owner, member, meanwhile
):
    """Django read a row as changed where it was changed meanwhile (it compared the page's
    values with the row as now): a page left open while bob was made an admin, or a member
    again, on the members page, saved to rename the org, put his role back as it showed it.
    A row is saved only if the page changed it."""
    organization = owner.memberships.get().organization
    shown = Membership.Role.MEMBER if meanwhile == Membership.Role.ADMIN else Membership.Role.ADMIN
    Membership.objects.filter(user=member).update(role=shown)
    data = organization_form(admin_client, organization)
    Membership.objects.filter(user=member).update(role=meanwhile)

    response = admin_client.post(organization_page(organization), {**data, "name": "Acme Two"})

    assert response.status_code == 302
    assert memberships(organization) == [("alice", "admin"), ("bob", meanwhile)]
    assert Organization.objects.get(pk=organization.pk).name == "Acme Two"


def test_an_org_page_giving_a_row_another_account_saves_that_alone(
    admin_client, owner, member, outsider
):
    """A row changed on the page was saved whole: its role as the page showed it too, though
    bob was made an admin meanwhile on the members page."""
    organization = owner.memberships.get().organization
    data = organization_form(admin_client, organization)
    Membership.objects.filter(user=member).update(role=Membership.Role.ADMIN)
    row = member_row_prefix(data, member.memberships.get().pk)

    response = admin_client.post(
        organization_page(organization), {**data, f"{row}-user": str(outsider.pk)}
    )

    assert response.status_code == 302
    assert memberships(organization) == [("alice", "admin"), ("mallory", "admin")]


def test_an_org_page_changing_a_row_changed_meanwhile_is_refused(
    admin_client, owner, member, outsider
):
    """Saved, it undid the other change unseen: it is refused, naming the field, and nothing
    of the page is saved."""
    organization = owner.memberships.get().organization
    data = organization_form(admin_client, organization)
    row = member_row_prefix(data, member.memberships.get().pk)
    Membership.objects.filter(user=member).update(user=outsider)  # by another staff member
    carol = User.objects.create_user("carol", "carol@acme.example", "correct horse battery")

    response = admin_client.post(
        organization_page(organization),
        {**data, "name": "Acme Two", f"{row}-user": str(carol.pk)},
    )

    assert response.status_code == 200
    assert (
        "Nothing was saved: “User” changed by someone else since this page was opened. Reload "
        "the page to see the organization as it is now, then make your change again."
    ) in parsed(response).get_text()
    assert memberships(organization) == [("alice", "admin"), ("mallory", "member")]
    assert Organization.objects.get(pk=organization.pk).name == "Acme Robotics"


def test_an_org_page_shown_again_with_an_error_saves_a_row_once_corrected(
    admin_client, owner, member
):
    organization = owner.memberships.get().organization
    data = organization_form(admin_client, organization)
    row = member_row_prefix(data, member.memberships.get().pk)
    refused = admin_client.post(
        organization_page(organization), {**data, "name": "", f"{row}-role": "admin"}
    )
    assert refused.status_code == 200

    corrected = {**form_as_sent(refused.content, "#organization_form"), "name": "Acme Two"}
    response = admin_client.post(organization_page(organization), corrected)

    assert response.status_code == 302
    assert memberships(organization) == [("alice", "admin"), ("bob", "admin")]


@pytest.mark.parametrize("typed", ["Sails and rigging.", ""], ids=["changed", "emptied"])
def test_an_org_page_changing_its_description_changed_meanwhile_is_refused(
    admin_client, owner, typed
):
    """Its org admins rewrote the description on its settings page while the page was open:
    saved, the page wrote its own over theirs unseen. It is refused, naming the field, and
    nothing of the page is saved."""
    organization = owner.memberships.get().organization
    Organization.objects.filter(pk=organization.pk).update(description="Robots.")
    data = organization_form(admin_client, organization)
    Organization.objects.filter(pk=organization.pk).update(description="Robots and arms.")

    response = admin_client.post(
        organization_page(organization), {**data, "name": "Acme Two", "description": typed}
    )

    assert response.status_code == 200
    assert (
        "Nothing was saved: “Description” (now “Robots and arms.”) changed by someone else "
        "since this page was opened. The form shows what is saved now, with your changes: save "
        "again to make them."
    ) in parsed(response).get_text()
    saved = Organization.objects.get(pk=organization.pk)
    assert (saved.name, saved.description) == ("Acme Robotics", "Robots and arms.")


def test_a_member_row_whose_hidden_org_was_changed_says_what_is_wrong(admin_client, owner, member):
    """The row's hidden org key changed by hand: the page said "Please correct the error
    below" and showed no error, Django's table of rows showing none of a hidden field's."""
    organization = owner.memberships.get().organization
    other = Organization.objects.create(name="Other", slug="other")
    data = organization_form(admin_client, organization)
    bob = str(member.memberships.get().pk)
    data[member_row_prefix(data, bob) + "-organization"] = str(other.pk)

    response = admin_client.post(organization_page(organization), data)

    assert response.status_code == 200
    shown = [
        error.get_text(" ", strip=True)
        for error in parsed(response).select(".row-form-errors .errorlist li")
    ]
    assert shown == [
        "(Hidden field organization) The inline value did not match the parent instance."
    ]
    assert "Please correct the error below." in response.content.decode()
    assert memberships(organization) == [("alice", "admin"), ("bob", "member")]


def test_member_rows_posted_as_new_ones_are_refused_on_the_form(admin_client, owner, member):
    """A tampered count of the rows the page showed made them rows to add."""
    organization = owner.memberships.get().organization
    before = memberships(organization)
    data = organization_form(admin_client, organization)
    data["memberships-INITIAL_FORMS"] = "0"

    response = admin_client.post(organization_page(organization), data)

    assert response.status_code == 200
    assert "Membership with this Organization and User already exists." in (
        response.content.decode()
    )
    assert memberships(organization) == before


@pytest.mark.parametrize(
    "model",
    [Organization, GreenhouseConnection, SyncRun, User, Group],
    ids=lambda model: model._meta.model_name,
)
@pytest.mark.parametrize("selected", ["abc", "1.5", "9" * 30], ids=["word", "decimal", "30-digits"])
@pytest.mark.parametrize("confirmed", [{}, {"post": "yes"}], ids=["asked", "confirmed"])
def test_deleting_selected_rows_no_row_could_be_selects_none(
    admin_client, synced_acme, model, selected, confirmed
):
    """The selected ids reach the query only as the action reads it: an error page."""
    Group.objects.create(name="Editors")
    before = model.objects.count()

    response = admin_client.post(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"),
        {"action": "delete_selected", "index": "0", "_selected_action": [selected], **confirmed},
        follow=True,
    )

    assert response.status_code == 200
    assert "Items must be selected in order to perform actions on them." in (
        response.content.decode()
    )
    assert model.objects.count() == before


def test_deleting_every_account_a_list_finds_by_a_filter_it_refuses_deletes_none(
    admin_client, owner
):
    """ "Select all" on the list of accounts, sent with a filter value Django refuses: the list
    redirects, deleting nothing, as for any action there. Not an error page, as the accounts it
    finds are read first, to be locked with the staff member's own (jobs.admin_site)."""
    before = User.objects.count()

    response = admin_client.post(
        reverse("admin:auth_user_changelist") + "?is_staff__exact=maybe",
        {
            "action": "delete_selected",
            "select_across": "1",
            "_selected_action": [owner.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 302 and response["Location"].endswith("?e=1")
    assert User.objects.count() == before


@pytest.mark.parametrize("removed", [False, True], ids=["renamed", "admin-removed"])
def test_staff_who_may_only_view_members_save_an_organization_keeping_an_admin(
    owner, member, removed
):
    """Django checks no row it shows read-only, and the org's check of its admins read those
    rows' accounts as bare ids: an error page."""
    organization = owner.memberships.get().organization
    clerk = staff_client_with(
        "view_organization", "change_organization", "view_membership", "delete_membership"
    )
    data = organization_form(clerk, organization)
    data["name"] = "Acme Renamed"
    if removed:
        admin_row = str(owner.memberships.get().pk)
        data[member_row_prefix(data, admin_row) + "-DELETE"] = "on"

    response = clerk.post(organization_page(organization), data)

    organization.refresh_from_db()
    if removed:
        assert response.status_code == 200
        assert ADMIN_ADD_ASK_MESSAGE in response.content.decode()  # they may add no row
        assert organization.name == "Acme Robotics"
    else:
        assert response.status_code == 302
        assert organization.name == "Acme Renamed"
    assert memberships(organization) == [("alice", "admin"), ("bob", "member")]


@pytest.mark.parametrize(
    ("may", "bob_signs_in", "told"),
    [
        ("add_membership", True, ADMIN_ADD_NEEDED_MESSAGE),
        ("change_membership", True, ADMIN_NEEDED_MESSAGE),
        ("change_membership", False, ADMIN_ADD_ASK_MESSAGE),
    ],
    ids=["may-add", "may-make-bob-admin", "may-change-nobody-else-signs-in"],
)
def test_staff_removing_the_only_admin_are_told_what_they_may_do_first(
    owner, member, may, bob_signs_in, told
):
    """Staff who may delete member rows but not add them were told to add another admin first,
    which they cannot: they are asked to make a member who can sign in one, or else to ask
    staff who may add members."""
    organization = owner.memberships.get().organization
    User.objects.filter(pk=member.pk).update(is_active=bob_signs_in)
    clerk = staff_client_with(
        "view_organization", "change_organization", "view_membership", "delete_membership", may
    )
    data = organization_form(clerk, organization)
    data[f"{member_row_prefix(data, owner.memberships.get().pk)}-DELETE"] = "on"

    response = clerk.post(organization_page(organization), data)

    assert response.status_code == 200
    assert told in response.content.decode()
    assert memberships(organization) == [("alice", "admin"), ("bob", "member")]


def test_removing_the_only_admin_is_refused_whatever_else_their_row_carries(
    admin_client, owner, member
):
    """Django ignores what is wrong with a row to remove, which it does not save: the org's check
    of its admins stopped at it, and let its only admin go."""
    organization = owner.memberships.get().organization
    data = organization_form(admin_client, organization)
    admin_row = str(owner.memberships.get().pk)
    prefix = member_row_prefix(data, admin_row)
    data.update({f"{prefix}-DELETE": "on", f"{prefix}-user": "abc"})

    response = admin_client.post(organization_page(organization), data)

    assert response.status_code == 200
    assert ADMIN_ADD_NEEDED_MESSAGE in response.content.decode()
    assert memberships(organization) == [("alice", "admin"), ("bob", "member")]


@pytest.mark.parametrize("signs_in", ["deactivated", "without-password"])
def test_the_admin_role_handed_to_someone_who_cannot_sign_in_is_refused(
    admin_client, owner, member, signs_in
):
    """Alice demoted and Bob made an admin on the same save: Bob, who cannot sign in, would be
    the org's only admin, and nobody could manage it."""
    if signs_in == "deactivated":
        User.objects.filter(pk=member.pk).update(is_active=False)
    else:
        member.set_unusable_password()
        member.save()
    organization = owner.memberships.get().organization
    data = organization_form(admin_client, organization)
    data[f"{member_row_prefix(data, owner.memberships.get().pk)}-role"] = Membership.Role.MEMBER
    data[f"{member_row_prefix(data, member.memberships.get().pk)}-role"] = Membership.Role.ADMIN

    response = admin_client.post(organization_page(organization), data)

    assert response.status_code == 200
    assert ADMIN_ADD_NEEDED_MESSAGE in response.content.decode()
    assert memberships(organization) == [("alice", "admin"), ("bob", "member")]


def test_staff_who_may_add_members_but_not_change_them_add_one_on_the_blank_row(
    owner, member, outsider
):
    """Django shows them the rows saved read-only, and editable the blank row that "Add another"
    copies: read-only as the saved rows are (the admin names their accounts on its own), it
    would leave them nothing to add a member with."""
    organization = owner.memberships.get().organization
    clerk = staff_client_with(
        "view_organization", "change_organization", "view_membership", "add_membership"
    )
    page = clerk.get(organization_page(organization)).content
    data = form_as_sent(page, "#organization_form")
    blank = BeautifulSoup(page, "html.parser").select_one("#memberships-empty")
    fields = {field["name"] for field in blank.select("select[name], input[name]")}
    assert {"memberships-__prefix__-user", "memberships-__prefix__-role"} <= fields
    new_row = data["memberships-TOTAL_FORMS"]
    data.update(
        {
            "memberships-TOTAL_FORMS": str(int(new_row) + 1),
            f"memberships-{new_row}-user": str(outsider.pk),
            f"memberships-{new_row}-role": Membership.Role.MEMBER,
        }
    )

    response = clerk.post(organization_page(organization), data)

    assert response.status_code == 302
    assert memberships(organization) == [
        ("alice", "admin"),
        ("bob", "member"),
        (outsider.username, "member"),
    ]


@pytest.mark.parametrize(
    "typed",
    [{"sync_interval_minutes": "90"}, {"new_api_key": "abcdef0123456789abcdef"}],
    ids=["schedule", "api-key"],
)
def test_a_connection_saved_from_a_page_read_before_another_board_is_connected_is_not_changed(
    admin_client, acme, typed
):
    """The page showed one board; the org's admins connected another since (the same row): a
    key or schedule typed for the one shown is not made to it, as on the settings page. The
    page shown again keeps the filters of the list it was opened from, as Django's redirects
    do, so that its Save returns to that list: they were dropped."""
    page = f"/admin/jobs/greenhouseconnection/{acme.pk}/change/"
    url = f"{page}?_changelist_filters=enabled__exact%3D1"
    data = form_as_sent(admin_client.get(url).content, "#greenhouseconnection_form")
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        board_token="tiny-co", board_name="Tiny Co."
    )

    response = admin_client.post(url, {**data, **typed}, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert "board was changed meanwhile, to “Tiny Co.” (tiny-co)" in parsed(response).get_text()
    acme.refresh_from_db()
    assert (acme.sync_interval_minutes, acme.api_key_last5) == (15, "")


@pytest.mark.parametrize(
    ("change", "label"),
    [
        ({"new_api_key": "abcdef0123456789abcdef"}, "New Job Board API key"),
        ({"tags": "remote, python"}, "Tags"),
    ],
    ids=["api-key", "tags"],
)
def test_the_history_names_a_changed_field_as_its_page_does(admin_client, acme, change, label):
    """A field declared on the form had no label: the page said "New api key" and the history
    "Changed new_api_key." (Django's history names a field by its label, else its name)."""
    if "tags" in change:
        model, pk = "job", make_job(acme.organization, "Welder").pk
    else:
        model, pk = "greenhouseconnection", acme.pk
    url = f"/admin/jobs/{model}/{pk}/change/"
    page = admin_client.get(url).content
    field = BeautifulSoup(page, "html.parser").select_one(f"label[for=id_{next(iter(change))}]")
    data = form_as_sent(page, f"#{model}_form")

    admin_client.post(url, {**data, **change})
    history = admin_client.get(url.replace("/change/", "/history/")).content.decode()

    assert field.get_text() == f"{label}:"
    assert f"Changed {label}." in history


def test_a_name_with_a_direction_override_garbles_no_admin_title_or_message(admin_client, acme):
    """Django's admin writes an object's name into its page title, breadcrumbs, messages and
    history as plain text: a name (or a Greenhouse title) with U+202E reversed the rest of the
    line ("The organization “.woleb niaga ti tide yam uoY .yllufsseccus degnahc saw ”...").
    Its message keeps the link Django's admin puts on the name."""
    organization = acme.organization
    Organization.objects.filter(pk=organization.pk).update(name="\u202eAcme Robotics")
    job = make_job(organization, "\u202eWelder")
    url = organization_page(organization)

    saved = admin_client.post(url, organization_form(admin_client, organization), follow=True)
    job_page = admin_client.get(f"/admin/jobs/job/{job.pk}/change/")

    page = BeautifulSoup(saved.content, "html.parser")
    assert page.select_one("input[name=name]")["value"] == "\u202eAcme Robotics"  # kept as typed
    assert page.select_one(".messagelist .success a")["href"] == url
    for shown in [page.title, page.select_one(".messagelist"), page.select_one(".breadcrumbs")]:
        assert "\u202e" not in shown.get_text()
    assert "\u202e" not in BeautifulSoup(job_page.content, "html.parser").title.get_text()


@pytest.mark.parametrize("model", [Department, Office], ids=["department", "office"])
def test_a_department_or_office_is_named_without_direction_controls(model):
    """Django's admin names them as plain text too (the job page's choices, its history)."""
    assert str(model(name="\u202eWelding\u2066")) == "Welding"


SLUG_LEFT_EMPTY = (
    "Type a slug, for the org's address /orgs/<slug>/: use lowercase a-z, 0-9, - and _, with a "
    "letter or digit first and last and no --."
)
PASSWORDS_LEFT_EMPTY = {"password1": "Type a password.", "password2": "Type the password again."}


@pytest.mark.parametrize(
    ("page", "boxes", "said"),
    [
        (
            "/admin/jobs/organization/add/",
            ["name", "slug"],
            {"name": "Give your organization a name.", "slug": SLUG_LEFT_EMPTY},
        ),
        (
            "/admin/jobs/organization/{org}/change/",
            ["name", "slug"],
            {"name": "Give your organization a name.", "slug": SLUG_LEFT_EMPTY},
        ),
        (
            "/admin/auth/user/add/",
            ["username", "password1", "password2"],  # with password sign-in (its first choice)
            {"username": "Type a username to sign in with.", **PASSWORDS_LEFT_EMPTY},
        ),
        (
            "/admin/auth/user/{member}/change/",
            ["username", "date_joined_0", "date_joined_1"],
            {
                "username": "Type a username to sign in with.",
                "date_joined": "Type the date and time the account joined.",
            },
        ),
        ("/admin/auth/user/{member}/password/", ["password1", "password2"], PASSWORDS_LEFT_EMPTY),
        (
            "/admin/jobs/greenhouseconnection/{connection}/change/",
            ["sync_interval_minutes"],
            {"sync_interval_minutes": "Type how often to sync, in minutes: 5 to 1,440."},
        ),
        ("/admin/auth/group/add/", ["name"], {"name": "Type a name for the group."}),
        ("/admin/auth/group/{group}/change/", ["name"], {"name": "Type a name for the group."}),
    ],
    ids=[
        "organization-add",
        "organization-change",
        "user-add",
        "user-change",
        "user-password",
        "connection-change",
        "group-add",
        "group-change",
    ],
)
def test_an_admin_form_with_its_boxes_left_empty_says_what_to_type(
    admin_client, member, acme, page, boxes, said
):
    """They said Django's "This field is required.", which says not what to type, as the site's
    own forms say it (jobs.form_messages)."""
    group = Group.objects.create(name="Editors")
    url = page.format(
        org=acme.organization_id, member=member.pk, connection=acme.pk, group=group.pk
    )
    data = form_as_sent(admin_client.get(url).content, "#content-main form")
    data.update(dict.fromkeys(boxes, ""))
    if "usable_password" in data:  # a radio button: form_as_sent took the last one
        data["usable_password"] = "true"

    response = admin_client.post(url, data)

    shown = response.context.get("adminform") or response.context["adminForm"]  # password page's
    form = shown.form
    assert {name: list(errors) for name, errors in form.errors.items()} == {
        name: [message] for name, message in said.items()
    }
    assert "This field is required" not in response.content.decode()


def test_a_member_row_added_without_an_account_says_what_to_choose(admin_client, owner, acme):
    """It said Django's "This field is required.", which says not what to do."""
    organization = acme.organization
    before = memberships(organization)
    data = organization_form(admin_client, organization)
    new_row = data["memberships-TOTAL_FORMS"]
    data.update(
        {
            "memberships-TOTAL_FORMS": str(int(new_row) + 1),
            f"memberships-{new_row}-user": "",
            f"memberships-{new_row}-role": Membership.Role.ADMIN,
        }
    )

    response = admin_client.post(organization_page(organization), data)

    [formset] = response.context["inline_admin_formsets"]
    assert formset.formset.forms[int(new_row)].errors == {"user": ["Choose the member's account."]}
    assert "This field is required" not in response.content.decode()
    assert memberships(organization) == before


@pytest.mark.parametrize("form_class", [SignupForm, AccountPasswordResetForm])
def test_a_misspelt_box_name_is_refused_not_passed_over(form_class):
    """Passed over as a field the admin leaves out, its box said Django's "This field is
    required." and no test of the form's other boxes noticed."""
    with pytest.raises(KeyError, match="usrname"):
        say_what_to_type(form_class(), {"usrname": "Type a username to sign in with."})


def test_a_field_of_the_model_the_form_leaves_out_is_passed_over():
    """As Django's admin leaves out the fields it shows read-only."""
    form = modelform_factory(Organization, fields=["slug"])()
    say_what_to_type(form, {"name": "Give your organization a name."})
    assert list(form.fields) == ["slug"]


@pytest.mark.parametrize("model", ["organization", "job", "greenhouseconnection"])
@pytest.mark.parametrize("spelt", ["quoted plus", "underscore"])
def test_django_admin_finds_an_org_job_or_connection_by_its_id_in_digits_only(
    admin_client, acme, model, spelt
):
    """Their change pages lock the row (and its org's) before reading it, which keeps a delete
    or a disconnect waiting for the save (RowLockedForItsChange): that lock knows the id as
    digits, where Django read "+2" (quoted "_2B2"), " 2" or "1_0" through int() too, and its
    page read and saved the row unlocked: a row deleted meanwhile was a server error, or
    "changed successfully". Not found, as an account's page at such an address."""
    pk = {
        "organization": acme.organization.pk,
        "job": make_job(acme.organization, "Welder").pk,
        "greenhouseconnection": acme.pk,
    }[model]
    digits = str(pk)
    object_id = {
        "quoted plus": f"_2B{digits}",
        "underscore": f"0_{digits}",
    }[spelt]
    url = f"/admin/jobs/{model}/{object_id}/change/"
    data = form_as_sent(
        admin_client.get(f"/admin/jobs/{model}/{pk}/change/").content, f"#{model}_form"
    )

    assert admin_client.get(url)["Location"] == "/admin/"  # Django's "not found"
    assert admin_client.post(url, data)["Location"] == "/admin/"
