"""The org's public page as its admins describe it: name, a few lines about it and its website."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 (parses only this site's own responses)
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.utils import timezone

from jobs import forms, manage_views
from jobs.feeds import OrganizationJobsFeed
from jobs.forms import OrganizationProfileForm, SignupForm
from jobs.models import Membership, Organization, SyncRun
from jobs.sync import sync_organization
from tests.support.helpers import (
    assert_says_organization_gone,
    done_by_another_request_after,
    form_as_sent,
    parsed,
    sitemap_entries,
)
from tests.support.public_jobs import make_job
from tests.support.regex_steps import assert_steps_in_proportion, regex_steps_counted

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/manage/north/settings/"
# A bare address is taken too (read as https://), so the error names it first.
SCHEME_ERROR = (
    "Enter a web address such as example.com or https://example.com (only https:// and http:// "
    "work)."
)
INVALID_ERROR = "Enter a web address such as example.com or https://example.com."
SPACES_ERROR = "A web address has no spaces. Enter one such as example.com or https://example.com."
USER_INFO_ERROR = "Leave out the part up to “@”: browsers open only the site named after it."
PORT_ERROR = "The port, after “:”, is a number from 1 to 65535."
HOST_ERROR = "Browsers open no site by this name: it has a character no site name may have, or"
OWN_COMPUTER_ERROR = "This address leads each visitor to their own computer, not to your site."
PRIVATE_NETWORK_ERROR = (
    "This address is on a private network (in an office, at home, inside a cloud), which "
    "visitors on the internet cannot reach."
)


@pytest.fixture
def north(db) -> Organization:
    """Not connected to Greenhouse: the public page is the org's own either way."""
    organization = Organization.objects.create(name="North Wind", slug="north")
    make_job(organization, "Sailmaker")
    return organization


def admin_of(client: Client, organization: Organization, role: str = Membership.Role.ADMIN):
    user = User.objects.create_user("nora", "nora@north.example", "correct horse battery")
    Membership.objects.create(organization=organization, user=user, role=role)
    client.force_login(user)
    return client


def django_admins_form(organization: Organization):
    """The form of the org's page in Django's admin, as a superuser sees it."""
    as_staff = RequestFactory().get("/")
    as_staff.user = User.objects.create_superuser("root", "root@example.com", "x")
    form_class = admin.site.get_model_admin(Organization).get_form(as_staff, organization)
    return form_class(instance=organization)


def save_profile(client: Client, **fields: str):
    data = {"name": "North Wind", "description": "", "language": "", "website": "", **fields}
    return client.post(
        SETTINGS_URL,
        {"action": "profile", **{f"profile-{name}": value for name, value in data.items()}},
    )


def test_the_settings_page_shows_the_public_page_as_it_is(client, north):
    north.description = "Sails for small boats."
    north.save()

    page = admin_of(client, north).get(SETTINGS_URL).content.decode()

    assert 'name="profile-name" value="North Wind"' in page
    assert "Sails for small boats.</textarea>" in page
    assert 'href="/orgs/north/"' in page
    # Not type="url": a browser would refuse "north.example" before the form reads it as https.
    assert 'type="text" name="profile-website"' in page


def test_an_admin_describes_the_org_and_visitors_see_it_at_once(client, north):
    visitor = Client()
    assert "North Wind" in visitor.get("/orgs/north/").content.decode()  # now cached
    assert "North Wind" in visitor.get("/").content.decode()

    response = save_profile(
        admin_of(client, north),
        name="  North   Wind Sails ",
        description="Sails for small boats,\r\nmade by hand\x0b in Tromsø.",
        website="north-wind.example",
    )

    assert response.status_code == 302 and response["Location"] == SETTINGS_URL
    north.refresh_from_db()
    assert (north.name, north.description, north.website, north.slug) == (
        "North Wind Sails",
        "Sails for small boats,\nmade by hand in Tromsø.",
        "https://north-wind.example",
        "north",
    )
    org_page = visitor.get("/orgs/north/").content.decode()
    assert '<h1 dir="auto">North Wind Sails</h1>' in org_page
    assert (
        '<div class="lead">'
        "<p>Sails for small boats,<br>made by hand in Tromsø.</p></div>" in org_page
    )
    # Anyone can sign up and create an org, so search engines are told the link is theirs.
    assert '<a href="https://north-wind.example" rel="nofollow ugc noopener">' in org_page
    assert "North Wind Sails" in visitor.get("/").content.decode()


def test_the_description_keeps_the_paragraphs_its_admin_typed(client, north):
    """Typed in a box of several lines, and shown on the org's page as it was typed: its lines
    were run into one. Where line breaks do not show (search results, the feed), on one line."""
    response = save_profile(
        admin_of(client, north),
        description=(
            " We make sails.\r\nBy hand.  \r\n\r\n \r\n\r\nAsk <b>us</b>\x1b about\u2028boats. \r\n"
        ),
    )

    assert response.status_code == 302
    north.refresh_from_db()
    assert north.description == "We make sails.\nBy hand.\n\nAsk <b>us</b> about\nboats."
    visitor = Client()
    page = BeautifulSoup(visitor.get("/orgs/north/").content, "html.parser")
    lead = page.select_one("div.lead")
    assert [paragraph.decode_contents() for paragraph in lead.select("p")] == [
        "We make sails.<br/>By hand.",
        "Ask &lt;b&gt;us&lt;/b&gt; about<br/>boats.",
    ]
    one_line = "We make sails. By hand. Ask <b>us</b> about boats."
    assert page.select_one('meta[name="description"]')["content"] == one_line
    assert page.select_one('meta[property="og:description"]')["content"] == one_line
    feed = ET.fromstring(visitor.get("/orgs/north/feed/").content)  # noqa: S314 (our own response)
    assert feed.findtext("channel/description") == "We make sails. By hand. Ask us about boats."


def test_a_line_that_shows_nothing_is_a_blank_line_in_the_description(client, north):
    """A line of zero-width spaces or blank letters reads as blank: kept, it made an empty
    paragraph before the text, or an empty line in one."""
    response = save_profile(
        admin_of(client, north),
        description=(
            "\u200b\r\n\r\nWe make sails.\r\n\u2060\r\n\r\n\u3164\r\n\r\nBy hand.\r\n\u200b"
        ),
    )

    assert response.status_code == 302
    north.refresh_from_db()
    assert north.description == "We make sails.\n\nBy hand."
    page = BeautifulSoup(Client().get("/orgs/north/").content, "html.parser")
    paragraphs = [p.decode_contents() for p in page.select_one("div.lead").select("p")]
    assert paragraphs == ["We make sails.", "By hand."]


def test_a_stored_line_that_shows_nothing_is_dropped_by_a_save(client, north):
    Organization.objects.filter(pk=north.pk).update(description="\u200b\n\nWe make sails.")

    response = save_profile(admin_of(client, north), description="\u200b\r\n\r\nWe make sails.")

    assert response.status_code == 302
    assert Organization.objects.get(pk=north.pk).description == "We make sails."


