"""Wording helpers, and text as search compares it."""

import pytest

from jobs.text import ending_sentence, fold_accents, minutes_in_words


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("Acme Robotics", "Acme Robotics."),
        ("Tiny Co.", "Tiny Co."),
        ("Yahoo!", "Yahoo!"),
        ("Who?", "Who?"),
        ("Et al…", "Et al…"),
        ("Ltd. (UK)", "Ltd. (UK)."),
    ],
)
def test_a_sentence_ends_with_one_mark(text, sentence):
    assert ending_sentence(text) == sentence


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (1, "1 minute"),
        (5, "5 minutes"),
        (60, "1 hour"),
        (61, "1 hour 1 minute"),
        (90, "1 hour 30 minutes"),
        (1440, "24 hours"),
    ],
)
def test_minutes_read_as_hours_and_minutes(minutes, words):
    assert minutes_in_words(minutes) == words


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("München, Zürich, Köln", "Munchen, Zurich, Koln"),
        ("Montréal — São Paulo", "Montreal — Sao Paulo"),  # the dash is no accent
        ("Liberté Santé", "Liberte Sante"),
        ("Inge\u0301nieur·e", "Ingenieur·e"),  # an accent typed apart from its letter
        ("Straße, STRAẞE", "Strasse, STRASSE"),  # letters NFKD leaves whole
        ("Łódź, Ærøskøbing, Œuvre, Đà Nẵng", "Lodz, AEroskobing, OEuvre, Da Nang"),
        ("ﬁnance ＩＴ", "finance IT"),  # ligatures and full-width letters as typed
        ("Ёлка, Αθήνα", "Елка, Αθηνα"),
        # Scripts whose marks are letters or vowels stay as written.
        ("フィールド調査員（東京） ジ", "フィールド調査員(東京) ジ"),
        ("한국어, हिंदी, ไม่, מפתח/ת", "한국어, हिंदी, ไม่, מפתח/ת"),
        ("Plain ASCII", "Plain ASCII"),
    ],
)
def test_accents_are_folded_as_people_type_without_them(text, folded):
    assert fold_accents(text) == folded
    assert fold_accents(folded) == folded
