"""Have the next sync read again the posts that the migrations jobs 0046, 0048, 0049, 0053,
0056, 0058, 0061, 0064, 0066, 0068 and 0069 picked, and do again what 0047, 0052, 0057, 0058,
0059, 0060, 0067, 0069 and 0071 did, without touching the schema.

A sync by older code during a deploy reads those posts as before and stores their hash, and new
code then never reads them again until they change: once the old workers are gone, this picks
them again (see README, "Processes in production"). Such a sync also stores its skips counted as
before 0047 with its board's fingerprint, which new code keeps while the board is the same,
units named as before 0052, which new code writes only from changed posts, and search words read
as before 0057, 0058, 0059, 0060, 0067, 0069 and 0071, which new code writes only from a changed
title or post (an org's name, once it is renamed). Migrating back to run those migrations again
would undo the fields added since (0051, 0054, 0055), dropping their columns and what they hold.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime
from importlib import import_module
from time import sleep

from django.apps import apps
from django.core.management.base import CommandError
from django.db import connection as db_connection
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from jobs.cache import listings_cache_invalidate
from jobs.management.base import Command as ProjectCommand
from jobs.models import GreenhouseConnection, Job, Organization, organizations_key_share_lock

reparse_0046 = import_module("jobs.migrations.0046_reparse_posts_that_answer_remote_yes")
boards_0047 = import_module("jobs.migrations.0047_apply_again_boards_with_posts_to_fix")
reparse_0048 = import_module("jobs.migrations.0048_reparse_posts_in_right_to_left_scripts")
reparse_0049 = import_module(
    "jobs.migrations.0049_reparse_posts_with_markup_the_sanitizer_reads_anew"
)
units_0052 = import_module("jobs.migrations.0052_unit_names_without_outer_spaces")
dates_0053 = import_module("jobs.migrations.0053_read_again_posts_without_a_date")
reparse_0056 = import_module(
    "jobs.migrations.0056_reparse_posts_whose_words_after_a_div_are_in_divs"
)
search_0058 = import_module("jobs.migrations.0058_search_half_width_kana_with_their_marks")
reparse_0061 = import_module("jobs.migrations.0061_reparse_posts_with_a_blank_excerpt")
reparse_0064 = import_module("jobs.migrations.0064_reread_posts_with_a_name_cut_inside_a_character")
reparse_0066 = import_module("jobs.migrations.0066_reread_posts_with_a_language_or_address_cut")
reparse_0068 = import_module(
    "jobs.migrations.0068_reread_posts_with_an_empty_link_or_an_address_cut"
)
search_0069 = import_module("jobs.migrations.0069_search_word_parts_quranic_marks_and_digits")

# (migration, what its jobs have, its picker): the jobs picked forget their post's hash, and
# their orgs their board's fingerprint, as the migration has them do.
READ_ANEW: tuple[tuple[str, str, Callable], ...] = (
    ("0046", 'a yes/no field "Remote" answered yes', reparse_0046.jobs_that_answer_remote_yes),
    ("0048", "right-to-left text", reparse_0048.jobs_in_right_to_left_scripts),
    (
        "0049",
        "right-to-left text, a direction control or a lang that is no tag",
        reparse_0049.jobs_with_markup_the_sanitizer_reads_anew,
    ),
    (
        "0056",
        "their words after a div in divs alone",
        reparse_0056.jobs_whose_words_after_a_div_are_in_divs,
    ),
    (
        "0058",
        "a voiced mark apart from its kana in their search text",
        search_0058.jobs_with_kana_marks_apart,
    ),
    (
        "0061",
        "an excerpt that starts with what shows nothing, or none and a description of words",
        reparse_0061.jobs_with_a_blank_excerpt,
    ),
    (
        "0064",
        "a title, location or unit name as long as its field (maybe cut inside a character)",
        reparse_0064.jobs_with_a_value_at_its_fields_length,
    ),
    (
        "0066",
        "a language or address as long as its field (maybe cut by slicing)",
        reparse_0066.jobs_with_a_language_or_address_at_its_length,
    ),
    (
        "0068",
        "a link that shows nothing, or an address within an escaped character of its field's "
        "length (maybe cut inside one)",
        reparse_0068.jobs_with_an_empty_link_or_an_address_maybe_cut,
    ),
    (
        "0069",
        "a zero-width non-joiner beside an Arabic-script letter in their description or places",
        search_0069.jobs_with_word_parts_apart_in_their_post,
    ),
)


# How often the command looks whether the syncs that ran as it wrote have ended.
SYNC_END_POLL_SECONDS = 1.0


def posts_reread() -> tuple[dict[str, int], dict[int, datetime]]:
    """Have the next sync read again the posts that 0046, 0048, 0049, 0053, 0056, 0058, 0061,
    0064, 0066, 0068 and 0069 pick, each by the migration's own picker run on the live models,
    apply again whole the boards 0047 picks, write the unit names 0052 writes and the search
    fields 0057, 0058, 0059, 0060, 0067, 0069 and 0071 write (0058's reading, as search reads them
    now, does all),
    then have every org's cached pages render afresh if it wrote any of those; the number of
    jobs each picked (of boards for 0047, of units for 0052; "search_names" and "search_jobs":
    of the organizations and jobs whose search fields it wrote), by migration, and the leases of
    the syncs of the jobs' orgs that ran as it wrote (by connection pk), for
    boards_forgotten_once_syncs_end. The jobs are all picked first, then written: a write holds
    the row it changes (on SQLite, the database) until its transaction commits, and a sync or a
    Refresh now of an org whose board is forgotten waits for that, which lasted while 0048, 0049
    and 0056 read every description of the table.

    Each unit and job is written in a statement of its own, committed at once, as
    posts_read_again has a migration do: a sync writes its changed jobs one at a time in its
    board's order and holds them until it commits, so writing them all in one transaction,
    holding a job written first while waiting for one the sync held, as the sync waited for
    the first, was a deadlock, PostgreSQL then killing the command. Then the connections and
    orgs, in one transaction. Stopped part way through, it is run again: it picks the same jobs.

    0053 picks only jobs whose hash is kept, not those the others have read anew, as after the
    migrations, so that a second run picks the same jobs as the first. Its jobs are read again
    keeping their descriptions; one whose post is still dated ahead, and was stored so since
    0053 or a run of this, is read once more than needed (one write)."""
    picked = {}
    # In a transaction that writes nothing: on PostgreSQL, iterator()'s cursor then streams its
    # rows, which one outside a transaction (WITH HOLD) has the server keep all of. Not on
    # SQLite, whose transactions take the database's write lock as they begin (IMMEDIATE):
    # every sync's and Refresh now's write waited for the reads, and failed after 20 s.
    postgresql = db_connection.vendor == "postgresql"
    with transaction.atomic() if postgresql else nullcontext():
        found_by = {migration: jobs_of(apps) for migration, _, jobs_of in READ_ANEW}
        read_anew = set().union(*found_by.values())
        found_without_a_date = [
            row for row in dates_0053.jobs_without_a_date(apps) if row[0] not in read_anew
        ]
        units_to_strip = [
            unit for unit in units_0052.unit_names_to_strip(apps) if not unit_at_its_length(unit)
        ]
        search_fields = {
            model_name: search_0058.search_fields_to_store(apps, model_name)
            for model_name in ("Organization", "Job")
        }
    organizations = {row[1] for row in found_without_a_date}
    # Units, then jobs, then connections, then orgs, the order a sync writes them in (its org
    # last, its listing dated as changed): holding an org's connection, or its row once its
    # name was written, while waiting for its jobs, held by a sync of that org waiting for that
    # connection or row, was a deadlock, PostgreSQL then killing the command or the sync. Each
    # unit and job in a statement of its own, committed at once: this holds none as it waits.
    picked["0052"] = units_0052.unit_names_stripped_store(apps, units_to_strip)
    picked["search_jobs"] = search_0058.search_fields_store(apps, "Job", search_fields["Job"])
    if picked["0052"] or picked["search_jobs"]:
        # Now, as they are committed: a run stopped after, run again, stores none of them.
        pages_render_afresh()
    for pk in sorted(read_anew):
        Job.objects.filter(pk=pk).update(payload_hash="")
    for migration, found in found_by.items():
        picked[migration] = len(found)
        organizations |= set(found.values())
    dates_0053.dates_ahead_store(apps, found_without_a_date)
    picked["0053"] = len(found_without_a_date)
    with transaction.atomic():
        # Every org's row first, as a disconnect or a delete locks it before its connection,
        # which this holds as it then waits for another's (organizations_key_share_lock).
        organizations_key_share_lock(Organization.objects.all())
        GreenhouseConnection.objects.filter(organization__in=organizations).update(
            applied_board_fingerprint=""
        )
        # A sync running meanwhile counts its board's skips as new code does: no wait for it.
        picked["0047"] = boards_0047.boards_with_posts_to_fix_forget(apps)
        picked["search_names"] = search_0058.search_fields_store(
            apps, "Organization", search_fields["Organization"]
        )
        # Read once written, which holds the connections' rows (SQLite: the database) until
        # the commit: a sync holding its lease now may have read its jobs' hashes before they
        # were forgotten, and then store its board's fingerprint over the one forgotten, so
        # that its next sync would find the board applied and read none of those posts.
        # A lease run out by this clock counts too: its sync may be behind this clock, or be
        # waiting for these writes with its check of the lease begun before it ran out.
        running = dict(
            GreenhouseConnection.objects.filter(
                organization__in=organizations, lock_expires_at__isnull=False
            ).values_list("pk", "lock_expires_at")
        )
    if picked["search_names"]:
        pages_render_afresh()
    return picked, running


def unit_at_its_length(unit: tuple[str, int, dict, dict]) -> bool:
    """Whether the unit (of unit_names_to_strip) has a value as long as its field, for which
    0064 picks its jobs: left to the sync that reads them anew and rewrites it. Stripped, which
    is committed before the orgs forget their boards, a run stopped between, run again, picked
    its jobs no more, though they may have forgotten their hashes already: their orgs kept their
    boards, and the next syncs read none of them."""
    model_name, _, read, _ = unit
    model = apps.get_model("jobs", model_name)
    return any(
        len(value) == model._meta.get_field(field).max_length for field, value in read.items()
    )


def pages_render_afresh() -> None:
    """Have every org's cached pages render afresh: units' names show on pages, and the search
    words pick the jobs a search lists, which cached pages went on showing as before for
    PUBLIC_PAGE_CACHE_SECONDS. Every org's pages, where a sync refreshes its own: the pickers
    read no org, and reread_posts runs once a deploy."""
    listings_cache_invalidate(organizations=Organization.objects.only("slug"))


def boards_forgotten_once_syncs_end(running: dict[int, datetime]) -> None:
    """Have the orgs of the syncs `running` (their leases, by connection pk) forget their
    board's fingerprint again once each sync has ended: its lease freed, run out or taken
    over. A sync records its board within its lease, and frees the lease after.

    A lease run out is freed here before its org forgets its board: a sync asks whether it
    holds its lease by its own clock, which may be behind this one, and on PostgreSQL with a
    time read before it waited for a row, so that one whose lease ran out by this clock could
    still record its board after it was forgotten. Freed, the lease is no longer the one it
    asks for, whatever its clock, and one asking as it is freed records its board first.

    `running` is left with the syncs still waited for, should the wait be stopped."""
    while True:
        now = timezone.now()
        ended = [
            pk
            for pk, lease in running.items()
            if lease <= now
            or not GreenhouseConnection.objects.filter(pk=pk, lock_expires_at=lease).exists()
        ]
        for pk in ended:
            if running[pk] <= now:
                # Its sync, should it run still, takes it for a lease taken over.
                GreenhouseConnection.objects.filter(pk=pk, lock_expires_at=running[pk]).update(
                    lock_expires_at=None
                )
        GreenhouseConnection.objects.filter(pk__in=ended).update(applied_board_fingerprint="")
        for pk in ended:
            del running[pk]
        if not running:
            return
        sleep(SYNC_END_POLL_SECONDS)


class Command(ProjectCommand):
    help = (
        "Have the next sync read again the posts that the migrations jobs 0046, 0048, 0049, "
        "0053, 0056, 0058, 0061, 0064, 0066, 0068 and 0069 picked (run once the workers of older "
        "code are gone after a deploy); the schema is left alone; 0047, 0052 and the search "
        "fields of 0057, 0058, 0059, 0060, 0067, 0069 and 0071 are written again too. Prints "
        "how many jobs each picked."
    )

    def handle(self, *args: object, **options: object) -> None:
        picked, running = posts_reread()
        for migration, has, _ in READ_ANEW:
            count = picked[migration]
            self.say(
                f"jobs {migration}: {count} job{pluralize(count)} with {has}, read anew by the "
                "next sync"
            )
        count = picked["0053"]
        self.say(
            f"jobs 0053: {count} job{pluralize(count)} without an update or publication date, "
            "read again by the next sync keeping their descriptions"
        )
        count = picked["0047"]
        self.say(
            f"jobs 0047: {count} board{pluralize(count)} with a post skipped for what is wrong "
            "with it, applied again whole by the next sync"
        )
        count = picked["0052"]
        self.say(
            f"jobs 0052: {count} department{pluralize(count)} or office{pluralize(count)} with "
            "a space at an end of a name or location, now without it"
        )
        organizations, jobs = picked["search_names"], picked["search_jobs"]
        self.say(
            f"jobs 0057, 0058, 0059, 0060, 0067, 0069 and 0071: {organizations} "
            f"organization{pluralize(organizations)} and "
            f"{jobs} job{pluralize(jobs)} whose search words older code stored, now stored as "
            "search reads them"
        )
        now = timezone.now()
        if count := sum(lease > now for lease in running.values()):
            self.say(
                f"waiting for the syncs that ran meanwhile to end ({count} "
                f"org{pluralize(count)}): the next sync of each then reads its board whole"
            )
        try:
            boards_forgotten_once_syncs_end(running)
        except KeyboardInterrupt:
            # Everything else is written: a traceback hid that these orgs may still be left.
            count = len(running)
            raise CommandError(
                f"Stopped waiting for the syncs that ran meanwhile ({count} "
                f"org{pluralize(count)} left): each may store its board as it read it before "
                "its posts were forgotten, and its next sync then reads none of them; run "
                "reread_posts again once they have ended.",
                returncode=130,
            ) from None