def test_the_descriptions_500_characters_are_counted_as_it_is_saved(client, north):
    """Lines of zero-width spaces are dropped, and counted towards the limit: a description of
    490 characters was refused as 540."""
    admin = admin_of(client, north)
    blank_lines = "\r\n\u200b\u2060\u200b" * 10

    saved = save_profile(admin, description="x" * 490 + blank_lines + "\r\nBy hand.")
    refused = save_profile(admin, description="x" * 501 + blank_lines)

    assert saved.status_code == 302
    assert Organization.objects.get(pk=north.pk).description == "x" * 490 + "\n\n" + "By hand."
    assert refused.status_code == 200
    assert "at most 500 characters (it has 501)" in refused.content.decode()


def test_no_box_of_the_orgs_profile_cuts_a_long_paste_unseen(client, north):
    """A browser cuts a paste at a box's maxlength without a word, where the box shows none of
    its end, and counts what the field drops: the description above, 540 characters as pasted,
    was saved without its last line. Each box's limit is checked as the form is sent."""
    page = parsed(admin_of(client, north).get(SETTINGS_URL))
    names = ["name", "description", "website"]
    boxes = [page.select_one(f"[name=profile-{name}]") for name in names]
    admins_form = django_admins_form(north)

    assert [box.get("maxlength") for box in boxes] == [None, None, None]
    assert "maxlength" not in "".join(str(admins_form[name]) for name in names)
    assert "maxlength" not in str(SignupForm()["organization_name"])
    # Nothing stops typing at the limit, so the description's help says it, in the admin too.
    assert "at most 500 characters" in page.select_one("#id_profile-description_helptext").text
    assert "At most 500 characters." in admins_form["description"].help_text


def test_the_name_boxes_help_says_its_limit_as_the_descriptions_does(client, north):
    """No name box stops typing at 200 characters (NoMaxlengthInPage), and none said so: a long
    name was refused only once sent."""
    page = parsed(admin_of(client, north).get(SETTINGS_URL))
    new_organization = parsed(client.get("/manage/new/"))
    admins_form = django_admins_form(north)

    assert "; at most 200 characters." in page.select_one("#id_profile-name_helptext").text
    assert (
        "; at most 200 characters."
        in new_organization.select_one("#id_organization_name_helptext").get_text()
    )
    assert "; at most 200 characters." in SignupForm()["organization_name"].help_text
    assert "At most 200 characters." in admins_form["name"].help_text


def test_the_website_boxes_help_says_its_limit_as_the_names_does(client, north):
    """Its box stops typing at 200 characters no more than the name's (NoMaxlengthInPage), and
    its help did not say so, on the settings page nor in Django's admin."""
    page = parsed(admin_of(client, north).get(SETTINGS_URL))
    admins_form = django_admins_form(north)

    assert page.select_one("#id_profile-website_helptext").get_text() == (
        "Your own site, linked from your page, such as example.com; at most 200 characters, or "
        "192 typed without https://."
    )
    assert admins_form["website"].help_text == (
        "At most 200 characters, or 192 typed without https://."
    )


@pytest.mark.parametrize(
    ("stored", "paragraphs", "one_line"),
    [
        (
            "\u200b\n\nWe make sails.\n\u2060\n\n\u3164\n\nBy hand.\n\u200b",
            ["We make sails.", "By hand."],
            "We make sails. By hand.",
        ),
        ("\u200b\n\u3164", [], None),  # as an org without one
    ],
    ids=["lines", "all"],
)
def test_a_stored_line_that_shows_nothing_is_shown_as_a_blank_line(
    client, north, stored, paragraphs, one_line
):
    """Stored before such lines read as blank, until saved again: an empty paragraph on the
    org's page, and a zero-width space and a space leading its meta description and feed."""
    Organization.objects.filter(pk=north.pk).update(description=stored)

    page = BeautifulSoup(client.get("/orgs/north/").content, "html.parser")
    feed = ET.fromstring(client.get("/orgs/north/feed/").content)  # noqa: S314 (our own response)

    assert [p.decode_contents() for p in page.select("div.lead p")] == paragraphs
    assert page.select_one('meta[name="description"]')["content"] == (
        one_line or "Open jobs at North Wind."
    )
    assert feed.findtext("channel/description") == (
        one_line or "The newest open jobs at North Wind."
    )


def test_saving_the_description_unchanged_keeps_the_feeds_last_modified(client, north):
    """The page sends it back with the line breaks a browser sends, \\r\\n."""
    Organization.objects.filter(pk=north.pk).update(
        description="We make sails.\n\nBy hand.",
        listing_changed_at=timezone.now() - timedelta(hours=1),
    )
    north.refresh_from_db()
    admin = admin_of(client, north)
    sent = form_as_sent(admin.get(SETTINGS_URL).content, "form:has(#id_profile-description)")
    assert sent["profile-description"] == "We make sails.\n\nBy hand."
    sent = {name: value.replace("\n", "\r\n") for name, value in sent.items()}

    assert admin.post(SETTINGS_URL, sent).status_code == 302

    assert Organization.objects.get(pk=north.pk).listing_changed_at == north.listing_changed_at


def test_the_descriptions_language_marks_it_on_the_cached_public_page(client, north):
    """Screen readers read a German line in German, and Arabic is laid out right to left."""
    visitor = Client()
    admin = admin_of(client, north)
    save_profile(admin, description="Segel für kleine Boote.")
    assert (
        '<div class="lead"><p>Segel für kleine Boote.</p></div>'
        in visitor.get("/orgs/north/").content.decode()
    )

    response = save_profile(admin, description="Segel für kleine Boote.", language=" de ")

    assert response.status_code == 302
    north.refresh_from_db()
    assert north.language == "de"
    org_page = visitor.get("/orgs/north/").content.decode()  # the cached page was dropped
    assert '<div class="lead" lang="de"><p>Segel für kleine Boote.</p></div>' in org_page
    assert 'name="profile-language" value="de"' in admin.get(SETTINGS_URL).content.decode()

    save_profile(admin, description="أشرعة للقوارب الصغيرة.", language="ar")
    org_page = visitor.get("/orgs/north/").content.decode()
    assert '<div class="lead" lang="ar" dir="rtl"><p>أشرعة للقوارب الصغيرة.</p></div>' in org_page

    save_profile(admin, description="Sails for small boats.", language="")
    org_page = visitor.get("/orgs/north/").content.decode()
    assert '<div class="lead"><p>Sails for small boats.</p></div>' in org_page


