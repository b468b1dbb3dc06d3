"""Django admin. Greenhouse owns job titles and descriptions, so they are read-only here too."""

from django import forms
from django.contrib import admin

from jobs.models import (
    Department,
    GreenhouseConnection,
    Job,
    Membership,
    Office,
    Organization,
    SyncRun,
)
from jobs.throttle import ThrottledAdminAuthenticationForm


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "website"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


class ConnectionAdminForm(forms.ModelForm):
    new_api_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="Leave empty to keep the stored key.",
    )

    class Meta:
        model = GreenhouseConnection
        fields = ["organization", "board_token", "enabled", "sync_interval_minutes"]

    def save(self, commit: bool = True) -> GreenhouseConnection:
        connection = super().save(commit=False)
        if self.cleaned_data.get("new_api_key"):
            connection.set_api_key(self.cleaned_data["new_api_key"])
        if commit:
            # Only this form's fields: the rest (lease, sync state, applied board) belongs to
            # syncs that may have written it since this page was loaded.
            update_fields = None
            if not connection._state.adding:
                update_fields = [*self._meta.fields, "api_key_encrypted", "api_key_last5"]
            connection.save(update_fields=update_fields)
        return connection


@admin.register(GreenhouseConnection)
class GreenhouseConnectionAdmin(admin.ModelAdmin):
    form = ConnectionAdminForm
    list_display = ["organization", "board_token", "board_name", "state", "last_success_at"]
    list_filter = ["state", "enabled"]
    readonly_fields = [
        "board_name",
        "api_key_last5",
        "state",
        "last_error",
        "last_attempt_at",
        "last_success_at",
        "failing_since",
        "consecutive_failures",
        "next_sync_at",
        "queued_at",
        "lock_expires_at",
    ]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request) -> bool:
        return False  # jobs come from Greenhouse only


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ["organization", "trigger", "started_at", "outcome", "created", "updated"]
    list_filter = ["outcome", "trigger"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


admin.site.login_form = ThrottledAdminAuthenticationForm  # sign-ins are throttled here too
admin.site.register(Department)
admin.site.register(Office)
