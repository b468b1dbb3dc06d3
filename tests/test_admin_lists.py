"""Django admin's lists: any query string a browser can send gets the list (or Django's "invalid
lookup" redirect), never an error page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection as db_connection
from django.test import Client
from django.urls import reverse

from jobs.models import GreenhouseConnection, Job, Organization, SyncRun
from tests.support.public_jobs import make_job

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


def test_the_organization_search_reads_words_without_accents(superuser_client, synced_acme):
    liberte = Organization.objects.create(name="Liberté Café", slug="liberte")

    response = superuser_client.get(changelist(Organization), {"q": "liberte cafe"})

    assert list(response.context["cl"].result_list) == [liberte]
