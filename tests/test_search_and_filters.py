"""Keyword search and filters of /jobs/ and org pages: each filter, their combinations, the
query string, the match count, pagination, and the text and remote policy the sync stores."""

from __future__ import annotations

import random
import string
import sys
import unicodedata
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from django.contrib.postgres.search import SearchQuery
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.html import escape

from jobs import search, selectors
from jobs.greenhouse import parse_job, without_format_characters
from jobs.metadata import remote_policy_of_post
from jobs.models import Department, Job, Office, Organization, SyncRun
from jobs.search import (
    CASEFOLDS_TO_ASCII,
    SEARCH_CONFIG,
    SQLITE_WORD_IN_BYTES,
    SQLITE_WORDS_IN_A_ROW,
    StoredSearchVector,
    _joined_words_as_phrases,
    _organizations_named_in,
    filter_by_keywords,
    query_as_searched,
    sqlite_functions_register,
    words_in_a_row,
    words_searched,
)
from jobs.selectors import job_search, shown_name_key
from jobs.sync import sync_organization
from jobs.text import as_searched, composed, without_direction_controls
from tests.support.helpers import make_connection
from tests.support.public_jobs import job_to_make, make_job, make_unit
from tests.support.regex_steps import assert_steps_in_proportion, regex_steps_counted

pytestmark = pytest.mark.django_db


@pytest.fixture
def boards(acme, fake_greenhouse):
    """Acme Robotics (6 jobs) and Liberté Santé (4 jobs), synced from the fake Greenhouse."""
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    liberte = make_connection("liberte", "liberte-sante", name="Liberté Santé")
    sync_organization(liberte, trigger=SyncRun.Trigger.COMMAND)


def titles(response) -> set[str]:
    return {job.title for job in response.context["page"]}


def department(name: str) -> Department:
    return Department.objects.get(name=name)


# --- Keyword search ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("technician", {"Field Service Technician"}),  # title
        ("Liberté", {
            "Ingénieur·e logiciel — Données de santé", "Chargé·e de conformité RGPD / Loi 25",
            "Infirmier·ère coordonnateur·rice — Télésanté", "Développeur·se front-end (Vue.js)",
        }),  # organization
        ("Tokyo", {"Customer Success Lead, Japan"}),  # location
        ("trajectory", {"Robotics Software Engineer, Motion Planning"}),  # description text
        ("grippers install", {"Field Service Technician"}),  # every word must match
        ("acme technician", {"Field Service Technician"}),  # org name and title together
        ("technician -acme", set()),  # a word left out by the org's name
        ("technician -zeppelin", {"Field Service Technician"}),  # a word left out, absent
        ("grippers trajectory", set()),
        ("zeppelin", set()),
        # A word finds the longer words it starts (no stemming: boards mix languages).
        ("manag", {
            "Engineering Manager, Robotics", "Field Service Technician",
            "People Operations Partner",
        }),
        ("technic grippe", {"Field Service Technician"}),
        ("engineering -manager", {"Senior Platform Engineer"}),
        # "C++" is a word of its own, not the letter c (as "C#" and "F#" are, tested below).
        ("c++ technician", set()),
        # Words joined by . / - are found by their parts, and as written.
        ("vue typescript", {"Développeur·se front-end (Vue.js)"}),
        ("Vue.js", {"Développeur·se front-end (Vue.js)"}),
        ("front-end vue", {"Développeur·se front-end (Vue.js)"}),
        ("Liberté -vue.js", {
            "Ingénieur·e logiciel — Données de santé", "Chargé·e de conformité RGPD / Loi 25",
            "Infirmier·ère coordonnateur·rice — Télésanté",
        }),
        ("Acme-Robotics technician", {"Field Service Technician"}),
        # Letters beyond ASCII in any case (SQLite's LIKE folds only ASCII ones).
        ("LIBERTÉ -VUE.JS", {
            "Ingénieur·e logiciel — Données de santé", "Chargé·e de conformité RGPD / Loi 25",
            "Infirmier·ère coordonnateur·rice — Télésanté",
        }),
        ("PSEUDONYMISER DONNÉES", {"Ingénieur·e logiciel — Données de santé"}),
        ("données -DONNÉES", set()),
        ("PSEUDONYMISER DONNE\u0301ES", {"Ingénieur·e logiciel — Données de santé"}),  # é as e+◌́
        # A Kelvin sign is a K once composed: read as nothing else beyond ASCII, it failed.
        ("\u212aafka", {"Senior Platform Engineer"}),
        ('"field service"', {"Field Service Technician"}),  # a phrase
        ('"service field"', set()),
        ('acme -"field service"', {
            "Senior Platform Engineer", "Robotics Software Engineer, Motion Planning",
            "Engineering Manager, Robotics", "Customer Success Lead, Japan",
            "People Operations Partner",
        }),
    ],
)  # fmt: skip
def test_keywords_match_title_org_location_and_description(client, boards, query, expected):
    response = client.get("/jobs/", {"q": query})

    assert response.status_code == 200
    assert titles(response) == expected


@pytest.mark.parametrize(
    ("title", "query"),
    [
        ("Node.js Engineer", "node"),
        ("Node.js Engineer", "NODE.JS"),
        ("CI/CD Lead", "ci"),
        ("CI/CD Lead", "cd lead"),
        ("ASP.NET Developer", ".net"),
        ("Developer (ASP.NET)", "asp.net"),
        ("Back end engineer", "back-end"),
        ("Back-end engineer", "back end"),
    ],
)
def test_words_joined_by_dots_slashes_and_dashes_are_found_by_their_parts(db, title, query):
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, title)

    assert [job.title for job in job_search(query=query)] == [title]


WORD_START_TITLES = [
    "CI/CD Lead", "Domicile Nurse", "Cabinet Maker", ".NET Developer", "Ingénieur logiciel",
    "Engineering Manager", "3D Artist", "Agent 3", "École Teacher", "เรียนภาษา", "हिंदी शिक्षक",
    "भारत सरकार", "ผู้จัดการฝ่ายขาย",
]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ci", {"CI/CD Lead"}),  # not "domicile"
        ("net", {".NET Developer"}),  # not "cabinet"
        ("ing", {"Ingénieur logiciel"}),  # not "engineering"
        ("engin", {"Engineering Manager"}),  # the start of a word
        ("3", {"Agent 3"}),  # not "3D"
        ("cole", set()),  # not "École"
        ("ภาษา", set()),  # Thai written without a space: one word, which it does not start
        ("दी", set()),  # after a mark ("ं"), inside "हिंदी"
        ("हिं", {"हिंदी शिक्षक"}),  # a mark ends it, and it starts "हिंदी"
        ("रत", set()),  # after a vowel sign that takes a space of its own ("ा"), in "भारत"
        ("भार", {"भारत सरकार"}),  # ends with one, and starts "भारत"
        ("จัดการ", set()),  # after a tone mark ("้"), in "ผู้จัดการฝ่ายขาย"
        ("ผู้จัด", {"ผู้จัดการฝ่ายขาย"}),
        ("ci nurse", set()),
        ("nurse -ci", {"Domicile Nurse"}),
        ("ci or cabinet", {"CI/CD Lead", "Cabinet Maker"}),
    ],
)
def test_a_word_is_found_where_a_word_starts_not_inside_one(db, query, expected):
    """As PostgreSQL matches the words it parsed; on SQLite a word alone was found anywhere,
    "ci" in "domicile", and so left out of it too."""
    org = Organization.objects.create(name="Forge", slug="forge")
    for title in WORD_START_TITLES:
        make_job(org, title)

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's search")
def test_on_sqlite_the_regex_reads_only_texts_whose_ascii_bytes_leave_a_word_in_doubt(db):
    """Casefolding a description for the regex took 30-110 µs, and nearly every description
    holds "ci" inside a word ("social"): its bytes tell that at once, as they tell that "CI"
    after a space is a word, but not whether one after a Greek letter or before a curly
    apostrophe is: characters beyond ASCII may be letters."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Social Worker", search_text="Domicile visits, special care")
    make_job(org, "Build Lead", search_text="Pipelines for CI")
    make_job(org, "Review Lead", search_text="Reviews of CI’s pipelines")
    make_job(org, "Notes Lead", search_text="Notes on δci")
    texts_read = set()

    def read(text: str | None, pattern: str) -> bool:
        texts_read.add(text)
        return words_in_a_row(text, pattern)

    connection.ensure_connection()
    connection.connection.create_function(SQLITE_WORDS_IN_A_ROW, 2, read)
    try:
        found = {job.title for job in job_search(query="ci")}
    finally:
        sqlite_functions_register(None, connection)

    assert found == {"Build Lead", "Review Lead"}
    assert texts_read == {"Reviews of CI’s pipelines", "Notes on δci"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's search")
@pytest.mark.parametrize(
    ("query", "narrowed"),
    [("c", True), ("ci", True), ("Engineering", True), ("ΣΟΦΟΣ", False), ("мастер", False)],
)
def test_on_sqlite_only_an_ascii_word_is_narrowed_by_its_ascii_bytes(db, query, narrowed):
    """A letter beyond ASCII may casefold to another ("Σ" to "σ", "ς" to "σ" too): such a word
    is left to the regex alone."""
    sql = str(filter_by_keywords(Job.objects.all(), query).query)

    assert (f"{SQLITE_WORD_IN_BYTES}(CAST(" in sql) is narrowed


def test_casefolds_to_ascii_names_each_character_beyond_ascii_that_casefolds_to_ascii():
    """word_in_bytes() reads a text's ASCII letters, and these: one missing (a newer Unicode)
    would hide a word the regex finds."""
    letters_and_digits = frozenset(string.ascii_lowercase + string.digits)
    casefolding_to_ascii = {
        character
        for character in map(chr, range(0x80, sys.maxunicode + 1))
        if not letters_and_digits.isdisjoint(character.casefold())
    }

    assert casefolding_to_ascii == CASEFOLDS_TO_ASCII


# Letters, digits and what is between them, beyond ASCII too: letters that casefold to ASCII
# ("ﬁ", the Kelvin sign, "İ" to "i" and a dot), to another length or to no other ("ı", "ς"),
# a mark, U+02BC (a letter, compared as an apostrophe), and a zero-width space.
TRICKY_PIECES = [
    "ci", "CI", "cI", "c", "C", "ing", "fix", "st", "ss", "k8s", "3", "x", "i", "n", "j", "_", " ",
    "-", "\n", "/", "’", "\u02bc", "é", "e\u0301", "ß", "ẞ", "ﬁ", "ﬆ", "\u212a", "İ", "ı", "ŉ",
    "ǰ", "ς", "Σ", "я", "数", "ｃｉ", "٣", "\u200b",
]  # fmt: skip
TRICKY_TEXTS = [
    "ﬁx the prefix", "\u212a8s, not xk8s", "İNG, doing", "ŉ or n", "éci, ci_x", "δci", "ci’s",
    "CI数",
]  # fmt: skip
NARROWED_QUERIES = [
    "ci", "c", "ing", "fix", "fi", "ss", "st", "k8s", "3", "i", "x", "n", "j", "s", "ci fix",
    '"c ing"', "fix -ci", "ci or st", "я", "ς",
]  # fmt: skip


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's search")
def test_on_sqlite_narrowing_by_ascii_bytes_leaves_every_result_as_the_regex_alone(db, monkeypatch):
    """word_in_bytes() answers for the regex only where the regex would answer the same: over
    texts of tricky pieces, stored as given (not as save() keeps them), each query finds the
    same jobs as the regex alone."""
    org = Organization.objects.create(name="Forge", slug="forge")
    pieces = random.Random(2026)
    texts = [
        *TRICKY_TEXTS,
        *("".join(pieces.choices(TRICKY_PIECES, k=pieces.randint(1, 8))) for _ in range(400)),
    ]
    jobs = [job_to_make(org, "Tricky", search_text=text) for text in texts]
    for job, text in zip(jobs, texts, strict=True):
        job.search_title = job.search_tags = text
    Job.objects.bulk_create(jobs)

    def found() -> dict[str, set[str]]:
        return {
            query: {job.search_text for job in filter_by_keywords(Job.objects.all(), query)}
            for query in NARROWED_QUERIES
        }

    narrowed = found()
    monkeypatch.setattr(search, "_word_in_bytes", lambda field, word, alone: None)

    assert found() == narrowed
    assert {"ﬁx the prefix"} <= narrowed["fix"] and {"\u212a8s, not xk8s"} <= narrowed["k8s"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("/docker", {"K8s/Docker Engineer"}),
        ("/usr/local", {"Admin of /usr/local"}),
        ("c:/windows", {"Support, C:/Windows"}),
        ("~/bin", {"Admin of ~/bin"}),
        ("</b> writer", {"Bold </b> Writer"}),
        ("engineer -/docker", set()),
        ("admin -/usr/local", {"Admin of ~/bin"}),
        ('"/usr/local"', {"Admin of /usr/local"}),
        ('admin -"/usr/local"', {"Admin of ~/bin"}),
        # Words, as on SQLite: not the "-" that leaves one out, nor the operator "or".
        ("/-docker", {"K8s/Docker Engineer"}),
        ("docker /or windows", set()),
        ("/docker or c:/windows", {"K8s/Docker Engineer", "Support, C:/Windows"}),
    ],
)
def test_a_slash_before_a_word_of_the_query_finds_the_word(db, query, expected):
    """PostgreSQL's parser read "/docker" as a file path, a word no job's stored words hold."""
    org = Organization.objects.create(name="Forge", slug="forge")
    for title in ("K8s/Docker Engineer", "Admin of /usr/local", "Support, C:/Windows",
                  "Admin of ~/bin", "Bold </b> Writer"):  # fmt: skip
        make_job(org, title)

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("node.js", {"Node.js Engineer"}),  # a phrase: its parts must be side by side
        ("js node", {"Node.js Engineer", "Node engineer, some JS"}),
        ("node -node.js", {"Node engineer, some JS"}),
        # On PostgreSQL too the "-" was lost: the joined word, made a phrase, took it inside.
        ("node (-node.js", {"Node engineer, some JS"}),
        ('"node.js engineer"', {"Node.js Engineer"}),
    ],
)
def test_a_joined_word_in_a_query_reads_as_its_parts_in_order(db, query, expected):
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Node.js Engineer")
    make_job(org, "Node engineer, some JS")

    assert {job.title for job in job_search(query=query)} == expected


def test_an_organization_named_with_a_dot_is_found_by_either_word(db):
    org = Organization.objects.create(name="Fleet.io", slug="fleet")
    make_job(org, "Mechanic")

    for query in ("fleet", "fleet.io mechanic", "io"):
        assert [job.title for job in job_search(query=query)] == ["Mechanic"], query


def test_a_word_finds_the_organization_names_it_starts(db):
    """As in a job's own words: the organization's name is in every job's words, and on
    PostgreSQL its jobs are first picked by the words of its name."""
    org = Organization.objects.create(name="Forge Robotics", slug="forge")
    make_job(org, "Welder")

    for query in ("robotic welder", "forg"):
        assert [job.title for job in job_search(query=query)] == ["Welder"], query
    assert list(job_search(query="welder -robotic")) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("platform team", {"Lead <Platform Team>"}),
        ("<platform team>", {"Lead <Platform Team>"}),
        ("engineer", {"<script>alert(1)</script> Engineer"}),
        ("rust", {"Painter"}),  # a tag
        ("harbour river", {"Carver"}),  # the text
        ("tower", {"Lead <Platform Team>", "<script>alert(1)</script> Engineer", "Painter",
                   "Carver"}),  # the org's name
    ],
)  # fmt: skip
def test_words_between_angle_brackets_are_found_as_any_others(db, query, expected):
    """PostgreSQL's parser read "<" and what followed as an HTML tag, and dropped it up to the
    next ">", or to the end after "<script": none of these words were found there."""
    org = Organization.objects.create(name="Babel <Tower> & Co", slug="babel")
    make_job(org, "Lead <Platform Team>")
    make_job(org, "<script>alert(1)</script> Engineer")
    make_job(org, "Painter", tags=["<Rust>"])
    make_job(org, "Carver", search_text=as_searched("Sites where depth<harbour and river>sea"))

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("platform", {"Team~Platform Lead"}),
        ("years", {"Welder"}),  # the text
        ("~welder", {"Welder"}),
        ("~platform", {"Team~Platform Lead"}),
        ("lead -~platform", set()),
        ("rust", {"Painter"}),  # a tag
    ],
)
def test_words_after_a_tilde_are_found_as_any_others(db, query, expected):
    """PostgreSQL's parser read a "~" after a letter or at the start as a file path's start, one
    word: "Team~Platform" was "team" and "~platform", which "platform" did not find, and the
    query "~welder" found no "Welder"."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Team~Platform Lead")
    make_job(org, "Welder", search_text=as_searched("~years at sea"))
    make_job(org, "Painter", tags=["~Rust"])

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("49", {"Call Centre Agent"}),
        ("+49 30", {"Call Centre Agent"}),
        ("5", {"Welder"}),
        ('"5 years"', {"Welder"}),
        ("3+5", {"Welder"}),
        ("44", {"Painter"}),  # a tag
        ("8", {"Carver"}),  # the org's name
        # "C++" stays a word of its own.
        ("c++", {"C++17 Engineer"}),
        ("c++17", {"C++17 Engineer"}),
    ],
)
def test_numbers_after_a_plus_are_found_as_any_others(db, query, expected):
    """PostgreSQL's parser read a "+" before a digit as a number's sign: "+49" and "3+5 years"
    were the words "+49", "3", "+5" and "years", which "49" and "5 years" did not find."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Call Centre Agent", search_text=as_searched("Call +49 30 1234"))
    make_job(org, "Welder", search_text=as_searched("3+5 years at sea"))
    make_job(org, "Painter", tags=["UK+44"])
    make_job(org, "C++17 Engineer")
    make_job(Organization.objects.create(name="Forge+8", slug="forge-8"), "Carver")

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("amp", {"R&amp;D Engineer"}),
        ("r&amp;d", {"R&amp;D Engineer"}),
        ('"r&amp;d"', {"R&amp;D Engineer"}),
        ("nbsp plan", {"Welder"}),
        ("dental", {"Welder"}),
        ("robotics", {"Painter"}),  # a tag
        ("tower", {"Carver"}),  # the org's name
        ("&dental;", {"Welder"}),
        ("hindi", {"Welder"}),  # a name with a mark in it ("ी")
    ],
)
def test_words_of_what_reads_as_an_html_entity_are_found_as_any_others(db, query, expected):
    """PostgreSQL's parser read "&", a name and ";" as an HTML entity, which it dropped, name
    and all: a title escaped twice, "R&amp;D", was not found by "amp", nor "Pension&Dental;" by
    "dental"."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "R&amp;D Engineer")
    make_job(org, "Welder", search_text=as_searched("Pension&nbsp;plan, Pension&Dental;, &Hindiी;"))
    make_job(org, "Painter", tags=["&Robotics;"])
    make_job(Organization.objects.create(name="Babel&Tower;", slug="babel"), "Carver")

    assert {job.title for job in job_search(query=query)} == expected


