"""Facts a Greenhouse post states only loosely: where the work happens, what kind of contract.

Boards name their custom fields (`metadata`) as they like ("Workplace Type", "Location Type",
"Mode de travail", ...), so a fact is looked up under the names boards commonly use, and a value
nobody recognises is ignored rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from jobs.greenhouse import JobPost
from jobs.models import Job

WORKPLACE_FIELD_NAMES = frozenset(
    {
        "workplace type", "workplace", "location type", "remote", "remote status", "work type",
        "mode de travail",
    }
)  # fmt: skip
# Yes/no fields that ask whether the job is remote ("Remote": true), as boards have yes/no
# fields (Greenhouse's value_type "yes_no"). A no leaves the workplace unsaid: either other.
REMOTE_QUESTION_FIELD_NAMES = frozenset({"remote"})
YES_WORDS = frozenset({"yes", "true", "oui"})
EMPLOYMENT_FIELD_NAMES = frozenset(
    {"employment type", "employment", "job type", "type of employment", "contract type"}
)
REMOTE_WORDS = ("remote", "telecommute", "work from home", "télétravail")
# Checked in order: "Remote or hybrid" is hybrid.
REMOTE_POLICY_WORDS = (
    (Job.RemotePolicy.HYBRID, ("hybrid", "hybride")),
    (Job.RemotePolicy.REMOTE, REMOTE_WORDS),
    (
        Job.RemotePolicy.ONSITE,
        ("on site", "onsite", "in office", "office based", "in person", "sur site", "présentiel"),
    ),
)
# schema.org JobPosting employmentType values, by the words boards write.
EMPLOYMENT_TYPE_WORDS = (
    ("FULL_TIME", ("full time", "fulltime", "permanent")),
    ("PART_TIME", ("part time", "parttime")),
    ("CONTRACTOR", ("contract", "contractor", "freelance")),
    ("TEMPORARY", ("temporary", "temp", "fixed term", "seasonal")),
    ("INTERN", ("intern", "internship")),
    ("VOLUNTEER", ("volunteer",)),
    ("PER_DIEM", ("per diem",)),
)


def remote_policy_of_post(post: JobPost) -> str:
    """A Job.RemotePolicy value: the metadata's, else remote when the location or an office
    says so (boards often have an office named "Remote"); "" when the post does not say."""
    stated = _first_match(metadata_texts(post.metadata, field_names=WORKPLACE_FIELD_NAMES))
    if stated:
        return stated
    if answers_yes(post.metadata, field_names=REMOTE_QUESTION_FIELD_NAMES):
        return Job.RemotePolicy.REMOTE.value
    places = [post.location_name, *(office.name for office in post.offices)]
    if any(_has_any_word(_normalized(place), REMOTE_WORDS) for place in places):
        return Job.RemotePolicy.REMOTE.value
    return ""


def employment_types_from_metadata(metadata: Any) -> list[str]:
    """schema.org employment types ("FULL_TIME", ...) the metadata states, without repeats."""
    found: list[str] = []
    for text in metadata_texts(metadata, field_names=EMPLOYMENT_FIELD_NAMES):
        for employment_type, words in EMPLOYMENT_TYPE_WORDS:
            if employment_type not in found and _has_any_word(text, words):
                found.append(employment_type)
    return found


def metadata_texts(metadata: Any, *, field_names: Iterable[str]) -> list[str]:
    """The normalized text values of the fields with one of these names (case-insensitive)."""
    return [
        _normalized(value)
        for value in _values_of(metadata, field_names=field_names)
        if isinstance(value, str) and value.strip()
    ]


def answers_yes(metadata: Any, *, field_names: Iterable[str]) -> bool:
    """Whether a field with one of these names says yes: true, or a yes in words."""
    return any(
        value is True or (isinstance(value, str) and _normalized(value) in YES_WORDS)
        for value in _values_of(metadata, field_names=field_names)
    )


def _values_of(metadata: Any, *, field_names: Iterable[str]) -> list[Any]:
    """The values of the fields with one of these names (case-insensitive), a list's items
    each."""
    names = {name.lower() for name in field_names}
    values: list[Any] = []
    for item in metadata if isinstance(metadata, list) else []:
        if not isinstance(item, dict) or str(item.get("name", "")).strip().lower() not in names:
            continue
        value = item.get("value")
        values += value if isinstance(value, list) else [value]
    return values


def _first_match(texts: list[str]) -> str:
    for text in texts:
        for policy, words in REMOTE_POLICY_WORDS:
            if _has_any_word(text, words):
                return policy.value
    return ""


def _has_any_word(text: str, words: Iterable[str]) -> bool:
    """Whole words only: "intern" is not in "international"."""
    return any(re.search(rf"\b{re.escape(word)}\b", text) for word in words)


def _normalized(text: str) -> str:
    """Lower case, with '-', '_', '/' and runs of spaces as one space: "On-Site" → "on site"."""
    return " ".join(re.sub(r"[-_/]", " ", text.lower()).split())
