"""Brief caching of visitor pages, invalidated at once when a sync changes an org's jobs.

Every cached page remembers the "listing version" it was rendered at: the org's for its own
pages (views taking a `slug`), the site's for pages listing every org. A sync that changes jobs
gives both versions a new value, so no later request is served a page rendered before it. The
versions live in the cache itself, which the web and worker processes share (a file cache or
Redis).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Collection, Iterable
from functools import partial, wraps
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlencode
from uuid import uuid4

import redis
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils.cache import (
    get_max_age,
    patch_cache_control,
    patch_vary_headers,
    set_response_etag,
)
from django.utils.text import compress_string

from jobs.models import Organization

logger = logging.getLogger(__name__)

SITE_VERSION_KEY = "listing-version:site"
# A version that expires only costs a fresh render; one that never did would let requests for
# made-up org slugs fill the cache for good.
VERSION_SECONDS = 24 * 60 * 60
# Statuses worth keeping: a closed job's 410 page is as stable as an open one's.
CACHEABLE_STATUSES = frozenset({200, 410})
ACCEPTS_GZIP_RE = re.compile(r"\bgzip\b")

T = TypeVar("T")


def cache_failure(exc: Exception) -> str:
    """Why the cache failed with `exc`, in a few words for /healthz and the log: a Redis that
    keeps noeviction and is full still answers, but refuses every write."""
    return "full (maxmemory reached)" if isinstance(exc, redis.OutOfMemoryError) else "unreachable"


class CachedPage(NamedTuple):
    """A rendered page as the cache keeps it: bytes and headers load faster than a pickled
    response object, and the version tells whether a sync has changed the jobs since."""

    version: str
    status: int
    headers: dict[str, str]
    content: bytes
    # When it was rendered (time.time()); 0 for a page stored by older code, which had none.
    rendered_at: float = 0

    @classmethod
    def of(cls, response: HttpResponse, *, version: str) -> CachedPage:
        return cls(
            version, response.status_code, dict(response.items()), response.content, time.time()
        )

    def to_response(self) -> HttpResponse:
        response = HttpResponse(self.content, status=self.status, headers=self.headers)
        max_age = get_max_age(response)
        if max_age and self.rendered_at:
            # Others keep it for what is left of its time here (a 304 says so too): served 50 s
            # into its 60, it said 60 again, and a proxy kept it nearly twice as long.
            age = int(time.time() - self.rendered_at)
            patch_cache_control(response, max_age=max(max_age - age, 0))
        return response

    def gzipped(self) -> CachedPage:
        content = compress_string(self.content)
        headers = {**self.headers, "Content-Encoding": "gzip", "Content-Length": str(len(content))}
        if headers.get("ETag", "").startswith('"'):
            # The same page in other bytes: weak, as Django's GZipMiddleware makes it.
            headers["ETag"] = f"W/{headers['ETag']}"
        return self._replace(headers=headers, content=content)


def listing_cache_invalidate(*, organization: Organization) -> None:
    """Make the org's pages and the site-wide pages render afresh on their next request."""
    listings_cache_invalidate(organizations=[organization])


def listings_cache_invalidate(*, organizations: Iterable[Organization]) -> None:
    """Make the orgs' pages and the site-wide pages render afresh on their next request, with
    one write to the cache."""
    slugs = [organization.slug for organization in organizations]
    versions = {_version_key(slug): uuid4().hex for slug in slugs}
    try:
        cache.set_many({**versions, SITE_VERSION_KEY: uuid4().hex}, timeout=VERSION_SECONDS)
    except Exception as exc:
        # The write has already succeeded; a cache that is down only means pages stay stale
        # for PUBLIC_PAGE_CACHE_SECONDS, which must not turn it into a failure.
        named = slugs[0] if len(slugs) == 1 else f"{len(slugs)} orgs"
        logger.warning("listing cache invalidation failed org=%s error=%r", named, exc)


