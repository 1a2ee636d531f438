"""OAI-PMH harvester: Identify, then ListRecords paged by resumptionToken, through the shared HTTP policy."""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import httpx2
from lxml import etree
from oaipmh_scythe import Scythe
from oaipmh_scythe import exceptions as oai_errors
from oaipmh_scythe.config import RetryConfig
from oaipmh_scythe.response import OAIResponse
from pydantic import Field, StrictFloat, StrictInt, StrictStr

from harvesters.base import HarvestItem, HarvestState, SourceOptions, SourceSpec
from harvesters.errors import ConfigurationError, MalformedResponse, ProtocolError, TransientError
from harvesters.http import HttpPolicy, fetch_once, make_client, parse_retry_after
from harvesters.records import RawRecord, RecordFailure
from harvesters.xml import parse_xml

logger = logging.getLogger(__name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_OAI = "{" + OAI_NS + "}"
SECONDS_GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
DAY_GRANULARITY = "YYYY-MM-DD"
RETRY_STATUS_CODES = (429, 503)
MAX_RESTARTS = 3
MAX_STALE_PAGES = 20  # pages in a row bringing no record new to the list: the repository's list loops
IDENTIFY_FIELDS = ("repositoryName", "baseURL", "granularity", "deletedRecord", "earliestDatestamp")


def content_type_for(prefix: str) -> str:
    """The RawRecord content type of a record harvested in the metadata format ``prefix``."""
    return f"application/oai-pmh+xml; prefix={prefix}"


def parse_datestamp(text: str | None) -> datetime | None:
    """An OAI datestamp (day or seconds granularity) as an aware UTC datetime; None if unreadable."""
    value = (text or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_datestamp(moment: datetime, granularity: str) -> str:
    """``moment`` written at the repository's granularity (day unless it declares seconds)."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if granularity == SECONDS_GRANULARITY:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return utc.strftime("%Y-%m-%d")


def _looks_like_html(content: bytes) -> bool:
    head = content[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _oai_root(content: bytes, where: str, status: int) -> etree._Element:
    """Parse a body strictly and check it is an OAI-PMH envelope."""
    if _looks_like_html(content):
        raise MalformedResponse(f"{where}: HTTP {status} with an HTML page where OAI-PMH XML was expected")
    try:
        root = parse_xml(content, where)
    except MalformedResponse as exc:
        if status >= 400:
            raise ProtocolError(
                f"{where}: HTTP {status} with a body that is not OAI-PMH XML ({exc})"
            ) from exc
        raise
    if root.tag != _OAI + "OAI-PMH":
        raise MalformedResponse(
            f"{where}: not an OAI-PMH response (root element <{etree.QName(root).localname}>)"
        )
    return root


class PolicyScythe(Scythe):
    """A Scythe whose requests go through the hub's HTTP policy and whose bodies are parsed strictly.

    Scythe keeps its retry loop and its mapping of ``<error code>`` to exceptions; this class
    replaces the transport (``_request``) and the Retry-After reading (``_get_retry_after``),
    and keeps the strictly parsed envelope of the last response in ``root``.
    """

    def __init__(
        self,
        endpoint: str,
        client: httpx.Client,
        policy: HttpPolicy,
        on_response: Callable[[int, int], None] | None = None,
        source_id: str = "",
    ) -> None:
        retry = RetryConfig(
            max_retries=policy.max_retries,
            retry_status_codes=RETRY_STATUS_CODES,
            default_retry_after=max(policy.default_retry_after, 0.001),
        )
        super().__init__(endpoint, retry_config=retry)
        self.http = client
        self.policy = policy
        self.on_response = on_response
        self.root: etree._Element | None = None
        self.where = endpoint
        self.source_id = source_id or endpoint

    def _request(self, query: dict[str, str]) -> httpx2.Response:
        self.root = None
        verb = query.get("verb", "no verb")
        response = fetch_once(self.http, self.policy, "GET", self.endpoint, params=query)
        if self.on_response is not None:
            self.on_response(response.status, len(response.content))
        self.where = f"{response.url} ({verb})"
        if response.status in RETRY_STATUS_CODES:
            pass  # Scythe retries these; when it gives up, harvest() raises HTTPStatusError.
        elif response.status >= 500:
            raise TransientError(f"{self.where}: HTTP {response.status}")
        else:
            self.root = _oai_root(response.content, self.where, response.status)
        return httpx2.Response(
            response.status,
            headers=dict(response.headers),
            content=response.content,
            request=httpx2.Request("GET", response.url),
        )

    def _get_retry_after(self, http_response: httpx2.Response) -> float:
        """Sleep through the policy for Retry-After (seconds or HTTP-date, capped); Scythe adds nothing."""
        wait = parse_retry_after(
            http_response.headers.get("retry-after"),
            self.policy.default_retry_after,
            self.policy.max_retry_after,
        )
        logger.warning(
            "%s: %s answered HTTP %d; retrying in %.1f s",
            self.source_id,
            self.where,
            http_response.status_code,
            wait,
        )
        self.policy.sleep(wait)
        return 0

    def harvest(self, query: dict[str, str]) -> OAIResponse:
        """Scythe's request with retries; Scythe reads ``<error>`` only when our parse found one.

        (Scythe's own ``harvest`` parses every page a second time, leniently, to look for errors.)
        """
        http_response = self._request_with_retry(query)
        response = OAIResponse(http_response, params=query)
        if self.root is None or self.root.find(_OAI + "error") is not None:
            response.raise_for_oaipmh_error()  # Scythe's mapping of error codes to exceptions
        http_response.raise_for_status()
        return response

    def call(self, query: dict[str, str]) -> etree._Element:
        """One OAI-PMH request through Scythe; the strictly parsed envelope, or a HarvestError.

        ``NoRecordsMatch`` and ``BadResumptionToken`` are left for the caller to handle.
        """
        try:
            self.harvest(query)
        except (oai_errors.NoRecordsMatch, oai_errors.BadResumptionToken):
            raise
        except oai_errors.OAIPMHException as exc:
            code, message = self._error_of(exc)
            raise ProtocolError(f"{self.where}: OAI-PMH error {code}: {message}") from exc
        except httpx2.HTTPStatusError as exc:
            status = exc.response.status_code
            if status in RETRY_STATUS_CODES:
                raise TransientError(
                    f"{self.where}: HTTP {status} still after {self.policy.max_retries} retries"
                ) from exc
            raise ProtocolError(f"{self.where}: HTTP {status} without an OAI-PMH error") from exc
        root, self.root = self.root, None
        if root is None:
            raise MalformedResponse(f"{self.where}: no OAI-PMH envelope in the response")
        return root

    def _error_of(self, exc: Exception) -> tuple[str, str]:
        if self.root is not None:
            errors = self.root.findall(_OAI + "error")
            if errors:
                code = ",".join(e.get("code") or "?" for e in errors)
                message = "; ".join((e.text or "").strip() for e in errors if (e.text or "").strip())
                return code, message or "(no message)"
        name = type(exc).__name__
        return name[:1].lower() + name[1:], str(exc) or "(no message)"


def _read_identify(scythe: PolicyScythe) -> dict[str, str | None]:
    root = scythe.call({"verb": "Identify"})
    element = root.find(_OAI + "Identify")
    if element is None:
        raise MalformedResponse(f"{scythe.where}: Identify response without an <Identify> element")
    info: dict[str, str | None] = {}
    for name in IDENTIFY_FIELDS:
        text = element.findtext(_OAI + name)
        info[name] = text.strip() if text is not None else None
    answered = root.findtext(_OAI + "responseDate")  # the repository's clock, for the next window
    info["responseDate"] = answered.strip() if answered is not None else None
    return info


def identify(url: str, policy: HttpPolicy, client: httpx.Client | None = None) -> dict[str, str | None]:
    """The repository's Identify: repositoryName, baseURL, granularity, deletedRecord, earliestDatestamp,
    and the responseDate of the answer."""
    http = client or make_client(policy)
    try:
        return _read_identify(PolicyScythe(url, http, policy))
    finally:
        if client is None:
            http.close()


class OaiPmhOptions(SourceOptions):
    """The options of an ``oai-pmh`` source."""

    metadata_prefix: StrictStr = "oai_dc"
    """The metadata format asked for (a registered source: ``oai_dc``, the one with a crosswalk yet)."""
    set: StrictStr | None = None
    """The setSpec harvested (default: the whole repository)."""
    overlap_seconds: StrictInt | StrictFloat = Field(default=60, ge=0)
    """Seconds an incremental run reaches back before the last one's start, for records stamped late
    (unset: the hub's ``GKSS_OAI_OVERLAP_SECONDS``)."""


class OaiPmhHarvester:
    """Harvests one OAI-PMH repository with ListRecords, lazily, a page or two in memory at a time.

    Options (``OaiPmhOptions``): ``metadata_prefix``, ``set``, ``overlap_seconds`` (subtracted from
    ``state.since``).
    """

    def __init__(
        self, spec: SourceSpec[OaiPmhOptions], policy: HttpPolicy, client: httpx.Client | None = None
    ) -> None:
        parts = urlsplit(spec.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"{spec.id}: OAI-PMH base URL must be http(s): {spec.url!r}")
        self.spec = spec
        self.policy = policy
        self.client = client
        self.metadata_prefix: str = spec.options.metadata_prefix
        self.set_spec = spec.options.set or None
        self.overlap = timedelta(seconds=float(spec.options.overlap_seconds))
        self.content_type = content_type_for(self.metadata_prefix)

    def harvest(self, state: HarvestState) -> Iterator[HarvestItem]:
        """Yield the records changed in the state's window; deleted ones flagged, broken ones as failures."""
        http = self.client or make_client(self.policy)
        try:
            scythe = PolicyScythe(self.spec.url, http, self.policy, state.count_response, self.spec.id)
            info = _read_identify(scythe)
            state.source_clock = parse_datestamp(info.get("responseDate"))
            window = self.window(state, info)
            logger.info("%s: ListRecords %s", self.spec.id, window)
            yield from self._list_records(scythe, window, state)
        finally:
            if self.client is None:
                http.close()

    def window(self, state: HarvestState, info: dict[str, str | None]) -> dict[str, str]:
        """The first ListRecords query: prefix, set, and from/until at the repository's granularity."""
        granularity = info.get("granularity") or DAY_GRANULARITY
        query = {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix}
        if self.set_spec:
            query["set"] = self.set_spec
        if state.since is not None:
            since = state.since if state.since.tzinfo else state.since.replace(tzinfo=UTC)
            start = since - self.overlap
            earliest = parse_datestamp(info.get("earliestDatestamp"))
            if earliest is not None and start < earliest:
                start = earliest
            query["from"] = format_datestamp(start, granularity)
        if state.until is not None:
            query["until"] = format_datestamp(state.until, granularity)
        return query

    def _list_records(
        self, scythe: PolicyScythe, window: dict[str, str], state: HarvestState
    ) -> Iterator[HarvestItem]:
        seen: set[str] = set()
        restarts = 0
        tokens: set[str] = set()  # given in this pass over the list: one given again means a loop
        pages = stale = 0
        stale_limit = MAX_STALE_PAGES
        query = dict(window)
        while True:
            try:
                root = scythe.call(query)
            except oai_errors.NoRecordsMatch:
                logger.info("%s: noRecordsMatch for %s", self.spec.id, query)
                return
            except oai_errors.BadResumptionToken as exc:
                restarts += 1
                if restarts > MAX_RESTARTS:
                    raise ProtocolError(
                        f"{scythe.where}: badResumptionToken {restarts} times; gave up after "
                        f"{MAX_RESTARTS} restarts of the list"
                    ) from exc
                note = f"resumption token refused ({exc}); restarting the list ({restarts}/{MAX_RESTARTS})"
                logger.warning("%s: %s", self.spec.id, note)
                state.notes.append(note)
                query = dict(window)
                tokens.clear()  # a restarted list may hand out the same tokens again
                stale, stale_limit = 0, pages + MAX_STALE_PAGES  # the pages already read come again
                continue
            token, fresh = yield from self._read_page(root, scythe.where, seen)
            del root
            if not token:
                return
            pages += 1
            stale = 0 if fresh else stale + 1
            if token in tokens:
                raise ProtocolError(f"{scythe.where}: resumption token {token!r} given twice: the list loops")
            if stale >= stale_limit:
                raise ProtocolError(
                    f"{scythe.where}: {stale} pages in a row brought no new record: the list loops"
                )
            tokens.add(token)
            query = {"verb": "ListRecords", "resumptionToken": token}

    def _read_page(
        self, root: etree._Element, where: str, seen: set[str]
    ) -> Generator[HarvestItem, None, tuple[str, int]]:
        """Yield a page's records new to this list; return the page's resumption token and how many."""
        listing = root.find(_OAI + "ListRecords")
        if listing is None:
            raise MalformedResponse(f"{where}: ListRecords response without a <ListRecords> element")
        token_element = listing.find(_OAI + "resumptionToken")
        token = (token_element.text or "").strip() if token_element is not None else ""
        fresh = 0
        for record in listing.iterchildren(_OAI + "record"):
            item = self._read_record(record, seen)
            if item is not None:
                fresh += 1
                yield item  # carries its element: the page lives until its last record is consumed
        return token, fresh

    def _read_record(self, record: etree._Element, seen: set[str]) -> HarvestItem | None:
        header = record.find(_OAI + "header")
        identifier = (header.findtext(_OAI + "identifier") or "").strip() if header is not None else ""
        if header is None or not identifier:
            logger.warning("%s: record without a header identifier skipped", self.spec.id)
            return RecordFailure(self.spec.id, None, "OAI-PMH record without a header identifier")
        if identifier in seen:
            return None
        seen.add(identifier)
        deleted = header.get("status") == "deleted"
        metadata = record.find(_OAI + "metadata")
        if not deleted and (metadata is None or len(metadata) == 0):
            logger.warning("%s: record %s has no metadata", self.spec.id, identifier)
            return RecordFailure(
                self.spec.id, identifier, "OAI-PMH record is not deleted but has no <metadata>"
            )
        stamp_text = header.findtext(_OAI + "datestamp")
        datestamp = parse_datestamp(stamp_text)
        if datestamp is None:
            logger.warning(
                "%s: record %s has an unreadable datestamp %r", self.spec.id, identifier, stamp_text
            )
        return RawRecord(
            source_id=self.spec.id,
            native_id=identifier,
            content_type=self.content_type,
            payload=etree.tostring(record, with_tail=False),
            datestamp=datestamp,
            deleted=deleted,
            element=record,
        )
