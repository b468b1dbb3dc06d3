"""Times on pages: the machine-readable date of a <time> element, and how long a thing took."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def datetime_attribute(value: datetime) -> str:
    """`value` as a <time datetime="…"> holds it: in the site's time zone, to the second.
    Django's date:"c" writes the microseconds of a time the site took (a job's closing, a
    sync's start), and HTML allows three digits of a second's fraction at most."""
    return timezone.localtime(value).isoformat(timespec="seconds")


@register.filter
def time_taken(value: timedelta) -> str:
    """`value` to a tenth of a second ("2.4 s"); "under 0.1 s" for less, not "0.0 s", as if a
    sync of a small board took no time at all."""
    seconds = value.total_seconds()
    return "under 0.1 s" if seconds < 0.1 else f"{seconds:.1f} s"