def test_words_past_the_tenth_are_not_searched(db):
    """Each word costs the database a pass; a query of 75 "-word"s took 1.8 s."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Welder", search_text="one two three four five six seven eight nine ten")

    nine_words = "one two three four five six seven eight nine"
    assert [job.title for job in job_search(query=f"welder {nine_words} zeppelin")] == ["Welder"]
    assert list(job_search(query=f"welder {nine_words[:-5]} zeppelin")) == []
    # Inside a quoted phrase too: the phrase cut short still matches what it kept.
    phrase = f'"{nine_words} ten zeppelin"'
    assert [job.title for job in job_search(query=phrase)] == ["Welder"]


@pytest.mark.parametrize("path", ["/jobs/", "/orgs/acme/"])
def test_a_search_of_more_than_ten_words_says_which_were_searched(client, boards, path):
    """Else "34 jobs match" reads as if every word had narrowed the list."""
    query = "engineer a b c d e f g h i zzzzqqq"
    html = client.get(path, {"q": query}).content.decode()
    assert "Only the first 10 words were searched: “<bdi>engineer a b c d e f g h i</bdi>”." in html

    html = client.get(path, {"q": "engineer a b c d e f g h i"}).content.decode()
    assert "were searched" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("東京 ソフトウェアエンジニア 正社員", ["東京", "ソフトウェアエンジニア", "正社員"]),
        # Five letters a word: 11 are three, 50 ten, and the word after them is not searched.
        ("ソフトウェアエンジニア a b c d e f g h", ["ソフトウェアエンジニア", *"abcdefg"]),
        ("会計" * 25 + " 東京", ["会計" * 25]),
        # A first word of more is cut after 50 letters, "㍿" four of them (株式会社).
        ("会計" * 150, ["会計" * 25]),
        ("Python開発" + "㍿" * 20, ["Python開発" + "㍿" * 12]),
    ],
)
def test_a_run_of_han_or_kana_letters_counts_as_a_word_per_five_letters(query, expected):
    """Each letter is a word searched (as_searched), and a run of 300 letters, one word of the
    query, was a phrase of 300 words: 213 ms on 3,000 jobs, 7 for a run of five."""
    assert words_searched(query) == expected
    assert query_as_searched("会" * 300).count("会") == 50


def test_a_search_of_a_han_or_kana_run_too_long_says_what_was_searched(client, boards):
    html = client.get("/jobs/", {"q": "会" * 60}).content.decode()
    assert f"Only “<bdi>{'会' * 50}</bdi>” was searched." in html

    html = client.get("/jobs/", {"q": "東京 " + "会" * 60}).content.decode()
    assert "Only “<bdi>東京</bdi>” was searched." in html

    html = client.get("/jobs/", {"q": "会" * 50}).content.decode()
    assert "was searched" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("(robot", {"Robot Technician", "Robotics Engineer", "Robot Arm Designer"}),
        ("robot:*", {"Robot Technician", "Robotics Engineer", "Robot Arm Designer"}),
        ("robot!", {"Robot Technician", "Robotics Engineer", "Robot Arm Designer"}),
        # Symbols too, not only punctuation: "®", "$" and emoji are no part of a word.
        ("robot\u00ae", {"Robot Technician", "Robotics Engineer", "Robot Arm Designer"}),
        ("$robot \U0001f916arm", {"Robot Arm Designer"}),
        ("¿robot? «arm»", {"Robot Arm Designer"}),
        ('"(robot arm)"', {"Robot Arm Designer"}),
        ('"arm robot!"', set()),
        ("-robot!", {"Welder"}),
        ('-"robot arm."', {"Robot Technician", "Robotics Engineer", "Welder"}),
    ],
)
def test_punctuation_around_a_word_finds_what_the_word_finds(db, query, expected):
    """PostgreSQL's web search reads it as a space; SQLite's looked for "(robot" as written,
    and found nothing."""
    org = Organization.objects.create(name="Forge", slug="forge")
    for title in ("Robot Technician", "Robotics Engineer", "Robot Arm Designer", "Welder"):
        make_job(org, title)

    assert {job.title for job in job_search(query=query)} == expected


ROBOTS = {"Robot Technician", "Robotics Engineer", "Robot Arm Designer"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("(-robot", {"Welder"}),
        ("!-robot", {"Welder"}),
        ('(-"robot arm"', {"Robot Technician", "Robotics Engineer", "Welder"}),
        ("robot(-arm", {"Robot Technician", "Robotics Engineer"}),
        ("robot(arm", {"Robot Arm Designer"}),
        ("welder - robot", {"Welder"}),
        ("--robot", ROBOTS),  # "without without"
    ],
)
def test_a_minus_after_an_operator_or_a_space_leaves_the_word_out_as_on_postgresql(
    db, query, expected
):
    """PostgreSQL's web search skips "!&|()<" and spaces before a word and reads each "-" among
    them as "without"; SQLite looked for "-" only at the start of the term, so "(-robot" found
    the robot jobs there."""
    org = Organization.objects.create(name="Forge", slug="forge")
    for title in ("Robot Technician", "Robotics Engineer", "Robot Arm Designer", "Welder"):
        make_job(org, title)

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"utc -5"', {"Support Lead"}),
        ('"-5,000"', {"Support Lead"}),
        ("utc:-5", {"Support Lead"}),
        ("utc--5", {"Support Lead"}),
        ('shifts "-5,000', {"Support Lead"}),
        ("shifts -5", {"Night Shifts Lead"}),  # before the term, "without" still
    ],
)
def test_a_minus_before_a_digit_inside_a_term_is_read_as_the_words_are_stored(db, query, expected):
    """PostgreSQL's parser reads "-5" as a negative number, a word no stored text holds: the
    stored words read every "-" as a space, so in a phrase or after punctuation it found none
    of the jobs SQLite finds."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Support Lead", search_text="Shifts on UTC-5, a bonus of 5,000")
    make_job(org, "Night Shifts Lead")

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("robot:arm", {"Robot: Arm Designer"}),
        ("robot:arm:designer", {"Robot: Arm Designer"}),
        ("10:30", {"Shift Lead"}),
        ("welder or:arm", {"Robot: Arm Designer", "Arm of the Robot Team", "Welder"}),
    ],
)
def test_a_colon_inside_a_term_keeps_its_words_in_a_row_as_other_punctuation_does(
    db, query, expected
):
    """PostgreSQL's web search ended a term at ":" and looked for the words on either side of
    it anywhere, where after "," or "*" it looks for them in a row, as SQLite always did."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Robot: Arm Designer")
    make_job(org, "Arm of the Robot Team")
    make_job(org, "Shift Lead", search_text="Starts at 10:30")
    make_job(org, "Night Lead", search_text="30 nights, 10 days")
    make_job(org, "Welder")

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize("query", ['"robot arm"', '"robot-arm"', "robot.arm"])
def test_a_phrase_is_found_with_its_words_joined_by_a_dash_dot_or_slash(db, query):
    """PostgreSQL reads "./-" between words as spaces, stored and queried alike; SQLite looked
    for "robot arm" as written, and missed "Robot-Arm"."""
    org = Organization.objects.create(name="Acme", slug="acme")
    for title in ("Robot-Arm Designer", "Robot.Arm Fitter", "Robot/Arm Tester", "Robot Arms Lead"):
        make_job(org, title)
    make_job(org, "Arm Robot Painter")
    make_job(org, "Robot Technician", search_text="An arm")

    assert {job.title for job in job_search(query=query)} == {
        "Robot-Arm Designer",
        "Robot.Arm Fitter",
        "Robot/Arm Tester",
        "Robot Arms Lead",
    }


@pytest.mark.parametrize("query", ['"robot arm"', "robot-arm", "robot,arm", '"robot: arm"'])
def test_a_phrase_is_found_with_any_spaces_or_punctuation_between_its_words(db, query):
    """PostgreSQL compares the words it parsed, whatever lay between them; SQLite looked for
    the words with one space, dash, dot or slash between them, and missed a line break, two
    spaces or " - ". Not across two tags, which PostgreSQL keeps apart."""
    org = Organization.objects.create(name="Acme", slug="acme")
    for title in ("Robot  Arm Designer", "Robot - Arm Fitter", "Robot, Arm Tester"):
        make_job(org, title)
    make_job(org, "Welder", search_text="Our robot\narm needs you")
    make_job(org, "Painter", tags=["Robot", "Arm"])
    make_job(org, "Robot Technician", search_text="An arm")

    assert {job.title for job in job_search(query=query)} == {
        "Robot  Arm Designer",
        "Robot - Arm Fitter",
        "Robot, Arm Tester",
        "Welder",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"robot arm"', {"Robot Arm Designer", "Robots Armada Lead"}),
        ('"robot armada"', {"Robots Armada Lead"}),
        ('"go arm"', {"Go Arm Tester"}),  # not a word of one or two letters
        ('"robot ar"', set()),  # last either
        ('"bot arm"', set()),  # nor the end of a word
    ],
)
def test_each_word_of_a_phrase_finds_the_longer_words_it_starts(db, query, expected):
    """As a word alone does; on PostgreSQL a phrase's words did, and on SQLite only its last."""
    org = Organization.objects.create(name="Acme", slug="acme")
    for title in ("Robot Arm Designer", "Robots Armada Lead", "Go Arm Tester", "Gopher Arm Lead"):
        make_job(org, title)

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize(
    "search_text",
    [
        lambda size: "robot" + "_" * size + "x",  # a description's form line ("Signature: ___")
        lambda size: "robot" + "\u0301" * size + "x",  # marks, which a word reads as its own
        lambda size: "robot" * (size // 5),  # a word repeating the first
    ],
    ids=["a run of underscores", "a run of marks", "a word repeating the first"],
)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's regex")
def test_a_phrase_search_over_a_long_run_after_its_first_word_takes_work_in_its_length(
    db, search_text
):
    """On SQLite the phrase's regex took time in the square of the run's length, from seconds
    to minutes for runs of 200,000 characters. Its steps are counted (regex_steps_counted), not
    timed: a run twice as long takes at most twice as many, not four times."""
    org = Organization.objects.create(name="Acme", slug="acme")
    make_job(org, "Robot Arm Designer")

    def steps_for(size: int) -> int:
        lead = make_job(org, "Robot Lead", search_text=search_text(size))
        with regex_steps_counted(search) as steps:
            assert {job.title for job in job_search(query='"robot arm"')} == {"Robot Arm Designer"}
        lead.delete()
        return steps.count

    assert_steps_in_proportion(steps_for, 500)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's regex")
def test_a_search_of_a_long_word_over_a_text_that_repeats_its_letters_takes_work_in_its_length(db):
    """On SQLite each place of the text that holds the word was read again to look behind it,
    by the bytes' regex and the text's, in the square of the word's length: near 1 s a row of
    50,000 letters. Its steps are counted (regex_steps_counted), not timed: a word and a text
    twice as long take at most twice as many, not four times."""
    org = Organization.objects.create(name="Acme", slug="acme")

    def steps_for(size: int) -> int:
        # "é" first: the bytes leave the word in doubt, and the text's regex reads it too.
        lead = make_job(org, "Lead", search_text="é" + "c" * size)
        with regex_steps_counted(search) as steps:
            assert not job_search(query="c" * (size // 4)).exists()
        lead.delete()
        return steps.count

    assert_steps_in_proportion(steps_for, 400)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"robot arm', {"Robot Arm Designer", "Robot Arm Painter"}),  # a phrase to the end
        ('-"robot arm', {"Arm Robot Painter"}),
        ('painter"robot arm"', {"Robot Arm Painter"}),  # a quote ends the term before it
        ('robot"arm"', {"Robot Arm Designer", "Robot Arm Painter", "Arm Robot Painter"}),
    ],
)
def test_a_quote_starts_a_phrase_wherever_it_is_as_on_postgresql(db, query, expected):
    """PostgreSQL's web search reads a quote left open as a phrase to the end of the query, and
    one inside a term as the end of that term; SQLite read either as part of a word."""
    org = Organization.objects.create(name="Acme", slug="acme")
    for title in ("Robot Arm Designer", "Robot Arm Painter", "Arm Robot Painter"):
        make_job(org, title)

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("welder or painter", {"Welder", "Painter", "Gilder"}),
        ("welder OR painter", {"Welder", "Painter", "Gilder"}),
        ("robot arm or welder", {"Robot Arm Designer", "Welder", "Gilder"}),  # "and" binds first
        ('"robot arm" or painter', {"Robot Arm Designer", "Painter", "Gilder"}),
        ("welder or -robot", {"Welder", "Painter", "Gilder"}),
        ("welder (or painter", {"Welder", "Painter", "Gilder"}),  # "!&|()" skipped, as spaces
        # Punctuation or a quote glued after it ends it too, and is no word.
        ("welder or,painter", {"Welder", "Painter", "Gilder"}),
        ("welder or, painter", {"Welder", "Painter", "Gilder"}),
        ('welder or"painter"', {"Welder", "Painter", "Gilder"}),
        ('"welder"or painter', {"Welder", "Painter", "Gilder"}),
        ("painter or,robot-arm", {"Robot Arm Designer", "Painter", "Gilder"}),
        # Not between two terms, or after a "-", or with only spaces after what follows it, or
        # with a letter, digit, "_" or "-" right after it: the word "or".
        ("welder or or painter", {"Welder", "Gilder"}),
        ("welder or", {"Gilder"}),
        ("welder or,", {"Gilder"}),
        ("welder orb", set()),
        ("or welder", {"Gilder"}),
        ("painter -or", {"Painter"}),
    ],
)
def test_or_between_two_terms_finds_either_as_on_postgresql(db, query, expected):
    """PostgreSQL's web search reads "or" there as an operator; SQLite read it as a word."""
    org = Organization.objects.create(name="Acme", slug="acme")
    for title in ("Robot Arm Designer", "Robot Technician", "Welder", "Painter"):
        make_job(org, title)
    make_job(org, "Gilder", search_text="Welder or painter wanted")

    assert {job.title for job in job_search(query=query)} == expected


