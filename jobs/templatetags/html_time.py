"""The machine-readable date of a <time> element."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def datetime_attribute(value: datetime) -> str:
    """`value` as a <time datetime="…"> holds it: in the site's time zone, to the second.
    Django's date:"c" writes the microseconds of a time the site took (a job's closing, a
    sync's start), and HTML allows three digits of a second's fraction at most."""
    return timezone.localtime(value).isoformat(timespec="seconds")
