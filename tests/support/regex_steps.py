"""The work of the regexes a module runs, counted in steps instead of timed.

Python's regex engine runs in C, where neither WorkCounted nor a clock sees its work in a way
that holds on every machine. Here each search the counted modules make runs a second time, on a
backtracking matcher in Python that reads the same pattern (as `re` parses it) the way the
engine does, from each place the search may start, and counts a step for each character it
checks and each place it tries: work in the square of a text's length, which a regex that looks
from each place to the end of a word does, takes four times the steps for a text twice as long,
on any machine. Each search's result is the engine's; the matcher's must be the same span, or
the count would not be the engine's work, and the test fails.

The matcher reads what this project's regexes hold: characters and their classes, groups,
alternatives, repeats, lookahead and lookbehind, and positions (^, $, \\b). Anything else (a
group reference, a conditional or atomic group, a lazy or possessive repeat of more than one
character, or a repeat's character that two of its alternatives match, where the engine would
backtrack into each) is refused with NotImplementedError. What the matcher could not count is
raised when the block ends too, as the code counted may go on from any error (a log filter).
"""

from __future__ import annotations

import re
import re._compiler as sre_compiler  # the parser and compiler `re` itself uses (Python 3.11+)
import re._constants as sre
import re._parser as sre_parser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from types import ModuleType
from typing import Any

_ONE_CHARACTER = {sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN}
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT}

Continuation = Callable[[int], int | None]


class RegexSteps:
    """The steps counted so far; see regex_steps_counted()."""

    def __init__(self) -> None:
        self.count = 0
        self.misread: Exception | None = None  # the first search the matcher could not count

    def misreading(self, error: Exception) -> Exception:
        self.misread = self.misread or error
        return error


@lru_cache(maxsize=256)
def _parsed(pattern: str | bytes, flags: int) -> sre_parser.SubPattern:
    return sre_parser.parse(pattern, flags)