def test_a_mark_that_ends_a_word_stays_as_the_punctuation_after_it_goes(db):
    """Many a word in Indic scripts ends with a vowel sign ("सेवा", service): taken for
    punctuation, "सेवा!" would also find "सेवन" (consumption)."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "सेवा Manager")
    make_job(org, "सेवन Analyst")

    assert [job.title for job in job_search(query="सेवा!")] == ["सेवा Manager"]


@pytest.mark.parametrize("query", ['"', "''", "-", '" - "'])
def test_a_query_without_a_word_lists_every_job_as_an_empty_one_does(client, boards, query):
    assert titles(client.get("/jobs/", {"q": query})) == titles(client.get("/jobs/"))


@pytest.mark.parametrize("path", ["/jobs/", "/orgs/acme/"])
@pytest.mark.parametrize("query", ["\U0001f680", "%", "_", '"'])
def test_a_query_without_a_word_is_said_to_search_nothing_not_to_match_every_job(
    client, boards, path, query
):
    """A visitor searching "🚀" or "%" was told "10 jobs match": every open job, unsearched."""
    html = client.get(path, {"q": query}).content.decode()

    assert "jobs match" not in html
    assert " open jobs" in html
    assert f"No word was searched in “<bdi>{escape(query)}</bdi>”" in html
    # With a filter that does narrow the list, the jobs it leaves are those that match.
    html = client.get(path, {"q": query, "remote": "remote"}).content.decode()
    assert "jobs match" in html or "job matches" in html


@pytest.mark.parametrize("path", ["/jobs/", "/orgs/acme/"])
@pytest.mark.parametrize("query", ["\u200b", "\u200f", "\u202e", "\u00ad \u200b"])
def test_a_query_that_shows_nothing_is_an_empty_box_not_a_pair_of_empty_quotes(
    client, boards, path, query
):
    """A zero-width space, a direction mark or a soft hyphen alone (pasted, or left over from
    a query deleted): the page's title and note quoted it, “”, as if a word had been lost."""
    page = BeautifulSoup(client.get(path, {"q": query}).content, "html.parser")
    empty_box = BeautifulSoup(client.get(path).content, "html.parser")

    assert page.title.string == empty_box.title.string
    assert page.select_one(".match-count").parent.get_text() == (
        empty_box.select_one(".match-count").parent.get_text()
    )
    assert page.select_one("#filter-q")["value"] == ""


@pytest.mark.parametrize("path", ["/jobs/", "/orgs/acme/"])
def test_a_query_without_a_word_is_left_out_of_the_lists_canonical_address(client, boards, path):
    """The page lists its jobs as if the box were empty: its canonical link kept "?q=🚀", as if
    each such query were a list of its own."""
    filtered = client.get(path, {"q": "\U0001f680", "remote": "remote"})
    unfiltered = client.get(path, {"q": "%"})

    assert filtered.context["canonical_url"] == f"http://testserver{path}?remote=remote"
    assert unfiltered.context["canonical_url"] == f"http://testserver{path}"


@pytest.mark.parametrize(
    ("path", "empty"),
    [("/jobs/", "No open jobs right now."), ("/orgs/forge/", "No open roles right now.")],
)
def test_a_query_without_a_word_with_no_open_job_says_there_is_none_not_that_none_match(
    client, db, path, empty
):
    """It searched nothing: "No open jobs match these filters" blamed the visitor's "🚀"."""
    Organization.objects.create(name="Forge", slug="forge")

    html = client.get(path, {"q": "\U0001f680"}).content.decode()

    assert empty in html
    assert "match these filters" not in html


def test_a_query_whose_first_words_hold_no_word_names_those_it_searched(client, boards):
    """The word after them is no word searched: "No word was searched in “% … % engineer”:
    keyword search looks for letters and digits" named one that has letters."""
    html = client.get("/jobs/", {"q": "% " * 10 + "engineer"}).content.decode()

    assert " open jobs" in html
    assert (
        "No word was searched in “<bdi>% % % % % % % % % %</bdi>”, the first 10 words: keyword "
        "search looks for letters and digits." in html
    )
    assert "Only the first" not in html


def test_a_query_whose_first_word_alone_is_searched_and_holds_no_word_says_so_in_the_singular(
    client, boards
):
    """A run of Han or kana past the words searched leaves the first word alone: the page said
    "the first 1 words"."""
    html = client.get("/jobs/", {"q": "% " + "会" * 60}).content.decode()

    assert (
        "No word was searched in “<bdi>%</bdi>”, the first word: keyword search looks for "
        "letters and digits." in html
    )


@pytest.mark.parametrize("path", ["/jobs/", "/orgs/acme/"])
@pytest.mark.parametrize("params", [{}, {"remote": "remote"}])
def test_a_list_without_a_query_says_nothing_of_words_not_searched(client, boards, path, params):
    """No query is no search: "No word was searched in “”" does not belong on every list."""
    html = client.get(path, params).content.decode()

    assert "No word was searched" not in html
    assert "words were searched" not in html


def test_a_query_with_a_word_says_nothing_of_words_not_searched(client, boards):
    html = client.get("/jobs/", {"q": "engineer 🚀"}).content.decode()

    assert "jobs match" in html
    assert "No word was searched" not in html


def test_a_query_of_a_mark_alone_is_a_word_searched(client, boards):
    """A Devanagari vowel sign ("ा") is part of a word to the search, as to PostgreSQL's
    parser: the page said "No word was searched" and listed every job."""
    response = client.get("/jobs/", {"q": "\u093e"})

    assert titles(response) == set()
    assert "No word was searched" not in response.content.decode()


def test_keywords_match_department_and_office_names_stored_by_the_sync(client, db, fake_greenhouse):
    post = fake_greenhouse.jobs("tiny-co")[0]
    post["departments"] = [{"id": 77, "name": "Fermentation", "parent_id": None, "child_ids": []}]
    post["offices"] = [{"id": 78, "name": "Walk-in Fridge", "location": "Alberta St, Portland"}]
    fake_greenhouse.touch("tiny-co")
    sync_organization(make_connection("tiny", "tiny-co"), trigger=SyncRun.Trigger.COMMAND)

    for query in ("fermentation", "fridge", "Alberta"):
        assert titles(client.get("/jobs/", {"q": query})) == {"Office Manager (part-time)"}


TAGGED_JOBS = {
    "Welder": ["Visa sponsorship", "Télétravail"],
    "Painter": ["C++", "Node.js"],
    "Carver": ["C"],
    "Sculptor": [],
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("visa", {"Welder"}),
        ("VISA SPONSOR", {"Welder"}),  # in any case; a word finds the longer words it starts
        ('"visa sponsorship"', {"Welder"}),
        ("visa-sponsorship", {"Welder"}),
        ("teletravail", {"Welder"}),  # without its accent
        ("visa welder", {"Welder"}),  # a tag and the title together
        ("forge visa", {"Welder"}),  # a tag and the organization's name together
        ("visa painter", set()),
        ("welder -visa", set()),  # a word left out by a tag
        ("-visa", {"Painter", "Carver", "Sculptor"}),
        ("c++", {"Painter"}),  # as in a title: "C++" is a word of its own
        ("node", {"Painter"}),
    ],
)  # fmt: skip
def test_keywords_match_the_tags_an_org_admin_gave_a_job(db, query, expected):
    org = Organization.objects.create(name="Forge", slug="forge")
    for title, tags in TAGGED_JOBS.items():
        make_job(org, title, tags=tags)

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"python berlin"', {"Analyst"}),
        ('-"python berlin"', {"Engineer", "Developer", "Writer"}),
        ("python berlin", {"Engineer", "Developer", "Writer", "Analyst"}),  # words, anywhere
    ],
)
def test_a_quoted_phrase_is_found_within_a_tag_not_across_a_tag_and_its_neighbour(
    db, query, expected
):
    """PostgreSQL numbered a job's words on from its text to its tags and its organization's
    name: a phrase matched the last word of one tag and the first of the next, of the text and
    the first tag, or of the last tag and the name. SQLite compares each apart."""
    forge = Organization.objects.create(name="Forge", slug="forge")
    berlin_labs = Organization.objects.create(name="Berlin Labs", slug="berlin")
    make_job(berlin_labs, "Engineer", tags=["Python"])
    make_job(forge, "Developer", tags=["Python", "Berlin office"])
    make_job(forge, "Writer", search_text="Docs in Python", tags=["Berlin"])
    make_job(forge, "Analyst", tags=["Python Berlin"])

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"nurse berlin"', {"Senior Nurse Berlin", "Carer"}),
        ('-"nurse berlin"', {"Nurse"}),
        ("nurse berlin", {"Nurse", "Senior Nurse Berlin", "Carer"}),  # words, anywhere
        ('"senior nurse"', {"Senior Nurse Berlin"}),  # a phrase at the title's start,
        ('"berlin mitte"', {"Nurse"}),  # at the text's start
        ('"shifts in berlin"', {"Carer"}),  # and at its end
    ],
)
def test_a_quoted_phrase_is_found_within_the_title_or_the_text_not_across_them(db, query, expected):
    """PostgreSQL numbered a job's stored words on from its title's last to its text's first:
    "nurse berlin" found a job titled "Nurse" whose text starts with "Berlin". SQLite compares
    each apart."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Nurse", search_text="Berlin Mitte")
    make_job(org, "Senior Nurse Berlin", search_text="Hamburg")
    make_job(org, "Carer", search_text="Nurse Berlin shifts in Berlin")

    assert {job.title for job in job_search(query=query)} == expected


def test_a_tag_is_found_on_the_jobs_page_and_its_organizations_page(client, db):
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Welder", tags=["Visa sponsorship"])
    make_job(org, "Painter")

    for url in ("/jobs/", "/orgs/forge/"):
        assert titles(client.get(url, {"q": "visa"})) == {"Welder"}, url


LANGUAGE_TITLES = [
    "C++ Engineer", "Embedded Engineer (C/C++17)", "C# Developer", "Backend Developer (C#, .NET)",
    "F# Developer", "C Firmware Engineer", "Objective-C Developer", "Toolchain Engineer, abc++",
    "Game Developer (C ++)", "Music Teacher, F♯ minor",
]  # fmt: skip
CPLUSPLUS_TITLES = {"C++ Engineer", "Embedded Engineer (C/C++17)", "Game Developer (C ++)"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("c++", CPLUSPLUS_TITLES),
        ("C++", CPLUSPLUS_TITLES),
        ("c++17", {"Embedded Engineer (C/C++17)"}),
        ("c#", {"C# Developer", "Backend Developer (C#, .NET)"}),
        ("C# backend", {"Backend Developer (C#, .NET)"}),
        ("F#", {"F# Developer", "Music Teacher, F♯ minor"}),
        ("developer -c#", {"F# Developer", "Objective-C Developer", "Game Developer (C ++)"}),
        ('"c# developer"', {"C# Developer"}),
        # As some write or type them: with a space, the music sign, full-width.
        ("C ++", CPLUSPLUS_TITLES),
        ("c ++ embedded", {"Embedded Engineer (C/C++17)"}),
        ("C♯", {"C# Developer", "Backend Developer (C#, .NET)"}),
        ("Ｃ＋＋", CPLUSPLUS_TITLES),
    ],
)  # fmt: skip
def test_cplusplus_csharp_and_fsharp_find_only_the_jobs_that_name_them(db, query, expected):
    """PostgreSQL's parser reads "C++", "C#" and "F#" as "c" and "f": each found every C job."""
    org = Organization.objects.create(name="Forge", slug="forge")
    for title in LANGUAGE_TITLES:
        make_job(org, title)

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.parametrize(
    "query",
    [
        "C++エンジニア",
        "C ++エンジニア",
        "c ++ エンジニア",
        "Ｃ ＋＋エンジニア",
        "開発 C ++エンジニア",
    ],
)
def test_cplusplus_typed_apart_before_han_or_kana_finds_the_jobs_that_name_it(db, query):
    """A bare term that holds Han or kana is quoted, a phrase of its letters: "C ++エンジニア"
    was read as the word "C" and the phrase "++エンジニア": its "C" apart from its "++" were no
    "C++", and it found the C job instead (on SQLite, the C++ and C# ones too)."""
    org = Organization.objects.create(name="Forge", slug="forge")
    for title in ("C++エンジニア（開発）", "Cエンジニア（開発）", "C#エンジニア（開発）", "Welder"):
        make_job(org, title)

    assert {job.title for job in job_search(query=query)} == {"C++エンジニア（開発）"}


@pytest.mark.parametrize(
    "query", ["エンジニアC ++", "エンジニアc ++", "ｴﾝｼﾞﾆｱＣ ＋＋", "エンジニアC++"]
)
def test_cplusplus_typed_apart_after_han_or_kana_finds_the_jobs_that_name_it(db, query):
    """Han and kana letters are words of their own, but the query's terms are told apart before
    its letters are: "エンジニアC ++" was the phrase "エンジニアC" and the term "++", which found
    the C job (on PostgreSQL, none)."""
    org = Organization.objects.create(name="Forge", slug="forge")
    for title in ("開発エンジニアC++", "開発エンジニアC", "開発エンジニアC#", "Welder"):
        make_job(org, title)

    assert {job.title for job in job_search(query=query)} == {"開発エンジニアC++"}


def test_a_plain_c_finds_the_word_c_alone(db):
    org = Organization.objects.create(name="Forge", slug="forge")
    for title in LANGUAGE_TITLES:
        make_job(org, title)

    assert {job.title for job in job_search(query="c")} == {
        "Embedded Engineer (C/C++17)", "C Firmware Engineer", "Objective-C Developer",
    }  # fmt: skip


def test_cplusplus_csharp_and_fsharp_in_a_post_are_found_as_the_sync_stores_it(
    client, db, fake_greenhouse
):
    post = fake_greenhouse.jobs("tiny-co")[0]
    post["content"] = (
        "&lt;p&gt;Our tools are in C++/CLI (and F#); see example.com/docs#c and "
        "example.com/c#intro.&lt;/p&gt;"
    )
    fake_greenhouse.touch("tiny-co")
    sync_organization(make_connection("tiny", "tiny-co"), trigger=SyncRun.Trigger.COMMAND)

    for query in ("c++", "C++/CLI", "f#"):
        assert titles(client.get("/jobs/", {"q": query})) == {"Office Manager (part-time)"}
    assert titles(client.get("/jobs/", {"q": "c#"})) == set()


def test_numbers_after_a_plus_in_a_post_are_found_as_the_sync_stores_it(
    client, db, fake_greenhouse
):
    post = fake_greenhouse.jobs("tiny-co")[0]
    post["content"] = "&lt;p&gt;We want 3+5 years at sea; call +49 30.&lt;/p&gt;"
    fake_greenhouse.touch("tiny-co")
    sync_organization(make_connection("tiny", "tiny-co"), trigger=SyncRun.Trigger.COMMAND)

    for query in ('"5 years"', "49", "+49"):
        assert titles(client.get("/jobs/", {"q": query})) == {"Office Manager (part-time)"}


