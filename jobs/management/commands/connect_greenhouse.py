"""Connect an organization to a Greenhouse job board from the command line."""

import io
import sys

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from jobs.cache import listing_cache_invalidate
from jobs.connections import (
    SyncInProgress,
    board_in_words,
    check_board,
    check_failure_message,
    connection_store,
    failure_on_the_way,
    site_fault_unchecked,
)
from jobs.forms import (
    SLUG_RULE,
    ApiKeyForm,
    could_be_a_slug,
    organization_name_field,
    validate_organization_slug,
)
from jobs.greenhouse import Board, GreenhouseError
from jobs.management.base import Command as ProjectCommand
from jobs.memberships import admins_who_can_sign_in
from jobs.models import Organization
from jobs.status import wait_end_text
from jobs.text import shows_anything, without_direction_controls

# The arguments typed as text, as the help names them.
TEXT_ARGUMENTS = [
    ("org_slug", "ORG_SLUG"),
    ("board_token", "BOARD_TOKEN"),
    ("name", "--name"),
    ("api_key", "--api-key"),
]

# Boards named as the settings page names them, in the quotes the command puts around all it names.
PLAIN_QUOTES = "''"


class Command(ProjectCommand):
    help = (
        "Check BOARD_TOKEN against Greenhouse and connect it to the organization ORG_SLUG, "
        "creating the organization if needed. Stores nothing if the token is not valid or "
        "Greenhouse cannot be reached."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Named as the help above and the messages below name them.
        parser.add_argument(
            "org_slug", metavar="ORG_SLUG", help="the organization's slug, as in /orgs/ORG_SLUG/"
        )
        parser.add_argument(
            "board_token",
            metavar="BOARD_TOKEN",
            help="the job board's token (acme in boards.greenhouse.io/acme), or its address",
        )
        parser.add_argument("--name", help="the organization's name if it is created")
        parser.add_argument(
            "--api-key",
            help="optional Greenhouse Job Board API key (an empty one removes the stored key)",
        )

    def execute(self, *args: object, **options: object) -> str | None:
        # The board's name, in a terminal that cannot show it (ASCII, Latin-1), is written
        # escaped ("Libert\\xe9"): the error came after the connection was stored, and said
        # the command had failed. Only while it runs: call_command's caller keeps its stream.
        stdout = options.get("stdout") or sys.stdout
        if not isinstance(stdout, io.TextIOWrapper):
            return super().execute(*args, **options)
        errors = stdout.errors
        stdout.reconfigure(errors="backslashreplace")
        try:
            return super().execute(*args, **options)
        finally:
            stdout.reconfigure(errors=errors)

    def handle(self, *args: object, **options: str) -> None:
        for option, shown_as in TEXT_ARGUMENTS:
            if _has_undecodable_bytes(options[option]):
                # Not the value: it may be the API key.
                raise CommandError(
                    f"{shown_as} has bytes that are not UTF-8 text: type it again in a terminal "
                    "that uses UTF-8."
                )
        slug = options["org_slug"]
        slug_length = Organization._meta.get_field("slug").max_length
        if len(slug) > slug_length:  # first: the message then shows no more than that
            raise CommandError(f"A slug has at most {slug_length} characters.")
        try:
            validate_organization_slug(slug)
        except ValidationError as exc:
            # An org made with it before it was refused (capitals, a page's address) keeps its
            # slug, and its connection, as sync_jobs and the org's pages take it.
            known = could_be_a_slug(slug) and Organization.objects.filter(slug=slug).exists()
            if not known and exc.code != "site_page":
                # Quoted by repr(): a control character typed in it is shown, not acted on.
                raise CommandError(f"{slug!r} is not a valid slug: use {SLUG_RULE}.") from None
            if not known:
                raise CommandError(" ".join(exc.messages)) from None
        name = None
        if options["name"]:
            # The sign-up form's checks: a blank-looking or multi-line name is refused there too.
            try:
                name = organization_name_field().clean(options["name"])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        api_key = options["api_key"] if options["api_key"] is None else options["api_key"].strip()
        if api_key:
            # The settings page's checks.
            key_form = ApiKeyForm({f"{ApiKeyForm.prefix}-api_key": api_key})
            if not key_form.is_valid():
                raise CommandError(" ".join(key_form.errors["api_key"]))
            api_key = key_form.cleaned_data["api_key"]
        try:
            board = check_board(options["board_token"])
        except GreenhouseError as exc:
            raise CommandError(_check_failure_message(exc)) from None
        try:
            with transaction.atomic():
                organization, created = Organization.objects.get_or_create(
                    slug=slug,
                    defaults={"name": name or _organization_name_of(board) or slug},
                )
                if created:
                    # /orgs/ and the sitemap list every org, hiring or not; its first sync
                    # refreshes them only if it changes jobs, and an empty board's changes none.
                    transaction.on_commit(
                        lambda: listing_cache_invalidate(organization=organization)
                    )
                # Paused, and the board it replaces, as read under the row's lock: another admin
                # may change either on the settings page as this runs.
                stored = connection_store(organization=organization, board=board, api_key=api_key)
        except SyncInProgress as exc:
            # It names the org: without direction controls, as say() and warn() write names.
            raise CommandError(without_direction_controls(exc.message)) from None
        except Organization.DoesNotExist:
            # Found, then deleted (on its settings page, in the admin) before connection_store
            # locked its row: said in one line, as the other refusals are, not a traceback.
            raise CommandError(
                f"Organization '{slug}' was deleted while this command ran; nothing was saved."
            ) from None
        except IntegrityError:
            # An org saved with capitals before slugs had to be lowercase ("Acme"), or made
            # meanwhile: the database refuses a slug that differs from another only in case.
            # Not one of this slug as given: that one was found, and something else refused.
            other = (
                Organization.objects.filter(slug__in_any_case=slug)
                .exclude(slug=slug)
                .values_list("slug", flat=True)
            )
            if not other:
                raise
            raise CommandError(
                f"Another organization has the slug '{other[0]}', an address that differs from "
                f"'{slug}' only in case: give its slug as it is to connect it, or another slug "
                "for a new organization."
            ) from None
        verb = "Created" if created else "Updated"
        self.say(
            self.style.SUCCESS(
                f"{verb} organization '{organization.slug}', connected to the Greenhouse board "
                f"{board_in_words(board, quotes=PLAIN_QUOTES)}."
                + (" Syncing was paused and is on again." if stored.resumed else "")
            )
        )
        if name and not created and name != organization.name:
            # Not dropped without a word under "Updated organization".
            self.warn(
                f"It keeps its name, '{organization.name}': --name names an organization this "
                "command creates; rename it on its settings page."
            )
        if stored.replaced is not None:
            # As the settings page says before another board is connected.
            self.warn(
                f"It replaced the board {board_in_words(stored.replaced, quotes=PLAIN_QUOTES)}: "
                "that board's jobs that this one does not list are closed at its first sync."
            )
        # The same board connected again keeps a wait Greenhouse asked for, which the
        # scheduler waits out.
        due_at = stored.connection.next_sync_at
        when = (
            f"at {wait_end_text(due_at)}, once the wait Greenhouse asked for ends"
            if due_at > timezone.now()
            else "within a minute"
        )
        self.say(
            f"Jobs are imported by the scheduler {when}, or now with: "
            f"python manage.py sync_jobs {organization.slug}"
        )
        if not admins_who_can_sign_in(organization.pk).exists():
            # The org's sync emails go to its admins, and an org this command creates has none.
            members_url = settings.SITE_URL + reverse("manage:members", args=[organization.slug])
            self.warn(
                f"It has no admin who can sign in yet: a superuser invites one at {members_url}; "
                "until then its sync emails reach nobody."
            )


def _check_failure_message(error: GreenhouseError) -> str:
    """Why the board could not be checked, as check_failure_message() says it (the client's "the
    sync will try again later" is untrue here: nothing is stored yet), but for whoever runs the
    site, who runs this command: an address that leads nowhere or answers neither the board nor
    an error, a refusal on the way or a board past the size cap is theirs to see to, where the
    settings page asks an org's admins to tell them."""
    failed = failure_on_the_way(error)
    if failed:
        return (
            f"{failed}, so the token could not be checked. Nothing was saved. Check the address "
            "this site uses for Greenhouse (GREENHOUSE_API_BASE), this server's network and any "
            "proxy on the way, then run this command again."
        )
    if error.site_fix:
        fix = capfirst(error.site_fix)
        return f"{site_fault_unchecked(error)} {fix}, then run this command again."
    return check_failure_message(error)


def _organization_name_of(board: Board) -> str:
    """The board's name as a new org's name, or "" if it would show nothing."""
    name = board.name[: Organization._meta.get_field("name").max_length].strip()
    return name if shows_anything(name) else ""


def _has_undecodable_bytes(text: str | None) -> bool:
    """Whether `text` holds bytes of the command line that are not UTF-8 (a name typed in a
    Latin-1 terminal), which Python reads as lone surrogates ("\\udce9" for b"\\xe9"): the API
    key's encryption crashed on them, and the name's checks dropped them unseen ("Libert")."""
    try:
        (text or "").encode()
    except UnicodeEncodeError:
        return True
    return False
