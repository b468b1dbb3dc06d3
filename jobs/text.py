"""Wording shared by messages, feeds and emails, text as search and sign-in compare it, and
whether text shows at all."""

import bisect
import functools
import math
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from urllib.parse import unquote_to_bytes

from django.utils.text import Truncator

# Control characters other than tab and newlines, and lone surrogates (from JSON escapes such
# as \u0000 or \ud800): PostgreSQL refuses NUL, neither database can store a surrogate, and
# no XML feed may contain either. DEL and the C1 controls (U+007F-U+009F) too: HTML5 reads
# them as parse errors and browsers may show them as boxes.
UNWANTED_CHARACTERS_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
)
# How much of a one-line value is composed (NFC), which takes time with the square of a run of
# combining marks: a title of 300,000 held a sync past the worker's time limit. Four times the
# longest field it goes to (a job's address, jobs.greenhouse.ADDRESS_MAX_LENGTH), as NFC
# composes at most four characters into one (U+1F87).
MAX_COMPOSED_CHARS = 4 * 1000
SENTENCE_ENDINGS = (".", "!", "?", "…")
# What HTML's lang attribute takes (BCP 47: "fr", "pt-BR"); Greenhouse sends ISO 639-1 codes.
LANGUAGE_TAG_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# Direction controls and marks, and zero-width characters, that may follow a name's last mark.
TRAILING_FORMAT_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]+\\Z")
# The accents NFKD splits off Latin, Greek and Cyrillic letters. Not every combining mark: in
# Devanagari or Thai they are vowels, and "हिंदी" without them would be another word.
ACCENTS_RE = re.compile("[\u0300-\u036f]")
# Letters NFKD leaves whole that people type without their accent ("Kraków" is "krakow"), as
# Lucene's ASCIIFoldingFilter reads them: Icelandic's thorn and eth as "th" and "d" ("Þórður" is
# "thordur", "Garðabær" "gardabaer", as Iceland writes them in ASCII), Maltese ħ as "h" ("Ħamrun"
# is "hamrun"), eng as "n". And the music sign some write "C♯" with, typed "#".
UNACCENTED_LETTERS = str.maketrans(
    {"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
     "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D",
     "ħ": "h", "Ħ": "H", "ŋ": "n", "Ŋ": "N", "♯": "#"}
)  # fmt: skip
# Arabic's and Hebrew's optional marks, and the letters people write for one another, read as
# search engines read them (Lucene's ArabicNormalizer, which Elasticsearch's and Solr's Arabic
# analyzers use): Arabic without its harakat and other marks (U+064B-U+065F), the superscript
# alef and the tatweel that stretches a word ("مهـندس"); alef with a hamza or madda, and alef
# wasla, as alef ("إداري" as "اداري"); alef maksura as yeh and teh marbuta as heh, which many
# write for each other at a word's end ("على", "مدرسه"). Not hamza on waw or yeh (ؤ, ئ), letters
# of their own. Hebrew without its points and cantillation marks ("מְהַנְדֵּס" as "מהנדס"), not
# the punctuation among them (maqaf U+05BE, paseq U+05C0, sof pasuq U+05C3, nun hafukha U+05C6).
# Persian's yeh and keheh as Arabic's yeh and kaf, as Lucene's PersianNormalizer reads them: a
# Persian keyboard types "ی" and "ک" where an Arabic one types "ي" and "ك" ("مدیر", "بانک"), and
# so one yeh stands for the three, as alef maksura is read as yeh; and heh with its hamza (ۀ,
# "نمایندۀ") as heh, as heh and the hamza typed apart reads (the mark taken off).
# Turkish's dotless ı as i ("Yazılım" as "Yazilim"), as NFKD reads İ as I, which casefold()
# reads as i: each is typed so where a keyboard lacks it.
# The Quranic annotation marks and the honorific and small vowel signs (U+0610-U+061A,
# U+06D6-U+06DC, U+06DF-U+06E4, U+06E7, U+06E8, U+06EA-U+06ED: with the harakat, every mark of
# the Arabic block), written over words that are typed without them; and the small waw and
# yeh (U+06E5, U+06E6), modifier letters that Quranic spelling writes after a word's letters
# for a vowel read long ("بِهِۦ"), as the superscript alef is, where the word is typed "به".
# Not the end of ayah (U+06DD, a sign enclosing the number after it) nor the rub el hizb and
# sajdah signs (U+06DE, U+06E9), which stand between words as punctuation does.
# So are the marks of the Arabic Extended-A and -B blocks (U+0898-U+089F, U+08CA-U+08E1,
# U+08E3-U+08FF: every combining mark there), Quranic annotation marks, curly and open harakat
# and tone marks beside the Arabic block's: an open fathatan ("رحيم\u08f0ا", as Quran prints of
# South Asia write "رحيما"). Not the pound and piastre marks (U+0890, U+0891) nor the disputed
# end of ayah (U+08E2), format characters written before a number, as U+06DD is.
SCRIPT_LETTERS_FOLDED = str.maketrans(
    "\u0623\u0625\u0622\u0671\u0649\u0629\u06cc\u06a9\u06c0\u0131",  # أ إ آ ٱ, ى, ة, ی, ک, ۀ, ı
    "\u0627\u0627\u0627\u0627\u064a\u0647\u064a\u0643\u0647i",  # ا ا ا ا, ي, ه, ي, ك, ه, i
    "".join(map(chr, (*range(0x064B, 0x0660), 0x0670, 0x0640, *range(0x0591, 0x05BE), 0x05BF)))
    + "\u05c1\u05c2\u05c4\u05c5\u05c7"
    + "".join(map(chr, (*range(0x0610, 0x061B), *range(0x06D6, 0x06DD), *range(0x06DF, 0x06E9))))
    + "\u06ea\u06eb\u06ec\u06ed"
    + "".join(map(chr, (*range(0x0898, 0x08A0), *range(0x08CA, 0x08E2), *range(0x08E3, 0x0900)))),
)
# Every script's decimal digits as ASCII ones, as unicodedata.decimal() reads them: Arabic-Indic
# and Persian ("٥ سنوات", "۵ سال"), Devanagari ("५ वर्ष"), Bengali, Thai ("๕ ปี") and the others
# NFKD keeps, as it does all but the full-width and mathematical ones. Python's \d is these
# (Unicode's Nd).
DECIMAL_DIGIT_RE = re.compile(r"\d")
# Characters that show nothing unless a font has a glyph for a sequence they make, and that
# Unicode's collation ignores (Default_Ignorable_Code_Point, Unicode 16): the soft hyphen,
# zero-width spaces, joiners and non-joiners, the word joiner, direction marks, the byte order
# mark, variation selectors, tag characters, Hangul fillers. Pasted inside a word they split it,
# where PostgreSQL's parser reads one as a space, and LIKE found no word typed without them.
IGNORABLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Thai, Lao, Tibetan, Myanmar and Khmer are written without spaces, and a zero-width space
# there marks where a word ends: read as a space beside their letters, it keeps their words
# apart ("ภาษา" finds "เรียน\u200bภาษา"), where inside a Latin word it is pasted noise.
SCRIPT_WORD_BREAK_RE = re.compile(
    "(?<=[\u0e00-\u0fff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff])\u200b"
    "|\u200b(?=[\u0e00-\u0fff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff])"
)
# Persian (and Urdu, Kurdish, Pashto) parts a word's parts with a zero-width non-joiner, which
# keeps their letters from joining ("برنامه\u200cنویس", programmer, "کتاب\u200cها", books): read
# as a space beside an Arabic-script letter, as Lucene's PersianCharFilter reads it, so that
# "نویس" and "کتاب" find them. Not beside other letters: in Devanagari, Bengali or Malayalam
# it picks a letter's shape inside a word ("क्\u200cष"), in German a ligature not made
# ("Auf\u200clage"), and read as a space it would part those words. Led by the non-joiner, which
# a regex finds at C speed: led by a look behind, it tried every character, 30 times as slow.
ARABIC_SCRIPT = "\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufefc"
WORD_PART_BREAK_RE = re.compile(f"\u200c(?:(?<=[{ARABIC_SCRIPT}]\u200c)|(?=[{ARABIC_SCRIPT}]))")
ASCII_BYTES = bytes(range(128))
# Chinese and Japanese are written without spaces, and PostgreSQL's parser reads a run of their
# letters as one word: "数据" missed "数据分析师", a word a run holds but does not start. Search
# reads each Han ideograph and kana as a word of its own, and a query's run as the phrase of
# them in a row (jobs.search): found wherever the run holds it, as SQLite finds it, and not
# where the same letters stand apart. Not Hangul: Korean puts spaces between its words.
CJK_LETTERS = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c"  # radicals, 々〇
    "\u3041-\u3096\u309b-\u30ff\u31f0-\u31ff"  # kana (not U+3099, U+309A: marks)
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U0001b000-\U0001b16f\U00020000-\U000323af"
)
CJK_LETTERS_RE = re.compile(f"[{CJK_LETTERS}]+")
# Hebrew writes an acronym with gershayim (U+05F4), or the quote a keyboard types for it,
# before its last letter: סמנכ״ל, ארה"ב, ת"א. PostgreSQL's parser read it as two words (סמנכ
# and ל), and סמנכל, as many type it, found neither. Search reads it without the quote, one
# word, as Hebrew analyzers keep an acronym: only before a last letter, which no letter or
# digit follows (a Han or kana letter may, a word of its own), so that a quotation after a
# prefix (ב"גוגל", at "Google") keeps its word (גוגל) apart, and the plural or feminine of an
# acronym (מנכ"לית) is read as before. A pattern per quote, led by it, which a regex finds at C
# speed: one led by a class of both took twice as long over a Hebrew post.
HEBREW_LETTERS = "\u05d0-\u05ea\u05ef-\u05f2"
ACRONYM_QUOTE_RES = {
    quote: re.compile(
        f"{quote}(?<=[{HEBREW_LETTERS}]{quote})(?=[{HEBREW_LETTERS}](?:[\\W_{CJK_LETTERS}]|\\Z))"
    )
    for quote in ('"', "\u05f4")
}
HEBREW_LETTER_RE = re.compile(f"[{HEBREW_LETTERS}]")
# Half-width katakana and their voiced marks (U+FF9E, U+FF9F), which follow the kana they voice.
HALF_WIDTH_KANA_RE = re.compile("[\uff66-\uff9f]")
# A kana and the voiced mark after it, one of them half-width ("ｼﾞ", "シﾞ", "ｼ\u3099").
KANA_AND_VOICED_MARK_RE = re.compile("[\u3041-\u30ff\uff66-\uff9d][\uff9e\uff9f\u3099\u309a]")
# Those letters, and the characters that fold to some (fold_accents): "㈱", "㍿", "🈁".
FOLDS_TO_CJK_LETTER_RE = re.compile(f"[{CJK_LETTERS}\u3200-\u33ff\U0001f200-\U0001f2ff]")
# PostgreSQL's parser reads "C++", "C#" and "F#" as the one-letter words "c" and "f", so that
# "C++" would find every C, C# and Objective-C job: search reads them as words it keeps whole.
# Only where they stand as a word ("C++17", "C/C++", "(C#)", "C ++"): not in "abc++" or
# "docs/c#intro". A pattern per mark, led by it: a regex finds a leading character at C speed,
# where one pattern for both marks tried every character against both, 6 times as slow
# (bench/README.md). "C ++" is found by the same pattern, as the "++" after a "C ". A Han
# ideograph or kana before the C is a word of its own (as_searched): the query's terms are told
# apart before its letters are (jobs.search.query_as_searched), and "エンジニアC ++" was the
# phrase "エンジニアC" and "++", finding the C job.
NOT_BEFORE_CPLUSPLUS = f"(?<![+#]|[^\\W{CJK_LETTERS}])"
CPLUSPLUS_RE = re.compile(
    rf"\+\+(?:(?<={NOT_BEFORE_CPLUSPLUS}[cC]\+\+)|(?<={NOT_BEFORE_CPLUSPLUS}[cC] \+\+))"
)
SHARP_RE = re.compile(r"#(?<=(?<![\w+#])[cCfF]#)(?![^\W\d])")
# Characters PostgreSQL's parser reads as the start of something other than words, which search
# reads as spaces (as_searched): no letters, so they part words the same. "<" starts an HTML
# tag, which it drops up to the next ">" ("Lead <Platform Team>" was "lead"), or to the end
# after "<script" or "<!--"; "~" at the text's start or after a letter starts a file path, one
# word: "Team~Platform" was "team" and "~platform", and a query's "~remote" found no "Remote".
READ_AS_SPACES = "<~"
# A "+" before a digit the parser reads as a number's sign: "+49" and "3+5" were the words
# "+49", "3" and "+5", which "49" and "5" did not find. Read as a space there alone (once "C++"
# is a word): elsewhere the parser reads a "+" as a space already, and "3+ years", in many a
# post, is stored as written.
PLUS_BEFORE_DIGIT_RE = re.compile(r"\+(?=[0-9])")
# An "&", a name (or "#" and digits) and ";" it reads as an HTML entity, which it drops, name
# and all: "R&amp;D", as text escaped twice shows it, was "r" and "d", and "Pension&Dental;" was
# no "dental". Read as a space there alone (once "C#" is a word: "&C#;" is one), as that "+":
# "R&D" and "Sales & Marketing", in most posts, are stored as written. A name goes on over the
# marks after its first character, as the parser's goes on over the letters it reads them as
# ("&Hindiी;"); a name of its marks that the parser ends (a virama, "&ab्;") is read as one too,
# as an "&" it reads as no entity is a space to it already (_entity_ampersand_re).
ENTITY_NAME_CHARACTERS = r"\w:.\-"
# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): one a name leaves open
# reorders the text after it ("Jobs at \u202eAcme · orgsite" reads "Jobs at etisgro · emcA").
# Pages isolate names in <bdi> or an element with a dir. Plain text (<title>, meta tags, JSON-LD,
# emails, feeds) has no such element, so it drops them: closing them instead must follow the bidi
# algorithm's nesting, and an isolate's close is lost on mail clients and feed readers older than
# Unicode 6.3. Arabic and Hebrew letters carry their own direction and read the same without them.
# A page's <title>, which browsers lay out, isolates its names with isolates of its own instead
# (name_in_title).
DIRECTION_CONTROLS_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
# What lays out a path of names as a page does where plain text has no <bdi> to put them in
# (names_in_plain_text): isolates that only this text opens and closes.
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"
# A first-strong isolate closed by its PDI, with no direction control inside: what name_in_title
# writes, which leaves nothing open after it.
CLOSED_ISOLATE_RE = re.compile("\u2068([^\u202a-\u202e\u2066-\u2069]*)\u2069")
# What ends a name written right to left where no isolate can (the messages drop isolates):
# text after it is laid out left to right, a digit first too.
LEFT_TO_RIGHT_MARK = "\u200e"
# The blocks of the letters and digits written right to left (bidirectional types R, AL and
# AN), and the right-to-left mark: text without one is laid out left to right, each name
# isolated or not. Looking for them so is quicker than reading each letter's type.
RIGHT_TO_LEFT_BLOCKS_RE = re.compile(
    "[\u0590-\u08ff\u200f\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
# All but letters: digits, marks, spaces, punctuation (most_letters_direction).
NOT_LETTERS_RE = re.compile(r"[\W\d_]+")
# Unicode categories of spaces, of format characters such as U+200B, U+200F and U+FEFF, and
# of combining marks (an accent with no letter under it).
INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cf", "Mn", "Me"})
# Letters and symbols that fonts draw as blanks: the Hangul fillers and the Braille blank.
BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# The left-to-right, right-to-left and Arabic letter marks: they show nothing, but one that
# opens a text sets the direction it reads in where the first strong letter would not
# ("\u200fReact מפתח" right to left, as a Hebrew post means it).
DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")
# Two blank lines or more between paragraphs: one is enough to part them.
BLANK_LINES_RE = re.compile("\n{3,}")
# What joins the character before it into one grapheme cluster (UAX #29's Extend, SpacingMark
# and ZWJ), besides the marks (Mn, Mc, Me): the zero-width joiner and non-joiner, emoji skin
# tones, the tags of a flag such as Scotland's, half-width kana's voiced marks, and Thai's and
# Lao's vowel sign AM (ทำ), letters to unicodedata.
JOINS_THE_ONE_BEFORE_RE = re.compile(
    "[\u0e33\u0eb3\u200c\u200d\uff9e\uff9f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]"
)
# What joins the character after it (UAX #29's Prepend): Arabic and Syriac signs written
# before a number, and a few letters of scripts of India.
JOINS_THE_ONE_AFTER_RE = re.compile(
    "[\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u0d4e\U000110bd\U000110cd"
    "\U000111c2\U000111c3\U0001193f\U00011941\U00011a3a\U00011a84-\U00011a89"
    "\U00011d46\U00011f02]"
)
# Hangul jamo that make one syllable with the part before them (UAX #29's L, V, T, LV, LVT):
# a leading consonant takes any part of a syllable, a vowel a vowel or trailing consonant.
HANGUL_PARTS_AFTER = {
    "L": ("L", "V", "LV", "LVT"),
    "V": ("V", "T"),
    "LV": ("V", "T"),
    "T": ("T",),
    "LVT": ("T",),
}
# A flag is two regional indicators (🇫🇷): a run of them pairs up from its start.
REGIONAL_INDICATORS = "".join(map(chr, range(0x1F1E6, 0x1F200)))
REGIONAL_INDICATORS_RE = re.compile("[\U0001f1e6-\U0001f1ff]")
# Composing (NFC) sorts a run of combining marks one by one, in time with the square of its
# length: a description of 55,000 accents took 3 s, and such posts held a sync past the
# worker's time limit. Unicode's Stream-Safe Text Format (UAX #15) caps a run at 30 marks,
# which no language's writing reaches.
MAX_COMBINING_RUN = 30


def ending_sentence(text: str) -> str:
    """The text with a full stop after it, unless it already ends as a sentence would:
    "Tiny Co." and "Yahoo!" end "… jobs at Tiny Co." without a second mark. So does a name
    whose mark a direction control or mark follows, which shows nothing ("Tiny Co.\u200e")."""
    shown_end = TRAILING_FORMAT_RE.sub("", text)
    return text if shown_end.endswith(SENTENCE_ENDINGS) else f"{text}."


def before_ellipsis(text: str) -> str:
    """The text without the full stops or ellipsis it ends with, which an ellipsis after it
    stands for: "Delete Tiny Co…", not "Delete Tiny Co.…". A name of only those marks stays."""
    return text.rstrip(".…") or text


def without_direction_controls(text: str) -> str:
    """`text` for plain text that others' words run on after (a page's <title>, an email, a
    feed): without the direction controls a name could leave open (DIRECTION_CONTROLS_RE)."""
    return text if text.isascii() else DIRECTION_CONTROLS_RE.sub("", text)


def name_in_title(name: str) -> str:
    """`name` as a page's <title> names it: without the direction controls it could leave open,
    and between FSI and PDI where it holds a letter written right to left, as a page puts it in
    its <bdi>. A title joins names with " · ", which between two such names took their direction:
    "עבודה · ארגון · orgsite" showed the org's name first, on the left. Isolated, a name also
    leaves the title's own direction to the words outside it, where a browser that reads it from
    the first letter (as for a tab's or window's title) laid it all out right to left from a
    Hebrew job's title. Not a name of no such letter: its title reads the same isolated or not,
    and stays as it was, character for character, in bookmarks and search results."""
    name = without_direction_controls(name)
    if name.isascii() or not RIGHT_TO_LEFT_BLOCKS_RE.search(name):
        return name
    return f"{FIRST_STRONG_ISOLATE}{name}{POP_DIRECTIONAL_ISOLATE}"


def name_in_sentence(name: str) -> str:
    """`name` as the site's sentences name it where no element can isolate it (a form's error, a
    message shown once, an email's subject): as a title does (name_in_title), isolated where it
    holds a letter written right to left. Not isolated, its digits and the marks around it took
    the direction of the words outside: "delete 2024 שלום." showed "delete 2024 םולש.", the
    digits on the left of the name they open. A message that drops direction controls keeps
    these (title_without_direction_controls), which leave nothing open."""
    return name_in_title(name)


def title_without_direction_controls(title: str) -> str:
    """A page's <title> without the direction controls its names could leave open, as
    without_direction_controls drops them, but for the isolates name_in_title writes around
    them: an FSI closed by its PDI, with no control inside, leaves nothing open."""
    if title.isascii():
        return title
    parts = CLOSED_ISOLATE_RE.split(title)  # outside, inside, outside, …
    parts[::2] = [DIRECTION_CONTROLS_RE.sub("", part) for part in parts[::2]]
    parts[1::2] = [f"{FIRST_STRONG_ISOLATE}{part}{POP_DIRECTIONAL_ISOLATE}" for part in parts[1::2]]
    return "".join(parts)


def first_strong_direction(text: str) -> str:
    """ "ltr" or "rtl" as the first letter with a direction gives it, "" if none has one: what
    dir="auto" and a <bdi> read (HTML's "text node directionality"), which take a letter inside
    an isolate (U+2066-U+2069) as any other, as Chromium does: Unicode's rule P2 passes over
    it, but HTML does not follow P2 there."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return ""


def option_direction(text: str) -> str:
    """ "rtl" where the first letter with a direction of `text` is written right to left, else
    "": the dir of an <option> of it, which holds no <bdi> and is otherwise laid out left to
    right, so that it reads as the page's <bdi>s lay the same text out."""
    return "rtl" if not text.isascii() and first_strong_direction(text) == "rtl" else ""


def most_letters_direction(text: str) -> str:
    """ "rtl" where most of the letters of `text` are written right to left, else "": the
    direction of words in no language given, many paragraphs long. Not the first letter's
    (first_strong_direction), which one name decides for them all: an English post that opens
    with a Hebrew place, or a Hebrew one with "React"."""
    if not RIGHT_TO_LEFT_BLOCKS_RE.search(text):
        return ""
    letters = NOT_LETTERS_RE.sub("", text)
    left_to_right = len(RIGHT_TO_LEFT_BLOCKS_RE.sub("", letters))
    return "rtl" if len(letters) > 2 * left_to_right else ""


def names_in_plain_text(names: Sequence[str], separator: str) -> str:
    """`names` (a department's path, without direction controls) joined by `separator`, each
    name after the first isolated (FSI ... PDI) if one has a letter written right to left, as a
    page puts each in its <bdi> (_unit_path.html): for an <option>, which holds no markup and
    takes the path's direction from its dir (names_direction_attribute). The first is not
    isolated: a browser finds an option by the letters typed, from its first, and an isolate
    before them hid it."""
    line = separator.join(names)
    if line.isascii() or not RIGHT_TO_LEFT_BLOCKS_RE.search(line):
        return line
    first, *others = names
    isolated = (f"{FIRST_STRONG_ISOLATE}{name}{POP_DIRECTIONAL_ISOLATE}" for name in others)
    return separator.join([first, *isolated])


def shows_anything(text: str) -> bool:
    """False for "" and for text of only spaces, format characters (zero-width spaces,
    direction marks, word joiners), lone combining marks and blank letters, which strip()
    keeps: a job listed with such a title is an empty link, and a site so named has blank
    page titles."""
    return any(map(_shows, text))


def without_leading_blanks(text: str) -> str:
    """`text` from its first character that shows (as shows_anything reads them), after the
    direction mark (DIRECTION_MARKS) that sets its direction: the first of those after the last
    space before it (none when a space comes right before it: an excerpt joins paragraphs with
    one, and a mark alone in a paragraph sets no other's). "" when none shows."""
    head = text[:1]
    # Most text starts with ASCII, of which only the space shows nothing: read at once.
    if head.isascii() and head != " ":
        return text
    for start, character in enumerate(text):
        if _shows(character):
            return _direction_mark_before(text, start) + text[start:] if start else text
    return ""


def _direction_mark_before(text: str, start: int) -> str:
    """The first direction mark after the last space before `start`, or "": text reads in the
    direction of its first letter with one, and a mark is one."""
    mark = ""
    for blank in reversed(text[:start]):
        if blank.isspace():
            break
        if blank in DIRECTION_MARKS:
            mark = blank
    return mark


def _shows(character: str) -> bool:
    return (
        character not in BLANK_CHARACTERS
        and unicodedata.category(character) not in INVISIBLE_CATEGORIES
    )


def paragraphs_joined(lines: Iterable[str]) -> str:
    """The lines as one text, without blank lines around them and with a run of them as one."""
    return BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip("\n")


def paragraphs_shown(text: str) -> str:
    """Text in paragraphs (an org's description) with its lines that show nothing read as blank
    lines: kept, one made an empty paragraph, or an empty line in one."""
    return paragraphs_joined(line if shows_anything(line) else "" for line in text.split("\n"))


def composed(text: str) -> str:
    """The text composed (NFC), each run of combining marks cut to its first MAX_COMBINING_RUN
    before composing: for untrusted text, which a run of thousands of accents would hold for
    seconds. Text already composed, as nearly all is, is returned as it is, a long run too
    (it costs no composing): the scan for runs took 60 times as long as is_normalized() on a
    title, and more than composing a whole description."""
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", _long_combining_run_re().sub(r"\1", text))


def clean_text(text: str) -> str:
    """`text` without the characters no database or feed here can take."""
    # isprintable() is true of most names and titles and costs a tenth of the regex.
    return text if text.isprintable() else UNWANTED_CHARACTERS_RE.sub("", text)


def one_line(value: object) -> str:
    """A one-line value (a title, a place, a team) as the sync stores it and the location filter
    reads one from a link, "" if it is no text: cleaned (clean_text), whitespace collapsed, as a
    page shows it and a filter sends it back (a browser sends a newline as \\r\\n), and composed
    (NFC), as search queries are read, so "é" written as "e" and an accent still finds it. One
    function for both: read apart, a link with Greenhouse's "Zu\\u0308rich" or "Austin,  TX"
    listed none of the jobs stored as "Zürich" or "Austin, TX"."""
    if not isinstance(value, str):
        return ""
    # Collapsed before it is cut, so that a run of spaces does not take the words' place.
    head = " ".join(clean_text(value).split())[:MAX_COMPOSED_CHARS]
    return " ".join(composed(head).split())


def minutes_in_words(minutes: int) -> str:
    """A number of minutes as people say it: 90 as "1 hour 30 minutes", 1440 as "24 hours"."""
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{count} {unit}{'' if count == 1 else 's'}"
        for count, unit in ((hours, "hour"), (minutes, "minute"))
        if count
    ]
    return " ".join(parts)


