"""Org admin pages and sign-up. Each view checks access, calls one service, and renders.

State changes are POSTs (CSRF-checked by Django's middleware) answered with a redirect, so a
reload never repeats them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import Model
from django.db.models.functions import Lower
from django.forms import Form, ModelForm
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import MAX_URL_LENGTH, url_has_allowed_host_and_scheme
from django.utils.log import log_response
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from jobs.cache import listing_cache_invalidate
from jobs.connections import (
    KEY_GONE_WITH_THE_CONNECTION,
    KEY_NOT_STORED_WITHOUT_A_CONNECTION,
    SCHEDULE_NOT_SAVED_WITHOUT_A_CONNECTION,
    ApiKeyChanged,
    Connected,
    ConnectionChanged,
    Disconnected,
    KeyShown,
    NotConnected,
    SyncInProgress,
    board_in_words,
    connection_api_key_set,
    connection_api_key_to_remove,
    connection_as_shown,
    connection_connect,
    connection_disconnect,
    connection_lock,
    connection_schedule_update,
    key_not_shown_in_words,
)
from jobs.email_change import (
    EmailChangeError,
    EmailChangeForAnotherAccount,
    email_change_confirm,
    email_change_of,
    email_change_request,
    email_respell,
    same_mailbox,
)
from jobs.forms import (
    AccountDeleteForm,
    ApiKeyForm,
    ConnectForm,
    ConnectionShownForm,
    EmailChangeForm,
    InvitationPickForm,
    JobSiteFieldsForm,
    MemberAddForm,
    MembershipPickForm,
    MembershipRoleForm,
    OrganizationCreateForm,
    OrganizationDeleteForm,
    OrganizationProfileForm,
    ScheduleForm,
    SignupForm,
    key_like_hidden,
)
from jobs.greenhouse import Board
from jobs.mail import address_shown
from jobs.memberships import (
    YOUR_MEMBERSHIP_GONE_MESSAGE,
    InvitationForAnotherAccount,
    MembershipError,
    MembershipGone,
    SlugTaken,
    TooManyOrganizations,
    account_delete,
    admin_needed_message,
    admins_who_can_sign_in,
    invitation_accept,
    invitation_cancel,
    invitation_links_of,
    invitation_of,
    invitation_waiting,
    invitations_that_can_bring_an_admin,
    is_staff_account,
    joined_membership,
    member_invite,
    membership_is_last_admin,
    membership_remove,
    membership_role_set,
    organization_create,
    organization_signup,
    organizations_only_administered_by,
)
from jobs.models import (
    ROLES_IN_WORDS,
    GreenhouseConnection,
    Job,
    Membership,
    Organization,
    by_organization_name,
    row_locked,
)
from jobs.organizations import organization_delete, organization_job_counts
from jobs.pagination import page_asked, page_links
from jobs.permissions import (
    NotAnAdmin,
    OrganizationElsewhere,
    OrganizationGone,
    admin_organization_or_404,
    login_required,
    organization_gone_check,
    organizations_administered,
    organizations_joined_as_member,
)
from jobs.scheduling import BrokerUnavailable, RefreshOutcome, request_refresh
from jobs.selectors import JobsForAdmins, with_department_paths
from jobs.status import run_result_text, sync_status, wait_end_text
from jobs.text import (
    ending_sentence,
    minutes_in_words,
    name_in_sentence,
    seconds_in_words,
)
from jobs.throttle import THROTTLED_CODE, client_ip
from jobs.views import with_query_string

logger = logging.getLogger(__name__)

JOBS_PER_PAGE = 100
# A superuser's index lists every org on the site, a page at a time.
ORGANIZATIONS_PER_PAGE = 100
HISTORY_LENGTH = 50
# A page with a form also answers HEAD, as a GET without its body (Django's own views and
# require_safe do): link checkers and monitors ask with HEAD, and a 405 reads as a broken link.
require_page_or_form = require_http_methods(["GET", "HEAD", "POST"])


def _log_refused(request: HttpRequest, what: str, form: Form) -> None:
    """Why a form was sent back, for whoever looks into "it would not save" (never its values)."""
    fields = {
        # A message may quote what was typed: a token's, an API key pasted there.
        name: [error["code"] or key_like_hidden(error["message"]) for error in errors]
        for name, errors in form.errors.get_json_data().items()
    }
    logger.info(
        "form refused %s path=%s user=%s errors=%s", what, request.path, request.user.pk, fields
    )


# --- Accounts -------------------------------------------------------------------------------


@sensitive_post_parameters("password1", "password2")
@require_page_or_form
# Not stored, as Django's sign-in page is: kept whole for Back (the back/forward cache) past a
# sign-in, which changes the CSRF token, it still said "Sign in" and its form was refused.
@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        if request.method != "HEAD":  # a link checker's: the next page would say it unasked
            messages.info(
                request,
                f"You are already signed in, as {address_shown(request.user.get_username())}. "
                "You can create another organization from here; to sign up with a new account, "
                "sign out first.",
            )
        return redirect("manage:index")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = organization_signup(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                organization_name=form.cleaned_data["organization_name"],
                organization_slug=form.cleaned_data["organization_slug"],
                ip=client_ip(request),
            )
        except TooManyOrganizations:
            return _too_many_organizations(request, form, "registration/signup.html")
        except SlugTaken as exc:
            form.add_error("organization_slug", exc.message)
            return render(request, "registration/signup.html", {"form": form})
        except MembershipError as exc:
            form.add_error(None, exc.message)
            return render(request, "registration/signup.html", {"form": form})
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        return _welcome(request, membership, "Welcome! ")
    if form.is_bound:
        _log_refused(request, "signup", form)
    return render(request, "registration/signup.html", {"form": form})


@sensitive_post_parameters("password")
@login_required
@require_page_or_form
def account_delete_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, request=request)
    if form.is_valid():
        user_pk = user.pk  # None once deleted
        try:
            account_delete(user=user)
        except MembershipError as exc:
            form.add_error(None, exc.message)
        else:
            logger.warning("account deleted user=%s", user_pk)
            logout(request)
            messages.success(request, "Your account was deleted.")
            return redirect("jobs:home")
    if form.is_bound:
        _log_refused(request, "account_delete", form)
    return render(
        request,
        "registration/account_delete.html",
        {
            "form": form,
            "deleted_elsewhere": is_staff_account(user),
            "sole_admin_of": organizations_only_administered_by(user),
        },
        status=429 if form.has_error("password", THROTTLED_CODE) else 200,
    )


def _address(address: str) -> str:
    """An address or username in a message, as the address change emails name them: shown as
    people read it, isolated where written right to left (a message is text, no element)."""
    return name_in_sentence(address_shown(address))


@sensitive_post_parameters("password")
@login_required
@require_page_or_form
def email_change_page(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST if request.method == "POST" else None, request=request)
    if form.is_valid():
        new_email = form.cleaned_data["email"]
        if same_mailbox(new_email, request.user.email):
            try:
                email_respell(user=request.user, new_email=new_email)
            except EmailChangeError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Your email address is now {_address(new_email)}.")
                return redirect("email_change")
        elif email_change_request(user=request.user, new_email=new_email, ip=client_ip(request)):
            messages.success(
                request,
                f"A link was sent to {_address(new_email)}. Open it within "
                f"{seconds_in_words(settings.PASSWORD_RESET_TIMEOUT)}, signed in as "
                f"{_address(request.user.get_username())}, to make it your address; until "
                "then your address stays as it is.",
            )
            return redirect("email_change")
        else:
            form.add_error(
                None, "The email could not be sent. Nothing changed; try again in a while."
            )
    if form.is_bound:
        _log_refused(request, "email_change", form)
    return render(
        request,
        "registration/email_change_form.html",
        {"form": form},
        status=429 if form.has_error("password", THROTTLED_CODE) else 200,
    )


@login_required
@require_page_or_form
def email_change_confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to the new address: the change takes a click, never just a visit (a mail
    scanner opening links must not make it)."""
    try:
        if request.method == "POST":
            new_email = email_change_confirm(token=token, user=request.user)
            messages.success(request, f"Your email address is now {_address(new_email)}.")
            return redirect("email_change")
        new_email = email_change_of(token, user=request.user)
    except EmailChangeError as exc:
        return _link_refused(
            request,
            "registration/email_change_confirm.html",
            exc.message,
            for_another_account=isinstance(exc, EmailChangeForAnotherAccount),
        )
    return render(request, "registration/email_change_confirm.html", {"new_email": new_email})


