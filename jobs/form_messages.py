"""What a form's box left empty says, in place of Django's "This field is required.", which says
not what to type: for the site's forms (jobs.forms), Django's admin's (jobs.admin) and the
sign-in forms (jobs.throttle), which jobs.forms imports."""

from __future__ import annotations

from django import forms


def say_what_to_type(form: forms.BaseForm, messages: dict[str, str]) -> None:
    """Each of the boxes named in `messages`, left empty, says its message. One the form does
    not have is passed over: Django's admin leaves out the fields it shows read-only (to staff
    who may only view the page)."""
    for name, message in messages.items():
        if name in form.fields:
            form.fields[name].error_messages["required"] = message
