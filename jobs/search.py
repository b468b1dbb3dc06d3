"""Keyword search over jobs: the text the sync stores, and the query that searches it.

PostgreSQL matches the words it parsed and indexed when each job was written (migration 0027) and
ranks with its full-text search; SQLite (local use, tests) falls back to finding each word, or a
phrase's words in a row, where a word starts, in any case (_sqlite_holds), which is enough for a
few thousand jobs, and reads the query's "-", quotes and "or" as PostgreSQL's web search does.
Both read the title, the organization's name, the tags an org admin gave the job and the search
text as the query is read (jobs.text.as_searched): without accents, so "munchen" finds "München"
and "Zürich" finds "Zurich", and with "C++", "C#" and "F#" as words of their own, so "c++" finds
neither the C# jobs nor the C ones, and with each Han ideograph and kana as a word of its own,
so that a run of them in the query, read as the phrase of them in a row (_cjk_terms_as_phrases),
finds a longer run that holds it: "分析" finds "数据分析师", where PostgreSQL's parser read the
run as one word. An apostrophe matches straight or curly (CURLY_APOSTROPHES_AS_STRAIGHT), except
U+02BC on PostgreSQL, whose parser stores it as a letter of the word it is in.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorCombinable,
    SearchVectorField,
)
from django.db import connection
from django.db.models import (
    BinaryField,
    BooleanField,
    Expression,
    F,
    Func,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.expressions import Col
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import IContains, Lookup

from jobs.greenhouse import JobPost, fingerprint
from jobs.models import Job, Organization
from jobs.text import (
    ASCII_BYTES,
    CJK_LETTERS,
    CJK_LETTERS_RE,
    FOLDS_TO_CJK_LETTER_RE,
    as_searched,
    fold_accents,
    mark_ranges,
    with_cplusplus_words,
)

SEARCH_TEXT_LENGTH = 50_000
# Where and which teams, cut too: PostgreSQL's tsvector holds at most 1 MB, and a post listing
# thousands of offices overflowed it, failing the whole sync.
PLACES_TEXT_LENGTH = 5_000
# "simple" keeps every word as written: boards mix languages, and English's stop words would
# drop "IT" and "US" from a job search.
SEARCH_CONFIG = "simple"
# The parser keeps "Vue.js", "CI/CD" and "ASP.NET" as one word each, so "vue" would miss
# Vue.js jobs. The stored words (migrations 0007, 0010) and the query both read these as spaces.
WORD_JOINERS = "./-"
WORD_JOINER_RE = re.compile(f"[{re.escape(WORD_JOINERS)}]")
JOINER_BETWEEN_LETTERS_RE = re.compile(rf"(?<=[^\W_]){WORD_JOINER_RE.pattern}(?=[^\W_])")
# What a term of the query reads as a space on PostgreSQL (_joined_words_as_phrases), as the
# stored words read every joiner: a joiner between letters, any "/", and a "-" before a digit,
# which the parser reads as a number's sign ('"utc -5"' held "-5", no stored word). And ":",
# which ends a term in its web search: "10:30" was "10" and "30" anywhere, not in a row.
SPACED_IN_TERMS_RE = re.compile(rf"{JOINER_BETWEEN_LETTERS_RE.pattern}|[/:]|-(?=[0-9])")
# A quoted phrase (to the end of the query if no quote closes it) or a bare term, which a quote
# ends, each after the signs before it, as PostgreSQL's web search reads them: outside quotes,
# its operator characters "!&|()<" end a term and are skipped before one, and each "-" there
# means "without" ("(-robot" and "- robot" leave robot out; "--robot", "without without",
# finds it). After a term, "or" is the operator OR (group "or") unless a letter, digit, "_" or
# "-" follows it, or nothing but spaces after the character that does: "welder or,painter" and
# 'welder or"painter"' offer either, "welder or," finds "or".
QUERY_OPERATORS = "!&|()<"
OUTSIDE_TERMS = rf"\s{re.escape(QUERY_OPERATORS)}"
QUERY_PART_RE = re.compile(
    rf'(?P<signs>[{OUTSIDE_TERMS}-]*)(?P<term>"[^"]*"?|[^{OUTSIDE_TERMS}"-][^{OUTSIDE_TERMS}"]*)'
    rf"(?P<or>[{OUTSIDE_TERMS}]*(?i:or)(?=[^\w-]\s*\S))?"
)
MAX_SEARCH_WORDS = 10
# Chinese and Japanese are written without spaces, and each of their letters is a word searched
# (as_searched): a run of 300 letters, one word of the query, was a phrase of 300 words (213 ms
# on 3,000 jobs, a run of 5 letters 7 ms). Each CJK_LETTERS_PER_WORD letters count as a word.
CJK_LETTERS_PER_WORD = 5
# "simple" has no stemming (boards mix languages), so a word of the query also finds the longer
# words it starts: "engineer" finds "Engineering", "dev" finds "DevOps", as on SQLite. Not one or
# two letters: "c" would find every word that starts with a c.
# In a tsquery's text each word is quoted and comes first or after a space, "!" or "(".
PREFIX_MIN_LETTERS = 3
LONG_WORD_IN_TSQUERY = rf"""(^|[ !(])'((?:[^']|''){{{PREFIX_MIN_LETTERS},}})'"""
# PostgreSQL lowercases a capital sigma to "σ", never to the "ς" that ends a word written in
# lower case: "ΜΗΧΑΝΙΚΟΣ" was stored as another word than "Μηχανικός", and neither found the
# other (SQLite casefolds both to "σ"). A word of the query that ends in either finds both.
SIGMA_AT_END_IN_TSQUERY = r"""(^|[ !(])'((?:[^']|'')*)[σς]'(:\*)?"""
WORD_IN_TSQUERY = r"""'(?:[^']|'')*'(?::\*)?"""
# A word no query holds, as search reads it without accents (as_searched): put between the tags
# and around them, then taken out of the parsed words, it leaves a gap in their positions, so
# that a quoted phrase matches within one tag or field, not the last word of one and the first
# of the next (joining two tsvectors numbers the right one's words on from the left one's last).
# A job's stored words are kept so too, between its title and its text (migration 0043).
GAP_WORD = "\u00e9"
# Apostrophes as boards and keyboards write them: straight, or curly (U+2019, U+2018 where
# autocorrect turned one the wrong way, or U+02BC, the modifier letter that looks the same).
# PostgreSQL's parser reads U+2018 and U+2019 as a space between words, U+02BC as a letter of
# one; LIKE (SQLite's search, and Django's admin on either database) compares them as written,
# so there the query and each row's text read the curly ones as straight as they are compared
# (FoldedContains), and no stored row needs to change.
CURLY_APOSTROPHES = "\u2018\u2019\u02bc"
CURLY_APOSTROPHES_AS_STRAIGHT = str.maketrans(CURLY_APOSTROPHES, "'" * len(CURLY_APOSTROPHES))
SQLITE_FOLDED_CONTAINS = "folded_contains"
SQLITE_WORDS_IN_A_ROW = "words_in_a_row"
SQLITE_WORD_IN_BYTES = "word_in_bytes"
# A word's regex asks what comes before it behind the word, and reads the word again each time,
# in the square of its length over a text that repeats it (_starting_a_word). Asked before a
# longer word, it costs each character of a text read (0.25 ms for 8 KB, 15 µs behind "data").
LOOKED_BEHIND_MAX_LETTERS = 30
# Characters beyond ASCII that casefold to ASCII letters: "ß" to "ss", "ﬁ" to "fi", the Kelvin
# sign to "k" (a test checks the list is whole). A text that holds one may hold a word of ASCII
# letters where its own ASCII letters do not show it (word_in_bytes). as_searched() folds each
# of them away, but search_text is stored as given when a job is written otherwise.
CASEFOLDS_TO_ASCII = frozenset(
    "\u00df\u0130\u0149\u017f\u01f0\u1e96\u1e97\u1e98\u1e99\u1e9a\u1e9e\u212a"
    "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"
)
# The query's Han and kana letters in a row, each a word (as_searched): "会 計".
CJK_LETTERS_IN_A_ROW_RE = re.compile(rf"[{CJK_LETTERS}](?: [{CJK_LETTERS}])*")
SQLITE_SEARCHED_FIELDS = ("search_title", "organization__search_name", "search_tags", "search_text")


