"""Django admin. Greenhouse owns job titles and descriptions, so they are read-only here too."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from jobs.cache import listing_cache_invalidate
from jobs.connections import (
    BOARD_HISTORY_FIELDS,
    SyncInProgress,
    connection_api_key_set,
    connection_schedule_update,
)
from jobs.forms import JobSiteFieldsForm, validate_api_key
from jobs.memberships import (
    ADMIN_NEEDED_MESSAGE,
    admins_who_can_sign_in,
    can_sign_in,
    membership_delete,
    organizations_only_administered_by,
)
from jobs.models import (
    Department,
    GreenhouseConnection,
    Job,
    Membership,
    Office,
    Organization,
    SyncRun,
)
from jobs.organizations import organization_delete
from jobs.throttle import ThrottledAdminAuthenticationForm


class VisitorPagesAdmin(admin.ModelAdmin):
    """For what visitors see: a change here shows on their pages at once, as an edit on the org
    admin pages does, instead of when the page cache expires."""

    organization_slug_path = "organization__slug"

    def organization_of(self, obj: Any) -> Organization:
        return obj.organization

    def save_model(self, request: HttpRequest, obj: Any, form: forms.Form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        listing_cache_invalidate(organization=self.organization_of(obj))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        organization = self.organization_of(obj)
        super().delete_model(request, obj)
        listing_cache_invalidate(organization=organization)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        slugs = set(queryset.values_list(self.organization_slug_path, flat=True))
        super().delete_queryset(request, queryset)
        for slug in slugs:
            listing_cache_invalidate(organization=Organization(slug=slug))


class RefusableDeleteMixin:
    """For deletes a rule of the site may refuse: the change page again, saying why, rather
    than Django's "deleted successfully"."""

    def refuse_delete(self, request: HttpRequest, message: str) -> None:
        self.message_user(request, message, messages.ERROR)
        request.delete_refused = True

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        if getattr(request, "delete_refused", False):
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", obj_id)
        return super().response_delete(request, obj_display, obj_id)