def test_a_description_in_no_language_set_is_laid_out_in_its_own_direction(client, north):
    """Left blank, the language is the page's English, and an Arabic description was laid out
    left to right, its full stop on its right; it is now laid out in most of its letters'
    direction on its page, in its first letter's as it is typed in its box. One in a language
    set, English too, keeps that language's."""
    visitor = Client()
    admin = admin_of(client, north)

    def description_box() -> dict[str, str]:
        page = BeautifulSoup(admin.get(SETTINGS_URL).content, "html.parser")
        box = page.find("textarea", attrs={"name": "profile-description"})
        return {name: box[name] for name in ("lang", "dir") if box.has_attr(name)}

    save_profile(admin, description="أشرعة للقوارب الصغيرة.")
    org_page = visitor.get("/orgs/north/").content.decode()
    assert '<div class="lead" dir="rtl"><p>أشرعة للقوارب الصغيرة.</p></div>' in org_page
    assert description_box() == {"dir": "auto"}

    save_profile(admin, description="أشرعة للقوارب الصغيرة.", language="en")
    org_page = visitor.get("/orgs/north/").content.decode()
    assert '<div class="lead"><p>أشرعة للقوارب الصغيرة.</p></div>' in org_page
    assert description_box() == {}


@pytest.mark.parametrize(
    ("description", "lead"),
    [
        ("תל אביב | Hybrid\n\nWe make sails for small boats.", '<div class="lead">'),
        ("Python ו-React\n\nצוות קטן של מפתחים.", '<div class="lead" dir="rtl">'),
    ],
    ids=["english-opening-with-hebrew", "hebrew-opening-with-a-latin-word"],
)
def test_a_description_in_no_language_set_is_laid_out_in_most_of_its_letters_direction(
    client, north, description, lead
):
    """As a job's description: dir="auto" laid out all its paragraphs in its first letter's
    direction, the English ones after a Hebrew place on the right."""
    save_profile(admin_of(client, north), description=description)

    org_page = Client().get("/orgs/north/").content.decode()

    assert f"{lead}<p>{description.split()[0]}" in org_page


def test_the_description_box_is_spell_checked_in_the_saved_language(client, north):
    """Browsers spell-check a textarea in its lang: German is not marked as English typos."""
    admin = admin_of(client, north)

    def description_box() -> dict[str, str]:
        page = BeautifulSoup(admin.get(SETTINGS_URL).content, "html.parser")
        box = page.find("textarea", attrs={"name": "profile-description"})
        return {name: box.get(name) for name in ("lang", "dir") if box.has_attr(name)}

    assert description_box() == {"dir": "auto"}  # no language set: its own direction
    save_profile(admin, description="Segel für kleine Boote.", language="de")
    assert description_box() == {"lang": "de"}
    save_profile(admin, description="أشرعة للقوارب الصغيرة.", language="ar")
    assert description_box() == {"lang": "ar", "dir": "rtl"}

    # A refused form shows the language saved, not the one it refused to save.
    refused = save_profile(admin, name="", description="Voiles.", language="fr")
    page = BeautifulSoup(refused.content, "html.parser")
    box = page.find("textarea", attrs={"name": "profile-description"})
    assert (box["lang"], box["dir"]) == ("ar", "rtl")


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("ZH-hant-tw", "zh-Hant-TW"),
        ("PT-br", "pt-BR"),
        ("es-419", "es-419"),
        ("SR-LATN", "sr-Latn"),
        ("zh-YUE-hk", "zh-yue-HK"),  # an extended language subtag, lowercase
        ("DE-ch-1901", "de-CH-1901"),  # a variant, lowercase
        ("de-DE-X-TWAIN", "de-DE-x-twain"),  # private use: no region or script after x
        ("FR-ca-X-CA", "fr-CA-x-ca"),  # as RFC 5646 2.1.1 writes en-CA-x-ca, after a singleton
        ("AZ-latn-X-LATN", "az-Latn-x-latn"),
        ("DE-u-CO-phonebk", "de-u-co-phonebk"),  # an extension's subtags too
        ("DE-1A2B", "de-1a2b"),  # a variant of four characters, lowercase as any variant
        ("de", "de"),
    ],
)
def test_the_descriptions_language_is_saved_in_its_conventional_case(client, north, typed, saved):
    """It was saved as typed: "ZH-hant-tw" went into the page's lang and the feeds as it was,
    where BCP 47's convention, and browsers and feeds, write zh-Hant-TW."""
    visitor = Client()

    response = save_profile(admin_of(client, north), description="Sails.", language=typed)

    assert response.status_code == 302
    north.refresh_from_db()
    assert north.language == saved
    assert f'<div class="lead" lang="{saved}">' in visitor.get("/orgs/north/").content.decode()


def test_the_language_saved_on_the_settings_page_is_the_org_feeds(client, north):
    visitor = Client()
    make_job(north, "Segelmacher", language="en")  # most of its jobs say English
    assert "<language>en</language>" in visitor.get("/orgs/north/feed/").content.decode()

    save_profile(admin_of(client, north), description="Segel für kleine Boote.", language="de")

    assert "<language>de</language>" in visitor.get("/orgs/north/feed/").content.decode()


@pytest.mark.parametrize(
    ("url", "field", "value"),
    [
        ("/orgs/north/feed/", "name", "North Wind Sails"),  # its title and every item's
        ("/orgs/north/jobs.json", "website", "https://north.example"),  # not in the feed
    ],
)
def test_a_new_name_or_website_moves_the_last_modified_of_what_shows_it(
    client, north, url, field, value
):
    """A reader asking If-Modified-Since must not be told 304 for the old one."""
    visitor = Client()
    first = visitor.get(url)

    save_profile(admin_of(client, north), **{field: value})

    since = {"If-Modified-Since": first["Last-Modified"]}
    response = visitor.get(url, headers=since)
    assert response.status_code == 200 and value in response.content.decode()
    assert "Your public page is saved." in client.get(SETTINGS_URL).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "moves"),
    [
        ("name", "North Wind Sails", True),  # each job page's title, heading and JSON-LD
        ("website", "https://north.example", True),  # their JSON-LD's hiringOrganization
        ("description", "Sails for small boats.", False),  # on the org's page alone
    ],
)
def test_a_new_name_or_website_dates_each_job_page_in_the_sitemap_and_feeds(
    client, rf, north, field, value, moves
):
    """Every job page shows them, and a crawler reading the sitemap's lastmod was told the
    pages had not changed since their last sync or edit."""
    job = north.jobs.get()
    job_url = f"http://testserver{job.get_absolute_url()}"
    yesterday = timezone.localdate(job.greenhouse_updated_at).isoformat()
    assert sitemap_entries(Client())[job_url] == yesterday

    assert save_profile(admin_of(client, north), **{field: value}).status_code == 302

    lastmod = sitemap_entries(Client())[job_url]
    assert lastmod == (timezone.localdate().isoformat() if moves else yesterday)
    north.refresh_from_db()
    (item,) = OrganizationJobsFeed().get_feed(north, rf.get("/")).items
    edited = north.job_pages_edited_at
    assert item["updateddate"] == (edited if moves else job.greenhouse_updated_at)


