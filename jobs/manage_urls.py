"""The org admin area, under /manage/."""

from django.urls import path, reverse
from django.views.generic import RedirectView

from jobs import manage_views
from jobs.views import with_query_string


class OrganizationJobsRedirect(RedirectView):
    """To the org's jobs, with the query string as far as a redirect can carry it."""

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        return with_query_string(self.request, reverse("manage:jobs", kwargs=kwargs))


app_name = "manage"

urlpatterns = [
    path("", manage_views.index, name="index"),
    path("new/", manage_views.organization_new, name="new"),
    # An address trimmed back to the org leads to its jobs, as its name does on the index, with
    # the page it was asked for.
    path("<slug:slug>/", OrganizationJobsRedirect.as_view(), name="organization"),
    path("<slug:slug>/settings/", manage_views.organization_settings, name="settings"),
    path("<slug:slug>/disconnect/", manage_views.disconnect, name="disconnect"),
    path("<slug:slug>/delete/", manage_views.delete, name="delete"),
    path("<slug:slug>/jobs/", manage_views.job_list, name="jobs"),
    path("<slug:slug>/jobs/<int:pk>/edit/", manage_views.job_edit, name="job_edit"),
    path("<slug:slug>/refresh/", manage_views.refresh, name="refresh"),
    path("<slug:slug>/status.json", manage_views.status_json, name="status"),
    path("<slug:slug>/history/", manage_views.history, name="history"),
    path("<slug:slug>/members/", manage_views.members, name="members"),
]