def test_words_of_entities_in_a_post_escaped_twice_are_found_as_the_sync_stores_it(
    client, db, fake_greenhouse
):
    """Content escaped once more than Greenhouse escapes it shows "R&amp;D" and "&nbsp;" as
    text, which PostgreSQL's parser dropped as entities, names and all."""
    post = fake_greenhouse.jobs("tiny-co")[0]
    post["content"] = "&lt;p&gt;Our R&amp;amp;amp;D&amp;amp;nbsp;lab&lt;/p&gt;"
    fake_greenhouse.touch("tiny-co")
    sync_organization(make_connection("tiny", "tiny-co"), trigger=SyncRun.Trigger.COMMAND)

    job = Job.objects.get(title="Office Manager (part-time)")
    assert "R&amp;amp;D&amp;nbsp;lab" in job.description_html  # shown as "R&amp;D&nbsp;lab"
    for query in ("amp", "r&amp;d", "nbsp lab"):
        assert titles(client.get("/jobs/", {"q": query})) == {"Office Manager (part-time)"}


@pytest.mark.parametrize(
    "url, box",
    [
        ("/", "#home-search"),
        ("/jobs/", "#filter-q"),
        ("/orgs/acme/", "#filter-q"),
        ("/no-such-page/", "#not-found-search"),
    ],
)
def test_a_search_boxs_hint_is_text_it_is_described_by_not_a_placeholder(client, boards, url, box):
    """A placeholder is cut at the box's edge on a phone ("Title, organization, t" at 320 px,
    where 400% zoom lands), and goes once a word is typed: the hint is text by the box."""
    page = BeautifulSoup(client.get(url).content, "html.parser")

    field = page.select_one(box)
    assert not field.has_attr("placeholder")
    hint = page.select_one(f"#{field['aria-describedby']}").get_text(strip=True)
    assert hint.startswith("Title, ") and hint.endswith("team, place or skill")


def test_the_search_boxes_name_what_a_keyword_matches_alike(client, boards):
    """The home page said "organization" and /jobs/ "team": a keyword matches both (the org's
    name, a department's), on any page; an org's own page needs not name the org."""

    def hint(url: str, box: str) -> str:
        page = BeautifulSoup(client.get(url).content, "html.parser")
        return page.select_one(f"#{page.select_one(box)['aria-describedby']}").get_text(strip=True)

    home = hint("/", "#home-search")

    assert home == hint("/jobs/", "#filter-q") == "Title, organization, team, place or skill"
    assert hint("/no-such-page/", "#not-found-search") == home
    assert hint("/orgs/acme/", "#filter-q") == "Title, team, place or skill"
    acme = set(Job.objects.filter(organization__slug="acme").values_list("title", flat=True))
    assert titles(client.get("/jobs/", {"q": "Acme Robotics"})) == acme  # the organization
    team = Department.objects.filter(jobs__isnull=False).first()
    in_team = set(team.jobs.values_list("title", flat=True))
    assert in_team <= titles(client.get("/jobs/", {"q": f'"{team.name}"'}))  # the team


LIBERTE_JOBS = {
    "Ingénieur·e logiciel — Données de santé", "Chargé·e de conformité RGPD / Loi 25",
    "Infirmier·ère coordonnateur·rice — Télésanté", "Développeur·se front-end (Vue.js)",
}  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("munchen", {"Robotics Software Engineer, Motion Planning"}),  # location
        ("MUNCHEN", {"Robotics Software Engineer, Motion Planning"}),
        ("Munchen", {"Robotics Software Engineer, Motion Planning"}),
        ("München", {"Robotics Software Engineer, Motion Planning"}),
        ("zurich cafe", {"Robotics Software Engineer, Motion Planning"}),  # description
        ("kanto", {"Customer Success Lead, Japan"}),
        ("montreal", {
            "Ingénieur·e logiciel — Données de santé", "Développeur·se front-end (Vue.js)",
            "Infirmier·ère coordonnateur·rice — Télésanté",
        }),
        ("liberte", LIBERTE_JOBS),  # the organization's name
        ("LIBERTE sante -vue.js", LIBERTE_JOBS - {"Développeur·se front-end (Vue.js)"}),
        ("ingenieur", {"Ingénieur·e logiciel — Données de santé"}),  # title
        ("charge conformite", {"Chargé·e de conformité RGPD / Loi 25"}),
        ("CHARGE·E", {"Chargé·e de conformité RGPD / Loi 25"}),  # "·" is beyond ASCII too
        ("teletravail", {"Développeur·se front-end (Vue.js)"}),
        ('"donnees de sante"', LIBERTE_JOBS),
        ("developpeur -développeur", set()),
    ],
)  # fmt: skip
def test_keywords_are_found_with_or_without_their_accents(client, boards, query, expected):
    assert titles(client.get("/jobs/", {"q": query})) == expected


def test_a_word_written_without_its_accent_is_found_by_the_word_with_it(
    client, acme, fake_greenhouse
):
    """An English post writes "Zurich", a German one "Zürich": each query finds both."""
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["location"]["name"] = "Zurich, Switzerland"
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    both = {post["title"], "Robotics Software Engineer, Motion Planning"}  # "Zürich" in its text

    for query in ("Zürich", "zurich", "ZÜRICH"):
        assert titles(client.get("/jobs/", {"q": query})) == both, query
    assert titles(client.get("/orgs/acme/", {"q": "zürich"})) == both


def test_an_accent_in_the_title_alone_is_found_both_ways(db):
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Café Manager")
    make_job(org, "Cafe Cook")
    make_job(org, "Sous-chef, Łódź")

    for query in ("cafe", "Café", "CAFÉ"):
        assert {job.title for job in job_search(query=query)} == {"Café Manager", "Cafe Cook"}
    assert [job.title for job in job_search(query="lodz")] == ["Sous-chef, Łódź"]


TITLES_TYPED_OTHERWISE = [
    "مدير إداري أول", "مُهَنْدِس برمجيات", "مهندس شبكات", "مهـندس مدني", "محاسب",
    "מְהַנְדֵּס תוכנה", "מהנדס נתונים", "Yazılım Geliştirici", "YAZILIM TEST UZMANI", "Izmir",
    "مدیر فنی", "کارشناس بانک", "بانك الرياض", "لحام ٢٠٢٤", "جوشکار ۲۰۲۴", "Welder 2024",
    "Þór Logistics", "Thor Freight", "Garðabær Office", "Gardabaer Depot", "Ħamrun Clerk",
    "Hamrun Cashier", "Eŋgelas Teacher", "Engelas Tutor", "نمایندۀ فروش", "نماینده بیمه",
    "वेल्डर २०२४", "ช่างเชื่อม ๒๐๒๔", "برنامه\u200cنویس ارشد", "مُعَلِّمُ ٱلْقُرْءَانِ ۚ بِهِۦ",
    "مسجد محمدؐ", "قارئ رَحِيمࣰا ࣖ",
]  # fmt: skip
ARABIC_ENGINEERS = {"مُهَنْدِس برمجيات", "مهندس شبكات", "مهـندس مدني"}
HEBREW_ENGINEERS = {"מְהַנְדֵּס תוכנה", "מהנדס נתונים"}
TURKISH_SOFTWARE = {"Yazılım Geliştirici", "YAZILIM TEST UZMANI"}
YEAR_2024 = {"لحام ٢٠٢٤", "جوشکار ۲۰۲۴", "Welder 2024", "वेल्डर २०२४", "ช่างเชื่อม ๒๐๒๔"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Alef with a hamza (or madda) as alef, either way.
        ("اداري", {"مدير إداري أول"}),
        ("إداري أول", {"مدير إداري أول"}),
        ("آداري", {"مدير إداري أول"}),
        ('"مدير اداري اول"', {"مدير إداري أول"}),
        # Harakat and the tatweel, in the title or the query.
        ("مهندس", ARABIC_ENGINEERS),
        ("مُهَنْدِس", ARABIC_ENGINEERS),
        ("مهـندس", ARABIC_ENGINEERS),
        ("مُحَاسِب", {"محاسب"}),
        # Hebrew's points, either way.
        ("מהנדס", HEBREW_ENGINEERS),
        ("מְהַנְדֵּס", HEBREW_ENGINEERS),
        ("תּוֹכנה", {"מְהַנְדֵּס תוכנה"}),
        # Dotless ı as i, and İ as I.
        ("yazilim", TURKISH_SOFTWARE),
        ("Yazılım", TURKISH_SOFTWARE),
        ("YAZILIM", TURKISH_SOFTWARE),
        ("gelistirici", {"Yazılım Geliştirici"}),
        ("İzmir", {"Izmir"}),
        # Persian's yeh and keheh (a Persian keyboard's) as Arabic's, either way.
        ("مدير", {"مدير إداري أول", "مدیر فنی"}),
        ("مدیر", {"مدير إداري أول", "مدیر فنی"}),
        ("بانك", {"کارشناس بانک", "بانك الرياض"}),
        ("بانک", {"کارشناس بانک", "بانك الرياض"}),
        ("كارشناس", {"کارشناس بانک"}),
        ("نماینده", {"نمایندۀ فروش", "نماینده بیمه"}),  # and heh with its hamza as heh
        ("نمایندۀ", {"نمایندۀ فروش", "نماینده بیمه"}),
        # Every script's digits as ASCII ones, each way.
        ("2024", YEAR_2024),
        ("٢٠٢٤", YEAR_2024),
        ("۲۰۲۴", YEAR_2024),
        ("२०२४", YEAR_2024),
        ("๒๐๒๔", YEAR_2024),
        # A Persian word's parts, kept apart by a non-joiner, are words, as when typed with it.
        ("نویس", {"برنامه\u200cنویس ارشد"}),
        ("برنامه", {"برنامه\u200cنویس ارشد"}),
        ("برنامه\u200cنویس", {"برنامه\u200cنویس ارشد"}),
        ('"برنامه نویس"', {"برنامه\u200cنویس ارشد"}),
        # Quranic annotation marks, small waw and yeh, honorific signs, either way.
        ("معلم القرءان به", {"مُعَلِّمُ ٱلْقُرْءَانِ ۚ بِهِۦ"}),
        ("مُعَلِّمُ ٱلْقُرْءَانِ ۚ بِهِۦ", {"مُعَلِّمُ ٱلْقُرْءَانِ ۚ بِهِۦ"}),
        ("محمد", {"مسجد محمدؐ"}),
        ("رحيما", {"قارئ رَحِيمࣰا ࣖ"}),  # and those of the Arabic Extended-A block
        ("قارئ رَحِيمࣰا", {"قارئ رَحِيمࣰا ࣖ"}),
        # Thorn, eth, h with stroke and eng as "th", "d", "h" and "n", either way.
        ("thor", {"Þór Logistics", "Thor Freight"}),
        ("Þór", {"Þór Logistics", "Thor Freight"}),
        ("gardabaer", {"Garðabær Office", "Gardabaer Depot"}),
        ("Garðabær", {"Garðabær Office", "Gardabaer Depot"}),
        ("hamrun", {"Ħamrun Clerk", "Hamrun Cashier"}),
        ("ĦAMRUN", {"Ħamrun Clerk", "Hamrun Cashier"}),
        ("engelas", {"Eŋgelas Teacher", "Engelas Tutor"}),
        ("EŊGELAS", {"Eŋgelas Teacher", "Engelas Tutor"}),
    ],
)  # fmt: skip
def test_letters_and_marks_people_type_otherwise_are_searched_as_they_type_them(
    db, query, expected
):
    """People type Arabic and Hebrew without their optional marks (harakat, niqqud), alef
    without its hamza, no tatweel, Turkish's ı as i where a keyboard lacks it, Persian's yeh and
    keheh where Arabic has its own (and the other way round), digits as their keyboard writes
    them, a Persian word's parts as words of their own, Quranic text without its annotation marks,
    and Icelandic's þ and ð, Maltese ħ and eng in ASCII; a post may write any of them, and each
    way finds the other."""
    org = Organization.objects.create(name="Forge", slug="forge")
    for title in TITLES_TYPED_OTHERWISE:
        make_job(org, title)

    assert {job.title for job in job_search(query=query)} == expected


HEBREW_ACRONYMS = {'סמנכ"ל טכנולוגיות', "סמנכ״ל כספים", "סמנכל שיווק", 'משרד בת"א'}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Typed with the quote, the gershayim or neither, and with a Hebrew prefix, each way.
        ("סמנכל", HEBREW_ACRONYMS - {'משרד בת"א'}),
        ('סמנכ"ל', HEBREW_ACRONYMS - {'משרד בת"א'}),
        ("סמנכ״ל", HEBREW_ACRONYMS - {'משרד בת"א'}),
        ('"סמנכ"ל כספים"', {"סמנכ״ל כספים"}),
        ("בתא", {'משרד בת"א'}),
        ("בת״א", {'משרד בת"א'}),
        # As before: the acronym's start, a quoted word after a prefix, an acronym's plural.
        ("סמנכ", HEBREW_ACRONYMS - {'משרד בת"א'}),
        ("גוגל", {'מהנדס ב"גוגל"'}),
        ('ב"גוגל"', {'מהנדס ב"גוגל"'}),
        ("לים", {'מנכ"לים'}),
        ('מנכ"לים', {'מנכ"לים'}),
    ],
)
def test_a_hebrew_acronym_is_found_with_its_quote_its_gershayim_or_neither(db, query, expected):
    """Hebrew writes an acronym with gershayim before its last letter, or the quote a keyboard
    types for it, and many type it with neither: PostgreSQL's parser read "סמנכ"ל" as the
    words "סמנכ" and "ל", which "סמנכל" did not find."""
    org = Organization.objects.create(name="Forge", slug="forge")
    for title in (*HEBREW_ACRONYMS, 'מהנדס ב"גוגל"', 'מנכ"לים', "Welder"):
        make_job(org, title)

    assert {job.title for job in job_search(query=query)} == expected


def test_an_arabic_post_and_name_are_found_without_their_marks_as_the_sync_stores_them(
    client, db, fake_greenhouse
):
    post = fake_greenhouse.jobs("tiny-co")[0]
    post["content"] = "&lt;p&gt;نبحث عن مُهَنْدِس للعمل مع مدير إداري أول في الرياض.&lt;/p&gt;"
    fake_greenhouse.touch("tiny-co")
    connection = make_connection("tiny", "tiny-co", name="مؤسسة الإبداع")
    sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    everyone = set(Job.objects.values_list("title", flat=True))

    for query in ("مهندس اداري", "مهـندس أول", '"مدير اداري"'):
        assert titles(client.get("/jobs/", {"q": query})) == {post["title"]}, query
        assert titles(client.get("/orgs/tiny/", {"q": query})) == {post["title"]}, query
    assert titles(client.get("/jobs/", {"q": "الابداع"})) == everyone
    assert titles(client.get("/jobs/", {"q": "الإبْداع"})) == everyone


# Soft hyphen, zero-width space, non-joiner and joiner, word joiner, byte order mark.
INVISIBLE_CHARACTERS = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@pytest.mark.parametrize("invisible", INVISIBLE_CHARACTERS, ids=ascii)
def test_a_word_holding_a_character_that_shows_nothing_is_found_by_the_word_typed(db, invisible):
    """Pasted from a web page or a word processor; PostgreSQL's parser read it as a space, and
    SQLite's LIKE compared it as written: "python" found none of these."""
    make_job(Organization.objects.create(name="Forge", slug="forge"), "Welder")
    named = Organization.objects.create(name=f"Sn{invisible}ake Works", slug="snake")
    make_job(named, "Painter")
    org = Organization.objects.create(name="Acme", slug="acme")
    make_job(org, f"Py{invisible}thon Developer")
    make_job(org, "Carver", tags=[f"py{invisible}thon"])
    make_job(org, "Python Tester")

    def found(query: str) -> set[str]:
        return {job.title for job in job_search(query=query)}

    pythons = {f"Py{invisible}thon Developer", "Carver", "Python Tester"}
    assert found("python") == found(f"pyt{invisible}hon") == found('"python"') == pythons
    assert found("snake") == {"Painter"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"बिक्री प्रबंधक"', {"Sales"}),
        ("क्री", set()),  # after a vowel sign ("ि"), in "बिक्री"
        ('"ที่ปรึกษา กรุงเทพฯ"', {"Sales"}),
        ("ปรึกษา", set()),  # after a tone mark ("่"), in "ที่ปรึกษา"
    ],
)
def test_hindi_and_thai_words_in_a_description_are_read_whole_with_their_marks(db, query, expected):
    """A vowel sign, or a tone mark, is part of the word it is in, as PostgreSQL's parser reads
    it: Python's regex read it as no letter, and on SQLite "क्री" found "बिक्री"."""
    org = Organization.objects.create(name="Acme", slug="acme")
    make_job(org, "Sales", search_text=as_searched("मुंबई में बिक्री प्रबंधक; ที่ปรึกษา กรุงเทพฯ"))

    assert {job.title for job in job_search(query=query)} == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's parser")
