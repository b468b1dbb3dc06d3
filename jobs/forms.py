"""Forms of the account and org admin pages. Each says what is wrong in words, on the form."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm, UserCreationForm
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db.models import Model
from django.http import HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.text import slugify

from jobs.connections import ConnectionShown, KeyShown, check_board, check_failure_message
from jobs.email_change import EMAIL_TAKEN_MESSAGE, email_taken, same_mailbox
from jobs.form_messages import say_what_to_type
from jobs.greenhouse import (
    JOINERS,
    MAX_BOARD_TOKEN_LENGTH,
    Board,
    BoardNotFound,
    GreenhouseError,
    InvalidBoardToken,
    board_token_of,
    host_refused_by_browsers,
    validate_board_token,
    without_format_characters,
)
from jobs.mail import (
    AUTOMATED_HEADERS,
    MAIL_SERVER_ERRORS,
    UNSENDABLE_ADDRESS_MESSAGE,
    address_sendable,
    email_body,
    email_subject,
)
from jobs.memberships import (
    accounts_with_email,
    organization_just_made,
    organization_slug_of_name,
    organization_slug_taken,
    password_save,
    slug_taken_message,
)
from jobs.models import (
    MAX_SYNC_INTERVAL_MINUTES,
    MIN_SYNC_INTERVAL_MINUTES,
    SLUGS_OF_SITE_PAGES,
    GreenhouseConnection,
    Invitation,
    Job,
    Membership,
    Organization,
    fields_save_if_row_exists,
    language_tag_in_conventional_case,
)
from jobs.sanitize import cut_at_word
from jobs.text import (
    LEFT_TO_RIGHT_MARK,
    RIGHT_TO_LEFT_BLOCKS_RE,
    clean_text,
    composed,
    ending_sentence,
    name_in_sentence,
    paragraphs_joined,
    paragraphs_shown,
    shows_anything,
    without_direction_controls,
)
from jobs.throttle import (
    EMAIL_CHANGE_LINKS_PER_ACCOUNT,
    ThrottledPasswordChangeForm,
    account_email_allowed,
    board_check_allowed,
    client_ip,
    email_change_link_allowed,
    password_check,
    usernames_alike,
)

logger = logging.getLogger(__name__)

MAX_TAGS = 20
MAX_TAG_LENGTH = 50
TOO_LONG_TAG_SHOWN = 60  # characters of a refused tag its message shows, with "…" if it has more
API_KEY_MAX_LENGTH = 200  # wherever a key is typed: settings page, connect_greenhouse, admin
NO_NAME = "Give your organization a name."
# The count's window starts at its first check (jobs/throttle.py): over within the hour.
BOARD_CHECKS_REFUSED = (
    "Too many board tokens were checked for this organization in the last hour. Nothing was "
    "saved; try again in an hour."
)
# A field typed to match exactly (a board token, a slug): phone keyboards, which capitalise a
# text field's first letter and correct its words unless told not to, leave it as typed.
EXACT_TEXT_ATTRS = {
    "autocomplete": "off",
    "autocapitalize": "none",
    "autocorrect": "off",
    "spellcheck": "false",
}


def validate_organization_name(name: str) -> None:
    """Refused when nothing would show: zero-width spaces alone make an empty link."""
    if not shows_anything(name):
        raise forms.ValidationError(NO_NAME)


def validate_username_shows(username: str) -> None:
    """Refused when nothing would show: blank letters (a Hangul filler) are letters to Django's
    check, and the name would read as nothing where it is shown, and in the password reset
    email that recalls it."""
    if not shows_anything(username):
        raise forms.ValidationError("Choose a username that shows: this one is all blank.")


# All a slug may be: "-acme", "acme_" and "a--b" are made only of those characters, and "café"
# of lowercase letters, but slugify() keeps no accent.
SLUG_RULE = "lowercase a-z, 0-9, - and _, with a letter or digit first and last and no --"
NOT_A_SLUG = f"Not a valid slug: use {SLUG_RULE}."


def validate_organization_slug(slug: str) -> None:
    """Refused unless slugify() leaves it as it is, as the slugs sign-up makes: an "ACME" beside
    an "acme" would be another org at an address that differs only in case, and an empty one
    (/orgs//) breaks every page that links it. Nor one of SLUGS_OF_SITE_PAGES, whose address a
    page of the site hides."""
    if not slug or slugify(slug) != slug:
        raise forms.ValidationError(NOT_A_SLUG, code="slug")
    if slug in SLUGS_OF_SITE_PAGES:
        raise forms.ValidationError(
            f"“{slug}” is taken by a page of this site (/manage/{slug}/): choose another slug.",
            code="site_page",
        )


def could_be_a_slug(text: str) -> bool:
    """Whether an org could have `text` as its slug: one saved before validate_organization_slug
    refused it (capitals, say) keeps it. Anything else is not looked up: PostgreSQL refuses a
    NUL, and bytes of the command line that are not UTF-8 (which Python reads as lone
    surrogates, "\\udcff" for b"\\xff"), with a traceback."""
    try:
        Organization._meta.get_field("slug").clean(text, None)
    except forms.ValidationError:
        return False
    return True


class NoMaxlengthInPage(forms.CharField):
    """A box whose limit, max_length, is checked as the form is sent, and not written in the
    page as maxlength: at it a browser cuts a longer paste without a word, where the box shows
    none of the end (a password's, a line wider than its box, a textarea's text below its
    rows), and the cut text was saved. A browser also counts a run of spaces a field makes one
    before counting, and an emoji as two. Sent whole, text too long is refused and comes back
    whole, to be cut where its writer chooses."""

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class OneLineField(NoMaxlengthInPage):
    """Text shown in titles, feeds and emails: printable characters, whitespace collapsed before
    its length is checked."""

    def to_python(self, value: Any) -> str:
        return " ".join(clean_text(super().to_python(value)).split())


class LanguageTagField(forms.CharField):
    """A language tag as typed, in its conventional case: "ZH-hant-tw" is saved as zh-Hant-TW,
    as the `lang` of the words it marks and a feed's <language> write it."""

    def to_python(self, value: Any) -> str:
        return language_tag_in_conventional_case(super().to_python(value))


class ParagraphsField(NoMaxlengthInPage):
    """Text typed in a textarea and shown in paragraphs (an org's "About"): each line as
    OneLineField reads text, without blank lines around the text and with a run of them as one,
    which a page shows as a paragraph break (the linebreaks filter)."""

    widget = forms.Textarea

    def to_python(self, value: Any) -> str:
        text = clean_text(super().to_python(value))
        # splitlines() ends a line at \r\n, as browsers send one, and at U+2028 or U+2029 pasted.
        return paragraphs_joined(" ".join(line.split()) for line in text.splitlines())


class ShownOrEmpty(forms.CharField):
    """An optional field whose text that shows nothing (zero-width spaces alone) is "":
    visitors would read an empty "Compensation", or an org's empty description where the one
    said for an org without one goes. Compared so with what the page showed, or such text sent
    over "" counts as a change (dating the job's page and the org's listing) that saves the
    same ""."""

    def clean(self, value: Any) -> str:
        # Field.clean() with the text as saved checked, not as sent: a line of zero-width spaces,
        # dropped from a description, counted towards its length.
        text = self.shown(self.to_python(value))
        self.validate(text)
        self.run_validators(text)
        return text

    def has_changed(self, initial: Any, data: Any) -> bool:
        # Not in to_python(), which Django also gives what the page showed: a value saved before
        # such text was refused, that shows nothing, then equalled any sent, and stayed for good.
        return not self.disabled and (initial or "") != self.shown(self.to_python(data))

    def shown(self, text: str) -> str:
        """`text` as saved: "" if it shows nothing."""
        return _shown_or_empty(text)


class ShownOrEmptyField(ShownOrEmpty, OneLineField):
    """An optional OneLineField (a job's compensation note)."""


class ShownOrEmptyParagraphsField(ShownOrEmpty, ParagraphsField):
    """An optional ParagraphsField (an org's description), whose lines that show nothing are
    blank lines too (paragraphs_shown)."""

    def shown(self, text: str) -> str:
        return paragraphs_shown(text)


def _shown_or_empty(text: str) -> str:
    return text if shows_anything(text) else ""


def characters_at_most(limit: int) -> str:
    """A box's limit as its help says it, "at most 500 characters": said by each box that does
    not stop at it (NoMaxlengthInPage)."""
    return f"at most {limit} characters"


def at_most_characters(model: type[Model], field_name: str) -> str:
    """characters_at_most() of its model field's max_length."""
    return characters_at_most(model._meta.get_field(field_name).max_length)


NAME_LIMIT = at_most_characters(Organization, "name")
DESCRIPTION_LIMIT = at_most_characters(Organization, "description")
WEBSITE_MAX_LENGTH = Organization._meta.get_field("website").max_length
# The https:// that the website's boxes add to an address typed without a scheme (as saved, the
# address has at most WEBSITE_MAX_LENGTH characters), said with the limit: told only "at most
# 200", whoever typed 195 without it was refused for a limit they had not reached.
WEBSITE_SCHEME_ADDED = "https://"
WEBSITE_LIMIT = (
    f"{characters_at_most(WEBSITE_MAX_LENGTH)}, "
    f"or {WEBSITE_MAX_LENGTH - len(WEBSITE_SCHEME_ADDED)} typed without {WEBSITE_SCHEME_ADDED}"
)


def organization_name_field() -> OneLineField:
    return OneLineField(
        label="Organization name",
        max_length=Organization._meta.get_field("name").max_length,
        error_messages={"required": NO_NAME},
        help_text=f"As visitors will see it; {NAME_LIMIT}. You become its admin.",
        validators=[validate_organization_name],
    )


class SendableEmailField(forms.EmailField):
    """An address the site will email (password resets, invitations, sync alerts): once it
    reads as an email address, one Django's mail backends can write (jobs.mail.address_sendable).
    Zero-width spaces and the like pasted with it are dropped, as Chromium drops them from an
    email box's domain; sent by another client, an account invited as
    "carol@example.org\u200b" was emailed at carol@example.org a username it could not sign in
    with, the one typed without it."""

    def to_python(self, value: Any) -> str:
        if isinstance(value, str):
            value = without_format_characters(value)
        return super().to_python(value)

    def clean(self, value: Any) -> str:
        email = super().clean(value)
        if email and not address_sendable(User.objects.normalize_email(email)):
            raise forms.ValidationError(UNSENDABLE_ADDRESS_MESSAGE)
        return email


class PasswordRulesOnTheirField:
    """Django reports a new password its rules refuse (too short, too common, too like the
    username) on the confirmation field: "Password confirmation: This password is too common.",
    under a confirmation typed right. Here it is on the password's own field, which lists them."""

    FIRST_OF = {"password2": "password1", "new_password2": "new_password1"}

    def validate_password_for_user(
        self,
        user: User,
        password_field_name: str = "password2",  # noqa: S107 (a field's name, not a password)
    ) -> None:
        super().validate_password_for_user(  # type: ignore[misc]
            user, password_field_name=self.FIRST_OF[password_field_name]
        )


class UsernameThatShows:
    """For a form that creates an account (sign-up, Django's admin): its username shows."""

    instance: User

    def clean_username(self) -> str | None:
        username = super().clean_username()  # type: ignore[misc]
        if username is not None:  # None: Django's own check refused it (taken, in any case)
            validate_username_shows(username)
            # Django's check is in any case alone: "carol@exämple.com" beside an invited
            # "carol@xn--exmple-cua.com" took the username the invitation email gives.
            if User.objects.filter(usernames_alike(username)).exists():
                raise forms.ValidationError(self.instance.unique_error_message(User, ["username"]))
        return username


# What an empty box says (say_what_to_type).
TYPE_A_USERNAME = "Type a username to sign in with."
TYPE_YOUR_EMAIL = "Type your email address."
TYPE_A_PASSWORD, TYPE_THE_PASSWORD_AGAIN = "Type a password.", "Type the password again."
PASSWORD_BOXES = {"password1": TYPE_A_PASSWORD, "password2": TYPE_THE_PASSWORD_AGAIN}
NEW_PASSWORD_BOXES = {"new_password1": TYPE_A_PASSWORD, "new_password2": TYPE_THE_PASSWORD_AGAIN}


def drop_autofocus(form: forms.BaseForm) -> None:
    """None of the form's fields takes the focus as the page loads, for a form under words to
    read first: a screen reader starts reading where the focus is, past them."""
    for field in form.fields.values():
        field.widget.attrs.pop("autofocus", None)


NO_SLUG_FROM_NAME = (
    "No address can be made from this name: it has no letters a-z or digits. Type one, such "
    "as the name written in Latin letters."
)


class OrganizationSlugField(forms.CharField):
    """The address typed for a new org, /orgs/<slug>/, as its slug: blank to have one made from
    the name. Its admins cannot change it later (staff can, in Django's admin). Capitals are read
    as lowercase, as the site's addresses are (/orgs/ACME/ leads to /orgs/acme/)."""

    def __init__(self) -> None:
        super().__init__(
            label="Address",
            required=False,
            max_length=Organization._meta.get_field("slug").max_length,
            # Not "/orgs/<address>/": Django's form templates write help text unescaped.
            help_text=(
                "Where your organization's page will be: /orgs/…/. Only the site's staff can "
                f"change it later. Use {SLUG_RULE}; {at_most_characters(Organization, 'slug')}. "
                "Leave it blank to have one made from the name."
            ),
            validators=[validate_organization_slug],
        )
        self.widget.attrs.update(EXACT_TEXT_ATTRS)

    def to_python(self, value: Any) -> str:
        return super().to_python(value).lower()


class OrganizationSlugFromName:
    """A form with an org's name and its Address box (OrganizationSlugField). A slug typed is
    refused if taken, but for the org its admin `creator` made a moment ago with this name and
    slug: a second click, which organization_create answers with that org. Left blank where the
    name makes no slug to have it made of, the box asks for one rather than giving the org
    /orgs/org-2/ for good."""

    creator: User | None = None

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()  # type: ignore[misc]
        name, slug = cleaned_data.get("organization_name"), cleaned_data.get("organization_slug")
        # Looked up once valid: PostgreSQL refuses a NUL with a traceback.
        if (
            slug
            and organization_slug_taken(slug)
            and not (
                name
                and self.creator
                and organization_just_made(admin=self.creator, name=name, slug=slug)
            )
        ):
            self.add_error(  # type: ignore[attr-defined]
                "organization_slug", forms.ValidationError(slug_taken_message(slug), code="taken")
            )
        elif (
            name
            and not slug
            and "organization_slug" not in self.errors  # type: ignore[attr-defined]
            and not organization_slug_of_name(name)
        ):
            self.add_error("organization_slug", NO_SLUG_FROM_NAME)  # type: ignore[attr-defined]
        return cleaned_data


class SignupForm(
    OrganizationSlugFromName, PasswordRulesOnTheirField, UsernameThatShows, UserCreationForm
):
    organization_name = organization_name_field()
    organization_slug = OrganizationSlugField()
    # The org's name says NO_NAME.
    EMPTY_MESSAGES = {"username": TYPE_A_USERNAME, "email": TYPE_YOUR_EMAIL, **PASSWORD_BOXES}

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")
        field_classes = {**UserCreationForm.Meta.field_classes, "email": SendableEmailField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = "For password resets and invitations."
        # Both are about the person signing up, which autofill may then fill in (WCAG 1.3.5).
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["organization_name"].widget.attrs["autocomplete"] = "organization"
        say_what_to_type(self, self.EMPTY_MESSAGES)
        drop_autofocus(self)  # under the words on what signing up makes

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if accounts_with_email(email):
            raise forms.ValidationError(
                "An account with this email already exists. Sign in, or reset its password."
            )
        return email


class OrganizationCreateForm(OrganizationSlugFromName, forms.Form):
    """Another organization, for someone signed in, `creator`."""

    organization_name = organization_name_field()
    organization_slug = OrganizationSlugField()

    def __init__(self, *args: Any, creator: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creator = creator


# Joiners at either end of a typed address, with the spaces it was copied with around them. The
# run at the end is looked for only where a run starts: tried from each of its characters, a run
# of spaces before more text took time with its square (40,000 held a web process 9 s, and a
# form may send 2.5 MB), and the field's length is checked only after.
SPACE_OR_JOINER = "[\\s{}]".format("".join(sorted(JOINERS)))
JOINERS_AT_THE_ENDS_RE = re.compile(
    f"^{SPACE_OR_JOINER}+|(?<!{SPACE_OR_JOINER}){SPACE_OR_JOINER}+$"
)


# What ends a host, or cannot be in one.
NOT_IN_A_HOST_RE = re.compile(r"[/?#@\s]")


def starts_with_host_and_colon(typed: str) -> bool:
    """Whether `typed` starts with a host and a colon, without a scheme ("example.com:8080", or
    a port mistyped: "example.com:", "example.com:80a"), which urllib reads as the scheme
    "example.com". A host has a dot, or is localhost: "tel:911" is a scheme. In time with the
    address's length: a form may send 2.5 MB."""
    host, colon, _ = typed.partition(":")
    return (
        bool(colon)
        and ("." in host or host.lower() == "localhost")
        and not NOT_IN_A_HOST_RE.search(host)
    )


# Addresses that lead each visitor to their own computer: loopback, and the unspecified
# address, which systems connect to it.
OWN_COMPUTER_NETWORKS = tuple(
    map(ipaddress.ip_network, ("127.0.0.0/8", "0.0.0.0/8", "::1/128", "::/128"))
)
# Addresses a network gives out within itself, which no one outside it reaches: private ones
# (RFC 1918, RFC 6598's of internet providers, RFC 4193's unique local IPv6) and link-local ones
# (RFC 3927, RFC 4291; 169.254.169.254 is a cloud server's own metadata service).
PRIVATE_NETWORKS = tuple(
    map(
        ipaddress.ip_network,
        (
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",
            "169.254.0.0/16",
            "fc00::/7",
            "fe80::/10",
        ),
    )
)
# Names under which no site is public: .local is looked up on the visitor's own network (RFC
# 6762), .home.arpa (RFC 8375) and .internal (ICANN, 2024) are for private networks.
PRIVATE_NAME_ENDINGS = (".local", ".home.arpa", ".internal")


def host_of_no_public_site(host: str) -> str:
    """Why `host`, urlsplit's hostname of a website browsers open (host_refused_by_browsers),
    opens no site on the internet, as the website field's message code; "" if nothing says so.
    "own_computer": localhost, and the names under it (RFC 6761: browsers open them there
    without asking DNS), or a loopback or unspecified address. "private_network": a private or
    link-local address, or a private name. Names are not looked up: one that leads to such an
    address today (127.0.0.1.nip.io) is its owner's to change."""
    name = f".{host.removesuffix('.')}"
    if name.endswith(".localhost"):
        return "own_computer"
    if name.endswith(PRIVATE_NAME_ENDINGS):
        return "private_network"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a domain name: nearly every host
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # "[::ffff:127.0.0.1]" is 127.0.0.1
    if any(address in network for network in OWN_COMPUTER_NETWORKS):
        return "own_computer"
    if any(address in network for network in PRIVATE_NETWORKS):
        return "private_network"
    return ""


class WebsiteField(NoMaxlengthInPage, forms.URLField):
    """A web address the org's page links for every visitor: https:// or http:// only, or no
    scheme at all ("example.com", or "example.com:8080" with a port, read as the field's
    assume_scheme).

    Django's field takes ftp:// addresses, and calls another scheme (javascript:, mailto:) only
    "not a valid URL": both are told what works, before Django's own check.
    """

    # Django's "Enter a valid URL." said neither what was wrong nor what works, beside this
    # field's other messages that do: its field's and its validator's "invalid", and the model's.
    default_error_messages = {
        "invalid": "Enter a web address such as example.com or https://example.com.",
        # Of one typed with its scheme; one typed without is counted as typed (to_python).
        "max_length": (
            "A web address has at most %(limit_value)d characters; this one has %(show_value)d."
        ),
        "max_length_without_scheme": (
            "A web address typed without %(scheme)s has at most %(limit_value)d characters: the "
            "site adds the %(scheme)s, and saves at most %(max_length)d; this one has "
            "%(show_value)d."
        ),
        # Of a host no visitor opens as the org's site (host_of_no_public_site).
        "own_computer": (
            "This address leads each visitor to their own computer, not to your site. Enter "
            "your site's address on the internet, such as example.com or https://example.com."
        ),
        "private_network": (
            "This address is on a private network (in an office, at home, inside a cloud), "
            "which visitors on the internet cannot reach. Enter your site's address on the "
            "internet, such as example.com or https://example.com."
        ),
    }

    def to_python(self, value: Any) -> str:
        # Without the unseen characters pasted with it: a direction override in its text on the
        # org's page turned the words after it around. Joiners stay between the characters of
        # its path, query and fragment: a Persian word without its non-joiner is another
        # address. In the host, one only made "example.com" look right and lead elsewhere.
        typed = JOINERS_AT_THE_ENDS_RE.sub(
            "", without_format_characters(value or "", keep_joiners=True)
        )
        too_long = self.max_length is not None and len(typed) > self.max_length
        if not too_long and any(character.isspace() for character in typed.strip()):
            # "acme .com", or a name typed in the box: said as such, not just "invalid". One
            # too long is told its length first, by the field's validators.
            raise forms.ValidationError(
                "A web address has no spaces. Enter one such as example.com or "
                "https://example.com.",
                code="spaces",
            )
        as_typed = typed.strip()
        if starts_with_host_and_colon(typed):
            # Told "only https:// and http:// work", whoever typed a port (or mistyped one) was
            # lost: read with the scheme, it is checked as any port is, below.
            typed = f"{self.assume_scheme}://{typed}"
        url = super().to_python(typed)
        # The scheme put before it, by the line above or by Django's field ("example.com").
        scheme_added = len(url) - len(as_typed)
        try:
            parts = urlsplit(url)
        except ValueError:  # "https://[::1": Django's field no longer reads it with urllib first
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        host = without_format_characters(parts.netloc)
        if host != parts.netloc:
            url = urlunsplit(parts._replace(netloc=host))
        scheme = parts.scheme.lower()
        if url and scheme not in ("https", "http"):
            # Not "starts with https://": a bare "example.com" is taken, as the help text says.
            raise forms.ValidationError(
                "Enter a web address such as example.com or https://example.com "
                "(only https:// and http:// work).",
                code="scheme",
            )
        if "@" in parts.netloc:
            # The page shows the address as its link's text: "https://example.com@evil.com"
            # reads as example.com and opens evil.com. No org's site needs a name to sign in.
            raise forms.ValidationError(
                "Leave out the part up to “@”: browsers open only the site named after it. "
                "Enter your site's address, such as example.com or https://example.com.",
                code="user_info",
            )
        try:
            port = parts.port
        except ValueError:  # over 65535 ("https://example.com:99999"), or no number ("…:80a")
            port = 0
        # urllib reads "https://example.com:" as without a port, which Django calls invalid.
        if port == 0 or parts.netloc.endswith(":"):
            # Django's check takes any five digits: browsers refuse such a link, which led nowhere.
            raise forms.ValidationError(
                "The port, after “:”, is a number from 1 to 65535. Leave it out unless your "
                "site needs one: example.com or https://example.com.",
                code="port",
            )
        host_name = parts._replace(netloc=host).hostname
        if not too_long and host_name and host_refused_by_browsers(host, host_name):
            # Django's validator takes them, and browsers open none: "north.example\u2024com"
            # (ONE DOT LEADER, which looks like a "."), or a part after "xn--" that is no
            # Punycode ("xn--a.example"). It refuses a host ending in a number itself, IPv4
            # addresses written short too ("0x7f.1"). One too long is told its length first.
            # Said as such: told "Enter a web address such as example.com", whoever pasted a
            # name that looks right had nothing to change.
            raise forms.ValidationError(
                "Browsers open no site by this name: it has a character no site name may have, "
                "or one out of its place, such as a “.” that only looks like one. Type it again: "
                "example.com or https://example.com.",
                code="host",
            )
        no_public_site = host_name and not too_long and host_of_no_public_site(host_name)
        if no_public_site:
            # Django's validator takes them, and on the org's page each would lead the visitor
            # to their own computer, or nowhere: a test copy's address saved for good.
            raise forms.ValidationError(self.error_messages[no_public_site], code=no_public_site)
        if scheme_added and self.max_length is not None and len(url) > self.max_length:
            # Counted as typed, the limit too: Django's validator counted the https:// added, and
            # said "this one has 203" of 195 characters typed, under a box that said "at most 200".
            raise forms.ValidationError(
                self.error_messages["max_length_without_scheme"],
                code="max_length",
                params={
                    "scheme": f"{self.assume_scheme}://",
                    "limit_value": self.max_length - scheme_added,
                    "max_length": self.max_length,
                    "show_value": len(url) - scheme_added,
                },
            )
        return url


# No control characters, whitespace collapsed: the name on one line, the description in lines
# and paragraphs as its admins typed them. The language tag in its conventional case.
ORGANIZATION_FIELD_CLASSES = {
    "name": OneLineField,
    "description": ShownOrEmptyParagraphsField,
    "language": LanguageTagField,
    "website": WebsiteField,
}


class OrganizationChecks:
    """The check of an org's name, and what its box left empty says, wherever it is edited
    (settings page and Django's admin); its description's check is its field's
    (ShownOrEmptyParagraphsField). Its description's box has the lang (and dir) of the language
    saved, so browsers spell-check the description in it."""

    cleaned_data: dict[str, Any]
    fields: dict[str, forms.Field]
    instance: Organization

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        say_what_to_type(self, {"name": NO_NAME})  # as a name that shows nothing says
        if "description" in self.fields:  # not in Django's admin for staff who may only view
            self.fields["description"].widget.attrs.update(self.instance.language_attrs)

    def clean_name(self) -> str:
        validate_organization_name(self.cleaned_data["name"])
        return self.cleaned_data["name"]


class ChangedFieldsOnly:
    """For a form two admins (or two tabs) may have open at once: the page also sends the values
    it showed, and saving writes only the fields changed there (`changed_data`). Writing the
    others as that page showed them would put back what was saved meanwhile."""

    fields: dict[str, forms.Field]
    data: Any
    instance: Any  # a model form's (_save_m2m)
    _adding: bool  # a model form of a new row (_save_m2m)
    _bound_fields_cache: dict[str, forms.BoundField]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)  # a model form's: saved, it is no longer new
        self._adding = instance is not None and instance._state.adding
        for field in self.fields.values():
            # Not a password's: a refused form would carry what was typed back into the page.
            # Nor a disabled field's (an account's password hash): it is never saved from here.
            field.show_hidden_initial = not (
                isinstance(field.widget, forms.PasswordInput) or field.disabled
            )
        shown = [field for field in self if field.field.show_hidden_initial]
        omitted = [field for field in shown if self._shown_omitted(field)]
        # A list shown empty (no groups) sends no input: unsent only if the page sent none.
        unsent = [
            field
            for field in omitted
            if len(omitted) == len(shown)
            or not isinstance(field.field.hidden_widget(), forms.MultipleHiddenInput)
        ]
        # Shown again (refused), Django's page carries the value shown only if it was sent under
        # the field's own name, else the one typed, and saved once corrected, reads unchanged: a
        # list shown empty sends no input, a date and time one per part.
        unnamed = [field for field in shown if field.html_initial_name not in self.data]
        if self.is_bound and unnamed:
            # Sent without the values it showed (a page served before they were added, or a
            # script): they are taken as the row's, so emptying a field or unticking a box is
            # still a change. Left out, a page shown again with an error would carry the
            # refused values as the ones shown, and saving it once corrected would write none.
            self.data = self.data.copy()
            for field in unsent:
                many = isinstance(field.field.hidden_widget(), forms.MultipleHiddenInput)
                inputs = _shown_inputs(field.field, field.html_initial_name, field.initial)
                for name, values in inputs.items():
                    self._data_set(name, values if many else values[0])
            for field in unnamed:
                if field.html_initial_name not in self.data:
                    self._data_set(field.html_initial_name, [])  # read as no items, or unread
        # Its bound fields made afresh when next read: a formset replaces fields once it has made
        # the form (a member row's key to its org, with Django's own check), and one kept from
        # here cleaned and showed the field replaced.
        self._bound_fields_cache.clear()

    def _data_set(self, name: str, value: str | list[str]) -> None:
        if not hasattr(self.data, "setlist"):  # a dict, from a test or a script
            self.data[name] = value
        else:
            self.data.setlist(name, value if isinstance(value, list) else [value])

    def _shown_omitted(self, field: forms.BoundField) -> bool:
        hidden = field.field.hidden_widget()
        return hidden.value_omitted_from_data(self.data, {}, field.html_initial_name)

    def changed_meanwhile(self) -> list[str]:
        """The fields this page changed that were also changed since it showed them (the form's
        instance read as it is now): saving would undo the other change unseen."""
        changed = []
        for name in self.changed_data:
            field = self[name]
            shown = self._widget_data_value(field.field.hidden_widget(), field.html_initial_name)
            stored, typed = field.initial, field.data
            # Not one made the same meanwhile.
            if not _shown_as_stored(field.field, stored, shown) and field.field.has_changed(
                stored, typed
            ):
                changed.append(name)
        return changed

    def changed_meanwhile_refuse(self, *, reload: str | None = None) -> None:
        """Refuse the whole save, for clean(), if a field the page changed was also changed
        since it showed it (changed_meanwhile), naming each: nothing of the page is saved, as
        its other changes may have been made with the one refused in mind. The form's instance
        (or initial) must be read as it is now, under its row's lock until the save.

        With `reload` (what the page shows, "the account"), the page is to be reloaded and the
        change made again. Without, it is shown again over what is saved now (each field it
        left as shown says its value now, and that value is the one shown), its changes still
        typed, and the refusal says each field's value now: saved again, it makes them."""
        changed = self.changed_meanwhile()
        if not changed:
            return
        if reload is not None:
            names = ", ".join(f"“{self[name].label}”" for name in changed)
            then = f"Reload the page to see {reload} as it is now, then make your change again."
        else:
            names = ", ".join(
                f"“{self[name].label}” (now {_value_in_words(self[name])})" for name in changed
            )
            then = "The form shows what is saved now, with your changes: save again to make them."
            self._shown_again_over_saved()
        raise forms.ValidationError(
            f"Nothing was saved: {names} changed by someone else since this page was opened. "
            + then
        )

    def _shown_again_over_saved(self) -> None:
        """The page shown again takes the values saved now as the ones it showed, and shows them
        in the fields it left as shown: sent again, only what it changed is a change."""
        self.data = self.data.copy()
        changed = set(self.changed_data)
        for field in self:
            if not field.field.show_hidden_initial:
                continue
            names = [field.html_initial_name]
            if field.name not in changed:
                names.append(field.html_name)
            many = isinstance(field.field.hidden_widget(), forms.MultipleHiddenInput)
            for name in names:
                if many:
                    self._data_set(name, [])  # a list now empty writes no input
                inputs = _shown_inputs(field.field, name, field.initial)
                for input_name, values in inputs.items():
                    self._data_set(input_name, values if many else values[0])

    def _save_m2m(self) -> None:
        """A model form's lists (many-to-many), only those the page changed: Django's sets every
        list shown, putting back one changed meanwhile as the page showed it. A new row's, every
        list: one the add page was given (?permissions=…) and left as given is no change."""
        if self._adding:
            super()._save_m2m()  # type: ignore[misc]
            return
        for field in self.instance._meta.many_to_many:
            if field.name in self.changed_data:
                field.save_form_data(self.instance, self.cleaned_data[field.name])

    @cached_property
    def changed_data(self) -> list[str]:
        changed = set(super().changed_data)  # what the page changed, compared as cleaned
        return [name for name in self.fields if name in changed or _cleaned_by_saving(self[name])]


class ChangedMeanwhileRefused(ChangedFieldsOnly):
    """A ChangedFieldsOnly form that refuses a save changing a field changed meanwhile, and
    shows itself again over what is saved now (changed_meanwhile_refuse): the page saved last
    undid the other change unseen. Its view reads the row under its lock for the check and the
    save (row_locked)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        self.changed_meanwhile_refuse()
        return cleaned


def _value_in_words(bound_field: forms.BoundField) -> str:
    """The field's value saved now, as a message names it: in quotes (a choice by its label),
    or "empty". (A box is never named: ticked or not, the page changed it as it was changed.)"""
    field, value = bound_field.field, bound_field.initial
    if isinstance(field, forms.ChoiceField):
        value = dict(field.choices).get(value, value)
    text = without_direction_controls(str(field.prepare_value(value) or ""))
    if not text:
        return "empty"
    # Plain text, with no <bdi> around it: a value written right to left took the words after
    # it (as board_in_words says).
    mark = LEFT_TO_RIGHT_MARK if RIGHT_TO_LEFT_BLOCKS_RE.search(text) else ""
    return f"“{text}”{mark}"


def _shown_inputs(field: forms.Field, name: str, value: Any) -> dict[str, list[str]]:
    """`value` as the page writes it in the field's hidden inputs of the value shown: one, or
    one per part (a date and a time), or one per item of a list (none for an empty one)."""
    widget = field.hidden_widget().get_context(name, field.prepare_value(value), None)["widget"]
    inputs: dict[str, list[str]] = {}
    for each in widget.get("subwidgets", [widget]):
        inputs.setdefault(each["name"], []).append(each["value"] or "")
    return inputs


def _as_shown(field: forms.Field, value: Any) -> str:
    """`value` as the page writes it in the field's hidden input of the value shown."""
    return field.hidden_widget().format_value(field.prepare_value(value)) or ""


def _shown_as_stored(field: forms.Field, stored: Any, shown: Any) -> bool:
    """Whether the page showed `stored`: the same once cleaned, or, for a value stored before a
    rule of its cleaning (which it fails), as the page wrote it, newlines as browsers send
    them."""
    if not field.has_changed(stored, shown):
        return True
    written = _as_shown(field, stored)
    return isinstance(shown, str) and shown.replace("\r\n", "\n") == written.replace("\r\n", "\n")


def _cleaned_by_saving(bound_field: forms.BoundField) -> bool:
    """Whether saving the field as sent writes the value stored in the form its field cleans it
    to: one stored before a rule of that cleaning (spaces at its ends, a control character).
    Django compares what was sent with what the page showed, both cleaned, so its cleaned form
    typed over it was no change, and it stayed for good. Only into its own cleaned form: a value
    another tab saved since the page was shown stays."""
    field, stored, sent = bound_field.field, bound_field.initial, bound_field.data
    if isinstance(field, forms.MultiValueField):
        return False  # a date and time, shown in parts: neither is stored uncleaned
    if not field.has_changed(stored, sent):
        return False  # first: cleaning what is stored may read the database (a choice of rows)
    try:
        stored_cleaned = field.to_python(_as_shown(field, stored))
    except forms.ValidationError:
        return False  # a value refused now is changed by typing another
    return not field.has_changed(stored_cleaned, sent)


class OrganizationProfileForm(ChangedMeanwhileRefused, OrganizationChecks, forms.ModelForm):
    """What visitors read about the org on its page, in feeds and in search results."""

    prefix = "profile"  # shares the settings page with the other forms
    website = WebsiteField(
        label="Website",
        required=False,
        max_length=Organization._meta.get_field("website").max_length,
        assume_scheme="https",
        # Text, not type="url": browsers refuse "example.com", which is read as https://.
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "url"}),
        help_text=f"Your own site, linked from your page, such as example.com; {WEBSITE_LIMIT}.",
    )

    class Meta:
        model = Organization
        fields = ("name", "description", "language", "website")
        labels = {
            "description": "About the organization",
            "language": "Language of “About the organization”",
        }
        help_texts = {
            "name": f"As visitors see it; {NAME_LIMIT}. Your page stays at the same address.",
            "description": "Shown under the name on your page, and on one line in search "
            f"results; {DESCRIPTION_LIMIT}. Leave a blank line between paragraphs.",
            "language": "Blank for English. Otherwise its language tag, e.g. de, fr-CA, ar: "
            "screen readers then read it in that language.",
        }
        field_classes = ORGANIZATION_FIELD_CLASSES
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "language": forms.TextInput(attrs={**EXACT_TEXT_ATTRS, "size": 10}),
        }

    def save(self, commit: bool = True) -> Organization:
        organization = super().save(commit=False)
        # Only these columns: the row also counts the day's invitations, which a request
        # running meanwhile may have moved on; writing the old count back would reopen the cap.
        if commit and not fields_save_if_row_exists(organization, self.changed_data):
            raise Organization.DoesNotExist("the org was deleted since the form read it")
        return organization


