"""Wording helpers, and text as search compares it."""

import re
import sys
import unicodedata
from typing import Any

import pytest

import jobs.text
from jobs.greenhouse import ADDRESS_MAX_LENGTH
from jobs.text import (
    LONGEST_CLUSTER,
    MAX_ESCAPED_CHARACTER_CHARS,
    RIGHT_TO_LEFT_BLOCKS_RE,
    address_head,
    as_searched,
    before_ellipsis,
    characters_start,
    composed,
    email_key,
    ending_sentence,
    field_head,
    fold_accents,
    grapheme_start,
    mark_ranges,
    minutes_in_words,
    most_letters_direction,
    name_in_title,
    names_in_plain_text,
    seconds_in_words,
    tags_as_searched,
    title_without_direction_controls,
    wait_in_words,
    without_leading_blanks,
)


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("Acme Robotics", "Acme Robotics."),
        ("Tiny Co.", "Tiny Co."),
        ("Yahoo!", "Yahoo!"),
        ("Who?", "Who?"),
        ("Et al…", "Et al…"),
        ("Ltd. (UK)", "Ltd. (UK)."),
        # A mark or control after the name's own full stop shows nothing: "Tiny Co.." showed.
        ("Tiny Co.\u200e", "Tiny Co.\u200e"),
        ("\u202bTiny Co.\u202c", "\u202bTiny Co.\u202c"),
        ("\u202bAcme\u202c", "\u202bAcme\u202c."),
    ],
)
def test_a_sentence_ends_with_one_mark(text, sentence):
    assert ending_sentence(text) == sentence


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Acme Robotics", "Acme Robotics"),
        ("Tiny Co.", "Tiny Co"),
        ("Et al…", "Et al"),
        ("Wait...", "Wait"),
        ("Yahoo!", "Yahoo!"),
        ("...", "..."),
    ],
)
def test_an_ellipsis_after_a_name_takes_the_place_of_its_own_dots(text, shown):
    assert before_ellipsis(text) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Robots.", "Robots."),
        ("", ""),
        # Read at once when ASCII, of which only the space shows nothing.
        (" \u200b Robots.", "Robots."),
        ("\u200b\u2060\ufeff \u3164 \u0301", ""),
        ("\u200bÉquipe", "Équipe"),
        ("\u200e\u00a0日本", "日本"),
        # A direction mark before it stays: it sets the direction the text reads in. The first
        # does, after the last space: the excerpt read right to left one that reads left to right,
        # keeping the mark right before the first word alone.
        ("\u200fReact מפתח", "\u200fReact מפתח"),
        ("\u200b \u061c\u200b\u200e1 مطور", "\u061c1 مطور"),
        ("\u200f\u200b\u200eReact מפתח", "\u200fReact מפתח"),
        ("\u200e\u200f1 מפתח", "\u200e1 מפתח"),
        ("\u200f", ""),
        ("\u200f \u200b", ""),
        ("日本\u200f", "日本\u200f"),
    ],
)
def test_text_is_read_from_its_first_character_that_shows(text, shown):
    assert without_leading_blanks(text) == shown


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
    ("seconds", "words"),
    [(86400, "1 day"), (259200, "3 days"), (3600, "1 hour"), (90000, "25 hours")],
)
def test_whole_days_read_as_days_and_the_rest_as_hours_and_minutes(seconds, words):
    """Django's password reset links last 259200 s: "72 hours" in one email, "3 days" in
    another and in the README."""
    assert seconds_in_words(seconds) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (None, "a minute"),
        (5, "a minute"),
        (60, "a minute"),
        (61, "about 2 minutes"),
        (300, "about 5 minutes"),
        (3599.5, "about 1 hour"),
        (5400, "about 1 hour 30 minutes"),
        (172800, "about 2 days"),
    ],
)
def test_a_wait_greenhouse_asks_reads_in_minutes_rounded_up(seconds, words):
    assert wait_in_words(seconds) == words


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
        # Their letters written apart from their marks, as macOS writes them, composed (NFC).
        ("\u1112\u1161\u11ab\u1100\u116e\u11a8, \u30ab\u3099\u30e9\u30b9", "한국, ガラス"),
        ("\u0928\u093c, \u0995\u09c7\u09be, Vie\u0323\u0302t", "\u0929, \u0995\u09cb, Viet"),
        # Characters that show nothing, pasted inside words or around them.
        ("Py\u00adthon, Ja\u200bva, Ru\u200cst, Go\u200dlang", "Python, Java, Rust, Golang"),
        ("\ufeffKot\u2060lin\u200f, Zu\u0308\u200brich, \u2764\ufe0f", "Kotlin, Zurich, \u2764"),
        # Between words of scripts written without spaces, a zero-width space ends a word.
        ("เรียน\u200bภาษา\u200bไทย, ភាសា\u200bខ្មែរ", "เรียน ภาษา ไทย, ភាសា ខ្មែរ"),
        ("Thai\u200bไทย, ကို\u200bAnn", "Thai ไทย, ကို Ann"),
        # Arabic's optional marks, alef with a hamza, madda or wasla, alef maksura, teh
        # marbuta, the tatweel; not hamza on waw or yeh, letters of their own.
        ("مُهَنْدِس إداري أول، آخر ٱلعمل", "مهندس اداري اول، اخر العمل"),
        ("مهـــندس، هٰذا، على، مدرسة", "مهندس، هذا، علي، مدرسه"),
        ("مسؤول، رئيس", "مسؤول، رئيس"),
        ("\ufe83\ufea3\ufee4\ufeaa", "احمد"),  # presentation forms: أحمد as shown
        # Hebrew's points and cantillation, not its punctuation among them.
        ("מְהַנְדֵּס, שָׂכָר, שׁ\u05c7\u05bf\u05c4\u05c5\u0591", "מהנדס, שכר, ש"),
        ("בית\u05beספר\u05c0 סוף\u05c3 \u05c6", "בית\u05beספר\u05c0 סוף\u05c3 \u05c6"),
        ("\ufb2a\ufb35", "שו"),  # presentation forms with their points
        # An acronym's gershayim or quote before its last letter, its points too.
        ('סמנכ"ל, סמנכ״ל, ארה"ב, ת"א, צַהַ"ל, מנכ＂ל', "סמנכל, סמנכל, ארהב, תא, צהל, מנכל"),
        ('"סמנכ"ל", ו"צה"ל", \ufb2a"\ufb35', '"סמנכל", ו"צהל", שו'),
        # An underscore parts words, as a space does: a hashtag's acronym too.
        ('#סמנכ"ל_כספים, ת״א_2', "#סמנכל_כספים, תא_2"),
        # Not a quotation after a prefix, an acronym's plural, a geresh, nor in other scripts.
        (
            'ב"גוגל", מנכ"לים, ה״ב1, פרופ׳, צ\'יפ, C"ל, ל"C',
            'ב"גוגל", מנכ"לים, ה״ב1, פרופ׳, צ\'יפ, C"ל, ל"C',
        ),
        # Turkish's dotless ı, and İ, as i and I.
        ("Yazılım, İstanbul, IŞIK", "Yazilim, Istanbul, ISIK"),
        # Persian's yeh and keheh as Arabic's, and their presentation forms; not yeh barree.
        ("مدیر، کارشناس، \ufbfc\ufb8e، ے", "مدير، كارشناس، يك، ے"),
        ("نمایندۀ، نماینده\u0654، \ufba4", "نماينده، نماينده، ه"),  # heh with hamza, as heh
        # Arabic-Indic and Persian digits as ASCII ones, and every other script's.
        ("٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹", "0123456789 0123456789"),
        ("५ वर्ष, ৩ বছর, ๕ ปี, ၅, ༥, ᠕, 𑁫, 𞥕", "5 वर्ष, 3 বছর, 5 ปี, 5, 5, 5, 5, 5"),
        ("௰, ², Ⅻ, ①", "௰, 2, XII, 1"),  # no decimal digit: Tamil's ten kept; NFKD's own
        # Quranic annotation marks, honorific and small vowel signs, small waw and yeh; not
        # the end of ayah before its number, nor the rub el hizb and sajdah signs.
        ("مِنَ ٱلْجِنَّةِ ۖ وَٱلنَّاسِ ۚ بِهِۦ فِيهِۦ", "من الجنه  والناس  به فيه"),
        ("محمدؐ، عیسؑی، ؘؙؚ، ۭۨۧۤ", "محمد، عيسي، ، "),
        ("\u06dd١٢ ۞ ۩", "\u06dd12 ۞ ۩"),
        # And those of the Arabic Extended-A and -B blocks; not their format characters.
        ("رَحِيمࣰا ࣖ ࣔ\u0898ࣥ", "رحيما  "),
        ("\u0890١ \u08e2٢", "\u08901 \u08e22"),
        # A non-joiner beside an Arabic-script letter parts a word's parts, as a space.
        ("برنامه\u200cنویس، کتاب\u200cها، API\u200cها", "برنامه نويس، كتاب ها، API ها"),
        # Beside a letter of each other Arabic-script block, a Latin word on its other side:
        # the supplement, the extended letters and both blocks of presentation forms.
        ("ݢ\u200cCV, CV\u200cࢠ, ﭖ\u200cCV, CV\u200cﻡ", "ݢ CV, CV ࢠ, پ CV, CV م"),
        # Not inside a word of another script, where it picks a letter's shape.
        ("क्\u200cष, കാര്\u200dന്\u200c, Auf\u200clage", "क्ष, കാര്ന്, Auflage"),
        # Thorn, eth, h with stroke and eng, typed without their marks.
        ("Þór þing, Ðóra Garðabær, Ħamrun ħ, Ŋ eŋ", "THor thing, Dora Gardabaer, Hamrun h, N en"),
        ("Plain ASCII", "Plain ASCII"),
        # Characters that compose (NFC) to ASCII alone: the Kelvin sign, the Greek question
        # mark and varia. Folding them failed (a 500 for a visitor's search "4 \u212a").
        ("4 \u212a", "4 K"),
        ("Why\u037e \u1fef", "Why; `"),
    ],
)
def test_accents_are_folded_as_people_type_without_them(text, folded):
    assert fold_accents(text) == folded
    assert fold_accents(folded) == folded


