"""Django admin's lists: any query string a browser can send gets the list (or Django's "invalid
lookup" redirect), never an error page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection as db_connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.admin import LAST_ERROR_START_CHARS
from jobs.greenhouse import MAX_PATH_SHOWN, LedAstray
from jobs.models import Department, GreenhouseConnection, Job, Office, Organization, SyncRun
from jobs.status import sync_status
from jobs.text import as_searched
from tests.support.helpers import make_connection, staff_client_with
from tests.support.public_jobs import job_to_make, make_job, next_greenhouse_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client: Client, synced_acme) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return client


@pytest.fixture
def no_nul_reaches_the_database() -> Iterator[None]:
    """PostgreSQL refuses text with a NUL character (psycopg raises DataError); SQLite takes it,
    so the tests look at what is sent instead."""

    def refuse_nul(execute, sql, params, many, context):
        assert not any(isinstance(value, str) and "\x00" in value for value in params or ())
        return execute(sql, params, many, context)

    with db_connection.execute_wrapper(refuse_nul):
        yield


def changelist(model: type) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda model: model._meta.model_name
)
def test_a_nul_character_in_a_search_is_no_error(
    superuser_client, no_nul_reaches_the_database, model
):
    assert superuser_client.get(changelist(model), {"q": "robot\x00ics"}).status_code == 200


@pytest.mark.parametrize(
    ("model", "parameter"),
    [
        (Job, "remote"),
        (Job, "title__contains"),  # Django takes a lookup on any field of the list's own model
        (GreenhouseConnection, "state__exact"),
        (SyncRun, "outcome__exact"),
        (SyncRun, "trigger__exact"),
        (User, "username__startswith"),
    ],
)
def test_a_nul_character_in_a_filter_is_no_error(
    superuser_client, no_nul_reaches_the_database, model, parameter
):
    assert superuser_client.get(changelist(model), {parameter: "ok\x00"}).status_code in (200, 302)


def test_the_autocomplete_search_reads_no_nul(superuser_client, no_nul_reaches_the_database):
    response = superuser_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "jobs", "model_name": "membership", "field_name": "user", "term": "ro\x00"},
    )
    assert response.status_code == 200


def test_a_search_of_a_thousand_words_reads_the_first_ones(superuser_client, synced_acme):
    wanted = make_job(synced_acme, "Rare Welder")
    words = " ".join(["rare", *["welder"] * 1000])

    response = superuser_client.get(changelist(Job), {"q": words})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [wanted]
    assert Job.objects.count() > 1


@pytest.mark.parametrize("lookup", ["api_key_encrypted__startswith", "api_key_last5"])
def test_the_api_key_columns_cannot_be_filtered_on(superuser_client, lookup):
    """Else the stored key could be read a character at a time from the list's count."""
    GreenhouseConnection.objects.update(api_key_encrypted="gAAAA-secret", api_key_last5="12345")

    response = superuser_client.get(changelist(GreenhouseConnection), {lookup: "g"})

    assert response.status_code == 400


def test_the_job_search_reads_words_without_accents_as_the_site_search_does(
    superuser_client, synced_acme
):
    munich = make_job(synced_acme, "Ingenieur München", location_name="Zürich")
    cpp = make_job(synced_acme, "C++ Engineer")

    def found(term: str) -> list[Job]:
        return list(superuser_client.get(changelist(Job), {"q": term}).context["cl"].result_list)

    assert found("munchen") == [munich]  # not Acme's job in München: a location is not folded
    assert munich in found("München")
    assert found('"ingenieur munchen" Zürich') == [munich]  # the location as typed, as before
    assert found("c++") == [cpp]


def test_the_job_search_reads_tags_as_the_site_search_does(superuser_client, synced_acme):
    tagged = make_job(synced_acme, "Welder")
    tagged.tags = ["Visa sponsorship", "Télétravail"]
    tagged.save()
    make_job(synced_acme, "Painter")

    def found(term: str) -> list[Job]:
        return list(superuser_client.get(changelist(Job), {"q": term}).context["cl"].result_list)

    assert found("visa") == [tagged]
    assert found("teletravail welder") == [tagged]


