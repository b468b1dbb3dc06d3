"""The Address box of the forms that create an org (sign-up, /manage/new/): the org's slug,
/orgs/<slug>/, typed or, left blank, made from its name. It can never change, so it is checked
as it is typed: a valid slug, not taken in any case, not a page of the site. A name with no
letters to make one of is asked for an address rather than given /orgs/org-2/."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection as db_connection

from jobs import forms as jobs_forms
from jobs import memberships, throttle
from jobs.forms import NO_SLUG_FROM_NAME
from jobs.models import Organization
from tests.support.helpers import form_as_sent, parsed

SIGNUP = {
    "username": "carol",
    "email": "carol@north.example",
    "password1": "a long enough passphrase",
    "password2": "a long enough passphrase",
    "organization_name": "North Wind Co-op",
}
NAMES_WITHOUT_LATIN_LETTERS = ["אקמה", "شركة أكمي", "Яндекс", "Ακμή"]


@pytest.fixture(params=["signup", "new"])
def create(request, client, owner):
    """Posts the form that creates an org, sign-up's or /manage/new/'s (signed in as acme's
    admin), with `name` and the Address box `slug`; returns the response."""

    def post(name: str, slug: str | None):
        data = {"organization_name": name}
        if slug is not None:
            data["organization_slug"] = slug
        if request.param == "signup":
            return client.post("/accounts/signup/", {**SIGNUP, **data})
        client.force_login(owner)
        return client.post("/manage/new/", data)

    post.page = request.param
    return post


def address_errors(response) -> list[str]:
    return response.context["form"].errors.get("organization_slug", [])


def test_it_creates_the_org_at_the_address_typed(create):
    response = create("North Wind Co-op", "northwind")

    assert response.status_code == 302
    assert Organization.objects.get(name="North Wind Co-op").slug == "northwind"


def test_it_reads_an_address_typed_in_capitals_as_lowercase(create):
    create("North Wind Co-op", "  NorthWind ")

    assert Organization.objects.get(name="North Wind Co-op").slug == "northwind"


@pytest.mark.parametrize("slug", [None, ""])
def test_it_makes_the_address_from_the_name_when_the_box_is_blank(create, slug):
    create("North Wind Co-op", slug)

    assert Organization.objects.get(name="North Wind Co-op").slug == "north-wind-co-op"


@pytest.mark.parametrize(
    "slug",
    ["north wind", "-north", "north-", "north--wind", "café", "north/wind", "a" * 101, "a\x00b"],
    ids=["space", "hyphen first", "hyphen last", "two hyphens", "accent", "slash", "long", "NUL"],
)
def test_it_refuses_an_address_that_is_no_slug(create, slug):
    response = create("North Wind Co-op", slug)

    assert response.status_code == 200
    assert address_errors(response)
    assert not Organization.objects.filter(name="North Wind Co-op").exists()
    assert not User.objects.filter(username="carol").exists()


def test_it_refuses_the_address_of_a_page_of_the_site(create):
    """/manage/new/ is the page that makes an org."""
    response = create("North Wind Co-op", "New")

    assert address_errors(response) == [
        "“new” is taken by a page of this site (/manage/new/): choose another slug."
    ]
    assert not Organization.objects.filter(name="North Wind Co-op").exists()


@pytest.mark.parametrize("saved", ["northwind", "NorthWind"], ids=["same case", "other case"])
def test_it_refuses_an_address_taken_in_any_case_offering_a_free_one(create, saved):
    """Beside an org saved with capitals before slugs had to be lowercase, a "northwind" would
    be a second org at an address that differs only in case: /orgs/NorthWind/ the one, and
    /orgs/NORTHWIND/ leading to the other."""
    Organization.objects.create(name="Northwind Traders", slug=saved)
    Organization.objects.create(name="Northwind Two", slug="northwind-2")

    response = create("North Wind Co-op", "northwind")

    assert address_errors(response) == [
        "The address /orgs/northwind/ is taken. Choose another, such as northwind-3, or leave "
        "the box blank to have one made from the name."
    ]
    assert not Organization.objects.filter(name="North Wind Co-op").exists()
    assert not User.objects.filter(username="carol").exists()


def test_a_name_made_address_is_numbered_past_one_taken_in_other_case(create):
    Organization.objects.create(name="Old North Wind", slug="North-Wind-Co-op")

    create("North Wind Co-op", "")

    assert Organization.objects.get(name="North Wind Co-op").slug == "north-wind-co-op-2"


@pytest.mark.parametrize("name", NAMES_WITHOUT_LATIN_LETTERS)
def test_it_asks_an_address_of_a_name_that_makes_none(create, name):
    """Made from the name, it would be /orgs/org/, /orgs/org-2/...: the same for every such org,
    and for good."""
    response = create(name, "")

    assert address_errors(response) == [NO_SLUG_FROM_NAME]
    assert not Organization.objects.filter(name=name).exists()
    assert not User.objects.filter(username="carol").exists()


@pytest.mark.parametrize("name", NAMES_WITHOUT_LATIN_LETTERS)
def test_a_name_that_makes_no_address_gets_the_one_typed(create, name):
    response = create(name, "akme")

    assert response.status_code == 302
    assert Organization.objects.get(name=name).slug == "akme"


@pytest.fixture
def northwind_taken_meanwhile(db, monkeypatch) -> None:
    """/orgs/northwind/ is another org's, but the form that creates one reads it free, once: as
    when that org was created at once, between the form's check and the INSERT."""
    Organization.objects.create(name="Northwind Traders", slug="northwind")
    taken = jobs_forms.organization_slug_taken
    read_free_once = iter([False])
    monkeypatch.setattr(
        jobs_forms,
        "organization_slug_taken",
        lambda slug: next(read_free_once, True) and taken(slug),
    )