def seconds_in_words(seconds: int) -> str:
    """A length of time as people say it: whole days in days (259200 as "3 days", as the README
    and the invitation email give the life of a password link), any other as minutes_in_words()
    does."""
    days, rest = divmod(seconds, 24 * 60 * 60)
    if days and not rest:
        return f"{days} day{'' if days == 1 else 's'}"
    return minutes_in_words(seconds // 60)


def wait_in_words(seconds: float | None) -> str:
    """How long to wait, as Greenhouse's Retry-After asks, to follow "try again in": "a minute"
    for a minute or less, or none said; else "about" the minutes it asks, rounded up (301 as
    "about 6 minutes", 7200 as "about 2 hours")."""
    if seconds is None or seconds <= 60:
        return "a minute"
    return f"about {seconds_in_words(math.ceil(seconds / 60) * 60)}"


def email_key(email: str) -> str:
    """An address as Django's password reset compares addresses: NFKC, then casefold."""
    return unicodedata.normalize("NFKC", email).casefold()


def fold_accents(text: str) -> str:
    """The text as people type it without accents: "München" as "Munchen", "Straße" as
    "Strasse", "ﬁ" as "fi" (NFKD), and without the characters that show nothing (IGNORABLE_RE):
    "py\u200bthon" as "python", but a zero-width space between Thai words and a non-joiner
    beside an Arabic-script letter (SCRIPT_WORD_BREAK_RE, WORD_PART_BREAK_RE) as a space, and
    half-width kana in full width, with their voiced marks ("ｼﾞ" as "ジ"), and Arabic, Persian,
    Hebrew and Turkish as SCRIPT_LETTERS_FOLDED reads them: "مُهَنْدِس" as "مهندس", "إداري" as
    "اداري", "مدیر" as "مدير", "מְהַנְדֵּס" as "מהנדס", "Yazılım" as "Yazilim"; every script's
    digits as ASCII ones (DECIMAL_DIGIT_RE): "٥", "۵" and "५" as "5"; "Þór" as "THor"
    (UNACCENTED_LETTERS); and a Hebrew acronym without its quote (ACRONYM_QUOTE_RES): "סמנכ"ל"
    and "סמנכ״ל" as "סמנכל". Case is kept, and letters without such accents ("ジ", "한") stay as
    written, composed (NFC).

    Each character beyond ASCII that folds is replaced wherever it is: nearly every post has a
    dash or a curly quote, so few are ASCII alone, and decomposing whole posts took 4 to 40
    times as long (bench/README.md).
    """
    return _folded(text)[0]


def _folded(text: str) -> tuple[str, str]:
    """The text folded (fold_accents), and its characters beyond ASCII, composed, before."""
    if text.isascii():
        return text, ""
    if "\u200b" in text:
        text = SCRIPT_WORD_BREAK_RE.sub(" ", text)
    if "\u200c" in text:
        text = WORD_PART_BREAK_RE.sub(" ", text)
    others = _beyond_ascii(text)
    # Composed first (NFC): a letter and its mark written apart, as macOS and some boards write
    # them ("한" as three jamo, "ガ" as "カ" and U+3099), were another word than the one typed
    # composed, where no accent is removed. Every mark that composes with an ASCII letter is
    # an accent removed anyway, so the characters beyond ASCII tell whether the text needs it.
    if not unicodedata.is_normalized("NFC", others):
        text = composed(text)
        others = _beyond_ascii(text)
        if not others:  # all composed to ASCII: the Kelvin sign is a K, U+037E a ";"
            return text, ""
    foldings, half_width_kana, hebrew = _foldings(frozenset(others))
    if half_width_kana:
        # A half-width kana's voiced mark is a character of its own, which folds to a combining
        # mark: "ｼﾞ" folded one by one was "シ" and a mark, which no word typed in full width
        # found. Each such pair is read as NFKC reads it ("ジ"): composing the whole text
        # instead took a post in half-width kana 0.8 ms to fold, where this takes 0.2.
        text = KANA_AND_VOICED_MARK_RE.sub(_nfkc_of, text)
    for character, plain in foldings:
        text = text.replace(character, plain)
    # Most texts hold no Hebrew letter, which their characters' foldings tell at once.
    if hebrew:
        for quote, acronym_quote_re in ACRONYM_QUOTE_RES.items():
            if quote in text:
                text = acronym_quote_re.sub("", text)
    return text, others


def _ascii_digit(digit: re.Match[str]) -> str:
    return str(unicodedata.decimal(digit[0]))


def _nfkc_of(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match[0])


def as_searched(text: str) -> str:
    """The text as keyword search reads it, stored and queried alike: without accents
    (fold_accents), with "C++" (or "C ++"), "C#" and "F#" as the words "Cplusplus", "Csharp",
    "Fsharp" (in the case written), each Han ideograph and kana apart from its neighbours
    (CJK_LETTERS): "数据分析师" as "数 据 分 析 师", and "<" and "~" as spaces (READ_AS_SPACES), as
    are a "+" before a digit and an "&" that starts an entity (PLUS_BEFORE_DIGIT_RE,
    _entity_ampersand_re)."""
    text, others = _folded(text)
    for character in READ_AS_SPACES:
        if character in text:
            text = text.replace(character, " ")
    # Most texts hold no Han or kana, which their few characters beyond ASCII tell at once
    # (reading them from the text again cost a post 30 µs, half as much as folding it).
    if others and FOLDS_TO_CJK_LETTER_RE.search(others):
        text = CJK_LETTERS_RE.sub(_cjk_letters_apart, text)
    # Most texts lack "+" or "#": a test for one costs a quarter of a regex's scan.
    if "+" in text:
        text = PLUS_BEFORE_DIGIT_RE.sub(" ", with_cplusplus_words(text))
    if "#" in text:
        text = SHARP_RE.sub("sharp", text)
    # Most hold an "&" ("R&D", "&" for "and"), and two in three no ";", which an entity ends with.
    if "&" in text and ";" in text:
        text = _entity_ampersand_re().sub(" ", text)
    return text


def _cjk_letters_apart(run: re.Match[str]) -> str:
    """A run of Han or kana letters with a space between each and the next, and between it and
    a neighbour that is no space. A run at a time: a regex that found each place between two
    letters took 4 ms on a Japanese text of 6,400 characters, this 1-2 ms (folding it, 1.4)."""
    text, start, end = run.string, run.start(), run.end()
    before = " " if start and not text[start - 1].isspace() else ""
    after = " " if end < len(text) and not text[end].isspace() else ""
    return before + " ".join(run[0]) + after


def tags_as_searched(tags: list[str]) -> str:
    """A job's tags as keyword search reads them (as_searched), one a line: "C" and "++"
    tagged apart are not "C++"."""
    return as_searched("\n".join(tags))


def with_cplusplus_words(text: str) -> str:
    """The text with each "++" CPLUSPLUS_RE finds read as "plusplus", and the space before it
    dropped ("C ++" is "Cplusplus" too). A pattern cannot drop what comes before what it
    matches, and one that also matched the space would be led by " ?": tried at every space."""
    parts, end = [], 0
    for match in CPLUSPLUS_RE.finditer(text):
        start = match.start() - (text[match.start() - 1] == " ")
        parts += (text[end:start], "plusplus")
        end = match.end()
    return "".join([*parts, text[end:]]) if parts else text


def _beyond_ascii(text: str) -> str:
    """The text's characters beyond ASCII, in order."""
    # UTF-8 writes ASCII bytes for ASCII characters only: deleting them leaves the others whole.
    others = text.encode("utf-8", "surrogatepass").translate(None, ASCII_BYTES)
    return others.decode("utf-8", "surrogatepass")


@functools.cache
def mark_ranges() -> str:
    """The marks (Mn, Mc, Me) as the ranges of a regex's class: PostgreSQL's parser reads one as
    part of the word it is in ("हिंदी", "कार"), where Python's regex reads it as no letter, and
    "र" found "कार". Listed once a process, in 25 ms (none lies past U+1FFFF but U+E0100-U+E01EF).
    """
    return class_ranges(
        code
        for code in (*range(0x300, 0x20000), *range(0xE0100, 0xE01F0))
        if unicodedata.category(chr(code))[0] == "M"
    )


def class_ranges(codes: Iterable[int]) -> str:
    """Code points, in ascending order and none of "-", "]", "\\" or "^", as the ranges of a
    regex's class ("a-z" for a run of them), which PostgreSQL's regexes read as Python's do."""
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        chr(first) if first == last else f"{chr(first)}-{chr(last)}" for first, last in ranges
    )


