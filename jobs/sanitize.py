"""Turn Greenhouse's escaped job content into safe HTML and a plain-text excerpt.

Greenhouse escapes `content` once (`&lt;p&gt;`), so it is unescaped once and then cleaned with
an explicit allow-list. nh3 is the sanitizer; BeautifulSoup reads the excerpt's text, and a
faster reader of nh3's own output gives the full text for search.
"""

import html
import re
from collections.abc import Callable
from contextvars import ContextVar
from urllib.parse import urljoin, urlsplit

import nh3
from bs4 import BeautifulSoup, SoupStrainer

from jobs.greenhouse import MAX_CONTENT_CHARS
from jobs.text import (
    BLANK_CHARACTERS,
    LANGUAGE_TAG_RE,
    UNWANTED_CHARACTERS_RE,
    backslashes_as_browsers_read,
    clean_text,
    grapheme_start,
    shows_anything,
    without_direction_controls,
    without_leading_blanks,
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "bdi", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt",
    "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "small", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
# No h1: the job title is the page's only h1. No style, no class: the site's CSS decides. No
# bdo: it lays its text out letter by letter in the direction its dir gives, and in the one
# around it without one, Hebrew in an English post backwards; dropped, its text stays.
ALLOWED_ATTRIBUTES = {
    # On any tag. A paragraph's direction, right-to-left (Hebrew, Arabic) in a left-to-right
    # post or the reverse: without it, its punctuation and numbers land on the wrong side (only
    # HTML's keywords, TEXT_DIRECTIONS). Its language and a title, which nh3 allows on any tag
    # by default, and would drop once this key is given.
    "*": {"dir", "lang", "title"},
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
TEXT_DIRECTIONS = {"ltr", "rtl", "auto"}
# BCP 47 asks software to hold language tags of 35 characters (RFC 5646, 4.4.1), which only the
# rarest pass: a longer lang, of subtags without end, is dropped, not stored with the post.
MAX_LANGUAGE_TAG_CHARS = 35
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"
# `&amp;` last: every `&` the others leave is then a literal one, as one html.unescape() pass
# would read it (`&amp;lt;` is the text "&lt;").
GREENHOUSE_ENTITIES = (
    ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&"),
)  # fmt: skip
# An `&` that starts none of them: one regex pass, where counting each entity took six.
OTHER_REFERENCE_RE = re.compile(
    "&(?!{})".format("|".join(re.escape(entity[1:]) for entity, _ in GREENHOUSE_ENTITIES))
)
# nh3's output can be many times its input: every link gains a rel attribute, and a relative
# one the post's whole address (up to 1,000 characters). 10,000 links to "#" made 5 MB of one
# post's 135 KB, a board of them gigabytes for the sync and for its jobs.json. Real clean
# descriptions are a fortieth of this.
MAX_SAFE_HTML_CHARS = 2 * MAX_CONTENT_CHARS
EXCERPT_LENGTH = 280
# Characters of sanitized HTML read for an excerpt at first; four times more each time that
# was too little text (a head of mostly markup).
EXCERPT_SOURCE_CHARS = 500
# The excerpt needs only text: BeautifulSoup then builds no tag objects (a third cheaper).
TEXT_ONLY = SoupStrainer(string=True)
# A tag in nh3's output: it escapes `<` and `>` everywhere else, attribute values included
# (from nh3 0.3.7 on, the least pyproject.toml takes).
SAFE_HTML_TAG_RE = re.compile(r"<[^>]*>")
# The allowed inline tags, which run on with the words around them as a browser shows them:
# get_text(" ") puts a space at every tag, and excerpts read "Apply using this link . Applications".
INLINE_TAG_RE = re.compile(r"</?(?:a|abbr|b|bdi|code|em|i|s|small|span|strong|sub|sup|u)\b[^>]*>")
# Greenhouse opens the descriptions of a board with a company intro set up once for all its
# posts (`<div class="content-intro">`), and ends them with a conclusion (`content-conclusion`,
# most often the equal-opportunity text), after the pay range on a board with pay transparency
# (`content-pay-transparency`, its pay-input's description, title and pay-range): an excerpt
# taken from any of them would be the same for every job of the org, or a pay range, so it
# starts after the intro, and is not the blocks after the post's own description alone. nh3
# drops their classes; the divs stay.
GREENHOUSE_BLOCK = r"""<div\s[^>]*\bclass\s*=\s*["']?[^"'>]*\b{}\b"""
INTRO_START_RE = re.compile(r"\s*" + GREENHOUSE_BLOCK.format("content-intro"))
BOARD_TAIL_CLASSES = ("content-pay-transparency", "content-conclusion")
# Where those blocks start in a post's content is read tag by tag, each tag once: searched for
# with GREENHOUSE_BLOCK, each "<div " was read on to the end of its tag (of a comment, a long
# attribute), and a post of 40,000 characters of them kept a sync 30 s on one post.
DIV_START_TAG_RE = re.compile(r"<div\s[^<>]*>")
CLASS_VALUE_RE = re.compile(r"""\bclass\s*=\s*["']?([^"'<>]*)""")
BOARD_TAIL_CLASS_RE = re.compile(rf"\b(?:{'|'.join(BOARD_TAIL_CLASSES)})\b")
INTRO_HEAD_CHARS = 200
# The job title is the page's h1. Posts that use h1 for their own sections (real ones do) have
# every heading moved a level down, so the sections keep their shape under the title.
H1_TAG_RE = re.compile(r"<h1\b", re.IGNORECASE)
HEADING_TAG_RE = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)
DIV_TAG_RE = re.compile(r"<(/?)div[\s>]")
# Markup that holds no words but a div's: blank paragraphs and line breaks, which editors leave
# about Greenhouse's conclusion.
BLANK_MARKUP_RE = re.compile(r"(?:\s|&nbsp;|<(?!/?div[\s>])[^>]*>)*")
# Markup that holds no words, divs and all: an empty div is no description.
WORDLESS_MARKUP_RE = re.compile(r"(?:\s|&nbsp;|<[^>]*>)*")
# The characters clean_text() drops and nh3 keeps: C0 controls but for NUL, tab, newline and
# carriage return, then DEL and C1 (U+007F-U+009F), and the noncharacters U+FFFE and U+FFFF.
# Browsers show them as boxes, and feeds (XML 1.0) cannot carry C0 or the noncharacters. nh3
# drops NUL itself, and looking for it cost as much as for all the others (in text stored two
# bytes a character, every ASCII one has a 0).
CONTROLS = "".join(
    chr(code)
    for code in (*range(1, 0xA0), 0xFFFE, 0xFFFF)
    if UNWANTED_CHARACTERS_RE.fullmatch(chr(code))
)

# A link that shows nothing: one around an image (a logo, a social network's icon, an "Apply"
# banner), which the allow-list drops, or around blanks. Browsers still stop on it with Tab, a
# focus of no size a keyboard user loses sight of, and read it out as "link" and its address.
# Its tags go, whatever it holds stays (blanks, empty inline tags, a line break). The regex
# finds the links of no letter, digit or entity but "&nbsp;", the letters fonts draw blank
# (BLANK_CHARACTERS: the Hangul fillers) read as blanks; of those, the ones of characters that
# show (an arrow, "|") stay (_links_or_what_they_hold). nh3 writes each link's start tag as `<a `
# and its attributes; from 0.3.7 on (pyproject.toml), it writes no `<` but to open a tag:
# before, a title's "<a x" was read as a link, and taking its tags away took the title's
# closing quote (tests/test_sync.py). A link may hold another in a table's cell or caption
# (HTML's parser closes an open link at a new one but there): what a link holds is read up to
# a link's start tag, or the outer link's start tag and the inner one's end went, and a link
# 4,000 deep was read 4,000 times, 9 s.
# Those \w takes alone (str.isalnum, not the Braille blank, which [^<&\w] reads): two
# alternatives of one character read a run of it 2^n ways before a word (22: 0.5 s).
BLANK_LETTERS = "".join(sorted(filter(str.isalnum, BLANK_CHARACTERS)))
EMPTY_LINK_RE = re.compile(
    rf"<a\s[^>]*>((?:&nbsp;|[^<&\w]|[{BLANK_LETTERS}]|<(?!/a>|a\s)[^>]*>)*)</a>"
)

# A link in a post can be relative to the page Greenhouse publishes it on (`href="/benefits"`):
# here it would lead into this site, so it is read against that page's address, as a browser
# reading the post there would. The address of the post being cleaned, for CLEANER's callback
# (a context variable: the sync cleans posts on several threads).
POST_URL: ContextVar[str] = ContextVar("post_url", default="")
# A relative link's opening slashes, two or more: browsers read them as the "//" before a host
# (the WHATWG URL standard skips any more, and tabs and line breaks among them), where urljoin
# reads the ones after two as the path's, and left the host out: "///kestrel.example/x".
LEADING_SLASHES_RE = re.compile(r"\A[\x00-\x20]*/[\t\n\r]*/[/\t\n\r]*")


def _resolve_relative_link(url: str) -> str | None:
    """A relative link against the post's own address; none when the post has no address, or
    when urllib cannot read the link ("//[docs"): nh3 would log its error as a traceback. Its
    "\\" before the query is read as "/", as browsers read it against an http(s) page: urljoin
    read "\\\\evil.example/x" and "\\benefits" as paths under the post's own. So are its
    opening slashes, two or more: the "//" before a host (LEADING_SLASHES_RE)."""
    post_url = POST_URL.get()
    if not post_url:
        return None
    link = LEADING_SLASHES_RE.sub("//", backslashes_as_browsers_read(url), count=1)
    try:
        return urljoin(post_url, link)
    except ValueError:
        return None


def is_web_link_without_host(url: str) -> bool:
    """Whether `url` is an http(s) address without a host name ("https:jobs", "https:/jobs").
    nh3 keeps one, its scheme allowed, and browsers read it against the page it is on: a link
    into this site (or, on a page of the other scheme, to a host "jobs"). Greenhouse writes its
    links whole, as it does the post's address, which the sync refuses without a host too."""
    try:
        address = urlsplit(url)  # read as browsers read it: tabs and line breaks left out
    except ValueError:  # "https://[": nh3 drops it itself
        return False
    return address.scheme in ("http", "https") and not address.hostname


def is_language_tag(value: str) -> bool:
    """Whether a description keeps `value` as a lang: a language tag of at most
    MAX_LANGUAGE_TAG_CHARS (also used by migration 0049)."""
    return len(value) <= MAX_LANGUAGE_TAG_CHARS and bool(LANGUAGE_TAG_RE.fullmatch(value))


def _attribute_value_allowed(element: str, attribute: str, value: str) -> str | None:
    """CLEANER's attribute filter: an href that is_web_link_without_host() is dropped, as one
    of a scheme not allowed is (the link's text stays), a dir that is none of TEXT_DIRECTIONS
    (read in any case, as browsers read it; written in lower case), and a lang that is no
    language tag ("en US", "français"): it hid the post's language from what it holds, and
    told a screen reader none it could read it in. A title, which a browser shows as plain
    text in a tooltip, loses the direction controls it has (without_direction_controls): an
    override there showed a link's "cv\u202egpj.exe" as "cvexe.jpg"."""
    if attribute == "href":
        return None if is_web_link_without_host(value) else value
    if attribute == "dir":
        direction = value.lower()
        return direction if direction in TEXT_DIRECTIONS else None
    if attribute == "lang":
        return value if is_language_tag(value) else None
    if attribute == "title":
        return without_direction_controls(value)
    return value


# Built once: nh3.clean() converts the allow-lists on every call, 14% of sanitizing a
# description (bench/README.md).
CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_attribute_value_allowed,
    url_schemes=ALLOWED_URL_SCHEMES,
    link_rel=LINK_REL,
    strip_comments=True,
    url_relative=_resolve_relative_link,
)