class _Matcher:
    """One text searched with one pattern, as the engine backtracks through it."""

    def __init__(self, parsed: sre_parser.SubPattern, text: str | bytes, steps: RegexSteps):
        self.parsed, self.text, self.steps = parsed, text, steps
        self.flags = parsed.state.flags

    def search(
        self, pos: int, *, anchored: bool, whole: bool, empty_at: int | None
    ) -> tuple[int, int] | None:
        """The span of the first match from `pos` (at `pos` only if anchored), to the end of
        the text if whole, and not empty at `empty_at`, as after an empty match the engine's
        next one may not be."""
        try:
            return self._search(pos, anchored=anchored, whole=whole, empty_at=empty_at)
        except (NotImplementedError, RecursionError) as error:  # a long repeat of a group
            raise self.steps.misreading(error) from None

    def _search(self, pos: int, *, anchored: bool, whole: bool, empty_at: int | None):
        for start in range(pos, pos + 1 if anchored else len(self.text) + 1):
            self.steps.count += 1

            def ended(end: int, start: int = start) -> int | None:
                if (whole and end != len(self.text)) or (end == start == empty_at):
                    return None
                return end

            if (end := self.sequence(self.parsed.data, 0, start, self.flags, ended)) is not None:
                return start, end
        return None

    def sequence(self, items: list, index: int, pos: int, flags: int, then: Continuation):
        # Characters in a row are checked in a loop: a long literal is no deep recursion.
        while index < len(items) and items[index][0] in _ONE_CHARACTER:
            if not self.holds(items[index], pos, flags):
                return None
            index, pos = index + 1, pos + 1
        if index == len(items):
            return then(pos)
        op, av = items[index]

        def rest(end: int) -> int | None:
            return self.sequence(items, index + 1, end, flags, then)

        if op is sre.AT:
            return rest(pos) if self.holds(items[index], pos, flags) else None
        if op is sre.SUBPATTERN:
            _, added, removed, inner = av
            return self.sequence(inner.data, 0, pos, (flags | added) & ~removed, rest)
        if op is sre.BRANCH:
            for alternative in av[1]:
                if (end := self.sequence(alternative.data, 0, pos, flags, rest)) is not None:
                    return end
            return None
        if op in _REPEATS:
            return self.repeat(op, av, pos, flags, rest)
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            direction, inner = av
            start = pos if direction == 1 else pos - inner.getwidth()[0]
            found = start >= 0 and (
                self.sequence(inner.data, 0, start, flags, lambda end: end) is not None
            )
            return rest(pos) if found == (op is sre.ASSERT) else None
        raise NotImplementedError(f"the step count reads no {op} in a regex")

    def repeat(self, op: Any, av: tuple, pos: int, flags: int, rest: Continuation) -> int | None:
        least, most, inner = av
        if inner.getwidth() != (1, 1):
            return self.repeat_of_any_width(op, least, most, inner, pos, flags, rest)
        # One character a time, as the engine's REPEAT_ONE: as many as match, then fewer.
        if op is sre.MIN_REPEAT:
            count = 0
            while True:
                if count >= least and (end := rest(pos + count)) is not None:
                    return end
                if count >= most or not self.one(inner, pos + count, flags):
                    return None
                count += 1
        count = 0
        while count < most and self.one(inner, pos + count, flags):
            count += 1
        if op is sre.POSSESSIVE_REPEAT:
            return rest(pos + count) if count >= least else None
        for taken in range(count, least - 1, -1):
            if (end := rest(pos + taken)) is not None:
                return end
        return None

    def repeat_of_any_width(self, op, least, most, inner, pos, flags, rest) -> int | None:
        if op is not sre.MAX_REPEAT:
            raise NotImplementedError(
                "the step count reads a lazy or possessive repeat of one character only"
            )

        def more(count: int, at: int) -> int | None:
            if count < most:

                def again(end: int) -> int | None:
                    return None if end == at and count >= least else more(count + 1, end)

                if (end := self.sequence(inner.data, 0, at, flags, again)) is not None:
                    return end
            return rest(at) if count >= least else None

        return more(0, pos)

    def one(self, inner: sre_parser.SubPattern, pos: int, flags: int) -> bool:
        """Whether the repeat's one character matches at `pos`, in one way only: the engine
        tries each other way of an iteration of a group (its REPEAT, unlike REPEAT_ONE) with
        the rest of the repeat again, so that "(?:a|[^b])*b" takes time in the power of a run
        of a's, which counting each character once would not show."""
        ways = 0

        def counted(end: int) -> None:
            nonlocal ways
            ways += 1
            return None  # on to the next way

        self.sequence(inner.data, 0, pos, flags, counted)
        if ways > 1:
            raise NotImplementedError(
                "the step count reads no repeat of a character that two of its ways match"
            )
        return ways == 1

    def holds(self, item: tuple, pos: int, flags: int) -> bool:
        """Whether a character's test (or a position's) holds at `pos`: asked of the engine
        itself, the item compiled alone, so each class and case rule is the engine's."""
        self.steps.count += 1
        if item[0] is not sre.AT and pos >= len(self.text):
            return False
        return _test_of(item, flags).match(self.text, pos) is not None


# Each item's test, compiled once. The item is kept with it, so that no other takes its id.
_TESTS: dict[tuple[int, int], tuple[Any, re.Pattern]] = {}


def _test_of(item: tuple, flags: int) -> re.Pattern:
    key = (id(item), flags)
    if key not in _TESTS:
        state = sre_parser.State()
        state.flags = flags
        _TESTS[key] = (item, sre_compiler.compile(sre_parser.SubPattern(state, [item]), flags))
    return _TESTS[key][1]