@functools.cache  # built when first needed, as its marks are (mark_ranges)
def _entity_ampersand_re() -> re.Pattern[str]:
    """An "&" that starts what PostgreSQL's parser reads as an HTML entity, the marks in its
    name too (ENTITY_NAME_CHARACTERS)."""
    name = f"[{ENTITY_NAME_CHARACTERS}][{ENTITY_NAME_CHARACTERS}{mark_ranges()}]*"
    return re.compile(f"&(?=#?{name};)")


@functools.cache  # built when first needed: it reads every character's class, 0.1 s
def _long_combining_run_re() -> re.Pattern[str]:
    """A run of more than MAX_COMBINING_RUN combining marks that composing reorders (those of
    a class other than 0), its first MAX_COMBINING_RUN as group 1."""
    marks = "".join(
        chr(code) for code in range(sys.maxunicode + 1) if unicodedata.combining(chr(code))
    )
    mark = f"[{re.escape(marks)}]"
    return re.compile(f"({mark}{{{MAX_COMBINING_RUN}}}){mark}+")


@functools.lru_cache(maxsize=1024)  # posts of a board mostly hold the same few
def _foldings(characters: frozenset[str]) -> tuple[list[tuple[str, str]], bool, bool]:
    """Those of the characters that fold, each with what it folds to, whether any is a
    half-width kana (HALF_WIDTH_KANA_RE), and whether any is, or folds to, a Hebrew letter
    (ACRONYM_QUOTE_RES)."""
    ordered = sorted(characters)
    # Folded in one go, kept apart by "\0", which nothing composes with.
    joined = IGNORABLE_RE.sub("", "\0".join(ordered))
    folded = unicodedata.normalize("NFKD", joined.translate(UNACCENTED_LETTERS))
    plain = unicodedata.normalize("NFC", ACCENTS_RE.sub("", folded))
    # After composing: a presentation form ("ﺃ", U+FE83) folds to the letter it shows ("أ").
    plain = DECIMAL_DIGIT_RE.sub(_ascii_digit, plain.translate(SCRIPT_LETTERS_FOLDED))
    hebrew = bool(HEBREW_LETTER_RE.search(plain))
    plain = plain.split("\0")
    foldings = [pair for pair in zip(ordered, plain, strict=True) if pair[0] != pair[1]]
    return foldings, bool(HALF_WIDTH_KANA_RE.search(joined)), hebrew


