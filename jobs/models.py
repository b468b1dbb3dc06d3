"""Organizations, their Greenhouse connection, and the jobs imported from it.

A NOT NULL column added to a table has a database default (db_default) as well as its default:
while a deploy rolls, processes of the previous release insert rows that leave it out
(migration 0032, tests/test_migrations.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection as db_connection
from django.db import models, transaction
from django.db.models.functions import Greatest, Lower, Now, Upper
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from jobs.crypto import decrypt_secret, encrypt_secret, encrypted_secret_mark
from jobs.greenhouse import WILL_TRY_AGAIN_RE, Board
from jobs.sanitize import text_of
from jobs.text import (
    LANGUAGE_TAG_RE,
    as_searched,
    paragraphs_shown,
    shows_anything,
    tags_as_searched,
    without_direction_controls,
)

MIN_SYNC_INTERVAL_MINUTES = 5
MAX_SYNC_INTERVAL_MINUTES = 24 * 60
# A job whose application deadline is this near shows it in listings, not only on its page.
CLOSES_SOON = timedelta(days=7)
# How long an invitation's join link works after it was sent.
INVITATION_DAYS = 7
PAGE_LANGUAGE = "en"  # base.html's <html lang>: the language the site's own words are in
# Languages written right to left, by primary subtag: `lang` alone does not turn a browser's
# text direction, and nh3 keeps no `dir` of the post's own.
RIGHT_TO_LEFT_LANGUAGES = frozenset(
    {"ar", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "ug", "ur", "yi"}
)
# A script subtag outranks the language: Punjabi in Arabic script ("pa-Arab") runs right to
# left, Sindhi in Devanagari ("sd-Deva") left to right.
RIGHT_TO_LEFT_SCRIPTS = frozenset(
    {"adlm", "arab", "hebr", "mand", "nkoo", "rohg", "samr", "syrc", "thaa"}
)
# The script subtag, after the language and any extended language subtags (BCP 47 2.2.3).
SCRIPT_SUBTAG_RE = re.compile(r"[a-z]{2,3}(?:-[a-z]{3}){0,3}-([a-z]{4})(?:-|$)", re.IGNORECASE)


def fields_save_if_row_exists(instance: models.Model, fields: list[str]) -> bool:
    """Save `fields` of `instance` under a lock on its row; False, saving nothing, if the row was
    deleted since it was read. The lock makes a delete in another request wait for this save, or
    this one see the row gone, instead of an error. No fields saves nothing: it only tells
    whether the row is still there."""
    with transaction.atomic():
        if not type(instance).objects.select_for_update().filter(pk=instance.pk).exists():
            return False
        instance.save(update_fields=fields)
        return True


Row = TypeVar("Row", bound=models.Model)


def row_locked(instance: Row) -> Row | None:
    """`instance` read again, its row locked until the transaction ends; None if it was deleted
    since it was read. A form checked against it and saved in that transaction compares what
    its page showed with the row as another request's save left it: read before, that save,
    waited for by this one's, was undone unseen."""
    return type(instance)._default_manager.select_for_update().filter(pk=instance.pk).first()


def language_tag_in_conventional_case(language: str) -> str:
    """A language tag as BCP 47 writes it by convention (RFC 5646 2.1.1): the language in
    lowercase, a script in title case and a region in capitals ("ZH-hant-tw" is zh-Hant-TW), as
    browsers, feeds and the registry write it. What follows a singleton (an extension, x- for
    private use) is lowercase. Anything not a tag is left as it is, for its check to refuse."""
    if not LANGUAGE_TAG_RE.fullmatch(language):
        return language
    subtags = language.lower().split("-")
    for index, subtag in enumerate(subtags[1:], start=1):
        if len(subtag) == 1:
            break
        if len(subtag) == 2:
            subtags[index] = subtag.upper()
        elif len(subtag) == 4 and subtag.isalpha():  # not a variant, which starts with a digit
            subtags[index] = subtag.title()
    return "-".join(subtags)


def validate_language_tag(language: str) -> None:
    if not LANGUAGE_TAG_RE.fullmatch(language):
        raise ValidationError(
            "Enter a language tag, such as de, fr-CA or ar, or leave it blank.", code="invalid"
        )