def _link_refused(
    request: HttpRequest, template: str, message: str, *, for_another_account: bool
) -> HttpResponse:
    """An emailed link that cannot be used, 410. Opened signed in with another account than the
    one it was sent to, the page's Sign out leads back to the link, to sign in with that one."""
    context = {"error": message, "sign_out_next": request.path if for_another_account else ""}
    return render(request, template, context, status=410)


def _too_many_organizations(request: HttpRequest, form: Form, template: str) -> HttpResponse:
    """The form again, refused with 429. New orgs are counted per client address, signed in or
    not: the site must not fill with orgs."""
    logger.warning("organization creation refused: too many from ip=%s", client_ip(request))
    form.add_error(
        None,
        "Too many organizations were created from your network today. Try again tomorrow"
        + ("." if request.user.is_authenticated else ", or ask an admin of one to invite you."),
    )
    return render(request, template, {"form": form}, status=429)


def _welcome(request: HttpRequest, membership: Membership, greeting: str) -> HttpResponse:
    messages.success(
        request,
        f"{greeting}You are the admin of "
        f"{ending_sentence(name_in_sentence(membership.organization.name))} "
        "Connect its Greenhouse job board to import its jobs.",
    )
    return redirect("manage:settings", slug=membership.organization.slug)


# --- Organizations ----------------------------------------------------------------------------


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    organizations = organizations_administered(request.user)
    page = page_asked(
        organizations.select_related("greenhouse").order_by(*by_organization_name()),
        per_page=ORGANIZATIONS_PER_PAGE,
        asked=request.GET.get("page"),
    )
    # A member (not admin) is told where they belong, rather than only that they manage nothing.
    joined = organizations_joined_as_member(request.user).exclude(pk__in=organizations)
    context = {
        "page": page,
        **page_links(request, page),
        "joined_as_member": joined.order_by(*by_organization_name()),
        # Someone invited who set their password first lands here, not on the join link.
        "invitation_links": invitation_links_of(request.user),
    }
    return render(request, "manage/index.html", context)


@login_required
@require_page_or_form
def organization_new(request: HttpRequest) -> HttpResponse:
    form = OrganizationCreateForm(
        request.POST if request.method == "POST" else None, creator=request.user
    )
    if form.is_valid():
        try:
            membership = organization_create(
                name=form.cleaned_data["organization_name"],
                slug=form.cleaned_data["organization_slug"],
                admin=request.user,
                ip=client_ip(request),
            )
        except TooManyOrganizations:
            return _too_many_organizations(request, form, "manage/new.html")
        except SlugTaken as exc:
            form.add_error("organization_slug", exc.message)
            return render(request, "manage/new.html", {"form": form})
        logger.info(
            "organization created org=%s user=%s", membership.organization.slug, request.user.pk
        )
        return _welcome(request, membership, "")
    if form.is_bound:
        _log_refused(request, "organization_new", form)
    return render(request, "manage/new.html", {"form": form})


ORGANIZATION_GONE = "This organization no longer exists: it was deleted, perhaps in another tab."


def _your_organizations_link() -> dict[str, str]:
    """Where the script's words send an admin whose org went, or their role in it: as the
    pages of both lead (manage/organization_gone.html, manage/not_an_admin.html)."""
    return {"url": reverse("manage:index"), "text": "Go to your organizations"}


def _organization_gone(request: HttpRequest) -> HttpResponse:
    """A 404 that says the org no longer exists, leading to the orgs that are left: in JSON to
    the script (Refresh now, the live status), which shows the message and the link (it showed
    the message alone, the box left with nowhere to go but a reload, itself a 404); otherwise
    a page."""
    logger.info("organization gone path=%s user=%s", request.path, request.user.pk)
    if _wants_json(request):
        return _refused_to_the_script(
            request,
            {
                "error": "organization_gone",
                "message": ORGANIZATION_GONE,
                "link": _your_organizations_link(),
            },
            status=404,
        )
    return render(
        request, "manage/organization_gone.html", {"gone_text": ORGANIZATION_GONE}, status=404
    )