# A run of percent-escaped bytes in an address: the UTF-8 of the characters they stand for.
ESCAPES_RE = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# The most characters of an address that write one character: its four bytes escaped (🚀,
# "%F0%9F%9A%80").
MAX_ESCAPED_CHARACTER_CHARS = 4 * len("%F0")


def characters_start(text: str, limit: int) -> str:
    """The first `limit` characters of `text`, an ellipsis last if it is longer, cut after a
    whole character: a letter keeps its accents, an emoji sequence or a flag is kept whole or
    left out (Truncator counts only the marks it composes with as nothing, and cut "👩‍💻" to
    "👩", "🇫🇷" to "🇫"), and so are the percent-escapes of an address's (escaped_grapheme_start),
    of which a cut left "%C3" or "%C" of "%C3%A9", showing no letter."""
    cut = Truncator(text).chars(limit)
    if not cut.endswith("…"):
        return cut
    # Truncator cuts the text composed (NFC), so its head is that text's start.
    whole = unicodedata.normalize("NFC", text)
    head = cut.removesuffix("…")
    return f"{whole[: escaped_grapheme_start(whole, len(head))]}…"


# What browsers remove from an address before they read it, wherever it is (the WHATWG URL
# standard): tabs and line breaks.
TABS_AND_LINE_BREAKS_RE = re.compile(r"[\t\n\r]")