class WrittenInLanguage:
    """A row whose words visitors read (a job's title and description, an org's description)
    in the language of its `language`, a BCP 47 tag, or in the pages' own when it is blank."""

    language: str

    @property
    def content_language(self) -> str:
        """Its language when it is not the pages' own, for the `lang` attribute of the element
        holding its words: a screen reader then reads French in French, not with English
        sounds. "" when it is the pages' language, or unknown."""
        language = self.language
        if not LANGUAGE_TAG_RE.fullmatch(language):
            return ""
        return "" if language.split("-")[0].lower() == PAGE_LANGUAGE else language

    @property
    def content_direction(self) -> str:
        """ "rtl" for words in a script written right to left (the `dir` beside
        content_language's `lang`), else "": Hebrew was laid out left to right. The tag's
        script subtag decides when it has one, else its language."""
        language = self.content_language
        if script := SCRIPT_SUBTAG_RE.match(language):
            right_to_left = script[1].lower() in RIGHT_TO_LEFT_SCRIPTS
        else:
            right_to_left = language.split("-")[0].lower() in RIGHT_TO_LEFT_LANGUAGES
        return "rtl" if right_to_left else ""

    @property
    def language_attrs(self) -> dict[str, str]:
        """content_language and content_direction as the attributes of an element (or a form
        widget) holding its words: {"lang": "he", "dir": "rtl"}, {} in the pages' language."""
        attrs = {"lang": self.content_language, "dir": self.content_direction}
        return {name: value for name, value in attrs.items() if value}


def save_arguments_with(kwargs: dict[str, Any], *, field: str, derived: str) -> dict[str, Any]:
    """save()'s arguments with the `derived` field saved wherever `field` is."""
    update_fields = kwargs.get("update_fields")
    if update_fields is None or field not in update_fields:
        return kwargs
    return {**kwargs, "update_fields": [*update_fields, derived]}


# Where an org's slug goes in an address, the site's own pages take these: an org with one as
# its slug would have /manage/<slug>/ hidden behind the page (/manage/new/ makes an org).
SLUGS_OF_SITE_PAGES = frozenset({"new"})

SLUG_IN_ANY_CASE_CONSTRAINT = "organization_slug_in_any_case_unique"


def by_organization_name(*, through: str = "") -> tuple[Lower, str]:
    """Ordering of orgs (of rows by their org, `through` "organization__") by name in any case,
    then slug. By name alone, "acme" came after "Zeta" where the database compares text as bytes
    (SQLite, PostgreSQL's "C.UTF-8") and beside "Acme" under other collations; the slug orders
    orgs of one name as the labels that tell them apart do ("Acme (acme)", "acme (acme-uk)")."""
    return (Lower(f"{through}name"), f"{through}slug")


class Organization(WrittenInLanguage, models.Model):
    name = models.CharField(max_length=200)
    # The name as keyword search reads it (jobs.text.as_searched); kept by save().
    search_name = models.TextField(blank=True, editable=False, default="", db_default="")
    slug = models.SlugField(max_length=100, unique=True)
    # Lines and paragraphs as typed (jobs.forms.ParagraphsField); one saved before they were
    # kept is one line, which reads the same.
    description = models.CharField(max_length=500, blank=True)
    language = models.CharField(  # the description's (WrittenInLanguage)
        max_length=20, blank=True, default="", db_default="", validators=[validate_language_tag]
    )
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Invitation emails sent in the day that began then (jobs.memberships caps them).
    invitations_counted_since = models.DateTimeField(null=True, blank=True, editable=False)
    invitations_counted = models.PositiveIntegerField(default=0, editable=False)
    # When what visitors are shown of the org last changed here (mark_listing_changed): the
    # feeds' Last-Modified and the sitemap's lastmod. Not the newest date of the jobs listed,
    # which stays or goes back when a job is hidden or closed, so If-Modified-Since got a 304.
    listing_changed_at = models.DateTimeField(
        default=timezone.now, db_default=Now(), editable=False
    )
    # When an edit here last changed what each of its job pages shows of it (JOB_PAGE_FIELDS);
    # set by save(); with the job's own dates it dates the page (Job.last_changed_at). Not
    # listing_changed_at, which moves with any of its jobs. Null: never so edited.
    job_pages_edited_at = models.DateTimeField(null=True, blank=True, editable=False)

    # On every job page of the org: its name (the title, the heading, the JSON-LD's
    # hiringOrganization and identifier) and its website (the hiringOrganization's sameAs).
    JOB_PAGE_FIELDS = ("name", "website")

    class Meta:
        ordering = ["name"]
        constraints = [
            # /orgs/NorthWind/ and /orgs/northwind/ would be two orgs at an address that differs
            # only in case (organization_slug_taken). Of UPPER(), as the slug's lookup in any
            # case (slug__in_any_case) compares it, which each database reads this index for.
            models.UniqueConstraint(Upper("slug"), name=SLUG_IN_ANY_CASE_CONSTRAINT),
        ]

    def __str__(self) -> str:
        # Django's admin writes it as plain text (titles, breadcrumbs, messages, history), where
        # an override left open reverses the words after it; as do this model's others below.
        return without_direction_controls(self.name)

    def save(self, **kwargs: Any) -> None:
        self.search_name = as_searched(self.name)
        # An edit saves only the fields it changed (OrganizationProfileForm, Django's admin).
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(self.JOB_PAGE_FIELDS):
            self.job_pages_edited_at = timezone.now()
            kwargs = {**kwargs, "update_fields": [*update_fields, "job_pages_edited_at"]}
        super().save(**save_arguments_with(kwargs, field="name", derived="search_name"))

    def get_absolute_url(self) -> str:
        return reverse("jobs:org_detail", args=[self.slug])

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # The slug in any case is the forms' to check (organization_slug_taken, the admin's
        # clean_slug), in words that name the org having it, and as it is the unique field's:
        # checked here too, a slug taken as it is was refused twice, once as "Constraint
        # “organization_slug_in_any_case_unique” is violated." above the form.
        super().validate_constraints(exclude={*(exclude or ()), "slug"})

    @property
    def language_attrs(self) -> dict[str, str]:
        """Those of its description's box (WrittenInLanguage), and dir="auto" while no language
        is set: its admins may have left it blank for an Arabic or Hebrew one, which was then
        laid out left to right, as English. One in a language set keeps that language's. Its
        page lays it out in most of its letters' direction instead (job_language's
        organization_description_attributes)."""
        return super().language_attrs if self.language else {"dir": "auto"}

    @property
    def description_shown(self) -> str:
        """The description as a save stores it now: one stored before a line that shows
        nothing (zero-width spaces alone) read as blank kept it, an empty paragraph on its
        page until saved again."""
        return paragraphs_shown(self.description)

    @property
    def description_on_one_line(self) -> str:
        """The description where its line breaks do not show (a meta description, a feed's):
        its lines run on, a space between them, not into each other."""
        return " ".join(self.description_shown.split())

    def mark_listing_changed(self) -> None:
        """Its jobs, or its name or description, changed for visitors: date its listing now.

        At least a second after the date before: HTTP dates count whole seconds, and a second
        change within the second of the first would leave Last-Modified where a reader saw it.

        A sync, a disconnect and Django's admin call it in the change's transaction, after its
        writes: on PostgreSQL the org's row stays locked from here to the commit. The org admin
        pages' saves (a job's site fields, the org's profile) call it once theirs has committed
        (_form_saved_on_locked_row ends it with the save): in a job's, the org's row would be
        locked after the job's, in the order opposite a delete's or a disconnect's, which can
        deadlock (Django's admin locks the org's row first, RowLockedForItsChange). A page read
        between that commit and this shows the change under the date before, and a process
        stopped between them leaves the change undated until the next one."""
        a_second_later = models.F("listing_changed_at") + models.Value(timedelta(seconds=1))
        Organization.objects.filter(pk=self.pk).update(
            listing_changed_at=Greatest(models.Value(timezone.now()), a_second_later)
        )