@pytest.mark.parametrize(
    ("text", "searched"),
    [
        ("C++, C# or F#", "Cplusplus, Csharp or Fsharp"),
        ("c++ and c#", "cplusplus and csharp"),
        ("C/C++17, C++/CLI, C++Builder", "C/Cplusplus17, Cplusplus/CLI, CplusplusBuilder"),
        ("(C#), C#.NET, C#7, Objective-C++", "(Csharp), Csharp.NET, Csharp7, Objective-Cplusplus"),
        ("Zürich: ＣＳ and Ｃ＃", "Zurich: CS and Csharp"),  # full-width, folded first
        ("Ｃ＋＋, C ++, c ++17, C♯, F♯", "Cplusplus, Cplusplus, cplusplus17, Csharp, Fsharp"),
        # Not where they are part of a word, nor a link's fragment.
        ("abc++, x+c++, _c#, c#_x, #c#", "abc++, x+c++, _c#, c#_x, #c#"),
        ("example.com/docs#c, example.com/c#intro", "example.com/docs#c, example.com/c#intro"),
        ("C, Objective-C, 2+ years, #LI-Remote", "C, Objective-C, 2+ years, #LI-Remote"),
        ("abc ++, C + +, C  ++, i ++", "abc ++, C + +, C  ++, i ++"),
    ],
)
def test_search_reads_cplusplus_csharp_and_fsharp_as_words_of_their_own(text, searched):
    assert as_searched(text) == searched
    assert as_searched(searched) == searched


