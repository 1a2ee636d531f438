"""Text as the embedded index sees it: ASCII text takes short cuts that must change nothing."""

from __future__ import annotations

import string
import unicodedata

from hub.search.fts_text import cjk_bigrams, clean, fold, without_cjk
from hub.search.tantivy_schema import suggestion_key
from normalizers.language_detect import detect_language

ASCII_SAMPLES = (
    "",
    "Plain title",
    "tab\tnew line\ncarriage\rbell\x07escape\x1bdelete\x7f",
    string.printable,
    "".join(chr(c) for c in range(128)),
)


def test_ascii_text_folds_as_the_general_path_would() -> None:
    for text in ASCII_SAMPLES:
        general = unicodedata.normalize("NFKC", clean(text))
        assert fold(text) == general
        assert without_cjk(text) == text
        assert cjk_bigrams(text) == ""


def test_control_characters_are_blanked_in_ascii_and_other_text() -> None:
    assert clean("a\x01b\x7fc") == "a b c"
    assert clean("é\x01\ud800x") == "é x"  # a lone surrogate is dropped, the control blanked
    assert fold("ﬁne\x02") == "fine "


def test_cjk_text_still_becomes_bigrams() -> None:
    assert cjk_bigrams("生物多样性 plan") == "生物 物多 多样 样性 性"
    assert without_cjk("生物多样性 plan") == "  plan"


def test_suggestion_keys_fold_case_and_accents() -> None:
    assert suggestion_key("  Hello World ") == "hello world"
    assert suggestion_key("Évaluation des écosystèmes") == "evaluation des ecosystemes"
    assert suggestion_key("Straße") == "strasse"


def test_language_detection_on_ascii_text() -> None:
    assert detect_language("The state of the forests and the people who live in them") == "en"
    assert detect_language("La situation des forêts et des gens qui y vivent") == "fr"
    assert detect_language("2024 - 12 / 31") is None
    assert detect_language("") is None


def test_printable_text_is_clean_as_it_is_and_every_character_is_cleaned_as_before() -> None:
    # clean's short cut (printable text is returned as it is) against its general path, on every
    # code point alone and between letters: a control character blanked, a lone surrogate dropped.
    for code in range(0x110000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            expected = ""
        elif (code < 0x20 and char not in "\t\n\r") or code == 0x7F:
            expected = " "
        else:
            expected = char
        assert clean(char) == expected, hex(code)
        assert clean(f"a{char}é") == f"a{expected}é", hex(code)