def address_line(value: object) -> str:
    """one_line() of a web address, "" if it is no text, without its tabs and line breaks, as
    browsers read it: one_line() wrote each as a space, which browsers refuse in a host and
    open as "%20" in a path, where they open "https://boards.green\\thouse.io/acme\\n/jobs" as
    "https://boards.greenhouse.io/acme/jobs"."""
    return one_line(TABS_AND_LINE_BREAKS_RE.sub("", value) if isinstance(value, str) else value)


# Where an address's query or fragment starts: browsers read a "\\" before it as a "/".
QUERY_OR_FRAGMENT_RE = re.compile(r"[?#]")


def backslashes_as_browsers_read(address: str) -> str:
    """`address` with each "\\" before its query or fragment written "/", as browsers read an
    http(s) address (the WHATWG URL standard), where urlsplit reads it as a character of the
    host, user name or path it is in: "https://evil.example\\@jobs.example.com/apply" named
    jobs.example.com to it, and browsers open evil.example ("/@jobs.example.com/apply" its
    path), and a link read against "https://jobs.example.com/careers\\job" left "careers"
    out. A "\\" in the query or fragment is kept, as browsers keep it."""
    if "\\" not in address:  # nearly every address
        return address
    start = QUERY_OR_FRAGMENT_RE.search(address)
    end = start.start() if start else len(address)
    return address[:end].replace("\\", "/") + address[end:]