def test_saving_the_profile_unchanged_keeps_the_feeds_last_modified(client, north):
    """Nothing a reader sees changed: one asking If-Modified-Since is told 304."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Organization.objects.filter(pk=north.pk).update(listing_changed_at=an_hour_ago)
    visitor = Client()
    first = visitor.get("/orgs/north/feed/")

    assert save_profile(admin_of(client, north)).status_code == 302

    since = {"If-Modified-Since": first["Last-Modified"]}
    assert visitor.get("/orgs/north/feed/", headers=since).status_code == 304


def test_saving_the_profile_unchanged_says_nothing_changed(client, north):
    """It said "Your public page is saved." though nothing was, as the schedule form once did."""
    signed_in = admin_of(client, north)
    page = form_as_sent(signed_in.get(SETTINGS_URL).content, "form:has(input[value=profile])")

    html = signed_in.post(SETTINGS_URL, page, follow=True).content.decode()

    assert "Nothing changed: your public page stays as it is." in html
    assert "Your public page is saved." not in html


@pytest.mark.django_db(transaction=True)  # deleted on another connection, which sees only commits
@pytest.mark.parametrize(
    "change",
    [{}, {"profile-description": "Sails."}, {"profile-website": "north wind.example"}],
    ids=["unchanged", "changed", "refused"],
)
def test_a_save_as_the_org_is_deleted_says_it_no_longer_exists(client, north, monkeypatch, change):
    """Unchanged, it said "Nothing changed" of an org no longer there; changed, the save failed
    with a server error. Deleted by another admin once the request has read the org, before it
    locks the org's row to save."""
    signed_in = admin_of(client, north)
    page = form_as_sent(signed_in.get(SETTINGS_URL).content, "form:has(input[value=profile])")
    organization = Organization.objects.filter(pk=north.pk)
    done_by_another_request_after(
        monkeypatch, manage_views, "admin_organization_or_404", lambda: organization.delete()
    )

    assert_says_organization_gone(signed_in.post(SETTINGS_URL, {**page, **change}))
    assert not organization.exists()


def test_a_name_stored_before_its_cleaning_is_saved_once_typed_cleaned(client, north):
    """Its cleaned form typed over it was "Nothing changed" (see test_manage_jobs)."""
    Organization.objects.filter(pk=north.pk).update(name="North\x1b Wind ")
    signed_in = admin_of(client, north)
    page = form_as_sent(signed_in.get(SETTINGS_URL).content, "form:has(input[value=profile])")

    response = signed_in.post(SETTINGS_URL, {**page, "profile-name": "North Wind"}, follow=True)

    assert "Your public page is saved." in response.content.decode()
    north.refresh_from_db()
    assert north.name == "North Wind"


def test_a_description_that_shows_nothing_over_none_keeps_the_feeds_last_modified(client, north):
    """It is saved as none, as it was: the form counted it a change and dated the feed."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Organization.objects.filter(pk=north.pk).update(listing_changed_at=an_hour_ago)

    assert save_profile(admin_of(client, north), description="\u200b\u2060").status_code == 302

    assert Organization.objects.get(pk=north.pk).listing_changed_at == an_hour_ago


def test_a_stored_description_that_shows_nothing_is_cleared_by_a_save(client, north):
    """Saved before such descriptions were refused: read as empty in what the page showed too,
    it equalled anything sent that shows nothing, and no save could clear it."""
    Organization.objects.filter(pk=north.pk).update(description="\u200b")

    assert save_profile(admin_of(client, north), description="").status_code == 302

    assert Organization.objects.get(pk=north.pk).description == ""


def test_a_website_is_saved_without_the_unseen_characters_pasted_with_it(client, north):
    """A direction override left open in the link's text turned the feed link after it around
    ("RSS feed of open jobs" read "sboj nepo fo deef SSR"); none belongs in an address."""
    response = save_profile(
        admin_of(client, north), website="\ufeffnorth\u200b-wind.example/\u202etuoba"
    )

    assert response.status_code == 302
    north.refresh_from_db()
    assert north.website == "https://north-wind.example/tuoba"
    assert "\u202e" not in Client().get("/orgs/north/").content.decode()


def test_a_website_keeps_the_non_joiner_of_a_persian_word_in_its_path(client, north):
    """Written without it, "\u0645\u06cc\u200c\u0634\u0648\u062f" is another word, and the
    address another page."""
    website = "https://fa.example/\u0645\u06cc\u200c\u0634\u0648\u062f"

    assert save_profile(admin_of(client, north), website=website).status_code == 302
    north.refresh_from_db()
    assert north.website == website


@pytest.mark.parametrize(
    "typed",
    [
        "https://north\u200c-wind.example/",
        "\u200dhttps://north-wind.example/\u200c",
        " \u200dhttps://north-wind.example/\u200c \n",  # copied with the spaces around it
    ],
)
def test_a_website_keeps_no_joiner_in_its_host_or_at_its_ends(client, north, typed):
    """There it joins nothing: "north-wind.example" would look right and lead elsewhere, and
    an address ending in one another page."""
    assert save_profile(admin_of(client, north), website=typed).status_code == 302
    north.refresh_from_db()
    assert north.website == "https://north-wind.example/"


def test_a_website_of_a_long_run_of_spaces_is_refused_in_work_in_its_length(client, north):
    """The spaces and joiners at its ends were looked for from each character of a run, in time
    with the run's square, before its length was checked: 40,000 spaces held the web process 9 s
    (a form may send 2.5 MB), a way for anyone who signs up to stop the site. The search's
    steps are counted (regex_steps_counted), not timed: a run twice as long takes at most twice
    as many."""
    signed_in = admin_of(client, north)

    def steps_for(spaces: int) -> int:
        with regex_steps_counted(forms) as steps:
            response = save_profile(signed_in, website=f"north{' ' * spaces}wind.example")
        assert response.status_code == 200  # the form again, with its error
        assert "has at most 192 characters" in response.content.decode()
        return steps.count

    assert_steps_in_proportion(steps_for, 250)
    north.refresh_from_db()
    assert north.website == ""


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("http://localhost/", OWN_COMPUTER_ERROR),
        ("localhost:8000", OWN_COMPUTER_ERROR),  # not told "only https:// and http:// work"
        ("https://jobs.localhost/", OWN_COMPUTER_ERROR),  # browsers open it there too
        ("http://LocalHost./", OWN_COMPUTER_ERROR),  # a name may end in "."
        ("http://127.0.0.1:8000/jobs", OWN_COMPUTER_ERROR),
        ("127.10.0.1", OWN_COMPUTER_ERROR),
        ("http://0.0.0.0/", OWN_COMPUTER_ERROR),
        ("http://[::1]/", OWN_COMPUTER_ERROR),
        ("http://[::]/", OWN_COMPUTER_ERROR),
        ("http://[::ffff:127.0.0.1]/", OWN_COMPUTER_ERROR),  # 127.0.0.1 written in IPv6
        ("http://10.0.0.1/", PRIVATE_NETWORK_ERROR),
        ("https://172.31.255.254/", PRIVATE_NETWORK_ERROR),
        ("192.168.1.20", PRIVATE_NETWORK_ERROR),
        ("http://100.64.0.1/", PRIVATE_NETWORK_ERROR),  # an internet provider's own network
        ("http://169.254.169.254/", PRIVATE_NETWORK_ERROR),  # a cloud server's metadata
        ("http://[fe80::1]/", PRIVATE_NETWORK_ERROR),
        ("http://[fd12:3456::1]/", PRIVATE_NETWORK_ERROR),
        ("http://[::ffff:10.0.0.1]/", PRIVATE_NETWORK_ERROR),
        ("https://intranet.local/", PRIVATE_NETWORK_ERROR),
        ("https://intranet.local.", PRIVATE_NETWORK_ERROR),
        ("https://wiki.north.internal/", PRIVATE_NETWORK_ERROR),
        ("https://nas.home.arpa/", PRIVATE_NETWORK_ERROR),
    ],
)
def test_a_website_no_visitor_could_open_as_the_orgs_site_is_refused_saying_why(
    client, north, typed, error
):
    """Django's validator takes them, and on the org's page each led the visitor to their own
    computer, or to a network only those inside it reach: an address copied from a test
    copy of the site, saved for everyone to see."""
    response = save_profile(admin_of(client, north), website=typed)

    assert response.status_code == 200
    assert error in " ".join(BeautifulSoup(response.content, "html.parser").get_text().split())
    north.refresh_from_db()
    assert north.website == ""


@pytest.mark.parametrize(
    "website",
    [
        "http://172.32.0.1/",  # past 172.16.0.0/12
        "http://8.8.8.8/",
        "https://[2606:4700::1111]/",
        "https://localhost.north.example/",  # a name under a public one
        "https://local.north.example/",
        "https://north.example.local.example/",
    ],
)
def test_a_website_at_a_public_address_is_taken(client, north, website):
    assert save_profile(admin_of(client, north), website=website).status_code == 302
    north.refresh_from_db()
    assert north.website == website


def test_a_website_may_have_an_at_sign_after_its_host(client, north):
    """Only one before the host is refused: a profile's path often holds one."""
    website = "https://social.example/@north?ref=a@b#@top"
    assert save_profile(admin_of(client, north), website=website).status_code == 302
    north.refresh_from_db()
    assert north.website == website


