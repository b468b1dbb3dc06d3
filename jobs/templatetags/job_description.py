"""A job's description, as the sync sanitized it, shown below a page's own headings."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from jobs import sanitize

register = template.Library()


@register.filter
def headings_one_level_down(description_html: str) -> SafeString:
    """The description with each of its headings a level down (h6 stays h6), for a page where
    it sits in a section under an h2 rather than under the job's title."""
    return mark_safe(  # noqa: S308 (sanitized by the sync; only heading levels change)
        sanitize.headings_one_level_down(description_html)
    )