def address_head(address: str, max_length: int) -> str:
    """The head of a web address that a field of `max_length` keeps: its first `max_length`
    characters, cut before a character as a reader sees it once its escapes are read
    (escaped_grapheme_start), without the space a cut leaves last. Cut inside a letter's
    escapes, the link was broken ("%E2%82" of "%E2%82%AC", €); cut between a letter and its
    accent's ("e" of "e%CC%81"), it named another page."""
    if len(address) <= max_length:  # nearly every address: no cut
        return address
    return address[: escaped_grapheme_start(address, max_length)].rstrip()


def escaped_grapheme_start(text: str, index: int) -> int:
    """grapheme_start() of `text` read as its percent-escapes decode: the start of what a
    reader takes for one character that `index` falls in, where the characters of an address
    may be written as the escapes of their UTF-8 bytes, so that a cut there keeps a letter's
    escapes together ("%C3%A9", é), an accent escaped after its letter with it ("e%CC%81"), and
    an emoji sequence or a flag whole, as grapheme_start() does of characters as written.
    Escapes of bytes that are no UTF-8 (a Latin-1 path's "%E9") are each a character of their
    own: kept as they came. The text is read up to the character `index` falls in only, and
    decoded only if it has escapes: 50 to 100 µs for an address of 1,000 characters of them."""
    if index >= len(text):
        return len(text)
    head = text[: index + MAX_ESCAPED_CHARACTER_CHARS]
    if "%" not in head:  # no escape to read: the characters as written are the reader's
        return grapheme_start(text, index)
    read, starts = _escapes_read(head)
    # The character read that `index` falls in, or starts.
    at = bisect.bisect_right(starts, index) - 1
    return starts[grapheme_start(read, at)]