@pytest.mark.parametrize("website", ["https://north.example:8443/jobs", "http://north.example:1"])
def test_a_website_may_name_a_port_browsers_open(client, north, website):
    assert save_profile(admin_of(client, north), website=website).status_code == 302
    north.refresh_from_db()
    assert north.website == website


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("north.example:8443", "https://north.example:8443"),
        ("north.example:8443/jobs?team=sails", "https://north.example:8443/jobs?team=sails"),
        ("north.example:8000", "https://north.example:8000"),
    ],
)
def test_a_website_with_a_port_and_no_scheme_is_read_as_https(client, north, typed, saved):
    """As one without a port is: urllib reads "north.example" as its scheme, and whoever typed
    the port was told "only https:// and http:// work"."""
    assert save_profile(admin_of(client, north), website=typed).status_code == 302
    north.refresh_from_db()
    assert north.website == saved


@pytest.mark.parametrize("scheme", ["", "north-wind.example:8443/"])
def test_a_website_typed_without_https_is_told_its_limit_as_typed(client, north, scheme):
    """The column holds 200 characters, https:// added to one typed without it: 195 typed were
    refused under a box that said "at most 200", told "this one has 203", counts of what the
    person never typed. The limit and the count are both of what was typed."""
    signed_in = admin_of(client, north)
    typed = (scheme or "north-wind.example/") + "a" * 300

    response = save_profile(signed_in, website=typed[:195])

    assert response.status_code == 200
    assert (
        "A web address typed without https:// has at most 192 characters: the site adds the "
        "https://, and saves at most 200; this one has 195."
    ) in " ".join(BeautifulSoup(response.content, "html.parser").get_text().split())
    assert save_profile(signed_in, website=typed[:192]).status_code == 302
    north.refresh_from_db()
    assert north.website == f"https://{typed[:192]}"


def test_a_website_typed_with_its_scheme_is_told_its_length_as_typed(client, north):
    typed = "http://north-wind.example/" + "a" * 182

    response = save_profile(admin_of(client, north), website=typed)

    assert len(typed) == 208 and response.status_code == 200
    assert "A web address has at most 200 characters; this one has 208." in " ".join(
        BeautifulSoup(response.content, "html.parser").get_text().split()
    )


