"""The labelled language set: texts of the project's real test data whose source states their language.

Run once to (re)build the committed fixture ``tests/fixtures/language_id/labelled.tsv``::

    python tests/benchmarks/language_corpus.py [--testdata ../shared/testdata]

What counts as "the source states the language" (nothing is labelled by reading the text):

* an XML leaf element carrying ``xml:lang`` (OAI-PMH responses and metadata-format examples; the
  synthetic feed test suites are left out: their ``xml:lang`` values test inheritance, not language);
* an ``oai_dc`` record stating exactly one ``dc:language``: its titles and descriptions (HTML in
  descriptions unescaped and stripped);
* CBD meeting documents, notifications and ORT index examples: a title in a language field
  (``title_FR_t``, ``titleFr``, ``title_FR_s``) that differs from the English one (an identical
  copy is an untranslated fallback); CBD thesaurus terms keyed by language (``{"fr": ...}``);
* web pages stating ``<html lang>`` (the trafilatura samples): the title and the first ten
  paragraphs of 40 characters or more.

Each row: language as stated (normalised to its primary subtag), the kind (``title`` or
``description``), the file it came from, and the text (tabs and newlines folded to spaces).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from normalizers.vocabularies.languages import normalize_language

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "language_id" / "labelled.tsv"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DC = "{http://purl.org/dc/elements/1.1/}"
_OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
_TAG = re.compile(r"<[^>]+>")
# synthetic feed suites, hostile payloads, and pkp/ojs's GPL-3.0 sample (copyleft: not copied here)
_SKIP = ("feedparser-testsuite", "feedvalidator", "security", "bomb", "fuzzer", "ojs_expected-output")
Row = tuple[str, str, str, str]


def _clean(text: str) -> str:
    text = html.unescape(_TAG.sub(" ", html.unescape(text)))
    return " ".join(text.split())


def _xml_files(testdata: Path) -> Iterator[Path]:
    for folder in ("oai", "other/metadata-formats"):
        for path in sorted((testdata / folder).rglob("*")):
            if path.is_file() and not any(s in str(path) for s in _SKIP):
                yield path


def _xml_rows(testdata: Path) -> Iterator[Row]:
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    for path in _xml_files(testdata):
        try:
            tree = etree.parse(str(path), parser)
        except (etree.XMLSyntaxError, OSError):
            continue
        root = tree.getroot()
        if root is None:
            continue
        name = str(path.relative_to(testdata))
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            stated = element.get(_XML_LANG)
            if stated and len(element) == 0 and element.text:
                tag = element.tag.lower()
                kind = "title" if "title" in tag or "name" in tag else "description"
                yield normalize_language(stated), kind, name, _clean(element.text)
        for record in root.iter(_OAI_DC):
            languages = {normalize_language(e.text) for e in record.findall(_DC + "language") if e.text}
            if len(languages) != 1:
                continue
            (language,) = languages
            for kind in ("title", "description"):
                for element in record.findall(_DC + kind):
                    if element.text and element.get(_XML_LANG) is None:
                        yield language, kind, name, _clean(element.text)


def _cbd_rows(testdata: Path) -> Iterator[Row]:
    meetings = "cbd/index_raw_docs_schema_meeting.json"
    for doc in json.loads((testdata / meetings).read_text("utf-8")):
        english = doc.get("title_EN_t", "")
        for suffix in ("EN", "FR", "ES", "AR", "RU", "ZH"):
            title = doc.get(f"title_{suffix}_t", "")
            if title and (suffix == "EN" or title != english):
                yield suffix.lower(), "title", meetings, _clean(title)
    notifications = "cbd/index_notifications_normalized_2024-2025.json"
    for doc in json.loads((testdata / notifications).read_text("utf-8")):
        english = doc.get("titleEn", "")
        for suffix in ("En", "Fr", "Es", "Ar", "Ru", "Zh"):
            title = doc.get(f"title{suffix}", "")
            if title and (suffix == "En" or title != english):
                yield suffix.lower(), "title", notifications, _clean(title)


def _keyed_texts(value: object) -> Iterator[tuple[str, str]]:
    """(language, text) of a CBD multilingual value ``{"en": ..., "fr": ...}``."""
    if isinstance(value, dict):
        for language, text in value.items():
            if isinstance(text, str) and len(language) == 2:
                yield language, text


def _cbd_thesaurus_rows(testdata: Path) -> Iterator[Row]:
    name = "cbd/thesaurus_domain_term_examples_from_api_docs.json"
    examples = json.loads((testdata / name).read_text("utf-8"))["examples"]
    for example in examples.values():
        terms = example.get("example_response")
        for term in terms if isinstance(terms, list) else []:
            for key, kind in (("title", "title"), ("longDescription", "description")):
                for language, text in _keyed_texts(term.get(key)):
                    yield language, kind, name, _clean(text)
    name = "cbd/index_select_examples_from_api_docs_ort.json"
    for example in json.loads((testdata / name).read_text("utf-8"))["examples"].values():
        for doc in example["example_response"]["response"]["docs"]:
            english = doc.get("title_EN_s", "")
            for suffix in ("EN", "FR", "ES", "AR", "RU", "ZH"):
                title = doc.get(f"title_{suffix}_s", "")
                if title and (suffix == "EN" or title != english):
                    yield suffix.lower(), "title", name, _clean(title)


_HTML_LANG = re.compile(r"<html[^>]*\blang=\"([A-Za-z-]+)\"", re.I)
_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.S | re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)


def _html_rows(testdata: Path, per_page: int = 10) -> Iterator[Row]:
    """Web pages stating their language on ``<html lang>``: the title and the first paragraphs."""
    for path in sorted((testdata / "other").glob("html-pages_*/*.htm*")):
        page = path.read_text("utf-8", errors="replace")
        stated = _HTML_LANG.search(page)
        if not stated:
            continue
        language, name = normalize_language(stated.group(1)), str(path.relative_to(testdata))
        title = _TITLE.search(page)
        if title:
            yield language, "title", name, _clean(title.group(1))
        paragraphs = [_clean(p) for p in _PARAGRAPH.findall(page)]
        for text in [p for p in paragraphs if len(p) >= 40][:per_page]:
            yield language, "description", name, text


def build(testdata: Path) -> list[Row]:
    """Every labelled text, each (language, text) once, in a stable order."""
    seen: set[tuple[str, str]] = set()
    rows: list[Row] = []
    for row in [
        *_xml_rows(testdata),
        *_cbd_rows(testdata),
        *_cbd_thesaurus_rows(testdata),
        *_html_rows(testdata),
    ]:
        language, _, _, text = row
        if language == "und" or not text or (language, text) in seen:
            continue
        seen.add((language, text))
        rows.append(row)
    return rows


def load(path: Path = FIXTURE) -> list[Row]:
    """The committed labelled set (skipping the provenance comment lines)."""
    rows: list[Row] = []
    for line in path.read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            language, kind, source, text = line.split("\t", 3)
            rows.append((language, kind, source, text))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--testdata", type=Path, default=Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata"
    )
    args = parser.parse_args()
    rows = build(args.testdata.resolve())
    header = [
        "# Texts whose language their source states, from shared/testdata (see SOURCES.md, MANIFEST.tsv",
        "# for each file's repository, commit and licence); built by tests/benchmarks/language_corpus.py.",
        "# language\tkind\tsource file (under shared/testdata)\ttext",
    ]
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text("\n".join([*header, *("\t".join(r) for r in rows)]) + "\n", "utf-8")
    counts: dict[str, int] = {}
    for language, *_ in rows:
        counts[language] = counts.get(language, 0) + 1
    print(len(rows), "rows", dict(sorted(counts.items(), key=lambda item: -item[1])))


if __name__ == "__main__":
    main()
