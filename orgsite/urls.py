from django.contrib import admin
from django.urls import include, path

from jobs.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("jobs.account_urls")),
    path("manage/", include("jobs.manage_urls")),
    path("healthz", healthz, name="healthz"),
    path("", include("jobs.urls")),
]
