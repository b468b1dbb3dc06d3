"""The `lang` (and `dir`) of an element that holds words written here in a language of their own:
a job's title or description, an org's description; and the `dir` of a heading of names."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from jobs.models import Job, Organization, WrittenInLanguage
from jobs.sanitize import head_of, text_of
from jobs.text import first_strong_direction, most_letters_direction

register = template.Library()

# What of a description in no language given its direction is read from, at each render of its
# page (most_letters_direction): more than most posts hold, where reading a post of 5 MB took a
# second, and Greenhouse's boards may hold larger.
DIRECTION_READ_CHARACTERS = 20_000


@register.filter
def language_attributes(written: WrittenInLanguage) -> SafeString:
    """` lang="fr"`, ` lang="he" dir="rtl"`, or "" for words in the page's own language (see
    WrittenInLanguage.content_language)."""
    return format_html_join("", ' {}="{}"', written.language_attrs.items())


@register.filter
def description_language_attributes(job: Job) -> SafeString:
    """language_attributes(), or dir="rtl" where they name no language and most of the letters
    of the description's opening (DIRECTION_READ_CHARACTERS) are written right to left
    (most_letters_direction): a description in Arabic or Hebrew that Greenhouse calls English,
    its default, or in none was laid out left to right. Not dir="auto", which takes all its
    paragraphs' direction from its first letter: an English post that opened with a Hebrew
    place was laid out right to left (Chromium)."""
    if job.content_language:
        return language_attributes(job)
    head = head_of(job.description_html, DIRECTION_READ_CHARACTERS)
    return most_letters_direction_attribute(text_of(head))


@register.filter
def organization_description_attributes(organization: Organization) -> SafeString:
    """Those of the language set, or, with none, dir="rtl" where most of the description's
    letters are written right to left, as a job's description (description_language_attributes):
    dir="auto" laid out all its paragraphs in its first letter's direction. Not its box's
    (Organization.language_attrs), which lays out what is typed in it as it is typed."""
    if organization.language:
        return language_attributes(organization)
    return most_letters_direction_attribute(organization.description_shown)


def most_letters_direction_attribute(text: str) -> SafeString:
    """` dir="rtl"` where most of the letters of `text` are written right to left, else ""."""
    return SafeString(' dir="rtl"' if most_letters_direction(text) == "rtl" else "")


@register.filter
def title_language_attributes(job: Job) -> SafeString | str:
    """language_attributes(), with a `dir` where they give none, for a title that other text
    follows on its line, or a heading that is the title alone: an element with a dir isolates
    its text, so a title that leaves a right-to-left override open cannot reorder what follows.
    A title in a language written left to right, other than the page's (Greenhouse's default),
    is laid out left to right though it starts with an Arabic word; one without a letter
    written left to right is in no such language, whatever the post says, and, as one in no
    language given (or the page's), takes its first letter's direction (dir="auto"): an Arabic
    title reads right to left, a heading of one on the right, where it starts."""
    attributes = language_attributes(job)
    if job.content_direction:
        return attributes
    if job.content_language and any(
        unicodedata.bidirectional(character) == "L" for character in job.title
    ):
        return format_html('{} dir="ltr"', attributes)
    return format_html('{} dir="auto"', attributes)


@register.filter
def names_direction_attribute(names: Iterable[str]) -> SafeString | str:
    """` dir="rtl"` for an element holding `names` (a department's path, each in its <bdi>) whose
    first letter with a direction is written right to left, else "" (the page's left to right):
    a heading of Hebrew names then stands on the right, the first name rightmost. dir="auto"
    cannot tell, as it passes over the text inside a <bdi>."""
    directions = (first_strong_direction(name) for name in names)
    return SafeString(' dir="rtl"') if next(filter(None, directions), "") == "rtl" else ""
