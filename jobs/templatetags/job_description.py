"""A job's description, as the sync sanitized it, shown below a page's own headings."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from jobs import sanitize

register = template.Library()


@register.filter
def headings_under(description_html: str, level: int) -> SafeString:
    """The description with its headings renumbered to sit under the page's h`level` (the job
    title's h1, or a card's h2), none skipped."""
    return mark_safe(  # noqa: S308 (sanitized by the sync; only heading levels change)
        sanitize.headings_under(description_html, level)
    )