def _escapes_read(text: str) -> tuple[str, list[int]]:
    """`text` with its runs of percent-escapes decoded as UTF-8, and where in `text` each of
    its characters starts. A byte that is no UTF-8 reads as one lone surrogate, as
    "surrogateescape" writes it (U+DC80 to U+DCFF): as any character grapheme_start() takes
    for a cluster's start, and of one byte, as encoding it back says."""
    characters: list[str] = []
    starts: list[int] = []
    done = 0
    for escapes in ESCAPES_RE.finditer(text):
        characters.append(text[done : escapes.start()])
        starts.extend(range(done, escapes.start()))
        start = escapes.start()
        for character in unquote_to_bytes(escapes[0]).decode("utf-8", "surrogateescape"):
            characters.append(character)
            starts.append(start)
            start += len("%XX") * len(character.encode("utf-8", "surrogateescape"))
        done = escapes.end()
    characters.append(text[done:])
    starts.extend(range(done, len(text)))
    return "".join(characters), starts


def field_head(text: str, max_length: int) -> str:
    """The head of `text` a field of `max_length` characters keeps, as the sync stores a name
    longer than its field and the location filter reads one from a link: its first
    `max_length` characters, never cut inside a character (grapheme_start), without the space
    a cut leaves last and without an ellipsis. One function for both, as a stored location must
    equal the filter's reading of Greenhouse's: cut apart, "é" written e and ◌́ or "👩‍💻" across
    the cut was stored split, read whole-or-without, and its link listed none of its jobs."""
    if len(text) <= max_length:  # nearly every name: no cut, no character to keep whole
        return text.rstrip()
    return text[: grapheme_start(text, max_length)].rstrip()


