"""Accounts, under /accounts/: Django's auth views with our templates, and sign-up."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

from jobs import manage_views
from jobs.forms import AccountPasswordResetForm
from jobs.throttle import (
    THROTTLED_CODE,
    ThrottledAuthenticationForm,
    ThrottledPasswordChangeForm,
)


class ThrottledLoginView(auth_views.LoginView):
    """Django's sign-in page; a refused (throttled) attempt answers 429 Too Many Requests."""

    form_class = ThrottledAuthenticationForm

    def form_invalid(self, form: Form) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, THROTTLED_CODE):
            response.status_code = 429
        return response


class ThrottledPasswordChangeView(auth_views.PasswordChangeView):
    """Django's; wrong current passwords count as failed sign-ins (429 past the limit)."""

    form_class = ThrottledPasswordChangeForm

    def get_form(self, form_class: type[Form] | None = None) -> Form:
        form = super().get_form(form_class)
        form.request = self.request
        return form

    def form_invalid(self, form: Form) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error("old_password", THROTTLED_CODE):
            response.status_code = 429
        return response


def admin_login(request: HttpRequest) -> HttpResponse:
    """The Django admin's sign-in page (throttled by its form), answering 429 once refused."""
    response = admin.site.login(request)
    form = (getattr(response, "context_data", None) or {}).get("form")
    if form is not None and form.has_error(NON_FIELD_ERRORS, THROTTLED_CODE):
        response.status_code = 429
    return response


# Mounted under /admin/ by orgsite/urls.py, before the admin's own.
admin_urlpatterns = [
    path("login/", admin_login, name="admin_login"),
    # The admin's sign-in page links this name ("Forgotten your login credentials?"); staff
    # reset their password as everyone does, which the throttle message tells them to.
    path(
        "password_reset/",
        RedirectView.as_view(pattern_name="password_reset"),
        name="admin_password_reset",
    ),
]

urlpatterns = [
    path("signup/", manage_views.signup, name="signup"),
    path("delete/", manage_views.account_delete_page, name="account_delete"),
    path("join/<str:token>/", manage_views.invitation_join, name="invitation_join"),
    # Before Django's own, so that failed sign-ins are counted and throttled.
    path("login/", ThrottledLoginView.as_view(), name="login"),
    # Before Django's own, so that wrong current passwords are counted and throttled.
    path("password_change/", ThrottledPasswordChangeView.as_view(), name="password_change"),
    # Before Django's own, so that invited people who never set a password can ask again.
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=AccountPasswordResetForm),
        name="password_reset",
    ),
    path("", include("django.contrib.auth.urls")),
]