@pytest.mark.parametrize(
    ("text", "searched"),
    [
        ("数据分析师", "数 据 分 析 师"),
        ("ソフトウェアエンジニア（東京）", "ソ フ ト ウ ェ ア エ ン ジ ニ ア ( 東 京 )"),
        ("Tokyo開発部, C++開発", "Tokyo 開 発 部 , Cplusplus 開 発"),
        ("開発\nリモート 可", "開 発\nリ モ ー ト 可"),  # a tag a line, spaces kept
        ("㈱テスト", "( 株 ) テ ス ト"),  # folded first
        ("Acme ㍿", "Acme 株 式 会 社"),  # no Han or kana but what folds to them
        ('סמנכ"ל数据', "סמנכל 数 据"),  # a Hebrew acronym before them, one word
        ("ｴﾘｱ", "エ リ ア"),  # half-width kana alone
        # Half-width kana with their voiced marks apart, composed as NFKC reads them.
        ("ｴﾝｼﾞﾆｱ, ﾊﾟｲｿﾝ, ｶ\u3099", "エ ン ジ ニ ア , パ イ ソ ン , ガ"),
        ("シﾞ, ハﾟ", "ジ , パ"),  # full-width kana, half-width marks: no half-width kana
        # Not Hangul, whose words are spaced, nor letters of other scripts.
        ("한국어 개발자, Zürich", "한국어 개발자, Zurich"),
    ],
)
def test_search_reads_each_han_ideograph_and_kana_as_a_word_of_its_own(text, searched):
    assert as_searched(text) == searched
    assert as_searched(searched) == searched


