"""The OpenSearch 1.1 description of the hub's search (``/opensearch.xml``): JSON and Atom URL templates."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from lxml import etree

from hub.settings import Settings

OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
MEDIA_TYPE = "application/opensearchdescription+xml"
_OS = "{" + OPENSEARCH_NS + "}"


def description(base_url: str, settings: Settings) -> bytes:
    """The description document; ``base_url`` ends with a slash."""
    root = etree.Element(_OS + "OpenSearchDescription", nsmap={None: OPENSEARCH_NS})  # type: ignore[dict-item]
    for name, value in (
        ("ShortName", settings.hub_name[:16]),
        ("Description", "Search biodiversity knowledge harvested by the GKSSB hub (GBF targets, countries)."),
        ("Tags", "biodiversity CBD GBF"),
        ("Contact", settings.admin_email),
    ):
        etree.SubElement(root, _OS + name).text = value
    templates = (
        ("application/json", "api/search?q={searchTerms}&page={startPage?}&size={count?}"),
        ("application/atom+xml", "feeds/atom?q={searchTerms}&page={startPage?}&size={count?}"),
        ("application/rss+xml", "feeds/rss?q={searchTerms}&page={startPage?}&size={count?}"),
    )
    for media_type, path in templates:
        url = etree.SubElement(root, _OS + "Url", type=media_type, template=base_url + path)
        url.set("pageOffset", "1")
    etree.SubElement(root, _OS + "Url", type=MEDIA_TYPE, rel="self", template=base_url + "opensearch.xml")
    for name, value in (("Language", "*"), ("InputEncoding", "UTF-8"), ("OutputEncoding", "UTF-8")):
        etree.SubElement(root, _OS + name).text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def opensearch_router(settings: Callable[[], Settings]) -> APIRouter:
    router = APIRouter(tags=["search"])

    @router.get(
        "/opensearch.xml",
        response_class=Response,
        responses={200: {"content": {MEDIA_TYPE: {}}, "description": "OpenSearch 1.1 description"}},
    )
    def opensearch(request: Request) -> Response:
        """OpenSearch 1.1 description: browsers and aggregators discover the JSON, Atom and RSS searches."""
        return Response(description(str(request.base_url), settings()), media_type=MEDIA_TYPE)

    return router