def sanitize_content(escaped_content: str, *, post_url: str = "") -> str:
    """Unescape Greenhouse's content once and keep only allow-listed markup; relative links
    are read against `post_url` (the post's `absolute_url`), or dropped without one."""
    content = _headings_below_title(unescape_once(escaped_content or ""))
    post_url_token = POST_URL.set(post_url)
    try:
        safe_html = CLEANER.clean(content).strip()
    except UnicodeEncodeError:
        # A lone surrogate (a JSON escape such as \ud800) cannot cross into nh3. Cleaned only
        # then: scanning every description first would cost a tenth of sanitizing.
        safe_html = CLEANER.clean(clean_text(content)).strip()
    finally:
        POST_URL.reset(post_url_token)
    # nh3 reads a numeric reference as its code point, whatever that is (`&#1;`, `&#xFFFE;`),
    # in text and attributes alike. Scanned only where one was or a control is: a regex
    # scanning every description would cost a tenth of sanitizing, where looking for each
    # control on its own costs a twenty-fifth (bench/README.md).
    if "&#" in content or any(control in safe_html for control in CONTROLS):
        safe_html = clean_text(safe_html)
    return without_empty_links(safe_html)


def without_empty_links(safe_html: str) -> str:
    """Sanitized HTML without its links that show nothing (EMPTY_LINK_RE), what they held kept:
    blanks, zero-width characters and direction marks, as shows_anything() reads them. Read
    only where a link ends after no word, which its few ends tell: the regex read every post
    through (8 µs of 5 KB, 3% of sanitizing it) for the few that hold one."""
    end = safe_html.find("</a>")
    while end != -1:
        before = safe_html[end - 1]
        # A tag, "&nbsp;", or a character that shows nothing (a blank, a zero-width space):
        # not only ASCII blanks, or a link of an em space was kept but beside an emptier one.
        if before in ">;" or not shows_anything(before.strip()):
            return EMPTY_LINK_RE.sub(_links_or_what_they_hold(safe_html), safe_html)
        end = safe_html.find("</a>", end + len("</a>"))
    return safe_html