@pytest.mark.parametrize(
    ("text", "searched"),
    [
        ("Lead <Platform Team>", "Lead  Platform Team>"),
        ("a<<b, ＜C++＞", "a  b,  Cplusplus>"),  # full-width, folded first
        ("Team~Platform, ~5 years, ~/bin", "Team Platform,  5 years,  /bin"),
    ],
)
def test_search_reads_less_than_signs_and_tildes_as_spaces(text, searched):
    """PostgreSQL's parser read a "<" as an HTML tag's start, a "~" as a file path's."""
    assert as_searched(text) == searched
    assert as_searched(searched) == searched


@pytest.mark.parametrize(
    ("text", "searched"),
    [
        ("+49 30 1234, 3+5 years, UK+44, 1e+5", " 49 30 1234, 3 5 years, UK 44, 1e 5"),
        ("+\u0665, +\u06f5, +\u0e55", " 5,  5,  5"),  # other scripts' digits, folded first
        # Not before anything else, where the parser reads a "+" as a space already: nor a
        # number that is no digit (Tamil's ten).
        ("5+ years, a+b, ++, +x, +\u0bf0", "5+ years, a+b, ++, +x, +\u0bf0"),
        ("C++17, C++ 11, abc++17, ＋４９", "Cplusplus17, Cplusplus 11, abc+ 17,  49"),
    ],
)
def test_search_reads_a_plus_before_a_digit_as_a_space(text, searched):
    """PostgreSQL's parser read it as a number's sign: "+49" was no "49"."""
    assert as_searched(text) == searched
    assert as_searched(searched) == searched


@pytest.mark.parametrize(
    ("text", "searched"),
    [
        ("R&amp;D, &nbsp;x, Pension&Dental;", "R amp;D,  nbsp;x, Pension Dental;"),
        ("&#38;x, &#x26;y, &a_b:c-d.e;, &Über;", " #38;x,  #x26;y,  a_b:c-d.e;,  Uber;"),
        ("&C++;, &C#;", " Cplusplus;,  Csharp;"),  # read as words first
        ("&Hindiी;, &ab्;", " Hindiी;,  ab्;"),  # marks in a name, as the parser reads them
        # Not where no ";" ends a name, where the parser reads an "&" as a space already.
        ("R&D, AT&T, a & b, &;, a &b c;", "R&D, AT&T, a & b, &;, a &b c;"),
    ],
)
def test_search_reads_an_ampersand_that_starts_an_entity_as_a_space(text, searched):
    """PostgreSQL's parser read "&", a name and ";" as an HTML entity, and dropped it."""
    assert as_searched(text) == searched
    assert as_searched(searched) == searched


def test_the_class_of_marks_holds_every_mark_and_nothing_else():
    """mark_ranges(), its marks written as runs (class_ranges): a run cut short or joined across
    a gap would leave a mark out of a word, or take in a letter between two marks."""
    marks = re.compile(f"[{mark_ranges()}]")
    every = map(chr, (*range(0x300, 0x20000), *range(0xE0100, 0xE01F0)))
    misread = [c for c in every if bool(marks.match(c)) != (unicodedata.category(c)[0] == "M")]
    assert misread == []


def test_search_reads_each_tag_as_searched_and_apart_from_the_next():
    """One a line: tags "C" and "++" are not "C++", as "C ++" in a sentence is."""
    assert tags_as_searched(["Télétravail", "C++", "C", "++"]) == "Teletravail\nCplusplus\nC\n++"
    assert tags_as_searched([]) == ""


def test_addresses_differing_only_in_case_as_unicode_folds_it_are_one_address():
    """As Django's password reset compares them: casefold, where lower() keeps "ß" apart from
    "SS", and NFKC, where a full-width letter is another than the one typed."""
    assert email_key("J.Strauss@Example.com") == email_key("j.strauß@example.com")
    assert email_key("ｊｏ@example.com") == email_key("JO@EXAMPLE.COM")


def test_text_already_composed_is_not_scanned_for_runs_of_marks(monkeypatch):
    """Nearly every title and place from Greenhouse is composed already: the scan for runs of
    combining marks, which composing needs cut first, cost 60 times the check on each."""

    def scanned() -> None:
        raise AssertionError("scanned for runs of marks")

    monkeypatch.setattr(jobs.text, "_long_combining_run_re", scanned)
    assert composed("Ingénieure logiciel, München") == "Ingénieure logiciel, München"