def _not_an_admin(request: HttpRequest, organization: Organization) -> HttpResponse:
    """That the user is not the org's admin, and whom to ask, with a link to their orgs: to the
    script (Refresh now, the live status) a 403 in JSON, which it shows with the link; otherwise
    a page, a 404 as an org's admin pages are to who may not manage it. Such a page was the
    plain "We couldn't find that page … may have been removed", to a member and to an admin
    demoted or removed with the org's pages open alike."""
    logger.info(
        "not an admin path=%s user=%s org=%s", request.path, request.user.pk, organization.slug
    )
    # Plain text around the name, as the messages the pages show (base.html).
    name = name_in_sentence(organization.name)
    is_member = organizations_joined_as_member(request.user).filter(pk=organization.pk).exists()
    if is_member and not admins_who_can_sign_in(organization.pk).exists():
        # Its only admin never set a password, or a superuser invited members before an admin
        # (manage/members.html): there is nobody to ask yet.
        text = (
            f"You are a member of {name}, not one of its admins, and it has no admin who can "
            "sign in yet: once it has one, ask them to make you an admin."
        )
    elif is_member:
        text = (
            f"You are a member of {name}, not one of its admins: only they manage it. Ask one "
            "of them to make you an admin."
        )
    else:
        text = (
            f"You are not an admin of {name}: only its admins manage it. Ask one of them to "
            "invite you as an admin."
        )
    if _wants_json(request):
        return _refused_to_the_script(
            request,
            {
                "error": "not_admin",
                "message": text,
                "link": _your_organizations_link(),
            },
            status=403,
        )
    return render(
        request,
        "manage/not_an_admin.html",
        {"organization": organization, "not_an_admin_text": text},
        status=404,
    )