def test_an_address_typed_and_taken_between_the_check_and_the_insert_is_refused(
    create, northwind_taken_meanwhile
):
    """Another org created at once took it after this form read it free: refused with the same
    words, not numbered as a made one is. The person chose it, and it cannot change."""

    response = create("North Wind Co-op", "northwind")

    assert response.status_code == 200
    assert address_errors(response) == [
        "The address /orgs/northwind/ is taken. Choose another, such as northwind-2, or leave "
        "the box blank to have one made from the name."
    ]
    assert not Organization.objects.filter(name="North Wind Co-op").exists()
    assert not User.objects.filter(username="carol").exists()


def test_an_address_taken_meanwhile_is_not_counted_against_the_daily_limit(
    create, northwind_taken_meanwhile, settings
):
    """Counted before the INSERT, the org refused was counted all the same: at the day's last
    one, the person told to choose another address was refused for the limit when they did."""
    settings.SIGNUP_LIMIT_PER_DAY = 1
    assert create("North Wind Co-op", "northwind").status_code == 200  # the address taken

    response = create("North Wind Co-op", "north-wind-co-op")

    assert response.status_code == 302
    assert Organization.objects.get(name="North Wind Co-op").slug == "north-wind-co-op"
    assert cache.get(throttle._signups_key("127.0.0.1")) == 1  # the org made, and it alone


def test_an_org_refused_for_the_limit_meanwhile_leaves_the_day_its_last_one(
    create, northwind_taken_meanwhile, settings, monkeypatch
):
    """Another org asked for from the same client address at the day's last one, while this
    one's address is found taken: that one is refused for the limit. Its count stayed, so once
    this one's was taken back the day's last org was still used up, by two refusals, and the
    person typing another address was refused for orgs never made."""
    settings.SIGNUP_LIMIT_PER_DAY = 1
    taken = memberships.organization_slug_taken

    def another_asked_for_meanwhile(slug: str) -> bool:
        assert not throttle.signup_allowed(ip="127.0.0.1")  # the day's last one is counted
        return taken(slug)

    monkeypatch.setattr(memberships, "organization_slug_taken", another_asked_for_meanwhile)
    assert create("North Wind Co-op", "northwind").status_code == 200  # the address taken
    monkeypatch.setattr(memberships, "organization_slug_taken", taken)

    response = create("North Wind Co-op", "north-wind-co-op")

    assert response.status_code == 302
    assert cache.get(throttle._signups_key("127.0.0.1")) == 1  # the org made, and it alone


def test_the_box_says_where_the_address_goes_and_who_can_change_it(create, client, owner):
    if create.page == "new":
        client.force_login(owner)
    page = parsed(client.get("/accounts/signup/" if create.page == "signup" else "/manage/new/"))

    box = page.select_one("input[name=organization_slug]")
    help_text = page.select_one(f"#{box['aria-describedby']}").get_text()
    assert page.select_one(f"label[for={box['id']}]").get_text() == "Address:"
    assert "/orgs/…/" in help_text
    assert "Only the site's staff can change it later." in help_text
    assert "Leave it blank to have one made from the name." in help_text
    assert box.get("required") is None
    assert box["autocapitalize"] == "none"