@pytest.mark.parametrize(
    ("names", "line"),
    [
        (["Engineering", "Platform"], "Engineering › Platform"),
        # Nothing written right to left: nothing for isolates to change.
        (["Europe", "München"], "Europe › München"),
        (["Level 0", "…", "Level 9"], "Level 0 › … › Level 9"),
        # A letter written right to left: each name after the first isolated, the first left
        # to start the option, as a browser finds it by the letters typed.
        (["הנדסה", "Backend"], "הנדסה › \u2068Backend\u2069"),
        (["123", "הנדסה"], "123 › \u2068הנדסה\u2069"),
        (["תל אביב (TLV)"], "תל אביב (TLV)"),
        (["Sales", "מכירות 3", "4"], "Sales › \u2068מכירות 3\u2069 › \u20684\u2069"),
        (["Team ٣", "٤"], "Team ٣ › \u2068٤\u2069"),
    ],
)
def test_a_path_in_plain_text_is_isolated_to_lay_out_as_a_pages_bdis(names, line):
    assert names_in_plain_text(names, " › ") == line


FSI, PDI = "\u2068", "\u2069"


@pytest.mark.parametrize(
    ("name", "named"),
    [
        # Nothing written right to left: as it was, character for character.
        ("Acme Robotics", "Acme Robotics"),
        ("Café München", "Café München"),
        ("R&D 2024", "R&D 2024"),
        # A letter or digit written right to left (Hebrew, Arabic, Arabic-Indic digits).
        ("משרה בכירה", f"{FSI}משרה בכירה{PDI}"),
        ("مهندس روبوتات", f"{FSI}مهندس روبوتات{PDI}"),
        ("React מפתח", f"{FSI}React מפתח{PDI}"),
        ("Team ٣", f"{FSI}Team ٣{PDI}"),
        # The name's own controls dropped, those it leaves open and those it closes alike.
        ("\u202eמשרה", f"{FSI}משרה{PDI}"),
        ("\u2069משרה\u2068", f"{FSI}משרה{PDI}"),
        (f"{FSI}משרה{PDI}", f"{FSI}משרה{PDI}"),
        ("Robot \u202eWhisperer", "Robot Whisperer"),
        ("\u202e", ""),
    ],
)
def test_a_name_in_a_title_is_isolated_where_it_is_written_right_to_left(name, named):
    assert name_in_title(name) == named


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("Engineer · Acme · orgsite", "Engineer · Acme · orgsite"),
        # The isolates name_in_title writes are kept, closed, with nothing open inside.
        (
            f"{FSI}משרה{PDI} · {FSI}ארגון{PDI} · orgsite",
            f"{FSI}משרה{PDI} · {FSI}ארגון{PDI} · orgsite",
        ),
        # Any other control is dropped: one a name written without name_in_title leaves open,
        # an isolate opened and not closed, or closed with a control inside.
        ("Robot \u202eWhisperer · orgsite", "Robot Whisperer · orgsite"),
        (f"{FSI}משרה · orgsite", "משרה · orgsite"),
        (f"משרה{PDI} · {FSI}ארגון{PDI}", f"משרה · {FSI}ארגון{PDI}"),
        (f"{FSI}מש\u202eרה{PDI} · orgsite", "משרה · orgsite"),
        (f"{FSI}a{FSI}משרה{PDI} · orgsite", f"a{FSI}משרה{PDI} · orgsite"),
        ("\u2067משרה\u2069 · \u2066Acme\u2069", "משרה · Acme"),
    ],
)
def test_a_title_drops_the_direction_controls_but_the_closed_isolates_of_its_names(title, shown):
    assert title_without_direction_controls(title) == shown


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("We build tools.", ""),
        ("", ""),
        ("תל אביב | Hybrid. We build tools.", ""),  # a Hebrew first word, English words
        ("React ו-TypeScript בצוות קטן של מפתחים.", "rtl"),  # a Latin first word, Hebrew words
        ("فريق 3 QA", "rtl"),
        # Digits and marks are not letters: Arabic-Indic digits and Hebrew points count not.
        ("Team ٣٤٥٦٧٨٩", ""),
        ("Rust שָׁלוֹ", ""),
        ("Go אב", ""),  # as many letters each way: not most
        # Scripts written right to left other than Hebrew's and Arabic's.
        ("Go ܫܠܡܐ", "rtl"),  # Syriac
        ("Go ދިވެހި", "rtl"),  # Thaana
        ("Go ߒߞߏߞ", "rtl"),  # N'Ko
        ("Go 𞤀𞤣𞤤𞤢", "rtl"),  # Adlam
        ("Go 𐴀𐴁𐴂𐴃", "rtl"),  # Hanifi Rohingya
    ],
)
def test_words_are_laid_out_in_the_direction_of_most_of_their_letters(text, direction):
    assert most_letters_direction(text) == direction


