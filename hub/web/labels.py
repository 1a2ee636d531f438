"""Names instead of codes: the labels of facet values (types, countries, regions, GBF goals and targets,
languages, sources) in one of the six UN languages, from the hub's vocabularies."""

from __future__ import annotations

import gettext
import json
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

import pycountry
from markupsafe import Markup, escape

from hub.web.i18n import say
from normalizers.vocabularies.countries import countries
from normalizers.vocabularies.gbf import gbf_goals, gbf_targets
from normalizers.vocabularies.regions import regions

# pycountry's gettext catalogues are named by locale; Chinese is the simplified one.
_GETTEXT_LOCALES = {"ar": "ar", "zh": "zh_CN", "fr": "fr", "ru": "ru", "es": "es"}
_ACRONYMS = frozenset({"cbd", "rss", "bip", "chm", "gbf", "nbsap", "oai", "pmh", "api", "un", "unep", "iucn"})
_GBF_PREFIX = re.compile(r"^GBF-(?:T\d+|G-[A-D])\.\s*")
_ANTARCTICA = "AQ"  # M49 010 has no name of its own in the data: it is the continent of AQ


@cache
def _types() -> dict[str, dict[str, str]]:
    text = resources.files("hub.web").joinpath("type_labels.json").read_text(encoding="utf-8")
    table: dict[str, dict[str, str]] = json.loads(text)
    return table


def type_label(value: str, lang: str) -> str:
    """A resource type (``national-report``) in ``lang``; the code itself when the list has no such type."""
    names = _types().get(value)
    return (names.get(lang) or names["en"]) if names else value


def country_label(code: str, lang: str) -> str:
    country = countries().get(code.upper())
    return (country.name.get(lang) or country.name.get("en") or code) if country else code


def region_label(identifier: str, lang: str) -> str:
    """An M49 region's name, or a CBD regional group's (told apart from the M49 region of the same name)."""
    region = regions().get(identifier) or regions().get(identifier.upper())
    if region is None:
        return identifier
    if region.scheme == "cbd-group":
        short = region.name["en"].removeprefix("CBD Regional Groups - ")
        return say(lang, "cbd_group", name=short)
    if not region.name and identifier == "010":
        return country_label(_ANTARCTICA, lang)
    return region.name.get(lang) or region.name.get("en") or identifier


@cache
def _gbf_titles() -> dict[str, str]:
    out: dict[str, str] = {}
    for term in (*gbf_goals(), *gbf_targets()):
        title = term.short_title.get("en") or term.title.get("en") or ""
        out[term.identifier] = _GBF_PREFIX.sub("", title).strip()
    return out


def english_title(identifier: str) -> str | None:
    """A GBF goal's or target's short title: English, the only language of the thesaurus's short titles."""
    return _gbf_titles().get(identifier) or None


def gbf_name(label: str, identifier: str, lang: str) -> Markup:
    """A goal's or target's ``label`` as HTML, its English short title marked ``lang="en"`` in a page of
    another language (so that screen readers read it as English)."""
    title = english_title(identifier)
    if lang == "en" or not title or label == title or not label.endswith(title):
        return escape(label)
    return escape(label[: -len(title)]) + Markup('<span lang="en">') + escape(title) + Markup("</span>")


def target_label(identifier: str, lang: str) -> str:
    """``GBF-TARGET-07`` -> ``Target 7: Pollution reduced, ...`` (the short title is English in the data)."""
    number = identifier.rsplit("-", 1)[-1]
    if not number.isdigit():
        return identifier
    head = say(lang, "target_n", n=int(number))
    title = _gbf_titles().get(identifier)
    return f"{head}: {title}" if title else head


def goal_label(identifier: str, lang: str) -> str:
    letter = identifier.rsplit("-", 1)[-1]
    if len(letter) != 1 or not letter.isalpha():
        return identifier
    head = say(lang, "goal_n", n=letter)
    title = _gbf_titles().get(identifier)
    return f"{head}: {title}" if title else head


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    locale = _GETTEXT_LOCALES.get(lang)
    if locale is None:
        return gettext.NullTranslations()
    try:
        return gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[locale])
    except OSError:
        return gettext.NullTranslations()


def language_label(code: str, lang: str) -> str:
    """An ISO 639 language code (``de``) by its name in ``lang`` (``allemand``); the code when unknown."""
    if code == "und":
        return say(lang, "undetermined")
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    if found is None and len(code) == 3:
        found = pycountry.languages.get(alpha_3=code)
    if found is None:
        return code
    return _catalogue(lang).gettext(found.name)


@cache
def _language_codes() -> tuple[str, ...]:
    return tuple(sorted({str(item.alpha_2) for item in pycountry.languages if hasattr(item, "alpha_2")}))


def source_label(source_id: str, title: str | None = None) -> str:
    """A source's name: its ``title`` option, else its id in words (``cbd-meetings`` is ``CBD meetings``)."""
    if title and title.strip():
        return title.strip()
    words = [w.upper() if w in _ACRONYMS else w for w in re.split(r"[-_]+", source_id) if w]
    if not words:
        return source_id
    first = words[0]
    words[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(words)


def facet_labels(lang: str, sources: Iterable[tuple[str, str | None]]) -> dict[str, dict[str, str]]:
    """Every label the search interface needs, by facet then value (what ``/embed/labels`` answers)."""
    return {
        "type": {code: type_label(code, lang) for code in _types()},
        "country": {code: country_label(code, lang) for code in countries()},
        "region": {identifier: region_label(identifier, lang) for identifier in regions()},
        "target": {term.identifier: target_label(term.identifier, lang) for term in gbf_targets()},
        "goal": {term.identifier: goal_label(term.identifier, lang) for term in gbf_goals()},
        "language": {code: language_label(code, lang) for code in _language_codes()}
        | {"und": say(lang, "undetermined")},
        "source": {source_id: source_label(source_id, title) for source_id, title in sources},
    } | ({} if lang == "en" else {"en_title": _english_titles()})


def _english_titles() -> dict[str, str]:
    """The English short titles ending the goals' and targets' names (``en_title`` of ``/embed/labels``)."""
    return {code: title for code, title in _gbf_titles().items() if title}
