"""The filter form's options: thousands of them site-wide, so written in Python.

Through the template language, the 2,800 department and office options of 200 orgs took 0.1 s
to render, most of an uncached /jobs/ (bench/README.md); these tags take under a tenth of that.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from html import escape
from operator import attrgetter
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from jobs.selectors import UnitOption, unit_option_groups
from jobs.text import option_direction

register = template.Library()

# A department's or office's value, label and direction (UnitOption).
UNIT_OPTION_ATTRIBUTES = ("pk", "name", "direction")


@register.simple_tag
def select_options(
    items: Iterable[Any],
    selected: Any,
    value_attribute: str = "",
    label_attribute: str = "",
    direction_attribute: str = "",
) -> SafeString:
    """An `<option>` per item, those whose value is `selected` (one value, or a collection of
    them) marked. Value and label are the named attributes, or the item itself; the one named
    by `direction_attribute`, else the label's (option_direction), is the option's dir, if
    set: an org's name or a location is laid out as on the job's line, in its <bdi>."""
    if isinstance(selected, str) or not isinstance(selected, Collection):
        selected = {selected}
    value_of = attrgetter(value_attribute) if value_attribute else _itself
    label_of = attrgetter(label_attribute) if label_attribute else _itself
    options = []
    for item in items:
        value, label = value_of(item), str(label_of(item))
        marked = " selected" if value in selected else ""
        direction = (
            getattr(item, direction_attribute) if direction_attribute else option_direction(label)
        )
        marked += _dir_attribute(direction)
        # html.escape() is what Django's escape() runs, without its per-call wrapper.
        options.append(f'<option value="{escape(str(value))}"{marked}>{escape(label)}</option>')
    return mark_safe("".join(options))  # noqa: S308 (every value and label escaped above)


@register.filter
def option_dir(label: str) -> SafeString | str:
    """The dir attribute, ` dir="rtl"`, of an <option> written outside select_options whose
    label is read right to left (option_direction), as those it writes have."""
    return mark_safe(' dir="rtl"') if option_direction(label) else ""


@register.simple_tag
def unit_options(
    units: list[UnitOption], selected_ids: Collection[int], by_organization: bool
) -> SafeString:
    """Department or office options; site-wide, in an `<optgroup>` per org (unit_option_groups:
    two orgs of one name are two groups, told apart by their slugs), its label laid out as the
    org filter's option of the same name is (option_direction)."""
    if not by_organization:
        return select_options(units, selected_ids, *UNIT_OPTION_ATTRIBUTES)
    return mark_safe(  # noqa: S308 (the label escaped here, the options in select_options)
        "".join(
            f'<optgroup label="{escape(label)}"{_dir_attribute(option_direction(label))}>'
            f"{select_options(group, selected_ids, *UNIT_OPTION_ATTRIBUTES)}</optgroup>"
            for label, group in unit_option_groups(units)
        )
    )


def _dir_attribute(direction: str) -> str:
    return f' dir="{escape(direction)}"' if direction else ""


def _itself(item: Any) -> Any:
    return item
