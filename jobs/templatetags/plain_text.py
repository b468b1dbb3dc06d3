"""Names in text: where no element can isolate them (a page's <title>, which isolates them with
characters instead, attribute values), and before a mark the name's own could double."""

from __future__ import annotations

from django import template

from jobs.text import (
    before_ellipsis,
    ending_sentence,
    name_in_sentence,
    name_in_title,
    title_without_direction_controls,
    without_direction_controls,
)

register = template.Library()

# Safe in, safe out: dropping characters writes no markup.
register.filter("without_direction_controls", without_direction_controls, is_safe=True)
register.filter("before_ellipsis", before_ellipsis, is_safe=True)
# Isolates are no markup either.
register.filter("name_in_title", name_in_title, is_safe=True)
register.filter("name_in_sentence", name_in_sentence, is_safe=True)
register.filter("title_without_direction_controls", title_without_direction_controls, is_safe=True)


@register.filter(is_safe=True)
def full_stop_after(text: str) -> str:
    """The full stop a sentence that ends with `text` needs after it: none after "Tiny Co."
    (ending_sentence()). Written apart from the name, outside the element that isolates it."""
    return ending_sentence(text).removeprefix(text)
