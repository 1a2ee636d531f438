"""Text as the FTS5 index sees it: cleaning, folding, CJK bigrams and safe query expressions."""

from __future__ import annotations

import re
import unicodedata

# Free text is AND-ed phrase by phrase; beyond these limits the rest of the text is ignored.
MAX_QUERY_CHARS = 2000
MAX_QUERY_TERMS = 32
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3005\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0003134f]+"
)
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u0640\u064b-\u065f\u0670\u06d6-\u06ed]")
# Light Arabic normalisation (as common Arabic analyzers do): hamza carriers and alef forms to
# their bare letter, alef maksura to yeh, teh marbuta to heh.
_ARABIC_LETTERS = str.maketrans(
    {"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
     "\u0624": "\u0648", "\u0626": "\u064a", "\u0649": "\u064a", "\u0629": "\u0647"}
)  # fmt: skip
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """Text SQLite can take: no lone surrogates or control characters."""
    if text.isprintable():  # neither (nor any other character clean changes): as it is
        return text
    if not text.isascii():  # ASCII has no surrogates: the round trip would give it back unchanged
        text = text.encode("utf-8", "ignore").decode("utf-8")
    return _CONTROL.sub(" ", text)


def fold(text: str) -> str:
    """What both documents and queries go through before FTS5 sees them: NFKC (full-width and
    ligature forms), Arabic marks dropped and letters normalised."""
    text = clean(text)
    if text.isascii():  # NFKC and the Arabic rules leave ASCII as it is
        return text
    text = unicodedata.normalize("NFKC", text)
    return _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)


def cjk_bigrams(text: str) -> str:
    """The CJK runs of a text as space-separated character bigrams plus each run's last character,
    so that any one character is a prefix of some token and any longer string a phrase of bigrams."""
    if text.isascii():
        return ""
    grams: list[str] = []
    for run in _CJK.findall(text):
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
        grams.append(run[-1])
    return " ".join(grams)


def without_cjk(text: str) -> str:
    return text if text.isascii() else _CJK.sub(" ", text)


def _is_wordy(text: str) -> bool:
    return any(unicodedata.category(c)[0] in "LN" or unicodedata.category(c) == "Co" for c in text)


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def match_expression(text: str) -> str | None:
    """User text as an FTS5 expression that cannot be a syntax error.

    Each whitespace-separated term becomes a quoted phrase (double quotes doubled) and the phrases
    are AND-ed; a trailing ``*`` makes the term a prefix. CJK parts of a term become a phrase of
    bigrams on the CJK columns. Returns None when nothing searchable is left (then all match).
    """
    parts: list[str] = []
    for token in fold(text[:MAX_QUERY_CHARS]).split()[:MAX_QUERY_TERMS]:
        prefix = token.endswith("*")
        core = token.rstrip("*")
        for run in _CJK.findall(core):
            grams = [run[i : i + 2] for i in range(len(run) - 1)] or [run]
            star = "*" if len(run) == 1 or (prefix and core.endswith(run)) else ""
            parts.append("{title_cjk text_cjk} : " + _phrase(" ".join(grams)) + star)
        pieces = [piece for piece in without_cjk(core).split() if _is_wordy(piece)]
        for i, piece in enumerate(pieces):
            star = "*" if prefix and i == len(pieces) - 1 and core.endswith(piece) else ""
            parts.append(_phrase(piece) + star)
    return " AND ".join(parts) if parts else None
