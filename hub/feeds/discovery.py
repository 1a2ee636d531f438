"""WebSub discovery: the hub URL of a feed and the HTTP ``Link`` header naming it and the topic."""

from __future__ import annotations

HUB_PATH = "websub"


def hub_url(base_url: str) -> str:
    """The hub endpoint of the node at ``base_url`` (``http://host/`` -> ``http://host/websub``)."""
    return base_url.rstrip("/") + "/" + HUB_PATH


def link_header(hub: str, topic: str) -> str:
    """``Link: <hub>; rel="hub", <topic>; rel="self"`` (WebSub 4: discovery through HTTP headers)."""
    return f'<{hub}>; rel="hub", <{topic}>; rel="self"'
