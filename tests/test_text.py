"""Wording helpers."""

import pytest

from jobs.text import ending_sentence


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
