"""The page of a list that a `?page=` asks for, the same on the visitors' and the admins' lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

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
