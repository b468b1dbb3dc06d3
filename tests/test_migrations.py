"""Migrations, run on rows as earlier code stored them and on what an interrupted run left."""

from __future__ import annotations

import copy
import html
import importlib
import re
import sys
import types
import unicodedata
from contextlib import nullcontext
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management.base import CommandError
from django.db import IntegrityError, migrations, models, transaction
from django.db import connection as db_connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.writer import MigrationWriter
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs import text
from jobs.filters import JobFilters
from jobs.greenhouse import ADDRESS_MAX_LENGTH, job_payload_hash
from jobs.memberships import accounts_with_email, invitation_links_of
from jobs.migration_operations import AlterFieldIndexWithoutLock
from jobs.models import (
    SLUG_IN_ANY_CASE_CONSTRAINT,
    Department,
    EmailChangeCount,
    GreenhouseConnection,
    Invitation,
    Job,
    Office,
    Organization,
    SyncRun,
)
from jobs.sanitize import LINK_REL, without_empty_links
from jobs.selectors import job_search
from jobs.sync import sync_organization
from jobs.text import MAX_ESCAPED_CHARACTER_CHARS, WORD_PART_BREAK_RE, as_searched
from orgsite.checks import organization_slugs_check
from tests.support.helpers import make_connection, thread_with_outcome
from tests.support.public_jobs import make_job

pytestmark = pytest.mark.django_db

reparse = importlib.import_module("jobs.migrations.0017_reparse_posts_with_unclean_names")


def assert_read_again(job_pks: set[int], *, forgotten_by: str, kept_by: str) -> None:
    """Only these jobs forgot their post's hash, and only their org its board's fingerprint."""
    assert set(Job.objects.filter(payload_hash="").values_list("pk", flat=True)) == job_pks
    fingerprints = dict(
        GreenhouseConnection.objects.values_list("organization__slug", "applied_board_fingerprint")
    )
    assert fingerprints[forgotten_by] == "" and fingerprints[kept_by] != ""


def test_0017_reads_again_only_the_posts_stored_with_unclean_names(fake_greenhouse):
    acme = make_connection("acme", "acme-robotics")
    tiny = make_connection("tiny", "tiny-co")
    for connection in (acme, tiny):
        sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    jobs = list(Job.objects.filter(organization=acme.organization).order_by("pk"))
    # As earlier code stored them: a decomposed title, a place on two lines, a blank team.
    Job.objects.filter(pk=jobs[0].pk).update(title="Inge\u0301nieur")
    Job.objects.filter(pk=jobs[1].pk).update(location_name="Montréal,\nQC")
    blank_team = Department.objects.create(
        organization=acme.organization, greenhouse_id=999, name="\u200b"
    )
    jobs[2].departments.add(blank_team)
    Office.objects.filter(organization=acme.organization).update(name="Paris")  # clean

    reparse.forget_hashes_of_posts_with_unclean_names(apps, None)

    assert_read_again({jobs[0].pk, jobs[1].pk, jobs[2].pk}, forgotten_by="acme", kept_by="tiny")

    sync_organization(GreenhouseConnection.objects.get(pk=acme.pk), trigger=SyncRun.Trigger.COMMAND)

    assert not Job.objects.filter(payload_hash="").exists()
    assert not Job.objects.filter(title="Inge\u0301nieur").exists()
    assert not blank_team.jobs.exists()


excerpts_reparse = importlib.import_module(
    "jobs.migrations.0018_reparse_posts_with_shared_excerpts"
)


def test_0018_reads_again_the_posts_whose_excerpt_another_job_of_their_org_shares(
    fake_greenhouse,
):
    acme = make_connection("acme", "acme-robotics")
    tiny = make_connection("tiny", "tiny-co")
    for connection in (acme, tiny):
        sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    jobs = list(Job.objects.filter(organization=acme.organization).order_by("pk"))
    excerpts = {job.pk: job.excerpt for job in jobs}
    # As earlier code stored them: the board's company intro as two jobs' excerpt.
    intro = "About Acme Robotics Acme Robotics builds gentle, dependable robot arms…"
    Job.objects.filter(pk__in=[jobs[0].pk, jobs[1].pk]).update(excerpt=intro)
    tiny_job = Job.objects.filter(organization=tiny.organization).first()
    Job.objects.filter(pk=tiny_job.pk).update(excerpt=intro)  # one job: nothing shared

    excerpts_reparse.forget_hashes_of_posts_with_shared_excerpts(apps, None)

    assert_read_again({jobs[0].pk, jobs[1].pk}, forgotten_by="acme", kept_by="tiny")

    sync_organization(GreenhouseConnection.objects.get(pk=acme.pk), trigger=SyncRun.Trigger.COMMAND)

    assert {job.pk: job.excerpt for job in Job.objects.filter(pk__in=excerpts)} == excerpts


links_reparse = importlib.import_module("jobs.migrations.0019_reparse_posts_with_relative_links")


def test_0019_reads_again_the_posts_stored_with_a_relative_link(fake_greenhouse):
    fake_greenhouse.load_fixture("kestrel-maps", "kestrel-maps")
    kestrel = make_connection("kestrel", "kestrel-maps")
    tiny = make_connection("tiny", "tiny-co")
    for connection in (kestrel, tiny):
        sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    jobs = list(Job.objects.filter(organization=kestrel.organization).order_by("pk"))
    descriptions = {job.pk: job.description_html for job in jobs}
    # As earlier code stored them: links relative to the post's page, beside absolute ones.
    Job.objects.filter(pk=jobs[0].pk).update(
        description_html='<p><a href="/benefits">Benefits</a> <a href="https://x.example">x</a></p>'
    )
    Job.objects.filter(pk=jobs[1].pk).update(description_html='<p><a href="#apply">Apply</a></p>')
    absolute_only = '<a href="HTTPS://x.example">x</a> <a href="mailto:a@x.example">a</a>'
    Job.objects.filter(pk=jobs[2].pk).update(description_html=f"<p>{absolute_only}</p>")

    links_reparse.forget_hashes_of_posts_with_relative_links(apps, None)

    assert_read_again({jobs[0].pk, jobs[1].pk}, forgotten_by="kestrel", kept_by="tiny")

    sync_organization(
        GreenhouseConnection.objects.get(pk=kestrel.pk), trigger=SyncRun.Trigger.COMMAND
    )

    assert Job.objects.get(pk=jobs[0].pk).description_html == descriptions[jobs[0].pk]


controls_reparse = importlib.import_module(
    "jobs.migrations.0038_reparse_posts_with_controls_or_unbounded_metadata"
)


def test_0038_reads_again_the_posts_stored_with_controls_or_metadata_past_bounds(
    fake_greenhouse,
):
    acme = make_connection("acme", "acme-robotics")
    liberte = make_connection("liberte", "liberte-sante")
    tiny = make_connection("tiny", "tiny-co")
    for connection in (acme, liberte, tiny):
        sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    jobs = list(Job.objects.filter(organization=acme.organization).order_by("pk"))
    synced = {job.pk: (job.title, job.description_html, job.metadata) for job in jobs}
    field = {"name": "Shift", "value": "Day", "value_type": "single_select"}
    # As earlier code stored them: control characters kept, metadata past its bounds.
    Job.objects.filter(pk=jobs[0].pk).update(title="Robot\x85 Engineer")
    Job.objects.filter(pk=jobs[1].pk).update(description_html="<p>Build\x0b robots</p>")
    Job.objects.filter(pk=jobs[2].pk).update(metadata=[field] * 51)
    Job.objects.filter(pk=jobs[3].pk).update(metadata=[{**field, "value": "x" * 2_000}])
    Job.objects.filter(pk=jobs[4].pk).update(metadata=[{**field, "value": "Nig\x9fht"}])
    # Within bounds, and "€" is no control.
    Job.objects.filter(pk=jobs[5].pk).update(metadata=[{**field, "value": "€"}] * 50)
    liberte_jobs = list(Job.objects.filter(organization=liberte.organization).order_by("pk"))
    team = liberte_jobs[0].departments.get()
    Department.objects.filter(pk=team.pk).update(name=team.name.replace(" ", "\x80 ", 1))
    office = liberte_jobs[1].offices.get()  # Lyon, of that job alone
    Office.objects.filter(pk=office.pk).update(location=office.location.replace(",", "\x9a,", 1))
    Job.objects.filter(pk=liberte_jobs[2].pk).update(excerpt="Soins\x7f cliniques")

    controls_reparse.forget_hashes_of_posts_with_controls_or_unbounded_metadata(apps, None)

    read_again = {job.pk for job in jobs[:5]} | {job.pk for job in liberte_jobs[:3]}
    assert_read_again(read_again, forgotten_by="acme", kept_by="tiny")
    assert GreenhouseConnection.objects.get(pk=liberte.pk).applied_board_fingerprint == ""

    # The fake Greenhouse answers "not modified" to the ETag the last sync kept, if it is sent.
    for connection in (acme, liberte):
        sync_organization(
            GreenhouseConnection.objects.get(pk=connection.pk), trigger=SyncRun.Trigger.COMMAND
        )

    assert not Job.objects.filter(payload_hash="").exists()
    for job in jobs[:5]:
        job.refresh_from_db()
        assert (job.title, job.description_html, job.metadata) == synced[job.pk]
    assert Department.objects.get(pk=team.pk).name == team.name
    assert Office.objects.get(pk=office.pk).location == office.location


@pytest.mark.parametrize("noncharacter", ["\ufffe", "\uffff"], ids=["U+FFFE", "U+FFFF"])
def test_0038_reads_again_a_description_stored_with_a_noncharacter(fake_greenhouse, noncharacter):
    """Sanitizing kept U+FFFE and U+FFFF sent as they are (not as references) after 0038 was
    written: 0038 finds the descriptions stored with them too, and the next sync drops them."""
    acme = make_connection("acme", "acme-robotics")
    tiny = make_connection("tiny", "tiny-co")
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["content"] = f"&lt;p&gt;Solder{noncharacter} circuit boards&lt;/p&gt;"
    fake_greenhouse.touch("acme-robotics")
    for connection in (acme, tiny):
        sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    job = Job.objects.get(greenhouse_id=post["id"])
    # As earlier code stored it: the noncharacter kept.
    Job.objects.filter(pk=job.pk).update(
        description_html=f"<p>Solder{noncharacter} circuit boards</p>"
    )

    controls_reparse.forget_hashes_of_posts_with_controls_or_unbounded_metadata(apps, None)

    assert_read_again({job.pk}, forgotten_by="acme", kept_by="tiny")

    sync_organization(GreenhouseConnection.objects.get(pk=acme.pk), trigger=SyncRun.Trigger.COMMAND)

    assert Job.objects.get(pk=job.pk).description_html == "<p>Solder circuit boards</p>"


hostless_links_reparse = importlib.import_module(
    "jobs.migrations.0041_reparse_posts_with_links_without_host"
)


def test_0041_reads_again_the_posts_stored_with_a_link_without_a_host(fake_greenhouse):
    acme = make_connection("acme", "acme-robotics")
    tiny = make_connection("tiny", "tiny-co")
    for connection in (acme, tiny):
        sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    jobs = list(Job.objects.filter(organization=acme.organization).order_by("pk"))
    descriptions = {job.pk: job.description_html for job in jobs}
    # As earlier code stored them: http(s) links without a host, beside whole ones.
    Job.objects.filter(pk=jobs[0].pk).update(
        description_html='<p><a href="https:benefits">Benefits</a> <a href="https://x.example">'
        "x</a></p>"
    )
    Job.objects.filter(pk=jobs[1].pk).update(description_html='<a href="HTTP:/perks">Perks</a>')
    whole = '<a href="https://x.example/a?b=1&amp;c=2">x</a> <a href="mailto:a@x.example">a</a>'
    Job.objects.filter(pk=jobs[2].pk).update(description_html=f"<p>{whole}</p>")
    # Words about links, and a title about one.
    Job.objects.filter(pk=jobs[3].pk).update(
        description_html='<p>Type href="https:x" <a title="a href=" href="https://x.example">'
        "x</a></p>"
    )
    # As nh3 0.3.0 wrote a title with a ">" before the link's address: unescaped.
    Job.objects.filter(pk=jobs[4].pk).update(
        description_html='<a title="a -> b" href="https:pay">Pay</a>'
    )

    hostless_links_reparse.forget_hashes_of_posts_with_links_without_host(apps, None)

    assert_read_again({jobs[0].pk, jobs[1].pk, jobs[4].pk}, forgotten_by="acme", kept_by="tiny")

    sync_organization(GreenhouseConnection.objects.get(pk=acme.pk), trigger=SyncRun.Trigger.COMMAND)

    assert Job.objects.get(pk=jobs[0].pk).description_html == descriptions[jobs[0].pk]


def jobs_synced_from(fake_greenhouse, posts: list[dict]) -> list[Job]:
    """The jobs of these acme-robotics posts, edited, as acme's sync stores them (tiny synced
    too, an org whose jobs are not to be read again)."""
    fake_greenhouse.touch("acme-robotics")
    for slug, token in (("acme", "acme-robotics"), ("tiny", "tiny-co")):
        sync_organization(make_connection(slug, token), trigger=SyncRun.Trigger.COMMAND)
    return [Job.objects.get(greenhouse_id=post["id"]) for post in posts]


remote_yes_reparse = importlib.import_module(
    "jobs.migrations.0046_reparse_posts_that_answer_remote_yes"
)


def test_0046_reads_again_the_posts_stored_with_a_remote_field_answered_yes(fake_greenhouse):
    posts = fake_greenhouse.jobs("acme-robotics")
    for post, answer in zip(posts, (True, False, "Yes"), strict=False):
        post["metadata"] = [{"id": 1, "name": "Remote", "value": answer, "value_type": "yes_no"}]
    jobs = jobs_synced_from(fake_greenhouse, posts[:3])
    # As earlier code stored them: a yes read as no answer.
    Job.objects.filter(pk__in=[job.pk for job in jobs]).update(greenhouse_remote_policy="")

    remote_yes_reparse.forget_hashes_of_posts_that_answer_remote_yes(apps, None)

    assert_read_again({jobs[0].pk, jobs[2].pk}, forgotten_by="acme", kept_by="tiny")
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    policies = [Job.objects.get(pk=job.pk).greenhouse_remote_policy for job in jobs]
    assert policies == [Job.RemotePolicy.REMOTE, "", Job.RemotePolicy.REMOTE]


right_to_left_reparse = importlib.import_module(
    "jobs.migrations.0048_reparse_posts_in_right_to_left_scripts"
)


def test_0048_reads_again_the_posts_with_right_to_left_text_whose_direction_was_dropped(
    fake_greenhouse,
):
    posts = fake_greenhouse.jobs("acme-robotics")
    contents = [
        '<p>Our Tel Aviv office.</p><p dir="rtl">משרה בתל אביב, 3 ימים.</p>',
        '<div dir="rtl"><p>عن الشركة</p><p dir="ltr">Python, SQL</p></div>',
        "<p>Solder circuit boards.</p>",
    ]
    for post, content in zip(posts, contents, strict=False):
        post["content"] = html.escape(content)
    jobs = jobs_synced_from(fake_greenhouse, posts[:3])
    # As earlier code stored them: without their directions.
    for job in jobs:
        stored = re.sub(' dir="[a-z]+"', "", job.description_html)
        Job.objects.filter(pk=job.pk).update(description_html=stored)

    right_to_left_reparse.forget_hashes_of_posts_in_right_to_left_scripts(apps, None)

    assert_read_again({jobs[0].pk, jobs[1].pk}, forgotten_by="acme", kept_by="tiny")
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    descriptions = [Job.objects.get(pk=job.pk).description_html for job in jobs[:2]]
    assert descriptions == [job.description_html for job in jobs[:2]]
    assert 'dir="rtl"' in descriptions[0] and 'dir="ltr"' in descriptions[1]


