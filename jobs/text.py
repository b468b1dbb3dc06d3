"""Wording shared by messages, feeds and emails."""

import unicodedata

SENTENCE_ENDINGS = (".", "!", "?", "…")


def ending_sentence(text: str) -> str:
    """The text with a full stop after it, unless it already ends as a sentence would:
    "Tiny Co." and "Yahoo!" end "… jobs at Tiny Co." without a second mark."""
    return text if text.endswith(SENTENCE_ENDINGS) else f"{text}."


def minutes_in_words(minutes: int) -> str:
    """A number of minutes as people say it: 90 as "1 hour 30 minutes", 1440 as "24 hours"."""
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{count} {unit}{'' if count == 1 else 's'}"
        for count, unit in ((hours, "hour"), (minutes, "minute"))
        if count
    ]
    return " ".join(parts)


def email_key(email: str) -> str:
    """An address as Django's password reset compares addresses: NFKC, then casefold."""
    return unicodedata.normalize("NFKC", email).casefold()
