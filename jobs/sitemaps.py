"""sitemap.xml: an index of two sections, every org page and every open job page.

An index, since one sitemap file holds at most 50,000 addresses and a site of 10,000 orgs lists
more open jobs than that; each section is cut into pages of that size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from jobs.models import Job, Organization
from jobs.selectors import listing_changed_at, organizations_for_sitemap


class ListedJobsSitemap(Sitemap):
    """A section whose entries come and go with the listed jobs: its lastmod in the index, and
    the Last-Modified of each of its pages, is when the site's listing last changed.

    Not the newest lastmod of its entries, Django's default, which does not move when a job
    leaves (and reads every item's lastmod for the index: all the open jobs of the site).
    """

    def __init__(
        self, read_listing_changed: Callable[[], datetime | None] = listing_changed_at
    ) -> None:
        self.read_listing_changed = read_listing_changed

    def get_latest_lastmod(self) -> datetime | None:
        return self.read_listing_changed()

    def get_urls(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        urls = super().get_urls(*args, **kwargs)
        self.latest_lastmod = self.get_latest_lastmod()  # what the view's Last-Modified reads
        return urls


class OrganizationSitemap(ListedJobsSitemap):
    def items(self) -> QuerySet[Organization]:
        return organizations_for_sitemap()

    def location(self, organization: Organization) -> str:
        return reverse("jobs:org_detail", args=[organization.slug])

    def lastmod(self, organization: Organization) -> datetime | None:
        return organization.listing_changed


class JobSitemap(ListedJobsSitemap):
    def items(self) -> QuerySet[Job]:
        # Only what a URL and lastmod need: descriptions are large.
        return (
            Job.objects.listed()
            .select_related("organization")
            .only(
                "greenhouse_id",
                *Job.CHANGE_DATES,
                "organization__slug",
                "organization__job_pages_edited_at",
            )
            .order_by("pk")
        )

    def lastmod(self, job: Job) -> datetime | None:
        return job.last_changed_at


SITEMAPS = {"organizations": OrganizationSitemap, "jobs": JobSitemap}


def sections_for_index() -> dict[str, ListedJobsSitemap]:
    """SITEMAPS for the index, which gives each section the listing's date: read once for all
    of them (three queries), not once for each."""
    read_once = cache(listing_changed_at)
    return {name: section(read_once) for name, section in SITEMAPS.items()}
