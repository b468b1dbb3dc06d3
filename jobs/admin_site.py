"""Django's admin site, with every write of a staff member made under a lock of their account."""

from collections.abc import Callable, Collection
from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from jobs.models import rows_key_share_lock

View = Callable[..., HttpResponse]


def staff_account_lock(staff_id: int, *, accounts_ended: Collection[int] = ()) -> None:
    """Lock the account of the staff member writing until the request's transaction ends, before
    anything else: Django logs the write under it (a row pointing to the account, checked as it
    commits), and a delete of the account begun meanwhile went through first, so the log failed
    (a server error page), or, as a deactivation or delete locks the account then its orgs, held
    it while waiting for an org's row this held: a deadlock. FOR KEY SHARE, as the log's check
    takes: those two wait for it, a write pointing to the account or of its fields does not.

    With it, in the order of their keys, the accounts the write may delete or deactivate
    (`accounts_ended`), FOR UPDATE as those take it: staff ending each other's accounts at once
    each held their own while waiting for the other's, a deadlock. SQLite writes one
    transaction at a time."""
    ended = User.objects.select_for_update().filter(pk__in=accounts_ended).order_by("pk")
    list(ended.filter(pk__lte=staff_id).values_list("pk"))
    rows_key_share_lock(User.objects.filter(pk=staff_id))  # already for update, if ended
    list(ended.filter(pk__gt=staff_id).values_list("pk"))


def staff_signed_in_now(request: HttpRequest) -> User | None:
    """The staff member the request's session signs in, their account read again once locked
    (None if it signs in no staff now): staff who ended each other's accounts at once wait one
    for the other, and the second's was deleted or deactivated meanwhile, or its password
    turned off (which signs it out), by the first. Its write, logged under a deleted account,
    failed as it committed (a server error page), or ended the first's account too. Read with
    their superuser status and permissions as they are now, too: the request's user was read
    before the wait."""
    user = get_user(request)
    return user if user.is_active and user.is_staff else None


def accounts_a_write_ends(view: View, request: HttpRequest, page: dict[str, Any]) -> list[int]:
    """The accounts a write on the page of `view` may delete or deactivate, as its ModelAdmin
    says (accounts_ended_by): none on most pages."""
    model_admin = getattr(view, "__self__", None)  # a ModelAdmin's views are its methods
    accounts_ended_by = getattr(model_admin, "accounts_ended_by", None)
    return accounts_ended_by(request, **page) if accounts_ended_by else []


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
                ended = accounts_a_write_ends(view, request, kwargs)
                staff_account_lock(request.user.pk, accounts_ended=ended)
                staff = staff_signed_in_now(request)
                if staff is None:
                    # As Django's admin_view answers staff who may not use it: nothing written.
                    login = reverse("admin:login", current_app=self.name)
                    return redirect_to_login(request.get_full_path(), login)
                # The page's checks read them as they are now: a superuser status taken
                # meanwhile leaves the permissions granted them, which may not allow the write
                # (Django's answer then, a 403 or a read-only field, as to staff without them).
                request.user = staff
                return view(request, *args, **kwargs)

        # Django's checks (staff only, CSRF unless the view is exempt) come first.
        return super().admin_view(update_wrapper(staff_account_locked_first, view), cacheable)
