"""Wording shared by messages, feeds and emails."""

SENTENCE_ENDINGS = (".", "!", "?", "…")


def ending_sentence(text: str) -> str:
    """The text with a full stop after it, unless it already ends as a sentence would:
    "Tiny Co." and "Yahoo!" end "… jobs at Tiny Co." without a second mark."""
    return text if text.endswith(SENTENCE_ENDINGS) else f"{text}."