def _links_or_what_they_hold(safe_html: str) -> Callable[[re.Match[str]], str]:
    """EMPTY_LINK_RE's replacement in `safe_html`: what a link holds if none of it shows, else
    the link as it was; and the link as it was when it holds a heading and is in one. HTML's
    parser closes an open heading at a new one, but not across a link: nh3 keeps
    '<h2><a href=…><h6></h6></a>Benefits</h2>' so, and the link's tags taken out, a browser
    read "Benefits" after the h2, no longer a heading. Where the headings are open is read only
    for such a link, on from the last one: each heading tag once."""
    read_to = open_headings = 0

    def link_or_what_it_holds(link: re.Match[str]) -> str:
        nonlocal read_to, open_headings
        text = SAFE_HTML_TAG_RE.sub("", link[1]).replace("&nbsp;", " ")
        if shows_anything("".join(text.split())):
            return link[0]
        if HEADING_TAG_RE.search(link[1]):
            for tag in HEADING_TAG_RE.finditer(safe_html[read_to : link.start()]):
                open_headings += -1 if tag[1] else 1
            read_to = link.start()
            if open_headings:
                return link[0]
        return link[1]

    return link_or_what_it_holds


def safe_html_head(safe_html: str, max_chars: int = MAX_SAFE_HTML_CHARS) -> str:
    """sanitize_content()'s output cut to about `max_chars`, between tags and entities (nh3
    writes `<` and `&` only to open them) and before a character across the cut (its "👩" of
    "👩‍💻" showed alone at the description's end), with the elements left open closed again."""
    head = safe_html[: grapheme_start(safe_html, max_chars)]
    for opening, closing in (("<", ">"), ("&", ";")):
        start = head.rfind(opening)
        if start > head.rfind(closing):
            head = head[:start]
    # A cut just after a link's start tag left it empty once closed again.
    return without_empty_links(CLEANER.clean(head).strip())


