"""The page of a list that a `?page=` asks for, and the links to its neighbours, the same on the
visitors' and the admins' lists."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

if TYPE_CHECKING:
    from jobs.selectors import JobsForAdmins


def page_asked(items: QuerySet[Any] | JobsForAdmins, *, per_page: int, asked: str | None) -> Page:
    """The first page for a number below 1, none at all or not a number; the last for one past
    the end (a link kept while the list shrank). Paginator.get_page() gives the last for 0 and
    below too: ?page=0 showed the oldest jobs, with the last page's canonical URL."""
    try:
        number = int(asked or 1)
    except ValueError:
        number = 1
    return Paginator(items, per_page).get_page(max(number, 1))


def page_links(
    request: HttpRequest, page: Page, *, keeping: Collection[str] = ()
) -> dict[str, str]:
    """The addresses of the pages before and after `page` ("" for none), as templates name
    them, keeping the parameters named `keeping` (a list's filters)."""
    return {
        "previous_page_url": _page_url(request, page, page.number - 1, keeping=keeping),
        "next_page_url": _page_url(request, page, page.number + 1, keeping=keeping),
    }


def _page_url(request: HttpRequest, page: Page, number: int, *, keeping: Collection[str]) -> str:
    if not 1 <= number <= page.paginator.num_pages:
        return ""
    # The filters only: a link shared with ?utm_source=… must not carry it to every page.
    params = QueryDict(mutable=True)
    for name in keeping:
        if name in request.GET:
            params.setlist(name, request.GET.getlist(name))
    # Page 1 is the list's own address, as its canonical link gives it: ?page=1 made it a
    # second address of the same page.
    if number > 1:
        params["page"] = str(number)
    return f"?{params.urlencode()}" if params else request.path
