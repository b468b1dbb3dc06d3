"""orgsite.W009: a PostgreSQL database whose character type is not a UTF-8 one, under which
keyword search lowercases no letter beyond ASCII (README, Running with PostgreSQL and Redis)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.checks import Tags, run_checks
from django.db import connection as db_connection
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper

from orgsite.checks import database_ctype_warnings
from tests.support.helpers import IN_CI

# Skipped on SQLite locally; in CI, which tests on PostgreSQL, SQLite fails them (the fixture).
ON_POSTGRES = pytest.mark.skipif(
    db_connection.vendor != "postgresql" and not IN_CI, reason="the character type is PostgreSQL's"
)


@pytest.fixture
def database_created(db) -> Iterator[Callable[..., BaseDatabaseWrapper]]:
    """Creates databases beside the test one (named after it, so that two checkouts testing on
    one server never share one) and drops them after the test."""
    if db_connection.vendor != "postgresql":
        pytest.fail("the tests of the character type need PostgreSQL in CI (DATABASE_URL)")
    admin = PostgresWrapper(dict(db_connection.settings_dict), alias="ctype_admin")
    opened: list[BaseDatabaseWrapper] = []

    def create(suffix: str, *, encoding: str, locale: str) -> BaseDatabaseWrapper:
        name = f"{db_connection.settings_dict['NAME']}_ctype_{suffix}"
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(
                f"CREATE DATABASE \"{name}\" ENCODING '{encoding}' LOCALE '{locale}' "
                "TEMPLATE template0"
            )
        created = PostgresWrapper({**db_connection.settings_dict, "NAME": name}, alias=name)
        opened.append(created)
        return created

    yield create
    with admin.cursor() as cursor:
        for created in opened:
            created.close()
            cursor.execute(f'DROP DATABASE IF EXISTS "{created.alias}"')
    admin.close()


def database_checks_of(monkeypatch, database: BaseDatabaseWrapper) -> list[str]:
    """The ids `migrate` (and `check --database default`) finds with `database` as default."""
    monkeypatch.setattr("orgsite.checks.connections", {"default": database})
    messages = run_checks(tags=[Tags.database], databases=["default"])
    return [message.id for message in messages]


@ON_POSTGRES
@pytest.mark.parametrize(
    ("suffix", "encoding", "locale"), [("c", "UTF8", "C"), ("ascii", "SQL_ASCII", "C")]
)
def test_migrate_warns_of_a_database_whose_character_type_is_not_utf8(
    monkeypatch, database_created, suffix, encoding, locale
):
    database = database_created(suffix, encoding=encoding, locale=locale)

    assert database_checks_of(monkeypatch, database) == ["orgsite.W009"]
    [warning] = database_ctype_warnings(database)
    assert f"character type is 'C' (encoding {encoding})" in warning.msg
    assert "createdb -E UTF8 --locale=C.UTF-8 -T template0" in warning.hint


@ON_POSTGRES
@pytest.mark.parametrize("locale", ["C.UTF-8", "C.utf8"])
def test_a_database_of_a_utf8_character_type_passes(monkeypatch, database_created, locale):
    database = database_created("utf8", encoding="UTF8", locale=locale)

    assert database_checks_of(monkeypatch, database) == []


@ON_POSTGRES
def test_the_character_type_is_read_only_where_the_checks_may_query_the_database(
    monkeypatch, database_created
):
    """Plain `check`, `check --deploy` and each process as it starts name no database."""
    monkeypatch.setattr(
        "orgsite.checks.connections",
        {"default": database_created("c", encoding="UTF8", locale="C")},
    )

    assert "orgsite.W009" not in [m.id for m in run_checks(include_deployment_checks=True)]


@pytest.mark.skipif(db_connection.vendor != "sqlite", reason="SQLite's")
@pytest.mark.django_db
def test_sqlite_is_not_warned_of():
    assert run_checks(tags=[Tags.database], databases=["default"]) == []


@pytest.mark.django_db
def test_a_database_out_of_reach_is_left_to_migrate_to_report():
    """No warning, and no error of the check's: migrate, which runs it before connecting,
    then fails on its own connection, saying so."""
    unreachable = PostgresWrapper(
        {
            **connections.settings["default"],
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": "1",
            "NAME": "orgsite",
            "USER": "orgsite",
            "OPTIONS": {"connect_timeout": 5},
        },
        alias="unreachable",
    )

    assert database_ctype_warnings(unreachable) == []
