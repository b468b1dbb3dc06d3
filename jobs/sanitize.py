"""Turn Greenhouse's escaped job content into safe HTML and a plain-text excerpt.

Greenhouse escapes `content` once (`&lt;p&gt;`), so it is unescaped once and then cleaned with
an explicit allow-list. nh3 is the sanitizer; BeautifulSoup only reads text out of the result.
"""

import html

import nh3
from bs4 import BeautifulSoup

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "small", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
# No h1: the job title is the page's only h1. No style, no class: the site's CSS decides.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"
EXCERPT_LENGTH = 280


def sanitize_content(escaped_content: str) -> str:
    """Unescape Greenhouse's content once and keep only allow-listed markup."""
    return nh3.clean(
        html.unescape(escaped_content or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def excerpt_of(safe_html: str, length: int = EXCERPT_LENGTH) -> str:
    """Plain text for listings and meta descriptions, cut at a word boundary."""
    text = " ".join(BeautifulSoup(safe_html, "html.parser").get_text(" ").split())
    if len(text) <= length:
        return text
    cut = text[: length - 1].rsplit(" ", 1)[0].rstrip(" ,.;:—-")
    return f"{cut}…"