def search_text_of(post: JobPost, *, description_text: str) -> str:
    """What a keyword can match besides the title and org name: where, which teams, and the text,
    as keyword search reads them (as_searched)."""
    return as_searched(f"{_places_text_of(post)} {description_text[:SEARCH_TEXT_LENGTH]}".strip())


def search_words_hash(post: JobPost) -> str:
    """A fingerprint of what a job's search title and search text hold besides its description:
    its title, and where and which teams. The sync keeps both while this and the description
    are the same, so that PostgreSQL does not parse the same words again (migration 0027)."""
    return fingerprint(post.title, _places_text_of(post))


def _places_text_of(post: JobPost) -> str:
    units = [unit.name for unit in (*post.departments, *post.offices)]
    places = [unit.location for unit in post.offices if unit.location]
    return " ".join([post.location_name, *units, *places])[:PLACES_TEXT_LENGTH]


def words_searched(query: str) -> list[str]:
    """The words of the query a keyword search reads: the first MAX_SEARCH_WORDS, a word that
    holds Han or kana letters counted as one per CJK_LETTERS_PER_WORD of them, and the first
    word, when it holds more letters than all of them may, cut after those."""
    words: list[str] = []
    words_left = MAX_SEARCH_WORDS
    for word in query.split():
        letters = 0 if word.isascii() else _cjk_letters_in(word)
        counted = max(1, -(-letters // CJK_LETTERS_PER_WORD))
        if counted > words_left:
            if not words:
                words.append(_cut_after_cjk_letters(word, words_left * CJK_LETTERS_PER_WORD))
            break
        words.append(word)
        words_left -= counted
    return words


def _cjk_letters_in(text: str) -> int:
    """How many Han and kana letters the text holds as search reads it (fold_accents: "㍿" is
    four)."""
    return sum(len(run) for run in CJK_LETTERS_RE.findall(fold_accents(text)))


def _cut_after_cjk_letters(word: str, letters: int) -> str:
    for end in range(1, len(word) + 1):
        if _cjk_letters_in(word[:end]) > letters:
            return word[: end - 1]
    return word


def query_as_searched(query: str) -> str:
    """The query as keyword search reads it: its first words, read as the words searched are
    stored (as_searched)."""
    # Words past the first few narrow nothing a person meant, but each costs the database a
    # pass: 75 "-word"s took 1.8 s on 10,000 jobs, a quoted phrase of 70 words 0.7 s. A phrase
    # cut short loses its closing quote, which both readers below take in their stride.
    # Folded before its terms are told apart: "－" and "＂", which a Japanese or Chinese
    # keyboard types in full width, are "-" and '"' once folded, and a term quoted first kept
    # them inside its quotes: "－数据" found 数据 instead of leaving it out. And with "C ++" as
    # the word it is: "C ++エンジニア" was "C" and the phrase "++エンジニア", no "C++" left.
    query = with_cplusplus_words(fold_accents(" ".join(words_searched(query))))
    return as_searched(_cjk_terms_as_phrases(query))


def _cjk_terms_as_phrases(query: str) -> str:
    """The query with each bare term that holds a Han ideograph or kana (or a character that
    folds to some, "㍿") quoted, a phrase: search reads each such letter as a word (as_searched),
    and "数据" is those two words in a row, not two words anywhere. A term in quotes already is
    a phrase."""
    if query.isascii() or not FOLDS_TO_CJK_LETTER_RE.search(query):
        return query

    def quoted(part: re.Match) -> str:
        signs, term, or_after = part["signs"], part["term"], part["or"] or ""
        if term.startswith('"') or not FOLDS_TO_CJK_LETTER_RE.search(term):
            return part[0]
        return f'{signs}"{term}"{or_after}'

    return QUERY_PART_RE.sub(quoted, query)


def holds_a_word(query_searched: str) -> bool:
    """Whether a query as searched (query_as_searched) has a word to look for, as the search
    reads words (_words_of): one of quotes, dashes, symbols or emoji alone ("%", "🚀") has
    none, and searches nothing; one of a mark alone ("ा", a Devanagari vowel sign) has one."""
    return bool(_words_of(query_searched))


def filter_by_keywords(jobs: QuerySet[Job], query: str) -> QuerySet[Job]:
    """Jobs matching every word of the query; on PostgreSQL annotated with `search_rank`."""
    query = query_as_searched(query)
    if not holds_a_word(query):
        return jobs  # no word to search for, as if the box were empty
    if connection.vendor == "postgresql":
        query = _joined_words_as_phrases(query)
        search_query = PrefixSearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        own_words = StoredSearchVector()
        # The tags' words rank between the title's (A) and the text's (C). Not stored with the
        # job's own words, which an admin's edit of the tags would then parse again, description
        # and all: their index (migration 0037) is built on this very expression, so a change
        # to it needs the index built anew.
        tag_words = SearchVector(
            _joiners_as_spaces("search_tags"), weight="B", config=SEARCH_CONFIG
        )
        # The small vectors joined first: each join copies its operands, and a job's own
        # words run to thousands (uncached searches took 20-30% longer joined the other way).
        # Each tag apart from the next, and the tags from the job's own words and its
        # organization's name (GAP_WORD).
        tags_and_name = SearchVector(
            _tags_apart("search_tags"), weight="B", config=SEARCH_CONFIG
        ) + SearchVector(
            _joiners_as_spaces("organization__search_name"), weight="A", config=SEARCH_CONFIG
        )
        all_words = own_words + WithoutGapWord(tags_and_name)
        if '"' in query:
            # A phrase (as is each run of Han or kana) needs its words' places, and a tsvector
            # numbers no word past 16,383: after a long Chinese or Japanese text, each of whose
            # letters is a word (as_searched), every letter of the tags and the name was
            # 16,383, none in a row with the next. Joined before the own words, which then
            # number on from them (a fifth slower over 3,000 candidates), with GAP_WORD left in
            # after the name, where taking it out would leave no gap; no query holds it.
            all_words = tags_and_name + SearchVector(Value(GAP_WORD), config=SEARCH_CONFIG)
            all_words += own_words
        # Candidates: jobs whose own words match, jobs whose tags hold any word the query looks
        # for (both found with their index), and the jobs of any organization whose name shares
        # a word with the query (ids, not a subquery, so the planner can combine the indexes).
        # Each candidate is then checked with its tags and the name included, so "acme
        # engineer" and "engineer -visa" read as they always did.
        # alias(), not annotate(): the vectors are for matching only, never worth sending back.
        any_word_query = AnyWordSearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        named_organizations = list(_organizations_named_in(query).values_list("pk", flat=True))
        return (
            jobs.alias(own_words=own_words, tag_words=tag_words, all_words=all_words)
            .filter(
                Q(own_words=search_query)
                | Q(tag_words=any_word_query)
                | Q(organization_id__in=named_organizations)
            )
            .filter(all_words=search_query)
            .annotate(search_rank=SearchRank(all_words, search_query))
        )
    # As PostgreSQL's web search reads the words that matter most: "-word" excludes, a quoted
    # phrase is matched whole, "Acme-Robotics" is also "Acme Robotics", and "(robot" is "robot";
    # "or" after a term offers either side, and binds looser than the others: "robot arm or
    # welder" is (robot and arm) or welder. After a "-" it is the word left out.
    query = query.translate(CURLY_APOSTROPHES_AS_STRAIGHT)
    alternatives: list[Q] = []
    terms = Q()
    for part in QUERY_PART_RE.finditer(query):
        excluded = part["signs"].count("-") % 2 == 1  # each "-" before it turns it over
        if words := _words_of(part["term"]):
            matches = functools.reduce(
                operator.or_, (_sqlite_holds(field, words) for field in SQLITE_SEARCHED_FIELDS)
            )
            terms &= ~matches if excluded else matches
        if part["or"]:
            alternatives.append(terms)
            terms = Q()
    alternatives = [alternative for alternative in (*alternatives, terms) if alternative]
    return jobs.filter(functools.reduce(operator.or_, alternatives)) if alternatives else jobs


def _words_of(term: str) -> list[str]:
    """The words of a term as PostgreSQL's parser finds them, letters, marks and digits (one
    mark ends many a word in Indic scripts), each other character read as a space: "(robot",
    "robot:*" and "«robot»" hold the word "robot", "robot-arm" and "robot, arm" two."""
    return "".join(
        character if unicodedata.category(character)[0] in "LMN" else " " for character in term
    ).split()


def _sqlite_holds(field: str, words: list[str]) -> Q:
    """Whether the field holds the word, or the words one after the other with any run of
    spaces, punctuation or symbols between them, which PostgreSQL's parser reads as one space:
    "robot arm" finds "Robot-Arm", "Robot - Arm" and the two words on two lines
    (words_in_a_row()), but not the end of one tag and the start of the next (one a line), nor
    "Robot Arm" when it is "bot arm": a phrase's words are words, or their starts. So is a word
    alone, as PostgreSQL matches it: "ci" finds "CI/CD", not "domicile" (LIKE alone found it).

    The words are found by a regex, run in Python on the text casefolded, so only on rows whose
    field holds the longest word, which LIKE finds at C speed, and, when that word is ASCII,
    whose bytes leave in doubt where it is (word_in_bytes), which they tell in a tenth of the
    time. Over 5,000 jobs of 7 KB, a page (CPU time; LIKE alone 0.05-0.07 s, finding
    "domicile") of a word whose letters nearly all hold inside words ("ci", in "social", or
    "ing") took 0.2 s, 0.5 s with the regex on every such row; "c" 0.25 s (0.6); a word most
    hold where a word starts ("data", "engineer") 0.1 s (0.25); a phrase 0.35 s (0.32); a word
    few hold no longer than LIKE alone.
    """
    longest_word = max(words, key=len)
    longest = Q(FoldedContains(F(field), longest_word))
    marks = mark_ranges()
    letter = rf"(?:[^\W_]|[{marks}])"
    between = rf"(?:[^\w\n{marks}]|_)+" if field == "search_tags" else rf"(?:[^\w{marks}]|_)+"
    escaped = [re.escape(_as_compared(word)) for word in words]
    # The first word too starts a word, as on PostgreSQL: found anywhere, in a word that repeats
    # it ("robotrobot…", a hostile board's text), the regex ran on from each place to the word's
    # end, in the square of the word's length (30 s for 50,000 letters).
    escaped[0] = _starting_a_word(escaped[0], words[0], letter=letter)
    # Each word of PREFIX_MIN_LETTERS or more also finds the longer words it starts, as
    # PrefixSearchQuery's phrases do: "robot arm" finds "Robots Armada"; a shorter one only
    # itself, last too ("robot ar" is no "Robot Arm"). Letters, digits and marks, none of them
    # in `between`: with "_" in both that and `between`, a run of underscores in a description
    # (a form line) after "robot" took time in the square of its length.
    pattern = between.join(
        text + (f"{letter}*" if len(word) >= PREFIX_MIN_LETTERS else f"(?!{letter})")
        for text, word in zip(escaped, words, strict=True)
    )
    in_a_row = Func(
        F(field), Value(pattern), function=SQLITE_WORDS_IN_A_ROW, output_field=BooleanField()
    )
    # In this order: SQLite evaluates AND from the left, and COALESCE's arguments from the left
    # while each is NULL.
    if (in_bytes := _word_in_bytes(field, longest_word, alone=len(words) == 1)) is None:
        return longest & Q(in_a_row)
    return longest & Q(Coalesce(in_bytes, in_a_row, output_field=BooleanField()))


def _word_in_bytes(field: str, word: str, *, alone: bool) -> Func | None:
    """word_in_bytes() of the field for the term's longest word, or None if that word is beyond
    ASCII: letters beyond it may casefold to others ("Σ" and "ς" both to "σ"), which bytes do
    not show."""
    if not word.isascii():
        return None
    # The bytes that are, or that may be, those of a letter or a digit, lowercased.
    may_start = _word_start_in_bytes(word, letters="0-9a-z")
    surely_starts = _word_start_in_bytes(word, letters=r"0-9a-z\x80-\xff") if alone else None
    return Func(
        Cast(F(field), BinaryField()),
        Value(may_start),
        Value(surely_starts),
        function=SQLITE_WORD_IN_BYTES,
        output_field=BooleanField(),
    )


def _word_start_in_bytes(word: str, *, letters: str) -> str:
    """A regex over lowercased bytes that finds the word, ASCII, with no byte of `letters` (a
    class's contents) before it, nor after it if it is shorter than PREFIX_MIN_LETTERS, as
    words_in_a_row() finds a word where one starts."""
    escaped = re.escape(word.lower())  # casefold() of ASCII
    end = "" if len(word) >= PREFIX_MIN_LETTERS else f"(?![{letters}])"
    return _starting_a_word(escaped, word, letter=f"[{letters}]") + end


def _starting_a_word(escaped: str, word: str, *, letter: str) -> str:
    """The regex `escaped` of the word, where no `letter` (a class) comes before it. Asked behind
    a word of up to LOOKED_BEHIND_MAX_LETTERS, so that the regex looks for the word itself first,
    at C speed; before a longer one, which looking behind reads again at each place the text
    holds it ("c" * 10,000 in 100,000 "c"s took 1.1 s)."""
    if len(word) <= LOOKED_BEHIND_MAX_LETTERS:
        return rf"{escaped}(?<!{letter}{escaped})"
    return rf"(?<!{letter}){escaped}"


def words_in_a_row(text: str | None, pattern: str) -> bool:
    """Whether the text, as folded_contains() compares it, holds `pattern`, a regex."""
    return text is not None and re.search(pattern, _as_compared(text)) is not None


def word_in_bytes(
    utf8_text: bytes | None, may_start: str, surely_starts: str | None
) -> bool | None:
    """Whether words_in_a_row() finds the term, as far as the text's UTF-8 bytes, lowercased
    (only ASCII letters change), tell from the term's longest word, ASCII (_word_in_bytes):
    False if none of them hold the word where a word may start (`may_start`, each byte beyond
    ASCII read as no letter) and the text holds no character that casefolds to ASCII letters
    (CASEFOLDS_TO_ASCII); True if the word is the whole term and they hold it where a word
    surely starts (`surely_starts`, after an ASCII character that is no letter, and before one
    if it is short); else None, NULL to SQLite: words_in_a_row() then reads the text.

    Lowering a description's bytes and searching them take 5-10 µs for 7 KB, where casefolding
    its text took 30-110 µs, and most rows that hold "ci" hold it only inside words ("social"),
    most that hold "data" after a space."""
    if utf8_text is None:
        return False
    lowered = utf8_text.lower()
    if re.search(may_start.encode(), lowered) is None:
        # Looked for among the characters beyond ASCII alone, a few dozen in most descriptions:
        # looking for each in the whole text took 3-4 µs. Deleting a text's ASCII bytes leaves
        # its other characters whole (UTF-8 writes ASCII bytes for ASCII characters only).
        beyond_ascii = utf8_text.translate(None, ASCII_BYTES).decode(errors="replace")
        return None if not CASEFOLDS_TO_ASCII.isdisjoint(beyond_ascii) else False
    if surely_starts is not None and re.search(surely_starts.encode(), lowered) is not None:
        return True
    return None


class FoldedContains(Lookup):
    """Whether the text holds the phrase in any case, an apostrophe in either straight or curly
    (CURLY_APOSTROPHES_AS_STRAIGHT): how SQLite's search compares each field, and Django's admin
    its search fields (jobs.admin)."""

    prepare_rhs = False

    def get_prep_lookup(self) -> str:
        return self.rhs.translate(CURLY_APOSTROPHES_AS_STRAIGHT)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        """PostgreSQL: icontains, on the text with its apostrophes straight if the phrase has
        one."""
        text = self.lhs
        if "'" in self.rhs:
            text = Func(
                text,
                Value(CURLY_APOSTROPHES),
                Value("'" * len(CURLY_APOSTROPHES)),
                function="translate",
                output_field=TextField(),
            )
        return compiler.compile(IContains(text, self.rhs))

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list]:
        """SQLite's LIKE folds only ASCII letters, and the text may hold curly apostrophes, so a
        phrase with other letters ("МОСКВА") or an apostrophe is matched by folded_contains()
        instead: slower, as SQLite calls back into Python for each row, so only then."""
        if self.rhs.isascii() and "'" not in self.rhs:
            return compiler.compile(IContains(self.lhs, self.rhs))
        return compiler.compile(
            Func(
                self.lhs,
                Value(_as_compared(self.rhs)),
                function=SQLITE_FOLDED_CONTAINS,
                output_field=BooleanField(),
            )
        )


def folded_contains(text: str | None, folded_phrase: str) -> bool:
    return text is not None and folded_phrase in _as_compared(text)


def _as_compared(text: str) -> str:
    """The text as folded_contains() compares it: casefolded, its apostrophes straight."""
    # Not str.translate(), which looks each character beyond ASCII up in its table: 0.8 ms
    # for a description of 7,000 characters, ten times casefold(), once a row a word is in.
    text = text.casefold()
    for apostrophe in CURLY_APOSTROPHES:
        if apostrophe in text:
            text = text.replace(apostrophe, "'")
    return text


def sqlite_functions_register(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On each new SQLite connection (the connection_created signal, jobs.apps)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_FOLDED_CONTAINS, 2, folded_contains, deterministic=True
        )
        connection.connection.create_function(
            SQLITE_WORDS_IN_A_ROW, 2, words_in_a_row, deterministic=True
        )
        connection.connection.create_function(
            SQLITE_WORD_IN_BYTES, 3, word_in_bytes, deterministic=True
        )


def _joined_words_as_phrases(query: str) -> str:
    """The web-search query with "vue.js" read as the phrase "vue js", as the words are stored,
    and every other "/" as a space: PostgreSQL's parser reads one before a word as the start of
    a file path, "/docker" or "c:/windows" as a word no stored text holds (they are stored split
    at every "/"), which SQLite's search finds by the words alone. So is a "-" before a digit
    that is no "without" ('"utc -5"', "utc:-5"): not a number's sign, as no word stored is. And
    so is a ":", which its web search reads as the end of a term: "10:30" is the phrase "10 30",
    as "10,30" is to it.

    A phrase keeps its parts together and in order; "-vue.js" leaves out the phrase, not "vue",
    and "-/docker" the word docker.
    """

    def spaced(part: re.Match) -> str:
        signs, term, or_after = part["signs"], part["term"], part["or"] or ""
        if not SPACED_IN_TERMS_RE.search(term):
            return part[0]
        words = SPACED_IN_TERMS_RE.sub(" ", term)
        if '"' in term:  # already a phrase: only its words are spaced
            return signs + words + or_after
        # Quoted even when one word is left ("/docker"): bare, "/-docker" would leave docker
        # out and "/or" be the operator, where SQLite's search reads the word.
        return f'{signs}"{words}"{or_after}'

    return QUERY_PART_RE.sub(spaced, query)


def _joiners_as_spaces(expression: str | Expression) -> Func:
    """The text with WORD_JOINERS read as spaces, as migration 0010 stores each job's words."""
    return Func(
        expression,
        Value(WORD_JOINERS),
        Value(" " * len(WORD_JOINERS)),
        function="translate",
        output_field=TextField(),
    )


def _sigmas_alike(expression: Expression) -> Func:
    """The text with each final sigma as "σ", which PostgreSQL lowercases a capital one to, so
    that its words compare as SIGMA_AT_END_IN_TSQUERY lets the query's match."""
    return Func(expression, Value("ς"), Value("σ"), function="translate", output_field=TextField())


def _tags_apart(expression: str) -> Func:
    """The tags of tags_as_searched(), one a line, read as _joiners_as_spaces() reads them, with
    GAP_WORD between them and before and after them."""
    tags = Func(
        _joiners_as_spaces(expression),
        Value("\n"),
        Value(f" {GAP_WORD} "),
        function="replace",
        output_field=TextField(),
    )
    return Func(
        Value(f"{GAP_WORD} "),
        tags,
        Value(f" {GAP_WORD}"),
        function="concat",
        output_field=TextField(),
    )


class WithoutGapWord(SearchVectorCombinable, Func):
    """The words without GAP_WORD, the positions of the others kept."""

    function = "ts_delete"
    output_field = SearchVectorField()

    def __init__(self, words: Expression) -> None:
        super().__init__(words, Value(GAP_WORD))


class PrefixSearchQuery(SearchQuery):
    """A search query whose words of three letters or more match as prefixes, and whose words
    that end in a sigma match with it final or not (SIGMA_AT_END_IN_TSQUERY)."""

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return (
            f"regexp_replace(regexp_replace(({sql})::text, %s, %s, 'g'), %s, %s, 'g')::tsquery",
            [
                *params,
                LONG_WORD_IN_TSQUERY,
                r"\1'\2':*",
                SIGMA_AT_END_IN_TSQUERY,
                r"\1( '\2σ'\3 | '\2ς'\3 )",
            ],
        )


class AnyWordSearchQuery(PrefixSearchQuery):
    """The query read as any one of the words it looks for, not those it leaves out ("-word"):
    a job matches the query only with one of them in its own words, its tags or its
    organization's name, so tags that hold none cannot help it match. NULL, which matches
    nothing, when the query only leaves words out."""

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        sql, params = super().as_sql(compiler, connection, **extra_context)
        # querytree() drops what is left out; the words it keeps are then joined by "or".
        return (
            "NULLIF(array_to_string(ARRAY(SELECT (regexp_matches("
            f"querytree({sql}), %s, 'g'))[1]), ' | '), '')::tsquery",
            [*params, WORD_IN_TSQUERY],
        )


class StoredSearchVector(SearchVectorCombinable, Expression):
    """A job's search title (weight A) and search text (C), parsed when the row was written,
    with a gap between them (GAP_WORD): the indexed column that migrations 0006, 0007, 0010,
    0027 and 0043 add on PostgreSQL. It is not a model field, since SQLite has no such column."""

    output_field = SearchVectorField()
    config = SEARCH_CONFIG
    column = SearchVectorField()
    column.set_attributes_from_name("search_vector")
    column.model = Job  # what Django's column reference reads; not added to Job's fields

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> Col:
        return Col(query.get_initial_alias(), self.column, self.output_field)


class _WordsOf(Func):
    function = "tsvector_to_array"
    output_field = ArrayField(TextField())


class _HasAWordStartedBy(Func):
    """Whether the first list of words holds a word of the second, or a word that one of its
    words of PREFIX_MIN_LETTERS or more starts: as PrefixSearchQuery matches them."""

    output_field = BooleanField()

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        (words, words_params), (starts, starts_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return (
            f"EXISTS (SELECT FROM unnest({words}) AS word, unnest({starts}) AS start "
            "WHERE word = start OR (char_length(start) >= %s AND starts_with(word, start)))",
            [*words_params, *starts_params, PREFIX_MIN_LETTERS],
        )


def _organizations_named_in(query: str) -> QuerySet[Organization]:
    """Organizations whose name has a word the query's words find (as the search reads them:
    "robotic" finds "Acme Robotics"), or holds a run of the query's Han or kana letters in a
    row: "会計" finds "会計事務所", not each name that holds 会 or 計 alone, as every
    "株式会社…" holds 会 (each of those letters is a word, as_searched)."""
    letter_runs = CJK_LETTERS_IN_A_ROW_RE.findall(query)
    others = CJK_LETTERS_IN_A_ROW_RE.sub(" ", query)
    name_words = SearchVector(
        _sigmas_alike(_joiners_as_spaces("search_name")), config=SEARCH_CONFIG
    )
    named = [
        Q(name_words=SearchQuery(run, search_type="phrase", config=SEARCH_CONFIG))
        for run in letter_runs
    ]
    if holds_a_word(others):
        others_words = SearchVector(
            _sigmas_alike(_joiners_as_spaces(Value(others))), config=SEARCH_CONFIG
        )
        named.append(Q(_HasAWordStartedBy(_WordsOf(name_words), _WordsOf(others_words))))
    if not named:
        return Organization.objects.none()
    return Organization.objects.alias(name_words=name_words).filter(
        functools.reduce(operator.or_, named)
    )