def answers_organization_gone(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For every page and form under /manage/<slug>/: an org deleted meanwhile (in another tab,
    or by another admin), found so by admin_organization_or_404 or by a change that found its
    row gone (OrganizationGone), is said to be gone, the same way everywhere. Without it a page
    was a plain 404, and some forms led to a page of the org, which was one. An org that is
    there, of which the user is no admin (NotAnAdmin), is said to be so, and whom to ask."""

    @wraps(view)
    def view_of_an_org(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except OrganizationGone:
            return _organization_gone(request)
        except NotAnAdmin as refusal:
            return _not_an_admin(request, refusal.organization)
        except OrganizationElsewhere as elsewhere:
            return _at_organization_address(request, elsewhere.organization)

    return view_of_an_org


def _at_organization_address(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The page asked for at the org's own address, /manage/acme/settings/ for a hand-typed
    /manage/ACME/settings/ (a 404 before): for good (301) as the org's public pages are
    (jobs.views.slug_in_lowercase). Any other method than GET and HEAD is a 308, which a
    browser and the script's fetch() send again there with its form: a 301 or 302 would turn
    it into a GET and drop what was typed, and a 404 dropped it with no word of why. Sent
    again, it meets the checks of any other (CSRF, admin, the form's own)."""
    match = request.resolver_match
    url = reverse(match.view_name, kwargs={**match.kwargs, "slug": organization.slug})
    return HttpResponsePermanentRedirect(
        with_query_string(request, url), preserve_request=request.method not in ("GET", "HEAD")
    )


def _connection_of(organization: Organization) -> GreenhouseConnection | None:
    return GreenhouseConnection.objects.filter(organization=organization).first()


def _org_page(
    request: HttpRequest, template: str, organization: Organization, **context: object
) -> HttpResponse:
    """Render an org admin page with what every one of them shows: the org and its sync status."""
    return render(
        request,
        template,
        {"organization": organization, "status": sync_status(organization=organization), **context},
    )


# --- Settings: connect, schedule, API key, public page, disconnect --------------------------


@sensitive_post_parameters("api_key", "key-api_key")  # kept out of error reports
@login_required
@require_page_or_form
@answers_organization_gone
def organization_settings(request: HttpRequest, slug: str) -> HttpResponse:
    organization = admin_organization_or_404(request, slug)
    connection = _connection_of(organization)
    page_forms: dict[str, Form | None] = {
        "connect": ConnectForm(
            organization=organization, has_api_key=bool(connection and connection.has_api_key)
        ),
        "schedule": ScheduleForm(connection=connection) if connection else None,
        "api_key": ApiKeyForm(),
        "profile": OrganizationProfileForm(instance=organization),
    }
    if request.method == "POST":
        action = request.POST.get("action", "")
        handler = SETTINGS_ACTIONS.get(action)
        if handler is None:
            messages.error(request, "That change could not be made; the page was out of date.")
            return redirect("manage:settings", slug=slug)
        try:
            if action not in ACTIONS_WITHOUT_CONNECTION:
                # Another tab or admin may have disconnected it, or connected another board,
                # since the page was read.
                shown = ConnectionShownForm(request.POST).shown()
                connection = connection_as_shown(connection=connection, shown=shown)
            outcome = handler(request, organization, connection)
        # Changed since the page was read, or as this runs: the connection, or the key stored.
        except (NotConnected, ConnectionChanged, ApiKeyChanged) as exc:
            organization_gone_check(organization)  # or deleted it, with its connection
            messages.error(request, _refusal_text(exc, action=action))
            return redirect("manage:settings", slug=slug)
        if isinstance(outcome, HttpResponse):
            return outcome
        _log_refused(request, action, outcome)
        page_forms[action] = outcome  # show it again with its errors
    return _org_page(
        request,
        "manage/settings.html",
        _row_shown(page_forms["profile"]),  # its name heads the page
        connection=connection,
        forms=page_forms,
        shown=ConnectionShownForm.of(connection),
    )


# What a change refused as the org was disconnected meanwhile says, by its action: what became of
# it and what to do. "So the change was not saved" said neither that a board must be connected
# first, nor, of a key's removal (asked, or confirmed), that the disconnect deleted the key.
DISCONNECTED_MEANWHILE_TEXTS = {
    "api_key": KEY_NOT_STORED_WITHOUT_A_CONNECTION,
    "api_key_remove": KEY_GONE_WITH_THE_CONNECTION,
    "schedule": SCHEDULE_NOT_SAVED_WITHOUT_A_CONNECTION,
}


def _refusal_text(refusal: NotConnected | ConnectionChanged | ApiKeyChanged, *, action: str) -> str:
    """What a settings change refused as the page was out of date says: its own words, but of a
    disconnect meanwhile, what it did to this change."""
    if isinstance(refusal, NotConnected) and refusal.meanwhile:
        return DISCONNECTED_MEANWHILE_TEXTS.get(action, refusal.message)
    return refusal.message


def _queued_sync_text(connected: Connected) -> str:
    # Not "its first sync": the board may be the one connected before, synced already.
    sync = connected.sync
    if sync is RefreshOutcome.QUEUED:
        return "A sync is queued; its jobs appear in a moment."
    if sync is None:
        return (
            "The job queue is not reachable right now, so it will sync on the schedule once "
            "the queue is back."
        )
    # Cooled down or already queued: connecting made it due, so the dispatcher takes it, once
    # a wait Greenhouse asked for, which the same board connected again keeps, has passed.
    due_at = connected.connection.next_sync_at
    if due_at > timezone.now():
        return (
            f"Greenhouse asked this site to wait until {wait_end_text(due_at)} before asking "
            "again: it syncs then."
        )
    return "It syncs within a minute."


# Said where syncing, paused until then, is turned on again: a schedule saved or a board connected.
RESUMED_TEXT = "Syncing was paused and is on again. "


def _connect(
    request: HttpRequest, organization: Organization, connection: GreenhouseConnection | None
) -> HttpResponse | Form:
    form = ConnectForm(
        request.POST,
        organization=organization,
        has_api_key=bool(connection and connection.has_api_key),
    )
    if not form.is_valid():
        return form
    board = form.board
    try:
        connected = connection_connect(
            organization=organization, board=board, api_key=form.cleaned_data["api_key"]
        )
    except SyncInProgress as exc:
        form.add_error(None, exc.message)
        return form
    except Organization.DoesNotExist:
        raise OrganizationGone("deleted by another admin meanwhile") from None
    messages.success(
        request,
        _connected_text(request, connected, board=board)
        + _key_lost_text(request, connected)
        + (RESUMED_TEXT if connected.resumed else "")
        + _queued_sync_text(connected),
    )
    return redirect("manage:settings", slug=organization.slug)


def _connected_text(request: HttpRequest, connected: Connected, *, board: Board) -> str:
    """The board connected, and what connecting changed that the page did not show, each board
    named once: the board it replaced, where the page showed another or none, and the key it
    kept, where the key's box was left empty and the board connected kept that board's key,
    which the page did not show (it showed another, or none). Another tab or admin connected
    that board, or stored that key, since. The board is replaced all the same, as it is what
    was asked for; said, as its open jobs are closed at the first sync and nothing warned of
    it. The key is kept, as the box left empty keeps the key stored (a key is the org's, across
    its boards); said, as the page never showed it. That board had it, not "it was stored with
    that board connected": it may have been stored with the board the page showed, then kept by
    that one."""
    replaced = _replaced_not_shown(request, connected)
    key_shown = _key_kept_not_shown(request, connected)
    text = f"Connected to the Greenhouse board {board_in_words(board)}"
    if replaced is not None:
        kept = ", and the API key it had is kept for this board" if key_shown else ""
        text += (
            f" in place of {board_in_words(replaced)}, which another tab or admin connected "
            "meanwhile: its jobs that this board does not list are closed when this board first "
            f"syncs{kept}"
        )
    text += ". "
    if key_shown is not None:
        text += f"{key_not_shown_in_words(connected.connection, shown=key_shown)}. "
        if replaced is None:  # else named, with its key kept, by the sentence before
            text += (
                f"The board {board_in_words(connected.key_kept_from)}, connected until now, had "
                "it, and it is kept for this board. "
            )
        text += "Replace or remove it below if it is not this board's. "
    return text


def _replaced_not_shown(request: HttpRequest, connected: Connected) -> Board | None:
    """The board connected until then, if the page did not show it (None for a form sent by a
    script, which says nothing of what a page showed)."""
    replaced = connected.replaced
    sent = ConnectionShownForm(request.POST)
    if replaced is None or sent.add_prefix("board_token") not in sent.data:
        return None
    shown = sent.shown()
    if shown is not None and shown.board_token == replaced.token:
        return None
    return replaced


def _key_kept_not_shown(request: HttpRequest, connected: Connected) -> KeyShown | None:
    """The key the page showed, if the board connected kept another board's key that is not
    that one."""
    if connected.key_kept_from is None:
        return None
    shown = ConnectionShownForm(request.POST).key_shown()
    if shown is None or shown.is_stored_on(connected.connection):
        return None
    return shown


def _key_lost_text(request: HttpRequest, connected: Connected) -> str:
    """Said where the key's box was left empty, as the page said, to keep the key stored then,
    but none is stored now: another tab or admin disconnected the org since (which deletes its
    key), or removed the key. Connected all the same: the board is what was asked for, and jobs
    show without a key, where refusing would have the token typed again for the same result. A
    key sent is stored (the form takes no empty one), so only the stored key is read."""
    if connected.connection.has_api_key:
        return ""
    if not ConnectionShownForm(request.POST).showed_a_key():
        return ""
    return (
        "The API key this page showed was deleted meanwhile, in another tab or by another admin "
        "(removed, or with a disconnect): no key is stored now. Store it again below. "
    )


def _nothing_changed(request: HttpRequest, now: str) -> None:
    """Said for a form sent as it was shown, which saves nothing: `now` says what stays."""
    messages.info(request, f"Nothing changed: {now}.")


def _schedule(
    request: HttpRequest, organization: Organization, connection: GreenhouseConnection
) -> HttpResponse | Form:
    with transaction.atomic():
        # Read again under its lock, which connection_schedule_update takes again: the form
        # compares what the page showed with the schedule as it is now (as row_locked).
        form = ScheduleForm(request.POST, connection=connection_lock(connection))
        if not form.is_valid():
            return form
        interval, paused = form.changes()
        saved = connection_schedule_update(
            connection=connection, sync_interval_minutes=interval, paused=paused
        )
    interval_text = minutes_in_words(saved.sync_interval_minutes)
    if not saved.changed:
        _nothing_changed(
            request, "syncing is paused" if saved.paused else f"jobs sync every {interval_text}"
        )
    elif saved.paused:
        # With the interval: one changed while paused was saved, which the pause alone hid.
        messages.success(
            request,
            "Syncing is paused. Jobs stay as they are until you resume; then they sync every "
            f"{interval_text}.",
        )
    else:
        messages.success(
            request,
            (RESUMED_TEXT if saved.resumed else "") + f"Jobs now sync every {interval_text}.",
        )
    return redirect("manage:settings", slug=organization.slug)


def _api_key(
    request: HttpRequest, organization: Organization, connection: GreenhouseConnection
) -> HttpResponse | Form:
    form = ApiKeyForm(request.POST, has_api_key=connection.has_api_key)
    if not form.is_valid():
        return form
    replaced = connection_api_key_set(
        connection=connection,
        api_key=form.cleaned_data["api_key"],
        shown_key=ConnectionShownForm(request.POST).key_shown(),
    )
    done = "replaced" if replaced else "stored"  # the button said "Store key"
    messages.success(request, f"API key {done}; it ends in {connection.api_key_last5}.")
    return redirect("manage:settings", slug=organization.slug)


def _api_key_remove(
    request: HttpRequest, organization: Organization, connection: GreenhouseConnection
) -> HttpResponse:
    shown = ConnectionShownForm(request.POST)
    confirmed = bool(request.POST.get("confirmed"))
    if not confirmed:
        # Asked first, as removing a member is: the key is never shown again, so only whoever
        # has it from Greenhouse can store it again. A key stored since the page was read is
        # refused now, not after a page asking to remove it.
        now = connection_api_key_to_remove(connection=connection, shown_key=shown.key_shown())
        if now.has_api_key:
            return _api_key_remove_asked(request, organization, now)
    if confirmed and connection_api_key_set(
        connection=connection, api_key="", shown_key=shown.key_shown()
    ):
        messages.success(request, "API key removed.")
    else:  # in another tab or by another admin, if the page showed one
        meanwhile = "; it was removed meanwhile" if shown.showed_a_key() else ""
        _nothing_changed(request, f"no API key is stored{meanwhile}")
    return redirect("manage:settings", slug=organization.slug)


def _api_key_remove_asked(
    request: HttpRequest, organization: Organization, connection: GreenhouseConnection
) -> HttpResponse:
    """The page asking whether to remove the key `connection` has, as read under its lock
    (connection_api_key_to_remove): its "Remove the key" sends that key, which is the one the
    settings page showed, that page's board and key checked against it then (or the key this
    page names, sent by a script): a key stored after either page was read is not removed."""
    return _org_page(
        request,
        "manage/api_key_remove.html",
        organization,
        connection=connection,
        shown=ConnectionShownForm.of(connection),
    )


RowForm = TypeVar("RowForm", bound=ModelForm)


def _form_saved_on_locked_row(
    form_class: type[RowForm], data: QueryDict | None, *, row: Model
) -> RowForm | None:
    """`form_class` bound to `data` and saved if valid, checked and saved under `row`'s lock
    (row_locked): None, saving nothing, if the row was deleted since the request read it (by
    another request, which the lock waits for). Its instance is the row as locked, read again
    for this form alone, and as saved: a page showing a refused form shows the row from it, not
    `row` (as the request read it, before another request's change) nor the values refused."""
    try:
        with transaction.atomic():
            locked = row_locked(row)
            if locked is None:
                raise type(row).DoesNotExist("deleted since the request read it")
            form = form_class(data, instance=locked)
            if form.is_valid():
                form.save()  # only what changed (nothing, if nothing did); finds the row gone too
            else:
                _refused_values_taken_back(form)
    except type(row).DoesNotExist:
        return None
    return form


def _refused_values_taken_back(form: ModelForm) -> None:
    """Put the values of a refused form's fields back in its instance as they were read (its
    initial): Django writes the values sent into it as it cleans them (construct_instance)."""
    for field in form.instance._meta.concrete_fields:
        if field.name in form.fields and field.name in form.initial:
            setattr(form.instance, field.attname, form.initial[field.name])


def _row_shown(form: ModelForm) -> Model:
    """The row a page shows with `form`: as saved now, read again under its lock for a form
    sent and refused (_form_saved_on_locked_row), not as the request first read it, before
    another request changed it; the row it was made with, for a form not sent."""
    return form.instance


def _profile(
    request: HttpRequest, organization: Organization, connection: GreenhouseConnection | None
) -> HttpResponse | Form:
    form = _form_saved_on_locked_row(OrganizationProfileForm, request.POST, row=organization)
    if form is None:
        raise OrganizationGone("deleted by another admin meanwhile")
    if not form.is_valid():
        return form
    if not form.has_changed():
        _nothing_changed(request, "your public page stays as it is")
        return redirect("manage:settings", slug=organization.slug)
    organization.mark_listing_changed()  # its name and description are in its feed
    listing_cache_invalidate(organization=organization)  # its name is on site-wide pages
    logger.info(
        "organization profile changed org=%s user=%s fields=%s",
        organization.slug,
        request.user.pk,
        form.changed_data,
    )
    messages.success(request, "Your public page is saved.")
    return redirect("manage:settings", slug=organization.slug)


SETTINGS_ACTIONS = {
    "connect": _connect,
    "schedule": _schedule,
    "api_key": _api_key,
    "api_key_remove": _api_key_remove,
    "profile": _profile,
}
ACTIONS_WITHOUT_CONNECTION = {"connect", "profile"}


@login_required
@require_page_or_form
@answers_organization_gone
def disconnect(request: HttpRequest, slug: str) -> HttpResponse:
    organization = admin_organization_or_404(request, slug)
    connection = _connection_of(organization)
    if connection is None:
        if request.method != "HEAD":  # a link checker's: the next page would say it unasked
            messages.info(request, "This organization is not connected to Greenhouse.")
        return redirect("manage:settings", slug=slug)
    if request.method != "POST":  # HEAD too: it asks for the page, never for the disconnect
        open_jobs = organization.jobs.filter(is_open=True)
        closing = Disconnected(closed=open_jobs.count(), listed=open_jobs.listed().count())
        return _org_page(
            request,
            "manage/disconnect.html",
            organization,
            connection=connection,
            open_jobs=closing.closed,
            closing_text=_closing_text(closing, done=False),
            shown=ConnectionShownForm.of(connection),
        )
    try:
        # Another tab or admin may have connected another board since the page was read.
        shown = ConnectionShownForm(request.POST).shown()
        disconnected = connection_disconnect(connection=connection, shown=shown)
    except (SyncInProgress, ConnectionChanged) as exc:
        messages.error(request, exc.message)
        return redirect("manage:settings", slug=slug)
    if disconnected is None:  # by a second click, another admin or the org's delete, meanwhile
        organization_gone_check(organization)
        messages.info(request, "This organization was already disconnected from Greenhouse.")
        return redirect("manage:settings", slug=slug)
    messages.success(
        request,
        "Disconnected from Greenhouse. The jobs were kept: "
        f"{_closing_text(disconnected, done=True)}",
    )
    return redirect("manage:settings", slug=slug)


def _closing_text(closing: Disconnected, *, done: bool) -> str:
    """The open jobs a disconnect closes, or closed; only those listed were seen by visitors, so
    only those does it take from them (a hidden job, or one past its deadline, was not)."""
    closed, listed = closing.closed, closing.listed
    if closed == 0:
        return "none was open." if done else "None is open now."
    it, jobs = ("it", "job") if closed == 1 else ("them", "jobs")
    if done:
        text = f"{closed} open {jobs} {'was' if closed == 1 else 'were'} closed"
    else:
        text = f"The {closed} open {jobs} will be closed"
    if listed == closed:
        return f"{text}, so visitors no longer see {it}."
    if listed:
        seen = "saw" if done else "see now"
        return f"{text}, so visitors no longer see the {listed} they {seen}."
    if done:
        why = "it was hidden or past its" if closed == 1 else "they were hidden or past their"
        return f"{text}; visitors did not see {it}, as {why} application deadline."
    why = "it is hidden or past its" if closed == 1 else "they are hidden or past their"
    return f"{text}; visitors do not see {it} now, as {why} application deadline."


@login_required
@require_page_or_form
@answers_organization_gone
def delete(request: HttpRequest, slug: str) -> HttpResponse:
    organization = admin_organization_or_404(request, slug)
    form = OrganizationDeleteForm(
        request.POST if request.method == "POST" else None, organization=organization
    )
    if form.is_valid():
        name = name_in_sentence(organization.name)
        try:
            deleted_jobs = organization_delete(organization=organization)
        except SyncInProgress as exc:
            form.add_error(None, exc.message)
        else:
            jobs_text = (
                f" and its {deleted_jobs} job{pluralize(deleted_jobs)} were"
                if deleted_jobs
                else " was"
            )
            messages.success(request, f"{name}{jobs_text} deleted.")
            return redirect("manage:index")
    if form.is_bound:
        _log_refused(request, "delete", form)
    return _org_page(
        request,
        "manage/delete.html",
        organization,
        form=form,
        jobs=organization_job_counts(organization),
        has_sync_history=organization.sync_runs.exists(),
    )


# --- Jobs -------------------------------------------------------------------------------------


@login_required
@require_safe
@answers_organization_gone
def job_list(request: HttpRequest, slug: str) -> HttpResponse:
    organization = admin_organization_or_404(request, slug)
    jobs = JobsForAdmins(organization)  # open first, as the page says
    page = page_asked(jobs, per_page=JOBS_PER_PAGE, asked=request.GET.get("page"))
    with_department_paths(page)  # as the public pages name them
    return _org_page(
        request, "manage/jobs.html", organization, page=page, **page_links(request, page)
    )


# A page of the jobs list after the first (a list of 10,000 jobs has 100).
LATER_PAGE_RE = re.compile(r"[2-9]|[1-9][0-9]{1,5}")


@login_required
@require_page_or_form
@answers_organization_gone
def job_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organization = admin_organization_or_404(request, slug)
    job = get_object_or_404(Job, pk=pk, organization=organization)
    # Back to the page of the list the job was opened from, not to the first.
    list_url = reverse("manage:jobs", args=[slug])
    if LATER_PAGE_RE.fullmatch(request.GET.get("page", "")):
        list_url += f"?page={request.GET['page']}"
    form = JobSiteFieldsForm(instance=job)
    if request.method == "POST":
        form = _job_save(request.POST or None, job=job, organization=organization)
    if form.is_valid():
        if not form.has_changed():
            _nothing_changed(request, f"“{job.title}” stays as it is")
            return redirect(list_url)
        organization.mark_listing_changed()
        listing_cache_invalidate(organization=organization)
        messages.success(request, f"Saved “{job.title}”.")
        return redirect(list_url)
    if form.is_bound:
        _log_refused(request, "job edit", form)
    return render(
        request,
        "manage/job_edit.html",
        {"organization": organization, "job": _row_shown(form), "form": form, "list_url": list_url},
    )


def _job_save(data: QueryDict | None, *, job: Job, organization: Organization) -> JobSiteFieldsForm:
    """The job's form as sent, saved if valid (_form_saved_on_locked_row): the page shown again
    with a refused form must say whether the job is hidden as it is saved (its instance's)."""
    form = _form_saved_on_locked_row(JobSiteFieldsForm, data, row=job)
    if form is None:
        # A job deleted since the request read it (with its org) is not found, not said to
        # stay as it is, nor to have been changed meanwhile.
        organization_gone_check(organization)
        raise Http404("deleted meanwhile")
    return form


# --- Refresh now and status -------------------------------------------------------------------

REFRESH_MESSAGES = {
    RefreshOutcome.QUEUED: (messages.SUCCESS, "Sync queued. Its progress shows below."),
    RefreshOutcome.ALREADY_QUEUED: (
        messages.INFO,
        "A sync is already queued; it starts as soon as a worker is free. "
        "No second one was queued.",
    ),
    RefreshOutcome.ALREADY_RUNNING: (
        messages.INFO,
        "A sync is running right now; its result shows below when it finishes.",
    ),
    RefreshOutcome.DISCONNECTED: (
        messages.ERROR,
        "This organization was just disconnected from Greenhouse, so nothing was queued.",
    ),
}


def _refresh(organization: Organization) -> tuple[int, str]:
    """Ask for a sync; returns a message level and what to tell the admin. An org deleted since
    the request read it (OrganizationGone) is not said to be disconnected, as by other forms."""
    connection = _connection_of(organization)
    if connection is None:
        organization_gone_check(organization)
        return messages.ERROR, "Connect a Greenhouse board first."
    if not connection.enabled:
        # A paused connection's task would skip the sync and leave it looking queued.
        return messages.WARNING, "Syncing is paused. Resume it in the settings to refresh."
    try:
        outcome = request_refresh(connection)
    except BrokerUnavailable as exc:
        return messages.ERROR, exc.message
    if outcome is RefreshOutcome.DISCONNECTED:
        organization_gone_check(organization)
    if outcome is RefreshOutcome.COOLDOWN:
        seconds = settings.SYNC_REFRESH_COOLDOWN_SECONDS
        return messages.INFO, (
            f"Greenhouse was asked less than {seconds} seconds ago; try again in a moment."
        )
    if outcome is RefreshOutcome.GREENHOUSE_WAIT:
        wait_until = wait_end_text(connection.greenhouse_wait_until)
        return messages.INFO, (
            f"Greenhouse asked this site to wait until {wait_until} before asking again, so no "
            "sync was queued. Refresh now works again after that."
        )
    return REFRESH_MESSAGES[outcome]


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


SIGNED_OUT = (
    "You are signed out (in another tab, or after a while away): sign in again to see the "
    "status and refresh it."
)


def _signed_out(request: HttpRequest, page: str) -> JsonResponse:
    """To the script (Refresh now, the live status) of a page whose session ended: a 401 in
    JSON, which it shows with a link to sign in again and come back to `page`. The sign-in
    page it was sent to is no JSON, so it said "Lost contact with the site", or "could not be
    sent", as if the site were down."""
    return _refused_to_the_script(
        request,
        {
            "error": "signed_out",
            "message": SIGNED_OUT,
            "link": {"url": redirect_to_login(page)["Location"], "text": "Sign in again"},
        },
        status=401,
    )


def _refused_to_the_script(
    request: HttpRequest, answer: dict[str, Any], *, status: int
) -> JsonResponse:
    """Why the site refused the script (Refresh now, the live status), in JSON: `answer` names
    it in "error", which tells the site's answer from a proxy's (SITE_ERRORS in sync-status.js),
    and says it in "message", with a "link" to go on if it has one."""
    response = JsonResponse({**answer, "level": "error"}, status=status)
    # Django's line for it ("Unauthorized: /manage/acme/status.json", "Not Found: …",
    # "Forbidden: …") at INFO, where it writes each 4xx at WARNING: a session that ended, an
    # org deleted or an admin demoted meanwhile is someone's doing, no fault, and each open tab
    # whose script asks met it, a warning per tab for an operator to look into and find
    # nothing. Marked as logged, so Django does not write it again.
    log_response(
        "%s: %s",
        response.reason_phrase,
        request.path,
        response=response,
        request=request,
        level="info",
    )
    return response


def _page_of_script(request: HttpRequest, slug: str) -> str:
    """The org's admin page whose script asked (the Referer a browser sends with fetch), its
    query string kept (the jobs list's ?page=3: signed in again, not its first page), else its
    settings page. Its path alone if the query string makes it longer than MAX_URL_LENGTH: the
    sign-in page ignores such a next, and past 16,384 characters Django refused the redirect
    to sign in that the link is made of (a 400, logged as an ERROR, not the 401 in JSON)."""
    try:
        page = urlsplit(request.headers.get("Referer", ""))
    except ValueError:  # "http://[…": no address a browser sends, nor a page to go back to
        return reverse("manage:settings", args=[slug])
    if page.netloc == request.get_host() and _is_org_admin_page(page.path, slug):
        kept = urlunsplit(("", "", page.path, page.query, ""))
        return kept if len(kept) <= MAX_URL_LENGTH else page.path
    return reverse("manage:settings", args=[slug])


def _is_org_admin_page(path: str, slug: str) -> bool:
    """Whether `path` is the address of one of the org's pages under /manage/<slug>/ as it is
    written: one with dot segments ("/manage/acme/../../accounts/", "%2e%2e" too) starts so, but
    leads the browser elsewhere."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.namespace == "manage" and match.kwargs.get("slug") == slug


def signed_in_or_told(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """login_required, but the script of a page signed out meanwhile is told so (_signed_out)
    instead of being sent to the sign-in page."""
    page_view = login_required(view)

    @wraps(view)
    def view_signed_in(request: HttpRequest, slug: str) -> HttpResponse:
        if not request.user.is_authenticated and _wants_json(request):
            return _signed_out(request, _page_of_script(request, slug))
        return page_view(request, slug)

    return view_signed_in


def _page_of_button(request: HttpRequest, slug: str) -> str:
    """The admin page Refresh now was pressed on, if the form named one of this site's."""
    back = request.POST.get("next", "")
    # A path: redirect() takes a bare word for a view's name, and a browser reads a relative
    # address from the refresh address.
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return reverse("manage:jobs", args=[slug])


@require_page_or_form
@answers_organization_gone
def refresh(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method != "POST":
        # Its address opened (the back button, a bookmark): the settings page, which checks who
        # may see it, in place of a blank 405.
        return redirect("manage:settings", slug=slug)
    if not request.user.is_authenticated:
        # Signed out meanwhile (in another tab, or the session ended): this address takes only
        # POSTs, so signing in again leads back to the button's page, not to a blank 405.
        if _wants_json(request):
            return _signed_out(request, _page_of_button(request, slug))
        return redirect_to_login(_page_of_button(request, slug))
    organization = admin_organization_or_404(request, slug)
    level, text = _refresh(organization)
    if _wants_json(request):
        return JsonResponse(
            {
                "level": messages.DEFAULT_TAGS[level],
                "message": text,
                "status": sync_status(organization=organization),
            }
        )
    messages.add_message(request, level, text)
    return redirect(_page_of_button(request, slug))


@signed_in_or_told
@require_safe
@never_cache
@answers_organization_gone
def status_json(request: HttpRequest, slug: str) -> HttpResponse:
    organization = admin_organization_or_404(request, slug)
    return JsonResponse(sync_status(organization=organization))


@login_required
@require_safe
@answers_organization_gone
def history(request: HttpRequest, slug: str) -> HttpResponse:
    organization = admin_organization_or_404(request, slug)
    runs = organization.sync_runs.order_by("-started_at", "-pk")[:HISTORY_LENGTH]
    rows = [(run, run_result_text(run)) for run in runs]
    return _org_page(request, "manage/history.html", organization, rows=rows)


# --- Members ----------------------------------------------------------------------------------


@login_required
@require_page_or_form
@answers_organization_gone
def members(request: HttpRequest, slug: str) -> HttpResponse:
    organization = admin_organization_or_404(request, slug)
    add_form = MemberAddForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "add":
            add_form = MemberAddForm(request.POST)
            if add_form.is_valid():
                return _member_add(request, organization, add_form)
            _log_refused(request, "member add", add_form)
        elif action in ("role", "remove"):
            return _member_change(request, organization, action)
        elif action in ("cancel_invitation", "resend_invitation"):
            return _invitation_change(request, organization, action)
        else:
            messages.error(request, "That change could not be made; the page was out of date.")
            return redirect("manage:members", slug=slug)
    # In lower case: SQLite (and PostgreSQL's "C" collation) put "Bob@…" before "alice@…",
    # other collations do not; case says nothing of who someone is.
    memberships = organization.memberships.select_related("user").order_by(
        "role", Lower("user__email"), Lower("user__username"), "pk"
    )
    invitations = list(organization.invitations.order_by(Lower("email"), "pk"))
    has_admin = admins_who_can_sign_in(organization.pk).exists()
    # Told of only to an org without an admin, as admin_needed_message() tells its last one: not
    # those no answer makes an admin (the table lists them, with every other invitation).
    admin_invitations = (
        []
        if has_admin
        else list(
            invitations_that_can_bring_an_admin(organization.pk).order_by(Lower("email"), "pk")
        )
    )
    return render(
        request,
        "manage/members.html",
        {
            "organization": organization,
            "memberships": memberships,
            # None when a superuser invited a member first: the page then asks for one, unless
            # an admin's invitation is waiting. One whose email could not be sent was never
            # seen, and one expired cannot be answered: the page points at their Send again,
            # the quickest way to an admin.
            "has_admin": has_admin,
            "admins_invited": [
                invitation
                for invitation in admin_invitations
                if not (invitation.link_expired or invitation.email_failed)
            ],
            "admins_to_send_again": [
                invitation
                for invitation in admin_invitations
                if invitation.link_expired or invitation.email_failed
            ],
            "admins_unsent": [
                invitation for invitation in admin_invitations if invitation.email_failed
            ],
            "invitations": invitations,
            "add_form": add_form,
        },
    )


def _member_add(request: HttpRequest, organization: Organization, form: Form) -> HttpResponse:
    return _invite(
        request, organization, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
    )


def _invite(
    request: HttpRequest, organization: Organization, *, email: str, role: str
) -> HttpResponse:
    try:
        invited = member_invite(
            organization=organization, email=email, role=role, inviter=request.user
        )
    except Organization.DoesNotExist:
        raise OrganizationGone("deleted by another admin meanwhile") from None
    except MembershipError as exc:
        messages.error(request, exc.message)
    else:
        # As stored: a second click's "Carol@…" names the invitation the first sent to "carol@…".
        email = address_shown(invited.email)
        if invited.second_click:
            messages.success(
                request,
                f"The invitation to {email} was sent a moment ago, so no second email was sent. "
                "If it does not arrive, press “Send again” in a minute.",
            )
        elif invited.emailed and not invited.again:
            messages.success(request, f"{email} was invited; they get an email with a link.")
        elif invited.emailed:
            now_as = f", now as {ROLES_IN_WORDS[role]}" if invited.role_changed else ""
            link = "; they get an email with a link"  # the earlier email could not be sent
            if invited.earlier_link_voided:
                link = ", with a new join link; the one in the earlier email no longer works"
            messages.success(request, f"The invitation to {email} was sent again{now_as}{link}.")
        else:
            # Though its email failed, an invitation added again has its new role, and a new
            # link that voids the one sent before.
            failed = f"The invitation email to {email} could not be sent"
            if invited.role_changed:
                failed = (
                    f"{email} is now invited as {ROLES_IN_WORDS[role]}, but the invitation "
                    "email could not be sent"
                )
            earlier = ""
            if invited.earlier_link_voided:
                earlier = "; the link in the earlier email no longer works"
            messages.warning(
                request, f"{failed}{earlier}. Press “Send again” in a while to try again."
            )
    return redirect("manage:members", slug=organization.slug)


def _invitation_change(
    request: HttpRequest, organization: Organization, action: str
) -> HttpResponse:
    form = InvitationPickForm(request.POST, organization=organization)
    if not form.is_valid():
        organization_gone_check(organization)  # the one picked went with it
        _form_errors_show(request, form)
        return redirect("manage:members", slug=organization.slug)
    invitation = form.cleaned_data["invitation"]
    if action == "resend_invitation":
        # A new link to the same address and role: the old link stops working (unless it was
        # sent within the minute, a second click: nothing is sent, and the old link works).
        return _invite(request, organization, email=invitation.email, role=invitation.role)
    invitation_cancel(invitation=invitation)
    messages.success(request, f"The invitation to {address_shown(invitation.email)} was cancelled.")
    return redirect("manage:members", slug=organization.slug)


def _form_errors_show(request: HttpRequest, form: Form) -> None:
    """A hidden-field form's errors, as one message: there is no form on the page to show them."""
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))


