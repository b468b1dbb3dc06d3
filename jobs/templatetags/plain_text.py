"""Names in text where no element can isolate them: a page's <title>, attribute values."""

from __future__ import annotations

from django import template

from jobs.text import without_direction_controls

register = template.Library()

# Safe in, safe out: dropping characters writes no markup.
register.filter("without_direction_controls", without_direction_controls, is_safe=True)
