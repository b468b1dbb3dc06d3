"""sitemap.xml: every org page and every open job page."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from jobs.models import Job, Organization
from jobs.selectors import organizations_for_sitemap


class OrganizationSitemap(Sitemap):
    def items(self) -> QuerySet[Organization]:
        return organizations_for_sitemap()

    def location(self, organization: Organization) -> str:
        return reverse("jobs:org_detail", args=[organization.slug])

    def lastmod(self, organization: Organization) -> datetime | None:
        return organization.last_job_update


class JobSitemap(Sitemap):
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