def test_on_postgresql_the_parser_reads_each_devanagari_and_thai_mark_inside_a_word_as_of_it(db):
    """As SQLite's search reads every mark (jobs.text.mark_ranges), with the database's own
    reading of letters (its LC_CTYPE): a mark this parser read as a space would part a word
    there that SQLite's search keeps whole."""
    marks = [
        letter + chr(code) + letter
        for letter, block in (("क", range(0x900, 0x980)), ("ก", range(0xE00, 0xE80)))
        for code in block
        if unicodedata.category(chr(code))[0] == "M"
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word FROM unnest(%s::text[]) AS word WHERE ARRAY(SELECT token FROM "
            "ts_parse('default', word) WHERE tokid <> 12) <> ARRAY[word]",
            [marks],
        )
        assert cursor.fetchall() == []
    assert "क\u093eक" in marks  # a vowel sign that takes a space of its own (Mc)


def test_thai_words_kept_apart_by_zero_width_spaces_are_each_found(db):
    """Thai is written without spaces; a zero-width space marks where its words end, as
    PostgreSQL's parser read it before invisible characters were folded out."""
    org = Organization.objects.create(name="Acme", slug="acme")
    make_job(org, "เรียน\u200bภาษา\u200bไทย")
    make_job(org, "Welder")

    for word in ("เรียน", "ภาษา", "ไทย"):
        assert [job.title for job in job_search(query=word)] == ["เรียน\u200bภาษา\u200bไทย"]


def titles_found_among_han_and_kana_jobs(query: str) -> set[str]:
    """The titles `query` finds among jobs written in Chinese and Japanese, which put no spaces
    between their words, and the same letters elsewhere apart or in another order."""
    org = Organization.objects.create(name="Acme", slug="acme")
    texts = {
        "数据分析师": "上海",
        "ソフトウェアエンジニア（東京）": "Tokyo 渋谷区",
        "ソフトウェアエンジニア": "Osaka",
        "開発部 Lead": "",
        "数学老师": "根据经验",  # 数 and 据, not in a row
        "据数": "ニアエンジ",  # in another order
        "Welder": "Robotics",
    }
    for title, text in texts.items():
        tags = ["リモート可"] if title == "開発部 Lead" else []
        make_job(org, title, search_text=as_searched(text), tags=tags)
    return {job.title for job in job_search(query=query)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("数据", {"数据分析师"}),  # a run's start
        ("分析", {"数据分析师"}),  # inside it
        ("分析师", {"数据分析师"}),  # its end
        ("数据分析师", {"数据分析师"}),
        ("エンジニア", {"ソフトウェアエンジニア（東京）", "ソフトウェアエンジニア"}),
        ("東京", {"ソフトウェアエンジニア（東京）"}),
        ("開発", {"開発部 Lead"}),
        ("発部", {"開発部 Lead"}),
        ("渋谷", {"ソフトウェアエンジニア（東京）"}),  # the search text
        ("リモート", {"開発部 Lead"}),  # a tag
        ("数", {"数据分析师", "数学老师", "据数"}),  # a letter alone
    ],
)
def test_a_han_or_kana_word_is_found_inside_a_longer_run(db, query, expected):
    """PostgreSQL's parser read a run of Han or kana as one word, so "数据" found a title that
    starts with it and "分析" or "エンジニア" none that holds it later; SQLite found them all."""
    assert titles_found_among_han_and_kana_jobs(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("数据", {"数据分析师"}),  # not 数学老师, whose text holds 数 and 据 apart
        ("据数据", set()),
        ("エンジニア", {"ソフトウェアエンジニア（東京）", "ソフトウェアエンジニア"}),
        ("ジニアエン", set()),  # not the text ニアエンジ, nor a title in another order
        ('"数据"', {"数据分析师"}),
    ],
)
def test_a_han_or_kana_word_is_not_found_in_letters_apart_or_in_another_order(db, query, expected):
    """Each letter is a word, and the query's run those words in a row: "数据" is no "数…据"."""
    assert titles_found_among_han_and_kana_jobs(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("エンジニア Tokyo", {"ソフトウェアエンジニア（東京）"}),
        ("エンジニア tok", {"ソフトウェアエンジニア（東京）"}),
        ("エンジニア -tokyo", {"ソフトウェアエンジニア"}),
        ("エンジニア -東京", {"ソフトウェアエンジニア"}),
        ("acme 分析", {"数据分析师"}),
        ("Robotics -数据", {"Welder"}),
        ("数据 or 開発", {"数据分析师", "開発部 Lead"}),
        ("発部lead", {"開発部 Lead"}),  # a run and a word, no space between them
        ('"エンジニア 東京"', {"ソフトウェアエンジニア（東京）"}),
    ],
)
def test_a_han_or_kana_word_mixes_with_other_words_and_operators(db, query, expected):
    assert titles_found_among_han_and_kana_jobs(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("エンジニア －東京", {"ソフトウェアエンジニア"}),
        ("エンジニア －tokyo", {"ソフトウェアエンジニア"}),
        ("＂数据＂", {"数据分析师"}),  # not 数 and 据 anywhere
        ("数据＂分析师＂", {"数据分析师"}),
    ],
)
def test_a_full_width_minus_or_quote_typed_with_han_or_kana_reads_as_its_ascii_self(
    db, query, expected
):
    """Japanese and Chinese keyboards type "－" and "＂" in full width, which search reads as
    "-" and '"': the query's term was quoted as a phrase before they were, "－東京" within its
    quotes, so that it found 東京 instead of leaving it out."""
    assert titles_found_among_han_and_kana_jobs(query) == expected


@pytest.mark.parametrize("query", ["エンジニア", "ｴﾝｼﾞﾆｱ", "パイソン", "ﾊﾟｲｿﾝ", "ﾃﾞｰﾀ"])
def test_half_width_kana_and_their_voiced_marks_find_and_are_found_by_the_full_width_word(
    db, query
):
    """A half-width kana's voiced mark is a character of its own: folded one by one, "ｼﾞ" was
    "シ" and a mark apart, so "エンジニア" missed the title "ｴﾝｼﾞﾆｱ", as NFKC reads them alike."""
    org = Organization.objects.create(name="ﾃﾞｰﾀ", slug="deta")
    make_job(org, "ｿﾌﾄｳｪｱｴﾝｼﾞﾆｱ", search_text=as_searched("ﾊﾟｲｿﾝ"))
    make_job(org, "ソフトウェアエンジニア", search_text=as_searched("パイソン"))

    assert len(job_search(query=query)) == 2


def test_a_han_or_kana_word_of_a_tag_or_the_org_name_is_found_after_a_long_han_text(db):
    """A tsvector numbers no word past 16,383, and each Han letter is a word: joined after a
    text of more, every letter of the tags and the name was 16,383, none in a row with the
    next, so that "リモート" missed the tag "リモート可", which it found before such letters
    were words, and "開発" the org 株式会社開発."""
    org = Organization.objects.create(name="株式会社開発", slug="kaihatsu")
    # 18,000 letters, within SEARCH_TEXT_LENGTH: 500 ideographs (U+5000 on) in turn, as no
    # tsvector keeps more than 256 places of a word.
    long_text = as_searched("".join(chr(0x5000 + number % 500) for number in range(18_000)))
    make_job(org, "Welder", search_text=long_text, tags=["リモート可"])

    for query in ("リモート", "開発", "株式会社開発", "welder 会社", "\u5001\u5002"):
        assert [job.title for job in job_search(query=query)] == ["Welder"], query


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the candidates are PostgreSQL's")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("会計", ["会計事務所サクラ"]),
        ("会", ["会計事務所サクラ", "株式会社アクメ"]),
        ("株式会社", ["株式会社アクメ"]),
        ("会計 acme", ["Acme", "会計事務所サクラ"]),
        ('"サクラ" or 社ア', ["会計事務所サクラ", "株式会社アクメ"]),
        ("計会", []),
    ],
)
def test_on_postgresql_a_han_or_kana_word_picks_the_orgs_whose_name_holds_it_in_a_row(
    db, query, expected
):
    """The organizations whose jobs a search checks with their name included: those whose name
    holds the query's Han or kana letters in a row, not each that shares one letter with it, as
    every "株式会社…" holds 会 (61 ms instead of 9 for "会計" among 40 such orgs and 3,000
    jobs)."""
    for name in ("株式会社アクメ", "会計事務所サクラ", "Acme"):
        Organization.objects.create(name=name, slug=f"org-{len(name)}-{ord(name[0])}")

    searched = _joined_words_as_phrases(query_as_searched(query))
    assert sorted(org.name for org in _organizations_named_in(searched)) == expected


def test_a_han_or_kana_word_in_a_synced_post_is_found_inside_its_run(client, db, fake_greenhouse):
    """As the sync stores a post's title and text (search_text_of)."""
    post = fake_greenhouse.jobs("tiny-co")[0]
    post["title"] = "バックエンドエンジニア"
    post["content"] = "&lt;p&gt;東京都渋谷区で働く&lt;/p&gt;"
    post["location"] = {"name": "東京都"}
    fake_greenhouse.touch("tiny-co")
    sync_organization(make_connection("tiny", "tiny-co"), trigger=SyncRun.Trigger.COMMAND)

    for query in ("エンジニア", "渋谷", "働く", "京都"):
        assert titles(client.get("/jobs/", {"q": query})) == {"バックエンドエンジニア"}


def titles_found_among_jobs_for_women(*, query: str, apostrophe_in_tag: str) -> set[str]:
    """The titles `query` finds among three jobs that say "women's" (the nurse's tag with
    `apostrophe_in_tag`) and a welder's tagged "Women in welding"."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Nurse", tags=[f"Women{apostrophe_in_tag}s health"])
    make_job(org, "Women's Shelter Coordinator")
    make_job(org, "Counsellor", search_text="A women\u2019s clinic in Leeds")
    make_job(org, "Welder", tags=["Women in welding"])
    return {job.title for job in job_search(query=query)}


@pytest.mark.parametrize(
    "typed", ["women's", "women\u2019s", "women\u2018s", "\u2018women\u2019s\u2019"]
)
def test_an_apostrophe_is_found_straight_or_curly(db, typed):
    """SQLite compared apostrophes as written: "women's" missed a tag "Women\u2019s health", and
    the curly one a title typed straight. PostgreSQL's parser reads each as a space."""
    found = titles_found_among_jobs_for_women(query=typed, apostrophe_in_tag="\u2019")

    assert found == {"Nurse", "Women's Shelter Coordinator", "Counsellor"}


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="PostgreSQL's parser reads U+02BC as a letter of the words it stores",
)
@pytest.mark.parametrize("typed", ["women's", "women\u2019s", "women\u02bcs"])
def test_on_sqlite_a_modifier_letter_apostrophe_is_found_as_a_straight_one(db, typed):
    """U+02BC looks like a curly apostrophe, and some keyboards type it: SQLite compared it
    as written, so "women's" missed "Women\u02bcs health" and "women\u02bcs" missed the rest."""
    found = titles_found_among_jobs_for_women(query=typed, apostrophe_in_tag="\u02bc")

    assert found == {"Nurse", "Women's Shelter Coordinator", "Counsellor"}


@pytest.mark.parametrize(
    "word",
    ["Café", "한국어", "ガラス", "Việt", "\u0929\u092e\u0938\u094d\u0924\u0947", "কোম্পানি"],
)
@pytest.mark.parametrize(("stored", "typed"), [("NFD", "NFC"), ("NFC", "NFD")])
def test_a_word_is_found_whether_its_marks_are_written_apart_or_not(db, word, stored, typed):
    """macOS and some boards write a letter and its mark apart ("Cafe" and U+0301, "한" as three
    jamo); a keyboard types them composed, or the other way round."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, f"{unicodedata.normalize(stored, word)} Engineer")
    make_job(org, "Engineer")

    found = job_search(query=unicodedata.normalize(typed, word))

    assert [job.title for job in found] == [f"{unicodedata.normalize(stored, word)} Engineer"]


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("ΜΗΧΑΝΙΚΟΣ ΛΟΓΙΣΜΙΚΟΥ", "μηχανικος"),
        ("Μηχανικός Λογισμικού", "ΜΗΧΑΝΙΚΟΣ"),
        ("ΜΗΧΑΝΙΚΟΣ ΛΟΓΙΣΜΙΚΟΥ", '"μηχανικος λογισμικου"'),
        ("Μηχανικός Λογισμικού", "ΜΗΧΑΝΙΚΟΣ ΛΟΓΙΣΜΙΚΟΥ"),
    ],
)
def test_a_greek_word_is_found_whether_its_last_sigma_is_final_or_a_capital(db, written, typed):
    """PostgreSQL lowercases "Σ" to "σ", not to the final "ς": a title in capitals was another
    word than the one typed in lower case, there alone (SQLite casefolds both to "σ")."""
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, written)
    make_job(org, "Analyst", search_text=as_searched(written))
    make_job(org, "Tester", tags=[written])
    make_job(org, "Engineer")
    make_job(Organization.objects.create(name=written, slug="named"), "Designer")
    found = {job.title for job in job_search(query=typed)}

    assert found == {written, "Analyst", "Tester", "Designer"}
    assert [job.title for job in job_search(query=f"-{typed.split()[0]}")] == ["Engineer"]


def test_an_organization_renamed_is_found_by_its_new_name_without_accents(db):
    org = Organization.objects.create(name="North Wind", slug="north")
    make_job(org, "Sailmaker")

    org.name = "Nordvind Tromsø"
    org.save(update_fields=["name"])  # as the settings page and Django's admin save it

    assert [job.title for job in job_search(query="tromso sailmaker")] == ["Sailmaker"]
    assert list(job_search(query="north")) == []


def test_search_never_finds_closed_or_hidden_jobs(client, boards):
    Job.objects.filter(title="Senior Platform Engineer").update(hidden=True)
    Job.objects.filter(title="Field Service Technician").update(is_open=False)

    assert titles(client.get("/jobs/", {"q": "telemetry"})) == set()
    assert titles(client.get("/jobs/", {"q": "grippers"})) == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL's")
def test_on_postgresql_a_title_match_ranks_above_a_newer_description_match(db):
    org = Organization.objects.create(name="Forge", slug="forge")
    welder = make_job(org, "Welder", first_published_at=timezone.now() - timedelta(days=9))
    make_job(org, "Painter", search_text="Painter, and a welder at a pinch")

    found = list(job_search(query="welder"))

    assert [job.title for job in found] == ["Welder", "Painter"]
    assert found[0] == welder


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL's")
def test_on_postgresql_a_title_match_ranks_first_with_or_without_its_accents(db):
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Ingénieur", first_published_at=timezone.now() - timedelta(days=9))
    make_job(org, "Technicien", search_text="Technicien, aide de l'ingenieur")

    for query in ("ingenieur", "Ingénieur"):
        assert [job.title for job in job_search(query=query)] == ["Ingénieur", "Technicien"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL's")
def test_on_postgresql_a_tag_match_ranks_below_a_title_match_and_above_a_description_match(db):
    org = Organization.objects.create(name="Forge", slug="forge")
    make_job(org, "Welder", first_published_at=timezone.now() - timedelta(days=9))
    make_job(org, "Painter", tags=["Welder"], first_published_at=timezone.now() - timedelta(days=5))
    make_job(org, "Sculptor", search_text="Sculptor, and a welder at a pinch")

    assert [job.title for job in job_search(query="welder")] == ["Welder", "Painter", "Sculptor"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL's")
def test_on_postgresql_a_han_word_in_a_title_ranks_above_a_tag_and_a_description_match(db):
    org = Organization.objects.create(name="Forge", slug="forge")
    old = timezone.now() - timedelta(days=9)
    make_job(org, "数据分析师", first_published_at=old)
    make_job(org, "Painter", tags=["数据分析"], first_published_at=old + timedelta(days=4))
    make_job(org, "Sculptor", search_text=as_searched("负责数据分析工作"))

    assert [job.title for job in job_search(query="分析")] == ["数据分析师", "Painter", "Sculptor"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index is PostgreSQL's")
def test_on_postgresql_a_keyword_search_reads_words_stored_and_indexed_at_write_time(db):
    """Not every job's text parsed on every search: 6-14 s at 10,000 jobs (bench/README.md)."""
    sql, _ = job_search(query="welder").query.sql_with_params()
    assert '"jobs_job"."search_vector" @@' in sql
    assert "search_text" not in sql

    stored_words_match = Job.objects.alias(words=StoredSearchVector()).filter(
        words=SearchQuery("welder", config=SEARCH_CONFIG)
    )
    sql, params = stored_words_match.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tables this small favour a scan
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "job_search_vector_idx" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index is PostgreSQL's")
def test_on_postgresql_a_keyword_search_finds_tags_with_their_index(db):
    """The tags' words are parsed as the search reads them, and indexed on that very expression
    (migration 0037): a search picks the jobs its words could match from both indexes, without
    parsing every job's tags."""
    sql, params = filter_by_keywords(Job.objects.all(), "visa welder").query.sql_with_params()
    with connection.cursor() as cursor:
        # Tables this small favour a scan, of the table or of an index in the jobs' order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "job_search_tags_idx" in plan
    assert "job_search_vector_idx" in plan