@pytest.mark.parametrize("description", ["\u200b\u2060", "\u3164", "\u0301\u0301"])
def test_a_description_that_shows_nothing_is_saved_as_none(client, north, description):
    """As a job's compensation note is: the page, its feed and search results say what they
    say of an org without a description, not an empty one."""
    Organization.objects.filter(pk=north.pk).update(description="Sails.")

    response = save_profile(admin_of(client, north), description=description)

    assert response.status_code == 302
    north.refresh_from_db()
    assert north.description == ""
    visitor = Client()
    assert 'class="lead"' not in visitor.get("/orgs/north/").content.decode()
    assert "The newest open jobs at North Wind" in visitor.get("/orgs/north/feed/").content.decode()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": " \t "}, "Give your organization a name."),
        ({"name": "\u200b\u2060\u200b"}, "Give your organization a name."),  # shows nothing
        ({"name": "\u3164"}, "Give your organization a name."),  # a Hangul filler: blank too
        ({"name": "\u2800 \u2800"}, "Give your organization a name."),  # Braille blanks
        ({"name": "\u0301\u0301"}, "Give your organization a name."),  # accents on nothing
        ({"website": "javascript:alert(1)"}, SCHEME_ERROR),
        ({"website": "ftp://files.north.example"}, SCHEME_ERROR),
        ({"website": "tel:911"}, SCHEME_ERROR),  # a scheme, not a host: no dot, not localhost
        ({"website": "https://north example"}, SPACES_ERROR),  # its scheme is fine
        ({"website": "north .example"}, SPACES_ERROR),
        ({"website": "https://[::1"}, INVALID_ERROR),  # urllib cannot read it
        ({"website": "https://north..example"}, INVALID_ERROR),  # Django's validator's
        ({"website": "https://north_example"}, INVALID_ERROR),
        # Hosts Django's validator takes and browsers refuse: ONE DOT LEADER, which looks like
        # a "." and is no character of a host name (UTS #46), and parts after "xn--" that are
        # no Punycode, or that of "a⒈", whose "⒈" is none either.
        ({"website": "https://north.example\u2024com"}, HOST_ERROR),
        ({"website": "xn--a.north.example"}, HOST_ERROR),
        ({"website": "https://xn--a-ecp.example/"}, HOST_ERROR),
        # A combining mark first, and a Latin letter first in a Hebrew part (the Bidi Rule).
        ({"website": "\u0301north.example"}, HOST_ERROR),
        ({"website": "https://n\u05d3\u05d5\u05d2\u05de\u05d4.example"}, HOST_ERROR),
        ({"website": "https://north.example@elsewhere.example"}, USER_INFO_ERROR),
        ({"website": "https://nora:secret@north.example/"}, USER_INFO_ERROR),
        ({"website": "https://north.example:99999/"}, PORT_ERROR),  # browsers cannot open it
        ({"website": "north.example:0"}, PORT_ERROR),  # read as https://north.example:0
        ({"website": "http://north.example:0"}, PORT_ERROR),
        # A host and a colon, then no port: the port is what was mistyped, not the scheme.
        ({"website": "north.example:"}, PORT_ERROR),
        ({"website": "north.example:abc"}, PORT_ERROR),
        ({"website": "north.example:8443a/jobs"}, PORT_ERROR),
        ({"website": "localhost:"}, PORT_ERROR),
        ({"website": "https://north.example:/jobs"}, PORT_ERROR),
        ({"website": "mailto:"}, SCHEME_ERROR),
        ({"website": "javascript:"}, SCHEME_ERROR),
        ({"description": "x" * 501}, "at most 500 characters"),
        ({"language": "German"}, "Enter a language tag, such as de, fr-CA or ar"),
        ({"language": "de_DE"}, "Enter a language tag, such as de, fr-CA or ar"),
        ({"language": 'de" onmouseover="x'}, "Enter a language tag, such as de, fr-CA or ar"),
    ],
)
def test_a_refused_profile_changes_nothing_and_says_why(client, north, fields, error):
    response = save_profile(admin_of(client, north), **{"name": "Renamed", **fields})

    assert response.status_code == 200
    page = response.content.decode()
    assert error in page
    assert "Enter a valid URL." not in page  # Django's, beside the site's own words
    assert "<title>Error: Settings · North Wind · orgsite</title>" in page  # the saved name
    north.refresh_from_db()
    assert (north.name, north.description, north.language, north.website) == (
        "North Wind",
        "",
        "",
        "",
    )


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "\u200b\u2060\u200b"}, "Give your organization a name."),
        ({"website": "ftp://files.north.example"}, SCHEME_ERROR),
        ({"website": "javascript:alert(1)"}, SCHEME_ERROR),
        ({"website": "http://["}, INVALID_ERROR),
        ({"website": "north .example"}, SPACES_ERROR),
        ({"website": "https://north..example"}, INVALID_ERROR),
        ({"website": "https://north.example\u2024com"}, HOST_ERROR),  # "․" looks like "."
        ({"website": "https://north.example@elsewhere.example"}, USER_INFO_ERROR),
        ({"website": "https://north.example:65536"}, PORT_ERROR),
        ({"website": "http://[::1]/"}, OWN_COMPUTER_ERROR),
        ({"website": "http://169.254.169.254/"}, PRIVATE_NETWORK_ERROR),
    ],
)
def test_djangos_admin_checks_the_name_and_website_as_the_settings_page_does(
    client, north, fields, error
):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    data = {"name": "North Wind", "slug": "north", "description": "", "website": "", **fields}
    inline = {f"memberships-{key}": "0" for key in ("TOTAL_FORMS", "INITIAL_FORMS")}

    response = client.post(f"/admin/jobs/organization/{north.pk}/change/", {**data, **inline})

    assert response.status_code == 200 and error in response.content.decode()
    assert "Enter a valid URL." not in response.content.decode()
    north.refresh_from_db()
    assert (north.name, north.website) == ("North Wind", "")
    response = client.post(
        f"/admin/jobs/organization/{north.pk}/change/",
        {**data, "name": "North Wind Sails", "website": "north.example", **inline},
    )
    assert response.status_code == 302
    north.refresh_from_db()
    assert (north.name, north.website) == ("North Wind Sails", "https://north.example")
    # As on the settings page: control characters out, whitespace collapsed, the name on one
    # line, the description in the lines typed in its box (a box of one line would drop them).
    page = BeautifulSoup(
        client.get(f"/admin/jobs/organization/{north.pk}/change/").content, "html.parser"
    )
    assert page.select_one("textarea[name=description]") is not None
    client.post(
        f"/admin/jobs/organization/{north.pk}/change/",
        {
            **data,
            "name": "North \x0bWind  Sails\nCo",
            "description": "a\x1b[31m  red\r\n\r\n\r\nb",
            **inline,
        }
        | {"website": ""},
    )
    north.refresh_from_db()
    assert (north.name, north.description) == ("North Wind Sails Co", "a[31m red\n\nb")


def test_djangos_admin_checks_the_language_as_the_settings_page_does(client, north):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    data = {"name": "North Wind", "slug": "north", "description": "", "website": ""}
    inline = {f"memberships-{key}": "0" for key in ("TOTAL_FORMS", "INITIAL_FORMS")}
    url = f"/admin/jobs/organization/{north.pk}/change/"

    refused = client.post(url, {**data, "language": "German", **inline})
    saved = client.post(url, {**data, "language": "FR-ca", **inline})

    assert "Enter a language tag, such as de, fr-CA or ar" in refused.content.decode()
    assert saved.status_code == 302
    north.refresh_from_db()
    assert north.language == "fr-CA"  # in its conventional case, as the settings page saves it


@pytest.mark.parametrize(
    ("language", "attributes"),
    [
        ("", {"dir": "auto"}),  # none set: its own direction
        ("en", {}),
        ("de", {"lang": "de"}),
        ("ar", {"lang": "ar", "dir": "rtl"}),
    ],
    ids=["none-set", "english", "german", "arabic"],
)
def test_djangos_admin_spell_checks_the_description_in_the_saved_language(
    client, north, language, attributes
):
    """As the settings page does: its box was spell-checked as English, whatever the language."""
    Organization.objects.filter(pk=north.pk).update(language=language)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))

    page = BeautifulSoup(
        client.get(f"/admin/jobs/organization/{north.pk}/change/").content, "html.parser"
    )

    box = page.select_one("textarea[name=description]")
    assert {name: box[name] for name in ("lang", "dir") if box.has_attr(name)} == attributes