def organizations_key_share_lock(organizations: models.QuerySet[Organization]) -> int:
    """Lock the orgs' rows, in one order, until the transaction ends, before writing rows of
    theirs and then theirs (mark_listing_changed, a name) without a sync's lease: a delete or a
    disconnect locks the org's row first, then writes its jobs, and held it while waiting for a
    row such a writer held, which then waited for the org's row: a deadlock. FOR KEY SHARE, as
    PostgreSQL's check of a row pointing to an org takes: those two wait for it, but a sync,
    which holds its jobs, then dates its org's listing, does not (FOR UPDATE here waited for
    the sync, which waited for this). SQLite writes one transaction at a time. How many are
    there still (deleted meanwhile, an org is not)."""
    locked = rows_key_share_lock(organizations.order_by("pk"))
    return organizations.count() if locked is None else locked


def rows_key_share_lock(rows: models.QuerySet) -> int | None:
    """Lock these rows FOR KEY SHARE until the transaction ends, in the queryset's order, and
    say how many there are: the lock PostgreSQL's check of a row pointing to one takes, which a
    delete of it, or a lock for update, waits for. None on SQLite, which writes one transaction
    at a time."""
    if db_connection.vendor != "postgresql":
        return None
    sql, params = rows.values("pk").query.sql_with_params()
    with db_connection.cursor() as cursor:
        cursor.execute(f"{sql} FOR KEY SHARE", params)  # noqa: S608 (the ORM's query)
        return len(cursor.fetchall())


class InAnyCase(models.lookups.Exact):
    """`slug__in_any_case`: an org's slug is the value but for case, compared as the constraint of
    slugs in any case indexes it, UPPER(slug) = UPPER(the value), so that both databases search
    that index for it. Django's iexact is a LIKE on SQLite, which reads no index of UPPER(): each
    check that a slug is free, each /manage/ page of a slug typed in other capitals read the
    whole table. The database's UPPER() of the value, not str.upper(): a PostgreSQL database of a
    Turkish locale writes "i" as "İ", so "kilo" named no org "kilo", and "Kilo" was free by the
    checks and refused by the constraint (there "KILO" is another slug than "kilo", to the
    constraint as to this lookup). Slugs are ASCII (validate_organization_slug,
    SlugField's validator). A value with other letters is no slug in other capitals: compared as
    typed, as PostgreSQL's UPPER() writes some in ASCII ("ſ" as "S", "ı" as "I"): "ſouth" named
    "south" there, and nothing on SQLite, whose UPPER() writes ASCII letters alone."""

    lookup_name = "in_any_case"

    def __init__(self, lhs: Any, rhs: Any) -> None:
        if isinstance(rhs, str) and rhs.isascii():
            lhs, rhs = Upper(lhs), Upper(models.Value(rhs))
        super().__init__(lhs, rhs)

    def get_rhs_op(self, connection: Any, rhs: str) -> str:
        return connection.operators["exact"] % rhs  # the backends know no other name