# --- Filters ----------------------------------------------------------------------------------


def test_it_filters_by_organization(client, boards):
    response = client.get("/jobs/", {"org": "liberte"})

    assert len(titles(response)) == 4
    assert {job.organization.slug for job in response.context["page"]} == {"liberte"}


def offered(response) -> dict[str, list[str]]:
    """The department, office and location filters' options, as read."""
    page = BeautifulSoup(response.content, "html.parser")
    return {
        name: [option.get_text() for option in page.select(f"select[name={name}] option")]
        for name in ("department", "office", "location")
    }


def test_with_an_org_chosen_the_filters_offer_what_its_own_page_offers(client, boards):
    """Not every org's departments, offices and locations, which list nothing beside it (once
    the form is sent: no script narrows them while the org is picked)."""
    response = client.get("/jobs/", {"org": "liberte"})

    page = BeautifulSoup(response.content, "html.parser")
    assert offered(response) == offered(client.get("/orgs/liberte/"))
    assert offered(response) == {
        "department": [
            "All departments",
            "Conformité et affaires juridiques",
            "Ingénierie — Données",
            "Ingénierie — Produit",
            "Soins cliniques",
        ],
        "office": ["All offices", "Lyon", "Montréal", "Télétravail (Canada)"],
        "location": ["All locations", "Lyon, France", "Montréal, Québec", "Télétravail — Canada"],
    }
    assert page.select("optgroup") == []  # one org's, so not grouped by org
    # Every org stays offered, to choose another.
    assert [option["value"] for option in page.select("select[name=org] option")] == [
        "",
        "acme",
        "liberte",
    ]


def test_a_department_or_office_of_another_org_than_the_one_chosen_is_ignored(client, boards):
    """The form still sends the last org's after the visitor picks another: the new org's jobs
    are listed, not none beside a department it does not have."""
    platform = department("Platform")
    pittsburgh = Office.objects.get(name="Pittsburgh, PA")

    response = client.get(
        "/jobs/", {"org": "liberte", "department": platform.pk, "office": pittsburgh.pk}
    )

    page = BeautifulSoup(response.content, "html.parser")
    assert len(titles(response)) == 4
    assert page.select("select[name=department] option[selected]") == []
    assert page.select("select[name=office] option[selected]") == []
    assert response.context["canonical_url"] == "http://testserver/jobs/?org=liberte"


def test_it_filters_by_one_or_several_departments(client, boards):
    platform, people = department("Platform"), department("People")

    assert titles(client.get("/jobs/", {"department": platform.pk})) == {"Senior Platform Engineer"}
    assert titles(client.get(f"/jobs/?department={platform.pk}&department={people.pk}")) == {
        "Senior Platform Engineer",
        "People Operations Partner",
    }


def test_it_filters_by_office(client, boards):
    remote = Office.objects.get(organization__slug="acme", name="Remote")

    response = client.get("/jobs/", {"office": remote.pk})

    assert titles(response) == {"Field Service Technician", "People Operations Partner"}


def test_it_filters_by_location_as_greenhouse_writes_it(client, boards):
    assert titles(client.get("/jobs/", {"location": "Tokyo, Japan"})) == {
        "Customer Success Lead, Japan"
    }


@pytest.mark.parametrize("place", ["Austin, TX", "Zürich 🇨🇭 Suisse"])
def test_a_location_greenhouse_writes_longer_than_its_field_still_filters_its_jobs(
    client, acme, fake_greenhouse, place
):
    """A link built from Greenhouse's location, longer than the 300 characters stored, listed
    none of its jobs ("(no open jobs now)"): the filter read it cut with an ellipsis, where
    the sync keeps its first 300 characters, which are all a filter value must match."""
    written = "; ".join([place] * 40)
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["location"]["name"] = written
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    assert titles(client.get("/jobs/", {"location": written})) == {post["title"]}
    assert titles(client.get("/orgs/acme/", {"location": written})) == {post["title"]}


@pytest.mark.parametrize(
    ("cluster", "start"),
    [("👩\u200d💻", 298), ("👩\u200d💻", 299), ("q\u0301", 299), ("क्ष", 299), ("🇨🇭", 299)],
    ids=["emoji after its joiner", "emoji before its joiner", "accent", "conjunct", "flag"],
)
def test_a_location_with_a_character_across_its_fields_end_still_filters_its_jobs(
    client, acme, fake_greenhouse, cluster, start
):
    """The sync cut a name at 300 characters inside a character ("👩" and a joiner of "👩‍💻",
    "q" without its accent) where the filter read Greenhouse's location before it: a link
    with that location listed none of its jobs, and a department or office was shown with
    half a character. Both cut it before the character."""
    written = f"{'a' * start}{cluster} Remote, {'b' * 20}"
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["location"]["name"] = written
    post["departments"] = [{"id": 77, "name": written, "parent_id": None, "child_ids": []}]
    post["offices"] = [{"id": 78, "name": written, "location": written, "parent_id": None}]
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    stored = "a" * start
    assert Job.objects.get(title=post["title"]).location_name == stored
    assert Department.objects.get(greenhouse_id=77).name == stored
    assert Office.objects.get(greenhouse_id=78).name == stored
    assert Office.objects.get(greenhouse_id=78).location == stored
    assert titles(client.get("/jobs/", {"location": written})) == {post["title"]}
    page = client.get("/orgs/acme/", {"location": written})
    assert titles(page) == {post["title"]}
    assert f"{stored}{written[start]}" not in page.content.decode()


@pytest.mark.parametrize(
    ("written", "times"),
    [("Zu\u0308rich, Schweiz", 1), ("Austin,  TX", 1), ("Zu\u0308rich,  Schweiz; ", 25)],
    ids=["decomposed", "two spaces", "both, longer than its field"],
)
@pytest.mark.parametrize("path", ["/jobs/", "/orgs/acme/"])
def test_a_link_with_greenhouses_own_location_finds_its_jobs_as_the_sync_stores_it(
    client, acme, fake_greenhouse, written, times, path
):
    """The sync stores a location cleaned, its spaces collapsed and composed (NFC), where the
    filter read a link's location as it came: a link with Greenhouse's "Zu\u0308rich" or
    "Austin,  TX" listed none of the jobs stored as "Zürich" or "Austin, TX", and offered its
    value as "(no open jobs now)". The filter reads it as the sync stores it, and its canonical
    address names the value stored."""
    written = (written * times).strip()
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["location"]["name"] = written
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    stored = Job.objects.get(title=post["title"]).location_name
    assert stored != written and "  " not in stored and unicodedata.is_normalized("NFC", stored)

    response = client.get(path, {"location": written})

    page = BeautifulSoup(response.content, "html.parser")
    chosen = page.select_one("select[name=location] option[selected]")
    assert titles(response) == {post["title"]}
    assert (chosen["value"], chosen.get_text()) == (stored, stored)
    assert note_on_values_naming_nothing(response) is None
    assert robots_and_canonical(response)[1] == (
        f"http://testserver{path}?{urlencode({'location': stored})}"
    )


def test_orgs_of_the_same_name_are_told_apart_by_their_slug_in_the_org_filter(client, boards):
    """Two "Acme Robotics" were two options alike: only the names shared get the slug, and
    names differing only in case are shared too. The list of one such org's jobs was titled
    with its name alone."""
    other = Organization.objects.create(name="ACME Robotics", slug="acme-robotics-uk")
    make_job(other, "Welder")

    page = BeautifulSoup(client.get("/jobs/", {"org": "acme"}).content, "html.parser")

    options = page.select("select[name=org] option")
    # By name in any case, then slug.
    assert [(option["value"], option.get_text()) for option in options] == [
        ("", "All organizations"),
        ("acme", "Acme Robotics (acme)"),
        ("acme-robotics-uk", "ACME Robotics (acme-robotics-uk)"),
        ("liberte", "Liberté Santé"),
    ]
    assert page.select_one("select[name=org] option[selected]")["value"] == "acme"
    # So are the list's title, heading and feed link, as the option chosen names it.
    assert page.title.get_text() == "Open jobs at Acme Robotics (acme) · orgsite"
    assert page.h1.get_text() == "Open jobs at Acme Robotics (acme)"
    assert page.find("a", href="/orgs/acme/feed/").get_text().endswith("Acme Robotics (acme)")
    assert page.find("link", type="application/rss+xml")["title"].endswith("Robotics (acme)")


@pytest.mark.parametrize(
    "written",
    ["{}", "\u202b{}\u202c", "{}\u200e", "\u200b{}"],
    ids=["decomposed", "embedded", "marked", "zero-width space"],
)
@pytest.mark.parametrize("first", ["Harbor Tools", "Caf\u00e9"], ids=["ascii", "composed"])
def test_orgs_whose_names_look_the_same_are_told_apart_by_their_slug(client, db, written, first):
    """Names were compared casefolded as written, so two that look the same were not: with
    direction controls (which options drop), a mark or a zero-width space, or "Café" composed
    and not, the filter offered two options alike, and two groups of departments."""
    alike = unicodedata.normalize("NFD", written.format(first))
    label = without_direction_controls(alike)  # as options show it
    for slug, name in (("one", first), ("two", alike)):
        organization = Organization.objects.create(name=name, slug=slug)
        shop = make_unit(Department, organization, "Shop")
        make_job(organization, "Welder", departments=(shop,))

    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")

    shown = {
        option["value"]: option.get_text() for option in page.select("select[name=org] option")
    }
    assert (shown["one"], shown["two"]) == (f"{first} (one)", f"{label} (two)")
    groups = {group["label"] for group in page.select("optgroup")}
    assert groups == {f"{first} (one)", f"{label} (two)"}
    page = BeautifulSoup(client.get("/jobs/", {"org": "two"}).content, "html.parser")
    assert page.h1.get_text() == f"Open jobs at {alike} (two)"  # its name in a <bdi>
    # The home page's list of orgs hiring (with_names_shared) tells them apart too.
    home = BeautifulSoup(client.get("/").content, "html.parser")
    listed = {link.get_text() for link in home.select("a:has(> bdi)")}
    assert {f"{first} (one)", f"{alike} (two)"} <= listed

    # An org without open jobs, chosen, is told apart from the offered one of its name too.
    Job.objects.filter(organization__slug="two").update(is_open=False)
    cache.clear()  # the listing's, which update() does not know of
    page = BeautifulSoup(client.get("/jobs/", {"org": "two"}).content, "html.parser")
    chosen = page.select_one("select[name=org] option[selected]").get_text()
    assert chosen == f"{label} (two) (no open jobs now)"


@pytest.mark.parametrize("alike", ["Harbor  Tools", "Harbor\u00a0Tools", " Harbor Tools\n"])
def test_orgs_whose_names_differ_in_spaces_alone_are_told_apart_by_their_slug(client, db, alike):
    """A page shows any run of spaces (a no-break space too) as one, so the two look alike."""
    for slug, name in (("one", "Harbor Tools"), ("two", alike)):
        make_job(Organization.objects.create(name=name, slug=slug), "Welder")

    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")

    shown = {
        option["value"]: option.get_text() for option in page.select("select[name=org] option")
    }
    assert (shown["one"], shown["two"]) == ("Harbor Tools (one)", f"{alike} (two)")


def test_an_ascii_name_is_keyed_as_any_name_without_the_steps_for_other_letters(monkeypatch):
    """shown_name_key() takes a shorter way for ASCII names (most of them), not composing or
    looking for format characters, to the key the whole way gives: for names of any ASCII
    characters, controls and the separators str.split() reads as spaces too."""
    rng = random.Random(0)
    names = ["", " ", "Harbor  Tools", "ACME\tRobotics\x1c", *map(chr, range(128))]
    names += ["".join(rng.choices([chr(n) for n in range(128)], k=12)) for _ in range(2_000)]
    whole_way = [
        " ".join(composed(without_format_characters(name, keep_joiners=True)).casefold().split())
        for name in names
    ]

    def not_taken(text: str, **kwargs: object) -> str:
        raise AssertionError(f"a step for other letters taken for {text!r}")

    monkeypatch.setattr(selectors, "composed", not_taken)
    monkeypatch.setattr(selectors, "without_format_characters", not_taken)

    assert [shown_name_key(name) for name in names] == whole_way


def test_a_location_no_open_job_has_any_more_still_shows_as_the_filter(client, boards):
    """A link saved before its jobs closed finds none, and says which place it looked for."""
    response = client.get("/jobs/", {"location": "Atlantis <b>"})

    page = BeautifulSoup(response.content, "html.parser")
    chosen = page.select_one("select[name=location] option[selected]")
    assert titles(response) == set()
    assert chosen["value"] == "Atlantis <b>"
    assert chosen.get_text() == "Atlantis <b> (no open jobs now)"
    assert page.title.get_text() == "Atlantis <b> (no open jobs now) · All open jobs · orgsite"


def test_an_org_department_or_office_no_open_job_has_any_more_still_shows_as_the_filter(
    client, boards
):
    """A link saved before its jobs closed finds none, and says which ones it looked for:
    not "All organizations" beside "0 jobs match"."""
    Job.objects.filter(title="Customer Success Lead, Japan").update(is_open=False)
    Job.objects.filter(organization__slug="liberte").update(hidden=True)
    success, clinical = department("Customer Success"), department("Soins cliniques")
    lyon = Office.objects.get(name="Lyon")

    chosen = {"department": clinical.pk, "office": lyon.pk, "location": "Lyon, France"}

    response = client.get("/jobs/", {"org": "liberte", **chosen})

    page = BeautifulSoup(response.content, "html.parser")
    assert titles(response) == set()
    assert [(option["value"], option.get_text()) for option in page.select("option[selected]")] == [
        ("liberte", "Liberté Santé (no open jobs now)"),
        (str(clinical.pk), "Soins cliniques (no open jobs now)"),
        (str(lyon.pk), "Lyon (no open jobs now)"),
        ("Lyon, France", "Lyon, France (no open jobs now)"),
    ]
    # The title names them as the form does, the place too.
    assert page.title.get_text() == (
        "Soins cliniques (no open jobs now) · Lyon (no open jobs now) · Lyon, France (no open"
        " jobs now) · Open jobs at Liberté Santé · orgsite"
    )
    # An org without open jobs has none of its own to offer, nor do other orgs' belong here.
    assert offered(response)["department"] == [
        "All departments",
        "Soins cliniques (no open jobs now)",
    ]
    on_org_page = BeautifulSoup(
        client.get("/orgs/acme/", {"department": success.pk}).content, "html.parser"
    )
    assert on_org_page.select_one("select[name=department] option[selected]").get_text() == (
        "Customer Success (no open jobs now)"
    )


