"""Times on pages and in emails: the machine-readable date of a <time> element, a time with its
zone, and how long a thing took."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import template
from django.template.defaultfilters import date
from django.utils import timezone

from jobs.status import date_and_zone_text

register = template.Library()


@register.filter
def datetime_attribute(value: object) -> str:
    """`value` as a <time datetime="…"> holds it: in the site's time zone, to the second.
    Django's date:"c" writes the microseconds of a time the site took (a job's closing, a
    sync's start), and HTML allows three digits of a second's fraction at most.

    Nothing for None, as Django's date filter: localtime() read it as now. In UTC where the
    zone's offset then had seconds (local mean time, used in some zones until 1972): HTML's offset
    is hours and minutes, and isoformat() wrote "+00:19:32" (Amsterdam, 1900). Anything but an
    aware time as the date filter's "c" writes it (to the second): "" for "", a date as one, a
    naive time without an offset (a local date and time to HTML), where localtime() failed the
    page (as date_and_zone did)."""
    if not isinstance(value, datetime):
        return date(value, "c")  # "" for None and "", a date as one
    if timezone.is_naive(value):
        return value.isoformat(timespec="seconds")
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


@register.filter
def date_and_zone(value: object, format_string: str) -> str:
    """`value` as the date filter writes it in `format_string`, then its zone ("EST"), named in
    the hour a fall-back repeats too, where the date filter's "T" names none (see
    jobs.status.date_and_zone_text). Anything but an aware time as the date filter writes it
    with "T": nothing for None, which localtime() reads as now, and a naive time, or "", which
    localtime() refuses, without the error that failed the whole page or email."""
    if not isinstance(value, datetime) or timezone.is_naive(value):
        return date(value, f"{format_string} T")
    return date_and_zone_text(value, format_string)