def cache_public_page(
    *, reads: Collection[str] = ()
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Serve anonymous GETs (and HEADs) of a visitor page from the cache for
    PUBLIC_PAGE_CACHE_SECONDS, one copy for each value of the query string parameters the view
    `reads` (its page must read no other).

    A cache that is down costs a render, and one log line per request, not a traceback: while
    Redis is down every request fails the same way, and would flood the log.
    """
    return partial(_cached, read_parameters=frozenset(reads))


def _cached(
    view: Callable[..., HttpResponse], *, read_parameters: frozenset[str]
) -> Callable[..., HttpResponse]:
    @wraps(view)
    def cached_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _is_cacheable_request(request):
            return view(request, *args, **kwargs)
        version_key = _version_key(kwargs.get("slug"))
        address = _page_address(request, read_parameters=read_parameters)
        page_key = _page_key(address, gzipped=_accepts_gzip(request))
        try:
            version, found = _read_with_version(version_key, page_key)
        except Exception as exc:
            logger.warning("page cache unavailable path=%s error=%r", request.path, exc)
            return view(request, *args, **kwargs)
        page = found.get(page_key)
        if page is not None and page.version == version:
            return page.to_response()
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            _forget_new_version(version_key, found)
            raise
        if response.status_code == 404:  # answered by the view itself (jobs.json)
            _forget_new_version(version_key, found)
        if response.status_code in CACHEABLE_STATUSES and not response.cookies:
            if isinstance(response, SimpleTemplateResponse):
                response.render()
            patch_vary_headers(response, ["Accept-Encoding"])
            if getattr(request, "session", None) is not None and request.session.accessed:
                # As SessionMiddleware says of this answer, after the view: kept without it, a
                # copy served from here (which reads no session) let a cache in between give the
                # signed-out page to a signed-in visitor.
                patch_vary_headers(response, ["Cookie"])
            # Hashed once here and kept with the page: ConditionalGetMiddleware would hash
            # the body of every cached answer (a large org's jobs.json is tens of MB).
            set_response_etag(response)
            # Stored with the version read before rendering: if a sync ran meanwhile, the
            # next request sees a newer version and renders again. Compressed once here, so
            # the clients that accept gzip (every browser) cost no compression per request.
            page = CachedPage.of(response, version=version)
            pages = {
                _page_key(address, gzipped=False): page,
                _page_key(address, gzipped=True): page.gzipped(),
            }
            try:
                cache.set_many(pages, settings.PUBLIC_PAGE_CACHE_SECONDS)
            except Exception as exc:
                logger.warning("page cache unavailable path=%s error=%r", request.path, exc)
            if _accepts_gzip(request):
                # As the copy the next such client gets: the one that asked for the page first
                # after a sync (or as it left the cache) got it uncompressed, tens of MB of a
                # large org's jobs.json.
                return pages[_page_key(address, gzipped=True)].to_response()
        return response

    return cached_view


def listing_value(name: str, *, organization_slug: str | None, compute: Callable[[], T]) -> T:
    """compute()'s value, shared by every request for PUBLIC_PAGE_CACHE_SECONDS until a sync
    changes the listing (the org's, or the site's when `organization_slug` is None).

    For parts of a page that many page addresses share: each search renders its own page, but
    all of them offer the same filter options (bench/README.md, section 3).
    """
    version_key = _version_key(organization_slug)
    value_key = f"listing-value:{name}:{organization_slug or ''}"
    try:
        version, found = _read_with_version(version_key, value_key)
    except Exception as exc:
        logger.warning("listing cache unavailable value=%s error=%r", name, exc)
        return compute()
    stored = found.get(value_key)
    if stored is not None and stored[0] == version:
        return stored[1]
    value = compute()
    try:
        # With the version read before computing, as for pages: a sync meanwhile means a miss.
        cache.set(value_key, (version, value), settings.PUBLIC_PAGE_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("listing cache unavailable value=%s error=%r", name, exc)
    return value


def _read_with_version(version_key: str, key: str) -> tuple[str, dict[str, Any]]:
    """The current listing version, and what the cache holds of both keys.

    Both in one read (one round trip on Redis); a version is only made after a miss.
    """
    found = cache.get_many([version_key, key])
    return found.get(version_key) or _first_version(version_key), found


def _first_version(key: str) -> str:
    """A version for a key that has none yet (never set, or expired)."""
    fresh = uuid4().hex
    # add() keeps a value another process set first, so all processes agree on one version.
    cache.add(key, fresh, timeout=VERSION_SECONDS)
    return cache.get(key, fresh)


def _forget_new_version(key: str, found: dict[str, Any]) -> None:
    """After a 404: if this request made the version, perhaps there is no such org. Its version
    must not stay for a day, or requests for made-up slugs would fill the cache (a full Redis
    stops counting sign-ins too)."""
    if key in found:
        return
    try:
        cache.delete(key)
    except Exception as exc:
        logger.warning("page cache unavailable key=%s error=%r", key, exc)


def _is_cacheable_request(request: HttpRequest) -> bool:
    # A signed-in user's pages show their name, and a pending message belongs to one visitor:
    # only requests with neither cookie share pages. A HEAD is answered the GET's page (its
    # body dropped by HeadWithoutBody), with its headers: the same ETag, gzipped or not.
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def _version_key(organization_slug: str | None) -> str:
    return f"listing-version:org:{organization_slug}" if organization_slug else SITE_VERSION_KEY


def _page_address(request: HttpRequest, *, read_parameters: frozenset[str]) -> str:
    """The page's URL with only the parameters its view reads, sorted.

    Links from newsletters and social sites add their own (utm_source, fbclid: a new one per
    click), and anyone may add ?page=2 to a page without pages; each would otherwise render and
    store its own copy of the page. The host is part of the address: pages carry absolute
    canonical and feed URLs.
    """
    # Sorted by name only: a repeated parameter's values keep their order, which pages read.
    read = sorted(
        (
            (name, value)
            for name, values in request.GET.lists()
            if name in read_parameters
            for value in values
        ),
        key=itemgetter(0),
    )
    address = request.build_absolute_uri(request.path) + "?" + urlencode(read)
    return hashlib.sha256(address.encode()).hexdigest()


def _page_key(address: str, *, gzipped: bool) -> str:
    return f"public-page:{'gzip' if gzipped else 'identity'}:{address}"


def _accepts_gzip(request: HttpRequest) -> bool:
    # As GZipMiddleware reads the header (q-values are not weighed).
    return ACCEPTS_GZIP_RE.search(request.headers.get("Accept-Encoding", "")) is not None