class _CountedPattern:
    """A compiled regex whose searches are counted, each giving the engine's own result."""

    def __init__(self, pattern: re.Pattern, steps: RegexSteps):
        self._pattern, self._steps = pattern, steps

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)

    def _matcher(self, text: str | bytes) -> _Matcher:
        pattern = self._pattern
        return _Matcher(_parsed(pattern.pattern, pattern.flags), text, self._steps)

    def _counted(self, found: re.Match | None, text, pos: int, **how: bool) -> re.Match | None:
        self._same(self._matcher(text).search(pos, empty_at=None, **how), found)
        return found

    def _same(self, span: tuple[int, int] | None, found: re.Match | None) -> None:
        if span != (found and found.span()):
            raise self._steps.misreading(
                AssertionError(
                    f"the step count's matcher read {self._pattern.pattern!r} otherwise than re"
                )
            )

    def search(self, text, pos: int = 0):
        found = self._pattern.search(text, pos)
        return self._counted(found, text, pos, anchored=False, whole=False)

    def match(self, text, pos: int = 0):
        found = self._pattern.match(text, pos)
        return self._counted(found, text, pos, anchored=True, whole=False)

    def fullmatch(self, text, pos: int = 0):
        found = self._pattern.fullmatch(text, pos)
        return self._counted(found, text, pos, anchored=True, whole=True)

    def finditer(self, text, pos: int = 0) -> Iterator[re.Match]:
        return iter(self._each_counted(text, pos))

    def findall(self, text, pos: int = 0) -> list:
        self._each_counted(text, pos)
        return self._pattern.findall(text, pos)

    def sub(self, repl, text, count: int = 0):
        return self.subn(repl, text, count)[0]

    def subn(self, repl, text, count: int = 0):
        self._each_counted(text, 0, count)
        return self._pattern.subn(repl, text, count)

    def split(self, text, maxsplit: int = 0) -> list:
        self._each_counted(text, 0, maxsplit)
        return self._pattern.split(text, maxsplit)

    def _each_counted(self, text, pos: int, most: int = 0) -> list[re.Match]:
        """Each match from `pos` (the first `most` if given), its search counted, and the last
        search, which finds none, too."""
        matcher, found = self._matcher(text), []
        empty_at = None
        for match in self._pattern.finditer(text, pos):
            if most and len(found) == most:
                return found
            self._same(matcher.search(pos, anchored=False, whole=False, empty_at=empty_at), match)
            found.append(match)
            pos = match.end()
            empty_at = pos if match.start() == match.end() else None
        self._same(matcher.search(pos, anchored=False, whole=False, empty_at=empty_at), None)
        return found


class _CountedRe:
    """The `re` module as the counted modules see it: each regex they compile or search with
    counted."""

    def __init__(self, steps: RegexSteps):
        self._steps = steps

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    def compile(self, pattern, flags: int = 0) -> _CountedPattern:
        if isinstance(pattern, _CountedPattern):
            return pattern
        return _CountedPattern(re.compile(pattern, flags), self._steps)

    def search(self, pattern, text, flags: int = 0):
        return self.compile(pattern, flags).search(text)

    def match(self, pattern, text, flags: int = 0):
        return self.compile(pattern, flags).match(text)

    def fullmatch(self, pattern, text, flags: int = 0):
        return self.compile(pattern, flags).fullmatch(text)

    def finditer(self, pattern, text, flags: int = 0):
        return self.compile(pattern, flags).finditer(text)

    def findall(self, pattern, text, flags: int = 0):
        return self.compile(pattern, flags).findall(text)

    def sub(self, pattern, repl, text, count: int = 0, flags: int = 0):
        return self.compile(pattern, flags).sub(repl, text, count)

    def subn(self, pattern, repl, text, count: int = 0, flags: int = 0):
        return self.compile(pattern, flags).subn(repl, text, count)

    def split(self, pattern, text, maxsplit: int = 0, flags: int = 0):
        return self.compile(pattern, flags).split(text, maxsplit)


@contextmanager
def regex_steps_counted(*modules: ModuleType) -> Iterator[RegexSteps]:
    """The steps of the regexes the modules' code runs in the block: those it compiled when it
    was imported (its globals) and those it compiles or searches with through `re`. A search
    the matcher could not count fails the block, even where the code went on from its error."""
    steps = RegexSteps()
    replaced: list[tuple[ModuleType, str, object]] = []
    for module in modules:
        for name, value in list(vars(module).items()):
            if value is re:
                counted: object = _CountedRe(steps)
            elif isinstance(value, re.Pattern):
                counted = _CountedPattern(value, steps)
            else:
                continue
            replaced.append((module, name, value))
            setattr(module, name, counted)
    try:
        yield steps
    finally:
        for module, name, value in replaced:
            setattr(module, name, value)
    if steps.misread is not None:
        raise steps.misread


def assert_steps_in_proportion(steps_for: Callable[[int], int], size: int) -> None:
    """That the steps `steps_for` counts for twice `size` are about twice those for `size`: at
    most 2.5 times (work in proportion to the size doubles at most, work in its square nearly
    quadruples once its square leads), and over 1.5 times, so that the regexes counted are
    those that read the text (a count that stays the same is no check of its work)."""
    fewer, more = steps_for(size), steps_for(2 * size)
    assert more > 1.5 * fewer, f"the regexes counted barely read the text: {fewer}, {more}"
    assert more <= 2.5 * fewer, f"twice the size took {more / fewer:.1f} times the steps"