def test_the_job_search_finds_a_job_by_the_greenhouse_id_in_its_pages_address(
    superuser_client, synced_acme
):
    """A job's page is /orgs/<slug>/jobs/<Greenhouse id>/, the number staff are sent when a
    visitor reports it; searched, it found no job. Only the whole id: "45" is no part of one."""
    welder = make_job(synced_acme, "Welder", greenhouse_id=4_512_345_678)
    make_job(synced_acme, "Painter", greenhouse_id=4_512_345_679)

    def found(term: str) -> list[Job]:
        return list(superuser_client.get(changelist(Job), {"q": term}).context["cl"].result_list)

    assert found("4512345678") == [welder]
    assert found("welder 4512345678") == [welder]
    assert found("45") == []


@pytest.mark.parametrize("typed", ["women's", "women\u2019s", "women\u02bcs"])
def test_the_job_search_finds_an_apostrophe_straight_or_curly_as_the_site_search_does(
    superuser_client, synced_acme, typed
):
    """It compared apostrophes as written: "women's" missed a tag "Women\u2019s health", and
    the modifier letter apostrophe (U+02BC, which looks the same) a title typed straight."""
    nurse = make_job(synced_acme, "Nurse", tags=["Women\u2019s health"])
    coordinator = make_job(synced_acme, "Women's Shelter Coordinator")
    outreach = make_job(synced_acme, "Outreach Worker", tags=["Women\u02bcs rights"])
    make_job(synced_acme, "Welder", tags=["Women in welding"])
    liberte = Organization.objects.create(name="Women\u2019s Clinic", slug="clinic")
    counsellor = make_job(liberte, "Counsellor")

    response = superuser_client.get(changelist(Job), {"q": typed})

    assert set(response.context["cl"].result_list) == {nurse, coordinator, outreach, counsellor}


def test_the_organization_search_reads_words_without_accents(superuser_client, synced_acme):
    liberte = Organization.objects.create(name="Liberté Café", slug="liberte")

    response = superuser_client.get(changelist(Organization), {"q": "liberte cafe"})

    assert list(response.context["cl"].result_list) == [liberte]


# --- Narrowing a list to one organization ------------------------------------------------------


def make_orgs(first: int, count: int) -> list[Organization]:
    """Orgs with a job, a department, an office and a sync run each: stand-ins for the site's
    10,000. Made in bulk, a few queries for them all (one by one, 9 each took most of the
    file's time); the searched forms save() would keep are set here."""
    numbers = range(first, first + count)
    organizations = Organization.objects.bulk_create(
        Organization(name=name, search_name=as_searched(name), slug=f"company-{n}")
        for n, name in ((n, f"Company {n:02d}") for n in numbers)
    )
    by_number = list(zip(numbers, organizations, strict=True))
    departments = Department.objects.bulk_create(
        Department(organization=org, greenhouse_id=next_greenhouse_id(), name=f"Team {n:02d}")
        for n, org in by_number
    )
    Office.objects.bulk_create(
        Office(organization=org, greenhouse_id=next_greenhouse_id(), name=f"Office {n:02d}")
        for n, org in by_number
    )
    jobs = Job.objects.bulk_create(job_to_make(org, f"Role {n:02d}") for n, org in by_number)
    Job.departments.through.objects.bulk_create(
        Job.departments.through(job=job, department=department)
        for job, department in zip(jobs, departments, strict=True)
    )
    SyncRun.objects.bulk_create(
        SyncRun(organization=organization, trigger=SyncRun.Trigger.SCHEDULE)
        for organization in organizations
    )
    return organizations


@pytest.fixture
def many_orgs(db) -> list[Organization]:
    return make_orgs(0, 12)


def test_the_organization_list_orders_orgs_by_name_in_any_case_then_slug(admin_client):
    """By Meta's "name", "acme robotics" came after "Zephyr" on SQLite and PostgreSQL's
    "C.UTF-8", as the site's own lists of orgs no longer do (jobs.models.by_organization_name)."""
    for name, slug in [
        ("Zephyr", "zephyr"),
        ("acme robotics", "acme-uk"),
        ("Acme Robotics", "acme"),
    ]:
        Organization.objects.create(name=name, slug=slug)

    listed = admin_client.get(changelist(Organization)).context["cl"].result_list

    assert [organization.slug for organization in listed] == ["acme", "acme-uk", "zephyr"]


