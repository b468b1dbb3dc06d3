"""Who may manage an organization: its admins, and superusers."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from jobs.models import Membership, Organization


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


def admin_organization_or_404(request: HttpRequest, slug: str) -> Organization:
    """The org named by `slug` if the signed-in user administers it.

    Anyone else gets the same 404 as for an org that does not exist, so the admin pages do not
    reveal which organizations exist. Views put `login_required` in front of this, so anonymous
    users are sent to sign in instead.
    """
    organization = organizations_administered(request.user).filter(slug=slug).first()
    if organization is None:
        raise Http404("No such organization.")
    return organization
