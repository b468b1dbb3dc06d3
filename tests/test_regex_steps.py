"""The regex step count the guards against work in the square of a text use (regex_steps.py):
it reads each construct as the engine does, or refuses it, so that no guard passes on a count
that is not the engine's work."""

from __future__ import annotations

import re
from types import ModuleType

import pytest

from tests.support.regex_steps import assert_steps_in_proportion, regex_steps_counted


@pytest.fixture
def code() -> ModuleType:
    """A module whose regexes are counted, as the guards count jobs.forms's."""
    module = ModuleType("counted")
    module.re = re  # type: ignore[attr-defined]
    return module


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"(?<![\w.-])b(?=:\d)", "a.b:1 b:2"),  # lookbehind, lookahead, a class of \w
        (r"(?i)(?<=')(?:ß|straße)(?=\\?')", "'STRASSE' 'Straße'"),  # case, beyond ASCII
        (r"(?:[^\W_]|[\u0300-\u036f])*x", "e\u0301\u0301_x ab1x"),  # a letter or a mark
        (r"[\s\u200b]+$|^[\s\u200b]+", "\u200b a \u200b "),
        (r"\bor\b|a*?b|c*+d|(?:ab)+c", "for or aab cccd ababc"),
        (r"^|$|x*", "xx\n"),  # empty matches, at the ends and after one
    ],
)
def test_the_counted_search_finds_each_match_where_the_engine_does(code, pattern, text):
    with regex_steps_counted(code) as steps:
        # Each checked against re's own span; a search read otherwise fails the block.
        assert code.re.sub(pattern, "-", text) == re.sub(pattern, "-", text)
        found = code.re.compile(pattern).search(text, 1)  # from a place that may look behind
        assert found.span() == re.compile(pattern).search(text, 1).span()

    assert steps.count > 0


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?>a+)b",  # atomic group
        r"(a)\1",  # group reference
        r"(a)?(?(1)b|c)",  # conditional group
        r"(?:ab)*?c",  # lazy repeat of two characters
        r"(?:ab)*+c",  # possessive repeat of two characters
        # Each "a" matches both ways: the engine backtracks into each, in the power of the run.
        r"(?:a|[^b])*b",
        r"(?:(a)|a)+b",
    ],
)
def test_a_construct_the_count_does_not_read_as_the_engine_does_is_refused(code, pattern):
    with pytest.raises(NotImplementedError), regex_steps_counted(code):
        code.re.search(pattern, "aaaa")


@pytest.mark.parametrize(
    ("pattern", "text", "error"),
    [
        (r"(?>a+)b", "aaa", NotImplementedError),
        (r"(?:ab)*c", "ab" * 5_000, RecursionError),  # a step of a group's repeat a call
    ],
    ids=["an atomic group", "a long repeat of a group"],
)
def test_a_search_not_counted_fails_the_block_where_the_code_goes_on_from_its_error(
    code, pattern, text, error
):
    """As jobs.greenhouse's log filter goes on from any error: the count would otherwise
    leave that search out, the one that may take time in the square of the text."""

    def masked(text: str) -> str:
        try:
            return code.re.sub(pattern, "*", text)
        except Exception:
            return text

    code.masked = masked  # type: ignore[attr-defined]
    with pytest.raises(error), regex_steps_counted(code):
        assert code.masked(text) == text


@pytest.mark.parametrize(
    ("pattern", "in_proportion"),
    [
        (r"\s+$", False),  # tried from each space of the run, to its end
        (r"(?<!\s)\s+$", True),  # from where the run starts only
    ],
)
def test_a_search_from_each_place_to_the_end_of_a_run_is_counted_in_its_square(
    code, pattern, in_proportion
):
    def steps_for(spaces: int) -> int:
        with regex_steps_counted(code) as steps:
            assert code.re.search(pattern, f"a{' ' * spaces}b") is None
        return steps.count

    if in_proportion:
        assert_steps_in_proportion(steps_for, 200)
    else:
        with pytest.raises(AssertionError, match="twice the size took 4.0 times"):
            assert_steps_in_proportion(steps_for, 200)