class AccountPasswordResetForm(PasswordResetForm):
    """Django's reset form, also for invited people who have not set a password yet."""

    # Read as sign-up and invitations read it: Django's own field kept a zero-width space
    # pasted with the address, which then matched no account.
    email = SendableEmailField(
        label="Email",
        max_length=User._meta.get_field("email").max_length,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    asked_from = ""  # the client address, for counting the emails

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        say_what_to_type(self, {"email": TYPE_YOUR_EMAIL})

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.asked_from = client_ip(kwargs.get("request"))
        # The link on SITE_URL, as every email's: Django would take the request's Host, which a
        # wildcard in DJANGO_ALLOWED_HOSTS leaves to the client, so a reset link (its token
        # with it) could lead to a host of the asker's choosing.
        site = urlsplit(settings.SITE_URL)
        kwargs.update(domain_override=site.netloc, use_https=site.scheme == "https")
        # Named as every other email names the site, where Django's names it by that host.
        kwargs["extra_email_context"] = {
            **(kwargs.get("extra_email_context") or {}),
            "SITE_NAME": settings.SITE_NAME,
        }
        super().save(*args, **kwargs)

    def get_users(self, email: str) -> Any:
        if not account_email_allowed(email=email, ip=self.asked_from):
            logger.warning("password reset email not sent: too many to one address today")
            return User.objects.none()
        # Django skips unusable passwords for accounts that sign in elsewhere (LDAP...); here an
        # unusable password only means "invited, link not used yet", and they may ask again.
        # Matched as Django matches: on PostgreSQL alone "alıce@" would pass for "alice@", and
        # each lookalike would count apart towards the day's emails to one address.
        return [user for user in accounts_with_email(email) if user.is_active]

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Django's, with the headers of every email the site makes (Django's takes no headers),
        and without the direction controls a username could leave open, but for the isolates
        the templates put around it (email_body()), as the site's other emails."""
        subject = email_subject(render_to_string(subject_template_name, context))
        body = email_body(render_to_string(email_template_name, context))
        message = EmailMultiAlternatives(
            subject, body, from_email, [to_email], headers=AUTOMATED_HEADERS
        )
        if html_email_template_name is not None:
            message.attach_alternative(
                render_to_string(html_email_template_name, context), "text/html"
            )
        # As Django's: the page must say the same whether or not an account got an email.
        try:
            message.send()
        except MAIL_SERVER_ERRORS as exc:
            logger.error("password reset email failed user=%s error=%r", context["user"].pk, exc)
        except Exception:
            logger.exception("password reset email failed user=%s", context["user"].pk)