def test_the_letters_counted_right_to_left_are_those_unicode_says_are():
    """most_letters_direction() looks for them by block, quicker than by each letter's type: a
    script a later Unicode adds outside those blocks would be counted left to right."""
    letters = map(chr, range(sys.maxunicode + 1))
    misread = [
        letter
        for letter in letters
        if letter.isalpha()
        and bool(RIGHT_TO_LEFT_BLOCKS_RE.match(letter))
        != (unicodedata.bidirectional(letter) in ("R", "AL"))
    ]
    assert misread == []


@pytest.mark.parametrize(
    "cluster",
    [
        "👩\u200d💻",  # a technologist: two emoji joined by a zero-width joiner
        "👍🏽",  # an emoji and its skin tone
        "1\ufe0f\u20e3",  # a keycap: a digit, a variation selector and the keycap mark
        "🇫🇷",  # a flag: two regional indicators
        "\u0915\u093f",  # कि: a consonant and a vowel sign that composing does not skip
    ],
)
def test_the_start_of_a_text_is_never_cut_inside_what_reads_as_one_character(cluster):
    """Truncator counts a character for all but the marks it composes with: its cut of
    "👩‍💻" left "👩" (or of "🇫🇷" "🇫", a letter in a box)."""
    texts = ["x" * before + cluster * 10 for before in range(10)]

    for text in texts:
        start = characters_start(text, 10).removesuffix("…")
        _, cut_inside = divmod(len(start) - text.count("x"), len(cluster))
        # Whole clusters to the 9th character (the 10th is the ellipsis), none cut inside.
        assert text.startswith(start) and not cut_inside
        assert len(start) + len(cluster) > 9 >= len(start)


def test_the_start_of_a_text_of_accents_not_composed_keeps_its_last_flag_whole():
    """Truncator composes the text before cutting it: "é" written e and ◌́ is one character
    there, so the cut is found in the text composed, not in the text as written."""
    text = "e\u0301" * 5 + "🇫🇷" * 5

    assert characters_start(text, 10) == "é" * 5 + "🇫🇷" * 2 + "…"


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("\r\n", True),  # CR LF, one line end
        ("\n\r", False),
        ("\r\r", False),
        ("\ra", False),
        # Hangul: a leading consonant (L) takes any part of a syllable after it; a vowel (V) or
        # a syllable without a trailing consonant (LV), a vowel or one; a trailing consonant
        # (T) or a syllable with one (LVT), another; nothing takes a new leading consonant.
        ("\u1100\u1100", True),  # L L
        ("\u1100\u1161", True),  # L V
        ("\u1100가", True),  # L LV
        ("\u1100각", True),  # L LVT
        ("\u1100\u11a8", False),  # L T
        ("\u1161\u1161", True),  # V V
        ("\u1161\u11a8", True),  # V T
        ("가\u1161", True),  # LV V
        ("가\u11a8", True),  # LV T
        ("\u11a8\u11a8", True),  # T T
        ("각\u11a8", True),  # LVT T
        ("각\u1161", False),  # LVT V
        ("가\u1100", False),  # LV L
        ("가가", False),  # LV LV
        ("\u1161\u1100", False),  # V L
        ("\u11a8\u1161", False),  # T V
        ("\ua960\u1161", True),  # L V, the L of Hangul Jamo Extended-A
        ("\u1100\ud7b0", True),  # L V, the V of Hangul Jamo Extended-B
        ("\u1161\ud7cb", True),  # V T, the T of Hangul Jamo Extended-B
    ],
)
def test_a_cluster_starts_where_unicode_says_between_line_ends_and_hangul_jamo(text, joined):
    """UAX #29's rules GB3 (CR LF) and GB6-GB8 (Hangul syllables): a cut between the two
    characters of a cluster left a line end's half, or a syllable without its last jamo."""
    assert grapheme_start(f"x{text}", 2) == (1 if joined else 2)


@pytest.mark.parametrize(
    ("text", "index", "start"),
    [
        ("x👩\u200d💻", 3, 1),  # an emoji joined to the one before (GB11)
        ("x👩\u200d©", 3, 1),  # "©" is an emoji too
        ("x\u0915\u094d\u200d\u0937", 4, 1),  # a consonant joined to a half form (GB9c)
        # Else a joiner ends the cluster it is in, as a cut after it shows: "ab" was cut
        # before its "a" where a joiner (pasted, or an Arabic letter's joining form) follows it.
        ("xa\u200db", 3, 3),
        ("x\u0628\u200d\u0628", 3, 3),
        ("x\u00e9\u200d\u00e9", 3, 3),
        ("x\u0416\u200d1", 3, 3),
        ("x\u0628\u200d\u0663", 3, 3),  # an Arabic-Indic digit, beyond ASCII
    ],
)
def test_a_cluster_goes_on_after_a_zero_width_joiner_only_to_an_emoji_or_a_consonant(
    text, index, start
):
    assert grapheme_start(text, index) == start


