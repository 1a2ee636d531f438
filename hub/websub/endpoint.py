"""``POST /websub``: the hub endpoint subscribers send subscription requests to (WebSub 5.1)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from harvesters.netguard import UnsafeDestination
from hub.context import Hub
from hub.settings import Settings
from hub.store.subscriptions import subscribe, unsubscribe
from hub.websub.verify import Intent, verify_intent

FEED_PATHS = frozenset({"/feeds/atom", "/feeds/rss", "/feeds/json"})
MAX_SECRET_BYTES = 200  # WebSub 5.1: hub.secret "MUST be less than 200 bytes"
MAX_FORM_BYTES = 16384


class BadRequest(ValueError):
    """A subscription request the hub refuses outright (answered 400 with the reason)."""


def own_topic(topic: str, base_url: str) -> bool:
    """True when ``topic`` is one of this hub's feeds (any filters) at the address it is served from."""
    parts, base = urlsplit(topic), urlsplit(base_url)
    return (parts.scheme, parts.netloc) == (base.scheme, base.netloc) and parts.path in FEED_PATHS


def lease_of(value: str | None, settings: Settings) -> int:
    """The lease the hub grants: the one asked for (else the default), within the configured bounds."""
    if value is None or value == "":
        asked = settings.websub_lease_seconds
    elif value.isdigit():
        asked = int(value)
    else:
        raise BadRequest("hub.lease_seconds must be a whole number of seconds")
    return max(settings.websub_min_lease_seconds, min(asked, settings.websub_max_lease_seconds))


def read_intent(form: dict[str, list[str]], base_url: str, settings: Settings) -> Intent:
    """The request's parameters checked: mode, an http(s) callback the SSRF guard allows, an own topic."""

    def one(name: str) -> str | None:
        values = form.get(name)
        return values[0] if values else None

    mode, callback, topic, secret = one("hub.mode"), one("hub.callback"), one("hub.topic"), one("hub.secret")
    if mode not in ("subscribe", "unsubscribe"):
        raise BadRequest("hub.mode must be subscribe or unsubscribe")
    if not callback or urlsplit(callback).scheme not in ("http", "https") or not urlsplit(callback).hostname:
        raise BadRequest("hub.callback must be an absolute http(s) URL")
    bases = [base_url, *([settings.node_url] if settings.node_url else [])]
    if not topic or not any(own_topic(topic, base) for base in bases):
        raise BadRequest(
            f"hub.topic must be a feed of this hub: {base_url.rstrip('/')}/feeds/atom|rss|json?..."
        )
    if secret is not None and not 0 < len(secret.encode("utf-8")) < MAX_SECRET_BYTES:
        raise BadRequest(f"hub.secret must be 1 to {MAX_SECRET_BYTES - 1} bytes")
    check = settings.http_policy().check_destination
    if check is not None:
        try:
            check(callback)
        except UnsafeDestination as exc:
            raise BadRequest(f"hub.callback refused: {exc}") from exc
    return Intent(mode, callback, topic, lease_of(one("hub.lease_seconds"), settings), secret or None)


def confirm(hub: Hub, intent: Intent) -> bool:
    """Verify the intent at the callback, then store (or forget) the subscription; whether it was verified."""
    try:
        policy = replace(hub.settings.http_policy(), read_timeout=hub.settings.websub_verify_timeout)
        verified = verify_intent(intent, policy)
    except UnsafeDestination:
        return False
    if not verified:
        return False
    if intent.mode == "subscribe":
        subscribe(hub.store, intent.callback, intent.topic, intent.secret, intent.lease_seconds)
    else:
        unsubscribe(hub.store, intent.callback, intent.topic)
    return True


def websub_router(current: Callable[[], Hub]) -> APIRouter:
    """``POST /websub``; ``current`` gives the Hub of the running app."""
    router = APIRouter(tags=["websub"])

    @router.post(
        "/websub",
        status_code=202,
        response_class=PlainTextResponse,
        summary="WebSub hub: subscribe or unsubscribe a callback to a feed of this hub",
        responses={400: {"description": "the request is refused (reason in the body)"}},
        openapi_extra={
            "requestBody": {
                "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
            }
        },
    )
    async def websub(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return PlainTextResponse("request too large", status_code=400)
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        hub = current()
        try:
            intent = read_intent(form, str(request.base_url), hub.settings)
        except BadRequest as exc:
            return PlainTextResponse(str(exc), status_code=400)
        threading.Thread(target=confirm, args=(hub, intent), name="websub-verify", daemon=True).start()
        return PlainTextResponse("accepted: intent will be verified at the callback", status_code=202)

    return router
