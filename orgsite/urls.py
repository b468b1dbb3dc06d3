from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("jobs.account_urls")),
    path("manage/", include("jobs.manage_urls")),
    path("", include("jobs.urls")),
]
