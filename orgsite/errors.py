"""The page of a crash (handler500): the site's 500, or a 503 when the request's database
could not be connected to, a wait the visitor and crawlers are told to retry after. Neither is
stored by a browser or a proxy: one kept would outlast the fault."""

from __future__ import annotations

import logging
import sys

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views import defaults

from orgsite.database import connect_failure, database_failure_said

logger = logging.getLogger(__name__)

# What the page says: "try again in a minute".
DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS = 60


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 page, unless what is raised is the request's failed connect
    (orgsite.middleware.DatabaseConnectedOnce): then a 503 that reads nothing from the database,
    logged once for the request, however many places meet the failure after the first (Django's
    own ERROR line for each is left out: orgsite.logging.DatabaseUnavailableFilter).

    Either is sent with Django's never-cache headers, whoever asked: a signed-in member's is
    made where request.user failed in orgsite.middleware.SignedInPagesNotStored, which then
    added nothing, and a visitor's kept by a proxy would outlast the fault."""
    error = sys.exc_info()[1]
    if error is None or error is not connect_failure():
        response = defaults.server_error(request)
        add_never_cache_headers(response)
        return response
    if not hasattr(request, "database_unavailable"):
        request.database_unavailable = error
        logger.warning(
            "page answered 503 path=%s error=%r: %s",
            request.path,
            error,
            database_failure_said(error),
        )
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