Organization._meta.get_field("slug").register_lookup(InAnyCase)


class SiteListing(models.Model):
    """One row, once an org has been deleted: when its jobs left the site-wide feed and sitemap.

    Those are dated by the newest listing_changed_at of the orgs, and a deleted org takes its
    own with it: the date of the orgs left did not move, and a reader asking If-Modified-Since
    was answered 304, keeping the deleted org's jobs.
    """

    SINGLETON_PK = 1

    organization_deleted_at = models.DateTimeField()

    def __str__(self) -> str:
        deleted_at = timezone.localtime(self.organization_deleted_at)
        return f"an org last deleted at {deleted_at:%Y-%m-%d %H:%M:%S %Z}"


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="unique_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.organization}"

    @property
    def role_in_words(self) -> str:
        return ROLES_IN_WORDS[self.role]


# A role as a sentence names it: "as an admin", "as a member".
ROLES_IN_WORDS = {Membership.Role.ADMIN.value: "an admin", Membership.Role.MEMBER.value: "a member"}


class Invitation(models.Model):
    """An account asked to join an org: the address's own, or for an address new here one the
    invitation made (`made_account`). It joins only through the link emailed to that address,
    while signed in: an account that merely claims someone's address gains nothing."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=10, choices=Membership.Role.choices)
    # As the admin typed it: the email goes there, and the members page shows it (the account's
    # own spelling would tell that the account existed before).
    email = models.EmailField(max_length=254)
    # Part of the link: inviting again makes a new link and voids the old one (not within a
    # minute for the same role: a second click, which sends nothing; jobs.memberships).
    sent_at = models.DateTimeField(default=timezone.now)
    # The mail server refused the email sent at sent_at: its link never left, so sending again
    # within the minute is no second click.
    email_failed = models.BooleanField(default=False, db_default=False)
    # It made its account, for an address new here: once no invitation is left, that account
    # goes too if it was never used (jobs.memberships.invitations_delete). Never guessed from
    # the account alone: staff may keep accounts without a password of their own.
    made_account = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="unique_invitation"),
        ]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.organization} as {self.role}"

    @property
    def role_in_words(self) -> str:
        return ROLES_IN_WORDS[self.role]

    @property
    def link_expires_at(self) -> datetime:
        return self.sent_at + timedelta(days=INVITATION_DAYS)

    @property
    def link_expired(self) -> bool:
        return self.link_expires_at <= timezone.now()


class EmailChangeCount(models.Model):
    """How many times an account's address changed (jobs.email_change: by a link, respelt, or by
    staff): part of the digest in each confirmation link, so that a used link stays used once
    the address is back to the one it was sent from. An account never changed has no row."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    confirmed = models.PositiveIntegerField(default=0, db_default=0)
    # The address a confirmation link last gave the account: while the account has it (respelt
    # or not), it has shown it reads that mailbox, and is offered its invitations there
    # (jobs.memberships.invitation_links_of). Not one staff typed, which no link confirmed.
    confirmed_email = models.EmailField(max_length=254, blank=True, default="", db_default="")

    def __str__(self) -> str:
        return f"{self.user}: {self.confirmed} address changes"