class MembershipFormSet(forms.BaseInlineFormSet):
    def delete_existing(self, obj: Membership, commit: bool = True) -> None:
        if commit:
            membership_delete(obj)  # with any invitation, whose link would re-add them

    def clean(self) -> None:
        """An org that has an admin keeps one, as on the members page (jobs.memberships)."""
        super().clean()
        active_admins = admins_who_can_sign_in(self.instance.pk)
        if not self.instance.pk or not active_admins.exists():
            return
        if any(form.errors for form in self.forms):
            return  # each row says what is wrong; counted once they are all valid
        kept_admins = [
            form
            for form in self.forms
            if form.cleaned_data
            and not self._should_delete_form(form)
            and form.cleaned_data["role"] == Membership.Role.ADMIN
            and can_sign_in(form.cleaned_data["user"])
        ]
        edited = [form.instance.pk for form in self.forms if form.instance.pk]
        if not kept_admins and not active_admins.exclude(pk__in=edited).exists():
            raise forms.ValidationError(ADMIN_NEEDED_MESSAGE)


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(RefusableDeleteMixin, VisitorPagesAdmin):
    list_display = ["name", "slug", "website"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    # A website typed without a scheme is read as https (Django 6's default, without its warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    organization_slug_path = "slug"

    def organization_of(self, obj: Organization) -> Organization:
        return obj

    def save_model(
        self, request: HttpRequest, obj: Organization, form: forms.Form, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change and "slug" in form.changed_data:  # the pages at the old address go too
            listing_cache_invalidate(organization=Organization(slug=form.initial["slug"]))

    # Deleted as from the org's settings page: under the sync lease, with never-used accounts.
    def delete_model(self, request: HttpRequest, obj: Organization) -> None:
        try:
            organization_delete(organization=obj)
        except SyncInProgress as exc:
            self.refuse_delete(request, exc.message)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        refused = []
        for organization in queryset:
            try:
                organization_delete(organization=organization)
            except SyncInProgress:
                refused.append(organization.name)
        if refused:
            self.message_user(
                request,
                f"Not deleted, because a sync of it is running: {', '.join(refused)}. "
                "Try again in a moment.",
                messages.ERROR,
            )


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(RefusableDeleteMixin, DjangoUserAdmin):
    """Django's, except that deleting someone never leaves an org without an admin who can
    sign in (as on the members page and /accounts/delete/)."""

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        refusal = self._refusal(obj)
        if refusal:
            self.refuse_delete(request, refusal)
        else:
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # One at a time: two admins of one org may each be deletable, but not both.
        for user in queryset:
            refusal = self._refusal(user)
            if refusal:
                self.message_user(request, refusal, messages.ERROR)
            else:
                user.delete()

    @staticmethod
    def _refusal(user: User) -> str:
        names = ", ".join(org.name for org in organizations_only_administered_by(user))
        if not names:
            return ""
        return (
            f"{user.get_username()} was not deleted: nobody else who can sign in is an admin of "
            f"{names}. Make someone else its admin, or delete it, first."
        )


class ConnectionAdminForm(forms.ModelForm):
    new_api_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="Leave empty to keep the stored key.",
    )

    class Meta:
        model = GreenhouseConnection
        fields = ["enabled", "sync_interval_minutes"]

    def clean_new_api_key(self) -> str:
        return validate_api_key(self.cleaned_data["new_api_key"])


@admin.register(GreenhouseConnection)
class GreenhouseConnectionAdmin(admin.ModelAdmin):
    """Schedule and API key only. A board is connected or changed on the org's settings page
    (or with `connect_greenhouse`), which checks the token with Greenhouse first."""

    form = ConnectionAdminForm
    list_display = ["organization", "board_token", "board_name", "state", "last_success_at"]
    list_filter = ["state", "enabled"]
    readonly_fields = [
        "organization",
        "board_token",
        "board_name",
        "api_key_last5",
        *BOARD_HISTORY_FIELDS,
        "next_sync_at",
        "queued_at",
        "lock_expires_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: GreenhouseConnection, form: forms.Form, change: bool
    ) -> None:
        # Through the settings page's functions, each writing only its own columns: the rest
        # (lease, sync state) belongs to syncs that may have written it since the page loaded.
        connection_schedule_update(
            connection=obj,
            sync_interval_minutes=obj.sync_interval_minutes,
            paused=not obj.enabled,
        )
        if form.cleaned_data["new_api_key"]:
            connection_api_key_set(connection=obj, api_key=form.cleaned_data["new_api_key"])


class DeletedOnlyWithTheirOrganization(admin.ModelAdmin):
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


@admin.register(Job)
class JobAdmin(DeletedOnlyWithTheirOrganization, VisitorPagesAdmin):
    list_display = ["title", "organization", "location_name", "is_open", "featured", "hidden"]
    list_filter = ["is_open", "featured", "hidden", "remote_policy", "organization"]
    search_fields = ["title", "location_name", "organization__name"]
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
    ]

    form = JobSiteFieldsForm  # its tags field reads "a, b" and refuses what is not tags

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs come from Greenhouse only

    def save_model(self, request: HttpRequest, obj: Job, form: forms.Form, change: bool) -> None:
        obj.save(update_fields=Job.SITE_FIELDS)  # why: JobSiteFieldsForm.save()
        listing_cache_invalidate(organization=obj.organization)


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ["organization", "trigger", "started_at", "outcome", "created", "updated"]
    list_filter = ["outcome", "trigger"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Department, Office)
class SyncedUnitAdmin(DeletedOnlyWithTheirOrganization):
    """Read-only: the sync writes departments and offices only when a post that lists them
    changes, so an edit here would stand, unrepaired, in filters and links."""

    list_display = ["name", "organization", "greenhouse_id"]
    list_filter = ["organization"]
    search_fields = ["name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.login_form = ThrottledAdminAuthenticationForm  # sign-ins are throttled here too