def _headings_below_title(content: str) -> str:
    """Every heading a level down (h1 as h2, h6 stays h6), in a post that has an h1: the
    allow-list has none, and pages number what is kept under their own (headings_under)."""
    if not H1_TAG_RE.search(content):
        return content
    return HEADING_TAG_RE.sub(lambda tag: f"<{tag[1]}h{min(int(tag[2]) + 1, 6)}", content)


def headings_under(safe_html: str, level: int) -> str:
    """sanitize_content()'s output as sections under a page's h`level`, in the order they come:
    a heading is an h`level + 1` with none of a higher level above it in the post, else a level
    below the nearest one that is (h6 at most), so none is skipped. Posts open with h3 or h4 as
    often as h2, some with an intro's h4 above sections of h2: a screen reader's list of
    headings would jump from the page's own to an h4."""
    # The headings whose sections are open: each one's level in the post and on the page.
    sections: list[tuple[int, int]] = []
    # The page levels of the heading tags not yet closed: nh3 keeps a heading inside another
    # when a div holds it (`<h2><div><h3>`), so a closing tag may not be the last section's.
    open_tags: list[int] = []

    def renumbered(tag: re.Match) -> str:
        closing, found = tag[1], int(tag[2])
        if closing:
            return f"</h{open_tags.pop() if open_tags else found}"
        while sections and sections[-1][0] >= found:
            sections.pop()
        under = sections[-1][1] if sections else level
        sections.append((found, min(under + 1, 6)))
        open_tags.append(sections[-1][1])
        return f"<h{sections[-1][1]}"

    return HEADING_TAG_RE.sub(renumbered, safe_html)


