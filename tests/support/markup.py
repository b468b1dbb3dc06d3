"""Finding executable markup in a response: what an XSS vector would leave behind if it survived."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

# Elements that run, load, restyle or submit; none of them comes from the site's own templates.
FORBIDDEN_ELEMENTS = frozenset(
    {
        "applet", "audio", "base", "details", "embed", "frame", "frameset", "iframe", "img",
        "isindex", "marquee", "math", "noscript", "object", "source", "style", "svg",
        "template", "video", "xss",
    }
)  # fmt: skip
URL_ATTRIBUTES = frozenset(
    {"action", "background", "data", "formaction", "href", "poster", "src", "srcset"}
)
RISKY_SCHEMES = ("javascript:", "vbscript:", "data:")
# What a browser ignores inside a URL's scheme: ASCII whitespace and control characters.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]")
OWN_STATIC = "/static/"
OWN_LINK_RELS = (["canonical"], ["alternate"], ["prev"], ["next"])


def _risky_url(value: str) -> bool:
    return _IGNORED_IN_SCHEME.sub("", value).lower().startswith(RISKY_SCHEMES)


def _own_link(attributes: dict) -> bool:
    """The templates' links: own stylesheets and icon, and canonical, feed and paging links."""
    rel = attributes.get("rel", [])
    if rel in (["stylesheet"], ["icon"]):
        return str(attributes.get("href", "")).startswith(OWN_STATIC)
    return rel in OWN_LINK_RELS


def executable_markup(html: str) -> list[str]:
    """Each piece of markup in `html` that could run script, load from elsewhere or restyle."""
    problems: list[str] = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        name = tag.name.lower()
        attributes = {key.lower(): value for key, value in tag.attrs.items()}
        if name == "script":
            if attributes.get("type") == "application/ld+json":
                continue
            if str(attributes.get("src", "")).startswith(OWN_STATIC) and not tag.string:
                continue
            problems.append(str(tag)[:120])
            continue
        if name in FORBIDDEN_ELEMENTS:
            problems.append(f"<{name}> element")
        if name == "link" and not _own_link(attributes):
            problems.append(str(tag)[:120])
        if name == "meta" and "http-equiv" in attributes:
            problems.append(str(tag)[:120])
        if name == "form" and _risky_url(str(attributes.get("action", ""))):
            problems.append(str(tag)[:120])
        for key, value in attributes.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if key.startswith("on") or key in ("style", "srcdoc") or key.startswith("xlink"):
                problems.append(f"{key}= on <{name}>")
            elif key in URL_ATTRIBUTES and _risky_url(text):
                problems.append(f"{key}={text[:60]!r} on <{name}>")
    return problems
