"""Wording helpers."""

import pytest

from jobs.text import ending_sentence, minutes_in_words


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
