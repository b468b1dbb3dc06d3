"""The page of a list that a `?page=` asks for, and the links to its neighbours, the same on the
visitors' and the admins' lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

if TYPE_CHECKING:
    from jobs.selectors import JobsForAdmins


# ?page=last, as Django's own list views read it: an address for the end of a list, whatever
# its length.
LAST_PAGE = "last"


def page_asked(items: QuerySet[Any] | JobsForAdmins, *, per_page: int, asked: str | None) -> Page:
    """The first page for a number below 1, none at all or not a number; the last for one past
    the end (a link kept while the list shrank, or a number too long for int()) and for
    LAST_PAGE. Paginator.get_page() gives the last for 0 and below too: ?page=0 showed the
    oldest jobs, with the last page's canonical URL. A number is ASCII digits, as the
    sitemap's (views.SITEMAP_PAGE_RE): int() also read "２" (full-width), "٢" (Arabic-Indic),
    " 2" and "+2" as page 2, where "two" is the first page."""
    paginator = Paginator(items, per_page)
    if asked == LAST_PAGE:
        return paginator.get_page(paginator.num_pages)
    try:
        number = int(asked) if asked and asked.isascii() and asked.isdigit() else 1
    except ValueError:  # more digits than int() reads (4,300): past any last page
        number = paginator.num_pages
    return paginator.get_page(max(number, 1))


def page_links(
    request: HttpRequest, page: Page, *, params: Sequence[tuple[str, str]] = ()
) -> dict[str, str]:
    """The addresses of the pages before and after `page` ("" for none), and of the first and
    the last page unless one of those is it or next to it (the link before or after leads
    there), as templates name them: each that page's own (page_query), with the list's filters
    `params`."""
    number, last = page.number, page.paginator.num_pages
    return {
        "first_page_url": _page_url(request, page, 1, params=params) if number > 2 else "",
        "previous_page_url": _page_url(request, page, number - 1, params=params),
        "next_page_url": _page_url(request, page, number + 1, params=params),
        "last_page_url": _page_url(request, page, last, params=params) if number < last - 1 else "",
    }


def page_query(number: int, *, params: Sequence[tuple[str, str]]) -> str:
    """The query string of page `number` of a list with the filters `params`, as applied (a
    fixed order, no value the list ignored): "" for its first page unfiltered. Never page=1,
    nor parameters such as utm_source, which change nothing and would make the page a second
    address."""
    return urlencode([*params, ("page", str(number))] if number > 1 else params)


def _page_url(
    request: HttpRequest, page: Page, number: int, *, params: Sequence[tuple[str, str]]
) -> str:
    if not 1 <= number <= page.paginator.num_pages:
        return ""
    query = page_query(number, params=params)
    return f"?{query}" if query else request.path
