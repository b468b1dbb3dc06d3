"""Email addresses and the usernames made of them, as people read them (jobs.mail.address_shown)."""

from __future__ import annotations

from django import template

from jobs.mail import address_shown

register = template.Library()

register.filter("address_shown", address_shown)