class GreenhouseConnection(models.Model):
    class State(models.TextChoices):
        NEVER_SYNCED = "never_synced", "Never synced"
        OK = "ok", "OK"
        FAILING = "failing", "Failing"
        INVALID_TOKEN = "invalid_token", "Invalid board token"

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="greenhouse"
    )
    board_token = models.CharField(max_length=100)
    board_name = models.CharField(max_length=300, blank=True)
    api_key_encrypted = models.TextField(blank=True)
    api_key_last5 = models.CharField(max_length=5, blank=True)
    enabled = models.BooleanField(default=True)
    sync_interval_minutes = models.PositiveIntegerField(
        default=settings.SYNC_DEFAULT_INTERVAL_MINUTES,
        validators=[
            MinValueValidator(MIN_SYNC_INTERVAL_MINUTES),
            MaxValueValidator(MAX_SYNC_INTERVAL_MINUTES),
        ],
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.NEVER_SYNCED)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # When the org's admins were emailed that syncs are failing. Cleared once a successful sync
    # has told them that syncing works again.
    failure_emailed_at = models.DateTimeField(null=True, blank=True)
    # When a sync claimed one of those two emails to send it, so that no other sync sends it too;
    # cleared once it is sent or the send failed. A claim its worker died holding lapses
    # (jobs.alerts).
    failure_email_claimed_at = models.DateTimeField(null=True, blank=True)
    # When the dispatcher should next enqueue this org (indexed with `enabled`).
    next_sync_at = models.DateTimeField(default=timezone.now)
    # Set when a sync is enqueued and cleared when it starts: "already queued" for Refresh now.
    queued_at = models.DateTimeField(null=True, blank=True)
    # Until when Greenhouse's Retry-After asked the last sync, which failed, to wait: no sync of
    # the schedule's starts before it, however its interval changes (None: none asked).
    greenhouse_wait_until = models.DateTimeField(null=True, blank=True)
    # When the task retries a failed sync; cleared when any sync starts, which ends that chain
    # of retries (jobs.tasks.sync_org) and holds off the dispatcher until then.
    retry_at = models.DateTimeField(null=True, blank=True)
    # A lease rather than a Redis lock: it lives with the data it guards and expires by itself.
    lock_expires_at = models.DateTimeField(null=True, blank=True)
    # The last board a sync applied in full: its fingerprint, the org's open jobs after it and
    # the posts it skipped. The same bytes again, with those jobs still open, change nothing.
    applied_board_fingerprint = models.CharField(max_length=64, blank=True)
    applied_board_open_jobs = models.PositiveIntegerField(default=0)
    applied_board_skipped = models.PositiveIntegerField(default=0)
    # Why it skipped them (the first few), for the org's admins: they can fix most posts.
    applied_board_skip_reasons = models.JSONField(default=list, db_default=[], blank=True)
    # How many of them came without a readable id or under another post's: Greenhouse gives
    # the ids, so no edit of a post fixes those, and the admins are not told to make one.
    applied_board_skipped_for_id = models.PositiveIntegerField(default=0, db_default=0)
    # How many of its posts are on the site (new, updated, reopened or unchanged): a sync that
    # finds the same board again counts them unchanged. Its open jobs may be more: the job of a
    # post skipped (say, for its application link) stays open. Trusted only while the
    # fingerprint beside it is still the applied board's: code before 0045 applied boards
    # without counting them (as its workers still do during a deploy).
    applied_board_imported = models.PositiveIntegerField(default=0, db_default=0)
    applied_board_imported_fingerprint = models.CharField(
        max_length=64, blank=True, default="", db_default=""
    )
    # The ETag Greenhouse sent with that board, and that board's fingerprint: the next sync
    # sends it as If-None-Match, and "304 Not Modified" then says the board is the one applied.
    # Trusted only while the fingerprint is still its own, so whatever clears or replaces the
    # fingerprint (another board, a migration that has posts read again, a sync by code that
    # knew no ETags) voids it too. Database defaults too: during a deploy, workers of that
    # older code still insert rows.
    applied_board_etag = models.CharField(max_length=200, blank=True, default="", db_default="")
    applied_board_etag_fingerprint = models.CharField(
        max_length=64, blank=True, default="", db_default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["enabled", "next_sync_at"], name="connection_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} ← greenhouse:{self.board_token}"

    @sensitive_variables("raw_key")
    def set_api_key(self, raw_key: str) -> None:
        """Store the key encrypted; keep only its last 5 characters in clear, as Greenhouse does."""
        raw_key = raw_key.strip()
        if raw_key:
            self.api_key_encrypted = encrypt_secret(raw_key)
            self.api_key_last5 = raw_key[-5:]
        else:
            self.api_key_encrypted = ""
            self.api_key_last5 = ""

    def get_api_key(self) -> str:
        return decrypt_secret(self.api_key_encrypted) if self.api_key_encrypted else ""

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_encrypted)

    @property
    def api_key_mark(self) -> str:
        """Which key is stored ("" for none), as a settings page sends back the one it showed:
        its last 5 characters cannot tell apart two keys that end alike."""
        return encrypted_secret_mark(self.api_key_encrypted) if self.api_key_encrypted else ""

    @property
    def board(self) -> Board:
        """The board connected, as Greenhouse named it when it was connected."""
        return Board(token=self.board_token, name=self.board_name)

    @property
    def sync_interval(self) -> timedelta:
        return timedelta(minutes=self.sync_interval_minutes)

    def as_true_now(self, text: str) -> str:
        """A failure's message, which says the sync will try again: while syncing is paused,
        none will. Every place that shows one to people (pages, emails, sync_jobs) reads it so."""
        if self.enabled:
            return text
        return WILL_TRY_AGAIN_RE.sub("syncing is paused, so no sync will try again.", text)

    def after_greenhouses_wait(self, moment: datetime) -> datetime:
        """`moment`, or the end of the wait Greenhouse asked for (a Retry-After), if later: the
        dispatcher syncs no org before it (jobs.scheduling.due_connections_claim)."""
        wait_until = self.greenhouse_wait_until
        return max(moment, wait_until) if wait_until else moment

    def is_locked(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.lock_expires_at is not None and self.lock_expires_at > now

    @staticmethod
    def unlocked(now: datetime) -> models.Q:
        """is_locked() is false: as a filter, for claiming the lease or queueing a sync."""
        return models.Q(lock_expires_at__isnull=True) | models.Q(lock_expires_at__lte=now)


class Department(models.Model):
    # Not indexed alone: the indexes below (and the unique constraint) start with it, and serve
    # the org's reads (migration 0063); another would only cost each unit written.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="departments", db_index=False
    )
    greenhouse_id = models.BigIntegerField()
    name = models.CharField(max_length=300)
    # Greenhouse's id of the parent; the parent may have no open jobs and so no row here.
    parent_greenhouse_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "greenhouse_id"], name="unique_department_per_org"
            ),
        ]
        # A filter's walk down to the units below the one chosen (selectors._linked_units):
        # without it SQLite read every unit of the org for each unit found, PostgreSQL every
        # org's for each level: 29 s and 16 s for the 6,000 below one of an org's 20,000
        # departments, nested 6,000 deep; 27 ms and 54 ms with it.
        indexes = [
            models.Index(
                fields=["organization", "parent_greenhouse_id"], name="department_parent_idx"
            )
        ]

    def __str__(self) -> str:
        return without_direction_controls(self.name)


