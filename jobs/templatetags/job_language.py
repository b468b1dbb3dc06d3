"""The `lang` (and `dir`) of an element that holds words written here in a language of their own:
a job's title or description, an org's description."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from jobs.models import Job, WrittenInLanguage

register = template.Library()


@register.filter
def language_attributes(written: WrittenInLanguage) -> SafeString:
    """` lang="fr"`, ` lang="he" dir="rtl"`, or "" for words in the page's own language (see
    WrittenInLanguage.content_language)."""
    return format_html_join("", ' {}="{}"', written.language_attrs.items())


@register.filter
def title_language_attributes(job: Job) -> SafeString | str:
    """language_attributes(), with ` dir="auto"` where they give no direction, for a title that
    other text follows on its line, or a heading that is the title alone: an element with a dir
    isolates its text, so a title that leaves a right-to-left override open cannot reorder what
    follows, and an Arabic title of a post whose language Greenhouse does not give still reads
    right to left (a heading of one on the right, where it starts)."""
    attributes = language_attributes(job)
    return attributes if job.content_direction else format_html('{} dir="auto"', attributes)
