"""The board a page of Django's admin showed, sent back with its form."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from jobs.forms import ConnectionShownForm
from jobs.models import GreenhouseConnection

register = template.Library()


@register.simple_tag
def connection_shown_fields(connection: GreenhouseConnection) -> str:
    """Hidden fields naming `connection` and its board as a delete page lists it: another board
    may be connected on the row before the page is sent, which is not to be deleted for it
    (GreenhouseConnectionAdmin.delete_model). Not the key's end: no delete page shows it."""
    shown = ConnectionShownForm.of_listed(connection)
    return format_html("{}{}", shown["connection"], shown["board_token"])
