"""What search engines read: schema.org JobPosting data for an open job's page, and which
answers they are told not to list.

See https://schema.org/JobPosting and Google's job posting guidelines; only facts the site knows
are stated, and a closed job gets no structured data at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString, mark_safe

from jobs.metadata import employment_types_from_metadata
from jobs.models import Job
from jobs.text import without_direction_controls

# Inside <script>, "</script>" or "<!--" in a title would end or bend the element: JSON's own
# \u escapes keep the data identical and the markup inert.
SCRIPT_SAFE_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}

# A post filed under every office of a large company names them all: search engines are told of
# the first few (by name), not of a page's worth of places.
MAX_OFFICE_PLACES = 5


def job_posting_structured_data(job: Job, *, request: HttpRequest) -> dict[str, Any]:
    """The JobPosting for an open job's page; the job comes with its organization.

    Its names are plain text, which search engines show beside their own words, so they come
    without direction controls (without_direction_controls), as in the page's <title>. The
    description is HTML, whose elements end what its text leaves open, and keeps them."""
    organization = job.organization
    organization_name = without_direction_controls(organization.name)
    hiring_organization = {"@type": "Organization", "name": organization_name}
    if organization.website:
        hiring_organization["sameAs"] = organization.website
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": without_direction_controls(job.title),
        # Not the excerpt where the description shows no word: read from it, it shows none either
        # (one that earlier code stored from a post of zero-width spaces has them for its excerpt).
        "description": job.description_html
        if job.description_shows_words
        else without_direction_controls(job.title),
        # As the feeds' pubDate: a post dated ahead of this site's clock is not posted yet.
        "datePosted": (job.posted_at or job.created_at).isoformat(),
        "hiringOrganization": hiring_organization,
        "identifier": {
            "@type": "PropertyValue",
            "name": organization_name,
            "value": str(job.greenhouse_id),
        },
        "url": request.build_absolute_uri(job.get_absolute_url()),
    }
    if job.location_name:
        data["jobLocation"] = _place(job.location_name)
    elif job.effective_remote_policy != Job.RemotePolicy.REMOTE:
        # Google requires a jobLocation of a job one works at in person; with no location on
        # the post, its offices say where (a remote job's office may be one named "Remote").
        localities = dict.fromkeys(office.location or office.name for office in job.offices.all())
        if localities:
            first_few = list(localities)[:MAX_OFFICE_PLACES]
            data["jobLocation"] = [_place(locality) for locality in first_few]
    employment_types = employment_types_from_metadata(job.metadata)
    if employment_types:
        data["employmentType"] = employment_types
    if job.effective_remote_policy == Job.RemotePolicy.REMOTE:
        data["jobLocationType"] = "TELECOMMUTE"
    if job.application_deadline:
        data["validThrough"] = job.application_deadline.isoformat()
    return data


def _place(locality: str) -> dict[str, Any]:
    return {
        "@type": "Place",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": without_direction_controls(locality),
        },
    }


def json_for_script(data: Any) -> SafeString:
    """JSON to place between <script type="application/ld+json"> tags, safely."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(text.translate(SCRIPT_SAFE_ESCAPES))  # noqa: S308 (escaped just above)


def not_for_search_engines(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Data for programs, which a search engine would list beside the pages it comes from.
    Outermost, so that every answer the view makes carries it, a 304 or a redirect as a 200: a
    304 made by the site-wide middleware keeps only the headers Django copies to one
    (Cache-Control, ETag, Vary…), so the view makes its own (readable_from_any_site)."""

    @wraps(view)
    def view_not_for_search_engines(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = view(request, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        return response

    return view_not_for_search_engines