class PasswordSavedAlone:
    """Saves the new password alone (password_save), if the account's row has the password the
    page read: Django saved the whole account as read when the request began, so a staff or
    superuser status taken, or a deactivation, meanwhile in Django's admin was undone, and an
    account deleted meanwhile was made again. A password changed meanwhile (turned off in the
    admin, set from another tab or link) is kept: the session, whose hash is then of a password
    not saved, is signed out, as that change signs out every other."""

    cleaned_data: dict[str, Any]
    # False once a save found another password on the row, or no row: nothing was saved, which
    # the view says, where Django's page said the password was set.
    password_saved = True

    def set_password_and_save(
        self,
        user: User,
        password_field_name: str = "password1",  # noqa: S107 (a field's name, not a password)
        commit: bool = True,
    ) -> User:
        password = self.cleaned_data[password_field_name]
        if commit:
            self.password_saved = password_save(user=user, password=password)
        else:
            user.set_password(password)
        return user


class AccountSetPasswordForm(PasswordSavedAlone, PasswordRulesOnTheirField, SetPasswordForm):
    """Django's, from a password reset or an invitation's link."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        say_what_to_type(self, NEW_PASSWORD_BOXES)


class AccountPasswordChangeForm(
    PasswordSavedAlone, PasswordRulesOnTheirField, ThrottledPasswordChangeForm
):
    """The signed-in person's, with the current password throttled."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        say_what_to_type(
            self, {"old_password": "Type your current password.", **NEW_PASSWORD_BOXES}
        )