def djangos_admin_saving(client, north, name: str, slug: str) -> list[str]:
    """The pages Django's admin answers, signed in as a superuser, to a new org of this name and
    slug and to `north` changed to them, each refused (200)."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    data = {"name": name, "slug": slug, "description": "", "website": ""}
    data |= {f"memberships-{key}": "0" for key in ("TOTAL_FORMS", "INITIAL_FORMS")}
    responses = [
        client.post("/admin/jobs/organization/add/", data),
        client.post(f"/admin/jobs/organization/{north.pk}/change/", data),
    ]
    assert [response.status_code for response in responses] == [200, 200]
    return [response.content.decode() for response in responses]


@pytest.mark.parametrize("slug", ["NORTH", "NaN", "-north", "north_", "north--wind"])
def test_djangos_admin_refuses_a_slug_sign_up_would_not_make(client, north, slug):
    """Sign-up and connect_greenhouse make lower-case slugs: "NORTH" beside "north" would be
    another org at an address that differs only in case."""
    for page in djangos_admin_saving(client, north, "North Wind", slug):
        assert (
            "Not a valid slug: use lowercase a-z, 0-9, - and _, with a letter or digit "
            "first and last and no --." in page
        )
    assert list(Organization.objects.values_list("slug", flat=True)) == ["north"]


@pytest.mark.parametrize("slug", ["north wind", "café", "North!"])
def test_djangos_admin_refuses_a_slug_of_other_characters_with_the_same_rule(client, north, slug):
    """Django's own check said "Enter a valid “slug” consisting of letters, numbers, underscores
    or hyphens", capitals included: staff who then typed "North-Wind" were refused a second
    time, by another rule."""
    for page in djangos_admin_saving(client, north, "North Wind", slug):
        assert (
            "Not a valid slug: use lowercase a-z, 0-9, - and _, with a letter or digit "
            "first and last and no --." in page
        )
        assert "consisting of letters" not in page
    assert list(Organization.objects.values_list("slug", flat=True)) == ["north"]


def test_djangos_admin_refuses_a_slug_a_page_of_the_site_hides(client, north):
    """An org at "new" had /manage/new/, the page that makes an org, in place of its own."""
    for page in djangos_admin_saving(client, north, "New", "new"):
        assert "“new” is taken by a page of this site (/manage/new/): choose another slug." in page
    assert list(Organization.objects.values_list("slug", flat=True)) == ["north"]


def test_djangos_admin_refuses_a_slug_an_org_has_in_capitals(client, north):
    """As sign-up and /manage/new/ do: "northwind" beside an org saved as "NorthWind" before
    slugs had to be lowercase would be a second org at an address that differs only in case.
    That org may itself be given its slug in lowercase."""
    old = Organization.objects.create(name="Northwind Traders", slug="NorthWind")

    for page in djangos_admin_saving(client, north, "North Wind", "northwind"):
        assert (
            "Another organization has this slug in capitals, “NorthWind”, an address that "
            "differs from it only in case: choose another slug." in page
        )
    assert sorted(Organization.objects.values_list("slug", flat=True)) == ["NorthWind", "north"]

    client.post(
        f"/admin/jobs/organization/{old.pk}/change/",
        {
            "name": "Northwind Traders",
            "slug": "northwind",
            "description": "",
            "website": "",
            **{f"memberships-{key}": "0" for key in ("TOTAL_FORMS", "INITIAL_FORMS")},
        },
    )

    assert sorted(Organization.objects.values_list("slug", flat=True)) == ["north", "northwind"]


def test_djangos_admin_leaves_a_slug_taken_as_it_is_to_the_unique_constraint(client, north):
    """Not "in capitals": another org has it as typed. Said once: not also by the constraint of
    slugs in any case, as "Constraint “organization_slug_in_any_case_unique” is violated."
    above the form (Organization.validate_constraints)."""
    other = Organization.objects.create(name="South", slug="south")

    for page in djangos_admin_saving(client, other, "North", "north"):
        assert "Organization with this Slug already exists." in page
        assert "in capitals" not in page
        assert "errorlist nonfield" not in page
    assert sorted(Organization.objects.values_list("slug", flat=True)) == ["north", "south"]


def test_djangos_admin_keeps_a_slug_saved_before_it_was_checked(client, north):
    """Its page stays at its address while other fields are edited."""
    Organization.objects.filter(pk=north.pk).update(slug="North")
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    data = {"name": "North Wind Sails", "slug": "North", "description": "", "website": ""}
    inline = {f"memberships-{key}": "0" for key in ("TOTAL_FORMS", "INITIAL_FORMS")}

    response = client.post(f"/admin/jobs/organization/{north.pk}/change/", {**data, **inline})

    assert response.status_code == 302
    north.refresh_from_db()
    assert (north.name, north.slug) == ("North Wind Sails", "North")


def test_djangos_admin_changing_a_field_changed_meanwhile_saves_nothing(client, north):
    """As the org's settings page refuses it: the page saved last undid the other change
    unseen. Its other change is not saved either."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    url = f"/admin/jobs/organization/{north.pk}/change/"
    page = form_as_sent(client.get(url).content, "#organization_form")
    Organization.objects.filter(pk=north.pk).update(description="Segel für alle.")

    response = client.post(
        url, {**page, "description": "Велосипеды.", "website": "https://north.example"}
    )

    assert response.status_code == 200
    assert (
        "Nothing was saved: “Description” (now “Segel für alle.”) changed by someone else"
        in parsed(response).get_text()
    )
    north.refresh_from_db()
    assert (north.description, north.website) == ("Segel für alle.", "")


def test_a_description_of_lines_stored_before_its_cleaning_typed_cleaned_is_saved(client, north):
    """The description as the page showed it, sent back with its line breaks as browsers send
    them (CR LF), did not read as the one stored (LF, with a character its cleaning takes out):
    taken for one changed meanwhile, its cleaned form was refused."""
    Organization.objects.filter(pk=north.pk).update(description="Segel aus Kiel.\nSeit 1890.\x07")
    admin_of(client, north)
    profile_form = "form:has(input[name=action][value=profile])"
    sent = form_as_sent(client.get(SETTINGS_URL).content, profile_form)
    sent = {name: value.replace("\n", "\r\n") for name, value in sent.items()}

    response = client.post(
        SETTINGS_URL, {**sent, "profile-description": "Segel aus Kiel.\r\n1890."}
    )

    assert response.status_code == 302
    north.refresh_from_db()
    assert north.description == "Segel aus Kiel.\n1890."


def test_the_length_is_checked_once_whitespace_is_collapsed(client, north):
    description = "word  " * 100  # 600 characters as typed, 499 once collapsed

    save_profile(admin_of(client, north), description=description)

    north.refresh_from_db()
    assert north.description == " ".join(description.split())


def test_a_save_from_an_older_tab_keeps_what_another_tab_saved_meanwhile(client, north):
    """Each tab writes only what its admin changed there."""
    admin_of(client, north)
    profile_form = "form:has(input[name=action][value=profile])"
    first_tab = form_as_sent(client.get(SETTINGS_URL).content, profile_form)
    second_tab = form_as_sent(client.get(SETTINGS_URL).content, profile_form)

    client.post(SETTINGS_URL, {**first_tab, "profile-website": "north.example"})
    response = client.post(SETTINGS_URL, {**second_tab, "profile-description": "Sails."})

    assert response.status_code == 302
    north.refresh_from_db()
    assert (north.website, north.description) == ("https://north.example", "Sails.")