@pytest.mark.parametrize(
    ("text", "index", "start"),
    [
        ("x\u0915\u094d\u0937", 3, 1),  # क्ष: a consonant after a virama
        ("x\u0915\u094d\u0951\u0937", 4, 1),  # क्॑ष: and a tone mark over the virama
        ("x\u0915\u093c\u094d\u0937", 4, 1),  # क़्ष: a nukta before it
        ("x\u0915\u093c\u0937", 3, 3),  # क़ष: a nukta, no virama
        ("x\u0915\u094d\u0915\u0937", 4, 4),  # क्कष: the conjunct ends before a letter alone
    ],
)
def test_a_consonant_after_a_virama_and_the_marks_over_it_is_in_its_conjunct(text, index, start):
    """A tone mark after a virama left the consonant after it out of the conjunct (GB9c): the
    cut fell inside the cluster, "क्॑" shown without its "ष"."""
    assert grapheme_start(text, index) == start


@pytest.mark.parametrize(
    ("cluster", "kept_whole"),
    [
        ("e" + "\u0301" * LONGEST_CLUSTER, True),  # the cut LONGEST_CLUSTER after its start
        ("👨🏻\u200d👩🏻\u200d👧🏻\u200d👦🏻", True),  # a family with skin tones, 11 characters
        ("e" + "\u0301" * (LONGEST_CLUSTER + 1), False),
        ("👩\u200d" * 400, False),  # hostile: walked back over, each a few µs, for every name
        ("\u0915\u094d" * 400, False),
    ],
)
def test_a_cut_inside_a_cluster_longer_than_any_a_person_writes_is_where_it_was_asked(
    cluster, kept_whole
):
    """A sync cuts each name longer than its field (up to 300 characters, 100 of them a post)
    at a cluster's start: inside a hostile run of joined emoji, the walk back to the field's
    start took 0.36 ms a name."""
    text = f"x{cluster}y"
    cut = len(text) - 2
    assert grapheme_start(text, cut) == (1 if kept_whole else cut)