@require_page_or_form
def invitation_join(request: HttpRequest, token: str) -> HttpResponse:
    """The link an invited account gets by email: joining takes a click, never just a visit.
    Signed out, a link that no longer works (cancelled, replaced, expired, its org deleted)
    says so at once: sent to sign in, whoever had no password yet found the email's password
    link dead too once the account the invitation made went with it, and was told nothing."""
    if not request.user.is_authenticated:
        try:
            invitation_waiting(token)
        except MembershipError as exc:
            return _link_refused(
                request, "registration/join.html", exc.message, for_another_account=False
            )
    return _invitation_join_signed_in(request, token)


@login_required
def _invitation_join_signed_in(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            membership = invitation_accept(token=token, user=request.user)
        else:
            membership = joined_membership(token, user=request.user)
        if membership is not None:
            messages.success(
                request,
                f"You are {membership.role_in_words} of "
                f"{ending_sentence(name_in_sentence(membership.organization.name))}",
            )
            return redirect("manage:index")
        invitation = invitation_of(token, user=request.user)
    except MembershipError as exc:
        return _link_refused(
            request,
            "registration/join.html",
            exc.message,
            for_another_account=isinstance(exc, InvitationForAnotherAccount),
        )
    return render(request, "registration/join.html", {"invitation": invitation})


def _member_change(request: HttpRequest, organization: Organization, action: str) -> HttpResponse:
    form_class = MembershipRoleForm if action == "role" else MembershipPickForm
    form = form_class(request.POST, organization=organization)
    if not form.is_valid():
        organization_gone_check(organization)  # the one picked went with it
        _form_errors_show(request, form)
        return redirect("manage:members", slug=organization.slug)
    membership = form.cleaned_data["membership"]
    who = address_shown(membership.user.email or membership.user.get_username())
    yourself = membership.user == request.user  # told as "you", not by their own address
    role = form.cleaned_data.get("role", "")
    if action == "role" and role == membership.role:
        _nothing_changed(
            request, f"{'you are' if yourself else f'{who} is'} still {membership.role_in_words}"
        )
        return redirect("manage:members", slug=organization.slug)
    giving_up_admin = yourself and role == Membership.Role.MEMBER
    if (action == "remove" or giving_up_admin) and not request.POST.get("confirmed"):
        if membership_is_last_admin(membership):
            # Refused now, not after a page asking whether to go ahead and lose access.
            messages.error(request, admin_needed_message(membership))
            return redirect("manage:members", slug=organization.slug)
        # Both take effect at once, and for yourself end your access to these pages: asked first.
        context = {"membership": membership, "who": who, "action": action, "role": role}
        return render(
            request, "manage/member_confirm.html", {"organization": organization, **context}
        )
    try:
        sentence_end = ending_sentence(name_in_sentence(organization.name))
        if action == "role":
            membership_role_set(membership=membership, role=form.cleaned_data["role"])
            if yourself:
                done = f"You are now {membership.role_in_words} of {sentence_end}"
            else:
                done = f"{who}'s role is now {membership.get_role_display()}."
        else:
            membership_remove(membership=membership)
            done = (
                f"You left {sentence_end}" if yourself else f"{who} was removed from {sentence_end}"
            )
        messages.success(request, done)
    except MembershipGone as exc:
        organization_gone_check(organization)  # removed with the org
        gone = YOUR_MEMBERSHIP_GONE_MESSAGE.format(organization=name_in_sentence(organization.name))
        messages.error(request, gone if yourself else exc.message)
    except MembershipError as exc:
        messages.error(request, exc.message)
    if not organizations_administered(request.user).filter(pk=organization.pk).exists():
        return redirect("manage:index")  # they gave up their own admin role
    return redirect("manage:members", slug=organization.slug)