markup_reparse = importlib.import_module(
    "jobs.migrations.0049_reparse_posts_with_markup_the_sanitizer_reads_anew"
)


def test_0049_reads_again_the_posts_whose_lang_title_or_isolation_the_sanitizer_reads_anew(
    fake_greenhouse,
):
    posts = fake_greenhouse.jobs("acme-robotics")
    contents = [
        "<p>Ask <bdi>שרה</bdi> in HR.</p>",
        '<p lang="en US">Solder circuit boards.</p>',
        '<p><a href="https://acme.example/cv" title="cv\u202egpj.exe">Our form</a></p>',
        # Without its bdi, the override ran on to the paragraph's end: "today." backwards.
        "<p>Ask <bdi>\u202eRH</bdi> today.</p>",
        '<p lang="fr" title="Salut">Bonjour.</p>',
    ]
    for post, content in zip(posts, contents, strict=False):
        post["content"] = html.escape(content)
    jobs = jobs_synced_from(fake_greenhouse, posts[:5])
    # As earlier code stored them: without the bdi, with the lang and the title's override.
    stored = [
        "<p>Ask שרה in HR.</p>",
        '<p lang="en US">Solder circuit boards.</p>',
        jobs[2].description_html.replace('title="cv', 'title="cv\u202e'),
        "<p>Ask \u202eRH today.</p>",
        jobs[4].description_html,
    ]
    for job, description_html in zip(jobs, stored, strict=True):
        Job.objects.filter(pk=job.pk).update(description_html=description_html)

    markup_reparse.forget_hashes_of_posts_with_markup_the_sanitizer_reads_anew(apps, None)

    assert_read_again({job.pk for job in jobs[:4]}, forgotten_by="acme", kept_by="tiny")
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    descriptions = [Job.objects.get(pk=job.pk).description_html for job in jobs]
    assert descriptions == [job.description_html for job in jobs]
    assert "<bdi>" in descriptions[0] and "lang" not in descriptions[1]
    assert 'title="cvgpj.exe"' in descriptions[2] and "<bdi>" in descriptions[3]


language_case = importlib.import_module(
    "jobs.migrations.0050_organization_language_in_conventional_case"
)


def test_0050_puts_the_org_languages_saved_as_typed_in_their_conventional_case():
    languages = {"a": "ZH-hant-tw", "b": "fr-CA", "c": "", "d": "de_DE"}  # d: saved unchecked
    for slug, language in languages.items():
        Organization.objects.create(name=slug, slug=slug, language=language)

    language_case.organization_languages_in_conventional_case(apps, None)

    assert dict(Organization.objects.values_list("slug", "language")) == {
        "a": "zh-Hant-TW",
        "b": "fr-CA",
        "c": "",
        "d": "de_DE",
    }


