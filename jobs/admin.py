"""Django admin. Greenhouse owns job titles and descriptions, so they are read-only here too."""

import copy
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.helpers import (
    ACTION_CHECKBOX_NAME,
    InlineAdminForm,
    InlineAdminFormSet,
)
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import NestedObjects, flatten_fieldsets, quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminTextareaWidget, AutocompleteSelect
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    ReadOnlyPasswordHashWidget,
    UserChangeForm,
)
from django.contrib.auth.models import Group, User
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied
from django.db import IntegrityError, models, router, transaction
from django.db.models import QuerySet
from django.db.models.deletion import Collector
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.decorators import method_decorator
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, capfirst
from django.views.decorators.debug import sensitive_post_parameters

from jobs.cache import listing_cache_invalidate
from jobs.connections import (
    BOARD_HISTORY_FIELDS,
    NOT_DISCONNECTED,
    ApiKeyChanged,
    ConnectionChanged,
    ConnectionShown,
    KeyShown,
    SyncInProgress,
    connection_api_key_set,
    connection_as_shown,
    connection_disconnect,
    connection_schedule_update,
    sync_running_refusal,
)
from jobs.email_change import EMAIL_TAKEN_MESSAGE, email_change_count, email_taken
from jobs.filters import ids_of, is_row_id
from jobs.form_messages import say_what_to_type
from jobs.forms import (
    API_KEY_LIMIT,
    DESCRIPTION_LIMIT,
    KEEP_THE_STORED_KEY,
    NAME_LIMIT,
    NOT_A_SLUG,
    ORGANIZATION_FIELD_CLASSES,
    PASSWORD_BOXES,
    SLUG_RULE,
    SYNC_INTERVAL_ERRORS,
    TYPE_A_USERNAME,
    WEBSITE_LIMIT,
    ApiKeyField,
    ChangedFieldsOnly,
    ChangedMeanwhileRefused,
    ConnectionShownForm,
    JobSiteFieldsForm,
    OneLineField,
    OrganizationChecks,
    UsernameThatShows,
    at_most_characters,
    could_be_a_slug,
    validate_api_key,
    validate_organization_slug,
    validate_username_shows,
)
from jobs.memberships import (
    ADMIN_ADD_ASK_MESSAGE,
    ADMIN_ADD_NEEDED_MESSAGE,
    ADMIN_NEEDED_MESSAGE,
    MembershipError,
    admins_who_can_sign_in,
    can_sign_in,
    members_who_can_sign_in,
    membership_delete,
    organizations_only_administered_by,
    other_admins_ensure,
    password_save,
    user_delete,
)
from jobs.models import (
    MAX_SYNC_INTERVAL_MINUTES,
    MIN_SYNC_INTERVAL_MINUTES,
    Department,
    EmailChangeCount,
    GreenhouseConnection,
    Job,
    Membership,
    Office,
    Organization,
    SyncRun,
    by_organization_name,
    organizations_key_share_lock,
    rows_key_share_lock,
)
from jobs.organizations import NOT_DELETED, organization_delete
from jobs.search import MAX_SEARCH_WORDS, FoldedContains
from jobs.selectors import remote_policy_is
from jobs.status import next_sync_text
from jobs.text import (
    as_searched,
    characters_start,
    ending_sentence,
    name_in_sentence,
    shows_anything,
    without_direction_controls,
)
from jobs.throttle import THROTTLED_CODE, ThrottledAdminAuthenticationForm, usernames_alike


class ListQueryCleaning:
    """For every list and search here. PostgreSQL refuses a NUL character in text, and Django
    passes a filter's value (%00 in the address) or an autocomplete's search on to it: an error
    page. Each word searched is a condition on every search field, and a thousand overflowed
    SQLite's expression depth: as on the visitors' search, the first MAX_SEARCH_WORDS count.
    Rows selected for an action by a value no id could be ("abc", 30 digits) are left out: the
    action's query read them, an error page."""

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        cleaned = QueryDict(mutable=True)
        for key, values in request.GET.lists():
            cleaned.setlist(key, [value.replace("\x00", "") for value in values])
        request.GET = cleaned
        try:
            return super().get_changelist_instance(request)
        except OverflowError as error:
            # SQLite's driver refuses a number beyond 64 bits, which Django's lookups on a
            # relation pass on (?organization=<30 digits>): Django's "invalid lookup" redirect,
            # as for ?organization=abc.
            raise IncorrectLookupParameters(error) from error

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        words = search_term.replace("\x00", "").split()[:MAX_SEARCH_WORDS]
        return super().get_search_results(request, queryset, " ".join(words))

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        cleaned = request.POST.copy()
        selected = cleaned.getlist(ACTION_CHECKBOX_NAME)
        cleaned.setlist(ACTION_CHECKBOX_NAME, [pk for pk in selected if is_row_id(pk)])
        request.POST = cleaned
        return super().response_action(request, queryset)


class SearchedContains(FoldedContains):
    """FoldedContains on a field stored as keyword search reads text (as_searched), with each
    word searched read so too: "munchen" finds "München" and "women's" finds "Women’s health"
    here as on the site's search. A lookup rather than a folded search term: Django splits the
    term into words (or quoted phrases) and tries each on every search field, and the fields
    without a folded copy (a job's location) still need the word as typed."""

    lookup_name = "searched"

    def get_prep_lookup(self) -> str:
        return as_searched(super().get_prep_lookup())


Job._meta.get_field("search_title").register_lookup(SearchedContains)
Job._meta.get_field("search_tags").register_lookup(SearchedContains)
Organization._meta.get_field("search_name").register_lookup(SearchedContains)


class VisitorPagesAdmin(ListQueryCleaning, admin.ModelAdmin):
    """For what visitors see: a change here shows on their pages at once, as an edit on the org
    admin pages does, instead of when the page cache expires."""

    def organization_of(self, obj: Any) -> Organization:
        return obj.organization

    def organization_id_of(self, obj: Any) -> int:
        """Without reading the org: it may be deleted meanwhile."""
        return obj.organization_id

    @staticmethod
    def pages_refresh(organization: Organization) -> None:
        """Dated now for feeds and the sitemap, and their cached pages dropped once committed:
        the admin saves and deletes in a transaction, and a visitor's page rendered meanwhile,
        from the rows as they were, must not be kept under the new version."""
        if organization.pk is not None:  # not the pages at an old slug (OrganizationAdmin)
            organization.mark_listing_changed()
        transaction.on_commit(lambda: listing_cache_invalidate(organization=organization))

    def save_model(self, request: HttpRequest, obj: Any, form: forms.Form, change: bool) -> None:
        if not change:
            obj.save()
        else:
            # Only what this page changed (its form is ChangedFieldsOnly): a tab left open would
            # put back what another admin saved, and a job's Greenhouse fields what a sync wrote
            # since (JobSiteFieldsForm.save); an org's row also counts the day's invitations.
            # None for a form sent as shown. The row, and its org's, are locked since before
            # the page read them (RowLockedForItsChange): neither was deleted meanwhile.
            obj.save(update_fields=form.changed_data)
            if not form.changed_data:
                return  # nothing saved: visitors' pages keep their dates (feeds, sitemap)
        self.pages_refresh(self.organization_of(obj))


class RowLockedForItsChange:
    """For a change page whose form refuses a field changed meanwhile (ChangedMeanwhileRefused):
    a save reads the row under its lock, held until the page's transaction (the admin site's)
    commits, for the form's check and the save, as the site's pages do (row_locked). Read
    before, another save of the same field, committed while this one waited for the lock, was
    undone unseen. After the staff member's account (the admin site's), and before any other
    row the page writes (an org's member rows)."""

    model: type[models.Model]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        pk = unquote(object_id)
        if request.method == "POST" and is_row_id(pk):  # else get_object finds none
            self.row_lock(pk)
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        # Not found unless spelt as digits, as the lock above knows it (UserAdmin.get_object):
        # Django read "+2" (quoted "_2B2"), " 2" or "0_2" through int() too, and its page read
        # and saved the row unlocked, a delete or a disconnect then not waiting for the save.
        if not is_row_id(object_id):
            return None
        return super().get_object(request, object_id, from_field)  # type: ignore[misc]

    def row_lock(self, pk: str) -> None:
        """Lock the row `pk` (a job's, a connection's) for update, its org's row first, FOR KEY
        SHARE, as a write of a row pointing to it locks it (VisitorPagesAdmin.save_model,
        connection_store): a disconnect or a delete locks the org, then its rows."""
        rows = self.model._default_manager.filter(pk=pk)
        organization_id = rows.values_list("organization_id", flat=True).first()
        organizations_key_share_lock(Organization.objects.filter(pk=organization_id))
        list(rows.select_for_update().values_list("pk", flat=True))


