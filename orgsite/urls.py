from django.contrib import admin
from django.templatetags.static import PrefixNode
from django.urls import include, path
from django.views.generic import RedirectView

from jobs.account_urls import ThrottledPasswordChangeView
from jobs.admin import admin_login
from jobs.health import healthz

# A request whose database is out of reach answers 503, not 500.
handler500 = "orgsite.errors.server_error"

urlpatterns = [
    # Before the admin's own: a throttled sign-in answers 429.
    path("admin/login/", admin_login, name="admin_login"),
    # The admin's sign-in page links this name ("Forgotten your login credentials?"): staff
    # reset their password as everyone does.
    path(
        "admin/password_reset/",
        RedirectView.as_view(pattern_name="password_reset"),
        name="admin_password_reset",
    ),
    # Before the admin's own, which checks the current password with no limit: a session left
    # open would let anyone guess it there. The site's page instead (the admin's showed its
    # template, posting to it, already), whose wrong passwords count as failed sign-ins.
    path(
        "admin/password_change/",
        admin.site.admin_view(ThrottledPasswordChangeView.as_view()),
        name="admin_password_change",
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("jobs.account_urls")),
    path("manage/", include("jobs.manage_urls")),
    path("healthz", healthz, name="healthz"),
    # A load balancer set up with the slash gets the same answer: APPEND_SLASH adds one, it never
    # takes one away, so this would be a 404.
    path("healthz/", healthz, name="healthz_slash"),
    # Browsers ask for it on pages without a <link rel="icon">, such as Django's own error pages.
    # To the plain name, never the hashed one: browsers keep a permanent redirect for good.
    path(
        "favicon.ico",
        RedirectView.as_view(
            url=f"{PrefixNode.handle_simple('STATIC_URL')}img/favicon.svg",
            permanent=True,
            http_method_names=["get", "head"],
        ),
        name="favicon",
    ),
    path("", include("jobs.urls")),
]
