"""What every response carries: to a HEAD as to a GET, and to a signed-in person."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.http import ConditionalGetMiddleware
from django.utils.cache import add_never_cache_headers

from orgsite.database import connect_failure_reused


class SignedInPagesNotStored:
    """Pages shown to someone signed in (their orgs' members, settings, API key's last digits)
    are not stored: a browser keeps other pages for its Back button even after their person has
    signed out, so on a shared computer the next person would see them. Django's admin and
    sign-in pages already say so themselves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The cookie first: reading request.user reads the session, which adds "Vary: Cookie"
        # to responses that proxies could otherwise share (jobs.json, feeds).
        if (
            not response.has_header("Cache-Control")
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and request.user.is_authenticated
        ):
            add_never_cache_headers(response)
        return response


class HeadLeavesMessagesUnread:
    """A HEAD is answered as a GET without its body, so the page's template still shows (and
    so uses up) a pending message: a link checker or a prefetch in the same session took it
    from the GET after it, whose page never said it. Placed after MessageMiddleware, so this
    runs before it stores what is left."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "HEAD":
            messages.get_messages(request).used = False
        return response


class ConditionalGetAndHead(ConditionalGetMiddleware):
    """Django's ConditionalGetMiddleware, for HEAD as for GET: a HEAD got no ETag, and no 304
    to its If-None-Match, though RFC 9110 has it carry the headers a GET would (a CDN or a link
    checker compares them). Django leaves HEAD out for its empty body, but the body is only
    dropped after every other middleware (HeadWithoutBody): here it is the GET's, so is its
    hash."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.method != "HEAD":
            return super().process_response(request, response)
        request.method = "GET"  # for the parent's check alone; restored at once
        try:
            return super().process_response(request, response)
        finally:
            request.method = "HEAD"


class NoContentHeadersWithoutContent:
    """A 204 or a 304 has no content, so no Content-Type or Content-Length: Django's HttpResponse
    says text/html by default, and CommonMiddleware gives every answer a length, "0" on the 204
    to jobs.json's preflight and on the 304 jobs.json makes itself (readable_from_any_site).
    RFC 9110 (8.6) has a server send none in a 204, and in a 304 only the 200's length. Outside
    CommonMiddleware, so that it runs after it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in (204, 304):
            response.headers.pop("Content-Type", None)
            response.headers.pop("Content-Length", None)
        return response


class HeadWithoutBody:
    """A HEAD's answer is the GET's headers without its body (RFC 9110). Django renders the
    GET's page and leaves dropping it to the server: runserver does, gunicorn sends it (all of
    a large org's jobs.json), which a client keeping the connection (gunicorn's threaded
    workers keep it) reads as the start of its next answer. First in MIDDLEWARE, so the rest
    see the GET's page (its ETag, its Content-Length, the page cache)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "HEAD" and not response.streaming:
            response.content = b""  # Content-Length, set by CommonMiddleware, stays the GET's
        return response


class DatabaseConnectedOnce:
    """A request connects to the database once at most: after a failed connect its queries
    raise that error at once (orgsite.database.connect_failure_reused), and the page answers
    503 (orgsite.errors.server_error). Second in MIDDLEWARE, so that request.user and the
    session, read by the middleware after the view too, reuse the failure."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with connect_failure_reused():
            return self.get_response(request)