# The most characters grapheme_start walks back over: Unicode's stream-safe text (UAX #15) has
# at most 30 marks in a row, and the longest emoji (a family, each with a skin tone) has 11.
LONGEST_CLUSTER = 32


def grapheme_start(text: str, index: int) -> int:
    """The start of the grapheme cluster of `text` that `index` falls in (`index` if one starts
    there), as UAX #29 tells them apart: what a reader takes for one character, a letter and
    its accents, an emoji of several joined by zero-width joiners (👩‍💻) or with a skin tone, a
    flag's two letters, a Hangul syllable written as its jamo. Cut there, text loses none of
    it, where a cut inside left "e" of "é" written e and ◌́, 👩 of 👩‍💻, or 🇫 of 🇫🇷 (which
    shows as a letter in a box, and makes 🇷 and the next flag's first letter one flag).
    From the rules, without the Unicode data Python lacks (Extended_Pictographic, Indic
    conjuncts): it never cuts after a zero-width joiner before a symbol or a letter of a script
    from Devanagari on, nor after a virama before a letter, where Unicode joins only an emoji
    or some consonants: such a cut may come a cluster early. Inside a cluster longer than any
    a person writes (LONGEST_CLUSTER), it is `index`: hostile text such as a run of joined
    emoji pays a bounded walk back for each name a sync cuts, not one to its field's start."""
    start = index
    floor = max(index - LONGEST_CLUSTER, 0)
    while floor < start < len(text) and not _starts_grapheme(text, start):
        start -= 1
    if start == floor > 0 and not _starts_grapheme(text, start):
        return index
    return start


def _starts_grapheme(text: str, index: int) -> bool:
    before, character = text[index - 1], text[index]
    if character.isascii():  # nearly every cut: only CR LF or Prepend hold one to before
        if before.isascii():
            return before != "\r" or character != "\n"
        return not JOINS_THE_ONE_AFTER_RE.match(before)
    if (
        unicodedata.category(character)[0] == "M"
        or JOINS_THE_ONE_BEFORE_RE.match(character)
        or JOINS_THE_ONE_AFTER_RE.match(before)
    ):
        return False
    if before == "\u200d":
        return _starts_after_joiner(character)
    if REGIONAL_INDICATORS_RE.match(character) and REGIONAL_INDICATORS_RE.match(before):
        # Counted by rstrip() at C's pace: a regex a character walked a hostile run of flags
        # to its start for each place grapheme_start tried, 0.2 ms a name of 400.
        head = text[:index]
        return (len(head) - len(head.rstrip(REGIONAL_INDICATORS))) % 2 == 0
    if _hangul_part(character) in HANGUL_PARTS_AFTER.get(_hangul_part(before), ()):
        return False
    # A consonant after a virama (combining class 9) is in a conjunct (क्ष) with the one before,
    # as it is after a virama and marks over it (क्॑ष: GB9c).
    return not (
        unicodedata.combining(before)
        and unicodedata.category(character) == "Lo"
        and _virama_among_marks_before(text, index)
    )


def _starts_after_joiner(character: str) -> bool:
    """Whether `character` (not ASCII, nor a mark) after a zero-width joiner starts a grapheme
    cluster. A joiner joins an emoji after one (👩‍💻: GB11) or a consonant after a virama
    (क्‍ष: GB9c), without which it ends the cluster it is in. Without Python's data of either,
    a letter or digit of a script before Devanagari (Latin, Greek, Cyrillic, Hebrew, Arabic)
    starts one, as none is an emoji or such a consonant (the emoji "©" and "®" are symbols)."""
    return character < "\u0900" and unicodedata.category(character)[0] in "LN"


def _virama_among_marks_before(text: str, index: int) -> bool:
    """Whether a virama is among the marks of a combining class other than 0 (accents, a nukta,
    Vedic tone marks) that come right before `index`, among the last LONGEST_CLUSTER of them: a
    hostile run of marks was walked back to its start for a cut after it, one at a time."""
    floor = max(index - LONGEST_CLUSTER, 0)
    while index > floor and (kind := unicodedata.combining(text[index - 1])):
        if kind == 9:
            return True
        index -= 1
    return False


def _hangul_part(character: str) -> str:
    """The part of a Hangul syllable `character` is (UAX #29's Hangul_Syllable_Type): a leading
    consonant jamo (L), a vowel (V), a trailing consonant (T), a syllable without one (LV) or
    with one (LVT); "" for any other character."""
    code = ord(character)
    if 0xAC00 <= code <= 0xD7A3:
        return "LVT" if (code - 0xAC00) % 28 else "LV"
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return "L"
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return "V"
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return "T"
    return ""
