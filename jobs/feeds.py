"""RSS feeds of open jobs: every org's, and one org's."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Rss201rev2Feed, SyndicationFeed
from django.utils.html import escape, strip_tags

from jobs.models import PAGE_LANGUAGE, Job, Organization
from jobs.selectors import job_search, listing_changed_at
from jobs.text import LANGUAGE_TAG_RE, clean_text, ending_sentence, without_direction_controls

FEED_LENGTH = 50
# A "<" that opens a tag, with any "<" just before it: strip_tags() keeps a tag never closed
# ("Acme <img src=x onerror=…") as text.
TAG_START_RE = re.compile(r"<+(?=[A-Za-z!/?])")


def feed_text(text: str) -> str:
    """Text without markup or control characters: XML 1.0 has no place for those, and an org's
    name, typed by its admins, may hold one as easily as a Greenhouse title. Nor direction
    controls, which would reorder the text a reader shows after a name (jobs/text.py).

    Readers may take it as HTML, in markup of their own: the controls go before the tags do
    ("<U+202Eimg …>" is a tag without its control), and a tag left open loses its "<", as
    there it would take in what follows."""
    return TAG_START_RE.sub("", strip_tags(without_direction_controls(clean_text(text))))


class ListingFeed(Rss201rev2Feed):
    """Dated, in its Last-Modified and lastBuildDate, by when the listing last changed
    (selectors.listing_changed_at), not by its newest item as Django's feeds are: that date
    does not move when a job is hidden or closed, and a reader asking If-Modified-Since was
    answered 304, keeping the job."""

    def latest_post_date(self) -> datetime:
        return self.feed["listing_changed_at"] or super().latest_post_date()


class AllJobsFeed(Feed):
    description = "The newest open jobs of every organization."
    feed_type = ListingFeed
    # The site's, as its pages' <html lang> says, not Django's LANGUAGE_CODE ("en-us"): an
    # org's feed with no language of its own said "en-us", one of English jobs "en".
    language = PAGE_LANGUAGE

    def feed_extra_kwargs(self, organization: Organization | None) -> dict[str, Any]:
        return {"listing_changed_at": listing_changed_at(organization=organization)}

    def title(self) -> str:
        return f"Open jobs on {settings.SITE_NAME}"

    def link(self) -> str:
        return reverse("jobs:job_list")

    def items(self) -> QuerySet[Job]:
        return job_search()[:FEED_LENGTH]

    def item_title(self, job: Job) -> str:
        # Readers disagree on whether a title is text or HTML: one with markup loses the markup.
        return feed_text(f"{job.title} — {job.organization.name}")

    def item_description(self, job: Job) -> str:
        # Readers take an RSS description as HTML; the excerpt is plain text, so it is escaped,
        # and has no element to end the direction controls it leaves open (jobs/text.py).
        return escape(without_direction_controls(clean_text(job.excerpt)))

    def item_pubdate(self, job: Job) -> datetime | None:
        return job.posted_at

    def item_updateddate(self, job: Job) -> datetime | None:
        return job.last_changed_at

    def item_categories(self, job: Job) -> list[str]:
        # Text to the spec, but a reader that inserts it as HTML must find no markup either.
        names = (feed_text(department.name).strip() for department in job.departments.all())
        return [name for name in names if name]


class OrganizationJobsFeed(AllJobsFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Organization:
        return get_object_or_404(Organization, slug=slug)

    # An org's name and description are typed by its admins: no markup, as for item titles.
    def title(self, organization: Organization) -> str:
        return feed_text(f"Open jobs at {organization.name}")

    def description(self, organization: Organization) -> str:
        name = ending_sentence(organization.name)
        return feed_text(organization.description_on_one_line or f"The newest open jobs at {name}")

    def link(self, organization: Organization) -> str:
        return reverse("jobs:org_detail", args=[organization.slug])

    def items(self, organization: Organization) -> QuerySet[Job]:
        return job_search(organization_slug=organization.slug)[:FEED_LENGTH]

    def get_feed(self, obj: Organization, request: HttpRequest) -> SyndicationFeed:
        """Its language is the org's, when its admins set one (Organization.language), else the
        one most of its listed jobs are written in, else the site's (PAGE_LANGUAGE): readers use
        it to show the text, and a French board is not `en`."""
        feed = super().get_feed(obj, request)
        feed.feed["language"] = (
            obj.language or _most_used_language(obj.jobs.listed()) or feed.feed["language"]
        )
        return feed


def _most_used_language(jobs: QuerySet[Job]) -> str | None:
    """The language tag most of `jobs` say they are written in; None when none says one.
    Greenhouse's `language` is kept as it came, and one that is no tag ("en US", "xx-<b>") told
    readers nothing they could use."""
    languages = (
        jobs.exclude(language="")
        .values("language")
        .annotate(jobs=Count("pk"))
        .order_by("-jobs", "language")
        .values_list("language", flat=True)
    )
    return next((language for language in languages if LANGUAGE_TAG_RE.fullmatch(language)), None)
