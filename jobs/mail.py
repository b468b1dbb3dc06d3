"""What the site's own emails (invitations, sync alerts, password resets, address changes) have
in common."""

from __future__ import annotations

import logging
import operator
import smtplib
import unicodedata
from functools import reduce

from django.conf import settings
from django.core.mail.message import EmailMessage, sanitize_address
from django.db.models import Q
from django.utils.encoding import punycode

from jobs.text import title_without_direction_controls

logger = logging.getLogger(__name__)

# RFC 3834: made by the site from a template, not written by a person (an invitation too,
# though an admin's click sends it), so autoresponders and out-of-office replies must not
# answer it; their replies would go to DEFAULT_FROM_EMAIL, which nobody reads. Exchange and
# Outlook ignore that header and read their own.
AUTOMATED_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}

# What a mail server that refused an email or could not be reached raises: a line in the log
# for whoever runs the site, not a traceback, which is for bugs.
MAIL_SERVER_ERRORS = (smtplib.SMTPException, OSError)

UNSENDABLE_ADDRESS_MESSAGE = (
    "An email cannot be sent to this address: the part after @ has a character that a domain "
    "name cannot have, or a part between dots that is empty or too long. Check it for a typo."
)


def address_sendable(address: str) -> bool:
    """Whether Django's mail backends can write `address` in an email's To header and in the
    SMTP envelope. Both encode its domain with IDNA, which refuses some that Django's email
    validator lets through: a label over 63 characters once encoded ("é" repeated 60 times),
    an empty one ("a@。x.com": 。 is a full stop) or a line or paragraph separator. Sending then
    raises instead of failing at the mail server."""
    message = EmailMessage(from_email="check@example.com", to=[address])
    try:
        message.message()  # the To header
        sanitize_address(address, message.encoding or settings.DEFAULT_CHARSET)  # RCPT TO
    # UnicodeError is a ValueError. Python's address parser fails on some addresses with other
    # errors: an unclosed domain literal ("a@[") with an AttributeError, "<>" with a TypeError,
    # a lone double quote with an IndexError, "a@[ " with an UnboundLocalError.
    except (ValueError, AttributeError, TypeError, IndexError, UnboundLocalError):
        return False
    return True


def mailbox(address: str) -> str | None:
    """The mailbox an email to `address` reaches, as the mail server is told it (RCPT TO): its
    domain in IDNA ("straße" as strasse), a local part beyond ASCII as an encoded word, in
    lowercase, as mail servers read addresses. None if it cannot be sent to. Not email_key,
    which is one for "ſam" and "sam", two mailboxes once sent."""
    if not address_sendable(address):
        return None
    return sanitize_address(address, settings.DEFAULT_CHARSET).lower()


# The longest domain DNS has. IDNA's decoder takes time in the square of a label's length before
# refusing one over 63 characters, and sign-in spells any username typed (usernames_alike), which
# Django's sign-in form does not bound: "a@xn--" and 40,000 digits took 3.5 s, 2 MB hours.
DOMAIN_MAX_LENGTH = 253


def address_shown(address: str) -> str:
    """`address` as people read it: its domain's IDNA labels in Unicode, "carol@exämple.com"
    for "carol@xn--exmple-cua.com", which is what Chromium sends from an email field typed as
    the former, and so what is stored, compared and emailed to. One that does not decode (or
    decoded would not encode back to it), or a label of which mixes scripts, is shown as it
    is: "exаmple.com" with a Cyrillic "а" would pass for another's "example.com" on the members
    page, as browsers show such a domain in IDNA for that reason."""
    local, at, domain = address.rpartition("@")
    if not at or "xn--" not in domain.lower() or len(domain) > DOMAIN_MAX_LENGTH:
        return address
    try:
        # Lowercased: Python's codec decodes no "XN--" label (domains are read in any case).
        decoded = domain.lower().encode("ascii").decode("idna")
    except UnicodeError:
        return address
    if not all(_in_one_script(label) for label in decoded.split(".")):
        return address
    return f"{local}@{decoded}"


# Written together in one name (Japanese, Chinese, Korean), with Latin letters too, as
# Chromium's display of domains allows them.
EAST_ASIAN_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO")


def _in_one_script(label: str) -> bool:
    """Whether the label's letters are of one script, or Latin and East Asian ones."""
    scripts = set()
    for character in label:
        if character.isalpha():
            name = unicodedata.name(character, "")
            scripts.add("EAST ASIAN" if name.startswith(EAST_ASIAN_SCRIPTS) else name.split(" ")[0])
    return len(scripts) <= 1 or scripts == {"LATIN", "EAST ASIAN"}


def address_in_idna(address: str) -> str:
    """`address` with its domain as Chromium sends it from an email field and address_shown()
    reads it back: "carol@xn--exmple-cua.com" for "carol@exämple.com". One whose domain does
    not encode is returned as it is."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii() or len(domain) > DOMAIN_MAX_LENGTH:
        return address
    try:
        return f"{local}@{punycode(domain)}"
    except UnicodeError:
        return address


def addresses_alike(field: str, address: str) -> Q:
    """The rows whose `field` is `address` in any case, with its domain in IDNA or in Unicode:
    "carol@xn--exmple-cua.com" and "carol@exämple.com" are one mailbox (mailbox()), the site
    shows the former as the latter, and browsers but Chromium send the latter as typed."""
    in_idna = address_in_idna(address)
    # The Unicode one as decoded, in lower case: SQLite's "iexact" folds ASCII letters alone,
    # and "EXÄMPLE.com" would not find "exämple.com" there.
    spellings = dict.fromkeys((address, in_idna, address_shown(in_idna)))
    return reduce(operator.or_, (Q(**{f"{field}__iexact": spelling}) for spelling in spellings))


def email_subject(subject: str) -> str:
    """One line (a line break in a subject raises BadHeaderError, and a name typed by someone
    may hold one), as email_body() writes a body."""
    return email_body(" ".join(subject.split()))


def email_body(body: str) -> str:
    """The text without the direction controls a name in it could leave open (jobs/text.py), but
    for the isolates name_in_sentence puts around a name, which leave none open: the templates
    name an org so, as the subject does, and "admin of 2024 מרכז." showed the name as if it
    ended with its digits (which took the direction of the words before them)."""
    return title_without_direction_controls(body)


def automated_email_send(*, subject: str, body: str, to: str, kind: str, user_id: int) -> bool:
    """Send one of the site's emails about account `user_id` to one address, with
    AUTOMATED_HEADERS; False (and logged as "<kind> email failed") if the mail server refused it
    or could not be reached."""
    try:
        EmailMessage(
            email_subject(subject), email_body(body), to=[to], headers=AUTOMATED_HEADERS
        ).send()
    except MAIL_SERVER_ERRORS as exc:
        logger.error("%s email failed user=%s error=%r", kind, user_id, exc)
        return False
    return True
