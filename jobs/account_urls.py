"""Accounts, under /accounts/: Django's auth views with our templates, and sign-up."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache

from jobs import manage_views
from jobs.forms import (
    AccountPasswordChangeForm,
    AccountPasswordResetForm,
    AccountSetPasswordForm,
    PasswordSavedAlone,
    drop_autofocus,
)
from jobs.permissions import login_required
from jobs.throttle import THROTTLED_CODE, ThrottledAuthenticationForm


class ThrottledLoginView(auth_views.LoginView):
    """Django's sign-in page; a refused (throttled) attempt answers 429 Too Many Requests."""

    form_class = ThrottledAuthenticationForm

    @cached_property
    def joining(self) -> bool:
        """Sent here by an invitation's join link: the page says so, and not "create an
        account", which would make one the invitation is not for."""
        join_prefix = reverse("invitation_join", args=["-"]).removesuffix("-/")
        return self.get_redirect_url().startswith(join_prefix)

    def get_form(self, form_class: type[Form] | None = None) -> Form:
        form = super().get_form(form_class)
        if self.joining:
            drop_autofocus(form)  # under the words on what to do first (set a password)
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {"joining": self.joining}

    def form_invalid(self, form: Form) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, THROTTLED_CODE):
            response.status_code = 429
        return response


# Why PasswordSavedAlone saved no password: the one the page was checked against is gone.
CHANGED_MEANWHILE = (
    "your account's password was changed by other means as you sent yours, or your account "
    "was deleted"
)


# The site's login_required in front of Django's, which refused an over-long address (a 400).
@method_decorator(login_required, name="dispatch")
class ThrottledPasswordChangeView(auth_views.PasswordChangeView):
    """Django's; wrong current passwords count as failed sign-ins (429 past the limit)."""

    form_class = AccountPasswordChangeForm

    def get_form(self, form_class: type[Form] | None = None) -> Form:
        form = super().get_form(form_class)
        form.request = self.request
        return form

    def form_invalid(self, form: Form) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error("old_password", THROTTLED_CODE):
            response.status_code = 429
        return response

    def form_valid(self, form: PasswordSavedAlone) -> HttpResponse:
        response = super().form_valid(form)
        if form.password_saved:
            return response
        # The session's hash is of the password not saved: signed out now, and told why, where
        # the next page signed it out without a word after "Password changed".
        logout(self.request)
        messages.error(
            self.request, f"Your password was not changed: {CHANGED_MEANWHILE}. You are signed out."
        )
        return redirect("login")


class TellingPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, from a password reset or an invitation's link; a password not saved is said,
    where its next page said "Your password is set"."""

    form_class = AccountSetPasswordForm

    def form_valid(self, form: PasswordSavedAlone) -> HttpResponse:
        response = super().form_valid(form)
        if form.password_saved:
            return response
        messages.error(
            self.request,
            f"Your password was not set: {CHANGED_MEANWHILE}, which ends this link. Ask for a new "
            "one here if you still need to set it.",
        )
        return redirect("password_reset")


class LogoutPageView(auth_views.LogoutView):
    """Django's, which signs out only on a POST (another site cannot send one with this
    site's token). The address typed or bookmarked answers a page with the Sign out button,
    not a blank 405."""

    http_method_names = ["get", "head", "post", "options"]
    template_name = "registration/logout.html"

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        # Said on the page it lands on (the home page, or a safe `next`), which said nothing
        # of it; this page, rendered when `next` is itself, already says so in its heading.
        if isinstance(response, HttpResponseRedirect):
            messages.success(request, "You are signed out.")
        return response


urlpatterns = [
    path("signup/", manage_views.signup, name="signup"),
    path("delete/", manage_views.account_delete_page, name="account_delete"),
    path("join/<str:token>/", manage_views.invitation_join, name="invitation_join"),
    path("email/", manage_views.email_change_page, name="email_change"),
    path(
        "email/confirm/<str:token>/",
        manage_views.email_change_confirm_page,
        name="email_change_confirm",
    ),
    # Before Django's own, so that failed sign-ins are counted and throttled.
    path("login/", ThrottledLoginView.as_view(), name="login"),
    # Before Django's own, so that wrong current passwords are counted and throttled.
    path("password_change/", ThrottledPasswordChangeView.as_view(), name="password_change"),
    # Before Django's own, for the site's login_required (see ThrottledPasswordChangeView).
    path(
        "password_change/done/",
        login_required(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    # Before Django's own, so that invited people who never set a password can ask again.
    path(
        "password_reset/",
        # Not stored, as the sign-up page (manage_views.signup).
        never_cache(auth_views.PasswordResetView.as_view(form_class=AccountPasswordResetForm)),
        name="password_reset",
    ),
    path(
        "reset/<uidb64>/<token>/",
        TellingPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("logout/", LogoutPageView.as_view(), name="logout"),
    path("", include("django.contrib.auth.urls")),
]
