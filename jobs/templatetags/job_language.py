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
