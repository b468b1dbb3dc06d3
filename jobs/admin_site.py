"""Django's admin site, with every write of a staff member made under a lock of their account."""

from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from jobs.models import rows_key_share_lock

View = Callable[..., HttpResponse]


def staff_account_lock(staff_id: int) -> None:
    """Lock the account of the staff member writing until the request's transaction ends, before
    anything else: Django logs the write under it (a row pointing to the account, checked as it
    commits), and a delete of the account begun meanwhile went through first, so the log failed
    (a server error page), or, as a deactivation or delete locks the account then its orgs, held
    it while waiting for an org's row this held: a deadlock. FOR KEY SHARE, as the log's check
    takes: those two wait for it, but staff saving the account itself meanwhile do not, who would
    otherwise deadlock with its owner deactivating them (each holding their own). SQLite writes
    one transaction at a time."""
    rows_key_share_lock(User.objects.filter(pk=staff_id))


class StaffAccountLockingAdminSite(admin.AdminSite):
    """Every page of the admin (each model's, a password's, the site's own) comes through
    admin_view: a write there (a save, a delete, an action on the list) runs in one transaction
    that locks the staff member's account first (staff_account_lock). Django's own transactions
    of a page are then part of it."""

    def admin_view(self, view: View, cacheable: bool = False) -> View:
        def staff_account_locked_first(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if request.method in ("GET", "HEAD", "OPTIONS"):
                return view(request, *args, **kwargs)
            with transaction.atomic():
                staff_account_lock(request.user.pk)
                return view(request, *args, **kwargs)

        # Django's checks (staff only, CSRF unless the view is exempt) come first.
        return super().admin_view(update_wrapper(staff_account_locked_first, view), cacheable)
