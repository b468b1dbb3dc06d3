"""The filters of the job lists, read from the query string so a filtered view can be shared.

Parameters: `q` (keywords), `org` (slug), `department` and `office` (ids, repeatable), `location`
(as Greenhouse writes it) and `remote` (a remote policy). A value that makes no sense is ignored
rather than answered with an error: these links get copied, cut and edited by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.http import QueryDict

from jobs.models import Job
from jobs.sanitize import cut_at_word
from jobs.search import holds_a_word, query_as_searched, words_searched
from jobs.text import field_head, one_line, shows_anything

MAX_TEXT_LENGTH = 300
MAX_IDS = 20
# Every parameter the filters read; the page cache and the pagination links keep only these.
FILTER_PARAMETERS = ("q", "org", "department", "office", "location", "remote")


@dataclass(frozen=True)
class JobFilters:
    query: str = ""
    organization_slug: str = ""
    department_ids: tuple[int, ...] = ()
    office_ids: tuple[int, ...] = ()
    location: str = ""
    remote_policy: str = ""

    @classmethod
    def from_query_dict(cls, params: QueryDict) -> JobFilters:
        remote_policy = _text(params, "remote")
        # Spaces collapsed before the cut: a run of them took the place of the words after it.
        query = _cut_to_max_length(" ".join(_without_nul(params, "q").split()))
        organization_slug = _text(params, "org")
        return cls(
            # Nothing shown (a zero-width space, a direction mark): the box is empty, not a
            # query the page would quote as “”; no org is chosen, as no slug is so written.
            query=query if shows_anything(query) else "",
            organization_slug=organization_slug if shows_anything(organization_slug) else "",
            department_ids=_ids(params, "department"),
            office_ids=_ids(params, "office"),
            location=_location(params),
            remote_policy=remote_policy if remote_policy in _REMOTE_POLICIES else "",
        )

    @property
    def is_active(self) -> bool:
        return self != JobFilters()

    @property
    def leaves_jobs_out(self) -> bool:
        """Whether a filter can leave a job out: a query without a word to search for (only
        symbols, emoji or punctuation) lists every job, so the page counts them as open jobs,
        not as jobs that match."""
        return replace(self, query="").is_active or self.searches_words

    @property
    def chooses_an_organization_alone(self) -> bool:
        """Whether an org is chosen and no other filter can leave a job out: a list empty of
        its jobs says that the org has none open, not that the filters match none."""
        return bool(self.organization_slug) and not (
            replace(self, organization_slug="").leaves_jobs_out
        )

    @property
    def searches_words(self) -> bool:
        return holds_a_word(query_as_searched(self.query))

    @property
    def words_searched_if_cut(self) -> list[str]:
        """The query's words searched when some past them are not, or the start of a first
        word too long to search whole (words_searched), so the page can say so; [] when every
        word is searched."""
        words = words_searched(self.query)
        return words if words != self.query.split() else []

    def as_query_params(self) -> list[tuple[str, str]]:
        """The filters set, in FILTER_PARAMETERS' order with ids sorted: one address for one
        list of jobs, however the link that led to it wrote them."""
        params = [
            ("q", self.query),
            ("org", self.organization_slug),
            *(("department", str(pk)) for pk in sorted(self.department_ids)),
            *(("office", str(pk)) for pk in sorted(self.office_ids)),
            ("location", self.location),
            ("remote", self.remote_policy),
        ]
        return [(name, value) for name, value in params if value]


_REMOTE_POLICIES = {value for value in Job.RemotePolicy.values if value}
# What each filter chooses, as the page's note on a value that names nothing says it.
FILTER_NOUNS = {
    "org": "organization",
    "department": "department",
    "office": "office",
    "remote": "workplace",
}


def values_naming_nothing(params: QueryDict) -> list[tuple[str, str]]:
    """The values JobFilters.from_query_dict() reads as no filter as they name nothing, as
    (parameter, value): a department or office that is no row id (`department=abc`; at most
    MAX_IDS of each), a workplace that is none. Not an empty one, which the form sends for
    "All departments", nor one that shows nothing (a zero-width space), which the note would
    quote as “”."""
    unread = []
    for name in ("department", "office"):
        values = dict.fromkeys(v.replace("\x00", "") for v in params.getlist(name))
        unread += [
            (name, _cut_to_max_length(value))
            for value in values
            if shows_anything(value) and not is_row_id(value)
        ][:MAX_IDS]
    remote_policy = _text(params, "remote")
    if shows_anything(remote_policy) and remote_policy not in _REMOTE_POLICIES:
        unread.append(("remote", remote_policy))
    return unread


def _text(params: QueryDict, name: str) -> str:
    return _cut_to_max_length(_without_nul(params, name).strip())


def _without_nul(params: QueryDict, name: str) -> str:
    # PostgreSQL refuses NUL in text.
    return params.get(name, "").replace("\x00", "")


def _location(params: QueryDict) -> str:
    """The location as the sync stores the one Greenhouse writes, by the same functions
    (one_line, field_head), as a job's must equal it: read apart, a link with Greenhouse's
    location written decomposed ("Zu\\u0308rich") or with two spaces listed none of its jobs,
    and cut with an ellipsis or apart from the sync, none of a location longer than its field."""
    return field_head(one_line(params.get("location", "")), MAX_TEXT_LENGTH)


def _cut_to_max_length(value: str) -> str:
    """A filter's value as the filters read it and the page quotes it: at most MAX_TEXT_LENGTH
    characters, as no real value is longer than a location name (a field of as many); a longer
    one cut with an ellipsis (cut_at_word), never inside what reads as one character. Cut at
    that length alone, "👩‍💻" left "👩" and a zero-width joiner, and the page quoted a value it
    had cut as if whole. At most that length with its ellipsis: its canonical address, which
    quotes it, reads back the same."""
    return cut_at_word(value, MAX_TEXT_LENGTH)


def _ids(params: QueryDict, name: str) -> tuple[int, ...]:
    # Without NUL, as _text() reads a value and values_naming_nothing() an id: "12\x00" is 12.
    return ids_of(value.replace("\x00", "") for value in params.getlist(name))


def is_row_id(value: str) -> bool:
    # isascii(): "²" is a digit to isdigit() but not to int(); 18 digits fit a BigInteger.
    return value.isascii() and value.isdigit() and len(value) <= 18


def ids_of(values: Iterable[str]) -> tuple[int, ...]:
    """The values that are row ids, once each, at most MAX_IDS: the rest are ignored."""
    ids = (int(v) for v in values if is_row_id(v))
    return tuple(dict.fromkeys(ids))[:MAX_IDS]