def index_validity(name: str) -> bool | None:
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            [name],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def migrate_to(*targets: tuple[str, str]) -> None:
    executor = MigrationExecutor(db_connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="CONCURRENTLY is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_an_index_migration_interrupted_midway_runs_again():
    """0013 stopped while building its second index (CONCURRENTLY, outside a transaction): its
    first index is built, the second left INVALID. Running migrate again finishes the job."""
    migrate_to(("jobs", "0012_job_location_index"))
    try:
        # As 0012 left the tables: today's models have columns added since.
        state = MigrationExecutor(db_connection).loader.project_state(
            ("jobs", "0012_job_location_index")
        )
        organization = state.apps.get_model("jobs", "Organization").objects.create(slug="acme")
        for greenhouse_id in (1, 2):  # the same place twice: a unique index on it fails
            state.apps.get_model("jobs", "Job").objects.create(
                organization=organization, greenhouse_id=greenhouse_id, location_name="Lyon"
            )
        with db_connection.cursor() as cursor:
            cursor.execute(
                "CREATE INDEX CONCURRENTLY job_listed_idx "
                "ON jobs_job (organization_id, is_open, hidden, application_deadline)"
            )
            with pytest.raises(Exception, match="could not create unique index"):
                cursor.execute(
                    "CREATE UNIQUE INDEX CONCURRENTLY job_listed_location_idx "
                    "ON jobs_job (location_name)"
                )
        assert index_validity("job_listed_location_idx") is False

        migrate_to(("jobs", "0013_listed_indexes_with_deadline"))
    finally:
        migrate_to(*MigrationExecutor(db_connection).loader.graph.leaf_nodes())

    assert index_validity("job_listed_idx") is True
    assert index_validity("job_listed_location_idx") is True
    assert index_validity("job_listing_idx") is None
    assert index_validity("job_location_idx") is None


PARENT_INDEXES = {"department_parent_idx", "office_parent_idx"}


def parent_indexes() -> set[str]:
    """Those of PARENT_INDEXES on the units' tables, and valid (PostgreSQL)."""
    return valid_indexes("jobs_department", "jobs_office") & PARENT_INDEXES


def valid_indexes(*tables: str) -> set[str]:
    """The names of the indexes and constraints of `tables`, those valid alone (PostgreSQL)."""
    with db_connection.cursor() as cursor:
        names = {
            name
            for table in tables
            for name in db_connection.introspection.get_constraints(cursor, table)
        }
    if db_connection.vendor == "postgresql":
        names = {name for name in names if index_validity(name)}
    return names


@pytest.mark.django_db(transaction=True)
def test_0062_indexes_the_departments_and_offices_by_their_parent():
    """And unindexes them when migrated back."""
    migrate_to(("jobs", "0061_reparse_posts_with_a_blank_excerpt"))
    try:
        assert parent_indexes() == set()
        migrate_to(("jobs", "0062_unit_parent_indexes"))
        assert parent_indexes() == PARENT_INDEXES
    finally:
        migrate_to(*MigrationExecutor(db_connection).loader.graph.leaf_nodes())


UNITS_TABLES = ("jobs_department", "jobs_office")


def organization_indexes() -> dict[str, bool]:
    """The indexes of the units' tables on their organization alone, by table: whether each is
    valid (PostgreSQL) and complete (not partial), and their foreign keys to it."""
    found = {}
    with db_connection.cursor() as cursor:
        for table in UNITS_TABLES:
            for name, constraint in db_connection.introspection.get_constraints(
                cursor, table
            ).items():
                if constraint["columns"] != ["organization_id"]:
                    continue
                if constraint["foreign_key"]:
                    found[f"{table} foreign key"] = True
                elif constraint["index"]:
                    found[name] = db_connection.vendor == "sqlite" or bool(
                        index_validity(name) and " WHERE " not in index_definition(name)
                    )
    return found


def index_definition(name: str) -> str:
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        return cursor.fetchone()[0]


WITH_ORGANIZATION_INDEXES = {
    "jobs_department foreign key": True,
    "jobs_office foreign key": True,
    "jobs_department_organization_id_0c23b967": True,
    "jobs_office_organization_id_7ee60f72": True,
}
WITHOUT_ORGANIZATION_INDEXES = {
    "jobs_department foreign key": True,
    "jobs_office foreign key": True,
}


def schema_changes(queries: CaptureQueriesContext) -> list[str]:
    """The statements that changed the schema, each up to the first name it quotes."""
    return [
        query["sql"].split(' "')[0]
        for query in queries
        if re.match(r"(ALTER|CREATE|DROP|INSERT|SET CONSTRAINTS)", query["sql"])
        and "django_migrations" not in query["sql"]
    ]


@pytest.mark.django_db(transaction=True)
def test_0063_drops_the_units_indexes_of_their_organization_alone_and_keeps_their_foreign_keys():
    """0062's indexes by (organization, parent) serve the org's reads; the foreign keys are not
    dropped and checked anew, nor (on SQLite) the tables copied. Migrated back, it builds them
    again, CONCURRENTLY on PostgreSQL as it drops them."""
    migrate_to(("jobs", "0062_unit_parent_indexes"))
    try:
        assert organization_indexes() == WITH_ORGANIZATION_INDEXES
        concurrently = " CONCURRENTLY" if db_connection.vendor == "postgresql" else ""
        with CaptureQueriesContext(db_connection) as queries:
            migrate_to(("jobs", "0063_unit_organization_index_dropped"))
        assert organization_indexes() == WITHOUT_ORGANIZATION_INDEXES
        assert parent_indexes() == PARENT_INDEXES
        assert schema_changes(queries) == [f"DROP INDEX{concurrently} IF EXISTS"] * 2

        with CaptureQueriesContext(db_connection) as queries:
            migrate_to(("jobs", "0062_unit_parent_indexes"))
        assert organization_indexes() == WITH_ORGANIZATION_INDEXES
        assert schema_changes(queries) == [f"CREATE INDEX{concurrently}"] * 2
    finally:
        migrate_to(*MigrationExecutor(db_connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_an_index_only_alter_field_refuses_a_field_changed_otherwise():
    """AlterFieldIndexWithoutLock drops or builds the field's index alone: given a field that
    also changes otherwise (here made nullable), it refuses, where it would leave the column
    as it was and the migrations' state saying it changed."""
    before = MigrationExecutor(db_connection).loader.project_state(
        ("jobs", "0062_unit_parent_indexes")
    )
    nullable = models.ForeignKey(
        "jobs.organization", models.CASCADE, related_name="departments", db_index=False, null=True
    )
    operation = AlterFieldIndexWithoutLock("department", "organization", nullable)
    after = before.clone()
    operation.state_forwards("jobs", after)

    refused = pytest.raises(ValueError, match="department.organization: changes more than its")
    with db_connection.schema_editor(atomic=False) as schema_editor, refused:
        operation.database_forwards("jobs", schema_editor, before, after)
    assert organization_indexes() == WITHOUT_ORGANIZATION_INDEXES  # as the latest migration left


def test_a_squash_of_the_migrations_taking_no_lock_writes_their_operations_so_they_import():
    """squashmigrations writes the operations it keeps into a new file, each by its class's
    module and name: those taking no lock on PostgreSQL (0013's, 0062's, 0063's and 0065's) are
    written as this module names them, where AddIndexWithoutLock and RemoveIndexWithoutLock
    were written as `postgresql_without_lock.<locals>.Operation`, which is not Python."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = (
        "0013_listed_indexes_with_deadline",
        "0062_unit_parent_indexes",
        "0063_unit_organization_index_dropped",
        "0065_user_indexes_in_any_case",
    )
    operations = [
        operation for name in names for operation in loader.get_migration("jobs", name).operations
    ]
    squashed = type("Migration", (migrations.Migration,), {"operations": operations})
    namespace: dict = {}

    exec(MigrationWriter(squashed("0001_squashed", "jobs")).as_string(), namespace)  # noqa: S102

    written = namespace["Migration"].operations
    assert [(type(operation), operation.describe()) for operation in written] == [
        (type(operation), operation.describe()) for operation in operations
    ]
    assert {type(operation).__name__ for operation in written} >= {
        "AddIndexWithoutLock",
        "RemoveIndexWithoutLock",
        "AlterFieldIndexWithoutLock",
        "AddIndexInAnyCaseWithoutLock",
    }


def leave_invalid_index(name: str, table: str, column: str = "organization_id") -> None:
    """An index of `table` on `column`, INVALID as a CREATE or DROP INDEX CONCURRENTLY
    interrupted leaves it (its build fails on the table's first row)."""
    with db_connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {name}")
        with pytest.raises(Exception, match="division by zero"):
            cursor.execute(
                f"CREATE INDEX CONCURRENTLY {name} ON {table} ({column}) WHERE 1 / (id - id) = 0"
            )
    assert index_validity(name) is False


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="CONCURRENTLY is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_0063_interrupted_either_way_runs_again():
    """Stopped after the departments' step, the offices' index left INVALID: dropping it, or
    building it when migrated back. Running migrate again finishes the job."""
    organization = Organization.objects.create(name="Acme", slug="acme")
    Department.objects.create(organization=organization, greenhouse_id=1, name="Engineering")
    Office.objects.create(organization=organization, greenhouse_id=1, name="Lyon")
    try:
        migrate_to(("jobs", "0062_unit_parent_indexes"))
        with db_connection.cursor() as cursor:
            cursor.execute("DROP INDEX CONCURRENTLY jobs_department_organization_id_0c23b967")
        leave_invalid_index("jobs_office_organization_id_7ee60f72", "jobs_office")

        migrate_to(("jobs", "0063_unit_organization_index_dropped"))
        assert organization_indexes() == WITHOUT_ORGANIZATION_INDEXES

        with db_connection.cursor() as cursor:
            cursor.execute(
                "CREATE INDEX CONCURRENTLY jobs_department_organization_id_0c23b967 "
                "ON jobs_department (organization_id)"
            )
        leave_invalid_index("jobs_office_organization_id_7ee60f72", "jobs_office")

        migrate_to(("jobs", "0062_unit_parent_indexes"))
        assert organization_indexes() == WITH_ORGANIZATION_INDEXES
    finally:
        migrate_to(*MigrationExecutor(db_connection).loader.graph.leaf_nodes())


ANY_CASE_INDEXES = {"user_username_any_case_idx", "user_email_any_case_idx"}
BEFORE_0065 = ("jobs", "0064_reread_posts_with_a_name_cut_inside_a_character")


def any_case_indexes() -> set[str]:
    """Those of ANY_CASE_INDEXES on the accounts' table, and valid (PostgreSQL)."""
    return valid_indexes("auth_user") & ANY_CASE_INDEXES


@pytest.mark.django_db(transaction=True)
def test_0065_indexes_the_usernames_and_addresses_in_any_case_without_locking_the_accounts():
    """CONCURRENTLY on PostgreSQL, so sign-ins go on while it builds them; migrated back, it
    drops them so. On SQLite (which builds them as quickly) in the NOCASE collation that its
    LIKE reads (what they serve: tests/test_performance_counts.py)."""
    migrate_to(BEFORE_0065)
    try:
        assert any_case_indexes() == set()
        postgresql = db_connection.vendor == "postgresql"
        with CaptureQueriesContext(db_connection) as queries:
            migrate_to(("jobs", "0065_user_indexes_in_any_case"))
        assert any_case_indexes() == ANY_CASE_INDEXES
        created = "CREATE INDEX CONCURRENTLY" if postgresql else "CREATE INDEX IF NOT EXISTS"
        assert schema_changes(queries) == [created] * 2

        with CaptureQueriesContext(db_connection) as queries:
            migrate_to(BEFORE_0065)
        assert any_case_indexes() == set()
        concurrently = " CONCURRENTLY" if postgresql else ""
        assert schema_changes(queries) == [f"DROP INDEX{concurrently} IF EXISTS"] * 2
    finally:
        migrate_to(*MigrationExecutor(db_connection).loader.graph.leaf_nodes())


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="CONCURRENTLY is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_0065_interrupted_either_way_runs_again():
    """Stopped after the usernames' step, the addresses' index left INVALID: building it, or
    dropping it when migrated back. Running migrate again finishes the job."""
    User.objects.create_user("alice", "alice@example.com")
    try:
        migrate_to(BEFORE_0065)
        with db_connection.cursor() as cursor:
            cursor.execute(
                "CREATE INDEX CONCURRENTLY user_username_any_case_idx "
                "ON auth_user (UPPER(username))"
            )
        leave_invalid_index("user_email_any_case_idx", "auth_user", "email")

        migrate_to(("jobs", "0065_user_indexes_in_any_case"))
        assert any_case_indexes() == ANY_CASE_INDEXES
        assert "(upper((email)::text))" in index_definition("user_email_any_case_idx")

        with db_connection.cursor() as cursor:
            cursor.execute("DROP INDEX CONCURRENTLY user_username_any_case_idx")
        leave_invalid_index("user_email_any_case_idx", "auth_user", "email")

        migrate_to(BEFORE_0065)
        assert index_validity("user_username_any_case_idx") is None
        assert index_validity("user_email_any_case_idx") is None
    finally:
        migrate_to(*MigrationExecutor(db_connection).loader.graph.leaf_nodes())


def migrate_with_jobs(
    before: tuple[str, str],
    after: tuple[str, str],
    *,
    organization: dict[str, str],
    jobs: list[tuple[int, str, str]],
    with_search_title: bool = True,
    tags: dict[int, list[str]] | None = None,
    with_search_tags: bool = False,
) -> None:
    """Store `organization` and its jobs (greenhouse id, title, search text; `tags` by greenhouse
    id) as the schema at `before` held them, migrate to `after`, then back to the latest schema.
    The search title and tags are stored as written."""
    migrate_to(before)
    try:
        state = MigrationExecutor(db_connection).loader.project_state(before)
        stored = state.apps.get_model("jobs", "Organization").objects.create(**organization)
        for greenhouse_id, title, search_text in jobs:
            job_tags = (tags or {}).get(greenhouse_id, [])
            state.apps.get_model("jobs", "Job").objects.create(
                organization=stored,
                greenhouse_id=greenhouse_id,
                title=title,
                search_text=search_text,
                tags=job_tags,
                **({"search_title": title} if with_search_title else {}),
                **({"search_tags": "\n".join(job_tags)} if with_search_tags else {}),
            )
        migrate_to(after)
    finally:
        migrate_to(*MigrationExecutor(db_connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_0027_makes_the_jobs_stored_before_it_found_without_their_accents():
    """Going back to 0026 undoes 0027 on today's tables; its rows are then stored as then."""
    migrate_with_jobs(
        ("jobs", "0026_greenhouseconnection_failure_email_claimed_at"),
        ("jobs", "0027_search_without_accents"),
        organization={"name": "Liberté Santé", "slug": "liberte"},
        jobs=[
            (1, "Ingénieur·e logiciel", "Montréal, Québec Données de santé"),
            (2, "Welder", "Köln, Germany — Straße"),
            (3, "Painter", "Zurich"),
        ],
        with_search_title=False,
    )

    def found(query: str) -> list[str]:
        return [job.title for job in job_search(query=query)]

    assert found("ingenieur montreal") == ["Ingénieur·e logiciel"]
    assert found("koln strasse") == ["Welder"]
    assert found("Zürich") == ["Painter"]
    assert sorted(found("liberte")) == ["Ingénieur·e logiciel", "Painter", "Welder"]
    assert Job.objects.get(greenhouse_id=3).search_title == "Painter"


@pytest.mark.django_db(transaction=True)
def test_0028_makes_cplusplus_csharp_and_fsharp_stored_before_it_words_of_their_own():
    """As 0027 stored them, "C++" and "C#" read as the word "c" on PostgreSQL."""
    migrate_with_jobs(
        ("jobs", "0027_search_without_accents"),
        ("jobs", "0028_search_language_words"),
        organization={"name": "F# Works", "search_name": "F# Works", "slug": "fsharp"},
        jobs=[
            (1, "C++ Engineer", "Zurich"),
            (2, "Developer", "Munchen (C#, .NET), 2+ years"),
            (3, "C Engineer", "Objective-C, 2+ years #LI-Remote"),
        ],
    )

    def found(query: str) -> list[str]:
        return [job.title for job in job_search(query=query)]

    assert found("c++") == ["C++ Engineer"]
    assert found("c# munchen") == ["Developer"]
    assert sorted(found("f#")) == ["C Engineer", "C++ Engineer", "Developer"]
    assert Job.objects.get(greenhouse_id=3).search_text == "Objective-C, 2+ years #LI-Remote"


@pytest.mark.django_db(transaction=True)
def test_0034_stores_marks_written_apart_composed_and_c_spaced_plus_plus_as_a_word():
    """As 0033 stored them, a word whose marks were written apart ("한" as three jamo) was
    another word than the one typed, and "C ++" and "C♯" were not "C++" and "C#"."""
    apart = "\u1112\u1161\u11ab\u1100\u116e\u11a8"  # 한국
    migrate_with_jobs(
        ("jobs", "0033_organization_language"),
        ("jobs", "0034_search_text_composed"),
        organization={
            "name": f"{apart} Robotics",
            "search_name": f"{apart} Robotics",
            "slug": "hanguk",
        },
        jobs=[
            (1, "\u30ab\u3099\u30e9\u30b9 Engineer", "Tokyo"),  # ガラス
            (2, "Welder", "Seoul \u0928\u093c"),  # ऩ
            (3, "Painter", "Zurich"),
            (4, "Game Developer (C ++)", "Lyon, C\u266f"),
        ],
    )

    def found(query: str) -> list[str]:
        return sorted(job.title for job in job_search(query=query))

    assert found("ガラス") == ["\u30ab\u3099\u30e9\u30b9 Engineer"]
    assert found("\u0929") == ["Welder"]
    assert found("한국") == [
        "Game Developer (C ++)",
        "Painter",
        "Welder",
        "\u30ab\u3099\u30e9\u30b9 Engineer",
    ]
    assert found("c++ c#") == ["Game Developer (C ++)"]
    assert Job.objects.get(greenhouse_id=1).title == "\u30ab\u3099\u30e9\u30b9 Engineer"


@pytest.mark.django_db(transaction=True)
def test_0037_makes_the_jobs_tagged_before_it_found_by_their_tags():
    """Keyword search did not read tags; it now reads the words 0037 stores for them."""
    migrate_with_jobs(
        ("jobs", "0036_connection_skipped_for_id"),
        ("jobs", "0037_job_search_tags"),
        organization={"name": "Forge", "search_name": "Forge", "slug": "forge"},
        jobs=[(1, "Welder", "Zurich"), (2, "Painter", "Lyon"), (3, "Carver", "Oslo")],
        tags={1: ["Visa sponsorship", "Télétravail"], 2: ["C++", "Node.js"]},
    )

    def found(query: str) -> list[str]:
        return [job.title for job in job_search(query=query)]

    assert found("visa") == found("teletravail welder") == ["Welder"]
    assert found("c++") == found("node") == ["Painter"]
    assert Job.objects.get(greenhouse_id=1).search_tags == "Visa sponsorship\nTeletravail"
    assert Job.objects.get(greenhouse_id=3).search_tags == ""


@pytest.mark.django_db(transaction=True)
def test_0042_makes_the_words_stored_with_characters_that_show_nothing_found():
    """As 0041 stored them, a zero-width space or a soft hyphen split the word it was in."""
    migrate_with_jobs(
        ("jobs", "0041_reparse_posts_with_links_without_host"),
        ("jobs", "0042_search_without_ignorable_characters"),
        organization={"name": "Sn\u200bake", "search_name": "Sn\u200bake", "slug": "snake"},
        jobs=[
            (1, "Py\u00adthon Developer", "Zurich"),
            (2, "Welder", "Lyon, Ja\u2060va"),
            (3, "Painter", "Oslo"),
        ],
        tags={3: ["Ru\ufeffst", "Go"]},
        with_search_tags=True,
    )

    def found(query: str) -> list[str]:
        return sorted(job.title for job in job_search(query=query))

    assert found("python") == ["Py\u00adthon Developer"]
    assert found("java") == ["Welder"]
    assert found("rust") == ["Painter"]
    assert found("snake") == ["Painter", "Py\u00adthon Developer", "Welder"]
    assert Job.objects.get(greenhouse_id=3).search_tags == "Rust\nGo"
    assert Job.objects.get(greenhouse_id=1).title == "Py\u00adthon Developer"


@pytest.mark.django_db(transaction=True)
def test_0043_keeps_the_title_of_a_job_stored_before_it_apart_from_its_text():
    """As 0042 stored them on PostgreSQL, a phrase ran from the title's last word on into the
    text's first."""
    migrate_with_jobs(
        ("jobs", "0042_search_without_ignorable_characters"),
        ("jobs", "0043_search_title_apart_from_text"),
        organization={"name": "Forge", "search_name": "Forge", "slug": "forge"},
        jobs=[(1, "Nurse", "Berlin Mitte"), (2, "Senior Nurse Berlin", "Hamburg")],
    )

    def found(query: str) -> list[str]:
        return sorted(job.title for job in job_search(query=query))

    assert found('"nurse berlin"') == ["Senior Nurse Berlin"]
    assert found('"berlin mitte" nurse') == ["Nurse"]


@pytest.mark.django_db(transaction=True)
def test_0057_makes_a_han_or_kana_word_inside_a_run_stored_before_it_found():
    """As 0056 stored them, a run of Han or kana was one word to PostgreSQL's parser: "分析"
    missed "数据分析师" and "エンジニア" a title that ends with it."""
    migrate_with_jobs(
        ("jobs", "0056_reparse_posts_whose_words_after_a_div_are_in_divs"),
        ("jobs", "0057_search_han_and_kana_letters_apart"),
        organization={"name": "株式会社開発", "search_name": "株式会社開発", "slug": "kaihatsu"},
        jobs=[
            (1, "数据分析师", "上海市"),
            (2, "ソフトウェアエンジニア", "Tokyo"),
            (3, "Welder", "Zurich"),
        ],
        tags={3: ["リモート可"]},
        with_search_tags=True,
    )

    def found(query: str) -> list[str]:
        return sorted(job.title for job in job_search(query=query))

    assert found("分析") == found("海市") == ["数据分析师"]
    assert found("エンジニア tokyo") == ["ソフトウェアエンジニア"]
    assert found("リモート") == ["Welder"]
    assert found("会社") == ["Welder", "ソフトウェアエンジニア", "数据分析师"]
    assert Job.objects.get(greenhouse_id=3).search_tags == "リ モ ー ト 可"
    assert Job.objects.get(greenhouse_id=3).search_text == "Zurich"
    assert Job.objects.get(greenhouse_id=1).title == "数据分析师"


search_text_composed = importlib.import_module("jobs.migrations.0034_search_text_composed")


def test_search_fields_rewritten_are_written_by_one_statement_that_does_not_grow_with_them():
    """0027, 0028, 0034, 0037, 0042 and 0057 rewrite the search fields of the jobs whose words
    search reads anew, with the site stopped before 0028. bulk_update() wrote each batch with a
    CASE WHEN per job and field, one statement that grew with the batch: 0057 took 7 s over
    5,000 jobs as code before it stored them, half of them in Japanese, four fifths of it
    building those statements. One UPDATE run once per job reads the same whatever their
    number."""
    organization = Organization.objects.create(name="株式会社開発", slug="kaihatsu")
    Job.objects.bulk_create(
        Job(organization=organization, greenhouse_id=n, search_title=f"エンジニア {n}")
        for n in range(300)
    )

    with CaptureQueriesContext(db_connection) as queries:
        search_text_composed.store_as_searched(Job, ["search_title"])

    # An UPDATE run once per row is captured as "300 times: UPDATE …".
    job_table = Job._meta.db_table
    writes = [query["sql"] for query in queries if f'UPDATE "{job_table}"' in query["sql"]]
    assert writes
    assert max(len(sql) for sql in writes) < 500
    assert set(Job.objects.values_list("search_title", flat=True)) == {
        f"エ ン ジ ニ ア {n}" for n in range(300)
    }


@pytest.mark.django_db(transaction=True)
def test_0058_makes_half_width_kana_with_their_voiced_marks_stored_before_it_found():
    """As 0057 stored them, a half-width kana's voiced mark stood apart from its kana ("ﾃﾞ" as
    "テ ゙"): "データ" missed the org ﾃﾞｰﾀ and "エンジニア" the title "ｴﾝｼﾞﾆｱ". Names, titles and
    tags are stored as searched from what they are; a search text, as searched again."""
    migrate_with_jobs(
        ("jobs", "0057_search_han_and_kana_letters_apart"),
        ("jobs", "0058_search_half_width_kana_with_their_marks"),
        organization={"name": "ﾃﾞｰﾀ", "search_name": "テ \u3099 ー タ", "slug": "deta"},
        jobs=[(1, "ｴﾝｼﾞﾆｱ", "Tokyo"), (2, "Welder", "数据分析师")],
        tags={2: ["ﾃﾞｰﾀ分析"]},
        with_search_tags=True,
    )

    def found(query: str) -> list[str]:
        return sorted(job.title for job in job_search(query=query))

    assert found("エンジニア") == ["ｴﾝｼﾞﾆｱ"]
    assert found("データ") == ["Welder", "ｴﾝｼﾞﾆｱ"]
    assert found("データ分析") == found("数据") == ["Welder"]
    assert Organization.objects.get(slug="deta").search_name == "デ ー タ"


@pytest.mark.django_db(transaction=True)
def test_0059_makes_the_words_stored_between_angle_brackets_before_it_found():
    """PostgreSQL's parser read a "<" as an HTML tag, dropping the words after it, and a "~"
    after a letter or at the start as a file path's start. Names, titles, tags and search
    texts holding one are stored with a space for it."""
    migrate_with_jobs(
        ("jobs", "0058_search_half_width_kana_with_their_marks"),
        ("jobs", "0059_search_words_between_angle_brackets"),
        organization={"name": "Babel <Tower>", "search_name": "Babel <Tower>", "slug": "babel"},
        jobs=[
            (1, "Lead <Platform Team>", "Tokyo"),
            (2, "Welder", "depth<harbour and river>sea"),
            (3, "Team~Cloud Lead", "~years at sea"),
        ],
        tags={2: ["<Rust>"], 3: ["~Go"]},
        with_search_tags=True,
    )

    def found(query: str) -> list[str]:
        return sorted(job.title for job in job_search(query=query))

    assert found("platform team") == ["Lead <Platform Team>"]
    assert found("harbour river rust") == ["Welder"]
    assert found("cloud years go") == ["Team~Cloud Lead"]
    assert found("tower") == ["Lead <Platform Team>", "Team~Cloud Lead", "Welder"]
    assert Organization.objects.get(slug="babel").search_name == "Babel  Tower>"
    assert Job.objects.get(greenhouse_id=2).search_tags == " Rust>"
    assert Job.objects.get(greenhouse_id=3).search_tags == " Go"


@pytest.mark.django_db(transaction=True)
def test_0060_makes_the_numbers_stored_after_a_plus_and_the_entities_before_it_found():
    """PostgreSQL's parser read a "+" before a digit as a number's sign: "+49" was no "49", and
    an "&", a name and ";" as an entity, which it dropped. Names, titles, tags and search texts
    holding one are stored with a space for it."""
    migrate_with_jobs(
        ("jobs", "0059_search_words_between_angle_brackets"),
        ("jobs", "0060_search_words_after_a_plus_or_in_an_entity"),
        organization={"name": "Forge+8", "search_name": "Forge+8", "slug": "forge"},
        jobs=[
            (1, "Call Centre Agent (+49)", "Call +49 30"),
            (2, "Welder", "3+5 years at sea"),
            (3, "Painter", "Cplusplus, 5+ years, R&D, Sales & Marketing"),
            (4, "R&amp;D Engineer", "Pension&amp;nbsp;plan"),
        ],
        tags={2: ["UK+44"], 4: ["&Robotics;"]},
        with_search_tags=True,
    )

    def found(query: str) -> list[str]:
        return sorted(job.title for job in job_search(query=query))

    assert found("49 30") == ["Call Centre Agent (+49)"]
    assert found('"5 years" 44') == ["Welder"]
    assert found("amp nbsp robotics") == ["R&amp;D Engineer"]
    assert found("8") == ["Call Centre Agent (+49)", "Painter", "R&amp;D Engineer", "Welder"]
    assert Organization.objects.get(slug="forge").search_name == "Forge 8"
    assert Job.objects.get(greenhouse_id=1).search_title == "Call Centre Agent ( 49)"
    assert Job.objects.get(greenhouse_id=2).search_text == "3 5 years at sea"
    assert Job.objects.get(greenhouse_id=2).search_tags == "UK 44"
    assert Job.objects.get(greenhouse_id=4).search_title == "R amp;D Engineer"
    assert Job.objects.get(greenhouse_id=4).search_text == "Pension amp;nbsp;plan"
    assert Job.objects.get(greenhouse_id=4).search_tags == " Robotics;"
    # Stored as written where the parser reads the "+" or "&" as a space.
    painter = Job.objects.get(greenhouse_id=3)
    assert painter.search_text == "Cplusplus, 5+ years, R&D, Sales & Marketing"


half_width_kana = importlib.import_module(
    "jobs.migrations.0058_search_half_width_kana_with_their_marks"
)


def test_0058_reads_again_the_posts_whose_search_text_holds_a_voiced_mark_apart(
    fake_greenhouse,
):
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[0]["content"] = html.escape("<p>ﾊﾟｲｿﾝとﾃﾞｰﾀ分析</p>")
    posts[1]["content"] = html.escape("<p>パイソンとデータ分析</p>")
    jobs = jobs_synced_from(fake_greenhouse, posts[:2])
    assert half_width_kana.search_fields_to_store(apps, "Job") == []  # as the sync stores them
    # As code between 0057 and 0058 stored it: a voiced mark apart from its kana in one, a
    # semi-voiced mark in the other.
    for job, kana, apart in ((jobs[0], "デ", "テ \u3099"), (jobs[1], "パ", "ハ \u309a")):
        damaged = job.search_text.replace(kana, apart)
        Job.objects.filter(pk=job.pk).update(search_text=damaged)

    half_width_kana.store_half_width_kana_with_their_marks(apps, None)

    assert_read_again({jobs[0].pk, jobs[1].pk}, forgotten_by="acme", kept_by="tiny")
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    for job in jobs:
        assert Job.objects.get(pk=job.pk).search_text == job.search_text
    assert {job.pk for job in job_search(query="パイソン データ")} == {jobs[0].pk, jobs[1].pk}


def test_0031_leaves_code_that_predates_it_able_to_connect_a_board():
    """While a deploy is under way, workers of the code before 0031 still run against its
    tables: the rows they insert leave its columns out, and the database fills them."""
    state = MigrationExecutor(db_connection).loader.project_state(
        ("jobs", "0030_connection_skip_reasons")
    )
    organization = state.apps.get_model("jobs", "Organization").objects.create(slug="acme")
    state.apps.get_model("jobs", "GreenhouseConnection").objects.create(
        organization=organization, board_token="acme-robotics"
    )

    connection = GreenhouseConnection.objects.get()
    assert (connection.applied_board_etag, connection.applied_board_etag_fingerprint) == ("", "")


# The oldest code whose inserts today's tables take (a deploy rolls only from 0028 on, for
# what its processes would write: README, Processes in production).
PREVIOUS_RELEASES_FROM = ("jobs", "0019_reparse_posts_with_relative_links")


def test_code_that_predates_0020_inserts_into_every_table_of_the_latest_schema():
    """While a deploy rolls, processes of the previous release insert rows naming only the
    columns their models know; the database fills those added since as today's models would."""
    old = MigrationExecutor(db_connection).loader.project_state(PREVIOUS_RELEASES_FROM).apps

    def old_model(name: str):
        return old.get_model("jobs", name)

    organization = old_model("Organization").objects.create(name="Acme", slug="acme")
    old_model("GreenhouseConnection").objects.create(
        organization=organization, board_token="acme-robotics"
    )
    job = old_model("Job").objects.create(
        organization=organization, greenhouse_id=1, title="Welder"
    )
    job.departments.add(
        old_model("Department").objects.create(organization=organization, greenhouse_id=2)
    )
    job.offices.add(old_model("Office").objects.create(organization=organization, greenhouse_id=3))
    old_model("SyncRun").objects.create(organization=organization, trigger="schedule")
    old_model("SchedulerHeartbeat").objects.create(pk=1, last_tick_at=timezone.now())
    user = old.get_model("auth", "User").objects.create(username="ada")
    old_model("Membership").objects.create(organization=organization, user=user, role="admin")
    old_model("Invitation").objects.create(
        organization=organization, user=user, role="member", email="ada@example.com"
    )

    organization = Organization.objects.get()
    assert organization.search_name == ""
    assert abs(organization.listing_changed_at - timezone.now()) < timedelta(minutes=1)
    assert GreenhouseConnection.objects.get().applied_board_skip_reasons == []
    assert Job.objects.get().search_title == ""
    assert Invitation.objects.get().email_failed is False


def test_every_not_null_column_added_after_0019_has_a_database_default():
    """Without one, the inserts of a previous release's processes into its table fail."""
    loader = MigrationExecutor(db_connection).loader
    today = {model._meta.db_table: model for model in apps.get_app_config("jobs").get_models()}
    left_out = set()
    for key in loader.graph.forwards_plan(loader.graph.leaf_nodes("jobs")[0]):
        if key[0] != "jobs" or key[1] < PREVIOUS_RELEASES_FROM[1]:
            continue
        for model_then in loader.project_state(key).apps.get_app_config("jobs").get_models():
            known = {field.column for field in model_then._meta.concrete_fields}
            left_out |= {
                f"{field.model.__name__}.{field.name}"
                for field in today[model_then._meta.db_table]._meta.concrete_fields
                if field.column not in known and not field.null and not field.has_db_default()
            }

    assert left_out == set()


boards_to_fix_forget = importlib.import_module(
    "jobs.migrations.0047_apply_again_boards_with_posts_to_fix"
)


def test_0047_applies_again_a_board_whose_skips_were_counted_before_it(fake_greenhouse):
    """A broken copy listed before a good one of the same id was skipped for what was wrong
    with it; a sync that finds that board again kept saying so, "once fixed in Greenhouse"."""
    posts = fake_greenhouse.jobs("acme-robotics")
    broken = {**copy.deepcopy(posts[0]), "title": ""}
    posts.insert(0, broken)
    fake_greenhouse.touch("acme-robotics")
    acme = make_connection("acme", "acme-robotics")
    tiny = make_connection("tiny", "tiny-co")
    for connection in (acme, tiny):
        sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    # As code before 0047 counted the broken copy: a post to fix in Greenhouse.
    GreenhouseConnection.objects.filter(pk=acme.pk).update(
        applied_board_skipped_for_id=0,
        applied_board_skip_reasons=[f"job post {broken['id']} has no title"],
    )

    boards_to_fix_forget.forget_fingerprints_of_boards_with_posts_to_fix(apps, None)

    fingerprints = dict(
        GreenhouseConnection.objects.values_list("organization__slug", "applied_board_fingerprint")
    )
    assert fingerprints["acme"] == "" and fingerprints["tiny"] != ""
    sync_organization(GreenhouseConnection.objects.get(pk=acme.pk), trigger=SyncRun.Trigger.COMMAND)
    acme.refresh_from_db()
    assert acme.applied_board_skipped_for_id == 1
    assert acme.applied_board_skip_reasons == [
        f"job post {broken['id']} listed again with other content (a duplicate id); the first "
        "that can be imported is kept"
    ]


unit_names_strip = importlib.import_module("jobs.migrations.0052_unit_names_without_outer_spaces")


def test_0052_stores_the_names_of_departments_and_offices_without_spaces_at_their_ends(
    fake_greenhouse,
):
    """Written only from the changed posts that list them, they kept a space until then."""
    acme = make_connection("acme", "acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    department = Department.objects.filter(organization=acme.organization).first()
    office, other_office = Office.objects.filter(organization=acme.organization)[:2]
    names = {
        department.pk: department.name,
        office.pk: (office.name, office.location),
        other_office.pk: (other_office.name, other_office.location),
    }
    # As earlier code stored them: sent with spaces at their ends, or cut after one.
    Department.objects.filter(pk=department.pk).update(name=f" {department.name} ")
    Office.objects.filter(pk=office.pk).update(
        name=f"{office.name} ", location=f" {office.location}"
    )
    # A location of spaces alone the sync reads as none.
    Office.objects.filter(pk=other_office.pk).update(location="  ")

    # A name of spaces alone is kept: the sync leaves out a unit without a name.
    blank = Department.objects.create(organization=acme.organization, greenhouse_id=1, name="  ")

    unit_names_strip.strip_unit_names(apps, None)

    blank.refresh_from_db()
    assert blank.name == "  "
    department.refresh_from_db()
    office.refresh_from_db()
    other_office.refresh_from_db()
    assert department.name == names[department.pk]
    assert (office.name, office.location) == names[office.pk]
    assert (other_office.name, other_office.location) == (names[other_office.pk][0], "")


dates_read_again = importlib.import_module("jobs.migrations.0053_read_again_posts_without_a_date")


def test_0053_reads_again_the_posts_stored_without_a_date_and_takes_dates_since_come(
    fake_greenhouse, monkeypatch
):
    """A post dated ahead kept its post's hash, and was never read again once its date came."""
    posts = fake_greenhouse.jobs("acme-robotics")
    ahead = timezone.now() + timedelta(days=3)
    posts[0].update(first_published=ahead.isoformat(), updated_at=ahead.isoformat())
    fake_greenhouse.touch("acme-robotics")
    acme = make_connection("acme", "acme-robotics")
    tiny = make_connection("tiny", "tiny-co")
    for connection in (acme, tiny):
        sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    job = Job.objects.get(greenhouse_id=posts[0]["id"])
    # As code before 0051 stored it.
    Job.objects.filter(pk=job.pk).update(payload_hash=job_payload_hash(posts[0]))
    GreenhouseConnection.objects.update(applied_board_fingerprint="as applied")

    dates_read_again.read_again_posts_without_a_date(apps, None)

    fingerprints = dict(
        GreenhouseConnection.objects.values_list("organization__slug", "applied_board_fingerprint")
    )
    assert fingerprints == {"acme": "", "tiny": "as applied"}
    acme = GreenhouseConnection.objects.get(pk=acme.pk)
    # Still ahead: stored as the sync now stores it, unchanged.
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.updated == 0
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(days=3))
    result = sync_organization(
        GreenhouseConnection.objects.get(pk=acme.pk), trigger=SyncRun.Trigger.COMMAND
    )
    assert result.counts.updated == 1
    job.refresh_from_db()
    assert job.first_published_at == job.greenhouse_updated_at == ahead


def test_0053_has_a_post_without_a_date_read_again_once_and_a_post_to_read_anew_kept_so(
    acme, fake_greenhouse
):
    """A post sent without a publication date costs one write, then is unchanged; a job whose
    hash was forgotten keeps it forgotten, so that its post is read anew."""
    posts = fake_greenhouse.jobs("acme-robotics")
    del posts[0]["first_published"]
    fake_greenhouse.touch("acme-robotics")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    Job.objects.filter(greenhouse_id=posts[1]["id"]).update(
        payload_hash="", first_published_at=None
    )

    dates_read_again.read_again_posts_without_a_date(apps, None)

    assert Job.objects.get(greenhouse_id=posts[1]["id"]).payload_hash == ""
    acme = GreenhouseConnection.objects.get(pk=acme.pk)
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.updated == 2
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.unchanged == len(posts)


board_blocks_reparse = importlib.import_module(
    "jobs.migrations.0056_reparse_posts_whose_words_after_a_div_are_in_divs"
)


def test_0056_reads_again_the_posts_of_the_intro_and_the_boards_blocks_after_it_alone(
    fake_greenhouse,
):
    posts = fake_greenhouse.jobs("acme-robotics")
    content = html.unescape(posts[1]["content"])
    intro_end = content.index("</div>") + len("</div>")
    pay_range = content.index('<div class="content-pay-transparency">')
    conclusion = content.index('<div class="content-conclusion">')
    contents = [
        content[:intro_end] + "<p>&nbsp;</p>" + content[pay_range:],
        content[:intro_end] + content[conclusion:] + "<div></div>",
        content,  # a description of its own, in a paragraph after the intro
        content[:intro_end] + "<div><p>The role.</p></div>" + content[pay_range:],
    ]
    for post, post_content in zip(posts, contents, strict=False):
        post["content"] = html.escape(post_content)
    jobs = jobs_synced_from(fake_greenhouse, posts[:4])
    excerpts = [job.excerpt for job in jobs]
    assert excerpts[0].startswith("About Acme Robotics") and excerpts[0] == excerpts[1]
    # As earlier code stored them: the pay range and the conclusion as the excerpt.
    Job.objects.filter(pk__in=[jobs[0].pk, jobs[1].pk]).update(excerpt="Acme is an equal…")

    board_blocks_reparse.forget_hashes_of_posts_whose_words_after_a_div_are_in_divs(apps, None)

    # The description in a div is read again too: the stored description does not tell it.
    assert_read_again({jobs[0].pk, jobs[1].pk, jobs[3].pk}, forgotten_by="acme", kept_by="tiny")
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    assert [Job.objects.get(pk=job.pk).excerpt for job in jobs] == excerpts


blank_excerpts_reparse = importlib.import_module(
    "jobs.migrations.0061_reparse_posts_with_a_blank_excerpt"
)


def test_0061_reads_again_the_posts_whose_excerpt_shows_nothing_at_its_start(fake_greenhouse):
    posts = fake_greenhouse.jobs("acme-robotics")
    content = html.unescape(posts[1]["content"])
    pay_range = content.index('<div class="content-pay-transparency">')
    contents = [
        '<div class="content-intro"><p>&nbsp;</p></div>' + content[pay_range:],
        "<p>\u200b</p>",
        "<p>\u200b</p><p>The role.</p>",
        content,
        None,  # Greenhouse's word that there is no description: no excerpt either
    ]
    for post, post_content in zip(posts, contents, strict=False):
        post["content"] = post_content and html.escape(post_content)
    jobs = jobs_synced_from(fake_greenhouse, posts[:5])
    excerpts = [job.excerpt for job in jobs]
    assert excerpts[0].startswith("The base pay range below") and excerpts[1:3] == ["", "The role."]
    # As earlier code stored them: none, read from the blank intro; the zero-width space.
    Job.objects.filter(pk=jobs[0].pk).update(excerpt="")
    Job.objects.filter(pk=jobs[1].pk).update(excerpt="\u200b")
    Job.objects.filter(pk=jobs[2].pk).update(excerpt="\u200b The role.")

    blank_excerpts_reparse.forget_hashes_of_posts_with_a_blank_excerpt(apps, None)

    assert_read_again({job.pk for job in jobs[:3]}, forgotten_by="acme", kept_by="tiny")
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    assert [Job.objects.get(pk=job.pk).excerpt for job in jobs] == excerpts


cut_names_reparse = importlib.import_module(
    "jobs.migrations.0064_reread_posts_with_a_name_cut_inside_a_character"
)


def test_0064_reads_again_the_posts_stored_with_a_name_cut_inside_a_character(fake_greenhouse):
    """Earlier code cut a value longer than its field by slicing, inside what reads as one
    character, and a link with Greenhouse's full location missed its job; the sync now cuts
    before it. Only a value as long as its field can have been so cut."""
    posts = fake_greenhouse.jobs("acme-robotics")
    # Each across its field's end: an emoji sequence, a letter and an accent no character
    # composes, a conjunct, a flag. The last post's location is the first's, which the sync
    # stores cut before the emoji, under its field's length: that job keeps its hash.
    location = "L" * 299 + "👩‍💻 Berlin"
    posts[0]["location"]["name"] = location
    posts[1]["departments"][0]["name"] = "D" * 299 + "q\u0303 team"
    posts[2]["offices"][0]["name"] = "O" * 298 + "क्षेत्र"
    posts[3]["title"] = "T" * 499 + "👩‍💻 Engineer"
    posts[4]["offices"][0]["location"] = "P" * 299 + "🇯🇵 Tokyo"
    posts[5]["location"]["name"] = location
    jobs = jobs_synced_from(fake_greenhouse, posts)
    department = jobs[1].departments.get()
    office, other_office = jobs[2].offices.get(), jobs[4].offices.get()
    # As earlier code stored them: the field's length sliced, half the character kept.
    Job.objects.filter(pk=jobs[0].pk).update(location_name="L" * 299 + "👩")
    Department.objects.filter(pk=department.pk).update(name="D" * 299 + "q")
    Office.objects.filter(pk=office.pk).update(name="O" * 298 + "क्")
    Job.objects.filter(pk=jobs[3].pk).update(title="T" * 499 + "👩")
    Office.objects.filter(pk=other_office.pk).update(location="P" * 299 + "🇯")

    # What the reread_posts command picks: the same jobs.
    assert cut_names_reparse.jobs_with_a_value_at_its_fields_length(apps) == {
        job.pk: job.organization_id for job in jobs[:5]
    }
    with CaptureQueriesContext(db_connection) as queries:
        cut_names_reparse.forget_hashes_of_posts_with_a_name_cut_inside_a_character(apps, None)

    # An UPDATE of each job picked, then one of their orgs' connections, as a sync writes them.
    tables = [re.match(r'UPDATE "(\w+)"', query["sql"]) for query in queries]
    in_order = ["jobs_job"] * 5 + ["jobs_greenhouseconnection"]
    assert [table[1] for table in tables if table] == in_order

    assert_read_again({job.pk for job in jobs[:5]}, forgotten_by="acme", kept_by="tiny")
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    department.refresh_from_db()
    office.refresh_from_db()
    other_office.refresh_from_db()
    assert (department.name, office.name, other_office.location) == (
        "D" * 299,
        "O" * 298,
        "P" * 299,
    )
    assert Job.objects.get(pk=jobs[3].pk).title == "T" * 499
    link = JobFilters.from_query_dict(QueryDict.fromkeys(["location"], value=location))
    assert set(job_search(location=link.location)) == {jobs[0], jobs[5]}


cut_language_or_address_reread = importlib.import_module(
    "jobs.migrations.0066_reread_posts_with_a_language_or_address_cut"
)


def test_0066_reads_again_the_posts_stored_with_a_language_or_address_cut_by_slicing(
    fake_greenhouse,
):
    """Earlier code cut a language longer than its field by slicing, which named another tag in
    the page's lang, and an address inside a letter's percent-escapes, a broken Apply link; the
    sync now reads such a language as none and cuts an address before the escapes. Only a
    value as long as its field can have been so cut."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[0]["language"] = "en-GB-oxendict-x-london"
    head = posts[1]["absolute_url"] + "?ref="
    head += "x" * (ADDRESS_MAX_LENGTH - len(head) - len("%E2%82"))
    address = f"{head}%E2%82%ACuro"
    sliced = address[:ADDRESS_MAX_LENGTH]
    # As earlier code read it: the address sliced inside the escapes of "€", and the post's
    # relative link read against it.
    posts[1]["absolute_url"] = sliced
    posts[1]["content"] = html.escape('<p>Read <a href="#apply">how to apply</a>.</p>')
    # Left alone: a language and an address a character shorter than their fields.
    posts[2]["language"] = "zh-Hant-TW-x-abcdef"
    short = posts[2]["absolute_url"] + "?ref="
    posts[2]["absolute_url"] = short + "y" * (ADDRESS_MAX_LENGTH - 1 - len(short))
    jobs = jobs_synced_from(fake_greenhouse, posts)
    assert (len(jobs[2].language), len(jobs[2].absolute_url)) == (19, ADDRESS_MAX_LENGTH - 1)
    assert f'href="{sliced}#apply"' in jobs[1].description_html
    # As earlier code stored them: sliced to the field's length, with their post's hash.
    posts[1]["absolute_url"] = address
    fake_greenhouse.touch("acme-robotics")
    Job.objects.filter(pk=jobs[1].pk).update(payload_hash=job_payload_hash(posts[1]))
    Job.objects.filter(pk=jobs[0].pk).update(language="en-GB-oxendict-x-lon")

    # What the reread_posts command picks: the same jobs.
    assert cut_language_or_address_reread.jobs_with_a_language_or_address_at_its_length(apps) == {
        job.pk: job.organization_id for job in jobs[:2]
    }
    with CaptureQueriesContext(db_connection) as queries:
        cut_language_or_address_reread.forget_hashes_of_posts_with_a_language_or_address_cut(
            apps, None
        )

    # An UPDATE of each job picked, then one of their orgs' connections, as a sync writes them.
    tables = [re.match(r'UPDATE "(\w+)"', query["sql"]) for query in queries]
    assert [table[1] for table in tables if table] == [
        "jobs_job",
        "jobs_job",
        "jobs_greenhouseconnection",
    ]

    assert_read_again({job.pk for job in jobs[:2]}, forgotten_by="acme", kept_by="tiny")
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    assert Job.objects.get(pk=jobs[0].pk).language == ""
    job = Job.objects.get(pk=jobs[1].pk)
    assert job.absolute_url == head and f'href="{head}#apply"' in job.description_html
    # Stored so, under their fields' length, neither is picked again.
    assert cut_language_or_address_reread.jobs_with_a_language_or_address_at_its_length(apps) == {}


empty_link_or_address_reread = importlib.import_module(
    "jobs.migrations.0068_reread_posts_with_an_empty_link_or_an_address_cut"
)
# A description as earlier code stored one whose link was around an image alone.
EMPTY_LINK_STORED = f'<p><a href="https://acme.example/" rel="{LINK_REL}"></a></p>'
word_parts_quranic_marks_and_digits = importlib.import_module(
    "jobs.migrations.0069_search_word_parts_quranic_marks_and_digits"
)
# A description a Persian word's parts in, kept apart by a zero-width non-joiner.
WORD_PARTS_STORED = "<p>برنامه\u200cنویس ارشد</p>"
marks_and_acronyms_0071 = importlib.import_module(
    "jobs.migrations.0071_search_extended_arabic_marks_and_hebrew_acronyms"
)


def test_0068_reads_again_the_posts_stored_with_an_empty_link_or_an_address_cut_in_a_character(
    fake_greenhouse,
):
    """Earlier code kept a link that shows nothing (around an image it dropped, or blanks), a
    stop for Tab of no size, and cut an address before a character as written, not as its
    escapes read: "e" of "e%CC%81" kept, the Apply link naming another page. The sync now drops
    such a link's tags and cuts before the letter; the jobs stored with such a link, and every
    job whose address is within an escaped character of its field's length, are read again."""
    posts = fake_greenhouse.jobs("acme-robotics")
    rel = f'rel="{LINK_REL}"'
    posts[0]["content"] = html.escape(
        '<p>Apply: <a href="https://acme.example/apply"><img src="https://acme.example/a.png" '
        'alt="Apply"></a></p>'
    )
    # Its end after an em space, which shows nothing either.
    posts[1]["content"] = html.escape(
        '<p><a href="https://social.example/acme"><span></span><br>\u2003</a> '
        '<a href="https://acme.example/blog">our blog</a></p>'
    )
    # Left alone: links whose ends follow a tag and "&nbsp;", around words, and one of a sign.
    posts[2]["content"] = html.escape(
        '<p><a href="https://acme.example/apply"><strong>Apply</strong></a> or '
        '<a href="https://acme.example/faq">read&nbsp;</a> <a href="/next">→</a></p>'
    )
    # Cut by earlier code between "e" and its accent's escapes, by new code before "e".
    head = posts[3]["absolute_url"] + "?ref="
    head += "x" * (ADDRESS_MAX_LENGTH - len(head) - len("e%CC"))
    posts[3]["absolute_url"] = f"{head}e%CC%81t%C3%A9"
    posts[3]["content"] = html.escape('<p>Read <a href="#apply">how to apply</a>.</p>')
    # An address sent one escaped character short of its field: picked (and picked again); one
    # a character shorter: left alone.
    near = ADDRESS_MAX_LENGTH - MAX_ESCAPED_CHARACTER_CHARS
    for post, length in ((posts[4], near), (posts[2], near - 1)):
        start = post["absolute_url"] + "?q=caf%C3%A9&ref="
        post["absolute_url"] = start + "y" * (length - len(start))
    jobs = jobs_synced_from(fake_greenhouse, posts)
    descriptions = [job.description_html for job in jobs]
    assert descriptions[0] == "<p>Apply: </p>" and "<span></span><br>\u2003 <a" in descriptions[1]
    assert descriptions[2].count("</a>") == 3
    assert [len(job.absolute_url) for job in jobs[2:5]] == [near - 1, len(head), near]
    # As earlier code stored them.
    Job.objects.filter(pk=jobs[0].pk).update(
        description_html=f'<p>Apply: <a href="https://acme.example/apply" {rel}></a></p>'
    )
    Job.objects.filter(pk=jobs[1].pk).update(
        description_html=descriptions[1].replace(
            "<p><span></span><br>\u2003",
            f'<p><a href="https://social.example/acme" {rel}><span></span><br>\u2003</a>',
        )
    )
    Job.objects.filter(pk=jobs[3].pk).update(
        absolute_url=f"{head}e",
        description_html=descriptions[3].replace(f'href="{head}#apply"', f'href="{head}e#apply"'),
    )
    picked = {job.pk: job.organization_id for job in (jobs[0], jobs[1], jobs[3], jobs[4])}

    # What the reread_posts command picks: the same jobs.
    assert (
        empty_link_or_address_reread.jobs_with_an_empty_link_or_an_address_maybe_cut(apps) == picked
    )
    with CaptureQueriesContext(db_connection) as queries:
        empty_link_or_address_reread.forget_hashes_of_posts_with_an_empty_link_or_an_address_cut(
            apps, None
        )

    # An UPDATE of each job picked, then one of their orgs' connections, as a sync writes them.
    tables = [re.match(r'UPDATE "(\w+)"', query["sql"]) for query in queries]
    in_order = ["jobs_job"] * 4 + ["jobs_greenhouseconnection"]
    assert [table[1] for table in tables if table] == in_order

    assert_read_again(set(picked), forgotten_by="acme", kept_by="tiny")
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    stored = [Job.objects.get(pk=job.pk) for job in jobs]
    assert [job.description_html for job in stored] == descriptions
    assert stored[3].absolute_url == head
    # Stored as the sync now stores them: the links are picked no more, the addresses, as near
    # their field's length still, again (one write each).
    assert empty_link_or_address_reread.jobs_with_an_empty_link_or_an_address_maybe_cut(apps) == {
        job.pk: job.organization_id for job in jobs[3:5]
    }


# Characters a link of which shows nothing: line ends and a tab, spaces of other scripts, format
# characters in and beyond the first plane (zero-width, joiners, direction marks, a tag space, a
# musical format character), a lone combining mark.
SHOWING_NOTHING = (
    "\n",
    "\r\n",
    "\t",
    "\u00a0",
    "\u3000",
    "\u180e",
    "\u200b",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u200e",
    "\u202e",
    "\u034f",
    "\u0301",
    "\U000e0020",
    "\U0001d173",
)


def test_0068_finds_in_the_database_every_link_the_sanitizer_drops(db):
    """The database looks only for a link's end after no ASCII letter or digit, with its own
    regexes (PostgreSQL's, or Python's for SQLite's REGEXP), before the sanitizer reads them:
    a link of any character that shows nothing, a line end, one beyond the first plane or a
    lone mark, is found there, the same jobs as the sanitizer's check run on every job."""
    forge = Organization.objects.create(name="Forge", slug="forge")
    rel = f'rel="{LINK_REL}"'
    for blank in SHOWING_NOTHING:
        make_job(forge, "Welder", description_html=f'<p><a href="/a" {rel}>{blank}</a></p>')
    make_job(forge, "Welder", description_html=f'<p><a href="/a" {rel}>Apply</a></p>')
    dropped = {
        pk: organization_pk
        for pk, organization_pk, description_html in Job.objects.values_list(
            "pk", "organization_id", "description_html"
        )
        if without_empty_links(description_html) != description_html
    }
    assert len(dropped) == len(SHOWING_NOTHING)

    assert empty_link_or_address_reread.jobs_with_an_empty_link_or_an_address_maybe_cut(apps) == (
        dropped
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("migration", "cut"),
    [
        (cut_language_or_address_reread, {"language": "en-GB-oxendict-x-lon"}),
        (
            empty_link_or_address_reread,
            {"description_html": EMPTY_LINK_STORED},
        ),
        (word_parts_quranic_marks_and_digits, {"description_html": WORD_PARTS_STORED}),
    ],
    ids=["0066", "0068", "0069"],
)
def test_a_reread_migration_undone_writes_nothing_and_migrated_again_reads_the_posts_again(
    fake_greenhouse, migration, cut
):
    posts = fake_greenhouse.jobs("acme-robotics")
    [job] = jobs_synced_from(fake_greenhouse, posts[:1])
    Job.objects.filter(pk=job.pk).update(**cut)

    def hashes_and_fingerprints():
        return (
            dict(Job.objects.values_list("pk", "payload_hash")),
            dict(GreenhouseConnection.objects.values_list("pk", "applied_board_fingerprint")),
        )

    stored = hashes_and_fingerprints()
    try:
        with CaptureQueriesContext(db_connection) as queries:
            migrate_to(*migration.Migration.dependencies)
        assert not [query for query in queries if '"jobs_' in query["sql"]]
        assert hashes_and_fingerprints() == stored

        migrate_to(("jobs", migration.__name__.rpartition(".")[2]))
        assert_read_again({job.pk}, forgotten_by="acme", kept_by="tiny")
    finally:
        migrate_to(*MigrationExecutor(db_connection).loader.graph.leaf_nodes())


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="row locks")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("migration", "forward", "picked", "cut"),
    [
        (
            cut_names_reparse,
            "forget_hashes_of_posts_with_a_name_cut_inside_a_character",
            "jobs_with_a_value_at_its_fields_length",
            {"title": "T" * 500},
        ),
        (
            cut_language_or_address_reread,
            "forget_hashes_of_posts_with_a_language_or_address_cut",
            "jobs_with_a_language_or_address_at_its_length",
            {"language": "en-GB-oxendict-x-lon"},
        ),
        (
            empty_link_or_address_reread,
            "forget_hashes_of_posts_with_an_empty_link_or_an_address_cut",
            "jobs_with_an_empty_link_or_an_address_maybe_cut",
            {"description_html": EMPTY_LINK_STORED},
        ),
        (
            word_parts_quranic_marks_and_digits,
            "forget_hashes_of_posts_with_word_parts_apart",
            "jobs_with_word_parts_apart_in_their_post",
            {"description_html": WORD_PARTS_STORED},
        ),
    ],
    ids=["0064", "0066", "0068", "0069"],
)
def test_a_reread_migration_run_as_a_sync_writes_two_of_its_jobs_waits_for_that_sync(
    fake_greenhouse, migration, forward, picked, cut
):
    """A sync writes its changed jobs one at a time, in its board's order, holding each until
    it commits: a migration updating them all in one statement held the job it found first as
    it waited for another the sync had written, and the sync then wrote the first: a deadlock,
    PostgreSQL killing the migration (a deploy's migrate failed)."""
    posts = fake_greenhouse.jobs("acme-robotics")
    jobs = jobs_synced_from(fake_greenhouse, posts[:2])
    Job.objects.filter(pk__in=[job.pk for job in jobs]).update(**cut)
    # In the order the migration finds them.
    found_first, found_last = getattr(migration, picked)(apps)

    migrated_as_a_sync_writes(migration, forward, apps, None, jobs=(found_first, found_last))

    assert_read_again({job.pk for job in jobs}, forgotten_by="acme", kept_by="tiny")


def migrated_as_a_sync_writes(migration, forward: str, *arguments, jobs: tuple[int, int]) -> None:
    """Run the migration's `forward` (in a transaction if the migration is atomic) while a sync
    writes the job it finds last (`jobs`, in the order it finds them), then the one it finds
    first, in one transaction; the migration ends without an error."""
    from tests.test_concurrency import started_until_it_waits_on_me_or_ends

    found_first, found_last = jobs

    def migrate() -> None:
        with transaction.atomic() if migration.Migration.atomic else nullcontext():
            getattr(migration, forward)(*arguments)

    thread, outcome = thread_with_outcome(migrate)
    with transaction.atomic():
        Job.objects.filter(pk=found_last).update(synced_at=timezone.now())
        started_until_it_waits_on_me_or_ends(thread, migration.__name__)
        Job.objects.filter(pk=found_first).update(synced_at=timezone.now())
    thread.join(timeout=30)
    assert outcome == [None]


without_arabic_and_hebrew_marks = importlib.import_module(
    "jobs.migrations.0067_search_without_arabic_and_hebrew_marks"
)


@pytest.mark.django_db(transaction=True)
def test_0067_makes_the_words_stored_before_it_found_either_way_as_people_type_them():
    """As 0066 stored them, Arabic and Hebrew kept their optional marks, alef its hamza and a
    word its tatweel, Persian its yeh and keheh, Arabic-Indic and Persian digits their own
    shapes, Turkish its dotless ı and Icelandic its thorn and eth: "اداري" missed "مدير إداري
    أول", "مدير" missed "مدیر", "3" missed "٣", "מהנדס" missed "מְהַנְדֵּס", "yazilim" missed
    "Yazılım", "thor" missed "Þór"."""
    migrate_with_jobs(
        ("jobs", "0066_reread_posts_with_a_language_or_address_cut"),
        ("jobs", "0067_search_without_arabic_and_hebrew_marks"),
        organization={"name": "مؤسسة الإبداع", "search_name": "مؤسسة الإبداع", "slug": "ibdaa"},
        jobs=[
            (1, "مدير إداري أول", "الرياض"),
            (2, "Welder", "نبحث عن مُهَنْدِس مع خبرة"),
            (3, "מְהַנְדֵּס תוכנה", "Tel Aviv"),
            (4, "Yazılım Geliştirici", "İzmir"),
            (5, "Painter", "Zurich"),
            (6, "مدیر فنی", "کارشناس ۵ سال، نمایندۀ"),
            (7, "لحام", "خبرة ٣ سنوات"),
            (8, "Þór Logistics", "Garðabær, Ħamrun, Eŋgelas"),
        ],
        tags={5: ["مهـندس"]},
        with_search_tags=True,
    )

    def found(query: str) -> list[str]:
        return sorted(job.title for job in job_search(query=query))

    assert found("اداري اول") == found("إداري أول") == ["مدير إداري أول"]
    assert found("مهندس") == found("مُهَنْدِس") == found("مهـندس") == ["Painter", "Welder"]
    assert found("מהנדס") == found("מְהַנְדֵּס") == ["מְהַנְדֵּס תוכנה"]
    assert found("yazilim izmir") == found("Yazılım İzmir") == ["Yazılım Geliştirici"]
    assert found("مدير") == found("مدیر") == ["مدير إداري أول", "مدیر فنی"]
    assert found("كارشناس 5") == found("کارشناس ۵") == ["مدیر فنی"]
    assert found("3") == found("٣") == found("۳") == ["لحام"]
    assert found("thor gardabaer hamrun engelas") == ["Þór Logistics"]
    assert found("Þór Garðabær Ħamrun Eŋgelas") == ["Þór Logistics"]
    everyone = [
        "Painter", "Welder", "Yazılım Geliştirici", "Þór Logistics", "מְהַנְדֵּס תוכנה", "لحام",
        "مدير إداري أول", "مدیر فنی",
    ]  # fmt: skip
    assert found("الابداع") == found("الإبداع") == everyone
    assert Organization.objects.get(slug="ibdaa").search_name == "مؤسسه الابداع"
    assert Job.objects.get(greenhouse_id=2).search_text == "نبحث عن مهندس مع خبره"
    assert Job.objects.get(greenhouse_id=5).search_tags == "مهندس"
    assert Job.objects.get(greenhouse_id=1).title == "مدير إداري أول"
    assert Job.objects.get(greenhouse_id=6).search_text == "كارشناس 5 سال، نماينده"
    assert Job.objects.get(greenhouse_id=8).search_title == "THor Logistics"


def test_0067_writes_only_the_rows_holding_what_search_now_folds_each_on_its_own(db):
    """Picked by a regex of the characters folded since (FOLDED_SINCE_0067), written each in a
    statement of its own, the jobs first, then the orgs: the migration is not atomic, so that
    none is held while it waits for a row a sync holds."""
    assert without_arabic_and_hebrew_marks.Migration.atomic is False
    forge = Organization.objects.create(name="Forge", slug="forge")
    named = Organization.objects.create(name="Ibdaa", slug="ibdaa")
    Organization.objects.filter(pk=named.pk).update(search_name="الإبداع")
    titles = ("Welder", "مُهَنْدِس", "Zürich", "Yazılım", "۵ سال", "Þór")
    jobs = [make_job(forge, title) for title in titles]
    # As older code stored them, and a job of ASCII words.
    Job.objects.filter(pk=jobs[1].pk).update(search_title="مُهَنْدِس")
    Job.objects.filter(pk=jobs[3].pk).update(search_title="Yazılım", search_text="İzmir ıı")
    Job.objects.filter(pk=jobs[4].pk).update(search_title="۵ سال")
    Job.objects.filter(pk=jobs[5].pk).update(search_title="Þór")
    # As no code since 0027 stores it, "ü" kept: 0067 reads only the rows its regex picks.
    Job.objects.filter(pk=jobs[2].pk).update(search_title="Zürich")
    stored = dict(Job.objects.values_list("pk", "search_title"))

    with CaptureQueriesContext(db_connection) as queries:
        without_arabic_and_hebrew_marks.store_without_arabic_and_hebrew_marks(
            apps, types.SimpleNamespace(connection=db_connection)
        )

    tables = [re.match(r'UPDATE "(\w+)"', query["sql"]) for query in queries]
    assert [table[1] for table in tables if table] == ["jobs_job"] * 4 + ["jobs_organization"]
    assert dict(Job.objects.values_list("pk", "search_title")) == {
        **stored,
        jobs[1].pk: "مهندس",
        jobs[3].pk: "Yazilim",
        jobs[4].pk: "5 سال",
        jobs[5].pk: "THor",
    }
    assert Job.objects.get(pk=jobs[3].pk).search_text == "Izmir ii"
    assert Organization.objects.get(pk=named.pk).search_name == "Ibdaa"


def test_0067_picks_each_character_search_reads_otherwise_since_and_none_it_reads_as_before(db):
    """Its regex (FOLDED_SINCE_0067), as each database runs it, picks a search field holding any
    character search reads otherwise since 0067 (the marks, digits and letters of
    jobs.text.SCRIPT_LETTERS_FOLDED, and those UNACCENTED_LETTERS gained with it), as older
    code stored it, and none it reads as before: a row it missed kept words search no longer
    finds, and one it picked for nothing is written again for nothing."""
    marks = (*range(0x064B, 0x0660), 0x0670, 0x0640, *range(0x0591, 0x05BE), 0x05BF, 0x05C1)
    marks += (0x05C2, 0x05C4, 0x05C5, 0x05C7, *range(0x0660, 0x066A), *range(0x06F0, 0x06FA))
    folded = [*map(chr, marks), *"أإآٱىةیکۀıÞþÐðĦħŊŋ", "ﺃ", "\ufb2a"]  # presentation forms
    kept = ["ؤ", "ئ", "ا", "ي", "ك", "ه", "ے", "ە", "\u05be", "\u05c0", "\u05c3", "\u05c6", "0"]
    kept += ["9", "i", "I", "d", "D", "h", "H", "n", "N", "ß", "ø", "ł", "đ", "é", "Ø"]
    forge = Organization.objects.create(name="Forge", slug="forge")
    jobs = {character: make_job(forge, "Welder").pk for character in folded + kept}
    for character, pk in jobs.items():
        # As older code stored it: NFKD without the Latin accents, composed again.
        stored = unicodedata.normalize("NFC", unicodedata.normalize("NFKD", character))
        Job.objects.filter(pk=pk).update(search_title=f"a{stored}b")
    holding = without_arabic_and_hebrew_marks.holding_characters_folded_since_0067("Job")

    picked = set(Job.objects.filter(holding).values_list("pk", flat=True))

    assert picked == {jobs[character] for character in folded}


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="row locks")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("migration", "forward", "stored", "searched"),
    [
        (
            without_arabic_and_hebrew_marks,
            "store_without_arabic_and_hebrew_marks",
            ("مُهَنْدِس", "מְהַנְדֵּס"),
            ["מהנדס", "مهندس"],
        ),
        (
            word_parts_quranic_marks_and_digits,
            "store_word_parts_apart_without_quranic_marks",
            ("वेल्डर २०२४", "القرءان ۚ"),
            ["القرءان ", "वेल्डर 2024"],
        ),
        (
            marks_and_acronyms_0071,
            "store_without_extended_arabic_marks_and_acronym_quotes",
            ("رحيمࣰا", 'סמנכ"ל'),
            ["סמנכל", "رحيما"],
        ),
    ],
    ids=["0067", "0069", "0071"],
)
def test_a_search_migration_run_as_a_sync_writes_two_of_its_jobs_waits_for_that_sync(
    migration, forward, stored, searched
):
    """As the reread migrations do (posts_read_again): a sync holds each job it writes until it
    commits, and a migration holding the first job it wrote while it waited for another the
    sync had written, as the sync then wrote the first, was a deadlock."""
    forge = Organization.objects.create(name="Forge", slug="forge")
    found_first, found_last = (make_job(forge, title).pk for title in stored)
    # As older code stored them.
    Job.objects.filter(pk=found_first).update(search_title=stored[0])
    Job.objects.filter(pk=found_last).update(search_title=stored[1])

    migrated_as_a_sync_writes(
        migration,
        forward,
        apps,
        types.SimpleNamespace(connection=db_connection),
        jobs=(found_first, found_last),
    )

    assert sorted(Job.objects.values_list("search_title", flat=True)) == searched


slug_unique_in_any_case = importlib.import_module(
    "jobs.migrations.0070_organization_slug_unique_in_any_case"
)
MIGRATION_0070 = ("jobs", "0070_organization_slug_unique_in_any_case")


def slug_in_any_case_constraint_made() -> bool:
    return SLUG_IN_ANY_CASE_CONSTRAINT in valid_indexes("jobs_organization")


def organizations_before_0070(*slugs: str) -> list[int]:
    """The database migrated to 0070's dependencies, with an org at each slug (as older code
    saved them, unchecked): their pks."""
    before = slug_unique_in_any_case.Migration.dependencies
    migrate_to(*before)
    state = MigrationExecutor(db_connection).loader.project_state(before)
    stored = state.apps.get_model("jobs", "Organization").objects
    return [stored.create(name=f"Org {slug}", slug=slug).pk for slug in slugs]


@pytest.mark.django_db(transaction=True)
def test_0070_stops_naming_the_orgs_whose_slugs_differ_only_in_case_and_changes_nothing():
    """Saved by code before slugs were checked in any case, "NorthWind" and "northwind" are two
    orgs at an address that differs only in case. The migration renames neither (which keeps its
    address is the operator's to choose, and people may have both): it stops, with their change
    pages, before the constraint, which could not be made over them, nothing changed; the
    database check orgsite.W010 says the same before migrate runs it. Once one has another slug,
    given in Django's admin, it runs."""
    traders, north, _ = organizations_before_0070("NorthWind", "northwind", "acme")
    try:
        with pytest.raises(CommandError) as refused:
            migrate_to(MIGRATION_0070)

        assert str(refused.value) == (
            "Organizations whose slugs differ only in case, one address in any case: "
            f"“NorthWind” (Org NorthWind, /admin/jobs/organization/{traders}/change/) and "
            f"“northwind” (Org northwind, /admin/jobs/organization/{north}/change/). Migration "
            "jobs 0070 makes slugs unique in any case and changes no org's address itself, as "
            "links to it may be out there: it stops, having changed nothing, while any are "
            "left. In Django's admin, give all but one org of each group another slug (its "
            "pages move to that address), then run migrate again."
        )
        assert MIGRATION_0070 not in MigrationRecorder(db_connection).applied_migrations()
        assert not slug_in_any_case_constraint_made()
        assert sorted(Organization.objects.values_list("slug", flat=True)) == [
            "NorthWind",
            "acme",
            "northwind",
        ]
        warned = organization_slugs_check(databases=["default"])
        assert [(message.id, message.msg) for message in warned] == [
            ("orgsite.W010", str(refused.value))
        ]

        Organization.objects.filter(pk=traders).update(slug="northwind-traders")
        assert organization_slugs_check(databases=["default"]) == []
        migrate_to(MIGRATION_0070)
        assert slug_in_any_case_constraint_made()
    finally:
        Organization.objects.filter(pk=traders).update(slug="northwind-traders")
        migrate_to(*MigrationExecutor(db_connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_0070_keeps_every_slug_and_has_the_database_refuse_one_taken_in_any_case():
    """An org saved with capitals before slugs had to be lowercase keeps its slug, its address;
    an org at it in other capitals is then refused whatever code writes it. Migrated back, the
    constraint goes."""
    organizations_before_0070("NorthWind", "acme")
    try:
        migrate_to(MIGRATION_0070)
        assert slug_in_any_case_constraint_made()
        assert sorted(Organization.objects.values_list("slug", flat=True)) == ["NorthWind", "acme"]
        with pytest.raises(IntegrityError), transaction.atomic():
            Organization.objects.create(name="North Wind", slug="northwind")

        migrate_to(*slug_unique_in_any_case.Migration.dependencies)
        assert not slug_in_any_case_constraint_made()
    finally:
        migrate_to(*MigrationExecutor(db_connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_0069_makes_the_words_stored_before_it_found_either_way_as_people_type_them():
    """As 0068 stored them, a zero-width non-joiner between a Persian word's parts read as
    nothing, the Quranic annotation marks, honorific signs and small waw kept, and the digits
    of scripts other than Arabic's and Persian's their own shapes: "نویس" missed "برنامه‌نویس",
    "القرءان" missed "ٱلْقُرْءَانِ ۚ", "محمد" missed "محمدؐ", "2024" missed "२०२४"."""
    migrate_with_jobs(
        ("jobs", "0068_reread_posts_with_an_empty_link_or_an_address_cut"),
        ("jobs", "0069_search_word_parts_quranic_marks_and_digits"),
        organization={
            "name": "نرم\u200cافزار پارس",
            "search_name": "نرمافزار پارس",
            "slug": "pars",
        },
        jobs=[
            (1, "برنامه\u200cنویس ارشد", "تهران"),
            (2, "Quran teacher", "معلم القرءان ۚ بهۦ"),
            (3, "مسجد محمدؐ", ""),
            (4, "वेल्डर २०२४", "मुंबई"),
            (5, "Welder", "ช่างเชื่อม ๒๐๒๔"),
            (6, "Painter", "Zurich"),
        ],
        tags={6: ["کتاب\u200cها"]},
        with_search_tags=True,
    )

    def found(query: str) -> list[str]:
        return sorted(job.title for job in job_search(query=query))

    assert found("نویس") == found("برنامه\u200cنویس") == ["برنامه\u200cنویس ارشد"]
    assert found("القرءان به") == found("ٱلْقُرْءَانِ ۚ بِهِۦ") == ["Quran teacher"]
    assert found("محمد") == found("محمدؐ") == ["مسجد محمدؐ"]
    assert found("2024") == found("२०२४") == found("๒๐๒๔") == ["Welder", "वेल्डर २०२४"]
    assert found("کتاب") == ["Painter"]
    assert len(found("افزار")) == 6
    assert Organization.objects.get(slug="pars").search_name == "نرم افزار پارس"
    assert Job.objects.get(greenhouse_id=2).search_text == "معلم القرءان  به"
    assert Job.objects.get(greenhouse_id=6).search_tags == "كتاب ها"
    assert Job.objects.get(greenhouse_id=1).title == "برنامه\u200cنویس ارشد"


def test_0069_reads_again_the_posts_whose_description_or_places_hold_a_words_parts_apart(
    fake_greenhouse,
):
    """A job's search text is read from its post's description and places, which it was
    stored without the non-joiner of: those whose description or places hold one beside an
    Arabic-script letter are read again, and none holding one in another script's word."""
    posts = fake_greenhouse.jobs("acme-robotics")
    posts[0]["content"] = html.escape(WORD_PARTS_STORED)
    posts[1]["location"]["name"] = "شهرک\u200cغرب، تهران"
    posts[2]["content"] = html.escape("<p>क्\u200cष, Auf\u200clage</p>")
    jobs = jobs_synced_from(fake_greenhouse, posts[:3])
    # As code before 0069 stored them: the non-joiner read as nothing.
    for job, parts in ((jobs[0], "برنامه نويس"), (jobs[1], "شهرك غرب")):
        assert parts in job.search_text
        damaged = job.search_text.replace(parts, parts.replace(" ", ""))
        Job.objects.filter(pk=job.pk).update(search_text=damaged)

    word_parts_quranic_marks_and_digits.forget_hashes_of_posts_with_word_parts_apart(apps, None)

    assert_read_again({jobs[0].pk, jobs[1].pk}, forgotten_by="acme", kept_by="tiny")
    acme = GreenhouseConnection.objects.get(organization__slug="acme")
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    for job in jobs:
        assert Job.objects.get(pk=job.pk).search_text == job.search_text
    assert [job.pk for job in job_search(query="نویس")] == [jobs[0].pk]
    assert [job.pk for job in job_search(query="غرب")] == [jobs[1].pk]


def test_0069_reads_again_the_jobs_whose_units_hold_a_words_parts_apart(db):
    """Departments' and offices' names, and offices' places, are read into the search text."""
    forge = Organization.objects.create(name="Forge", slug="forge")
    jobs = [make_job(forge, "Welder") for _ in range(5)]
    units = [
        Department.objects.create(organization=forge, greenhouse_id=1, name="فروش\u200cها"),
        Office.objects.create(organization=forge, greenhouse_id=2, name="دفتر\u200cمرکزی"),
        Office.objects.create(
            organization=forge, greenhouse_id=3, name="HQ", location="ری\u200cشهر"
        ),
        Office.objects.create(organization=forge, greenhouse_id=4, name="Auf\u200clage"),
    ]
    jobs[0].departments.add(units[0])
    jobs[1].offices.add(units[1])
    jobs[2].offices.add(units[2])  # its place alone, its name without one
    jobs[3].offices.add(units[3])

    picked = word_parts_quranic_marks_and_digits.jobs_with_word_parts_apart_in_their_post(apps)

    assert picked == {job.pk: forge.pk for job in jobs[:3]}


def test_0069_writes_only_the_rows_search_reads_otherwise_each_on_its_own(db):
    """Picked by a regex of the marks and digits folded since (folded_since_0069), or of a
    non-joiner beside an Arabic-script letter in a title or name, or of an Arabic-script
    letter in tags as searched, written each in a statement of its own, the jobs first, then
    the orgs: the migration is not atomic, so that none is held while it waits for a row a
    sync holds."""
    assert word_parts_quranic_marks_and_digits.Migration.atomic is False
    forge = Organization.objects.create(name="Forge", slug="forge")
    named = Organization.objects.create(name="نرم\u200cافزار", slug="pars")
    Organization.objects.filter(pk=named.pk).update(search_name="نرمافزار")
    titles = ("Welder", "वेल्डर २०२४", "برنامه\u200cنویس", "معلم ۚ", "Auf\u200clage", "كتاب")
    jobs = [make_job(forge, title) for title in titles]
    jobs.append(make_job(forge, "Painter", tags=["کتاب\u200cها"]))
    # As older code stored them, and jobs it stored as new code does.
    Job.objects.filter(pk=jobs[1].pk).update(search_title="वेल्डर २०२४")
    Job.objects.filter(pk=jobs[2].pk).update(search_title="برنامهنويس")
    Job.objects.filter(pk=jobs[3].pk).update(search_title="معلم ۚ")
    Job.objects.filter(pk=jobs[6].pk).update(search_tags="كتابها")
    stored = dict(Job.objects.values_list("pk", "search_title"))

    with CaptureQueriesContext(db_connection) as queries:
        word_parts_quranic_marks_and_digits.store_word_parts_apart_without_quranic_marks(
            apps, types.SimpleNamespace(connection=db_connection)
        )

    tables = [re.match(r'UPDATE "(\w+)"', query["sql"]) for query in queries]
    assert [table[1] for table in tables if table] == ["jobs_job"] * 4 + ["jobs_organization"]
    assert dict(Job.objects.values_list("pk", "search_title")) == {
        **stored,
        jobs[1].pk: "वेल्डर 2024",
        jobs[2].pk: "برنامه نويس",
        jobs[3].pk: "معلم ",
    }
    assert Job.objects.get(pk=jobs[6].pk).search_tags == "كتاب ها"
    assert Organization.objects.get(pk=named.pk).search_name == "نرم افزار"


def code_points_read_by_the_database(
    pattern: str, *, before: str = "", after: str = "", up_to: int = sys.maxunicode
) -> set[str]:
    """The characters (every code point but NUL and the surrogates, which no database stores,
    `up_to` the one given) in whose text, between `before` and `after`, the database finds
    `pattern`, with its own regexes (PostgreSQL's, or Python's for SQLite's REGEXP)."""
    with db_connection.cursor() as cursor:
        cursor.execute(
            EVERY_CODE_POINT_MATCHING[db_connection.vendor == "postgresql"],
            [up_to, before, after, pattern],
        )
        return {chr(code) for (code,) in cursor.fetchall()}


# SQLite's, then PostgreSQL's.
EVERY_CODE_POINT_MATCHING = (
    "WITH RECURSIVE code(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM code WHERE n < %s) "
    "SELECT n FROM code WHERE (n < 55296 OR n > 57343) AND (%s || char(n) || %s) REGEXP %s",
    "SELECT n FROM generate_series(1, %s) AS n "
    "WHERE (n < 55296 OR n > 57343) AND (%s || chr(n) || %s) ~ %s",
)
EVERY_CHARACTER = [chr(code) for code in (*range(1, 0xD800), *range(0xE000, sys.maxunicode + 1))]


def test_0069_picks_each_character_search_reads_otherwise_since_and_none_it_reads_as_before(
    db, monkeypatch
):
    """Its regex (folded_since_0069), as each database runs it over every code point, picks
    each character that older code stored (as it folded any character) and search now reads
    otherwise than older code did (a mark or letter it reads as nothing, a digit as ASCII's),
    and none other that older code stored: a row it missed kept words search no longer finds,
    and one it picked for nothing is written again for nothing. (Some it stored are read
    otherwise than stored, before and since: "æ" of "ǣ" as "ae", "ø" of "ǿ" as "o".)"""
    # Folded one by one, as search folds each character of a text; those Unicode leaves
    # unassigned or to private use fold to themselves, before and since (a second a million).
    assigned = frozenset(
        character
        for character in EVERY_CHARACTER
        if unicodedata.category(character) not in ("Cn", "Co")
    )
    new = dict(text._foldings(assigned)[0])
    # Older code: without the marks and letters 0069 folds, and only Arabic-Indic and Persian
    # digits as ASCII ones.
    added = (*range(0x0610, 0x061B), *range(0x06D6, 0x06DD), *range(0x06DF, 0x06E9))
    added += (*range(0x06EA, 0x06EE),)
    older_table = {
        code: value for code, value in text.SCRIPT_LETTERS_FOLDED.items() if code not in added
    }
    monkeypatch.setattr(text, "SCRIPT_LETTERS_FOLDED", older_table)
    monkeypatch.setattr(text, "DECIMAL_DIGIT_RE", re.compile("[\u0660-\u0669\u06f0-\u06f9]"))
    text._foldings.cache_clear()
    try:
        older = dict(text._foldings(assigned)[0])
    finally:
        text._foldings.cache_clear()
    stored_by_older_code = set(EVERY_CHARACTER).difference(older).union(*older.values())
    read_otherwise = {
        character
        for character in stored_by_older_code
        if new.get(character, character) != older.get(character, character)
    }

    picked = code_points_read_by_the_database(
        word_parts_quranic_marks_and_digits.folded_since_0069()
    )

    assert picked & stored_by_older_code == read_otherwise
    assert {"ۖ", "ؐ", "ۥ", "ۦ", "\u0966", "\u0e55", "\U0001e950"} <= read_otherwise
    assert read_otherwise.isdisjoint({"\u06dd", "۞", "۩", "\u0660", "\u06f5", "５", "\u0bf0"})


def test_0069_picks_a_non_joiner_beside_each_character_search_reads_it_as_a_space_beside(db):
    """Its regex of a non-joiner beside an Arabic-script letter (NON_JOINER_BESIDE_ARABIC), as
    each database runs it over every code point, finds one before or after the characters the
    code's (WORD_PART_BREAK_RE) reads it as a space beside, and no other: over the first
    plane, where every Arabic-script letter is (ARABIC_SCRIPT), a pass a seventeenth of one
    over every code point."""
    pattern = word_parts_quranic_marks_and_digits.NON_JOINER_BESIDE_ARABIC
    beside = {
        character
        for character in EVERY_CHARACTER[: 0xFFFF - 0x800]
        if WORD_PART_BREAK_RE.search(f"\u200c{character}")
        and WORD_PART_BREAK_RE.search(f"{character}\u200c")
    }
    assert {"ا", "ی", "ﺃ", "\u064e"} <= beside and beside.isdisjoint("aक\u200c ")

    assert code_points_read_by_the_database(pattern, before="\u200c", up_to=0xFFFF) == beside
    assert code_points_read_by_the_database(pattern, after="\u200c", up_to=0xFFFF) == beside


@pytest.mark.django_db(transaction=True)
def test_0071_makes_the_words_stored_before_it_found_either_way_as_people_type_them():
    """As 0070 stored them, the marks of the Arabic Extended-A and -B blocks were kept, and a
    Hebrew acronym's quote or gershayim: "رحيما" missed "رَحِيمࣰا" (an open fathatan), "القران"
    missed "القرانࣖ" (a small high sad), "סמנכל" missed "סמנכ״ל"."""
    migrate_with_jobs(
        ("jobs", "0070_organization_slug_unique_in_any_case"),
        ("jobs", "0071_search_extended_arabic_marks_and_hebrew_acronyms"),
        organization={"name": "دار ࣖالحكمة", "search_name": "دار ࣖالحكمه", "slug": "dar"},
        jobs=[
            (1, "قارئ رحيمࣰا", "مكة"),
            (2, "Quran teacher", "معلم القرانࣖ \u0898"),
            (3, "Painter", "Zurich"),
            (4, "סמנכ״ל כספים", 'משרד בת"א, מהנדס ב"גוגל"'),
        ],
        tags={3: ["ࣥمعلم", 'מנכ"ל']},
        with_search_tags=True,
    )

    def found(query: str) -> list[str]:
        return sorted(job.title for job in job_search(query=query))

    assert found("رحيما") == found("رحيمࣰا") == ["قارئ رحيمࣰا"]
    assert found("القران") == found("القرانࣖ") == ["Quran teacher"]
    assert found("معلم") == ["Painter", "Quran teacher"]
    assert found("סמנכל") == found('סמנכ"ל') == found("סמנכ״ל") == ["סמנכ״ל כספים"]
    assert found("בתא") == found("גוגל") == ["סמנכ״ל כספים"]
    assert found("מנכל") == ["Painter"]
    assert len(found("دار الحكمه")) == 4
    assert Organization.objects.get(slug="dar").search_name == "دار الحكمه"
    assert Job.objects.get(greenhouse_id=1).search_title == "قارئ رحيما"
    assert Job.objects.get(greenhouse_id=1).title == "قارئ رحيمࣰا"
    # As the sync now reads the post: no post need be read again.
    assert Job.objects.get(greenhouse_id=2).search_text == as_searched("معلم القرانࣖ \u0898")
    assert Job.objects.get(greenhouse_id=3).search_tags == "معلم\nמנכל"
    assert Job.objects.get(greenhouse_id=4).search_text == 'משרד בתא, מהנדס ב"גוגל"'
    assert Job.objects.get(greenhouse_id=4).search_title == "סמנכל כספים"


def test_0071_writes_only_the_rows_search_reads_otherwise_each_on_its_own(db):
    """Picked by a regex of the marks folded since, and of a quote between Hebrew letters
    (SEARCHED_OTHERWISE_SINCE_0071), written each in a statement of its own, the jobs first,
    then the orgs, only those whose words change: the migration is not atomic, so that none is
    held while it waits for a row a sync holds."""
    assert marks_and_acronyms_0071.Migration.atomic is False
    forge = Organization.objects.create(name="Forge", slug="forge")
    named = Organization.objects.create(name="دار", slug="dar")
    Organization.objects.filter(pk=named.pk).update(search_name="دارࣖ")
    titles = ("Welder", "رحيمࣰا", "القران", "\u08e2١", "סמנכ״ל", 'ב"גוגל"')
    jobs = [make_job(forge, title) for title in titles]
    # As older code stored them, and jobs it stored as new code does (a quote between Hebrew
    # letters that is no acronym's among them).
    Job.objects.filter(pk=jobs[1].pk).update(search_title="رحيمࣰا")
    Job.objects.filter(pk=jobs[2].pk).update(search_text="القرانࣖ")
    Job.objects.filter(pk=jobs[4].pk).update(search_title="סמנכ״ל")
    stored = dict(Job.objects.values_list("pk", "search_title"))

    with CaptureQueriesContext(db_connection) as queries:
        marks_and_acronyms_0071.store_without_extended_arabic_marks_and_acronym_quotes(
            apps, types.SimpleNamespace(connection=db_connection)
        )

    tables = [re.match(r'UPDATE "(\w+)"', query["sql"]) for query in queries]
    assert [table[1] for table in tables if table] == ["jobs_job"] * 3 + ["jobs_organization"]
    assert dict(Job.objects.values_list("pk", "search_title")) == {
        **stored,
        jobs[1].pk: "رحيما",
        jobs[4].pk: "סמנכל",
    }
    assert Job.objects.get(pk=jobs[2].pk).search_text == "القران"
    assert Job.objects.get(pk=jobs[3].pk).search_title == "\u08e21"
    assert Organization.objects.get(pk=named.pk).search_name == "دار"


def test_0071_reads_and_writes_the_rows_it_picks_a_batch_at_a_time(db, monkeypatch):
    """Picked by pk alone, then read and written a batch at a time: all the rows picked, their
    fields read and as stored, were held at once, nearly every Hebrew post's text twice over."""
    monkeypatch.setattr(half_width_kana, "BATCH", 2)
    forge = Organization.objects.create(name="Forge", slug="forge")
    jobs = [make_job(forge, f'סמנכ"ל {number}') for number in range(5)]
    Job.objects.filter(pk__in=[job.pk for job in jobs]).update(search_title='סמנכ"ל')
    to_store, store = half_width_kana.search_fields_to_store, half_width_kana.search_fields_store
    steps: list[tuple[str, int]] = []

    def read(*args, **kwargs):
        found = to_store(*args, **kwargs)
        steps.append(("read", len(found)))
        return found

    def written(apps, model_name, found):
        steps.append(("written", len(found)))
        return store(apps, model_name, found)

    monkeypatch.setattr(half_width_kana, "search_fields_to_store", read)
    monkeypatch.setattr(half_width_kana, "search_fields_store", written)

    marks_and_acronyms_0071.store_without_extended_arabic_marks_and_acronym_quotes(
        apps, types.SimpleNamespace(connection=db_connection)
    )

    assert steps == [("read", 2), ("written", 2)] * 2 + [("read", 1), ("written", 1)]
    assert set(Job.objects.values_list("search_title", flat=True)) == {
        f"סמנכל {number}" for number in range(5)
    }


def test_0071_picks_each_character_search_reads_otherwise_since_and_none_it_reads_as_before(
    db, monkeypatch
):
    """Its regex (SEARCHED_OTHERWISE_SINCE_0071), as each database runs it, picks each
    character that older code stored and search now reads otherwise, and none other that older
    code stored: over the first plane, where its marks are (none beyond it matches the regex's
    class)."""
    plane = EVERY_CHARACTER[: 0xFFFF - 0x800]
    assigned = frozenset(
        character for character in plane if unicodedata.category(character) not in ("Cn", "Co")
    )
    new = dict(text._foldings(assigned)[0])
    added = (*range(0x0898, 0x08A0), *range(0x08CA, 0x08E2), *range(0x08E3, 0x0900))
    older_table = {
        code: value for code, value in text.SCRIPT_LETTERS_FOLDED.items() if code not in added
    }
    monkeypatch.setattr(text, "SCRIPT_LETTERS_FOLDED", older_table)
    text._foldings.cache_clear()
    try:
        older = dict(text._foldings(assigned)[0])
    finally:
        text._foldings.cache_clear()
    stored_by_older_code = set(plane).difference(older).union(*older.values())
    read_otherwise = {
        character
        for character in stored_by_older_code
        if new.get(character, character) != older.get(character, character)
    }

    picked = code_points_read_by_the_database(
        marks_and_acronyms_0071.SEARCHED_OTHERWISE_SINCE_0071, up_to=0xFFFF
    )

    assert picked & stored_by_older_code == read_otherwise
    assert {"\u0898", "\u08ca", "\u08e1", "\u08e3", "\u08f0", "\u08ff"} <= read_otherwise
    assert read_otherwise.isdisjoint({"\u0890", "\u0891", "\u08e2", "\u08c9", "\u06dd"})


def test_0071_picks_a_quote_between_each_two_letters_search_reads_an_acronym_of(db):
    """Its regex (SEARCHED_OTHERWISE_SINCE_0071), as each database runs it over the first
    plane, finds a quote or gershayim after and before each letter that the code's
    (ACRONYM_QUOTE_RES) reads it away beside, in an acronym's place: a row it missed kept words
    search no longer finds. Other rows it picks are read and left as they are."""
    pattern = marks_and_acronyms_0071.SEARCHED_OTHERWISE_SINCE_0071
    plane = EVERY_CHARACTER[: 0xFFFF - 0x800]
    for quote in ('"', "\u05f4"):
        after = {c for c in plane if text.ACRONYM_QUOTE_RES[quote].search(f"\u05d0{quote}{c}")}
        before = {c for c in plane if text.ACRONYM_QUOTE_RES[quote].search(f"{c}{quote}\u05d0")}
        assert {"\u05d0", "\u05ea", "\u05f2"} <= after == before
        assert after.isdisjoint({"a", "\u05f3", "'", "\u05be", "\u0627"})

        assert after <= code_points_read_by_the_database(
            pattern, before=f"\u05d0{quote}", up_to=0xFFFF
        )
        assert before <= code_points_read_by_the_database(
            pattern, after=f"{quote}\u05d0", up_to=0xFFFF
        )


addresses_without_format_characters = importlib.import_module(
    "jobs.migrations.0072_account_addresses_without_format_characters"
)
MIGRATION_0072 = ("jobs", "0072_account_addresses_without_format_characters")
PASSWORD = "correct horse battery"


def signs_in(username: str) -> bool:
    response = Client().post("/accounts/login/", {"username": username, "password": PASSWORD})
    return response.status_code == 302


def test_0072_writes_addresses_and_usernames_without_the_characters_the_forms_drop(db):
    """Invited as "carol@example.org\u200b" before the forms dropped the space, an account was
    named so: signing in with the address the invitation showed was refused. One signed up
    with such an address kept it too. Other accounts are left as they are."""
    invited = User.objects.create_user("carol@example.org\u200b", "carol@example.org\u200b")
    invited.set_password(PASSWORD)
    invited.save()
    signed_up = User.objects.create_user("dave", "\u2060dave@example.org\ufeff", PASSWORD)
    persian = User.objects.create_user("نیما", "nima@example.org", PASSWORD)
    assert not signs_in("carol@example.org")

    left = addresses_without_format_characters.account_addresses_mend(apps)

    assert left == []
    assert dict(User.objects.values_list("pk", "email")) == {
        invited.pk: "carol@example.org",
        signed_up.pk: "dave@example.org",
        persian.pk: "nima@example.org",
    }
    assert User.objects.get(pk=invited.pk).username == "carol@example.org"
    assert signs_in("carol@example.org")
    assert [user.pk for user in accounts_with_email("dave@example.org")] == [signed_up.pk]


def test_0072_leaves_the_accounts_it_would_make_alike_another_and_names_them(db):
    """An account whose username would be another's in any case, or whose address another's
    (as password resets compare them), is left as it is, and both of two that would be alike:
    which is the person's is the operator's to choose. The others are written."""
    User.objects.create_user("Erin@example.org", "erin@example.org")
    erin = User.objects.create_user("erin@example.org\u200b", "erin.b@example.org")
    frank = User.objects.create_user("frank@example.org\u200b", "frank@example.org\u200b")
    frank_too = User.objects.create_user("frank@example.org\ufeff", "frank2@example.org")
    User.objects.create_user("gina", "gina@example.org")
    gina = User.objects.create_user("gina2", "GINA@example.org\u200b")
    mended = User.objects.create_user("hal@example.org\u200b", "hal@example.org\u200b")
    kim = User.objects.create_user("kim", "kim@example.org\u200b")
    kim_too = User.objects.create_user("kim2", "KIM@example.org\ufeff")

    left = addresses_without_format_characters.account_addresses_mend(apps)

    assert left == [
        (erin.pk, "erin@example.org\u200b", "erin.b@example.org", ("username",)),
        (frank.pk, "frank@example.org\u200b", "frank@example.org\u200b", ("username",)),
        (frank_too.pk, "frank@example.org\ufeff", "frank2@example.org", ("username",)),
        (gina.pk, "gina2", "GINA@example.org\u200b", ("address",)),
        (kim.pk, "kim", "kim@example.org\u200b", ("address",)),
        (kim_too.pk, "kim2", "KIM@example.org\ufeff", ("address",)),
    ]
    assert [User.objects.get(pk=pk).email for pk, _, _, _ in left] == [
        email for _, _, email, _ in left
    ]
    assert User.objects.get(pk=mended.pk).username == "hal@example.org"
    assert addresses_without_format_characters.accounts_left_message(left[:1]) == (
        "Accounts whose username or email address holds a character that shows nothing (a "
        "zero-width space pasted with it), left so, as without it each would be alike another "
        "account (in any case):\n- 'erin@example.org\\u200b' ('erin.b@example.org', "
        f"/admin/auth/user/{erin.pk}/change/): its username left with them, as its username "
        "would be another account's without them; it signs in only with its username typed "
        "with them.\nMigration jobs 0072 wrote the others without those characters. In Django's "
        "admin, delete the account no one uses, or give it another address and username, then "
        "write the other's without them."
    )


def test_0072_names_of_each_account_left_what_holds_the_characters_and_why(db):
    """Left only as its address would be another's, an account signs in with its username as
    ever: the message said of each that it signed in only with its username typed with them.
    It says of each what was left, what would be alike another's, and what that keeps from it."""
    User.objects.create_user("mia", "mia@example.org")
    mia = User.objects.create_user("mia2", "mia@example.org\u200b")
    User.objects.create_user("ned@example.org", "ned.a@example.org")
    ned = User.objects.create_user("ned@example.org\u200b", "ned.b@example.org\u200b")
    User.objects.create_user("oz@example.org", "oz@example.org")
    oz = User.objects.create_user("oz@example.org\u200b", "oz@example.org\u200b")

    left = addresses_without_format_characters.account_addresses_mend(apps)
    message = addresses_without_format_characters.accounts_left_message(left)

    assert (
        f"\n- 'mia2' ('mia@example.org\\u200b', /admin/auth/user/{mia.pk}/change/): its address "
        "left with them, as its address would be another account's without them; no password "
        "reset finds it (the form drops them).\n"
        f"- 'ned@example.org\\u200b' ('ned.b@example.org\\u200b', /admin/auth/user/{ned.pk}/"
        "change/): its username and address left with them, as its username would be another "
        "account's without them; it signs in only with its username typed with them, and no "
        "password reset finds it (the form drops them).\n"
        f"- 'oz@example.org\\u200b' ('oz@example.org\\u200b', /admin/auth/user/{oz.pk}/change/): "
        "its username and address left with them, as its username and address would be another "
        "account's without them; it signs in only with its username typed with them, and no "
        "password reset finds it (the form drops them).\n"
    ) in message
    assert "Each of these still signs in" not in message
    mia.set_password(PASSWORD)
    mia.save()
    assert signs_in("mia2")


def test_0072_writes_the_accounts_invitations_and_confirmed_address_without_them_too(db):
    """Its invitations are shown to an account whose confirmed address (EmailChangeCount) is
    still its own, when sent there, compared as mailboxes: a zero-width character in the local
    part makes another. Its address written without it, but not the confirmed one and the
    invitation's, the account was shown none of its invitations. A left account's stay so."""
    organization = make_connection("acme", "acme-robotics").organization
    dave = User.objects.create_user("dave", "\u2060dave@example.org")
    User.objects.create_user("eve", "eve@example.org")
    eve = User.objects.create_user("eve2", "\u2060eve@example.org")
    for user in (dave, eve):
        EmailChangeCount.objects.create(user=user, confirmed=1, confirmed_email=user.email)
        Invitation.objects.create(
            organization=organization, user=user, role="member", email=user.email
        )
    assert [len(invitation_links_of(user)) for user in (dave, eve)] == [1, 1]

    addresses_without_format_characters.account_addresses_mend(apps)

    dave.refresh_from_db()
    assert dave.email == "dave@example.org"
    assert [len(invitation_links_of(user)) for user in (dave, eve)] == [1, 1]
    assert Invitation.objects.get(user=dave).email == "dave@example.org"
    assert EmailChangeCount.objects.get(user=dave).confirmed_email == "dave@example.org"
    assert Invitation.objects.get(user=eve).email == "\u2060eve@example.org"
    assert EmailChangeCount.objects.get(user=eve).confirmed_email == "\u2060eve@example.org"


def test_0072_keeps_an_address_changed_as_it_runs(db, monkeypatch):
    """An address changed meanwhile (at /accounts/email/, or by staff, during the deploy) is
    kept: not overwritten by the one read before, written without its zero-width space, nor
    are its invitation's and confirmed address, which still match it as they did."""
    lee = User.objects.create_user("lee", "lee@example.org\u200b")
    organization = make_connection("acme", "acme-robotics").organization
    EmailChangeCount.objects.create(user=lee, confirmed=1, confirmed_email=lee.email)
    Invitation.objects.create(organization=organization, user=lee, role="member", email=lee.email)
    clashes = addresses_without_format_characters._clashes

    def changed_meanwhile(*args: object) -> bool:
        User.objects.filter(pk=lee.pk).update(email="lee@new.example")
        return clashes(*args)

    monkeypatch.setattr(addresses_without_format_characters, "_clashes", changed_meanwhile)

    assert addresses_without_format_characters.account_addresses_mend(apps) == []
    assert User.objects.get(pk=lee.pk).email == "lee@new.example"
    assert Invitation.objects.get(user=lee).email == "lee@example.org\u200b"
    assert EmailChangeCount.objects.get(user=lee).confirmed_email == "lee@example.org\u200b"


@pytest.mark.django_db(transaction=True)
def test_0072_run_by_migrate_names_the_accounts_left_and_undone_changes_nothing(capsys):
    before = addresses_without_format_characters.Migration.dependencies
    migrate_to(*before)
    try:
        stored = MigrationExecutor(db_connection).loader.project_state(before).apps
        users = stored.get_model("auth", "User").objects
        users.create(username="ivy@example.org", email="ivy@example.org")
        left = users.create(username="ivy@example.org\u200b", email="ivy.b@example.org")
        mended = users.create(username="jo@example.org\u200b", email="jo@example.org\u200b")

        migrate_to(MIGRATION_0072)

        assert f"/admin/auth/user/{left.pk}/change/" in capsys.readouterr().out
        assert User.objects.get(pk=mended.pk).email == "jo@example.org"
        with CaptureQueriesContext(db_connection) as queries:
            migrate_to(*before)
        assert not [query for query in queries if "auth_user" in query["sql"]]
        assert User.objects.get(pk=left.pk).username == "ivy@example.org\u200b"
    finally:
        migrate_to(*MigrationExecutor(db_connection).loader.graph.leaf_nodes())
