"""The `hub` protocol: replicate a peer hub over its OAI-PMH provider in the native gkss format."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
from lxml import etree
from pydantic import Field, StrictFloat, StrictInt, StrictStr

from federation.identity import IdentityError, NodeIdentity, check_document, request_signer
from harvesters.base import HarvestItem, HarvestState, SourceOptions, SourceSpec
from harvesters.errors import ConfigurationError, MalformedResponse, ProtocolError
from harvesters.http import HttpPolicy, fetch_once, make_client
from harvesters.oaipmh import OaiPmhHarvester, OaiPmhOptions
from harvesters.records import RawRecord, RecordFailure
from normalizers.resource import resource_from_peer

logger = logging.getLogger(__name__)

NATIVE_CONTENT_TYPE = "application/x-gkss-resource+json"
WELL_KNOWN = "/.well-known/gkss-hub"
_OAI = "{http://www.openarchives.org/OAI/2.0/}"
_GKSS_JSON = "{https://gkss-hub.cbd.int/ns/resource/1.0}json"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def local_part(identifier: str) -> str:
    """The peer's record id inside its OAI identifier ``oai:<repository>:<id>``."""
    if identifier.startswith("oai:") and identifier.count(":") >= 2:
        return identifier.split(":", 2)[2]
    return identifier


class HubOptions(SourceOptions):
    """The options of a ``hub`` source (a peer hub replicated over its OAI-PMH provider)."""

    public_key: StrictStr | None = None
    """The peer's Ed25519 public key, pinned: a self-description signed by another key is refused."""
    overlap_seconds: StrictInt | StrictFloat = Field(default=60, ge=0)
    """Seconds an incremental run reaches back before the last one's start (unset: the hub's
    ``GKSS_OAI_OVERLAP_SECONDS``)."""


class HubHarvester:
    """Harvests a peer hub: its self-description (who it is), then ListRecords in ``gkss``.

    Each record keeps its origin hub (the peer's id for the peer's own records, the recorded one for
    records the peer replicated), origin source and original identifiers in its provenance; records
    whose origin is this hub (``identity``, given by the hub) are dropped: nothing returns
    to where it began.
    The native id of a replicated record is the peer's record id, so a deletion at the peer (a
    ``status="deleted"`` header) removes exactly that record here and travels on down a chain.
    """

    def __init__(
        self,
        spec: SourceSpec[HubOptions],
        policy: HttpPolicy,
        client: httpx.Client | None = None,
        identity: NodeIdentity | None = None,
    ) -> None:
        self.spec = spec
        self.policy = policy
        self.client = client
        self.base_url = spec.url.rstrip("/")
        self.identity = identity
        self.local_hub = self.identity.node_id if self.identity else ""
        self.pinned_key = spec.options.public_key
        oai_options = OaiPmhOptions(metadata_prefix="gkss", overlap_seconds=spec.options.overlap_seconds)
        oai_spec = SourceSpec(spec.id, "oai-pmh", self.base_url + "/oai", oai_options)
        self.oai = OaiPmhHarvester(oai_spec, policy, client)
        if not self.local_hub:
            raise ConfigurationError(
                f"{spec.id}: the hub protocol needs this hub's identity (built by hub.protocols)"
            )

    def peer_id(self, http: httpx.Client, state: HarvestState) -> str:
        """The peer's node id from its signed self-description."""
        response = fetch_once(http, self.policy, "GET", self.base_url + WELL_KNOWN)
        state.count_response(response.status, len(response.content))
        if response.status != 200:
            raise ProtocolError(f"{self.base_url}{WELL_KNOWN}: HTTP {response.status}; is this a gkss hub?")
        try:
            document = json.loads(response.content)
            check_document(document, str(self.pinned_key) if self.pinned_key else None)
        except (ValueError, IdentityError) as exc:
            raise MalformedResponse(
                f"{self.base_url}{WELL_KNOWN}: unusable self-description: {exc}"
            ) from None
        peer = str(document.get("id") or "")
        if not peer:
            raise MalformedResponse(f"{self.base_url}{WELL_KNOWN}: self-description without an id")
        if peer == self.local_hub:
            raise ConfigurationError(f"{self.spec.id}: {self.base_url} is this hub itself")
        return peer

    def harvest(self, state: HarvestState) -> Iterator[HarvestItem]:
        http = self.client or make_client(self.policy)
        if self.client is None and self.identity is not None:  # every request says which hub asks
            http.event_hooks["request"] = [*http.event_hooks["request"], request_signer(self.identity)]
        try:
            self.oai.client = http
            peer = self.peer_id(http, state)
            for item in self.oai.harvest(state):
                converted = self._convert(item, peer)
                if converted is not None:
                    yield converted
        finally:
            self.oai.client = self.client
            if self.client is None:
                http.close()

    def _convert(self, item: HarvestItem, peer: str) -> HarvestItem | None:
        if isinstance(item, RecordFailure):
            return item
        native_id = local_part(item.native_id)
        if item.deleted:
            return RawRecord(
                self.spec.id, native_id, NATIVE_CONTENT_TYPE, b"", datestamp=item.datestamp, deleted=True
            )
        try:
            element = etree.fromstring(item.payload, parser=_PARSER)
            resource = resource_from_peer(element.findtext(f"{_OAI}metadata/*/{_GKSS_JSON}") or "")
        except (etree.XMLSyntaxError, ValueError) as exc:
            return RecordFailure(self.spec.id, item.native_id, f"not a gkss record: {str(exc)[:300]}")
        origin = resource.provenance.origin_hub or peer
        if origin == self.local_hub:
            return None  # our own record coming back round a cycle
        provenance = resource.provenance.model_copy(update={"origin_hub": origin})
        payload = resource.model_copy(update={"provenance": provenance}).model_dump_json().encode("utf-8")
        return RawRecord(self.spec.id, native_id, NATIVE_CONTENT_TYPE, payload, datestamp=item.datestamp)
