"""Accounts, under /accounts/: Django's auth views with our templates, and sign-up."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from jobs import manage_views
from jobs.forms import AccountPasswordResetForm

urlpatterns = [
    path("signup/", manage_views.signup, name="signup"),
    # Before Django's own, so that invited people who never set a password can ask again.
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=AccountPasswordResetForm),
        name="password_reset",
    ),
    path("", include("django.contrib.auth.urls")),
]