def sidebar(response) -> str:
    filters = BeautifulSoup(response.content, "html.parser").select_one("#changelist-filter")
    return filters.get_text(" ", strip=True) if filters else ""


LISTS_BY_ORGANIZATION = pytest.mark.parametrize(
    "model", [Job, Department, Office, SyncRun], ids=["job", "department", "office", "sync-run"]
)


@LISTS_BY_ORGANIZATION
@pytest.mark.parametrize("facets", [{}, {"_facets": "True"}], ids=["", "with counts"])
def test_a_list_beside_thousands_of_orgs_names_none_of_them_in_its_sidebar(
    admin_client, many_orgs, model, facets
):
    """Django's organization filter listed every org (and with "Show counts", counted each)."""
    response = admin_client.get(changelist(model), facets)

    assert response.status_code == 200
    assert "Company" not in sidebar(response)


@LISTS_BY_ORGANIZATION
def test_a_list_narrowed_to_one_org_lists_its_rows_and_names_it_beside_all(
    admin_client, many_orgs, model
):
    chosen = many_orgs[3]

    response = admin_client.get(
        changelist(model), {"organization__id__exact": chosen.pk, "_facets": "True"}
    )

    assert {row.organization_id for row in response.context["cl"].result_list} == {chosen.pk}
    soup = BeautifulSoup(response.content, "html.parser")
    by_organization = soup.select_one('#changelist-filter [data-filter-title="organization"]')
    choices = [li.get_text(strip=True) for li in by_organization.select("li")]
    assert choices[0].startswith("All") and choices[1:] == ["Company 03 (1)"]
    assert by_organization.select_one("li.selected").get_text(strip=True) == "Company 03 (1)"
    assert "Company 04" not in sidebar(response)


@LISTS_BY_ORGANIZATION
def test_a_list_narrowed_to_one_org_reads_that_org_alone_however_many_there_are(
    admin_client, many_orgs, model
):
    def narrowed_list_queries() -> list[str]:
        with CaptureQueriesContext(db_connection) as queries:
            response = admin_client.get(
                changelist(model), {"organization__id__exact": many_orgs[3].pk, "_facets": "True"}
            )
        assert response.status_code == 200
        return [query["sql"] for query in queries]

    before = narrowed_list_queries()
    make_orgs(12, 12)
    after = narrowed_list_queries()

    assert len(after) == len(before)
    organization_reads = [sql for sql in after if 'FROM "jobs_organization"' in sql]
    assert organization_reads
    assert all('FROM "jobs_organization" WHERE' in sql for sql in organization_reads)


@LISTS_BY_ORGANIZATION
@pytest.mark.parametrize("value", ["abc", "12x", "²", "9" * 30, "-1", ""])
def test_an_organization_filter_no_org_could_have_is_no_error(
    admin_client, many_orgs, model, value
):
    response = admin_client.get(changelist(model), {"organization__id__exact": value})

    assert response.status_code in (200, 302)


@LISTS_BY_ORGANIZATION
@pytest.mark.parametrize(
    "parameter", ["organization__id__exact", "organization"], ids=["filter", "lookup"]
)
@pytest.mark.parametrize(
    "value",
    ["abc", "²", "-1", "999999", "9" * 30],
    ids=["word", "sup2", "minus", "gone", "30-digits"],
)
def test_an_organization_filter_no_org_matches_lists_no_other_orgs_rows(
    admin_client, many_orgs, model, parameter, value
):
    """A link to a deleted org, or a mistyped one, once listed every org's rows as if narrowed:
    an action on "all" of them would have reached all orgs'. ?organization= is a lookup Django
    takes on any list (of 30 digits, it was an error page on SQLite)."""
    response = admin_client.get(changelist(model), {parameter: value, "_facets": "True"})

    if response.status_code == 200:
        assert list(response.context["cl"].result_list) == []
    else:  # Django's "invalid lookup" redirect
        assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_the_organization_list_and_page_link_each_orgs_lists(admin_client, many_orgs):
    chosen = many_orgs[5]
    listing = BeautifulSoup(admin_client.get(changelist(Organization)).content, "html.parser")
    page = BeautifulSoup(
        admin_client.get(reverse("admin:jobs_organization_change", args=[chosen.pk])).content,
        "html.parser",
    )

    for soup in (listing, page):
        for model, label in (
            (Job, "Jobs"),
            (Department, "Departments"),
            (Office, "Offices"),
            (SyncRun, "Sync runs"),
        ):
            url = f"{changelist(model)}?organization__id__exact={chosen.pk}"
            (link,) = soup.select(f'a[href="{url}"]')
            assert link.get_text() == label
            rows = admin_client.get(url).context["cl"].result_list
            assert [row.organization_id for row in rows] == [chosen.pk]