PROFILE_FORM = "form:has(input[name=action][value=profile])"


def test_a_save_changing_a_field_changed_meanwhile_saves_nothing_and_says_its_value_now(
    client, north
):
    """The page saved last undid the other admin's change unseen. Nothing of it is saved, as on
    an account's page; shown again over what is saved now, saving it again makes its changes,
    and keeps what the other admin saved in the fields it left as shown."""
    admin_of(client, north)
    page = form_as_sent(client.get(SETTINGS_URL).content, PROFILE_FORM)
    Organization.objects.filter(pk=north.pk).update(
        description="Segel aus Kiel.\n\nSeit 1890.", website="https://nordwind.example"
    )

    refused = client.post(
        SETTINGS_URL,
        {**page, "profile-description": "Voiles de Brest.", "profile-name": "Vent du Nord"},
    )

    assert refused.status_code == 200
    assert (
        "Nothing was saved: “About the organization” (now “Segel aus Kiel.\n\nSeit 1890.”) "
        "changed by someone else since this page was opened."
    ) in parsed(refused).get_text()
    north.refresh_from_db()
    assert (north.name, north.description) == ("North Wind", "Segel aus Kiel.\n\nSeit 1890.")
    again = form_as_sent(refused.content, PROFILE_FORM)
    assert again["profile-website"] == "https://nordwind.example"

    assert client.post(SETTINGS_URL, again).status_code == 302
    north.refresh_from_db()
    assert (north.name, north.description) == ("Vent du Nord", "Voiles de Brest.")
    assert north.website == "https://nordwind.example"


@pytest.mark.django_db(transaction=True)  # renamed on another connection, which sees only commits
@pytest.mark.parametrize(
    "sent",
    [{"profile-name": "Vent du Nord"}, {"profile-website": "north wind.example"}],
    ids=["refused as changed meanwhile", "refused for itself"],
)
def test_a_refused_save_shows_the_org_named_as_it_is_saved(client, north, monkeypatch, sent):
    """The page shown again named the org, in its title, its header and its sections, as the
    request first read it: not as another admin had renamed it before this save locked its
    row, which the form shown again says it is now (see test_manage_jobs for a job)."""
    admin_of(client, north)
    page = form_as_sent(client.get(SETTINGS_URL).content, PROFILE_FORM)
    rename = Organization.objects.filter(pk=north.pk).update
    done_by_another_request_after(
        monkeypatch, manage_views, "admin_organization_or_404", lambda: rename(name="Nordwind")
    )

    refused = parsed(client.post(SETTINGS_URL, {**page, **sent}))

    assert refused.title.get_text().split(" · ")[1] == "Nordwind"
    assert refused.select_one(".org-kicker bdi").get_text() == "Nordwind"
    assert refused.select_one("#profile-title + p bdi").get_text() == "Nordwind"
    assert "North Wind" not in refused.get_text()


@pytest.mark.parametrize(
    "meanwhile",
    [["Nordwind", "North Wind"], ["Nordvind ☃"]],
    ids=["changed and changed back", "changed the same"],
)
def test_a_field_changed_back_or_the_same_meanwhile_is_saved(client, north, meanwhile):
    """Nothing of another change would be undone: saved, as any change."""
    admin_of(client, north)
    page = form_as_sent(client.get(SETTINGS_URL).content, PROFILE_FORM)
    for name in meanwhile:
        Organization.objects.filter(pk=north.pk).update(name=name)

    response = client.post(SETTINGS_URL, {**page, "profile-name": "Nordvind ☃"})

    assert response.status_code == 302
    north.refresh_from_db()
    assert north.name == "Nordvind ☃"


def test_a_page_opened_before_a_sync_saves_its_changes(signed_in, acme, fake_greenhouse):
    """A sync dates the org's listing on its row, and never writes its public page: no change
    made meanwhile."""
    url = "/manage/acme/settings/"
    page = form_as_sent(signed_in.get(url).content, PROFILE_FORM)
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    response = signed_in.post(url, {**page, "profile-description": "Роботы для всех."})

    assert response.status_code == 302
    organization = Organization.objects.get(pk=acme.organization_id)
    assert organization.description == "Роботы для всех."
    assert organization.name == "Acme Robotics"


def test_djangos_admin_saves_only_what_its_page_changed(client, north):
    """Another tab's save and the day's invitation count, both written meanwhile, stay."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    url = f"/admin/jobs/organization/{north.pk}/change/"
    first_tab = form_as_sent(client.get(url).content, "#organization_form")
    second_tab = form_as_sent(client.get(url).content, "#organization_form")

    client.post(url, {**first_tab, "website": "north.example"})
    Organization.objects.filter(pk=north.pk).update(invitations_counted=7)
    response = client.post(url, {**second_tab, "description": "Sails."})

    assert response.status_code == 302
    north.refresh_from_db()
    assert (north.website, north.description) == ("https://north.example", "Sails.")
    assert north.invitations_counted == 7


def test_djangos_admin_adds_an_org_with_its_member_rows_and_history(client):
    """Its add page saves the whole row, there being none yet to keep, and its member rows and
    history as a change does."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    nora = User.objects.create_user("nora", "nora@north.example")
    data = {"name": "North Wind", "slug": "north", "description": "Sails.", "website": ""}
    inline = {
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": str(nora.pk),
        "memberships-0-role": Membership.Role.ADMIN,
    }

    response = client.post("/admin/jobs/organization/add/", {**data, **inline})

    assert response.status_code == 302
    north = Organization.objects.get(slug="north")
    assert (north.name, north.description) == ("North Wind", "Sails.")
    assert list(north.memberships.values_list("user__username", "role")) == [("nora", "admin")]
    assert LogEntry.objects.get(object_id=str(north.pk)).is_addition()


def test_the_website_error_writes_its_apostrophe_straight_as_every_message_does(north):
    form = OrganizationProfileForm(
        {"profile-name": "North Wind", "profile-website": "https://nora@north.example"},
        instance=north,
    )

    assert form.errors["website"] == [
        f"{USER_INFO_ERROR} Enter your site's address, such as example.com or https://example.com."
    ]


def test_saving_writes_only_the_profile_not_the_invitation_count(north):
    form = OrganizationProfileForm(
        {"profile-name": "North Wind", "profile-description": "Sails.", "profile-website": ""},
        instance=north,
    )
    assert form.is_valid()
    # An invitation counted by another request after this one read the row.
    Organization.objects.filter(pk=north.pk).update(invitations_counted=7)

    form.save()

    north.refresh_from_db()
    assert (north.description, north.invitations_counted) == ("Sails.", 7)


def test_members_who_are_not_admins_cannot_change_it(client, north):
    response = save_profile(admin_of(client, north, Membership.Role.MEMBER), name="Hijacked")

    assert response.status_code == 404
    north.refresh_from_db()
    assert north.name == "North Wind"