class Office(models.Model):
    # Not indexed alone, as Department's.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="offices", db_index=False
    )
    greenhouse_id = models.BigIntegerField()
    name = models.CharField(max_length=300)
    location = models.CharField(max_length=300, blank=True)
    parent_greenhouse_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "greenhouse_id"], name="unique_office_per_org"
            ),
        ]
        # As Department's: an office filter walks the offices below the one chosen.
        indexes = [
            models.Index(fields=["organization", "parent_greenhouse_id"], name="office_parent_idx")
        ]

    def __str__(self) -> str:
        return without_direction_controls(self.name)


def listed_jobs() -> models.Q:
    """What visitors see: jobs open on the board, not hidden here and still taking applications.

    A post past its application deadline can stay on the board until the next sync, or for
    good: it is not offered to people who can no longer apply.
    """
    return models.Q(is_open=True, hidden=False) & (
        models.Q(application_deadline__isnull=True)
        | models.Q(application_deadline__gt=timezone.now())
    )


def listed_until_deadline_passed(*, now: datetime, prefix: str = "") -> models.Q:
    """Jobs that listed_jobs() left out only when their application deadline passed, at `now`
    or before: nothing was written then, so the deadline is when they left the listing."""
    return models.Q(
        **{
            f"{prefix}is_open": True,
            f"{prefix}hidden": False,
            f"{prefix}application_deadline__lte": now,
        }
    )


class JobQuerySet(models.QuerySet):
    def listed(self) -> JobQuerySet:
        return self.filter(listed_jobs())