def test_a_second_click_with_a_typed_address_leads_to_the_org_the_first_made(signed_in):
    """Not "The address /orgs/northwind/ is taken": the person took it, a moment ago."""
    data = {"organization_name": "North Wind Co-op", "organization_slug": "northwind"}
    first = signed_in.post("/manage/new/", data)

    second = signed_in.post("/manage/new/", data)

    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Organization.objects.filter(name="North Wind Co-op").count() == 1


def test_staff_can_change_the_address_as_its_help_says(admin_client, owner):
    """Not "It cannot be changed later": Django's admin changes an org's slug (its pages at the
    old address refreshed), so the help says only the site's staff can."""
    organization = owner.memberships.get().organization
    page = f"/admin/jobs/organization/{organization.pk}/change/"
    data = form_as_sent(admin_client.get(page).content, "#organization_form")

    admin_client.post(page, {**data, "slug": "northwind"})

    organization.refresh_from_db()
    assert organization.slug == "northwind"
    help_text = jobs_forms.OrganizationSlugField().help_text
    assert "Only the site's staff can change it later." in help_text


def test_an_address_typed_in_another_script_is_refused_once(create):
    """Typed "яндекс" for "Яндекс": the box says it is no slug, not also to type one."""
    response = create("Яндекс", "яндекс")

    assert address_errors(response) == [
        "Not a valid slug: use lowercase a-z, 0-9, - and _, with a letter or digit first and "
        "last and no --."
    ]


def test_the_same_name_again_at_another_address_is_another_org(signed_in):
    """A second click is the same name at the same address: at another, the person wants a
    second org, which gets the address typed (not the first, nor that address refused)."""
    signed_in.post(
        "/manage/new/", {"organization_name": "North Wind Co-op", "organization_slug": "northwind"}
    )

    signed_in.post(
        "/manage/new/", {"organization_name": "North Wind Co-op", "organization_slug": "nw-south"}
    )

    assert sorted(
        Organization.objects.filter(name="North Wind Co-op").values_list("slug", flat=True)
    ) == ["northwind", "nw-south"]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("northwind", "northwind"),
        ("NorthWind", "northwind"),
        ("SOUTH", "south"),
        ("north_wind", None),  # LIKE's "_" matches any letter; Django's iexact escaped it
        ("northwin%", None),
        ("\u017fouth", None),  # a long s, which str.upper() and PostgreSQL's UPPER() write "S"
        ("k\u0131lo", None),  # a dotless i, "I" in capitals
        ("\u212ailo", None),  # the Kelvin sign, "k" in lowercase
    ],
)
def test_a_slug_in_any_case_differs_from_the_org_s_in_the_case_of_ascii_letters_alone(
    db, typed, found
):
    """Slugs are ASCII: one typed with other letters names no org in other capitals, though
    capitals or lowercase of those letters are ASCII ones, on either database (SQLite's UPPER()
    writes ASCII letters alone in capitals)."""
    for slug in ("northwind", "south", "kilo"):
        Organization.objects.create(name=slug.title(), slug=slug)

    orgs = Organization.objects.filter(slug__in_any_case=typed)

    assert list(orgs.values_list("slug", flat=True)) == ([found] if found else [])
    assert memberships.organization_slug_taken(typed) is bool(found)


def test_a_slug_in_any_case_is_compared_in_capitals_as_the_database_writes_them(db):
    """As the constraint of slugs in any case compares slugs: in the capitals of the database's
    UPPER(), which are not str.upper()'s where PostgreSQL's locale is Turkish ("i" as "İ"), so
    "kilo" named no org "kilo" there, and "Kilo" was free by the checks and refused by the
    constraint. Played on SQLite with an UPPER() of that locale."""
    if db_connection.vendor != "sqlite":
        pytest.skip("an UPPER() of the connection's own: SQLite's")
    db_connection.ensure_connection()
    turkish = db_connection.connection

    def upper(text: str | None) -> str | None:
        return None if text is None else text.replace("i", "\u0130").upper()

    turkish.create_function("UPPER", 1, upper, deterministic=True)
    try:
        Organization.objects.create(name="Kilo", slug="kilo")
        slugs = Organization.objects.values_list("slug", flat=True)
        found = [list(slugs.filter(slug__in_any_case=typed)) for typed in ("kilo", "Kilo")]
        taken = memberships.organization_slug_taken("Kilo")
    finally:
        # Its writes rolled back, as the test's would be: the next connection has SQLite's own
        # UPPER(), as an UPPER() of one's own cannot be dropped again.
        db_connection.close()

    assert found == [["kilo"], ["kilo"]]
    assert taken
