"""sitemap.xml: an index of two sections, every org page and every open job page.

An index, since one sitemap file holds at most 50,000 addresses and a site of 10,000 orgs lists
more open jobs than that; each section is cut into pages of that size.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, QuerySet
from django.urls import reverse

from jobs.models import Job, Organization
from jobs.selectors import organizations_for_sitemap


class ListedJobsSitemap(Sitemap):
    """A section whose every entry changes with the listed jobs: the index's lastmod for it is
    their latest update, in one query (Django's default reads every item's lastmod: all the
    open jobs of the site)."""

    def get_latest_lastmod(self) -> datetime | None:
        return Job.objects.listed().aggregate(latest=Max("greenhouse_updated_at"))["latest"]


class OrganizationSitemap(ListedJobsSitemap):
    def items(self) -> QuerySet[Organization]:
        return organizations_for_sitemap()

    def location(self, organization: Organization) -> str:
        return reverse("jobs:org_detail", args=[organization.slug])

    def lastmod(self, organization: Organization) -> datetime | None:
        return organization.last_job_update


class JobSitemap(ListedJobsSitemap):
    def items(self) -> QuerySet[Job]:
        # Only what a URL and lastmod need: descriptions are large.
        return (
            Job.objects.listed()
            .select_related("organization")
            .only("greenhouse_id", "greenhouse_updated_at", "organization__slug")
            .order_by("pk")
        )

    def lastmod(self, job: Job) -> datetime | None:
        return job.greenhouse_updated_at


SITEMAPS = {"organizations": OrganizationSitemap, "jobs": JobSitemap}
