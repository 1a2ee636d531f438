"""The OAI-PMH 2.0 data provider: the six verbs and their errors (arguments are checked in arguments.py)."""

from __future__ import annotations

import re
import threading
from collections.abc import Hashable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from lxml import etree

from hub.context import Hub
from hub.oai import queries
from hub.oai.arguments import VERBS as VERBS
from hub.oai.arguments import OaiError as OaiError
from hub.oai.arguments import OaiErrors as OaiErrors
from hub.oai.arguments import check_arguments, window_of
from hub.oai.envelope import (
    GRANULARITY,
    OAI,
    OAI_NS,
    OAI_NSMAP,
    XSI_LOCATION,
    XSI_NS,
    datestamp,
    default_ns,
    escape_text,
    fragment,
    response_root,
    stream_list,
    to_bytes,
)
from hub.oai.queries import Item
from hub.oai.read_ahead import PageReadAhead
from hub.oai.serializers import SERIALIZERS, Links, Serializer
from hub.oai.sets import Classified, SetFilter, parse_set, record_sets, set_name, sets_of
from hub.tokens import BadToken, TokenCodec, TokenState, after_key, token_key
from normalizers.resource import Resource

OAI_IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
REPOSITORY_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(?:\.[a-zA-Z][a-zA-Z0-9\-]*)+")


_datestamp = lru_cache(maxsize=1024)(datestamp)  # a store batch shares one changed_at
_Answer = tuple[bytes, tuple[str, str] | None]  # a response body, and (verb, token) of the next page


def _request_key(pairs: Sequence[tuple[str, str]], base_url: str, hub_url: str) -> Hashable:
    return tuple(sorted(pairs)), base_url, hub_url


