"""Verification of intent (WebSub 5.3): GET the callback with a challenge; only its echo confirms."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx

from harvesters.http import HttpPolicy, pinned_transport, tls_context

MAX_ECHO_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Intent:
    """What a subscriber asked for, to be confirmed at its callback."""

    mode: str  # "subscribe" or "unsubscribe"
    callback: str
    topic: str
    lease_seconds: int
    secret: str | None = None


def _with_query(callback: str, params: dict[str, str]) -> httpx.URL:
    """The callback with the hub's parameters added to any query it already has (WebSub 5.3)."""
    return httpx.URL(callback).copy_merge_params(params)


def verify_intent(intent: Intent, policy: HttpPolicy) -> bool:
    """True when the callback answers 2xx with exactly the challenge; any other answer is a refusal."""
    challenge = secrets.token_urlsafe(24)
    params = {"hub.mode": intent.mode, "hub.topic": intent.topic, "hub.challenge": challenge}
    if intent.mode == "subscribe":
        params["hub.lease_seconds"] = str(intent.lease_seconds)
    if policy.check_destination is not None:
        policy.check_destination(intent.callback)
    timeout = httpx.Timeout(policy.read_timeout, connect=policy.read_timeout)
    headers = {"User-Agent": policy.user_agent}
    try:
        with (
            httpx.Client(
                timeout=timeout,
                follow_redirects=False,
                headers=headers,
                verify=tls_context(),
                transport=pinned_transport(policy),  # to the addresses the guard checked
            ) as client,
            client.stream("GET", _with_query(intent.callback, params)) as response,
        ):
            if not 200 <= response.status_code < 300:
                return False
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_ECHO_BYTES:
                    return False
    except httpx.HTTPError:
        return False
    return body.decode("utf-8", "replace").strip() == challenge