def unescape_once(escaped: str) -> str:
    """html.unescape(), at under half the cost for content that uses only the five entities
    Greenhouse writes (`&lt;` `&gt;` `&quot;` `&#39;` `&amp;`): html.unescape calls back into
    Python for every entity, over half of sanitizing a description (bench/README.md).
    """
    if OTHER_REFERENCE_RE.search(escaped):
        return html.unescape(escaped)  # the general, slower reader
    for entity, character in GREENHOUSE_ENTITIES:
        escaped = escaped.replace(entity, character)
    return escaped


def text_of(safe_html: str) -> str:
    """The words of sanitize_content()'s output, whitespace collapsed, tags read as spaces.

    The same text as BeautifulSoup's get_text(" ") (tests/test_performance_counts.py checks
    it on every fixture), at a 40th of the cost: parsing was most of a changed job's sync time
    (bench/README.md). Only for nh3's output, never for raw HTML.
    """
    return " ".join(html.unescape(SAFE_HTML_TAG_RE.sub(" ", safe_html)).split())


def head_of(safe_html: str, length: int) -> str:
    """The first `length` characters of sanitize_content()'s output, without the tag they may
    cut in two, whose attributes text_of() would read as words."""
    head = safe_html[:length]
    tag_start = head.rfind("<")
    return head[:tag_start] if tag_start > head.rfind(">") else head


def opens_with_intro(escaped_content: str) -> bool:
    """Whether Greenhouse's escaped content starts with the board's company intro block."""
    return bool(INTRO_START_RE.match(unescape_once(escaped_content[:INTRO_HEAD_CHARS])))


def excerpt_of(safe_html: str, length: int = EXCERPT_LENGTH, *, escaped_content: str = "") -> str:
    """Plain text for the feeds, jobs.json and meta descriptions (read with BeautifulSoup), cut
    at a word, from its first character that shows (jobs.text.without_leading_blanks): "" for a
    description without one (zero-width spaces alone). In a description that opens with
    Greenhouse's intro (read in `escaped_content`, which `safe_html` was sanitized from), from
    what follows the intro; if nothing does, or only the blocks Greenhouse puts after a post's
    own description (its pay range, its conclusion), the intro: it says what the company does,
    they what it pays and that it hires fairly. Those blocks when the intro shows no word
    (blank, or an image alone): they are then the post's only text, which its page shows."""
    if not (safe_html.startswith("<div") and opens_with_intro(escaped_content)):
        return _excerpt(safe_html, length)
    intro_end = _div_end(safe_html)
    if _holds_board_tail_alone(safe_html, intro_end, escaped_content):
        return _excerpt(safe_html[:intro_end], length) or _excerpt(safe_html[intro_end:], length)
    return _excerpt(safe_html[intro_end:], length) or _excerpt(safe_html[:intro_end], length)


def _div_end(safe_html: str, start: int = 0) -> int:
    """Where the div that opens at `start` in nh3's output, in which every div is closed, ends.
    Read in place: the rest of the description was copied for each div after the intro."""
    depth = 0
    for tag in DIV_TAG_RE.finditer(safe_html, start):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.end()
    return len(safe_html)


