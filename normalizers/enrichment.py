"""Enrichment of a crosswalked Resource for the CBD network: stated targets first, then the text.

* GBF targets and goals: what the source states (the crosswalk's ``gbf_targets``/``gbf_goals``, from
  explicit fields, thesaurus ids and ``*_REL_ss``) plus what its stated indicators imply (an
  indicator coded ``6.b`` belongs to Target 6, ``A.1`` to Goal A). Only when a record states no
  target are targets inferred from its text, and then only explicit mentions in any of the six UN
  languages (``target_inference.explicit_targets``); topic keywords are measured by the benchmark
  but not applied (their precision is too low, see README). A record that states no target and names
  none gets the targets the target model infers from its text (``gbf_targets_inferred``, with their
  score, above the model's precision threshold; docs/enrichment.md); stated targets never change.
* Languages: a title or description keyed ``und`` (the source gave no language) is re-keyed with the
  language ``language_detect`` finds in them (title and description together), when it finds one; a
  language the source states is never replaced by detection.
* Regions: a record with countries but no regions gets its countries' UN M49 regions and CBD group.
* Place from the source: ``with_source_place`` attaches a record that names no country to the
  country and regions its source is configured with (the crosswalks of the network protocols apply
  it from the payload's context; other protocols can apply it from the source options).

Then the hub's common enrichment (``normalizers.tagging.enrich``) runs as before for languages.
"""

from __future__ import annotations

from typing import Any

from normalizers.language_detect import detect_language
from normalizers.model_memo import LANGUAGE, TARGETS, recalled
from normalizers.resource import Resource
from normalizers.tagging import enrich
from normalizers.target_inference import other_script_targets
from normalizers.target_model import inferred_targets
from normalizers.vocabularies.countries import country_id, regions_of
from normalizers.vocabularies.indicators import indicator
from normalizers.vocabularies.regions import region_id

INFERENCE_CHARS = 4000  # the text the target model reads: enough for a title and abstract


def _implied(resource: Resource) -> tuple[set[str], set[str]]:
    targets: set[str] = set()
    goals: set[str] = set()
    for identifier in resource.gbf_indicators:
        found = indicator(identifier)
        if found is None:
            continue
        if found.target:
            targets.add(found.target)
        if found.goal:
            goals.add(found.goal)
    return targets, goals


def _rekey(texts: dict[str, str], language: str) -> dict[str, str]:
    if "und" not in texts or language in texts:
        return texts
    return {(language if key == "und" else key): value for key, value in texts.items()}


def with_source_place(resource: Resource, country: Any, regions: Any) -> Resource:
    """The record attached to its source's configured country/regions when it names no country itself."""
    if resource.countries:
        return resource
    code = country_id(country) if isinstance(country, str) else None
    values = [regions] if isinstance(regions, str) else regions if isinstance(regions, list) else []
    named = [r for v in values if isinstance(v, str) and (r := region_id(v))]
    countries = [code] if code else []
    place = list(dict.fromkeys([*resource.regions, *regions_of(countries), *named]))
    if not countries and place == resource.regions:
        return resource
    return resource.model_copy(update={"countries": countries, "regions": place})


def enrich_network(resource: Resource) -> Resource:
    """Stated targets (and those their indicators imply) first; explicit mentions only when none is stated."""
    stated_targets = set(resource.gbf_targets)
    implied_targets, implied_goals = _implied(resource)
    tagged = enrich(resource)
    update: dict[str, Any] = {}
    if stated_targets or implied_targets:
        targets = sorted(stated_targets | implied_targets)
    else:  # tagging.enrich found the Latin-script mentions; add the Arabic, Cyrillic and CJK ones
        text = "\n".join([*resource.title.values(), *resource.description.values(), *resource.subjects])
        targets = sorted(set(tagged.gbf_targets) | other_script_targets(text))
    if targets != tagged.gbf_targets:
        update["gbf_targets"] = targets
    if not targets:  # issue 19: inferred only when nothing is stated; kept apart, with its score
        text = "\n".join([*resource.title.values(), *resource.description.values(), *resource.subjects])
        inferred = recalled(TARGETS, text[:INFERENCE_CHARS], inferred_targets)
        if inferred:
            update["gbf_targets_inferred"] = inferred
    if implied_goals - set(tagged.gbf_goals):
        update["gbf_goals"] = sorted(set(tagged.gbf_goals) | implied_goals)
    if "und" in resource.title or "und" in resource.description:
        unkeyed = [resource.title.get("und", ""), resource.description.get("und", "")]
        language = recalled(LANGUAGE, " ".join(text for text in unkeyed if text), detect_language)
        if language:
            update["title"] = _rekey(tagged.title, language)
            update["description"] = _rekey(tagged.description, language)
            update["languages"] = list(dict.fromkeys([*tagged.languages, language]))
    if tagged.countries and not tagged.regions:
        update["regions"] = regions_of(tagged.countries)
    return tagged.model_copy(update=update) if update else tagged