class OaiProvider:
    """Answers OAI-PMH requests from the Hub's store; one per Hub, safe to share between threads."""

    def __init__(self, hub: Hub) -> None:
        settings = hub.settings
        if not REPOSITORY_ID.fullmatch(settings.oai_repository_id):
            raise ValueError(f"GKSS_OAI_REPOSITORY_ID {settings.oai_repository_id!r} is not a domain name")
        self.store = hub.store
        self.name = settings.hub_name
        self.admin_email = settings.admin_email
        self.repository_id = settings.oai_repository_id
        self.page_size = max(1, settings.oai_page_size)
        self.codec = TokenCodec(token_key(settings))
        self._sets_lock = threading.Lock()
        self.read_ahead: PageReadAhead[_Answer] = PageReadAhead(lambda: queries.newest_change(self.store))
        self._sets_cache: tuple[tuple[int, str], list[str]] | None = None

    def identifier(self, record_id: str) -> str:
        return f"oai:{self.repository_id}:{record_id}"

    def record_id(self, identifier: str) -> str | None:
        prefix = f"oai:{self.repository_id}:"
        return identifier[len(prefix) :] if identifier.startswith(prefix) else None

    # -- entry point ----------------------------------------------------------------------------

    def respond(self, pairs: Sequence[tuple[str, str]], base_url: str, hub_url: str) -> bytes:
        """The response document to one request given its argument pairs (repeats kept).

        A list page that has a next one starts making that next page (see ``PageReadAhead``).
        """
        key = _request_key(pairs, base_url, hub_url)
        ready = self.read_ahead.take(key)
        body, follow = ready if ready is not None else self._respond(pairs, base_url, hub_url)
        if follow is not None:
            next_pairs = [("verb", follow[0]), ("resumptionToken", follow[1])]
            self.read_ahead.make_ahead(
                _request_key(next_pairs, base_url, hub_url),
                lambda: self._respond(next_pairs, base_url, hub_url),
            )
        return body

    def close(self) -> None:
        self.read_ahead.close()

    def _respond(self, pairs: Sequence[tuple[str, str]], base_url: str, hub_url: str) -> _Answer:
        echo: dict[str, str] = {}
        try:
            verb, args = check_arguments(pairs)
            echo = {"verb": verb, **args}
            chunks, token = self._dispatch(response_root(base_url, echo), verb, args, Links(hub_url))
            return b"".join(chunks), (verb, token) if token else None
        except OaiError as raised:
            failure = OaiErrors([raised])
        except OaiErrors as many:
            failure = many
        root = response_root(base_url, echo if failure.echo else None)
        for error in failure.errors:
            etree.SubElement(root, OAI + "error", code=error.code).text = error.message
        return to_bytes(root), None

    def _dispatch(
        self, root: etree._Element, verb: str, args: dict[str, str], links: Links
    ) -> tuple[Iterable[bytes], str | None]:
        """The response in pieces, and the resumption token of a list page that has a next one."""
        if verb == "Identify":
            self._identify(root)
        elif verb == "ListMetadataFormats":
            self._formats(root, args.get("identifier"), links)
        elif verb == "GetRecord":
            self._get_record(root, args["identifier"], args["metadataPrefix"], links)
        elif verb == "ListSets":
            return self._list_sets(root, args.get("resumptionToken")), None
        else:
            return self._list(root, verb, args, links)
        return [to_bytes(root)], None

    # -- verbs ----------------------------------------------------------------------------------

    def _identify(self, root: etree._Element) -> None:
        earliest = queries.earliest(self.store) or datetime.now(UTC)
        element = etree.SubElement(root, OAI + "Identify")
        request = root.find(OAI + "request")
        for name, value in (
            ("repositoryName", self.name),
            ("baseURL", request.text if request is not None else ""),
            ("protocolVersion", "2.0"),
            ("adminEmail", self.admin_email),
            ("earliestDatestamp", datestamp(earliest)),
            ("deletedRecord", "persistent"),
            ("granularity", GRANULARITY),
        ):
            etree.SubElement(element, OAI + name).text = value
        description = etree.SubElement(element, OAI + "description")
        ns = "{" + OAI_IDENTIFIER_NS + "}"
        oai_id = etree.SubElement(
            description, ns + "oai-identifier", nsmap=default_ns(OAI_IDENTIFIER_NS, xsi=XSI_NS)
        )
        oai_id.set(XSI_LOCATION, f"{OAI_IDENTIFIER_NS} {OAI_IDENTIFIER_SCHEMA}")
        for name, value in (
            ("scheme", "oai"),
            ("repositoryIdentifier", self.repository_id),
            ("delimiter", ":"),
            ("sampleIdentifier", self.identifier("zenodo-0123456789abcdef0123")),
        ):
            etree.SubElement(oai_id, ns + name).text = value

    def _item(self, identifier: str) -> Item:
        record_id = self.record_id(identifier)
        item = None if record_id is None else queries.get(self.store, record_id)
        if item is None:
            raise OaiError("idDoesNotExist", "no record has this identifier in this repository")
        return item

    def _formats(self, root: etree._Element, identifier: str | None, links: Links) -> None:
        if identifier is not None:
            self._item(identifier)  # every record, tombstones included, is in every format
        element = etree.SubElement(root, OAI + "ListMetadataFormats")
        for serializer in SERIALIZERS.values():
            entry = etree.SubElement(element, OAI + "metadataFormat")
            etree.SubElement(entry, OAI + "metadataPrefix").text = serializer.prefix
            etree.SubElement(entry, OAI + "schema").text = serializer.schema(links)
            etree.SubElement(entry, OAI + "metadataNamespace").text = serializer.namespace

    def _get_record(self, root: etree._Element, identifier: str, prefix: str, links: Links) -> None:
        errors: list[OaiError] = []
        serializer = SERIALIZERS.get(prefix)
        if serializer is None:
            errors.append(OaiError("cannotDisseminateFormat", "this repository has no such metadata format"))
        record_id = self.record_id(identifier)
        item = None if record_id is None else queries.get(self.store, record_id)
        if item is None:
            errors.append(OaiError("idDoesNotExist", "no record has this identifier in this repository"))
        if errors or item is None or serializer is None:
            raise OaiErrors(errors)
        record = etree.fromstring(self._record(item, serializer, links))
        etree.SubElement(root, OAI + "GetRecord").append(record)

    def _list_sets(self, root: etree._Element, token: str | None) -> Iterator[bytes]:
        specs = self._all_sets()
        if not specs:
            raise OaiError("noSetHierarchy", "the repository holds no records, so it has no sets yet")
        state = self._read_token(token, "ListSets") if token else None
        cursor = state.cursor if state else 0
        remaining = [s for s in specs if state is None or s > state.after[1]]
        if not remaining:
            raise OaiError("badResumptionToken", "the set list changed since this token was issued")
        shown = remaining[: self.page_size]
        more = len(remaining) > self.page_size
        items: list[bytes] = []
        for spec in shown:
            element = etree.Element(OAI + "set", nsmap=OAI_NSMAP)
            etree.SubElement(element, OAI + "setSpec").text = spec
            etree.SubElement(element, OAI + "setName").text = set_name(spec)
            items.append(fragment(element))
        size = state.size if state else len(specs)
        if more:
            next_state = TokenState(
                "ListSets", None, None, None, None, ("", shown[-1]), cursor + len(shown), size
            )
            items.append(self._token(self.codec.issue(next_state), size, cursor))
        elif state is not None:
            items.append(self._token("", size, cursor))
        return stream_list(root, "ListSets", items)

    def _list(
        self, root: etree._Element, verb: str, args: dict[str, str], links: Links
    ) -> tuple[Iterator[bytes], str | None]:
        token = args.get("resumptionToken")
        if token:
            state = self._read_token(token, verb)
        else:
            given = (args.get("set"), args.get("from"), args.get("until"))
            state = TokenState(verb, args["metadataPrefix"], *given, after=("", ""), cursor=0, size=0)
        serializer = SERIALIZERS.get(state.prefix or "")
        if serializer is None:
            raise OaiError("cannotDisseminateFormat", "this repository has no such metadata format")
        sets = parse_set(state.set_spec) if state.set_spec else SetFilter()
        if sets is None:
            raise OaiError("noRecordsMatch", "this repository has no such set")
        window = window_of(state.from_, state.until)
        after = self._after(state) if token else None
        found = queries.page(self.store, window, sets, after, self.page_size + 1)
        if not found:
            raise OaiError("noRecordsMatch", "no record matches these arguments")
        shown = found[: self.page_size]
        more = len(found) > self.page_size
        size = state.size if token else queries.count(self.store, window, sets) if more else len(shown)
        tail: bytes | None = None
        issued: str | None = None
        if more:
            last = shown[-1]
            key = after_key(last.changed_at, last.id)
            next_state = TokenState(
                verb,
                state.prefix,
                state.set_spec,
                state.from_,
                state.until,
                key,
                state.cursor + len(shown),
                size,
            )
            issued = self.codec.issue(next_state)
            tail = self._token(issued, size, state.cursor)
        elif token:
            tail = self._token("", size, state.cursor)
        return stream_list(root, verb, self._entries(verb, shown, serializer, links, tail)), issued

    @staticmethod
    def _after(state: TokenState) -> tuple[datetime, str]:
        try:
            return datetime.fromisoformat(state.after[0]), state.after[1]
        except ValueError:
            raise OaiError("badResumptionToken", "unreadable token position") from None

    def _entries(
        self, verb: str, items: list[Item], serializer: Serializer, links: Links, tail: bytes | None
    ) -> Iterator[bytes]:
        for item in items:
            if verb == "ListRecords":
                yield self._record(item, serializer, links)
            else:
                yield f'<header xmlns="{OAI_NS}"{self._header(item)}</header>'.encode()
        if tail is not None:
            yield tail

    # -- pieces ---------------------------------------------------------------------------------

    def _read_token(self, token: str, verb: str) -> TokenState:
        try:
            state = self.codec.read(token)
        except BadToken as exc:
            raise OaiError("badResumptionToken", str(exc)) from None
        if state.verb != verb:
            raise OaiError("badResumptionToken", f"this token continues {state.verb}, not {verb}")
        return state

    @staticmethod
    def _token(value: str, size: int, cursor: int) -> bytes:
        element = etree.Element(OAI + "resumptionToken", nsmap=OAI_NSMAP)
        element.text = value
        element.set("completeListSize", str(max(size, 1)))
        element.set("cursor", str(cursor))
        return fragment(element)

    # Records and headers are written as text (escaped by escape_text/escape_attribute, checked
    # against OAI-PMH.xsd by the tests): building an lxml tree per record cost more than all the rest.

    def _header(self, item: Item, known: Classified | None = None) -> str:
        """The attributes and content of ``<header``: ``<header`` and ``</header>`` are the caller's.

        ``known`` is the record's Resource when the caller has it already (else its set fields are read).
        """
        parts = [' status="deleted">' if item.deleted else ">"]
        parts += ("<identifier>", escape_text(self.identifier(item.id)), "</identifier>")
        parts += ("<datestamp>", _datestamp(item.changed_at), "</datestamp>")
        for spec in record_sets(item.source_id, known if known is not None else item.fields):
            parts += ("<setSpec>", spec, "</setSpec>")  # setSpec syntax: no character needs escaping
        return "".join(parts)

    def _record(self, item: Item, serializer: Serializer, links: Links) -> bytes:
        """A ``<record>`` as UTF-8, declaring the OAI namespace (it stands alone or inside a list)."""
        if item.text is None:
            return f'<record xmlns="{OAI_NS}"><header{self._header(item)}</header></record>'.encode()
        known = Resource.model_validate_json(item.text) if serializer.whole_resource else item.fields
        head = f'<record xmlns="{OAI_NS}"><header{self._header(item, known)}</header>'
        metadata = serializer.render(item.text, links, known)
        return f"{head}<metadata>{metadata}</metadata></record>".encode()

    def _all_sets(self) -> list[str]:
        """Every set that holds a record, recomputed only when the store changed."""
        stamp = queries.version(self.store)
        with self._sets_lock:
            if self._sets_cache is not None and self._sets_cache[0] == stamp:
                return self._sets_cache[1]
        specs = sets_of(queries.resources(self.store))
        with self._sets_lock:
            self._sets_cache = (stamp, specs)
        return specs