def _holds_board_tail_alone(safe_html: str, start: int, escaped_content: str) -> bool:
    """Whether the words of `safe_html` from `start` are those of the blocks Greenhouse puts
    after the post's own description (BOARD_TAIL_CLASSES), and what follows them in its
    content: then the post has no description of its own. Such words are in divs, with blank
    markup (blank paragraphs, line breaks, empty divs) about them, and in no more divs than the
    content names blocks. The content is read only then, which is rare: after the intro,
    descriptions go on with their own words, or in a div that the blocks follow. A div that
    sanitizing emptied stands for none: a description in a div before an empty conclusion is
    not the conclusion."""
    after_intro, divs_with_words, blocks = start, 0, 0
    while True:
        start = BLANK_MARKUP_RE.match(safe_html, start).end()
        if start == len(safe_html):
            break
        if not safe_html.startswith("<div", start):
            return False
        end = _div_end(safe_html, start)
        if not WORDLESS_MARKUP_RE.fullmatch(safe_html, start, end):
            if not divs_with_words:  # looked for only now: most descriptions go on in a <p>
                # Each once, as Greenhouse writes them: searched from the end, where they are.
                blocks = sum(escaped_content.rfind(name) != -1 for name in BOARD_TAIL_CLASSES)
            divs_with_words += 1
            if divs_with_words > blocks:
                return False
        start = end
    if not divs_with_words:
        return True
    content = unescape_once(escaped_content)
    tail = _board_tail_start(content)
    if tail is None:
        return False
    # Cleaned as sanitize_content() cleans: without a lone surrogate, which nh3 cannot take,
    # nor the characters dropped from its output, nor its links that show nothing (whose tags
    # read as spaces: "Follow us !" was not the post's "Follow us!").
    tail_html = clean_text(CLEANER.clean(clean_text(content[tail:])))
    tail_text = text_of(without_empty_links(tail_html))
    return text_of(safe_html[after_intro:]) == tail_text


def _board_tail_start(content: str) -> int | None:
    """Where the first of the blocks Greenhouse puts after a post's own description starts in
    its unescaped `content` (a div with one of BOARD_TAIL_CLASSES); None if none does."""
    for tag in DIV_START_TAG_RE.finditer(content):
        if any(map(BOARD_TAIL_CLASS_RE.search, CLASS_VALUE_RE.findall(tag[0]))):
            return tag.start()
    return None


def _excerpt(safe_html: str, length: int) -> str:
    """Only the head of the description is parsed: an excerpt needs a few hundred characters of
    text, and parsing whole descriptions was most of a first import's time (bench/README.md).
    The head ends after a `>`, which nh3 writes only to end a tag, so no tag is split.
    """
    head_chars = EXCERPT_SOURCE_CHARS
    while True:
        head = safe_html
        if len(safe_html) > head_chars:
            head = safe_html[: safe_html.rfind(">", 0, head_chars) + 1]
        # Without the characters that show nothing before its first word: a post of zero-width
        # spaces had them for its excerpt, and one that opens with a paragraph of them began so.
        text = without_leading_blanks(_text_of_head(INLINE_TAG_RE.sub("", head)))
        if len(text) > length or head == safe_html:
            break
        head_chars *= 4
    # Not cleaned again: sanitize_content() dropped every character a feed cannot carry.
    return cut_at_word(text, length)


def _text_of_head(markup: str) -> str:
    """The words of nh3's output, its inline tags taken out, read with BeautifulSoup. Markup
    without a tag is read as text_of() reads it (the same words): BeautifulSoup warned of a
    description of a web address or a file name alone ("looks more like a URL"), which a
    worker logs from its standard error as a WARNING line."""
    if "<" not in markup:
        return text_of(markup)
    soup = BeautifulSoup(markup, "html.parser", parse_only=TEXT_ONLY)
    return " ".join(soup.get_text(" ").split())


def cut_at_word(text: str, length: int) -> str:
    """`text` cut to `length` with an ellipsis, after a word that ends in its second half; else
    where it reaches the length. Text of few spaces (Japanese, Chinese, a long address) was cut
    at its first space: "【職務内容】 " and then a paragraph left "【職務内容】…". Never inside
    what a reader takes for one character (grapheme_start): a letter and its accents, an emoji
    sequence, a flag."""
    if len(text) <= length:
        return text
    head = text[: grapheme_start(text, length - 1)]
    words = head.rsplit(" ", 1)[0]
    if len(words) >= length // 2:
        head = words
    head = head.rstrip(" ,.;:—-")
    # A space or stop taken off may have followed a joiner (ZWJ, or a sign before a number).
    return f"{text[: grapheme_start(text, len(head))]}…"