class MatchesCounted:
    """A compiled pattern whose match() calls are counted."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.calls = pattern, 0

    def match(self, text: str) -> re.Match[str] | None:
        self.calls += 1
        return self.pattern.match(text)


@pytest.mark.parametrize("before", ["", "x"])  # a run of flags, or one indicator and flags
def test_a_cut_in_a_long_run_of_flags_reads_each_character_a_bounded_number_of_times(
    monkeypatch, before
):
    """Which of a run's regional indicators starts a flag depends on how many come before it:
    counted with a regex a character, a cut walked the run back to its start, 0.2 ms a name of
    400 flags (LONGEST_CLUSTER bounds the walk over other clusters). The cut still keeps each
    flag whole."""
    counted = MatchesCounted(jobs.text.REGIONAL_INDICATORS_RE)
    monkeypatch.setattr(jobs.text, "REGIONAL_INDICATORS_RE", counted)
    text = before + "🇫🇷" * 2000

    assert field_head(text, 301) == before + "🇫🇷" * 150
    assert counted.calls <= 4


def test_as_much_is_composed_as_the_longest_field_a_one_line_value_goes_to_keeps():
    """NFC composes at most four characters into one (U+1F87): a value composed from its first
    MAX_COMPOSED_CHARS still fills a job's address (jobs.greenhouse.ADDRESS_MAX_LENGTH), which
    a comment alone tied it to, each in its own module (jobs.text cannot import the sync's)."""
    assert jobs.text.MAX_COMPOSED_CHARS == 4 * ADDRESS_MAX_LENGTH
    assert len(unicodedata.normalize("NFC", "\u1f87")) == 1
    assert len(unicodedata.normalize("NFD", "\u1f87")) == 4


class CombiningCounted:
    """unicodedata, its combining() calls counted."""

    def __init__(self) -> None:
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(unicodedata, name)

    def combining(self, character: str) -> int:
        self.calls += 1
        return unicodedata.combining(character)


@pytest.mark.parametrize("virama", ["\u094d", ""])
def test_a_cut_after_a_long_run_of_marks_reads_a_bounded_number_of_them(monkeypatch, virama):
    """Whether a consonant after marks joins a conjunct depends on a virama among them (GB9c):
    a cut at a consonant after a hostile run of tone marks walked the run back to its start,
    one mark at a time (LONGEST_CLUSTER bounds the walk over other clusters)."""
    counted = CombiningCounted()
    monkeypatch.setattr(jobs.text, "unicodedata", counted)
    text = "\u0915" + virama + "\u0951" * (299 - len(virama)) + "\u0915" * 10

    assert field_head(text, 300) == text[:300]
    assert counted.calls <= 2 * LONGEST_CLUSTER


# An address's start before the escapes of the tests below: "=" a letter that marks go over.
ADDRESS_START = "https://boards.example.com/acme/jobs/4012345?ref="


@pytest.mark.parametrize(
    "character",
    [
        "e%CC%81",  # é written as a letter and its accent, U+0301, escaped after it
        "%65%CC%81",  # the same, its letter escaped too
        "%C3%A7%CC%81",  # ç and an acute accent, both escaped
        "%E2%82%AC",  # €: its three bytes
        "%F0%9F%91%A9%E2%80%8D%F0%9F%92%BB",  # 👩‍💻: two emoji and a zero-width joiner
        "%F0%9F%87%AB%F0%9F%87%B7",  # 🇫🇷: two regional indicators
        "%E1%84%80%E1%85%A1",  # 가 written as its two jamo
        "e\u0301",  # é with its accent as written, not escaped
        "\U0001f469\u200d\U0001f4bb",  # 👩‍💻 as written
    ],
)
@pytest.mark.parametrize(
    "before",
    [
        "",
        # A Latin-1 é, a byte that is no UTF-8, in the run of the escapes after it: the escapes
        # each character read takes are counted as it came.
        "%E9",
        # A space, which the head leaves out when it is last.
        " ",
    ],
    ids=["alone", "after-latin-1", "after-space"],
)
def test_a_long_address_is_cut_before_a_character_its_escapes_write_whole(character, before):
    """Cut after "e" of "e%CC%81" (é), the link named another page, with no accent; cut
    inside a run of escapes, an emoji or a flag lost one of its parts (🇫 of 🇫🇷). So did one
    written as characters after an escape (read with the escapes, not as written)."""
    start = f"{ADDRESS_START}{before}"
    address = f"{start}{character}/apply"

    for inside in range(1, len(character)):
        assert address_head(address, len(start) + inside) == start.rstrip(), inside
    whole = f"{start}{character}"
    assert address_head(address, len(whole)) == whole


@pytest.mark.parametrize(
    "escapes",
    [
        "%CC%81" * 400,  # marks with no letter under them but the "=" before
        "%C3%A9" * 400,  # letters
        "%FF" * 1000,  # bytes that are no UTF-8
        "%E2%82" * 400,  # a letter's first two bytes, over and over: no UTF-8 either
        "%F0%9F%87%AB" * 200,  # regional indicators, each two a flag
        "%F0%9F%91%A9%E2%80%8D" * 200,  # emoji, each joined to the next
        "%ED%A0%80" * 400,  # a surrogate, which UTF-8 may not write
    ],
    ids=["marks", "letters", "no-utf-8", "first-bytes", "flags", "joined-emoji", "surrogate"],
)
def test_a_long_address_of_hostile_escapes_is_cut_after_a_whole_escape(escapes):
    """Escapes, UTF-8 or not, are kept whole, and so is each flag; in a cluster longer than any
    a person writes (LONGEST_CLUSTER), the cut comes where it was asked, after whole escapes."""
    address = f"{ADDRESS_START}{escapes}"

    for max_length in range(ADDRESS_MAX_LENGTH - 12, ADDRESS_MAX_LENGTH):
        head = address_head(address, max_length)
        kept = head.removeprefix(ADDRESS_START)
        assert address.startswith(head) and re.fullmatch("(?:%[0-9A-F]{2})*", kept)
        assert max_length - 2 * MAX_ESCAPED_CHARACTER_CHARS < len(head) <= max_length
        assert kept.count("%F0%9F%87%AB") % 2 == 0
        if escapes.startswith("%C3"):
            assert kept.count("%C3") == kept.count("%A9")


def test_the_start_of_a_text_keeps_the_accent_escaped_after_its_letter():
    """An address shown cut short (a request's path in an error) left "e" of "e%CC%81"."""
    assert characters_start("ab" + "e%CC%81" * 3, 6) == "ab…"
    assert characters_start("ab" + "e%CC%81" * 3, 11) == "abe%CC%81…"
