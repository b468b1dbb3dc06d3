"""The boards a page of Django's admin showed, sent back with its form."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html

from jobs.forms import ConnectionShownForm
from jobs.models import GreenhouseConnection

register = template.Library()


@register.simple_tag
def connections_shown_field(shown: GreenhouseConnection | Iterable[GreenhouseConnection]) -> str:
    """A hidden field naming the board of each connection a delete page lists (one, or those
    selected): another board may be connected on a row before the page is sent, which is not to
    be deleted for it (GreenhouseConnectionAdmin.delete_model). Not the key's end: no delete
    page shows it."""
    connections = [shown] if isinstance(shown, GreenhouseConnection) else shown
    value = ConnectionShownForm.listed_value(connections)
    return format_html(
        '<input type="hidden" name="{}" value="{}">', ConnectionShownForm.LISTED, value
    )
