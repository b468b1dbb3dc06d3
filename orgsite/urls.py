from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from jobs.account_urls import admin_urlpatterns
from jobs.health import healthz

urlpatterns = [
    path("admin/", include(admin_urlpatterns)),
    path("admin/", admin.site.urls),
    path("accounts/", include("jobs.account_urls")),
    path("manage/", include("jobs.manage_urls")),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for it on pages without a <link rel="icon">, such as Django's own error pages.
    path(
        "favicon.ico",
        RedirectView.as_view(
            url=static("img/favicon.svg"), permanent=True, http_method_names=["get", "head"]
        ),
        name="favicon",
    ),
    path("", include("jobs.urls")),
]