class RefusableDeleteMixin:
    """For deletes a rule of the site may refuse. A refused object is taken out before Django
    confirms, logs or counts anything: its change page (or the list) says why instead. Should
    that change between the check and the delete, the delete still refuses, with everything
    rolled back: an error page, unless it raised one of `refused_meanwhile`, whose `message`
    the change page (or the list) then shows as delete_refusal()'s."""

    refused_meanwhile: tuple[type[Exception], ...] = ()

    def delete_refusal(self, obj: Any, *, others_leaving: Collection[int] = ()) -> str:
        """Why `obj` cannot be deleted now, with the objects `others_leaving` names; empty if
        it can."""
        raise NotImplementedError

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        # Said only to staff who may delete it: it tells who administers which org.
        may_delete = obj is not None and self.has_delete_permission(request, obj)
        refusal = self.delete_refusal(obj) if may_delete else ""
        if refusal:
            self.message_user(request, refusal, messages.ERROR)
            return self._change_page_of(request, obj.pk)
        try:
            return super().delete_view(request, object_id, extra_context)  # rolled back if raised
        except self.refused_meanwhile as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return self._change_page_of(request, obj.pk)

    def _change_page_of(self, request: HttpRequest, pk: Any) -> HttpResponse:
        """The change page of the object `pk`, shown again for a change it refused (a delete, a
        save), with the list's filters the refused page kept, as Django's pages pass them on:
        its Save still returns to that list."""
        opts = self.model._meta
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[quote(pk)],
            current_app=self.admin_site.name,
        )
        context = {"preserved_filters": self.get_preserved_filters(request), "opts": opts}
        return redirect(add_preserved_filters(context, url))

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            description = actions["delete_selected"][2]
            actions["delete_selected"] = (delete_allowed, "delete_selected", description)
        return actions


def delete_allowed(
    modeladmin: RefusableDeleteMixin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    """Django's "Delete selected", for the selected objects that may be deleted now."""
    allowed: list[int] = []
    for obj in queryset:
        refusal = modeladmin.delete_refusal(obj, others_leaving=allowed)
        if refusal:
            modeladmin.message_user(request, refusal, messages.ERROR)
        else:
            allowed.append(obj.pk)
    if not allowed:
        return None
    # In one transaction, as Django's delete page: a refusal after the check (a sync started)
    # undoes the deletes before it and the history Django wrote first, not only the last one.
    try:
        with transaction.atomic():
            return delete_selected(modeladmin, request, queryset.filter(pk__in=allowed))
    except modeladmin.refused_meanwhile as refused:
        modeladmin.message_user(request, refused.message, messages.ERROR)
        return None


def rows_lock_in_order(model: type[models.Model], pks: list[int]) -> list[Any]:
    """Lock these rows of `model` (orgs, accounts) until the transaction ends, in the order of
    their keys, before "Delete selected" deletes (or disconnects) them: one at a time in the
    list's order, two staff deleting the same ones sorted differently each held one the other
    waited for (or the site's listing row, which an org's delete writes), a deadlock. The rows
    still there."""
    return list(model.objects.select_for_update().filter(pk__in=pks).order_by("pk"))


@contextmanager
def every_selected_stays(outcome: str) -> Iterator[None]:
    """Around "Delete selected"'s delete of one row, refused as a sync started after the list's
    check: every selected row stays (delete_allowed rolls back), as `outcome` then says."""
    try:
        yield
    except SyncInProgress as refused:
        raise SyncInProgress(refused.connection, outcome=outcome) from None


def object_named(obj: models.Model, request: HttpRequest, admin_site: admin.AdminSite) -> str:
    """`obj` by its name, linked to its admin page if the staff member may open that page:
    Django links it for anyone, and the page answered 403 to staff who may not view it."""
    model = type(obj)
    if not (
        admin_site.is_registered(model)
        and admin_site.get_model_admin(model).has_view_or_change_permission(request, obj)
    ):
        return str(obj)
    opts = model._meta
    url = reverse(
        f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)]
    )
    return format_html('<a href="{}">{}</a>', url, obj)