def test_an_org_department_or_office_that_is_not_there_is_ignored(client, boards):
    """Nothing to show as chosen, so nothing filtered: as for department=abc."""
    liberte_team = department("Soins cliniques")
    all_jobs = {"org": "nobody", "department": 999_999, "office": 999_999}

    assert len(titles(client.get("/jobs/", all_jobs))) == 10
    assert len(titles(client.get("/orgs/acme/", {"department": liberte_team.pk}))) == 6


def note_on_values_naming_nothing(response) -> str | None:
    note = BeautifulSoup(response.content, "html.parser").select_one(".filter-note")
    return note.get_text() if note else None


def robots_and_canonical(response) -> tuple[str | None, str]:
    page = BeautifulSoup(response.content, "html.parser")
    robots = page.select_one("meta[name=robots]")
    return robots and robots["content"], page.select_one("link[rel=canonical]")["href"]


def test_the_org_filter_takes_a_slug_typed_in_capitals_as_the_orgs_own(client, boards):
    """?org=ACME, typed as the name is written, listed every org's jobs as if none was chosen."""
    response = client.get("/jobs/", {"org": "ACME", "remote": "onsite"})

    page = BeautifulSoup(response.content, "html.parser")
    assert titles(response) == {"Engineering Manager, Robotics"}
    assert page.select_one("select[name=org] option[selected]")["value"] == "acme"
    assert page.h1.get_text() == "Open jobs at Acme Robotics"
    assert note_on_values_naming_nothing(response) is None
    assert robots_and_canonical(response) == (
        None,
        "http://testserver/jobs/?org=acme&remote=onsite",
    )
    # An org without open jobs, chosen by a link saved before they closed, as well.
    Job.objects.filter(organization__slug="liberte").update(is_open=False)
    cache.clear()  # a direct edit: the options cached above would hide it for a minute
    closed = BeautifulSoup(client.get("/jobs/", {"org": "Liberte"}).content, "html.parser")
    assert closed.select_one("select[name=org] option[selected]").get_text() == (
        "Liberté Santé (no open jobs now)"
    )


def test_an_org_slug_saved_with_capitals_is_chosen_in_any_case(client, db):
    """Saved before slugs had to be lowercase, it keeps them, and is chosen in any case, as an
    org with a lowercase slug is (no two orgs' slugs differ only in case: migration jobs
    0070)."""
    for slug, title in (("MIXED", "Welder"), ("lower", "Rigger")):
        make_job(Organization.objects.create(name=slug, slug=slug), title)

    for typed in ("MIXED", "Mixed", "mixed"):
        assert titles(client.get("/jobs/", {"org": typed})) == {"Welder"}
    assert titles(client.get("/jobs/", {"org": "LOWER"})) == {"Rigger"}


def test_an_org_slug_typed_with_a_kelvin_sign_names_no_org(client, db):
    """lower() folds the Kelvin sign to a "k", which the database's lookup in any case does not
    (slugs are ASCII): ?org=Kilo typed with one chose the org "kilo" while it had open jobs,
    and named nothing once they closed."""
    kilo = Organization.objects.create(name="Kilo", slug="kilo")
    make_job(kilo, "Welder")
    make_job(Organization.objects.create(name="Lima", slug="lima"), "Rigger")

    for typed in ("\u212ailo", "\u212aILO"):
        response = client.get("/jobs/", {"org": typed})

        assert titles(response) == {"Welder", "Rigger"}
        assert note_on_values_naming_nothing(response) == (
            f"No organization “{typed}”; showing all jobs."
        )
    Job.objects.filter(organization=kilo).update(is_open=False)
    cache.clear()  # a direct edit: the options cached above would hide it for a minute
    assert note_on_values_naming_nothing(client.get("/jobs/", {"org": "\u212ailo"})) == (
        "No organization “\u212ailo”; showing all jobs."
    )


def test_an_org_slug_typed_with_a_dotless_i_names_no_org_without_open_jobs(client, db):
    """PostgreSQL's lookup in any case (UPPER(), in a UTF-8 locale) folds a dotless "ı" to an
    "I", and a long "ſ" to an "S", which Python's lower() does not: with the guard of
    _organization_of_slug() dropped, ?org=kılo named the org "kilo" once its jobs closed, and
    every test passed (the Kelvin sign's stays itself in UPPER()). SQLite's LIKE folds ASCII
    only."""
    make_job(Organization.objects.create(name="Lima", slug="lima"), "Rigger")
    Organization.objects.create(name="Kilo", slug="kilo")
    Organization.objects.create(name="Sierra", slug="sierra")

    for typed in ("k\u0131lo", "\u017fierra"):
        response = client.get("/jobs/", {"org": typed})

        assert titles(response) == {"Rigger"}
        assert note_on_values_naming_nothing(response) == (
            f"No organization “{typed}”; showing all jobs."
        )


def test_a_filter_value_that_names_nothing_is_named_and_the_page_kept_out_of_search(client, boards):
    """A link mistyped, or to an org since deleted, listed every job with nothing said: as if
    the filter had found them. The page is one anyone's link can make, so not indexed; its
    canonical address keeps the values, not the list's, which a noindex would take out too."""
    unknown = {"org": "nosuch", "department": [999_999, "abc"], "office": 999_998}

    response = client.get("/jobs/", {**unknown, "remote": "moon"})

    assert len(titles(response)) == 10
    assert note_on_values_naming_nothing(response) == (
        "No organization “nosuch”, department “abc” or “999999”, office “999998” or workplace"
        " “moon”; showing all jobs."
    )
    assert robots_and_canonical(response) == (
        "noindex, follow",
        "http://testserver/jobs/?org=nosuch&department=abc&department=999999&office=999998"
        "&remote=moon",
    )
    filtered = client.get("/jobs/", {"org": "<b>gone</b>", "remote": "hybrid"})
    assert note_on_values_naming_nothing(filtered) == (
        "No organization “<b>gone</b>”; the other filters still apply."
    )
    assert b"<b>gone" not in filtered.content
    on_org_page = client.get("/orgs/acme/", {"department": 999_999})
    assert len(titles(on_org_page)) == 6
    assert note_on_values_naming_nothing(on_org_page) == (
        "No department “999999”; showing all jobs."
    )
    assert robots_and_canonical(on_org_page)[0] == "noindex, follow"


@pytest.mark.parametrize("path", ["/jobs/", "/orgs/acme/"])
def test_a_query_cut_in_a_right_to_left_script_ends_with_its_ellipsis_on_the_left(
    client, boards, path
):
    """The box was laid out left to right, as the page is: a Hebrew query cut showed its
    ellipsis at the right, beside its first word, as if cut there. The box now takes the
    query's own direction, from its first letter."""
    response = client.get(path, {"q": "מפתח " * 80})

    box = BeautifulSoup(response.content, "html.parser").select_one("#filter-q")
    assert box["value"].endswith("מפתח…") and box["dir"] == "auto"


def test_a_query_long_only_for_its_spaces_is_searched_and_shown_whole(client, boards):
    """Pasted with a long run of spaces (a form's columns), a query was cut 300 characters in,
    inside the run, and searched as "technician…" without the words after it."""
    response = client.get("/jobs/", {"q": "technician" + " " * 400 + "grippers"})

    box = BeautifulSoup(response.content, "html.parser").select_one("input[name=q]")
    assert box["value"] == "technician grippers"
    assert titles(response) == {"Field Service Technician"}
    assert titles(client.get("/jobs/", {"q": "technician" + " " * 400 + "zeppelin"})) == set()


@pytest.mark.parametrize(
    ("name", "ellipsis"),
    # A location is cut as the sync stores one, with none (test_a_location_greenhouse_writes_…).
    [("q", "…"), ("org", "…"), ("department", "…"), ("location", "")],
)
def test_a_filter_value_too_long_is_quoted_cut_with_an_ellipsis_never_inside_a_character(
    client, boards, name, ellipsis
):
    """Cut at 300 characters with nothing said, "👩‍💻" across the cut left "👩" and a joiner,
    quoted by the note on values that name nothing, the search box and the page's title as if
    whole. Cut with an ellipsis, the value's canonical address reads back as itself."""
    value = "a" * 298 + "👩\u200d💻" + "b" * 10

    response = client.get("/jobs/", {name: value})

    html = response.content.decode()
    assert f"{'a' * 298}{ellipsis}" in html and "\u200d" not in html
    assert (f"{'a' * 298}…" in html) == bool(ellipsis)
    canonical = robots_and_canonical(response)[1]
    assert robots_and_canonical(client.get(canonical))[1] == canonical
    # A value as long as a location's field holds (Greenhouse's, cut there) is read whole.
    assert "a" * 300 in robots_and_canonical(client.get("/jobs/", {name: "a" * 300}))[1]


@pytest.mark.parametrize(
    "params",
    [{"org": "\u200b"}, {"department": "\u200e"}, {"office": "\u2060"}, {"remote": "\u200b"}],
)
def test_a_filter_value_that_shows_nothing_is_no_value_to_name(client, boards, params):
    """A zero-width space, a direction mark or a word joiner, which strip() keeps, was named
    in quotes that showed nothing ("No organization “”"), the page kept out of search."""
    response = client.get("/jobs/", params)

    assert len(titles(response)) == 10
    assert note_on_values_naming_nothing(response) is None
    assert robots_and_canonical(response) == (None, "http://testserver/jobs/")


def test_an_id_with_a_nul_in_it_chooses_its_department_as_the_note_reads_it(client, boards):
    """The filter read "12\x00" as no id and listed every job, while the note, reading it
    without its NUL as other values are read, took it for department 12 and said nothing."""
    platform = department("Platform")

    response = client.get("/jobs/", {"department": f"{platform.pk}\x00"})

    assert titles(response) == titles(client.get("/jobs/", {"department": platform.pk}))
    assert len(titles(response)) < 10
    assert note_on_values_naming_nothing(response) is None


def test_values_that_name_something_or_nothing_at_all_leave_no_note(client, boards):
    """The form's "All departments" sends an empty value, and still sends the last org's
    department after another org is picked: neither is a value to tell the visitor of."""
    platform = department("Platform")
    sent = {"q": "", "org": "", "department": "", "office": "", "location": "", "remote": ""}

    for params in (sent, {"org": "liberte", "department": platform.pk}):
        response = client.get("/jobs/", params)

        assert note_on_values_naming_nothing(response) is None
        assert robots_and_canonical(response)[0] is None


def test_an_org_without_open_jobs_is_chosen_by_its_slug_in_any_case(client, db):
    """As an org with open jobs is, one saved with capitals before slugs had to be lowercase
    too."""
    for slug in ("MIXED", "lower"):
        Organization.objects.create(name=slug, slug=slug)

    def chosen(slug: str) -> str:
        page = BeautifulSoup(client.get("/jobs/", {"org": slug}).content, "html.parser")
        return page.select_one("select[name=org] option[selected]")["value"]

    assert [chosen(slug) for slug in ("Mixed", "mixed", "MIXED", "LOWER")] == [
        "MIXED",
        "MIXED",
        "MIXED",
        "lower",
    ]


@pytest.mark.parametrize(
    ("path", "closed"),
    [("/orgs/liberte/", {"organization__slug": "liberte"}), ("/jobs/", {})],
)
def test_a_list_without_open_jobs_names_a_filter_value_that_names_nothing(
    client, boards, path, closed
):
    """An org page's filters are shown only with a filter set: a value that names nothing sets
    none, but the page is kept out of search for it, and says why. Not "showing all jobs", as
    it said where there was no job to show: an org's page without open jobs, or the all-jobs
    page when no org has any."""
    Job.objects.filter(**closed).update(is_open=False)
    cache.clear()  # a direct edit: the options cached would hide it for a minute

    response = client.get(path, {"department": "abc"})

    assert note_on_values_naming_nothing(response) == (
        "No department “abc”; there are no open jobs right now."
    )
    assert robots_and_canonical(response)[0] == "noindex, follow"


def test_an_org_chosen_in_capitals_offers_its_own_departments_and_offices(client, boards):
    """As its slug in lowercase does: not every org's, which list nothing beside it."""

    def options(org: str) -> list[str]:
        page = BeautifulSoup(client.get("/jobs/", {"org": org}).content, "html.parser")
        return [option.get_text() for option in page.select("select option")]

    assert options("ACME") == options("acme") != options("")


def test_the_note_names_at_most_20_department_or_office_values_of_each(client, boards):
    """A link can repeat a parameter a thousand times: the filter reads 20 ids of each."""
    bad = [f"x{n}" for n in range(25)]

    note = note_on_values_naming_nothing(client.get("/jobs/", {"department": bad, "office": bad}))

    assert note.count("“x") == 40 and "x19”" in note and "x20”" not in note


def test_it_filters_by_remote_policy_from_metadata_location_or_the_site(client, boards):
    remote = {"Field Service Technician", "People Operations Partner"}
    remote.add("Développeur·se front-end (Vue.js)")  # "Mode de travail: Télétravail"
    assert titles(client.get("/jobs/", {"remote": "remote"})) == remote

    # The site's own remote policy overrides what Greenhouse says.
    Job.objects.filter(title="Field Service Technician").update(remote_policy="onsite")
    cache.clear()  # a direct edit: pages cached above would hide it for a minute

    assert "Field Service Technician" not in titles(client.get("/jobs/", {"remote": "remote"}))
    assert titles(client.get("/jobs/", {"remote": "onsite"})) == {
        "Field Service Technician",
        "Engineering Manager, Robotics",
        "Infirmier·ère coordonnateur·rice — Télésanté",
    }


def test_filters_combine(client, boards):
    platform = department("Platform")

    def found(**params):
        return titles(client.get("/jobs/", params))

    assert found(department=platform.pk, location="Pittsburgh, PA") == {"Senior Platform Engineer"}
    assert found(department=platform.pk, location="Tokyo, Japan") == set()
    assert found(q="engineer", remote="hybrid", org="acme") == {
        "Senior Platform Engineer",
        "Robotics Software Engineer, Motion Planning",
    }
    assert found(q="engineer", remote="hybrid", org="liberte") == set()


def test_the_org_page_has_the_same_filters_without_the_org_one(client, boards):
    people = department("People")

    response = client.get("/orgs/acme/", {"department": people.pk, "remote": "remote"})

    html = response.content.decode()
    assert titles(response) == {"People Operations Partner"}
    assert "1 job matches" in html
    assert 'name="org"' not in html
    assert 'href="/orgs/acme/">Clear filters</a>' in html


def test_an_org_page_ignores_an_org_filter_for_another_org(client, boards):
    response = client.get("/orgs/acme/", {"org": "liberte"})

    assert len(titles(response)) == 6


def test_the_page_says_how_many_jobs_match_and_shows_the_chosen_filters(client, boards):
    platform = department("Platform")

    response = client.get(
        "/jobs/", {"q": "engineer", "department": platform.pk, "remote": "hybrid"}
    )

    html = response.content.decode()
    assert "1 job matches" in html
    assert 'name="q" value="engineer"' in html
    # Platform is a sub-team of Engineering (acme's board), and named so.
    assert f'<option value="{platform.pk}" selected>Engineering › Platform</option>' in html
    assert '<option value="hybrid" selected>Hybrid</option>' in html
    assert '<optgroup label="Acme Robotics">' in html  # departments of several orgs
    assert 'href="/jobs/">Clear filters</a>' in html


