from django.urls import path, re_path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.home, name="home"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/feed/", views.all_jobs_feed, name="job_feed"),
    path("orgs/", views.organization_list, name="organization_list"),
    path("orgs/<slug:slug>/", views.organization_detail, name="org_detail"),
    path("orgs/<slug:slug>/feed/", views.organization_jobs_feed, name="org_feed"),
    path("orgs/<slug:slug>/jobs/", views.org_jobs_redirect, name="org_jobs_redirect"),
    path("orgs/<slug:slug>/jobs/<int:greenhouse_id>/", views.job_detail, name="job_detail"),
    path("orgs/<slug:slug>/jobs.json", views.org_jobs_json, name="org_jobs_json"),
    # An org part no slug can be ("acme robotics", "acme.inc", none at all from a script's empty
    # variable): no org, in JSON as for one.
    re_path(
        r"^orgs/(?P<address>[^/]*)/jobs\.json\Z", views.no_org_jobs_json, name="no_org_jobs_json"
    ),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", views.sitemap_xml, name="sitemap"),
    path("sitemap-<slug:section>.xml", views.sitemap_section_xml, name="sitemap_section"),
]