class NestedObjectsListed(NestedObjects):
    """Django's collector of what its delete pages list, leaving out the rows of the `unlisted`
    models: deleted all the same."""

    def __init__(self, *args: Any, unlisted: Collection[type[models.Model]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unlisted = unlisted

    def add_edge(self, source: models.Model | None, target: models.Model) -> None:
        if type(target) not in self.unlisted:
            super().add_edge(source, target)


def deleted_objects_listed(
    objs: Iterable[models.Model],
    request: HttpRequest,
    admin_site: admin.AdminSite,
    *,
    unlisted: Collection[type[models.Model]],
) -> tuple[list[Any], dict[str, int], set[str], list[str]]:
    """Django's get_deleted_objects() without the `unlisted` models' rows, in the list or its
    summary, and linking only the objects the staff member may open (object_named)."""
    objs = list(objs)
    collector = NestedObjectsListed(
        using=router.db_for_write(type(objs[0])), origin=objs, unlisted=unlisted
    )
    collector.collect(objs)
    perms_needed: set[str] = set()

    def listed(obj: models.Model) -> str:
        opts = obj._meta
        if admin_site.is_registered(type(obj)) and not admin_site.get_model_admin(
            type(obj)
        ).has_delete_permission(request, obj):
            perms_needed.add(opts.verbose_name)
        return format_html(
            "{}: {}", capfirst(opts.verbose_name), object_named(obj, request, admin_site)
        )

    model_count = {
        model._meta.verbose_name_plural: len(instances)
        for model, instances in collector.model_objs.items()
        if model not in unlisted
    }
    protected = [listed(obj) for obj in collector.protected]
    return collector.nested(listed), model_count, perms_needed, protected


def deleted_objects_counted(
    objs: Iterable[models.Model], request: HttpRequest, admin_site: admin.AdminSite
) -> tuple[list[str], dict[str, int], set[str], list[str]]:
    """Django's get_deleted_objects(), counting what goes with `objs` instead of listing it
    object by object: an org's delete page listed each of its jobs, their department and office
    links and its sync history (1.4 MB and 3.5-7 s for 5,000 jobs). Found as the delete itself
    finds them, reading only their keys."""
    objs = list(objs)
    model = type(objs[0])
    collector = Collector(using=router.db_for_write(model), origin=objs)
    collector.collect(objs)
    counts: Counter[type[models.Model]] = Counter()
    for related_model, instances in collector.data.items():
        counts[related_model] += len(instances)
    # Rows deleted without being read, counted. A model's querysets may overlap (a job's link
    # to a department goes with the job and with the department): counted as one.
    unread: dict[type[models.Model], QuerySet] = {}
    for queryset in collector.fast_deletes:
        earlier = unread.get(queryset.model)
        unread[queryset.model] = queryset if earlier is None else earlier | queryset
    for related_model, queryset in unread.items():
        counts[related_model] += queryset.count()
    counts = +counts  # without the relations that have no rows
    model_count = {related._meta.verbose_name_plural: count for related, count in counts.items()}
    perms_needed = {
        related._meta.verbose_name
        for related in counts
        if admin_site.is_registered(related)
        and not admin_site.get_model_admin(related).has_delete_permission(request)
    }
    listed = [
        format_html(
            "{}: {}", capfirst(model._meta.verbose_name), object_named(obj, request, admin_site)
        )
        for obj in objs
    ]
    return listed, model_count, perms_needed, []


@dataclass(frozen=True)
class RelatedObjectLink:
    """A read-only field naming a related object (a job's organization, a member's account) as
    object_named() does. Made for each request; equal for the same field and request, as Django
    finds read-only fields among the others by comparing them."""

    field: models.Field
    request: HttpRequest
    admin_site: admin.AdminSite

    @property
    def __name__(self) -> str:  # Django names the field's CSS class and help text after it
        return self.field.name

    @property
    def short_description(self) -> str:
        return self.field.verbose_name

    def __call__(self, obj: models.Model) -> str:
        return object_named(getattr(obj, self.field.name), self.request, self.admin_site)


class RelatedObjectLinks:
    """For the admin pages that show a related object read-only: a RelatedObjectLink in its
    place wherever Django shows it read-only, as one of the `readonly_fields` or on a page the
    staff member may only view."""

    def shows_read_only(self, request: HttpRequest, obj: Any) -> bool:
        """Whether Django shows every field read-only (its page for staff who may only view)."""
        return obj is not None and not self.has_change_permission(request, obj)

    def as_link(self, request: HttpRequest, name: Any) -> Any:
        """`name` as a RelatedObjectLink if it names a relation to one object, else itself."""
        if not isinstance(name, str):
            return name
        try:
            field = self.opts.get_field(name)
        except FieldDoesNotExist:
            return name  # one of the admin's methods
        if field.concrete and (field.many_to_one or field.one_to_one):
            return RelatedObjectLink(field, request, self.admin_site)
        return name

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        readonly = super().get_readonly_fields(request, obj)
        return [self.as_link(request, name) for name in readonly]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fields = super().get_fields(request, obj)
        links = [self.as_link(request, name) for name in fields]
        if self.shows_read_only(request, obj):
            return links
        readonly = self.get_readonly_fields(request, obj)
        pairs = zip(fields, links, strict=True)
        return [link if link in readonly else name for name, link in pairs]


class InlineRelatedObjectLinks(RelatedObjectLinks):
    """RelatedObjectLinks for an inline's rows."""

    def as_link(self, request: HttpRequest, name: Any) -> Any:
        """As RelatedObjectLinks.as_link, but for the row's key to the page's object, which
        Django leaves out of the table only by its name: a link made it a column naming the
        page's own org on each row."""
        link = super().as_link(request, name)
        if (
            isinstance(link, RelatedObjectLink)
            and link.field.remote_field.model is self.parent_model
            and self.fk_name in (None, link.field.name)
        ):
            return name
        return link

    def shows_read_only(self, request: HttpRequest, obj: Any) -> bool:
        """As Django decides it for an inline (ModelAdmin.get_inline_formsets): its rows are all
        read-only on a page whose object the staff member may not edit, or with rows they may
        neither change nor add."""
        parent = self.admin_site.get_model_admin(self.parent_model)
        if obj is None:
            parent_editable = parent.has_add_permission(request)
        else:
            parent_editable = parent.has_change_permission(request, obj)
        return not parent_editable or not (
            self.has_change_permission(request, obj) or self.has_add_permission(request, obj)
        )

    def get_saved_rows_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        """The fieldsets of the rows saved, where Django shows them read-only and the new rows
        editable (to staff who may add rows but not change them): each related object a link."""
        return [
            (name, {**options, "fields": [self.as_link(request, f) for f in options["fields"]]})
            for name, options in self.get_fieldsets(request, obj)
        ]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if "fields" not in kwargs and self.shows_read_only(request, obj):
            # Django keeps the fields of rows it shows read-only in their form (reading none
            # back): each link by its field's name, as a link is no form field.
            kwargs["fields"] = [
                name.field.name if isinstance(name, RelatedObjectLink) else name
                for name in flatten_fieldsets(self.get_fieldsets(request, obj))
            ]
        return super().get_formset(request, obj, **kwargs)


class InlineAdminFormSetOfSavedLinks(InlineAdminFormSet):
    """An inline's rows, the saved ones named with `saved_fieldsets` where Django shows them
    read-only and the new rows editable: Django gives both one field list, naming a related
    object on a saved row with its own link for anyone (answering 403 to staff who may not
    open it)."""

    def __init__(self, *args: Any, saved_fieldsets: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.saved_fieldsets = saved_fieldsets

    def __iter__(self) -> Iterator[InlineAdminForm]:
        for row in super().__iter__():
            if row.original is not None and not self.has_change_permission:
                row.fieldsets = self.saved_fieldsets
                row.readonly_fields = [
                    *self.readonly_fields,
                    *flatten_fieldsets(self.saved_fieldsets),
                ]
            yield row


class InlinesOfRelatedObjectLinks:
    """For the admin of a model whose inlines are InlineRelatedObjectLinks, to name related
    objects on saved rows shown read-only beside editable new ones as on their other rows."""

    def get_inline_formsets(
        self, request: HttpRequest, formsets: list, inline_instances: list, obj: Any = None
    ) -> list[InlineAdminFormSet]:
        shown = super().get_inline_formsets(request, formsets, inline_instances, obj)
        return [
            InlineAdminFormSetOfSavedLinks(
                inline_formset.opts,
                inline_formset.formset,
                inline_formset.fieldsets,
                inline_formset.prepopulated_fields,
                inline_formset.readonly_fields,
                model_admin=self,
                has_add_permission=inline_formset.has_add_permission,
                has_change_permission=inline_formset.has_change_permission,
                has_delete_permission=inline_formset.has_delete_permission,
                has_view_permission=inline_formset.has_view_permission,
                saved_fieldsets=inline_formset.opts.get_saved_rows_fieldsets(request, obj),
            )
            if isinstance(inline_formset.opts, InlineRelatedObjectLinks)
            else inline_formset
            for inline_formset in shown
        ]


ACCOUNT_DELETED_MEANWHILE_MESSAGE = (
    "An account chosen for a member row was deleted meanwhile, so nothing was saved. Reload "
    "the page to choose among the accounts there are now."
)


class MembershipFormSet(forms.BaseInlineFormSet):
    # What the staff member saving may do, set for each request (MembershipInline.get_formset):
    # the refusal to leave the org without an admin asks only what they can do.
    staff_may_add_rows = True
    staff_may_change_rows = True

    def delete_existing(self, obj: Membership, commit: bool = True) -> None:
        if commit:
            membership_delete(obj)  # with any invitation, whose link would re-add them

    def save_existing(self, form: forms.ModelForm, obj: Membership, commit: bool = True) -> Any:
        if not commit:
            return super().save_existing(form, obj, commit)
        # Only what the page changed in the row (MembershipForm): read under the org's lock.
        fields = {field.name for field in Membership._meta.concrete_fields}
        obj.save(update_fields=[name for name in form.changed_data if name in fields])
        return obj

    def clean(self) -> None:
        """An org that has an admin keeps one, as on the members page (jobs.memberships), and a
        member removed since this request read the rows stays removed."""
        super().clean()
        if not self.instance.pk:
            return
        # Rows the page showed that this request did not find: Django says "Select a valid
        # choice" of each one's hidden id, shown nowhere on the page. Read under the org's lock
        # (OrganizationAdmin.row_lock), which every removal of a member takes first (the members
        # page, an account's or the org's delete): none is removed after this.
        not_found = [form for form in self.initial_forms if form.instance.pk is None]
        # Not the rows to remove: Django ignores what is wrong with them, as it does not save them.
        kept = [form for form in self.forms if not self._should_delete_form(form)]
        removed = [form for form in not_found if form in kept]  # before it read them
        if removed:
            raise forms.ValidationError(self._removed_meanwhile_message(removed))
        if any(form.errors for form in kept):
            return  # each row says what is wrong; counted once they are all valid
        # The org's row is locked until the page's save commits (OrganizationAdmin.row_lock), as
        # the members page locks it (organization_admins_lock): an admin demoted there meanwhile
        # is not counted here as one.
        saved = [form for form in kept if form.has_changed()]
        # The accounts rows are given (a new row, or another account), as the rows' key locks
        # them as the save commits: an account's delete begun meanwhile went through first,
        # and that check failed (an error page). Locked now, the delete waits for the save;
        # it locks the account, then only the orgs it belongs to, which this one is not.
        given = {form.instance.user_id for form in saved if "user" in form.changed_data}
        if given:
            accounts_found = rows_key_share_lock(User.objects.filter(pk__in=given).order_by("pk"))
            if accounts_found is not None and accounts_found < len(given):
                raise forms.ValidationError(ACCOUNT_DELETED_MEANWHILE_MESSAGE)
        active_admins = admins_who_can_sign_in(self.instance.pk)
        if not active_admins.exists():
            return
        # The rows Django saves, each as it will be; every other row as stored now: a member
        # made an admin on the members page since the forms read the rows (which takes no lock
        # of the org) is one. A demotion there waits for this save, as it locks the org first.
        # Django saves no row it shows read-only (to staff who may only view them).
        kept_admins = [
            form
            for form in saved
            if form.instance.role == Membership.Role.ADMIN and can_sign_in(form.instance.user)
        ]
        replaced = [
            form.instance.pk
            for form in self.forms
            if form.instance.pk and (self._should_delete_form(form) or form.has_changed())
        ]
        if not kept_admins and not active_admins.exclude(pk__in=replaced).exists():
            raise forms.ValidationError(self._admin_needed_message(replaced))

    def _removed_meanwhile_message(self, rows: list[forms.ModelForm]) -> str:
        """What the page says of the member `rows` removed since this request read them."""
        names = sorted(str(user) for form in rows if (user := form.cleaned_data.get("user")))
        # A row whose account is gone too names none: counted, not listed as "A member, bob".
        unnamed = len(rows) - len(names)
        if unnamed == 1:
            names.append("another member" if names else "A member")
        elif unnamed > 1:
            names.append(f"{unnamed} other members" if names else f"{unnamed} members")
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        removed = f"{listed} {'was' if len(rows) == 1 else 'were'} removed"
        return (
            f"{removed} from {name_in_sentence(self.instance.name)} meanwhile, so nothing was "
            "saved. Reload the "
            "page to see who belongs to it now."
        )

    def _admin_needed_message(self, replaced: list[int]) -> str:
        """What these staff can do for the org to keep an admin: add one, or else make one of
        a member who can sign in whose row the save leaves as it is, or else ask."""
        if self.staff_may_add_rows:
            return ADMIN_ADD_NEEDED_MESSAGE
        others = members_who_can_sign_in(self.instance.pk).exclude(pk__in=replaced)
        if self.staff_may_change_rows and others.exists():
            return ADMIN_NEEDED_MESSAGE
        return ADMIN_ADD_ASK_MESSAGE


class MembershipForm(ChangedFieldsOnly, forms.ModelForm):
    """A member row of an org's page. Saved, it writes only what the page changed in it
    (MembershipFormSet.save_existing): a row left as shown is not saved, and a page left open
    while the member was made an admin on the members page made them a member again, saved to
    rename the org."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A row added with its role chosen and no account (the rows left as given are skipped).
        say_what_to_type(self, {"user": "Choose the member's account."})
        widget = self.fields["user"].widget
        widget = getattr(widget, "widget", widget)  # inside the admin's add and change links
        if self.instance.user_id is not None and isinstance(widget, AutocompleteSelectOfIds):
            widget.account_read = self.instance.user  # read with the row (MembershipInline)

    def clean(self) -> dict[str, Any]:
        """A hidden field's error said as the row's: Django's table of rows shows no hidden
        field's errors, so a tampered org key (in the row's hidden input) got "Please correct
        the error below" and no error. Not the row's id, whose error (a row removed meanwhile)
        MembershipFormSet.clean says in words."""
        for field in self.hidden_fields():
            if field.name == self.instance._meta.pk.name or field.name not in self.errors:
                continue
            for error in self.errors.pop(field.name):
                self.add_error(None, f"(Hidden field {field.name}) {error}")
        cleaned = super().clean()
        if self.instance.pk is not None:  # not a row removed meanwhile, which its formset says
            self.changed_meanwhile_refuse(reload="the organization")
        return cleaned

    def validate_unique(self) -> None:
        """Also against the rows saved: Django's inline forms leave out the constraints that name
        the page's org, so a row for someone made a member meanwhile (on the members page), or
        rows posted as new ones, met the database's unique constraint, an error page."""
        super().validate_unique()
        # Only new rows and rows whose account changed: a query each. A new one's, whatever
        # account its page says it showed.
        changed = self.instance._state.adding or "user" in self.changed_data
        if changed and not self.has_error("user"):
            try:
                self.instance.validate_constraints()
            except forms.ValidationError as error:
                self.add_error(None, error)


class AutocompleteSelectOfIds(AutocompleteSelect):
    """Django's account picker, showing again only a chosen value that can be an id: it looks
    the value up to name it, and a posted "abc" (or 30 digits, on SQLite) made the page an
    error instead of the form's "Select a valid choice". An account its form has read already
    (`account_read`) is named without looking it up: Django's lookup was a query per row, 50 on
    the page of an org with 50 members."""

    account_read: User | None = None

    def optgroups(self, name: str, value: list[Any], attr: dict | None = None) -> list:
        ids = [str(pk) for pk in ids_of(map(str, value))]
        account = self.account_read
        # Required: Django's list then has no empty choice before the account's.
        if self.is_required and account is not None and ids == [str(account.pk)]:
            label = self.choices.field.label_from_instance(account)
            return [(None, [self.create_option(name, account.pk, label, True, 0)], 0)]
        return super().optgroups(name, ids, attr)


class MembershipInline(InlineRelatedObjectLinks, admin.TabularInline):
    model = Membership
    form = MembershipForm
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ["user"]

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField:
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelectOfIds(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "organization")  # __str__

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)  # a class made for this request
        formset.staff_may_add_rows = self.has_add_permission(request, obj)
        formset.staff_may_change_rows = self.has_change_permission(request, obj)
        return formset


# Marks a request whose org page OrganizationAdmin answers a third time, as its slug was taken
# between its checks and its write twice: its form then refuses the slug as taken.
SLUG_TAKEN_MEANWHILE = "organization_slug_taken_meanwhile"


class OrganizationAdminForm(ChangedMeanwhileRefused, OrganizationChecks, forms.ModelForm):
    # Set by OrganizationAdmin.get_form (SLUG_TAKEN_MEANWHILE).
    slug_taken_meanwhile = False

    class Meta:  # the model and the fields are the admin's (ModelAdmin.get_form)
        field_classes = ORGANIZATION_FIELD_CLASSES
        # Django's own check of a slug's characters ("letters, numbers, underscores or
        # hyphens") allows capitals, which validate_organization_slug() then refuses: one rule.
        error_messages = {"slug": {"invalid": NOT_A_SLUG}}
        # Not the one-line box of the admin's CharFields, which drops the description's breaks.
        widgets = {"description": AdminTextareaWidget(attrs={"rows": 3})}
        # As on the settings page: the boxes no longer stop at the limit.
        help_texts = {
            "name": f"{capfirst(NAME_LIMIT)}.",
            "description": f"{capfirst(DESCRIPTION_LIMIT)}. Leave a blank line between paragraphs.",
            "website": f"{capfirst(WEBSITE_LIMIT)}.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        say_what_to_type(
            self, {"slug": f"Type a slug, for the org's address /orgs/<slug>/: use {SLUG_RULE}."}
        )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        # A new one only: an org's page stays where it is while other fields are edited.
        if "slug" in self.changed_data:
            validate_organization_slug(slug)
            # Taken in any case, as on the forms that create an org (organization_slug_taken):
            # an org saved with capitals before slugs had to be lowercase. One taken as it is,
            # the unique constraint says.
            other = (
                Organization.objects.filter(slug__in_any_case=slug)
                .exclude(pk=self.instance.pk)
                .exclude(slug=slug)
                .values_list("slug", flat=True)
                .first()
            )
            if other:
                raise forms.ValidationError(
                    f"Another organization has this slug in capitals, “{other}”, an address that "
                    "differs from it only in case: choose another slug.",
                    code="taken_in_other_case",
                )
            if self.slug_taken_meanwhile:  # though these checks find it free (its admin's)
                raise self.instance.unique_error_message(Organization, ("slug",))
        return slug


@dataclass(frozen=True)
class OrganizationListLinks:
    """The organization list's "in the lists" column, and its page's field: links to the org's
    rows in the lists `lists` names, which narrow to one org through these (or a search), as
    their sidebar cannot offer 10,000 orgs. Made for each request, with the lists that request's
    staff member may view: a link to another would answer 403. Equal when the lists are, as the
    change page finds its read-only fields among the others by comparing them."""

    lists: tuple[tuple[str, str], ...]  # each list's address and label

    __name__ = "lists"  # Django names the column's and the field's CSS class after it
    short_description = "in the lists"

    def __call__(self, organization: Organization) -> str:
        if organization.pk is None:  # the add page
            return ""
        query = urlencode({"organization__id__exact": organization.pk})
        return format_html_join(
            " · ", '<a href="{}?{}">{}</a>', ((url, query, label) for url, label in self.lists)
        )


@admin.register(Organization)
class OrganizationAdmin(
    RowLockedForItsChange, InlinesOfRelatedObjectLinks, RefusableDeleteMixin, VisitorPagesAdmin
):
    form = OrganizationAdminForm
    list_display = ["name", "slug", "website"]
    # As the site lists orgs: by Meta's "name", "acme" came after "Zephyr" where the database
    # compares bytes (SQLite, PostgreSQL's "C.UTF-8"). Set here, as changing Meta.ordering would
    # take a migration that changes no table.
    ordering = by_organization_name()
    search_fields = ["name", "search_name__searched", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    # A website typed without a scheme is read as https (Django 6's default, without its warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # What OrganizationListLinks links, for the staff who may view each.
    LISTS = (
        (Job, "Jobs"),
        (Department, "Departments"),
        (Office, "Offices"),
        (SyncRun, "Sync runs"),
    )

    def organization_of(self, obj: Organization) -> Organization:
        return obj

    def organization_id_of(self, obj: Organization) -> int:
        return obj.pk

    def row_lock(self, pk: str) -> None:
        """The org's own row, for update, as a change of its members locks it
        (organization_admins_lock). Not FOR KEY SHARE first, as for an org's rows: two saves at
        once would each hold that while waiting for the other's to lock it for update."""
        list(Organization.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True))

    def list_links(self, request: HttpRequest) -> list[OrganizationListLinks]:
        """The links column or field for this request; none if it may view none of the lists.
        Permissions are read once a request (Django keeps them on the user), not once a row."""
        lists = tuple(
            (reverse(f"admin:jobs_{model._meta.model_name}_changelist"), label)
            for model, label in self.LISTS
            if self.admin_site.get_model_admin(model).has_view_permission(request)
        )
        return [OrganizationListLinks(lists)] if lists else []

    def get_list_display(self, request: HttpRequest) -> Sequence[Any]:
        return [*super().get_list_display(request), *self.list_links(request)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[Any]:
        return [*super().get_readonly_fields(request, obj), *self.list_links(request)]

    def save_model(
        self, request: HttpRequest, obj: Organization, form: forms.Form, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change and "slug" in form.changed_data:  # the pages at the old address go too
            self.pages_refresh(Organization(slug=form.initial["slug"]))

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        # Answered again, the slug is refused by the checks' own words (clean_slug's, or
        # Django's of the unique slug), the form as it was sent: not a server error. Refused
        # again, the slug was let go and taken anew between the second answer's checks and its
        # write: the third, which writes nothing, refuses it as taken (SLUG_TAKEN_MEANWHILE).
        for _ in range(2):  # as sent, then answered again
            try:
                return super().changeform_view(request, object_id, form_url, extra_context)
            except IntegrityError:  # rolled back: Django's admin saves in a transaction of its own
                if not self.slug_taken_meanwhile(request, object_id):
                    raise
        setattr(request, SLUG_TAKEN_MEANWHILE, True)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self,
        request: HttpRequest,
        obj: Organization | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)  # a class made for this request
        form.slug_taken_meanwhile = getattr(request, SLUG_TAKEN_MEANWHILE, False)
        return form

    @staticmethod
    def slug_taken_meanwhile(request: HttpRequest, object_id: str | None) -> bool:
        """Whether another org has the slug sent, in any case: another save took it between this
        page's checks and its write, and the unique constraints refused the write."""
        slug = request.POST.get("slug", "")
        if request.method != "POST" or not could_be_a_slug(slug):
            return False
        others = Organization.objects.filter(slug__in_any_case=slug)
        if object_id is not None:
            others = others.exclude(pk=unquote(object_id))
        return others.exists()

    # Raised by a delete that takes the sync lease, as a sync started since the check: shown.
    refused_meanwhile = (SyncInProgress,)

    # Deleted as from the org's settings page: under the sync lease, with never-used accounts.
    def delete_refusal(self, obj: Organization, *, others_leaving: Collection[int] = ()) -> str:
        connection = GreenhouseConnection.objects.filter(organization=obj).first()
        if connection is None or not connection.is_locked():
            return ""
        return sync_running_refusal(connection, outcome=NOT_DELETED)

    def get_deleted_objects(
        self, objs: Iterable[Organization], request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        return deleted_objects_counted(objs, request, self.admin_site)

    def delete_model(self, request: HttpRequest, obj: Organization) -> None:
        organization_delete(organization=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for organization in rows_lock_in_order(Organization, [org.pk for org in queryset]):
            with every_selected_stays("none of the selected organizations was deleted"):
                organization_delete(organization=organization)


def sole_admin_refusal(user: User, *, outcome: str, others_leaving: Collection[int] = ()) -> str:
    """Why `user` may not be deleted or stop signing in (`outcome` says which); empty if they
    may. With `others_leaving`, as if those users went too."""
    sole_admin_of = organizations_only_administered_by(user, others_leaving=others_leaving)
    if not sole_admin_of:
        return ""
    names = ending_sentence(", ".join(org.name for org in sole_admin_of))
    # Staff add member rows themselves: whether anyone else belongs to the org yet or not.
    remedy = (
        "Add another admin to it, or delete it, first."
        if len(sole_admin_of) == 1
        else "Add another admin to each, or delete them, first."
    )
    return f"{outcome}: nobody else who can sign in is an admin of {names} {remedy}"


@contextmanager
def refused_as_staff_are_told(user: User, *, outcome: str) -> Iterator[None]:
    """Around a save or delete of `user` that checks again, under the orgs' locks, what its form
    or page checked unlocked (other_admins_ensure): refused, as another admin stopped being one
    meanwhile, its MembershipError says so as that form or page does (sole_admin_refusal)."""
    try:
        yield
    except MembershipError as refused:
        told = sole_admin_refusal(user, outcome=outcome) or refused.message
        raise MembershipError(told) from None


def _beyond_reach(request: HttpRequest, user: User | None) -> bool:
    """Whether `user` is an account only a superuser changes or deletes: one with more than a
    plain account's power (superuser or staff status, groups, permissions), other than the
    staff member's own."""
    if user is None or request.user.is_superuser or user.pk == request.user.pk:
        return False
    return (
        user.is_superuser or user.is_staff or user.groups.exists() or user.user_permissions.exists()
    )


class PersonNameField(OneLineField):
    """A first or last name: Django's admin greets staff by it in the header ("Welcome, Ann."),
    and a control character showed as a box there, and a direction override reversed the
    header's links after it. Arabic and Hebrew letters read the same without them."""

    def to_python(self, value: Any) -> str:
        return without_direction_controls(super().to_python(value))


class UserChangeKeepingAdminsForm(ChangedFieldsOnly, UserChangeForm):
    """Django's, except that an org's only admin who can sign in is not deactivated, and that
    an account is not renamed to another's username in other case (as Django's add form) or
    to one that shows nothing (as sign-up), nor given a first or last name that shows nothing
    but is not empty, nor another account's email address (as sign-up and /accounts/email/).
    Saved, it writes only what its page changed (groups and permissions too): a page left open
    while other staff deactivated the account put it back active. A field changed both there
    and meanwhile is refused, naming it."""

    class Meta(UserChangeForm.Meta):
        field_classes = {
            **UserChangeForm.Meta.field_classes,
            "first_name": PersonNameField,
            "last_name": PersonNameField,
        }
        # As the org's name says its limit: these boxes no longer stop at it (OneLineField).
        help_texts = {
            name: f"{capfirst(at_most_characters(User, name))}."
            for name in ("first_name", "last_name")
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        say_what_to_type(
            self,
            {
                "username": TYPE_A_USERNAME,
                "date_joined": "Type the date and time the account joined.",
            },
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # The account was read under its lock (accounts_ended_by): as it is now.
        self.changed_meanwhile_refuse(reload="the account")
        return cleaned

    def clean_username(self) -> str:
        """Sign-in takes a username in any case, its domain in IDNA or Unicode (jobs.throttle),
        and of two alike, neither signs in but as spelt exactly."""
        username = self.cleaned_data["username"]
        if username == self.instance.username:
            return username  # an account named before these checks can still be saved
        validate_username_shows(username)
        if User.objects.filter(usernames_alike(username)).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(self.instance.unique_error_message(User, ["username"]))
        return username

    def clean_email(self) -> str:
        """An invitation to an address two accounts have joins the first of them, and a password
        reset goes to both: each account has its own."""
        email = self.cleaned_data["email"]
        if email and email != self.instance.email and email_taken(email, user=self.instance):
            raise forms.ValidationError(EMAIL_TAKEN_MESSAGE)
        return email  # one shared before these checks can still be saved

    def _name_that_shows(self, field: str) -> str:
        """The admin lists accounts by their names and greets staff by their first name: one
        of zero-width spaces or blank letters (which strip() keeps) would read as nothing."""
        name = self.cleaned_data[field]
        if name and name != getattr(self.instance, field) and not shows_anything(name):
            label = User._meta.get_field(field).verbose_name
            raise forms.ValidationError(f"Choose a {label} that shows: this one is all blank.")
        return name

    def clean_first_name(self) -> str:
        return self._name_that_shows("first_name")

    def clean_last_name(self) -> str:
        return self._name_that_shows("last_name")

    def clean_is_active(self) -> bool:
        """A deactivated account cannot sign in: not the only admin of an org who can."""
        is_active = self.cleaned_data["is_active"]
        # self.instance still holds the stored values here (the form writes them after clean).
        if not is_active and "is_active" in self.changed_data and can_sign_in(self.instance):
            refusal = sole_admin_refusal(
                self.instance, outcome=f"The account “{self.instance.get_username()}” stays active"
            )
            if refusal:
                raise forms.ValidationError(refusal)
        return is_active


class UserCreationShowingNameForm(UsernameThatShows, AdminUserCreationForm):
    """Django's, except that the username shows and a box left empty says what to type (as on
    sign-up)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        say_what_to_type(self, {"username": TYPE_A_USERNAME, **PASSWORD_BOXES})


class ChangedFieldsOnlyAdmin(admin.ModelAdmin):
    """For a ModelAdmin whose form is ChangedFieldsOnly (an account's, a group's): a change
    saves only the fields its page changed, its lists only in the form's _save_m2m. The form
    refuses a field changed there and meanwhile (changed_meanwhile_refuse), from the object as
    this request read it: under its lock, for that to be as it is now (an account's in
    accounts_ended_by, a group's in GroupAdmin.get_object). Locked so, it is not deleted before
    the save: a delete waits for it."""

    def save_model(
        self, request: HttpRequest, obj: models.Model, form: forms.Form, change: bool
    ) -> None:
        if not change:
            obj.save()
            return
        many = {field.name for field in self.model._meta.many_to_many}  # the form's _save_m2m
        obj.save(update_fields=[name for name in form.changed_data if name not in many])


class PasswordChangeKeepingAdminsForm(AdminPasswordChangeForm):
    """Django's, except that password sign-in is not turned off for an org's only admin who
    can sign in, that a box left empty says what to type, and that the password is saved alone
    (password_save), as the site's own pages and changepassword save it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        say_what_to_type(self, PASSWORD_BOXES)

    def _turns_sign_in_off(self) -> bool:
        return self.cleaned_data.get("set_usable_password") is False and can_sign_in(self.user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self._turns_sign_in_off():
            refusal = sole_admin_refusal(
                self.user,
                outcome=f"Password sign-in stays on for the account “{self.user.get_username()}”",
            )
            if refusal:
                self.add_error("usable_password", refusal)  # the page shows no form-wide errors
        return cleaned

    def save(self, commit: bool = True) -> User:
        if not commit:
            return super().save(commit=False)
        username = self.user.get_username()
        outcome = f"Password sign-in stays on for the account “{username}”"
        usable = self.cleaned_data["set_usable_password"]
        with transaction.atomic():
            if self._turns_sign_in_off():
                with refused_as_staff_are_told(self.user, outcome=outcome):
                    other_admins_ensure(user=self.user)  # again, under the org's lock
            # Saved: the account is locked since before the page read it (accounts_ended_by),
            # so neither changed nor deleted since.
            password_save(
                user=self.user, password=self.cleaned_data["password1"] if usable else None
            )
        return self.user


class PasswordSummaryWidget(ReadOnlyPasswordHashWidget):
    """Django's summary of an account's password, without its button to the page that sets
    one: for staff who may not set it, whom that page refused (403)."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        summary = self.get_context(name, value, attrs)["summary"]
        return format_html(
            "<div><p>{}</p></div>",
            format_html_join(
                "\n",
                "<strong>{}</strong>{}",
                (
                    (entry["label"], format_html(": <bdi>{}</bdi>", entry["value"]))
                    if "value" in entry
                    else (entry["label"], "")
                    for entry in summary
                ),
            ),
        )


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(ChangedFieldsOnlyAdmin, ListQueryCleaning, RefusableDeleteMixin, DjangoUserAdmin):
    """Django's, except that neither deleting nor deactivating someone, nor turning off their
    password, leaves an org without an admin who can sign in (as on the members page and
    /accounts/delete/)."""

    form = UserChangeKeepingAdminsForm
    add_form = UserCreationShowingNameForm
    change_password_form = PasswordChangeKeepingAdminsForm
    # Power over the whole site, which only a superuser grants: Django lets anyone who may change
    # users edit these, on their own account too.
    PRIVILEGE_FIELDS = ("is_superuser", "groups", "user_permissions")
    # Raised by a save or delete that checks again under the orgs' locks: shown to staff.
    refused_meanwhile = (MembershipError,)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Sequence[str]:
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else [*readonly, *self.PRIVILEGE_FIELDS]

    def get_form(self, request: HttpRequest, obj: User | None = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and not self.has_change_permission(request, obj):
            password = copy.copy(form.base_fields["password"])  # Django's, shared by every form
            password.widget = PasswordSummaryWidget()
            form.base_fields = {**form.base_fields, "password": password}
        return form

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> User | None:
        # Not found unless spelt as digits, as the list's actions ignore other ids: a write's
        # lock of the account (accounts_ended_by) knows it so, where Django read "+2" (quoted
        # "_2B2"), " 2" or "1_0" (10) through int() too, its write then not held up by others'.
        if not is_row_id(object_id):
            return None
        return super().get_object(request, object_id, from_field)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Setting its password, or the address its password resets go to, would let whoever
        # did sign in as it.
        return super().has_change_permission(request, obj) and not _beyond_reach(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Django's delete page and "Delete selected" both ask this of each account.
        return super().has_delete_permission(request, obj) and not _beyond_reach(request, obj)

    def delete_refusal(self, obj: User, *, others_leaving: Collection[int] = ()) -> str:
        return sole_admin_refusal(
            obj,
            outcome=f"The account “{obj.get_username()}” was not deleted",
            others_leaving=others_leaving,
        )

    def accounts_ended_by(self, request: HttpRequest, **page: str) -> list[int]:
        """The accounts a write here may delete or deactivate (or turn the password off of, or
        change the address of, which lock it as those do), which the site locks first, in one
        order with the staff member's own (staff_account_lock): the account whose page it is,
        or those selected for an action on the list ("Delete selected"), or every one the list
        finds after "Select all" (the action is given them, whatever boxes were ticked)."""
        shown = page.get("object_id") or page.get("id")  # its password page's name for it
        select_across = request.POST.get("select_across")  # "Select all", as its action reads it
        if not shown and forms.BooleanField(required=False).clean(select_across):
            try:
                found = self.get_changelist_instance(request).get_queryset(request)
            except IncorrectLookupParameters:
                return []  # the list redirects, doing nothing
            return list(found.values_list("pk", flat=True))
        selected = [shown] if shown else request.POST.getlist(ACTION_CHECKBOX_NAME)
        return [int(pk) for pk in selected if is_row_id(pk)]

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        try:
            return super().user_change_password(request, id, form_url)
        except MembershipError as refused:  # from the form's save, rolled back
            self.message_user(request, refused.message, messages.ERROR)
            return redirect(request.get_full_path())

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except MembershipError as refused:  # from save_model, rolled back
            self.message_user(request, refused.message, messages.ERROR)
            # With its query: a popup stays one, and its list's filters are kept for the return.
            return redirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: User, form: forms.Form, change: bool) -> None:
        # The form checked it unlocked; this locks the orgs until the save commits.
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        if deactivated and obj.has_usable_password():
            # Rolled back with the whole page, whatever else it changed.
            outcome = f"The account “{obj.get_username()}” was not saved, and stays active"
            with refused_as_staff_are_told(obj, outcome=outcome):
                other_admins_ensure(user=obj)
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data:
            email_change_count(user=obj)

    def get_deleted_objects(
        self, objs: Iterable[User], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[str]]:
        # How many times an address changed is bookkeeping of the confirmation links, which
        # staff never see: listed, it read as something more to lose.
        return deleted_objects_listed(objs, request, self.admin_site, unlisted=[EmailChangeCount])

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        outcome = f"The account “{obj.get_username()}” was not deleted"
        with refused_as_staff_are_told(obj, outcome=outcome):
            user_delete(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # One at a time, each checked after the ones before went: two admins of an org may not
        # both go. Every one locked first, as deleting an account locks it, then its orgs.
        for user in rows_lock_in_order(User, [user.pk for user in queryset]):
            # Refused, every account selected stays (delete_allowed rolls back).
            outcome = (
                "None of the selected accounts was deleted, as the account "
                f"“{user.get_username()}” may not be"
            )
            with refused_as_staff_are_told(user, outcome=outcome):
                user_delete(user=user)


class ConnectionAdminForm(ChangedMeanwhileRefused, forms.ModelForm):
    # Labelled as on the settings page; unlabelled, Django's history named it "new_api_key".
    new_api_key = ApiKeyField(
        label="New Job Board API key",
        required=False,
        widget=forms.PasswordInput,
        help_text=(
            f"Stored encrypted; reading the board does not need one. {capfirst(API_KEY_LIMIT)}."
        ),
    )
    # The board the page showed: the org's admins may have connected another since (the same
    # row), which must not take a key or a schedule typed for the one shown.
    shown_board_token = forms.CharField(widget=forms.HiddenInput, required=False)
    # The key it showed (KeyShown), as the settings page sends it: a key stored since, by the
    # org's admins or other staff, is not replaced by one typed here unseen.
    shown_api_key_mark = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
    shown_api_key_last5 = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
    # Those hidden fields: what the page showed, sent back, never shown.
    sent_back = ("shown_board_token", "shown_api_key_mark", "shown_api_key_last5")

    class Meta:
        model = GreenhouseConnection
        fields = ["enabled", "sync_interval_minutes"]
        # Past either bound, in the settings page's words.
        error_messages = {"sync_interval_minutes": SYNC_INTERVAL_ERRORS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shown_board_token"].initial = self.instance.board_token
        self.fields["shown_api_key_mark"].initial = self.instance.api_key_mark
        self.fields["shown_api_key_last5"].initial = self.instance.api_key_last5
        if self.instance.has_api_key:  # as on the settings page: only then is there one to keep
            # After the text on how the key is stored, not in its place.
            self.fields["new_api_key"].help_text += f" {KEEP_THE_STORED_KEY}"

    def clean_new_api_key(self) -> str:
        return validate_api_key(self.cleaned_data["new_api_key"])

    def key_shown(self) -> KeyShown | None:
        """The key the page showed; None for a form sent without saying (by a page served
        before it said it, or by a script), which replaces the key stored, whichever it is."""
        if "shown_api_key_mark" not in self.data:
            return None
        data = self.cleaned_data
        return KeyShown(mark=data["shown_api_key_mark"], last5=data["shown_api_key_last5"])


# A line of the connections' list: enough to tell a timeout from a board not found. At most so
# many characters too: a word can be long (a redirect's path, up to MAX_PATH_SHOWN), and one
# unbroken widened the column, the list scrolling sideways.
LAST_ERROR_START_WORDS = 8
LAST_ERROR_START_CHARS = 80


@admin.register(GreenhouseConnection)
class GreenhouseConnectionAdmin(
    RowLockedForItsChange,
    ListQueryCleaning,
    RelatedObjectLinks,
    RefusableDeleteMixin,
    admin.ModelAdmin,
):
    """Schedule and API key only. A board is connected or changed on the org's settings page
    (or with `connect_greenhouse`), which checks the token with Greenhouse first. Deleting one
    disconnects the org as its settings page does: its jobs are kept, closed, since no sync
    would ever close them."""

    form = ConnectionAdminForm
    list_display = [
        "organization",
        "board_token",
        "board_name",
        "state",
        "next_sync",
        "last_success_at",
        "last_error_start",
    ]
    list_filter = ["state", "enabled"]
    # Raised by a delete that takes the sync lease, as a sync started since the check, or that
    # finds another board connected on the row since its page showed it: shown.
    refused_meanwhile = (SyncInProgress, ConnectionChanged)
    readonly_fields = [
        "organization",
        "board_token",
        "board_name",
        "api_key_last5",
        *BOARD_HISTORY_FIELDS,
        "next_sync",
        "queued_at",
        "lock_expires_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="next sync")
    def next_sync(self, connection: GreenhouseConnection) -> str:
        """As the org's settings page says it: the column's time read as a sync coming while
        syncing is paused, or while a sync runs (the lease's end) or a retry waits."""
        return next_sync_text(connection, now=timezone.now())

    @admin.display(description="last error")
    def last_error_start(self, connection: GreenhouseConnection) -> str | None:
        """Why the last sync failed, in a few words; none when it worked. The whole error (a
        refusal's is five lines) is on the connection's page."""
        error = connection.as_true_now(connection.last_error)
        start = Truncator(error).words(LAST_ERROR_START_WORDS)
        return characters_start(start, LAST_ERROR_START_CHARS) or None

    def formfield_for_dbfield(
        self, db_field: models.Field, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if db_field.name == "sync_interval_minutes":
            # Its box had the column's min (0) and no max, so a browser sent 0-4 and 1441 on to
            # be refused: it has the interval's bounds, as on the settings page.
            kwargs.update(min_value=MIN_SYNC_INTERVAL_MINUTES, max_value=MAX_SYNC_INTERVAL_MINUTES)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_fields(request, obj))
        if not self.has_change_permission(request, obj):
            # Typed, or sent back hidden, never read: read-only, each would say "None".
            for name in ("new_api_key", *ConnectionAdminForm.sent_back):
                fields.remove(name)
        return fields

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # Django lets a list filter on any column: ?api_key_encrypted__startswith= would read the
        # stored key a character at a time (encrypted, but it is no staff member's business).
        if lookup.startswith("api_key"):
            return False
        return super().lookup_allowed(lookup, value, request)

    @method_decorator(sensitive_post_parameters("new_api_key"))  # kept out of error reports
    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        # Another board connected, or another key stored, since the page (save_model). The
        # key's refusal rolled back a schedule change saved before it too, unsaid by its message.
        except (ConnectionChanged, ApiKeyChanged) as exc:
            unsaved = " Nothing on this page was saved." if isinstance(exc, ApiKeyChanged) else ""
            self.message_user(request, exc.message + unsaved, messages.ERROR)
            return self._change_page_of(request, unquote(object_id))

    def save_model(
        self, request: HttpRequest, obj: GreenhouseConnection, form: forms.Form, change: bool
    ) -> None:
        # Through the settings page's functions, each writing only its own columns: the rest
        # (lease, sync state) belongs to syncs that may have written it since the page loaded.
        # The schedule too, and only its part changed here: its admins may have paused it, or
        # set the interval, since the page loaded, or since this request read the row (what is
        # left as shown is read under the row's lock).
        # Locked since before the page read it (RowLockedForItsChange): a disconnect waits for
        # this save, and one before it left no row for the page to find (Django's "doesn't
        # exist").
        if shown_board_token := form.cleaned_data["shown_board_token"]:  # none from a script
            shown = ConnectionShown(pk=obj.pk, board_token=shown_board_token)
            connection_as_shown(connection=obj, shown=shown)
        changed = set(form.changed_data)
        if {"enabled", "sync_interval_minutes"} & changed:
            connection_schedule_update(
                connection=obj,
                sync_interval_minutes=(
                    obj.sync_interval_minutes if "sync_interval_minutes" in changed else None
                ),
                paused=not obj.enabled if "enabled" in changed else None,
            )
        if form.cleaned_data["new_api_key"]:
            connection_api_key_set(
                connection=obj,
                api_key=form.cleaned_data["new_api_key"],
                shown_key=form.key_shown(),
            )

    def delete_refusal(
        self, obj: GreenhouseConnection, *, others_leaving: Collection[int] = ()
    ) -> str:
        return sync_running_refusal(obj, outcome=NOT_DISCONNECTED) if obj.is_locked() else ""

    def delete_model(self, request: HttpRequest, obj: GreenhouseConnection) -> None:
        self._disconnect_as_shown(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        selected = sorted(queryset, key=lambda connection: connection.organization_id)
        rows_lock_in_order(Organization, [connection.organization_id for connection in selected])
        for connection in selected:
            with every_selected_stays("none of the selected Greenhouse connections was deleted"):
                self._disconnect_as_shown(request, connection)

    @staticmethod
    def _disconnect_as_shown(request: HttpRequest, connection: GreenhouseConnection) -> None:
        """Disconnect it if it has the board its delete page showed (ConnectionChanged, rolled
        back and said, if not): the org's admins may have connected another since, on the same
        row, whose jobs that page did not say would close."""
        shown = ConnectionShownForm.sent_listed(request.POST, connection)
        connection_disconnect(connection=connection, shown=shown)


class DeletedOnlyWithTheirOrganization(ListQueryCleaning, admin.ModelAdmin):
    """No delete link, action or page; an org's deletion still takes these rows with it (so the
    delete permission itself stays). The sync would bring a deleted job back as a new one
    without its site fields, and would not relink a deleted department until a post changed."""

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> None:
        raise PermissionDenied


class RemotePolicyFilter(admin.SimpleListFilter):
    """By the policy visitors see: the site's choice, else Greenhouse's."""

    title = "remote policy"
    parameter_name = "remote"

    NOT_SPECIFIED = "none"  # "" would read as no filter at all

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value or self.NOT_SPECIFIED, label) for value, label in Job.RemotePolicy.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> QuerySet[Job]:
        if not self.value():
            return queryset
        policy = "" if self.value() == self.NOT_SPECIFIED else self.value()
        return queryset.filter(remote_policy_is(policy))


class ChosenOrganizationFilter(admin.RelatedFieldListFilter):
    """The list narrowed to one organization (?organization__id__exact=N, as the links of the
    organization list set it). Django's own filter names every organization in the sidebar
    (and with "Show counts" counts each): unusable, and slow, with 10,000 of them. This one is
    shown only while it narrows the list, naming the org beside "All"; it reads nothing else."""

    def field_choices(
        self, field: Any, request: HttpRequest, model_admin: Any
    ) -> list[tuple[int, str]]:
        # A value no id could be is left to the list's own query, which Django answers with
        # its "invalid lookup" redirect.
        ids = ids_of(self.lookup_val or ())
        if not ids:
            return []
        return list(
            Organization.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name")
        )

    def has_output(self) -> bool:
        # Whenever it was given a value, even one no org has: Django applies only the filters
        # shown, and the list would otherwise fall back to every org's rows.
        return bool(self.used_parameters)


class JobChangeList(ChangeList):
    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet:
        # The list shows none of them, and sorts its page from every job's row.
        jobs = super().get_queryset(request, exclude_parameters)
        return jobs.defer(*Job.NOT_IN_LISTS)


@admin.register(Job)
class JobAdmin(
    RowLockedForItsChange, RelatedObjectLinks, DeletedOnlyWithTheirOrganization, VisitorPagesAdmin
):
    list_display = [
        "title",
        "organization",
        "location_name",
        "status",
        "featured",
        "hidden",
        "remote",
    ]
    list_filter = [
        "is_open",
        "featured",
        "hidden",
        RemotePolicyFilter,
        ("organization", ChosenOrganizationFilter),
    ]
    search_fields = [
        "title",
        "search_title__searched",
        "search_tags__searched",
        "location_name",
        "organization__name",
        "organization__search_name__searched",
        # The number in its page's address (/orgs/acme/jobs/4512345678/), whole: compared as
        # text, so that a word searched is no error.
        "greenhouse_id__exact",
    ]
    fields = [
        "organization",
        "greenhouse_id",
        "title",
        "description_html",
        "location_name",
        "departments",
        "offices",
        "absolute_url",
        "greenhouse_updated_at",
        "is_open",
        "closed_at",
        "last_changed_by_sync",
        # What an empty remote policy below follows (Job.effective_remote_policy).
        "greenhouse_remote_policy",
        *Job.SITE_FIELDS,
    ]
    readonly_fields = [
        "organization",
        "greenhouse_id",
        *Job.GREENHOUSE_FIELDS,
        "departments",
        "offices",
        "is_open",
        "closed_at",
        "last_changed_by_sync",
    ]

    form = JobSiteFieldsForm  # its tags field reads "a, b" and refuses what is not tags

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return JobChangeList

    @admin.display(description="status", ordering="is_open")
    def status(self, job: Job) -> str:
        """As the org's jobs page says it: a post past its deadline is open on the board, but
        visitors no longer see it."""
        if not job.is_open:
            return "Closed"
        return "Deadline passed" if job.applications_closed else "Open"

    @admin.display(description="last changed by a sync")
    def last_changed_by_sync(self, job: Job) -> str | None:
        """When a sync last wrote the job (created, changed, closed or reopened it): what staff
        ask when a title changed, or a job closed, that nobody here touched. Shown as the
        admin shows its date fields (a method's value would be shown raw)."""
        return (
            formats.localize(timezone.template_localtime(job.synced_at)) if job.synced_at else None
        )

    @admin.display(description="remote policy")
    def remote(self, job: Job) -> str:
        """As visitors see it, as the filter beside the list reads it."""
        return job.effective_remote_policy.label

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs come from Greenhouse only


@admin.register(SyncRun)
class SyncRunAdmin(ListQueryCleaning, RelatedObjectLinks, admin.ModelAdmin):
    list_display = ["organization", "trigger", "started_at", "outcome", "created", "updated"]
    list_filter = ["outcome", "trigger", ("organization", ChosenOrganizationFilter)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SyncRun | None = None) -> bool:
        return False


@admin.register(Department, Office)
class SyncedUnitAdmin(RelatedObjectLinks, DeletedOnlyWithTheirOrganization):
    """Read-only: the sync writes departments and offices only when a post that lists them
    changes, so an edit here would stand, unrepaired, in filters and links."""

    list_display = ["name", "organization", "greenhouse_id"]
    list_filter = [("organization", ChosenOrganizationFilter)]
    search_fields = ["name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(Group)


class GroupNamedForm(ChangedFieldsOnly, forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        say_what_to_type(self, {"name": "Type a name for the group."})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.changed_meanwhile_refuse(reload="the group")  # read under its lock (GroupAdmin)
        return cleaned


@admin.register(Group)
class GroupAdmin(ChangedFieldsOnlyAdmin, ListQueryCleaning, DjangoGroupAdmin):
    """Django's, with its list's query read as every list here reads it, and its permissions
    granted by superusers only (as UserAdmin's): staff who may change groups would otherwise
    give their own every permission. Its name's box left empty says what to type. Its page
    saves only what it changed, as an account's does (ChangedFieldsOnlyAdmin): one left open
    while other staff changed the group's permissions put them back, saved to rename it."""

    form = GroupNamedForm

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Group | None:
        group = super().get_object(request, object_id, from_field)
        if group is None or request.method != "POST":
            return group
        # Read again under its lock, until the page's save commits: a save of another page of
        # it committed meanwhile is seen by the form (changed_meanwhile_refuse), and one
        # begun meanwhile waits for this one, then sees it.
        return self.get_queryset(request).select_for_update().filter(pk=group.pk).first()

    def get_readonly_fields(self, request: HttpRequest, obj: Group | None = None) -> Sequence[str]:
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else [*readonly, "permissions"]


admin.site.login_form = ThrottledAdminAuthenticationForm  # sign-ins are throttled here too
# The site's own name (SITE_NAME) where Django's admin says "Django administration" and "Django
# site admin"; read as each page is drawn, as the site's own pages read it.
admin.site.site_header = lazy(lambda: f"{settings.SITE_NAME} administration", str)()
admin.site.site_title = lazy(lambda: f"{settings.SITE_NAME} admin", str)()


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in page (throttled by its form), answering 429 once refused, as the
    site's own sign-in page does (orgsite/urls.py mounts it before the admin's)."""
    response = admin.site.login(request)
    form = (getattr(response, "context_data", None) or {}).get("form")
    if form is not None and form.has_error(NON_FIELD_ERRORS, THROTTLED_CODE):
        response.status_code = 429
    return response
