"""The `lang` (and `dir`) of an element that holds a job's own words: its title or description."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from jobs.models import Job

register = template.Library()


@register.filter
def language_attributes(job: Job) -> SafeString | str:
    """` lang="fr"`, ` lang="he" dir="rtl"`, or "" for a job in the page's own language (see
    Job.content_language)."""
    if not job.content_language:
        return ""
    direction = format_html(' dir="{}"', job.content_direction) if job.content_direction else ""
    return format_html(' lang="{}"{}', job.content_language, direction)


@register.filter
def title_language_attributes(job: Job) -> SafeString | str:
    """language_attributes(), with ` dir="auto"` where they give no direction, for a title that
    other text follows on its line: an element with a dir isolates its text, so a title that
    leaves a right-to-left override open cannot reorder what follows, and an Arabic title of a
    post whose language Greenhouse does not give still reads right to left."""
    attributes = language_attributes(job)
    return attributes if job.content_direction else format_html('{} dir="auto"', attributes)
