"""Times on pages: the machine-readable date of a <time> element, and how long a thing took."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def datetime_attribute(value: datetime | None) -> str:
    """`value` as a <time datetime="…"> holds it: in the site's time zone, to the second.
    Django's date:"c" writes the microseconds of a time the site took (a job's closing, a
    sync's start), and HTML allows three digits of a second's fraction at most.

    Nothing for None, as Django's date filter: localtime() read it as now. In UTC where the
    zone's offset then had seconds (local mean time, used in some zones until 1972): HTML's offset
    is hours and minutes, and isoformat() wrote "+00:19:32" (Amsterdam, 1900)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    if local.utcoffset() % timedelta(minutes=1):
        local = value.astimezone(UTC)
    return local.isoformat(timespec="seconds")


@register.filter
def time_taken(value: timedelta) -> str:
    """`value` to a tenth of a second ("2.4 s"); "under 0.1 s" for less, not "0.0 s", as if a
    sync of a small board took no time at all."""
    seconds = value.total_seconds()
    return "under 0.1 s" if seconds < 0.1 else f"{seconds:.1f} s"
