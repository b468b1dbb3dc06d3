"""tests/conftest.py's flush_by_delete: after a transactional test on PostgreSQL, no row is left,
not even one another connection (a worker killed at its commit, a live server's request) was
writing while the flush ran."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.db import connection, connections

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="flush_by_delete is PostgreSQL's"
)


def flush_in_a_thread(backend_pids: list[int]) -> threading.Thread:
    """The flush Django runs after a transactional test, on a connection of its own, whose
    server process's id it adds to `backend_pids`."""

    def flush() -> None:
        try:
            flushing = connections["default"]
            flushing.ensure_connection()
            backend_pids.append(flushing.connection.info.backend_pid)
            flushing.ops.execute_sql_flush(sql_flush(no_style(), flushing, reset_sequences=False))
        finally:
            connections.close_all()

    thread = threading.Thread(target=flush)
    thread.start()
    return thread


def waiting_for_a_lock(backend_pids: list[int]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE pid = ANY(%s) AND wait_event_type = 'Lock'",
            [backend_pids],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_the_flush_empties_a_table_another_connection_was_writing_to_meanwhile():
    """A TRUNCATE waits for the writes under way; DELETEs alone passed the row over, uncommitted
    when they read the table, and it stayed for the tests after."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"],
    ) as other:
        other.execute("INSERT INTO auth_group (name) VALUES ('written meanwhile')")
        backend_pids: list[int] = []
        flushing = flush_in_a_thread(backend_pids)
        deadline = time.monotonic() + 30
        while flushing.is_alive() and not waiting_for_a_lock(backend_pids):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        other.commit()
    flushing.join(timeout=30)

    assert not flushing.is_alive()
    assert list(Group.objects.values_list("name", flat=True)) == []