class Job(WrittenInLanguage, models.Model):
    """A Greenhouse job post. Fields are grouped by who owns them."""

    class RemotePolicy(models.TextChoices):
        UNSPECIFIED = "", "Not specified"
        ONSITE = "onsite", "On-site"
        HYBRID = "hybrid", "Hybrid"
        REMOTE = "remote", "Remote"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="jobs")
    greenhouse_id = models.BigIntegerField()

    # Owned by Greenhouse: read-only copies here, overwritten by every sync that sees a change.
    title = models.CharField(max_length=500)
    description_html = models.TextField(blank=True)  # sanitized; safe to render
    # Plain text, for the feeds, jobs.json and the page's meta description (Job.summary).
    excerpt = models.CharField(max_length=300, blank=True)
    internal_job_id = models.BigIntegerField(null=True, blank=True)
    location_name = models.CharField(max_length=300, blank=True)
    departments = models.ManyToManyField(Department, blank=True, related_name="jobs")
    offices = models.ManyToManyField(Office, blank=True, related_name="jobs")
    absolute_url = models.URLField(max_length=1000, blank=True)
    requisition_id = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=20, blank=True)
    company_name = models.CharField(max_length=300, blank=True)
    greenhouse_updated_at = models.DateTimeField(null=True, blank=True)
    first_published_at = models.DateTimeField(null=True, blank=True)
    application_deadline = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=list, blank=True)
    # Computed by the sync from the fields above, for visitors' search and filters; the search
    # fields as keyword search reads them (jobs.text.as_searched), the title's also kept by save().
    search_title = models.TextField(blank=True, editable=False, default="", db_default="")
    search_text = models.TextField(blank=True)  # plain text: location, units, description
    greenhouse_remote_policy = models.CharField(
        max_length=10, choices=RemotePolicy.choices, blank=True
    )
    # Hash of the raw Greenhouse post: an unchanged post is skipped before any parsing work.
    payload_hash = models.CharField(max_length=64, blank=True)
    # Hashes of what the description and the search words were read from: a changed post whose
    # content is the same keeps them (jobs.sync). Empty on jobs stored before them, which are
    # then read in full.
    content_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    search_hash = models.CharField(max_length=64, blank=True, default="", db_default="")

    # Owned by the sync's bookkeeping.
    is_open = models.BooleanField(default=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a sync last wrote the job: made, changed, closed or reopened it (an unchanged post
    # writes nothing).
    synced_at = models.DateTimeField(null=True, blank=True)

    # Owned by this site: a sync never writes these.
    featured = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False)
    remote_policy = models.CharField(
        max_length=10, choices=RemotePolicy.choices, default=RemotePolicy.UNSPECIFIED, blank=True
    )
    compensation_note = models.CharField(max_length=300, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # The tags as keyword search reads them (jobs.text.tags_as_searched); kept by save(), which
    # every edit of them goes through. An update() of tags must set it too.
    search_tags = models.TextField(blank=True, editable=False, default="", db_default="")
    # When an edit here last changed what the job's own page shows (PAGE_SITE_FIELDS); set by
    # save(); with the sync's dates it dates the job (last_changed_at). Null: never so edited.
    site_edited_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = JobQuerySet.as_manager()

    GREENHOUSE_FIELDS = (
        "title",
        "description_html",
        "excerpt",
        "internal_job_id",
        "location_name",
        "absolute_url",
        "requisition_id",
        "language",
        "company_name",
        "greenhouse_updated_at",
        "first_published_at",
        "application_deadline",
        "metadata",
        "search_title",
        "search_text",
        "greenhouse_remote_policy",
        "payload_hash",
        "content_hash",
        "search_hash",
    )
    SITE_FIELDS = ("featured", "hidden", "remote_policy", "compensation_note", "tags")
    # The site fields that change the job's own page: what it shows, and whether it has one (a
    # hidden job's is a 404 until it is shown again). Featured shows in lists, dated by the
    # org's listing_changed_at.
    PAGE_SITE_FIELDS = ("hidden", "remote_policy", "compensation_note", "tags")
    # What dates the job's own page (last_changed_at): its post's change in Greenhouse, the sync
    # that brought it here (the next one, days later while syncing is paused or failing; or one
    # that reopened the job, its page a 410 until then), or an edit here.
    CHANGE_DATES = ("greenhouse_updated_at", "synced_at", "site_edited_at")
    # Read by a job's own page or by keyword search alone: lists of jobs leave them out (a
    # description may run to 300,000 characters, metadata to 50 fields of 2,000).
    NOT_IN_LISTS = ("description_html", "search_text", "metadata")

    class Meta:
        ordering = ["-featured", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "greenhouse_id"], name="unique_job_per_org"
            ),
        ]
        # Both end with the deadline, which listed_jobs() checks: counting 10,000 listed jobs
        # then reads the index alone, 0.8 ms on SQLite instead of 16 ms (bench/README.md).
        indexes = [
            models.Index(
                fields=["organization", "is_open", "hidden", "application_deadline"],
                name="job_listed_idx",
            ),
            # The location filter's options: read in order from this index, they took 2 ms
            # instead of 50-70 ms for a scan of 10,000 jobs (bench/README.md).
            models.Index(
                fields=["location_name", "application_deadline"],
                condition=models.Q(is_open=True, hidden=False),
                name="job_listed_location_idx",
            ),
            # The org admin's jobs list, in its order (manage_views.job_list): a later page of
            # 5,000 jobs was sorted anew from the whole table, 0.5-0.7 s on SQLite.
            models.Index(
                fields=["organization", "-is_open", "-featured", "title", "id"],
                name="job_manage_list_idx",
            ),
        ]

    def __str__(self) -> str:
        return without_direction_controls(self.title)

    def save(self, **kwargs: Any) -> None:
        self.search_title = as_searched(self.title)
        self.search_tags = tags_as_searched(self.tags)
        # An edit here saves only the fields it changed (JobSiteFieldsForm, in the org admin's
        # pages and Django's admin); a sync never saves through here.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(self.PAGE_SITE_FIELDS):
            self.site_edited_at = timezone.now()
            kwargs = {**kwargs, "update_fields": [*update_fields, "site_edited_at"]}
        kwargs = save_arguments_with(kwargs, field="title", derived="search_title")
        super().save(**save_arguments_with(kwargs, field="tags", derived="search_tags"))

    def get_absolute_url(self) -> str:
        return reverse("jobs:job_detail", args=[self.organization.slug, self.greenhouse_id])

    @property
    def closes_soon(self) -> bool:
        """Still taking applications, for at most CLOSES_SOON more: listings then say until when."""
        now = timezone.now()
        deadline = self.application_deadline
        return deadline is not None and now < deadline <= now + CLOSES_SOON

    @property
    def applications_closed(self) -> bool:
        """Its application deadline has passed (see listed_jobs)."""
        return self.application_deadline is not None and self.application_deadline <= timezone.now()

    @property
    def description_shows_words(self) -> bool:
        """Its description shows a word. Not its excerpt, which is read from the board's intro
        when the post holds nothing else of its own: a blank intro before a pay range left the
        excerpt empty, and the page said no description was posted in place of the pay."""
        return shows_anything(text_of(self.description_html))

    @property
    def summary(self) -> str:
        """What its page's meta description says: its excerpt, or its title where that shows no
        word (one that earlier code stored from a post of zero-width spaces has them for its
        excerpt, until a sync reads the post again)."""
        return self.excerpt if shows_anything(self.excerpt) else self.title

    @property
    def description_may_scroll_sideways(self) -> bool:
        """The description holds a table or preformatted text, which keep their own width where
        the rest wraps to the page's: on a phone its box may scroll sideways. (The sanitizer
        writes every other `<` as `&lt;`.)"""
        return "<table" in self.description_html or "<pre" in self.description_html

    @property
    def last_changed_at(self) -> datetime | None:
        """When what its page shows last changed (CHANGE_DATES, and its org's
        job_pages_edited_at: the job comes with its org), whichever came last: the sitemap's
        lastmod and the feeds' item date. None when none is known."""
        dates = {name: getattr(self, name) for name in self.CHANGE_DATES}
        dates["greenhouse_updated_at"] = self.no_later_than_synced(self.greenhouse_updated_at)
        dates["job_pages_edited_at"] = self.organization.job_pages_edited_at
        return max(filter(None, dates.values()), default=None)

    @property
    def posted_at(self) -> datetime | None:
        """When its post was first published, as its page, the lists, jobs.json, the feeds and
        its JobPosting say it (no_later_than_synced)."""
        return self.no_later_than_synced(self.first_published_at)

    def no_later_than_synced(self, moment: datetime | None) -> datetime | None:
        """`moment`, a date of its post, as published (a page's or list's "Posted", jobs.json,
        a sitemap's lastmod, a feed's dates): no later than the sync that wrote it (synced_at;
        now, for a job no sync wrote). A post may be dated up to jobs.greenhouse.CLOCK_MARGIN
        ahead of this site's clock, and a date in the future told visitors, crawlers and readers
        of a change not yet made. The date stored stays Greenhouse's; the sync's, unlike now, is
        the same at each render (and so the ETag)."""
        if moment is None:
            return None
        return min(moment, self.synced_at or timezone.now())

    @property
    def effective_remote_policy(self) -> Job.RemotePolicy:
        """The site's choice when it made one, else what the Greenhouse post says (its metadata,
        else its location or offices: jobs.metadata.remote_policy_of_post)."""
        return Job.RemotePolicy(self.remote_policy or self.greenhouse_remote_policy)

    @property
    def workplace_beside_location(self) -> str:
        """The workplace's name for a line beside the location, "" when the location already
        says it: a post located "Remote" read "Remote Remote" in the lists."""
        label = self.effective_remote_policy.label if self.effective_remote_policy else ""
        return "" if label.casefold() == self.location_name.strip().casefold() else label

    @property
    def remote_policy_source(self) -> Literal["site", "greenhouse"] | None:
        """Where effective_remote_policy comes from; None when neither the site nor Greenhouse
        says."""
        if self.remote_policy:
            return "site"
        if self.greenhouse_remote_policy:
            return "greenhouse"
        return None


class SyncRun(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Refresh now"
        CONNECT = "connect", "Board connected"
        COMMAND = "command", "Command line"
        RETRY = "retry", "Retry after a failure"

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCESS = "success", "Succeeded"
        FAILED = "failed", "Failed"
        INTERRUPTED = "interrupted", "Interrupted"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sync_runs"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.RUNNING)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["organization", "-started_at"], name="syncrun_history_idx"),
            # The daily prune of old runs, and Django admin's list of every org's runs.
            models.Index(fields=["started_at"], name="syncrun_started_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.organization} {self.trigger} {self.outcome} at "
            f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M %Z}"
        )

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


class SchedulerHeartbeat(models.Model):
    """One row: when beat's dispatcher last ticked, so /healthz can tell that beat is alive.

    In the database rather than the cache, which may be a file per host.
    """

    SINGLETON_PK = 1

    last_tick_at = models.DateTimeField()

    def __str__(self) -> str:
        last_tick_at = timezone.localtime(self.last_tick_at)
        return f"dispatcher last ticked at {last_tick_at:%Y-%m-%d %H:%M:%S %Z}"
