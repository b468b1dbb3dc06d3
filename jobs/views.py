"""Public read views: visitor pages, the JSON list, feeds and the sitemap.

Views stay thin: they read the request, call selectors and render. Visitor pages are cached
briefly by `cache_public_page`; a sync that changes an org's jobs makes them fresh at once.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from functools import partial, wraps
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.contrib.sitemaps import views as sitemap_views
from django.core.paginator import Page
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.decorators import decorator_from_middleware
from django.utils.http import MAX_URL_REDIRECT_LENGTH, http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from jobs.cache import CACHEABLE_STATUSES, cache_public_page, listing_value
from jobs.feeds import AllJobsFeed, OrganizationJobsFeed
from jobs.filters import FILTER_NOUNS, FILTER_PARAMETERS, JobFilters, values_naming_nothing
from jobs.models import Job, Organization
from jobs.pagination import page_asked, page_links, page_query
from jobs.selectors import (
    DepartmentPath,
    FilterOptions,
    OrganizationOption,
    department_paths,
    filters_named,
    filters_with_their_options,
    group_by_department,
    job_filter_options,
    job_for_page,
    job_search,
    order_by_department,
    organization_chosen,
    organization_options,
    organization_page,
    organizations_hiring_most,
    organizations_with_listing_changed,
    related_jobs,
    unit_paths,
    with_department_paths,
    with_names_shared,
)
from jobs.seo import job_posting_structured_data, json_for_script, not_for_search_engines
from jobs.sitemaps import SITEMAPS, sections_for_index
from jobs.text import ending_sentence
from orgsite.middleware import ConditionalGetAndHead

JOBS_PER_PAGE = 25
# One line each: a page of them is still short, and 10,000 orgs are 200 pages, not one.
ORGANIZATIONS_PER_PAGE = 50
RECENT_JOBS = 10
# The home page's orgs hiring: those with the most open jobs; /orgs/ lists every org.
HOME_ORGANIZATIONS = 20
# What the job lists read from the query string (the page cache keeps one copy per value).
LISTING_PARAMETERS = (*FILTER_PARAMETERS, "page")
# The name FilterOptions are cached under, new whenever their shape changes: code just deployed
# must not read those the code before it cached (its UnitOptions had no organization_slug).
FILTER_OPTIONS_VALUE = "filter-options-2"
# Sign-in and admin pages: nothing there for a search engine to list.
NOT_FOR_CRAWLERS = ("/accounts/", "/admin/", "/manage/")


def slug_in_lowercase(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An org's address typed or pasted in capitals (/orgs/ACME/) leads for good (301) to its
    pages: slugs are lowercase (jobs.forms.SLUG_RULE), and the URL's match is exact. Before the
    page cache, which would keep a copy of each spelling. An org saved before that rule with
    capitals in its slug keeps its own address: no org has it in lowercase, as slugs are unique
    in any case (migration jobs 0070)."""

    @wraps(view)
    def view_at_lowercase_slug(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
        lowercase = slug.lower()
        if lowercase != slug and Organization.objects.filter(slug=lowercase).exists():
            match = request.resolver_match
            url = reverse(match.view_name, kwargs={**match.kwargs, "slug": lowercase})
            return _moved_for_good(request, url)
        return view(request, slug=slug, **kwargs)

    return view_at_lowercase_slug


def job_id_as_written(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A job's address with its id written with leading zeros (/orgs/acme/jobs/0123/) leads for
    good (301) to its own (/orgs/acme/jobs/123/): the URL's <int:> reads both as one job, whose
    page answered at each spelling. Before the page cache, which would keep a copy of each."""

    @wraps(view)
    def view_at_job_id_as_written(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        match = request.resolver_match
        url = reverse(match.view_name, kwargs=match.kwargs)
        if url != request.path:
            return _moved_for_good(request, url)
        return view(request, **kwargs)

    return view_at_job_id_as_written


def _moved_for_good(request: HttpRequest, url: str) -> HttpResponsePermanentRedirect:
    """A 301 to `url`, with the query string the address was asked with."""
    return HttpResponsePermanentRedirect(with_query_string(request, url))


def with_query_string(request: HttpRequest, url: str) -> str:
    """`url` with the query string the address was asked with, for a redirect; without it past
    MAX_URL_REDIRECT_LENGTH, where Django refused its own redirect (a 400, logged as an ERROR)
    to an address cut short from one of 17,000 characters."""
    query = request.META.get("QUERY_STRING", "")
    kept = f"{url}?{query}" if query else url
    return kept if len(kept) <= MAX_URL_REDIRECT_LENGTH else url


@require_safe
@cache_public_page()
def home(request: HttpRequest) -> HttpResponse:
    # One more than shown: whether other orgs are hiring too, which the heading says.
    hiring = list(organizations_hiring_most(limit=HOME_ORGANIZATIONS + 1))
    organizations = with_names_shared(hiring[:HOME_ORGANIZATIONS])
    organization_count = Organization.objects.count()
    context = {
        "organizations": organizations,
        "more_organizations_hiring": len(hiring) > HOME_ORGANIZATIONS,
        "organization_count": organization_count,
        # Every org hiring, and none not hiring: /orgs/ would list the same.
        "every_organization_listed": len(organizations) == organization_count,
        "recent_jobs": job_search()[:RECENT_JOBS],
        "canonical_url": request.build_absolute_uri(request.path),
    }
    return render(request, "public/home.html", context)


@require_safe
@cache_public_page(reads=LISTING_PARAMETERS)
def job_list(request: HttpRequest) -> HttpResponse:
    context = _listing_context(request, organization=None)
    # Its title and heading name the org chosen: each org's list is a page of its own.
    slug = context["filters"].organization_slug
    chosen = next((org for org in context["options"].organizations if org.slug == slug), None)
    context["chosen_organization"] = chosen
    context["heading"] = f"Open jobs at {chosen.told_apart}" if chosen else "All open jobs"
    # The title's, its name isolated where it is written right to left (name_in_title).
    context["title_heading"] = (
        f"Open jobs at {chosen.told_apart_in_title}" if chosen else context["heading"]
    )
    # Each job's departments by their path, as the filter above names them.
    with_department_paths(context["page"])
    return render(request, "public/job_list.html", context)


@require_safe
@cache_public_page(reads=["page"])
def organization_list(request: HttpRequest) -> HttpResponse:
    page = organization_page(per_page=ORGANIZATIONS_PER_PAGE, asked=request.GET.get("page"))
    context = {
        "page": page,
        # No filters: a page link keeps none of the job lists' parameters.
        **page_links(request, page),
        "canonical_url": _listing_canonical_url(request, page, params=[]),
    }
    return render(request, "public/organization_list.html", context)


@require_safe
@slug_in_lowercase
@cache_public_page(reads=LISTING_PARAMETERS)
def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=slug)
    paths = department_paths(organization=organization)
    context = _listing_context(request, organization=organization, paths=paths)
    context["organization"] = organization
    # Each org page its own: a sentence shared by all would be shown under each in search results.
    context["meta_description"] = organization.description_on_one_line or (
        f"Open jobs at {ending_sentence(organization.name)}"
    )
    context["job_groups"] = group_by_department(context["page"], paths=paths)
    return render(request, "public/organization_detail.html", context)


def kept_by_others_as_long_as_by_the_cache(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Browsers and proxies may keep the answer as long as this site's own cache does, and no
    longer: only this site's cache is told at once of a sync or an edit. Said outright, as an
    answer with a Last-Modified (a feed, a sitemap) and no Cache-Control may be kept for a
    tenth of its age (RFC 9111, 4.2.2): a day, for a feed whose jobs last changed 10 days ago.
    Under cache_public_page, which keeps the header with the page, and lowers its max-age
    by the time the copy was kept (CachedPage.to_response).

    Only what that cache keeps (CACHEABLE_STATUSES): a proxy told to keep jobs.json's 404 for
    an unknown slug would answer "not found" after the org was made. That 404 says nothing of
    how long to keep it, as the site's other 404s."""

    @wraps(view)
    def view_kept_as_long_as_by_the_cache(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = view(request, **kwargs)
        if response.status_code in CACHEABLE_STATUSES:
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_PAGE_CACHE_SECONDS)
        return response

    return view_kept_as_long_as_by_the_cache


@require_safe
@slug_in_lowercase
@job_id_as_written
@cache_public_page()
def job_detail(request: HttpRequest, slug: str, greenhouse_id: int) -> HttpResponse:
    job = job_for_page(organization_slug=slug, greenhouse_id=greenhouse_id)
    if job is None:
        raise Http404("No such job")
    context = {
        "job": job,
        "related_jobs": related_jobs(job=job),
        "canonical_url": request.build_absolute_uri(job.get_absolute_url()),
    }
    if not job.is_open or job.applications_closed:
        # Its button leads to the org's open jobs, or says there are none to see there.
        context["organization_hiring"] = (
            Job.objects.listed().filter(organization=job.organization_id).exists()
        )
        # 410 Gone: the page stays for people who kept the link; search engines drop it.
        return render(request, "public/job_closed.html", context, status=410)
    context["structured_data"] = json_for_script(job_posting_structured_data(job, request=request))
    context["department_paths"] = unit_paths(job.departments.all())
    context["office_paths"] = unit_paths(job.offices.all())
    return render(request, "public/job_detail.html", context)


all_jobs_feed = require_safe(
    cache_public_page()(kept_by_others_as_long_as_by_the_cache(AllJobsFeed()))
)
organization_jobs_feed = require_safe(
    slug_in_lowercase(
        cache_public_page()(kept_by_others_as_long_as_by_the_cache(OrganizationJobsFeed()))
    )
)


@require_safe
@cache_public_page()
@kept_by_others_as_long_as_by_the_cache
def sitemap_xml(request: HttpRequest) -> HttpResponse:
    return sitemap_views.index(
        request, sitemaps=sections_for_index(), sitemap_url_name="jobs:sitemap_section"
    )


# A sitemap page's number as the index writes it (?p=2): ASCII digits, no leading zero.
SITEMAP_PAGE_RE = re.compile(r"[1-9][0-9]*")


@require_safe
@cache_public_page(reads=["p"])  # Django's sitemap reads its page from `p`
@kept_by_others_as_long_as_by_the_cache
def sitemap_section_xml(request: HttpRequest, section: str) -> HttpResponse:
    page = request.GET.get("p")
    # Django's sitemap reads the page with int(), which also takes "１" (full-width), " 1", "+1"
    # and "01": each answered page 1 with a 200 at another address. Only the index's spelling.
    if page is not None and not SITEMAP_PAGE_RE.fullmatch(page):
        raise Http404("No such sitemap page.")
    return sitemap_views.sitemap(request, sitemaps=SITEMAPS, section=section)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Where crawlers find the sitemap: without this line, only a search engine it was
    submitted to by hand would know of it."""
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in NOT_FOR_CRAWLERS),
        f"Sitemap: {request.build_absolute_uri(reverse('jobs:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def _listing_context(
    request: HttpRequest,
    *,
    organization: Organization | None,
    paths: Sequence[DepartmentPath] = (),
) -> dict[str, Any]:
    """The filtered, paginated jobs of one org's page (grouped by department: `paths`,
    department_paths()'s) or of the all-jobs page."""
    filters = JobFilters.from_query_dict(request.GET)
    if organization is None:
        options = _all_jobs_filter_options(chosen_slug=filters.organization_slug)
    else:
        # On an org's page the org is the page's own, not a filter the visitor set.
        filters = replace(filters, organization_slug="")
        options = _filter_options(organization)
    filters, options, not_found = filters_with_their_options(
        filters=filters, options=options, organization=organization
    )
    if organization is None:
        jobs = job_search(**asdict(filters))
    else:
        jobs = order_by_department(
            job_search(**{**asdict(filters), "organization_slug": organization.slug}),
            paths=paths,
        )
    page = page_asked(jobs, per_page=JOBS_PER_PAGE, asked=request.GET.get("page"))
    # A query of no word to search for ("🚀") lists the jobs as if the box were empty.
    applied = filters if filters.searches_words else replace(filters, query="")
    # Ignored, and named by the page (a link mistyped, or to an org since deleted).
    naming_nothing = sorted(
        [*values_naming_nothing(request.GET), *not_found], key=_place_among_filters
    )
    return {
        "filters": filters,
        "options": options,
        # The page's title says what is filtered: each list of jobs its own, as its address is.
        "filters_named": filters_named(filters=filters, options=options),
        "page": page,
        **page_links(request, page, params=filters.as_query_params()),
        "values_naming_nothing": [
            (FILTER_NOUNS[name], [value for _, value in pairs])
            for name, pairs in groupby(naming_nothing, key=itemgetter(0))
        ],
        # Kept with the values that name nothing: the list's address, beside the noindex
        # below, could take the list out of the index.
        "canonical_url": _listing_canonical_url(
            request,
            page,
            params=sorted([*applied.as_query_params(), *naming_nothing], key=_place_among_filters),
        ),
        # A keyword search's results: no page of their own in a search engine's results
        # (endless, and thin), but the jobs they link to are followed. Not a query of no word:
        # its canonical URL is the list's, which a noindex beside it could take out of the index.
        # Nor a list its filters leave empty: anyone can make one (`location` takes any text,
        # which its title repeats), and it is thinner still. Nor one that says a value names
        # nothing, as anyone's link can make it say.
        "meta_robots": (
            "noindex, follow"
            if applied.query or naming_nothing or (applied.is_active and not page.paginator.count)
            else ""
        ),
    }


def _place_among_filters(param: tuple[str, str]) -> int:
    """Where a (parameter, value) goes in a list's address and notes: FILTER_PARAMETERS' order,
    as JobFilters.as_query_params() writes them."""
    return FILTER_PARAMETERS.index(param[0])


def _filter_options(organization: Organization | OrganizationOption | None) -> FilterOptions:
    """The options of the org's jobs (of every org's: None), shared by the pages offering them
    until the listing changes."""
    return listing_value(
        FILTER_OPTIONS_VALUE,
        organization_slug=organization.slug if organization else None,
        compute=partial(
            job_filter_options, organization_id=organization.pk if organization else None
        ),
    )


def _all_jobs_filter_options(*, chosen_slug: str) -> FilterOptions:
    """The all-jobs page's options: every org with open jobs and, with one of them chosen, the
    departments, offices and locations its own page offers (the same cached value); with none,
    every org's. Other orgs' would list nothing beside the org chosen."""
    organizations = listing_value(
        "filter-organizations", organization_slug=None, compute=organization_options
    )
    chosen = organization_chosen(organizations, chosen_slug)
    return replace(_filter_options(chosen), organizations=organizations)


def _listing_canonical_url(
    request: HttpRequest, page: Page, *, params: list[tuple[str, str]]
) -> str:
    """The address of this list: its filters' `params` (as applied, so a value the page ignored
    is left out) and its page, never page 1 nor parameters such as utm_source that change
    nothing.

    Each page of each filtered list is its own content, as search engines' guidance on
    pagination and faceted navigation says: pointing at the unfiltered list (or its page N)
    would claim that different jobs are the same page.
    """
    query = page_query(page.number, params=params)
    return request.build_absolute_uri(f"{request.path}?{query}" if query else request.path)


def job_as_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.greenhouse_id,
        "internal_job_id": job.internal_job_id,
        "title": job.title,
        "description_html": job.description_html,
        "excerpt": job.excerpt,
        "location": job.location_name,
        "departments": [d.name for d in job.departments.all()],
        "offices": [{"name": o.name, "location": o.location} for o in job.offices.all()],
        "absolute_url": job.absolute_url,
        "requisition_id": job.requisition_id,
        "language": job.language,
        "updated_at": job.no_later_than_synced(job.greenhouse_updated_at),
        "first_published": job.posted_at,
        "application_deadline": job.application_deadline,
        "featured": job.featured,
        # As visitors see it and /jobs/?remote= matches it.
        "remote_policy": job.effective_remote_policy,
        "remote_policy_source": job.remote_policy_source,
        "compensation_note": job.compensation_note,
        "tags": job.tags,
    }


@require_safe
@slug_in_lowercase
def org_jobs_redirect(request: HttpRequest, slug: str) -> HttpResponse:
    """An org's jobs are listed on its page: a job's address cut short leads there, with the
    filters it was asked with."""
    return redirect(with_query_string(request, reverse("jobs:org_detail", args=[slug])))


def readable_from_any_site(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Public data: an org's own website may read it from the browser. No cookies are sent or
    honoured with "*", so no visitor's session can be used. On every answer, slug_in_lowercase's
    301 and require_safe's 405 included: a browser follows a cross-site redirect, and lets the
    script see an error's status, only if the answer carries the header too.

    It answers the browser's preflight itself: a script that sends If-None-Match or
    If-Modified-Since (headers that are not CORS-safelisted) is let through only once OPTIONS
    allows it."""
    # The site-wide middleware's 304 keeps none of the view's CORS headers, and a script that
    # sent If-None-Match itself is handed that 304: it is made here, where they are added, for
    # a HEAD as for a GET (a HEAD's 304 lacked them, and X-Robots-Tag).
    view_answering_304 = decorator_from_middleware(ConditionalGetAndHead)(view)

    @wraps(view)
    def view_readable_from_any_site(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if request.method == "OPTIONS":
            response = HttpResponse(status=204, headers=_PREFLIGHT_HEADERS)
        else:
            response = view_answering_304(request, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        # The script needs the ETag to send it back in If-None-Match.
        response["Access-Control-Expose-Headers"] = "ETag"
        return response

    # It wraps only reads, and a cross-site POST is to see the 405, not the CSRF check's 403.
    return csrf_exempt(view_readable_from_any_site)


_PREFLIGHT_HEADERS = {
    "Allow": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Methods": "GET, HEAD",
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since",
    # A day: browsers cap it lower anyway (Chromium at 2 hours).
    "Access-Control-Max-Age": "86400",
}


NO_ORGANIZATION = {"error": "No organization has this address."}


@not_for_search_engines
@readable_from_any_site
@require_safe
@slug_in_lowercase
@cache_public_page()
@kept_by_others_as_long_as_by_the_cache
def org_jobs_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The org's listed jobs (open, not hidden, still taking applications), for any website to
    read from a browser (README, Public JSON).

    Dated, in its Last-Modified, as the org's feed is (listing_changed_at): what it shows of
    the org and its jobs moves that date, as a deadline passing does. Read with the org, before
    the jobs: a change committed in between is then shown under the date before it, which only
    costs a client asking If-Modified-Since one more 200, where the other order would answer it
    304 with a deadline passed since the jobs were read."""
    organization = organizations_with_listing_changed().filter(slug=slug).first()
    if organization is None:
        # In JSON, as the script that asked can read it.
        return JsonResponse(NO_ORGANIZATION, status=404)
    response = JsonResponse(
        _organization_jobs_as_json(organization), json_dumps_params={"ensure_ascii": False}
    )
    response["Last-Modified"] = http_date(organization.listing_changed.timestamp())
    return response


@not_for_search_engines
@readable_from_any_site
@require_safe
def no_org_jobs_json(request: HttpRequest, address: str) -> JsonResponse:
    """jobs.json at an address no slug can be, "acme robotics" or "acme.inc" typed for "acme":
    the unknown org's 404, in JSON and readable from any site. It was the site's HTML 404,
    without Access-Control-Allow-Origin, which a script in a browser could not even read."""
    return JsonResponse(NO_ORGANIZATION, status=404)


def _organization_jobs_as_json(organization: Organization) -> dict[str, Any]:
    jobs = (
        organization.jobs.listed()
        .prefetch_related("departments", "offices")
        # Its entries hold each description, and nothing else a list leaves out.
        .defer(*(name for name in Job.NOT_IN_LISTS if name != "description_html"))
        .order_by("-featured", "title", "pk")
    )
    return {
        "organization": {
            "slug": organization.slug,
            "name": organization.name,
            "website": organization.website,
        },
        "count": len(jobs),
        "jobs": [job_as_json(job) for job in jobs],
    }