@pytest.mark.parametrize(
    ("codenames", "shown"),
    [
        (["view_job"], ["Jobs"]),
        (["change_department", "view_office"], ["Departments", "Offices"]),
        (["view_syncrun"], ["Sync runs"]),
        ([], []),
    ],
    ids=["jobs", "departments-and-offices", "sync-runs", "none"],
)
def test_an_org_links_only_the_lists_the_staff_member_may_view(many_orgs, codenames, shown):
    """A link to a list the staff member may not view answered 403."""
    clerk = staff_client_with("view_organization", *codenames)
    chosen = many_orgs[5]
    listing = clerk.get(changelist(Organization))
    page = clerk.get(reverse("admin:jobs_organization_change", args=[chosen.pk]))

    for response in (listing, page):
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        cells = soup.select(".field-lists")  # the list's column, or the page's field
        assert all([link.get_text() for link in cell.select("a")] == shown for cell in cells)
        for link in soup.select(".field-lists a"):
            assert clerk.get(link["href"]).status_code == 200
        # With no list to link, no empty column or field either.
        assert bool(cells) == bool(shown)
        assert ("in the lists" in soup.get_text().lower()) == bool(shown)


def test_the_organization_list_reads_permissions_once_however_many_orgs(many_orgs):
    clerk = staff_client_with("view_organization", "view_job")

    def list_queries() -> int:
        with CaptureQueriesContext(db_connection) as queries:
            assert clerk.get(changelist(Organization)).status_code == 200
        return len(queries)

    before = list_queries()
    make_orgs(12, 12)

    assert list_queries() == before


def connections_list_queries(client: Client) -> tuple[int, dict[str, str]]:
    """How many queries the Greenhouse connections' list takes, and each board's last error
    as the list shows it."""
    with CaptureQueriesContext(db_connection) as queries:
        response = client.get(changelist(GreenhouseConnection))
    assert response.status_code == 200
    rows = BeautifulSoup(response.content, "html.parser").select("#result_list tbody tr")
    errors = {
        row.select_one(".field-board_token").get_text(strip=True): row.select_one(
            ".field-last_error_start"
        ).get_text(strip=True)
        for row in rows
    }
    return len(queries), errors


def test_the_connections_list_says_in_a_few_words_why_each_last_sync_failed(admin_client):
    """Only each connection's page said it: staff opened every failing one to learn why."""
    make_connection("fine", "fine-board")
    refused = make_connection("refused", "refused-board")
    refused.state = GreenhouseConnection.State.FAILING
    refused.last_error = (
        "Greenhouse refused the request (HTTP 403).\n"
        "It does so when a proxy or firewall between this site and Greenhouse blocks it; "
        "the next sync will try again."
    )
    refused.save()
    before, errors = connections_list_queries(admin_client)

    assert errors == {
        "fine-board": "-",
        "refused-board": "Greenhouse refused the request (HTTP 403). It does…",
    }
    for n in range(5):
        failing = make_connection(f"failing-{n}", f"failing-{n}")
        failing.last_error = "Could not reach Greenhouse (connection failed)"
        failing.save()
    after, _ = connections_list_queries(admin_client)
    assert after == before


