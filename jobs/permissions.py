"""Who may manage an organization: its admins, and superusers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import decorators
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import MAX_URL_LENGTH

from jobs.models import Membership, Organization


class OrganizationElsewhere(Http404):
    """The slug differs from an org's only in case (/manage/ACME/ for "acme"): the page is at
    the org's own address (manage_views.answers_organization_gone). Its public page, at either
    spelling, says it exists, so leading there reveals nothing."""

    def __init__(self, organization: Organization) -> None:
        super().__init__("The organization's address is in other case.")
        self.organization = organization


def organizations_administered(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Organization]:
    """The organizations the user may manage (all of them for a superuser)."""
    if not user.is_authenticated:
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.ADMIN
    )


def organizations_joined_as_member(user: AbstractBaseUser) -> QuerySet[Organization]:
    """The organizations the user belongs to without managing them (the member role)."""
    return Organization.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.MEMBER
    )


class OrganizationGone(Http404):
    """The org was deleted: no org has the slug (most likely one deleted while a page of it
    was still open), or the one a request read was deleted since. Its public page
    (/orgs/<slug>/) is a 404 to anyone, so saying so reveals nothing."""


class NotAnAdmin(Http404):
    """The org is there, but the signed-in user is not one of its admins: a member, another
    org's admin, or an admin demoted or removed meanwhile (by another admin, with its pages
    still open). Every admin page says so, and whom to ask (manage_views.answers_organization_gone):
    a page as a 404, to its script a 403 in JSON. Every org has a public page, so saying it
    exists reveals nothing."""

    def __init__(self, organization: Organization) -> None:
        super().__init__("Not an admin of this organization.")
        self.organization = organization


def admin_organization_or_404(request: HttpRequest, slug: str) -> Organization:
    """The org named by `slug` if the signed-in user administers it.

    Anyone else gets a 404: a NotAnAdmin where an org has the slug. Where none has it, an
    OrganizationGone, which every admin page answers as "no longer exists"
    (manage_views.answers_organization_gone). Views put `login_required` in front of this, so
    anonymous users are sent to sign in instead.

    A slug that differs from an org's only in case (typed by hand: the site links none) names
    no org that was deleted: an OrganizationElsewhere, which every admin page answers with the
    same page at the org's own address.
    """
    organization = organizations_administered(request.user).filter(slug=slug).first()
    if organization is None:
        # One at most: slugs are unique in any case (migration jobs 0070).
        found = Organization.objects.filter(slug__in_any_case=slug).first()
        if found is None:
            raise OrganizationGone("No such organization.")
        if found.slug == slug:
            raise NotAnAdmin(found)
        raise OrganizationElsewhere(found)
    return organization


def organization_gone_check(organization: Organization) -> None:
    """OrganizationGone if `organization` was deleted since the request read it: for a change
    that found its row, or one of the org's, missing."""
    if not Organization.objects.filter(pk=organization.pk).exists():
        raise OrganizationGone("deleted meanwhile")


def login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Django's login_required, whose sign-in page is not given an address it will not come
    back to: one longer than MAX_URL_LENGTH, which sign-in takes for unsafe and replaces with
    its own page. Past 16,384 characters Django refused its own redirect to sign in (a 400,
    logged as an ERROR)."""
    sign_in_first = decorators.login_required(view)

    @wraps(view)
    def signed_in_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and len(request.get_full_path()) > MAX_URL_LENGTH:
            return redirect(settings.LOGIN_URL)
        return sign_in_first(request, *args, **kwargs)

    return signed_in_view
