"""What a form's box left empty says, in place of Django's "This field is required.", which says
not what to type: for the site's forms (jobs.forms), Django's admin's (jobs.admin) and the
sign-in forms (jobs.throttle), which jobs.forms imports."""

from __future__ import annotations

from django import forms
from django.core.exceptions import FieldDoesNotExist


def say_what_to_type(form: forms.BaseForm, messages: dict[str, str]) -> None:
    """Each of the boxes named in `messages`, left empty, says its message. One the form does
    not have is passed over if it is a field of the form's model: Django's admin leaves out the
    fields it shows read-only (to staff who may only view the page). Any other name is misspelt:
    refused, as a box it passed over would say Django's words unnoticed."""
    for name, message in messages.items():
        if name in form.fields:
            form.fields[name].error_messages["required"] = message
        elif not _is_model_field(form, name):
            raise KeyError(f"{type(form).__name__} has no field {name!r}")


def _is_model_field(form: forms.BaseForm, name: str) -> bool:
    model = getattr(getattr(form, "_meta", None), "model", None)
    try:
        return model is not None and bool(model._meta.get_field(name))
    except FieldDoesNotExist:
        return False