class PasswordConfirmedForm(forms.Form):
    """A form the signed-in person confirms with their password, checked and throttled as a
    sign-in is; `mistyped_message` answers a wrong one and `empty_message` none, each saying
    what was left undone."""

    mistyped_message: str
    empty_message: str

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = request.user
        # Left empty, the box got Django's "This field is required.", saying not what to type.
        self.fields["password"].error_messages["required"] = self.empty_message

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_check(
            user=self.user,
            password=password,
            request=self.request,
            wrong=self.mistyped_message,
        )
        return password


class EmailChangeForm(PasswordConfirmedForm):
    """A new address for the signed-in person's account. It asks for the password: a session
    left open is not enough to take over the password resets."""

    email = SendableEmailField(
        label="New email address",
        max_length=User._meta.get_field("email").max_length,
        help_text=(
            "A link is sent to it; your address changes once you open that link (at once if "
            "only its case changes)."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        # Not Django's "This field is required.", which says not what to type: as the password's.
        error_messages={"required": "Type the new address. Your address was not changed."},
    )
    mistyped_message = "That is not your password. Your address was not changed."
    empty_message = "Type your password to change your address. Your address was not changed."
    field_order = ["email", "password"]

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if email == self.user.email:
            raise forms.ValidationError("This is already your address.")
        if email_taken(email, user=self.user):
            raise forms.ValidationError(EMAIL_TAKEN_MESSAGE)
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Counted only for a request that would send: a typo must not use up the day's emails.
        # The account's count first, so that its refusals leave the address's day alone.
        if self.errors or same_mailbox(cleaned["email"], self.user.email):
            return cleaned  # the same address spelt otherwise changes at once, with no email
        if not email_change_link_allowed(user_id=self.user.pk):
            logger.warning(
                "email change refused: too many links asked for today user=%s", self.user.pk
            )
            self.add_error(
                None,
                f"You asked for {EMAIL_CHANGE_LINKS_PER_ACCOUNT} links today, the most in a day. "
                "Nothing was sent; try again tomorrow.",
            )
        elif not account_email_allowed(email=cleaned["email"], ip=client_ip(self.request)):
            logger.warning("email change refused: too many emails to one address today")
            self.add_error(
                "email",
                "Too many emails were sent to this address today. Nothing was sent; try again "
                "tomorrow.",
            )
        return cleaned


class ConnectionShownForm(forms.Form):
    """Which connection the settings page showed, hidden in its forms that change it, and in
    its connect form (and the ones Django admin's delete pages list, in one field: LISTED):
    another tab or admin may have connected another board since, or disconnected and connected
    the same one again."""

    prefix = "shown"
    connection = forms.IntegerField(widget=forms.HiddenInput, required=False)
    board_token = forms.CharField(widget=forms.HiddenInput, required=False)
    # Whether the page said a key was stored, which the connect form's empty box keeps, and
    # which key it showed (KeyShown; "" for none).
    has_api_key = forms.BooleanField(widget=forms.HiddenInput, required=False)
    api_key_last5 = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
    api_key_mark = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)

    # Django admin's delete pages send the board of each connection they list in one field:
    # "Delete selected" lists many, and Django refuses a form of over 1000 fields
    # (DATA_UPLOAD_MAX_NUMBER_FIELDS), the boxes of the connections counted.
    LISTED = "shown-boards"

    @classmethod
    def of(cls, connection: GreenhouseConnection | None) -> ConnectionShownForm:
        """The fields of a page that shows `connection` (None: a page of an org not connected,
        whose connect form still says that it showed no key)."""
        initial = connection and {
            "connection": connection.pk,
            "board_token": connection.board_token,
            "has_api_key": connection.has_api_key,
            "api_key_last5": connection.api_key_last5,
            "api_key_mark": connection.api_key_mark,
        }
        # No ids: the page has the fields in each of its forms.
        return cls(initial=initial, auto_id=False)

    @staticmethod
    def listed_value(connections: Iterable[GreenhouseConnection]) -> str:
        """The LISTED field's value on a page that lists `connections`: each row's board."""
        return json.dumps(
            {str(connection.pk): connection.board_token for connection in connections}
        )

    @classmethod
    def sent_listed(
        cls, data: QueryDict, connection: GreenhouseConnection
    ) -> ConnectionShown | None:
        """`connection` as a page listing it sent it (LISTED); None without it (a page served
        before pages sent it, or a script), or malformed."""
        try:
            boards = json.loads(data.get(cls.LISTED, ""))
        except (ValueError, RecursionError):  # RecursionError: "[[[[...", nested too deep
            return None
        board_token = boards.get(str(connection.pk)) if isinstance(boards, dict) else None
        if not isinstance(board_token, str):
            return None
        return ConnectionShown(pk=connection.pk, board_token=board_token)

    def showed_a_key(self) -> bool:
        return self.is_valid() and self.cleaned_data["has_api_key"]

    def key_shown(self) -> KeyShown | None:
        """The key the page showed; None for a form sent without saying (by a page served
        before pages said it, or by a script)."""
        if self.add_prefix("api_key_mark") not in self.data or not self.is_valid():
            return None
        return KeyShown(
            mark=self.cleaned_data["api_key_mark"], last5=self.cleaned_data["api_key_last5"]
        )

    def shown(self) -> ConnectionShown | None:
        """The connection as sent; None from a page that showed none, or a script."""
        if not self.is_valid() or self.cleaned_data["connection"] is None:
            return None
        return ConnectionShown(
            pk=self.cleaned_data["connection"], board_token=self.cleaned_data["board_token"]
        )