def test_a_filtered_list_names_its_filters_in_its_title_as_the_filters_name_them(client, db):
    """Each filtered list is a page of its own (its canonical address keeps the filters): under
    the unfiltered list's title, a tab, a history entry or a search result could not tell
    them apart. The org's page and /jobs/ name them alike."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    engineering = make_unit(Department, org, "Engineering")
    platform = Department.objects.create(
        organization=org, name="Platform", greenhouse_id=991, parent_greenhouse_id=0
    )
    engineering.greenhouse_id = 0
    engineering.save()
    sales = make_unit(Department, org, "Sales")
    berlin = make_unit(Office, org, "Berlin")
    make_job(org, "Engineer", departments=(platform,), offices=(berlin,), location_name="Remote")
    make_job(org, "Seller", departments=(sales,), remote_policy="hybrid")
    filters = {
        "q": "engineer",
        "department": [sales.pk, platform.pk],
        "office": berlin.pk,
        "location": "Remote",
        "remote": "hybrid",
        "page": 1,
    }
    named = "“engineer” · Engineering › Platform or Sales · Berlin · Remote · Hybrid"

    org_html = client.get("/orgs/harbor/", filters).content.decode()
    jobs_html = client.get("/jobs/", {**filters, "org": "harbor"}).content.decode()

    assert f"<title>{named} · Jobs at Harbor Tools · orgsite</title>" in org_html
    assert f"<title>{named} · Open jobs at Harbor Tools · orgsite</title>" in jobs_html
    office_only = client.get("/orgs/harbor/", {"office": berlin.pk}).content.decode()
    assert "<title>Berlin · Jobs at Harbor Tools · orgsite</title>" in office_only


def test_a_unit_chosen_on_the_all_jobs_page_is_named_after_its_org_in_the_title(client, db):
    """Site-wide, the form offers departments and offices under their orgs' names: two orgs'
    "Engineering" are two lists, which a title naming only "Engineering" could not tell apart.
    With an org chosen, the heading names it."""
    harbor = Organization.objects.create(name="Harbor Tools", slug="harbor")
    acme = Organization.objects.create(name="Acme", slug="acme")
    harbors, acmes = (make_unit(Department, o, "Engineering") for o in (harbor, acme))
    berlin = make_unit(Office, acme, "Berlin")
    make_job(harbor, "Engineer", departments=(harbors,))
    make_job(acme, "Engineer", departments=(acmes,), offices=(berlin,))

    harbors_only = client.get("/jobs/", {"department": harbors.pk}).content.decode()
    both = client.get("/jobs/", {"department": [harbors.pk, acmes.pk], "office": berlin.pk})
    acme_chosen = client.get("/jobs/", {"org": "acme", "department": acmes.pk})

    assert "<title>Harbor Tools › Engineering · All open jobs · orgsite</title>" in harbors_only
    assert (
        "<title>Acme › Engineering or Harbor Tools › Engineering · Acme › Berlin"
        " · All open jobs · orgsite</title>"
    ) in both.content.decode()
    assert "<title>Engineering · Open jobs at Acme · orgsite</title>" in (
        acme_chosen.content.decode()
    )


def test_an_org_page_searched_names_the_keywords_in_its_title_as_typed(client, boards):
    """As /jobs/ does: the tab, the history and a screen reader's first words tell a search
    from the org's whole list."""
    html = client.get("/orgs/acme/", {"q": "  München  "}).content.decode()

    assert "<title>“München” · Jobs at Acme Robotics · orgsite</title>" in html
    assert (
        "<title>Jobs at Acme Robotics · orgsite</title>"
        in client.get("/orgs/acme/").content.decode()
    )


def test_the_all_jobs_page_names_the_org_chosen_in_its_title_and_heading(client, boards):
    """Each org's list is a page of its own (in a tab, the history, search results), and the
    title read out first is the heading read next."""
    Job.objects.filter(organization__slug="liberte").update(hidden=True)

    def title_and_heading(params: dict) -> tuple[str, str, str]:
        page = BeautifulSoup(client.get("/jobs/", params).content, "html.parser")
        og_title = page.select_one('meta[property="og:title"]')["content"]
        return page.title.string, page.h1.get_text(), og_title

    assert title_and_heading({"org": "acme"}) == (
        "Open jobs at Acme Robotics · orgsite",
        "Open jobs at Acme Robotics",
        "Open jobs at Acme Robotics",
    )
    assert title_and_heading({"org": "acme", "q": "robot"})[0] == (
        "“robot” · Open jobs at Acme Robotics · orgsite"
    )
    # Chosen by a link saved before its jobs closed: named, without the filter's mark.
    assert title_and_heading({"org": "liberte"})[1] == "Open jobs at Liberté Santé"
    for ignored in ({}, {"org": "nobody"}):
        assert title_and_heading(ignored) == (
            "All open jobs · orgsite",
            "All open jobs",
            "All open jobs",
        )


def test_the_all_jobs_page_with_an_org_chosen_offers_that_orgs_feed_and_isolates_its_name(
    client, boards
):
    """A feed reader finds the feed of the list on screen, and the org's name, as in every
    other heading, cannot reorder the words around it."""
    Organization.objects.filter(slug="acme").update(name="Acme \u202eRobotics")

    def page(params: dict) -> BeautifulSoup:
        return BeautifulSoup(client.get("/jobs/", params).content, "html.parser")

    chosen = page({"org": "acme"})
    feed = chosen.select_one('link[type="application/rss+xml"]')
    assert (feed["href"], feed["title"]) == ("/orgs/acme/feed/", "Open jobs at Acme Robotics")
    assert chosen.select_one("h1 bdi").get_text() == "Acme \u202eRobotics"
    everyone = page({}).select_one('link[type="application/rss+xml"]')
    assert (everyone["href"], everyone["title"]) == ("/jobs/feed/", "All open jobs")


def test_filter_options_escape_names_and_mark_every_chosen_value(client, db):
    hostile = Organization.objects.create(name='R&D "Labs" <b>', slug="rnd")
    team = make_unit(Department, hostile, "<script>alert(1)</script>")
    other = make_unit(Department, hostile, "Ops & 'Sales'")
    office = make_unit(Office, hostile, "Zürich")
    make_job(
        hostile, "Welder", departments=(team, other), offices=(office,), location_name="Zürich"
    )

    html = client.get(
        "/jobs/",
        {"org": "rnd", "department": [team.pk, other.pk], "location": "Zürich"},
    ).content.decode()

    assert '<option value="rnd" selected>R&amp;D &quot;Labs&quot; &lt;b&gt;</option>' in html
    # Units are grouped by org until one is chosen.
    unfiltered = client.get("/jobs/").content.decode()
    assert '<optgroup label="R&amp;D &quot;Labs&quot; &lt;b&gt;">' in unfiltered
    assert (
        f'<option value="{team.pk}" selected>&lt;script&gt;alert(1)&lt;/script&gt;</option>'
        f'<option value="{other.pk}" selected>Ops &amp; &#x27;Sales&#x27;</option>'
    ) in html
    assert f'<option value="{office.pk}">Zürich</option>' in html
    assert '<option value="Zürich" selected>Zürich</option>' in html
    assert "<script>alert" not in html


def test_without_filters_the_page_counts_open_jobs(client, boards):
    html = client.get("/jobs/").content.decode()

    assert "10 open jobs" in html
    assert "Clear filters" not in html


def test_filter_options_list_only_what_open_jobs_have(client, boards):
    Job.objects.filter(title="Customer Success Lead, Japan").update(is_open=False)

    options = client.get("/jobs/").context["options"]

    assert "Customer Success" not in [d.name for d in options.departments]
    assert "Tokyo, Japan" not in options.locations
    assert "Tokyo, Japan" not in [o.name for o in options.offices]
    assert [o.slug for o in options.organizations] == ["acme", "liberte"]


def test_a_job_without_a_location_adds_no_blank_location_option(client, boards):
    Job.objects.filter(title="Customer Success Lead, Japan").update(location_name="")

    locations = offered(client.get("/jobs/"))["location"]

    assert "" not in locations and locations[0] == "All locations"


@pytest.mark.parametrize(
    "query_string",
    [
        "department=abc&office=-1&remote=moon&org=nobody",
        "department=99999999999999999999999&page=abc",
        "q=" + "x" * 5000,
        "location=%00&q=a%00b&org=%00",
        "department=%C2%B2&office=%EF%BC%91",
        "q=%27%26%7C!(%3A*%22%20-or",
    ],
)
def test_nonsense_in_the_query_string_is_ignored_not_an_error(client, boards, query_string):
    response = client.get(f"/jobs/?{query_string}")

    assert response.status_code == 200


def test_a_nonsense_department_or_remote_value_is_ignored(client, boards):
    assert len(titles(client.get("/jobs/?department=abc&remote=moon"))) == 10


def test_a_link_naming_many_departments_is_read_for_the_first_twenty(client, db):
    """Each id chosen is a lookup more for the database: a link of thousands would hold it."""
    org = Organization.objects.create(name="Many Teams", slug="teams")
    teams = [make_unit(Department, org, f"Team {n:02d}") for n in range(25)]
    for team in teams:
        make_job(org, f"Role in {team.name}", departments=(team,))

    response = client.get("/jobs/", {"department": [team.pk for team in teams]})

    assert response.context["filters"].department_ids == tuple(team.pk for team in teams[:20])
    assert len(titles(response)) == 20


# --- Pagination -------------------------------------------------------------------------------


def test_the_jobs_list_is_paginated_and_page_links_keep_the_filters(client, db):
    org = Organization.objects.create(name="Many Roles", slug="many")
    team = make_unit(Department, org, "Team")
    for n in range(30):
        make_job(org, f"Analyst {n:02d}", departments=(team,), search_text="analysis")
    make_job(org, "Outsider")

    first = client.get("/jobs/", {"q": "analyst", "department": team.pk})
    second = client.get("/jobs/", {"q": "analyst", "department": team.pk, "page": 2})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert titles(first).isdisjoint(titles(second))
    first_html, second_html = first.content.decode(), second.content.decode()
    assert "30 jobs match · page 1 of 2" in first_html
    assert f'rel="next" href="?q=analyst&amp;department={team.pk}&amp;page=2"' in first_html
    assert 'rel="prev"' not in first_html
    # Page 1's own address, as its canonical link gives it: ?page=1 was a second one.
    assert f'rel="prev" href="?q=analyst&amp;department={team.pk}"' in second_html
    third = client.get("/jobs/", {"utm_source": "news", "page": 2}).content.decode()
    assert 'rel="prev" href="/jobs/"' in third
    assert 'rel="next"' not in second_html  # the last page links to no page past the end
    assert (
        f'<link rel="canonical" href="http://testserver/jobs/?q=analyst&amp;department={team.pk}'
        '&amp;page=2">'
    ) in second_html
    # Each page its own title, as search engines list them apart.
    assert "<title>“analyst” · Many Roles › Team · All open jobs · orgsite</title>" in first_html
    assert (
        "<title>“analyst” · Many Roles › Team · All open jobs, page 2 · orgsite</title>"
    ) in second_html


def test_the_jobs_lists_page_links_are_their_pages_canonical_addresses(client, db):
    """As the filter form sends them, with its empty boxes and a department twice: page 1's
    link was "?q=analyst&org=&department=…&department=…&location=", another address of the
    page its canonical link gives as ?q=analyst&department=…, cached apart."""
    org = Organization.objects.create(name="Many Roles", slug="many")
    team = make_unit(Department, org, "Team")
    for n in range(30):
        make_job(org, f"Analyst {n:02d}", departments=(team,), search_text="analysis")
    sent = {"q": "analyst", "org": "", "department": [team.pk, team.pk], "location": ""}

    first = client.get("/jobs/", sent).content.decode()
    second = client.get("/jobs/", {**sent, "page": 2}).content.decode()

    assert f'rel="next" href="?q=analyst&amp;department={team.pk}&amp;page=2"' in first
    assert f'rel="prev" href="?q=analyst&amp;department={team.pk}"' in second
    assert (
        f'<link rel="canonical" href="http://testserver/jobs/?q=analyst&amp;department={team.pk}"'
    ) in first


def test_a_page_past_the_end_shows_the_last_page(client, db):
    org = Organization.objects.create(name="Few Roles", slug="few")
    make_job(org, "Only one")

    response = client.get("/jobs/", {"page": 9})

    assert response.status_code == 200
    assert titles(response) == {"Only one"}


def test_the_newest_jobs_come_first_in_the_jobs_list(client, boards):
    page = client.get("/jobs/").context["page"]

    published = [job.first_published_at for job in page]
    assert published == sorted(published, reverse=True)


# --- What the sync stores for search and filters ----------------------------------------------


def test_a_title_or_place_written_decomposed_or_on_two_lines_is_found_and_filtered(
    client, acme, fake_greenhouse
):
    """Greenhouse may send "é" as "e" and an accent, and a place on two lines: queries are read
    composed, and a browser would send a filter option's newline back as \\r\\n."""
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["title"] = "Inge\u0301nieur  de\nrecherche"
    post["location"]["name"] = "Montre\u0301al,\nQC"
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    searched = client.get("/jobs/", {"q": "ingénieur"})
    page = BeautifulSoup(client.get("/jobs/").content, "html.parser")
    options = [option["value"] for option in page.select("select[name=location] option")]
    filtered = client.get("/jobs/", {"location": "Montréal, QC"})

    assert titles(searched) == {"Ingénieur de recherche"}
    assert "Montréal, QC" in options
    assert titles(filtered) == {"Ingénieur de recherche"}


def raw_post(**fields):
    return {"id": 1, "title": "Role", "content": "", "location": {"name": "Lyon"}, **fields}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"metadata": [{"name": "Workplace Type", "value": "Hybrid"}]}, "hybrid"),
        ({"metadata": [{"name": "Location Type", "value": "Remote"}]}, "remote"),
        ({"metadata": [{"name": "workplace type", "value": "On-Site"}]}, "onsite"),
        ({"metadata": [{"name": "Mode de travail", "value": "Télétravail"}]}, "remote"),
        ({"metadata": [{"name": "Mode de travail", "value": "Sur site"}]}, "onsite"),
        ({"metadata": [{"name": "Workplace Type", "value": ["Remote", "Hybrid"]}]}, "remote"),
        ({"metadata": [{"name": "Workplace Type", "value": "Moon base"}]}, ""),
        ({"metadata": [{"name": "Team", "value": "Remote Sensing"}]}, ""),
        ({"metadata": None, "location": {"name": "Remote — United States"}}, "remote"),
        ({"offices": [{"id": 3, "name": "Remote", "location": None}]}, "remote"),
        ({"metadata": [{"name": "Workplace Type", "value": "On-site"}],
          "offices": [{"id": 3, "name": "Remote"}]}, "onsite"),
        ({"metadata": None}, ""),
        # A yes/no field that asks whether the job is remote, as boards have yes/no fields: its
        # yes was read as no answer at all. A no leaves the workplace unsaid, as it may be either
        # of the others.
        ({"metadata": [{"name": "Remote", "value": True, "value_type": "yes_no"}]}, "remote"),
        ({"metadata": [{"name": "Remote", "value": "Yes", "value_type": "single_select"}]},
         "remote"),
        ({"metadata": [{"name": "Remote", "value": False, "value_type": "yes_no"}]}, ""),
        ({"metadata": [{"name": "Workplace Type", "value": True, "value_type": "yes_no"}]}, ""),
    ],
)  # fmt: skip
def test_the_sync_reads_the_remote_policy_from_metadata_then_location(fields, expected):
    assert remote_policy_of_post(parse_job(raw_post(**fields))) == expected


def test_a_saved_location_without_open_jobs_now_is_laid_out_in_its_direction(client, db):
    """As the location filter's other options are (option_direction): its one of a saved
    location no job has now stood left to right, its right-to-left name too."""
    page = client.get("/jobs/", {"location": "תל אביב-יפו, Israel"}).content.decode()

    assert (
        '<option value="תל אביב-יפו, Israel" selected dir="rtl">'
        "תל אביב-יפו, Israel (no open jobs now)</option>"
    ) in page