def test_the_connections_list_and_page_say_a_paused_connection_syncs_next_as_its_settings_do(
    admin_client,
):
    """A paused connection's page said "Next sync at" with a time, as if a sync were coming, and
    the list said nothing of it: the org's settings page says "paused"."""
    make_connection("active", "active-board")
    paused = make_connection("paused", "paused-board")
    paused.enabled = False
    paused.save()
    next_syncs = {
        connection.board_token: sync_status(organization=connection.organization)["next_sync_text"]
        for connection in GreenhouseConnection.objects.select_related("organization")
    }
    assert next_syncs["paused-board"] == "paused"

    rows = BeautifulSoup(admin_client.get(changelist(GreenhouseConnection)).content, "html.parser")
    shown = {
        row.select_one(".field-board_token").get_text(strip=True): row.select_one(
            ".field-next_sync"
        ).get_text(strip=True)
        for row in rows.select("#result_list tbody tr")
    }
    page = admin_client.get(reverse("admin:jobs_greenhouseconnection_change", args=[paused.pk]))
    field = BeautifulSoup(page.content, "html.parser").select_one(".field-next_sync")

    assert shown == next_syncs
    assert field.select_one("label").get_text(strip=True) == "Next sync:"
    assert field.select_one(".readonly").get_text(strip=True) == "paused"


def test_the_connections_list_cuts_a_long_word_of_a_last_error(admin_client):
    """A redirect's path (up to MAX_PATH_SHOWN characters) is one word of the eight shown: it
    widened the column, and the list scrolled sideways."""
    redirected = make_connection("redirected", "redirected-board")
    path = "/" + "a" * MAX_PATH_SHOWN
    redirected.last_error = str(
        LedAstray.doing(f"redirected the request to {path}…, which is not the job board's address")
    )
    redirected.save()

    _, errors = connections_list_queries(admin_client)

    shown = errors["redirected-board"]
    assert shown.startswith("Greenhouse's address redirected the request to /aaa")
    assert shown.endswith("a…") and len(shown) == LAST_ERROR_START_CHARS


@pytest.mark.parametrize("letters_before", range(6))
def test_the_connections_list_cuts_an_address_after_a_whole_escaped_letter(
    admin_client, letters_before
):
    """A letter of a redirect's path comes percent-escaped ("é" as "%C3%A9"): the cut left
    "%C3" or a lone "%", which show no letter. Every cut inside "%C3%A9" is tried."""
    redirected = make_connection("redirected", "redirected-board")
    path = "/" + "x" * letters_before + "%C3%A9" * 30
    redirected.last_error = str(LedAstray.doing(f"redirected the request to {path}"))
    redirected.save()

    _, errors = connections_list_queries(admin_client)

    shown = errors["redirected-board"]
    assert shown.endswith("%C3%A9…") and len(shown) <= LAST_ERROR_START_CHARS
    page = admin_client.get(reverse("admin:jobs_greenhouseconnection_change", args=[redirected.pk]))
    assert f"redirected the request to {path}; nothing was changed." in page.content.decode()


@pytest.mark.parametrize(
    "escaped", ["%E9", "%ff%C3%A9"], ids=["latin-1-letters", "a-byte-no-letter-starts"]
)
def test_the_connections_list_keeps_escaped_bytes_no_utf_8_letter_is_cut_from(
    admin_client, escaped
):
    """A path's bytes are not all UTF-8 ("%E9" is "é" in Latin-1): the cut dropped every
    escape it ended with when they did not decode, not only a letter's first bytes."""
    redirected = make_connection("redirected", "redirected-board")
    redirected.last_error = str(LedAstray.doing(f"redirected the request to /{escaped * 40}"))
    redirected.save()

    _, errors = connections_list_queries(admin_client)

    shown = errors["redirected-board"]
    assert shown.count(escaped) >= 3 and len(shown) <= LAST_ERROR_START_CHARS


def test_the_connections_list_does_not_say_a_paused_ones_sync_will_try_again(admin_client):
    """As each connection's page says it: while syncing is paused, no sync will."""
    paused = make_connection("paused", "paused-board")
    paused.enabled = False
    paused.last_error = "Greenhouse is rate limiting requests; the sync will try again later."
    paused.save()

    _, errors = connections_list_queries(admin_client)

    assert errors == {"paused-board": "Greenhouse is rate limiting requests; syncing is paused,…"}