# Added to an API key field's help text when a key is stored: on the settings page and in
# Django's admin.
KEEP_THE_STORED_KEY = "Leave empty to keep the key stored now."
ENTER_THE_KEY_AGAIN = "The key you entered was not kept: enter it again."


API_KEY_LIMIT = characters_at_most(API_KEY_MAX_LENGTH)
BOARD_TOKEN_LIMIT = characters_at_most(MAX_BOARD_TOKEN_LENGTH)


class ApiKeyField(NoMaxlengthInPage):
    """A box for a Job Board API key, of at most API_KEY_MAX_LENGTH characters (API_KEY_LIMIT,
    which each key box's help says)."""

    # In the words of the other boxes' limits, not Django's "Ensure this value has…".
    default_error_messages = {
        "max_length": (
            "An API key has at most %(limit_value)d characters; this one has %(show_value)d. "
            "Paste it again from Greenhouse."
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=API_KEY_MAX_LENGTH, **kwargs)


class ConnectForm(forms.Form):
    board_token = NoMaxlengthInPage(
        label="Board token",
        # A pasted board address can be long; the token read from it has at most 100.
        max_length=2000,
        help_text=(
            "The last part of your job board's address: “acme” in boards.greenhouse.io/acme; "
            f"{BOARD_TOKEN_LIMIT}. Pasting the whole address works too. In Greenhouse it is the "
            "URL token in your job board's settings."
        ),
        widget=forms.TextInput(attrs=EXACT_TEXT_ATTRS),
        error_messages={
            "required": "Type your board token, or paste your job board's address.",
            # Django's "at most 2000 characters" read as a token's limit, which is 100.
            "max_length": (
                f"A board token has at most {MAX_BOARD_TOKEN_LENGTH} characters, and the address "
                "of a job board far fewer than %(limit_value)d; this has %(show_value)d. Copy "
                "the token or the address from your job board again."
            ),
        },
    )
    api_key = ApiKeyField(
        label="Job Board API key (optional)",
        required=False,
        help_text=(
            f"Not needed to show jobs; {API_KEY_LIMIT}. In Greenhouse: Configure → Dev Center → "
            "API Credential Management → Create new API key, key type “Job Board”. Stored "
            "encrypted and never shown again."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(
        self, *args: Any, organization: Organization, has_api_key: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.board: Board | None = None
        if has_api_key:  # said only then: with none stored, it told of a key there was not
            self.fields["api_key"].help_text += f" {KEEP_THE_STORED_KEY}"

    def get_context(self) -> dict[str, Any]:
        # Refused for another field, or by the view once valid (SyncInProgress), the form comes
        # back with the key's box empty, as a password's (the key never goes back into the
        # page): said, or the board was connected without it once tried again. Decided as the
        # form is shown, when every error is known; on the bound field, which has the field's
        # help text as it was when made, so showing the form twice says it once. The key as
        # cleaned, not as typed: spaces alone are no key (clean_api_key).
        key = self["api_key"]
        if self.errors and self.cleaned_data.get("api_key"):
            key.help_text = f"{self.fields['api_key'].help_text} {ENTER_THE_KEY_AGAIN}"
        return super().get_context()

    def clean_board_token(self) -> str:
        """The token as typed, once it reads as one: one that cannot be asks Greenhouse
        nothing, so it is refused here, before the hour's checks count it (typos of a space or
        an accent used them up, the page then refusing the right token)."""
        typed = self.cleaned_data["board_token"]
        try:
            validate_board_token(board_token_of(typed))
        except InvalidBoardToken as exc:
            self._log_check_failed(typed, exc)
            raise forms.ValidationError(check_failure_message(exc)) from None
        return typed

    def clean_api_key(self) -> str | None:
        """None keeps a stored key: an empty field must not wipe it by accident."""
        return validate_api_key(self.cleaned_data["api_key"]) or None

    def _log_check_failed(self, token: str, exc: GreenhouseError) -> None:
        logger.info(
            "connect check failed org=%s token=%r error=%s",
            self.organization.slug,
            key_like_hidden(token),
            key_like_hidden(exc.message),  # which may quote the token
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        token = cleaned.get("board_token")
        if token and not self.errors:
            if not board_check_allowed(organization_id=self.organization.pk):
                logger.warning(
                    "connect check refused org=%s reason=too many", self.organization.slug
                )
                # The site's own refusal, no fault of the token either: the form's, as below.
                self.add_error(None, BOARD_CHECKS_REFUSED)
                return cleaned
            try:
                self.board = check_board(token)
            except GreenhouseError as exc:
                self._log_check_failed(token, exc)
                # Only a token Greenhouse cannot know is the field's fault. A refusal or an
                # outage is the form's, said once in its error summary: under the field too,
                # a five-line refusal took the page twice.
                token_wrong = isinstance(exc, InvalidBoardToken | BoardNotFound)
                self.add_error("board_token" if token_wrong else None, check_failure_message(exc))
        return cleaned


# A run of letters and digits as long as an API key's. A board token is public, and a slug:
# words between "-", logged as typed. A key is secret, and was logged in full once pasted in
# the token's box.
KEY_LIKE_RE = re.compile(r"[A-Za-z0-9]{20,}")


def key_like_hidden(text: str) -> str:
    """`text` for a log line, each run in it that may be an API key (KEY_LIKE_RE, with a digit)
    replaced by its length."""
    return KEY_LIKE_RE.sub(_hidden_if_key_like, text)


def _hidden_if_key_like(run: re.Match[str]) -> str:
    if not any(character.isdigit() for character in run[0]):
        return run[0]  # a long word ("internationalrobotics"), no key
    return f"[{len(run[0])} letters and digits, perhaps an API key, not logged]"


def validate_api_key(value: str) -> str:
    key = without_format_characters(value).strip()
    # One that shows nothing is no key. Zero-width spaces alone read as an empty box, and on the
    # key's own form that removed the stored key while saying it was replaced.
    if value and not shows_anything(key):
        raise forms.ValidationError(
            "An API key has letters and digits; paste it again from Greenhouse."
        )
    if any(character.isspace() for character in key):
        raise forms.ValidationError("An API key has no spaces; paste it again from Greenhouse.")
    # Greenhouse's keys are letters and digits: one with a control character can only be wrong.
    if not key.isprintable():
        raise forms.ValidationError(
            "An API key has no control characters; paste it again from Greenhouse."
        )
    # A key is sent in an HTTP header (Basic auth), which takes ASCII: one with an emoji or an
    # accented or full-width letter can only be wrong, and was stored ("it ends in 🔑🔑").
    if not key.isascii():
        raise forms.ValidationError(
            "An API key has only plain letters, digits and punctuation, with no emoji or "
            "accented letters; paste it again from Greenhouse."
        )
    return key


# Said for the key box sent empty, or with spaces alone (read as empty, as a field strips them),
# in place of Django's "This field is required.".
NO_KEY_ENTERED = (
    "No key was entered: the box was empty or held only spaces. Paste the key from Greenhouse."
)
# Then said too, when a key is stored: an empty box here does not remove it, the button does,
# named as the settings page labels it.
REMOVE_THE_STORED_KEY = "To stop using the stored key, press “Remove the stored key…” instead."


class ApiKeyForm(forms.Form):
    prefix = "key"  # shares the settings page with ConnectForm's own api_key field
    api_key = ApiKeyField(
        label="New Job Board API key",
        help_text=f"As Greenhouse shows it, key type “Job Board”; {API_KEY_LIMIT}.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        error_messages={"required": NO_KEY_ENTERED},
    )

    def __init__(self, *args: Any, has_api_key: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if has_api_key:
            self.fields["api_key"].error_messages["required"] = (
                f"{NO_KEY_ENTERED} {REMOVE_THE_STORED_KEY}"
            )

    def clean_api_key(self) -> str:
        return validate_api_key(self.cleaned_data["api_key"])


# Said on the field and again, beside it, when a number outside them is sent.
SYNC_INTERVAL_BOUNDS = (
    f"Between {MIN_SYNC_INTERVAL_MINUTES} minutes and {MAX_SYNC_INTERVAL_MINUTES // 60} hours"
)
SYNC_INTERVAL_OUT_OF_BOUNDS = (
    f"{SYNC_INTERVAL_BOUNDS} ({MAX_SYNC_INTERVAL_MINUTES:,} minutes), please."
)
# Wherever the interval is typed (settings page, Django's admin): left empty, past either bound.
SYNC_INTERVAL_ERRORS = {
    "required": (
        "Type how often to sync, in minutes: "
        f"{MIN_SYNC_INTERVAL_MINUTES} to {MAX_SYNC_INTERVAL_MINUTES:,}."
    ),
    "min_value": SYNC_INTERVAL_OUT_OF_BOUNDS,
    "max_value": SYNC_INTERVAL_OUT_OF_BOUNDS,
}


class ScheduleForm(ChangedMeanwhileRefused, forms.Form):
    """How often the org syncs, and whether it is paused, as its connection has them now."""

    sync_interval_minutes = forms.IntegerField(
        label="Sync every (minutes)",
        min_value=MIN_SYNC_INTERVAL_MINUTES,  # also the box's min and max
        max_value=MAX_SYNC_INTERVAL_MINUTES,
        error_messages=SYNC_INTERVAL_ERRORS,
        help_text=f"{SYNC_INTERVAL_BOUNDS}. Refresh now syncs at once whatever this says.",
    )
    paused = forms.BooleanField(
        label="Pause syncing",
        required=False,
        help_text="Jobs stay as they are until you resume.",
    )

    def __init__(self, *args: Any, connection: GreenhouseConnection, **kwargs: Any) -> None:
        kwargs["initial"] = {
            "sync_interval_minutes": connection.sync_interval_minutes,
            "paused": not connection.enabled,
        }
        super().__init__(*args, **kwargs)

    def changes(self) -> tuple[int | None, bool | None]:
        """The interval and pause this page changed; None for either it left as shown, which
        stays as saved now: another admin may have paused syncing, or set the interval, since
        the page was loaded (connection_schedule_update reads it under the row's lock)."""
        changed, sent = self.changed_data, self.cleaned_data
        return (
            sent["sync_interval_minutes"] if "sync_interval_minutes" in changed else None,
            sent["paused"] if "paused" in changed else None,
        )


class TagsField(forms.CharField):
    """Tags typed as 'remote, python, senior', kept as a list of trimmed unique strings."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        tags: list[str] = []
        # Kept as they go, not made again per tag: a box of 20,000 held a web process 16 s.
        casefolded: set[str] = set()
        text = super().to_python(value) or ""
        # Controls (DEL and C1 too) are dropped as from the names typed here, or a visitor
        # would see boxes in a badge; all but a NUL, which the validators refuse.
        if "\x00" not in text:
            text = clean_text(text)
        for raw in text.split(","):
            # Composed: "é" typed as e and an accent is the "é" of another keyboard.
            tag = composed(" ".join(raw.split()))
            # "Python" and "python" read as one tag to a visitor, so the first spelling wins; so
            # does "py\u200bthon", its zero-width space unseen. One that shows nothing (zero-width
            # spaces alone) would be an empty badge.
            key = without_format_characters(tag).casefold()
            if shows_anything(tag) and key not in casefolded:
                tags.append(tag)
                casefolded.add(key)
        return tags

    def run_validators(self, value: list[str]) -> None:
        # Each tag, not the list: the null-character check reads the list's repr, where a NUL
        # is the four characters "\x00" (and PostgreSQL refuses the real one).
        for tag in value:
            super().run_validators(tag)

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > MAX_TAGS:
            raise forms.ValidationError(f"At most {MAX_TAGS} tags, please.")
        too_long = [tag for tag in value if len(tag) > MAX_TAG_LENGTH]
        if too_long:
            shown = cut_at_word(too_long[0], TOO_LONG_TAG_SHOWN)
            raise forms.ValidationError(
                f"A tag has at most {MAX_TAG_LENGTH} characters: “{shown}” is longer."
            )


class JobSiteFieldsForm(ChangedMeanwhileRefused, forms.ModelForm):
    """Only the fields this site owns; Greenhouse's fields are not in the form at all."""

    tags = TagsField(
        label="Tags",  # a model field's would be "Tags" too; unlabelled, the history said "tags"
        required=False,
        help_text=(
            "Separated by commas, e.g. “remote, python, senior”; "
            f"at most {MAX_TAGS} tags of {MAX_TAG_LENGTH} characters each."
        ),
    )

    class Meta:
        model = Job
        fields = Job.SITE_FIELDS
        field_classes = {"compensation_note": ShownOrEmptyField}
        help_texts = {
            "featured": "Featured jobs are listed first.",
            "hidden": "Hidden jobs are not shown to visitors, even while open in Greenhouse.",
            "compensation_note": "Shown with the job, e.g. “€60–70k + equity”; "
            f"{at_most_characters(Job, 'compensation_note')}.",
            "remote_policy": (
                "The first choice follows the Greenhouse post, as each sync reads it; the others "
                "override it."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Empty means "as Greenhouse says" (Job.effective_remote_policy): name what that is,
        # or an admin cannot tell what visitors see. Django's admin leaves the field out for
        # staff who may only view the job.
        greenhouse_policy = self.instance.greenhouse_remote_policy
        if greenhouse_policy and "remote_policy" in self.fields:
            follow_greenhouse = f"As Greenhouse says: {Job.RemotePolicy(greenhouse_policy).label}"
            self.fields["remote_policy"].choices = [
                (value, label if value else follow_greenhouse)
                for value, label in self.fields["remote_policy"].choices
            ]

    def save(self, commit: bool = True) -> Job:
        job = super().save(commit=False)
        # Only these columns: a sync may have rewritten Greenhouse's fields (or closed the job)
        # since this form read the row, and writing the old values back would stick, since the
        # next sync finds the board unchanged.
        if commit and not fields_save_if_row_exists(job, self.changed_data):
            raise Job.DoesNotExist("the job was deleted, with its org, since the form read it")
        return job


class MemberAddForm(forms.Form):
    email = SendableEmailField(
        label="Email",
        max_length=User._meta.get_field("email").max_length,
        help_text="Someone without an account gets an email inviting them to set a password.",
        error_messages={"required": "Type the email address of the person to add."},
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class OrganizationRowPickForm(forms.Form):
    """Names one of the org's rows (`related_name`) in its field `field_name`; any other id is
    'not found', never someone else's."""

    field_name: str
    related_name: str

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rows = getattr(organization, self.related_name)
        self.fields[self.field_name].queryset = rows.select_related("user")


class MembershipPickForm(OrganizationRowPickForm):
    field_name, related_name = "membership", "memberships"
    membership = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        error_messages={"invalid_choice": "That person is not a member any more."},
    )


class InvitationPickForm(OrganizationRowPickForm):
    field_name, related_name = "invitation", "invitations"
    invitation = forms.ModelChoiceField(
        queryset=Invitation.objects.none(),
        error_messages={"invalid_choice": "That invitation was already accepted or cancelled."},
    )


class MembershipRoleForm(MembershipPickForm):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class OrganizationDeleteForm(forms.Form):
    """Deleting an org cannot be undone: its admin types the org's slug, as a second thought."""

    confirm = forms.CharField(
        max_length=Organization._meta.get_field("slug").max_length,
        widget=forms.TextInput(attrs=EXACT_TEXT_ATTRS),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["confirm"].label = f"To confirm, type {organization.slug}"
        # Left empty, the box got Django's "This field is required.", saying not what to type.
        self.fields["confirm"].error_messages["required"] = self.mistyped_message

    @property
    def mistyped_message(self) -> str:
        organization = self.organization
        name = name_in_sentence(organization.name)
        typed = ending_sentence(f"Type {organization.slug} exactly to delete {name}")
        return f"{typed} Nothing was deleted."

    def clean_confirm(self) -> str:
        confirm = self.cleaned_data["confirm"]
        if confirm != self.organization.slug:
            raise forms.ValidationError(self.mistyped_message)
        return confirm


class AccountDeleteForm(PasswordConfirmedForm):
    """Deleting an account asks for its password: a session left open is not enough."""

    mistyped_message = "That is not your password. Nothing was deleted."
    empty_message = "Type your password to delete your account. Nothing was deleted."
