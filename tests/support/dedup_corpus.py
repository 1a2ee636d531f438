"""A cross-source corpus with known duplicates, from real payloads reached through two routes each.

* CBD meetings as CBD index documents (tests/fixtures/cbd, ``cbd-index`` crosswalk) and as InforMEA
  Meeting entities built from the same documents (tests/fixtures/informea, ``odata`` crosswalk):
  the entity whose ``id`` is the document's ``id`` is the same meeting.
* CBD notifications 2024-2025 (tests/fixtures/cbd/notification_titles_2024-2025.json, written back
  into the index fields the export had renamed: ``title_t``/``title_XX_t``, ``url_ss``
  ``https://www.cbd.int/notifications/<symbol>``, ``date_dt``) through the ``cbd-index`` crosswalk,
  and the Bioland nodes reposting some of them (tests/fixtures/bioland, ``drupal-jsonapi``
  crosswalk): the node whose id is uuid5 of the notification id is the same notification.

Every other cross-source pair is a different document; the many notifications with near-identical
workshop titles are the hard negatives. ``truth`` is the set of same-document pairs.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from harvesters.cbd_index import CONTENT_TYPE as CBD_TYPE
from harvesters.drupal_jsonapi import CONTENT_TYPE as NODE_TYPE
from harvesters.drupal_jsonapi import flatten
from harvesters.odata import CONTENT_TYPE as ODATA_TYPE
from harvesters.records import RawRecord
from normalizers.dispatch import normalize
from normalizers.resource import Resource

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NS = uuid.UUID(
    "6ba7b811-9dad-11d1-80b4-00c04fd430c8"
)  # the namespace of tests/fixtures/bioland/build_nodes.py
LANGS = {"Fr": "FR", "Es": "ES", "Ar": "AR", "Ru": "RU", "Zh": "ZH"}


def _load(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text("utf-8"))


def _raw(source: str, native: str, kind: str, payload: Any) -> RawRecord:
    return RawRecord(source, native, kind, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def build() -> tuple[list[Resource], set[frozenset[str]]]:
    """The records and the same-document pairs (as pairs of resource ids)."""
    records: list[Resource] = []
    truth: set[frozenset[str]] = set()
    meeting_ids: dict[str, str] = {}
    for doc in _load("cbd/index_raw_docs_schema_meeting.json"):
        resource = normalize(_raw("cbd-meetings", doc["id"], CBD_TYPE, doc), "cbd-index")
        meeting_ids[doc["id"]] = resource.id
        records.append(resource)
    for entity in _load("informea/meetings.json"):
        payload = {"entity_set": "Meetings", "entity": entity, "context": {}}
        resource = normalize(_raw("informea-meetings", entity["id"], ODATA_TYPE, payload), "odata")
        records.append(resource)
        truth.add(frozenset((meeting_ids[entity["id"]], resource.id)))
    notification_ids: dict[str, str] = {}
    for note in _load("cbd/notification_titles_2024-2025.json"):
        doc = {
            "id": note["id"],
            "schema_s": "notification",
            "symbol_s": note["symbol"],
            "title_t": note["titleEn"],
            "url_ss": [f"https://www.cbd.int/notifications/{note['symbol']}"],
            "date_dt": note["date"],
            "updatedDate_dt": note["updatedDate"],
        }
        doc |= {f"title_{code}_t": note[f"title{key}"] for key, code in LANGS.items()}
        resource = normalize(_raw("cbd-notifications", note["id"], CBD_TYPE, doc), "cbd-index")
        notification_ids[str(uuid.uuid5(NS, note["id"]))] = resource.id
        records.append(resource)
    nodes = _load("bioland/node_content_ke.json")
    included = {(i["type"], i["id"]): i for i in nodes["included"]}
    for node in nodes["data"]:
        if node["type"] != "node--content":
            continue
        payload = {
            "node": flatten(node, included),
            "context": {"country": "KE", "site": "https://ke.bl2.chm-cbd.net"},
        }
        resource = normalize(_raw("bioland-ke", node["id"], NODE_TYPE, payload), "drupal-jsonapi")
        records.append(resource)
        truth.add(frozenset((notification_ids[node["id"]], resource.id)))
    return records, truth
